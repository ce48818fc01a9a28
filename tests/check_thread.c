/* Threads: identity, creation with settings applied first, affinity,
 * priority and names, on the host's real backend. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "vmosal.h"

static size_t my_cpus[4096];

/* The caller's CPUs, for "nothing changed" checks. */
static size_t get_mine(size_t *cpus, size_t cap)
{
	size_t n = 0;
	ck_assert_int_eq(vmosal_thread_get_affinity(0, cpus, cap, &n), 0);
	ck_assert_uint_gt(n, 0);
	return n;
}

START_TEST(test_self_is_cached_and_distinct)
{
	vmosal_tid_t a = vmosal_test_self();

	ck_assert_uint_ne(a, 0);
	ck_assert_uint_eq(vmosal_test_self(), a);
	/* The main thread's kernel tid is the pid. */
	ck_assert_uint_eq(a, (vmosal_tid_t)getpid());
}
END_TEST

/* A forked child's only thread has its own tid, even when the parent's
 * thread had cached its tid before the fork. */
START_TEST(test_self_after_fork)
{
	vmosal_tid_t parent = vmosal_test_self();
	int status = 0;
	pid_t pid;

	ck_assert_uint_eq(parent, (vmosal_tid_t)getpid());
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		vmosal_tid_t child = vmosal_test_self();
		size_t cpu = 0;
		/* A second thread names the child's main thread by its tid. */
		_exit(child == (vmosal_tid_t)getpid() && child != parent &&
			      vmosal_thread_current_cpu(&cpu) == 0 &&
			      vmosal_thread_set_name(child, "forked") == 0
		      ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_uint_eq(vmosal_test_self(), parent);
}
END_TEST

static void *report_self(void *arg)
{
	*(vmosal_tid_t *)arg = vmosal_test_self();
	return arg;
}

START_TEST(test_create_join_and_tid)
{
	vmosal_thread_t *t = NULL;
	vmosal_tid_t seen = 0, tid = 0;
	void *result = NULL;

	ck_assert_int_eq(vmosal_thread_create(NULL, report_self, &seen, &t), 0);
	ck_assert_int_eq(vmosal_thread_tid(t, &tid), 0);
	ck_assert_int_eq(vmosal_thread_join(t, &result), 0);
	ck_assert_ptr_eq(result, &seen);
	ck_assert_uint_eq(seen, tid);
	ck_assert_uint_ne(seen, vmosal_test_self());
}
END_TEST

/* cpus without ncpus is "inherit", as thread.h says, not an error. */
START_TEST(test_create_cpus_without_count_inherits)
{
	struct vmosal_thread_opts o = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	size_t far = (size_t)1 << 40;
	vmosal_thread_t *t = NULL;
	vmosal_tid_t seen = 0;

	o.cpus = &far;
	ck_assert_int_eq(vmosal_thread_create(&o, report_self, &seen, &t), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_uint_ne(seen, 0);
}
END_TEST

struct entry_state {
	size_t cpus[64];
	size_t ncpus;
	size_t cpu_now;
	char name[32];
	enum vmosal_priority prio;
};

/* Records what the thread looks like at its first instruction of user code. */
static void *record_entry(void *arg)
{
	struct entry_state *e = arg;

	vmosal_thread_get_affinity(0, e->cpus, 64, &e->ncpus);
	vmosal_thread_current_cpu(&e->cpu_now);
	vmosal_thread_get_name(0, e->name, sizeof e->name);
	vmosal_thread_get_priority(0, &e->prio);
	return NULL;
}

START_TEST(test_create_applies_settings_before_user_code)
{
	size_t n = get_mine(my_cpus, 4096);
	size_t target = my_cpus[n - 1];
	struct vmosal_thread_opts o = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	struct entry_state e;
	vmosal_thread_t *t;

	memset(&e, 0, sizeof e);
	memset(&o, 0, sizeof o);
	o.struct_size = sizeof o;
	o.name = "vcpu-7";
	o.stack_size = 256 * 1024;
	o.cpus = &target;
	o.ncpus = 1;
	o.set_priority = true;
	o.priority = VMOSAL_PRIORITY_LOW;
	ck_assert_int_eq(vmosal_thread_create(&o, record_entry, &e, &t), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_uint_eq(e.ncpus, 1);
	ck_assert_uint_eq(e.cpus[0], target);
	ck_assert_uint_eq(e.cpu_now, target);
	ck_assert_str_eq(e.name, "vcpu-7");
	ck_assert_int_eq(e.prio, VMOSAL_PRIORITY_LOW);
	/* The creator is untouched. */
	ck_assert_uint_eq(get_mine(my_cpus, 4096), n);
}
END_TEST

START_TEST(test_affinity_of_a_foreign_tid_changes_nothing)
{
	size_t before = get_mine(my_cpus, 4096), after;
	size_t cpus[4096];

	/* pid 1 is a task of the system but not a thread of this process. */
	if (getpid() != 1)
		ck_assert_int_eq(vmosal_thread_set_affinity(1, my_cpus, 1), VMOSAL_ESRCH);
	ck_assert_int_eq(vmosal_thread_set_affinity((vmosal_tid_t)1 << 40, my_cpus, 1),
			 VMOSAL_ESRCH);
	after = get_mine(cpus, 4096);
	ck_assert_uint_eq(after, before);
	ck_assert_mem_eq(cpus, my_cpus, before * sizeof cpus[0]);
}
END_TEST

START_TEST(test_affinity_outside_allowed_set)
{
	struct vmosal_topology_counts c = VMOSAL_STRUCT_INIT(struct vmosal_topology_counts);
	size_t possible = 0, outside = SIZE_MAX, before = get_mine(my_cpus, 4096);

	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_POSSIBLE, &possible), 0);
	ck_assert_int_eq(vmosal_topology_counts(&c), 0);
	/* Look for a possible CPU the topology (the allowed set) leaves out. */
	for (size_t cpu = 0; cpu < possible && outside == SIZE_MAX; cpu++) {
		bool found = false;
		for (uint32_t i = 0; i < c.pus && !found; i++) {
			struct vmosal_pu_info pu = VMOSAL_STRUCT_INIT(struct vmosal_pu_info);
			ck_assert_int_eq(vmosal_topology_pu(i, &pu), 0);
			found = pu.os_index == cpu;
		}
		if (!found)
			outside = cpu;
	}
	if (outside == SIZE_MAX)
		VMOSAL_SKIP("every possible CPU is allowed here: no cpuset restriction to test");
	ck_assert_int_eq(vmosal_thread_set_affinity(0, &outside, 1), VMOSAL_EACCES);
	ck_assert_uint_eq(get_mine(my_cpus, 4096), before);
}
END_TEST

/* Writes a short string to a cgroup file; false when that fails. */
static bool write_cg(const char *dir, const char *file, const char *value)
{
	char path[512];
	FILE *f;
	bool ok;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	f = fopen(path, "w");
	if (f == NULL)
		return false;
	ok = fputs(value, f) >= 0;
	return fclose(f) == 0 && ok;
}

/* Puts this process in a cgroup-v1 cpuset of one CPU, as a container
 * runtime would, and asks for the other CPU. */
START_TEST(test_affinity_outside_cgroup_cpuset)
{
	const char *root = "/sys/fs/cgroup/cpuset";
	char dir[256], mems[64] = "", one[32], pid[32];
	size_t mine[4096], n, other, before;
	FILE *f;
	int rc;

	if (geteuid() != 0 || access(root, W_OK) != 0)
		VMOSAL_SKIP("needs root and a writable cgroup-v1 cpuset hierarchy");
	n = get_mine(mine, 4096);
	if (n < 2)
		VMOSAL_SKIP("needs two usable CPUs");
	snprintf(dir, sizeof dir, "%s/cpuset.mems", root);
	f = fopen(dir, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(mems, sizeof mems, f));
	fclose(f);
	snprintf(dir, sizeof dir, "%s/vmosal-test-%ld", root, (long)getpid());
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	snprintf(one, sizeof one, "%zu", mine[0]);
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	if (!write_cg(dir, "cpuset.mems", mems) || !write_cg(dir, "cpuset.cpus", one) ||
	    !write_cg(dir, "cgroup.procs", pid)) {
		rmdir(dir);
		VMOSAL_SKIP("this cpuset hierarchy refuses a child cgroup");
	}
	/* The topology is read after the move, so it sees the restriction. */
	other = mine[1];
	before = get_mine(mine, 4096);
	rc = vmosal_thread_set_affinity(0, &other, 1);
	n = get_mine(mine, 4096);
	write_cg(root, "cgroup.procs", pid);
	rmdir(dir);
	ck_assert_int_eq(rc, VMOSAL_EACCES);
	ck_assert_uint_eq(n, before);
	ck_assert_uint_eq(mine[0], (size_t)strtoul(one, NULL, 10));
}
END_TEST

static _Atomic int stop_spinning;

static void *spin(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop_spinning))
		;
	return NULL;
}

