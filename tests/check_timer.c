/* Timers on the host's backend: expiry counts (one-shot, periodic, missed
 * periods), disarm and re-arm, absolute deadlines, bounds, and timers in a
 * wait set, 10,000 of them at once. Built for every host, through the
 * public API only. No test depends on how late a timer fires: each asserts
 * "not before" and "within a generous bound". */
#include "config.h"

#include <string.h>
#ifndef _WIN32
#include <sys/resource.h>
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

/* Waits (a generous bound) until the timer is readable: through a wait
 * set, as an event loop would. */
static void wait_expired(vmosal_handle_t timer)
{
	struct vmosal_wait_event ready[1];
	vmosal_waitset_t *ws;
	size_t n = 0;

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, timer, VMOSAL_WAIT_READABLE, 42), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 30 * SECONDS, ready, 1, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ready[0].token, 42);
	ck_assert_uint_eq(ready[0].events & VMOSAL_WAIT_READABLE, VMOSAL_WAIT_READABLE);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
}

START_TEST(test_timer_arguments)
{
	long handles = vmosal_test_handle_count();
	vmosal_handle_t t = VMOSAL_NO_HANDLE, ev;
	uint64_t count = 0;

	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 2, &t), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_THREAD_CPU, 0, &t), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC_RAW, 0, &t), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_COUNT, 0, &t), VMOSAL_EINVAL);
	ck_assert(t == VMOSAL_NO_HANDLE);
	ck_assert_int_eq(vmosal_timer_arm(VMOSAL_NO_HANDLE, 1, 0), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_timer_disarm(VMOSAL_NO_HANDLE), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_timer_read(VMOSAL_NO_HANDLE, &count), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &t), 0);
	ck_assert_int_eq(vmosal_timer_read(t, NULL), VMOSAL_EINVAL);
	/* Disarmed at first. */
	ck_assert_int_eq(vmosal_timer_read(t, &count), VMOSAL_EAGAIN);
	/* Periods that overflow are refused, not wrapped; INT64_MAX is
	 * fine. */
	ck_assert_int_eq(vmosal_timer_arm(t, 1 * MS, UINT64_MAX), VMOSAL_EOVERFLOW);
	ck_assert_int_eq(vmosal_timer_arm(t, 1 * MS, (uint64_t)INT64_MAX + 1), VMOSAL_EOVERFLOW);
	ck_assert_int_eq(vmosal_timer_arm(t, UINT64_MAX, 0), VMOSAL_EOVERFLOW);
	ck_assert_int_eq(vmosal_timer_arm(t, (uint64_t)INT64_MAX, (uint64_t)INT64_MAX), 0);
	ck_assert_int_eq(vmosal_timer_read(t, &count), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_timer_disarm(t), 0);

	/* An event is no timer, and is left as it was. */
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_timer_read(ev, &count), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_timer_arm(ev, 1 * MS, 0), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_timer_disarm(ev), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);

	ck_assert_int_eq(vmosal_handle_close(t), 0);
	if (handles >= 0)
		ck_assert_int_eq(vmosal_test_handle_count(), handles);
}
END_TEST

/* Each clock a timer runs on; BOOTTIME where the OS has it. */
START_TEST(test_timer_clocks)
{
	static const enum vmosal_clock clocks[] = {VMOSAL_CLOCK_MONOTONIC, VMOSAL_CLOCK_REALTIME,
						   VMOSAL_CLOCK_BOOTTIME};

	for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		vmosal_handle_t t;
		uint64_t count = 0;
		int rc = vmosal_timer_create(clocks[i], 0, &t);

		if (clocks[i] == VMOSAL_CLOCK_BOOTTIME && rc == VMOSAL_ENOTSUP)
			continue;
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(vmosal_timer_arm(t, 1 * MS, 0), 0);
		wait_expired(t);
		ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
		ck_assert_uint_eq(count, 1);
		ck_assert_int_eq(vmosal_handle_close(t), 0);
	}
}
END_TEST

/* One-shot: expires once, not before its delay, then stays quiet. A delay
 * of 0 expires at once. */
