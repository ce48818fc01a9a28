/* POSIX handles, clocks, device files, and events of one FIFO descriptor,
 * shared by the POSIX backends. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "posix.h"

int posix_handle_close(vmosal_handle_t h)
{
	posix_channel_forget(h);
	/* Linux and macOS release the descriptor even on EINTR: never retry. */
	if (close(h) != 0 && errno != EINTR)
		return posix_last_error();
	return 0;
}

int posix_handle_dup(vmosal_handle_t h, vmosal_handle_t *out)
{
	/* Close-on-exec from the start: no window in which another thread's
	 * fork and exec could take it along. */
	int fd = fcntl(h, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		return posix_last_error();
	*out = fd;
	return 0;
}

int posix_handle_set_inheritable(vmosal_handle_t h, bool inherit)
{
	int flags = fcntl(h, F_GETFD);

	if (flags < 0)
		return posix_last_error();
	flags = inherit ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC;
	return fcntl(h, F_SETFD, flags) == 0 ? 0 : posix_last_error();
}

/* Sized by what this backend knows: a clock added later is ENOTSUP. */
static const clockid_t posix_clocks[] = {
	[VMOSAL_CLOCK_MONOTONIC] = CLOCK_MONOTONIC,
#ifdef CLOCK_MONOTONIC_RAW
	[VMOSAL_CLOCK_MONOTONIC_RAW] = CLOCK_MONOTONIC_RAW,
#else
	[VMOSAL_CLOCK_MONOTONIC_RAW] = CLOCK_MONOTONIC,
#endif
	[VMOSAL_CLOCK_REALTIME] = CLOCK_REALTIME,
	[VMOSAL_CLOCK_THREAD_CPU] = CLOCK_THREAD_CPUTIME_ID,
#ifdef CLOCK_BOOTTIME
	[VMOSAL_CLOCK_BOOTTIME] = CLOCK_BOOTTIME,
#else
	[VMOSAL_CLOCK_BOOTTIME] = CLOCK_MONOTONIC,
#endif
};

int posix_clock_ns(int clock, uint64_t *out)
{
	struct timespec ts;

	if (clock < 0 || (size_t)clock >= sizeof posix_clocks / sizeof posix_clocks[0])
		return VMOSAL_ENOTSUP;
	if (clock_gettime(posix_clocks[clock], &ts) != 0)
		return posix_last_error();
	*out = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return 0;
}

int posix_sleep_ns(uint64_t ns)
{
	struct timespec left = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};

	/* nanosleep leaves what is left in `left` when a handler ran. */
	while (nanosleep(&left, &left) != 0)
		if (errno != EINTR)
			return posix_last_error();
	return 0;
}

