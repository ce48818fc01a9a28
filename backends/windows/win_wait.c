/* Wait sets and timers on Windows, and the record of handles that are
 * more than their OS object (timers, channels, listeners).
 *
 * A wait set holds any number of handles, beyond WaitForMultipleObjects'
 * 64: the waiting thread waits on the first WIN_GROUP members itself, and
 * each further WIN_GROUP on a thread of the set's own (made when the set
 * first grows that far, kept until it is destroyed), which reports to the
 * waiting thread through an event. (NtAssociateWaitCompletionPacket would
 * do it without threads, from Windows 8 on; Wine lacks it.) Those threads
 * wait only while a thread is in vmosal_waitset_wait; waits of several
 * threads on one such set take turns.
 *
 * The set waits on a duplicate of each handle it holds (closed when the
 * handle leaves the set and no wait uses it), so that a handle closed by
 * mistake while in the set names nothing else for it.
 *
 * Level-triggered: a handle is reported while its object is signalled. A
 * wait takes the signal of an auto-reset event or a semaphore: the set
 * puts it back at once (SetEvent, ReleaseSemaphore), so a handle reported
 * is still readable. libvmosal's own events are manual-reset (win_io.c)
 * and need nothing; for a semaphore event, or an auto-reset event from
 * elsewhere, another thread reading it just then may find it unsignalled
 * for that moment. WRITABLE is always reported when asked: nothing here
 * waits to be written. EDGE is VMOSAL_ENOTSUP. */
#include "config.h"

#include <stdlib.h>

#include "vmosal/timer.h"
#include "vmosal/waitset.h"
#include "win.h"

/* ---- the record of handles ---- */

#define WIN_REC_BUCKETS 4096u

struct win_rec_link {
	HANDLE h;
	struct win_rec *o;
	struct win_rec_link *next;
};

static struct win_rec_link *win_recs[WIN_REC_BUCKETS];
static SRWLOCK win_recs_lock = SRWLOCK_INIT;

static size_t win_rec_bucket(HANDLE h)
{
	uintptr_t v = (uintptr_t)h >> 2;

	return (size_t)((v ^ v >> 12) % WIN_REC_BUCKETS);
}

void win_rec_ref(struct win_rec *o)
{
	InterlockedIncrement(&o->refs);
}

void win_rec_unref(struct win_rec *o)
{
	if (o != NULL && InterlockedDecrement(&o->refs) == 0)
		o->free(o);
}

int win_rec_put(HANDLE h, struct win_rec *o)
{
	struct win_rec_link *l = malloc(sizeof *l);
	size_t b = win_rec_bucket(h);

	if (l == NULL)
		return VMOSAL_ENOMEM;
	l->h = h;
	l->o = o;
	AcquireSRWLockExclusive(&win_recs_lock);
	l->next = win_recs[b];
	win_recs[b] = l;
	ReleaseSRWLockExclusive(&win_recs_lock);
	return 0;
}

struct win_rec *win_rec_get(HANDLE h, int kind)
{
	struct win_rec *o = NULL;

	AcquireSRWLockShared(&win_recs_lock);
	for (struct win_rec_link *l = win_recs[win_rec_bucket(h)]; l != NULL; l = l->next) {
		if (l->h == h) {
			if (kind == 0 || l->o->kind == kind) {
				o = l->o;
				win_rec_ref(o);
			}
			break;
		}
	}
	ReleaseSRWLockShared(&win_recs_lock);
	return o;
}

void win_rec_forget(HANDLE h)
{
	struct win_rec_link **p, *l = NULL;

	AcquireSRWLockExclusive(&win_recs_lock);
	for (p = &win_recs[win_rec_bucket(h)]; *p != NULL; p = &(*p)->next) {
		if ((*p)->h == h) {
			l = *p;
			*p = l->next;
			break;
		}
	}
	ReleaseSRWLockExclusive(&win_recs_lock);
	if (l != NULL) {
		win_rec_unref(l->o);
		free(l);
	}
}

