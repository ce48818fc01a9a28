/* Channels (channel.h) on the host's backend: messages that keep their
 * boundaries and carry handles, within a process and between two. Built
 * for every host: a case that needs what Windows lacks skips there, saying
 * what. Built a second time on Linux as check_channel_stream
 * (CHANNEL_TEST_STREAM), on a build of the Linux backend whose channels
 * use the framing on SOCK_STREAM that the Darwin backend uses. */
#include "config.h"

#include <string.h>
#ifndef _WIN32
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "testutil.h"
#include "vmosal.h"

#define SECONDS(n) ((int64_t)(n) * 1000000000)
/* Long enough never to end a wait on a busy machine: a hang ends there. */
#define NO_HANG SECONDS(60)

static void setup(void)
{
	ck_assert_int_eq(vmosal_init(), 0);
}

static struct vmosal_channel_msg msg_init(void)
{
	struct vmosal_channel_msg m = VMOSAL_STRUCT_INIT(struct vmosal_channel_msg);

	return m;
}

/* A name no other test or run uses: a socket path on POSIX (short enough
 * for every OS's sun_path), a pipe name on Windows. */
static void channel_name(char *buf, size_t len, const char *what)
{
	static unsigned serial;
	uint64_t pid = 0;

	ck_assert_int_eq(vmosal_process_id(&pid), 0);
#ifdef _WIN32
	snprintf(buf, len, "vmosal-check-%s-%llu-%u", what, (unsigned long long)pid, serial++);
#else
	{
		const char *dir = getenv("TMPDIR");

		if (dir == NULL || dir[0] == '\0' || strlen(dir) > 60)
			dir = "/tmp";
		snprintf(buf, len, "%s/vmosal-%s-%llu-%u", dir, what, (unsigned long long)pid,
			 serial++);
	}
#endif
	ck_assert_uint_le(strlen(buf), VMOSAL_CHANNEL_NAME_MAX);
}

/* Receives one message that must come, into buf. */
static size_t recv_some(vmosal_handle_t ch, void *buf, size_t cap, vmosal_handle_t *handles,
			size_t hcap, size_t *nhandles)
{
	struct vmosal_channel_msg m = msg_init();

	ck_assert_int_eq(vmosal_channel_recv(ch, buf, cap, handles, hcap, NO_HANG, &m), 0);
	if (nhandles != NULL)
		*nhandles = m.nhandles;
	else
		ck_assert_uint_eq(m.nhandles, 0);
	return m.len;
}

START_TEST(test_pair_round_trip)
{
	vmosal_handle_t ch[2];
	char buf[64];
	uint64_t self = 0, peer = 0;

	ck_assert_int_eq(vmosal_channel_pair(0, ch), 0);
	ck_assert_int_eq(vmosal_channel_send(ch[0], "hello", 5, NULL, 0), 0);
	ck_assert_uint_eq(recv_some(ch[1], buf, sizeof buf, NULL, 0, NULL), 5);
	ck_assert(memcmp(buf, "hello", 5) == 0);
	/* Both ways. */
	ck_assert_int_eq(vmosal_channel_send(ch[1], "back", 4, NULL, 0), 0);
	ck_assert_uint_eq(recv_some(ch[0], buf, sizeof buf, NULL, 0, NULL), 4);
	ck_assert(memcmp(buf, "back", 4) == 0);
	/* Both ends are this process. */
	ck_assert_int_eq(vmosal_process_id(&self), 0);
	ck_assert_int_eq(vmosal_channel_peer_pid(ch[0], &peer), 0);
	ck_assert_uint_eq(peer, self);
	ck_assert_int_eq(vmosal_handle_close(ch[0]), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[1]), 0);
}
END_TEST

/* The largest message, sent by another thread: a channel need not hold
 * a whole one (macOS's socket buffers hold 8 KiB). */
static char big_msg[VMOSAL_CHANNEL_MAX_MESSAGE];

