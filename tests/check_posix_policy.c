/* The shared POSIX code's pure decisions (backends/posix/posix_policy.c),
 * run on every host with each OS's facts: which SEGV and BUS deliveries
 * the fault guard takes. */
#include "config.h"

#include <stdint.h>

#include "testutil.h"
#include "vmosal/signal.h"
#include "posix_policy.h"

#define MIN_ADDR ((uintptr_t)0x10000)

/* Linux: si_code > 0 is the kernel's, SI_KERNEL without an address. */
START_TEST(test_linux_fault_kinds)
{
	/* SEGV_MAPERR, SEGV_ACCERR, BUS_ADRERR, BUS_MCEERR_AR */
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_LINUX, VMOSAL_SIGSEGV, 1), POSIX_FAULT_AT_ADDR);
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_LINUX, VMOSAL_SIGSEGV, 2), POSIX_FAULT_AT_ADDR);
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_LINUX, VMOSAL_SIGBUS, 2), POSIX_FAULT_AT_ADDR);
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_LINUX, VMOSAL_SIGBUS, 4), POSIX_FAULT_AT_ADDR);
	/* x86 #GP (a non-canonical pointer): SI_KERNEL, si_addr 0. */
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_LINUX, VMOSAL_SIGSEGV, 0x80),
			 POSIX_FAULT_NO_ADDR);
	/* SI_USER, SI_QUEUE, SI_TKILL */
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_LINUX, VMOSAL_SIGSEGV, 0), POSIX_FAULT_SENT);
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_LINUX, VMOSAL_SIGBUS, -1), POSIX_FAULT_SENT);
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_LINUX, VMOSAL_SIGSEGV, -6), POSIX_FAULT_SENT);
	/* Not a fault signal at all. */
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_LINUX, VMOSAL_SIGUSR1, 1), POSIX_FAULT_SENT);
}
END_TEST

/* Darwin, as XNU's sendsig fills si_code: protection faults are SIGBUS
 * BUS_ADRERR, an unmapped page SIGSEGV SEGV_MAPERR, Intel's #GP SIGSEGV
 * with 0; SI_USER and its kin start at 0x10001. */
START_TEST(test_darwin_fault_kinds)
{
	/* PROT_NONE guard, write to a read-only page, exec of a NX page. */
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_DARWIN, VMOSAL_SIGBUS, 2), POSIX_FAULT_AT_ADDR);
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_DARWIN, VMOSAL_SIGSEGV, 1), POSIX_FAULT_AT_ADDR);
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_DARWIN, VMOSAL_SIGSEGV, 2), POSIX_FAULT_AT_ADDR);
	/* A non-canonical pointer on Intel: taken, not mistaken for kill(). */
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_DARWIN, VMOSAL_SIGSEGV, 0),
			 POSIX_FAULT_NO_ADDR);
	/* SI_USER, SI_QUEUE, SI_MESGQ */
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_DARWIN, VMOSAL_SIGSEGV, 0x10001),
			 POSIX_FAULT_SENT);
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_DARWIN, VMOSAL_SIGBUS, 0x10002),
			 POSIX_FAULT_SENT);
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_DARWIN, VMOSAL_SIGBUS, 0x10005),
			 POSIX_FAULT_SENT);
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_DARWIN, VMOSAL_SIGBUS, 0), POSIX_FAULT_SENT);
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_DARWIN, VMOSAL_SIGBUS, -1), POSIX_FAULT_SENT);
	/* Linux's SI_KERNEL means nothing there: a code like any other. */
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_DARWIN, VMOSAL_SIGSEGV, 0x80),
			 POSIX_FAULT_AT_ADDR);
}
END_TEST

START_TEST(test_other_fault_kinds)
{
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_OTHER, VMOSAL_SIGBUS, 2), POSIX_FAULT_AT_ADDR);
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_OTHER, VMOSAL_SIGSEGV, 0), POSIX_FAULT_SENT);
	ck_assert_int_eq(posix_fault_kind(POSIX_OS_OTHER, VMOSAL_SIGSEGV, 0x10001),
			 POSIX_FAULT_SENT);
}
END_TEST

/* The guard takes a fault at or above 64 KiB, or one with no address;
 * never a sent one, nor fn's own NULL dereference. */
START_TEST(test_guard_takes)
{
	ck_assert(posix_guard_takes(POSIX_FAULT_AT_ADDR, MIN_ADDR, MIN_ADDR));
	ck_assert(posix_guard_takes(POSIX_FAULT_AT_ADDR, UINTPTR_MAX, MIN_ADDR));
	ck_assert(!posix_guard_takes(POSIX_FAULT_AT_ADDR, MIN_ADDR - 1, MIN_ADDR));
	ck_assert(!posix_guard_takes(POSIX_FAULT_AT_ADDR, 0, MIN_ADDR));
	ck_assert(posix_guard_takes(POSIX_FAULT_NO_ADDR, 0, MIN_ADDR));
	ck_assert(!posix_guard_takes(POSIX_FAULT_SENT, 0x12345000, MIN_ADDR));
	/* End to end: Darwin's #GP and PROT_NONE guard, Linux's #GP. */
	ck_assert(posix_guard_takes(posix_fault_kind(POSIX_OS_DARWIN, VMOSAL_SIGSEGV, 0), 0,
				    MIN_ADDR));
	ck_assert(posix_guard_takes(posix_fault_kind(POSIX_OS_DARWIN, VMOSAL_SIGBUS, 2),
				    0x7f0000001000u, MIN_ADDR));
	ck_assert(posix_guard_takes(posix_fault_kind(POSIX_OS_LINUX, VMOSAL_SIGSEGV, 0x80), 0,
				    MIN_ADDR));
	ck_assert(!posix_guard_takes(posix_fault_kind(POSIX_OS_LINUX, VMOSAL_SIGSEGV, 0),
				     0x7f0000001000u, MIN_ADDR));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("posix_policy");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, test_linux_fault_kinds);
	tcase_add_test(tc, test_darwin_fault_kinds);
	tcase_add_test(tc, test_other_fault_kinds);
	tcase_add_test(tc, test_guard_takes);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
