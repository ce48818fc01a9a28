/* Every public header on a backend with only the mandatory slots
 * (vmosal_fake_bare): what the core does without each optional slot, a
 * fallback or VMOSAL_ENOTSUP, and no backend call where the contract says
 * none. Argument errors still come first. The core decides once, at load,
 * which slots and groups a backend has, so this takes a module of its
 * own, loaded once for the program. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "contract.h"

/* ---- platform.h ---- */

/* Each capability follows the slots behind it. */
START_TEST(test_bare_loaded)
{
	ck_assert_str_eq(vmosal_backend_name(), VMOSAL_FAKE_BARE_NAME);
	/* The kick and the fault guard were tried before the tests, and
	 * asked nothing. */
	ck_assert_str_eq(first_uses.kick, "");
	ck_assert_str_eq(first_uses.guard, "");
}
END_TEST

START_TEST(test_bare_host_caps)
{
	struct vmosal_host_caps caps = VMOSAL_STRUCT_INIT(struct vmosal_host_caps);

	ASSERT_CALLS(vmosal_host_caps(&caps), 0, "accel_probe", "accel_probe", "accel_probe");
	ck_assert_uint_eq(caps.flags, VMOSAL_CAP_AFFINITY_OTHER_THREADS | VMOSAL_CAP_REALTIME);
	ck_assert_uint_eq(caps.accels, VMOSAL_ACCEL_BIT(VMOSAL_ACCEL_KVM));
}
END_TEST

/* ---- thread.h ---- */

static void *return_arg(void *arg)
{
	return arg;
}

/* Without thread_create_attr the core starts the thread with
 * thread_create; options it has no slot for are ENOTSUP up front. */
START_TEST(test_bare_thread_create)
{
	struct vmosal_thread_opts opts = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
	vmosal_thread_t *t = NULL;
	int token;
	void *result = NULL;

	opts.stack_size = (size_t)1 << 20;
	begin_calls();
	ck_assert_int_eq(vmosal_thread_create(&opts, return_arg, &token, &t), 0);
	expect_calls("thread_create", "thread_self", NULL);
	{
		struct vmosal_fake_call c = call_at(0);
		EXPECT_ARGS(c, ANY_ARG, ANY_ARG, (size_t)1 << 20);
	}
	ASSERT_CALLS(vmosal_thread_join(t, &result), 0, "thread_join");
	ck_assert_ptr_eq(result, &token);

	t = NULL;
	opts.name = "vcpu1";
	ASSERT_NO_CALL(vmosal_thread_create(&opts, return_arg, NULL, &t), VMOSAL_ENOTSUP);
	opts.name = NULL;
	opts.set_priority = true;
	opts.priority = VMOSAL_PRIORITY_LOW;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, return_arg, NULL, &t), VMOSAL_ENOTSUP);
	opts.priority = VMOSAL_PRIORITY_REALTIME;
	ASSERT_NO_CALL(vmosal_thread_create(&opts, return_arg, NULL, &t), VMOSAL_ENOTSUP);
	ck_assert_ptr_null(t);
	/* Argument errors still come first. */
	opts.name = "";
	ASSERT_NO_CALL(vmosal_thread_create(&opts, return_arg, NULL, &t), VMOSAL_EINVAL);
}
END_TEST

