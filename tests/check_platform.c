/* Platform detection: OS flavour (with filesystem fixtures), arch, page
 * size, CPU counts, memory, and the accelerator probes with their reasons. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "vmosal.h"

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

int main(void)
{
	Suite *s = suite_create("platform");
	TCase *host = tcase_create("host");
	TCase *accel = tcase_create("accel");

	/* A test that moves the process gets it back as it was. Host facts
	 * (VMOSAL_FSROOT, the usable CPUs) are read once, at the first call: a
	 * test that changes them first needs a process of its own, as does one
	 * that drops root. */
	tcase_add_checked_fixture(host, vmosal_test_sched_save, vmosal_test_sched_restore);
	vmosal_tcase_add_own_process(host, test_host_os_linux);
	vmosal_tcase_add_own_process(host, test_host_os_harmonyos_by_os_release);
	vmosal_tcase_add_own_process(host, test_host_os_openharmony_by_param_file);
	vmosal_tcase_add_own_process(host, test_host_os_is_cached);
	tcase_add_test(host, test_arch);
	tcase_add_test(host, test_page_size_release_libc);
	tcase_add_test(host, test_cpu_counts);
	vmosal_tcase_add_own_process(host, test_usable_follows_affinity);
	tcase_add_test(host, test_host_memory);
	tcase_add_test(accel, test_accel_bad_input);
	tcase_add_test(accel, test_kvm_probe_matches_host);
	vmosal_tcase_add_own_process(accel, test_kvm_missing_reason);
	vmosal_tcase_add_own_process(accel, test_kvm_permission_reason);
	vmosal_tcase_add_own_process(accel, test_kvm_permission_advice_fits_the_mode);
	tcase_add_test(accel, test_kvm_probe_creates_a_vm);
	tcase_add_test(accel, test_other_accels_explain);
	suite_add_tcase(s, host);
	suite_add_tcase(s, accel);
	return vmosal_run_suite(s);
}
