/* POSIX signals for the core's registry, the fault guard, and the kick
 * signal. Shared by the POSIX backends; what differs per OS (signalfd or
 * kqueue, tgkill or pthread_kill) stays in each backend. */
#include "config.h"

#ifndef HAVE_PPOLL
/* Darwin's select and pselect take descriptors past FD_SETSIZE. */
#define _DARWIN_UNLIMITED_SELECT 1
#endif

#include <errno.h>
#ifdef HAVE_PPOLL
#include <poll.h>
#else
#include <sys/select.h>
#endif
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "posix.h"

/* The innermost guard of this thread, read in signal context, where no
 * access may allocate. */
struct posix_guard_frame;

#if defined(__ELF__)
/* glibc allocates a dlopen'd module's TLS at first access, so there it is
 * initial-exec; musl allocates it at dlopen and refuses initial-exec in a
 * dlopen'd module. */
#ifdef HAVE_GNU_LIBC_VERSION_H
#define POSIX_SIGNAL_TLS _Thread_local __attribute__((tls_model("initial-exec")))
#else
#define POSIX_SIGNAL_TLS _Thread_local
#endif
static POSIX_SIGNAL_TLS struct posix_guard_frame *volatile posix_guard_top;

static inline struct posix_guard_frame *posix_guard_get(void)
{
	return posix_guard_top;
}

static inline void posix_guard_set(struct posix_guard_frame *f)
{
	posix_guard_top = f;
}
#else
/* Mach-O allocates a thread's _Thread_local block on its first access,
 * which may be in a signal handler; a pthread key is a plain slot read
 * there. The key is made before main, in a constructor. */
static pthread_key_t posix_guard_key;

__attribute__((constructor)) static void posix_guard_key_create(void)
{
	pthread_key_create(&posix_guard_key, NULL);
}

static inline struct posix_guard_frame *posix_guard_get(void)
{
	return pthread_getspecific(posix_guard_key);
}

static inline void posix_guard_set(struct posix_guard_frame *f)
{
	pthread_setspecific(posix_guard_key, f);
}
#endif

static const int posix_signals[VMOSAL_SIGNAL_COUNT] = {
	[VMOSAL_SIGINT] = SIGINT,     [VMOSAL_SIGTERM] = SIGTERM, [VMOSAL_SIGHUP] = SIGHUP,
	[VMOSAL_SIGCHLD] = SIGCHLD,   [VMOSAL_SIGPIPE] = SIGPIPE, [VMOSAL_SIGUSR1] = SIGUSR1,
	[VMOSAL_SIGUSR2] = SIGUSR2,   [VMOSAL_SIGALRM] = SIGALRM, [VMOSAL_SIGWINCH] = SIGWINCH,
	[VMOSAL_SIGSEGV] = SIGSEGV,   [VMOSAL_SIGBUS] = SIGBUS,   [VMOSAL_SIGILL] = SIGILL,
	[VMOSAL_SIGFPE] = SIGFPE,
};
#define POSIX_NSIGNALS (sizeof posix_signals / sizeof posix_signals[0])

int posix_os_signal(int sig)
{
	return sig > 0 && (size_t)sig < POSIX_NSIGNALS ? posix_signals[sig] : 0;
}

int posix_signal_of(int os_signal)
{
	for (size_t i = 1; i < POSIX_NSIGNALS; i++)
		if (posix_signals[i] == os_signal)
			return (int)i;
	return 0;
}

int posix_sigset(const int *sigs, size_t n, sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < n; i++) {
		int os = posix_os_signal(sigs[i]);
		if (os == 0)
			return VMOSAL_ENOTSUP;
		sigaddset(set, os);
	}
	return 0;
}

static bool posix_is_fault(int os)
{
	return os == SIGSEGV || os == SIGBUS || os == SIGILL || os == SIGFPE;
}

