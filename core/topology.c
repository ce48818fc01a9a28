/* Public topology queries and vCPU placement, answered from a table built
 * once from the hwloc topology so that queries cost nanoseconds. */
#include "config.h"

#include <hwloc.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_CACHE_LEVEL 5

struct topo_table {
	struct vmosal_topology_counts counts;
	struct vmosal_pu_info *pus; /* counts.pus entries, topology order */
	uint64_t cache[MAX_CACHE_LEVEL + 1];
};

static _Atomic(struct topo_table *) table;

static uint32_t count_of(hwloc_topology_t topo, hwloc_obj_type_t type)
{
	int n = hwloc_get_nbobjs_by_type(topo, type);
	return n > 0 ? (uint32_t)n : 0;
}

static uint32_t logical_of(hwloc_topology_t topo, hwloc_obj_t pu, hwloc_obj_type_t type)
{
	hwloc_obj_t obj = hwloc_get_ancestor_obj_by_type(topo, type, pu);
	return obj != NULL ? obj->logical_index : 0;
}

static void fill_pu(hwloc_topology_t topo, hwloc_obj_t pu, struct vmosal_pu_info *out)
{
	hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu);
	hwloc_obj_t node = NULL;

	out->os_index = pu->os_index;
	out->core = core != NULL ? core->logical_index : pu->logical_index;
	out->package = logical_of(topo, pu, HWLOC_OBJ_PACKAGE);
	out->smt_rank = 0;
	if (core != NULL) {
		hwloc_obj_t first =
			hwloc_get_obj_inside_cpuset_by_type(topo, core->cpuset, HWLOC_OBJ_PU, 0);
		if (first != NULL)
			out->smt_rank = pu->logical_index - first->logical_index;
	}
	/* NUMA nodes hang off the tree as memory children: find by cpuset. */
	out->numa_node = 0;
	while ((node = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, node)) != NULL)
		if (hwloc_bitmap_isset(node->cpuset, pu->os_index)) {
			out->numa_node = (int32_t)node->os_index;
			break;
		}
}

static int build_table(hwloc_topology_t topo, struct topo_table **out)
{
	struct topo_table *t = calloc(1, sizeof *t);
	hwloc_obj_t pu0;

	if (t == NULL)
		return VMOSAL_ENOMEM;
	t->counts.packages = count_of(topo, HWLOC_OBJ_PACKAGE);
	t->counts.numa_nodes = count_of(topo, HWLOC_OBJ_NUMANODE);
	t->counts.cores = count_of(topo, HWLOC_OBJ_CORE);
	t->counts.pus = count_of(topo, HWLOC_OBJ_PU);
	t->pus = calloc(t->counts.pus > 0 ? t->counts.pus : 1, sizeof *t->pus);
	if (t->pus == NULL) {
		free(t);
		return VMOSAL_ENOMEM;
	}
	for (uint32_t i = 0; i < t->counts.pus; i++) {
		t->pus[i].struct_size = sizeof t->pus[i];
		fill_pu(topo, hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, i), &t->pus[i]);
	}
	t->counts.struct_size = sizeof t->counts;
	pu0 = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, 0);
	for (hwloc_obj_t o = pu0 != NULL ? pu0->parent : NULL; o != NULL; o = o->parent)
		if (hwloc_obj_type_is_dcache(o->type) && o->attr->cache.depth <= MAX_CACHE_LEVEL &&
		    o->attr->cache.type != HWLOC_OBJ_CACHE_INSTRUCTION)
			t->cache[o->attr->cache.depth] = o->attr->cache.size;
	*out = t;
	return 0;
}

