/* Linux host facts: OS flavour, release, libc, CPUs, memory, KVM. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "linux.h"
#include "../common/accel.h"

/* A Linux build may run on HarmonyOS (OpenHarmony's Linux kernel), so the
 * flavour is read from the filesystem, not only from the compiler. */
static bool linux_is_harmonyos(void)
{
	char path[4096], buf[4096], *save = NULL;

#if defined(__OHOS__)
	return true;
#endif
	if (access(posix_host_path(path, sizeof path, "/system/etc/param/ohos.para"), F_OK) == 0)
		return true;
	if (posix_read_file(posix_host_path(path, sizeof path, "/etc/os-release"), buf,
			    sizeof buf) > 0) {
		/* strtok_r: an application thread may be in its own strtok. */
		for (char *line = strtok_r(buf, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save))
			if (strcmp(line, "ID=harmonyos") == 0 || strcmp(line, "ID=openharmony") == 0 ||
			    strcmp(line, "ID=\"harmonyos\"") == 0 ||
			    strcmp(line, "ID=\"openharmony\"") == 0)
				return true;
	}
	return false;
}

static const char *linux_flavour(void)
{
#if defined(__ANDROID__)
	return "android";
#else
	return linux_is_harmonyos() ? "harmonyos" : "linux";
#endif
}

static void linux_libc_name(char *buf, size_t len)
{
#if defined(_CS_GNU_LIBC_VERSION)
	char version[sizeof(((struct vmosal_backend_host *)0)->libc)];
	size_t n = confstr(_CS_GNU_LIBC_VERSION, version, sizeof version);
	/* glibc answers "glibc 2.36"; musl defines the name but answers nothing. */
	if (n > 0 && n <= sizeof version && strncmp(version, "glibc", 5) == 0) {
		snprintf(buf, len, "%s", version);
		return;
	}
#endif
#if defined(__BIONIC__)
	snprintf(buf, len, "bionic");
#elif defined(__UCLIBC__)
	snprintf(buf, len, "uclibc");
#elif defined(__GLIBC__)
	snprintf(buf, len, "glibc");
#else
	snprintf(buf, len, "musl");
#endif
}

/* Above any kernel's NR_CPUS (8192 at most): a list naming more CPUs is
 * not the kernel's, and sizing CPU sets from it would ask for gigabytes. */
#define LINUX_CPUS_MAX (1u << 16)

/* 1 + the highest CPU number the kernel may ever use ("0-127" -> 128). */
static uint64_t linux_cpus_possible(void)
{
	char path[4096], buf[256];
	const char *p;
	uint64_t highest = 0;
	long conf;

	if (posix_read_file(posix_host_path(path, sizeof path, "/sys/devices/system/cpu/possible"),
			    buf, sizeof buf) > 0) {
		for (p = buf; *p != '\0'; p++)
			if ((*p < '0' || *p > '9') && *p != '-' && *p != ',' && *p != '\n')
				break;
		if (*p == '\0') {
			for (p = buf; *p != '\0';) {
				char *end;
				unsigned long long v;
				/* strtoull would take "-5" as a huge number. A list
				 * the kernel would not write is not used at all. */
				if (*p < '0' || *p > '9' ||
				    (v = strtoull(p, &end, 10)) >= LINUX_CPUS_MAX) {
					highest = 0;
					break;
				}
				if (v + 1 > highest)
					highest = v + 1;
				p = *end != '\0' ? end + 1 : end;
			}
			if (highest > 0)
				return highest;
		}
	}
	conf = sysconf(_SC_NPROCESSORS_CONF);
	return conf > 0 ? (uint64_t)conf : 1;
}

/* CPUs in this process's affinity mask, sized for any CPU count. */
static uint64_t linux_cpus_usable(uint64_t possible)
{
	size_t ncpus = possible > 0 ? (size_t)possible : 1;
	size_t size = CPU_ALLOC_SIZE(ncpus);
	cpu_set_t *set = CPU_ALLOC(ncpus);
	uint64_t count = 0;

	if (set == NULL)
		return 0;
	if (sched_getaffinity(0, size, set) == 0)
		count = (uint64_t)CPU_COUNT_S(size, set);
	CPU_FREE(set);
	return count;
}

int linux_host_info(struct vmosal_backend_host *out)
{
	struct utsname uts;
	long page = sysconf(_SC_PAGESIZE);
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	if (page <= 0)
		return posix_last_error();
	snprintf(out->os, sizeof out->os, "%s", linux_flavour());
	if (uname(&uts) == 0)
		snprintf(out->os_release, sizeof out->os_release, "%s", uts.release);
	else
		snprintf(out->os_release, sizeof out->os_release, "unknown");
	linux_libc_name(out->libc, sizeof out->libc);
	out->page_size = (uint64_t)page;
	out->cpus_possible = linux_cpus_possible();
	out->cpus_online = online > 0 ? (uint64_t)online : 1;
	out->cpus_usable = linux_cpus_usable(out->cpus_possible);
	if (out->cpus_usable == 0)
		out->cpus_usable = out->cpus_online;
	return 0;
}

/* MemAvailable counts reclaimable cache, which sysinfo's freeram does not. */
static bool linux_meminfo_available(uint64_t *bytes)
{
	char path[4096], buf[8192];
	const char *p;

	if (posix_read_file(posix_host_path(path, sizeof path, "/proc/meminfo"), buf, sizeof buf) <= 0)
		return false;
	p = strstr(buf, "MemAvailable:");
	if (p == NULL)
		return false;
	*bytes = strtoull(p + strlen("MemAvailable:"), NULL, 10) * 1024u;
	return true;
}

