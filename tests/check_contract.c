/* The core's contract, OS by OS the same: argument checks and dispatch.
 *
 * The core runs on the recording fake backend (fakes/fake_record.c), which
 * answers every slot with fixed values and keeps a record of each call.
 * For every public function of include/vmosal/ (barriers and error strings
 * aside) this suite checks that
 *   - each bad input the headers document returns its code without asking
 *     the backend anything;
 *   - a valid call makes exactly the slot calls expected, with arguments
 *     translated as the ABI says;
 *   - an error from the backend comes back unchanged;
 *   - without an optional slot, the core falls back or says ENOTSUP.
 * Nothing here depends on the OS the suite runs on: the topology is an hwloc
 * XML file and the few OS calls (loading a module, setting a variable) sit
 * in three helpers at the top. One backend load serves every test, so the
 * suite runs the same under CK_FORK=no.
 *
 * What a contract asks of the backends themselves (the record of
 * reservations, memory.h) cannot be seen on the fake: the same source
 * built with VMOSAL_CONTRACT_BACKEND set ("" for the host's default
 * backend, or a name) runs those tests on that real backend instead, so
 * every backend that implements the slots must give the same answers
 * (tests/check_contract_os, tests/check_contract_faulty). */
#include "config.h"

#include <stdarg.h>
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

#include "fakes/fake_record.h"
#include "testutil.h"
#include "vmosal.h"

/* ---- the OS calls this suite makes ---------------------------------------- */

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

/* ---- the recording backend ------------------------------------------------ */

static struct {
	void (*reset)(void);
	size_t (*count)(void);
	int (*get)(size_t index, struct vmosal_fake_call *out);
	int (*set_failure)(const char *slot, int code);
	int (*remove)(const char *slot);
	void (*granularity)(uint64_t bytes);
} fake;

static vmosal_tid_t own_tid; /* the suite's thread, as the fake numbers it */
static size_t mark;          /* the first call expect_calls() looks at */

#define PAGE ((size_t)VMOSAL_FAKE_PAGE_SIZE)
#define TWO_MIB ((size_t)VMOSAL_FAKE_TWO_MIB)
#define RW (VMOSAL_PROT_READ | VMOSAL_PROT_WRITE)
#define ANON_PRIVATE (VMOSAL_MAP_ANONYMOUS | VMOSAL_MAP_PRIVATE)
#define ADDR VMOSAL_FAKE_ARG_PTR
#define HANDLE_ARG VMOSAL_FAKE_ARG_HANDLE
#define NO_HANDLE_ARG HANDLE_ARG(VMOSAL_NO_HANDLE)
#define OTHER_TID ((vmosal_tid_t)4242) /* a thread the fake takes for another */
/* A page-aligned address the fake accepts; nothing is ever mapped there. */
#define SOME_ADDRESS ((void *)(uintptr_t)0x10000000u)
/* The last page of the address space: ranges from there wrap around. */
#define LAST_PAGE ((void *)(UINTPTR_MAX & ~(uintptr_t)(PAGE - 1)))
#define ANY_ARG UINT64_C(0xa11a11a11a11a11a)

/* Before each test. The suite's thread asks its id first, so that no test
 * depends on running first: in a forked test process the core has
 * forgotten it, as a child's thread has an id of its own. */
static void fresh_record(void)
{
	ck_assert_int_eq(vmosal_thread_self(&own_tid), 0);
	fake.reset();
	mark = 0;
}

/* Starts the window expect_calls() and call_at() look at. */
static void begin_calls(void)
{
	mark = fake.count();
}

static const char *recorded_slots(void)
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

/* Asserts that the backend saw exactly these slots, in order, since
 * begin_calls(); the list ends with NULL. */
static void expect_calls(const char *first, ...)
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

/* Call number n since begin_calls(). */
static struct vmosal_fake_call call_at(size_t n)
{
	struct vmosal_fake_call c;

	ck_assert_msg(fake.get(mark + n, &c) == 0, "no call %zu; the backend saw: %s", n,
		      recorded_slots());
	return c;
}

static void expect_args(const struct vmosal_fake_call *c, const char *text, const uint64_t *want,
			size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (want[i] != ANY_ARG)
			ck_assert_msg(c->args[i] == want[i],
				      "%s: argument %zu is %#llx, expected %#llx (of: %s)", c->slot,
				      i, (unsigned long long)c->args[i],
				      (unsigned long long)want[i], text);
}

/* Compares a recorded call's leading arguments; ANY_ARG matches anything. */
#define EXPECT_ARGS(c, ...)                                                     \
	expect_args(&(c), #__VA_ARGS__, (const uint64_t[]){__VA_ARGS__},       \
		    sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t))

