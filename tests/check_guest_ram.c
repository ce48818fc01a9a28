/* Guest RAM: alignment, guards, THP and hugetlb backing, preallocation with
 * threads and progress, NUMA binding, and ENOMEM instead of SIGBUS when the
 * huge page pool runs out. Built for POSIX hosts and for Windows (under
 * Wine); a case Windows cannot run skips there and says why. */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#include <psapi.h>
#else
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <hwloc.h>

#ifndef _WIN32
#include "posix.h"
#endif
#include "testutil.h"
#include "vmosal.h"

#define MIB ((size_t)1 << 20)

static size_t page, granule;

static void setup(void)
{
	struct vmosal_host_caps caps = VMOSAL_STRUCT_INIT(struct vmosal_host_caps);

	ck_assert_int_eq(vmosal_init(), 0);
	page = vmosal_page_size();
	ck_assert_int_eq(vmosal_host_caps(&caps), 0);
	granule = (size_t)caps.map_granularity;
}

#ifdef _WIN32
/* A case that needs what Windows lacks. */
#define POSIX_ONLY(name, why)                          \
	START_TEST(name)                               \
	{                                              \
		VMOSAL_SKIP("Windows has no %s", why); \
	}                                              \
	END_TEST
#endif

/* The address ranges of the process's mappings. */
struct ranges {
	size_t n;
	uintptr_t lo[8192], hi[8192];
};

#ifdef _WIN32
/* One range per allocation, from VirtualQuery: neighbours stay apart, so
 * a new one is never hidden in an old one. */
static struct ranges *maps_now(void)
{
	struct ranges *r = calloc(1, sizeof *r);
	MEMORY_BASIC_INFORMATION mbi;
	uintptr_t a = 0, alloc = 0;

	ck_assert_ptr_nonnull(r);
	while (r->n < 8192 && VirtualQuery((void *)a, &mbi, sizeof mbi) != 0) {
		uintptr_t end = (uintptr_t)mbi.BaseAddress + mbi.RegionSize;

		if (mbi.State != MEM_FREE) {
			if (r->n > 0 && (uintptr_t)mbi.AllocationBase == alloc &&
			    r->hi[r->n - 1] == (uintptr_t)mbi.BaseAddress) {
				r->hi[r->n - 1] = end;
			} else {
				r->lo[r->n] = (uintptr_t)mbi.BaseAddress;
				r->hi[r->n++] = end;
			}
			alloc = (uintptr_t)mbi.AllocationBase;
		}
		if (end <= a)
			break;
		a = end;
	}
	return r;
}
#else
static struct ranges *maps_now(void)
{
	struct ranges *r = calloc(1, sizeof *r);
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long lo, hi;

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(f);
	while (r->n < 8192 && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
			r->lo[r->n] = lo;
			r->hi[r->n++] = hi;
		}
	fclose(f);
	return r;
}
#endif

/* Mappings of at least min_size bytes that share no byte with any mapping
 * of before: a failed allocation must leave none behind. Not a count of
 * lines, which a sanitizer changes by mapping inside the regions it
 * reserved at start-up, nor of small ones, which its runtime and libc
 * make for themselves. */
static int maps_new(const struct ranges *before, size_t min_size)
{
	struct ranges *now = maps_now();
	int n = 0;

	for (size_t i = 0; i < now->n; i++) {
		bool old = false;

		for (size_t j = 0; j < before->n && !old; j++)
			old = now->lo[i] < before->hi[j] && before->lo[j] < now->hi[i];
		n += !old && now->hi[i] - now->lo[i] >= min_size;
	}
	free(now);
	return n;
}

#ifdef _WIN32
/* Whether anything is reserved or committed in [addr, addr + size). */
static bool maps_overlap(const void *addr, size_t size)
{
	uintptr_t a = (uintptr_t)addr, end = a + size;
	MEMORY_BASIC_INFORMATION mbi;

	for (; a < end; a = (uintptr_t)mbi.BaseAddress + mbi.RegionSize) {
		ck_assert_uint_ne(VirtualQuery((void *)a, &mbi, sizeof mbi), 0);
		if (mbi.State != MEM_FREE)
			return true;
	}
	return false;
}

/* Pages of [addr, addr + size) in the working set; SIZE_MAX where the OS
 * cannot say (QueryWorkingSetEx missing or refused). */
static size_t resident_pages(void *addr, size_t size)
{
	typedef BOOL(WINAPI * query_fn)(HANDLE, PVOID, DWORD);
	query_fn query = (query_fn)(void (*)(void))GetProcAddress(GetModuleHandleW(L"kernel32.dll"),
								   "K32QueryWorkingSetEx");
	size_t n = (size + page - 1) / page, count = 0;
	PSAPI_WORKING_SET_EX_INFORMATION *v;

	if (query == NULL || (v = calloc(n, sizeof *v)) == NULL)
		return SIZE_MAX;
	for (size_t i = 0; i < n; i++)
		v[i].VirtualAddress = (char *)addr + i * page;
	if (!query(GetCurrentProcess(), v, (DWORD)(n * sizeof *v))) {
		free(v);
		return SIZE_MAX;
	}
	for (size_t i = 0; i < n; i++)
		count += v[i].VirtualAttributes.Valid;
	free(v);
	return count;
}
#else
/* Whether any mapping shares a byte with [addr, addr + size). */
/* Allocates nothing: a libc whose malloc maps memory (musl) would
 * otherwise place it in a range just freed, the one being asked about. */
