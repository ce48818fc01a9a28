/* The public API on Windows, through the core and the loaded
 * vmosal_windows.dll: what a VMM on Windows calls. Run under Wine by
 * 'make check' in a cross build; each test says where Wine answers
 * differently from Windows. */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "vmosal/backend.h"

#define WIN_GRANULARITY ((size_t)64 * 1024)

static bool process_elevated(void)
{
	TOKEN_ELEVATION e = {0};
	HANDLE token;
	DWORD got;
	bool elevated = false;

	if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
		elevated = GetTokenInformation(token, TokenElevation, &e, sizeof e, &got) &&
			   e.TokenIsElevated;
		CloseHandle(token);
	}
	return elevated;
}

START_TEST(test_loads_windows_backend)
{
	struct vmosal_backend_info info = VMOSAL_STRUCT_INIT(struct vmosal_backend_info);

	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_str_eq(vmosal_backend_name(), "windows");
	ck_assert_str_eq(vmosal_host_os(), "windows");
	ck_assert_int_eq(vmosal_backend_info(&info), 0);
	/* Found beside the library as an install lays it out: Wine runs
	 * elevated, so VMOSAL_BACKEND_PATH played no part. */
	ck_assert_msg(strstr(info.path, "lib\\libvmosal\\backends\\vmosal_windows.dll") != NULL,
		      "loaded from %s", info.path);
	ck_assert_uint_eq(info.abi_version, VMOSAL_BACKEND_ABI);
}
END_TEST

/* Elevated (Wine always is): the environment cannot pick a plugin by path,
 * and the notice says why. */
START_TEST(test_elevated_ignores_backend_path)
{
	char why[4096];

	if (!process_elevated())
		VMOSAL_SKIP("the process is not elevated: the rule does not apply");
	_putenv_s("VMOSAL_BACKEND_PATH", "C:\\nowhere;D:\\neither");
	_putenv_s("VMOSAL_BACKEND", "C:\\nowhere\\evil.dll");
	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_str_eq(vmosal_backend_name(), "windows");
	vmosal_backend_error(why, sizeof why);
	ck_assert_msg(strstr(why, "elevated") != NULL, "notice: %s", why);
	_putenv_s("VMOSAL_BACKEND_PATH", "");
	_putenv_s("VMOSAL_BACKEND", "");
}
END_TEST

/* An explicit path is the caller's own choice, honoured even elevated:
 * a missing one is refused with the loader's reason, and nothing else is
 * loaded in its place. */
START_TEST(test_explicit_path_and_refusal)
{
	struct vmosal_backend_info info = VMOSAL_STRUCT_INIT(struct vmosal_backend_info);
	char why[4096];

	ck_assert_int_eq(vmosal_init_backend("C:\\nowhere\\vmosal_windows.dll"),
			 VMOSAL_EBACKEND);
	vmosal_backend_error(why, sizeof why);
	ck_assert_msg(strstr(why, "LoadLibraryExW: error 126") != NULL, "refusal: %s", why);
	ck_assert_int_eq(vmosal_init_backend("windows"), 0);
	ck_assert_int_eq(vmosal_backend_info(&info), 0);
	ck_assert_str_eq(info.name, "windows");
}
END_TEST

START_TEST(test_host_facts)
{
	struct vmosal_host_caps caps = VMOSAL_STRUCT_INIT(struct vmosal_host_caps);
	struct vmosal_host_memory mem = VMOSAL_STRUCT_INIT(struct vmosal_host_memory);
	size_t online = 0, possible = 0;

	ck_assert_uint_eq(vmosal_page_size(), 4096);
	ck_assert_int_eq(vmosal_host_caps(&caps), 0);
	ck_assert_uint_eq(caps.map_granularity, WIN_GRANULARITY);
	ck_assert_uint_eq(caps.affinity, VMOSAL_AFFINITY_HARD);
	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_ONLINE, &online), 0);
	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_POSSIBLE, &possible), 0);
	ck_assert_uint_eq(online, GetActiveProcessorCount(ALL_PROCESSOR_GROUPS));
	ck_assert_uint_ge(possible, online);
	ck_assert_int_eq(vmosal_host_memory(&mem), 0);
	ck_assert_uint_gt(mem.total_bytes, 0);
	ck_assert_uint_le(mem.available_bytes, mem.total_bytes);
	ck_assert_ptr_nonnull(strchr(vmosal_os_release(), '.'));
}
END_TEST

