/* The recording fake backends (fake_record.c): what they record and how a
 * test steers them.
 *
 * vmosal_fake_record fills every slot of the current ABI; vmosal_fake_bare,
 * built from the same source, only the mandatory ones (backend_slots.h), as
 * the smallest plugin the loader accepts. Every slot call appends one
 * struct vmosal_fake_call to a ring and returns 0 unless a failure was
 * programmed for that slot. A test reaches the control functions below by
 * loading the module file a second time (the OS hands back the module the
 * core already holds) and looking them up by name; backends may export
 * only their entry symbol, fakes may export more. */
#ifndef VMOSAL_FAKE_RECORD_H
#define VMOSAL_FAKE_RECORD_H

#include "vmosal.h"
#include "vmosal/backend.h"

#define VMOSAL_FAKE_RECORD_NAME "fake_record" /* ops->name */
#define VMOSAL_FAKE_BARE_NAME "fake_bare"     /* ops->name of the bare module */
#define VMOSAL_FAKE_RECORD_RING 256           /* calls kept, the newest ones */
#define VMOSAL_FAKE_RECORD_ARGS 6

/* What the fake answers, for tests to compare against. */
#define VMOSAL_FAKE_PAGE_SIZE 4096u
#define VMOSAL_FAKE_CPUS_POSSIBLE 8u
#define VMOSAL_FAKE_CPUS_ONLINE 6u
#define VMOSAL_FAKE_CPUS_USABLE 4u
#define VMOSAL_FAKE_THREAD_NAME_MAX 15u
#define VMOSAL_FAKE_TID_BASE 1000u /* thread_self: the base plus one per thread */
#define VMOSAL_FAKE_TWO_MIB ((uint64_t)2 << 20)
#define VMOSAL_FAKE_HUGE_TOTAL 512u /* pages in the one 2 MiB pool */
#define VMOSAL_FAKE_HUGE_FREE 256u
#define VMOSAL_FAKE_MEM_TOTAL ((uint64_t)8 << 30)
#define VMOSAL_FAKE_MEM_AVAILABLE ((uint64_t)6 << 30)
#define VMOSAL_FAKE_CURRENT_CPU 3u
#define VMOSAL_FAKE_THREAD_NAME "fake" /* what thread_get_name copies */
#define VMOSAL_FAKE_SHM_HANDLE ((vmosal_handle_t)(intptr_t)7)
#define VMOSAL_FAKE_HVF_REASON "fake: no hypervisor here"
/* ABI 2.1 and later. Handles are small numbers, valid on every OS. */
#define VMOSAL_FAKE_EVENT_HANDLE ((vmosal_handle_t)(intptr_t)11)
#define VMOSAL_FAKE_DEVICE_HANDLE ((vmosal_handle_t)(intptr_t)12)
#define VMOSAL_FAKE_SIGNAL_FD_HANDLE ((vmosal_handle_t)(intptr_t)13)
#define VMOSAL_FAKE_DUP_HANDLE ((vmosal_handle_t)(intptr_t)14) /* handle_dup's */
#define VMOSAL_FAKE_TIMER_HANDLE ((vmosal_handle_t)(intptr_t)15)
#define VMOSAL_FAKE_CHANNEL_HANDLE ((vmosal_handle_t)(intptr_t)16) /* [1] is 17 */
#define VMOSAL_FAKE_WAITSET ((void *)(intptr_t)0x5e7)             /* waitset_create's */
#define VMOSAL_FAKE_COUNT 3                                        /* event_read's, timer_read's */
#define VMOSAL_FAKE_PEER_PID 4242
#define VMOSAL_FAKE_KICK_SIGNAL 40      /* kick_setup's OS signal */
#define VMOSAL_FAKE_IOCTL_RESULT 5      /* device_ioctl's *result */
#define VMOSAL_FAKE_PROCESS_ID 4321u
/* signal_wait and signal_fd_read answer with a siginfo: signal_wait the
 * first signal asked for, signal_fd_read VMOSAL_SIGUSR1; os_signal is
 * VMOSAL_FAKE_OS_SIGNAL_BASE plus the signal, os_code the one below. */
