/* The record of reservations and their pieces (backends/common/region.c):
 * no OS call, so this suite builds and runs on every OS. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "testutil.h"

#include "region.h"
#include "vmosal/error.h"

#define K ((uintptr_t)0x1000)

START_TEST(test_add_and_find)
{
	struct region_set set = {0};

	ck_assert_ptr_null(region_holding(&set, 10 * K, K));
	ck_assert(!region_overlaps(&set, 10 * K, K));
	/* Added out of order, kept sorted. */
	ck_assert_int_eq(region_add(&set, 30 * K, 10 * K), 0);
	ck_assert_int_eq(region_add(&set, 10 * K, 10 * K), 0);
	ck_assert_int_eq(region_add(&set, 20 * K, 5 * K), 0);
	ck_assert_uint_eq(set.n, 3);
	ck_assert_uint_eq(set.v[0].base, 10 * K);
	ck_assert_uint_eq(set.v[1].base, 20 * K);
	ck_assert_uint_eq(set.v[2].base, 30 * K);

	/* Inside one, whole or in part. */
	ck_assert_ptr_eq(region_holding(&set, 10 * K, 10 * K), &set.v[0]);
	ck_assert_ptr_eq(region_holding(&set, 19 * K, K), &set.v[0]);
	ck_assert_ptr_eq(region_holding(&set, 32 * K, 8 * K), &set.v[2]);
	/* Past an end, across two, in a gap, before all. */
	ck_assert_ptr_null(region_holding(&set, 19 * K, 2 * K));
	ck_assert_ptr_null(region_holding(&set, 24 * K, 2 * K));
	ck_assert_ptr_null(region_holding(&set, 25 * K, K));
	ck_assert_ptr_null(region_holding(&set, 5 * K, K));
	ck_assert_ptr_null(region_holding(&set, 39 * K, 2 * K));

	ck_assert(region_overlaps(&set, 5 * K, 6 * K));
	ck_assert(region_overlaps(&set, 24 * K, 10 * K));
	ck_assert(region_overlaps(&set, 0, 100 * K));
	ck_assert(!region_overlaps(&set, 25 * K, 5 * K));
	ck_assert(!region_overlaps(&set, 40 * K, K));
	ck_assert(!region_overlaps(&set, 0, 10 * K));
	region_clear(&set);
	ck_assert_uint_eq(set.n, 0);
}
END_TEST

START_TEST(test_overlap_refused)
{
	struct region_set set = {0};

	ck_assert_int_eq(region_add(&set, 10 * K, 10 * K), 0);
	ck_assert_int_eq(region_add(&set, 30 * K, 10 * K), 0);
	ck_assert_int_eq(region_add(&set, 15 * K, K), VMOSAL_EEXIST);
	ck_assert_int_eq(region_add(&set, 5 * K, 6 * K), VMOSAL_EEXIST);
	ck_assert_int_eq(region_add(&set, 19 * K, 12 * K), VMOSAL_EEXIST);
	ck_assert_int_eq(region_add(&set, 0, 100 * K), VMOSAL_EEXIST);
	ck_assert_uint_eq(set.n, 2);
	/* Touching is not overlapping. */
	ck_assert_int_eq(region_add(&set, 20 * K, 10 * K), 0);
	ck_assert_uint_eq(set.n, 3);
	region_clear(&set);
}
END_TEST

/* The top of the address space: no comparison may wrap. */
START_TEST(test_top_of_address_space)
{
	struct region_set set = {0};
	uintptr_t top = UINTPTR_MAX - 4 * K + 1;

	ck_assert_int_eq(region_add(&set, top, 4 * K), 0);
	ck_assert_ptr_eq(region_holding(&set, top + 3 * K, K), &set.v[0]);
	ck_assert(region_overlaps(&set, top - K, 2 * K));
	ck_assert(!region_overlaps(&set, top - K, K));
	ck_assert_int_eq(region_add(&set, top - K, 2 * K), VMOSAL_EEXIST);
	ck_assert_int_eq(region_piece_add(&set.v[0], top + 3 * K, K, 1), 0);
	ck_assert_ptr_nonnull(region_piece_exact(&set.v[0], top + 3 * K, K));
	ck_assert_int_eq(region_piece_add(&set.v[0], top, 4 * K, 1), VMOSAL_EEXIST);
	region_clear(&set);
}
END_TEST

