/* The device half on the Windows backend, through the public API: wait
 * sets beyond MAXIMUM_WAIT_OBJECTS, what a wait leaves of an event's
 * signal, kicks and changes during a wait, timers, and channels within
 * one process and to a second one (this program again, started with
 * --device-child). */
#include "config.h"

#include "testutil.h"

#include <process.h>

#define MANY 1024

static void setup(void)
{
	ck_assert_int_eq(vmosal_init(), 0);
	/* The thread's timer for timed waits, kept open from its first one:
	 * made now, before the tests count handles. */
	ck_assert_int_eq(vmosal_sleep_ns(1000), 0);
}

static size_t index_of(const struct vmosal_wait_event *ev, size_t n, uint64_t token)
{
	for (size_t i = 0; i < n; i++)
		if (ev[i].token == token)
			return i;
	return n;
}

/* ---- wait sets ---- */

static unsigned __stdcall notify_later(void *ev)
{
	Sleep(20);
	vmosal_event_notify(ev);
	return 0;
}

START_TEST(test_many_events_report_their_tokens)
{
	static vmosal_handle_t ev[MANY];
	struct vmosal_wait_event got[16];
	const size_t fire[] = {3, 63, 64, 700, MANY - 1};
	long handles = vmosal_test_handle_count();
	vmosal_waitset_t *ws;
	HANDLE t;
	size_t n;

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	for (size_t i = 0; i < MANY; i++) {
		ck_assert_int_eq(vmosal_event_create(0, &ev[i]), 0);
		ck_assert_int_eq(vmosal_waitset_add(ws, ev[i], VMOSAL_WAIT_READABLE, 1000 + i), 0);
	}
	ck_assert_int_eq(vmosal_waitset_add(ws, ev[5], VMOSAL_WAIT_READABLE, 1), VMOSAL_EEXIST);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, got, 16, &n), VMOSAL_ETIMEDOUT);
	for (size_t i = 0; i < sizeof fire / sizeof fire[0]; i++)
		ck_assert_int_eq(vmosal_event_notify(ev[fire[i]]), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, -1, got, 16, &n), 0);
	ck_assert_uint_eq(n, sizeof fire / sizeof fire[0]);
	for (size_t i = 0; i < sizeof fire / sizeof fire[0]; i++) {
		size_t k = index_of(got, n, 1000 + fire[i]);

		ck_assert_uint_lt(k, n);
		ck_assert_uint_eq(got[k].events, VMOSAL_WAIT_READABLE);
	}
	/* Level-triggered: reported again until read. */
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, got, 16, &n), 0);
	ck_assert_uint_eq(n, sizeof fire / sizeof fire[0]);
	for (size_t i = 0; i < sizeof fire / sizeof fire[0]; i++) {
		uint64_t count;

		ck_assert_int_eq(vmosal_event_read(ev[fire[i]], &count), 0);
		ck_assert_uint_eq(count, 1);
	}
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, got, 16, &n), VMOSAL_ETIMEDOUT);
	/* One signalled far from the waiting thread's own group, while it
	 * waits: a worker thread reports it. */
	t = (HANDLE)_beginthreadex(NULL, 0, notify_later, ev[900], 0, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 60 * 1000000000ll, got, 16, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(got[0].token, 1900);
	WaitForSingleObject(t, INFINITE);
	CloseHandle(t);
	ck_assert_int_eq(vmosal_waitset_remove(ws, ev[900]), 0);
	ck_assert_int_eq(vmosal_waitset_remove(ws, ev[900]), VMOSAL_ENOENT);
	ck_assert_int_eq(vmosal_waitset_modify(ws, ev[900], VMOSAL_WAIT_READABLE, 1), VMOSAL_ENOENT);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, got, 16, &n), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	for (size_t i = 0; i < MANY; i++)
		ck_assert_int_eq(vmosal_handle_close(ev[i]), 0);
	ck_assert_int_eq(vmosal_test_handle_count(), handles);
}
END_TEST

