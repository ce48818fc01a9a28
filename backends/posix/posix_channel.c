/* Channels (channel.h) on POSIX: AF_UNIX sockets carrying SCM_RIGHTS.
 *
 * Two framings, chosen at run time (posix_channel_mode, set by the
 * backend's init): SEQPACKET, where the kernel keeps each message whole
 * (Linux), and STREAM, where each message is a header (its length and its
 * number of handles) followed by its bytes, the handles attached to the
 * header's first send (Darwin, which has no SOCK_SEQPACKET for AF_UNIX).
 * Both are built and tested on every POSIX host.
 *
 * Some descriptors carry state here, kept in one table under a fork-safe
 * lock and marked in a bitmap so that handle_close of any other costs one
 * load (posix_channel_forget): a listener, whose socket file its close
 * removes, and, in STREAM mode, a channel, whose send and receive each
 * take a lock of the channel's (so that concurrent callers never
 * interleave frames) and whose receiving side keeps a message taken in
 * part until the rest comes (a wait that ends meanwhile loses nothing).
 * That state belongs to the descriptor: two descriptors of one STREAM
 * socket (handle_dup, or a parent's and its forked child's) must not both
 * receive, nor both send, at once. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "posix.h"
#include "vmosal/channel.h"

enum posix_channel_mode posix_channel_mode = POSIX_CHANNEL_SEQPACKET;

/* Darwin has neither; SO_NOSIGPIPE (set on each socket) and fcntl stand
 * in for them there. */
#ifdef MSG_NOSIGNAL
#define POSIX_MSG_NOSIGNAL MSG_NOSIGNAL
#else
#define POSIX_MSG_NOSIGNAL 0
#endif
#ifdef MSG_CMSG_CLOEXEC
#define POSIX_MSG_CMSG_CLOEXEC MSG_CMSG_CLOEXEC
#define POSIX_HAVE_CMSG_CLOEXEC 1
#else
#define POSIX_MSG_CMSG_CLOEXEC 0
#define POSIX_HAVE_CMSG_CLOEXEC 0
#endif

#define POSIX_CHANNEL_BACKLOG 128
#define POSIX_MAX_HANDLES VMOSAL_CHANNEL_MAX_HANDLES

/* A control buffer for the most handles a message carries, aligned for
 * struct cmsghdr. */
union posix_cmsg_buf {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int) * POSIX_MAX_HANDLES)];
};

/* ---- the table of descriptors with state ---- */

/* A STREAM channel's frame header, in the host's byte order (both ends
 * are on one host). */
struct posix_frame {
	uint32_t len;
	uint32_t nhandles;
};

struct posix_stream {
	pthread_mutex_t send_lock, recv_lock;
	/* The message being received: its header's bytes so far, then its
	 * body's (in body, POSIX_CHANNEL_MAX bytes once allocated), and the
	 * descriptors that came with it. */
	struct posix_frame frame;
	size_t frame_got, body_got;
	char *body;
	int fds[POSIX_MAX_HANDLES];
	size_t nfds;
	bool fds_lost; /* more came than fit: the message is dropped */
};

struct posix_chan_entry {
	int fd;
	/* A listener: its socket file, made by process pid, which only that
	 * process's close removes, and only while the file is still that
	 * socket (another listener may have replaced it since). */
	char *path;
	dev_t dev;
	ino_t ino;
	pid_t pid;
	struct posix_stream *stream;
};

#define POSIX_CHAN_MARKS (1u << 20)
#define POSIX_WORD_BITS (sizeof(unsigned long) * 8)

static _Atomic unsigned long posix_chan_marks[POSIX_CHAN_MARKS / POSIX_WORD_BITS];
/* Entries for descriptors beyond the bitmap: forget looks them up. */
static atomic_size_t posix_chan_big;
static pthread_mutex_t posix_chan_lock = PTHREAD_MUTEX_INITIALIZER;
static struct posix_chan_entry *posix_chan;
static size_t posix_chan_n, posix_chan_cap;

