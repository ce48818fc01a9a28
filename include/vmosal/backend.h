/* libvmosal backend ABI.
 *
 * This header is the contract between libvmosal's core and an OS backend
 * plugin (backends/linux, backends/darwin, backends/windows, or your own).
 * A plugin is a loadable module that exports exactly one symbol,
 * vmosal_backend_entry, and never links against libvmosal: whatever it needs
 * from the core arrives in struct vmosal_core_services.
 *
 * Versioning: VMOSAL_BACKEND_ABI is major << 16 | minor. The core refuses a
 * plugin of another major. A minor release only appends members at the end
 * of struct vmosal_backend_ops (and of the structs it passes), so a plugin
 * built against an older minor keeps working: the core reads struct_size and
 * treats slots beyond it as absent. Released slots never move; tests freeze
 * their offsets. Optional slots may be NULL; the core then uses a fallback
 * (hwloc) or returns VMOSAL_ENOTSUP. Mandatory slots are marked [M].
 *
 * Conventions for every slot: return 0 or a negative VMOSAL_E* code (never
 * -1 and errno); the core has already validated arguments as the public
 * header documents, so a slot only checks what needs the OS to check. */
#ifndef VMOSAL_BACKEND_H
#define VMOSAL_BACKEND_H

#include "common.h"
#include "error.h"
#include "platform.h"

VMOSAL_BEGIN_DECLS

#define VMOSAL_BACKEND_ABI_MAKE(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))
#define VMOSAL_BACKEND_ABI_MAJOR_OF(v) ((uint32_t)(v) >> 16)
#define VMOSAL_BACKEND_ABI_MINOR_OF(v) ((uint32_t)(v) & 0xffffu)
#define VMOSAL_BACKEND_ABI_MAJOR 1
#define VMOSAL_BACKEND_ABI_MINOR 0
#define VMOSAL_BACKEND_ABI VMOSAL_BACKEND_ABI_MAKE(VMOSAL_BACKEND_ABI_MAJOR, VMOSAL_BACKEND_ABI_MINOR)

/* The plugin's one exported symbol. Do not change this name or prototype:
 * every plugin of every ABI version is found through it. It receives the
 * core's ABI version and returns the plugin's static ops table (never NULL
 * for a usable plugin); it must do no other work. */
#define VMOSAL_BACKEND_ENTRY_NAME "vmosal_backend_entry"

/* True when a struct the core passed, of size struct_size, has room for
 * member m; a plugin checks this before writing a member appended after
 * ABI 1.0. */
#define VMOSAL_BACKEND_HAS_MEMBER(ptr, type, m) \
	((ptr)->struct_size >= offsetof(type, m) + sizeof(((type *)0)->m))

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
#if defined(__GNUC__)
		__attribute__((format(printf, 2, 3)))
#endif
		;
};

/* How well the OS can bind threads to CPUs. */
enum vmosal_binding {
	VMOSAL_BINDING_NONE = 0, /* the OS ignores affinity requests */
	VMOSAL_BINDING_SOFT = 1, /* a hint the scheduler may override (macOS tags) */
	VMOSAL_BINDING_HARD = 2  /* the thread runs only on the CPUs given */
};

/* What the OS can do, filled once by init(): data the core branches on,
 * instead of asking "which OS is this". The core zeroes it and sets
 * struct_size first. */
struct vmosal_backend_caps {
	uint32_t struct_size;
	uint32_t thread_binding;        /* enum vmosal_binding */
	bool binds_other_threads;       /* affinity of any thread, not only self */
	bool realtime_scheduling;       /* the OS has a realtime class at all */
	bool shared_memory_fd;          /* anonymous shm objects as descriptors */
	bool huge_pages;                /* explicit huge pages (hugetlb, large pages) */
	bool transparent_huge_pages;    /* THP (madvise hint) */
};

/* Host facts read once at initialisation. The core owns the storage. */
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

struct vmosal_backend_ops {
	uint32_t abi_version; /* VMOSAL_BACKEND_ABI the plugin was built for */
	uint32_t struct_size; /* sizeof(struct vmosal_backend_ops) it was built with */
	const char *name;     /* "linux"; what vmosal_backend_name() returns */

	/* ---- ABI 1.0: lifecycle and host ---- */

	/* [M] Called once, before any other slot. core stays valid for the
	 * life of the process. A negative return refuses the load. */
	int (*init)(const struct vmosal_core_services *core,
		    struct vmosal_backend_caps *caps);
	/* Called once at process exit, if at all. May be NULL. */
	void (*fini)(void);
	/* [M] Fills *out (os, release, libc, page size, CPU counts). */
	int (*host_info)(struct vmosal_backend_host *out);
	/* [M] Physical memory now. */
	int (*mem_info)(struct vmosal_mem_info *out);
	/* [M] Probes accelerator `which` (enum vmosal_accel); fills *out and
	 * returns 0 whether or not it is available. */
	int (*accel_probe)(int which, struct vmosal_accel_status *out);

	/* ---- ABI 1.0: threads ---- */

	/* [M] Starts an OS thread running start(arg) with the given stack size
	 * (0: the OS default) and returns a handle for thread_join. The core
	 * wraps start in its own trampoline, so the backend applies nothing. */
	int (*thread_create)(void *(*start)(void *), void *arg, size_t stack_size,
			     void **handle);
	/* [M] Waits for the thread, stores its return value if result is not
	 * NULL, and releases the handle. */
	int (*thread_join)(void *handle, void **result);

	/* ---- ABI 1.0: memory ---- */
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
