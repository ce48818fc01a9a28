/* The 0.1 names (deprecated.h): each calls its new name, for one release. */
#include "config.h"

#include <string.h>

#include "internal.h"
#include "vmosal/deprecated.h"

/* The old structs are the new ones under another tag. */
_Static_assert(sizeof(struct vmosal_mem_info) == sizeof(struct vmosal_host_memory),
	       "vmosal_mem_info differs from vmosal_host_memory");
_Static_assert(sizeof(struct vmosal_page_sizes) == sizeof(struct vmosal_huge_page_sizes),
	       "vmosal_page_sizes differs from vmosal_huge_page_sizes");

int vmosal_shm_close(vmosal_handle_t h)
{
	return vmosal_handle_close(h);
}

int vmosal_event_close(vmosal_handle_t h)
{
	return vmosal_handle_close(h);
}

int vmosal_device_close(vmosal_handle_t h)
{
	return vmosal_handle_close(h);
}

int vmosal_signal_fd_close(vmosal_handle_t h)
{
	return vmosal_handle_close(h);
}

int vmosal_event_signal(vmosal_handle_t event)
{
	return vmosal_event_notify(event);
}

int vmosal_signal_handle(enum vmosal_signal sig, vmosal_signal_fn fn, void *ctx,
			 vmosal_signal_handler_t **out)
{
	return vmosal_signal_add_handler(sig, fn, ctx, out);
}

int vmosal_signal_unhandle(vmosal_signal_handler_t *h)
{
	return vmosal_signal_remove_handler(h);
}

int vmosal_signal_fd_open(const enum vmosal_signal *sigs, size_t n, vmosal_handle_t *out)
{
	return vmosal_signal_fd_create(sigs, n, out);
}

int vmosal_madvise(void *addr, size_t size, enum vmosal_advice advice)
{
	return vmosal_mem_advise(addr, size, advice);
}

int vmosal_msync(void *addr, size_t size, unsigned flags)
{
	return vmosal_mem_sync(addr, size, flags);
}

int vmosal_mlock(void *addr, size_t size)
{
	return vmosal_mem_lock(addr, size);
}

int vmosal_munlock(void *addr, size_t size)
{
	return vmosal_mem_unlock(addr, size);
}

int vmosal_guest_ram_alloc(size_t size, const struct vmosal_guest_ram_options *opts,
			   struct vmosal_guest_ram *out)
{
	return vmosal_guest_ram_create(size, opts, out);
}

int vmosal_guest_ram_free(struct vmosal_guest_ram *ram)
{
	return vmosal_guest_ram_destroy(ram);
}

/* Same layout, another tag: the new call fills it. */
int vmosal_mem_info(struct vmosal_mem_info *out)
{
	return vmosal_host_memory((struct vmosal_host_memory *)(void *)out);
}

int vmosal_page_sizes(struct vmosal_page_sizes *out)
{
	return vmosal_huge_page_sizes((struct vmosal_huge_page_sizes *)(void *)out);
}

int vmosal_fault_guard_fault(int (*fn)(void *arg), void *arg, struct vmosal_fault *fault)
{
	struct vmosal_siginfo info = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);
	int rc;

	if (fault != NULL && vmosal__struct_out_check(fault, sizeof *fault) != 0)
		return VMOSAL_EINVAL;
	rc = vmosal_fault_guard(fn, arg, fault != NULL ? &info : NULL);
	if (rc == VMOSAL_EFAULT && fault != NULL) {
		struct vmosal_fault f = {
			.struct_size = sizeof f,
			.signal = info.signal,
			.addr = info.fault_addr,
			.os_signal = info.os_signal,
			.os_code = info.os_code,
		};
		vmosal__struct_out(fault, &f, sizeof f);
	}
	return rc;
}
