/* The recording fake backend (fake_record.c): what it records and how a test
 * steers it.
 *
 * Every slot call appends one struct vmosal_fake_call to a ring and returns
 * 0 unless a failure was programmed for that slot. A test reaches the
 * control functions below by loading the module file a second time (the OS
 * hands back the module the core already holds) and looking them up by
 * name; backends may export only their entry symbol, fakes may export
 * more. */
#ifndef VMOSAL_FAKE_RECORD_H
#define VMOSAL_FAKE_RECORD_H

#include "vmosal.h"
#include "vmosal/backend.h"

#define VMOSAL_FAKE_RECORD_NAME "fake_record" /* ops->name */
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

/* One slot call. Arguments are stored in the slot's parameter order as
 * integers, pointers by address and handles sign-extended (the two macros
 * below), so that VMOSAL_NO_HANDLE reads as UINT64_MAX on every OS. An
 * out-pointer that would make a seventh is left out. thread_set_affinity
 * appends cpus[0..3) after (tid, cpus, ncpus). A string argument (a thread
 * or shm name) is also copied to text. */
#define VMOSAL_FAKE_ARG_PTR(p) ((uint64_t)(uintptr_t)(p))
#define VMOSAL_FAKE_ARG_HANDLE(h) ((uint64_t)(int64_t)(intptr_t)(h))

struct vmosal_fake_call {
	const char *slot; /* the slot's member name in struct vmosal_backend_ops */
	uint64_t args[VMOSAL_FAKE_RECORD_ARGS];
	char text[32];
};

/* Forgets every call, clears programmed failures and puts back removed
 * slots. */
VMOSAL_BACKEND_EXPORT void vmosal_fake_record_reset(void);
/* Calls since the last reset, including those the ring no longer holds. */
VMOSAL_BACKEND_EXPORT size_t vmosal_fake_record_count(void);
/* Copies call number index (0: the first since the reset); -1 when the ring
 * does not hold it. */
VMOSAL_BACKEND_EXPORT int vmosal_fake_record_get(size_t index, struct vmosal_fake_call *out);
/* Makes every later call of slot return code (0: succeed again), until the
 * next reset; the call is still recorded and leaves its outputs alone. -1
 * for an unknown slot name. */
VMOSAL_BACKEND_EXPORT int vmosal_fake_record_fail(const char *slot, int code);
/* Empties an optional slot in the ops table, as a backend without it would
 * have, until the next reset; -1 for a mandatory or unknown slot. */
VMOSAL_BACKEND_EXPORT int vmosal_fake_record_remove(const char *slot);
/* Sets the map granularity the backend reported at init, as a host with
 * another granule (Windows' 64 KiB) would have, until the next reset. */
VMOSAL_BACKEND_EXPORT void vmosal_fake_record_granularity(uint64_t bytes);

#endif
