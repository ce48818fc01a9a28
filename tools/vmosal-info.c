/* vmosal-info: what libvmosal sees on this host, for people and for scripts. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmosal.h"
#include "vmosal/backend.h"

#include <stdlib.h>

/* Every PU, read before anything is printed, so that a failure leaves no
 * half-written report or JSON object. */
struct tree {
	struct vmosal_pu_info *pus;
	uint32_t n;
};

/* The running library's version, packed as VMOSAL_VERSION packs it. */
#define VERSION_PART(v, shift) ((unsigned)((v) >> (shift)) & 0xffu)

static int tree_gather(struct tree *t)
{
	struct vmosal_topology_counts c = VMOSAL_STRUCT_INIT(struct vmosal_topology_counts);
	int rc = vmosal_topology_counts(&c);

	t->pus = NULL;
	t->n = 0;
	if (rc != 0)
		return rc;
	t->pus = calloc(c.pus > 0 ? c.pus : 1, sizeof *t->pus);
	if (t->pus == NULL)
		return VMOSAL_ENOMEM;
	for (; t->n < c.pus; t->n++) {
		t->pus[t->n].struct_size = sizeof t->pus[t->n];
		if ((rc = vmosal_topology_pu(t->n, &t->pus[t->n])) != 0)
			return rc;
	}
	return 0;
}

/* Where PU i starts a new package, NUMA node or core (0: none). */
enum { NEW_CORE = 1, NEW_NODE = 2, NEW_PACKAGE = 3 };

static int tree_level(const struct tree *t, uint32_t i)
{
	const struct vmosal_pu_info *pu = &t->pus[i], *prev = i > 0 ? &t->pus[i - 1] : NULL;

	if (prev == NULL || pu->package != prev->package)
		return NEW_PACKAGE;
	if (pu->numa_node != prev->numa_node)
		return NEW_NODE;
	return pu->core != prev->core ? NEW_CORE : 0;
}

/* The topology as an indented tree: package > NUMA node > core > PUs. */
static void print_tree_text(const struct tree *t)
{
	printf("topology tree:\n");
	for (uint32_t i = 0; i < t->n; i++) {
		const struct vmosal_pu_info *pu = &t->pus[i];
		int level = tree_level(t, i);

		if (level >= NEW_PACKAGE)
			printf("  package %u\n", (unsigned)pu->package);
		if (level >= NEW_NODE)
			printf("    numa node %u\n", (unsigned)pu->numa_node);
		if (level >= NEW_CORE)
			printf("      core %u\n", (unsigned)pu->core);
		printf("        cpu %u (smt %u)\n", (unsigned)pu->os_index, (unsigned)pu->smt_rank);
	}
}

/* The same tree as JSON: [{"package", "numa_nodes": [{"node", "cores":
 * [{"core", "pus": [{"cpu", "smt"}]}]}]}]. */