START_TEST(test_bare_thread_setters)
{
	enum vmosal_priority prio;
	char buf[16];
	size_t cpu, cpus[4] = {1}, n;

	ASSERT_NO_CALL(vmosal_thread_set_priority(VMOSAL_TID_SELF, VMOSAL_PRIORITY_NORMAL),
		       VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_thread_get_priority(VMOSAL_TID_SELF, &prio), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_thread_set_realtime(VMOSAL_TID_SELF, VMOSAL_RT_FIFO, 1),
		       VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_thread_set_name(VMOSAL_TID_SELF, "vcpu"), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_thread_get_name(VMOSAL_TID_SELF, buf, sizeof buf), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_thread_current_cpu(&cpu), VMOSAL_ENOTSUP);
	/* The core binds through hwloc, which binds the calling thread only. */
	ASSERT_NO_CALL(vmosal_thread_set_affinity(OTHER_TID, cpus, 1), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_thread_get_affinity(OTHER_TID, cpus, 4, &n), VMOSAL_ENOTSUP);
	/* Argument errors still come first. */
	ASSERT_NO_CALL(vmosal_thread_set_affinity(OTHER_TID, NULL, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_set_realtime(VMOSAL_TID_SELF, VMOSAL_RT_FIFO, 0),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_thread_set_name(VMOSAL_TID_SELF, NULL), VMOSAL_EINVAL);
}
END_TEST

/* ---- memory.h ---- */

START_TEST(test_bare_memory)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;

	ASSERT_NO_CALL(vmosal_mem_advise(SOME_ADDRESS, PAGE, VMOSAL_MADV_WILLNEED), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_mem_lock(SOME_ADDRESS, PAGE), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_mem_unlock(SOME_ADDRESS, PAGE), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_mem_sync(SOME_ADDRESS, PAGE, VMOSAL_MS_SYNC), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, PAGE, 0, 0, &h), VMOSAL_ENOTSUP);
	ck_assert(h == VMOSAL_NO_HANDLE);
	/* Argument errors still come first. */
	ASSERT_NO_CALL(vmosal_mem_lock(NULL, PAGE), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, 0, 0, 0, &h), VMOSAL_EINVAL);
	/* The mandatory ones are there. */
	ASSERT_CALLS(vmosal_munmap(SOME_ADDRESS, PAGE), 0, "mem_unmap");
}
END_TEST

/* Without huge_page_sizes: no huge pages of either kind. */
START_TEST(test_bare_huge_pages)
{
	struct vmosal_huge_page_sizes ps = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_sizes);
	struct vmosal_huge_page_pool pool = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_pool);
	void *out = NULL;

	ASSERT_NO_CALL(vmosal_huge_page_sizes(&ps), 0);
	ck_assert_uint_eq(ps.thp_mode, VMOSAL_THP_UNAVAILABLE);
	ck_assert_uint_eq(ps.base, PAGE);
	ck_assert_uint_eq(ps.thp_size, 0);
	ck_assert_uint_eq(ps.huge_default, 0);
	ck_assert_uint_eq(ps.huge_count, 0);
	ASSERT_NO_CALL(vmosal_huge_page_pool(0, &pool), VMOSAL_ERANGE);
	ASSERT_NO_CALL(vmosal_mmap(NULL, TWO_MIB, RW, ANON_PRIVATE | VMOSAL_MAP_HUGETLB,
				   VMOSAL_NO_HANDLE, 0, &out),
		       VMOSAL_ENOTSUP);
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(test_bare_jit)
{
	static unsigned char code[64];
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit), one;

	ASSERT_NO_CALL(vmosal_jit_create(PAGE, &jit), VMOSAL_ENOTSUP);
	ck_assert_ptr_null(jit.rw);
	/* A made-up buffer: only jit_unmap could free it. */
	jit.rw = SOME_ADDRESS;
	jit.rx = (char *)SOME_ADDRESS + PAGE;
	jit.size = PAGE;
	ASSERT_NO_CALL(vmosal_jit_destroy(&jit), VMOSAL_ENOTSUP);
	/* A backend without the window slots (ABI 2.2): two views need no
	 * window, one view cannot get one. */
	ASSERT_NO_CALL(vmosal_jit_write_begin(&jit), 0);
	ASSERT_NO_CALL(vmosal_jit_write_end(&jit), 0);
	one = jit;
	one.rw = one.rx;
	ASSERT_NO_CALL(vmosal_jit_write_begin(&one), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_jit_write_end(&one), VMOSAL_EINVAL);
	/* Without icache_flush the core flushes by itself, asking nothing;
	 * the views are real memory here, as the compiler's flush touches
	 * them. */
	jit.rw = code;
	jit.rx = code;
	jit.size = sizeof code;
	ASSERT_NO_CALL(vmosal_jit_flush(&jit, 0, sizeof code), 0);
	ASSERT_NO_CALL(vmosal_jit_flush(&jit, 0, 0), VMOSAL_EINVAL);
}
END_TEST

