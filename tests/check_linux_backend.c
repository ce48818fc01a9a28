/* The Linux backend's own contract, called slot by slot as the core would,
 * without the core's checks in front: values a newer core may pass (an
 * advice, accelerator, priority or flag added after this backend was
 * built) must come back VMOSAL_ENOTSUP, never index a table or reach the
 * OS; reservations align as asked and leave no slack. */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "testutil.h"
#include "vmosal.h"
#include "vmosal/backend.h"
#include "direct_backend.h"

static const struct vmosal_backend_ops *ops;
static struct vmosal_backend_caps caps;

static void setup(void)
{
	char why[4200];

	ops = direct_backend_open(getenv("VMOSAL_TEST_FAKES"), "linux", &caps, why, sizeof why);
	ck_assert_msg(ops != NULL, "%s", why);
}

START_TEST(test_caps)
{
	ck_assert_uint_eq(caps.affinity, VMOSAL_AFFINITY_HARD);
	ck_assert_uint_eq(caps.flags, VMOSAL_BACKEND_CAP_AFFINITY_OTHER_THREADS |
					      VMOSAL_BACKEND_CAP_REALTIME);
	ck_assert_uint_eq(caps.thread_name_max, 15);
}
END_TEST

/* One far past any table: a backend that indexed with it would crash. */
#define FAR_PAST (INT_MAX / 8)

START_TEST(test_unknown_values_are_enotsup)
{
	struct vmosal_backend_accel accel = {.struct_size = sizeof accel};
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	void *p = NULL, *q = NULL;

	ck_assert_int_eq(ops->mem_map(NULL, page, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				      VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS, VMOSAL_NO_HANDLE,
				      0, &p),
			 0);
	ck_assert_int_eq(ops->mem_advise(p, page, VMOSAL_MADV_COUNT), VMOSAL_ENOTSUP);
	ck_assert_int_eq(ops->mem_advise(p, page, FAR_PAST), VMOSAL_ENOTSUP);
	ck_assert_int_eq(ops->mem_advise(p, page, -1), VMOSAL_ENOTSUP);
	ck_assert_int_eq(ops->mem_protect(p, page, 0x80), VMOSAL_ENOTSUP);
	ck_assert_int_eq(ops->mem_sync(p, page, VMOSAL_MS_SYNC | 0x80), VMOSAL_ENOTSUP);
	ck_assert_int_eq(ops->mem_map(NULL, page, VMOSAL_PROT_READ,
				      VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS | 0x100,
				      VMOSAL_NO_HANDLE, 0, &q),
			 VMOSAL_ENOTSUP);
	ck_assert_ptr_null(q);
	ck_assert_int_eq(ops->mem_map(NULL, page, VMOSAL_PROT_READ | 0x80,
				      VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS, VMOSAL_NO_HANDLE,
				      0, &q),
			 VMOSAL_ENOTSUP);
	ck_assert_int_eq(ops->shm_create("x", page, 0x80, 0, &h), VMOSAL_ENOTSUP);
	ck_assert_int_eq(h, VMOSAL_NO_HANDLE);
	ck_assert_int_eq(ops->accel_probe(VMOSAL_ACCEL_COUNT, &accel), VMOSAL_ENOTSUP);
	ck_assert_int_eq(ops->accel_probe(FAR_PAST, &accel), VMOSAL_ENOTSUP);
	ck_assert_int_eq(ops->thread_set_priority(0, VMOSAL_PRIORITY_REALTIME + 1), VMOSAL_ENOTSUP);
	ck_assert_int_eq(ops->thread_set_priority(0, -1), VMOSAL_ENOTSUP);
	ck_assert_int_eq(ops->mem_unmap(p, page), 0);
}
END_TEST

/* The alignment is of base + align_offset, as guest RAM needs (its start,
 * after the leading guard), and exactly size bytes stay reserved. */
START_TEST(test_reserve_align_offset)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const size_t align = (size_t)8 << 20;
	void *base = NULL;

	for (size_t guard = 0; guard <= 3 * page; guard += page) {
		size_t size = 2 * guard + ((size_t)2 << 20);
		volatile unsigned char *probe;

		ck_assert_int_eq(ops->mem_reserve(size, align, guard, &base), 0);
		ck_assert_uint_eq(((uintptr_t)base + guard) % align, 0);
		/* Only our range is mapped: mapping NOREPLACE just past
		 * either end must succeed. */
		probe = mmap((char *)base + size, page, PROT_READ,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		ck_assert_ptr_eq((void *)probe, (char *)base + size);
		munmap((void *)probe, page);
		probe = mmap((char *)base - page, page, PROT_READ,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		ck_assert_ptr_eq((void *)probe, (char *)base - page);
		munmap((void *)probe, page);
		ck_assert_int_eq(ops->mem_release(base, size), 0);
	}
}
END_TEST

/* The wait/wake primitive blocks only while the word holds the expected
 * value, and times out. */
START_TEST(test_wait_wake)
{
	uint32_t word = 1;

	ck_assert_int_eq(ops->wait_u32(&word, 0, -1), 0); /* differs: returns at once */
	ck_assert_int_eq(ops->wait_u32(&word, 1, 1000000), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(ops->wake_u32(&word, false), 0);
	ck_assert_int_eq(ops->wake_u32(&word, true), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("linux_backend");
	TCase *tc = tcase_create("slots");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_caps);
	tcase_add_test(tc, test_unknown_values_are_enotsup);
	tcase_add_test(tc, test_reserve_align_offset);
	tcase_add_test(tc, test_wait_wake);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
