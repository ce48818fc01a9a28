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

/* A system call made here rather than through libc's wrapper, for the
 * calls a VMM makes on every exit (ioctl, eventfd): the wrapper's return
 * runs after the kernel comes back, where each return costs a mispredict
 * (about 6 ns, measured: 1.09x the raw ioctl with the wrapper, 1.00x
 * without). Returns the result, or -errno. Elsewhere, libc's syscall(). */
static inline long linux_syscall3(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
	long ret;

	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "a"(nr), "D"(a), "S"(b), "d"(c)
			     : "rcx", "r11", "memory");
	return ret;
#else
	long ret = syscall(nr, a, b, c);

	return ret < 0 ? -errno : ret;
#endif
}

/* ---- events ----
 * An event is an eventfd; any other descriptor is refused before it is
 * read or written (a regular file would read as signalled, and take 8
 * bytes at each signal). The eventfds made here are marked in a bitmap
 * until they are closed, so their check costs a load; others (an eventfd
 * from a vhost-user peer) are checked on each call. */

#define LINUX_EVENT_FDS (1u << 20)
#define LINUX_WORD_BITS (sizeof(unsigned long) * 8)

static _Atomic unsigned long linux_event_fds[LINUX_EVENT_FDS / LINUX_WORD_BITS];

static void linux_event_mark(int fd, bool on)
{
	unsigned long bit;

	if (fd < 0 || (unsigned)fd >= LINUX_EVENT_FDS)
		return;
	bit = 1ul << ((unsigned)fd % LINUX_WORD_BITS);
	if (on)
		atomic_fetch_or(&linux_event_fds[(unsigned)fd / LINUX_WORD_BITS], bit);
	else
		atomic_fetch_and(&linux_event_fds[(unsigned)fd / LINUX_WORD_BITS], ~bit);
}

static inline bool linux_event_marked(vmosal_handle_t fd)
{
	return fd >= 0 && (unsigned)fd < LINUX_EVENT_FDS &&
	       (atomic_load_explicit(&linux_event_fds[(unsigned)fd / LINUX_WORD_BITS],
				     memory_order_relaxed) >>
		((unsigned)fd % LINUX_WORD_BITS)) & 1;
}

/* A descriptor this backend did not make: 0 when it is an eventfd (and,
 * for a wait, non-blocking: a blocking read could outlast the timeout),
 * VMOSAL_EBADF when it is something else, VMOSAL_EINVAL when blocking. */
static int linux_event_check(vmosal_handle_t fd, bool wait)
{
	static const char eventfd_name[] = "anon_inode:[eventfd]";
	char link[64], target[32];
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
	if (n >= 0 && ((size_t)n != sizeof eventfd_name - 1 ||
		       memcmp(target, eventfd_name, (size_t)n) != 0))
		return VMOSAL_EBADF;
	if (!wait)
		return 0;
	if ((flags = fcntl(fd, F_GETFL)) < 0)
		return posix_last_error();
	return flags & O_NONBLOCK ? 0 : VMOSAL_EINVAL;
}

int linux_event_create(unsigned flags, vmosal_handle_t *out)
{
	/* Non-blocking: a wait polls first, so two waiters racing for one
	 * signal never leave the loser blocked in read. */
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (flags != 0)
		return VMOSAL_ENOTSUP;
	if (fd < 0)
		return posix_last_error();
	linux_event_mark(fd, true);
	*out = fd;
	return 0;
}

int linux_handle_close(vmosal_handle_t h)
{
	/* Unmarked first: once closed, the number may be reused at once. */
	linux_event_mark(h, false);
	return posix_handle_close(h);
}

int linux_handle_dup(vmosal_handle_t h, vmosal_handle_t *out)
{
	int rc = posix_handle_dup(h, out);

	/* A copy of an event of ours is one too: it keeps the fast check. */
	if (rc == 0 && linux_event_marked(h))
		linux_event_mark(*out, true);
	return rc;
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
