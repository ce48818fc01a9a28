/* The backend loader: precedence, refusals, retries, debug output and the
 * elevated-privilege rules. Each test runs in its own forked process, so
 * each starts with no backend loaded. */
#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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

/* The run's scratch directory, outside the source and build trees: made by
 * main() (the process that outlives every test's child) and removed by it
 * at exit, whatever became of the tests. A test's files go under it, so a
 * test killed half-way leaves nothing once the run ends. Under CK_FORK=no
 * an exec'd copy of this program finds its parent's in the environment. */
static char scratch_dir[4096];
static pid_t scratch_owner;

static const char *scratch(void)
{
	const char *dir = getenv("VMOSAL_TEST_SCRATCH");

	ck_assert_msg(dir != NULL && dir[0] != '\0', "no scratch directory");
	return dir;
}

static int scratch_remove_one(const char *path, const struct stat *st, int flag,
			      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

/* Only in the process that made it: a forked test's exit must not take
 * the directory from the tests after it. */
static void scratch_remove(void)
{
	if (scratch_owner != 0 && getpid() == scratch_owner)
		nftw(scratch_dir, scratch_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void scratch_make(void)
{
	const char *tmp = getenv("TMPDIR");
	const char *have = getenv("VMOSAL_TEST_SCRATCH");

	if (have != NULL && have[0] != '\0')
		return;
	if (tmp == NULL || tmp[0] != '/')
		tmp = "/tmp";
	snprintf(scratch_dir, sizeof scratch_dir, "%s/vmosal-check_loader-XXXXXX", tmp);
	if (mkdtemp(scratch_dir) == NULL) {
		fprintf(stderr, "cannot make a scratch directory in %s: %s\n", tmp,
			strerror(errno));
		exit(99);
	}
	scratch_owner = getpid();
	setenv("VMOSAL_TEST_SCRATCH", scratch_dir, 1);
	atexit(scratch_remove);
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

/* Whether this libc unmaps a library at its last dlclose: musl never does,
 * so there a refused plugin stays mapped whatever the loader does. */
static bool dlclose_unmaps(void)
{
	char path[4096];
	void *h;

	snprintf(path, sizeof path, "%s", fake("noentry"));
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_ptr_nonnull(h);
	dlclose(h);
	return !is_mapped(path);
}

START_TEST(test_default_backend)
{
	struct vmosal_backend_info info = VMOSAL_STRUCT_INIT(struct vmosal_backend_info);

	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_str_eq(vmosal_backend_name(), VMOSAL_DEFAULT_BACKEND);
	ck_assert_int_eq(vmosal_backend_info(&info), 0);
	ck_assert_str_eq(info.name, VMOSAL_DEFAULT_BACKEND);
	ck_assert_ptr_nonnull(strstr(info.path, getenv("VMOSAL_BACKEND_PATH")));
	ck_assert_uint_eq(VMOSAL_BACKEND_ABI_MAJOR_OF(info.abi_version), VMOSAL_BACKEND_ABI_MAJOR);
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
	ck_assert_uint_eq(VMOSAL_BACKEND_ABI_MINOR_OF(info.abi_version), 0x7f);
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

	snprintf(mark, sizeof mark, "%s/fini-%ld", scratch(), (long)getpid());
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

static int return_seven(void *arg)
{
	(void)arg;
	return 7;
}

/* A plugin of the previous minor (2.0) loads, works for what 2.0 has, and
 * every call 2.1 added answers ENOTSUP instead of calling past its table. */
START_TEST(test_previous_minor_gets_enotsup)
{
	struct vmosal_backend_info info = VMOSAL_STRUCT_INIT(struct vmosal_backend_info);
	struct vmosal_kick_target k = VMOSAL_STRUCT_INIT(struct vmosal_kick_target);
	struct vmosal_siginfo si = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);
	enum vmosal_signal usr1 = VMOSAL_SIGUSR1;
	vmosal_signal_handler_t *h;
	vmosal_handle_t handle;
	uint64_t value;
	void *p = NULL;
	int os = 0;

	ck_assert_int_eq(vmosal_init_backend(fake("minor0")), 0);
	ck_assert_int_eq(vmosal_backend_info(&info), 0);
	ck_assert_uint_eq(info.abi_version, VMOSAL_BACKEND_ABI_MAKE(2, 0));
	ck_assert_int_eq(vmosal_mmap(NULL, 4096, VMOSAL_PROT_READ,
				     VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS, VMOSAL_NO_HANDLE,
				     0, &p),
			 0);
	ck_assert_int_eq(vmosal_munmap(p, 4096), 0);
	ck_assert_int_eq(
		vmosal_signal_add_handler(VMOSAL_SIGUSR1, vmosal_test_decline_signal, NULL, &h),
		VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_signal_block(&usr1, 1), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_signal_wait(&usr1, 1, 0, &si), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_signal_fd_create(&usr1, 1, &handle), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_fault_guard(return_seven, NULL, NULL), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_thread_kick_register(&k), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_thread_kick_signal(&os), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_event_create(0, &handle), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &value), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_sleep_ns(1), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_device_open("/dev/null", VMOSAL_DEVICE_READ, &handle),
			 VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_ioctl(0, 0, NULL, 0, NULL), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_process_id(&value), VMOSAL_ENOTSUP);
}
END_TEST

/* A plugin of ABI 2.2 loads; the JIT write window of 2.3 works on its
 * two views without the slots it lacks. */
START_TEST(test_minor2_jit_window)
{
	struct vmosal_backend_info info = VMOSAL_STRUCT_INIT(struct vmosal_backend_info);
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit);

	ck_assert_int_eq(vmosal_init_backend(fake("minor2")), 0);
	ck_assert_int_eq(vmosal_backend_info(&info), 0);
	ck_assert_uint_eq(info.abi_version, VMOSAL_BACKEND_ABI_MAKE(2, 2));
	ck_assert_int_eq(vmosal_jit_create(1, &jit), 0);
	ck_assert_ptr_ne(jit.rw, jit.rx);
	ck_assert_int_eq(vmosal_jit_write_begin(&jit), 0);
	((volatile char *)jit.rw)[0] = 1;
	ck_assert_int_eq(vmosal_jit_write_end(&jit), 0);
	ck_assert_int_eq(vmosal_jit_write_end(&jit), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_jit_destroy(&jit), 0);
}
END_TEST

/* A plugin of ABI 2.4 loads and keeps what 2.4 has (handle_dup); every
 * call of the device half (2.5) answers ENOTSUP without reading past its
 * table, where the fake put a function that aborts. Argument errors still
 * come first. */
START_TEST(test_minor4_gets_enotsup_for_the_device_half)
{
	struct vmosal_backend_info info = VMOSAL_STRUCT_INIT(struct vmosal_backend_info);
	struct vmosal_channel_msg msg = VMOSAL_STRUCT_INIT(struct vmosal_channel_msg);
	static _Alignas(max_align_t) unsigned char not_a_set[256];
	vmosal_waitset_t *ws = NULL, *other = (vmosal_waitset_t *)(void *)not_a_set;
	vmosal_handle_t ev = VMOSAL_NO_HANDLE, dup = VMOSAL_NO_HANDLE, h = VMOSAL_NO_HANDLE;
	vmosal_handle_t pair[2] = {VMOSAL_NO_HANDLE, VMOSAL_NO_HANDLE};
	struct vmosal_wait_event ready[1];
	uint64_t value = 77;
	char buf[8] = "abc";
	size_t n = 77;

	ck_assert_int_eq(vmosal_init_backend(fake("minor4")), 0);
	ck_assert_int_eq(vmosal_backend_info(&info), 0);
	ck_assert_uint_eq(info.abi_version, VMOSAL_BACKEND_ABI_MAKE(2, 4));
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_handle_dup(ev, &dup), 0);
	ck_assert_int_eq(vmosal_handle_close(dup), 0);

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), VMOSAL_ENOTSUP);
	ck_assert_ptr_null(ws);
	ck_assert_int_eq(vmosal_waitset_add(other, ev, VMOSAL_WAIT_READABLE, 1), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_waitset_modify(other, ev, VMOSAL_WAIT_READABLE, 1),
			 VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_waitset_remove(other, ev), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_waitset_wait(other, 0, ready, 1, &n), VMOSAL_ENOTSUP);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(vmosal_waitset_destroy(other), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &h), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_timer_arm(ev, 1, 0), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_timer_disarm(ev), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_timer_read(ev, &value), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_event_read(ev, &value), VMOSAL_ENOTSUP);
	ck_assert_uint_eq(value, 77);
	ck_assert_int_eq(vmosal_event_create(VMOSAL_EVENT_SEMAPHORE, &h), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_channel_pair(0, pair), VMOSAL_ENOTSUP);
	ck_assert(pair[0] == VMOSAL_NO_HANDLE && pair[1] == VMOSAL_NO_HANDLE);
	ck_assert_int_eq(vmosal_channel_listen("minor4", 0, &h), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_channel_connect("minor4", 0, &h), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_channel_accept(ev, 0, &h), VMOSAL_ENOTSUP);
	ck_assert(h == VMOSAL_NO_HANDLE);
	ck_assert_int_eq(vmosal_channel_send(ev, buf, 3, &ev, 1), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_channel_recv(ev, buf, sizeof buf, NULL, 0, 0, &msg),
			 VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_channel_peer_pid(ev, &value), VMOSAL_ENOTSUP);
	ck_assert_uint_eq(value, 77);
	ck_assert_int_eq(vmosal_signal_set_ignored(VMOSAL_SIGPIPE, true), VMOSAL_ENOTSUP);
	/* Argument errors still come first. */
	ck_assert_int_eq(vmosal_signal_set_ignored(VMOSAL_SIGBUS, true), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_timer_arm(ev, UINT64_MAX, 0), VMOSAL_EOVERFLOW);
	ck_assert_int_eq(vmosal_channel_send(ev, buf, 0, NULL, 0), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
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
	if (copy[0] == '/' && dlclose_unmaps())
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

	snprintf(dir, sizeof dir, "%s/loader-XXXXXX", scratch());
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
	expect_refusal(fake("missingslot"), "mandatory slot 'host_memory'");
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

	snprintf(path, sizeof path, "%s/debug-XXXXXX", scratch());
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

/* A plugin cut short (an upgrade interrupted, a full disk) is refused
 * before dlopen could map past its end and die of SIGBUS. */
START_TEST(test_refuses_truncated_plugin)
{
	char src[4096], dir[4096], path[4200];
	const double cuts[] = {0.02, 0.25, 0.5, 0.75, 0.999};
	struct stat st;
	FILE *in, *out;
	char *bytes;
	size_t loaded_end = 0;

	snprintf(src, sizeof src, "%s/vmosal_%s%s", getenv("VMOSAL_BACKEND_PATH"),
		 VMOSAL_DEFAULT_BACKEND, LT_MODULE_EXT);
	ck_assert_int_eq(stat(src, &st), 0);
	bytes = malloc((size_t)st.st_size);
	ck_assert_ptr_nonnull(bytes);
	in = fopen(src, "rb");
	ck_assert_ptr_nonnull(in);
	ck_assert_uint_eq(fread(bytes, 1, (size_t)st.st_size, in), (size_t)st.st_size);
	fclose(in);
	/* Cuts inside what dlopen maps: up to the end of the last segment
	 * (debug sections after it are never mapped). */
	{
		Elf64_Ehdr eh;
		memcpy(&eh, bytes, sizeof eh);
		ck_assert_int_eq(eh.e_ident[EI_CLASS], ELFCLASS64);
		for (size_t i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;
			memcpy(&ph, bytes + eh.e_phoff + i * sizeof ph, sizeof ph);
			if (ph.p_type == PT_LOAD && ph.p_offset + ph.p_filesz > loaded_end)
				loaded_end = ph.p_offset + ph.p_filesz;
		}
		ck_assert_uint_gt(loaded_end, 0);
	}
	snprintf(dir, sizeof dir, "%s/trunc-XXXXXX", scratch());
	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		/* A new name each time: dlopen would reuse a loaded one. */
		snprintf(path, sizeof path, "%s/vmosal_cut%zu%s", dir, i, LT_MODULE_EXT);
		out = fopen(path, "wb");
		ck_assert_ptr_nonnull(out);
		fwrite(bytes, 1, (size_t)((double)loaded_end * cuts[i]), out);
		fclose(out);
		ck_assert_int_eq(vmosal_init_backend(path), VMOSAL_EBACKEND);
		ck_assert_ptr_nonnull(strstr(vmosal_test_backend_error(), path));
		if (cuts[i] >= 0.25 && strstr(vmosal_test_backend_error(), "truncated") == NULL)
			ck_abort_msg("cut at %.0f%%: %s", cuts[i] * 100, vmosal_test_backend_error());
		ck_assert(!is_mapped(path));
		unlink(path);
	}
	rmdir(dir);
	free(bytes);
	ck_assert_int_eq(vmosal_init(), 0);
}
END_TEST

