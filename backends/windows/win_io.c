/* Events, clocks, sleeping, device handles and the process id on
 * Windows. */
#include "config.h"

#include "win.h"

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#include <intrin.h>
#define WIN_HAVE_TSC 1
#endif

/* The longest single wait Windows takes below INFINITE. */
#define WIN_WAIT_MAX_MS 0xfffffffeu

static LARGE_INTEGER win_qpc_freq;
static INIT_ONCE win_qpc_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK win_read_qpc_freq(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	(void)once;
	(void)param;
	(void)ctx;
	/* Never fails from Windows XP on. */
	QueryPerformanceFrequency(&win_qpc_freq);
	return TRUE;
}

/* Ticks to nanoseconds without overflowing for centuries of uptime. */
static uint64_t win_ticks_to_ns(uint64_t ticks, uint64_t freq)
{
	return ticks / freq * 1000000000u + ticks % freq * 1000000000u / freq;
}

uint64_t win_monotonic_ns(void)
{
	LARGE_INTEGER now;

	InitOnceExecuteOnce(&win_qpc_once, win_read_qpc_freq, NULL, NULL);
	QueryPerformanceCounter(&now);
	return win_ticks_to_ns((uint64_t)now.QuadPart, (uint64_t)win_qpc_freq.QuadPart);
}

/* ---- high-resolution waitable timers ----
 * Sleep, and waits given milliseconds, end on a tick of the system clock
 * (15.6 ms unless a process raised the timer resolution). A waitable
 * timer made with CREATE_WAITABLE_TIMER_HIGH_RESOLUTION (Windows 10 1803)
 * fires when asked, to about half a millisecond; older Windows refuses the
 * flag (ERROR_INVALID_PARAMETER), and the waits then fall back to whole
 * milliseconds. Wine takes the flag; its timers were never tick-bound. */
#define WIN_TIMER_HIGH_RESOLUTION 0x2u

/* 1: made one; -1: refused, or turned off (tests); 0: not tried yet. */
static volatile LONG win_hires_state;

void win_hires_timers_off(bool off)
{
	InterlockedExchange(&win_hires_state, off ? -1 : 0);
}

bool win_hires_timers(void)
{
	return InterlockedCompareExchange(&win_hires_state, 0, 0) > 0;
}

/* Each thread's (each fiber's) timer, made on its first timed wait and
 * closed when it ends: a timed wait then costs SetWaitableTimer, not a
 * create and a close besides. Setting a timer makes it unsignalled, so a
 * timer that fired after its wait had ended does not end the next one. */
static DWORD win_timer_slot = FLS_OUT_OF_INDEXES;
static INIT_ONCE win_timer_once = INIT_ONCE_STATIC_INIT;
static volatile LONG win_timers_open;

static void WINAPI win_timer_close(void *timer)
{
	if (timer != NULL) {
		CloseHandle(timer);
		InterlockedDecrement(&win_timers_open);
	}
}

long win_wait_timers_open(void)
{
	return InterlockedCompareExchange(&win_timers_open, 0, 0);
}

static BOOL CALLBACK win_timer_slot_make(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	(void)once;
	(void)param;
	(void)ctx;
	win_timer_slot = FlsAlloc(win_timer_close);
	return TRUE;
}

void win_io_fini(void)
{
	/* Closes every thread's timer, and no thread's exit calls into this
	 * DLL once it is gone. */
	if (win_timer_slot != FLS_OUT_OF_INDEXES)
		FlsFree(win_timer_slot);
	win_timer_slot = FLS_OUT_OF_INDEXES;
	InitOnceInitialize(&win_timer_once);
}

/* The calling thread's timer, set to fire ns from now; NULL: none (fall
 * back to milliseconds). The caller waits on it and leaves it open. */
