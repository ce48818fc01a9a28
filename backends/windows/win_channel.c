/* Channels on Windows: named pipes in message mode, overlapped.
 *
 * A message is one pipe message: a header (a magic number, the number of
 * handles, then each handle's value in the receiving process and its kind)
 * and the bytes. The sender duplicates each handle into the peer process
 * (DuplicateHandle into a PROCESS_DUP_HANDLE handle of it, opened with the
 * pid the pipe gives: GetNamedPipeClientProcessId / ServerProcessId); the
 * receiver owns what arrives, and closes it when the message is dropped
 * (too long, too many handles). A handle duplicated into a peer whose
 * message then cannot be written is closed there again
 * (DUPLICATE_CLOSE_SOURCE).
 *
 * Each channel has a record (win_wait.c's) holding a duplicate of the pipe,
 * a buffer of the largest message and one overlapped read into it, started
 * by the first receive or wait set that takes the channel and again after
 * each message is taken: the read's event, signalled while a message (or a
 * hang-up) waits in the buffer, is what a wait set waits on. So a channel
 * end sent to another process must not have been received on or waited on
 * here: the read pending here would take a message meant for there.
 *
 * A listener's handle is an event, signalled while a connection waits; its
 * record holds the pipe instance that a client connects to (ConnectNamedPipe,
 * overlapped, with that event) and makes the next one at each accept. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "vmosal/channel.h"
#include "vmosal/waitset.h"
#include "win.h"

#define WIN_CH_MAGIC 0x48434d56u /* "VMCH" */
#define WIN_CH_KIND_CHANNEL 1u

struct win_ch_handle {
	uint64_t value;
	uint32_t kind;
	uint32_t reserved;
};

struct win_ch_head {
	uint32_t magic;
	uint32_t nhandles;
};

#define WIN_CH_BUF                                                                          \
	(sizeof(struct win_ch_head) + VMOSAL_CHANNEL_MAX_HANDLES * sizeof(struct win_ch_handle) + \
	 VMOSAL_CHANNEL_MAX_MESSAGE)

struct win_chan {
	struct win_rec r; /* r.wait: the read's event, or the listener's */
	SRWLOCK lock;	  /* the read's state, the listener's instance */
	SRWLOCK wlock;	  /* one write at a time */
	HANDLE pipe;	  /* our duplicate (a listener: the instance waiting) */
	uint64_t peer_pid;
	HANDLE peer; /* PROCESS_DUP_HANDLE, opened at the first send with handles */
	OVERLAPPED rd, wr;
	bool rd_pending, rd_done, rd_more;
	DWORD rd_len, rd_err;
	unsigned char *buf;
	wchar_t *name; /* a listener's pipe name */
	/* The other end of a pair while both are here (win_pair_lock): when
	 * one is sent away, the other's peer becomes where it went. */
	struct win_chan *partner;
};

static SRWLOCK win_pair_lock = SRWLOCK_INIT;

static void win_chan_free(struct win_rec *o)
{
	struct win_chan *c = (struct win_chan *)o;
	DWORD n;

	AcquireSRWLockExclusive(&win_pair_lock);
	if (c->partner != NULL)
		c->partner->partner = NULL;
	ReleaseSRWLockExclusive(&win_pair_lock);
	if (c->rd_pending) {
		CancelIoEx(c->pipe, &c->rd);
		GetOverlappedResult(c->pipe, &c->rd, &n, TRUE);
	}
	if (c->pipe != NULL && c->pipe != INVALID_HANDLE_VALUE)
		CloseHandle(c->pipe);
	if (c->rd.hEvent != NULL)
		CloseHandle(c->rd.hEvent);
	if (c->wr.hEvent != NULL)
		CloseHandle(c->wr.hEvent);
	if (c->peer != NULL && c->peer != GetCurrentProcess())
		CloseHandle(c->peer);
	free(c->buf);
	free(c->name);
	free(c);
}

static bool win_pipe_gone(DWORD err)
{
	return err == ERROR_BROKEN_PIPE || err == ERROR_NO_DATA || err == ERROR_PIPE_NOT_CONNECTED;
}

