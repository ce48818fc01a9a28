/* Kicks, events, clocks and ioctl against the raw calls they wrap (Linux:
 * the raw side is tgkill, eventfd and KVM's ioctls). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "bench.h"
#include "vmosal.h"

#define BATCHES 31
#define KICKS_PER_BATCH 2000
#define LATENCY_SAMPLES 401

static int kick_sig;
static pid_t my_pid;

/* ---- kick send ----
 * The target is a registered kick target that keeps the kick signal
 * blocked, so a send only queues the signal: no wake-up, no handler. Kick
 * signals are realtime and queue one entry each (RLIMIT_SIGPENDING), so the
 * target takes them off with sigtimedwait between batches, outside the
 * timed part; bench_run times everything it calls, hence this file's own
 * loop of alternating batches for these rows. */
struct kick_sink {
	size_t cpu;
	int request, done; /* eventfds: "drain now" in, "drained" out */
	atomic_bool stop;
	_Atomic pid_t tid;
	pthread_t thread;
};

static void *sink_main(void *arg)
{
	struct kick_sink *k = arg;
	struct vmosal_kick_target target = VMOSAL_STRUCT_INIT(struct vmosal_kick_target);
	const struct timespec zero = {0, 0};
	vmosal_tid_t self = 0;
	uint64_t v, one = 1;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, kick_sig);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	vmosal_thread_set_affinity(VMOSAL_TID_SELF, &k->cpu, 1);
	if (vmosal_thread_kick_register(&target) != 0 || vmosal_thread_self(&self) != 0)
		self = 0;
	atomic_store(&k->tid, self != 0 ? (pid_t)self : -1);
	while (read(k->request, &v, sizeof v) == (ssize_t)sizeof v && !atomic_load(&k->stop)) {
		while (sigtimedwait(&set, NULL, &zero) == kick_sig)
			;
		if (write(k->done, &one, sizeof one) != (ssize_t)sizeof one)
			break;
	}
	vmosal_thread_kick_unregister();
	return NULL;
}

static bool sink_start(struct kick_sink *k, size_t cpu)
{
	pid_t tid;

	k->cpu = cpu;
	atomic_init(&k->stop, false);
	atomic_init(&k->tid, 0);
	k->request = eventfd(0, EFD_CLOEXEC);
	k->done = eventfd(0, EFD_CLOEXEC);
	if (k->request < 0 || k->done < 0 || pthread_create(&k->thread, NULL, sink_main, k) != 0)
		return false;
	while ((tid = atomic_load(&k->tid)) == 0)
		sched_yield();
	return tid > 0;
}

static void sink_drain(struct kick_sink *k)
{
	uint64_t v = 1;

	if (write(k->request, &v, sizeof v) != (ssize_t)sizeof v ||
	    read(k->done, &v, sizeof v) != (ssize_t)sizeof v)
		abort();
}

static void sink_stop(struct kick_sink *k)
{
	uint64_t one = 1;

	atomic_store(&k->stop, true);
	if (write(k->request, &one, sizeof one) == (ssize_t)sizeof one)
		pthread_join(k->thread, NULL);
	close(k->request);
	close(k->done);
}

static struct kick_sink sink;

static void lib_kick(void *arg, uint64_t n)
{
	vmosal_tid_t tid = (vmosal_tid_t)atomic_load(&((struct kick_sink *)arg)->tid);

	for (uint64_t i = 0; i < n; i++)
		vmosal_thread_kick(tid);
}

/* The same signal to the same thread; the pid was read once. */
static void raw_tgkill(void *arg, uint64_t n)
{
	long tid = (long)atomic_load(&((struct kick_sink *)arg)->tid);

	for (uint64_t i = 0; i < n; i++)
		syscall(SYS_tgkill, (long)my_pid, tid, (long)kick_sig);
}

static void raw_pthread_kill(void *arg, uint64_t n)
{
	pthread_t t = ((struct kick_sink *)arg)->thread;

	for (uint64_t i = 0; i < n; i++)
		pthread_kill(t, kick_sig);
}

/* ---- kick send, one signal each ----
 * A kick to a registered thread whose earlier signal has not arrived yet
 * sends none, so the blocking sink below takes one signal per batch. Here
 * the sender kicks itself, registered, with the signal unblocked: each
 * signal is delivered (to libvmosal's kick handler) as tgkill returns, on
 * both sides, and the flag is cleared after each kick, as the raw side
 * clears a flag of its own. */
static _Atomic uint32_t raw_self_flag;
static unsigned kick_misses;

