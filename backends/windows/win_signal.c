/* Signals on Windows: console control events and the end of the session
 * stand in for INT, TERM and HUP, a vectored exception handler for the
 * fault signals and the fault guard, and an APC for the kick.
 *
 * One mapping (signal.h says the same): CTRL_C_EVENT and CTRL_BREAK_EVENT
 * are INT, CTRL_CLOSE_EVENT (the console went away) is HUP, and
 * CTRL_LOGOFF_EVENT, CTRL_SHUTDOWN_EVENT and WM_ENDSESSION are TERM.
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
 * WaitOnAddress. win_pending_ctrl: the event that queued the latest. */
static _Atomic uint32_t win_pending[VMOSAL_SIGNAL_COUNT];
static _Atomic uint32_t win_waiting[VMOSAL_SIGNAL_COUNT];
static _Atomic uint32_t win_pending_ctrl[VMOSAL_SIGNAL_COUNT];
static _Atomic uint32_t win_pending_seq;

/* INT ignored (win_signal_ignore): Ctrl+C by the system's flag, Ctrl+Break
 * by the console handler, which takes it and does nothing. */
static atomic_bool win_int_ignored;

/* Open signal handles: an event each, set while one of its signals is
 * pending. */
#define WIN_SIGNAL_HANDLES 64
static struct {
	HANDLE event; /* NULL: a free slot */
	uint32_t sigs;
} win_sig_handles[WIN_SIGNAL_HANDLES];

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

/* The one mapping of console events (and of the end of the session,
 * which the hidden window turns into LOGOFF or SHUTDOWN) to signals. */