START_TEST(test_timer_oneshot)
{
	vmosal_handle_t t;
	uint64_t count = 0, t0;

	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &t), 0);
	t0 = now_ns();
	ck_assert_int_eq(vmosal_timer_arm(t, 20 * MS, 0), 0);
	wait_expired(t);
	ck_assert_uint_ge(now_ns() - t0, 20 * MS);
	ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(vmosal_timer_read(t, &count), VMOSAL_EAGAIN);
	vmosal_sleep_ns(50 * MS);
	ck_assert_int_eq(vmosal_timer_read(t, &count), VMOSAL_EAGAIN);

	ck_assert_int_eq(vmosal_timer_arm(t, 0, 0), 0);
	wait_expired(t);
	ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(vmosal_handle_close(t), 0);
}
END_TEST

/* Periodic: a reader that sleeps over several periods reads each of them,
 * and never more than have passed. */
START_TEST(test_timer_periodic_counts_missed)
{
	const uint64_t period = 10 * MS;
	vmosal_handle_t t;
	uint64_t count = 0, total = 0, t0, t1;

	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &t), 0);
	t0 = now_ns();
	ck_assert_int_eq(vmosal_timer_arm(t, period, period), 0);
	vmosal_sleep_ns(100 * MS);
	ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
	t1 = now_ns();
	/* At least 10 periods passed; a late timer still counts most. */
	ck_assert_uint_ge(count, 5);
	ck_assert_uint_le(count, (t1 - t0) / period);
	total = count;
	/* It goes on. */
	wait_expired(t);
	ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
	ck_assert_uint_ge(count, 1);
	total += count;
	ck_assert_uint_le(total, (now_ns() - t0) / period);
	ck_assert_int_eq(vmosal_timer_disarm(t), 0);
	ck_assert_int_eq(vmosal_handle_close(t), 0);
}
END_TEST

/* A first delay other than the period. */
START_TEST(test_timer_first_then_period)
{
	vmosal_handle_t t;
	uint64_t count = 0, t0;

	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &t), 0);
	t0 = now_ns();
	ck_assert_int_eq(vmosal_timer_arm(t, 30 * MS, 5 * MS), 0);
	wait_expired(t);
	ck_assert_uint_ge(now_ns() - t0, 30 * MS);
	ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
	ck_assert_uint_ge(count, 1);
	/* Then every 5 ms. */
	for (int i = 0; i < 3; i++) {
		wait_expired(t);
		ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
		ck_assert_uint_ge(count, 1);
	}
	ck_assert_int_eq(vmosal_handle_close(t), 0);
}
END_TEST

/* Disarmed: no expiry after, and the ones not read are gone. */
START_TEST(test_timer_disarm)
{
	vmosal_handle_t t;
	uint64_t count = 0;

	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &t), 0);
	ck_assert_int_eq(vmosal_timer_arm(t, 20 * MS, 20 * MS), 0);
	ck_assert_int_eq(vmosal_timer_disarm(t), 0);
	vmosal_sleep_ns(60 * MS);
	ck_assert_int_eq(vmosal_timer_read(t, &count), VMOSAL_EAGAIN);

	ck_assert_int_eq(vmosal_timer_arm(t, 1 * MS, 0), 0);
	wait_expired(t);
	ck_assert_int_eq(vmosal_timer_disarm(t), 0);
	ck_assert_int_eq(vmosal_timer_read(t, &count), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_timer_disarm(t), 0); /* twice is fine */
	ck_assert_int_eq(vmosal_handle_close(t), 0);
}
END_TEST

/* Re-armed: the expirations not read are forgotten, and the new delay
 * counts from the re-arm. */
START_TEST(test_timer_rearm_forgets)
{
	vmosal_handle_t t;
	uint64_t count = 0, t0;

	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &t), 0);
	ck_assert_int_eq(vmosal_timer_arm(t, 1 * MS, 1 * MS), 0);
	wait_expired(t);
	vmosal_sleep_ns(10 * MS);
	ck_assert_int_eq(vmosal_timer_arm(t, 10 * SECONDS, 0), 0);
	ck_assert_int_eq(vmosal_timer_read(t, &count), VMOSAL_EAGAIN);
	t0 = now_ns();
	ck_assert_int_eq(vmosal_timer_arm(t, 20 * MS, 0), 0);
	wait_expired(t);
	ck_assert_uint_ge(now_ns() - t0, 20 * MS);
	ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(vmosal_handle_close(t), 0);
}
END_TEST

