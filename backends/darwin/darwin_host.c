/* Darwin host facts: sysctl for the OS and CPUs, host_statistics64 for
 * memory, kern.hv_support for Hypervisor.framework. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysctl.h>
#include <sys/types.h>
#include <unistd.h>
#include <mach/mach.h>
#include <TargetConditionals.h>

#include "darwin.h"
#include "../common/accel.h"

/* A numeric sysctl of either width; false when absent. */
static bool darwin_sysctl_u64(const char *name, uint64_t *out)
{
	union {
		uint32_t u32;
		uint64_t u64;
	} v;
	size_t len = sizeof v;

	memset(&v, 0, sizeof v);
	if (sysctlbyname(name, &v, &len, NULL, 0) != 0)
		return false;
	if (len == sizeof v.u32)
		*out = v.u32;
	else if (len == sizeof v.u64)
		*out = v.u64;
	else
		return false;
	return true;
}

uint64_t darwin_cpus_possible(void)
{
	uint64_t n;

	if (darwin_sysctl_u64("hw.logicalcpu_max", &n) && n > 0)
		return n;
	if (darwin_sysctl_u64("hw.ncpu", &n) && n > 0)
		return n;
	return 1;
}

static const char *darwin_flavour(void)
{
#if TARGET_OS_IPHONE
	return "ios";
#else
	return "macos";
#endif
}

int darwin_host_info(struct vmosal_backend_host *out)
{
	char release[sizeof out->os_release];
	size_t len = sizeof release;
	uint64_t page, online;

	if (!darwin_sysctl_u64("hw.pagesize", &page) || page == 0)
		return posix_last_error();
	snprintf(out->os, sizeof out->os, "%s", darwin_flavour());
	if (sysctlbyname("kern.osrelease", release, &len, NULL, 0) == 0)
		darwin_sysctl_string(release, len, out->os_release, sizeof out->os_release);
	else
		snprintf(out->os_release, sizeof out->os_release, "unknown");
	snprintf(out->libc, sizeof out->libc, "libSystem");
	out->page_size = page;
	out->cpus_possible = darwin_cpus_possible();
	/* hw.logicalcpu: the CPUs running now; hw.ncpu counts those too. */
	if (!darwin_sysctl_u64("hw.logicalcpu", &online) || online == 0)
		online = out->cpus_possible;
	out->cpus_online = online;
	/* No affinity masks here: every online CPU is usable. */
	out->cpus_usable = online;
	return 0;
}

int darwin_host_memory(struct vmosal_backend_host_memory *out)
{
	mach_msg_type_number_t count = HOST_VM_INFO64_COUNT;
	vm_statistics64_data_t vm;
	mach_port_t host = mach_host_self();
	vm_size_t page = 0;
	kern_return_t kr;
	uint64_t total;

	if (!darwin_sysctl_u64("hw.memsize", &total))
		return posix_last_error();
	kr = host_page_size(host, &page);
	if (kr == KERN_SUCCESS)
		kr = host_statistics64(host, HOST_VM_INFO64, (host_info64_t)&vm, &count);
	/* mach_host_self() hands out a send right each call. */
	mach_port_deallocate(mach_task_self(), host);
	if (kr != KERN_SUCCESS)
		return VMOSAL_EIO;
	out->total_bytes = total;
	out->available_bytes = darwin_available_bytes(vm.free_count, vm.inactive_count, page);
	return 0;
}

/* CoreFoundation and Security, reached through dlopen so that the plugin
 * links nothing beyond libSystem (both are always on macOS). The types
 * are opaque pointers there too. */
typedef const void *darwin_cf_ref;
typedef darwin_cf_ref (*darwin_cfstring_fn)(const void *alloc, const char *s, uint32_t enc);
typedef void (*darwin_cfrelease_fn)(darwin_cf_ref ref);
typedef darwin_cf_ref (*darwin_task_self_fn)(const void *alloc);
typedef darwin_cf_ref (*darwin_task_value_fn)(darwin_cf_ref task, darwin_cf_ref key, void *error);

#define DARWIN_CF_UTF8 0x08000100u /* kCFStringEncodingUTF8 */

/* SecTaskCopyValueForEntitlement (Security/SecTask.h, macOS 10.7) on the
 * process itself, for key and, before macOS 11, the older key: true only
 * for the boolean true, as codesign writes it. Reads the signature, no VM
 * is made: the application's one VM stays its own. */
static enum darwin_entitlement darwin_hvf_entitled(void)
{
	static const char *const keys[] = {"com.apple.security.hypervisor",
					   "com.apple.vm.hypervisor"};
	void *cf = dlopen("/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation",
			  RTLD_LAZY | RTLD_LOCAL);
	void *sec = dlopen("/System/Library/Frameworks/Security.framework/Security",
			   RTLD_LAZY | RTLD_LOCAL);
	enum darwin_entitlement verdict = DARWIN_ENTITLEMENT_UNKNOWN;
	darwin_cfstring_fn make_string = NULL;
	darwin_cfrelease_fn release = NULL;
	darwin_task_self_fn task_self = NULL;
	darwin_task_value_fn task_value = NULL;
	const darwin_cf_ref *cf_true = NULL;
	darwin_cf_ref task;

	if (cf != NULL && sec != NULL) {
		*(void **)&make_string = dlsym(cf, "CFStringCreateWithCString");
		*(void **)&release = dlsym(cf, "CFRelease");
		cf_true = dlsym(cf, "kCFBooleanTrue");
		*(void **)&task_self = dlsym(sec, "SecTaskCreateFromSelf");
		*(void **)&task_value = dlsym(sec, "SecTaskCopyValueForEntitlement");
	}
	if (make_string == NULL || release == NULL || cf_true == NULL || task_self == NULL ||
	    task_value == NULL || (task = task_self(NULL)) == NULL)
		goto out;
	verdict = DARWIN_NOT_ENTITLED;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0] && verdict != DARWIN_ENTITLED; i++) {
		darwin_cf_ref key = make_string(NULL, keys[i], DARWIN_CF_UTF8), value;

		if (key == NULL) {
			verdict = DARWIN_ENTITLEMENT_UNKNOWN;
			break;
		}
		value = task_value(task, key, NULL);
		if (value != NULL) {
			/* CFBoolean singletons: identity is equality. */
			if (value == *cf_true)
				verdict = DARWIN_ENTITLED;
			release(value);
		}
		release(key);
	}
	release(task);
out:
	/* Both frameworks are loaded by then in any process that links
	 * Hypervisor.framework: closing drops only this reference. */
	if (sec != NULL)
		dlclose(sec);
	if (cf != NULL)
		dlclose(cf);
	return verdict;
}

static void darwin_probe_hvf(struct vmosal_backend_accel *out)
{
	int value = 0;
	size_t len = sizeof value;
	int rc = sysctlbyname("kern.hv_support", &value, &len, NULL, 0);
	int errnum = rc != 0 ? errno : 0;

	darwin_hvf_verdict(rc, errnum, value,
			   rc == 0 && value != 0 ? darwin_hvf_entitled() : DARWIN_NOT_ENTITLED,
			   out);
}

int darwin_accel_probe(int which, struct vmosal_backend_accel *out)
{
	if (which != VMOSAL_ACCEL_HVF)
		return accel_refuse_foreign(which, out);
	darwin_probe_hvf(out);
	return 0;
}
