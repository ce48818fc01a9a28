/* Topology and placement: on the host, and on hwloc XML topologies of big
 * machines kept in tests/topologies (each test is its own forked process,
 * so each loads the topology it chooses). Built for every host: a case
 * that needs what Windows lacks (fork, /proc) skips there, saying what. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <dirent.h>
#include <sched.h>
#endif

#include "testutil.h"
#include "vmosal.h"

#ifdef _WIN32
/* The calling thread's processor group and mask, which tests change: each
 * test gets the thread back as the first had it (one process runs all). */
static GROUP_AFFINITY saved_affinity;

static void affinity_save(void)
{
	ck_assert(GetThreadGroupAffinity(GetCurrentThread(), &saved_affinity));
}

static void affinity_restore(void)
{
	SetThreadGroupAffinity(GetCurrentThread(), &saved_affinity, NULL);
}
#endif

#ifndef _WIN32
/* Points hwloc at tests/topologies/<name> before the first topology use. */
static void use_xml(const char *name)
{
	const char *dir = getenv("VMOSAL_TEST_SRCDIR");
	char path[4096];

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/topologies/%s", dir, name);
	ck_assert_int_eq(setenv("HWLOC_XMLFILE", path, 1), 0);
	ck_assert_int_eq(setenv("HWLOC_THISSYSTEM", "0", 1), 0);
}

static struct vmosal_pu_info pu_of_os(size_t os)
{
	struct vmosal_topology_counts c = VMOSAL_STRUCT_INIT(struct vmosal_topology_counts);
	struct vmosal_pu_info pu = VMOSAL_STRUCT_INIT(struct vmosal_pu_info);

	ck_assert_int_eq(vmosal_topology_counts(&c), 0);
	for (uint32_t i = 0; i < c.pus; i++) {
		ck_assert_int_eq(vmosal_topology_pu(i, &pu), 0);
		if (pu.os_index == os)
			return pu;
	}
	ck_abort_msg("CPU %zu not in the topology", os);
	return pu;
}
#endif

START_TEST(test_host_counts_are_consistent)
{
	struct vmosal_topology_counts c = VMOSAL_STRUCT_INIT(struct vmosal_topology_counts);
	struct vmosal_pu_info pu = VMOSAL_STRUCT_INIT(struct vmosal_pu_info);
	size_t usable = 0;

	ck_assert_int_eq(vmosal_topology_load(), 0);
	ck_assert_int_eq(vmosal_topology_counts(&c), 0);
	ck_assert_uint_ge(c.packages, 1);
	ck_assert_uint_ge(c.numa_nodes, 1);
	ck_assert_uint_ge(c.cores, c.packages);
	ck_assert_uint_ge(c.pus, c.cores);
	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_USABLE, &usable), 0);
	ck_assert_uint_ge(c.pus, usable);
	for (uint32_t i = 0; i < c.pus; i++) {
		ck_assert_int_eq(vmosal_topology_pu(i, &pu), 0);
		ck_assert_uint_lt(pu.core, c.cores);
		ck_assert_uint_lt(pu.package, c.packages);
	}
	ck_assert_int_eq(vmosal_topology_pu(c.pus, &pu), VMOSAL_ERANGE);
}
END_TEST

/* hwloc's default discovery binds the caller to each CPU in turn; ours must
 * leave a pinned caller exactly where it was. */
START_TEST(test_load_never_moves_the_caller)
{
	size_t cpus[4096], n = 0, last, after[4096], nafter = 0, now = 0;

	ck_assert_int_eq(vmosal_thread_get_affinity(0, cpus, 4096, &n), 0);
	last = cpus[n - 1];
	ck_assert_int_eq(vmosal_thread_set_affinity(0, &last, 1), 0);
	ck_assert_int_eq(vmosal_topology_load(), 0);
	ck_assert_int_eq(vmosal_thread_get_affinity(0, after, 4096, &nafter), 0);
	ck_assert_uint_eq(nafter, 1);
	ck_assert_uint_eq(after[0], last);
	ck_assert_int_eq(vmosal_thread_current_cpu(&now), 0);
	ck_assert_uint_eq(now, last);
}
END_TEST

