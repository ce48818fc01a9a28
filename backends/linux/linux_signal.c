/* Linux signal descriptors (signalfd) and the kick (tgkill); the signal
 * handlers, the fault guard and the kick's signal are posix_signal.c's. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux.h"

int linux_signal_fd_create(const int *sigs, size_t n, vmosal_handle_t *out)
{
	sigset_t set;
	int rc = posix_sigset(sigs, n, &set), fd;

	if (rc != 0)
		return rc;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return posix_last_error();
	*out = fd;
	return 0;
}

int linux_signal_fd_read(vmosal_handle_t h, struct vmosal_siginfo *out)
{
	struct signalfd_siginfo ssi;
	ssize_t n;

	do
		n = read(h, &ssi, sizeof ssi);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? VMOSAL_EAGAIN : posix_last_error();
	if (n != (ssize_t)sizeof ssi)
		return VMOSAL_EIO;
	out->struct_size = sizeof *out;
	out->signal = (uint32_t)posix_signal_of((int)ssi.ssi_signo);
	out->os_signal = (int32_t)ssi.ssi_signo;
	out->os_code = ssi.ssi_code;
	out->fault_addr = NULL;
	posix_siginfo_syscall((int)ssi.ssi_signo, ssi.ssi_code, ssi.ssi_syscall, ssi.ssi_arch, out);
	return 0;
}

/* getpid() is a system call on the kick's fast path; the pid is kept, and
 * read again after fork and whenever tgkill says the pair is wrong (a
 * process made by a raw clone() has another pid). */
static _Atomic pid_t linux_pid;

static void linux_forget_pid(void)
{
	atomic_store(&linux_pid, 0);
}

__attribute__((constructor)) static void linux_pid_register_fork(void)
{
	pthread_atfork(NULL, NULL, linux_forget_pid);
}

pid_t linux_self_pid(bool reread)
{
	pid_t pid = atomic_load_explicit(&linux_pid, memory_order_relaxed);

	if (pid == 0 || reread) {
		pid = getpid();
		atomic_store_explicit(&linux_pid, pid, memory_order_relaxed);
	}
	return pid;
}

int linux_thread_kick(uint64_t tid)
{
	pid_t pid = atomic_load_explicit(&linux_pid, memory_order_relaxed);
	int sig = posix_kick_os_signal();

	if (sig == 0)
		return VMOSAL_ENOTSUP;
	if (tid == 0)
		tid = (uint64_t)syscall(SYS_gettid);
	if (tid > INT32_MAX)
		return VMOSAL_ESRCH;
	if (pid == 0) {
		pid = getpid();
		atomic_store_explicit(&linux_pid, pid, memory_order_relaxed);
	}
	if (syscall(SYS_tgkill, (long)pid, (long)tid, (long)sig) == 0)
		return 0;
	if (errno == ESRCH && pid != getpid()) {
		pid = getpid();
		atomic_store_explicit(&linux_pid, pid, memory_order_relaxed);
		if (syscall(SYS_tgkill, (long)pid, (long)tid, (long)sig) == 0)
			return 0;
	}
	return posix_last_error();
}
