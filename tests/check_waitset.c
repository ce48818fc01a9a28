/* Wait sets on the host's backend: what is reported and how (level, edge,
 * one-shot), the errors, a kick ending a wait, and changes from another
 * thread during a wait. Built for every host, through the public API only;
 * a case that needs what Windows lacks skips there, saying what. */
#include "config.h"

#include <stdatomic.h>
#include <string.h>
#ifndef _WIN32
#include <sys/resource.h>
#include <sys/socket.h>
#endif

#include "testutil.h"
#include "vmosal.h"

#define MS ((int64_t)1000000)
#define SECONDS ((int64_t)1000000000)

static void setup(void)
{
	ck_assert_int_eq(vmosal_init(), 0);
}

static uint64_t now_ns(void)
{
	uint64_t t = 0;

	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t), 0);
	return t;
}

/* One wait that must report exactly one handle: returns its entry. */
static struct vmosal_wait_event wait_one(vmosal_waitset_t *ws, int64_t timeout_ns)
{
	struct vmosal_wait_event ready[4];
	size_t n = 99;

	memset(ready, 0xa5, sizeof ready);
	ck_assert_int_eq(vmosal_waitset_wait(ws, timeout_ns, ready, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ready[0].reserved, 0);
	return ready[0];
}

static void wait_none(vmosal_waitset_t *ws, int64_t timeout_ns)
{
	struct vmosal_wait_event ready[4];
	size_t n = 99;

	ck_assert_int_eq(vmosal_waitset_wait(ws, timeout_ns, ready, 4, &n), VMOSAL_ETIMEDOUT);
	ck_assert_uint_eq(n, 0);
}

/* ---- arguments and errors ---- */

START_TEST(test_waitset_arguments)
{
	long handles = vmosal_test_handle_count();
	struct vmosal_wait_event ready[2];
	vmosal_waitset_t *ws = NULL;
	vmosal_handle_t ev, gone;
	size_t n = 0;

	ck_assert_int_eq(vmosal_waitset_create(1, &ws), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_waitset_create(0, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_waitset_destroy(NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_ptr_nonnull(ws);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	/* Events: READABLE or WRITABLE needed, unknown bits refused. */
	ck_assert_int_eq(vmosal_waitset_add(NULL, ev, VMOSAL_WAIT_READABLE, 1), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, 0, 1), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_HANGUP | VMOSAL_WAIT_ERROR, 1),
			 VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE | 0x10000u, 1),
			 VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_waitset_add(ws, VMOSAL_NO_HANDLE, VMOSAL_WAIT_READABLE, 1),
			 VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_waitset_modify(ws, ev, 0, 1), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_waitset_remove(NULL, ev), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_waitset_remove(ws, VMOSAL_NO_HANDLE), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_waitset_wait(NULL, 0, ready, 2, &n), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, NULL, 2, &n), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, ready, 0, &n), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, ready, 2, NULL), VMOSAL_EINVAL);

	/* Not in the set yet: ENOENT; twice: EEXIST. */
	ck_assert_int_eq(vmosal_waitset_modify(ws, ev, VMOSAL_WAIT_READABLE, 2), VMOSAL_ENOENT);
	ck_assert_int_eq(vmosal_waitset_remove(ws, ev), VMOSAL_ENOENT);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 1), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 1), VMOSAL_EEXIST);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE | VMOSAL_WAIT_ONESHOT, 7),
			 VMOSAL_EEXIST);
	ck_assert_int_eq(vmosal_waitset_remove(ws, ev), 0);
	ck_assert_int_eq(vmosal_waitset_remove(ws, ev), VMOSAL_ENOENT);
	ck_assert_int_eq(vmosal_waitset_modify(ws, ev, VMOSAL_WAIT_READABLE, 2), VMOSAL_ENOENT);

	/* A handle that names nothing (closed, nothing made since). */
	ck_assert_int_eq(vmosal_event_create(0, &gone), 0);
	ck_assert_int_eq(vmosal_handle_close(gone), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, gone, VMOSAL_WAIT_READABLE, 3), VMOSAL_EBADF);

	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	if (handles >= 0)
		ck_assert_int_eq(vmosal_test_handle_count(), handles);
}
END_TEST