HANDLE win_hires_timer(uint64_t ns)
{
	uint64_t units = ns / 100u + (ns % 100u != 0);
	LARGE_INTEGER due;
	HANDLE t;

	if (InterlockedCompareExchange(&win_hires_state, 0, 0) < 0)
		return NULL;
	InitOnceExecuteOnce(&win_timer_once, win_timer_slot_make, NULL, NULL);
	if (win_timer_slot == FLS_OUT_OF_INDEXES)
		return NULL;
	t = FlsGetValue(win_timer_slot);
	if (t == NULL) {
		t = CreateWaitableTimerExW(NULL, NULL, WIN_TIMER_HIGH_RESOLUTION, TIMER_ALL_ACCESS);
		if (t == NULL) {
			if (GetLastError() == ERROR_INVALID_PARAMETER)
				InterlockedExchange(&win_hires_state, -1);
			return NULL;
		}
		if (!FlsSetValue(win_timer_slot, t)) {
			CloseHandle(t);
			return NULL;
		}
		InterlockedIncrement(&win_timers_open);
	}
	/* Negative: relative, in 100 ns units. */
	due.QuadPart = -(LONGLONG)(units > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : units);
	if (!SetWaitableTimer(t, &due, 0, NULL, NULL, FALSE))
		return NULL;
	InterlockedCompareExchange(&win_hires_state, 1, 0);
	return t;
}

/* ---- THREAD_CPU ----
 * QueryThreadCycleTime counts the cycles a thread ran, exactly, at every
 * context switch and on the running thread; GetThreadTimes only charges
 * whole clock ticks (15.6 ms) to the thread running at the tick. On x86
 * with an invariant TSC the cycles are TSC cycles (what Chromium's
 * ThreadTicks relies on), which the TSC's rate turns into nanoseconds;
 * the rate is measured once against QueryPerformanceCounter. Elsewhere
 * (Windows on Arm, whose count is of core cycles at a varying clock; no
 * invariant TSC; Wine, where QueryThreadCycleTime is a stub) it is
 * GetThreadTimes. Chosen once per process: the clock never changes source,
 * so it never goes back. */
typedef BOOL(WINAPI *win_cycles_fn)(HANDLE, PULONG64);

static struct {
	win_cycles_fn cycles; /* NULL: GetThreadTimes */
	uint64_t hz;
} win_thread_clock;
static INIT_ONCE win_thread_clock_once = INIT_ONCE_STATIC_INIT;

uint64_t win_cycles_to_ns(uint64_t cycles, uint64_t hz)
{
	return cycles / hz * 1000000000u + cycles % hz * 1000000000u / hz;
}

#ifdef WIN_HAVE_TSC
/* A (TSC, QPC) pair read close together: retried when something ran in
 * between. */
static void win_tsc_pair(uint64_t *tsc, uint64_t *qpc)
{
	LARGE_INTEGER a, b;

	for (int i = 0; i < 10; i++) {
		QueryPerformanceCounter(&a);
		*tsc = __rdtsc();
		QueryPerformanceCounter(&b);
		if (b.QuadPart - a.QuadPart <= 2 * win_qpc_freq.QuadPart / 100000) /* 20 us */
			break;
	}
	*qpc = ((uint64_t)a.QuadPart + (uint64_t)b.QuadPart) / 2;
}

/* The TSC's rate in Hz, over 10 ms (to about 1e-5), or 0. */
static uint64_t win_tsc_hz(void)
{
	uint64_t tsc0, qpc0, tsc1, qpc1;
	int regs[4];

	/* CPUID 0x80000007, EDX bit 8: the TSC runs at a constant rate. */
	__cpuid(regs, (int)0x80000000u);
	if ((unsigned)regs[0] < 0x80000007u)
		return 0;
	__cpuid(regs, (int)0x80000007u);
	if (!((unsigned)regs[3] >> 8 & 1u))
		return 0;
	InitOnceExecuteOnce(&win_qpc_once, win_read_qpc_freq, NULL, NULL);
	win_tsc_pair(&tsc0, &qpc0);
	win_sleep_ns(10 * 1000000u);
	win_tsc_pair(&tsc1, &qpc1);
	if (qpc1 <= qpc0 || tsc1 <= tsc0)
		return 0;
	/* Below 2^64 for any rate up to ~10 THz over 10 ms. */
	return (tsc1 - tsc0) * (uint64_t)win_qpc_freq.QuadPart / (qpc1 - qpc0);
}
#endif