static void posix_chan_prepare(void)
{
	pthread_mutex_lock(&posix_chan_lock);
}

static void posix_chan_parent(void)
{
	pthread_mutex_unlock(&posix_chan_lock);
}

/* The child has only the forking thread: a lock another thread held at
 * the fork would never be released, so every channel's is made anew. */
static void posix_chan_child(void)
{
	for (size_t i = 0; i < posix_chan_n; i++) {
		struct posix_stream *s = posix_chan[i].stream;

		if (s != NULL) {
			pthread_mutex_init(&s->send_lock, NULL);
			pthread_mutex_init(&s->recv_lock, NULL);
		}
	}
	pthread_mutex_unlock(&posix_chan_lock);
}

__attribute__((constructor)) static void posix_chan_register_fork(void)
{
	pthread_atfork(posix_chan_prepare, posix_chan_parent, posix_chan_child);
}

static void posix_chan_mark(int fd, bool on)
{
	unsigned long bit;

	if (fd < 0)
		return;
	if ((unsigned)fd >= POSIX_CHAN_MARKS) {
		if (on)
			atomic_fetch_add(&posix_chan_big, 1);
		else
			atomic_fetch_sub(&posix_chan_big, 1);
		return;
	}
	bit = 1ul << ((unsigned)fd % POSIX_WORD_BITS);
	if (on)
		atomic_fetch_or(&posix_chan_marks[(unsigned)fd / POSIX_WORD_BITS], bit);
	else
		atomic_fetch_and(&posix_chan_marks[(unsigned)fd / POSIX_WORD_BITS], ~bit);
}

static inline bool posix_chan_marked(int fd)
{
	if (fd < 0)
		return false;
	if ((unsigned)fd >= POSIX_CHAN_MARKS)
		return atomic_load_explicit(&posix_chan_big, memory_order_relaxed) != 0;
	return (atomic_load_explicit(&posix_chan_marks[(unsigned)fd / POSIX_WORD_BITS],
				     memory_order_relaxed) >>
		((unsigned)fd % POSIX_WORD_BITS)) &
	       1;
}

/* The entry of fd, under posix_chan_lock; NULL when none. */
static struct posix_chan_entry *posix_chan_find(int fd)
{
	for (size_t i = 0; i < posix_chan_n; i++)
		if (posix_chan[i].fd == fd)
			return &posix_chan[i];
	return NULL;
}

/* Adds e (whose fd has no entry yet); VMOSAL_ENOMEM. */
static int posix_chan_add(const struct posix_chan_entry *e)
{
	int rc = 0;

	pthread_mutex_lock(&posix_chan_lock);
	if (posix_chan_n == posix_chan_cap) {
		size_t cap = posix_chan_cap != 0 ? posix_chan_cap * 2 : 16;
		struct posix_chan_entry *v = realloc(posix_chan, cap * sizeof *v);

		if (v == NULL) {
			rc = VMOSAL_ENOMEM;
			goto out;
		}
		posix_chan = v;
		posix_chan_cap = cap;
	}
	posix_chan[posix_chan_n++] = *e;
	posix_chan_mark(e->fd, true);
out:
	pthread_mutex_unlock(&posix_chan_lock);
	return rc;
}

static struct posix_stream *posix_stream_new(void)
{
	struct posix_stream *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	pthread_mutex_init(&s->send_lock, NULL);
	pthread_mutex_init(&s->recv_lock, NULL);
	return s;
}

