/* signal.h's contract: the handler registry, masks, waits, signal
 * handles and the fault guard; and thread.h's vCPU kick, which is built on
 * a signal. The fake installs nothing in the OS: a signal reaches the
 * core's registry through vmosal_fake_record_deliver, as the backend's
 * handler would hand it on. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "contract.h"

/* ---- the handler registry ---- */

/* What the handlers below saw, and what they answer. */
static struct {
	int calls[3];
	bool take[3];
	struct vmosal_siginfo info;
	void *ctx;
	int order[8];
	int n;
} seen;

static bool handler(int which, const struct vmosal_siginfo *info, void *ctx)
{
	seen.calls[which]++;
	seen.info = *info;
	seen.ctx = ctx;
	if (seen.n < 8)
		seen.order[seen.n++] = which;
	return seen.take[which];
}

static bool handler0(const struct vmosal_siginfo *info, void *ctx)
{
	return handler(0, info, ctx);
}

static bool handler1(const struct vmosal_siginfo *info, void *ctx)
{
	return handler(1, info, ctx);
}

static bool handler2(const struct vmosal_siginfo *info, void *ctx)
{
	return handler(2, info, ctx);
}

static void forget_seen(void)
{
	memset(&seen, 0, sizeof seen);
}

START_TEST(test_add_handler_arguments)
{
	vmosal_signal_handler_t *h = NULL;

	ASSERT_NO_CALL(vmosal_signal_add_handler((enum vmosal_signal)0, handler0, NULL, &h),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_signal_add_handler(VMOSAL_SIGNAL_COUNT, handler0, NULL, &h),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_signal_add_handler((enum vmosal_signal)-1, handler0, NULL, &h),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_signal_add_handler(VMOSAL_SIGUSR1, NULL, NULL, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_signal_add_handler(VMOSAL_SIGUSR1, handler0, NULL, NULL),
		       VMOSAL_EINVAL);
	ck_assert_ptr_null(h);
}
END_TEST

/* The first handler of a signal installs the backend's, the last one
 * removed restores what was there; those between ask nothing. */
START_TEST(test_add_and_remove_handlers)
{
	vmosal_signal_handler_t *a = NULL, *b = NULL;
	struct vmosal_fake_call c;

	ASSERT_CALLS(vmosal_signal_add_handler(VMOSAL_SIGUSR2, handler0, NULL, &a), 0,
		     "signal_install");
	c = call_at(0);
	EXPECT_ARGS(c, VMOSAL_SIGUSR2);
	ck_assert_ptr_nonnull(a);
	ASSERT_NO_CALL(vmosal_signal_add_handler(VMOSAL_SIGUSR2, handler1, NULL, &b), 0);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(a, b);
	ASSERT_NO_CALL(vmosal_signal_remove_handler(a), 0);
	ASSERT_CALLS(vmosal_signal_remove_handler(b), 0, "signal_restore");
	c = call_at(0);
	EXPECT_ARGS(c, VMOSAL_SIGUSR2);
	/* Removed already: refused, even once the slot is taken again. */
	ASSERT_NO_CALL(vmosal_signal_remove_handler(a), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_signal_add_handler(VMOSAL_SIGUSR2, handler0, NULL, &b), 0);
	ASSERT_NO_CALL(vmosal_signal_remove_handler(a), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_signal_remove_handler(b), 0);
}
END_TEST

START_TEST(test_remove_handler_arguments)
{
	ASSERT_NO_CALL(vmosal_signal_remove_handler(NULL), VMOSAL_EINVAL);
	/* Anything add_handler did not return, never dereferenced. */
	ASSERT_NO_CALL(vmosal_signal_remove_handler((vmosal_signal_handler_t *)(uintptr_t)0x1000),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_signal_remove_handler((vmosal_signal_handler_t *)(uintptr_t)0x7),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_signal_remove_handler((vmosal_signal_handler_t *)UINTPTR_MAX),
		       VMOSAL_EINVAL);
}
END_TEST

/* The backend's errors come back; a failed install registers nothing, a
 * failed restore keeps the handler and its handle. */
START_TEST(test_handler_backend_errors)
{
	vmosal_signal_handler_t *h = NULL;

	fail_slot("signal_install", VMOSAL_ENOTSUP);
	ASSERT_CALLS(vmosal_signal_add_handler(VMOSAL_SIGWINCH, handler0, NULL, &h),
		     VMOSAL_ENOTSUP, "signal_install");
	ck_assert_ptr_null(h);
	fail_slot("signal_install", 0);
	ASSERT_CALLS(vmosal_signal_add_handler(VMOSAL_SIGWINCH, handler0, NULL, &h), 0,
		     "signal_install");

	fail_slot("signal_restore", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_signal_remove_handler(h), VMOSAL_EIO, "signal_restore");
	forget_seen();
	{
		struct vmosal_siginfo info = {.struct_size = sizeof info,
					      .signal = VMOSAL_SIGWINCH};
		fake.deliver(&info);
	}
	ck_assert_int_eq(seen.calls[0], 1);
	fail_slot("signal_restore", 0);
	ASSERT_CALLS(vmosal_signal_remove_handler(h), 0, "signal_restore");
}
END_TEST

/* At most 8 handlers per signal. */
START_TEST(test_handlers_per_signal)
{
	vmosal_signal_handler_t *h[9];

	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(vmosal_signal_add_handler(VMOSAL_SIGALRM, handler0, NULL, &h[i]),
				 0);
	ASSERT_NO_CALL(vmosal_signal_add_handler(VMOSAL_SIGALRM, handler0, NULL, &h[8]),
		       VMOSAL_EBUSY);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(vmosal_signal_remove_handler(h[i]), 0);
}
END_TEST

/* Handlers run in the order they were added with their ctx; the first
 * that takes the signal ends it, and one nobody took goes to the previous
 * disposition (signal_chain) with what the backend reported. */
START_TEST(test_dispatch_order_and_chain)
{
	struct vmosal_siginfo info = {.struct_size = sizeof info,
				      .signal = VMOSAL_SIGHUP,
				      .os_signal = 1,
				      .os_code = -1};
	vmosal_signal_handler_t *h[3];
	int ctx;
	struct vmosal_fake_call c;

	ck_assert_int_eq(vmosal_signal_add_handler(VMOSAL_SIGHUP, handler0, &ctx, &h[0]), 0);
	ck_assert_int_eq(vmosal_signal_add_handler(VMOSAL_SIGHUP, handler1, &ctx, &h[1]), 0);
	ck_assert_int_eq(vmosal_signal_add_handler(VMOSAL_SIGHUP, handler2, &ctx, &h[2]), 0);
	forget_seen();
	seen.take[1] = true;
	begin_calls();
	fake.deliver(&info);
	expect_calls(NULL);
	ck_assert_int_eq(seen.n, 2);
	ck_assert_int_eq(seen.order[0], 0);
	ck_assert_int_eq(seen.order[1], 1);
	ck_assert_ptr_eq(seen.ctx, &ctx);
	ck_assert_uint_eq(seen.info.struct_size, sizeof seen.info);
	ck_assert_uint_eq(seen.info.signal, VMOSAL_SIGHUP);
	ck_assert_int_eq(seen.info.os_signal, 1);
	ck_assert_int_eq(seen.info.os_code, -1);

	forget_seen();
	begin_calls();
	fake.deliver(&info);
	ck_assert_int_eq(seen.n, 3);
	expect_calls("signal_chain", NULL);
	c = call_at(0);
	EXPECT_ARGS(c, VMOSAL_SIGHUP, 1, (uint64_t)-1, 0);

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(vmosal_signal_remove_handler(h[i]), 0);
	/* Nobody left: straight on. */
	forget_seen();
	begin_calls();
	fake.deliver(&info);
	ck_assert_int_eq(seen.n, 0);
	expect_calls("signal_chain", NULL);
}
END_TEST

/* ---- signal sets: block, unblock, wait, signal handles ---- */

typedef int (*set_call)(const enum vmosal_signal *sigs, size_t n);

static int block_set(const enum vmosal_signal *sigs, size_t n)
{
	return vmosal_signal_block(sigs, n);
}

static int unblock_set(const enum vmosal_signal *sigs, size_t n)
{
	return vmosal_signal_unblock(sigs, n);
}

static int wait_set(const enum vmosal_signal *sigs, size_t n)
{
	struct vmosal_siginfo out = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);

	return vmosal_signal_wait(sigs, n, 0, &out);
}

