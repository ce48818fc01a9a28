/* Linux thread slots: kernel tids, dynamic CPU sets, nice and SCHED_FIFO. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <linux/futex.h>
#include <time.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux.h"
#include "vmosal/thread.h"

/* The nice value behind LOW, NORMAL, HIGH (10, 0, -10; thread.h). */
static inline int linux_nice_of(int prio)
{
	return 10 - 10 * prio;
}
#define LINUX_RT_PRIORITY 1

/* Errors of the realtime class: EPERM without privilege. Defined below. */
static int linux_priority_error(int errnum);

int linux_thread_self(uint64_t *tid)
{
	*tid = (uint64_t)syscall(SYS_gettid);
	return 0;
}

/* 0 when tid (non-zero) is a thread of this process; the kernel would
 * otherwise act on any task of the system with that id. A thread the core
 * knows (one it started, or one registered for kicks) needs no system
 * call; any other costs one tgkill with the kept pid. */
static int linux_check_tid(uint64_t tid)
{
	pid_t pid;

	if (tid == 0)
		return 0;
	if (tid > INT_MAX)
		return VMOSAL_ESRCH;
	if (posix_core != NULL &&
	    VMOSAL_BACKEND_HAS_MEMBER(posix_core, struct vmosal_core_services, tid_known) &&
	    posix_core->tid_known(tid))
		return 0;
	pid = linux_self_pid(false);
	if (syscall(SYS_tgkill, (long)pid, (long)tid, 0L) == 0 || errno == EPERM)
		return 0;
	/* A process made by a raw clone() has another pid than the kept one. */
	if (errno == ESRCH && pid != linux_self_pid(true) &&
	    (syscall(SYS_tgkill, (long)linux_self_pid(false), (long)tid, 0L) == 0 ||
	     errno == EPERM))
		return 0;
	return VMOSAL_ESRCH;
}

int linux_thread_set_affinity(uint64_t tid, const size_t *cpus, size_t ncpus)
{
	cpu_set_t fixed, *set = &fixed;
	size_t highest = 0, size;
	int rc = linux_check_tid(tid);

	if (rc != 0)
		return rc;
	for (size_t i = 0; i < ncpus; i++)
		if (cpus[i] > highest)
			highest = cpus[i];
	/* cpu_set_t holds 1024 CPUs; bigger machines need a dynamic set. */
	if (highest < CPU_SETSIZE) {
		size = sizeof fixed;
	} else {
		set = CPU_ALLOC(highest + 1);
		if (set == NULL)
			return VMOSAL_ENOMEM;
		size = CPU_ALLOC_SIZE(highest + 1);
	}
	CPU_ZERO_S(size, set);
	for (size_t i = 0; i < ncpus; i++)
		CPU_SET_S(cpus[i], size, set);
	if (sched_setaffinity((pid_t)tid, size, set) != 0)
		rc = errno == EINVAL ? VMOSAL_EACCES : posix_last_error();
	if (set != &fixed)
		CPU_FREE(set);
	return rc;
}

int linux_thread_get_affinity(uint64_t tid, size_t *cpus, size_t capacity, size_t *ncpus)
{
	size_t bits = CPU_SETSIZE, size, n = 0, count;
	cpu_set_t *set;
	int rc = linux_check_tid(tid);

	if (rc != 0)
		return rc;
	/* The kernel refuses (EINVAL) a set smaller than its nr_cpu_ids. */
	for (;;) {
		set = CPU_ALLOC(bits);
		if (set == NULL)
			return VMOSAL_ENOMEM;
		size = CPU_ALLOC_SIZE(bits);
		if (sched_getaffinity((pid_t)tid, size, set) == 0)
			break;
		rc = errno == EINVAL && bits < (1u << 22) ? 0 : posix_last_error();
		CPU_FREE(set);
		if (rc != 0)
			return rc;
		bits *= 2;
	}
	count = (size_t)CPU_COUNT_S(size, set);
	if (count > capacity) {
		CPU_FREE(set);
		*ncpus = count;
		return VMOSAL_ERANGE;
	}
	for (size_t cpu = 0; n < count && cpu < size * CHAR_BIT; cpu++)
		if (CPU_ISSET_S(cpu, size, set))
			cpus[n++] = cpu;
	CPU_FREE(set);
	*ncpus = n;
	return 0;
}

/* sched_setattr/getattr set policy and nice in one call, so a failure can
 * never leave half of a change behind. glibc before 2.41 has no wrapper. */
