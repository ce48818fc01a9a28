/* Code shared by the POSIX backends (linux, darwin). Compiled into each
 * plugin; nothing here is exported. */
#ifndef VMOSAL_BACKEND_POSIX_H
#define VMOSAL_BACKEND_POSIX_H

#include <stddef.h>

#include "vmosal/backend.h"

/* The core's services, saved by the backend's init(). */
extern const struct vmosal_core_services *posix_core;

/* Translates an errno value into a VMOSAL_E* code at the backend boundary. */
int posix_error_from_errno(int errnum);

/* The translated code of the current errno. */
int posix_last_error(void);

/* Builds "<VMOSAL_FSROOT><path>" into buf: VMOSAL_FSROOT lets tests point the
 * backend at a fake /etc, /sys or /dev tree. Returns buf. */
const char *posix_host_path(char *buf, size_t len, const char *path);

/* Reads a small text file whole into buf (NUL-terminated); returns the
 * length or a negative VMOSAL_E* code. */
long posix_read_file(const char *path, char *buf, size_t len);

/* pthread_create / pthread_join behind the thread_create / thread_join
 * slots; the handle is a heap-allocated pthread_t. */
int posix_thread_create(void *(*start)(void *), void *arg, size_t stack_size,
			void **handle);
int posix_thread_join(void *handle, void **result);

#endif
