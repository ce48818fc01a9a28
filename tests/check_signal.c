/* Signals, the fault guard and the vCPU kick, on the host's backend: an
 * application's own handlers before and after libvmosal's, faults inside
 * and outside guards, and kicks that must never be lost. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "vmosal.h"

static size_t page;

static atomic_int app_calls, lib_calls, lib_wrong_info;

/* Counters start at zero for every test, in one process (CK_FORK=no) too. */
static void setup(void)
{
	ck_assert_int_eq(vmosal_init(), 0);
	page = vmosal_page_size();
	atomic_store(&app_calls, 0);
	atomic_store(&lib_calls, 0);
	atomic_store(&lib_wrong_info, 0);
}

/* ---- registry and chaining ---- */

static void app_handler(int sig)
{
	(void)sig;
	atomic_fetch_add(&app_calls, 1);
}

/* Runs in signal context: records what it saw, asserts nothing (Check's
 * assertions allocate); the test checks afterwards. */
static bool lib_declines(const struct vmosal_siginfo *info, void *ctx)
{
	if (info->signal != VMOSAL_SIGUSR1 || info->os_signal != SIGUSR1)
		atomic_fetch_add(&lib_wrong_info, 1);
	atomic_fetch_add(&lib_calls, 1);
	return ctx != NULL; /* handled only when asked to */
}

static void install(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(sig, &sa, NULL), 0);
}

static void (*current_handler(int sig))(int)
{
	struct sigaction now;

	ck_assert_int_eq(sigaction(sig, NULL, &now), 0);
	return now.sa_handler;
}

/* An application's handler installed before libvmosal's: it still gets
 * what libvmosal's handlers pass on, and is back exactly afterwards. */
START_TEST(test_handler_before_is_chained_and_restored)
{
	vmosal_signal_handler_t *declines, *takes;
	int marker = 1;

	install(SIGUSR1, app_handler);
	ck_assert_int_eq(vmosal_signal_handle(VMOSAL_SIGUSR1, lib_declines, NULL, &declines), 0);
	ck_assert(current_handler(SIGUSR1) != app_handler);
	raise(SIGUSR1);
	ck_assert_int_eq(atomic_load(&lib_calls), 1);
	ck_assert_int_eq(atomic_load(&app_calls), 1);
	/* A second handler that takes it: the chain stops there. */
	ck_assert_int_eq(vmosal_signal_handle(VMOSAL_SIGUSR1, lib_declines, &marker, &takes), 0);
	raise(SIGUSR1);
	ck_assert_int_eq(atomic_load(&lib_calls), 3);
	ck_assert_int_eq(atomic_load(&app_calls), 1);
	ck_assert_int_eq(vmosal_signal_unhandle(takes), 0);
	ck_assert_int_eq(vmosal_signal_unhandle(takes), VMOSAL_EINVAL);
	ck_assert(current_handler(SIGUSR1) != app_handler);
	ck_assert_int_eq(vmosal_signal_unhandle(declines), 0);
	ck_assert(current_handler(SIGUSR1) == app_handler);
	raise(SIGUSR1);
	ck_assert_int_eq(atomic_load(&lib_calls), 3);
	ck_assert_int_eq(atomic_load(&app_calls), 2);
	ck_assert_int_eq(atomic_load(&lib_wrong_info), 0);
}
END_TEST

/* One installed after libvmosal's wins, and libvmosal leaving does not
 * take it away. */
START_TEST(test_handler_after_is_left_alone)
{
	vmosal_signal_handler_t *h;

	install(SIGUSR1, SIG_DFL);
	ck_assert_int_eq(vmosal_signal_handle(VMOSAL_SIGUSR1, lib_declines, NULL, &h), 0);
	install(SIGUSR1, app_handler);
	ck_assert_int_eq(vmosal_signal_unhandle(h), 0);
	ck_assert(current_handler(SIGUSR1) == app_handler);
	raise(SIGUSR1);
	ck_assert_int_eq(atomic_load(&app_calls), 1);
	ck_assert_int_eq(atomic_load(&lib_calls), 0);
}
END_TEST

