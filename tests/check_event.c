/* Events, clocks, device files and ioctl on the host's backend. Built for
 * every host: a case that needs what Windows lacks skips there, saying
 * what. */
#include "config.h"

#include <stdatomic.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#endif

#include "testutil.h"
#include "vmosal.h"

static atomic_int alarms;

/* Counters start at zero for every test, in one process (CK_FORK=no) too. */
static void setup(void)
{
	ck_assert_int_eq(vmosal_init(), 0);
	atomic_store(&alarms, 0);
}

/* ---- events ---- */

START_TEST(test_event_signal_wait)
{
	vmosal_handle_t ev = VMOSAL_NO_HANDLE;
#ifndef _WIN32
	struct pollfd pfd;
#endif

	ck_assert_int_eq(vmosal_event_create(2, &ev), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_event_create(0, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
#ifdef _WIN32
	{
		DWORD flags = 0;

		ck_assert(GetHandleInformation(ev, &flags));
		ck_assert_uint_eq(flags & HANDLE_FLAG_INHERIT, 0);
	}
#else
	ck_assert_int_ne(fcntl(ev, F_GETFD) & FD_CLOEXEC, 0);
#endif
	ck_assert_int_eq(vmosal_event_wait(ev, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_event_wait(ev, 2000000), VMOSAL_ETIMEDOUT);
	/* Two signals, one wait takes both. */
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
#ifdef _WIN32
	/* What WaitForMultipleObjects in an event loop sees. */
	ck_assert_uint_eq(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
#else
	pfd = (struct pollfd){.fd = ev, .events = POLLIN};
	ck_assert_int_eq(poll(&pfd, 1, 0), 1); /* what irqfd and event loops see */
#endif
	ck_assert_int_eq(vmosal_event_wait(ev, -1), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_event_notify(VMOSAL_NO_HANDLE), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_event_wait(VMOSAL_NO_HANDLE, 0), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_handle_close(VMOSAL_NO_HANDLE), VMOSAL_EBADF);
}
END_TEST

/* A timed wait is never early, and one wait takes every notify before it. */
START_TEST(test_event_wait_takes_its_time)
{
	vmosal_handle_t ev;
	uint64_t t0, t1;

	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t0), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, 30 * 1000000), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t1), 0);
	ck_assert_uint_ge(t1 - t0, 30 * 1000000);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

/* A second handle of an event is the same event, and outlives the first. */
START_TEST(test_event_dup)
{
	vmosal_handle_t ev, dup = VMOSAL_NO_HANDLE;
	int rc;

	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	rc = vmosal_handle_dup(ev, &dup);
	if (rc == VMOSAL_ENOTSUP) {
		vmosal_handle_close(ev);
		VMOSAL_SKIP("the %s backend cannot duplicate a handle", vmosal_backend_name());
	}
	ck_assert_int_eq(rc, 0);
	ck_assert(VMOSAL_HANDLE_VALID(dup));
	ck_assert(dup != ev);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_event_wait(dup, 0), 0);
	ck_assert_int_eq(vmosal_event_wait(dup, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_handle_set_inheritable(dup, true), 0);
	ck_assert_int_eq(vmosal_handle_set_inheritable(dup, false), 0);
	ck_assert_int_eq(vmosal_handle_close(dup), 0);
	ck_assert_int_eq(vmosal_handle_dup(VMOSAL_NO_HANDLE, &dup), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_handle_dup(dup, NULL), VMOSAL_EINVAL);
}
END_TEST

/* ---- an event's count ---- */

/* A read takes every signal at once and says how many (Windows: an event
 * object keeps no count, 1), and never waits. */
START_TEST(test_event_read_count)
{
	long handles = vmosal_test_handle_count();
	vmosal_handle_t ev;
	uint64_t count = 0;

	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_event_read(ev, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_event_read(VMOSAL_NO_HANDLE, &count), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_event_read(ev, &count), VMOSAL_EAGAIN);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_event_read(ev, &count), 0);
#ifdef _WIN32
	ck_assert_uint_eq(count, 1);
#else
	ck_assert_uint_eq(count, 5);
#endif
	ck_assert_int_eq(vmosal_event_read(ev, &count), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), VMOSAL_ETIMEDOUT);
	/* A wait and a read take from the same count. */
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), 0);
	ck_assert_int_eq(vmosal_event_read(ev, &count), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_event_read(ev, &count), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	if (handles >= 0)
		ck_assert_int_eq(vmosal_test_handle_count(), handles);
}
END_TEST

