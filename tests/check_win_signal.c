/* The Windows backend's signal, fault-guard, kick and event slots
 * (win_signal.c, win_io.c), called directly with a core-services table
 * of the test's own that records what reaches the core. Console events
 * are handed to the console handler as Windows would: Wine's headless
 * console cannot raise them. */
#include "config.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"
#include "win.h"

static atomic_int dispatched[VMOSAL_SIGNAL_COUNT];
static atomic_int last_os_signal[VMOSAL_SIGNAL_COUNT];
static atomic_int kicks;
static bool handled = true; /* what the core's handlers answer */
/* commit_later commits the page at fix_later and counts. */
static void *volatile fix_later;
static atomic_int later_saw;

static void record_dispatch(const struct vmosal_siginfo *info, void *os_context)
{
	if (info->signal < VMOSAL_SIGNAL_COUNT) {
		atomic_store(&last_os_signal[info->signal], info->os_signal);
		atomic_fetch_add(&dispatched[info->signal], 1);
	}
	/* As the core does when no handler took it. */
	if (!handled)
		win_signal_chain(info, os_context);
}

static void record_kick(void)
{
	atomic_fetch_add(&kicks, 1);
}

static const char *no_env(const char *name)
{
	(void)name;
	return NULL;
}

static const struct vmosal_core_services services = {
	.abi_version = VMOSAL_BACKEND_ABI,
	.struct_size = sizeof services,
	.secure_getenv = no_env,
	.signal_dispatch = record_dispatch,
	.kick_received = record_kick,
};

static void setup(void)
{
	win_core = &services;
	handled = true;
	for (int i = 0; i < VMOSAL_SIGNAL_COUNT; i++)
		atomic_store(&dispatched[i], 0);
	atomic_store(&kicks, 0);
	atomic_store(&later_saw, 0);
}

static void teardown(void)
{
	win_signal_restore(VMOSAL_SIGINT);
	win_signal_restore(VMOSAL_SIGTERM);
	win_signal_restore(VMOSAL_SIGHUP);
}

struct handler_call {
	DWORD ctrl;
	BOOL rc;
};

static DWORD WINAPI call_console_handler(LPVOID arg)
{
	struct handler_call *c = arg;

	c->rc = win_console_handler(c->ctrl);
	return 0;
}

/* Hands ctrl to the console handler on a thread of its own, as Windows
 * does, and waits until it reached the application: the core's handlers
 * (sig's count went up), or the signal handle h. Returns whether the
 * handler was still running 200 ms after that (a handler that returned
 * would have let Windows end the process); fini then lets it go, and *rc
 * is what it returned. */
static bool console_handler_holds(DWORD ctrl, int sig, HANDLE h, BOOL *rc)
{
	struct handler_call c = {.ctrl = ctrl};
	int before = atomic_load(&dispatched[sig]);
	HANDLE t = CreateThread(NULL, 0, call_console_handler, &c, 0, NULL);
	bool held;

	ck_assert_ptr_nonnull(t);
	if (h != NULL)
		ck_assert_uint_eq(WaitForSingleObject(h, 10000), WAIT_OBJECT_0);
	for (int i = 0; h == NULL && i < 1000 && atomic_load(&dispatched[sig]) == before; i++)
		Sleep(10);
	held = WaitForSingleObject(t, 200) == WAIT_TIMEOUT;
	win_signal_fini();
	ck_assert_uint_eq(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
	CloseHandle(t);
	*rc = c.rc;
	return held;
}

/* What the handler returns when it does return by itself (in time). */
static BOOL console_handler_returns(DWORD ctrl)
{
	struct handler_call c = {.ctrl = ctrl};
	HANDLE t = CreateThread(NULL, 0, call_console_handler, &c, 0, NULL);

	ck_assert_ptr_nonnull(t);
	ck_assert_msg(WaitForSingleObject(t, 10000) == WAIT_OBJECT_0,
		      "the handler of event %lu did not return", (unsigned long)ctrl);
	CloseHandle(t);
	return c.rc;
}

static void install_console_signals(void)
{
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGINT), 0);
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGTERM), 0);
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGHUP), 0);
}

/* Each console event is the signal signal.h names for it, with the event
 * as os_signal. INT returns at once; HUP and TERM, after which Windows
 * ends the process, hold the handler. */