int win_rec_dup(HANDLE orig, HANDLE dup)
{
	struct win_rec *o = win_rec_get(orig, 0);
	int rc;

	if (o == NULL)
		return 0;
	if ((rc = win_rec_put(dup, o)) != 0)
		win_rec_unref(o);
	return rc;
}

/* ---- wait sets ---- */

/* Members one thread waits on: 64 less the three the waiting thread
 * waits on besides (changed, ready, its timer). */
#define WIN_GROUP (MAXIMUM_WAIT_OBJECTS - 3)

struct win_member {
	HANDLE h;	    /* the caller's handle: the key */
	HANDLE obj;	    /* the set's duplicate of what it waits on */
	struct win_rec *o;  /* h's record, or NULL */
	unsigned events;    /* VMOSAL_WAIT_* asked */
	uint64_t token;
	int sync;	    /* win_sync_kind(obj): what a wait takes */
	bool off;	    /* ONESHOT, reported: not watched until modified */
	volatile LONG refs; /* the set's, and each wait's that holds it */
	struct win_member *hnext;
};

struct win_ws;

struct win_worker {
	struct win_ws *ws;
	size_t group; /* members [group * WIN_GROUP, + WIN_GROUP) */
	HANDLE thread;
	HANDLE go; /* auto-reset: wait (again) on the group */
	volatile LONG quit;
};

struct win_ws {
	SRWLOCK lock; /* members, hash, scan_from */
	struct win_member **m;
	size_t n, cap;
	struct win_member **hash;
	size_t nhash; /* a power of two */
	size_t scan_from;
	HANDLE changed; /* auto-reset: a member came, went or changed */
	HANDLE ready;	/* auto-reset: a worker saw one of its members signalled */
	HANDLE stop;	/* manual-reset: workers, stop waiting */
	HANDLE turn;	/* a mutex: one wait at a time uses the workers */
	struct win_worker **w;
	size_t nw;
};

static void win_member_unref(struct win_member *mb)
{
	if (InterlockedDecrement(&mb->refs) == 0) {
		CloseHandle(mb->obj);
		win_rec_unref(mb->o);
		free(mb);
	}
}

/* Gives back what a wait on mb's object took. */
static void win_member_restore(const struct win_member *mb)
{
	if (mb->sync == WIN_SYNC_AUTO_EVENT)
		SetEvent(mb->obj);
	else if (mb->sync == WIN_SYNC_SEMAPHORE)
		ReleaseSemaphore(mb->obj, 1, NULL);
}

/* Whether a wait on mb's object says anything: READABLE asked, or a
 * record that reports hang-ups. */
static bool win_member_watched(const struct win_member *mb)
{
	return !mb->off && ((mb->events & VMOSAL_WAIT_READABLE) || mb->o != NULL);
}

static size_t win_hash_of(const struct win_ws *ws, HANDLE h)
{
	uintptr_t v = (uintptr_t)h >> 2;

	return (size_t)(v ^ v >> 16) & (ws->nhash - 1);
}

static struct win_member *win_ws_find(const struct win_ws *ws, HANDLE h)
{
	struct win_member *mb = ws->hash[win_hash_of(ws, h)];

	while (mb != NULL && mb->h != h)
		mb = mb->hnext;
	return mb;
}

static void win_ws_unhash(struct win_ws *ws, struct win_member *mb)
{
	struct win_member **p = &ws->hash[win_hash_of(ws, mb->h)];

	while (*p != mb)
		p = &(*p)->hnext;
	*p = mb->hnext;
}

static int win_ws_rehash(struct win_ws *ws, size_t nhash)
{
	struct win_member **hash = calloc(nhash, sizeof *hash);

	if (hash == NULL)
		return VMOSAL_ENOMEM;
	free(ws->hash);
	ws->hash = hash;
	ws->nhash = nhash;
	for (size_t i = 0; i < ws->n; i++) {
		size_t b = win_hash_of(ws, ws->m[i]->h);

		ws->m[i]->hnext = hash[b];
		hash[b] = ws->m[i];
	}
	return 0;
}

