/* What the contract suites share (contract.h): the recording backend's
 * controls, the assertions on its record, and the program's main, which
 * loads the backend once and runs the suites for the program it is built
 * into (check_contract, check_contract_bare, check_contract_os,
 * check_contract_faulty). */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

#include "contract.h"

struct contract_fake fake;
vmosal_tid_t own_tid;
size_t mark;
struct contract_first_uses first_uses;

/* ---- the OS calls the suites make ------------------------------------------ */

#ifndef VMOSAL_CONTRACT_BACKEND

typedef void (*module_fn)(void);

/* Opens a module that may already be loaded: the OS then returns the one
 * in memory, which is how the suite reaches the backend the core holds. */
static void *module_open(const char *path)
{
#ifdef _WIN32
	return LoadLibraryA(path);
#else
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
#endif
}

static module_fn module_symbol(void *module, const char *name)
{
	module_fn fn;

#ifdef _WIN32
	fn = (module_fn)(void (*)(void))GetProcAddress((HMODULE)module, name);
#else
	*(void **)&fn = dlsym(module, name);
#endif
	return fn;
}

static int set_environment(const char *name, const char *value)
{
#ifdef _WIN32
	return _putenv_s(name, value) == 0 ? 0 : -1;
#else
	return setenv(name, value, 1);
#endif
}
#endif

/* ---- the record ------------------------------------------------------------ */

/* The suite's thread asks its id first, so that no test depends on running
 * first: in a forked test process the core has forgotten it, as a child's
 * thread has an id of its own. */
void fresh_record(void)
{
	ck_assert_int_eq(vmosal_thread_self(&own_tid), 0);
	fake.reset();
	mark = 0;
}

void begin_calls(void)
{
	mark = fake.count();
}

const char *recorded_slots(void)
{
	static char buf[2048];
	size_t used = 0, n = fake.count();

	buf[0] = '\0';
	for (size_t i = mark; i < n && used < sizeof buf; i++) {
		struct vmosal_fake_call c;
		int len = snprintf(buf + used, sizeof buf - used, "%s%s", i > mark ? ", " : "",
				   fake.get(i, &c) == 0 ? c.slot : "?");
		used += len > 0 ? (size_t)len : 0;
	}
	return n == mark ? "(nothing)" : buf;
}

void expect_calls(const char *first, ...)
{
	va_list ap;
	size_t n = 0;

	va_start(ap, first);
	for (const char *slot = first; slot != NULL; slot = va_arg(ap, const char *), n++) {
		struct vmosal_fake_call c;
		bool seen = mark + n < fake.count() && fake.get(mark + n, &c) == 0 &&
			    strcmp(c.slot, slot) == 0;
		ck_assert_msg(seen, "call %zu should be %s; the backend saw: %s", n, slot,
			      recorded_slots());
	}
	va_end(ap);
	ck_assert_msg(fake.count() - mark == n, "expected %zu calls; the backend saw: %s", n,
		      recorded_slots());
}

struct vmosal_fake_call call_at(size_t n)
{
	struct vmosal_fake_call c;

	ck_assert_msg(fake.get(mark + n, &c) == 0, "no call %zu; the backend saw: %s", n,
		      recorded_slots());
	return c;
}

size_t count_calls(const char *slot)
{
	size_t n = 0;

	for (size_t i = 0; i < fake.count() - mark; i++)
		n += strcmp(call_at(i).slot, slot) == 0;
	return n;
}

void expect_args(const struct vmosal_fake_call *c, const char *text, const uint64_t *want,
		 size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (want[i] != ANY_ARG)
			ck_assert_msg(c->args[i] == want[i],
				      "%s: argument %zu is %#llx, expected %#llx (of: %s)", c->slot,
				      i, (unsigned long long)c->args[i],
				      (unsigned long long)want[i], text);
}

void fill_newer(void *s, size_t size, size_t known, unsigned char tail_byte)
{
	uint32_t struct_size = (uint32_t)size;

	memset(s, 0, known);
	memset((char *)s + known, tail_byte, size - known);
	memcpy(s, &struct_size, sizeof struct_size);
}

void expect_zero_tail(const void *s, size_t size, size_t known)
{
	uint32_t struct_size;

	memcpy(&struct_size, s, sizeof struct_size);
	ck_assert_uint_eq(struct_size, size);
	for (size_t i = known; i < size; i++)
		ck_assert_msg(((const unsigned char *)s)[i] == 0, "byte %zu past the known %zu "
			      "is not zero", i, known);
}

void fail_slot(const char *slot, int code)
{
	ck_assert_msg(fake.set_failure(slot, code) == 0, "the fake has no slot %s", slot);
}

void contract_skip(int iteration, const char *fmt, ...)
{
	char reason[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	vmosal_test_skip_record(iteration, "%s", reason);
}

/* ---- loading --------------------------------------------------------------- */

#ifndef VMOSAL_CONTRACT_BACKEND
#ifdef VMOSAL_CONTRACT_BARE
#define CONTRACT_MODULE "vmosal_fake_bare"
#else
#define CONTRACT_MODULE "vmosal_fake_record"
#endif

/* The slots called since the last reset, outside any test. */
static void note_calls(char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < fake.count() && used < size; i++) {
		struct vmosal_fake_call c;
		int len = snprintf(out + used, size - used, "%s%s", i > 0 ? "," : "",
				   fake.get(i, &c) == 0 ? c.slot : "?");
		used += len > 0 ? (size_t)len : 0;
	}
}

