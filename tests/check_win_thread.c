/* The Windows backend's thread slots (win_thread.c), called directly as
 * the core would, without the core or the plugin: creation and join, ids,
 * names, affinity, priority, the current CPU and WaitOnAddress; and the
 * thread CPU clock and timed sleeps and waits (win_io.c). Runs on
 * Windows and under Wine, where SetThreadPriority is only stored: the
 * priority tests check what GetThreadPriority reports back. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stddef.h>
#include <string.h>
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmosal.h"
#include "win.h"

/* ---- helpers ---- */

static uint64_t now_ns(void)
{
	LARGE_INTEGER f, t;

	QueryPerformanceFrequency(&f);
	QueryPerformanceCounter(&t);
	return (uint64_t)t.QuadPart / (uint64_t)f.QuadPart * 1000000000u +
	       (uint64_t)t.QuadPart % (uint64_t)f.QuadPart * 1000000000u / (uint64_t)f.QuadPart;
}

/* A thread that reports its tid, then waits until told to stop. */
struct parked {
	void *handle;
	volatile LONG tid_ready;
	uint64_t tid;
	HANDLE stop;
};

static void *parked_main(void *p)
{
	struct parked *pk = p;

	win_thread_self(&pk->tid);
	InterlockedExchange(&pk->tid_ready, 1);
	WaitForSingleObject(pk->stop, INFINITE);
	return pk;
}

static void park(struct parked *pk)
{
	memset(pk, 0, sizeof *pk);
	pk->stop = CreateEventW(NULL, TRUE, FALSE, NULL);
	ck_assert_ptr_nonnull(pk->stop);
	ck_assert_int_eq(win_thread_create(parked_main, pk, 0, &pk->handle), 0);
	while (InterlockedCompareExchange(&pk->tid_ready, 0, 0) == 0)
		Sleep(1);
}

static void unpark(struct parked *pk)
{
	void *res = NULL;

	SetEvent(pk->stop);
	ck_assert_int_eq(win_thread_join(pk->handle, &res), 0);
	ck_assert_ptr_eq(res, pk);
	CloseHandle(pk->stop);
}

/* A thread id of another process: the main thread of a suspended child,
 * started by the fixture of the tests that use it. */
static PROCESS_INFORMATION child;

static void foreign_start(void)
{
	wchar_t exe[MAX_PATH];
	STARTUPINFOW si;

	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	ck_assert_uint_gt(GetModuleFileNameW(NULL, exe, MAX_PATH), 0);
	ck_assert_msg(CreateProcessW(exe, NULL, NULL, NULL, FALSE, CREATE_SUSPENDED, NULL, NULL,
				     &si, &child),
		      "CreateProcess: %lu", GetLastError());
}

static void foreign_end(void)
{
	TerminateProcess(child.hProcess, 0);
	WaitForSingleObject(child.hProcess, INFINITE);
	CloseHandle(child.hThread);
	CloseHandle(child.hProcess);
}

/* The UTF-16 description Windows holds for h compared with want;
 * GetThreadDescription is looked up as the backend does. */
static bool desc_is(HANDLE h, const wchar_t *want)
{
	typedef HRESULT(WINAPI * get_fn)(HANDLE, PWSTR *);
	get_fn get = (get_fn)(void (*)(void))GetProcAddress(GetModuleHandleW(L"kernelbase.dll"),
							     "GetThreadDescription");
	wchar_t *wide = NULL;
	bool same;

	ck_assert(get != NULL);
	ck_assert(SUCCEEDED(get(h, &wide)));
	same = wcscmp(wide, want) == 0;
	LocalFree(wide);
	return same;
}

/* ---- create, join, ids ---- */

static void *add_one(void *p)
{
	return (char *)p + 1;
}

