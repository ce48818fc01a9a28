/* The recording fake backends for the contract suites (tests/contract/),
 * built only for 'make check'.
 *
 * vmosal_fake_record fills every slot of the current ABI; built with
 * RECORD_BARE (vmosal_fake_bare) it fills only the mandatory ones. Its
 * slot list, names and table come from backend_slots.h, so a slot added
 * there does not build here until it has a record_<slot> below. It
 * touches the OS only to start a thread: each call is recorded with its
 * arguments and answered with fixed values (fake_record.h), so a test sees
 * exactly what the core asked the backend and with which translated
 * arguments. Addresses and handles it hands out are made up and never
 * used: the suites never dereference them or close them for real. */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#endif

#include "fake_record.h"

/* One entry per slot a plugin may fill: the loader's and the public
 * calls' (kind loader or call); retired slots have none. */
#define SLOT_ENUM_loader(name) SLOT_##name,
#define SLOT_ENUM_call(name) SLOT_##name,
#define SLOT_ENUM_retired(name)

enum record_slot {
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) SLOT_ENUM_##kind(name)
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT
	SLOT_COUNT
};

#define SLOT_INFO_loader(name, groups) [SLOT_##name] = {#name, groups},
#define SLOT_INFO_call(name, groups) [SLOT_##name] = {#name, groups},
#define SLOT_INFO_retired(name, groups)

static const struct {
	const char *name;
	uint32_t groups; /* VMOSAL_SLOT_MANDATORY, or the groups needing it */
} slot_info[SLOT_COUNT] = {
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) SLOT_INFO_##kind(name, groups)
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT
};

/* Which slots the module fills: all, or the mandatory ones. */
#ifdef RECORD_BARE
#define RECORD_MODULE_NAME VMOSAL_FAKE_BARE_NAME
#define RECORD_FILLS(slot) ((slot_info[slot].groups & VMOSAL_SLOT_MANDATORY) != 0)
#else
#define RECORD_MODULE_NAME VMOSAL_FAKE_RECORD_NAME
#define RECORD_FILLS(slot) ((void)(slot), true)
#endif

#define ADDR VMOSAL_FAKE_ARG_PTR
#define HANDLE_ARG VMOSAL_FAKE_ARG_HANDLE
/* Where made-up addresses start: inside 32 bits, so 32-bit hosts work too. */
#define FAKE_ADDRESS_BASE ((uintptr_t)0x40000000u)

static struct vmosal_fake_call ring[VMOSAL_FAKE_RECORD_RING];
static atomic_size_t calls;
static int fail_code[SLOT_COUNT];
static uintptr_t next_address = FAKE_ADDRESS_BASE;
static int priority = VMOSAL_PRIORITY_NORMAL;
static atomic_uint threads_seen;
/* Initial-exec where glibc allows it in a dlopen'ed module, as the
 * backends' own: dynamic TLS goes through __tls_get_addr, whose records
 * LeakSanitizer finds garbled in forked children (gcc 12: "Tracer caught
 * signal 11" at exit). musl refuses initial-exec there. */
#if defined(__ELF__) && defined(HAVE_GNU_LIBC_VERSION_H)
static _Thread_local uint64_t own_tid __attribute__((tls_model("initial-exec")));
#else
static _Thread_local uint64_t own_tid;
#endif
static const struct vmosal_core_services *core_services;
static _Atomic uint64_t clock_reads;

/* Appends a call and returns the failure programmed for its slot. Workers
 * the core starts may record too, hence the atomic index. */
static int record(enum record_slot slot, const char *text, const uint64_t *args, size_t nargs)
{
	size_t n = atomic_fetch_add(&calls, 1);
	struct vmosal_fake_call *c = &ring[n % VMOSAL_FAKE_RECORD_RING];

	memset(c, 0, sizeof *c);
	c->slot = slot_info[slot].name;
	memcpy(c->args, args, (nargs < VMOSAL_FAKE_RECORD_ARGS ? nargs : VMOSAL_FAKE_RECORD_ARGS) *
				      sizeof *args);
	if (text != NULL)
		snprintf(c->text, sizeof c->text, "%s", text);
	return fail_code[slot];
}

#define RECORD_ARGS(...) \
	(const uint64_t[]){__VA_ARGS__}, sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t)
