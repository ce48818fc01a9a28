/* The two-process ring (examples/vring.h) benchmarked twice: through
 * libvmosal (bench_ring.c: guest RAM, events, a wait set, a named
 * channel) and written with the raw Linux calls a vhost-user backend
 * makes (bench_ring_raw.c: memfd, eventfd, epoll, SCM_RIGHTS). Both run
 * the same ring code, so the difference is the OS layer. */
#ifndef VMOSAL_BENCH_RING_H
#define VMOSAL_BENCH_RING_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../examples/vring.h"

#define RING_MEM_SIZE ((uint64_t)2 << 20)
#define RING_REQUEST_SIZE 64u

/* One side's driver: the parent process's half of a ring whose device
 * runs in a child. seq numbers the requests, across batches. */
struct ring_driver_state {
	struct vring_driver drv;
	uint64_t seq;
};

/* Adds requests while there is room and fewer than *left remain to add. */
static inline void ring_bench_fill(struct ring_driver_state *r, uint64_t *left)
{
	uint8_t *buf;

	while (*left > 0 &&
	       (buf = vring_driver_add(&r->drv, RING_REQUEST_SIZE, r->seq, 0)) != NULL) {
		vring_fill(r->seq, buf, RING_REQUEST_SIZE);
		r->seq++;
		(*left)--;
	}
}

/* Takes completed requests, checking each; a wrong answer ends the run. */
static inline uint64_t ring_bench_collect(struct ring_driver_state *r)
{
	uint64_t seq, stamp, n = 0;
	const uint8_t *out;
	uint32_t len, written;
	int got;

	while ((got = vring_driver_get(&r->drv, &seq, &stamp, &out, &len, &written)) == 1) {
		if (written != len || !vring_check(seq, out, len)) {
			fprintf(stderr, "bench_ring: request %llu: wrong answer\n",
				(unsigned long long)seq);
			exit(1);
		}
		n++;
	}
	if (got < 0) {
		fprintf(stderr, "bench_ring: a used entry no request matches\n");
		exit(1);
	}
	return n;
}

/* The raw twin (bench_ring_raw.c). Starts a device child on device_cpu
 * (-1: where the parent runs) for a ring of num descriptors; NULL when it
 * cannot. ring_raw_run completes n requests. */
struct ring_raw;
struct ring_raw *ring_raw_start(uint32_t num, int device_cpu);
void ring_raw_run(void *arg, uint64_t n);
void ring_raw_stop(struct ring_raw *r);

/* Pins the calling process to cpu (-1: leaves it). */
void ring_pin(int cpu);

#endif
