/* thread.h's contract: threads, their options, names, priorities and
 * CPUs (the kick is in contract_signal.c, with the signals it uses). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"

START_TEST(test_thread_self)
{
	vmosal_tid_t tid = 0;

	ASSERT_NO_CALL(vmosal_thread_self(NULL), VMOSAL_EINVAL);
	/* Cached since the fixture asked. */
	ASSERT_NO_CALL(vmosal_thread_self(&tid), 0);
	ck_assert_uint_eq(tid, own_tid);
	ck_assert_uint_ge(tid, VMOSAL_FAKE_TID_BASE);
}
END_TEST

START_TEST(test_thread_tid_arguments)
{
	vmosal_tid_t tid;

	ASSERT_NO_CALL(vmosal_thread_tid(NULL, &tid), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_tid(NULL, NULL), VMOSAL_EINVAL);
}
END_TEST

/* What a thread's fn saw; assertions stay on the suite's own thread. */
static size_t calls_before_fn; /* since begin_calls(), when fn started */
static vmosal_tid_t fn_self;
static int fn_self_rc;

static void *note_start(void *arg)
{
	calls_before_fn = fake.count() - mark;
	fn_self_rc = vmosal_thread_self(&fn_self);
	return arg;
}

START_TEST(test_thread_create_arguments)
{
	size_t cpus[] = {1, VMOSAL_FAKE_CPUS_POSSIBLE};
	struct vmosal_thread_opts opts = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	NEWER(struct vmosal_thread_opts) newer;
	vmosal_thread_t *t = NULL;

	ASSERT_NO_CALL(vmosal_thread_create(NULL, note_start, NULL, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_create(NULL, NULL, NULL, &t), VMOSAL_EINVAL);
	/* Below the first released size (members were appended since). */
	opts.struct_size = offsetof(struct vmosal_thread_opts, flags) - 1;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	opts.struct_size = 0;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	FILL_NEWER(newer, struct vmosal_thread_opts, 0x01);
	ASSERT_NO_CALL(vmosal_thread_create(&newer.known, note_start, NULL, &t), VMOSAL_ENOTSUP);

	opts.struct_size = sizeof opts;
	opts.name = "";
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	opts.name = "sixteen-chars-xx";
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_ERANGE);
	opts.name = NULL;
	opts.ncpus = 2;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	opts.cpus = cpus;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_ERANGE);
	opts.ncpus = 0;
	opts.set_priority = true;
	opts.priority = (enum vmosal_priority)(VMOSAL_PRIORITY_REALTIME + 1);
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	opts.priority = (enum vmosal_priority)-1;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	ck_assert_ptr_null(t);
}
END_TEST

/* Options are applied by the new thread to itself, before fn runs. */
START_TEST(test_thread_create_applies_options_first)
{
	size_t cpus[] = {2, 3};
	struct vmosal_thread_opts opts = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	vmosal_thread_t *t = NULL;
	vmosal_tid_t tid = 0;
	struct vmosal_fake_call c;
	int token;
	void *result = NULL;

	opts.name = "vcpu0";
	opts.stack_size = (size_t)1 << 20;
	opts.cpus = cpus;
	opts.ncpus = 2;
	opts.set_priority = true;
	opts.priority = VMOSAL_PRIORITY_HIGH;
	begin_calls();
	ck_assert_int_eq(vmosal_thread_create(&opts, note_start, &token, &t), 0);
	ck_assert_ptr_nonnull(t);
	/* The fake runs the thread through before thread_create returns:
	 * nobody waited, so nothing is woken. */
	expect_calls("thread_create_attr", "thread_self", "thread_set_name", "thread_set_affinity",
		     "thread_set_priority", NULL);
	ck_assert_uint_eq(calls_before_fn, 5);
	c = call_at(0);
	EXPECT_ARGS(c, ANY_ARG, ANY_ARG, (size_t)1 << 20);
	c = call_at(2);
	EXPECT_ARGS(c, 0);
	ck_assert_str_eq(c.text, "vcpu0");
	c = call_at(3);
	EXPECT_ARGS(c, 0, ANY_ARG, 2, 2, 3);
	c = call_at(4);
	EXPECT_ARGS(c, 0, VMOSAL_PRIORITY_HIGH);

	/* The id the new thread got, cached there: fn's own
	 * vmosal_thread_self asked nothing more. */
	ck_assert_int_eq(fn_self_rc, 0);
	ASSERT_NO_CALL(vmosal_thread_tid(t, &tid), 0);
	ck_assert_uint_eq(tid, fn_self);
	ck_assert_uint_ne(tid, own_tid);
	ck_assert_uint_ge(tid, VMOSAL_FAKE_TID_BASE);

	ASSERT_CALLS(vmosal_thread_join(t, &result), 0, "thread_join");
	c = call_at(0);
	EXPECT_ARGS(c, ANY_ARG, ADDR(&result));
	ck_assert_ptr_eq(result, &token);
}
END_TEST

