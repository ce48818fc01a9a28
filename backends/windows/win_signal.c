/* Signals on Windows: console control events stand in for INT, TERM and
 * HUP, a vectored exception handler for the fault signals and the fault
 * guard, and an APC for the kick.
 *
 * Console events arrive on a thread the system starts for each. One that
 * a signal_wait or a signal handle waits for is queued for them (the
 * counterpart of a blocked signal); any other goes to the core's
 * handlers, and on to the next console handler when none took it. */
#include "config.h"

#include <stdatomic.h>

#include "win.h"

/* Signals this backend can deliver, as bits of 1u << vmosal_signal. */
#define WIN_BIT(sig) (1u << (sig))
#define WIN_CONSOLE_SIGS (WIN_BIT(VMOSAL_SIGINT) | WIN_BIT(VMOSAL_SIGTERM) | WIN_BIT(VMOSAL_SIGHUP))
#define WIN_FAULT_SIGS                                                                   \
	(WIN_BIT(VMOSAL_SIGSEGV) | WIN_BIT(VMOSAL_SIGBUS) | WIN_BIT(VMOSAL_SIGILL) |     \
	 WIN_BIT(VMOSAL_SIGFPE))

static SRWLOCK win_sig_lock = SRWLOCK_INIT;
static _Atomic uint32_t win_installed; /* signal_install'ed, as bits */
static bool win_console_handler_on;
static PVOID win_veh;
static _Atomic(PVOID) win_veh_added; /* win_veh, for a lock-free look */

/* Console signals queued for waiters, per signal; waiter counts say which
 * are queued rather than dispatched. win_pending_seq changes with each, for
 * WaitOnAddress. */
static _Atomic uint32_t win_pending[VMOSAL_SIGNAL_COUNT];
static _Atomic uint32_t win_waiting[VMOSAL_SIGNAL_COUNT];
static _Atomic uint32_t win_pending_seq;

/* Open signal handles: an event each, set while one of its signals is
 * pending. */
#define WIN_SIGNAL_HANDLES 64
static struct {
	HANDLE event; /* NULL: a free slot */
	uint32_t sigs;
} win_sig_handles[WIN_SIGNAL_HANDLES];

/* Set by signal_chain on the thread dispatching: nobody took the signal. */
static _Thread_local bool win_chained;

static int win_signal_bits(const int *sigs, size_t n, uint32_t allowed, uint32_t *bits)
{
	*bits = 0;
	for (size_t i = 0; i < n; i++) {
		if (sigs[i] <= 0 || sigs[i] >= VMOSAL_SIGNAL_COUNT ||
		    (WIN_BIT(sigs[i]) & allowed) == 0)
			return VMOSAL_ENOTSUP;
		*bits |= WIN_BIT(sigs[i]);
	}
	return 0;
}

static int win_console_signal(DWORD ctrl)
{
	switch (ctrl) {
	case CTRL_C_EVENT:
	case CTRL_BREAK_EVENT:
		return VMOSAL_SIGINT;
	case CTRL_CLOSE_EVENT: /* the console went away, as a terminal's hangup */
		return VMOSAL_SIGHUP;
	case CTRL_LOGOFF_EVENT:
	case CTRL_SHUTDOWN_EVENT:
		return VMOSAL_SIGTERM;
	default:
		return 0;
	}
}

/* Marks the signal handles waiting for sig readable. */
static void win_wake_sig_handles_locked(int sig)
{
	for (size_t i = 0; i < WIN_SIGNAL_HANDLES; i++)
		if (win_sig_handles[i].event != NULL && (win_sig_handles[i].sigs & WIN_BIT(sig)))
			SetEvent(win_sig_handles[i].event);
}