static int fd_set_create(const enum vmosal_signal *sigs, size_t n)
{
	vmosal_handle_t h;

	return vmosal_signal_fd_create(sigs, n, &h);
}

static const struct {
	const char *name;
	set_call call;
} set_calls[] = {
	{"vmosal_signal_block", block_set},
	{"vmosal_signal_unblock", unblock_set},
	{"vmosal_signal_wait", wait_set},
	{"vmosal_signal_fd_create", fd_set_create},
};

/* The rules every signal list follows. */
START_TEST(test_signal_set_rules)
{
	const enum vmosal_signal good[] = {VMOSAL_SIGUSR1};
	const enum vmosal_signal unknown[] = {VMOSAL_SIGUSR1, VMOSAL_SIGNAL_COUNT};
	const enum vmosal_signal zero[] = {(enum vmosal_signal)0};
	const enum vmosal_signal faults[] = {VMOSAL_SIGSEGV, VMOSAL_SIGBUS, VMOSAL_SIGILL,
					     VMOSAL_SIGFPE};
	enum vmosal_signal many[VMOSAL_SIGNAL_COUNT + 1];

	for (size_t i = 0; i < sizeof many / sizeof many[0]; i++)
		many[i] = VMOSAL_SIGUSR1;
	for (size_t f = 0; f < sizeof set_calls / sizeof set_calls[0]; f++) {
		const struct {
			const char *what;
			const enum vmosal_signal *sigs;
			size_t n;
		} bad[] = {
			{"NULL list", NULL, 1},
			{"empty list", good, 0},
			{"unknown signal", unknown, 2},
			{"signal 0", zero, 1},
			{"SEGV", &faults[0], 1},
			{"BUS", &faults[1], 1},
			{"ILL", &faults[2], 1},
			{"FPE", &faults[3], 1},
			{"more than every signal", many, sizeof many / sizeof many[0]},
		};

		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			int rc;

			begin_calls();
			rc = set_calls[f].call(bad[i].sigs, bad[i].n);
			ck_assert_msg(rc == VMOSAL_EINVAL, "%s, %s: %s", set_calls[f].name,
				      bad[i].what, vmosal_err_name(rc));
			ck_assert_msg(fake.count() == mark, "%s, %s: asked %s", set_calls[f].name,
				      bad[i].what, recorded_slots());
		}
	}
}
END_TEST