#define VMOSAL_FAKE_OS_SIGNAL_BASE 100
#define VMOSAL_FAKE_SI_CODE (-6)
/* fault_guard runs fn unless VMOSAL_EFAULT is programmed: then it fills
 * the fault as a SIGBUS at this address, as a guarded fault would. */
#define VMOSAL_FAKE_FAULT_ADDR ((void *)(uintptr_t)0x5a5a0000u)
#define VMOSAL_FAKE_FAULT_CODE 2
/* clock_ns of any clock: the start, then one step more on each read,
 * so that a wait that goes on after EINTR runs out of time. */
#define VMOSAL_FAKE_CLOCK_START UINT64_C(1000000000)
#define VMOSAL_FAKE_CLOCK_STEP UINT64_C(1000000)

/* One slot call. Arguments are stored in the slot's parameter order as
 * integers, pointers by address and handles sign-extended (the two macros
 * below), so that VMOSAL_NO_HANDLE reads as UINT64_MAX on every OS. An
 * out-pointer that would make a seventh is left out. A string argument
 * (a thread or shm name, a device path) is also copied to text. Where a
 * slot takes more than its parameters say, the fake records:
 *   thread_set_affinity: (tid, cpus, ncpus, cpus[0], cpus[1], cpus[2]);
 *   thread_create_attr: (start, arg, stack_size, ncpus, realtime,
 *     rt_policy << 32 | rt_level), nothing of *attr applied;
 *   signal_mask: (block, sigs, n, sigs[0], sigs[1], sigs[2]);
 *   signal_wait: (sigs, n, timeout_ns, sigs[0], sigs[1], out);
 *   signal_fd_create: (sigs, n, sigs[0], sigs[1], out);
 *   signal_chain: (signal, os_signal, os_code, fault_addr, os_context);
 *   event_wait_kick: (h, timeout_ns, kick_pending, *kick_pending), and
 *     it answers VMOSAL_EINTR while *kick_pending is set;
 *   device_ioctl: (h, request, arg, flags, result).
 * thread_kick of the caller (tid 0 or its own) runs the core's
 * kick_received before it returns, as a signal a thread sends itself
 * arrives; other tids get nothing.
 * Unused places read 0. */
#define VMOSAL_FAKE_ARG_PTR(p) ((uint64_t)(uintptr_t)(p))
#define VMOSAL_FAKE_ARG_HANDLE(h) ((uint64_t)(int64_t)(intptr_t)(h))

struct vmosal_fake_call {
	const char *slot; /* the slot's member name in struct vmosal_backend_ops */
	uint64_t args[VMOSAL_FAKE_RECORD_ARGS];
	char text[32];
};

/* Forgets every call, and clears programmed failures, the clock and the
 * granularity. */
VMOSAL_BACKEND_EXPORT void vmosal_fake_record_reset(void);
/* Calls since the last reset, including those the ring no longer holds. */
VMOSAL_BACKEND_EXPORT size_t vmosal_fake_record_count(void);
/* Copies call number index (0: the first since the reset); -1 when the ring
 * does not hold it. */
VMOSAL_BACKEND_EXPORT int vmosal_fake_record_get(size_t index, struct vmosal_fake_call *out);
/* Makes every later call of slot return code (0: succeed again), until the
 * next reset; the call is still recorded and leaves its outputs alone. -1
 * for a slot name the module does not fill. */
VMOSAL_BACKEND_EXPORT int vmosal_fake_record_fail(const char *slot, int code);
/* Sets the map granularity the backend reported at init, as a host with
 * another granule (Windows' 64 KiB) would have, until the next reset. */
VMOSAL_BACKEND_EXPORT void vmosal_fake_record_granularity(uint64_t bytes);
/* Hands info to the core's signal_dispatch on the calling thread, as the
 * backend's signal handler would: the core's handlers run, then
 * signal_chain when none took it. No OS signal is involved. */
VMOSAL_BACKEND_EXPORT void vmosal_fake_record_deliver(const struct vmosal_siginfo *info);

#endif
