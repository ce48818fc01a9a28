/* device.h's contract: device files, ioctl and the process id, and the
 * ioctl number layouts the header spells out. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "contract.h"

#define DEVICE VMOSAL_FAKE_DEVICE_HANDLE

START_TEST(test_device_open)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	const unsigned both = VMOSAL_DEVICE_READ | VMOSAL_DEVICE_WRITE;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_device_open(NULL, both, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_device_open("", both, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_device_open("/dev/kvm", both, NULL), VMOSAL_EINVAL);
	/* READ and/or WRITE, nothing else. */
	ASSERT_NO_CALL(vmosal_device_open("/dev/kvm", 0, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_device_open("/dev/kvm", 4, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_device_open("/dev/kvm", both | 0x100, &h), VMOSAL_EINVAL);
	ck_assert(h == VMOSAL_NO_HANDLE);

	for (unsigned flags = 1; flags <= both; flags++) {
		ASSERT_CALLS(vmosal_device_open("/dev/kvm", flags, &h), 0, "device_open");
		c = call_at(0);
		ck_assert_str_eq(c.text, "/dev/kvm");
		EXPECT_ARGS(c, ANY_ARG, flags);
		ck_assert(h == DEVICE);
	}

	h = VMOSAL_NO_HANDLE;
	fail_slot("device_open", VMOSAL_ENOENT);
	ASSERT_CALLS(vmosal_device_open("/dev/none", VMOSAL_DEVICE_READ, &h), VMOSAL_ENOENT,
		     "device_open");
	ck_assert(h == VMOSAL_NO_HANDLE);
}
END_TEST

START_TEST(test_ioctl_arguments)
{
	int result = -7;

	ASSERT_NO_CALL(vmosal_ioctl(VMOSAL_NO_HANDLE, 1, NULL, 0, &result), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_ioctl(BAD_HANDLE, 1, NULL, 0, &result), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_ioctl(DEVICE, 1, NULL, 2, &result), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_ioctl(DEVICE, 1, NULL, VMOSAL_IOCTL_NO_RESTART | 0x80, &result),
		       VMOSAL_EINVAL);
	ck_assert_int_eq(result, -7);
}
END_TEST

/* Request, argument and flags go through as given; the result is stored
 * only on success, and the backend gets somewhere to store it even when
 * the caller wants none. */
START_TEST(test_ioctl_dispatch)
{
	const unsigned long request = VMOSAL_IOWR(0xAE, 0x05, 8);
	int result = -7, data;
	struct vmosal_fake_call c;

	ASSERT_CALLS(vmosal_ioctl(DEVICE, request, &data, 0, &result), 0, "device_ioctl");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(DEVICE), request, ADDR(&data), 0, ADDR(&result));
	ck_assert_int_eq(result, VMOSAL_FAKE_IOCTL_RESULT);
	ASSERT_CALLS(vmosal_ioctl(DEVICE, VMOSAL_IO(0xAE, 0x80), (void *)(uintptr_t)3,
				  VMOSAL_IOCTL_NO_RESTART, NULL),
		     0, "device_ioctl");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(DEVICE), VMOSAL_IO(0xAE, 0x80), 3, VMOSAL_IOCTL_NO_RESTART);
	ck_assert_uint_ne(c.args[4], 0);

	result = -7;
	fail_slot("device_ioctl", VMOSAL_EINTR);
	ASSERT_CALLS(vmosal_ioctl(DEVICE, request, &data, VMOSAL_IOCTL_NO_RESTART, &result),
		     VMOSAL_EINTR, "device_ioctl");
	ck_assert_int_eq(result, -7);
	fail_slot("device_ioctl", VMOSAL_ENOTSUP);
	ASSERT_CALLS(vmosal_ioctl(DEVICE, request, &data, 0, &result), VMOSAL_ENOTSUP,
		     "device_ioctl");
	ck_assert_int_eq(result, -7);
}
END_TEST

START_TEST(test_process_id)
{
	uint64_t pid = 0;

	ASSERT_NO_CALL(vmosal_process_id(NULL), VMOSAL_EINVAL);
	ASSERT_CALLS(vmosal_process_id(&pid), 0, "process_id");
	ck_assert_uint_eq(pid, VMOSAL_FAKE_PROCESS_ID);
	pid = 0;
	fail_slot("process_id", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_process_id(&pid), VMOSAL_EIO, "process_id");
	ck_assert_uint_eq(pid, 0);
}
END_TEST

/* The two layouts, as <asm-generic/ioctl.h> and <sys/ioccom.h> make
 * KVM's numbers. */
START_TEST(test_ioctl_numbers)
{
	ck_assert_uint_eq(VMOSAL_IOC_LINUX(VMOSAL_IOC_NONE, 0xAE, 0x80, 0), 0xAE80ul);
	ck_assert_uint_eq(VMOSAL_IOC_LINUX(VMOSAL_IOC_READ, 0xAE, 0x05, 8), 0x8008AE05ul);
	ck_assert_uint_eq(VMOSAL_IOC_LINUX(VMOSAL_IOC_WRITE, 0xAE, 0x46, 0x20), 0x4020AE46ul);
	ck_assert_uint_eq(VMOSAL_IOC_LINUX(VMOSAL_IOC_READ | VMOSAL_IOC_WRITE, 0xAE, 0x05, 8),
			  0xC008AE05ul);
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_NONE, 0xAE, 0x80, 0), 0x2000AE80ul);
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_READ, 0xAE, 0x05, 8), 0x4008AE05ul);
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_WRITE, 0xAE, 0x46, 0x20), 0x8020AE46ul);
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_READ | VMOSAL_IOC_WRITE, 0xAE, 0x05, 8),
			  0xC008AE05ul);
	/* 13 bits of size on BSD. */
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_READ, 1, 2, 0x2001), 0x40010102ul);
}
END_TEST

void contract_device(Suite *s)
{
	TCase *tc = tcase_create("device");

	tcase_add_checked_fixture(tc, fresh_record, NULL);
	tcase_add_test(tc, test_device_open);
	tcase_add_test(tc, test_ioctl_arguments);
	tcase_add_test(tc, test_ioctl_dispatch);
	tcase_add_test(tc, test_process_id);
	tcase_add_test(tc, test_ioctl_numbers);
	suite_add_tcase(s, tc);
}
