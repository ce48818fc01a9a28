/* Every failure of every slot a public function reaches leaves nothing
 * behind: each operation runs in a fresh child on the faulty backend once
 * for every slot call it makes (call 1, 2, ... until it succeeds without the
 * fault), and must return the injected code with no mapping, thread or fd
 * left and its outputs untouched. Under an emulator (qemu-user) and TSan,
 * where a child costs twenty times more, only the first call of each slot
 * is failed, and the log says so. Also: a bad VMOSAL_FAULTS refuses the
 * load. */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "testutil.h"
#include "vmosal.h"

#define MIB ((size_t)1 << 20)
#define MAX_CALLS 64
#define MAX_SLOTS 10

/* What a child shares with its operation. */
struct fixture {
	size_t page;
	void *addr;      /* a mapping or reservation from setup */
	size_t size;
	vmosal_handle_t handle;
	struct vmosal_jit jit;
	size_t cpu;      /* a CPU the caller may run on */
	vmosal_signal_handler_t *sh;
	/* The device half (ABI 2.5): a wait set, a channel pair or a
	 * listener's name, and the handles held before setup made them. */
	vmosal_waitset_t *ws;
	vmosal_handle_t pair[2];
	char name[108];
	long handles_before;
	bool lacking; /* setup found the backend without the calls */
	/* The operation's output, poisoned before; aligned for any struct
	 * the operation writes there. */
	_Alignas(16) unsigned char out[512];
};

struct op_case {
	const char *name;
	/* Slots the operation reaches; each is failed call by call. */
	const char *slots[MAX_SLOTS];
	/* Slot failures the core is documented to absorb (a fallback), so
	 * the operation may succeed with the fault hit: "slot" for every call
	 * of it, "slot:N" for its Nth call only. */
	const char *absorbs[MAX_SLOTS];
	void (*setup)(struct fixture *fx);
	int (*run)(struct fixture *fx);
	/* Checks the state the operation would have changed; may be NULL. */
	void (*unchanged)(struct fixture *fx, const void *before);
	void (*snapshot)(struct fixture *fx, void *out);
	/* A close: it releases what it closes even when it fails (as Linux's
	 * close does), so `unchanged` checks that instead of the process's
	 * mappings and descriptors staying as they were. */
	bool releases;
	/* Why the core does not yet report this slot's failure, where it
	 * returns 0 with the fault hit: the case then skips with the reason
	 * instead of failing. NULL: it must report it. */
	const char *unreported;
};

/* Only the first call of each slot is failed (below). */
static bool subset(void);

/* Gets "<Nth-call cases> <every-call cases>\n" per operation; main()
 * prints the totals. */
static int count_fd = -1;

/* ---- what a failure must leave as it was ---- */

struct proc_state {
	char *maps;
	int tasks;
	int fds;
};

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A sanitizer's allocator maps, unmaps and moves anonymous memory as it
 * likes (its reserved regions shrink as it commits more): under one, only
 * mappings of an object (memfds, files) are compared. Anonymous leaks are
 * left to the plain and valgrind runs, which compare every mapping. */
static bool ignored_mapping(const char *line, size_t len)
{
#ifdef VMOSAL_TEST_SANITIZED
	char perms[5] = "", copy[512];
	int name = 0;

	/* "start-end perms offset dev inode [name]" */
	snprintf(copy, sizeof copy, "%.*s", (int)len, line);
	if (sscanf(copy, "%*s %4s %*s %*s %*s %n", perms, &name) != 1 || name == 0)
		return false;
	return copy[name] == '\0' || copy[name] == '\n';
#else
	(void)line;
	(void)len;
	return false;
#endif
}

/* /proc/self/maps without the main stack and the heap, whose ends move
 * with every call. */
static char *read_maps(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	char *text, *src, *dst;

	ck_assert_int_ge(fd, 0);
	text = vmosal_test_read_all(fd);
	close(fd);
	ck_assert_ptr_nonnull(text);
	for (src = dst = text; *src != '\0';) {
		char *end = strchr(src, '\n');
		size_t len = end != NULL ? (size_t)(end - src) + 1 : strlen(src);

		if (memmem(src, len, "[stack]", 7) == NULL &&
		    memmem(src, len, "[heap]", 6) == NULL && !ignored_mapping(src, len)) {
			memmove(dst, src, len);
			dst += len;
		}
		src += len;
	}
	*dst = '\0';
	return text;
}

static bool has_line(const char *text, const char *line, size_t len)
{
	for (const char *p = text; (p = memmem(p, strlen(p), line, len)) != NULL; p++)
		if (p == text || p[-1] == '\n')
			return true;
	return false;
}

/* Prints the lines of `in` that `other` lacks. */
#ifndef __GLIBC__
/* An anonymous read-write mapping's start and end; false for others. */
static bool anon_rw(const char *line, size_t len, unsigned long *start, unsigned long *end)
{
	char perms[5] = "", copy[512];
	int name = 0;

	snprintf(copy, sizeof copy, "%.*s", (int)len, line);
	if (sscanf(copy, "%lx-%lx %4s %*s %*s %*s %n", start, end, perms, &name) != 3 ||
	    name == 0)
		return false;
	return strcmp(perms, "rw-p") == 0 && (copy[name] == '\0' || copy[name] == '\n');
}

static size_t lines_missing(const char *in, const char *other)
{
	size_t n = 0;

	for (const char *line = in; *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t len = end != NULL ? (size_t)(end - line) + 1 : strlen(line);

		n += !has_line(other, line, len);
		line += len;
	}
	return n;
}
#endif

/* True when after differs from before only where the C library's
 * allocator grew an anonymous read-write mapping by a few pages at one
 * end: musl's maps its bookkeeping a page at a time, and the kernel
 * merges a page next to an earlier mapping into it. glibc's comes from
 * the heap, which read_maps leaves out, so there any difference counts. */
static bool only_allocator_growth(const char *before, const char *after)
{
#ifdef __GLIBC__
	(void)before;
	(void)after;
	return false;
#else
	const unsigned long slack = 16 * 1024;
	size_t grown_count = 0;

	for (const char *line = after; *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t len = end != NULL ? (size_t)(end - line) + 1 : strlen(line);
		unsigned long s, e, s0, e0;
		bool grown = false;

		if (!has_line(before, line, len)) {
			if (!anon_rw(line, len, &s, &e))
				return false;
			for (const char *old = before; *old != '\0' && !grown;) {
				const char *oe = strchr(old, '\n');
				size_t olen = oe != NULL ? (size_t)(oe - old) + 1 : strlen(old);

				grown = !has_line(after, old, olen) && anon_rw(old, olen, &s0, &e0) &&
					((e == e0 && s < s0 && s0 - s <= slack) ||
					 (s == s0 && e > e0 && e - e0 <= slack));
				old += olen;
			}
			if (!grown)
				return false;
			grown_count++;
		}
		line += len;
	}
	/* Each grown mapping's old line is gone, and nothing else is. */
	return grown_count > 0 && lines_missing(before, after) == grown_count;
#endif
}

static void print_missing(const char *what, const char *in, const char *other)
{
	for (const char *line = in; *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t len = end != NULL ? (size_t)(end - line) + 1 : strlen(line);

		if (!has_line(other, line, len))
			fprintf(stderr, "%s: %.*s", what, (int)len, line);
		line += len;
	}
}

/* Threads of this process, once at most `want`: a joined thread leaves
 * /proc a moment after pthread_join returns. */
static int count_tasks(int want)
{
	int n = count_dir("/proc/self/task");

	for (int i = 0; i < 200 && n > want; i++) {
		usleep(5000);
		n = count_dir("/proc/self/task");
	}
	return n;
}

static void proc_state_read(struct proc_state *st, int want_tasks)
{
	st->tasks = count_tasks(want_tasks);
	st->maps = read_maps();
	st->fds = (int)vmosal_test_handle_count();
}

/* ---- the operations ---- */

static const unsigned char poison = 0xa5;

static void poison_out(struct fixture *fx, uint32_t struct_size)
{
	memset(fx->out, poison, sizeof fx->out);
	memcpy(fx->out, &struct_size, sizeof struct_size);
}

static void out_untouched(struct fixture *fx, uint32_t struct_size)
{
	uint32_t size;

	memcpy(&size, fx->out, sizeof size);
	ck_assert_uint_eq(size, struct_size);
	for (size_t i = sizeof size; i < sizeof fx->out; i++)
		ck_assert_msg(fx->out[i] == poison, "output byte %zu written on failure", i);
}

static void setup_mapping(struct fixture *fx)
{
	fx->size = 4 * fx->page;
	ck_assert_int_eq(vmosal_mmap(NULL, fx->size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS, VMOSAL_NO_HANDLE,
				     0, &fx->addr),
			 0);
	memset(fx->addr, 0x5a, fx->size);
}

static void setup_shared_file_mapping(struct fixture *fx)
{
	fx->size = 4 * fx->page;
	ck_assert_int_eq(vmosal_shm_create("faults", fx->size, 0, 0, &fx->handle), 0);
	ck_assert_int_eq(vmosal_mmap(NULL, fx->size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_SHARED, fx->handle, 0, &fx->addr),
			 0);
	memset(fx->addr, 0x5a, fx->size);
}

static void setup_reservation(struct fixture *fx)
{
	fx->size = 4 * fx->page;
	ck_assert_int_eq(vmosal_mem_reserve(fx->size, 0, &fx->addr), 0);
}

static void setup_jit(struct fixture *fx)
{
	fx->jit = (struct vmosal_jit)VMOSAL_STRUCT_INIT(struct vmosal_jit);
	ck_assert_int_eq(vmosal_jit_create(fx->page, &fx->jit), 0);
}

