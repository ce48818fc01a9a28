/* A hugetlb pool of a few 2 MiB pages, made by a test that runs as root and
 * put back as it was afterwards. */
#ifndef VMOSAL_HUGETLB_POOL_H
#define VMOSAL_HUGETLB_POOL_H

#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#define HUGETLB_POOL_DIR "/sys/kernel/mm/hugepages/hugepages-2048kB/"
#define HUGETLB_POOL_PAGE ((size_t)2 << 20)

static inline long hugetlb_pool_read(const char *file)
{
	char path[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof path, HUGETLB_POOL_DIR "%s", file);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static inline bool hugetlb_pool_write(long pages)
{
	FILE *f = fopen(HUGETLB_POOL_DIR "nr_hugepages", "w");
	bool ok;

	if (f == NULL)
		return false;
	ok = fprintf(f, "%ld\n", pages) > 0;
	return fclose(f) == 0 && ok;
}

/* The pool is one per host and 'make check' runs suites in parallel: a
 * test that makes it, or needs it empty, holds this lock meanwhile. */
static int hugetlb_pool_lock_fd = -1;

static inline void hugetlb_pool_lock(void)
{
	if (hugetlb_pool_lock_fd >= 0)
		return;
	hugetlb_pool_lock_fd = open("/tmp/vmosal-test-hugetlb.lock", O_RDWR | O_CREAT | O_CLOEXEC,
				    0600);
	if (hugetlb_pool_lock_fd >= 0)
		flock(hugetlb_pool_lock_fd, LOCK_EX);
}

static inline void hugetlb_pool_unlock(void)
{
	if (hugetlb_pool_lock_fd >= 0)
		close(hugetlb_pool_lock_fd);
	hugetlb_pool_lock_fd = -1;
}

/* Pool size before the test, or -1 when none was changed. */
static long hugetlb_pool_saved = -1;

/* Makes the pool exactly `pages` free pages. Returns false (nothing
 * changed) when not root, the host has no 2 MiB pages, or the kernel could
 * not find that many. */
static inline bool hugetlb_pool_make(long pages)
{
	long total;

	hugetlb_pool_lock();
	total = hugetlb_pool_read("nr_hugepages");
	if (geteuid() != 0 || total < 0)
		return false;
	if (total != hugetlb_pool_read("free_hugepages"))
		return false; /* someone else uses huge pages: leave them be */
	if (hugetlb_pool_saved < 0)
		hugetlb_pool_saved = total;
	if (!hugetlb_pool_write(pages) || hugetlb_pool_read("free_hugepages") != pages) {
		hugetlb_pool_write(hugetlb_pool_saved);
		hugetlb_pool_saved = -1;
		return false;
	}
	return true;
}

static inline void hugetlb_pool_restore(void)
{
	if (hugetlb_pool_saved >= 0)
		hugetlb_pool_write(hugetlb_pool_saved);
	hugetlb_pool_saved = -1;
	hugetlb_pool_unlock();
}

#endif