START_TEST(test_signal_bad_input)
{
	vmosal_signal_handler_t *h = NULL;
	enum vmosal_signal segv = VMOSAL_SIGSEGV, usr2 = VMOSAL_SIGUSR2;
	struct vmosal_siginfo info = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);
	vmosal_handle_t fd = 1234;

	ck_assert_int_eq(vmosal_signal_handle(0, lib_declines, NULL, &h), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_signal_handle(VMOSAL_SIGNAL_COUNT, lib_declines, NULL, &h),
			 VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_signal_handle(VMOSAL_SIGUSR1, NULL, NULL, &h), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_signal_handle(VMOSAL_SIGUSR1, lib_declines, NULL, NULL),
			 VMOSAL_EINVAL);
	ck_assert_ptr_null(h);
	ck_assert_int_eq(vmosal_signal_unhandle(NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_signal_block(&segv, 1), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_signal_block(&usr2, 0), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_signal_block(NULL, 1), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_signal_wait(&segv, 1, 0, &info), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_signal_wait(&usr2, 1, 0, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_signal_fd_open(&usr2, 1, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_signal_fd_read(-1, &info), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_signal_fd_close(-1), VMOSAL_EBADF);
	ck_assert_int_eq(fd, 1234);
	ck_assert_int_eq(vmosal_fault_guard(NULL, NULL, NULL), VMOSAL_EINVAL);
}
END_TEST

static bool take_all(const struct vmosal_siginfo *info, void *ctx)
{
	(void)info;
	(void)ctx;
	return true;
}

/* More than a signal's handler slots is EBUSY, not a silent overwrite. */
START_TEST(test_handler_slots_are_bounded)
{
	vmosal_signal_handler_t *h[9];
	int i;

	for (i = 0; i < 8; i++)
		ck_assert_int_eq(vmosal_signal_handle(VMOSAL_SIGUSR2, take_all, NULL, &h[i]), 0);
	ck_assert_int_eq(vmosal_signal_handle(VMOSAL_SIGUSR2, take_all, NULL, &h[8]),
			 VMOSAL_EBUSY);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(vmosal_signal_unhandle(h[i]), 0);
	ck_assert(current_handler(SIGUSR2) == SIG_DFL);
}
END_TEST

START_TEST(test_block_wait_and_fd)
{
	enum vmosal_signal usr2 = VMOSAL_SIGUSR2;
	struct vmosal_siginfo info = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);
	vmosal_handle_t fd;
	struct pollfd pfd;
	sigset_t now;

	ck_assert_int_eq(vmosal_signal_block(&usr2, 1), 0);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, NULL, &now), 0);
	ck_assert(sigismember(&now, SIGUSR2));
	ck_assert_int_eq(vmosal_signal_wait(&usr2, 1, 1000000, &info), VMOSAL_ETIMEDOUT);
	raise(SIGUSR2);
	ck_assert_int_eq(vmosal_signal_wait(&usr2, 1, -1, &info), 0);
	ck_assert_uint_eq(info.signal, VMOSAL_SIGUSR2);
	ck_assert_int_eq(info.os_signal, SIGUSR2);

	/* For an event loop: readable when pending, EAGAIN when not. */
	ck_assert_int_eq(vmosal_signal_fd_open(&usr2, 1, &fd), 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_eq(vmosal_signal_fd_read(fd, &info), VMOSAL_EAGAIN);
	raise(SIGUSR2);
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	ck_assert_int_eq(poll(&pfd, 1, 1000), 1);
	ck_assert_int_eq(vmosal_signal_fd_read(fd, &info), 0);
	ck_assert_uint_eq(info.signal, VMOSAL_SIGUSR2);
	ck_assert_int_eq(vmosal_signal_fd_read(fd, &info), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_signal_fd_close(fd), 0);
	ck_assert_int_eq(vmosal_signal_unblock(&usr2, 1), 0);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, NULL, &now), 0);
	ck_assert(!sigismember(&now, SIGUSR2));
}
END_TEST

/* ---- fault guard ---- */

static int read_byte(void *arg)
{
	return *(volatile char *)arg;
}

START_TEST(test_guard_prot_none)
{
	struct vmosal_fault fault = VMOSAL_STRUCT_INIT(struct vmosal_fault);
	char *p = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(vmosal_fault_guard(read_byte, p + 5, &fault), VMOSAL_EFAULT);
	ck_assert_uint_eq(fault.signal, VMOSAL_SIGSEGV);
	ck_assert_int_eq(fault.os_signal, SIGSEGV);
	ck_assert_ptr_eq(fault.addr, p + 5);
	/* No fault: fn's own value. */
	ck_assert_int_eq(mprotect(p, page, PROT_READ), 0);
	ck_assert_int_eq(vmosal_fault_guard(read_byte, p, &fault), 0);
	ck_assert_int_eq(munmap(p, page), 0);
	/* The disposition is back to what it was. */
	ck_assert(current_handler(SIGSEGV) == SIG_DFL);
	ck_assert(current_handler(SIGBUS) == SIG_DFL);
}
END_TEST

