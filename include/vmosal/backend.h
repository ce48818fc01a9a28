/* libvmosal backend ABI.
 *
 * This header is the contract between libvmosal's core and an OS backend
 * plugin (backends/linux, backends/darwin, backends/windows, or your own).
 * A plugin is a loadable module that exports exactly one symbol,
 * vmosal_backend_entry, and never links against libvmosal: whatever it needs
 * from the core arrives in struct vmosal_core_services (plugins are linked
 * with the linker's no-undefined check, so a stray core symbol fails the
 * build).
 *
 * Versioning: VMOSAL_BACKEND_ABI is major << 16 | minor. The core refuses a
 * plugin of another major. A minor release only appends members at the end
 * of struct vmosal_backend_ops and of the structs below, so a plugin built
 * against an older minor keeps working: the core reads struct_size and
 * treats slots beyond it as absent. Released slots never move; tests
 * freeze their offsets. Optional slots may be NULL; the core then uses a
 * fallback (hwloc) or returns VMOSAL_ENOTSUP. Mandatory slots are marked
 * [M].
 *
 * The structs here are the backend's own, apart from the public ones in
 * platform.h and memory.h, so that the public API and the ABI can each grow
 * without the other. The core zeroes each one and sets its struct_size
 * before a slot fills it.
 *
 * Conventions for every slot: return 0 or a negative VMOSAL_E* code (never
 * -1 and errno); the core has already validated arguments as the public
 * header documents, so a slot only checks what needs the OS to check. An
 * enum or flag value the backend does not know (one added to the public API
 * after the backend was built) is VMOSAL_ENOTSUP, never an index into a
 * table. */
#ifndef VMOSAL_BACKEND_H
#define VMOSAL_BACKEND_H

#include "common.h"
#include "error.h"

VMOSAL_BEGIN_DECLS

#define VMOSAL_BACKEND_ABI_MAKE(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))
#define VMOSAL_BACKEND_ABI_MAJOR_OF(v) ((uint32_t)(v) >> 16)
#define VMOSAL_BACKEND_ABI_MINOR_OF(v) ((uint32_t)(v) & 0xffffu)
#define VMOSAL_BACKEND_ABI_MAJOR 2
#define VMOSAL_BACKEND_ABI_MINOR 3
#define VMOSAL_BACKEND_ABI VMOSAL_BACKEND_ABI_MAKE(VMOSAL_BACKEND_ABI_MAJOR, VMOSAL_BACKEND_ABI_MINOR)

/* The plugin's one exported symbol. Do not change this name or prototype:
 * every plugin of every ABI version is found through it. It receives the
 * core's ABI version and returns the plugin's static ops table (never NULL
 * for a usable plugin); it must do no other work. */
#define VMOSAL_BACKEND_ENTRY_NAME "vmosal_backend_entry"

/* True when a struct the core passed, of size struct_size, has room for
 * member m; a plugin checks this before writing a member appended after
 * ABI 2.0. */
#define VMOSAL_BACKEND_HAS_MEMBER(ptr, type, m) \
	((ptr)->struct_size >= offsetof(type, m) + sizeof(((type *)0)->m))

/* A signal as the backend saw it; signal is enum vmosal_signal. */
struct vmosal_backend_siginfo {
	uint32_t struct_size;
	uint32_t signal;
	int32_t os_signal;
	int32_t os_code;
	void *fault_addr;
};

/* What the core offers a plugin. */
struct vmosal_core_services {
	uint32_t abi_version; /* the core's VMOSAL_BACKEND_ABI */
	uint32_t struct_size;
	/* getenv() that returns NULL when the process runs with elevated
	 * privileges; plugins must read the environment only through it. */
	const char *(*secure_getenv)(const char *name);
	/* True when VMOSAL_DEBUG names topic (or "all"). */
	bool (*debug_enabled)(const char *topic);
	/* Prints "vmosal: <topic>: <message>\n" to stderr when enabled. */
	void (*debug)(const char *topic, const char *fmt, ...)
#if defined(__MINGW32__)
		/* The core formats with C99's rules, not msvcrt's. */
		__attribute__((format(gnu_printf, 2, 3)))
#elif defined(__GNUC__)
		__attribute__((format(printf, 2, 3)))
#endif
		;
	/* vmosal_strerror(), for messages a backend writes. */
	const char *(*strerror)(int code);