/* A plugin that calls the public API while it loads (from a constructor,
 * its entry function or init) breaks the contract; it is refused with a
 * message instead of hanging on the loader's lock. */
START_TEST(test_refuses_reentrant_plugins)
{
	const char *kinds[] = {"reenter_ctor", "reenter_entry", "reenter_init"};

	alarm(10); /* a deadlock fails the test instead of hanging it */
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(vmosal_init_backend(fake(kinds[i])), VMOSAL_EBACKEND);
		if (strstr(vmosal_test_backend_error(), "called back into libvmosal") == NULL)
			ck_abort_msg("%s: %s", kinds[i], vmosal_test_backend_error());
		ck_assert(!is_mapped(fake_path) || !dlclose_unmaps());
	}
	ck_assert_int_eq(vmosal_init(), 0);
	alarm(0);
}
END_TEST

/* Runs the reenter_init fake with VMOSAL_TEST_FAKE_INIT=what in a child
 * with a deadline, so that a deadlock fails the test instead of hanging
 * it; returns the child's exit status (0: its checks passed). */
static int plugin_init_does(const char *what, int (*check)(void))
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Inside the tcase's own limit, stretched where all runs slow. */
		vmosal_test_child_deadline(
			vmosal_test_under_valgrind() || vmosal_test_emulator() != NULL ? 100 : 20);
		setenv("VMOSAL_TEST_FAKE_INIT", what, 1);
		_exit(check());
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(!WIFSIGNALED(status) || WTERMSIG(status) != SIGALRM,
		      "a plugin whose init does '%s' hung the loader", what);
	ck_assert_msg(WIFEXITED(status), "init doing '%s': child status %#x", what,
		      (unsigned)status);
	return WEXITSTATUS(status);
}