/* A set holds what the OS gives it and gives it back. */
START_TEST(test_waitset_leaks_nothing)
{
	long before = vmosal_test_handle_count();
	vmosal_waitset_t *ws[8];
	vmosal_handle_t ev;

	if (before < 0)
		VMOSAL_SKIP("this host cannot count its handles");
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(vmosal_waitset_create(0, &ws[i]), 0);
		ck_assert_int_eq(vmosal_waitset_add(ws[i], ev, VMOSAL_WAIT_READABLE, (uint64_t)i), 0);
		/* Failures on the way leave nothing either. */
		ck_assert_int_eq(vmosal_waitset_add(ws[i], ev, VMOSAL_WAIT_READABLE, 0),
				 VMOSAL_EEXIST);
	}
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	for (int i = 0; i < 8; i++) {
		ck_assert_uint_eq(wait_one(ws[i], 0).token, (uint64_t)i);
		/* Destroyed with a member still in it. */
		ck_assert_int_eq(vmosal_waitset_destroy(ws[i]), 0);
	}
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_test_handle_count(), before);
}
END_TEST

/* ---- what is reported ---- */

/* Level-triggered by default: reported while signalled, with its token,
 * and no longer once read. */
START_TEST(test_waitset_level)
{
	struct vmosal_wait_event e;
	vmosal_waitset_t *ws;
	vmosal_handle_t ev, other;

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_event_create(0, &other), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 0x123456789abcdefull), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, other, VMOSAL_WAIT_READABLE, 7), 0);
	wait_none(ws, 0);
	wait_none(ws, 1 * MS);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	for (int i = 0; i < 3; i++) {
		e = wait_one(ws, i == 0 ? -1 : 0);
		ck_assert_uint_eq(e.token, 0x123456789abcdefull);
		ck_assert_uint_eq(e.events & VMOSAL_WAIT_READABLE, VMOSAL_WAIT_READABLE);
		ck_assert_uint_eq(e.events & (VMOSAL_WAIT_HANGUP | VMOSAL_WAIT_ERROR), 0);
	}
	/* Reporting consumed nothing: the event is still signalled. */
	ck_assert_int_eq(vmosal_event_wait(ev, 0), 0);
	wait_none(ws, 0);
	ck_assert_int_eq(vmosal_event_notify(other), 0);
	ck_assert_uint_eq(wait_one(ws, 5 * SECONDS).token, 7);
	ck_assert_int_eq(vmosal_event_wait(other, 0), 0);
	wait_none(ws, 0);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_handle_close(other), 0);
}
END_TEST

/* EDGE: once per change to signalled, not again while it stays so. */
START_TEST(test_waitset_edge)
{
	vmosal_waitset_t *ws;
	vmosal_handle_t ev;
	int rc;

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	rc = vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE | VMOSAL_WAIT_EDGE, 5);
	if (rc == VMOSAL_ENOTSUP) {
		vmosal_waitset_destroy(ws);
		vmosal_handle_close(ev);
		VMOSAL_SKIP("the %s backend has no edge-triggered waits", vmosal_backend_name());
	}
	ck_assert_int_eq(rc, 0);
	wait_none(ws, 0);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_uint_eq(wait_one(ws, 5 * SECONDS).token, 5);
	wait_none(ws, 0); /* still signalled, not reported again */
	wait_none(ws, 2 * MS);
	ck_assert_int_eq(vmosal_event_notify(ev), 0); /* a new signal is a new edge */
	ck_assert_uint_eq(wait_one(ws, 5 * SECONDS).token, 5);
	wait_none(ws, 0);
	/* Back to level by modify: reported while signalled. */
	ck_assert_int_eq(vmosal_waitset_modify(ws, ev, VMOSAL_WAIT_READABLE, 6), 0);
	ck_assert_uint_eq(wait_one(ws, 0).token, 6);
	ck_assert_uint_eq(wait_one(ws, 0).token, 6);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

/* ONESHOT: reported once, then not until modify re-arms it. */
START_TEST(test_waitset_oneshot)
{
	vmosal_waitset_t *ws;
	vmosal_handle_t ev;

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE | VMOSAL_WAIT_ONESHOT, 9),
			 0);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_uint_eq(wait_one(ws, 5 * SECONDS).token, 9);
	wait_none(ws, 0);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	wait_none(ws, 2 * MS); /* signalled again, still not watched */
	/* Still a member: EEXIST, and modify re-arms it with a new token. */
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 1), VMOSAL_EEXIST);
	ck_assert_int_eq(vmosal_waitset_modify(ws, ev, VMOSAL_WAIT_READABLE | VMOSAL_WAIT_ONESHOT,
					       10),
			 0);
	ck_assert_uint_eq(wait_one(ws, 5 * SECONDS).token, 10);
	wait_none(ws, 0);
	ck_assert_int_eq(vmosal_waitset_remove(ws, ev), 0);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

