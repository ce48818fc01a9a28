/* libvmosal: signals, the scoped fault guard, and the vCPU kick.
 *
 * libvmosal owns each signal it uses through one registry: it installs its
 * own handler for a signal the first time something needs it, keeps the
 * disposition that was there before, and passes on every signal nobody
 * here handled to that previous disposition (an application's handler, or
 * the default action: a fault still kills the process with its signal).
 * When the last user goes, the previous disposition comes back, unless the
 * application (or another library) installed a handler since: that one is
 * left alone, and libvmosal's stays beneath it, passing on what it is
 * handed. Handled again then, libvmosal's handler goes on top once more;
 * a signal that comes back to it through that newer handler (one that
 * chains to what it replaced, as crash reporters do) goes on down the
 * chain, so that every handler runs once. At most four such layers per
 * signal (VMOSAL_EBUSY beyond).
 *
 * SEGV and BUS are the exception: the first fault guard installs them and
 * they stay for the life of the process (see vmosal_fault_guard).
 *
 * The OS events behind each signal:
 * - Linux and other POSIX systems: the signal of the same name.
 * - macOS: as POSIX, except that a signal descriptor is a kqueue with
 *   EVFILT_SIGNAL.
 * - Windows: INT is CTRL_C_EVENT and CTRL_BREAK_EVENT (Ctrl+C, Ctrl+Break,
 *   GenerateConsoleCtrlEvent; Ctrl+Break is the one a process group can be
 *   sent); HUP is CTRL_CLOSE_EVENT (the console window was closed: a
 *   terminal's hangup); TERM is CTRL_LOGOFF_EVENT and CTRL_SHUTDOWN_EVENT,
 *   which reach services only, and WM_ENDSESSION, which a hidden top-level
 *   window libvmosal makes (on a thread of its own, the first time TERM is
 *   handled or waited for) receives at logoff or shutdown. os_signal is the
 *   CTRL_*_EVENT number (WM_ENDSESSION: LOGOFF or SHUTDOWN). Windows ends
 *   the process as soon as the handling of HUP or TERM returns, or after
 *   its own time limit (5 s by default): once a handler took one (returned
 *   true), or a wait or signal handle it was queued for, libvmosal's
 *   console handler (or window) does not return, so the application has
 *   that whole time to shut down and exit by itself. It cannot go on
 *   running. The fault signals come from a vectored exception handler
 *   (access violation = SEGV, in-page error = BUS, illegal instruction =
 *   ILL, integer or float divide = FPE); the others (CHLD, PIPE, USR1,
 *   USR2, ALRM, WINCH, QUIT, SYS, XCPU, XFSZ) do not exist there
 *   (VMOSAL_ENOTSUP). */
#ifndef VMOSAL_SIGNAL_H
#define VMOSAL_SIGNAL_H

#include "common.h"

VMOSAL_BEGIN_DECLS

/* The portable signal set; never the OS's numbers in the API. */
enum vmosal_signal {
	VMOSAL_SIGINT = 1,
	VMOSAL_SIGTERM,
	VMOSAL_SIGHUP,
	VMOSAL_SIGCHLD,
	VMOSAL_SIGPIPE,
	VMOSAL_SIGUSR1,
	VMOSAL_SIGUSR2,
	VMOSAL_SIGALRM,
	VMOSAL_SIGWINCH,
	VMOSAL_SIGSEGV, /* fault signals: fault_addr is set */
	VMOSAL_SIGBUS,
	VMOSAL_SIGILL,
	VMOSAL_SIGFPE,
	VMOSAL_SIGQUIT, /* 0.3: not on Windows */
	VMOSAL_SIGSYS,  /* seccomp's trap (Linux): syscall and arch are set; not on Windows */
	VMOSAL_SIGXCPU, /* RLIMIT_CPU's soft limit; not on Windows */
	VMOSAL_SIGXFSZ, /* RLIMIT_FSIZE; not on Windows */
	VMOSAL_SIGNAL_COUNT /* signals this header knows; later versions add more */
};

/* What a signal handler, a signal wait and the fault guard are told: one
 * record for all three. */
struct vmosal_siginfo {
	uint32_t struct_size; /* common.h */
	uint32_t signal;      /* enum vmosal_signal */
	int32_t os_signal;    /* the OS's number (SIGSEGV; an exception code on Windows) */
	int32_t os_code;      /* si_code (SEGV_MAPERR, BUS_ADRERR, SI_USER...) */
	void *fault_addr;     /* the address that faulted; NULL for other signals */
	/* 0.3: SIGSYS from seccomp (os_code SYS_SECCOMP): the system call's
	 * number and its AUDIT_ARCH_* value; -1 and 0 otherwise. */
	int32_t syscall;
	uint32_t syscall_arch;
};