static void setup_out_ptr(struct fixture *fx)
{
	poison_out(fx, 0);
}

static void ptr_out_untouched(struct fixture *fx, const void *before)
{
	(void)before;
	out_untouched(fx, 0);
}

/* The close released the handle although it reported an error. */
static void handle_released(struct fixture *fx, const void *before)
{
	(void)before;
	errno = 0;
	ck_assert_msg(fcntl(fx->handle, F_GETFD) == -1 && errno == EBADF,
		      "a failed close left descriptor %d open", fx->handle);
}

/* The mapping's contents and protection are what setup left. */
static void mapping_unchanged(struct fixture *fx, const void *before)
{
	(void)before;
	for (size_t i = 0; i < fx->size; i++)
		ck_assert_msg(((unsigned char *)fx->addr)[i] == 0x5a, "contents changed at %zu", i);
}

static int op_mmap(struct fixture *fx)
{
	return vmosal_mmap(NULL, 2 * MIB, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
			   VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS, VMOSAL_NO_HANDLE, 0,
			   (void **)fx->out);
}

static int op_munmap(struct fixture *fx)
{
	return vmosal_munmap(fx->addr, fx->size);
}

static int op_mprotect(struct fixture *fx)
{
	return vmosal_mprotect(fx->addr, fx->size, VMOSAL_PROT_READ);
}

static int op_madvise(struct fixture *fx)
{
	return vmosal_mem_advise(fx->addr, fx->size, VMOSAL_MADV_DONTNEED);
}

static int op_mlock(struct fixture *fx)
{
	return vmosal_mem_lock(fx->addr, fx->page);
}

static void setup_locked_mapping(struct fixture *fx)
{
	setup_mapping(fx);
	/* Where the lock limit forbids it, munlock still has a page to unlock. */
	(void)vmosal_mem_lock(fx->addr, fx->page);
}

static int op_munlock(struct fixture *fx)
{
	return vmosal_mem_unlock(fx->addr, fx->page);
}

static int op_msync(struct fixture *fx)
{
	return vmosal_mem_sync(fx->addr, fx->size, VMOSAL_MS_SYNC);
}

static int op_mem_reserve(struct fixture *fx)
{
	return vmosal_mem_reserve(2 * MIB, 2 * MIB, (void **)fx->out);
}

static int op_mem_map_reserved(struct fixture *fx)
{
	return vmosal_mem_map_reserved(fx->addr, fx->size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				       VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS,
				       VMOSAL_NO_HANDLE, 0);
}

static int op_mem_release(struct fixture *fx)
{
	return vmosal_mem_release(fx->addr, fx->size);
}

static int op_shm_create(struct fixture *fx)
{
	return vmosal_shm_create("faults", 4 * fx->page, VMOSAL_SHM_SEAL, 0,
				 (vmosal_handle_t *)fx->out);
}

static void setup_jit_out(struct fixture *fx)
{
	poison_out(fx, sizeof(struct vmosal_jit));
}

static void jit_out_untouched(struct fixture *fx, const void *before)
{
	(void)before;
	out_untouched(fx, sizeof(struct vmosal_jit));
}

static int op_jit_create(struct fixture *fx)
{
	return vmosal_jit_create(fx->page, (struct vmosal_jit *)fx->out);
}

static int op_jit_destroy(struct fixture *fx)
{
	return vmosal_jit_destroy(&fx->jit);
}

static void jit_unchanged(struct fixture *fx, const void *before)
{
	(void)before;
	ck_assert_ptr_nonnull(fx->jit.rw);
	ck_assert_ptr_nonnull(fx->jit.rx);
	ck_assert_uint_eq(fx->jit.size, fx->page);
	/* Still writable: two views on this host, rw writable outside any
	 * window. */
	((volatile unsigned char *)fx->jit.rw)[0] = 0xc3;
}

/* A failed begin left no window open: ending one is refused before any
 * slot is asked. */
static void jit_no_window(struct fixture *fx, const void *before)
{
	jit_unchanged(fx, before);
	ck_assert_int_eq(vmosal_jit_write_end(&fx->jit), VMOSAL_EINVAL);
}

static int op_jit_write_begin(struct fixture *fx)
{
	return vmosal_jit_write_begin(&fx->jit);
}

/* A window opened before the fault: a failed end leaves it open. */
static void setup_jit_window(struct fixture *fx)
{
	setup_jit(fx);
	ck_assert_int_eq(vmosal_jit_write_begin(&fx->jit), 0);
}

static int op_jit_write_end(struct fixture *fx)
{
	return vmosal_jit_write_end(&fx->jit);
}

/* Still open: ending it asks the backend again (which may fail again
 * while every call is failed), instead of being refused as unopened. */
static void jit_window_still_open(struct fixture *fx, const void *before)
{
	jit_unchanged(fx, before);
	ck_assert_int_ne(vmosal_jit_write_end(&fx->jit), VMOSAL_EINVAL);
}

/* ---- guest RAM ---- */

static void setup_guest_out(struct fixture *fx)
{
	poison_out(fx, sizeof(struct vmosal_guest_ram));
}

static void guest_out_untouched(struct fixture *fx, const void *before)
{
	(void)before;
	out_untouched(fx, sizeof(struct vmosal_guest_ram));
}

static int guest_ram(unsigned flags, uint32_t pages, size_t guard, struct fixture *fx)
{
	struct vmosal_guest_ram_options o = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram_options);

	o.flags = flags;
	o.pages = pages;
	o.guard_size = guard;
	o.threads = 2;
	return vmosal_guest_ram_create(4 * MIB, &o, (struct vmosal_guest_ram *)fx->out);
}

static void setup_guest_ram(struct fixture *fx)
{
	struct vmosal_guest_ram *ram = (struct vmosal_guest_ram *)fx->out;

	*ram = (struct vmosal_guest_ram)VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
	ck_assert_int_eq(vmosal_guest_ram_create(4 * MIB, NULL, ram), 0);
	memset(ram->addr, 0x5a, ram->size);
}

static int op_guest_free(struct fixture *fx)
{
	return vmosal_guest_ram_destroy((struct vmosal_guest_ram *)fx->out);
}

/* *ram as it was, its memory still there. */
static void guest_ram_unchanged(struct fixture *fx, const void *before)
{
	const struct vmosal_guest_ram *ram = (const struct vmosal_guest_ram *)fx->out;

	(void)before;
	ck_assert_ptr_nonnull(ram->addr);
	ck_assert_ptr_nonnull(ram->map_base);
	ck_assert_uint_eq(ram->size, 4 * MIB);
	for (size_t i = 0; i < ram->size; i += fx->page)
		ck_assert_uint_eq(((unsigned char *)ram->addr)[i], 0x5a);
}

static int op_guest_discard(struct fixture *fx)
{
	return vmosal_guest_ram_discard((struct vmosal_guest_ram *)fx->out, 0, 2 * fx->page);
}

static void setup_guest_ram_fd(struct fixture *fx)
{
	struct vmosal_guest_ram *ram = (struct vmosal_guest_ram *)fx->out;
	struct vmosal_guest_ram_options o = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram_options);

	o.flags = VMOSAL_GUEST_FD;
	*ram = (struct vmosal_guest_ram)VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
	ck_assert_int_eq(vmosal_guest_ram_create(4 * MIB, &o, ram), 0);
	fx->handle = ram->handle;
}

/* A failed close of its handle: the RAM is gone, *ram cleared, the handle
 * released, and the error was returned (checked by the caller). */
static void guest_ram_freed(struct fixture *fx, const void *before)
{
	const struct vmosal_guest_ram *ram = (const struct vmosal_guest_ram *)fx->out;

	ck_assert_ptr_null(ram->addr);
	ck_assert_ptr_null(ram->map_base);
	ck_assert_int_eq(ram->handle, VMOSAL_NO_HANDLE);
	handle_released(fx, before);
}

static int op_guest_plain(struct fixture *fx)
{
	return vmosal_guest_ram_create(4 * MIB, NULL, (struct vmosal_guest_ram *)fx->out);
}

static int op_guest_fd(struct fixture *fx)
{
	return guest_ram(VMOSAL_GUEST_FD, VMOSAL_PAGES_DEFAULT, 0, fx);
}

static void count_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)done;
	(void)total;
	atomic_fetch_add((_Atomic unsigned *)ctx, 1);
}

static _Atomic unsigned progress_calls;

static int op_guest_prealloc(struct fixture *fx)
{
	struct vmosal_guest_ram_options o = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram_options);

	o.flags = VMOSAL_GUEST_PREALLOC;
	o.threads = 2;
	o.progress = count_progress;
	o.progress_ctx = (void *)&progress_calls;
	return vmosal_guest_ram_create(4 * MIB, &o, (struct vmosal_guest_ram *)fx->out);
}

static int op_guest_guards(struct fixture *fx)
{
	return guest_ram(VMOSAL_GUEST_DONTDUMP | VMOSAL_GUEST_SHARED, VMOSAL_PAGES_BASE,
			 2 * fx->page, fx);
}

static int op_guest_thp(struct fixture *fx)
{
	return guest_ram(0, VMOSAL_PAGES_THP, 0, fx);
}

/* ---- threads ---- */

static void *idle_thread(void *arg)
{
	return arg;
}

static void setup_thread_out(struct fixture *fx)
{
	cpu_set_t set;

	ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
	for (fx->cpu = 0; !CPU_ISSET(fx->cpu, &set); fx->cpu++)
		;
	poison_out(fx, 0);
}

static int op_thread_create(struct fixture *fx)
{
	struct vmosal_thread_opts o = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);

	o.name = "faulty-vcpu";
	o.cpus = &fx->cpu;
	o.ncpus = 1;
	o.set_priority = true;
	o.priority = VMOSAL_PRIORITY_NORMAL;
	return vmosal_thread_create(&o, idle_thread, NULL, (vmosal_thread_t **)fx->out);
}