/* SEMAPHORE: each read and each wait takes one signal. */
START_TEST(test_event_semaphore)
{
	vmosal_handle_t ev, dup;
	uint64_t count = 0;

	ck_assert_int_eq(vmosal_event_create(VMOSAL_EVENT_SEMAPHORE, &ev), 0);
	ck_assert_int_eq(vmosal_event_read(ev, &count), VMOSAL_EAGAIN);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(vmosal_event_notify(ev), 0);
	for (int i = 0; i < 4; i++) {
		count = 0;
		ck_assert_int_eq(vmosal_event_read(ev, &count), 0);
		ck_assert_uint_eq(count, 1);
	}
	ck_assert_int_eq(vmosal_event_read(ev, &count), VMOSAL_EAGAIN);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, -1), 0);
	/* A copy is the same semaphore. */
	ck_assert_int_eq(vmosal_handle_dup(ev, &dup), 0);
	ck_assert_int_eq(vmosal_event_read(dup, &count), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_event_read(dup, &count), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_handle_close(dup), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

/* Not an event: refused, and nothing taken from it (a timer's expiry). */
START_TEST(test_event_read_refuses_a_timer)
{
	vmosal_handle_t t;
	uint64_t count = 0;
	int rc = vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &t);

	if (rc == VMOSAL_ENOTSUP)
		VMOSAL_SKIP("the %s backend has no timers", vmosal_backend_name());
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(vmosal_timer_arm(t, 0, 0), 0);
	vmosal_sleep_ns(5 * 1000000);
	ck_assert_int_eq(vmosal_event_read(t, &count), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(vmosal_handle_close(t), 0);
}
END_TEST

#ifndef _WIN32
/* Notifies once the alarm was handled (in the waiter: SIGALRM is blocked
 * here), and 10 ms later, so that the handler ran during the wait
 * however late a busy machine runs either thread. */
static void *signal_later(void *arg)
{
	sigset_t alarm;

	sigemptyset(&alarm);
	sigaddset(&alarm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alarm, NULL);
	for (int i = 0; i < 10000 && atomic_load(&alarms) == 0; i++)
		vmosal_sleep_ns(1000 * 1000);
	vmosal_sleep_ns(10 * 1000 * 1000);
	vmosal_event_notify(*(vmosal_handle_t *)arg);
	return NULL;
}

static bool count_alarm(const struct vmosal_siginfo *info, void *ctx)
{
	(void)info;
	(void)ctx;
	atomic_fetch_add(&alarms, 1);
	return true;
}

/* A waiter blocks (no spinning) until another thread signals; a signal
 * handler running meanwhile does not end the wait early. */
START_TEST(test_event_wakes_a_blocked_waiter)
{
	vmosal_signal_handler_t *h;
	vmosal_handle_t ev;
	pthread_t t;
	uint64_t before, after;

	ck_assert_int_eq(vmosal_signal_add_handler(VMOSAL_SIGALRM, count_alarm, NULL, &h), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, signal_later, &ev), 0);
	ualarm(5000, 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_THREAD_CPU, &before), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, (int64_t)5 * 1000000000), 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_THREAD_CPU, &after), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(atomic_load(&alarms), 1);
	/* 15 ms or more of waiting cost next to no CPU: it blocked. */
	ck_assert_uint_lt(after - before, 5 * 1000 * 1000);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_signal_remove_handler(h), 0);
}
END_TEST

/* A short wait takes about as long as it says: nanoseconds (ppoll), not
 * poll()'s milliseconds, which never return before 1 ms. The shortest of
 * many is taken: load only ever makes a wait longer. */
START_TEST(test_short_wait_is_short)
{
	vmosal_handle_t ev;
	uint64_t best = UINT64_MAX;

	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	for (int i = 0; i < 50; i++) {
		uint64_t t0, t1;

		ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t0), 0);
		ck_assert_int_eq(vmosal_event_wait(ev, 10000), VMOSAL_ETIMEDOUT);
		ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t1), 0);
		ck_assert_uint_ge(t1 - t0, 10000); /* never early */
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	ck_assert_msg(best < 900000, "a 10 us wait took at least %llu ns",
		      (unsigned long long)best);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

/* Only an event is waited on or signalled: a regular file would read as
 * signalled and take 8 bytes at each signal, a pipe would lose data. */