/* Under c->lock: how the pending read stands. */
static void win_chan_complete(struct win_chan *c)
{
	DWORD n = 0;

	if (!c->rd_pending)
		return;
	if (GetOverlappedResult(c->pipe, &c->rd, &n, FALSE)) {
		c->rd_err = 0;
	} else {
		c->rd_err = GetLastError();
		if (c->rd_err == ERROR_IO_INCOMPLETE)
			return;
	}
	c->rd_pending = false;
	c->rd_done = true;
	c->rd_len = n;
	c->rd_more = c->rd_err == ERROR_MORE_DATA;
	if (c->rd_more)
		c->rd_err = 0;
	SetEvent(c->rd.hEvent); /* also when it ended without data */
}

/* Under c->lock: a read into the buffer, unless one is pending or done. */
static void win_chan_start_read(struct win_chan *c)
{
	if (c->rd_pending || c->rd_done)
		return;
	ResetEvent(c->rd.hEvent);
	c->rd.Offset = c->rd.OffsetHigh = 0;
	if (ReadFile(c->pipe, c->buf, (DWORD)WIN_CH_BUF, NULL, &c->rd) ||
	    GetLastError() == ERROR_IO_PENDING || GetLastError() == ERROR_MORE_DATA) {
		c->rd_pending = true;
		win_chan_complete(c);
		return;
	}
	c->rd_err = GetLastError();
	c->rd_done = true;
	c->rd_len = 0;
	c->rd_more = false;
	SetEvent(c->rd.hEvent);
}

static int win_chan_arm(struct win_rec *o)
{
	struct win_chan *c = (struct win_chan *)o;

	AcquireSRWLockExclusive(&c->lock);
	win_chan_start_read(c);
	ReleaseSRWLockExclusive(&c->lock);
	return 0;
}

static unsigned win_chan_poll(struct win_rec *o)
{
	struct win_chan *c = (struct win_chan *)o;
	unsigned bits = 0;

	AcquireSRWLockExclusive(&c->lock);
	win_chan_complete(c);
	if (c->rd_done)
		bits = c->rd_err != 0 ? VMOSAL_WAIT_READABLE | VMOSAL_WAIT_HANGUP
				      : VMOSAL_WAIT_READABLE;
	ReleaseSRWLockExclusive(&c->lock);
	return bits;
}

static struct win_chan *win_chan_new(int kind)
{
	struct win_chan *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->r.kind = kind;
	c->r.refs = 1;
	c->r.free = win_chan_free;
	InitializeSRWLock(&c->lock);
	InitializeSRWLock(&c->wlock);
	c->rd.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
	c->r.wait = c->rd.hEvent;
	if (kind == WIN_REC_CHANNEL) {
		c->r.arm = win_chan_arm;
		c->r.poll = win_chan_poll;
		c->wr.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
		c->buf = malloc(WIN_CH_BUF);
	}
	if (c->rd.hEvent == NULL ||
	    (kind == WIN_REC_CHANNEL && (c->wr.hEvent == NULL || c->buf == NULL))) {
		win_chan_free(&c->r);
		return NULL;
	}
	return c;
}

/* Makes a channel of pipe, which it owns from now on (closed on failure),
 * and stores the caller's handle of it in *out. */
