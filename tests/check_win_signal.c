/* The Windows backend's signal, fault-guard, kick and event slots
 * (win_signal.c, win_io.c), called directly with a core-services table
 * of the test's own that records what reaches the core. Console events
 * are handed to the console handler as Windows would: Wine's headless
 * console cannot raise them. */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"
#include "win.h"

static atomic_int dispatched[VMOSAL_SIGNAL_COUNT];
static atomic_int kicks;
static bool handled = true; /* what the core's handlers answer */

static void record_dispatch(const struct vmosal_backend_siginfo *info, void *os_context)
{
	if (info->signal < VMOSAL_SIGNAL_COUNT)
		atomic_fetch_add(&dispatched[info->signal], 1);
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
}

static void teardown(void)
{
	win_signal_restore(VMOSAL_SIGINT);
	win_signal_restore(VMOSAL_SIGTERM);
	win_signal_restore(VMOSAL_SIGHUP);
}

/* Each console event is the signal a POSIX VMM expects of it. */
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

	ck_assert_int_eq(win_signal_install(VMOSAL_SIGINT), 0);
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGTERM), 0);
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGHUP), 0);
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		int before = atomic_load(&dispatched[map[i].sig]);

		ck_assert(win_console_handler(map[i].ctrl));
		ck_assert_int_eq(atomic_load(&dispatched[map[i].sig]), before + 1);
	}
}
END_TEST

/* Nobody took it: the next console handler (the default one ends the
 * process) gets it. Not installed: it never reaches the core. */
START_TEST(test_console_chain_and_uninstalled)
{
	ck_assert_int_eq(win_signal_install(VMOSAL_SIGINT), 0);
	handled = false;
	ck_assert(!win_console_handler(CTRL_C_EVENT));
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGINT]), 1);
	ck_assert_int_eq(win_signal_restore(VMOSAL_SIGINT), 0);
	ck_assert(!win_console_handler(CTRL_C_EVENT));
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGINT]), 1);
}
END_TEST

/* With a signal handle open for it, a console event is queued there, not
 * dispatched: the handle turns readable, one read takes one event. */
START_TEST(test_signal_handle_queues)
{
	int sigs[] = {VMOSAL_SIGINT, VMOSAL_SIGTERM};
	struct vmosal_backend_siginfo si = {.struct_size = sizeof si};
	vmosal_handle_t h;

	ck_assert_int_eq(win_signal_install(VMOSAL_SIGINT), 0);
	ck_assert_int_eq(win_signal_fd_open(sigs, 2, &h), 0);
	ck_assert_uint_eq(WaitForSingleObject(h, 0), WAIT_TIMEOUT);
	ck_assert(win_console_handler(CTRL_C_EVENT));
	ck_assert(win_console_handler(CTRL_SHUTDOWN_EVENT));
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGINT]), 0);
	ck_assert_uint_eq(WaitForSingleObject(h, 0), WAIT_OBJECT_0);
	ck_assert_int_eq(win_signal_fd_read(h, &si), 0);
	ck_assert_uint_eq(si.signal, VMOSAL_SIGINT);
	ck_assert_int_eq(si.os_signal, CTRL_C_EVENT);
	ck_assert_uint_eq(WaitForSingleObject(h, 0), WAIT_OBJECT_0);
	ck_assert_int_eq(win_signal_fd_read(h, &si), 0);
	ck_assert_uint_eq(si.signal, VMOSAL_SIGTERM);
	ck_assert_int_eq(win_signal_fd_read(h, &si), VMOSAL_EAGAIN);
	ck_assert_uint_eq(WaitForSingleObject(h, 0), WAIT_TIMEOUT);
	ck_assert_int_eq(win_handle_close(h), 0);
	/* Closed: dispatched again. */
	ck_assert(win_console_handler(CTRL_C_EVENT));
	ck_assert_int_eq(atomic_load(&dispatched[VMOSAL_SIGINT]), 1);
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
	struct vmosal_backend_siginfo si = {.struct_size = sizeof si};
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
	struct vmosal_backend_siginfo f = {.struct_size = sizeof f};
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

/* Outside a guard, an installed fault reaches the core, whose handler
 * may make the access work (then it is retried), or pass it on to the
 * handlers after ours (here a last vectored handler that commits it). */
/* Read by the handlers, in the middle of the faulting function. */
static void *volatile fix_in_core, *volatile fix_later;
static atomic_int later_saw;

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

static void commit_in_core(const struct vmosal_backend_siginfo *info, void *os_context)
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
	ck_assert_int_eq(win_event_signal(ev), 0);
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
	tcase_add_test(console, test_signal_wait);
	tcase_add_test(console, test_signals_windows_lacks);
	tcase_add_checked_fixture(faults, setup, teardown);
	tcase_add_test(faults, test_fault_guard);
	tcase_add_test(faults, test_faults_reach_the_core);
	tcase_add_checked_fixture(io, setup, teardown);
	tcase_add_test(io, test_kick_ends_an_event_wait);
	tcase_add_test(io, test_event_wait_timeouts);
	tcase_add_test(io, test_clocks);
	suite_add_tcase(s, console);
	suite_add_tcase(s, faults);
	suite_add_tcase(s, io);
	return vmosal_run_suite(s);
}