START_TEST(test_console_events_map)
{
	static const struct {
		DWORD ctrl;
		int sig;
	} map[] = {
		{CTRL_C_EVENT, VMOSAL_SIGINT},      {CTRL_BREAK_EVENT, VMOSAL_SIGINT},
		{CTRL_CLOSE_EVENT, VMOSAL_SIGHUP},  {CTRL_LOGOFF_EVENT, VMOSAL_SIGTERM},
		{CTRL_SHUTDOWN_EVENT, VMOSAL_SIGTERM},
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		int before = atomic_load(&dispatched[map[i].sig]);
		BOOL rc = FALSE;

		install_console_signals();
		if (map[i].sig == VMOSAL_SIGINT)
			rc = console_handler_returns(map[i].ctrl);
		else
			ck_assert_msg(console_handler_holds(map[i].ctrl, map[i].sig, NULL, &rc),
				      "event %lu: the handler returned, and Windows would end the "
				      "process at once",
				      (unsigned long)map[i].ctrl);
		ck_assert(rc);
		ck_assert_int_eq(atomic_load(&dispatched[map[i].sig]), before + 1);
		ck_assert_int_eq(atomic_load(&last_os_signal[map[i].sig]), (int)map[i].ctrl);
	}
}
END_TEST

/* Nobody took it: the next console handler (the default one ends the
 * process) gets it at once, even an event that ends the process. Not
 * installed: it never reaches the core. */
START_TEST(test_console_chain_and_uninstalled)
{
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGINT), 0);
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGHUP), 0);
	handled = false;
	ck_assert(!win_console_handler(CTRL_C_EVENT));
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGINT]), 1);
	ck_assert(!console_handler_returns(CTRL_CLOSE_EVENT));
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGHUP]), 1);
	ck_assert_int_eq(win_signal_restore(VMOSAL_SIGINT), 0);
	ck_assert_int_eq(win_signal_restore(VMOSAL_SIGHUP), 0);
	ck_assert(!win_console_handler(CTRL_C_EVENT));
	ck_assert(!console_handler_returns(CTRL_CLOSE_EVENT));
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGINT]), 1);
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGHUP]), 1);
}
END_TEST

/* With a signal handle open for it, a console event is queued there, not
 * dispatched: the handle turns readable, one read takes one event. A
 * queued event that ends the process holds the handler too: the
 * application has yet to read it. */
START_TEST(test_signal_handle_queues)
{
	int sigs[] = {VMOSAL_SIGINT, VMOSAL_SIGTERM};
	struct vmosal_siginfo si = {.struct_size = sizeof si};
	vmosal_handle_t h;
	BOOL rc = FALSE;

	ck_assert_int_eq(win_signal_install(VMOSAL_SIGINT), 0);
	ck_assert_int_eq(win_signal_fd_create(sigs, 2, &h), 0);
	ck_assert_uint_eq(WaitForSingleObject(h, 0), WAIT_TIMEOUT);
	ck_assert(win_console_handler(CTRL_C_EVENT));
	ck_assert(console_handler_holds(CTRL_LOGOFF_EVENT, VMOSAL_SIGTERM, h, &rc));
	ck_assert(rc);
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGINT]), 0);
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGTERM]), 0);
	ck_assert_uint_eq(WaitForSingleObject(h, 0), WAIT_OBJECT_0);
	ck_assert_int_eq(win_signal_fd_read(h, &si), 0);
	ck_assert_uint_eq(si.signal, VMOSAL_SIGINT);
	ck_assert_int_eq(si.os_signal, CTRL_C_EVENT);
	ck_assert_uint_eq(WaitForSingleObject(h, 0), WAIT_OBJECT_0);
	ck_assert_int_eq(win_signal_fd_read(h, &si), 0);
	ck_assert_uint_eq(si.signal, VMOSAL_SIGTERM);
	ck_assert_int_eq(si.os_signal, CTRL_LOGOFF_EVENT);
	ck_assert_int_eq(win_signal_fd_read(h, &si), VMOSAL_EAGAIN);
	ck_assert_uint_eq(WaitForSingleObject(h, 0), WAIT_TIMEOUT);
	ck_assert_int_eq(win_handle_close(h), 0);
	/* Closed: dispatched again. */
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGINT), 0);
	ck_assert(win_console_handler(CTRL_C_EVENT));
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGINT]), 1);
}
END_TEST

