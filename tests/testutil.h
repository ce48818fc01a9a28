/* Helpers shared by the Check suites. */
#ifndef VMOSAL_TESTUTIL_H
#define VMOSAL_TESTUTIL_H

#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmosal.h"

/* Check has no skip verdict: a skipping test appends
 * "<test>\t<iteration>\t<reason>\n" here and vmosal_run_suite() turns its
 * case into a TAP "# SKIP". A file opened before the run, so it reaches the
 * parent from a forked test as well as under CK_FORK=no. */
static int vmosal_test_skip_fd = -1;

static inline void vmosal_test_skip_record(int iteration, const char *fmt, ...)
	CK_ATTRIBUTE_FORMAT(printf, 2, 3);

static inline void vmosal_test_skip_record(int iteration, const char *fmt, ...)
{
	char line[512];
	size_t head, len;
	va_list ap;

	snprintf(line, sizeof line, "%s\t%d\t", tcase_name(), iteration);
	head = strlen(line);
	va_start(ap, fmt);
	vsnprintf(line + head, sizeof line - head - 1, fmt, ap);
	va_end(ap);
	/* Tab and newline delimit the record; a reason keeps to one TAP line. */
	for (len = head; line[len] != '\0'; len++)
		if (line[len] == '\t' || line[len] == '\n' || line[len] == '\r')
			line[len] = ' ';
	line[len++] = '\n';
	/* One appended write per record, so no two records interleave. */
	if (vmosal_test_skip_fd < 0 || write(vmosal_test_skip_fd, line, len) != (ssize_t)len)
		fprintf(stderr, "SKIP %.*s", (int)len, line);
}

/* Ends the calling test as skipped, giving a printf-style reason. Only in
 * a START_TEST body: _i is Check's loop iteration there. */
