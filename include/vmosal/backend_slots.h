/* libvmosal backend ABI: the slot table, as data.
 *
 * Every slot of struct vmosal_backend_ops, in table order, one line each:
 *
 *   VMOSAL_SLOT(kind, name, return type, (parameters), (arguments),
 *               minor, groups)
 *
 * kind is `loader` (init and fini: only the loader calls them), `call` (a
 * public function reaches it), or `retired` (kept so that the slots after
 * it do not move; a plugin leaves it NULL). minor is the ABI 2.x that
 * appended the slot. groups is VMOSAL_SLOT_MANDATORY (the loader refuses a
 * plugin that leaves the slot empty) or the VMOSAL_SLOT_* groups (backend.h)
 * that need it: a group is present only when all its slots are; the core
 * decides that once, at load.
 *
 * Whoever includes this file defines VMOSAL_SLOT first, and gets one
 * expansion per slot (the X-macro pattern): backend.h builds the table
 * from it, the core its checks, the faulty layer its forwards, the tests
 * their fakes. A new slot is one new line at the end, under a new minor;
 * tests/check_abi.c keeps a frozen copy of the released slots, and fails
 * when a line moves.
 *
 * Conventions for every slot are at the top of backend.h. */
#ifndef VMOSAL_SLOT
#error "define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) before including this file"
#endif


/* ---- ABI 2.0: lifecycle and host ---- */

/* Called once, before any other slot. core stays valid for the
 * life of the process. A negative return refuses the load. */
VMOSAL_SLOT(loader, init, int,
	    (const struct vmosal_core_services *core, struct vmosal_backend_caps *caps),
	    (core, caps),
	    0, VMOSAL_SLOT_MANDATORY)
/* Called once when libvmosal is unloaded or the process exits, after
 * a successful init. May be NULL. */
VMOSAL_SLOT(loader, fini, void, (void), (), 0, 0)
/* Fills *out (os, release, libc, page size, CPU counts). */
VMOSAL_SLOT(call, host_info, int,
	    (struct vmosal_backend_host *out),
	    (out),
	    0, VMOSAL_SLOT_MANDATORY)
/* Physical memory now. */
VMOSAL_SLOT(call, host_memory, int,
	    (struct vmosal_backend_host_memory *out),
	    (out),
	    0, VMOSAL_SLOT_MANDATORY)
/* Probes accelerator `which` (enum vmosal_accel); fills *out and
 * returns 0 whether or not it is available. */
VMOSAL_SLOT(call, accel_probe, int,
	    (int which, struct vmosal_backend_accel *out),
	    (which, out),
	    0, VMOSAL_SLOT_MANDATORY)

/* ---- ABI 2.0: threads ---- */

/* Starts an OS thread running start(arg) with the given stack size
 * (0: the OS default) and returns a handle for thread_join. The core
 * wraps start in its own trampoline, so the backend applies nothing. */
VMOSAL_SLOT(call, thread_create, int,
	    (void *(*start)(void *), void *arg, size_t stack_size, void **handle),
	    (start, arg, stack_size, handle),
	    0, VMOSAL_SLOT_MANDATORY)
/* Waits for the thread, stores its return value if result is not
 * NULL, and releases the handle. */
VMOSAL_SLOT(call, thread_join, int,
	    (void *handle, void **result),
	    (handle, result),
	    0, VMOSAL_SLOT_MANDATORY)
/* The caller's OS thread id, never 0; the core caches it per
 * thread. */
VMOSAL_SLOT(call, thread_self, int, (uint64_t *tid), (tid), 0, VMOSAL_SLOT_MANDATORY)
/* In the slots below tid 0 is the calling thread; any other tid must be
 * a thread of this process, else VMOSAL_ESRCH. A NULL slot makes the
 * public call VMOSAL_ENOTSUP unless a note says otherwise. */
/* Binds tid to cpus[0..ncpus) (ncpus > 0, every cpu < cpus_possible
 * and inside the allowed set: the core checked). Nothing changes on
 * failure. NULL: the core binds through hwloc (calling thread only). */