/* modify changes the token; remove stops the reports. */
START_TEST(test_waitset_modify_remove)
{
	vmosal_waitset_t *ws;
	vmosal_handle_t ev;

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 1), 0);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_uint_eq(wait_one(ws, 0).token, 1);
	ck_assert_int_eq(vmosal_waitset_modify(ws, ev, VMOSAL_WAIT_READABLE, 2), 0);
	ck_assert_uint_eq(wait_one(ws, 0).token, 2);
	ck_assert_int_eq(vmosal_waitset_remove(ws, ev), 0);
	wait_none(ws, 0);
	wait_none(ws, 2 * MS);
	/* And it can come back. */
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 3), 0);
	ck_assert_uint_eq(wait_one(ws, 0).token, 3);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

/* More ready than room: capacity entries, each once; the rest next time. */
START_TEST(test_waitset_capacity)
{
	struct vmosal_wait_event ready[8];
	vmosal_handle_t ev[5];
	vmosal_waitset_t *ws;
	unsigned seen = 0;
	size_t n = 0;

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	for (unsigned i = 0; i < 5; i++) {
		ck_assert_int_eq(vmosal_event_create(0, &ev[i]), 0);
		ck_assert_int_eq(vmosal_waitset_add(ws, ev[i], VMOSAL_WAIT_READABLE, 100 + i), 0);
		ck_assert_int_eq(vmosal_event_notify(ev[i]), 0);
	}
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, ready, 2, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_ne(ready[0].token, ready[1].token);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, ready, 8, &n), 0);
	ck_assert_uint_eq(n, 5);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_ge(ready[i].token, 100);
		ck_assert_uint_lt(ready[i].token, 105);
		ck_assert_uint_eq(seen & (1u << (ready[i].token - 100)), 0);
		seen |= 1u << (ready[i].token - 100);
		ck_assert_uint_eq(ready[i].events, VMOSAL_WAIT_READABLE);
	}
	/* Read them one by one: fewer each time. */
	for (unsigned i = 0; i < 5; i++) {
		ck_assert_int_eq(vmosal_event_wait(ev[i], 0), 0);
		if (i < 4) {
			ck_assert_int_eq(vmosal_waitset_wait(ws, 0, ready, 8, &n), 0);
			ck_assert_uint_eq(n, 4 - i);
		}
	}
	wait_none(ws, 0);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_int_eq(vmosal_handle_close(ev[i]), 0);
}
END_TEST

/* A timed wait with nothing ready is never early, and an empty set waits
 * too. */
START_TEST(test_waitset_timeout_never_early)
{
	static const int64_t waits[] = {10000, 1 * MS + 1, 30 * MS};
	vmosal_waitset_t *ws;
	vmosal_handle_t ev;

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	for (int with = 0; with < 2; with++) {
		if (with)
			ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 1), 0);
		for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
			uint64_t t0 = now_ns();

			wait_none(ws, waits[i]);
			ck_assert_uint_ge(now_ns() - t0, (uint64_t)waits[i]);
		}
	}
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

/* ---- kicks ---- */

/* A pending kick ends every wait at once, before anything ready is
 * looked at, until the thread clears it. */
START_TEST(test_waitset_kick_pending)
{
	struct vmosal_wait_event ready[2];
	vmosal_waitset_t *ws;
	vmosal_handle_t ev;
	bool pending = true;
	size_t n = 99;
	uint64_t t0;

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 1), 0);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &pending), 0);
	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	t0 = now_ns();
	ck_assert_int_eq(vmosal_waitset_wait(ws, 20 * SECONDS, ready, 2, &n), VMOSAL_EINTR);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, -1, ready, 2, &n), VMOSAL_EINTR);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, ready, 2, &n), VMOSAL_EINTR);
	/* Seconds, where the waits would have taken 20 and forever. */
	ck_assert_uint_lt(now_ns() - t0, (uint64_t)10 * SECONDS);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &pending), 0);
	ck_assert(pending);
	ck_assert_uint_eq(wait_one(ws, -1).token, 1);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), 0);
	wait_none(ws, 1 * MS);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

struct waiter {
	vmosal_waitset_t *ws;
	int64_t timeout_ns;
	_Atomic vmosal_tid_t tid;
	atomic_bool started;
	int rc;
	size_t n;
	struct vmosal_wait_event ready[4];
	uint64_t took_ns;
};