BOOL WINAPI win_console_handler(DWORD ctrl)
{
	struct vmosal_backend_siginfo info = {.struct_size = sizeof info};
	int sig = win_console_signal(ctrl);

	if (sig == 0 || ((atomic_load(&win_installed) & WIN_BIT(sig)) == 0 &&
			 atomic_load(&win_waiting[sig]) == 0))
		return FALSE;
	if (atomic_load(&win_waiting[sig]) > 0) {
		AcquireSRWLockExclusive(&win_sig_lock);
		atomic_fetch_add(&win_pending[sig], 1);
		atomic_fetch_add(&win_pending_seq, 1);
		win_wake_sig_handles_locked(sig);
		ReleaseSRWLockExclusive(&win_sig_lock);
		WakeByAddressAll((void *)&win_pending_seq);
		return TRUE;
	}
	info.signal = (uint32_t)sig;
	info.os_signal = (int32_t)ctrl;
	win_chained = false;
	if (win_core != NULL)
		win_core->signal_dispatch(&info, NULL);
	return !win_chained;
}

/* The fault signal of an exception, 0 for any other. */
static int win_exception_signal(DWORD code)
{
	switch (code) {
	case EXCEPTION_ACCESS_VIOLATION:
	case EXCEPTION_GUARD_PAGE:
		return VMOSAL_SIGSEGV;
	case EXCEPTION_IN_PAGE_ERROR: /* a mapped file's page could not be read */
	case EXCEPTION_DATATYPE_MISALIGNMENT:
		return VMOSAL_SIGBUS;
	case EXCEPTION_ILLEGAL_INSTRUCTION:
	case EXCEPTION_PRIV_INSTRUCTION:
		return VMOSAL_SIGILL;
	case EXCEPTION_INT_DIVIDE_BY_ZERO:
	case EXCEPTION_INT_OVERFLOW:
	case EXCEPTION_FLT_DIVIDE_BY_ZERO:
	case EXCEPTION_FLT_INVALID_OPERATION:
	case EXCEPTION_FLT_OVERFLOW:
	case EXCEPTION_FLT_UNDERFLOW:
	case EXCEPTION_FLT_INEXACT_RESULT:
	case EXCEPTION_FLT_DENORMAL_OPERAND:
	case EXCEPTION_FLT_STACK_CHECK:
		return VMOSAL_SIGFPE;
	default:
		return 0;
	}
}

static void win_siginfo_of(const EXCEPTION_RECORD *rec, struct vmosal_backend_siginfo *out)
{
	out->struct_size = sizeof *out;
	out->signal = (uint32_t)win_exception_signal(rec->ExceptionCode);
	out->os_signal = (int32_t)rec->ExceptionCode;
	out->os_code = 0;
	out->fault_addr = NULL;
	/* Information[0]: read, write or execute; [1]: the address. */
	if ((rec->ExceptionCode == EXCEPTION_ACCESS_VIOLATION ||
	     rec->ExceptionCode == EXCEPTION_IN_PAGE_ERROR) &&
	    rec->NumberParameters >= 2) {
		out->os_code = (int32_t)rec->ExceptionInformation[0];
		out->fault_addr = (void *)rec->ExceptionInformation[1];
	} else {
		out->fault_addr = rec->ExceptionAddress;
	}
}

/* ---- the fault guard ----
 * The handler does not jump out of the exception dispatcher: it points the
 * faulting context at win_guard_landing and lets Windows resume it, so the
 * jump back to the guard starts from the faulting frame, as siglongjmp
 * does from a signal handler that returned. */
struct win_guard {
	void *jump[5]; /* __builtin_setjmp's buffer */
	struct vmosal_backend_siginfo *fault;
	struct win_guard *outer;
	struct win_guard *self; /* this frame, while it is live */
};

static _Thread_local struct win_guard *win_guard_top;

static void win_guard_landing(void)
{
	__builtin_longjmp(win_guard_top->jump, 1);
}

/* The first 64 KiB are never mapped: a fault there is fn's own NULL
 * dereference, which goes on as if unguarded (signal.h). */
#define WIN_GUARD_MIN_ADDR ((uintptr_t)0x10000)

