/* Shared memory objects (passed to another process) and W^X code buffers. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "vmosal.h"

#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#endif

static size_t page;

static void setup(void)
{
	ck_assert_int_eq(vmosal_init(), 0);
	page = vmosal_page_size();
}


START_TEST(test_shm_rejects_bad_input)
{
	int fd = 1234;

	ck_assert_int_eq(vmosal_shm_create("x", page, 0, 0, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_shm_create("x", 0, 0, 0, &fd), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_shm_create("x", page + 1, 0, 0, &fd), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_shm_create("x", page, 0x80, 0, &fd), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_shm_create("x", page, 0, (uint64_t)2 << 20, &fd), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_shm_create("x", (uint64_t)4 << 20, VMOSAL_SHM_HUGETLB,
					   3 << 20, &fd),
			 VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_shm_create("x", (uint64_t)2 << 20, VMOSAL_SHM_HUGETLB,
					   (uint64_t)1 << 30, &fd),
			 VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_shm_create("x", UINT64_MAX - page + 1, 0, 0, &fd),
			 VMOSAL_EOVERFLOW);
	ck_assert_int_eq(fd, 1234);
	ck_assert_int_eq(vmosal_handle_close(-1), VMOSAL_EBADF);
}
END_TEST

/* A huge page size the host has no pool of is ENOTSUP, as documented, not
 * whatever the kernel happened to say (ENODEV). */
START_TEST(test_shm_unknown_huge_size)
{
	struct vmosal_huge_page_sizes ps = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_sizes);
	struct vmosal_huge_page_pool pool = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_pool);
	uint64_t size = (uint64_t)4 << 20;
	int fd = 1234;

	ck_assert_int_eq(vmosal_huge_page_sizes(&ps), 0);
	for (bool taken = true; taken; size <<= 1) {
		taken = false;
		for (size_t i = 0; i < ps.huge_count; i++) {
			ck_assert_int_eq(vmosal_huge_page_pool(i, &pool), 0);
			taken |= pool.page_size == size;
		}
		if (!taken)
			break;
	}
	ck_assert_int_eq(vmosal_shm_create("x", size, VMOSAL_SHM_HUGETLB, size, &fd),
			 VMOSAL_ENOTSUP);
	ck_assert_int_eq(fd, 1234);
}
END_TEST

/* Writes "peer" at offset 0 of the shm received on sock; 0 when it worked. */
static int peer_process(int sock, size_t size)
{
	int fd = vmosal_test_recv_fd(sock);
	char *p = NULL;

	if (fd < 0)
		return 1;
	if (vmosal_mmap(NULL, size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE, VMOSAL_MAP_SHARED, fd, 0,
			(void **)&p) != 0)
		return 2;
	if (strcmp(p + 100, "parent") != 0)
		return 3;
	memcpy(p, "peer", 5);
	return vmosal_munmap(p, size) == 0 ? 0 : 4;
}

START_TEST(test_shm_passed_to_another_process)
{
	const size_t size = (size_t)2 << 20;
	int sv[2], fd = -1, status;
	char *p = NULL;
	pid_t pid;
	struct stat st;

	ck_assert_int_eq(vmosal_shm_create("vhost-test", size, VMOSAL_SHM_SEAL, 0, &fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)size);
	ck_assert_int_eq(vmosal_mmap(NULL, size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_SHARED, fd, 0, (void **)&p),
			 0);
	strcpy(p + 100, "parent");
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		_exit(peer_process(sv[1], size));
	}
	close(sv[1]);
	ck_assert(vmosal_test_send_fd(sv[0], fd));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_str_eq(p, "peer");
	close(sv[0]);

	/* Sealed: nobody can shrink it under our feet (which would SIGBUS). */
	ck_assert_int_eq(fcntl(fd, F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
			 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	ck_assert_int_ne(ftruncate(fd, (off_t)page), 0);
	ck_assert_int_eq(vmosal_munmap(p, size), 0);
	ck_assert_int_eq(vmosal_handle_close(fd), 0);
}
END_TEST

START_TEST(test_shm_unsealed_can_grow)
{
	int fd = -1;

	ck_assert_int_eq(vmosal_shm_create(NULL, page, 0, 0, &fd), 0);
	ck_assert_int_eq(fcntl(fd, F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_GROW), 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(2 * page)), 0);
	ck_assert_int_eq(vmosal_handle_close(fd), 0);
}
END_TEST