START_TEST(test_thread_create_defaults)
{
	NEWER(struct vmosal_thread_opts) newer;
	vmosal_thread_t *t = NULL;
	struct vmosal_fake_call c;

	begin_calls();
	ck_assert_int_eq(vmosal_thread_create(NULL, note_start, NULL, &t), 0);
	expect_calls("thread_create_attr", "thread_self", NULL);
	c = call_at(0);
	EXPECT_ARGS(c, ANY_ARG, ANY_ARG, 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);

	/* A newer caller's options with nothing set past ours. */
	FILL_NEWER(newer, struct vmosal_thread_opts, 0);
	begin_calls();
	ck_assert_int_eq(vmosal_thread_create(&newer.known, note_start, NULL, &t), 0);
	expect_calls("thread_create_attr", "thread_self", NULL);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
}
END_TEST

START_TEST(test_thread_create_backend_errors)
{
	struct vmosal_thread_opts opts = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	vmosal_thread_t *t = NULL;

	fail_slot("thread_create_attr", VMOSAL_EAGAIN);
	ASSERT_CALLS(vmosal_thread_create(NULL, note_start, NULL, &t), VMOSAL_EAGAIN,
		     "thread_create_attr");
	ck_assert_ptr_null(t);

	/* An option that fails in the new thread: fn never runs, the thread
	 * is reaped and the error returned. */
	fake.reset();
	calls_before_fn = 0;
	opts.set_priority = true;
	opts.priority = VMOSAL_PRIORITY_REALTIME;
	fail_slot("thread_set_realtime", VMOSAL_EPERM);
	ASSERT_CALLS(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EPERM,
		     "thread_create_attr", "thread_self", "thread_set_realtime", "thread_join");
	ck_assert_uint_eq(calls_before_fn, 0);
	ck_assert_ptr_null(t);

	fake.reset();
	opts.set_priority = false;
	opts.name = "io";
	fail_slot("thread_set_name", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_ESRCH,
		     "thread_create_attr", "thread_self", "thread_set_name", "thread_join");
	ck_assert_ptr_null(t);
}
END_TEST

/* Joins the thread it runs on. The thread_create_attr that started it passed
 * the core's thread object as its argument, which is the handle the
 * creator gets back. */
static int self_join_rc;
static size_t self_join_calls;

static void *join_myself(void *arg)
{
	size_t n = fake.count(), before;
	struct vmosal_fake_call c = {0};

	(void)arg;
	while (n-- > 0 && fake.get(n, &c) == 0 && strcmp(c.slot, "thread_create_attr") != 0)
		;
	if (c.slot == NULL || strcmp(c.slot, "thread_create_attr") != 0)
		return NULL;
	before = fake.count();
	self_join_rc = vmosal_thread_join((vmosal_thread_t *)(uintptr_t)c.args[1], NULL);
	self_join_calls = fake.count() - before;
	return NULL;
}

START_TEST(test_thread_join)
{
	vmosal_thread_t *t = NULL;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_thread_join(NULL, NULL), VMOSAL_EINVAL);

	self_join_rc = 1; /* no code: stays if the thread never tried */
	ck_assert_int_eq(vmosal_thread_create(NULL, join_myself, NULL, &t), 0);
	ck_assert_int_eq(self_join_rc, VMOSAL_EBUSY);
	ck_assert_uint_eq(self_join_calls, 0);

	/* A failed join leaves the thread joinable. */
	fail_slot("thread_join", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_thread_join(t, NULL), VMOSAL_EIO, "thread_join");
	fail_slot("thread_join", 0);
	ASSERT_CALLS(vmosal_thread_join(t, NULL), 0, "thread_join");
	c = call_at(0);
	EXPECT_ARGS(c, ANY_ARG, 0);
}
END_TEST