	/* ---- ABI 2.1 ---- */

	/* Every signal the backend's handler catches goes here (in signal
	 * context), unless the fault guard took it first. The core calls its
	 * registered handlers, then signal_chain if none dealt with it. */
	void (*signal_dispatch)(const struct vmosal_backend_siginfo *info, void *os_context);
	/* Called in the kicked thread, in signal context (or an APC). */
	void (*kick_received)(void);

	/* ---- ABI 2.2 ---- */

	/* True when tid is a thread of this process that the core knows is
	 * alive (one it started, while its function runs, or one registered
	 * for kicks): a slot may then skip its own "is this tid ours" check.
	 * False says nothing. Cheap, no system call; safe from any thread. */
	bool (*tid_known)(uint64_t tid);
};

/* caps->flags */
#define VMOSAL_BACKEND_CAP_AFFINITY_OTHER_THREADS 0x01u /* binds any thread, not only self */
#define VMOSAL_BACKEND_CAP_REALTIME 0x02u               /* the OS has a realtime class */

/* What the OS can do, filled once by init(): data the core branches on,
 * instead of asking "which OS is this". Each field is either used by the
 * core's checks or reported by vmosal_host_caps(). */
struct vmosal_backend_caps {
	uint32_t struct_size;
	uint32_t flags;    /* VMOSAL_BACKEND_CAP_* */
	uint32_t affinity; /* enum vmosal_affinity_kind (thread.h) of thread_set_affinity */
	/* Longest thread name the OS keeps, without the NUL (Linux: 15). */
	uint32_t thread_name_max;
	/* Alignment a mapping's address and file offset need when larger
	 * than the page size (Windows: 64 KiB); 0: the page size. */
	uint64_t map_granularity;
};

/* Host facts read once at initialisation. The core NUL-terminates every
 * string after the slot returns. */
struct vmosal_backend_host {
	uint32_t struct_size;
	char os[16];          /* "linux", "android", "harmonyos", ... */
	char os_release[96];
	char libc[32];
	uint64_t page_size;
	uint64_t cpus_possible;
	uint64_t cpus_online;
	uint64_t cpus_usable;
};

struct vmosal_backend_mem_info {
	uint32_t struct_size;
	uint64_t total_bytes;
	uint64_t available_bytes;
};

struct vmosal_backend_accel {
	uint32_t struct_size;
	int32_t error;    /* 0 when available, else why not (VMOSAL_E*) */
	char reason[160]; /* what a person can do about it; "" when available */
	/* ---- ABI 2.1 ---- */
	uint32_t checks;  /* VMOSAL_ACCEL_CHECK_* (platform.h) that passed */
};

#define VMOSAL_BACKEND_MAX_HUGE_SIZES 16

struct vmosal_backend_huge_pool {
	uint64_t page_size;
	uint64_t total;
	uint64_t free;
};

struct vmosal_backend_page_sizes {
	uint32_t struct_size;
	uint32_t thp_mode;     /* enum vmosal_thp_mode (memory.h) */
	uint64_t thp_size;
	uint64_t huge_default;
	uint32_t huge_count;   /* used entries of huge[], any order */
	struct vmosal_backend_huge_pool huge[VMOSAL_BACKEND_MAX_HUGE_SIZES];
};

/* thread_create_attr's settings. The backend applies each option it can
 * before the thread runs (so their errors come back from the call) and
 * sets its bit in applied; the core's trampoline applies the others in the
 * new thread. */
#define VMOSAL_BACKEND_THREAD_AFFINITY 0x1u /* cpus */
#define VMOSAL_BACKEND_THREAD_REALTIME 0x2u /* rt_policy, rt_level */
/* Not applied but vouched for: the new thread's thread_set_name(0, name)
 * cannot fail for a name the core checked (Linux: PR_SET_NAME), so the
 * creator need not wait to hear how it went. */
#define VMOSAL_BACKEND_THREAD_NAME 0x4u

struct vmosal_backend_thread_attr {
	uint32_t struct_size;
	uint32_t applied;     /* out: VMOSAL_BACKEND_THREAD_* the backend applied */
	size_t stack_size;    /* 0: the OS default */
	const size_t *cpus;   /* ncpus 0: inherit; else checked as for set_affinity */
	size_t ncpus;
	uint32_t realtime;    /* 1: make the thread realtime; 0: inherit */
	int32_t rt_policy;    /* enum vmosal_rt_policy (thread.h) */
	int32_t rt_level;     /* 1..VMOSAL_RT_LEVEL_MAX */
};

