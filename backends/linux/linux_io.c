/* Linux events (eventfd), the one close for every handle, and ioctl with
 * the KVM_RUN rule; clocks and device files are posix_io.c's. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "linux.h"

/* ---- events ----
 * An event is an eventfd; any other descriptor is refused before it is
 * read or written (a regular file would read as signalled, and take 8
 * bytes at each signal). The eventfds made here are marked in a bitmap
 * until they are closed, so their check costs a load; others (an eventfd
 * from a vhost-user peer) are checked on each call. */

static linux_fd_bitmap linux_event_fds;

void linux_fd_mark(linux_fd_bitmap map, int fd, bool on)
{
	unsigned long bit;

	if (fd < 0 || (unsigned)fd >= LINUX_FD_BITS)
		return;
	bit = 1ul << ((unsigned)fd % LINUX_WORD_BITS);
	if (on)
		atomic_fetch_or(&map[(unsigned)fd / LINUX_WORD_BITS], bit);
	else
		atomic_fetch_and(&map[(unsigned)fd / LINUX_WORD_BITS], ~bit);
}

int linux_anon_check(int fd, const char *name, bool nonblocking)
{
	char link[64], target[32];
	size_t len = strlen(name);
	struct stat st;
	ssize_t n;
	int flags;

	if (fstat(fd, &st) != 0)
		return posix_last_error();
	/* Anonymous inodes (eventfd, timerfd, signalfd...) have no type. */
	if ((st.st_mode & S_IFMT) != 0)
		return VMOSAL_EBADF;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof target - 1);
	if (n < 0 && errno != ENOENT)
		return posix_last_error();
	/* Without /proc: an anonymous inode other than an eventfd refuses an
	 * 8-byte write, and a read of 8 bytes (all but a timerfd). */
	if (n >= 0 && ((size_t)n != len || memcmp(target, name, len) != 0))
		return VMOSAL_EBADF;
	if (!nonblocking)
		return 0;
	if ((flags = fcntl(fd, F_GETFL)) < 0)
		return posix_last_error();
	return flags & O_NONBLOCK ? 0 : VMOSAL_EINVAL;
}

static inline bool linux_event_marked(vmosal_handle_t fd)
{
	return linux_fd_marked(linux_event_fds, fd);
}

/* A descriptor this backend did not make: 0 when it is an eventfd (and,
 * for a wait or a read, non-blocking: a blocking read could outlast the
 * timeout), VMOSAL_EBADF when it is something else, VMOSAL_EINVAL when
 * blocking. */
static int linux_event_check(vmosal_handle_t fd, bool wait)
{
	return linux_anon_check(fd, "anon_inode:[eventfd]", wait);
}

int linux_event_create(unsigned flags, vmosal_handle_t *out)
{
	int fd;

	if ((flags & ~VMOSAL_EVENT_SEMAPHORE) != 0)
		return VMOSAL_ENOTSUP;
	/* Non-blocking: a wait polls first, so two waiters racing for one
	 * signal never leave the loser blocked in read. */
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK |
				(flags & VMOSAL_EVENT_SEMAPHORE ? EFD_SEMAPHORE : 0));
	if (fd < 0)
		return posix_last_error();
	linux_fd_mark(linux_event_fds, fd, true);
	*out = fd;
	return 0;
}

int linux_handle_close(vmosal_handle_t h)
{
	/* Unmarked first: once closed, the number may be reused at once. */
	linux_fd_mark(linux_event_fds, h, false);
	linux_fd_mark(linux_timer_fds, h, false);
	linux_fd_mark(linux_timer_absolute, h, false);
	return posix_handle_close(h);
}

