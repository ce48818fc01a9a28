/* Linux backend internals, shared by its source files.
 *
 * Each slot the backend implements itself is linux_<slot> (backend_slots.h
 * declares them all below); linux_backend.c fills the rest of the table
 * with posix_<slot>. Files: linux_host.c (host facts, KVM), linux_thread.c
 * (threads, wait on a word), linux_mem.c (mappings, huge pages, shared
 * memory, JIT, discard), linux_signal.c (signal descriptors, the kick),
 * linux_io.c (events, handles, ioctl). */
#ifndef VMOSAL_BACKEND_LINUX_H
#define VMOSAL_BACKEND_LINUX_H

#include <sys/types.h>

#include "../posix/posix.h"

#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) ret linux_##name params;
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT

/* linux_signal.c: this process's pid, kept (and forgotten at fork: no
 * system call once read); reread: read it again, after tgkill said the
 * pair is wrong. */
pid_t linux_self_pid(bool reread);

#endif
