/* Mappings: vmosal_mmap and friends, their argument checks, advice, locking,
 * msync and page sizes. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hugetlb_pool.h"
#include "testutil.h"
#include "vmosal.h"

static size_t page;

static void setup(void)
{
	ck_assert_int_eq(vmosal_init(), 0);
	page = vmosal_page_size();
	ck_assert_uint_gt(page, 0);
}

/* A test that took the huge page pool's lock lets it go, under CK_FORK=no
 * too, where its process lives on. */
static void teardown(void)
{
	hugetlb_pool_unlock();
}

static void *map_anon(size_t size, unsigned prot)
{
	void *p = NULL;
	ck_assert_int_eq(vmosal_mmap(NULL, size, prot, VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS, -1,
				     0, &p),
			 0);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* A temporary file of `size` bytes filled with `fill`, opened with `mode`. */
static int temp_file(size_t size, int fill, int mode)
{
	char path[] = "/tmp/vmosal-mmap-XXXXXX";
	int fd = mkstemp(path);
	char *buf = malloc(size);
	int ret;

	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_nonnull(buf);
	memset(buf, fill, size);
	ck_assert_int_eq(write(fd, buf, size), (ssize_t)size);
	free(buf);
	close(fd);
	ret = open(path, mode);
	ck_assert_int_ge(ret, 0);
	unlink(path);
	return ret;
}

START_TEST(test_anonymous_private)
{
	char *p = map_anon(3 * page, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE);

	ck_assert_uint_eq((uintptr_t)p % page, 0);
	ck_assert_int_eq(p[0], 0);
	memset(p, 0x5a, 3 * page);
	ck_assert_int_eq(p[3 * page - 1], 0x5a);
	ck_assert_int_eq(vmosal_munmap(p, 3 * page), 0);
}
END_TEST

/* A hole: the OS says the range is not mapped. */
START_TEST(test_mprotect_of_a_hole)
{
	char *p = map_anon(page, VMOSAL_PROT_READ);

	ck_assert_int_eq(vmosal_munmap(p, page), 0);
	ck_assert_int_eq(vmosal_mprotect(p, page, VMOSAL_PROT_READ), VMOSAL_ENOMEM);
}
END_TEST

START_TEST(test_file_mappings_and_access)
{
	const unsigned rw = VMOSAL_PROT_READ | VMOSAL_PROT_WRITE;
	int rdonly = temp_file(2 * page, 'a', O_RDONLY);
	int wronly = temp_file(2 * page, 'b', O_WRONLY);
	int rdwr = temp_file(2 * page, 'c', O_RDWR);
	char *p = NULL, buf[4];

	/* No read access at all, or a shared writable view of a read-only fd. */
	ck_assert_int_eq(vmosal_mmap(NULL, page, VMOSAL_PROT_READ, VMOSAL_MAP_SHARED, wronly, 0,
				     (void **)&p),
			 VMOSAL_EACCES);
	ck_assert_int_eq(vmosal_mmap(NULL, page, rw, VMOSAL_MAP_SHARED, rdonly, 0, (void **)&p),
			 VMOSAL_EACCES);
	ck_assert_ptr_null(p);
	/* A private writable copy of a read-only file is fine. */
	ck_assert_int_eq(vmosal_mmap(NULL, page, rw, VMOSAL_MAP_PRIVATE, rdonly, (int64_t)page,
				     (void **)&p),
			 0);
	ck_assert_int_eq(p[0], 'a');
	p[0] = 'z';
	ck_assert_int_eq(pread(rdonly, buf, 1, (off_t)page), 1);
	ck_assert_int_eq(buf[0], 'a');
	ck_assert_int_eq(vmosal_munmap(p, page), 0);

	/* Shared: a write reaches the file, msync makes it durable. */
	ck_assert_int_eq(vmosal_mmap(NULL, 2 * page, rw, VMOSAL_MAP_SHARED, rdwr, 0, (void **)&p),
			 0);
	ck_assert_int_eq(p[page], 'c');
	memcpy(p + page, "xyz", 3);
	ck_assert_int_eq(vmosal_mem_sync(p, 2 * page, VMOSAL_MS_SYNC), 0);
	ck_assert_int_eq(vmosal_mem_sync(p, page, VMOSAL_MS_ASYNC | VMOSAL_MS_INVALIDATE), 0);
	ck_assert_int_eq(pread(rdwr, buf, 3, (off_t)page), 3);
	ck_assert_int_eq(memcmp(buf, "xyz", 3), 0);
	ck_assert_int_eq(vmosal_munmap(p, 2 * page), 0);
	close(rdonly);
	close(wronly);
	close(rdwr);
}
END_TEST

START_TEST(test_fixed_and_noreplace)
{
	const unsigned rw = VMOSAL_PROT_READ | VMOSAL_PROT_WRITE;
	const unsigned anon = VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS;
	char *p = map_anon(2 * page, rw);
	void *q = NULL;

	p[0] = 1;
	ck_assert_int_eq(vmosal_mmap(p, page, rw, anon | VMOSAL_MAP_FIXED_NOREPLACE, -1, 0, &q),
			 VMOSAL_EEXIST);
	ck_assert_ptr_null(q);
	ck_assert_int_eq(p[0], 1);
	/* FIXED replaces: the new page reads zero. */
	ck_assert_int_eq(vmosal_mmap(p, page, rw, anon | VMOSAL_MAP_FIXED, -1, 0, &q), 0);
	ck_assert_ptr_eq(q, p);
	ck_assert_int_eq(p[0], 0);
	/* NOREPLACE on a free range lands exactly there. */
	ck_assert_int_eq(vmosal_munmap(p + page, page), 0);
	ck_assert_int_eq(vmosal_mmap(p + page, page, rw, anon | VMOSAL_MAP_FIXED_NOREPLACE, -1, 0,
				     &q),
			 0);
	ck_assert_ptr_eq(q, p + page);
	ck_assert_int_eq(vmosal_munmap(p, 2 * page), 0);
}
END_TEST

START_TEST(test_noreserve_and_populate)
{
	const unsigned rw = VMOSAL_PROT_READ | VMOSAL_PROT_WRITE;
	const unsigned anon = VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS;
	size_t n = 16;
	unsigned char vec[16];
	void *p;

	VMOSAL_SKIP_IF_EMULATED("mincore residency");
	ck_assert_int_eq(vmosal_mmap(NULL, (size_t)1 << 30, rw, anon | VMOSAL_MAP_NORESERVE, -1, 0,
				     &p),
			 0);
	ck_assert_int_eq(vmosal_munmap(p, (size_t)1 << 30), 0);
	ck_assert_int_eq(vmosal_mmap(NULL, n * page, rw, anon | VMOSAL_MAP_POPULATE, -1, 0, &p), 0);
	ck_assert_int_eq(mincore(p, n * page, vec), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(vec[i] & 1, 1);
	ck_assert_int_eq(vmosal_munmap(p, n * page), 0);
}
END_TEST

/* ---- reservations ---- */

/* The mapping of /proc/self/maps that holds addr: its bounds and perms
 * ("---p"); false when addr is in no mapping. */
static bool mapping_at(const void *addr, uintptr_t *start, uintptr_t *end, char perms[5])
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof line, f) != NULL) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && (uintptr_t)addr >= lo &&
		    (uintptr_t)addr < hi) {
			*start = lo;
			*end = hi;
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* Reserved space is one inaccessible mapping of exactly the size asked,
 * aligned as asked, with no slack of the over-reservation left around. */
START_TEST(test_reserve_aligned_without_slack)
{
	const size_t align = (size_t)16 << 20, size = (size_t)4 << 20;
	uintptr_t lo, hi;
	char perms[5];
	void *r = NULL;

	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(vmosal_mem_reserve(size, align, &r), 0);
		ck_assert_uint_eq((uintptr_t)r % align, 0);
		ck_assert(mapping_at(r, &lo, &hi, perms));
		ck_assert_str_eq(perms, "---p");
		ck_assert_uint_eq(lo, (uintptr_t)r);
		ck_assert_uint_eq(hi, (uintptr_t)r + size);
		ck_assert_int_eq(vmosal_mem_release(r, size), 0);
		ck_assert(!mapping_at(r, &lo, &hi, perms) || strcmp(perms, "---p") != 0 ||
			  lo != (uintptr_t)r);
	}
	/* 0: the granularity (the page size here). */
	ck_assert_int_eq(vmosal_mem_reserve(page, 0, &r), 0);
	ck_assert_int_eq(vmosal_mem_release(r, page), 0);
}
END_TEST