START_TEST(test_block_unblock)
{
	const enum vmosal_signal sigs[] = {VMOSAL_SIGTERM, VMOSAL_SIGCHLD, VMOSAL_SIGPIPE};
	struct vmosal_fake_call c;

	ASSERT_CALLS(vmosal_signal_block(sigs, 3), 0, "signal_mask");
	c = call_at(0);
	EXPECT_ARGS(c, 1, ANY_ARG, 3, VMOSAL_SIGTERM, VMOSAL_SIGCHLD, VMOSAL_SIGPIPE);
	ASSERT_CALLS(vmosal_signal_unblock(sigs, 1), 0, "signal_mask");
	c = call_at(0);
	EXPECT_ARGS(c, 0, ANY_ARG, 1, VMOSAL_SIGTERM);

	fail_slot("signal_mask", VMOSAL_ENOTSUP);
	ASSERT_CALLS(vmosal_signal_block(sigs, 1), VMOSAL_ENOTSUP, "signal_mask");
	ASSERT_CALLS(vmosal_signal_unblock(sigs, 1), VMOSAL_ENOTSUP, "signal_mask");
}
END_TEST

/* The oldest siginfo still taken: 0.2's, before syscall. */
#define OLDEST_SIGINFO ((uint32_t)offsetof(struct vmosal_siginfo, syscall))

