/* Timers (timer.h): argument checks and dispatch. */
#include "config.h"

#include "internal.h"

int vmosal_timer_create(enum vmosal_clock clock, unsigned flags, vmosal_handle_t *out)
{
	const struct vmosal__state *s;
	int rc;

	if (out == NULL || (flags & ~VMOSAL_TIMER_ABSOLUTE) != 0)
		return VMOSAL_EINVAL;
	if (clock != VMOSAL_CLOCK_MONOTONIC && clock != VMOSAL_CLOCK_REALTIME &&
	    clock != VMOSAL_CLOCK_BOOTTIME)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_TIMER)) != 0)
		return rc;
	return s->ops->timer_create((int)clock, flags, out);
}

/* The backend cannot tell a relative timer from an absolute one by its
 * handle alone on every OS, so a relative 0 (expire now) becomes 1 ns,
 * and an absolute 0 (long past) also: 0 is the backend's disarm. */
int vmosal_timer_arm(vmosal_handle_t timer, uint64_t first_ns, uint64_t period_ns)
{
	const struct vmosal__state *s;
	int rc;

	if (!VMOSAL_HANDLE_VALID(timer))
		return VMOSAL_EBADF;
	if (first_ns > (uint64_t)INT64_MAX || period_ns > (uint64_t)INT64_MAX)
		return VMOSAL_EOVERFLOW;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_TIMER)) != 0)
		return rc;
	return s->ops->timer_arm(timer, first_ns != 0 ? first_ns : 1, period_ns);
}

int vmosal_timer_disarm(vmosal_handle_t timer)
{
	const struct vmosal__state *s;
	int rc;

	if (!VMOSAL_HANDLE_VALID(timer))
		return VMOSAL_EBADF;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_TIMER)) != 0)
		return rc;
	return s->ops->timer_arm(timer, 0, 0);
}

int vmosal_timer_read(vmosal_handle_t timer, uint64_t *expirations)
{
	const struct vmosal__state *s;
	int rc;

	if (expirations == NULL)
		return VMOSAL_EINVAL;
	if (!VMOSAL_HANDLE_VALID(timer))
		return VMOSAL_EBADF;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_TIMER)) != 0)
		return rc;
	return s->ops->timer_read(timer, expirations);
}