#define RECORD(slot, ...) record(SLOT_##slot, NULL, RECORD_ARGS(__VA_ARGS__))
#define RECORD_TEXT(slot, text, ...) record(SLOT_##slot, text, RECORD_ARGS(__VA_ARGS__))

/* A made-up address for size bytes where addr + align_offset is a multiple
 * of alignment, a page apart from the previous one. */
static void *fake_address(size_t size, size_t alignment, size_t align_offset)
{
	uintptr_t page = VMOSAL_FAKE_PAGE_SIZE, base;

	if (alignment < page)
		alignment = page;
	base = (next_address + align_offset + alignment - 1) / alignment * alignment - align_offset;
	next_address = base + (size + page - 1) / page * page + page;
	return (void *)base;
}

/* ---- lifecycle and host ---- */

/* The caps the core keeps, which init filled: the granule control
 * changes them later. */
static struct vmosal_backend_caps *core_caps;

static int record_init(const struct vmosal_core_services *core, struct vmosal_backend_caps *caps)
{
	int rc = RECORD(init, ADDR(core), ADDR(caps));

	if (rc != 0)
		return rc;
	caps->flags = VMOSAL_BACKEND_CAP_AFFINITY_OTHER_THREADS | VMOSAL_BACKEND_CAP_REALTIME;
	caps->affinity = VMOSAL_AFFINITY_HARD;
	caps->thread_name_max = VMOSAL_FAKE_THREAD_NAME_MAX;
	caps->map_granularity = 0;
	core_caps = caps;
	core_services = core;
	return 0;
}

static void record_fini(void)
{
	RECORD(fini, 0);
}

static int record_host_info(struct vmosal_backend_host *out)
{
	int rc = RECORD(host_info, ADDR(out));

	if (rc != 0)
		return rc;
	snprintf(out->os, sizeof out->os, "fakeos");
	snprintf(out->os_release, sizeof out->os_release, "1.0-fake");
	snprintf(out->libc, sizeof out->libc, "fakelibc");
	out->page_size = VMOSAL_FAKE_PAGE_SIZE;
	out->cpus_possible = VMOSAL_FAKE_CPUS_POSSIBLE;
	out->cpus_online = VMOSAL_FAKE_CPUS_ONLINE;
	out->cpus_usable = VMOSAL_FAKE_CPUS_USABLE;
	return 0;
}

static int record_host_memory(struct vmosal_backend_host_memory *out)
{
	int rc = RECORD(host_memory, ADDR(out));

	if (rc != 0)
		return rc;
	out->total_bytes = VMOSAL_FAKE_MEM_TOTAL;
	out->available_bytes = VMOSAL_FAKE_MEM_AVAILABLE;
	return 0;
}

/* KVM is there, HVF says why not, WHPX gives no reason (the core words
 * one); anything later is unknown to this backend. */
static int record_accel_probe(int which, struct vmosal_backend_accel *out)
{
	int rc = RECORD(accel_probe, (uint64_t)(int64_t)which, ADDR(out));

	if (rc != 0)
		return rc;
	switch (which) {
	case VMOSAL_ACCEL_KVM:
		out->error = 0;
		return 0;
	case VMOSAL_ACCEL_HVF:
		out->error = VMOSAL_ENOENT;
		snprintf(out->reason, sizeof out->reason, "%s", VMOSAL_FAKE_HVF_REASON);
		return 0;
	case VMOSAL_ACCEL_WHPX:
		out->error = VMOSAL_EACCES;
		return 0;
	default:
		out->error = VMOSAL_ENOTSUP;
		snprintf(out->reason, sizeof out->reason, "fake: unknown accelerator %d", which);
		return VMOSAL_ENOTSUP;
	}
}

/* ---- threads ---- */

struct record_thread {
	void *(*start)(void *);
	void *arg;
	void *result;
};

/* Runs start(arg) on a thread of its own, to completion, before
 * thread_create returns: on the caller's thread the core would take the
 * new thread for its creator (one cached tid) and refuse to join it, and
 * running it through keeps the record in one deterministic order. */
#ifdef _WIN32
static DWORD WINAPI record_thread_main(LPVOID p)
{
	struct record_thread *t = p;

	t->result = t->start(t->arg);
	return 0;
}

