/* Darwin wait sets (a kqueue) and timers (a kqueue holding one
 * EVFILT_TIMER). Not compiled on the project's hosts: each behaviour of
 * kqueue relied on is named where it is used (kqueue(2), kevent(2)). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <mach/mach_time.h>
#include <sys/event.h>
#include <sys/types.h>

#include "darwin.h"

#include "vmosal/timer.h"

/* A token travels in a kevent's udata, a pointer: 64 bits on every Darwin
 * that runs this. */
_Static_assert(sizeof(void *) >= sizeof(uint64_t), "udata holds a 64-bit token");

static const struct timespec darwin_zero = {0, 0};

/* A kqueue, close-on-exec (kqueue(2): never inherited by fork anyway). */
static int darwin_new_kqueue(void)
{
	int kq = kqueue();

	if (kq < 0)
		return posix_last_error();
	if (fcntl(kq, F_SETFD, FD_CLOEXEC) != 0) {
		int rc = posix_last_error();
		close(kq);
		return rc;
	}
	return kq;
}

/* Applies changes[0..n), each with EV_RECEIPT, and stores each one's
 * result (0 or an errno) in errs[]. kevent(2): with EV_RECEIPT every
 * change comes back as an EV_ERROR entry whose data is 0 on success, and
 * no pending event is drained. 0, or the call's own error. */
static int darwin_kevent_receipts(int kq, struct kevent *changes, int n, int *errs)
{
	struct kevent res[4];
	int got;

	for (int i = 0; i < n; i++) {
		changes[i].flags |= EV_RECEIPT;
		errs[i] = EIO; /* no receipt: the change is not known to have held */
	}
	do
		got = kevent(kq, changes, n, res, n, &darwin_zero);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return posix_last_error();
	/* Receipts come back in the changes' order; matched by filter and
	 * ident all the same. */
	for (int r = 0; r < got; r++)
		for (int i = 0; i < n; i++)
			if (res[r].ident == changes[i].ident && res[r].filter == changes[i].filter &&
			    errs[i] == EIO) {
				errs[i] = (res[r].flags & EV_ERROR) ? (int)res[r].data : 0;
				break;
			}
	return 0;
}

/* ---- wait sets ----
 * kqueue adds a second EV_ADD of a descriptor as a change, not an error,
 * and needs each filter named to delete it, so the set keeps what each of
 * its descriptors is watched for, under a lock that add, modify and remove
 * take (the wait does not: kevent is safe beside changes). A child of
 * fork has no copy of the kqueue (kqueue(2)), and must not use the set. */

struct darwin_member {
	unsigned events; /* VMOSAL_WAIT_*; 0: not in the set */
	uint64_t token;
};

struct darwin_waitset {
	int kq;
	pthread_mutex_t lock;
	struct darwin_member *members; /* by descriptor */
	size_t cap;
};

int darwin_waitset_create(unsigned flags, void **ws)
{
	struct darwin_waitset *w;
	int rc;

	if (flags != 0)
		return VMOSAL_ENOTSUP;
	if ((w = calloc(1, sizeof *w)) == NULL)
		return VMOSAL_ENOMEM;
	if ((rc = pthread_mutex_init(&w->lock, NULL)) != 0) {
		free(w);
		return posix_error_from_errno(rc);
	}
	if ((w->kq = darwin_new_kqueue()) < 0) {
		rc = w->kq;
		pthread_mutex_destroy(&w->lock);
		free(w);
		return rc;
	}
	*ws = w;
	return 0;
}

int darwin_waitset_destroy(void *ws)
{
	struct darwin_waitset *w = ws;
	int rc = posix_handle_close(w->kq);

	pthread_mutex_destroy(&w->lock);
	free(w->members);
	free(w);
	return rc;
}

/* The changes that watch h for events (EDGE: EV_CLEAR, ONESHOT:
 * EV_DISPATCH, which disables the filter once reported until it is added
 * again), or that stop watching it (del true); their number. */
static int darwin_member_changes(vmosal_handle_t h, unsigned events, uint64_t token, bool del,
				 struct kevent *ch)
{
	unsigned short flags = del ? EV_DELETE : EV_ADD | EV_ENABLE;
	int n = 0;