static void posix_stream_drop_fds(struct posix_stream *s)
{
	for (size_t i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	s->nfds = 0;
	s->fds_lost = false;
}

static void posix_stream_free(struct posix_stream *s)
{
	posix_stream_drop_fds(s);
	pthread_mutex_destroy(&s->send_lock);
	pthread_mutex_destroy(&s->recv_lock);
	free(s->body);
	free(s);
}

/* fd's STREAM state, made on first use (a channel that came from another
 * process, or through handle_dup, has none yet); NULL without memory. */
static struct posix_stream *posix_stream_of(int fd)
{
	struct posix_chan_entry *e, fresh = {.fd = fd};
	struct posix_stream *s = NULL;

	if (posix_chan_marked(fd)) {
		pthread_mutex_lock(&posix_chan_lock);
		if ((e = posix_chan_find(fd)) != NULL)
			s = e->stream;
		pthread_mutex_unlock(&posix_chan_lock);
		if (s != NULL)
			return s;
	}
	if ((fresh.stream = posix_stream_new()) == NULL)
		return NULL;
	pthread_mutex_lock(&posix_chan_lock);
	/* Two threads may make it at once: the first one added wins. */
	if ((e = posix_chan_find(fd)) != NULL && e->stream != NULL) {
		s = e->stream;
		pthread_mutex_unlock(&posix_chan_lock);
		posix_stream_free(fresh.stream);
		return s;
	}
	if (e != NULL) {
		e->stream = fresh.stream;
		pthread_mutex_unlock(&posix_chan_lock);
		return fresh.stream;
	}
	pthread_mutex_unlock(&posix_chan_lock);
	if (posix_chan_add(&fresh) != 0) {
		posix_stream_free(fresh.stream);
		return NULL;
	}
	return fresh.stream;
}

void posix_channel_forget(int fd)
{
	struct posix_chan_entry e = {.fd = -1};
	struct stat st;

	if (!posix_chan_marked(fd))
		return;
	pthread_mutex_lock(&posix_chan_lock);
	for (size_t i = 0; i < posix_chan_n; i++) {
		if (posix_chan[i].fd == fd) {
			e = posix_chan[i];
			posix_chan[i] = posix_chan[--posix_chan_n];
			posix_chan_mark(fd, false);
			break;
		}
	}
	pthread_mutex_unlock(&posix_chan_lock);
	if (e.path != NULL) {
		/* lstat then unlink is not atomic: a listener that replaces
		 * the file in between loses it. Only a stale file is ever
		 * replaced (listen), so that needs a second process closing
		 * and one listening on the same name at the same moment. */
		if (e.pid == getpid() && lstat(e.path, &st) == 0 && st.st_dev == e.dev &&
		    st.st_ino == e.ino)
			unlink(e.path);
		free(e.path);
	}
	if (e.stream != NULL)
		posix_stream_free(e.stream);
}

/* ---- sockets ---- */

/* A new AF_UNIX socket of this mode, close-on-exec and non-blocking. */
static int posix_chan_socket(int *out)
{
	int type = posix_channel_mode == POSIX_CHANNEL_STREAM ? SOCK_STREAM : SOCK_SEQPACKET;
	int fd;

#ifdef SOCK_CLOEXEC
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
#else
	fd = socket(AF_UNIX, type, 0);
#endif
	if (fd < 0)
		return posix_last_error();
	*out = fd;
	return 0;
}

/* What a socket of this library needs that its creation could not set:
 * without SOCK_CLOEXEC (Darwin), close-on-exec and non-blocking, which a
 * fork and exec in another thread may race; SO_NOSIGPIPE where the OS
 * has it, since Darwin's sendmsg has no MSG_NOSIGNAL. A STREAM channel
 * gets its state. Closes fd on failure. */
static int posix_chan_setup(int fd, bool channel, bool made_nonblocking)
{
	int rc = 0;

	if (!made_nonblocking) {
		int fl = fcntl(fd, F_GETFL);

		if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || fl < 0 ||
		    fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
			rc = posix_last_error();
	}
#ifdef SO_NOSIGPIPE
	if (rc == 0 && channel) {
		int one = 1;

		if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) != 0)
			rc = posix_last_error();
	}
