/* Darwin thread slots: Mach thread ports, affinity tags, QoS classes and
 * the time-constraint policy, names, and wait/wake on a word. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <pthread/qos.h>
#include <sys/qos.h>
#include <mach/mach.h>
#include <mach/mach_time.h>
#include <mach/thread_policy.h>
#include <Availability.h>

#include "darwin.h"

_Static_assert(QOS_CLASS_USER_INTERACTIVE == DARWIN_QOS_USER_INTERACTIVE, "qos_class_t");
_Static_assert(QOS_CLASS_USER_INITIATED == DARWIN_QOS_USER_INITIATED, "qos_class_t");
_Static_assert(QOS_CLASS_DEFAULT == DARWIN_QOS_DEFAULT, "qos_class_t");
_Static_assert(QOS_CLASS_UTILITY == DARWIN_QOS_UTILITY, "qos_class_t");
_Static_assert(QOS_CLASS_BACKGROUND == DARWIN_QOS_BACKGROUND, "qos_class_t");

/* The Mach port name and pthread of tid (0: the caller). A port that is no
 * thread of this process has no pthread here: VMOSAL_ESRCH. */
int darwin_thread_of(uint64_t tid, mach_port_t *port, pthread_t *thread)
{
	pthread_t t;

	if (tid == 0) {
		*thread = pthread_self();
		*port = pthread_mach_thread_np(*thread);
		return 0;
	}
	if (tid > UINT32_MAX)
		return VMOSAL_ESRCH;
	/* NULL: no pthread of this process has that port. */
	t = pthread_from_mach_thread_np((mach_port_t)tid);
	if (!t)
		return VMOSAL_ESRCH;
	*thread = t;
	*port = (mach_port_t)tid;
	return 0;
}

static int darwin_kern_error(kern_return_t kr)
{
	switch (kr) {
	case KERN_SUCCESS:
		return 0;
	case KERN_NOT_SUPPORTED:
		return VMOSAL_ENOTSUP;
	case KERN_INVALID_ARGUMENT:
		return VMOSAL_EINVAL;
	case KERN_NO_ACCESS:
	case KERN_PROTECTION_FAILURE:
		return VMOSAL_EPERM;
	case KERN_RESOURCE_SHORTAGE:
		return VMOSAL_ENOMEM;
	case KERN_TERMINATED:
	case MACH_SEND_INVALID_DEST:
		return VMOSAL_ESRCH;
	}
	return VMOSAL_EUNKNOWN;
}

int darwin_thread_self(uint64_t *tid)
{
	*tid = pthread_mach_thread_np(pthread_self());
	return 0;
}

/* ---- affinity: a tag, on Intel only ---- */

bool darwin_probe_affinity(void)
{
	thread_affinity_policy_data_t policy = {THREAD_AFFINITY_TAG_NULL};
	mach_msg_type_number_t count = THREAD_AFFINITY_POLICY_COUNT;
	boolean_t get_default = FALSE;

	return thread_policy_get(pthread_mach_thread_np(pthread_self()), THREAD_AFFINITY_POLICY,
				 (thread_policy_t)&policy, &count, &get_default) == KERN_SUCCESS;
}

int darwin_thread_set_affinity(uint64_t tid, const size_t *cpus, size_t ncpus)
{
	thread_affinity_policy_data_t policy;
	mach_port_t port;
	pthread_t thread;
	int rc;

	if (!darwin_affinity_tags)
		return VMOSAL_ENOTSUP;
	if ((rc = darwin_thread_of(tid, &port, &thread)) != 0)
		return rc;
	policy.affinity_tag = darwin_affinity_tag(cpus, ncpus);
	return darwin_kern_error(thread_policy_set(port, THREAD_AFFINITY_POLICY,
						   (thread_policy_t)&policy,
						   THREAD_AFFINITY_POLICY_COUNT));
}

int darwin_thread_get_affinity(uint64_t tid, size_t *cpus, size_t capacity, size_t *ncpus)
{
	uint64_t n = darwin_cpus_possible();
	mach_port_t port;
	pthread_t thread;
	int rc;

	if (!darwin_affinity_tags)
		return VMOSAL_ENOTSUP;
	if ((rc = darwin_thread_of(tid, &port, &thread)) != 0)
		return rc;
	/* A tag names no CPU: the thread may still run on every one. */
	if (n > capacity) {
		*ncpus = (size_t)n;
		return VMOSAL_ERANGE;
	}
	for (size_t i = 0; i < n; i++)
		cpus[i] = i;
	*ncpus = (size_t)n;
	return 0;
}

/* ---- priority: QoS classes and the time-constraint policy ---- */