static bool maps_overlap(const void *addr, size_t size)
{
	static char text[1 << 20];
	unsigned long lo = (unsigned long)(uintptr_t)addr, hi = lo + size, a, b;
	size_t len = 0;
	ssize_t got;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	while (len < sizeof text - 1 && (got = read(fd, text + len, sizeof text - 1 - len)) > 0)
		len += (size_t)got;
	close(fd);
	text[len] = '\0';
	for (char *line = text; *line != '\0'; line = strchr(line, '\n') + 1) {
		if (sscanf(line, "%lx-%lx", &a, &b) == 2 && a < hi && lo < b)
			return true;
		if (strchr(line, '\n') == NULL)
			break;
	}
	return false;
}

/* Pages of [addr, addr + size) resident in memory. */
static size_t resident_pages(void *addr, size_t size)
{
	size_t n = (size + page - 1) / page, count = 0;
	unsigned char *vec = malloc(n);

	ck_assert_ptr_nonnull(vec);
	ck_assert_int_eq(mincore(addr, size, vec), 0);
	for (size_t i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}
#endif

START_TEST(test_defaults)
{
	struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
	const size_t size = 6 * MIB;
	char *p;

	ck_assert_int_eq(vmosal_guest_ram_create(size, NULL, &ram), 0);
	p = ram.addr;
	ck_assert_uint_eq((uintptr_t)p % (2 * MIB), 0);
	ck_assert_uint_eq(ram.size, size);
	ck_assert(ram.handle == VMOSAL_NO_HANDLE);
	ck_assert_int_eq(p[0], 0);
	memset(p, 0xab, size);
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
	ck_assert_ptr_null(ram.addr);
	ck_assert(ram.handle == VMOSAL_NO_HANDLE);
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0); /* already freed */
}
END_TEST

/* Size and guard are multiples of the host's granule (the page size on
 * POSIX, 64 KiB on Windows), which the core checks: every OS answers the
 * same for the same granule. */
START_TEST(test_granule)
{
	struct vmosal_guest_ram_options o = {.struct_size = sizeof o, .guard_size = granule,
					     .alignment = granule};
	struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);

	printf("# granule: %zu bytes, page: %zu bytes\n", granule, page);
	ck_assert_uint_ge(granule, page);
	ck_assert_uint_eq(granule % page, 0);
	ck_assert_int_eq(vmosal_guest_ram_create(3 * granule, &o, &ram), 0);
	ck_assert_uint_eq((uintptr_t)ram.addr % granule, 0);
	((char *)ram.addr)[0] = 1;
	((char *)ram.addr)[3 * granule - 1] = 1;
	ck_assert(maps_overlap((char *)ram.addr - granule, granule));
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
	if (granule == page)
		return; /* nothing finer than the granule to refuse */
	/* Finer than the granule: refused, even where guard + RAM + guard
	 * would add up to whole granules. */
	o.guard_size = page;
	ck_assert_int_eq(vmosal_guest_ram_create(granule - 2 * page, &o, &ram), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_guest_ram_create(granule, &o, &ram), VMOSAL_EINVAL);
	o.guard_size = 0;
	ck_assert_int_eq(vmosal_guest_ram_create(granule + page, &o, &ram), VMOSAL_EINVAL);
	o.alignment = page; /* a finer alignment is met by the granule's */
	ck_assert_int_eq(vmosal_guest_ram_create(granule, &o, &ram), 0);
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
}
END_TEST

