// The public headers from C++: they must compile, link with C linkage and
// give the same answers as from C.
#include "config.h"

#include <cstring>

#include "testutil.h"
#include "vmosal.h"

START_TEST(test_cxx_calls)
{
	vmosal_barrier_acquire();
	vmosal_barrier_release();
	vmosal_barrier_full();
	vmosal_barrier_mandatory();
	vmosal_barrier_compiler();
	vmosal_cpu_relax();
	vmosal_barrier_full_fn();
	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_uint_gt(vmosal_page_size(), 0);
	ck_assert(std::strcmp(vmosal_host_arch(), "") != 0);
	ck_assert_str_eq(vmosal_err_name(VMOSAL_EINVAL), "EINVAL");

	struct vmosal_topology_counts counts{};
	counts.struct_size = sizeof counts;
	ck_assert_int_eq(vmosal_topology_counts(&counts), 0);
	ck_assert_uint_gt(counts.pus, 0);

	void *p = nullptr;
	ck_assert_int_eq(vmosal_mmap(nullptr, vmosal_page_size(), VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS, VMOSAL_NO_HANDLE, 0, &p), 0);
	ck_assert_int_eq(vmosal_munmap(p, vmosal_page_size()), 0);
	vmosal_tid_t self = 0;
	ck_assert_int_eq(vmosal_thread_self(&self), 0);
	ck_assert_uint_ne(self, 0);
	void *region = nullptr;
	ck_assert_int_eq(vmosal_mem_reserve(1 << 20, 1 << 20, &region), 0);
	ck_assert_int_eq(vmosal_mem_map_reserved(region, vmosal_page_size(),
						 VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
						 VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS,
						 VMOSAL_NO_HANDLE, 0),
			 0);
	ck_assert_int_eq(vmosal_mem_release(region, 1 << 20), 0);
}
END_TEST

int main()
{
	Suite *s = suite_create("cxx");
	TCase *tc = tcase_create("headers");

	tcase_add_test(tc, test_cxx_calls);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