static bool darwin_is_realtime(mach_port_t port)
{
	thread_time_constraint_policy_data_t policy;
	mach_msg_type_number_t count = THREAD_TIME_CONSTRAINT_POLICY_COUNT;
	boolean_t get_default = FALSE;

	if (thread_policy_get(port, THREAD_TIME_CONSTRAINT_POLICY, (thread_policy_t)&policy,
			      &count, &get_default) != KERN_SUCCESS)
		return false;
	/* get_default comes back true when the thread has no such policy. */
	return !get_default;
}

static kern_return_t darwin_set_realtime(mach_port_t port)
{
	thread_time_constraint_policy_data_t policy;
	struct darwin_time_constraint tc;
	mach_timebase_info_data_t tb;

	if (mach_timebase_info(&tb) != KERN_SUCCESS || tb.numer == 0 || tb.denom == 0)
		return KERN_FAILURE;
	darwin_realtime_policy(tb.numer, tb.denom, &tc);
	policy.period = tc.period;
	policy.computation = tc.computation;
	policy.constraint = tc.constraint;
	policy.preemptible = tc.preemptible ? TRUE : FALSE;
	return thread_policy_set(port, THREAD_TIME_CONSTRAINT_POLICY, (thread_policy_t)&policy,
				 THREAD_TIME_CONSTRAINT_POLICY_COUNT);
}

static kern_return_t darwin_set_standard(mach_port_t port)
{
	thread_standard_policy_data_t policy = {0};

	return thread_policy_set(port, THREAD_STANDARD_POLICY, (thread_policy_t)&policy,
				 THREAD_STANDARD_POLICY_COUNT);
}

int darwin_thread_set_priority(uint64_t tid, int prio)
{
	mach_port_t port;
	pthread_t thread;
	unsigned qos;
	bool was_realtime;
	int rc, err;

	if (prio < VMOSAL_PRIORITY_LOW || prio > VMOSAL_PRIORITY_REALTIME)
		return VMOSAL_ENOTSUP;
	if ((rc = darwin_thread_of(tid, &port, &thread)) != 0)
		return rc;
	/* Any thread of the task may be given the Mach policy. */
	if (prio == VMOSAL_PRIORITY_REALTIME)
		return darwin_kern_error(darwin_set_realtime(port));
	if (darwin_qos_of_priority(prio, &qos) != 0)
		return VMOSAL_ENOTSUP;
	/* A QoS class is set by the thread itself only; the core applies a
	 * new thread's priority on that thread, so this is the usual case. */
	if (!pthread_equal(thread, pthread_self()))
		return VMOSAL_ENOTSUP;
	was_realtime = darwin_is_realtime(port);
	if (was_realtime && (rc = darwin_kern_error(darwin_set_standard(port))) != 0)
		return rc;
	err = pthread_set_qos_class_self_np((qos_class_t)qos, 0);
	if (err != 0) {
		/* Nothing may change on failure: the policy goes back. */
		if (was_realtime)
			darwin_set_realtime(port);
		return err == EPERM ? VMOSAL_EPERM : posix_error_from_errno(err);
	}
	return 0;
}

/* macOS has one realtime class, the time-constraint policy: every policy
 * and level (thread.h) maps to it. */
int darwin_thread_set_realtime(uint64_t tid, int policy, int level)
{
	if ((policy != VMOSAL_RT_FIFO && policy != VMOSAL_RT_RR) || level < 1 ||
	    level > VMOSAL_RT_LEVEL_MAX)
		return VMOSAL_ENOTSUP;
	return darwin_thread_set_priority(tid, VMOSAL_PRIORITY_REALTIME);
}

int darwin_thread_get_priority(uint64_t tid, int *prio)
{
	qos_class_t qos = QOS_CLASS_UNSPECIFIED;
	int relative = 0, rc, err;
	mach_port_t port;
	pthread_t thread;

	if ((rc = darwin_thread_of(tid, &port, &thread)) != 0)
		return rc;
	if (darwin_is_realtime(port)) {
		*prio = VMOSAL_PRIORITY_REALTIME;
		return 0;
	}
	err = pthread_get_qos_class_np(thread, &qos, &relative);
	if (err != 0)
		return posix_error_from_errno(err);
	*prio = darwin_priority_of_qos((unsigned)qos);
	return 0;
}

/* ---- names ---- */

int darwin_thread_set_name(uint64_t tid, const char *name)
{
	mach_port_t port;
	pthread_t thread;
	int rc = darwin_thread_of(tid, &port, &thread);

	if (rc != 0)
		return rc;
	/* Darwin's pthread_setname_np names the calling thread only. */
	if (!pthread_equal(thread, pthread_self()))
		return VMOSAL_ENOTSUP;
	return posix_error_from_errno(pthread_setname_np(name));
}

