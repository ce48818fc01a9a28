/* libvmosal: channels, messages that carry handles between processes.
 *
 * A channel is a handle to one end of a connection that keeps message
 * boundaries, and carries handles (events, shared memory, guest RAM,
 * timers, other channels) with each message: they arrive in the receiving
 * process as new handles of the same objects. It is how a vhost-user
 * backend and a VMM meet. Linux: an AF_UNIX SOCK_SEQPACKET socket and
 * SCM_RIGHTS. macOS (which has no SOCK_SEQPACKET for AF_UNIX): a
 * SOCK_STREAM socket, each message framed by a header, and SCM_RIGHTS.
 * Windows: a named pipe in message mode; the sender duplicates each handle
 * into the receiving process (DuplicateHandle) and sends its value. That
 * process is the pipe's other end as the pipe names it: the one that
 * connected or accepted; for a pair, the process that made it, until one
 * end is sent through a channel: the end left behind then sends to where
 * that one went (an end passed to a child by inheritance instead still
 * sends its handles to the maker: send it through a channel).
 * A Windows channel keeps one read pending once it has been received on
 * or added to a wait set: send such an end to another process no more.
 * On Windows the receiver trusts its peer with its handle table: the
 * values arrive as numbers, already valid in the receiving process, and a
 * hostile peer could name handles the receiver had before (which it would
 * then treat as received, and close when it drops a message with
 * VMOSAL_EMSGSIZE). Until the receiver duplicates from the sender instead,
 * connect Windows channels only to processes as trusted as yourself.
 *
 * A channel, and a listener, is waitable in a wait set: READABLE when a
 * message (a connection, for a listener) is waiting, WRITABLE when a send
 * would not wait, HANGUP when the peer is gone. Close both with
 * vmosal_handle_close; like every handle, neither is inherited by child
 * processes until vmosal_handle_set_inheritable says so. */
#ifndef VMOSAL_CHANNEL_H
#define VMOSAL_CHANNEL_H

#include "common.h"

VMOSAL_BEGIN_DECLS

/* The largest message, and the most handles one message carries. */
#define VMOSAL_CHANNEL_MAX_MESSAGE 65536u
#define VMOSAL_CHANNEL_MAX_HANDLES 32u
/* The longest name, without its NUL: what every OS's socket path takes
 * (macOS's sun_path holds 103 bytes and a NUL). */
#define VMOSAL_CHANNEL_NAME_MAX 103u

/* Creates two connected channels in out[0] and out[1]: a message sent on
 * one is received on the other. flags must be 0. Hand one end to a child
 * process (inheritance, or another channel). */
VMOSAL_API int vmosal_channel_pair(unsigned flags, vmosal_handle_t out[2]);

/* Listens on name for processes that connect to it, and stores the
 * listener in *out. POSIX: name is the path of a Unix-domain socket (a
 * stale socket file there, which nobody listens on, is replaced; one that
 * somebody listens on is VMOSAL_EEXIST, as is a file there that is no
 * socket); closing the listener removes it (in the process that made it).
 * Windows: the pipe \\.\pipe\<name>, with each '\' of name turned into '/'
 * (a pipe's name may not hold a backslash). 1 to VMOSAL_CHANNEL_NAME_MAX
 * bytes (VMOSAL_ENAMETOOLONG beyond). flags must be 0. */
VMOSAL_API int vmosal_channel_listen(const char *name, unsigned flags, vmosal_handle_t *out);

/* Waits up to timeout_ns (0: just test; negative: no limit) for a process
 * to connect to listener, and stores the channel to it in *out.
 * VMOSAL_ETIMEDOUT when none came; kicks end it with VMOSAL_EINTR, as
 * vmosal_event_wait. */
VMOSAL_API int vmosal_channel_accept(vmosal_handle_t listener, int64_t timeout_ns,
				     vmosal_handle_t *out);

/* Connects to the listener on name (as vmosal_channel_listen names it)
 * and stores the channel in *out. VMOSAL_ENOENT when nobody listens on
 * name; VMOSAL_EAGAIN when the listener has more connections waiting than
 * it takes. Does not wait for a listener to appear. flags must be 0. */
VMOSAL_API int vmosal_channel_connect(const char *name, unsigned flags, vmosal_handle_t *out);

/* Sends one message of len bytes (1 to VMOSAL_CHANNEL_MAX_MESSAGE: an
 * empty one cannot be told from a hang-up on every OS) with handles[0..
 * nhandles) (at most VMOSAL_CHANNEL_MAX_HANDLES; handles may be NULL when
 * nhandles is 0). The sender keeps its handles: the receiver gets new ones.
 * Waits while the channel is full. The message is sent whole or not at
 * all. VMOSAL_EPIPE when the peer is gone (never a SIGPIPE);
 * VMOSAL_EBADF when a handle in handles[] names nothing. */
VMOSAL_API int vmosal_channel_send(vmosal_handle_t ch, const void *buf, size_t len,
				   const vmosal_handle_t *handles, size_t nhandles);

/* What vmosal_channel_recv received. */
struct vmosal_channel_msg {
	uint32_t struct_size; /* common.h */
	uint32_t reserved;
	size_t len;      /* bytes of the message (also when too long: below) */
	size_t nhandles; /* handles stored */
};

/* Waits up to timeout_ns (0: just test; negative: no limit) for one
 * message, stores its bytes in buf[0..capacity) and its handles in
 * handles[0..handle_capacity) (handles may be NULL when handle_capacity is
 * 0), and fills *msg. Kicks end the wait with VMOSAL_EINTR, as
 * vmosal_event_wait; VMOSAL_ETIMEDOUT when no message came. The handles
 * are new in this process; the caller closes them.
 *
 * A message longer than capacity, or with more handles than
 * handle_capacity, is VMOSAL_EMSGSIZE: it is taken from the channel and
 * dropped, every handle it carried closed, and msg->len says how long it
 * was (so that nothing leaks, in either process, and the next message is
 * the next one). VMOSAL_EPIPE when the peer is gone and nothing is left to
 * receive (POSIX: also for an empty message, which only a peer outside
 * libvmosal sends). macOS: a message cut short by the peer's end is never
 * seen; VMOSAL_EIO when what a peer outside libvmosal wrote is no message. */
VMOSAL_API int vmosal_channel_recv(vmosal_handle_t ch, void *buf, size_t capacity,
				   vmosal_handle_t *handles, size_t handle_capacity,
				   int64_t timeout_ns, struct vmosal_channel_msg *msg);

/* The process at the other end of ch: its id, as vmosal_process_id gives
 * it there, taken when the channel was connected. Linux: SO_PEERCRED;
 * macOS: LOCAL_PEERPID; Windows: GetNamedPipeClientProcessId (or
 * ServerProcessId). */
VMOSAL_API int vmosal_channel_peer_pid(vmosal_handle_t ch, uint64_t *pid);

VMOSAL_END_DECLS

#endif