int posix_device_open(const char *path, unsigned flags, vmosal_handle_t *out)
{
	int mode = (flags & VMOSAL_DEVICE_READ) && (flags & VMOSAL_DEVICE_WRITE) ? O_RDWR
		   : (flags & VMOSAL_DEVICE_WRITE)				     ? O_WRONLY
										     : O_RDONLY;
	int fd;

	if ((flags & ~(VMOSAL_DEVICE_READ | VMOSAL_DEVICE_WRITE)) != 0)
		return VMOSAL_ENOTSUP;
	do
		fd = open(path, mode | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return posix_last_error();
	*out = fd;
	return 0;
}

int posix_device_ioctl(vmosal_handle_t h, unsigned long request, void *arg, unsigned flags,
		       int *result)
{
	int r;

	if ((flags & ~VMOSAL_IOCTL_NO_RESTART) != 0)
		return VMOSAL_ENOTSUP;
	do
		r = ioctl(h, request, arg);
	while (r < 0 && errno == EINTR && !(flags & VMOSAL_IOCTL_NO_RESTART));
	if (r < 0)
		return errno == ENOTTY ? VMOSAL_ENOTSUP : posix_last_error();
	*result = r;
	return 0;
}

int posix_timeout_ms(int64_t timeout_ns)
{
	if (timeout_ns < 0)
		return -1;
	if (timeout_ns / 1000000 >= INT32_MAX)
		return INT32_MAX;
	return (int)((timeout_ns + 999999) / 1000000);
}

int posix_process_id(uint64_t *out)
{
	*out = (uint64_t)getpid();
	return 0;
}

/* ---- events of one FIFO descriptor ----
 * An event as one descriptor without eventfd (Darwin): a FIFO opened for
 * both reading and writing, its name unlinked at once. Signalling writes a
 * byte, waiting drains it; the one descriptor does both, in this process,
 * in a child that inherited it, or in a process it was sent to
 * (SCM_RIGHTS), as an eventfd does. A kqueue can do none of the last two.
 * Built on every POSIX host, so that Linux runs its tests. */

int posix_event_create_in(const char *dir, vmosal_handle_t *out)
{
	return posix_event_create_at(dir, 0, out);
}

/* A SEMAPHORE event is one opened O_APPEND, which a FIFO ignores: the mark
 * is the open file's, so it holds in every process that holds the event,
 * as EFD_SEMAPHORE does, with no table to keep. */
#define POSIX_EVENT_SEMAPHORE O_APPEND

int posix_event_create_at(const char *dir, unsigned flags, vmosal_handle_t *out)
{
	static atomic_uint serial;
	int mode = O_RDWR | O_NONBLOCK | O_CLOEXEC;

	if ((flags & ~VMOSAL_EVENT_SEMAPHORE) != 0)
		return VMOSAL_ENOTSUP;
	if (flags & VMOSAL_EVENT_SEMAPHORE)
		mode |= POSIX_EVENT_SEMAPHORE;
	char path[1024];

	for (int tries = 0; tries < 64; tries++) {
		int fd, rc;

		snprintf(path, sizeof path, "%s/vmosal-event.%ld.%u", dir, (long)getpid(),
			 atomic_fetch_add(&serial, 1));
		if (mkfifo(path, 0600) != 0) {
			if (errno == EEXIST)
				continue; /* a name another process left behind */
			return posix_last_error();
		}
		/* O_RDWR on a FIFO: undefined by POSIX; Linux documents it
		 * (fifo(7)), XNU's and the BSDs' fifo_open count the opener as
		 * reader and writer both, so it neither blocks nor fails. */
		fd = open(path, mode);
		rc = fd < 0 ? posix_last_error() : 0;
		unlink(path);
		if (rc != 0)
			return rc;
		*out = fd;
		return 0;
	}
	return VMOSAL_EEXIST;
}

/* 0 when fd is a FIFO open for reading and writing (and, for a wait,
 * non-blocking: a blocking read could outlast the timeout); VMOSAL_EBADF
 * for anything else, VMOSAL_EINVAL when blocking. *semaphore (may be
 * NULL): whether it takes one signal at a time. */
static int posix_event_check(vmosal_handle_t fd, bool wait, bool *semaphore)
{
	struct stat st;
	int flags;

	if (fstat(fd, &st) != 0)
		return posix_last_error();
	if (!S_ISFIFO(st.st_mode) || (flags = fcntl(fd, F_GETFL)) < 0 ||
	    (flags & O_ACCMODE) != O_RDWR)
		return VMOSAL_EBADF;
	if (semaphore != NULL)
		*semaphore = (flags & POSIX_EVENT_SEMAPHORE) != 0;
	return !wait || (flags & O_NONBLOCK) ? 0 : VMOSAL_EINVAL;
}

int posix_event_notify(vmosal_handle_t h)
{
	const char one = 1;
	int rc;

	if ((rc = posix_event_check(h, false, NULL)) != 0)
		return rc;
	/* One write(2): what a signal handler may call. Full (EAGAIN): it
	 * is signalled already, and one wait takes every signal anyway. */
	while (write(h, &one, 1) < 0) {
		if (errno == EAGAIN)
			return 0;
		if (errno != EINTR)
			return posix_last_error();
	}
	return 0;
}

/* Takes the event if signalled, and counts the signals taken in *count
 * (may be NULL): 0, or VMOSAL_EAGAIN. A semaphore gives one byte. */
static int posix_event_take(vmosal_handle_t h, bool semaphore, uint64_t *count)
{
	char buf[256];
	uint64_t got = 0;
	ssize_t n;

	/* Everything written so far: one wait takes every signal. */
	while ((n = read(h, buf, semaphore ? 1 : sizeof buf)) != 0) {
		if (n > 0) {
			got += (uint64_t)n;
			if (semaphore)
				break;
			continue;
		}
		if (errno == EAGAIN)
			break;
		if (errno != EINTR)
			return posix_last_error();
	}
	if (got == 0)
		return VMOSAL_EAGAIN;
	if (count != NULL)
		*count = got;
	return 0;
}

int posix_event_wait_kick(vmosal_handle_t h, int64_t timeout_ns, const uint32_t *kick_pending)
{
	uint64_t start = 0, now = 0;
	bool semaphore = false;
	int rc;

	if ((rc = posix_event_check(h, true, &semaphore)) != 0)
		return rc;
	if (kick_pending != NULL && __atomic_load_n(kick_pending, __ATOMIC_RELAXED) != 0)
		return VMOSAL_EINTR;
	if (timeout_ns > 0)
		posix_clock_ns(VMOSAL_CLOCK_MONOTONIC, &start);
	/* Take it if signalled, else wait for the FIFO to become readable
	 * and try again: another waiter may take it first. */
	while ((rc = posix_event_take(h, semaphore, NULL)) == VMOSAL_EAGAIN) {
		int64_t left = timeout_ns;

		if (timeout_ns > 0) {
			posix_clock_ns(VMOSAL_CLOCK_MONOTONIC, &now);
			left = now - start >= (uint64_t)timeout_ns
				       ? 0
				       : timeout_ns - (int64_t)(now - start);
		}
		if (left == 0)
			return VMOSAL_ETIMEDOUT;
		if ((rc = posix_kick_wait_fd(h, left, kick_pending)) != 0)
			return rc;
	}
	return rc;
}

int posix_event_wait(vmosal_handle_t h, int64_t timeout_ns)
{
	return posix_event_wait_kick(h, timeout_ns, NULL);
}

int posix_event_read(vmosal_handle_t h, uint64_t *count)
{
	bool semaphore = false;
	int rc;

	if ((rc = posix_event_check(h, true, &semaphore)) != 0)
		return rc;
	return posix_event_take(h, semaphore, count);
}
