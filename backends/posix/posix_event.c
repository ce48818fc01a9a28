/* An event as one descriptor without eventfd (Darwin): a FIFO opened for
 * both reading and writing, its name unlinked at once. Signalling writes a
 * byte, waiting drains it; the one descriptor does both, in this process,
 * in a child that inherited it, or in a process it was sent to
 * (SCM_RIGHTS), as an eventfd does. A kqueue can do none of the last two.
 * Built on every POSIX host, so that Linux runs its tests. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix.h"

int posix_fifo_event_create(const char *dir, vmosal_handle_t *out)
{
	static atomic_uint serial;
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
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
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
 * for anything else, VMOSAL_EINVAL when blocking. */
static int posix_fifo_event_check(vmosal_handle_t fd, bool wait)
{
	struct stat st;
	int flags;

	if (fstat(fd, &st) != 0)
		return posix_last_error();
	if (!S_ISFIFO(st.st_mode) || (flags = fcntl(fd, F_GETFL)) < 0 ||
	    (flags & O_ACCMODE) != O_RDWR)
		return VMOSAL_EBADF;
	return !wait || (flags & O_NONBLOCK) ? 0 : VMOSAL_EINVAL;
}

int posix_fifo_event_notify(vmosal_handle_t h)
{
	const char one = 1;
	int rc;

	if ((rc = posix_fifo_event_check(h, false)) != 0)
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

/* Takes the event if signalled: 0, or VMOSAL_EAGAIN. */
static int posix_fifo_event_take(vmosal_handle_t h)
{
	char buf[256];
	bool got = false;
	ssize_t n;

	/* Everything written so far: one wait takes every signal. */
	while ((n = read(h, buf, sizeof buf)) != 0) {
		if (n > 0) {
			got = true;
			continue;
		}
		if (errno == EAGAIN)
			break;
		if (errno != EINTR)
			return posix_last_error();
	}
	return got ? 0 : VMOSAL_EAGAIN;
}

int posix_fifo_event_wait_kick(vmosal_handle_t h, int64_t timeout_ns,
			       const uint32_t *kick_pending)
{
	uint64_t start = 0, now = 0;
	int rc;

	if ((rc = posix_fifo_event_check(h, true)) != 0)
		return rc;
	if (kick_pending != NULL && __atomic_load_n(kick_pending, __ATOMIC_RELAXED) != 0)
		return VMOSAL_EINTR;
	if (timeout_ns > 0)
		posix_clock_ns(VMOSAL_CLOCK_MONOTONIC, &start);
	/* Take it if signalled, else wait for the FIFO to become readable
	 * and try again: another waiter may take it first. */
	while ((rc = posix_fifo_event_take(h)) == VMOSAL_EAGAIN) {
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

int posix_fifo_event_wait(vmosal_handle_t h, int64_t timeout_ns)
{
	return posix_fifo_event_wait_kick(h, timeout_ns, NULL);
}
