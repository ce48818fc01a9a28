/* Scratch files: outside the source tree, gone even when a test fails. */
#include "config.h"

#include "internal.h"

int vmosal_test_tmpfile(void)
{
#ifdef _WIN32
	char dir[MAX_PATH], path[MAX_PATH];

	/* Deleted when its last descriptor closes. */
	if (GetTempPathA(sizeof dir, dir) == 0 || GetTempFileNameA(dir, "vmo", 0, path) == 0)
		return -1;
	return _open(path, _O_RDWR | _O_BINARY | _O_TEMPORARY | _O_TRUNC | _O_NOINHERIT);
#else
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	snprintf(path, sizeof path, "%s/vmosal-check-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd >= 0) {
		unlink(path);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	return fd;
#endif
}

void vmosal_test_append_only(int fd)
{
#ifdef _WIN32
	/* One process writes them there: the end is where it is. */
	(void)fd;
#else
	fcntl(fd, F_SETFL, O_APPEND);
#endif
}

char *vmosal_test_read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *text = malloc(cap);
	ssize_t got;

	if (text == NULL || lseek(fd, 0, SEEK_SET) < 0) {
		free(text);
		return NULL;
	}
	while ((got = read(fd, text + len, cap - len - 1)) > 0) {
		len += (size_t)got;
		if (cap - len == 1) {
			char *more = realloc(text, cap * 2);

			if (more == NULL)
				break;
			text = more;
			cap *= 2;
		}
	}
	text[len] = '\0';
	return text;
}

long vmosal_test_handle_count(void)
{
#ifdef _WIN32
	DWORD n = 0;

	return GetProcessHandleCount(GetCurrentProcess(), &n) ? (long)n : -1;
#else
	/* Every descriptor below the limit that names something: no /proc
	 * needed, so it counts the same on every POSIX system. */
	long max = sysconf(_SC_OPEN_MAX), n = 0;

	if (max < 0 || max > 65536)
		max = 65536;
	for (long fd = 0; fd < max; fd++)
		if (fcntl((int)fd, F_GETFD) != -1)
			n++;
	return n;
#endif
}
