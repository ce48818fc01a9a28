/* The contract suites: one file per public header (contract_<header>.c),
 * run by tests/check_contract on the recording fake backend
 * (tests/fakes/fake_record.c), which answers every slot with fixed values
 * and keeps a record of each call. For every public function of
 * include/vmosal/ (barriers and error strings aside) they check that
 *   - each bad input the header documents returns its code without asking
 *     the backend anything;
 *   - a valid call makes exactly the slot calls expected, with arguments
 *     translated as the ABI says;
 *   - an error from the backend comes back unchanged.
 * check_contract_bare runs contract_bare.c on the bare fake, which has
 * only the mandatory slots: each call's fallback, or VMOSAL_ENOTSUP.
 * Nothing here depends on the OS the suite runs on: the topology is an
 * hwloc XML file and the few OS calls (loading a module, setting a
 * variable) sit in contract.c. One backend load serves every test, so the
 * suites run the same under CK_FORK=no.
 *
 * What a contract asks of the backends themselves (the record of
 * reservations, memory.h) cannot be seen on the fake: the same sources
 * built with VMOSAL_CONTRACT_BACKEND set ("" for the host's default
 * backend, or a name) run those tests on that real backend instead, so
 * every backend that implements the slots must give the same answers
 * (tests/check_contract_os, tests/check_contract_faulty). */
#ifndef VMOSAL_CONTRACT_H
#define VMOSAL_CONTRACT_H

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "fakes/fake_record.h"
#include "testutil.h"
#include "vmosal.h"

/* The suites, one per public header; each adds its test cases to s. */
void contract_platform(Suite *s);
void contract_memory(Suite *s);
void contract_thread(Suite *s);
void contract_topology(Suite *s);
void contract_signal(Suite *s);
void contract_event(Suite *s);
void contract_device(Suite *s);
void contract_handle(Suite *s);
void contract_waitset(Suite *s);
void contract_timer(Suite *s);
void contract_channel(Suite *s);
/* What a real backend keeps itself: memory.h's reservations, the
 * backend's half of the event and handle rules. */
void contract_memory_on_backend(Suite *s);
void contract_event_on_backend(Suite *s);
void contract_handle_on_backend(Suite *s);
/* The device half's calls on a real backend; each case skips, saying so,
 * where the backend lacks them. */
void contract_waitset_on_backend(Suite *s);
void contract_timer_on_backend(Suite *s);
void contract_channel_on_backend(Suite *s);
/* Every header's calls on a backend with only the mandatory slots. */
void contract_bare(Suite *s);

/* ---- the recording backend's controls (fake_record.h) ---- */

struct contract_fake {
	void (*reset)(void);
	size_t (*count)(void);
	int (*get)(size_t index, struct vmosal_fake_call *out);
	int (*set_failure)(const char *slot, int code);
	void (*granularity)(uint64_t bytes);
	void (*deliver)(const struct vmosal_siginfo *info);
};

extern struct contract_fake fake;
extern vmosal_tid_t own_tid; /* the suite's thread, as the fake numbers it */
extern size_t mark;          /* the first call expect_calls() looks at */

/* What the first uses in the process asked the backend, seen once before
 * any test ran (contract.c), since later uses ask nothing. */
struct contract_first_uses {
	char kick[128];  /* vmosal_thread_kick_signal, called twice */
	char guard[128]; /* vmosal_fault_guard, called twice */
};
extern struct contract_first_uses first_uses;

#define PAGE ((size_t)VMOSAL_FAKE_PAGE_SIZE)
#define TWO_MIB ((size_t)VMOSAL_FAKE_TWO_MIB)
#define RW (VMOSAL_PROT_READ | VMOSAL_PROT_WRITE)
#define ANON_PRIVATE (VMOSAL_MAP_ANONYMOUS | VMOSAL_MAP_PRIVATE)
#define ADDR VMOSAL_FAKE_ARG_PTR
#define HANDLE_ARG VMOSAL_FAKE_ARG_HANDLE
#define NO_HANDLE_ARG HANDLE_ARG(VMOSAL_NO_HANDLE)
#define OTHER_TID ((vmosal_tid_t)4242) /* a thread the fake takes for another */
/* A page-aligned address the fake accepts; nothing is ever mapped there. */
#define SOME_ADDRESS ((void *)(uintptr_t)0x10000000u)
/* The last page of the address space: ranges from there wrap around. */
#define LAST_PAGE ((void *)(UINTPTR_MAX & ~(uintptr_t)(PAGE - 1)))
#define ANY_ARG UINT64_C(0xa11a11a11a11a11a)
/* A handle no call may accept (VMOSAL_HANDLE_VALID is false). */
#if defined(_WIN32)
#define BAD_HANDLE ((vmosal_handle_t)0)
#else
#define BAD_HANDLE ((vmosal_handle_t)-2)
#endif

/* Before each test: a clean record, the suite's thread id known. */
void fresh_record(void);
/* Starts the window expect_calls() and call_at() look at. */
void begin_calls(void);
/* The slots called since begin_calls(), for messages. */
const char *recorded_slots(void);
/* Asserts that the backend saw exactly these slots, in order, since
 * begin_calls(); the list ends with NULL. */
void expect_calls(const char *first, ...);
/* Call number n since begin_calls(). */
struct vmosal_fake_call call_at(size_t n);
/* How many calls of slot since begin_calls(). */
size_t count_calls(const char *slot);
void expect_args(const struct vmosal_fake_call *c, const char *text, const uint64_t *want,
		 size_t n);
void fail_slot(const char *slot, int code);

/* VMOSAL_SKIP for every file of the program: the skip record is written
 * where the file that runs the suite (contract.c) reads it. */
void contract_skip(int iteration, const char *fmt, ...) CK_ATTRIBUTE_FORMAT(printf, 2, 3);
#define CONTRACT_SKIP(...)                          \
	do {                                        \
		contract_skip(_i, __VA_ARGS__);     \
		return;                             \
	} while (0)

/* Compares a recorded call's leading arguments; ANY_ARG matches anything. */
#define EXPECT_ARGS(c, ...)                                               \
	expect_args(&(c), #__VA_ARGS__, (const uint64_t[]){__VA_ARGS__}, \
		    sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t))

/* The call returns code without asking the backend anything. */
#define ASSERT_NO_CALL(call, code)                                              \
	do {                                                                    \
		begin_calls();                                                  \
		ck_assert_int_eq((call), (code));                               \
		ck_assert_msg(fake.count() == mark, "%s asked the backend: %s", \
			      #call, recorded_slots());                         \
	} while (0)

/* The call returns code after asking the backend exactly these slots. */
#define ASSERT_CALLS(call, code, ...)            \
	do {                                     \
		begin_calls();                   \
		ck_assert_int_eq((call), (code)); \
		expect_calls(__VA_ARGS__, NULL); \
	} while (0)

/* Struct growth (common.h): a caller built against a newer header passes a
 * bigger struct, whose tail this library does not know. */
#define NEWER(type)                     \
	struct {                        \
		type known;             \
		unsigned char tail[24]; \
	}

void fill_newer(void *s, size_t size, size_t known, unsigned char tail_byte);
/* A filled struct: zeros past what the library knows, struct_size as the
 * caller set it. */
void expect_zero_tail(const void *s, size_t size, size_t known);

#define FILL_NEWER(s, type, byte) fill_newer(&(s), sizeof(s), sizeof(type), byte)
#define EXPECT_ZERO_TAIL(s, type) expect_zero_tail(&(s), sizeof(s), sizeof(type))

#endif
