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
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "posix.h"
#include "posix_policy.h"

/* Whose si_code conventions this build reads (posix_policy.h). */
#if defined(__APPLE__)
#define POSIX_THIS_OS POSIX_OS_DARWIN
#elif defined(__linux__)
#define POSIX_THIS_OS POSIX_OS_LINUX
#else
#define POSIX_THIS_OS POSIX_OS_OTHER
#endif

#if defined(__GNUC__)
#define POSIX_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define POSIX_UNLIKELY(x) (x)
#endif

/* The guard's jump. Where the compiler has one, its own: it saves three
 * words instead of every register with a mangled copy, and, as
 * sigsetjmp(env, 0) does, no mask. Under a sanitizer, whose runtime
 * must see every jump, the C library's. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define POSIX_GUARD_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define POSIX_GUARD_SANITIZED 1
#endif
#endif
#if !defined(POSIX_GUARD_SANITIZED) && \
	((defined(__GNUC__) && !defined(__clang__)) || (defined(__clang__) && defined(__x86_64__)))
#define POSIX_GUARD_JUMP_BUF void *
#define POSIX_GUARD_JUMP_BUF_WORDS 5
#define POSIX_GUARD_SETJMP(buf) __builtin_setjmp(buf)
#define POSIX_GUARD_LONGJMP(buf) __builtin_longjmp(buf, 1)
#else
#define POSIX_GUARD_JUMP_BUF sigjmp_buf
#define POSIX_GUARD_SETJMP(buf) sigsetjmp(buf, 0)
#define POSIX_GUARD_LONGJMP(buf) siglongjmp(buf, 1)
#endif

/* Guards a thread may nest (VMOSAL_EBUSY beyond). */
#define POSIX_GUARD_DEPTH 8
/* Our handler's links in a signal's chain (see posix_signal_install). */
#define POSIX_LINKS 4
/* No OS maps anything below 64 KiB for a process (Linux's default
 * vm.mmap_min_addr, Windows' reserved first 64 KiB): a fault there is a
 * NULL dereference, a bug, never guest memory. */
#define POSIX_GUARD_MIN_ADDR ((uintptr_t)0x10000)

/* A running guard. The handler reaches it through the thread's table, and
 * trusts it only while it lies above the stack pointer of the fault and
 * self still points at it: a frame left behind (fn left by longjmp, an
 * exception, a coroutine switch) fails one or the other once its stack
 * has been unwound or reused. */
struct posix_guard_frame {
#ifdef POSIX_GUARD_JUMP_BUF_WORDS
	POSIX_GUARD_JUMP_BUF jump[POSIX_GUARD_JUMP_BUF_WORDS];
#else
	POSIX_GUARD_JUMP_BUF jump;
#endif
	struct vmosal_siginfo *fault;
	struct posix_guard_frame *self;
	unsigned depth; /* its index in the thread's table */
};

/* What the handler needs of the thread it runs on, read in signal
 * context, where no access may allocate. */
struct posix_thread_signals {
	struct posix_guard_frame *guards[POSIX_GUARD_DEPTH]; /* innermost last */
	unsigned depth;
};

/* A delivery this thread is handing down the chain now, kept in the frame
 * of the call that hands it on (posix_chain_to). */
struct posix_chain {
	struct posix_chain *self;
	siginfo_t *si;
	int sig;
	int link; /* the link it was handed to */
};

#if defined(__ELF__)
/* glibc allocates a dlopen'd module's TLS at first access, so there it is
 * initial-exec; musl allocates it at dlopen and refuses initial-exec in a
 * dlopen'd module. */
#ifdef HAVE_GNU_LIBC_VERSION_H
#define POSIX_SIGNAL_TLS _Thread_local __attribute__((tls_model("initial-exec")))
#else
#define POSIX_SIGNAL_TLS _Thread_local
#endif
static POSIX_SIGNAL_TLS struct posix_thread_signals posix_thread;

static inline struct posix_thread_signals *posix_thread_get(bool create)
{
	(void)create;
	return &posix_thread;
}

static POSIX_SIGNAL_TLS struct posix_chain *posix_chaining_now;

static inline struct posix_chain *posix_chaining(void)
{
	return posix_chaining_now;
}

static inline void posix_chaining_set(struct posix_chain *c)
{
	posix_chaining_now = c;
}
#else
/* Mach-O allocates a thread's _Thread_local block on its first access,
 * which may be in a signal handler; a pthread key is a plain slot read
 * there. The guard table is allocated by the thread's first guard. The
 * keys are made before main, in a constructor. */
