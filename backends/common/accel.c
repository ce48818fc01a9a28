/* Accelerators of another OS (accel.h). */
#include "config.h"

#include <stdio.h>

#include "vmosal/platform.h"
#include "accel.h"

/* Where each accelerator exists; sized by what this code knows. */
static const char *const accel_home[] = {
	[VMOSAL_ACCEL_KVM] = "KVM exists only on Linux",
	[VMOSAL_ACCEL_HVF] = "Hypervisor.framework exists only on macOS and iOS",
	[VMOSAL_ACCEL_WHPX] = "Windows Hypervisor Platform exists only on Windows",
};

int accel_refuse_foreign(int which, struct vmosal_backend_accel *out)
{
	if (which < 0 || (size_t)which >= sizeof accel_home / sizeof accel_home[0] ||
	    accel_home[which] == NULL)
		return VMOSAL_ENOTSUP;
	out->error = VMOSAL_ENOTSUP;
	snprintf(out->reason, sizeof out->reason, "%s", accel_home[which]);
	return 0;
}