static void *send_big(void *arg)
{
	return (void *)(intptr_t)vmosal_channel_send(*(vmosal_handle_t *)arg, big_msg,
						     sizeof big_msg,
						     NULL, 0);
}

/* Three sends are three receives, each of its own length, the largest
 * message included. */
START_TEST(test_boundaries_kept)
{
	static char got[VMOSAL_CHANNEL_MAX_MESSAGE];
	vmosal_thread_t *t = NULL;
	vmosal_handle_t ch[2];
	void *rc = NULL;

	for (size_t i = 0; i < sizeof big_msg; i++)
		big_msg[i] = (char)(i * 7 + 1);
	ck_assert_int_eq(vmosal_channel_pair(0, ch), 0);
	ck_assert_int_eq(vmosal_channel_send(ch[0], "a", 1, NULL, 0), 0);
	ck_assert_int_eq(vmosal_channel_send(ch[0], big_msg, 100, NULL, 0), 0);
	ck_assert_int_eq(vmosal_channel_send(ch[0], "xyz", 3, NULL, 0), 0);
	ck_assert_uint_eq(recv_some(ch[1], got, sizeof got, NULL, 0, NULL), 1);
	ck_assert_int_eq(got[0], 'a');
	ck_assert_uint_eq(recv_some(ch[1], got, sizeof got, NULL, 0, NULL), 100);
	ck_assert(memcmp(got, big_msg, 100) == 0);
	ck_assert_uint_eq(recv_some(ch[1], got, sizeof got, NULL, 0, NULL), 3);
	ck_assert(memcmp(got, "xyz", 3) == 0);
	ck_assert_int_eq(vmosal_thread_create(NULL, send_big, &ch[0], &t), 0);
	ck_assert_uint_eq(recv_some(ch[1], got, sizeof got, NULL, 0, NULL), sizeof big_msg);
	ck_assert(memcmp(got, big_msg, sizeof big_msg) == 0);
	ck_assert_int_eq(vmosal_thread_join(t, &rc), 0);
	ck_assert_int_eq((int)(intptr_t)rc, 0);
	ck_assert_int_eq(vmosal_handle_close(ch[0]), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[1]), 0);
}
END_TEST

/* An event sent arrives as a new handle of the same event: notified
 * through it, the original wakes; the sender keeps its own. */
START_TEST(test_handles_event)
{
	vmosal_handle_t ch[2], ev, got[4] = {VMOSAL_NO_HANDLE};
	size_t n = 0;
	char buf[8];

	ck_assert_int_eq(vmosal_channel_pair(0, ch), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_channel_send(ch[0], "e", 1, &ev, 1), 0);
	ck_assert_uint_eq(recv_some(ch[1], buf, sizeof buf, got, 4, &n), 1);
	ck_assert_uint_eq(n, 1);
	ck_assert(VMOSAL_HANDLE_VALID(got[0]));
	ck_assert(got[0] != ev);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_event_notify(got[0]), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, NO_HANG), 0);
	/* The sender's handle still works, and so does the new one after
	 * it is gone. */
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_event_wait(got[0], NO_HANG), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_event_notify(got[0]), 0);
	ck_assert_int_eq(vmosal_event_wait(got[0], NO_HANG), 0);
	ck_assert_int_eq(vmosal_handle_close(got[0]), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[0]), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[1]), 0);
}
END_TEST

