/* timer.h's contract: the clocks and flags a timer takes, the limits of
 * arm, disarm as arm's 0, and the count a read gives. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "contract.h"

#define TIMER VMOSAL_FAKE_TIMER_HANDLE
#define INT64_MAX_U ((uint64_t)INT64_MAX)

START_TEST(test_timer_create_arguments)
{
	const enum vmosal_clock refused[] = {VMOSAL_CLOCK_MONOTONIC_RAW, VMOSAL_CLOCK_THREAD_CPU,
					     VMOSAL_CLOCK_COUNT, (enum vmosal_clock)-1,
					     (enum vmosal_clock)1000};
	vmosal_handle_t h = VMOSAL_NO_HANDLE;

	ASSERT_NO_CALL(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0x2, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC,
					   VMOSAL_TIMER_ABSOLUTE | 0x80000000u, &h),
		       VMOSAL_EINVAL);
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		ASSERT_NO_CALL(vmosal_timer_create(refused[i], 0, &h), VMOSAL_EINVAL);
	ck_assert(h == VMOSAL_NO_HANDLE);
}
END_TEST

/* The three clocks a timer runs on reach the backend by their number,
 * with the flags as given. */
START_TEST(test_timer_create)
{
	const enum vmosal_clock clocks[] = {VMOSAL_CLOCK_MONOTONIC, VMOSAL_CLOCK_REALTIME,
					    VMOSAL_CLOCK_BOOTTIME};
	vmosal_handle_t h;
	struct vmosal_fake_call c;

	for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++)
		for (unsigned flags = 0; flags <= VMOSAL_TIMER_ABSOLUTE; flags++) {
			h = VMOSAL_NO_HANDLE;
			ASSERT_CALLS(vmosal_timer_create(clocks[i], flags, &h), 0, "timer_create");
			c = call_at(0);
			EXPECT_ARGS(c, (uint64_t)clocks[i], flags);
			ck_assert(h == TIMER);
		}
	h = VMOSAL_NO_HANDLE;
	fail_slot("timer_create", VMOSAL_ENOTSUP);
	ASSERT_CALLS(vmosal_timer_create(VMOSAL_CLOCK_BOOTTIME, 0, &h), VMOSAL_ENOTSUP,
		     "timer_create");
	ck_assert(h == VMOSAL_NO_HANDLE);
}
END_TEST

/* Both values at most INT64_MAX; 0 first (expire at once) reaches the
 * backend as 1, since its 0 disarms. */
START_TEST(test_timer_arm)
{
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_timer_arm(VMOSAL_NO_HANDLE, 1, 0), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_timer_arm(BAD_HANDLE, 1, 0), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_timer_arm(TIMER, INT64_MAX_U + 1, 0), VMOSAL_EOVERFLOW);
	ASSERT_NO_CALL(vmosal_timer_arm(TIMER, UINT64_MAX, 0), VMOSAL_EOVERFLOW);
	ASSERT_NO_CALL(vmosal_timer_arm(TIMER, 1, INT64_MAX_U + 1), VMOSAL_EOVERFLOW);
	ASSERT_NO_CALL(vmosal_timer_arm(TIMER, 0, UINT64_MAX), VMOSAL_EOVERFLOW);
	/* A bad handle comes before bad values. */
	ASSERT_NO_CALL(vmosal_timer_arm(VMOSAL_NO_HANDLE, UINT64_MAX, 0), VMOSAL_EBADF);

	ASSERT_CALLS(vmosal_timer_arm(TIMER, 0, 0), 0, "timer_arm");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(TIMER), 1, 0);
	ASSERT_CALLS(vmosal_timer_arm(TIMER, 0, 5), 0, "timer_arm");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(TIMER), 1, 5);
	ASSERT_CALLS(vmosal_timer_arm(TIMER, 1, 0), 0, "timer_arm");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(TIMER), 1, 0);
	ASSERT_CALLS(vmosal_timer_arm(TIMER, INT64_MAX_U, INT64_MAX_U), 0, "timer_arm");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(TIMER), INT64_MAX_U, INT64_MAX_U);
	ASSERT_CALLS(vmosal_timer_arm(TIMER, 1000, 2000), 0, "timer_arm");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(TIMER), 1000, 2000);
	/* Not a timer, as the backend finds. */
	fail_slot("timer_arm", VMOSAL_EBADF);
	ASSERT_CALLS(vmosal_timer_arm(VMOSAL_FAKE_EVENT_HANDLE, 1, 0), VMOSAL_EBADF, "timer_arm");
}
END_TEST

START_TEST(test_timer_disarm)
{
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_timer_disarm(VMOSAL_NO_HANDLE), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_timer_disarm(BAD_HANDLE), VMOSAL_EBADF);
	ASSERT_CALLS(vmosal_timer_disarm(TIMER), 0, "timer_arm");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(TIMER), 0, 0);
	fail_slot("timer_arm", VMOSAL_EBADF);
	ASSERT_CALLS(vmosal_timer_disarm(TIMER), VMOSAL_EBADF, "timer_arm");
}
END_TEST

