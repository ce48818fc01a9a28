/* Platform detection: cached host facts from the backend, and accelerator
 * probes. */
#include "config.h"

#include <stdio.h>
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
	int rc;

	if (out == NULL)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
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

int vmosal_host_memory(struct vmosal_host_memory *out)
{
	const struct vmosal__state *s;
	struct vmosal_backend_host_memory m = {.struct_size = sizeof m};
	int rc;

	if (vmosal__struct_out_check(out, VMOSAL__MIN_HOST_MEMORY) != 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	rc = s->ops->host_memory(&m);
	if (rc == 0) {
		struct vmosal_host_memory info = {
			.struct_size = sizeof info,
			.total_bytes = m.total_bytes,
			.available_bytes = m.available_bytes,
		};
		vmosal__struct_out(out, &info, sizeof info);
	}
	return rc;
}

int vmosal_accel_probe(enum vmosal_accel which, struct vmosal_accel_status *out)
{
	const struct vmosal__state *s;
	struct vmosal_backend_accel a = {.struct_size = sizeof a};
	struct vmosal_accel_status st = {.struct_size = sizeof st};
	int rc;

	if (vmosal__struct_out_check(out, VMOSAL__MIN_ACCEL_STATUS) != 0 ||
	    (unsigned)which >= VMOSAL_ACCEL_COUNT)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	rc = s->ops->accel_probe((int)which, &a);
	if (rc == VMOSAL_ENOTSUP) {
		/* A backend older than this accelerator's enum value. */
		a.error = VMOSAL_ENOTSUP;
		snprintf(a.reason, sizeof a.reason, "the %s backend does not know this accelerator",
			 s->ops->name);
	} else if (rc != 0) {
		return rc;
	}
	a.reason[sizeof a.reason - 1] = '\0';
	st.available = a.error == 0;
	st.error = a.error;
	st.checks = a.checks;
	/* A 2.0 backend leaves checks at zero: all it says is available. */
	if (st.available && st.checks == 0)
		st.checks = VMOSAL_ACCEL_CHECK_OPENED;
	if (!st.available && a.reason[0] == '\0')
		snprintf(a.reason, sizeof a.reason, "%s", vmosal_strerror(a.error));
	snprintf(st.reason, sizeof st.reason, "%s", st.available ? "" : a.reason);
	vmosal__struct_out(out, &st, sizeof st);
	return 0;
}

int vmosal_host_caps(struct vmosal_host_caps *out)
{
	const struct vmosal__state *s;
	struct vmosal_host_caps caps = {.struct_size = sizeof caps};
	struct vmosal_huge_page_sizes ps = {.struct_size = sizeof ps};
	struct vmosal_accel_status st = {.struct_size = sizeof st};
	int rc;

	if (vmosal__struct_out_check(out, VMOSAL__MIN_HOST_CAPS) != 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	if (s->caps.flags & VMOSAL_BACKEND_CAP_AFFINITY_OTHER_THREADS)
		caps.flags |= VMOSAL_CAP_AFFINITY_OTHER_THREADS;
	if (s->caps.flags & VMOSAL_BACKEND_CAP_REALTIME)
		caps.flags |= VMOSAL_CAP_REALTIME;
	if ((s->groups & VMOSAL_SLOT_SHM) != 0)
		caps.flags |= VMOSAL_CAP_SHM;
	if ((s->groups & VMOSAL_SLOT_JIT) != 0)
		caps.flags |= VMOSAL_CAP_JIT;
	if (s->ops->mem_populate != NULL)
		caps.flags |= VMOSAL_CAP_PREALLOC;
	if ((rc = vmosal_huge_page_sizes(&ps)) != 0)
		return rc;
	if (ps.huge_count > 0)
		caps.flags |= VMOSAL_CAP_HUGE_PAGES;
	if (ps.thp_mode == VMOSAL_THP_MADVISE || ps.thp_mode == VMOSAL_THP_ALWAYS)
		caps.flags |= VMOSAL_CAP_THP;
	caps.affinity = vmosal__affinity_kind(s);
	for (int i = 0; i < VMOSAL_ACCEL_COUNT; i++) {
		if ((rc = vmosal_accel_probe((enum vmosal_accel)i, &st)) != 0)
			return rc;
		if (st.available)
			caps.accels |= VMOSAL_ACCEL_BIT(i);
	}
	caps.map_granularity = vmosal__map_align(s);
	caps.thread_name_max = s->caps.thread_name_max;
	vmosal__struct_out(out, &caps, sizeof caps);
	return 0;
}

uint32_t vmosal_version(void)
{
	return VMOSAL_VERSION;
}