VMOSAL_SLOT(call, thread_set_affinity, int,
	    (uint64_t tid, const size_t *cpus, size_t ncpus),
	    (tid, cpus, ncpus),
	    0, 0)
/* Stores tid's CPUs ascending; more than capacity: VMOSAL_ERANGE with
 * *ncpus the count needed. NULL: hwloc (calling thread only). */
VMOSAL_SLOT(call, thread_get_affinity, int,
	    (uint64_t tid, size_t *cpus, size_t capacity, size_t *ncpus),
	    (tid, cpus, capacity, ncpus),
	    0, 0)
/* prio is enum vmosal_priority (thread.h). VMOSAL_EPERM, with the
 * thread's scheduling unchanged, when the caller lacks privilege. */
VMOSAL_SLOT(call, thread_set_priority, int, (uint64_t tid, int prio), (tid, prio), 0, 0)
VMOSAL_SLOT(call, thread_get_priority, int, (uint64_t tid, int *prio), (tid, prio), 0, 0)
/* name is 1..caps->thread_name_max bytes. */
VMOSAL_SLOT(call, thread_set_name, int, (uint64_t tid, const char *name), (tid, name), 0, 0)
/* len > 0; VMOSAL_ERANGE when the name does not fit. */
VMOSAL_SLOT(call, thread_get_name, int,
	    (uint64_t tid, char *buf, size_t len),
	    (tid, buf, len),
	    0, 0)
VMOSAL_SLOT(call, thread_current_cpu, int, (size_t *cpu), (cpu), 0, 0)

/* ---- ABI 2.0: blocking wait on a word ----
 * The one primitive every blocking wait in libvmosal is built on
 * (futex on Linux, WaitOnAddress on Windows, __ulock_wait or a
 * condition variable on Darwin). addr is a 32-bit word other threads
 * change atomically. */
/* Blocks while *addr == expected, at most timeout_ns (negative:
 * no limit). Returns 0 when woken or when *addr differs (spurious
 * wake-ups allowed: the caller re-checks), VMOSAL_ETIMEDOUT, or
 * VMOSAL_EINTR when a signal interrupted the wait. A timeout is never
 * early, and may be late by the OS's timer resolution: on Windows,
 * WaitOnAddress takes whole milliseconds and ends on a tick of the
 * system clock (15.6 ms by default); no public call waits with a
 * timeout here. */
VMOSAL_SLOT(call, wait_u32, int,
	    (const uint32_t *addr, uint32_t expected, int64_t timeout_ns),
	    (addr, expected, timeout_ns),
	    0, VMOSAL_SLOT_MANDATORY)
/* Wakes one waiter on addr, or all when all is true. Cannot fail
 * for a valid addr on any OS; a waiter must never be left asleep, so
 * the core ignores what it returns. */
VMOSAL_SLOT(call, wake_u32, int,
	    (const uint32_t *addr, bool all),
	    (addr, all),
	    0, VMOSAL_SLOT_MANDATORY)

/* ---- ABI 2.0: memory ----
 * prot and flags are VMOSAL_PROT_* / VMOSAL_MAP_* (memory.h), already
 * validated: known bits only, one of SHARED/PRIVATE, addresses and
 * offsets aligned to caps->map_granularity (or the page size), no
 * wrap-around. handle is VMOSAL_NO_HANDLE exactly when ANONYMOUS is
 * set. A backend whose OS can only unmap or protect what it mapped
 * itself (Windows) keeps its own record and answers VMOSAL_EINVAL for
 * other ranges. */
/* Maps and stores the address in *out; checks that a file's access
 * mode allows prot (VMOSAL_EACCES) before mapping. A flag the OS
 * cannot honour is VMOSAL_ENOTSUP; FIXED_NOREPLACE on a taken range is
 * VMOSAL_EEXIST with nothing changed. */