START_TEST(test_rejects_bad_options)
{
	struct vmosal_guest_ram ram = {.struct_size = sizeof ram, .addr = (void *)0x1};
	struct vmosal_guest_ram_options o = {.struct_size = sizeof o,
					     .flags = VMOSAL_GUEST_NUMA, .numa_node = 4000};
	struct ranges *before;

	/* First, as it loads the topology (and hwloc's libraries). */
	ck_assert_int_eq(vmosal_guest_ram_create(MIB, &o, &ram), VMOSAL_ENOENT);
	before = maps_now();

	ck_assert_int_eq(vmosal_guest_ram_create(MIB, NULL, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_guest_ram_create(0, NULL, &ram), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_guest_ram_create(MIB + 1, NULL, &ram), VMOSAL_EINVAL);
	memset(&o, 0, sizeof o);
	o.struct_size = sizeof o;
	o.flags = 0x1000;
	ck_assert_int_eq(vmosal_guest_ram_create(MIB, &o, &ram), VMOSAL_EINVAL);
	memset(&o, 0, sizeof o);
	o.struct_size = sizeof o;
	o.alignment = 3 * MIB;
	ck_assert_int_eq(vmosal_guest_ram_create(MIB, &o, &ram), VMOSAL_EINVAL);
	o.alignment = page / 2;
	ck_assert_int_eq(vmosal_guest_ram_create(MIB, &o, &ram), VMOSAL_EINVAL);
	memset(&o, 0, sizeof o);
	o.struct_size = sizeof o;
	o.guard_size = page + 1;
	ck_assert_int_eq(vmosal_guest_ram_create(MIB, &o, &ram), VMOSAL_EINVAL);
	memset(&o, 0, sizeof o);
	o.struct_size = sizeof o;
	o.huge_page_size = 2 * MIB; /* without PAGES_HUGETLB */
	ck_assert_int_eq(vmosal_guest_ram_create(2 * MIB, &o, &ram), VMOSAL_EINVAL);
	memset(&o, 0, sizeof o);
	o.struct_size = sizeof o;
	o.pages = 42;
	ck_assert_int_eq(vmosal_guest_ram_create(MIB, &o, &ram), VMOSAL_EINVAL);
	memset(&o, 0, sizeof o);
	o.struct_size = sizeof o;
	o.guard_size = SIZE_MAX / 2 / granule * granule;
	ck_assert_int_eq(vmosal_guest_ram_create(MIB, &o, &ram), VMOSAL_EOVERFLOW);
	memset(&o, 0, sizeof o);
	o.struct_size = sizeof o;
	o.pages = VMOSAL_PAGES_HUGETLB;
	o.huge_page_size = 3 * MIB; /* not a size the host offers */
	ck_assert_int_eq(vmosal_guest_ram_create(6 * MIB, &o, &ram), VMOSAL_ENOTSUP);
	ck_assert_ptr_eq(ram.addr, (void *)0x1);
	/* Each refused request was for a MiB or more. */
	ck_assert_int_eq(maps_new(before, MIB), 0);
	free(before);
	ram.addr = (void *)0x1;
	ram.map_base = NULL;
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_guest_ram_destroy(NULL), VMOSAL_EINVAL);
}
END_TEST

static struct vmosal_guest_ram guarded(void)
{
	struct vmosal_guest_ram_options o = {.struct_size = sizeof o,
					     .guard_size = 2 * granule, .alignment = 64 * 1024};
	struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);

	ck_assert_int_eq(vmosal_guest_ram_create(MIB, &o, &ram), 0);
	ck_assert_uint_eq((uintptr_t)ram.addr % (64 * 1024), 0);
	((char *)ram.addr)[0] = 1;
	((char *)ram.addr)[MIB - 1] = 1;
	return ram;
}

#ifndef _WIN32
START_TEST(test_guard_before)
{
	struct vmosal_guest_ram ram = guarded();
	(void)*(volatile char *)((char *)ram.addr - 1);
}
END_TEST

START_TEST(test_guard_after)
{
	struct vmosal_guest_ram ram = guarded();
	(void)*(volatile char *)((char *)ram.addr + ram.size + 2 * granule - 1);
}
END_TEST

#else
/* Without fork, the fault guard survives the access violation. */
static int touch(void *p)
{
	return *(volatile char *)p;
}

static void expect_guard_fault(char *at)
{
	struct vmosal_fault f = VMOSAL_STRUCT_INIT(struct vmosal_fault);

	ck_assert_int_eq(vmosal_fault_guard(touch, at, &f), VMOSAL_EFAULT);
	ck_assert_ptr_eq(f.addr, at);
}

START_TEST(test_guard_before)
{
	struct vmosal_guest_ram ram = guarded();

	expect_guard_fault((char *)ram.addr - 1);
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
}
END_TEST

START_TEST(test_guard_after)
{
	struct vmosal_guest_ram ram = guarded();

	expect_guard_fault((char *)ram.addr + ram.size + 2 * granule - 1);
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
}
END_TEST
#endif

/* The guards are part of the region: free releases them too. */
START_TEST(test_guard_freed)
{
	struct vmosal_guest_ram ram = guarded();
	char *lo = (char *)ram.addr - 2 * granule;
	size_t size = ram.size + 4 * granule;
#ifdef _WIN32
	MEMORY_BASIC_INFORMATION mbi;

	/* Reserved, so inaccessible; then given back. */
	ck_assert_uint_ne(VirtualQuery(lo, &mbi, sizeof mbi), 0);
	ck_assert_uint_eq(mbi.State, MEM_RESERVE);
	ck_assert_uint_ge(mbi.RegionSize, 2 * granule);
	ck_assert_uint_ne(VirtualQuery((char *)ram.addr + ram.size, &mbi, sizeof mbi), 0);
	ck_assert_uint_eq(mbi.State, MEM_RESERVE);
	ck_assert(maps_overlap(lo, size));
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
	ck_assert(!maps_overlap(lo, size));
#else
	unsigned char vec;

	VMOSAL_SKIP_IF_EMULATED("mincore residency");
	ck_assert_int_eq(mincore(lo, page, &vec), 0); /* mapped (PROT_NONE) */
	ck_assert(maps_overlap(lo, size));
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
	ck_assert(!maps_overlap(lo, size));
	ck_assert_int_eq(mincore(lo, page, &vec), -1);
#endif
}
END_TEST

