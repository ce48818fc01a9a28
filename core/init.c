/* The backend the core runs on: loading it once, at first use or at
 * vmosal_init(), and what the application can ask about it. Finding and
 * checking plugin files is loader.c's. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct vmosal__state vmosal__state;
_Atomic(const struct vmosal__state *) vmosal__loaded;

static atomic_bool load_failed;
/* The directory of the plugin being initialised: a layer's next backend
 * is looked for there first, so that a build tree tests its own. */
static char loading_dir[4096];

/* Core service load_next (backend.h): the backend beneath a layer. A
 * layer that names itself, or a loop of layers, would recurse for ever:
 * no load goes deeper than this. */
#define MAX_LAYERS 8
static bool keep_next(const char *path);
static const struct vmosal_backend_ops *next_ops;
static unsigned layers_this_load;

static const struct vmosal_backend_ops *load_next(const char *spec)
{
	if (spec == NULL || !vmosal__loader_loading())
		return NULL;
	if (++layers_this_load > MAX_LAYERS) {
		vmosal__loader_refuse(spec, "more than %d layers, one over the other", MAX_LAYERS);
		return NULL;
	}
	next_ops = NULL;
	if (!vmosal__plugin_find(spec, true, loading_dir[0] != '\0' ? loading_dir : NULL,
				 keep_next))
		return NULL;
	return next_ops;
}

static bool keep_next(const char *path)
{
	struct vmosal__plugin p;

	if (!vmosal__plugin_open(path, &p))
		return false;
	next_ops = p.ops; /* the module stays loaded: the layer forwards to it */
	return true;
}

static const struct vmosal_core_services core_services = {
	.abi_version = VMOSAL_BACKEND_ABI,
	.struct_size = sizeof(struct vmosal_core_services),
	.secure_getenv = vmosal__secure_getenv,
	.debug_enabled = vmosal__debug_enabled,
	.debug = vmosal__debug,
	.strerror = vmosal_strerror,
	.signal_dispatch = vmosal__signal_dispatch,
	.kick_received = vmosal__kick_received,
	.tid_known = vmosal__tid_known,
	.load_next = load_next,
};

/* A plugin's strings are the core's to trust only once terminated. */
static void terminate_host_strings(struct vmosal_backend_host *h)
{
	h->os[sizeof h->os - 1] = '\0';
	h->os_release[sizeof h->os_release - 1] = '\0';
	h->libc[sizeof h->libc - 1] = '\0';
}

/* Loads one file; on success fills vmosal__state and keeps the module. */
static bool try_file(const char *path)
{
	struct vmosal__plugin p;
	char *sep;
	int rc;

	if (!vmosal__plugin_open(path, &p))
		return false;
	memset(&vmosal__state, 0, sizeof vmosal__state);
	vmosal__state.caps.struct_size = sizeof vmosal__state.caps;
	vmosal__state.host.struct_size = sizeof vmosal__state.host;
	snprintf(loading_dir, sizeof loading_dir, "%s", path);
	layers_this_load = 0;
	/* '/' separates on every OS, the OS's own separator too. */
	sep = NULL;
	for (char *c = loading_dir; *c != '\0'; c++)
		if (*c == '/' || *c == vmosal__dir_separator())
			sep = c;
	if (sep != NULL)
		*sep = '\0';
	else
		loading_dir[0] = '\0';
	rc = p.ops->init(&core_services, &vmosal__state.caps);
	loading_dir[0] = '\0';
	if (rc != 0) {
		vmosal__loader_refuse(path, "backend init failed: %s (%s)", vmosal_err_name(rc),
				      vmosal_strerror(rc));
		goto fail;
	}
	/* After init: a layer empties the slots its next backend lacks. */
	vmosal__plugin_adopt(&p, &vmosal__state.table, &vmosal__state.groups);
	vmosal__state.ops = &vmosal__state.table;
	if (vmosal__plugin_reentered()) {
		vmosal__loader_refuse(path, "its init called back into libvmosal");
		goto fail_fini;
	}
	rc = p.ops->host_info(&vmosal__state.host);
	terminate_host_strings(&vmosal__state.host);
	if (rc != 0 || vmosal__state.host.page_size == 0 ||
	    (vmosal__state.host.page_size & (vmosal__state.host.page_size - 1)) != 0) {
		vmosal__loader_refuse(path, "backend could not describe the host: %s",
				      vmosal_err_name(rc != 0 ? rc : VMOSAL_EINVAL));
		goto fail_fini;
	}
	snprintf(vmosal__state.path, sizeof vmosal__state.path, "%s", path);
	vmosal__debug("loader", "%s: loaded backend '%s', ABI %u.%u", path, p.ops->name,
		      (unsigned)VMOSAL_BACKEND_ABI_MAJOR_OF(p.ops->abi_version),
		      (unsigned)VMOSAL_BACKEND_ABI_MINOR_OF(p.ops->abi_version));
	return true;
fail_fini:
	if (vmosal__state.table.fini != NULL)
		vmosal__state.table.fini();
fail:
	memset(&vmosal__state, 0, sizeof vmosal__state);
	vmosal__plugin_close(&p);
	return false;
}