/* What the setters below must leave alone: the caller's affinity,
 * priority and name. */
struct thread_state {
	cpu_set_t cpus;
	int nice;
	char name[32];
};

static void thread_snapshot(struct fixture *fx, void *out)
{
	struct thread_state *ts = out;

	(void)fx;
	ck_assert_int_eq(sched_getaffinity(0, sizeof ts->cpus, &ts->cpus), 0);
	errno = 0;
	ts->nice = getpriority(PRIO_PROCESS, (id_t)gettid());
	ck_assert_int_eq(errno, 0);
	ck_assert_int_eq(pthread_getname_np(pthread_self(), ts->name, sizeof ts->name), 0);
}

static void thread_unchanged(struct fixture *fx, const void *before)
{
	struct thread_state now;
	const struct thread_state *then = before;

	thread_snapshot(fx, &now);
	ck_assert_msg(CPU_EQUAL(&now.cpus, &then->cpus), "affinity changed on failure");
	ck_assert_int_eq(now.nice, then->nice);
	ck_assert_str_eq(now.name, then->name);
}

static int op_set_affinity(struct fixture *fx)
{
	return vmosal_thread_set_affinity(VMOSAL_TID_SELF, &fx->cpu, 1);
}

/* LOW: lowering one's own priority needs no privilege. */
static int op_set_priority(struct fixture *fx)
{
	(void)fx;
	return vmosal_thread_set_priority(VMOSAL_TID_SELF, VMOSAL_PRIORITY_LOW);
}

static int op_set_name(struct fixture *fx)
{
	(void)fx;
	return vmosal_thread_set_name(VMOSAL_TID_SELF, "renamed");
}

/* ---- host queries ---- */

#define OUT_OP(fn, type)                                              \
	static void setup_##fn(struct fixture *fx)                    \
	{                                                             \
		poison_out(fx, sizeof(type));                         \
	}                                                             \
	static void fn##_untouched(struct fixture *fx, const void *b) \
	{                                                             \
		(void)b;                                              \
		out_untouched(fx, sizeof(type));                      \
	}

OUT_OP(huge_page_sizes, struct vmosal_huge_page_sizes)
OUT_OP(huge_page_pool, struct vmosal_huge_page_pool)
OUT_OP(host_memory, struct vmosal_host_memory)
OUT_OP(accel_probe, struct vmosal_accel_status)
OUT_OP(host_caps, struct vmosal_host_caps)

static int op_huge_page_sizes(struct fixture *fx)
{
	return vmosal_huge_page_sizes((struct vmosal_huge_page_sizes *)fx->out);
}

static int op_huge_page_pool(struct fixture *fx)
{
	return vmosal_huge_page_pool(0, (struct vmosal_huge_page_pool *)fx->out);
}

static int op_host_memory(struct fixture *fx)
{
	return vmosal_host_memory((struct vmosal_host_memory *)fx->out);
}

static int op_accel_probe(struct fixture *fx)
{
	return vmosal_accel_probe(VMOSAL_ACCEL_KVM, (struct vmosal_accel_status *)fx->out);
}

static int op_host_caps(struct fixture *fx)
{
	return vmosal_host_caps((struct vmosal_host_caps *)fx->out);
}

/* The getters write nothing when they fail: outputs after a zero word. */
static void out_after_word_untouched(struct fixture *fx, const void *before)
{
	(void)before;
	out_untouched(fx, 0);
}

static int op_get_name(struct fixture *fx)
{
	return vmosal_thread_get_name(VMOSAL_TID_SELF, (char *)fx->out + 8, 64);
}

static int op_current_cpu(struct fixture *fx)
{
	return vmosal_thread_current_cpu((size_t *)(fx->out + 8));
}

static int op_get_affinity(struct fixture *fx)
{
	return vmosal_thread_get_affinity(VMOSAL_TID_SELF, (size_t *)(fx->out + 16), 32,
					  (size_t *)(fx->out + 8));
}

static int op_get_priority(struct fixture *fx)
{
	return vmosal_thread_get_priority(VMOSAL_TID_SELF,
					  (enum vmosal_priority *)(fx->out + 8));
}

/* ---- ABI 2.1: signals, the fault guard, kicks, events, devices ---- */

/* What the signal calls below must leave alone. */
struct signal_state {
	struct sigaction usr1, segv, bus;
	sigset_t mask;
};

static void signal_snapshot(struct fixture *fx, void *out)
{
	struct signal_state *ss = out;

	(void)fx;
	memset(ss, 0, sizeof *ss);
	ck_assert_int_eq(sigaction(SIGUSR1, NULL, &ss->usr1), 0);
	ck_assert_int_eq(sigaction(SIGSEGV, NULL, &ss->segv), 0);
	ck_assert_int_eq(sigaction(SIGBUS, NULL, &ss->bus), 0);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, NULL, &ss->mask), 0);
}

static void same_action(const char *name, const struct sigaction *now,
			const struct sigaction *then)
{
	/* The C library adds flags of its own (SA_RESTORER) to what it
	 * reports of a disposition it installed. */
	const int flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK | SA_NODEFER | SA_RESETHAND;

	ck_assert_msg(now->sa_handler == then->sa_handler &&
			      (now->sa_flags & flags) == (then->sa_flags & flags),
		      "the %s disposition changed on failure", name);
}

static void signals_unchanged(struct fixture *fx, const void *before)
{
	struct signal_state now;
	const struct signal_state *then = before;

	signal_snapshot(fx, &now);
	same_action("SIGUSR1", &now.usr1, &then->usr1);
	same_action("SIGSEGV", &now.segv, &then->segv);
	same_action("SIGBUS", &now.bus, &then->bus);
	for (int sig = 1; sig < SIGRTMIN; sig++)
		ck_assert_msg(sigismember(&now.mask, sig) == sigismember(&then->mask, sig),
			      "signal %d's blocking changed on failure", sig);
}

static void signals_and_out_unchanged(struct fixture *fx, const void *before)
{
	signals_unchanged(fx, before);
	out_untouched(fx, 0);
}

static const enum vmosal_signal usr1 = VMOSAL_SIGUSR1;

static int op_signal_handle(struct fixture *fx)
{
	return vmosal_signal_add_handler(VMOSAL_SIGUSR1, vmosal_test_decline_signal, NULL,
				    (vmosal_signal_handler_t **)fx->out);
}

static void setup_signal_handled(struct fixture *fx)
{
	ck_assert_int_eq(vmosal_signal_add_handler(VMOSAL_SIGUSR1, vmosal_test_decline_signal, NULL,
						   &fx->sh),
			 0);
}

static int op_signal_unhandle(struct fixture *fx)
{
	return vmosal_signal_remove_handler(fx->sh);
}

static int op_signal_block(struct fixture *fx)
{
	(void)fx;
	return vmosal_signal_block(&usr1, 1);
}

OUT_OP(siginfo, struct vmosal_siginfo)

static int op_signal_wait(struct fixture *fx)
{
	return vmosal_signal_wait(&usr1, 1, 0, (struct vmosal_siginfo *)fx->out);
}

static int op_signal_fd_create(struct fixture *fx)
{
	return vmosal_signal_fd_create(&usr1, 1, (vmosal_handle_t *)fx->out);
}

static void setup_signal_fd(struct fixture *fx)
{
	ck_assert_int_eq(vmosal_signal_block(&usr1, 1), 0);
	ck_assert_int_eq(vmosal_signal_fd_create(&usr1, 1, &fx->handle), 0);
	setup_siginfo(fx);
}

static int op_signal_fd_read(struct fixture *fx)
{
	return vmosal_signal_fd_read(fx->handle, (struct vmosal_siginfo *)fx->out);
}

static int op_signal_fd_close(struct fixture *fx)
{
	return vmosal_handle_close(fx->handle);
}

static _Atomic int guarded_runs;

static int guarded(void *arg)
{
	(void)arg;
	atomic_fetch_add(&guarded_runs, 1);
	return 7;
}

static void setup_fault_out(struct fixture *fx)
{
	poison_out(fx, sizeof(struct vmosal_siginfo));
}

static void guard_unchanged(struct fixture *fx, const void *before)
{
	signals_unchanged(fx, before);
	out_untouched(fx, sizeof(struct vmosal_siginfo));
}

static void fault_out_untouched(struct fixture *fx, const void *before)
{
	(void)before;
	out_untouched(fx, sizeof(struct vmosal_siginfo));
}

/* 0 once fn ran and its 7 came back. */
static int op_fault_guard(struct fixture *fx)
{
	int rc = vmosal_fault_guard(guarded, NULL, (struct vmosal_siginfo *)fx->out);

	return rc == 7 ? 0 : rc;
}

static volatile uint8_t exit_byte;

static int op_kick_register(struct fixture *fx)
{
	struct vmosal_kick_target k = VMOSAL_STRUCT_INIT(struct vmosal_kick_target);

	(void)fx;
	k.immediate_exit = &exit_byte;
	return vmosal_thread_kick_register(&k);
}

static void not_registered(struct fixture *fx, const void *before)
{
	(void)fx;
	(void)before;
	ck_assert_int_eq(vmosal_thread_kick_unregister(), VMOSAL_ENOENT);
}

static void setup_kick_target(struct fixture *fx)
{
	ck_assert_int_eq(op_kick_register(fx), 0);
}

static int op_kick_self(struct fixture *fx)
{
	(void)fx;
	return vmosal_thread_kick(VMOSAL_TID_SELF);
}

static int op_event_create(struct fixture *fx)
{
	return vmosal_event_create(0, (vmosal_handle_t *)fx->out);
}

