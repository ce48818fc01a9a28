/* libvmosal: definitions every public header shares. */
#ifndef VMOSAL_COMMON_H
#define VMOSAL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define VMOSAL_BEGIN_DECLS extern "C" {
#define VMOSAL_END_DECLS }
#else
#define VMOSAL_BEGIN_DECLS
#define VMOSAL_END_DECLS
#endif

/* Marks the library's exported functions; everything else is hidden. */
#if defined(_WIN32)
#if defined(VMOSAL_BUILDING_LIBRARY)
#define VMOSAL_API __declspec(dllexport)
#else
#define VMOSAL_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define VMOSAL_API __attribute__((visibility("default")))
#else
#define VMOSAL_API
#endif

/* The version of these headers; the only place it is written (configure
 * reads it). vmosal_version() (platform.h) is the library's at run time. */
#define VMOSAL_VERSION_MAJOR 0
#define VMOSAL_VERSION_MINOR 3
#define VMOSAL_VERSION_PATCH 0
#define VMOSAL_VERSION_OF(major, minor, patch) \
	(((uint32_t)(major) << 16) | ((uint32_t)(minor) << 8) | (uint32_t)(patch))
#define VMOSAL_VERSION \
	VMOSAL_VERSION_OF(VMOSAL_VERSION_MAJOR, VMOSAL_VERSION_MINOR, VMOSAL_VERSION_PATCH)

/* A NUMA node is the OS's node number, an int; as an argument, -1 means
 * any node. */
#define VMOSAL_NUMA_ANY (-1)

/* OS thread id, valid for any thread of the process (Linux: kernel tid;
 * Windows: thread id). VMOSAL_TID_SELF (0) is never a real thread's id: as
 * an argument it means the calling thread. */
typedef uint64_t vmosal_tid_t;
#define VMOSAL_TID_SELF ((vmosal_tid_t)0)

/* An OS object handle: a file descriptor on POSIX systems, a HANDLE on
 * Windows (file mapping sections, events). VMOSAL_NO_HANDLE means "none"
 * (anonymous memory, no descriptor); VMOSAL_HANDLE_VALID tells a handle a
 * call may use from one that cannot name an object. A close call
 * (vmosal_handle_close, handle.h) frees the handle even when it
 * returns an error (as Linux's close does with EIO): never close it again. */
#if defined(_WIN32)
typedef void *vmosal_handle_t;
#define VMOSAL_NO_HANDLE ((vmosal_handle_t)(intptr_t)-1) /* INVALID_HANDLE_VALUE */
#define VMOSAL_HANDLE_VALID(h) ((h) != VMOSAL_NO_HANDLE && (h) != (vmosal_handle_t)0)
#else
typedef int vmosal_handle_t;
#define VMOSAL_NO_HANDLE (-1)
#define VMOSAL_HANDLE_VALID(h) ((h) >= 0)
#endif

/* Every struct passed to or filled by libvmosal starts with `struct_size`,
 * which the caller sets to sizeof the struct it was compiled with; that is
 * how structs grow without breaking callers built against an older header.
 * Members are only ever appended. A struct the caller passes in may be
 * smaller than this library's (the missing members read as zero) or larger
 * (the members this library does not know must be zero, else
 * VMOSAL_ENOTSUP: it cannot honour an option it does not know). A struct
 * libvmosal fills gets struct_size bytes written: what it knows, zeros
 * after; struct_size itself is left as the caller set it. A struct_size
 * below the first released layout is VMOSAL_EINVAL, and so is one more
 * than 4096 bytes (a page) past it: no header grows a struct that much at
 * once, so such a size is garbage, and is never read or written. In C:
 *     struct vmosal_thread_opts o = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
 * (C++ before C++20: value-initialise, then set o.struct_size = sizeof o.) */
#ifndef __cplusplus
#define VMOSAL_STRUCT_INIT(type) {.struct_size = sizeof(type)}
#endif

#endif