#endif
	if (rc == 0 && channel && posix_channel_mode == POSIX_CHANNEL_STREAM &&
	    posix_stream_of(fd) == NULL)
		rc = VMOSAL_ENOMEM;
	if (rc == 0 && channel && posix_channel_mode == POSIX_CHANNEL_SEQPACKET) {
		/* A SEQPACKET message must fit the send buffer whole (Linux:
		 * EMSGSIZE beyond sk_sndbuf - 32): a host whose default is
		 * small gets the largest message's worth (the kernel doubles
		 * what it is asked, within net.core.wmem_max). */
		int size = 0;
		socklen_t len = sizeof size;

		if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &len) == 0 &&
		    size < (int)VMOSAL_CHANNEL_MAX_MESSAGE * 2) {
			size = (int)VMOSAL_CHANNEL_MAX_MESSAGE + 4096;
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
		}
	}
	if (rc != 0) {
		posix_channel_forget(fd);
		close(fd);
	}
	return rc;
}

#ifdef SOCK_CLOEXEC
#define POSIX_MADE_NONBLOCKING true
#else
#define POSIX_MADE_NONBLOCKING false
#endif

int posix_channel_pair(unsigned flags, vmosal_handle_t *out)
{
	int type = posix_channel_mode == POSIX_CHANNEL_STREAM ? SOCK_STREAM : SOCK_SEQPACKET;
	int sv[2], rc;

	if (flags != 0)
		return VMOSAL_ENOTSUP;
#ifdef SOCK_CLOEXEC
	type |= SOCK_CLOEXEC | SOCK_NONBLOCK;
#endif
	if (socketpair(AF_UNIX, type, 0, sv) != 0)
		return posix_last_error();
	if ((rc = posix_chan_setup(sv[0], true, POSIX_MADE_NONBLOCKING)) != 0) {
		close(sv[1]);
		return rc;
	}
	if ((rc = posix_chan_setup(sv[1], true, POSIX_MADE_NONBLOCKING)) != 0) {
		posix_channel_forget(sv[0]);
		close(sv[0]);
		return rc;
	}
	out[0] = sv[0];
	out[1] = sv[1];
	return 0;
}

/* name as a socket address; VMOSAL_ENAMETOOLONG when it does not fit. */
static int posix_chan_addr(const char *name, struct sockaddr_un *sa)
{
	size_t len = strlen(name);

	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (len >= sizeof sa->sun_path)
		return VMOSAL_ENAMETOOLONG;
	memcpy(sa->sun_path, name, len + 1);
	return 0;
}

/* Whether a socket is bound to the socket file at sa: 1 yes, 0 no (a
 * stale file, to replace), or VMOSAL_EEXIST for what is no socket. The
 * probe is a datagram socket: connecting it to a listener of another type
 * fails with EPROTOTYPE, without queueing a connection that the listener
 * would accept; a file that no socket is bound to answers ECONNREFUSED
 * (Linux's unix_find_other, XNU's unp_connect). */
static int posix_chan_listened(const struct sockaddr_un *sa, struct stat *st)
{
	int probe, rc;

	if (lstat(sa->sun_path, st) != 0)
		return errno == ENOENT ? 0 : posix_last_error();
	if (!S_ISSOCK(st->st_mode))
		return VMOSAL_EEXIST;
#ifdef SOCK_CLOEXEC
	probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
#else
	probe = socket(AF_UNIX, SOCK_DGRAM, 0);
#endif
	if (probe < 0)
		return posix_last_error();
	if (connect(probe, (const struct sockaddr *)sa, sizeof *sa) == 0)
		rc = 1;
	else
		rc = errno == ECONNREFUSED || errno == ENOENT ? 0 : 1;
	close(probe);
	return rc;
}