int linux_handle_dup(vmosal_handle_t h, vmosal_handle_t *out)
{
	bool absolute = linux_fd_marked(linux_timer_absolute, h);
	int rc = posix_handle_dup(h, out);

	if (rc != 0)
		return rc;
	/* An absolute timer must stay one, and only the bitmap says so. */
	if (absolute && (unsigned)*out >= LINUX_FD_BITS) {
		posix_handle_close(*out);
		return VMOSAL_ENOSPC;
	}
	/* A copy of an event or timer of ours is one too: it keeps the fast
	 * check. */
	if (linux_event_marked(h))
		linux_fd_mark(linux_event_fds, *out, true);
	if (linux_fd_marked(linux_timer_fds, h))
		linux_fd_mark(linux_timer_fds, *out, true);
	if (absolute)
		linux_fd_mark(linux_timer_absolute, *out, true);
	return 0;
}

int linux_event_notify(vmosal_handle_t h)
{
	uint64_t one = 1;
	long n;
	int rc;

	if (!linux_event_marked(h) && (rc = linux_event_check(h, false)) != 0)
		return rc;
	do
		n = linux_syscall3(SYS_write, h, (long)&one, sizeof one);
	while (n == -EINTR);
	/* EAGAIN: the counter is full, so it is signalled already. */
	return n == (long)sizeof one || n == -EAGAIN ? 0 : posix_error_from_errno((int)-n);
}

int linux_event_wait_kick(vmosal_handle_t h, int64_t timeout_ns, const uint32_t *kick_pending)
{
	uint64_t value;
	long n;
	int rc;

	if (kick_pending != NULL && __atomic_load_n(kick_pending, __ATOMIC_RELAXED) != 0)
		return VMOSAL_EINTR;
	if (!linux_event_marked(h) && (rc = linux_event_check(h, true)) != 0)
		return rc;
	for (;;) {
		/* The common case, signalled already, costs one read. */
		n = linux_syscall3(SYS_read, h, (long)&value, sizeof value);
		if (n == (long)sizeof value)
			return 0;
		if (n == -EINTR)
			return VMOSAL_EINTR;
		if (n != -EAGAIN)
			return n < 0 ? posix_error_from_errno((int)-n) : VMOSAL_EIO;
		if (timeout_ns == 0)
			return VMOSAL_ETIMEDOUT;
		if ((rc = posix_kick_wait_fd(h, timeout_ns, kick_pending)) != 0)
			return rc;
		/* Readable: read it (another waiter may have been first). The
		 * core measures what is left of the timeout on EINTR; here a
		 * lost race simply polls again with the same timeout. */
	}
}

int linux_event_wait(vmosal_handle_t h, int64_t timeout_ns)
{
	return linux_event_wait_kick(h, timeout_ns, NULL);
}

int linux_event_read(vmosal_handle_t h, uint64_t *count)
{
	uint64_t value;
	long n;
	int rc;

	/* A stranger's eventfd must be non-blocking: an empty one would
	 * block the read. */
	if (!linux_event_marked(h) && (rc = linux_event_check(h, true)) != 0)
		return rc;
	do
		n = linux_syscall3(SYS_read, h, (long)&value, sizeof value);
	while (n == -EINTR);
	if (n == (long)sizeof value) {
		*count = value;
		return 0;
	}
	if (n == -EAGAIN)
		return VMOSAL_EAGAIN;
	return n < 0 ? posix_error_from_errno((int)-n) : VMOSAL_EIO;
}

int linux_device_ioctl(vmosal_handle_t h, unsigned long request, void *arg, unsigned flags,
		       int *result)
{
	/* KVM_RUN must come back to the caller when kicked: that is the
	 * kick. */
	bool restart = !(flags & VMOSAL_IOCTL_NO_RESTART) && request != KVM_RUN;
	long r;

	if ((flags & ~VMOSAL_IOCTL_NO_RESTART) != 0)
		return VMOSAL_ENOTSUP;
	do
		r = linux_syscall3(SYS_ioctl, h, (long)request, (long)arg);
	while (r == -EINTR && restart);
	if (r < 0)
		return r == -ENOTTY ? VMOSAL_ENOTSUP : posix_error_from_errno((int)-r);
	*result = (int)r;
	return 0;
}
