/* What a test plugin needs to be a layer over another backend: a table
 * of forwarders to it, and its loading through the core's load_next, as
 * faulty does it. Included by one file of each fake; everything is
 * static. */
#ifndef VMOSAL_FAKE_LAYER_KIT_H
#define VMOSAL_FAKE_LAYER_KIT_H

#include <stdint.h>

#include "vmosal/backend.h"

static const struct vmosal_backend_ops *next;

/* Forwarders, so that the table is complete before init (the core checks
 * the mandatory slots then); init empties those the backend beneath
 * leaves empty, as a layer must. */
#define LAYER_FWD_int(name, params, args) \
	static int layer_##name params    \
	{                                 \
		return next->name args;   \
	}
#define LAYER_FWD_void(name, params, args) \
	static void layer_##name params    \
	{                                  \
		next->name args;           \
	}
#define LAYER_FWD_call(name, ret, params, args) LAYER_FWD_##ret(name, params, args)
#define LAYER_FWD_loader(name, ret, params, args)
#define LAYER_FWD_retired(name, ret, params, args)
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) \
	LAYER_FWD_##kind(name, ret, params, args)
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT

static void layer_fini(void)
{
	if (next != NULL && next->fini != NULL)
		next->fini();
}

/* Every slot forwarding to next; a fake copies it and sets name, init
 * (which calls layer_open_next) and whatever it breaks. */
static const struct vmosal_backend_ops layer_forwarders = {
	.abi_version = VMOSAL_BACKEND_ABI,
	.struct_size = sizeof(struct vmosal_backend_ops),
	.fini = layer_fini,
#define LAYER_ENTRY_call(name) .name = layer_##name,
#define LAYER_ENTRY_loader(name)
#define LAYER_ENTRY_retired(name)
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) LAYER_ENTRY_##kind(name)
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT
};

/* The slot at offset of t, or NULL when t's table is too old for it. */
static void (**slot_at(const struct vmosal_backend_ops *t, size_t offset))(void)
{
	if (t->struct_size < offset + sizeof(void (*)(void)))
		return NULL;
	return (void (**)(void))((char *)(uintptr_t)t + offset);
}

/* Loads spec beneath the layer whose table is ops, initialises it with
 * caps, and empties the slots of ops it leaves empty, as the core reads
 * the table once, after init. Call it from the layer's init. */
static int layer_open_next(const struct vmosal_core_services *core,
			   struct vmosal_backend_caps *caps, const char *spec,
			   struct vmosal_backend_ops *ops)
{
	int rc;

	if (!VMOSAL_BACKEND_HAS_MEMBER(core, struct vmosal_core_services, load_next))
		return VMOSAL_EBACKEND;
	next = core->load_next(spec);
	if (next == NULL)
		return VMOSAL_EBACKEND;
	rc = next->init(core, caps);
	if (rc != 0)
		return rc;
#define LAYER_EMPTY_call(name)                                                    \
	{                                                                         \
		size_t off = offsetof(struct vmosal_backend_ops, name);           \
		void (**below)(void) = slot_at(next, off);                        \
		void (**ours)(void) = slot_at(ops, off);                          \
		if (ours != NULL && (below == NULL || *below == NULL))            \
			*ours = NULL;                                             \
	}
#define LAYER_EMPTY_loader(name)
#define LAYER_EMPTY_retired(name)
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) LAYER_EMPTY_##kind(name)
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT
	return 0;
}

#endif