/* A handler runs in signal context: async-signal-safe calls only. It
 * returns true when it dealt with the signal; false passes it on to the
 * next handler registered for it, and then to the previous disposition. */
typedef bool (*vmosal_signal_fn)(const struct vmosal_siginfo *info, void *ctx);

typedef struct vmosal_signal_handler vmosal_signal_handler_t;

/* Registers fn(info, ctx) for sig, after the handlers already registered
 * for it, and stores a handle for vmosal_signal_remove_handler in *out: a token
 * good for one unhandle, never a pointer to dereference (POSIX:
 * sigaction with SA_SIGINFO | SA_RESTART; Windows: SetConsoleCtrlHandler
 * for INT/TERM/HUP, and the hidden window for TERM, as above;
 * AddVectoredExceptionHandler for the faults). The
 * first registration for sig installs libvmosal's handler (the previous
 * disposition is kept and chained to). At most 8 handlers per signal
 * (VMOSAL_EBUSY beyond). VMOSAL_EBUSY also, on POSIX, for the signal the
 * vCPU kick uses, which no other handler may have: on systems without
 * realtime signals (macOS) the kick takes USR2 or USR1
 * (vmosal_thread_kick_signal says which). EINVAL: unknown sig, fn or out
 * NULL; ENOTSUP: the OS has no such signal. */
VMOSAL_API int vmosal_signal_add_handler(enum vmosal_signal sig, vmosal_signal_fn fn, void *ctx,
				    vmosal_signal_handler_t **out);

/* Removes a handler; when it was the last one for its signal, the
 * previous disposition is restored exactly, unless the application put
 * another handler in place since (then that one stays). Returns once no
 * call of fn is running on any thread, so ctx may be freed then: not from
 * fn itself, nor from any signal handler (it waits, and takes a lock).
 * EINVAL for NULL, for a handle already removed (even when its slot has
 * been given to a newer registration since), or for anything that
 * vmosal_signal_add_handler did not return. When restoring the previous
 * disposition fails (an error code from the OS), nothing changes: the
 * handler stays registered and h stays good. */
VMOSAL_API int vmosal_signal_remove_handler(vmosal_signal_handler_t *h);

/* Makes sig ignored (the OS discards it, as SIG_IGN: a VMM's SIGPIPE), or,
 * with ignored false, takes that back. Through the registry: the
 * disposition in place before is kept and comes back exactly when the
 * ignore is taken back, unless the application put another in place
 * since (then that one stays); libvmosal's own handler for sig, if
 * handlers are registered, is put back instead. While ignored, handlers
 * registered for sig are not called; adding or removing them does not
 * end the ignore (the last one removed leaves it in place, and the
 * disposition from before it still comes back when it is taken back).
 * Setting it discards what is pending of sig, blocked or not; one sent
 * later to a thread that blocks it is discarded or stays pending for a
 * signal wait or descriptor as the OS chooses (POSIX leaves it open;
 * Linux keeps it pending). Idempotent. VMOSAL_EINVAL for the fault
 * signals and SYS (ignoring them would hang the faulting thread), and
 * for unknown signals; VMOSAL_EBUSY for the kick's signal (macOS: a
 * SIGUSR). Windows: INT ignores Ctrl+C (SetConsoleCtrlHandler(NULL,
 * TRUE): a flag child processes inherit, which taking the ignore back
 * clears, since Windows has no call that reads it) and Ctrl+Break
 * (libvmosal's console handler takes it); the other signals are
 * VMOSAL_ENOTSUP. */
VMOSAL_API int vmosal_signal_set_ignored(enum vmosal_signal sig, bool ignored);

/* Blocks or unblocks sigs[0..n) for the calling thread only (POSIX:
 * pthread_sigmask; Windows: ENOTSUP, there is no per-thread mask). n > 0;
 * EINVAL for an unknown signal. The fault signals cannot be blocked
 * (EINVAL): a blocked fault kills. */
VMOSAL_API int vmosal_signal_block(const enum vmosal_signal *sigs, size_t n);
VMOSAL_API int vmosal_signal_unblock(const enum vmosal_signal *sigs, size_t n);

/* Waits up to timeout_ns (negative: no limit) for one of sigs[0..n),
 * which the caller should have blocked in every thread, and fills *out.
 * VMOSAL_ETIMEDOUT when none came. A kick does not end it (vmosal.h).
 * POSIX: sigtimedwait; Windows: INT, TERM and HUP only, queued by
 * libvmosal's console control handler, and a timeout that ends on a tick
 * of the system timer (about 15.6 ms): this wait is for shutdown, not
 * for timing (vmosal_sleep_ns and vmosal_event_wait are precise). */
