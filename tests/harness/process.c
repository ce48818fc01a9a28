/* Processes of their own. Check's fork mode gives each test a fresh
 * process. Under CK_FORK=no one process runs them all, so a test that
 * needs what only a fresh process has (no backend loaded yet, VMOSAL_FSROOT
 * or the topology not yet read) or that leaves the process changed for
 * good (a dropped uid) says so when it is added, and then runs in a fresh
 * exec of this program that runs it alone and reports back. A test that
 * must die of a signal runs in a forked child instead, after its tcase's
 * fixtures, and must die of that signal. Also: a deadline for a test's own
 * children, and descriptors passed between processes. */
#include "config.h"

#include "internal.h"

#ifdef _WIN32
/* Windows has no fork: every case runs in the one process (CK_FORK=no),
 * so a suite built there adds no test that needs a process of its own. */
int vmosal_test_own_main(Suite *s, const char *which)
{
	(void)s;
	(void)which;
	return 125;
}
#else
#include <sys/socket.h>
#include <sys/uio.h>

enum { OWN_MAX = 64 };

struct own {
	const TTest *test;
	TTest stand_in; /* the test's name and place, run by own_run */
	int signal;     /* that must end it, forked; 0: exec'd afresh */
};

static struct own owns[OWN_MAX];
static int nowns;

void vmosal_test_child_deadline(unsigned seconds)
{
	signal(SIGALRM, SIG_DFL);
	alarm(seconds);
}

/* Runs test alone in this process, without Check's fork, and writes how it
 * went to fd report: "P", "S\t<reason>" or "F\t<line>\t<file>\n<message>".
 * From a forked child this run nests in the one the parent had started,
 * the one nesting Check supports. */
static void own_report(const TTest *test, int report)
{
	Suite *s = suite_create("own");
	TCase *tc = tcase_create("own");
	SRunner *sr;
	int skip_fd = vmosal_test_tmpfile();
	char *skip_text = NULL, *reason = NULL;
	TestResult **results, *tr;
	FILE *out;
	static bool fds_before[VMOSAL_TEST_FD_MAX], fds_after[VMOSAL_TEST_FD_MAX];
	static char leaks[4096];
	bool fds_known;
	int nleaks = 0;

	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	if (skip_fd >= 0)
		vmosal_test_append_only(skip_fd);
	vmosal_test_skip_fd = skip_fd;
	fds_known = vmosal_test_open_fds(fds_before);
	srunner_run_all(sr, CK_SILENT);
	if (fds_known && vmosal_test_open_fds(fds_after))
		nleaks = vmosal_test_fd_leaks(fds_before, fds_after, leaks, sizeof leaks);
	vmosal_test_skip_fd = -1;
	if (skip_fd >= 0) {
		skip_text = vmosal_test_read_all(skip_fd);
		close(skip_fd);
	}
	/* "<test>\t<iteration>\t<reason>\n": the reason is the third field. */
	if (skip_text != NULL && (reason = strchr(skip_text, '\t')) != NULL)
		reason = strchr(reason + 1, '\t');
	if (reason != NULL)
		reason[strcspn(reason, "\n")] = '\0';
	out = fdopen(report, "w");
	if (out == NULL)
		_exit(126);
	results = srunner_ntests_run(sr) == 1 ? srunner_results(sr) : NULL;
	tr = results != NULL ? results[0] : NULL;
	if (tr == NULL)
		fprintf(out, "F\t0\t(none)\nthe test did not run");
	else if (tr_rtype(tr) != CK_PASS)
		fprintf(out, "F\t%d\t%s\n%s", tr_lno(tr),
			tr_lfile(tr) != NULL ? tr_lfile(tr) : "(null)",
			tr_msg(tr) != NULL ? tr_msg(tr) : "");
	else if (nleaks > 0)
		fprintf(out, "F\t%d\t%s\ndescriptor leak: the test left %d open: %s", tr_lno(tr),
			tr_lfile(tr) != NULL ? tr_lfile(tr) : "(null)", nleaks, leaks);
	else if (reason != NULL)
		fprintf(out, "S\t%s", reason + 1);
	else
		fputs("P", out);
	fclose(out);
	free(results);
	free(skip_text);
	srunner_free(sr);
}

/* In the exec'd program: VMOSAL_TEST_OWN_FD is the report's descriptor.
 * main() added the same tests in the same order, so the index finds the
 * test again. */
