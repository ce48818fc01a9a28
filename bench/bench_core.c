/* Foundation benchmarks: barriers, cached platform queries, and the fault
 * guard's fast path. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "vmosal.h"

static void inline_full(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++)
		vmosal_barrier_full();
}

static void exported_full(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++)
		vmosal_barrier_full_fn();
}

static void c11_fence(void *arg, uint64_t n)
{
	(void)arg;
	/* The empty asm stops clang merging the loop's fences into one. */
	for (uint64_t i = 0; i < n; i++) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		__asm__ __volatile__("" ::: "memory");
	}
}

#if defined(__x86_64__)
/* What gcc emits for a C11 seq_cst fence, whichever compiler builds this. */
static void gcc_fence(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++)
		__asm__ __volatile__("lock; orq $0, (%%rsp)" ::: "memory", "cc");
}

static void mfence(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++)
		__asm__ __volatile__("mfence" ::: "memory");
}
#endif

static void inline_acquire(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++)
		vmosal_barrier_acquire();
}

static void c11_acquire(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++) {
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		__asm__ __volatile__("" ::: "memory");
	}
}

static void host_os(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++)
		BENCH_KEEP(vmosal_host_os());
}

static void page_size(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++)
		BENCH_KEEP(vmosal_page_size());
}

static void raw_page_size(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++)
		BENCH_KEEP(sysconf(_SC_PAGESIZE));
}

static void cpu_count(void *arg, uint64_t n)
{
	size_t cpus;

	(void)arg;
	for (uint64_t i = 0; i < n; i++) {
		vmosal_cpu_count(VMOSAL_CPUS_ONLINE, &cpus);
		BENCH_KEEP(cpus);
	}
}

static void raw_cpu_count(void *arg, uint64_t n)
{
	(void)arg;
	for (uint64_t i = 0; i < n; i++)
		BENCH_KEEP(sysconf(_SC_NPROCESSORS_ONLN));
}

/* ---- the fault guard around a 64-byte copy from guest memory ---- */

struct copy64 {
	char src[64];
	char dst[64];
};

static int __attribute__((noinline)) copy_64(void *arg)
{
	struct copy64 *c = arg;

	memcpy(c->dst, c->src, sizeof c->dst);
	__asm__ __volatile__("" : : "r"(c) : "memory");
	return 0;
}

static void guard_copy(void *arg, uint64_t n)
{
	struct vmosal_siginfo fault = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);

	for (uint64_t i = 0; i < n; i++)
		BENCH_KEEP(vmosal_fault_guard(copy_64, arg, &fault));
}

/* What a VMM writes by hand: a handler installed once (raw_fault_handler,
 * not installed here: nothing faults in the timed loop, and it would
 * displace libvmosal's), a thread-local jump buffer, sigsetjmp without
 * the mask. A function of its own, as a guard helper is. */
static _Thread_local sigjmp_buf *raw_jump;

static void __attribute__((unused)) raw_fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (raw_jump == NULL) {
		signal(sig, SIG_DFL);
		return;
	}
	pthread_sigmask(SIG_SETMASK, &((ucontext_t *)uc)->uc_sigmask, NULL);
	siglongjmp(*raw_jump, 1);
}

static int __attribute__((noinline)) raw_guard(int (*fn)(void *), void *arg)
{
	sigjmp_buf env, *outer = raw_jump;
	int rc;

	if (sigsetjmp(env, 0) != 0) {
		raw_jump = outer;
		return -1;
	}
	raw_jump = &env;
	rc = fn(arg);
	raw_jump = outer;
	return rc;
}

static void raw_guard_copy(void *arg, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		BENCH_KEEP(raw_guard(copy_64, arg));
}

int main(void)
{
	static struct copy64 copy;

	bench_need_backend("bench_core");
	bench_begin("barriers and platform queries");
#if defined(__x86_64__)
	bench_run(&(struct bench_case){"barrier_full (inline)", inline_full,
				       "gcc C11 seq_cst fence (lock or)", gcc_fence,
				       NULL, 0, 1.10, 0});
	bench_run(&(struct bench_case){"barrier_full (inline)", inline_full,
				       "this compiler's C11 seq_cst fence", c11_fence,
				       NULL, 0, 0, 0});
	bench_run(&(struct bench_case){"barrier_full (inline)", inline_full, "mfence",
				       mfence, NULL, 0, 0, 0});
	bench_run(&(struct bench_case){"barrier_full_fn (exported)", exported_full,
				       "gcc C11 seq_cst fence (lock or)", gcc_fence,
				       NULL, 0, 0, 0});
#else
	bench_run(&(struct bench_case){"barrier_full (inline)", inline_full,
				       "C11 seq_cst fence", c11_fence, NULL, 0, 1.10, 0});
	bench_run(&(struct bench_case){"barrier_full_fn (exported)", exported_full,
				       "C11 seq_cst fence", c11_fence, NULL, 0, 0, 0});
#endif
	bench_run(&(struct bench_case){"barrier_acquire (inline)", inline_acquire,
				       "C11 acquire fence", c11_acquire, NULL, 0, 0, 0});
	bench_run(&(struct bench_case){"host_os (cached)", host_os, NULL, NULL, NULL, 0, 0,
				       10});
	bench_run(&(struct bench_case){"page_size (cached)", page_size,
				       "sysconf(_SC_PAGESIZE)", raw_page_size, NULL, 0, 0, 10});
	bench_run(&(struct bench_case){"cpu_count online (cached)", cpu_count,
				       "sysconf(_SC_NPROCESSORS_ONLN)", raw_cpu_count, NULL, 0, 0,
				       10});
	/* The first guard installs the handlers, outside the timed batches. */
	vmosal_fault_guard(copy_64, &copy, NULL);
	bench_run(&(struct bench_case){"fault_guard 64-byte copy", guard_copy,
				       "handler once, TLS sigjmp_buf, sigsetjmp(env, 0)",
				       raw_guard_copy, &copy, 0, 1.50, 0});
	return bench_end();
}
