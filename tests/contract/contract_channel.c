/* channel.h's contract: names, lengths, handle counts and flags checked
 * by the core; the kick rule around accept and recv; what recv reports in
 * its growable struct. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"

#define CHANNEL VMOSAL_FAKE_CHANNEL_HANDLE
#define CHANNEL_PEER ((vmosal_handle_t)((intptr_t)VMOSAL_FAKE_CHANNEL_HANDLE + 1))
#define EVENT VMOSAL_FAKE_EVENT_HANDLE
#define MS INT64_C(1000000)
/* What an output holds before a call that must not write it: neither a
 * handle the fake hands out nor VMOSAL_NO_HANDLE, which a core that wrote
 * its own unset value would store. */
#define UNTOUCHED ((vmosal_handle_t)(intptr_t)99)

/* A name of len bytes and its NUL, to free(). */
static char *name_of(size_t len)
{
	char *name = malloc(len + 1);

	ck_assert_ptr_nonnull(name);
	memset(name, 'n', len);
	name[len] = '\0';
	return name;
}

START_TEST(test_channel_pair)
{
	vmosal_handle_t out[2] = {VMOSAL_NO_HANDLE, VMOSAL_NO_HANDLE};
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_channel_pair(0, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_pair(1, out), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_pair(0x80000000u, out), VMOSAL_EINVAL);
	ck_assert(out[0] == VMOSAL_NO_HANDLE && out[1] == VMOSAL_NO_HANDLE);
	ASSERT_CALLS(vmosal_channel_pair(0, out), 0, "channel_pair");
	c = call_at(0);
	EXPECT_ARGS(c, 0);
	ck_assert(out[0] == CHANNEL);
	ck_assert(out[1] == CHANNEL_PEER);
	/* A failure leaves both ends as they were. */
	out[0] = out[1] = UNTOUCHED;
	fail_slot("channel_pair", VMOSAL_ENOMEM);
	ASSERT_CALLS(vmosal_channel_pair(0, out), VMOSAL_ENOMEM, "channel_pair");
	ck_assert(out[0] == UNTOUCHED && out[1] == UNTOUCHED);
}
END_TEST

