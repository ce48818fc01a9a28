/* Memory benchmarks: mapping calls against the raw syscalls, and guest RAM
 * preallocation throughput against a single-threaded MAP_POPULATE. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "bench.h"
#include "vmosal.h"

struct map_arg {
	size_t size;
	char *page; /* for mprotect */
};

static void lib_map(void *arg, uint64_t iters)
{
	struct map_arg *a = arg;
	void *p;

	for (uint64_t i = 0; i < iters; i++) {
		if (vmosal_mmap(NULL, a->size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS | VMOSAL_MAP_NORESERVE, -1, 0,
				&p) != 0)
			abort();
		vmosal_munmap(p, a->size);
	}
}

static void raw_map(void *arg, uint64_t iters)
{
	struct map_arg *a = arg;

	for (uint64_t i = 0; i < iters; i++) {
		void *p = mmap(NULL, a->size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			abort();
		munmap(p, a->size);
	}
}

static void lib_protect(void *arg, uint64_t iters)
{
	struct map_arg *a = arg;

	for (uint64_t i = 0; i < iters; i++)
		vmosal_mprotect(a->page, a->size,
				(i & 1) ? VMOSAL_PROT_READ : VMOSAL_PROT_READ | VMOSAL_PROT_WRITE);
}

static void raw_protect(void *arg, uint64_t iters)
{
	struct map_arg *a = arg;

	for (uint64_t i = 0; i < iters; i++)
		mprotect(a->page, a->size, (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE);
}

/* Into a reservation and back: the record's bookkeeping against the same
 * two MAP_FIXED calls (map, then put PROT_NONE back) made raw. */
struct reserved_arg {
	size_t size;
	char *res; /* a reservation of size bytes */
};

static void lib_map_reserved(void *arg, uint64_t iters)
{
	struct reserved_arg *a = arg;

	for (uint64_t i = 0; i < iters; i++) {
		if (vmosal_mem_map_reserved(a->res, a->size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
					    VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS, -1, 0) != 0 ||
		    vmosal_munmap(a->res, a->size) != 0)
			abort();
	}
}

static void raw_map_reserved(void *arg, uint64_t iters)
{
	struct reserved_arg *a = arg;

	for (uint64_t i = 0; i < iters; i++) {
		if (mmap(a->res, a->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ||
		    mmap(a->res, a->size, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
			 0) == MAP_FAILED)
			abort();
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#define RAM_SIZE ((size_t)1 << 30)
#define RAM_RUNS 5

/* GB/s of a 1 GiB guest RAM prealloc; pages is enum vmosal_guest_pages. */
static double guest_ram_gbs(uint32_t pages)
{
	struct vmosal_guest_ram_options o = {.struct_size = sizeof o,
						    .flags = VMOSAL_GUEST_PREALLOC, .pages = pages};
	struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
	double t0 = now_s(), t;

	if (vmosal_guest_ram_create(RAM_SIZE, &o, &ram) != 0)
		return 0;
	t = now_s() - t0;
	vmosal_guest_ram_destroy(&ram);
	return (double)RAM_SIZE / t / 1e9;
}

static double populate_gbs(void)
{
	double t0 = now_s(), t;
	void *p = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		return 0;
	t = now_s() - t0;
	munmap(p, RAM_SIZE);
	return (double)RAM_SIZE / t / 1e9;
}

/* Alternating runs, medians, ratio against MAP_POPULATE in the same run. */
static void guest_ram_bench(void)
{
	double base[RAM_RUNS], thp[RAM_RUNS], raw[RAM_RUNS];

	/* Warm-up: under a hypervisor the first touch of guest-physical memory
	 * also pays the host's faults; that cost belongs to no case. */
	populate_gbs();
	guest_ram_gbs(VMOSAL_PAGES_THP);
	for (int i = 0; i < RAM_RUNS; i++) {
		thp[i] = guest_ram_gbs(VMOSAL_PAGES_THP);
		raw[i] = populate_gbs();
		base[i] = guest_ram_gbs(VMOSAL_PAGES_BASE);
	}
	qsort(raw, RAM_RUNS, sizeof raw[0], cmp_double);
	qsort(base, RAM_RUNS, sizeof base[0], cmp_double);
	qsort(thp, RAM_RUNS, sizeof thp[0], cmp_double);
	printf("\n== guest RAM, 1 GiB preallocated (all usable CPUs) ==\n");
	printf("%-38s %12s %12s %8s %9s  %s\n", "operation", "vmosal GB/s", "raw GB/s", "ratio",
	       "target", "raw primitive");
	printf("%-38s %12.2f %12.2f %8.3f %9s  %s\n", "guest_ram prealloc, 4 KiB pages",
	       base[RAM_RUNS / 2], raw[RAM_RUNS / 2], base[RAM_RUNS / 2] / raw[RAM_RUNS / 2], "",
	       "1-thread MAP_POPULATE 4 KiB");
	printf("%-38s %12.2f %12.2f %8.3f %9s%s %s\n", "guest_ram prealloc, THP", thp[RAM_RUNS / 2],
	       raw[RAM_RUNS / 2], thp[RAM_RUNS / 2] / raw[RAM_RUNS / 2], ">=3.00x",
	       thp[RAM_RUNS / 2] / raw[RAM_RUNS / 2] < 3.0 ? "!" : " ",
	       "1-thread MAP_POPULATE 4 KiB");
	fflush(stdout);
}

int main(void)
{
	struct map_arg small = {.size = 4096}, two_mib = {.size = (size_t)2 << 20},
		       one_gib = {.size = (size_t)1 << 30}, prot = {.size = 4096};
	void *p;

	bench_need_backend("bench_mem");
	/* Before bench_begin pins the process to one CPU: prealloc threads
	 * need every CPU. */
	guest_ram_bench();

	if (vmosal_mmap(NULL, 4096, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
			VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS, -1, 0, &p) != 0)
		return 1;
	prot.page = p;
	bench_begin("memory mapping");
	bench_run(&(struct bench_case){"mmap+munmap 4 KiB NORESERVE", lib_map, "mmap+munmap",
				       raw_map, &small, 0, 1.05, 0});
	bench_run(&(struct bench_case){"mmap+munmap 2 MiB NORESERVE", lib_map, "mmap+munmap",
				       raw_map, &two_mib, 0, 1.05, 0});
	bench_run(&(struct bench_case){"mmap+munmap 1 GiB NORESERVE", lib_map, "mmap+munmap",
				       raw_map, &one_gib, 0, 1.05, 0});
	bench_run(&(struct bench_case){"mprotect 4 KiB", lib_protect, "mprotect", raw_protect,
				       &prot, 0, 1.05, 0});
	vmosal_munmap(p, 4096);
	{
		struct reserved_arg small_res = {.size = 4096}, big_res = {.size = (size_t)2 << 20};

		if (vmosal_mem_reserve(small_res.size, 0, (void **)&small_res.res) != 0 ||
		    vmosal_mem_reserve(big_res.size, 0, (void **)&big_res.res) != 0)
			return 1;
		bench_run(&(struct bench_case){"mem_map_reserved+munmap 4 KiB", lib_map_reserved,
					       "2 x mmap MAP_FIXED", raw_map_reserved, &small_res,
					       0, 1.05, 0});
		bench_run(&(struct bench_case){"mem_map_reserved+munmap 2 MiB", lib_map_reserved,
					       "2 x mmap MAP_FIXED", raw_map_reserved, &big_res,
					       0, 1.05, 0});
		vmosal_mem_release(small_res.res, small_res.size);
		vmosal_mem_release(big_res.res, big_res.size);
	}
	return bench_end();
}