int win_waitset_create(unsigned flags, void **out)
{
	struct win_ws *ws = calloc(1, sizeof *ws);

	(void)flags;
	if (ws == NULL)
		return VMOSAL_ENOMEM;
	InitializeSRWLock(&ws->lock);
	ws->nhash = 64;
	ws->hash = calloc(ws->nhash, sizeof *ws->hash);
	ws->changed = CreateEventW(NULL, FALSE, FALSE, NULL);
	ws->ready = CreateEventW(NULL, FALSE, FALSE, NULL);
	ws->stop = CreateEventW(NULL, TRUE, TRUE, NULL);
	ws->turn = CreateMutexW(NULL, FALSE, NULL);
	if (ws->hash == NULL || ws->changed == NULL || ws->ready == NULL || ws->stop == NULL ||
	    ws->turn == NULL) {
		int rc = ws->hash == NULL ? VMOSAL_ENOMEM : win_last_error();

		win_waitset_destroy(ws);
		return rc;
	}
	*out = ws;
	return 0;
}

int win_waitset_destroy(void *p)
{
	struct win_ws *ws = p;

	for (size_t i = 0; i < ws->nw; i++) {
		InterlockedExchange(&ws->w[i]->quit, 1);
		SetEvent(ws->w[i]->go);
		WaitForSingleObject(ws->w[i]->thread, INFINITE);
		CloseHandle(ws->w[i]->thread);
		CloseHandle(ws->w[i]->go);
		free(ws->w[i]);
	}
	free(ws->w);
	for (size_t i = 0; i < ws->n; i++)
		win_member_unref(ws->m[i]);
	free(ws->m);
	free(ws->hash);
	if (ws->changed != NULL)
		CloseHandle(ws->changed);
	if (ws->ready != NULL)
		CloseHandle(ws->ready);
	if (ws->stop != NULL)
		CloseHandle(ws->stop);
	if (ws->turn != NULL)
		CloseHandle(ws->turn);
	free(ws);
	return 0;
}

int win_waitset_add(void *p, vmosal_handle_t h, unsigned events, uint64_t token)
{
	struct win_ws *ws = p;
	HANDLE self = GetCurrentProcess();
	struct win_member *mb;
	int rc = 0;

	if (events & VMOSAL_WAIT_EDGE)
		return VMOSAL_ENOTSUP;
	if ((mb = calloc(1, sizeof *mb)) == NULL)
		return VMOSAL_ENOMEM;
	mb->h = h;
	mb->events = events;
	mb->token = token;
	mb->refs = 1;
	mb->o = win_rec_get(h, 0);
	if (mb->o != NULL && mb->o->arm != NULL && (rc = mb->o->arm(mb->o)) != 0)
		goto fail;
	if (!DuplicateHandle(self, mb->o != NULL ? mb->o->wait : h, self, &mb->obj, 0, FALSE,
			     DUPLICATE_SAME_ACCESS)) {
		rc = GetLastError() == ERROR_INVALID_HANDLE ? VMOSAL_EBADF : win_last_error();
		goto fail;
	}
	mb->sync = mb->o != NULL ? WIN_SYNC_OTHER : win_sync_kind(mb->obj);
	AcquireSRWLockExclusive(&ws->lock);
	if (win_ws_find(ws, h) != NULL) {
		rc = VMOSAL_EEXIST;
	} else if (ws->n == ws->cap) {
		size_t cap = ws->cap == 0 ? 64 : ws->cap * 2;
		struct win_member **m = realloc(ws->m, cap * sizeof *m);

		if (m == NULL) {
			rc = VMOSAL_ENOMEM;
		} else {
			ws->m = m;
			ws->cap = cap;
		}
	}
	if (rc == 0 && ws->n >= ws->nhash)
		rc = win_ws_rehash(ws, ws->nhash * 2);
	if (rc == 0) {
		size_t b = win_hash_of(ws, h);

		ws->m[ws->n++] = mb;
		mb->hnext = ws->hash[b];
		ws->hash[b] = mb;
	}
	ReleaseSRWLockExclusive(&ws->lock);
	if (rc != 0)
		goto fail;
	SetEvent(ws->changed);
	return 0;
fail:
	if (mb->obj != NULL)
		CloseHandle(mb->obj);
	win_rec_unref(mb->o);
	free(mb);
	return rc;
}