/* A process started from init is not a call back in: the plugin loads. */
static int loads_and_works(void)
{
	if (vmosal_init_backend(fake("reenter_init")) != 0) {
		fprintf(stderr, "refused: %s\n", vmosal_test_backend_error());
		return 1;
	}
	return strcmp(vmosal_backend_name(), "fake") == 0 && vmosal_page_size() > 0 &&
			       vmosal_topology_load() == 0
		       ? 0
		       : 2;
}

/* fork() and system() from a plugin's init run the fork handlers on the
 * thread that holds the loader lock: they must not take it again. */
START_TEST(test_plugin_init_may_fork)
{
	ck_assert_int_eq(plugin_init_does("fork", loads_and_works), 0);
}
END_TEST

START_TEST(test_plugin_init_may_call_system)
{
	ck_assert_int_eq(plugin_init_does("system", loads_and_works), 0);
}
END_TEST

/* A topology query from init is a call back in like any other: refused
 * with the plugin, not a deadlock on the loader lock it needs; the lock
 * is free afterwards. */
static int topology_call_refused(void)
{
	if (vmosal_init_backend(fake("reenter_init")) != VMOSAL_EBACKEND)
		return 1;
	if (strstr(vmosal_test_backend_error(), "its init called back into libvmosal") == NULL) {
		fprintf(stderr, "error: %s\n", vmosal_test_backend_error());
		return 2;
	}
	return vmosal_init() == 0 && vmosal_topology_load() == 0 ? 0 : 3;
}

