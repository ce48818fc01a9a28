/* Platform detection: OS flavour (with filesystem fixtures), arch, page
 * size, CPU counts, memory, and the accelerator probes with their reasons;
 * on Windows also how the backend is found and loaded. Built for every
 * host: a case that needs what Windows lacks skips there, saying what. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "testutil.h"
#include "vmosal.h"
#include "vmosal/backend.h"

#ifdef _WIN32
/* No fork, no exec'd stand-in (tests/testutil.h): one process runs all. */
#define add_own_process(tc, t) tcase_add_test(tc, t)
#else
#define add_own_process(tc, t) vmosal_tcase_add_own_process(tc, t)
#endif

#ifndef _WIN32

static void use_fixture(const char *name)
{
	char root[4096];

	snprintf(root, sizeof root, "%s/fixtures/%s", getenv("VMOSAL_TEST_SRCDIR"), name);
	setenv("VMOSAL_FSROOT", root, 1);
}

START_TEST(test_host_os_linux)
{
	use_fixture("plain-linux");
	ck_assert_str_eq(vmosal_host_os(), "linux");
	ck_assert(!vmosal_is_harmonyos());
}
END_TEST

START_TEST(test_host_os_harmonyos_by_os_release)
{
	use_fixture("harmonyos");
	ck_assert_str_eq(vmosal_host_os(), "harmonyos");
	ck_assert(vmosal_is_harmonyos());
}
END_TEST

START_TEST(test_host_os_openharmony_by_param_file)
{
	use_fixture("openharmony");
	ck_assert_str_eq(vmosal_host_os(), "harmonyos");
	ck_assert(vmosal_is_harmonyos());
}
END_TEST

START_TEST(test_host_os_is_cached)
{
	const char *first = vmosal_host_os();

	/* Changing the environment afterwards changes nothing: answers are read
	 * once, so the hot path is a load, not a syscall. */
	use_fixture("harmonyos");
	ck_assert_ptr_eq(vmosal_host_os(), first);
	ck_assert_str_eq(first, "linux");
}
END_TEST

#else
POSIX_ONLY(test_host_os_linux, "file system to read the OS flavour from (VMOSAL_FSROOT)")
POSIX_ONLY(test_host_os_harmonyos_by_os_release, "/etc/os-release (VMOSAL_FSROOT)")
POSIX_ONLY(test_host_os_openharmony_by_param_file, "OpenHarmony parameter file (VMOSAL_FSROOT)")
POSIX_ONLY(test_host_os_is_cached, "file system fixtures to change the OS with (VMOSAL_FSROOT)")
#endif

START_TEST(test_arch)
{
	const char *arch = vmosal_host_arch();
#if defined(__x86_64__)
	ck_assert_str_eq(arch, "x86_64");
#elif defined(__aarch64__)
	ck_assert_str_eq(arch, "aarch64");
#elif defined(__riscv) && __riscv_xlen == 64
	ck_assert_str_eq(arch, "riscv64");
#else
	ck_assert_str_ne(arch, "");
#endif
}
END_TEST

#ifndef _WIN32
START_TEST(test_page_size_release_libc)
{
	struct utsname uts;

	ck_assert_uint_eq(vmosal_page_size(), (size_t)sysconf(_SC_PAGESIZE));
	ck_assert_int_eq(uname(&uts), 0);
	ck_assert_str_eq(vmosal_os_release(), uts.release);
#if defined(__GLIBC__)
	ck_assert_int_eq(strncmp(vmosal_libc_name(), "glibc 2.", 8), 0);
#else
	ck_assert_str_ne(vmosal_libc_name(), "");
#endif
}
END_TEST

START_TEST(test_cpu_counts)
{
	size_t possible, online, usable;
	cpu_set_t set;

	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_POSSIBLE, &possible), 0);
	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_ONLINE, &online), 0);
	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_USABLE, &usable), 0);
	ck_assert_uint_eq(online, (size_t)sysconf(_SC_NPROCESSORS_ONLN));
	ck_assert_uint_ge(possible, online);
	ck_assert_uint_ge(online, usable);
	ck_assert_uint_ge(usable, 1);
	ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
	ck_assert_uint_eq(usable, (size_t)CPU_COUNT(&set));
	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_ONLINE, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_cpu_count((enum vmosal_cpu_set)99, &online), VMOSAL_EINVAL);
}
END_TEST

