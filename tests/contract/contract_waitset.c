/* waitset.h's contract: the core checks every argument, counts a set's
 * members against VMOSAL_WAITSET_MAX whatever the OS allows, and applies
 * the kick rule around the backend's wait. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "contract.h"

#define EVENT VMOSAL_FAKE_EVENT_HANDLE
#define WS_ARG ADDR(VMOSAL_FAKE_WAITSET)
#define MS INT64_C(1000000)
#define RW_EVENTS (VMOSAL_WAIT_READABLE | VMOSAL_WAIT_WRITABLE)

static vmosal_waitset_t *new_set(void)
{
	vmosal_waitset_t *ws = NULL;

	ck_assert_int_eq(vmosal_waitset_create(0, &ws), 0);
	ck_assert_ptr_nonnull(ws);
	return ws;
}

START_TEST(test_waitset_create)
{
	vmosal_waitset_t *ws = NULL;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_waitset_create(0, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_waitset_create(1, &ws), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_waitset_create(0x80000000u, &ws), VMOSAL_EINVAL);
	ck_assert_ptr_null(ws);
	ASSERT_CALLS(vmosal_waitset_create(0, &ws), 0, "waitset_create");
	c = call_at(0);
	EXPECT_ARGS(c, 0);
	ck_assert_ptr_nonnull(ws);
	/* The backend's object travels inside the core's set. */
	ASSERT_CALLS(vmosal_waitset_destroy(ws), 0, "waitset_destroy");
	c = call_at(0);
	EXPECT_ARGS(c, WS_ARG);

	ws = NULL;
	fail_slot("waitset_create", VMOSAL_ENOMEM);
	ASSERT_CALLS(vmosal_waitset_create(0, &ws), VMOSAL_ENOMEM, "waitset_create");
	ck_assert_ptr_null(ws);
}
END_TEST

/* The backend's error comes back, and the set is gone all the same (the
 * record of a second destroy would show a use after free under ASan). */
START_TEST(test_waitset_destroy)
{
	vmosal_waitset_t *ws = new_set();

	ASSERT_NO_CALL(vmosal_waitset_destroy(NULL), VMOSAL_EINVAL);
	fail_slot("waitset_destroy", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_waitset_destroy(ws), VMOSAL_EIO, "waitset_destroy");
}
END_TEST