#ifndef _WIN32
struct watch {
	vmosal_tid_t target;
	atomic_bool done;
	atomic_int changes;
	atomic_long samples;
};

/* Samples the target thread's mask as fast as it can until told to stop,
 * counting the samples that differ from the mask it had at the start. */
static void *watch_mask(void *arg)
{
	struct watch *w = arg;
	size_t first[4096], n0 = 0, now[4096], n = 0;

	ck_assert_int_eq(vmosal_thread_get_affinity(w->target, first, 4096, &n0), 0);
	while (!atomic_load(&w->done)) {
		if (vmosal_thread_get_affinity(w->target, now, 4096, &n) == 0 &&
		    (n != n0 || memcmp(now, first, n * sizeof now[0]) != 0))
			atomic_fetch_add(&w->changes, 1);
		atomic_fetch_add(&w->samples, 1);
	}
	return NULL;
}

/* Not even for an instant: hwloc's x86 discovery, unless told not to,
 * binds the loading thread to each CPU in turn and then restores its mask,
 * which a test reading the mask only afterwards would never see, and which
 * would undo a change another thread made meanwhile. */
START_TEST(test_load_never_touches_the_callers_mask)
{
	struct watch w = {.target = vmosal_test_self()};
	vmosal_thread_t *t;
	size_t n = 0;

	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_USABLE, &n), 0);
	if (n < 2)
		VMOSAL_SKIP("needs 2 usable CPUs for a binding change to show");
	ck_assert_int_eq(vmosal_thread_create(NULL, watch_mask, &w, &t), 0);
	while (atomic_load(&w.samples) == 0)
		;
	ck_assert_int_eq(vmosal_topology_load(), 0);
	atomic_store(&w.done, true);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_msg(atomic_load(&w.changes) == 0,
		      "the loading thread's mask changed in %d of %ld samples",
		      atomic_load(&w.changes), atomic_load(&w.samples));
}
END_TEST

#else
POSIX_ONLY(test_load_never_touches_the_callers_mask,
	   "fork: the case before loaded the topology in this process")
#endif

static void *park_until_done(void *arg)
{
	while (!atomic_load((atomic_bool *)arg))
		vmosal_cpu_relax();
	return NULL;
}

/* The set placement uses is the union of every thread's mask, as
 * topology.h says: the caller pinning itself does not shrink it. */
START_TEST(test_host_placement_uses_the_union_of_masks)
{
	struct vmosal_thread_opts o = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	size_t mine[4096], n = 0, placed[2];
	atomic_bool done = false;
	vmosal_thread_t *t;

	ck_assert_int_eq(vmosal_thread_get_affinity(0, mine, 4096, &n), 0);
	if (n < 2)
		VMOSAL_SKIP("needs 2 usable CPUs");
	o.cpus = &mine[0];
	o.ncpus = 1;
	ck_assert_int_eq(vmosal_thread_create(&o, park_until_done, &done, &t), 0);
	ck_assert_int_eq(vmosal_thread_set_affinity(0, &mine[1], 1), 0);
	ck_assert_int_eq(vmosal_topology_place(2, VMOSAL_PLACE_COMPACT, -1, placed), 0);
	atomic_store(&done, true);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert((placed[0] == mine[0] && placed[1] == mine[1]) ||
		  (placed[0] == mine[1] && placed[1] == mine[0]));
}
END_TEST

#ifndef _WIN32
/* Binds every thread but the caller to cpus[0..n). */
static void bind_other_threads(const size_t *cpus, size_t n)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	cpu_set_t set;

	ck_assert_ptr_nonnull(d);
	CPU_ZERO(&set);
	for (size_t i = 0; i < n; i++)
		CPU_SET(cpus[i], &set);
	while ((de = readdir(d)) != NULL) {
		vmosal_tid_t tid = (vmosal_tid_t)strtoul(de->d_name, NULL, 10);

		if (tid != 0 && tid != vmosal_test_self())
			ck_assert_int_eq(sched_setaffinity((pid_t)tid, sizeof set, &set), 0);
	}
	closedir(d);
}