int posix_channel_listen(const char *name, unsigned flags, vmosal_handle_t *out)
{
	struct posix_chan_entry e = {.fd = -1};
	struct sockaddr_un sa;
	struct stat st;
	int fd = -1, rc;

	if (flags != 0)
		return VMOSAL_ENOTSUP;
	if ((rc = posix_chan_addr(name, &sa)) != 0)
		return rc;
	if ((rc = posix_chan_socket(&fd)) != 0)
		return rc;
	if ((rc = posix_chan_setup(fd, false, POSIX_MADE_NONBLOCKING)) != 0)
		return rc;
	for (int tries = 0;; tries++) {
		if (bind(fd, (const struct sockaddr *)&sa, sizeof sa) == 0)
			break;
		rc = errno == EADDRINUSE ? posix_chan_listened(&sa, &st) : posix_last_error();
		if (rc == 0 && tries < 2) {
			/* Stale: nobody listens on it. Removed only while it is
			 * still the socket just probed. */
			struct stat now;

			if (lstat(sa.sun_path, &now) == 0 && now.st_dev == st.st_dev &&
			    now.st_ino == st.st_ino)
				unlink(sa.sun_path);
			continue;
		}
		close(fd);
		return rc == 1 || rc == 0 ? VMOSAL_EEXIST : rc;
	}
	if (listen(fd, POSIX_CHANNEL_BACKLOG) != 0 || lstat(sa.sun_path, &st) != 0) {
		rc = posix_last_error();
		unlink(sa.sun_path);
		close(fd);
		return rc;
	}
	e.fd = fd;
	e.dev = st.st_dev;
	e.ino = st.st_ino;
	e.pid = getpid();
	if ((e.path = strdup(sa.sun_path)) == NULL || (rc = posix_chan_add(&e)) != 0) {
		free(e.path);
		unlink(sa.sun_path);
		close(fd);
		return VMOSAL_ENOMEM;
	}
	*out = fd;
	return 0;
}

int posix_channel_accept(vmosal_handle_t listener, int64_t timeout_ns, vmosal_handle_t *out,
			 const uint32_t *kick_pending)
{
	int fd = -1, rc;

	if (kick_pending != NULL && __atomic_load_n(kick_pending, __ATOMIC_RELAXED) != 0)
		return VMOSAL_EINTR;
	for (;;) {
#ifdef SOCK_CLOEXEC
		fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
#else
		fd = accept(listener, NULL, NULL);
#endif
		if (fd >= 0)
			break;
		/* A connection that went away before it was taken: the next. */
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return errno == ENOTSOCK ? VMOSAL_EBADF : posix_last_error();
		if (timeout_ns == 0)
			return VMOSAL_ETIMEDOUT;
		if ((rc = posix_kick_wait_fd(listener, timeout_ns, kick_pending)) != 0)
			return rc;
	}
	if ((rc = posix_chan_setup(fd, true, POSIX_MADE_NONBLOCKING)) != 0)
		return rc;
	*out = fd;
	return 0;
}

int posix_channel_connect(const char *name, unsigned flags, vmosal_handle_t *out)
{
	struct sockaddr_un sa;
	int fd = -1, rc;

	if (flags != 0)
		return VMOSAL_ENOTSUP;
	if ((rc = posix_chan_addr(name, &sa)) != 0)
		return rc;
	if ((rc = posix_chan_socket(&fd)) != 0)
		return rc;
	if ((rc = posix_chan_setup(fd, true, POSIX_MADE_NONBLOCKING)) != 0)
		return rc;
	if (connect(fd, (const struct sockaddr *)&sa, sizeof sa) != 0) {
		rc = errno;
		if (rc == EINPROGRESS || rc == EINTR) {
			/* Not seen for AF_UNIX on Linux or macOS; as POSIX
			 * allows it, waited for all the same. */
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			socklen_t len = sizeof rc;

			while (poll(&p, 1, -1) < 0 && errno == EINTR)
				;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &rc, &len) != 0)
				rc = errno;
		}
		if (rc != 0) {
			posix_channel_forget(fd);
			close(fd);
			/* A path with no listener, or none there at all. */
			if (rc == ENOENT || rc == ECONNREFUSED || rc == ENOTSOCK)
				return VMOSAL_ENOENT;
			return rc == EWOULDBLOCK ? VMOSAL_EAGAIN : posix_error_from_errno(rc);
		}
	}
	*out = fd;
	return 0;
}