static BOOL CALLBACK win_thread_clock_init(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	(void)once;
	(void)param;
	(void)ctx;
#ifdef WIN_HAVE_TSC
	{
		ULONG64 c;

		if (QueryThreadCycleTime(GetCurrentThread(), &c) &&
		    (win_thread_clock.hz = win_tsc_hz()) != 0)
			win_thread_clock.cycles = QueryThreadCycleTime;
	}
#endif
	return TRUE;
}

void win_thread_clock_test(BOOL(WINAPI *cycles)(HANDLE, PULONG64), uint64_t hz)
{
	InitOnceExecuteOnce(&win_thread_clock_once, win_thread_clock_init, NULL, NULL);
	win_thread_clock.cycles = cycles;
	win_thread_clock.hz = hz;
}

static int win_thread_cpu_ns(uint64_t *out)
{
	FILETIME created, exited, kernel, user;
	ULONG64 cycles;

	InitOnceExecuteOnce(&win_thread_clock_once, win_thread_clock_init, NULL, NULL);
	if (win_thread_clock.cycles != NULL) {
		if (!win_thread_clock.cycles(GetCurrentThread(), &cycles))
			return win_last_error();
		*out = win_cycles_to_ns(cycles, win_thread_clock.hz);
		return 0;
	}
	if (!GetThreadTimes(GetCurrentThread(), &created, &exited, &kernel, &user))
		return win_last_error();
	*out = (((ULONGLONG)kernel.dwHighDateTime << 32 | kernel.dwLowDateTime) +
		((ULONGLONG)user.dwHighDateTime << 32 | user.dwLowDateTime)) *
	       100u;
	return 0;
}

typedef VOID(WINAPI *win_precise_time_fn)(FILETIME *ft);
typedef VOID(WINAPI *win_interrupt_time_fn)(ULONGLONG *t);

/* 100 ns units between 1601 and 1970. */
#define WIN_EPOCH_DIFF 116444736000000000ull

int win_clock_ns(int clock, uint64_t *out)
{
	static win_precise_time_fn precise_time;
	static win_interrupt_time_fn interrupt_time;
	FILETIME ft;
	ULONGLONG t;

	switch (clock) {
	case VMOSAL_CLOCK_MONOTONIC:
	case VMOSAL_CLOCK_MONOTONIC_RAW:
		/* The performance counter is never slewed: both clocks. */
		*out = win_monotonic_ns();
		return 0;
	case VMOSAL_CLOCK_REALTIME:
		if (precise_time == NULL)
			precise_time = (win_precise_time_fn)win_kernel_proc(
				"GetSystemTimePreciseAsFileTime");
		if (precise_time != NULL)
			precise_time(&ft);
		else
			GetSystemTimeAsFileTime(&ft);
		t = (ULONGLONG)ft.dwHighDateTime << 32 | ft.dwLowDateTime;
		*out = t < WIN_EPOCH_DIFF ? 0 : (t - WIN_EPOCH_DIFF) * 100u;
		return 0;
	case VMOSAL_CLOCK_THREAD_CPU:
		return win_thread_cpu_ns(out);
	case VMOSAL_CLOCK_BOOTTIME:
		/* Interrupt time counts the time suspended; the precise
		 * variant is Windows 10's, else the tick count (ms). */
		if (interrupt_time == NULL)
			interrupt_time = (win_interrupt_time_fn)win_kernel_proc(
				"QueryInterruptTimePrecise");
		if (interrupt_time != NULL) {
			interrupt_time(&t);
			*out = t * 100u;
		} else {
			*out = GetTickCount64() * 1000000u;
		}
		return 0;
	default:
		return VMOSAL_ENOTSUP;
	}
}