/* KVM and HVF answer that they belong to other systems; WHPX is probed
 * through WinHvPlatform.dll, which Wine does not have. */
START_TEST(test_accelerators)
{
	struct vmosal_accel_status st = VMOSAL_STRUCT_INIT(struct vmosal_accel_status);
	HMODULE whv;

	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_KVM, &st), 0);
	ck_assert(!st.available);
	ck_assert_msg(strstr(st.reason, "only on Linux") != NULL, "%s", st.reason);
	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_HVF, &st), 0);
	ck_assert(!st.available);
	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_WHPX, &st), 0);
	whv = LoadLibraryExW(L"WinHvPlatform.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	if (whv == NULL) {
		ck_assert(!st.available);
		ck_assert_msg(strstr(st.reason, "WinHvPlatform.dll") != NULL, "%s", st.reason);
		ck_assert_uint_eq(st.checks, 0);
	} else {
		FreeLibrary(whv);
		ck_assert(st.checks & VMOSAL_ACCEL_CHECK_OPENED);
	}
}
END_TEST

struct named {
	char name[64];
	vmosal_tid_t tid;
	size_t cpu;
};

static void *report_self(void *arg)
{
	struct named *n = arg;

	vmosal_thread_self(&n->tid);
	vmosal_thread_get_name(VMOSAL_TID_SELF, n->name, sizeof n->name);
	vmosal_thread_current_cpu(&n->cpu);
	return (void *)(uintptr_t)0xfeed;
}

/* Everything opts asks for is in place before fn runs. */
START_TEST(test_thread_create_applies_options)
{
	struct vmosal_thread_opts opts = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	struct named seen = {0};
	size_t cpu = 0;
	vmosal_thread_t *t;
	vmosal_tid_t tid = 0;
	void *result = NULL;

	opts.name = "vcpu-0 \xc3\xa9";
	opts.cpus = &cpu;
	opts.ncpus = 1;
	ck_assert_int_eq(vmosal_thread_create(&opts, report_self, &seen, &t), 0);
	ck_assert_int_eq(vmosal_thread_tid(t, &tid), 0);
	ck_assert_int_eq(vmosal_thread_join(t, &result), 0);
	ck_assert_ptr_eq(result, (void *)(uintptr_t)0xfeed);
	ck_assert_uint_eq(seen.tid, tid);
	ck_assert_str_eq(seen.name, "vcpu-0 \xc3\xa9");
	ck_assert_uint_eq(seen.cpu, 0);
}
END_TEST

START_TEST(test_thread_ids_and_priority)
{
	enum vmosal_priority prio;
	vmosal_tid_t self = vmosal_test_self();

	ck_assert_uint_eq(self, GetCurrentThreadId());
	/* Wine stores the priority without applying it: what is read back
	 * is what Windows reports. */
	ck_assert_int_eq(vmosal_thread_set_priority(self, VMOSAL_PRIORITY_LOW), 0);
	ck_assert_int_eq(GetThreadPriority(GetCurrentThread()), THREAD_PRIORITY_BELOW_NORMAL);
	ck_assert_int_eq(vmosal_thread_get_priority(self, &prio), 0);
	ck_assert_int_eq(prio, VMOSAL_PRIORITY_LOW);
	ck_assert_int_eq(vmosal_thread_set_priority(self, VMOSAL_PRIORITY_NORMAL), 0);
	ck_assert_int_eq(vmosal_thread_set_priority(self, (enum vmosal_priority)99),
			 VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_thread_set_name(424242, "x"), VMOSAL_ESRCH);
}
END_TEST