/* listen and connect check their names and flags alike. */
static void expect_names_checked(int (*op)(const char *, unsigned, vmosal_handle_t *),
				 const char *slot)
{
	char *longest = name_of(VMOSAL_CHANNEL_NAME_MAX);
	char *too_long = name_of(VMOSAL_CHANNEL_NAME_MAX + 1);
	/* No NUL within the bytes the core may read: it reads no further
	 * (ASan sees any byte past). */
	char *unterminated = malloc(VMOSAL_CHANNEL_NAME_MAX + 1);
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	struct vmosal_fake_call c;

	ck_assert_ptr_nonnull(unterminated);
	memset(unterminated, 'u', VMOSAL_CHANNEL_NAME_MAX + 1);
	ASSERT_NO_CALL(op(NULL, 0, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(op("", 0, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(op("name", 0, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(op("name", 1, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(op("name", 0x80000000u, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(op(too_long, 0, &h), VMOSAL_ENAMETOOLONG);
	ASSERT_NO_CALL(op(unterminated, 0, &h), VMOSAL_ENAMETOOLONG);
	/* Flags are checked before the name. */
	ASSERT_NO_CALL(op(too_long, 1, &h), VMOSAL_EINVAL);
	ck_assert(h == VMOSAL_NO_HANDLE);

	/* 1 and VMOSAL_CHANNEL_NAME_MAX bytes: the caller's own string. */
	ASSERT_CALLS(op("n", 0, &h), 0, slot);
	c = call_at(0);
	EXPECT_ARGS(c, ANY_ARG, 0, ADDR(&h));
	ck_assert_str_eq(c.text, "n");
	ck_assert(h == CHANNEL);
	h = VMOSAL_NO_HANDLE;
	ASSERT_CALLS(op(longest, 0, &h), 0, slot);
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(longest), 0, ADDR(&h));
	ck_assert(h == CHANNEL);

	h = VMOSAL_NO_HANDLE;
	fail_slot(slot, VMOSAL_ENOENT);
	ASSERT_CALLS(op("/tmp/nobody", 0, &h), VMOSAL_ENOENT, slot);
	ck_assert(h == VMOSAL_NO_HANDLE);
	fail_slot(slot, 0);
	free(unterminated);
	free(too_long);
	free(longest);
}

START_TEST(test_channel_listen)
{
	expect_names_checked(vmosal_channel_listen, "channel_listen");
}
END_TEST

START_TEST(test_channel_connect)
{
	expect_names_checked(vmosal_channel_connect, "channel_connect");
}
END_TEST

START_TEST(test_channel_accept)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_channel_accept(CHANNEL, 0, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_accept(VMOSAL_NO_HANDLE, 0, &h), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_channel_accept(BAD_HANDLE, -1, &h), VMOSAL_EBADF);
	ck_assert(h == VMOSAL_NO_HANDLE);

	ASSERT_CALLS(vmosal_channel_accept(CHANNEL, 0, &h), 0, "channel_accept");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(CHANNEL), 0, ANY_ARG, 0);
	ck_assert(h == CHANNEL);
	h = VMOSAL_NO_HANDLE;
	ASSERT_CALLS(vmosal_channel_accept(CHANNEL, -1, &h), 0, "channel_accept");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(CHANNEL), (uint64_t)-1, ANY_ARG, 0);
	ck_assert(h == CHANNEL);
	ASSERT_CALLS(vmosal_channel_accept(CHANNEL, 5 * MS, &h), 0, "clock_ns", "channel_accept");
	c = call_at(1);
	EXPECT_ARGS(c, HANDLE_ARG(CHANNEL), 5 * MS);

	h = UNTOUCHED;
	fail_slot("channel_accept", VMOSAL_ETIMEDOUT);
	ASSERT_CALLS(vmosal_channel_accept(CHANNEL, 0, &h), VMOSAL_ETIMEDOUT, "channel_accept");
	ck_assert(h == UNTOUCHED);
}
END_TEST

/* A signal handler ran: the wait goes on with what is left. */
START_TEST(test_channel_accept_resumes_after_signals)
{
	const int64_t step = (int64_t)VMOSAL_FAKE_CLOCK_STEP;
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	struct vmosal_fake_call c;

	fail_slot("channel_accept", VMOSAL_EINTR);
	begin_calls();
	ck_assert_int_eq(vmosal_channel_accept(CHANNEL, 2 * step, &h), VMOSAL_ETIMEDOUT);
	expect_calls("clock_ns", "channel_accept", "clock_ns", "channel_accept", "clock_ns",
		     NULL);
	c = call_at(3);
	EXPECT_ARGS(c, HANDLE_ARG(CHANNEL), step);
	ck_assert(h == VMOSAL_NO_HANDLE);
}
END_TEST

START_TEST(test_channel_accept_kick_pending)
{
	vmosal_handle_t h = UNTOUCHED;
	struct vmosal_fake_call c;
	bool kicked;

	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	ASSERT_CALLS(vmosal_channel_accept(CHANNEL, -1, &h), VMOSAL_EINTR, "channel_accept");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(CHANNEL), (uint64_t)-1, ANY_ARG, 1);
	ASSERT_CALLS(vmosal_channel_accept(CHANNEL, 5 * MS, &h), VMOSAL_EINTR, "clock_ns",
		     "channel_accept");
	ck_assert(h == UNTOUCHED);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &kicked), 0);
	ck_assert(kicked);
	ASSERT_CALLS(vmosal_channel_accept(CHANNEL, 0, &h), 0, "channel_accept");
	ck_assert(h == CHANNEL);
}
END_TEST

START_TEST(test_channel_send_arguments)
{
	static unsigned char buf[VMOSAL_CHANNEL_MAX_MESSAGE + 1];
	vmosal_handle_t handles[VMOSAL_CHANNEL_MAX_HANDLES + 1];

	for (size_t i = 0; i < sizeof handles / sizeof handles[0]; i++)
		handles[i] = EVENT;
	ASSERT_NO_CALL(vmosal_channel_send(CHANNEL, NULL, 1, NULL, 0), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_send(CHANNEL, buf, 0, NULL, 0), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_send(CHANNEL, buf, 1, NULL, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_send(CHANNEL, buf, VMOSAL_CHANNEL_MAX_MESSAGE + 1, NULL, 0),
		       VMOSAL_EMSGSIZE);
	ASSERT_NO_CALL(vmosal_channel_send(CHANNEL, buf, SIZE_MAX, NULL, 0), VMOSAL_EMSGSIZE);
	ASSERT_NO_CALL(vmosal_channel_send(CHANNEL, buf, 1, handles,
					   VMOSAL_CHANNEL_MAX_HANDLES + 1),
		       VMOSAL_EMSGSIZE);
	ASSERT_NO_CALL(vmosal_channel_send(CHANNEL, buf, 1, handles, SIZE_MAX), VMOSAL_EMSGSIZE);
	ASSERT_NO_CALL(vmosal_channel_send(VMOSAL_NO_HANDLE, buf, 1, NULL, 0), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_channel_send(BAD_HANDLE, buf, 1, handles, 1), VMOSAL_EBADF);
	/* A bad handle anywhere among those sent: nothing is sent. */
	handles[0] = VMOSAL_NO_HANDLE;
	ASSERT_NO_CALL(vmosal_channel_send(CHANNEL, buf, 1, handles, 1), VMOSAL_EBADF);
	handles[0] = EVENT;
	handles[VMOSAL_CHANNEL_MAX_HANDLES - 1] = BAD_HANDLE;
	ASSERT_NO_CALL(vmosal_channel_send(CHANNEL, buf, 1, handles, VMOSAL_CHANNEL_MAX_HANDLES),
		       VMOSAL_EBADF);
	/* Past nhandles, nothing is looked at. */
	ASSERT_CALLS(vmosal_channel_send(CHANNEL, buf, 1, handles, VMOSAL_CHANNEL_MAX_HANDLES - 1),
		     0, "channel_send");
}
END_TEST

START_TEST(test_channel_send)
{
	static unsigned char buf[VMOSAL_CHANNEL_MAX_MESSAGE];
	vmosal_handle_t handles[VMOSAL_CHANNEL_MAX_HANDLES];
	struct vmosal_fake_call c;

	for (size_t i = 0; i < sizeof handles / sizeof handles[0]; i++)
		handles[i] = (vmosal_handle_t)(intptr_t)(20 + i);
	ASSERT_CALLS(vmosal_channel_send(CHANNEL, buf, 1, NULL, 0), 0, "channel_send");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(CHANNEL), ADDR(buf), 1, 0, 0);
	/* The largest message with the most handles. */
	ASSERT_CALLS(vmosal_channel_send(CHANNEL, buf, sizeof buf, handles,
					 VMOSAL_CHANNEL_MAX_HANDLES),
		     0, "channel_send");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(CHANNEL), ADDR(buf), VMOSAL_CHANNEL_MAX_MESSAGE, ADDR(handles),
		    VMOSAL_CHANNEL_MAX_HANDLES);
	/* handles[] without nhandles: nothing sent with the message. */
	ASSERT_CALLS(vmosal_channel_send(CHANNEL_PEER, buf, 3, handles, 0), 0, "channel_send");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(CHANNEL_PEER), ADDR(buf), 3, ANY_ARG, 0);
	fail_slot("channel_send", VMOSAL_EPIPE);
	ASSERT_CALLS(vmosal_channel_send(CHANNEL, buf, 1, handles, 1), VMOSAL_EPIPE,
		     "channel_send");
}
END_TEST

/* A message struct the caller has not touched since it was poisoned. */
static void expect_msg_untouched(const struct vmosal_channel_msg *m)
{
	const unsigned char *p = (const unsigned char *)m;

	ck_assert_uint_eq(m->struct_size, sizeof *m);
	for (size_t i = sizeof m->struct_size; i < sizeof *m; i++)
		ck_assert_msg(p[i] == 0x5a, "msg byte %zu written", i);
}

static struct vmosal_channel_msg poisoned_msg(void)
{
	struct vmosal_channel_msg m;

	memset(&m, 0x5a, sizeof m);
	m.struct_size = sizeof m;
	return m;
}

START_TEST(test_channel_recv_arguments)
{
	unsigned char buf[16];
	vmosal_handle_t handles[2];
	struct vmosal_channel_msg m = poisoned_msg();
	struct vmosal_channel_msg small = {.struct_size = sizeof small - 1};
	struct vmosal_channel_msg huge = {.struct_size = UINT32_MAX};
	struct vmosal_channel_msg zero = {.struct_size = 0};

	memset(buf, 0x5a, sizeof buf);
	ASSERT_NO_CALL(vmosal_channel_recv(CHANNEL, NULL, 1, NULL, 0, 0, &m), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_recv(CHANNEL, buf, 0, NULL, 0, 0, &m), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_recv(CHANNEL, buf, 1, NULL, 1, 0, &m), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_recv(CHANNEL, buf, 1, handles, 2, 0, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_recv(CHANNEL, buf, 1, handles, 2, 0, &small), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_recv(CHANNEL, buf, 1, handles, 2, 0, &zero), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_recv(CHANNEL, buf, 1, handles, 2, 0, &huge), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_recv(VMOSAL_NO_HANDLE, buf, 1, handles, 2, 0, &m),
		       VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_channel_recv(BAD_HANDLE, buf, 1, NULL, 0, -1, &m), VMOSAL_EBADF);
	/* An argument error before a bad handle. */
	ASSERT_NO_CALL(vmosal_channel_recv(VMOSAL_NO_HANDLE, buf, 0, NULL, 0, 0, &m),
		       VMOSAL_EINVAL);
	expect_msg_untouched(&m);
	ck_assert_uint_eq(small.len, 0);
	ck_assert_uint_eq(huge.len, 0);
	for (size_t i = 0; i < sizeof buf; i++)
		ck_assert_uint_eq(buf[i], 0x5a);
}
END_TEST

START_TEST(test_channel_recv)
{
	unsigned char buf[16];
	vmosal_handle_t handles[VMOSAL_CHANNEL_MAX_HANDLES * 2];
	struct vmosal_channel_msg m = poisoned_msg();
	NEWER(struct vmosal_channel_msg) newer;
	struct vmosal_fake_call c;

	memset(buf, 0, sizeof buf);
	ASSERT_CALLS(vmosal_channel_recv(CHANNEL, buf, sizeof buf, handles, 4, 0, &m), 0,
		     "channel_recv");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(CHANNEL), ADDR(buf), sizeof buf, ANY_ARG, ADDR(handles), 4);
	ck_assert_uint_eq(buf[0], 0x5a);
	ck_assert_uint_eq(m.struct_size, sizeof m);
	ck_assert_uint_eq(m.len, 1);
	ck_assert_uint_eq(m.nhandles, 0);
	ck_assert_uint_eq(m.reserved, 0);
	/* No handles wanted; room for more than a message carries is cut to
	 * what one may carry. */
	ASSERT_CALLS(vmosal_channel_recv(CHANNEL, buf, 1, NULL, 0, -1, &m), 0, "channel_recv");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(CHANNEL), ADDR(buf), 1, ANY_ARG, ANY_ARG, 0);
	ASSERT_CALLS(vmosal_channel_recv(CHANNEL, buf, 1, handles,
					 sizeof handles / sizeof handles[0], -1, &m),
		     0, "channel_recv");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(CHANNEL), ADDR(buf), 1, ANY_ARG, ADDR(handles),
		    VMOSAL_CHANNEL_MAX_HANDLES);
	ASSERT_CALLS(vmosal_channel_recv(CHANNEL, buf, 1, handles, SIZE_MAX, -1, &m), 0,
		     "channel_recv");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(CHANNEL), ADDR(buf), 1, ANY_ARG, ADDR(handles),
		    VMOSAL_CHANNEL_MAX_HANDLES);
	/* A bounded wait reads the clock first. */
	ASSERT_CALLS(vmosal_channel_recv(CHANNEL, buf, 1, NULL, 0, 5 * MS, &m), 0, "clock_ns",
		     "channel_recv");
	/* A newer caller's struct: the tail this library does not know is
	 * zeroed, its struct_size kept. */
	FILL_NEWER(newer, struct vmosal_channel_msg, 0xaa);
	ASSERT_CALLS(vmosal_channel_recv(CHANNEL, buf, 1, NULL, 0, 0, &newer.known), 0,
		     "channel_recv");
	ck_assert_uint_eq(newer.known.len, 1);
	EXPECT_ZERO_TAIL(newer, struct vmosal_channel_msg);
}
END_TEST