/* Memory mapped into a reservation works and takes exactly its range; the
 * rest stays reserved; release takes both. */
START_TEST(test_map_into_reservation)
{
	const size_t size = 16 * page;
	uintptr_t lo, hi;
	char perms[5];
	char *r = NULL;

	ck_assert_int_eq(vmosal_mem_reserve(size, 0, (void **)&r), 0);
	ck_assert_int_eq(vmosal_mem_map_reserved(r + 4 * page, 8 * page,
						 VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
						 VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS,
						 VMOSAL_NO_HANDLE, 0),
			 0);
	memset(r + 4 * page, 0x5a, 8 * page);
	ck_assert(mapping_at(r + 4 * page, &lo, &hi, perms));
	ck_assert_str_eq(perms, "rw-p");
	ck_assert_uint_eq(lo, (uintptr_t)r + 4 * page);
	ck_assert_uint_eq(hi, (uintptr_t)r + 12 * page);
	ck_assert(mapping_at(r, &lo, &hi, perms));
	ck_assert_str_eq(perms, "---p");
	ck_assert(mapping_at(r + 12 * page, &lo, &hi, perms));
	ck_assert_str_eq(perms, "---p");
	ck_assert_int_eq(vmosal_mem_release(r, size), 0);
}
END_TEST

/* A mapping into a reservation that the OS refuses after it started (no
 * huge pages to back it) leaves the range reserved, not a hole another
 * mapping could land in. */
