/* The backend loader: precedence, refusals, retries, debug output and the
 * elevated-privilege rules. Each test runs in its own forked process, so
 * each starts with no backend loaded. */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "vmosal.h"
#include "vmosal/backend.h"

static char fake_path[4096];

static const char *fake(const char *name)
{
	snprintf(fake_path, sizeof fake_path, "%s/vmosal_fake_%s%s", getenv("VMOSAL_TEST_FAKES"),
		 name, LT_MODULE_EXT);
	return fake_path;
}

/* True when a file of that name is mapped into this process. */
static bool is_mapped(const char *path)
{
	char line[8192];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof line, f) != NULL)
		found = strstr(line, path) != NULL;
	fclose(f);
	return found;
}

START_TEST(test_default_backend)
{
	struct vmosal_backend_info info = VMOSAL_STRUCT_INIT(struct vmosal_backend_info);

	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_str_eq(vmosal_backend_name(), VMOSAL_DEFAULT_BACKEND);
	ck_assert_int_eq(vmosal_backend_info(&info), 0);
	ck_assert_str_eq(info.name, VMOSAL_DEFAULT_BACKEND);
	ck_assert_ptr_nonnull(strstr(info.path, getenv("VMOSAL_BACKEND_PATH")));
	ck_assert_uint_eq(info.abi_version >> 16, VMOSAL_BACKEND_ABI_MAJOR);
	ck_assert_str_eq(vmosal_test_backend_error(), "");
	ck_assert_int_eq(vmosal_backend_info(NULL), VMOSAL_EINVAL);
}
END_TEST

static void *init_from_thread(void *arg)
{
	(void)arg;
	return vmosal_init() == 0 ? (void *)vmosal_backend_name() : NULL;
}

START_TEST(test_init_is_idempotent_across_threads)
{
	pthread_t threads[8];
	void *names[8];

	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&threads[i], NULL, init_from_thread, NULL), 0);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_join(threads[i], &names[i]), 0);
	for (int i = 0; i < 8; i++) {
		ck_assert_ptr_nonnull(names[i]);
		ck_assert_ptr_eq(names[i], names[0]);
	}
	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_ptr_eq(vmosal_backend_name(), names[0]);
}
END_TEST

START_TEST(test_env_name)
{
	setenv("VMOSAL_BACKEND", VMOSAL_DEFAULT_BACKEND, 1);
	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_str_eq(vmosal_backend_name(), VMOSAL_DEFAULT_BACKEND);
}
END_TEST

START_TEST(test_env_path)
{
	size_t n;

	setenv("VMOSAL_BACKEND", fake("good"), 1);
	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_str_eq(vmosal_backend_name(), "fake");
	/* Host facts come from the backend that was loaded. */
	ck_assert_str_eq(vmosal_host_os(), "fakeos");
	ck_assert_str_eq(vmosal_os_release(), "1.2.3-fake");
	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_USABLE, &n), 0);
	ck_assert_uint_eq(n, 4);
}
END_TEST

START_TEST(test_env_name_in_backend_path)
{
	char path[8192];

	/* A bare name is searched in every VMOSAL_BACKEND_PATH directory. */
	snprintf(path, sizeof path, "%s:/nonexistent:%s", getenv("VMOSAL_BACKEND_PATH"),
		 getenv("VMOSAL_TEST_FAKES"));
	setenv("VMOSAL_BACKEND_PATH", path, 1);
	setenv("VMOSAL_BACKEND", "fake_good", 1);
	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_str_eq(vmosal_backend_name(), "fake");
}
END_TEST

START_TEST(test_explicit_beats_env)
{
	setenv("VMOSAL_BACKEND", fake("good"), 1);
	ck_assert_int_eq(vmosal_init_backend(VMOSAL_DEFAULT_BACKEND), 0);
	ck_assert_str_eq(vmosal_backend_name(), VMOSAL_DEFAULT_BACKEND);
	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_str_eq(vmosal_backend_name(), VMOSAL_DEFAULT_BACKEND);
}
END_TEST