START_TEST(test_usable_follows_affinity)
{
	cpu_set_t set;
	size_t usable;

	/* A process started on one CPU must say so: the count is read at
	 * the first call, so this test needs a process of its own. */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ck_assert_int_eq(sched_setaffinity(0, sizeof set, &set), 0);
	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_USABLE, &usable), 0);
	ck_assert_uint_eq(usable, 1);
}
END_TEST

START_TEST(test_host_memory)
{
	struct vmosal_host_memory mem = VMOSAL_STRUCT_INIT(struct vmosal_host_memory);
	long pages = sysconf(_SC_PHYS_PAGES);

	ck_assert_int_eq(vmosal_host_memory(&mem), 0);
	ck_assert_uint_eq(mem.total_bytes, (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE));
	ck_assert_uint_gt(mem.available_bytes, 0);
	ck_assert_uint_le(mem.available_bytes, mem.total_bytes);
	ck_assert_int_eq(vmosal_host_memory(NULL), VMOSAL_EINVAL);
}
END_TEST

#else
#define WIN_GRANULARITY ((size_t)64 * 1024)

START_TEST(test_page_size_release_libc)
{
	ck_assert_uint_eq(vmosal_page_size(), 4096);
	ck_assert_ptr_nonnull(strchr(vmosal_os_release(), '.'));
	ck_assert_str_ne(vmosal_libc_name(), "");
}
END_TEST

START_TEST(test_cpu_counts)
{
	size_t possible, online, usable;
	DWORD_PTR mine = 0, sys = 0;

	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_POSSIBLE, &possible), 0);
	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_ONLINE, &online), 0);
	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_USABLE, &usable), 0);
	ck_assert_uint_eq(online, GetActiveProcessorCount(ALL_PROCESSOR_GROUPS));
	ck_assert_uint_ge(possible, online);
	ck_assert_uint_ge(online, usable);
	ck_assert_uint_ge(usable, 1);
	/* One processor group here: the process's mask is all it may use. */
	if (GetActiveProcessorGroupCount() == 1 &&
	    GetProcessAffinityMask(GetCurrentProcess(), &mine, &sys))
		ck_assert_uint_eq(usable, (size_t)__builtin_popcountll(mine));
	ck_assert_int_eq(vmosal_cpu_count(VMOSAL_CPUS_ONLINE, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_cpu_count((enum vmosal_cpu_set)99, &online), VMOSAL_EINVAL);
}
END_TEST

POSIX_ONLY(test_usable_follows_affinity, "fork, for a process started on one CPU")

START_TEST(test_host_memory)
{
	struct vmosal_host_memory mem = VMOSAL_STRUCT_INIT(struct vmosal_host_memory);
	MEMORYSTATUSEX ms = {.dwLength = sizeof ms};

	ck_assert(GlobalMemoryStatusEx(&ms));
	ck_assert_int_eq(vmosal_host_memory(&mem), 0);
	ck_assert_uint_eq(mem.total_bytes, ms.ullTotalPhys);
	ck_assert_uint_gt(mem.available_bytes, 0);
	ck_assert_uint_le(mem.available_bytes, mem.total_bytes);
	ck_assert_int_eq(vmosal_host_memory(NULL), VMOSAL_EINVAL);
}
END_TEST

START_TEST(test_host_caps)
{
	struct vmosal_host_caps caps = VMOSAL_STRUCT_INIT(struct vmosal_host_caps);

	ck_assert_int_eq(vmosal_host_caps(&caps), 0);
	ck_assert_uint_eq(caps.map_granularity, WIN_GRANULARITY);
	ck_assert_uint_eq(caps.affinity, VMOSAL_AFFINITY_HARD);
}
END_TEST
#endif

START_TEST(test_accel_bad_input)
{
	struct vmosal_accel_status st = VMOSAL_STRUCT_INIT(struct vmosal_accel_status);
	struct vmosal_host_caps caps = VMOSAL_STRUCT_INIT(struct vmosal_host_caps);

	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_KVM, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_COUNT, &st), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_accel_probe((enum vmosal_accel)-1, &st), VMOSAL_EINVAL);
	st.struct_size = 4;
	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_KVM, &st), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_host_caps(NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_host_caps(&caps), 0);
}
END_TEST

