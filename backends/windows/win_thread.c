/* Windows thread slots: thread ids, processor-group affinity,
 * SetThreadPriority levels, thread descriptions, WaitOnAddress. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <limits.h>
#include <process.h>
#include <stdlib.h>
#include <string.h>

#include "win.h"

/* The flat numbering assumes 64 processors per group (win_groups.h); a
 * 32-bit build, whose KAFFINITY holds 32, would number CPUs wrongly. */
_Static_assert(sizeof(KAFFINITY) * CHAR_BIT == WIN_GROUP_CPUS, "KAFFINITY is not 64 bits");

#define WIN_DEBUG_TOPIC "thread"

/* ---- threads: create, join, ids ---- */

/* The thread's void * result: an exit code holds only 32 bits. */
struct win_thread {
	HANDLE handle;
	void *(*start)(void *);
	void *arg;
	void *result;
};

static unsigned __stdcall win_thread_main(void *p)
{
	struct win_thread *t = p;

	t->result = t->start(t->arg);
	return 0;
}

/* _beginthreadex, not CreateThread: it sets up the CRT's per-thread data
 * before start runs, so CRT calls there cannot fail for want of memory. */
int win_thread_create(void *(*start)(void *), void *arg, size_t stack_size, void **handle)
{
	struct win_thread *t;
	uintptr_t h;

	/* _beginthreadex takes the size as unsigned: a stack of 4 GiB or
	 * more is refused, never cut short. */
	if (stack_size > UINT_MAX)
		return VMOSAL_EINVAL;
	t = calloc(1, sizeof *t);
	if (t == NULL)
		return VMOSAL_ENOMEM;
	t->start = start;
	t->arg = arg;
	/* A reservation, as a POSIX stack size is: pages commit on use. */
	h = _beginthreadex(NULL, (unsigned)stack_size, win_thread_main, t,
			   stack_size != 0 ? STACK_SIZE_PARAM_IS_A_RESERVATION : 0, NULL);
	if (h == 0) {
		int err = errno;

		free(t);
		/* msvcrt reports want of memory as EACCES, the UCRT as ENOMEM. */
		return err == EAGAIN ? VMOSAL_EAGAIN
		       : err == EINVAL ? VMOSAL_EINVAL
		       : err == EACCES || err == ENOMEM ? VMOSAL_ENOMEM : VMOSAL_EUNKNOWN;
	}
	t->handle = (HANDLE)h;
	*handle = t;
	return 0;
}

int win_thread_join(void *handle, void **result)
{
	struct win_thread *t = handle;

	if (WaitForSingleObject(t->handle, INFINITE) != WAIT_OBJECT_0)
		return win_last_error();
	CloseHandle(t->handle);
	if (result != NULL)
		*result = t->result;
	free(t);
	return 0;
}

int win_thread_self(uint64_t *tid)
{
	*tid = GetCurrentThreadId();
	return 0;
}

/* OpenThread's code for a tid as a VMOSAL code: a tid that names no
 * thread is ERROR_INVALID_PARAMETER. */
static int win_open_error(DWORD err)
{
	return err == ERROR_INVALID_PARAMETER ? VMOSAL_ESRCH : win_error_from(err);
}

int win_thread_open(uint64_t tid, DWORD access, HANDLE *h)
{
	HANDLE th;

	if (tid == 0) {
		*h = GetCurrentThread();
		return 0;
	}
	if (tid > MAXDWORD)
		return VMOSAL_ESRCH;
	/* GetProcessIdOfThread and GetThreadId below need it. */
	th = OpenThread(access | THREAD_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)tid);
	if (th == NULL)
		return win_open_error(GetLastError());
	/* Windows ignores a thread id's low two bits when it looks the id up,
	 * so tid + 1 can open thread tid: insist on the very id. */
	if (GetProcessIdOfThread(th) != GetCurrentProcessId() || GetThreadId(th) != (DWORD)tid) {
		CloseHandle(th);
		return VMOSAL_ESRCH;
	}
	*h = th;
	return 0;
}

void win_thread_close(uint64_t tid, HANDLE h)
{
	/* tid 0 got the pseudo handle, which is never closed. */
	if (tid != 0 && h != NULL && h != GetCurrentThread())
		CloseHandle(h);
}

/* A failed call on a handle win_thread_open gave: the thread is ours, so
 * a refusal means the caller lacks a right. */
