/* The run: each case of a suite as a TAP line for automake's tap-driver,
 * with the skip reasons the tests recorded and the descriptors the run
 * left open. */
#include "config.h"

#include "internal.h"

/* Check's results name the tcase but keep the test's own name private.
 * srunner_print() at CK_VERBOSE is the one public place it shows, as
 * "file:line:type:tcase:test:iteration: message", a line per result in
 * srunner_results() order. Finds tr's line at or after *pos and returns its
 * test name, cut out in place, and its iteration; NULL when no line matches. */
static const char *test_name(char **pos, TestResult *tr, int *iteration)
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
static void tap_text(const char *text)
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
static void tap_case(int k, TestResult *tr, const char *test, const char *skip_reason)
{
	bool ok = tr_rtype(tr) == CK_PASS;

	printf("%s %d - ", ok ? "ok" : "not ok", k);
	tap_text(tr_tcname(tr));
	if (test != NULL) {
		putchar(':');
		tap_text(test);
	}
	if (skip_reason != NULL) {
		printf(" # SKIP %s", skip_reason);
	} else if (!ok) {
		printf(": %s:%d: ", tr_lfile(tr) != NULL ? tr_lfile(tr) : "(null)", tr_lno(tr));
		tap_text(tr_msg(tr) != NULL ? tr_msg(tr) : "");
	}
	putchar('\n');
}

int vmosal_run_suite(Suite *s)
{
	const char *own = getenv("VMOSAL_TEST_OWN");
	SRunner *sr;
	int names_fd;
	int tap_fd, failed, n, i, nskipped = 0, nleaks = 0;
	struct vmosal_test_skip *skips = NULL;
	size_t nskips = 0;
	char *names = NULL, *skip_text = NULL, *pos;
	TestResult **results = NULL;
	const char **tests = NULL, **reasons = NULL;
	static bool fds_before[VMOSAL_TEST_FD_MAX], fds_after[VMOSAL_TEST_FD_MAX];
	static char leaks[4096];
	bool fds_known;

	if (own != NULL)
		return vmosal_test_own_main(s, own);
#ifdef _WIN32
	/* TAP lines end in \n alone: the driver reads \r\n as part of them. */
	_setmode(_fileno(stdout), _O_BINARY);
#endif
	sr = srunner_create(s);
	names_fd = vmosal_test_tmpfile();
	vmosal_test_skip_fd = vmosal_test_tmpfile();
	/* stdout, kept aside while Check runs: only TAP may reach it. */
	fflush(stdout);
#ifdef _WIN32
	tap_fd = dup(STDOUT_FILENO);
#else
	tap_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
#endif
	if (names_fd < 0 || vmosal_test_skip_fd < 0 || tap_fd < 0) {
		printf("Bail out! cannot make a temporary file in $TMPDIR or keep stdout\n");
		srunner_free(sr);
		return EXIT_FAILURE;
	}
	vmosal_test_append_only(vmosal_test_skip_fd);

	/* What Check and the tests print goes to the log, on stderr. */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	/* Under CK_FORK=no the tests ran here: what they left open leaked.
	 * (In fork mode each test's process closes its own on exit.) */
	fds_known = vmosal_test_open_fds(fds_before);
	srunner_run_all(sr, CK_NORMAL);
	if (fds_known && vmosal_test_open_fds(fds_after))
		nleaks = vmosal_test_fd_leaks(fds_before, fds_after, leaks, sizeof leaks);
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
		tests = calloc((size_t)n, sizeof *tests);
		reasons = calloc((size_t)n, sizeof *reasons);
	}
	if (n > 0 && (names == NULL || skip_text == NULL || tests == NULL || reasons == NULL)) {
		printf("Bail out! cannot read back the results\n");
		failed = 1;
		n = 0;
	}

	pos = names;
	for (i = 0; i < n; i++) {
		int iter = -1;

		tests[i] = test_name(&pos, results[i], &iter);
		reasons[i] = vmosal_test_skip_reason(skips, nskips, tests[i], iter, results[i]);
		nskipped += reasons[i] != NULL;
	}

	if (n > 0 && nskipped == n && nleaks == 0) {
		for (i = 0; i < n; i++)
			printf("# %s:%s: %s\n", tr_tcname(results[i]), tests[i], reasons[i]);
		printf("1..0 # SKIP %s\n", reasons[0]);
	} else if (n > 0 || nleaks > 0) {
		printf("1..%d\n", n + (nleaks > 0));
		for (i = 0; i < n; i++)
			tap_case(i + 1, results[i], tests[i], reasons[i]);
	} else if (failed == 0) {
		printf("1..0 # SKIP no test case ran\n");
	}
	if (nleaks > 0) {
		printf("not ok %d - descriptor leak: the suite left %d open: ", n + 1, nleaks);
		tap_text(leaks);
		putchar('\n');
		failed++;
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
