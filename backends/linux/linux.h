/* Linux backend internals, shared by its source files. */
#ifndef VMOSAL_BACKEND_LINUX_H
#define VMOSAL_BACKEND_LINUX_H

#include <sys/types.h>

#include "../posix/posix.h"

/* linux_host.c */
int linux_host_info(struct vmosal_backend_host *out);
int linux_host_memory(struct vmosal_backend_host_memory *out);
int linux_accel_probe(int which, struct vmosal_backend_accel *out);

/* linux_thread.c */
int linux_thread_self(uint64_t *tid);
int linux_thread_set_affinity(uint64_t tid, const size_t *cpus, size_t ncpus);
int linux_thread_get_affinity(uint64_t tid, size_t *cpus, size_t capacity, size_t *ncpus);
int linux_thread_set_priority(uint64_t tid, int prio);
int linux_thread_set_realtime(uint64_t tid, int policy, int level);
int linux_thread_create_attr(void *(*start)(void *), void *arg,
			     struct vmosal_backend_thread_attr *attr, void **handle);
int linux_thread_get_priority(uint64_t tid, int *prio);
int linux_thread_set_name(uint64_t tid, const char *name);
int linux_thread_get_name(uint64_t tid, char *buf, size_t len);
int linux_thread_current_cpu(size_t *cpu);
int linux_wait_u32(const uint32_t *addr, uint32_t expected, int64_t timeout_ns);
int linux_wake_u32(const uint32_t *addr, bool all);

/* linux_mem.c */
int linux_mem_map(void *addr, size_t size, unsigned prot, unsigned flags, vmosal_handle_t fd,
		  int64_t offset, void **out);
int linux_mem_map_reserved(void *addr, size_t size, unsigned prot, unsigned flags,
			   vmosal_handle_t fd, int64_t offset);
int linux_mem_advise(void *addr, size_t size, int advice);
int linux_huge_page_sizes(struct vmosal_backend_huge_page_sizes *out);
int linux_mem_populate(void *addr, size_t size);
int linux_shm_create(const char *name, uint64_t size, unsigned flags,
		     unsigned huge_page_shift, vmosal_handle_t *out);
int linux_jit_map(size_t size, void **rw, void **rx);

int linux_mem_discard(void *addr, size_t size, vmosal_handle_t h, int64_t offset);

/* linux_signal.c */
int linux_signal_fd_create(const int *sigs, size_t n, vmosal_handle_t *out);
int linux_signal_fd_read(vmosal_handle_t h, struct vmosal_siginfo *out);
int linux_thread_kick(uint64_t tid);
/* This process's pid, kept (and forgotten at fork: no system call once
 * read); reread: read it again, after tgkill said the pair is wrong. */
pid_t linux_self_pid(bool reread);

/* linux_io.c */
int linux_event_create(unsigned flags, vmosal_handle_t *out);
int linux_event_notify(vmosal_handle_t h);
int linux_event_wait(vmosal_handle_t h, int64_t timeout_ns);
int linux_event_wait_kick(vmosal_handle_t h, int64_t timeout_ns, const uint32_t *kick_pending);
/* posix_handle_close, forgetting an event of ours first. */
int linux_handle_close(vmosal_handle_t h);
int linux_device_ioctl(vmosal_handle_t h, unsigned long request, void *arg, unsigned flags,
		       int *result);

#endif
