/* For tests and harnesses that call a backend's slots themselves, without
 * the core in front: a core-services table of their own and the loading
 * of the plugin. */
#ifndef VMOSAL_TEST_DIRECT_BACKEND_H
#define VMOSAL_TEST_DIRECT_BACKEND_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmosal.h"
#include "vmosal/backend.h"

static const char *direct_getenv(const char *name)
{
	return getenv(name);
}

static bool direct_debug_enabled(const char *topic)
{
	(void)topic;
	return false;
}

static void direct_debug(const char *topic, const char *fmt, ...)
{
	(void)topic;
	(void)fmt;
}

static const struct vmosal_core_services direct_services = {
	.abi_version = VMOSAL_BACKEND_ABI,
	.struct_size = sizeof direct_services,
	.secure_getenv = direct_getenv,
	.debug_enabled = direct_debug_enabled,
	.debug = direct_debug,
	.strerror = vmosal_strerror,
};

/* Loads dir/vmosal_<name> and runs its init with caps; NULL with *why set
 * when any step fails. */
static inline const struct vmosal_backend_ops *
direct_backend_open(const char *dir, const char *name, struct vmosal_backend_caps *caps,
		    char *why, size_t len)
{
	const struct vmosal_backend_ops *ops;
	vmosal_backend_entry_fn entry;
	char path[4096];
	void *dso;

	snprintf(path, sizeof path, "%s/vmosal_%s%s", dir, name, LT_MODULE_EXT);
	dso = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (dso == NULL) {
		snprintf(why, len, "%s: %s", path, dlerror());
		return NULL;
	}
	*(void **)&entry = dlsym(dso, VMOSAL_BACKEND_ENTRY_NAME);
	ops = entry != NULL ? entry(VMOSAL_BACKEND_ABI) : NULL;
	if (ops == NULL || ops->abi_version != VMOSAL_BACKEND_ABI) {
		snprintf(why, len, "%s: no ops table of ABI %#x", path, VMOSAL_BACKEND_ABI);
		return NULL;
	}
	memset(caps, 0, sizeof *caps);
	caps->struct_size = sizeof *caps;
	if (ops->init(&direct_services, caps) != 0) {
		snprintf(why, len, "%s: init failed", path);
		return NULL;
	}
	return ops;
}

#endif
