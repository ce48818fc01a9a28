/* The process's one hwloc topology, loaded lazily and shared by every core
 * module that needs it (topology queries, binding fallback, NUMA). */
#include "config.h"

#include <hwloc.h>

#include "internal.h"

static _Atomic(hwloc_topology_t) loaded_topology;

/* Loads without moving the calling thread: hwloc's default x86 discovery
 * binds the caller to every CPU in turn, which a vCPU thread must never see.
 * XML input (HWLOC_XMLFILE, used by the tests) is honoured by hwloc itself. */
static int load_topology(hwloc_topology_t *out)
{
	hwloc_topology_t topo;

	if (hwloc_topology_init(&topo) != 0)
		return VMOSAL_ENOMEM;
	hwloc_topology_set_flags(topo, HWLOC_TOPOLOGY_FLAG_DONT_CHANGE_BINDING);
	/* Devices (PCI, GPUs, OpenCL) are not CPU topology and cost milliseconds. */
	hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE);
	if (hwloc_topology_load(topo) != 0) {
		hwloc_topology_destroy(topo);
		return VMOSAL_EIO;
	}
	*out = topo;
	return 0;
}

struct hwloc_topology *vmosal__topology(int *err)
{
	hwloc_topology_t topo = atomic_load_explicit(&loaded_topology, memory_order_acquire);
	int rc = 0;

	if (VMOSAL__LIKELY(topo != NULL))
		return topo;
	if (vmosal__loader_reentry()) {
		if (err != NULL)
			*err = VMOSAL_EBACKEND;
		return NULL;
	}
	vmosal__loader_lock();
	topo = atomic_load_explicit(&loaded_topology, memory_order_relaxed);
	if (topo == NULL) {
		rc = load_topology(&topo);
		if (rc == 0)
			atomic_store_explicit(&loaded_topology, topo, memory_order_release);
	}
	vmosal__loader_unlock();
	if (rc != 0 && err != NULL)
		*err = rc;
	return rc == 0 ? topo : NULL;
}

struct hwloc_bitmap_s *vmosal__cpuset_of(const size_t *cpus, size_t n)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();

	for (size_t i = 0; set != NULL && i < n; i++)
		if (hwloc_bitmap_set(set, (unsigned)cpus[i]) != 0) {
			hwloc_bitmap_free(set);
			set = NULL;
		}
	return set;
}