START_TEST(test_set_priority)
{
	enum vmosal_priority below = (enum vmosal_priority)-1;
	enum vmosal_priority above = (enum vmosal_priority)(VMOSAL_PRIORITY_REALTIME + 1);
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_thread_set_priority(VMOSAL_TID_SELF, below), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_set_priority(VMOSAL_TID_SELF, above), VMOSAL_EINVAL);

	/* Self is tid 0; the level travels as its enum value. */
	ASSERT_CALLS(vmosal_thread_set_priority(VMOSAL_TID_SELF, VMOSAL_PRIORITY_HIGH), 0,
		     "thread_set_priority");
	c = call_at(0);
	EXPECT_ARGS(c, 0, 2);
	/* The caller's own id is "self" to the backend. */
	ASSERT_CALLS(vmosal_thread_set_priority(own_tid, VMOSAL_PRIORITY_LOW), 0,
		     "thread_set_priority");
	c = call_at(0);
	EXPECT_ARGS(c, 0, VMOSAL_PRIORITY_LOW);
	ASSERT_CALLS(vmosal_thread_set_priority(OTHER_TID, VMOSAL_PRIORITY_REALTIME), 0,
		     "thread_set_priority");
	c = call_at(0);
	EXPECT_ARGS(c, OTHER_TID, VMOSAL_PRIORITY_REALTIME);

	fail_slot("thread_set_priority", VMOSAL_EPERM);
	ASSERT_CALLS(vmosal_thread_set_priority(OTHER_TID, VMOSAL_PRIORITY_HIGH),
		     VMOSAL_EPERM, "thread_set_priority");
	fail_slot("thread_set_priority", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_set_priority(OTHER_TID, VMOSAL_PRIORITY_HIGH),
		     VMOSAL_ESRCH, "thread_set_priority");
}
END_TEST

START_TEST(test_get_priority)
{
	enum vmosal_priority prio = VMOSAL_PRIORITY_LOW;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_thread_get_priority(VMOSAL_TID_SELF, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_thread_set_priority(VMOSAL_TID_SELF, VMOSAL_PRIORITY_HIGH), 0);
	ASSERT_CALLS(vmosal_thread_get_priority(own_tid, &prio), 0, "thread_get_priority");
	c = call_at(0);
	EXPECT_ARGS(c, 0);
	ck_assert_int_eq(prio, VMOSAL_PRIORITY_HIGH);
	ASSERT_CALLS(vmosal_thread_get_priority(OTHER_TID, &prio), 0,
		     "thread_get_priority");
	c = call_at(0);
	EXPECT_ARGS(c, OTHER_TID);

	prio = VMOSAL_PRIORITY_LOW;
	fail_slot("thread_get_priority", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_get_priority(OTHER_TID, &prio), VMOSAL_ESRCH,
		     "thread_get_priority");
	ck_assert_int_eq(prio, VMOSAL_PRIORITY_LOW);
}
END_TEST

START_TEST(test_set_name)
{
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_thread_set_name(VMOSAL_TID_SELF, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_set_name(VMOSAL_TID_SELF, ""), VMOSAL_EINVAL);
	/* One byte over the limit: refused, never cut. */
	ASSERT_NO_CALL(vmosal_thread_set_name(VMOSAL_TID_SELF, "sixteen-chars-xx"),
		       VMOSAL_ERANGE);

	ASSERT_CALLS(vmosal_thread_set_name(VMOSAL_TID_SELF, "fifteen-chars-x"), 0,
		     "thread_set_name");
	c = call_at(0);
	EXPECT_ARGS(c, 0);
	ck_assert_str_eq(c.text, "fifteen-chars-x");
	ASSERT_CALLS(vmosal_thread_set_name(own_tid, "me"), 0, "thread_set_name");
	c = call_at(0);
	EXPECT_ARGS(c, 0);
	ASSERT_CALLS(vmosal_thread_set_name(OTHER_TID, "other"), 0, "thread_set_name");
	c = call_at(0);
	EXPECT_ARGS(c, OTHER_TID);
	ck_assert_str_eq(c.text, "other");

	fail_slot("thread_set_name", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_set_name(OTHER_TID, "gone"), VMOSAL_ESRCH,
		     "thread_set_name");
}
END_TEST

