/* The Windows backend's signal, fault-guard, kick, event and handle slots
 * (win_signal.c, win_io.c), called directly with a core-services table
 * of the tests' own (tests/test_services.h) that counts what reaches the
 * core. Console events are handed to the console handler as Windows
 * would: Wine's headless console cannot raise them. The last cases run
 * a child with a console of its own, through the core, as an
 * application does. */
#include "config.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "win.h"
#include "test_services.h"

static bool handled = true; /* what the core's handlers answer */
/* commit_later commits the page at fix_later and counts. */
static void *volatile fix_later;
static atomic_int later_saw;

/* As the core does when no handler took the signal. */
static void chain_unhandled(const struct vmosal_siginfo *info, void *os_context)
{
	if (!handled)
		win_signal_chain(info, os_context);
}

static void setup(void)
{
	test_services_reset();
	test_services_on_dispatch = chain_unhandled;
	win_core = &test_services;
	handled = true;
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
	int before = atomic_load(&test_services_dispatched[sig]);
	HANDLE t = CreateThread(NULL, 0, call_console_handler, &c, 0, NULL);
	bool held;

	ck_assert_ptr_nonnull(t);
	if (h != NULL)
		ck_assert_uint_eq(WaitForSingleObject(h, 10000), WAIT_OBJECT_0);
	for (int i = 0;
	     h == NULL && i < 1000 && atomic_load(&test_services_dispatched[sig]) == before; i++)
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
		int before = atomic_load(&test_services_dispatched[map[i].sig]);
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
		ck_assert_int_eq(atomic_load(&test_services_dispatched[map[i].sig]), before + 1);
		ck_assert_int_eq(atomic_load(&test_services_last_os_signal[map[i].sig]),
				 (int)map[i].ctrl);
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
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGINT]), 1);
	ck_assert(!console_handler_returns(CTRL_CLOSE_EVENT));
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGHUP]), 1);
	ck_assert_int_eq(win_signal_restore(VMOSAL_SIGINT), 0);
	ck_assert_int_eq(win_signal_restore(VMOSAL_SIGHUP), 0);
	ck_assert(!win_console_handler(CTRL_C_EVENT));
	ck_assert(!console_handler_returns(CTRL_CLOSE_EVENT));
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGINT]), 1);
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGHUP]), 1);
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
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGINT]), 0);
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGTERM]), 0);
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
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGINT]), 1);
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
	for (int i = 0; i < 1000 && atomic_load(&test_services_dispatched[VMOSAL_SIGTERM]) == 0;
	     i++)
		Sleep(10);
	held = WaitForSingleObject(t, 200) == WAIT_TIMEOUT;
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGTERM]), 1);
	ck_assert_int_eq(atomic_load(&test_services_last_os_signal[VMOSAL_SIGTERM]),
			 CTRL_LOGOFF_EVENT);
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
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGTERM]), 1);
	handled = false; /* not taken: not held */
	ck_assert_int_eq(SendMessageW(w, WM_ENDSESSION, TRUE, 0), 0);
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGTERM]), 2);
	ck_assert_int_eq(atomic_load(&test_services_last_os_signal[VMOSAL_SIGTERM]),
			 CTRL_SHUTDOWN_EVENT);
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
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGINT]), 0);
}
END_TEST

START_TEST(test_signals_windows_lacks)
{
	int sigs[] = {VMOSAL_SIGUSR1}, console[] = {VMOSAL_SIGINT};

	ck_assert_int_eq(win_signal_install(VMOSAL_SIGUSR1), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGCHLD), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGNAL_COUNT + 5), VMOSAL_ENOTSUP);
	/* 0.3's: no such events on Windows. */
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGQUIT), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGSYS), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGXCPU), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGXFSZ), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_signal_mask(true, sigs, 1), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_signal_mask(true, console, 1), VMOSAL_ENOTSUP);
}
END_TEST

/* What a dispatched console signal carries besides its number. */
static atomic_int syscall_seen = 0x5a5a;

static void record_syscall(const struct vmosal_siginfo *info, void *os_context)
{
	(void)os_context;
	atomic_store(&syscall_seen, info->syscall);
}