static struct vmosal_siginfo untouched_info(void)
{
	struct vmosal_siginfo info;

	memset(&info, 0x5a, sizeof info);
	info.struct_size = sizeof info;
	return info;
}

START_TEST(test_signal_wait)
{
	const enum vmosal_signal sigs[] = {VMOSAL_SIGINT, VMOSAL_SIGTERM};
	struct vmosal_siginfo out = {.struct_size = OLDEST_SIGINFO - 1};
	NEWER(struct vmosal_siginfo) newer;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_signal_wait(sigs, 2, -1, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_signal_wait(sigs, 2, -1, &out), VMOSAL_EINVAL);
	out.struct_size = 0;
	ASSERT_NO_CALL(vmosal_signal_wait(sigs, 2, -1, &out), VMOSAL_EINVAL);

	FILL_NEWER(newer, struct vmosal_siginfo, 0xaa);
	ASSERT_CALLS(vmosal_signal_wait(sigs, 2, 12345, &newer.known), 0, "signal_wait");
	c = call_at(0);
	EXPECT_ARGS(c, ANY_ARG, 2, 12345, VMOSAL_SIGINT, VMOSAL_SIGTERM);
	ck_assert_uint_eq(newer.known.signal, VMOSAL_SIGINT);
	ck_assert_int_eq(newer.known.os_signal, VMOSAL_FAKE_OS_SIGNAL_BASE + VMOSAL_SIGINT);
	ck_assert_int_eq(newer.known.os_code, VMOSAL_FAKE_SI_CODE);
	ck_assert_ptr_null(newer.known.fault_addr);
	EXPECT_ZERO_TAIL(newer, struct vmosal_siginfo);
	/* No limit travels as a negative timeout. */
	ASSERT_CALLS(vmosal_signal_wait(sigs, 1, -1, &newer.known), 0, "signal_wait");
	c = call_at(0);
	EXPECT_ARGS(c, ANY_ARG, 1, (uint64_t)-1, VMOSAL_SIGINT);

	out = untouched_info();
	fail_slot("signal_wait", VMOSAL_ETIMEDOUT);
	ASSERT_CALLS(vmosal_signal_wait(sigs, 2, 0, &out), VMOSAL_ETIMEDOUT, "signal_wait");
	ck_assert_uint_eq(out.signal, 0x5a5a5a5au);
}
END_TEST

START_TEST(test_signal_fd_create)
{
	const enum vmosal_signal sigs[] = {VMOSAL_SIGHUP, VMOSAL_SIGUSR2};
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_signal_fd_create(sigs, 2, NULL), VMOSAL_EINVAL);
	ASSERT_CALLS(vmosal_signal_fd_create(sigs, 2, &h), 0, "signal_fd_create");
	c = call_at(0);
	EXPECT_ARGS(c, ANY_ARG, 2, VMOSAL_SIGHUP, VMOSAL_SIGUSR2);
	ck_assert(h == VMOSAL_FAKE_SIGNAL_FD_HANDLE);

	h = VMOSAL_NO_HANDLE;
	fail_slot("signal_fd_create", VMOSAL_ENOSPC);
	ASSERT_CALLS(vmosal_signal_fd_create(sigs, 1, &h), VMOSAL_ENOSPC, "signal_fd_create");
	ck_assert(h == VMOSAL_NO_HANDLE);
}
END_TEST

