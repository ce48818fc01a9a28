/* The fault-injection layer (VMOSAL_BACKEND=faulty): has the core load the
 * host's default backend beneath it (load_next), forwards every slot to it, and makes the calls named in
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
 *   handle_close  as Linux's close(), which releases the descriptor even
 *                 when it returns EIO or EINTR: closed, and the error
 *                 returned;
 *   waitset_destroy  the same: the core frees its set whatever the backend
 *                 answers, so the OS's set is released too. */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmosal/backend.h"

/* Every slot a fault can be injected into: those the core calls for a
 * public function (init and fini cannot be made to fail on purpose). */
enum faulty_slot {
#define FAULTY_ENUM_call(name) FAULTY_SLOT_##name,
#define FAULTY_ENUM_loader(name)
#define FAULTY_ENUM_retired(name)
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) FAULTY_ENUM_##kind(name)
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT
	FAULTY_SLOT_COUNT,
	FAULTY_SLOT_ANY = FAULTY_SLOT_COUNT /* "*" in VMOSAL_FAULTS */
};

static const struct {
	const char *name;
	size_t offset; /* in struct vmosal_backend_ops */
	bool mandatory;
} faulty_slot_info[FAULTY_SLOT_COUNT] = {
#define FAULTY_INFO_call(name, groups) \
	{#name, offsetof(struct vmosal_backend_ops, name), ((groups) & VMOSAL_SLOT_MANDATORY) != 0},
#define FAULTY_INFO_loader(name, groups)
#define FAULTY_INFO_retired(name, groups)
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) FAULTY_INFO_##kind(name, groups)
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT
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

/* Calls made so far, per slot and of any slot; slots run on many threads. */
static atomic_uint_fast64_t faulty_calls[FAULTY_SLOT_COUNT];
static atomic_uint_fast64_t faulty_calls_any;

/* ---- the backend beneath ---- */

/* The next backend's slot at offset, or NULL when its table is too old to
 * have it or leaves it empty. */
static void (*faulty_real_slot(size_t offset))(void)
{
	if (faulty_real->struct_size < offset + sizeof(void (*)(void)))
		return NULL;
	return *(void (*const *)(void))((const char *)faulty_real + offset);
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

/* Slots whose work happens even when they report an error, as the OS does
 * it: the call is made, then the fault returned (see the top). */
static bool faulty_done_anyway(enum faulty_slot slot)
{
	return slot == FAULTY_SLOT_wake_u32 || slot == FAULTY_SLOT_handle_close ||
	       slot == FAULTY_SLOT_waitset_destroy;
}

#define FAULTY_FORWARD_int(name, params, args)                          \
	static int faulty_##name params                                 \
	{                                                               \
		int rc = faulty_inject(FAULTY_SLOT_##name);             \
		int done;                                               \
		if (rc != 0 && !faulty_done_anyway(FAULTY_SLOT_##name)) \
			return rc;                                      \
		done = faulty_real->name args;                          \
		return rc != 0 ? rc : done;                             \
	}
/* Returns nothing, so nothing to inject: forwarded as it is. */
#define FAULTY_FORWARD_void(name, params, args) \
	static void faulty_##name params        \
	{                                       \
		faulty_real->name args;         \
	}
#define FAULTY_FORWARD_call(name, ret, params, args) FAULTY_FORWARD_##ret(name, params, args)
#define FAULTY_FORWARD_loader(name, ret, params, args)
#define FAULTY_FORWARD_retired(name, ret, params, args)
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) \
	FAULTY_FORWARD_##kind(name, ret, params, args)
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT

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
#define FAULTY_ENTRY_call(name) .name = faulty_##name,
#define FAULTY_ENTRY_loader(name)
#define FAULTY_ENTRY_retired(name)
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) FAULTY_ENTRY_##kind(name)
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT
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
	if (!VMOSAL_BACKEND_HAS_MEMBER(core, struct vmosal_core_services, load_next) ||
	    (faulty_real = core->load_next(VMOSAL_DEFAULT_BACKEND)) == NULL) {
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
