/* A layer for tests, built only for 'make check' (and the fuzz build): it
 * has the core load the backend VMOSAL_FAKE_LAYER_NEXT names (default: the
 * host's) beneath it through load_next, as faulty does, offers that
 * backend's slots as its own, and hands the backend's table out, so that a
 * test can call slots with no core checks in front of them. */
#include "config.h"

#include <stdlib.h>

#include "layer_kit.h"

static const struct vmosal_core_services *layer_core;
static struct vmosal_backend_caps next_caps;
static struct vmosal_backend_ops layer_ops;

VMOSAL_BACKEND_EXPORT const struct vmosal_backend_ops *vmosal_fake_layer_next(void);
VMOSAL_BACKEND_EXPORT const struct vmosal_backend_caps *vmosal_fake_layer_caps(void);
VMOSAL_BACKEND_EXPORT const struct vmosal_backend_ops *vmosal_fake_layer_load_late(
	const char *spec);

static int layer_init(const struct vmosal_core_services *core, struct vmosal_backend_caps *caps)
{
	const char *spec = core->secure_getenv("VMOSAL_FAKE_LAYER_NEXT");
	int rc;

	layer_core = core;
	rc = layer_open_next(core, caps, spec != NULL ? spec : VMOSAL_DEFAULT_BACKEND,
			     &layer_ops);
	if (rc == 0)
		next_caps = *caps;
	return rc;
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

const struct vmosal_backend_ops *vmosal_backend_entry(uint32_t core_abi)
{
	(void)core_abi;
	layer_ops = layer_forwarders;
	layer_ops.name = "fake-layer";
	layer_ops.init = layer_init;
	return &layer_ops;
}
