/* Threads and topology against the raw calls they wrap. */
#include "config.h"

#include <hwloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "vmosal.h"

static size_t cpu_a, cpu_b;
static hwloc_topology_t raw_topo;

static void lib_self(void *arg, uint64_t n)
{
	vmosal_tid_t tid;

	(void)arg;
	for (uint64_t i = 0; i < n; i++) {
		vmosal_thread_self(&tid);
		BENCH_KEEP(tid);
	}
}

static void raw_gettid(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++)
		BENCH_KEEP(syscall(SYS_gettid));
}

/* arg: the target's tid (pid_t), 0 for the calling thread. */
static void lib_affinity_to_a(void *arg, uint64_t n)
{
	vmosal_tid_t tid = (vmosal_tid_t)*(const pid_t *)arg;

	for (uint64_t i = 0; i < n; i++)
		vmosal_thread_set_affinity(tid, &cpu_a, 1);
}

static void raw_affinity_to_a(void *arg, uint64_t n)
{
	pid_t tid = *(const pid_t *)arg;
	cpu_set_t set;

	for (uint64_t i = 0; i < n; i++) {
		CPU_ZERO(&set);
		CPU_SET(cpu_a, &set);
		sched_setaffinity(tid, sizeof set, &set);
	}
}

static void hwloc_affinity_same(void *arg, uint64_t n)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	(void)arg;
	for (uint64_t i = 0; i < n; i++) {
		hwloc_bitmap_only(set, (unsigned)cpu_a);
		hwloc_set_thread_cpubind(raw_topo, pthread_self(), set, HWLOC_CPUBIND_THREAD);
	}
	hwloc_bitmap_free(set);
}

static void lib_affinity_move(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++)
		vmosal_thread_set_affinity(0, i & 1 ? &cpu_a : &cpu_b, 1);
}

static void raw_affinity_move(void *arg, uint64_t n)
{
	cpu_set_t set;
	(void)arg;
	for (uint64_t i = 0; i < n; i++) {
		CPU_ZERO(&set);
		CPU_SET(i & 1 ? cpu_a : cpu_b, &set);
		sched_setaffinity(0, sizeof set, &set);
	}
}

/* The calling thread, and another thread of the process (parked), for
 * which libvmosal first checks that the tid is one of ours: the raw call
 * would act on any task of the system. */
static pid_t self_tid;
static _Atomic pid_t other_tid, ours_tid;

static void *park(void *arg)
{
	atomic_store((_Atomic pid_t *)arg, (pid_t)syscall(SYS_gettid));
	pause();
	return NULL;
}

/* The raw recipe "tgkill(pid, tid, 0), then the call": one system call
 * to check that tid is ours, with the pid kept. */
static void raw_checked_affinity_to_a(void *arg, uint64_t n)
{
	pid_t tid = *(const pid_t *)arg, pid = getpid();
	cpu_set_t set;

	for (uint64_t i = 0; i < n; i++) {
		CPU_ZERO(&set);
		CPU_SET(cpu_a, &set);
		if (syscall(SYS_tgkill, (long)pid, (long)tid, 0L) == 0)
			sched_setaffinity(tid, sizeof set, &set);
	}
}

/* ---- pinned, named thread create+join ---- */

static void *lib_empty(void *arg)
{
	return arg;
}

static void lib_create_pinned_named(void *arg, uint64_t n)
{
	struct vmosal_thread_opts o = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	vmosal_thread_t *t;

	(void)arg;
	o.name = "bench-vcpu";
	o.cpus = &cpu_a;
	o.ncpus = 1;
	for (uint64_t i = 0; i < n; i++)
		if (vmosal_thread_create(&o, lib_empty, NULL, &t) == 0)
			vmosal_thread_join(t, NULL);
}

/* The like-for-like recipe: the CPU set as a pthread attribute (glibc
 * applies it before the thread runs and returns its error), and the thread
 * names itself before its work. */
static void *raw_named_start(void *arg)
{
	prctl(PR_SET_NAME, "bench-vcpu", 0, 0, 0);
	return arg;
}

static void raw_create_pinned_named(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++) {
		pthread_attr_t attr;
		pthread_t t;
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu_a, &set);
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof set, &set);
		if (pthread_create(&t, &attr, raw_named_start, NULL) == 0)
			pthread_join(t, NULL);
		pthread_attr_destroy(&attr);
	}
}

static void lib_priority(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++)
		vmosal_thread_set_priority(0, VMOSAL_PRIORITY_NORMAL);
}

/* What libvmosal does for a thread in SCHED_OTHER: read the class (it may
 * have been changed from outside), then set the nice value. */
static void raw_priority(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++) {
		BENCH_KEEP(sched_getscheduler(0));
		setpriority(PRIO_PROCESS, 0, 0);
	}
}

static void raw_setpriority_only(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++)
		setpriority(PRIO_PROCESS, 0, 0);
}

static void lib_counts(void *arg, uint64_t n)
{
	struct vmosal_topology_counts c = VMOSAL_STRUCT_INIT(struct vmosal_topology_counts);
	(void)arg;
	for (uint64_t i = 0; i < n; i++) {
		vmosal_topology_counts(&c);
		BENCH_KEEP(c.pus);
	}
}

static void raw_counts(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++)
		BENCH_KEEP(hwloc_get_nbobjs_by_type(raw_topo, HWLOC_OBJ_PU));
}

static double ns_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* First load in a fresh process: vmosal's (which == 0) or bare hwloc's
 * default init+load. Reports ns, and 1 in *moved if the caller's CPU set
 * changed during the load. */
