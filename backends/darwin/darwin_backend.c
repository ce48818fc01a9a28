/* The Darwin backend's ops table and entry point. */
#include "config.h"

#include "darwin.h"

bool darwin_affinity_tags;

int darwin_init(const struct vmosal_core_services *core, struct vmosal_backend_caps *caps)
{
	posix_core = core;
	/* AF_UNIX on Darwin has no SOCK_SEQPACKET (unix(4)). */
	posix_channel_mode = POSIX_CHANNEL_STREAM;
	/* Affinity tags are a hint to the scheduler, and exist on Intel
	 * only: Apple silicon (and Rosetta on it) answers KERN_NOT_SUPPORTED,
	 * and is reported as having no affinity at all. */
	darwin_affinity_tags = darwin_probe_affinity();
	caps->flags = VMOSAL_BACKEND_CAP_REALTIME;
	caps->affinity = VMOSAL_AFFINITY_UNSUPPORTED;
	if (darwin_affinity_tags) {
		caps->flags |= VMOSAL_BACKEND_CAP_AFFINITY_OTHER_THREADS;
		caps->affinity = VMOSAL_AFFINITY_SOFT;
	}
	caps->thread_name_max = 63; /* MAXTHREADNAMESIZE - 1 */
	return 0;
}

static const struct vmosal_backend_ops darwin_ops = {
	.abi_version = VMOSAL_BACKEND_ABI,
	.struct_size = sizeof(struct vmosal_backend_ops),
	.name = "darwin",
	.init = darwin_init,
	.host_info = darwin_host_info,
	.host_memory = darwin_host_memory,
	.accel_probe = darwin_accel_probe,
	.thread_create = posix_thread_create,
	.thread_join = posix_thread_join,
	.thread_self = darwin_thread_self,
	.thread_set_affinity = darwin_thread_set_affinity,
	.thread_get_affinity = darwin_thread_get_affinity,
	.thread_set_priority = darwin_thread_set_priority,
	.thread_get_priority = darwin_thread_get_priority,
	.thread_set_name = darwin_thread_set_name,
	.thread_get_name = darwin_thread_get_name,
	/* No public call says which CPU a thread is on. */
	.thread_current_cpu = NULL,
	.wait_u32 = darwin_wait_u32,
	.wake_u32 = darwin_wake_u32,
	.mem_map = darwin_mem_map,
	.mem_unmap = posix_mem_unmap,
	.mem_protect = posix_mem_protect,
	.mem_reserve = posix_mem_reserve,
	.mem_map_reserved = darwin_mem_map_reserved,
	.mem_release = posix_mem_release,
	.mem_advise = darwin_mem_advise,
	.mem_lock = posix_mem_lock,
	.mem_unlock = posix_mem_unlock,
	.mem_sync = posix_mem_sync,
	/* No hugetlb pools and no THP to report. */
	.huge_page_sizes = NULL,
	.mem_populate = darwin_mem_populate,
	.shm_create = darwin_shm_create,
	.jit_map = darwin_jit_map,
	.jit_unmap = posix_jit_unmap,
	.icache_flush = darwin_icache_flush,
	.signal_install = posix_signal_install,
	.signal_restore = posix_signal_restore,
	.signal_chain = posix_signal_chain,
	.signal_mask = posix_signal_mask,
	.signal_wait = darwin_signal_wait,
	.signal_fd_create = darwin_signal_fd_create,
	.signal_fd_read = darwin_signal_fd_read,
	.signal_ignore = posix_signal_ignore, /* ABI 2.5 */
	.handle_close = posix_handle_close,
	.fault_guard = posix_fault_guard,
	.kick_setup = posix_kick_setup,
	.thread_kick = darwin_thread_kick,
	.event_create = darwin_event_create,
	.event_notify = posix_event_notify,
	.event_wait = posix_event_wait,
	/* ABI 2.5: wait sets and timers on kqueues, event counts of the
	 * FIFO. */
	.waitset_create = darwin_waitset_create,
	.waitset_destroy = darwin_waitset_destroy,
	.waitset_add = darwin_waitset_add,
	.waitset_modify = darwin_waitset_modify,
	.waitset_remove = darwin_waitset_remove,
	.waitset_wait = darwin_waitset_wait,
	.timer_create = darwin_timer_create,
	.timer_arm = darwin_timer_arm,
	.timer_read = darwin_timer_read,
	.event_read = posix_event_read,
	.clock_ns = darwin_clock_ns,
	.sleep_ns = posix_sleep_ns,
	.device_open = posix_device_open,
	.device_ioctl = posix_device_ioctl,
	.process_id = posix_process_id,
	/* No hole punching in POSIX shared memory; MADV_FREE does not
	 * promise zeroes. */
	.mem_discard = NULL,
	.event_wait_kick = posix_event_wait_kick,
	/* ABI 2.2: no pre-start attributes for a Mach policy or an affinity
	 * tag; the core applies them in the new thread. */
	.thread_create_attr = NULL,
	.thread_set_realtime = darwin_thread_set_realtime,
	/* ABI 2.3: Apple silicon's per-thread MAP_JIT switch. */
	.jit_write_begin = darwin_jit_write_begin,
	.jit_write_end = darwin_jit_write_end,
	/* ABI 2.4. A signal descriptor (a kqueue) is never inherited by a
	 * child, whatever its flag says (kqueue(2)). */
	.handle_dup = posix_handle_dup,
	.handle_set_inheritable = posix_handle_set_inheritable,
	/* ABI 2.5: channels, framed on SOCK_STREAM (posix_channel.c). */
	.channel_pair = posix_channel_pair,
	.channel_listen = posix_channel_listen,
	.channel_accept = posix_channel_accept,
	.channel_connect = posix_channel_connect,
	.channel_send = posix_channel_send,
	.channel_recv = posix_channel_recv,
	.channel_peer_pid = posix_channel_peer_pid,
};

const struct vmosal_backend_ops *vmosal_backend_entry(uint32_t core_abi)
{
	(void)core_abi;
	return &darwin_ops;
}