/* A mapped file that was truncated underneath: SIGBUS, not SIGSEGV. */
START_TEST(test_guard_truncated_file)
{
	struct vmosal_fault fault = VMOSAL_STRUCT_INIT(struct vmosal_fault);
	char path[] = "/tmp/vmosal-trunc-XXXXXX";
	int fd = mkstemp(path);
	char *p;

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(ftruncate(fd, (off_t)(2 * page)), 0);
	p = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(ftruncate(fd, (off_t)page), 0);
	ck_assert_int_eq(vmosal_fault_guard(read_byte, p, &fault), 0);
	ck_assert_int_eq(vmosal_fault_guard(read_byte, p + page, &fault), VMOSAL_EFAULT);
	ck_assert_uint_eq(fault.signal, VMOSAL_SIGBUS);
	ck_assert_ptr_eq(fault.addr, p + page);
	munmap(p, 2 * page);
	close(fd);
}
END_TEST

struct nested {
	char *bad;
	int inner_rc;
	void *inner_addr;
};

static int inner_then_outer(void *arg)
{
	struct nested *n = arg;
	struct vmosal_fault f = VMOSAL_STRUCT_INIT(struct vmosal_fault);

	n->inner_rc = vmosal_fault_guard(read_byte, n->bad, &f);
	n->inner_addr = f.addr;
	/* Back in the outer guard: this fault is the outer one's. */
	return read_byte(n->bad + 1);
}

START_TEST(test_guard_nested)
{
	struct vmosal_fault fault = VMOSAL_STRUCT_INIT(struct vmosal_fault);
	char *p = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct nested n = {p, 0, NULL};

	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(vmosal_fault_guard(inner_then_outer, &n, &fault), VMOSAL_EFAULT);
	ck_assert_int_eq(n.inner_rc, VMOSAL_EFAULT);
	ck_assert_ptr_eq(n.inner_addr, p);
	ck_assert_ptr_eq(fault.addr, p + 1);
	munmap(p, page);
}
END_TEST

struct faulter {
	char *bad;
	int faults, rounds;
};

static void *fault_many_times(void *arg)
{
	struct faulter *f = arg;
	struct vmosal_fault fault = VMOSAL_STRUCT_INIT(struct vmosal_fault);

	for (int i = 0; i < f->rounds; i++)
		if (vmosal_fault_guard(read_byte, f->bad + i % 64, &fault) == VMOSAL_EFAULT &&
		    fault.addr == f->bad + i % 64)
			f->faults++;
	return NULL;
}

/* Guards on several threads at once, each faulting: each fault goes to
 * the guard of the thread that took it. */
START_TEST(test_guards_on_many_threads)
{
	char *p = mmap(NULL, 4 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct faulter f[4];
	pthread_t t[4];

	ck_assert_ptr_ne(p, MAP_FAILED);
	for (int i = 0; i < 4; i++) {
		f[i] = (struct faulter){p + (size_t)i * page, 0, (int)vmosal_test_rounds(2000, 50)};
		ck_assert_int_eq(pthread_create(&t[i], NULL, fault_many_times, &f[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(f[i].faults, f[i].rounds);
	}
	munmap(p, 4 * page);
	ck_assert(current_handler(SIGSEGV) == SIG_DFL);
}
END_TEST

static atomic_bool guarding_stop;

static int spin_until_stopped(void *arg)
{
	(void)arg;
	while (!atomic_load(&guarding_stop))
		vmosal_cpu_relax();
	return 0;
}

static void *guarded_thread(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)vmosal_fault_guard(spin_until_stopped, NULL, NULL);
}

/* While another thread sits in a guard, a fault on a thread outside any
 * guard still reaches the default action: the process dies of SIGSEGV. */
START_TEST(test_unguarded_fault_still_kills)
{
	int status = 0;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		pthread_t t;
		char *p = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		pthread_create(&t, NULL, guarded_thread, NULL);
		vmosal_sleep_ns(20 * 1000 * 1000);
		read_byte(p);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status %#x",
		      (unsigned)status);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("signal");
	TCase *reg = tcase_create("registry");
	TCase *guard = tcase_create("guard");

	tcase_add_checked_fixture(reg, setup, NULL);
	tcase_add_test(reg, test_handler_before_is_chained_and_restored);
	tcase_add_test(reg, test_handler_after_is_left_alone);
	tcase_add_test(reg, test_signal_bad_input);
	tcase_add_test(reg, test_handler_slots_are_bounded);
	tcase_add_test(reg, test_block_wait_and_fd);
	suite_add_tcase(s, reg);

	tcase_add_checked_fixture(guard, setup, NULL);
	tcase_add_test(guard, test_guard_prot_none);
	tcase_add_test(guard, test_guard_truncated_file);
	tcase_add_test(guard, test_guard_nested);
	tcase_add_test(guard, test_guards_on_many_threads);
	tcase_add_test(guard, test_unguarded_fault_still_kills);
	suite_add_tcase(s, guard);

	return vmosal_run_suite(s);
}