START_TEST(test_create_join_result)
{
	static char data[2];
	void *h = NULL, *res = NULL;

	ck_assert_int_eq(win_thread_create(add_one, data, 0, &h), 0);
	ck_assert_int_eq(win_thread_join(h, &res), 0);
	ck_assert_ptr_eq(res, data + 1);
	/* A result above 32 bits survives (an exit code would cut it). */
	ck_assert_int_eq(win_thread_create(add_one, (void *)(uintptr_t)0x123456789aull, 0, &h), 0);
	ck_assert_int_eq(win_thread_join(h, NULL), 0);
	ck_assert_int_eq(win_thread_create(add_one, (void *)(uintptr_t)0x123456789aull, 0, &h), 0);
	ck_assert_int_eq(win_thread_join(h, &res), 0);
	ck_assert_ptr_eq(res, (void *)(uintptr_t)0x123456789bull);
}
END_TEST

static void *stack_span(void *p)
{
	ULONG_PTR lo = 0, hi = 0;

	(void)p;
	GetCurrentThreadStackLimits(&lo, &hi);
	return (void *)(uintptr_t)(hi - lo);
}

START_TEST(test_stack_size)
{
	static const size_t sizes[] = {256u << 10, 3u << 20, 8u << 20};
	void *h, *res;

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		ck_assert_int_eq(win_thread_create(stack_span, NULL, sizes[i], &h), 0);
		ck_assert_int_eq(win_thread_join(h, &res), 0);
		/* The whole reservation, rounded up to the 64 KiB granularity,
		 * or to the 1 MiB Wine reserves at least. */
		ck_assert_uint_ge((uintptr_t)res, sizes[i]);
		if (sizes[i] >= (1u << 20))
			ck_assert_uint_eq((uintptr_t)res, (sizes[i] + 0xffffu) & ~(size_t)0xffffu);
		else
			ck_assert_uint_le((uintptr_t)res, 1u << 20);
	}
	ck_assert_int_eq(win_thread_create(stack_span, NULL, (size_t)UINT_MAX + 1, &h),
			 VMOSAL_EINVAL);
}
END_TEST

static void *own_tid(void *p)
{
	uint64_t *tid = p;

	win_thread_self(tid);
	return NULL;
}

START_TEST(test_self)
{
	uint64_t me = 0, other = 0;
	void *h;

	ck_assert_int_eq(win_thread_self(&me), 0);
	ck_assert_uint_ne(me, 0);
	ck_assert_uint_eq(me, GetCurrentThreadId());
	ck_assert_int_eq(win_thread_create(own_tid, &other, 0, &h), 0);
	ck_assert_int_eq(win_thread_join(h, NULL), 0);
	ck_assert_uint_ne(other, 0);
	ck_assert_uint_ne(other, me);
}
END_TEST

START_TEST(test_open)
{
	struct parked pk;
	HANDLE h = NULL;

	ck_assert_int_eq(win_thread_open(0, THREAD_QUERY_INFORMATION, &h), 0);
	ck_assert_ptr_eq(h, GetCurrentThread());
	win_thread_close(0, h);
	park(&pk);
	ck_assert_int_eq(win_thread_open(pk.tid, THREAD_QUERY_INFORMATION, &h), 0);
	ck_assert_uint_eq(GetThreadId(h), pk.tid);
	win_thread_close(pk.tid, h);
	/* Windows looks ids up ignoring the low two bits: tid + 1 is not tid. */
	ck_assert_int_eq(win_thread_open(pk.tid + 1, THREAD_QUERY_INFORMATION, &h), VMOSAL_ESRCH);
	unpark(&pk);
	ck_assert_int_eq(win_thread_open((uint64_t)1 << 32, 0, &h), VMOSAL_ESRCH);
	ck_assert_int_eq(win_thread_open(0x7ffffff0u, 0, &h), VMOSAL_ESRCH);
	/* Another process's thread opens, but is not ours. */
	ck_assert_int_eq(win_thread_open(child.dwThreadId, THREAD_QUERY_INFORMATION, &h),
			 VMOSAL_ESRCH);
}
END_TEST

