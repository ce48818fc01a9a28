/* Helpers shared by the Check suites. */
#ifndef VMOSAL_TESTUTIL_H
#define VMOSAL_TESTUTIL_H

#include <stdio.h>
#ifdef __MINGW32__
/* Check formats its messages with its own C99 vsnprintf, but gcc reads
 * its format(printf) attributes as msvcrt's printf, which knows no %jd. */
#define printf gnu_printf
#include <check.h>
#undef printf
#else
#include <check.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _WIN32
/* No fork there: Check runs with CK_FORK=no, every case in one process. */
#include <io.h>
#include <windows.h>
#else
#include <dirent.h>
#include <sys/resource.h>
#include <sys/wait.h>
#endif
#ifdef __linux__
#include <sched.h>
#include <sys/syscall.h>
#endif

#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

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

/* Set when built with a sanitizer, whose runtime stands in for some libc
 * calls: it makes mlock a no-op, for one. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define VMOSAL_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer)
#define VMOSAL_TEST_SANITIZED 1
#endif
#endif

/* Set under TSan, whose runtime does not support fork() in a process with
 * other threads running: the child may hang in it. */
#if defined(__SANITIZE_THREAD__)
#define VMOSAL_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VMOSAL_TEST_TSAN 1
#endif
#endif

/* The signal a protection fault (a PROT_NONE guard, a write to a
 * read-only page, running a page that is not executable) raises: SIGBUS
 * on Darwin (XNU's KERN_PROTECTION_FAILURE), SIGSEGV elsewhere. */
#if defined(__APPLE__)
#define VMOSAL_TEST_PROT_SIGNAL SIGBUS
#define VMOSAL_TEST_PROT_VSIGNAL VMOSAL_SIGBUS
#else
#define VMOSAL_TEST_PROT_SIGNAL SIGSEGV
#define VMOSAL_TEST_PROT_VSIGNAL VMOSAL_SIGSEGV
#endif

/* True under valgrind, which runs one thread at a time and every
 * instruction tens of times slower: loops that count in the tens of
 * thousands there run a few hundred times instead. VMOSAL_TEST_VALGRIND
 * says so where valgrind.h was missing at build time. */
static inline bool vmosal_test_under_valgrind(void)
{
#ifdef RUNNING_ON_VALGRIND
	if (RUNNING_ON_VALGRIND)
		return true;
#endif
	return getenv("VMOSAL_TEST_VALGRIND") != NULL;
}

/* The user-mode emulator running the suite (qemu-aarch64...), as the cross
 * stages' runner says (tests/test-runner.sh), or NULL. qemu-user emulates
 * system calls, not all of the kernel: mincore residency, MAP_HUGETLB,
 * mbind, discarding madvise and device ioctls differ or are missing. */
static inline const char *vmosal_test_emulator(void)
{
	const char *e = getenv("VMOSAL_TEST_EMULATOR");

	return e != NULL && e[0] != '\0' ? e : NULL;
}

/* Ends the calling test as skipped under an emulator lacking `what`. */
#define VMOSAL_SKIP_IF_EMULATED(what)                                              \
	do {                                                                       \
		const char *emulator_ = vmosal_test_emulator();                    \
		if (emulator_ != NULL)                                             \
			VMOSAL_SKIP("%.*s does not emulate %s",                    \
				    (int)strcspn(emulator_, " "), emulator_, what); \
	} while (0)

/* n, or `slow` under valgrind or an emulator. */
static inline long vmosal_test_rounds(long n, long slow)
{
	return (vmosal_test_under_valgrind() || vmosal_test_emulator() != NULL) && n > slow
		       ? slow
		       : n;
}

/* A deadline for a forked child of a test: on a hang SIGALRM ends that
 * child alone, and the test sees it die. The child would otherwise run
 * Check's own SIGALRM handler, inherited from the runner, which kills the
 * test's whole process group: the test then reads "Received signal 9"
 * instead of the failure it would have reported. */
#ifndef _WIN32
static inline void vmosal_test_child_deadline(unsigned seconds)
{
	signal(SIGALRM, SIG_DFL);
	alarm(seconds);
}
#endif

/* False under CK_FORK=no, where Check itself cannot run a test that must
 * crash: vmosal_tcase_add_test_raise_signal() runs it in a child then. */
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
#ifdef _WIN32
	char dir[MAX_PATH], path[MAX_PATH];

	/* Deleted when its last descriptor closes. */
	if (GetTempPathA(sizeof dir, dir) == 0 || GetTempFileNameA(dir, "vmo", 0, path) == 0)
		return -1;
	return _open(path, _O_RDWR | _O_BINARY | _O_TEMPORARY | _O_TRUNC | _O_NOINHERIT);
#else
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
#endif
}

