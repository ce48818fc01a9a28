/* Calls every handle shares (handle.h). */
#include "config.h"

#include "internal.h"

int vmosal_handle_close(vmosal_handle_t h)
{
	const struct vmosal__state *s;
	int rc;

	if (!VMOSAL_HANDLE_VALID(h))
		return VMOSAL_EBADF;
	rc = VMOSAL__READY_SLOT(&s, handle_close);
	return rc != 0 ? rc : s->ops->handle_close(h);
}

int vmosal_handle_dup(vmosal_handle_t h, vmosal_handle_t *out)
{
	const struct vmosal__state *s;
	vmosal_handle_t dup = VMOSAL_NO_HANDLE;
	int rc;

	if (out == NULL)
		return VMOSAL_EINVAL;
	if (!VMOSAL_HANDLE_VALID(h))
		return VMOSAL_EBADF;
	if ((rc = VMOSAL__READY_SLOT(&s, handle_dup)) != 0 ||
	    (rc = s->ops->handle_dup(h, &dup)) != 0)
		return rc;
	*out = dup;
	return 0;
}

int vmosal_handle_set_inheritable(vmosal_handle_t h, bool inherit)
{
	const struct vmosal__state *s;
	int rc;

	if (!VMOSAL_HANDLE_VALID(h))
		return VMOSAL_EBADF;
	rc = VMOSAL__READY_SLOT(&s, handle_set_inheritable);
	return rc != 0 ? rc : s->ops->handle_set_inheritable(h, inherit);
}
