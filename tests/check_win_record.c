/* The Windows backend's memory record and rules (win_record.c) over
 * described regions: no OS call, so this suite builds and runs on every
 * OS. win_mem.c does what these decide; tests/check_win_mem checks that
 * under Wine. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vmosal/error.h"
#include "vmosal/memory.h"
#include "win_record.h"

#define G ((size_t)64 * 1024) /* the allocation granularity */
#define BASE ((uintptr_t)0x10000000)

/* A reservation at BASE of pieces with the given sizes (granules) and
 * states, covering it whole. */
static struct region reservation(unsigned flags, size_t n, const size_t *granules,
				 const unsigned *states)
{
	struct region r;
	struct region_piece p = {.start = BASE, .size = granules[0] * G, .state = states[0]};
	uintptr_t at = BASE + p.size;

	ck_assert_int_eq(win_record_new(&r, WIN_RESERVATION, &p), 0);
	r.flags |= flags;
	for (size_t i = 1; i < n; i++) {
		ck_assert_int_eq(region_piece_room(&r, 1), 0);
		r.pieces[r.n++] = (struct region_piece){.start = at, .size = granules[i] * G,
							.state = states[i]};
		at += granules[i] * G;
	}
	r.size = at - BASE;
	return r;
}

START_TEST(test_page_protections)
{
	const unsigned R = VMOSAL_PROT_READ, W = VMOSAL_PROT_WRITE, X = VMOSAL_PROT_EXEC;

	ck_assert_uint_eq(win_record_page_prot(0, false), WIN_PAGE_NOACCESS);
	ck_assert_uint_eq(win_record_page_prot(R, false), WIN_PAGE_READONLY);
	ck_assert_uint_eq(win_record_page_prot(R | W, false), WIN_PAGE_READWRITE);
	ck_assert_uint_eq(win_record_page_prot(R | W, true), WIN_PAGE_WRITECOPY);
	/* No write-only page on Windows: writable is readable. */
	ck_assert_uint_eq(win_record_page_prot(W, false), WIN_PAGE_READWRITE);
	ck_assert_uint_eq(win_record_page_prot(X, false), WIN_PAGE_EXECUTE);
	ck_assert_uint_eq(win_record_page_prot(R | X, false), WIN_PAGE_EXECUTE_READ);
	ck_assert_uint_eq(win_record_page_prot(R | W | X, false), WIN_PAGE_EXECUTE_READWRITE);
	ck_assert_uint_eq(win_record_page_prot(R | W | X, true), WIN_PAGE_EXECUTE_WRITECOPY);
	ck_assert(win_record_known_prot(R | W | X));
	ck_assert(!win_record_known_prot(0x100));
}
END_TEST

START_TEST(test_flags_refused_before_the_os)
{
	const unsigned rw = VMOSAL_PROT_READ | VMOSAL_PROT_WRITE;
	const unsigned anon = VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS;

	ck_assert_int_eq(win_record_check_flags(rw, anon), 0);
	ck_assert_int_eq(win_record_check_flags(rw, anon | VMOSAL_MAP_POPULATE), 0);
	ck_assert_int_eq(win_record_check_flags(rw, anon | VMOSAL_MAP_FIXED_NOREPLACE), 0);
	ck_assert_int_eq(win_record_check_flags(rw, anon | VMOSAL_MAP_HUGETLB), 0);
	ck_assert_int_eq(win_record_check_flags(rw, anon | VMOSAL_MAP_FIXED), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_record_check_flags(rw, anon | VMOSAL_MAP_NORESERVE), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_record_check_flags(rw, anon | 0x100u), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_record_check_flags(0x100, anon), VMOSAL_ENOTSUP);
}
END_TEST

START_TEST(test_large_page_sizes)
{
	const size_t two_mib = (size_t)2 << 20;

	ck_assert(win_record_large_size(0, two_mib));
	ck_assert(win_record_large_size(21, two_mib));
	ck_assert(!win_record_large_size(30, two_mib));
	ck_assert(!win_record_large_size(0, 0));
	ck_assert(!win_record_large_size(21, 0));
	ck_assert(!win_record_large_size(200, two_mib));
}
END_TEST