/* The call returns code without asking the backend anything. */
#define ASSERT_NO_CALL(call, code)                                              \
	do {                                                                    \
		begin_calls();                                                  \
		ck_assert_int_eq((call), (code));                               \
		ck_assert_msg(fake.count() == mark, "%s asked the backend: %s", \
			      #call, recorded_slots());                         \
	} while (0)

/* The call returns code after asking the backend exactly these slots. */
#define ASSERT_CALLS(call, code, ...)                                           \
	do {                                                                    \
		begin_calls();                                                  \
		ck_assert_int_eq((call), (code));                               \
		expect_calls(__VA_ARGS__, NULL);                                \
	} while (0)

/* Struct growth (common.h): a caller built against a newer header passes a
 * bigger struct, whose tail this library does not know. */
#define NEWER(type)                     \
	struct {                        \
		type known;             \
		unsigned char tail[24]; \
	}

static void fill_newer(void *s, size_t size, size_t known, unsigned char tail_byte)
{
	uint32_t struct_size = (uint32_t)size;

	memset(s, 0, known);
	memset((char *)s + known, tail_byte, size - known);
	memcpy(s, &struct_size, sizeof struct_size);
}

/* A filled struct: zeros past what the library knows, struct_size as the
 * caller set it. */
static void expect_zero_tail(const void *s, size_t size, size_t known)
{
	uint32_t struct_size;

	memcpy(&struct_size, s, sizeof struct_size);
	ck_assert_uint_eq(struct_size, size);
	for (size_t i = known; i < size; i++)
		ck_assert_msg(((const unsigned char *)s)[i] == 0, "byte %zu past the known %zu "
			      "is not zero", i, known);
}

#define FILL_NEWER(s, type, byte) fill_newer(&(s), sizeof(s), sizeof(type), byte)
#define EXPECT_ZERO_TAIL(s, type) expect_zero_tail(&(s), sizeof(s), sizeof(type))

static void fail_slot(const char *slot, int code)
{
	ck_assert_msg(fake.set_failure(slot, code) == 0, "the fake has no slot %s", slot);
}

static void remove_slot(const char *slot)
{
	ck_assert_msg(fake.remove(slot) == 0, "%s is not an optional slot of the fake", slot);
}

/* ==== platform.h ============================================================ */

START_TEST(test_init_and_backend_identity)
{
	struct vmosal_backend_info info = VMOSAL_STRUCT_INIT(struct vmosal_backend_info);

	ASSERT_NO_CALL(vmosal_init(), 0);
	ASSERT_NO_CALL(vmosal_init_backend(NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_init_backend(""), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_init_backend("another"), VMOSAL_EBUSY);
	ASSERT_NO_CALL(vmosal_init_backend(VMOSAL_FAKE_RECORD_NAME), 0);
	ASSERT_NO_CALL(vmosal_backend_info(&info), 0);
	ASSERT_NO_CALL(vmosal_init_backend(info.path), 0);
	ck_assert_str_eq(vmosal_backend_name(), VMOSAL_FAKE_RECORD_NAME);
	ck_assert_str_eq(info.name, VMOSAL_FAKE_RECORD_NAME);
	ck_assert_uint_eq(info.abi_version, VMOSAL_BACKEND_ABI);
	ck_assert_ptr_nonnull(strstr(info.path, "vmosal_fake_record"));
	ck_assert_uint_eq(fake.count(), 0);
}
END_TEST

START_TEST(test_backend_info_struct_rules)
{
	struct vmosal_backend_info small = {.struct_size = sizeof small - 1};
	NEWER(struct vmosal_backend_info) newer;

	ASSERT_NO_CALL(vmosal_backend_info(NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_backend_info(&small), VMOSAL_EINVAL);
	small.struct_size = 0;
	ASSERT_NO_CALL(vmosal_backend_info(&small), VMOSAL_EINVAL);
	FILL_NEWER(newer, struct vmosal_backend_info, 0xaa);
	ASSERT_NO_CALL(vmosal_backend_info(&newer.known), 0);
	ck_assert_str_eq(newer.known.name, VMOSAL_FAKE_RECORD_NAME);
	EXPECT_ZERO_TAIL(newer, struct vmosal_backend_info);
}
END_TEST

START_TEST(test_backend_error_arguments)
{
	char buf[8] = "x";

	ASSERT_NO_CALL(vmosal_backend_error(NULL, sizeof buf), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_backend_error(buf, 0), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_backend_error(buf, 1), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_host_facts_come_from_the_load)
{
	size_t before = fake.count();

	ck_assert_str_eq(vmosal_host_os(), "fakeos");
	ck_assert(!vmosal_is_harmonyos());
	ck_assert_str_eq(vmosal_os_release(), "1.0-fake");
	ck_assert_str_eq(vmosal_libc_name(), "fakelibc");
	ck_assert_uint_eq(vmosal_page_size(), PAGE);
	ck_assert_uint_eq(vmosal_thread_name_max(), VMOSAL_FAKE_THREAD_NAME_MAX);
	ck_assert_ptr_nonnull(vmosal_host_arch());
	ck_assert_str_ne(vmosal_host_arch(), "");
	ck_assert_uint_eq(fake.count(), before);
}
END_TEST

START_TEST(test_cpu_count)
{
	size_t n = 0;

	ASSERT_NO_CALL(vmosal_cpu_count(VMOSAL_CPUS_ONLINE, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_cpu_count((enum vmosal_cpu_set)3, &n), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_cpu_count((enum vmosal_cpu_set)-1, &n), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_cpu_count(VMOSAL_CPUS_POSSIBLE, &n), 0);
	ck_assert_uint_eq(n, VMOSAL_FAKE_CPUS_POSSIBLE);
	ASSERT_NO_CALL(vmosal_cpu_count(VMOSAL_CPUS_ONLINE, &n), 0);
	ck_assert_uint_eq(n, VMOSAL_FAKE_CPUS_ONLINE);
	ASSERT_NO_CALL(vmosal_cpu_count(VMOSAL_CPUS_USABLE, &n), 0);
	ck_assert_uint_eq(n, VMOSAL_FAKE_CPUS_USABLE);
}
END_TEST

START_TEST(test_host_memory)
{
	struct vmosal_host_memory info = {.struct_size = sizeof info - 1};
	NEWER(struct vmosal_host_memory) newer;

	ASSERT_NO_CALL(vmosal_host_memory(NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_host_memory(&info), VMOSAL_EINVAL);

	FILL_NEWER(newer, struct vmosal_host_memory, 0xaa);
	begin_calls();
	ck_assert_int_eq(vmosal_host_memory(&newer.known), 0);
	expect_calls("host_memory", NULL);
	ck_assert_uint_eq(newer.known.total_bytes, VMOSAL_FAKE_MEM_TOTAL);
	ck_assert_uint_eq(newer.known.available_bytes, VMOSAL_FAKE_MEM_AVAILABLE);
	EXPECT_ZERO_TAIL(newer, struct vmosal_host_memory);

	info.struct_size = sizeof info;
	info.total_bytes = 77;
	fail_slot("host_memory", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_host_memory(&info), VMOSAL_EIO, "host_memory");
	ck_assert_uint_eq(info.total_bytes, 77);
}
END_TEST

START_TEST(test_accel_probe_arguments)
{
	struct vmosal_accel_status st = {.struct_size = sizeof st - 1};

	ASSERT_NO_CALL(vmosal_accel_probe(VMOSAL_ACCEL_KVM, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_accel_probe(VMOSAL_ACCEL_KVM, &st), VMOSAL_EINVAL);
	st.struct_size = sizeof st;
	ASSERT_NO_CALL(vmosal_accel_probe(VMOSAL_ACCEL_COUNT, &st), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_accel_probe((enum vmosal_accel)-1, &st), VMOSAL_EINVAL);
}
END_TEST

START_TEST(test_accel_probe_dispatch)
{
	struct vmosal_accel_status st = VMOSAL_STRUCT_INIT(struct vmosal_accel_status);
	NEWER(struct vmosal_accel_status) newer;
	struct vmosal_fake_call c;

	FILL_NEWER(newer, struct vmosal_accel_status, 0xaa);
	begin_calls();
	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_KVM, &newer.known), 0);
	expect_calls("accel_probe", NULL);
	c = call_at(0);
	EXPECT_ARGS(c, VMOSAL_ACCEL_KVM);
	ck_assert(newer.known.available);
	ck_assert_int_eq(newer.known.error, 0);
	ck_assert_str_eq(newer.known.reason, "");
	EXPECT_ZERO_TAIL(newer, struct vmosal_accel_status);

	begin_calls();
	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_HVF, &st), 0);
	c = call_at(0);
	EXPECT_ARGS(c, VMOSAL_ACCEL_HVF);
	ck_assert(!st.available);
	ck_assert_int_eq(st.error, VMOSAL_ENOENT);
	ck_assert_str_eq(st.reason, VMOSAL_FAKE_HVF_REASON);

	/* No reason from the backend: the core gives the error's message. */
	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_WHPX, &st), 0);
	ck_assert(!st.available);
	ck_assert_int_eq(st.error, VMOSAL_EACCES);
	ck_assert_str_eq(st.reason, vmosal_strerror(VMOSAL_EACCES));
}
END_TEST

START_TEST(test_accel_probe_backend_errors)
{
	struct vmosal_accel_status st = VMOSAL_STRUCT_INIT(struct vmosal_accel_status);

	/* A backend older than the accelerator: filled in, not an error. */
	fail_slot("accel_probe", VMOSAL_ENOTSUP);
	ASSERT_CALLS(vmosal_accel_probe(VMOSAL_ACCEL_KVM, &st), 0, "accel_probe");
	ck_assert(!st.available);
	ck_assert_int_eq(st.error, VMOSAL_ENOTSUP);
	ck_assert_str_ne(st.reason, "");

	st.error = 55;
	fail_slot("accel_probe", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_accel_probe(VMOSAL_ACCEL_KVM, &st), VMOSAL_EIO, "accel_probe");
	ck_assert_int_eq(st.error, 55);
}
END_TEST

START_TEST(test_host_caps)
{
	struct vmosal_host_caps caps = {.struct_size = sizeof caps - 1};
	NEWER(struct vmosal_host_caps) newer;

	ASSERT_NO_CALL(vmosal_host_caps(NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_host_caps(&caps), VMOSAL_EINVAL);

	FILL_NEWER(newer, struct vmosal_host_caps, 0xaa);
	begin_calls();
	ck_assert_int_eq(vmosal_host_caps(&newer.known), 0);
	expect_calls("huge_page_sizes", "accel_probe", "accel_probe", "accel_probe", NULL);
	ck_assert_uint_eq(newer.known.flags,
			  VMOSAL_CAP_AFFINITY_OTHER_THREADS | VMOSAL_CAP_REALTIME | VMOSAL_CAP_SHM |
				  VMOSAL_CAP_HUGE_PAGES | VMOSAL_CAP_THP | VMOSAL_CAP_JIT |
				  VMOSAL_CAP_PREALLOC);
	ck_assert_uint_eq(newer.known.affinity, VMOSAL_AFFINITY_HARD);
	ck_assert_uint_eq(newer.known.accels, VMOSAL_ACCEL_BIT(VMOSAL_ACCEL_KVM));
	ck_assert_uint_eq(newer.known.map_granularity, PAGE);
	ck_assert_uint_eq(newer.known.thread_name_max, VMOSAL_FAKE_THREAD_NAME_MAX);
	EXPECT_ZERO_TAIL(newer, struct vmosal_host_caps);
}
END_TEST

/* Each capability follows the slots behind it. */
START_TEST(test_host_caps_without_optional_slots)
{
	struct vmosal_host_caps caps = VMOSAL_STRUCT_INIT(struct vmosal_host_caps);

	remove_slot("shm_close");
	remove_slot("jit_unmap");
	remove_slot("mem_populate");
	remove_slot("huge_page_sizes");
	begin_calls();
	ck_assert_int_eq(vmosal_host_caps(&caps), 0);
	expect_calls("accel_probe", "accel_probe", "accel_probe", NULL);
	ck_assert_uint_eq(caps.flags, VMOSAL_CAP_AFFINITY_OTHER_THREADS | VMOSAL_CAP_REALTIME);

	fake.reset();
	remove_slot("shm_create");
	remove_slot("jit_map");
	ck_assert_int_eq(vmosal_host_caps(&caps), 0);
	ck_assert_uint_eq(caps.flags & (VMOSAL_CAP_SHM | VMOSAL_CAP_JIT), 0);
	ck_assert_uint_ne(caps.flags & VMOSAL_CAP_PREALLOC, 0);
}
END_TEST

/* common.h: a struct_size more than a page past the struct this library
 * knows is garbage, refused before anything is read or written through it.
 * Each struct here is its real size, so a call that believed struct_size
 * would read or clear far past it (UINT32_MAX: 4 GiB over the stack). */
static int never_called(void *arg)
{
	(void)arg;
	return 0;
}

static void *never_started(void *arg)
{
	return arg;
}

START_TEST(test_struct_size_upper_bound)
{
	const uint32_t huge[] = {UINT32_MAX, (uint32_t)1 << 20};

	for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
		struct vmosal_huge_page_sizes ps = {.struct_size = huge[i]};
		struct vmosal_huge_page_pool pool = {.struct_size = huge[i]};
		struct vmosal_host_memory mi = {.struct_size = huge[i]};
		struct vmosal_host_caps caps = {.struct_size = huge[i]};
		struct vmosal_backend_info bi = {.struct_size = huge[i]};
		struct vmosal_jit jit = {.struct_size = huge[i]};
		struct vmosal_guest_ram ram = {.struct_size = huge[i]};
		struct vmosal_guest_ram_options go = {.struct_size = huge[i]};
		struct vmosal_guest_ram good_ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
		struct vmosal_thread_opts to = {.struct_size = huge[i]};
		struct vmosal_kick_target kt = {.struct_size = huge[i]};
		struct vmosal_topology_counts tc = {.struct_size = huge[i]};
		struct vmosal_pu_info pu = {.struct_size = huge[i]};
		struct vmosal_fault fault = {.struct_size = huge[i]};
		vmosal_thread_t *t;

		ASSERT_NO_CALL(vmosal_huge_page_sizes(&ps), VMOSAL_EINVAL);
		ASSERT_NO_CALL(vmosal_huge_page_pool(0, &pool), VMOSAL_EINVAL);
		ASSERT_NO_CALL(vmosal_host_memory(&mi), VMOSAL_EINVAL);
		ASSERT_NO_CALL(vmosal_host_caps(&caps), VMOSAL_EINVAL);
		ASSERT_NO_CALL(vmosal_backend_info(&bi), VMOSAL_EINVAL);
		ASSERT_NO_CALL(vmosal_jit_create(PAGE, &jit), VMOSAL_EINVAL);
		ASSERT_NO_CALL(vmosal_jit_destroy(&jit), VMOSAL_EINVAL);
		ASSERT_NO_CALL(vmosal_guest_ram_create(TWO_MIB, NULL, &ram), VMOSAL_EINVAL);
		ASSERT_NO_CALL(vmosal_guest_ram_create(TWO_MIB, &go, &good_ram), VMOSAL_EINVAL);
		ASSERT_NO_CALL(vmosal_guest_ram_destroy(&ram), VMOSAL_EINVAL);
		ASSERT_NO_CALL(vmosal_thread_create(&to, never_started, NULL, &t), VMOSAL_EINVAL);
		ASSERT_NO_CALL(vmosal_thread_kick_register(&kt), VMOSAL_EINVAL);
		ASSERT_NO_CALL(vmosal_topology_counts(&tc), VMOSAL_EINVAL);
		ASSERT_NO_CALL(vmosal_topology_pu(0, &pu), VMOSAL_EINVAL);
		ASSERT_NO_CALL(vmosal_fault_guard(never_called, NULL, &fault), VMOSAL_EINVAL);
	}
}
END_TEST

/* The edge: a page past the known struct is still a struct (filled, its
 * tail zeroed); one byte more is not. */
START_TEST(test_struct_size_one_page_past)
{
	static struct {
		struct vmosal_huge_page_sizes known;
		unsigned char tail[4096 + 1];
	} newer;

	memset(&newer, 0xaa, sizeof newer);
	newer.known.struct_size = (uint32_t)(sizeof newer.known + 4096);
	ck_assert_int_eq(vmosal_huge_page_sizes(&newer.known), 0);
	for (size_t i = 0; i < 4096; i++)
		ck_assert_uint_eq(newer.tail[i], 0);
	ck_assert_uint_eq(newer.tail[4096], 0xaa);
	newer.known.struct_size++;
	ASSERT_NO_CALL(vmosal_huge_page_sizes(&newer.known), VMOSAL_EINVAL);
}
END_TEST

/* ==== thread.h ============================================================== */

START_TEST(test_thread_self)
{
	vmosal_tid_t tid = 0;

	ASSERT_NO_CALL(vmosal_thread_self(NULL), VMOSAL_EINVAL);
	/* Cached since the fixture asked. */
	ASSERT_NO_CALL(vmosal_thread_self(&tid), 0);
	ck_assert_uint_eq(tid, own_tid);
	ck_assert_uint_ge(tid, VMOSAL_FAKE_TID_BASE);
}
END_TEST

START_TEST(test_thread_tid_arguments)
{
	vmosal_tid_t tid;

	ASSERT_NO_CALL(vmosal_thread_tid(NULL, &tid), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_tid(NULL, NULL), VMOSAL_EINVAL);
}
END_TEST

/* What a thread's fn saw; assertions stay on the suite's own thread. */
static size_t calls_before_fn; /* since begin_calls(), when fn started */
static vmosal_tid_t fn_self;
static int fn_self_rc;

static void *note_start(void *arg)
{
	calls_before_fn = fake.count() - mark;
	fn_self_rc = vmosal_thread_self(&fn_self);
	return arg;
}

START_TEST(test_thread_create_arguments)
{
	size_t cpus[] = {1, VMOSAL_FAKE_CPUS_POSSIBLE};
	struct vmosal_thread_opts opts = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	NEWER(struct vmosal_thread_opts) newer;
	vmosal_thread_t *t = NULL;

	ASSERT_NO_CALL(vmosal_thread_create(NULL, note_start, NULL, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_create(NULL, NULL, NULL, &t), VMOSAL_EINVAL);
	/* Below the first released size (members were appended since). */
	opts.struct_size = offsetof(struct vmosal_thread_opts, flags) - 1;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	opts.struct_size = 0;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	FILL_NEWER(newer, struct vmosal_thread_opts, 0x01);
	ASSERT_NO_CALL(vmosal_thread_create(&newer.known, note_start, NULL, &t), VMOSAL_ENOTSUP);

	opts.struct_size = sizeof opts;
	opts.name = "";
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	opts.name = "sixteen-chars-xx";
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_ERANGE);
	opts.name = NULL;
	opts.ncpus = 2;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	opts.cpus = cpus;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_ERANGE);
	opts.ncpus = 0;
	opts.set_priority = true;
	opts.priority = (enum vmosal_priority)(VMOSAL_PRIORITY_REALTIME + 1);
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	opts.priority = (enum vmosal_priority)-1;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	ck_assert_ptr_null(t);
}
END_TEST

/* Options are applied by the new thread to itself, before fn runs. */
START_TEST(test_thread_create_applies_options_first)
{
	size_t cpus[] = {2, 3};
	struct vmosal_thread_opts opts = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	vmosal_thread_t *t = NULL;
	vmosal_tid_t tid = 0;
	struct vmosal_fake_call c;
	int token;
	void *result = NULL;

	opts.name = "vcpu0";
	opts.stack_size = (size_t)1 << 20;
	opts.cpus = cpus;
	opts.ncpus = 2;
	opts.set_priority = true;
	opts.priority = VMOSAL_PRIORITY_HIGH;
	begin_calls();
	ck_assert_int_eq(vmosal_thread_create(&opts, note_start, &token, &t), 0);
	ck_assert_ptr_nonnull(t);
	/* The fake runs the thread through before thread_create returns:
	 * nobody waited, so nothing is woken. */
	expect_calls("thread_create", "thread_self", "thread_set_name", "thread_set_affinity",
		     "thread_set_priority", NULL);
	ck_assert_uint_eq(calls_before_fn, 5);
	c = call_at(0);
	EXPECT_ARGS(c, ANY_ARG, ANY_ARG, (size_t)1 << 20);
	c = call_at(2);
	EXPECT_ARGS(c, 0);
	ck_assert_str_eq(c.text, "vcpu0");
	c = call_at(3);
	EXPECT_ARGS(c, 0, ANY_ARG, 2, 2, 3);
	c = call_at(4);
	EXPECT_ARGS(c, 0, VMOSAL_PRIORITY_HIGH);

	/* The id the new thread got, cached there: fn's own
	 * vmosal_thread_self asked nothing more. */
	ck_assert_int_eq(fn_self_rc, 0);
	ASSERT_NO_CALL(vmosal_thread_tid(t, &tid), 0);
	ck_assert_uint_eq(tid, fn_self);
	ck_assert_uint_ne(tid, own_tid);
	ck_assert_uint_ge(tid, VMOSAL_FAKE_TID_BASE);

	ASSERT_CALLS(vmosal_thread_join(t, &result), 0, "thread_join");
	c = call_at(0);
	EXPECT_ARGS(c, ANY_ARG, ADDR(&result));
	ck_assert_ptr_eq(result, &token);
}
END_TEST

START_TEST(test_thread_create_defaults)
{
	NEWER(struct vmosal_thread_opts) newer;
	vmosal_thread_t *t = NULL;
	struct vmosal_fake_call c;

	begin_calls();
	ck_assert_int_eq(vmosal_thread_create(NULL, note_start, NULL, &t), 0);
	expect_calls("thread_create", "thread_self", NULL);
	c = call_at(0);
	EXPECT_ARGS(c, ANY_ARG, ANY_ARG, 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);

	/* A newer caller's options with nothing set past ours. */
	FILL_NEWER(newer, struct vmosal_thread_opts, 0);
	begin_calls();
	ck_assert_int_eq(vmosal_thread_create(&newer.known, note_start, NULL, &t), 0);
	expect_calls("thread_create", "thread_self", NULL);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
}
END_TEST

START_TEST(test_thread_create_backend_errors)
{
	struct vmosal_thread_opts opts = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	vmosal_thread_t *t = NULL;

	fail_slot("thread_create", VMOSAL_EAGAIN);
	ASSERT_CALLS(vmosal_thread_create(NULL, note_start, NULL, &t), VMOSAL_EAGAIN,
		     "thread_create");
	ck_assert_ptr_null(t);

	/* An option that fails in the new thread: fn never runs, the thread
	 * is reaped and the error returned. */
	fake.reset();
	calls_before_fn = 0;
	opts.set_priority = true;
	opts.priority = VMOSAL_PRIORITY_REALTIME;
	fail_slot("thread_set_priority", VMOSAL_EPERM);
	ASSERT_CALLS(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EPERM,
		     "thread_create", "thread_self", "thread_set_priority", "thread_join");
	ck_assert_uint_eq(calls_before_fn, 0);
	ck_assert_ptr_null(t);

	fake.reset();
	opts.set_priority = false;
	opts.name = "io";
	fail_slot("thread_set_name", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_ESRCH,
		     "thread_create", "thread_self", "thread_set_name", "thread_join");
	ck_assert_ptr_null(t);
}
END_TEST

