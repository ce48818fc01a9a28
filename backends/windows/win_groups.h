/* Windows processor groups as plain arithmetic (win_groups.c).
 *
 * A Windows thread runs in one processor group of at most 64 logical
 * processors; the API's flat CPU numbers cover all groups. The numbering
 * is hwloc's, so that the CPUs the core checks against hwloc's allowed set
 * and shows in the topology are the ones this backend binds:
 *
 *     flat = 64 * group + index        (index: the processor's bit in the
 *                                       group's active mask, 0..63)
 *
 * Every group owns 64 numbers whether or not all are active, so a layout of
 * 48 + 48 numbers its CPUs 0..47 and 64..111; 48..63 name no processor
 * (VMOSAL_ERANGE). Where every group but the last is full, the usual case,
 * this is the same as counting the active processors of the groups before.
 * cpus_possible is win_groups_limit(): the highest flat number plus one.
 *
 * Nothing here calls the OS, so a test describes any layout (more than 64
 * CPUs included) and this file builds on every OS. */
#ifndef VMOSAL_BACKEND_WIN_GROUPS_H
#define VMOSAL_BACKEND_WIN_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmosal/error.h"

/* Numbers per group: the width of KAFFINITY on 64-bit Windows. */
#define WIN_GROUP_CPUS 64u
/* More groups than Windows has ever allowed (2048 CPUs, 32 groups). */
#define WIN_GROUPS_MAX 64u

/* The host's groups: bit i of active[g] is processor i of group g. */
struct win_groups {
	unsigned count; /* groups, 0..WIN_GROUPS_MAX */
	uint64_t active[WIN_GROUPS_MAX];
};

/* One past the highest flat CPU number; 0 with no active processor. */
size_t win_groups_limit(const struct win_groups *g);
/* Active processors in all groups. */
size_t win_groups_active(const struct win_groups *g);

/* Stores the flat number of processor index of group in *flat; ERANGE when
 * that processor is not active. */
int win_groups_to_flat(const struct win_groups *g, unsigned group, unsigned index,
		       size_t *flat);
/* Splits flat into *group and *index; ERANGE when it names no active
 * processor. */
int win_groups_from_flat(const struct win_groups *g, size_t flat, unsigned *group,
			 unsigned *index);

/* The group and mask of cpus[0..n) (n > 0, duplicates allowed). ERANGE
 * when a CPU is not an active processor (checked first); ENOTSUP when they
 * lie in more than one group. */
int win_groups_mask_of(const struct win_groups *g, const size_t *cpus, size_t n,
		       unsigned *group, uint64_t *mask);
/* Stores the flat numbers of mask's active processors in group, ascending.
 * More than capacity: ERANGE with *n the count needed. cpus may be NULL
 * when capacity is 0. */
int win_groups_list(const struct win_groups *g, unsigned group, uint64_t mask, size_t *cpus,
		    size_t capacity, size_t *n);

/* ---- where a thread may run, across groups ---- */

/* One group's processors, as GROUP_AFFINITY carries them. */
struct win_group_mask {
	unsigned group;
	uint64_t mask;
};

/* What Windows reports, piece by piece, about where a thread may run. */
struct win_thread_place {
	/* GetThreadGroupAffinity: the thread's group and its mask there (the
	 * primary group's, where the thread spans groups). */
	struct win_group_mask hard;
	/* Windows 11 and Server 2022 on: a thread never bound to one group
	 * runs in every group of its process. */
	bool groups_span;
	/* GetProcessGroupAffinity: the groups the process runs in. */
	const unsigned *process_groups;
	size_t nprocess_groups;
	/* The CPU sets the thread is given (its selection, else the process
	 * default), as group masks; nsets 0: none. */
	const struct win_group_mask *sets;
	size_t nsets;
};

/* Stores in masks[0..g->count) the processors of each group where the
 * thread may run:
 *   - hard.group alone, unless groups_span, hard covers all of its group
 *     (SetThreadGroupAffinity never narrowed it) and the process runs in
 *     more than one group: then every process group, whole;
 *   - within that, the CPU sets, unless they leave nothing: the affinity
 *     takes precedence over CPU sets that conflict with it.
 * Processors that are not active and groups the layout lacks are left
 * out. ERANGE when hard.group is not one of the layout's. */
int win_groups_place(const struct win_groups *g, const struct win_thread_place *t,
		     uint64_t masks[WIN_GROUPS_MAX]);
/* Stores the flat numbers of masks[0..g->count), ascending, as
 * win_groups_list does for one group. */
int win_groups_list_all(const struct win_groups *g, const uint64_t *masks, size_t *cpus,
			size_t capacity, size_t *n);

/* A CPU set as GetSystemCpuSetInformation describes it. */
struct win_cpu_set {
	uint32_t id;
	unsigned group;
	unsigned index;
};
/* The CPU set ids[0..nids) (GetThreadSelectedCpuSets) as group masks in
 * out[0..*nout), one per group, through table[0..ntable); ids the table
 * lacks are left out. out holds WIN_GROUPS_MAX. */
void win_groups_sets_of_ids(const struct win_cpu_set *table, size_t ntable, const uint32_t *ids,
			    size_t nids, struct win_group_mask *out, size_t *nout);

/* A group number the OS reported, made usable: itself when it exists; 0
 * when it does not and the host has one group, the only one it can mean
 * (Wine 8.0 has reported such numbers from GetThreadGroupAffinity); false
 * when there is no way to tell. */
bool win_groups_sanitize(const struct win_groups *g, unsigned reported, unsigned *group);

#endif