START_TEST(test_failed_map_stays_reserved)
{
	struct vmosal_huge_page_sizes ps = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_sizes);
	struct vmosal_huge_page_pool pool = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_pool);
	uintptr_t lo, hi;
	char perms[5];
	char *r = NULL;
	size_t huge;

	hugetlb_pool_lock();
	ck_assert_int_eq(vmosal_huge_page_sizes(&ps), 0);
	if (ps.huge_count == 0 || ps.huge_default == 0)
		VMOSAL_SKIP("the host has no hugetlb");
	for (size_t i = 0; i < ps.huge_count; i++) {
		ck_assert_int_eq(vmosal_huge_page_pool(i, &pool), 0);
		if (pool.page_size == ps.huge_default && pool.free > 0)
			VMOSAL_SKIP("huge pages are free: this mapping would succeed");
	}
	huge = (size_t)ps.huge_default;
	ck_assert_int_eq(vmosal_mem_reserve(3 * huge, huge, (void **)&r), 0);
	ck_assert_int_eq(vmosal_mem_map_reserved(r + huge, huge,
						 VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
						 VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS |
							 VMOSAL_MAP_HUGETLB,
						 VMOSAL_NO_HANDLE, 0),
			 VMOSAL_ENOMEM);
	ck_assert(mapping_at(r + huge, &lo, &hi, perms));
	ck_assert_str_eq(perms, "---p");
	ck_assert_uint_le(lo, (uintptr_t)r + huge);
	ck_assert_uint_ge(hi, (uintptr_t)r + 2 * huge);
	ck_assert_int_eq(vmosal_mem_release(r, 3 * huge), 0);
}
END_TEST

/* A hugetlb mapping shorter than a huge page would be rounded up by the
 * kernel, over whatever follows in the reservation: refused. */
START_TEST(test_hugetlb_never_maps_past_the_range)
{
	struct vmosal_huge_page_sizes ps = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_sizes);
	const size_t huge = (size_t)2 << 20;
	char *r = NULL;

	ck_assert_int_eq(vmosal_huge_page_sizes(&ps), 0);
	if (ps.huge_default != huge)
		VMOSAL_SKIP("the default huge page size here is not 2 MiB");
	ck_assert_int_eq(vmosal_mem_reserve(huge, huge, (void **)&r), 0);
	ck_assert_int_eq(vmosal_mem_map_reserved(r + 16 * page, page,
						 VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
						 VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS,
						 VMOSAL_NO_HANDLE, 0),
			 0);
	r[16 * page] = 42;
	ck_assert_int_eq(vmosal_mem_map_reserved(r, 16 * page,
						 VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
						 VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS |
							 VMOSAL_MAP_HUGETLB | VMOSAL_MAP_NORESERVE,
						 VMOSAL_NO_HANDLE, 0),
			 VMOSAL_EINVAL);
	ck_assert_int_eq(r[16 * page], 42);
	ck_assert_int_eq(vmosal_mem_release(r, huge), 0);
}
END_TEST