/* Shared memory sent arrives as the same memory. */
START_TEST(test_handles_shm)
{
	vmosal_handle_t ch[2], shm, got = VMOSAL_NO_HANDLE;
	size_t page = vmosal_page_size(), n = 0;
	char *a = NULL, *b = NULL, buf[8];

	ck_assert_int_eq(vmosal_channel_pair(0, ch), 0);
	ck_assert_int_eq(vmosal_shm_create("chan", page, 0, 0, &shm), 0);
	ck_assert_int_eq(vmosal_mmap(NULL, page, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_SHARED, shm, 0, (void **)&a),
			 0);
	strcpy(a, "shared bytes");
	ck_assert_int_eq(vmosal_channel_send(ch[0], "m", 1, &shm, 1), 0);
	ck_assert_uint_eq(recv_some(ch[1], buf, sizeof buf, &got, 1, &n), 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(vmosal_mmap(NULL, page, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_SHARED, got, 0, (void **)&b),
			 0);
	ck_assert_str_eq(b, "shared bytes");
	strcpy(b, "written back");
	ck_assert_str_eq(a, "written back");
	ck_assert_int_eq(vmosal_munmap(a, page), 0);
	ck_assert_int_eq(vmosal_munmap(b, page), 0);
	ck_assert_int_eq(vmosal_handle_close(got), 0);
	ck_assert_int_eq(vmosal_handle_close(shm), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[0]), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[1]), 0);
}
END_TEST

START_TEST(test_recv_timeout)
{
	struct vmosal_channel_msg m = msg_init();
	vmosal_handle_t ch[2];
	char buf[8];

	ck_assert_int_eq(vmosal_channel_pair(0, ch), 0);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, NULL, 0, 0, &m),
			 VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, NULL, 0, 2000000, &m),
			 VMOSAL_ETIMEDOUT);
	/* A message waiting is taken without waiting. */
	ck_assert_int_eq(vmosal_channel_send(ch[0], "t", 1, NULL, 0), 0);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, NULL, 0, 0, &m), 0);
	ck_assert_uint_eq(m.len, 1);
	ck_assert_int_eq(vmosal_handle_close(ch[0]), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[1]), 0);
}
END_TEST

/* thread.h's kick rule: a kick pending ends a receive, and an accept, at
 * once, however long its timeout, even with a message waiting. */
START_TEST(test_kick_pending)
{
	struct vmosal_channel_msg m = msg_init();
	vmosal_handle_t ch[2], l, c = VMOSAL_NO_HANDLE;
	char buf[8], name[128];
	bool pending = false;

	ck_assert_int_eq(vmosal_channel_pair(0, ch), 0);
	channel_name(name, sizeof name, "kick");
	ck_assert_int_eq(vmosal_channel_listen(name, 0, &l), 0);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &pending), 0);
	ck_assert_int_eq(vmosal_thread_kick(VMOSAL_TID_SELF), 0);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, NULL, 0, NO_HANG, &m),
			 VMOSAL_EINTR);
	ck_assert_int_eq(vmosal_channel_accept(l, NO_HANG, &c), VMOSAL_EINTR);
	ck_assert_int_eq(vmosal_channel_send(ch[0], "k", 1, NULL, 0), 0);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, NULL, 0, NO_HANG, &m),
			 VMOSAL_EINTR);
	ck_assert_int_eq(vmosal_thread_kick_pending(true, &pending), 0);
	ck_assert(pending);
	/* Cleared: the message is there. */
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, NULL, 0, NO_HANG, &m), 0);
	ck_assert_uint_eq(m.len, 1);
	ck_assert_int_eq(vmosal_channel_accept(l, 0, &c), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_handle_close(l), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[0]), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[1]), 0);
}
END_TEST

/* A message longer than the buffer is dropped whole, with its handles,
 * its length told; the next message is the next one. */
START_TEST(test_truncated)
{
	struct vmosal_channel_msg m = msg_init();
	vmosal_handle_t ch[2], ev, got[2];
	char big[100] = {0}, buf[10];
	long before;

	ck_assert_int_eq(vmosal_channel_pair(0, ch), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(vmosal_channel_send(ch[0], big, sizeof big, &ev, 1), 0);
	ck_assert_int_eq(vmosal_channel_send(ch[0], "next", 4, NULL, 0), 0);
	before = vmosal_test_handle_count();
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, got, 2, NO_HANG, &m),
			 VMOSAL_EMSGSIZE);
	ck_assert_uint_eq(m.len, sizeof big);
	ck_assert_uint_eq(m.nhandles, 0);
	ck_assert_int_eq(vmosal_test_handle_count(), before);
	ck_assert_uint_eq(recv_some(ch[1], buf, sizeof buf, got, 2, NULL), 4);
	ck_assert(memcmp(buf, "next", 4) == 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[0]), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[1]), 0);
}
END_TEST

