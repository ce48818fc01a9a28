/* Darwin signal waits and signal descriptors (kqueue EVFILT_SIGNAL:
 * Darwin has neither sigtimedwait nor signalfd), and the kick
 * (pthread_kill); the handlers, the fault guard and the kick's signal are
 * posix_signal.c's. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/event.h>
#include <sys/types.h>

#include "darwin.h"

/* The user event of a signal descriptor that says "look at what is
 * pending"; its udata holds the descriptor's signals as a bit mask. */
#define DARWIN_SIGFD_PENDING 1

/* A kqueue, close-on-exec (it is never inherited by fork anyway). */
static int darwin_kqueue(void)
{
	int kq = kqueue();

	if (kq < 0)
		return posix_last_error();
	if (fcntl(kq, F_SETFD, FD_CLOEXEC) != 0) {
		int rc = posix_last_error();
		close(kq);
		return rc;
	}
	return kq;
}

/* kevent changes only, retried on EINTR. */
static int darwin_kevent_change(int kq, const struct kevent *changes, int n)
{
	while (kevent(kq, changes, n, NULL, 0, NULL) != 0)
		if (errno != EINTR)
			return posix_last_error();
	return 0;
}

static struct timespec *darwin_timespec(int64_t timeout_ns, struct timespec *ts)
{
	if (timeout_ns < 0)
		return NULL;
	ts->tv_sec = (time_t)(timeout_ns / 1000000000);
	ts->tv_nsec = (long)(timeout_ns % 1000000000);
	return ts;
}

/* ---- signals ---- */

/* A kqueue watching sigs[0..n), and the user event of a descriptor when
 * mask is not 0. */
static int darwin_signal_kqueue(const int *sigs, size_t n, uintptr_t mask)
{
	struct kevent ev;
	int kq = darwin_kqueue(), rc;

	if (kq < 0)
		return kq;
	for (size_t i = 0; i < n; i++) {
		EV_SET(&ev, (uintptr_t)posix_os_signal(sigs[i]), EVFILT_SIGNAL, EV_ADD, 0, 0,
		       NULL);
		if ((rc = darwin_kevent_change(kq, &ev, 1)) != 0)
			goto fail;
	}
	if (mask != 0) {
		struct kevent user[2];

		/* Triggered at once: signals pending before the kqueue
		 * existed never reach EVFILT_SIGNAL, which sees deliveries
		 * only. */
		EV_SET(&user[0], DARWIN_SIGFD_PENDING, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0,
		       (void *)mask);
		EV_SET(&user[1], DARWIN_SIGFD_PENDING, EVFILT_USER, 0, NOTE_TRIGGER, 0,
		       (void *)mask);
		if ((rc = darwin_kevent_change(kq, user, 2)) != 0)
			goto fail;
	}
	return kq;
fail:
	close(kq);
	return rc;
}

int darwin_signal_wait(const int *sigs, size_t n, int64_t timeout_ns,
		       struct vmosal_siginfo *out)
{
	uint64_t start = 0, now;
	struct timespec ts;
	struct kevent got;
	sigset_t set;
	int rc = posix_sigset(sigs, n, &set), kq;

	if (rc != 0)
		return rc;
	if ((rc = posix_take_pending(&set, out)) != VMOSAL_EAGAIN)
		return rc;
	if ((kq = darwin_signal_kqueue(sigs, n, 0)) < 0)
		return kq;
	darwin_clock_ns(VMOSAL_CLOCK_MONOTONIC, &start);
	for (;;) {
		int64_t left = timeout_ns;

		/* Again after the kqueue is there: one may have come between. */
		if ((rc = posix_take_pending(&set, out)) != VMOSAL_EAGAIN)
			break;
		if (timeout_ns > 0) {
			darwin_clock_ns(VMOSAL_CLOCK_MONOTONIC, &now);
			left = now - start >= (uint64_t)timeout_ns
				       ? 0
				       : timeout_ns - (int64_t)(now - start);
		}
		if (timeout_ns >= 0 && left == 0) {
			rc = VMOSAL_ETIMEDOUT;
			break;
		}
		if (kevent(kq, NULL, 0, &got, 1, darwin_timespec(left, &ts)) < 0 &&
		    errno != EINTR) {
			rc = posix_last_error();
			break;
		}
		/* A delivery, a timeout or a handler: look at what is
		 * pending and at the clock again. */
	}
	close(kq);
	return rc;
}

int darwin_signal_fd_create(const int *sigs, size_t n, vmosal_handle_t *out)
{
	uintptr_t mask = 0;
	sigset_t set;
	int rc = posix_sigset(sigs, n, &set), kq;

	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		mask |= (uintptr_t)1 << posix_os_signal(sigs[i]); /* Darwin: NSIG 32 */
	if ((kq = darwin_signal_kqueue(sigs, n, mask)) < 0)
		return kq;
	*out = kq;
	return 0;
}

/* The sigset of a descriptor's mask. */
static void darwin_set_of_mask(uintptr_t mask, sigset_t *set)
{
	sigemptyset(set);
	for (int os = 1; os < (int)(sizeof mask * 8); os++)
		if (mask & ((uintptr_t)1 << os))
			sigaddset(set, os);
}

int darwin_signal_fd_read(vmosal_handle_t h, struct vmosal_siginfo *out)
{
	const struct timespec zero = {0, 0};
	struct kevent got, again;
	sigset_t set;
	int n, rc;

	/* One event at a time: the rest stay queued for the next read. */
	while ((n = kevent(h, NULL, 0, &got, 1, &zero)) > 0) {
		if (got.filter == EVFILT_USER) {
			darwin_set_of_mask((uintptr_t)got.udata, &set);
			if ((rc = posix_take_pending(&set, out)) == VMOSAL_EAGAIN)
				continue;
			/* More may be pending: look again on the next read. */
			EV_SET(&again, DARWIN_SIGFD_PENDING, EVFILT_USER, 0, NOTE_TRIGGER, 0,
			       got.udata);
			darwin_kevent_change(h, &again, 1);
			return rc;
		}
		if (got.filter != EVFILT_SIGNAL)
			continue;
		sigemptyset(&set);
		sigaddset(&set, (int)got.ident);
		/* Taken already (a handler ran, or a sigwait elsewhere): as
		 * with signalfd, only a pending signal is read. */
		if ((rc = posix_take_pending(&set, out)) != VMOSAL_EAGAIN)
			return rc;
	}
	if (n < 0 && errno != EINTR)
		return posix_last_error();
	return VMOSAL_EAGAIN;
}

/* ---- the kick ---- */

int darwin_thread_kick(uint64_t tid)
{
	int sig = posix_kick_os_signal();
	mach_port_t port;
	pthread_t thread;
	int rc;

	if (sig == 0)
		return VMOSAL_ENOTSUP;
	if ((rc = darwin_thread_of(tid, &port, &thread)) != 0)
		return rc;
	rc = pthread_kill(thread, sig);
	return rc == ESRCH ? VMOSAL_ESRCH : posix_error_from_errno(rc);
}