static int win_thread_error(void)
{
	DWORD err = GetLastError();

	if (err == ERROR_ACCESS_DENIED || err == ERROR_PRIVILEGE_NOT_HELD)
		return VMOSAL_EPERM;
	if (err == ERROR_INVALID_HANDLE)
		return VMOSAL_ESRCH;
	return win_error_from(err);
}

/* ---- processor groups ---- */

static struct win_groups win_groups_host;
static INIT_ONCE win_groups_once = INIT_ONCE_STATIC_INIT;

/* The active masks from GetLogicalProcessorInformationEx, exact even when
 * a group's active processors are not its lowest bits. */
static bool win_groups_read_masks(struct win_groups *g)
{
	SYSTEM_LOGICAL_PROCESSOR_INFORMATION_EX *info = NULL, *grown;
	DWORD len = 0;
	bool ok = false;

	while (!GetLogicalProcessorInformationEx(RelationGroup, info, &len)) {
		if (GetLastError() != ERROR_INSUFFICIENT_BUFFER || len == 0)
			goto out;
		grown = realloc(info, len);
		if (grown == NULL)
			goto out;
		info = grown;
	}
	/* RelationGroup returns one record covering every group. */
	if (info == NULL || len < sizeof *info || info->Relationship != RelationGroup ||
	    len < offsetof(SYSTEM_LOGICAL_PROCESSOR_INFORMATION_EX, Group.GroupInfo) +
			  info->Group.ActiveGroupCount * sizeof(PROCESSOR_GROUP_INFO))
		goto out;
	g->count = info->Group.ActiveGroupCount;
	if (g->count > WIN_GROUPS_MAX)
		g->count = WIN_GROUPS_MAX;
	for (unsigned i = 0; i < g->count; i++)
		g->active[i] = info->Group.GroupInfo[i].ActiveProcessorMask;
	ok = g->count > 0;
out:
	free(info);
	return ok;
}

static BOOL CALLBACK win_groups_init(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	struct win_groups *g = param;

	(void)once;
	(void)ctx;
	if (win_groups_read_masks(g))
		return TRUE;
	/* Else each group's active processors are taken as its lowest bits,
	 * which is how Windows fills groups. */
	memset(g, 0, sizeof *g);
	g->count = GetActiveProcessorGroupCount();
	if (g->count > WIN_GROUPS_MAX)
		g->count = WIN_GROUPS_MAX;
	for (unsigned i = 0; i < g->count; i++) {
		DWORD n = GetActiveProcessorCount((WORD)i);

		g->active[i] = n >= WIN_GROUP_CPUS ? UINT64_MAX : ((uint64_t)1 << n) - 1;
	}
	return TRUE;
}

const struct win_groups *win_groups_of_host(void)
{
	InitOnceExecuteOnce(&win_groups_once, win_groups_init, &win_groups_host, NULL);
	return &win_groups_host;
}

/* A group number Windows reported, checked against the layout: Wine 8.0
 * has reported groups that do not exist (win_groups_sanitize). */
static int win_reported_group(const struct win_groups *g, WORD reported, unsigned *group)
{
	if (win_groups_sanitize(g, reported, group)) {
		if (*group != reported && win_core != NULL)
			win_core->debug(WIN_DEBUG_TOPIC, "group %u reported, %u groups: using %u",
					(unsigned)reported, g->count, *group);
		return 0;
	}
	return VMOSAL_EUNKNOWN;
}

/* ---- affinity ---- */

int win_thread_set_affinity(uint64_t tid, const size_t *cpus, size_t ncpus)
{
	const struct win_groups *g = win_groups_of_host();
	GROUP_AFFINITY aff;
	unsigned group;
	uint64_t mask;
	HANDLE h;
	int rc = win_groups_mask_of(g, cpus, ncpus, &group, &mask);

	if (rc != 0)
		return rc;
	rc = win_thread_open(tid, THREAD_SET_INFORMATION | THREAD_QUERY_INFORMATION, &h);
	if (rc != 0)
		return rc;
	memset(&aff, 0, sizeof aff); /* Reserved must be zero */
	aff.Group = (WORD)group;
	aff.Mask = (KAFFINITY)mask;
	if (!SetThreadGroupAffinity(h, &aff, NULL)) {
		/* The CPUs exist (checked above): what is left is a set outside
		 * the process's affinity, which is EACCES as on Linux. */
		rc = GetLastError() == ERROR_INVALID_PARAMETER ? VMOSAL_EACCES
							       : win_thread_error();
	}
	win_thread_close(tid, h);
	return rc;
}

