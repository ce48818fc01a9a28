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

/* A group number the OS reported, made usable: itself when it exists; 0
 * when it does not and the host has one group, the only one it can mean
 * (Wine 8.0 has reported such numbers from GetThreadGroupAffinity); false
 * when there is no way to tell. */
bool win_groups_sanitize(const struct win_groups *g, unsigned reported, unsigned *group);

#endif
