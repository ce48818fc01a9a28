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
 * fallback (hwloc) or returns VMOSAL_ENOTSUP. backend_slots.h lists every
 * slot, which minor added it, and whether it is mandatory.
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
#include "signal.h"
#include "waitset.h"

VMOSAL_BEGIN_DECLS

#define VMOSAL_BACKEND_ABI_MAKE(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))
#define VMOSAL_BACKEND_ABI_MAJOR_OF(v) ((uint32_t)(v) >> 16)
#define VMOSAL_BACKEND_ABI_MINOR_OF(v) ((uint32_t)(v) & 0xffffu)
#define VMOSAL_BACKEND_ABI_MAJOR 2
#define VMOSAL_BACKEND_ABI_MINOR 5
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
	void (*signal_dispatch)(const struct vmosal_siginfo *info, void *os_context);
	/* Called in the kicked thread, in signal context (or an APC). */
	void (*kick_received)(void);

	/* ---- ABI 2.2 ---- */

	/* True when tid is a thread of this process that the core knows is
	 * alive (one it started, while its function runs, or one registered
	 * for kicks): a slot may then skip its own "is this tid ours" check.
	 * False says nothing. Cheap, no system call; safe from any thread. */
	bool (*tid_known)(uint64_t tid);

	/* ---- ABI 2.4 ---- */

	/* For a layer, a plugin that wraps another (as faulty does), and
	 * only from its init: finds the plugin spec names (a path, or a name
	 * looked for beside the layer, then as VMOSAL_BACKEND names are),
	 * checks it as the core checks any plugin, and returns its table,
	 * not yet initialised. The layer calls its init with these services
	 * and forwards to its slots; a slot the next backend leaves empty the
	 * layer must empty in its own table before its init returns (the core
	 * reads the table once, after init). The module stays loaded for the
	 * life of the process. NULL when none is usable; the reasons are in
	 * vmosal_backend_error(). */
	const struct vmosal_backend_ops *(*load_next)(const char *spec);
};

/* What a slot is to the loader (backend_slots.h). MANDATORY: the loader
 * refuses a plugin that leaves it empty. The others are groups of slots
 * that only work together: the core treats a group as absent (its public
 * calls VMOSAL_ENOTSUP) unless every slot in it is filled. */
#define VMOSAL_SLOT_MANDATORY 0x001u
#define VMOSAL_SLOT_SHM 0x002u        /* shm_create, handle_close */
#define VMOSAL_SLOT_JIT 0x004u        /* jit_map, jit_unmap */
#define VMOSAL_SLOT_SIGNAL 0x008u     /* signal_install, _restore, _chain */
#define VMOSAL_SLOT_FAULT 0x010u      /* the signal group and fault_guard */
#define VMOSAL_SLOT_KICK 0x020u       /* kick_setup, thread_kick */
#define VMOSAL_SLOT_EVENT 0x040u      /* event_create, _notify, _wait, handle_close */
#define VMOSAL_SLOT_DEVICE 0x080u     /* device_open, device_ioctl, handle_close */
#define VMOSAL_SLOT_SIGNAL_FD 0x100u  /* signal_fd_create, _read, handle_close */
#define VMOSAL_SLOT_JIT_WINDOW 0x200u /* jit_write_begin, jit_write_end */
#define VMOSAL_SLOT_WAITSET 0x400u    /* waitset_create ... waitset_wait */
#define VMOSAL_SLOT_TIMER 0x800u      /* timer_create, _arm, _read, handle_close */
#define VMOSAL_SLOT_CHANNEL 0x1000u   /* channel_pair ... channel_recv, handle_close */

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

struct vmosal_backend_host_memory {
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

struct vmosal_backend_huge_page_sizes {
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

	/* Every slot, from backend_slots.h: a function pointer each. */
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) ret(*name) params;
#include "backend_slots.h"
#undef VMOSAL_SLOT
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