struct vmosal_backend_ops {
	uint32_t abi_version; /* VMOSAL_BACKEND_ABI the plugin was built for */
	uint32_t struct_size; /* sizeof(struct vmosal_backend_ops) it was built with */
	const char *name;     /* "linux"; what vmosal_backend_name() returns */

	/* ---- ABI 2.0: lifecycle and host ---- */

	/* [M] Called once, before any other slot. core stays valid for the
	 * life of the process. A negative return refuses the load. */
	int (*init)(const struct vmosal_core_services *core,
		    struct vmosal_backend_caps *caps);
	/* Called once when libvmosal is unloaded or the process exits, after
	 * a successful init. May be NULL. */
	void (*fini)(void);
	/* [M] Fills *out (os, release, libc, page size, CPU counts). */
	int (*host_info)(struct vmosal_backend_host *out);
	/* [M] Physical memory now. */
	int (*mem_info)(struct vmosal_backend_mem_info *out);
	/* [M] Probes accelerator `which` (enum vmosal_accel); fills *out and
	 * returns 0 whether or not it is available. */
	int (*accel_probe)(int which, struct vmosal_backend_accel *out);

	/* ---- ABI 2.0: threads ---- */

	/* [M] Starts an OS thread running start(arg) with the given stack size
	 * (0: the OS default) and returns a handle for thread_join. The core
	 * wraps start in its own trampoline, so the backend applies nothing. */
	int (*thread_create)(void *(*start)(void *), void *arg, size_t stack_size,
			     void **handle);
	/* [M] Waits for the thread, stores its return value if result is not
	 * NULL, and releases the handle. */
	int (*thread_join)(void *handle, void **result);
	/* [M] The caller's OS thread id, never 0; the core caches it per
	 * thread. */
	int (*thread_self)(uint64_t *tid);
	/* In the slots below tid 0 is the calling thread; any other tid must be
	 * a thread of this process, else VMOSAL_ESRCH. A NULL slot makes the
	 * public call VMOSAL_ENOTSUP unless a note says otherwise. */
	/* Binds tid to cpus[0..ncpus) (ncpus > 0, every cpu < cpus_possible
	 * and inside the allowed set: the core checked). Nothing changes on
	 * failure. NULL: the core binds through hwloc (calling thread only). */
	int (*thread_set_affinity)(uint64_t tid, const size_t *cpus, size_t ncpus);
	/* Stores tid's CPUs ascending; more than capacity: VMOSAL_ERANGE with
	 * *ncpus the count needed. NULL: hwloc (calling thread only). */
	int (*thread_get_affinity)(uint64_t tid, size_t *cpus, size_t capacity, size_t *ncpus);
	/* prio is enum vmosal_priority (thread.h). VMOSAL_EPERM, with the
	 * thread's scheduling unchanged, when the caller lacks privilege. */
	int (*thread_set_priority)(uint64_t tid, int prio);
	int (*thread_get_priority)(uint64_t tid, int *prio);
	/* name is 1..caps->thread_name_max bytes. */
	int (*thread_set_name)(uint64_t tid, const char *name);
	/* len > 0; VMOSAL_ERANGE when the name does not fit. */
	int (*thread_get_name)(uint64_t tid, char *buf, size_t len);
	int (*thread_current_cpu)(size_t *cpu);

	/* ---- ABI 2.0: blocking wait on a word ----
	 * The one primitive every blocking wait in libvmosal is built on
	 * (futex on Linux, WaitOnAddress on Windows, __ulock_wait or a
	 * condition variable on Darwin). addr is a 32-bit word other threads
	 * change atomically. */

	/* [M] Blocks while *addr == expected, at most timeout_ns (negative:
	 * no limit). Returns 0 when woken or when *addr differs (spurious
	 * wake-ups allowed: the caller re-checks), VMOSAL_ETIMEDOUT, or
	 * VMOSAL_EINTR when a signal interrupted the wait. A timeout is never
	 * early, and may be late by the OS's timer resolution: on Windows,
	 * WaitOnAddress takes whole milliseconds and ends on a tick of the
	 * system clock (15.6 ms by default); no public call waits with a
	 * timeout here. */
	int (*wait_u32)(const uint32_t *addr, uint32_t expected, int64_t timeout_ns);
	/* [M] Wakes one waiter on addr, or all when all is true. Cannot fail
	 * for a valid addr on any OS; a waiter must never be left asleep, so
	 * the core ignores what it returns. */
	int (*wake_u32)(const uint32_t *addr, bool all);