START_TEST(test_take_put_forget)
{
	struct region_set set = {0};
	struct region taken;

	for (uintptr_t i = 0; i < 100; i++)
		ck_assert_int_eq(region_add(&set, (100 + 2 * i) * K, K), 0);
	ck_assert_int_eq(region_piece_add(region_holding(&set, 150 * K, K), 150 * K, K, 7), 0);
	region_take(&set, region_holding(&set, 150 * K, K), &taken);
	ck_assert_uint_eq(set.n, 99);
	ck_assert_ptr_null(region_holding(&set, 150 * K, K));
	ck_assert_uint_eq(taken.n, 1);
	/* Back, pieces and all. */
	ck_assert_int_eq(region_put(&set, &taken), 0);
	ck_assert_uint_eq(region_holding(&set, 150 * K, K)->pieces[0].state, 7);
	/* A put that would overlap is refused and leaves *r to the caller. */
	region_take(&set, region_holding(&set, 150 * K, K), &taken);
	ck_assert_int_eq(region_add(&set, 150 * K, K), 0);
	ck_assert_int_eq(region_put(&set, &taken), VMOSAL_EEXIST);
	region_free(&taken);
	ck_assert_ptr_null(taken.pieces);

	/* Forgotten: the two [149, 154) touches (150 and 152), no other. */
	ck_assert_uint_eq(region_forget(&set, 149 * K, 5 * K), 2);
	ck_assert_ptr_null(region_holding(&set, 150 * K, K));
	ck_assert_ptr_null(region_holding(&set, 152 * K, K));
	ck_assert_ptr_nonnull(region_holding(&set, 148 * K, K));
	ck_assert_ptr_nonnull(region_holding(&set, 154 * K, K));
	ck_assert_uint_eq(region_forget(&set, 149 * K, 5 * K), 0);
	ck_assert_uint_eq(set.n, 98);
	region_clear(&set);
}
END_TEST

START_TEST(test_pieces)
{
	struct region_set set = {0};
	struct region *r;
	struct region_piece *p;

	ck_assert_int_eq(region_add(&set, 0x100 * K, 0x100 * K), 0);
	r = region_holding(&set, 0x100 * K, 0x100 * K);
	ck_assert_ptr_nonnull(r);
	ck_assert(region_pieces_all(r, 1));
	/* Out of order, kept sorted; touching neighbours are fine. */
	ck_assert_int_eq(region_piece_add(r, 0x180 * K, 0x10 * K, 1), 0);
	ck_assert_int_eq(region_piece_add(r, 0x100 * K, 0x10 * K, 1), 0);
	ck_assert_int_eq(region_piece_add(r, 0x110 * K, 0x70 * K, 2), 0);
	ck_assert_uint_eq(r->n, 3);
	ck_assert_uint_eq(r->pieces[1].start, 0x110 * K);
	ck_assert(!region_pieces_all(r, 1));
	/* Over a piece, in part or whole, or over two. */
	ck_assert_int_eq(region_piece_add(r, 0x100 * K, K, 1), VMOSAL_EEXIST);
	ck_assert_int_eq(region_piece_add(r, 0x10f * K, 2 * K, 1), VMOSAL_EEXIST);
	ck_assert_int_eq(region_piece_add(r, 0x170 * K, 0x40 * K, 1), VMOSAL_EEXIST);
	ck_assert_int_eq(region_piece_add(r, 0x18f * K, 0x2 * K, 1), VMOSAL_EEXIST);
	ck_assert_uint_eq(r->n, 3);
	/* Exact matches only. */
	ck_assert_ptr_null(region_piece_exact(r, 0x100 * K, K));
	ck_assert_ptr_null(region_piece_exact(r, 0x101 * K, 0xf * K));
	ck_assert_ptr_null(region_piece_exact(r, 0x1f0 * K, 0x10 * K));
	p = region_piece_exact(r, 0x110 * K, 0x70 * K);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->state, 2);
	region_piece_remove(r, p);
	ck_assert_uint_eq(r->n, 2);
	ck_assert(region_pieces_all(r, 1));
	ck_assert_ptr_null(region_piece_exact(r, 0x110 * K, 0x70 * K));
	/* The hole can be filled again, in several pieces. */
	ck_assert_int_eq(region_piece_add(r, 0x110 * K, 0x30 * K, 1), 0);
	ck_assert_int_eq(region_piece_add(r, 0x140 * K, 0x40 * K, 1), 0);
	ck_assert_uint_eq(r->n, 4);
	region_clear(&set);
}
END_TEST

