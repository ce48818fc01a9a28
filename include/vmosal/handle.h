/* libvmosal: what every handle the library hands out shares.
 *
 * Shared memory objects, events, devices and signal handles (and each
 * handle type added later) are vmosal_handle_t (common.h): a descriptor on
 * POSIX, a HANDLE on Windows. Whatever made one, these calls close,
 * duplicate and mark it. Every handle libvmosal makes is not inherited by
 * child processes (POSIX: close-on-exec; Windows: not inheritable) until
 * vmosal_handle_set_inheritable says otherwise; a macOS signal handle or
 * timer (a kqueue) is never inherited, whatever its flag, nor sent to
 * another process (kqueue(2)). */
#ifndef VMOSAL_HANDLE_H
#define VMOSAL_HANDLE_H

#include "common.h"

VMOSAL_BEGIN_DECLS

/* Closes h. The handle is gone even when this returns an error (as Linux's
 * close is after EIO): never close it again. VMOSAL_EBADF when h cannot
 * name an object (VMOSAL_HANDLE_VALID). POSIX: close; Windows:
 * CloseHandle. */
VMOSAL_API int vmosal_handle_close(vmosal_handle_t h);

/* Stores in *out a second handle to h's object, not inherited by child
 * processes, which vmosal_handle_close closes on its own; an event stays
 * an event. POSIX: fcntl(F_DUPFD_CLOEXEC); Windows: DuplicateHandle with
 * the same access. VMOSAL_EBADF for a handle that names nothing. */
VMOSAL_API int vmosal_handle_dup(vmosal_handle_t h, vmosal_handle_t *out);

/* Whether processes the caller starts from now on inherit h. POSIX: clears
 * or sets FD_CLOEXEC (the child finds h under the same number); Windows:
 * HANDLE_FLAG_INHERIT (CreateProcess with bInheritHandles TRUE; the child
 * finds h under the same value). */
VMOSAL_API int vmosal_handle_set_inheritable(vmosal_handle_t h, bool inherit);

VMOSAL_END_DECLS

#endif