void posix_siginfo_of(const siginfo_t *si, struct vmosal_backend_siginfo *out)
{
	out->struct_size = sizeof *out;
	out->signal = (uint32_t)posix_signal_of(si->si_signo);
	out->os_signal = si->si_signo;
	out->os_code = si->si_code;
	out->fault_addr = posix_is_fault(si->si_signo) ? si->si_addr : NULL;
}

/* ---- the fault guard ---- */

struct posix_guard_frame {
	sigjmp_buf jump;
	struct vmosal_backend_siginfo *fault;
	struct posix_guard_frame *outer;
};

int posix_fault_guard(int (*fn)(void *), void *arg, struct vmosal_backend_siginfo *fault,
		      int *fn_result)
{
	struct posix_guard_frame frame;

	frame.fault = fault;
	frame.outer = posix_guard_get();
	if (sigsetjmp(frame.jump, 1) != 0) {
		posix_guard_set(frame.outer);
		return VMOSAL_EFAULT;
	}
	posix_guard_set(&frame);
	*fn_result = fn(arg);
	posix_guard_set(frame.outer);
	return 0;
}

/* ---- the handler every registered signal gets ---- */

/* What the chain needs of the original delivery. */
struct posix_delivery {
	siginfo_t *si;
	void *ucontext;
};

static struct sigaction posix_previous[VMOSAL_SIGNAL_COUNT];

/* The signal posix_kick_setup took; 0 before. */
static int posix_kick_signal;

static void posix_handler(int os, siginfo_t *si, void *ucontext)
{
	struct posix_delivery d = {si, ucontext};
	struct vmosal_backend_siginfo info;
	struct posix_guard_frame *guard = posix_guard_get();
	int saved = errno;

	posix_siginfo_of(si, &info);
	/* A fault the kernel raised on a guarded thread (si_code > 0: not
	 * one sent by kill) abandons the guarded call. */
	if ((os == SIGSEGV || os == SIGBUS) && guard != NULL && si->si_code > 0) {
		*guard->fault = info;
		siglongjmp(guard->jump, 1);
	}
	posix_core->signal_dispatch(&info, &d);
	errno = saved;
}

int posix_signal_install(int sig)
{
	int os = posix_os_signal(sig);
	struct sigaction sa;

	if (os == 0 || posix_core == NULL ||
	    !VMOSAL_BACKEND_HAS_MEMBER(posix_core, struct vmosal_core_services, signal_dispatch))
		return VMOSAL_ENOTSUP;
	/* Without realtime signals the kick took a SIGUSR; handling it here
	 * would put the kick handler out of place. */
	if (os == posix_kick_signal)
		return VMOSAL_EBUSY;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = posix_handler;
	/* SA_RESTART: the application's own system calls carry on as they
	 * would without libvmosal in between. */
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	return sigaction(os, &sa, &posix_previous[sig]) == 0 ? 0 : posix_last_error();
}

int posix_signal_restore(int sig)
{
	int os = posix_os_signal(sig);
	struct sigaction now;

	if (os == 0)
		return VMOSAL_ENOTSUP;
	if (sigaction(os, NULL, &now) != 0)
		return posix_last_error();
	/* Someone installed a handler after ours: theirs stays. */
	if (!(now.sa_flags & SA_SIGINFO) || now.sa_sigaction != posix_handler)
		return 0;
	return sigaction(os, &posix_previous[sig], NULL) == 0 ? 0 : posix_last_error();
}

/* Signals whose default action is to be ignored. */
static bool posix_ignored_by_default(int os)
{
	return os == SIGCHLD || os == SIGWINCH;
}