/* The Windows fallback's case: pieces cover the whole reservation, and
 * each commit cuts a reserved piece, growing the array under pointers a
 * careless caller kept (ASan in CI's checker stage sees a stale write). */
enum { RESERVED, COMMITTED };

START_TEST(test_split_commits)
{
	static const size_t at[] = {0x40, 0x10, 0xc0, 0x20, 0x80, 0x00, 0xf0, 0x60};
	struct region r = {.base = 0x100 * K, .size = 0x100 * K};
	size_t i, n = sizeof at / sizeof at[0];

	ck_assert_int_eq(region_piece_add(&r, r.base, r.size, RESERVED), 0);
	ck_assert_uint_eq(r.cap, 4);
	r.pieces[0].data = &r;
	for (size_t k = 0; k < n; k++) {
		uintptr_t a = r.base + at[k] * K;
		size_t cap = r.cap;

		ck_assert_int_eq(region_piece_carve(&r, a, 8 * K, &i), 0);
		ck_assert_uint_eq(r.pieces[i].start, a);
		ck_assert_uint_eq(r.pieces[i].size, 8 * K);
		ck_assert_uint_eq(r.pieces[i].state, RESERVED);
		ck_assert_ptr_eq(r.pieces[i].data, &r);
		r.pieces[i].state = COMMITTED;
		r.pieces[i].data = NULL;
		if (k >= 2 && cap != r.cap)
			printf("# split_commits: the array grew at commit %zu\n", k + 1);
	}
	/* A partition still: sorted, touching, reserved between commits. */
	ck_assert_uint_ge(r.cap, r.n);
	for (i = 0; i < r.n; i++) {
		uintptr_t end = i + 1 < r.n ? r.pieces[i + 1].start : r.base + r.size;

		ck_assert_uint_eq(r.pieces[i].start + r.pieces[i].size, end);
		ck_assert_uint_eq(r.pieces[i].state == COMMITTED, r.pieces[i].size == 8 * K &&
								     (r.pieces[i].start - r.base) % (0x10 * K) == 0);
	}
	ck_assert_uint_eq(r.n, 2 * n); /* none reserved before the commit at 0x00 */
	/* A range over two pieces, or outside, is no one piece's. */
	ck_assert_int_eq(region_piece_carve(&r, r.base + 0x3f * K, 2 * K, &i), VMOSAL_EINVAL);
	ck_assert_int_eq(region_piece_carve(&r, r.base + r.size, K, &i), VMOSAL_EINVAL);
	ck_assert_int_eq(region_piece_carve(&r, r.base - K, K, &i), VMOSAL_EINVAL);
	ck_assert_int_eq(region_piece_split(&r, 0, r.pieces[0].start), VMOSAL_EINVAL);
	ck_assert_int_eq(region_piece_split(&r, 0, r.pieces[1].start), VMOSAL_EINVAL);
	ck_assert_int_eq(region_piece_split(&r, r.n, r.base), VMOSAL_EINVAL);
	ck_assert_uint_eq(region_piece_index(&r, r.base + r.size), r.n);
	ck_assert_uint_eq(region_piece_index(&r, r.base + 0x41 * K), 6); /* the commit at 0x40 */
	/* Uncommitting: back to reserved, merged with reserved neighbours,
	 * until the reservation is one piece again. */
	while (r.n > 1) {
		for (i = 0; r.pieces[i].state != COMMITTED; i++)
			;
		r.pieces[i].state = RESERVED;
		size_t lo = i, hi = i;
		if (hi + 1 < r.n && r.pieces[hi + 1].state == RESERVED)
			hi++;
		if (lo > 0 && r.pieces[lo - 1].state == RESERVED)
			lo--;
		region_piece_merge(&r, lo, hi);
	}
	ck_assert_uint_eq(r.pieces[0].start, r.base);
	ck_assert_uint_eq(r.pieces[0].size, r.size);
	region_free(&r);
}
END_TEST