START_TEST(test_reserve_arguments_and_alignment)
{
	size_t al = 0;

	ck_assert_int_eq(win_record_reserve_args(4 * G, &al, 0, G), 0);
	ck_assert_uint_eq(al, G); /* raised to the granularity */
	al = (size_t)2 << 20;
	ck_assert_int_eq(win_record_reserve_args(4 * G, &al, G, G), 0);
	ck_assert_uint_eq(al, (size_t)2 << 20);
	al = 3 * G;
	ck_assert_int_eq(win_record_reserve_args(4 * G, &al, 0, G), VMOSAL_EINVAL);
	al = 0;
	ck_assert_int_eq(win_record_reserve_args(0, &al, 0, G), VMOSAL_EINVAL);
	ck_assert_int_eq(win_record_reserve_args(4 * G + 4096, &al, 0, G), VMOSAL_EINVAL);
	ck_assert_int_eq(win_record_reserve_args(4 * G, &al, 4096, G), VMOSAL_EINVAL);
	ck_assert_int_eq(win_record_reserve_args(4 * G, &al, 4 * G, G), VMOSAL_EINVAL);

	ck_assert_uint_eq(win_record_align_start(0x10000, 0x200000, 0), 0x200000);
	ck_assert_uint_eq(win_record_align_start(0x200000, 0x200000, 0), 0x200000);
	/* base + off lands on the boundary. */
	ck_assert_uint_eq(win_record_align_start(0x10000, 0x200000, 0x10000), 0x1f0000);
}
END_TEST

START_TEST(test_range_mapped)
{
	const size_t g[] = {1, 2, 1};
	const unsigned st[] = {WIN_COMMIT, WIN_FREE, WIN_VIEW};
	struct region r = reservation(0, 3, g, st);

	ck_assert_int_eq(win_record_range_mapped(&r, BASE, G), 0);
	ck_assert_int_eq(win_record_range_mapped(&r, BASE + 3 * G, G), 0);
	ck_assert_int_eq(win_record_range_mapped(&r, BASE, 2 * G), VMOSAL_ENOMEM);
	ck_assert_int_eq(win_record_range_mapped(&r, BASE + 2 * G, 2 * G), VMOSAL_ENOMEM);
	r.flags |= WIN_REGION_LOST;
	ck_assert_int_eq(win_record_range_mapped(&r, BASE, G), VMOSAL_EBUSY);
	region_free(&r);
}
END_TEST

START_TEST(test_advice_and_discard)
{
	struct region_piece anon = {.state = WIN_ALLOC}, commit = {.state = WIN_COMMIT};
	struct region_piece large = {.state = WIN_ALLOC, .flags = WIN_PIECE_LARGE};
	struct region_piece shared = {.state = WIN_VIEW};
	struct region_piece cow = {.state = WIN_VIEW, .flags = WIN_PIECE_COW | WIN_PIECE_FILE};
	struct region_piece file = {.state = WIN_VIEW, .flags = WIN_PIECE_FILE};

	ck_assert(win_record_private_anon(&anon));
	ck_assert(win_record_private_anon(&commit));
	ck_assert(!win_record_private_anon(&large));
	ck_assert(!win_record_private_anon(&shared));
	ck_assert_int_eq(win_record_advice_ok(&anon, VMOSAL_MADV_DONTNEED), 0);
	ck_assert_int_eq(win_record_advice_ok(&shared, VMOSAL_MADV_DONTNEED), 0);
	ck_assert_int_eq(win_record_advice_ok(&cow, VMOSAL_MADV_DONTNEED), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_record_advice_ok(&large, VMOSAL_MADV_DONTNEED), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_record_advice_ok(&commit, VMOSAL_MADV_FREE), 0);
	ck_assert_int_eq(win_record_advice_ok(&shared, VMOSAL_MADV_FREE), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_record_advice_ok(&file, VMOSAL_MADV_POPULATE_WRITE), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_record_advice_ok(&shared, VMOSAL_MADV_POPULATE_WRITE), 0);
	ck_assert_int_eq(win_record_advice_ok(&file, VMOSAL_MADV_WILLNEED), 0);
	ck_assert_int_eq(win_record_discard_ok(&anon), 0);
	ck_assert_int_eq(win_record_discard_ok(&shared), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_record_discard_ok(&large), VMOSAL_ENOTSUP);
}
END_TEST

