/* The backend loader: finds, checks and initialises one OS backend plugin. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct vmosal__state vmosal__state;
_Atomic(const struct vmosal__state *) vmosal__loaded;

static atomic_bool load_failed;
/* Why candidates were refused in the last load, and notices (a variable
 * ignored in an elevated process) that stay after a successful one. Both
 * written only under the loader lock. */
static char load_error[4096];
static char load_notice[1024];
/* Set while this thread holds the loader lock to load a backend; a call
 * back into libvmosal from the plugin then sets reentered instead of
 * deadlocking on the lock. */
static _Thread_local bool loading;
static _Thread_local bool reentered;

static const struct {
	size_t offset;
	const char *name;
	uint32_t minor;
	uint32_t groups;
} slots[] = {
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) \
	{offsetof(struct vmosal_backend_ops, name), #name, minor, groups},
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT
};
#define SLOT_COUNT (sizeof slots / sizeof slots[0])

/* The smallest table of ABI 2.minor: where its last slot ends. */
static size_t ops_size_for_minor(uint32_t minor)
{
	size_t need = 0;

	for (size_t i = 0; i < SLOT_COUNT; i++)
		if (slots[i].minor <= minor && slots[i].offset + sizeof(void (*)(void)) > need)
			need = slots[i].offset + sizeof(void (*)(void));
	return need;
}

static bool slot_filled(const struct vmosal_backend_ops *ops, size_t i)
{
	return *(void (*const *)(void))((const char *)ops + slots[i].offset) != NULL;
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
};

bool vmosal__debug_enabled(const char *topic)
{
	const char *list = vmosal__secure_getenv("VMOSAL_DEBUG");
	size_t len = strlen(topic);

	while (list != NULL && *list != '\0') {
		size_t n = strcspn(list, ",");
		if ((n == len && strncmp(list, topic, len) == 0) ||
		    (n == 3 && strncmp(list, "all", 3) == 0))
			return true;
		list += n + (list[n] == ',');
	}
	return false;
}