void posix_signal_chain(const struct vmosal_backend_siginfo *info, void *os_context)
{
	const struct posix_delivery *d = os_context;
	int sig = (int)info->signal, os = info->os_signal;
	struct sigaction prev, dfl;

	if (sig <= 0 || (size_t)sig >= POSIX_NSIGNALS)
		return;
	prev = posix_previous[sig];
	if (prev.sa_flags & SA_SIGINFO) {
		prev.sa_sigaction(os, d->si, d->ucontext);
		return;
	}
	if (prev.sa_handler == SIG_IGN)
		return;
	if (prev.sa_handler != SIG_DFL) {
		prev.sa_handler(os);
		return;
	}
	if (posix_ignored_by_default(os))
		return;
	/* The default action: put it back and let it happen. A fault the
	 * kernel raised repeats when the instruction runs again; any other
	 * signal is raised again, and arrives once this handler returns. */
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(os, &dfl, NULL);
	if (!(posix_is_fault(os) && d->si->si_code > 0))
		raise(os);
}

int posix_signal_mask(bool block, const int *sigs, size_t n)
{
	sigset_t set;
	int rc = posix_sigset(sigs, n, &set);

	if (rc != 0)
		return rc;
	rc = pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
	return posix_error_from_errno(rc);
}

int posix_take_pending(const sigset_t *set, struct vmosal_backend_siginfo *out)
{
	sigset_t pending, one;
	int got = 0;

	if (sigpending(&pending) != 0)
		return posix_last_error();
	for (size_t i = 1; i < POSIX_NSIGNALS && got == 0; i++)
		if (sigismember(set, posix_signals[i]) == 1 &&
		    sigismember(&pending, posix_signals[i]) == 1)
			got = posix_signals[i];
	if (got == 0)
		return VMOSAL_EAGAIN;
	/* Pending, so blocked: sigwait takes it without waiting. */
	sigemptyset(&one);
	sigaddset(&one, got);
	if ((errno = sigwait(&one, &got)) != 0)
		return posix_last_error();
	out->struct_size = sizeof *out;
	out->signal = (uint32_t)posix_signal_of(got);
	out->os_signal = got;
	out->os_code = 0;
	out->fault_addr = NULL;
	return 0;
}

#ifdef HAVE_SIGTIMEDWAIT
static uint64_t posix_monotonic_ns(void)
{
	uint64_t now = 0;

	posix_clock_ns(VMOSAL_CLOCK_MONOTONIC, &now);
	return now;
}

int posix_signal_wait(const int *sigs, size_t n, int64_t timeout_ns,
		      struct vmosal_backend_siginfo *out)
{
	uint64_t deadline = timeout_ns >= 0 ? posix_monotonic_ns() + (uint64_t)timeout_ns : 0;
	siginfo_t si;
	sigset_t set;
	int rc = posix_sigset(sigs, n, &set), got;

	if (rc != 0)
		return rc;
	for (;;) {
		struct timespec ts, *tp = NULL;

		if (timeout_ns >= 0) {
			uint64_t now = posix_monotonic_ns(), left = now < deadline ? deadline - now : 0;
			ts.tv_sec = (time_t)(left / 1000000000u);
			ts.tv_nsec = (long)(left % 1000000000u);
			tp = &ts;
		}
		got = tp != NULL ? sigtimedwait(&set, &si, tp) : sigwaitinfo(&set, &si);
		if (got > 0)
			break;
		if (errno == EAGAIN)
			return VMOSAL_ETIMEDOUT;
		if (errno != EINTR)
			return posix_last_error();
	}
	posix_siginfo_of(&si, out);
	return 0;
}
#endif

/* ---- the kick signal ---- */

static void posix_kick_handler(int os, siginfo_t *si, void *ucontext)
{
	int saved = errno;

	(void)os;
	(void)si;
	(void)ucontext;
	posix_core->kick_received();
	errno = saved;
}

size_t posix_kick_candidates(bool realtime, int *out, size_t cap)
{
	size_t n = 0;

#ifdef SIGRTMIN
	if (realtime) {
		for (int os = SIGRTMIN; os <= SIGRTMAX && n < cap; os++)
			out[n++] = os;
		return n;
	}
#else
	(void)realtime;
#endif
	/* No realtime signals (Darwin): a SIGUSR, as QEMU's SIG_IPI. USR2
	 * first, since applications reach for USR1 first. */
	if (n < cap)
		out[n++] = SIGUSR2;
	if (n < cap)
		out[n++] = SIGUSR1;
	return n;
}

