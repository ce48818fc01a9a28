/* Code shared by the POSIX backends (linux, darwin). Compiled into each
 * plugin; nothing here is exported. */
#ifndef VMOSAL_BACKEND_POSIX_H
#define VMOSAL_BACKEND_POSIX_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "vmosal/backend.h"
/* The public constants (VMOSAL_MAP_*, VMOSAL_PRIORITY_*, ...) slots take. */
#include "vmosal/memory.h"
#include "vmosal/platform.h"
#include "vmosal/thread.h"
#include "vmosal/signal.h"
#include "vmosal/event.h"
#include "vmosal/device.h"

/* Every slot's prototype as posix_<slot>, from backend_slots.h: the
 * functions below that share a slot's name are that slot, for every POSIX
 * backend whose ops table names them. Only those defined in backends/posix
 * exist (the list at the end of this file). */
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) ret posix_##name params;
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT

/* The core's services, saved by the backend's init(). */
extern const struct vmosal_core_services *posix_core;

/* ---- the host (posix_host.c) ---- */

/* Translates an errno value into a VMOSAL_E* code at the backend boundary. */
int posix_error_from_errno(int errnum);

/* The translated code of the current errno. */
int posix_last_error(void);

/* Builds "<VMOSAL_FSROOT><path>" into buf: VMOSAL_FSROOT lets tests point the
 * backend at a fake /etc, /sys or /dev tree. Returns buf. */
const char *posix_host_path(char *buf, size_t len, const char *path);

/* Reads a small text file whole into buf (NUL-terminated); returns the
 * length or a negative VMOSAL_E* code. */
long posix_read_file(const char *path, char *buf, size_t len);

/* ---- threads (posix_thread.c) ---- */

/* The stack size pthread_attr_setstacksize takes for a request of size
 * bytes (size > 0): at least min, rounded up to whole pages (Darwin
 * refuses any other size), or size itself where rounding would wrap. */
size_t posix_stack_size(size_t size, size_t min, size_t page);

/* ---- memory (posix_mem.c) ---- */

/* mmap for the portable flags (SHARED, PRIVATE, ANONYMOUS, FIXED,
 * FIXED_NOREPLACE); any other VMOSAL_MAP_* bit left in flags is ENOTSUP, so
 * a backend's mem_map translates its own and passes them as native_flags.
 * Checks a file's access mode first. FIXED_NOREPLACE is verified after the
 * call, so it also holds where the OS treats the address as a hint. */
int posix_mmap(void *addr, size_t size, unsigned prot, unsigned flags, vmosal_handle_t fd,
	       int64_t offset, int native_flags, void **out);
/* Unmaps a whole mapping the backend made itself, on a cleanup path where
 * the caller already has an error to return; a failure is reported
 * through VMOSAL_DEBUG=memory. */
void posix_unmap_own(void *addr, size_t size);
/* A flag only posix_map_into_reservation passes to a backend's mem_map
 * (which hands it on to posix_mmap): this FIXED mapping goes into a
 * recorded reservation. The core never passes it: it is no VMOSAL_MAP_*
 * bit. */
#define POSIX_MAP_INTO_RESERVATION 0x01000000u
/* A backend's mem_map, as posix_map_into_reservation calls it. */
typedef int (*posix_map_fn)(void *addr, size_t size, unsigned prot, unsigned flags,
			    vmosal_handle_t fd, int64_t offset, void **out);
/* A backend's mem_map_reserved on top of its mem_map: a FIXED mapping into
 * the reservation, which is reserved again if that fails. */
int posix_map_into_reservation(posix_map_fn map, void *addr, size_t size, unsigned prot,
			       unsigned flags, vmosal_handle_t fd, int64_t offset);

/* Writes the name of a fresh POSIX shared memory object into buf (at least
 * POSIX_SHM_NAME_MAX + 1 bytes): "/vmosal.<pid>.<serial>", short enough
 * for Darwin's 31-byte limit. */