START_TEST(test_affinity_of_another_thread)
{
	size_t n = get_mine(my_cpus, 4096), got[4096], ngot = 0;
	vmosal_thread_t *t;
	vmosal_tid_t tid;

	ck_assert_int_eq(vmosal_thread_create(NULL, spin, NULL, &t), 0);
	ck_assert_int_eq(vmosal_thread_tid(t, &tid), 0);
	for (size_t i = 0; i < n && i < 4; i++) {
		ck_assert_int_eq(vmosal_thread_set_affinity(tid, &my_cpus[i], 1), 0);
		ck_assert_int_eq(vmosal_thread_get_affinity(tid, got, 4096, &ngot), 0);
		ck_assert_uint_eq(ngot, 1);
		ck_assert_uint_eq(got[0], my_cpus[i]);
	}
	/* Back to every CPU, given out of order and with a duplicate. */
	{
		size_t all[4097];
		for (size_t i = 0; i < n; i++)
			all[i] = my_cpus[n - 1 - i];
		all[n] = my_cpus[0];
		ck_assert_int_eq(vmosal_thread_set_affinity(tid, all, n + 1), 0);
	}
	ck_assert_int_eq(vmosal_thread_get_affinity(tid, got, 4096, &ngot), 0);
	ck_assert_uint_eq(ngot, n);
	ck_assert_mem_eq(got, my_cpus, n * sizeof got[0]);
	atomic_store(&stop_spinning, 1);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
}
END_TEST

START_TEST(test_affinity_moves_the_caller)
{
	size_t n = get_mine(my_cpus, 4096), cpu = SIZE_MAX;

	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(vmosal_thread_set_affinity(vmosal_test_self(), &my_cpus[i], 1), 0);
		ck_assert_int_eq(vmosal_thread_current_cpu(&cpu), 0);
		ck_assert_uint_eq(cpu, my_cpus[i]);
	}
}
END_TEST

START_TEST(test_get_affinity_capacity)
{
	size_t n = get_mine(my_cpus, 4096), needed = 0;

	ck_assert_int_eq(vmosal_thread_get_affinity(0, NULL, 0, &needed), VMOSAL_ERANGE);
	ck_assert_uint_eq(needed, n);
}
END_TEST

