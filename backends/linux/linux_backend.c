/* The Linux backend's ops table and entry point. */
#include "config.h"

#include "linux.h"

/* SEQPACKET; a build for tests (tests/channel.am) makes it STREAM, to run
 * the channel suite on the framing the Darwin backend uses. */
#ifndef LINUX_CHANNEL_MODE
#define LINUX_CHANNEL_MODE POSIX_CHANNEL_SEQPACKET
#endif

int linux_init(const struct vmosal_core_services *core, struct vmosal_backend_caps *caps)
{
	posix_core = core;
	posix_channel_mode = LINUX_CHANNEL_MODE;
	caps->flags = VMOSAL_BACKEND_CAP_AFFINITY_OTHER_THREADS | VMOSAL_BACKEND_CAP_REALTIME;
	caps->affinity = VMOSAL_AFFINITY_HARD;
	caps->thread_name_max = 15; /* TASK_COMM_LEN - 1 */
	return 0;
}

static const struct vmosal_backend_ops linux_ops = {
	.abi_version = VMOSAL_BACKEND_ABI,
	.struct_size = sizeof(struct vmosal_backend_ops),
	.name = "linux",
	.init = linux_init,
	.host_info = linux_host_info,
	.host_memory = linux_host_memory,
	.accel_probe = linux_accel_probe,
	.thread_create = posix_thread_create,
	.thread_join = posix_thread_join,
	.thread_self = linux_thread_self,
	.thread_set_affinity = linux_thread_set_affinity,
	.thread_get_affinity = linux_thread_get_affinity,
	.thread_set_priority = linux_thread_set_priority,
	.thread_get_priority = linux_thread_get_priority,
	.thread_set_name = linux_thread_set_name,
	.thread_get_name = linux_thread_get_name,
	.thread_current_cpu = linux_thread_current_cpu,
	.wait_u32 = linux_wait_u32,
	.wake_u32 = linux_wake_u32,
	.mem_map = linux_mem_map,
	.mem_unmap = posix_mem_unmap,
	.mem_protect = posix_mem_protect,
	.mem_reserve = posix_mem_reserve,
	.mem_map_reserved = linux_mem_map_reserved,
	.mem_release = posix_mem_release,
	.mem_advise = linux_mem_advise,
	.mem_lock = posix_mem_lock,
	.mem_unlock = posix_mem_unlock,
	.mem_sync = posix_mem_sync,
	.huge_page_sizes = linux_huge_page_sizes,
	.mem_populate = linux_mem_populate,
	.shm_create = linux_shm_create,
	.jit_map = linux_jit_map,
	.jit_unmap = posix_jit_unmap,
	.signal_install = posix_signal_install,
	.signal_restore = posix_signal_restore,
	.signal_chain = posix_signal_chain,
	.signal_mask = posix_signal_mask,
	.signal_wait = posix_signal_wait,
	.signal_fd_create = linux_signal_fd_create,
	.signal_fd_read = linux_signal_fd_read,
	.signal_ignore = posix_signal_ignore, /* ABI 2.5 */
	.handle_close = linux_handle_close,
	.fault_guard = posix_fault_guard,
	.kick_setup = posix_kick_setup,
	.thread_kick = linux_thread_kick,
	.event_create = linux_event_create,
	.event_notify = linux_event_notify,
	.event_wait = linux_event_wait,
	/* ABI 2.5: wait sets, timers, event counts. */
	.waitset_create = linux_waitset_create,
	.waitset_destroy = linux_waitset_destroy,
	.waitset_add = linux_waitset_add,
	.waitset_modify = linux_waitset_modify,
	.waitset_remove = linux_waitset_remove,
	.waitset_wait = linux_waitset_wait,
	.timer_create = linux_timer_create,
	.timer_arm = linux_timer_arm,
	.timer_read = linux_timer_read,
	.event_read = linux_event_read,
	.clock_ns = posix_clock_ns,
	.sleep_ns = posix_sleep_ns,
	.device_open = posix_device_open,
	.device_ioctl = linux_device_ioctl,
	.process_id = posix_process_id,
	.mem_discard = linux_mem_discard,
	/* ABI 2.2 */
	.event_wait_kick = linux_event_wait_kick,
	.thread_create_attr = linux_thread_create_attr,
	.thread_set_realtime = linux_thread_set_realtime,
	/* ABI 2.3: two views, rw always writable. */
	.jit_write_begin = posix_jit_write_begin,
	.jit_write_end = posix_jit_write_end,
	/* ABI 2.4 */
	.handle_dup = linux_handle_dup,
	.handle_set_inheritable = posix_handle_set_inheritable,
	/* ABI 2.5: channels */
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
	return &linux_ops;
}