static bool load_spec(const char *spec, bool use_env_path)
{
	return vmosal__plugin_find(spec, use_env_path, NULL, try_file);
}

/* Precedence: explicit argument > VMOSAL_BACKEND > host default. */
static bool load_locked(const char *explicit_spec)
{
	const char *env;

	if (explicit_spec != NULL)
		return load_spec(explicit_spec, true);
	env = getenv("VMOSAL_BACKEND");
	if (env != NULL && env[0] != '\0') {
		if (!vmosal__privileged())
			return load_spec(env, true);
		if (!vmosal__is_path(env))
			return load_spec(env, false);
		vmosal__loader_note("VMOSAL_BACKEND", "the path '%s' was ignored: the process runs with elevated "
		     "privileges", env);
	}
	return load_spec(VMOSAL_DEFAULT_BACKEND, true);
}

/* Runs load_locked under the loader lock, marking this thread as the
 * loader so that a plugin calling back in is caught, not deadlocked. */
static bool load_marked(const char *explicit_spec)
{
	bool ok;

	vmosal__loader_begin();
	ok = load_locked(explicit_spec);
	vmosal__loader_end(ok);
	return ok;
}

/* A failure stops implicit first use from loading anything: after a
 * failed implicit load, so that every call does not retry dlopen; after a
 * failed explicit choice, so that the default is never loaded in place of
 * the backend the application named. vmosal_init() and
 * vmosal_init_backend() always try again. */
static void publish(bool ok)
{
	if (ok) {
		atomic_store_explicit(&load_failed, false, memory_order_relaxed);
		atomic_store_explicit(&vmosal__loaded, &vmosal__state, memory_order_release);
	} else {
		atomic_store_explicit(&load_failed, true, memory_order_release);
	}
}

/* Loads in the normal order unless something is loaded already. An
 * implicit first use (retry false) gives up at once after a failure that
 * it made before; vmosal_init() always tries again. */
static const struct vmosal__state *load_default(bool retry)
{
	const struct vmosal__state *s;

	if (vmosal__loader_reentry() || (!retry && atomic_load_explicit(&load_failed, memory_order_acquire)))
		return NULL;
	vmosal__loader_lock();
	s = atomic_load_explicit(&vmosal__loaded, memory_order_acquire);
	if (s == NULL && (retry || !atomic_load_explicit(&load_failed, memory_order_relaxed))) {
		publish(load_marked(NULL));
		s = atomic_load_explicit(&vmosal__loaded, memory_order_relaxed);
	}
	vmosal__loader_unlock();
	return s;
}

const struct vmosal__state *vmosal__load_slow(void)
{
	return load_default(false);
}

int vmosal_init(void)
{
	if (atomic_load_explicit(&vmosal__loaded, memory_order_acquire) != NULL)
		return 0;
	return load_default(true) != NULL ? 0 : VMOSAL_EBACKEND;
}

int vmosal_init_backend(const char *name_or_path)
{
	const struct vmosal__state *s;
	int rc = 0;

	if (name_or_path == NULL || name_or_path[0] == '\0')
		return VMOSAL_EINVAL;
	if (vmosal__loader_reentry())
		return VMOSAL_EBACKEND;
	vmosal__loader_lock();
	s = atomic_load_explicit(&vmosal__loaded, memory_order_acquire);
	if (s != NULL) {
		if (strcmp(name_or_path, s->ops->name) != 0 && strcmp(name_or_path, s->path) != 0)
			rc = VMOSAL_EBUSY;
	} else {
		bool ok = load_marked(name_or_path);
		publish(ok);
		rc = ok ? 0 : VMOSAL_EBACKEND;
	}
	vmosal__loader_unlock();
	return rc;
}

const char *vmosal_backend_name(void)
{
	const struct vmosal__state *s = vmosal__get();
	return s != NULL ? s->ops->name : NULL;
}

int vmosal_backend_info(struct vmosal_backend_info *out)
{
	const struct vmosal__state *s;

	if (vmosal__struct_out_check(out, VMOSAL__MIN_BACKEND_INFO) != 0)
		return VMOSAL_EINVAL;
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	{
		struct vmosal_backend_info info = {
			.struct_size = sizeof info,
			.abi_version = s->ops->abi_version,
			.name = s->ops->name,
			.path = s->path,
		};
		vmosal__struct_out(out, &info, sizeof info);
	}
	return 0;
}

int vmosal_backend_error(char *buf, size_t len)
{
	bool locked = !vmosal__loader_reentry();
	int rc;

	if (buf == NULL || len == 0)
		return VMOSAL_EINVAL;
	/* Written only under the loader lock, which a plugin calling in
	 * while it loads already holds. */
	if (locked)
		vmosal__loader_lock();
	rc = vmosal__loader_messages(buf, len);
	if (locked)
		vmosal__loader_unlock();
	return rc;
}

void vmosal__unload(void)
{
	static atomic_bool unloaded;
	const struct vmosal__state *s =
		atomic_load_explicit(&vmosal__loaded, memory_order_acquire);
	void (*fini)(void);

	if (s == NULL || atomic_exchange(&unloaded, true))
		return;
	fini = s->ops->fini;
	if (fini != NULL)
		fini();
}