/* Unmapping takes exactly one mapped piece. */
START_TEST(test_unmap_takes_one_piece)
{
	const size_t g[] = {1, 2, 1};
	const unsigned st[] = {WIN_FREE, WIN_ALLOC, WIN_FREE};
	struct region r = reservation(WIN_REGION_PLACEHOLDER, 3, g, st), jit;
	struct region_piece p = {.start = BASE, .size = G, .state = WIN_VIEW};
	size_t i = 99, lo, hi;

	ck_assert_int_eq(win_record_unmap_piece(&r, BASE + G, 2 * G, &i), 0);
	ck_assert_uint_eq(i, 1);
	ck_assert_int_eq(win_record_unmap_piece(&r, BASE + G, G, &i), VMOSAL_EINVAL);
	ck_assert_int_eq(win_record_unmap_piece(&r, BASE + 2 * G, G, &i), VMOSAL_EINVAL);
	ck_assert_int_eq(win_record_unmap_piece(&r, BASE, G, &i), VMOSAL_EINVAL);
	ck_assert_int_eq(win_record_unmap_piece(NULL, BASE, G, &i), VMOSAL_EINVAL);
	/* Once unmapped, the piece and its neighbours make one run. */
	r.pieces[1].state = WIN_FREE;
	win_record_free_run(&r, 1, &lo, &hi);
	ck_assert_uint_eq(lo, 0);
	ck_assert_uint_eq(hi, 2);
	r.flags |= WIN_REGION_LOST;
	ck_assert_int_eq(win_record_unmap_piece(&r, BASE + G, 2 * G, &i), VMOSAL_EBUSY);
	ck_assert_int_eq(win_record_new(&jit, WIN_JIT, &p), 0);
	ck_assert_int_eq(win_record_unmap_piece(&jit, BASE, G, &i), VMOSAL_EINVAL);
	region_free(&jit);
	region_free(&r);
}
END_TEST

START_TEST(test_free_run_stops_at_mapped_pieces)
{
	const size_t g[] = {1, 1, 1, 1, 1};
	const unsigned st[] = {WIN_ALLOC, WIN_FREE, WIN_FREE, WIN_VIEW, WIN_FREE};
	struct region r = reservation(WIN_REGION_PLACEHOLDER, 5, g, st);
	size_t lo, hi;

	win_record_free_run(&r, 2, &lo, &hi);
	ck_assert_uint_eq(lo, 1);
	ck_assert_uint_eq(hi, 2);
	win_record_free_run(&r, 4, &lo, &hi);
	ck_assert_uint_eq(lo, 4);
	ck_assert_uint_eq(hi, 4);
	region_free(&r);
}
END_TEST

/* A mapping into placeholders spans the free ones it lies in, ends on a
 * granule, and never covers a mapped piece. */
START_TEST(test_placeholder_span)
{
	const size_t g[] = {1, 1, 2, 1};
	const unsigned st[] = {WIN_FREE, WIN_FREE, WIN_FREE, WIN_VIEW};
	struct region r = reservation(WIN_REGION_PLACEHOLDER, 4, g, st);
	size_t i = 99, j = 99;

	ck_assert_int_eq(win_record_placeholder_span(&r, BASE, 3 * G, G, &i, &j), 0);
	ck_assert_uint_eq(i, 0);
	ck_assert_uint_eq(j, 2);
	ck_assert_int_eq(win_record_placeholder_span(&r, BASE + G, G, G, &i, &j), 0);
	ck_assert_uint_eq(i, 1);
	ck_assert_uint_eq(j, 1);
	ck_assert_int_eq(win_record_placeholder_span(&r, BASE, G + 4096, G, &i, &j),
			 VMOSAL_EINVAL);
	ck_assert_int_eq(win_record_placeholder_span(&r, BASE + G, 4 * G, G, &i, &j),
			 VMOSAL_EEXIST);
	ck_assert_int_eq(win_record_placeholder_span(&r, BASE + 4 * G, G, G, &i, &j),
			 VMOSAL_EEXIST);
	region_free(&r);
}
END_TEST