START_TEST(test_thread_create_without_optional_slots)
{
	struct vmosal_thread_opts opts = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	vmosal_thread_t *t = NULL;

	remove_slot("thread_set_name");
	remove_slot("thread_set_priority");
	opts.name = "vcpu1";
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_ENOTSUP);
	opts.name = NULL;
	opts.set_priority = true;
	opts.priority = VMOSAL_PRIORITY_LOW;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_ENOTSUP);
	ck_assert_ptr_null(t);
}
END_TEST

/* Joins the thread it runs on. The thread_create that started it passed
 * the core's thread object as its argument, which is the handle the
 * creator gets back. */
static int self_join_rc;
static size_t self_join_calls;

static void *join_myself(void *arg)
{
	size_t n = fake.count(), before;
	struct vmosal_fake_call c = {0};

	(void)arg;
	while (n-- > 0 && fake.get(n, &c) == 0 && strcmp(c.slot, "thread_create") != 0)
		;
	if (c.slot == NULL || strcmp(c.slot, "thread_create") != 0)
		return NULL;
	before = fake.count();
	self_join_rc = vmosal_thread_join((vmosal_thread_t *)(uintptr_t)c.args[1], NULL);
	self_join_calls = fake.count() - before;
	return NULL;
}

START_TEST(test_thread_join)
{
	vmosal_thread_t *t = NULL;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_thread_join(NULL, NULL), VMOSAL_EINVAL);

	self_join_rc = 1; /* no code: stays if the thread never tried */
	ck_assert_int_eq(vmosal_thread_create(NULL, join_myself, NULL, &t), 0);
	ck_assert_int_eq(self_join_rc, VMOSAL_EBUSY);
	ck_assert_uint_eq(self_join_calls, 0);

	/* A failed join leaves the thread joinable. */
	fail_slot("thread_join", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_thread_join(t, NULL), VMOSAL_EIO, "thread_join");
	fail_slot("thread_join", 0);
	ASSERT_CALLS(vmosal_thread_join(t, NULL), 0, "thread_join");
	c = call_at(0);
	EXPECT_ARGS(c, ANY_ARG, 0);
}
END_TEST

START_TEST(test_set_priority)
{
	enum vmosal_priority below = (enum vmosal_priority)-1;
	enum vmosal_priority above = (enum vmosal_priority)(VMOSAL_PRIORITY_REALTIME + 1);
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_thread_set_priority(VMOSAL_TID_SELF, below), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_set_priority(VMOSAL_TID_SELF, above), VMOSAL_EINVAL);

	/* Self is tid 0; the level travels as its enum value. */
	ASSERT_CALLS(vmosal_thread_set_priority(VMOSAL_TID_SELF, VMOSAL_PRIORITY_HIGH), 0,
		     "thread_set_priority");
	c = call_at(0);
	EXPECT_ARGS(c, 0, 2);
	/* The caller's own id is "self" to the backend. */
	ASSERT_CALLS(vmosal_thread_set_priority(own_tid, VMOSAL_PRIORITY_LOW), 0,
		     "thread_set_priority");
	c = call_at(0);
	EXPECT_ARGS(c, 0, VMOSAL_PRIORITY_LOW);
	ASSERT_CALLS(vmosal_thread_set_priority(OTHER_TID, VMOSAL_PRIORITY_REALTIME), 0,
		     "thread_set_priority");
	c = call_at(0);
	EXPECT_ARGS(c, OTHER_TID, VMOSAL_PRIORITY_REALTIME);

	fail_slot("thread_set_priority", VMOSAL_EPERM);
	ASSERT_CALLS(vmosal_thread_set_priority(OTHER_TID, VMOSAL_PRIORITY_HIGH),
		     VMOSAL_EPERM, "thread_set_priority");
	fail_slot("thread_set_priority", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_set_priority(OTHER_TID, VMOSAL_PRIORITY_HIGH),
		     VMOSAL_ESRCH, "thread_set_priority");
}
END_TEST

START_TEST(test_get_priority)
{
	enum vmosal_priority prio = VMOSAL_PRIORITY_LOW;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_thread_get_priority(VMOSAL_TID_SELF, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_thread_set_priority(VMOSAL_TID_SELF, VMOSAL_PRIORITY_HIGH), 0);
	ASSERT_CALLS(vmosal_thread_get_priority(own_tid, &prio), 0, "thread_get_priority");
	c = call_at(0);
	EXPECT_ARGS(c, 0);
	ck_assert_int_eq(prio, VMOSAL_PRIORITY_HIGH);
	ASSERT_CALLS(vmosal_thread_get_priority(OTHER_TID, &prio), 0,
		     "thread_get_priority");
	c = call_at(0);
	EXPECT_ARGS(c, OTHER_TID);

	prio = VMOSAL_PRIORITY_LOW;
	fail_slot("thread_get_priority", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_get_priority(OTHER_TID, &prio), VMOSAL_ESRCH,
		     "thread_get_priority");
	ck_assert_int_eq(prio, VMOSAL_PRIORITY_LOW);
}
END_TEST

START_TEST(test_priority_without_optional_slots)
{
	enum vmosal_priority prio;

	remove_slot("thread_set_priority");
	remove_slot("thread_get_priority");
	ASSERT_NO_CALL(vmosal_thread_set_priority(VMOSAL_TID_SELF, VMOSAL_PRIORITY_NORMAL),
		       VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_thread_get_priority(VMOSAL_TID_SELF, &prio), VMOSAL_ENOTSUP);
}
END_TEST

START_TEST(test_set_name)
{
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_thread_set_name(VMOSAL_TID_SELF, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_set_name(VMOSAL_TID_SELF, ""), VMOSAL_EINVAL);
	/* One byte over the limit: refused, never cut. */
	ASSERT_NO_CALL(vmosal_thread_set_name(VMOSAL_TID_SELF, "sixteen-chars-xx"),
		       VMOSAL_ERANGE);

	ASSERT_CALLS(vmosal_thread_set_name(VMOSAL_TID_SELF, "fifteen-chars-x"), 0,
		     "thread_set_name");
	c = call_at(0);
	EXPECT_ARGS(c, 0);
	ck_assert_str_eq(c.text, "fifteen-chars-x");
	ASSERT_CALLS(vmosal_thread_set_name(own_tid, "me"), 0, "thread_set_name");
	c = call_at(0);
	EXPECT_ARGS(c, 0);
	ASSERT_CALLS(vmosal_thread_set_name(OTHER_TID, "other"), 0, "thread_set_name");
	c = call_at(0);
	EXPECT_ARGS(c, OTHER_TID);
	ck_assert_str_eq(c.text, "other");

	fail_slot("thread_set_name", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_set_name(OTHER_TID, "gone"), VMOSAL_ESRCH,
		     "thread_set_name");
}
END_TEST

START_TEST(test_get_name)
{
	char buf[16];
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_thread_get_name(VMOSAL_TID_SELF, NULL, sizeof buf), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_get_name(VMOSAL_TID_SELF, buf, 0), VMOSAL_EINVAL);

	ASSERT_CALLS(vmosal_thread_get_name(own_tid, buf, sizeof buf), 0,
		     "thread_get_name");
	c = call_at(0);
	EXPECT_ARGS(c, 0, ADDR(buf), sizeof buf);
	ck_assert_str_eq(buf, VMOSAL_FAKE_THREAD_NAME);
	ASSERT_CALLS(vmosal_thread_get_name(OTHER_TID, buf, 2), VMOSAL_ERANGE,
		     "thread_get_name");
	c = call_at(0);
	EXPECT_ARGS(c, OTHER_TID, ADDR(buf), 2);

	fail_slot("thread_get_name", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_get_name(OTHER_TID, buf, sizeof buf), VMOSAL_ESRCH,
		     "thread_get_name");
}
END_TEST

START_TEST(test_names_without_optional_slots)
{
	char buf[16];

	remove_slot("thread_set_name");
	remove_slot("thread_get_name");
	ASSERT_NO_CALL(vmosal_thread_set_name(VMOSAL_TID_SELF, "vcpu"), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_thread_get_name(VMOSAL_TID_SELF, buf, sizeof buf), VMOSAL_ENOTSUP);
}
END_TEST

START_TEST(test_current_cpu)
{
	size_t cpu = 99;

	ASSERT_NO_CALL(vmosal_thread_current_cpu(NULL), VMOSAL_EINVAL);
	ASSERT_CALLS(vmosal_thread_current_cpu(&cpu), 0, "thread_current_cpu");
	ck_assert_uint_eq(cpu, VMOSAL_FAKE_CURRENT_CPU);

	cpu = 99;
	fail_slot("thread_current_cpu", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_thread_current_cpu(&cpu), VMOSAL_EIO, "thread_current_cpu");
	ck_assert_uint_eq(cpu, 99);

	fake.reset();
	remove_slot("thread_current_cpu");
	ASSERT_NO_CALL(vmosal_thread_current_cpu(&cpu), VMOSAL_ENOTSUP);
}
END_TEST

START_TEST(test_set_affinity)
{
	size_t cpus[] = {1, 3, 1};
	size_t past[] = {0, VMOSAL_FAKE_CPUS_POSSIBLE};
	size_t huge[] = {SIZE_MAX};
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_thread_set_affinity(VMOSAL_TID_SELF, NULL, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_set_affinity(VMOSAL_TID_SELF, cpus, 0), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_set_affinity(VMOSAL_TID_SELF, past, 2), VMOSAL_ERANGE);
	ASSERT_NO_CALL(vmosal_thread_set_affinity(OTHER_TID, huge, 1), VMOSAL_ERANGE);

	ASSERT_CALLS(vmosal_thread_set_affinity(VMOSAL_TID_SELF, cpus, 3), 0,
		     "thread_set_affinity");
	c = call_at(0);
	EXPECT_ARGS(c, 0, ANY_ARG, 3, 1, 3, 1);
	ASSERT_CALLS(vmosal_thread_set_affinity(own_tid, cpus, 2), 0,
		     "thread_set_affinity");
	c = call_at(0);
	EXPECT_ARGS(c, 0, ANY_ARG, 2, 1, 3);
	ASSERT_CALLS(vmosal_thread_set_affinity(OTHER_TID, cpus, 1), 0,
		     "thread_set_affinity");
	c = call_at(0);
	EXPECT_ARGS(c, OTHER_TID, ANY_ARG, 1, 1);

	fail_slot("thread_set_affinity", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_set_affinity(OTHER_TID, cpus, 1), VMOSAL_ESRCH,
		     "thread_set_affinity");
}
END_TEST

START_TEST(test_get_affinity)
{
	size_t cpus[8] = {0}, n = 0;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_thread_get_affinity(VMOSAL_TID_SELF, cpus, 8, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_get_affinity(VMOSAL_TID_SELF, NULL, 8, &n), VMOSAL_EINVAL);

	/* No room at all is a valid question: how many? */
	ASSERT_CALLS(vmosal_thread_get_affinity(VMOSAL_TID_SELF, NULL, 0, &n),
		     VMOSAL_ERANGE, "thread_get_affinity");
	ck_assert_uint_eq(n, VMOSAL_FAKE_CPUS_USABLE);
	ASSERT_CALLS(vmosal_thread_get_affinity(own_tid, cpus, 8, &n), 0,
		     "thread_get_affinity");
	c = call_at(0);
	EXPECT_ARGS(c, 0, ADDR(cpus), 8, ADDR(&n));
	ck_assert_uint_eq(n, VMOSAL_FAKE_CPUS_USABLE);
	ck_assert_uint_eq(cpus[3], 3);
	ASSERT_CALLS(vmosal_thread_get_affinity(OTHER_TID, cpus, 8, &n), 0,
		     "thread_get_affinity");
	c = call_at(0);
	EXPECT_ARGS(c, OTHER_TID);

	fail_slot("thread_get_affinity", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_get_affinity(OTHER_TID, cpus, 8, &n), VMOSAL_ESRCH,
		     "thread_get_affinity");
}
END_TEST

/* Without the slots the core binds through hwloc, which can only bind the
 * calling thread. */
START_TEST(test_affinity_without_optional_slots)
{
	size_t cpus[4] = {1}, n;

	remove_slot("thread_set_affinity");
	remove_slot("thread_get_affinity");
	ASSERT_NO_CALL(vmosal_thread_set_affinity(OTHER_TID, cpus, 1), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_thread_get_affinity(OTHER_TID, cpus, 4, &n), VMOSAL_ENOTSUP);
	/* Argument errors still come first. */
	ASSERT_NO_CALL(vmosal_thread_set_affinity(OTHER_TID, NULL, 1), VMOSAL_EINVAL);
}
END_TEST

/* ==== memory.h ============================================================== */

/* What vmosal_mmap and vmosal_mem_map_reserved both refuse. */
struct map_case {
	const char *what;
	unsigned prot, flags;
	vmosal_handle_t handle;
	int64_t offset;
	int expected;
};

static const struct map_case bad_map_args[] = {
	{"unknown prot bit", 8, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0, VMOSAL_EINVAL},
	{"unknown flag bit", RW, ANON_PRIVATE | 0x100, VMOSAL_NO_HANDLE, 0, VMOSAL_EINVAL},
	{"neither shared nor private", RW, VMOSAL_MAP_ANONYMOUS, VMOSAL_NO_HANDLE, 0,
	 VMOSAL_EINVAL},
	{"shared and private", RW, ANON_PRIVATE | VMOSAL_MAP_SHARED, VMOSAL_NO_HANDLE, 0,
	 VMOSAL_EINVAL},
	{"huge size without HUGETLB", RW, ANON_PRIVATE | VMOSAL_MAP_HUGE_2MB, VMOSAL_NO_HANDLE,
	 0, VMOSAL_EINVAL},
	{"HUGETLB on a file", RW, VMOSAL_MAP_SHARED | VMOSAL_MAP_HUGETLB,
	 VMOSAL_FAKE_SHM_HANDLE, 0, VMOSAL_EINVAL},
	{"anonymous with a handle", RW, ANON_PRIVATE, VMOSAL_FAKE_SHM_HANDLE, 0, VMOSAL_EINVAL},
	{"anonymous with an offset", RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, (int64_t)PAGE,
	 VMOSAL_EINVAL},
	{"file mapping without a handle", RW, VMOSAL_MAP_SHARED, VMOSAL_NO_HANDLE, 0,
	 VMOSAL_EBADF},
	{"negative offset", RW, VMOSAL_MAP_SHARED, VMOSAL_FAKE_SHM_HANDLE, -(int64_t)PAGE,
	 VMOSAL_EINVAL},
	{"unaligned offset", RW, VMOSAL_MAP_SHARED, VMOSAL_FAKE_SHM_HANDLE, 100, VMOSAL_EINVAL},
};