/* Linux binds any thread of the process, hard, and has SCHED_FIFO. */
START_TEST(test_affinity_kind)
{
	struct vmosal_host_caps caps = VMOSAL_STRUCT_INIT(struct vmosal_host_caps);

	ck_assert_int_eq(vmosal_host_caps(&caps), 0);
	ck_assert_int_eq(caps.affinity, VMOSAL_AFFINITY_HARD);
	ck_assert(caps.flags & VMOSAL_CAP_AFFINITY_OTHER_THREADS);
	ck_assert(caps.flags & VMOSAL_CAP_REALTIME);
	ck_assert_uint_eq(caps.thread_name_max, 15);
}
END_TEST

START_TEST(test_priority_levels_round_trip)
{
	enum vmosal_priority p;

	ck_assert_int_eq(vmosal_thread_set_priority(0, (enum vmosal_priority)-1), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_thread_set_priority(0, (enum vmosal_priority)4), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_thread_get_priority(0, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_LOW), 0);
	ck_assert_int_eq(vmosal_thread_get_priority(0, &p), 0);
	ck_assert_int_eq(p, VMOSAL_PRIORITY_LOW);
	ck_assert_int_eq(getpriority(PRIO_PROCESS, 0), 10);
	if (geteuid() != 0)
		VMOSAL_SKIP("raising priority needs root");
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_HIGH), 0);
	ck_assert_int_eq(vmosal_thread_get_priority(0, &p), 0);
	ck_assert_int_eq(p, VMOSAL_PRIORITY_HIGH);
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_REALTIME), 0);
	ck_assert_int_eq(vmosal_thread_get_priority(0, &p), 0);
	ck_assert_int_eq(p, VMOSAL_PRIORITY_REALTIME);
	ck_assert_int_eq(vmosal_thread_set_priority(vmosal_test_self(), VMOSAL_PRIORITY_NORMAL), 0);
	ck_assert_int_eq(vmosal_thread_get_priority(0, &p), 0);
	ck_assert_int_eq(p, VMOSAL_PRIORITY_NORMAL);
	ck_assert_int_eq(getpriority(PRIO_PROCESS, 0), 0);
	if (getpid() != 1)
		ck_assert_int_eq(vmosal_thread_set_priority(1, VMOSAL_PRIORITY_LOW), VMOSAL_ESRCH);
}
END_TEST

static void *make_me_realtime(void *arg)
{
	vmosal_tid_t *target = arg;
	intptr_t rc = vmosal_thread_set_priority(*target, VMOSAL_PRIORITY_REALTIME);
	return (void *)rc;
}

/* Another thread makes the caller REALTIME through libvmosal; the caller's
 * own NORMAL must then really leave SCHED_FIFO. */
START_TEST(test_priority_change_by_another_thread_is_seen)
{
	vmosal_tid_t me = vmosal_test_self();
	vmosal_thread_t *t;
	void *rc = (void *)1;

	if (geteuid() != 0)
		VMOSAL_SKIP("REALTIME needs root");
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_NORMAL), 0);
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_LOW), 0);
	ck_assert_int_eq(vmosal_test_getscheduler(0), SCHED_OTHER);
	ck_assert_int_eq(getpriority(PRIO_PROCESS, 0), 10);
	ck_assert_int_eq(vmosal_thread_create(NULL, make_me_realtime, &me, &t), 0);
	ck_assert_int_eq(vmosal_thread_join(t, &rc), 0);
	ck_assert_ptr_null(rc);
	ck_assert_int_eq(vmosal_test_getscheduler(0), SCHED_FIFO);
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_NORMAL), 0);
	ck_assert_int_eq(vmosal_test_getscheduler(0), SCHED_OTHER);
	ck_assert_int_eq(getpriority(PRIO_PROCESS, 0), 0);
}
END_TEST

static void *note_cpu(void *arg)
{
	return vmosal_thread_current_cpu(arg) == 0 ? arg : NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A SCHED_FIFO creator pinned to one CPU starts a thread pinned to the
 * same CPU. With reset-on-fork (rtkit sets it) the new thread starts in
 * SCHED_OTHER, so it runs only once the creator blocks: a creator that
 * spun, even calling sched_yield, would hold the CPU until RT throttling
 * steps in (950 ms of every second by default), or forever where
 * sched_rt_runtime_us is -1, as on hosts tuned for VMs. */
START_TEST(test_create_from_pinned_fifo_creator)
{
	struct sched_param fifo = {.sched_priority = 10}, other = {.sched_priority = 0};
	struct vmosal_thread_opts o = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	size_t n = get_mine(my_cpus, 4096), cpu = my_cpus[0], seen = SIZE_MAX;
	vmosal_thread_t *t;
	void *rc = NULL;
	double start, took;

	if (geteuid() != 0)
		VMOSAL_SKIP("SCHED_FIFO needs root");
	(void)n;
	ck_assert_int_eq(vmosal_thread_set_affinity(0, &cpu, 1), 0);
	if (vmosal_test_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &fifo) != 0)
		VMOSAL_SKIP("SCHED_FIFO refused here: %s", strerror(errno));
	o.cpus = &cpu;
	o.ncpus = 1;
	o.name = "fifo-child";
	start = now_s();
	ck_assert_int_eq(vmosal_thread_create(&o, note_cpu, &seen, &t), 0);
	took = now_s() - start;
	ck_assert_int_eq(vmosal_test_setscheduler(0, SCHED_OTHER, &other), 0);
	ck_assert_int_eq(vmosal_thread_join(t, &rc), 0);
	ck_assert_ptr_eq(rc, &seen);
	ck_assert_uint_eq(seen, cpu);
	/* A blocking creator lets the thread start at once; a spinning one
	 * lost a whole throttling period (0.95 s) here. */
	ck_assert_msg(took < 0.5, "thread_create took %.3f s from a SCHED_FIFO creator", took);
}
END_TEST