static int run_to_completion(struct record_thread *t)
{
	HANDLE h = CreateThread(NULL, 0, record_thread_main, t, 0, NULL);

	if (h == NULL)
		return VMOSAL_EAGAIN;
	WaitForSingleObject(h, INFINITE);
	CloseHandle(h);
	return 0;
}
#else
static void *record_thread_main(void *p)
{
	struct record_thread *t = p;

	t->result = t->start(t->arg);
	return NULL;
}

static int run_to_completion(struct record_thread *t)
{
	pthread_t thread;

	if (pthread_create(&thread, NULL, record_thread_main, t) != 0)
		return VMOSAL_EAGAIN;
	pthread_join(thread, NULL);
	return 0;
}
#endif

static int start_thread(void *(*start)(void *), void *arg, void **handle)
{
	struct record_thread *t = calloc(1, sizeof *t);
	int rc;

	if (t == NULL)
		return VMOSAL_ENOMEM;
	t->start = start;
	t->arg = arg;
	rc = run_to_completion(t);
	if (rc != 0) {
		free(t);
		return rc;
	}
	*handle = t;
	return 0;
}

static int record_thread_create(void *(*start)(void *), void *arg, size_t stack_size,
				void **handle)
{
	int rc = RECORD(thread_create, ADDR(start), ADDR(arg), stack_size, ADDR(handle));

	return rc != 0 ? rc : start_thread(start, arg, handle);
}

static int record_thread_join(void *handle, void **result)
{
	struct record_thread *t = handle;
	int rc = RECORD(thread_join, ADDR(handle), ADDR(result));

	if (rc != 0)
		return rc;
	if (result != NULL)
		*result = t->result;
	free(t);
	return 0;
}

static int record_thread_self(uint64_t *tid)
{
	int rc = RECORD(thread_self, ADDR(tid));

	if (rc != 0)
		return rc;
	if (own_tid == 0)
		own_tid = VMOSAL_FAKE_TID_BASE + atomic_fetch_add(&threads_seen, 1);
	*tid = own_tid;
	return 0;
}

static int record_thread_set_affinity(uint64_t tid, const size_t *cpus, size_t ncpus)
{
	return RECORD(thread_set_affinity, tid, ADDR(cpus), ncpus, cpus[0],
		      ncpus > 1 ? cpus[1] : 0, ncpus > 2 ? cpus[2] : 0);
}

/* Every usable CPU: 0 .. VMOSAL_FAKE_CPUS_USABLE - 1. */
static int record_thread_get_affinity(uint64_t tid, size_t *cpus, size_t capacity,
				      size_t *ncpus)
{
	int rc = RECORD(thread_get_affinity, tid, ADDR(cpus), capacity, ADDR(ncpus));

	if (rc != 0)
		return rc;
	*ncpus = VMOSAL_FAKE_CPUS_USABLE;
	if (capacity < VMOSAL_FAKE_CPUS_USABLE)
		return VMOSAL_ERANGE;
	for (size_t i = 0; i < VMOSAL_FAKE_CPUS_USABLE; i++)
		cpus[i] = i;
	return 0;
}

/* One level for the whole process: enough to read back what was set. */
static int record_thread_set_priority(uint64_t tid, int prio)
{
	int rc = RECORD(thread_set_priority, tid, (uint64_t)(int64_t)prio);

	if (rc == 0)
		priority = prio;
	return rc;
}

static int record_thread_get_priority(uint64_t tid, int *prio)
{
	int rc = RECORD(thread_get_priority, tid, ADDR(prio));

	if (rc == 0)
		*prio = priority;
	return rc;
}

static int record_thread_set_name(uint64_t tid, const char *name)
{
	return RECORD_TEXT(thread_set_name, name, tid, ADDR(name));
}

static int record_thread_get_name(uint64_t tid, char *buf, size_t len)
{
	int rc = RECORD(thread_get_name, tid, ADDR(buf), len);

	if (rc != 0)
		return rc;
	if (len < sizeof VMOSAL_FAKE_THREAD_NAME)
		return VMOSAL_ERANGE;
	memcpy(buf, VMOSAL_FAKE_THREAD_NAME, sizeof VMOSAL_FAKE_THREAD_NAME);
	return 0;
}

static int record_thread_current_cpu(size_t *cpu)
{
	int rc = RECORD(thread_current_cpu, ADDR(cpu));

	if (rc == 0)
		*cpu = VMOSAL_FAKE_CURRENT_CPU;
	return rc;
}