#define N_BAD_MAP_ARGS (sizeof bad_map_args / sizeof bad_map_args[0])

START_TEST(test_mmap_arguments)
{
	void *out = NULL;

	for (size_t i = 0; i < N_BAD_MAP_ARGS; i++) {
		const struct map_case *m = &bad_map_args[i];
		size_t before = fake.count();

		ck_assert_msg(vmosal_mmap(NULL, PAGE, m->prot, m->flags, m->handle, m->offset,
					  &out) == m->expected,
			      "vmosal_mmap, %s: not %s", m->what, vmosal_err_name(m->expected));
		ck_assert_msg(fake.count() == before, "vmosal_mmap, %s: backend asked", m->what);
	}
	ASSERT_NO_CALL(vmosal_mmap(NULL, PAGE, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0, NULL),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mmap(NULL, 0, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0, &out),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mmap(NULL, PAGE, RW, ANON_PRIVATE | VMOSAL_MAP_FIXED,
				   VMOSAL_NO_HANDLE, 0, &out),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mmap(NULL, PAGE, RW, ANON_PRIVATE | VMOSAL_MAP_FIXED_NOREPLACE,
				   VMOSAL_NO_HANDLE, 0, &out),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mmap(SOME_ADDRESS, PAGE, RW,
				   ANON_PRIVATE | VMOSAL_MAP_FIXED | VMOSAL_MAP_FIXED_NOREPLACE,
				   VMOSAL_NO_HANDLE, 0, &out),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mmap((char *)SOME_ADDRESS + 1, PAGE, RW, ANON_PRIVATE,
				   VMOSAL_NO_HANDLE, 0, &out),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mmap(LAST_PAGE, 2 * PAGE, RW, ANON_PRIVATE | VMOSAL_MAP_FIXED,
				   VMOSAL_NO_HANDLE, 0, &out),
		       VMOSAL_EOVERFLOW);
	ASSERT_NO_CALL(vmosal_mmap(NULL, SIZE_MAX, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0, &out),
		       VMOSAL_EOVERFLOW);
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(test_mmap_dispatch)
{
	void *out = NULL;
	struct vmosal_fake_call c;

	/* Sizes are passed as given: the backend rounds them up. */
	ASSERT_CALLS(vmosal_mmap(NULL, 100, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0, &out),
		     0, "mem_map");
	c = call_at(0);
	EXPECT_ARGS(c, 0, 100, RW, ANON_PRIVATE, NO_HANDLE_ARG, 0);
	ck_assert_ptr_nonnull(out);

	ASSERT_CALLS(vmosal_mmap(SOME_ADDRESS, 2 * PAGE, VMOSAL_PROT_READ,
				 VMOSAL_MAP_SHARED | VMOSAL_MAP_FIXED_NOREPLACE,
				 VMOSAL_FAKE_SHM_HANDLE, (int64_t)(4 * PAGE), &out),
		     0, "mem_map");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(SOME_ADDRESS), 2 * PAGE, VMOSAL_PROT_READ,
		    VMOSAL_MAP_SHARED | VMOSAL_MAP_FIXED_NOREPLACE,
		    HANDLE_ARG(VMOSAL_FAKE_SHM_HANDLE), 4 * PAGE);
	ck_assert_ptr_eq(out, SOME_ADDRESS);

	/* Huge pages: checked against the host's pools first. */
	ASSERT_CALLS(vmosal_mmap(NULL, TWO_MIB, RW,
				 ANON_PRIVATE | VMOSAL_MAP_HUGETLB | VMOSAL_MAP_HUGE_2MB,
				 VMOSAL_NO_HANDLE, 0, &out),
		     0, "huge_page_sizes", "mem_map");
	c = call_at(1);
	EXPECT_ARGS(c, 0, TWO_MIB, RW, ANON_PRIVATE | VMOSAL_MAP_HUGETLB | VMOSAL_MAP_HUGE_2MB);
	/* Less than a huge page would be rounded up past the range. */
	ASSERT_CALLS(vmosal_mmap(NULL, PAGE, RW, ANON_PRIVATE | VMOSAL_MAP_HUGETLB,
				 VMOSAL_NO_HANDLE, 0, &out),
		     VMOSAL_EINVAL, "huge_page_sizes");
	ASSERT_CALLS(vmosal_mmap((char *)SOME_ADDRESS + PAGE, TWO_MIB, RW,
				 ANON_PRIVATE | VMOSAL_MAP_HUGETLB | VMOSAL_MAP_FIXED,
				 VMOSAL_NO_HANDLE, 0, &out),
		     VMOSAL_EINVAL, "huge_page_sizes");
	ASSERT_CALLS(vmosal_mmap(NULL, (size_t)1 << 30, RW,
				 ANON_PRIVATE | VMOSAL_MAP_HUGETLB | VMOSAL_MAP_HUGE_1GB,
				 VMOSAL_NO_HANDLE, 0, &out),
		     VMOSAL_ENOTSUP, "huge_page_sizes");

	out = NULL;
	fail_slot("mem_map", VMOSAL_EEXIST);
	ASSERT_CALLS(vmosal_mmap(SOME_ADDRESS, PAGE, RW,
				 ANON_PRIVATE | VMOSAL_MAP_FIXED_NOREPLACE, VMOSAL_NO_HANDLE,
				 0, &out),
		     VMOSAL_EEXIST, "mem_map");
	ck_assert_ptr_null(out);
}
END_TEST

/* The range rules of memory.h, shared by every call below. */
static int range_munmap(void *addr, size_t size)
{
	return vmosal_munmap(addr, size);
}

static int range_mem_release(void *addr, size_t size)
{
	return vmosal_mem_release(addr, size);
}

static int range_mprotect(void *addr, size_t size)
{
	return vmosal_mprotect(addr, size, VMOSAL_PROT_READ);
}

static int range_madvise(void *addr, size_t size)
{
	return vmosal_mem_advise(addr, size, VMOSAL_MADV_DONTNEED);
}

static int range_mlock(void *addr, size_t size)
{
	return vmosal_mem_lock(addr, size);
}

static int range_munlock(void *addr, size_t size)
{
	return vmosal_mem_unlock(addr, size);
}

static int range_msync(void *addr, size_t size)
{
	return vmosal_mem_sync(addr, size, VMOSAL_MS_SYNC);
}

static int range_map_reserved(void *addr, size_t size)
{
	return vmosal_mem_map_reserved(addr, size, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0);
}

static const struct {
	const char *name;
	const char *slot;
	int (*call)(void *addr, size_t size);
	uint64_t third_arg; /* what the slot gets after addr and size */
} range_calls[] = {
	{"vmosal_munmap", "mem_unmap", range_munmap, 0},
	{"vmosal_mem_release", "mem_release", range_mem_release, 0},
	{"vmosal_mprotect", "mem_protect", range_mprotect, VMOSAL_PROT_READ},
	{"vmosal_mem_advise", "mem_advise", range_madvise, VMOSAL_MADV_DONTNEED},
	{"vmosal_mem_lock", "mem_lock", range_mlock, 0},
	{"vmosal_mem_unlock", "mem_unlock", range_munlock, 0},
	{"vmosal_mem_sync", "mem_sync", range_msync, VMOSAL_MS_SYNC},
	{"vmosal_mem_map_reserved", "mem_map_reserved", range_map_reserved, RW},
};

#define N_RANGE_CALLS (sizeof range_calls / sizeof range_calls[0])

START_TEST(test_range_rules)
{
	const struct {
		const char *what;
		void *addr;
		size_t size;
		int expected;
	} bad[] = {
		{"NULL address", NULL, PAGE, VMOSAL_EINVAL},
		{"size 0", SOME_ADDRESS, 0, VMOSAL_EINVAL},
		{"unaligned address", (char *)SOME_ADDRESS + 1, PAGE, VMOSAL_EINVAL},
		{"range past the end of the address space", LAST_PAGE, PAGE, VMOSAL_EOVERFLOW},
		{"range that wraps once rounded to pages", LAST_PAGE, 1, VMOSAL_EOVERFLOW},
	};

	for (size_t f = 0; f < N_RANGE_CALLS; f++)
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			size_t before = fake.count();
			int rc = range_calls[f].call(bad[i].addr, bad[i].size);

			ck_assert_msg(rc == bad[i].expected, "%s, %s: %s, not %s",
				      range_calls[f].name, bad[i].what, vmosal_err_name(rc),
				      vmosal_err_name(bad[i].expected));
			ck_assert_msg(fake.count() == before, "%s, %s: backend asked",
				      range_calls[f].name, bad[i].what);
		}
}
END_TEST

START_TEST(test_range_dispatch)
{
	for (size_t f = 0; f < N_RANGE_CALLS; f++) {
		struct vmosal_fake_call c;

		/* Sizes are passed as given, in whole pages or not. */
		fake.reset();
		begin_calls();
		ck_assert_int_eq(range_calls[f].call(SOME_ADDRESS, 3 * PAGE + 5), 0);
		expect_calls(range_calls[f].slot, NULL);
		c = call_at(0);
		EXPECT_ARGS(c, ADDR(SOME_ADDRESS), 3 * PAGE + 5, range_calls[f].third_arg);

		fail_slot(range_calls[f].slot, VMOSAL_ENOMEM);
		begin_calls();
		ck_assert_msg(range_calls[f].call(SOME_ADDRESS, PAGE) == VMOSAL_ENOMEM,
			      "%s: the backend's error did not come back", range_calls[f].name);
		expect_calls(range_calls[f].slot, NULL);
	}
}
END_TEST