START_TEST(test_get_name)
{
	char buf[16];
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_thread_get_name(VMOSAL_TID_SELF, NULL, sizeof buf), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_get_name(VMOSAL_TID_SELF, buf, 0), VMOSAL_EINVAL);

	ASSERT_CALLS(vmosal_thread_get_name(own_tid, buf, sizeof buf), 0,
		     "thread_get_name");
	c = call_at(0);
	EXPECT_ARGS(c, 0, ADDR(buf), sizeof buf);
	ck_assert_str_eq(buf, VMOSAL_FAKE_THREAD_NAME);
	ASSERT_CALLS(vmosal_thread_get_name(OTHER_TID, buf, 2), VMOSAL_ERANGE,
		     "thread_get_name");
	c = call_at(0);
	EXPECT_ARGS(c, OTHER_TID, ADDR(buf), 2);

	fail_slot("thread_get_name", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_get_name(OTHER_TID, buf, sizeof buf), VMOSAL_ESRCH,
		     "thread_get_name");
}
END_TEST

START_TEST(test_current_cpu)
{
	size_t cpu = 99;

	ASSERT_NO_CALL(vmosal_thread_current_cpu(NULL), VMOSAL_EINVAL);
	ASSERT_CALLS(vmosal_thread_current_cpu(&cpu), 0, "thread_current_cpu");
	ck_assert_uint_eq(cpu, VMOSAL_FAKE_CURRENT_CPU);

	cpu = 99;
	fail_slot("thread_current_cpu", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_thread_current_cpu(&cpu), VMOSAL_EIO, "thread_current_cpu");
	ck_assert_uint_eq(cpu, 99);
}
END_TEST

START_TEST(test_set_affinity)
{
	size_t cpus[] = {1, 3, 1};
	size_t past[] = {0, VMOSAL_FAKE_CPUS_POSSIBLE};
	size_t huge[] = {SIZE_MAX};
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_thread_set_affinity(VMOSAL_TID_SELF, NULL, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_set_affinity(VMOSAL_TID_SELF, cpus, 0), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_set_affinity(VMOSAL_TID_SELF, past, 2), VMOSAL_ERANGE);
	ASSERT_NO_CALL(vmosal_thread_set_affinity(OTHER_TID, huge, 1), VMOSAL_ERANGE);

	ASSERT_CALLS(vmosal_thread_set_affinity(VMOSAL_TID_SELF, cpus, 3), 0,
		     "thread_set_affinity");
	c = call_at(0);
	EXPECT_ARGS(c, 0, ANY_ARG, 3, 1, 3, 1);
	ASSERT_CALLS(vmosal_thread_set_affinity(own_tid, cpus, 2), 0,
		     "thread_set_affinity");
	c = call_at(0);
	EXPECT_ARGS(c, 0, ANY_ARG, 2, 1, 3);
	ASSERT_CALLS(vmosal_thread_set_affinity(OTHER_TID, cpus, 1), 0,
		     "thread_set_affinity");
	c = call_at(0);
	EXPECT_ARGS(c, OTHER_TID, ANY_ARG, 1, 1);

	fail_slot("thread_set_affinity", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_set_affinity(OTHER_TID, cpus, 1), VMOSAL_ESRCH,
		     "thread_set_affinity");
}
END_TEST

