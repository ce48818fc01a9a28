/* event.h's contract: events (create, notify, wait and the kick-pending
 * rule, through event_wait_kick), and clocks. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "contract.h"

#define EVENT VMOSAL_FAKE_EVENT_HANDLE
#define MS INT64_C(1000000)

START_TEST(test_event_create)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_event_create(0, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_event_create(0x2, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_event_create(0x80000000u, &h), VMOSAL_EINVAL);
	ck_assert(h == VMOSAL_NO_HANDLE);
	ASSERT_CALLS(vmosal_event_create(0, &h), 0, "event_create");
	c = call_at(0);
	EXPECT_ARGS(c, 0);
	ck_assert(h == EVENT);

	/* SEMAPHORE reaches the backend as it is. */
	h = VMOSAL_NO_HANDLE;
	ASSERT_CALLS(vmosal_event_create(VMOSAL_EVENT_SEMAPHORE, &h), 0, "event_create");
	c = call_at(0);
	EXPECT_ARGS(c, VMOSAL_EVENT_SEMAPHORE);
	ck_assert(h == EVENT);
	ASSERT_NO_CALL(vmosal_event_create(VMOSAL_EVENT_SEMAPHORE | 0x2, &h), VMOSAL_EINVAL);

	h = VMOSAL_NO_HANDLE;
	fail_slot("event_create", VMOSAL_ENOSPC);
	ASSERT_CALLS(vmosal_event_create(0, &h), VMOSAL_ENOSPC, "event_create");
	ck_assert(h == VMOSAL_NO_HANDLE);
}
END_TEST

START_TEST(test_event_notify)
{
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_event_notify(VMOSAL_NO_HANDLE), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_event_notify(BAD_HANDLE), VMOSAL_EBADF);
	ASSERT_CALLS(vmosal_event_notify(EVENT), 0, "event_notify");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(EVENT));
	/* Not an event, as the backend finds. */
	fail_slot("event_notify", VMOSAL_EBADF);
	ASSERT_CALLS(vmosal_event_notify(VMOSAL_FAKE_DEVICE_HANDLE), VMOSAL_EBADF,
		     "event_notify");
}
END_TEST

/* Every wait goes through event_wait_kick with the calling thread's
 * pending flag; one that may block reads the clock first. */
START_TEST(test_event_wait)
{
	struct vmosal_fake_call c;
	uint64_t flag;

	ASSERT_NO_CALL(vmosal_event_wait(VMOSAL_NO_HANDLE, 0), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_event_wait(BAD_HANDLE, -1), VMOSAL_EBADF);

	/* 0: just test. */
	ASSERT_CALLS(vmosal_event_wait(EVENT, 0), 0, "event_wait_kick");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(EVENT), 0, ANY_ARG, 0);
	ck_assert_uint_ne(c.args[2], 0);
	flag = c.args[2];
	/* Negative: no limit, and no clock. */
	ASSERT_CALLS(vmosal_event_wait(EVENT, -1), 0, "event_wait_kick");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(EVENT), (uint64_t)-1, flag, 0);
	ASSERT_CALLS(vmosal_event_wait(EVENT, 5 * MS), 0, "clock_ns", "event_wait_kick");
	c = call_at(0);
	EXPECT_ARGS(c, VMOSAL_CLOCK_MONOTONIC);
	c = call_at(1);
	EXPECT_ARGS(c, HANDLE_ARG(EVENT), 5 * MS, flag, 0);

	fail_slot("event_wait_kick", VMOSAL_ETIMEDOUT);
	ASSERT_CALLS(vmosal_event_wait(EVENT, 0), VMOSAL_ETIMEDOUT, "event_wait_kick");
	fail_slot("event_wait_kick", VMOSAL_EBADF);
	ASSERT_CALLS(vmosal_event_wait(EVENT, -1), VMOSAL_EBADF, "event_wait_kick");
}
END_TEST

/* A signal handler ran (EINTR, no kick pending): the wait goes on for
 * what is left of the timeout, and ends with VMOSAL_ETIMEDOUT when the
 * clock says it has run out. The fake's clock moves one step a read. */
START_TEST(test_event_wait_resumes_after_signals)
{
	const int64_t step = (int64_t)VMOSAL_FAKE_CLOCK_STEP;
	struct vmosal_fake_call c;

	fail_slot("event_wait_kick", VMOSAL_EINTR);
	begin_calls();
	ck_assert_int_eq(vmosal_event_wait(EVENT, 3 * step), VMOSAL_ETIMEDOUT);
	expect_calls("clock_ns", "event_wait_kick", "clock_ns", "event_wait_kick", "clock_ns",
		     "event_wait_kick", "clock_ns", NULL);
	c = call_at(1);
	EXPECT_ARGS(c, HANDLE_ARG(EVENT), 3 * step);
	c = call_at(3);
	EXPECT_ARGS(c, HANDLE_ARG(EVENT), 2 * step);
	c = call_at(5);
	EXPECT_ARGS(c, HANDLE_ARG(EVENT), step);

	/* A clock that fails ends the wait with its error. */
	fail_slot("clock_ns", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_event_wait(EVENT, step), VMOSAL_EIO, "clock_ns");
}
END_TEST