static pthread_key_t posix_guard_key, posix_chaining_key;

__attribute__((constructor)) static void posix_guard_key_create(void)
{
	pthread_key_create(&posix_guard_key, free);
	pthread_key_create(&posix_chaining_key, NULL);
}

static inline struct posix_thread_signals *posix_thread_get(bool create)
{
	struct posix_thread_signals *t = pthread_getspecific(posix_guard_key);

	if (t == NULL && create && (t = calloc(1, sizeof *t)) != NULL &&
	    pthread_setspecific(posix_guard_key, t) != 0) {
		free(t);
		t = NULL;
	}
	return t;
}

static inline struct posix_chain *posix_chaining(void)
{
	return pthread_getspecific(posix_chaining_key);
}

static inline void posix_chaining_set(struct posix_chain *c)
{
	pthread_setspecific(posix_chaining_key, c);
}
#endif

static const int posix_signals[VMOSAL_SIGNAL_COUNT] = {
	[VMOSAL_SIGINT] = SIGINT,     [VMOSAL_SIGTERM] = SIGTERM, [VMOSAL_SIGHUP] = SIGHUP,
	[VMOSAL_SIGCHLD] = SIGCHLD,   [VMOSAL_SIGPIPE] = SIGPIPE, [VMOSAL_SIGUSR1] = SIGUSR1,
	[VMOSAL_SIGUSR2] = SIGUSR2,   [VMOSAL_SIGALRM] = SIGALRM, [VMOSAL_SIGWINCH] = SIGWINCH,
	[VMOSAL_SIGSEGV] = SIGSEGV,   [VMOSAL_SIGBUS] = SIGBUS,   [VMOSAL_SIGILL] = SIGILL,
	[VMOSAL_SIGFPE] = SIGFPE,     [VMOSAL_SIGQUIT] = SIGQUIT, [VMOSAL_SIGSYS] = SIGSYS,
	[VMOSAL_SIGXCPU] = SIGXCPU,   [VMOSAL_SIGXFSZ] = SIGXFSZ,
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

/* Linux tells a seccomp trap's system call in the siginfo. */
#ifdef __linux__
#define POSIX_SECCOMP_INFO 1
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* the kernel's <asm-generic/siginfo.h>; glibc lacks it */
#endif
#endif

void posix_siginfo_syscall(int os_signal, int code, int32_t nr, uint32_t arch,
			   struct vmosal_siginfo *out)
{
#ifdef POSIX_SECCOMP_INFO
	if (os_signal == SIGSYS && code == SYS_SECCOMP) {
		out->syscall = nr;
		out->syscall_arch = arch;
		return;
	}
#else
	(void)os_signal;
	(void)code;
	(void)nr;
	(void)arch;
#endif
	out->syscall = -1;
	out->syscall_arch = 0;
}

/* Fills *out from a siginfo_t the OS delivered. */
static void posix_siginfo_of(const siginfo_t *si, struct vmosal_siginfo *out)
{
	out->struct_size = sizeof *out;
	out->signal = (uint32_t)posix_signal_of(si->si_signo);
	out->os_signal = si->si_signo;
	out->os_code = si->si_code;
	out->fault_addr = posix_is_fault(si->si_signo) ? si->si_addr : NULL;
#ifdef POSIX_SECCOMP_INFO
	posix_siginfo_syscall(si->si_signo, si->si_code, si->si_syscall, si->si_arch, out);
#else
	posix_siginfo_syscall(si->si_signo, si->si_code, -1, 0, out);
#endif
}

/* ---- the fault guard ---- */

/* A guard whose table is full: drops what guards left without returning
 * (below this frame, so no caller of it). Only here, since a guard in a
 * handler on an alternate stack may lie anywhere. */
static unsigned posix_guard_prune(struct posix_thread_signals *t, uintptr_t mark)
{
	unsigned d = t->depth;

	while (d > 0 && (uintptr_t)t->guards[d - 1] <= mark)
		d--;
	return d;
}

/* The frame's address is its place on the stack: never on a sanitizer's
 * fake stack. */
#if defined(__SANITIZE_ADDRESS__)
__attribute__((no_sanitize_address))
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
__attribute__((no_sanitize_address))
#endif
#endif
int posix_fault_guard(int (*fn)(void *), void *arg, struct vmosal_siginfo *fault,
		      int *fn_result)
{
	struct posix_thread_signals *const t = posix_thread_get(true);
	struct posix_guard_frame frame;

	if (POSIX_UNLIKELY(t == NULL))
		return VMOSAL_ENOMEM;
	frame.depth = t->depth;
	if (POSIX_UNLIKELY(frame.depth == POSIX_GUARD_DEPTH) &&
	    (frame.depth = posix_guard_prune(t, (uintptr_t)&frame)) == POSIX_GUARD_DEPTH)
		return VMOSAL_EBUSY;
	frame.fault = fault;
	frame.self = &frame;
	/* No mask in the jump, so no system call: the handler puts back the
	 * mask of the fault before it jumps, and the depth of the guard it
	 * jumps to. */
	if (POSIX_GUARD_SETJMP(frame.jump) != 0)
		return VMOSAL_EFAULT;
	/* The depth first, then the entry: a guard run by a signal handler
	 * in between stacks above this one instead of overwriting it. */
	t->depth = frame.depth + 1;
	atomic_signal_fence(memory_order_seq_cst);
	t->guards[frame.depth] = &frame;
	atomic_signal_fence(memory_order_seq_cst);
	*fn_result = fn(arg);
	atomic_signal_fence(memory_order_seq_cst);
	t->depth = frame.depth;
	return 0;
}

/* The stack pointer at the fault, from the signal's context; 0 where
 * this target's context layout is not known here. */
static uintptr_t posix_fault_sp(const void *ucontext)
{
	const ucontext_t *uc = ucontext;

#if defined(__APPLE__) && defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext->__ss.__rsp;
#elif defined(__APPLE__) && defined(__aarch64__) && defined(arm_thread_state64_get_sp)
	return (uintptr_t)arm_thread_state64_get_sp(uc->uc_mcontext->__ss);
#elif defined(__linux__) && defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__linux__) && defined(__i386__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_ESP];
#elif defined(__linux__) && defined(__aarch64__)
	return (uintptr_t)uc->uc_mcontext.sp;
#elif defined(__linux__) && defined(__arm__)
	return (uintptr_t)uc->uc_mcontext.arm_sp;
#elif defined(__linux__) && defined(__riscv)
	return (uintptr_t)uc->uc_mcontext.__gregs[2]; /* x2 is sp */
#elif defined(__linux__) && defined(__powerpc64__) && defined(__GLIBC__)
	return (uintptr_t)uc->uc_mcontext.gp_regs[1];
#elif defined(__linux__) && defined(__s390x__)
	return (uintptr_t)uc->uc_mcontext.gregs[15];
#else
	(void)uc;
	return 0;
#endif
}

/* Abandons the innermost live guard of this thread at a fault the kernel
 * raised (siglongjmp); returns when no guard of this thread is live, or
 * when the guard does not take this fault (posix_guard_takes: one sent
 * by kill, or in the first 64 KiB, fn's own NULL dereference, goes on as
 * if unguarded). */
static void posix_guard_take(enum posix_fault_kind kind, siginfo_t *si, void *ucontext)
{
	struct posix_thread_signals *t = posix_thread_get(false);
	const ucontext_t *uc = ucontext;
	uintptr_t sp;
	unsigned d;

	if (t == NULL || (d = t->depth) == 0 ||
	    !posix_guard_takes(kind, (uintptr_t)si->si_addr, POSIX_GUARD_MIN_ADDR))
		return;
	sp = posix_fault_sp(ucontext);
	if (sp == 0) {
		stack_t ss;

		/* Unknown layout: this handler's own frame lies below the fault
		 * unless it runs on the alternate stack. */
		if (sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_ONSTACK))
			sp = (uintptr_t)__builtin_frame_address(0);
	}
	while (d > 0) {
		struct posix_guard_frame *f = t->guards[--d];

		if ((sp != 0 && (uintptr_t)f <= sp) || f == NULL || f->self != f)
			continue; /* left behind: its stack is gone or reused */
		t->depth = d;
		posix_siginfo_of(si, f->fault);
		/* The jump keeps the handler's mask: put back the fault's. */
		pthread_sigmask(SIG_SETMASK, &uc->uc_sigmask, NULL);
		POSIX_GUARD_LONGJMP(f->jump);
	}
	t->depth = 0; /* every frame was left behind */
}

