/* Wait sets, timers and event counts against the raw calls they wrap
 * (Linux: epoll_wait, timerfd and eventfd). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "vmosal.h"

/* ---- event -> wait-set wake-up in another thread ----
 * A ping-pong: this thread signals "ping" and waits for "pong"; the echo
 * thread, on another CPU, waits for ping in a set, takes it and signals
 * pong. Each round trip is two wake-ups through a wait set; both ends are
 * libvmosal's on one side, raw eventfd + epoll_wait on the other. */
struct echo {
	size_t cpu;
	bool lib;
	atomic_bool stop;
	vmosal_handle_t ping, pong; /* eventfds either way */
	vmosal_waitset_t *ws;       /* lib: the echo's set, and this thread's */
	vmosal_waitset_t *mine;
	int epfd, my_epfd; /* raw */
	pthread_t thread;
};

static void *echo_main(void *arg)
{
	struct echo *e = arg;
	struct vmosal_wait_event ready[1];
	struct epoll_event ev[1];
	uint64_t v = 1, count;
	size_t n;

	vmosal_thread_set_affinity(VMOSAL_TID_SELF, &e->cpu, 1);
	while (!atomic_load_explicit(&e->stop, memory_order_relaxed)) {
		if (e->lib) {
			if (vmosal_waitset_wait(e->ws, -1, ready, 1, &n) != 0 ||
			    vmosal_event_read(e->ping, &count) != 0)
				continue;
			vmosal_event_notify(e->pong);
		} else {
			if (epoll_wait(e->epfd, ev, 1, -1) != 1 ||
			    read(e->ping, &count, sizeof count) != (ssize_t)sizeof count)
				continue;
			BENCH_KEEP(write(e->pong, &v, sizeof v));
		}
	}
	return NULL;
}

static void lib_pingpong(void *arg, uint64_t iters)
{
	struct echo *e = arg;
	struct vmosal_wait_event ready[1];
	uint64_t count;
	size_t n;

	for (uint64_t i = 0; i < iters; i++) {
		vmosal_event_notify(e->ping);
		while (vmosal_waitset_wait(e->mine, -1, ready, 1, &n) != 0)
			;
		vmosal_event_read(e->pong, &count);
	}
}

static void raw_pingpong(void *arg, uint64_t iters)
{
	struct echo *e = arg;
	struct epoll_event ev[1];
	uint64_t v = 1, count;

	for (uint64_t i = 0; i < iters; i++) {
		BENCH_KEEP(write(e->ping, &v, sizeof v));
		while (epoll_wait(e->my_epfd, ev, 1, -1) != 1)
			;
		BENCH_KEEP(read(e->pong, &count, sizeof count));
	}
}

static bool echo_start(struct echo *e, bool lib, size_t cpu)
{
	e->lib = lib;
	e->cpu = cpu;
	atomic_init(&e->stop, false);
	if (vmosal_event_create(0, &e->ping) != 0 || vmosal_event_create(0, &e->pong) != 0)
		return false;
	if (lib) {
		if (vmosal_waitset_create(0, &e->ws) != 0 || vmosal_waitset_create(0, &e->mine) != 0 ||
		    vmosal_waitset_add(e->ws, e->ping, VMOSAL_WAIT_READABLE, 1) != 0 ||
		    vmosal_waitset_add(e->mine, e->pong, VMOSAL_WAIT_READABLE, 2) != 0)
			return false;
	} else {
		struct epoll_event ev = {.events = EPOLLIN};

		e->epfd = epoll_create1(EPOLL_CLOEXEC);
		e->my_epfd = epoll_create1(EPOLL_CLOEXEC);
		if (e->epfd < 0 || e->my_epfd < 0 ||
		    epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->ping, &ev) != 0 ||
		    epoll_ctl(e->my_epfd, EPOLL_CTL_ADD, e->pong, &ev) != 0)
			return false;
	}
	return pthread_create(&e->thread, NULL, echo_main, e) == 0;
}

static void echo_stop(struct echo *e)
{
	atomic_store(&e->stop, true);
	vmosal_event_notify(e->ping);
	pthread_join(e->thread, NULL);
	if (e->lib) {
		vmosal_waitset_destroy(e->ws);
		vmosal_waitset_destroy(e->mine);
	} else {
		close(e->epfd);
		close(e->my_epfd);
	}
	vmosal_handle_close(e->ping);
	vmosal_handle_close(e->pong);
}

/* Both echo threads live through the case, each asleep while the other's
 * batch runs. */
struct pingpong {
	struct echo lib, raw;
};

static void lib_pp(void *arg, uint64_t iters)
{
	lib_pingpong(&((struct pingpong *)arg)->lib, iters);
}

static void raw_pp(void *arg, uint64_t iters)
{
	raw_pingpong(&((struct pingpong *)arg)->raw, iters);
}

/* ---- waitset_wait(0) with one handle ready, same thread ---- */
struct ready_one {
	vmosal_waitset_t *ws;
	int epfd;
};

