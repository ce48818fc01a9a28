/* The fault-injection backend (VMOSAL_BACKEND=faulty): loads the host's
 * default backend, forwards every slot to it, and makes the calls named in
 * VMOSAL_FAULTS fail with a chosen code before they reach the OS, so that a
 * VMM (and libvmosal's own tests) can walk every error path.
 *
 * VMOSAL_FAULTS=slot:CODE[:N][,slot:CODE[:N]...]
 *   slot  a slot name of backend.h ("mem_map"), or "*" for any slot;
 *   CODE  a VMOSAL_E* name without its prefix ("ENOMEM");
 *   N     fail only the Nth call (1-based, counted from the load, the
 *         loader's own host_info call included); without N, every call.
 *
 * A failing slot returns the code without calling the real backend, except
 * where the OS cannot fail that way and the fault is what the OS can do:
 *   wake_u32      a futex, WaitOnAddress or __ulock wake cannot fail for a
 *                 valid word, so a waiter is never left asleep: the wake
 *                 happens, and only its report is the error;
 *   handle_close, shm_close
 *                 as Linux's close(), which releases the descriptor even
 *                 when it returns EIO or EINTR: closed, and the error
 *                 returned. */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

#include "vmosal/backend.h"

/* X(slot, mandatory): every slot a fault can be injected into. init and
 * fini are left out: they cannot be made to fail on purpose. */
#define FAULTY_SLOTS(X)                  \
	X(host_info, true)               \
	X(mem_info, true)                \
	X(accel_probe, true)             \
	X(thread_create, true)           \
	X(thread_join, true)             \
	X(thread_self, true)             \
	X(thread_set_affinity, false)    \
	X(thread_get_affinity, false)    \
	X(thread_set_priority, false)    \
	X(thread_get_priority, false)    \
	X(thread_set_name, false)        \
	X(thread_get_name, false)        \
	X(thread_current_cpu, false)     \
	X(wait_u32, true)                \
	X(wake_u32, true)                \
	X(mem_map, true)                 \
	X(mem_unmap, true)               \
	X(mem_protect, true)             \
	X(mem_reserve, true)             \
	X(mem_map_reserved, true)        \
	X(mem_release, true)             \
	X(mem_advise, false)             \
	X(mem_lock, false)               \
	X(mem_unlock, false)             \
	X(mem_sync, false)               \
	X(page_sizes, false)             \
	X(mem_populate, false)           \
	X(shm_create, false)             \
	X(shm_close, false)              \
	X(jit_map, false)                \
	X(jit_unmap, false)              \
	X(icache_flush, false)           \
	X(signal_install, false)         \
	X(signal_restore, false)         \
	X(signal_mask, false)            \
	X(signal_wait, false)            \
	X(signal_fd_open, false)         \
	X(signal_fd_read, false)         \
	X(handle_close, false)           \
	X(fault_guard, false)            \
	X(kick_setup, false)             \
	X(thread_kick, false)            \
	X(event_create, false)           \
	X(event_signal, false)           \
	X(event_wait, false)             \
	X(clock_ns, false)               \
	X(sleep_ns, false)               \
	X(device_open, false)            \
	X(device_ioctl, false)           \
	X(process_id, false)             \
	X(mem_discard, false)            \
	X(event_wait_kick, false)        \
	X(thread_create_attr, false)     \
	X(thread_set_realtime, false)    \
	X(jit_write_begin, false)        \
	X(jit_write_end, false)

enum faulty_slot {
#define FAULTY_SLOT_ENUM(m, mandatory) FAULTY_SLOT_##m,
	FAULTY_SLOTS(FAULTY_SLOT_ENUM)
#undef FAULTY_SLOT_ENUM
	FAULTY_SLOT_COUNT,
	FAULTY_SLOT_ANY = FAULTY_SLOT_COUNT /* "*" in VMOSAL_FAULTS */
};