struct peek {
	vmosal_tid_t target;
	enum vmosal_priority seen;
	int rc;
};

static void *peek_priority(void *arg)
{
	struct peek *p = arg;
	p->rc = vmosal_thread_get_priority(p->target, &p->seen);
	return NULL;
}

/* A class changed behind libvmosal's back (here by the raw call, as chrt
 * or rtkit would) is seen by the very next call, whichever it is: the
 * class is read on every call, nothing about it is remembered. */
START_TEST(test_priority_outside_change_always_seen)
{
	struct sched_param fifo = {.sched_priority = 1};
	struct peek p = {vmosal_test_self(), VMOSAL_PRIORITY_LOW, 1};
	enum vmosal_priority level;
	pthread_t raw;

	if (geteuid() != 0)
		VMOSAL_SKIP("SCHED_FIFO needs root");
	/* A thread that set its own level, then was moved from outside:
	 * its next own change must leave SCHED_FIFO with no read before. */
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_NORMAL), 0);
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_LOW), 0);
	ck_assert_int_eq(vmosal_test_setscheduler(0, SCHED_FIFO, &fifo), 0);
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_NORMAL), 0);
	ck_assert_int_eq(vmosal_test_getscheduler(0), SCHED_OTHER);
	ck_assert_int_eq(getpriority(PRIO_PROCESS, 0), 0);
	/* Read by another thread. */
	ck_assert_int_eq(vmosal_test_setscheduler(0, SCHED_FIFO, &fifo), 0);
	ck_assert_int_eq(pthread_create(&raw, NULL, peek_priority, &p), 0);
	ck_assert_int_eq(pthread_join(raw, NULL), 0);
	ck_assert_int_eq(p.rc, 0);
	ck_assert_int_eq(p.seen, VMOSAL_PRIORITY_REALTIME);
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_HIGH), 0);
	ck_assert_int_eq(vmosal_test_getscheduler(0), SCHED_OTHER);
	ck_assert_int_eq(getpriority(PRIO_PROCESS, 0), -10);
	/* Read by the thread itself; rtkit also sets reset-on-fork, which
	 * sched_getscheduler reports ORed into the policy. */
	ck_assert_int_eq(vmosal_test_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &fifo), 0);
	ck_assert_int_eq(vmosal_thread_get_priority(0, &level), 0);
	ck_assert_int_eq(level, VMOSAL_PRIORITY_REALTIME);
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_NORMAL), 0);
	ck_assert_int_eq(vmosal_test_getscheduler(0), SCHED_OTHER | SCHED_RESET_ON_FORK);
	ck_assert_int_eq(getpriority(PRIO_PROCESS, 0), 0);
}
END_TEST

/* The first of the checks below that failed, as its text; NULL if none. */
#define EXPECT(cond)                                                       \
	do {                                                               \
		if (!(cond))                                               \
			return (void *)"failed: " #cond;                   \
	} while (0)

/* The body of the next test, in a thread of its own: nothing unprivileged
 * leaves SCHED_IDLE, and a main thread left there could take seconds to
 * exit on a busy machine (a sanitizer's leak check runs at exit). */
static void *normal_classes(void *arg)
{
	struct sched_param zero = {.sched_priority = 0};
	enum vmosal_priority level;
	const int classes[] = {SCHED_BATCH, SCHED_OTHER | SCHED_RESET_ON_FORK,
			       SCHED_BATCH | SCHED_RESET_ON_FORK};

	(void)arg;
	EXPECT(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_LOW) == 0);
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
		int reset = classes[i] & SCHED_RESET_ON_FORK;

		EXPECT(vmosal_test_setscheduler(0, classes[i], &zero) == 0);
		EXPECT(vmosal_thread_get_priority(0, &level) == 0);
		EXPECT(level == VMOSAL_PRIORITY_LOW);
		EXPECT(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_LOW) == 0);
		EXPECT(vmosal_test_getscheduler(0) == (SCHED_OTHER | reset));
		EXPECT(getpriority(PRIO_PROCESS, 0) == 10);
	}
	/* Leaving SCHED_IDLE needs RLIMIT_NICE room or privilege: EPERM, and
	 * the thread stays where it was. */
	EXPECT(vmosal_test_setscheduler(0, SCHED_IDLE | SCHED_RESET_ON_FORK, &zero) == 0);
	EXPECT(vmosal_thread_get_priority(0, &level) == 0);
	EXPECT(level == VMOSAL_PRIORITY_LOW);
	EXPECT(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_LOW) == VMOSAL_EPERM);
	EXPECT((vmosal_test_getscheduler(0) & ~SCHED_RESET_ON_FORK) == SCHED_IDLE);
	EXPECT(getpriority(PRIO_PROCESS, 0) == 10);
	return NULL;
}
#undef EXPECT

/* The unprivileged tests below set LOW (nice 10) without RLIMIT_NICE room,
 * which holds only for a process started at nice 10 or less: from nice 11
 * on, LOW is a raise, and EPERM is then the right answer. */
static int start_nice(void)
{
	int nice_now;

	errno = 0;
	nice_now = getpriority(PRIO_PROCESS, 0);
	return errno == 0 ? nice_now : 0;
}

#define SKIP_IF_LOW_IS_A_RAISE()                                                              \
	do {                                                                                  \
		if (start_nice() > 10)                                                        \
			VMOSAL_SKIP("started at nice %d: LOW (nice 10) is a raise there, which " \
				    "an unprivileged thread may not make",                    \
				    start_nice());                                            \
	} while (0)

