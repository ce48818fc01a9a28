/* Processor-group arithmetic of the Windows backend (win_groups.c) over
 * described layouts, more than 64 CPUs included: no OS call, so this
 * suite builds and runs on every OS. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stddef.h>
#include <string.h>
#include "testutil.h"
#include <stdint.h>
#include <stdlib.h>

#include "win_groups.h"

/* A layout of n groups with counts[i] active processors each, the lowest
 * bits, as Windows fills groups. */
static struct win_groups layout(unsigned n, const unsigned *counts)
{
	struct win_groups g = {.count = n};

	for (unsigned i = 0; i < n; i++)
		g.active[i] = counts[i] >= 64 ? UINT64_MAX : ((uint64_t)1 << counts[i]) - 1;
	return g;
}

static const unsigned full[] = {64, 64, 16};  /* 144 CPUs */
static const unsigned halves[] = {48, 48};    /* NUMA nodes kept whole */
static const unsigned uneven[] = {40, 64, 1, 36};

START_TEST(test_limits)
{
	struct win_groups g = layout(3, full), none = {.count = 0};

	ck_assert_uint_eq(win_groups_limit(&g), 144);
	ck_assert_uint_eq(win_groups_active(&g), 144);
	g = layout(2, halves);
	ck_assert_uint_eq(win_groups_limit(&g), 112);
	ck_assert_uint_eq(win_groups_active(&g), 96);
	g = layout(4, uneven);
	ck_assert_uint_eq(win_groups_limit(&g), 3 * 64 + 36);
	ck_assert_uint_eq(win_groups_active(&g), 141);
	ck_assert_uint_eq(win_groups_limit(&none), 0);
	ck_assert_uint_eq(win_groups_active(&none), 0);
	/* An empty last group does not count. */
	g = layout(2, halves);
	g.count = 3;
	g.active[2] = 0;
	ck_assert_uint_eq(win_groups_limit(&g), 112);
}
END_TEST

/* flat = 64 * group + index, in both directions. */
START_TEST(test_numbering)
{
	struct win_groups g = layout(3, full);
	unsigned gr = 99, ix = 99;
	size_t flat = 0;

	ck_assert_int_eq(win_groups_from_flat(&g, 0, &gr, &ix), 0);
	ck_assert_uint_eq(gr, 0);
	ck_assert_uint_eq(ix, 0);
	ck_assert_int_eq(win_groups_from_flat(&g, 63, &gr, &ix), 0);
	ck_assert_uint_eq(gr, 0);
	ck_assert_uint_eq(ix, 63);
	ck_assert_int_eq(win_groups_from_flat(&g, 64, &gr, &ix), 0);
	ck_assert_uint_eq(gr, 1);
	ck_assert_uint_eq(ix, 0);
	ck_assert_int_eq(win_groups_from_flat(&g, 143, &gr, &ix), 0);
	ck_assert_uint_eq(gr, 2);
	ck_assert_uint_eq(ix, 15);
	ck_assert_int_eq(win_groups_to_flat(&g, 2, 15, &flat), 0);
	ck_assert_uint_eq(flat, 143);

	g = layout(2, halves);
	ck_assert_int_eq(win_groups_from_flat(&g, 47, &gr, &ix), 0);
	ck_assert_uint_eq(gr, 0);
	ck_assert_uint_eq(ix, 47);
	ck_assert_int_eq(win_groups_from_flat(&g, 64, &gr, &ix), 0);
	ck_assert_uint_eq(gr, 1);
	ck_assert_uint_eq(ix, 0);
	ck_assert_int_eq(win_groups_to_flat(&g, 1, 47, &flat), 0);
	ck_assert_uint_eq(flat, 111);
}
END_TEST

