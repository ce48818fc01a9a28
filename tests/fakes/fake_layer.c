/* A layer for tests, built only for 'make check' (and the fuzz build): it
 * has the core load the backend VMOSAL_FAKE_LAYER_NEXT names (default: the
 * host's) beneath it through load_next, as faulty does, offers that
 * backend's slots as its own, and hands the backend's table out, so that a
 * test can call slots with no core checks in front of them. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "vmosal/backend.h"

static const struct vmosal_backend_ops *next;
static const struct vmosal_core_services *layer_core;
static struct vmosal_backend_caps next_caps;

VMOSAL_BACKEND_EXPORT const struct vmosal_backend_ops *vmosal_fake_layer_next(void);
VMOSAL_BACKEND_EXPORT const struct vmosal_backend_caps *vmosal_fake_layer_caps(void);
VMOSAL_BACKEND_EXPORT const struct vmosal_backend_ops *vmosal_fake_layer_load_late(
	const char *spec);

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

static int layer_init(const struct vmosal_core_services *core, struct vmosal_backend_caps *caps);
static void layer_fini(void);

static struct vmosal_backend_ops layer_ops = {
	.abi_version = VMOSAL_BACKEND_ABI,
	.struct_size = sizeof(struct vmosal_backend_ops),
	.name = "fake-layer",
	.init = layer_init,
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

static int layer_init(const struct vmosal_core_services *core, struct vmosal_backend_caps *caps)
{
	const char *spec = core->secure_getenv("VMOSAL_FAKE_LAYER_NEXT");
	int rc;

	layer_core = core;
	if (!VMOSAL_BACKEND_HAS_MEMBER(core, struct vmosal_core_services, load_next))
		return VMOSAL_EBACKEND;
	next = core->load_next(spec != NULL ? spec : VMOSAL_DEFAULT_BACKEND);
	if (next == NULL)
		return VMOSAL_EBACKEND;
	rc = next->init(core, caps);
	if (rc != 0)
		return rc;
	next_caps = *caps;
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups)                 \
	{                                                                         \
		size_t off = offsetof(struct vmosal_backend_ops, name);           \
		void (**below)(void) = slot_at(next, off);                        \
		if (below == NULL || *below == NULL)                              \
			*slot_at(&layer_ops, off) = NULL;                         \
	}
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT
	return 0;
}

const struct vmosal_backend_ops *vmosal_fake_layer_next(void)
{
	return next;
}

const struct vmosal_backend_caps *vmosal_fake_layer_caps(void)
{
	return &next_caps;
}

/* load_next after init: the core must refuse it (NULL). */
const struct vmosal_backend_ops *vmosal_fake_layer_load_late(const char *spec)
{
	return layer_core != NULL ? layer_core->load_next(spec) : NULL;
}

static void layer_fini(void)
{
	if (next->fini != NULL)
		next->fini();
}

const struct vmosal_backend_ops *vmosal_backend_entry(uint32_t core_abi)
{
	(void)core_abi;
	return &layer_ops;
}