static bool win_guard_take(EXCEPTION_POINTERS *ep, int sig)
{
	struct win_guard *g = win_guard_top;
	CONTEXT *c = ep->ContextRecord;
	struct vmosal_backend_siginfo info;
#if defined(__x86_64__)
	uintptr_t sp = (uintptr_t)c->Rsp;
#elif defined(__aarch64__)
	uintptr_t sp = (uintptr_t)c->Sp;
#endif

	if (g == NULL || (sig != VMOSAL_SIGSEGV && sig != VMOSAL_SIGBUS))
		return false;
	win_siginfo_of(ep->ExceptionRecord, &info);
	if ((uintptr_t)info.fault_addr < WIN_GUARD_MIN_ADDR)
		return false;
	/* A guard whose frame lies at or below the fault's stack pointer was
	 * left without returning (fn longjmp'd out): none of this thread's
	 * records can be trusted past it. */
	if ((uintptr_t)g <= sp || g->self != g) {
		win_guard_top = NULL;
		return false;
	}
	*g->fault = info;
#if defined(__x86_64__)
	/* As if called: the stack 16-byte aligned before the return
	 * address, below what the faulting frame may use. */
	c->Rsp = ((c->Rsp - 256) & ~(DWORD64)15) - 8;
	c->Rip = (DWORD64)(uintptr_t)win_guard_landing;
#elif defined(__aarch64__)
	c->Sp = (c->Sp - 256) & ~(DWORD64)15;
	c->Pc = (DWORD64)(uintptr_t)win_guard_landing;
#else
#error "the fault guard needs this architecture's CONTEXT registers"
#endif
	return true;
}

static LONG CALLBACK win_exception_handler(EXCEPTION_POINTERS *ep)
{
	struct vmosal_backend_siginfo info;
	int sig = win_exception_signal(ep->ExceptionRecord->ExceptionCode);

	if (sig == 0)
		return EXCEPTION_CONTINUE_SEARCH;
	if (win_guard_take(ep, sig))
		return EXCEPTION_CONTINUE_EXECUTION;
	if ((atomic_load(&win_installed) & WIN_BIT(sig)) == 0 || win_core == NULL)
		return EXCEPTION_CONTINUE_SEARCH;
	win_siginfo_of(ep->ExceptionRecord, &info);
	win_chained = false;
	win_core->signal_dispatch(&info, ep);
	/* A handler that took it has made the access work again. */
	return win_chained ? EXCEPTION_CONTINUE_SEARCH : EXCEPTION_CONTINUE_EXECUTION;
}

/* The exception handler stays once added: a guard may run at any time,
 * and removing it would race a fault on another thread. */
static int win_veh_add_locked(void)
{
	if (win_veh == NULL) {
		win_veh = AddVectoredExceptionHandler(1, win_exception_handler);
		atomic_store_explicit(&win_veh_added, win_veh, memory_order_release);
	}
	return win_veh != NULL ? 0 : VMOSAL_ENOMEM;
}

/* The console handler, added once and kept until fini: it passes on what
 * nobody installed or waits for. */
static int win_console_add_locked(void)
{
	if (!win_console_handler_on) {
		if (!SetConsoleCtrlHandler(win_console_handler, TRUE))
			return win_last_error();
		win_console_handler_on = true;
	}
	return 0;
}

int win_fault_guard(int (*fn)(void *), void *arg, struct vmosal_backend_siginfo *fault,
		    int *fn_result)
{
	/* volatile: read again after the jump back. */
	struct win_guard g = {.fault = fault};
	struct win_guard *volatile guard = &g;
	int rc;

	/* The handler stays once added: only the first guard takes the lock. */
	if (atomic_load_explicit(&win_veh_added, memory_order_acquire) == NULL) {
		AcquireSRWLockExclusive(&win_sig_lock);
		rc = win_veh_add_locked();
		ReleaseSRWLockExclusive(&win_sig_lock);
		if (rc != 0)
			return rc;
	}
	g.self = &g;
	/* A record below this frame is no caller's: fn of a guard left it
	 * without returning. */
	guard->outer = (uintptr_t)win_guard_top > (uintptr_t)&g ? win_guard_top : NULL;
	if (__builtin_setjmp(guard->jump) != 0) {
		win_guard_top = guard->outer;
		return VMOSAL_EFAULT;
	}
	win_guard_top = guard;
	*fn_result = fn(arg);
	win_guard_top = guard->outer;
	return 0;
}