START_TEST(test_plugin_init_topology_call_is_refused)
{
	ck_assert_int_eq(plugin_init_does("topology", topology_call_refused), 0);
}
END_TEST

/* A search path entry too long to use is skipped, and said so. */
START_TEST(test_overlong_path_entry_is_reported)
{
	static char list[8192];
	size_t n = 5000;

	memset(list, 'd', n);
	list[0] = '/';
	snprintf(list + n, sizeof list - n, ":%s", getenv("VMOSAL_BACKEND_PATH"));
	setenv("VMOSAL_BACKEND_PATH", list, 1);
	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_ptr_nonnull(strstr(vmosal_test_backend_error(),
				     "an entry of 5000 bytes was skipped: too long"));
}
END_TEST

/* Host strings a plugin left unterminated are cut at the field's size. */
START_TEST(test_host_strings_terminated)
{
	ck_assert_int_eq(vmosal_init_backend(fake("longstrings")), 0);
	ck_assert_uint_eq(strlen(vmosal_host_os()), 15);
	ck_assert_uint_eq(strlen(vmosal_os_release()), 95);
	ck_assert_uint_eq(strlen(vmosal_libc_name()), 31);
}
END_TEST

/* A backend without thread_self could never join its threads. */
START_TEST(test_refuses_plugin_without_thread_self)
{
	expect_refusal(fake("noself"), "mandatory slot 'thread_self'");
}
END_TEST