struct linux_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

static int linux_priority_error(int errnum)
{
	/* Raising nice without privilege is EACCES from setpriority. */
	return errnum == EACCES || errnum == EPERM ? VMOSAL_EPERM
						   : posix_error_from_errno(errnum);
}

/* sched_getscheduler ORs in SCHED_RESET_ON_FORK, which rtkit sets on every
 * thread it makes realtime; sched_setattr spells the same flag this way. */
#define LINUX_SCHED_FLAG_RESET_ON_FORK 0x01

/* tid's policy without the reset-on-fork flag, which goes to *reset when
 * reset is not NULL; negative on error. */
static int linux_sched_policy(uint64_t tid, int *reset)
{
	/* The system call: musl's wrapper is a stub failing with ENOSYS. */
	int policy = (int)syscall(SYS_sched_getscheduler, (pid_t)tid);

	if (policy < 0)
		return policy;
	if (reset != NULL)
		*reset = policy & SCHED_RESET_ON_FORK;
	return policy & ~SCHED_RESET_ON_FORK;
}

/* The classes read by nice. SCHED_FIFO, SCHED_RR and SCHED_DEADLINE run
 * ahead of every nice level, so each reads back as REALTIME. */
static bool linux_policy_is_normal(int policy)
{
	return policy == SCHED_OTHER || policy == SCHED_BATCH || policy == SCHED_IDLE;
}

/* The policy behind enum vmosal_rt_policy. */
static int linux_rt_policy_of(int policy)
{
	return policy == VMOSAL_RT_RR ? SCHED_RR : SCHED_FIFO;
}

/* Sets prio on tid, finding out its class first; REALTIME is rt_policy
 * (SCHED_*) at rt_level. The thread keeps its reset-on-fork flag: only a
 * privileged caller may clear it. */
static int linux_set_priority_checked(uint64_t tid, int prio, int rt_policy, int rt_level)
{
	struct linux_sched_attr attr;
	int reset = 0, policy = linux_sched_policy(tid, &reset), rc;

	if (policy < 0)
		return posix_last_error();
	/* A normal thread changing nice: setpriority costs a fraction of
	 * sched_setattr, and changes nothing on failure. */
	if (prio != VMOSAL_PRIORITY_REALTIME && policy == SCHED_OTHER) {
		if (setpriority(PRIO_PROCESS, (id_t)tid, linux_nice_of(prio)) == 0)
			return 0;
		return errno == ESRCH ? VMOSAL_ESRCH : linux_priority_error(errno);
	}
	memset(&attr, 0, sizeof attr);
	attr.size = sizeof attr;
	attr.sched_flags = reset != 0 ? LINUX_SCHED_FLAG_RESET_ON_FORK : 0;
	if (prio == VMOSAL_PRIORITY_REALTIME) {
		attr.sched_policy = (uint32_t)rt_policy;
		attr.sched_priority = (uint32_t)rt_level;
	} else {
		attr.sched_policy = SCHED_OTHER;
		attr.sched_nice = linux_nice_of(prio);
	}
#if defined(SYS_sched_setattr)
	if (syscall(SYS_sched_setattr, (pid_t)tid, &attr, 0u) == 0)
		return 0;
	if (errno != ENOSYS)
		return errno == ESRCH ? VMOSAL_ESRCH : linux_priority_error(errno);
#endif
	{
		/* Old kernels: the nice goes first since it survives a policy
		 * change; it is restored if the policy cannot change. */
		struct sched_param param = {.sched_priority = (int)attr.sched_priority};
		int old_nice;

		errno = 0;
		old_nice = getpriority(PRIO_PROCESS, (id_t)tid);
		if (old_nice == -1 && errno != 0)
			return posix_last_error();
		if (prio != VMOSAL_PRIORITY_REALTIME &&
		    setpriority(PRIO_PROCESS, (id_t)tid, attr.sched_nice) != 0)
			return linux_priority_error(errno);
		if ((int)attr.sched_policy != policy &&
		    syscall(SYS_sched_setscheduler, (pid_t)tid, (int)attr.sched_policy | reset,
			    &param) != 0) {
			rc = linux_priority_error(errno);
			setpriority(PRIO_PROCESS, (id_t)tid, old_nice);
			return rc;
		}
	}
	return 0;
}

