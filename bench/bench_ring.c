/* The two-process ring through libvmosal against its raw twin
 * (bench_ring.h): requests/s of each, measured in alternating batches in
 * one run. The target: libvmosal's requests/s at least 0.95x raw's. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "bench_ring.h"
#include "vmosal.h"

#define BATCHES 31
#define TARGET_RATIO 0.95

struct ring_lib {
	struct ring_driver_state d;
	struct vmosal_guest_ram ram;
	vmosal_handle_t kick, call, ch;
	vmosal_waitset_t *ws;
	pid_t child;
};

static void lib_die(const char *what, int rc)
{
	fprintf(stderr, "bench_ring (libvmosal device): %s: %s\n", what, vmosal_strerror(rc));
	_exit(1);
}

/* The child: connects, maps the RAM it is sent, serves until the channel
 * tells it to stop or hangs up. */
static void lib_device(const char *name, int cpu)
{
	vmosal_handle_t ch, h[3];
	struct vmosal_channel_msg got = VMOSAL_STRUCT_INIT(struct vmosal_channel_msg);
	struct vmosal_wait_event ev[2];
	struct vring_device dev;
	struct vring_msg msg;
	vmosal_waitset_t *ws;
	uint64_t count;
	void *mem;
	size_t n;
	int rc;

	ring_pin(cpu);
	if ((rc = vmosal_channel_connect(name, 0, &ch)) != 0)
		lib_die("channel_connect", rc);
	if ((rc = vmosal_channel_recv(ch, &msg, sizeof msg, h, 3, -1, &got)) != 0)
		lib_die("channel_recv", rc);
	if (got.nhandles != 3)
		lib_die("channel_recv", VMOSAL_EINVAL);
	if ((rc = vmosal_mmap(NULL, (size_t)msg.layout.mem_size,
			      VMOSAL_PROT_READ | VMOSAL_PROT_WRITE, VMOSAL_MAP_SHARED, h[0], 0,
			      &mem)) != 0)
		lib_die("mmap", rc);
	if (!vring_device_init(&dev, mem, msg.layout.mem_size, &msg.layout))
		lib_die("vring_device_init", VMOSAL_EINVAL);
	if ((rc = vmosal_waitset_create(0, &ws)) != 0 ||
	    (rc = vmosal_waitset_add(ws, h[1], VMOSAL_WAIT_READABLE, 0)) != 0 ||
	    (rc = vmosal_waitset_add(ws, ch, VMOSAL_WAIT_READABLE, 1)) != 0)
		lib_die("waitset", rc);
	for (;;) {
		rc = vmosal_waitset_wait(ws, -1, ev, 2, &n);
		if (rc == VMOSAL_EINTR)
			continue;
		if (rc != 0)
			lib_die("waitset_wait", rc);
		for (size_t i = 0; i < n; i++) {
			if (ev[i].token != 0)
				_exit(0); /* STOP, or the parent is gone */
			rc = vmosal_event_read(h[1], &count);
			if (rc != 0 && rc != VMOSAL_EAGAIN)
				lib_die("event_read", rc);
			int served = vring_device_serve(&dev);
			if (served < 0)
				lib_die("serve", VMOSAL_EINVAL);
			if (served > 0 && (rc = vmosal_event_notify(h[2])) != 0)
				lib_die("event_notify", rc);
		}
	}
}