/* A backend the application named that fails is an error, never replaced:
 * implicit first use after it loads nothing (the default would be a silent
 * substitute), keeps saying why the named one failed, and leaves the
 * application free to name another one. */
START_TEST(test_failed_explicit_choice_is_not_substituted)
{
	size_t n;

	ck_assert_int_eq(vmosal_init_backend("/nonexistent/vmosal_optional.so"), VMOSAL_EBACKEND);
	ck_assert_int_eq(vmosal_init_backend("nosuchbackend"), VMOSAL_EBACKEND);
	ck_assert_uint_eq(vmosal_page_size(), 0); /* implicit first use */
	ck_assert_ptr_null(vmosal_backend_name());
	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_ONLINE, &n), VMOSAL_EBACKEND);
	ck_assert_ptr_nonnull(strstr(vmosal_test_backend_error(), "vmosal_nosuchbackend"));
	/* Not EBUSY: nothing was loaded behind the application's back. */
	ck_assert_int_eq(vmosal_init_backend(fake("good")), 0);
	ck_assert_str_eq(vmosal_backend_name(), "fake");
	ck_assert_uint_gt(vmosal_page_size(), 0);
}
END_TEST

START_TEST(test_vmosal_init_after_failed_choice)
{
	ck_assert_int_eq(vmosal_init_backend(fake("initfail")), VMOSAL_EBACKEND);
	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_str_eq(vmosal_backend_name(), VMOSAL_DEFAULT_BACKEND);
}
END_TEST

static void *load_slow_plugin(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)vmosal_init_backend(fake("slowinit"));
}

/* fork() while another thread loads the backend (here 300 ms inside the
 * plugin's init): the child must find libvmosal usable, not a loader lock
 * held forever by a thread it does not have. */
