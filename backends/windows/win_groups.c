/* Processor-group arithmetic for the Windows backend: flat CPU numbers to
 * (group, index) and back, over a described layout (win_groups.h). Plain
 * C with no OS call, so its tests also run natively. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "win_groups.h"

static bool win_groups_is_active(const struct win_groups *g, unsigned group, unsigned index)
{
	return group < g->count && index < WIN_GROUP_CPUS && (g->active[group] >> index & 1u);
}

static unsigned win_popcount64(uint64_t v)
{
	unsigned n = 0;

	for (; v != 0; v &= v - 1)
		n++;
	return n;
}

size_t win_groups_limit(const struct win_groups *g)
{
	for (unsigned group = g->count; group-- > 0;) {
		uint64_t mask = g->active[group];
		unsigned top = WIN_GROUP_CPUS;

		if (mask == 0)
			continue;
		while (!(mask >> (top - 1) & 1u))
			top--;
		return (size_t)group * WIN_GROUP_CPUS + top;
	}
	return 0;
}

size_t win_groups_active(const struct win_groups *g)
{
	size_t n = 0;

	for (unsigned group = 0; group < g->count; group++)
		n += win_popcount64(g->active[group]);
	return n;
}

int win_groups_to_flat(const struct win_groups *g, unsigned group, unsigned index, size_t *flat)
{
	if (!win_groups_is_active(g, group, index))
		return VMOSAL_ERANGE;
	*flat = (size_t)group * WIN_GROUP_CPUS + index;
	return 0;
}

int win_groups_from_flat(const struct win_groups *g, size_t flat, unsigned *group,
			 unsigned *index)
{
	size_t gr = flat / WIN_GROUP_CPUS;
	unsigned ix = (unsigned)(flat % WIN_GROUP_CPUS);

	/* gr is compared before it narrows to unsigned. */
	if (gr >= g->count || !win_groups_is_active(g, (unsigned)gr, ix))
		return VMOSAL_ERANGE;
	*group = (unsigned)gr;
	*index = ix;
	return 0;
}

/* A Windows thread runs in one group; SetThreadGroupAffinity takes one
 * group and one mask. A set across groups is a valid request this OS
 * cannot carry out, hence ENOTSUP (hwloc answers ENOSYS for it), not
 * EINVAL, which callers read as a mistake in their arguments. */
int win_groups_mask_of(const struct win_groups *g, const size_t *cpus, size_t n,
		       unsigned *group, uint64_t *mask)
{
	unsigned first = 0, gr, ix;
	uint64_t bits = 0;
	bool spans = false;

	for (size_t i = 0; i < n; i++) {
		if (win_groups_from_flat(g, cpus[i], &gr, &ix) != 0)
			return VMOSAL_ERANGE;
		if (i == 0)
			first = gr;
		else if (gr != first)
			spans = true;
		bits |= (uint64_t)1 << ix;
	}
	if (n == 0)
		return VMOSAL_EINVAL;
	if (spans)
		return VMOSAL_ENOTSUP;
	*group = first;
	*mask = bits;
	return 0;
}

int win_groups_list(const struct win_groups *g, unsigned group, uint64_t mask, size_t *cpus,
		    size_t capacity, size_t *n)
{
	size_t count = 0;

	/* Bits of processors that are not active name no CPU. */
	mask = group < g->count ? mask & g->active[group] : 0;
	count = win_popcount64(mask);
	if (count > capacity) {
		*n = count;
		return VMOSAL_ERANGE;
	}
	count = 0;
	for (unsigned ix = 0; ix < WIN_GROUP_CPUS; ix++)
		if (mask >> ix & 1u)
			cpus[count++] = (size_t)group * WIN_GROUP_CPUS + ix;
	*n = count;
	return 0;
}

static bool win_groups_empty(const struct win_groups *g, const uint64_t *masks)
{
	for (unsigned group = 0; group < g->count; group++)
		if (masks[group] != 0)
			return false;
	return true;
}

/* Windows 11 lets a thread that no one bound to a group run in all of its
 * process's groups; GetThreadGroupAffinity then shows the primary group
 * whole. A thread bound with SetThreadGroupAffinity to a whole group looks
 * the same, and is taken as spanning too: nothing tells them apart. */
int win_groups_place(const struct win_groups *g, const struct win_thread_place *t,
		     uint64_t masks[WIN_GROUPS_MAX])
{
	uint64_t sets[WIN_GROUPS_MAX] = {0};
	unsigned hg = t->hard.group;

	if (hg >= g->count)
		return VMOSAL_ERANGE;
	for (unsigned group = 0; group < WIN_GROUPS_MAX; group++)
		masks[group] = 0;
	masks[hg] = t->hard.mask & g->active[hg];
	if (t->groups_span && t->nprocess_groups > 1 && masks[hg] == g->active[hg]) {
		for (size_t i = 0; i < t->nprocess_groups; i++)
			if (t->process_groups[i] < g->count)
				masks[t->process_groups[i]] = g->active[t->process_groups[i]];
	}
	if (t->nsets == 0)
		return 0;
	for (size_t i = 0; i < t->nsets; i++)
		if (t->sets[i].group < g->count)
			sets[t->sets[i].group] |= t->sets[i].mask;
	for (unsigned group = 0; group < g->count; group++)
		sets[group] &= masks[group];
	/* CPU sets outside the affinity are ignored (Microsoft's "CPU
	 * Sets"): none left, and the affinity alone holds. */
	if (!win_groups_empty(g, sets))
		for (unsigned group = 0; group < g->count; group++)
			masks[group] = sets[group];
	return 0;
}

int win_groups_list_all(const struct win_groups *g, const uint64_t *masks, size_t *cpus,
			size_t capacity, size_t *n)
{
	size_t count = 0, part;

	for (unsigned group = 0; group < g->count; group++)
		count += win_popcount64(masks[group] & g->active[group]);
	if (count > capacity) {
		*n = count;
		return VMOSAL_ERANGE;
	}
	count = 0;
	for (unsigned group = 0; group < g->count; group++) {
		/* Cannot fail: the room was counted above. */
		win_groups_list(g, group, masks[group], cpus != NULL ? cpus + count : NULL,
				capacity - count, &part);
		count += part;
	}
	*n = count;
	return 0;
}

void win_groups_sets_of_ids(const struct win_cpu_set *table, size_t ntable, const uint32_t *ids,
			    size_t nids, struct win_group_mask *out, size_t *nout)
{
	size_t n = 0;

	for (size_t i = 0; i < nids; i++) {
		const struct win_cpu_set *set = NULL;
		size_t j;

		for (j = 0; j < ntable && set == NULL; j++)
			if (table[j].id == ids[i])
				set = &table[j];
		if (set == NULL || set->index >= WIN_GROUP_CPUS || set->group >= WIN_GROUPS_MAX)
			continue;
		for (j = 0; j < n && out[j].group != set->group; j++)
			;
		if (j == n) {
			out[n].group = set->group;
			out[n++].mask = 0;
		}
		out[j].mask |= (uint64_t)1 << set->index;
	}
	*nout = n;
}

bool win_groups_sanitize(const struct win_groups *g, unsigned reported, unsigned *group)
{
	if (reported < g->count) {
		*group = reported;
		return true;
	}
	if (g->count == 1) {
		*group = 0;
		return true;
	}
	return false;
}
