/* The shared POSIX layer (backends/posix) called directly, for the parts
 * that the Linux backend does not reach and the Darwin backend does: the
 * kick on a SIGUSR where there are no realtime signals, taking a pending
 * signal without sigtimedwait, shared memory through shm_open, a W^X
 * buffer of one view, and the plain ioctl and timeout helpers. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "posix.h"
#include "test_services.h"

static void setup(void)
{
	posix_core = &test_services;
	test_services_reset();
}

/* Each code of error.h's list comes from the errno of its name, from
 * posix_host.c's one table; libvmosal's own two codes from no errno. */
#define EBACKEND (-1000)
#define EUNKNOWN (-1001)
START_TEST(test_errno_translation)
{
#define CHECK_ERRNO(name, value, msg)                                    \
	if ((name) > 0)                                                  \
		ck_assert_msg(posix_error_from_errno(name) == (value), "%s", #name);
	VMOSAL_ERRNO_MAP(CHECK_ERRNO)
#undef CHECK_ERRNO
	ck_assert_int_eq(posix_error_from_errno(0), 0);
	ck_assert_int_eq(posix_error_from_errno(ENXIO), VMOSAL_ENODEV);
	ck_assert_int_eq(posix_error_from_errno(EOPNOTSUPP), VMOSAL_ENOTSUP);
	ck_assert_int_eq(posix_error_from_errno(EWOULDBLOCK), VMOSAL_EAGAIN);
	ck_assert_int_eq(posix_error_from_errno(EDOM), VMOSAL_EUNKNOWN);
	ck_assert_int_eq(posix_error_from_errno(-1), VMOSAL_EUNKNOWN);
	ck_assert_int_eq(posix_error_from_errno(-1000), VMOSAL_EUNKNOWN);
	errno = EBUSY;
	ck_assert_int_eq(posix_last_error(), VMOSAL_EBUSY);
}
END_TEST
#undef EBACKEND
#undef EUNKNOWN

START_TEST(test_stack_size)
{
	ck_assert_uint_eq(posix_stack_size(1, 16384, 4096), 16384);
	ck_assert_uint_eq(posix_stack_size(16385, 16384, 4096), 20480);
	ck_assert_uint_eq(posix_stack_size(65536, 16384, 16384), 65536);
	/* Rounding that would wrap leaves the size to pthread's verdict. */
	ck_assert_uint_eq(posix_stack_size(SIZE_MAX - 1, 0, 4096), SIZE_MAX - 1);
	ck_assert_uint_eq(posix_stack_size(5000, 0, 0), 5000);
}
END_TEST

START_TEST(test_timeout_ms)
{
	ck_assert_int_eq(posix_timeout_ms(-1), -1);
	ck_assert_int_eq(posix_timeout_ms(0), 0);
	/* Rounded up: poll never returns before the time asked. */
	ck_assert_int_eq(posix_timeout_ms(1), 1);
	ck_assert_int_eq(posix_timeout_ms(1000000), 1);
	ck_assert_int_eq(posix_timeout_ms(1000001), 2);
	ck_assert_int_eq(posix_timeout_ms(INT64_MAX), INT32_MAX);
}
END_TEST

START_TEST(test_shm_name)
{
	char name[POSIX_SHM_NAME_MAX + 1];

	posix_shm_name(name, sizeof name, 0x7fffffffL, UINT32_MAX);
	ck_assert_uint_le(strlen(name), POSIX_SHM_NAME_MAX);
	ck_assert_int_eq(name[0], '/');
	ck_assert_ptr_null(strchr(name + 1, '/'));
	/* A pid wider than 32 bits still fits. */
	posix_shm_name(name, sizeof name, -1L, UINT32_MAX);
	ck_assert_uint_le(strlen(name), POSIX_SHM_NAME_MAX);
}
END_TEST

/* No object of ours is left with a name once it is made. */
static bool shm_name_left(void)
{
	char prefix[64];
	struct dirent *de;
	bool found = false;
	DIR *dir = opendir("/dev/shm");

	if (dir == NULL)
		return false;
	snprintf(prefix, sizeof prefix, "vmosal.%lu.", (unsigned long)getpid());
	while ((de = readdir(dir)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			found = true;
	closedir(dir);
	return found;
}

START_TEST(test_shm_unnamed)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	vmosal_handle_t a = VMOSAL_NO_HANDLE, b = VMOSAL_NO_HANDLE;
	unsigned char *p, *q;
	struct stat st;

	ck_assert_int_eq(posix_shm_create_unnamed(2 * page, &a), 0);
	ck_assert_int_eq(posix_shm_create_unnamed(page, &b), 0);
	ck_assert_int_ne(a, b);
	ck_assert_int_eq(fstat(a, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)(2 * page));
	ck_assert_int_eq(fcntl(a, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert(!shm_name_left());
	/* Two mappings of it share their pages. */
	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	q = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_ptr_ne(q, MAP_FAILED);
	p[page + 7] = 0x5a;
	ck_assert_int_eq(q[page + 7], 0x5a);
	munmap(p, 2 * page);
	munmap(q, 2 * page);
	ck_assert_int_eq(posix_handle_close(a), 0);
	ck_assert_int_eq(posix_handle_close(b), 0);
}
END_TEST

START_TEST(test_jit_unmap_one_view)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *q = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_ptr_ne(q, MAP_FAILED);
	/* One view (Apple silicon's MAP_JIT) is unmapped once... */
	ck_assert_int_eq(posix_jit_unmap(p, p, page), 0);
	/* ...two views both. */
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(posix_jit_unmap(p, q, page), 0);
	/* Both gone: msync of an unmapped page is ENOMEM. (valgrind reports
	 * the probe itself as an error: there the unmap's result suffices.) */
	if (!vmosal_test_under_valgrind()) {
		ck_assert_int_eq(msync(q, page, MS_ASYNC), -1);
		ck_assert_int_eq(errno, ENOMEM);
	}
}
END_TEST

START_TEST(test_device_ioctl)
{
	struct winsize ws;
	int fds[2], avail = -1, result = -1;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "abc", 3), 3);
	ck_assert_int_eq(posix_device_ioctl(fds[0], FIONREAD, &avail, 0, &result), 0);
	ck_assert_int_eq(avail, 3);
	ck_assert_int_eq(result, 0);
	/* Not a terminal: ENOTTY is ENOTSUP, and result stays untouched. */
	result = 42;
	ck_assert_int_eq(posix_device_ioctl(fds[0], TIOCGWINSZ, &ws, 0, &result), VMOSAL_ENOTSUP);
	ck_assert_int_eq(result, 42);
	ck_assert_int_eq(posix_device_ioctl(fds[0], FIONREAD, &avail, 0x80, &result),
			 VMOSAL_ENOTSUP);
	ck_assert_int_eq(posix_device_ioctl(-1, FIONREAD, &avail, VMOSAL_IOCTL_NO_RESTART,
					    &result),
			 VMOSAL_EBADF);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

typedef int (*take_fn)(const sigset_t *set, struct vmosal_siginfo *out);

/* _i 0: the host's posix_take_pending; 1: the way without sigtimedwait. */
static const take_fn takers[] = {posix_take_pending, posix_take_pending_locked};

START_TEST(test_take_pending)
{
	const take_fn take = takers[_i];
	struct vmosal_siginfo si;
	sigset_t usr1, usr2, old;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &usr1, &old), 0);
	ck_assert_int_eq(take(&usr1, &si), VMOSAL_EAGAIN);
	ck_assert_int_eq(raise(SIGUSR1), 0);
	/* Pending, but not among the signals asked for. */
	ck_assert_int_eq(take(&usr2, &si), VMOSAL_EAGAIN);
	memset(&si, 0xff, sizeof si);
	ck_assert_int_eq(take(&usr1, &si), 0);
	ck_assert_uint_eq(si.struct_size, sizeof si);
	ck_assert_uint_eq(si.signal, VMOSAL_SIGUSR1);
	ck_assert_int_eq(si.os_signal, SIGUSR1);
	ck_assert_ptr_null(si.fault_addr);
	/* Taken: gone. */
	ck_assert_int_eq(take(&usr1, &si), VMOSAL_EAGAIN);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
}
END_TEST

