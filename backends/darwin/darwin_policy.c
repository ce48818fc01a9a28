/* The Darwin backend's pure decisions (darwin_policy.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmosal/platform.h"
#include "vmosal/thread.h"
#include "darwin_policy.h"

int darwin_qos_of_priority(int prio, unsigned *qos)
{
	switch (prio) {
	case VMOSAL_PRIORITY_LOW:
		*qos = DARWIN_QOS_UTILITY;
		return 0;
	case VMOSAL_PRIORITY_NORMAL:
		*qos = DARWIN_QOS_DEFAULT;
		return 0;
	case VMOSAL_PRIORITY_HIGH:
		*qos = DARWIN_QOS_USER_INTERACTIVE;
		return 0;
	}
	return VMOSAL_ENOTSUP;
}

int darwin_priority_of_qos(unsigned qos)
{
	if (qos >= DARWIN_QOS_USER_INITIATED)
		return VMOSAL_PRIORITY_HIGH;
	/* UNSPECIFIED: a thread nobody gave a class runs as DEFAULT. */
	if (qos >= DARWIN_QOS_DEFAULT || qos == DARWIN_QOS_UNSPECIFIED)
		return VMOSAL_PRIORITY_NORMAL;
	return VMOSAL_PRIORITY_LOW;
}

uint32_t darwin_abs_of_ns(uint64_t ns, uint32_t numer, uint32_t denom)
{
	/* Split so that ns * denom cannot overflow for any uint32_t denom. */
	uint64_t whole = ns / numer, rest = ns % numer;
	uint64_t units;

	if (whole > UINT64_MAX / denom)
		return UINT32_MAX;
	units = whole * denom + rest * denom / numer;
	return units > UINT32_MAX ? UINT32_MAX : (uint32_t)units;
}

void darwin_realtime_policy(uint32_t numer, uint32_t denom, struct darwin_time_constraint *out)
{
	out->period = darwin_abs_of_ns(10000000u, numer, denom);
	out->computation = darwin_abs_of_ns(5000000u, numer, denom);
	out->constraint = darwin_abs_of_ns(10000000u, numer, denom);
	out->preemptible = true;
}

bool darwin_ulock_timeout_us(int64_t timeout_ns, uint32_t *us)
{
	uint64_t v = ((uint64_t)timeout_ns + 999u) / 1000u;

	if (timeout_ns <= 0) {
		*us = 1;
		return false;
	}
	if (v > UINT32_MAX) {
		*us = UINT32_MAX;
		return true;
	}
	*us = (uint32_t)v;
	return false;
}

int darwin_affinity_tag(const size_t *cpus, size_t ncpus)
{
	size_t lowest = cpus[0];

	for (size_t i = 1; i < ncpus; i++)
		if (cpus[i] < lowest)
			lowest = cpus[i];
	/* integer_t is 32 bits; no Mac has this many CPUs. */
	return lowest >= INT32_MAX - 1 ? INT32_MAX : (int)lowest + 1;
}

uint64_t darwin_available_bytes(uint64_t free_pages, uint64_t inactive_pages,
				uint64_t page_size)
{
	uint64_t pages = free_pages + inactive_pages;

	if (pages < free_pages)
		return UINT64_MAX;
	if (page_size != 0 && pages > UINT64_MAX / page_size)
		return UINT64_MAX;
	return pages * page_size;
}

void darwin_hvf_verdict(int rc, int errnum, int value, enum darwin_entitlement entitled,
			struct vmosal_backend_accel *out)
{
	out->reason[0] = '\0';
	if (rc != 0) {
		/* The sysctl came with Hypervisor.framework, in OS X 10.10. */
		out->error = errnum == ENOENT ? VMOSAL_ENOENT : VMOSAL_EIO;
		snprintf(out->reason, sizeof out->reason, "%s",
			 errnum == ENOENT
				 ? "no kern.hv_support: this OS has no Hypervisor.framework"
				   " (OS X 10.10 or later)"
				 : "kern.hv_support could not be read");
		return;
	}
	out->checks |= VMOSAL_ACCEL_CHECK_OPENED;
	if (value == 0) {
		out->error = VMOSAL_ENOTSUP;
		snprintf(out->reason, sizeof out->reason,
			 "kern.hv_support is 0: the CPU lacks VT-x with EPT, or this macOS runs"
			 " in a VM without nested virtualization");
		return;
	}
	out->checks |= VMOSAL_ACCEL_CHECK_CAPS;
	switch (entitled) {
	case DARWIN_ENTITLED:
		out->error = 0;
		return;
	case DARWIN_NOT_ENTITLED:
		out->error = VMOSAL_EPERM;
		snprintf(out->reason, sizeof out->reason,
			 "the process lacks the com.apple.security.hypervisor entitlement:"
			 " sign it with one (codesign --entitlements)");
		return;
	case DARWIN_ENTITLEMENT_UNKNOWN:
		break;
	}
	out->error = VMOSAL_EIO;
	snprintf(out->reason, sizeof out->reason,
		 "the process's entitlements could not be read (Security.framework), so"
		 " whether it may create a VM is unknown");
}

void darwin_sysctl_string(const char *buf, size_t len, char *out, size_t outlen)
{
	size_t n = 0;

	if (outlen == 0)
		return;
	while (n < len && n < outlen - 1 && buf[n] != '\0')
		n++;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	memcpy(out, buf, n);
	out[n] = '\0';
}