static void *wait_in_thread(void *arg)
{
	struct waiter *w = arg;
	vmosal_tid_t self = 0;
	uint64_t start;

	vmosal_thread_self(&self);
	atomic_store(&w->tid, self);
	start = now_ns();
	atomic_store(&w->started, true);
	w->rc = vmosal_waitset_wait(w->ws, w->timeout_ns, w->ready, 4, &w->n);
	w->took_ns = now_ns() - start;
	return NULL;
}

static vmosal_thread_t *start_waiter(struct waiter *w, vmosal_waitset_t *ws, int64_t timeout_ns)
{
	vmosal_thread_t *t = NULL;

	memset(w, 0, sizeof *w);
	w->ws = ws;
	w->timeout_ns = timeout_ns;
	ck_assert_int_eq(vmosal_thread_create(NULL, wait_in_thread, w, &t), 0);
	while (!atomic_load(&w->started))
		vmosal_sleep_ns(1 * MS);
	/* Most likely in the wait by now; if not, what follows still
	 * holds (a kick stays pending, a change is seen by the wait). */
	vmosal_sleep_ns(30 * MS);
	return t;
}

/* A kick ends a wait in progress. */
START_TEST(test_waitset_kick_during_wait)
{
	struct waiter w;
	vmosal_waitset_t *ws;
	vmosal_handle_t ev;
	vmosal_thread_t *t;

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 1), 0);
	t = start_waiter(&w, ws, 20 * SECONDS);
	ck_assert_int_eq(vmosal_thread_kick(atomic_load(&w.tid)), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_int_eq(w.rc, VMOSAL_EINTR);
	ck_assert_uint_eq(w.n, 0);
	ck_assert_uint_lt(w.took_ns, (uint64_t)10 * SECONDS);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

/* ---- changes from another thread during a wait ---- */

/* A handle added (already signalled) while a thread waits on an empty set
 * ends that wait; so does one added and signalled after. */
START_TEST(test_waitset_add_during_wait)
{
	struct waiter w;
	vmosal_waitset_t *ws;
	vmosal_handle_t ev;
	vmosal_thread_t *t;

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	t = start_waiter(&w, ws, 20 * SECONDS);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 77), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_int_eq(w.rc, 0);
	ck_assert_uint_eq(w.n, 1);
	ck_assert_uint_eq(w.ready[0].token, 77);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), 0);

	t = start_waiter(&w, ws, 20 * SECONDS);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_int_eq(w.rc, 0);
	ck_assert_uint_eq(w.ready[0].token, 77);
	ck_assert_uint_lt(w.took_ns, (uint64_t)10 * SECONDS);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

/* Removed during a wait, a handle is not reported by it once signalled:
 * the wait goes on, and ends with the other handle. */
START_TEST(test_waitset_remove_during_wait)
{
	vmosal_handle_t removed, other;
	struct waiter w;
	vmosal_waitset_t *ws;
	vmosal_thread_t *t;

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_event_create(0, &removed), 0);
	ck_assert_int_eq(vmosal_event_create(0, &other), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, removed, VMOSAL_WAIT_READABLE, 1), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, other, VMOSAL_WAIT_READABLE, 2), 0);
	t = start_waiter(&w, ws, 20 * SECONDS);
	ck_assert_int_eq(vmosal_waitset_remove(ws, removed), 0);
	ck_assert_int_eq(vmosal_event_notify(removed), 0);
	vmosal_sleep_ns(20 * MS);
	ck_assert_int_eq(vmosal_event_notify(other), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_int_eq(w.rc, 0);
	ck_assert_uint_eq(w.n, 1);
	ck_assert_uint_eq(w.ready[0].token, 2);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(removed), 0);
	ck_assert_int_eq(vmosal_handle_close(other), 0);
}
END_TEST

#define RACE_EVENTS 8

struct racer {
	vmosal_waitset_t *ws;
	atomic_bool stop;
	atomic_long waits, reports, bad;
};