int posix_channel_peer_pid(vmosal_handle_t h, uint64_t *pid)
{
#if defined(SO_PEERCRED)
	struct ucred cred;
	socklen_t len = sizeof cred;

	if (getsockopt(h, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return errno == ENOTSOCK ? VMOSAL_EBADF : posix_last_error();
	if (cred.pid <= 0)
		return VMOSAL_ENOENT; /* not connected */
	*pid = (uint64_t)cred.pid;
	return 0;
#elif defined(LOCAL_PEERPID)
	/* macOS 10.8 and later: the pid of the peer when it connected
	 * (sys/un.h, SOL_LOCAL). */
	pid_t p = 0;
	socklen_t len = sizeof p;

	if (getsockopt(h, SOL_LOCAL, LOCAL_PEERPID, &p, &len) != 0)
		return errno == ENOTSOCK ? VMOSAL_EBADF : posix_last_error();
	if (p <= 0)
		return VMOSAL_ENOENT;
	*pid = (uint64_t)p;
	return 0;
#else
	(void)h;
	(void)pid;
	return VMOSAL_ENOTSUP;
#endif
}

/* ---- sending ---- */

/* Waits until fd can take more; a signal's handler just means again. */
static int posix_chan_wait_writable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	while (poll(&p, 1, -1) < 0)
		if (errno != EINTR)
			return posix_last_error();
	return p.revents & POLLNVAL ? VMOSAL_EBADF : 0;
}

static int posix_chan_send_error(int errnum)
{
	switch (errnum) {
	case EPIPE:
	case ECONNRESET:
	case ENOTCONN:
		return VMOSAL_EPIPE;
	case ENOTSOCK:
		return VMOSAL_EBADF;
	default:
		return posix_error_from_errno(errnum);
	}
}

/* sendmsg of iov[0..niov) with handles attached, until all of it is sent
 * (a STREAM may take part at a time; the handles go with the first part),
 * waiting while fd is full. */
static int posix_chan_sendmsg(int fd, struct iovec *iov, int niov, const vmosal_handle_t *handles,
			      size_t nhandles)
{
	union posix_cmsg_buf ctl;
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = niov};
	ssize_t n;
	int rc;

	if (nhandles > 0) {
		struct cmsghdr *c;

		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nhandles);
		memset(ctl.buf, 0, mh.msg_controllen);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nhandles);
		memcpy(CMSG_DATA(c), handles, sizeof(int) * nhandles);
	}
	for (;;) {
		n = sendmsg(fd, &mh, MSG_DONTWAIT | POSIX_MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return posix_chan_send_error(errno);
			if ((rc = posix_chan_wait_writable(fd)) != 0)
				return rc;
			continue;
		}
		/* Sent: the handles went with these bytes. */
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		while (mh.msg_iovlen > 0 && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen == 0)
			return 0;
		mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
		mh.msg_iov->iov_len -= (size_t)n;
	}
}

int posix_channel_send(vmosal_handle_t h, const void *buf, size_t len,
		       const vmosal_handle_t *handles, size_t nhandles)
{
	struct posix_frame frame = {(uint32_t)len, (uint32_t)nhandles};
	struct iovec iov[2];
	struct posix_stream *s;
	int rc;

	if (posix_channel_mode == POSIX_CHANNEL_SEQPACKET) {
		iov[0] = (struct iovec){(void *)buf, len};
		return posix_chan_sendmsg(h, iov, 1, handles, nhandles);
	}
	if ((s = posix_stream_of(h)) == NULL)
		return VMOSAL_ENOMEM;
	iov[0] = (struct iovec){&frame, sizeof frame};
	iov[1] = (struct iovec){(void *)buf, len};
	/* One sender at a time, for the whole frame: held while the channel
	 * is full too, which another sender would wait for anyway. */
	pthread_mutex_lock(&s->send_lock);
	rc = posix_chan_sendmsg(h, iov, 2, handles, nhandles);
	pthread_mutex_unlock(&s->send_lock);
	return rc;
}

/* ---- receiving ---- */