#define POSIX_SHM_NAME_MAX 31
void posix_shm_name(char *buf, size_t len, long pid, unsigned serial);
/* An anonymous shared memory object of size bytes through shm_open: made
 * under a fresh name, unlinked at once, close-on-exec. For systems without
 * memfd (Darwin). */
int posix_shm_create_unnamed(uint64_t size, vmosal_handle_t *out);

/* Faults in every step bytes of [addr, addr + size) for writing, keeping
 * the contents. May raise SIGBUS where the OS cannot back a page: run it
 * under the fault guard. */
void posix_touch_pages(void *addr, size_t size, size_t step);

/* ---- signals, fault guard, kick (posix_signal.c) ---- */

/* The OS number of a vmosal_signal, 0 if this OS has none; and back. */
int posix_os_signal(int sig);
int posix_signal_of(int os_signal);
/* A sigset of sigs[0..n) (enum vmosal_signal); VMOSAL_ENOTSUP when one is
 * unknown here. */
int posix_sigset(const int *sigs, size_t n, sigset_t *set);
/* Sets out's syscall and syscall_arch: nr and arch for a seccomp trap
 * (os_signal SIGSYS, code SYS_SECCOMP, on Linux), else -1 and 0. */
void posix_siginfo_syscall(int os_signal, int code, int32_t nr, uint32_t arch,
			   struct vmosal_siginfo *out);
/* Takes one signal of set that is pending for the calling thread or the
 * process and fills *out; VMOSAL_EAGAIN when none is. Never blocks, even
 * while other threads take the same signals: sigtimedwait with a zero
 * timeout where there is one (si_code then filled), else
 * posix_take_pending_locked. Not from a signal handler. */
int posix_take_pending(const sigset_t *set, struct vmosal_siginfo *out);
/* The same without sigtimedwait (Darwin): sigpending, then sigwait for a
 * signal it showed, both under one lock that every taker in libvmosal
 * holds, so that no other taker can take that signal in between and
 * leave sigwait blocking. os_code is 0. Built everywhere, for the tests.
 * A thread outside libvmosal that takes these signals itself (its own
 * sigwait), or unblocks them, can still take one in between: the
 * application blocks the signals it waits for in every thread. */
int posix_take_pending_locked(const sigset_t *set, struct vmosal_siginfo *out);
/* The kick signals to try, best first, into out[0..cap); returns the
 * count. With realtime signals (realtime true): SIGRTMIN..SIGRTMAX.
 * Without (Darwin): SIGUSR2, then SIGUSR1; the one taken is then refused
 * to vmosal_signal_add_handler (VMOSAL_EBUSY). */
size_t posix_kick_candidates(bool realtime, int *out, size_t cap);
/* Installs the kick handler, without SA_RESTART, on the first of
 * cands[0..n) that nothing in the process handles. */
int posix_kick_setup_from(const int *cands, size_t n, int *os_signal);
/* The signal posix_kick_setup chose; 0 before. */
int posix_kick_os_signal(void);
/* Waits up to timeout_ns (negative: no limit) for fd to become readable:
 * 0, VMOSAL_ETIMEDOUT, or VMOSAL_EINTR when a signal's handler ran or,
 * without waiting, while *kick_pending is not 0 (NULL: no flag). The flag
 * is read with the kick signal blocked, and the signal unblocked only in
 * the wait (ppoll's mask; pselect's on Darwin), so that a kick landing in
 * between still ends it. Resolution: nanoseconds (ppoll), plus the
 * thread's timer slack; Darwin: microseconds (pselect). */
int posix_kick_wait_fd(int fd, int64_t timeout_ns, const uint32_t *kick_pending);

/* ---- handles, clocks, devices, events (posix_io.c) ---- */

/* A wait's timeout as poll(2) takes it: -1 for none (timeout_ns < 0),
 * whole milliseconds rounded up (a wait never ends early), INT32_MAX at
 * most. */
int posix_timeout_ms(int64_t timeout_ns);
/* An event for hosts without eventfd (Darwin): a FIFO made in dir (a
 * directory this user may write), opened O_RDWR | O_NONBLOCK | O_CLOEXEC
 * and unlinked: the one descriptor is signalled and waited on, in any
 * process holding it (fork, SCM_RIGHTS). posix_event_notify, _wait and
 * _wait_kick take it; the backend's event_create picks dir. */
