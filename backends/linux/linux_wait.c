/* Linux wait sets (epoll) and timers (timerfd). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "linux.h"

#include "vmosal/timer.h"

/* ---- wait sets ----
 * A set is an epoll descriptor, kept in the core's pointer as fd + 1 (so
 * that descriptor 0 is not NULL). epoll itself is safe to change from one
 * thread while another waits, and reports EEXIST, ENOENT and EBADF as the
 * header asks; the token is epoll's 64-bit data. */

static inline int linux_ws_fd(void *ws)
{
	return (int)((intptr_t)ws - 1);
}

int linux_waitset_create(unsigned flags, void **ws)
{
	int fd;

	if (flags != 0)
		return VMOSAL_ENOTSUP;
	if ((fd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return posix_last_error();
	*ws = (void *)((intptr_t)fd + 1);
	return 0;
}

int linux_waitset_destroy(void *ws)
{
	return posix_handle_close(linux_ws_fd(ws));
}

/* VMOSAL_WAIT_* to epoll's bits. A peer's half-close (EPOLLRDHUP) is
 * reported as a hang-up, as macOS's EV_EOF is. */
static uint32_t linux_epoll_events(unsigned events)
{
	uint32_t e = EPOLLRDHUP;

	if (events & VMOSAL_WAIT_READABLE)
		e |= EPOLLIN;
	if (events & VMOSAL_WAIT_WRITABLE)
		e |= EPOLLOUT;
	if (events & VMOSAL_WAIT_EDGE)
		e |= EPOLLET;
	if (events & VMOSAL_WAIT_ONESHOT)
		e |= EPOLLONESHOT;
	return e;
}

static unsigned linux_wait_events(uint32_t e)
{
	unsigned events = 0;

	if (e & (EPOLLIN | EPOLLPRI))
		events |= VMOSAL_WAIT_READABLE;
	if (e & EPOLLOUT)
		events |= VMOSAL_WAIT_WRITABLE;
	if (e & (EPOLLHUP | EPOLLRDHUP))
		events |= VMOSAL_WAIT_HANGUP;
	if (e & EPOLLERR)
		events |= VMOSAL_WAIT_ERROR;
	return events;
}

static int linux_waitset_ctl(void *ws, int op, vmosal_handle_t h, unsigned events, uint64_t token)
{
	struct epoll_event ev = {.events = linux_epoll_events(events), .data.u64 = token};

	if (epoll_ctl(linux_ws_fd(ws), op, h, &ev) == 0)
		return 0;
	/* EPERM: a descriptor epoll cannot watch (a regular file, a
	 * directory), which is always ready anyway. */
	return errno == EPERM ? VMOSAL_ENOTSUP : posix_last_error();
}

int linux_waitset_add(void *ws, vmosal_handle_t h, unsigned events, uint64_t token)
{
	return linux_waitset_ctl(ws, EPOLL_CTL_ADD, h, events, token);
}

int linux_waitset_modify(void *ws, vmosal_handle_t h, unsigned events, uint64_t token)
{
	return linux_waitset_ctl(ws, EPOLL_CTL_MOD, h, events, token);
}

int linux_waitset_remove(void *ws, vmosal_handle_t h)
{
	struct epoll_event ev = {0}; /* kernels before 2.6.9 want one */

	return epoll_ctl(linux_ws_fd(ws), EPOLL_CTL_DEL, h, &ev) == 0 ? 0 : posix_last_error();
}

/* epoll_pwait2 (Linux 5.11) by number: glibc before 2.35 and musl have no
 * wrapper. Where the kernel (or qemu-user, or a seccomp filter that
 * predates it) refuses it, epoll_pwait with milliseconds, decided once. */
#ifndef __NR_epoll_pwait2
#if defined(SYS_epoll_pwait2)
#define __NR_epoll_pwait2 SYS_epoll_pwait2
#elif !defined(__alpha__)
#define __NR_epoll_pwait2 441 /* the same on every architecture since 5.1 but alpha */
#endif
#endif

#ifdef __NR_epoll_pwait2
static atomic_bool linux_no_pwait2;
#endif

/* One epoll wait, with mask in force during it (NULL: the thread's): the
 * count, or -errno. The mask is the kernel's, _NSIG bits. */
static int linux_epoll_wait_once(int epfd, struct epoll_event *evs, int max, int64_t timeout_ns,
				 const sigset_t *mask)
{
	int n;

#ifdef __NR_epoll_pwait2
	if (timeout_ns != 0 && !atomic_load_explicit(&linux_no_pwait2, memory_order_relaxed)) {
		struct timespec ts = {(time_t)(timeout_ns / 1000000000), (long)(timeout_ns % 1000000000)};

		n = (int)syscall(__NR_epoll_pwait2, epfd, evs, max, timeout_ns < 0 ? NULL : &ts, mask,
				 (size_t)(_NSIG / 8));
		if (n >= 0)
			return n;
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		atomic_store_explicit(&linux_no_pwait2, true, memory_order_relaxed);
	}
#endif
	n = epoll_pwait(epfd, evs, max, posix_timeout_ms(timeout_ns), mask);
	return n >= 0 ? n : -errno;
}

/* A wait takes at most this many at once; the rest wait for the next. */
#define LINUX_WAIT_BATCH 256

int linux_waitset_wait(void *ws, int64_t timeout_ns, struct vmosal_wait_event *ready,
		       size_t capacity, size_t *n, const uint32_t *kick_pending)
{
	struct epoll_event evs[LINUX_WAIT_BATCH];
	int max = capacity < LINUX_WAIT_BATCH ? (int)capacity : LINUX_WAIT_BATCH;
	int sig = posix_kick_os_signal(), got, rc;
	sigset_t kick, old, during;

	if (kick_pending != NULL && __atomic_load_n(kick_pending, __ATOMIC_RELAXED) != 0)
		return VMOSAL_EINTR;
	if (timeout_ns == 0 || kick_pending == NULL || sig == 0) {
		/* A test cannot miss a kick: no signal mask to change. */
		got = linux_epoll_wait_once(linux_ws_fd(ws), evs, max, timeout_ns, NULL);
	} else {
		/* The kick rule (posix_kick_wait_fd): the flag read with the
		 * kick signal blocked, which only the wait's mask unblocks. */
		sigemptyset(&kick);
		sigaddset(&kick, sig);
		if ((rc = pthread_sigmask(SIG_BLOCK, &kick, &old)) != 0)
			return posix_error_from_errno(rc);
		if (__atomic_load_n(kick_pending, __ATOMIC_SEQ_CST) != 0) {
			got = -EINTR;
		} else {
			during = old;
			sigdelset(&during, sig);
			got = linux_epoll_wait_once(linux_ws_fd(ws), evs, max, timeout_ns, &during);
		}
		/* A thread that keeps it blocked (thread.h) saves a call. */
		if (sigismember(&old, sig) != 1)
			pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (got < 0)
		return got == -EINTR ? VMOSAL_EINTR : posix_error_from_errno(-got);
	if (got == 0)
		return VMOSAL_ETIMEDOUT;
	for (int i = 0; i < got; i++) {
		ready[i].token = evs[i].data.u64;
		ready[i].events = linux_wait_events(evs[i].events);
		ready[i].reserved = 0;
	}
	*n = (size_t)got;
	return 0;
}

/* ---- timers ----
 * A timer is a timerfd, non-blocking (a read never blocks) and marked in
 * linux_timer_fds, so that its check costs a load; one made elsewhere is
 * checked by its /proc link (and counts as relative). Whether arm takes
 * an absolute time is the timer's, chosen at creation: timerfd keeps no
 * such flag, so linux_timer_absolute does. */

linux_fd_bitmap linux_timer_fds, linux_timer_absolute;

static const char linux_timerfd_name[] = "anon_inode:[timerfd]";

static int linux_timer_check(vmosal_handle_t h, bool nonblocking)
{
	return linux_fd_marked(linux_timer_fds, h) ? 0
						  : linux_anon_check(h, linux_timerfd_name, nonblocking);
}

int linux_timer_create(int clock, unsigned flags, vmosal_handle_t *out)
{
	clockid_t id;
	int fd;

	switch (clock) {
	case VMOSAL_CLOCK_MONOTONIC:
		id = CLOCK_MONOTONIC;
		break;
	case VMOSAL_CLOCK_REALTIME:
		id = CLOCK_REALTIME;
		break;
	case VMOSAL_CLOCK_BOOTTIME:
		id = CLOCK_BOOTTIME;
		break;
	default:
		return VMOSAL_ENOTSUP;
	}
	if ((flags & ~VMOSAL_TIMER_ABSOLUTE) != 0)
		return VMOSAL_ENOTSUP;
	if ((fd = timerfd_create(id, TFD_CLOEXEC | TFD_NONBLOCK)) < 0)
		return posix_last_error();
	if (flags & VMOSAL_TIMER_ABSOLUTE) {
		/* Beyond the bitmap it would arm as a relative timer. */
		if ((unsigned)fd >= LINUX_FD_BITS) {
			close(fd);
			return VMOSAL_ENOSPC;
		}
		linux_fd_mark(linux_timer_absolute, fd, true);
	}
	linux_fd_mark(linux_timer_fds, fd, true);
	*out = fd;
	return 0;
}

/* ns as a timespec; false when time_t cannot hold it (32-bit time_t). */
static bool linux_timespec(uint64_t ns, struct timespec *ts)
{
	uint64_t sec = ns / 1000000000u;

	ts->tv_sec = (time_t)sec;
	ts->tv_nsec = (long)(ns % 1000000000u);
	return ts->tv_sec >= 0 && (uint64_t)ts->tv_sec == sec;
}

int linux_timer_arm(vmosal_handle_t h, uint64_t first_ns, uint64_t period_ns)
{
	struct itimerspec its;
	int rc, flags = 0;

	if ((rc = linux_timer_check(h, false)) != 0)
		return rc;
	if (!linux_timespec(first_ns, &its.it_value) || !linux_timespec(period_ns, &its.it_interval))
		return VMOSAL_EOVERFLOW;
	/* first_ns 0, it_value zero: disarmed, with what was not read. */
	if (first_ns != 0 && linux_fd_marked(linux_timer_absolute, h))
		flags = TFD_TIMER_ABSTIME;
	if (timerfd_settime(h, flags, &its, NULL) != 0)
		return posix_last_error();
	return 0;
}

int linux_timer_read(vmosal_handle_t h, uint64_t *expirations)
{
	uint64_t value;
	long n;
	int rc;

	if ((rc = linux_timer_check(h, true)) != 0)
		return rc;
	/* Raw, as an event's read: the call a device loop makes per tick. */
	do
		n = linux_syscall3(SYS_read, h, (long)&value, sizeof value);
	while (n == -EINTR);
	if (n == (long)sizeof value) {
		*expirations = value;
		return 0;
	}
	if (n == -EAGAIN)
		return VMOSAL_EAGAIN;
	return n < 0 ? posix_error_from_errno((int)-n) : VMOSAL_EIO;
}