/* More handles than a message carries: refused before anything is sent.
 * More than the receiver has room for: dropped, every one closed. */
START_TEST(test_too_many_handles)
{
	struct vmosal_channel_msg m = msg_init();
	vmosal_handle_t ch[2], ev, many[VMOSAL_CHANNEL_MAX_HANDLES + 1], got[2];
	char buf[8];
	long before;

	ck_assert_int_eq(vmosal_channel_pair(0, ch), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	for (size_t i = 0; i < VMOSAL_CHANNEL_MAX_HANDLES + 1; i++)
		many[i] = ev;
	ck_assert_int_eq(vmosal_channel_send(ch[0], "x", 1, many, VMOSAL_CHANNEL_MAX_HANDLES + 1),
			 VMOSAL_EMSGSIZE);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, NULL, 0, 0, &m),
			 VMOSAL_ETIMEDOUT);
	/* The most a message carries goes through. */
	ck_assert_int_eq(vmosal_channel_send(ch[0], "y", 1, many, VMOSAL_CHANNEL_MAX_HANDLES), 0);
	ck_assert_int_eq(vmosal_channel_send(ch[0], "z", 1, many, 3), 0);
	before = vmosal_test_handle_count();
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, got, 2, NO_HANG, &m),
			 VMOSAL_EMSGSIZE);
	ck_assert_uint_eq(m.len, 1);
	ck_assert_int_eq(vmosal_test_handle_count(), before);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, got, 2, NO_HANG, &m),
			 VMOSAL_EMSGSIZE);
	ck_assert_int_eq(vmosal_test_handle_count(), before);
	/* None at all for a message with handles. */
	ck_assert_int_eq(vmosal_channel_send(ch[0], "w", 1, many, 1), 0);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, NULL, 0, NO_HANG, &m),
			 VMOSAL_EMSGSIZE);
	ck_assert_int_eq(vmosal_test_handle_count(), before);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[0]), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[1]), 0);
}
END_TEST

/* A send to a channel whose peer is gone, and a receive from it, say so
 * (no SIGPIPE); what was sent before the peer left is still received. */
START_TEST(test_peer_gone)
{
	struct vmosal_channel_msg m = msg_init();
	vmosal_handle_t ch[2];
	char buf[8];

	ck_assert_int_eq(vmosal_channel_pair(0, ch), 0);
	ck_assert_int_eq(vmosal_channel_send(ch[0], "last", 4, NULL, 0), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[0]), 0);
	ck_assert_uint_eq(recv_some(ch[1], buf, sizeof buf, NULL, 0, NULL), 4);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, NULL, 0, NO_HANG, &m),
			 VMOSAL_EPIPE);
	ck_assert_int_eq(vmosal_channel_send(ch[1], "x", 1, NULL, 0), VMOSAL_EPIPE);
	ck_assert_int_eq(vmosal_handle_close(ch[1]), 0);
}
END_TEST

