/* The test harness itself (tests/harness/): what suites lean on to read
 * the host must read it right. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include "testutil.h"
#include "vmosal.h"

/* Read back whole, past the first buffer's size. */
START_TEST(test_tmpfile_read_all)
{
	enum { SIZE = 3 * 4096 + 17 };
	char *text, *want = malloc(SIZE);
	int fd = vmosal_test_tmpfile();

	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_nonnull(want);
	for (int i = 0; i < SIZE; i++)
		want[i] = (char)('a' + i % 26);
	ck_assert_int_eq(write(fd, want, SIZE), SIZE);
	text = vmosal_test_read_all(fd);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(strlen(text), SIZE);
	ck_assert(memcmp(text, want, SIZE) == 0);
	free(text);
	free(want);
	close(fd);
}
END_TEST

START_TEST(test_rounds)
{
	bool slow = vmosal_test_under_valgrind() || vmosal_test_emulator() != NULL;

	ck_assert_int_eq(vmosal_test_rounds(1000, 10), slow ? 10 : 1000);
	ck_assert_int_eq(vmosal_test_rounds(5, 10), 5);
}
END_TEST

#ifndef _WIN32
/* A descriptor sent is the same open file on the other side. */
START_TEST(test_fd_passing)
{
	int sv[2], pipefd[2], got;
	char c = 0;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(pipe(pipefd), 0);
	ck_assert(vmosal_test_send_fd(sv[0], pipefd[1]));
	got = vmosal_test_recv_fd(sv[1]);
	ck_assert_int_ge(got, 0);
	ck_assert_int_ne(got, pipefd[1]);
	ck_assert_int_eq(write(got, "x", 1), 1);
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	ck_assert_int_eq(c, 'x');
	/* A message with no descriptor in it is refused. */
	ck_assert_int_eq(write(sv[0], "y", 1), 1);
	ck_assert_int_eq(vmosal_test_recv_fd(sv[1]), -1);
	close(got);
	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST
#endif

#ifdef __linux__
/* Bounds and permissions of the one mapping holding an address. */
START_TEST(test_mapping_at)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 3 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t lo = 0, hi = 0;
	char perms[5];

	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(mprotect(p + page, page, PROT_READ | PROT_WRITE), 0);
	ck_assert(vmosal_test_mapping_at(p + page + 1, &lo, &hi, perms));
	ck_assert_str_eq(perms, "rw-p");
	ck_assert_uint_eq(lo, (uintptr_t)(p + page));
	ck_assert_uint_eq(hi, (uintptr_t)(p + 2 * page));
	ck_assert(vmosal_test_mapping_at(p, NULL, NULL, perms));
	ck_assert_str_eq(perms, "---p");
	ck_assert_int_eq(munmap(p, 3 * page), 0);
}
END_TEST

/* Touched pages count in Rss; untouched ones do not. */
START_TEST(test_smaps_kb)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 8 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *q = p + 2 * page;

	VMOSAL_SKIP_IF_EMULATED("smaps");
	ck_assert_ptr_ne(p, MAP_FAILED);
	/* Guards either side: the kernel cannot merge it with a neighbour. */
	ck_assert_int_eq(mprotect(q, 4 * page, PROT_READ | PROT_WRITE), 0);
	ck_assert_uint_eq(vmosal_test_smaps_kb(q, 4 * page, "Rss"), 0);
	memset(q, 1, 4 * page);
	ck_assert_uint_eq(vmosal_test_smaps_kb(q, 4 * page, "Rss"), 4 * page / 1024);
	ck_assert_uint_eq(vmosal_test_smaps_kb(q, 4 * page, "NoSuchField"), 0);
	ck_assert_int_eq(munmap(p, 8 * page), 0);
}
END_TEST

/* The harness and the backend agree on whether the kernel has THP. */
START_TEST(test_thp_present)
{
	struct vmosal_huge_page_sizes ps = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_sizes);

	VMOSAL_SKIP_IF_EMULATED("THP controls of the host kernel");
	ck_assert_int_eq(vmosal_huge_page_sizes(&ps), 0);
	ck_assert_int_eq(vmosal_test_thp_present(), ps.thp_mode != VMOSAL_THP_UNAVAILABLE);
	if (ps.thp_mode == VMOSAL_THP_UNAVAILABLE)
		ck_assert(!vmosal_test_thp_control_on("enabled"));
	/* A control the kernel does not have is off. */
	ck_assert(!vmosal_test_thp_control_on("no_such_control"));
}
END_TEST
#endif

static Suite *harness_suite(void)
{
	Suite *s = suite_create("harness");
	TCase *tc = tcase_create("harness");

	tcase_add_test(tc, test_tmpfile_read_all);
	tcase_add_test(tc, test_rounds);
#ifndef _WIN32
	tcase_add_test(tc, test_fd_passing);
#endif
#ifdef __linux__
	tcase_add_test(tc, test_mapping_at);
	tcase_add_test(tc, test_smaps_kb);
	tcase_add_test(tc, test_thp_present);
#endif
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vmosal_run_suite(harness_suite());
}
