/* Fake backends for the loader tests, built only for 'make check'.
 *
 * Each fake is a layer over the host's backend, which the core loads
 * beneath it (layer_kit.h), so that it stays complete as slots are added;
 * it then breaks exactly one thing, chosen by the FAKE_* macro it is
 * compiled with. */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmosal/backend.h"

#ifdef FAKE_NO_ENTRY
/* Exports something, but not the entry symbol. */
const char *vmosal_fake_not_an_entry(void);
const char *vmosal_fake_not_an_entry(void)
{
	return "no entry here";
}
#else

#include "layer_kit.h"

static struct {
	struct vmosal_backend_ops ops;
	char tail[256]; /* room for FAKE_NEWER_MINOR's appended slots */
} fake;

#ifdef FAKE_INIT_FAILS
static int fake_init_fails(const struct vmosal_core_services *core,
			   struct vmosal_backend_caps *caps)
{
	(void)core;
	(void)caps;
	return VMOSAL_EPERM;
}
#endif

#if defined(FAKE_REENTER_CTOR) || defined(FAKE_REENTER_ENTRY) || defined(FAKE_REENTER_INIT)
/* Breaks the contract on purpose: calls the public API while the loader
 * is loading this plugin. Found at run time, since plugins never link
 * against libvmosal. */
static void fake_call_back_in(void)
{
	size_t (*page_size)(void);

	*(void **)&page_size = dlsym(RTLD_DEFAULT, "vmosal_page_size");
	if (page_size != NULL)
		page_size();
}
#endif

#ifdef FAKE_REENTER_INIT
/* What init does, chosen by the test (VMOSAL_TEST_FAKE_INIT):
 * "topology" calls a topology query back in (refused like any call back
 * in); "fork" and "system" start a process, which a plugin may do. */
static void fake_init_action(void)
{
	const char *what = getenv("VMOSAL_TEST_FAKE_INIT");

	if (what == NULL) {
		fake_call_back_in();
	} else if (strcmp(what, "topology") == 0) {
		int (*topology_load)(void);

		*(void **)&topology_load = dlsym(RTLD_DEFAULT, "vmosal_topology_load");
		if (topology_load != NULL)
			topology_load();
	} else if (strcmp(what, "fork") == 0) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	} else if (strcmp(what, "system") == 0) {
		if (system("exit 0") != 0)
			fprintf(stderr, "fake: system() failed\n");
	}
}
#endif

#ifdef FAKE_REENTER_CTOR
__attribute__((constructor)) static void fake_ctor(void)
{
	fake_call_back_in();
}
#endif

#if defined(FAKE_REENTER_INIT) || defined(FAKE_SLOW_INIT)
static int (*fake_real_init)(const struct vmosal_core_services *, struct vmosal_backend_caps *);

static int fake_init_wrapped(const struct vmosal_core_services *core,
			     struct vmosal_backend_caps *caps)
{
#ifdef FAKE_REENTER_INIT
	fake_init_action();
	return fake_real_init(core, caps);
#else
	/* Long enough for a test to fork while the loader lock is held,
	 * after the backend beneath is loaded: the test forks inside this
	 * plugin's init, not inside musl's dlopen, which a fork left hung. */
	struct timespec ts = {0, 300 * 1000 * 1000};
	int rc = fake_real_init(core, caps);

	nanosleep(&ts, NULL);
	return rc;
#endif
}
#endif

#ifdef FAKE_FINI
/* Appends a line to the file the test names, once per call. */
static void fake_fini(void)
{
	const char *path = getenv("VMOSAL_TEST_FINI_MARK");
	FILE *f = path != NULL ? fopen(path, "a") : NULL;

	if (f != NULL) {
		fputs("fini\n", f);
		fclose(f);
	}
}
#endif

#ifdef FAKE_OLD_CLOSE
/* ABI 2.3's two closes: shm_close (slot 30, shared memory only) and the
 * close of every handle (slot 41, now retired_handle_close). */
static unsigned fake_closes;

VMOSAL_BACKEND_EXPORT unsigned vmosal_fake_closes(void);
unsigned vmosal_fake_closes(void)
{
	return fake_closes;
}

static int fake_shm_only_close(vmosal_handle_t h)
{
	(void)h;
	return VMOSAL_EBADF;
}

static int fake_every_close(vmosal_handle_t h)
{
	fake_closes++;
	return next->handle_close(h);
}
#endif

#ifdef FAKE_MINOR4
/* What a 2.4 plugin's memory holds past its table is anything at all:
 * here a function that ends the process, so that a core that read a slot
 * past struct_size and called it fails the test. */
static void fake_past_table(void)
{
	abort();
}

static void fake_poison_past_table(void)
{
	const size_t slot = sizeof(void (*)(void));

	for (size_t off = fake.ops.struct_size; off + slot <= sizeof fake.ops; off += slot)
		*(void (**)(void))((char *)&fake.ops + off) = fake_past_table;
}
#endif