START_TEST(test_bad_names)
{
	char name[VMOSAL_CHANNEL_NAME_MAX + 2];
	vmosal_handle_t h = VMOSAL_NO_HANDLE;

	memset(name, 'a', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	ck_assert_int_eq(vmosal_channel_listen(name, 0, &h), VMOSAL_ENAMETOOLONG);
	ck_assert_int_eq(vmosal_channel_connect(name, 0, &h), VMOSAL_ENAMETOOLONG);
	ck_assert_int_eq(vmosal_channel_listen("", 0, &h), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_channel_connect(NULL, 0, &h), VMOSAL_EINVAL);
	ck_assert(h == VMOSAL_NO_HANDLE);
}
END_TEST

/* Listen, connect, accept in one process; a second listener on the name
 * is refused; with nobody listening, a connect finds nobody. */
START_TEST(test_listen_connect_accept)
{
	vmosal_handle_t l, l2 = VMOSAL_NO_HANDLE, c, a = VMOSAL_NO_HANDLE;
	char name[128], buf[8];
	uint64_t self = 0, peer = 0;

	channel_name(name, sizeof name, "lca");
	ck_assert_int_eq(vmosal_channel_connect(name, 0, &c), VMOSAL_ENOENT);
	ck_assert_int_eq(vmosal_channel_listen(name, 0, &l), 0);
	ck_assert_int_eq(vmosal_channel_listen(name, 0, &l2), VMOSAL_EEXIST);
	ck_assert_int_eq(vmosal_channel_accept(l, 0, &a), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_channel_connect(name, 0, &c), 0);
	ck_assert_int_eq(vmosal_channel_accept(l, NO_HANG, &a), 0);
	ck_assert_int_eq(vmosal_channel_send(c, "hi", 2, NULL, 0), 0);
	ck_assert_uint_eq(recv_some(a, buf, sizeof buf, NULL, 0, NULL), 2);
	ck_assert_int_eq(vmosal_channel_send(a, "ho", 2, NULL, 0), 0);
	ck_assert_uint_eq(recv_some(c, buf, sizeof buf, NULL, 0, NULL), 2);
	ck_assert_int_eq(vmosal_process_id(&self), 0);
	ck_assert_int_eq(vmosal_channel_peer_pid(a, &peer), 0);
	ck_assert_uint_eq(peer, self);
	ck_assert_int_eq(vmosal_channel_peer_pid(c, &peer), 0);
	ck_assert_uint_eq(peer, self);
	ck_assert_int_eq(vmosal_handle_close(c), 0);
	ck_assert_int_eq(vmosal_handle_close(a), 0);
	ck_assert_int_eq(vmosal_handle_close(l), 0);
	ck_assert_int_eq(vmosal_channel_connect(name, 0, &c), VMOSAL_ENOENT);
	/* The name is free again. */
	ck_assert_int_eq(vmosal_channel_listen(name, 0, &l), 0);
	ck_assert_int_eq(vmosal_handle_close(l), 0);
}
END_TEST

/* A channel in a wait set: READABLE while a message waits, HANGUP once
 * the peer is gone. */
START_TEST(test_waitset)
{
	struct vmosal_wait_event ev[4];
	vmosal_waitset_t *ws = NULL;
	vmosal_handle_t ch[2];
	char buf[8];
	size_t n = 0;
	int rc;

	rc = vmosal_waitset_create(0, &ws);
	if (rc == VMOSAL_ENOTSUP)
		VMOSAL_SKIP("this backend has no wait sets yet");
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(vmosal_channel_pair(0, ch), 0);
	ck_assert_int_eq(vmosal_waitset_add(ws, ch[1], VMOSAL_WAIT_READABLE, 42), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, ev, 4, &n), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_channel_send(ch[0], "r", 1, NULL, 0), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, NO_HANG, ev, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ev[0].token, 42);
	ck_assert_uint_ne(ev[0].events & VMOSAL_WAIT_READABLE, 0);
	ck_assert_uint_eq(ev[0].events & VMOSAL_WAIT_HANGUP, 0);
	ck_assert_uint_eq(recv_some(ch[1], buf, sizeof buf, NULL, 0, NULL), 1);
	ck_assert_int_eq(vmosal_waitset_wait(ws, 0, ev, 4, &n), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_handle_close(ch[0]), 0);
	ck_assert_int_eq(vmosal_waitset_wait(ws, NO_HANG, ev, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ev[0].token, 42);
	ck_assert_uint_ne(ev[0].events & VMOSAL_WAIT_HANGUP, 0);
	ck_assert_int_eq(vmosal_waitset_remove(ws, ch[1]), 0);
	ck_assert_int_eq(vmosal_waitset_destroy(ws), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[1]), 0);
}
END_TEST