int vmosal_test_own_main(Suite *s, const char *which)
{
	const char *fd_text = getenv("VMOSAL_TEST_OWN_FD");
	int k = atoi(which), report = fd_text != NULL ? atoi(fd_text) : -1;
	char name[256];

	snprintf(name, sizeof name, "%s", strchr(which, ':') != NULL ? strchr(which, ':') + 1 : "");
	/* Nothing the test starts is an own-process run. */
	unsetenv("VMOSAL_TEST_OWN");
	unsetenv("VMOSAL_TEST_OWN_FD");
	srunner_free(srunner_create(s));
	if (report < 0)
		return 125;
	fcntl(report, F_SETFD, FD_CLOEXEC);
	if (k < 0 || k >= nowns || owns[k].signal != 0 || strcmp(owns[k].test->name, name) != 0) {
		dprintf(report, "F\t0\t(none)\nno test %s at %d in the exec'd program", name, k);
		return 0;
	}
	own_report(owns[k].test, report);
	return 0;
}

/* Execs this program afresh to run test k; only returns on failure. */
static void own_exec(int k, int report)
{
	char self[PATH_MAX], which[256], fd_text[16];
	char *argv[2];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n <= 0)
		return;
	self[n] = '\0';
	snprintf(which, sizeof which, "%d:%s", k, owns[k].test->name);
	snprintf(fd_text, sizeof fd_text, "%d", report);
	if (setenv("VMOSAL_TEST_OWN", which, 1) != 0 ||
	    setenv("VMOSAL_TEST_OWN_FD", fd_text, 1) != 0 || fcntl(report, F_SETFD, 0) != 0)
		return;
	argv[0] = self;
	argv[1] = NULL;
	execv(self, argv);
}

/* The body that stands in for test _i under CK_FORK=no: runs it in its own
 * process and passes on its verdict, at the place the test gave. */
static void own_run(int _i)
{
	struct own *o = &owns[_i];
	int report = vmosal_test_tmpfile(), status = 0;
	char *text, *file, *msg;
	pid_t pid;

	ck_assert_msg(report >= 0, "cannot make a temporary file for %s", o->test->name);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (o->signal != 0)
			own_report(o->test, report);
		else
			own_exec(_i, report);
		_exit(o->signal != 0 ? 0 : 127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	text = vmosal_test_read_all(report);
	close(report);
	ck_assert_ptr_nonnull(text);
	if (o->signal != 0 && WIFSIGNALED(status) && WTERMSIG(status) == o->signal) {
		free(text);
		return;
	}
	if (text[0] == 'F' && text[1] == '\t' && (msg = strchr(text, '\n')) != NULL) {
		static char where[1024], why[4096];
		int lno;

		*msg++ = '\0';
		lno = atoi(text + 2);
		file = strchr(text + 2, '\t');
		snprintf(where, sizeof where, "%s", file != NULL ? file + 1 : "(null)");
		snprintf(why, sizeof why, "%s", msg);
		free(text);
		/* Does not return: the copies are static, so whatever Check
		 * keeps of them stays valid. */
		_ck_assert_failed(where, lno, "Failed", "%s", why);
	}
	if (WIFSIGNALED(status))
		ck_abort_msg("%s died of signal %d%s", o->test->name, WTERMSIG(status),
			     o->signal != 0 ? ", not the one it must raise" : "");
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "%s: its process exited with status %d (see the log)", o->test->name,
		      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	ck_assert_msg(o->signal == 0, "%s completed, but must die of signal %d",
		      o->test->name, o->signal);
	if (text[0] == 'S' && text[1] == '\t') {
		vmosal_test_skip_record(_i, "%s", text + 2);
		free(text);
		return;
	}
	ck_assert_msg(text[0] == 'P', "%s: no report from its process", o->test->name);
	free(text);
}

static void own_add(TCase *tc, const TTest *test, int signal)
{
	struct own *o;

	if (nowns == OWN_MAX) {
		fprintf(stderr, "harness: more than %d own-process tests\n", OWN_MAX);
		abort();
	}
	o = &owns[nowns];
	o->test = test;
	o->signal = signal;
	o->stand_in = *test;
	o->stand_in.fn = own_run;
	/* The loop index tells the stand-in which test it runs. */
	tcase_add_loop_test(tc, &o->stand_in, nowns, nowns + 1);
	nowns++;
}

void vmosal_tcase_add_own_process(TCase *tc, const TTest *test)
{
	if (vmosal_test_forks())
		tcase_add_test(tc, test);
	else
		own_add(tc, test, 0);
}

void vmosal_tcase_add_test_raise_signal(TCase *tc, const TTest *test, int signal)
{
	if (vmosal_test_forks())
		tcase_add_test_raise_signal(tc, test, signal);
	else
		own_add(tc, test, signal);
}

bool vmosal_test_send_fd(int sock, int fd)
{
	char byte = 0;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof u.buf};
	struct cmsghdr *c;

	/* All of it set: its padding is sent too (valgrind). */
	memset(u.buf, 0, sizeof u.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(sock, &msg, 0) == 1;
}

int vmosal_test_recv_fd(int sock)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof u.buf};
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (c == NULL || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}
#endif