/* INT ignored: Ctrl+C and Ctrl+Break are taken and discarded, before the
 * core's handlers; taken back, they reach them again. Only INT can be. */
START_TEST(test_ignore_int)
{
	int before = atomic_load(&test_services_dispatched[VMOSAL_SIGINT]);

	ck_assert_int_eq(win_signal_ignore(VMOSAL_SIGQUIT, true), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_signal_ignore(VMOSAL_SIGTERM, true), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_signal_ignore(VMOSAL_SIGUSR1, true), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_signal_ignore(VMOSAL_SIGSEGV, true), VMOSAL_EINVAL);
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGINT), 0);
	ck_assert_int_eq(win_signal_ignore(VMOSAL_SIGINT, true), 0);
	ck_assert_int_eq(win_signal_ignore(VMOSAL_SIGINT, true), 0);
	ck_assert(console_handler_returns(CTRL_C_EVENT));
	ck_assert(console_handler_returns(CTRL_BREAK_EVENT));
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGINT]), before);
	ck_assert_int_eq(win_signal_ignore(VMOSAL_SIGINT, false), 0);
	test_services_on_dispatch = record_syscall;
	ck_assert(console_handler_returns(CTRL_BREAK_EVENT));
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGINT]), before + 1);
	ck_assert_int_eq(atomic_load(&syscall_seen), -1);
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

/* Faults inside nested guards: the inner guard takes its fault, the outer
 * one sees fn return, and the guard works again afterwards. Not the first
 * 64 KiB, which the guard leaves to fn's own NULL dereference. */
static char *volatile nest_area;

static int fault_in_area(void *arg)
{
	(void)arg;
	return *(volatile int *)(nest_area + 16);
}

static int nested_guard(void *arg)
{
	struct vmosal_siginfo *inner = arg;
	int result = 0;

	return win_fault_guard(fault_in_area, NULL, inner, &result) == VMOSAL_EFAULT ? 5 : 6;
}

START_TEST(test_fault_guard_nests)
{
	struct vmosal_siginfo inner = {.struct_size = sizeof inner};
	struct vmosal_siginfo outer = {.struct_size = sizeof outer};
	int result = 0;

	nest_area = VirtualAlloc(NULL, 65536, MEM_RESERVE, PAGE_NOACCESS);
	ck_assert_ptr_nonnull(nest_area);
	ck_assert_int_eq(win_fault_guard(nested_guard, &inner, &outer, &result), 0);
	ck_assert_int_eq(result, 5);
	ck_assert_ptr_eq(inner.fault_addr, nest_area + 16);
	ck_assert_int_eq(inner.os_signal, (int32_t)EXCEPTION_ACCESS_VIOLATION);
	ck_assert_int_eq(win_fault_guard(fault_in_area, NULL, &outer, &result), VMOSAL_EFAULT);
	ck_assert_ptr_eq(outer.fault_addr, nest_area + 16);
	ck_assert(VirtualFree(nest_area, 0, MEM_RELEASE));
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
	chain_unhandled(info, os_context);
	if (handled && info->fault_addr == fix_in_core)
		VirtualAlloc(fix_in_core, 4096, MEM_COMMIT, PAGE_READWRITE);
}


START_TEST(test_faults_reach_the_core)
{
	char *area = VirtualAlloc(NULL, 65536, MEM_RESERVE, PAGE_NOACCESS);
	PVOID last = AddVectoredExceptionHandler(0, commit_later);

	ck_assert_ptr_nonnull(area);
	ck_assert_ptr_nonnull(last);
	test_services_on_dispatch = commit_in_core;
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGSEGV), 0);
	fix_in_core = area;
	ck_assert_int_eq(read_at(area), 0);
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGSEGV]), 1);
	ck_assert_int_eq(atomic_load(&later_saw), 0);
	/* Not handled: chained to the next handler. */
	handled = false;
	fix_later = area + 4096;
	ck_assert_int_eq(read_at(area + 4096), 0);
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGSEGV]), 2);
	ck_assert_int_eq(atomic_load(&later_saw), 1);
	/* Restored: the core no longer sees it. */
	ck_assert_int_eq(win_signal_restore(VMOSAL_SIGSEGV), 0);
	fix_later = area + 8192;
	ck_assert_int_eq(read_at(area + 8192), 0);
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGSEGV]), 2);
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
	ck_assert_int_eq(atomic_load(&test_services_kicks), 1);
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
	v->apcs = atomic_load(&test_services_kicks);
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
	ck_assert_int_eq(atomic_load(&test_services_kicks), 2);
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
	ck_assert_int_eq(atomic_load(&test_services_kicks), 0);
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
	ck_assert_int_eq(atomic_load(&test_services_kicks), 1);
	CloseHandle(t);
	CloseHandle(v.go);
}
END_TEST