struct progress {
	atomic_int calls;
	atomic_int active;
	uint64_t last;
	uint64_t total;
	bool went_back, overlapped;
};

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *pr = ctx;

	if (atomic_fetch_add(&pr->active, 1) != 0)
		pr->overlapped = true;
	if (done < pr->last)
		pr->went_back = true;
	pr->last = done;
	pr->total = total;
	atomic_fetch_add(&pr->calls, 1);
	atomic_fetch_sub(&pr->active, 1);
}

static void prealloc_check(uint32_t pages, unsigned threads)
{
	const size_t size = 64 * MIB;
	struct progress pr = {.last = 0};
	struct vmosal_guest_ram_options o = {.struct_size = sizeof(struct vmosal_guest_ram_options),
		.flags = VMOSAL_GUEST_PREALLOC,
		.pages = pages,
		.threads = threads,
		.progress = on_progress,
		.progress_ctx = &pr,
	};
	struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
	size_t resident;

	ck_assert_int_eq(vmosal_guest_ram_create(size, &o, &ram), 0);
	/* Every page is resident before the call returns. */
	resident = resident_pages(ram.addr, size);
	if (resident == SIZE_MAX)
		printf("# prealloc: residency not checked: this OS cannot say\n");
	else
		ck_assert_uint_eq(resident, size / page);
	ck_assert_int_gt(atomic_load(&pr.calls), 0);
	ck_assert(!pr.went_back);
	ck_assert(!pr.overlapped);
	ck_assert_uint_eq(pr.last, size);
	ck_assert_uint_eq(pr.total, size);
#ifndef _WIN32
	if (pages == VMOSAL_PAGES_THP)
		ck_assert_uint_gt(vmosal_test_smaps_kb(ram.addr, size, "AnonHugePages"), 0);
	if (pages == VMOSAL_PAGES_BASE)
		ck_assert_uint_eq(vmosal_test_smaps_kb(ram.addr, size, "AnonHugePages"), 0);
#endif
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
}

START_TEST(test_prealloc_base_pages)
{
	VMOSAL_SKIP_IF_EMULATED("mincore residency");
	prealloc_check(VMOSAL_PAGES_BASE, 0);
	prealloc_check(VMOSAL_PAGES_BASE, 3);
	prealloc_check(VMOSAL_PAGES_BASE, 1);
}
END_TEST

/* THP backing, seen where the kernel reports it: /proc/self/smaps. */
START_TEST(test_prealloc_thp)
{
	struct vmosal_huge_page_sizes ps = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_sizes);

	VMOSAL_SKIP_IF_EMULATED("mincore residency");
	ck_assert_int_eq(vmosal_huge_page_sizes(&ps), 0);
	if (ps.thp_mode != VMOSAL_THP_MADVISE && ps.thp_mode != VMOSAL_THP_ALWAYS) {
		struct vmosal_guest_ram_options o = {.struct_size = sizeof o,
						     .pages = VMOSAL_PAGES_THP};
		struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
		ck_assert_int_eq(vmosal_guest_ram_create(2 * MIB, &o, &ram), VMOSAL_ENOTSUP);
		VMOSAL_SKIP("transparent huge pages are off or absent on this host");
	}
	prealloc_check(VMOSAL_PAGES_THP, 0);
	prealloc_check(VMOSAL_PAGES_THP, 2);
}
END_TEST

#ifdef _WIN32
/* Shared anonymous RAM, and RAM backed by a section whose handle another
 * view sees. No guards: the fallback reservation (Wine's, and Windows
 * before 1803) can only give way whole to a view. */
START_TEST(test_shared_and_fd)
{
	struct vmosal_guest_ram_options o = {.struct_size = sizeof o,
					     .flags = VMOSAL_GUEST_SHARED};
	struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
	char *view = NULL;

	ck_assert_int_eq(vmosal_guest_ram_create(2 * MIB, &o, &ram), 0);
	strcpy(ram.addr, "shared");
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
	o.flags = VMOSAL_GUEST_FD | VMOSAL_GUEST_PREALLOC;
	ck_assert_int_eq(vmosal_guest_ram_create(4 * MIB, &o, &ram), 0);
	ck_assert(VMOSAL_HANDLE_VALID(ram.handle));
	ck_assert_int_eq(vmosal_mmap(NULL, 4 * MIB, VMOSAL_PROT_READ, VMOSAL_MAP_SHARED, ram.handle,
				     0, (void **)&view),
			 0);
	strcpy((char *)ram.addr + MIB, "guest");
	ck_assert_str_eq(view + MIB, "guest");
	ck_assert_int_eq(vmosal_munmap(view, 4 * MIB), 0);
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
	ck_assert(ram.handle == VMOSAL_NO_HANDLE);
}
END_TEST