START_TEST(test_get_affinity)
{
	size_t cpus[8] = {0}, n = 0;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_thread_get_affinity(VMOSAL_TID_SELF, cpus, 8, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_get_affinity(VMOSAL_TID_SELF, NULL, 8, &n), VMOSAL_EINVAL);

	/* No room at all is a valid question: how many? */
	ASSERT_CALLS(vmosal_thread_get_affinity(VMOSAL_TID_SELF, NULL, 0, &n),
		     VMOSAL_ERANGE, "thread_get_affinity");
	ck_assert_uint_eq(n, VMOSAL_FAKE_CPUS_USABLE);
	ASSERT_CALLS(vmosal_thread_get_affinity(own_tid, cpus, 8, &n), 0,
		     "thread_get_affinity");
	c = call_at(0);
	EXPECT_ARGS(c, 0, ADDR(cpus), 8, ADDR(&n));
	ck_assert_uint_eq(n, VMOSAL_FAKE_CPUS_USABLE);
	ck_assert_uint_eq(cpus[3], 3);
	ASSERT_CALLS(vmosal_thread_get_affinity(OTHER_TID, cpus, 8, &n), 0,
		     "thread_get_affinity");
	c = call_at(0);
	EXPECT_ARGS(c, OTHER_TID);

	fail_slot("thread_get_affinity", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_get_affinity(OTHER_TID, cpus, 8, &n), VMOSAL_ESRCH,
		     "thread_get_affinity");
}
END_TEST

START_TEST(test_set_realtime)
{
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_thread_set_realtime(VMOSAL_TID_SELF, VMOSAL_RT_FIFO, 0),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_set_realtime(VMOSAL_TID_SELF, VMOSAL_RT_FIFO, -1),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_set_realtime(VMOSAL_TID_SELF, VMOSAL_RT_RR,
						  VMOSAL_RT_LEVEL_MAX + 1),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_set_realtime(VMOSAL_TID_SELF, (enum vmosal_rt_policy)2, 1),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_set_realtime(VMOSAL_TID_SELF, (enum vmosal_rt_policy)-1, 1),
		       VMOSAL_EINVAL);

	ASSERT_CALLS(vmosal_thread_set_realtime(VMOSAL_TID_SELF, VMOSAL_RT_FIFO, 1), 0,
		     "thread_set_realtime");
	c = call_at(0);
	EXPECT_ARGS(c, 0, VMOSAL_RT_FIFO, 1);
	ASSERT_CALLS(vmosal_thread_set_realtime(own_tid, VMOSAL_RT_RR, VMOSAL_RT_LEVEL_MAX), 0,
		     "thread_set_realtime");
	c = call_at(0);
	EXPECT_ARGS(c, 0, VMOSAL_RT_RR, VMOSAL_RT_LEVEL_MAX);
	ASSERT_CALLS(vmosal_thread_set_realtime(OTHER_TID, VMOSAL_RT_RR, 7), 0,
		     "thread_set_realtime");
	c = call_at(0);
	EXPECT_ARGS(c, OTHER_TID, VMOSAL_RT_RR, 7);

	fail_slot("thread_set_realtime", VMOSAL_EPERM);
	ASSERT_CALLS(vmosal_thread_set_realtime(OTHER_TID, VMOSAL_RT_FIFO, 2), VMOSAL_EPERM,
		     "thread_set_realtime");
	fail_slot("thread_set_realtime", VMOSAL_ESRCH);
	ASSERT_CALLS(vmosal_thread_set_realtime(OTHER_TID, VMOSAL_RT_FIFO, 2), VMOSAL_ESRCH,
		     "thread_set_realtime");
}
END_TEST