static void setup_event(struct fixture *fx)
{
	ck_assert_int_eq(vmosal_event_create(0, &fx->handle), 0);
}

static void setup_signalled_event(struct fixture *fx)
{
	setup_event(fx);
	ck_assert_int_eq(vmosal_event_notify(fx->handle), 0);
}

/* Whether the event is signalled, asked of the OS (an eventfd here), so
 * that no slot is called and none can fail. */
static bool event_is_signalled(vmosal_handle_t h)
{
	struct pollfd p = {.fd = h, .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

static void event_still_clear(struct fixture *fx, const void *before)
{
	(void)before;
	ck_assert_msg(!event_is_signalled(fx->handle), "a failed signal signalled the event");
}

static void event_still_signalled(struct fixture *fx, const void *before)
{
	(void)before;
	ck_assert_msg(event_is_signalled(fx->handle), "a failed wait reset the event");
}

static int op_event_notify(struct fixture *fx)
{
	return vmosal_event_notify(fx->handle);
}

static int op_event_wait(struct fixture *fx)
{
	return vmosal_event_wait(fx->handle, 0);
}

static int op_event_close(struct fixture *fx)
{
	return vmosal_handle_close(fx->handle);
}

static int op_clock(struct fixture *fx)
{
	return vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, (uint64_t *)(fx->out + 8));
}

static int op_sleep(struct fixture *fx)
{
	(void)fx;
	return vmosal_sleep_ns(1000);
}

static int op_device_open(struct fixture *fx)
{
	return vmosal_device_open("/dev/null", VMOSAL_DEVICE_READ, (vmosal_handle_t *)fx->out);
}

static void setup_device(struct fixture *fx)
{
	ck_assert_int_eq(vmosal_device_open("/dev/null", VMOSAL_DEVICE_READ, &fx->handle), 0);
	poison_out(fx, 0);
}

/* Any request: /dev/null answers none, and the fault comes first. */
static int op_ioctl(struct fixture *fx)
{
	return vmosal_ioctl(fx->handle, VMOSAL_IO(0xae, 0x00), NULL, 0, (int *)(fx->out + 8));
}

static int op_device_close(struct fixture *fx)
{
	return vmosal_handle_close(fx->handle);
}

static int op_process_id(struct fixture *fx)
{
	return vmosal_process_id((uint64_t *)(fx->out + 8));
}

/* ---- ABI 2.5: wait sets, timers, event counts, channels ---- */

/* A setup step of the device half: on a backend without it the operation
 * answers ENOTSUP, and run_case skips the case, saying so. */
#define DEVICE_SETUP(fx, call)                                                         \
	do {                                                                           \
		int rc_ = (call);                                                      \
		if (rc_ == VMOSAL_ENOTSUP) {                                           \
			(fx)->lacking = true;                                          \
			return;                                                        \
		}                                                                      \
		ck_assert_msg(rc_ == 0, "%s: %s", #call, vmosal_err_name(rc_));        \
	} while (0)
#define DEVICE_RUN(fx)                              \
	do {                                        \
		if ((fx)->lacking)                  \
			return VMOSAL_ENOTSUP;      \
	} while (0)

/* The handle a descriptor-level check looks at. */
static int fd_of(vmosal_handle_t h)
{
	return (int)(intptr_t)h;
}

static bool readable(vmosal_handle_t h)
{
	struct pollfd p = {.fd = fd_of(h), .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

static int op_waitset_create(struct fixture *fx)
{
	return vmosal_waitset_create(0, (vmosal_waitset_t **)fx->out);
}

static void setup_waitset(struct fixture *fx)
{
	fx->handles_before = vmosal_test_handle_count();
	DEVICE_SETUP(fx, vmosal_waitset_create(0, &fx->ws));
	poison_out(fx, 0);
}

/* A set, and a signalled event that is not in it. */
static void setup_waitset_event(struct fixture *fx)
{
	setup_waitset(fx);
	if (fx->lacking)
		return;
	setup_signalled_event(fx);
}

static void setup_waitset_member(struct fixture *fx)
{
	setup_waitset_event(fx);
	if (fx->lacking)
		return;
	ck_assert_int_eq(vmosal_waitset_add(fx->ws, fx->handle, VMOSAL_WAIT_READABLE, 7), 0);
}

/* Whether a wait (a slot other than the one failed) reports the event. */
static bool waitset_reports_event(struct fixture *fx)
{
	struct vmosal_wait_event ready[2];
	size_t n = 0;
	int rc = vmosal_waitset_wait(fx->ws, 0, ready, 2, &n);

	ck_assert_msg(rc == 0 || rc == VMOSAL_ETIMEDOUT, "wait: %s", vmosal_err_name(rc));
	return rc == 0 && n == 1 && ready[0].token == 7;
}

static int op_waitset_add(struct fixture *fx)
{
	DEVICE_RUN(fx);
	return vmosal_waitset_add(fx->ws, fx->handle, VMOSAL_WAIT_READABLE, 7);
}

static void waitset_event_not_added(struct fixture *fx, const void *before)
{
	(void)before;
	ck_assert_msg(!waitset_reports_event(fx), "a failed add put the event in the set");
}

static int op_waitset_remove(struct fixture *fx)
{
	DEVICE_RUN(fx);
	return vmosal_waitset_remove(fx->ws, fx->handle);
}

static void waitset_event_still_member(struct fixture *fx, const void *before)
{
	(void)before;
	ck_assert_msg(waitset_reports_event(fx), "a failed remove took the event out");
}

static int op_waitset_wait(struct fixture *fx)
{
	DEVICE_RUN(fx);
	return vmosal_waitset_wait(fx->ws, 0, (struct vmosal_wait_event *)(fx->out + 16), 4,
				   (size_t *)(fx->out + 8));
}

/* *n is 0 (documented), ready[] untouched, the event still signalled. */
static void waitset_wait_unchanged(struct fixture *fx, const void *before)
{
	size_t n;

	(void)before;
	memcpy(&n, fx->out + 8, sizeof n);
	ck_assert_uint_eq(n, 0);
	memset(fx->out + 8, poison, sizeof n);
	out_untouched(fx, 0);
	ck_assert_msg(event_is_signalled(fx->handle), "a failed wait reset the event");
}

static int op_waitset_destroy(struct fixture *fx)
{
	DEVICE_RUN(fx);
	return vmosal_waitset_destroy(fx->ws);
}

/* The set is gone even when destroy reports an error: its descriptor too. */
static void waitset_released(struct fixture *fx, const void *before)
{
	long now = vmosal_test_handle_count();

	(void)before;
	ck_assert_msg(now == fx->handles_before, "%ld handles before the set, %ld after a failed "
		      "destroy", fx->handles_before, now);
}

static int op_timer_create(struct fixture *fx)
{
	return vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, (vmosal_handle_t *)fx->out);
}

static void setup_timer(struct fixture *fx)
{
	DEVICE_SETUP(fx, vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &fx->handle));
	poison_out(fx, 0);
}

static int op_timer_arm(struct fixture *fx)
{
	DEVICE_RUN(fx);
	return vmosal_timer_arm(fx->handle, UINT64_C(3600000000000), 0);
}

/* Still disarmed (Linux: a timerfd, asked directly so no slot runs). */
static void timer_still_disarmed(struct fixture *fx, const void *before)
{
	struct itimerspec its;

	(void)before;
	ck_assert_int_eq(timerfd_gettime(fd_of(fx->handle), &its), 0);
	ck_assert_msg(its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0,
		      "a failed arm armed the timer");
}

/* A timer that has expired once. */
static void setup_expired_timer(struct fixture *fx)
{
	struct pollfd p;

	setup_timer(fx);
	if (fx->lacking)
		return;
	ck_assert_int_eq(vmosal_timer_arm(fx->handle, 0, 0), 0);
	p = (struct pollfd){.fd = fd_of(fx->handle), .events = POLLIN};
	ck_assert_int_eq(poll(&p, 1, 10000), 1);
}

static int op_timer_read(struct fixture *fx)
{
	DEVICE_RUN(fx);
	return vmosal_timer_read(fx->handle, (uint64_t *)(fx->out + 8));
}

static void still_readable(struct fixture *fx, const void *before)
{
	(void)before;
	out_untouched(fx, 0);
	ck_assert_msg(readable(fx->handle), "a failed read took the count");
}

static int op_event_read(struct fixture *fx)
{
	return vmosal_event_read(fx->handle, (uint64_t *)(fx->out + 8));
}

static void setup_signalled_event_out(struct fixture *fx)
{
	setup_signalled_event(fx);
	poison_out(fx, 0);
}

static int op_channel_pair(struct fixture *fx)
{
	return vmosal_channel_pair(0, (vmosal_handle_t *)(fx->out + 8));
}

static void setup_pair(struct fixture *fx)
{
	DEVICE_SETUP(fx, vmosal_channel_pair(0, fx->pair));
	poison_out(fx, 0);
}

/* A name of this child's own, under /tmp (a socket path). */
static void channel_name(struct fixture *fx)
{
	snprintf(fx->name, sizeof fx->name, "/tmp/vmosal-faults-%ld.sock", (long)getpid());
	unlink(fx->name);
	poison_out(fx, 0);
}

static int op_channel_listen(struct fixture *fx)
{
	vmosal_handle_t *out = (vmosal_handle_t *)(fx->out + 8);
	int rc = vmosal_channel_listen(fx->name, 0, out);

	/* Closing removes the socket file (not failed: another slot). */
	if (rc == 0)
		(void)vmosal_handle_close(*out);
	return rc;
}

static void no_socket_file(struct fixture *fx, const void *before)
{
	(void)before;
	out_untouched(fx, 0);
	ck_assert_msg(access(fx->name, F_OK) != 0, "a failed listen left %s", fx->name);
}

/* A listener in fx->handle. */
static void setup_listener(struct fixture *fx)
{
	channel_name(fx);
	DEVICE_SETUP(fx, vmosal_channel_listen(fx->name, 0, &fx->handle));
	poison_out(fx, 0);
}

static int op_channel_connect(struct fixture *fx)
{
	DEVICE_RUN(fx);
	return vmosal_channel_connect(fx->name, 0, (vmosal_handle_t *)(fx->out + 8));
}

/* Nobody came: the listener has no connection waiting. */
static void nobody_connected(struct fixture *fx, const void *before)
{
	vmosal_handle_t ch = VMOSAL_NO_HANDLE;

	(void)before;
	out_untouched(fx, 0);
	ck_assert_int_eq(vmosal_channel_accept(fx->handle, 0, &ch), VMOSAL_ETIMEDOUT);
}

/* A listener with one connection waiting (its client end in pair[0]). */
static void setup_pending_connection(struct fixture *fx)
{
	setup_listener(fx);
	if (fx->lacking)
		return;
	ck_assert_int_eq(vmosal_channel_connect(fx->name, 0, &fx->pair[0]), 0);
}

static int op_channel_accept(struct fixture *fx)
{
	DEVICE_RUN(fx);
	return vmosal_channel_accept(fx->handle, 0, (vmosal_handle_t *)(fx->out + 8));
}

/* The connection still waits to be accepted. */
static void connection_still_pending(struct fixture *fx, const void *before)
{
	(void)before;
	out_untouched(fx, 0);
	ck_assert_msg(readable(fx->handle), "a failed accept took the connection");
}

/* A pair, and an event to send over it. */
static void setup_pair_event(struct fixture *fx)
{
	setup_pair(fx);
	if (fx->lacking)
		return;
	setup_event(fx);
}

static int op_channel_send(struct fixture *fx)
{
	DEVICE_RUN(fx);
	return vmosal_channel_send(fx->pair[0], "abc", 3, &fx->handle, 1);
}

/* Nothing arrived: a failed send sent nothing, not even a handle in
 * flight, which the descriptor count would not see. */
static void nothing_sent(struct fixture *fx, const void *before)
{
	(void)before;
	ck_assert_msg(!readable(fx->pair[1]), "a failed send sent a message");
}

/* A message with a handle, waiting in pair[1]. */
static void setup_pair_message(struct fixture *fx)
{
	setup_pair_event(fx);
	if (fx->lacking)
		return;
	ck_assert_int_eq(vmosal_channel_send(fx->pair[0], "abc", 3, &fx->handle, 1), 0);
	poison_out(fx, sizeof(struct vmosal_channel_msg));
}

static int op_channel_recv(struct fixture *fx)
{
	vmosal_handle_t *handles = (vmosal_handle_t *)(fx->out + 64);
	unsigned char *buf = fx->out + 128;

	DEVICE_RUN(fx);
	return vmosal_channel_recv(fx->pair[1], buf, 16, handles, 4, 0,
				   (struct vmosal_channel_msg *)fx->out);
}

/* The message, with its handle, still waits; nothing was stored. */
static void message_still_waiting(struct fixture *fx, const void *before)
{
	(void)before;
	out_untouched(fx, sizeof(struct vmosal_channel_msg));
	ck_assert_msg(readable(fx->pair[1]), "a failed receive took the message");
}

static int op_channel_peer_pid(struct fixture *fx)
{
	DEVICE_RUN(fx);
	return vmosal_channel_peer_pid(fx->pair[0], (uint64_t *)(fx->out + 8));
}

#define GUEST_SLOTS "huge_page_sizes", "mem_reserve", "mem_map_reserved", "mem_advise"

static const struct op_case cases[] = {
	{"mmap", {"mem_map"}, {NULL}, setup_out_ptr, op_mmap, ptr_out_untouched, NULL, false, NULL},
	{"munmap", {"mem_unmap"}, {NULL}, setup_mapping, op_munmap, mapping_unchanged, NULL, false, NULL},
	{"mprotect", {"mem_protect"}, {NULL}, setup_mapping, op_mprotect, mapping_unchanged,
	 NULL, false, NULL},
	{"madvise", {"mem_advise"}, {NULL}, setup_mapping, op_madvise, mapping_unchanged, NULL, false, NULL},
	{"mlock", {"mem_lock"}, {NULL}, setup_mapping, op_mlock, mapping_unchanged, NULL, false, NULL},
	{"munlock", {"mem_unlock"}, {NULL}, setup_locked_mapping, op_munlock, mapping_unchanged,
	 NULL, false, NULL},
	{"msync", {"mem_sync"}, {NULL}, setup_shared_file_mapping, op_msync, mapping_unchanged,
	 NULL, false, NULL},
	{"mem_reserve", {"mem_reserve"}, {NULL}, setup_out_ptr, op_mem_reserve,
	 ptr_out_untouched, NULL, false, NULL},
	{"mem_map_reserved", {"mem_map_reserved"}, {NULL}, setup_reservation,
	 op_mem_map_reserved, NULL, NULL, false, NULL},
	{"mem_release", {"mem_release"}, {NULL}, setup_reservation, op_mem_release, NULL, NULL, false, NULL},
	{"shm_create", {"shm_create"}, {NULL}, setup_out_ptr, op_shm_create, ptr_out_untouched,
	 NULL, false, NULL},
	{"jit_create", {"jit_map"}, {NULL}, setup_jit_out, op_jit_create, jit_out_untouched,
	 NULL, false, NULL},
	{"jit_destroy", {"jit_unmap"}, {NULL}, setup_jit, op_jit_destroy, jit_unchanged, NULL, false, NULL},
	{"jit_write_begin", {"jit_write_begin"}, {NULL}, setup_jit, op_jit_write_begin,
	 jit_no_window, NULL, false, NULL},
	{"jit_write_end", {"jit_write_end"}, {NULL}, setup_jit_window, op_jit_write_end,
	 jit_window_still_open, NULL, false, NULL},
	/* Advice for or against THP may fail unless THP was asked for by
	 * name (the default falls back to base pages); a worker that cannot
	 * start leaves its share to the others or to the caller, and one that
	 * cannot be joined is waited for and leaks only its handle. */
	{"guest_ram_alloc", {GUEST_SLOTS}, {"mem_advise"}, setup_guest_out, op_guest_plain,
	 guest_out_untouched, NULL, false, NULL},
	{"guest_ram_alloc FD", {GUEST_SLOTS, "shm_create"}, {"mem_advise"}, setup_guest_out,
	 op_guest_fd, guest_out_untouched, NULL, false, NULL},
	{"guest_ram_alloc PREALLOC+progress",
	 {GUEST_SLOTS, "mem_populate", "thread_create", "thread_join", "wake_u32"},
	 {"mem_advise", "thread_create", "thread_join", "wake_u32"},
	 setup_guest_out,
	 op_guest_prealloc,
	 guest_out_untouched,
	 NULL, false, NULL},
	{"guest_ram_alloc guards+DONTDUMP", {GUEST_SLOTS}, {"mem_advise:1"}, setup_guest_out,
	 op_guest_guards, guest_out_untouched, NULL, false, NULL},
	{"guest_ram_alloc THP", {GUEST_SLOTS}, {NULL}, setup_guest_out, op_guest_thp,
	 guest_out_untouched, NULL, false, NULL},
	{"guest_ram_free", {"mem_release"}, {NULL}, setup_guest_ram, op_guest_free,
	 guest_ram_unchanged, NULL, false, NULL},
	{"guest_ram_free FD", {"handle_close"}, {NULL}, setup_guest_ram_fd, op_guest_free,
	 guest_ram_freed, NULL, true, NULL},
	{"guest_ram_discard", {"mem_discard"}, {NULL}, setup_guest_ram,
	 op_guest_discard, guest_ram_unchanged, NULL, false, NULL},
	/* A wait cut short by a signal only makes the creator look again; a
	 * failed wake still wakes (faulty.c), and the core ignores its report. */
	{"thread_create name+cpus+priority",
	 {"thread_create_attr", "thread_self", "thread_set_name", "thread_set_priority",
	  "wait_u32", "wake_u32"},
	 {"wait_u32", "wake_u32"},
	 setup_thread_out,
	 op_thread_create,
	 ptr_out_untouched,
	 NULL, false, NULL},
	{"thread_set_affinity", {"thread_set_affinity"}, {NULL}, setup_thread_out, op_set_affinity,
	 thread_unchanged, thread_snapshot, false, NULL},
	{"thread_set_priority", {"thread_set_priority"}, {NULL}, setup_thread_out, op_set_priority,
	 thread_unchanged, thread_snapshot, false, NULL},
	{"thread_set_name", {"thread_set_name"}, {NULL}, setup_thread_out, op_set_name,
	 thread_unchanged, thread_snapshot, false, NULL},
	{"huge_page_sizes", {"huge_page_sizes"}, {NULL}, setup_huge_page_sizes, op_huge_page_sizes,
	 huge_page_sizes_untouched, NULL, false, NULL},
	{"huge_page_pool", {"huge_page_sizes"}, {NULL}, setup_huge_page_pool, op_huge_page_pool,
	 huge_page_pool_untouched, NULL, false, NULL},
	{"host_memory", {"host_memory"}, {NULL}, setup_host_memory, op_host_memory, host_memory_untouched, NULL, false, NULL},
	{"accel_probe", {"accel_probe"}, {NULL}, setup_accel_probe, op_accel_probe,
	 accel_probe_untouched, NULL, false, NULL},
	{"host_caps", {"huge_page_sizes", "accel_probe"}, {NULL}, setup_host_caps, op_host_caps,
	 host_caps_untouched, NULL, false, NULL},
	{"thread_get_name", {"thread_get_name"}, {NULL}, setup_out_ptr, op_get_name,
	 out_after_word_untouched, NULL, false, NULL},
	{"thread_current_cpu", {"thread_current_cpu"}, {NULL}, setup_out_ptr, op_current_cpu,
	 out_after_word_untouched, NULL, false, NULL},
	{"thread_get_affinity", {"thread_get_affinity"}, {NULL}, setup_out_ptr, op_get_affinity,
	 out_after_word_untouched, NULL, false, NULL},
	{"thread_get_priority", {"thread_get_priority"}, {NULL}, setup_out_ptr, op_get_priority,
	 out_after_word_untouched, NULL, false, NULL},
	/* ABI 2.1 */
	{"signal_handle", {"signal_install"}, {NULL}, setup_out_ptr, op_signal_handle,
	 signals_and_out_unchanged, signal_snapshot, false, NULL},
	{"signal_unhandle", {"signal_restore"}, {NULL}, setup_signal_handled, op_signal_unhandle,
	 signals_unchanged, signal_snapshot,
	 false, "vmosal_signal_remove_handler returns 0 when restoring the disposition fails"},
	{"signal_block", {"signal_mask"}, {NULL}, setup_out_ptr, op_signal_block,
	 signals_unchanged, signal_snapshot, false, NULL},
	{"signal_wait", {"signal_wait"}, {NULL}, setup_siginfo, op_signal_wait,
	 siginfo_untouched, NULL, false, NULL},
	{"signal_fd_create", {"signal_fd_create"}, {NULL}, setup_out_ptr, op_signal_fd_create,
	 ptr_out_untouched, NULL, false, NULL},
	{"signal_fd_read", {"signal_fd_read"}, {NULL}, setup_signal_fd, op_signal_fd_read,
	 siginfo_untouched, NULL, false, NULL},
	{"signal_fd_close", {"handle_close"}, {NULL}, setup_signal_fd, op_signal_fd_close,
	 handle_released, NULL, true, NULL},
	/* The first guard installs SEGV and BUS for good (signal.h): a failed
	 * install leaves both as they were. A failure of the guard itself
	 * comes after that install, which then stays, as documented; what
	 * it must leave alone is the caller's output. */
	{"fault_guard first use", {"signal_install"}, {NULL}, setup_fault_out, op_fault_guard,
	 guard_unchanged, signal_snapshot, false, NULL},
	{"fault_guard", {"fault_guard"}, {NULL}, setup_fault_out, op_fault_guard,
	 fault_out_untouched, NULL, false, NULL},
	{"thread_kick_register", {"kick_setup"}, {NULL}, setup_out_ptr, op_kick_register,
	 not_registered, NULL, false, NULL},
	{"thread_kick", {"thread_kick"}, {NULL}, setup_kick_target, op_kick_self, NULL, NULL, false, NULL},
	{"event_create", {"event_create"}, {NULL}, setup_out_ptr, op_event_create,
	 ptr_out_untouched, NULL, false, NULL},
	{"event_notify", {"event_notify"}, {NULL}, setup_event, op_event_notify,
	 event_still_clear, NULL, false, NULL},
	{"event_wait", {"event_wait"}, {NULL}, setup_signalled_event, op_event_wait,
	 event_still_signalled, NULL, false, NULL},
	{"event_close", {"handle_close"}, {NULL}, setup_event, op_event_close, handle_released,
	 NULL, true, NULL},
	{"clock_ns", {"clock_ns"}, {NULL}, setup_out_ptr, op_clock, out_after_word_untouched, NULL, false, NULL},
	{"sleep_ns", {"sleep_ns"}, {NULL}, setup_out_ptr, op_sleep, NULL, NULL, false, NULL},
	{"device_open", {"device_open"}, {NULL}, setup_out_ptr, op_device_open,
	 ptr_out_untouched, NULL, false, NULL},
	{"ioctl", {"device_ioctl"}, {NULL}, setup_device, op_ioctl, out_after_word_untouched, NULL, false, NULL},
	{"device_close", {"handle_close"}, {NULL}, setup_device, op_device_close,
	 handle_released, NULL, true, NULL},
	{"process_id", {"process_id"}, {NULL}, setup_out_ptr, op_process_id, out_after_word_untouched,
	 NULL, false, NULL},
	/* ABI 2.5: each skips, saying so, while the backend lacks it. */
	{"waitset_create", {"waitset_create"}, {NULL}, setup_out_ptr, op_waitset_create,
	 ptr_out_untouched, NULL, false, NULL},
	{"waitset_add", {"waitset_add"}, {NULL}, setup_waitset_event, op_waitset_add,
	 waitset_event_not_added, NULL, false, NULL},
	{"waitset_remove", {"waitset_remove"}, {NULL}, setup_waitset_member, op_waitset_remove,
	 waitset_event_still_member, NULL, false, NULL},
	{"waitset_wait", {"waitset_wait"}, {NULL}, setup_waitset_member, op_waitset_wait,
	 waitset_wait_unchanged, NULL, false, NULL},
	/* The set is gone even when destroy fails, as a close. */
	{"waitset_destroy", {"waitset_destroy"}, {NULL}, setup_waitset, op_waitset_destroy,
	 waitset_released, NULL, true, NULL},
	{"timer_create", {"timer_create"}, {NULL}, setup_out_ptr, op_timer_create,
	 ptr_out_untouched, NULL, false, NULL},
	{"timer_arm", {"timer_arm"}, {NULL}, setup_timer, op_timer_arm, timer_still_disarmed,
	 NULL, false, NULL},
	{"timer_read", {"timer_read"}, {NULL}, setup_expired_timer, op_timer_read, still_readable,
	 NULL, false, NULL},
	{"event_read", {"event_read"}, {NULL}, setup_signalled_event_out, op_event_read,
	 still_readable, NULL, false, NULL},
	{"channel_pair", {"channel_pair"}, {NULL}, setup_out_ptr, op_channel_pair,
	 out_after_word_untouched, NULL, false, NULL},
	{"channel_listen", {"channel_listen"}, {NULL}, channel_name, op_channel_listen,
	 no_socket_file, NULL, false, NULL},
	{"channel_connect", {"channel_connect"}, {NULL}, setup_listener, op_channel_connect,
	 nobody_connected, NULL, false, NULL},
	{"channel_accept", {"channel_accept"}, {NULL}, setup_pending_connection,
	 op_channel_accept, connection_still_pending, NULL, false, NULL},
	{"channel_send", {"channel_send"}, {NULL}, setup_pair_event, op_channel_send, nothing_sent,
	 NULL, false, NULL},
	{"channel_recv", {"channel_recv"}, {NULL}, setup_pair_message, op_channel_recv,
	 message_still_waiting, NULL, false, NULL},
	{"channel_peer_pid", {"channel_peer_pid"}, {NULL}, setup_pair, op_channel_peer_pid,
	 out_after_word_untouched, NULL, false, NULL},
};
#define NCASES (sizeof cases / sizeof cases[0])

/* ---- one run in a child ---- */

/* The code each slot is failed with, and what the operation returns for
 * it: the code itself, except where the core documents a translation. */
static bool is_close(const char *slot)
{
	return strcmp(slot, "handle_close") == 0;
}

static const char *code_for(const char *slot)
{
	if (strcmp(slot, "wait_u32") == 0)
		return "EINTR";
	return is_close(slot) ? "EIO" : "ENOMEM";
}

static int expected_rc(const char *slot)
{
	/* A thread that cannot learn its own id reports EUNKNOWN. */
	if (strcmp(slot, "thread_self") == 0)
		return VMOSAL_EUNKNOWN;
	if (strcmp(slot, "wait_u32") == 0)
		return VMOSAL_EINTR;
	return is_close(slot) ? VMOSAL_EIO : VMOSAL_ENOMEM;
}

/* An operation of ABI 2.5, which a backend may lack: its case skips then. */
static bool device_half(const struct op_case *c)
{
	static const char *const prefixes[] = {"waitset_", "timer_", "channel_", "event_read"};

	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (strncmp(c->slots[0], prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* Whether the Nth call of slot (0: every call) may fail unnoticed. */
static bool absorbs(const struct op_case *c, const char *slot, unsigned n)
{
	char nth[64];

	snprintf(nth, sizeof nth, "%s:%u", slot, n);
	for (size_t i = 0; i < MAX_SLOTS && c->absorbs[i] != NULL; i++)
		if (strcmp(c->absorbs[i], slot) == 0 || strcmp(c->absorbs[i], nth) == 0)
			return true;
	return false;
}

/* Threads the operation may start, started and joined once beforehand:
 * their stacks are then in the C library's cache and their malloc arena
 * exists, neither of which is the operation's to free. */
static void warm_up_threads(void)
{
	pthread_t t[3];

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, idle_thread, NULL), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
}

/* One block of each malloc size class up to 64 KiB, kept: musl's
 * allocator maps a group the first time a class is used, which would
 * look like the operation's mapping. glibc's come from the heap, which
 * read_maps leaves out. musl also keeps a record ("meta") per group in
 * pages it maps as they fill and never unmaps: 256 large blocks, each
 * with a record of its own, freed again, leave that many records free,
 * so that whether the operation needs a new page of them does not depend
 * on how many allocations came before it. */
static void warm_up_malloc(void)
{
	static void *kept[128]; /* reachable: not a leak to LeakSanitizer */
	void *large[256];
	size_t n = 0;

	for (size_t size = 16; size <= 64 * 1024 && n < 128; size += size / 8)
		ck_assert_ptr_nonnull(kept[n++] = malloc(size));
	for (size_t i = 0; i < sizeof large / sizeof large[0]; i++)
		ck_assert_ptr_nonnull(large[i] = malloc(256 * 1024));
	for (size_t i = 0; i < sizeof large / sizeof large[0]; i++)
		free(large[i]);
}

/* Runs in the child: loads the faulty backend, sets up, runs the operation
 * between two markers, and checks what a failure left. Prints
 * "rc=<code>" after the end marker; a failed check ends the child with a
 * message and status 1. */
static void child_run(const struct op_case *c, const char *faults)
{
	struct fixture fx = {.handle = VMOSAL_NO_HANDLE};
	/* Threads not ours: qemu-user runs one of its own. */
	int others = count_dir("/proc/self/task") - 1;
	struct proc_state before, after;
	union {
		struct thread_state thread;
		struct signal_state signals;
	} saved;
	int rc;

	setenv("VMOSAL_BACKEND", "faulty", 1);
	setenv("VMOSAL_DEBUG", "faults", 1);
	if (faults != NULL)
		setenv("VMOSAL_FAULTS", faults, 1);
	else
		unsetenv("VMOSAL_FAULTS");
#ifdef __GLIBC__
	/* Worker threads share the main arena instead of each mapping one. */
	mallopt(M_ARENA_MAX, 1);
#endif
	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_str_eq(vmosal_backend_name(), "faulty");
	fx.page = vmosal_page_size();
	warm_up_threads();
	warm_up_malloc();
	c->setup(&fx);
	if (c->snapshot != NULL)
		c->snapshot(&fx, &saved);
	proc_state_read(&before, 1 + others);

	fprintf(stderr, "op-start\n");
	rc = c->run(&fx);
	fprintf(stderr, "op-end rc=%d\n", rc);

	if (rc == VMOSAL_ENOTSUP && fx.lacking) {
		/* The backend lacks the device half: run_case skips. */
	} else if (rc != 0 && c->releases) {
		c->unchanged(&fx, &saved);
	} else if (rc != 0) {
		proc_state_read(&after, before.tasks);
		ck_assert_msg(after.tasks == before.tasks, "%d threads before, %d after",
			      before.tasks, after.tasks);
		ck_assert_msg(after.fds == before.fds, "%d fds before, %d after", before.fds,
			      after.fds);
		if (strcmp(after.maps, before.maps) != 0 &&
		    !only_allocator_growth(before.maps, after.maps)) {
			print_missing("left behind", after.maps, before.maps);
			print_missing("gone", before.maps, after.maps);
			ck_abort_msg("mappings changed (listed above)");
		}
		if (c->unchanged != NULL)
			c->unchanged(&fx, &saved);
	}
	/* A listener's socket file, which the exit does not remove. */
	if (fx.name[0] != '\0')
		unlink(fx.name);
}

struct outcome {
	bool hit;        /* the fault was injected during the operation */
	bool hit_early;  /* ... or before it, in setup */
	bool ended;      /* the operation returned */
	int rc;          /* what it returned */
	char log[8192];  /* the child's output, its start */
};

/* Reads one output line of the child. Its output can be long (every wait
 * failing is a line each), so it is read whole, never left to fill the pipe. */
static void outcome_line(struct outcome *o, const char *line, bool *in_op)
{
	size_t used = strlen(o->log);

	snprintf(o->log + used, sizeof o->log - used, "%s", line);
	if (strcmp(line, "op-start\n") == 0) {
		*in_op = true;
	} else if (strncmp(line, "op-end rc=", 10) == 0) {
		*in_op = false;
		o->ended = true;
		o->rc = (int)strtol(line + 10, NULL, 10);
	} else if (strstr(line, "faults: injected") != NULL) {
		if (*in_op)
			o->hit = true;
		else if (!o->ended)
			o->hit_early = true;
	}
}

/* Forks a child for one run; fails the test with the child's own message
 * when a check there failed. */
static void run_child(const struct op_case *c, const char *faults, struct outcome *o)
{
	int fds[2], status;
	char *line = NULL;
	size_t cap = 0;
	bool in_op = false;
	FILE *f;
	pid_t pid;

	memset(o, 0, sizeof *o);
	ck_assert_int_eq(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[1]);
		/* A hang (a lost wake-up) fails the case instead of the run. */
		vmosal_test_child_deadline(subset() ? 120 : 30);
		/* A failed check in the child prints its message and exits. */
		child_run(c, faults);
		fflush(stderr);
		_exit(0);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	ck_assert_ptr_nonnull(f);
	while (getline(&line, &cap, f) > 0)
		outcome_line(o, line, &in_op);
	free(line);
	fclose(f);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		size_t len = strlen(o->log);

		/* The log to ours; Check's message keeps to its end. */
		fprintf(stderr, "%s with VMOSAL_FAULTS=%s:\n%s", c->name,
			faults != NULL ? faults : "", o->log);
		ck_abort_msg("%s with VMOSAL_FAULTS=%s: child failed (status %#x): %s", c->name,
			     faults != NULL ? faults : "", (unsigned)status,
			     len > 300 ? o->log + len - 300 : o->log);
	}
	ck_assert_msg(o->ended, "%s: no result:\n%s", c->name, o->log);
	ck_assert_msg(!o->hit_early, "%s with VMOSAL_FAULTS=%s: fault hit before the operation",
		      c->name, faults);
}

/* Records how many runs hit their fault: the Nth call failed, and every
 * call failed; and why the operation skipped, if it did (main() prints it:
 * a test that runs several operations passes with the others). */
static void report(const char *name, unsigned nth, unsigned every, const char *skipped)
{
	char line[640];
	int len = snprintf(line, sizeof line, "%u %u %.600s\n", nth, every,
			   skipped != NULL ? skipped : "");

	fprintf(stderr, "%s: %u Nth-call and %u every-call fault cases\n", name, nth, every);
	if (count_fd >= 0 && write(count_fd, line, (size_t)len) != len)
		fprintf(stderr, "cannot record the count\n");
}

static bool have_proc(void)
{
	return access("/proc/self/maps", R_OK) == 0 && access("/proc/self/task", R_OK) == 0;
}

/* Under an emulator each child costs about twenty times what it does
 * natively, and under TSan each child's threads and forks cost as much:
 * there a subset runs, the first call of each (operation, slot), none of
 * the later calls nor every call at once. The whole set runs natively and
 * under ASan; TSan is there for races, not for this matrix. NULL: none. */
static const char *subset_reason(void)
{
	if (vmosal_test_emulator() != NULL)
		return vmosal_test_emulator();
#ifdef VMOSAL_TEST_TSAN
	return "TSan";
#else
	return NULL;
#endif
}

static bool subset(void)
{
	return subset_reason() != NULL;
}

/* What every child would do first, done once in the process that forks
 * them: the backends' modules mapped and linked, and hwloc's topology
 * loaded (it maps memory on first use). Loads no backend. */
static void preload(void)
{
	const char *names[] = {"faulty", VMOSAL_DEFAULT_BACKEND};
	const char *dir = getenv("VMOSAL_BACKEND_PATH");
	char path[4096];

	ck_assert_ptr_nonnull(dir);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%.*s/vmosal_%s%s", (int)strcspn(dir, ":"), dir,
			 names[i], LT_MODULE_EXT);
		ck_assert_msg(dlopen(path, RTLD_NOW | RTLD_LOCAL) != NULL, "%s", dlerror());
	}
	ck_assert_int_eq(vmosal_topology_load(), 0);
}

/* Walks one operation's fault cases; returns NULL, or why it skipped. */
static const char *run_case(const struct op_case *c, struct outcome *o)
{
	static char why[512];
	unsigned nth = 0, every = 0, last = subset() ? 1 : MAX_CALLS + 1;
	int baseline;

	run_child(c, NULL, o);
	baseline = o->rc;
	if ((strcmp(c->name, "mlock") == 0 || strcmp(c->name, "munlock") == 0) && baseline != 0) {
		snprintf(why, sizeof why, "mlock of one page fails here: %s",
			 vmosal_err_name(baseline));
		return why;
	}
	if (strcmp(c->name, "guest_ram_alloc THP") == 0 && baseline == VMOSAL_ENOTSUP)
		return "no transparent huge pages on this host";
	if (device_half(c) && baseline == VMOSAL_ENOTSUP) {
		snprintf(why, sizeof why, "%s: the %s backend lacks it (VMOSAL_ENOTSUP)", c->name,
			 VMOSAL_DEFAULT_BACKEND);
		report(c->name, 0, 0, why);
		return why;
	}
	for (size_t s = 0; s < MAX_SLOTS && c->slots[s] != NULL; s++) {
		const char *slot = c->slots[s];
		char faults[128];

		for (unsigned n = 1; n <= last; n++) {
			/* Past the last call: every call fails at once. */
			if (n <= MAX_CALLS)
				snprintf(faults, sizeof faults, "%s:%s:%u", slot, code_for(slot),
					 n);
			else
				snprintf(faults, sizeof faults, "%s:%s", slot, code_for(slot));
			run_child(c, faults, o);
			if (!o->hit) {
				ck_assert_msg(n > MAX_CALLS || o->rc == baseline,
					      "%s: %s: rc %s without the fault, %s before", c->name,
					      faults, vmosal_err_name(o->rc),
					      vmosal_err_name(baseline));
				if (n <= MAX_CALLS)
					n = MAX_CALLS; /* on to "every call" */
				continue;
			}
			if (n <= MAX_CALLS)
				nth++;
			else
				every++;
			if (o->rc == 0 && absorbs(c, slot, n <= MAX_CALLS ? n : 0))
				continue;
			if (o->rc == 0 && c->unreported != NULL) {
				snprintf(why, sizeof why, "%s: VMOSAL_FAULTS=%s: %s", c->name, faults,
					 c->unreported);
				report(c->name, nth, every, why);
				return why;
			}
			ck_assert_msg(o->rc == expected_rc(slot),
				      "%s: VMOSAL_FAULTS=%s returned %s, expected %s", c->name,
				      faults, vmosal_err_name(o->rc),
				      vmosal_err_name(expected_rc(slot)));
		}
	}
	report(c->name, nth, every, NULL);
	return NULL;
}

/* Operations per Check test: one natively; under an emulator a few
 * tests of several each (Check's runner has been seen to run out of
 * POSIX timers there, at the 32nd test of a suite). */
static size_t cases_per_test(void)
{
	return subset() ? (NCASES + 5) / 6 : 1;
}

START_TEST(test_every_slot_failure_leaves_nothing)
{
	size_t per = cases_per_test(), first = (size_t)_i * per, ran = 0;
	struct outcome *o = malloc(sizeof *o);
	const char *why = NULL;

	ck_assert_ptr_nonnull(o);
	if (!have_proc())
		VMOSAL_SKIP("no /proc/self to compare mappings, threads and fds");
	preload();
	for (size_t k = first; k < first + per && k < NCASES; k++) {
		const char *skipped = run_case(&cases[k], o);

		if (skipped == NULL)
			ran++;
		else
			why = skipped;
	}
	free(o);
	if (ran == 0 && why != NULL)
		VMOSAL_SKIP("%s", why);
}
END_TEST

/* Runs in a child: the load is refused with a message naming the spec. */
static void child_bad_spec(const char *spec, const char *why)
{
	char err[4096];

	setenv("VMOSAL_BACKEND", "faulty", 1);
	setenv("VMOSAL_FAULTS", spec, 1);
	setenv("VMOSAL_DEBUG", "faults", 1);
	ck_assert_int_eq(vmosal_init(), VMOSAL_EBACKEND);
	ck_assert_int_eq(vmosal_backend_error(err, sizeof err), 0);
	ck_assert_msg(strstr(err, "vmosal_faulty") != NULL && strstr(err, "EINVAL") != NULL,
		      "backend error: %s", err);
	fprintf(stderr, "expect: %s\n", why);
}

static const struct {
	const char *spec;
	const char *why;
} bad_specs[] = {
	{"mem_mop:ENOMEM", "unknown slot"},
	{"mem_map", "no error code"},
	{"mem_map:ENOMEMS", "unknown error code"},
	{"mem_map:OK", "unknown error code"},
	{"mem_map:ENOMEM:0", "decimal number from 1"},
	{"mem_map:ENOMEM:x", "decimal number from 1"},
	{"mem_map:ENOMEM:3:4", "decimal number from 1"},
	{"mem_map:ENOMEM:", "decimal number from 1"},
	{"mem_map:ENOMEM,", "empty entry"},
	{",mem_map:ENOMEM", "empty entry"},
	{"init:EIO", "init and fini"},
};

#define NBAD_SPECS (sizeof bad_specs / sizeof bad_specs[0])

static void check_bad_spec(size_t i)
{
	int fds[2], status;
	char log[8192];
	size_t len = 0;
	ssize_t got;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		child_bad_spec(bad_specs[i].spec, bad_specs[i].why);
		_exit(0);
	}
	close(fds[1]);
	while (len < sizeof log - 1 && (got = read(fds[0], log + len, sizeof log - 1 - len)) > 0)
		len += (size_t)got;
	log[len] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: %s",
		      bad_specs[i].spec, log);
	ck_assert_msg(strstr(log, "VMOSAL_FAULTS=") != NULL &&
			      strstr(log, bad_specs[i].why) != NULL,
		      "VMOSAL_FAULTS=%s: no message saying \"%s\":\n%s", bad_specs[i].spec,
		      bad_specs[i].why, log);
}