/* Failures leave *msg alone, except EMSGSIZE, which reports the length
 * (the fake's length: 0, as it wrote none) and no handles. */
START_TEST(test_channel_recv_errors)
{
	unsigned char buf[4];
	vmosal_handle_t handles[2];
	struct vmosal_channel_msg m = poisoned_msg();

	fail_slot("channel_recv", VMOSAL_EPIPE);
	ASSERT_CALLS(vmosal_channel_recv(CHANNEL, buf, sizeof buf, handles, 2, 0, &m),
		     VMOSAL_EPIPE, "channel_recv");
	expect_msg_untouched(&m);
	fail_slot("channel_recv", VMOSAL_ETIMEDOUT);
	ASSERT_CALLS(vmosal_channel_recv(CHANNEL, buf, sizeof buf, handles, 2, 0, &m),
		     VMOSAL_ETIMEDOUT, "channel_recv");
	expect_msg_untouched(&m);
	fail_slot("channel_recv", VMOSAL_EMSGSIZE);
	ASSERT_CALLS(vmosal_channel_recv(CHANNEL, buf, sizeof buf, handles, 2, 0, &m),
		     VMOSAL_EMSGSIZE, "channel_recv");
	ck_assert_uint_eq(m.struct_size, sizeof m);
	ck_assert_uint_eq(m.len, 0);
	ck_assert_uint_eq(m.nhandles, 0);
}
END_TEST

