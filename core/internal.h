/* Core-private declarations: nothing here is exported. */
#ifndef VMOSAL_CORE_INTERNAL_H
#define VMOSAL_CORE_INTERNAL_H

#include <stdatomic.h>

#include "vmosal.h"
#include "vmosal/backend.h"

#if defined(__GNUC__)
/* Thread-locals read in signal context: initial-exec, so that no access
 * can ever allocate. */
#define VMOSAL__SIGNAL_TLS _Thread_local __attribute__((tls_model("initial-exec")))
#define VMOSAL__LIKELY(x) __builtin_expect(!!(x), 1)
#define VMOSAL__UNLIKELY(x) __builtin_expect(!!(x), 0)
#if defined(__MINGW32__)
#define VMOSAL__PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#else
#define VMOSAL__PRINTF(f, a) __attribute__((format(printf, f, a)))
#endif
#else
#define VMOSAL__SIGNAL_TLS _Thread_local
#define VMOSAL__LIKELY(x) (x)
#define VMOSAL__UNLIKELY(x) (x)
#define VMOSAL__PRINTF(f, a)
#endif

/* A store to a byte another thread writes too (KVM's immediate_exit),
 * atomic where the compiler can say so. */
static inline void vmosal__store_byte(volatile uint8_t *p, uint8_t v)
{
#if defined(__GNUC__)
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
#else
	*p = v;
#endif
}

/* What the core knows once a backend is loaded. Written under the loader
 * lock before vmosal__loaded is published; read-only after that. */
struct vmosal__state {
	/* What every dispatched call reads comes first, on one cache line:
	 * each extra page a call touches costs a TLB miss after a syscall. */
	const struct vmosal_backend_ops *ops; /* &table */
	uint32_t groups; /* VMOSAL_SLOT_* groups whose every slot is filled */
	/* The plugin's table as this core's full struct: slots past the
	 * plugin's struct_size are NULL, so no call checks sizes. */
	struct vmosal_backend_ops table;
	struct vmosal_backend_caps caps;
	struct vmosal_backend_host host;
	char path[4096];
};

/* The first released size of each public struct: a caller's struct_size
 * below it is VMOSAL_EINVAL. When a member is appended to a struct, its
 * entry here stays at the old size (offsetof the new member). */
#define VMOSAL__MIN_THREAD_OPTS offsetof(struct vmosal_thread_opts, flags)
#define VMOSAL__MIN_GUEST_RAM_OPTIONS sizeof(struct vmosal_guest_ram_options)
#define VMOSAL__MIN_GUEST_RAM sizeof(struct vmosal_guest_ram)
#define VMOSAL__MIN_JIT sizeof(struct vmosal_jit)
#define VMOSAL__MIN_HUGE_PAGE_SIZES sizeof(struct vmosal_huge_page_sizes)
#define VMOSAL__MIN_HUGE_PAGE_POOL sizeof(struct vmosal_huge_page_pool)
#define VMOSAL__MIN_HOST_MEMORY sizeof(struct vmosal_host_memory)
#define VMOSAL__MIN_ACCEL_STATUS sizeof(struct vmosal_accel_status)
#define VMOSAL__MIN_HOST_CAPS sizeof(struct vmosal_host_caps)
#define VMOSAL__MIN_BACKEND_INFO sizeof(struct vmosal_backend_info)
#define VMOSAL__MIN_TOPOLOGY_COUNTS sizeof(struct vmosal_topology_counts)
#define VMOSAL__MIN_PU_INFO sizeof(struct vmosal_pu_info)

/* Copies a caller's input struct (NULL: all defaults) into dst, the core's
 * own sizeof(*dst) bytes, zero-filling what an older caller's struct lacks.
 * VMOSAL_EINVAL below min_size or more than a page past it (struct.c);
 * VMOSAL_ENOTSUP when a newer caller set a member this library does not
 * know. */
int vmosal__struct_in(void *dst, size_t dst_size, const void *src, size_t min_size);
/* 0 when out can take a struct of at least min_size bytes (out non-NULL,
 * its struct_size large enough and at most a page past it), else
 * VMOSAL_EINVAL. */
int vmosal__struct_out_check(const void *out, size_t min_size);
/* Writes the core's filled struct src (src_size bytes, its struct_size
 * ignored) into the caller's out: as much as out->struct_size holds, zeros
 * after, out->struct_size kept. */
void vmosal__struct_out(void *out, const void *src, size_t src_size);

extern struct vmosal__state vmosal__state;
extern _Atomic(const struct vmosal__state *) vmosal__loaded;

const struct vmosal__state *vmosal__load_slow(void);

/* The loaded state, loading on first use; NULL when no backend loads. */
static inline const struct vmosal__state *vmosal__get(void)
{
	const struct vmosal__state *s =
		atomic_load_explicit(&vmosal__loaded, memory_order_acquire);
	if (VMOSAL__LIKELY(s != NULL))
		return s;
	return vmosal__load_slow();
}