#ifdef _WIN32
POSIX_ONLY(test_stale_socket_replaced, "socket files")
POSIX_ONLY(test_two_processes, "fork")
POSIX_ONLY(test_peer_killed, "fork")
POSIX_ONLY(test_half_frame, "Unix-domain sockets")
#else
/* A socket file nobody listens on (left by a process that died) is
 * replaced; closing the listener removes it; anything else at the path is
 * left alone. */
START_TEST(test_stale_socket_replaced)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	vmosal_handle_t l = VMOSAL_NO_HANDLE, c, a;
	struct stat st;
	char name[128];
	int s, fd;

	channel_name(name, sizeof name, "stale");
	strcpy(sa.sun_path, name);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(close(s), 0);
	ck_assert_int_eq(stat(name, &st), 0);
	ck_assert_int_eq(vmosal_channel_listen(name, 0, &l), 0);
	ck_assert_int_eq(vmosal_channel_connect(name, 0, &c), 0);
	ck_assert_int_eq(vmosal_channel_accept(l, NO_HANG, &a), 0);
	ck_assert_int_eq(vmosal_handle_close(a), 0);
	ck_assert_int_eq(vmosal_handle_close(c), 0);
	ck_assert_int_eq(stat(name, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(vmosal_handle_close(l), 0);
	ck_assert_int_eq(stat(name, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* A file that is no socket is nobody's to remove. */
	fd = open(name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(vmosal_channel_listen(name, 0, &l), VMOSAL_EEXIST);
	ck_assert_int_eq(stat(name, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(unlink(name), 0);
}
END_TEST

/* The child of the two-process test: connects, takes an event and shared
 * memory, answers through both, and sends its process id. */
static int two_processes_child(const char *name)
{
	vmosal_handle_t c = VMOSAL_NO_HANDLE, h[2];
	struct vmosal_channel_msg m = msg_init();
	size_t page = vmosal_page_size();
	uint64_t self = 0;
	char buf[16], *mem = NULL;
	int rc = 0;

	vmosal_test_child_deadline(120);
	/* The parent listens before it forks. */
	if (vmosal_channel_connect(name, 0, &c) != 0)
		return 10;
	if (vmosal_channel_recv(c, buf, sizeof buf, h, 2, NO_HANG, &m) != 0 || m.nhandles != 2 ||
	    m.len != 4 || memcmp(buf, "take", 4) != 0)
		return 11;
	if (vmosal_mmap(NULL, page, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE, VMOSAL_MAP_SHARED, h[1],
			0, (void **)&mem) != 0 ||
	    strcmp(mem, "from the parent") != 0)
		return 12;
	strcpy(mem, "from the child");
	if (vmosal_event_notify(h[0]) != 0 || vmosal_process_id(&self) != 0 ||
	    vmosal_channel_send(c, &self, sizeof self, NULL, 0) != 0)
		return 13;
	/* Stays until the parent has read the peer's pid and hung up. */
	rc = vmosal_channel_recv(c, buf, sizeof buf, NULL, 0, NO_HANG, &m);
	return rc == VMOSAL_EPIPE ? 0 : 14;
}

START_TEST(test_two_processes)
{
	vmosal_handle_t l, a = VMOSAL_NO_HANDLE, h[2];
	size_t page = vmosal_page_size();
	uint64_t child_says = 0, peer = 0;
	char name[128], *mem = NULL;
	int status;
	pid_t pid;

	channel_name(name, sizeof name, "2proc");
	ck_assert_int_eq(vmosal_channel_listen(name, 0, &l), 0);
	ck_assert_int_eq(vmosal_event_create(0, &h[0]), 0);
	ck_assert_int_eq(vmosal_shm_create("chan", page, 0, 0, &h[1]), 0);
	ck_assert_int_eq(vmosal_mmap(NULL, page, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_SHARED, h[1], 0, (void **)&mem),
			 0);
	strcpy(mem, "from the parent");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(two_processes_child(name));
	ck_assert_int_eq(vmosal_channel_accept(l, NO_HANG, &a), 0);
	ck_assert_int_eq(vmosal_channel_send(a, "take", 4, h, 2), 0);
	ck_assert_int_eq(vmosal_event_wait(h[0], NO_HANG), 0);
	ck_assert_str_eq(mem, "from the child");
	ck_assert_uint_eq(recv_some(a, &child_says, sizeof child_says, NULL, 0, NULL),
			  sizeof child_says);
	ck_assert_uint_eq(child_says, (uint64_t)pid);
	ck_assert_int_eq(vmosal_channel_peer_pid(a, &peer), 0);
	ck_assert_uint_eq(peer, child_says);
	ck_assert_int_eq(vmosal_handle_close(a), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: status %#x", status);
	ck_assert_int_eq(vmosal_munmap(mem, page), 0);
	ck_assert_int_eq(vmosal_handle_close(h[0]), 0);
	ck_assert_int_eq(vmosal_handle_close(h[1]), 0);
	ck_assert_int_eq(vmosal_handle_close(l), 0);
}
END_TEST

/* A peer process killed after sending: its message arrives, then the
 * end, at once; nothing leaks. */
START_TEST(test_peer_killed)
{
	struct vmosal_channel_msg m = msg_init();
	vmosal_handle_t ch[2], ev, got = VMOSAL_NO_HANDLE;
	char buf[8];
	long before;
	int status;
	pid_t pid;

	ck_assert_int_eq(vmosal_channel_pair(0, ch), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		vmosal_test_child_deadline(120);
		if (vmosal_channel_send(ch[1], "dying", 5, &ev, 1) != 0)
			_exit(1);
		raise(SIGKILL);
		_exit(2);
	}
	ck_assert_int_eq(vmosal_handle_close(ch[1]), 0);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	before = vmosal_test_handle_count();
	ck_assert_uint_eq(recv_some(ch[0], buf, sizeof buf, &got, 1, &(size_t){0}), 5);
	ck_assert_int_eq(vmosal_handle_close(got), 0);
	ck_assert_int_eq(vmosal_channel_recv(ch[0], buf, sizeof buf, NULL, 0, NO_HANG, &m),
			 VMOSAL_EPIPE);
	ck_assert_int_eq(vmosal_test_handle_count(), before);
	ck_assert_int_eq(vmosal_handle_close(ch[0]), 0);
}
END_TEST

#ifdef CHANNEL_TEST_STREAM
/* The frame header of the STREAM framing (backends/posix/posix_channel.c). */
struct frame {
	uint32_t len, nhandles;
};

static void raw_write(vmosal_handle_t ch, const void *p, size_t len)
{
	ck_assert_int_eq(write(ch, p, len), (ssize_t)len);
}

/* A message that comes in parts is never seen in part: a receive before
 * the rest came times out and the next takes it whole; a peer gone in the
 * middle of one is the end, with the handle it carried closed. The
 * header's first byte, 0, goes with the handle, as the harness sends it. */
START_TEST(test_half_frame)
{
	struct vmosal_channel_msg m = msg_init();
	struct frame f = {256, 1};
	vmosal_handle_t ch[2], ev, got = VMOSAL_NO_HANDLE;
	char body[256], buf[300];
	long before;

	for (size_t i = 0; i < sizeof body; i++)
		body[i] = (char)(i + 3);
	ck_assert_int_eq(((unsigned char *)&f)[0], 0);
	ck_assert_int_eq(vmosal_channel_pair(0, ch), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert(vmosal_test_send_fd(ch[0], ev));
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, &got, 1, 0, &m),
			 VMOSAL_ETIMEDOUT);
	raw_write(ch[0], (char *)&f + 1, sizeof f - 1);
	raw_write(ch[0], body, 100);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, &got, 1, 1000000, &m),
			 VMOSAL_ETIMEDOUT);
	raw_write(ch[0], body + 100, sizeof body - 100);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, &got, 1, 0, &m), 0);
	ck_assert_uint_eq(m.len, sizeof body);
	ck_assert_uint_eq(m.nhandles, 1);
	ck_assert(memcmp(buf, body, sizeof body) == 0);
	ck_assert_int_eq(vmosal_handle_close(got), 0);
	/* Half a message, then the peer is gone. */
	before = vmosal_test_handle_count();
	ck_assert(vmosal_test_send_fd(ch[0], ev));
	raw_write(ch[0], (char *)&f + 1, sizeof f - 1);
	raw_write(ch[0], body, 4);
	ck_assert_int_eq(vmosal_handle_close(ch[0]), 0);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, &got, 1, NO_HANG, &m),
			 VMOSAL_EPIPE);
	ck_assert_int_eq(vmosal_test_handle_count(), before - 1);
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, &got, 1, NO_HANG, &m),
			 VMOSAL_EPIPE);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[1]), 0);
}
END_TEST
#else
/* SEQPACKET: the kernel delivers a message whole or not at all; a raw
 * peer's message with a descriptor is a message with a handle, and a
 * receiver with no room for it leaks nothing. (A raw peer's empty message
 * is the fuzzer's: tests/fuzz/fuzz_channel.c.) */
