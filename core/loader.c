/* Finding plugins and checking them against the ABI, for the backend the
 * core loads and for the one a layer loads beneath it (the load_next
 * service). What the core then does with its backend is init.c's. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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

/* Every slot, from the one list (backend_slots.h). */
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
void vmosal__loader_refuse(const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(load_error, sizeof load_error, path, "refused: ", fmt, ap);
	va_end(ap);
}

/* A notice about the environment, kept after a successful load too. */
void vmosal__loader_note(const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(load_notice, sizeof load_notice, what, "", fmt, ap);
	va_end(ap);
}

void vmosal__loader_begin(void)
{
	load_error[0] = '\0';
	load_notice[0] = '\0';
	loading = true;
}

void vmosal__loader_end(bool ok)
{
	loading = false;
	if (ok)
		load_error[0] = '\0';
}

int vmosal__loader_messages(char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s%s", load_notice,
			 load_notice[0] != '\0' && load_error[0] != '\0' ? "\n" : "", load_error);

	return n >= 0 && (size_t)n < len ? 0 : VMOSAL_ERANGE;
}

/* A call from the plugin while it loads: refuse it, and the plugin. */
bool vmosal__loader_reentry(void)
{
	if (!loading)
		return false;
	reentered = true;
	return true;
}

bool vmosal__loader_loading(void)
{
	return loading;
}

static const char *missing_mandatory_slot(const struct vmosal_backend_ops *ops)
{
	for (size_t i = 0; i < SLOT_COUNT; i++)
		if ((slots[i].groups & VMOSAL_SLOT_MANDATORY) && !slot_filled(ops, i))
			return slots[i].name;
	return NULL;
}

/* Checks the plugin's table against the ABI; returns the usable size or 0. */
static size_t check_ops(const char *path, const struct vmosal_backend_ops *ops)
{
	uint32_t major = VMOSAL_BACKEND_ABI_MAJOR_OF(ops->abi_version);
	uint32_t minor = VMOSAL_BACKEND_ABI_MINOR_OF(ops->abi_version);
	size_t need, usable;
	const char *missing;

	if (major != VMOSAL_BACKEND_ABI_MAJOR) {
		vmosal__loader_refuse(path, "ABI %u.%u, but this libvmosal speaks ABI %u.x",
		       (unsigned)major, (unsigned)minor, VMOSAL_BACKEND_ABI_MAJOR);
		return 0;
	}
	need = ops_size_for_minor(minor);
	if (ops->struct_size < need) {
		vmosal__loader_refuse(path, "ops table is %u bytes, ABI %u.%u needs at least %zu",
		       (unsigned)ops->struct_size, (unsigned)major, (unsigned)minor, need);
		return 0;
	}
	if (ops->name == NULL || ops->name[0] == '\0') {
		vmosal__loader_refuse(path, "ops table has no backend name");
		return 0;
	}
	missing = missing_mandatory_slot(ops);
	if (missing != NULL) {
		vmosal__loader_refuse(path, "mandatory slot '%s' is empty", missing);
		return 0;
	}
	usable = ops->struct_size;
	return usable < sizeof(struct vmosal_backend_ops) ? usable
							   : sizeof(struct vmosal_backend_ops);
}

bool vmosal__plugin_open(const char *path, struct vmosal__plugin *out)
{
	char why[1024];
	vmosal_backend_entry_fn entry;

	vmosal__debug("loader", "trying %s", path);
	memset(out, 0, sizeof *out);
	reentered = false;
	out->dso = vmosal__dso_open(path, why, sizeof why);
	if (out->dso == NULL) {
		vmosal__loader_refuse(path, "cannot load: %s", why);
		return false;
	}
	if (reentered) {
		vmosal__loader_refuse(path, "its constructor called back into libvmosal while it loaded");
		goto fail;
	}
	*(void **)&entry = vmosal__dso_sym(out->dso, VMOSAL_BACKEND_ENTRY_NAME);
	if (entry == NULL) {
		vmosal__loader_refuse(path, "not a libvmosal backend: no %s symbol", VMOSAL_BACKEND_ENTRY_NAME);
		goto fail;
	}
	out->ops = entry(VMOSAL_BACKEND_ABI);
	if (reentered) {
		vmosal__loader_refuse(path, "%s called back into libvmosal", VMOSAL_BACKEND_ENTRY_NAME);
		goto fail;
	}
	if (out->ops == NULL) {
		vmosal__loader_refuse(path, "%s returned no ops table", VMOSAL_BACKEND_ENTRY_NAME);
		goto fail;
	}
	out->usable = check_ops(path, out->ops);
	if (out->usable == 0)
		goto fail;
	snprintf(out->path, sizeof out->path, "%s", path);
	return true;
fail:
	vmosal__plugin_close(out);
	return false;
}