START_TEST(test_event_wait_timeouts)
{
	vmosal_handle_t ev;
	uint64_t t0, t1;

	ck_assert_int_eq(win_event_create(2, &ev), VMOSAL_ENOTSUP);
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

/* ---- handles (win_io.c) ---- */

static bool inheritable(HANDLE h)
{
	DWORD flags = 0;

	ck_assert(GetHandleInformation(h, &flags));
	return (flags & HANDLE_FLAG_INHERIT) != 0;
}

/* A dup is a second handle of the same event: it outlives the original,
 * and is not inherited. */
START_TEST(test_dup_of_an_event_outlives_it)
{
	vmosal_handle_t ev, dup = NULL;

	ck_assert_int_eq(win_event_create(0, &ev), 0);
	ck_assert_int_eq(win_handle_dup(ev, &dup), 0);
	ck_assert_ptr_nonnull(dup);
	ck_assert_ptr_ne(dup, ev);
	ck_assert(!inheritable(dup));
	ck_assert_int_eq(win_event_notify(ev), 0);
	ck_assert_int_eq(win_handle_close(ev), 0);
	ck_assert_int_eq(win_event_wait(dup, 0), 0);
	ck_assert_int_eq(win_event_wait(dup, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(win_event_notify(dup), 0);
	ck_assert_int_eq(win_event_wait(dup, 0), 0);
	ck_assert_int_eq(win_handle_close(dup), 0);
}
END_TEST

/* A dup of a section maps the same pages once the original is closed. */
START_TEST(test_dup_of_a_section_outlives_it)
{
	const size_t size = 65536;
	const unsigned rw = VMOSAL_PROT_READ | VMOSAL_PROT_WRITE;
	vmosal_handle_t h, dup = NULL;
	volatile uint8_t *a = NULL, *b = NULL;

	ck_assert_int_eq(win_shm_create("dup", size, 0, 0, &h), 0);
	ck_assert_int_eq(win_mem_map(NULL, size, rw, VMOSAL_MAP_SHARED, h, 0, (void **)&a), 0);
	ck_assert_int_eq(win_handle_dup(h, &dup), 0);
	ck_assert(!inheritable(dup));
	ck_assert_int_eq(win_handle_close(h), 0);
	ck_assert_int_eq(win_mem_map(NULL, size, rw, VMOSAL_MAP_SHARED, dup, 0, (void **)&b), 0);
	a[4095] = 0xa5;
	ck_assert_uint_eq(b[4095], 0xa5);
	ck_assert_int_eq(win_mem_unmap((void *)a, size), 0);
	ck_assert_int_eq(win_mem_unmap((void *)b, size), 0);
	ck_assert_int_eq(win_handle_close(dup), 0);
}
END_TEST

/* A dup of a signal handle reads the same signals and keeps them queued
 * after the original is closed; closing the dup too dispatches them
 * again. */
START_TEST(test_dup_of_a_signal_handle)
{
	int sigs[] = {VMOSAL_SIGINT};
	struct vmosal_siginfo si = {.struct_size = sizeof si};
	vmosal_handle_t h, dup = NULL;

	ck_assert_int_eq(win_signal_install(VMOSAL_SIGINT), 0);
	ck_assert_int_eq(win_signal_fd_create(sigs, 1, &h), 0);
	ck_assert_int_eq(win_handle_dup(h, &dup), 0);
	ck_assert(win_console_handler(CTRL_C_EVENT));
	ck_assert_uint_eq(WaitForSingleObject(dup, 0), WAIT_OBJECT_0);
	ck_assert_int_eq(win_signal_fd_read(dup, &si), 0);
	ck_assert_uint_eq(si.signal, VMOSAL_SIGINT);
	ck_assert_int_eq(win_signal_fd_read(h, &si), VMOSAL_EAGAIN);
	ck_assert_int_eq(win_handle_close(h), 0);
	ck_assert(win_console_handler(CTRL_C_EVENT));
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGINT]), 0);
	ck_assert_int_eq(win_signal_fd_read(dup, &si), 0);
	ck_assert_int_eq(si.os_signal, CTRL_C_EVENT);
	ck_assert_int_eq(win_signal_fd_read(dup, &si), VMOSAL_EAGAIN);
	ck_assert_int_eq(win_handle_close(dup), 0);
	ck_assert(win_console_handler(CTRL_C_EVENT));
	ck_assert_int_eq(atomic_load(&test_services_dispatched[VMOSAL_SIGINT]), 1);
}
END_TEST