/* One spec per test natively, all in one under an emulator. */
START_TEST(test_bad_spec_refuses_the_load)
{
	if (!subset())
		check_bad_spec((size_t)_i);
	else
		for (size_t i = 0; i < NBAD_SPECS; i++)
			check_bad_spec(i);
}
END_TEST

/* "*:CODE:N" fails the Nth call of any slot: the loader's host_info call is
 * the first, so here the second is vmosal_host_memory's. Also: the faulty
 * backend reports the real backend's caps. */
static void child_any_slot(void)
{
	struct vmosal_host_memory mi = VMOSAL_STRUCT_INIT(struct vmosal_host_memory);

	setenv("VMOSAL_BACKEND", "faulty", 1);
	setenv("VMOSAL_FAULTS", "*:EIO:2,host_memory:EAGAIN:3", 1);
	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_int_eq(vmosal_host_memory(&mi), VMOSAL_EIO);
	ck_assert_int_eq(vmosal_host_memory(&mi), 0);
	ck_assert_int_eq(vmosal_host_memory(&mi), VMOSAL_EAGAIN);
	ck_assert_int_eq(vmosal_host_memory(&mi), 0);
	ck_assert_uint_gt(mi.total_bytes, 0);
}

START_TEST(test_any_slot_and_several_faults)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		child_any_slot();
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