/* Milliseconds for a wait of ns, rounded up so that a timeout never comes
 * early; at most WIN_WAIT_MAX_MS. */
DWORD win_wait_ms(uint64_t ns)
{
	uint64_t ms = ns / 1000000u + (ns % 1000000u != 0);

	return ms > WIN_WAIT_MAX_MS ? WIN_WAIT_MAX_MS : (DWORD)ms;
}

int win_sleep_ns(uint64_t ns)
{
	uint64_t start = win_monotonic_ns(), now;

	/* Not alertable: a kick's APC waits for the sleep to end, as a
	 * signal handler's return resumes nanosleep. A timer may fire a
	 * little before the performance counter says: sleep the rest. */
	while ((now = win_monotonic_ns()) - start < ns) {
		uint64_t left = ns - (now - start);
		HANDLE timer = win_hires_timer(left);

		if (timer != NULL) {
			WaitForSingleObject(timer, INFINITE);
		} else {
			Sleep(win_wait_ms(left));
		}
	}
	return 0;
}

/* ---- events ----
 * An event is a manual-reset event object, not an auto-reset one: a wait
 * on an auto-reset event takes its signal, and a wait set (win_wait.c)
 * must see an event signalled without taking it, so that the event is
 * still signalled, and readable, after the set reported it. Taking the
 * signal is NtResetEvent's, which says whether the event was signalled:
 * one test-and-clear, so of two threads that wait, one takes the signal
 * and the other waits on. A SEMAPHORE event is a semaphore object, whose
 * waits take one count each. ntdll's calls are found at run time (Wine and
 * every Windows have them; the fallbacks keep a handle from elsewhere
 * working without them). */
typedef LONG(NTAPI *win_nt_reset_event_fn)(HANDLE, LONG *);
typedef LONG(NTAPI *win_nt_query_fn)(HANDLE, int, void *, ULONG, ULONG *);
static struct {
	win_nt_reset_event_fn reset_event;
	win_nt_query_fn query_event;
	win_nt_query_fn query_semaphore;
	LONG(NTAPI *test_alert)(void);
} win_nt;
static INIT_ONCE win_nt_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK win_nt_load(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	(void)once;
	(void)param;
	(void)ctx;
	win_nt.reset_event = (win_nt_reset_event_fn)win_system_proc(L"ntdll.dll", "NtResetEvent");
	win_nt.query_event = (win_nt_query_fn)win_system_proc(L"ntdll.dll", "NtQueryEvent");
	win_nt.query_semaphore = (win_nt_query_fn)win_system_proc(L"ntdll.dll", "NtQuerySemaphore");
	win_nt.test_alert = (LONG(NTAPI *)(void))win_system_proc(L"ntdll.dll", "NtTestAlert");
	return TRUE;
}

/* A kick sets the flag, then queues its APC; a wait that ends on the flag
 * alone leaves the APC queued, to end the next alertable wait after the
 * thread cleared the flag, as a second kick. NtTestAlert runs it now
 * (SleepEx(0, TRUE) would also yield the processor). */
int win_kick_seen(void)
{
	InitOnceExecuteOnce(&win_nt_once, win_nt_load, NULL, NULL);
	if (win_nt.test_alert != NULL)
		win_nt.test_alert();
	else
		SleepEx(0, TRUE);
	return VMOSAL_EINTR;
}

int win_sync_kind(HANDLE h)
{
	struct {
		int type; /* EVENT_TYPE: 0 notification (manual), 1 synchronization */
		LONG state;
	} ev;
	struct {
		LONG count, max;
	} sem;

	InitOnceExecuteOnce(&win_nt_once, win_nt_load, NULL, NULL);
	if (win_nt.query_event != NULL &&
	    win_nt.query_event(h, 0 /* EventBasicInformation */, &ev, sizeof ev, NULL) >= 0)
		return ev.type == 0 ? WIN_SYNC_MANUAL_EVENT : WIN_SYNC_AUTO_EVENT;
	if (win_nt.query_semaphore != NULL &&
	    win_nt.query_semaphore(h, 0 /* SemaphoreBasicInformation */, &sem, sizeof sem,
				   NULL) >= 0)
		return WIN_SYNC_SEMAPHORE;
	return WIN_SYNC_OTHER;
}