START_TEST(test_half_frame)
{
	struct vmosal_channel_msg m = msg_init();
	vmosal_handle_t ch[2], ev, got = VMOSAL_NO_HANDLE;
	char buf[16];
	long before;

	ck_assert_int_eq(vmosal_channel_pair(0, ch), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert(vmosal_test_send_fd(ch[0], ev)); /* one byte and the event */
	ck_assert_uint_eq(recv_some(ch[1], buf, sizeof buf, &got, 1, &(size_t){0}), 1);
	ck_assert_int_eq(vmosal_handle_close(got), 0);
	before = vmosal_test_handle_count();
	ck_assert(vmosal_test_send_fd(ch[0], ev));
	ck_assert_int_eq(vmosal_channel_recv(ch[1], buf, sizeof buf, NULL, 0, NO_HANG, &m),
			 VMOSAL_EMSGSIZE);
	ck_assert_uint_eq(m.len, 1);
	ck_assert_int_eq(vmosal_test_handle_count(), before);
	ck_assert_int_eq(vmosal_channel_send(ch[0], "go", 2, NULL, 0), 0);
	ck_assert_uint_eq(recv_some(ch[1], buf, sizeof buf, NULL, 0, NULL), 2);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[0]), 0);
	ck_assert_int_eq(vmosal_handle_close(ch[1]), 0);
}
END_TEST
#endif
#endif