static void pool_setup(void)
{
	vmosal_test_hugetlb_pool_make(2);
}

START_TEST(test_shm_hugetlb)
{
	const size_t size = VMOSAL_TEST_HUGETLB_PAGE * 2;
	int fd = -1;
	char *p = NULL;

	VMOSAL_SKIP_IF_EMULATED("MAP_HUGETLB");
	if (vmosal_test_hugetlb_pool_read("free_hugepages") != 2)
		VMOSAL_SKIP("needs root and two free 2 MiB huge pages made by the test");
	ck_assert_int_eq(vmosal_shm_create("huge", size, VMOSAL_SHM_HUGETLB | VMOSAL_SHM_SEAL,
					   VMOSAL_TEST_HUGETLB_PAGE, &fd),
			 0);
	ck_assert_int_eq(vmosal_mmap(NULL, size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_SHARED, fd, 0, (void **)&p),
			 0);
	ck_assert_uint_eq((uintptr_t)p % VMOSAL_TEST_HUGETLB_PAGE, 0);
	memset(p, 1, size);
	/* Both pages came from the pool. */
	ck_assert_int_eq(vmosal_test_hugetlb_pool_read("free_hugepages"), 0);
	ck_assert_int_eq(vmosal_munmap(p, size), 0);
	ck_assert_int_eq(vmosal_handle_close(fd), 0);
	/* Not a multiple of the huge page size. */
	ck_assert_int_eq(
		vmosal_shm_create("huge", page, VMOSAL_SHM_HUGETLB, VMOSAL_TEST_HUGETLB_PAGE, &fd),
		VMOSAL_EINVAL);
}
END_TEST

/* ---- JIT ---- */

/* return 42, in the host's machine code */
#if defined(__x86_64__) || defined(__i386__)
static const unsigned char ret42[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3};
#define HAVE_RET42 1
#elif defined(__aarch64__)
static const unsigned char ret42[] = {0x40, 0x05, 0x80, 0x52, 0xc0, 0x03, 0x5f, 0xd6};
#define HAVE_RET42 1
#endif

START_TEST(test_jit_runs_code)
{
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit);
	char perms[5];

	ck_assert_int_eq(vmosal_jit_create(100, &jit), 0);
	ck_assert_uint_eq(jit.size, page);
	ck_assert_ptr_ne(jit.rw, jit.rx);
	/* Never writable and executable at once. */
	ck_assert(vmosal_test_mapping_at(jit.rw, NULL, NULL, perms));
	ck_assert_str_eq(perms, "rw-s");
	ck_assert(vmosal_test_mapping_at(jit.rx, NULL, NULL, perms));
	ck_assert_str_eq(perms, "r-xs");
#ifdef HAVE_RET42
	{
		int (*fn)(void);
		ck_assert_int_eq(vmosal_jit_write_begin(&jit), 0);
		memcpy(jit.rw, ret42, sizeof ret42);
		ck_assert_int_eq(vmosal_jit_write_end(&jit), 0);
		ck_assert_int_eq(vmosal_jit_flush(&jit, 0, sizeof ret42), 0);
		*(void **)&fn = jit.rx;
		ck_assert_int_eq(fn(), 42);
	}
#else
	ck_assert_int_eq(vmosal_jit_write_begin(&jit), 0);
	memcpy(jit.rw, "code", 4);
	ck_assert_int_eq(vmosal_jit_write_end(&jit), 0);
	ck_assert_int_eq(vmosal_jit_flush(&jit, 0, 4), 0);
	ck_assert_int_eq(memcmp(jit.rx, "code", 4), 0);
#endif
	ck_assert_int_eq(vmosal_jit_destroy(&jit), 0);
	ck_assert_ptr_null(jit.rw);
	ck_assert_ptr_null(jit.rx);
	ck_assert_int_eq(vmosal_jit_destroy(&jit), VMOSAL_EINVAL);
}
END_TEST

/* The host's backend (two views here): windows nest per thread, check the
 * views, and are needed by no other thread. */
