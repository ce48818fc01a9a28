/* The refusal of another OS's accelerator that every backend shares
 * (backends/common/accel.c): no OS call, so this suite builds and runs on
 * every OS. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "testutil.h"

#include "accel.h"
#include "vmosal/platform.h"

START_TEST(test_each_accelerator_names_its_os)
{
	static const struct {
		int which;
		const char *os;
	} home[] = {
		{VMOSAL_ACCEL_KVM, "Linux"},
		{VMOSAL_ACCEL_HVF, "macOS"},
		{VMOSAL_ACCEL_WHPX, "Windows"},
	};

	ck_assert_int_eq(sizeof home / sizeof home[0], VMOSAL_ACCEL_COUNT);
	for (size_t i = 0; i < sizeof home / sizeof home[0]; i++) {
		struct vmosal_backend_accel out;

		memset(&out, 0, sizeof out);
		out.struct_size = sizeof out;
		ck_assert_int_eq(accel_refuse_foreign(home[i].which, &out), 0);
		ck_assert_int_eq(out.error, VMOSAL_ENOTSUP);
		ck_assert_uint_eq(out.checks, 0);
		ck_assert_msg(strstr(out.reason, home[i].os) != NULL, "%d: \"%s\"", home[i].which,
			      out.reason);
		ck_assert_ptr_nonnull(memchr(out.reason, '\0', sizeof out.reason));
	}
}
END_TEST

/* An accelerator added to the public enum after the backend was built is
 * not an index into anything. */
START_TEST(test_unknown_accelerator)
{
	const int unknown[] = {-1, VMOSAL_ACCEL_COUNT, 1000, -1000};
	struct vmosal_backend_accel out;

	memset(&out, 0x5a, sizeof out);
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
		ck_assert_int_eq(accel_refuse_foreign(unknown[i], &out), VMOSAL_ENOTSUP);
	ck_assert_int_eq(out.error, 0x5a5a5a5a);
	ck_assert_int_eq((unsigned char)out.reason[0], 0x5a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("accel");
	TCase *tc = tcase_create("foreign");

	tcase_add_test(tc, test_each_accelerator_names_its_os);
	tcase_add_test(tc, test_unknown_accelerator);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