/* ---- waiting on a word ---- */

/* Never blocks: the caller re-checks its word, and thread_create has run
 * the thread through before the core would wait on it. */
static int record_wait_u32(const uint32_t *addr, uint32_t expected, int64_t timeout_ns)
{
	return RECORD(wait_u32, ADDR(addr), expected, (uint64_t)timeout_ns);
}

static int record_wake_u32(const uint32_t *addr, bool all)
{
	return RECORD(wake_u32, ADDR(addr), all);
}

/* ---- memory ---- */

static int record_mem_map(void *addr, size_t size, unsigned prot, unsigned flags,
			  vmosal_handle_t handle, int64_t offset, void **out)
{
	int rc = RECORD(mem_map, ADDR(addr), size, prot, flags, HANDLE_ARG(handle),
			(uint64_t)offset);

	if (rc != 0)
		return rc;
	*out = addr != NULL ? addr : fake_address(size, 0, 0);
	return 0;
}

static int record_mem_unmap(void *addr, size_t size)
{
	return RECORD(mem_unmap, ADDR(addr), size);
}

static int record_mem_protect(void *addr, size_t size, unsigned prot)
{
	return RECORD(mem_protect, ADDR(addr), size, prot);
}

static int record_mem_reserve(size_t size, size_t alignment, size_t align_offset, void **out)
{
	int rc = RECORD(mem_reserve, size, alignment, align_offset, ADDR(out));

	if (rc != 0)
		return rc;
	*out = fake_address(size, alignment, align_offset);
	return 0;
}

static int record_mem_map_reserved(void *addr, size_t size, unsigned prot, unsigned flags,
				   vmosal_handle_t handle, int64_t offset)
{
	return RECORD(mem_map_reserved, ADDR(addr), size, prot, flags, HANDLE_ARG(handle),
		      (uint64_t)offset);
}

static int record_mem_release(void *addr, size_t size)
{
	return RECORD(mem_release, ADDR(addr), size);
}

static int record_mem_advise(void *addr, size_t size, int advice)
{
	return RECORD(mem_advise, ADDR(addr), size, (uint64_t)(int64_t)advice);
}

static int record_mem_lock(void *addr, size_t size)
{
	return RECORD(mem_lock, ADDR(addr), size);
}

static int record_mem_unlock(void *addr, size_t size)
{
	return RECORD(mem_unlock, ADDR(addr), size);
}

static int record_mem_sync(void *addr, size_t size, unsigned flags)
{
	return RECORD(mem_sync, ADDR(addr), size, flags);
}

/* THP on request, and one pool of 2 MiB pages, the default. */
static int record_huge_page_sizes(struct vmosal_backend_huge_page_sizes *out)
{
	int rc = RECORD(huge_page_sizes, ADDR(out));

	if (rc != 0)
		return rc;
	out->thp_mode = VMOSAL_THP_MADVISE;
	out->thp_size = VMOSAL_FAKE_TWO_MIB;
	out->huge_default = VMOSAL_FAKE_TWO_MIB;
	out->huge_count = 1;
	out->huge[0].page_size = VMOSAL_FAKE_TWO_MIB;
	out->huge[0].total = VMOSAL_FAKE_HUGE_TOTAL;
	out->huge[0].free = VMOSAL_FAKE_HUGE_FREE;
	return 0;
}

static int record_mem_populate(void *addr, size_t size)
{
	return RECORD(mem_populate, ADDR(addr), size);
}

static int record_shm_create(const char *name, uint64_t size, unsigned flags,
			     unsigned huge_page_shift, vmosal_handle_t *out)
{
	int rc = RECORD_TEXT(shm_create, name, ADDR(name), size, flags, huge_page_shift);

	if (rc == 0)
		*out = VMOSAL_FAKE_SHM_HANDLE;
	return rc;
}

static int record_handle_close(vmosal_handle_t handle)
{
	return RECORD(handle_close, HANDLE_ARG(handle));
}

static int record_jit_map(size_t size, void **rw, void **rx)
{
	int rc = RECORD(jit_map, size, ADDR(rw), ADDR(rx));

	if (rc != 0)
		return rc;
	*rw = fake_address(size, 0, 0);
	*rx = fake_address(size, 0, 0);
	return 0;
}

