/* Device files and the process id (device.h): argument checks and
 * dispatch. */
#include "config.h"

#include "internal.h"

#define KNOWN_DEVICE_FLAGS (VMOSAL_DEVICE_READ | VMOSAL_DEVICE_WRITE)

int vmosal_device_open(const char *path, unsigned flags, vmosal_handle_t *out)
{
	const struct vmosal__state *s;
	int rc;

	if (path == NULL || path[0] == '\0' || out == NULL || flags == 0 ||
	    (flags & ~KNOWN_DEVICE_FLAGS) != 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_DEVICE)) != 0)
		return rc;
	return s->ops->device_open(path, flags, out);
}

typedef int (*ioctl_op)(vmosal_handle_t, unsigned long, void *, unsigned, int *);

/* For a caller that wants no result: the backend still needs somewhere to
 * store it. Kept out of vmosal_ioctl so that no local of its own has its
 * address taken and its call to the backend can be a jump: after a system
 * call every return that is left costs a mispredict (~6 ns here). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int ioctl_discarding(ioctl_op op, vmosal_handle_t device, unsigned long request, void *arg,
			    unsigned flags)
{
	int value = 0;

	return op(device, request, arg, flags, &value);
}

int vmosal_ioctl(vmosal_handle_t device, unsigned long request, void *arg, unsigned flags,
		 int *result)
{
	const struct vmosal__state *s;
	ioctl_op op;
	int rc;

	if (!VMOSAL_HANDLE_VALID(device))
		return VMOSAL_EBADF;
	if ((flags & ~VMOSAL_IOCTL_NO_RESTART) != 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	op = s->ops->device_ioctl;
	if (op == NULL)
		return VMOSAL_ENOTSUP;
	if (result == NULL)
		return ioctl_discarding(op, device, request, arg, flags);
	return op(device, request, arg, flags, result);
}

int vmosal_process_id(uint64_t *out)
{
	const struct vmosal__state *s;
	int rc;

	if (out == NULL)
		return VMOSAL_EINVAL;
	if ((rc = VMOSAL__READY_SLOT(&s, process_id)) != 0)
		return rc;
	return s->ops->process_id(out);
}