/* SCHED_BATCH and SCHED_IDLE are normal classes: read by nice, and a level
 * set on them moves the thread back to SCHED_OTHER. The reset-on-fork flag
 * is kept (an unprivileged caller may not clear it), and does not make a
 * normal class read as REALTIME. Runs unprivileged (root is dropped in this
 * test's own process), where clearing the flag would be refused. */
START_TEST(test_priority_normal_classes_unprivileged)
{
	struct rlimit none = {0, 0};
	pthread_t thread;
	void *failed = NULL;

	ck_assert_int_eq(vmosal_init(), 0);
	SKIP_IF_LOW_IS_A_RAISE();
	ck_assert_int_eq(setrlimit(RLIMIT_NICE, &none), 0);
	if (geteuid() == 0 && setresuid(65534, 65534, 65534) != 0)
		VMOSAL_SKIP("cannot drop root to uid 65534");
	ck_assert_int_eq(pthread_create(&thread, NULL, normal_classes, NULL), 0);
	ck_assert_int_eq(pthread_join(thread, &failed), 0);
	ck_assert_msg(failed == NULL, "%s", (const char *)failed);
}
END_TEST

/* Without privilege, raising is EPERM and the thread keeps its level. The
 * test runs in its own forked process, so dropping root is safe. */
START_TEST(test_priority_eperm_unprivileged)
{
	struct rlimit none = {0, 0};
	enum vmosal_priority p;

	ck_assert_int_eq(vmosal_init(), 0);
	SKIP_IF_LOW_IS_A_RAISE();
	ck_assert_int_eq(setrlimit(RLIMIT_RTPRIO, &none), 0);
	ck_assert_int_eq(setrlimit(RLIMIT_NICE, &none), 0);
	if (geteuid() == 0 && setresuid(65534, 65534, 65534) != 0)
		VMOSAL_SKIP("cannot drop root to uid 65534");
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_LOW), 0);
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_REALTIME), VMOSAL_EPERM);
	ck_assert_int_eq(vmosal_thread_get_priority(0, &p), 0);
	ck_assert_int_eq(p, VMOSAL_PRIORITY_LOW);
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_HIGH), VMOSAL_EPERM);
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_NORMAL), VMOSAL_EPERM);
	ck_assert_int_eq(getpriority(PRIO_PROCESS, 0), 10);
	ck_assert_int_eq(vmosal_thread_get_priority(0, &p), 0);
	ck_assert_int_eq(p, VMOSAL_PRIORITY_LOW);
}
END_TEST

START_TEST(test_names)
{
	char buf[32];
	vmosal_thread_t *t;
	vmosal_tid_t tid;

	ck_assert_uint_eq(vmosal_thread_name_max(), 15);
	ck_assert_int_eq(vmosal_thread_set_name(0, "0123456789abcde"), 0);
	ck_assert_int_eq(vmosal_thread_get_name(0, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "0123456789abcde");
	ck_assert_int_eq(vmosal_thread_get_name(0, buf, 4), VMOSAL_ERANGE);

	atomic_store(&stop_spinning, 0);
	ck_assert_int_eq(vmosal_thread_create(NULL, spin, NULL, &t), 0);
	ck_assert_int_eq(vmosal_thread_tid(t, &tid), 0);
	ck_assert_int_eq(vmosal_thread_set_name(tid, "io-worker"), 0);
	ck_assert_int_eq(vmosal_thread_get_name(tid, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "io-worker");
	atomic_store(&stop_spinning, 1);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	if (getpid() != 1)
		ck_assert_int_eq(vmosal_thread_set_name(1, "x"), VMOSAL_ESRCH);
}
END_TEST

/* ---- creation without a handshake (item: pre-start attributes) ---- */

static _Atomic int entered;

static void *note_entry(void *arg)
{
	char name[32] = "";

	vmosal_thread_get_name(0, name, sizeof name);
	atomic_store(&entered, strcmp(name, (const char *)arg) == 0 ? 1 : 2);
	return NULL;
}

/* A pinned, named thread is created without waiting for it: affinity is a
 * pre-start attribute and the name is the thread's own business. Seen with
 * a SCHED_FIFO creator and a new thread of the same level on the same CPU:
 * the new thread cannot run until the creator blocks, so fn has not run
 * when create returns. A creator that waited for the new thread (a
 * handshake) would have let it run fn first. */
START_TEST(test_create_pinned_named_does_not_wait)
{
	size_t cpu = my_cpus[get_mine(my_cpus, 4096) - 1];
	struct vmosal_thread_opts o = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	vmosal_thread_t *t;
	int seen;

#if !defined(HAVE_PTHREAD_ATTR_SETAFFINITY_NP)
	VMOSAL_SKIP("no pthread_attr_setaffinity_np in this C library: the new thread pins "
		    "itself, and the creator waits for that");
#endif
#ifdef VMOSAL_TEST_TSAN
	VMOSAL_SKIP("TSan's pthread_create waits for the new thread to start");
#endif
	if (geteuid() != 0)
		VMOSAL_SKIP("SCHED_FIFO needs root");
	if (vmosal_test_under_valgrind())
		VMOSAL_SKIP("valgrind runs one thread at a time, by its own rules");
	ck_assert_int_eq(vmosal_thread_set_affinity(0, &cpu, 1), 0);
	if (vmosal_thread_set_priority(0, VMOSAL_PRIORITY_REALTIME) != 0)
		VMOSAL_SKIP("SCHED_FIFO refused here");
	atomic_store(&entered, 0);
	o.name = "no-wait";
	o.cpus = &cpu;
	o.ncpus = 1;
	ck_assert_int_eq(vmosal_thread_create(&o, note_entry, (void *)"no-wait", &t), 0);
	seen = atomic_load(&entered);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_NORMAL), 0);
	ck_assert_msg(seen == 0, "fn ran before create returned: the creator waited");
	ck_assert_int_eq(atomic_load(&entered), 1);
}
END_TEST