/* Moves the descriptors of mh's control messages to fds[*n..cap);
 * closes those that do not fit and returns how many that was. */
static size_t posix_chan_take_fds(struct msghdr *mh, int *fds, size_t *n, size_t cap)
{
	size_t lost = 0;

	if (mh->msg_controllen == 0)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		size_t count;
		const char *data;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		data = (const char *)CMSG_DATA(c);
		for (size_t i = 0; i < count; i++) {
			int fd;

			memcpy(&fd, data + i * sizeof fd, sizeof fd);
			if (*n < cap) {
#if !POSIX_HAVE_CMSG_CLOEXEC
				/* A fork and exec in another thread meanwhile
				 * takes it along (Darwin). */
				fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
				fds[(*n)++] = fd;
			} else {
				close(fd);
				lost++;
			}
		}
	}
	return lost;
}

static void posix_chan_close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/* One recvmsg of iov, without waiting: the byte count, 0 at the end, or
 * a negative VMOSAL code (VMOSAL_EAGAIN: nothing there yet). */
static ssize_t posix_chan_recvmsg(int fd, struct msghdr *mh, int flags)
{
	ssize_t n;

	do
		n = recvmsg(fd, mh, flags | MSG_DONTWAIT | POSIX_MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return VMOSAL_EAGAIN;
	return posix_chan_send_error(errno);
}

/* One message, SEQPACKET: 0, VMOSAL_EAGAIN when none waits, or an
 * error. */
static int posix_seq_recv_once(int fd, void *buf, size_t capacity, size_t *len,
			       vmosal_handle_t *handles, size_t handle_capacity, size_t *nhandles)
{
	union posix_cmsg_buf ctl;
	struct iovec iov = {buf, capacity};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	int fds[POSIX_MAX_HANDLES];
	size_t n = 0, lost;
	ssize_t got;

	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof ctl.buf;
	/* MSG_TRUNC: Linux returns the message's real length. */
	got = posix_chan_recvmsg(fd, &mh, MSG_TRUNC);
	if (got < 0)
		return (int)got;
	lost = posix_chan_take_fds(&mh, fds, &n, POSIX_MAX_HANDLES);
	if (got == 0) {
		/* The end, or an empty message from a peer outside this
		 * library: the two look the same (channel.h). */
		posix_chan_close_all(fds, n);
		return VMOSAL_EPIPE;
	}
	*len = (size_t)got;
	*nhandles = n + lost;
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)got > capacity || lost > 0 ||
	    n > handle_capacity) {
		posix_chan_close_all(fds, n);
		return VMOSAL_EMSGSIZE;
	}
	if (n > 0) /* handles may be NULL then */
		memcpy(handles, fds, n * sizeof *fds);
	return 0;
}

/* Takes what has come of the message s is receiving, without waiting: 0
 * when it is whole, VMOSAL_EAGAIN when more must come, or an error. */
static int posix_stream_fill(int fd, struct posix_stream *s)
{
	union posix_cmsg_buf ctl;
	struct iovec iov;
	struct msghdr mh;
	ssize_t got;

	for (;;) {
		size_t want;

		if (s->frame_got < sizeof s->frame) {
			iov.iov_base = (char *)&s->frame + s->frame_got;
			iov.iov_len = sizeof s->frame - s->frame_got;
		} else {
			want = s->frame.len - s->body_got;
			if (want == 0)
				return 0;
			if (s->body == NULL && (s->body = malloc(VMOSAL_CHANNEL_MAX_MESSAGE)) == NULL)
				return VMOSAL_ENOMEM;
			iov.iov_base = s->body + s->body_got;
			iov.iov_len = want;
		}
		/* A control buffer at every read: descriptors are taken with
		 * the bytes they came with, and a read without room for
		 * them would close them. */
		memset(&mh, 0, sizeof mh);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof ctl.buf;
		got = posix_chan_recvmsg(fd, &mh, 0);
		if (got < 0)
			return (int)got;
		if (posix_chan_take_fds(&mh, s->fds, &s->nfds, POSIX_MAX_HANDLES) > 0 ||
		    (mh.msg_flags & MSG_CTRUNC))
			s->fds_lost = true;
		if (got == 0)
			return VMOSAL_EPIPE; /* mid-message or not, the peer is gone */
		if (s->frame_got < sizeof s->frame) {
			s->frame_got += (size_t)got;
			/* A header no sender of this library writes: the
			 * stream cannot be read any further. */
			if (s->frame_got == sizeof s->frame &&
			    (s->frame.len == 0 || s->frame.len > VMOSAL_CHANNEL_MAX_MESSAGE ||
			     s->frame.nhandles > POSIX_MAX_HANDLES))
				return VMOSAL_EIO;
		} else {
			s->body_got += (size_t)got;
		}
	}
}

