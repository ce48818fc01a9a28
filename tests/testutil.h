/* Helpers shared by the Check suites. */
#ifndef VMOSAL_TESTUTIL_H
#define VMOSAL_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmosal.h"

/* Check has no skip verdict: say why on stderr, where 'make check' keeps it
 * in the test's .log, and end the test. */
#define VMOSAL_SKIP(...)                                                   \
	do {                                                               \
		fprintf(stderr, "SKIP %s: ", __func__);                    \
		fprintf(stderr, __VA_ARGS__);                              \
		fputc('\n', stderr);                                       \
		return;                                                    \
	} while (0)

/* False under CK_FORK=no, where a test that must crash cannot run. */
static inline bool vmosal_test_forks(void)
{
	const char *f = getenv("CK_FORK");
	return f == NULL || strcmp(f, "no") != 0;
}

/* The calling thread's id, asserting that it can be had. */
static inline vmosal_tid_t vmosal_test_self(void)
{
	vmosal_tid_t tid = 0;
	ck_assert_int_eq(vmosal_thread_self(&tid), 0);
	ck_assert_uint_ne(tid, 0);
	return tid;
}

/* vmosal_backend_error() into a static buffer, for assertions. */
static inline const char *vmosal_test_backend_error(void)
{
	static char buf[8192];
	vmosal_backend_error(buf, sizeof buf);
	return buf;
}

/* Runs one suite and turns its verdict into the exit status. */
static inline int vmosal_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
