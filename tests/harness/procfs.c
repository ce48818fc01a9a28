/* Readers of /proc: the descriptors, mappings and smaps of this process. */
#include "config.h"

#include "internal.h"

bool vmosal_test_open_fds(bool open_fds[VMOSAL_TEST_FD_MAX])
{
#ifdef _WIN32
	/* No list of a process's handles to compare there. */
	(void)open_fds;
	return false;
#else
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (d == NULL)
		return false;
	memset(open_fds, 0, VMOSAL_TEST_FD_MAX * sizeof open_fds[0]);
	while ((de = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (end != de->d_name && *end == '\0' && fd >= 0 && fd < VMOSAL_TEST_FD_MAX &&
		    fd != dirfd(d))
			open_fds[fd] = true;
	}
	closedir(d);
	return true;
#endif
}

int vmosal_test_fd_leaks(const bool *before, const bool *after, char *out, size_t cap)
{
	size_t len = 0;
	int count = 0;

	out[0] = '\0';
	for (int fd = 0; fd < VMOSAL_TEST_FD_MAX; fd++) {
		char link[64], target[256] = "?";
		ssize_t n;

		if (!after[fd] || before[fd])
			continue;
		count++;
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
#ifdef _WIN32
		n = 0;
#else
		n = readlink(link, target, sizeof target - 1);
#endif
		target[n > 0 ? n : 1] = '\0';
		if (len < cap)
			len += (size_t)snprintf(out + len, cap - len, "%s%d -> %s",
						count > 1 ? ", " : "", fd, target);
	}
	return count;
}

#ifndef _WIN32
bool vmosal_test_mapping_at(const void *addr, uintptr_t *start, uintptr_t *end, char perms[5])
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof line, f) != NULL) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && (uintptr_t)addr >= lo &&
		    (uintptr_t)addr < hi) {
			if (start != NULL)
				*start = lo;
			if (end != NULL)
				*end = hi;
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* A line of /proc/self/smaps that opens a mapping: "lo-hi perms ...", and
 * its bounds. */
static bool smaps_head(const char *line, unsigned long *lo, unsigned long *hi)
{
	return sscanf(line, "%lx-%lx ", lo, hi) == 2 && strchr(line, '-') < strchr(line, ' ');
}

uint64_t vmosal_test_smaps_kb(const void *addr, size_t size, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool inside = false;
	uint64_t kb = 0;
	size_t flen = strlen(field);

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long lo, hi;

		if (smaps_head(line, &lo, &hi)) {
			inside = lo < (uintptr_t)addr + size && hi > (uintptr_t)addr;
			continue;
		}
		if (inside && strncmp(line, field, flen) == 0 && line[flen] == ':')
			kb += strtoull(line + flen + 1, NULL, 10);
	}
	fclose(f);
	return kb;
}

int vmosal_test_thp_eligible(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool inside = false;
	int v = -1;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long lo, hi;

		if (smaps_head(line, &lo, &hi)) {
			inside = lo <= (uintptr_t)addr && hi > (uintptr_t)addr;
			continue;
		}
		if (inside && sscanf(line, "THPeligible: %d", &v) == 1)
			break;
	}
	fclose(f);
	return v;
}
#endif