START_TEST(test_channel_recv_resumes_after_signals)
{
	const int64_t step = (int64_t)VMOSAL_FAKE_CLOCK_STEP;
	unsigned char buf[4];
	struct vmosal_channel_msg m = poisoned_msg();

	fail_slot("channel_recv", VMOSAL_EINTR);
	begin_calls();
	ck_assert_int_eq(vmosal_channel_recv(CHANNEL, buf, sizeof buf, NULL, 0, 2 * step, &m),
			 VMOSAL_ETIMEDOUT);
	expect_calls("clock_ns", "channel_recv", "clock_ns", "channel_recv", "clock_ns", NULL);
	expect_msg_untouched(&m);
}
END_TEST

START_TEST(test_channel_recv_kick_pending)
{
	unsigned char buf[4] = {0};
	struct vmosal_channel_msg m = poisoned_msg();
	bool kicked;

	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	ASSERT_CALLS(vmosal_channel_recv(CHANNEL, buf, sizeof buf, NULL, 0, 0, &m), VMOSAL_EINTR,
		     "channel_recv");
	ASSERT_CALLS(vmosal_channel_recv(CHANNEL, buf, sizeof buf, NULL, 0, -1, &m),
		     VMOSAL_EINTR, "channel_recv");
	ASSERT_CALLS(vmosal_channel_recv(CHANNEL, buf, sizeof buf, NULL, 0, 5 * MS, &m),
		     VMOSAL_EINTR, "clock_ns", "channel_recv");
	expect_msg_untouched(&m);
	ck_assert_uint_eq(buf[0], 0);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &kicked), 0);
	ck_assert(kicked);
	ASSERT_CALLS(vmosal_channel_recv(CHANNEL, buf, sizeof buf, NULL, 0, 0, &m), 0,
		     "channel_recv");
	ck_assert_uint_eq(m.len, 1);
}
END_TEST