/* Takes the signal of h, just seen signalled by a wait: 1 when this
 * thread has it (an event reset from signalled, an auto-reset event or a
 * semaphore the wait itself took, any other object), 0 when another thread
 * reset the event first. */
static int win_event_take(HANDLE h)
{
	LONG prev = 0;

	InitOnceExecuteOnce(&win_nt_once, win_nt_load, NULL, NULL);
	if (win_nt.reset_event == NULL) {
		ResetEvent(h);
		return 1;
	}
	if (win_nt.reset_event(h, &prev) < 0 || prev != 0)
		return 1; /* not an event, or this thread reset it */
	return win_sync_kind(h) == WIN_SYNC_AUTO_EVENT;
}

int win_event_create(unsigned flags, vmosal_handle_t *out)
{
	HANDLE ev;

	if ((flags & ~VMOSAL_EVENT_SEMAPHORE) != 0)
		return VMOSAL_ENOTSUP;
	if (flags & VMOSAL_EVENT_SEMAPHORE)
		ev = CreateSemaphoreW(NULL, 0, LONG_MAX, NULL);
	else
		ev = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (ev == NULL)
		return win_last_error();
	*out = ev;
	return 0;
}

/* SetEvent refuses a semaphore (and anything else) with
 * ERROR_INVALID_HANDLE: one call for an event, two for a semaphore. */
int win_event_notify(vmosal_handle_t h)
{
	if (SetEvent(h))
		return 0;
	if (GetLastError() != ERROR_INVALID_HANDLE)
		return win_last_error();
	if (ReleaseSemaphore(h, 1, NULL))
		return 0;
	return GetLastError() == ERROR_TOO_MANY_POSTS ? VMOSAL_EOVERFLOW : win_last_error();
}

int win_event_read(vmosal_handle_t h, uint64_t *count)
{
	LONG prev = 0;

	InitOnceExecuteOnce(&win_nt_once, win_nt_load, NULL, NULL);
	if (win_nt.reset_event != NULL && win_nt.reset_event(h, &prev) >= 0) {
		if (prev == 0)
			return VMOSAL_EAGAIN;
		*count = 1;
		return 0;
	}
	if (win_sync_kind(h) != WIN_SYNC_SEMAPHORE)
		return VMOSAL_EBADF;
	switch (WaitForSingleObject(h, 0)) {
	case WAIT_OBJECT_0:
		*count = 1;
		return 0;
	case WAIT_TIMEOUT:
		return VMOSAL_EAGAIN;
	default:
		return win_last_error();
	}
}

/* Alertable, so that a kick (an APC) ends the wait with VMOSAL_EINTR. The
 * flag is read before the wait; a kick that sets it after that queues its
 * APC after that too, and an APC queued before an alertable wait begins
 * ends it at once: no kick is lost in between. A timeout is a
 * high-resolution timer waited on with the event; without one, whole
 * milliseconds rounded up, ending on a tick of the system clock. */