/* Every slot that takes a tid refuses one of no thread of this process. */
START_TEST(test_foreign_tid_esrch)
{
	uint64_t tids[3];
	size_t cpus[8], n, cpu0 = 0;
	char name[32];
	int prio;

	tids[0] = child.dwThreadId;
	tids[1] = 0x7ffffff0u;
	tids[2] = (uint64_t)1 << 40;
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(win_thread_set_name(tids[i], "x"), VMOSAL_ESRCH);
		ck_assert_int_eq(win_thread_get_name(tids[i], name, sizeof name), VMOSAL_ESRCH);
		ck_assert_int_eq(win_thread_set_priority(tids[i], VMOSAL_PRIORITY_LOW),
				 VMOSAL_ESRCH);
		ck_assert_int_eq(win_thread_get_priority(tids[i], &prio), VMOSAL_ESRCH);
		ck_assert_int_eq(win_thread_set_affinity(tids[i], &cpu0, 1), VMOSAL_ESRCH);
		ck_assert_int_eq(win_thread_get_affinity(tids[i], cpus, 8, &n), VMOSAL_ESRCH);
	}
}
END_TEST

/* ---- names ---- */

START_TEST(test_name_self)
{
	/* "vCPU-ü€😀": 2-, 3- and 4-byte UTF-8, the last a surrogate pair. */
	static const char utf8[] = "vCPU-\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80";
	char buf[64], small[4];

	ck_assert_int_eq(win_thread_set_name(0, "vcpu-0"), 0);
	ck_assert_int_eq(win_thread_get_name(0, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "vcpu-0");
	ck_assert_int_eq(win_thread_set_name(0, utf8), 0);
	ck_assert_int_eq(win_thread_get_name(0, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, utf8);
	/* What Windows holds is the UTF-16 of it. */
	ck_assert(desc_is(GetCurrentThread(), L"vCPU-\u00fc\u20ac\U0001F600"));
	/* 16 bytes with the NUL: one short is ERANGE, exact fits. */
	ck_assert_int_eq(win_thread_get_name(0, buf, sizeof utf8 - 1), VMOSAL_ERANGE);
	ck_assert_int_eq(win_thread_get_name(0, buf, sizeof utf8), 0);
	ck_assert_int_eq(win_thread_get_name(0, small, sizeof small), VMOSAL_ERANGE);
	ck_assert_int_eq(win_thread_set_name(0, "bad-\xc3"), VMOSAL_EINVAL);
	ck_assert_int_eq(win_thread_set_name(0, "bad-\xff-x"), VMOSAL_EINVAL);
	ck_assert_int_eq(win_thread_get_name(0, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, utf8);
}
END_TEST

START_TEST(test_name_long)
{
	char name[WIN_THREAD_NAME_MAX + 2], buf[WIN_THREAD_NAME_MAX + 1];

	memset(name, 'n', sizeof name);
	name[WIN_THREAD_NAME_MAX] = '\0';
	ck_assert_int_eq(win_thread_set_name(0, name), 0);
	ck_assert_int_eq(win_thread_get_name(0, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, name);
	name[WIN_THREAD_NAME_MAX] = 'n';
	name[WIN_THREAD_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(win_thread_set_name(0, name), VMOSAL_ERANGE);
}
END_TEST

START_TEST(test_name_other)
{
	struct parked pk;
	char buf[64];
	HANDLE h;

	park(&pk);
	ck_assert_int_eq(win_thread_set_name(pk.tid, "io-\xc3\xa9"), 0);
	ck_assert_int_eq(win_thread_get_name(pk.tid, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "io-\xc3\xa9");
	/* It is the other thread's name, not the caller's. */
	h = OpenThread(THREAD_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pk.tid);
	ck_assert(desc_is(h, L"io-\u00e9"));
	CloseHandle(h);
	ck_assert_int_eq(win_thread_set_name(0, "caller"), 0);
	ck_assert_int_eq(win_thread_get_name(pk.tid, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "io-\xc3\xa9");
	unpark(&pk);
}
END_TEST

/* ---- affinity ---- */

static size_t host_cpus(size_t *cpus, size_t cap)
{
	size_t n = 0;

	ck_assert_int_eq(win_thread_get_affinity(0, cpus, cap, &n), 0);
	ck_assert_uint_gt(n, 0);
	return n;
}

START_TEST(test_affinity_self)
{
	size_t all[256], got[256], n, m, one, limit = win_groups_limit(win_groups_of_host());

	n = host_cpus(all, 256);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_lt(all[i], limit);
		if (i > 0)
			ck_assert_uint_lt(all[i - 1], all[i]);
	}
	/* Too small: ERANGE with the count needed, also for capacity 0. */
	if (n > 1) {
		ck_assert_int_eq(win_thread_get_affinity(0, got, n - 1, &m), VMOSAL_ERANGE);
		ck_assert_uint_eq(m, n);
	}
	ck_assert_int_eq(win_thread_get_affinity(0, NULL, 0, &m), VMOSAL_ERANGE);
	ck_assert_uint_eq(m, n);

	one = all[n - 1];
	ck_assert_int_eq(win_thread_set_affinity(0, &one, 1), 0);
	ck_assert_int_eq(win_thread_get_affinity(0, got, 256, &m), 0);
	ck_assert_uint_eq(m, 1);
	ck_assert_uint_eq(got[0], one);
	/* Not a processor of this host: ERANGE, and nothing changed. */
	{
		size_t bad[2] = {all[0], limit};

		ck_assert_int_eq(win_thread_set_affinity(0, bad, 2), VMOSAL_ERANGE);
		bad[1] = (size_t)WIN_GROUPS_MAX * WIN_GROUP_CPUS + 3;
		ck_assert_int_eq(win_thread_set_affinity(0, bad, 2), VMOSAL_ERANGE);
	}
	ck_assert_int_eq(win_thread_get_affinity(0, got, 256, &m), 0);
	ck_assert_uint_eq(m, 1);
	ck_assert_uint_eq(got[0], one);

	/* Duplicates are allowed; the whole set comes back in order. */
	{
		size_t dup[512];

		for (size_t i = 0; i < n; i++) {
			dup[2 * i] = all[n - 1 - i];
			dup[2 * i + 1] = all[n - 1 - i];
		}
		ck_assert_int_eq(win_thread_set_affinity(0, dup, 2 * n), 0);
	}
	ck_assert_int_eq(win_thread_get_affinity(0, got, 256, &m), 0);
	ck_assert_uint_eq(m, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(got[i], all[i]);
}
END_TEST

/* The OS acts on the binding: pinned to a CPU, the thread runs there. */
START_TEST(test_affinity_takes_effect)
{
	size_t all[256], n = host_cpus(all, 256), cpu;

	for (size_t i = 0; i < n && i < 8; i++) {
		ck_assert_int_eq(win_thread_set_affinity(0, &all[i], 1), 0);
		Sleep(2);
		ck_assert_int_eq(win_thread_current_cpu(&cpu), 0);
		ck_assert_uint_eq(cpu, all[i]);
	}
	ck_assert_int_eq(win_thread_set_affinity(0, all, n), 0);
}
END_TEST

START_TEST(test_affinity_other)
{
	size_t all[256], got[256], n = host_cpus(all, 256), m, mine[256], k;
	struct parked pk;
	GROUP_AFFINITY aff;
	HANDLE h;

	park(&pk);
	ck_assert_int_eq(win_thread_set_affinity(pk.tid, &all[0], 1), 0);
	ck_assert_int_eq(win_thread_get_affinity(pk.tid, got, 256, &m), 0);
	ck_assert_uint_eq(m, 1);
	ck_assert_uint_eq(got[0], all[0]);
	/* Seen by Windows on that thread, and the caller is untouched. */
	h = OpenThread(THREAD_QUERY_INFORMATION, FALSE, (DWORD)pk.tid);
	ck_assert(GetThreadGroupAffinity(h, &aff));
	CloseHandle(h);
	ck_assert_uint_eq(aff.Mask, (KAFFINITY)1 << (all[0] % WIN_GROUP_CPUS));
	k = host_cpus(mine, 256);
	ck_assert_uint_eq(k, n);
	ck_assert_int_eq(win_thread_set_affinity(pk.tid, all, n), 0);
	ck_assert_int_eq(win_thread_get_affinity(pk.tid, got, 256, &m), 0);
	ck_assert_uint_eq(m, n);
	unpark(&pk);
}
END_TEST

START_TEST(test_current_cpu)
{
	size_t all[256], n = host_cpus(all, 256), cpu;
	bool found = false;

	ck_assert_int_eq(win_thread_current_cpu(&cpu), 0);
	ck_assert_uint_lt(cpu, win_groups_limit(win_groups_of_host()));
	for (size_t i = 0; i < n; i++)
		found |= all[i] == cpu;
	ck_assert(found);
}
END_TEST

START_TEST(test_host_groups)
{
	const struct win_groups *g = win_groups_of_host();

	ck_assert_uint_ge(g->count, 1);
	ck_assert_uint_eq(g->count, GetActiveProcessorGroupCount());
	ck_assert_uint_eq(win_groups_active(g), GetActiveProcessorCount(ALL_PROCESSOR_GROUPS));
}
END_TEST

/* ---- priority ---- */

START_TEST(test_priority_self)
{
	static const struct {
		int prio, level;
	} map[] = {
		{VMOSAL_PRIORITY_LOW, THREAD_PRIORITY_BELOW_NORMAL},
		{VMOSAL_PRIORITY_HIGH, THREAD_PRIORITY_HIGHEST},
		{VMOSAL_PRIORITY_REALTIME, THREAD_PRIORITY_TIME_CRITICAL},
		{VMOSAL_PRIORITY_NORMAL, THREAD_PRIORITY_NORMAL},
	};
	int prio = -1;

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		ck_assert_int_eq(win_thread_set_priority(0, map[i].prio), 0);
		ck_assert_int_eq(GetThreadPriority(GetCurrentThread()), map[i].level);
		ck_assert_int_eq(win_thread_get_priority(0, &prio), 0);
		ck_assert_int_eq(prio, map[i].prio);
	}
	/* A value added after this backend: ENOTSUP, nothing changed. */
	ck_assert_int_eq(win_thread_set_priority(0, VMOSAL_PRIORITY_REALTIME + 1), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_thread_set_priority(0, -1), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_thread_set_priority(0, 1 << 20), VMOSAL_ENOTSUP);
	ck_assert_int_eq(GetThreadPriority(GetCurrentThread()), THREAD_PRIORITY_NORMAL);
}
END_TEST

/* Levels between the four read as the nearest, ties away from NORMAL. */
START_TEST(test_priority_between)
{
	static const struct {
		int level, prio;
	} map[] = {
		{THREAD_PRIORITY_IDLE, VMOSAL_PRIORITY_LOW},
		{THREAD_PRIORITY_LOWEST, VMOSAL_PRIORITY_LOW},
		{THREAD_PRIORITY_ABOVE_NORMAL, VMOSAL_PRIORITY_HIGH},
	};
	int prio;

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		ck_assert(SetThreadPriority(GetCurrentThread(), map[i].level));
		ck_assert_int_eq(win_thread_get_priority(0, &prio), 0);
		ck_assert_int_eq(prio, map[i].prio);
	}
	ck_assert(SetThreadPriority(GetCurrentThread(), THREAD_PRIORITY_NORMAL));
}
END_TEST

START_TEST(test_priority_other)
{
	struct parked pk;
	int prio = -1;
	HANDLE h;

	park(&pk);
	ck_assert_int_eq(win_thread_set_priority(pk.tid, VMOSAL_PRIORITY_HIGH), 0);
	ck_assert_int_eq(win_thread_get_priority(pk.tid, &prio), 0);
	ck_assert_int_eq(prio, VMOSAL_PRIORITY_HIGH);
	h = OpenThread(THREAD_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pk.tid);
	ck_assert_int_eq(GetThreadPriority(h), THREAD_PRIORITY_HIGHEST);
	CloseHandle(h);
	ck_assert_int_eq(win_thread_get_priority(0, &prio), 0);
	ck_assert_int_eq(prio, VMOSAL_PRIORITY_NORMAL);
	unpark(&pk);
}
END_TEST

/* ---- wait/wake ---- */

START_TEST(test_wait_differs)
{
	uint32_t word = 1;
	uint64_t t0 = now_ns();

	ck_assert_int_eq(win_wait_u32(&word, 0, -1), 0);
	ck_assert_int_eq(win_wait_u32(&word, 0, 0), 0);
	ck_assert_int_eq(win_wait_u32(&word, 0, 5000000000), 0);
	ck_assert_uint_lt(now_ns() - t0, 1000000000u);
}
END_TEST

START_TEST(test_wait_timeout)
{
	/* Sub-millisecond parts must round up, never down. */
	static const int64_t limits[] = {0, 1, 999999, 1000001, 15300000, 31000001};
	uint32_t word = 7;

	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		for (int rep = 0; rep < 3; rep++) {
			uint64_t t0 = now_ns(), took;

			ck_assert_int_eq(win_wait_u32(&word, 7, limits[i]), VMOSAL_ETIMEDOUT);
			took = now_ns() - t0;
			ck_assert_msg(took >= (uint64_t)limits[i], "%jd ns wait took %ju ns",
				      (intmax_t)limits[i], (uintmax_t)took);
			ck_assert_msg(took < (uint64_t)limits[i] + 2000000000u,
				      "%jd ns wait took %ju ns", (intmax_t)limits[i],
				      (uintmax_t)took);
		}
	}
}
END_TEST

#define WAITERS 4

struct waiters {
	uint32_t word;
	volatile LONG blocked, woken;
	int rc[WAITERS];
	void *handle[WAITERS];
};

struct waiter {
	struct waiters *w;
	int i;
};

static void *waiter_main(void *p)
{
	struct waiter *me = p;
	struct waiters *w = me->w;

	InterlockedIncrement(&w->blocked);
	/* One wait, no loop: each wake must be seen as it was given. */
	w->rc[me->i] = win_wait_u32(&w->word, 0, 10000000000);
	InterlockedIncrement(&w->woken);
	return NULL;
}

static void start_waiters(struct waiters *w, struct waiter *args)
{
	memset(w, 0, sizeof *w);
	for (int i = 0; i < WAITERS; i++) {
		args[i].w = w;
		args[i].i = i;
		ck_assert_int_eq(win_thread_create(waiter_main, &args[i], 0, &w->handle[i]), 0);
	}
	while (InterlockedCompareExchange(&w->blocked, 0, 0) < WAITERS)
		Sleep(1);
	/* From the count to inside WaitOnAddress takes a moment. */
	Sleep(200);
	ck_assert_int_eq(w->woken, 0);
}

static void join_waiters(struct waiters *w)
{
	for (int i = 0; i < WAITERS; i++) {
		ck_assert_int_eq(win_thread_join(w->handle[i], NULL), 0);
		ck_assert_int_eq(w->rc[i], 0);
	}
}

START_TEST(test_wake_one)
{
	struct waiter args[WAITERS];
	struct waiters w;

	start_waiters(&w, args);
	/* The word is unchanged: only the wake ends a wait. */
	ck_assert_int_eq(win_wake_u32(&w.word, false), 0);
	Sleep(300);
	ck_assert_int_eq(w.woken, 1);
	ck_assert_int_eq(win_wake_u32(&w.word, false), 0);
	Sleep(300);
	ck_assert_int_eq(w.woken, 2);
	ck_assert_int_eq(win_wake_u32(&w.word, true), 0);
	join_waiters(&w);
	ck_assert_int_eq(w.woken, WAITERS);
}
END_TEST

START_TEST(test_wake_all)
{
	struct waiter args[WAITERS];
	struct waiters w;
	uint64_t t0;

	start_waiters(&w, args);
	t0 = now_ns();
	ck_assert_int_eq(win_wake_u32(&w.word, true), 0);
	join_waiters(&w);
	ck_assert_int_eq(w.woken, WAITERS);
	/* Woken, not timed out: well before the 10 s limit. */
	ck_assert_uint_lt(now_ns() - t0, 5000000000u);
	/* No waiter: nothing to do, no error. */
	ck_assert_int_eq(win_wake_u32(&w.word, false), 0);
	ck_assert_int_eq(win_wake_u32(&w.word, true), 0);
}
END_TEST

/* ---- the thread CPU clock, sleeping (win_io.c) ---- */

static uint64_t thread_cpu(void)
{
	uint64_t t = 0;

	ck_assert_int_eq(win_clock_ns(VMOSAL_CLOCK_THREAD_CPU, &t), 0);
	return t;
}

/* A busy thread's CPU time advances and never goes back. From clock ticks
 * (GetThreadTimes, Wine) it may take a tick: up to 10 s of wall time. */
START_TEST(test_thread_cpu_advances)
{
	uint64_t first = thread_cpu(), last = first, t0 = now_ns();
	volatile uint64_t sink = 0;

	while (last == first && now_ns() - t0 < 10000000000u) {
		for (int i = 0; i < 100000; i++)
			sink += (uint64_t)i;
		for (int i = 0; i < 100; i++) {
			uint64_t t = thread_cpu();

			ck_assert_uint_ge(t, last);
			last = t;
		}
	}
	ck_assert_uint_gt(last, first);
}
END_TEST

static volatile LONG64 fake_cycles;

static BOOL WINAPI fake_cycle_time(HANDLE thread, PULONG64 cycles)
{
	(void)thread;
	*cycles = (ULONG64)InterlockedCompareExchange64(&fake_cycles, 0, 0);
	return TRUE;
}

/* Where QueryThreadCycleTime counts (x86 with an invariant TSC, not Wine,
 * where it is a stub), THREAD_CPU is its count at the TSC's rate: to the
 * nanosecond, without overflow, never going back. */
START_TEST(test_thread_cpu_cycles)
{
	static const struct {
		uint64_t cycles, ns;
	} at3ghz[] = {
		{0, 0},
		{3, 1},
		{3000, 1000},
		{3000000001u, 1000000000u},
		{(uint64_t)1 << 63, 3074457345618258602u},
	};

	for (size_t i = 0; i < sizeof at3ghz / sizeof at3ghz[0]; i++)
		ck_assert_uint_eq(win_cycles_to_ns(at3ghz[i].cycles, 3000000000u), at3ghz[i].ns);
	ck_assert_uint_eq(win_cycles_to_ns(UINT64_MAX, 1000000000u), UINT64_MAX);
	win_thread_clock_test(fake_cycle_time, 3000000000u);
	for (size_t i = 0; i < sizeof at3ghz / sizeof at3ghz[0]; i++) {
		InterlockedExchange64(&fake_cycles, (LONG64)at3ghz[i].cycles);
		ck_assert_uint_eq(thread_cpu(), at3ghz[i].ns);
	}
	win_thread_clock_test(NULL, 0);
	/* GetThreadTimes again: far below 2^63 cycles' worth. */
	ck_assert_uint_lt(thread_cpu(), 1000000000000000u);
}
END_TEST

/* A 1 ms sleep, and a 1 ms event wait, last at least 1 ms, with
 * high-resolution timers and without. */
START_TEST(test_sleep_at_least)
{
	HANDLE probe, ev = CreateEventW(NULL, FALSE, FALSE, NULL);

	ck_assert_ptr_nonnull(ev);
	for (int pass = 0; pass < 2; pass++) {
		win_hires_timers_off(pass == 1);
		for (int rep = 0; rep < 5; rep++) {
			uint64_t t0 = now_ns();

			ck_assert_int_eq(win_sleep_ns(1000000), 0);
			ck_assert_uint_ge(now_ns() - t0, 1000000);
			t0 = now_ns();
			ck_assert_int_eq(win_event_wait(ev, 1000000), VMOSAL_ETIMEDOUT);
			ck_assert_uint_ge(now_ns() - t0, 1000000);
			t0 = now_ns();
			ck_assert_int_eq(win_sleep_ns(1500), 0);
			ck_assert_uint_ge(now_ns() - t0, 1500);
		}
		/* Signalled: the event, not the timer. */
		ck_assert(SetEvent(ev));
		ck_assert_int_eq(win_event_wait(ev, 1000000), 0);
		ck_assert_int_eq(win_event_wait(ev, 0), VMOSAL_ETIMEDOUT);
	}
	ck_assert(!win_hires_timers());
	win_hires_timers_off(false);
	ck_assert_int_eq(win_sleep_ns(1000), 0);
	/* Where the OS makes high-resolution timers (Windows 10 1803 on,
	 * Wine), the waits use them. */
	probe = CreateWaitableTimerExW(NULL, NULL, 0x2 /* HIGH_RESOLUTION */, TIMER_ALL_ACCESS);
	if (probe != NULL) {
		CloseHandle(probe);
		ck_assert(win_hires_timers());
	}
	CloseHandle(ev);
}
END_TEST

static DWORD WINAPI timed_waits(void *arg)
{
	HANDLE ev = CreateEventW(NULL, FALSE, FALSE, NULL);
	int *failed = arg;

	for (int i = 0; i < 100; i++)
		*failed |= win_sleep_ns(1000) != 0;
	*failed |= ev == NULL || win_event_wait(ev, 1000) != VMOSAL_ETIMEDOUT;
	if (ev != NULL)
		CloseHandle(ev);
	return 0;
}

/* Timed waits reuse one timer per thread, closed when the thread ends
 * (Wine's GetProcessHandleCount says 0: the backend counts them). */
START_TEST(test_wait_timer_per_thread)
{
	HANDLE ev = CreateEventW(NULL, FALSE, FALSE, NULL);
	long before;
	int failed = 0;

	ck_assert_ptr_nonnull(ev);
	win_hires_timers_off(false);
	ck_assert_int_eq(win_sleep_ns(1000), 0); /* this thread's timer */
	before = win_wait_timers_open();
	ck_assert_int_ge(before, 1);
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(win_sleep_ns(1000), 0);
		ck_assert_int_eq(win_event_wait(ev, 1000), VMOSAL_ETIMEDOUT);
	}
	ck_assert_int_eq(win_wait_timers_open(), before);
	for (int i = 0; i < 20; i++) {
		HANDLE t = CreateThread(NULL, 0, timed_waits, &failed, 0, NULL);

		ck_assert_ptr_nonnull(t);
		ck_assert_uint_eq(WaitForSingleObject(t, INFINITE), WAIT_OBJECT_0);
		CloseHandle(t);
		ck_assert_int_eq(failed, 0);
	}
	ck_assert_int_eq(win_wait_timers_open(), before);
	CloseHandle(ev);
}
END_TEST

/* ---- through the core ----
 * The same slots as an application reaches them: vmosal_windows.dll,
 * loaded by libvmosal. */

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

int main(void)
{
	Suite *s = suite_create("win_thread");
	TCase *tc;

	tc = tcase_create("threads");
	tcase_add_test(tc, test_create_join_result);
	tcase_add_test(tc, test_stack_size);
	tcase_add_test(tc, test_self);
	suite_add_tcase(s, tc);

	tc = tcase_create("tids");
	tcase_add_checked_fixture(tc, foreign_start, foreign_end);
	tcase_add_test(tc, test_open);
	tcase_add_test(tc, test_foreign_tid_esrch);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_name_self);
	tcase_add_test(tc, test_name_long);
	tcase_add_test(tc, test_name_other);
	suite_add_tcase(s, tc);

	tc = tcase_create("affinity");
	tcase_add_test(tc, test_host_groups);
	tcase_add_test(tc, test_affinity_self);
	tcase_add_test(tc, test_affinity_takes_effect);
	tcase_add_test(tc, test_affinity_other);
	tcase_add_test(tc, test_current_cpu);
	suite_add_tcase(s, tc);

	tc = tcase_create("priority");
	tcase_add_test(tc, test_priority_self);
	tcase_add_test(tc, test_priority_between);
	tcase_add_test(tc, test_priority_other);
	suite_add_tcase(s, tc);

	tc = tcase_create("wait");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_wait_differs);
	tcase_add_test(tc, test_wait_timeout);
	tcase_add_test(tc, test_wake_one);
	tcase_add_test(tc, test_wake_all);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_thread_cpu_advances);
	tcase_add_test(tc, test_thread_cpu_cycles);
	tcase_add_test(tc, test_sleep_at_least);
	tcase_add_test(tc, test_wait_timer_per_thread);
	suite_add_tcase(s, tc);

	tc = tcase_create("through the core");
	tcase_add_test(tc, test_thread_create_applies_options);
	tcase_add_test(tc, test_thread_ids_and_priority);
	suite_add_tcase(s, tc);

	return vmosal_run_suite(s);
}