START_TEST(test_event_refuses_other_descriptors)
{
	int file = vmosal_test_tmpfile(), fds[2];
	struct stat st;

	ck_assert_int_ge(file, 0);
	ck_assert_int_eq(write(file, "0123456789abcdef", 16), 16);
	ck_assert_int_eq(lseek(file, 0, SEEK_SET), 0);
	ck_assert_int_eq(vmosal_event_wait(file, 0), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_event_wait(file, 1000000), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_event_notify(file), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_event_read(file, &(uint64_t){0}), VMOSAL_EBADF);
	ck_assert_int_eq(fstat(file, &st), 0);
	ck_assert_int_eq(st.st_size, 16);
	ck_assert_int_eq(lseek(file, 0, SEEK_CUR), 0); /* nothing read */
	close(file);
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "01234567", 8), 8);
	ck_assert_int_eq(vmosal_event_wait(fds[0], 0), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_event_read(fds[0], &(uint64_t){0}), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_event_notify(fds[1]), VMOSAL_EBADF);
	{
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		ck_assert_int_eq(poll(&pfd, 1, 0), 1); /* its data still there */
	}
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* An eventfd made elsewhere (a vhost-user peer's) is an event too. One in
 * blocking mode is refused for a wait, whose read could outlast the
 * timeout; before, the wait read it first and blocked for good. */
START_TEST(test_event_foreign_eventfd)
{
	int nb = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), blocking = eventfd(0, EFD_CLOEXEC);
	uint64_t v = 0;

	ck_assert_int_ge(nb, 0);
	ck_assert_int_ge(blocking, 0);
	ck_assert_int_eq(vmosal_event_wait(nb, 1000000), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_event_notify(nb), 0);
	ck_assert_int_eq(vmosal_event_wait(nb, -1), 0);
	ck_assert_int_eq(vmosal_event_wait(blocking, 10 * 1000000), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_event_wait(blocking, 0), VMOSAL_EINVAL);
	/* A read of an empty one would block: refused as for a wait. */
	ck_assert_int_eq(vmosal_event_read(blocking, &v), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_event_notify(nb), 0);
	ck_assert_int_eq(vmosal_event_notify(nb), 0);
	ck_assert_int_eq(vmosal_event_read(nb, &v), 0);
	ck_assert_uint_eq(v, 2);
	ck_assert_int_eq(vmosal_event_notify(blocking), 0);
	ck_assert_int_eq(read(blocking, &v, sizeof v), (ssize_t)sizeof v);
	ck_assert_uint_eq(v, 1);
	close(nb);
	close(blocking);
}
END_TEST

#else
POSIX_ONLY(test_event_wakes_a_blocked_waiter, "SIGALRM, to interrupt the wait with")
POSIX_ONLY(test_short_wait_is_short,
	   "wait below 1 ms to count on: timed waits end on a timer's tick")
POSIX_ONLY(test_event_refuses_other_descriptors,
	   "way to tell an event from another waitable handle before waiting")
POSIX_ONLY(test_event_foreign_eventfd, "eventfd")
#endif

#ifndef _WIN32
/* ---- clocks ---- */

static uint64_t raw_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

START_TEST(test_clocks)
{
	uint64_t mono, mono2, rt, boot, cpu1, cpu2, raw;
	volatile uint64_t sink = 0;

	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_COUNT, &mono), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_clock_ns((enum vmosal_clock)-1, &mono), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &mono), 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &mono2), 0);
	ck_assert_uint_ge(mono2, mono);
	raw = raw_ns(CLOCK_MONOTONIC); /* the same clock, read just after */
	ck_assert_uint_ge(raw, mono2);
	ck_assert_uint_lt(raw - mono2, 100 * 1000 * 1000);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC_RAW, &raw), 0);
	ck_assert_uint_gt(raw, 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_REALTIME, &rt), 0);
	ck_assert_uint_le((uint64_t)time(NULL) - rt / 1000000000u, 1);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_BOOTTIME, &boot), 0);
	ck_assert_uint_ge(boot + 1000000u, mono);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_THREAD_CPU, &cpu1), 0);
	for (int i = 0; i < 2000000; i++)
		sink += (uint64_t)i;
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_THREAD_CPU, &cpu2), 0);
	ck_assert_uint_gt(sink, 0);
	ck_assert_uint_gt(cpu2, cpu1);
}
END_TEST

/* The whole duration, even when a handler runs in the middle. */
START_TEST(test_sleep_resumes_after_signals)
{
	vmosal_signal_handler_t *h;
	uint64_t start, end;

	ck_assert_int_eq(vmosal_signal_add_handler(VMOSAL_SIGALRM, count_alarm, NULL, &h), 0);
	ualarm(5000, 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &start), 0);
	ck_assert_int_eq(vmosal_sleep_ns(30 * 1000 * 1000), 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &end), 0);
	ck_assert_int_eq(atomic_load(&alarms), 1);
	ck_assert_uint_ge(end - start, 30 * 1000 * 1000);
	ck_assert_int_eq(vmosal_signal_remove_handler(h), 0);
}
END_TEST

