/* Barriers: litmus tests on two CPUs, and the instructions they emit. */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vmosal.h"

enum { ROUNDS = 1000000, MAX_WEAK_ROUNDS = 4000000, VALGRIND_ROUNDS = 2000 };

/* Valgrind runs one thread at a time: a spin-wait lasts until it switches
 * threads, and no store is ever reordered. There the litmus tests run a
 * few rounds, yield instead of spinning, and do not look for reordering.
 * VMOSAL_TEST_VALGRIND says so where valgrind.h was missing at build time. */
static bool under_valgrind(void)
{
	return vmosal_test_under_valgrind();
}

static bool slow;

static unsigned rounds(unsigned n)
{
	return slow && n > VALGRIND_ROUNDS ? VALGRIND_ROUNDS : n;
}

/* One turn of a spin-wait. */
static void pause_spin(void)
{
	if (slow)
		sched_yield();
	else
		vmosal_cpu_relax();
}

/* Each shared variable has a cache line of its own: with x and y on one
 * line the line's ownership moves between the CPUs with every store, which
 * all but hides the store buffer (seen here: about 1 reordering in 1M
 * rounds on one line, thousands on separate lines). */
#define LITMUS_LINE _Alignas(128)

struct litmus {
	LITMUS_LINE _Atomic unsigned arrive0; /* round side 0 has reached */
	LITMUS_LINE _Atomic unsigned arrive1;
	LITMUS_LINE _Atomic int x;
	LITMUS_LINE _Atomic int y;
	LITMUS_LINE int r0;
	LITMUS_LINE int r1;
	LITMUS_LINE bool full_barrier;
	unsigned rounds;
	bool stop_at_first;
	unsigned observed;
};

static bool pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

/* The first two CPUs of the process, read before any thread is pinned. */
static int cpus[2] = {-1, -1};

static void find_cpus(void)
{
	cpu_set_t set;
	int seen = 0;

	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE && seen < 2; cpu++)
		if (CPU_ISSET(cpu, &set))
			cpus[seen++] = cpu;
}

static int usable_cpu(int nth)
{
	return cpus[nth];
}

/* Both sides meet at round r before racing, so their stores and loads
 * overlap in time, which is what lets the store buffer show. */
static void meet(struct litmus *t, int side, unsigned r)
{
	atomic_store_explicit(side == 0 ? &t->arrive0 : &t->arrive1, r, memory_order_release);
	while (atomic_load_explicit(side == 0 ? &t->arrive1 : &t->arrive0,
				    memory_order_acquire) < r)
		pause_spin();
}

/* Store buffering: x=1; fence; r0=y  ||  y=1; fence; r1=x. r0 == r1 == 0 is
 * allowed with a compiler barrier only and forbidden with a full barrier. */
static void sb_side(struct litmus *t, int side)
{
	_Atomic int *mine = side == 0 ? &t->x : &t->y;
	_Atomic int *theirs = side == 0 ? &t->y : &t->x;

	for (unsigned r = 1; r <= t->rounds; r++) {
		meet(t, side, 3 * r - 2);
		atomic_store_explicit(mine, 1, memory_order_relaxed);
		if (t->full_barrier)
			vmosal_barrier_full();
		else
			vmosal_barrier_compiler();
		(side == 0 ? &t->r0 : &t->r1)[0] =
			atomic_load_explicit(theirs, memory_order_relaxed);
		meet(t, side, 3 * r - 1);
		if (side == 0) {
			if (t->r0 == 0 && t->r1 == 0)
				t->observed++;
			atomic_store_explicit(&t->x, 0, memory_order_relaxed);
			atomic_store_explicit(&t->y, 0, memory_order_relaxed);
		}
		/* Side 0 decides whether to stop; side 1 learns it next round. */
		meet(t, side, 3 * r);
		if (t->stop_at_first && t->observed > 0)
			return;
	}
}

static void *sb_thread(void *arg)
{
	struct litmus *t = arg;

	pin_to(usable_cpu(1));
	sb_side(t, 1);
	return NULL;
}