/* Several threads take the same process-directed signal at once: each
 * call must return (the signal, or EAGAIN), never block in a sigwait for
 * a signal another thread took in between. Each round makes one signal
 * pending, then releases every taker for one call at the same moment and
 * waits for all of them: a taker left blocking stops the run, and the
 * watchdog fails it (and frees it) instead of a later signal freeing it. */
#define RACE_TAKERS 3
/* No call that returns at once takes this long, even on a busy machine;
 * a run of 1 s plus this stays inside Check's 4 s. */
#define RACE_STUCK_NS 2500000000ull

struct race {
	take_fn take;
	sigset_t set;
	pthread_mutex_t lock;
	pthread_cond_t go;
	unsigned long round; /* under lock: bumped to release the takers */
	bool stop;           /* under lock */
	atomic_bool in_call[RACE_TAKERS];
	atomic_ulong done;   /* calls finished, all takers together */
	atomic_ulong taken;
	atomic_int bad;      /* a code other than 0 and EAGAIN */
};

struct race_taker {
	struct race *r;
	int index;
};

static uint64_t race_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *race_take(void *arg)
{
	struct race_taker *t = arg;
	struct race *r = t->r;
	struct vmosal_siginfo si;
	unsigned long seen = 0;

	for (;;) {
		bool stop;
		int rc;

		pthread_mutex_lock(&r->lock);
		while (r->round == seen)
			pthread_cond_wait(&r->go, &r->lock);
		seen = r->round;
		stop = r->stop;
		pthread_mutex_unlock(&r->lock);
		if (stop)
			return NULL;
		atomic_store(&r->in_call[t->index], true);
		rc = r->take(&r->set, &si);
		atomic_store(&r->in_call[t->index], false);
		if (rc == 0)
			atomic_fetch_add(&r->taken, 1);
		else if (rc != VMOSAL_EAGAIN)
			atomic_store(&r->bad, rc);
		atomic_fetch_add(&r->done, 1);
	}
}

