/* libvmosal: CPU topology (from hwloc) and vCPU placement.
 *
 * The topology is loaded once, on first use, without moving the calling
 * thread, and cached; every query after that costs nanoseconds. It holds
 * only the CPUs the process may use (cgroup cpuset). CPU numbers are the
 * OS's logical CPU numbers, as vmosal_thread_set_affinity takes them. */
#ifndef VMOSAL_TOPOLOGY_H
#define VMOSAL_TOPOLOGY_H

#include "common.h"

VMOSAL_BEGIN_DECLS

struct vmosal_topology_counts {
	uint32_t struct_size; /* common.h */
	uint32_t packages;
	uint32_t numa_nodes;
	uint32_t cores;
	uint32_t pus; /* hardware threads (logical CPUs) */
};

/* Where one PU (logical CPU) sits. core and package are dense indexes
 * (0..count-1, topology order); CPUs and NUMA nodes are the OS's numbers,
 * as everywhere in libvmosal. */
struct vmosal_pu_info {
	uint32_t struct_size; /* common.h */
	uint32_t os_index;  /* the OS's CPU number */
	uint32_t core;
	uint32_t package;
	int32_t numa_node;  /* the OS's node number */
	uint32_t smt_rank;  /* 0 for a core's first hardware thread, 1, ... */
};

/* Loads the topology now (optional: every query loads it on first use).
 * EIO when hwloc cannot read the machine. */
VMOSAL_API int vmosal_topology_load(void);

/* out non-NULL. */
VMOSAL_API int vmosal_topology_counts(struct vmosal_topology_counts *out);

/* PU number index, 0 <= index < counts.pus, in topology order (cores of a
 * package together, SMT siblings adjacent). ERANGE past the end. */
VMOSAL_API int vmosal_topology_pu(size_t index, struct vmosal_pu_info *out);

/* Size in bytes of the level-n data or unified cache (1..5) above the first
 * PU. ENOENT when the machine reports no such cache. */
VMOSAL_API int vmosal_topology_cache_size(unsigned level, uint64_t *bytes);

enum vmosal_placement {
	/* One PU per distinct physical core, in topology order (so NUMA
	 * nodes fill one after another), before any SMT sibling is used;
	 * counted among the CPUs the placement may use, so a core whose
	 * first thread is excluded still counts as a free core. */
	VMOSAL_PLACE_SPREAD,
	/* Fill cores in topology order, SMT siblings together. */
	VMOSAL_PLACE_COMPACT
};

/* Fills cpus[0..n) with the CPU for each of n vCPU threads under policy,
 * using only CPUs the process may use: inside its cgroup cpuset, and inside
 * the union of the affinity masks of all its threads now (a VMM started
 * with taskset stays inside that set; one thread pinning itself, to an
 * emulator CPU say, does not shrink it). numa_node >= 0 restricts to that
 * node (the OS's node number); VMOSAL_NUMA_ANY (-1) means any. When n exceeds the CPUs available the sequence
 * wraps around. EINVAL: cpus NULL, n 0, bad policy; ENOENT: no such node,
 * or no usable CPU there. */
VMOSAL_API int vmosal_topology_place(size_t n, enum vmosal_placement policy, int numa_node,
				     size_t *cpus);

/* As vmosal_topology_place, but only among the CPUs in within[0..nwithin)
 * (OS CPU numbers, duplicates allowed): the set a VMM was given by its
 * configuration, say. CPUs there that the process may not use are never
 * chosen. EINVAL: as above, or within NULL or nwithin 0; ERANGE: a CPU
 * this machine does not have; ENOENT: as above, or none of them usable. */
VMOSAL_API int vmosal_topology_place_within(size_t n, enum vmosal_placement policy,
					    int numa_node, const size_t *within,
					    size_t nwithin, size_t *cpus);

VMOSAL_END_DECLS

#endif