#ifndef _WIN32
/* The probe must agree with what opening /dev/kvm ourselves says. */
START_TEST(test_kvm_probe_matches_host)
{
	struct vmosal_accel_status st = VMOSAL_STRUCT_INIT(struct vmosal_accel_status);
	struct vmosal_host_caps caps = VMOSAL_STRUCT_INIT(struct vmosal_host_caps);
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	VMOSAL_SKIP_IF_EMULATED("the ioctls of /dev/kvm");
	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_KVM, &st), 0);
	ck_assert_int_eq(vmosal_host_caps(&caps), 0);
	ck_assert(((caps.accels & VMOSAL_ACCEL_BIT(VMOSAL_ACCEL_KVM)) != 0) == st.available);
	if (fd >= 0) {
		close(fd);
		ck_assert_msg(st.available, "KVM reported unavailable: %s", st.reason);
		ck_assert_str_eq(st.reason, "");
		ck_assert_int_eq(st.error, 0);
		ck_assert_uint_ne(caps.accels, 0);
	} else {
		ck_assert(!st.available);
		ck_assert_str_ne(st.reason, "");
		ck_assert_int_lt(st.error, 0);
	}
	ck_assert_uint_eq(caps.accels & VMOSAL_ACCEL_BIT(VMOSAL_ACCEL_HVF), 0);
	ck_assert_uint_eq(caps.accels & VMOSAL_ACCEL_BIT(VMOSAL_ACCEL_WHPX), 0);
}
END_TEST

START_TEST(test_kvm_missing_reason)
{
	struct vmosal_accel_status st = VMOSAL_STRUCT_INIT(struct vmosal_accel_status);

	use_fixture("plain-linux"); /* a root without dev/kvm */
	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_KVM, &st), 0);
	ck_assert(!st.available);
	ck_assert_int_eq(st.error, VMOSAL_ENOENT);
	ck_assert_ptr_nonnull(strstr(st.reason, "no /dev/kvm: KVM module not loaded"));
}
END_TEST

START_TEST(test_kvm_permission_reason)
{
	struct vmosal_accel_status st = VMOSAL_STRUCT_INIT(struct vmosal_accel_status);
	struct stat sb;

	if (stat("/dev/kvm", &sb) != 0)
		VMOSAL_SKIP("no /dev/kvm on this host");
	/* Loaded while still root: the build tree may be closed to uid 65534. */
	ck_assert_int_eq(vmosal_init(), 0);
	if (geteuid() == 0) {
		/* Become an ordinary user outside group kvm, as a VMM would be. */
		ck_assert_int_eq(setgroups(0, NULL), 0);
		ck_assert_int_eq(setresgid(65534, 65534, 65534), 0);
		ck_assert_int_eq(setresuid(65534, 65534, 65534), 0);
	}
	if (access("/dev/kvm", R_OK | W_OK) == 0)
		VMOSAL_SKIP("/dev/kvm is open to every user here");
	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_KVM, &st), 0);
	ck_assert(!st.available);
	ck_assert_int_eq(st.error, VMOSAL_EACCES);
	ck_assert_uint_eq(st.checks, 0);
	/* The advice fits the device: a group only where a group may use it. */
	if ((sb.st_mode & 0060) == 0060 && sb.st_gid != 0)
		ck_assert_ptr_nonnull(strstr(st.reason, "permission denied: add the user to group"));
	else
		ck_assert_ptr_nonnull(strstr(st.reason, "only its owner may open it"));
}
END_TEST

/* Both kinds of advice, on a fake /dev/kvm whose mode the test sets: a
 * device only root may open must not send the user to a group. */
START_TEST(test_kvm_permission_advice_fits_the_mode)
{
	struct vmosal_accel_status st = VMOSAL_STRUCT_INIT(struct vmosal_accel_status);
	char root[4096], dev[4200], kvm[4300];
	struct group *disk = getgrnam("disk");
	int fd;

	if (geteuid() != 0 || disk == NULL)
		VMOSAL_SKIP("needs root (to make a device only root may open) and a group 'disk'");
	snprintf(root, sizeof root, "/tmp/vmosal-kvmroot-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	ck_assert_int_eq(chmod(root, 0755), 0);
	snprintf(dev, sizeof dev, "%s/dev", root);
	ck_assert_int_eq(mkdir(dev, 0755), 0);
	snprintf(kvm, sizeof kvm, "%s/kvm", dev);
	fd = open(kvm, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	setenv("VMOSAL_FSROOT", root, 1);
	/* Loaded as root, as a VMM does before it drops privileges: the
	 * build tree may be closed to uid 65534 (CI builds under mktemp -d). */
	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_int_eq(setgroups(0, NULL), 0);
	ck_assert_int_eq(setresgid(65534, 65534, 65534), 0);
	ck_assert_int_eq(setresuid(65534, 65534, 0), 0); /* saved root, to come back */
	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_KVM, &st), 0);
	ck_assert_int_eq(st.error, VMOSAL_EACCES);
	ck_assert_msg(strstr(st.reason, "mode 0600, uid 0, gid 0: only its owner may open it") !=
			      NULL,
		      "%s", st.reason);
	ck_assert_ptr_null(strstr(st.reason, "group disk"));
	ck_assert_int_eq(setresuid(0, 0, 0), 0);
	ck_assert_int_eq(chown(kvm, 0, disk->gr_gid), 0);
	ck_assert_int_eq(chmod(kvm, 0660), 0);
	ck_assert_int_eq(setresuid(65534, 65534, 0), 0);
	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_KVM, &st), 0);
	ck_assert_msg(strstr(st.reason, "permission denied: add the user to group disk") != NULL,
		      "%s", st.reason);
	ck_assert_int_eq(setresuid(0, 0, 0), 0);
	unlink(kvm);
	rmdir(dev);
	rmdir(root);
}
END_TEST