static const struct {
	const char *name;
	size_t offset; /* in struct vmosal_backend_ops */
	bool mandatory;
} faulty_slot_info[FAULTY_SLOT_COUNT] = {
#define FAULTY_SLOT_INFO(m, mandatory) \
	{#m, offsetof(struct vmosal_backend_ops, m), mandatory},
	FAULTY_SLOTS(FAULTY_SLOT_INFO)
#undef FAULTY_SLOT_INFO
};

static const struct {
	const char *name;
	int code;
} faulty_codes[] = {
#define FAULTY_CODE(name, value, msg) {#name, value},
	VMOSAL_ERRNO_MAP(FAULTY_CODE)
#undef FAULTY_CODE
};

#define FAULTY_MAX_RULES 64

struct faulty_rule {
	unsigned slot;  /* enum faulty_slot */
	int code;
	uint64_t nth;   /* 0: every call */
};

/* Written once by init, before any other slot runs; read-only after. */
static struct faulty_rule faulty_rules[FAULTY_MAX_RULES];
static size_t faulty_nrules;
static const struct vmosal_core_services *faulty_core;
static const struct vmosal_backend_ops *faulty_real;
static uint32_t faulty_real_size;

/* Calls made so far, per slot and of any slot; slots run on many threads. */
static atomic_uint_fast64_t faulty_calls[FAULTY_SLOT_COUNT];
static atomic_uint_fast64_t faulty_calls_any;

/* ---- module loading: the one OS-specific part ---- */

#ifdef _WIN32
#define FAULTY_DIR_SEPARATORS "\\/"
#define FAULTY_PATH_LIST_SEPARATOR ';'

static void *faulty_module_open(const char *path)
{
	wchar_t wpath[MAX_PATH];

	if (MultiByteToWideChar(CP_UTF8, 0, path, -1, wpath, MAX_PATH) == 0)
		return NULL;
	/* An absolute path whose own directory resolves its imports. */
	return (void *)LoadLibraryExW(wpath, NULL, LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR |
						   LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
}

static void *faulty_module_sym(void *module, const char *name)
{
	FARPROC fn = GetProcAddress((HMODULE)module, name);
	void *sym;

	/* As dlsym() hands a function out: in a data pointer. */
	memcpy(&sym, &fn, sizeof sym);
	return sym;
}

static void faulty_module_close(void *module)
{
	FreeLibrary((HMODULE)module);
}

/* The path of the module that holds this code. */
static bool faulty_module_self(char *buf, size_t len)
{
	HMODULE self;
	wchar_t wpath[MAX_PATH];
	DWORD n;

	if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
					GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
				(LPCWSTR)(uintptr_t)faulty_module_open, &self))
		return false;
	n = GetModuleFileNameW(self, wpath, MAX_PATH);
	if (n == 0 || n >= MAX_PATH)
		return false;
	return WideCharToMultiByte(CP_UTF8, 0, wpath, -1, buf, (int)len, NULL, NULL) > 0;
}
#else
#define FAULTY_DIR_SEPARATORS "/"
#define FAULTY_PATH_LIST_SEPARATOR ':'

