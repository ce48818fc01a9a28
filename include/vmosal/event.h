/* libvmosal: event notifiers, and clocks.
 *
 * An event is one OS handle: an eventfd on Linux (what KVM's irqfd and
 * ioeventfd and a vhost-user backend take), a FIFO opened for reading and
 * writing on macOS (its name unlinked at once), an event object on
 * Windows. It is close-on-exec. The one handle is signalled and waited on
 * in any process that holds it: a child that inherited it across fork, or
 * a process it was sent to (SCM_RIGHTS, DuplicateHandle). No event is
 * process-local. */
#ifndef VMOSAL_EVENT_H
#define VMOSAL_EVENT_H

#include "common.h"

VMOSAL_BEGIN_DECLS

/* vmosal_event_create's flags. SEMAPHORE: each read or wait takes one
 * signal, not all of them (Linux EFD_SEMAPHORE; macOS, one byte of the
 * FIFO; Windows, a semaphore object). */
#define VMOSAL_EVENT_SEMAPHORE 0x1u

/* Creates an event, not signalled, and stores its handle in *out. flags:
 * 0 or VMOSAL_EVENT_SEMAPHORE (VMOSAL_EINVAL for others). */
VMOSAL_API int vmosal_event_create(unsigned flags, vmosal_handle_t *out);

/* Signals it: a waiter wakes, a poll on the handle sees it readable.
 * Safe to call from a signal handler (one write()/SetEvent()).
 * VMOSAL_EBADF when the handle is not an event (below). */
VMOSAL_API int vmosal_event_notify(vmosal_handle_t event);

/* Waits up to timeout_ns (0: just test; negative: no limit) for the event
 * to be signalled and resets it: however often it was signalled, one wait
 * takes them all. Goes on waiting after a signal handler ran. Returns
 * VMOSAL_EINTR when the calling thread is kicked during the wait, and at
 * once while its kick is pending, before looking at the event, until the
 * thread clears it with vmosal_thread_kick_pending(true, ...): a kick that
 * lands just before the wait is not lost (vmosal.h, "Kicks and blocking
 * waits"). VMOSAL_ETIMEDOUT when it was not signalled in time.
 *
 * Resolution of the timeout: Linux, nanoseconds (ppoll), plus the
 * thread's timer slack (50 us by default; prctl PR_SET_TIMERSLACK); macOS,
 * microseconds (pselect), subject to the kernel's timer coalescing;
 * Windows, a high-resolution waitable timer (Windows 10 1803 on), good to
 * about 0.5 ms; before 1803, whole milliseconds rounded up, and the wait
 * ends on a tick of the system clock, 15.6 ms by default, unless some
 * process raised the timer resolution (timeBeginPeriod). A wait never
 * ends early.
 *
 * What an event is, for both calls: Linux, an eventfd. One this library
 * made costs nothing to check; another (a vhost-user peer's) is checked
 * on each call (fstat and /proc/self/fd, a few microseconds), and must be
 * non-blocking for a wait (VMOSAL_EINVAL otherwise: its read could outlast
 * the timeout). Close an event with vmosal_handle_close, not close(): the
 * library forgets it there. macOS, a FIFO open for reading and writing,
 * non-blocking for a wait (VMOSAL_EINVAL otherwise), checked on each call
 * (fstat, fcntl). Anything else is VMOSAL_EBADF, with nothing read or
 * written. Windows: an event is a manual-reset event object (so that a
 * wait set can see it signalled without taking the signal), which a wait
 * or read resets with one test-and-clear (NtResetEvent): of two threads
 * that wait, one takes a signal. A process that waits on it without
 * libvmosal must reset it (ResetEvent). SetEvent and ReleaseSemaphore
 * refuse what is not an event; a wait on another waitable handle waits for
 * it. */
VMOSAL_API int vmosal_event_wait(vmosal_handle_t event, int64_t timeout_ns);

/* Takes the event's count without waiting: stores in *count how often it
 * was signalled since last read or waited for, resets it, and returns 0
 * (eventfd's read). A SEMAPHORE event gives 1 and takes 1. VMOSAL_EAGAIN
 * when it is not signalled. The count is exact on Linux (up to 2^64 - 2)
 * and for macOS FIFOs (up to the pipe's 64 KiB buffer, beyond which
 * signals merge); a Windows event object keeps no count, so a non-SEMAPHORE
 * event there reads 1 however often it was signalled (a semaphore counts up
 * to 2^31 - 1). VMOSAL_EBADF when the handle is not an event, as for
 * vmosal_event_notify; VMOSAL_EINVAL for a blocking one, as for
 * vmosal_event_wait (its read could block). */
VMOSAL_API int vmosal_event_read(vmosal_handle_t event, uint64_t *count);

/* ---- Clocks ---------------------------------------------------------------- */

enum vmosal_clock {
	VMOSAL_CLOCK_MONOTONIC,     /* never jumps; stops while suspended */
	VMOSAL_CLOCK_MONOTONIC_RAW, /* as MONOTONIC, without NTP's rate changes */
	VMOSAL_CLOCK_REALTIME,      /* wall clock: nanoseconds since 1970 UTC */
	VMOSAL_CLOCK_THREAD_CPU,    /* CPU time the calling thread has used */
	VMOSAL_CLOCK_BOOTTIME,      /* as MONOTONIC, counting time suspended */
	VMOSAL_CLOCK_COUNT          /* clocks this header knows */
};

/* Reads a clock in nanoseconds. Linux: clock_gettime, through the vDSO
 * (no system call) for all but THREAD_CPU; macOS: clock_gettime_nsec_np.
 * Windows: QueryPerformanceCounter (100 ns), GetSystemTimePreciseAsFileTime
 * and QueryInterruptTimePrecise; THREAD_CPU, on x86 with an invariant TSC,
 * QueryThreadCycleTime at the TSC's rate, measured once against the
 * performance counter (the process's first THREAD_CPU read takes about
 * 10 ms), counted exactly at every switch and to the nanosecond; elsewhere
 * (Windows on Arm, Wine) GetThreadTimes, which charges CPU time in whole
 * clock ticks (15.6 ms by default) to the thread running at the tick, so
 * a short stretch of work may read as none. Every clock is monotonic but
 * REALTIME. EINVAL: unknown clock or out NULL. */
VMOSAL_API int vmosal_clock_ns(enum vmosal_clock clock, uint64_t *out);

/* Sleeps for ns nanoseconds of the monotonic clock, going back to sleep
 * for the rest after a signal handler ran; never less. How much more:
 * Linux, the timer slack (50 us by default); macOS, the kernel's timer
 * coalescing; Windows, a high-resolution waitable timer from Windows 10
 * 1803 (about 0.5 ms), before that Sleep's whole ticks of the system
 * clock (15.6 ms by default). Not a wait for work: a kick does not end it
 * (vmosal.h). */
VMOSAL_API int vmosal_sleep_ns(uint64_t ns);

VMOSAL_END_DECLS

#endif