static DWORD WINAPI end_the_session(LPVOID arg)
{
	HWND w = arg;

	/* No objection asked for; TERM comes with the end itself. */
	if (SendMessageW(w, WM_QUERYENDSESSION, 0, ENDSESSION_LOGOFF) != TRUE)
		return 1;
	SendMessageW(w, WM_ENDSESSION, TRUE, ENDSESSION_LOGOFF);
	return 0;
}

/* Logoff and shutdown reach an interactive process only as WM_ENDSESSION,
 * at a top-level window: the hidden one makes it TERM, and holds it as
 * the console handler does. */
START_TEST(test_end_of_session_is_term)
{
	DWORD code = 99;
	HANDLE t;
	HWND w;
	bool held;

	ck_assert_ptr_null(win_session_window());
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGTERM), 0);
	w = win_session_window();
	if (w == NULL)
		VMOSAL_SKIP("no window could be made here (Wine wants a display driver: "
			    "tests/wine-run.sh picks its null one)");
	ck_assert(IsWindow(w));
	ck_assert(!IsWindowVisible(w));
	ck_assert_ptr_null(GetParent(w)); /* top level: message-only ones hear nothing */
	t = CreateThread(NULL, 0, end_the_session, w, 0, NULL);
	ck_assert_ptr_nonnull(t);
	for (int i = 0; i < 1000 && atomic_load(&dispatched[VMOSAL_SIGTERM]) == 0; i++)
		Sleep(10);
	held = WaitForSingleObject(t, 200) == WAIT_TIMEOUT;
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGTERM]), 1);
	ck_assert_int_eq(atomic_load(&last_os_signal[VMOSAL_SIGTERM]), CTRL_LOGOFF_EVENT);
	win_signal_fini();
	ck_assert_uint_eq(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
	ck_assert(GetExitCodeThread(t, &code));
	CloseHandle(t);
	ck_assert_msg(held, "WM_ENDSESSION returned: the session may end the process at once");
	ck_assert_uint_eq(code, 0);
	/* fini took the window and its thread away. */
	ck_assert_ptr_null(win_session_window());
	ck_assert(!IsWindow(w));
	/* Again after fini: a shutdown this time; and one called off. */
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGTERM), 0);
	w = win_session_window();
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(SendMessageW(w, WM_ENDSESSION, FALSE, 0), 0);
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGTERM]), 1);
	handled = false; /* not taken: not held */
	ck_assert_int_eq(SendMessageW(w, WM_ENDSESSION, TRUE, 0), 0);
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGTERM]), 2);
	ck_assert_int_eq(atomic_load(&last_os_signal[VMOSAL_SIGTERM]), CTRL_SHUTDOWN_EVENT);
	win_signal_fini();
}
END_TEST

static DWORD WINAPI ctrl_c_later(LPVOID arg)
{
	(void)arg;
	Sleep(30);
	win_console_handler(CTRL_C_EVENT);
	return 0;
}

START_TEST(test_signal_wait)
{
	int sigs[] = {VMOSAL_SIGINT}, usr1[] = {VMOSAL_SIGUSR1};
	struct vmosal_siginfo si = {.struct_size = sizeof si};
	HANDLE t;

	ck_assert_int_eq(win_signal_wait(usr1, 1, 0, &si), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_signal_wait(sigs, 1, 20 * 1000000, &si), VMOSAL_ETIMEDOUT);
	t = CreateThread(NULL, 0, ctrl_c_later, NULL, 0, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(win_signal_wait(sigs, 1, (int64_t)5 * 1000000000, &si), 0);
	ck_assert_uint_eq(si.signal, VMOSAL_SIGINT);
	WaitForSingleObject(t, INFINITE);
	CloseHandle(t);
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGINT]), 0);
}
END_TEST

START_TEST(test_signals_windows_lacks)
{
	int sigs[] = {VMOSAL_SIGUSR1};

	ck_assert_int_eq(win_signal_install(VMOSAL_SIGUSR1), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGCHLD), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGNAL_COUNT + 5), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_signal_mask(true, sigs, 1), VMOSAL_ENOTSUP);
}
END_TEST

/* ---- fault guard ---- */

/* Out of line: the compiler may not move the faulting read. */
__attribute__((noinline)) static int read_at(void *arg)
{
	return *(volatile int *)arg;
}