VMOSAL_SLOT(call, mem_map, int,
	    (void *addr, size_t size, unsigned prot, unsigned flags, vmosal_handle_t handle,
	     int64_t offset, void **out),
	    (addr, size, prot, flags, handle, offset, out),
	    0, VMOSAL_SLOT_MANDATORY)
/* */
VMOSAL_SLOT(call, mem_unmap, int,
	    (void *addr, size_t size),
	    (addr, size),
	    0, VMOSAL_SLOT_MANDATORY)
/* */
VMOSAL_SLOT(call, mem_protect, int,
	    (void *addr, size_t size, unsigned prot),
	    (addr, size, prot),
	    0, VMOSAL_SLOT_MANDATORY)
/* Reserves size bytes of inaccessible address space, committing
 * no memory, at a base where base + align_offset is a multiple of
 * alignment (a power of two >= the granularity; align_offset <
 * size). Nothing of the slack it took to align may stay behind. */
VMOSAL_SLOT(call, mem_reserve, int,
	    (size_t size, size_t alignment, size_t align_offset, void **out),
	    (size, alignment, align_offset, out),
	    0, VMOSAL_SLOT_MANDATORY)
/* Maps into [addr, addr + size) inside one reservation, replacing
 * reserved pages only (flags without FIXED/FIXED_NOREPLACE). On
 * failure the range is still reserved. */
VMOSAL_SLOT(call, mem_map_reserved, int,
	    (void *addr, size_t size, unsigned prot, unsigned flags, vmosal_handle_t handle,
	     int64_t offset),
	    (addr, size, prot, flags, handle, offset),
	    0, VMOSAL_SLOT_MANDATORY)
/* Releases a whole reservation from mem_reserve, with whatever
 * was mapped into it. */
VMOSAL_SLOT(call, mem_release, int,
	    (void *addr, size_t size),
	    (addr, size),
	    0, VMOSAL_SLOT_MANDATORY)
/* advice is enum vmosal_advice. VMOSAL_ENOTSUP for advice this host
 * cannot take, or does not know. NULL: every advice is ENOTSUP. */
VMOSAL_SLOT(call, mem_advise, int,
	    (void *addr, size_t size, int advice),
	    (addr, size, advice),
	    0, 0)
/* NULL: VMOSAL_ENOTSUP. */
VMOSAL_SLOT(call, mem_lock, int, (void *addr, size_t size), (addr, size), 0, 0)
VMOSAL_SLOT(call, mem_unlock, int, (void *addr, size_t size), (addr, size), 0, 0)
/* flags: VMOSAL_MS_*, exactly one of ASYNC/SYNC. NULL: ENOTSUP. */
VMOSAL_SLOT(call, mem_sync, int,
	    (void *addr, size_t size, unsigned flags),
	    (addr, size, flags),
	    0, 0)
/* Fills the THP and huge page fields. NULL: no huge pages of either
 * kind. */
VMOSAL_SLOT(call, huge_page_sizes, int,
	    (struct vmosal_backend_huge_page_sizes *out),
	    (out),
	    0, 0)
/* Faults in [addr, addr + size) for writing on the calling thread,
 * without changing contents; VMOSAL_ENOMEM when huge pages or a
 * memory limit run out. May be called from several threads at once on
 * disjoint ranges. A backend of ABI 2.1 may let the fault happen
 * (SIGBUS): the core runs this slot inside its fault guard. One of
 * ABI 2.0 (no fault_guard slot) must never raise it. NULL:
 * preallocation is VMOSAL_ENOTSUP. */
VMOSAL_SLOT(call, mem_populate, int, (void *addr, size_t size), (addr, size), 0, 0)
/* Creates a shared memory object (flags VMOSAL_SHM_*) of size bytes;
 * with VMOSAL_SHM_HUGETLB, huge_page_shift is log2 of the huge page
 * size (0: the OS default). The handle is not inherited across exec.
 * NULL: ENOTSUP. */
VMOSAL_SLOT(call, shm_create, int,
	    (const char *name, uint64_t size, unsigned flags, unsigned huge_page_shift,
	     vmosal_handle_t *out),
	    (name, size, flags, huge_page_shift, out),
	    0, VMOSAL_SLOT_SHM)