START_TEST(test_fallback_fit_and_whole)
{
	const size_t g[] = {1, 1, 2};
	const unsigned st[] = {WIN_FREE, WIN_COMMIT, WIN_FREE};
	const size_t one[] = {4};
	const unsigned free_st[] = {WIN_FREE};
	struct region r = reservation(0, 3, g, st), w = reservation(0, 1, one, free_st);

	ck_assert_int_eq(win_record_fallback_free(&r, BASE, G), 0);
	ck_assert_int_eq(win_record_fallback_free(&r, BASE + 2 * G, 2 * G), 0);
	ck_assert_int_eq(win_record_fallback_free(&r, BASE, 2 * G), VMOSAL_EEXIST);
	ck_assert(!win_record_whole(&r, BASE, 4 * G));
	ck_assert(win_record_whole(&w, BASE, 4 * G));
	ck_assert(!win_record_whole(&w, BASE, 2 * G));
	ck_assert(!win_record_whole(&w, BASE + G, 3 * G));
	region_free(&r);
	region_free(&w);
}
END_TEST

START_TEST(test_release_and_jit_checks)
{
	const size_t one[] = {4};
	const unsigned free_st[] = {WIN_FREE};
	struct region r = reservation(0, 1, one, free_st), m, rw, rx;
	struct region_piece p = {.start = BASE, .size = G, .state = WIN_ALLOC};
	struct region_piece v = {.start = BASE + 8 * G, .size = G, .state = WIN_VIEW};

	ck_assert_int_eq(win_record_release_check(&r, BASE, 4 * G), 0);
	ck_assert_int_eq(win_record_release_check(&r, BASE, 2 * G), VMOSAL_EINVAL);
	ck_assert_int_eq(win_record_release_check(&r, BASE + G, 3 * G), VMOSAL_EINVAL);
	ck_assert_int_eq(win_record_release_check(NULL, BASE, 4 * G), VMOSAL_EINVAL);
	ck_assert_int_eq(win_record_new(&m, WIN_MAPPING, &p), 0);
	ck_assert_int_eq(win_record_release_check(&m, BASE, G), VMOSAL_EINVAL);

	ck_assert_int_eq(win_record_new(&rw, WIN_JIT, &p), 0);
	ck_assert_int_eq(win_record_new(&rx, WIN_JIT, &v), 0);
	ck_assert_int_eq(win_record_jit_check(&rw, &rx, BASE, BASE + 8 * G, G), 0);
	ck_assert_int_eq(win_record_jit_check(&rw, &rw, BASE, BASE, G), VMOSAL_EINVAL);
	ck_assert_int_eq(win_record_jit_check(&rw, &rx, BASE, BASE + 8 * G, 2 * G),
			 VMOSAL_EINVAL);
	ck_assert_int_eq(win_record_jit_check(&m, &rx, BASE, BASE + 8 * G, G), VMOSAL_EINVAL);
	ck_assert_int_eq(win_record_jit_check(&rw, NULL, BASE, BASE + 8 * G, G), VMOSAL_EINVAL);
	region_free(&r);
	region_free(&m);
	region_free(&rw);
	region_free(&rx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("win_record");
	TCase *tc = tcase_create("record");

	tcase_add_test(tc, test_page_protections);
	tcase_add_test(tc, test_flags_refused_before_the_os);
	tcase_add_test(tc, test_large_page_sizes);
	tcase_add_test(tc, test_reserve_arguments_and_alignment);
	tcase_add_test(tc, test_range_mapped);
	tcase_add_test(tc, test_advice_and_discard);
	tcase_add_test(tc, test_unmap_takes_one_piece);
	tcase_add_test(tc, test_free_run_stops_at_mapped_pieces);
	tcase_add_test(tc, test_placeholder_span);
	tcase_add_test(tc, test_fallback_fit_and_whole);
	tcase_add_test(tc, test_release_and_jit_checks);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