START_TEST(test_fault_guard)
{
	struct vmosal_siginfo f = {.struct_size = sizeof f};
	void *page = VirtualAlloc(NULL, 65536, MEM_RESERVE, PAGE_NOACCESS);
	int value = 41, result = 0;

	ck_assert_ptr_nonnull(page);
	ck_assert_int_eq(win_fault_guard(read_at, &value, &f, &result), 0);
	ck_assert_int_eq(result, 41);
	ck_assert_int_eq(win_fault_guard(read_at, (char *)page + 100, &f, &result),
			 VMOSAL_EFAULT);
	ck_assert_uint_eq(f.signal, VMOSAL_SIGSEGV);
	ck_assert_ptr_eq(f.fault_addr, (char *)page + 100);
	ck_assert_int_eq(f.os_signal, (int32_t)EXCEPTION_ACCESS_VIOLATION);
	ck_assert_int_eq(f.os_code, 0); /* a read */
	ck_assert(VirtualFree(page, 0, MEM_RELEASE));
}
END_TEST

/* A fault resumes as the return of the call into fn: at the return
 * address that call left just below the stack pointer it resumes with,
 * which is where a CET shadow stack has it too (strict mode refuses any
 * other target). DF comes back clear. */
struct redirect_seen {
	uintptr_t pc, sp, left_at_sp, own_return;
	uint64_t flags;
};

__attribute__((noinline)) static int redirect_from_here(void *arg)
{
	struct redirect_seen *seen = arg;
	CONTEXT c;

	memset(&c, 0, sizeof c);
#if defined(__x86_64__)
	c.EFlags = 0x602; /* IF, DF */
	win_guard_redirect(&c, win_guard_current());
	seen->pc = (uintptr_t)c.Rip;
	seen->sp = (uintptr_t)c.Rsp;
	seen->flags = c.EFlags;
	/* What the call pushed; fn's own frame lies below it. */
	seen->left_at_sp = *(const uintptr_t *)(seen->sp - sizeof(uintptr_t));
#elif defined(__aarch64__)
	win_guard_redirect(&c, win_guard_current());
	seen->pc = (uintptr_t)c.Pc;
	seen->sp = (uintptr_t)c.Sp;
	seen->left_at_sp = seen->pc; /* in the link register, not on the stack */
#endif
	seen->own_return = (uintptr_t)__builtin_return_address(0);
	return 0;
}

START_TEST(test_fault_guard_resumes_at_a_return)
{
	struct vmosal_siginfo f = {.struct_size = sizeof f};
	struct redirect_seen seen = {0};
	int result = -1;

	ck_assert_int_eq(win_fault_guard(redirect_from_here, &seen, &f, &result), 0);
	ck_assert_int_eq(result, 0);
	ck_assert_ptr_null(win_guard_current()); /* popped */
	ck_assert_msg(seen.pc == seen.own_return,
		      "resumes at %p, not at the return address %p of the call into fn",
		      (void *)seen.pc, (void *)seen.own_return);
	ck_assert_msg(seen.left_at_sp == seen.pc, "the stack pointer it resumes with is not "
						   "the one right after that return");
	ck_assert_uint_eq(seen.sp % 16, 0); /* as before the call */
#if defined(__x86_64__)
	ck_assert_uint_eq(seen.flags & 0x400, 0);
	ck_assert_uint_eq(seen.flags & 0x200, 0x200);
#endif
}
END_TEST

/* A fault deep in a call chain, 10000 times, from a thread that is itself
 * deep in calls: every caller's registers (callee-saved ones included) and
 * stack come back, and the thread returns through all its frames. */
static char *volatile no_access;
static int (*volatile chain_down_fn)(int, volatile int *);
static long long (*volatile chain_up_fn)(int, bool, int *);

__attribute__((noinline)) static int chain_down(int depth, volatile int *p)
{
	int here = depth * 3 + 1;

	if (depth == 0)
		return *p;
	return chain_down_fn(depth - 1, p) * 5 + here;
}

static int deep_fault(void *arg)
{
	return chain_down_fn(16, arg);
}

__attribute__((noinline)) static long long chain_up(int depth, bool guard, int *faults)
{
	long long a = depth * 7 + 1, b = (long long)depth * depth;
	double d = depth * 0.5 + 0.25;

	if (depth == 0) {
		struct vmosal_siginfo f = {.struct_size = sizeof f};
		int result;

		for (int i = 0; guard && i < 10000; i++)
			*faults += win_fault_guard(deep_fault, no_access + 64, &f, &result) ==
				   VMOSAL_EFAULT;
		return 3;
	}
	return chain_up_fn(depth - 1, guard, faults) * 3 + a * b + (long long)(d * 4);
}