START_TEST(test_timer_read)
{
	uint64_t count = 77;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_timer_read(TIMER, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_timer_read(VMOSAL_NO_HANDLE, &count), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_timer_read(BAD_HANDLE, &count), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_timer_read(VMOSAL_NO_HANDLE, NULL), VMOSAL_EINVAL);
	ck_assert_uint_eq(count, 77);
	ASSERT_CALLS(vmosal_timer_read(TIMER, &count), 0, "timer_read");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(TIMER), ADDR(&count));
	ck_assert_uint_eq(count, VMOSAL_FAKE_COUNT);
	count = 77;
	fail_slot("timer_read", VMOSAL_EAGAIN);
	ASSERT_CALLS(vmosal_timer_read(TIMER, &count), VMOSAL_EAGAIN, "timer_read");
	ck_assert_uint_eq(count, 77);
}
END_TEST

/* A timer closes as every handle does. */
START_TEST(test_timer_close)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	struct vmosal_fake_call c;

	ck_assert_int_eq(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &h), 0);
	ASSERT_CALLS(vmosal_handle_close(h), 0, "handle_close");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(TIMER));
}
END_TEST

/* ==== on a real backend ==================================================== */

/* A made timer, or a visible skip where the backend has none. */
#define OS_TIMER(h, flags)                                                                \
	do {                                                                              \
		int rc_ = vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, (flags), &(h));     \
		if (rc_ == VMOSAL_ENOTSUP)                                                \
			CONTRACT_SKIP("%s has no timers", vmosal_backend_name());         \
		ck_assert_msg(rc_ == 0, "vmosal_timer_create: %s", vmosal_err_name(rc_)); \
	} while (0)

/* Reads h until it has expired; the deadline is far beyond any expiry the
 * test asks for, so only a timer that never fires reaches it. */
static uint64_t read_expired(vmosal_handle_t h)
{
	uint64_t count = 0;
	int rc;

	for (int i = 0; (rc = vmosal_timer_read(h, &count)) == VMOSAL_EAGAIN && i < 10000; i++)
		ck_assert_int_eq(vmosal_sleep_ns(1000000), 0);
	ck_assert_msg(rc == 0, "vmosal_timer_read: %s", vmosal_err_name(rc));
	return count;
}

/* Not armed: not expired. Armed for 0: expires at once, once. Disarmed:
 * its expirations forgotten. Past a deadline already (ABSOLUTE 0): at once. */
START_TEST(test_os_timer_one_shot)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE, abs = VMOSAL_NO_HANDLE;
	uint64_t count = 77;

	OS_TIMER(h, 0);
	ck_assert_int_eq(vmosal_timer_read(h, &count), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_timer_arm(h, 0, 0), 0);
	ck_assert_uint_eq(read_expired(h), 1);
	ck_assert_int_eq(vmosal_timer_read(h, &count), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_timer_arm(h, 1, 0), 0);
	ck_assert_uint_eq(read_expired(h), 1);
	ck_assert_int_eq(vmosal_timer_arm(h, INT64_MAX_U, 0), 0);
	ck_assert_int_eq(vmosal_timer_disarm(h), 0);
	ck_assert_int_eq(vmosal_timer_read(h, &count), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_timer_arm(h, 1, INT64_MAX_U + 1), VMOSAL_EOVERFLOW);
	ck_assert_int_eq(vmosal_handle_close(h), 0);

	OS_TIMER(abs, VMOSAL_TIMER_ABSOLUTE);
	ck_assert_int_eq(vmosal_timer_arm(abs, 0, 0), 0);
	ck_assert_uint_eq(read_expired(abs), 1);
	ck_assert_int_eq(vmosal_handle_close(abs), 0);
}
END_TEST

/* A timer's calls refuse what is not a timer. */
START_TEST(test_os_timer_not_a_timer)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE, ev = VMOSAL_NO_HANDLE;
	uint64_t count = 77;

	OS_TIMER(h, 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_timer_arm(ev, 1, 0), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_timer_read(ev, &count), VMOSAL_EBADF);
	ck_assert_uint_eq(count, 77);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_handle_close(h), 0);
}
END_TEST

void contract_timer_on_backend(Suite *s)
{
	TCase *tc = tcase_create("timer");

	tcase_add_test(tc, test_os_timer_one_shot);
	tcase_add_test(tc, test_os_timer_not_a_timer);
	suite_add_tcase(s, tc);
}

void contract_timer(Suite *s)
{
	TCase *tc = tcase_create("timer");

	tcase_add_checked_fixture(tc, fresh_record, NULL);
	tcase_add_test(tc, test_timer_create_arguments);
	tcase_add_test(tc, test_timer_create);
	tcase_add_test(tc, test_timer_arm);
	tcase_add_test(tc, test_timer_disarm);
	tcase_add_test(tc, test_timer_read);
	tcase_add_test(tc, test_timer_close);
	suite_add_tcase(s, tc);
}
