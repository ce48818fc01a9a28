/* Channels against the raw calls they wrap: one message of 64 bytes
 * carrying one handle, sent and received in one thread, and the received
 * handle closed (Linux: sendmsg and recvmsg with SCM_RIGHTS on a
 * SOCK_SEQPACKET socketpair, each side on its own pair). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "vmosal.h"

#define MSG_BYTES 64

struct chan_case {
	vmosal_handle_t lib[2], lib_ev;
	int raw[2], raw_ev;
};

static void lib_send_recv(void *arg, uint64_t iters)
{
	struct chan_case *c = arg;
	char out[MSG_BYTES] = "message", in[MSG_BYTES];
	struct vmosal_channel_msg m = VMOSAL_STRUCT_INIT(struct vmosal_channel_msg);
	vmosal_handle_t got;

	for (uint64_t i = 0; i < iters; i++) {
		if (vmosal_channel_send(c->lib[0], out, sizeof out, &c->lib_ev, 1) != 0 ||
		    vmosal_channel_recv(c->lib[1], in, sizeof in, &got, 1, 0, &m) != 0 ||
		    m.nhandles != 1)
			abort();
		vmosal_handle_close(got);
	}
}

/* What careful raw code does: no SIGPIPE, close-on-exec on arrival, and
 * a check that the message and its descriptor came whole. */
static void raw_send_recv(void *arg, uint64_t iters)
{
	struct chan_case *c = arg;
	char out[MSG_BYTES] = "message", in[MSG_BYTES];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} sctl, rctl;
	struct iovec siov = {out, sizeof out}, riov = {in, sizeof in};
	struct msghdr smh = {.msg_iov = &siov, .msg_iovlen = 1}, rmh;
	struct cmsghdr *cm;
	int fd;

	memset(&sctl, 0, sizeof sctl);
	smh.msg_control = sctl.buf;
	smh.msg_controllen = sizeof sctl.buf;
	cm = CMSG_FIRSTHDR(&smh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &c->raw_ev, sizeof(int));
	for (uint64_t i = 0; i < iters; i++) {
		if (sendmsg(c->raw[0], &smh, MSG_NOSIGNAL) != (ssize_t)sizeof out)
			abort();
		rmh = (struct msghdr){.msg_iov = &riov,
				      .msg_iovlen = 1,
				      .msg_control = rctl.buf,
				      .msg_controllen = sizeof rctl.buf};
		if (recvmsg(c->raw[1], &rmh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) !=
			    (ssize_t)sizeof out ||
		    (rmh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
		    (cm = CMSG_FIRSTHDR(&rmh)) == NULL || cm->cmsg_type != SCM_RIGHTS)
			abort();
		memcpy(&fd, CMSG_DATA(cm), sizeof fd);
		close(fd);
	}
}

int main(void)
{
	struct chan_case c;

	bench_need_backend("bench_channel");
	if (vmosal_channel_pair(0, c.lib) != 0 || vmosal_event_create(0, &c.lib_ev) != 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, c.raw) != 0 ||
	    (c.raw_ev = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		fprintf(stderr, "bench_channel: no channel, event or socketpair\n");
		return 1;
	}
	bench_begin("channels");
	bench_run(&(struct bench_case){"channel send+recv, 64 B + 1 handle", lib_send_recv,
				       "sendmsg+recvmsg SCM_RIGHTS, SEQPACKET", raw_send_recv, &c,
				       0, 1.10, 0});
	vmosal_handle_close(c.lib[0]);
	vmosal_handle_close(c.lib[1]);
	vmosal_handle_close(c.lib_ev);
	close(c.raw[0]);
	close(c.raw[1]);
	close(c.raw_ev);
	return bench_end();
}