START_TEST(test_fault_guard_deep_and_often)
{
	int faults = 0, none = 0;
	long long plain, guarded;

	chain_down_fn = chain_down;
	chain_up_fn = chain_up;
	no_access = VirtualAlloc(NULL, 65536, MEM_RESERVE, PAGE_NOACCESS);
	ck_assert_ptr_nonnull(no_access);
	plain = chain_up(24, false, &none);
	guarded = chain_up(24, true, &faults);
	ck_assert_int_eq(faults, 10000);
	ck_assert_int_eq(guarded, plain);
	ck_assert_ptr_null(win_guard_current());
	ck_assert(VirtualFree(no_access, 0, MEM_RELEASE));
}
END_TEST

#if defined(__x86_64__)
/* Faults with DF set, as in the middle of a backward rep movs. */
__attribute__((noinline)) static int read_with_df(void *arg)
{
	int v;

	__asm__ volatile("std\n\tmovl (%1), %0\n\tcld" : "=r"(v) : "r"(arg) : "memory", "cc");
	return v;
}
#endif

START_TEST(test_fault_guard_clears_df)
{
#if defined(__x86_64__)
	struct vmosal_siginfo f = {.struct_size = sizeof f};
	void *page = VirtualAlloc(NULL, 65536, MEM_RESERVE, PAGE_NOACCESS);
	uint64_t flags;
	int rc, result;

	ck_assert_ptr_nonnull(page);
	rc = win_fault_guard(read_with_df, (char *)page + 100, &f, &result);
	/* Read before anything else runs, and cleared for what follows. */
	__asm__ volatile("pushfq\n\tpopq %0\n\tcld" : "=r"(flags) : : "cc");
	ck_assert_int_eq(rc, VMOSAL_EFAULT);
	ck_assert_msg((flags & 0x400) == 0, "DF still set after the guard");
	ck_assert(VirtualFree(page, 0, MEM_RELEASE));
#else
	VMOSAL_SKIP("DF is x86's");
#endif
}
END_TEST

/* A thread that never touched a thread-local variable: the guard works
 * there, and the handler allocates nothing (mingw's emulated TLS would,
 * on a thread's first read): a fault outside any guard on a fresh thread
 * goes through it while another thread holds the C heap's lock, and a
 * later handler makes the access work. */
static DWORD WINAPI guard_on_fresh_thread(LPVOID arg)
{
	struct vmosal_siginfo f = {.struct_size = sizeof f};
	int result;

	return win_fault_guard(read_at, arg, &f, &result) == VMOSAL_EFAULT &&
			       f.fault_addr == arg
		       ? 1
		       : 0;
}

static DWORD WINAPI fault_on_fresh_thread(LPVOID arg)
{
	return (DWORD)read_at(arg);
}

static LONG CALLBACK commit_later(EXCEPTION_POINTERS *ep);