static int fake_host_info(struct vmosal_backend_host *out)
{
#ifdef FAKE_LONG_STRINGS
	/* No terminating NUL anywhere: the core must add its own. */
	memset(out->os, 'o', sizeof out->os);
	memset(out->os_release, 'r', sizeof out->os_release);
	memset(out->libc, 'l', sizeof out->libc);
	out->page_size = 4096;
	out->cpus_possible = 8;
	out->cpus_online = 6;
	out->cpus_usable = 4;
	return 0;
#endif
	snprintf(out->os, sizeof out->os, "fakeos");
	snprintf(out->os_release, sizeof out->os_release, "1.2.3-fake");
	snprintf(out->libc, sizeof out->libc, "fakelibc");
	out->page_size = 4096;
	out->cpus_possible = 8;
	out->cpus_online = 6;
	out->cpus_usable = 4;
	return 0;
}

/* Has the core load the host's backend beneath this one. */
static int fake_open_next(const struct vmosal_core_services *core,
			  struct vmosal_backend_caps *caps)
{
	return layer_open_next(core, caps, VMOSAL_DEFAULT_BACKEND, &fake.ops);
}

const struct vmosal_backend_ops *vmosal_backend_entry(uint32_t core_abi)
{
	(void)core_abi;
	fake.ops = layer_forwarders;
	fake.ops.init = fake_open_next;
	fake.ops.name = "fake";
	fake.ops.host_info = fake_host_info;
#if defined(FAKE_BAD_MAJOR)
	fake.ops.abi_version = VMOSAL_BACKEND_ABI_MAKE(VMOSAL_BACKEND_ABI_MAJOR + 1, 0);
#elif defined(FAKE_OLD_MAJOR)
	/* A plugin built before the 2.0 revision. */
	fake.ops.abi_version = VMOSAL_BACKEND_ABI_MAKE(1, 0);
#elif defined(FAKE_SHORT)
	fake.ops.struct_size = (uint32_t)offsetof(struct vmosal_backend_ops, accel_probe);
#elif defined(FAKE_MISSING_SLOT)
	fake.ops.host_memory = NULL;
#elif defined(FAKE_INIT_FAILS)
	fake.ops.init = fake_init_fails;
#elif defined(FAKE_FINI)
	fake.ops.fini = fake_fini;
#elif defined(FAKE_REENTER_ENTRY)
	fake_call_back_in();
#elif defined(FAKE_REENTER_INIT) || defined(FAKE_SLOW_INIT)
	fake_real_init = fake_open_next;
	fake.ops.init = fake_init_wrapped;
#elif defined(FAKE_MINOR0)
	/* A plugin built against ABI 2.0: its table ends before the 2.1
	 * block, whatever the real backend it borrows from has there. */
	fake.ops.abi_version = VMOSAL_BACKEND_ABI_MAKE(2, 0);
	fake.ops.struct_size = (uint32_t)offsetof(struct vmosal_backend_ops, signal_install);
	fake.ops.name = "fake-2.0";
#elif defined(FAKE_MINOR2)
	/* A plugin built against ABI 2.2: no JIT write window slots. */
	fake.ops.abi_version = VMOSAL_BACKEND_ABI_MAKE(2, 2);
	fake.ops.struct_size = (uint32_t)offsetof(struct vmosal_backend_ops, jit_write_begin);
	fake.ops.name = "fake-2.2";
#elif defined(FAKE_NO_SELF)
	fake.ops.thread_self = NULL;
#elif defined(FAKE_MINOR1)
	/* A plugin built against ABI 2.1: events, but no event_wait_kick. */
	fake.ops.abi_version = VMOSAL_BACKEND_ABI_MAKE(2, 1);
	fake.ops.struct_size = (uint32_t)offsetof(struct vmosal_backend_ops, event_wait_kick);
	fake.ops.name = "fake-2.1";
#elif defined(FAKE_PARTIAL)
	/* Half of two groups: the JIT and the events must read as absent. */
	fake.ops.jit_unmap = NULL;
	fake.ops.event_wait = NULL;
	fake.ops.name = "fake-partial";
#elif defined(FAKE_OLD_CLOSE)
	fake.ops.abi_version = VMOSAL_BACKEND_ABI_MAKE(2, 3);
	fake.ops.struct_size = (uint32_t)offsetof(struct vmosal_backend_ops, handle_dup);
	fake.ops.handle_close = fake_shm_only_close;
	fake.ops.retired_handle_close = fake_every_close;
	fake.ops.name = "fake-2.3";
#elif defined(FAKE_MINOR4)
	/* A plugin built against ABI 2.4: handles, but not the device half. */
	fake.ops.abi_version = VMOSAL_BACKEND_ABI_MAKE(2, 4);
	fake.ops.struct_size = (uint32_t)offsetof(struct vmosal_backend_ops, waitset_create);
	fake.ops.name = "fake-2.4";
	fake_poison_past_table();
#elif defined(FAKE_NO_OPS)
	return NULL;
#elif defined(FAKE_NEWER_MINOR)
	/* A plugin from a later 2.x: bigger table, unknown slots at the end. */
	fake.ops.abi_version = VMOSAL_BACKEND_ABI_MAKE(VMOSAL_BACKEND_ABI_MAJOR, 0x7f);
	fake.ops.struct_size = (uint32_t)sizeof fake;
	fake.ops.name = "fake-newer";
#endif
	return &fake.ops;
}
#endif