/* vmosal_thread_tid of a thread create did not wait for still answers. */
START_TEST(test_tid_of_unwaited_thread)
{
	struct vmosal_thread_opts o = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	vmosal_thread_t *t;
	vmosal_tid_t seen = 0, tid = 0;

	o.name = "tid-early";
	ck_assert_int_eq(vmosal_thread_create(&o, report_self, &seen, &t), 0);
	ck_assert_int_eq(vmosal_thread_tid(t, &tid), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_uint_ne(tid, 0);
	ck_assert_uint_eq(seen, tid);
}
END_TEST

/* ---- the "is this tid ours" check (item: pinning another thread) ---- */

/* Makes syscall nr fail with err for the calling thread (and threads it
 * starts later); false where seccomp filters are unavailable. */
static bool fail_syscall(long nr, int err)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};

	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
	       prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

static _Atomic int parked_go;

struct parked {
	pthread_t thread;
	_Atomic pid_t tid;
	bool kick;
};

static void *park_until_go(void *arg)
{
	struct parked *p = arg;
	struct vmosal_kick_target k = VMOSAL_STRUCT_INIT(struct vmosal_kick_target);

	if (p->kick && vmosal_thread_kick_register(&k) != 0)
		return (void *)1;
	atomic_store(&p->tid, (pid_t)syscall(SYS_gettid));
	while (!atomic_load(&parked_go))
		usleep(1000);
	if (p->kick)
		vmosal_thread_kick_unregister();
	return NULL;
}

static void *wait_go(void *arg)
{
	(void)arg;
	while (!atomic_load(&parked_go))
		usleep(1000);
	return NULL;
}

/* Threads libvmosal started or has registered for kicks are known to be
 * ours: setting their affinity makes no tgkill. Any other costs one, with
 * the pid kept (no getpid). Both shown by making the system call fail. */
START_TEST(test_known_threads_skip_the_tid_check)
{
	struct parked plain = {.kick = false}, kicked = {.kick = true};
	size_t cpu;
	vmosal_thread_t *t;
	vmosal_tid_t known;

	if (vmosal_test_under_valgrind() || vmosal_test_emulator() != NULL)
		VMOSAL_SKIP("seccomp filters need the real kernel's system calls");
#ifdef VMOSAL_TEST_SANITIZED
	VMOSAL_SKIP("the sanitizer's runtime makes getpid and tgkill calls of its own (the "
		    "leak check at exit), which the filter breaks");
#endif
	ck_assert_int_eq(vmosal_init(), 0);
	cpu = my_cpus[get_mine(my_cpus, 4096) - 1];
	atomic_store(&parked_go, 0);
	ck_assert_int_eq(vmosal_thread_create(NULL, wait_go, NULL, &t), 0);
	ck_assert_int_eq(vmosal_thread_tid(t, &known), 0);
	ck_assert_int_eq(pthread_create(&plain.thread, NULL, park_until_go, &plain), 0);
	ck_assert_int_eq(pthread_create(&kicked.thread, NULL, park_until_go, &kicked), 0);
	while (atomic_load(&plain.tid) == 0 || atomic_load(&kicked.tid) == 0)
		usleep(1000);
	/* Warm: the topology (allowed CPUs) and the kept pid. */
	ck_assert_int_eq(vmosal_thread_set_affinity((vmosal_tid_t)plain.tid, &cpu, 1), 0);

	if (!fail_syscall(SYS_getpid, EPERM))
		VMOSAL_SKIP("no seccomp filter here: %s", strerror(errno));
	ck_assert_int_eq(vmosal_thread_set_affinity((vmosal_tid_t)plain.tid, &cpu, 1), 0);
	ck_assert(fail_syscall(SYS_tgkill, ESRCH));
	ck_assert_int_eq(vmosal_thread_set_affinity(known, &cpu, 1), 0);
	ck_assert_int_eq(vmosal_thread_set_affinity((vmosal_tid_t)kicked.tid, &cpu, 1), 0);
	/* The others are still checked. */
	ck_assert_int_eq(vmosal_thread_set_affinity((vmosal_tid_t)plain.tid, &cpu, 1),
			 VMOSAL_ESRCH);

	atomic_store(&parked_go, 1);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_int_eq(pthread_join(plain.thread, NULL), 0);
	ck_assert_int_eq(pthread_join(kicked.thread, NULL), 0);
}
END_TEST

/* ---- best effort and realtime levels ---- */

struct sched_seen {
	int policy, level, nice;
	size_t cpus[64], ncpus;
	char name[32];
};

static void *note_sched(void *arg)
{
	struct sched_seen *s = arg;
	struct sched_param p;

	s->policy = vmosal_test_getscheduler(0) & ~SCHED_RESET_ON_FORK;
	s->level = vmosal_test_getparam(0, &p) == 0 ? p.sched_priority : -1;
	errno = 0;
	s->nice = getpriority(PRIO_PROCESS, 0);
	vmosal_thread_get_affinity(0, s->cpus, 64, &s->ncpus);
	vmosal_thread_get_name(0, s->name, sizeof s->name);
	return NULL;
}

/* Unprivileged, HIGH and REALTIME are refused: by default creation fails
 * and runs nothing; best effort creates the thread without them and says
 * so, with the other options applied. */