static int record_jit_unmap(void *rw, void *rx, size_t size)
{
	return RECORD(jit_unmap, ADDR(rw), ADDR(rx), size);
}

static int record_icache_flush(void *addr, size_t size)
{
	return RECORD(icache_flush, ADDR(addr), size);
}

static int record_jit_write_begin(void *rw, void *rx, size_t size)
{
	return RECORD(jit_write_begin, ADDR(rw), ADDR(rx), size);
}

static int record_jit_write_end(void *rw, void *rx, size_t size)
{
	return RECORD(jit_write_end, ADDR(rw), ADDR(rx), size);
}

/* ---- ABI 2.1: signals ---- */

/* The siginfo of a made-up signal sig. */
static void fake_siginfo(struct vmosal_siginfo *out, int sig)
{
	out->signal = (uint32_t)sig;
	out->os_signal = VMOSAL_FAKE_OS_SIGNAL_BASE + sig;
	out->os_code = VMOSAL_FAKE_SI_CODE;
	out->fault_addr = NULL;
}

static int record_signal_install(int sig)
{
	return RECORD(signal_install, (uint64_t)(int64_t)sig);
}

static int record_signal_restore(int sig)
{
	return RECORD(signal_restore, (uint64_t)(int64_t)sig);
}

static void record_signal_chain(const struct vmosal_siginfo *info, void *os_context)
{
	RECORD(signal_chain, info->signal, (uint64_t)(int64_t)info->os_signal,
	       (uint64_t)(int64_t)info->os_code, ADDR(info->fault_addr), ADDR(os_context));
}

#define SIG_AT(sigs, n, i) ((n) > (i) ? (uint64_t)(int64_t)(sigs)[i] : 0)

static int record_signal_mask(bool block, const int *sigs, size_t n)
{
	return RECORD(signal_mask, block, ADDR(sigs), n, SIG_AT(sigs, n, 0), SIG_AT(sigs, n, 1),
		      SIG_AT(sigs, n, 2));
}

static int record_signal_wait(const int *sigs, size_t n, int64_t timeout_ns,
			      struct vmosal_siginfo *out)
{
	int rc = RECORD(signal_wait, ADDR(sigs), n, (uint64_t)timeout_ns, SIG_AT(sigs, n, 0),
			SIG_AT(sigs, n, 1), ADDR(out));

	if (rc == 0)
		fake_siginfo(out, sigs[0]);
	return rc;
}

static int record_signal_fd_create(const int *sigs, size_t n, vmosal_handle_t *out)
{
	int rc = RECORD(signal_fd_create, ADDR(sigs), n, SIG_AT(sigs, n, 0), SIG_AT(sigs, n, 1),
			ADDR(out));

	if (rc == 0)
		*out = VMOSAL_FAKE_SIGNAL_FD_HANDLE;
	return rc;
}

static int record_signal_fd_read(vmosal_handle_t h, struct vmosal_siginfo *out)
{
	int rc = RECORD(signal_fd_read, HANDLE_ARG(h), ADDR(out));

	if (rc == 0)
		fake_siginfo(out, VMOSAL_SIGUSR1);
	return rc;
}

/* Runs fn, or, with VMOSAL_EFAULT programmed, reports the fault a guarded
 * access would have raised, without running it. */
static int record_fault_guard(int (*fn)(void *), void *arg, struct vmosal_siginfo *fault,
			      int *fn_result)
{
	int rc = RECORD(fault_guard, ADDR(fn), ADDR(arg), ADDR(fault), ADDR(fn_result));

	if (rc == VMOSAL_EFAULT) {
		fake_siginfo(fault, VMOSAL_SIGBUS);
		fault->os_code = VMOSAL_FAKE_FAULT_CODE;
		fault->fault_addr = VMOSAL_FAKE_FAULT_ADDR;
	}
	if (rc != 0)
		return rc;
	*fn_result = fn(arg);
	return 0;
}

/* ---- ABI 2.1: kick ---- */

static int record_kick_setup(int *os_signal)
{
	int rc = RECORD(kick_setup, ADDR(os_signal));

	if (rc == 0)
		*os_signal = VMOSAL_FAKE_KICK_SIGNAL;
	return rc;
}

/* A signal a thread sends itself arrives before the send returns. */
static int record_thread_kick(uint64_t tid)
{
	int rc = RECORD(thread_kick, tid);

	if (rc == 0 && (tid == 0 || (own_tid != 0 && tid == own_tid)))
		core_services->kick_received();
	return rc;
}

