/* The refusal every backend gives for an accelerator of another OS (KVM
 * off Linux, Hypervisor.framework off Apple's systems, WHPX off Windows):
 * written once, for every backend, with no OS header, so that a test
 * checks it on any host (tests/check_accel.c). */
#ifndef VMOSAL_BACKEND_ACCEL_H
#define VMOSAL_BACKEND_ACCEL_H

#include "vmosal/backend.h"

/* Fills *out for accelerator which (enum vmosal_accel), as one that
 * exists only on another OS: error VMOSAL_ENOTSUP and a reason naming
 * that OS; returns 0. A which this code does not know (one added to the
 * public enum later) is VMOSAL_ENOTSUP, with *out unchanged. A backend's
 * accel_probe calls it for every accelerator but its own. */
int accel_refuse_foreign(int which, struct vmosal_backend_accel *out);

#endif
