/* What the harness's files share among themselves; suites include
 * testutil.h alone. */
#ifndef VMOSAL_HARNESS_INTERNAL_H
#define VMOSAL_HARNESS_INTERNAL_H

#include "testutil.h"

/* skip.c: the file skip records go to ("<test>\t<iteration>\t<reason>\n"),
 * opened before a run so it reaches the parent from a forked test as well
 * as under CK_FORK=no; -1 outside a run. */
extern int vmosal_test_skip_fd;

struct vmosal_test_skip {
	const char *test;
	int iteration;
	const char *reason;
	bool used;
};

/* Splits the records in text, in place, into *out (to free()); returns how
 * many. */
size_t vmosal_test_parse_skips(char *text, struct vmosal_test_skip **out);

/* The reason the test gave for skipping this case, or NULL. */
const char *vmosal_test_skip_reason(struct vmosal_test_skip *skips, size_t count,
				    const char *test, int iteration, TestResult *tr);

/* files.c: writes to fd always go to its end (skip records from several
 * processes). */
void vmosal_test_append_only(int fd);

/* procfs.c: the descriptors a run leaves open. */
enum { VMOSAL_TEST_FD_MAX = 1024 };

/* Marks the open descriptors below VMOSAL_TEST_FD_MAX (valgrind keeps its
 * own above); false where /proc/self/fd cannot be read. */
bool vmosal_test_open_fds(bool open_fds[VMOSAL_TEST_FD_MAX]);

/* "<fd> -> <target>" for each descriptor open after but not before, into
 * out; the number of them. */
int vmosal_test_fd_leaks(const bool *before, const bool *after, char *out, size_t cap);

/* process.c: in a fresh exec of a test program (VMOSAL_TEST_OWN set, to
 * "<index>:<test name>"), runs that one test; returns main's status. */
int vmosal_test_own_main(Suite *s, const char *which);

#endif