static void *wait_and_wait(void *arg)
{
	struct racer *r = arg;
	struct vmosal_wait_event ready[RACE_EVENTS];

	while (!atomic_load(&r->stop)) {
		size_t n = 0;
		int rc = vmosal_waitset_wait(r->ws, 1 * MS, ready, RACE_EVENTS, &n);

		atomic_fetch_add(&r->waits, 1);
		if (rc != 0 && rc != VMOSAL_ETIMEDOUT) {
			atomic_fetch_add(&r->bad, 1);
			continue;
		}
		for (size_t i = 0; i < n; i++)
			if (ready[i].token >= RACE_EVENTS ||
			    (ready[i].events & VMOSAL_WAIT_READABLE) == 0)
				atomic_fetch_add(&r->bad, 1);
		atomic_fetch_add(&r->reports, (long)n);
	}
	return NULL;
}

/* Two threads wait while this one adds, changes and removes signalled
 * events as fast as it can, for a while: every call answers as it should
 * (no acknowledgement between steps: they really race), every report
 * carries a token of ours, and the set is empty at the end. */
START_TEST(test_waitset_changes_race_waits)
{
	const long rounds = vmosal_test_rounds(200000, 2000);
	struct racer r = {0};
	vmosal_handle_t ev[RACE_EVENTS];
	bool in[RACE_EVENTS] = {false};
	vmosal_thread_t *t[2];
	long round;
	uint64_t start;

	ck_assert_int_eq(vmosal_waitset_create(0, &r.ws), 0);
	for (int i = 0; i < RACE_EVENTS; i++) {
		ck_assert_int_eq(vmosal_event_create(0, &ev[i]), 0);
		ck_assert_int_eq(vmosal_event_notify(ev[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(vmosal_thread_create(NULL, wait_and_wait, &r, &t[i]), 0);
	start = now_ns();
	for (round = 0; round < rounds && now_ns() - start < (uint64_t)2 * SECONDS; round++) {
		int i = (int)(round % RACE_EVENTS);

		if (!in[i]) {
			ck_assert_int_eq(vmosal_waitset_add(r.ws, ev[i], VMOSAL_WAIT_READABLE,
							    (uint64_t)i),
					 0);
		} else if (round % 3 == 0) {
			ck_assert_int_eq(vmosal_waitset_modify(r.ws, ev[i], VMOSAL_WAIT_READABLE,
							       (uint64_t)i),
					 0);
			continue;
		} else {
			ck_assert_int_eq(vmosal_waitset_remove(r.ws, ev[i]), 0);
		}
		in[i] = !in[i];
	}
	atomic_store(&r.stop, true);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(vmosal_thread_join(t[i], NULL), 0);
	ck_assert_int_eq(atomic_load(&r.bad), 0);
	for (int i = 0; i < RACE_EVENTS; i++) {
		ck_assert_int_eq(vmosal_waitset_remove(r.ws, ev[i]), in[i] ? 0 : VMOSAL_ENOENT);
		ck_assert_int_eq(vmosal_handle_close(ev[i]), 0);
	}
	wait_none(r.ws, 0);
	ck_assert_int_eq(vmosal_waitset_destroy(r.ws), 0);
	fprintf(stderr, "waitset race: %ld changes, %ld waits, %ld reports\n", round,
		atomic_load(&r.waits), atomic_load(&r.reports));
}
END_TEST

#ifndef _WIN32
/* Any descriptor on POSIX: a socket reports WRITABLE, READABLE with data,
 * and HANGUP once its peer is gone; a signal handle, its signal. */
START_TEST(test_waitset_posix_descriptors)
{
	static const enum vmosal_signal usr1 = VMOSAL_SIGUSR1;
	struct vmosal_siginfo info = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);
	struct vmosal_wait_event e;
	vmosal_waitset_t *ws;
	vmosal_handle_t sig;
	int sv[2];

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, sv[0], VMOSAL_WAIT_WRITABLE, 1), 0);
	e = wait_one(ws, 0);
	ck_assert_uint_eq(e.token, 1);
	ck_assert_uint_eq(e.events, VMOSAL_WAIT_WRITABLE);
	ck_assert_int_eq(vmosal_waitset_modify(ws, sv[0], VMOSAL_WAIT_READABLE, 2), 0);
	wait_none(ws, 0);
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	e = wait_one(ws, 5 * SECONDS);
	ck_assert_uint_eq(e.token, 2);
	ck_assert_uint_eq(e.events, VMOSAL_WAIT_READABLE);
	close(sv[1]);
	e = wait_one(ws, 5 * SECONDS);
	ck_assert_uint_eq(e.events & VMOSAL_WAIT_HANGUP, VMOSAL_WAIT_HANGUP);
	ck_assert_int_eq(vmosal_waitset_remove(ws, sv[0]), 0);
	close(sv[0]);

	ck_assert_int_eq(vmosal_signal_block(&usr1, 1), 0);
	ck_assert_int_eq(vmosal_signal_fd_create(&usr1, 1, &sig), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, sig, VMOSAL_WAIT_READABLE, 3), 0);
	wait_none(ws, 0);
	ck_assert_int_eq(kill(getpid(), SIGUSR1), 0);
	ck_assert_uint_eq(wait_one(ws, 5 * SECONDS).token, 3);
	ck_assert_int_eq(vmosal_signal_fd_read(sig, &info), 0);
	ck_assert_int_eq(info.signal, VMOSAL_SIGUSR1);
	wait_none(ws, 0);
	ck_assert_int_eq(vmosal_waitset_remove(ws, sig), 0);
	ck_assert_int_eq(vmosal_handle_close(sig), 0);
	ck_assert_int_eq(vmosal_signal_unblock(&usr1, 1), 0);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
}
END_TEST