/* ---- ABI 2.1: events, clocks, devices ---- */

static int record_event_create(unsigned flags, vmosal_handle_t *out)
{
	int rc = RECORD(event_create, flags, ADDR(out));

	if (rc == 0)
		*out = VMOSAL_FAKE_EVENT_HANDLE;
	return rc;
}

static int record_event_notify(vmosal_handle_t h)
{
	return RECORD(event_notify, HANDLE_ARG(h));
}

static int record_event_wait(vmosal_handle_t h, int64_t timeout_ns)
{
	return RECORD(event_wait, HANDLE_ARG(h), (uint64_t)timeout_ns);
}

static int record_clock_ns(int clock, uint64_t *out)
{
	int rc = RECORD(clock_ns, (uint64_t)(int64_t)clock, ADDR(out));

	if (rc == 0)
		*out = VMOSAL_FAKE_CLOCK_START +
		       VMOSAL_FAKE_CLOCK_STEP * atomic_fetch_add(&clock_reads, 1);
	return rc;
}

static int record_sleep_ns(uint64_t ns)
{
	return RECORD(sleep_ns, ns);
}

static int record_device_open(const char *path, unsigned flags, vmosal_handle_t *out)
{
	int rc = RECORD_TEXT(device_open, path, ADDR(path), flags, ADDR(out));

	if (rc == 0)
		*out = VMOSAL_FAKE_DEVICE_HANDLE;
	return rc;
}

static int record_device_ioctl(vmosal_handle_t h, unsigned long request, void *arg,
			       unsigned flags, int *result)
{
	int rc = RECORD(device_ioctl, HANDLE_ARG(h), request, ADDR(arg), flags, ADDR(result));

	if (rc == 0 && result != NULL)
		*result = VMOSAL_FAKE_IOCTL_RESULT;
	return rc;
}

static int record_process_id(uint64_t *out)
{
	int rc = RECORD(process_id, ADDR(out));

	if (rc == 0)
		*out = VMOSAL_FAKE_PROCESS_ID;
	return rc;
}

static int record_mem_discard(void *addr, size_t size, vmosal_handle_t h, int64_t offset)
{
	return RECORD(mem_discard, ADDR(addr), size, HANDLE_ARG(h), (uint64_t)offset);
}

/* ---- ABI 2.2 ---- */

/* The backend's half of the kick rule: a pending kick ends the wait
 * before the event is looked at. */
static int record_event_wait_kick(vmosal_handle_t h, int64_t timeout_ns,
				  const uint32_t *kick_pending)
{
	uint32_t pending = __atomic_load_n(kick_pending, __ATOMIC_SEQ_CST);
	int rc = RECORD(event_wait_kick, HANDLE_ARG(h), (uint64_t)timeout_ns, ADDR(kick_pending),
			pending);

	if (rc != 0)
		return rc;
	return pending != 0 ? VMOSAL_EINTR : 0;
}

/* thread_create, applying nothing of attr: the core's trampoline does it
 * all in the new thread, as with thread_create. */
static int record_thread_create_attr(void *(*start)(void *), void *arg,
				     struct vmosal_backend_thread_attr *attr, void **handle)
{
	int rc = RECORD(thread_create_attr, ADDR(start), ADDR(arg), attr->stack_size, attr->ncpus,
			attr->realtime,
			(uint64_t)(uint32_t)attr->rt_policy << 32 | (uint32_t)attr->rt_level);

	if (rc != 0)
		return rc;
	attr->applied = 0;
	return start_thread(start, arg, handle);
}

static int record_thread_set_realtime(uint64_t tid, int policy, int level)
{
	return RECORD(thread_set_realtime, tid, (uint64_t)(int64_t)policy,
		      (uint64_t)(int64_t)level);
}

/* ---- ABI 2.4: handles ---- */

static int record_handle_dup(vmosal_handle_t h, vmosal_handle_t *out)
{
	int rc = RECORD(handle_dup, HANDLE_ARG(h), ADDR(out));

	if (rc == 0)
		*out = VMOSAL_FAKE_DUP_HANDLE;
	return rc;
}

static int record_handle_set_inheritable(vmosal_handle_t h, bool inherit)
{
	return RECORD(handle_set_inheritable, HANDLE_ARG(h), inherit);
}