static void lib_wait0(void *arg, uint64_t iters)
{
	struct ready_one *r = arg;
	struct vmosal_wait_event ready[4];
	size_t n;

	for (uint64_t i = 0; i < iters; i++)
		BENCH_KEEP(vmosal_waitset_wait(r->ws, 0, ready, 4, &n));
}

static void raw_wait0(void *arg, uint64_t iters)
{
	struct ready_one *r = arg;
	struct epoll_event ev[4];

	for (uint64_t i = 0; i < iters; i++)
		BENCH_KEEP(epoll_wait(r->epfd, ev, 4, 0));
}

/* ---- a timer's expiry read ----
 * Periodic with a 1 ns period: every read finds at least one expiry (the
 * kernel re-arms a timerfd at each read), on both sides alike. */
struct timers {
	vmosal_handle_t lib;
	int raw;
};

static void lib_timer_read(void *arg, uint64_t iters)
{
	const struct timers *t = arg;
	uint64_t count = 0;

	for (uint64_t i = 0; i < iters; i++) {
		vmosal_timer_read(t->lib, &count);
		BENCH_KEEP(count);
	}
}

static void raw_timer_read(void *arg, uint64_t iters)
{
	const struct timers *t = arg;
	uint64_t count = 0;

	for (uint64_t i = 0; i < iters; i++) {
		BENCH_KEEP(read(t->raw, &count, sizeof count));
		BENCH_KEEP(count);
	}
}

/* ---- an event's count ---- */
struct events {
	vmosal_handle_t lib;
	int raw;
};

static void lib_event_read(void *arg, uint64_t iters)
{
	const struct events *e = arg;
	uint64_t count = 0;

	for (uint64_t i = 0; i < iters; i++) {
		vmosal_event_notify(e->lib);
		vmosal_event_read(e->lib, &count);
		BENCH_KEEP(count);
	}
}

static void raw_event_read(void *arg, uint64_t iters)
{
	const struct events *e = arg;
	uint64_t v = 1, count = 0;

	for (uint64_t i = 0; i < iters; i++) {
		BENCH_KEEP(write(e->raw, &v, sizeof v));
		BENCH_KEEP(read(e->raw, &count, sizeof count));
		BENCH_KEEP(count);
	}
}

int main(void)
{
	size_t mine[4096], n = 0;
	struct pingpong pp = {0};
	struct ready_one r = {0};
	struct timers t = {0};
	struct events ev = {0};
	vmosal_handle_t one;

	bench_need_backend("bench_wait");
	if (vmosal_thread_get_affinity(VMOSAL_TID_SELF, mine, 4096, &n) != 0 || n == 0) {
		fprintf(stderr, "bench_wait: no affinity mask\n");
		return 1;
	}
	vmosal_thread_set_affinity(VMOSAL_TID_SELF, &mine[0], 1);
	bench_begin("wait sets, timers, event counts");

	if (echo_start(&pp.lib, true, mine[n > 1 ? 1 : 0]) &&
	    echo_start(&pp.raw, false, mine[n > 1 ? 1 : 0])) {
		bench_run(&(struct bench_case){
			n > 1 ? "event -> waitset wake-up, other CPU" : "event -> waitset, one CPU",
			lib_pp, "eventfd write + epoll_wait, round trip", raw_pp, &pp, 200, 1.05, 0});
		echo_stop(&pp.lib);
		echo_stop(&pp.raw);
	}

	if (vmosal_waitset_create(0, &r.ws) == 0 && vmosal_event_create(0, &one) == 0 &&
	    (r.epfd = epoll_create1(EPOLL_CLOEXEC)) >= 0) {
		struct epoll_event e = {.events = EPOLLIN};

		vmosal_event_notify(one);
		if (vmosal_waitset_add(r.ws, one, VMOSAL_WAIT_READABLE, 1) == 0 &&
		    epoll_ctl(r.epfd, EPOLL_CTL_ADD, one, &e) == 0)
			bench_run(&(struct bench_case){"waitset_wait(0), one ready", lib_wait0,
						       "epoll_wait(0) (informational)", raw_wait0,
						       &r, 0, 0, 0});
		vmosal_waitset_destroy(r.ws);
		vmosal_handle_close(one);
		close(r.epfd);
	}

	if (vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &t.lib) == 0 &&
	    (t.raw = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) >= 0) {
		struct itimerspec its = {{0, 1}, {0, 1}};

		if (vmosal_timer_arm(t.lib, 1, 1) == 0 && timerfd_settime(t.raw, 0, &its, NULL) == 0)
			bench_run(&(struct bench_case){"timer_read, expired (1 ns period)",
						       lib_timer_read, "timerfd read", raw_timer_read,
						       &t, 0, 1.05, 0});
		vmosal_handle_close(t.lib);
		close(t.raw);
	}

	if (vmosal_event_create(0, &ev.lib) == 0 &&
	    (ev.raw = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) >= 0) {
		bench_run(&(struct bench_case){"event notify+read", lib_event_read,
					       "eventfd write+read", raw_event_read, &ev, 0, 1.05, 0});
		vmosal_handle_close(ev.lib);
		close(ev.raw);
	}
	return bench_end();
}
