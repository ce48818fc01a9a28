/* libvmosal initialisation, backend selection and platform detection. */
#ifndef VMOSAL_PLATFORM_H
#define VMOSAL_PLATFORM_H

#include "common.h"

VMOSAL_BEGIN_DECLS

/* ---- Initialisation and the OS backend ------------------------------------
 *
 * The OS-specific half of libvmosal is a plugin loaded once per process. Which
 * one, in this order of precedence:
 *   1. the name or path given to vmosal_init_backend();
 *   2. the VMOSAL_BACKEND environment variable;
 *   3. the host's default backend (e.g. "linux").
 * A bare name ("linux") is looked up as vmosal_<name> with the platform's
 * module suffix, first in each directory of VMOSAL_BACKEND_PATH
 * (':'-separated, ';' on Windows), then in the installed backend directory.
 * A path (anything containing a directory separator) is loaded as given.
 * A backend that was asked for and cannot be loaded is an error, never
 * replaced by another one. When the process runs with elevated privileges
 * (setuid, setgid, file capabilities), VMOSAL_BACKEND_PATH and path values of
 * VMOSAL_BACKEND are ignored: only the installed directory is searched.
 * VMOSAL_DEBUG=loader prints every path tried, and why it was refused, to
 * stderr.
 *
 * Every function initialises libvmosal on first use; calling vmosal_init()
 * first only moves that cost, and the error, to a place of your choosing.
 * After a failed load, first use does not try again: after a failed
 * vmosal_init_backend() in particular, it never loads the default in place
 * of the backend that was named, and answers as when no backend can be
 * loaded. vmosal_init() and vmosal_init_backend() always try again.
 *
 * A backend plugin must not call libvmosal while it is being loaded (from
 * a constructor, its entry function or init): the call returns
 * VMOSAL_EBACKEND (or "unknown" / 0 / NULL) instead of deadlocking on the
 * loader's lock, and the plugin is refused. It may start processes there
 * (fork, system). */

/* Loads the backend. Thread-safe and idempotent: once a backend is loaded,
 * later calls return 0 at once. Returns 0 or VMOSAL_EBACKEND (see
 * vmosal_backend_error() for why). */
VMOSAL_API int vmosal_init(void);

/* Like vmosal_init(), with an explicit backend name or path that overrides
 * VMOSAL_BACKEND. Returns VMOSAL_EINVAL for NULL or "", VMOSAL_EBUSY when a
 * different backend is already loaded, VMOSAL_EBACKEND when it cannot be
 * loaded. A failure loads nothing else: until this succeeds or vmosal_init()
 * is called, other calls answer as when no backend can be loaded
 * (VMOSAL_EBACKEND, "unknown", 0), and vmosal_backend_error() keeps saying
 * why the named one failed. It may be called again to try another name;
 * vmosal_init() loads the normal choice (VMOSAL_BACKEND, then the host's
 * default) for a caller that wants that fallback. */
VMOSAL_API int vmosal_init_backend(const char *name_or_path);

/* The version of the library running, as VMOSAL_VERSION (common.h) packs
 * it: compare with VMOSAL_VERSION, that of the headers a program was built
 * with, to refuse a library older than a feature needs. Cannot fail, and
 * loads no backend. */
VMOSAL_API uint32_t vmosal_version(void);

/* The loaded backend's name ("linux"), or NULL if none is loaded. */
VMOSAL_API const char *vmosal_backend_name(void);

struct vmosal_backend_info {
	uint32_t struct_size; /* common.h */
	uint32_t abi_version; /* the plugin's, major << 16 | minor */
	const char *name;     /* "linux" */
	const char *path;     /* file it was loaded from */
};

/* Fills *out for the loaded backend (initialising first). Returns 0,
 * VMOSAL_EINVAL for NULL or a struct_size too small, or VMOSAL_EBACKEND. */
VMOSAL_API int vmosal_backend_info(struct vmosal_backend_info *out);

/* Copies, for a person, what the last load attempt refused: each file
 * tried and why, one per line; notices (a variable ignored in an elevated
 * process) stay after a successful load. "" when there is nothing to say.
 * Always NUL-terminated; VMOSAL_ERANGE when the text was cut to fit len,
 * VMOSAL_EINVAL for buf NULL or len 0. */
VMOSAL_API int vmosal_backend_error(char *buf, size_t len);

/* ---- Platform detection ----------------------------------------------------
 * Answers are read once from the backend and cached: after the first call
 * these cost nanoseconds. When no backend can be loaded they return
 * "unknown" / 0 / false (vmosal_init() says why). */

/* "linux", "android", "harmonyos", "macos", "ios", "windows" or "unknown".
 * Decided at run time: a Linux build running on HarmonyOS says "harmonyos". */
VMOSAL_API const char *vmosal_host_os(void);

/* The architecture this library was built for: "x86_64", "aarch64",
 * "riscv64", or the compiler's honest name for another ("i386", "arm", ...). */
VMOSAL_API const char *vmosal_host_arch(void);

VMOSAL_API bool vmosal_is_harmonyos(void);

/* The base page size in bytes. */
VMOSAL_API size_t vmosal_page_size(void);