int win_waitset_modify(void *p, vmosal_handle_t h, unsigned events, uint64_t token)
{
	struct win_ws *ws = p;
	struct win_member *mb;

	if (events & VMOSAL_WAIT_EDGE)
		return VMOSAL_ENOTSUP;
	AcquireSRWLockExclusive(&ws->lock);
	if ((mb = win_ws_find(ws, h)) != NULL) {
		mb->events = events;
		mb->token = token;
		mb->off = false;
	}
	ReleaseSRWLockExclusive(&ws->lock);
	if (mb == NULL)
		return VMOSAL_ENOENT;
	SetEvent(ws->changed);
	return 0;
}

int win_waitset_remove(void *p, vmosal_handle_t h)
{
	struct win_ws *ws = p;
	struct win_member *mb;

	AcquireSRWLockExclusive(&ws->lock);
	if ((mb = win_ws_find(ws, h)) != NULL) {
		win_ws_unhash(ws, mb);
		/* The last member takes its place (and maybe its group). */
		for (size_t i = 0; i < ws->n; i++) {
			if (ws->m[i] == mb) {
				ws->m[i] = ws->m[--ws->n];
				break;
			}
		}
		if (ws->scan_from >= ws->n)
			ws->scan_from = 0;
	}
	ReleaseSRWLockExclusive(&ws->lock);
	if (mb == NULL)
		return VMOSAL_ENOENT;
	win_member_unref(mb);
	SetEvent(ws->changed);
	return 0;
}

/* Takes references to the watched members of group g into mine[], their
 * objects into objs[]; returns how many (at most WIN_GROUP). */
static size_t win_ws_snapshot(struct win_ws *ws, size_t g, struct win_member **mine,
			      HANDLE *objs, size_t *total)
{
	size_t k = 0;

	AcquireSRWLockShared(&ws->lock);
	for (size_t i = g * WIN_GROUP; i < ws->n && i < (g + 1) * WIN_GROUP; i++) {
		struct win_member *mb = ws->m[i];

		if (win_member_watched(mb)) {
			InterlockedIncrement(&mb->refs);
			mine[k] = mb;
			objs[k++] = mb->obj;
		}
	}
	if (total != NULL)
		*total = ws->n;
	ReleaseSRWLockShared(&ws->lock);
	return k;
}

static void win_ws_release(struct win_member **mine, size_t k)
{
	for (size_t i = 0; i < k; i++)
		win_member_unref(mine[i]);
}

/* A worker: waits on its group while a wait is in progress, gives back
 * what its wait took, and tells the waiting thread. */
static DWORD WINAPI win_worker_main(void *arg)
{
	struct win_worker *w = arg;
	struct win_ws *ws = w->ws;
	struct win_member *mine[WIN_GROUP];
	HANDLE objs[2 + WIN_GROUP];

	for (;;) {
		DWORD r;
		size_t k;

		WaitForSingleObject(w->go, INFINITE);
		do {
			if (InterlockedCompareExchange(&w->quit, 0, 0) != 0)
				return 0;
			objs[0] = ws->stop;
			objs[1] = w->go;
			k = win_ws_snapshot(ws, w->group, mine, objs + 2, NULL);
			r = WaitForMultipleObjects((DWORD)(2 + k), objs, FALSE, INFINITE);
			if (r >= WAIT_OBJECT_0 + 2 && r < WAIT_OBJECT_0 + 2 + k) {
				win_member_restore(mine[r - WAIT_OBJECT_0 - 2]);
				SetEvent(ws->ready);
			} else if (r == WAIT_FAILED) {
				SetEvent(ws->ready);
			}
			win_ws_release(mine, k);
		} while (r == WAIT_OBJECT_0 + 1); /* go again: the group changed */
	}
}