/* vmosal.h, "Kicks and blocking waits": while the thread's kick is
 * pending every wait is VMOSAL_EINTR at once, until the thread clears it. */
START_TEST(test_event_wait_kick_pending)
{
	struct vmosal_fake_call c;
	bool kicked;

	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	ASSERT_CALLS(vmosal_event_wait(EVENT, 0), VMOSAL_EINTR, "event_wait_kick");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(EVENT), 0, ANY_ARG, 1);
	ASSERT_CALLS(vmosal_event_wait(EVENT, -1), VMOSAL_EINTR, "event_wait_kick");
	ASSERT_CALLS(vmosal_event_wait(EVENT, 5 * MS), VMOSAL_EINTR, "clock_ns",
		     "event_wait_kick");
	/* Reading the flag leaves it; clearing it ends the rule. */
	ck_assert_int_eq(vmosal_thread_kick_pending(false, &kicked), 0);
	ck_assert(kicked);
	ASSERT_CALLS(vmosal_event_wait(EVENT, 0), VMOSAL_EINTR, "event_wait_kick");
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &kicked), 0);
	ck_assert(kicked);
	ASSERT_CALLS(vmosal_event_wait(EVENT, 0), 0, "event_wait_kick");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(EVENT), 0, ANY_ARG, 0);
}
END_TEST

/* The flag is the calling thread's: another thread's kick is not it. */
static uint64_t thread_flag;
static int thread_wait_rc;

static void *wait_once(void *arg)
{
	size_t before = fake.count();
	struct vmosal_fake_call c = {0};

	(void)arg;
	thread_wait_rc = vmosal_event_wait(EVENT, 0);
	if (fake.count() == before + 1 && fake.get(before, &c) == 0)
		thread_flag = c.args[2];
	return NULL;
}

START_TEST(test_event_wait_kick_flag_is_per_thread)
{
	vmosal_thread_t *t;
	struct vmosal_fake_call c;
	bool kicked;

	ASSERT_CALLS(vmosal_event_wait(EVENT, 0), 0, "event_wait_kick");
	c = call_at(0);
	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	thread_flag = 0;
	thread_wait_rc = 1;
	ck_assert_int_eq(vmosal_thread_create(NULL, wait_once, NULL, &t), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_int_eq(thread_wait_rc, 0);
	ck_assert_uint_ne(thread_flag, 0);
	ck_assert_uint_ne(thread_flag, c.args[2]);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &kicked), 0);
	ck_assert(kicked);
}
END_TEST

/* The count comes from event_read; nothing is written on failure. */
START_TEST(test_event_read)
{
	uint64_t count = 77;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_event_read(EVENT, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_event_read(VMOSAL_NO_HANDLE, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_event_read(VMOSAL_NO_HANDLE, &count), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_event_read(BAD_HANDLE, &count), VMOSAL_EBADF);
	ck_assert_uint_eq(count, 77);
	ASSERT_CALLS(vmosal_event_read(EVENT, &count), 0, "event_read");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(EVENT), ADDR(&count));
	ck_assert_uint_eq(count, VMOSAL_FAKE_COUNT);
	/* Never a wait: no kick flag, no clock. */
	count = 77;
	fail_slot("event_read", VMOSAL_EAGAIN);
	ASSERT_CALLS(vmosal_event_read(EVENT, &count), VMOSAL_EAGAIN, "event_read");
	ck_assert_uint_eq(count, 77);
	fail_slot("event_read", VMOSAL_EBADF);
	ASSERT_CALLS(vmosal_event_read(VMOSAL_FAKE_DEVICE_HANDLE, &count), VMOSAL_EBADF,
		     "event_read");
	ck_assert_uint_eq(count, 77);
}
END_TEST

/* ---- clocks ---- */

START_TEST(test_clock_ns)
{
	uint64_t ns = 0;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_clock_ns(VMOSAL_CLOCK_COUNT, &ns), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_clock_ns((enum vmosal_clock)-1, &ns), VMOSAL_EINVAL);
	/* Every clock the header knows reaches the backend as its number. */
	for (int clock = 0; clock < VMOSAL_CLOCK_COUNT; clock++) {
		ASSERT_CALLS(vmosal_clock_ns((enum vmosal_clock)clock, &ns), 0, "clock_ns");
		c = call_at(0);
		EXPECT_ARGS(c, (uint64_t)clock, ADDR(&ns));
		ck_assert_uint_ge(ns, VMOSAL_FAKE_CLOCK_START);
	}
	ns = 77;
	fail_slot("clock_ns", VMOSAL_ENOTSUP);
	ASSERT_CALLS(vmosal_clock_ns(VMOSAL_CLOCK_BOOTTIME, &ns), VMOSAL_ENOTSUP, "clock_ns");
	ck_assert_uint_eq(ns, 77);
}
END_TEST