	/* ---- ABI 2.0: memory ----
	 * prot and flags are VMOSAL_PROT_* / VMOSAL_MAP_* (memory.h), already
	 * validated: known bits only, one of SHARED/PRIVATE, addresses and
	 * offsets aligned to caps->map_granularity (or the page size), no
	 * wrap-around. handle is VMOSAL_NO_HANDLE exactly when ANONYMOUS is
	 * set. A backend whose OS can only unmap or protect what it mapped
	 * itself (Windows) keeps its own record and answers VMOSAL_EINVAL for
	 * other ranges. */

	/* [M] Maps and stores the address in *out; checks that a file's access
	 * mode allows prot (VMOSAL_EACCES) before mapping. A flag the OS
	 * cannot honour is VMOSAL_ENOTSUP; FIXED_NOREPLACE on a taken range is
	 * VMOSAL_EEXIST with nothing changed. */
	int (*mem_map)(void *addr, size_t size, unsigned prot, unsigned flags,
		       vmosal_handle_t handle, int64_t offset, void **out);
	/* [M] */
	int (*mem_unmap)(void *addr, size_t size);
	/* [M] */
	int (*mem_protect)(void *addr, size_t size, unsigned prot);
	/* [M] Reserves size bytes of inaccessible address space, committing
	 * no memory, at a base where base + align_offset is a multiple of
	 * alignment (a power of two >= the granularity; align_offset <
	 * size). Nothing of the slack it took to align may stay behind. */
	int (*mem_reserve)(size_t size, size_t alignment, size_t align_offset, void **out);
	/* [M] Maps into [addr, addr + size) inside one reservation, replacing
	 * reserved pages only (flags without FIXED/FIXED_NOREPLACE). On
	 * failure the range is still reserved. */
	int (*mem_map_reserved)(void *addr, size_t size, unsigned prot, unsigned flags,
				vmosal_handle_t handle, int64_t offset);
	/* [M] Releases a whole reservation from mem_reserve, with whatever
	 * was mapped into it. */
	int (*mem_release)(void *addr, size_t size);
	/* advice is enum vmosal_advice. VMOSAL_ENOTSUP for advice this host
	 * cannot take, or does not know. NULL: every advice is ENOTSUP. */
	int (*mem_advise)(void *addr, size_t size, int advice);
	/* NULL: VMOSAL_ENOTSUP. */
	int (*mem_lock)(void *addr, size_t size);
	int (*mem_unlock)(void *addr, size_t size);
	/* flags: VMOSAL_MS_*, exactly one of ASYNC/SYNC. NULL: ENOTSUP. */
	int (*mem_sync)(void *addr, size_t size, unsigned flags);
	/* Fills the THP and huge page fields. NULL: no huge pages of either
	 * kind. */
	int (*page_sizes)(struct vmosal_backend_page_sizes *out);
	/* Faults in [addr, addr + size) for writing on the calling thread,
	 * without changing contents; VMOSAL_ENOMEM when huge pages or a
	 * memory limit run out. May be called from several threads at once on
	 * disjoint ranges. A backend of ABI 2.1 may let the fault happen
	 * (SIGBUS): the core runs this slot inside its fault guard. One of
	 * ABI 2.0 (no fault_guard slot) must never raise it. NULL:
	 * preallocation is VMOSAL_ENOTSUP. */
	int (*mem_populate)(void *addr, size_t size);
	/* Creates a shared memory object (flags VMOSAL_SHM_*) of size bytes;
	 * with VMOSAL_SHM_HUGETLB, huge_page_shift is log2 of the huge page
	 * size (0: the OS default). The handle is not inherited across exec.
	 * NULL: ENOTSUP. */
	int (*shm_create)(const char *name, uint64_t size, unsigned flags,
			  unsigned huge_page_shift, vmosal_handle_t *out);
	/* Closes a shm_create handle. Mandatory when shm_create is set. */
	int (*shm_close)(vmosal_handle_t handle);
	/* Maps size bytes (page multiple) twice: *rw read-write, *rx
	 * read-execute; never one view writable and executable. NULL: ENOTSUP. */
	int (*jit_map)(size_t size, void **rw, void **rx);
	/* Unmaps both views of a jit_map. Mandatory when jit_map is set. */
	int (*jit_unmap)(void *rw, void *rx, size_t size);
	/* Makes freshly written code in [addr, addr + size) executable
	 * (instruction cache). NULL: the core uses the compiler's
	 * __builtin___clear_cache, right for Linux and macOS. */
	int (*icache_flush)(void *addr, size_t size);