START_TEST(test_prot_advice_and_sync_values)
{
	ASSERT_NO_CALL(vmosal_mprotect(SOME_ADDRESS, PAGE, 8), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mprotect(SOME_ADDRESS, PAGE, RW | 0x10), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_advise(SOME_ADDRESS, PAGE, VMOSAL_MADV_COUNT), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_advise(SOME_ADDRESS, PAGE, (enum vmosal_advice)-1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_sync(SOME_ADDRESS, PAGE, 0), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_sync(SOME_ADDRESS, PAGE, VMOSAL_MS_INVALIDATE), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_sync(SOME_ADDRESS, PAGE, VMOSAL_MS_ASYNC | VMOSAL_MS_SYNC),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_sync(SOME_ADDRESS, PAGE, VMOSAL_MS_SYNC | 8), VMOSAL_EINVAL);

	/* Every advice the header knows reaches the backend as its number. */
	for (int a = 0; a < VMOSAL_MADV_COUNT; a++) {
		struct vmosal_fake_call c;

		ASSERT_CALLS(vmosal_mem_advise(SOME_ADDRESS, PAGE, (enum vmosal_advice)a), 0,
			     "mem_advise");
		c = call_at(0);
		EXPECT_ARGS(c, ADDR(SOME_ADDRESS), PAGE, (uint64_t)a);
	}
	ASSERT_CALLS(vmosal_mem_sync(SOME_ADDRESS, PAGE, VMOSAL_MS_ASYNC | VMOSAL_MS_INVALIDATE), 0,
		     "mem_sync");
	{
		struct vmosal_fake_call c = call_at(0);
		EXPECT_ARGS(c, ADDR(SOME_ADDRESS), PAGE, VMOSAL_MS_ASYNC | VMOSAL_MS_INVALIDATE);
	}
	/* A backend may still refuse advice its host cannot take. */
	fail_slot("mem_advise", VMOSAL_ENOTSUP);
	ASSERT_CALLS(vmosal_mem_advise(SOME_ADDRESS, PAGE, VMOSAL_MADV_MERGEABLE),
		     VMOSAL_ENOTSUP, "mem_advise");
}
END_TEST

START_TEST(test_memory_without_optional_slots)
{
	remove_slot("mem_advise");
	remove_slot("mem_lock");
	remove_slot("mem_unlock");
	remove_slot("mem_sync");
	ASSERT_NO_CALL(vmosal_mem_advise(SOME_ADDRESS, PAGE, VMOSAL_MADV_WILLNEED), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_mem_lock(SOME_ADDRESS, PAGE), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_mem_unlock(SOME_ADDRESS, PAGE), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_mem_sync(SOME_ADDRESS, PAGE, VMOSAL_MS_SYNC), VMOSAL_ENOTSUP);
	/* Argument errors still come first. */
	ASSERT_NO_CALL(vmosal_mem_lock(NULL, PAGE), VMOSAL_EINVAL);
}
END_TEST

START_TEST(test_mem_reserve)
{
	void *out = NULL;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_mem_reserve(PAGE, 0, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_reserve(PAGE, 3, &out), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_reserve(PAGE, 3 * PAGE, &out), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_reserve(0, 0, &out), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_reserve(PAGE + 1, 0, &out), VMOSAL_EINVAL);
	/* Aligning would take it past the end of the address space. */
	ASSERT_NO_CALL(vmosal_mem_reserve(SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1, &out),
		       VMOSAL_EOVERFLOW);
	ck_assert_ptr_null(out);

	/* Alignment 0, or below the granularity, is the granularity. */
	ASSERT_CALLS(vmosal_mem_reserve(8 * PAGE, 0, &out), 0, "mem_reserve");
	c = call_at(0);
	EXPECT_ARGS(c, 8 * PAGE, PAGE, 0);
	ck_assert_ptr_nonnull(out);
	ASSERT_CALLS(vmosal_mem_reserve(PAGE, 1024, &out), 0, "mem_reserve");
	c = call_at(0);
	EXPECT_ARGS(c, PAGE, PAGE, 0);
	ASSERT_CALLS(vmosal_mem_reserve(TWO_MIB, TWO_MIB, &out), 0, "mem_reserve");
	c = call_at(0);
	EXPECT_ARGS(c, TWO_MIB, TWO_MIB, 0);
	ck_assert_uint_eq((uintptr_t)out % TWO_MIB, 0);

	out = NULL;
	fail_slot("mem_reserve", VMOSAL_ENOMEM);
	ASSERT_CALLS(vmosal_mem_reserve(PAGE, 0, &out), VMOSAL_ENOMEM, "mem_reserve");
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(test_mem_map_reserved)
{
	struct vmosal_fake_call c;

	for (size_t i = 0; i < N_BAD_MAP_ARGS; i++) {
		const struct map_case *m = &bad_map_args[i];
		size_t before = fake.count();

		ck_assert_msg(vmosal_mem_map_reserved(SOME_ADDRESS, PAGE, m->prot, m->flags,
						      m->handle, m->offset) == m->expected,
			      "vmosal_mem_map_reserved, %s: not %s", m->what,
			      vmosal_err_name(m->expected));
		ck_assert_msg(fake.count() == before, "vmosal_mem_map_reserved, %s: backend asked",
			      m->what);
	}
	/* FIXED and FIXED_NOREPLACE are implied, never given. */
	ASSERT_NO_CALL(vmosal_mem_map_reserved(SOME_ADDRESS, PAGE, RW,
					       ANON_PRIVATE | VMOSAL_MAP_FIXED,
					       VMOSAL_NO_HANDLE, 0),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_map_reserved(SOME_ADDRESS, PAGE, RW,
					       ANON_PRIVATE | VMOSAL_MAP_FIXED_NOREPLACE,
					       VMOSAL_NO_HANDLE, 0),
		       VMOSAL_EINVAL);

	ASSERT_CALLS(vmosal_mem_map_reserved(SOME_ADDRESS, 2 * PAGE, VMOSAL_PROT_READ,
					     VMOSAL_MAP_SHARED | VMOSAL_MAP_NORESERVE,
					     VMOSAL_FAKE_SHM_HANDLE, (int64_t)PAGE),
		     0, "mem_map_reserved");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(SOME_ADDRESS), 2 * PAGE, VMOSAL_PROT_READ,
		    VMOSAL_MAP_SHARED | VMOSAL_MAP_NORESERVE, HANDLE_ARG(VMOSAL_FAKE_SHM_HANDLE),
		    PAGE);
}
END_TEST

START_TEST(test_huge_page_sizes)
{
	struct vmosal_huge_page_sizes ps = {.struct_size = sizeof ps - 1};
	NEWER(struct vmosal_huge_page_sizes) newer;

	ASSERT_NO_CALL(vmosal_huge_page_sizes(NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_huge_page_sizes(&ps), VMOSAL_EINVAL);

	FILL_NEWER(newer, struct vmosal_huge_page_sizes, 0xaa);
	ASSERT_CALLS(vmosal_huge_page_sizes(&newer.known), 0, "huge_page_sizes");
	ck_assert_uint_eq(newer.known.thp_mode, VMOSAL_THP_MADVISE);
	ck_assert_uint_eq(newer.known.base, PAGE);
	ck_assert_uint_eq(newer.known.thp_size, TWO_MIB);
	ck_assert_uint_eq(newer.known.huge_default, TWO_MIB);
	ck_assert_uint_eq(newer.known.huge_count, 1);
	EXPECT_ZERO_TAIL(newer, struct vmosal_huge_page_sizes);

	/* Without the slot: no huge pages of either kind. */
	remove_slot("huge_page_sizes");
	ps.struct_size = sizeof ps;
	ASSERT_NO_CALL(vmosal_huge_page_sizes(&ps), 0);
	ck_assert_uint_eq(ps.thp_mode, VMOSAL_THP_UNAVAILABLE);
	ck_assert_uint_eq(ps.base, PAGE);
	ck_assert_uint_eq(ps.thp_size, 0);
	ck_assert_uint_eq(ps.huge_default, 0);
	ck_assert_uint_eq(ps.huge_count, 0);
}
END_TEST

START_TEST(test_huge_page_pool)
{
	struct vmosal_huge_page_pool pool = {.struct_size = sizeof pool - 1};
	NEWER(struct vmosal_huge_page_pool) newer;

	ASSERT_NO_CALL(vmosal_huge_page_pool(0, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_huge_page_pool(0, &pool), VMOSAL_EINVAL);
	pool.struct_size = sizeof pool;
	/* How many pools there are is the host's answer, read now. */
	ASSERT_CALLS(vmosal_huge_page_pool(1, &pool), VMOSAL_ERANGE, "huge_page_sizes");

	FILL_NEWER(newer, struct vmosal_huge_page_pool, 0xaa);
	ASSERT_CALLS(vmosal_huge_page_pool(0, &newer.known), 0, "huge_page_sizes");
	ck_assert_uint_eq(newer.known.page_size, TWO_MIB);
	ck_assert_uint_eq(newer.known.total, VMOSAL_FAKE_HUGE_TOTAL);
	ck_assert_uint_eq(newer.known.free, VMOSAL_FAKE_HUGE_FREE);
	EXPECT_ZERO_TAIL(newer, struct vmosal_huge_page_pool);

	remove_slot("huge_page_sizes");
	ASSERT_NO_CALL(vmosal_huge_page_pool(0, &pool), VMOSAL_ERANGE);
}
END_TEST

START_TEST(test_shm_create_arguments)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;

	ASSERT_NO_CALL(vmosal_shm_create(NULL, PAGE, 0, 0, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, 0, 0, 0, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, PAGE, 4, 0, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, TWO_MIB, 0, TWO_MIB, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, 6 * TWO_MIB, VMOSAL_SHM_HUGETLB, 3 * TWO_MIB, &h),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, PAGE + 1, 0, 0, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, PAGE, VMOSAL_SHM_HUGETLB, TWO_MIB, &h),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, (uint64_t)1 << 63, 0, 0, &h), VMOSAL_EOVERFLOW);
	ck_assert(h == VMOSAL_NO_HANDLE);
}
END_TEST

START_TEST(test_shm_create_dispatch)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	struct vmosal_fake_call c;

	ASSERT_CALLS(vmosal_shm_create(NULL, 4 * PAGE, VMOSAL_SHM_SEAL, 0, &h), 0,
		     "shm_create");
	c = call_at(0);
	ck_assert_str_eq(c.text, "vmosal");
	EXPECT_ARGS(c, ANY_ARG, 4 * PAGE, VMOSAL_SHM_SEAL, 0);
	ck_assert(h == VMOSAL_FAKE_SHM_HANDLE);

	/* The huge page size is checked against the host's pools and
	 * travels as its log2; the default size is resolved first. */
	ASSERT_CALLS(vmosal_shm_create("guest", 2 * TWO_MIB, VMOSAL_SHM_HUGETLB, TWO_MIB,
				       &h),
		     0, "huge_page_sizes", "shm_create");
	c = call_at(1);
	ck_assert_str_eq(c.text, "guest");
	EXPECT_ARGS(c, ANY_ARG, 2 * TWO_MIB, VMOSAL_SHM_HUGETLB, 21);
	ASSERT_CALLS(vmosal_shm_create("guest", TWO_MIB, VMOSAL_SHM_HUGETLB, 0, &h), 0,
		     "huge_page_sizes", "shm_create");
	c = call_at(1);
	EXPECT_ARGS(c, ANY_ARG, TWO_MIB, VMOSAL_SHM_HUGETLB, 21);
	/* The size must be a multiple of the default size as well. */
	ASSERT_CALLS(vmosal_shm_create(NULL, 4 * PAGE, VMOSAL_SHM_HUGETLB, 0, &h), VMOSAL_EINVAL,
		     "huge_page_sizes");
	/* A size the host has no pool of. */
	ASSERT_CALLS(vmosal_shm_create(NULL, (uint64_t)1 << 30, VMOSAL_SHM_HUGETLB,
				       (uint64_t)1 << 30, &h),
		     VMOSAL_ENOTSUP, "huge_page_sizes");

	h = VMOSAL_NO_HANDLE;
	fail_slot("shm_create", VMOSAL_ENOSPC);
	ASSERT_CALLS(vmosal_shm_create(NULL, PAGE, 0, 0, &h), VMOSAL_ENOSPC,
		     "shm_create");
	ck_assert(h == VMOSAL_NO_HANDLE);

	/* shm_close is mandatory with shm_create: either missing is ENOTSUP. */
	fake.reset();
	remove_slot("shm_create");
	ASSERT_NO_CALL(vmosal_shm_create(NULL, PAGE, 0, 0, &h), VMOSAL_ENOTSUP);
	fake.reset();
	remove_slot("shm_close");
	ASSERT_NO_CALL(vmosal_shm_create(NULL, PAGE, 0, 0, &h), VMOSAL_ENOTSUP);
}
END_TEST

START_TEST(test_shm_close)
{
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_handle_close(VMOSAL_NO_HANDLE), VMOSAL_EBADF);
	ASSERT_CALLS(vmosal_handle_close(VMOSAL_FAKE_SHM_HANDLE), 0, "shm_close");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(VMOSAL_FAKE_SHM_HANDLE));
	fail_slot("shm_close", VMOSAL_EBADF);
	ASSERT_CALLS(vmosal_handle_close(VMOSAL_FAKE_SHM_HANDLE), VMOSAL_EBADF, "shm_close");

	fake.reset();
	remove_slot("shm_close");
	ASSERT_NO_CALL(vmosal_handle_close(VMOSAL_FAKE_SHM_HANDLE), VMOSAL_ENOTSUP);
}
END_TEST

/* Member by member: padding is no one's to compare. */
static void expect_same_jit(const struct vmosal_jit *a, const struct vmosal_jit *b)
{
	ck_assert_uint_eq(a->struct_size, b->struct_size);
	ck_assert_ptr_eq(a->rw, b->rw);
	ck_assert_ptr_eq(a->rx, b->rx);
	ck_assert_uint_eq(a->size, b->size);
}

START_TEST(test_jit_create)
{
	struct vmosal_jit jit = {.struct_size = sizeof jit - 1};
	NEWER(struct vmosal_jit) newer;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_jit_create(PAGE, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_create(PAGE, &jit), VMOSAL_EINVAL);
	jit.struct_size = 0;
	ASSERT_NO_CALL(vmosal_jit_create(PAGE, &jit), VMOSAL_EINVAL);
	jit.struct_size = sizeof jit;
	ASSERT_NO_CALL(vmosal_jit_create(0, &jit), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_create(SIZE_MAX, &jit), VMOSAL_EOVERFLOW);

	/* Rounded up to whole pages before the backend sees it. */
	FILL_NEWER(newer, struct vmosal_jit, 0xaa);
	ASSERT_CALLS(vmosal_jit_create(100, &newer.known), 0, "jit_map");
	c = call_at(0);
	EXPECT_ARGS(c, PAGE);
	ck_assert_ptr_nonnull(newer.known.rw);
	ck_assert_ptr_nonnull(newer.known.rx);
	ck_assert_ptr_ne(newer.known.rw, newer.known.rx);
	ck_assert_uint_eq(newer.known.size, PAGE);
	EXPECT_ZERO_TAIL(newer, struct vmosal_jit);

	fail_slot("jit_map", VMOSAL_EACCES);
	ASSERT_CALLS(vmosal_jit_create(PAGE, &jit), VMOSAL_EACCES, "jit_map");
	ck_assert_ptr_null(jit.rw);
	ck_assert_uint_eq(jit.size, 0);

	/* jit_unmap is mandatory with jit_map: either missing is ENOTSUP. */
	fake.reset();
	remove_slot("jit_map");
	ASSERT_NO_CALL(vmosal_jit_create(PAGE, &jit), VMOSAL_ENOTSUP);
	fake.reset();
	remove_slot("jit_unmap");
	ASSERT_NO_CALL(vmosal_jit_create(PAGE, &jit), VMOSAL_ENOTSUP);
}
END_TEST