int win_signal_install(int sig)
{
	int rc;

	if (sig <= 0 || sig >= VMOSAL_SIGNAL_COUNT ||
	    (WIN_BIT(sig) & (WIN_CONSOLE_SIGS | WIN_FAULT_SIGS)) == 0)
		return VMOSAL_ENOTSUP;
	AcquireSRWLockExclusive(&win_sig_lock);
	rc = WIN_BIT(sig) & WIN_FAULT_SIGS ? win_veh_add_locked() : win_console_add_locked();
	if (rc == 0)
		atomic_fetch_or(&win_installed, WIN_BIT(sig));
	ReleaseSRWLockExclusive(&win_sig_lock);
	return rc;
}

/* Handlers stack on Windows: dropping ours is all it takes to give the
 * previous ones back. The console handler stays while a waiter needs it. */
int win_signal_restore(int sig)
{
	if (sig <= 0 || sig >= VMOSAL_SIGNAL_COUNT)
		return VMOSAL_ENOTSUP;
	atomic_fetch_and(&win_installed, ~WIN_BIT(sig));
	return 0;
}

void win_signal_chain(const struct vmosal_backend_siginfo *info, void *os_context)
{
	(void)info;
	(void)os_context;
	/* The console or exception handler passes it on when we return. */
	win_chained = true;
}

/* No per-thread signal mask on Windows. */
int win_signal_mask(bool block, const int *sigs, size_t n)
{
	(void)block;
	(void)sigs;
	(void)n;
	return VMOSAL_ENOTSUP;
}

/* The console handler runs only where it was added; waiting counts make
 * it queue instead of dispatch. */
static int win_wait_begin(uint32_t bits)
{
	int rc;

	AcquireSRWLockExclusive(&win_sig_lock);
	rc = win_console_add_locked();
	if (rc == 0)
		for (int s = 1; s < VMOSAL_SIGNAL_COUNT; s++)
			if (bits & WIN_BIT(s))
				atomic_fetch_add(&win_waiting[s], 1);
	ReleaseSRWLockExclusive(&win_sig_lock);
	return rc;
}

static void win_wait_end(uint32_t bits)
{
	for (int s = 1; s < VMOSAL_SIGNAL_COUNT; s++)
		if (bits & WIN_BIT(s))
			atomic_fetch_sub(&win_waiting[s], 1);
}

/* Takes one queued signal of bits; 0 when none. */
static int win_take_pending(uint32_t bits)
{
	for (int s = 1; s < VMOSAL_SIGNAL_COUNT; s++) {
		uint32_t n = atomic_load(&win_pending[s]);

		while ((bits & WIN_BIT(s)) && n > 0)
			if (atomic_compare_exchange_weak(&win_pending[s], &n, n - 1))
				return s;
	}
	return 0;
}

static void win_fill_console(struct vmosal_backend_siginfo *out, int sig)
{
	out->signal = (uint32_t)sig;
	out->os_signal = sig == VMOSAL_SIGINT ? CTRL_C_EVENT
			 : sig == VMOSAL_SIGHUP ? CTRL_CLOSE_EVENT
						: CTRL_SHUTDOWN_EVENT;
	out->os_code = 0;
	out->fault_addr = NULL;
}

int win_signal_wait(const int *sigs, size_t n, int64_t timeout_ns,
		    struct vmosal_backend_siginfo *out)
{
	uint64_t start, now;
	uint32_t bits;
	int rc, sig = 0;

	if ((rc = win_signal_bits(sigs, n, WIN_CONSOLE_SIGS, &bits)) != 0 ||
	    (rc = win_wait_begin(bits)) != 0)
		return rc;
	win_clock_ns(VMOSAL_CLOCK_MONOTONIC, &start);
	for (;;) {
		uint32_t seq = atomic_load(&win_pending_seq);
		DWORD ms = INFINITE;

		if ((sig = win_take_pending(bits)) != 0)
			break;
		win_clock_ns(VMOSAL_CLOCK_MONOTONIC, &now);
		if (timeout_ns >= 0) {
			uint64_t left;

			if (now - start >= (uint64_t)timeout_ns) {
				rc = VMOSAL_ETIMEDOUT;
				break;
			}
			left = (uint64_t)timeout_ns - (now - start);
			ms = win_wait_ms(left);
		}
		WaitOnAddress((volatile void *)&win_pending_seq, &seq, sizeof seq, ms);
	}
	win_wait_end(bits);
	if (sig != 0)
		win_fill_console(out, sig);
	return rc;
}

