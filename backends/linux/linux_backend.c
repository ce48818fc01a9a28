/* The Linux backend's ops table and entry point. */
#include "config.h"

#include "linux.h"

static int linux_init(const struct vmosal_core_services *core,
		      struct vmosal_backend_caps *caps)
{
	posix_core = core;
	caps->thread_binding = VMOSAL_BINDING_HARD;
	caps->binds_other_threads = true;
	caps->realtime_scheduling = true;
	caps->shared_memory_fd = true;
	caps->huge_pages = true;
	caps->transparent_huge_pages = true;
	return 0;
}

static const struct vmosal_backend_ops linux_ops = {
	.abi_version = VMOSAL_BACKEND_ABI,
	.struct_size = sizeof(struct vmosal_backend_ops),
	.name = "linux",
	.init = linux_init,
	.host_info = linux_host_info,
	.mem_info = linux_mem_info,
	.accel_probe = linux_accel_probe,
	.thread_create = posix_thread_create,
	.thread_join = posix_thread_join,
};

const struct vmosal_backend_ops *vmosal_backend_entry(uint32_t core_abi)
{
	(void)core_abi;
	return &linux_ops;
}
