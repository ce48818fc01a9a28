/* Benchmark harness: batching, medians, ratios and the report table. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "vmosal.h"

#define BATCHES 31

static unsigned misses, cases;

uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double now_ns(void)
{
	return (double)bench_now_ns();
}

static double batch_ns(bench_fn fn, void *arg, uint64_t iters)
{
	double t0 = now_ns();
	fn(arg, iters);
	return (now_ns() - t0) / (double)iters;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof v[0], cmp_double);
	return v[n / 2];
}

/* Grows the batch until it lasts about 2 ms, so timer cost is noise. */
static uint64_t calibrate(bench_fn fn, void *arg)
{
	uint64_t iters = 1;
	while (iters < (1u << 30)) {
		double t0 = now_ns();
		fn(arg, iters);
		if (now_ns() - t0 > 2e6)
			break;
		iters *= 2;
	}
	return iters;
}

void bench_need_backend(const char *prog)
{
	char why[4096];

	if (vmosal_init() == 0)
		return;
	vmosal_backend_error(why, sizeof why);
	fprintf(stderr, "%s: no backend: %s\n", prog, why);
	exit(1);
}

void bench_begin(const char *title)
{
	cpu_set_t set;

	/* One CPU: migrations would show up as noise in every figure. */
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &set);
	sched_setaffinity(0, sizeof set, &set);
	printf("\n== %s ==\n", title);
	printf("%-38s %12s %12s %8s %9s  %s\n", "operation", "vmosal ns/op", "raw ns/op",
	       "ratio", "target", "raw primitive");
}

void bench_run(const struct bench_case *c)
{
	double lib[BATCHES], raw[BATCHES];
	uint64_t iters = c->iters != 0 ? c->iters : calibrate(c->lib, c->arg);
	double lib_med, raw_med = 0, ratio = 0;
	char target[32] = "";
	bool miss = false;

	c->lib(c->arg, iters); /* warm-up */
	if (c->raw != NULL)
		c->raw(c->arg, iters);
	for (int i = 0; i < BATCHES; i++) {
		lib[i] = batch_ns(c->lib, c->arg, iters);
		if (c->raw != NULL)
			raw[i] = batch_ns(c->raw, c->arg, iters);
	}
	lib_med = bench_median(lib, BATCHES);
	if (c->raw != NULL) {
		raw_med = bench_median(raw, BATCHES);
		ratio = raw_med > 0 ? lib_med / raw_med : 0;
	}
	if (c->target > 0) {
		snprintf(target, sizeof target, "<=%.2fx", c->target);
		miss = ratio > c->target;
	} else if (c->target_ns > 0) {
		snprintf(target, sizeof target, "<=%.0fns", c->target_ns);
		miss = lib_med > c->target_ns;
	}
	cases++;
	misses += miss;
	if (c->raw != NULL)
		printf("%-38s %12.2f %12.2f %8.3f %9s%s %s\n", c->op, lib_med, raw_med, ratio,
		       target, miss ? "!" : " ", c->raw_name);
	else
		printf("%-38s %12.2f %12s %8s %9s%s %s\n", c->op, lib_med, "-", "-", target,
		       miss ? "!" : " ", c->raw_name != NULL ? c->raw_name : "");
	fflush(stdout);
}

int bench_end(void)
{
	printf("%u cases, %u outside their target (marked !)\n", cases, misses);
	return 0;
}