START_TEST(test_affinity_round_trip)
{
	size_t online = 0, cpus[64], n = 0, last;

	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_ONLINE, &online), 0);
	last = online - 1;
	ck_assert_int_eq(vmosal_thread_set_affinity(VMOSAL_TID_SELF, &last, 1), 0);
	ck_assert_int_eq(vmosal_thread_get_affinity(VMOSAL_TID_SELF, cpus, 64, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(cpus[0], last);
	Sleep(1); /* the next quantum runs where the mask says */
	ck_assert_uint_eq(GetCurrentProcessorNumber(), last);
}
END_TEST

/* ---- memory ---- */

START_TEST(test_map_protect_unmap)
{
	const size_t size = 2 * WIN_GRANULARITY;
	uint8_t *p = NULL;

	ck_assert_int_eq(vmosal_mmap(NULL, size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS, VMOSAL_NO_HANDLE, 0,
				     (void **)&p),
			 0);
	ck_assert_uint_eq((uintptr_t)p % WIN_GRANULARITY, 0);
	p[0] = 1;
	p[size - 1] = 2;
	ck_assert_int_eq(vmosal_mprotect(p, size, VMOSAL_PROT_READ), 0);
	/* A range Windows never gave us is refused, not guessed at. */
	ck_assert_int_eq(vmosal_munmap(p + size, WIN_GRANULARITY), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_munmap(p, size), 0);
}
END_TEST

static int touch(void *arg)
{
	*(volatile uint8_t *)arg = 7;
	return 0;
}

/* A reservation is aligned, faults until mapped, and maps a section
 * into its middle. */
START_TEST(test_reserve_and_map_reserved)
{
	const size_t two_mib = (size_t)2 << 20, size = 4 * two_mib;
	struct vmosal_siginfo f = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);
	uint8_t *base = NULL;

	ck_assert_int_eq(vmosal_mem_reserve(size, two_mib, (void **)&base), 0);
	ck_assert_uint_eq((uintptr_t)base % two_mib, 0);
	ck_assert_int_eq(vmosal_fault_guard(touch, base + two_mib, &f), VMOSAL_EFAULT);
	ck_assert_ptr_eq(f.fault_addr, base + two_mib);
	ck_assert_uint_eq(f.signal, VMOSAL_SIGSEGV);
	ck_assert_int_eq(vmosal_mem_map_reserved(base + two_mib, two_mib,
						 VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
						 VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS,
						 VMOSAL_NO_HANDLE, 0),
			 0);
	ck_assert_int_eq(vmosal_fault_guard(touch, base + two_mib, NULL), 0);
	ck_assert_uint_eq(base[two_mib], 7);
	ck_assert_int_eq(vmosal_mem_release(base, size), 0);
}
END_TEST

/* Shared memory: one section, two views, one set of pages. */
START_TEST(test_shm_two_views)
{
	const size_t size = WIN_GRANULARITY;
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	uint8_t *a = NULL, *b = NULL;

	ck_assert_int_eq(vmosal_shm_create("vmosal-check", size, 0, 0, &h), 0);
	ck_assert(VMOSAL_HANDLE_VALID(h));
	ck_assert_int_eq(vmosal_mmap(NULL, size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_SHARED, h, 0, (void **)&a),
			 0);
	ck_assert_int_eq(vmosal_mmap(NULL, size, VMOSAL_PROT_READ, VMOSAL_MAP_SHARED, h, 0,
				     (void **)&b),
			 0);
	ck_assert_ptr_ne(a, b);
	a[100] = 0x5a;
	ck_assert_uint_eq(b[100], 0x5a);
	ck_assert_int_eq(vmosal_munmap(a, size), 0);
	ck_assert_int_eq(vmosal_munmap(b, size), 0);
	ck_assert_int_eq(vmosal_handle_close(h), 0);
}
END_TEST

/* Code written through one view runs through the other. */
START_TEST(test_jit_double_map)
{
	/* mov eax, 42; ret */
	static const uint8_t code[] = {0xb8, 42, 0, 0, 0, 0xc3};
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit);
	int (*fn)(void);

#if !defined(__x86_64__)
	VMOSAL_SKIP("the code bytes are x86-64");
