/* The test harness (tests/harness/, linked into every test program): the
 * one header the suites include. Grouped by the harness file that holds
 * each part. */
#ifndef VMOSAL_TESTUTIL_H
#define VMOSAL_TESTUTIL_H

#include <stdio.h>
#ifdef __MINGW32__
/* Check formats its messages with its own C99 vsnprintf, but gcc reads
 * its format(printf) attributes as msvcrt's printf, which knows no %jd. */
#define printf gnu_printf
#include <check.h>
#undef printf
#else
#include <check.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _WIN32
/* No fork there: Check runs with CK_FORK=no, every case in one process. */
#include <io.h>
#include <windows.h>
#else
#include <dirent.h>
#include <sys/resource.h>
#include <sys/wait.h>
#endif
#ifdef __linux__
#include <sched.h>
#include <sys/syscall.h>
#endif

#include "vmosal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- skips and their reasons (harness/skip.c) ----------------------------
 * Check has no skip verdict: a skipping test records its reason and
 * vmosal_run_suite() turns its case into a TAP "# SKIP". */

/* Records that Check's loop iteration `iteration` of the running test
 * skipped, with a printf-style reason. */
void vmosal_test_skip_record(int iteration, const char *fmt, ...) CK_ATTRIBUTE_FORMAT(printf, 2, 3);

/* Ends the calling test as skipped, giving a printf-style reason. Only in
 * a START_TEST body: _i is Check's loop iteration there. */
#define VMOSAL_SKIP(...)                                                   \
	do {                                                               \
		vmosal_test_skip_record(_i, __VA_ARGS__);                  \
		return;                                                    \
	} while (0)

/* A case for what Windows lacks, as a Windows build defines it: it skips,
 * saying what. */
#ifdef _WIN32
#define POSIX_ONLY(name, why)                          \
	START_TEST(name)                               \
	{                                              \
		VMOSAL_SKIP("Windows has no %s", why); \
	}                                              \
	END_TEST
#endif

/* Ends the calling test as skipped under an emulator lacking `what`. */
#define VMOSAL_SKIP_IF_EMULATED(what)                                              \
	do {                                                                       \
		const char *emulator_ = vmosal_test_emulator();                    \
		if (emulator_ != NULL)                                             \
			VMOSAL_SKIP("%.*s does not emulate %s",                    \
				    (int)strcspn(emulator_, " "), emulator_, what); \
	} while (0)

/* ---- the run: TAP for automake, descriptor leaks (harness/runner.c) ----- */

/* Runs one suite and reports each case as TAP on stdout, for automake's
 * tap-driver: "ok", "not ok" with Check's location and message, or
 * "ok ... # SKIP <reason>"; "1..0 # SKIP" when every case skipped. Check's
 * own report goes to stderr, the test's log. One more "not ok" names the
 * descriptors the run left open, if any. Returns 0 when nothing failed. */
int vmosal_run_suite(Suite *s);

/* ---- what the suite runs under (harness/host.c) -------------------------- */

/* Set when built with a sanitizer, whose runtime stands in for some libc
 * calls: it makes mlock a no-op, for one. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define VMOSAL_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer)
#define VMOSAL_TEST_SANITIZED 1
#endif
#endif

/* Set under TSan, whose runtime does not support fork() in a process with
 * other threads running: the child may hang in it. */
#if defined(__SANITIZE_THREAD__)
#define VMOSAL_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VMOSAL_TEST_TSAN 1
#endif
#endif

/* The signal a protection fault (a PROT_NONE guard, a write to a
 * read-only page, running a page that is not executable) raises: SIGBUS
 * on Darwin (XNU's KERN_PROTECTION_FAILURE), SIGSEGV elsewhere. */
#if defined(__APPLE__)
#define VMOSAL_TEST_PROT_SIGNAL SIGBUS
#define VMOSAL_TEST_PROT_VSIGNAL VMOSAL_SIGBUS
#else
#define VMOSAL_TEST_PROT_SIGNAL SIGSEGV
#define VMOSAL_TEST_PROT_VSIGNAL VMOSAL_SIGSEGV
#endif

/* True under valgrind, which runs one thread at a time and every
 * instruction tens of times slower: loops that count in the tens of
 * thousands there run a few hundred times instead. VMOSAL_TEST_VALGRIND
 * says so where valgrind.h was missing at build time. */
bool vmosal_test_under_valgrind(void);

/* The user-mode emulator running the suite (qemu-aarch64...), as the cross
 * stages' runner says (tests/test-runner.sh), or NULL. qemu-user emulates
 * system calls, not all of the kernel: mincore residency, MAP_HUGETLB,
 * mbind, discarding madvise and device ioctls differ or are missing. */
const char *vmosal_test_emulator(void);

/* n, or `slow` under valgrind or an emulator. */
long vmosal_test_rounds(long n, long slow);

/* False under CK_FORK=no, where Check itself cannot run a test that must
 * crash: vmosal_tcase_add_test_raise_signal() runs it in a child then. */
bool vmosal_test_forks(void);

/* ---- scratch files (harness/files.c) ------------------------------------- */

/* An already unlinked file in $TMPDIR, so nothing is left behind even when
 * a test drops root or the run crashes; -1 on failure. */
int vmosal_test_tmpfile(void);

