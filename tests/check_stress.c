/* Concurrency stress: threads racing first use, affinity and priority
 * changes on each other, thread create/join, mappings of their own ranges,
 * and fork() from any of them, for a bounded number of operations. Every
 * forked child must find libvmosal working. Counts go to the log. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "vmosal.h"

#define WORKERS 4
#define OPS_PER_WORKER 25000

static atomic_long ops, forks, children_failed, calls_failed;
static _Atomic vmosal_tid_t tids[WORKERS];
static size_t cpus[4096], ncpus;

/* xorshift: each worker its own sequence, no shared state. */
static uint32_t next_random(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void *short_lived(void *arg)
{
	return arg;
}

/* What a child does before it exits: the calls a VMM's forked helper
 * would make, each of which needs a lock the parent's threads use. */
static int child_works(void)
{
	struct vmosal_topology_counts c = VMOSAL_STRUCT_INIT(struct vmosal_topology_counts);
	vmosal_thread_t *t;
	vmosal_tid_t self = 0;
	void *p = NULL, *rc = NULL;

	vmosal_test_child_deadline(10);
	if (vmosal_init() != 0 || vmosal_thread_self(&self) != 0 || self != (vmosal_tid_t)getpid())
		return 1;
	if (vmosal_topology_counts(&c) != 0 || c.pus == 0)
		return 2;
	if (vmosal_mmap(NULL, vmosal_page_size(), VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
			VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS, VMOSAL_NO_HANDLE, 0, &p) != 0 ||
	    vmosal_munmap(p, vmosal_page_size()) != 0)
		return 3;
#ifdef VMOSAL_TEST_SANITIZED
	/* Not under a sanitizer, nor valgrind: their allocators take no lock
	 * around fork, so a child that allocates (a thread does) can hang on
	 * a lock another parent thread held, which says nothing about
	 * libvmosal's locks. */
	return 0;
#endif
	/* Nor under qemu-user, whose child of a threaded guest can hang in
	 * its own locks when it starts a thread. */
	if (vmosal_test_under_valgrind() || vmosal_test_emulator() != NULL)
		return 0;
	if (vmosal_thread_create(NULL, short_lived, &c, &t) != 0 ||
	    vmosal_thread_join(t, &rc) != 0 || rc != &c)
		return 4;
	return 0;
}

static void do_fork(void)
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0) {
		atomic_fetch_add(&calls_failed, 1);
		return;
	}
	if (pid == 0)
		_exit(child_works());
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		atomic_fetch_add(&children_failed, 1);
	atomic_fetch_add(&forks, 1);
}

static long ops_per_worker;

static void *worker(void *arg)
{
	uint32_t seed = 2463534242u + (uint32_t)(uintptr_t)arg * 7919u;
	size_t me = (size_t)(uintptr_t)arg;
	size_t page = vmosal_page_size(); /* for most workers, the first use */
	vmosal_tid_t self = 0;

	if (vmosal_thread_self(&self) != 0)
		atomic_fetch_add(&calls_failed, 1);
	atomic_store(&tids[me], self);
	for (long i = 0; i < ops_per_worker; i++) {
		uint32_t r = next_random(&seed);
		vmosal_tid_t other = atomic_load(&tids[r % WORKERS]);
		int rc = 0;

		switch (r >> 8 & 7) {
		case 0:
		case 1: {
			size_t cpu = cpus[(r >> 12) % ncpus];
			/* The other worker may have exited: ESRCH is fine. */
			rc = vmosal_thread_set_affinity(other, &cpu, 1);
			rc = rc == VMOSAL_ESRCH ? 0 : rc;
			break;
		}
		case 2:
			rc = vmosal_thread_set_priority(other, (r >> 12) & 1 ? VMOSAL_PRIORITY_LOW
									  : VMOSAL_PRIORITY_NORMAL);
			rc = rc == VMOSAL_ESRCH || rc == VMOSAL_EPERM ? 0 : rc;
			break;
		case 3: {
			vmosal_thread_t *t;
			void *out = NULL;
			rc = vmosal_thread_create(NULL, short_lived, &seed, &t);
			if (rc == 0)
				rc = vmosal_thread_join(t, &out);
			if (rc == 0 && out != &seed)
				rc = VMOSAL_EUNKNOWN;
			break;
		}
		case 4:
		case 5: {
			void *p = NULL;
			size_t len = page * (1 + (r >> 12) % 16);
			rc = vmosal_mmap(NULL, len, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
					 VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS,
					 VMOSAL_NO_HANDLE, 0, &p);
			if (rc == 0) {
				((volatile char *)p)[len - 1] = 1;
				rc = vmosal_munmap(p, len);
			}
			break;
		}
		case 6: {
			struct vmosal_topology_counts c =
				VMOSAL_STRUCT_INIT(struct vmosal_topology_counts);
			rc = vmosal_topology_counts(&c);
			break;
		}
		case 7:
			/* Not under valgrind: it checks each child's exit for
			 * leaks, and a child holds what other threads of its
			 * parent had allocated. */
			if ((r >> 12) % 64 == 0 && !vmosal_test_under_valgrind())
				do_fork();
			break;
		}
		if (rc != 0)
			atomic_fetch_add(&calls_failed, 1);
		atomic_fetch_add(&ops, 1);
	}
	return NULL;
}

START_TEST(test_stress)
{
	pthread_t threads[WORKERS];
	size_t got = 0;

	/* The CPU list comes from the kernel, not libvmosal: the workers'
	 * own calls are the first use. */
	{
		cpu_set_t set;
		ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
		for (size_t c = 0; c < CPU_SETSIZE && got < 4096; c++)
			if (CPU_ISSET(c, &set))
				cpus[got++] = c;
		ncpus = got;
	}
	ops_per_worker = vmosal_test_rounds(OPS_PER_WORKER, 1500);
	for (size_t i = 0; i < WORKERS; i++)
		ck_assert_int_eq(pthread_create(&threads[i], NULL, worker, (void *)(uintptr_t)i), 0);
	for (size_t i = 0; i < WORKERS; i++)
		ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
	fprintf(stderr, "stress: %ld operations by %d threads, %ld forks, %ld failed calls, "
			"%ld children that did not work\n",
		atomic_load(&ops), WORKERS, atomic_load(&forks), atomic_load(&calls_failed),
		atomic_load(&children_failed));
	ck_assert_int_eq(atomic_load(&ops), (long)WORKERS * ops_per_worker);
	ck_assert(atomic_load(&forks) > 0 || vmosal_test_under_valgrind());
	ck_assert_int_eq(atomic_load(&children_failed), 0);
	ck_assert_int_eq(atomic_load(&calls_failed), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stress");
	TCase *tc = tcase_create("race");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_stress);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