/* Reserved, unmapped space faults: it is what guards guest RAM. */
START_TEST(test_reserved_space_faults)
{
	volatile char *r = NULL;

	ck_assert_int_eq(vmosal_mem_reserve(page, 0, (void **)&r), 0);
	(void)r[0];
}
END_TEST

/* The protection really holds: a write to a read-only page kills the
 * (forked) test with SIGSEGV (SIGBUS on Darwin). */
START_TEST(test_mprotect_faults)
{
	volatile char *p = map_anon(page, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE);

	p[0] = 1;
	ck_assert_int_eq(vmosal_mprotect((void *)p, page, VMOSAL_PROT_READ), 0);
	ck_assert_int_eq(p[0], 1);
	p[0] = 2;
}
END_TEST

START_TEST(test_prot_none_faults)
{
	volatile char *p = map_anon(page, VMOSAL_PROT_NONE);
	char c = p[0];
	(void)c;
}
END_TEST

START_TEST(test_mprotect_restores_access)
{
	char *p = map_anon(page, VMOSAL_PROT_NONE);

	ck_assert_int_eq(vmosal_mprotect(p, page, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE), 0);
	p[0] = 3;
	ck_assert_int_eq(p[0], 3);
	ck_assert_int_eq(vmosal_munmap(p, page), 0);
}
END_TEST

/* Whether a THP control (enabled, shmem_enabled) lets PMD-size huge pages
 * in: the per-size control unless it says inherit, else the top-level one;
 * never and deny are off, and so is a kernel without the control. */
static bool thp_control_on(const char *name)
{
	char path[256], buf[160] = "";
	unsigned long long pmd = 0;
	bool got = false;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r");

	if (f != NULL) {
		if (fscanf(f, "%llu", &pmd) != 1)
			pmd = 0;
		fclose(f);
	}
	snprintf(path, sizeof path, "/sys/kernel/mm/transparent_hugepage/hugepages-%llukB/%s",
		 pmd / 1024, name);
	if (pmd != 0 && (f = fopen(path, "r")) != NULL) {
		got = fgets(buf, sizeof buf, f) != NULL && strstr(buf, "[inherit]") == NULL;
		fclose(f);
	}
	snprintf(path, sizeof path, "/sys/kernel/mm/transparent_hugepage/%s", name);
	if (!got && (f = fopen(path, "r")) != NULL) {
		got = fgets(buf, sizeof buf, f) != NULL;
		fclose(f);
	}
	return got && strstr(buf, "[never]") == NULL && strstr(buf, "[deny]") == NULL;
}

START_TEST(test_madvise)
{
	const size_t n = 4;
	char *p = map_anon(n * page, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE);
	unsigned char vec[4];

	VMOSAL_SKIP_IF_EMULATED("mincore residency");
	/* Every advice is taken or refused with ENOTSUP, never a silent no-op
	 * nor another error, on an ordinary anonymous mapping. */
	for (int a = 0; a < VMOSAL_MADV_COUNT; a++) {
		int rc = vmosal_mem_advise(p, n * page, (enum vmosal_advice)a);
		ck_assert_msg(rc == 0 || rc == VMOSAL_ENOTSUP, "advice %d: %s", a,
			      vmosal_err_name(rc));
	}
	ck_assert_int_eq(vmosal_mem_advise(p, n * page, VMOSAL_MADV_DODUMP), 0);
	ck_assert_int_eq(vmosal_mem_advise(p, n * page, VMOSAL_MADV_DOFORK), 0);
	/* DONTNEED drops private anonymous pages: they read back as zero. */
	memset(p, 9, n * page);
	ck_assert_int_eq(vmosal_mem_advise(p, n * page, VMOSAL_MADV_DONTNEED), 0);
	ck_assert_int_eq(p[0], 0);
	ck_assert_int_eq(p[n * page - 1], 0);
	/* POPULATE_WRITE (Linux 5.14+) faults the pages in. */
	if (vmosal_mem_advise(p, n * page, VMOSAL_MADV_POPULATE_WRITE) == 0) {
		ck_assert_int_eq(mincore(p, n * page, vec), 0);
		for (size_t i = 0; i < n; i++)
			ck_assert_int_eq(vec[i] & 1, 1);
	}
	/* MADV_FREE is for private anonymous memory only: refused on shared. */
	ck_assert_int_eq(vmosal_munmap(p, n * page), 0);
	ck_assert_int_eq(vmosal_mmap(NULL, page, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_SHARED | VMOSAL_MAP_ANONYMOUS, -1, 0, (void **)&p),
			 0);
	ck_assert_int_eq(vmosal_mem_advise(p, page, VMOSAL_MADV_FREE), VMOSAL_ENOTSUP);
	/* THP on shared memory is the shmem control's (Linux); where that is
	 * off, the advice would change nothing, so it is refused. */
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0)
		ck_assert_int_eq(vmosal_mem_advise(p, page, VMOSAL_MADV_HUGEPAGE),
				 thp_control_on("shmem_enabled") ? 0 : VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_munmap(p, page), 0);
}
END_TEST