START_TEST(test_fault_guard_fresh_thread)
{
	char *area = VirtualAlloc(NULL, 65536, MEM_RESERVE, PAGE_NOACCESS);
	HANDLE heap = (HANDLE)_get_heap_handle();
	PVOID last = AddVectoredExceptionHandler(0, commit_later);
	DWORD code = 0, waited;
	HANDLE t;

	ck_assert_ptr_nonnull(area);
	ck_assert_ptr_nonnull(last);
	t = CreateThread(NULL, 0, guard_on_fresh_thread, area + 8, 0, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
	ck_assert(GetExitCodeThread(t, &code));
	ck_assert_uint_eq(code, 1);
	CloseHandle(t);
	/* Made before the heap is locked: starting a thread may allocate. */
	fix_later = area + 4096;
	t = CreateThread(NULL, 0, fault_on_fresh_thread, area + 4096, CREATE_SUSPENDED, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert(HeapLock(heap));
	ResumeThread(t);
	waited = WaitForSingleObject(t, 10000);
	HeapUnlock(heap);
	ck_assert_uint_eq(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
	CloseHandle(t);
	fix_later = NULL;
	RemoveVectoredExceptionHandler(last);
	ck_assert_msg(waited == WAIT_OBJECT_0,
		      "the exception handler waited for the heap: it allocates");
	ck_assert_int_eq(atomic_load(&later_saw), 1);
	ck_assert(VirtualFree(area, 0, MEM_RELEASE));
}
END_TEST

/* Outside a guard, an installed fault reaches the core, whose handler
 * may make the access work (then it is retried), or pass it on to the
 * handlers after ours (here a last vectored handler that commits it). */
/* Read by the handlers, in the middle of the faulting function. */
static void *volatile fix_in_core;

static LONG CALLBACK commit_later(EXCEPTION_POINTERS *ep)
{
	void *at = (void *)ep->ExceptionRecord->ExceptionInformation[1];

	if (ep->ExceptionRecord->ExceptionCode != EXCEPTION_ACCESS_VIOLATION ||
	    fix_later == NULL || at != fix_later)
		return EXCEPTION_CONTINUE_SEARCH;
	atomic_fetch_add(&later_saw, 1);
	VirtualAlloc(fix_later, 4096, MEM_COMMIT, PAGE_READWRITE);
	return EXCEPTION_CONTINUE_EXECUTION;
}

static void commit_in_core(const struct vmosal_siginfo *info, void *os_context)
{
	record_dispatch(info, os_context);
	if (handled && info->fault_addr == fix_in_core)
		VirtualAlloc(fix_in_core, 4096, MEM_COMMIT, PAGE_READWRITE);
}

static const struct vmosal_core_services fixing_services = {
	.abi_version = VMOSAL_BACKEND_ABI,
	.struct_size = sizeof fixing_services,
	.secure_getenv = no_env,
	.signal_dispatch = commit_in_core,
	.kick_received = record_kick,
};

START_TEST(test_faults_reach_the_core)
{
	char *area = VirtualAlloc(NULL, 65536, MEM_RESERVE, PAGE_NOACCESS);
	PVOID last = AddVectoredExceptionHandler(0, commit_later);

	ck_assert_ptr_nonnull(area);
	ck_assert_ptr_nonnull(last);
	win_core = &fixing_services;
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGSEGV), 0);
	fix_in_core = area;
	ck_assert_int_eq(read_at(area), 0);
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGSEGV]), 1);
	ck_assert_int_eq(atomic_load(&later_saw), 0);
	/* Not handled: chained to the next handler. */
	handled = false;
	fix_later = area + 4096;
	ck_assert_int_eq(read_at(area + 4096), 0);
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGSEGV]), 2);
	ck_assert_int_eq(atomic_load(&later_saw), 1);
	/* Restored: the core no longer sees it. */
	ck_assert_int_eq(win_signal_restore(VMOSAL_SIGSEGV), 0);
	fix_later = area + 8192;
	ck_assert_int_eq(read_at(area + 8192), 0);
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGSEGV]), 2);
	ck_assert_int_eq(atomic_load(&later_saw), 2);
	fix_later = NULL;
	RemoveVectoredExceptionHandler(last);
	ck_assert(VirtualFree(area, 0, MEM_RELEASE));
}
END_TEST

/* ---- kick, events ---- */

struct waiter {
	HANDLE event;
	atomic_bool ready;
	int rc;
	DWORD tid;
};

static DWORD WINAPI wait_for_event(LPVOID arg)
{
	struct waiter *w = arg;

	w->tid = GetCurrentThreadId();
	atomic_store(&w->ready, true);
	w->rc = win_event_wait(w->event, (int64_t)10 * 1000000000);
	return 0;
}

START_TEST(test_kick_ends_an_event_wait)
{
	struct waiter w = {0};
	int os_signal = -1;
	HANDLE t;

	ck_assert_int_eq(win_kick_setup(&os_signal), 0);
	ck_assert_int_eq(os_signal, 0);
	ck_assert_int_eq(win_event_create(0, &w.event), 0);
	t = CreateThread(NULL, 0, wait_for_event, &w, 0, NULL);
	ck_assert_ptr_nonnull(t);
	while (!atomic_load(&w.ready))
		Sleep(1);
	Sleep(20);
	ck_assert_int_eq(win_thread_kick(w.tid), 0);
	ck_assert_uint_eq(WaitForSingleObject(t, 5000), WAIT_OBJECT_0);
	CloseHandle(t);
	ck_assert_int_eq(w.rc, VMOSAL_EINTR);
	ck_assert_int_eq(atomic_load(&kicks), 1);
	ck_assert_int_eq(win_thread_kick(0xfffffff0u), VMOSAL_ESRCH);
	ck_assert_int_eq(win_handle_close(w.event), 0);
}
END_TEST

