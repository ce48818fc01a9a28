/* Darwin events (a FIFO, posix_io.c's) and clocks; device files and
 * the one close for every handle are posix_io.c's. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "darwin.h"

/* ---- events ----
 * A FIFO open for reading and writing (posix_io.c), not a kqueue user
 * event: a kqueue is not inherited by fork and cannot be sent over
 * SCM_RIGHTS, and the device half passes events to other processes. A
 * SEMAPHORE event is one opened O_APPEND: XNU keeps FAPPEND in the open
 * file's flags (fcntl F_GETFL shows it) and a FIFO's write ignores it. */

int darwin_event_create(unsigned flags, vmosal_handle_t *out)
{
	char dir[1024];
	size_t n;

	if ((flags & ~VMOSAL_EVENT_SEMAPHORE) != 0)
		return VMOSAL_ENOTSUP;
	/* The per-user temporary directory (confstr(3)): writable inside
	 * the App Sandbox too, unlike /tmp. */
	n = confstr(_CS_DARWIN_USER_TEMP_DIR, dir, sizeof dir);
	if (n == 0 || n > sizeof dir)
		snprintf(dir, sizeof dir, "/tmp");
	else
		while (n > 2 && dir[n - 2] == '/')
			dir[--n - 1] = '\0';
	return posix_event_create_at(dir, flags, out);
}

/* ---- clocks ---- */

/* Darwin's CLOCK_MONOTONIC counts time asleep; CLOCK_UPTIME_RAW
 * (mach_absolute_time) is the one that stops. Sized by what this backend
 * knows: a clock added later is ENOTSUP. */
static const clockid_t darwin_clocks[] = {
	[VMOSAL_CLOCK_MONOTONIC] = CLOCK_UPTIME_RAW,
	[VMOSAL_CLOCK_MONOTONIC_RAW] = CLOCK_UPTIME_RAW,
	[VMOSAL_CLOCK_REALTIME] = CLOCK_REALTIME,
	[VMOSAL_CLOCK_THREAD_CPU] = CLOCK_THREAD_CPUTIME_ID,
	[VMOSAL_CLOCK_BOOTTIME] = CLOCK_MONOTONIC_RAW,
};

int darwin_clock_ns(int clock, uint64_t *out)
{
	uint64_t ns;

	if (clock < 0 || (size_t)clock >= sizeof darwin_clocks / sizeof darwin_clocks[0])
		return VMOSAL_ENOTSUP;
	/* 0 with errno set is its only error answer. */
	errno = 0;
	ns = clock_gettime_nsec_np(darwin_clocks[clock]);
	if (ns == 0 && errno != 0)
		return posix_last_error();
	*out = ns;
	return 0;
}