/* Every active processor of every layout goes to a flat number and back. */
START_TEST(test_round_trip)
{
	static const unsigned one[] = {8};
	struct win_groups gs[5];
	size_t nl = 0;

	gs[nl++] = layout(3, full);
	gs[nl++] = layout(2, halves);
	gs[nl++] = layout(4, uneven);
	gs[nl++] = layout(1, one);
	/* Holes inside a group: active processors need not be the lowest. */
	gs[nl] = layout(2, halves);
	gs[nl++].active[1] = 0xf0f0f0f0f0f0f0f0ull;
	for (size_t l = 0; l < nl; l++) {
		const struct win_groups *g = &gs[l];
		size_t seen = 0, limit = win_groups_limit(g);

		for (unsigned gr = 0; gr < g->count; gr++)
			for (unsigned ix = 0; ix < WIN_GROUP_CPUS; ix++) {
				unsigned g2 = 99, i2 = 99;
				size_t flat = SIZE_MAX;
				bool active = g->active[gr] >> ix & 1u;

				ck_assert_int_eq(win_groups_to_flat(g, gr, ix, &flat),
						 active ? 0 : VMOSAL_ERANGE);
				if (!active)
					continue;
				ck_assert_uint_lt(flat, limit);
				ck_assert_int_eq(win_groups_from_flat(g, flat, &g2, &i2), 0);
				ck_assert_uint_eq(g2, gr);
				ck_assert_uint_eq(i2, ix);
				seen++;
			}
		ck_assert_uint_eq(seen, win_groups_active(g));
		/* And every flat number is either a processor or ERANGE. */
		seen = 0;
		for (size_t flat = 0; flat < limit + 130; flat++) {
			unsigned gr, ix;
			size_t back;

			if (win_groups_from_flat(g, flat, &gr, &ix) != 0)
				continue;
			ck_assert_int_eq(win_groups_to_flat(g, gr, ix, &back), 0);
			ck_assert_uint_eq(back, flat);
			seen++;
		}
		ck_assert_uint_eq(seen, win_groups_active(g));
	}
}
END_TEST

START_TEST(test_out_of_range)
{
	struct win_groups g = layout(2, halves), none = {.count = 0};
	unsigned gr = 7, ix = 7;
	size_t flat = 7;

	/* 48..63 belong to group 0 but name no processor. */
	for (size_t f = 48; f < 64; f++)
		ck_assert_int_eq(win_groups_from_flat(&g, f, &gr, &ix), VMOSAL_ERANGE);
	ck_assert_int_eq(win_groups_from_flat(&g, 112, &gr, &ix), VMOSAL_ERANGE);
	ck_assert_int_eq(win_groups_from_flat(&g, 128, &gr, &ix), VMOSAL_ERANGE);
	ck_assert_int_eq(win_groups_from_flat(&g, SIZE_MAX, &gr, &ix), VMOSAL_ERANGE);
#if SIZE_MAX > UINT32_MAX
	/* A flat number whose group would wrap to a small one as unsigned. */
	ck_assert_int_eq(win_groups_from_flat(&g, ((size_t)1 << 38) + 1, &gr, &ix),
			 VMOSAL_ERANGE);
#endif
	ck_assert_int_eq(win_groups_to_flat(&g, 0, 48, &flat), VMOSAL_ERANGE);
	ck_assert_int_eq(win_groups_to_flat(&g, 2, 0, &flat), VMOSAL_ERANGE);
	ck_assert_int_eq(win_groups_to_flat(&g, 0, 64, &flat), VMOSAL_ERANGE);
	ck_assert_int_eq(win_groups_to_flat(&g, 0, UINT32_MAX, &flat), VMOSAL_ERANGE);
	ck_assert_int_eq(win_groups_from_flat(&none, 0, &gr, &ix), VMOSAL_ERANGE);
	/* Nothing is written on failure. */
	ck_assert_uint_eq(gr, 7);
	ck_assert_uint_eq(ix, 7);
	ck_assert_uint_eq(flat, 7);
}
END_TEST