/* The CPU set calls, resolved at run time: the id calls came with Windows
 * 10, the mask calls with Windows 11 and Server 2022, the release that
 * lets threads span groups; Wine 8 has the id calls as stubs. The
 * SYSTEM_CPU_SET_INFORMATION fields read, as Microsoft documents them
 * (older mingw-w64 headers lack the type). */
typedef BOOL(WINAPI *win_get_masks_fn)(HANDLE, GROUP_AFFINITY *, USHORT, USHORT *);
typedef BOOL(WINAPI *win_get_ids_fn)(HANDLE, ULONG *, ULONG, ULONG *);
typedef BOOL(WINAPI *win_cpu_set_info_fn)(void *, ULONG, ULONG *, HANDLE, ULONG);
struct win_cpu_set_record {
	DWORD size;
	DWORD type; /* CpuSetInformation: 0 */
	DWORD id;
	WORD group;
	BYTE index; /* LogicalProcessorIndex */
};

static struct {
	win_get_masks_fn thread_masks, process_masks;
	win_get_ids_fn thread_ids, process_ids;
	win_cpu_set_info_fn system_info;
} win_cpu_sets;
static INIT_ONCE win_cpu_sets_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK win_cpu_sets_init(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	(void)once;
	(void)param;
	(void)ctx;
	win_cpu_sets.thread_masks =
		(win_get_masks_fn)win_kernel_proc("GetThreadSelectedCpuSetMasks");
	win_cpu_sets.process_masks =
		(win_get_masks_fn)win_kernel_proc("GetProcessDefaultCpuSetMasks");
	win_cpu_sets.thread_ids = (win_get_ids_fn)win_kernel_proc("GetThreadSelectedCpuSets");
	win_cpu_sets.process_ids = (win_get_ids_fn)win_kernel_proc("GetProcessDefaultCpuSets");
	win_cpu_sets.system_info =
		(win_cpu_set_info_fn)win_kernel_proc("GetSystemCpuSetInformation");
	return TRUE;
}

/* The thread's CPU sets as group masks, else the process default's; 0
 * when it has none, or they cannot be read (then the affinity alone is
 * reported). */
static size_t win_cpu_set_masks(HANDLE h, struct win_group_mask *out)
{
	GROUP_AFFINITY masks[WIN_GROUPS_MAX];
	USHORT got = 0;
	ULONG *ids = NULL, nids = 0, len = 0, cap = WIN_GROUPS_MAX * WIN_GROUP_CPUS;
	struct win_cpu_set *table = NULL;
	unsigned char *info = NULL;
	size_t ntable = 0, n = 0;

	if (win_cpu_sets.thread_masks != NULL) {
		if (!win_cpu_sets.thread_masks(h, masks, WIN_GROUPS_MAX, &got))
			got = 0;
		if (got == 0 && win_cpu_sets.process_masks != NULL &&
		    !win_cpu_sets.process_masks(GetCurrentProcess(), masks, WIN_GROUPS_MAX, &got))
			got = 0;
		for (USHORT i = 0; i < got && i < WIN_GROUPS_MAX; i++) {
			out[n].group = masks[i].Group;
			out[n++].mask = (uint64_t)masks[i].Mask;
		}
		return n;
	}
	/* An id per CPU at most: 16 KiB, from the heap, not a vCPU's stack. */
	if (win_cpu_sets.thread_ids == NULL || win_cpu_sets.system_info == NULL ||
	    (ids = malloc(cap * sizeof *ids)) == NULL)
		return 0;
	if (!win_cpu_sets.thread_ids(h, ids, cap, &nids))
		nids = 0;
	if (nids == 0 && win_cpu_sets.process_ids != NULL &&
	    !win_cpu_sets.process_ids(GetCurrentProcess(), ids, cap, &nids))
		nids = 0;
	if (nids == 0 || nids > cap)
		goto out;
	/* The id -> processor table: one record per CPU set, each Size long. */
	win_cpu_sets.system_info(NULL, 0, &len, GetCurrentProcess(), 0);
	if (len == 0 || (info = malloc(len)) == NULL ||
	    !win_cpu_sets.system_info(info, len, &len, GetCurrentProcess(), 0) ||
	    (table = calloc(len / sizeof(struct win_cpu_set_record) + 1, sizeof *table)) == NULL)
		goto out;
	for (ULONG at = 0; at + sizeof(struct win_cpu_set_record) <= len;) {
		struct win_cpu_set_record rec;

		memcpy(&rec, info + at, sizeof rec);
		if (rec.size < sizeof rec)
			break;
		if (rec.type == 0) {
			table[ntable].id = rec.id;
			table[ntable].group = rec.group;
			table[ntable++].index = rec.index;
		}
		at += rec.size;
	}
	win_groups_sets_of_ids(table, ntable, (const uint32_t *)ids, nids, out, &n);
out:
	free(table);
	free(info);
	free(ids);
	return n;
}

