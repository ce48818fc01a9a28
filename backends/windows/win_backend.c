/* The Windows backend's ops table and entry point; init and fini are
 * win_host.c's. */
#include "config.h"

#include "win.h"

/* Every slot is win_<slot name> (win.h): the table is the slot list, so
 * a slot neither implemented nor named here fails to link. The retired
 * one stays NULL, and so do these, where the core's fallback
 * (backend_slots.h) serves: */
#define win_thread_create_attr NULL /* the core applies the options in the new thread */

#define WIN_SLOT_loader(name) .name = win_##name,
#define WIN_SLOT_call(name) .name = win_##name,
#define WIN_SLOT_retired(name)
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) WIN_SLOT_##kind(name)

static const struct vmosal_backend_ops win_ops = {
	.abi_version = VMOSAL_BACKEND_ABI,
	.struct_size = sizeof(struct vmosal_backend_ops),
	.name = "windows",
#include "vmosal/backend_slots.h"
};

#undef VMOSAL_SLOT

VMOSAL_BACKEND_EXPORT const struct vmosal_backend_ops *vmosal_backend_entry(uint32_t core_abi)
{
	(void)core_abi;
	return &win_ops;
}
