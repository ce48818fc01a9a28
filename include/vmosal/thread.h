/* libvmosal: threads, affinity and priority.
 *
 * A tid (vmosal_tid_t, common.h) names any thread of this process: the
 * kernel tid on Linux, the thread id on Windows. VMOSAL_TID_SELF (0) means
 * the calling thread. CPU numbers are the OS's logical CPU numbers; on
 * Windows, as hwloc numbers them, 64 * processor group + the processor's
 * index in its group (a group of fewer than 64 leaves numbers unused). */
#ifndef VMOSAL_THREAD_H
#define VMOSAL_THREAD_H

#include "common.h"

VMOSAL_BEGIN_DECLS

/* Scheduling levels. Per OS:
 *   Linux:   LOW = nice 10, NORMAL = nice 0, HIGH = nice -10 (per-thread
 *            nice under SCHED_OTHER), REALTIME = SCHED_FIFO priority 1
 *            (above every normal thread, below the kernel's own RT work;
 *            vmosal_thread_set_realtime picks another policy and level).
 *            Raising priority needs CAP_SYS_NICE or RLIMIT_NICE/RTPRIO.
 *            The thread's class is read on every call (a class set from
 *            outside, by chrt or rtkit, is always seen); the cost is the
 *            raw sched_getscheduler() + setpriority() pair.
 *            vmosal_thread_get_priority reads nice <= -5 as HIGH, >= 5 as
 *            LOW, SCHED_FIFO/SCHED_RR/SCHED_DEADLINE as REALTIME, and
 *            SCHED_BATCH/SCHED_IDLE by their nice value.
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

/* What an affinity request achieves on this host (vmosal_host_caps). */
enum vmosal_affinity_kind {
	VMOSAL_AFFINITY_UNSUPPORTED = 0, /* requests are refused (ENOTSUP) */
	VMOSAL_AFFINITY_SOFT = 1,        /* a hint the scheduler may ignore */
	VMOSAL_AFFINITY_HARD = 2         /* the thread runs only there */
};

/* Stores the calling thread's OS id (never 0) in *out. Cached per thread:
 * costs nanoseconds, not a syscall. EINVAL: out NULL; EBACKEND: no
 * backend. */
VMOSAL_API int vmosal_thread_self(vmosal_tid_t *out);

/* ---- creation ---- */

/* Realtime scheduling policies (vmosal_thread_set_realtime, and
 * vmosal_thread_opts with priority REALTIME). Linux: SCHED_FIFO runs until
 * it blocks or a higher level preempts it; SCHED_RR shares the CPU with
 * threads of the same level in time slices (crosvm's set_rt_round_robin).
 * macOS and Windows have one realtime class, which both policies name. */
enum vmosal_rt_policy {
	VMOSAL_RT_FIFO = 0,
	VMOSAL_RT_RR = 1
};

/* Realtime levels: 1 (lowest, the default) to VMOSAL_RT_LEVEL_MAX. Linux:
 * the SCHED_FIFO/SCHED_RR priority itself. macOS (the time-constraint
 * policy) and Windows (THREAD_PRIORITY_TIME_CRITICAL) have one level,
 * which every level maps to. */
#define VMOSAL_RT_LEVEL_MAX 99

/* vmosal_thread_opts.flags */
/* Creates the thread even when an option cannot be applied (the OS refuses
 * it: VMOSAL_EPERM, VMOSAL_EACCES, VMOSAL_ENOTSUP), leaving that option
 * as the thread would inherit it, and reports it in *not_applied. Options
 * that are wrong in themselves (VMOSAL_EINVAL, VMOSAL_ERANGE) still fail. */
#define VMOSAL_THREAD_BEST_EFFORT 0x1u

/* Bits of *vmosal_thread_opts.not_applied: options a best-effort creation
 * left out. */
#define VMOSAL_THREAD_NOT_NAME 0x1u     /* name */
#define VMOSAL_THREAD_NOT_AFFINITY 0x2u /* cpus */
#define VMOSAL_THREAD_NOT_PRIORITY 0x4u /* priority, rt_policy, rt_level */

/* Every option is in force before fn runs, so a vCPU thread never runs
 * user code unpinned: affinity and a realtime class are given to the OS
 * with the thread (Linux: pthread attributes, applied before the thread
 * runs), and the new thread applies the rest (its name; a nice level)
 * itself before fn. Start from VMOSAL_STRUCT_INIT and set what you need;
 * members after priority were appended later (older callers' structs
 * end at priority and read as zero there). */