/* ---- the handler every registered signal gets, and its chain ----
 * posix_links[sig][0..n) are the dispositions our handler replaced, oldest
 * first: [0] when it first went in, and one more each time it was put on
 * top again while still beneath a newer handler (another library's, which
 * may chain on to ours). A signal nobody here takes goes to the newest;
 * one that comes back to our handler through it goes on to the one below,
 * never through our handlers twice. */

static struct sigaction posix_links[VMOSAL_SIGNAL_COUNT][POSIX_LINKS];
static _Atomic unsigned posix_nlinks[VMOSAL_SIGNAL_COUNT];

/* The signal posix_kick_setup took; 0 before. */
static atomic_int posix_kick_signal; /* read by kickers and handlers without a lock */

/* What the chain needs of the original delivery. */
struct posix_delivery {
	siginfo_t *si;
	void *ucontext;
};

/* Signals whose default action is to be ignored. */
static bool posix_ignored_by_default(int os)
{
	return os == SIGCHLD || os == SIGWINCH;
}

/* The default action: put it back and let it happen. A fault the kernel
 * raised repeats when the instruction runs again; any other signal is
 * raised again, and arrives once this handler returns. */
static void posix_default_action(int os, const siginfo_t *si)
{
	struct sigaction dfl;

	if (posix_ignored_by_default(os))
		return;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(os, &dfl, NULL);
	/* A fault at an address repeats; a sent one, or one without an
	 * address (which may be a kill() on Darwin), is raised again. */
	if (posix_fault_kind(POSIX_THIS_OS, posix_signal_of(os), si->si_code) !=
	    POSIX_FAULT_AT_ADDR)
		raise(os);
}

