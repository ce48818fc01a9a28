/* vmosal-info: what libvmosal sees on this host, for people and for scripts. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmosal.h"

/* The topology as an indented tree: package > NUMA node > core > PUs. */
static int print_topology_tree(void)
{
	struct vmosal_topology_counts c;
	struct vmosal_pu_info pu, prev;
	int rc = vmosal_topology_counts(&c);

	if (rc != 0)
		return rc;
	for (uint32_t i = 0; i < c.pus; i++) {
		if ((rc = vmosal_topology_pu(i, &pu)) != 0)
			return rc;
		if (i == 0 || pu.package != prev.package)
			printf("package %u\n", (unsigned)pu.package);
		if (i == 0 || pu.package != prev.package || pu.numa_node != prev.numa_node)
			printf("  numa node %u\n", (unsigned)pu.numa_node);
		if (i == 0 || pu.core != prev.core || pu.numa_node != prev.numa_node)
			printf("    core %u\n", (unsigned)pu.core);
		printf("      cpu %u (smt %u)\n", (unsigned)pu.os_index, (unsigned)pu.smt_rank);
		prev = pu;
	}
	return 0;
}

static const char *const accel_keys[VMOSAL_ACCEL_COUNT] = {"kvm", "hvf", "whpx"};
static const char *const accel_titles[VMOSAL_ACCEL_COUNT] = {
	"KVM", "Hypervisor.framework", "Windows Hypervisor Platform"};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmosal-info [--json] [--topology] [--help] [--version]\n"
		"Prints what libvmosal detects on this host: backend, OS, CPUs,\n"
		"memory, page sizes and huge pages, and hardware accelerators.\n"
		"\n"
		"  --json     one JSON object instead of the readable report\n"
		"  --topology the CPU topology as a tree (package, NUMA node, core, CPU)\n"
		"  --help     this text\n"
		"  --version  the library's version\n"
		"\n"
		"Environment: VMOSAL_BACKEND picks the OS backend (a name or a path),\n"
		"VMOSAL_BACKEND_PATH adds directories to search, VMOSAL_DEBUG=loader\n"
		"explains how the backend was found.\n");
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

struct report {
	struct vmosal_backend_info backend;
	size_t cpus_possible, cpus_online, cpus_usable;
	struct vmosal_mem_info mem;
	struct vmosal_page_sizes pages;
	struct vmosal_accel_status accel[VMOSAL_ACCEL_COUNT];
};

static int gather(struct report *r)
{
	int rc = vmosal_backend_info(&r->backend);
	if (rc != 0)
		return rc;
	if ((rc = vmosal_cpu_count(VMOSAL_CPUS_POSSIBLE, &r->cpus_possible)) != 0 ||
	    (rc = vmosal_cpu_count(VMOSAL_CPUS_ONLINE, &r->cpus_online)) != 0 ||
	    (rc = vmosal_cpu_count(VMOSAL_CPUS_USABLE, &r->cpus_usable)) != 0 ||
	    (rc = vmosal_mem_info(&r->mem)) != 0 || (rc = vmosal_page_sizes(&r->pages)) != 0)
		return rc;
	for (int i = 0; i < VMOSAL_ACCEL_COUNT; i++)
		if ((rc = vmosal_accel_probe((enum vmosal_accel)i, &r->accel[i])) != 0)
			return rc;
	return 0;
}

static const char *const thp_modes[] = {"unavailable", "never", "madvise", "always"};

static const char *thp_mode_name(uint32_t mode)
{
	return mode < sizeof thp_modes / sizeof thp_modes[0] ? thp_modes[mode] : "unknown";
}

static void print_text(const struct report *r)
{
	printf("libvmosal %d.%d.%d\n", VMOSAL_VERSION_MAJOR, VMOSAL_VERSION_MINOR,
	       VMOSAL_VERSION_PATCH);
	printf("backend:     %s (ABI %u.%u)\n", r->backend.name,
	       (unsigned)(r->backend.abi_version >> 16),
	       (unsigned)(r->backend.abi_version & 0xffff));
	printf("  file:      %s\n", r->backend.path);
	printf("os:          %s %s\n", vmosal_host_os(), vmosal_os_release());
	printf("arch:        %s\n", vmosal_host_arch());
	printf("libc:        %s\n", vmosal_libc_name());
	printf("page size:   %zu bytes\n", vmosal_page_size());
	printf("huge pages:  transparent: %s", thp_mode_name(r->pages.thp_mode));
	if (r->pages.thp_size != 0)
		printf(" (%" PRIu64 " KiB)", r->pages.thp_size >> 10);
	putchar('\n');
	for (size_t i = 0; i < r->pages.huge_count; i++)
		printf("  %8" PRIu64 " KiB: %" PRIu64 " free of %" PRIu64 "%s\n",
		       r->pages.huge[i].size >> 10, r->pages.huge[i].free, r->pages.huge[i].total,
		       r->pages.huge[i].size == r->pages.huge_default ? " (default)" : "");
	printf("cpus:        %zu online, %zu usable by this process, %zu possible\n",
	       r->cpus_online, r->cpus_usable, r->cpus_possible);
	{
		struct vmosal_topology_counts c;
		uint64_t bytes;
		if (vmosal_topology_counts(&c) == 0) {
			printf("topology:    %u packages, %u NUMA nodes, %u cores, %u PUs\n",
			       (unsigned)c.packages, (unsigned)c.numa_nodes, (unsigned)c.cores,
			       (unsigned)c.pus);
			printf("  caches:   ");
			for (unsigned level = 1; level <= 5; level++)
				if (vmosal_topology_cache_size(level, &bytes) == 0)
					printf(" L%u %" PRIu64 " KiB", level, bytes >> 10);
			putchar('\n');
		}
	}
	printf("memory:      %.1f GiB total, %.1f GiB available\n",
	       (double)r->mem.total_bytes / (1u << 30),
	       (double)r->mem.available_bytes / (1u << 30));
	printf("accelerators:\n");
	for (int i = 0; i < VMOSAL_ACCEL_COUNT; i++) {
		if (r->accel[i].available)
			printf("  %-28s available\n", accel_titles[i]);
		else
			printf("  %-28s no: %s\n", accel_titles[i], r->accel[i].reason);
	}
}