static const struct topo_table *get_table(int *err)
{
	struct topo_table *t = atomic_load_explicit(&table, memory_order_acquire);
	hwloc_topology_t topo;
	int rc = 0;

	if (VMOSAL__LIKELY(t != NULL))
		return t;
	topo = vmosal__topology(&rc);
	if (topo == NULL) {
		*err = rc;
		return NULL;
	}
	vmosal__loader_lock();
	t = atomic_load_explicit(&table, memory_order_relaxed);
	if (t == NULL && (rc = build_table(topo, &t)) == 0)
		atomic_store_explicit(&table, t, memory_order_release);
	vmosal__loader_unlock();
	*err = rc;
	return rc == 0 ? t : NULL;
}

int vmosal_topology_load(void)
{
	int rc = 0;
	return get_table(&rc) != NULL ? 0 : rc;
}

int vmosal_topology_counts(struct vmosal_topology_counts *out)
{
	const struct topo_table *t;
	int rc = 0;

	if (vmosal__struct_out_check(out, VMOSAL__MIN_TOPOLOGY_COUNTS) != 0)
		return VMOSAL_EINVAL;
	if ((t = get_table(&rc)) == NULL)
		return rc;
	vmosal__struct_out(out, &t->counts, sizeof t->counts);
	return 0;
}

int vmosal_topology_pu(size_t index, struct vmosal_pu_info *out)
{
	const struct topo_table *t;
	int rc = 0;

	if (vmosal__struct_out_check(out, VMOSAL__MIN_PU_INFO) != 0)
		return VMOSAL_EINVAL;
	if ((t = get_table(&rc)) == NULL)
		return rc;
	if (index >= t->counts.pus)
		return VMOSAL_ERANGE;
	vmosal__struct_out(out, &t->pus[index], sizeof t->pus[index]);
	return 0;
}

int vmosal_topology_cache_size(unsigned level, uint64_t *bytes)
{
	const struct topo_table *t;
	int rc = 0;

	if (bytes == NULL || level < 1 || level > MAX_CACHE_LEVEL)
		return VMOSAL_EINVAL;
	if ((t = get_table(&rc)) == NULL)
		return rc;
	if (t->cache[level] == 0)
		return VMOSAL_ENOENT;
	*bytes = t->cache[level];
	return 0;
}

/* The CPUs the process may run on now: its binding, which hwloc reads as
 * the union over its threads (topology.h promises that). NULL when that cannot be read or the topology describes
 * another machine (XML), where every PU in the topology counts. */
static hwloc_bitmap_t process_cpus(hwloc_topology_t topo)
{
	hwloc_bitmap_t set;

	if (!hwloc_topology_is_thissystem(topo))
		return NULL;
	set = hwloc_bitmap_alloc();
	if (set != NULL && hwloc_get_cpubind(topo, set, HWLOC_CPUBIND_PROCESS) != 0) {
		hwloc_bitmap_free(set);
		set = NULL;
	}
	return set;
}

static int check_place_args(size_t n, enum vmosal_placement policy, int numa_node, size_t *cpus)
{
	if (cpus == NULL || n == 0 || numa_node < -1 ||
	    (policy != VMOSAL_PLACE_SPREAD && policy != VMOSAL_PLACE_COMPACT))
		return VMOSAL_EINVAL;
	return 0;
}

/* Fills order[] with the table indexes of the candidate PUs (in `pick`, or
 * all when pick is NULL; in numa_node unless it is -1), in placement order;
 * returns how many. SPREAD ranks each PU among the candidates of its own
 * core, so that a core whose first thread is not a candidate still gets a
 * vCPU before any core gets its second. */
