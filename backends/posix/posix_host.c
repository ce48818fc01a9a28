/* The POSIX backends' link to the host: the core's services, errno
 * translation, and the host's files (under VMOSAL_FSROOT). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "posix.h"

const struct vmosal_core_services *posix_core;

/* error.h's VMOSAL_ERRNO_MAP names each code after its errno, except
 * libvmosal's own two, which no errno can be: given values errno never
 * takes, they expand to cases that are never reached. A code appended to
 * the list without an errno of its name fails to compile here: define it
 * the same way. */
#if defined(EBACKEND) || defined(EUNKNOWN)
#error "this libc has an errno named as one of libvmosal's own codes"
#endif
#define EBACKEND (-1000)
#define EUNKNOWN (-1001)

int posix_error_from_errno(int errnum)
{
	if (errnum <= 0)
		return errnum == 0 ? 0 : VMOSAL_EUNKNOWN;
	switch (errnum) {
#define POSIX_ERRNO_CASE(name, value, msg) \
	case name:                         \
		return VMOSAL_##name;
	VMOSAL_ERRNO_MAP(POSIX_ERRNO_CASE)
#undef POSIX_ERRNO_CASE
	/* errno values with the same meaning as one of the list's. */
	case ENXIO:
		return VMOSAL_ENODEV;
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
	case EOPNOTSUPP:
		return VMOSAL_ENOTSUP;
#endif
	}
	return VMOSAL_EUNKNOWN;
}

#undef EBACKEND
#undef EUNKNOWN

int posix_last_error(void)
{
	return posix_error_from_errno(errno);
}

const char *posix_host_path(char *buf, size_t len, const char *path)
{
	const char *root = posix_core != NULL ? posix_core->secure_getenv("VMOSAL_FSROOT") : NULL;

	snprintf(buf, len, "%s%s", root != NULL ? root : "", path);
	return buf;
}

long posix_read_file(const char *path, char *buf, size_t len)
{
	size_t used = 0;
	int fd;

	if (len == 0)
		return VMOSAL_EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return posix_last_error();
	while (used < len - 1) {
		ssize_t n = read(fd, buf + used, len - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int rc = posix_last_error();
			close(fd);
			return rc;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buf[used] = '\0';
	return (long)used;
}