static unsigned run_sb(bool full, unsigned rounds, bool stop_at_first)
{
	struct litmus t;
	pthread_t thread;

	memset(&t, 0, sizeof t);
	t.full_barrier = full;
	t.rounds = rounds;
	t.stop_at_first = stop_at_first;
	ck_assert(pin_to(usable_cpu(0)));
	ck_assert_int_eq(pthread_create(&thread, NULL, sb_thread, &t), 0);
	sb_side(&t, 0);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	return t.observed;
}

static bool two_cpus(void)
{
	return usable_cpu(1) >= 0;
}

START_TEST(test_store_buffering_shows_without_fence)
{
	if (!two_cpus())
		VMOSAL_SKIP("needs two usable CPUs");
	if (slow)
		VMOSAL_SKIP("valgrind runs one thread at a time: no store is reordered");
	/* Proves the test can see reordering at all; otherwise the next test
	 * would pass without proving anything. Some qemu-user targets never
	 * show it (riscv64 in qemu 7.2): there the next test cannot fail, and
	 * tests/barrier-disasm.test is the proof. */
	unsigned seen = run_sb(false, MAX_WEAK_ROUNDS, true);

	if (seen == 0 && vmosal_test_emulator() != NULL)
		VMOSAL_SKIP("store buffering never shows under this emulator: the full "
			    "barrier's litmus test cannot fail here");
	ck_assert_msg(seen > 0, "store buffering never observed with a compiler barrier only");
}
END_TEST

START_TEST(test_store_buffering_forbidden_with_full_barrier)
{
	if (!two_cpus())
		VMOSAL_SKIP("needs two usable CPUs");
	ck_assert_uint_eq(run_sb(true, rounds(ROUNDS), false), 0);
}
END_TEST

/* Message passing: data; release; flag  ||  flag; acquire; data. */
struct mp {
	LITMUS_LINE _Atomic unsigned data;
	LITMUS_LINE _Atomic unsigned flag;
	LITMUS_LINE _Atomic unsigned ack;
};

static void *mp_writer(void *arg)
{
	struct mp *m = arg;

	pin_to(usable_cpu(1));
	for (unsigned i = 1; i <= rounds(ROUNDS); i++) {
		while (atomic_load_explicit(&m->ack, memory_order_acquire) != i - 1)
			pause_spin();
		atomic_store_explicit(&m->data, i, memory_order_relaxed);
		vmosal_barrier_release();
		atomic_store_explicit(&m->flag, i, memory_order_relaxed);
	}
	return NULL;
}

/* Why message passing cannot fail where it runs, or NULL: a TSO CPU never
 * reorders two loads or two stores, nor does qemu-user's translated code
 * on such a host. There tests/barrier-disasm.test is the proof. */
static const char *message_passing_cannot_fail(void)
{
	const char *host = getenv("VMOSAL_TEST_EMULATOR_HOST");

	if (vmosal_test_emulator() != NULL && host != NULL &&
	    (strcmp(host, "x86_64") == 0 || strcmp(host, "i686") == 0))
		return "emulated on an x86 host, whose TSO keeps loads and stores in order";
#if defined(__x86_64__) || defined(__i386__)
	return "x86 is TSO: loads and stores stay in order without a fence";
#else
	return NULL;
#endif
}

START_TEST(test_message_passing)
{
	struct mp m;
	pthread_t thread;
	unsigned stale = 0;

	if (!two_cpus())
		VMOSAL_SKIP("needs two usable CPUs");
	memset(&m, 0, sizeof m);
	pin_to(usable_cpu(0));
	ck_assert_int_eq(pthread_create(&thread, NULL, mp_writer, &m), 0);
	for (unsigned i = 1; i <= rounds(ROUNDS); i++) {
		while (atomic_load_explicit(&m.flag, memory_order_relaxed) != i)
			pause_spin();
		vmosal_barrier_acquire();
		stale += atomic_load_explicit(&m.data, memory_order_relaxed) != i;
		atomic_store_explicit(&m.ack, i, memory_order_release);
	}
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	ck_assert_uint_eq(stale, 0);
}
END_TEST

#if defined(__x86_64__)
static __attribute__((noinline)) void inline_full(void) { vmosal_barrier_full(); }
static __attribute__((noinline)) void inline_acquire(void) { vmosal_barrier_acquire(); }
static __attribute__((noinline)) void inline_release(void) { vmosal_barrier_release(); }
static __attribute__((noinline)) void inline_mandatory(void) { vmosal_barrier_mandatory(); }

