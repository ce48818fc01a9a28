/* Linux backend internals, shared by its source files. */
#ifndef VMOSAL_BACKEND_LINUX_H
#define VMOSAL_BACKEND_LINUX_H

#include "../posix/posix.h"

int linux_host_info(struct vmosal_backend_host *out);
int linux_mem_info(struct vmosal_mem_info *out);
int linux_accel_probe(int which, struct vmosal_accel_status *out);

#endif