	if (!del && (events & VMOSAL_WAIT_EDGE))
		flags |= EV_CLEAR;
	if (!del && (events & VMOSAL_WAIT_ONESHOT))
		flags |= EV_DISPATCH;
	if (events & VMOSAL_WAIT_READABLE)
		EV_SET(&ch[n++], (uintptr_t)h, EVFILT_READ, flags, 0, 0, (void *)(uintptr_t)token);
	if (events & VMOSAL_WAIT_WRITABLE)
		EV_SET(&ch[n++], (uintptr_t)h, EVFILT_WRITE, flags, 0, 0, (void *)(uintptr_t)token);
	return n;
}

/* Watches h as events says: every filter, or none (what was added is
 * taken back on a failure). */
static int darwin_member_add(struct darwin_waitset *w, vmosal_handle_t h, unsigned events,
			     uint64_t token)
{
	struct kevent ch[2], undo[2];
	int errs[2], undo_errs[2], n = darwin_member_changes(h, events, token, false, ch), rc;
	int failed = 0, nundo = 0;

	if ((rc = darwin_kevent_receipts(w->kq, ch, n, errs)) != 0)
		return rc;
	for (int i = 0; i < n; i++) {
		if (errs[i] == 0) {
			undo[nundo] = ch[i];
			undo[nundo++].flags = EV_DELETE;
		} else if (failed == 0) {
			failed = errs[i];
		}
	}
	if (failed == 0)
		return 0;
	if (nundo > 0)
		darwin_kevent_receipts(w->kq, undo, nundo, undo_errs);
	return posix_error_from_errno(failed);
}

/* Stops watching h for events; a descriptor closed already has lost its
 * filters by itself (kqueue(2): closing removes them), which is fine. */
static void darwin_member_delete(struct darwin_waitset *w, vmosal_handle_t h, unsigned events)
{
	struct kevent ch[2];
	int errs[2], n = darwin_member_changes(h, events, 0, true, ch);

	darwin_kevent_receipts(w->kq, ch, n, errs);
}