/* The kernel's count of memory this process has locked, in kB; -1 when
 * /proc/self/status does not say. */
static long locked_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (kb < 0 && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmLck:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

START_TEST(test_mlock)
{
	char *p = map_anon(4 * page, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE);
	unsigned char vec[4];
	int rc = vmosal_mem_lock(p, 4 * page);
	long kb;

	if (geteuid() != 0 && (rc == VMOSAL_EPERM || rc == VMOSAL_ENOMEM)) {
		vmosal_munmap(p, 4 * page);
		VMOSAL_SKIP("the memlock limit forbids locking as non-root (%s)", vmosal_err_name(rc));
	}
	ck_assert_int_eq(rc, 0);
	kb = locked_kb();
#ifdef VMOSAL_TEST_SANITIZED
	/* The sanitizer's runtime answers mlock itself and locks nothing; the
	 * kernel's count tells. Elsewhere, nothing locked is a failure. */
	if (kb == 0) {
		ck_assert_int_eq(vmosal_mem_unlock(p, 4 * page), 0);
		ck_assert_int_eq(vmosal_munmap(p, 4 * page), 0);
		VMOSAL_SKIP("the sanitizer makes mlock a no-op: only return codes were checked");
	}
#endif
	if (kb >= 0)
		ck_assert_int_ge(kb, (long)(4 * page / 1024));
	/* Locked pages are resident. */
	ck_assert_int_eq(mincore(p, 4 * page, vec), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(vec[i] & 1, 1);
	ck_assert_int_eq(vmosal_mem_unlock(p, 4 * page), 0);
	ck_assert_int_eq(vmosal_munmap(p, 4 * page), 0);
}
END_TEST

START_TEST(test_huge_page_sizes)
{
	struct vmosal_huge_page_sizes ps = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_sizes);
	size_t dirs = 0;
	DIR *d;
	struct dirent *de;

	struct vmosal_huge_page_pool pool = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_pool);
	uint64_t prev = 0;

	ck_assert_int_eq(vmosal_huge_page_sizes(&ps), 0);
	ck_assert_uint_eq(ps.base, page);
	for (size_t i = 0; i < ps.huge_count; i++) {
		ck_assert_int_eq(vmosal_huge_page_pool(i, &pool), 0);
		ck_assert_uint_gt(pool.page_size, page);
		ck_assert_uint_eq(pool.page_size & (pool.page_size - 1), 0);
		ck_assert_uint_le(pool.free, pool.total);
		ck_assert_uint_gt(pool.page_size, prev); /* smallest first */
		prev = pool.page_size;
	}
	ck_assert_int_eq(vmosal_huge_page_pool(ps.huge_count, &pool), VMOSAL_ERANGE);
	/* The same sizes sysfs lists. */
	d = opendir("/sys/kernel/mm/hugepages");
	if (d == NULL) {
		ck_assert_uint_eq(ps.huge_count, 0);
		return;
	}
	while ((de = readdir(d)) != NULL)
		dirs += strncmp(de->d_name, "hugepages-", 10) == 0;
	closedir(d);
	ck_assert_uint_eq(ps.huge_count, dirs);
	if (dirs > 0) {
		bool found = false;
		for (size_t i = 0; i < ps.huge_count; i++) {
			ck_assert_int_eq(vmosal_huge_page_pool(i, &pool), 0);
			found |= pool.page_size == ps.huge_default;
		}
		ck_assert(found);
	}
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", R_OK) == 0) {
		ck_assert_uint_ne(ps.thp_mode, VMOSAL_THP_UNAVAILABLE);
		ck_assert_uint_gt(ps.thp_size, page);
	}
}
END_TEST

