/* Fuzzes affinity and priority: fuzzed tids (the harness thread, a second
 * harness thread, or ids that are no thread of this process), CPU lists of
 * any length and content, and priorities in and out of range. Checks what
 * thread.h promises: a refused call changes nothing, a tid outside the
 * process is never acted on, what is set reads back. The two harness
 * threads get their mask and priority back after every input. */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fuzz.h"
#include "vmosal.h"

#define MAX_CALLS 32
#define MAX_CPUS 4096

static vmosal_tid_t self_tid, other_tid;
static size_t possible;
/* Each harness thread's mask and priority before the first input. */
static size_t *self_mask, *other_mask;
static size_t self_mask_n, other_mask_n;
static enum vmosal_priority self_prio, other_prio;
/* Without privilege a lowered priority cannot be raised back, so the
 * harness threads are then only asked for their level or a higher one. */
static bool can_restore_priority;

static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cond = PTHREAD_COND_INITIALIZER;

/* The second harness thread: asleep for the life of the process. */
static void *park(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&park_lock);
	for (;;)
		pthread_cond_wait(&park_cond, &park_lock);
	return NULL;
}

static void *probe_priority(void *arg)
{
	int *ok = arg;

	*ok = vmosal_thread_set_priority(VMOSAL_TID_SELF, VMOSAL_PRIORITY_LOW) == 0 &&
	      vmosal_thread_set_priority(VMOSAL_TID_SELF, VMOSAL_PRIORITY_NORMAL) == 0;
	return NULL;
}

/* tid's CPUs in a fresh array; FUZZ_FAIL when they cannot be read. */
static size_t *mask_of(vmosal_tid_t tid, size_t *n)
{
	size_t *cpus = calloc(MAX_CPUS, sizeof *cpus);
	int rc;

	FUZZ_ASSERT(cpus != NULL, "calloc");
	rc = vmosal_thread_get_affinity(tid, cpus, MAX_CPUS, n);
	if (rc != 0)
		FUZZ_FAIL("vmosal_thread_get_affinity(%llu): %s", (unsigned long long)tid,
			  vmosal_err_name(rc));
	return cpus;
}

static bool same_mask(const size_t *a, size_t na, const size_t *b, size_t nb)
{
	return na == nb && memcmp(a, b, na * sizeof *a) == 0;
}

static enum vmosal_priority priority_of(vmosal_tid_t tid)
{
	enum vmosal_priority p;
	int rc = vmosal_thread_get_priority(tid, &p);

	if (rc != 0)
		FUZZ_FAIL("vmosal_thread_get_priority(%llu): %s", (unsigned long long)tid,
			  vmosal_err_name(rc));
	return p;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	vmosal_thread_t *t;
	int ok = 0, rc;

	(void)argc;
	(void)argv;
	setenv("VMOSAL_BACKEND_PATH", FUZZ_BACKEND_DIR, 0);
	rc = vmosal_init();
	FUZZ_ASSERT(rc == 0, "vmosal_init");
	FUZZ_ASSERT(vmosal_cpu_count(VMOSAL_CPUS_POSSIBLE, &possible) == 0, "vmosal_cpu_count");
	FUZZ_ASSERT(vmosal_thread_self(&self_tid) == 0, "vmosal_thread_self");
	FUZZ_ASSERT(vmosal_thread_create(NULL, park, NULL, &t) == 0, "vmosal_thread_create");
	FUZZ_ASSERT(vmosal_thread_tid(t, &other_tid) == 0, "vmosal_thread_tid");
	FUZZ_ASSERT(vmosal_thread_create(NULL, probe_priority, &ok, &t) == 0,
		    "vmosal_thread_create");
	FUZZ_ASSERT(vmosal_thread_join(t, NULL) == 0, "vmosal_thread_join");
	can_restore_priority = ok;
	self_mask = mask_of(self_tid, &self_mask_n);
	other_mask = mask_of(other_tid, &other_mask_n);
	self_prio = priority_of(self_tid);
	other_prio = priority_of(other_tid);
	return 0;
}

/* True when tid names a thread of this process (signal 0 only checks). */
static bool in_process(vmosal_tid_t tid)
{
	return tid != 0 && tid <= INT_MAX && syscall(SYS_tgkill, (long)getpid(), (long)tid, 0) == 0;
}