/* VMOSAL_WAITSET_MAX is every OS's bound: one more is ENOSPC. The set is
 * filled with duplicates of one event (65,536 descriptors), which needs
 * the descriptor limit raised. */
START_TEST(test_waitset_full)
{
	const size_t max = VMOSAL_WAITSET_MAX;
	struct rlimit lim, old;
	vmosal_handle_t ev, *dups;
	vmosal_waitset_t *ws;
	size_t made = 0;

	if (vmosal_test_under_valgrind())
		VMOSAL_SKIP("valgrind keeps the descriptor limit it started with");
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	lim = old;
	/* The hard limit too, where the process may (root). */
	if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < max + 200)
		lim.rlim_max = max + 200;
	if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur < max + 200)
		lim.rlim_cur = max + 200;
	if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
		VMOSAL_SKIP("RLIMIT_NOFILE (hard limit %llu) cannot be raised to the %zu "
			    "descriptors a full set needs: %s",
			    (unsigned long long)old.rlim_max, max + 200, strerror(errno));
	ck_assert_ptr_nonnull(dups = calloc(max + 1, sizeof *dups));
	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	for (made = 0; made <= max; made++)
		ck_assert_int_eq(vmosal_handle_dup(ev, &dups[made]), 0);
	for (size_t i = 0; i < max; i++)
		ck_assert_int_eq(vmosal_waitset_add(ws, dups[i], VMOSAL_WAIT_READABLE, i), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, dups[max], VMOSAL_WAIT_READABLE, max),
			 VMOSAL_ENOSPC);
	/* Room again after a removal. */
	ck_assert_int_eq(vmosal_waitset_remove(ws, dups[0]), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, dups[max], VMOSAL_WAIT_READABLE, max), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, dups[0], VMOSAL_WAIT_READABLE, 0), VMOSAL_ENOSPC);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	{
		struct vmosal_wait_event ready[64];
		size_t n = 0;

		ck_assert_int_eq(vmosal_waitset_wait(ws, 0, ready, 64, &n), 0);
		ck_assert_uint_eq(n, 64);
	}
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	for (size_t i = 0; i < made; i++)
		ck_assert_int_eq(vmosal_handle_close(dups[i]), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	free(dups);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
}
END_TEST
#else
POSIX_ONLY(test_waitset_posix_descriptors, "sockets and signal handles of this kind")
POSIX_ONLY(test_waitset_full, "cheap descriptors to hold 65,536 handles in one set with")
#endif

int main(void)
{
	Suite *s = suite_create("waitset");
	TCase *tc = tcase_create("waitset");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_waitset_arguments);
	tcase_add_test(tc, test_waitset_leaks_nothing);
	tcase_add_test(tc, test_waitset_level);
	tcase_add_test(tc, test_waitset_edge);
	tcase_add_test(tc, test_waitset_oneshot);
	tcase_add_test(tc, test_waitset_modify_remove);
	tcase_add_test(tc, test_waitset_capacity);
	tcase_add_test(tc, test_waitset_timeout_never_early);
	tcase_add_test(tc, test_waitset_kick_pending);
	tcase_add_test(tc, test_waitset_kick_during_wait);
	tcase_add_test(tc, test_waitset_add_during_wait);
	tcase_add_test(tc, test_waitset_remove_during_wait);
	tcase_add_test(tc, test_waitset_changes_race_waits);
	tcase_add_test(tc, test_waitset_posix_descriptors);
	tcase_add_test(tc, test_waitset_full);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