START_TEST(test_mask_inside_one_group)
{
	struct win_groups g = layout(3, full);
	size_t cpus[] = {127, 64, 65, 64};
	unsigned gr = 99;
	uint64_t mask = 0;

	ck_assert_int_eq(win_groups_mask_of(&g, cpus, 4, &gr, &mask), 0);
	ck_assert_uint_eq(gr, 1);
	ck_assert_uint_eq(mask, 0x8000000000000003ull);
	cpus[0] = 143;
	ck_assert_int_eq(win_groups_mask_of(&g, cpus, 1, &gr, &mask), 0);
	ck_assert_uint_eq(gr, 2);
	ck_assert_uint_eq(mask, 0x8000ull);
	ck_assert_int_eq(win_groups_mask_of(&g, (const size_t[]){0}, 1, &gr, &mask), 0);
	ck_assert_uint_eq(gr, 0);
	ck_assert_uint_eq(mask, 1);

	/* A whole group of 48. */
	g = layout(2, halves);
	{
		size_t all[48];

		for (size_t i = 0; i < 48; i++)
			all[i] = 64 + 47 - i;
		ck_assert_int_eq(win_groups_mask_of(&g, all, 48, &gr, &mask), 0);
		ck_assert_uint_eq(gr, 1);
		ck_assert_uint_eq(mask, ((uint64_t)1 << 48) - 1);
	}
}
END_TEST

START_TEST(test_mask_spanning)
{
	struct win_groups g = layout(3, full);
	size_t across[] = {63, 64};
	size_t three[] = {1, 70, 130};
	size_t later[] = {64, 65, 66, 140};
	unsigned gr = 99;
	uint64_t mask = 42;

	ck_assert_int_eq(win_groups_mask_of(&g, across, 2, &gr, &mask), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_groups_mask_of(&g, three, 3, &gr, &mask), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_groups_mask_of(&g, later, 4, &gr, &mask), VMOSAL_ENOTSUP);
	g = layout(2, halves);
	ck_assert_int_eq(win_groups_mask_of(&g, (const size_t[]){47, 64}, 2, &gr, &mask),
			 VMOSAL_ENOTSUP);
	/* A CPU that is no processor is ERANGE, even in a spanning set. */
	ck_assert_int_eq(win_groups_mask_of(&g, (const size_t[]){0, 64, 50}, 3, &gr, &mask),
			 VMOSAL_ERANGE);
	ck_assert_int_eq(win_groups_mask_of(&g, (const size_t[]){0, 112}, 2, &gr, &mask),
			 VMOSAL_ERANGE);
	ck_assert_int_eq(win_groups_mask_of(&g, across, 0, &gr, &mask), VMOSAL_EINVAL);
	ck_assert_uint_eq(gr, 99);
	ck_assert_uint_eq(mask, 42);
}
END_TEST