/* A tid, and whether it is one of the two harness threads. */
static vmosal_tid_t pick_tid(struct fuzz_in *in, bool *harness)
{
	uint8_t kind = fuzz_u8(in);
	vmosal_tid_t tid;

	*harness = true;
	switch (kind % 8) {
	case 0:
		return VMOSAL_TID_SELF;
	case 1:
	case 2:
		return self_tid;
	case 3:
	case 4:
		return other_tid;
	case 5:
		tid = fuzz_u64(in);
		break;
	case 6: /* near the ids the kernel hands out */
		tid = fuzz_u16(in);
		break;
	default: {
		static const vmosal_tid_t edges[] = {
			1, (vmosal_tid_t)INT_MAX, (vmosal_tid_t)INT_MAX + 1, UINT32_MAX,
			(vmosal_tid_t)UINT32_MAX + 1, UINT64_MAX,
		};
		tid = edges[fuzz_u8(in) % (sizeof edges / sizeof edges[0])];
		break;
	}
	}
	if (tid == VMOSAL_TID_SELF || tid == self_tid)
		return self_tid;
	if (tid == other_tid)
		return other_tid;
	*harness = false;
	/* Another thread of this process (libFuzzer's own) is left alone. */
	return in_process(tid) ? (vmosal_tid_t)UINT64_MAX : tid;
}

/* A CPU list: short mostly, sometimes long; numbers around the edges of
 * the possible set, far past it, and repeats. NULL with *n 0 or not. */
static size_t *pick_cpus(struct fuzz_in *in, size_t *n)
{
	uint8_t len = fuzz_u8(in);
	size_t *cpus;

	if (len == 0xff) {
		*n = fuzz_u8(in);
		return NULL;
	}
	*n = len < 0xf0 ? len % 9 : (size_t)fuzz_u16(in) % MAX_CPUS;
	cpus = malloc((*n > 0 ? *n : 1) * sizeof *cpus);
	FUZZ_ASSERT(cpus != NULL, "malloc");
	for (size_t i = 0; i < *n; i++) {
		uint8_t how = fuzz_u8(in);
		switch (how % 8) {
		case 0:
		case 1:
		case 2:
			cpus[i] = how / 8 % possible;
			break;
		case 3:
			cpus[i] = possible - 1 + how / 8 % 3;
			break;
		case 4:
			cpus[i] = i > 0 ? cpus[how / 8 % i] : 0;
			break;
		case 5:
			cpus[i] = fuzz_u16(in);
			break;
		case 6:
			cpus[i] = (size_t)fuzz_u64(in);
			break;
		default: {
			static const size_t edges[] = {
				1023, 1024, (size_t)INT_MAX, (size_t)INT_MAX + 1, UINT32_MAX,
				(size_t)UINT32_MAX + 1, SIZE_MAX,
			};
			cpus[i] = edges[how / 8 % (sizeof edges / sizeof edges[0])];
			break;
		}
		}
	}
	return cpus;
}