static int return_seven(void *arg)
{
	(void)arg;
	return 7;
}

/* The first kick and the first fault guard set things up for the life of
 * the process: seen here once, before any test (and its fork) runs. */
static void note_first_uses(void)
{
	int sig = 0;

	fake.reset();
	(void)vmosal_thread_kick_signal(&sig);
	(void)vmosal_thread_kick_signal(&sig);
	note_calls(first_uses.kick, sizeof first_uses.kick);
	fake.reset();
	(void)vmosal_fault_guard(return_seven, NULL, NULL);
	(void)vmosal_fault_guard(return_seven, NULL, NULL);
	note_calls(first_uses.guard, sizeof first_uses.guard);
	fake.reset();
}

/* Loads the recording backend and finds its controls, once for the whole
 * process; NULL, or why not. */
static const char *load_recording_backend(void)
{
	struct vmosal_backend_info info = VMOSAL_STRUCT_INIT(struct vmosal_backend_info);
	const char *fakes = getenv("VMOSAL_TEST_FAKES");
	const char *srcdir = getenv("VMOSAL_TEST_SRCDIR");
	char path[4096], plugin[4096];
	void *module;

	if (fakes == NULL || srcdir == NULL)
		return "VMOSAL_TEST_FAKES and VMOSAL_TEST_SRCDIR must be set ('make check' does)";
	/* Copied first: on Windows, changing the environment can move the
	 * strings getenv() returned. */
	snprintf(plugin, sizeof plugin, "%s/" CONTRACT_MODULE "%s", fakes, LT_MODULE_EXT);
	/* A topology of its own, the same on every host: hwloc reads it on
	 * first use. */
	snprintf(path, sizeof path, "%s/topologies/2pkg-64core-smt2-4numa.xml", srcdir);
	if (set_environment("HWLOC_XMLFILE", path) != 0 ||
	    set_environment("HWLOC_THISSYSTEM", "0") != 0)
		return "cannot set the hwloc topology file";
	if (vmosal_init_backend(plugin) != 0) {
		fprintf(stderr, "%s\n", vmosal_test_backend_error());
		return "the recording backend did not load";
	}
	if (vmosal_backend_info(&info) != 0 || (module = module_open(info.path)) == NULL)
		return "cannot open the loaded backend's module again";
	fake.reset = (void (*)(void))module_symbol(module, "vmosal_fake_record_reset");
	fake.count = (size_t (*)(void))module_symbol(module, "vmosal_fake_record_count");
	fake.get = (int (*)(size_t, struct vmosal_fake_call *))module_symbol(
		module, "vmosal_fake_record_get");
	fake.set_failure =
		(int (*)(const char *, int))module_symbol(module, "vmosal_fake_record_fail");
	fake.granularity =
		(void (*)(uint64_t))module_symbol(module, "vmosal_fake_record_granularity");
	fake.deliver = (void (*)(const struct vmosal_siginfo *))module_symbol(
		module, "vmosal_fake_record_deliver");
	if (fake.reset == NULL || fake.count == NULL || fake.get == NULL ||
	    fake.set_failure == NULL || fake.granularity == NULL || fake.deliver == NULL)
		return "the recording backend lacks a control function";
	note_first_uses();
	return NULL;
}
#endif

#ifdef VMOSAL_CONTRACT_BACKEND
/* The contracts a backend keeps itself, on a real one ("": the host's). */
static int run_on_backend(const char *name)
{
	int rc = name[0] != '\0' ? vmosal_init_backend(name) : vmosal_init();
	Suite *s = suite_create("contract_os");

	if (rc != 0) {
		fprintf(stderr, "contract: backend %s: %s\n%s\n",
			name[0] != '\0' ? name : "(default)", vmosal_err_name(rc),
			vmosal_test_backend_error());
		return 99;
	}
	contract_memory_on_backend(s);
	contract_event_on_backend(s);
	contract_handle_on_backend(s);
	contract_waitset_on_backend(s);
	contract_timer_on_backend(s);
	contract_channel_on_backend(s);
	return vmosal_run_suite(s);
}
#endif

int main(void)
{
#ifdef VMOSAL_CONTRACT_BACKEND
	return run_on_backend(VMOSAL_CONTRACT_BACKEND);
#else
	const char *why = load_recording_backend();
	Suite *s;

	if (why != NULL) {
		fprintf(stderr, "contract: %s\n", why);
		return 99; /* a hard error to the test driver, not a failure */
	}
#ifdef VMOSAL_CONTRACT_BARE
	s = suite_create("contract_bare");
	contract_bare(s);
#else
	s = suite_create("contract");
	contract_platform(s);
	contract_memory(s);
	contract_thread(s);
	contract_topology(s);
	contract_signal(s);
	contract_event(s);
	contract_device(s);
	contract_handle(s);
	contract_waitset(s);
	contract_timer(s);
	contract_channel(s);
#endif
	return vmosal_run_suite(s);
#endif
}