/* A wait takes an auto-reset event's or a semaphore's signal: the set puts
 * it back, and libvmosal's events are manual-reset, so what the set
 * reported is still there for the read. */
START_TEST(test_reported_event_is_still_readable)
{
	vmosal_handle_t ev, sem;
	HANDLE foreign = CreateEventW(NULL, FALSE, FALSE, NULL);
	struct vmosal_wait_event got[4];
	vmosal_waitset_t *ws;
	uint64_t count;
	size_t n;

	ck_assert_ptr_nonnull(foreign);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_event_create(VMOSAL_EVENT_SEMAPHORE, &sem), 0);
	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 1), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, sem, VMOSAL_WAIT_READABLE, 2), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, foreign, VMOSAL_WAIT_READABLE, 3), 0);

	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_event_notify(sem), 0);
	ck_assert_int_eq(vmosal_event_notify(sem), 0);
	ck_assert(SetEvent(foreign));
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(vmosal_waitset_wait(ws, -1, got, 4, &n), 0);
		ck_assert_uint_eq(n, 3);
	}
	ck_assert_int_eq(vmosal_event_read(ev, &count), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(vmosal_event_read(ev, &count), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_event_read(sem, &count), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(vmosal_event_read(sem, &count), 0);
	ck_assert_int_eq(vmosal_event_read(sem, &count), VMOSAL_EAGAIN);
	ck_assert_uint_eq(WaitForSingleObject(foreign, 0), WAIT_OBJECT_0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, got, 4, &n), VMOSAL_ETIMEDOUT);

	/* And vmosal_event_wait takes it too, once. */
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, -1, got, 4, &n), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), VMOSAL_ETIMEDOUT);
	/* Not an event. */
	ck_assert_int_eq(vmosal_event_read(GetCurrentThread(), &count), VMOSAL_EBADF);

	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_handle_close(sem), 0);
	CloseHandle(foreign);
}
END_TEST

START_TEST(test_oneshot_and_edge)
{
	vmosal_handle_t ev;
	struct vmosal_wait_event got[2];
	vmosal_waitset_t *ws;
	size_t n;

	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE | VMOSAL_WAIT_EDGE, 1),
			 VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE | VMOSAL_WAIT_ONESHOT, 1),
			 0);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, -1, got, 2, &n), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, got, 2, &n), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_waitset_modify(ws, ev, VMOSAL_WAIT_READABLE, 7), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, got, 2, &n), 0);
	ck_assert_uint_eq(got[0].token, 7);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

struct kicker {
	vmosal_tid_t target;
	volatile LONG done;
	vmosal_waitset_t *ws;
	vmosal_handle_t h;
};

static unsigned __stdcall kick_until_done(void *arg)
{
	struct kicker *k = arg;

	/* Bounded: the waiter ends at the first kick it sees; 20 s at most. */
	for (int i = 0; i < 2000 && !InterlockedCompareExchange(&k->done, 0, 0); i++) {
		vmosal_thread_kick(k->target);
		Sleep(10);
	}
	return 0;
}

static void kicked_wait(size_t members)
{
	struct vmosal_wait_event got[4];
	struct kicker k = {0};
	vmosal_handle_t *ev = calloc(members, sizeof *ev);
	vmosal_waitset_t *ws;
	HANDLE t;
	size_t n;
	bool pending;

	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	for (size_t i = 0; i < members; i++) {
		ck_assert_int_eq(vmosal_event_create(0, &ev[i]), 0);
		ck_assert_int_eq(vmosal_waitset_add(ws, ev[i], VMOSAL_WAIT_READABLE, i), 0);
	}
	/* A kick pending before the wait ends it at once. */
	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, -1, got, 4, &n), VMOSAL_EINTR);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &pending), 0);
	ck_assert(pending);
	/* Cleared, it ends no later wait (its APC ran with the first). */
	ck_assert_int_eq(vmosal_waitset_wait(ws, 1000000, got, 4, &n), VMOSAL_ETIMEDOUT);
	/* And one during it. */
	ck_assert_int_eq(vmosal_thread_self(&k.target), 0);
	t = (HANDLE)_beginthreadex(NULL, 0, kick_until_done, &k, 0, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 60 * 1000000000ll, got, 4, &n), VMOSAL_EINTR);
	InterlockedExchange(&k.done, 1);
	WaitForSingleObject(t, INFINITE);
	CloseHandle(t);
	/* The kicker's last APCs run with a wait that ends on the flag. */
	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, -1, got, 4, &n), VMOSAL_EINTR);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &pending), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 1000000, got, 4, &n), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	for (size_t i = 0; i < members; i++)
		ck_assert_int_eq(vmosal_handle_close(ev[i]), 0);
	free(ev);
}

