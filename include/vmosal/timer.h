/* libvmosal: timers.
 *
 * A timer is a handle that becomes readable when it expires, so that it
 * waits in a wait set (waitset.h) beside events and channels. Linux: a
 * timerfd. macOS: a kqueue holding one EVFILT_TIMER (a kqueue is itself
 * readable while an event is pending in it). Windows: a waitable timer,
 * high-resolution (CREATE_WAITABLE_TIMER_HIGH_RESOLUTION, Windows 10 1803
 * on) where present, manual-reset; its periods are kept by libvmosal,
 * which re-arms it at each read. Close it with vmosal_handle_close; like
 * every handle, it is not inherited by child processes. */
#ifndef VMOSAL_TIMER_H
#define VMOSAL_TIMER_H

#include "common.h"
#include "event.h"

VMOSAL_BEGIN_DECLS

/* vmosal_timer_create's flags. ABSOLUTE: vmosal_timer_arm's first_ns is a
 * time on the timer's clock (MONOTONIC: as vmosal_clock_ns reads it), not
 * a delay. Chosen once, at creation, so that arm keeps three arguments. */
#define VMOSAL_TIMER_ABSOLUTE 0x1u

/* Creates a disarmed timer on clock: VMOSAL_CLOCK_MONOTONIC, _REALTIME or
 * _BOOTTIME (VMOSAL_EINVAL for the others, which no OS times on). REALTIME
 * with ABSOLUTE follows changes to the wall clock where the OS does (Linux,
 * Windows). BOOTTIME counts time suspended (Linux CLOCK_BOOTTIME; macOS,
 * Windows: the monotonic clock, which does not; VMOSAL_ENOTSUP there). */
VMOSAL_API int vmosal_timer_create(enum vmosal_clock clock, unsigned flags,
				   vmosal_handle_t *out);

/* Arms the timer, replacing what it was armed for, and forgets the
 * expirations not yet read. It expires first after first_ns (or at it,
 * with ABSOLUTE; a time already past expires at once; a delay of 0 also),
 * then every period_ns after that first expiry; 0: only once. macOS: a
 * period other than a relative first_ns, or after an absolute one, runs
 * from the read that takes the first expiry (EVFILT_TIMER has one interval
 * for both), and expiries before that read count once. Both at most
 * INT64_MAX, nearly 300 years (VMOSAL_EOVERFLOW beyond: a period that
 * overflows the OS's time types is refused, not wrapped). Resolution: as
 * vmosal_event_wait's timeout. VMOSAL_EBADF when timer is not a timer. */
VMOSAL_API int vmosal_timer_arm(vmosal_handle_t timer, uint64_t first_ns, uint64_t period_ns);

/* Stops the timer and forgets the expirations not yet read. */
VMOSAL_API int vmosal_timer_disarm(vmosal_handle_t timer);

/* Stores in *expirations how often the timer expired since it was armed or
 * last read (a periodic timer that was not read for several periods
 * counts each), resets that count and the handle's readability, and
 * returns 0. Never blocks: VMOSAL_EAGAIN when it has not expired.
 * VMOSAL_EBADF when timer is not a timer. */
VMOSAL_API int vmosal_timer_read(vmosal_handle_t timer, uint64_t *expirations);

VMOSAL_END_DECLS

#endif