/* ABSOLUTE on MONOTONIC: expires at the deadline vmosal_clock_ns names,
 * never before; a deadline already past expires at once. */
START_TEST(test_timer_absolute_monotonic)
{
	vmosal_handle_t t;
	uint64_t count = 0, deadline;

	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, VMOSAL_TIMER_ABSOLUTE, &t), 0);
	deadline = now_ns() + 30 * MS;
	ck_assert_int_eq(vmosal_timer_arm(t, deadline, 0), 0);
	ck_assert_int_eq(vmosal_timer_read(t, &count), VMOSAL_EAGAIN);
	wait_expired(t);
	ck_assert_uint_ge(now_ns(), deadline);
	ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
	ck_assert_uint_eq(count, 1);

	ck_assert_int_eq(vmosal_timer_arm(t, now_ns() - 1 * MS, 0), 0);
	wait_expired(t);
	ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
	ck_assert_uint_eq(count, 1);
	/* 0, long past, also. */
	ck_assert_int_eq(vmosal_timer_arm(t, 0, 0), 0);
	wait_expired(t);
	ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
	ck_assert_uint_ge(count, 1);
	/* A copy is the same absolute timer. */
	{
		vmosal_handle_t dup;

		ck_assert_int_eq(vmosal_handle_dup(t, &dup), 0);
		deadline = now_ns() + 20 * MS;
		ck_assert_int_eq(vmosal_timer_arm(dup, deadline, 0), 0);
		wait_expired(t);
		ck_assert_uint_ge(now_ns(), deadline);
		ck_assert_int_eq(vmosal_timer_read(dup, &count), 0);
		ck_assert_uint_eq(count, 1);
		ck_assert_int_eq(vmosal_handle_close(dup), 0);
	}
	ck_assert_int_eq(vmosal_handle_close(t), 0);
}
END_TEST

/* A relative timer made where an absolute one was closed (POSIX: under the
 * same descriptor number) is relative: nothing of the closed one stays. */
START_TEST(test_timer_close_forgets_absolute)
{
	vmosal_handle_t t, again;
	uint64_t count = 0, t0;

	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, VMOSAL_TIMER_ABSOLUTE, &t), 0);
	ck_assert_int_eq(vmosal_handle_close(t), 0);
	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &again), 0);
	t0 = now_ns();
	ck_assert_int_eq(vmosal_timer_arm(again, 30 * MS, 0), 0);
	wait_expired(again);
	ck_assert_uint_ge(now_ns() - t0, 30 * MS);
	ck_assert_int_eq(vmosal_timer_read(again, &count), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(vmosal_handle_close(again), 0);
}
END_TEST

/* A timer waits in a set beside an event; each is reported with its own
 * token, and the event's signal does not hide the timer. */