/* add and modify check the same things, in the same order. */
static void expect_events_checked(int (*op)(vmosal_waitset_t *, vmosal_handle_t, unsigned,
					    uint64_t),
				  vmosal_waitset_t *ws)
{
	ASSERT_NO_CALL(op(NULL, EVENT, VMOSAL_WAIT_READABLE, 1), VMOSAL_EINVAL);
	/* Neither READABLE nor WRITABLE. */
	ASSERT_NO_CALL(op(ws, EVENT, 0, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(op(ws, EVENT, VMOSAL_WAIT_HANGUP | VMOSAL_WAIT_ERROR, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(op(ws, EVENT, VMOSAL_WAIT_EDGE | VMOSAL_WAIT_ONESHOT, 1), VMOSAL_EINVAL);
	/* Unknown bits, beside known ones. */
	ASSERT_NO_CALL(op(ws, EVENT, VMOSAL_WAIT_READABLE | 0x010u, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(op(ws, EVENT, VMOSAL_WAIT_READABLE | 0x400u, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(op(ws, EVENT, VMOSAL_WAIT_WRITABLE | 0x80000000u, 1), VMOSAL_EINVAL);
	/* Bad events come before a bad handle. */
	ASSERT_NO_CALL(op(ws, VMOSAL_NO_HANDLE, 0, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(op(ws, VMOSAL_NO_HANDLE, VMOSAL_WAIT_READABLE, 1), VMOSAL_EBADF);
	ASSERT_NO_CALL(op(ws, BAD_HANDLE, VMOSAL_WAIT_WRITABLE, 1), VMOSAL_EBADF);
}

START_TEST(test_waitset_add)
{
	const unsigned every = VMOSAL_WAIT_READABLE | VMOSAL_WAIT_WRITABLE | VMOSAL_WAIT_HANGUP |
			       VMOSAL_WAIT_ERROR | VMOSAL_WAIT_EDGE | VMOSAL_WAIT_ONESHOT;
	vmosal_waitset_t *ws = new_set();
	struct vmosal_fake_call c;

	expect_events_checked(vmosal_waitset_add, ws);
	/* Every known bit passes through as it is, and the token whole. */
	ASSERT_CALLS(vmosal_waitset_add(ws, EVENT, every, UINT64_MAX), 0, "waitset_add");
	c = call_at(0);
	EXPECT_ARGS(c, WS_ARG, HANDLE_ARG(EVENT), every, UINT64_MAX);
	ASSERT_CALLS(vmosal_waitset_add(ws, VMOSAL_FAKE_TIMER_HANDLE, VMOSAL_WAIT_WRITABLE, 0), 0,
		     "waitset_add");
	c = call_at(0);
	EXPECT_ARGS(c, WS_ARG, HANDLE_ARG(VMOSAL_FAKE_TIMER_HANDLE), VMOSAL_WAIT_WRITABLE, 0);
	/* The backend's answers about the handle come back unchanged. */
	fail_slot("waitset_add", VMOSAL_EEXIST);
	ASSERT_CALLS(vmosal_waitset_add(ws, EVENT, VMOSAL_WAIT_READABLE, 1), VMOSAL_EEXIST,
		     "waitset_add");
	fail_slot("waitset_add", VMOSAL_EBADF);
	ASSERT_CALLS(vmosal_waitset_add(ws, EVENT, VMOSAL_WAIT_READABLE, 1), VMOSAL_EBADF,
		     "waitset_add");
	fail_slot("waitset_add", 0);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
}
END_TEST

START_TEST(test_waitset_modify)
{
	vmosal_waitset_t *ws = new_set();
	struct vmosal_fake_call c;

	expect_events_checked(vmosal_waitset_modify, ws);
	ASSERT_CALLS(vmosal_waitset_modify(ws, EVENT, VMOSAL_WAIT_READABLE | VMOSAL_WAIT_ONESHOT,
					   UINT64_C(0x123456789abcdef0)),
		     0, "waitset_modify");
	c = call_at(0);
	EXPECT_ARGS(c, WS_ARG, HANDLE_ARG(EVENT), VMOSAL_WAIT_READABLE | VMOSAL_WAIT_ONESHOT,
		    UINT64_C(0x123456789abcdef0));
	fail_slot("waitset_modify", VMOSAL_ENOENT);
	ASSERT_CALLS(vmosal_waitset_modify(ws, EVENT, VMOSAL_WAIT_READABLE, 1), VMOSAL_ENOENT,
		     "waitset_modify");
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
}
END_TEST

START_TEST(test_waitset_remove)
{
	vmosal_waitset_t *ws = new_set();
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_waitset_remove(NULL, EVENT), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_waitset_remove(ws, VMOSAL_NO_HANDLE), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_waitset_remove(ws, BAD_HANDLE), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_waitset_add(ws, EVENT, VMOSAL_WAIT_READABLE, 1), 0);
	ASSERT_CALLS(vmosal_waitset_remove(ws, EVENT), 0, "waitset_remove");
	c = call_at(0);
	EXPECT_ARGS(c, WS_ARG, HANDLE_ARG(EVENT));
	fail_slot("waitset_remove", VMOSAL_ENOENT);
	ASSERT_CALLS(vmosal_waitset_remove(ws, EVENT), VMOSAL_ENOENT, "waitset_remove");
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
}
END_TEST

/* Adds distinct made-up handles (the fake takes any) from first on. */
static void add_many(vmosal_waitset_t *ws, uint32_t first, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		vmosal_handle_t h = (vmosal_handle_t)(intptr_t)(100 + first + i);
		int rc = vmosal_waitset_add(ws, h, VMOSAL_WAIT_READABLE, first + i);

		ck_assert_msg(rc == 0, "add %u: %s", (unsigned)(first + i), vmosal_err_name(rc));
	}
}

/* VMOSAL_WAITSET_MAX members, counted by the core on every OS: the next add
 * is VMOSAL_ENOSPC without asking the backend; a remove makes room; a
 * refused add or remove changes nothing. */
START_TEST(test_waitset_full)
{
	vmosal_waitset_t *ws = new_set();
	vmosal_handle_t one_more = (vmosal_handle_t)(intptr_t)(100 + VMOSAL_WAITSET_MAX);

	add_many(ws, 0, VMOSAL_WAITSET_MAX - 1);
	/* Refused by the backend: the place it took is given back. */
	fail_slot("waitset_add", VMOSAL_EEXIST);
	for (int i = 0; i < 3; i++)
		ASSERT_CALLS(vmosal_waitset_add(ws, EVENT, VMOSAL_WAIT_READABLE, 1), VMOSAL_EEXIST,
			     "waitset_add");
	fail_slot("waitset_add", 0);
	add_many(ws, VMOSAL_WAITSET_MAX - 1, 1);
	ASSERT_NO_CALL(vmosal_waitset_add(ws, one_more, VMOSAL_WAIT_READABLE, 1), VMOSAL_ENOSPC);
	ASSERT_NO_CALL(vmosal_waitset_add(ws, EVENT, VMOSAL_WAIT_WRITABLE, 2), VMOSAL_ENOSPC);
	/* Argument errors still come first. */
	ASSERT_NO_CALL(vmosal_waitset_add(ws, one_more, 0, 1), VMOSAL_EINVAL);
	/* A refused remove frees no place. */
	fail_slot("waitset_remove", VMOSAL_ENOENT);
	ASSERT_CALLS(vmosal_waitset_remove(ws, one_more), VMOSAL_ENOENT, "waitset_remove");
	fail_slot("waitset_remove", 0);
	ASSERT_NO_CALL(vmosal_waitset_add(ws, one_more, VMOSAL_WAIT_READABLE, 1), VMOSAL_ENOSPC);
	/* A remove does, for one add. */
	ASSERT_CALLS(vmosal_waitset_remove(ws, (vmosal_handle_t)(intptr_t)100), 0,
		     "waitset_remove");
	ASSERT_CALLS(vmosal_waitset_add(ws, one_more, VMOSAL_WAIT_READABLE, 1), 0, "waitset_add");
	ASSERT_NO_CALL(vmosal_waitset_add(ws, EVENT, VMOSAL_WAIT_READABLE, 1), VMOSAL_ENOSPC);
	/* modify is no add: it works on a full set. */
	ASSERT_CALLS(vmosal_waitset_modify(ws, one_more, VMOSAL_WAIT_WRITABLE, 3), 0,
		     "waitset_modify");
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
}
END_TEST

/* The count is per set. */
START_TEST(test_waitset_full_is_per_set)
{
	vmosal_waitset_t *full = new_set(), *other = new_set();

	add_many(full, 0, VMOSAL_WAITSET_MAX);
	ASSERT_NO_CALL(vmosal_waitset_add(full, EVENT, VMOSAL_WAIT_READABLE, 1), VMOSAL_ENOSPC);
	ASSERT_CALLS(vmosal_waitset_add(other, EVENT, VMOSAL_WAIT_READABLE, 1), 0, "waitset_add");
	ck_assert_int_eq(vmosal_waitset_destroy(full), 0);
	ck_assert_int_eq(vmosal_waitset_destroy(other), 0);
}
END_TEST

START_TEST(test_waitset_wait_arguments)
{
	vmosal_waitset_t *ws = new_set();
	struct vmosal_wait_event ready[4];
	size_t n = 77;

	memset(ready, 0x5a, sizeof ready);
	ASSERT_NO_CALL(vmosal_waitset_wait(NULL, 0, ready, 4, &n), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_waitset_wait(ws, 0, NULL, 4, &n), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_waitset_wait(ws, 0, ready, 0, &n), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_waitset_wait(ws, -1, ready, 4, NULL), VMOSAL_EINVAL);
	ck_assert_uint_eq(n, 77);
	for (size_t i = 0; i < sizeof ready; i++)
		ck_assert_uint_eq(((unsigned char *)ready)[i], 0x5a);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
}
END_TEST

/* Each wait reaches waitset_wait with the backend's set, the caller's
 * array and capacity and the thread's kick flag; what it reports comes
 * back in ready[] and *n. */
START_TEST(test_waitset_wait)
{
	vmosal_waitset_t *ws = new_set();
	struct vmosal_wait_event ready[4];
	struct vmosal_fake_call c;
	size_t n = 77;

	memset(ready, 0, sizeof ready);
	ASSERT_CALLS(vmosal_waitset_wait(ws, 0, ready, 4, &n), 0, "waitset_wait");
	c = call_at(0);
	EXPECT_ARGS(c, WS_ARG, 0, ADDR(ready), 4, ANY_ARG, 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ready[0].token, 1);
	ck_assert_uint_eq(ready[0].events, VMOSAL_WAIT_READABLE);
	/* Negative: no limit, and no clock. */
	n = 77;
	ASSERT_CALLS(vmosal_waitset_wait(ws, -1, ready, 1, &n), 0, "waitset_wait");
	c = call_at(0);
	EXPECT_ARGS(c, WS_ARG, (uint64_t)-1, ADDR(ready), 1, ANY_ARG, 0);
	ck_assert_uint_eq(n, 1);
	ASSERT_CALLS(vmosal_waitset_wait(ws, 5 * MS, ready, 4, &n), 0, "clock_ns", "waitset_wait");
	c = call_at(1);
	EXPECT_ARGS(c, WS_ARG, 5 * MS, ADDR(ready), 4);

	/* Errors come back, with *n 0. */
	n = 77;
	fail_slot("waitset_wait", VMOSAL_ETIMEDOUT);
	ASSERT_CALLS(vmosal_waitset_wait(ws, 0, ready, 4, &n), VMOSAL_ETIMEDOUT, "waitset_wait");
	ck_assert_uint_eq(n, 0);
	n = 77;
	fail_slot("waitset_wait", VMOSAL_EBADF);
	ASSERT_CALLS(vmosal_waitset_wait(ws, -1, ready, 4, &n), VMOSAL_EBADF, "waitset_wait");
	ck_assert_uint_eq(n, 0);
	fail_slot("waitset_wait", 0);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
}
END_TEST

/* A signal handler ran (EINTR, no kick pending): the wait goes on with
 * what is left of the timeout, until the fake's clock runs it out. */
START_TEST(test_waitset_wait_resumes_after_signals)
{
	const int64_t step = (int64_t)VMOSAL_FAKE_CLOCK_STEP;
	vmosal_waitset_t *ws = new_set();
	struct vmosal_wait_event ready[1];
	struct vmosal_fake_call c;
	size_t n = 77;

	fail_slot("waitset_wait", VMOSAL_EINTR);
	begin_calls();
	ck_assert_int_eq(vmosal_waitset_wait(ws, 2 * step, ready, 1, &n), VMOSAL_ETIMEDOUT);
	expect_calls("clock_ns", "waitset_wait", "clock_ns", "waitset_wait", "clock_ns", NULL);
	c = call_at(1);
	EXPECT_ARGS(c, WS_ARG, 2 * step);
	c = call_at(3);
	EXPECT_ARGS(c, WS_ARG, step);
	ck_assert_uint_eq(n, 0);
	fail_slot("waitset_wait", 0);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
}
END_TEST

/* vmosal.h, "Kicks and blocking waits": a pending kick ends every wait with
 * VMOSAL_EINTR, *n 0, until the thread clears it. */
START_TEST(test_waitset_wait_kick_pending)
{
	vmosal_waitset_t *ws = new_set();
	struct vmosal_wait_event ready[2];
	struct vmosal_fake_call c;
	bool kicked;
	size_t n = 77;

	memset(ready, 0x5a, sizeof ready);
	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	ASSERT_CALLS(vmosal_waitset_wait(ws, 0, ready, 2, &n), VMOSAL_EINTR, "waitset_wait");
	c = call_at(0);
	EXPECT_ARGS(c, WS_ARG, 0, ADDR(ready), 2, ANY_ARG, 1);
	ck_assert_uint_eq(n, 0);
	for (size_t i = 0; i < sizeof ready; i++)
		ck_assert_uint_eq(((unsigned char *)ready)[i], 0x5a);
	n = 77;
	ASSERT_CALLS(vmosal_waitset_wait(ws, -1, ready, 2, &n), VMOSAL_EINTR, "waitset_wait");
	ck_assert_uint_eq(n, 0);
	ASSERT_CALLS(vmosal_waitset_wait(ws, 5 * MS, ready, 2, &n), VMOSAL_EINTR, "clock_ns",
		     "waitset_wait");
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &kicked), 0);
	ck_assert(kicked);
	ASSERT_CALLS(vmosal_waitset_wait(ws, 0, ready, 2, &n), 0, "waitset_wait");
	c = call_at(0);
	EXPECT_ARGS(c, WS_ARG, 0, ADDR(ready), 2, ANY_ARG, 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
}
END_TEST

/* ==== on a real backend ==================================================== */

/* The set the test waits on, or a visible skip where the backend has none. */
#define OS_SET(ws)                                                                        \
	do {                                                                              \
		int rc_ = vmosal_waitset_create(0, &(ws));                                \
		if (rc_ == VMOSAL_ENOTSUP)                                                \
			CONTRACT_SKIP("%s has no wait sets", vmosal_backend_name());      \
		ck_assert_msg(rc_ == 0, "vmosal_waitset_create: %s", vmosal_err_name(rc_)); \
	} while (0)

/* An event reported with its token once notified, not before; reporting
 * does not consume it; a handle twice is EEXIST, a handle not in the set
 * ENOENT. */
START_TEST(test_os_waitset_event)
{
	vmosal_waitset_t *ws = NULL;
	vmosal_handle_t ev = VMOSAL_NO_HANDLE;
	struct vmosal_wait_event ready[2];
	size_t n = 77;

	OS_SET(ws);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 0xfeed), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 1), VMOSAL_EEXIST);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, ready, 2, &n), VMOSAL_ETIMEDOUT);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	for (int i = 0; i < 2; i++) {
		n = 77;
		ck_assert_int_eq(vmosal_waitset_wait(ws, -1, ready, 2, &n), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_uint_eq(ready[0].token, 0xfeed);
		ck_assert(ready[0].events & VMOSAL_WAIT_READABLE);
	}
	ck_assert_int_eq(vmosal_event_wait(ev, 0), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, ready, 2, &n), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_waitset_remove(ws, ev), 0);
	ck_assert_int_eq(vmosal_waitset_remove(ws, ev), VMOSAL_ENOENT);
	ck_assert_int_eq(vmosal_waitset_modify(ws, ev, VMOSAL_WAIT_READABLE, 1), VMOSAL_ENOENT);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

/* A pending kick ends the wait before it looks at the set (a bounded one:
 * a backend that broke the rule fails instead of hanging). */
START_TEST(test_os_waitset_wait_kick_pending)
{
	vmosal_waitset_t *ws = NULL;
	vmosal_handle_t ev = VMOSAL_NO_HANDLE;
	struct vmosal_wait_event ready[1];
	bool kicked = false;
	size_t n = 77;

	OS_SET(ws);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, ev, VMOSAL_WAIT_READABLE, 1), 0);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, ready, 1, &n), VMOSAL_EINTR);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, INT64_C(10000000000), ready, 1, &n),
			 VMOSAL_EINTR);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &kicked), 0);
	ck_assert(kicked);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, ready, 1, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(vmosal_waitset_remove(ws, ev), 0);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

void contract_waitset_on_backend(Suite *s)
{
	TCase *tc = tcase_create("waitset");

	tcase_add_test(tc, test_os_waitset_event);
	tcase_add_test(tc, test_os_waitset_wait_kick_pending);
	suite_add_tcase(s, tc);
}

void contract_waitset(Suite *s)
{
	TCase *tc = tcase_create("waitset");

	tcase_add_checked_fixture(tc, fresh_record, NULL);
	tcase_add_test(tc, test_waitset_create);
	tcase_add_test(tc, test_waitset_destroy);
	tcase_add_test(tc, test_waitset_add);
	tcase_add_test(tc, test_waitset_modify);
	tcase_add_test(tc, test_waitset_remove);
	tcase_add_test(tc, test_waitset_full);
	tcase_add_test(tc, test_waitset_full_is_per_set);
	tcase_add_test(tc, test_waitset_wait_arguments);
	tcase_add_test(tc, test_waitset_wait);
	tcase_add_test(tc, test_waitset_wait_resumes_after_signals);
	tcase_add_test(tc, test_waitset_wait_kick_pending);
	suite_add_tcase(s, tc);
}
