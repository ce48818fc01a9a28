/* libvmosal error codes.
 *
 * Every function that can fail returns int: 0 on success, or one of the
 * negative codes below. The values are fixed constants, the same on every OS
 * and architecture; backends translate errno / GetLastError() into them. */
#ifndef VMOSAL_ERROR_H
#define VMOSAL_ERROR_H

#include "common.h"

VMOSAL_BEGIN_DECLS

/* X(name, value, message): the one list that makes the enum, the names and
 * the messages. Values never change once released; new codes append. */
#define VMOSAL_ERRNO_MAP(X)                                                   \
	X(EPERM, -1, "operation not permitted")                                  \
	X(ENOENT, -2, "no such file, device or object")                          \
	X(ESRCH, -3, "no such thread or process")                                \
	X(EINTR, -4, "interrupted")                                              \
	X(EIO, -5, "input/output error")                                         \
	X(EBADF, -9, "bad file descriptor or handle")                            \
	X(EAGAIN, -11, "resource temporarily unavailable")                       \
	X(ENOMEM, -12, "out of memory")                                          \
	X(EACCES, -13, "permission denied")                                      \
	X(EFAULT, -14, "bad address")                                            \
	X(EBUSY, -16, "resource busy")                                           \
	X(EEXIST, -17, "already exists")                                         \
	X(ENODEV, -19, "no such device")                                         \
	X(EINVAL, -22, "invalid argument")                                       \
	X(ENOSPC, -28, "no space left")                                          \
	X(ERANGE, -34, "value out of range")                                     \
	X(ENOSYS, -38, "function not implemented by this OS")                    \
	X(EOVERFLOW, -75, "value too large")                                     \
	X(ENOTSUP, -95, "not supported on this host")                            \
	X(ETIMEDOUT, -110, "timed out")                                          \
	X(EBACKEND, -1000, "OS backend could not be loaded")                     \
	X(EUNKNOWN, -1001, "unknown OS error")                                   \
	X(EPIPE, -32, "the other end is gone")                                   \
	X(ENAMETOOLONG, -36, "name too long")                                    \
	X(EMSGSIZE, -90, "message too long")

enum vmosal_error {
	VMOSAL_OK = 0,
#define VMOSAL_ERRNO_ENUM(name, value, msg) VMOSAL_##name = value,
	VMOSAL_ERRNO_MAP(VMOSAL_ERRNO_ENUM)
#undef VMOSAL_ERRNO_ENUM
};

/* A message for any int: a code above, 0, or an unknown value (never NULL). */
VMOSAL_API const char *vmosal_strerror(int code);

/* The code's name without prefix, e.g. "EINVAL"; "OK" for 0, "UNKNOWN" for
 * a value that is not a code (never NULL). */
VMOSAL_API const char *vmosal_err_name(int code);

VMOSAL_END_DECLS

#endif