START_TEST(test_jit_write_window)
{
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit), bad;

	ck_assert_int_eq(vmosal_jit_create(page, &jit), 0);
	ck_assert_int_eq(vmosal_jit_write_end(&jit), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_jit_write_begin(&jit), 0);
	ck_assert_int_eq(vmosal_jit_write_begin(&jit), 0);
	((volatile char *)jit.rw)[0] = 1;
	ck_assert_int_eq(vmosal_jit_write_end(&jit), 0);
	((volatile char *)jit.rw)[1] = 2;
	ck_assert_int_eq(vmosal_jit_write_end(&jit), 0);
	ck_assert_int_eq(vmosal_jit_write_end(&jit), VMOSAL_EINVAL);
	ck_assert_int_eq(memcmp(jit.rx, "\1\2", 2), 0);
	/* Views this backend cannot have made: one view, or misaligned. */
	bad = jit;
	bad.rw = bad.rx;
	ck_assert_int_eq(vmosal_jit_write_begin(&bad), VMOSAL_EINVAL);
	bad = jit;
	bad.rw = (char *)bad.rw + 1;
	ck_assert_int_eq(vmosal_jit_write_begin(&bad), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_jit_write_end(&jit), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_jit_destroy(&jit), 0);
	ck_assert_int_eq(vmosal_jit_write_begin(&jit), VMOSAL_EINVAL);
}
END_TEST

START_TEST(test_jit_rejects_bad_input)
{
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit);

	ck_assert_int_eq(vmosal_jit_create(0, &jit), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_jit_create(page, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_jit_create(SIZE_MAX, &jit), VMOSAL_EOVERFLOW);
	ck_assert_int_eq(vmosal_jit_create(page, &jit), 0);
	ck_assert_int_eq(vmosal_jit_flush(NULL, 0, 1), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_jit_flush(&jit, 0, 0), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_jit_flush(&jit, page, 1), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_jit_flush(&jit, 1, SIZE_MAX), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_jit_flush(&jit, 0, page), 0);
	ck_assert_int_eq(vmosal_jit_destroy(&jit), 0);
	ck_assert_int_eq(vmosal_jit_destroy(NULL), VMOSAL_EINVAL);
}
END_TEST

/* The executable view is not writable: the forked test dies of SIGSEGV
 * (SIGBUS on Darwin). */
START_TEST(test_jit_rx_not_writable)
{
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit);

	ck_assert_int_eq(vmosal_jit_create(page, &jit), 0);
	*(volatile char *)jit.rx = 1;
}
END_TEST

#ifdef HAVE_RET42
/* The writable view is not executable. */
START_TEST(test_jit_rw_not_executable)
{
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit);
	int (*fn)(void);

	ck_assert_int_eq(vmosal_jit_create(page, &jit), 0);
	ck_assert_int_eq(vmosal_jit_write_begin(&jit), 0);
	memcpy(jit.rw, ret42, sizeof ret42);
	ck_assert_int_eq(vmosal_jit_write_end(&jit), 0);
	*(void **)&fn = jit.rw;
	fn();
}
END_TEST
#endif

int main(void)
{
	Suite *s = suite_create("shm");
	TCase *shm = tcase_create("shm");
	TCase *jit = tcase_create("jit");

	tcase_add_checked_fixture(shm, setup, NULL);
	tcase_add_unchecked_fixture(shm, pool_setup, vmosal_test_hugetlb_pool_restore);
	tcase_add_test(shm, test_shm_rejects_bad_input);
	tcase_add_test(shm, test_shm_unknown_huge_size);
	tcase_add_test(shm, test_shm_passed_to_another_process);
	tcase_add_test(shm, test_shm_unsealed_can_grow);
	tcase_add_test(shm, test_shm_hugetlb);
	suite_add_tcase(s, shm);

	tcase_add_checked_fixture(jit, setup, NULL);
	tcase_add_test(jit, test_jit_runs_code);
	tcase_add_test(jit, test_jit_rejects_bad_input);
	tcase_add_test(jit, test_jit_write_window);
	vmosal_tcase_add_test_raise_signal(jit, test_jit_rx_not_writable, VMOSAL_TEST_PROT_SIGNAL);
#ifdef HAVE_RET42
	vmosal_tcase_add_test_raise_signal(jit, test_jit_rw_not_executable, VMOSAL_TEST_PROT_SIGNAL);
#endif
	suite_add_tcase(s, jit);
	return vmosal_run_suite(s);
}