/* The record of reservations is locked by whichever thread calls into it;
 * a fork meanwhile must leave the child a record it can use. A thread
 * keeps the lock busy (a refused release holds it and nothing else) while
 * the suite's thread forks; each child reserves, maps and releases, which
 * would hang on a lock copied locked (it does within a few rounds without
 * the fork handler). Bounded by rounds; a hang is the test's timeout. */
static atomic_bool fork_stop;

static void *hold_record_lock(void *arg)
{
	while (!atomic_load(&fork_stop))
		(void)vmosal_mem_release(arg, page);
	return NULL;
}

START_TEST(test_fork_while_the_record_is_locked)
{
	long rounds = vmosal_test_rounds(40, 8);
	char *r = NULL;
	pthread_t t;

	ck_assert_int_eq(vmosal_mem_reserve(2 * page, 0, (void **)&r), 0);
	atomic_store(&fork_stop, false);
	ck_assert_int_eq(pthread_create(&t, NULL, hold_record_lock, r + page), 0);
	for (long i = 0; i < rounds; i++) {
		int status;
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			char *c = NULL;
			int ok = vmosal_mem_reserve(page, 0, (void **)&c) == 0 &&
				 vmosal_mem_map_reserved(c, page, VMOSAL_PROT_READ |
							 VMOSAL_PROT_WRITE,
							 VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS,
							 VMOSAL_NO_HANDLE, 0) == 0 &&
				 vmosal_mem_release(c, page) == 0 &&
				 vmosal_mem_release(r, 2 * page) == 0;
			_exit(ok ? 0 : 1);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "round %ld: the child's record failed (status %#x)", i, status);
	}
	atomic_store(&fork_stop, true);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(vmosal_mem_release(r, 2 * page), 0);
}
END_TEST

/* With no free huge pages, a reserved hugetlb mapping fails at once with
 * ENOMEM: the reservation is what saves a VMM from a later SIGBUS. */
START_TEST(test_hugetlb_without_pool)
{
	struct vmosal_huge_page_sizes ps = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_sizes);
	void *p = NULL;

	VMOSAL_SKIP_IF_EMULATED("MAP_HUGETLB");
	hugetlb_pool_lock(); /* no other suite fills the pool meanwhile */
	ck_assert_int_eq(vmosal_huge_page_sizes(&ps), 0);
	if (ps.huge_count == 0)
		VMOSAL_SKIP("the host has no hugetlb");
	for (size_t i = 0; i < ps.huge_count; i++) {
		struct vmosal_huge_page_pool pool = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_pool);
		ck_assert_int_eq(vmosal_huge_page_pool(i, &pool), 0);
		if (pool.page_size == ps.huge_default && pool.free > 0)
			VMOSAL_SKIP("huge pages are free: the empty-pool path is tested by "
				    "check_guest_ram");
	}
	ck_assert_int_eq(vmosal_mmap(NULL, (size_t)ps.huge_default,
				     VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS | VMOSAL_MAP_HUGETLB,
				     -1, 0, &p),
			 VMOSAL_ENOMEM);
	ck_assert_ptr_null(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mmap");
	TCase *tc = tcase_create("mmap");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_anonymous_private);
	tcase_add_test(tc, test_mprotect_of_a_hole);
	tcase_add_test(tc, test_file_mappings_and_access);
	tcase_add_test(tc, test_fixed_and_noreplace);
	tcase_add_test(tc, test_noreserve_and_populate);
	vmosal_tcase_add_test_raise_signal(tc, test_mprotect_faults, VMOSAL_TEST_PROT_SIGNAL);
	vmosal_tcase_add_test_raise_signal(tc, test_prot_none_faults, VMOSAL_TEST_PROT_SIGNAL);
	vmosal_tcase_add_test_raise_signal(tc, test_reserved_space_faults, VMOSAL_TEST_PROT_SIGNAL);
	tcase_add_test(tc, test_mprotect_restores_access);
	tcase_add_test(tc, test_reserve_aligned_without_slack);
	tcase_add_test(tc, test_map_into_reservation);
	tcase_add_test(tc, test_failed_map_stays_reserved);
	tcase_add_test(tc, test_hugetlb_never_maps_past_the_range);
	tcase_add_test(tc, test_madvise);
	tcase_add_test(tc, test_fork_while_the_record_is_locked);
	tcase_add_test(tc, test_mlock);
	tcase_add_test(tc, test_huge_page_sizes);
	tcase_add_test(tc, test_hugetlb_without_pool);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