static bool cpus_valid(const size_t *cpus, size_t n)
{
	if (cpus == NULL || n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (cpus[i] >= possible)
			return false;
	return true;
}

static bool listed(const size_t *cpus, size_t n, size_t cpu)
{
	for (size_t i = 0; i < n; i++)
		if (cpus[i] == cpu)
			return true;
	return false;
}

static void set_affinity(struct fuzz_in *in)
{
	bool harness;
	vmosal_tid_t tid = pick_tid(in, &harness);
	size_t n, before_n = 0, after_n = 0, *cpus = pick_cpus(in, &n);
	size_t *before = harness ? mask_of(tid, &before_n) : NULL, *after;
	int rc = vmosal_thread_set_affinity(tid, cpus, n);

	if (!harness) {
		FUZZ_ASSERT(rc != 0, "vmosal_thread_set_affinity of a thread outside the process");
		if (cpus_valid(cpus, n) && rc != VMOSAL_EACCES)
			FUZZ_ASSERT(rc == VMOSAL_ESRCH, "vmosal_thread_set_affinity, unknown tid");
		free(cpus);
		return;
	}
	after = mask_of(tid, &after_n);
	if (rc != 0) {
		FUZZ_ASSERT(same_mask(before, before_n, after, after_n),
			    "refused vmosal_thread_set_affinity left the mask as it was");
	} else {
		FUZZ_ASSERT(cpus_valid(cpus, n), "vmosal_thread_set_affinity took a bad list");
		FUZZ_ASSERT(after_n > 0, "vmosal_thread_set_affinity");
		for (size_t i = 0; i < after_n; i++)
			FUZZ_ASSERT(listed(cpus, n, after[i]),
				    "the mask holds only the CPUs asked for");
		if (tid == self_tid) {
			size_t cpu;
			if (vmosal_thread_current_cpu(&cpu) == 0)
				FUZZ_ASSERT(listed(after, after_n, cpu),
					    "the harness thread runs inside its mask");
		}
	}
	free(before);
	free(after);
	free(cpus);
}

static void get_affinity(struct fuzz_in *in)
{
	bool harness, no_count = fuzz_u8(in) == 0xff;
	vmosal_tid_t tid = pick_tid(in, &harness);
	size_t capacity = fuzz_u16(in) % (possible + 3), count = SIZE_MAX;
	/* Exactly capacity entries, so that a write past them is caught. */
	size_t *cpus = capacity > 0 ? malloc(capacity * sizeof *cpus) : NULL;
	int rc = vmosal_thread_get_affinity(tid, cpus, capacity, no_count ? NULL : &count);

	if (no_count) {
		FUZZ_ASSERT(rc == VMOSAL_EINVAL, "vmosal_thread_get_affinity, ncpus NULL");
	} else if (!harness) {
		FUZZ_ASSERT(rc == VMOSAL_ESRCH, "vmosal_thread_get_affinity, unknown tid");
	} else if (rc == VMOSAL_ERANGE) {
		FUZZ_ASSERT(count > capacity, "vmosal_thread_get_affinity ERANGE");
	} else {
		FUZZ_ASSERT(rc == 0, "vmosal_thread_get_affinity");
		FUZZ_ASSERT(count > 0 && count <= capacity, "vmosal_thread_get_affinity count");
		for (size_t i = 0; i < count; i++)
			FUZZ_ASSERT(cpus[i] < possible && (i == 0 || cpus[i] > cpus[i - 1]),
				    "vmosal_thread_get_affinity: ascending possible CPUs");
	}
	free(cpus);
}

static void set_priority(struct fuzz_in *in)
{
	bool harness;
	vmosal_tid_t tid = pick_tid(in, &harness);
	uint8_t how = fuzz_u8(in);
	int prio = how % 4;
	enum vmosal_priority before = VMOSAL_PRIORITY_NORMAL;
	int rc;

	if (how >= 0xf8) {
		static const int edges[] = {-1, 4, 5, 255, INT_MAX, INT_MIN, -2, 1 << 16};
		prio = edges[how - 0xf8];
	}
	if (harness) {
		before = priority_of(tid);
		if (!can_restore_priority && prio >= 0 && prio < (int)before)
			return;
	}
	rc = vmosal_thread_set_priority(tid, (enum vmosal_priority)prio);
	if (prio < 0 || prio > VMOSAL_PRIORITY_REALTIME) {
		FUZZ_ASSERT(rc == VMOSAL_EINVAL, "vmosal_thread_set_priority, unknown level");
		return;
	}
	if (!harness) {
		FUZZ_ASSERT(rc == VMOSAL_ESRCH || rc == VMOSAL_ENOTSUP,
			    "vmosal_thread_set_priority, unknown tid");
		return;
	}
	if (rc == 0)
		FUZZ_ASSERT(priority_of(tid) == (enum vmosal_priority)prio,
			    "vmosal_thread_set_priority reads back");
	else
		FUZZ_ASSERT(priority_of(tid) == before,
			    "refused vmosal_thread_set_priority left the thread as it was");
}

static void get_priority(struct fuzz_in *in)
{
	bool harness, no_out = fuzz_u8(in) == 0xff;
	vmosal_tid_t tid = pick_tid(in, &harness);
	enum vmosal_priority p;
	int rc = vmosal_thread_get_priority(tid, no_out ? NULL : &p);

	if (no_out)
		FUZZ_ASSERT(rc == VMOSAL_EINVAL, "vmosal_thread_get_priority, out NULL");
	else if (!harness)
		FUZZ_ASSERT(rc == VMOSAL_ESRCH, "vmosal_thread_get_priority, unknown tid");
	else
		FUZZ_ASSERT(rc == 0 && p <= VMOSAL_PRIORITY_REALTIME, "vmosal_thread_get_priority");
}

static void restore(vmosal_tid_t tid, const size_t *mask, size_t n, enum vmosal_priority prio)
{
	int rc = vmosal_thread_set_affinity(tid, mask, n);

	if (rc != 0)
		FUZZ_FAIL("restoring the mask of %llu: %s", (unsigned long long)tid,
			  vmosal_err_name(rc));
	if (priority_of(tid) != prio && (rc = vmosal_thread_set_priority(tid, prio)) != 0)
		FUZZ_FAIL("restoring the priority of %llu: %s", (unsigned long long)tid,
			  vmosal_err_name(rc));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};

	for (int i = 0; i < MAX_CALLS && in.n > 0; i++) {
		switch (fuzz_u8(&in) % 4) {
		case 0:
			set_affinity(&in);
			break;
		case 1:
			get_affinity(&in);
			break;
		case 2:
			set_priority(&in);
			break;
		default:
			get_priority(&in);
			break;
		}
	}
	restore(self_tid, self_mask, self_mask_n, self_prio);
	restore(other_tid, other_mask, other_mask_n, other_prio);
	return 0;
}
