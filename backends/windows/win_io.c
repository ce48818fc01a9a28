/* Events, clocks, sleeping, device handles and the process id on
 * Windows. */
#include "config.h"

#include "win.h"

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

static uint64_t win_monotonic_ns(void)
{
	LARGE_INTEGER now;

	InitOnceExecuteOnce(&win_qpc_once, win_read_qpc_freq, NULL, NULL);
	QueryPerformanceCounter(&now);
	return win_ticks_to_ns((uint64_t)now.QuadPart, (uint64_t)win_qpc_freq.QuadPart);
}

typedef VOID(WINAPI *win_precise_time_fn)(FILETIME *ft);
typedef VOID(WINAPI *win_interrupt_time_fn)(ULONGLONG *t);

/* 100 ns units between 1601 and 1970. */
#define WIN_EPOCH_DIFF 116444736000000000ull

int win_clock_ns(int clock, uint64_t *out)
{
	static win_precise_time_fn precise_time;
	static win_interrupt_time_fn interrupt_time;
	FILETIME ft, created, exited, kernel, user;
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
		if (!GetThreadTimes(GetCurrentThread(), &created, &exited, &kernel, &user))
			return win_last_error();
		t = ((ULONGLONG)kernel.dwHighDateTime << 32 | kernel.dwLowDateTime) +
		    ((ULONGLONG)user.dwHighDateTime << 32 | user.dwLowDateTime);
		*out = t * 100u;
		return 0;
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
	 * signal handler's return resumes nanosleep. */
	while ((now = win_monotonic_ns()) - start < ns)
		Sleep(win_wait_ms(ns - (now - start)));
	return 0;
}

int win_event_create(unsigned flags, vmosal_handle_t *out)
{
	HANDLE ev;

	if (flags != 0)
		return VMOSAL_ENOTSUP;
	/* Auto-reset: one wait takes however many signals came. */
	ev = CreateEventW(NULL, FALSE, FALSE, NULL);
	if (ev == NULL)
		return win_last_error();
	*out = ev;
	return 0;
}

int win_event_signal(vmosal_handle_t h)
{
	return SetEvent(h) ? 0 : win_last_error();
}

/* Alertable, so that a kick (an APC) ends the wait with VMOSAL_EINTR. The
 * flag is read before the wait; a kick that sets it after that queues its
 * APC after that too, and an APC queued before an alertable wait begins
 * ends it at once: no kick is lost in between. Whole milliseconds, rounded
 * up, and the wait ends on a tick of the system clock (15.6 ms unless a
 * process raised the timer resolution with timeBeginPeriod). */
int win_event_wait_kick(vmosal_handle_t h, int64_t timeout_ns, const uint32_t *kick_pending)
{
	uint64_t start = win_monotonic_ns(), waited;

	if (kick_pending != NULL && __atomic_load_n(kick_pending, __ATOMIC_SEQ_CST) != 0)
		return VMOSAL_EINTR;

	for (;;) {
		DWORD ms = INFINITE, rc;

		if (timeout_ns >= 0) {
			waited = win_monotonic_ns() - start;
			ms = waited >= (uint64_t)timeout_ns ? 0
							    : win_wait_ms((uint64_t)timeout_ns - waited);
		}
		rc = WaitForSingleObjectEx(h, ms, TRUE);
		switch (rc) {
		case WAIT_OBJECT_0:
			return 0;
		case WAIT_IO_COMPLETION:
			return VMOSAL_EINTR;
		case WAIT_TIMEOUT:
			/* A wait longer than WIN_WAIT_MAX_MS goes round again. */
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