START_TEST(test_channel_peer_pid)
{
	uint64_t pid = 77;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_channel_peer_pid(CHANNEL, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_peer_pid(VMOSAL_NO_HANDLE, &pid), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_channel_peer_pid(BAD_HANDLE, &pid), VMOSAL_EBADF);
	ck_assert_uint_eq(pid, 77);
	ASSERT_CALLS(vmosal_channel_peer_pid(CHANNEL, &pid), 0, "channel_peer_pid");
	c = call_at(0);
	EXPECT_ARGS(c, HANDLE_ARG(CHANNEL), ADDR(&pid));
	ck_assert_uint_eq(pid, VMOSAL_FAKE_PEER_PID);
	pid = 77;
	fail_slot("channel_peer_pid", VMOSAL_ENOTSUP);
	ASSERT_CALLS(vmosal_channel_peer_pid(CHANNEL, &pid), VMOSAL_ENOTSUP, "channel_peer_pid");
	ck_assert_uint_eq(pid, 77);
}
END_TEST

/* Channels and listeners close as every handle does. */
START_TEST(test_channel_close)
{
	vmosal_handle_t pair[2], listener;

	ck_assert_int_eq(vmosal_channel_pair(0, pair), 0);
	ck_assert_int_eq(vmosal_channel_listen("l", 0, &listener), 0);
	ASSERT_CALLS(vmosal_handle_close(pair[1]), 0, "handle_close");
	ck_assert_uint_eq(call_at(0).args[0], HANDLE_ARG(CHANNEL_PEER));
	ASSERT_CALLS(vmosal_handle_close(listener), 0, "handle_close");
	ck_assert_uint_eq(call_at(0).args[0], HANDLE_ARG(CHANNEL));
}
END_TEST