/* A thread may run in more than one group from Windows 11 on, where
 * GetThreadGroupAffinity shows its primary group only: the other groups
 * come from the process's, and CPU sets narrow them (win_groups_place). */
int win_thread_get_affinity(uint64_t tid, size_t *cpus, size_t capacity, size_t *ncpus)
{
	const struct win_groups *g = win_groups_of_host();
	struct win_group_mask sets[WIN_GROUPS_MAX];
	struct win_thread_place place;
	unsigned pgroups[WIN_GROUPS_MAX];
	USHORT raw[WIN_GROUPS_MAX], npg = WIN_GROUPS_MAX;
	uint64_t masks[WIN_GROUPS_MAX];
	GROUP_AFFINITY aff;
	HANDLE h;
	int rc = win_thread_open(tid, THREAD_QUERY_INFORMATION, &h);

	if (rc != 0)
		return rc;
	InitOnceExecuteOnce(&win_cpu_sets_once, win_cpu_sets_init, NULL, NULL);
	memset(&place, 0, sizeof place);
	/* Zeroed: a Group left unwritten then reads as group 0. */
	memset(&aff, 0, sizeof aff);
	if (!GetThreadGroupAffinity(h, &aff))
		rc = win_thread_error();
	else
		place.nsets = win_cpu_set_masks(h, sets);
	win_thread_close(tid, h);
	if (rc == 0)
		rc = win_reported_group(g, aff.Group, &place.hard.group);
	if (rc != 0)
		return rc;
	place.hard.mask = (uint64_t)aff.Mask;
	place.sets = sets;
	/* The mask calls are Windows 11's, whose threads span groups. */
	place.groups_span = win_cpu_sets.thread_masks != NULL;
	if (place.groups_span && GetProcessGroupAffinity(GetCurrentProcess(), &npg, raw)) {
		for (USHORT i = 0; i < npg && i < WIN_GROUPS_MAX; i++)
			pgroups[i] = raw[i];
		place.process_groups = pgroups;
		place.nprocess_groups = npg < WIN_GROUPS_MAX ? npg : WIN_GROUPS_MAX;
	}
	rc = win_groups_place(g, &place, masks);
	if (rc != 0)
		return rc;
	return win_groups_list_all(g, masks, cpus, capacity, ncpus);
}

int win_thread_current_cpu(size_t *cpu)
{
	const struct win_groups *g = win_groups_of_host();
	PROCESSOR_NUMBER pn;
	unsigned group;
	int rc;

	GetCurrentProcessorNumberEx(&pn);
	rc = win_reported_group(g, pn.Group, &group);
	if (rc != 0)
		return rc;
	return win_groups_to_flat(g, group, pn.Number, cpu) == 0 ? 0 : VMOSAL_EUNKNOWN;
}

/* ---- priority ----
 * Levels are thread priorities inside the process's priority class, which
 * this backend never changes. None needs a privilege: TIME_CRITICAL is
 * base priority 15 in NORMAL_PRIORITY_CLASS (31 only in a process someone
 * else put in REALTIME_PRIORITY_CLASS), so EPERM comes only from a handle
 * without the right. */

static int win_priority_of(int prio, int *level)
{
	switch (prio) {
	case VMOSAL_PRIORITY_LOW:
		*level = THREAD_PRIORITY_BELOW_NORMAL;
		return 0;
	case VMOSAL_PRIORITY_NORMAL:
		*level = THREAD_PRIORITY_NORMAL;
		return 0;
	case VMOSAL_PRIORITY_HIGH:
		*level = THREAD_PRIORITY_HIGHEST;
		return 0;
	case VMOSAL_PRIORITY_REALTIME:
		*level = THREAD_PRIORITY_TIME_CRITICAL;
		return 0;
	}
	return VMOSAL_ENOTSUP;
}