static int win_chan_adopt(HANDLE pipe, vmosal_handle_t *out)
{
	HANDLE self = GetCurrentProcess(), user;
	struct win_chan *c = win_chan_new(WIN_REC_CHANNEL);
	DWORD flags = 0;
	ULONG pid = 0;
	int rc;

	if (c == NULL) {
		CloseHandle(pipe);
		return VMOSAL_ENOMEM;
	}
	c->pipe = pipe;
	/* The other end's process: the server's, seen from a client end. */
	if (GetNamedPipeInfo(pipe, &flags, NULL, NULL, NULL) &&
	    ((flags & PIPE_SERVER_END) ? GetNamedPipeClientProcessId(pipe, &pid)
				       : GetNamedPipeServerProcessId(pipe, &pid)))
		c->peer_pid = pid;
	if (c->peer_pid == GetCurrentProcessId())
		c->peer = self;
	if (!DuplicateHandle(self, pipe, self, &user, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
		rc = win_last_error();
		win_chan_free(&c->r);
		return rc;
	}
	if ((rc = win_rec_put(user, &c->r)) != 0) {
		CloseHandle(user);
		win_chan_free(&c->r);
		return rc;
	}
	*out = user;
	return 0;
}

/* \\.\pipe\<name>, each '\' of name a '/'. */
static int win_pipe_name(const char *name, wchar_t *out, size_t cap)
{
	static const wchar_t prefix[] = L"\\\\.\\pipe\\";
	size_t pre = sizeof prefix / sizeof prefix[0] - 1;
	int n;

	memcpy(out, prefix, pre * sizeof(wchar_t));
	n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, name, -1, out + pre,
				(int)(cap - pre));
	if (n == 0)
		return GetLastError() == ERROR_INSUFFICIENT_BUFFER ? VMOSAL_ENAMETOOLONG
								   : VMOSAL_EINVAL;
	for (wchar_t *p = out + pre; *p != 0; p++)
		if (*p == L'\\')
			*p = L'/';
	return 0;
}

#define WIN_PIPE_NAME_MAX (VMOSAL_CHANNEL_NAME_MAX + 16)

static HANDLE win_pipe_instance(const wchar_t *name, bool first)
{
	return CreateNamedPipeW(name,
				PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED |
					(first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
				PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT |
					PIPE_REJECT_REMOTE_CLIENTS,
				PIPE_UNLIMITED_INSTANCES, (DWORD)WIN_CH_BUF, (DWORD)WIN_CH_BUF, 0,
				NULL);
}

static HANDLE win_pipe_open(const wchar_t *name)
{
	HANDLE h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
			       FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION,
			       NULL);
	DWORD mode = PIPE_READMODE_MESSAGE;

	if (h != INVALID_HANDLE_VALUE && !SetNamedPipeHandleState(h, &mode, NULL, NULL)) {
		DWORD err = GetLastError();

		CloseHandle(h);
		SetLastError(err);
		return INVALID_HANDLE_VALUE;
	}
	return h;
}

static int win_pipe_open_error(void)
{
	switch (GetLastError()) {
	case ERROR_PIPE_BUSY:
		return VMOSAL_EAGAIN;
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
		return VMOSAL_ENOENT;
	default:
		return win_last_error();
	}
}

static void win_chan_link(HANDLE a, HANDLE b)
{
	struct win_chan *ca = (struct win_chan *)win_rec_get(a, WIN_REC_CHANNEL);
	struct win_chan *cb = (struct win_chan *)win_rec_get(b, WIN_REC_CHANNEL);

	AcquireSRWLockExclusive(&win_pair_lock);
	ca->partner = cb;
	cb->partner = ca;
	ReleaseSRWLockExclusive(&win_pair_lock);
	win_rec_unref(&ca->r);
	win_rec_unref(&cb->r);
}

/* x, one end of a pair made here, goes to the process pid (through the
 * channel c, whose write lock is held): the end left here now sends its
 * handles there. */
static void win_chan_moved(struct win_chan *c, struct win_chan *x, uint64_t pid)
{
	struct win_chan *left;

	AcquireSRWLockExclusive(&win_pair_lock);
	if ((left = x->partner) != NULL) {
		win_rec_ref(&left->r);
		left->partner = NULL;
		x->partner = NULL;
	}
	ReleaseSRWLockExclusive(&win_pair_lock);
	if (left == NULL)
		return;
	if (left != c)
		AcquireSRWLockExclusive(&left->wlock);
	if (left->peer != NULL && left->peer != GetCurrentProcess())
		CloseHandle(left->peer);
	left->peer = pid == GetCurrentProcessId() ? GetCurrentProcess() : NULL;
	left->peer_pid = pid;
	if (left != c)
		ReleaseSRWLockExclusive(&left->wlock);
	win_rec_unref(&left->r);
}