START_TEST(test_signal_fd_read)
{
	struct vmosal_siginfo out = {.struct_size = OLDEST_SIGINFO - 1};
	NEWER(struct vmosal_siginfo) newer;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_signal_fd_read(VMOSAL_NO_HANDLE, &newer.known), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_signal_fd_read(BAD_HANDLE, &newer.known), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_signal_fd_read(VMOSAL_FAKE_SIGNAL_FD_HANDLE, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_signal_fd_read(VMOSAL_FAKE_SIGNAL_FD_HANDLE, &out), VMOSAL_EINVAL);

	FILL_NEWER(newer, struct vmosal_siginfo, 0xaa);
	ASSERT_CALLS(vmosal_signal_fd_read(VMOSAL_FAKE_SIGNAL_FD_HANDLE, &newer.known), 0,
		     "signal_fd_read");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(VMOSAL_FAKE_SIGNAL_FD_HANDLE));
	ck_assert_uint_eq(newer.known.signal, VMOSAL_SIGUSR1);
	ck_assert_int_eq(newer.known.os_signal, VMOSAL_FAKE_OS_SIGNAL_BASE + VMOSAL_SIGUSR1);
	EXPECT_ZERO_TAIL(newer, struct vmosal_siginfo);

	out = untouched_info();
	fail_slot("signal_fd_read", VMOSAL_EAGAIN);
	ASSERT_CALLS(vmosal_signal_fd_read(VMOSAL_FAKE_SIGNAL_FD_HANDLE, &out), VMOSAL_EAGAIN,
		     "signal_fd_read");
	ck_assert_uint_eq(out.signal, 0x5a5a5a5au);
}
END_TEST

/* ---- the fault guard ---- */

static int guarded_calls;

static int guarded(void *arg)
{
	guarded_calls++;
	return arg != NULL ? *(int *)arg : 0;
}

START_TEST(test_fault_guard_arguments)
{
	struct vmosal_siginfo small = {.struct_size = OLDEST_SIGINFO - 1};

	ASSERT_NO_CALL(vmosal_fault_guard(NULL, NULL, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_fault_guard(guarded, NULL, &small), VMOSAL_EINVAL);
	small.struct_size = 0;
	ASSERT_NO_CALL(vmosal_fault_guard(guarded, NULL, &small), VMOSAL_EINVAL);
}
END_TEST

/* The first guard in the process installs SEGV and BUS, for good; no
 * later one asks anything but the guard itself. */
START_TEST(test_fault_guard_installs_once)
{
	ck_assert_str_eq(first_uses.guard, "signal_install,signal_install,fault_guard,fault_guard");
}
END_TEST

START_TEST(test_fault_guard_runs_fn)
{
	int value = 42;
	struct vmosal_siginfo fault = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);
	struct vmosal_fake_call c;

	guarded_calls = 0;
	ASSERT_CALLS(vmosal_fault_guard(guarded, &value, &fault), 42, "fault_guard");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(guarded), ADDR(&value));
	ASSERT_CALLS(vmosal_fault_guard(guarded, NULL, NULL), 0, "fault_guard");
	ck_assert_int_eq(guarded_calls, 2);
}
END_TEST

/* A fault comes back as VMOSAL_EFAULT with the record filled, into a
 * caller's struct of any size. */