static int win_console_signal(DWORD ctrl)
{
	switch (ctrl) {
	case CTRL_C_EVENT:
	case CTRL_BREAK_EVENT: /* the only one a process group can be sent */
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

/* ---- events that end the process ----
 * Windows ends the process as soon as the handler of CTRL_CLOSE_EVENT,
 * CTRL_LOGOFF_EVENT or CTRL_SHUTDOWN_EVENT returns, whatever it returns,
 * and may end it once the window procedure has returned from
 * WM_ENDSESSION (HandlerRoutine and WM_ENDSESSION in the Windows
 * documentation); it ends it anyway after its own time limit (5 s by
 * default). So once the application took one of them (a handler that
 * returned true, or a wait or signal handle it was queued for), the
 * handler does not return: the application has that whole time to shut
 * down and exit by itself. fini lets the held handlers go, since the
 * DLL's code must not run after it. */
static HANDLE win_release;         /* manual reset; set by fini */
static _Atomic uint32_t win_inside; /* threads in win_console_handler */

static bool win_ctrl_ends_process(DWORD ctrl)
{
	return ctrl == CTRL_CLOSE_EVENT || ctrl == CTRL_LOGOFF_EVENT ||
	       ctrl == CTRL_SHUTDOWN_EVENT;
}

/* Called as the console handler is added: armed again after a fini. */
static int win_release_arm_locked(void)
{
	if (win_release == NULL && (win_release = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
		return win_last_error();
	ResetEvent(win_release);
	return 0;
}

/* Queues ctrl's signal for a waiter, or dispatches it to the core's
 * handlers; false when the application did not take it, for the next
 * console handler (the default one ends the process). */
static bool win_ctrl_deliver(DWORD ctrl)
{
	struct vmosal_siginfo info = {.struct_size = sizeof info};
	int sig = win_console_signal(ctrl);
	bool chained = false;

	if (sig == VMOSAL_SIGINT && atomic_load(&win_int_ignored))
		return true; /* discarded, before any handler or waiter sees it */
	if (sig == 0 || ((atomic_load(&win_installed) & WIN_BIT(sig)) == 0 &&
			 atomic_load(&win_waiting[sig]) == 0))
		return false;
	if (atomic_load(&win_waiting[sig]) > 0) {
		AcquireSRWLockExclusive(&win_sig_lock);
		atomic_store(&win_pending_ctrl[sig], ctrl);
		atomic_fetch_add(&win_pending[sig], 1);
		atomic_fetch_add(&win_pending_seq, 1);
		win_wake_sig_handles_locked(sig);
		ReleaseSRWLockExclusive(&win_sig_lock);
		WakeByAddressAll((void *)&win_pending_seq);
		return true;
	}
	info.signal = (uint32_t)sig;
	info.os_signal = (int32_t)ctrl;
	info.syscall = -1;
	if (win_core == NULL)
		return false;
	/* signal_chain marks it through os_context. */
	win_core->signal_dispatch(&info, &chained);
	return !chained;
}

BOOL WINAPI win_console_handler(DWORD ctrl)
{
	bool taken;

	/* Counted, so that fini can wait for every thread to leave. */
	atomic_fetch_add(&win_inside, 1);
	taken = win_ctrl_deliver(ctrl);
	if (taken && win_ctrl_ends_process(ctrl))
		WaitForSingleObject(win_release, INFINITE);
	if (atomic_fetch_sub(&win_inside, 1) == 1)
		WakeByAddressAll((void *)&win_inside);
	return taken;
}

/* ---- the end of the session ----
 * An interactive process gets no console event at logoff or shutdown (only
 * services do, and no process that loaded user32.dll): only a top-level
 * window hears of it, through WM_QUERYENDSESSION and WM_ENDSESSION, and
 * message-only windows get no such broadcast. A hidden one, on a thread of
 * its own, made the first time TERM is handled or waited for, passes
 * WM_ENDSESSION on as LOGOFF or SHUTDOWN. user32.dll is loaded only then,
 * at run time. */
static struct {
	ATOM(WINAPI *register_class)(const WNDCLASSEXW *);
	BOOL(WINAPI *unregister_class)(LPCWSTR, HINSTANCE);
	HWND(WINAPI *create_window)(DWORD, LPCWSTR, LPCWSTR, DWORD, int, int, int, int, HWND,
				    HMENU, HINSTANCE, LPVOID);
	BOOL(WINAPI *destroy_window)(HWND);
	LRESULT(WINAPI *def_window_proc)(HWND, UINT, WPARAM, LPARAM);
	BOOL(WINAPI *get_message)(LPMSG, HWND, UINT, UINT);
	LRESULT(WINAPI *dispatch_message)(const MSG *);
	BOOL(WINAPI *post_message)(HWND, UINT, WPARAM, LPARAM);
	void(WINAPI *post_quit_message)(int);
} win_user;

static const wchar_t win_session_class[] = L"vmosal-session";
#define WIN_SESSION_QUIT (WM_APP + 0x5e5) /* posted by fini */
static bool win_session_tried;            /* under win_sig_lock, as the rest */
static HWND win_session_hwnd;             /* NULL: none could be made */
static HANDLE win_session_left;           /* set as its thread leaves */

static bool win_user_resolve(void)
{
#define WIN_USER(field, name)                                                                \
	((win_user.field = (__typeof__(win_user.field))win_system_proc(L"user32.dll", name)) != \
	 NULL)
	return WIN_USER(register_class, "RegisterClassExW") &&
	       WIN_USER(unregister_class, "UnregisterClassW") &&
	       WIN_USER(create_window, "CreateWindowExW") &&
	       WIN_USER(destroy_window, "DestroyWindow") &&
	       WIN_USER(def_window_proc, "DefWindowProcW") &&
	       WIN_USER(get_message, "GetMessageW") &&
	       WIN_USER(dispatch_message, "DispatchMessageW") &&
	       WIN_USER(post_message, "PostMessageW") &&
	       WIN_USER(post_quit_message, "PostQuitMessage");
#undef WIN_USER
}

static LRESULT CALLBACK win_session_proc(HWND w, UINT msg, WPARAM wp, LPARAM lp)
{
	switch (msg) {
	case WM_QUERYENDSESSION:
		return TRUE; /* no objection: TERM comes with WM_ENDSESSION */
	case WM_ENDSESSION:
		/* FALSE: the end of the session was called off. Held here
		 * like the console handler: the session may end once this
		 * returns. */
		if (wp)
			win_console_handler(((DWORD)lp & ENDSESSION_LOGOFF) ? CTRL_LOGOFF_EVENT
									  : CTRL_SHUTDOWN_EVENT);
		return 0;
	case WM_CLOSE:
		return 0; /* only fini takes it away */
	case WIN_SESSION_QUIT:
		win_user.destroy_window(w);
		return 0;
	case WM_DESTROY:
		win_user.post_quit_message(0);
		return 0;
	default:
		return win_user.def_window_proc(w, msg, wp, lp);
	}
}

struct win_session_start {
	HANDLE ready;
	HANDLE left;
	HWND hwnd;
};

static DWORD WINAPI win_session_main(LPVOID arg)
{
	struct win_session_start *st = arg;
	HANDLE left = st->left;
	WNDCLASSEXW wc;
	HMODULE self = NULL;
	HWND w = NULL;
	MSG m;

	/* A reference of its own, dropped by FreeLibraryAndExitThread: fini
	 * waits only for 'left', and this thread still runs a few of the
	 * DLL's instructions after that. */
	GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, (LPCWSTR)(void *)&win_user,
			   &self);
	memset(&wc, 0, sizeof wc);
	wc.cbSize = sizeof wc;
	wc.lpfnWndProc = win_session_proc;
	wc.hInstance = self;
	wc.lpszClassName = win_session_class;
	if (win_user.register_class(&wc) != 0)
		/* Never shown: WS_OVERLAPPED without WS_VISIBLE. */
		w = win_user.create_window(0, win_session_class, L"", WS_OVERLAPPED, 0, 0, 0, 0,
					   NULL, NULL, self, NULL);
	st->hwnd = w;
	SetEvent(st->ready); /* st is gone from here on */
	if (w != NULL)
		while (win_user.get_message(&m, NULL, 0, 0) > 0)
			win_user.dispatch_message(&m);
	win_user.unregister_class(win_session_class, self);
	SetEvent(left);
	if (self != NULL)
		FreeLibraryAndExitThread(self, 0);
	return 0;
}

/* Made once per load; a failure (no window station, no display driver
 * under Wine) leaves TERM to the console handler, which is all services
 * need. */
static void win_session_add_locked(void)
{
	struct win_session_start st = {0};
	HANDLE t;

	if (win_session_tried)
		return;
	win_session_tried = true;
	if (!win_user_resolve())
		return;
	st.ready = CreateEventW(NULL, TRUE, FALSE, NULL);
	st.left = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (st.ready != NULL && st.left != NULL &&
	    (t = CreateThread(NULL, 0, win_session_main, &st, 0, NULL)) != NULL) {
		WaitForSingleObject(st.ready, INFINITE);
		CloseHandle(t);
		if (st.hwnd != NULL) {
			win_session_hwnd = st.hwnd;
			win_session_left = st.left;
			st.left = NULL;
		} else {
			WaitForSingleObject(st.left, INFINITE);
		}
	}
	if (st.ready != NULL)
		CloseHandle(st.ready);
	if (st.left != NULL)
		CloseHandle(st.left);
}

HWND win_session_window(void)
{
	HWND w;

	AcquireSRWLockShared(&win_sig_lock);
	w = win_session_hwnd;
	ReleaseSRWLockShared(&win_sig_lock);
	return w;
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

static void win_siginfo_of(const EXCEPTION_RECORD *rec, struct vmosal_siginfo *out)
{
	out->struct_size = sizeof *out;
	out->signal = (uint32_t)win_exception_signal(rec->ExceptionCode);
	out->os_signal = (int32_t)rec->ExceptionCode;
	out->os_code = 0;
	out->fault_addr = NULL;
	out->syscall = -1;
	out->syscall_arch = 0;
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
 * fn runs under win_guard_call, a small assembly function that saves the
 * registers the ABI says a call preserves, notes in the guard record the
 * stack pointer at its call of fn and the return address of that call,
 * then calls fn(arg). On a fault the handler resumes the thread there, as
 * if fn had returned: the function restores what it saved and returns,
 * and the guard sees the record marked. Nothing is left on the stack or
 * the shadow stack: with CET shadow stacks, a context whose instruction
 * pointer is a return address on the thread's shadow stack is accepted and
 * the shadow stack is unwound to it (Windows' "Hardware-enforced Stack
 * Protection": context IP validation, as RtlUnwindEx and longjmp rely on),
 * where a jump to any other address is refused in strict mode. Not checked
 * on CET hardware here (README). No __builtin_setjmp, which clang lacks on
 * AArch64.
 *
 * The handler reads the guard record from a TlsAlloc slot, never from a
 * _Thread_local: mingw emulates those, and a thread's first read of one
 * calls malloc, which must not happen during exception dispatch (the
 * fault may be in the heap, or another thread may hold its lock). */
struct win_guard {
	uintptr_t resume_sp; /* written by win_guard_call: offset 0 */
	uintptr_t resume_pc; /* offset 8 */
	struct vmosal_siginfo *fault;
	struct win_guard *outer;
	struct win_guard *self; /* this frame, while it is live */
	volatile uint32_t faulted;
};
_Static_assert(offsetof(struct win_guard, resume_sp) == 0, "win_guard_call stores it at 0");
_Static_assert(offsetof(struct win_guard, resume_pc) == 8, "win_guard_call stores it at 8");

/* Returns fn(arg), or anything once the handler took a fault of fn. */
int win_guard_call(int (*fn)(void *), void *arg, struct win_guard *g);

#if defined(__x86_64__)
/* The Windows x64 ABI: rbx, rbp, rdi, rsi, r12-r15 and xmm6-xmm15 are
 * preserved, 32 bytes of home space, rsp 16-byte aligned at a call. The
 * .seh_ directives give it unwind data, for exceptions that pass through
 * fn on their way to an outer handler. */
__asm__("	.text\n"
	"	.p2align 4\n"
	"	.globl win_guard_call\n"
	"	.def win_guard_call; .scl 2; .type 32; .endef\n"
	"win_guard_call:\n"
	"	.seh_proc win_guard_call\n"
	"	pushq %rbp\n"
	"	.seh_pushreg %rbp\n"
	"	pushq %rbx\n"
	"	.seh_pushreg %rbx\n"
	"	pushq %rdi\n"
	"	.seh_pushreg %rdi\n"
	"	pushq %rsi\n"
	"	.seh_pushreg %rsi\n"
	"	pushq %r12\n"
	"	.seh_pushreg %r12\n"
	"	pushq %r13\n"
	"	.seh_pushreg %r13\n"
	"	pushq %r14\n"
	"	.seh_pushreg %r14\n"
	"	pushq %r15\n"
	"	.seh_pushreg %r15\n"
	"	subq $200, %rsp\n"
	"	.seh_stackalloc 200\n"
	"	movaps %xmm6, 32(%rsp)\n"
	"	.seh_savexmm %xmm6, 32\n"
	"	movaps %xmm7, 48(%rsp)\n"
	"	.seh_savexmm %xmm7, 48\n"
	"	movaps %xmm8, 64(%rsp)\n"
	"	.seh_savexmm %xmm8, 64\n"
	"	movaps %xmm9, 80(%rsp)\n"
	"	.seh_savexmm %xmm9, 80\n"
	"	movaps %xmm10, 96(%rsp)\n"
	"	.seh_savexmm %xmm10, 96\n"
	"	movaps %xmm11, 112(%rsp)\n"
	"	.seh_savexmm %xmm11, 112\n"
	"	movaps %xmm12, 128(%rsp)\n"
	"	.seh_savexmm %xmm12, 128\n"
	"	movaps %xmm13, 144(%rsp)\n"
	"	.seh_savexmm %xmm13, 144\n"
	"	movaps %xmm14, 160(%rsp)\n"
	"	.seh_savexmm %xmm14, 160\n"
	"	movaps %xmm15, 176(%rsp)\n"
	"	.seh_savexmm %xmm15, 176\n"
	"	.seh_endprologue\n"
	"	movq %rsp, 0(%r8)\n"
	"	leaq 1f(%rip), %rax\n"
	"	movq %rax, 8(%r8)\n"
	"	movq %rcx, %rax\n"
	"	movq %rdx, %rcx\n"
	"	callq *%rax\n"
	/* Where fn returns, and where a fault resumes. */
	"1:	movaps 32(%rsp), %xmm6\n"
	"	movaps 48(%rsp), %xmm7\n"
	"	movaps 64(%rsp), %xmm8\n"
	"	movaps 80(%rsp), %xmm9\n"
	"	movaps 96(%rsp), %xmm10\n"
	"	movaps 112(%rsp), %xmm11\n"
	"	movaps 128(%rsp), %xmm12\n"
	"	movaps 144(%rsp), %xmm13\n"
	"	movaps 160(%rsp), %xmm14\n"
	"	movaps 176(%rsp), %xmm15\n"
	"	addq $200, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rsi\n"
	"	popq %rdi\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	retq\n"
	"	.seh_endproc\n");
#elif defined(__aarch64__)
/* The Windows ARM64 ABI: x19-x28, fp, lr and d8-d15 are preserved, sp
 * 16-byte aligned; x18 is the TEB and never touched. */
__asm__("	.text\n"
	"	.p2align 2\n"
	"	.globl win_guard_call\n"
	"	.def win_guard_call; .scl 2; .type 32; .endef\n"
	"win_guard_call:\n"
	"	.seh_proc win_guard_call\n"
	"	stp x19, x20, [sp, #-160]!\n"
	"	.seh_save_regp_x x19, 160\n"
	"	stp x21, x22, [sp, #16]\n"
	"	.seh_save_regp x21, 16\n"
	"	stp x23, x24, [sp, #32]\n"
	"	.seh_save_regp x23, 32\n"
	"	stp x25, x26, [sp, #48]\n"
	"	.seh_save_regp x25, 48\n"
	"	stp x27, x28, [sp, #64]\n"
	"	.seh_save_regp x27, 64\n"
	"	stp d8, d9, [sp, #80]\n"
	"	.seh_save_fregp d8, 80\n"
	"	stp d10, d11, [sp, #96]\n"
	"	.seh_save_fregp d10, 96\n"
	"	stp d12, d13, [sp, #112]\n"
	"	.seh_save_fregp d12, 112\n"
	"	stp d14, d15, [sp, #128]\n"
	"	.seh_save_fregp d14, 128\n"
	"	stp x29, x30, [sp, #144]\n"
	"	.seh_save_fplr 144\n"
	"	add x29, sp, #144\n"
	"	.seh_add_fp 144\n"
	"	.seh_endprologue\n"
	"	mov x9, sp\n"
	"	adr x10, 1f\n"
	"	stp x9, x10, [x2]\n"
	"	mov x9, x0\n"
	"	mov x0, x1\n"
	"	blr x9\n"
	/* Where fn returns, and where a fault resumes. */
	"1:\n"
	"	.seh_startepilogue\n"
	"	ldp x29, x30, [sp, #144]\n"
	"	.seh_save_fplr 144\n"
	"	ldp d14, d15, [sp, #128]\n"
	"	.seh_save_fregp d14, 128\n"
	"	ldp d12, d13, [sp, #112]\n"
	"	.seh_save_fregp d12, 112\n"
	"	ldp d10, d11, [sp, #96]\n"
	"	.seh_save_fregp d10, 96\n"
	"	ldp d8, d9, [sp, #80]\n"
	"	.seh_save_fregp d8, 80\n"
	"	ldp x27, x28, [sp, #64]\n"
	"	.seh_save_regp x27, 64\n"
	"	ldp x25, x26, [sp, #48]\n"
	"	.seh_save_regp x25, 48\n"
	"	ldp x23, x24, [sp, #32]\n"
	"	.seh_save_regp x23, 32\n"
	"	ldp x21, x22, [sp, #16]\n"
	"	.seh_save_regp x21, 16\n"
	"	ldp x19, x20, [sp], #160\n"
	"	.seh_save_regp_x x19, 160\n"
	"	.seh_endepilogue\n"
	"	ret\n"
	"	.seh_endfunclet\n"
	"	.seh_endproc\n");
#else
#error "the fault guard needs win_guard_call for this architecture"
#endif

/* The guard records' slot: allocated with the exception handler, before
 * it is added, and kept for the life of the process (the handler may read
 * it at any time). */
static _Atomic DWORD win_guard_slot = TLS_OUT_OF_INDEXES;

void *win_guard_current(void)
{
	DWORD slot = atomic_load_explicit(&win_guard_slot, memory_order_acquire);

	return slot != TLS_OUT_OF_INDEXES ? TlsGetValue(slot) : NULL;
}

/* Resumes the faulting context in win_guard_call as fn's return. */
void win_guard_redirect(CONTEXT *c, const void *guard)
{
	const struct win_guard *g = guard;

#if defined(__x86_64__)
	c->Rsp = (DWORD64)g->resume_sp;
	c->Rip = (DWORD64)g->resume_pc;
	/* fn may have faulted with DF set (std; rep movs): the ABI wants it
	 * clear at every call and return. */
	c->EFlags &= ~(DWORD)0x400;
#elif defined(__aarch64__)
	c->Sp = (DWORD64)g->resume_sp;
	c->Pc = (DWORD64)g->resume_pc;
#endif
}

/* The first 64 KiB are never mapped: a fault there is fn's own NULL
 * dereference, which goes on as if unguarded (signal.h). */
#define WIN_GUARD_MIN_ADDR ((uintptr_t)0x10000)

static bool win_guard_take(EXCEPTION_POINTERS *ep, int sig)
{
	DWORD slot = atomic_load_explicit(&win_guard_slot, memory_order_acquire);
	CONTEXT *c = ep->ContextRecord;
	struct vmosal_siginfo info;
	struct win_guard *g;
	DWORD err;
#if defined(__x86_64__)
	uintptr_t sp = (uintptr_t)c->Rsp;
#elif defined(__aarch64__)
	uintptr_t sp = (uintptr_t)c->Sp;
#endif

	if ((sig != VMOSAL_SIGSEGV && sig != VMOSAL_SIGBUS) || slot == TLS_OUT_OF_INDEXES)
		return false;
	/* TlsGetValue clears the thread's last error, which the faulting
	 * code may still need if a later handler resumes it. */
	err = GetLastError();
	g = TlsGetValue(slot);
	SetLastError(err);
	if (g == NULL)
		return false;
	win_siginfo_of(ep->ExceptionRecord, &info);
	if ((uintptr_t)info.fault_addr < WIN_GUARD_MIN_ADDR)
		return false;
	/* A guard whose frame lies at or below the fault's stack pointer was
	 * left without returning (fn longjmp'd out): none of this thread's
	 * records can be trusted past it. */
	if ((uintptr_t)g <= sp || g->self != g || g->resume_sp <= sp) {
		TlsSetValue(slot, NULL);
		SetLastError(err);
		return false;
	}
	*g->fault = info;
	g->faulted = 1;
	win_guard_redirect(c, g);
	return true;
}

static LONG CALLBACK win_exception_handler(EXCEPTION_POINTERS *ep)
{
	struct vmosal_siginfo info;
	int sig = win_exception_signal(ep->ExceptionRecord->ExceptionCode);
	bool chained = false;

	if (sig == 0)
		return EXCEPTION_CONTINUE_SEARCH;
	if (win_guard_take(ep, sig))
		return EXCEPTION_CONTINUE_EXECUTION;
	if ((atomic_load(&win_installed) & WIN_BIT(sig)) == 0 || win_core == NULL)
		return EXCEPTION_CONTINUE_SEARCH;
	win_siginfo_of(ep->ExceptionRecord, &info);
	/* signal_chain marks it through os_context: no thread-local here. */
	win_core->signal_dispatch(&info, &chained);
	/* A handler that took it has made the access work again. */
	return chained ? EXCEPTION_CONTINUE_SEARCH : EXCEPTION_CONTINUE_EXECUTION;
}

/* The exception handler stays once added: a guard may run at any time,
 * and removing it would race a fault on another thread. */
static int win_veh_add_locked(void)
{
	if (atomic_load(&win_guard_slot) == TLS_OUT_OF_INDEXES) {
		DWORD slot = TlsAlloc();

		if (slot == TLS_OUT_OF_INDEXES)
			return VMOSAL_ENOMEM;
		atomic_store_explicit(&win_guard_slot, slot, memory_order_release);
	}
	if (win_veh == NULL) {
		win_veh = AddVectoredExceptionHandler(1, win_exception_handler);
		atomic_store_explicit(&win_veh_added, win_veh, memory_order_release);
	}
	return win_veh != NULL ? 0 : VMOSAL_ENOMEM;
}

/* The console handler, added once and kept until fini: it passes on what
 * nobody installed or waits for. TERM also brings the session window. */
static int win_console_add_locked(uint32_t bits)
{
	int rc;

	if (!win_console_handler_on) {
		if ((rc = win_release_arm_locked()) != 0)
			return rc;
		if (!SetConsoleCtrlHandler(win_console_handler, TRUE))
			return win_last_error();
		win_console_handler_on = true;
	}
	if (bits & WIN_BIT(VMOSAL_SIGTERM))
		win_session_add_locked();
	return 0;
}

int win_fault_guard(int (*fn)(void *), void *arg, struct vmosal_siginfo *fault,
		    int *fn_result)
{
	struct win_guard g = {.fault = fault};
	struct win_guard *top;
	DWORD slot;
	int rc;

	/* The handler stays once added: only the first guard takes the lock. */
	if (atomic_load_explicit(&win_veh_added, memory_order_acquire) == NULL) {
		AcquireSRWLockExclusive(&win_sig_lock);
		rc = win_veh_add_locked();
		ReleaseSRWLockExclusive(&win_sig_lock);
		if (rc != 0)
			return rc;
	}
	slot = atomic_load_explicit(&win_guard_slot, memory_order_acquire);
	g.self = &g;
	/* A record below this frame is no caller's: fn of a guard left it
	 * without returning. */
	top = TlsGetValue(slot);
	g.outer = (uintptr_t)top > (uintptr_t)&g ? top : NULL;
	TlsSetValue(slot, &g);
	rc = win_guard_call(fn, arg, &g);
	TlsSetValue(slot, g.outer);
	if (g.faulted)
		return VMOSAL_EFAULT;
	*fn_result = rc;
	return 0;
}

int win_signal_install(int sig)
{
	int rc;

	if (sig <= 0 || sig >= VMOSAL_SIGNAL_COUNT ||
	    (WIN_BIT(sig) & (WIN_CONSOLE_SIGS | WIN_FAULT_SIGS)) == 0)
		return VMOSAL_ENOTSUP;
	AcquireSRWLockExclusive(&win_sig_lock);
	rc = WIN_BIT(sig) & WIN_FAULT_SIGS ? win_veh_add_locked()
					    : win_console_add_locked(WIN_BIT(sig));
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

/* os_context is the dispatching handler's own flag (win_ctrl_deliver,
 * win_exception_handler): the console or exception handler passes the
 * signal on when it sees it set. */
void win_signal_chain(const struct vmosal_siginfo *info, void *os_context)
{
	(void)info;
	if (os_context != NULL)
		*(bool *)os_context = true;
}

/* INT only: the other console signals end the process whatever their
 * handlers return, and the rest do not exist here. Ctrl+C's flag is the
 * system's (SetConsoleCtrlHandler(NULL, TRUE), inherited by child
 * processes, as SIG_IGN is across exec); Ctrl+Break needs the console
 * handler in place to be taken. Windows has no call that reads the flag:
 * taking the ignore back turns it off. */
int win_signal_ignore(int sig, bool ignore)
{
	int rc = 0;

	if (sig != VMOSAL_SIGINT)
		return sig > 0 && sig < VMOSAL_SIGNAL_COUNT &&
				       (WIN_BIT(sig) & WIN_FAULT_SIGS) != 0
			       ? VMOSAL_EINVAL
			       : VMOSAL_ENOTSUP;
	AcquireSRWLockExclusive(&win_sig_lock);
	if (atomic_load(&win_int_ignored) != ignore) {
		if (ignore)
			rc = win_console_add_locked(WIN_BIT(VMOSAL_SIGINT));
		if (rc == 0 && !SetConsoleCtrlHandler(NULL, ignore ? TRUE : FALSE))
			rc = win_last_error();
		if (rc == 0)
			atomic_store(&win_int_ignored, ignore);
	}
	ReleaseSRWLockExclusive(&win_sig_lock);
	return rc;
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
	rc = win_console_add_locked(bits);
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

static void win_fill_console(struct vmosal_siginfo *out, int sig)
{
	out->signal = (uint32_t)sig;
	out->os_signal = (int32_t)atomic_load(&win_pending_ctrl[sig]);
	out->os_code = 0;
	out->fault_addr = NULL;
	out->syscall = -1;
	out->syscall_arch = 0;
}

int win_signal_wait(const int *sigs, size_t n, int64_t timeout_ns,
		    struct vmosal_siginfo *out)
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

int win_signal_fd_create(const int *sigs, size_t n, vmosal_handle_t *out)
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

int win_signal_fd_read(vmosal_handle_t h, struct vmosal_siginfo *out)
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

void win_signal_handle_forget(HANDLE h)
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
}

/* The pending signals are the process's, so a second record for the same
 * event and signals reads the same queue, as a dup'ed signalfd does; each
 * record holds its own waiting counts, which its close gives back. */
int win_signal_handle_dup(HANDLE orig, HANDLE dup)
{
	uint32_t bits = 0;
	size_t i;
	int rc;

	AcquireSRWLockShared(&win_sig_lock);
	for (i = 0; i < WIN_SIGNAL_HANDLES && bits == 0; i++)
		if (win_sig_handles[i].event == orig)
			bits = win_sig_handles[i].sigs;
	ReleaseSRWLockShared(&win_sig_lock);
	if (bits == 0)
		return 0;
	if ((rc = win_wait_begin(bits)) != 0)
		return rc;
	AcquireSRWLockExclusive(&win_sig_lock);
	for (i = 0; i < WIN_SIGNAL_HANDLES && win_sig_handles[i].event != NULL; i++)
		;
	if (i < WIN_SIGNAL_HANDLES) {
		win_sig_handles[i].event = dup;
		win_sig_handles[i].sigs = bits;
	}
	ReleaseSRWLockExclusive(&win_sig_lock);
	if (i == WIN_SIGNAL_HANDLES) {
		win_wait_end(bits);
		return VMOSAL_ENOSPC;
	}
	return 0;
}

/* ---- kick ----
 * One APC per thread at most: a thread that does not wait alertably for a
 * while (WHvRunVirtualProcessor, WaitOnAddress, Sleep) would otherwise
 * collect one per kick, and every one of them runs at its next alertable
 * wait. A kick that finds ours still queued to the thread queues none: that
 * one ends the thread's next alertable wait, which then sees this kick's
 * flag too (thread.h). The record keeps the thread's handle open while its
 * APC is queued, so the thread id cannot be given to another thread
 * meanwhile, and a thread that ended with it queued (Windows drops the
 * APCs of a thread that ends) is seen as such by the next kick or fini. */
#define WIN_KICK_SLOTS 256
static struct {
	DWORD tid;     /* 0: free */
	HANDLE thread; /* open while our APC is queued to tid */
} win_kick_slots[WIN_KICK_SLOTS];
static size_t win_kick_used; /* slots in use or used before: [0, used) */
static SRWLOCK win_kick_lock = SRWLOCK_INIT;
/* Bumped by fini: an APC of an earlier load finds it changed and does
 * nothing, as the core it would call may be gone. */
static uint32_t win_kick_gen;
static uint32_t win_kick_queued; /* APCs queued and not run, or dropped */

_Static_assert(sizeof(ULONG_PTR) == 8, "an APC's argument holds the load and the slot");

static void win_kick_free_locked(size_t i)
{
	CloseHandle(win_kick_slots[i].thread);
	win_kick_slots[i].thread = NULL;
	win_kick_slots[i].tid = 0;
	win_kick_queued--;
}

static VOID CALLBACK win_kick_apc(ULONG_PTR arg)
{
	size_t slot = (size_t)(arg & 0xffffffffu); /* 0: none, else index + 1 */

	/* Under the lock, so that fini cannot pass while it calls the core. */
	AcquireSRWLockExclusive(&win_kick_lock);
	if (slot != 0 && win_kick_slots[slot - 1].tid == GetCurrentThreadId())
		win_kick_free_locked(slot - 1);
	else
		win_kick_queued--;
	if ((uint32_t)(arg >> 32) == win_kick_gen && win_core != NULL)
		win_core->kick_received();
	ReleaseSRWLockExclusive(&win_kick_lock);
}

int win_kick_setup(int *os_signal)
{
	/* An APC needs nothing set up, and is no signal. */
	*os_signal = 0;
	return 0;
}

/* Frees the slots of threads that ended with our APC queued; returns a
 * free slot, or WIN_KICK_SLOTS. */
static size_t win_kick_sweep_locked(void)
{
	size_t free_slot = WIN_KICK_SLOTS;

	for (size_t i = 0; i < win_kick_used; i++) {
		if (win_kick_slots[i].tid != 0 &&
		    WaitForSingleObject(win_kick_slots[i].thread, 0) == WAIT_OBJECT_0)
			win_kick_free_locked(i);
		if (win_kick_slots[i].tid == 0 && free_slot == WIN_KICK_SLOTS)
			free_slot = i;
	}
	return free_slot;
}

int win_thread_kick(uint64_t tid)
{
	size_t i, free_slot = WIN_KICK_SLOTS;
	ULONG_PTR arg;
	HANDLE t;
	int rc;

	/* The caller too gets a real handle, which stays valid elsewhere. */
	if (tid == 0)
		tid = GetCurrentThreadId();
	AcquireSRWLockExclusive(&win_kick_lock);
	for (i = 0; i < win_kick_used && win_kick_slots[i].tid != tid; i++)
		if (win_kick_slots[i].tid == 0 && free_slot == WIN_KICK_SLOTS)
			free_slot = i;
	if (i < win_kick_used) {
		if (WaitForSingleObject(win_kick_slots[i].thread, 0) != WAIT_OBJECT_0) {
			ReleaseSRWLockExclusive(&win_kick_lock);
			return 0; /* ours is still queued to it */
		}
		win_kick_free_locked(i); /* it ended: the id may be another's now */
		if (i < free_slot)
			free_slot = i;
	}
	rc = win_thread_open(tid, THREAD_SET_CONTEXT | SYNCHRONIZE, &t);
	if (rc != 0) {
		ReleaseSRWLockExclusive(&win_kick_lock);
		return rc;
	}
	if (free_slot == WIN_KICK_SLOTS && win_kick_used < WIN_KICK_SLOTS)
		free_slot = win_kick_used++;
	if (free_slot == WIN_KICK_SLOTS)
		free_slot = win_kick_sweep_locked();
	/* More threads than slots with an APC queued: this one is not
	 * recorded, and its kicks queue one APC each as before. */
	arg = (ULONG_PTR)win_kick_gen << 32 | (free_slot < WIN_KICK_SLOTS ? free_slot + 1 : 0);
	if (!QueueUserAPC(win_kick_apc, t, arg)) {
		rc = win_last_error();
		CloseHandle(t);
	} else if (free_slot < WIN_KICK_SLOTS) {
		win_kick_slots[free_slot].tid = (DWORD)tid;
		win_kick_slots[free_slot].thread = t;
		win_kick_queued++;
	} else {
		win_kick_queued++;
		CloseHandle(t);
	}
	ReleaseSRWLockExclusive(&win_kick_lock);
	return rc;
}

/* A queued user APC can be neither taken back nor made to run: the thread
 * runs it at its next alertable wait, maybe never. So the APCs still
 * queued are made harmless (an earlier load's do nothing), and the DLL is
 * pinned, never unloaded, so that their code stays mapped. */
static void win_kick_fini(void)
{
	HMODULE self;

	AcquireSRWLockExclusive(&win_kick_lock);
	win_kick_gen++;
	win_kick_sweep_locked();
	if (win_kick_queued > 0)
		GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
					   GET_MODULE_HANDLE_EX_FLAG_PIN,
				   (LPCWSTR)(void *)&win_kick_gen, &self);
	ReleaseSRWLockExclusive(&win_kick_lock);
}

/* Also runs in DllMain (core/host/win32.c), under the loader lock: waits
 * only for threads that need no lock to get out of the DLL's code. */
void win_signal_fini(void)
{
	HANDLE left;
	HWND w;

	AcquireSRWLockExclusive(&win_sig_lock);
	if (win_console_handler_on && SetConsoleCtrlHandler(win_console_handler, FALSE))
		win_console_handler_on = false;
	if (win_veh != NULL && RemoveVectoredExceptionHandler(win_veh)) {
		win_veh = NULL;
		atomic_store(&win_veh_added, NULL);
	}
	w = win_session_hwnd;
	left = win_session_left;
	win_session_hwnd = NULL;
	win_session_left = NULL;
	win_session_tried = false;
	ReleaseSRWLockExclusive(&win_sig_lock);
	/* Held handlers first: the session window's thread may be one. */
	if (win_release != NULL)
		SetEvent(win_release);
	if (w != NULL) {
		win_user.post_message(w, WIN_SESSION_QUIT, 0, 0);
		WaitForSingleObject(left, INFINITE);
		CloseHandle(left);
	}
	for (uint32_t n; (n = atomic_load(&win_inside)) != 0;)
		WaitOnAddress((volatile void *)&win_inside, &n, sizeof n, INFINITE);
	win_kick_fini();
}