START_TEST(test_set_inheritable)
{
	vmosal_handle_t ev, dup = NULL;

	ck_assert_int_eq(win_event_create(0, &ev), 0);
	ck_assert(!inheritable(ev));
	ck_assert_int_eq(win_handle_set_inheritable(ev, true), 0);
	ck_assert(inheritable(ev));
	/* A dup is never inherited, whatever its original. */
	ck_assert_int_eq(win_handle_dup(ev, &dup), 0);
	ck_assert(!inheritable(dup));
	ck_assert_int_eq(win_handle_set_inheritable(ev, false), 0);
	ck_assert(!inheritable(ev));
	ck_assert_int_eq(win_handle_close(ev), 0);
	ck_assert_int_eq(win_handle_close(dup), 0);
	ck_assert_int_eq(win_handle_dup(ev, &dup), VMOSAL_EBADF);
	ck_assert_int_eq(win_handle_set_inheritable(ev, true), VMOSAL_EBADF);
}
END_TEST

struct core_vcpu {
	vmosal_handle_t event;
	volatile uint8_t immediate_exit;
	atomic_int cancels;
	atomic_bool registered;
	int wait_rc;
	bool pending;
	_Atomic vmosal_tid_t tid;
};

static void core_cancel_run(void *ctx)
{
	struct core_vcpu *v = ctx;

	atomic_fetch_add(&v->cancels, 1);
}

static void *core_vcpu_loop(void *arg)
{
	struct core_vcpu *v = arg;
	struct vmosal_kick_target k = VMOSAL_STRUCT_INIT(struct vmosal_kick_target);
	vmosal_tid_t self = 0;

	k.immediate_exit = &v->immediate_exit;
	k.cancel = core_cancel_run;
	k.cancel_ctx = v;
	vmosal_thread_self(&self);
	vmosal_thread_kick_register(&k);
	atomic_store(&v->tid, self);
	v->wait_rc = vmosal_event_wait(v->event, (int64_t)10 * 1000000000);
	vmosal_thread_kick_pending(true, &v->pending);
	vmosal_thread_kick_unregister();
	return NULL;
}

/* Through the core: a kick ends an event wait with VMOSAL_EINTR, after
 * setting the byte and running the cancel callback (thread.h). */
START_TEST(test_kick_through_the_core)
{
	struct core_vcpu v = {0};
	vmosal_thread_t *t;
	uint64_t start, end;
	int os_signal = -1;

	ck_assert_int_eq(vmosal_event_create(0, &v.event), 0);
	ck_assert_int_eq(vmosal_thread_create(NULL, core_vcpu_loop, &v, &t), 0);
	while (atomic_load(&v.tid) == 0)
		vmosal_sleep_ns(1000000);
	vmosal_sleep_ns(20 * 1000000); /* into the wait */
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &start), 0);
	ck_assert_int_eq(vmosal_thread_kick(atomic_load(&v.tid)), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &end), 0);
	ck_assert_int_eq(v.wait_rc, VMOSAL_EINTR);
	ck_assert(v.pending);
	ck_assert_uint_eq(v.immediate_exit, 1);
	ck_assert_int_eq(atomic_load(&v.cancels), 1);
	ck_assert_uint_lt(end - start, (uint64_t)5 * 1000000000);
	ck_assert_int_eq(vmosal_thread_kick_signal(&os_signal), 0);
	ck_assert_int_eq(os_signal, 0); /* an APC, no signal */
	ck_assert_int_eq(vmosal_handle_close(v.event), 0);
}
END_TEST