/* Closes any handle a slot made (shm_create, event_create, device_open,
 * signal_fd_create, handle_dup, timer_create, the channel slots),
 * releasing it even when it returns an
 * error. A plugin of ABI 2.1 to 2.3 filled this slot for shared memory
 * only and retired_handle_close for all handles: the core then uses the
 * latter. */
VMOSAL_SLOT(call, handle_close, int,
	    (vmosal_handle_t h),
	    (h),
	    0, VMOSAL_SLOT_SHM | VMOSAL_SLOT_EVENT | VMOSAL_SLOT_DEVICE | VMOSAL_SLOT_SIGNAL_FD |
		   VMOSAL_SLOT_TIMER | VMOSAL_SLOT_CHANNEL)
/* Maps size bytes (page multiple) twice: *rw read-write, *rx
 * read-execute; never one view writable and executable. NULL: ENOTSUP. */
VMOSAL_SLOT(call, jit_map, int,
	    (size_t size, void **rw, void **rx),
	    (size, rw, rx),
	    0, VMOSAL_SLOT_JIT)
/* Unmaps both views of a jit_map. Mandatory when jit_map is set. */
VMOSAL_SLOT(call, jit_unmap, int,
	    (void *rw, void *rx, size_t size),
	    (rw, rx, size),
	    0, VMOSAL_SLOT_JIT)
/* Makes freshly written code in [addr, addr + size) executable
 * (instruction cache). NULL: the core uses the compiler's
 * __builtin___clear_cache, right for Linux and macOS. */
VMOSAL_SLOT(call, icache_flush, int, (void *addr, size_t size), (addr, size), 0, 0)

/* ---- ABI 2.1: signals ----
 * sig is enum vmosal_signal (signal.h); unknown: VMOSAL_ENOTSUP. A
 * plugin of ABI 2.0 has none of the slots below: the public calls are
 * then VMOSAL_ENOTSUP. */
/* Installs the backend's handler for sig, which calls the core's
 * signal_dispatch, keeping the disposition it replaces. Called once
 * per signal until signal_restore. */
VMOSAL_SLOT(call, signal_install, int,
	    (int sig),
	    (sig),
	    1, VMOSAL_SLOT_SIGNAL | VMOSAL_SLOT_FAULT)
/* Puts back the disposition signal_install replaced, if the
 * backend's handler is still the one installed; else leaves the
 * newer one alone. */
VMOSAL_SLOT(call, signal_restore, int,
	    (int sig),
	    (sig),
	    1, VMOSAL_SLOT_SIGNAL | VMOSAL_SLOT_FAULT)
/* Hands a signal nobody handled to the disposition signal_install
 * replaced: calls that handler, or lets the default action happen
 * (a fault is re-raised with the default action and kills). */
VMOSAL_SLOT(call, signal_chain, void,
	    (const struct vmosal_siginfo *info, void *os_context),
	    (info, os_context),
	    1, VMOSAL_SLOT_SIGNAL | VMOSAL_SLOT_FAULT)
/* Blocks (block true) or unblocks sigs[0..n) for the calling thread. */
VMOSAL_SLOT(call, signal_mask, int,
	    (bool block, const int *sigs, size_t n),
	    (block, sigs, n),
	    1, 0)
/* Waits for one of sigs[0..n); timeout_ns < 0: no limit. */
VMOSAL_SLOT(call, signal_wait, int,
	    (const int *sigs, size_t n, int64_t timeout_ns, struct vmosal_siginfo *out),
	    (sigs, n, timeout_ns, out),
	    1, 0)
/* A pollable, non-blocking, close-on-exec handle for sigs[0..n). */
VMOSAL_SLOT(call, signal_fd_create, int,
	    (const int *sigs, size_t n, vmosal_handle_t *out),
	    (sigs, n, out),
	    1, VMOSAL_SLOT_SIGNAL_FD)
