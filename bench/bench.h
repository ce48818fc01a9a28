/* A small harness for libvmosal's benchmarks: every figure is a ratio
 * against the raw OS primitive measured in the same process, in alternating
 * batches, because absolute times drift by ~30% on a shared machine. */
#ifndef VMOSAL_BENCH_H
#define VMOSAL_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Runs the operation `iters` times; `arg` is the case's state. */
typedef void (*bench_fn)(void *arg, uint64_t iters);

struct bench_case {
	const char *op;       /* what libvmosal does, e.g. "barrier_full (inline)" */
	bench_fn lib;         /* libvmosal's version */
	const char *raw_name; /* the raw primitive, e.g. "gcc C11 seq_cst fence" */
	bench_fn raw;         /* NULL: report libvmosal's ns/op alone */
	void *arg;
	uint64_t iters;       /* per batch; 0 picks a batch of about 2 ms */
	double target;        /* ratio goal (lib/raw <= target); 0 for none */
	double target_ns;     /* absolute goal in ns/op for lib; 0 for none */
};

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* Sorts v[0..n) and returns its median. */
double bench_median(double *v, size_t n);

/* Loads the backend or exits saying why. */
void bench_need_backend(const char *prog);

/* Pins the process to one CPU, prints the table header. */
void bench_begin(const char *title);

/* Measures one case: alternating batches of lib and raw, median of each. */
void bench_run(const struct bench_case *c);

/* Prints the summary; returns 0 (targets are reported, never enforced here). */
int bench_end(void);

/* Keeps the compiler from deleting a computed value. */
#define BENCH_KEEP(x) __asm__ __volatile__("" : : "r"(x) : "memory")

#endif