START_TEST(test_kick_ends_a_small_wait)
{
	kicked_wait(4);
}
END_TEST

START_TEST(test_kick_ends_a_large_wait)
{
	kicked_wait(300);
}
END_TEST

static unsigned __stdcall add_signalled(void *arg)
{
	struct kicker *k = arg;

	Sleep(20);
	vmosal_event_notify(k->h);
	vmosal_waitset_add(k->ws, k->h, VMOSAL_WAIT_READABLE, 4242);
	return 0;
}

/* Another thread adds a handle while the set waits (on few members, then
 * on many), and the wait reports it. */
/* The same for an event's wait and a channel's receive and accept. */
START_TEST(test_kick_seen_once)
{
	struct vmosal_channel_msg msg = {.struct_size = sizeof msg};
	vmosal_handle_t ev, ch[2], l, got;
	bool pending;
	char buf[8], name[64];

	snprintf(name, sizeof name, "vmosal-check-win-device-kick-%lu",
		 (unsigned long)GetCurrentProcessId());
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_channel_pair(0, ch), 0);
	ck_assert_int_eq(vmosal_channel_listen(name, 0, &l), 0);
	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, -1), VMOSAL_EINTR);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &pending), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, 1000000), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	ck_assert_int_eq(vmosal_channel_recv(ch[0], buf, sizeof buf, NULL, 0, -1, &msg),
			 VMOSAL_EINTR);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &pending), 0);
	ck_assert_int_eq(vmosal_channel_recv(ch[0], buf, sizeof buf, NULL, 0, 1000000, &msg),
			 VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	ck_assert_int_eq(vmosal_channel_accept(l, -1, &got), VMOSAL_EINTR);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &pending), 0);
	ck_assert_int_eq(vmosal_channel_accept(l, 1000000, &got), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_handle_close(l), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[0]), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[1]), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