START_TEST(test_fault_guard_reports_the_fault)
{
	NEWER(struct vmosal_siginfo) newer;
	struct vmosal_siginfo fault = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);

	fail_slot("fault_guard", VMOSAL_EFAULT);
	ASSERT_CALLS(vmosal_fault_guard(guarded, NULL, &fault), VMOSAL_EFAULT, "fault_guard");
	ck_assert_uint_eq(fault.struct_size, sizeof fault);
	ck_assert_uint_eq(fault.signal, VMOSAL_SIGBUS);
	ck_assert_int_eq(fault.os_signal, VMOSAL_FAKE_OS_SIGNAL_BASE + VMOSAL_SIGBUS);
	ck_assert_int_eq(fault.os_code, VMOSAL_FAKE_FAULT_CODE);
	ck_assert_ptr_eq(fault.fault_addr, VMOSAL_FAKE_FAULT_ADDR);

	FILL_NEWER(newer, struct vmosal_siginfo, 0xaa);
	ASSERT_CALLS(vmosal_fault_guard(guarded, NULL, &newer.known), VMOSAL_EFAULT,
		     "fault_guard");
	ck_assert_ptr_eq(newer.known.fault_addr, VMOSAL_FAKE_FAULT_ADDR);
	EXPECT_ZERO_TAIL(newer, struct vmosal_siginfo);
	/* fault may be NULL. */
	ASSERT_CALLS(vmosal_fault_guard(guarded, NULL, NULL), VMOSAL_EFAULT, "fault_guard");
	/* Any other error of the backend's comes back as it is. */
	fail_slot("fault_guard", VMOSAL_EBUSY);
	fault = untouched_info();
	ASSERT_CALLS(vmosal_fault_guard(guarded, NULL, &fault), VMOSAL_EBUSY, "fault_guard");
	ck_assert_uint_eq(fault.signal, 0x5a5a5a5au);
}
END_TEST

/* ---- 0.3: the seccomp members, and ignoring ---- */

/* The recording backend fills a siginfo as one of ABI 2.4 did, without
 * syscall and syscall_arch: the caller still reads "no system call",
 * from waits, descriptors, guards and handlers alike. */
START_TEST(test_siginfo_of_an_older_backend)
{
	const enum vmosal_signal sigs[] = {VMOSAL_SIGINT};
	struct vmosal_siginfo out, old;
	vmosal_signal_handler_t *h;
	int ctx;

	out = untouched_info();
	ASSERT_CALLS(vmosal_signal_wait(sigs, 1, 0, &out), 0, "signal_wait");
	ck_assert_int_eq(out.syscall, -1);
	ck_assert_uint_eq(out.syscall_arch, 0);
	out = untouched_info();
	ASSERT_CALLS(vmosal_signal_fd_read(VMOSAL_FAKE_SIGNAL_FD_HANDLE, &out), 0,
		     "signal_fd_read");
	ck_assert_int_eq(out.syscall, -1);
	ck_assert_uint_eq(out.syscall_arch, 0);
	fail_slot("fault_guard", VMOSAL_EFAULT);
	out = untouched_info();
	ASSERT_CALLS(vmosal_fault_guard(guarded, NULL, &out), VMOSAL_EFAULT, "fault_guard");
	ck_assert_int_eq(out.syscall, -1);
	ck_assert_uint_eq(out.syscall_arch, 0);

	/* A record of 0.2's size from the backend's handler: what lies past
	 * it is not read. */
	old = untouched_info();
	old.struct_size = OLDEST_SIGINFO;
	old.signal = VMOSAL_SIGHUP;
	ck_assert_int_eq(vmosal_signal_add_handler(VMOSAL_SIGHUP, handler0, &ctx, &h), 0);
	forget_seen();
	seen.take[0] = true;
	fake.deliver(&old);
	ck_assert_int_eq(seen.calls[0], 1);
	ck_assert_uint_eq(seen.info.struct_size, sizeof seen.info);
	ck_assert_int_eq(seen.info.syscall, -1);
	ck_assert_uint_eq(seen.info.syscall_arch, 0);
	ck_assert_int_eq(vmosal_signal_remove_handler(h), 0);
}
END_TEST

