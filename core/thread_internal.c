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

void vmosal__wait(const struct vmosal__state *s, _Atomic uint32_t *word, uint32_t expected)
{
	/* _Atomic uint32_t has uint32_t's size and representation on every
	 * target; the OS waits on the plain word. */
	s->ops->wait_u32((const uint32_t *)word, expected, -1);
}

void vmosal__wake(const struct vmosal__state *s, _Atomic uint32_t *word, bool all)
{
	s->ops->wake_u32((const uint32_t *)word, all);
}