int darwin_waitset_add(void *ws, vmosal_handle_t h, unsigned events, uint64_t token)
{
	struct darwin_waitset *w = ws;
	int rc;

	if (h < 0)
		return VMOSAL_EBADF;
	pthread_mutex_lock(&w->lock);
	if ((size_t)h >= w->cap) {
		size_t cap = w->cap < 64 ? 64 : w->cap;
		struct darwin_member *m;

		while (cap <= (size_t)h)
			cap *= 2;
		if ((m = realloc(w->members, cap * sizeof *m)) == NULL) {
			pthread_mutex_unlock(&w->lock);
			return VMOSAL_ENOMEM;
		}
		memset(m + w->cap, 0, (cap - w->cap) * sizeof *m);
		w->members = m;
		w->cap = cap;
	}
	if (w->members[h].events != 0) {
		rc = VMOSAL_EEXIST;
	} else if ((rc = darwin_member_add(w, h, events, token)) == 0) {
		w->members[h].events = events;
		w->members[h].token = token;
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int darwin_waitset_modify(void *ws, vmosal_handle_t h, unsigned events, uint64_t token)
{
	struct darwin_waitset *w = ws;
	struct darwin_member old;
	int rc;

	pthread_mutex_lock(&w->lock);
	if (h < 0 || (size_t)h >= w->cap || w->members[h].events == 0) {
		pthread_mutex_unlock(&w->lock);
		return VMOSAL_ENOENT;
	}
	old = w->members[h];
	/* Deleted and added again: an EV_ADD of a filter that exists keeps
	 * its EV_CLEAR and EV_DISPATCH, and this also re-arms a ONESHOT
	 * one. A level filter added while its descriptor is ready is
	 * reported at once (kqueue(2)), so nothing ready is lost. */
	darwin_member_delete(w, h, old.events);
	if ((rc = darwin_member_add(w, h, events, token)) == 0) {
		w->members[h].events = events;
		w->members[h].token = token;
	} else if (darwin_member_add(w, h, old.events, old.token) != 0) {
		/* Neither holds (h closed meanwhile): it is out of the set. */
		w->members[h].events = 0;
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int darwin_waitset_remove(void *ws, vmosal_handle_t h)
{
	struct darwin_waitset *w = ws;

	pthread_mutex_lock(&w->lock);
	if (h < 0 || (size_t)h >= w->cap || w->members[h].events == 0) {
		pthread_mutex_unlock(&w->lock);
		return VMOSAL_ENOENT;
	}
	darwin_member_delete(w, h, w->members[h].events);
	w->members[h].events = 0;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/* One kevent's VMOSAL_WAIT_* bits. kevent(2): EV_EOF on a read or write
 * filter says the peer is gone, with a socket's pending error, if any, in
 * fflags. */
static unsigned darwin_wait_events(const struct kevent *ev)
{
	unsigned events = 0;

	if (ev->flags & EV_ERROR)
		return VMOSAL_WAIT_ERROR;
	if (ev->filter == EVFILT_READ)
		events |= VMOSAL_WAIT_READABLE;
	else if (ev->filter == EVFILT_WRITE)
		events |= VMOSAL_WAIT_WRITABLE;
	if (ev->flags & EV_EOF) {
		events |= VMOSAL_WAIT_HANGUP;
		if (ev->fflags != 0)
			events |= VMOSAL_WAIT_ERROR;
	}
	return events;
}

#define DARWIN_WAIT_BATCH 128

int darwin_waitset_wait(void *ws, int64_t timeout_ns, struct vmosal_wait_event *ready,
			size_t capacity, size_t *n, const uint32_t *kick_pending)
{
	struct darwin_waitset *w = ws;
	struct kevent evs[DARWIN_WAIT_BATCH];
	int max = capacity < DARWIN_WAIT_BATCH ? (int)capacity : DARWIN_WAIT_BATCH, got, rc;
	uint64_t start = 0, now = 0;
	size_t out = 0;

	if (kick_pending != NULL && __atomic_load_n(kick_pending, __ATOMIC_RELAXED) != 0)
		return VMOSAL_EINTR;
	if (timeout_ns > 0 && (rc = darwin_clock_ns(VMOSAL_CLOCK_MONOTONIC, &start)) != 0)
		return rc;
	/* kevent takes no signal mask: the kick rule's wait is pselect on
	 * the kqueue, readable while an event is pending in it (kqueue(2)),
	 * as the events' wait is (posix_kick_wait_fd); the events are then
	 * taken without waiting. Another waiter may take them first: then
	 * wait again, for what is left of the timeout. */
	for (;;) {
		int64_t left = timeout_ns;

		got = kevent(w->kq, NULL, 0, evs, max, &darwin_zero);
		if (got < 0)
			return errno == EINTR ? VMOSAL_EINTR : posix_last_error();
		if (got > 0)
			break;
		if (timeout_ns > 0) {
			if ((rc = darwin_clock_ns(VMOSAL_CLOCK_MONOTONIC, &now)) != 0)
				return rc;
			left = now - start >= (uint64_t)timeout_ns ? 0
								   : timeout_ns - (int64_t)(now - start);
		}
		if (left == 0)
			return VMOSAL_ETIMEDOUT;
		if ((rc = posix_kick_wait_fd(w->kq, left, kick_pending)) != 0)
			return rc;
	}
	/* One entry per descriptor, as epoll gives: its read and write
	 * filters come back as two kevents. */
	for (int i = 0; i < got; i++) {
		unsigned events = darwin_wait_events(&evs[i]);
		size_t j;

		for (j = 0; j < out; j++)
			if (evs[j].ident == evs[i].ident)
				break;
		if (j < out) {
			ready[j].events |= events;
			continue;
		}
		evs[out] = evs[i];
		ready[out].token = (uint64_t)(uintptr_t)evs[i].udata;
		ready[out].events = events;
		ready[out].reserved = 0;
		out++;
	}
	*n = out;
	return 0;
}

/* ---- timers ----
 * A timer is a kqueue holding one EVFILT_TIMER (ident DARWIN_TIMER), so
 * that it is readable while an expiry is pending and waits in a wait set.
 * What the timer is (its clock, ABSOLUTE or not) is kept in the kqueue as
 * the ident of an EVFILT_USER that is never triggered: a check with
 * EV_ENABLE and EV_RECEIPT finds it, changes nothing and drains nothing,
 * and finds none in a signal descriptor or a wait set (VMOSAL_EBADF).
 *
 * EVFILT_TIMER is periodic with its first expiry one period after it is
 * added, or one-shot (EV_ONESHOT), or one-shot at an absolute time
 * (NOTE_ABSOLUTE). A first delay other than the period, and a period after
 * an absolute first expiry, are a one-shot whose udata holds the period:
 * the read that takes it adds the periodic timer, which therefore runs
 * from that read (timer.h says so). */

#define DARWIN_TIMER 1
#define DARWIN_TIMER_KIND 0x766d7400u /* "vmt\0", plus the two bits below */
#define DARWIN_TIMER_KIND_ABSOLUTE 0x1u
#define DARWIN_TIMER_KIND_REALTIME 0x2u

/* A read's re-arm against an arm in another thread. */
static pthread_mutex_t darwin_timer_lock = PTHREAD_MUTEX_INITIALIZER;

static void darwin_timer_lock_take(void)
{
	pthread_mutex_lock(&darwin_timer_lock);
}

static void darwin_timer_lock_give(void)
{
	pthread_mutex_unlock(&darwin_timer_lock);
}

__attribute__((constructor)) static void darwin_timer_register_fork(void)
{
	/* Held across fork, so that a child never inherits it taken. */
	pthread_atfork(darwin_timer_lock_take, darwin_timer_lock_give, darwin_timer_lock_give);
}

/* The kind of timer h is (DARWIN_TIMER_KIND_*), or VMOSAL_EBADF. */
static int darwin_timer_kind(vmosal_handle_t h, unsigned *kind)
{
	struct kevent ch[4];
	int errs[4], rc;

	for (unsigned k = 0; k < 4; k++)
		EV_SET(&ch[k], DARWIN_TIMER_KIND + k, EVFILT_USER, EV_ENABLE, 0, 0, NULL);
	/* kevent(2): EBADF for a descriptor that is not a kqueue. */
	if ((rc = darwin_kevent_receipts(h, ch, 4, errs)) != 0)
		return rc == VMOSAL_EINVAL ? VMOSAL_EBADF : rc;
	for (unsigned k = 0; k < 4; k++)
		if (errs[k] == 0) {
			*kind = k;
			return 0;
		}
	return VMOSAL_EBADF;
}

int darwin_timer_create(int clock, unsigned flags, vmosal_handle_t *out)
{
	unsigned kind = 0;
	struct kevent mark;
	int kq, err, rc;

	/* The monotonic clock stops in sleep, and no EVFILT_TIMER counts
	 * the time asleep against it (NOTE_MACH_CONTINUOUS_TIME is
	 * CLOCK_MONOTONIC's, not a BOOTTIME of vmosal_clock_ns's). */
	if (clock == VMOSAL_CLOCK_REALTIME)
		kind |= DARWIN_TIMER_KIND_REALTIME;
	else if (clock != VMOSAL_CLOCK_MONOTONIC)
		return VMOSAL_ENOTSUP;
	if ((flags & ~VMOSAL_TIMER_ABSOLUTE) != 0)
		return VMOSAL_ENOTSUP;
	if (flags & VMOSAL_TIMER_ABSOLUTE)
		kind |= DARWIN_TIMER_KIND_ABSOLUTE;
	if ((kq = darwin_new_kqueue()) < 0)
		return kq;
	EV_SET(&mark, DARWIN_TIMER_KIND + kind, EVFILT_USER, EV_ADD, 0, 0, NULL);
	if ((rc = darwin_kevent_receipts(kq, &mark, 1, &err)) != 0 ||
	    (rc = posix_error_from_errno(err)) != 0) {
		close(kq);
		return rc;
	}
	*out = kq;
	return 0;
}

/* ns of the monotonic clock (CLOCK_UPTIME_RAW, darwin_io.c) in Mach
 * absolute time units, rounded up: never early. */
__extension__ typedef unsigned __int128 darwin_u128;

static int64_t darwin_mach_ticks(uint64_t ns)
{
	mach_timebase_info_data_t tb;
	darwin_u128 t;

	if (mach_timebase_info(&tb) != KERN_SUCCESS || tb.numer == 0 || tb.denom == 0)
		tb.numer = tb.denom = 1;
	t = ((darwin_u128)ns * tb.denom + tb.numer - 1) / tb.numer;
	return t > (darwin_u128)INT64_MAX ? INT64_MAX : (int64_t)t;
}

int darwin_timer_arm(vmosal_handle_t h, uint64_t first_ns, uint64_t period_ns)
{
	struct kevent ch[2];
	int errs[2], n = 1, rc;
	unsigned kind = 0;

	darwin_timer_lock_take();
	if ((rc = darwin_timer_kind(h, &kind)) != 0)
		goto out;
	/* Deleted first, with its pending expiry: arm forgets them. */
	EV_SET(&ch[0], DARWIN_TIMER, EVFILT_TIMER, EV_DELETE, 0, 0, NULL);
	if (first_ns != 0) {
		unsigned short flags = EV_ADD | EV_ENABLE;
		uint32_t fflags = NOTE_NSECONDS;
		int64_t data = (int64_t)first_ns;
		uint64_t then = 0;

		if (kind & DARWIN_TIMER_KIND_ABSOLUTE) {
			/* kevent(2): NOTE_ABSOLUTE is one-shot; with
			 * NOTE_MACHTIME, data is a mach_absolute_time(), else
			 * nanoseconds since the epoch (NOTE_NSECONDS). A time
			 * past expires at once. */
			fflags |= NOTE_ABSOLUTE;
			if (!(kind & DARWIN_TIMER_KIND_REALTIME)) {
				fflags = NOTE_ABSOLUTE | NOTE_MACHTIME;
				data = darwin_mach_ticks(first_ns);
			}
			flags |= EV_ONESHOT;
			then = period_ns;
		} else if (period_ns != first_ns) {
			flags |= EV_ONESHOT;
			then = period_ns;
		}
		EV_SET(&ch[1], DARWIN_TIMER, EVFILT_TIMER, flags, fflags, data, (void *)(uintptr_t)then);
		n = 2;
	}
	if ((rc = darwin_kevent_receipts(h, ch, n, errs)) != 0)
		goto out;
	if (errs[0] != 0 && errs[0] != ENOENT)
		rc = posix_error_from_errno(errs[0]);
	else if (n == 2 && errs[1] != 0)
		rc = posix_error_from_errno(errs[1]);
out:
	darwin_timer_lock_give();
	return rc;
}

int darwin_timer_read(vmosal_handle_t h, uint64_t *expirations)
{
	struct kevent got;
	unsigned kind = 0;
	int n, rc;

	darwin_timer_lock_take();
	if ((rc = darwin_timer_kind(h, &kind)) != 0)
		goto out;
	do
		n = kevent(h, NULL, 0, &got, 1, &darwin_zero);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		rc = posix_last_error();
		goto out;
	}
	if (n == 0 || got.filter != EVFILT_TIMER) {
		rc = VMOSAL_EAGAIN;
		goto out;
	}
	/* kevent(2): data counts the expiries since the last one taken. */
	*expirations = got.data > 0 ? (uint64_t)got.data : 1;
	if (got.udata != NULL) {
		struct kevent periodic;
		int err;

		/* The one-shot before a period: now the period. */
		EV_SET(&periodic, DARWIN_TIMER, EVFILT_TIMER, EV_ADD | EV_ENABLE, NOTE_NSECONDS,
		       (int64_t)(uintptr_t)got.udata, NULL);
		if ((rc = darwin_kevent_receipts(h, &periodic, 1, &err)) == 0)
			rc = posix_error_from_errno(err);
	}
out:
	darwin_timer_lock_give();
	return rc;
}