POSIX_ONLY(test_fd_is_sealed, "seals to test: a paging-file section never changes size")
POSIX_ONLY(test_thp_on_shared_memory, "transparent huge pages")
#else
START_TEST(test_shared_and_fd)
{
	struct vmosal_guest_ram_options o = {.struct_size = sizeof o,
					     .flags = VMOSAL_GUEST_SHARED | VMOSAL_GUEST_DONTDUMP};
	struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
	struct stat st;
	char *view = NULL;
	int status;
	pid_t pid;

	/* Shared anonymous: a forked child's writes are seen. */
	ck_assert_int_eq(vmosal_guest_ram_create(2 * MIB, &o, &ram), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		strcpy(ram.addr, "child");
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_str_eq(ram.addr, "child");
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);

	/* Backed by a shared memory object whose fd another mapping sees. */
	o.flags = VMOSAL_GUEST_FD | VMOSAL_GUEST_PREALLOC;
	ck_assert_int_eq(vmosal_guest_ram_create(4 * MIB, &o, &ram), 0);
	ck_assert_int_ge(ram.handle, 0);
	ck_assert_int_eq(fstat(ram.handle, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)(4 * MIB));
	ck_assert_int_eq(vmosal_mmap(NULL, 4 * MIB, VMOSAL_PROT_READ, VMOSAL_MAP_SHARED, ram.handle,
				     0, (void **)&view),
			 0);
	strcpy((char *)ram.addr + MIB, "guest");
	ck_assert_str_eq(view + MIB, "guest");
	ck_assert_int_eq(vmosal_munmap(view, 4 * MIB), 0);
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
	ck_assert_int_eq(ram.handle, -1);
}
END_TEST

/* Another holder of the handle can neither shrink nor grow guest RAM (a
 * shrink would SIGBUS the VMM's next access), nor lift the seals. */
static void expect_sealed(int fd, size_t size)
{
	struct stat st;

	ck_assert_int_ne(ftruncate(fd, (off_t)(size / 2)), 0);
	ck_assert_int_ne(ftruncate(fd, (off_t)(size * 2)), 0);
	ck_assert_int_ne(ftruncate(fd, 0), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)size);
#ifdef F_GET_SEALS
	ck_assert_int_eq(fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	ck_assert_int_ne(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
#endif
}

START_TEST(test_fd_is_sealed)
{
	struct vmosal_guest_ram_options o = {.struct_size = sizeof o, .flags = VMOSAL_GUEST_FD};
	struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);

	ck_assert_int_eq(vmosal_guest_ram_create(4 * MIB, &o, &ram), 0);
	expect_sealed(ram.handle, 4 * MIB);
	/* Still whole: the last page is there to be written. */
	((char *)ram.addr)[4 * MIB - 1] = 1;
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
}
END_TEST

/* THP asked for by name on shared memory (a memfd, shared anonymous) is
 * the shmem control's: where that is off (never, the kernel's default),
 * ENOTSUP, never RAM that quietly has no huge pages. */
START_TEST(test_thp_on_shared_memory)
{
	const unsigned kinds[] = {VMOSAL_GUEST_FD, VMOSAL_GUEST_SHARED};
	bool anon_on = vmosal_test_thp_control_on("enabled");
	bool shmem_on = vmosal_test_thp_control_on("shmem_enabled");

	VMOSAL_SKIP_IF_EMULATED("THP controls of the host kernel");
	if (!vmosal_test_thp_present())
		VMOSAL_SKIP("the kernel has no transparent huge pages");
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		struct vmosal_guest_ram_options o = {.struct_size = sizeof o, .flags = kinds[i],
						     .pages = VMOSAL_PAGES_THP};
		struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
		int rc = vmosal_guest_ram_create(4 * MIB, &o, &ram);

		if (!anon_on || !shmem_on) {
			ck_assert_msg(rc == VMOSAL_ENOTSUP, "flags %#x: %s with THP %s, shmem THP %s",
				      kinds[i], vmosal_err_name(rc), anon_on ? "on" : "off",
				      shmem_on ? "on" : "off");
			continue;
		}
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(vmosal_test_thp_eligible(ram.addr), 1);
		ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
	}
	/* Whatever the controls say, the default falls back quietly. */
	{
		struct vmosal_guest_ram_options o = {.struct_size = sizeof o,
						     .flags = VMOSAL_GUEST_FD};
		struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);

		ck_assert_int_eq(vmosal_guest_ram_create(4 * MIB, &o, &ram), 0);
		ck_assert_int_eq(vmosal_test_thp_eligible(ram.addr), anon_on && shmem_on ? 1 : 0);
		ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
	}
}
END_TEST

#endif

START_TEST(test_numa_binding)
{
	int err = 0;
	hwloc_topology_t topo;
	hwloc_obj_t node;
	hwloc_nodeset_t where;
	struct vmosal_guest_ram_options o = {.struct_size = sizeof o,
					     .flags = VMOSAL_GUEST_NUMA | VMOSAL_GUEST_PREALLOC};
	struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
	int nodes;

	VMOSAL_SKIP_IF_EMULATED("mbind");
	ck_assert_int_eq(hwloc_topology_init(&topo), 0);
	ck_assert_int_eq(hwloc_topology_load(topo), 0);
	nodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	/* One node: binding works but proves nothing about placement. */
	o.numa_node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, 0)->os_index;
