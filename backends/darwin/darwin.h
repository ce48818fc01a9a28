/* Darwin (macOS, iOS) backend internals, shared by its source files.
 *
 * A tid here is the thread's Mach port name in this task
 * (pthread_mach_thread_np): what thread_policy_set and thread_info take,
 * and what pthread_from_mach_thread_np turns back into a pthread_t of this
 * process, so that a tid of another process is never acted on. */
#ifndef VMOSAL_BACKEND_DARWIN_H
#define VMOSAL_BACKEND_DARWIN_H

#include <pthread.h>
#include <mach/mach.h>

#include "../posix/posix.h"
#include "darwin_policy.h"

/* darwin_backend.c: affinity tags work on this machine (Intel), as
 * init() found out. */
extern bool darwin_affinity_tags;

/* darwin_host.c */
int darwin_host_info(struct vmosal_backend_host *out);
int darwin_host_memory(struct vmosal_backend_host_memory *out);
int darwin_accel_probe(int which, struct vmosal_backend_accel *out);
/* hw.logicalcpu_max: every CPU number a thread may ever run on is below. */
uint64_t darwin_cpus_possible(void);

/* darwin_thread.c */
int darwin_thread_self(uint64_t *tid);
int darwin_thread_set_affinity(uint64_t tid, const size_t *cpus, size_t ncpus);
int darwin_thread_get_affinity(uint64_t tid, size_t *cpus, size_t capacity, size_t *ncpus);
int darwin_thread_set_priority(uint64_t tid, int prio);
int darwin_thread_set_realtime(uint64_t tid, int policy, int level);
int darwin_thread_get_priority(uint64_t tid, int *prio);
int darwin_thread_set_name(uint64_t tid, const char *name);
int darwin_thread_get_name(uint64_t tid, char *buf, size_t len);
int darwin_wait_u32(const uint32_t *addr, uint32_t expected, int64_t timeout_ns);
int darwin_wake_u32(const uint32_t *addr, bool all);
/* The Mach port name and pthread of tid (0: the caller); VMOSAL_ESRCH for
 * a port that is no thread of this process. */
int darwin_thread_of(uint64_t tid, mach_port_t *port, pthread_t *thread);
/* True when THREAD_AFFINITY_POLICY answers on this machine. */
bool darwin_probe_affinity(void);

/* darwin_mem.c */
int darwin_mem_map(void *addr, size_t size, unsigned prot, unsigned flags, vmosal_handle_t fd,
		   int64_t offset, void **out);
int darwin_mem_map_reserved(void *addr, size_t size, unsigned prot, unsigned flags,
			    vmosal_handle_t fd, int64_t offset);
int darwin_mem_advise(void *addr, size_t size, int advice);
int darwin_mem_populate(void *addr, size_t size);
int darwin_shm_create(const char *name, uint64_t size, unsigned flags,
		      unsigned huge_page_shift, vmosal_handle_t *out);
int darwin_jit_map(size_t size, void **rw, void **rx);
int darwin_icache_flush(void *addr, size_t size);
int darwin_jit_write_begin(void *rw, void *rx, size_t size);
int darwin_jit_write_end(void *rw, void *rx, size_t size);

/* darwin_signal.c */
int darwin_signal_wait(const int *sigs, size_t n, int64_t timeout_ns,
		       struct vmosal_siginfo *out);
int darwin_signal_fd_create(const int *sigs, size_t n, vmosal_handle_t *out);
int darwin_signal_fd_read(vmosal_handle_t h, struct vmosal_siginfo *out);
int darwin_thread_kick(uint64_t tid);

/* darwin_io.c */
int darwin_event_create(unsigned flags, vmosal_handle_t *out);
int darwin_clock_ns(int clock, uint64_t *out);

#endif