START_TEST(test_add_during_a_wait)
{
	for (size_t members = 1; members <= 200; members += 199) {
		vmosal_handle_t *ev = calloc(members + 1, sizeof *ev);
		struct vmosal_wait_event got[4];
		struct kicker k = {0};
		vmosal_waitset_t *ws;
		HANDLE t;
		size_t n;

		ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
		for (size_t i = 0; i <= members; i++) {
			ck_assert_int_eq(vmosal_event_create(0, &ev[i]), 0);
			if (i < members)
				ck_assert_int_eq(
					vmosal_waitset_add(ws, ev[i], VMOSAL_WAIT_READABLE, i), 0);
		}
		k.ws = ws;
		k.h = ev[members];
		t = (HANDLE)_beginthreadex(NULL, 0, add_signalled, &k, 0, NULL);
		ck_assert_ptr_nonnull(t);
		ck_assert_int_eq(vmosal_waitset_wait(ws, 60 * 1000000000ll, got, 4, &n), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_uint_eq(got[0].token, 4242);
		WaitForSingleObject(t, INFINITE);
		CloseHandle(t);
		/* Removed while nobody waits, signalled: never reported. */
		ck_assert_int_eq(vmosal_waitset_remove(ws, ev[members]), 0);
		ck_assert_int_eq(vmosal_waitset_wait(ws, 0, got, 4, &n), VMOSAL_ETIMEDOUT);
		ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
		for (size_t i = 0; i <= members; i++)
			ck_assert_int_eq(vmosal_handle_close(ev[i]), 0);
		free(ev);
	}
}
END_TEST

/* ---- timers ---- */

START_TEST(test_timer_one_shot_and_disarm)
{
	long handles = vmosal_test_handle_count();
	struct vmosal_wait_event got[2];
	vmosal_handle_t t, ev;
	vmosal_waitset_t *ws;
	uint64_t count, now;
	size_t n;

	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &t), 0);
	ck_assert_int_eq(vmosal_timer_read(t, &count), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, t, VMOSAL_WAIT_READABLE, 5), 0);
	ck_assert_int_eq(vmosal_timer_arm(t, 1000000, 0), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, -1, got, 2, &n), 0);
	ck_assert_uint_eq(got[0].token, 5);
	ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(vmosal_timer_read(t, &count), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, got, 2, &n), VMOSAL_ETIMEDOUT);

	/* Disarmed before it expires: never readable. */
	ck_assert_int_eq(vmosal_timer_arm(t, 5000000, 0), 0);
	ck_assert_int_eq(vmosal_timer_disarm(t), 0);
	ck_assert_int_eq(vmosal_sleep_ns(20000000), 0);
	ck_assert_int_eq(vmosal_timer_read(t, &count), VMOSAL_EAGAIN);
	/* Expired, then re-armed: the old expiry is forgotten. */
	ck_assert_int_eq(vmosal_timer_arm(t, 1000, 0), 0);
	ck_assert_int_eq(vmosal_sleep_ns(5000000), 0);
	ck_assert_int_eq(vmosal_timer_arm(t, 3600ull * 1000000000ull, 0), 0);
	ck_assert_int_eq(vmosal_timer_read(t, &count), VMOSAL_EAGAIN);

	/* An absolute MONOTONIC deadline. */
	ck_assert_int_eq(vmosal_waitset_remove(ws, t), 0);
	ck_assert_int_eq(vmosal_handle_close(t), 0);
	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, VMOSAL_TIMER_ABSOLUTE, &t), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, t, VMOSAL_WAIT_READABLE, 6), 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &now), 0);
	ck_assert_int_eq(vmosal_timer_arm(t, now + 2000000, 0), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, -1, got, 2, &n), 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &count), 0);
	ck_assert_uint_ge(count, now + 2000000);
	ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
	ck_assert_uint_eq(count, 1);

	/* Not timers, and what Windows has not. */
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_timer_read(ev, &count), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_timer_arm(ev, 1, 0), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_BOOTTIME, 0, &ev), VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(t), 0);
	ck_assert_int_eq(vmosal_test_handle_count(), handles);
}
END_TEST

START_TEST(test_timer_periodic_counts_missed_periods)
{
	vmosal_handle_t t, d;
	uint64_t count, start, end;

	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &t), 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &start), 0);
	ck_assert_int_eq(vmosal_timer_arm(t, 2000000, 2000000), 0);
	ck_assert_int_eq(vmosal_sleep_ns(41000000), 0);
	ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &end), 0);
	/* At least the periods the sleep surely covered, at most those up to
	 * the read. */
	ck_assert_uint_ge(count, 20);
	ck_assert_uint_le(count, (end - start) / 2000000);
	/* The next period comes, through a duplicate too. */
	ck_assert_int_eq(vmosal_handle_dup(t, &d), 0);
	ck_assert_int_eq(vmosal_event_wait(d, -1), 0);
	ck_assert_int_eq(vmosal_timer_read(d, &count), 0);
	ck_assert_uint_ge(count, 1);
	ck_assert_int_eq(vmosal_handle_close(t), 0);
	ck_assert_int_eq(vmosal_timer_disarm(d), 0);
	ck_assert_int_eq(vmosal_handle_close(d), 0);
}
END_TEST