START_TEST(test_list)
{
	struct win_groups g = layout(3, full);
	size_t cpus[64], n = 0;

	ck_assert_int_eq(win_groups_list(&g, 1, 0x8000000000000005ull, cpus, 64, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(cpus[0], 64);
	ck_assert_uint_eq(cpus[1], 66);
	ck_assert_uint_eq(cpus[2], 127);
	/* Too small: ERANGE and the count needed; NULL with capacity 0. */
	ck_assert_int_eq(win_groups_list(&g, 1, 0x8000000000000005ull, cpus, 2, &n),
			 VMOSAL_ERANGE);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(win_groups_list(&g, 1, 0x8000000000000005ull, NULL, 0, &n),
			 VMOSAL_ERANGE);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(win_groups_list(&g, 1, 0x8000000000000005ull, cpus, 3, &n), 0);
	ck_assert_uint_eq(n, 3);
	/* Bits past the group's active processors name no CPU. */
	ck_assert_int_eq(win_groups_list(&g, 2, UINT64_MAX, cpus, 64, &n), 0);
	ck_assert_uint_eq(n, 16);
	for (size_t i = 0; i < 16; i++)
		ck_assert_uint_eq(cpus[i], 128 + i);
	ck_assert_int_eq(win_groups_list(&g, 3, UINT64_MAX, cpus, 64, &n), 0);
	ck_assert_uint_eq(n, 0);
	/* Round trip with mask_of. */
	{
		size_t set[] = {130, 129, 141};
		unsigned gr;
		uint64_t mask;

		ck_assert_int_eq(win_groups_mask_of(&g, set, 3, &gr, &mask), 0);
		ck_assert_int_eq(win_groups_list(&g, gr, mask, cpus, 64, &n), 0);
		ck_assert_uint_eq(n, 3);
		ck_assert_uint_eq(cpus[0], 129);
		ck_assert_uint_eq(cpus[1], 130);
		ck_assert_uint_eq(cpus[2], 141);
	}
}
END_TEST

START_TEST(test_sanitize)
{
	static const unsigned one[] = {16};
	struct win_groups g = layout(1, one);
	unsigned gr = 99;

	ck_assert(win_groups_sanitize(&g, 0, &gr));
	ck_assert_uint_eq(gr, 0);
	/* One group: whatever Windows (Wine) said, it is group 0. */
	gr = 99;
	ck_assert(win_groups_sanitize(&g, 0xabab, &gr));
	ck_assert_uint_eq(gr, 0);
	g = layout(3, full);
	ck_assert(win_groups_sanitize(&g, 2, &gr));
	ck_assert_uint_eq(gr, 2);
	/* Several groups: no way to tell which was meant. */
	gr = 99;
	ck_assert(!win_groups_sanitize(&g, 3, &gr));
	ck_assert(!win_groups_sanitize(&g, 0xabab, &gr));
	ck_assert_uint_eq(gr, 99);
}
END_TEST

/* ---- where a thread may run, across groups ---- */

static size_t place_list(const struct win_groups *g, const struct win_thread_place *t,
			 size_t *cpus, size_t cap)
{
	uint64_t masks[WIN_GROUPS_MAX];
	size_t n = 0;

	ck_assert_int_eq(win_groups_place(g, t, masks), 0);
	ck_assert_int_eq(win_groups_list_all(g, masks, cpus, cap, &n), 0);
	return n;
}

/* Before Windows 11, and for a thread bound to part of a group: one group. */
START_TEST(test_place_one_group)
{
	static const unsigned both[] = {0, 1};
	struct win_groups g = layout(2, halves);
	struct win_thread_place t = {.hard = {1, 0x3}, .process_groups = both,
				     .nprocess_groups = 2};
	size_t cpus[128];

	ck_assert_uint_eq(place_list(&g, &t, cpus, 128), 2);
	ck_assert_uint_eq(cpus[0], 64);
	ck_assert_uint_eq(cpus[1], 65);
	/* A whole group, where threads do not span groups: that group. */
	t.hard.mask = UINT64_MAX;
	ck_assert_uint_eq(place_list(&g, &t, cpus, 128), 48);
	ck_assert_uint_eq(cpus[0], 64);
	ck_assert_uint_eq(cpus[47], 111);
	/* Where they do, but bound to part of a group: that part. */
	t.groups_span = true;
	t.hard.mask = 0x3;
	ck_assert_uint_eq(place_list(&g, &t, cpus, 128), 2);
	ck_assert_uint_eq(cpus[1], 65);
}
END_TEST

/* Windows 11: a thread never bound runs in every group of its process,
 * while GetThreadGroupAffinity shows its primary group alone. */
START_TEST(test_place_spans_groups)
{
	static const unsigned all3[] = {0, 1, 2}, two[] = {2, 0};
	struct win_groups g = layout(3, full);
	struct win_thread_place t = {.hard = {1, UINT64_MAX}, .groups_span = true,
				     .process_groups = all3, .nprocess_groups = 3};
	size_t cpus[256], n = 0;
	uint64_t masks[WIN_GROUPS_MAX];

	ck_assert_uint_eq(place_list(&g, &t, cpus, 256), 144);
	for (size_t i = 0; i < 144; i++)
		ck_assert_uint_eq(cpus[i], i);
	/* The process's groups only, ascending whatever order they came in. */
	t.hard.group = 0;
	t.process_groups = two;
	t.nprocess_groups = 2;
	ck_assert_uint_eq(place_list(&g, &t, cpus, 256), 80);
	ck_assert_uint_eq(cpus[63], 63);
	ck_assert_uint_eq(cpus[64], 128);
	ck_assert_uint_eq(cpus[79], 143);
	/* Too small: ERANGE with the count needed, NULL with 0. */
	ck_assert_int_eq(win_groups_place(&g, &t, masks), 0);
	ck_assert_int_eq(win_groups_list_all(&g, masks, cpus, 79, &n), VMOSAL_ERANGE);
	ck_assert_uint_eq(n, 80);
	ck_assert_int_eq(win_groups_list_all(&g, masks, NULL, 0, &n), VMOSAL_ERANGE);
	ck_assert_uint_eq(n, 80);
	/* A process in one group: that group, spanning or not. */
	t.nprocess_groups = 1;
	t.process_groups = all3;
	ck_assert_uint_eq(place_list(&g, &t, cpus, 256), 64);
	/* A group the layout lacks. */
	t.hard.group = 3;
	ck_assert_int_eq(win_groups_place(&g, &t, masks), VMOSAL_ERANGE);
	/* Groups of 48: the unused numbers stay out. */
	g = layout(2, halves);
	t.hard.group = 0;
	t.process_groups = all3;
	t.nprocess_groups = 3;
	ck_assert_uint_eq(place_list(&g, &t, cpus, 256), 96);
	ck_assert_uint_eq(cpus[47], 47);
	ck_assert_uint_eq(cpus[48], 64);
}
END_TEST

START_TEST(test_place_cpu_sets)
{
	static const unsigned all3[] = {0, 1, 2};
	struct win_groups g = layout(3, full);
	/* Two CPUs in group 2, one in group 0, one past the layout. */
	const struct win_group_mask sets[] = {{2, 0x3}, {0, 0x10}, {5, 1}};
	struct win_thread_place t = {.hard = {0, UINT64_MAX}, .groups_span = true,
				     .process_groups = all3, .nprocess_groups = 3,
				     .sets = sets, .nsets = 3};
	size_t cpus[256];

	ck_assert_uint_eq(place_list(&g, &t, cpus, 256), 3);
	ck_assert_uint_eq(cpus[0], 4);
	ck_assert_uint_eq(cpus[1], 128);
	ck_assert_uint_eq(cpus[2], 129);
	/* Bound to part of group 0: the sets within it. */
	t.hard.mask = 0xff;
	ck_assert_uint_eq(place_list(&g, &t, cpus, 256), 1);
	ck_assert_uint_eq(cpus[0], 4);
	/* Sets that miss the affinity entirely are ignored. */
	t.hard.mask = 0x3;
	ck_assert_uint_eq(place_list(&g, &t, cpus, 256), 2);
	ck_assert_uint_eq(cpus[0], 0);
	ck_assert_uint_eq(cpus[1], 1);
}
END_TEST

START_TEST(test_sets_of_ids)
{
	/* Ids as Windows numbers them: 0x100 up, in group order. */
	const struct win_cpu_set table[] = {
		{0x100, 0, 0}, {0x101, 0, 1}, {0x140, 1, 0}, {0x141, 1, 1}, {0x17f, 1, 63},
		{0x180, 2, 0}, {0x1ff, 2, 64} /* not a processor index */};
	const uint32_t ids[] = {0x141, 0x100, 0x17f, 0x999, 0x180, 0x140, 0x1ff, 0x141};
	struct win_group_mask out[WIN_GROUPS_MAX];
	size_t n = 99;

	win_groups_sets_of_ids(table, 7, ids, 8, out, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(out[0].group, 1);
	ck_assert_uint_eq(out[0].mask, 0x8000000000000003ull);
	ck_assert_uint_eq(out[1].group, 0);
	ck_assert_uint_eq(out[1].mask, 1);
	ck_assert_uint_eq(out[2].group, 2);
	ck_assert_uint_eq(out[2].mask, 1);
	win_groups_sets_of_ids(table, 7, ids, 0, out, &n);
	ck_assert_uint_eq(n, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("win_groups");
	TCase *tc = tcase_create("groups");

	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_numbering);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_out_of_range);
	tcase_add_test(tc, test_mask_inside_one_group);
	tcase_add_test(tc, test_mask_spanning);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_sanitize);
	tcase_add_test(tc, test_place_one_group);
	tcase_add_test(tc, test_place_spans_groups);
	tcase_add_test(tc, test_place_cpu_sets);
	tcase_add_test(tc, test_sets_of_ids);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
