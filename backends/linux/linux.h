/* Linux backend internals, shared by its source files.
 *
 * Each slot the backend implements itself is linux_<slot> (backend_slots.h
 * declares them all below); linux_backend.c fills the rest of the table
 * with posix_<slot>. Files: linux_host.c (host facts, KVM), linux_thread.c
 * (threads, wait on a word), linux_mem.c (mappings, huge pages, shared
 * memory, JIT, discard), linux_signal.c (signal descriptors, the kick),
 * linux_io.c (events, handles, ioctl), linux_wait.c (wait sets, timers). */
#ifndef VMOSAL_BACKEND_LINUX_H
#define VMOSAL_BACKEND_LINUX_H

#include <errno.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "../posix/posix.h"

#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) ret linux_##name params;
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT

/* ---- system calls on the hot paths ---- */

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

/* linux_signal.c: this process's pid, kept (and forgotten at fork: no
 * system call once read); reread: read it again, after tgkill said the
 * pair is wrong. */
pid_t linux_self_pid(bool reread);

/* ---- descriptors this backend made (linux_io.c) ----
 * A bit per descriptor number below LINUX_FD_BITS, set while it is an
 * object of a kind the bitmap is for, so that checking it costs a load;
 * a number above is checked as a stranger's would be. */
#define LINUX_FD_BITS (1u << 20)
#define LINUX_WORD_BITS (sizeof(unsigned long) * 8)
typedef _Atomic unsigned long linux_fd_bitmap[LINUX_FD_BITS / LINUX_WORD_BITS];

void linux_fd_mark(linux_fd_bitmap map, int fd, bool on);

static inline bool linux_fd_marked(linux_fd_bitmap map, int fd)
{
	return fd >= 0 && (unsigned)fd < LINUX_FD_BITS &&
	       (atomic_load_explicit(&map[(unsigned)fd / LINUX_WORD_BITS], memory_order_relaxed) >>
		((unsigned)fd % LINUX_WORD_BITS)) & 1;
}

/* 0 when fd is an anonymous inode named name ("anon_inode:[eventfd]"),
 * and, when nonblocking is true, in non-blocking mode (VMOSAL_EINVAL
 * otherwise: a read could block); VMOSAL_EBADF for anything else. */
int linux_anon_check(int fd, const char *name, bool nonblocking);

/* linux_wait.c: timers of this backend, made ABSOLUTE or not; the one
 * close and dup keep them. */
extern linux_fd_bitmap linux_timer_fds, linux_timer_absolute;

#endif
