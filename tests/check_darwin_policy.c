/* The Darwin backend's pure decisions (backends/darwin/darwin_policy.c),
 * run on every host: the priority and QoS tables, Mach time units, the
 * __ulock_wait timeout, affinity tags, available memory, the
 * Hypervisor.framework verdict and sysctl strings. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"
#include "vmosal/backend.h"
#include "darwin_policy.h"

START_TEST(test_qos_of_priority)
{
	unsigned qos = 0;

	ck_assert_int_eq(darwin_qos_of_priority(VMOSAL_PRIORITY_LOW, &qos), 0);
	ck_assert_uint_eq(qos, DARWIN_QOS_UTILITY);
	ck_assert_int_eq(darwin_qos_of_priority(VMOSAL_PRIORITY_NORMAL, &qos), 0);
	ck_assert_uint_eq(qos, DARWIN_QOS_DEFAULT);
	ck_assert_int_eq(darwin_qos_of_priority(VMOSAL_PRIORITY_HIGH, &qos), 0);
	ck_assert_uint_eq(qos, DARWIN_QOS_USER_INTERACTIVE);
	/* REALTIME is the Mach policy, and later levels are unknown. */
	ck_assert_int_eq(darwin_qos_of_priority(VMOSAL_PRIORITY_REALTIME, &qos), VMOSAL_ENOTSUP);
	ck_assert_int_eq(darwin_qos_of_priority(VMOSAL_PRIORITY_REALTIME + 1, &qos),
			 VMOSAL_ENOTSUP);
	ck_assert_int_eq(darwin_qos_of_priority(-1, &qos), VMOSAL_ENOTSUP);
}
END_TEST

START_TEST(test_priority_of_qos)
{
	unsigned qos = 0;

	/* Every level reads back as itself. */
	for (int prio = VMOSAL_PRIORITY_LOW; prio <= VMOSAL_PRIORITY_HIGH; prio++) {
		ck_assert_int_eq(darwin_qos_of_priority(prio, &qos), 0);
		ck_assert_int_eq(darwin_priority_of_qos(qos), prio);
	}
	/* Classes set from outside land on the nearest level. */
	ck_assert_int_eq(darwin_priority_of_qos(DARWIN_QOS_USER_INITIATED), VMOSAL_PRIORITY_HIGH);
	ck_assert_int_eq(darwin_priority_of_qos(DARWIN_QOS_BACKGROUND), VMOSAL_PRIORITY_LOW);
	ck_assert_int_eq(darwin_priority_of_qos(DARWIN_QOS_UNSPECIFIED), VMOSAL_PRIORITY_NORMAL);
}
END_TEST

START_TEST(test_abs_of_ns)
{
	/* Intel: units are nanoseconds. */
	ck_assert_uint_eq(darwin_abs_of_ns(5000000, 1, 1), 5000000);
	/* Apple silicon: 24 MHz, 125/3 ns a unit. */
	ck_assert_uint_eq(darwin_abs_of_ns(5000000, 125, 3), 120000);
	ck_assert_uint_eq(darwin_abs_of_ns(10000000, 125, 3), 240000);
	ck_assert_uint_eq(darwin_abs_of_ns(124, 125, 3), 2);
	/* Too long for 32 bits, and no overflow on the way there. */
	ck_assert_uint_eq(darwin_abs_of_ns(UINT64_MAX, 1, 1), UINT32_MAX);
	ck_assert_uint_eq(darwin_abs_of_ns(UINT64_MAX, 1, UINT32_MAX), UINT32_MAX);
}
END_TEST

START_TEST(test_realtime_policy)
{
	static const uint32_t bases[][2] = {{1, 1}, {125, 3}};

	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		struct darwin_time_constraint tc;
		uint32_t numer = bases[i][0], denom = bases[i][1];

		darwin_realtime_policy(numer, denom, &tc);
		/* What XNU's thread_policy_set accepts. */
		ck_assert_uint_le(tc.computation, tc.constraint);
		ck_assert_uint_ge(tc.computation, darwin_abs_of_ns(50000, numer, denom));
		ck_assert_uint_le(tc.computation, darwin_abs_of_ns(50000000, numer, denom));
		ck_assert_uint_ge(tc.period, tc.constraint);
		ck_assert(tc.preemptible);
	}
}
END_TEST

START_TEST(test_ulock_timeout)
{
	uint32_t us = 0;

	ck_assert(!darwin_ulock_timeout_us(1, &us));
	ck_assert_uint_eq(us, 1);
	ck_assert(!darwin_ulock_timeout_us(1000, &us));
	ck_assert_uint_eq(us, 1);
	/* Rounded up: a wait never ends before its time. */
	ck_assert(!darwin_ulock_timeout_us(1001, &us));
	ck_assert_uint_eq(us, 2);
	/* 0 would mean "no limit" to __ulock_wait. */
	ck_assert(!darwin_ulock_timeout_us(0, &us));
	ck_assert_uint_ne(us, 0);
	ck_assert(!darwin_ulock_timeout_us((int64_t)UINT32_MAX * 1000, &us));
	ck_assert_uint_eq(us, UINT32_MAX);
	ck_assert(darwin_ulock_timeout_us((int64_t)UINT32_MAX * 1000 + 1, &us));
	ck_assert_uint_eq(us, UINT32_MAX);
	ck_assert(darwin_ulock_timeout_us(INT64_MAX, &us));
	ck_assert_uint_eq(us, UINT32_MAX);
}
END_TEST