START_TEST(test_set_ignored)
{
	static const enum vmosal_signal refused[] = {
		VMOSAL_SIGSEGV, VMOSAL_SIGBUS, VMOSAL_SIGILL, VMOSAL_SIGFPE,
		VMOSAL_SIGSYS,  0,             VMOSAL_SIGNAL_COUNT,
	};
	struct vmosal_fake_call c;

	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		ASSERT_NO_CALL(vmosal_signal_set_ignored(refused[i], true), VMOSAL_EINVAL);
	ASSERT_CALLS(vmosal_signal_set_ignored(VMOSAL_SIGPIPE, true), 0, "signal_ignore");
	c = call_at(0);
	EXPECT_ARGS(c, VMOSAL_SIGPIPE, 1);
	ASSERT_CALLS(vmosal_signal_set_ignored(VMOSAL_SIGQUIT, false), 0, "signal_ignore");
	c = call_at(0);
	EXPECT_ARGS(c, VMOSAL_SIGQUIT, 0);
	fail_slot("signal_ignore", VMOSAL_EBUSY);
	ASSERT_CALLS(vmosal_signal_set_ignored(VMOSAL_SIGUSR2, true), VMOSAL_EBUSY,
		     "signal_ignore");
}
END_TEST

/* ---- thread.h: the kick ---- */

static int cancel_calls;
static void *cancel_ctx;

static void note_cancel(void *ctx)
{
	cancel_calls++;
	cancel_ctx = ctx;
}