void vmosal__debug(const char *topic, const char *fmt, ...)
{
	va_list ap;

	if (!vmosal__debug_enabled(topic))
		return;
	va_start(ap, fmt);
	fprintf(stderr, "vmosal: %s: ", topic);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Appends "what: message" as a line of buf, and says it under
 * VMOSAL_DEBUG=loader. */
static void add_line(char *buf, size_t size, const char *what, const char *sep,
		     const char *fmt, va_list ap)
{
	size_t used = strlen(buf);
	char why[1024];

	vsnprintf(why, sizeof why, fmt, ap);
	vmosal__debug("loader", "%s: %s%s", what, sep, why);
	if (used < size)
		snprintf(buf + used, size - used, "%s%s: %s", used > 0 ? "\n" : "", what, why);
}

/* Records why a candidate was refused, for vmosal_backend_error(). */
static void VMOSAL__PRINTF(2, 3) refuse(const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(load_error, sizeof load_error, path, "refused: ", fmt, ap);
	va_end(ap);
}

/* A notice about the environment, kept after a successful load too. */
static void VMOSAL__PRINTF(2, 3) note(const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(load_notice, sizeof load_notice, what, "", fmt, ap);
	va_end(ap);
}

static const char *missing_mandatory_slot(const struct vmosal_backend_ops *ops)
{
	for (size_t i = 0; i < SLOT_COUNT; i++)
		if ((slots[i].groups & VMOSAL_SLOT_MANDATORY) && !slot_filled(ops, i))
			return slots[i].name;
	return NULL;
}

/* Copies the plugin's table of usable bytes into the state's full-size
 * one, and decides which groups it has. */
static void adopt_table(const struct vmosal_backend_ops *ops, size_t usable)
{
	struct vmosal_backend_ops *t = &vmosal__state.table;
	uint32_t missing = 0;

	memset(t, 0, sizeof *t);
	memcpy(t, ops, usable);
	/* ABI 2.1 to 2.3 closed every handle through the slot now retired. */
	if (VMOSAL_BACKEND_ABI_MINOR_OF(ops->abi_version) < 4 && t->retired_handle_close != NULL)
		t->handle_close = t->retired_handle_close;
	t->retired_handle_close = NULL;
	for (size_t i = 0; i < SLOT_COUNT; i++)
		if (!slot_filled(t, i))
			missing |= slots[i].groups;
	vmosal__state.ops = t;
	vmosal__state.groups = ~missing & ~VMOSAL_SLOT_MANDATORY;
}

/* Checks the plugin's table against the ABI; returns the usable size or 0. */
static size_t check_ops(const char *path, const struct vmosal_backend_ops *ops)
{
	uint32_t major = VMOSAL_BACKEND_ABI_MAJOR_OF(ops->abi_version);
	uint32_t minor = VMOSAL_BACKEND_ABI_MINOR_OF(ops->abi_version);
	size_t need, usable;
	const char *missing;

	if (major != VMOSAL_BACKEND_ABI_MAJOR) {
		refuse(path, "ABI %u.%u, but this libvmosal speaks ABI %u.x",
		       (unsigned)major, (unsigned)minor, VMOSAL_BACKEND_ABI_MAJOR);
		return 0;
	}
	need = ops_size_for_minor(minor);
	if (ops->struct_size < need) {
		refuse(path, "ops table is %u bytes, ABI %u.%u needs at least %zu",
		       (unsigned)ops->struct_size, (unsigned)major, (unsigned)minor, need);
		return 0;
	}
	if (ops->name == NULL || ops->name[0] == '\0') {
		refuse(path, "ops table has no backend name");
		return 0;
	}
	missing = missing_mandatory_slot(ops);
	if (missing != NULL) {
		refuse(path, "mandatory slot '%s' is empty", missing);
		return 0;
	}
	usable = ops->struct_size;
	return usable < sizeof(struct vmosal_backend_ops) ? usable
							   : sizeof(struct vmosal_backend_ops);
}

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
	char why[1024];
	void *dso;
	vmosal_backend_entry_fn entry;
	const struct vmosal_backend_ops *ops;
	size_t usable;
	int rc;

	vmosal__debug("loader", "trying %s", path);
	reentered = false;
	dso = vmosal__dso_open(path, why, sizeof why);
	if (dso == NULL) {
		refuse(path, "cannot load: %s", why);
		return false;
	}
	if (reentered) {
		refuse(path, "its constructor called back into libvmosal while it loaded");
		goto fail;
	}
	*(void **)&entry = vmosal__dso_sym(dso, VMOSAL_BACKEND_ENTRY_NAME);
	if (entry == NULL) {
		refuse(path, "not a libvmosal backend: no %s symbol", VMOSAL_BACKEND_ENTRY_NAME);
		goto fail;
	}
	ops = entry(VMOSAL_BACKEND_ABI);
	if (reentered) {
		refuse(path, "%s called back into libvmosal", VMOSAL_BACKEND_ENTRY_NAME);
		goto fail;
	}
	if (ops == NULL) {
		refuse(path, "%s returned no ops table", VMOSAL_BACKEND_ENTRY_NAME);
		goto fail;
	}
	usable = check_ops(path, ops);
	if (usable == 0)
		goto fail;

	memset(&vmosal__state, 0, sizeof vmosal__state);
	vmosal__state.caps.struct_size = sizeof vmosal__state.caps;
	vmosal__state.host.struct_size = sizeof vmosal__state.host;
	rc = ops->init(&core_services, &vmosal__state.caps);
	if (rc != 0) {
		refuse(path, "backend init failed: %s (%s)", vmosal_err_name(rc),
		       vmosal_strerror(rc));
		goto fail;
	}
	/* After init: a layer empties the slots its next backend lacks. */
	adopt_table(ops, usable);
	if (reentered) {
		refuse(path, "its init called back into libvmosal");
		goto fail_fini;
	}
	rc = ops->host_info(&vmosal__state.host);
	terminate_host_strings(&vmosal__state.host);
	if (rc != 0 || vmosal__state.host.page_size == 0 ||
	    (vmosal__state.host.page_size & (vmosal__state.host.page_size - 1)) != 0) {
		refuse(path, "backend could not describe the host: %s",
		       vmosal_err_name(rc != 0 ? rc : VMOSAL_EINVAL));
		goto fail_fini;
	}
	snprintf(vmosal__state.path, sizeof vmosal__state.path, "%s", path);
	vmosal__debug("loader", "%s: loaded backend '%s', ABI %u.%u", path, ops->name,
		      (unsigned)VMOSAL_BACKEND_ABI_MAJOR_OF(ops->abi_version),
		      (unsigned)VMOSAL_BACKEND_ABI_MINOR_OF(ops->abi_version));
	return true;
fail_fini:
	if (VMOSAL__OP(&vmosal__state, fini) != NULL)
		ops->fini();
fail:
	memset(&vmosal__state, 0, sizeof vmosal__state);
	vmosal__dso_close(dso);
	return false;
}

static bool file_exists(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	fclose(f);
	return true;
}

/* A name may only pick a file inside the backend directories. */
static bool valid_backend_name(const char *name)
{
	if (name[0] == '\0' || strlen(name) > 64)
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return true;
}

/* Tries dir/vmosal_<name><module suffix>. Returns 1 loaded, 0 absent, -1
 * present but refused (the search stops: no silent substitute). */