struct vmosal_thread_opts {
	uint32_t struct_size; /* sizeof(struct vmosal_thread_opts) */
	const char *name;     /* NULL: unnamed; see vmosal_thread_set_name */
	size_t stack_size;    /* 0: the OS default; raised to the OS minimum */
	const size_t *cpus;   /* ncpus 0: inherit the creator's affinity */
	size_t ncpus;
	bool set_priority;    /* false: inherit */
	enum vmosal_priority priority;
	/* ---- appended ---- */
	uint32_t flags;       /* VMOSAL_THREAD_BEST_EFFORT; 0: all or nothing */
	/* With priority REALTIME: the policy and level (0 means 1); as
	 * vmosal_thread_set_realtime checks them. Must be 0 otherwise. */
	enum vmosal_rt_policy rt_policy;
	int32_t rt_level;
	/* With VMOSAL_THREAD_BEST_EFFORT, if not NULL: receives the
	 * VMOSAL_THREAD_NOT_* bits of the options left out (0: all applied)
	 * when vmosal_thread_create succeeds. */
	uint32_t *not_applied;
};

typedef struct vmosal_thread vmosal_thread_t;

/* Starts fn(arg) on a new thread and stores its handle, for join, in *out.
 * opts may be NULL (all defaults). Options are checked as the setters
 * check them. If one cannot be applied, fn never runs, nothing is left
 * behind and that error is returned (unless VMOSAL_THREAD_BEST_EFFORT).
 * The caller waits for the new thread only when the thread must apply an
 * option that the OS may refuse there: a nice level (LOW, NORMAL, HIGH);
 * the CPUs where the C library has no pthread_attr_setaffinity_np (musl);
 * on macOS and Windows, every option. It then blocks, never spins. fn ends the thread by returning (not by
 * pthread_exit or cancellation, which skip libvmosal's clean-up: while fn
 * runs, setters take the thread's tid as one of this process's without
 * asking the OS). Errors: EINVAL (out or fn NULL, bad opts), the setters'
 * errors, ENOMEM/EAGAIN. */
VMOSAL_API int vmosal_thread_create(const struct vmosal_thread_opts *opts, void *(*fn)(void *),
				    void *arg, vmosal_thread_t **out);

/* Waits for t, stores fn's return value in *result if result is not NULL,
 * and frees t. A thread is joined exactly once, never by itself
 * (EINVAL: t NULL; EBUSY: joining yourself). */
VMOSAL_API int vmosal_thread_join(vmosal_thread_t *t, void **result);

/* The OS id of a created thread (EINVAL on NULL); may wait, without
 * spinning, for the new thread to start. The id names the thread while it
 * runs: once fn returns, the OS may give it to another thread, of this
 * process or another, even before join. Use it for the thread's own
 * settings while it runs, never after it may have ended. */
VMOSAL_API int vmosal_thread_tid(const vmosal_thread_t *t, vmosal_tid_t *out);

/* ---- names ---- */

/* Sets a thread's name as tools show it. name non-NULL, non-empty, at most
 * vmosal_thread_name_max() bytes (Linux: 15): ERANGE if longer, never
 * silently truncated. ESRCH: tid is not a thread of this process.
 * ENOTSUP on macOS for any thread but the caller (pthread_setname_np
 * names the calling thread only): name a thread from itself, or give the
 * name in vmosal_thread_opts, which the new thread applies itself. */
VMOSAL_API int vmosal_thread_set_name(vmosal_tid_t tid, const char *name);
/* Copies the name into buf (len > 0; ERANGE if it does not fit). */
VMOSAL_API int vmosal_thread_get_name(vmosal_tid_t tid, char *buf, size_t len);
/* Longest name the OS keeps, in bytes without the NUL; 0 if no backend. */
VMOSAL_API size_t vmosal_thread_name_max(void);

/* The CPU the calling thread runs on now (may change right after). */
VMOSAL_API int vmosal_thread_current_cpu(size_t *cpu);

/* ---- affinity ---- */

/* Restricts thread tid to the ncpus CPUs in cpus (duplicates allowed).
 * Errors, with nothing changed: EINVAL (cpus NULL, ncpus 0), ERANGE (a
 * CPU >= the number of possible CPUs), EACCES (a CPU outside the
 * process's allowed set: cgroup cpuset), ESRCH (tid is not a thread of
 * this process), ENOTSUP (the host cannot bind threads, or cannot bind
 * other threads than the caller: vmosal_host_caps says which; or, on
 * Windows, the CPUs lie in more than one processor group, and a thread
 * runs in one). Any CPU count (no 1024 limit). */
