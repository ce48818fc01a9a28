/* For the Windows backend's own suites (check_win_*), which call its
 * source files directly, without the core in front: the core's services
 * as such a suite wants them, the Windows side of tests/direct_backend.h
 * (which loads a plugin with dlopen, and has no Windows half). Set
 * win_core to a table made here before calling a slot. */
#ifndef VMOSAL_TEST_WIN_DIRECT_H
#define VMOSAL_TEST_WIN_DIRECT_H

#include <stdlib.h>

#include "vmosal/backend.h"

static const char *win_direct_getenv(const char *name)
{
	return getenv(name);
}

static bool win_direct_debug_enabled(const char *topic)
{
	(void)topic;
	return false;
}

static void win_direct_debug(const char *topic, const char *fmt, ...)
{
	(void)topic;
	(void)fmt;
}

/* The suites link no libvmosal: a message is only its code. */
static const char *win_direct_strerror(int code)
{
	(void)code;
	return "error";
}

/* A services table whose signal and kick entries are the suite's own
 * (NULL: none). */
static inline struct vmosal_core_services
win_direct_services(void (*signal_dispatch)(const struct vmosal_siginfo *, void *),
		    void (*kick_received)(void))
{
	struct vmosal_core_services s = {
		.abi_version = VMOSAL_BACKEND_ABI,
		.struct_size = sizeof s,
		.secure_getenv = win_direct_getenv,
		.debug_enabled = win_direct_debug_enabled,
		.debug = win_direct_debug,
		.strerror = win_direct_strerror,
		.signal_dispatch = signal_dispatch,
		.kick_received = kick_received,
	};

	return s;
}

#endif