/* Hands the signal to link i of sig's chain (below 0: the default action),
 * recording meanwhile that this thread is handing this delivery on. */
static void posix_chain_to(int sig, int os, int i, siginfo_t *si, void *ucontext)
{
	struct posix_chain *outer = posix_chaining(), now = {&now, si, sig, i};
	struct sigaction link;

	if (i < 0) {
		posix_default_action(os, si);
		return;
	}
	link = posix_links[sig][i];
	if (!(link.sa_flags & SA_SIGINFO) &&
	    (link.sa_handler == SIG_DFL || link.sa_handler == SIG_IGN)) {
		if (link.sa_handler == SIG_DFL)
			posix_default_action(os, si);
		return;
	}
	posix_chaining_set(&now);
	if (link.sa_flags & SA_SIGINFO)
		link.sa_sigaction(os, si, ucontext);
	else
		link.sa_handler(os);
	posix_chaining_set(outer);
}

/* The hand-over this delivery came back through, or NULL for a new one:
 * the same signal and siginfo, handed on by a frame above this one. A
 * record left by a handler that jumped out of the chain fails that. */
static const struct posix_chain *posix_came_back(int sig, const siginfo_t *si)
{
	const struct posix_chain *c = posix_chaining();

	if (c == NULL || (uintptr_t)c <= (uintptr_t)__builtin_frame_address(0) ||
	    c->self != c || c->sig != sig || c->si != si)
		return NULL;
	return c;
}

static void posix_handler(int os, siginfo_t *si, void *ucontext)
{
	struct posix_delivery d = {si, ucontext};
	struct vmosal_siginfo info;
	int sig = posix_signal_of(os), saved = errno;
	const struct posix_chain *back = sig > 0 ? posix_came_back(sig, si) : NULL;

	if (back != NULL) {
		/* Back through the handler we handed it to: dispatched here
		 * already, so on down the chain. */
		posix_chain_to(sig, os, back->link - 1, si, ucontext);
		errno = saved;
		return;
	}
	/* A fault the kernel raised (not one sent by kill, as far as this OS
	 * tells: posix_fault_kind) on a guarded thread abandons the guarded
	 * call. */
	if (os == SIGSEGV || os == SIGBUS) {
		enum posix_fault_kind kind = posix_fault_kind(POSIX_THIS_OS, sig, si->si_code);

		if (kind != POSIX_FAULT_SENT)
			posix_guard_take(kind, si, ucontext);
	}
	posix_siginfo_of(si, &info);
	posix_core->signal_dispatch(&info, &d);
	errno = saved;
}

static bool posix_is_ours(const struct sigaction *sa)
{
	return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == posix_handler;
}

/* Our handler's disposition. */
static void posix_ours(struct sigaction *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sa_sigaction = posix_handler;
	/* SA_RESTART: the application's own system calls carry on as they
	 * would without libvmosal in between. */
	sa->sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&sa->sa_mask);
}

