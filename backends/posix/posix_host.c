/* The POSIX backends' link to the host: the core's services, errno
 * translation, and the host's files (under VMOSAL_FSROOT). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "posix.h"

const struct vmosal_core_services *posix_core;

int posix_error_from_errno(int errnum)
{
	switch (errnum) {
	case 0:
		return 0;
	case EPERM:
		return VMOSAL_EPERM;
	case ENOENT:
		return VMOSAL_ENOENT;
	case ESRCH:
		return VMOSAL_ESRCH;
	case EINTR:
		return VMOSAL_EINTR;
	case EIO:
		return VMOSAL_EIO;
	case EBADF:
		return VMOSAL_EBADF;
	case EAGAIN:
		return VMOSAL_EAGAIN;
	case ENOMEM:
		return VMOSAL_ENOMEM;
	case EACCES:
		return VMOSAL_EACCES;
	case EFAULT:
		return VMOSAL_EFAULT;
	case EBUSY:
		return VMOSAL_EBUSY;
	case EEXIST:
		return VMOSAL_EEXIST;
	case ENODEV:
	case ENXIO:
		return VMOSAL_ENODEV;
	case EINVAL:
		return VMOSAL_EINVAL;
	case ENOSPC:
		return VMOSAL_ENOSPC;
	case ERANGE:
		return VMOSAL_ERANGE;
	case ENOSYS:
		return VMOSAL_ENOSYS;
	case EOVERFLOW:
		return VMOSAL_EOVERFLOW;
#if defined(ENOTSUP) && defined(EOPNOTSUPP) && ENOTSUP != EOPNOTSUPP
	case EOPNOTSUPP:
#endif
	case ENOTSUP:
		return VMOSAL_ENOTSUP;
	case ETIMEDOUT:
		return VMOSAL_ETIMEDOUT;
	}
	return VMOSAL_EUNKNOWN;
}

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