/* The kick is set up once, by its first use. */
START_TEST(test_kick_signal)
{
	int sig = 0;

	ck_assert_str_eq(first_uses.kick, "kick_setup");
	ASSERT_NO_CALL(vmosal_thread_kick_signal(NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_kick_signal(&sig), 0);
	ck_assert_int_eq(sig, VMOSAL_FAKE_KICK_SIGNAL);
}
END_TEST

START_TEST(test_kick_register_arguments)
{
	struct vmosal_kick_target t = {.struct_size = sizeof t - 1};
	NEWER(struct vmosal_kick_target) newer;

	ASSERT_NO_CALL(vmosal_thread_kick_register(NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_kick_register(&t), VMOSAL_EINVAL);
	t.struct_size = 0;
	ASSERT_NO_CALL(vmosal_thread_kick_register(&t), VMOSAL_EINVAL);
	FILL_NEWER(newer, struct vmosal_kick_target, 0x01);
	ASSERT_NO_CALL(vmosal_thread_kick_register(&newer.known), VMOSAL_ENOTSUP);
	/* Nothing registered by any of them. */
	ASSERT_NO_CALL(vmosal_thread_kick_unregister(), VMOSAL_ENOENT);
	ASSERT_NO_CALL(vmosal_thread_kick_pending(false, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_kick_pending(true, NULL), VMOSAL_EINVAL);
}
END_TEST

/* A kick of a registered thread sets its byte and its flag and runs the
 * cancel callback before the backend is asked to interrupt it; only the
 * thread clears its flag. */
START_TEST(test_kick_registered_self)
{
	volatile uint8_t exit_byte = 0;
	struct vmosal_kick_target t = VMOSAL_STRUCT_INIT(struct vmosal_kick_target);
	NEWER(struct vmosal_kick_target) newer;
	struct vmosal_fake_call c;
	int ctx;
	bool kicked = true;

	ck_assert_int_eq(vmosal_thread_kick_pending(true, &kicked), 0);
	t.immediate_exit = &exit_byte;
	t.cancel = note_cancel;
	t.cancel_ctx = &ctx;
	cancel_calls = 0;
	ASSERT_NO_CALL(vmosal_thread_kick_register(&t), 0);
	ASSERT_NO_CALL(vmosal_thread_kick_pending(false, &kicked), 0);
	ck_assert(!kicked);

	ASSERT_CALLS(vmosal_thread_kick(VMOSAL_TID_SELF), 0, "thread_kick");
	c = call_at(0);
	EXPECT_ARGS(c, 0);
	ck_assert_uint_eq(exit_byte, 1);
	ck_assert_int_eq(cancel_calls, 1);
	ck_assert_ptr_eq(cancel_ctx, &ctx);
	/* Read without clearing, then cleared. */
	ASSERT_NO_CALL(vmosal_thread_kick_pending(false, &kicked), 0);
	ck_assert(kicked);
	ASSERT_NO_CALL(vmosal_thread_kick_pending(true, &kicked), 0);
	ck_assert(kicked);
	ASSERT_NO_CALL(vmosal_thread_kick_pending(false, &kicked), 0);
	ck_assert(!kicked);

	/* By its own id. */
	exit_byte = 0;
	ASSERT_CALLS(vmosal_thread_kick(own_tid), 0, "thread_kick");
	ck_assert_uint_eq(exit_byte, 1);

	/* Replaced by a newer caller's target with a zero tail: the old one
	 * is no longer touched. */
	FILL_NEWER(newer, struct vmosal_kick_target, 0);
	ASSERT_NO_CALL(vmosal_thread_kick_register(&newer.known), 0);
	exit_byte = 0;
	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	ck_assert_uint_eq(exit_byte, 0);
	ck_assert_int_eq(cancel_calls, 2);

	ASSERT_NO_CALL(vmosal_thread_kick_unregister(), 0);
	ASSERT_NO_CALL(vmosal_thread_kick_unregister(), VMOSAL_ENOENT);
	/* The flag outlives the registration. */
	ASSERT_NO_CALL(vmosal_thread_kick_pending(true, &kicked), 0);
	ck_assert(kicked);
}
END_TEST

START_TEST(test_kick_other_threads)
{
	bool kicked = true;
	struct vmosal_fake_call c;

	ck_assert_int_eq(vmosal_thread_kick_pending(true, &kicked), 0);
	ASSERT_CALLS(vmosal_thread_kick(OTHER_TID), 0, "thread_kick");
	c = call_at(0);
	EXPECT_ARGS(c, OTHER_TID);
	/* Not the caller's flag. */
	ck_assert_int_eq(vmosal_thread_kick_pending(false, &kicked), 0);
	ck_assert(!kicked);
	fail_slot("thread_kick", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_kick(OTHER_TID), VMOSAL_ESRCH, "thread_kick");

	/* An unregistered caller kicking itself: its flag is set. */
	fail_slot("thread_kick", 0);
	ASSERT_CALLS(vmosal_thread_kick(VMOSAL_TID_SELF), 0, "thread_kick");
	c = call_at(0);
	EXPECT_ARGS(c, 0);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &kicked), 0);
	ck_assert(kicked);
}
END_TEST

void contract_signal(Suite *s)
{
	TCase *tc = tcase_create("signal");
	TCase *kick = tcase_create("kick");

	tcase_add_checked_fixture(tc, fresh_record, NULL);
	tcase_add_test(tc, test_add_handler_arguments);
	tcase_add_test(tc, test_add_and_remove_handlers);
	tcase_add_test(tc, test_remove_handler_arguments);
	tcase_add_test(tc, test_handler_backend_errors);
	tcase_add_test(tc, test_handlers_per_signal);
	tcase_add_test(tc, test_dispatch_order_and_chain);
	tcase_add_test(tc, test_signal_set_rules);
	tcase_add_test(tc, test_block_unblock);
	tcase_add_test(tc, test_signal_wait);
	tcase_add_test(tc, test_signal_fd_create);
	tcase_add_test(tc, test_signal_fd_read);
	tcase_add_test(tc, test_fault_guard_arguments);
	tcase_add_test(tc, test_fault_guard_installs_once);
	tcase_add_test(tc, test_fault_guard_runs_fn);
	tcase_add_test(tc, test_fault_guard_reports_the_fault);
	tcase_add_test(tc, test_siginfo_of_an_older_backend);
	tcase_add_test(tc, test_set_ignored);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(kick, fresh_record, NULL);
	tcase_add_test(kick, test_kick_signal);
	tcase_add_test(kick, test_kick_register_arguments);
	tcase_add_test(kick, test_kick_registered_self);
	tcase_add_test(kick, test_kick_other_threads);
	suite_add_tcase(s, kick);
}