/* posix_signal_ignore's: while posix_ignoring[sig] and SIG_IGN is still in
 * place, posix_beneath[sig] is the disposition the ignore keeps, which
 * installs and restores change instead of the live one (so that handlers
 * added or removed meanwhile do not end the ignore). Under the core's
 * registry lock, as every install and restore is. */
static struct sigaction posix_beneath[VMOSAL_SIGNAL_COUNT];
static bool posix_ignoring[VMOSAL_SIGNAL_COUNT];

static bool posix_is_ignore(const struct sigaction *sa)
{
	return !(sa->sa_flags & SA_SIGINFO) && sa->sa_handler == SIG_IGN;
}

/* Whether sig's ignore is in place (now: the live disposition); an ignore
 * someone replaced since is forgotten, and what it kept with it. */
static bool posix_ignore_live(int sig, const struct sigaction *now)
{
	if (posix_ignoring[sig] && !posix_is_ignore(now))
		posix_ignoring[sig] = false;
	return posix_ignoring[sig];
}

/* Puts our handler on top of the disposition *now; set: whether to
 * sigaction it in (false: *now is the kept one beneath an ignore, which
 * becomes ours). */
static int posix_push_ours(int sig, int os, struct sigaction *now, bool set)
{
	unsigned n = atomic_load(&posix_nlinks[sig]);
	struct sigaction sa, old;

	/* Ours is on top already (a library that had saved it put it back):
	 * active again as it is, with the links it has. */
	if (posix_is_ours(now)) {
		if (n == 0)
			atomic_store(&posix_nlinks[sig], 1);
		return 0;
	}
	if (n == POSIX_LINKS)
		return VMOSAL_EBUSY;
	/* The link is in place before our handler can run. */
	posix_links[sig][n] = *now;
	atomic_store(&posix_nlinks[sig], n + 1);
	posix_ours(&sa);
	if (!set) {
		*now = sa;
		return 0;
	}
	if (sigaction(os, &sa, &old) != 0) {
		atomic_store(&posix_nlinks[sig], n);
		return posix_last_error();
	}
	if (posix_is_ours(&old))
		atomic_store(&posix_nlinks[sig], n);
	else
		posix_links[sig][n] = old; /* changed since we looked */
	return 0;
}

int posix_signal_install(int sig)
{
	int os = posix_os_signal(sig);
	struct sigaction now;

	if (os == 0 || posix_core == NULL ||
	    !VMOSAL_BACKEND_HAS_MEMBER(posix_core, struct vmosal_core_services, signal_dispatch))
		return VMOSAL_ENOTSUP;
	/* Without realtime signals the kick took a SIGUSR; handling it here
	 * would put the kick handler out of place. */
	if (os == posix_kick_signal)
		return VMOSAL_EBUSY;
	if (sigaction(os, NULL, &now) != 0)
		return posix_last_error();
	if (posix_ignore_live(sig, &now))
		return posix_push_ours(sig, os, &posix_beneath[sig], false);
	return posix_push_ours(sig, os, &now, true);
}

int posix_signal_restore(int sig)
{
	int os = posix_os_signal(sig);
	struct sigaction now, *beneath = &posix_beneath[sig];
	unsigned n;

	if (os == 0)
		return VMOSAL_ENOTSUP;
	if (sigaction(os, NULL, &now) != 0)
		return posix_last_error();
	if (posix_ignore_live(sig, &now)) {
		/* Ignored: what comes back when the ignore is taken back. */
		if (!posix_is_ours(beneath))
			return 0;
		n = atomic_load(&posix_nlinks[sig]);
		if (n == 0)
			n = 1;
		*beneath = posix_links[sig][n - 1];
		atomic_store(&posix_nlinks[sig], n - 1);
		return 0;
	}
	/* Someone installed a handler after ours: theirs stays, and ours
	 * keeps its links for what theirs passes on. */
	if (!posix_is_ours(&now))
		return 0;
	n = atomic_load(&posix_nlinks[sig]);
	if (n == 0)
		n = 1; /* put back on top by another library: [0] stands */
	if (sigaction(os, &posix_links[sig][n - 1], NULL) != 0)
		return posix_last_error();
	atomic_store(&posix_nlinks[sig], n - 1);
	return 0;
}