int win_channel_pair(unsigned flags, vmosal_handle_t *out)
{
	static volatile LONG serial;
	wchar_t name[96];
	HANDLE server, client;
	int rc;

	(void)flags;
	swprintf(name, sizeof name / sizeof name[0], L"\\\\.\\pipe\\vmosal-pair-%lu-%ld-%llx",
		 (unsigned long)GetCurrentProcessId(), (long)InterlockedIncrement(&serial),
		 (unsigned long long)win_monotonic_ns());
	server = win_pipe_instance(name, true);
	if (server == INVALID_HANDLE_VALUE)
		return win_last_error();
	client = win_pipe_open(name);
	if (client == INVALID_HANDLE_VALUE) {
		rc = win_last_error();
		CloseHandle(server);
		return rc;
	}
	/* Connected already: the client's open was the connection. */
	if ((rc = win_chan_adopt(server, &out[0])) != 0) {
		CloseHandle(client);
		return rc;
	}
	if ((rc = win_chan_adopt(client, &out[1])) != 0) {
		win_handle_close(out[0]);
		return rc;
	}
	win_chan_link(out[0], out[1]);
	return 0;
}

/* Under the listener's lock: a new instance (inst, or one made here), its
 * connection awaited with the listener's event (signalled once a client
 * is there). */
static int win_listener_next(struct win_chan *l, HANDLE inst)
{
	if (inst == NULL)
		inst = win_pipe_instance(l->name, false);
	if (inst == INVALID_HANDLE_VALUE)
		return win_last_error();
	l->pipe = inst;
	ResetEvent(l->rd.hEvent);
	l->rd_done = false;
	l->rd_pending = false;
	if (ConnectNamedPipe(inst, &l->rd)) {
		l->rd_done = true;
	} else {
		switch (GetLastError()) {
		case ERROR_IO_PENDING:
			l->rd_pending = true;
			break;
		case ERROR_PIPE_CONNECTED:
			l->rd_done = true;
			SetEvent(l->rd.hEvent);
			break;
		default:
			l->pipe = NULL;
			CloseHandle(inst);
			return win_last_error();
		}
	}
	return 0;
}