/* Where KVM works, the probe went all the way: a VM was created. */
START_TEST(test_kvm_probe_creates_a_vm)
{
	struct vmosal_accel_status st = VMOSAL_STRUCT_INIT(struct vmosal_accel_status);

	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_KVM, &st), 0);
	if (!st.available)
		VMOSAL_SKIP("KVM is not usable here: %s", st.reason);
	ck_assert_uint_eq(st.checks, VMOSAL_ACCEL_CHECK_OPENED | VMOSAL_ACCEL_CHECK_CAPS |
					     VMOSAL_ACCEL_CHECK_CREATE_VM);
	ck_assert_str_eq(st.reason, "");
}
END_TEST

START_TEST(test_other_accels_explain)
{
	struct vmosal_accel_status st = VMOSAL_STRUCT_INIT(struct vmosal_accel_status);

	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_HVF, &st), 0);
	ck_assert(!st.available);
	ck_assert_int_eq(st.error, VMOSAL_ENOTSUP);
	ck_assert_ptr_nonnull(strstr(st.reason, "macOS"));
	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_WHPX, &st), 0);
	ck_assert(!st.available);
	ck_assert_ptr_nonnull(strstr(st.reason, "Windows"));
}
END_TEST

#else
POSIX_ONLY(test_kvm_missing_reason, "/dev/kvm")
POSIX_ONLY(test_kvm_permission_reason, "/dev/kvm")
POSIX_ONLY(test_kvm_permission_advice_fits_the_mode, "/dev/kvm")
POSIX_ONLY(test_kvm_probe_creates_a_vm, "KVM")

/* KVM and HVF answer that they belong to other systems; WHPX is probed
 * through WinHvPlatform.dll, which Wine does not have. */
START_TEST(test_accelerators)
{
	struct vmosal_accel_status st = VMOSAL_STRUCT_INIT(struct vmosal_accel_status);
	HMODULE whv;

	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_KVM, &st), 0);
	ck_assert(!st.available);
	ck_assert_msg(strstr(st.reason, "only on Linux") != NULL, "%s", st.reason);
	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_HVF, &st), 0);
	ck_assert(!st.available);
	ck_assert_int_eq(vmosal_accel_probe(VMOSAL_ACCEL_WHPX, &st), 0);
	whv = LoadLibraryExW(L"WinHvPlatform.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	if (whv == NULL) {
		ck_assert(!st.available);
		ck_assert_msg(strstr(st.reason, "WinHvPlatform.dll") != NULL, "%s", st.reason);
		ck_assert_uint_eq(st.checks, 0);
	} else {
		FreeLibrary(whv);
		ck_assert(st.checks & VMOSAL_ACCEL_CHECK_OPENED);
	}
}
END_TEST

/* ---- loading: the first cases of the one process ---- */

static bool process_elevated(void)
{
	TOKEN_ELEVATION e = {0};
	HANDLE token;
	DWORD got;
	bool elevated = false;

	if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
		elevated = GetTokenInformation(token, TokenElevation, &e, sizeof e, &got) &&
			   e.TokenIsElevated;
		CloseHandle(token);
	}
	return elevated;
}