START_TEST(test_bare_guest_ram)
{
	struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
	struct vmosal_guest_ram_options o = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram_options);
	const size_t size = (size_t)4 << 20;

	/* The default: base pages, no advice to give. */
	ASSERT_CALLS(vmosal_guest_ram_create(size, NULL, &ram), 0, "mem_reserve",
		     "mem_map_reserved");
	ASSERT_NO_CALL(vmosal_guest_ram_discard(&ram, 0, PAGE), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_guest_ram_discard(&ram, 0, 0), VMOSAL_EINVAL);
	ASSERT_CALLS(vmosal_guest_ram_destroy(&ram), 0, "mem_release");

	o.pages = VMOSAL_PAGES_THP;
	ASSERT_NO_CALL(vmosal_guest_ram_create(size, &o, &ram), VMOSAL_ENOTSUP);
	o.pages = VMOSAL_PAGES_HUGETLB;
	ASSERT_NO_CALL(vmosal_guest_ram_create(size, &o, &ram), VMOSAL_ENOTSUP);
	o.pages = VMOSAL_PAGES_DEFAULT;
	o.flags = VMOSAL_GUEST_PREALLOC;
	ASSERT_NO_CALL(vmosal_guest_ram_create(size, &o, &ram), VMOSAL_ENOTSUP);
	o.flags = VMOSAL_GUEST_FD;
	ASSERT_NO_CALL(vmosal_guest_ram_create(size, &o, &ram), VMOSAL_ENOTSUP);
	ck_assert_ptr_null(ram.addr);
}
END_TEST

/* ---- topology.h: hwloc, on any backend ---- */

START_TEST(test_bare_topology)
{
	struct vmosal_topology_counts counts = VMOSAL_STRUCT_INIT(struct vmosal_topology_counts);
	size_t cpus[4];

	ASSERT_NO_CALL(vmosal_topology_counts(&counts), 0);
	ASSERT_NO_CALL(vmosal_topology_place(4, VMOSAL_PLACE_SPREAD, -1, cpus), 0);
}
END_TEST

/* ---- signal.h, and the kick ---- */

static bool never_handles(const struct vmosal_siginfo *info, void *ctx)
{
	(void)info;
	(void)ctx;
	return false;
}

static int never_run(void *arg)
{
	(void)arg;
	return 1;
}

START_TEST(test_bare_signals)
{
	const enum vmosal_signal sigs[] = {VMOSAL_SIGUSR1};
	vmosal_signal_handler_t *h = NULL;
	struct vmosal_siginfo info = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);
	vmosal_handle_t fd = VMOSAL_NO_HANDLE;

	ASSERT_NO_CALL(vmosal_signal_add_handler(VMOSAL_SIGUSR1, never_handles, NULL, &h),
		       VMOSAL_ENOTSUP);
	ck_assert_ptr_null(h);
	ASSERT_NO_CALL(vmosal_signal_remove_handler((vmosal_signal_handler_t *)(uintptr_t)0x1001),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_signal_block(sigs, 1), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_signal_unblock(sigs, 1), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_signal_wait(sigs, 1, 0, &info), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_signal_fd_create(sigs, 1, &fd), VMOSAL_ENOTSUP);
	ck_assert(fd == VMOSAL_NO_HANDLE);
	ASSERT_NO_CALL(vmosal_signal_fd_read(VMOSAL_FAKE_SIGNAL_FD_HANDLE, &info), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_fault_guard(never_run, NULL, &info), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_fault_guard(never_run, NULL, NULL), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_signal_set_ignored(VMOSAL_SIGPIPE, true), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_signal_set_ignored(VMOSAL_SIGQUIT, false), VMOSAL_ENOTSUP);
	/* Argument errors still come first. */
	ASSERT_NO_CALL(vmosal_signal_set_ignored(VMOSAL_SIGSEGV, true), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_signal_set_ignored(VMOSAL_SIGSYS, true), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_signal_set_ignored(VMOSAL_SIGNAL_COUNT, true), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_signal_add_handler(VMOSAL_SIGUSR1, NULL, NULL, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_signal_block(sigs, 0), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_signal_fd_read(VMOSAL_NO_HANDLE, &info), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_fault_guard(NULL, NULL, NULL), VMOSAL_EINVAL);
}
END_TEST