static void print_tree_json(const struct tree *t)
{
	printf("[");
	for (uint32_t i = 0; i < t->n; i++) {
		const struct vmosal_pu_info *pu = &t->pus[i];
		int level = tree_level(t, i);

		/* Close what the previous PU opened, down to this one's level. */
		if (i > 0 && level >= NEW_CORE)
			printf("]}");
		if (i > 0 && level >= NEW_NODE)
			printf("]}");
		if (i > 0 && level >= NEW_PACKAGE)
			printf("]},");
		if (level >= NEW_PACKAGE)
			printf("{\"package\":%u,\"numa_nodes\":[", (unsigned)pu->package);
		if (level >= NEW_NODE)
			printf("%s{\"node\":%u,\"cores\":[", level == NEW_NODE ? "," : "",
			       (unsigned)pu->numa_node);
		if (level >= NEW_CORE)
			printf("%s{\"core\":%u,\"pus\":[", level == NEW_CORE ? "," : "",
			       (unsigned)pu->core);
		printf("%s{\"cpu\":%u,\"smt\":%u}", level == 0 ? "," : "", (unsigned)pu->os_index,
		       (unsigned)pu->smt_rank);
	}
	if (t->n > 0)
		printf("]}]}]}");
	printf("]");
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
		"  --topology adds the CPU topology as a tree (package, NUMA node, core,\n"
		"             CPU): after the report, or as topology.tree in --json\n"
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

#define MAX_POOLS 16

struct report {
	struct vmosal_backend_info backend;
	size_t cpus_possible, cpus_online, cpus_usable;
	struct vmosal_host_memory mem;
	struct vmosal_huge_page_sizes pages;
	struct vmosal_huge_page_pool pools[MAX_POOLS];
	size_t npools;
	struct vmosal_host_caps caps;
	struct vmosal_accel_status accel[VMOSAL_ACCEL_COUNT];
	int kick_signal; /* -1: kicks unavailable */
	int kick_error;
};

static void report_init(struct report *r)
{
	memset(r, 0, sizeof *r);
	r->backend.struct_size = sizeof r->backend;
	r->mem.struct_size = sizeof r->mem;
	r->pages.struct_size = sizeof r->pages;
	r->caps.struct_size = sizeof r->caps;
	for (size_t i = 0; i < MAX_POOLS; i++)
		r->pools[i].struct_size = sizeof r->pools[i];
	for (int i = 0; i < VMOSAL_ACCEL_COUNT; i++)
		r->accel[i].struct_size = sizeof r->accel[i];
}

static int gather(struct report *r)
{
	int rc = vmosal_backend_info(&r->backend);
	if (rc != 0)
		return rc;
	if ((rc = vmosal_host_caps(&r->caps)) != 0)
		return rc;
	if ((rc = vmosal_cpu_count(VMOSAL_CPUS_POSSIBLE, &r->cpus_possible)) != 0 ||
	    (rc = vmosal_cpu_count(VMOSAL_CPUS_ONLINE, &r->cpus_online)) != 0 ||
	    (rc = vmosal_cpu_count(VMOSAL_CPUS_USABLE, &r->cpus_usable)) != 0 ||
	    (rc = vmosal_host_memory(&r->mem)) != 0 || (rc = vmosal_huge_page_sizes(&r->pages)) != 0)
		return rc;
	for (int i = 0; i < VMOSAL_ACCEL_COUNT; i++)
		if ((rc = vmosal_accel_probe((enum vmosal_accel)i, &r->accel[i])) != 0)
			return rc;
	r->kick_error = vmosal_thread_kick_signal(&r->kick_signal);
	if (r->kick_error != 0)
		r->kick_signal = -1;
	/* A pool may vanish between the two reads: keep what was read. */
	for (r->npools = 0; r->npools < r->pages.huge_count && r->npools < MAX_POOLS; r->npools++)
		if (vmosal_huge_page_pool(r->npools, &r->pools[r->npools]) != 0)
			break;
	return 0;
}

static const char *const affinity_kinds[] = {"unsupported", "soft", "hard"};

static const char *affinity_name(uint32_t kind)
{
	return kind < 3 ? affinity_kinds[kind] : "unknown";
}

static const struct {
	uint32_t flag;
	const char *name;
} cap_names[] = {
	{VMOSAL_CAP_AFFINITY_OTHER_THREADS, "affinity-other-threads"},
	{VMOSAL_CAP_REALTIME, "realtime"},
	{VMOSAL_CAP_SHM, "shm"},
	{VMOSAL_CAP_HUGE_PAGES, "huge-pages"},
	{VMOSAL_CAP_THP, "thp"},
	{VMOSAL_CAP_JIT, "jit"},
	{VMOSAL_CAP_PREALLOC, "prealloc"},
};
#define NCAPS (sizeof cap_names / sizeof cap_names[0])

static const char *const thp_modes[] = {"unavailable", "never", "madvise", "always"};

static const char *thp_mode_name(uint32_t mode)
{
	return mode < sizeof thp_modes / sizeof thp_modes[0] ? thp_modes[mode] : "unknown";
}

static void print_text(const struct report *r)
{
	printf("libvmosal %u.%u.%u\n", VERSION_PART(vmosal_version(), 16),
	       VERSION_PART(vmosal_version(), 8), VERSION_PART(vmosal_version(), 0));
	printf("backend:     %s (ABI %u.%u)\n", r->backend.name,
	       (unsigned)VMOSAL_BACKEND_ABI_MAJOR_OF(r->backend.abi_version),
	       (unsigned)VMOSAL_BACKEND_ABI_MINOR_OF(r->backend.abi_version));
	printf("  file:      %s\n", r->backend.path);
	printf("os:          %s %s\n", vmosal_host_os(), vmosal_os_release());
	printf("arch:        %s\n", vmosal_host_arch());
	printf("libc:        %s\n", vmosal_libc_name());
	printf("page size:   %zu bytes\n", vmosal_page_size());
	printf("huge pages:  transparent: %s", thp_mode_name(r->pages.thp_mode));
	if (r->pages.thp_size != 0)
		printf(" (%" PRIu64 " KiB)", r->pages.thp_size >> 10);
	putchar('\n');
	for (size_t i = 0; i < r->npools; i++)
		printf("  %8" PRIu64 " KiB: %" PRIu64 " free of %" PRIu64 "%s\n",
		       r->pools[i].page_size >> 10, r->pools[i].free, r->pools[i].total,
		       r->pools[i].page_size == r->pages.huge_default ? " (default)" : "");
	printf("cpus:        %zu online, %zu usable by this process, %zu possible\n",
	       r->cpus_online, r->cpus_usable, r->cpus_possible);
	printf("affinity:    %s\n", affinity_name(r->caps.affinity));
	printf("features:   ");
	for (size_t i = 0; i < NCAPS; i++)
		if (r->caps.flags & cap_names[i].flag)
			printf(" %s", cap_names[i].name);
	putchar('\n');
	printf("map granule: %" PRIu64 " bytes\n", r->caps.map_granularity);
	if (r->kick_signal > 0)
		printf("vcpu kick:   signal %d (realtime, no SA_RESTART)\n", r->kick_signal);
	else if (r->kick_signal == 0)
		printf("vcpu kick:   no signal (APC and cancel callback)\n");
	else
		printf("vcpu kick:   unavailable: %s\n", vmosal_strerror(r->kick_error));
	{
		struct vmosal_topology_counts c = VMOSAL_STRUCT_INIT(struct vmosal_topology_counts);
		uint64_t bytes;
		if (vmosal_topology_counts(&c) == 0) {
			printf("topology:    %u packages, %u NUMA nodes, %u cores, %u PUs\n",
			       (unsigned)c.packages, (unsigned)c.numa_nodes, (unsigned)c.cores,
			       (unsigned)c.pus);
			/* Some machines (VMs among them) report no cache at all. */
			printf("  caches:   ");
			bool any = false;
			for (unsigned level = 1; level <= 5; level++)
				if (vmosal_topology_cache_size(level, &bytes) == 0) {
					printf(" L%u %" PRIu64 " KiB", level, bytes >> 10);
					any = true;
				}
			printf("%s\n", any ? "" : " unknown");
		}
	}
	printf("memory:      %.1f GiB total, %.1f GiB available\n",
	       (double)r->mem.total_bytes / (1u << 30),
	       (double)r->mem.available_bytes / (1u << 30));
	printf("accelerators:\n");
	for (int i = 0; i < VMOSAL_ACCEL_COUNT; i++) {
		if (r->accel[i].available)
			printf("  %-28s available%s\n", accel_titles[i],
			       r->accel[i].checks & VMOSAL_ACCEL_CHECK_CREATE_VM
				       ? " (a VM was created)"
				       : "");
		else
			printf("  %-28s no: %s\n", accel_titles[i], r->accel[i].reason);
	}
}

static void print_json(const struct report *r, const struct tree *tree)
{
	printf("{\"version\":\"%u.%u.%u\",", VERSION_PART(vmosal_version(), 16),
	       VERSION_PART(vmosal_version(), 8), VERSION_PART(vmosal_version(), 0));
	printf("\"backend\":{\"name\":");
	json_string(r->backend.name);
	printf(",\"path\":");
	json_string(r->backend.path);
	printf(",\"abi\":\"%u.%u\"},",
	       (unsigned)VMOSAL_BACKEND_ABI_MAJOR_OF(r->backend.abi_version),
	       (unsigned)VMOSAL_BACKEND_ABI_MINOR_OF(r->backend.abi_version));
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
	printf(",\"huge_page_sizes\":[%" PRIu64, r->pages.base);
	for (size_t i = 0; i < r->npools; i++)
		printf(",%" PRIu64, r->pools[i].page_size);
	printf("],\"hugepages\":{\"thp\":\"%s\",\"thp_size\":%" PRIu64
	       ",\"default_size\":%" PRIu64 ",\"pools\":[",
	       thp_mode_name(r->pages.thp_mode), r->pages.thp_size, r->pages.huge_default);
	for (size_t i = 0; i < r->npools; i++)
		printf("%s{\"size\":%" PRIu64 ",\"total\":%" PRIu64 ",\"free\":%" PRIu64 "}",
		       i > 0 ? "," : "", r->pools[i].page_size, r->pools[i].total,
		       r->pools[i].free);
	printf("]}");
	printf(",\"cpus\":{\"online\":%zu,\"usable\":%zu,\"possible\":%zu}", r->cpus_online,
	       r->cpus_usable, r->cpus_possible);
	printf(",\"caps\":{\"affinity\":\"%s\",\"map_granularity\":%" PRIu64
	       ",\"thread_name_max\":%u,\"features\":[",
	       affinity_name(r->caps.affinity), r->caps.map_granularity,
	       (unsigned)r->caps.thread_name_max);
	for (size_t i = 0, n = 0; i < NCAPS; i++)
		if (r->caps.flags & cap_names[i].flag)
			printf("%s\"%s\"", n++ > 0 ? "," : "", cap_names[i].name);
	printf("]}");
	{
		struct vmosal_topology_counts c = VMOSAL_STRUCT_INIT(struct vmosal_topology_counts);
		if (vmosal_topology_counts(&c) == 0) {
			printf(",\"topology\":{\"packages\":%u,\"numa_nodes\":%u,\"cores\":%u,"
			       "\"pus\":%u",
			       (unsigned)c.packages, (unsigned)c.numa_nodes, (unsigned)c.cores,
			       (unsigned)c.pus);
			if (tree != NULL) {
				printf(",\"tree\":");
				print_tree_json(tree);
			}
			putchar('}');
		}
	}
	printf(",\"memory\":{\"total\":%" PRIu64 ",\"available\":%" PRIu64 "}",
	       r->mem.total_bytes, r->mem.available_bytes);
	printf(",\"accel\":{");
	for (int i = 0; i < VMOSAL_ACCEL_COUNT; i++) {
		printf("%s\"%s\":{\"available\":%s,\"error\":", i > 0 ? "," : "", accel_keys[i],
		       r->accel[i].available ? "true" : "false");
		json_string(vmosal_err_name(r->accel[i].error));
		printf(",\"opened\":%s,\"create_vm\":%s,\"reason\":",
		       r->accel[i].checks & VMOSAL_ACCEL_CHECK_OPENED ? "true" : "false",
		       r->accel[i].checks & VMOSAL_ACCEL_CHECK_CREATE_VM ? "true" : "false");
		json_string(r->accel[i].reason);
		putchar('}');
	}
	printf("},\"kick\":{\"signal\":%d,\"error\":", r->kick_signal > 0 ? r->kick_signal : 0);
	json_string(vmosal_err_name(r->kick_error));
	printf("}}\n");
}

int main(int argc, char **argv)
{
	bool json = false, topology = false;
	struct tree tree = {NULL, 0};
	struct report r;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--topology") == 0) {
			topology = true;
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
	report_init(&r);
	if (vmosal_init() != 0) {
		char why[4096];
		vmosal_backend_error(why, sizeof why);
		fprintf(stderr, "vmosal-info: no OS backend could be loaded:\n%s\n", why);
		return 1;
	}
	rc = gather(&r);
	if (rc != 0) {
		fprintf(stderr, "vmosal-info: %s\n", vmosal_strerror(rc));
		return 1;
	}
	if (topology && (rc = tree_gather(&tree)) != 0) {
		fprintf(stderr, "vmosal-info: topology: %s\n", vmosal_strerror(rc));
		free(tree.pus);
		return 1;
	}
	if (json) {
		print_json(&r, topology ? &tree : NULL);
	} else {
		print_text(&r);
		if (topology)
			print_tree_text(&tree);
	}
	free(tree.pus);
	return 0;
}