static double first_load_ns(int which, int *moved)
{
	int fds[2];
	double r[2] = {0, 0};
	pid_t pid;

	if (pipe(fds) != 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		cpu_set_t before, after;
		double t0;
		hwloc_topology_t topo;

		sched_getaffinity(0, sizeof before, &before);
		t0 = ns_now();
		if (which == 0) {
			vmosal_topology_load();
		} else {
			hwloc_topology_init(&topo);
			hwloc_topology_load(topo);
		}
		r[0] = ns_now() - t0;
		sched_getaffinity(0, sizeof after, &after);
		r[1] = CPU_EQUAL(&before, &after) ? 0 : 1;
		if (write(fds[1], r, sizeof r) != (ssize_t)sizeof r)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], r, sizeof r) != (ssize_t)sizeof r)
		r[0] = 0;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	*moved |= r[1] != 0;
	return r[0];
}

static void first_load_case(void)
{
	enum { RUNS = 15 };
	double lib[RUNS], raw[RUNS], lib_med, raw_med;
	int moved = 0;

	/* Alternate, so drift hits both alike. vmosal_init first: the backend
	 * load is not topology work. */
	for (int i = 0; i < RUNS; i++) {
		lib[i] = first_load_ns(0, &moved);
		raw[i] = first_load_ns(1, &moved);
	}
	lib_med = bench_median(lib, RUNS);
	raw_med = bench_median(raw, RUNS);
	printf("%-44s %10.0f ns   %-30s %10.0f ns   ratio %.2f (target <= 1.10)%s\n",
	       "first topology load (fresh process)", lib_med, "hwloc_topology_init+load",
	       raw_med, lib_med / raw_med, moved ? "  CALLER MIGRATED" : "");
}

int main(void)
{
	size_t mine[4096], n = 0;

	bench_need_backend("bench_thread");
	if (vmosal_thread_get_affinity(0, mine, 4096, &n) != 0) {
		fprintf(stderr, "bench_thread: cannot read the affinity mask\n");
		return 1;
	}
	first_load_case();
	bench_begin("threads and topology");
	cpu_a = mine[0];
	cpu_b = mine[n > 1 ? 1 : 0];
	hwloc_topology_init(&raw_topo);
	hwloc_topology_set_flags(raw_topo, HWLOC_TOPOLOGY_FLAG_DONT_CHANGE_BINDING);
	hwloc_topology_load(raw_topo);
	vmosal_topology_load();
	/* Settle on cpu_a first, so "same CPU" cases never include a move. */
	vmosal_thread_set_affinity(0, &cpu_a, 1);
	raw_affinity_to_a(&self_tid, 1000);

	bench_run(&(struct bench_case){"thread_self (cached)", lib_self, "gettid syscall",
				       raw_gettid, NULL, 0, 0.1, 0});
	bench_run(&(struct bench_case){"set_affinity, same CPU", lib_affinity_to_a,
				       "sched_setaffinity", raw_affinity_to_a, &self_tid, 0, 1.05,
				       0});
	bench_run(&(struct bench_case){"set_affinity, same CPU", lib_affinity_to_a,
				       "hwloc_set_thread_cpubind", hwloc_affinity_same, &self_tid,
				       0, 1.05, 0});
	bench_run(&(struct bench_case){"set_priority NORMAL", lib_priority,
				       "sched_getscheduler+setpriority", raw_priority, NULL, 0, 1.05,
				       0});
	/* Not like for like: the raw side skips the class read that makes a
	 * class set from outside visible. */
	bench_run(&(struct bench_case){"set_priority NORMAL", lib_priority,
				       "setpriority alone (informational: no class read)",
				       raw_setpriority_only, NULL, 0, 0, 0});
	bench_run(&(struct bench_case){"topology_counts (cached)", lib_counts,
				       "hwloc_get_nbobjs_by_type", raw_counts, NULL, 0, 0,
				       20});
	bench_run(&(struct bench_case){"thread create+join, pinned+named",
				       lib_create_pinned_named,
				       "pthread_attr_setaffinity_np+create, self-named",
				       raw_create_pinned_named, NULL, 0, 1.05, 0});
	{
		pthread_t parked;
		vmosal_thread_t *ours;
		pid_t other;
		vmosal_tid_t known;

		/* A thread libvmosal started: known to be ours, no check. */
		if (vmosal_thread_create(NULL, park, &ours_tid, &ours) == 0 &&
		    vmosal_thread_tid(ours, &known) == 0) {
			pid_t tid = (pid_t)known;

			bench_run(&(struct bench_case){"set_affinity, a thread libvmosal started",
						       lib_affinity_to_a, "sched_setaffinity(tid)",
						       raw_affinity_to_a, &tid, 0, 1.10, 0});
			/* park() never returns: the process ends with it. */
		}
		if (pthread_create(&parked, NULL, park, &other_tid) == 0) {
			while ((other = atomic_load(&other_tid)) == 0)
				sched_yield();
			bench_run(&(struct bench_case){"set_affinity, a thread of its own",
						       lib_affinity_to_a,
						       "tgkill(pid,tid,0)+sched_setaffinity",
						       raw_checked_affinity_to_a, &other, 0, 1.05,
						       0});
			/* Not like for like: the raw call checks nothing, and
			 * would act on any task of the system. */
			bench_run(&(struct bench_case){
				"set_affinity, a thread of its own", lib_affinity_to_a,
				"sched_setaffinity(tid) (informational: no check)",
				raw_affinity_to_a, &other, 0, 0, 0});
			pthread_cancel(parked);
			pthread_join(parked, NULL);
		}
	}
	if (cpu_a != cpu_b)
		bench_run(&(struct bench_case){"set_affinity, moving between 2 CPUs",
					       lib_affinity_move, "sched_setaffinity",
					       raw_affinity_move, NULL, 0, 1.05, 0});
	hwloc_topology_destroy(raw_topo);
	return bench_end();
}