/* ---- console events, in a child with a console of its own ----
 * An event raised on the test's own console would reach every process
 * attached to it, the CI job's shell included. The test binary runs itself
 * again (--console-child WHAT) with a console and a process group of its
 * own (CREATE_NEW_CONSOLE, CREATE_NEW_PROCESS_GROUP), raises the event
 * there, where it is the only process, and says in its exit code what it
 * saw. Wine raises CTRL_C_EVENT only, and its consoles have no window to
 * close. */
#define CHILD_CANNOT 77 /* the OS (Wine) cannot raise this event here */
#define CHILD_HELD 42   /* still running after a process-ending event */

static atomic_int child_hits[VMOSAL_SIGNAL_COUNT];
static atomic_int child_os_signal;

static bool child_count(const struct vmosal_siginfo *info, void *ctx)
{
	(void)ctx;
	atomic_store(&child_os_signal, info->os_signal);
	atomic_fetch_add(&child_hits[info->signal], 1);
	return true;
}

static const char *child_reached; /* the parent's event, set on a hit */

static bool child_wait_hit(int sig, int n)
{
	HANDLE ev;

	for (int i = 0; i < 1000 && atomic_load(&child_hits[sig]) < n; i++)
		Sleep(10);
	if (atomic_load(&child_hits[sig]) < n)
		return false;
	if ((ev = OpenEventA(EVENT_MODIFY_STATE, FALSE, child_reached)) != NULL) {
		SetEvent(ev);
		CloseHandle(ev);
	}
	return true;
}

static BOOL CALLBACK child_find_session_window(HWND w, LPARAM arg)
{
	wchar_t cls[32];
	DWORD pid = 0;

	GetWindowThreadProcessId(w, &pid);
	if (pid == GetCurrentProcessId() && GetClassNameW(w, cls, 32) > 0 &&
	    wcscmp(cls, L"vmosal-session") == 0) {
		*(HWND *)arg = w;
		return FALSE;
	}
	return TRUE;
}

static DWORD WINAPI child_end_session(LPVOID arg)
{
	SendMessageW((HWND)arg, WM_ENDSESSION, TRUE, 0);
	return 0;
}

/* INT from Ctrl+C or Ctrl+Break: to the handler, then queued on a signal
 * handle instead. HUP from closing the console, TERM from the end of the
 * session: the child is still there to exit by itself a while after its
 * handler ran (Windows would end it as soon as the console handler
 * returned). */
