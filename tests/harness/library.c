/* Small calls into the library under test. Its own file: a suite that
 * links a backend's sources instead of libvmosal never pulls it in. */
#include "config.h"

#include "internal.h"

vmosal_tid_t vmosal_test_self(void)
{
	vmosal_tid_t tid = 0;

	ck_assert_int_eq(vmosal_thread_self(&tid), 0);
	ck_assert_uint_ne(tid, 0);
	return tid;
}

const char *vmosal_test_backend_error(void)
{
	static char buf[8192];

	vmosal_backend_error(buf, sizeof buf);
	return buf;
}

bool vmosal_test_decline_signal(const struct vmosal_siginfo *info, void *ctx)
{
	(void)info;
	(void)ctx;
	return false;
}