/* The prologue of every call that goes to the backend: the loaded state in
 * *out, with every slot of groups (VMOSAL_SLOT_*, backend.h) filled.
 * Returns 0, VMOSAL_EBACKEND when no backend loads, or VMOSAL_ENOTSUP when
 * the backend lacks the group. */
static inline int vmosal__ready(const struct vmosal__state **out, uint32_t groups)
{
	const struct vmosal__state *s = vmosal__get();

	*out = s;
	if (VMOSAL__UNLIKELY(s == NULL))
		return VMOSAL_EBACKEND;
	return VMOSAL__LIKELY((s->groups & groups) == groups) ? 0 : VMOSAL_ENOTSUP;
}

/* The same for one optional slot m outside any group. */
static inline int vmosal__ready_slot(const struct vmosal__state **out, size_t offset)
{
	int rc = vmosal__ready(out, 0);
	void (*const *slot)(void);

	if (rc != 0)
		return rc;
	slot = (void (*const *)(void))((const char *)(*out)->ops + offset);
	return *slot != NULL ? 0 : VMOSAL_ENOTSUP;
}
#define VMOSAL__READY_SLOT(out, m) vmosal__ready_slot((out), offsetof(struct vmosal_backend_ops, m))

/* ---- loader.c: finding plugins and checking them against the ABI ---- */

struct vmosal__plugin {
	void *dso;
	const struct vmosal_backend_ops *ops;
	size_t usable; /* bytes of *ops this core reads */
	char path[4096];
};
/* Opens one file and checks its table (major, size for its minor, name,
 * mandatory slots); false with the reasons recorded. */
bool vmosal__plugin_open(const char *path, struct vmosal__plugin *out);
void vmosal__plugin_close(struct vmosal__plugin *p);
/* True when the plugin called back into libvmosal since plugin_open. */
bool vmosal__plugin_reentered(void);
/* Copies the plugin's table into t, this core's full-size one (slots past
 * its struct_size NULL), and stores which VMOSAL_SLOT_* groups it fills. */
void vmosal__plugin_adopt(const struct vmosal__plugin *p, struct vmosal_backend_ops *t,
			  uint32_t *groups);
/* Offers each candidate for spec to use() until one is taken: a path
 * itself; a name as vmosal_<name><module suffix> in near (a layer's own
 * directory) if not NULL, then VMOSAL_BACKEND_PATH when use_env_path, then
 * the installed directory. A candidate present but refused ends the
 * search: no silent substitute. */
typedef bool (*vmosal__plugin_use_fn)(const char *path);
bool vmosal__plugin_find(const char *spec, bool use_env_path, const char *near,
			 vmosal__plugin_use_fn use);
/* Messages for vmosal_backend_error(): why candidates were refused, and
 * notices about the environment. Written under the loader lock. */
void vmosal__loader_refuse(const char *path, const char *fmt, ...) VMOSAL__PRINTF(2, 3);
void vmosal__loader_note(const char *what, const char *fmt, ...) VMOSAL__PRINTF(2, 3);
int vmosal__loader_messages(char *buf, size_t len);
/* Brackets one load on the loading thread: clears the messages, then
 * keeps the refusals only when it failed. */
void vmosal__loader_begin(void);
void vmosal__loader_end(bool ok);
/* True on the thread inside vmosal__loader_begin/end. */
bool vmosal__loader_loading(void);

/* ---- debug output (VMOSAL_DEBUG=topic[,topic...] or all) ---- */
bool vmosal__debug_enabled(const char *topic);
void vmosal__debug(const char *topic, const char *fmt, ...) VMOSAL__PRINTF(2, 3);

/* ---- host layer: the few things the loader needs from the OS ----
 * core/host/<os>.c implements these; configure picks the file, so no other
 * core file tests the OS. */

/* getenv() that returns NULL when the process has elevated privileges. */
const char *vmosal__secure_getenv(const char *name);
/* True when the process runs with elevated privileges (AT_SECURE). */
bool vmosal__privileged(void);
void vmosal__loader_lock(void);
void vmosal__loader_unlock(void);
/* loader.c: true when the calling thread is loading a backend, i.e. a plugin
 * calls back in while it loads; the plugin is then refused. A caller about
 * to take the loader lock returns VMOSAL_EBACKEND instead of deadlocking. */
bool vmosal__loader_reentry(void);
/* Opens a module with its symbols kept local; NULL with *err set on failure. */
void *vmosal__dso_open(const char *path, char *err, size_t errlen);
void *vmosal__dso_sym(void *dso, const char *name);
void vmosal__dso_close(void *dso);
/* Called by the host layer when libvmosal is unloaded or the process exits:
 * lets the loaded backend clean up (its fini slot). */