VMOSAL_API int vmosal_signal_wait(const enum vmosal_signal *sigs, size_t n, int64_t timeout_ns,
				  struct vmosal_siginfo *out);

/* A handle that becomes readable when one of sigs[0..n) (blocked by the
 * caller) is pending, for a VMM's event loop: signalfd on Linux, kqueue
 * with EVFILT_SIGNAL on macOS, an event object set by the console control
 * handler on Windows (INT, TERM, HUP). Close-on-exec and non-blocking. */
VMOSAL_API int vmosal_signal_fd_create(const enum vmosal_signal *sigs, size_t n,
				     vmosal_handle_t *out);
/* Takes one pending signal from it; VMOSAL_EAGAIN when none is pending. */
VMOSAL_API int vmosal_signal_fd_read(vmosal_handle_t h, struct vmosal_siginfo *out);

/* ---- Scoped fault guard --------------------------------------------------- */

/* Runs fn(arg) on the calling thread; if it touches memory that faults
 * (SIGSEGV, SIGBUS: guest RAM a balloon removed, a mapped file that was
 * truncated), fn is abandoned at the fault and this returns VMOSAL_EFAULT
 * with *fault filled (signal VMOSAL_SIGSEGV or VMOSAL_SIGBUS, fault_addr
 * the address), instead of the process dying. Otherwise returns
 * fn's own return value (which should not be VMOSAL_EFAULT). Per thread and
 * nestable (8 deep at least; VMOSAL_EBUSY beyond what the backend keeps):
 * a fault goes to the innermost guard of the thread that faulted; faults
 * of threads outside any guard reach the previous disposition as usual.
 * fault may be NULL.
 *
 * A fault at an address in the first 64 KiB (not one the OS reports with
 * no address, below), which no OS maps for a process, is fn's own NULL
 * dereference, a bug and never guest memory:
 * the guard does not take it, and it goes on as if unguarded (the
 * application's handler, or the default action: the process dies with a
 * core dump at the faulting instruction).
 *
 * Which signal a fault raises, and which the guard takes, per OS:
 *   Linux: SIGSEGV for PROT_NONE, read-only and unmapped pages; SIGBUS
 *     past the end of a mapped file or for a hugetlb page that cannot be
 *     had. A pointer the CPU refuses outright (x86-64: not canonical) is
 *     SIGSEGV with no address (addr NULL, os_code SI_KERNEL): taken.
 *     Signals sent by kill, tgkill or sigqueue (os_code <= 0) are never
 *     taken.
 *   macOS: SIGBUS for PROT_NONE (a guest RAM guard, a reservation),
 *     read-only and non-executable pages; SIGSEGV for unmapped ones. On
 *     Intel a non-canonical pointer is SIGSEGV with os_code 0 and addr
 *     NULL: taken. XNU fills a SEGV's or BUS's os_code from the thread's
 *     last exception even when kill() sent it, so on macOS a SIGSEGV or
 *     SIGBUS sent to a thread inside a guard is taken as a fault.
 *   Windows: an access violation or in-page error, reported as
 *     VMOSAL_SIGSEGV or VMOSAL_SIGBUS (os_signal the exception code).
 *
 * Cost: the first guard in the process installs libvmosal's SEGV and BUS
 * handlers (a lock and a few system calls); they then stay for the life of
 * the process, whatever unhandle is called, since removing them would race
 * faults on other threads. Every later guard takes no lock and makes no
 * system call (a few nanoseconds over fn), and is async-signal-safe: it
 * may run in a signal handler. On macOS the first guard on each thread
 * also allocates that thread's record: run it outside a signal handler.
 * POSIX: an application that installs its own SEGV or BUS handler after
 * the first guard must chain to the one it replaced, as crash reporters
 * do; one that does not takes the faults from every guard. (Windows:
 * vectored handlers stack, and libvmosal's is added first in line.)
 *
 * fn must leave by returning, or by faulting. It must not hold locks or
 * allocate when it may fault: it is abandoned without unwinding (POSIX:
 * a non-local jump from the signal handler; Windows: the vectored
 * exception handler resumes the thread as if fn had returned, at the
 * return address of the call into fn, which a CET shadow stack holds too;
 * DF comes back clear). Leaving fn any other way (longjmp, a C++
 * exception, a coroutine switch for good, pthread_exit) leaves its guard
 * record behind; a later fault ignores a record whose stack lies above the
 * fault's or has been overwritten since, so it reaches the outer guard or
 * the previous disposition, but a record whose stack happens to be intact
 * is not told from a live one: do not leave fn that way. */
VMOSAL_API int vmosal_fault_guard(int (*fn)(void *arg), void *arg, struct vmosal_siginfo *fault);

VMOSAL_END_DECLS

#endif