/* The function's bytes up to its first ret (these bodies are tiny). */
static size_t code_of(void (*fn)(void), unsigned char *buf, size_t cap)
{
	const unsigned char *p;
	size_t n = 0;

	memcpy(&p, &fn, sizeof p);
	while (n < cap && (n == 0 || buf[n - 1] != 0xc3))
		buf[n] = p[n], n++;
	return n;
}

static bool contains(const unsigned char *code, size_t n, const char *bytes, size_t len)
{
	for (size_t i = 0; i + len <= n; i++)
		if (memcmp(code + i, bytes, len) == 0)
			return true;
	return false;
}

/* TSan brackets every function, these too, with calls into its runtime:
 * the bytes are then not those a build without it ships. */
#if defined(__SANITIZE_THREAD__)
#define CALLS_INSTRUMENTED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CALLS_INSTRUMENTED 1
#endif
#endif

#define MFENCE "\x0f\xae\xf0"
#define LOCK_OR_RSP "\xf0\x48\x83\x0c\x24\x00" /* lock orq $0,(%rsp) */

static void expect_no_fence(void (*fn)(void), const char *what)
{
	unsigned char code[64];
	size_t n = code_of(fn, code, sizeof code);

	ck_assert_msg(!contains(code, n, "\xf0", 1), "%s emits a locked instruction", what);
	ck_assert_msg(!contains(code, n, "\x0f\xae", 2), "%s emits a fence", what);
}

static void expect_locked_rmw(void (*fn)(void), const char *what)
{
	unsigned char code[64];
	size_t n = code_of(fn, code, sizeof code);

	ck_assert_msg(contains(code, n, LOCK_OR_RSP, 6), "%s is not lock orq $0,(%%rsp)", what);
	ck_assert_msg(!contains(code, n, MFENCE, 3), "%s emits mfence", what);
}

START_TEST(test_x86_instructions)
{
	unsigned char code[64];
	size_t n;

#ifdef CALLS_INSTRUMENTED
	VMOSAL_SKIP("TSan adds calls to every function: its build's code is not the one shipped");
#endif
	expect_no_fence(inline_acquire, "inline acquire");
	expect_no_fence(inline_release, "inline release");
	expect_no_fence(vmosal_barrier_acquire_fn, "vmosal_barrier_acquire_fn");
	expect_no_fence(vmosal_barrier_release_fn, "vmosal_barrier_release_fn");
	expect_locked_rmw(inline_full, "inline full");
	expect_locked_rmw(vmosal_barrier_full_fn, "vmosal_barrier_full_fn");
	n = code_of(inline_mandatory, code, sizeof code);
	ck_assert_msg(contains(code, n, MFENCE, 3), "mandatory barrier is not mfence");
	n = code_of(vmosal_barrier_mandatory_fn, code, sizeof code);
	ck_assert_msg(contains(code, n, MFENCE, 3), "vmosal_barrier_mandatory_fn is not mfence");
}
END_TEST
#endif

int main(void)
{
	Suite *s = suite_create("barrier");

	find_cpus();
	slow = under_valgrind();
	if (message_passing_cannot_fail() != NULL)
		printf("# test_message_passing cannot fail here (%s); "
		       "tests/barrier-disasm.test proves the barriers\n",
		       message_passing_cannot_fail());
	/* Before Check forks: a child must not print it again. */
	fflush(stdout);
	TCase *litmus = tcase_create("litmus");
	TCase *code = tcase_create("code");

	tcase_set_timeout(litmus, 120);
	/* The litmus tests pin the calling thread: each puts it back. */
	tcase_add_checked_fixture(litmus, vmosal_test_sched_save, vmosal_test_sched_restore);
	tcase_add_test(litmus, test_store_buffering_shows_without_fence);
	tcase_add_test(litmus, test_store_buffering_forbidden_with_full_barrier);
	tcase_add_test(litmus, test_message_passing);
#if defined(__x86_64__)
	tcase_add_test(code, test_x86_instructions);
#endif
	suite_add_tcase(s, litmus);
	suite_add_tcase(s, code);
	return vmosal_run_suite(s);
}