/* ---- channels ---- */

START_TEST(test_channel_pair_carries_an_event)
{
	long handles = vmosal_test_handle_count();
	vmosal_handle_t ch[2], ev, got_h[2];
	struct vmosal_channel_msg msg = {.struct_size = sizeof msg};
	struct vmosal_wait_event got[2];
	vmosal_waitset_t *ws;
	char buf[128];
	uint64_t pid, self;
	size_t n;

	ck_assert_int_eq(vmosal_channel_pair(0, ch), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, ch[1], VMOSAL_WAIT_READABLE, 11), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, got, 2, &n), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, got_h, 2, 0, &msg),
			 VMOSAL_ETIMEDOUT);

	ck_assert_int_eq(vmosal_channel_send(ch[0], "doorbell", 8, &ev, 1), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, -1, got, 2, &n), 0);
	ck_assert_uint_eq(got[0].token, 11);
	ck_assert_uint_eq(got[0].events & VMOSAL_WAIT_READABLE, VMOSAL_WAIT_READABLE);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, got_h, 2, -1, &msg), 0);
	ck_assert_uint_eq(msg.len, 8);
	ck_assert_uint_eq(msg.nhandles, 1);
	ck_assert_mem_eq(buf, "doorbell", 8);
	ck_assert_ptr_ne(got_h[0], ev);
	ck_assert_int_eq(vmosal_event_notify(got_h[0]), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), 0);
	ck_assert_int_eq(vmosal_handle_close(got_h[0]), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, got, 2, &n), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_channel_peer_pid(ch[0], &pid), 0);
	ck_assert_int_eq(vmosal_process_id(&self), 0);
	ck_assert_uint_eq(pid, self);

	/* Too long, then too many handles: dropped, the handles closed, and
	 * the next message is the next one. */
	ck_assert_int_eq(vmosal_channel_send(ch[0], "0123456789abcdef", 16, &ev, 1), 0);
	ck_assert_int_eq(vmosal_channel_send(ch[0], "x", 1, (vmosal_handle_t[]){ev, ev}, 2), 0);
	ck_assert_int_eq(vmosal_channel_send(ch[0], "next", 4, NULL, 0), 0);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, 4, got_h, 2, -1, &msg), VMOSAL_EMSGSIZE);
	ck_assert_uint_eq(msg.len, 16);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, got_h, 1, -1, &msg),
			 VMOSAL_EMSGSIZE);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, got_h, 2, -1, &msg), 0);
	ck_assert_uint_eq(msg.len, 4);
	ck_assert_uint_eq(msg.nhandles, 0);

	/* A handle that names nothing. */
	ck_assert_int_eq(vmosal_channel_send(ch[0], "x", 1, (vmosal_handle_t[]){(HANDLE)(intptr_t)0x7ff0}, 1),
			 VMOSAL_EBADF);

	/* The peer gone: a hang-up, then EPIPE both ways. */
	ck_assert_int_eq(vmosal_handle_close(ch[0]), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, -1, got, 2, &n), 0);
	ck_assert_uint_eq(got[0].events & VMOSAL_WAIT_HANGUP, VMOSAL_WAIT_HANGUP);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, got_h, 2, -1, &msg),
			 VMOSAL_EPIPE);
	ck_assert_int_eq(vmosal_channel_send(ch[1], "x", 1, NULL, 0), VMOSAL_EPIPE);
	ck_assert_int_eq(vmosal_channel_send(ev, "x", 1, NULL, 0), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[1]), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_test_handle_count(), handles);
}
END_TEST