START_TEST(test_jit_flush)
{
	static unsigned char code[64];
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit);
	struct vmosal_jit small = {.struct_size = sizeof small - 1};
	struct vmosal_fake_call c;

	ck_assert_int_eq(vmosal_jit_create(PAGE, &jit), 0);
	small.rw = jit.rw;
	small.rx = jit.rx;
	small.size = jit.size;
	ASSERT_NO_CALL(vmosal_jit_flush(NULL, 0, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_flush(&small, 0, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_flush(&jit, 0, 0), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_flush(&jit, PAGE + 1, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_flush(&jit, PAGE - 1, 2), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_flush(&jit, 1, SIZE_MAX), VMOSAL_EINVAL);
	small = jit;
	small.rx = NULL;
	ASSERT_NO_CALL(vmosal_jit_flush(&small, 0, 1), VMOSAL_EINVAL);

	ASSERT_CALLS(vmosal_jit_flush(&jit, 16, 32), 0, "icache_flush");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(jit.rx) + 16, 32);
	ASSERT_CALLS(vmosal_jit_flush(&jit, 0, PAGE), 0, "icache_flush");
	fail_slot("icache_flush", VMOSAL_EFAULT);
	ASSERT_CALLS(vmosal_jit_flush(&jit, 0, 1), VMOSAL_EFAULT, "icache_flush");

	/* Without the slot the core flushes by itself, asking nothing; the
	 * views are real memory here, as the compiler's flush touches them. */
	fake.reset();
	remove_slot("icache_flush");
	jit.rw = code;
	jit.rx = code;
	jit.size = sizeof code;
	ASSERT_NO_CALL(vmosal_jit_flush(&jit, 0, sizeof code), 0);
}
END_TEST

START_TEST(test_jit_destroy)
{
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit), copy, bad;
	NEWER(struct vmosal_jit) newer;
	struct vmosal_fake_call c;

	ck_assert_int_eq(vmosal_jit_create(PAGE, &jit), 0);
	ASSERT_NO_CALL(vmosal_jit_destroy(NULL), VMOSAL_EINVAL);
	bad = jit;
	bad.struct_size = sizeof bad - 1;
	ASSERT_NO_CALL(vmosal_jit_destroy(&bad), VMOSAL_EINVAL);
	bad = jit;
	bad.rw = NULL;
	ASSERT_NO_CALL(vmosal_jit_destroy(&bad), VMOSAL_EINVAL);
	bad = jit;
	bad.rx = NULL;
	ASSERT_NO_CALL(vmosal_jit_destroy(&bad), VMOSAL_EINVAL);
	bad = jit;
	bad.size = 0;
	ASSERT_NO_CALL(vmosal_jit_destroy(&bad), VMOSAL_EINVAL);

	copy = jit;
	fail_slot("jit_unmap", VMOSAL_EBUSY);
	ASSERT_CALLS(vmosal_jit_destroy(&jit), VMOSAL_EBUSY, "jit_unmap");
	expect_same_jit(&jit, &copy);
	fail_slot("jit_unmap", 0);

	ASSERT_CALLS(vmosal_jit_destroy(&jit), 0, "jit_unmap");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(copy.rw), ADDR(copy.rx), PAGE);
	ck_assert_uint_eq(jit.struct_size, sizeof jit);
	ck_assert_ptr_null(jit.rw);
	ck_assert_ptr_null(jit.rx);
	ck_assert_uint_eq(jit.size, 0);

	/* A newer caller's struct: the tail stays as it was. */
	FILL_NEWER(newer, struct vmosal_jit, 0);
	ck_assert_int_eq(vmosal_jit_create(PAGE, &newer.known), 0);
	ck_assert_int_eq(vmosal_jit_destroy(&newer.known), 0);
	EXPECT_ZERO_TAIL(newer, struct vmosal_jit);

	ck_assert_int_eq(vmosal_jit_create(PAGE, &jit), 0);
	remove_slot("jit_unmap");
	ASSERT_NO_CALL(vmosal_jit_destroy(&jit), VMOSAL_ENOTSUP);
}
END_TEST

/* The write window: checked by the core, counted per thread, and the
 * backend asked only for the outermost window. */
START_TEST(test_jit_write_window)
{
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit), bad;
	struct vmosal_fake_call c;

	ck_assert_int_eq(vmosal_jit_create(PAGE, &jit), 0);
	ASSERT_NO_CALL(vmosal_jit_write_begin(NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_write_end(NULL), VMOSAL_EINVAL);
	bad = jit;
	bad.struct_size = sizeof bad - 1;
	ASSERT_NO_CALL(vmosal_jit_write_begin(&bad), VMOSAL_EINVAL);
	bad = jit;
	bad.rw = NULL;
	ASSERT_NO_CALL(vmosal_jit_write_begin(&bad), VMOSAL_EINVAL);
	bad = jit;
	bad.rx = NULL;
	ASSERT_NO_CALL(vmosal_jit_write_begin(&bad), VMOSAL_EINVAL);
	bad = jit;
	bad.size = 0;
	ASSERT_NO_CALL(vmosal_jit_write_begin(&bad), VMOSAL_EINVAL);
	/* No window open. */
	ASSERT_NO_CALL(vmosal_jit_write_end(&jit), VMOSAL_EINVAL);

	ASSERT_CALLS(vmosal_jit_write_begin(&jit), 0, "jit_write_begin");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(jit.rw), ADDR(jit.rx), PAGE);
	/* Nested: counted, not asked again. */
	ASSERT_NO_CALL(vmosal_jit_write_begin(&jit), 0);
	ASSERT_NO_CALL(vmosal_jit_write_end(&jit), 0);
	bad = jit;
	bad.rw = NULL;
	ASSERT_NO_CALL(vmosal_jit_write_end(&bad), VMOSAL_EINVAL);
	/* A refused end leaves the window open. */
	fail_slot("jit_write_end", VMOSAL_EINVAL);
	ASSERT_CALLS(vmosal_jit_write_end(&jit), VMOSAL_EINVAL, "jit_write_end");
	fail_slot("jit_write_end", 0);
	ASSERT_CALLS(vmosal_jit_write_end(&jit), 0, "jit_write_end");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(jit.rw), ADDR(jit.rx), PAGE);
	ASSERT_NO_CALL(vmosal_jit_write_end(&jit), VMOSAL_EINVAL);

	/* A refused begin opens nothing. */
	fail_slot("jit_write_begin", VMOSAL_EINVAL);
	ASSERT_CALLS(vmosal_jit_write_begin(&jit), VMOSAL_EINVAL, "jit_write_begin");
	ASSERT_NO_CALL(vmosal_jit_write_end(&jit), VMOSAL_EINVAL);

	/* A backend without the slots (ABI 2.2): two views need no window,
	 * one view cannot get one. */
	fake.reset();
	remove_slot("jit_write_begin");
	remove_slot("jit_write_end");
	ASSERT_NO_CALL(vmosal_jit_write_begin(&jit), 0);
	ASSERT_NO_CALL(vmosal_jit_write_end(&jit), 0);
	bad = jit;
	bad.rw = bad.rx;
	ASSERT_NO_CALL(vmosal_jit_write_begin(&bad), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_jit_write_end(&bad), VMOSAL_EINVAL);
}
END_TEST

/* ---- guest RAM ---- */

#define GUEST_SIZE ((size_t)4 << 20)

static struct vmosal_guest_ram_options guest_options(void)
{
	struct vmosal_guest_ram_options o = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram_options);
	return o;
}

/* A guest RAM struct no call may touch: any change shows. */
static struct vmosal_guest_ram untouched_ram(void)
{
	struct vmosal_guest_ram ram;

	memset(&ram, 0x5a, sizeof ram);
	ram.struct_size = sizeof ram;
	return ram;
}

static void expect_same_ram(const struct vmosal_guest_ram *a, const struct vmosal_guest_ram *b)
{
	ck_assert_uint_eq(a->struct_size, b->struct_size);
	ck_assert_ptr_eq(a->addr, b->addr);
	ck_assert_uint_eq(a->size, b->size);
	ck_assert(a->handle == b->handle);
	ck_assert_ptr_eq(a->map_base, b->map_base);
	ck_assert_uint_eq(a->map_size, b->map_size);
}

START_TEST(test_guest_ram_alloc_arguments)
{
	struct vmosal_guest_ram ram = untouched_ram(), copy = ram;
	struct vmosal_guest_ram small = {.struct_size = sizeof small - 1};
	struct vmosal_guest_ram_options o = guest_options();
	NEWER(struct vmosal_guest_ram_options) newer;

	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, NULL, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, NULL, &small), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_guest_ram_create(0, NULL, &ram), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE + 1, NULL, &ram), VMOSAL_EINVAL);
	o.struct_size = sizeof o - 1;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	FILL_NEWER(newer, struct vmosal_guest_ram_options, 0x01);
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &newer.known, &ram), VMOSAL_ENOTSUP);

	o = guest_options();
	o.flags = 0x40;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	o = guest_options();
	o.pages = VMOSAL_PAGES_HUGETLB + 1;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	o = guest_options();
	o.huge_page_size = TWO_MIB;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	o = guest_options();
	o.alignment = 3 * PAGE;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	o.alignment = PAGE / 4;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	o = guest_options();
	o.guard_size = PAGE + 1;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	expect_same_ram(&ram, &copy);
}
END_TEST

/* What depends on the host's page sizes is found after reading them, and
 * before anything is reserved. */
START_TEST(test_guest_ram_alloc_host_checks)
{
	struct vmosal_guest_ram ram = untouched_ram(), copy = ram;
	struct vmosal_guest_ram_options o = guest_options();

	o.pages = VMOSAL_PAGES_HUGETLB;
	o.huge_page_size = (uint64_t)1 << 30;
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_ENOTSUP,
		     "huge_page_sizes");
	o.huge_page_size = 0;
	ASSERT_CALLS(vmosal_guest_ram_create(TWO_MIB + PAGE, &o, &ram), VMOSAL_EINVAL,
		     "huge_page_sizes");
	o = guest_options();
	o.guard_size = (SIZE_MAX / 2) & ~(PAGE - 1);
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EOVERFLOW,
		     "huge_page_sizes");
	o = guest_options();
	o.flags = VMOSAL_GUEST_NUMA;
	o.numa_node = 999;
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_ENOENT,
		     "huge_page_sizes");
	o = guest_options();
	o.flags = VMOSAL_GUEST_PREALLOC;
	remove_slot("mem_populate");
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_ENOTSUP,
		     "huge_page_sizes");

	/* Without huge_page_sizes the host has no huge pages of either kind. */
	fake.reset();
	remove_slot("huge_page_sizes");
	o = guest_options();
	o.pages = VMOSAL_PAGES_THP;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_ENOTSUP);
	o.pages = VMOSAL_PAGES_HUGETLB;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_ENOTSUP);
	expect_same_ram(&ram, &copy);
}
END_TEST

START_TEST(test_guest_ram_alloc_default)
{
	struct vmosal_guest_ram ram = untouched_ram();
	NEWER(struct vmosal_guest_ram) newer;
	NEWER(struct vmosal_guest_ram_options) newer_options;
	struct vmosal_fake_call c;

	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, NULL, &ram), 0);
	expect_calls("huge_page_sizes", "mem_reserve", "mem_map_reserved", "mem_advise", NULL);
	c = call_at(1);
	EXPECT_ARGS(c, GUEST_SIZE, TWO_MIB, 0);
	c = call_at(2);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, RW, ANON_PRIVATE, NO_HANDLE_ARG, 0);
	c = call_at(3);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, VMOSAL_MADV_HUGEPAGE);
	ck_assert_uint_eq((uintptr_t)ram.addr % TWO_MIB, 0);
	ck_assert_uint_eq(ram.size, GUEST_SIZE);
	ck_assert(ram.handle == VMOSAL_NO_HANDLE);
	ck_assert_ptr_eq(ram.map_base, ram.addr);
	ck_assert_uint_eq(ram.map_size, GUEST_SIZE);

	/* Newer callers: the options' zero tail is accepted, the result's
	 * tail zero-filled. */
	FILL_NEWER(newer, struct vmosal_guest_ram, 0xaa);
	FILL_NEWER(newer_options, struct vmosal_guest_ram_options, 0);
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &newer_options.known, &newer.known),
			 0);
	EXPECT_ZERO_TAIL(newer, struct vmosal_guest_ram);
}
END_TEST

/* One reservation of guard, RAM, guard, aligned at the RAM's start. */
START_TEST(test_guest_ram_alloc_guards_and_alignment)
{
	struct vmosal_guest_ram ram = untouched_ram();
	struct vmosal_guest_ram_options o = guest_options();
	size_t guard = 16 * PAGE, align = (size_t)1 << 20;
	struct vmosal_fake_call c;

	o.guard_size = guard;
	o.alignment = align;
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	expect_calls("huge_page_sizes", "mem_reserve", "mem_map_reserved", "mem_advise", NULL);
	c = call_at(1);
	EXPECT_ARGS(c, GUEST_SIZE + 2 * guard, align, guard);
	c = call_at(2);
	EXPECT_ARGS(c, ADDR(ram.map_base) + guard, GUEST_SIZE, RW, ANON_PRIVATE, NO_HANDLE_ARG, 0);
	ck_assert_ptr_eq(ram.addr, (char *)ram.map_base + guard);
	ck_assert_uint_eq(ram.map_size, GUEST_SIZE + 2 * guard);
	ck_assert_uint_eq((uintptr_t)ram.addr % align, 0);
}
END_TEST

/* Sizes and guards are multiples of the host's granule, refused by the
 * core before any backend call: the same answer on every OS. */
START_TEST(test_guest_ram_alloc_granule)
{
	const size_t granule = 16 * PAGE;
	struct vmosal_guest_ram ram = untouched_ram();
	struct vmosal_guest_ram_options o = guest_options();

	fake.granularity(granule);
	ASSERT_NO_CALL(vmosal_guest_ram_create(granule + PAGE, &o, &ram), VMOSAL_EINVAL);
	o.guard_size = PAGE;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	o.guard_size = granule;
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(granule, &o, &ram), 0);
	expect_calls("huge_page_sizes", "mem_reserve", "mem_map_reserved", "mem_advise", NULL);
	fake.granularity(0);
}
END_TEST

START_TEST(test_guest_ram_alloc_flags)
{
	struct vmosal_guest_ram ram = untouched_ram();
	struct vmosal_guest_ram_options o = guest_options();
	struct vmosal_fake_call c;

	o.pages = VMOSAL_PAGES_BASE;
	o.flags = VMOSAL_GUEST_SHARED | VMOSAL_GUEST_NORESERVE | VMOSAL_GUEST_DONTDUMP;
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	expect_calls("huge_page_sizes", "mem_reserve", "mem_map_reserved", "mem_advise", "mem_advise",
		     NULL);
	c = call_at(2);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, RW,
		    VMOSAL_MAP_ANONYMOUS | VMOSAL_MAP_SHARED | VMOSAL_MAP_NORESERVE, NO_HANDLE_ARG);
	c = call_at(3);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, VMOSAL_MADV_NOHUGEPAGE);
	c = call_at(4);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, VMOSAL_MADV_DONTDUMP);

	/* Huge pages of the default size, asked for by the mapping. */
	o = guest_options();
	o.pages = VMOSAL_PAGES_HUGETLB;
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	expect_calls("huge_page_sizes", "mem_reserve", "mem_map_reserved", NULL);
	c = call_at(1);
	EXPECT_ARGS(c, GUEST_SIZE, TWO_MIB, 0);
	c = call_at(2);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, RW,
		    ANON_PRIVATE | VMOSAL_MAP_HUGETLB | VMOSAL_MAP_HUGE_SIZE(21), NO_HANDLE_ARG);
}
END_TEST

