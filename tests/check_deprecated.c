/* The 0.1 names (deprecated.h) keep working for one release: each reaches
 * its new name, and the old structs are filled with their old layouts. */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "testutil.h"
#include "vmosal.h"

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

START_TEST(test_handle_closes)
{
	vmosal_handle_t ev, shm;
	size_t page = vmosal_page_size();

	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_event_signal(ev), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), 0);
	ck_assert_int_eq(vmosal_event_close(ev), 0);
	ck_assert_int_eq(vmosal_shm_create(NULL, page, 0, 0, &shm), 0);
	ck_assert_int_eq(vmosal_shm_close(shm), 0);
	ck_assert_int_eq(vmosal_device_close(VMOSAL_NO_HANDLE), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_signal_fd_close(VMOSAL_NO_HANDLE), VMOSAL_EBADF);
}
END_TEST

START_TEST(test_signal_names)
{
	enum vmosal_signal usr1 = VMOSAL_SIGUSR1;
	vmosal_signal_handler_t *h;
	vmosal_handle_t fd;

	ck_assert_int_eq(vmosal_signal_handle(VMOSAL_SIGUSR2, vmosal_test_decline_signal, NULL, &h),
			 0);
	ck_assert_int_eq(vmosal_signal_unhandle(h), 0);
	ck_assert_int_eq(vmosal_signal_block(&usr1, 1), 0);
	ck_assert_int_eq(vmosal_signal_fd_open(&usr1, 1, &fd), 0);
	ck_assert_int_eq(vmosal_handle_close(fd), 0);
	ck_assert_int_eq(vmosal_signal_unblock(&usr1, 1), 0);
}
END_TEST

START_TEST(test_memory_names)
{
	struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
	struct vmosal_mem_info mi = VMOSAL_STRUCT_INIT(struct vmosal_mem_info);
	struct vmosal_host_memory hm = VMOSAL_STRUCT_INIT(struct vmosal_host_memory);
	struct vmosal_page_sizes ps = VMOSAL_STRUCT_INIT(struct vmosal_page_sizes);
	size_t page = vmosal_page_size();
	void *p;

	ck_assert_int_eq(vmosal_mmap(NULL, page, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS, VMOSAL_NO_HANDLE, 0,
				     &p),
			 0);
	ck_assert_int_eq(vmosal_madvise(p, page, VMOSAL_MADV_WILLNEED), 0);
	ck_assert_int_eq(vmosal_madvise(p, 0, VMOSAL_MADV_WILLNEED), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_msync(p, page, 0), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_munlock(p, 0), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_mlock(p, 0), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_munmap(p, page), 0);

	ck_assert_int_eq(vmosal_mem_info(&mi), 0);
	ck_assert_int_eq(vmosal_host_memory(&hm), 0);
	ck_assert_uint_eq(mi.total_bytes, hm.total_bytes);
	ck_assert_uint_gt(mi.total_bytes, 0);
	ck_assert_int_eq(vmosal_page_sizes(&ps), 0);
	ck_assert_uint_eq(ps.base, page);
	ck_assert_int_eq(vmosal_mem_info(NULL), VMOSAL_EINVAL);

	ck_assert_int_eq(vmosal_guest_ram_alloc((size_t)4 << 20, NULL, &ram), 0);
	ck_assert_ptr_nonnull(ram.addr);
	ck_assert_int_eq(vmosal_guest_ram_free(&ram), 0);
}
END_TEST

/* Named as the suppressions (tests/valgrind.supp) name deliberate faults. */
static int read_byte(void *arg)
{
	return *(volatile char *)arg;
}

START_TEST(test_fault_guard_old_record)
{
	struct vmosal_fault old = VMOSAL_STRUCT_INIT(struct vmosal_fault);
	struct vmosal_siginfo info = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);
	size_t page = vmosal_page_size();
	void *base;
	char *p;

	ck_assert_int_eq(vmosal_mem_reserve(page, 0, &base), 0);
	p = base;
	/* The old struct, through the old layout: addr at its old place. */
	ck_assert_int_eq(vmosal_fault_guard(read_byte, p + 8, &old), VMOSAL_EFAULT);
	ck_assert_ptr_eq(old.addr, p + 8);
	ck_assert(old.signal == VMOSAL_SIGSEGV || old.signal == VMOSAL_SIGBUS);
	ck_assert_int_eq(vmosal_fault_guard(read_byte, p + 9, &info), VMOSAL_EFAULT);
	ck_assert_ptr_eq(info.fault_addr, p + 9);
	ck_assert_uint_eq(info.signal, old.signal);
	ck_assert_int_eq(vmosal_fault_guard(read_byte, p + 10, NULL), VMOSAL_EFAULT);
	ck_assert_int_eq(vmosal_mem_release(p, page), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("deprecated");
	TCase *tc = tcase_create("0.1 names");

	tcase_add_test(tc, test_handle_closes);
	tcase_add_test(tc, test_signal_names);
	tcase_add_test(tc, test_memory_names);
	tcase_add_test(tc, test_fault_guard_old_record);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