/* Random commits and uncommits into one partitioned reservation against a
 * bitmap of pages. CHECK, not ck_assert: Check reports every assertion's
 * place as it passes, too slow for millions. */
#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			ck_abort_msg("line %d: %s (step %d)", __LINE__, #cond, step); \
	} while (0)

START_TEST(test_partition_against_a_bitmap)
{
	enum { N = 256 };
	struct region r = {.base = 0x1000 * K, .size = N * K};
	unsigned char state[N] = {0};
	unsigned seed = 777;

	ck_assert_int_eq(region_piece_add(&r, r.base, r.size, RESERVED), 0);
	for (int step = 0; step < 20000; step++) {
		size_t a, n, i;
		bool all_reserved = true;

		seed = seed * 1103515245u + 12345u;
		a = (seed >> 8) % N;
		n = 1 + (seed >> 20) % 12;
		if (a + n > N)
			n = N - a;
		i = region_piece_index(&r, r.base + a * K);
		CHECK(i < r.n);
		CHECK(r.pieces[i].state == state[a]);
		if ((seed >> 4) % 2 == 0) { /* commit, if one reserved piece holds it */
			size_t at;
			bool holds;

			for (size_t k = a; k < a + n; k++)
				all_reserved &= state[k] == RESERVED;
			holds = (a + n) * K <= r.pieces[i].start - r.base + r.pieces[i].size;
			/* Reserved pieces are merged: one holds it when all are. */
			if (all_reserved)
				CHECK(holds && r.pieces[i].state == RESERVED);
			if (all_reserved || !holds) {
				CHECK(region_piece_carve(&r, r.base + a * K, n * K, &at) ==
				      (holds ? 0 : VMOSAL_EINVAL));
			}
			if (all_reserved) {
				r.pieces[at].state = COMMITTED;
				for (size_t k = a; k < a + n; k++)
					state[k] = COMMITTED;
			}
		} else if (r.pieces[i].state == COMMITTED) { /* uncommit the piece at a */
			size_t lo = i, hi = i;

			for (size_t k = 0; k < r.pieces[i].size / K; k++)
				state[(r.pieces[i].start - r.base) / K + k] = RESERVED;
			r.pieces[i].state = RESERVED;
			if (hi + 1 < r.n && r.pieces[hi + 1].state == RESERVED)
				hi++;
			if (lo > 0 && r.pieces[lo - 1].state == RESERVED)
				lo--;
			region_piece_merge(&r, lo, hi);
		}
		for (size_t k = 0; k + 1 < r.n; k++)
			CHECK(r.pieces[k].start + r.pieces[k].size == r.pieces[k + 1].start);
	}
	for (size_t k = 0; k < N; k++)
		ck_assert_uint_eq(r.pieces[region_piece_index(&r, r.base + k * K)].state, state[k]);
	region_free(&r);
}
END_TEST