/* Writes what the named backend reports of the host to fd. */
static void child_caps(const char *backend, int fd)
{
	struct vmosal_host_caps caps = VMOSAL_STRUCT_INIT(struct vmosal_host_caps);

	setenv("VMOSAL_BACKEND", backend, 1);
	unsetenv("VMOSAL_FAULTS");
	ck_assert_int_eq(vmosal_init(), 0);
	ck_assert_str_eq(vmosal_backend_name(), backend);
	ck_assert_int_eq(vmosal_host_caps(&caps), 0);
	ck_assert_int_eq(write(fd, &caps, sizeof caps), (ssize_t)sizeof caps);
}

static void caps_of(const char *backend, struct vmosal_host_caps *out)
{
	int fds[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		child_caps(backend, fds[1]);
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], out, sizeof *out), (ssize_t)sizeof *out);
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Without faults the faulty backend is the host's own, name aside. */
START_TEST(test_caps_are_the_real_backends)
{
	struct vmosal_host_caps real, faulty;

	memset(&real, 0, sizeof real);
	memset(&faulty, 0, sizeof faulty);
	caps_of(VMOSAL_DEFAULT_BACKEND, &real);
	caps_of("faulty", &faulty);
	ck_assert_uint_eq(faulty.flags, real.flags);
	ck_assert_uint_eq(faulty.affinity, real.affinity);
	ck_assert_uint_eq(faulty.accels, real.accels);
	ck_assert_uint_eq(faulty.map_granularity, real.map_granularity);
	ck_assert_uint_eq(faulty.thread_name_max, real.thread_name_max);
}
END_TEST