#define VMOSAL_SKIP(...)                                                   \
	do {                                                               \
		vmosal_test_skip_record(_i, __VA_ARGS__);                  \
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

/* An already unlinked file in $TMPDIR, so nothing is left behind even when
 * a test drops root or the run crashes; -1 on failure. */
static inline int vmosal_test_tmpfile(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	snprintf(path, sizeof path, "%s/vmosal-check-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd >= 0) {
		unlink(path);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	return fd;
}

/* The whole of fd from its start, NUL-terminated; NULL on failure. */
static inline char *vmosal_test_read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *text = (char *)malloc(cap);
	ssize_t got;

	if (text == NULL || lseek(fd, 0, SEEK_SET) < 0) {
		free(text);
		return NULL;
	}
	while ((got = read(fd, text + len, cap - len - 1)) > 0) {
		len += (size_t)got;
		if (cap - len == 1) {
			char *more = (char *)realloc(text, cap * 2);

			if (more == NULL)
				break;
			text = more;
			cap *= 2;
		}
	}
	text[len] = '\0';
	return text;
}

/* Check's results name the tcase but keep the test's own name private.
 * srunner_print() at CK_VERBOSE is the one public place it shows, as
 * "file:line:type:tcase:test:iteration: message", a line per result in
 * srunner_results() order. Finds tr's line at or after *pos and returns its
 * test name, cut out in place, and its iteration; NULL when no line matches. */
static inline const char *vmosal_test_name(char **pos, TestResult *tr, int *iteration)
{
	const char *tcase = tr_tcname(tr);
	size_t tcase_len = strlen(tcase);
	char head[1024];
	char *line, *next;
	int head_len;

	/* Check hands a NULL file to printf, which glibc prints so. */
	head_len = snprintf(head, sizeof head, "%s:%d:",
			    tr_lfile(tr) != NULL ? tr_lfile(tr) : "(null)", tr_lno(tr));
	if (head_len < 0 || (size_t)head_len >= sizeof head)
		return NULL;
	for (line = *pos; *line != '\0'; line = next) {
		char *type_end, *name, *name_end, *iter_end;

		next = strchr(line, '\n');
		next = next != NULL ? next + 1 : line + strlen(line);
		if (strncmp(line, head, (size_t)head_len) != 0)
			continue;
		type_end = strchr(line + head_len, ':');
		if (type_end == NULL || type_end >= next ||
		    strncmp(type_end + 1, tcase, tcase_len) != 0 || type_end[1 + tcase_len] != ':')
			continue;
		name = type_end + 2 + tcase_len;
		name_end = strchr(name, ':');
		if (name_end == NULL || name_end >= next)
			continue;
		*iteration = (int)strtol(name_end + 1, &iter_end, 10);
		if (iter_end == name_end + 1 || *iter_end != ':')
			continue;
		*name_end = '\0';
		*pos = next;
		return name;
	}
	return NULL;
}

/* Prints text into a TAP line: '#' escaped so a message never reads as a
 * directive, line breaks as spaces. */
static inline void vmosal_test_tap_text(const char *text)
{
	for (; *text != '\0'; text++) {
		if (*text == '#')
			fputs("\\#", stdout);
		else if (*text == '\n' || *text == '\r')
			putchar(' ');
		else
			putchar(*text);
	}
}

/* One TAP line for case number k: its tcase and test name (NULL: unknown),
 * then a skip reason or, when it failed, Check's location and message. */
static inline void vmosal_test_tap_case(int k, TestResult *tr, const char *test,
					const char *skip_reason)
{
	bool ok = tr_rtype(tr) == CK_PASS;

	printf("%s %d - ", ok ? "ok" : "not ok", k);
	vmosal_test_tap_text(tr_tcname(tr));
	if (test != NULL) {
		putchar(':');
		vmosal_test_tap_text(test);
	}
	if (skip_reason != NULL) {
		printf(" # SKIP %s", skip_reason);
	} else if (!ok) {
		printf(": %s:%d: ", tr_lfile(tr) != NULL ? tr_lfile(tr) : "(null)", tr_lno(tr));
		vmosal_test_tap_text(tr_msg(tr) != NULL ? tr_msg(tr) : "");
	}
	putchar('\n');
}

struct vmosal_test_skip {
	const char *test;
	int iteration;
	const char *reason;
	bool used;
};

/* Splits "<test>\t<iteration>\t<reason>\n" records in place; returns how
 * many. */
static inline size_t vmosal_test_parse_skips(char *text, struct vmosal_test_skip **out)
{
	struct vmosal_test_skip *skips;
	size_t count = 0, i = 0;
	char *line, *p;

	for (p = text; *p != '\0'; p++)
		count += *p == '\n';
	skips = (struct vmosal_test_skip *)calloc(count + 1, sizeof *skips);
	*out = skips;
	if (skips == NULL)
		return 0;
	for (line = text; i < count && (p = strchr(line, '\n')) != NULL; line = p + 1) {
		char *tab = strchr(line, '\t'), *reason = NULL;

		*p = '\0';
		if (tab != NULL)
			skips[i].iteration = (int)strtol(tab + 1, &reason, 10);
		if (reason == NULL || *reason != '\t')
			continue;
		*tab = '\0';
		skips[i].test = line;
		skips[i].reason = reason + 1;
		i++;
	}
	return i;
}

/* The reason the test gave for skipping this case, or NULL. A record goes
 * to the first case of its test and iteration not yet matched: cases run,
 * and record, in the order the results list them. */
static inline const char *vmosal_test_skip_reason(struct vmosal_test_skip *skips, size_t count,
						  const char *test, int iteration, TestResult *tr)
{
	size_t i;

	if (test == NULL)
		return NULL;
	for (i = 0; i < count; i++) {
		if (skips[i].used || skips[i].iteration != iteration ||
		    strcmp(skips[i].test, test) != 0)
			continue;
		skips[i].used = true;
		/* A test that skipped and then failed, in a teardown, failed. */
		return tr_rtype(tr) == CK_PASS ? skips[i].reason : NULL;
	}
	return NULL;
}

/* Runs one suite and reports each case as TAP on stdout, for automake's
 * tap-driver: "ok", "not ok" with Check's location and message, or
 * "ok ... # SKIP <reason>"; "1..0 # SKIP" when every case skipped. Check's
 * own report goes to stderr, the test's log. Exits 0 when nothing failed. */
static inline int vmosal_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int names_fd = vmosal_test_tmpfile();
	int tap_fd, failed, n, i, nskipped = 0;
	struct vmosal_test_skip *skips = NULL;
	size_t nskips = 0;
	char *names = NULL, *skip_text = NULL, *pos;
	TestResult **results = NULL;
	const char **tests = NULL, **reasons = NULL;

	vmosal_test_skip_fd = vmosal_test_tmpfile();
	/* stdout, kept aside while Check runs: only TAP may reach it. */
	fflush(stdout);
	tap_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (names_fd < 0 || vmosal_test_skip_fd < 0 || tap_fd < 0) {
		printf("Bail out! cannot make a temporary file in $TMPDIR or keep stdout\n");
		srunner_free(sr);
		return EXIT_FAILURE;
	}
	fcntl(vmosal_test_skip_fd, F_SETFL, O_APPEND);

	/* What Check and the tests print goes to the log, on stderr. */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	srunner_run_all(sr, CK_NORMAL);
	fflush(stdout);
	dup2(names_fd, STDOUT_FILENO);
	srunner_print(sr, CK_VERBOSE);
	fflush(stdout);
	dup2(tap_fd, STDOUT_FILENO);
	close(tap_fd);

	n = srunner_ntests_run(sr);
	failed = srunner_ntests_failed(sr);
	names = vmosal_test_read_all(names_fd);
	skip_text = vmosal_test_read_all(vmosal_test_skip_fd);
	close(names_fd);
	close(vmosal_test_skip_fd);
	vmosal_test_skip_fd = -1;
	if (skip_text != NULL)
		nskips = vmosal_test_parse_skips(skip_text, &skips);
	if (n > 0) {
		results = srunner_results(sr);
		tests = (const char **)calloc((size_t)n, sizeof *tests);
		reasons = (const char **)calloc((size_t)n, sizeof *reasons);
	}
	if (n > 0 && (names == NULL || skip_text == NULL || tests == NULL || reasons == NULL)) {
		printf("Bail out! cannot read back the results\n");
		failed = 1;
		n = 0;
	}

	pos = names;
	for (i = 0; i < n; i++) {
		int iter = -1;

		tests[i] = vmosal_test_name(&pos, results[i], &iter);
		reasons[i] = vmosal_test_skip_reason(skips, nskips, tests[i], iter, results[i]);
		nskipped += reasons[i] != NULL;
	}

	if (n > 0 && nskipped == n) {
		for (i = 0; i < n; i++)
			printf("# %s:%s: %s\n", tr_tcname(results[i]), tests[i], reasons[i]);
		printf("1..0 # SKIP %s\n", reasons[0]);
	} else if (n > 0) {
		printf("1..%d\n", n);
		for (i = 0; i < n; i++)
			vmosal_test_tap_case(i + 1, results[i], tests[i], reasons[i]);
	} else if (failed == 0) {
		printf("1..0 # SKIP no test case ran\n");
	}
	fflush(stdout);

	free(tests);
	free(reasons);
	free(results);
	free(skips);
	free(skip_text);
	free(names);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