static struct ring_lib *ring_lib_start(uint32_t num, int device_cpu)
{
	struct vmosal_guest_ram_options ro = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram_options);
	struct vring_layout l;
	struct vring_msg msg = {VRING_MAGIC, VRING_MSG_SETUP, 0, {0}};
	struct ring_lib *r;
	vmosal_handle_t lst;
	char name[108];
	int rc;

	if (!vring_layout_init(&l, num, RING_REQUEST_SIZE, RING_MEM_SIZE) ||
	    (r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	snprintf(name, sizeof name, "%s/bench-ring-lib.%d",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp", (int)getpid());
	ro.flags = VMOSAL_GUEST_FD;
	ro.pages = VMOSAL_PAGES_BASE;
	r->ram.struct_size = sizeof r->ram;
	if ((rc = vmosal_guest_ram_create(RING_MEM_SIZE, &ro, &r->ram)) != 0 ||
	    (rc = vmosal_event_create(0, &r->kick)) != 0 ||
	    (rc = vmosal_event_create(0, &r->call)) != 0 ||
	    (rc = vmosal_waitset_create(0, &r->ws)) != 0 ||
	    (rc = vmosal_waitset_add(r->ws, r->call, VMOSAL_WAIT_READABLE, 0)) != 0 ||
	    (rc = vmosal_channel_listen(name, 0, &lst)) != 0) {
		fprintf(stderr, "bench_ring: libvmosal ring: %s\n", vmosal_strerror(rc));
		return NULL;
	}
	vring_driver_init(&r->d.drv, r->ram.addr, &l);
	fflush(NULL);
	if ((r->child = fork()) == 0)
		lib_device(name, device_cpu);
	rc = vmosal_channel_accept(lst, -1, &r->ch);
	vmosal_handle_close(lst);
	if (r->child < 0 || rc != 0)
		return NULL;
	msg.layout = l;
	if (vmosal_channel_send(r->ch, &msg, sizeof msg,
				(vmosal_handle_t[3]){r->ram.handle, r->kick, r->call}, 3) != 0)
		return NULL;
	return r;
}

/* The driver's loop, as ring_raw_run's, through libvmosal. */
static void ring_lib_run(void *arg, uint64_t n)
{
	struct ring_lib *r = arg;
	struct vmosal_wait_event ev;
	uint64_t left = n, done = 0, count;
	size_t got;
	int rc;

	while (done < n) {
		ring_bench_fill(&r->d, &left);
		if (vring_driver_publish(&r->d.drv) != 0 && vmosal_event_notify(r->kick) != 0)
			abort();
		rc = vmosal_waitset_wait(r->ws, -1, &ev, 1, &got);
		if (rc != 0 && rc != VMOSAL_EINTR)
			abort();
		rc = vmosal_event_read(r->call, &count);
		if (rc != 0 && rc != VMOSAL_EAGAIN)
			abort();
		done += ring_bench_collect(&r->d);
	}
}

static void ring_lib_stop(struct ring_lib *r)
{
	struct vring_msg stop = {VRING_MAGIC, VRING_MSG_STOP, 0, r != NULL ? r->d.drv.l : (struct vring_layout){0}};

	if (r == NULL)
		return;
	/* Said, not left to the hang-up: the other ring's child, forked
	 * after this channel was made, holds a copy of this end. */
	vmosal_channel_send(r->ch, &stop, sizeof stop, NULL, 0);
	vmosal_handle_close(r->ch);
	waitpid(r->child, NULL, 0);
	vmosal_waitset_destroy(r->ws);
	vmosal_handle_close(r->kick);
	vmosal_handle_close(r->call);
	vmosal_guest_ram_destroy(&r->ram);
	free(r);
}

static double batch_ns(bench_fn fn, void *arg, uint64_t requests)
{
	uint64_t t0 = bench_now_ns();

	fn(arg, requests);
	return (double)(bench_now_ns() - t0) / (double)requests;
}

static unsigned misses;

/* Alternating batches, medians, printed as bench_run's rows, then the
 * issue's figure: requests/s and their ratio. */
static void ring_case(const char *op, uint32_t num, uint64_t batch, int device_cpu)
{
	struct ring_lib *lib = ring_lib_start(num, device_cpu);
	struct ring_raw *raw = ring_raw_start(num, device_cpu);
	double l[BATCHES], w[BATCHES], lm, wm, ratio;

	if (lib == NULL || raw == NULL) {
		printf("%-38s  skipped: a ring could not be set up\n", op);
		ring_lib_stop(lib);
		ring_raw_stop(raw);
		return;
	}
	batch_ns(ring_lib_run, lib, batch); /* warm-up */
	batch_ns(ring_raw_run, raw, batch);
	for (int i = 0; i < BATCHES; i++) {
		l[i] = batch_ns(ring_lib_run, lib, batch);
		w[i] = batch_ns(ring_raw_run, raw, batch);
	}
	lm = bench_median(l, BATCHES);
	wm = bench_median(w, BATCHES);
	ratio = wm / lm; /* requests/s, libvmosal's over raw's */
	misses += ratio < TARGET_RATIO;
	printf("%-38s %12.2f %12.2f %8.3f %9s%s %s\n", op, lm, wm, lm / wm, "<=1.05x",
	       ratio < TARGET_RATIO ? "!" : " ", "memfd+eventfd+epoll+SCM_RIGHTS");
	printf("  requests/s: libvmosal %.0f, raw %.0f, ratio %.3f (target >= %.2f)%s\n", 1e9 / lm,
	       1e9 / wm, ratio, TARGET_RATIO, ratio < TARGET_RATIO ? " !" : "");
	fflush(stdout);
	ring_lib_stop(lib);
	ring_raw_stop(raw);
}

int main(void)
{
	bench_need_backend("bench_ring");
	/* Everything on the one CPU bench_begin pins to, the device children
	 * included: driver and device then take turns, each cycle a full
	 * ring, the same for both rings. Spread over CPUs, how the scheduler
	 * placed the two processes (and what else ran) decided the batch
	 * sizes, and ratios swung from 0.3 to 1 between runs. */
	bench_begin("two-process ring, driver and device on one CPU (ns per request)");
	/* Batches of tens of milliseconds, so that wake-ups average out. */
	ring_case("ring of 256, 128 requests in flight", 256, 8192, -1);
	ring_case("ring of 2, one request in flight", 2, 512, -1);
	/* Its own count: bench_end counts bench_run's cases only. */
	printf("2 cases, %u below their requests/s target (marked !)\n", misses);
	return 0;
}