/* Many reservations and pieces in random order against a plain bitmap of
 * pages: the record answers as the bitmap does. */
#define PAGES 512
START_TEST(test_against_a_bitmap)
{
	struct region_set set = {0};
	unsigned short owner[PAGES] = {0}; /* 0: free, else the reservation's id */
	unsigned short mapped[PAGES] = {0}; /* 0: not mapped, else the piece's id */
	unsigned short ids = 0;
	unsigned seed = 12345;

	for (int step = 0; step < 20000; step++) {
		size_t a, n;
		bool free_all = true, in_one = true, any_mapped = false;

		seed = seed * 1103515245u + 12345u;
		a = (seed >> 8) % PAGES;
		n = 1 + (seed >> 20) % 16;
		if (a + n > PAGES)
			n = PAGES - a;
		for (size_t i = a; i < a + n; i++) {
			free_all &= owner[i] == 0;
			in_one &= owner[i] != 0 && owner[i] == owner[a];
			any_mapped |= mapped[i] != 0;
		}
		ck_assert(region_overlaps(&set, a * K, n * K) == !free_all);
		switch ((seed >> 4) % 4) {
		case 0: /* reserve */
			ck_assert_int_eq(region_add(&set, a * K, n * K), free_all ? 0 : VMOSAL_EEXIST);
			if (free_all && ++ids != 0)
				for (size_t i = a; i < a + n; i++)
					owner[i] = ids;
			break;
		case 1: { /* map a piece */
			struct region *r = region_holding(&set, a * K, n * K);

			ck_assert(in_one == (r != NULL));
			if (r == NULL)
				break;
			ck_assert_int_eq(region_piece_add(r, a * K, n * K, 1),
					 any_mapped ? VMOSAL_EEXIST : 0);
			if (!any_mapped && ++ids != 0)
				for (size_t i = a; i < a + n; i++)
					mapped[i] = ids;
			break;
		}
		case 2: { /* unmap the piece that starts at a, if there is one */
			struct region *r = region_holding(&set, a * K, K);
			bool starts = mapped[a] != 0 && (a == 0 || mapped[a - 1] != mapped[a]);
			size_t len = 0;
			struct region_piece *p;

			ck_assert(r != NULL || !starts);
			if (!starts)
				break;
			while (a + len < PAGES && mapped[a + len] == mapped[a])
				len++;
			ck_assert_ptr_null(region_piece_exact(r, a * K, (len + 1) * K));
			p = region_piece_exact(r, a * K, len * K);
			ck_assert_ptr_nonnull(p);
			region_piece_remove(r, p);
			for (size_t i = a; i < a + len; i++)
				mapped[i] = 0;
			break;
		}
		default: { /* release the reservation holding a */
			struct region *r = region_holding(&set, a * K, K);
			struct region gone;

			ck_assert((r != NULL) == (owner[a] != 0));
			if (r == NULL)
				break;
			ck_assert_uint_eq(owner[r->base / K], owner[a]);
			for (size_t i = r->base / K; i < (r->base + r->size) / K; i++)
				owner[i] = mapped[i] = 0;
			region_take(&set, r, &gone);
			region_free(&gone);
			break;
		}
		}
	}
	region_clear(&set);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("region");
	TCase *tc = tcase_create("record");

	tcase_add_test(tc, test_add_and_find);
	tcase_add_test(tc, test_overlap_refused);
	tcase_add_test(tc, test_top_of_address_space);
	tcase_add_test(tc, test_take_put_forget);
	tcase_add_test(tc, test_pieces);
	tcase_add_test(tc, test_against_a_bitmap);
	tcase_add_test(tc, test_split_commits);
	tcase_add_test(tc, test_partition_against_a_bitmap);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