void vmosal__unload(void);
/* Separator of VMOSAL_BACKEND_PATH entries, and whether s names a path. */
char vmosal__path_list_separator(void);
/* Separator between a directory and a file in it. */
char vmosal__dir_separator(void);
/* The installed backend directory into buf: configure's on POSIX, found
 * from libvmosal's own DLL on Windows; false when it cannot be had. */
bool vmosal__backend_dir(char *buf, size_t len);
bool vmosal__is_path(const char *s);

/* The registry lock: signal installations and kick set-up. Fork-safe. */
void vmosal__registry_lock(void);
void vmosal__registry_unlock(void);

/* signal.c: core service signal_dispatch, called in signal context. */
void vmosal__signal_dispatch(const struct vmosal_siginfo *info, void *os_context);
/* Runs fn under the fault guard with SEGV and BUS installed in the
 * registry; 0 (fn's value in *fn_result), VMOSAL_EFAULT, or an error. */
int vmosal__fault_guard(const struct vmosal__state *s, int (*fn)(void *), void *arg,
			struct vmosal_siginfo *fault, int *fn_result);

/* event.c: a blocking wait that ends with VMOSAL_EINTR only for a kick.
 * try makes one wait of at most timeout_ns (negative: no limit) with the
 * kick rule (event_wait_kick's); on VMOSAL_EINTR with no kick pending (a
 * handler of another signal ran) it is called again with what is left of
 * the timeout, or VMOSAL_ETIMEDOUT when nothing is. */
typedef int (*vmosal__wait_try)(const struct vmosal__state *s, void *ctx, int64_t timeout_ns,
				const uint32_t *kick);
int vmosal__kick_wait(const struct vmosal__state *s, vmosal__wait_try try, void *ctx,
		      int64_t timeout_ns, const uint32_t *kick);

/* kick.c: core service kick_received, in the kicked thread's signal
 * context (or APC). */
void vmosal__kick_received(void);
/* The calling thread's pending-kick flag (non-zero: kicked), which every
 * blocking wait looks at (vmosal.h). */
_Atomic uint32_t *vmosal__kick_flag(void);
/* Gives back the calling thread's kick slot, at the end of a thread
 * libvmosal started. */
void vmosal__kick_forget_self(void);
/* In a forked child: forgets every kick registration (the child must
 * register again). */
void vmosal__kick_after_fork(void);
/* tid has a kick registration. */
bool vmosal__kick_known(uint64_t tid);

/* Forgets the calling thread's cached tid, and the threads known to be
 * ours: a forked child's only thread has a tid of its own. */
void vmosal__thread_forget_self(void);
/* Core service tid_known: tid is a running thread that libvmosal started,
 * or one registered for kicks. No system call. */
bool vmosal__tid_known(uint64_t tid);

/* Blocks while *word == expected (no spinning); spurious returns allowed.
 * Wakes one or all waiters on word. Both go through the backend's
 * wait/wake slots. */
void vmosal__wait(const struct vmosal__state *s, _Atomic uint32_t *word, uint32_t expected);
void vmosal__wake(const struct vmosal__state *s, _Atomic uint32_t *word, bool all);

/* Core-internal threads (preallocation workers and the like), started
 * through the backend; fn runs with no affinity or priority applied. */
int vmosal__thread_start(void *(*fn)(void *), void *arg, void **handle);
int vmosal__thread_join(void *handle, void **result);

/* What vmosal_thread_set_affinity achieves: the backend's binding, or
 * hwloc's when the backend has none. */
uint32_t vmosal__affinity_kind(const struct vmosal__state *s);

/* Alignment of mapping addresses and offsets: the page size, or the
 * backend's coarser granularity (Windows: 64 KiB). */
uint64_t vmosal__map_align(const struct vmosal__state *s);

/* Reserves through the backend with alignment raised to the granularity. */
int vmosal__reserve(const struct vmosal__state *s, size_t size, size_t alignment,
		    size_t align_offset, void **out);
/* The backend's page sizes, validated and sorted smallest first. */
int vmosal__huge_page_sizes(const struct vmosal__state *s, struct vmosal_backend_huge_page_sizes *out);
/* floor(log2(v)); 0 for 0 and 1. */
unsigned vmosal__log2(uint64_t v);

/* The memory range rules of memory.h: addr non-NULL and page-aligned, size
 * > 0, no wrap-around once rounded to pages. 0 or VMOSAL_EINVAL/EOVERFLOW. */
int vmosal__check_range(const struct vmosal__state *s, const void *addr, size_t size);

/* hwloc topology, loaded once without moving the calling thread. NULL with
 * *err set when hwloc fails. Shared by topology, affinity and NUMA code. */
struct hwloc_topology;
struct hwloc_topology *vmosal__topology(int *err);
/* A new hwloc bitmap of cpus[0..n) (each <= INT_MAX); NULL when out of
 * memory. Free it with hwloc_bitmap_free. */
struct hwloc_bitmap_s;
struct hwloc_bitmap_s *vmosal__cpuset_of(const size_t *cpus, size_t n);

#endif