VMOSAL_API int vmosal_thread_set_affinity(vmosal_tid_t tid, const size_t *cpus, size_t ncpus);

/* Stores the CPUs tid may run on, ascending, in cpus[0..*ncpus). If
 * capacity is too small, returns ERANGE with *ncpus set to the count
 * needed. cpus may be NULL when capacity is 0; ncpus non-NULL. Windows:
 * the thread's group affinity, narrowed by its CPU sets (else the
 * process's default CPU sets) where they overlap it. From Windows 11 a
 * thread no one bound to a group may run in every group of its process,
 * and all of them are reported; GetThreadGroupAffinity shows such a
 * thread its primary group whole, so a thread bound to one whole group
 * reads as spanning too. */
VMOSAL_API int vmosal_thread_get_affinity(vmosal_tid_t tid, size_t *cpus, size_t capacity,
					  size_t *ncpus);

/* ---- priority ---- */

/* Sets tid's scheduling level (mapping above; REALTIME is SCHED_FIFO
 * level 1). EINVAL: prio out of range; EPERM: the caller lacks the
 * privilege (the thread is left unchanged, never a silent no-op); ESRCH:
 * unknown tid; ENOTSUP: no realtime class, or, on macOS, LOW, NORMAL or
 * HIGH for any thread but the caller (a QoS class is set by the thread
 * itself; REALTIME, a Mach policy, may be given to any thread of the
 * process). vmosal_thread_opts' priority is applied by the new thread
 * itself, so it works on macOS too. */
VMOSAL_API int vmosal_thread_set_priority(vmosal_tid_t tid, enum vmosal_priority prio);
/* Reads tid's level back (out non-NULL). */
VMOSAL_API int vmosal_thread_get_priority(vmosal_tid_t tid, enum vmosal_priority *out);

/* Makes tid realtime with policy at level (1..VMOSAL_RT_LEVEL_MAX; the
 * enums above say what each OS makes of them); it then reads back as
 * REALTIME. EINVAL: policy or level out of range; ENOTSUP: no realtime
 * class, or a backend without this call; ESRCH: unknown tid; EPERM,
 * with the thread unchanged: no privilege. Linux: without CAP_SYS_NICE, a
 * level above the process's RLIMIT_RTPRIO soft limit (0 by default, so
 * any level) is EPERM. Windows: THREAD_PRIORITY_TIME_CRITICAL, whatever
 * policy and level (the process's priority class is left alone). macOS:
 * the time-constraint policy, as REALTIME. */
VMOSAL_API int vmosal_thread_set_realtime(vmosal_tid_t tid, enum vmosal_rt_policy policy,
					  int level);