START_TEST(test_timer_beside_event)
{
	struct vmosal_wait_event ready[4];
	vmosal_handle_t t, ev;
	vmosal_waitset_t *ws;
	uint64_t count = 0, t0;
	bool timer_seen = false;
	size_t n = 0;

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &t), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, t, VMOSAL_WAIT_READABLE, 1), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 2), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, ready, 4, &n), VMOSAL_ETIMEDOUT);
	t0 = now_ns();
	ck_assert_int_eq(vmosal_timer_arm(t, 20 * MS, 0), 0);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 10 * SECONDS, ready, 4, &n), 0);
	ck_assert_uint_ge(n, 1);
	for (size_t i = 0; i < n; i++) {
		if (ready[i].token == 1) {
			ck_assert_uint_ge(now_ns() - t0, 20 * MS);
			timer_seen = true;
		} else {
			ck_assert_uint_eq(ready[i].token, 2);
		}
	}
	ck_assert_int_eq(vmosal_event_wait(ev, 0), 0);
	while (!timer_seen) {
		ck_assert_int_eq(vmosal_waitset_wait(ws, 10 * SECONDS, ready, 4, &n), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_uint_eq(ready[0].token, 1);
		ck_assert_uint_ge(now_ns() - t0, 20 * MS);
		timer_seen = true;
	}
	ck_assert_int_eq(vmosal_timer_read(t, &count), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, ready, 4, &n), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(t), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

/* 10,000 timers in one set (500 under valgrind or an emulator: valgrind
 * keeps its 1,024 descriptors), armed a few milliseconds apart: every one
 * is reported (each read as it is, so that it is reported once) within a
 * generous bound, and nothing is left behind. */
START_TEST(test_timer_10000_in_one_set)
{
	const size_t count = (size_t)vmosal_test_rounds(10000, 500);
	struct vmosal_wait_event ready[256];
	vmosal_handle_t *timers;
	vmosal_waitset_t *ws;
	unsigned char *seen;
	size_t left = count;
	long handles;
	uint64_t start;
#ifndef _WIN32
	struct rlimit lim, old;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	lim = old;
	if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < count + 100) {
		if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < count + 100)
			VMOSAL_SKIP("RLIMIT_NOFILE's hard limit (%llu) is below the %zu "
				    "descriptors this test needs",
				    (unsigned long long)lim.rlim_max, count + 100);
		lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? count + 100 : lim.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &lim) != 0 || getrlimit(RLIMIT_NOFILE, &lim) != 0 ||
		    lim.rlim_cur < count + 100)
			VMOSAL_SKIP("cannot raise RLIMIT_NOFILE to %zu", count + 100);
	}
#endif
	handles = vmosal_test_handle_count();
	ck_assert_ptr_nonnull(timers = calloc(count, sizeof *timers));
	ck_assert_ptr_nonnull(seen = calloc(count, 1));
	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	for (size_t i = 0; i < count; i++) {
		ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &timers[i]), 0);
		ck_assert_int_eq(vmosal_waitset_add(ws, timers[i], VMOSAL_WAIT_READABLE, i), 0);
	}
	for (size_t i = 0; i < count; i++)
		ck_assert_int_eq(vmosal_timer_arm(timers[i], (uint64_t)(1 + i % 50) * MS, 0), 0);
	start = now_ns();
	while (left > 0 && now_ns() - start < (uint64_t)120 * SECONDS) {
		size_t n = 0;
		int rc = vmosal_waitset_wait(ws, 10 * SECONDS, ready, 256, &n);

		if (rc == VMOSAL_ETIMEDOUT)
			continue;
		ck_assert_int_eq(rc, 0);
		for (size_t i = 0; i < n; i++) {
			uint64_t c = 0;

			ck_assert_uint_lt(ready[i].token, count);
			ck_assert_uint_eq(seen[ready[i].token], 0);
			seen[ready[i].token] = 1;
			ck_assert_int_eq(vmosal_timer_read(timers[ready[i].token], &c), 0);
			ck_assert_uint_eq(c, 1);
			left--;
		}
	}
	ck_assert_msg(left == 0, "%zu of %zu timers never reported", left, count);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	for (size_t i = 0; i < count; i++)
		ck_assert_int_eq(vmosal_handle_close(timers[i]), 0);
	if (handles >= 0)
		ck_assert_int_eq(vmosal_test_handle_count(), handles);
	free(timers);
	free(seen);
#ifndef _WIN32
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
#endif
}
END_TEST

int main(void)
{
	Suite *s = suite_create("timer");
	TCase *tc = tcase_create("timer");

	tcase_set_timeout(tc, 180);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_timer_arguments);
	tcase_add_test(tc, test_timer_clocks);
	tcase_add_test(tc, test_timer_oneshot);
	tcase_add_test(tc, test_timer_periodic_counts_missed);
	tcase_add_test(tc, test_timer_first_then_period);
	tcase_add_test(tc, test_timer_disarm);
	tcase_add_test(tc, test_timer_rearm_forgets);
	tcase_add_test(tc, test_timer_absolute_monotonic);
	tcase_add_test(tc, test_timer_close_forgets_absolute);
	tcase_add_test(tc, test_timer_beside_event);
	tcase_add_test(tc, test_timer_10000_in_one_set);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