/* The whole of fd from its start, NUL-terminated, to free(); NULL on
 * failure. */
char *vmosal_test_read_all(int fd);

/* Handles this process holds: open descriptors on POSIX, the kernel's
 * handle count on Windows (GetProcessHandleCount); -1 when unknown. Compare
 * before and after a call to prove it leaked nothing. */
long vmosal_test_handle_count(void);

/* ---- the library under test (harness/library.c) -------------------------- */

/* The calling thread's id, asserting that it can be had. */
vmosal_tid_t vmosal_test_self(void);

/* vmosal_backend_error() into a static buffer, for assertions. */
const char *vmosal_test_backend_error(void);

/* A signal handler that takes nothing: the signal goes on to the next. */
bool vmosal_test_decline_signal(const struct vmosal_siginfo *info, void *ctx);

#ifndef _WIN32
/* ---- processes of their own, descriptors across them (harness/process.c) */

/* A deadline for a forked child of a test: on a hang SIGALRM ends that
 * child alone, and the test sees it die. The child would otherwise run
 * Check's own SIGALRM handler, inherited from the runner, which kills the
 * test's whole process group: the test then reads "Received signal 9"
 * instead of the failure it would have reported. */
void vmosal_test_child_deadline(unsigned seconds);

/* Adds a test that needs a fresh process: the backend not yet loaded,
 * settings read once not yet read, or a change (uid, limits) that must not
 * outlive it. Under CK_FORK=no it runs in a fresh exec of this program,
 * without its tcase's fixtures. */
void vmosal_tcase_add_own_process(TCase *tc, const TTest *test);

/* Adds a test that must die of signal: under CK_FORK=no in a child forked
 * after its tcase's fixtures ran. */
void vmosal_tcase_add_test_raise_signal(TCase *tc, const TTest *test, int signal);

/* Sends fd over a Unix socket (SCM_RIGHTS) with one byte; false on failure. */
bool vmosal_test_send_fd(int sock, int fd);

/* The descriptor such a message carries; -1 on failure. */
int vmosal_test_recv_fd(int sock);

/* ---- /proc readers (harness/procfs.c) ------------------------------------ */

/* The mapping of /proc/self/maps that holds addr: its bounds (start and end
 * may be NULL) and perms ("---p"); false when addr is in no mapping. */
bool vmosal_test_mapping_at(const void *addr, uintptr_t *start, uintptr_t *end,
			    char perms[5]);

/* Sums a field (in kB) of /proc/self/smaps over the mappings that overlap
 * [addr, addr + size) (the kernel may merge a region with a neighbour). */
uint64_t vmosal_test_smaps_kb(const void *addr, size_t size, const char *field);

/* "THPeligible" of the mapping holding addr, from /proc/self/smaps; -1
 * where the kernel does not say. */
int vmosal_test_thp_eligible(const void *addr);

/* ---- huge pages: THP controls, the hugetlb pool (harness/hugepages.c) ---- */

/* Whether the kernel has transparent huge pages at all. */
bool vmosal_test_thp_present(void);

/* Whether a THP control (enabled, shmem_enabled) lets PMD-size huge pages
 * in, read as the kernel documents it: the per-size control unless it says
 * inherit, else the top-level one; never and deny are off, and so is a
 * kernel without the control. */
bool vmosal_test_thp_control_on(const char *name);

/* A hugetlb pool of a few 2 MiB pages, made by a test that runs as root
 * and put back as it was afterwards. */
#define VMOSAL_TEST_HUGETLB_PAGE ((size_t)2 << 20)

/* A number from the 2 MiB pool's sysfs directory (nr_hugepages,
 * free_hugepages...); -1 when it cannot be read. */
long vmosal_test_hugetlb_pool_read(const char *file);

/* The pool is one per host and 'make check' runs suites in parallel: a
 * test that makes it, or needs it empty, holds this lock meanwhile. */
void vmosal_test_hugetlb_pool_lock(void);
void vmosal_test_hugetlb_pool_unlock(void);

/* Makes the pool exactly `pages` free pages, holding the lock. Returns
 * false (nothing changed) when not root, the host has no 2 MiB pages, or
 * the kernel could not find that many. */
bool vmosal_test_hugetlb_pool_make(long pages);

/* Puts the pool back as it was before the first make, and unlocks it. */
void vmosal_test_hugetlb_pool_restore(void);
#endif

#ifdef __linux__
/* ---- the calling thread's scheduling (harness/sched.c) -------------------
 * The system calls, as the backend makes them: musl's sched_getscheduler,
 * sched_setscheduler and sched_getparam are stubs failing with ENOSYS. */
int vmosal_test_getscheduler(pid_t tid);
int vmosal_test_setscheduler(pid_t tid, int policy, const struct sched_param *p);
int vmosal_test_getparam(pid_t tid, struct sched_param *p);

/* The calling thread's CPUs, scheduling class and nice value, which tests
 * change. As a checked fixture, save and restore give each test the
 * thread as the first test had it, under CK_FORK=no too. Restoring what
 * needs privilege may fail without root: the tests that need it skip. */
void vmosal_test_sched_save(void);
void vmosal_test_sched_restore(void);
#endif

#ifdef __cplusplus
}
#endif

#endif