	/* ---- ABI 2.1: signals ----
	 * sig is enum vmosal_signal (signal.h); unknown: VMOSAL_ENOTSUP. A
	 * plugin of ABI 2.0 has none of the slots below: the public calls are
	 * then VMOSAL_ENOTSUP. */

	/* Installs the backend's handler for sig, which calls the core's
	 * signal_dispatch, keeping the disposition it replaces. Called once
	 * per signal until signal_restore. */
	int (*signal_install)(int sig);
	/* Puts back the disposition signal_install replaced, if the
	 * backend's handler is still the one installed; else leaves the
	 * newer one alone. */
	int (*signal_restore)(int sig);
	/* Hands a signal nobody handled to the disposition signal_install
	 * replaced: calls that handler, or lets the default action happen
	 * (a fault is re-raised with the default action and kills). */
	void (*signal_chain)(const struct vmosal_backend_siginfo *info, void *os_context);
	/* Blocks (block true) or unblocks sigs[0..n) for the calling thread. */
	int (*signal_mask)(bool block, const int *sigs, size_t n);
	/* Waits for one of sigs[0..n); timeout_ns < 0: no limit. */
	int (*signal_wait)(const int *sigs, size_t n, int64_t timeout_ns,
			   struct vmosal_backend_siginfo *out);
	/* A pollable, non-blocking, close-on-exec handle for sigs[0..n). */
	int (*signal_fd_open)(const int *sigs, size_t n, vmosal_handle_t *out);
	/* One pending signal from it, or VMOSAL_EAGAIN. */
	int (*signal_fd_read)(vmosal_handle_t h, struct vmosal_backend_siginfo *out);
	/* Closes any handle the slots of this block or the next create. */
	int (*handle_close)(vmosal_handle_t h);
	/* Runs fn(arg); a SIGSEGV or SIGBUS raised by this thread inside it
	 * abandons fn, fills *fault and returns VMOSAL_EFAULT; else stores
	 * fn's return value in *fn_result and returns 0. A fault at an
	 * address below 64 KiB is not taken (fn's NULL dereference: it goes
	 * on as unguarded), nor is one whose guard fn left without returning,
	 * nor a signal the OS says was sent (POSIX: posix_fault_kind); a
	 * fault the OS gives no address for (x86's general protection) is.
	 * The core installed both signals (signal_install) before the first
	 * call and keeps them; every call after may come from a signal
	 * handler, so it takes no lock and makes no system call. */
	int (*fault_guard)(int (*fn)(void *), void *arg, struct vmosal_backend_siginfo *fault,
			   int *fn_result);

	/* ---- ABI 2.1: kick ---- */

	/* Chooses and installs the kick mechanism (POSIX: a free realtime
	 * signal, without SA_RESTART), whose handler calls the core's
	 * kick_received; stores the OS signal number (0: none) in *os_signal.
	 * Called once. */
	int (*kick_setup)(int *os_signal);
	/* Interrupts thread tid of this process (0: the caller); VMOSAL_ESRCH
	 * for any other tid. */
	int (*thread_kick)(uint64_t tid);

	/* ---- ABI 2.1: events, clocks, devices ---- */