/* OS release (Linux: uname release, "6.1.0-13-amd64") and C library
 * ("glibc 2.36", "musl", "bionic", "msvcrt"). */
VMOSAL_API const char *vmosal_os_release(void);
VMOSAL_API const char *vmosal_libc_name(void);

enum vmosal_cpu_set {
	VMOSAL_CPUS_POSSIBLE, /* CPU numbers the OS may ever use (1 + highest) */
	VMOSAL_CPUS_ONLINE,   /* online now */
	VMOSAL_CPUS_USABLE    /* allowed to this process (affinity, cpuset) */
};

/* Counts CPUs of the given set, as seen when libvmosal initialised. Returns
 * 0, VMOSAL_EINVAL (NULL, unknown set) or VMOSAL_EBACKEND. */
VMOSAL_API int vmosal_cpu_count(enum vmosal_cpu_set which, size_t *out);

struct vmosal_host_memory {
	uint32_t struct_size;     /* common.h */
	uint64_t total_bytes;     /* physical memory */
	uint64_t available_bytes; /* what the OS estimates it can give now */
};

/* Reads physical memory now. Returns 0, VMOSAL_EINVAL (NULL, struct_size
 * too small) or an OS error. */
VMOSAL_API int vmosal_host_memory(struct vmosal_host_memory *out);

/* ---- Accelerators ---------------------------------------------------------- */

enum vmosal_accel {
	VMOSAL_ACCEL_KVM,  /* Linux KVM (/dev/kvm) */
	VMOSAL_ACCEL_HVF,  /* macOS / iOS Hypervisor.framework */
	VMOSAL_ACCEL_WHPX, /* Windows Hypervisor Platform */
	VMOSAL_ACCEL_COUNT
};

#define VMOSAL_ACCEL_CHECK_OPENED 0x1u    /* the device (or library) could be opened */
#define VMOSAL_ACCEL_CHECK_CAPS 0x2u      /* it has what libvmosal's users need */
#define VMOSAL_ACCEL_CHECK_CREATE_VM 0x4u /* a VM (a partition) could be created */

struct vmosal_accel_status {
	uint32_t struct_size; /* common.h */
	bool available;       /* every check passed: a VM can be run */
	int error;        /* 0, or why not: VMOSAL_ENOENT, EACCES, ENOTSUP... */
	char reason[160]; /* what a person can do about it; "" when available */
	uint32_t checks;  /* VMOSAL_ACCEL_CHECK_* that passed, in order */
};

/* Probes an accelerator for real (Linux KVM: opens /dev/kvm read-write,
 * checks KVM_GET_API_VERSION is 12, that KVM_CAP_USER_MEMORY and
 * KVM_CAP_IMMEDIATE_EXIT are there, and creates and destroys a VM). The
 * reason fits the host: for a device only root may open it says so rather
 * than suggest a group that would not help. Not cached: a probe after `usermod -aG
 * kvm` sees the change. Returns 0 when *out was filled (available or not),
 * VMOSAL_EINVAL for NULL, a struct_size too small or an unknown
 * accelerator. */
VMOSAL_API int vmosal_accel_probe(enum vmosal_accel which,
				  struct vmosal_accel_status *out);

/* ---- What this host can do ------------------------------------------------- */

#define VMOSAL_CAP_AFFINITY_OTHER_THREADS 0x01u /* affinity of any thread, not only the caller's */
#define VMOSAL_CAP_REALTIME 0x02u               /* a realtime scheduling class exists */
#define VMOSAL_CAP_SHM 0x04u                    /* vmosal_shm_create works */
#define VMOSAL_CAP_HUGE_PAGES 0x08u             /* explicit huge pages (hugetlb, large pages) */
#define VMOSAL_CAP_THP 0x10u                    /* transparent huge pages */
#define VMOSAL_CAP_JIT 0x20u                    /* vmosal_jit_create works */
#define VMOSAL_CAP_PREALLOC 0x40u               /* VMOSAL_GUEST_PREALLOC works */

#define VMOSAL_ACCEL_BIT(which) (1u << (which))

struct vmosal_host_caps {
	uint32_t struct_size;      /* common.h */
	uint32_t flags;            /* VMOSAL_CAP_* */
	uint32_t affinity;         /* enum vmosal_affinity_kind (thread.h) */
	uint32_t accels;           /* VMOSAL_ACCEL_BIT of each accelerator usable now */
	/* Alignment of mapping addresses and offsets, and the granule of
	 * reservations and guest RAM (sizes, guards): the page size on
	 * POSIX, the allocation granularity (64 KiB) on Windows. */
	uint64_t map_granularity;
	uint32_t thread_name_max;  /* as vmosal_thread_name_max() */
};

/* Fills *out: what the backend reported when it loaded, and a probe of
 * every accelerator (not cached). Returns 0, VMOSAL_EINVAL (NULL,
 * struct_size too small), VMOSAL_EBACKEND, or the error the OS gave
 * reading its page sizes or probing. */
VMOSAL_API int vmosal_host_caps(struct vmosal_host_caps *out);

VMOSAL_END_DECLS

#endif