/* One pending signal from it, or VMOSAL_EAGAIN. */
VMOSAL_SLOT(call, signal_fd_read, int,
	    (vmosal_handle_t h, struct vmosal_siginfo *out),
	    (h, out),
	    1, VMOSAL_SLOT_SIGNAL_FD)
/* Retired in ABI 2.4, which made handle_close (above) the one close;
 * leave it NULL. */
VMOSAL_SLOT(retired, retired_handle_close, int, (vmosal_handle_t h), (h), 1, 0)
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
VMOSAL_SLOT(call, fault_guard, int,
	    (int (*fn)(void *), void *arg, struct vmosal_siginfo *fault, int *fn_result),
	    (fn, arg, fault, fn_result),
	    1, VMOSAL_SLOT_FAULT)

/* ---- ABI 2.1: kick ---- */

/* Chooses and installs the kick mechanism (POSIX: a free realtime
 * signal, without SA_RESTART), whose handler calls the core's
 * kick_received; stores the OS signal number (0: none) in *os_signal.
 * Called once. */
VMOSAL_SLOT(call, kick_setup, int, (int *os_signal), (os_signal), 1, VMOSAL_SLOT_KICK)
/* Interrupts thread tid of this process (0: the caller); VMOSAL_ESRCH
 * for any other tid. */
VMOSAL_SLOT(call, thread_kick, int, (uint64_t tid), (tid), 1, VMOSAL_SLOT_KICK)

/* ---- ABI 2.1: events, clocks, devices ---- */

/* flags: 0. */
VMOSAL_SLOT(call, event_create, int,
	    (unsigned flags, vmosal_handle_t *out),
	    (flags, out),
	    1, VMOSAL_SLOT_EVENT)
VMOSAL_SLOT(call, event_notify, int, (vmosal_handle_t h), (h), 1, VMOSAL_SLOT_EVENT)
/* Returns 0 once signalled (and resets it), VMOSAL_ETIMEDOUT, or
 * VMOSAL_EINTR when a signal interrupted it (the core decides whether
 * to wait again). timeout_ns < 0: no limit. */
VMOSAL_SLOT(call, event_wait, int,
	    (vmosal_handle_t h, int64_t timeout_ns),
	    (h, timeout_ns),
	    1, VMOSAL_SLOT_EVENT)
/* clock is enum vmosal_clock (event.h). */
VMOSAL_SLOT(call, clock_ns, int, (int clock, uint64_t *out), (clock, out), 1, 0)
/* Sleeps ns of the monotonic clock, resuming after signals. */
VMOSAL_SLOT(call, sleep_ns, int, (uint64_t ns), (ns), 1, 0)
/* flags: VMOSAL_DEVICE_*. */
VMOSAL_SLOT(call, device_open, int,
	    (const char *path, unsigned flags, vmosal_handle_t *out),
	    (path, flags, out),
	    1, VMOSAL_SLOT_DEVICE)
/* flags: VMOSAL_IOCTL_*. Retries EINTR unless NO_RESTART or the
 * backend knows the call must return (KVM_RUN). Writes *result (never
 * NULL: the caller's own int) only on success. */
VMOSAL_SLOT(call, device_ioctl, int,
	    (vmosal_handle_t h, unsigned long request, void *arg, unsigned flags, int *result),
	    (h, request, arg, flags, result),
	    1, VMOSAL_SLOT_DEVICE)
VMOSAL_SLOT(call, process_id, int, (uint64_t *out), (out), 1, 0)
/* Returns the memory behind [addr, addr + size) of a shared or
 * file-backed mapping to the OS (the range reads back as zero); h and
 * offset are the mapping's object and its offset there, or
 * VMOSAL_NO_HANDLE. VMOSAL_ENOTSUP where the backing cannot. */
VMOSAL_SLOT(call, mem_discard, int,
	    (void *addr, size_t size, vmosal_handle_t h, int64_t offset),
	    (addr, size, h, offset),
	    1, 0)

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
VMOSAL_SLOT(call, event_wait_kick, int,
	    (vmosal_handle_t h, int64_t timeout_ns, const uint32_t *kick_pending),
	    (h, timeout_ns, kick_pending),
	    2, 0)
