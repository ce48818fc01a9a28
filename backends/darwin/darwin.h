/* Darwin (macOS, iOS) backend internals, shared by its source files.
 *
 * A tid here is the thread's Mach port name in this task
 * (pthread_mach_thread_np): what thread_policy_set and thread_info take,
 * and what pthread_from_mach_thread_np turns back into a pthread_t of this
 * process, so that a tid of another process is never acted on.
 *
 * Each slot the backend implements itself is darwin_<slot> (backend_slots.h
 * declares them all below); darwin_backend.c fills the rest of the table
 * with posix_<slot>. Files: darwin_host.c (host facts, Hypervisor.framework),
 * darwin_thread.c (threads, wait on a word), darwin_mem.c (mappings, shared
 * memory, JIT), darwin_signal.c (signal waits and descriptors, the kick),
 * darwin_io.c (events, clocks); darwin_policy.c holds the decisions that
 * need no Darwin header. */
#ifndef VMOSAL_BACKEND_DARWIN_H
#define VMOSAL_BACKEND_DARWIN_H

#include <pthread.h>
#include <mach/mach.h>

#include "../posix/posix.h"
#include "darwin_policy.h"

#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) ret darwin_##name params;
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT

/* darwin_backend.c: affinity tags work on this machine (Intel), as
 * init() found out. */
extern bool darwin_affinity_tags;

/* darwin_host.c: hw.logicalcpu_max: every CPU number a thread may ever run
 * on is below. */
uint64_t darwin_cpus_possible(void);

/* darwin_thread.c */
/* True when THREAD_AFFINITY_POLICY answers on this machine. */
bool darwin_probe_affinity(void);
/* The Mach port name and pthread of tid (0: the caller); VMOSAL_ESRCH for
 * a port that is no thread of this process. */
int darwin_thread_of(uint64_t tid, mach_port_t *port, pthread_t *thread);

#endif
