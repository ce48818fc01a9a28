/* Fuzzes the Linux backend's parsers of host files. Each input describes
 * a fake root, which VMOSAL_FSROOT points the backend at: sections that
 * each start with a line "#<tag>" and hold one file's contents.
 *   #m /proc/meminfo                     #p /sys/devices/system/cpu/possible
 *   #t .../transparent_hugepage/enabled  #s .../transparent_hugepage/hpage_pmd_size
 *   #o /etc/os-release                   #h /system/etc/param/ohos.para
 *   #d a directory under /sys/kernel/mm/hugepages, named by its first line
 *   #n, #f nr_hugepages, free_hugepages of the last #d
 *   #c /proc/self/task/<harness tid>/comm
 *   #k /dev/kvm (a plain file, which is no KVM device)
 * The core reads host facts once and caches them, so the harness loads
 * the backend itself, as the backend's tests do, and calls its slots
 * directly: every input is parsed afresh. Page sizes the core reads anew
 * on every call, so they are also checked through the public calls, and
 * guest RAM is sized from them. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fuzz.h"
#include "vmosal.h"
#include "vmosal/backend.h"
#include "../direct_backend.h"

static const struct vmosal_backend_ops *ops;
static char root[4096];
static uint64_t tid;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0 && remove(path) != 0)
		FUZZ_FAIL("remove %s: errno %d", path, errno);
	return 0;
}

/* The fake root goes when libFuzzer exits (a time or run limit). */
static void remove_root(void)
{
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	rmdir(root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vmosal_backend_caps caps;
	char why[4200];

	(void)argc;
	(void)argv;
	setenv("VMOSAL_BACKEND_PATH", FUZZ_BACKEND_DIR, 0);
	ops = direct_backend_open(FUZZ_FAKES_DIR, "linux", &caps, why, sizeof why);
	if (ops == NULL)
		FUZZ_FAIL("%s", why);
	snprintf(root, sizeof root, "%s/vmosal-fuzz-root-XXXXXX",
		 fuzz_tmpdir());
	FUZZ_ASSERT(mkdtemp(root) != NULL, "mkdtemp");
	atexit(remove_root);
	setenv("VMOSAL_FSROOT", root, 1);
	tid = (uint64_t)syscall(SYS_gettid);
	setenv("VMOSAL_BACKEND_PATH", FUZZ_BACKEND_DIR, 0);
	FUZZ_ASSERT(vmosal_init() == 0, "vmosal_init");
	return 0;
}

/* Creates root + rel (a file) with its parent directories. */
static void write_file(const char *rel, const uint8_t *data, size_t len)
{
	char path[8192];
	int fd;

	snprintf(path, sizeof path, "%s%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			FUZZ_FAIL("mkdir %s: errno %d", path, errno);
		*p = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		FUZZ_FAIL("open %s: errno %d", path, errno);
	FUZZ_ASSERT(write(fd, data, len) == (ssize_t)len, "write");
	close(fd);
}

/* A directory name the fuzzer chose, kept to one path component. */
static bool safe_name(const char *name)
{
	return name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0 && strlen(name) < 200;
}

/* Writes one section; *huge is the last #d directory ("" for none). */
static void write_section(char tag, const uint8_t *data, size_t len, char *huge, size_t hlen)
{
	static const struct {
		char tag;
		const char *path;
	} files[] = {
		{'m', "/proc/meminfo"},
		{'p', "/sys/devices/system/cpu/possible"},
		{'t', "/sys/kernel/mm/transparent_hugepage/enabled"},
		{'s', "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"},
		{'o', "/etc/os-release"},
		{'h', "/system/etc/param/ohos.para"},
		{'k', "/dev/kvm"},
	};
	char rel[512];

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		if (files[i].tag == tag) {
			write_file(files[i].path, data, len);
			return;
		}
	switch (tag) {
	case 'd': {
		size_t n = 0;
		while (n < len && n < hlen - 1 && data[n] != '\n' && data[n] != '\0')
			n++;
		memcpy(huge, data, n);
		huge[n] = '\0';
		if (!safe_name(huge)) {
			huge[0] = '\0';
			return;
		}
		snprintf(rel, sizeof rel, "/sys/kernel/mm/hugepages/%s/.keep", huge);
		write_file(rel, NULL, 0);
		return;
	}
	case 'n':
	case 'f':
		if (huge[0] == '\0')
			return;
		snprintf(rel, sizeof rel, "/sys/kernel/mm/hugepages/%s/%s_hugepages", huge,
			 tag == 'n' ? "nr" : "free");
		write_file(rel, data, len);
		return;
	case 'c':
		snprintf(rel, sizeof rel, "/proc/self/task/%llu/comm", (unsigned long long)tid);
		write_file(rel, data, len);
		return;
	}
}

/* Where the section whose header starts at data[i] ("#X\n") begins. */
static bool header_at(const uint8_t *data, size_t size, size_t i)
{
	return (i == 0 || data[i - 1] == '\n') && i + 2 < size && data[i] == '#' &&
	       data[i + 2] == '\n';
}

static void build_root(const uint8_t *data, size_t size)
{
	char huge[256] = "";
	size_t i = 0;

	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	while (i < size && !header_at(data, size, i))
		i++;
	while (i < size) {
		char tag = (char)data[i + 1];
		size_t start = i + 3, end = start;
		while (end < size && !header_at(data, size, end))
			end++;
		write_section(tag, data + start, end - start, huge, sizeof huge);
		i = end;
	}
}

static bool is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* The page sizes the core hands on: powers of two, pools smallest first. */
static void check_public_huge_page_sizes(void)
{
	struct vmosal_huge_page_sizes ps = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_sizes);
	struct vmosal_huge_page_pool pool = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_pool);
	struct vmosal_guest_ram_options o = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram_options);
	struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
	uint64_t last = 0;

	FUZZ_ASSERT(vmosal_huge_page_sizes(&ps) == 0, "vmosal_huge_page_sizes");
	FUZZ_ASSERT(ps.thp_size == 0 || is_pow2(ps.thp_size), "vmosal_huge_page_sizes thp_size");
	FUZZ_ASSERT(ps.huge_default == 0 || is_pow2(ps.huge_default),
		    "vmosal_huge_page_sizes huge_default");
	for (size_t i = 0; i < ps.huge_count; i++) {
		FUZZ_ASSERT(vmosal_huge_page_pool(i, &pool) == 0, "vmosal_huge_page_pool");
		FUZZ_ASSERT(is_pow2(pool.page_size) && pool.page_size >= last,
			    "vmosal_huge_page_pool: sizes ascending powers of two");
		last = pool.page_size;
	}
	FUZZ_ASSERT(vmosal_huge_page_pool(ps.huge_count, &pool) == VMOSAL_ERANGE,
		    "vmosal_huge_page_pool past the last");
	/* The default huge page size picked from those files. The kernel
	 * refuses a size it does not have; one it has, it maps. */
	o.pages = VMOSAL_PAGES_HUGETLB;
	if (vmosal_guest_ram_create((size_t)2 << 20, &o, &ram) == 0)
		FUZZ_ASSERT(vmosal_guest_ram_destroy(&ram) == 0, "vmosal_guest_ram_destroy");
}

