/* What every handle shares (handle.h): duplicating one, choosing whether
 * child processes inherit it, closing it. POSIX only: whether a child
 * inherits a handle is asked of a program started by fork and exec. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "vmosal.h"

static size_t page;

static void setup(void)
{
	ck_assert_int_eq(vmosal_init(), 0);
	page = vmosal_page_size();
}

/* Whether a program that this process starts (fork, then exec) finds h
 * open under the same number. The program is the host's /bin/sh, which
 * an emulator (qemu-user) runs natively: the suite's own binaries it could
 * only run through itself, with descriptors of its own in the way. */
static bool child_sees(vmosal_handle_t h)
{
	char script[64];
	int status;
	pid_t pid;

	snprintf(script, sizeof script, "[ -e /dev/fd/%d ]", (int)h);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) <= 1, "sh -c '%s': status %#x",
		      script, status);
	return WEXITSTATUS(status) == 0;
}

START_TEST(test_dup_rejects_bad_input)
{
	vmosal_handle_t e, d = 1234;

	ck_assert_int_eq(vmosal_event_create(0, &e), 0);
	ck_assert_int_eq(vmosal_handle_dup(e, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_handle_dup(VMOSAL_NO_HANDLE, &d), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_handle_set_inheritable(VMOSAL_NO_HANDLE, true), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_handle_close(e), 0);
	/* Closed: nothing to copy or mark (no other thread here can take the
	 * number in between). */
	ck_assert_int_eq(vmosal_handle_dup(e, &d), VMOSAL_EBADF);
	ck_assert_int_eq(d, 1234);
	ck_assert_int_eq(vmosal_handle_set_inheritable(e, true), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_handle_set_inheritable(e, false), VMOSAL_EBADF);
}
END_TEST

/* A copy of an event is the same event, and outlives the original. */
START_TEST(test_dup_event)
{
	vmosal_handle_t e, d;

	ck_assert_int_eq(vmosal_event_create(0, &e), 0);
	ck_assert_int_eq(vmosal_handle_dup(e, &d), 0);
	ck_assert_int_ne(d, e);
	ck_assert_int_eq(vmosal_event_notify(e), 0);
	ck_assert_int_eq(vmosal_event_wait(d, 0), 0);
	ck_assert_int_eq(vmosal_event_wait(e, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_event_notify(d), 0);
	ck_assert_int_eq(vmosal_handle_close(e), 0);
	ck_assert_int_eq(vmosal_event_wait(d, 0), 0);
	ck_assert_int_eq(vmosal_event_wait(d, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_event_notify(d), 0);
	ck_assert_int_eq(vmosal_event_wait(d, -1), 0);
	ck_assert_int_eq(vmosal_handle_close(d), 0);
}
END_TEST

#ifdef __linux__
/* Linux keeps a mark on the eventfds it made, which spares them the check
 * every other descriptor gets on each call; a copy keeps the mark. The
 * one visible sign of it: a marked event is taken as it is, so one made
 * blocking behind the library's back still works while signalled, where
 * the check refuses a descriptor it did not make that blocks
 * (VMOSAL_EINVAL). */
START_TEST(test_dup_event_stays_ours)
{
	vmosal_handle_t e, d;
	int fl;

	ck_assert_int_eq(vmosal_event_create(0, &e), 0);
	ck_assert_int_eq(vmosal_handle_dup(e, &d), 0);
	ck_assert_int_eq(vmosal_handle_close(e), 0);
	ck_assert_int_ge(fl = fcntl(d, F_GETFL), 0);
	ck_assert_int_eq(fcntl(d, F_SETFL, fl & ~O_NONBLOCK), 0);
	ck_assert_int_eq(vmosal_event_notify(d), 0);
	ck_assert_int_eq(vmosal_event_wait(d, 0), 0);
	ck_assert_int_eq(fcntl(d, F_SETFL, fl), 0);
	ck_assert_int_eq(vmosal_handle_close(d), 0);
}
END_TEST
#endif

/* A copy of a shared memory object maps the same memory, and outlives
 * the original. */
START_TEST(test_dup_shm)
{
	vmosal_handle_t h, d;
	char *a = NULL, *b = NULL;

	ck_assert_int_eq(vmosal_shm_create("dup", page, 0, 0, &h), 0);
	ck_assert_int_eq(vmosal_handle_dup(h, &d), 0);
	ck_assert_int_ne(d, h);
	ck_assert_int_eq(vmosal_mmap(NULL, page, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_SHARED, h, 0, (void **)&a),
			 0);
	strcpy(a, "through the original");
	ck_assert_int_eq(vmosal_handle_close(h), 0);
	ck_assert_int_eq(vmosal_mmap(NULL, page, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_SHARED, d, 0, (void **)&b),
			 0);
	ck_assert_str_eq(b, "through the original");
	strcpy(b + 100, "through the copy");
	ck_assert_str_eq(a + 100, "through the copy");
	ck_assert_int_eq(vmosal_munmap(a, page), 0);
	ck_assert_int_eq(vmosal_munmap(b, page), 0);
	ck_assert_int_eq(vmosal_handle_close(d), 0);
}
END_TEST

/* Nothing is inherited until asked; a copy is not inherited whatever the
 * original is; the flag belongs to the one handle it was set on. */
START_TEST(test_inheritable)
{
	vmosal_handle_t e, d, s;

	ck_assert_int_eq(vmosal_event_create(0, &e), 0);
	ck_assert_int_eq(vmosal_shm_create("inherit", page, 0, 0, &s), 0);
	ck_assert(!child_sees(e));
	ck_assert(!child_sees(s));

	ck_assert_int_eq(vmosal_handle_set_inheritable(e, true), 0);
	ck_assert_int_eq(vmosal_handle_set_inheritable(s, true), 0);
	ck_assert(child_sees(e));
	ck_assert(child_sees(s));
	/* Asked twice: still so. */
	ck_assert_int_eq(vmosal_handle_set_inheritable(e, true), 0);
	ck_assert(child_sees(e));

	ck_assert_int_eq(vmosal_handle_dup(e, &d), 0);
	ck_assert(!child_sees(d));
	ck_assert(child_sees(e));
	ck_assert_int_eq(vmosal_handle_set_inheritable(d, true), 0);
	ck_assert_int_eq(vmosal_handle_set_inheritable(e, false), 0);
	ck_assert(child_sees(d));
	ck_assert(!child_sees(e));
	ck_assert_int_eq(vmosal_handle_set_inheritable(s, false), 0);
	ck_assert(!child_sees(s));

	/* An inherited event is still an event here. */
	ck_assert_int_eq(vmosal_event_notify(d), 0);
	ck_assert_int_eq(vmosal_event_wait(e, 0), 0);
	ck_assert_int_eq(vmosal_handle_close(d), 0);
	ck_assert_int_eq(vmosal_handle_close(e), 0);
	ck_assert_int_eq(vmosal_handle_close(s), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("handle");
	TCase *tc = tcase_create("handle");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_dup_rejects_bad_input);
	tcase_add_test(tc, test_dup_event);
#ifdef __linux__
	tcase_add_test(tc, test_dup_event_stays_ours);
#endif
	tcase_add_test(tc, test_dup_shm);
	tcase_add_test(tc, test_inheritable);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