#ifdef _WIN32
	/* hwloc binds a range already allocated only where the OS can. */
	if (vmosal_guest_ram_create(4 * MIB, &o, &ram) == VMOSAL_ENOTSUP) {
		hwloc_topology_destroy(topo);
		VMOSAL_SKIP("Windows cannot bind memory already allocated to a node (hwloc)");
	}
#else
	ck_assert_int_eq(vmosal_guest_ram_create(4 * MIB, &o, &ram), 0);
#endif
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
	if (nodes < 2) {
		hwloc_topology_destroy(topo);
		VMOSAL_SKIP("the host has %d NUMA node: placement on another node is untestable",
			    nodes);
	}
	node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)nodes - 1);
	o.numa_node = node->os_index;
	ck_assert_int_eq(vmosal_guest_ram_create(16 * MIB, &o, &ram), 0);
	where = hwloc_bitmap_alloc();
	err = hwloc_get_area_memlocation(topo, ram.addr, ram.size, where, HWLOC_MEMBIND_BYNODESET);
	ck_assert_int_eq(err, 0);
	ck_assert(hwloc_bitmap_isequal(where, node->nodeset));
	hwloc_bitmap_free(where);
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
	hwloc_topology_destroy(topo);
}
END_TEST

/* ---- the huge page pool runs out: ENOMEM, not SIGBUS ---- */
#ifdef _WIN32
POSIX_ONLY(test_hugetlb_fits_pool, "hugetlb pool (large pages come from free memory)")
POSIX_ONLY(test_hugetlb_exhausted_enomem, "hugetlb pool (large pages come from free memory)")
POSIX_ONLY(test_hugetlb_fd_is_sealed, "hugetlb pool (large pages come from free memory)")
POSIX_ONLY(test_touch_fallback_guard, "hugetlb pool (large pages come from free memory)")
POSIX_ONLY(test_fork_while_guarding, "fork")
#else

#define POOL_PAGES 4

static void pool_setup(void)
{
	vmosal_test_hugetlb_pool_make(POOL_PAGES);
}

static bool have_pool(void)
{
	return vmosal_test_hugetlb_pool_read("free_hugepages") == POOL_PAGES;
}

START_TEST(test_hugetlb_fits_pool)
{
	struct vmosal_guest_ram_options o = {.struct_size = sizeof o,
					     .flags = VMOSAL_GUEST_PREALLOC,
					     .pages = VMOSAL_PAGES_HUGETLB,
					     .huge_page_size = VMOSAL_TEST_HUGETLB_PAGE};
	struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);

	VMOSAL_SKIP_IF_EMULATED("MAP_HUGETLB");
	if (!have_pool())
		VMOSAL_SKIP("needs root to make a pool of %d huge pages", POOL_PAGES);
	ck_assert_int_eq(vmosal_guest_ram_create(POOL_PAGES * VMOSAL_TEST_HUGETLB_PAGE, &o, &ram),
			 0);
	ck_assert_uint_eq((uintptr_t)ram.addr % VMOSAL_TEST_HUGETLB_PAGE, 0);
	ck_assert_int_eq(vmosal_test_hugetlb_pool_read("free_hugepages"), 0);
	memset(ram.addr, 7, ram.size);
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
	ck_assert_int_eq(vmosal_test_hugetlb_pool_read("free_hugepages"), POOL_PAGES);
}
END_TEST

/* Twice the pool, with NORESERVE: the mapping succeeds and only the faults
 * would find no page. Prealloc must say ENOMEM and leave nothing mapped. */
static void overcommit(unsigned flags, unsigned threads)
{
	struct vmosal_guest_ram_options o = {.struct_size = sizeof o,
					     .flags = VMOSAL_GUEST_PREALLOC | flags,
					     .pages = VMOSAL_PAGES_HUGETLB,
					     .threads = threads};
	struct vmosal_guest_ram ram = {.struct_size = sizeof ram, .addr = (void *)0x1};
	struct ranges *before = maps_now();

	ck_assert_int_eq(
		vmosal_guest_ram_create(2 * POOL_PAGES * VMOSAL_TEST_HUGETLB_PAGE, &o, &ram),
		VMOSAL_ENOMEM);
	ck_assert_ptr_eq(ram.addr, (void *)0x1);
	ck_assert_int_eq(maps_new(before, 2 * POOL_PAGES * VMOSAL_TEST_HUGETLB_PAGE), 0);
	free(before);
	ck_assert_int_eq(vmosal_test_hugetlb_pool_read("free_hugepages"), POOL_PAGES);
}

START_TEST(test_hugetlb_exhausted_enomem)
{
	VMOSAL_SKIP_IF_EMULATED("MAP_HUGETLB");
	if (!have_pool())
		VMOSAL_SKIP("needs root to make a pool of %d huge pages", POOL_PAGES);
	overcommit(VMOSAL_GUEST_NORESERVE, 1);
	overcommit(VMOSAL_GUEST_NORESERVE, 4);
	overcommit(VMOSAL_GUEST_NORESERVE | VMOSAL_GUEST_SHARED, 2);
	overcommit(VMOSAL_GUEST_NORESERVE | VMOSAL_GUEST_FD, 2);
	/* Reserved at map time: refused before any fault. */
	overcommit(0, 2);
}
END_TEST