int posix_signal_ignore(int sig, bool ignore)
{
	int os = posix_os_signal(sig);
	struct sigaction now, ign;

	if (os == 0)
		return VMOSAL_ENOTSUP;
	if (posix_is_fault(os) || os == SIGSYS)
		return VMOSAL_EINVAL;
	if (os == posix_kick_signal)
		return VMOSAL_EBUSY;
	if (sigaction(os, NULL, &now) != 0)
		return posix_last_error();
	if (posix_ignore_live(sig, &now) == ignore)
		return 0; /* as asked already, or not ours to take back */
	if (ignore) {
		memset(&ign, 0, sizeof ign);
		ign.sa_handler = SIG_IGN;
		sigemptyset(&ign.sa_mask);
		/* What it replaces, read in the same call: kept exactly. */
		if (sigaction(os, &ign, &posix_beneath[sig]) != 0)
			return posix_last_error();
		posix_ignoring[sig] = true;
		return 0;
	}
	if (sigaction(os, &posix_beneath[sig], NULL) != 0)
		return posix_last_error();
	posix_ignoring[sig] = false;
	return 0;
}

void posix_signal_chain(const struct vmosal_siginfo *info, void *os_context)
{
	const struct posix_delivery *d = os_context;
	int sig = (int)info->signal;
	unsigned n;

	if (sig <= 0 || sig >= VMOSAL_SIGNAL_COUNT)
		return;
	n = atomic_load(&posix_nlinks[sig]);
	posix_chain_to(sig, info->os_signal, (int)(n > 0 ? n : 1) - 1, d->si, d->ucontext);
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

/* Held from sigpending to sigwait by every posix_take_pending_locked. */
static pthread_mutex_t posix_take_lock = PTHREAD_MUTEX_INITIALIZER;

static void posix_take_prepare(void)
{
	pthread_mutex_lock(&posix_take_lock);
}

static void posix_take_release(void)
{
	pthread_mutex_unlock(&posix_take_lock);
}

__attribute__((constructor)) static void posix_take_register_fork(void)
{
	/* A fork while another thread holds it must not leave the child's
	 * copy locked. */
	pthread_atfork(posix_take_prepare, posix_take_release, posix_take_release);
}

int posix_take_pending_locked(const sigset_t *set, struct vmosal_siginfo *out)
{
	sigset_t pending, one;
	int got = 0, rc = 0;

	pthread_mutex_lock(&posix_take_lock);
	if (sigpending(&pending) != 0) {
		rc = posix_last_error();
		goto out;
	}
	for (size_t i = 1; i < POSIX_NSIGNALS && got == 0; i++)
		if (sigismember(set, posix_signals[i]) == 1 &&
		    sigismember(&pending, posix_signals[i]) == 1)
			got = posix_signals[i];
	if (got == 0) {
		rc = VMOSAL_EAGAIN;
		goto out;
	}
	/* Pending, so blocked, and no other taker can get it first: sigwait
	 * takes it without waiting. */
	sigemptyset(&one);
	sigaddset(&one, got);
	if ((errno = sigwait(&one, &got)) != 0)
		rc = posix_last_error();
out:
	pthread_mutex_unlock(&posix_take_lock);
	if (rc != 0)
		return rc;
	out->struct_size = sizeof *out;
	out->signal = (uint32_t)posix_signal_of(got);
	out->os_signal = got;
	out->os_code = 0;
	out->fault_addr = NULL;
	out->syscall = -1; /* sigwait tells no more */
	out->syscall_arch = 0;
	return 0;
}

int posix_take_pending(const sigset_t *set, struct vmosal_siginfo *out)
{
#ifdef HAVE_SIGTIMEDWAIT
	static const struct timespec zero = {0, 0};
	siginfo_t si;

	/* Checks and takes in one call: nothing can come between. */
	while (sigtimedwait(set, &si, &zero) < 0) {
		if (errno == EAGAIN)
			return VMOSAL_EAGAIN;
		if (errno != EINTR)
			return posix_last_error();
	}
	posix_siginfo_of(&si, out);
	return 0;
#else
	return posix_take_pending_locked(set, out);
#endif
}

#ifdef HAVE_SIGTIMEDWAIT
static uint64_t posix_monotonic_ns(void)
{
	uint64_t now = 0;

	posix_clock_ns(VMOSAL_CLOCK_MONOTONIC, &now);
	return now;
}

int posix_signal_wait(const int *sigs, size_t n, int64_t timeout_ns,
		      struct vmosal_siginfo *out)
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