/* Releases every taker for one more call (or to stop). */
static void race_release(struct race *r, bool stop)
{
	pthread_mutex_lock(&r->lock);
	r->round++;
	r->stop = stop;
	pthread_cond_broadcast(&r->go);
	pthread_mutex_unlock(&r->lock);
}

/* Waits until *v >= want; false after RACE_STUCK_NS. */
static bool race_wait(atomic_ulong *v, unsigned long want)
{
	uint64_t start = race_now();

	while (atomic_load(v) < want) {
		if (race_now() - start > RACE_STUCK_NS)
			return false;
		sched_yield();
	}
	return true;
}

START_TEST(test_take_pending_race)
{
	static struct race r;
	struct race_taker t[RACE_TAKERS];
	pthread_t th[RACE_TAKERS];
	const long rounds = vmosal_test_rounds(100000, 2000);
	const uint64_t end = race_now() + 1000000000u;
	struct vmosal_siginfo si;
	sigset_t old;
	bool stuck = false;
	long n;

	memset(&r, 0, sizeof r);
	r.take = takers[_i];
	ck_assert_int_eq(pthread_mutex_init(&r.lock, NULL), 0);
	ck_assert_int_eq(pthread_cond_init(&r.go, NULL), 0);
	sigemptyset(&r.set);
	sigaddset(&r.set, SIGUSR1);
	/* Blocked in every thread (the takers inherit it), so that the
	 * process-directed signal stays pending until taken. */
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &r.set, &old), 0);
	for (int i = 0; i < RACE_TAKERS; i++) {
		t[i] = (struct race_taker){&r, i};
		ck_assert_int_eq(pthread_create(&th[i], NULL, race_take, &t[i]), 0);
	}
	for (n = 0; n < rounds && race_now() < end; n++) {
		ck_assert_int_eq(kill(getpid(), SIGUSR1), 0);
		race_release(&r, false);
		if (!race_wait(&r.done, (unsigned long)(n + 1) * RACE_TAKERS)) {
			stuck = true;
			break;
		}
		/* Exactly one call of the round took it. */
		if (atomic_load(&r.taken) != (unsigned long)n + 1)
			break;
	}
	/* The watchdog's rescue: a taker blocked in sigwait gets a signal of
	 * its own, so that the test fails instead of hanging. */
	for (int i = 0; stuck && i < RACE_TAKERS; i++)
		while (atomic_load(&r.in_call[i])) {
			pthread_kill(th[i], SIGUSR1);
			sched_yield();
		}
	race_wait(&r.done, (unsigned long)(n + 1) * RACE_TAKERS);
	race_release(&r, true);
	for (int i = 0; i < RACE_TAKERS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	/* Whatever the rescue left pending goes before the mask does. */
	while (posix_take_pending_locked(&r.set, &si) == 0)
		continue;
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
	ck_assert_msg(!stuck, "round %ld: a taker blocked, the non-blocking take waited", n);
	ck_assert_int_eq(atomic_load(&r.bad), 0);
	ck_assert_msg(atomic_load(&r.taken) == (unsigned long)n,
		      "round %ld: %lu signals taken", n, (unsigned long)atomic_load(&r.taken));
	ck_assert_int_gt(n, 0);
}
END_TEST