START_TEST(test_affinity_tag)
{
	const size_t some[] = {3, 1, 2}, zero[] = {0}, highest[] = {SIZE_MAX};

	ck_assert_int_eq(darwin_affinity_tag(some, 3), 2);
	/* Never THREAD_AFFINITY_TAG_NULL (0), never negative. */
	ck_assert_int_eq(darwin_affinity_tag(zero, 1), 1);
	ck_assert_int_gt(darwin_affinity_tag(highest, 1), 0);
}
END_TEST

START_TEST(test_available_bytes)
{
	ck_assert_uint_eq(darwin_available_bytes(10, 5, 16384), 15u * 16384);
	ck_assert_uint_eq(darwin_available_bytes(UINT64_MAX, 1, 4096), UINT64_MAX);
	ck_assert_uint_eq(darwin_available_bytes(UINT64_MAX / 2, 0, 4096), UINT64_MAX);
}
END_TEST

START_TEST(test_hvf_verdict)
{
	struct vmosal_backend_accel a;

	memset(&a, 0, sizeof a);
	darwin_hvf_verdict(-1, ENOENT, 0, DARWIN_ENTITLED, &a);
	ck_assert_int_eq(a.error, VMOSAL_ENOENT);
	ck_assert_uint_eq(a.checks, 0);
	ck_assert(strstr(a.reason, "Hypervisor.framework") != NULL);

	memset(&a, 0, sizeof a);
	darwin_hvf_verdict(0, 0, 0, DARWIN_ENTITLED, &a);
	ck_assert_int_eq(a.error, VMOSAL_ENOTSUP);
	ck_assert_uint_eq(a.checks, VMOSAL_ACCEL_CHECK_OPENED);
	ck_assert(strstr(a.reason, "nested") != NULL);

	memset(&a, 0, sizeof a);
	darwin_hvf_verdict(0, 0, 1, DARWIN_ENTITLED, &a);
	ck_assert_int_eq(a.error, 0);
	ck_assert_uint_eq(a.checks, VMOSAL_ACCEL_CHECK_OPENED | VMOSAL_ACCEL_CHECK_CAPS);
	ck_assert_str_eq(a.reason, "");

	/* The CPU can, the process may not: not available, and why. */
	memset(&a, 0, sizeof a);
	darwin_hvf_verdict(0, 0, 1, DARWIN_NOT_ENTITLED, &a);
	ck_assert_int_eq(a.error, VMOSAL_EPERM);
	ck_assert_uint_eq(a.checks, VMOSAL_ACCEL_CHECK_OPENED | VMOSAL_ACCEL_CHECK_CAPS);
	ck_assert(strstr(a.reason, "com.apple.security.hypervisor") != NULL);

	memset(&a, 0, sizeof a);
	darwin_hvf_verdict(0, 0, 1, DARWIN_ENTITLEMENT_UNKNOWN, &a);
	ck_assert_int_eq(a.error, VMOSAL_EIO);
	ck_assert(strstr(a.reason, "entitlements") != NULL);

	/* No support: said first, whatever the entitlement. */
	memset(&a, 0, sizeof a);
	darwin_hvf_verdict(0, 0, 0, DARWIN_NOT_ENTITLED, &a);
	ck_assert_int_eq(a.error, VMOSAL_ENOTSUP);
}
END_TEST

START_TEST(test_sysctl_string)
{
	char out[8];

	darwin_sysctl_string("23.4.0", 7, out, sizeof out);
	ck_assert_str_eq(out, "23.4.0");
	/* No NUL in what sysctl returned, and a newline. */
	darwin_sysctl_string("23.4\nxyz", 5, out, sizeof out);
	ck_assert_str_eq(out, "23.4");
	/* Cut to fit, terminated. */
	darwin_sysctl_string("123456789", 10, out, sizeof out);
	ck_assert_str_eq(out, "1234567");
	darwin_sysctl_string("", 1, out, sizeof out);
	ck_assert_str_eq(out, "");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("darwin_policy");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, test_qos_of_priority);
	tcase_add_test(tc, test_priority_of_qos);
	tcase_add_test(tc, test_abs_of_ns);
	tcase_add_test(tc, test_realtime_policy);
	tcase_add_test(tc, test_ulock_timeout);
	tcase_add_test(tc, test_affinity_tag);
	tcase_add_test(tc, test_available_bytes);
	tcase_add_test(tc, test_hvf_verdict);
	tcase_add_test(tc, test_sysctl_string);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