/* Workers for every group but the first, made as the set grows. */
static int win_ws_workers(struct win_ws *ws, size_t groups)
{
	while (ws->nw + 1 < groups) {
		struct win_worker **w = realloc(ws->w, (ws->nw + 1) * sizeof *w);
		struct win_worker *nw;

		if (w == NULL)
			return VMOSAL_ENOMEM;
		ws->w = w;
		if ((nw = calloc(1, sizeof *nw)) == NULL)
			return VMOSAL_ENOMEM;
		nw->ws = ws;
		nw->group = ws->nw + 1;
		nw->go = CreateEventW(NULL, FALSE, FALSE, NULL);
		if (nw->go != NULL)
			nw->thread = CreateThread(NULL, 64 * 1024, win_worker_main, nw,
						  STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
		if (nw->thread == NULL) {
			int rc = win_last_error();

			if (nw->go != NULL)
				CloseHandle(nw->go);
			free(nw);
			return rc;
		}
		ws->w[ws->nw++] = nw;
	}
	return 0;
}

/* What mb is ready for, its object being signalled (or not). */
static unsigned win_member_bits(struct win_member *mb, bool signalled, bool failed)
{
	unsigned bits = mb->events & VMOSAL_WAIT_WRITABLE;

	if (failed)
		return bits | VMOSAL_WAIT_ERROR;
	if (signalled) {
		unsigned got = mb->o != NULL && mb->o->poll != NULL ? mb->o->poll(mb->o)
								  : VMOSAL_WAIT_READABLE;

		bits |= got & (mb->events | VMOSAL_WAIT_HANGUP | VMOSAL_WAIT_ERROR);
		if (got & VMOSAL_WAIT_HANGUP)
			bits &= ~(unsigned)VMOSAL_WAIT_WRITABLE;
	}
	return bits;
}

/* Tests every member once, from where the last scan stopped (so that a
 * busy handle does not hide the others), and stores up to cap of the
 * ready ones. Under the lock: WaitForMultipleObjects with no timeout
 * finds the first signalled one of up to 64; the scan goes on after it. */
static size_t win_ws_scan(struct win_ws *ws, struct vmosal_wait_event *ready, size_t cap)
{
	struct win_member *chunk[MAXIMUM_WAIT_OBJECTS];
	HANDLE objs[MAXIMUM_WAIT_OBJECTS];
	bool sig[MAXIMUM_WAIT_OBJECTS], bad[MAXIMUM_WAIT_OBJECTS];
	size_t got = 0, seen = 0;

	AcquireSRWLockExclusive(&ws->lock);
	while (seen < ws->n && got < cap) {
		size_t k = 0, base = 0;

		/* The next up to 64 members, in turn from scan_from. */
		for (; seen < ws->n && k < MAXIMUM_WAIT_OBJECTS; seen++) {
			struct win_member *mb = ws->m[(ws->scan_from + seen) % ws->n];

			if (mb->off)
				continue;
			chunk[k] = mb;
			sig[k] = bad[k] = false;
			objs[k++] = mb->obj;
		}
		/* Only the watched ones are waited on; others are just written. */
		{
			HANDLE wobj[MAXIMUM_WAIT_OBJECTS];
			size_t widx[MAXIMUM_WAIT_OBJECTS], wn = 0;

			for (size_t i = 0; i < k; i++)
				if (win_member_watched(chunk[i])) {
					widx[wn] = i;
					wobj[wn++] = objs[i];
				}
			while (base < wn) {
				DWORD r = WaitForMultipleObjects((DWORD)(wn - base), wobj + base,
								 FALSE, 0);

				if (r < WAIT_OBJECT_0 + wn - base) {
					size_t j = base + (r - WAIT_OBJECT_0);

					sig[widx[j]] = true;
					win_member_restore(chunk[widx[j]]);
					base = j + 1;
				} else if (r == WAIT_FAILED) {
					/* One by one, to find the object that fails. */
					for (size_t j = base; j < wn; j++) {
						DWORD r1 = WaitForSingleObject(wobj[j], 0);

						if (r1 == WAIT_OBJECT_0) {
							sig[widx[j]] = true;
							win_member_restore(chunk[widx[j]]);
						} else if (r1 != WAIT_TIMEOUT) {
							bad[widx[j]] = true;
						}
					}
					break;
				} else {
					break; /* none (more) signalled */
				}
			}
		}
		for (size_t i = 0; i < k; i++) {
			unsigned bits = win_member_bits(chunk[i], sig[i], bad[i]);

			if (bits == 0 || got == cap)
				continue;
			ready[got].token = chunk[i]->token;
			ready[got].events = bits;
			ready[got].reserved = 0;
			got++;
			if (chunk[i]->events & VMOSAL_WAIT_ONESHOT)
				chunk[i]->off = true;
		}
	}
	if (ws->n > 0)
		ws->scan_from = (ws->scan_from + seen) % ws->n;
	ReleaseSRWLockExclusive(&ws->lock);
	return got;
}

/* Ends a wait's use of the workers. */
static void win_ws_end_turn(struct win_ws *ws, bool *turn)
{
	if (*turn) {
		SetEvent(ws->stop);
		ReleaseMutex(ws->turn);
		*turn = false;
	}
}

/* Alertable, as win_event_wait_kick: the kick flag is read first, and a
 * kick's APC ends any of the waits below (VMOSAL_EINTR). The timeout is
 * the thread's high-resolution timer, waited on with the rest. */
int win_waitset_wait(void *p, int64_t timeout_ns, struct vmosal_wait_event *ready,
		     size_t capacity, size_t *n, const uint32_t *kick_pending)
{
	struct win_ws *ws = p;
	uint64_t start = win_monotonic_ns();
	struct win_member *mine[WIN_GROUP];
	HANDLE objs[MAXIMUM_WAIT_OBJECTS];
	bool turn = false;
	int rc;

	if (kick_pending != NULL && __atomic_load_n(kick_pending, __ATOMIC_SEQ_CST) != 0)
		return win_kick_seen();
	for (;;) {
		size_t k, total, m;
		DWORD ms = INFINITE, r;
		HANDLE timer = NULL;

		if ((*n = win_ws_scan(ws, ready, capacity)) > 0) {
			rc = 0;
			break;
		}
		if (timeout_ns >= 0) {
			uint64_t waited = win_monotonic_ns() - start;

			if (waited >= (uint64_t)timeout_ns) {
				rc = VMOSAL_ETIMEDOUT;
				break;
			}
			if ((timer = win_hires_timer((uint64_t)timeout_ns - waited)) == NULL)
				ms = win_wait_ms((uint64_t)timeout_ns - waited);
		}
		k = win_ws_snapshot(ws, 0, mine, objs, &total);
		if (total > WIN_GROUP && !turn) {
			/* The workers are one wait's at a time. */
			HANDLE t[2] = {ws->turn, timer};

			r = WaitForMultipleObjectsEx(timer != NULL ? 2 : 1, t, FALSE, ms, TRUE);
			if (r == WAIT_OBJECT_0 || r == WAIT_ABANDONED_0) {
				turn = true;
				ResetEvent(ws->stop);
			}
			if (!turn) {
				win_ws_release(mine, k);
				if (r == WAIT_IO_COMPLETION) {
					rc = VMOSAL_EINTR;
					break;
				}
				if (r == WAIT_FAILED) {
					rc = win_last_error();
					break;
				}
				continue; /* the timeout: scan once more, and end */
			}
		}
		if (turn && (rc = win_ws_workers(ws, (total + WIN_GROUP - 1) / WIN_GROUP)) != 0) {
			win_ws_release(mine, k);
			break;
		}
		if (turn)
			for (size_t i = 0; i < ws->nw && (i + 1) * WIN_GROUP < total; i++)
				SetEvent(ws->w[i]->go);
		m = k;
		objs[m++] = ws->changed;
		objs[m++] = ws->ready;
		if (timer != NULL)
			objs[m++] = timer;
		r = WaitForMultipleObjectsEx((DWORD)m, objs, FALSE, ms, TRUE);
		if (r < WAIT_OBJECT_0 + k)
			win_member_restore(mine[r - WAIT_OBJECT_0]);
		win_ws_release(mine, k);
		if (r == WAIT_IO_COMPLETION) {
			rc = VMOSAL_EINTR;
			break;
		}
		if (r == WAIT_FAILED) {
			rc = win_last_error();
			break;
		}
		/* A member, a change, a worker's report, the timer: scan. */
	}
	win_ws_end_turn(ws, &turn);
	return rc;
}

/* ---- timers ----
 * A manual-reset waitable timer, signalled from its expiry until read:
 * what a wait set sees as readable. Windows' own period is whole
 * milliseconds, so the period is kept here: a read counts the periods
 * gone by since the expiry it saw (missed ones included) on the
 * performance counter and sets the timer for the next one, which makes it
 * unsignalled. A MONOTONIC deadline (ABSOLUTE) becomes a delay when armed;
 * a REALTIME one is an absolute due time (FILETIME), which Windows moves
 * with the wall clock. Setting a timer far ahead and cancelling it is how
 * it is made unsignalled and stopped (CancelWaitableTimer alone leaves it
 * signalled). */
#define WIN_TIMER_MANUAL_RESET 0x1u /* CREATE_WAITABLE_TIMER_MANUAL_RESET */
#define WIN_TIMER_HIRES 0x2u	    /* CREATE_WAITABLE_TIMER_HIGH_RESOLUTION */

struct win_timer {
	struct win_rec o; /* o.wait: the timer */
	SRWLOCK lock;
	int clock;
	bool absolute, armed;
	uint64_t period_ns;
	uint64_t due; /* the performance counter's ns of the expiry not yet read */
};

static void win_timer_free(struct win_rec *o)
{
	CloseHandle(o->wait);
	free(o);
}

/* 100 ns units between 1601 and 1970. */
#define WIN_TIMER_EPOCH 116444736000000000ull

static int win_timer_set_rel(HANDLE t, uint64_t ns)
{
	uint64_t units = ns / 100u + (ns % 100u != 0);
	LARGE_INTEGER due;

	due.QuadPart = -(LONGLONG)(units == 0 ? 1 : units);
	return SetWaitableTimer(t, &due, 0, NULL, NULL, FALSE) ? 0 : win_last_error();
}

static void win_timer_stop(HANDLE t)
{
	LARGE_INTEGER later;

	later.QuadPart = -(LONGLONG)(3600ll * 10000000ll); /* an hour from now */
	SetWaitableTimer(t, &later, 0, NULL, NULL, FALSE);
	CancelWaitableTimer(t);
}

int win_timer_create(int clock, unsigned flags, vmosal_handle_t *out)
{
	struct win_timer *t;
	DWORD hires = 0;
	HANDLE h;

	if (clock == VMOSAL_CLOCK_BOOTTIME)
		return VMOSAL_ENOTSUP; /* Windows' timers stop while suspended (timer.h) */
	/* A wall-clock deadline needs no sub-millisecond resolution, and high-
	 * resolution timers take delays. */
	if (clock == VMOSAL_CLOCK_MONOTONIC)
		hires = WIN_TIMER_HIRES;
	h = CreateWaitableTimerExW(NULL, NULL, WIN_TIMER_MANUAL_RESET | hires,
				   TIMER_ALL_ACCESS);
	if (h == NULL && hires != 0 && GetLastError() == ERROR_INVALID_PARAMETER)
		h = CreateWaitableTimerExW(NULL, NULL, WIN_TIMER_MANUAL_RESET,
					   TIMER_ALL_ACCESS);
	if (h == NULL)
		return win_last_error();
	if ((t = calloc(1, sizeof *t)) == NULL) {
		CloseHandle(h);
		return VMOSAL_ENOMEM;
	}
	/* The record's own handle: the caller's may be closed before a
	 * duplicate's. */
	if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &t->o.wait, 0, FALSE,
			     DUPLICATE_SAME_ACCESS)) {
		int rc = win_last_error();

		CloseHandle(h);
		free(t);
		return rc;
	}
	t->o.kind = WIN_REC_TIMER;
	t->o.refs = 1;
	t->o.free = win_timer_free;
	InitializeSRWLock(&t->lock);
	t->clock = clock;
	t->absolute = (flags & VMOSAL_TIMER_ABSOLUTE) != 0;
	if (win_rec_put(h, &t->o) != 0) {
		CloseHandle(h);
		win_timer_free(&t->o);
		return VMOSAL_ENOMEM;
	}
	*out = h;
	return 0;
}