int linux_thread_set_priority(uint64_t tid, int prio)
{
	int rc;

	if (prio < VMOSAL_PRIORITY_LOW || prio > VMOSAL_PRIORITY_REALTIME)
		return VMOSAL_ENOTSUP;
	if (tid != 0 && (rc = linux_check_tid(tid)) != 0)
		return rc;
	return linux_set_priority_checked(tid, prio, SCHED_FIFO, LINUX_RT_PRIORITY);
}

/* Without CAP_SYS_NICE the kernel allows a level up to RLIMIT_RTPRIO and
 * refuses the rest with EPERM. */
int linux_thread_set_realtime(uint64_t tid, int policy, int level)
{
	int rc;

	if ((policy != VMOSAL_RT_FIFO && policy != VMOSAL_RT_RR) || level < 1 ||
	    level > VMOSAL_RT_LEVEL_MAX)
		return VMOSAL_ENOTSUP;
	if (tid != 0 && (rc = linux_check_tid(tid)) != 0)
		return rc;
	return linux_set_priority_checked(tid, VMOSAL_PRIORITY_REALTIME, linux_rt_policy_of(policy),
					  level);
}

/* glibc (and musl) apply an attribute's CPU set and an explicit scheduling
 * policy before the new thread runs, and return their errors from
 * pthread_create; where the C library has no CPU-set attribute, the core's
 * trampoline applies the CPUs in the new thread. */
int linux_thread_create_attr(void *(*start)(void *), void *arg,
			     struct vmosal_backend_thread_attr *attr, void **handle)
{
	pthread_attr_t pa;
	pthread_t *thread;
#if defined(HAVE_PTHREAD_ATTR_SETAFFINITY_NP)
	cpu_set_t fixed, *set = NULL;
	size_t setsize = 0;
#endif
	int err;

	/* PR_SET_NAME on the calling thread never fails for a checked name. */
	attr->applied = VMOSAL_BACKEND_THREAD_NAME;
	if (attr->realtime && (attr->rt_policy < VMOSAL_RT_FIFO || attr->rt_policy > VMOSAL_RT_RR ||
			       attr->rt_level < 1 || attr->rt_level > VMOSAL_RT_LEVEL_MAX))
		return VMOSAL_ENOTSUP;
	thread = malloc(sizeof *thread);
	if (thread == NULL)
		return VMOSAL_ENOMEM;
	err = pthread_attr_init(&pa);
	if (err != 0) {
		free(thread);
		return posix_error_from_errno(err);
	}
	if (attr->stack_size != 0) {
		long page = sysconf(_SC_PAGESIZE);

		err = pthread_attr_setstacksize(
			&pa, posix_stack_size(attr->stack_size, (size_t)PTHREAD_STACK_MIN,
					      page > 0 ? (size_t)page : 0));
	}
#if defined(HAVE_PTHREAD_ATTR_SETAFFINITY_NP)
	if (err == 0 && attr->ncpus > 0) {
		size_t highest = 0;

		for (size_t i = 0; i < attr->ncpus; i++)
			if (attr->cpus[i] > highest)
				highest = attr->cpus[i];
		/* cpu_set_t holds 1024 CPUs; bigger machines need a dynamic set. */
		if (highest < CPU_SETSIZE) {
			set = &fixed;
			setsize = sizeof fixed;
		} else if ((set = CPU_ALLOC(highest + 1)) != NULL) {
			setsize = CPU_ALLOC_SIZE(highest + 1);
		}
		if (set == NULL) {
			err = ENOMEM;
		} else {
			CPU_ZERO_S(setsize, set);
			for (size_t i = 0; i < attr->ncpus; i++)
				CPU_SET_S(attr->cpus[i], setsize, set);
			err = pthread_attr_setaffinity_np(&pa, setsize, set);
			if (err == 0)
				attr->applied |= VMOSAL_BACKEND_THREAD_AFFINITY;
		}
	}
#endif
	if (err == 0 && attr->realtime) {
		struct sched_param param = {.sched_priority = attr->rt_level};

		err = pthread_attr_setinheritsched(&pa, PTHREAD_EXPLICIT_SCHED);
		if (err == 0)
			err = pthread_attr_setschedpolicy(&pa, linux_rt_policy_of(attr->rt_policy));
		if (err == 0)
			err = pthread_attr_setschedparam(&pa, &param);
		if (err == 0)
			attr->applied |= VMOSAL_BACKEND_THREAD_REALTIME;
	}
	/* Set before the thread starts: the core's trampoline reads it. */
	if (err == 0)
		err = pthread_create(thread, &pa, start, arg);
	pthread_attr_destroy(&pa);
#if defined(HAVE_PTHREAD_ATTR_SETAFFINITY_NP)
	if (set != NULL && set != &fixed)
		CPU_FREE(set);
#endif
	if (err != 0) {
		bool cpus = (attr->applied & VMOSAL_BACKEND_THREAD_AFFINITY) != 0;

		free(thread);
		attr->applied = 0;
		/* sched_setaffinity's EINVAL: no allowed CPU in the set. */
		return err == EINVAL && cpus ? VMOSAL_EACCES : linux_priority_error(err);
	}
	*handle = thread;
	return 0;
}