#else
/* ---- clocks ---- */

START_TEST(test_clocks)
{
	uint64_t t0, t1, wall, cpu1, cpu2;
	volatile uint64_t sink = 0;

	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_COUNT, &t0), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t0), 0);
	ck_assert_int_eq(vmosal_sleep_ns(5 * 1000000), 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t1), 0);
	ck_assert_uint_ge(t1 - t0, 5 * 1000000);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC_RAW, &t0), 0);
	ck_assert_uint_gt(t0, 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_REALTIME, &wall), 0);
	ck_assert_uint_gt(wall / 1000000000u, 1700000000u); /* after 2023 */
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_BOOTTIME, &t1), 0);
	ck_assert_uint_gt(t1, 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_THREAD_CPU, &cpu1), 0);
	for (int i = 0; i < 2000000; i++)
		sink += (uint64_t)i;
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_THREAD_CPU, &cpu2), 0);
	ck_assert_uint_gt(sink, 0);
	ck_assert_uint_ge(cpu2, cpu1);
}
END_TEST

POSIX_ONLY(test_sleep_resumes_after_signals, "SIGALRM, to interrupt the sleep with")
#endif

#ifndef _WIN32
/* ---- devices ---- */

START_TEST(test_device_open_and_ioctl)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	uint64_t pid = 0;
	int result = -1;

	ck_assert_int_eq(vmosal_device_open(NULL, VMOSAL_DEVICE_READ, &h), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_device_open("/dev/null", 0, &h), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_device_open("/dev/null", 0x80, &h), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_device_open("/dev/null", VMOSAL_DEVICE_READ, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_device_open("/nonexistent", VMOSAL_DEVICE_READ, &h),
			 VMOSAL_ENOENT);
	ck_assert_int_eq(h, VMOSAL_NO_HANDLE);
	ck_assert_int_eq(vmosal_device_open("/dev/null", VMOSAL_DEVICE_READ | VMOSAL_DEVICE_WRITE,
					    &h),
			 0);
	ck_assert_int_ne(fcntl(h, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_eq(fcntl(h, F_GETFL) & O_ACCMODE, O_RDWR);
	/* /dev/null takes no ioctl: ENOTTY is ENOTSUP. An emulator answers
	 * an ioctl it does not know itself, with ENOSYS. */
	if (vmosal_test_emulator() == NULL)
		ck_assert_int_eq(vmosal_ioctl(h, VMOSAL_IO(0xAE, 0x00), NULL, 0, &result),
				 VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_ioctl(h, 0, NULL, 0x80, &result), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_ioctl(-1, 0, NULL, 0, &result), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_handle_close(h), 0);
	ck_assert_int_eq(vmosal_process_id(NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_process_id(&pid), 0);
	ck_assert_uint_eq(pid, (uint64_t)getpid());
}
END_TEST

/* The number helpers encode as the host's own macros do. */
START_TEST(test_ioctl_numbers)
{
	ck_assert_uint_eq(VMOSAL_IO(KVMIO, 0x00), KVM_GET_API_VERSION);
	ck_assert_uint_eq(VMOSAL_IO(KVMIO, 0x80), KVM_RUN);
	ck_assert_uint_eq(VMOSAL_IOW(KVMIO, 0x46, sizeof(struct kvm_userspace_memory_region)),
			  KVM_SET_USER_MEMORY_REGION);
	ck_assert_uint_eq(VMOSAL_IOR(KVMIO, 0x81, sizeof(struct kvm_regs)), KVM_GET_REGS);
#if defined(__x86_64__) || defined(__i386__)
	ck_assert_uint_eq(VMOSAL_IOWR(KVMIO, 0x05, sizeof(struct kvm_cpuid2)),
			  KVM_GET_SUPPORTED_CPUID);
#endif
}
END_TEST

/* Both layouts, whatever the host: Linux's against <asm/ioctl.h>'s own
 * macros, BSD's against Darwin's numbers for well-known requests (from
 * <sys/filio.h>, <sys/ttycom.h>, <sys/sockio.h>), in which READ is
 * 0x40000000 and WRITE 0x80000000, the other way round from Linux. */
START_TEST(test_ioctl_layouts)
{
	ck_assert_uint_eq(VMOSAL_IOC_LINUX(VMOSAL_IOC_NONE, 'f', 1, 0), _IO('f', 1));
	ck_assert_uint_eq(VMOSAL_IOC_LINUX(VMOSAL_IOC_READ, 'f', 127, sizeof(int)),
			  _IOR('f', 127, int));
	ck_assert_uint_eq(VMOSAL_IOC_LINUX(VMOSAL_IOC_WRITE, 't', 103, 8),
			  _IOW('t', 103, uint64_t));
	ck_assert_uint_eq(VMOSAL_IOC_LINUX(VMOSAL_IOC_READ | VMOSAL_IOC_WRITE, 'i', 17, 32),
			  _IOWR('i', 17, char[32]));
	ck_assert_uint_eq(VMOSAL_IOC_LINUX(VMOSAL_IOC_READ, 'f', 127, 4), 0x8004667ful);

	/* FIONREAD = _IOR('f', 127, int); TIOCGWINSZ = _IOR('t', 104,
	 * struct winsize); TIOCSWINSZ = _IOW('t', 103, struct winsize);
	 * FIOCLEX = _IO('f', 1); TIOCEXCL = _IO('t', 13); SIOCGIFFLAGS =
	 * _IOWR('i', 17, struct ifreq). */
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_READ, 'f', 127, 4), 0x4004667ful);
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_READ, 't', 104, 8), 0x40087468ul);
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_WRITE, 't', 103, 8), 0x80087467ul);
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_NONE, 'f', 1, 0), 0x20006601ul);
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_NONE, 't', 13, 0), 0x2000740dul);
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_READ | VMOSAL_IOC_WRITE, 'i', 17, 32),
			  0xc0206911ul);
	/* The size keeps its 13 bits, as IOCPARM_MASK does. */
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_READ, 'x', 1, 0x2004), 0x40047801ul);

	/* The short forms take the host's layout. */
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || \
	defined(__OpenBSD__) || defined(__DragonFly__)
	ck_assert_uint_eq(VMOSAL_IOR('f', 127, sizeof(int)), 0x4004667ful);
	ck_assert_uint_eq(VMOSAL_IO('f', 1), 0x20006601ul);
