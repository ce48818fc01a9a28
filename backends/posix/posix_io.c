/* POSIX clocks, device files and handles, shared by the POSIX backends. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "posix.h"

int posix_handle_close(vmosal_handle_t h)
{
	/* Linux and macOS release the descriptor even on EINTR: never retry. */
	if (close(h) != 0 && errno != EINTR)
		return posix_last_error();
	return 0;
}

/* Sized by what this backend knows: a clock added later is ENOTSUP. */
static const clockid_t posix_clocks[] = {
	[VMOSAL_CLOCK_MONOTONIC] = CLOCK_MONOTONIC,
#ifdef CLOCK_MONOTONIC_RAW
	[VMOSAL_CLOCK_MONOTONIC_RAW] = CLOCK_MONOTONIC_RAW,
#else
	[VMOSAL_CLOCK_MONOTONIC_RAW] = CLOCK_MONOTONIC,
#endif
	[VMOSAL_CLOCK_REALTIME] = CLOCK_REALTIME,
	[VMOSAL_CLOCK_THREAD_CPU] = CLOCK_THREAD_CPUTIME_ID,
#ifdef CLOCK_BOOTTIME
	[VMOSAL_CLOCK_BOOTTIME] = CLOCK_BOOTTIME,
#else
	[VMOSAL_CLOCK_BOOTTIME] = CLOCK_MONOTONIC,
#endif
};

int posix_clock_ns(int clock, uint64_t *out)
{
	struct timespec ts;

	if (clock < 0 || (size_t)clock >= sizeof posix_clocks / sizeof posix_clocks[0])
		return VMOSAL_ENOTSUP;
	if (clock_gettime(posix_clocks[clock], &ts) != 0)
		return posix_last_error();
	*out = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return 0;
}

int posix_sleep_ns(uint64_t ns)
{
	struct timespec left = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};

	/* nanosleep leaves what is left in `left` when a handler ran. */
	while (nanosleep(&left, &left) != 0)
		if (errno != EINTR)
			return posix_last_error();
	return 0;
}

int posix_device_open(const char *path, unsigned flags, vmosal_handle_t *out)
{
	int mode = (flags & VMOSAL_DEVICE_READ) && (flags & VMOSAL_DEVICE_WRITE) ? O_RDWR
		   : (flags & VMOSAL_DEVICE_WRITE)				     ? O_WRONLY
										     : O_RDONLY;
	int fd;

	if ((flags & ~(VMOSAL_DEVICE_READ | VMOSAL_DEVICE_WRITE)) != 0)
		return VMOSAL_ENOTSUP;
	do
		fd = open(path, mode | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return posix_last_error();
	*out = fd;
	return 0;
}

int posix_device_ioctl(vmosal_handle_t h, unsigned long request, void *arg, unsigned flags,
		       int *result)
{
	int r;

	if ((flags & ~VMOSAL_IOCTL_NO_RESTART) != 0)
		return VMOSAL_ENOTSUP;
	do
		r = ioctl(h, request, arg);
	while (r < 0 && errno == EINTR && !(flags & VMOSAL_IOCTL_NO_RESTART));
	if (r < 0)
		return errno == ENOTTY ? VMOSAL_ENOTSUP : posix_last_error();
	*result = r;
	return 0;
}

int posix_timeout_ms(int64_t timeout_ns)
{
	if (timeout_ns < 0)
		return -1;
	if (timeout_ns / 1000000 >= INT32_MAX)
		return INT32_MAX;
	return (int)((timeout_ns + 999999) / 1000000);
}

int posix_process_id(uint64_t *out)
{
	*out = (uint64_t)getpid();
	return 0;
}