/* A thread that does not wait alertably for a while (a vCPU in
 * WHvRunVirtualProcessor, WaitOnAddress), then does. */
struct busy_vcpu {
	HANDLE go; /* set: leave the wait that is not alertable */
	atomic_bool ready, waiting;
	DWORD tid;
	int apcs; /* kicks the core saw by the first alertable wait */
	int wait_rc;
	bool alertable_wait;
};

static DWORD WINAPI busy_then_alertable(LPVOID arg)
{
	struct busy_vcpu *v = arg;
	vmosal_handle_t ev;

	v->tid = GetCurrentThreadId();
	atomic_store(&v->ready, true);
	WaitForSingleObject(v->go, INFINITE); /* queued APCs wait */
	if (!v->alertable_wait)
		return 0; /* ends with them queued: Windows drops them */
	SleepEx(0, TRUE); /* runs every APC queued */
	v->apcs = atomic_load(&kicks);
	if (win_event_create(0, &ev) != 0)
		return 1;
	atomic_store(&v->waiting, true);
	v->wait_rc = win_event_wait(ev, (int64_t)10 * 1000000000);
	win_handle_close(ev);
	return 0;
}

static HANDLE start_busy_vcpu(struct busy_vcpu *v, bool alertable_wait)
{
	HANDLE t;

	v->go = CreateEventW(NULL, TRUE, FALSE, NULL);
	v->alertable_wait = alertable_wait;
	ck_assert_ptr_nonnull(v->go);
	t = CreateThread(NULL, 0, busy_then_alertable, v, 0, NULL);
	ck_assert_ptr_nonnull(t);
	while (!atomic_load(&v->ready))
		Sleep(1);
	return t;
}

/* Kicks to a thread that does not wait alertably queue one APC, not one
 * each: its next alertable wait runs one, and a kick after that ends the
 * wait after it. 100000 kicks, or 20 s of them on a slow machine. */