START_TEST(test_sleep_ns)
{
	struct vmosal_fake_call c;

	ASSERT_CALLS(vmosal_sleep_ns(0), 0, "sleep_ns");
	ASSERT_CALLS(vmosal_sleep_ns(UINT64_MAX), 0, "sleep_ns");
	c = call_at(0);
	EXPECT_ARGS(c, UINT64_MAX);
	fail_slot("sleep_ns", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_sleep_ns(1), VMOSAL_EIO, "sleep_ns");
}
END_TEST

/* ==== on a real backend: what the backend's half of the rules does ======== */

/* However often it was notified, one wait takes them all. */
START_TEST(test_os_event_round_trip)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;

	ck_assert_int_eq(vmosal_event_create(0, &h), 0);
	ck_assert(VMOSAL_HANDLE_VALID(h));
	ck_assert_int_eq(vmosal_event_wait(h, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_event_notify(h), 0);
	ck_assert_int_eq(vmosal_event_notify(h), 0);
	ck_assert_int_eq(vmosal_event_wait(h, 0), 0);
	ck_assert_int_eq(vmosal_event_wait(h, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_event_notify(h), 0);
	ck_assert_int_eq(vmosal_event_wait(h, -1), 0);
	ck_assert_int_eq(vmosal_handle_close(h), 0);
}
END_TEST

/* While the caller's kick is pending a wait is VMOSAL_EINTR before it
 * looks at the event, which stays signalled; a bounded wait, so that a
 * backend that broke the rule fails the test instead of hanging it. */
START_TEST(test_os_event_wait_kick_pending)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	bool kicked = false;

	ck_assert_int_eq(vmosal_event_create(0, &h), 0);
	ck_assert_int_eq(vmosal_event_notify(h), 0);
	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	ck_assert_int_eq(vmosal_event_wait(h, 0), VMOSAL_EINTR);
	ck_assert_int_eq(vmosal_event_wait(h, INT64_C(10000000000)), VMOSAL_EINTR);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &kicked), 0);
	ck_assert(kicked);
	ck_assert_int_eq(vmosal_event_wait(h, 0), 0);
	ck_assert_int_eq(vmosal_handle_close(h), 0);
}
END_TEST

/* The count of notifies, taken whole; a SEMAPHORE event gives one at a
 * time. Skips where the backend has no event_read. */
START_TEST(test_os_event_read)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE, sem = VMOSAL_NO_HANDLE;
	uint64_t count = 77;
	int rc;

	ck_assert_int_eq(vmosal_event_create(0, &h), 0);
	rc = vmosal_event_read(h, &count);
	if (rc == VMOSAL_ENOTSUP) {
		ck_assert_int_eq(vmosal_handle_close(h), 0);
		CONTRACT_SKIP("%s has no event_read", vmosal_backend_name());
	}
	ck_assert_int_eq(rc, VMOSAL_EAGAIN);
	ck_assert_uint_eq(count, 77);
	ck_assert_int_eq(vmosal_event_notify(h), 0);
	ck_assert_int_eq(vmosal_event_read(h, &count), 0);
	ck_assert_uint_ge(count, 1);
	ck_assert_int_eq(vmosal_event_read(h, &count), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_handle_close(h), 0);

	ck_assert_int_eq(vmosal_event_create(VMOSAL_EVENT_SEMAPHORE, &sem), 0);
	ck_assert_int_eq(vmosal_event_notify(sem), 0);
	ck_assert_int_eq(vmosal_event_notify(sem), 0);
	for (int i = 0; i < 2; i++) {
		count = 77;
		ck_assert_int_eq(vmosal_event_read(sem, &count), 0);
		ck_assert_uint_eq(count, 1);
	}
	ck_assert_int_eq(vmosal_event_read(sem, &count), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_handle_close(sem), 0);
}
END_TEST

void contract_event_on_backend(Suite *s)
{
	TCase *tc = tcase_create("event");

	tcase_add_test(tc, test_os_event_round_trip);
	tcase_add_test(tc, test_os_event_read);
	tcase_add_test(tc, test_os_event_wait_kick_pending);
	suite_add_tcase(s, tc);
}

void contract_event(Suite *s)
{
	TCase *tc = tcase_create("event");

	tcase_add_checked_fixture(tc, fresh_record, NULL);
	tcase_add_test(tc, test_event_create);
	tcase_add_test(tc, test_event_notify);
	tcase_add_test(tc, test_event_wait);
	tcase_add_test(tc, test_event_wait_resumes_after_signals);
	tcase_add_test(tc, test_event_wait_kick_pending);
	tcase_add_test(tc, test_event_wait_kick_flag_is_per_thread);
	tcase_add_test(tc, test_event_read);
	tcase_add_test(tc, test_clock_ns);
	tcase_add_test(tc, test_sleep_ns);
	suite_add_tcase(s, tc);
}