static void print_json(const struct report *r)
{
	printf("{\"version\":\"%d.%d.%d\",", VMOSAL_VERSION_MAJOR, VMOSAL_VERSION_MINOR,
	       VMOSAL_VERSION_PATCH);
	printf("\"backend\":{\"name\":");
	json_string(r->backend.name);
	printf(",\"path\":");
	json_string(r->backend.path);
	printf(",\"abi\":\"%u.%u\"},", (unsigned)(r->backend.abi_version >> 16),
	       (unsigned)(r->backend.abi_version & 0xffff));
	printf("\"os\":");
	json_string(vmosal_host_os());
	printf(",\"os_release\":");
	json_string(vmosal_os_release());
	printf(",\"arch\":");
	json_string(vmosal_host_arch());
	printf(",\"libc\":");
	json_string(vmosal_libc_name());
	printf(",\"harmonyos\":%s", vmosal_is_harmonyos() ? "true" : "false");
	printf(",\"page_size\":%zu", vmosal_page_size());
	printf(",\"page_sizes\":[%" PRIu64, r->pages.base);
	for (size_t i = 0; i < r->pages.huge_count; i++)
		printf(",%" PRIu64, r->pages.huge[i].size);
	printf("],\"hugepages\":{\"thp\":\"%s\",\"thp_size\":%" PRIu64
	       ",\"default_size\":%" PRIu64 ",\"pools\":[",
	       thp_mode_name(r->pages.thp_mode), r->pages.thp_size, r->pages.huge_default);
	for (size_t i = 0; i < r->pages.huge_count; i++)
		printf("%s{\"size\":%" PRIu64 ",\"total\":%" PRIu64 ",\"free\":%" PRIu64 "}",
		       i > 0 ? "," : "", r->pages.huge[i].size, r->pages.huge[i].total,
		       r->pages.huge[i].free);
	printf("]}");
	printf(",\"cpus\":{\"online\":%zu,\"usable\":%zu,\"possible\":%zu}", r->cpus_online,
	       r->cpus_usable, r->cpus_possible);
	{
		struct vmosal_topology_counts c;
		if (vmosal_topology_counts(&c) == 0)
			printf(",\"topology\":{\"packages\":%u,\"numa_nodes\":%u,\"cores\":%u,"
			       "\"pus\":%u}",
			       (unsigned)c.packages, (unsigned)c.numa_nodes, (unsigned)c.cores,
			       (unsigned)c.pus);
	}
	printf(",\"memory\":{\"total\":%" PRIu64 ",\"available\":%" PRIu64 "}",
	       r->mem.total_bytes, r->mem.available_bytes);
	printf(",\"accel\":{");
	for (int i = 0; i < VMOSAL_ACCEL_COUNT; i++) {
		printf("%s\"%s\":{\"available\":%s,\"error\":", i > 0 ? "," : "", accel_keys[i],
		       r->accel[i].available ? "true" : "false");
		json_string(vmosal_err_name(r->accel[i].error));
		printf(",\"reason\":");
		json_string(r->accel[i].reason);
		putchar('}');
	}
	printf("}}\n");
}

int main(int argc, char **argv)
{
	bool json = false;
	struct report r;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--topology") == 0) {
			rc = print_topology_tree();
			if (rc != 0)
				fprintf(stderr, "vmosal-info: topology: %s\n", vmosal_strerror(rc));
			return rc == 0 ? 0 : 1;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("vmosal-info (libvmosal) %s\n", PACKAGE_VERSION);
			return 0;
		} else {
			fprintf(stderr, "vmosal-info: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	memset(&r, 0, sizeof r);
	if (vmosal_init() != 0) {
		fprintf(stderr, "vmosal-info: no OS backend could be loaded:\n%s\n",
			vmosal_backend_error());
		return 1;
	}
	rc = gather(&r);
	if (rc != 0) {
		fprintf(stderr, "vmosal-info: %s\n", vmosal_strerror(rc));
		return 1;
	}
	if (json)
		print_json(&r);
	else
		print_text(&r);
	return 0;
}
