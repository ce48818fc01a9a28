/* Threads the core starts for its own work, through the backend. */
#include "config.h"

#include "internal.h"

int vmosal__thread_start(void *(*fn)(void *), void *arg, void **handle)
{
	const struct vmosal__state *s = vmosal__get();

	if (s == NULL)
		return VMOSAL_EBACKEND;
	return s->ops->thread_create(fn, arg, 0, handle);
}

int vmosal__thread_join(void *handle, void **result)
{
	const struct vmosal__state *s = vmosal__get();

	if (s == NULL)
		return VMOSAL_EBACKEND;
	return s->ops->thread_join(handle, result);
}