START_TEST(test_guest_ram_alloc_fd)
{
	struct vmosal_guest_ram ram = untouched_ram();
	struct vmosal_guest_ram_options o = guest_options();
	struct vmosal_fake_call c;

	o.flags = VMOSAL_GUEST_FD;
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	expect_calls("huge_page_sizes", "shm_create", "mem_reserve", "mem_map_reserved", "mem_advise",
		     NULL);
	/* Sealed, so that no holder of the handle can resize the RAM. */
	c = call_at(1);
	EXPECT_ARGS(c, ANY_ARG, GUEST_SIZE, VMOSAL_SHM_SEAL, 0);
	c = call_at(3);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, RW, VMOSAL_MAP_SHARED,
		    HANDLE_ARG(VMOSAL_FAKE_SHM_HANDLE), 0);
	ck_assert(ram.handle == VMOSAL_FAKE_SHM_HANDLE);

	o.pages = VMOSAL_PAGES_HUGETLB;
	o.huge_page_size = TWO_MIB;
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	/* shm_create checks the huge size against the pools itself. */
	expect_calls("huge_page_sizes", "huge_page_sizes", "shm_create", "mem_reserve", "mem_map_reserved",
		     NULL);
	c = call_at(2);
	EXPECT_ARGS(c, ANY_ARG, GUEST_SIZE, VMOSAL_SHM_SEAL | VMOSAL_SHM_HUGETLB, 21);
	c = call_at(4);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, RW, VMOSAL_MAP_SHARED,
		    HANDLE_ARG(VMOSAL_FAKE_SHM_HANDLE), 0);
}
END_TEST

/* On any failure the whole reservation goes, and *out stays as it was. */
START_TEST(test_guest_ram_alloc_failures_undo_everything)
{
	struct vmosal_guest_ram ram = untouched_ram(), copy = ram;
	struct vmosal_guest_ram_options o = guest_options();
	struct vmosal_fake_call reserve, map, release, close;

	fail_slot("mem_map_reserved", VMOSAL_ENOMEM);
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, NULL, &ram), VMOSAL_ENOMEM, "huge_page_sizes",
	     "mem_reserve", "mem_map_reserved", "mem_release");
	map = call_at(2);
	release = call_at(3);
	EXPECT_ARGS(release, map.args[0], GUEST_SIZE);
	expect_same_ram(&ram, &copy);

	/* With guards and a shared memory object: the reservation from its
	 * start, guards included, then the object. */
	o.flags = VMOSAL_GUEST_FD;
	o.guard_size = PAGE;
	fail_slot("mem_map_reserved", VMOSAL_EACCES);
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EACCES, "huge_page_sizes",
	     "shm_create", "mem_reserve", "mem_map_reserved", "mem_release", "shm_close");
	reserve = call_at(2);
	map = call_at(3);
	release = call_at(4);
	close = call_at(5);
	EXPECT_ARGS(reserve, GUEST_SIZE + 2 * PAGE, TWO_MIB, PAGE);
	EXPECT_ARGS(release, map.args[0] - PAGE, GUEST_SIZE + 2 * PAGE);
	EXPECT_ARGS(close, HANDLE_ARG(VMOSAL_FAKE_SHM_HANDLE));
	expect_same_ram(&ram, &copy);

	fake.reset();
	fail_slot("mem_reserve", VMOSAL_ENOMEM);
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_ENOMEM, "huge_page_sizes",
	     "shm_create", "mem_reserve", "shm_close");
	fake.reset();
	fail_slot("shm_create", VMOSAL_ENOSPC);
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_ENOSPC, "huge_page_sizes",
	     "shm_create");
	fake.reset();
	fail_slot("huge_page_sizes", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EIO, "huge_page_sizes");
	expect_same_ram(&ram, &copy);
}
END_TEST

/* THP asked for by name must be there; by default it is only tried. */
START_TEST(test_guest_ram_alloc_thp_advice)
{
	struct vmosal_guest_ram ram = untouched_ram(), copy = ram;
	struct vmosal_guest_ram_options o = guest_options();

	fail_slot("mem_advise", VMOSAL_EINVAL);
	o.pages = VMOSAL_PAGES_THP;
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL,
		     "huge_page_sizes", "mem_reserve", "mem_map_reserved", "mem_advise",
		     "mem_release");
	expect_same_ram(&ram, &copy);
	o.pages = VMOSAL_PAGES_DEFAULT;
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0, "huge_page_sizes",
		     "mem_reserve", "mem_map_reserved", "mem_advise");

	/* Without the advice slot the default still gets its RAM. */
	fake.reset();
	remove_slot("mem_advise");
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, NULL, &ram), 0, "huge_page_sizes",
		     "mem_reserve", "mem_map_reserved");
	o.pages = VMOSAL_PAGES_THP;
	ram = copy;
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_ENOTSUP,
		     "huge_page_sizes", "mem_reserve", "mem_map_reserved", "mem_release");
	expect_same_ram(&ram, &copy);
}
END_TEST

/* What prealloc reported; the callback may run on a worker thread, so the
 * assertions wait for the suite's own thread. */
static uint64_t progress_done, progress_total;
static unsigned progress_calls;
static bool progress_went_back;

static void note_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	progress_went_back |= done < progress_done;
	progress_done = done;
	progress_total = total;
	progress_calls++;
}

/* How many calls of slot since begin_calls(). */
static size_t count_calls(const char *slot)
{
	size_t n = 0;

	for (size_t i = 0; i < fake.count() - mark; i++)
		n += strcmp(call_at(i).slot, slot) == 0;
	return n;
}

START_TEST(test_guest_ram_prealloc)
{
	struct vmosal_guest_ram ram = untouched_ram(), copy = ram;
	struct vmosal_guest_ram_options o = guest_options();
	uint64_t populated = 0;

	o.flags = VMOSAL_GUEST_PREALLOC;
	o.threads = 2;
	o.progress = note_progress;
	progress_done = progress_total = 0;
	progress_calls = 0;
	progress_went_back = false;
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	/* Every page faulted in once, by at most `threads` workers. */
	for (size_t i = 0; i < fake.count() - mark; i++) {
		struct vmosal_fake_call c = call_at(i);

		if (strcmp(c.slot, "mem_populate") != 0)
			continue;
		ck_assert_uint_ge(c.args[0], ADDR(ram.addr));
		ck_assert_uint_le(c.args[0] + c.args[1], ADDR(ram.addr) + GUEST_SIZE);
		populated += c.args[1];
	}
	ck_assert_uint_eq(populated, GUEST_SIZE);
	ck_assert_uint_ge(count_calls("thread_create"), 1);
	ck_assert_uint_le(count_calls("thread_create"), 2);
	ck_assert_uint_eq(count_calls("thread_join"), count_calls("thread_create"));
	ck_assert_uint_ge(progress_calls, 1);
	ck_assert(!progress_went_back);
	ck_assert_uint_eq(progress_done, GUEST_SIZE);
	ck_assert_uint_eq(progress_total, GUEST_SIZE);

	/* Out of memory while faulting in: an error, never a signal, and
	 * every worker joined before the reservation goes. */
	ram = copy;
	fail_slot("mem_populate", VMOSAL_ENOMEM);
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_ENOMEM);
	ck_assert_uint_ge(count_calls("mem_populate"), 1);
	ck_assert_uint_eq(count_calls("thread_join"), count_calls("thread_create"));
	ck_assert_str_eq(call_at(fake.count() - mark - 1).slot, "mem_release");
	expect_same_ram(&ram, &copy);
}
END_TEST

START_TEST(test_guest_ram_free)
{
	struct vmosal_guest_ram ram = untouched_ram(), copy;
	struct vmosal_guest_ram small = {.struct_size = sizeof small - 1};
	struct vmosal_guest_ram cleared = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
	struct vmosal_guest_ram_options o = guest_options();
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_guest_ram_destroy(NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_guest_ram_destroy(&small), VMOSAL_EINVAL);
	/* Half cleared is neither allocated nor freed. */
	cleared.addr = SOME_ADDRESS;
	ASSERT_NO_CALL(vmosal_guest_ram_destroy(&cleared), VMOSAL_EINVAL);
	cleared.addr = NULL;
	ASSERT_NO_CALL(vmosal_guest_ram_destroy(&cleared), 0);
	ck_assert(cleared.handle == VMOSAL_NO_HANDLE);
	ASSERT_NO_CALL(vmosal_guest_ram_destroy(&cleared), 0);

	o.guard_size = PAGE;
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	copy = ram;
	fail_slot("mem_release", VMOSAL_EBUSY);
	ASSERT_CALLS(vmosal_guest_ram_destroy(&ram), VMOSAL_EBUSY, "mem_release");
	expect_same_ram(&ram, &copy);

	fail_slot("mem_release", 0);
	ASSERT_CALLS(vmosal_guest_ram_destroy(&ram), 0, "mem_release");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(copy.map_base), GUEST_SIZE + 2 * PAGE);
	ck_assert_uint_eq(ram.struct_size, sizeof ram);
	ck_assert_ptr_null(ram.addr);
	ck_assert_uint_eq(ram.size, 0);
	ck_assert(ram.handle == VMOSAL_NO_HANDLE);
	ck_assert_ptr_null(ram.map_base);
	ck_assert_uint_eq(ram.map_size, 0);
	/* Freed twice: accepted, nothing asked. */
	ASSERT_NO_CALL(vmosal_guest_ram_destroy(&ram), 0);

	o.flags = VMOSAL_GUEST_FD;
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	ASSERT_CALLS(vmosal_guest_ram_destroy(&ram), 0, "mem_release", "shm_close");
	c = call_at(1);
	EXPECT_ARGS(c, HANDLE_ARG(VMOSAL_FAKE_SHM_HANDLE));
	ck_assert(ram.handle == VMOSAL_NO_HANDLE);
}
END_TEST

/* ==== topology.h: hwloc answers, the backend is never asked ================== */

