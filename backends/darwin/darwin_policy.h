/* The Darwin backend's decisions that need no Darwin header: tables and
 * arithmetic, compiled on every host so that tests/check_darwin_policy.c
 * runs them where the backend itself cannot be built. */
#ifndef VMOSAL_BACKEND_DARWIN_POLICY_H
#define VMOSAL_BACKEND_DARWIN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmosal/backend.h"

/* The values of <sys/qos.h>'s qos_class_t; darwin_thread.c checks them
 * against the SDK's at compile time. */
#define DARWIN_QOS_USER_INTERACTIVE 0x21u
#define DARWIN_QOS_USER_INITIATED 0x19u
#define DARWIN_QOS_DEFAULT 0x15u
#define DARWIN_QOS_UTILITY 0x11u
#define DARWIN_QOS_BACKGROUND 0x09u
#define DARWIN_QOS_UNSPECIFIED 0x00u

/* The QoS class of LOW, NORMAL or HIGH (enum vmosal_priority) into *qos;
 * VMOSAL_ENOTSUP for REALTIME (a Mach policy, not a class) and any value
 * this backend does not know. */
int darwin_qos_of_priority(int prio, unsigned *qos);

/* The level a QoS class reads back as: a class set from outside (by
 * Grand Central Dispatch, say) lands on the nearest level. */
int darwin_priority_of_qos(unsigned qos);

/* THREAD_TIME_CONSTRAINT_POLICY in Mach absolute time units. */
struct darwin_time_constraint {
	uint32_t period;
	uint32_t computation;
	uint32_t constraint;
	bool preemptible;
};

/* Nanoseconds to Mach absolute time units for a mach_timebase_info of
 * numer / denom (ns = units * numer / denom; Intel 1/1, Apple silicon
 * 125/3), rounded down, UINT32_MAX at most. numer and denom are not 0. */
uint32_t darwin_abs_of_ns(uint64_t ns, uint32_t numer, uint32_t denom);

/* The REALTIME level: a 10 ms period of which up to 5 ms is computation,
 * to be done within the period; preemptible. XNU refuses a computation
 * outside 50 us..50 ms or above the constraint, and demotes a thread that
 * runs longer than its computation without blocking. */
void darwin_realtime_policy(uint32_t numer, uint32_t denom, struct darwin_time_constraint *out);

/* __ulock_wait's timeout, in microseconds, for timeout_ns > 0: rounded up
 * (a wait never ends early), and 0 is "no limit" there, so the result is
 * never 0. True when the timeout did not fit and was cut to UINT32_MAX:
 * the wait then ends early, as a spurious wake-up. */
bool darwin_ulock_timeout_us(int64_t timeout_ns, uint32_t *us);

/* The affinity tag (THREAD_AFFINITY_POLICY) for a CPU set: one more than
 * its lowest CPU, so that threads bound alike share a tag (and a cache)
 * and threads bound apart get different ones. Never 0, which is
 * THREAD_AFFINITY_TAG_NULL. ncpus > 0. */
int darwin_affinity_tag(const size_t *cpus, size_t ncpus);

/* Memory the OS can hand out without paging, from host_statistics64's
 * page counts: free (speculative included) plus inactive, saturated. */
uint64_t darwin_available_bytes(uint64_t free_pages, uint64_t inactive_pages,
				uint64_t page_size);

/* Whether the process holds the entitlement Hypervisor.framework asks
 * for (com.apple.security.hypervisor; before macOS 11,
 * com.apple.vm.hypervisor): without it hv_vm_create fails. */
enum darwin_entitlement {
	DARWIN_ENTITLED,
	DARWIN_NOT_ENTITLED,
	DARWIN_ENTITLEMENT_UNKNOWN, /* the entitlements could not be read */
};

/* Fills *out for Hypervisor.framework from reading sysctl kern.hv_support
 * (rc and errnum are sysctlbyname's result and errno, value what it read)
 * and the process's entitlement. Only the OPENED and CAPS checks can
 * pass: creating a VM to prove more would take the process's one VM from
 * the application. Available (error 0) only with the entitlement, since
 * platform.h promises that a VM can then be run: without it
 * VMOSAL_EPERM, and VMOSAL_EIO when it could not be read, CAPS passed
 * either way. */
void darwin_hvf_verdict(int rc, int errnum, int value, enum darwin_entitlement entitled,
			struct vmosal_backend_accel *out);

/* Copies a string sysctl returned (len bytes, a NUL among them or not)
 * into out, NUL-terminated, without a trailing newline. */
void darwin_sysctl_string(const char *buf, size_t len, char *out, size_t outlen);

#endif