/* The options appended to struct vmosal_thread_opts. */
START_TEST(test_thread_create_appended_options)
{
	struct vmosal_thread_opts opts = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	vmosal_thread_t *t = NULL;
	uint32_t not_applied = 99;
	struct vmosal_fake_call c;

	opts.flags = 0x2;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	/* not_applied only with BEST_EFFORT. */
	opts.flags = 0;
	opts.not_applied = &not_applied;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	/* A realtime policy or level only with priority REALTIME. */
	opts.not_applied = NULL;
	opts.rt_policy = VMOSAL_RT_RR;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	opts.set_priority = true;
	opts.priority = VMOSAL_PRIORITY_HIGH;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	opts.rt_policy = VMOSAL_RT_FIFO;
	opts.rt_level = 3;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	/* Checked as vmosal_thread_set_realtime checks them. */
	opts.priority = VMOSAL_PRIORITY_REALTIME;
	opts.rt_level = VMOSAL_RT_LEVEL_MAX + 1;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	opts.rt_level = -1;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	opts.rt_policy = (enum vmosal_rt_policy)2;
	opts.rt_level = 1;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_EINVAL);
	ck_assert_ptr_null(t);

	/* Given to the backend with the thread; this one applies nothing of
	 * it, so the new thread does, before fn. */
	opts.rt_policy = VMOSAL_RT_RR;
	opts.rt_level = 7;
	begin_calls();
	ck_assert_int_eq(vmosal_thread_create(&opts, note_start, NULL, &t), 0);
	expect_calls("thread_create_attr", "thread_self", "thread_set_realtime", NULL);
	c = call_at(0);
	EXPECT_ARGS(c, ANY_ARG, ANY_ARG, 0, 0, 1, (uint64_t)VMOSAL_RT_RR << 32 | 7);
	c = call_at(2);
	EXPECT_ARGS(c, 0, VMOSAL_RT_RR, 7);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	/* Level 0 means 1. */
	opts.rt_level = 0;
	begin_calls();
	ck_assert_int_eq(vmosal_thread_create(&opts, note_start, NULL, &t), 0);
	c = call_at(0);
	EXPECT_ARGS(c, ANY_ARG, ANY_ARG, 0, 0, 1, (uint64_t)VMOSAL_RT_RR << 32 | 1);
	c = call_at(2);
	EXPECT_ARGS(c, 0, VMOSAL_RT_RR, 1);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
}
END_TEST

/* BEST_EFFORT: an option the OS refuses (EPERM, EACCES, ENOTSUP) is left
 * out and reported; one wrong in itself still fails. */
START_TEST(test_thread_create_best_effort)
{
	struct vmosal_thread_opts opts = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	vmosal_thread_t *t = NULL;
	uint32_t not_applied = 99;
	int token;
	void *result = NULL;

	opts.flags = VMOSAL_THREAD_BEST_EFFORT;
	opts.not_applied = &not_applied;
	opts.name = "vcpu3";
	fail_slot("thread_set_name", VMOSAL_EPERM);
	calls_before_fn = 0;
	begin_calls();
	ck_assert_int_eq(vmosal_thread_create(&opts, note_start, &token, &t), 0);
	expect_calls("thread_create_attr", "thread_self", "thread_set_name", NULL);
	ck_assert_uint_eq(not_applied, VMOSAL_THREAD_NOT_NAME);
	ck_assert_uint_eq(calls_before_fn, 3);
	ck_assert_int_eq(vmosal_thread_join(t, &result), 0);
	ck_assert_ptr_eq(result, &token);

	/* Everything applied: 0. */
	fail_slot("thread_set_name", 0);
	not_applied = 99;
	ck_assert_int_eq(vmosal_thread_create(&opts, note_start, NULL, &t), 0);
	ck_assert_uint_eq(not_applied, 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);

	/* Not a refusal: still fails. */
	fail_slot("thread_set_name", VMOSAL_ESRCH);
	t = NULL;
	ck_assert_int_eq(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_ESRCH);
	ck_assert_ptr_null(t);
	opts.name = "sixteen-chars-xx";
	ASSERT_NO_CALL(vmosal_thread_create(&opts, note_start, NULL, &t), VMOSAL_ERANGE);
}
END_TEST

void contract_thread(Suite *s)
{
	TCase *tc = tcase_create("thread");

	tcase_add_checked_fixture(tc, fresh_record, NULL);
	tcase_add_test(tc, test_thread_self);
	tcase_add_test(tc, test_thread_tid_arguments);
	tcase_add_test(tc, test_thread_create_arguments);
	tcase_add_test(tc, test_thread_create_applies_options_first);
	tcase_add_test(tc, test_thread_create_defaults);
	tcase_add_test(tc, test_thread_create_backend_errors);
	tcase_add_test(tc, test_thread_join);
	tcase_add_test(tc, test_set_priority);
	tcase_add_test(tc, test_get_priority);
	tcase_add_test(tc, test_set_name);
	tcase_add_test(tc, test_get_name);
	tcase_add_test(tc, test_current_cpu);
	tcase_add_test(tc, test_set_affinity);
	tcase_add_test(tc, test_get_affinity);
	tcase_add_test(tc, test_set_realtime);
	tcase_add_test(tc, test_thread_create_appended_options);
	tcase_add_test(tc, test_thread_create_best_effort);
	suite_add_tcase(s, tc);
}