#endif
	ck_assert_int_eq(vmosal_jit_create(4096, &jit), 0);
	ck_assert_ptr_ne(jit.rw, jit.rx);
	ck_assert_int_eq(vmosal_jit_write_begin(&jit), 0);
	memcpy(jit.rw, code, sizeof code);
	ck_assert_int_eq(vmosal_jit_write_end(&jit), 0);
	ck_assert_int_eq(vmosal_jit_flush(&jit, 0, sizeof code), 0);
	memcpy(&fn, &jit.rx, sizeof fn);
	ck_assert_int_eq(fn(), 42);
	ck_assert_int_eq(vmosal_jit_destroy(&jit), 0);
}
END_TEST

/* ---- fault guard, kick, events, clocks ---- */

/* Reserved, never committed: any access faults. Not the first 64 KiB,
 * which the guard leaves to the process as fn's own NULL dereference. */
static volatile char *no_access;

static int fault_in_reservation(void *arg)
{
	(void)arg;
	return *(volatile int *)(no_access + 16);
}

static int nested_guard(void *arg)
{
	struct vmosal_siginfo *inner = arg;

	/* The inner guard takes the fault; the outer one sees a return. */
	return vmosal_fault_guard(fault_in_reservation, NULL, inner) == VMOSAL_EFAULT ? 5 : 6;
}

START_TEST(test_fault_guard_nests)
{
	struct vmosal_siginfo inner = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);

	no_access = VirtualAlloc(NULL, 65536, MEM_RESERVE, PAGE_NOACCESS);
	ck_assert_ptr_nonnull((void *)no_access);
	ck_assert_int_eq(vmosal_fault_guard(nested_guard, &inner, NULL), 5);
	ck_assert_ptr_eq(inner.fault_addr, (void *)(no_access + 16));
	ck_assert_int_eq(inner.os_signal, (int32_t)EXCEPTION_ACCESS_VIOLATION);
	/* And the guard is reusable afterwards on the same thread. */
	ck_assert_int_eq(vmosal_fault_guard(fault_in_reservation, NULL, NULL), VMOSAL_EFAULT);
	ck_assert(VirtualFree((void *)no_access, 0, MEM_RELEASE));
}
END_TEST

struct vcpu {
	vmosal_handle_t event;
	volatile uint8_t immediate_exit;
	atomic_int cancels;
	atomic_bool registered;
	int wait_rc;
	bool pending;
	vmosal_tid_t tid;
};

static void cancel_run(void *ctx)
{
	struct vcpu *v = ctx;

	atomic_fetch_add(&v->cancels, 1);
}

static void *vcpu_loop(void *arg)
{
	struct vcpu *v = arg;
	struct vmosal_kick_target k = VMOSAL_STRUCT_INIT(struct vmosal_kick_target);

	k.immediate_exit = &v->immediate_exit;
	k.cancel = cancel_run;
	k.cancel_ctx = v;
	vmosal_thread_self(&v->tid);
	vmosal_thread_kick_register(&k);
	atomic_store(&v->registered, true);
	v->wait_rc = vmosal_event_wait(v->event, (int64_t)10 * 1000000000);
	vmosal_thread_kick_pending(true, &v->pending);
	vmosal_thread_kick_unregister();
	return NULL;
}

/* The kick (an APC) ends an alertable wait, after setting the byte and
 * running the cancel callback from the kicking thread. */
START_TEST(test_kick_interrupts_wait)
{
	struct vcpu v = {0};
	vmosal_thread_t *t;
	uint64_t start, end;
	int os_signal = -1;

	ck_assert_int_eq(vmosal_event_create(0, &v.event), 0);
	ck_assert_int_eq(vmosal_thread_create(NULL, vcpu_loop, &v, &t), 0);
	while (!atomic_load(&v.registered))
		Sleep(1);
	Sleep(20); /* into the wait */
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &start), 0);
	ck_assert_int_eq(vmosal_thread_kick(v.tid), 0);
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

START_TEST(test_event_and_clocks)
{
	vmosal_handle_t ev;
	uint64_t t0, t1, wall, cpu;

	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), 0);
	/* One wait took both. */
	ck_assert_int_eq(vmosal_event_wait(ev, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t0), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, 30 * 1000000), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t1), 0);
	ck_assert_uint_ge(t1 - t0, 30 * 1000000);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_sleep_ns(5 * 1000000), 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t0), 0);
	ck_assert_uint_ge(t0 - t1, 5 * 1000000);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_REALTIME, &wall), 0);
	ck_assert_uint_gt(wall / 1000000000u, 1700000000u); /* after 2023 */
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_THREAD_CPU, &cpu), 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_BOOTTIME, &t1), 0);
	ck_assert_uint_gt(t1, 0);
}
END_TEST