static void *faulty_module_open(const char *path)
{
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

static void *faulty_module_sym(void *module, const char *name)
{
	return dlsym(module, name);
}

static void faulty_module_close(void *module)
{
	dlclose(module);
}

/* The path of the module that holds this code. */
static bool faulty_module_self(char *buf, size_t len)
{
	Dl_info info;
	int n;

	if (dladdr((void *)(uintptr_t)faulty_module_open, &info) == 0 || info.dli_fname == NULL)
		return false;
	n = snprintf(buf, len, "%s", info.dli_fname);
	return n > 0 && (size_t)n < len;
}
#endif

/* ---- the real backend ---- */

/* The real backend's slot at offset, or NULL when its table is too old to
 * have it or leaves it empty. */
static void (*faulty_real_slot(size_t offset))(void)
{
	if (faulty_real_size < offset + sizeof(void (*)(void)))
		return NULL;
	return *(void (*const *)(void))((const char *)faulty_real + offset);
}

/* Loads dir/vmosal_<default><suffix>; true once its table is usable. */
static bool faulty_load_from(const char *dir, size_t dir_len)
{
	char path[4096];
	void *module;
	vmosal_backend_entry_fn entry;
	const struct vmosal_backend_ops *ops;
	int n;

	n = snprintf(path, sizeof path, "%.*s/vmosal_%s%s", (int)dir_len, dir,
		     VMOSAL_DEFAULT_BACKEND, LT_MODULE_EXT);
	if (n < 0 || (size_t)n >= sizeof path)
		return false;
	module = faulty_module_open(path);
	if (module == NULL) {
		faulty_core->debug("faults", "%s: cannot load", path);
		return false;
	}
	*(void **)&entry = faulty_module_sym(module, VMOSAL_BACKEND_ENTRY_NAME);
	ops = entry != NULL ? entry(VMOSAL_BACKEND_ABI) : NULL;
	if (ops == NULL ||
	    VMOSAL_BACKEND_ABI_MAJOR_OF(ops->abi_version) != VMOSAL_BACKEND_ABI_MAJOR ||
	    ops->struct_size < offsetof(struct vmosal_backend_ops, init) + sizeof ops->init ||
	    ops->init == NULL) {
		faulty_core->debug("faults", "%s: not an ABI %u backend", path,
				   VMOSAL_BACKEND_ABI_MAJOR);
		faulty_module_close(module);
		return false;
	}
	faulty_real = ops;
	faulty_real_size = ops->struct_size;
	faulty_core->debug("faults", "forwarding to %s", path);
	return true;
}

/* The default backend, next to this plugin first, so that a build tree
 * tests its own; then VMOSAL_BACKEND_PATH and the install directory, as
 * the core searches them. */
static bool faulty_load_real(void)
{
	const char *list = faulty_core->secure_getenv("VMOSAL_BACKEND_PATH");
	char self[4096];

	if (faulty_module_self(self, sizeof self)) {
		size_t dir_len = 0;

		for (size_t i = 0; self[i] != '\0'; i++)
			if (strchr(FAULTY_DIR_SEPARATORS, self[i]) != NULL)
				dir_len = i;
		if (dir_len > 0 && faulty_load_from(self, dir_len))
			return true;
	}
	while (list != NULL && *list != '\0') {
		size_t n = strcspn(list, (char[]){FAULTY_PATH_LIST_SEPARATOR, '\0'});

		if (n > 0 && faulty_load_from(list, n))
			return true;
		list += n + (list[n] != '\0');
	}
	return faulty_load_from(VMOSAL_BACKEND_DIR, strlen(VMOSAL_BACKEND_DIR));
}

/* ---- VMOSAL_FAULTS ---- */

/* A spec the user got wrong is worth a message even with VMOSAL_DEBUG=loader
 * alone, the switch one turns on when a backend refuses to load. */
static void faulty_refuse(const char *spec, const char *entry, size_t entry_len,
			  const char *why)
{
	const char *topic = faulty_core->debug_enabled("faults") ? "faults" : "loader";

	faulty_core->debug(topic, "VMOSAL_FAULTS=\"%s\": \"%.*s\": %s", spec, (int)entry_len,
			   entry, why);
}

static bool faulty_field_is(const char *field, size_t len, const char *name)
{
	return strlen(name) == len && strncmp(field, name, len) == 0;
}

/* Parses one "slot:CODE[:N]" of entry_len bytes; NULL, or why it is wrong. */
static const char *faulty_parse_rule(const char *entry, size_t entry_len,
				     struct faulty_rule *rule)
{
	const char *end = entry + entry_len;
	const char *field = entry;
	size_t len = strcspn(field, ":,");
	unsigned i;

	if (faulty_field_is(field, len, "init") || faulty_field_is(field, len, "fini"))
		return "init and fini cannot be made to fail";
	if (faulty_field_is(field, len, "*")) {
		rule->slot = FAULTY_SLOT_ANY;
	} else {
		for (i = 0; i < FAULTY_SLOT_COUNT; i++)
			if (faulty_field_is(field, len, faulty_slot_info[i].name))
				break;
		if (i == FAULTY_SLOT_COUNT)
			return "unknown slot (slot names are those of vmosal/backend.h)";
		rule->slot = i;
	}
	if (field + len >= end)
		return "no error code (slot:CODE[:N])";
	field += len + 1;
	len = strcspn(field, ":,");
	for (i = 0; i < sizeof faulty_codes / sizeof faulty_codes[0]; i++)
		if (faulty_field_is(field, len, faulty_codes[i].name))
			break;
	if (i == sizeof faulty_codes / sizeof faulty_codes[0])
		return "unknown error code (a VMOSAL_E* name without VMOSAL_, e.g. ENOMEM)";
	rule->code = faulty_codes[i].code;
	rule->nth = 0;
	if (field + len >= end)
		return NULL;
	field += len + 1;
	len = (size_t)(end - field);
	if (len == 0 || len > 18 || strspn(field, "0123456789") != len)
		return "the call number must be a decimal number from 1";
	for (i = 0; i < len; i++)
		rule->nth = rule->nth * 10 + (uint64_t)(field[i] - '0');
	return rule->nth == 0 ? "the call number must be a decimal number from 1" : NULL;
}

static int faulty_parse(const char *spec)
{
	const char *entry = spec;

	faulty_nrules = 0;
	if (spec[0] == '\0')
		return 0;
	for (;;) {
		size_t len = strcspn(entry, ",");
		const char *why;

		if (faulty_nrules == FAULTY_MAX_RULES)
			why = "too many faults";
		else if (len == 0)
			why = "empty entry";
		else
			why = faulty_parse_rule(entry, len, &faulty_rules[faulty_nrules]);
		if (why != NULL) {
			faulty_refuse(spec, entry, len, why);
			faulty_nrules = 0;
			return VMOSAL_EINVAL;
		}
		faulty_nrules++;
		if (entry[len] == '\0')
			return 0;
		entry += len + 1;
	}
}

static const char *faulty_code_name(int code)
{
	for (size_t i = 0; i < sizeof faulty_codes / sizeof faulty_codes[0]; i++)
		if (faulty_codes[i].code == code)
			return faulty_codes[i].name;
	return "?";
}

/* The code the call about to be made must fail with, or 0 to forward it. */
static int faulty_inject(enum faulty_slot slot)
{
	uint64_t n, any;

	if (faulty_nrules == 0)
		return 0;
	n = atomic_fetch_add_explicit(&faulty_calls[slot], 1, memory_order_relaxed) + 1;
	any = atomic_fetch_add_explicit(&faulty_calls_any, 1, memory_order_relaxed) + 1;
	for (size_t i = 0; i < faulty_nrules; i++) {
		const struct faulty_rule *r = &faulty_rules[i];
		uint64_t count = r->slot == FAULTY_SLOT_ANY ? any : n;

		if ((r->slot == (unsigned)slot || r->slot == FAULTY_SLOT_ANY) &&
		    (r->nth == 0 || r->nth == count)) {
			faulty_core->debug("faults", "injected %s into %s call %llu (%llu of any)",
					   faulty_code_name(r->code), faulty_slot_info[slot].name,
					   (unsigned long long)n, (unsigned long long)any);
			return r->code;
		}
	}
	return 0;
}

/* ---- forwarding slots ---- */

#define FAULTY_FORWARD(m, params, args)                                 \
	static int faulty_##m params                                    \
	{                                                               \
		int rc = faulty_inject(FAULTY_SLOT_##m);                \
		return rc != 0 ? rc : faulty_real->m args;              \
	}

FAULTY_FORWARD(host_info, (struct vmosal_backend_host *out), (out))
FAULTY_FORWARD(mem_info, (struct vmosal_backend_mem_info *out), (out))
FAULTY_FORWARD(accel_probe, (int which, struct vmosal_backend_accel *out), (which, out))
FAULTY_FORWARD(thread_create,
	       (void *(*start)(void *), void *arg, size_t stack_size, void **handle),
	       (start, arg, stack_size, handle))
FAULTY_FORWARD(thread_join, (void *handle, void **result), (handle, result))
FAULTY_FORWARD(thread_self, (uint64_t *tid), (tid))
FAULTY_FORWARD(thread_set_affinity, (uint64_t tid, const size_t *cpus, size_t ncpus),
	       (tid, cpus, ncpus))
FAULTY_FORWARD(thread_get_affinity,
	       (uint64_t tid, size_t *cpus, size_t capacity, size_t *ncpus),
	       (tid, cpus, capacity, ncpus))
FAULTY_FORWARD(thread_set_priority, (uint64_t tid, int prio), (tid, prio))
FAULTY_FORWARD(thread_get_priority, (uint64_t tid, int *prio), (tid, prio))
FAULTY_FORWARD(thread_set_name, (uint64_t tid, const char *name), (tid, name))
FAULTY_FORWARD(thread_get_name, (uint64_t tid, char *buf, size_t len), (tid, buf, len))
FAULTY_FORWARD(thread_current_cpu, (size_t *cpu), (cpu))
FAULTY_FORWARD(wait_u32, (const uint32_t *addr, uint32_t expected, int64_t timeout_ns),
	       (addr, expected, timeout_ns))
FAULTY_FORWARD(mem_map,
	       (void *addr, size_t size, unsigned prot, unsigned flags, vmosal_handle_t handle,
		int64_t offset, void **out),
	       (addr, size, prot, flags, handle, offset, out))
FAULTY_FORWARD(mem_unmap, (void *addr, size_t size), (addr, size))
FAULTY_FORWARD(mem_protect, (void *addr, size_t size, unsigned prot), (addr, size, prot))
FAULTY_FORWARD(mem_reserve, (size_t size, size_t alignment, size_t align_offset, void **out),
	       (size, alignment, align_offset, out))
FAULTY_FORWARD(mem_map_reserved,
	       (void *addr, size_t size, unsigned prot, unsigned flags, vmosal_handle_t handle,
		int64_t offset),
	       (addr, size, prot, flags, handle, offset))
FAULTY_FORWARD(mem_release, (void *addr, size_t size), (addr, size))
FAULTY_FORWARD(mem_advise, (void *addr, size_t size, int advice), (addr, size, advice))
FAULTY_FORWARD(mem_lock, (void *addr, size_t size), (addr, size))
FAULTY_FORWARD(mem_unlock, (void *addr, size_t size), (addr, size))
FAULTY_FORWARD(mem_sync, (void *addr, size_t size, unsigned flags), (addr, size, flags))
FAULTY_FORWARD(page_sizes, (struct vmosal_backend_page_sizes *out), (out))
FAULTY_FORWARD(mem_populate, (void *addr, size_t size), (addr, size))
FAULTY_FORWARD(shm_create,
	       (const char *name, uint64_t size, unsigned flags, unsigned huge_page_shift,
		vmosal_handle_t *out),
	       (name, size, flags, huge_page_shift, out))
FAULTY_FORWARD(jit_map, (size_t size, void **rw, void **rx), (size, rw, rx))
FAULTY_FORWARD(jit_unmap, (void *rw, void *rx, size_t size), (rw, rx, size))
FAULTY_FORWARD(icache_flush, (void *addr, size_t size), (addr, size))
FAULTY_FORWARD(signal_install, (int sig), (sig))
FAULTY_FORWARD(signal_restore, (int sig), (sig))
FAULTY_FORWARD(signal_mask, (bool block, const int *sigs, size_t n), (block, sigs, n))
FAULTY_FORWARD(signal_wait,
	       (const int *sigs, size_t n, int64_t timeout_ns,
		struct vmosal_backend_siginfo *out),
	       (sigs, n, timeout_ns, out))
FAULTY_FORWARD(signal_fd_open, (const int *sigs, size_t n, vmosal_handle_t *out),
	       (sigs, n, out))
FAULTY_FORWARD(signal_fd_read, (vmosal_handle_t h, struct vmosal_backend_siginfo *out),
	       (h, out))
FAULTY_FORWARD(fault_guard,
	       (int (*fn)(void *), void *arg, struct vmosal_backend_siginfo *fault,
		int *fn_result),
	       (fn, arg, fault, fn_result))
FAULTY_FORWARD(kick_setup, (int *os_signal), (os_signal))
FAULTY_FORWARD(thread_kick, (uint64_t tid), (tid))
FAULTY_FORWARD(event_create, (unsigned flags, vmosal_handle_t *out), (flags, out))
FAULTY_FORWARD(event_signal, (vmosal_handle_t h), (h))
FAULTY_FORWARD(event_wait, (vmosal_handle_t h, int64_t timeout_ns), (h, timeout_ns))
FAULTY_FORWARD(clock_ns, (int clock, uint64_t *out), (clock, out))
FAULTY_FORWARD(sleep_ns, (uint64_t ns), (ns))
FAULTY_FORWARD(device_open, (const char *path, unsigned flags, vmosal_handle_t *out),
	       (path, flags, out))
FAULTY_FORWARD(device_ioctl,
	       (vmosal_handle_t h, unsigned long request, void *arg, unsigned flags,
		int *result),
	       (h, request, arg, flags, result))
FAULTY_FORWARD(process_id, (uint64_t *out), (out))
FAULTY_FORWARD(mem_discard, (void *addr, size_t size, vmosal_handle_t h, int64_t offset),
	       (addr, size, h, offset))
FAULTY_FORWARD(event_wait_kick,
	       (vmosal_handle_t h, int64_t timeout_ns, const uint32_t *kick_pending),
	       (h, timeout_ns, kick_pending))
FAULTY_FORWARD(thread_create_attr,
	       (void *(*start)(void *), void *arg, struct vmosal_backend_thread_attr *attr,
		void **handle),
	       (start, arg, attr, handle))
FAULTY_FORWARD(thread_set_realtime, (uint64_t tid, int policy, int level), (tid, policy, level))
FAULTY_FORWARD(jit_write_begin, (void *rw, void *rx, size_t size), (rw, rx, size))
FAULTY_FORWARD(jit_write_end, (void *rw, void *rx, size_t size), (rw, rx, size))

/* Done, then failed: see the top of this file. */
#define FAULTY_FORWARD_THEN_FAIL(m, params, args)                       \
	static int faulty_##m params                                    \
	{                                                               \
		int rc = faulty_inject(FAULTY_SLOT_##m);                \
		int done = faulty_real->m args;                         \
		return rc != 0 ? rc : done;                             \
	}

FAULTY_FORWARD_THEN_FAIL(wake_u32, (const uint32_t *addr, bool all), (addr, all))
FAULTY_FORWARD_THEN_FAIL(shm_close, (vmosal_handle_t handle), (handle))
FAULTY_FORWARD_THEN_FAIL(handle_close, (vmosal_handle_t h), (h))

#undef FAULTY_FORWARD_THEN_FAIL

/* Returns nothing, so nothing to inject: forwarded as it is. */
static void faulty_signal_chain(const struct vmosal_backend_siginfo *info, void *os_context)
{
	faulty_real->signal_chain(info, os_context);
}

#undef FAULTY_FORWARD

static int faulty_init(const struct vmosal_core_services *core,
		       struct vmosal_backend_caps *caps);
static void faulty_fini(void);

/* Not const: init empties the slots the real backend leaves empty, before
 * the core reads any of them, so the core takes its own fallbacks. */
static struct vmosal_backend_ops faulty_ops = {
	.abi_version = VMOSAL_BACKEND_ABI,
	.struct_size = sizeof(struct vmosal_backend_ops),
	.name = "faulty",
	.init = faulty_init,
	.fini = faulty_fini,
	.signal_chain = faulty_signal_chain,
#define FAULTY_OPS_ENTRY(m, mandatory) .m = faulty_##m,
	FAULTY_SLOTS(FAULTY_OPS_ENTRY)
#undef FAULTY_OPS_ENTRY
};

static int faulty_init(const struct vmosal_core_services *core,
		       struct vmosal_backend_caps *caps)
{
	const char *spec;
	int rc;

	faulty_core = core;
	spec = core->secure_getenv("VMOSAL_FAULTS");
	if (spec != NULL && (rc = faulty_parse(spec)) != 0)
		return rc;
	if (!faulty_load_real()) {
		core->debug("loader", "faulty: cannot load the %s backend to forward to",
			    VMOSAL_DEFAULT_BACKEND);
		return VMOSAL_EBACKEND;
	}
	for (unsigned i = 0; i < FAULTY_SLOT_COUNT; i++) {
		void (**ours)(void) =
			(void (**)(void))((char *)&faulty_ops + faulty_slot_info[i].offset);

		if (faulty_real_slot(faulty_slot_info[i].offset) != NULL)
			continue;
		if (faulty_slot_info[i].mandatory) {
			core->debug("loader", "faulty: the %s backend has no '%s' slot",
				    VMOSAL_DEFAULT_BACKEND, faulty_slot_info[i].name);
			return VMOSAL_EBACKEND;
		}
		*ours = NULL;
	}
	if (faulty_real_slot(offsetof(struct vmosal_backend_ops, fini)) == NULL)
		faulty_ops.fini = NULL;
	if (faulty_real_slot(offsetof(struct vmosal_backend_ops, signal_chain)) == NULL)
		faulty_ops.signal_chain = NULL;
	/* The real caps: the core must see what the OS can do. */
	return faulty_real->init(core, caps);
}

static void faulty_fini(void)
{
	faulty_real->fini();
}

VMOSAL_BACKEND_EXPORT const struct vmosal_backend_ops *vmosal_backend_entry(uint32_t core_abi)
{
	(void)core_abi;
	return &faulty_ops;
}
