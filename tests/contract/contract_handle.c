/* handle.h's contract: one close, dup and inheritability for every
 * handle. Nothing reaches the backend on bad input, and its errors come
 * back unchanged. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "contract.h"

/* Every call that makes a handle: what vmosal_handle_close then gets. */
START_TEST(test_handle_close_of_each_kind)
{
	const enum vmosal_signal sigs[] = {VMOSAL_SIGUSR1};
	vmosal_handle_t made[5];
	struct vmosal_fake_call c;

	ck_assert_int_eq(vmosal_shm_create(NULL, PAGE, 0, 0, &made[0]), 0);
	ck_assert_int_eq(vmosal_event_create(0, &made[1]), 0);
	ck_assert_int_eq(vmosal_device_open("/dev/kvm", VMOSAL_DEVICE_READ, &made[2]), 0);
	ck_assert_int_eq(vmosal_signal_fd_create(sigs, 1, &made[3]), 0);
	ck_assert_int_eq(vmosal_handle_dup(made[1], &made[4]), 0);
	for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) {
		ASSERT_CALLS(vmosal_handle_close(made[i]), 0, "handle_close");
		c = call_at(0);
		EXPECT_ARGS(c, HANDLE_ARG(made[i]));
	}
}
END_TEST

START_TEST(test_handle_close)
{
	ASSERT_NO_CALL(vmosal_handle_close(VMOSAL_NO_HANDLE), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_handle_close(BAD_HANDLE), VMOSAL_EBADF);
	fail_slot("handle_close", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_handle_close(VMOSAL_FAKE_EVENT_HANDLE), VMOSAL_EIO, "handle_close");
	fail_slot("handle_close", VMOSAL_EBADF);
	ASSERT_CALLS(vmosal_handle_close(VMOSAL_FAKE_SHM_HANDLE), VMOSAL_EBADF, "handle_close");
}
END_TEST

START_TEST(test_handle_dup)
{
	vmosal_handle_t out = VMOSAL_NO_HANDLE;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_handle_dup(VMOSAL_FAKE_EVENT_HANDLE, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_handle_dup(VMOSAL_NO_HANDLE, &out), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_handle_dup(BAD_HANDLE, &out), VMOSAL_EBADF);
	ck_assert(out == VMOSAL_NO_HANDLE);

	ASSERT_CALLS(vmosal_handle_dup(VMOSAL_FAKE_EVENT_HANDLE, &out), 0, "handle_dup");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(VMOSAL_FAKE_EVENT_HANDLE));
	ck_assert(out == VMOSAL_FAKE_DUP_HANDLE);

	out = VMOSAL_NO_HANDLE;
	fail_slot("handle_dup", VMOSAL_ENOSPC);
	ASSERT_CALLS(vmosal_handle_dup(VMOSAL_FAKE_SHM_HANDLE, &out), VMOSAL_ENOSPC, "handle_dup");
	ck_assert(out == VMOSAL_NO_HANDLE);
	fail_slot("handle_dup", VMOSAL_EBADF);
	ASSERT_CALLS(vmosal_handle_dup(VMOSAL_FAKE_SHM_HANDLE, &out), VMOSAL_EBADF, "handle_dup");
	ck_assert(out == VMOSAL_NO_HANDLE);
}
END_TEST

START_TEST(test_handle_set_inheritable)
{
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_handle_set_inheritable(VMOSAL_NO_HANDLE, true), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_handle_set_inheritable(BAD_HANDLE, false), VMOSAL_EBADF);
	ASSERT_CALLS(vmosal_handle_set_inheritable(VMOSAL_FAKE_DEVICE_HANDLE, true), 0,
		     "handle_set_inheritable");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(VMOSAL_FAKE_DEVICE_HANDLE), 1);
	ASSERT_CALLS(vmosal_handle_set_inheritable(VMOSAL_FAKE_DEVICE_HANDLE, false), 0,
		     "handle_set_inheritable");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(VMOSAL_FAKE_DEVICE_HANDLE), 0);
	fail_slot("handle_set_inheritable", VMOSAL_EBADF);
	ASSERT_CALLS(vmosal_handle_set_inheritable(VMOSAL_FAKE_SHM_HANDLE, true), VMOSAL_EBADF,
		     "handle_set_inheritable");
}
END_TEST

/* ==== on a real backend ===================================================== */

/* A duplicate names the same event, and is closed on its own. */
START_TEST(test_os_dup_of_an_event)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE, dup = VMOSAL_NO_HANDLE;
	int rc;

	ck_assert_int_eq(vmosal_event_create(0, &h), 0);
	ck_assert_int_eq(vmosal_handle_dup(h, NULL), VMOSAL_EINVAL);
	rc = vmosal_handle_dup(h, &dup);
	if (rc == VMOSAL_ENOTSUP) {
		ck_assert_int_eq(vmosal_handle_close(h), 0);
		CONTRACT_SKIP("backend %s has no handle_dup (ABI 2.4)", vmosal_backend_name());
	}
	ck_assert_int_eq(rc, 0);
	ck_assert(VMOSAL_HANDLE_VALID(dup));
	ck_assert(dup != h);
	ck_assert_int_eq(vmosal_event_notify(dup), 0);
	ck_assert_int_eq(vmosal_event_wait(h, 0), 0);
	ck_assert_int_eq(vmosal_handle_close(h), 0);
	ck_assert_int_eq(vmosal_event_notify(dup), 0);
	ck_assert_int_eq(vmosal_event_wait(dup, 0), 0);
	rc = vmosal_handle_set_inheritable(dup, true);
	ck_assert_msg(rc == 0 || rc == VMOSAL_ENOTSUP, "%s", vmosal_err_name(rc));
	if (rc == 0)
		ck_assert_int_eq(vmosal_handle_set_inheritable(dup, false), 0);
	ck_assert_int_eq(vmosal_handle_close(dup), 0);
	ck_assert_int_eq(vmosal_handle_close(VMOSAL_NO_HANDLE), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_handle_dup(VMOSAL_NO_HANDLE, &dup), VMOSAL_EBADF);
}
END_TEST

void contract_handle_on_backend(Suite *s)
{
	TCase *tc = tcase_create("handle");

	tcase_add_test(tc, test_os_dup_of_an_event);
	suite_add_tcase(s, tc);
}

void contract_handle(Suite *s)
{
	TCase *tc = tcase_create("handle");

	tcase_add_checked_fixture(tc, fresh_record, NULL);
	tcase_add_test(tc, test_handle_close_of_each_kind);
	tcase_add_test(tc, test_handle_close);
	tcase_add_test(tc, test_handle_dup);
	tcase_add_test(tc, test_handle_set_inheritable);
	suite_add_tcase(s, tc);
}