void vmosal__plugin_close(struct vmosal__plugin *p)
{
	if (p->dso != NULL)
		vmosal__dso_close(p->dso);
	memset(p, 0, sizeof *p);
}

bool vmosal__plugin_reentered(void)
{
	return reentered;
}

void vmosal__plugin_adopt(const struct vmosal__plugin *p, struct vmosal_backend_ops *t,
			  uint32_t *groups)
{
	const struct vmosal_backend_ops *ops = p->ops;
	uint32_t missing = 0;

	memset(t, 0, sizeof *t);
	memcpy(t, ops, p->usable);
	/* ABI 2.1 to 2.3 closed every handle through the slot now retired. */
	if (VMOSAL_BACKEND_ABI_MINOR_OF(ops->abi_version) < 4 && t->retired_handle_close != NULL)
		t->handle_close = t->retired_handle_close;
	t->retired_handle_close = NULL;
	for (size_t i = 0; i < SLOT_COUNT; i++)
		if (!slot_filled(t, i))
			missing |= slots[i].groups;
	*groups = ~missing & ~VMOSAL_SLOT_MANDATORY;
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
static int try_in_dir(const char *dir, const char *name, vmosal__plugin_use_fn use)
{
	char path[4096];
	int n = snprintf(path, sizeof path, "%s%cvmosal_%s%s", dir, vmosal__dir_separator(), name,
			 LT_MODULE_EXT);

	if (n < 0 || (size_t)n >= sizeof path) {
		vmosal__loader_refuse(dir, "backend directory path too long");
		return 0;
	}
	if (!file_exists(path)) {
		vmosal__loader_refuse(path, "no such file");
		return 0;
	}
	return use(path) ? 1 : -1;
}

static bool load_by_name(const char *name, bool use_env_path, const char *near,
			 vmosal__plugin_use_fn use)
{
	const char *list = use_env_path ? vmosal__secure_getenv("VMOSAL_BACKEND_PATH") : NULL;
	char sep = vmosal__path_list_separator();
	char dir[4096];
	int rc;

	if (!valid_backend_name(name)) {
		vmosal__loader_refuse(name, "not a backend name (letters, digits, '_' and '-') nor a path");
		return false;
	}
	if (near != NULL && (rc = try_in_dir(near, name, use)) != 0)
		return rc > 0;
	while (list != NULL && *list != '\0') {
		const char *end = strchr(list, sep);
		size_t n = end != NULL ? (size_t)(end - list) : strlen(list);
		if (n >= sizeof dir) {
			vmosal__loader_note("VMOSAL_BACKEND_PATH", "an entry of %zu bytes was skipped: too long", n);
		} else if (n > 0) {
			memcpy(dir, list, n);
			dir[n] = '\0';
			rc = try_in_dir(dir, name, use);
			if (rc != 0)
				return rc > 0;
		}
		list += n + (end != NULL);
	}
	if (use_env_path && vmosal__privileged() && getenv("VMOSAL_BACKEND_PATH") != NULL)
		vmosal__loader_note("VMOSAL_BACKEND_PATH", "ignored: the process runs with elevated privileges");
	if (!vmosal__backend_dir(dir, sizeof dir)) {
		vmosal__loader_refuse(name, "the installed backend directory cannot be found");
		return false;
	}
	return try_in_dir(dir, name, use) > 0;
}

bool vmosal__plugin_find(const char *spec, bool use_env_path, const char *near,
			 vmosal__plugin_use_fn use)
{
	return vmosal__is_path(spec) ? use(spec) : load_by_name(spec, use_env_path, near, use);
}

