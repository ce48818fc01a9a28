/* libvmosal: signals, the scoped fault guard, and the vCPU kick.
 *
 * libvmosal owns each signal it uses through one registry: it installs its
 * own handler for a signal the first time something needs it, keeps the
 * disposition that was there before, and passes on every signal nobody
 * here handled to that previous disposition (an application's handler, or
 * the default action: a fault still kills the process with its signal).
 * When the last user goes, the previous disposition comes back, unless the
 * application installed another handler since: that one is left alone.
 *
 * Windows: INT, TERM and HUP are console control events (CTRL_C_EVENT,
 * CTRL_CLOSE_EVENT, CTRL_BREAK_EVENT), the fault signals come from a
 * vectored exception handler (access violation = SEGV, in-page error =
 * BUS, illegal instruction = ILL, integer or float divide = FPE); the
 * others do not exist there (VMOSAL_ENOTSUP). macOS: as POSIX, except that
 * a signal descriptor is a kqueue with EVFILT_SIGNAL. */
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
	VMOSAL_SIGNAL_COUNT /* signals this header knows; later versions add more */
};

struct vmosal_siginfo {
	uint32_t struct_size; /* common.h */
	uint32_t signal;      /* enum vmosal_signal */
	int32_t os_signal;    /* the OS's number (SIGSEGV; an exception code on Windows) */
	int32_t os_code;      /* si_code (SEGV_MAPERR, BUS_ADRERR, SI_USER...) */
	void *fault_addr;     /* the address that faulted; NULL for other signals */
};

/* A handler runs in signal context: async-signal-safe calls only. It
 * returns true when it dealt with the signal; false passes it on to the
 * next handler registered for it, and then to the previous disposition. */
typedef bool (*vmosal_signal_fn)(const struct vmosal_siginfo *info, void *ctx);

typedef struct vmosal_signal_handler vmosal_signal_handler_t;

/* Registers fn(info, ctx) for sig, after the handlers already registered
 * for it, and stores a handle for vmosal_signal_unhandle in *out (POSIX:
 * sigaction with SA_SIGINFO | SA_RESTART; Windows: SetConsoleCtrlHandler
 * for INT/TERM/HUP, AddVectoredExceptionHandler for the faults). The
 * first registration for sig installs libvmosal's handler (the previous
 * disposition is kept and chained to). At most 8 handlers per signal
 * (VMOSAL_EBUSY beyond). EINVAL: unknown sig, fn or out NULL; ENOTSUP: the
 * OS has no such signal. */
VMOSAL_API int vmosal_signal_handle(enum vmosal_signal sig, vmosal_signal_fn fn, void *ctx,
				    vmosal_signal_handler_t **out);

/* Removes a handler; when it was the last one for its signal, the
 * previous disposition is restored exactly, unless the application put
 * another handler in place since (then that one stays). EINVAL for NULL. */
VMOSAL_API int vmosal_signal_unhandle(vmosal_signal_handler_t *h);

/* Blocks or unblocks sigs[0..n) for the calling thread only (POSIX:
 * pthread_sigmask; Windows: ENOTSUP, there is no per-thread mask). n > 0;
 * EINVAL for an unknown signal. The fault signals cannot be blocked
 * (EINVAL): a blocked fault kills. */
VMOSAL_API int vmosal_signal_block(const enum vmosal_signal *sigs, size_t n);
VMOSAL_API int vmosal_signal_unblock(const enum vmosal_signal *sigs, size_t n);

/* Waits up to timeout_ns (negative: no limit) for one of sigs[0..n),
 * which the caller should have blocked in every thread, and fills *out.
 * VMOSAL_ETIMEDOUT when none came. A kick does not end it (vmosal.h). POSIX: sigtimedwait; Windows: INT,
 * TERM and HUP only, queued by libvmosal's console control handler. */
VMOSAL_API int vmosal_signal_wait(const enum vmosal_signal *sigs, size_t n, int64_t timeout_ns,
				  struct vmosal_siginfo *out);

/* A handle that becomes readable when one of sigs[0..n) (blocked by the
 * caller) is pending, for a VMM's event loop: signalfd on Linux, kqueue
 * with EVFILT_SIGNAL on macOS, an event object set by the console control
 * handler on Windows (INT, TERM, HUP). Close-on-exec and non-blocking. */
VMOSAL_API int vmosal_signal_fd_open(const enum vmosal_signal *sigs, size_t n,
				     vmosal_handle_t *out);
/* Takes one pending signal from it; VMOSAL_EAGAIN when none is pending. */
VMOSAL_API int vmosal_signal_fd_read(vmosal_handle_t h, struct vmosal_siginfo *out);
VMOSAL_API int vmosal_signal_fd_close(vmosal_handle_t h);

/* ---- Scoped fault guard --------------------------------------------------- */

struct vmosal_fault {
	uint32_t struct_size; /* common.h */
	uint32_t signal;      /* VMOSAL_SIGSEGV or VMOSAL_SIGBUS */
	void *addr;           /* the address that faulted */
	int32_t os_signal;
	int32_t os_code;
};

/* Runs fn(arg) on the calling thread; if it touches memory that faults
 * (SIGSEGV, SIGBUS: guest RAM a balloon removed, a mapped file that was
 * truncated), fn is abandoned at the fault and this returns VMOSAL_EFAULT
 * with *fault filled, instead of the process dying. Otherwise returns
 * fn's own return value (which should not be VMOSAL_EFAULT). Per thread and
 * nestable: a fault goes to the innermost guard of the thread that
 * faulted; faults of threads outside any guard reach the previous
 * disposition as usual. fn must not hold locks or allocate when it may
 * fault: it is abandoned without unwinding (POSIX: siglongjmp; Windows: a
 * vectored exception handler resuming at the guard). fault may be NULL. */
VMOSAL_API int vmosal_fault_guard(int (*fn)(void *arg), void *arg, struct vmosal_fault *fault);

VMOSAL_END_DECLS

#endif