START_TEST(test_explicit_rules)
{
	ck_assert_int_eq(vmosal_init_backend(NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_init_backend(""), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_init_backend(fake("good")), 0);
	/* Once loaded, the same backend is fine, another one is busy. */
	ck_assert_int_eq(vmosal_init_backend("fake"), 0);
	ck_assert_int_eq(vmosal_init_backend(fake("good")), 0);
	ck_assert_int_eq(vmosal_init_backend(VMOSAL_DEFAULT_BACKEND), VMOSAL_EBUSY);
	ck_assert_str_eq(vmosal_backend_name(), "fake");
}
END_TEST

START_TEST(test_newer_minor_is_accepted)
{
	struct vmosal_backend_info info = VMOSAL_STRUCT_INIT(struct vmosal_backend_info);

	setenv("VMOSAL_BACKEND", fake("newerminor"), 1);
	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_int_eq(vmosal_backend_info(&info), 0);
	ck_assert_str_eq(info.name, "fake-newer");
	ck_assert_uint_eq(info.abi_version & 0xffff, 0x7f);
	ck_assert_uint_gt(vmosal_page_size(), 0);
}
END_TEST

/* A loaded backend's fini runs once, when the process exits. */
START_TEST(test_fini_runs_at_exit)
{
	char mark[4096], buf[64] = "";
	int status = 0;
	pid_t pid;
	FILE *f;

	snprintf(mark, sizeof mark, "%s/tmp-fini-%ld", getenv("VMOSAL_TEST_BUILDDIR"),
		 (long)getpid());
	unlink(mark);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv("VMOSAL_TEST_FINI_MARK", mark, 1);
		_exit(vmosal_init_backend(fake("fini")) == 0 ? 0 : 3);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	/* _exit skips atexit work: fini must not have run. */
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_ne(access(mark, F_OK), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv("VMOSAL_TEST_FINI_MARK", mark, 1);
		exit(vmosal_init_backend(fake("fini")) == 0 ? 0 : 3);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	f = fopen(mark, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(buf, 1, sizeof buf - 1, f), 5);
	fclose(f);
	unlink(mark);
	ck_assert_str_eq(buf, "fini\n");
}
END_TEST

/* The loader must refuse, say why, keep nothing loaded, and let the caller
 * try another backend afterwards. */
static void expect_refusal(const char *spec, const char *why)
{
	char copy[4096];
	size_t n;

	snprintf(copy, sizeof copy, "%s", spec);
	setenv("VMOSAL_BACKEND", copy, 1);
	ck_assert_int_eq(vmosal_init(), VMOSAL_EBACKEND);
	ck_assert_int_eq(vmosal_init(), VMOSAL_EBACKEND);
	ck_assert_ptr_nonnull(strstr(vmosal_test_backend_error(), copy));
	if (strstr(vmosal_test_backend_error(), why) == NULL)
		ck_abort_msg("error '%s' does not say '%s'", vmosal_test_backend_error(), why);
	ck_assert_ptr_null(vmosal_backend_name());
	ck_assert_str_eq(vmosal_host_os(), "unknown");
	ck_assert_uint_eq(vmosal_page_size(), 0);
	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_ONLINE, &n), VMOSAL_EBACKEND);
	if (copy[0] == '/')
		ck_assert_msg(!is_mapped(copy), "refused plugin %s is still mapped", copy);
	/* A later explicit choice still works: no half-loaded state is left. */
	ck_assert_int_eq(vmosal_init_backend(VMOSAL_DEFAULT_BACKEND), 0);
	ck_assert_str_eq(vmosal_backend_name(), VMOSAL_DEFAULT_BACKEND);
	ck_assert_str_eq(vmosal_test_backend_error(), "");
}

START_TEST(test_refuses_missing_file)
{
	expect_refusal("/nonexistent/vmosal_nothing.so", "cannot load");
}
END_TEST

START_TEST(test_refuses_non_library)
{
	char dir[4096], path[4200];
	FILE *f;

	snprintf(dir, sizeof dir, "%s/tmp-loader-XXXXXX", getenv("VMOSAL_TEST_BUILDDIR"));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/vmosal_text%s", dir, LT_MODULE_EXT);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("this is not a shared object\n", f);
	fclose(f);
	expect_refusal(path, "cannot load");
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_refuses_missing_entry)
{
	expect_refusal(fake("noentry"), "no vmosal_backend_entry symbol");
}
END_TEST

START_TEST(test_refuses_other_major)
{
	expect_refusal(fake("badmajor"), "ABI 3.0");
}
END_TEST

/* A plugin built for the interface before the 2.0 revision. */
START_TEST(test_refuses_old_major)
{
	expect_refusal(fake("oldmajor"), "ABI 1.0, but this libvmosal speaks ABI 2.x");
}
END_TEST

START_TEST(test_refuses_short_table)
{
	expect_refusal(fake("short"), "needs at least");
}
END_TEST

START_TEST(test_refuses_missing_mandatory_slot)
{
	expect_refusal(fake("missingslot"), "mandatory slot 'mem_info'");
}
END_TEST

START_TEST(test_refuses_failed_init)
{
	expect_refusal(fake("initfail"), "backend init failed: EPERM");
}
END_TEST

START_TEST(test_refuses_null_table)
{
	expect_refusal(fake("noops"), "returned no ops table");
}
END_TEST

START_TEST(test_unknown_name_is_not_substituted)
{
	expect_refusal("nosuchbackend", "vmosal_nosuchbackend");
}
END_TEST

START_TEST(test_invalid_name)
{
	expect_refusal("bad name!", "not a backend name");
}
END_TEST

