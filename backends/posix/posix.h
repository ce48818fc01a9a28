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

/* The core's services, saved by the backend's init(). */
extern const struct vmosal_core_services *posix_core;

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

/* The stack size pthread_attr_setstacksize takes for a request of size
 * bytes (size > 0): at least min, rounded up to whole pages (Darwin
 * refuses any other size), or size itself where rounding would wrap. */
size_t posix_stack_size(size_t size, size_t min, size_t page);

/* pthread_create / pthread_join behind the thread_create / thread_join
 * slots; the handle is a heap-allocated pthread_t. */
int posix_thread_create(void *(*start)(void *), void *arg, size_t stack_size,
			void **handle);
int posix_thread_join(void *handle, void **result);

/* ---- memory (posix_mem.c) ---- */

/* False for prot bits this backend does not know (VMOSAL_ENOTSUP). */
bool posix_known_prot(unsigned prot);
/* VMOSAL_PROT_* to PROT_*. */
int posix_prot(unsigned prot);

/* mmap for the portable flags (SHARED, PRIVATE, ANONYMOUS, FIXED,
 * FIXED_NOREPLACE); any other VMOSAL_MAP_* bit left in flags is ENOTSUP, so
 * a backend translates its own and passes them as native_flags. Checks a
 * file's access mode first. FIXED_NOREPLACE is verified after the call, so
 * it also holds where the OS treats the address as a hint. */
int posix_mem_map(void *addr, size_t size, unsigned prot, unsigned flags, vmosal_handle_t fd,
		  int64_t offset, int native_flags, void **out);
/* The mem_unmap slot: munmap, except that a range touching a reservation
 * must be exactly one piece mapped into it, which is reserved again. */
int posix_mem_unmap(void *addr, size_t size);
/* Unmaps a whole mapping the backend made itself, on a cleanup path where
 * the caller already has an error to return; a failure is reported
 * through VMOSAL_DEBUG=memory. */
void posix_unmap_own(void *addr, size_t size);
/* Reservations: PROT_NONE, MAP_NORESERVE anonymous memory, aligned by
 * over-reserving and trimming (every trim checked), and recorded (see
 * posix_mem.c for the contract the record keeps); mapping into one is a
 * MAP_FIXED mapping over reserved pages; release is munmap of the whole. */
int posix_mem_reserve(size_t size, size_t alignment, size_t align_offset, void **out);
int posix_mem_release(void *addr, size_t size);
/* How many reservations the record holds (for tests). */
size_t posix_mem_reservations(void);
/* A flag only posix_mem_map_reserved passes to a backend's mem_map (which
 * hands it on to posix_mem_map): this FIXED mapping goes into a recorded
 * reservation. The core never passes it: it is no VMOSAL_MAP_* bit. */
#define POSIX_MAP_INTO_RESERVATION 0x01000000u
/* Puts [addr, addr + size) back to reserved after a MAP_FIXED mapping into
 * it failed: the kernel may already have dropped the old pages. */
int posix_mem_rereserve(void *addr, size_t size);
/* A backend's mem_map, as posix_mem_map_reserved calls it. */
typedef int (*posix_map_fn)(void *addr, size_t size, unsigned prot, unsigned flags,
			    vmosal_handle_t fd, int64_t offset, void **out);
/* The mem_map_reserved slot on top of a backend's mem_map: a FIXED mapping
 * into the reservation, which is reserved again if that fails. */
int posix_mem_map_reserved(posix_map_fn map, void *addr, size_t size, unsigned prot,
			   unsigned flags, vmosal_handle_t fd, int64_t offset);
int posix_mem_protect(void *addr, size_t size, unsigned prot);
int posix_mem_lock(void *addr, size_t size);
int posix_mem_unlock(void *addr, size_t size);
int posix_mem_sync(void *addr, size_t size, unsigned flags);

/* Unmaps both views of a W^X code buffer; one view when rw == rx (a
 * buffer whose writability is a per-thread switch, as Apple's MAP_JIT). */
int posix_jit_unmap(void *rw, void *rx, size_t size);
/* jit_write_begin and jit_write_end where a buffer has two views: rw is
 * always writable, so only the views are checked (two distinct,
 * page-aligned views of whole pages, else VMOSAL_EINVAL). No system call. */
int posix_jit_write_views(void *rw, void *rx, size_t size);

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
int posix_signal_install(int sig);
int posix_signal_restore(int sig);
void posix_signal_chain(const struct vmosal_siginfo *info, void *os_context);
int posix_signal_mask(bool block, const int *sigs, size_t n);
int posix_signal_wait(const int *sigs, size_t n, int64_t timeout_ns,
		      struct vmosal_siginfo *out);
/* Fills *out from a siginfo_t the OS delivered. */
void posix_siginfo_of(const siginfo_t *si, struct vmosal_siginfo *out);
int posix_fault_guard(int (*fn)(void *), void *arg, struct vmosal_siginfo *fault,
		      int *fn_result);
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
/* posix_kick_setup_from on this system's candidates. */
int posix_kick_setup(int *os_signal);
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

/* ---- events of one FIFO descriptor, for hosts without eventfd
 * (posix_io.c) ---- */

/* A FIFO made in dir (a directory this user may write), opened O_RDWR |
 * O_NONBLOCK | O_CLOEXEC and unlinked: the one descriptor is signalled and
 * waited on, in any process holding it (fork, SCM_RIGHTS). */
int posix_fifo_event_create(const char *dir, vmosal_handle_t *out);
/* Writes a byte (full: signalled already, 0). VMOSAL_EBADF for anything
 * but a FIFO open for reading and writing. One write(2): signal-safe. */
int posix_fifo_event_notify(vmosal_handle_t h);
/* event_wait and event_wait_kick: drains it if signalled, else waits for
 * it to become readable (posix_kick_wait_fd) and tries again. VMOSAL_EBADF
 * as for signal; VMOSAL_EINVAL for a blocking one. */
int posix_fifo_event_wait(vmosal_handle_t h, int64_t timeout_ns);
int posix_fifo_event_wait_kick(vmosal_handle_t h, int64_t timeout_ns,
			       const uint32_t *kick_pending);

/* ---- handles, clocks, devices (posix_io.c) ---- */

int posix_handle_close(vmosal_handle_t h);
int posix_clock_ns(int clock, uint64_t *out);
int posix_sleep_ns(uint64_t ns);
int posix_device_open(const char *path, unsigned flags, vmosal_handle_t *out);
/* ioctl(2) through libc, retried on EINTR unless flags has
 * VMOSAL_IOCTL_NO_RESTART; ENOTTY is VMOSAL_ENOTSUP. */
int posix_device_ioctl(vmosal_handle_t h, unsigned long request, void *arg, unsigned flags,
		       int *result);
/* A wait's timeout as poll(2) takes it: -1 for none (timeout_ns < 0),
 * whole milliseconds rounded up (a wait never ends early), INT32_MAX at
 * most. */
int posix_timeout_ms(int64_t timeout_ns);
int posix_process_id(uint64_t *out);

#endif
