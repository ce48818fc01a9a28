/* Core-private declarations: nothing here is exported. */
#ifndef VMOSAL_CORE_INTERNAL_H
#define VMOSAL_CORE_INTERNAL_H

#include <stdatomic.h>

#include "vmosal.h"
#include "vmosal/backend.h"

#if defined(__GNUC__)
#define VMOSAL__LIKELY(x) __builtin_expect(!!(x), 1)
#define VMOSAL__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define VMOSAL__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define VMOSAL__LIKELY(x) (x)
#define VMOSAL__UNLIKELY(x) (x)
#define VMOSAL__PRINTF(f, a)
#endif

/* What the core knows once a backend is loaded. Written under the loader
 * lock before vmosal__loaded is published; read-only after that. */
struct vmosal__state {
	/* What every dispatched call reads comes first, on one cache line:
	 * each extra page a call touches costs a TLB miss after a syscall. */
	const struct vmosal_backend_ops *ops;
	uint32_t ops_size; /* min(plugin struct_size, core's sizeof) */
	struct vmosal_backend_caps caps;
	struct vmosal_backend_host host;
	char path[4096];
};

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

/* Slot `m` of the ops table, or NULL when the plugin's table predates it or
 * leaves it empty: the one place that decides whether an op exists. */
#define VMOSAL__OP(s, m)                                                     \
	((s)->ops_size >= offsetof(struct vmosal_backend_ops, m) +           \
				  sizeof((s)->ops->m)                         \
		 ? (s)->ops->m                                                \
		 : NULL)

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
/* Opens a module with its symbols kept local; NULL with *err set on failure. */
void *vmosal__dso_open(const char *path, char *err, size_t errlen);
void *vmosal__dso_sym(void *dso, const char *name);
void vmosal__dso_close(void *dso);
/* Runs fn in the child after every fork(), in the one thread the child
 * has; 0 or a VMOSAL_E* code. */
int vmosal__on_fork_child(void (*fn)(void));
/* Separator of VMOSAL_BACKEND_PATH entries, and whether s names a path. */
char vmosal__path_list_separator(void);
bool vmosal__is_path(const char *s);

/* Forgets the calling thread's cached tid: a forked child's only thread
 * has a tid of its own. */
void vmosal__thread_forget_self(void);

/* Core-internal threads (preallocation workers and the like), started
 * through the backend; fn runs with no affinity or priority applied. */
int vmosal__thread_start(void *(*fn)(void *), void *arg, void **handle);
int vmosal__thread_join(void *handle, void **result);

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