int posix_kick_setup_from(const int *cands, size_t n, int *os_signal)
{
	struct sigaction sa, old;

	if (posix_core == NULL ||
	    !VMOSAL_BACKEND_HAS_MEMBER(posix_core, struct vmosal_core_services, kick_received))
		return VMOSAL_ENOTSUP;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = posix_kick_handler;
	/* No SA_RESTART: the point is that KVM_RUN, ppoll and read return
	 * EINTR. */
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < n; i++) {
		int os = cands[i];

		if (sigaction(os, NULL, &old) != 0)
			continue;
		/* Taken: the application, another library, or our own
		 * registry (a SIGUSR someone handles through vmosal). */
		if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
			continue;
		if (sigaction(os, &sa, NULL) != 0)
			continue;
		posix_kick_signal = os;
		*os_signal = os;
		return 0;
	}
	return VMOSAL_EBUSY;
}

int posix_kick_setup(int *os_signal)
{
	int cands[128];
#ifdef SIGRTMIN
	size_t n = posix_kick_candidates(true, cands, sizeof cands / sizeof cands[0]);
#else
	size_t n = posix_kick_candidates(false, cands, sizeof cands / sizeof cands[0]);
#endif

	return posix_kick_setup_from(cands, n, os_signal);
}

int posix_kick_os_signal(void)
{
	return posix_kick_signal;
}

/* One wait for fd to become readable, with sigmask in force during it. */
static int posix_wait_readable(int fd, int64_t timeout_ns, const sigset_t *sigmask)
{
	struct timespec ts, *tp = NULL;
	int n;

	if (timeout_ns >= 0) {
		ts.tv_sec = (time_t)(timeout_ns / 1000000000);
		ts.tv_nsec = (long)(timeout_ns % 1000000000);
		tp = &ts;
	}
#ifdef HAVE_PPOLL
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	n = ppoll(&pfd, 1, tp, sigmask);
	if (n > 0 && (pfd.revents & POLLNVAL))
		return VMOSAL_EBADF;
#else
	/* Darwin: pselect, atomic there (a system call of its own), with
	 * the set sized for any descriptor (_DARWIN_UNLIMITED_SELECT). */
	fd_set one[(size_t)fd / FD_SETSIZE + 1];

	memset(one, 0, sizeof one);
	FD_SET(fd, one);
	n = pselect(fd + 1, one, NULL, NULL, tp, sigmask);
#endif
	if (n > 0)
		return 0;
	if (n == 0)
		return VMOSAL_ETIMEDOUT;
	return errno == EINTR ? VMOSAL_EINTR : posix_last_error();
}

int posix_kick_wait_fd(int fd, int64_t timeout_ns, const uint32_t *kick_pending)
{
	int sig = posix_kick_signal, rc;
	sigset_t kick, old, during;

	if (kick_pending == NULL || sig == 0)
		return posix_wait_readable(fd, timeout_ns, NULL);
	/* KVM's immediate_exit rule: the flag is read with the kick signal
	 * blocked, and the signal is unblocked only inside the wait. A kick
	 * sets the flag before it sends the signal: one that came before
	 * the block is seen in the flag, one after it ends the wait. */
	sigemptyset(&kick);
	sigaddset(&kick, sig);
	if ((rc = pthread_sigmask(SIG_BLOCK, &kick, &old)) != 0)
		return posix_error_from_errno(rc);
	if (__atomic_load_n(kick_pending, __ATOMIC_SEQ_CST) != 0) {
		rc = VMOSAL_EINTR;
	} else {
		during = old;
		sigdelset(&during, sig);
		rc = posix_wait_readable(fd, timeout_ns, &during);
	}
	/* A thread that keeps it blocked (thread.h) saves a system call. */
	if (sigismember(&old, sig) != 1)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
