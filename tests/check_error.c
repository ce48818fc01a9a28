/* Error codes: stable values, names and messages for every code. */
#include "config.h"

#include <string.h>

#include "testutil.h"
#include "vmosal.h"

START_TEST(test_codes_are_fixed)
{
	/* Released values never change: callers and other-language bindings
	 * hard-code them. */
	ck_assert_int_eq(VMOSAL_EPERM, -1);
	ck_assert_int_eq(VMOSAL_ENOENT, -2);
	ck_assert_int_eq(VMOSAL_EINTR, -4);
	ck_assert_int_eq(VMOSAL_EAGAIN, -11);
	ck_assert_int_eq(VMOSAL_ENOMEM, -12);
	ck_assert_int_eq(VMOSAL_EACCES, -13);
	ck_assert_int_eq(VMOSAL_EFAULT, -14);
	ck_assert_int_eq(VMOSAL_EBUSY, -16);
	ck_assert_int_eq(VMOSAL_EEXIST, -17);
	ck_assert_int_eq(VMOSAL_EINVAL, -22);
	ck_assert_int_eq(VMOSAL_ERANGE, -34);
	ck_assert_int_eq(VMOSAL_ENOTSUP, -95);
	ck_assert_int_eq(VMOSAL_EBACKEND, -1000);
}
END_TEST

START_TEST(test_every_code_has_name_and_message)
{
	static const struct {
		int code;
		const char *name;
	} codes[] = {
#define ROW(name, value, msg) {value, #name},
		VMOSAL_ERRNO_MAP(ROW)
#undef ROW
	};

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		ck_assert_int_lt(codes[i].code, 0);
		ck_assert_str_eq(vmosal_err_name(codes[i].code), codes[i].name);
		ck_assert_str_ne(vmosal_strerror(codes[i].code), "unknown error code");
		for (size_t j = 0; j < i; j++)
			ck_assert_int_ne(codes[i].code, codes[j].code);
	}
}
END_TEST

START_TEST(test_unknown_and_zero)
{
	ck_assert_str_eq(vmosal_err_name(0), "OK");
	ck_assert_str_eq(vmosal_strerror(0), "success");
	ck_assert_str_eq(vmosal_err_name(-123456), "UNKNOWN");
	ck_assert_str_eq(vmosal_err_name(42), "UNKNOWN");
	ck_assert_str_eq(vmosal_strerror(-123456), "unknown error code");
	ck_assert_str_eq(vmosal_strerror(VMOSAL_EINVAL), "invalid argument");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("codes");

	tcase_add_test(tc, test_codes_are_fixed);
	tcase_add_test(tc, test_every_code_has_name_and_message);
	tcase_add_test(tc, test_unknown_and_zero);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
