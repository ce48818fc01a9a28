/* Events and clocks (event.h): argument checks and dispatch. */
#include "config.h"

#include "internal.h"

int vmosal_event_create(unsigned flags, vmosal_handle_t *out)
{
	const struct vmosal__state *s;
	int rc;

	if (out == NULL || (flags & ~VMOSAL_EVENT_SEMAPHORE) != 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_EVENT)) != 0)
		return rc;
	/* A plugin older than ABI 2.5 was only ever given 0: it would take
	 * SEMAPHORE for a plain event. */
	if (flags != 0 && VMOSAL_BACKEND_ABI_MINOR_OF(s->table.abi_version) < 5)
		return VMOSAL_ENOTSUP;
	return s->ops->event_create(flags, out);
}

int vmosal_event_notify(vmosal_handle_t event)
{
	const struct vmosal__state *s;
	int rc;

	if (!VMOSAL_HANDLE_VALID(event))
		return VMOSAL_EBADF;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_EVENT)) != 0)
		return rc;
	return s->ops->event_notify(event);
}

typedef int (*event_wait_op)(vmosal_handle_t, int64_t, const uint32_t *);

/* A plugin of ABI 2.1 has no event_wait_kick: the flag is read here, and
 * a kick landing between that and the wait is seen when the wait ends. */
static int event_wait_unaware(const struct vmosal__state *s, vmosal_handle_t event,
			      int64_t timeout_ns, const uint32_t *kick_pending)
{
	int (*op)(vmosal_handle_t, int64_t) = s->ops->event_wait;

	if (op == NULL)
		return VMOSAL_ENOTSUP;
	if (__atomic_load_n(kick_pending, __ATOMIC_SEQ_CST) != 0)
		return VMOSAL_EINTR;
	return op(event, timeout_ns);
}

/* One try of a kick-aware wait, with what is left of the timeout. */
struct event_try {
	event_wait_op op;
	vmosal_handle_t event;
};

static int event_try_once(const struct vmosal__state *s, void *ctx, int64_t timeout_ns,
			  const uint32_t *kick)
{
	const struct event_try *t = ctx;

	return t->op != NULL ? t->op(t->event, timeout_ns, kick)
			     : event_wait_unaware(s, t->event, timeout_ns, kick);
}

int vmosal__kick_wait(const struct vmosal__state *s, vmosal__wait_try try, void *ctx,
		      int64_t timeout_ns, const uint32_t *kick)
{
	int (*clock)(int, uint64_t *) = s->ops->clock_ns;
	uint64_t start = 0, now = 0;
	int rc;

	if (clock == NULL)
		return VMOSAL_ENOTSUP;
	if (timeout_ns > 0 && (rc = clock(VMOSAL_CLOCK_MONOTONIC, &start)) != 0)
		return rc;
	while ((rc = try(s, ctx, timeout_ns, kick)) == VMOSAL_EINTR) {
		/* A kick, or some other signal's handler. */
		if (__atomic_load_n(kick, __ATOMIC_SEQ_CST) != 0)
			return VMOSAL_EINTR;
		if (timeout_ns <= 0)
			continue;
		if ((rc = clock(VMOSAL_CLOCK_MONOTONIC, &now)) != 0)
			return rc;
		if (now - start >= (uint64_t)timeout_ns)
			return VMOSAL_ETIMEDOUT;
		timeout_ns -= (int64_t)(now - start);
		start = now;
	}
	return rc;
}

/* A wait that may block. Out of line, so that the non-blocking test in
 * vmosal_event_wait stays a jump to the backend. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int event_wait_blocking(const struct vmosal__state *s, event_wait_op op,
			       vmosal_handle_t event, int64_t timeout_ns, const uint32_t *kick)
{
	struct event_try t = {op, event};

	return vmosal__kick_wait(s, event_try_once, &t, timeout_ns, kick);
}

int vmosal_event_wait(vmosal_handle_t event, int64_t timeout_ns)
{
	const struct vmosal__state *s;
	int rc;
	const uint32_t *kick;
	event_wait_op op;

	if (!VMOSAL_HANDLE_VALID(event))
		return VMOSAL_EBADF;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	kick = (const uint32_t *)vmosal__kick_flag();
	op = s->ops->event_wait_kick;
	/* A test that cannot block needs no signal mask: straight to the
	 * backend, which reads the flag first, as cheap as the raw read. */
	if (timeout_ns == 0 && op != NULL)
		return op(event, 0, kick);
	return event_wait_blocking(s, op, event, timeout_ns, kick);
}

int vmosal_event_read(vmosal_handle_t event, uint64_t *count)
{
	const struct vmosal__state *s;
	int rc;

	if (count == NULL)
		return VMOSAL_EINVAL;
	if (!VMOSAL_HANDLE_VALID(event))
		return VMOSAL_EBADF;
	if ((rc = VMOSAL__READY_SLOT(&s, event_read)) != 0)
		return rc;
	return s->ops->event_read(event, count);
}

int vmosal_clock_ns(enum vmosal_clock clock, uint64_t *out)
{
	const struct vmosal__state *s;
	int rc;

	if (out == NULL || (unsigned)clock >= VMOSAL_CLOCK_COUNT)
		return VMOSAL_EINVAL;
	if ((rc = VMOSAL__READY_SLOT(&s, clock_ns)) != 0)
		return rc;
	return s->ops->clock_ns((int)clock, out);
}

int vmosal_sleep_ns(uint64_t ns)
{
	const struct vmosal__state *s = vmosal__get();
	int (*op)(uint64_t);

	if (s == NULL)
		return VMOSAL_EBACKEND;
	op = s->ops->sleep_ns;
	return op != NULL ? op(ns) : VMOSAL_ENOTSUP;
}