int darwin_thread_get_name(uint64_t tid, char *buf, size_t len)
{
	char name[64]; /* MAXTHREADNAMESIZE */
	mach_port_t port;
	pthread_t thread;
	size_t n;
	int rc = darwin_thread_of(tid, &port, &thread);

	if (rc != 0)
		return rc;
	if ((rc = pthread_getname_np(thread, name, sizeof name)) != 0)
		return posix_error_from_errno(rc);
	name[sizeof name - 1] = '\0';
	n = strlen(name);
	if (n >= len)
		return VMOSAL_ERANGE;
	memcpy(buf, name, n + 1);
	return 0;
}

/* ---- wait/wake on a word ---- */

#if defined(__MAC_OS_X_VERSION_MIN_REQUIRED) && __MAC_OS_X_VERSION_MIN_REQUIRED >= 140400
#define DARWIN_OS_SYNC 1
#elif defined(__IPHONE_OS_VERSION_MIN_REQUIRED) && __IPHONE_OS_VERSION_MIN_REQUIRED >= 170400
#define DARWIN_OS_SYNC 1
#endif

#ifdef DARWIN_OS_SYNC
/* macOS 14.4 and iOS 17.4 made the wait public. */
#include <os/os_sync_wait_on_address.h>

int darwin_wait_u32(const uint32_t *addr, uint32_t expected, int64_t timeout_ns)
{
	void *word = (void *)(uintptr_t)addr;
	int r;

	if (timeout_ns == 0)
		return __atomic_load_n(addr, __ATOMIC_ACQUIRE) != expected ? 0 : VMOSAL_ETIMEDOUT;
	if (timeout_ns < 0)
		r = os_sync_wait_on_address(word, expected, sizeof *addr,
					    OS_SYNC_WAIT_ON_ADDRESS_NONE);
	else
		r = os_sync_wait_on_address_with_timeout(word, expected, sizeof *addr,
							 OS_SYNC_WAIT_ON_ADDRESS_NONE,
							 OS_CLOCK_MACH_ABSOLUTE_TIME,
							 (uint64_t)timeout_ns);
	if (r >= 0)
		return 0;
	switch (errno) {
	case ETIMEDOUT:
		return VMOSAL_ETIMEDOUT;
	case EINTR:
		return VMOSAL_EINTR;
	}
	return posix_last_error();
}

int darwin_wake_u32(const uint32_t *addr, bool all)
{
	void *word = (void *)(uintptr_t)addr;
	int r = all ? os_sync_wake_by_address_all(word, sizeof *addr, OS_SYNC_WAKE_BY_ADDRESS_NONE)
		    : os_sync_wake_by_address_any(word, sizeof *addr, OS_SYNC_WAKE_BY_ADDRESS_NONE);

	/* ENOENT: nobody was waiting. */
	return r == 0 || errno == ENOENT ? 0 : posix_last_error();
}
#else
/* The kernel's compare-and-wait, which libc++'s std::atomic::wait uses
 * too. Private: it has no header, so it is declared here as XNU's
 * bsd/sys/ulock.h has it. */
extern int __ulock_wait(uint32_t operation, void *addr, uint64_t value, uint32_t timeout_us);
extern int __ulock_wake(uint32_t operation, void *addr, uint64_t wake_value);
#define DARWIN_UL_COMPARE_AND_WAIT 1u
#define DARWIN_ULF_WAKE_ALL 0x00000100u

int darwin_wait_u32(const uint32_t *addr, uint32_t expected, int64_t timeout_ns)
{
	uint32_t us = 0; /* no limit */
	bool cut = false;

	if (timeout_ns == 0)
		return __atomic_load_n(addr, __ATOMIC_ACQUIRE) != expected ? 0 : VMOSAL_ETIMEDOUT;
	if (timeout_ns > 0)
		cut = darwin_ulock_timeout_us(timeout_ns, &us);
	/* Returns at once, successfully, when *addr != expected. */
	if (__ulock_wait(DARWIN_UL_COMPARE_AND_WAIT, (void *)(uintptr_t)addr, expected, us) >= 0)
		return 0;
	switch (errno) {
	case ETIMEDOUT:
		/* A timeout longer than 71 minutes was cut: the caller sees a
		 * spurious wake-up and waits again. */
		return cut ? 0 : VMOSAL_ETIMEDOUT;
	case EINTR:
		return VMOSAL_EINTR;
	}
	return posix_last_error();
}

int darwin_wake_u32(const uint32_t *addr, bool all)
{
	uint32_t op = DARWIN_UL_COMPARE_AND_WAIT | (all ? DARWIN_ULF_WAKE_ALL : 0);

	for (;;) {
		if (__ulock_wake(op, (void *)(uintptr_t)addr, 0) >= 0)
			return 0;
		/* ENOENT: nobody was waiting. */
		if (errno == ENOENT)
			return 0;
		if (errno != EINTR)
			return posix_last_error();
	}
}
#endif
