/* Fuzzes the channel's receive path: each input is a sequence of raw
 * writes, each with a number of descriptors (SCM_RIGHTS), into one end of
 * a socket pair, as a hostile or broken peer would make them, and then
 * receives from the other end with fuzzer-chosen capacities until nothing
 * is left. SEQPACKET (Linux's framing) goes through vmosal_channel_recv
 * and the backend; STREAM (Darwin's framing, a header per message) calls
 * the shared POSIX code directly, built into this harness, with its mode
 * set. Every answer must be one channel.h allows, a SEQPACKET message is
 * told apart exactly as the kernel delivered it, received handles are
 * close-on-exec, and once everything is closed no descriptor is left. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "posix.h"
#include "vmosal.h"

#define MAX_WRITES 8
#define MAX_FDS_PER_WRITE 40 /* beyond VMOSAL_CHANNEL_MAX_HANDLES */
#define FD_PROBE 512

static int spare_fd = -1;
static char buf[VMOSAL_CHANNEL_MAX_MESSAGE + 16];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("VMOSAL_BACKEND_PATH", FUZZ_BACKEND_DIR, 0);
	FUZZ_ASSERT(vmosal_init() == 0, "vmosal_init");
	spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	FUZZ_ASSERT(spare_fd >= 0, "open /dev/null");
	return 0;
}

/* Open descriptors below FD_PROBE. */
static int fd_count(void)
{
	int n = 0;

	for (int fd = 0; fd < FD_PROBE; fd++)
		n += fcntl(fd, F_GETFD) != -1;
	return n;
}

struct raw_write {
	size_t len, nfds;
	const uint8_t *bytes;
};

static void raw_write(int fd, const struct raw_write *w)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS_PER_WRITE)];
	} ctl;
	struct iovec iov = {(void *)w->bytes, w->len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (w->nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof ctl);
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * w->nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * w->nfds);
		for (size_t i = 0; i < w->nfds; i++)
			memcpy(CMSG_DATA(c) + i * sizeof(int), &spare_fd, sizeof(int));
	}
	/* Small enough for the socket's buffer: never waits. */
	FUZZ_ASSERT(sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)w->len, "sendmsg");
}

/* One receive, through the library (SEQPACKET) or the shared code
 * (STREAM); fills *m. */
static int receive(bool stream, int fd, size_t cap, vmosal_handle_t *handles, size_t hcap,
		   struct vmosal_channel_msg *m)
{
	size_t len = 0, nh = 0;
	int rc;

	if (!stream)
		return vmosal_channel_recv(fd, buf, cap, handles, hcap, 0, m);
	rc = posix_channel_recv(fd, buf, cap, &len, handles, hcap, &nh, 0, NULL);
	if (rc == 0 || rc == VMOSAL_EMSGSIZE) {
		m->len = len;
		m->nhandles = rc == 0 ? nh : 0;
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct raw_write w[MAX_WRITES];
	vmosal_handle_t handles[VMOSAL_CHANNEL_MAX_HANDLES + 8];
	uint8_t mode = fuzz_u8(&in);
	bool stream = mode & 1, hang_up = mode & 2;
	size_t nwrites = (size_t)fuzz_u8(&in) % MAX_WRITES + 1;
	size_t cap = (size_t)fuzz_u16(&in) + 1; /* 1 to 65536 */
	size_t hcap = fuzz_u8(&in) % (VMOSAL_CHANNEL_MAX_HANDLES + 8 + 1);
	size_t next = 0; /* SEQPACKET: the write the next receive must see */
	int before, sv[2];

	if (mode & 4)
		cap = (size_t)fuzz_u8(&in) + 1; /* often shorter than a message */
	for (size_t i = 0; i < nwrites; i++) {
		w[i].len = fuzz_u16(&in) % 2048;
		w[i].nfds = fuzz_u8(&in) % (MAX_FDS_PER_WRITE + 1);
		if (w[i].len > in.n)
			w[i].len = in.n;
		w[i].bytes = in.p;
		in.p += w[i].len;
		in.n -= w[i].len;
	}
	before = fd_count();
	posix_channel_mode = stream ? POSIX_CHANNEL_STREAM : POSIX_CHANNEL_SEQPACKET;
	FUZZ_ASSERT(socketpair(AF_UNIX,
			       (stream ? SOCK_STREAM : SOCK_SEQPACKET) | SOCK_CLOEXEC |
				       SOCK_NONBLOCK,
			       0, sv) == 0,
		    "socketpair");
	for (size_t i = 0; i < nwrites; i++)
		if (!(stream && w[i].len == 0)) /* nothing to attach them to */
			raw_write(sv[0], &w[i]);
	if (hang_up)
		close(sv[0]);
	/* Each write is at most one message: enough receives for all. */
	for (size_t round = 0; round < nwrites + 2; round++) {
		struct vmosal_channel_msg m = VMOSAL_STRUCT_INIT(struct vmosal_channel_msg);
		int rc = receive(stream, sv[1], cap, handles, hcap, &m);

		if (rc == VMOSAL_ETIMEDOUT)
			break;
		if (rc == 0) {
			FUZZ_ASSERT(m.len >= 1 && m.len <= cap, "message length");
			FUZZ_ASSERT(m.nhandles <= hcap && m.nhandles <= VMOSAL_CHANNEL_MAX_HANDLES,
				    "handle count");
			for (size_t i = 0; i < m.nhandles; i++) {
				int fl = fcntl(handles[i], F_GETFD);

				FUZZ_ASSERT(fl != -1 && (fl & FD_CLOEXEC), "received handle");
				close(handles[i]);
			}
		} else {
			FUZZ_ASSERT(rc == VMOSAL_EMSGSIZE || rc == VMOSAL_EPIPE ||
					    (stream && rc == VMOSAL_EIO),
				    "recv's answer");
			if (rc == VMOSAL_EMSGSIZE)
				FUZZ_ASSERT(m.nhandles == 0 && m.len >= 1, "EMSGSIZE's message");
		}
		if (!stream) {
			/* The kernel keeps writes apart: the answer follows from
			 * the next one alone. */
			const struct raw_write *x = &w[next];
			bool fits = x->len <= cap && x->nfds <= hcap &&
				    x->nfds <= VMOSAL_CHANNEL_MAX_HANDLES;

			FUZZ_ASSERT(next < nwrites || rc == VMOSAL_EPIPE, "a message nobody sent");
			if (next < nwrites) {
				FUZZ_ASSERT(rc == (x->len == 0 ? VMOSAL_EPIPE
						   : fits      ? 0
							       : VMOSAL_EMSGSIZE),
					    "the answer for the message sent");
				if (x->len > 0)
					FUZZ_ASSERT(m.len == x->len, "the length sent");
				if (rc == 0)
					FUZZ_ASSERT(m.nhandles == x->nfds &&
							    memcmp(buf, x->bytes, x->len) == 0,
						    "the message sent");
				next++;
			}
		}
		if (rc == VMOSAL_EPIPE && (next >= nwrites || stream) && hang_up)
			break;
		if (stream && rc != 0 && rc != VMOSAL_EMSGSIZE && !hang_up)
			break; /* a broken frame: nothing more to read in step */
	}
	if (!stream && !hang_up)
		FUZZ_ASSERT(next == nwrites, "every message received");
	if (!hang_up)
		close(sv[0]);
	posix_channel_forget(sv[1]);
	close(sv[1]);
	FUZZ_ASSERT(fd_count() == before, "a descriptor leaked");
	return 0;
}