static void lib_kick_self(void *arg, uint64_t n)
{
	vmosal_tid_t tid = *(vmosal_tid_t *)arg;
	bool pending;

	for (uint64_t i = 0; i < n; i++) {
		vmosal_thread_kick(tid);
		vmosal_thread_kick_pending(true, &pending);
	}
}

static void raw_kick_self(void *arg, uint64_t n)
{
	long tid = (long)*(vmosal_tid_t *)arg;

	for (uint64_t i = 0; i < n; i++) {
		atomic_store(&raw_self_flag, 1);
		syscall(SYS_tgkill, (long)my_pid, tid, (long)kick_sig);
		BENCH_KEEP(atomic_exchange(&raw_self_flag, 0));
	}
}

static double timed_self_kicks(bench_fn fn, vmosal_tid_t *self)
{
	uint64_t t0;
	double ns;

	t0 = bench_now_ns();
	fn(self, KICKS_PER_BATCH);
	ns = (double)(bench_now_ns() - t0) / KICKS_PER_BATCH;
	return ns;
}

static void kick_self_case(double target)
{
	struct vmosal_kick_target t = VMOSAL_STRUCT_INIT(struct vmosal_kick_target);
	double lib[BATCHES], rawv[BATCHES], lib_med, raw_med, ratio;
	vmosal_tid_t self = 0;
	bool miss;

	if (vmosal_thread_kick_register(&t) != 0 || vmosal_thread_self(&self) != 0)
		return;
	timed_self_kicks(lib_kick_self, &self);
	timed_self_kicks(raw_kick_self, &self);
	for (int i = 0; i < BATCHES; i++) {
		lib[i] = timed_self_kicks(lib_kick_self, &self);
		rawv[i] = timed_self_kicks(raw_kick_self, &self);
	}
	vmosal_thread_kick_unregister();
	lib_med = bench_median(lib, BATCHES);
	raw_med = bench_median(rawv, BATCHES);
	ratio = lib_med / raw_med;
	miss = ratio > target;
	kick_misses += miss;
	printf("%-38s %12.2f %12.2f %8.3f   <=%.2fx%s %s\n", "thread_kick+clear, registered self",
	       lib_med, raw_med, ratio, target, miss ? "!" : " ",
	       "tgkill + a flag set and cleared");
	fflush(stdout);
}

static double timed_kicks(bench_fn fn, struct kick_sink *k)
{
	uint64_t t0;
	double ns;

	sink_drain(k);
	t0 = bench_now_ns();
	fn(k, KICKS_PER_BATCH);
	ns = (double)(bench_now_ns() - t0) / KICKS_PER_BATCH;
	return ns;
}

/* Alternating batches and medians, as bench_run, printed as its rows. */
static void kick_send_case(const char *raw_name, bench_fn raw, double target)
{
	double lib[BATCHES], rawv[BATCHES], lib_med, raw_med, ratio;
	char goal[32] = "";
	bool miss = false;

	timed_kicks(lib_kick, &sink); /* warm-up */
	timed_kicks(raw, &sink);
	for (int i = 0; i < BATCHES; i++) {
		lib[i] = timed_kicks(lib_kick, &sink);
		rawv[i] = timed_kicks(raw, &sink);
	}
	sink_drain(&sink);
	lib_med = bench_median(lib, BATCHES);
	raw_med = bench_median(rawv, BATCHES);
	ratio = lib_med / raw_med;
	if (target > 0) {
		snprintf(goal, sizeof goal, "<=%.2fx", target);
		miss = ratio > target;
		kick_misses += miss;
	}
	printf("%-38s %12.2f %12.2f %8.3f %9s%s %s\n", "thread_kick, target blocks it", lib_med,
	       raw_med, ratio, goal, miss ? "!" : " ", raw_name);
	fflush(stdout);
}

/* ---- kick latency ----
 * The target waits in ppoll with the kick signal unblocked only in ppoll's
 * own mask (as thread.h tells a vCPU thread to), on another CPU than the
 * sender, and stamps the monotonic clock when ppoll returns EINTR. */
struct kick_waiter {
	size_t cpu;
	atomic_bool stop;
	atomic_bool armed;       /* set just before ppoll */
	_Atomic uint64_t woke;   /* stamp after ppoll returned EINTR; 0: none */
	_Atomic pid_t tid;
	pthread_t thread;
};

