/* For tests and harnesses that call a backend's slots themselves, with no
 * core checks in front: the core loads the backend beneath the test layer
 * (tests/fakes/fake_layer.c) through load_next, as it loads any layer's,
 * and initialises it; the layer hands its table out. No test loads a
 * plugin by itself. */
#ifndef VMOSAL_TEST_DIRECT_BACKEND_H
#define VMOSAL_TEST_DIRECT_BACKEND_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmosal.h"
#include "vmosal/backend.h"

/* Makes the test layer in fakes_dir the process's backend, with backend
 * name beneath it, and returns name's table (initialised) with the caps
 * its init filled; NULL with *why set when any step fails. Once per
 * process, before any other libvmosal call. */
static inline const struct vmosal_backend_ops *
direct_backend_open(const char *fakes_dir, const char *name, struct vmosal_backend_caps *caps,
		    char *why, size_t len)
{
	const struct vmosal_backend_ops *(*next)(void);
	const struct vmosal_backend_caps *(*next_caps)(void);
	char path[4096];
	void *module;
	int rc;

	snprintf(path, sizeof path, "%s/vmosal_fake_layer%s", fakes_dir != NULL ? fakes_dir : ".",
		 LT_MODULE_EXT);
	setenv("VMOSAL_FAKE_LAYER_NEXT", name, 1);
	rc = vmosal_init_backend(path);
	if (rc != 0) {
		char error[2048] = "";

		vmosal_backend_error(error, sizeof error);
		snprintf(why, len, "%s: %s\n%s", path, vmosal_err_name(rc), error);
		return NULL;
	}
	/* The module the core loaded, looked up, not loaded again. */
	module = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (module == NULL) {
		snprintf(why, len, "%s: not loaded: %s", path, dlerror());
		return NULL;
	}
	*(void **)&next = dlsym(module, "vmosal_fake_layer_next");
	*(void **)&next_caps = dlsym(module, "vmosal_fake_layer_caps");
	dlclose(module);
	if (next == NULL || next_caps == NULL || next() == NULL) {
		snprintf(why, len, "%s: not the test layer", path);
		return NULL;
	}
	*caps = *next_caps();
	return next();
}

#endif
