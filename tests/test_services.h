/* The core's services for suites that link backend code directly, with no
 * plugin and no core in front (check_posix_shared, check_win_signal): the
 * environment as it is, debug output off, and a count of what the backend
 * hands the core (signals per signal, kicks). A suite that needs more of a
 * dispatched signal sets test_services_on_dispatch. */
#ifndef VMOSAL_TEST_SERVICES_H
#define VMOSAL_TEST_SERVICES_H

#include <stdatomic.h>
#include <stdlib.h>

#include "vmosal.h"
#include "vmosal/backend.h"

static atomic_int test_services_dispatched[VMOSAL_SIGNAL_COUNT];
static atomic_int test_services_last_os_signal[VMOSAL_SIGNAL_COUNT];
static atomic_int test_services_kicks;
static void (*test_services_on_dispatch)(const struct vmosal_siginfo *info, void *os_context);

static const char *test_services_getenv(const char *name)
{
	return getenv(name);
}

static bool test_services_debug_enabled(const char *topic)
{
	(void)topic;
	return false;
}

static void test_services_debug(const char *topic, const char *fmt, ...)
{
	(void)topic;
	(void)fmt;
}

static void test_services_dispatch(const struct vmosal_siginfo *info, void *os_context)
{
	if (info->signal < VMOSAL_SIGNAL_COUNT) {
		atomic_store(&test_services_last_os_signal[info->signal], info->os_signal);
		atomic_fetch_add(&test_services_dispatched[info->signal], 1);
	}
	if (test_services_on_dispatch != NULL)
		test_services_on_dispatch(info, os_context);
}

static void test_services_kick_received(void)
{
	atomic_fetch_add(&test_services_kicks, 1);
}

static const struct vmosal_core_services test_services = {
	.abi_version = VMOSAL_BACKEND_ABI,
	.struct_size = sizeof test_services,
	.secure_getenv = test_services_getenv,
	.debug_enabled = test_services_debug_enabled,
	.debug = test_services_debug,
	.strerror = vmosal_strerror,
	.signal_dispatch = test_services_dispatch,
	.kick_received = test_services_kick_received,
};

/* Zeroes the counts, for a fixture's setup. */
static inline void test_services_reset(void)
{
	for (int i = 0; i < VMOSAL_SIGNAL_COUNT; i++) {
		atomic_store(&test_services_dispatched[i], 0);
		atomic_store(&test_services_last_os_signal[i], 0);
	}
	atomic_store(&test_services_kicks, 0);
	test_services_on_dispatch = NULL;
}

#endif