static void *waiter_main(void *arg)
{
	struct kick_waiter *w = arg;
	struct vmosal_kick_target target = VMOSAL_STRUCT_INIT(struct vmosal_kick_target);
	vmosal_tid_t self = 0;
	sigset_t set, open;
	bool pending;

	sigemptyset(&set);
	sigaddset(&set, kick_sig);
	pthread_sigmask(SIG_BLOCK, &set, &open);
	sigdelset(&open, kick_sig);
	if (vmosal_thread_set_affinity(VMOSAL_TID_SELF, &w->cpu, 1) != 0 ||
	    vmosal_thread_kick_register(&target) != 0 || vmosal_thread_self(&self) != 0)
		self = 0;
	atomic_store(&w->tid, self != 0 ? (pid_t)self : -1);
	while (self != 0 && !atomic_load(&w->stop)) {
		atomic_store(&w->armed, true);
		if (ppoll(NULL, 0, NULL, &open) < 0 && errno == EINTR) {
			atomic_store(&w->woke, bench_now_ns());
			vmosal_thread_kick_pending(true, &pending);
		}
	}
	vmosal_thread_kick_unregister();
	return NULL;
}

/* Sends one kick once the target has slept for a while; ns to its wake. */
static double latency_sample(struct kick_waiter *w, bool lib)
{
	pid_t tid = atomic_load(&w->tid);
	uint64_t t0, woke;

	while (!atomic_load(&w->armed))
		;
	/* Let it get into ppoll and its CPU go idle, as a halted vCPU's does. */
	t0 = bench_now_ns();
	while (bench_now_ns() - t0 < 200000)
		;
	atomic_store(&w->armed, false);
	t0 = bench_now_ns();
	if (lib)
		vmosal_thread_kick((vmosal_tid_t)tid);
	else
		syscall(SYS_tgkill, (long)my_pid, (long)tid, (long)kick_sig);
	while ((woke = atomic_load(&w->woke)) == 0)
		;
	atomic_store(&w->woke, 0);
	return (double)(woke - t0);
}

static void kick_latency_case(size_t cpu)
{
	static double lib[LATENCY_SAMPLES], raw[LATENCY_SAMPLES];
	struct kick_waiter w = {.cpu = cpu};

	atomic_init(&w.stop, false);
	atomic_init(&w.armed, false);
	atomic_init(&w.woke, 0);
	atomic_init(&w.tid, 0);
	if (pthread_create(&w.thread, NULL, waiter_main, &w) != 0)
		return;
	while (atomic_load(&w.tid) == 0)
		sched_yield();
	if (atomic_load(&w.tid) > 0) {
		for (int i = 0; i < LATENCY_SAMPLES; i++) {
			lib[i] = latency_sample(&w, true);
			raw[i] = latency_sample(&w, false);
		}
		double lib_med = bench_median(lib, LATENCY_SAMPLES);
		double raw_med = bench_median(raw, LATENCY_SAMPLES);

		printf("%-38s %12.2f %12.2f %8.3f %9s  %s\n", "kick latency, send to ppoll EINTR (us)",
		       lib_med / 1e3, raw_med / 1e3, lib_med / raw_med, "",
		       "tgkill, same target (informational)");
	}
	atomic_store(&w.stop, true);
	while (atomic_load(&w.tid) > 0 && !atomic_load(&w.armed))
		;
	if (atomic_load(&w.tid) > 0)
		vmosal_thread_kick((vmosal_tid_t)atomic_load(&w.tid));
	pthread_join(w.thread, NULL);
}

/* ---- events ---- */

struct event_pair {
	vmosal_handle_t lib;
	int raw; /* an eventfd made as the backend makes its own */
};

static void lib_event(void *arg, uint64_t n)
{
	const struct event_pair *e = arg;

	for (uint64_t i = 0; i < n; i++) {
		vmosal_event_notify(e->lib);
		vmosal_event_wait(e->lib, 0);
	}
}

static void raw_event(void *arg, uint64_t n)
{
	const struct event_pair *e = arg;
	uint64_t v = 1;

	for (uint64_t i = 0; i < n; i++) {
		BENCH_KEEP(write(e->raw, &v, sizeof v));
		BENCH_KEEP(read(e->raw, &v, sizeof v));
		v = 1;
	}
}

/* ---- clocks ---- */

static void lib_clock(void *arg, uint64_t n)
{
	uint64_t t = 0;

	(void)arg;
	for (uint64_t i = 0; i < n; i++) {
		vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t);
		BENCH_KEEP(t);
	}
}