/* ---- signals ---- */

static atomic_int console_hits;

static bool count_interrupt(const struct vmosal_siginfo *info, void *ctx)
{
	(void)ctx;
	if (info->signal == VMOSAL_SIGINT)
		atomic_fetch_add(&console_hits, 1);
	return true;
}

START_TEST(test_signals_windows_has)
{
	enum vmosal_signal usr1 = VMOSAL_SIGUSR1, intr = VMOSAL_SIGINT;
	struct vmosal_siginfo si = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);
	vmosal_signal_handler_t *h;
	vmosal_handle_t fd;

	ck_assert_int_eq(vmosal_signal_add_handler(VMOSAL_SIGUSR1, count_interrupt, NULL, &h),
			 VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_signal_block(&intr, 1), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_signal_wait(&usr1, 1, 0, &si), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_signal_wait(&intr, 1, 10 * 1000000, &si), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_signal_fd_create(&intr, 1, &fd), 0);
	ck_assert_int_eq(vmosal_signal_fd_read(fd, &si), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_handle_close(fd), 0);
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
	snprintf(name, sizeof name, "vmosal-check-windows-%lu-%s",
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

START_TEST(test_devices)
{
	vmosal_handle_t h;
	uint64_t pid = 0;
	int result = 0;

	ck_assert_int_eq(vmosal_device_open("NUL", VMOSAL_DEVICE_READ | VMOSAL_DEVICE_WRITE, &h),
			 0);
	ck_assert_int_eq(vmosal_ioctl(h, 1, NULL, 0, &result), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_handle_close(h), 0);
	ck_assert_int_eq(vmosal_device_open("C:\\no\\such\\device", VMOSAL_DEVICE_READ, &h),
			 VMOSAL_ENOENT);
	ck_assert_int_eq(vmosal_process_id(&pid), 0);
	ck_assert_uint_eq(pid, GetCurrentProcessId());
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s;
	TCase *load, *host, *threads, *memory, *signals;

	if (argc == 4 && strcmp(argv[1], "--console-child") == 0)
		return console_child(argv[2], argv[3]);
	s = suite_create("windows");
	load = tcase_create("load");
	host = tcase_create("host");
	threads = tcase_create("threads");
	memory = tcase_create("memory");
	signals = tcase_create("signals");

	/* First: a refused explicit choice is only seen before any load (one
	 * process runs every case here). */
	tcase_add_test(load, test_explicit_path_and_refusal);
	tcase_add_test(load, test_loads_windows_backend);
	tcase_add_test(load, test_elevated_ignores_backend_path);
	tcase_add_test(host, test_host_facts);
	tcase_add_test(host, test_accelerators);
	tcase_add_test(threads, test_thread_create_applies_options);
	tcase_add_test(threads, test_thread_ids_and_priority);
	tcase_add_test(threads, test_affinity_round_trip);
	tcase_add_test(memory, test_map_protect_unmap);
	tcase_add_test(memory, test_reserve_and_map_reserved);
	tcase_add_test(memory, test_shm_two_views);
	tcase_add_test(memory, test_jit_double_map);
	tcase_add_test(signals, test_fault_guard_nests);
	tcase_add_test(signals, test_kick_interrupts_wait);
	tcase_add_test(signals, test_event_and_clocks);
	tcase_add_test(signals, test_signals_windows_has);
	tcase_add_test(signals, test_console_ctrl_c);
	tcase_add_test(signals, test_console_ctrl_break);
	tcase_add_test(signals, test_console_close);
	tcase_add_test(signals, test_end_of_session);
	tcase_add_test(signals, test_devices);
	tcase_set_timeout(signals, 60);
	suite_add_tcase(s, load);
	suite_add_tcase(s, host);
	suite_add_tcase(s, threads);
	suite_add_tcase(s, memory);
	suite_add_tcase(s, signals);
	return vmosal_run_suite(s);
}