int linux_host_memory(struct vmosal_backend_host_memory *out)
{
	struct sysinfo si;

	if (sysinfo(&si) != 0)
		return posix_last_error();
	out->total_bytes = (uint64_t)si.totalram * si.mem_unit;
	if (!linux_meminfo_available(&out->available_bytes))
		out->available_bytes = (uint64_t)si.freeram * si.mem_unit;
	return 0;
}

/* Advice for a /dev/kvm this user may not open, fitting how it is set
 * up: a group to join only helps where the group may use it. */
static void linux_kvm_permission_advice(const char *path, struct vmosal_backend_accel *out)
{
	struct group grp, *g = NULL;
	char buf[1024];
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & 0060) == 0060 &&
	    getgrgid_r(st.st_gid, &grp, buf, sizeof buf, &g) == 0 && g != NULL && st.st_gid != 0) {
		snprintf(out->reason, sizeof out->reason,
			 "/dev/kvm: permission denied: add the user to group %s"
			 " (usermod -aG %s USER, then log in again)",
			 g->gr_name, g->gr_name);
		return;
	}
	if (stat(path, &st) == 0)
		snprintf(out->reason, sizeof out->reason,
			 "/dev/kvm: permission denied: mode %04o, uid %u, gid %u: only its owner"
			 " may open it; run as that user, or give a group access"
			 " (udev: GROUP=\"kvm\", MODE=\"0660\")",
			 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid);
	else
		snprintf(out->reason, sizeof out->reason, "/dev/kvm: permission denied");
}

static void linux_kvm_open_failed(const char *path, int errnum, struct vmosal_backend_accel *out)
{
	out->error = posix_error_from_errno(errnum);
	switch (errnum) {
	case ENOENT:
		snprintf(out->reason, sizeof out->reason,
			 "no /dev/kvm: KVM module not loaded (modprobe kvm_intel or kvm_amd),"
			 " or the device is not passed into this container");
		break;
	case EACCES:
	case EPERM:
		linux_kvm_permission_advice(path, out);
		break;
	case ENXIO:
	case ENODEV:
		snprintf(out->reason, sizeof out->reason,
			 "/dev/kvm: no KVM driver behind it: enable hardware virtualization"
			 " (VT-x / AMD-V) in the firmware or the outer hypervisor");
		break;
	default:
		snprintf(out->reason, sizeof out->reason, "/dev/kvm: cannot open: %s",
			 posix_core->strerror(out->error));
		break;
	}
}

/* What the vCPU kick and guest RAM need of KVM, beyond the device. */
static const struct {
	int cap;
	const char *name, *why;
} linux_kvm_needs[] = {
	{KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest RAM from the VMM's own memory"},
	{KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT",
	 "a kick that cannot be lost (Linux 4.11 or later)"},
};

static void linux_probe_kvm(struct vmosal_backend_accel *out)
{
	char path[4096];
	int fd = open(posix_host_path(path, sizeof path, "/dev/kvm"), O_RDWR | O_CLOEXEC);
	int version, vm;

	if (fd < 0) {
		linux_kvm_open_failed(path, errno, out);
		return;
	}
	out->checks |= VMOSAL_ACCEL_CHECK_OPENED;
	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version < 0) {
		out->error = VMOSAL_ENODEV;
		snprintf(out->reason, sizeof out->reason,
			 "/dev/kvm does not answer KVM_GET_API_VERSION: not a KVM device");
		goto out;
	}
	if (version != KVM_API_VERSION) {
		out->error = VMOSAL_ENOTSUP;
		snprintf(out->reason, sizeof out->reason,
			 "/dev/kvm speaks KVM API %d, libvmosal needs %d", version,
			 KVM_API_VERSION);
		goto out;
	}
	for (size_t i = 0; i < sizeof linux_kvm_needs / sizeof linux_kvm_needs[0]; i++)
		if (ioctl(fd, KVM_CHECK_EXTENSION, linux_kvm_needs[i].cap) <= 0) {
			out->error = VMOSAL_ENOTSUP;
			snprintf(out->reason, sizeof out->reason, "KVM lacks %s, needed for %s",
				 linux_kvm_needs[i].name, linux_kvm_needs[i].why);
			goto out;
		}
	out->checks |= VMOSAL_ACCEL_CHECK_CAPS;
	/* Opening the device proves little in a nested or locked-down
	 * setup: only creating a VM shows it works. */
	do
		vm = ioctl(fd, KVM_CREATE_VM, 0);
	while (vm < 0 && errno == EINTR);
	if (vm < 0) {
		out->error = posix_error_from_errno(errno);
		snprintf(out->reason, sizeof out->reason,
			 "KVM_CREATE_VM failed: %s (virtualization off in the firmware or the"
			 " outer hypervisor, or no memory)",
			 posix_core->strerror(out->error));
		goto out;
	}
	close(vm);
	out->checks |= VMOSAL_ACCEL_CHECK_CREATE_VM;
out:
	close(fd);
}

int linux_accel_probe(int which, struct vmosal_backend_accel *out)
{
	if (which != VMOSAL_ACCEL_KVM)
		return accel_refuse_foreign(which, out);
	linux_probe_kvm(out);
	return 0;
}