/* The nearest level, a tie going away from NORMAL as Linux reads nice -5:
 * IDLE, LOWEST, BELOW_NORMAL (and REALTIME_PRIORITY_CLASS's -3..-7) are
 * LOW; ABOVE_NORMAL and HIGHEST (and 3..6) are HIGH; from 9 up, which
 * only TIME_CRITICAL reaches, REALTIME. */
static int win_level_priority(int level)
{
	if (level < 0)
		return VMOSAL_PRIORITY_LOW;
	if (level == 0)
		return VMOSAL_PRIORITY_NORMAL;
	return level < 9 ? VMOSAL_PRIORITY_HIGH : VMOSAL_PRIORITY_REALTIME;
}

int win_thread_set_priority(uint64_t tid, int prio)
{
	HANDLE h;
	int level, rc = win_priority_of(prio, &level);

	if (rc != 0)
		return rc;
	/* Windows takes THREAD_SET_LIMITED_INFORMATION too; Wine only this. */
	rc = win_thread_open(tid, THREAD_SET_INFORMATION, &h);
	if (rc != 0)
		return rc;
	if (!SetThreadPriority(h, level))
		rc = win_thread_error();
	win_thread_close(tid, h);
	return rc;
}

/* Windows has one realtime level a thread may take by itself,
 * THREAD_PRIORITY_TIME_CRITICAL: every policy and level (thread.h) maps to
 * it; the process's priority class is left alone. */
int win_thread_set_realtime(uint64_t tid, int policy, int level)
{
	if ((policy != VMOSAL_RT_FIFO && policy != VMOSAL_RT_RR) || level < 1 ||
	    level > VMOSAL_RT_LEVEL_MAX)
		return VMOSAL_ENOTSUP;
	return win_thread_set_priority(tid, VMOSAL_PRIORITY_REALTIME);
}

int win_thread_get_priority(uint64_t tid, int *prio)
{
	HANDLE h;
	int level, rc = win_thread_open(tid, THREAD_QUERY_LIMITED_INFORMATION, &h);

	if (rc != 0)
		return rc;
	level = GetThreadPriority(h);
	if (level == THREAD_PRIORITY_ERROR_RETURN)
		rc = win_thread_error();
	win_thread_close(tid, h);
	if (rc == 0)
		*prio = win_level_priority(level);
	return rc;
}

/* ---- names ----
 * SetThreadDescription/GetThreadDescription arrived in Windows 10 1607 and
 * are missing from some Wine versions: found at run time, in kernelbase
 * (where they live) or kernel32 (which forwards them). */

typedef HRESULT(WINAPI *win_set_desc_fn)(HANDLE, PCWSTR);
typedef HRESULT(WINAPI *win_get_desc_fn)(HANDLE, PWSTR *);

static win_set_desc_fn win_set_desc;
static win_get_desc_fn win_get_desc;
static INIT_ONCE win_desc_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK win_desc_init(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	(void)once;
	(void)param;
	(void)ctx;
	win_set_desc = (win_set_desc_fn)win_kernel_proc("SetThreadDescription");
	win_get_desc = (win_get_desc_fn)win_kernel_proc("GetThreadDescription");
	return TRUE;
}

static int win_hresult_error(HRESULT hr)
{
	if (hr == E_OUTOFMEMORY)
		return VMOSAL_ENOMEM;
	if (HRESULT_FACILITY(hr) == FACILITY_WIN32)
		return win_error_from((DWORD)HRESULT_CODE(hr));
	return VMOSAL_EUNKNOWN;
}