/* ---- ABI 2.5: wait sets, timers, channels ---- */

static int record_waitset_create(unsigned flags, void **ws)
{
	int rc = RECORD(waitset_create, flags, ADDR(ws));

	if (rc == 0)
		*ws = VMOSAL_FAKE_WAITSET;
	return rc;
}

static int record_waitset_destroy(void *ws)
{
	return RECORD(waitset_destroy, ADDR(ws));
}

static int record_waitset_add(void *ws, vmosal_handle_t h, unsigned events, uint64_t token)
{
	return RECORD(waitset_add, ADDR(ws), HANDLE_ARG(h), events, token);
}

static int record_waitset_modify(void *ws, vmosal_handle_t h, unsigned events, uint64_t token)
{
	return RECORD(waitset_modify, ADDR(ws), HANDLE_ARG(h), events, token);
}

static int record_waitset_remove(void *ws, vmosal_handle_t h)
{
	return RECORD(waitset_remove, ADDR(ws), HANDLE_ARG(h));
}

/* Reports one readable handle, token 1, unless a kick is pending. */
static int record_waitset_wait(void *ws, int64_t timeout_ns, struct vmosal_wait_event *ready,
			       size_t capacity, size_t *n, const uint32_t *kick_pending)
{
	uint32_t pending = __atomic_load_n(kick_pending, __ATOMIC_SEQ_CST);
	int rc = RECORD(waitset_wait, ADDR(ws), (uint64_t)timeout_ns, ADDR(ready), capacity, ADDR(n),
			pending);

	if (rc != 0)
		return rc;
	if (pending != 0)
		return VMOSAL_EINTR;
	ready[0] = (struct vmosal_wait_event){.token = 1, .events = VMOSAL_WAIT_READABLE};
	*n = 1;
	return 0;
}

static int record_timer_create(int clock, unsigned flags, vmosal_handle_t *out)
{
	int rc = RECORD(timer_create, (uint64_t)clock, flags, ADDR(out));

	if (rc == 0)
		*out = VMOSAL_FAKE_TIMER_HANDLE;
	return rc;
}

static int record_timer_arm(vmosal_handle_t h, uint64_t first_ns, uint64_t period_ns)
{
	return RECORD(timer_arm, HANDLE_ARG(h), first_ns, period_ns);
}

static int record_timer_read(vmosal_handle_t h, uint64_t *expirations)
{
	int rc = RECORD(timer_read, HANDLE_ARG(h), ADDR(expirations));

	if (rc == 0)
		*expirations = VMOSAL_FAKE_COUNT;
	return rc;
}

static int record_event_read(vmosal_handle_t h, uint64_t *count)
{
	int rc = RECORD(event_read, HANDLE_ARG(h), ADDR(count));

	if (rc == 0)
		*count = VMOSAL_FAKE_COUNT;
	return rc;
}

static int record_channel_pair(unsigned flags, vmosal_handle_t *out)
{
	int rc = RECORD(channel_pair, flags, ADDR(out));

	if (rc == 0) {
		out[0] = VMOSAL_FAKE_CHANNEL_HANDLE;
		out[1] = (vmosal_handle_t)((intptr_t)VMOSAL_FAKE_CHANNEL_HANDLE + 1);
	}
	return rc;
}

static int record_channel_listen(const char *name, unsigned flags, vmosal_handle_t *out)
{
	int rc = RECORD_TEXT(channel_listen, name, ADDR(name), flags, ADDR(out));

	if (rc == 0)
		*out = VMOSAL_FAKE_CHANNEL_HANDLE;
	return rc;
}

static int record_channel_accept(vmosal_handle_t listener, int64_t timeout_ns,
				 vmosal_handle_t *out, const uint32_t *kick_pending)
{
	uint32_t pending = __atomic_load_n(kick_pending, __ATOMIC_SEQ_CST);
	int rc = RECORD(channel_accept, HANDLE_ARG(listener), (uint64_t)timeout_ns, ADDR(out),
			pending);

	if (rc != 0)
		return rc;
	if (pending != 0)
		return VMOSAL_EINTR;
	*out = VMOSAL_FAKE_CHANNEL_HANDLE;
	return 0;
}