/* ==== on a real backend ==================================================== */

#define OS_PAIR(pair)                                                                     \
	do {                                                                              \
		int rc_ = vmosal_channel_pair(0, (pair));                                 \
		if (rc_ == VMOSAL_ENOTSUP)                                                \
			CONTRACT_SKIP("%s has no channels", vmosal_backend_name());       \
		ck_assert_msg(rc_ == 0, "vmosal_channel_pair: %s", vmosal_err_name(rc_)); \
	} while (0)

/* Boundaries kept, a handle carried as a new handle of the same object,
 * the peer's pid (this process), and a message too long for the buffer
 * dropped whole with its length told. */
START_TEST(test_os_channel_round_trip)
{
	vmosal_handle_t pair[2], ev = VMOSAL_NO_HANDLE, got[2] = {VMOSAL_NO_HANDLE};
	struct vmosal_channel_msg m = VMOSAL_STRUCT_INIT(struct vmosal_channel_msg);
	char buf[8] = {0};
	uint64_t pid = 0, own = 0;

	OS_PAIR(pair);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_channel_send(pair[0], "abc", 3, &ev, 1), 0);
	ck_assert_int_eq(vmosal_channel_send(pair[0], "de", 2, NULL, 0), 0);
	ck_assert_int_eq(vmosal_channel_recv(pair[1], buf, sizeof buf, got, 2, -1, &m), 0);
	ck_assert_uint_eq(m.len, 3);
	ck_assert_uint_eq(m.nhandles, 1);
	ck_assert(memcmp(buf, "abc", 3) == 0);
	ck_assert(VMOSAL_HANDLE_VALID(got[0]));
	/* The same event: signalled through one, seen through the other. */
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_event_wait(got[0], 0), 0);
	ck_assert_int_eq(vmosal_channel_recv(pair[1], buf, sizeof buf, NULL, 0, -1, &m), 0);
	ck_assert_uint_eq(m.len, 2);
	ck_assert_uint_eq(m.nhandles, 0);
	ck_assert_int_eq(vmosal_channel_recv(pair[1], buf, sizeof buf, NULL, 0, 0, &m),
			 VMOSAL_ETIMEDOUT);
	/* Too long for the buffer: dropped, its length told; the next one
	 * is the next message. */
	ck_assert_int_eq(vmosal_channel_send(pair[1], "0123456789", 10, NULL, 0), 0);
	ck_assert_int_eq(vmosal_channel_send(pair[1], "x", 1, NULL, 0), 0);
	ck_assert_int_eq(vmosal_channel_recv(pair[0], buf, 4, NULL, 0, -1, &m), VMOSAL_EMSGSIZE);
	ck_assert_uint_eq(m.len, 10);
	ck_assert_int_eq(vmosal_channel_recv(pair[0], buf, sizeof buf, NULL, 0, -1, &m), 0);
	ck_assert_uint_eq(m.len, 1);
	ck_assert_int_eq(buf[0], 'x');
	if (vmosal_channel_peer_pid(pair[0], &pid) != VMOSAL_ENOTSUP) {
		ck_assert_int_eq(vmosal_process_id(&own), 0);
		ck_assert_uint_eq(pid, own);
	}
	ck_assert_int_eq(vmosal_handle_close(got[0]), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	/* The peer gone, and nothing left: EPIPE, on both calls. */
	ck_assert_int_eq(vmosal_handle_close(pair[0]), 0);
	ck_assert_int_eq(vmosal_channel_recv(pair[1], buf, sizeof buf, NULL, 0, -1, &m),
			 VMOSAL_EPIPE);
	ck_assert_int_eq(vmosal_channel_send(pair[1], "y", 1, NULL, 0), VMOSAL_EPIPE);
	ck_assert_int_eq(vmosal_handle_close(pair[1]), 0);
}
END_TEST