/* The application's SIGBUS handler, passing on what it does not handle
 * to the one it replaced, as signal.h asks of a handler installed after
 * the first fault guard (which an earlier test in this process ran). */
static struct sigaction app_sigbus_prev;
static volatile sig_atomic_t app_sigbus_calls;

/* Takes what kill sent; passes faults on. */
static void app_sigbus(int sig, siginfo_t *si, void *uc)
{
	if (si->si_code <= 0)
		app_sigbus_calls++;
	else if (app_sigbus_prev.sa_flags & SA_SIGINFO)
		app_sigbus_prev.sa_sigaction(sig, si, uc);
}

struct touch {
	char *p;
	size_t size;
};

static int touch_pages(void *arg)
{
	struct touch *t = arg;
	posix_touch_pages(t->p, t->size, page);
	return 0;
}

/* The touch fallback used where MADV_POPULATE_WRITE is missing, under the
 * fault guard preallocation runs it in: a page the pool cannot back is
 * VMOSAL_EFAULT with its address, not a dead process, and the
 * application's own SIGBUS handler is in place before and after. */
/* hugetlbfs memfds take seals too (Linux 4.16 and later). */
START_TEST(test_hugetlb_fd_is_sealed)
{
	struct vmosal_guest_ram_options o = {.struct_size = sizeof o,
					     .flags = VMOSAL_GUEST_FD,
					     .pages = VMOSAL_PAGES_HUGETLB,
					     .huge_page_size = VMOSAL_TEST_HUGETLB_PAGE};
	struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);

	VMOSAL_SKIP_IF_EMULATED("MAP_HUGETLB");
	if (!have_pool())
		VMOSAL_SKIP("needs root to make a pool of %d huge pages", POOL_PAGES);
	ck_assert_int_eq(vmosal_guest_ram_create(POOL_PAGES * VMOSAL_TEST_HUGETLB_PAGE, &o, &ram),
			 0);
	expect_sealed(ram.handle, POOL_PAGES * VMOSAL_TEST_HUGETLB_PAGE);
	ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
}
END_TEST