static int console_child(const char *what, const char *reached)
{
	enum vmosal_signal intr = VMOSAL_SIGINT;
	struct vmosal_siginfo si = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);
	vmosal_signal_handler_t *h;
	vmosal_handle_t fd;
	DWORD ctrl;

	child_reached = reached;
	if (vmosal_init() != 0)
		return 2;
	/* CREATE_NEW_PROCESS_GROUP turned Ctrl+C off in this process. */
	SetConsoleCtrlHandler(NULL, FALSE);
	if (strcmp(what, "ctrl-c") == 0 || strcmp(what, "ctrl-break") == 0) {
		ctrl = what[5] == 'c' ? CTRL_C_EVENT : CTRL_BREAK_EVENT;
		if (vmosal_signal_add_handler(VMOSAL_SIGINT, child_count, NULL, &h) != 0)
			return 3;
		if (!GenerateConsoleCtrlEvent(ctrl, 0))
			return CHILD_CANNOT;
		if (!child_wait_hit(VMOSAL_SIGINT, 1) || atomic_load(&child_os_signal) != (int)ctrl)
			return 4;
		if (vmosal_signal_fd_create(&intr, 1, &fd) != 0 || !GenerateConsoleCtrlEvent(ctrl, 0) ||
		    WaitForSingleObject(fd, 10000) != WAIT_OBJECT_0 ||
		    vmosal_signal_fd_read(fd, &si) != 0)
			return 5;
		if (si.signal != VMOSAL_SIGINT || si.os_signal != (int32_t)ctrl ||
		    vmosal_signal_fd_read(fd, &si) != VMOSAL_EAGAIN)
			return 6;
		if (atomic_load(&child_hits[VMOSAL_SIGINT]) != 1) /* queued, not dispatched */
			return 7;
		return vmosal_handle_close(fd) == 0 && vmosal_signal_remove_handler(h) == 0 ? 0 : 8;
	}
	if (strcmp(what, "close") == 0) {
		HWND console = GetConsoleWindow();

		if (vmosal_signal_add_handler(VMOSAL_SIGHUP, child_count, NULL, &h) != 0)
			return 3;
		if (console == NULL)
			return CHILD_CANNOT;
		/* Closing the console window sends CTRL_CLOSE_EVENT. */
		PostMessageW(console, WM_CLOSE, 0, 0);
		if (!child_wait_hit(VMOSAL_SIGHUP, 1))
			return 4;
		Sleep(500); /* shutting down; well within Windows' 5 s */
		return atomic_load(&child_os_signal) == CTRL_CLOSE_EVENT ? CHILD_HELD : 5;
	}
	if (strcmp(what, "end-session") == 0) {
		HWND w = NULL;
		HANDLE t;

		if (vmosal_signal_add_handler(VMOSAL_SIGTERM, child_count, NULL, &h) != 0)
			return 3;
		EnumWindows(child_find_session_window, (LPARAM)&w);
		if (w == NULL)
			return CHILD_CANNOT;
		/* As Windows sends it at shutdown, from outside the window's
		 * thread; the window's thread stays in the handler. */
		t = CreateThread(NULL, 0, child_end_session, w, 0, NULL);
		if (t == NULL || !child_wait_hit(VMOSAL_SIGTERM, 1))
			return 4;
		Sleep(500);
		if (WaitForSingleObject(t, 0) != WAIT_TIMEOUT)
			return 6; /* returned: the session would have ended the process */
		return atomic_load(&child_os_signal) == CTRL_SHUTDOWN_EVENT ? CHILD_HELD : 5;
	}
	return 9;
}

static bool under_wine(void)
{
	return GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != NULL;
}

/* Runs console_child(what) in a new process with its own console and
 * process group (the window hidden), and returns its exit code; *reached:
 * whether the child's handler ran. */
static DWORD run_console_child(const char *what, bool *reached)
{
	STARTUPINFOA si;
	PROCESS_INFORMATION pi;
	char self[MAX_PATH], cmd[2 * MAX_PATH], name[64];
	DWORD n = GetModuleFileNameA(NULL, self, sizeof self), code = 1000;
	HANDLE ev;

	ck_assert(n > 0 && n < sizeof self);
	snprintf(name, sizeof name, "vmosal-check-win-signal-%lu-%s",
		 (unsigned long)GetCurrentProcessId(), what);
	ev = CreateEventA(NULL, TRUE, FALSE, name);
	ck_assert_ptr_nonnull(ev);
	snprintf(cmd, sizeof cmd, "\"%s\" --console-child %s %s", self, what, name);
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	si.dwFlags = STARTF_USESHOWWINDOW;
	si.wShowWindow = SW_HIDE;
	ck_assert_msg(CreateProcessA(self, cmd, NULL, NULL, FALSE,
				     CREATE_NEW_CONSOLE | CREATE_NEW_PROCESS_GROUP, NULL, NULL, &si,
				     &pi),
		      "CreateProcess: error %lu", (unsigned long)GetLastError());
	CloseHandle(pi.hThread);
	ck_assert_uint_eq(WaitForSingleObject(pi.hProcess, 60000), WAIT_OBJECT_0);
	ck_assert(GetExitCodeProcess(pi.hProcess, &code));
	CloseHandle(pi.hProcess);
	*reached = WaitForSingleObject(ev, 0) == WAIT_OBJECT_0;
	CloseHandle(ev);
	return code;
}

START_TEST(test_console_ctrl_c)
{
	bool reached;
	DWORD code = run_console_child("ctrl-c", &reached);

	if (code == CHILD_CANNOT)
		VMOSAL_SKIP("no console to raise CTRL_C_EVENT in");
	ck_assert_uint_eq(code, 0);
}
END_TEST