/* CPUs the process may not use are never placed on, even when asked for. */
START_TEST(test_host_placement_uses_usable_cpus)
{
	size_t mine[4096], n = 0, placed[8];

	ck_assert_int_eq(vmosal_thread_get_affinity(0, mine, 4096, &n), 0);
	if (n < 2)
		VMOSAL_SKIP("needs 2 usable CPUs");
	/* Restrict the whole process to one CPU: this thread, and any other a
	 * sanitizer's runtime runs, as the process's binding joins them all. */
	ck_assert_int_eq(vmosal_thread_set_affinity(0, &mine[1], 1), 0);
	bind_other_threads(&mine[1], 1);
	ck_assert_int_eq(vmosal_topology_place(8, VMOSAL_PLACE_SPREAD, -1, placed), 0);
	for (size_t i = 0; i < 8; i++)
		ck_assert_uint_eq(placed[i], mine[1]);
	memset(placed, 0xff, sizeof placed);
	ck_assert_int_eq(vmosal_topology_place_within(8, VMOSAL_PLACE_SPREAD, -1, mine, n, placed),
			 0);
	for (size_t i = 0; i < 8; i++)
		ck_assert_uint_eq(placed[i], mine[1]);
	ck_assert_int_eq(vmosal_topology_place_within(1, VMOSAL_PLACE_SPREAD, -1, mine, 1, placed),
			 VMOSAL_ENOENT);
	bind_other_threads(mine, n);
}
END_TEST

#else
POSIX_ONLY(test_host_placement_uses_usable_cpus, "/proc/self/task, to bind every other thread")