START_TEST(test_debug_explains_each_path)
{
	char path[4096], log[8192] = "";
	int fd, saved;
	ssize_t n;

	snprintf(path, sizeof path, "%s/tmp-debug-XXXXXX", getenv("VMOSAL_TEST_BUILDDIR"));
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	setenv("VMOSAL_DEBUG", "loader", 1);
	setenv("VMOSAL_BACKEND", fake("badmajor"), 1);
	ck_assert_int_eq(vmosal_init(), VMOSAL_EBACKEND);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	n = pread(fd, log, sizeof log - 1, 0);
	ck_assert_int_gt(n, 0);
	close(fd);
	close(saved);
	unlink(path);
	ck_assert_ptr_nonnull(strstr(log, "vmosal: loader: trying "));
	ck_assert_ptr_nonnull(strstr(log, "refused: ABI 3.0"));
}
END_TEST

/* Runs the helper setgid to a group we are not in: the kernel then sets
 * AT_SECURE, exactly as for a setuid or file-capability VMM binary. */
START_TEST(test_privileged_process_ignores_env_paths)
{
	char dir[4096], helper[4200], cmd[16384], out[8192] = "";
	const char *builddir = getenv("VMOSAL_TEST_BUILDDIR");
	FILE *p;
	size_t n;

	if (geteuid() != 0)
		VMOSAL_SKIP("needs root to make a setgid helper");
	snprintf(dir, sizeof dir, "%s/tmp-secure-XXXXXX", builddir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(helper, sizeof helper, "%s/helper_secure", dir);
	snprintf(cmd, sizeof cmd, "cp '%s/helper_secure' '%s'", builddir, helper);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(chown(helper, 0, 65534), 0);
	ck_assert_int_eq(chmod(helper, 02755), 0);

	snprintf(cmd, sizeof cmd,
		 "VMOSAL_BACKEND='%s' VMOSAL_DEBUG=loader '%s' 2>/dev/null", fake("good"), helper);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	pclose(p);
	unlink(helper);
	rmdir(dir);

	if (strstr(out, "secure=1") == NULL)
		VMOSAL_SKIP("the build directory does not honour setgid (nosuid mount?): %s", out);
	/* The fake named by path was not loaded; only the installed directory
	 * was searched for the default backend. */
	ck_assert_ptr_null(strstr(out, "loaded=fake"));
	if (strstr(out, "loaded=") != NULL) {
		ck_assert_ptr_nonnull(strstr(out, "path=" VMOSAL_BACKEND_DIR "/"));
	} else {
		ck_assert_ptr_nonnull(strstr(out, "VMOSAL_BACKEND path ignored"));
		ck_assert_ptr_nonnull(strstr(out, VMOSAL_BACKEND_DIR "/vmosal_"));
		ck_assert_ptr_null(strstr(out, getenv("VMOSAL_BACKEND_PATH")));
	}
}
END_TEST

/* Every loader test needs a process with no backend loaded yet: Check's
 * fork mode gives each one, and under CK_FORK=no tests/testutil.h does. */
#undef tcase_add_test
#define tcase_add_test vmosal_tcase_add_own_process

int main(void)
{
	Suite *s = suite_create("loader");
	TCase *ok = tcase_create("choice");
	TCase *refuse = tcase_create("refusals");
	TCase *secure = tcase_create("secure");

	tcase_add_test(ok, test_default_backend);
	tcase_add_test(ok, test_init_is_idempotent_across_threads);
	tcase_add_test(ok, test_env_name);
	tcase_add_test(ok, test_env_path);
	tcase_add_test(ok, test_env_name_in_backend_path);
	tcase_add_test(ok, test_explicit_beats_env);
	tcase_add_test(ok, test_explicit_rules);
	tcase_add_test(ok, test_newer_minor_is_accepted);
	tcase_add_test(refuse, test_refuses_missing_file);
	tcase_add_test(refuse, test_refuses_non_library);
	tcase_add_test(refuse, test_refuses_missing_entry);
	tcase_add_test(refuse, test_refuses_other_major);
	tcase_add_test(refuse, test_refuses_old_major);
	tcase_add_test(refuse, test_fini_runs_at_exit);
	tcase_add_test(refuse, test_refuses_short_table);
	tcase_add_test(refuse, test_refuses_missing_mandatory_slot);
	tcase_add_test(refuse, test_refuses_failed_init);
	tcase_add_test(refuse, test_refuses_null_table);
	tcase_add_test(refuse, test_unknown_name_is_not_substituted);
	tcase_add_test(refuse, test_invalid_name);
	tcase_add_test(refuse, test_debug_explains_each_path);
	tcase_add_test(secure, test_privileged_process_ignores_env_paths);
	suite_add_tcase(s, ok);
	suite_add_tcase(s, refuse);
	suite_add_tcase(s, secure);
	return vmosal_run_suite(s);
}
