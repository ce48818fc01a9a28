/* The two-process ring written with the raw Linux calls (bench_ring.h):
 * a memfd for the memory, eventfds for kick and call, epoll for the
 * waits, and a named SOCK_SEQPACKET socket that carries them with
 * SCM_RIGHTS, as a vhost-user backend written without libvmosal does. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_ring.h"

struct ring_raw {
	struct ring_driver_state d;
	void *mem;
	int memfd, kick, call, ep, sock;
	pid_t child;
};

void ring_pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET((size_t)cpu, &set);
	sched_setaffinity(0, sizeof set, &set);
}

static void raw_die(const char *what)
{
	fprintf(stderr, "bench_ring (raw device): %s: %s\n", what, strerror(errno));
	_exit(1);
}

/* The child: takes the memory and both eventfds, serves until told to
 * stop (or the parent is gone). */
static void raw_device(const char *path, int cpu)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(3 * sizeof(int))];
	} ctl;
	struct vring_msg msg;
	struct iovec iov = {&msg, sizeof msg};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			    .msg_controllen = sizeof ctl.buf};
	struct epoll_event ev[2], add;
	struct vring_device dev;
	struct cmsghdr *c;
	int s, fds[3], ep, n;
	uint64_t count, one = 1;
	void *mem;

	ring_pin(cpu);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(s, (struct sockaddr *)&sa, sizeof sa) != 0)
		raw_die("connect");
	if (recvmsg(s, &mh, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof msg)
		raw_die("recvmsg");
	c = CMSG_FIRSTHDR(&mh);
	if (c == NULL || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(3 * sizeof(int)))
		raw_die("SCM_RIGHTS");
	memcpy(fds, CMSG_DATA(c), sizeof fds);
	mem = mmap(NULL, msg.layout.mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	if (mem == MAP_FAILED || !vring_device_init(&dev, mem, msg.layout.mem_size, &msg.layout))
		raw_die("mmap");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		raw_die("epoll_create1");
	add = (struct epoll_event){.events = EPOLLIN, .data.u64 = 0};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[1], &add) != 0)
		raw_die("epoll_ctl");
	add.data.u64 = 1;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &add) != 0)
		raw_die("epoll_ctl");
	for (;;) {
		n = epoll_wait(ep, ev, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			raw_die("epoll_wait");
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u64 != 0)
				_exit(0); /* STOP, or the parent is gone */
			if (read(fds[1], &count, sizeof count) < 0 && errno != EAGAIN)
				raw_die("read kick");
			int served = vring_device_serve(&dev);
			if (served < 0) {
				errno = EPROTO;
				raw_die("serve");
			}
			if (served > 0 && write(fds[2], &one, sizeof one) != (ssize_t)sizeof one)
				raw_die("write call");
		}
	}
}

struct ring_raw *ring_raw_start(uint32_t num, int device_cpu)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vring_layout l;
	struct vring_msg msg = {VRING_MAGIC, VRING_MSG_SETUP, 0, {0}};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(3 * sizeof(int))];
	} ctl;
	struct iovec iov = {&msg, sizeof msg};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			    .msg_controllen = sizeof ctl.buf};
	struct epoll_event add = {.events = EPOLLIN};
	struct ring_raw *r;
	struct cmsghdr *c;
	int lst;

	if (!vring_layout_init(&l, num, RING_REQUEST_SIZE, RING_MEM_SIZE) ||
	    (r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/bench-ring-raw.%d",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp", (int)getpid());
	r->memfd = memfd_create("bench-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (r->memfd < 0 || ftruncate(r->memfd, (off_t)RING_MEM_SIZE) != 0 ||
	    fcntl(r->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
		return NULL;
	r->mem = mmap(NULL, RING_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
	r->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->ep = epoll_create1(EPOLL_CLOEXEC);
	lst = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	unlink(sa.sun_path);
	if (r->mem == MAP_FAILED || r->kick < 0 || r->call < 0 || r->ep < 0 || lst < 0 ||
	    bind(lst, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lst, 1) != 0 ||
	    epoll_ctl(r->ep, EPOLL_CTL_ADD, r->call, &add) != 0)
		return NULL;
	vring_driver_init(&r->d.drv, r->mem, &l);
	fflush(NULL);
	if ((r->child = fork()) == 0)
		raw_device(sa.sun_path, device_cpu);
	r->sock = accept4(lst, NULL, NULL, SOCK_CLOEXEC);
	close(lst);
	unlink(sa.sun_path);
	if (r->child < 0 || r->sock < 0)
		return NULL;
	msg.layout = l;
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(3 * sizeof(int));
	memcpy(CMSG_DATA(c), (int[3]){r->memfd, r->kick, r->call}, 3 * sizeof(int));
	if (sendmsg(r->sock, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof msg)
		return NULL;
	return r;
}

/* The driver's loop: fill, publish, kick; wait for call, take it, collect. */
void ring_raw_run(void *arg, uint64_t n)
{
	struct ring_raw *r = arg;
	struct epoll_event ev;
	uint64_t left = n, done = 0, count, one = 1;

	while (done < n) {
		ring_bench_fill(&r->d, &left);
		if (vring_driver_publish(&r->d.drv) != 0 &&
		    write(r->kick, &one, sizeof one) != (ssize_t)sizeof one)
			abort();
		if (epoll_wait(r->ep, &ev, 1, -1) < 0 && errno != EINTR)
			abort();
		if (read(r->call, &count, sizeof count) < 0 && errno != EAGAIN)
			abort();
		done += ring_bench_collect(&r->d);
	}
}

void ring_raw_stop(struct ring_raw *r)
{
	struct vring_msg stop = {VRING_MAGIC, VRING_MSG_STOP, 0, {0}};

	if (r == NULL)
		return;
	/* Said, not left to the hang-up: a child forked later may hold a
	 * copy of this end. */
	send(r->sock, &stop, sizeof stop, MSG_NOSIGNAL);
	close(r->sock);
	waitpid(r->child, NULL, 0);
	close(r->ep);
	close(r->kick);
	close(r->call);
	munmap(r->mem, RING_MEM_SIZE);
	close(r->memfd);
	free(r);
}