START_TEST(test_topology_arguments)
{
	struct vmosal_topology_counts counts = {.struct_size = sizeof counts - 1};
	struct vmosal_pu_info pu = {.struct_size = sizeof pu - 1};
	size_t cpus[4], within[] = {0, 1}, nowhere[] = {SIZE_MAX};
	uint64_t bytes;

	ASSERT_NO_CALL(vmosal_topology_counts(NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_counts(&counts), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_pu(0, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_pu(0, &pu), VMOSAL_EINVAL);
	pu.struct_size = sizeof pu;
	ASSERT_NO_CALL(vmosal_topology_pu(SIZE_MAX, &pu), VMOSAL_ERANGE);
	ASSERT_NO_CALL(vmosal_topology_cache_size(1, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_cache_size(0, &bytes), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_cache_size(6, &bytes), VMOSAL_EINVAL);

	ASSERT_NO_CALL(vmosal_topology_place(1, VMOSAL_PLACE_SPREAD, -1, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place(0, VMOSAL_PLACE_SPREAD, -1, cpus), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place(1, (enum vmosal_placement)2, -1, cpus),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place(1, VMOSAL_PLACE_COMPACT, -2, cpus), VMOSAL_EINVAL);

	ASSERT_NO_CALL(vmosal_topology_place_within(1, VMOSAL_PLACE_SPREAD, -1, NULL, 1, cpus),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place_within(1, VMOSAL_PLACE_SPREAD, -1, within, 0, cpus),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place_within(1, VMOSAL_PLACE_SPREAD, -1, within, 2, NULL),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place_within(0, VMOSAL_PLACE_SPREAD, -1, within, 2, cpus),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place_within(1, (enum vmosal_placement)-1, -1, within, 2,
						    cpus),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place_within(1, VMOSAL_PLACE_SPREAD, -3, within, 2, cpus),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place_within(1, VMOSAL_PLACE_SPREAD, -1, nowhere, 1, cpus),
		       VMOSAL_ERANGE);
}
END_TEST

START_TEST(test_topology_never_asks_the_backend)
{
	struct vmosal_topology_counts counts = VMOSAL_STRUCT_INIT(struct vmosal_topology_counts);
	struct vmosal_pu_info pu = VMOSAL_STRUCT_INIT(struct vmosal_pu_info);
	size_t cpus[4], within[] = {0, 1};

	ASSERT_NO_CALL(vmosal_topology_load(), 0);
	ASSERT_NO_CALL(vmosal_topology_counts(&counts), 0);
	ASSERT_NO_CALL(vmosal_topology_pu(0, &pu), 0);
	ASSERT_NO_CALL(vmosal_topology_place(4, VMOSAL_PLACE_SPREAD, -1, cpus), 0);
	ASSERT_NO_CALL(vmosal_topology_place_within(4, VMOSAL_PLACE_COMPACT, -1, within, 2, cpus),
		       0);
}
END_TEST

/* ==== memory.h, the reservation contract: on a real backend ================== */

/* A granule every OS maps at: the page size, or Windows' 64 KiB. */
static size_t granule;

static void find_granule(void)
{
	struct vmosal_host_caps caps = VMOSAL_STRUCT_INIT(struct vmosal_host_caps);

	ck_assert_int_eq(vmosal_host_caps(&caps), 0);
	granule = vmosal_page_size();
	if (caps.map_granularity > granule)
		granule = (size_t)caps.map_granularity;
}

static char *reserve(size_t granules)
{
	void *p = NULL;

	ck_assert_int_eq(vmosal_mem_reserve(granules * granule, 0, &p), 0);
	return p;
}

static int map_into(char *addr, size_t granules)
{
	return vmosal_mem_map_reserved(addr, granules * granule, RW, ANON_PRIVATE,
				       VMOSAL_NO_HANDLE, 0);
}

/* Mapping where no reservation is fails, and leaves what is there. */
START_TEST(test_map_reserved_outside_a_reservation)
{
	char *plain = NULL, *r;

	ck_assert_int_eq(vmosal_mmap(NULL, 2 * granule, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0,
				     (void **)&plain),
			 0);
	plain[0] = 42;
	ck_assert_int_eq(map_into(plain, 1), VMOSAL_EINVAL);
	ck_assert_int_eq(plain[0], 42);
	ck_assert_int_eq(vmosal_munmap(plain, 2 * granule), 0);

	/* Across a reservation's end, or past it. */
	r = reserve(4);
	ck_assert_int_eq(map_into(r + 3 * granule, 2), VMOSAL_EINVAL);
	ck_assert_int_eq(map_into(r - granule, 2), VMOSAL_EINVAL);
	ck_assert_int_eq(map_into(r + 4 * granule, 1), VMOSAL_EINVAL);
	/* Still whole: all of it can be mapped. */
	ck_assert_int_eq(map_into(r, 4), 0);
	ck_assert_int_eq(vmosal_mem_release(r, 4 * granule), 0);
	/* Released: no reservation there any more. */
	ck_assert_int_eq(map_into(r, 1), VMOSAL_EINVAL);
}
END_TEST

/* Mapping over a piece already mapped is VMOSAL_EEXIST and keeps its data;
 * next to it is fine. */
START_TEST(test_map_reserved_over_a_mapped_piece)
{
	char *r = reserve(8);

	ck_assert_int_eq(map_into(r + 2 * granule, 2), 0);
	r[2 * granule] = 42;
	r[4 * granule - 1] = 43;
	ck_assert_int_eq(map_into(r + 2 * granule, 2), VMOSAL_EEXIST);
	ck_assert_int_eq(map_into(r + 2 * granule, 1), VMOSAL_EEXIST);
	ck_assert_int_eq(map_into(r + 3 * granule, 1), VMOSAL_EEXIST);
	ck_assert_int_eq(map_into(r + granule, 2), VMOSAL_EEXIST);
	ck_assert_int_eq(map_into(r, 8), VMOSAL_EEXIST);
	ck_assert_int_eq(r[2 * granule], 42);
	ck_assert_int_eq(r[4 * granule - 1], 43);
	ck_assert_int_eq(map_into(r + 4 * granule, 1), 0);
	ck_assert_int_eq(map_into(r + granule, 1), 0);
	ck_assert_int_eq(r[2 * granule], 42);
	ck_assert_int_eq(vmosal_mem_release(r, 8 * granule), 0);
}
END_TEST

/* A reservation is released once, whole, with what is mapped in it. */
START_TEST(test_release_once_and_whole)
{
	char *r = reserve(4);

	ck_assert_int_eq(vmosal_mem_release(r, 2 * granule), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_mem_release(r + granule, 3 * granule), VMOSAL_EINVAL);
	ck_assert_int_eq(map_into(r, 1), 0);
	ck_assert_int_eq(map_into(r + 2 * granule, 2), 0);
	ck_assert_int_eq(vmosal_mem_release(r, 4 * granule), 0);
	ck_assert_int_eq(vmosal_mem_release(r, 4 * granule), VMOSAL_EINVAL);
	ck_assert_int_eq(map_into(r, 1), VMOSAL_EINVAL);
}
END_TEST

/* Unmapping inside a reservation takes exactly one mapped piece, which is
 * reserved again (mappable again); any other range touching it is
 * VMOSAL_EINVAL. */
START_TEST(test_unmap_a_reserved_piece)
{
	char *r = reserve(8);

	ck_assert_int_eq(map_into(r, 2), 0);
	ck_assert_int_eq(map_into(r + 2 * granule, 2), 0);
	r[0] = 42;
	ck_assert_int_eq(vmosal_munmap(r, granule), VMOSAL_EINVAL);          /* part of one */
	ck_assert_int_eq(vmosal_munmap(r, 4 * granule), VMOSAL_EINVAL);      /* two */
	ck_assert_int_eq(vmosal_munmap(r + 4 * granule, granule), VMOSAL_EINVAL); /* reserved */
	ck_assert_int_eq(vmosal_munmap(r, 8 * granule), VMOSAL_EINVAL);      /* all of it */
	ck_assert_int_eq(vmosal_munmap(r - granule, 3 * granule), VMOSAL_EINVAL); /* its edge */
	ck_assert_int_eq(r[0], 42);
	ck_assert_int_eq(vmosal_munmap(r + 2 * granule, 2 * granule), 0);
	ck_assert_int_eq(vmosal_munmap(r + 2 * granule, 2 * granule), VMOSAL_EINVAL);
	ck_assert_int_eq(map_into(r + granule, 2), VMOSAL_EEXIST);
	ck_assert_int_eq(map_into(r + 2 * granule, 6), 0);
	r[2 * granule] = 1;
	ck_assert_int_eq(r[0], 42);
	ck_assert_int_eq(vmosal_mem_release(r, 8 * granule), 0);
}
END_TEST

/* FIXED over a reservation would replace it behind the record: refused
 * (Windows has no FIXED at all). */
START_TEST(test_fixed_over_a_reservation)
{
	char *r = reserve(4);
	void *out = NULL;
	int rc;

	ck_assert_int_eq(map_into(r, 1), 0);
	r[0] = 42;
	rc = vmosal_mmap(r, granule, RW, ANON_PRIVATE | VMOSAL_MAP_FIXED, VMOSAL_NO_HANDLE, 0,
			 &out);
	ck_assert_msg(rc == VMOSAL_EINVAL || rc == VMOSAL_ENOTSUP, "FIXED over a piece: %s",
		      vmosal_err_name(rc));
	rc = vmosal_mmap(r + 2 * granule, granule, RW, ANON_PRIVATE | VMOSAL_MAP_FIXED,
			 VMOSAL_NO_HANDLE, 0, &out);
	ck_assert_msg(rc == VMOSAL_EINVAL || rc == VMOSAL_ENOTSUP, "FIXED over reserved: %s",
		      vmosal_err_name(rc));
	ck_assert_int_eq(r[0], 42);
	ck_assert_int_eq(map_into(r + 2 * granule, 1), 0);
	ck_assert_int_eq(vmosal_mem_release(r, 4 * granule), 0);
}
END_TEST

/* Two threads map the same piece at once, with no step between them: one
 * wins, the other is told EEXIST, never both OK. Bounded by rounds. */
struct map_race {
	char *addr;
	_Atomic int go;
	int rc;
};

static void *race_map(void *arg)
{
	struct map_race *m = arg;

	while (atomic_load(&m->go) == 0)
		;
	m->rc = map_into(m->addr, 1);
	return NULL;
}

START_TEST(test_map_reserved_race)
{
	for (int round = 0; round < 200; round++) {
		char *r = reserve(2);
		struct map_race m = {.addr = r + granule};
		vmosal_thread_t *t;
		int mine;

		atomic_init(&m.go, 0);
		ck_assert_int_eq(vmosal_thread_create(NULL, race_map, &m, &t), 0);
		atomic_store(&m.go, 1);
		mine = map_into(r + granule, 1);
		ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
		ck_assert_msg((mine == 0) != (m.rc == 0), "round %d: %s and %s", round,
			      vmosal_err_name(mine), vmosal_err_name(m.rc));
		ck_assert_int_eq(mine != 0 ? mine : m.rc, VMOSAL_EEXIST);
		ck_assert_int_eq(vmosal_mem_release(r, 2 * granule), 0);
	}
}
END_TEST

static Suite *reservation_suite(void)
{
	Suite *s = suite_create("contract_reservations");
	TCase *tc = tcase_create("reservations");

	tcase_add_checked_fixture(tc, find_granule, NULL);
	tcase_add_test(tc, test_map_reserved_outside_a_reservation);
	tcase_add_test(tc, test_map_reserved_over_a_mapped_piece);
	tcase_add_test(tc, test_release_once_and_whole);
	tcase_add_test(tc, test_unmap_a_reserved_piece);
	tcase_add_test(tc, test_fixed_over_a_reservation);
	tcase_add_test(tc, test_map_reserved_race);
	suite_add_tcase(s, tc);
	return s;
}

/* ==== the suite ============================================================= */

static Suite *contract_suite(void)
{
	Suite *s = suite_create("contract");
	TCase *platform = tcase_create("platform");
	TCase *thread = tcase_create("thread");
	TCase *memory = tcase_create("memory");
	TCase *topology = tcase_create("topology");

	tcase_add_checked_fixture(platform, fresh_record, NULL);
	tcase_add_test(platform, test_init_and_backend_identity);
	tcase_add_test(platform, test_backend_info_struct_rules);
	tcase_add_test(platform, test_backend_error_arguments);
	tcase_add_test(platform, test_host_facts_come_from_the_load);
	tcase_add_test(platform, test_cpu_count);
	tcase_add_test(platform, test_host_memory);
	tcase_add_test(platform, test_accel_probe_arguments);
	tcase_add_test(platform, test_accel_probe_dispatch);
	tcase_add_test(platform, test_accel_probe_backend_errors);
	tcase_add_test(platform, test_host_caps);
	tcase_add_test(platform, test_host_caps_without_optional_slots);
	tcase_add_test(platform, test_struct_size_upper_bound);
	tcase_add_test(platform, test_struct_size_one_page_past);
	suite_add_tcase(s, platform);

	tcase_add_checked_fixture(thread, fresh_record, NULL);
	tcase_add_test(thread, test_thread_self);
	tcase_add_test(thread, test_thread_tid_arguments);
	tcase_add_test(thread, test_thread_create_arguments);
	tcase_add_test(thread, test_thread_create_applies_options_first);
	tcase_add_test(thread, test_thread_create_defaults);
	tcase_add_test(thread, test_thread_create_backend_errors);
	tcase_add_test(thread, test_thread_create_without_optional_slots);
	tcase_add_test(thread, test_thread_join);
	tcase_add_test(thread, test_set_priority);
	tcase_add_test(thread, test_get_priority);
	tcase_add_test(thread, test_priority_without_optional_slots);
	tcase_add_test(thread, test_set_name);
	tcase_add_test(thread, test_get_name);
	tcase_add_test(thread, test_names_without_optional_slots);
	tcase_add_test(thread, test_current_cpu);
	tcase_add_test(thread, test_set_affinity);
	tcase_add_test(thread, test_get_affinity);
	tcase_add_test(thread, test_affinity_without_optional_slots);
	suite_add_tcase(s, thread);

	tcase_add_checked_fixture(memory, fresh_record, NULL);
	tcase_add_test(memory, test_mmap_arguments);
	tcase_add_test(memory, test_mmap_dispatch);
	tcase_add_test(memory, test_range_rules);
	tcase_add_test(memory, test_range_dispatch);
	tcase_add_test(memory, test_prot_advice_and_sync_values);
	tcase_add_test(memory, test_memory_without_optional_slots);
	tcase_add_test(memory, test_mem_reserve);
	tcase_add_test(memory, test_mem_map_reserved);
	tcase_add_test(memory, test_huge_page_sizes);
	tcase_add_test(memory, test_huge_page_pool);
	tcase_add_test(memory, test_shm_create_arguments);
	tcase_add_test(memory, test_shm_create_dispatch);
	tcase_add_test(memory, test_shm_close);
	tcase_add_test(memory, test_jit_create);
	tcase_add_test(memory, test_jit_flush);
	tcase_add_test(memory, test_jit_destroy);
	tcase_add_test(memory, test_jit_write_window);
	tcase_add_test(memory, test_guest_ram_alloc_arguments);
	tcase_add_test(memory, test_guest_ram_alloc_host_checks);
	tcase_add_test(memory, test_guest_ram_alloc_default);
	tcase_add_test(memory, test_guest_ram_alloc_guards_and_alignment);
	tcase_add_test(memory, test_guest_ram_alloc_granule);
	tcase_add_test(memory, test_guest_ram_alloc_flags);
	tcase_add_test(memory, test_guest_ram_alloc_fd);
	tcase_add_test(memory, test_guest_ram_alloc_failures_undo_everything);
	tcase_add_test(memory, test_guest_ram_alloc_thp_advice);
	tcase_add_test(memory, test_guest_ram_prealloc);
	tcase_add_test(memory, test_guest_ram_free);
	suite_add_tcase(s, memory);

	tcase_add_checked_fixture(topology, fresh_record, NULL);
	tcase_add_test(topology, test_topology_arguments);
	tcase_add_test(topology, test_topology_never_asks_the_backend);
	suite_add_tcase(s, topology);
	return s;
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
	snprintf(plugin, sizeof plugin, "%s/vmosal_fake_record%s", fakes, LT_MODULE_EXT);
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
	fake.remove = (int (*)(const char *))module_symbol(module, "vmosal_fake_record_remove");
	fake.granularity =
		(void (*)(uint64_t))module_symbol(module, "vmosal_fake_record_granularity");
	if (fake.reset == NULL || fake.count == NULL || fake.get == NULL ||
	    fake.set_failure == NULL || fake.remove == NULL || fake.granularity == NULL)
		return "the recording backend lacks a control function";
	return NULL;
}

#ifdef VMOSAL_CONTRACT_BACKEND
static const char *const contract_backend = VMOSAL_CONTRACT_BACKEND;
#else
static const char *const contract_backend = NULL;
#endif

/* The contracts a backend keeps itself, on a real one ("": the host's). */
static int run_on_backend(const char *name)
{
	int rc = name[0] != '\0' ? vmosal_init_backend(name) : vmosal_init();

	if (rc != 0) {
		fprintf(stderr, "check_contract: backend %s: %s\n%s\n",
			name[0] != '\0' ? name : "(default)", vmosal_err_name(rc),
			vmosal_test_backend_error());
		return 99;
	}
	return vmosal_run_suite(reservation_suite());
}

int main(void)
{
	const char *why;

	if (contract_backend != NULL)
		return run_on_backend(contract_backend);
	why = load_recording_backend();
	if (why != NULL) {
		fprintf(stderr, "check_contract: %s\n", why);
		return 99; /* a hard error to the test driver, not a failure */
	}
	return vmosal_run_suite(contract_suite());
}