int win_channel_listen(const char *name, unsigned flags, vmosal_handle_t *out)
{
	HANDLE self = GetCurrentProcess(), user, first;
	struct win_chan *l;
	int rc;

	(void)flags;
	if ((l = win_chan_new(WIN_REC_LISTENER)) == NULL)
		return VMOSAL_ENOMEM;
	if ((l->name = malloc(WIN_PIPE_NAME_MAX * sizeof(wchar_t))) == NULL) {
		win_chan_free(&l->r);
		return VMOSAL_ENOMEM;
	}
	if ((rc = win_pipe_name(name, l->name, WIN_PIPE_NAME_MAX)) != 0) {
		win_chan_free(&l->r);
		return rc;
	}
	/* The first instance claims the name: another listener's is there
	 * (ERROR_ACCESS_DENIED for FILE_FLAG_FIRST_PIPE_INSTANCE). Wine
	 * ignores that flag: a pipe of the name that has an instance waiting
	 * (or all busy, the wait timing out) is one too. */
	if (WaitNamedPipeW(l->name, 1) || GetLastError() == ERROR_SEM_TIMEOUT) {
		win_chan_free(&l->r);
		return VMOSAL_EEXIST;
	}
	first = win_pipe_instance(l->name, true);
	if (first == INVALID_HANDLE_VALUE) {
		rc = GetLastError() == ERROR_ACCESS_DENIED || GetLastError() == ERROR_PIPE_BUSY
			     ? VMOSAL_EEXIST
			     : win_last_error();
		win_chan_free(&l->r);
		return rc;
	}
	if ((rc = win_listener_next(l, first)) != 0) {
		win_chan_free(&l->r);
		return rc;
	}
	if (!DuplicateHandle(self, l->rd.hEvent, self, &user, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
		rc = win_last_error();
		win_chan_free(&l->r);
		return rc;
	}
	if ((rc = win_rec_put(user, &l->r)) != 0) {
		CloseHandle(user);
		win_chan_free(&l->r);
		return rc;
	}
	*out = user;
	return 0;
}

/* Waits alertably up to what is left of timeout_ns since start for ev:
 * 0 when signalled, VMOSAL_ETIMEDOUT, VMOSAL_EINTR (an APC: a kick). */
static int win_chan_wait(HANDLE ev, int64_t timeout_ns, uint64_t start)
{
	for (;;) {
		HANDLE objs[2] = {ev, NULL};
		DWORD ms = INFINITE, n = 1, r;

		if (timeout_ns >= 0) {
			uint64_t waited = win_monotonic_ns() - start;

			ms = 0;
			if (waited < (uint64_t)timeout_ns) {
				objs[1] = win_hires_timer((uint64_t)timeout_ns - waited);
				if (objs[1] != NULL) {
					n = 2;
					ms = INFINITE;
				} else {
					ms = win_wait_ms((uint64_t)timeout_ns - waited);
				}
			}
		}
		r = WaitForMultipleObjectsEx(n, objs, FALSE, ms, TRUE);
		switch (r) {
		case WAIT_OBJECT_0:
			return 0;
		case WAIT_IO_COMPLETION:
			return VMOSAL_EINTR;
		case WAIT_OBJECT_0 + 1:
		case WAIT_TIMEOUT:
			if (ms != 0 && (uint64_t)timeout_ns > win_monotonic_ns() - start)
				continue;
			return VMOSAL_ETIMEDOUT;
		default:
			return win_last_error();
		}
	}
}

int win_channel_accept(vmosal_handle_t listener, int64_t timeout_ns, vmosal_handle_t *out,
		       const uint32_t *kick_pending)
{
	struct win_chan *l = (struct win_chan *)win_rec_get(listener, WIN_REC_LISTENER);
	uint64_t start = win_monotonic_ns();
	HANDLE conn = NULL;
	int rc = 0;

	if (l == NULL)
		return VMOSAL_EBADF;
	if (kick_pending != NULL && __atomic_load_n(kick_pending, __ATOMIC_SEQ_CST) != 0) {
		win_rec_unref(&l->r);
		return win_kick_seen();
	}
	for (;;) {
		DWORD n;

		AcquireSRWLockExclusive(&l->lock);
		if (l->pipe == NULL)
			rc = win_listener_next(l, NULL);
		if (rc == 0 && l->rd_pending) {
			if (GetOverlappedResult(l->pipe, &l->rd, &n, FALSE) ||
			    GetLastError() == ERROR_PIPE_CONNECTED) {
				l->rd_pending = false;
				l->rd_done = true;
			} else if (GetLastError() != ERROR_IO_INCOMPLETE) {
				/* A client that came and went: listen again. */
				l->rd_pending = false;
				DisconnectNamedPipe(l->pipe);
				CloseHandle(l->pipe);
				l->pipe = NULL;
				rc = win_listener_next(l, NULL);
			}
		}
		if (rc == 0 && l->rd_done) {
			conn = l->pipe;
			l->pipe = NULL;
			l->rd_done = false;
			/* The next instance now; one that cannot be made is
			 * made again by the next accept. */
			if (win_listener_next(l, NULL) != 0)
				ResetEvent(l->rd.hEvent);
		}
		ReleaseSRWLockExclusive(&l->lock);
		if (rc != 0 || conn != NULL)
			break;
		if ((rc = win_chan_wait(l->rd.hEvent, timeout_ns, start)) != 0)
			break;
	}
	win_rec_unref(&l->r);
	if (conn == NULL)
		return rc;
	return win_chan_adopt(conn, out);
}

int win_channel_connect(const char *name, unsigned flags, vmosal_handle_t *out)
{
	wchar_t wide[WIN_PIPE_NAME_MAX];
	HANDLE h;
	int rc;

	(void)flags;
	if ((rc = win_pipe_name(name, wide, WIN_PIPE_NAME_MAX)) != 0)
		return rc;
	if ((h = win_pipe_open(wide)) == INVALID_HANDLE_VALUE)
		return win_pipe_open_error();
	return win_chan_adopt(h, out);
}

/* Closes handles duplicated into proc (best effort: it may be gone). */
static void win_close_remote(HANDLE proc, const struct win_ch_handle *hs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		DuplicateHandle(proc, (HANDLE)(uintptr_t)hs[i].value, NULL, NULL, 0, FALSE,
				DUPLICATE_CLOSE_SOURCE);
}

int win_channel_send(vmosal_handle_t h, const void *buf, size_t len,
		     const vmosal_handle_t *handles, size_t nhandles)
{
	struct win_chan *c = (struct win_chan *)win_rec_get(h, WIN_REC_CHANNEL);
	HANDLE self = GetCurrentProcess();
	struct win_ch_head *head;
	struct win_ch_handle *hs;
	size_t total, done = 0;
	unsigned char *msg;
	DWORD n;
	int rc = 0;

	if (c == NULL)
		return VMOSAL_EBADF;
	total = sizeof *head + nhandles * sizeof *hs + len;
	if ((msg = malloc(total)) == NULL) {
		win_rec_unref(&c->r);
		return VMOSAL_ENOMEM;
	}
	head = (struct win_ch_head *)msg;
	hs = (struct win_ch_handle *)(head + 1);
	head->magic = WIN_CH_MAGIC;
	head->nhandles = (uint32_t)nhandles;
	memcpy(hs + nhandles, buf, len);
	AcquireSRWLockExclusive(&c->wlock);
	if (nhandles > 0 && c->peer == NULL) {
		c->peer = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)c->peer_pid);
		if (c->peer == NULL)
			rc = c->peer_pid == 0 ? VMOSAL_EPIPE : win_last_error();
	}
	for (; rc == 0 && done < nhandles; done++) {
		HANDLE remote;
		struct win_rec *o;

		if (!DuplicateHandle(self, handles[done], c->peer, &remote, 0, FALSE,
				     DUPLICATE_SAME_ACCESS)) {
			rc = GetLastError() == ERROR_INVALID_HANDLE ? VMOSAL_EBADF : win_last_error();
			break;
		}
		hs[done].value = (uint64_t)(uintptr_t)remote;
		hs[done].reserved = 0;
		o = win_rec_get(handles[done], WIN_REC_CHANNEL);
		hs[done].kind = o != NULL ? WIN_CH_KIND_CHANNEL : 0;
		win_rec_unref(o);
	}
	if (rc == 0) {
		ResetEvent(c->wr.hEvent);
		c->wr.Offset = c->wr.OffsetHigh = 0;
		if (!WriteFile(c->pipe, msg, (DWORD)total, NULL, &c->wr) &&
		    GetLastError() != ERROR_IO_PENDING)
			rc = win_pipe_gone(GetLastError()) ? VMOSAL_EPIPE : win_last_error();
		else if (!GetOverlappedResult(c->pipe, &c->wr, &n, TRUE))
			rc = win_pipe_gone(GetLastError()) ? VMOSAL_EPIPE : win_last_error();
		else if (n != total)
			rc = VMOSAL_EIO;
	}
	if (rc != 0 && done > 0)
		win_close_remote(c->peer, hs, done);
	/* Sent: the ends left here of pairs whose other ends went. */
	for (size_t i = 0; rc == 0 && i < nhandles; i++) {
		struct win_chan *x;

		if (hs[i].kind == WIN_CH_KIND_CHANNEL &&
		    (x = (struct win_chan *)win_rec_get(handles[i], WIN_REC_CHANNEL)) != NULL) {
			win_chan_moved(c, x, c->peer_pid);
			win_rec_unref(&x->r);
		}
	}
	ReleaseSRWLockExclusive(&c->wlock);
	free(msg);
	win_rec_unref(&c->r);
	return rc;
}