int linux_thread_get_priority(uint64_t tid, int *prio)
{
	int policy, nice, rc = linux_check_tid(tid);

	if (rc != 0)
		return rc;
	policy = linux_sched_policy(tid, NULL);
	if (policy < 0)
		return posix_last_error();
	if (!linux_policy_is_normal(policy)) {
		*prio = VMOSAL_PRIORITY_REALTIME;
		return 0;
	}
	errno = 0;
	nice = getpriority(PRIO_PROCESS, (id_t)tid);
	if (nice == -1 && errno != 0)
		return posix_last_error();
	*prio = nice <= -5 ? VMOSAL_PRIORITY_HIGH
			   : nice >= 5 ? VMOSAL_PRIORITY_LOW : VMOSAL_PRIORITY_NORMAL;
	return 0;
}

/* /proc/self/task/<tid>/comm: another thread's name. */
static int linux_comm_path(char *buf, size_t len, uint64_t tid)
{
	char rel[64];

	if (tid > INT_MAX)
		return VMOSAL_ESRCH;
	snprintf(rel, sizeof rel, "/proc/self/task/%llu/comm", (unsigned long long)tid);
	posix_host_path(buf, len, rel);
	return 0;
}

int linux_thread_set_name(uint64_t tid, const char *name)
{
	char path[4096];
	size_t len = strlen(name);
	ssize_t n;
	int fd, rc;

	if (tid == 0)
		return prctl(PR_SET_NAME, name, 0, 0, 0) == 0 ? 0 : posix_last_error();
	if ((rc = linux_comm_path(path, sizeof path, tid)) != 0)
		return rc;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? VMOSAL_ESRCH : posix_last_error();
	n = write(fd, name, len);
	rc = n == (ssize_t)len ? 0 : n < 0 ? posix_last_error() : VMOSAL_EIO;
	close(fd);
	return rc;
}

int linux_thread_get_name(uint64_t tid, char *buf, size_t len)
{
	char name[64], path[4096];
	size_t n;

	if (tid == 0) {
		if (prctl(PR_GET_NAME, name, 0, 0, 0) != 0)
			return posix_last_error();
		name[16] = '\0';
	} else {
		long got;
		int rc = linux_comm_path(path, sizeof path, tid);
		if (rc != 0)
			return rc;
		got = posix_read_file(path, name, sizeof name);
		if (got < 0)
			return got == VMOSAL_ENOENT ? VMOSAL_ESRCH : (int)got;
		name[strcspn(name, "\n")] = '\0';
	}
	n = strlen(name);
	if (n >= len)
		return VMOSAL_ERANGE;
	memcpy(buf, name, n + 1);
	return 0;
}

int linux_thread_current_cpu(size_t *cpu)
{
	int c = sched_getcpu();

	if (c < 0)
		return posix_last_error();
	*cpu = (size_t)c;
	return 0;
}

/* ---- wait/wake: the futex ---- */

int linux_wait_u32(const uint32_t *addr, uint32_t expected, int64_t timeout_ns)
{
	struct timespec ts, *tp = NULL;

	if (timeout_ns >= 0) {
		ts.tv_sec = (time_t)(timeout_ns / 1000000000);
		ts.tv_nsec = (long)(timeout_ns % 1000000000);
		tp = &ts;
	}
	/* Private: the word is never shared with another process. */
	if (syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, tp, NULL, 0) == 0)
		return 0;
	switch (errno) {
	case EAGAIN: /* *addr != expected already */
		return 0;
	case ETIMEDOUT:
		return VMOSAL_ETIMEDOUT;
	case EINTR:
		return VMOSAL_EINTR;
	}
	return posix_last_error();
}

int linux_wake_u32(const uint32_t *addr, bool all)
{
	if (syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, all ? INT_MAX : 1, NULL, NULL, 0) < 0)
		return posix_last_error();
	return 0;
}