static Suite *faults_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("faults");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_every_slot_failure_leaves_nothing, 0,
			    (int)((NCASES + cases_per_test() - 1) / cases_per_test()));
	tcase_add_loop_test(tc, test_bad_spec_refuses_the_load, 0,
			    subset() ? 1 : (int)NBAD_SPECS);
	tcase_add_test(tc, test_any_slot_and_several_faults);
	tcase_add_test(tc, test_caps_are_the_real_backends);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	char *counts;
	unsigned long nth = 0, every = 0;
	int rc;

	/* Every case compares /proc/self/maps before and after, and valgrind
	 * maps and unmaps memory of its own meanwhile: the plain and the
	 * sanitizer runs cover this suite. */
	if (vmosal_test_under_valgrind()) {
		printf("1..0 # SKIP compares the process's mappings, which valgrind changes\n");
		return 0;
	}

#ifdef __GLIBC__
	/* Without a stack cache, a joined thread's stack is unmapped at once
	 * and one never joined stays: the mappings then show a leaked thread.
	 * Tunables are read at startup, hence the exec. */
	const char *tunables = getenv("GLIBC_TUNABLES");
	static const char no_cache[] = "glibc.pthread.stack_cache_size=0";

	/* Not under valgrind: /proc/self/exe is valgrind's own tool there,
	 * and a leaked thread still shows in the count of tasks. */
	if (argc > 0 && !vmosal_test_under_valgrind() &&
	    (tunables == NULL || strstr(tunables, no_cache) == NULL)) {
		char value[1024];

		snprintf(value, sizeof value, "%s%s%s", tunables != NULL ? tunables : "",
			 tunables != NULL && tunables[0] != '\0' ? ":" : "", no_cache);
		setenv("GLIBC_TUNABLES", value, 1);
		execv("/proc/self/exe", argv);
		fprintf(stderr, "cannot re-run with %s: %s\n", no_cache, strerror(errno));
	}
#else
	(void)argc;
	(void)argv;
#endif

	count_fd = vmosal_test_tmpfile();
	if (count_fd >= 0)
		fcntl(count_fd, F_SETFL, O_APPEND);
	rc = vmosal_run_suite(faults_suite());
	counts = count_fd >= 0 ? vmosal_test_read_all(count_fd) : NULL;
	/* "<nth> <every> [why it skipped]\n" per operation. */
	for (char *p = counts; p != NULL && *p != '\0'; p++) {
		size_t len;

		nth += strtoul(p, &p, 10);
		every += strtoul(p, &p, 10);
		p += *p == ' ';
		len = strcspn(p, "\n");
		if (len > 0)
			printf("# skipped: %.*s\n", (int)len, p);
		p += len;
		if (*p != '\n')
			break;
	}
	printf("# fault cases exercised: %lu (operation, slot, Nth call), "
	       "%lu (operation, slot, every call)\n", nth, every);
	if (subset())
		printf("# under %s: a subset, the first call of each (operation, slot) "
		       "only; natively every call of each, and every call at once\n",
		       subset_reason());
	free(counts);
	return rc;
}