static void posix_stream_reset(struct posix_stream *s)
{
	s->frame_got = 0;
	s->body_got = 0;
	s->nfds = 0;
	s->fds_lost = false;
}

/* One message, STREAM: as posix_seq_recv_once. */
static int posix_stream_recv_once(int fd, void *buf, size_t capacity, size_t *len,
				  vmosal_handle_t *handles, size_t handle_capacity,
				  size_t *nhandles)
{
	struct posix_stream *s = posix_stream_of(fd);
	int rc;

	if (s == NULL)
		return VMOSAL_ENOMEM;
	pthread_mutex_lock(&s->recv_lock);
	rc = posix_stream_fill(fd, s);
	if (rc == VMOSAL_EAGAIN || rc == VMOSAL_ENOMEM) {
		/* What came so far stays for the next call. */
		pthread_mutex_unlock(&s->recv_lock);
		return rc;
	}
	if (rc != 0) {
		/* Nothing of a message cut short reaches the caller. */
		posix_stream_drop_fds(s);
		posix_stream_reset(s);
		pthread_mutex_unlock(&s->recv_lock);
		return rc;
	}
	*len = s->frame.len;
	*nhandles = s->nfds;
	if (s->frame.len > capacity || s->nfds > handle_capacity || s->fds_lost) {
		posix_stream_drop_fds(s);
		rc = VMOSAL_EMSGSIZE;
	} else if (s->nfds != s->frame.nhandles) {
		/* Not what the header said: a peer outside this library. */
		posix_stream_drop_fds(s);
		rc = VMOSAL_EIO;
	} else {
		memcpy(buf, s->body, s->frame.len);
		if (s->nfds > 0)
			memcpy(handles, s->fds, s->nfds * sizeof *s->fds);
	}
	posix_stream_reset(s);
	pthread_mutex_unlock(&s->recv_lock);
	return rc;
}

int posix_channel_recv(vmosal_handle_t h, void *buf, size_t capacity, size_t *len,
		       vmosal_handle_t *handles, size_t handle_capacity, size_t *nhandles,
		       int64_t timeout_ns, const uint32_t *kick_pending)
{
	int rc;

	if (kick_pending != NULL && __atomic_load_n(kick_pending, __ATOMIC_RELAXED) != 0)
		return VMOSAL_EINTR;
	if (handle_capacity > POSIX_MAX_HANDLES)
		handle_capacity = POSIX_MAX_HANDLES;
	for (;;) {
		/* The common case, a message waiting, costs one recvmsg. */
		if (posix_channel_mode == POSIX_CHANNEL_SEQPACKET)
			rc = posix_seq_recv_once(h, buf, capacity, len, handles, handle_capacity,
						 nhandles);
		else
			rc = posix_stream_recv_once(h, buf, capacity, len, handles,
						    handle_capacity, nhandles);
		if (rc != VMOSAL_EAGAIN)
			return rc;
		if (timeout_ns == 0)
			return VMOSAL_ETIMEDOUT;
		/* Readable: try again (another receiver may have been
		 * first, and polls again with the same timeout). */
		if ((rc = posix_kick_wait_fd(h, timeout_ns, kick_pending)) != 0)
			return rc;
	}
}