int win_event_wait_kick(vmosal_handle_t h, int64_t timeout_ns, const uint32_t *kick_pending)
{
	uint64_t start = win_monotonic_ns(), waited;

	if (kick_pending != NULL && __atomic_load_n(kick_pending, __ATOMIC_SEQ_CST) != 0)
		return win_kick_seen();

	for (;;) {
		HANDLE objs[2] = {h, NULL};
		DWORD ms = INFINITE, n = 1, rc;

		if (timeout_ns >= 0) {
			waited = win_monotonic_ns() - start;
			ms = 0;
			if (waited < (uint64_t)timeout_ns) {
				objs[1] = win_hires_timer((uint64_t)timeout_ns - waited);
				if (objs[1] != NULL) {
					n = 2;
					ms = INFINITE;
				} else {
					ms = win_wait_ms((uint64_t)timeout_ns - waited);
				}
			}
		}
		/* The event first: signalled with the timer, it wins. */
		rc = WaitForMultipleObjectsEx(n, objs, FALSE, ms, TRUE);
		switch (rc) {
		case WAIT_OBJECT_0:
			if (win_event_take(h))
				return 0;
			continue; /* another waiter took it */
		case WAIT_IO_COMPLETION:
			return VMOSAL_EINTR;
		case WAIT_OBJECT_0 + 1: /* the timer */
		case WAIT_TIMEOUT:
			/* A timer a little early, or a wait longer than
			 * WIN_WAIT_MAX_MS: go round again. */
			if (ms != 0 && (uint64_t)timeout_ns > win_monotonic_ns() - start)
				continue;
			return VMOSAL_ETIMEDOUT;
		default:
			return win_last_error();
		}
	}
}

int win_event_wait(vmosal_handle_t h, int64_t timeout_ns)
{
	return win_event_wait_kick(h, timeout_ns, NULL);
}

/* ---- handles ---- */

/* Any handle a slot made; a signal handle's record goes with it. */
int win_handle_close(vmosal_handle_t h)
{
	win_signal_handle_forget(h);
	win_rec_forget(h);
	return CloseHandle(h) ? 0 : win_last_error();
}

/* Same access, not inheritable, like every handle a slot makes. A second
 * handle of a signal handle is one too (win_signal.c keeps the record). */
int win_handle_dup(vmosal_handle_t h, vmosal_handle_t *out)
{
	HANDLE self = GetCurrentProcess(), d;
	int rc;

	if (!DuplicateHandle(self, h, self, &d, 0, FALSE, DUPLICATE_SAME_ACCESS))
		return win_last_error();
	if ((rc = win_signal_handle_dup(h, d)) != 0 || (rc = win_rec_dup(h, d)) != 0) {
		win_signal_handle_forget(d);
		CloseHandle(d);
		return rc;
	}
	*out = d;
	return 0;
}

int win_handle_set_inheritable(vmosal_handle_t h, bool inherit)
{
	if (!SetHandleInformation(h, HANDLE_FLAG_INHERIT, inherit ? HANDLE_FLAG_INHERIT : 0))
		return win_last_error();
	return 0;
}

/* Handles CreateFileW makes are not inherited by child processes unless
 * asked: the close-on-exec of POSIX. */
int win_device_open(const char *path, unsigned flags, vmosal_handle_t *out)
{
	wchar_t wide[MAX_PATH * 4];
	DWORD access = 0;
	HANDLE h;

	if ((flags & ~(unsigned)(VMOSAL_DEVICE_READ | VMOSAL_DEVICE_WRITE)) != 0)
		return VMOSAL_ENOTSUP;
	if (flags & VMOSAL_DEVICE_READ)
		access |= GENERIC_READ;
	if (flags & VMOSAL_DEVICE_WRITE)
		access |= GENERIC_WRITE;
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, wide,
				(int)(sizeof wide / sizeof wide[0])) == 0)
		return GetLastError() == ERROR_INSUFFICIENT_BUFFER ? VMOSAL_ERANGE : VMOSAL_EINVAL;
	h = CreateFileW(wide, access, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
			FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return win_last_error();
	*out = h;
	return 0;
}

/* DeviceIoControl takes the sizes of its input and output buffers, which
 * ioctl()'s (request, arg) does not carry; Windows hypervisor interfaces
 * (WHv*) are function calls, not device requests. */
int win_device_ioctl(vmosal_handle_t h, unsigned long request, void *arg, unsigned flags,
		     int *result)
{
	(void)h;
	(void)request;
	(void)arg;
	(void)flags;
	(void)result;
	return VMOSAL_ENOTSUP;
}

int win_process_id(uint64_t *out)
{
	*out = GetCurrentProcessId();
	return 0;
}
