/* Platform detection: cached host facts from the backend, and accelerator
 * probes. */
#include "config.h"

#include <string.h>

#include "internal.h"

const char *vmosal_host_os(void)
{
	const struct vmosal__state *s = vmosal__get();
	return s != NULL ? s->host.os : "unknown";
}

/* The one architecture test in the core: the library is built for one. */
const char *vmosal_host_arch(void)
{
#if defined(__x86_64__) || defined(_M_X64)
	return "x86_64";
#elif defined(__aarch64__) || defined(_M_ARM64)
	return "aarch64";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#elif defined(__riscv)
	return "riscv32";
#elif defined(__i386__) || defined(_M_IX86)
	return "i386";
#elif defined(__arm__) || defined(_M_ARM)
	return "arm";
#elif defined(__powerpc64__)
	return "ppc64";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__loongarch64)
	return "loongarch64";
#else
	return "unknown";
#endif
}

bool vmosal_is_harmonyos(void)
{
	return strcmp(vmosal_host_os(), "harmonyos") == 0;
}

size_t vmosal_page_size(void)
{
	const struct vmosal__state *s = vmosal__get();
	return s != NULL ? (size_t)s->host.page_size : 0;
}

const char *vmosal_os_release(void)
{
	const struct vmosal__state *s = vmosal__get();
	return s != NULL ? s->host.os_release : "unknown";
}

const char *vmosal_libc_name(void)
{
	const struct vmosal__state *s = vmosal__get();
	return s != NULL ? s->host.libc : "unknown";
}

int vmosal_cpu_count(enum vmosal_cpu_set which, size_t *out)
{
	const struct vmosal__state *s;

	if (out == NULL)
		return VMOSAL_EINVAL;
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	switch (which) {
	case VMOSAL_CPUS_POSSIBLE:
		*out = (size_t)s->host.cpus_possible;
		return 0;
	case VMOSAL_CPUS_ONLINE:
		*out = (size_t)s->host.cpus_online;
		return 0;
	case VMOSAL_CPUS_USABLE:
		*out = (size_t)s->host.cpus_usable;
		return 0;
	}
	return VMOSAL_EINVAL;
}

int vmosal_mem_info(struct vmosal_mem_info *out)
{
	const struct vmosal__state *s;

	if (out == NULL)
		return VMOSAL_EINVAL;
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	return s->ops->mem_info(out);
}

int vmosal_accel_probe(enum vmosal_accel which, struct vmosal_accel_status *out)
{
	const struct vmosal__state *s;
	int rc;

	if (out == NULL || (unsigned)which >= VMOSAL_ACCEL_COUNT)
		return VMOSAL_EINVAL;
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	memset(out, 0, sizeof *out);
	rc = s->ops->accel_probe((int)which, out);
	out->reason[sizeof out->reason - 1] = '\0';
	return rc;
}

int vmosal_platform_caps(struct vmosal_platform_caps *out)
{
	struct vmosal_accel_status st[VMOSAL_ACCEL_COUNT];
	int rc;

	if (out == NULL)
		return VMOSAL_EINVAL;
	for (int i = 0; i < VMOSAL_ACCEL_COUNT; i++) {
		rc = vmosal_accel_probe((enum vmosal_accel)i, &st[i]);
		if (rc != 0)
			return rc;
	}
	out->has_kvm = st[VMOSAL_ACCEL_KVM].available;
	out->has_hvf = st[VMOSAL_ACCEL_HVF].available;
	out->has_whpx = st[VMOSAL_ACCEL_WHPX].available;
	out->supports_accel = out->has_kvm || out->has_hvf || out->has_whpx;
	return 0;
}