START_TEST(test_bare_kick)
{
	struct vmosal_kick_target t = VMOSAL_STRUCT_INIT(struct vmosal_kick_target);
	bool kicked = true;
	int sig = -1;

	ASSERT_NO_CALL(vmosal_thread_kick_register(&t), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_thread_kick_unregister(), VMOSAL_ENOENT);
	ASSERT_NO_CALL(vmosal_thread_kick(VMOSAL_TID_SELF), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_thread_kick(OTHER_TID), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_thread_kick_signal(&sig), VMOSAL_ENOTSUP);
	ck_assert_int_eq(sig, -1);
	/* The flag is the core's: there, and never set. */
	ASSERT_NO_CALL(vmosal_thread_kick_pending(true, &kicked), 0);
	ck_assert(!kicked);
	ASSERT_NO_CALL(vmosal_thread_kick_register(NULL), VMOSAL_EINVAL);
}
END_TEST

/* ---- event.h ---- */

START_TEST(test_bare_events_and_clocks)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	uint64_t ns = 77;

	ASSERT_NO_CALL(vmosal_event_create(0, &h), VMOSAL_ENOTSUP);
	ck_assert(h == VMOSAL_NO_HANDLE);
	ASSERT_NO_CALL(vmosal_event_notify(VMOSAL_FAKE_EVENT_HANDLE), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_event_wait(VMOSAL_FAKE_EVENT_HANDLE, 0), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_event_wait(VMOSAL_FAKE_EVENT_HANDLE, -1), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_event_wait(VMOSAL_FAKE_EVENT_HANDLE, 1000), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &ns), VMOSAL_ENOTSUP);
	ck_assert_uint_eq(ns, 77);
	ASSERT_NO_CALL(vmosal_sleep_ns(1), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_event_create(VMOSAL_EVENT_SEMAPHORE, &h), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_event_read(VMOSAL_FAKE_EVENT_HANDLE, &ns), VMOSAL_ENOTSUP);
	ck_assert_uint_eq(ns, 77);
	ck_assert(h == VMOSAL_NO_HANDLE);
	/* Argument errors still come first. */
	ASSERT_NO_CALL(vmosal_event_create(0x2, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_event_read(VMOSAL_FAKE_EVENT_HANDLE, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_event_read(VMOSAL_NO_HANDLE, &ns), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_event_notify(VMOSAL_NO_HANDLE), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_event_wait(VMOSAL_NO_HANDLE, 0), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_clock_ns(VMOSAL_CLOCK_COUNT, &ns), VMOSAL_EINVAL);
}
END_TEST

/* ---- device.h ---- */

START_TEST(test_bare_devices)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	int result = -7;
	uint64_t pid = 0;

	ASSERT_NO_CALL(vmosal_device_open("/dev/kvm", VMOSAL_DEVICE_READ, &h), VMOSAL_ENOTSUP);
	ck_assert(h == VMOSAL_NO_HANDLE);
	ASSERT_NO_CALL(vmosal_ioctl(VMOSAL_FAKE_DEVICE_HANDLE, 1, NULL, 0, &result),
		       VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_ioctl(VMOSAL_FAKE_DEVICE_HANDLE, 1, NULL, 0, NULL), VMOSAL_ENOTSUP);
	ck_assert_int_eq(result, -7);
	ASSERT_NO_CALL(vmosal_process_id(&pid), VMOSAL_ENOTSUP);
	/* Argument errors still come first. */
	ASSERT_NO_CALL(vmosal_device_open("/dev/kvm", 0, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_ioctl(VMOSAL_NO_HANDLE, 1, NULL, 0, &result), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_process_id(NULL), VMOSAL_EINVAL);
}
END_TEST

/* ---- handle.h ---- */

START_TEST(test_bare_handles)
{
	vmosal_handle_t out = VMOSAL_NO_HANDLE;

	ASSERT_NO_CALL(vmosal_handle_close(VMOSAL_FAKE_SHM_HANDLE), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_handle_dup(VMOSAL_FAKE_SHM_HANDLE, &out), VMOSAL_ENOTSUP);
	ck_assert(out == VMOSAL_NO_HANDLE);
	ASSERT_NO_CALL(vmosal_handle_set_inheritable(VMOSAL_FAKE_SHM_HANDLE, true),
		       VMOSAL_ENOTSUP);
	/* Argument errors still come first. */
	ASSERT_NO_CALL(vmosal_handle_close(VMOSAL_NO_HANDLE), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_handle_dup(VMOSAL_FAKE_SHM_HANDLE, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_handle_dup(VMOSAL_NO_HANDLE, &out), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_handle_set_inheritable(VMOSAL_NO_HANDLE, false), VMOSAL_EBADF);
}
END_TEST

/* ---- waitset.h, timer.h, channel.h: the device half, all optional ---- */

START_TEST(test_bare_waitsets)
{
	/* A set the bare backend could never have made: no call may look
	 * inside it before finding the group absent. */
	static _Alignas(max_align_t) unsigned char not_a_set[256];
	vmosal_waitset_t *ws = NULL, *fake_set = (vmosal_waitset_t *)(void *)not_a_set;
	struct vmosal_wait_event ready[1];
	size_t n = 77;

	ASSERT_NO_CALL(vmosal_waitset_create(0, &ws), VMOSAL_ENOTSUP);
	ck_assert_ptr_null(ws);
	ASSERT_NO_CALL(vmosal_waitset_add(fake_set, VMOSAL_FAKE_EVENT_HANDLE, VMOSAL_WAIT_READABLE,
					  1),
		       VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_waitset_modify(fake_set, VMOSAL_FAKE_EVENT_HANDLE,
					     VMOSAL_WAIT_READABLE, 1),
		       VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_waitset_remove(fake_set, VMOSAL_FAKE_EVENT_HANDLE), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_waitset_wait(fake_set, 0, ready, 1, &n), VMOSAL_ENOTSUP);
	ck_assert_uint_eq(n, 0);
	ASSERT_NO_CALL(vmosal_waitset_destroy(fake_set), VMOSAL_ENOTSUP);
	/* Argument errors still come first. */
	ASSERT_NO_CALL(vmosal_waitset_create(1, &ws), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_waitset_add(fake_set, VMOSAL_FAKE_EVENT_HANDLE, 0, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_waitset_remove(fake_set, VMOSAL_NO_HANDLE), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_waitset_wait(fake_set, 0, ready, 0, &n), VMOSAL_EINVAL);
}
END_TEST

START_TEST(test_bare_timers)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	uint64_t count = 77;

	ASSERT_NO_CALL(vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &h), VMOSAL_ENOTSUP);
	ck_assert(h == VMOSAL_NO_HANDLE);
	ASSERT_NO_CALL(vmosal_timer_arm(VMOSAL_FAKE_TIMER_HANDLE, 1, 0), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_timer_disarm(VMOSAL_FAKE_TIMER_HANDLE), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_timer_read(VMOSAL_FAKE_TIMER_HANDLE, &count), VMOSAL_ENOTSUP);
	ck_assert_uint_eq(count, 77);
	/* Argument errors still come first. */
	ASSERT_NO_CALL(vmosal_timer_create(VMOSAL_CLOCK_THREAD_CPU, 0, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_timer_arm(VMOSAL_FAKE_TIMER_HANDLE, UINT64_MAX, 0), VMOSAL_EOVERFLOW);
	ASSERT_NO_CALL(vmosal_timer_read(VMOSAL_NO_HANDLE, &count), VMOSAL_EBADF);
}
END_TEST

START_TEST(test_bare_channels)
{
	vmosal_handle_t pair[2] = {VMOSAL_NO_HANDLE, VMOSAL_NO_HANDLE}, h = VMOSAL_NO_HANDLE;
	struct vmosal_channel_msg m = VMOSAL_STRUCT_INIT(struct vmosal_channel_msg);
	const vmosal_handle_t ch = VMOSAL_FAKE_CHANNEL_HANDLE;
	char buf[4] = "abc";
	uint64_t pid = 77;

	ASSERT_NO_CALL(vmosal_channel_pair(0, pair), VMOSAL_ENOTSUP);
	ck_assert(pair[0] == VMOSAL_NO_HANDLE && pair[1] == VMOSAL_NO_HANDLE);
	ASSERT_NO_CALL(vmosal_channel_listen("bare", 0, &h), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_channel_connect("bare", 0, &h), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_channel_accept(ch, 0, &h), VMOSAL_ENOTSUP);
	ck_assert(h == VMOSAL_NO_HANDLE);
	ASSERT_NO_CALL(vmosal_channel_send(ch, buf, 3, NULL, 0), VMOSAL_ENOTSUP);
	ASSERT_NO_CALL(vmosal_channel_recv(ch, buf, sizeof buf, NULL, 0, 0, &m), VMOSAL_ENOTSUP);
	ck_assert_uint_eq(m.len, 0);
	ASSERT_NO_CALL(vmosal_channel_peer_pid(ch, &pid), VMOSAL_ENOTSUP);
	ck_assert_uint_eq(pid, 77);
	/* Argument errors still come first. */
	ASSERT_NO_CALL(vmosal_channel_pair(1, pair), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_listen("", 0, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_send(ch, buf, 0, NULL, 0), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_channel_recv(VMOSAL_NO_HANDLE, buf, 1, NULL, 0, 0, &m), VMOSAL_EBADF);
	ASSERT_NO_CALL(vmosal_channel_peer_pid(ch, NULL), VMOSAL_EINVAL);
}
END_TEST

void contract_bare(Suite *s)
{
	TCase *tc = tcase_create("bare");

	tcase_add_checked_fixture(tc, fresh_record, NULL);
	tcase_add_test(tc, test_bare_loaded);
	tcase_add_test(tc, test_bare_host_caps);
	tcase_add_test(tc, test_bare_thread_create);
	tcase_add_test(tc, test_bare_thread_setters);
	tcase_add_test(tc, test_bare_memory);
	tcase_add_test(tc, test_bare_huge_pages);
	tcase_add_test(tc, test_bare_jit);
	tcase_add_test(tc, test_bare_guest_ram);
	tcase_add_test(tc, test_bare_topology);
	tcase_add_test(tc, test_bare_signals);
	tcase_add_test(tc, test_bare_kick);
	tcase_add_test(tc, test_bare_events_and_clocks);
	tcase_add_test(tc, test_bare_waitsets);
	tcase_add_test(tc, test_bare_timers);
	tcase_add_test(tc, test_bare_channels);
	tcase_add_test(tc, test_bare_devices);
	tcase_add_test(tc, test_bare_handles);
	suite_add_tcase(s, tc);
}