START_TEST(test_fork_during_load)
{
	struct timespec pause = {0, 50 * 1000 * 1000};
	pthread_t loader;
	int status = 0;
	void *rc;
	pid_t pid;

	ck_assert_int_eq(pthread_create(&loader, NULL, load_slow_plugin, NULL), 0);
	nanosleep(&pause, NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		vmosal_test_child_deadline(5);
		_exit(vmosal_init() == 0 && vmosal_page_size() > 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(pthread_join(loader, &rc), 0);
	ck_assert_ptr_null(rc);
	ck_assert_msg(WIFEXITED(status), "child of a fork during the load: status %#x",
		      (unsigned)status);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

static void *load_topology(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)vmosal_topology_load();
}

/* One fresh process that forks while its other thread does the first
 * topology load, delay_us into it; 0 when the grandchild worked. */
static int fork_during_topology_load(long delay_us)
{
	struct timespec pause = {0, delay_us * 1000};
	pthread_t loader;
	int status = 0;
	pid_t pid;

	if (vmosal_init() != 0 || pthread_create(&loader, NULL, load_topology, NULL) != 0)
		return 2;
	nanosleep(&pause, NULL);
	pid = fork();
	if (pid == 0) {
		struct vmosal_topology_counts c = VMOSAL_STRUCT_INIT(struct vmosal_topology_counts);
		vmosal_test_child_deadline(5);
		_exit(vmosal_topology_counts(&c) == 0 && c.pus == 128 ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 2;
	pthread_join(loader, NULL);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

/* The same during the first topology load, which takes the same lock for
 * milliseconds (hwloc reading a 128-CPU machine here, ~30 ms): forks at
 * several points of the load, each in a process of its own. */
START_TEST(test_fork_during_topology_load)
{
	char xml[4096];
	int failed = 0;

#ifdef VMOSAL_TEST_SANITIZED
	/* Seen under gcc 12's ASan: the grandchild stuck for good in
	 * SizeClassAllocator64::GetFromAllocator, past libvmosal's lock. */
	VMOSAL_SKIP("the sanitizer's allocator takes no lock around fork(): a child "
		    "forked while hwloc allocates can hang in malloc");
#endif
	snprintf(xml, sizeof xml, "%s/topologies/2pkg-64core-smt2-4numa.xml",
		 getenv("VMOSAL_TEST_SRCDIR"));
	setenv("HWLOC_XMLFILE", xml, 1);
	setenv("HWLOC_THISSYSTEM", "0", 1);
	for (long round = 0; round < vmosal_test_rounds(16, 3); round++) {
		int status = 0;
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			_exit(fork_during_topology_load(round * 2 * 1000));
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	ck_assert_int_eq(failed, 0);
}
END_TEST

/* Runs a copy of the helper made privileged by `how` ("setgid": setgid to
 * a group we are not in, run as root; "filecap": given a file capability,
 * run as uid 65534 -- root gains nothing from file capabilities, so only
 * an unprivileged run makes the kernel set AT_SECURE for it). Fills out
 * with what the helper printed; returns NULL, or why it could not run. */
static const char *run_privileged_helper(const char *how, char *out, size_t len)
{
	static char why[512];
	char dir[] = "/tmp/vmosal-secure-XXXXXX", helper[64], cmd[8192];
	const char *builddir = getenv("VMOSAL_TEST_BUILDDIR");
	bool filecap = strcmp(how, "filecap") == 0;
	int pipefd[2], status = 0;
	size_t n = 0;
	ssize_t got;
	pid_t pid;

	if (geteuid() != 0)
		return "needs root to make a privileged helper";
	/* In /tmp, which every user can reach; the helper finds the
	 * uninstalled library by its absolute RUNPATH. */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(helper, sizeof helper, "%s/helper_secure", dir);
	snprintf(cmd, sizeof cmd, "cp '%s/helper_secure' '%s'", builddir, helper);
	ck_assert_int_eq(system(cmd), 0);
	if (filecap) {
		ck_assert_int_eq(chmod(helper, 0755), 0);
		snprintf(cmd, sizeof cmd, "setcap cap_net_bind_service+ep '%s' 2>/dev/null", helper);
		if (system(cmd) != 0) {
			unlink(helper);
			rmdir(dir);
			return "setcap failed: no libcap2-bin, or no file capabilities on /tmp";
		}
	} else {
		ck_assert_int_eq(chown(helper, 0, 65534), 0);
		ck_assert_int_eq(chmod(helper, 02755), 0);
	}
	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		setenv("VMOSAL_BACKEND", fake("good"), 1);
		setenv("VMOSAL_DEBUG", "loader", 1);
		freopen("/dev/null", "w", stderr);
		if (filecap && (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
				setresuid(65534, 65534, 65534) != 0))
			_exit(126);
		execl(helper, helper, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	while (n < len - 1 && (got = read(pipefd[0], out + n, len - 1 - n)) > 0)
		n += (size_t)got;
	out[n] = '\0';
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	unlink(helper);
	rmdir(dir);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, sizeof why, "the %s helper could not run (status %#x): %s", how,
			 (unsigned)status, out);
		return why;
	}
	if (strstr(out, "secure=1") == NULL) {
		snprintf(why, sizeof why, "the kernel did not mark the %s helper AT_SECURE: %s",
			 how, out);
		return why;
	}
	return NULL;
}

/* Only the installed directory was searched, the fake named by path was
 * not loaded, and the notice saying so survives whatever happened next. */
static void expect_env_paths_ignored(const char *out)
{
	ck_assert_ptr_null(strstr(out, "loaded=fake"));
	ck_assert_ptr_nonnull(strstr(out, "VMOSAL_BACKEND: the path"));
	ck_assert_ptr_nonnull(strstr(out, "ignored: the process runs with elevated privileges"));
	if (strstr(out, "loaded=") != NULL) {
		ck_assert_ptr_nonnull(strstr(out, "path=" VMOSAL_BACKEND_DIR "/"));
	} else {
		ck_assert_ptr_nonnull(strstr(out, VMOSAL_BACKEND_DIR "/vmosal_"));
		ck_assert_ptr_null(strstr(out, getenv("VMOSAL_BACKEND_PATH")));
	}
}

/* setgid: also caught by a plain uid/gid comparison. */
START_TEST(test_privileged_process_ignores_env_paths)
{
	char out[8192];
	const char *why = run_privileged_helper("setgid", out, sizeof out);

	if (why != NULL)
		VMOSAL_SKIP("%s", why);
	expect_env_paths_ignored(out);
}
END_TEST

/* File capabilities, as VMMs are given (cap_sys_nice, cap_net_admin):
 * uid, gid and their saved copies all stay equal, so only AT_SECURE tells. */
START_TEST(test_file_capability_process_ignores_env_paths)
{
	char out[8192];
	const char *why = run_privileged_helper("filecap", out, sizeof out);

	if (why != NULL)
		VMOSAL_SKIP("%s", why);
	expect_env_paths_ignored(out);
}
END_TEST

/* Every loader test needs a process with no backend loaded yet: Check's
 * fork mode gives each one, and under CK_FORK=no tests/testutil.h does. */
#undef tcase_add_test
#define tcase_add_test vmosal_tcase_add_own_process

int main(void)
{
	Suite *s;

	scratch_make();
	s = suite_create("loader");
	TCase *ok = tcase_create("choice");
	TCase *refuse = tcase_create("refusals");
	TCase *secure = tcase_create("secure");

	tcase_add_test(ok, test_default_backend);
	tcase_add_test(ok, test_previous_minor_gets_enotsup);
	tcase_add_test(ok, test_minor2_jit_window);
	tcase_add_test(ok, test_minor4_gets_enotsup_for_the_device_half);
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
	tcase_add_test(refuse, test_refuses_truncated_plugin);
	tcase_add_test(refuse, test_refuses_reentrant_plugins);
	tcase_add_test(refuse, test_refuses_plugin_without_thread_self);
	tcase_add_test(refuse, test_host_strings_terminated);
	tcase_add_test(refuse, test_overlong_path_entry_is_reported);
	tcase_add_test(refuse, test_failed_explicit_choice_is_not_substituted);
	tcase_add_test(refuse, test_vmosal_init_after_failed_choice);
	tcase_add_test(refuse, test_plugin_init_may_fork);
	tcase_add_test(refuse, test_plugin_init_may_call_system);
	tcase_add_test(refuse, test_plugin_init_topology_call_is_refused);
	tcase_add_test(refuse, test_fork_during_load);
	tcase_add_test(refuse, test_fork_during_topology_load);
	tcase_set_timeout(refuse, 30);
	tcase_add_test(refuse, test_refuses_short_table);
	tcase_add_test(refuse, test_refuses_missing_mandatory_slot);
	tcase_add_test(refuse, test_refuses_failed_init);
	tcase_add_test(refuse, test_refuses_null_table);
	tcase_add_test(refuse, test_unknown_name_is_not_substituted);
	tcase_add_test(refuse, test_invalid_name);
	tcase_add_test(refuse, test_debug_explains_each_path);
	tcase_add_test(secure, test_privileged_process_ignores_env_paths);
	tcase_add_test(secure, test_file_capability_process_ignores_env_paths);
	suite_add_tcase(s, ok);
	suite_add_tcase(s, refuse);
	suite_add_tcase(s, secure);
	return vmosal_run_suite(s);
}