/* Writes to fd always go to its end (skip records from several places). */
static inline void vmosal_test_append_only(int fd)
{
#ifdef _WIN32
	/* One process writes them there: the end is where it is. */
	(void)fd;
#else
	fcntl(fd, F_SETFL, O_APPEND);
#endif
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

/* ---- descriptors a suite leaves open ---- */
enum { VMOSAL_TEST_FD_MAX = 1024 };

/* Marks the open descriptors below VMOSAL_TEST_FD_MAX (valgrind keeps its
 * own above); false where /proc/self/fd cannot be read. */
static inline bool vmosal_test_open_fds(bool open_fds[VMOSAL_TEST_FD_MAX])
{
#ifdef _WIN32
	/* No list of a process's handles to compare there. */
	(void)open_fds;
	return false;
#else
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (d == NULL)
		return false;
	memset(open_fds, 0, VMOSAL_TEST_FD_MAX * sizeof open_fds[0]);
	while ((de = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (end != de->d_name && *end == '\0' && fd >= 0 && fd < VMOSAL_TEST_FD_MAX &&
		    fd != dirfd(d))
			open_fds[fd] = true;
	}
	closedir(d);
	return true;
#endif
}

/* "<fd> -> <target>" for each descriptor open after but not before, into
 * out; the number of them. */
static inline int vmosal_test_fd_leaks(const bool *before, const bool *after, char *out,
				       size_t cap)
{
	size_t len = 0;
	int count = 0;

	out[0] = '\0';
	for (int fd = 0; fd < VMOSAL_TEST_FD_MAX; fd++) {
		char link[64], target[256] = "?";
		ssize_t n;

		if (!after[fd] || before[fd])
			continue;
		count++;
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
#ifdef _WIN32
		n = 0;
#else
		n = readlink(link, target, sizeof target - 1);
#endif
		target[n > 0 ? n : 1] = '\0';
		if (len < cap)
			len += (size_t)snprintf(out + len, cap - len, "%s%d -> %s",
						count > 1 ? ", " : "", fd, target);
	}
	return count;
}

#ifdef __linux__
/* The system calls, as the backend makes them: musl's sched_getscheduler,
 * sched_setscheduler and sched_getparam are stubs failing with ENOSYS. */
static inline int vmosal_test_getscheduler(pid_t tid)
{
	return (int)syscall(SYS_sched_getscheduler, tid);
}

static inline int vmosal_test_setscheduler(pid_t tid, int policy, const struct sched_param *p)
{
	return (int)syscall(SYS_sched_setscheduler, tid, policy, p);
}

static inline int vmosal_test_getparam(pid_t tid, struct sched_param *p)
{
	return (int)syscall(SYS_sched_getparam, tid, p);
}

/* The calling thread's CPUs, scheduling class and nice value, which tests
 * change. As a checked fixture, save and restore give each test the
 * thread as the first test had it, under CK_FORK=no too. Restoring what
 * needs privilege may fail without root: the tests that need it skip. */
static struct {
	cpu_set_t cpus;
	int policy, nice;
	struct sched_param param;
} vmosal_test_sched;

static inline void vmosal_test_sched_save(void)
{
	ck_assert_int_eq(sched_getaffinity(0, sizeof vmosal_test_sched.cpus,
					   &vmosal_test_sched.cpus), 0);
	vmosal_test_sched.policy = vmosal_test_getscheduler(0);
	ck_assert_int_ge(vmosal_test_sched.policy, 0);
	ck_assert_int_eq(vmosal_test_getparam(0, &vmosal_test_sched.param), 0);
	errno = 0;
	vmosal_test_sched.nice = getpriority(PRIO_PROCESS, 0);
	ck_assert_int_eq(errno, 0);
}

static inline void vmosal_test_sched_restore(void)
{
	vmosal_test_setscheduler(0, vmosal_test_sched.policy, &vmosal_test_sched.param);
	setpriority(PRIO_PROCESS, 0, vmosal_test_sched.nice);
	sched_setaffinity(0, sizeof vmosal_test_sched.cpus, &vmosal_test_sched.cpus);
}
#endif

#ifndef _WIN32
/* ---- a process of its own under CK_FORK=no ------------------------------
 * Check's fork mode gives each test a fresh process. Under CK_FORK=no one
 * process runs them all, so a test that needs what only a fresh process has
 * (no backend loaded yet, VMOSAL_FSROOT or the topology not yet read) or
 * that leaves the process changed for good (a dropped uid) says so when it
 * is added, and then runs in a fresh exec of this program that runs it
 * alone and reports back. A test that must die of a signal runs in a forked
 * child instead, after its tcase's fixtures, and must die of that signal. */

enum { VMOSAL_TEST_OWN_MAX = 64 };

struct vmosal_test_own {
	const TTest *test;
	TTest stand_in; /* the test's name and place, run by vmosal_test_own_run */
	int signal;     /* that must end it, forked; 0: exec'd afresh */
};

static struct vmosal_test_own vmosal_test_owns[VMOSAL_TEST_OWN_MAX];
static int vmosal_test_nowns;

/* Runs test alone in this process, without Check's fork, and writes how it
 * went to fd report: "P", "S\t<reason>" or "F\t<line>\t<file>\n<message>".
 * From a forked child this run nests in the one the parent had started,
 * the one nesting Check supports. */
static inline void vmosal_test_own_report(const TTest *test, int report)
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

/* In the exec'd program: VMOSAL_TEST_OWN is "<index>:<test name>" and
 * VMOSAL_TEST_OWN_FD the report's descriptor. main() added the same tests
 * in the same order, so the index finds the test again. */
static inline int vmosal_test_own_main(Suite *s, const char *which)
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
	if (k < 0 || k >= vmosal_test_nowns || vmosal_test_owns[k].signal != 0 ||
	    strcmp(vmosal_test_owns[k].test->name, name) != 0) {
		dprintf(report, "F\t0\t(none)\nno test %s at %d in the exec'd program", name, k);
		return 0;
	}
	vmosal_test_own_report(vmosal_test_owns[k].test, report);
	return 0;
}

/* Execs this program afresh to run test k; only returns on failure. */
static inline void vmosal_test_own_exec(int k, int report)
{
	char self[PATH_MAX], which[256], fd_text[16];
	char *argv[2];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n <= 0)
		return;
	self[n] = '\0';
	snprintf(which, sizeof which, "%d:%s", k, vmosal_test_owns[k].test->name);
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
static inline void vmosal_test_own_run(int _i)
{
	struct vmosal_test_own *o = &vmosal_test_owns[_i];
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
			vmosal_test_own_report(o->test, report);
		else
			vmosal_test_own_exec(_i, report);
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

static inline void vmosal_test_own_add(TCase *tc, const TTest *test, int signal)
{
	struct vmosal_test_own *o;

	if (vmosal_test_nowns == VMOSAL_TEST_OWN_MAX) {
		fprintf(stderr, "testutil.h: more than %d own-process tests\n",
			VMOSAL_TEST_OWN_MAX);
		abort();
	}
	o = &vmosal_test_owns[vmosal_test_nowns];
	o->test = test;
	o->signal = signal;
	o->stand_in = *test;
	o->stand_in.fn = vmosal_test_own_run;
	/* The loop index tells the stand-in which test it runs. */
	tcase_add_loop_test(tc, &o->stand_in, vmosal_test_nowns, vmosal_test_nowns + 1);
	vmosal_test_nowns++;
}

/* Adds a test that needs a fresh process: the backend not yet loaded,
 * settings read once not yet read, or a change (uid, limits) that must not
 * outlive it. Under CK_FORK=no it runs in a fresh exec of this program,
 * without its tcase's fixtures. */
static inline void vmosal_tcase_add_own_process(TCase *tc, const TTest *test)
{
	if (vmosal_test_forks())
		tcase_add_test(tc, test);
	else
		vmosal_test_own_add(tc, test, 0);
}

/* Adds a test that must die of signal: under CK_FORK=no in a child forked
 * after its tcase's fixtures ran. */
static inline void vmosal_tcase_add_test_raise_signal(TCase *tc, const TTest *test, int signal)
{
	if (vmosal_test_forks())
		tcase_add_test_raise_signal(tc, test, signal);
	else
		vmosal_test_own_add(tc, test, signal);
}
#else
/* Windows has no fork: every case runs in the one process (CK_FORK=no),
 * so a suite built there adds no test that needs a process of its own. */
static inline int vmosal_test_own_main(Suite *s, const char *which)
{
	(void)s;
	(void)which;
	return 125;
}
#endif

/* Runs one suite and reports each case as TAP on stdout, for automake's
 * tap-driver: "ok", "not ok" with Check's location and message, or
 * "ok ... # SKIP <reason>"; "1..0 # SKIP" when every case skipped. Check's
 * own report goes to stderr, the test's log. One more "not ok" names the
 * descriptors the run left open, if any. Exits 0 when nothing failed. */
static inline int vmosal_run_suite(Suite *s)
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

	if (n > 0 && nskipped == n && nleaks == 0) {
		for (i = 0; i < n; i++)
			printf("# %s:%s: %s\n", tr_tcname(results[i]), tests[i], reasons[i]);
		printf("1..0 # SKIP %s\n", reasons[0]);
	} else if (n > 0 || nleaks > 0) {
		printf("1..%d\n", n + (nleaks > 0));
		for (i = 0; i < n; i++)
			vmosal_test_tap_case(i + 1, results[i], tests[i], reasons[i]);
	} else if (failed == 0) {
		printf("1..0 # SKIP no test case ran\n");
	}
	if (nleaks > 0) {
		printf("not ok %d - descriptor leak: the suite left %d open: ", n + 1, nleaks);
		vmosal_test_tap_text(leaks);
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

#endif