int win_thread_set_name(uint64_t tid, const char *name)
{
	wchar_t *wide;
	HRESULT hr;
	HANDLE h;
	int n, rc;

	InitOnceExecuteOnce(&win_desc_once, win_desc_init, NULL, NULL);
	if (win_set_desc == NULL)
		return VMOSAL_ENOTSUP;
	if (strlen(name) > WIN_THREAD_NAME_MAX)
		return VMOSAL_ERANGE;
	/* Invalid UTF-8 is refused rather than stored as U+FFFD. */
	n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, name, -1, NULL, 0);
	if (n <= 0)
		return GetLastError() == ERROR_NO_UNICODE_TRANSLATION ? VMOSAL_EINVAL
								     : win_last_error();
	wide = malloc((size_t)n * sizeof *wide);
	if (wide == NULL)
		return VMOSAL_ENOMEM;
	MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, name, -1, wide, n);
	rc = win_thread_open(tid, THREAD_SET_LIMITED_INFORMATION, &h);
	if (rc == 0) {
		hr = win_set_desc(h, wide);
		if (FAILED(hr))
			rc = win_hresult_error(hr);
		win_thread_close(tid, h);
	}
	free(wide);
	return rc;
}

int win_thread_get_name(uint64_t tid, char *buf, size_t len)
{
	wchar_t *wide = NULL;
	HRESULT hr;
	HANDLE h;
	int n, rc;

	InitOnceExecuteOnce(&win_desc_once, win_desc_init, NULL, NULL);
	if (win_get_desc == NULL)
		return VMOSAL_ENOTSUP;
	rc = win_thread_open(tid, THREAD_QUERY_LIMITED_INFORMATION, &h);
	if (rc != 0)
		return rc;
	hr = win_get_desc(h, &wide);
	win_thread_close(tid, h);
	if (FAILED(hr))
		return win_hresult_error(hr);
	if (wide == NULL)
		return VMOSAL_EUNKNOWN;
	/* The size in bytes with the NUL; what does not fit is ERANGE. */
	n = WideCharToMultiByte(CP_UTF8, 0, wide, -1, NULL, 0, NULL, NULL);
	if (n <= 0)
		rc = win_last_error();
	else if ((size_t)n > len)
		rc = VMOSAL_ERANGE;
	else if (WideCharToMultiByte(CP_UTF8, 0, wide, -1, buf, n, NULL, NULL) != n)
		rc = win_last_error();
	LocalFree(wide);
	return rc;
}

/* ---- wait/wake: WaitOnAddress ----
 * WaitOnAddress is not an alertable wait: an APC (the kick) does not end
 * it, so wait_u32 never returns VMOSAL_EINTR here; the core re-checks its
 * word after every return in any case. Its timeout is whole milliseconds
 * and ends on a tick of the system clock (15.6 ms by default), and no
 * timer can end it: the core only waits here without a limit. */

static uint64_t win_qpc_ns(void)
{
	LARGE_INTEGER freq, now;
	uint64_t f, t;

	/* Neither fails since Windows XP; the frequency is a read of shared
	 * memory, cheaper than caching it without a race. */
	QueryPerformanceFrequency(&freq);
	QueryPerformanceCounter(&now);
	f = (uint64_t)freq.QuadPart;
	t = (uint64_t)now.QuadPart;
	return t / f * 1000000000u + t % f * 1000000000u / f;
}

/* ns as whole milliseconds rounded up, below INFINITE. */
static DWORD win_ms_up(uint64_t ns)
{
	uint64_t ms = ns / 1000000u + (ns % 1000000u != 0);

	return ms >= INFINITE ? INFINITE - 1 : (DWORD)ms;
}

int win_wait_u32(const uint32_t *addr, uint32_t expected, int64_t timeout_ns)
{
	volatile void *word = (volatile void *)addr;
	uint64_t start, elapsed = 0;

	/* TRUE when woken, or at once when *addr != expected. */
	if (timeout_ns < 0) {
		if (WaitOnAddress(word, &expected, sizeof expected, INFINITE))
			return 0;
		return win_last_error();
	}
	start = win_qpc_ns();
	for (;;) {
		if (WaitOnAddress(word, &expected, sizeof expected,
				  win_ms_up((uint64_t)timeout_ns - elapsed)))
			return 0;
		if (GetLastError() != ERROR_TIMEOUT)
			return win_last_error();
		/* Timer ticks can end a wait a little short of its milliseconds,
		 * and a limit past 49 days takes more than one wait: time out
		 * only once the whole limit has passed. */
		elapsed = win_qpc_ns() - start;
		if (elapsed >= (uint64_t)timeout_ns)
			return VMOSAL_ETIMEDOUT;
	}
}

int win_wake_u32(const uint32_t *addr, bool all)
{
	if (all)
		WakeByAddressAll((void *)addr);
	else
		WakeByAddressSingle((void *)addr);
	return 0;
}