int win_signal_fd_open(const int *sigs, size_t n, vmosal_handle_t *out)
{
	uint32_t bits;
	size_t i;
	HANDLE ev;
	int rc;

	if ((rc = win_signal_bits(sigs, n, WIN_CONSOLE_SIGS, &bits)) != 0)
		return rc;
	/* Manual reset: readable while anything is pending. */
	ev = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (ev == NULL)
		return win_last_error();
	if ((rc = win_wait_begin(bits)) != 0) {
		CloseHandle(ev);
		return rc;
	}
	AcquireSRWLockExclusive(&win_sig_lock);
	for (i = 0; i < WIN_SIGNAL_HANDLES && win_sig_handles[i].event != NULL; i++)
		;
	if (i < WIN_SIGNAL_HANDLES) {
		win_sig_handles[i].event = ev;
		win_sig_handles[i].sigs = bits;
	}
	ReleaseSRWLockExclusive(&win_sig_lock);
	if (i == WIN_SIGNAL_HANDLES) {
		win_wait_end(bits);
		CloseHandle(ev);
		return VMOSAL_ENOSPC;
	}
	*out = ev;
	return 0;
}

int win_signal_fd_read(vmosal_handle_t h, struct vmosal_backend_siginfo *out)
{
	bool found = false, more = false;
	uint32_t bits = 0;
	int sig = 0;

	/* Under the lock the console handler sets the event with, so a
	 * signal queued meanwhile is not reset away. */
	AcquireSRWLockExclusive(&win_sig_lock);
	for (size_t i = 0; i < WIN_SIGNAL_HANDLES && !found; i++) {
		if (win_sig_handles[i].event == h) {
			bits = win_sig_handles[i].sigs;
			found = true;
		}
	}
	if (found) {
		sig = win_take_pending(bits);
		for (int s = 1; s < VMOSAL_SIGNAL_COUNT; s++)
			more |= (bits & WIN_BIT(s)) && atomic_load(&win_pending[s]) > 0;
		if (!more)
			ResetEvent(h);
	}
	ReleaseSRWLockExclusive(&win_sig_lock);
	if (!found)
		return VMOSAL_EBADF;
	if (sig == 0)
		return VMOSAL_EAGAIN;
	win_fill_console(out, sig);
	return 0;
}

int win_handle_close(vmosal_handle_t h)
{
	uint32_t bits = 0;

	AcquireSRWLockExclusive(&win_sig_lock);
	for (size_t i = 0; i < WIN_SIGNAL_HANDLES; i++) {
		if (win_sig_handles[i].event == h) {
			bits = win_sig_handles[i].sigs;
			win_sig_handles[i].event = NULL;
		}
	}
	ReleaseSRWLockExclusive(&win_sig_lock);
	win_wait_end(bits);
	return CloseHandle(h) ? 0 : win_last_error();
}

/* ---- kick ---- */

static VOID CALLBACK win_kick_apc(ULONG_PTR arg)
{
	(void)arg;
	if (win_core != NULL)
		win_core->kick_received();
}

int win_kick_setup(int *os_signal)
{
	/* An APC needs nothing set up, and is no signal. */
	*os_signal = 0;
	return 0;
}

int win_thread_kick(uint64_t tid)
{
	HANDLE t;
	int rc = win_thread_open(tid, THREAD_SET_CONTEXT, &t);

	if (rc != 0)
		return rc;
	rc = QueueUserAPC(win_kick_apc, t, 0) ? 0 : win_last_error();
	win_thread_close(tid, t);
	return rc;
}

void win_signal_fini(void)
{
	AcquireSRWLockExclusive(&win_sig_lock);
	if (win_console_handler_on && SetConsoleCtrlHandler(win_console_handler, FALSE))
		win_console_handler_on = false;
	if (win_veh != NULL && RemoveVectoredExceptionHandler(win_veh))
		win_veh = NULL;
	ReleaseSRWLockExclusive(&win_sig_lock);
}