/* A pending kick ends a receive before it looks at the channel. */
START_TEST(test_os_channel_recv_kick_pending)
{
	vmosal_handle_t pair[2];
	struct vmosal_channel_msg m = VMOSAL_STRUCT_INIT(struct vmosal_channel_msg);
	char buf[4];
	bool kicked = false;

	OS_PAIR(pair);
	ck_assert_int_eq(vmosal_channel_send(pair[0], "k", 1, NULL, 0), 0);
	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	ck_assert_int_eq(vmosal_channel_recv(pair[1], buf, sizeof buf, NULL, 0, 0, &m),
			 VMOSAL_EINTR);
	ck_assert_int_eq(vmosal_channel_recv(pair[1], buf, sizeof buf, NULL, 0,
					     INT64_C(10000000000), &m),
			 VMOSAL_EINTR);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &kicked), 0);
	ck_assert(kicked);
	ck_assert_int_eq(vmosal_channel_recv(pair[1], buf, sizeof buf, NULL, 0, 0, &m), 0);
	ck_assert_uint_eq(m.len, 1);
	ck_assert_int_eq(vmosal_handle_close(pair[0]), 0);
	ck_assert_int_eq(vmosal_handle_close(pair[1]), 0);
}
END_TEST

void contract_channel_on_backend(Suite *s)
{
	TCase *tc = tcase_create("channel");

	tcase_add_test(tc, test_os_channel_round_trip);
	tcase_add_test(tc, test_os_channel_recv_kick_pending);
	suite_add_tcase(s, tc);
}

void contract_channel(Suite *s)
{
	TCase *tc = tcase_create("channel");

	tcase_add_checked_fixture(tc, fresh_record, NULL);
	tcase_add_test(tc, test_channel_pair);
	tcase_add_test(tc, test_channel_listen);
	tcase_add_test(tc, test_channel_connect);
	tcase_add_test(tc, test_channel_accept);
	tcase_add_test(tc, test_channel_accept_resumes_after_signals);
	tcase_add_test(tc, test_channel_accept_kick_pending);
	tcase_add_test(tc, test_channel_send_arguments);
	tcase_add_test(tc, test_channel_send);
	tcase_add_test(tc, test_channel_recv_arguments);
	tcase_add_test(tc, test_channel_recv);
	tcase_add_test(tc, test_channel_recv_errors);
	tcase_add_test(tc, test_channel_recv_resumes_after_signals);
	tcase_add_test(tc, test_channel_recv_kick_pending);
	tcase_add_test(tc, test_channel_peer_pid);
	tcase_add_test(tc, test_channel_close);
	suite_add_tcase(s, tc);
}