/* The mask set is the one read back, and the thread runs there. */
START_TEST(test_affinity_round_trip)
{
	size_t online = 0, cpus[64], n = 0, last;

	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_ONLINE, &online), 0);
	last = online - 1;
	ck_assert_int_eq(vmosal_thread_set_affinity(VMOSAL_TID_SELF, &last, 1), 0);
	ck_assert_int_eq(vmosal_thread_get_affinity(VMOSAL_TID_SELF, cpus, 64, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(cpus[0], last);
	Sleep(1); /* the next quantum runs where the mask says */
	ck_assert_uint_eq(GetCurrentProcessorNumber(), last);
}
END_TEST

#endif

#ifndef _WIN32
START_TEST(test_xml_big_machine_counts)
{
	struct vmosal_topology_counts c = VMOSAL_STRUCT_INIT(struct vmosal_topology_counts);
	struct vmosal_pu_info pu = VMOSAL_STRUCT_INIT(struct vmosal_pu_info);
	uint64_t bytes = 0;

	use_xml("2pkg-64core-smt2-4numa.xml");
	ck_assert_int_eq(vmosal_topology_counts(&c), 0);
	ck_assert_uint_eq(c.packages, 2);
	ck_assert_uint_eq(c.numa_nodes, 4);
	ck_assert_uint_eq(c.cores, 64);
	ck_assert_uint_eq(c.pus, 128);
	pu = pu_of_os(3);
	ck_assert_uint_eq(pu.core, 1);
	ck_assert_uint_eq(pu.smt_rank, 1);
	ck_assert_uint_eq(pu.package, 0);
	ck_assert_uint_eq(pu.numa_node, 0);
	pu = pu_of_os(64);
	ck_assert_uint_eq(pu.core, 32);
	ck_assert_uint_eq(pu.smt_rank, 0);
	ck_assert_uint_eq(pu.package, 1);
	ck_assert_uint_eq(pu.numa_node, 2);
	pu = pu_of_os(127);
	ck_assert_uint_eq(pu.numa_node, 3);
	ck_assert_uint_eq(pu.smt_rank, 1);
	ck_assert_int_eq(vmosal_topology_cache_size(1, &bytes), 0);
	ck_assert_uint_eq(bytes, 48000);
	ck_assert_int_eq(vmosal_topology_cache_size(2, &bytes), 0);
	ck_assert_uint_eq(bytes, 1000000);
	ck_assert_int_eq(vmosal_topology_cache_size(3, &bytes), 0);
	ck_assert_uint_eq(bytes, 32000000);
	ck_assert_int_eq(vmosal_topology_cache_size(4, &bytes), VMOSAL_ENOENT);
}
END_TEST

START_TEST(test_xml_spread_avoids_siblings)
{
	size_t cpus[130];
	bool core_used[64] = {false};

	use_xml("2pkg-64core-smt2-4numa.xml");
	ck_assert_int_eq(vmosal_topology_place(130, VMOSAL_PLACE_SPREAD, -1, cpus), 0);
	/* The first 64 vCPUs get 64 distinct physical cores: the seed's
	 * vcpu_id % num_cpus would have put vCPUs 0 and 1 on siblings. */
	for (size_t i = 0; i < 64; i++) {
		struct vmosal_pu_info pu = pu_of_os(cpus[i]);
		ck_assert_uint_eq(pu.smt_rank, 0);
		ck_assert(!core_used[pu.core]);
		core_used[pu.core] = true;
	}
	/* Then the siblings, then it wraps. */
	for (size_t i = 64; i < 128; i++)
		ck_assert_uint_eq(pu_of_os(cpus[i]).smt_rank, 1);
	ck_assert_uint_eq(cpus[128], cpus[0]);
	ck_assert_uint_eq(cpus[129], cpus[1]);
}
END_TEST

START_TEST(test_xml_compact_and_numa)
{
	size_t cpus[16];
	bool core_used[64] = {false};

	use_xml("2pkg-64core-smt2-4numa.xml");
	ck_assert_int_eq(vmosal_topology_place(4, VMOSAL_PLACE_COMPACT, -1, cpus), 0);
	ck_assert_uint_eq(cpus[0], 0);
	ck_assert_uint_eq(cpus[1], 1);
	ck_assert_uint_eq(cpus[2], 2);
	ck_assert_uint_eq(cpus[3], 3);
	ck_assert_int_eq(vmosal_topology_place(16, VMOSAL_PLACE_SPREAD, 2, cpus), 0);
	for (size_t i = 0; i < 16; i++) {
		struct vmosal_pu_info pu = pu_of_os(cpus[i]);
		ck_assert_uint_eq(pu.numa_node, 2);
		ck_assert(!core_used[pu.core]);
		core_used[pu.core] = true;
	}
	ck_assert_int_eq(vmosal_topology_place(1, VMOSAL_PLACE_SPREAD, 4, cpus), VMOSAL_ENOENT);
}
END_TEST

/* Given CPUs 0 and 1 (core 0), 3 (core 1) and 5 (core 2), SPREAD puts
 * three vCPUs on three cores before the sibling 1: cores 1 and 2 count as
 * free although their first threads (2, 4) are not in the set. */
START_TEST(test_xml_place_within_counts_cores_in_the_set)
{
	const size_t within[] = {5, 3, 1, 0, 3};
	size_t cpus[5];
	const size_t spread[] = {0, 3, 5, 1, 0}, compact[] = {0, 1, 3, 5};

	use_xml("2pkg-64core-smt2-4numa.xml");
	ck_assert_int_eq(vmosal_topology_place_within(5, VMOSAL_PLACE_SPREAD, -1, within, 5, cpus),
			 0);
	ck_assert_mem_eq(cpus, spread, sizeof spread);
	ck_assert_int_eq(vmosal_topology_place_within(4, VMOSAL_PLACE_COMPACT, -1, within, 5, cpus),
			 0);
	ck_assert_mem_eq(cpus, compact, sizeof compact);
	/* All of them sit on NUMA node 0. */
	ck_assert_int_eq(vmosal_topology_place_within(1, VMOSAL_PLACE_SPREAD, 0, within, 5, cpus),
			 0);
	ck_assert_int_eq(vmosal_topology_place_within(1, VMOSAL_PLACE_SPREAD, 2, within, 5, cpus),
			 VMOSAL_ENOENT);
	ck_assert_int_eq(vmosal_topology_place_within(1, VMOSAL_PLACE_SPREAD, 4, within, 5, cpus),
			 VMOSAL_ENOENT);
}
END_TEST

START_TEST(test_xml_4096_pus)
{
	struct vmosal_topology_counts c = VMOSAL_STRUCT_INIT(struct vmosal_topology_counts);
	static size_t cpus[4096];
	static bool core_used[2048];
	struct vmosal_pu_info pu = VMOSAL_STRUCT_INIT(struct vmosal_pu_info);

	use_xml("4096pu.xml");
	ck_assert_int_eq(vmosal_topology_counts(&c), 0);
	ck_assert_uint_eq(c.pus, 4096);
	ck_assert_uint_eq(c.cores, 2048);
	ck_assert_uint_eq(c.packages, 8);
	ck_assert_uint_eq(c.numa_nodes, 16);
	ck_assert_int_eq(vmosal_topology_pu(4095, &pu), 0);
	ck_assert_uint_eq(pu.os_index, 4095);
	ck_assert_uint_eq(pu.package, 7);
	ck_assert_uint_eq(pu.numa_node, 15);
	ck_assert_int_eq(vmosal_topology_place(2048, VMOSAL_PLACE_SPREAD, -1, cpus), 0);
	for (size_t i = 0; i < 2048; i++) {
		ck_assert_int_eq(vmosal_topology_pu(0, &pu), 0);
		ck_assert(cpus[i] < 4096);
		ck_assert(cpus[i] % 2 == 0); /* synthetic: siblings are 2k, 2k+1 */
		ck_assert(!core_used[cpus[i] / 2]);
		core_used[cpus[i] / 2] = true;
	}
}
END_TEST

#else
/* hwloc reads HWLOC_XMLFILE at the first load, once per process. */
POSIX_ONLY(test_xml_big_machine_counts, "fork, for a process per XML topology")
POSIX_ONLY(test_xml_spread_avoids_siblings, "fork, for a process per XML topology")
POSIX_ONLY(test_xml_compact_and_numa, "fork, for a process per XML topology")
POSIX_ONLY(test_xml_place_within_counts_cores_in_the_set,
	   "fork, for a process per XML topology")
POSIX_ONLY(test_xml_4096_pus, "fork, for a process per XML topology")
#endif

static Suite *topology_suite(void)
{
	Suite *s = suite_create("topology");
	TCase *host = tcase_create("host");
	TCase *xml = tcase_create("xml");

	/* A test that moves the caller gets it back as it was. The topology is
	 * read once per process: a test that loads its own (an XML machine) or
	 * watches the first load needs a fresh process. */
#ifdef _WIN32
	/* One process runs every case: the first one is the first load. */
	tcase_add_checked_fixture(host, affinity_save, affinity_restore);
	tcase_add_test(host, test_load_never_moves_the_caller);
	tcase_add_test(host, test_host_counts_are_consistent);
	tcase_add_test(host, test_load_never_touches_the_callers_mask);
	tcase_add_test(host, test_affinity_round_trip);
	tcase_add_test(host, test_host_placement_uses_usable_cpus);
	tcase_add_test(host, test_host_placement_uses_the_union_of_masks);
	tcase_add_test(xml, test_xml_big_machine_counts);
	tcase_add_test(xml, test_xml_spread_avoids_siblings);
	tcase_add_test(xml, test_xml_compact_and_numa);
	tcase_add_test(xml, test_xml_place_within_counts_cores_in_the_set);
	tcase_add_test(xml, test_xml_4096_pus);
#else
	tcase_add_checked_fixture(host, vmosal_test_sched_save, vmosal_test_sched_restore);
	tcase_add_test(host, test_host_counts_are_consistent);
	vmosal_tcase_add_own_process(host, test_load_never_moves_the_caller);
	vmosal_tcase_add_own_process(host, test_load_never_touches_the_callers_mask);
	tcase_add_test(host, test_host_placement_uses_usable_cpus);
	tcase_add_test(host, test_host_placement_uses_the_union_of_masks);
	vmosal_tcase_add_own_process(xml, test_xml_big_machine_counts);
	vmosal_tcase_add_own_process(xml, test_xml_spread_avoids_siblings);
	vmosal_tcase_add_own_process(xml, test_xml_compact_and_numa);
	vmosal_tcase_add_own_process(xml, test_xml_place_within_counts_cores_in_the_set);
	vmosal_tcase_add_own_process(xml, test_xml_4096_pus);
#endif
	tcase_set_timeout(xml, 60);
	suite_add_tcase(s, host);
	suite_add_tcase(s, xml);
	return s;
}

int main(void)
{
	return vmosal_run_suite(topology_suite());
}