int win_timer_arm(vmosal_handle_t h, uint64_t first_ns, uint64_t period_ns)
{
	struct win_timer *t = (struct win_timer *)win_rec_get(h, WIN_REC_TIMER);
	uint64_t now, delay = first_ns;
	int rc = 0;

	if (t == NULL)
		return VMOSAL_EBADF;
	AcquireSRWLockExclusive(&t->lock);
	now = win_monotonic_ns();
	if (first_ns == 0) {
		win_timer_stop(t->o.wait);
		t->armed = false;
	} else if (t->absolute && t->clock == VMOSAL_CLOCK_REALTIME) {
		uint64_t wall;
		LARGE_INTEGER due;

		win_clock_ns(VMOSAL_CLOCK_REALTIME, &wall);
		delay = first_ns > wall ? first_ns - wall : 0;
		due.QuadPart = (LONGLONG)(first_ns / 100u + WIN_TIMER_EPOCH);
		if (first_ns / 100u > (uint64_t)INT64_MAX - WIN_TIMER_EPOCH)
			rc = VMOSAL_EOVERFLOW;
		else if (!SetWaitableTimer(t->o.wait, &due, 0, NULL, NULL, FALSE))
			rc = win_last_error();
	} else {
		if (t->absolute)
			delay = first_ns > now ? first_ns - now : 0;
		rc = win_timer_set_rel(t->o.wait, delay);
	}
	if (rc == 0 && first_ns != 0) {
		t->armed = true;
		t->period_ns = period_ns;
		t->due = now + delay;
	}
	ReleaseSRWLockExclusive(&t->lock);
	win_rec_unref(&t->o);
	return rc;
}

int win_timer_read(vmosal_handle_t h, uint64_t *expirations)
{
	struct win_timer *t = (struct win_timer *)win_rec_get(h, WIN_REC_TIMER);
	int rc = 0;

	if (t == NULL)
		return VMOSAL_EBADF;
	AcquireSRWLockExclusive(&t->lock);
	if (!t->armed || WaitForSingleObject(t->o.wait, 0) != WAIT_OBJECT_0) {
		rc = VMOSAL_EAGAIN;
	} else if (t->period_ns == 0) {
		*expirations = 1;
		t->armed = false;
		win_timer_stop(t->o.wait);
	} else {
		uint64_t now = win_monotonic_ns(), count = 1;

		/* The timer may fire a little before the counter says. */
		if (now > t->due)
			count += (now - t->due) / t->period_ns;
		*expirations = count;
		t->due += count * t->period_ns;
		rc = win_timer_set_rel(t->o.wait, t->due > now ? t->due - now : 0);
		if (rc != 0) {
			t->armed = false;
			win_timer_stop(t->o.wait);
		}
	}
	ReleaseSRWLockExclusive(&t->lock);
	win_rec_unref(&t->o);
	return rc;
}