/* thread_create, applying before the thread runs what attr asks and
 * the OS can (see struct vmosal_backend_thread_attr). An option it
 * tries and the OS refuses fails the call, with nothing started
 * (VMOSAL_EPERM for a realtime class without privilege, VMOSAL_EACCES
 * for CPUs). NULL: the core uses thread_create and applies every
 * option in the new thread. */
VMOSAL_SLOT(call, thread_create_attr, int,
	    (void *(*start)(void *), void *arg, struct vmosal_backend_thread_attr *attr,
	     void **handle),
	    (start, arg, attr, handle),
	    2, 0)
/* Makes tid realtime: policy is enum vmosal_rt_policy, level
 * 1..VMOSAL_RT_LEVEL_MAX (the core checked both). VMOSAL_EPERM, with
 * the thread unchanged, without privilege. NULL: only level 1 of
 * VMOSAL_RT_FIFO is possible, through thread_set_priority. */
VMOSAL_SLOT(call, thread_set_realtime, int,
	    (uint64_t tid, int policy, int level),
	    (tid, policy, level),
	    2, 0)

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
VMOSAL_SLOT(call, jit_write_begin, int,
	    (void *rw, void *rx, size_t size),
	    (rw, rx, size),
	    3, VMOSAL_SLOT_JIT_WINDOW)
VMOSAL_SLOT(call, jit_write_end, int,
	    (void *rw, void *rx, size_t size),
	    (rw, rx, size),
	    3, VMOSAL_SLOT_JIT_WINDOW)


/* ---- ABI 2.4: handles ---- */


/* A second handle to h's object, not inherited by child processes.
 * Linux's events stay events. NULL: VMOSAL_ENOTSUP. */
VMOSAL_SLOT(call, handle_dup, int, (vmosal_handle_t h, vmosal_handle_t *out), (h, out), 4, 0)
/* Whether child processes inherit h (POSIX: FD_CLOEXEC cleared when
 * inherit; Windows: HANDLE_FLAG_INHERIT). NULL: VMOSAL_ENOTSUP. */
VMOSAL_SLOT(call, handle_set_inheritable, int,
	    (vmosal_handle_t h, bool inherit),
	    (h, inherit),
	    4, 0)


/* ---- ABI 2.5: the device half: wait sets, timers, channels ---- */

/* A wait set (waitset.h): ws is what waitset_create stored, the core's
 * struct vmosal_waitset holds it. The core has checked events (known
 * bits, READABLE or WRITABLE among them) and counts members against
 * VMOSAL_WAITSET_MAX; the backend answers VMOSAL_EEXIST, VMOSAL_ENOENT and
 * VMOSAL_EBADF for h, and may be called from several threads at once, one
 * of them in waitset_wait. */
VMOSAL_SLOT(call, waitset_create, int, (unsigned flags, void **ws), (flags, ws), 5,
	    VMOSAL_SLOT_WAITSET)
VMOSAL_SLOT(call, waitset_destroy, int, (void *ws), (ws), 5, VMOSAL_SLOT_WAITSET)
VMOSAL_SLOT(call, waitset_add, int,
	    (void *ws, vmosal_handle_t h, unsigned events, uint64_t token),
	    (ws, h, events, token),
	    5, VMOSAL_SLOT_WAITSET)
VMOSAL_SLOT(call, waitset_modify, int,
	    (void *ws, vmosal_handle_t h, unsigned events, uint64_t token),
	    (ws, h, events, token),
	    5, VMOSAL_SLOT_WAITSET)
VMOSAL_SLOT(call, waitset_remove, int, (void *ws, vmosal_handle_t h), (ws, h), 5,
	    VMOSAL_SLOT_WAITSET)
/* Waits as event_wait_kick does (the kick rule, VMOSAL_EINTR for a kick
 * or any signal handler; the core goes on with what is left of the
 * timeout after another signal), capacity > 0, and stores *n. */