static bool terminated(const char *s, size_t len)
{
	return memchr(s, '\0', len) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmosal_backend_host host;
	struct vmosal_backend_huge_page_sizes ps;
	struct vmosal_backend_host_memory mem;
	struct vmosal_backend_accel accel;
	int rc;

	build_root(data, size);

	memset(&host, 0, sizeof host);
	host.struct_size = sizeof host;
	rc = ops->host_info(&host);
	FUZZ_ASSERT(rc == 0, "host_info");
	FUZZ_ASSERT(terminated(host.os, sizeof host.os) &&
			    terminated(host.os_release, sizeof host.os_release) &&
			    terminated(host.libc, sizeof host.libc),
		    "host_info strings");
	FUZZ_ASSERT(strcmp(host.os, "linux") == 0 || strcmp(host.os, "harmonyos") == 0,
		    "host_info os");
	FUZZ_ASSERT(host.page_size == (uint64_t)sysconf(_SC_PAGESIZE), "host_info page size");
	FUZZ_ASSERT(host.cpus_possible >= 1 && host.cpus_online >= 1 && host.cpus_usable >= 1,
		    "host_info CPU counts");

	memset(&ps, 0, sizeof ps);
	ps.struct_size = sizeof ps;
	rc = ops->huge_page_sizes(&ps);
	FUZZ_ASSERT(rc == 0, "huge_page_sizes");
	FUZZ_ASSERT(ps.huge_count <= VMOSAL_BACKEND_MAX_HUGE_SIZES, "huge_page_sizes huge_count");
	FUZZ_ASSERT(ps.thp_mode <= VMOSAL_THP_ALWAYS, "huge_page_sizes thp_mode");

	memset(&mem, 0, sizeof mem);
	mem.struct_size = sizeof mem;
	FUZZ_ASSERT(ops->host_memory(&mem) == 0, "host_memory");

	memset(&accel, 0, sizeof accel);
	accel.struct_size = sizeof accel;
	FUZZ_ASSERT(ops->accel_probe(VMOSAL_ACCEL_KVM, &accel) == 0, "accel_probe");
	FUZZ_ASSERT(accel.error != 0 && terminated(accel.reason, sizeof accel.reason),
		    "accel_probe: a plain file is no KVM device");

	check_public_huge_page_sizes();

	/* Exactly len bytes, so that a write past them is caught. */
	for (size_t len = 1; len <= 64; len += 21) {
		char *name = malloc(len);
		FUZZ_ASSERT(name != NULL, "malloc");
		rc = ops->thread_get_name(tid, name, len);
		FUZZ_ASSERT(rc != 0 || strlen(name) < len, "thread_get_name");
		free(name);
	}
	return 0;
}