int posix_event_create_in(const char *dir, vmosal_handle_t *out);
/* The same with event_create's flags: VMOSAL_EVENT_SEMAPHORE marks the
 * open file O_APPEND (which a FIFO ignores), so that every process holding
 * it takes one byte per read or wait. */
int posix_event_create_at(const char *dir, unsigned flags, vmosal_handle_t *out);

/* ---- channels (posix_channel.c) ---- */

/* How a channel keeps its messages apart: the kernel does (an AF_UNIX
 * SOCK_SEQPACKET socket: Linux), or a header before each message on a
 * SOCK_STREAM socket (Darwin, whose AF_UNIX has no SOCK_SEQPACKET). Set
 * once by the backend's init, before any channel exists; both are built
 * everywhere, and Linux's tests run each. */
enum posix_channel_mode { POSIX_CHANNEL_SEQPACKET, POSIX_CHANNEL_STREAM };
extern enum posix_channel_mode posix_channel_mode;
/* Drops what posix_channel.c keeps for fd: a listener's socket file is
 * removed, a STREAM channel's state freed. handle_close calls it before
 * closing fd; for a descriptor with nothing kept it costs one load. */
void posix_channel_forget(int fd);

/* ---- the slots defined here ----
 * thread_create, thread_join (posix_thread.c): pthread_create and
 *   pthread_join; the handle is a heap-allocated pthread_t.
 * mem_unmap, mem_reserve, mem_release, mem_protect, mem_lock, mem_unlock,
 *   mem_sync, jit_unmap, jit_write_begin, jit_write_end (posix_mem.c).
 *   Reservations are PROT_NONE, MAP_NORESERVE anonymous memory, aligned
 *   by over-reserving and trimming (every trim checked), and recorded
 *   (posix_mem.c states what the record keeps); mem_unmap is munmap,
 *   except that a range touching a reservation must be exactly one piece
 *   mapped into it, which is reserved again; jit_unmap takes one view when
 *   rw == rx (Apple's MAP_JIT); jit_write_begin and _end serve two views,
 *   which only need checking (rw is always writable): no system call.
 * signal_install, signal_restore, signal_chain, signal_mask, signal_wait,
 *   signal_ignore, fault_guard, kick_setup (posix_signal.c): kick_setup is
 *   posix_kick_setup_from on this system's candidates; while signal_ignore
 *   keeps a signal at SIG_IGN, signal_install and signal_restore change
 *   the disposition kept beneath it, which comes back when it is taken
 *   back.
 * handle_close, handle_dup, handle_set_inheritable, clock_ns, sleep_ns,
 *   device_open, device_ioctl, process_id (posix_io.c): device_ioctl is
 *   ioctl(2) through libc, retried on EINTR unless flags has
 *   VMOSAL_IOCTL_NO_RESTART, ENOTTY being VMOSAL_ENOTSUP.
 * event_notify, event_wait, event_wait_kick, event_read (posix_io.c), on an
 *   event of posix_event_create_in: notify writes a byte (full: signalled
 *   already, 0), one write(2), signal-safe; a wait drains it if signalled
 *   (a semaphore: one byte), else waits for it to become readable
 *   (posix_kick_wait_fd) and tries again; a read drains it the same way
 *   without waiting, the count being the bytes it took.
 *   VMOSAL_EBADF for anything but a FIFO open for reading and writing;
 *   VMOSAL_EINVAL for a wait on a blocking one.
 * channel_pair, channel_listen, channel_accept, channel_connect,
 *   channel_send, channel_recv, channel_peer_pid (posix_channel.c): AF_UNIX
 *   sockets, close-on-exec and non-blocking, handles as SCM_RIGHTS, framed
 *   as posix_channel_mode says. A send waits (poll) while the channel is
 *   full; accept and recv try first and wait with posix_kick_wait_fd.
 *   peer_pid: SO_PEERCRED, else LOCAL_PEERPID, else VMOSAL_ENOTSUP. */

#endif