VMOSAL_SLOT(call, waitset_wait, int,
	    (void *ws, int64_t timeout_ns, struct vmosal_wait_event *ready, size_t capacity,
	     size_t *n, const uint32_t *kick_pending),
	    (ws, timeout_ns, ready, capacity, n, kick_pending),
	    5, VMOSAL_SLOT_WAITSET)
/* A timer (timer.h). clock is MONOTONIC, REALTIME or BOOTTIME; flags are
 * checked. timer_arm's first_ns 0 disarms; the core turns a relative 0
 * into 1 and has checked both values. */
VMOSAL_SLOT(call, timer_create, int,
	    (int clock, unsigned flags, vmosal_handle_t *out),
	    (clock, flags, out),
	    5, VMOSAL_SLOT_TIMER)
VMOSAL_SLOT(call, timer_arm, int,
	    (vmosal_handle_t h, uint64_t first_ns, uint64_t period_ns),
	    (h, first_ns, period_ns),
	    5, VMOSAL_SLOT_TIMER)
VMOSAL_SLOT(call, timer_read, int,
	    (vmosal_handle_t h, uint64_t *expirations),
	    (h, expirations),
	    5, VMOSAL_SLOT_TIMER)
/* An event's count (event.h). NULL: VMOSAL_ENOTSUP. */
VMOSAL_SLOT(call, event_read, int, (vmosal_handle_t h, uint64_t *count), (h, count), 5, 0)
/* Channels (channel.h), arguments checked by the core (lengths, counts,
 * the name's length, flags 0). channel_recv stores the message's length
 * in *len and the handles' number in *nhandles, also for EMSGSIZE. */
VMOSAL_SLOT(call, channel_pair, int, (unsigned flags, vmosal_handle_t *out), (flags, out), 5,
	    VMOSAL_SLOT_CHANNEL)
VMOSAL_SLOT(call, channel_listen, int,
	    (const char *name, unsigned flags, vmosal_handle_t *out),
	    (name, flags, out),
	    5, VMOSAL_SLOT_CHANNEL)
VMOSAL_SLOT(call, channel_accept, int,
	    (vmosal_handle_t listener, int64_t timeout_ns, vmosal_handle_t *out,
	     const uint32_t *kick_pending),
	    (listener, timeout_ns, out, kick_pending),
	    5, VMOSAL_SLOT_CHANNEL)
VMOSAL_SLOT(call, channel_connect, int,
	    (const char *name, unsigned flags, vmosal_handle_t *out),
	    (name, flags, out),
	    5, VMOSAL_SLOT_CHANNEL)
VMOSAL_SLOT(call, channel_send, int,
	    (vmosal_handle_t h, const void *buf, size_t len, const vmosal_handle_t *handles,
	     size_t nhandles),
	    (h, buf, len, handles, nhandles),
	    5, VMOSAL_SLOT_CHANNEL)
VMOSAL_SLOT(call, channel_recv, int,
	    (vmosal_handle_t h, void *buf, size_t capacity, size_t *len, vmosal_handle_t *handles,
	     size_t handle_capacity, size_t *nhandles, int64_t timeout_ns,
	     const uint32_t *kick_pending),
	    (h, buf, capacity, len, handles, handle_capacity, nhandles, timeout_ns, kick_pending),
	    5, VMOSAL_SLOT_CHANNEL)
VMOSAL_SLOT(call, channel_peer_pid, int, (vmosal_handle_t h, uint64_t *pid), (h, pid), 5, 0)
/* Sets sig's disposition to ignored (ignore true), keeping the one it
 * replaces, or puts that back (false), if ignored is still the one in
 * place; else leaves the newer one alone. Called under the core's
 * registry lock, as signal_install and signal_restore are, which while
 * the ignore is in place work on the disposition it keeps: the core's
 * handler comes back with it where handlers were registered meanwhile,
 * and the previous one where the last went. NULL: VMOSAL_ENOTSUP. */
VMOSAL_SLOT(call, signal_ignore, int, (int sig, bool ignore), (sig, ignore), 5, 0)