static size_t placement_order(const struct topo_table *t, enum vmosal_placement policy,
			      int numa_node, hwloc_const_bitmap_t pick, uint32_t *order,
			      uint32_t *rank, uint32_t *per_core)
{
	uint32_t max_rank = 0;
	size_t avail = 0;

	for (uint32_t i = 0; i < t->counts.pus; i++) {
		const struct vmosal_pu_info *pu = &t->pus[i];
		bool candidate = (numa_node < 0 || pu->numa_node == numa_node) &&
				 (pick == NULL || hwloc_bitmap_isset(pick, pu->os_index));

		rank[i] = candidate ? per_core[pu->core]++ : UINT32_MAX;
		if (candidate && rank[i] > max_rank)
			max_rank = rank[i];
	}
	if (policy == VMOSAL_PLACE_COMPACT)
		max_rank = 0;
	for (uint32_t r = 0; r <= max_rank; r++)
		for (uint32_t i = 0; i < t->counts.pus; i++)
			if (rank[i] != UINT32_MAX && (policy == VMOSAL_PLACE_COMPACT || rank[i] == r))
				order[avail++] = i;
	return avail;
}

/* Places n vCPUs on the candidates in pick (NULL: every PU). */
static int place(const struct topo_table *t, size_t n, enum vmosal_placement policy,
		 int numa_node, hwloc_const_bitmap_t pick, size_t *cpus)
{
	uint32_t *order, *rank, *per_core, cores = 0;
	size_t avail;
	bool node_found = numa_node < 0;

	for (uint32_t i = 0; i < t->counts.pus && !node_found; i++)
		node_found = t->pus[i].numa_node == numa_node;
	if (!node_found)
		return VMOSAL_ENOENT;
	/* A PU outside any core counts as its own core (fill_pu). */
	for (uint32_t i = 0; i < t->counts.pus; i++)
		if (t->pus[i].core >= cores)
			cores = t->pus[i].core + 1;
	order = malloc(((size_t)t->counts.pus * 2 + cores + 1) * sizeof *order);
	if (order == NULL)
		return VMOSAL_ENOMEM;
	rank = order + t->counts.pus;
	per_core = rank + t->counts.pus;
	memset(per_core, 0, ((size_t)cores + 1) * sizeof *per_core);
	avail = placement_order(t, policy, numa_node, pick, order, rank, per_core);
	for (size_t k = 0; avail > 0 && k < n; k++)
		cpus[k] = t->pus[order[k % avail]].os_index;
	free(order);
	return avail > 0 ? 0 : VMOSAL_ENOENT;
}

int vmosal_topology_place(size_t n, enum vmosal_placement policy, int numa_node, size_t *cpus)
{
	const struct topo_table *t;
	hwloc_bitmap_t usable;
	int rc = check_place_args(n, policy, numa_node, cpus);

	if (rc != 0 || (t = get_table(&rc)) == NULL)
		return rc;
	usable = process_cpus(vmosal__topology(NULL));
	rc = place(t, n, policy, numa_node, usable, cpus);
	hwloc_bitmap_free(usable);
	return rc;
}

int vmosal_topology_place_within(size_t n, enum vmosal_placement policy, int numa_node,
				 const size_t *within, size_t nwithin, size_t *cpus)
{
	const struct topo_table *t;
	hwloc_topology_t topo;
	hwloc_const_bitmap_t machine;
	hwloc_bitmap_t pick, usable;
	int rc = check_place_args(n, policy, numa_node, cpus);

	if (rc == 0 && (within == NULL || nwithin == 0))
		rc = VMOSAL_EINVAL;
	if (rc != 0 || (t = get_table(&rc)) == NULL)
		return rc;
	topo = vmosal__topology(NULL);
	machine = hwloc_topology_get_complete_cpuset(topo);
	for (size_t i = 0; i < nwithin; i++)
		if (within[i] > (size_t)INT_MAX || !hwloc_bitmap_isset(machine, (unsigned)within[i]))
			return VMOSAL_ERANGE;
	pick = vmosal__cpuset_of(within, nwithin);
	if (pick == NULL)
		return VMOSAL_ENOMEM;
	usable = process_cpus(topo);
	if (usable != NULL)
		hwloc_bitmap_and(pick, pick, usable);
	rc = place(t, n, policy, numa_node, pick, cpus);
	hwloc_bitmap_free(usable);
	hwloc_bitmap_free(pick);
	return rc;
}