/* What a caller writes to get nanoseconds. */
static void raw_clock(void *arg, uint64_t n)
{
	struct timespec ts;

	(void)arg;
	for (uint64_t i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		BENCH_KEEP((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
	}
}

/* ---- ioctl ---- */

struct ioctl_case {
	vmosal_handle_t lib;
	int raw;
	unsigned long request;
	void *arg; /* KVM_CHECK_EXTENSION: the capability, passed by value */
	bool by_value;
};

static void lib_ioctl(void *arg, uint64_t n)
{
	const struct ioctl_case *c = arg;
	int v = 0, r = 0;

	for (uint64_t i = 0; i < n; i++) {
		vmosal_ioctl(c->lib, c->request, c->by_value ? c->arg : &v, 0, &r);
		BENCH_KEEP(r);
	}
}

static void raw_ioctl(void *arg, uint64_t n)
{
	const struct ioctl_case *c = arg;
	int v = 0;

	for (uint64_t i = 0; i < n; i++)
		BENCH_KEEP(ioctl(c->raw, c->request, c->by_value ? c->arg : &v));
}

/* KVM_CHECK_EXTENSION on /dev/kvm when it opens, else FIONREAD on a pipe. */
static const char *ioctl_setup(struct ioctl_case *c, int fds[2])
{
	if (vmosal_device_open("/dev/kvm", VMOSAL_DEVICE_READ | VMOSAL_DEVICE_WRITE, &c->lib) == 0) {
		c->raw = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (c->raw >= 0) {
			c->request = KVM_CHECK_EXTENSION;
			c->arg = (void *)(uintptr_t)KVM_CAP_USER_MEMORY;
			c->by_value = true;
			return "ioctl KVM_CHECK_EXTENSION /dev/kvm";
		}
		vmosal_handle_close(c->lib);
	}
	if (pipe2(fds, O_CLOEXEC) != 0)
		return NULL;
	c->lib = fds[0];
	c->raw = fds[0];
	c->request = FIONREAD;
	c->by_value = false;
	return "ioctl FIONREAD on a pipe";
}

int main(void)
{
	size_t mine[4096], n = 0, cpu0 = 0;
	struct event_pair ev;
	struct ioctl_case io = {.lib = -1, .raw = -1};
	int fds[2] = {-1, -1};
	const char *io_name;

	bench_need_backend("bench_io");
	if (vmosal_thread_get_affinity(VMOSAL_TID_SELF, mine, 4096, &n) != 0 || n == 0 ||
	    vmosal_thread_kick_signal(&kick_sig) != 0 || kick_sig == 0) {
		fprintf(stderr, "bench_io: no affinity mask or no kick signal\n");
		return 1;
	}
	my_pid = getpid();
	/* The sender on the first CPU, the kicked thread on the second. */
	cpu0 = mine[0];
	vmosal_thread_set_affinity(VMOSAL_TID_SELF, &cpu0, 1);
	bench_begin("kicks, events, clocks, ioctl");

	kick_self_case(1.05);
	if (sink_start(&sink, mine[n > 1 ? 1 : 0])) {
		/* Not like for like: the sink keeps the signal blocked, so
		 * all but the first kick of a batch send no signal. */
		kick_send_case("tgkill (informational: coalesced)", raw_tgkill, 0);
		kick_send_case("pthread_kill (informational)", raw_pthread_kill, 0);
	}
	sink_stop(&sink);
	if (n > 1)
		kick_latency_case(mine[1]);
	else
		printf("%-38s  skipped: one CPU only\n", "kick latency");

	if (vmosal_event_create(0, &ev.lib) == 0 &&
	    (ev.raw = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) >= 0) {
		bench_run(&(struct bench_case){"event signal+wait(0), same thread", lib_event,
					       "eventfd write+read", raw_event, &ev, 0, 1.05, 0});
		vmosal_handle_close(ev.lib);
		close(ev.raw);
	}
	bench_run(&(struct bench_case){"clock_ns MONOTONIC", lib_clock,
				       "clock_gettime(MONOTONIC) -> ns", raw_clock, NULL, 0, 1.05,
				       0});
	io_name = ioctl_setup(&io, fds);
	if (io_name != NULL)
		bench_run(&(struct bench_case){"ioctl", lib_ioctl, io_name, raw_ioctl, &io, 0, 1.05,
					       0});
	if (fds[0] >= 0) {
		close(fds[0]);
		close(fds[1]);
	} else {
		vmosal_handle_close(io.lib);
		close(io.raw);
	}
	printf("(the kick send rows, timed here without the drain: %u outside their target)\n",
	       kick_misses);
	return bench_end();
}