#else
	ck_assert_uint_eq(VMOSAL_IOR('f', 127, sizeof(int)), _IOR('f', 127, int));
	ck_assert_uint_eq(VMOSAL_IOW('t', 103, 8), _IOW('t', 103, uint64_t));
	ck_assert_uint_eq(VMOSAL_IO('f', 1), _IO('f', 1));
	ck_assert_uint_eq(VMOSAL_IOWR('i', 17, 32), _IOWR('i', 17, char[32]));
#endif
}
END_TEST

#else
/* ---- devices ---- */

START_TEST(test_device_open_and_ioctl)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	uint64_t pid = 0;
	int result = 0;
	DWORD flags = 0;

	ck_assert_int_eq(vmosal_device_open(NULL, VMOSAL_DEVICE_READ, &h), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_device_open("NUL", 0, &h), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_device_open("NUL", VMOSAL_DEVICE_READ, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_device_open("C:\\no\\such\\device", VMOSAL_DEVICE_READ, &h),
			 VMOSAL_ENOENT);
	ck_assert_int_eq(vmosal_device_open("NUL", VMOSAL_DEVICE_READ | VMOSAL_DEVICE_WRITE, &h),
			 0);
	ck_assert(GetHandleInformation(h, &flags));
	ck_assert_uint_eq(flags & HANDLE_FLAG_INHERIT, 0);
	/* DeviceIoControl takes buffer sizes ioctl's (request, arg) lacks. */
	ck_assert_int_eq(vmosal_ioctl(h, 1, NULL, 0, &result), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_handle_close(h), 0);
	ck_assert_int_eq(vmosal_process_id(NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_process_id(&pid), 0);
	ck_assert_uint_eq(pid, GetCurrentProcessId());
}
END_TEST

POSIX_ONLY(test_ioctl_numbers, "<linux/kvm.h> to compare the number helpers with")
POSIX_ONLY(test_ioctl_layouts, "<sys/ioctl.h> to compare the number helpers with")
#endif

int main(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("event");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_event_signal_wait);
	tcase_add_test(tc, test_event_wait_takes_its_time);
	tcase_add_test(tc, test_event_dup);
	tcase_add_test(tc, test_event_read_count);
	tcase_add_test(tc, test_event_semaphore);
	tcase_add_test(tc, test_event_read_refuses_a_timer);
	tcase_add_test(tc, test_event_wakes_a_blocked_waiter);
	tcase_add_test(tc, test_short_wait_is_short);
	tcase_add_test(tc, test_event_refuses_other_descriptors);
	tcase_add_test(tc, test_event_foreign_eventfd);
	tcase_add_test(tc, test_clocks);
	tcase_add_test(tc, test_sleep_resumes_after_signals);
	tcase_add_test(tc, test_device_open_and_ioctl);
	tcase_add_test(tc, test_ioctl_numbers);
	tcase_add_test(tc, test_ioctl_layouts);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