	/* flags: 0. */
	int (*event_create)(unsigned flags, vmosal_handle_t *out);
	int (*event_signal)(vmosal_handle_t h);
	/* Returns 0 once signalled (and resets it), VMOSAL_ETIMEDOUT, or
	 * VMOSAL_EINTR when a signal interrupted it (the core decides whether
	 * to wait again). timeout_ns < 0: no limit. */
	int (*event_wait)(vmosal_handle_t h, int64_t timeout_ns);
	/* clock is enum vmosal_clock (event.h). */
	int (*clock_ns)(int clock, uint64_t *out);
	/* Sleeps ns of the monotonic clock, resuming after signals. */
	int (*sleep_ns)(uint64_t ns);
	/* flags: VMOSAL_DEVICE_*. */
	int (*device_open)(const char *path, unsigned flags, vmosal_handle_t *out);
	/* flags: VMOSAL_IOCTL_*. Retries EINTR unless NO_RESTART or the
	 * backend knows the call must return (KVM_RUN). Writes *result (never
	 * NULL: the caller's own int) only on success. */
	int (*device_ioctl)(vmosal_handle_t h, unsigned long request, void *arg, unsigned flags,
			    int *result);
	int (*process_id)(uint64_t *out);
	/* Returns the memory behind [addr, addr + size) of a shared or
	 * file-backed mapping to the OS (the range reads back as zero); h and
	 * offset are the mapping's object and its offset there, or
	 * VMOSAL_NO_HANDLE. VMOSAL_ENOTSUP where the backing cannot. */
	int (*mem_discard)(void *addr, size_t size, vmosal_handle_t h, int64_t offset);

	/* ---- ABI 2.2 ---- */

	/* event_wait that a kick ends: VMOSAL_EINTR, without waiting, while
	 * *kick_pending (the calling thread's flag, which a kicker sets
	 * before it interrupts the thread) is not 0. The flag is read with
	 * the kick signal blocked, and the signal is unblocked only inside
	 * the wait (POSIX: ppoll's or pselect's mask; Windows: an alertable
	 * wait, which the kick's APC ends even when queued before it), so a
	 * kick that lands after the read still ends the wait. VMOSAL_EBADF
	 * when h is not an event. NULL: the core reads the flag, then calls
	 * event_wait, and a kick landing in between is only seen once that
	 * wait ends. */
	int (*event_wait_kick)(vmosal_handle_t h, int64_t timeout_ns,
			       const uint32_t *kick_pending);

	/* thread_create, applying before the thread runs what attr asks and
	 * the OS can (see struct vmosal_backend_thread_attr). An option it
	 * tries and the OS refuses fails the call, with nothing started
	 * (VMOSAL_EPERM for a realtime class without privilege, VMOSAL_EACCES
	 * for CPUs). NULL: the core uses thread_create and applies every
	 * option in the new thread. */
	int (*thread_create_attr)(void *(*start)(void *), void *arg,
				  struct vmosal_backend_thread_attr *attr, void **handle);
	/* Makes tid realtime: policy is enum vmosal_rt_policy, level
	 * 1..VMOSAL_RT_LEVEL_MAX (the core checked both). VMOSAL_EPERM, with
	 * the thread unchanged, without privilege. NULL: only level 1 of
	 * VMOSAL_RT_FIFO is possible, through thread_set_priority. */
	int (*thread_set_realtime)(uint64_t tid, int policy, int level);

	/* ---- ABI 2.3 ---- */

	/* The calling thread's write window on the JIT buffer rw, rx, size
	 * (a jit_map's views; the core checked rw, rx non-NULL and size
	 * not 0). The core counts nesting per thread and calls begin only
	 * for the outermost window, end only when it closes. Where rw == rx
	 * (Apple silicon's MAP_JIT) begin makes the thread's JIT pages
	 * writable, end executable again; where there are two views both
	 * only check their arguments (VMOSAL_EINVAL for views this backend
	 * could not have made). No system call where avoidable; never from
	 * a signal handler. NULL: the core opens windows itself for two
	 * views (rw is writable anyway) and answers VMOSAL_ENOTSUP for one. */
	int (*jit_write_begin)(void *rw, void *rx, size_t size);
	int (*jit_write_end)(void *rw, void *rx, size_t size);
};

typedef const struct vmosal_backend_ops *(*vmosal_backend_entry_fn)(uint32_t core_abi);

#if defined(_WIN32)
#define VMOSAL_BACKEND_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define VMOSAL_BACKEND_EXPORT __attribute__((visibility("default")))
#else
#define VMOSAL_BACKEND_EXPORT
#endif

/* Declared for plugins: each defines it once. */
VMOSAL_BACKEND_EXPORT const struct vmosal_backend_ops *vmosal_backend_entry(uint32_t core_abi);

VMOSAL_END_DECLS

#endif
