/* libvmosal: threads, affinity and priority.
 *
 * A tid (vmosal_tid_t, common.h) names any thread of this process: the
 * kernel tid on Linux, the thread id on Windows. 0 always means the calling
 * thread. CPU numbers are the OS's logical CPU numbers. */
#ifndef VMOSAL_THREAD_H
#define VMOSAL_THREAD_H

#include "common.h"

VMOSAL_BEGIN_DECLS

/* Scheduling levels. Per OS:
 *   Linux:   LOW = nice 10, NORMAL = nice 0, HIGH = nice -10 (per-thread
 *            nice under SCHED_OTHER), REALTIME = SCHED_FIFO priority 1
 *            (above every normal thread, below the kernel's own RT work).
 *            Raising priority needs CAP_SYS_NICE or RLIMIT_NICE/RTPRIO.
 *            vmosal_thread_get_priority reads nice <= -5 as HIGH, >= 5 as
 *            LOW, SCHED_FIFO/SCHED_RR/SCHED_DEADLINE as REALTIME, and
 *            SCHED_BATCH/SCHED_IDLE by their nice value.
 *            Cost: libvmosal remembers whether it left a thread in the
 *            normal class (SCHED_OTHER), so a thread that moves itself
 *            between LOW, NORMAL and HIGH pays one setpriority(), the raw
 *            call. Changes libvmosal makes to other threads are always
 *            seen. A class changed from outside libvmosal (chrt,
 *            sched_setscheduler, rtkit) is seen at the thread's next
 *            vmosal_thread_get_priority; until then, LOW/NORMAL/HIGH set by
 *            that thread on itself change only its nice value. Other tids
 *            are checked every time.
 *   Windows: THREAD_PRIORITY_BELOW_NORMAL / NORMAL / HIGHEST /
 *            TIME_CRITICAL.
 *   macOS:   QoS utility / default / user-interactive / a time-constraint
 *            policy. */
enum vmosal_priority {
	VMOSAL_PRIORITY_LOW,
	VMOSAL_PRIORITY_NORMAL,
	VMOSAL_PRIORITY_HIGH,
	VMOSAL_PRIORITY_REALTIME
};

/* What an affinity request achieves on this host. */
enum vmosal_affinity_kind {
	VMOSAL_AFFINITY_UNSUPPORTED = 0, /* requests are refused (ENOTSUP) */
	VMOSAL_AFFINITY_SOFT = 1,        /* a hint the scheduler may ignore */
	VMOSAL_AFFINITY_HARD = 2         /* the thread runs only there */
};

/* The calling thread's OS id. Cached per thread after the first call:
 * costs nanoseconds, not a syscall. Returns 0 only if no backend loads. */
VMOSAL_API vmosal_tid_t vmosal_thread_self(void);

/* ---- creation ---- */

/* Everything below is applied by the new thread to itself before fn runs,
 * so a vCPU thread never runs user code unpinned. Zero-initialise and set
 * what you need. */
struct vmosal_thread_opts {
	const char *name;     /* NULL: unnamed; see vmosal_thread_set_name */
	size_t stack_size;    /* 0: the OS default; raised to the OS minimum */
	const size_t *cores;  /* NULL/ncores 0: inherit the creator's affinity */
	size_t ncores;
	bool set_priority;    /* false: inherit */
	enum vmosal_priority priority;
};

typedef struct vmosal_thread vmosal_thread_t;

/* Starts fn(arg) on a new thread; *out is the handle for join. opts may be
 * NULL. Options are checked as the setters check them; if applying one
 * fails in the new thread, fn never runs, the thread is reaped and that
 * error is returned. Errors: EINVAL (out or fn NULL, bad opts), the
 * setters' errors, ENOMEM/EAGAIN. */
VMOSAL_API int vmosal_thread_create(vmosal_thread_t **out, const struct vmosal_thread_opts *opts,
				    void *(*fn)(void *), void *arg);

/* Waits for t, stores fn's return value in *result if result is not NULL,
 * and frees t. A thread is joined exactly once, never by itself
 * (EINVAL: t NULL; EBUSY: joining yourself). */
VMOSAL_API int vmosal_thread_join(vmosal_thread_t *t, void **result);

/* The OS id of a created thread (valid until join). EINVAL on NULL. */
VMOSAL_API int vmosal_thread_tid(const vmosal_thread_t *t, vmosal_tid_t *out);

/* ---- names ---- */

/* Sets a thread's name as tools show it. name non-NULL, non-empty, at most
 * vmosal_thread_name_max() bytes (Linux: 15): ERANGE if longer, never
 * silently truncated. ESRCH: tid is not a thread of this process. */
VMOSAL_API int vmosal_thread_set_name(vmosal_tid_t tid, const char *name);
/* Copies the name into buf (len > 0; ERANGE if it does not fit). */
VMOSAL_API int vmosal_thread_get_name(vmosal_tid_t tid, char *buf, size_t len);
/* Longest name the OS keeps, in bytes without the NUL; 0 if no backend. */
VMOSAL_API size_t vmosal_thread_name_max(void);

/* The CPU the calling thread runs on now (may change right after). */
VMOSAL_API int vmosal_thread_current_cpu(size_t *cpu);

/* ---- affinity ---- */

/* Restricts thread tid to the ncores CPUs in cores (duplicates allowed).
 * Errors, with nothing changed: EINVAL (cores NULL, ncores 0), ERANGE (a
 * core >= the number of possible CPUs), EACCES (a core outside the
 * process's allowed set: cgroup cpuset), ESRCH (tid is not a thread of
 * this process), ENOTSUP (vmosal_thread_affinity_kind() says
 * UNSUPPORTED). Any CPU count (no 1024 limit). */
VMOSAL_API int vmosal_thread_set_affinity(vmosal_tid_t tid, const size_t *cores, size_t ncores);

/* Stores the CPUs tid may run on, ascending, in cores[0..*ncores). If
 * capacity is too small, returns ERANGE with *ncores set to the count
 * needed. cores may be NULL when capacity is 0; ncores non-NULL. */
VMOSAL_API int vmosal_thread_get_affinity(vmosal_tid_t tid, size_t *cores, size_t capacity,
					  size_t *ncores);

/* What vmosal_thread_set_affinity achieves here: the backend's native
 * binding, or hwloc's when the backend has none. */
VMOSAL_API int vmosal_thread_affinity_kind(enum vmosal_affinity_kind *out);

/* ---- priority ---- */

/* Sets tid's scheduling level (mapping above). EINVAL: prio out of range;
 * EPERM: the caller lacks the privilege (the thread is left unchanged,
 * never a silent no-op); ESRCH: unknown tid; ENOTSUP: no realtime class. */
VMOSAL_API int vmosal_thread_set_priority(vmosal_tid_t tid, enum vmosal_priority prio);
/* Reads tid's level back (out non-NULL). */
VMOSAL_API int vmosal_thread_get_priority(vmosal_tid_t tid, enum vmosal_priority *out);

VMOSAL_END_DECLS

#endif
