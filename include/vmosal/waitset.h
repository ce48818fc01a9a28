/* libvmosal: wait sets, the core of an event loop.
 *
 * A wait set watches any number of handles and reports which are ready:
 * every handle libvmosal hands out (events, timers, signal handles,
 * channels and their listeners) and, on POSIX, any descriptor. The OS
 * behind it: Linux, epoll (epoll_pwait2 from Linux 5.11); macOS, a kqueue;
 * Windows: the waiting thread waits on the first 61 handles itself, and a
 * thread of the set's own on each further 61 (made as the set grows, kept
 * until it is destroyed), so that a set is not limited to
 * MAXIMUM_WAIT_OBJECTS (64); those threads wait only while a thread is in
 * vmosal_waitset_wait, and two threads' waits on a set of more than 61
 * handles take turns. The set waits on a duplicate of each handle it holds.
 * A wait takes the signal of an auto-reset event or a semaphore: the set
 * gives it back at once, so a reported handle is still readable (another
 * thread's read may find it unsignalled for that moment; libvmosal's own
 * events are manual-reset, event.h, and need nothing). WRITABLE is always
 * reported on Windows when asked for.
 *
 * A wait set is a libvmosal object (create / destroy), not a handle. Its
 * calls may come from any thread at once: a handle may be added, changed
 * or removed while another thread waits, and the wait sees the change. */
#ifndef VMOSAL_WAITSET_H
#define VMOSAL_WAITSET_H

#include "common.h"

VMOSAL_BEGIN_DECLS

typedef struct vmosal_waitset vmosal_waitset_t;

/* What a handle is watched for, and what the wait reports. HANGUP and
 * ERROR are always reported; asking for them changes nothing. */
#define VMOSAL_WAIT_READABLE 0x001u /* an event or timer fired, a message, a connection */
#define VMOSAL_WAIT_WRITABLE 0x002u /* a channel can take a message */
#define VMOSAL_WAIT_HANGUP 0x004u   /* the peer of a channel is gone, or shut its writing down */
#define VMOSAL_WAIT_ERROR 0x008u
/* How: level-triggered by default (reported at each wait while ready).
 * EDGE reports a handle once per change to ready (Linux EPOLLET, macOS
 * EV_CLEAR; Windows: VMOSAL_ENOTSUP). ONESHOT reports it once, then
 * watches it no more until vmosal_waitset_modify (EPOLLONESHOT,
 * EV_DISPATCH; Windows: the set stops waiting on it). */
#define VMOSAL_WAIT_EDGE 0x100u
#define VMOSAL_WAIT_ONESHOT 0x200u

/* The most handles one set holds; beyond, VMOSAL_ENOSPC. */
#define VMOSAL_WAITSET_MAX 65536u

/* One ready handle: the token it was added with, and what it is ready
 * for (VMOSAL_WAIT_READABLE...). */
struct vmosal_wait_event {
	uint64_t token;
	uint32_t events;
	uint32_t reserved; /* 0 */
};

/* Creates an empty set and stores it in *out. flags must be 0. Not
 * inherited by child processes; a child of fork must not use its
 * parent's sets (macOS: a kqueue is not inherited; Linux: an epoll set is
 * shared with the parent). */
VMOSAL_API int vmosal_waitset_create(unsigned flags, vmosal_waitset_t **out);

/* Destroys the set. Its handles stay open; a thread still waiting on it
 * is a bug of the caller's (as freeing memory another thread reads).
 * VMOSAL_EINVAL for NULL. */
VMOSAL_API int vmosal_waitset_destroy(vmosal_waitset_t *ws);

/* Watches h for events (VMOSAL_WAIT_*, at least one of READABLE and
 * WRITABLE; unknown bits: VMOSAL_EINVAL) and reports it with token.
 * VMOSAL_EEXIST when h is in the set already, VMOSAL_EBADF when it names
 * nothing, VMOSAL_ENOSPC when the set is full (VMOSAL_WAITSET_MAX, or
 * what the OS allows: Linux's max_user_watches). Linux: VMOSAL_ENOTSUP for
 * a regular file or a directory, which epoll does not watch (they are
 * always ready). A handle is in a set
 * until removed: close it only after vmosal_waitset_remove (Linux and
 * macOS stop watching a closed descriptor by themselves, Linux not while a
 * duplicate of it lives, but the set still counts it as a member; Windows
 * does not). */
VMOSAL_API int vmosal_waitset_add(vmosal_waitset_t *ws, vmosal_handle_t h, unsigned events,
				  uint64_t token);

/* Changes what h is watched for, and its token; re-arms a ONESHOT.
 * VMOSAL_ENOENT when h is not in the set. */
VMOSAL_API int vmosal_waitset_modify(vmosal_waitset_t *ws, vmosal_handle_t h, unsigned events,
				     uint64_t token);

/* Stops watching h. VMOSAL_ENOENT when h is not in the set. A wait that
 * begins after this returns never reports h; one already returning in
 * another thread may still carry its token (as with epoll): a caller that
 * frees what a token points to after removing it must know that no wait
 * was in flight, or make tokens it can check (an index and a generation). */
VMOSAL_API int vmosal_waitset_remove(vmosal_waitset_t *ws, vmosal_handle_t h);

/* Waits up to timeout_ns (0: just test; negative: no limit) for handles
 * in the set to be ready, stores up to capacity of them in ready[] and
 * their number in *n, and returns 0. VMOSAL_ETIMEDOUT, with *n 0, when
 * none became ready. Reporting a handle does not consume what made it
 * ready: read the event, timer or channel.
 *
 * Kicks, as vmosal_event_wait: VMOSAL_EINTR when the calling thread is
 * kicked during the wait, and at once while its kick is pending (vmosal.h,
 * "Kicks and blocking waits"); other signals' handlers do not end it.
 *
 * Resolution of the timeout: Linux, nanoseconds with epoll_pwait2 (Linux
 * 5.11 and later), else milliseconds, rounded up, with epoll_pwait; plus
 * the thread's timer slack (50 us by default). macOS, microseconds (the
 * kick rule's pselect on the kqueue, as vmosal_event_wait), subject to
 * timer coalescing. Windows, as vmosal_event_wait. Never early.
 *
 * VMOSAL_EINVAL: ws, ready or n NULL, or capacity 0. */
VMOSAL_API int vmosal_waitset_wait(vmosal_waitset_t *ws, int64_t timeout_ns,
				   struct vmosal_wait_event *ready, size_t capacity, size_t *n);

VMOSAL_END_DECLS

#endif