/* The rest of a message longer than the buffer, read and dropped. */
static void win_chan_drain(struct win_chan *c)
{
	unsigned char scrap[4096];
	DWORD n;

	for (;;) {
		ResetEvent(c->rd.hEvent);
		if (ReadFile(c->pipe, scrap, sizeof scrap, NULL, &c->rd) ||
		    GetLastError() == ERROR_IO_PENDING || GetLastError() == ERROR_MORE_DATA) {
			if (GetOverlappedResult(c->pipe, &c->rd, &n, TRUE) ||
			    GetLastError() != ERROR_MORE_DATA)
				return;
		} else {
			return;
		}
	}
}

int win_channel_recv(vmosal_handle_t h, void *buf, size_t capacity, size_t *len,
		     vmosal_handle_t *handles, size_t handle_capacity, size_t *nhandles,
		     int64_t timeout_ns, const uint32_t *kick_pending)
{
	struct win_chan *c = (struct win_chan *)win_rec_get(h, WIN_REC_CHANNEL);
	uint64_t start = win_monotonic_ns();
	int rc = 0;

	if (c == NULL)
		return VMOSAL_EBADF;
	if (kick_pending != NULL && __atomic_load_n(kick_pending, __ATOMIC_SEQ_CST) != 0) {
		win_rec_unref(&c->r);
		return win_kick_seen();
	}
	for (;;) {
		AcquireSRWLockExclusive(&c->lock);
		win_chan_start_read(c);
		win_chan_complete(c);
		if (c->rd_done)
			break; /* with the lock */
		ReleaseSRWLockExclusive(&c->lock);
		if ((rc = win_chan_wait(c->rd.hEvent, timeout_ns, start)) != 0) {
			win_rec_unref(&c->r);
			return rc;
		}
	}
	if (c->rd_err != 0) {
		/* Stays done: the peer is gone, for every later receive. */
		rc = win_pipe_gone(c->rd_err) ? VMOSAL_EPIPE : win_error_from(c->rd_err);
	} else {
		const struct win_ch_head *head = (const struct win_ch_head *)c->buf;
		const struct win_ch_handle *hs = (const struct win_ch_handle *)(head + 1);
		size_t got = c->rd_len, nh = 0, body = 0;

		if (c->rd_more)
			win_chan_drain(c);
		if (got < sizeof *head || head->magic != WIN_CH_MAGIC ||
		    head->nhandles > VMOSAL_CHANNEL_MAX_HANDLES ||
		    got < sizeof *head + head->nhandles * sizeof *hs) {
			rc = VMOSAL_EIO; /* not a libvmosal message: dropped */
		} else {
			nh = head->nhandles;
			body = got - sizeof *head - nh * sizeof *hs;
			*len = body;
			*nhandles = nh;
			if (c->rd_more || body > capacity || nh > handle_capacity) {
				rc = VMOSAL_EMSGSIZE;
				for (size_t i = 0; i < nh; i++)
					CloseHandle((HANDLE)(uintptr_t)hs[i].value);
			} else {
				memcpy(buf, hs + nh, body);
				for (size_t i = 0; i < nh && rc == 0; i++) {
					HANDLE got_h = (HANDLE)(uintptr_t)hs[i].value;

					handles[i] = got_h;
					if (hs[i].kind == WIN_CH_KIND_CHANNEL) {
						/* A channel needs its record here. */
						HANDLE self = GetCurrentProcess(), mine;

						if (DuplicateHandle(self, got_h, self, &mine, 0,
								    FALSE, DUPLICATE_SAME_ACCESS) &&
						    win_chan_adopt(mine, &handles[i]) == 0)
							CloseHandle(got_h);
					}
				}
			}
		}
		c->rd_done = false;
		win_chan_start_read(c);
	}
	ReleaseSRWLockExclusive(&c->lock);
	win_rec_unref(&c->r);
	return rc;
}

int win_channel_peer_pid(vmosal_handle_t h, uint64_t *pid)
{
	struct win_chan *c = (struct win_chan *)win_rec_get(h, WIN_REC_CHANNEL);

	if (c == NULL)
		return VMOSAL_EBADF;
	*pid = c->peer_pid;
	win_rec_unref(&c->r);
	return c->peer_pid != 0 ? 0 : VMOSAL_ENOTSUP;
}
