/* Huge pages as the host has them: the THP controls in sysfs, and a
 * hugetlb pool of 2 MiB pages that a test running as root makes and puts
 * back. POSIX hosts only (Makefile.am). */
#include "config.h"

#include <sys/file.h>

#include "internal.h"

#define THP_DIR "/sys/kernel/mm/transparent_hugepage/"
#define POOL_DIR "/sys/kernel/mm/hugepages/hugepages-2048kB/"

bool vmosal_test_thp_present(void)
{
	return access(THP_DIR "enabled", F_OK) == 0;
}

bool vmosal_test_thp_control_on(const char *name)
{
	char path[256], buf[160] = "";
	unsigned long long pmd = 0;
	bool got = false;
	FILE *f = fopen(THP_DIR "hpage_pmd_size", "r");

	if (f != NULL) {
		if (fscanf(f, "%llu", &pmd) != 1)
			pmd = 0;
		fclose(f);
	}
	snprintf(path, sizeof path, THP_DIR "hugepages-%llukB/%s", pmd / 1024, name);
	if (pmd != 0 && (f = fopen(path, "r")) != NULL) {
		got = fgets(buf, sizeof buf, f) != NULL && strstr(buf, "[inherit]") == NULL;
		fclose(f);
	}
	snprintf(path, sizeof path, THP_DIR "%s", name);
	if (!got && (f = fopen(path, "r")) != NULL) {
		got = fgets(buf, sizeof buf, f) != NULL;
		fclose(f);
	}
	return got && strstr(buf, "[never]") == NULL && strstr(buf, "[deny]") == NULL;
}

long vmosal_test_hugetlb_pool_read(const char *file)
{
	char path[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof path, POOL_DIR "%s", file);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static bool pool_write(long pages)
{
	FILE *f = fopen(POOL_DIR "nr_hugepages", "w");
	bool ok;

	if (f == NULL)
		return false;
	ok = fprintf(f, "%ld\n", pages) > 0;
	return fclose(f) == 0 && ok;
}

static int pool_lock_fd = -1;

void vmosal_test_hugetlb_pool_lock(void)
{
	if (pool_lock_fd >= 0)
		return;
	pool_lock_fd = open("/tmp/vmosal-test-hugetlb.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (pool_lock_fd >= 0)
		flock(pool_lock_fd, LOCK_EX);
}

void vmosal_test_hugetlb_pool_unlock(void)
{
	if (pool_lock_fd >= 0)
		close(pool_lock_fd);
	pool_lock_fd = -1;
}

/* Pool size before the test, or -1 when none was changed. */
static long pool_saved = -1;

bool vmosal_test_hugetlb_pool_make(long pages)
{
	long total;

	vmosal_test_hugetlb_pool_lock();
	total = vmosal_test_hugetlb_pool_read("nr_hugepages");
	if (geteuid() != 0 || total < 0)
		return false;
	if (total != vmosal_test_hugetlb_pool_read("free_hugepages"))
		return false; /* someone else uses huge pages: leave them be */
	if (pool_saved < 0)
		pool_saved = total;
	if (!pool_write(pages) || vmosal_test_hugetlb_pool_read("free_hugepages") != pages) {
		pool_write(pool_saved);
		pool_saved = -1;
		return false;
	}
	return true;
}

void vmosal_test_hugetlb_pool_restore(void)
{
	if (pool_saved >= 0)
		pool_write(pool_saved);
	pool_saved = -1;
	vmosal_test_hugetlb_pool_unlock();
}