START_TEST(test_channel_carries_a_channel)
{
	vmosal_handle_t a[2], b[2], got_h[1];
	struct vmosal_channel_msg msg = {.struct_size = sizeof msg};
	char buf[16];

	ck_assert_int_eq(vmosal_channel_pair(0, a), 0);
	ck_assert_int_eq(vmosal_channel_pair(0, b), 0);
	ck_assert_int_eq(vmosal_channel_send(a[0], "b", 1, &b[1], 1), 0);
	ck_assert_int_eq(vmosal_handle_close(b[1]), 0);
	ck_assert_int_eq(vmosal_channel_recv(a[1], buf, sizeof buf, got_h, 1, -1, &msg), 0);
	ck_assert_int_eq(vmosal_channel_send(b[0], "hi", 2, NULL, 0), 0);
	ck_assert_int_eq(vmosal_channel_recv(got_h[0], buf, sizeof buf, NULL, 0, -1, &msg), 0);
	ck_assert_mem_eq(buf, "hi", 2);
	ck_assert_int_eq(vmosal_handle_close(got_h[0]), 0);
	ck_assert_int_eq(vmosal_channel_recv(b[0], buf, sizeof buf, NULL, 0, -1, &msg),
			 VMOSAL_EPIPE);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(vmosal_handle_close(a[i]), 0);
	}
	ck_assert_int_eq(vmosal_handle_close(b[0]), 0);
}
END_TEST

/* The child: connects to argv's name, receives an event, signals it, and
 * says its pid in a reply. */
static int device_child(const char *name)
{
	struct vmosal_channel_msg msg = {.struct_size = sizeof msg};
	vmosal_handle_t ch, got[2], ev = VMOSAL_NO_HANDLE;
	char buf[64];
	uint64_t pid;

	if (vmosal_channel_connect(name, 0, &ch) != 0)
		return 10;
	if (vmosal_channel_recv(ch, buf, sizeof buf, got, 2, 60 * 1000000000ll, &msg) != 0 ||
	    msg.nhandles != 2)
		return 11;
	if (vmosal_event_notify(got[0]) != 0)
		return 12;
	vmosal_handle_close(got[0]);
	/* got[1]: a pair's end, whose other end sends this process an event. */
	if (vmosal_channel_recv(got[1], buf, sizeof buf, &ev, 1, 60 * 1000000000ll, &msg) != 0 ||
	    msg.nhandles != 1)
		return 15;
	vmosal_handle_close(got[1]);
	if (vmosal_event_notify(ev) != 0)
		return 16;
	if (vmosal_process_id(&pid) != 0 || vmosal_channel_send(ch, &pid, sizeof pid, NULL, 0) != 0)
		return 13;
	vmosal_handle_close(ev);
	/* Waits for the parent to hang up. */
	if (vmosal_channel_recv(ch, buf, sizeof buf, NULL, 0, 60 * 1000000000ll, &msg) !=
	    VMOSAL_EPIPE)
		return 14;
	vmosal_handle_close(ch);
	return 0;
}

