/* The calling thread's scheduling, read and put back around tests that
 * change it. Linux only (Makefile.am). */
#include "config.h"

#include "internal.h"

int vmosal_test_getscheduler(pid_t tid)
{
	return (int)syscall(SYS_sched_getscheduler, tid);
}

int vmosal_test_setscheduler(pid_t tid, int policy, const struct sched_param *p)
{
	return (int)syscall(SYS_sched_setscheduler, tid, policy, p);
}

int vmosal_test_getparam(pid_t tid, struct sched_param *p)
{
	return (int)syscall(SYS_sched_getparam, tid, p);
}

static struct {
	cpu_set_t cpus;
	int policy, nice;
	struct sched_param param;
} saved;

void vmosal_test_sched_save(void)
{
	ck_assert_int_eq(sched_getaffinity(0, sizeof saved.cpus, &saved.cpus), 0);
	saved.policy = vmosal_test_getscheduler(0);
	ck_assert_int_ge(saved.policy, 0);
	ck_assert_int_eq(vmosal_test_getparam(0, &saved.param), 0);
	errno = 0;
	saved.nice = getpriority(PRIO_PROCESS, 0);
	ck_assert_int_eq(errno, 0);
}

void vmosal_test_sched_restore(void)
{
	vmosal_test_setscheduler(0, saved.policy, &saved.param);
	setpriority(PRIO_PROCESS, 0, saved.nice);
	sched_setaffinity(0, sizeof saved.cpus, &saved.cpus);
}