START_TEST(test_console_ctrl_break)
{
	bool reached;
	DWORD code = run_console_child("ctrl-break", &reached);

	if (code == CHILD_CANNOT)
		VMOSAL_SKIP("the console cannot raise CTRL_BREAK_EVENT (Wine raises CTRL_C only)");
	ck_assert_uint_eq(code, 0);
}
END_TEST

START_TEST(test_console_close)
{
	bool reached;
	DWORD code = run_console_child("close", &reached);

	if (code == CHILD_CANNOT)
		VMOSAL_SKIP("the console has no window to close");
	if (!reached && under_wine())
		VMOSAL_SKIP("Wine ended the child without CTRL_CLOSE_EVENT (exit code %lu)",
			    (unsigned long)code);
	/* Not 0xC000013A (STATUS_CONTROL_C_EXIT): ended by Windows. */
	ck_assert_msg(reached, "closing the console sent no CTRL_CLOSE_EVENT");
	ck_assert_uint_eq(code, CHILD_HELD);
}
END_TEST

START_TEST(test_end_of_session)
{
	bool reached;
	DWORD code = run_console_child("end-session", &reached);

	if (code == CHILD_CANNOT)
		VMOSAL_SKIP("no window could be made (Wine wants a display driver)");
	ck_assert(reached);
	ck_assert_uint_eq(code, CHILD_HELD);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s;
	TCase *console, *faults, *io, *handles, *child;

	if (argc == 4 && strcmp(argv[1], "--console-child") == 0)
		return console_child(argv[2], argv[3]);
	s = suite_create("win_signal");
	console = tcase_create("console");
	faults = tcase_create("faults");
	io = tcase_create("io");
	handles = tcase_create("handles");
	child = tcase_create("through the core");

	tcase_add_checked_fixture(console, setup, teardown);
	tcase_add_test(console, test_console_events_map);
	tcase_add_test(console, test_console_chain_and_uninstalled);
	tcase_add_test(console, test_signal_handle_queues);
	tcase_add_test(console, test_end_of_session_is_term);
	tcase_add_test(console, test_signal_wait);
	tcase_add_test(console, test_signals_windows_lacks);
	tcase_add_test(console, test_ignore_int);
	tcase_add_checked_fixture(faults, setup, teardown);
	tcase_add_test(faults, test_fault_guard);
	tcase_add_test(faults, test_fault_guard_resumes_at_a_return);
	tcase_add_test(faults, test_fault_guard_deep_and_often);
	tcase_add_test(faults, test_fault_guard_clears_df);
	tcase_add_test(faults, test_fault_guard_fresh_thread);
	tcase_add_test(faults, test_faults_reach_the_core);
	tcase_add_test(faults, test_fault_guard_nests);
	tcase_add_checked_fixture(io, setup, teardown);
	tcase_add_test(io, test_kick_ends_an_event_wait);
	tcase_add_test(io, test_kicks_queue_one_apc);
	tcase_add_test(io, test_kick_to_ended_thread);
	tcase_add_test(io, test_kick_queued_over_fini);
	tcase_add_test(io, test_event_wait_timeouts);
	tcase_add_test(io, test_clocks);
	tcase_add_checked_fixture(handles, setup, teardown);
	tcase_add_test(handles, test_dup_of_an_event_outlives_it);
	tcase_add_test(handles, test_dup_of_a_section_outlives_it);
	tcase_add_test(handles, test_dup_of_a_signal_handle);
	tcase_add_test(handles, test_set_inheritable);
	/* Through the core; the console in a child process of its own. */
	tcase_add_test(child, test_kick_through_the_core);
	tcase_add_test(child, test_console_ctrl_c);
	tcase_add_test(child, test_console_ctrl_break);
	tcase_add_test(child, test_console_close);
	tcase_add_test(child, test_end_of_session);
	/* Under CK_FORK=no no limit is enforced; tests/test-runner.sh has one. */
	tcase_set_timeout(console, 60);
	tcase_set_timeout(faults, 60);
	tcase_set_timeout(io, 60);
	tcase_set_timeout(child, 60);
	suite_add_tcase(s, console);
	suite_add_tcase(s, faults);
	suite_add_tcase(s, io);
	suite_add_tcase(s, handles);
	suite_add_tcase(s, child);
	return vmosal_run_suite(s);
}