START_TEST(test_touch_fallback_guard)
{
	const size_t size = 2 * POOL_PAGES * VMOSAL_TEST_HUGETLB_PAGE;
	struct sigaction mine = {.sa_sigaction = app_sigbus, .sa_flags = SA_SIGINFO}, now;
	struct vmosal_fault fault = VMOSAL_STRUCT_INIT(struct vmosal_fault);
	struct touch half, all;
	char *p;

	VMOSAL_SKIP_IF_EMULATED("MAP_HUGETLB");
	if (!have_pool())
		VMOSAL_SKIP("needs root to make a pool of %d huge pages", POOL_PAGES);
	sigemptyset(&mine.sa_mask);
	ck_assert_int_eq(sigaction(SIGBUS, &mine, &app_sigbus_prev), 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	half = (struct touch){p, size / 2};
	all = (struct touch){p, size};
	ck_assert_int_eq(vmosal_fault_guard(touch_pages, &half, &fault), 0);
	ck_assert_int_eq(vmosal_fault_guard(touch_pages, &all, &fault), VMOSAL_EFAULT);
	ck_assert_uint_eq(fault.signal, VMOSAL_SIGBUS);
	ck_assert_ptr_eq(fault.addr, p + size / 2);
	/* Still the application's: on top, or chained to by the guard's
	 * handler, installed over it by the first guard of this process. */
	app_sigbus_calls = 0;
	raise(SIGBUS);
	ck_assert_int_eq(app_sigbus_calls, 1);
	ck_assert_int_eq(munmap(p, size), 0);
	ck_assert_int_eq(sigaction(SIGBUS, NULL, &now), 0);
	if (now.sa_sigaction == app_sigbus)
		ck_assert_int_eq(sigaction(SIGBUS, &app_sigbus_prev, NULL), 0);
}
END_TEST

static atomic_bool touching;

static void *touch_loop(void *arg)
{
	struct touch t = {arg, page};

	while (atomic_load(&touching))
		vmosal_fault_guard(touch_pages, &t, NULL);
	return NULL;
}

/* fork() while another thread enters and leaves the fault guard, which
 * takes the registry lock around its sigaction calls: every child must be
 * able to use the guard itself, not find the lock held by a thread it
 * does not have. */
START_TEST(test_fork_while_guarding)
{
	char *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct touch t = {p, page};
	pthread_t toucher;
	int hung = 0;

	ck_assert_ptr_ne(p, MAP_FAILED);
	atomic_store(&touching, true);
	ck_assert_int_eq(pthread_create(&toucher, NULL, touch_loop, p), 0);
	for (long i = 0; i < vmosal_test_rounds(300, 10); i++) {
		int status = 0;
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			vmosal_test_child_deadline(2);
			_exit(vmosal_fault_guard(touch_pages, &t, NULL) == 0 ? 0 : 1);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		hung += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
		if (hung > 0)
			break;
	}
	atomic_store(&touching, false);
	ck_assert_int_eq(pthread_join(toucher, NULL), 0);
	ck_assert_int_eq(munmap(p, page), 0);
	ck_assert_int_eq(hung, 0);
}
END_TEST

#endif

/* Discarding a range gives its memory back; the range reads back as zero. */
START_TEST(test_guest_ram_discard)
{
	const size_t size = (size_t)4 << 20, pg = vmosal_page_size();
	const unsigned kinds[] = {0, VMOSAL_GUEST_SHARED, VMOSAL_GUEST_FD};

	VMOSAL_SKIP_IF_EMULATED("madvise(MADV_DONTNEED)");
	for (size_t i = 0; i < 3; i++) {
		struct vmosal_guest_ram_options o = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram_options);
		struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
		char *p;

		o.flags = kinds[i];
		ck_assert_int_eq(vmosal_guest_ram_create(size, &o, &ram), 0);
		p = ram.addr;
		memset(p, 0x5a, size);
#ifdef _WIN32
		/* A section keeps its pages until its last view and handle go:
		 * nothing punches a hole in one. Private memory stays
		 * accessible, reading back as its old data or zero. */
		if (kinds[i] != 0) {
			ck_assert_int_eq(vmosal_guest_ram_discard(&ram, pg, 2 * pg),
					 VMOSAL_ENOTSUP);
		} else {
			ck_assert_int_eq(vmosal_guest_ram_discard(&ram, pg, 2 * pg), 0);
			ck_assert_int_eq(p[pg - 1], 0x5a);
			ck_assert(p[pg] == 0 || p[pg] == 0x5a);
			p[pg] = 1;
			ck_assert_int_eq(p[pg], 1);
			ck_assert_int_eq(p[3 * pg], 0x5a);
		}
#else
		ck_assert_int_eq(vmosal_guest_ram_discard(&ram, pg, 2 * pg), 0);
		ck_assert_int_eq(p[pg - 1], 0x5a);
		ck_assert_int_eq(p[pg], 0);
		ck_assert_int_eq(p[3 * pg - 1], 0);
		ck_assert_int_eq(p[3 * pg], 0x5a);
		if (kinds[i] == VMOSAL_GUEST_FD) {
			struct stat st;
			/* The hole is in the object: its size stays. */
			ck_assert_int_eq(fstat(ram.handle, &st), 0);
			ck_assert_int_eq(st.st_size, (off_t)size);
		}
#endif
		ck_assert_int_eq(vmosal_guest_ram_discard(&ram, 1, pg), VMOSAL_EINVAL);
		ck_assert_int_eq(vmosal_guest_ram_discard(&ram, 0, 0), VMOSAL_EINVAL);
		ck_assert_int_eq(vmosal_guest_ram_discard(&ram, size - pg, 2 * pg),
				 VMOSAL_EINVAL);
		ck_assert_int_eq(vmosal_guest_ram_discard(&ram, SIZE_MAX - pg + 1, 2 * pg),
				 VMOSAL_EINVAL);
		ck_assert_int_eq(vmosal_guest_ram_discard(NULL, 0, pg), VMOSAL_EINVAL);
		ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
		ck_assert_int_eq(vmosal_guest_ram_discard(&ram, 0, pg), VMOSAL_EINVAL);
	}
}
END_TEST


int main(void)
{
	Suite *s = suite_create("guest_ram");
	TCase *tc = tcase_create("guest_ram");
	TCase *pool = tcase_create("hugetlb_pool");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_rejects_bad_options);
	tcase_add_test(tc, test_granule);
#ifdef _WIN32
	tcase_add_test(tc, test_guard_before);
	tcase_add_test(tc, test_guard_after);
#else
	vmosal_tcase_add_test_raise_signal(tc, test_guard_before, VMOSAL_TEST_PROT_SIGNAL);
	vmosal_tcase_add_test_raise_signal(tc, test_guard_after, VMOSAL_TEST_PROT_SIGNAL);
#endif
	tcase_add_test(tc, test_guard_freed);
	tcase_add_test(tc, test_prealloc_base_pages);
	tcase_add_test(tc, test_prealloc_thp);
	tcase_add_test(tc, test_shared_and_fd);
	tcase_add_test(tc, test_fd_is_sealed);
	tcase_add_test(tc, test_thp_on_shared_memory);
	tcase_add_test(tc, test_numa_binding);
	tcase_add_test(tc, test_fork_while_guarding);
	tcase_add_test(tc, test_guest_ram_discard);
	suite_add_tcase(s, tc);

	tcase_set_timeout(pool, 60);
	tcase_add_checked_fixture(pool, setup, NULL);
#ifndef _WIN32
	tcase_add_unchecked_fixture(pool, pool_setup, vmosal_test_hugetlb_pool_restore);
#endif
	tcase_add_test(pool, test_hugetlb_fits_pool);
	tcase_add_test(pool, test_hugetlb_exhausted_enomem);
	tcase_add_test(pool, test_hugetlb_fd_is_sealed);
	tcase_add_test(pool, test_touch_fallback_guard);
	suite_add_tcase(s, pool);
	return vmosal_run_suite(s);
}
