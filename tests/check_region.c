/* The record of reservations and their pieces (backends/common/region.c):
 * no OS call, so this suite builds and runs on every OS. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdint.h>
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
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