static int try_in_dir(const char *dir, const char *name)
{
	char path[4096];
	int n = snprintf(path, sizeof path, "%s%cvmosal_%s%s", dir, vmosal__dir_separator(), name,
			 LT_MODULE_EXT);

	if (n < 0 || (size_t)n >= sizeof path) {
		refuse(dir, "backend directory path too long");
		return 0;
	}
	if (!file_exists(path)) {
		refuse(path, "no such file");
		return 0;
	}
	return try_file(path) ? 1 : -1;
}

static bool load_by_name(const char *name, bool use_env_path)
{
	const char *list = use_env_path ? vmosal__secure_getenv("VMOSAL_BACKEND_PATH") : NULL;
	char sep = vmosal__path_list_separator();
	char dir[4096];
	int rc;

	if (!valid_backend_name(name)) {
		refuse(name, "not a backend name (letters, digits, '_' and '-') nor a path");
		return false;
	}
	while (list != NULL && *list != '\0') {
		const char *end = strchr(list, sep);
		size_t n = end != NULL ? (size_t)(end - list) : strlen(list);
		if (n >= sizeof dir) {
			note("VMOSAL_BACKEND_PATH", "an entry of %zu bytes was skipped: too long", n);
		} else if (n > 0) {
			memcpy(dir, list, n);
			dir[n] = '\0';
			rc = try_in_dir(dir, name);
			if (rc != 0)
				return rc > 0;
		}
		list += n + (end != NULL);
	}
	if (use_env_path && vmosal__privileged() && getenv("VMOSAL_BACKEND_PATH") != NULL)
		note("VMOSAL_BACKEND_PATH", "ignored: the process runs with elevated privileges");
	if (!vmosal__backend_dir(dir, sizeof dir)) {
		refuse(name, "the installed backend directory cannot be found");
		return false;
	}
	return try_in_dir(dir, name) > 0;
}

static bool load_spec(const char *spec)
{
	return vmosal__is_path(spec) ? try_file(spec) : load_by_name(spec, true);
}

/* Precedence: explicit argument > VMOSAL_BACKEND > host default. */
static bool load_locked(const char *explicit_spec)
{
	const char *env;

	load_error[0] = '\0';
	load_notice[0] = '\0';
	if (explicit_spec != NULL)
		return load_spec(explicit_spec);
	env = getenv("VMOSAL_BACKEND");
	if (env != NULL && env[0] != '\0') {
		if (!vmosal__privileged())
			return load_spec(env);
		if (!vmosal__is_path(env))
			return load_by_name(env, false);
		note("VMOSAL_BACKEND", "the path '%s' was ignored: the process runs with elevated "
		     "privileges", env);
	}
	return load_by_name(VMOSAL_DEFAULT_BACKEND, true);
}

/* Runs load_locked under the loader lock, marking this thread as the
 * loader so that a plugin calling back in is caught, not deadlocked. */
static bool load_marked(const char *explicit_spec)
{
	bool ok;

	loading = true;
	ok = load_locked(explicit_spec);
	loading = false;
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
		load_error[0] = '\0';
		atomic_store_explicit(&load_failed, false, memory_order_relaxed);
		atomic_store_explicit(&vmosal__loaded, &vmosal__state, memory_order_release);
	} else {
		atomic_store_explicit(&load_failed, true, memory_order_release);
	}
}

/* A call from the plugin while it loads: refuse it, and the plugin. */
static bool reentry(void)
{
	if (!loading)
		return false;
	reentered = true;
	return true;
}

bool vmosal__loader_reentry(void)
{
	return reentry();
}

/* Loads in the normal order unless something is loaded already. An
 * implicit first use (retry false) gives up at once after a failure that
 * it made before; vmosal_init() always tries again. */
static const struct vmosal__state *load_default(bool retry)
{
	const struct vmosal__state *s;

	if (reentry() || (!retry && atomic_load_explicit(&load_failed, memory_order_acquire)))
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
	if (reentry())
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
	bool locked = !reentry();
	int n;

	if (buf == NULL || len == 0)
		return VMOSAL_EINVAL;
	/* Written only under the loader lock, which a plugin calling in
	 * while it loads already holds. */
	if (locked)
		vmosal__loader_lock();
	n = snprintf(buf, len, "%s%s%s", load_notice,
		     load_notice[0] != '\0' && load_error[0] != '\0' ? "\n" : "", load_error);
	if (locked)
		vmosal__loader_unlock();
	return n >= 0 && (size_t)n < len ? 0 : VMOSAL_ERANGE;
}

void vmosal__unload(void)
{
	static atomic_bool unloaded;
	const struct vmosal__state *s =
		atomic_load_explicit(&vmosal__loaded, memory_order_acquire);
	void (*fini)(void);

	if (s == NULL || atomic_exchange(&unloaded, true))
		return;
	fini = VMOSAL__OP(s, fini);
	if (fini != NULL)
		fini();
}