START_TEST(test_kicks_queue_one_apc)
{
	struct busy_vcpu v = {0};
	uint64_t start, now;
	long n;
	HANDLE t;

	t = start_busy_vcpu(&v, true);
	ck_assert_int_eq(win_clock_ns(VMOSAL_CLOCK_MONOTONIC, &start), 0);
	for (n = 0; n < 100000; n++) {
		ck_assert_int_eq(win_thread_kick(v.tid), 0);
		if (n % 1024 == 1023 && win_clock_ns(VMOSAL_CLOCK_MONOTONIC, &now) == 0 &&
		    now - start > (uint64_t)20 * 1000000000)
			break;
	}
	SetEvent(v.go);
	while (!atomic_load(&v.waiting))
		Sleep(1);
	ck_assert_msg(v.apcs == 1, "%d APCs ran for %ld kicks", v.apcs, n);
	ck_assert_int_eq(win_thread_kick(v.tid), 0);
	ck_assert_uint_eq(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
	ck_assert_int_eq(v.wait_rc, VMOSAL_EINTR);
	ck_assert_int_eq(atomic_load(&kicks), 2);
	CloseHandle(t);
	CloseHandle(v.go);
}
END_TEST

/* A thread that ended with our APC queued: the next kick to its id says
 * there is no such thread, as for any other. */
START_TEST(test_kick_to_ended_thread)
{
	struct busy_vcpu v = {0};
	HANDLE t;

	t = start_busy_vcpu(&v, false);
	ck_assert_int_eq(win_thread_kick(v.tid), 0);
	ck_assert_int_eq(win_thread_kick(v.tid), 0);
	SetEvent(v.go);
	ck_assert_uint_eq(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
	CloseHandle(t);
	ck_assert_int_eq(win_thread_kick(v.tid), VMOSAL_ESRCH);
	ck_assert_int_eq(atomic_load(&kicks), 0);
	CloseHandle(v.go);
}
END_TEST

/* An APC still queued when the backend goes (fini) cannot be taken back:
 * when it runs it calls nothing of the core that loaded it, and kicks
 * after that work again. */
START_TEST(test_kick_queued_over_fini)
{
	struct busy_vcpu v = {0};
	HANDLE t;

	t = start_busy_vcpu(&v, true);
	ck_assert_int_eq(win_thread_kick(v.tid), 0);
	win_signal_fini();
	SetEvent(v.go);
	while (!atomic_load(&v.waiting))
		Sleep(1);
	ck_assert_msg(v.apcs == 0, "an APC of before fini reached the core");
	ck_assert_int_eq(win_thread_kick(v.tid), 0);
	ck_assert_uint_eq(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
	ck_assert_int_eq(v.wait_rc, VMOSAL_EINTR);
	ck_assert_int_eq(atomic_load(&kicks), 1);
	CloseHandle(t);
	CloseHandle(v.go);
}
END_TEST

START_TEST(test_event_wait_timeouts)
{
	vmosal_handle_t ev;
	uint64_t t0, t1;

	ck_assert_int_eq(win_event_create(1, &ev), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_event_create(0, &ev), 0);
	ck_assert_int_eq(win_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t0), 0);
	/* 1.5 ms rounds up: never an early timeout. */
	ck_assert_int_eq(win_event_wait(ev, 1500000), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(win_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t1), 0);
	ck_assert_uint_ge(t1 - t0, 1500000);
	ck_assert_int_eq(win_event_notify(ev), 0);
	ck_assert_int_eq(win_event_wait(ev, -1), 0);
	ck_assert_int_eq(win_handle_close(ev), 0);
	ck_assert_int_eq(win_handle_close(ev), VMOSAL_EBADF);
	ck_assert_uint_eq(win_wait_ms(1), 1);
	ck_assert_uint_eq(win_wait_ms(1000000), 1);
	ck_assert_uint_eq(win_wait_ms(1000001), 2);
	ck_assert_uint_eq(win_wait_ms(UINT64_MAX), 0xfffffffeu);
}
END_TEST

START_TEST(test_clocks)
{
	uint64_t a, b;

	ck_assert_int_eq(win_clock_ns(VMOSAL_CLOCK_COUNT, &a), VMOSAL_ENOTSUP);
	for (int c = 0; c < VMOSAL_CLOCK_COUNT; c++) {
		ck_assert_int_eq(win_clock_ns(c, &a), 0);
		ck_assert_int_eq(win_clock_ns(c, &b), 0);
		ck_assert_uint_ge(b, a);
	}
	ck_assert_int_eq(win_clock_ns(VMOSAL_CLOCK_MONOTONIC, &a), 0);
	ck_assert_int_eq(win_sleep_ns(2 * 1000000), 0);
	ck_assert_int_eq(win_clock_ns(VMOSAL_CLOCK_MONOTONIC, &b), 0);
	ck_assert_uint_ge(b - a, 2 * 1000000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("win_signal");
	TCase *console = tcase_create("console");
	TCase *faults = tcase_create("faults");
	TCase *io = tcase_create("io");

	tcase_add_checked_fixture(console, setup, teardown);
	tcase_add_test(console, test_console_events_map);
	tcase_add_test(console, test_console_chain_and_uninstalled);
	tcase_add_test(console, test_signal_handle_queues);
	tcase_add_test(console, test_end_of_session_is_term);
	tcase_add_test(console, test_signal_wait);
	tcase_add_test(console, test_signals_windows_lacks);
	tcase_add_checked_fixture(faults, setup, teardown);
	tcase_add_test(faults, test_fault_guard);
	tcase_add_test(faults, test_fault_guard_resumes_at_a_return);
	tcase_add_test(faults, test_fault_guard_deep_and_often);
	tcase_add_test(faults, test_fault_guard_clears_df);
	tcase_add_test(faults, test_fault_guard_fresh_thread);
	tcase_add_test(faults, test_faults_reach_the_core);
	tcase_add_checked_fixture(io, setup, teardown);
	tcase_add_test(io, test_kick_ends_an_event_wait);
	tcase_add_test(io, test_kicks_queue_one_apc);
	tcase_add_test(io, test_kick_to_ended_thread);
	tcase_add_test(io, test_kick_queued_over_fini);
	tcase_add_test(io, test_event_wait_timeouts);
	tcase_add_test(io, test_clocks);
	/* Under CK_FORK=no no limit is enforced; tests/test-runner.sh has one. */
	tcase_set_timeout(console, 60);
	tcase_set_timeout(faults, 60);
	tcase_set_timeout(io, 60);
	suite_add_tcase(s, console);
	suite_add_tcase(s, faults);
	suite_add_tcase(s, io);
	return vmosal_run_suite(s);
}