static int record_channel_connect(const char *name, unsigned flags, vmosal_handle_t *out)
{
	int rc = RECORD_TEXT(channel_connect, name, ADDR(name), flags, ADDR(out));

	if (rc == 0)
		*out = VMOSAL_FAKE_CHANNEL_HANDLE;
	return rc;
}

static int record_channel_send(vmosal_handle_t h, const void *buf, size_t len,
			       const vmosal_handle_t *handles, size_t nhandles)
{
	return RECORD(channel_send, HANDLE_ARG(h), ADDR(buf), len, ADDR(handles), nhandles);
}

/* Receives one byte, 0x5a, and no handles, unless a kick is pending. */
static int record_channel_recv(vmosal_handle_t h, void *buf, size_t capacity, size_t *len,
			       vmosal_handle_t *handles, size_t handle_capacity, size_t *nhandles,
			       int64_t timeout_ns, const uint32_t *kick_pending)
{
	uint32_t pending = __atomic_load_n(kick_pending, __ATOMIC_SEQ_CST);
	int rc = RECORD(channel_recv, HANDLE_ARG(h), ADDR(buf), capacity, ADDR(len), ADDR(handles),
			handle_capacity, ADDR(nhandles), (uint64_t)timeout_ns, pending);

	if (rc != 0)
		return rc;
	if (pending != 0)
		return VMOSAL_EINTR;
	((unsigned char *)buf)[0] = 0x5a;
	*len = 1;
	*nhandles = 0;
	return 0;
}

static int record_channel_peer_pid(vmosal_handle_t h, uint64_t *pid)
{
	int rc = RECORD(channel_peer_pid, HANDLE_ARG(h), ADDR(pid));

	if (rc == 0)
		*pid = VMOSAL_FAKE_PEER_PID;
	return rc;
}

static int record_signal_ignore(int sig, bool ignore)
{
	return RECORD(signal_ignore, (uint64_t)sig, ignore);
}

/* ---- the table, and the test's controls ---- */

static struct vmosal_backend_ops record_ops = {
	.abi_version = VMOSAL_BACKEND_ABI,
	.struct_size = sizeof(struct vmosal_backend_ops),
	.name = RECORD_MODULE_NAME,
};

#define SLOT_FN_loader(name)            \
	if (RECORD_FILLS(SLOT_##name)) \
		record_ops.name = record_##name;
#define SLOT_FN_call(name) SLOT_FN_loader(name)
#define SLOT_FN_retired(name)

/* Fills the table from the slot list: a slot without its record_<slot>
 * above does not compile. */
static void fill_ops(void)
{
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) SLOT_FN_##kind(name)
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT
}

static int slot_by_name(const char *name)
{
	for (int i = 0; name != NULL && i < SLOT_COUNT; i++)
		if (slot_info[i].name != NULL && strcmp(slot_info[i].name, name) == 0)
			return RECORD_FILLS(i) ? i : -1;
	return -1;
}

void vmosal_fake_record_reset(void)
{
	atomic_store(&calls, 0);
	memset(fail_code, 0, sizeof fail_code);
	next_address = FAKE_ADDRESS_BASE;
	priority = VMOSAL_PRIORITY_NORMAL;
	atomic_store(&clock_reads, 0);
	vmosal_fake_record_granularity(0);
}

void vmosal_fake_record_granularity(uint64_t bytes)
{
	if (core_caps != NULL)
		core_caps->map_granularity = bytes;
}

size_t vmosal_fake_record_count(void)
{
	return atomic_load(&calls);
}

int vmosal_fake_record_get(size_t index, struct vmosal_fake_call *out)
{
	size_t n = atomic_load(&calls);

	if (index >= n || n - index > VMOSAL_FAKE_RECORD_RING)
		return -1;
	*out = ring[index % VMOSAL_FAKE_RECORD_RING];
	return 0;
}

int vmosal_fake_record_fail(const char *slot, int code)
{
	int i = slot_by_name(slot);

	if (i < 0)
		return -1;
	fail_code[i] = code;
	return 0;
}

void vmosal_fake_record_deliver(const struct vmosal_siginfo *info)
{
	if (core_services != NULL)
		core_services->signal_dispatch(info, NULL);
}

const struct vmosal_backend_ops *vmosal_backend_entry(uint32_t core_abi)
{
	(void)core_abi;
	fill_ops();
	return &record_ops;
}
