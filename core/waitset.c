/* Wait sets (waitset.h): argument checks, the member count, and the kick
 * rule around the backend's wait. */
#include "config.h"

#include <stdlib.h>

#include "internal.h"

#define WAIT_REPORTED (VMOSAL_WAIT_READABLE | VMOSAL_WAIT_WRITABLE | VMOSAL_WAIT_HANGUP | \
		       VMOSAL_WAIT_ERROR)
#define WAIT_KNOWN (WAIT_REPORTED | VMOSAL_WAIT_EDGE | VMOSAL_WAIT_ONESHOT)

struct vmosal_waitset {
	void *os;
	/* Handles in the set: counted here so that every OS stops at
	 * VMOSAL_WAITSET_MAX (a reservation is taken before the backend is
	 * asked, and given back when it refuses). */
	_Atomic uint32_t members;
};

static int waitset_events_check(unsigned events)
{
	if ((events & ~WAIT_KNOWN) != 0 ||
	    (events & (VMOSAL_WAIT_READABLE | VMOSAL_WAIT_WRITABLE)) == 0)
		return VMOSAL_EINVAL;
	return 0;
}

int vmosal_waitset_create(unsigned flags, vmosal_waitset_t **out)
{
	const struct vmosal__state *s;
	struct vmosal_waitset *ws;
	int rc;

	if (out == NULL || flags != 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_WAITSET)) != 0)
		return rc;
	if ((ws = calloc(1, sizeof *ws)) == NULL)
		return VMOSAL_ENOMEM;
	if ((rc = s->ops->waitset_create(flags, &ws->os)) != 0) {
		free(ws);
		return rc;
	}
	*out = ws;
	return 0;
}

int vmosal_waitset_destroy(vmosal_waitset_t *ws)
{
	const struct vmosal__state *s;
	int rc;

	if (ws == NULL)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_WAITSET)) != 0)
		return rc;
	/* The OS object is gone even when the backend reports an error
	 * (as a close): the set is never usable after this call. */
	rc = s->ops->waitset_destroy(ws->os);
	free(ws);
	return rc;
}

int vmosal_waitset_add(vmosal_waitset_t *ws, vmosal_handle_t h, unsigned events, uint64_t token)
{
	const struct vmosal__state *s;
	int rc;

	if (ws == NULL || (rc = waitset_events_check(events)) != 0)
		return VMOSAL_EINVAL;
	if (!VMOSAL_HANDLE_VALID(h))
		return VMOSAL_EBADF;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_WAITSET)) != 0)
		return rc;
	if (atomic_fetch_add(&ws->members, 1) >= VMOSAL_WAITSET_MAX) {
		atomic_fetch_sub(&ws->members, 1);
		return VMOSAL_ENOSPC;
	}
	if ((rc = s->ops->waitset_add(ws->os, h, events, token)) != 0)
		atomic_fetch_sub(&ws->members, 1);
	return rc;
}

int vmosal_waitset_modify(vmosal_waitset_t *ws, vmosal_handle_t h, unsigned events,
			  uint64_t token)
{
	const struct vmosal__state *s;
	int rc;

	if (ws == NULL || (rc = waitset_events_check(events)) != 0)
		return VMOSAL_EINVAL;
	if (!VMOSAL_HANDLE_VALID(h))
		return VMOSAL_EBADF;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_WAITSET)) != 0)
		return rc;
	return s->ops->waitset_modify(ws->os, h, events, token);
}

int vmosal_waitset_remove(vmosal_waitset_t *ws, vmosal_handle_t h)
{
	const struct vmosal__state *s;
	int rc;

	if (ws == NULL)
		return VMOSAL_EINVAL;
	if (!VMOSAL_HANDLE_VALID(h))
		return VMOSAL_EBADF;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_WAITSET)) != 0)
		return rc;
	if ((rc = s->ops->waitset_remove(ws->os, h)) == 0)
		atomic_fetch_sub(&ws->members, 1);
	return rc;
}

struct waitset_try {
	void *os;
	struct vmosal_wait_event *ready;
	size_t capacity;
	size_t *n;
};

static int waitset_try_once(const struct vmosal__state *s, void *ctx, int64_t timeout_ns,
			    const uint32_t *kick)
{
	const struct waitset_try *t = ctx;

	return s->ops->waitset_wait(t->os, timeout_ns, t->ready, t->capacity, t->n, kick);
}

int vmosal_waitset_wait(vmosal_waitset_t *ws, int64_t timeout_ns, struct vmosal_wait_event *ready,
			size_t capacity, size_t *n)
{
	const struct vmosal__state *s;
	const uint32_t *kick;
	size_t got = 0;
	int rc;

	if (ws == NULL || ready == NULL || n == NULL || capacity == 0)
		return VMOSAL_EINVAL;
	*n = 0;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_WAITSET)) != 0)
		return rc;
	kick = (const uint32_t *)vmosal__kick_flag();
	rc = vmosal__kick_wait(s, waitset_try_once, &(struct waitset_try){ws->os, ready, capacity, &got},
			       timeout_ns, kick);
	*n = rc == 0 ? got : 0;
	return rc;
}
