/* platform.h's contract: loading, identity, host facts and capabilities,
 * and the struct_size rules every struct shares (common.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"

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
	/* The library's version is its own, never the backend's. */
	ck_assert_uint_eq(vmosal_version(), VMOSAL_VERSION);
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
		struct vmosal_siginfo fault = {.struct_size = huge[i]};
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

void contract_platform(Suite *s)
{
	TCase *tc = tcase_create("platform");

	tcase_add_checked_fixture(tc, fresh_record, NULL);
	tcase_add_test(tc, test_init_and_backend_identity);
	tcase_add_test(tc, test_backend_info_struct_rules);
	tcase_add_test(tc, test_backend_error_arguments);
	tcase_add_test(tc, test_host_facts_come_from_the_load);
	tcase_add_test(tc, test_cpu_count);
	tcase_add_test(tc, test_host_memory);
	tcase_add_test(tc, test_accel_probe_arguments);
	tcase_add_test(tc, test_accel_probe_dispatch);
	tcase_add_test(tc, test_accel_probe_backend_errors);
	tcase_add_test(tc, test_host_caps);
	tcase_add_test(tc, test_struct_size_upper_bound);
	tcase_add_test(tc, test_struct_size_one_page_past);
	suite_add_tcase(s, tc);
}