START_TEST(test_create_best_effort_unprivileged)
{
	struct rlimit none = {0, 0};
	struct vmosal_thread_opts o = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	struct sched_seen seen;
	vmosal_thread_t *t = NULL;
	uint32_t not_applied = 0xff;
	size_t cpu;
	int nice_now;

	ck_assert_int_eq(vmosal_init(), 0);
	cpu = my_cpus[get_mine(my_cpus, 4096) - 1];
	ck_assert_int_eq(setrlimit(RLIMIT_RTPRIO, &none), 0);
	ck_assert_int_eq(setrlimit(RLIMIT_NICE, &none), 0);
	if (geteuid() == 0 && setresuid(65534, 65534, 65534) != 0)
		VMOSAL_SKIP("cannot drop root to uid 65534");
	errno = 0;
	nice_now = getpriority(PRIO_PROCESS, 0);
	ck_assert_int_eq(errno, 0);

	memset(&seen, 0, sizeof seen);
	o.set_priority = true;
	o.priority = VMOSAL_PRIORITY_HIGH;
	ck_assert_int_eq(vmosal_thread_create(&o, note_sched, &seen, &t), VMOSAL_EPERM);
	o.priority = VMOSAL_PRIORITY_REALTIME;
	ck_assert_int_eq(vmosal_thread_create(&o, note_sched, &seen, &t), VMOSAL_EPERM);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(seen.policy + seen.nice + seen.level, 0); /* fn never ran */
	/* The out-member without the flag, and unknown flags, are refused. */
	o.not_applied = &not_applied;
	ck_assert_int_eq(vmosal_thread_create(&o, note_sched, &seen, &t), VMOSAL_EINVAL);
	o.flags = 0x80;
	ck_assert_int_eq(vmosal_thread_create(&o, note_sched, &seen, &t), VMOSAL_EINVAL);

	o.flags = VMOSAL_THREAD_BEST_EFFORT;
	o.name = "best-effort";
	o.cpus = &cpu;
	o.ncpus = 1;
	ck_assert_int_eq(vmosal_thread_create(&o, note_sched, &seen, &t), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_uint_eq(not_applied, VMOSAL_THREAD_NOT_PRIORITY);
	ck_assert_int_eq(seen.policy, SCHED_OTHER);
	ck_assert_int_eq(seen.nice, nice_now);
	ck_assert_uint_eq(seen.ncpus, 1);
	ck_assert_uint_eq(seen.cpus[0], cpu);
	ck_assert_str_eq(seen.name, "best-effort");

	not_applied = 0xff;
	o.priority = VMOSAL_PRIORITY_HIGH;
	ck_assert_int_eq(vmosal_thread_create(&o, note_sched, &seen, &t), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_uint_eq(not_applied, VMOSAL_THREAD_NOT_PRIORITY);
	ck_assert_int_eq(seen.nice, nice_now);

	/* Nothing to leave out: 0. */
	not_applied = 0xff;
	o.set_priority = false;
	ck_assert_int_eq(vmosal_thread_create(&o, note_sched, &seen, &t), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_uint_eq(not_applied, 0);
}
END_TEST

START_TEST(test_realtime_policy_and_level)
{
	struct vmosal_thread_opts o = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	struct sched_seen seen;
	struct sched_param p;
	enum vmosal_priority prio;
	vmosal_thread_t *t;

	ck_assert_int_eq(vmosal_thread_set_realtime(0, VMOSAL_RT_FIFO, 0), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_thread_set_realtime(0, VMOSAL_RT_FIFO, VMOSAL_RT_LEVEL_MAX + 1),
			 VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_thread_set_realtime(0, (enum vmosal_rt_policy)2, 1), VMOSAL_EINVAL);
	/* Realtime members without REALTIME, and a level out of range. */
	o.rt_level = 5;
	ck_assert_int_eq(vmosal_thread_create(&o, note_sched, &seen, &t), VMOSAL_EINVAL);
	o.set_priority = true;
	o.priority = VMOSAL_PRIORITY_REALTIME;
	o.rt_level = VMOSAL_RT_LEVEL_MAX + 1;
	ck_assert_int_eq(vmosal_thread_create(&o, note_sched, &seen, &t), VMOSAL_EINVAL);
	if (geteuid() != 0)
		VMOSAL_SKIP("realtime levels need root");

	if (vmosal_thread_set_realtime(0, VMOSAL_RT_RR, 5) == VMOSAL_EPERM)
		VMOSAL_SKIP("realtime refused here");
	ck_assert_int_eq(vmosal_test_getscheduler(0) & ~SCHED_RESET_ON_FORK, SCHED_RR);
	ck_assert_int_eq(vmosal_test_getparam(0, &p), 0);
	ck_assert_int_eq(p.sched_priority, 5);
	ck_assert_int_eq(vmosal_thread_get_priority(0, &prio), 0);
	ck_assert_int_eq(prio, VMOSAL_PRIORITY_REALTIME);
	ck_assert_int_eq(vmosal_thread_set_realtime(vmosal_test_self(), VMOSAL_RT_FIFO, 9), 0);
	ck_assert_int_eq(vmosal_test_getscheduler(0) & ~SCHED_RESET_ON_FORK, SCHED_FIFO);
	ck_assert_int_eq(vmosal_test_getparam(0, &p), 0);
	ck_assert_int_eq(p.sched_priority, 9);
	ck_assert_int_eq(vmosal_thread_set_priority(0, VMOSAL_PRIORITY_NORMAL), 0);
	if (getpid() != 1)
		ck_assert_int_eq(vmosal_thread_set_realtime(1, VMOSAL_RT_FIFO, 1), VMOSAL_ESRCH);

	memset(&seen, 0, sizeof seen);
	o.rt_policy = VMOSAL_RT_RR;
	o.rt_level = 7;
	ck_assert_int_eq(vmosal_thread_create(&o, note_sched, &seen, &t), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_int_eq(seen.policy, SCHED_RR);
	ck_assert_int_eq(seen.level, 7);
	/* Level 0 is level 1, FIFO: what REALTIME always meant. */
	o.rt_policy = VMOSAL_RT_FIFO;
	o.rt_level = 0;
	ck_assert_int_eq(vmosal_thread_create(&o, note_sched, &seen, &t), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_int_eq(seen.policy, SCHED_FIFO);
	ck_assert_int_eq(seen.level, 1);
}
END_TEST

/* Unprivileged, RLIMIT_RTPRIO is the highest level allowed; above it is
 * EPERM with the thread unchanged, and creation fails with nothing run. */
START_TEST(test_realtime_level_rlimit_unprivileged)
{
	struct rlimit lim;
	struct vmosal_thread_opts o = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	struct sched_seen seen;
	struct sched_param p;
	vmosal_thread_t *t = NULL;
	int level;

	ck_assert_int_eq(vmosal_init(), 0);
	/* Level 3, or the hard limit if lower (raising it needs a capability
	 * a container may lack). */
	ck_assert_int_eq(getrlimit(RLIMIT_RTPRIO, &lim), 0);
	if (lim.rlim_max < 3 && setrlimit(RLIMIT_RTPRIO, &(struct rlimit){3, 3}) == 0)
		lim.rlim_max = 3;
	if (lim.rlim_max == 0)
		VMOSAL_SKIP("RLIMIT_RTPRIO's hard limit is 0 here, and cannot be raised");
	level = lim.rlim_max < 3 ? (int)lim.rlim_max : 3;
	lim.rlim_cur = lim.rlim_max = (rlim_t)level;
	ck_assert_int_eq(setrlimit(RLIMIT_RTPRIO, &lim), 0);
	if (geteuid() == 0 && setresuid(65534, 65534, 65534) != 0)
		VMOSAL_SKIP("cannot drop root to uid 65534");
	memset(&seen, 0, sizeof seen);
	o.set_priority = true;
	o.priority = VMOSAL_PRIORITY_REALTIME;
	o.rt_level = level + 1;
	ck_assert_int_eq(vmosal_thread_create(&o, note_sched, &seen, &t), VMOSAL_EPERM);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(seen.policy + seen.level, 0);
	o.rt_level = level;
	ck_assert_int_eq(vmosal_thread_create(&o, note_sched, &seen, &t), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_int_eq(seen.policy, SCHED_FIFO);
	ck_assert_int_eq(seen.level, level);
	ck_assert_int_eq(vmosal_thread_set_realtime(0, VMOSAL_RT_RR, level + 1), VMOSAL_EPERM);
	ck_assert_int_eq(vmosal_test_getscheduler(0) & ~SCHED_RESET_ON_FORK, SCHED_OTHER);
	ck_assert_int_eq(vmosal_thread_set_realtime(0, VMOSAL_RT_RR, level), 0);
	ck_assert_int_eq(vmosal_test_getscheduler(0) & ~SCHED_RESET_ON_FORK, SCHED_RR);
	ck_assert_int_eq(vmosal_test_getparam(0, &p), 0);
	ck_assert_int_eq(p.sched_priority, level);
}
END_TEST

static Suite *thread_suite(void)
{
	Suite *s = suite_create("thread");
	TCase *tc = tcase_create("thread");

	/* Tests move and reprioritise the calling thread: each gets it back as
	 * it was. Those that drop root need a process of their own. */
	tcase_add_checked_fixture(tc, vmosal_test_sched_save, vmosal_test_sched_restore);
	tcase_add_test(tc, test_self_is_cached_and_distinct);
	tcase_add_test(tc, test_self_after_fork);
	tcase_add_test(tc, test_create_join_and_tid);
	tcase_add_test(tc, test_create_cpus_without_count_inherits);
	tcase_add_test(tc, test_create_applies_settings_before_user_code);
	tcase_add_test(tc, test_affinity_of_a_foreign_tid_changes_nothing);
	tcase_add_test(tc, test_affinity_outside_allowed_set);
	tcase_add_test(tc, test_affinity_outside_cgroup_cpuset);
	tcase_add_test(tc, test_affinity_of_another_thread);
	tcase_add_test(tc, test_affinity_moves_the_caller);
	tcase_add_test(tc, test_get_affinity_capacity);
	tcase_add_test(tc, test_affinity_kind);
	tcase_add_test(tc, test_priority_levels_round_trip);
	tcase_add_test(tc, test_priority_change_by_another_thread_is_seen);
	tcase_add_test(tc, test_create_from_pinned_fifo_creator);
	tcase_add_test(tc, test_priority_outside_change_always_seen);
	vmosal_tcase_add_own_process(tc, test_priority_normal_classes_unprivileged);
	vmosal_tcase_add_own_process(tc, test_priority_eperm_unprivileged);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_create_pinned_named_does_not_wait);
	tcase_add_test(tc, test_tid_of_unwaited_thread);
	vmosal_tcase_add_own_process(tc, test_known_threads_skip_the_tid_check);
	vmosal_tcase_add_own_process(tc, test_create_best_effort_unprivileged);
	tcase_add_test(tc, test_realtime_policy_and_level);
	vmosal_tcase_add_own_process(tc, test_realtime_level_rlimit_unprivileged);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vmosal_run_suite(thread_suite());
}