/* ---- the FIFO event (Darwin's), run here ---- */

static vmosal_handle_t fifo_event(void)
{
	vmosal_handle_t e = -1;

	ck_assert_int_eq(posix_event_create_in("/tmp", &e), 0);
	ck_assert_int_ge(e, 0);
	ck_assert_int_eq(fcntl(e, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	return e;
}

static void *fifo_signal_later(void *arg)
{
	struct timespec ts = {0, 20000000};

	nanosleep(&ts, NULL);
	ck_assert_int_eq(posix_event_notify(*(vmosal_handle_t *)arg), 0);
	return NULL;
}

/* The event contract (event.h) on the FIFO: not signalled at first, one
 * wait takes every signal, timeouts, a wake from another thread, a kick
 * pending, pollable, and nothing but such a FIFO accepted. */
START_TEST(test_fifo_event)
{
	vmosal_handle_t e = fifo_event(), blocking = fifo_event();
	struct pollfd pfd = {.fd = e, .events = POLLIN};
	uint32_t kicked = 1;
	pthread_t th;
	int p[2];

	ck_assert_int_eq(posix_event_wait(e, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(posix_event_notify(e), 0);
	ck_assert_int_eq(poll(&pfd, 1, 0), 1);
	ck_assert_int_eq(posix_event_wait(e, 0), 0);
	ck_assert_int_eq(posix_event_wait(e, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(posix_event_wait(e, 1000000), VMOSAL_ETIMEDOUT);
	/* Signalled far more often than the pipe holds: still one wait.
	 * Linux lets the pipe shrink to a page, so that this stays quick. */
	int times = 70000;
#ifdef F_SETPIPE_SZ
	if (fcntl(e, F_SETPIPE_SZ, 4096) >= 0)
		times = 5000;
#endif
	for (int i = 0; i < times; i++)
		ck_assert_int_eq(posix_event_notify(e), 0);
	ck_assert_int_eq(posix_event_wait(e, 0), 0);
	ck_assert_int_eq(posix_event_wait(e, 0), VMOSAL_ETIMEDOUT);
	/* Woken by another thread, without a limit. */
	ck_assert_int_eq(pthread_create(&th, NULL, fifo_signal_later, &e), 0);
	ck_assert_int_eq(posix_event_wait(e, -1), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	/* A pending kick ends the wait before the event is looked at. */
	ck_assert_int_eq(posix_event_notify(e), 0);
	ck_assert_int_eq(posix_event_wait_kick(e, -1, &kicked), VMOSAL_EINTR);
	ck_assert_int_eq(posix_event_wait(e, 0), 0);
	/* A blocking one could outlast the timeout: refused for waits. */
	ck_assert_int_eq(fcntl(blocking, F_SETFL, 0), 0);
	ck_assert_int_eq(posix_event_notify(blocking), 0);
	ck_assert_int_eq(posix_event_wait(blocking, 0), VMOSAL_EINVAL);
	/* Not events: a pipe's ends, a file. */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(posix_event_notify(p[1]), VMOSAL_EBADF);
	ck_assert_int_eq(posix_event_wait(p[0], 0), VMOSAL_EBADF);
	ck_assert_int_eq(posix_event_wait(-1, 0), VMOSAL_EBADF);
	close(p[0]);
	close(p[1]);
	close(blocking);
	close(e);
}
END_TEST

/* An event's count on the FIFO: the bytes a read drains; a SEMAPHORE
 * event (marked O_APPEND, so the mark is the open file's and holds in a
 * copy) gives one per read and per wait. Nothing but such a FIFO is read. */
START_TEST(test_fifo_event_read)
{
	vmosal_handle_t e = fifo_event(), s = -1, copy;
	uint64_t count = 0;
	int p[2];

	ck_assert_int_eq(posix_event_read(e, &count), VMOSAL_EAGAIN);
	for (int i = 0; i < 300; i++) /* more than one read's buffer */
		ck_assert_int_eq(posix_event_notify(e), 0);
	ck_assert_int_eq(posix_event_read(e, &count), 0);
	ck_assert_uint_eq(count, 300);
	ck_assert_int_eq(posix_event_read(e, &count), VMOSAL_EAGAIN);
	ck_assert_int_eq(posix_event_wait(e, 0), VMOSAL_ETIMEDOUT);

	ck_assert_int_eq(posix_event_create_at("/tmp", 0x80, &s), VMOSAL_ENOTSUP);
	ck_assert_int_eq(posix_event_create_at("/tmp", VMOSAL_EVENT_SEMAPHORE, &s), 0);
	ck_assert_int_eq(fcntl(s, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq((copy = fcntl(s, F_DUPFD_CLOEXEC, 0)) >= 0, 1);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(posix_event_notify(s), 0);
	for (int i = 0; i < 2; i++) {
		count = 0;
		ck_assert_int_eq(posix_event_read(i == 0 ? s : copy, &count), 0);
		ck_assert_uint_eq(count, 1);
	}
	ck_assert_int_eq(posix_event_wait(copy, 0), 0);
	ck_assert_int_eq(posix_event_wait(s, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(posix_event_read(s, &count), VMOSAL_EAGAIN);

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "ab", 2), 2);
	ck_assert_int_eq(posix_event_read(p[0], &count), VMOSAL_EBADF);
	ck_assert_int_eq(read(p[0], &count, 8), 2); /* nothing taken */
	close(p[0]);
	close(p[1]);
	close(copy);
	close(s);
	close(e);
}
END_TEST

/* Inherited by fork: the child signals the parent's event and waits on
 * one the parent signals. */
START_TEST(test_fifo_event_across_fork)
{
	vmosal_handle_t to_parent = fifo_event(), to_child = fifo_event();
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int ok = posix_event_notify(to_parent) == 0 &&
			 posix_event_wait(to_child, 10000000000ll) == 0;
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(posix_event_wait(to_parent, 10000000000ll), 0);
	ck_assert_int_eq(posix_event_notify(to_child), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(to_parent);
	close(to_child);
}
END_TEST

/* Sent over SCM_RIGHTS to a process that did not inherit it: that
 * process signals it and waits on it, as the device half does. */
START_TEST(test_fifo_event_over_scm_rights)
{
	char byte = 0;
	vmosal_handle_t e;
	int sv[2], status;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int got, ok;

		close(sv[0]);
		got = vmosal_test_recv_fd(sv[1]);
		ok = got >= 0 && posix_event_notify(got) == 0 &&
		     read(sv[1], &byte, 1) == 1 &&
		     posix_event_wait(got, 10000000000ll) == 0;
		_exit(ok ? 0 : 1);
	}
	close(sv[1]);
	/* Made after the fork: the child has it only through the message. */
	e = fifo_event();
	ck_assert(vmosal_test_send_fd(sv[0], e));
	ck_assert_int_eq(posix_event_wait(e, 10000000000ll), 0);
	ck_assert_int_eq(posix_event_notify(e), 0);
	ck_assert_int_eq(write(sv[0], &byte, 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(sv[0]);
	close(e);
}
END_TEST

START_TEST(test_kick_candidates)
{
	int cands[256];
	size_t n = posix_kick_candidates(false, cands, 256);

	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(cands[0], SIGUSR2);
	ck_assert_int_eq(cands[1], SIGUSR1);
	ck_assert_uint_eq(posix_kick_candidates(false, cands, 1), 1);
	ck_assert_uint_eq(posix_kick_candidates(false, cands, 0), 0);
#ifdef SIGRTMIN
	n = posix_kick_candidates(true, cands, 256);
	ck_assert_uint_eq(n, (size_t)(SIGRTMAX - SIGRTMIN + 1));
	ck_assert_int_eq(cands[0], SIGRTMIN);
#endif
}
END_TEST

/* Darwin's kick, on this host: a SIGUSR, which the signal registry then
 * refuses to take over. */
START_TEST(test_kick_without_realtime_signals)
{
	struct sigaction dfl;
	int cands[2], os = 0;
	size_t n = posix_kick_candidates(false, cands, 2);

	ck_assert_int_eq(posix_kick_setup_from(cands, n, &os), 0);
	ck_assert_int_eq(os, SIGUSR2);
	ck_assert_int_eq(posix_kick_os_signal(), SIGUSR2);
	ck_assert_int_eq(pthread_kill(pthread_self(), SIGUSR2), 0);
	ck_assert_int_eq(atomic_load(&test_services_kicks), 1);
	ck_assert_int_eq(posix_signal_install(VMOSAL_SIGUSR2), VMOSAL_EBUSY);
	/* The other SIGUSR stays the application's to register... */
	ck_assert_int_eq(posix_signal_install(VMOSAL_SIGUSR1), 0);
	/* ...and, once handled, is no kick candidate. */
	ck_assert_int_eq(posix_kick_setup_from(cands + 1, 1, &os), VMOSAL_EBUSY);
	ck_assert_int_eq(posix_signal_restore(VMOSAL_SIGUSR1), 0);
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGUSR2, &dfl, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("posix_shared");
	TCase *tc = tcase_create("shared");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_errno_translation);
	tcase_add_test(tc, test_stack_size);
	tcase_add_test(tc, test_timeout_ms);
	tcase_add_test(tc, test_shm_name);
	tcase_add_test(tc, test_shm_unnamed);
	tcase_add_test(tc, test_jit_unmap_one_view);
	tcase_add_test(tc, test_device_ioctl);
	tcase_add_loop_test(tc, test_take_pending, 0, 2);
	tcase_add_loop_test(tc, test_take_pending_race, 0, 2);
	tcase_add_test(tc, test_fifo_event);
	tcase_add_test(tc, test_fifo_event_read);
	tcase_add_test(tc, test_fifo_event_across_fork);
	tcase_add_test(tc, test_fifo_event_over_scm_rights);
	tcase_add_test(tc, test_kick_candidates);
	tcase_add_test(tc, test_kick_without_realtime_signals);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