START_TEST(test_loads_windows_backend)
{
	struct vmosal_backend_info info = VMOSAL_STRUCT_INIT(struct vmosal_backend_info);

	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_str_eq(vmosal_backend_name(), "windows");
	ck_assert_str_eq(vmosal_host_os(), "windows");
	ck_assert_int_eq(vmosal_backend_info(&info), 0);
	/* Found beside the library as an install lays it out: Wine runs
	 * elevated, so VMOSAL_BACKEND_PATH played no part. */
	ck_assert_msg(strstr(info.path, "lib\\libvmosal\\backends\\vmosal_windows.dll") != NULL,
		      "loaded from %s", info.path);
	ck_assert_uint_eq(info.abi_version, VMOSAL_BACKEND_ABI);
}
END_TEST

/* Elevated (Wine always is): the environment cannot pick a plugin by path,
 * and the notice says why. */
START_TEST(test_elevated_ignores_backend_path)
{
	char why[4096];

	if (!process_elevated())
		VMOSAL_SKIP("the process is not elevated: the rule does not apply");
	_putenv_s("VMOSAL_BACKEND_PATH", "C:\\nowhere;D:\\neither");
	_putenv_s("VMOSAL_BACKEND", "C:\\nowhere\\evil.dll");
	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_str_eq(vmosal_backend_name(), "windows");
	vmosal_backend_error(why, sizeof why);
	ck_assert_msg(strstr(why, "elevated") != NULL, "notice: %s", why);
	_putenv_s("VMOSAL_BACKEND_PATH", "");
	_putenv_s("VMOSAL_BACKEND", "");
}
END_TEST

/* An explicit path is the caller's own choice, honoured even elevated:
 * a missing one is refused with the loader's reason, and nothing else is
 * loaded in its place. */
START_TEST(test_explicit_path_and_refusal)
{
	struct vmosal_backend_info info = VMOSAL_STRUCT_INIT(struct vmosal_backend_info);
	char why[4096];

	ck_assert_int_eq(vmosal_init_backend("C:\\nowhere\\vmosal_windows.dll"),
			 VMOSAL_EBACKEND);
	vmosal_backend_error(why, sizeof why);
	ck_assert_msg(strstr(why, "LoadLibraryExW: error 126") != NULL, "refusal: %s", why);
	ck_assert_int_eq(vmosal_init_backend("windows"), 0);
	ck_assert_int_eq(vmosal_backend_info(&info), 0);
	ck_assert_str_eq(info.name, "windows");
}
END_TEST

#endif

int main(void)
{
	Suite *s = suite_create("platform");
	TCase *host = tcase_create("host");
	TCase *accel = tcase_create("accel");
#ifdef _WIN32
	TCase *load = tcase_create("load");

	/* First: a refused explicit choice is only seen before any load (one
	 * process runs every case here). */
	tcase_add_test(load, test_explicit_path_and_refusal);
	tcase_add_test(load, test_loads_windows_backend);
	tcase_add_test(load, test_elevated_ignores_backend_path);
	suite_add_tcase(s, load);
#endif

	/* A test that moves the process gets it back as it was. Host facts
	 * (VMOSAL_FSROOT, the usable CPUs) are read once, at the first call: a
	 * test that changes them first needs a process of its own, as does one
	 * that drops root. */
#ifdef __linux__
	tcase_add_checked_fixture(host, vmosal_test_sched_save, vmosal_test_sched_restore);
#endif
	add_own_process(host, test_host_os_linux);
	add_own_process(host, test_host_os_harmonyos_by_os_release);
	add_own_process(host, test_host_os_openharmony_by_param_file);
	add_own_process(host, test_host_os_is_cached);
	tcase_add_test(host, test_arch);
	tcase_add_test(host, test_page_size_release_libc);
	tcase_add_test(host, test_cpu_counts);
	add_own_process(host, test_usable_follows_affinity);
	tcase_add_test(host, test_host_memory);
	tcase_add_test(accel, test_accel_bad_input);
#ifdef _WIN32
	tcase_add_test(host, test_host_caps);
	tcase_add_test(accel, test_accelerators);
#else
	tcase_add_test(accel, test_kvm_probe_matches_host);
	tcase_add_test(accel, test_other_accels_explain);
#endif
	add_own_process(accel, test_kvm_missing_reason);
	add_own_process(accel, test_kvm_permission_reason);
	add_own_process(accel, test_kvm_permission_advice_fits_the_mode);
	tcase_add_test(accel, test_kvm_probe_creates_a_vm);
	suite_add_tcase(s, host);
	suite_add_tcase(s, accel);
	return vmosal_run_suite(s);
}