int main(void)
{
	Suite *s = suite_create("channel");
	TCase *tc = tcase_create("channel");

#ifdef CHANNEL_TEST_STREAM
	/* The Linux backend built with the STREAM framing (tests/channel.am),
	 * for this process and the children it starts. */
	{
		static char path[4096];
		const char *fakes = getenv("VMOSAL_TEST_FAKES");

		snprintf(path, sizeof path, "%s/vmosal_fake_stream%s", fakes != NULL ? fakes : ".",
			 LT_MODULE_EXT);
		setenv("VMOSAL_BACKEND", path, 1);
	}
#endif
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_pair_round_trip);
	tcase_add_test(tc, test_boundaries_kept);
	tcase_add_test(tc, test_handles_event);
	tcase_add_test(tc, test_handles_shm);
	tcase_add_test(tc, test_recv_timeout);
	tcase_add_test(tc, test_kick_pending);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_too_many_handles);
	tcase_add_test(tc, test_peer_gone);
	tcase_add_test(tc, test_bad_names);
	tcase_add_test(tc, test_listen_connect_accept);
	tcase_add_test(tc, test_waitset);
	tcase_add_test(tc, test_stale_socket_replaced);
	tcase_add_test(tc, test_two_processes);
	tcase_add_test(tc, test_peer_killed);
	tcase_add_test(tc, test_half_frame);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