START_TEST(test_second_process_connects)
{
	struct vmosal_channel_msg msg = {.struct_size = sizeof msg};
	char self[MAX_PATH], cmd[2 * MAX_PATH + 128], name[64];
	struct vmosal_wait_event got[2];
	vmosal_handle_t l, l2, ch, ev, ev2, pair[2];
	PROCESS_INFORMATION pi;
	STARTUPINFOA si;
	vmosal_waitset_t *ws;
	uint64_t pid, peer;
	DWORD code = 1000;
	long handles;
	size_t n;

	ck_assert(GetModuleFileNameA(NULL, self, sizeof self) > 0);
	snprintf(name, sizeof name, "vmosal\\check-win-device-%lu",
		 (unsigned long)GetCurrentProcessId());
	handles = vmosal_test_handle_count();
	ck_assert_int_eq(vmosal_channel_connect(name, 0, &ch), VMOSAL_ENOENT);
	ck_assert_int_eq(vmosal_channel_listen(name, 0, &l), 0);
	ck_assert_int_eq(vmosal_channel_listen(name, 0, &l2), VMOSAL_EEXIST);
	ck_assert_int_eq(vmosal_channel_accept(l, 0, &ch), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, l, VMOSAL_WAIT_READABLE, 1), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 2), 0);

	snprintf(cmd, sizeof cmd, "\"%s\" --device-child %s", self, name);
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	ck_assert_msg(CreateProcessA(self, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi),
		      "CreateProcess: error %lu", (unsigned long)GetLastError());
	CloseHandle(pi.hThread);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 60 * 1000000000ll, got, 2, &n), 0);
	ck_assert_uint_eq(got[0].token, 1);
	ck_assert_int_eq(vmosal_channel_accept(l, -1, &ch), 0);
	ck_assert_int_eq(vmosal_channel_peer_pid(ch, &peer), 0);
	ck_assert_uint_eq(peer, pi.dwProcessId);
	ck_assert_int_eq(vmosal_channel_pair(0, pair), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev2), 0);
	ck_assert_int_eq(vmosal_channel_send(ch, "call", 4, (vmosal_handle_t[]){ev, pair[1]}, 2), 0);
	ck_assert_int_eq(vmosal_handle_close(pair[1]), 0);
	/* The end left here now sends its handles to the child. */
	ck_assert_int_eq(vmosal_channel_send(pair[0], "ev2", 3, &ev2, 1), 0);
	ck_assert_int_eq(vmosal_event_wait(ev2, 60 * 1000000000ll), 0);
	ck_assert_int_eq(vmosal_handle_close(pair[0]), 0);
	ck_assert_int_eq(vmosal_handle_close(ev2), 0);
	/* The child signals the event this process made. */
	ck_assert_int_eq(vmosal_waitset_wait(ws, 60 * 1000000000ll, got, 2, &n), 0);
	ck_assert_uint_eq(got[0].token, 2);
	ck_assert_int_eq(vmosal_channel_recv(ch, &pid, sizeof pid, NULL, 0, -1, &msg), 0);
	ck_assert_uint_eq(pid, pi.dwProcessId);
	ck_assert_int_eq(vmosal_handle_close(ch), 0);
	ck_assert_uint_eq(WaitForSingleObject(pi.hProcess, 60000), WAIT_OBJECT_0);
	ck_assert(GetExitCodeProcess(pi.hProcess, &code));
	CloseHandle(pi.hProcess);
	ck_assert_uint_eq(code, 0);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(l), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_test_handle_count(), handles);
	/* The name is free again. */
	ck_assert_int_eq(vmosal_channel_connect(name, 0, &ch), VMOSAL_ENOENT);
}
END_TEST

START_TEST(test_channel_names)
{
	char longname[VMOSAL_CHANNEL_NAME_MAX + 2];
	vmosal_handle_t l;

	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	ck_assert_int_eq(vmosal_channel_listen(longname, 0, &l), VMOSAL_ENAMETOOLONG);
	longname[VMOSAL_CHANNEL_NAME_MAX] = '\0';
	ck_assert_int_eq(vmosal_channel_listen(longname, 0, &l), 0);
	ck_assert_int_eq(vmosal_handle_close(l), 0);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s;
	TCase *tc;

	if (argc == 3 && strcmp(argv[1], "--device-child") == 0)
		return device_child(argv[2]);
	s = suite_create("win_device");
	tc = tcase_create("win_device");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_many_events_report_their_tokens);
	tcase_add_test(tc, test_reported_event_is_still_readable);
	tcase_add_test(tc, test_oneshot_and_edge);
	tcase_add_test(tc, test_kick_ends_a_small_wait);
	tcase_add_test(tc, test_kick_ends_a_large_wait);
	tcase_add_test(tc, test_kick_seen_once);
	tcase_add_test(tc, test_add_during_a_wait);
	tcase_add_test(tc, test_timer_one_shot_and_disarm);
	tcase_add_test(tc, test_timer_periodic_counts_missed_periods);
	tcase_add_test(tc, test_channel_pair_carries_an_event);
	tcase_add_test(tc, test_channel_carries_a_channel);
	tcase_add_test(tc, test_second_process_connects);
	tcase_add_test(tc, test_channel_names);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