/* ---- vCPU kick ----
 * Interrupts a thread that is blocked in a system call (KVM_RUN, ppoll,
 * read): the call returns EINTR. POSIX: a realtime signal from SIGRTMIN
 * up that nothing in the process handles yet, installed once without
 * SA_RESTART (vmosal_thread_kick_signal says which). Windows: QueueUserAPC
 * (alertable waits return) plus the cancel callback. macOS: the signal
 * plus the cancel callback (Apple silicon: hv_vcpus_exit; Intel:
 * hv_vcpu_interrupt).
 *
 * A kick is never lost. Every thread has a pending-kick flag, which only
 * the thread clears (vmosal_thread_kick_pending(true, ...)). A vCPU
 * thread registers its target once; a kick then sets the target's byte
 * (KVM's run->immediate_exit) and the thread's pending flag from the
 * kicking thread, and runs the cancel callback, before it interrupts the
 * thread, so the handler has nothing left to do and one kick is seen
 * once. A kick that lands after the vCPU checked for work but before it
 * entered KVM_RUN thus makes KVM_RUN return at once. vmosal_event_wait
 * returns VMOSAL_EINTR at once while the flag is set, and checks it
 * race-free (vmosal.h, "Kicks and blocking waits"). A thread blocking in
 * its own ppoll or pselect gets the same guarantee by keeping the kick
 * signal blocked, checking the flag, and unblocking the signal only in
 * the call's own mask. A thread that is not registered has the flag too:
 * the signal's handler sets it, or vmosal_thread_kick(VMOSAL_TID_SELF).
 *
 * One signal on its way at a time: while the signal of an earlier kick
 * has not reached a registered thread (it keeps the signal blocked, or has
 * not run since), a kick sets the byte and the flag and sends no other,
 * since the thread sees them once that one arrives. Kick signals are
 * realtime signals, which queue against a limit per user: a thread that
 * keeps the signal blocked should register. A kick to a thread that is not
 * registered (other than the caller) always sends one.
 * Windows: at most one APC is queued to a thread at a time, registered or
 * not; kicks meanwhile queue none, since that one ends the thread's next
 * alertable wait with the pending flag set.
 *
 *     // vCPU thread, once (the loop of README and examples/tiny-vmm.c):
 *     struct vmosal_kick_target k = VMOSAL_STRUCT_INIT(struct vmosal_kick_target);
 *     bool kicked;
 *     int rc;
 *
 *     k.immediate_exit = &run->immediate_exit;
 *     vmosal_thread_kick_register(&k);
 *     while (!atomic_load(&vcpu->stop)) {
 *             rc = vmosal_ioctl(vcpu->fd, KVM_RUN, NULL, VMOSAL_IOCTL_NO_RESTART, NULL);
 *             if (rc == VMOSAL_EINTR) {
 *                     // A kick, or another signal. immediate_exit first (an
 *                     // atomic store: a kicker may be writing it), then the
 *                     // thread's pending flag, which keeps blocking calls
 *                     // returning EINTR until it is cleared.
 *                     __atomic_store_n(&run->immediate_exit, 0, __ATOMIC_RELAXED);
 *                     vmosal_thread_kick_pending(true, &kicked);
 *                     if (kicked)
 *                             handle_requests(vcpu); // what the kicker asked
 *                     continue;
 *             }
 *             if (rc == VMOSAL_EAGAIN)
 *                     continue; // KVM asks for KVM_RUN again
 *             if (rc != 0)
 *                     return fail("KVM_RUN", rc); // a real error: no exit to handle
 *             if (!handle_exit(vcpu, run)) // run->exit_reason
 *                     break;
 *     }
 *     vmosal_thread_kick_unregister(); // before run is unmapped
 *     // any thread:
 *     atomic_store(&vcpu->stop, true);
 *     vmosal_thread_kick(vcpu->tid);
 *
 * KVM honours immediate_exit from Linux 4.11 (KVM_CAP_IMMEDIATE_EXIT);
 * vmosal_accel_probe reports KVM unavailable without it. New threads
 * inherit the creating thread's signal mask, as POSIX threads do.
 */
struct vmosal_kick_target {
	uint32_t struct_size;             /* common.h */
	volatile uint8_t *immediate_exit; /* set to 1 by every kick; NULL: none */
	/* Run by the kicking thread before the signal, for hypervisors a
	 * signal does not stop (WHvCancelRunVirtualProcessor; hv_vcpus_exit
	 * on Apple silicon, hv_vcpu_interrupt on Intel Macs);
	 * NULL: none. */
	void (*cancel)(void *ctx);
	void *cancel_ctx;
};

/* Registers the calling thread's kick target (replacing an earlier one).
 * What immediate_exit points to must stay valid until
 * vmosal_thread_kick_unregister returns, which a thread must call before it
 * ends (one started by vmosal_thread_create does it by itself when its
 * function returns). Unregistering, and replacing a target, wait for a
 * kick that is using the old target at that moment, so its memory may be
 * freed right after. The pending flag is left as it is. A forked child
 * starts with no registration and no kick pending. At most 4096
 * registered threads (VMOSAL_ENOSPC). */
VMOSAL_API int vmosal_thread_kick_register(const struct vmosal_kick_target *target);
/* Forgets the calling thread's target; VMOSAL_ENOENT when none. */
VMOSAL_API int vmosal_thread_kick_unregister(void);

/* Kicks thread tid of this process: sets its pending flag (registered
 * threads, and the caller itself) and interrupts it. VMOSAL_TID_SELF: the
 * caller, whose next wait (vmosal_event_wait, KVM_RUN through a registered
 * immediate_exit) then returns EINTR. ESRCH: tid is not a thread of this
 * process. Safe from any thread; not from a signal handler. */
VMOSAL_API int vmosal_thread_kick(vmosal_tid_t tid);

/* Whether a kick reached the calling thread since it last cleared its
 * pending flag; with clear, resets it. While it is set, waits return
 * VMOSAL_EINTR at once. */
VMOSAL_API int vmosal_thread_kick_pending(bool clear, bool *out);

/* The OS signal number kicks use (0 where kicks use no signal). */
VMOSAL_API int vmosal_thread_kick_signal(int *os_signal);

VMOSAL_END_DECLS

#endif
