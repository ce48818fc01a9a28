/* The Windows backend's ops table and entry point. */
#include "config.h"

#include "win.h"

int win_init(const struct vmosal_core_services *core, struct vmosal_backend_caps *caps)
{
	win_core = core;
	caps->flags = VMOSAL_BACKEND_CAP_AFFINITY_OTHER_THREADS | VMOSAL_BACKEND_CAP_REALTIME;
	caps->affinity = VMOSAL_AFFINITY_HARD;
	caps->thread_name_max = WIN_THREAD_NAME_MAX;
	return win_mem_init(caps);
}

void win_fini(void)
{
	win_signal_fini();
	win_io_fini();
}

static const struct vmosal_backend_ops win_ops = {
	.abi_version = VMOSAL_BACKEND_ABI,
	.struct_size = sizeof(struct vmosal_backend_ops),
	.name = "windows",
	.init = win_init,
	.fini = win_fini,
	.host_info = win_host_info,
	.host_memory = win_host_memory,
	.accel_probe = win_accel_probe,
	.thread_create = win_thread_create,
	.thread_join = win_thread_join,
	.thread_self = win_thread_self,
	.thread_set_affinity = win_thread_set_affinity,
	.thread_get_affinity = win_thread_get_affinity,
	.thread_set_priority = win_thread_set_priority,
	.thread_get_priority = win_thread_get_priority,
	.thread_set_name = win_thread_set_name,
	.thread_get_name = win_thread_get_name,
	.thread_current_cpu = win_thread_current_cpu,
	.wait_u32 = win_wait_u32,
	.wake_u32 = win_wake_u32,
	.mem_map = win_mem_map,
	.mem_unmap = win_mem_unmap,
	.mem_protect = win_mem_protect,
	.mem_reserve = win_mem_reserve,
	.mem_map_reserved = win_mem_map_reserved,
	.mem_release = win_mem_release,
	.mem_advise = win_mem_advise,
	.mem_lock = win_mem_lock,
	.mem_unlock = win_mem_unlock,
	.mem_sync = win_mem_sync,
	.huge_page_sizes = win_huge_page_sizes,
	.mem_populate = win_mem_populate,
	.shm_create = win_shm_create,
	.jit_map = win_jit_map,
	.jit_unmap = win_jit_unmap,
	.icache_flush = win_icache_flush,
	.signal_install = win_signal_install,
	.signal_restore = win_signal_restore,
	.signal_chain = win_signal_chain,
	.signal_mask = win_signal_mask,
	.signal_wait = win_signal_wait,
	.signal_fd_create = win_signal_fd_create,
	.signal_fd_read = win_signal_fd_read,
	.handle_close = win_handle_close,
	.fault_guard = win_fault_guard,
	.kick_setup = win_kick_setup,
	.thread_kick = win_thread_kick,
	.event_create = win_event_create,
	.event_notify = win_event_notify,
	.event_wait = win_event_wait,
	.clock_ns = win_clock_ns,
	.sleep_ns = win_sleep_ns,
	.device_open = win_device_open,
	.device_ioctl = win_device_ioctl,
	.process_id = win_process_id,
	.mem_discard = win_mem_discard,
	/* ABI 2.2 */
	.event_wait_kick = win_event_wait_kick,
	.thread_set_realtime = win_thread_set_realtime,
	/* ABI 2.3 */
	.jit_write_begin = win_jit_write_begin,
	.jit_write_end = win_jit_write_end,
	/* ABI 2.4 */
	.handle_dup = win_handle_dup,
	.handle_set_inheritable = win_handle_set_inheritable,
};

VMOSAL_BACKEND_EXPORT const struct vmosal_backend_ops *vmosal_backend_entry(uint32_t core_abi)
{
	(void)core_abi;
	return &win_ops;
}
