/* Freezes the backend ABI and the public structs: a released slot or
 * member may never move. A failure here means a change broke every plugin,
 * or every program, built before it: append instead, and bump the minor. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>

#include "testutil.h"
#include "vmosal.h"
#include "vmosal/backend.h"

typedef struct vmosal_backend_ops ops_t;

/* Slot n of the table: the header (two uint32_t and the name) is followed
 * by function pointers only, in the order below. */
#define SLOT(n) (offsetof(ops_t, name) + sizeof(const char *) + (n) * sizeof(void (*)(void)))
#define FROZEN(member, n) _Static_assert(offsetof(ops_t, member) == SLOT(n), #member " moved")

_Static_assert(offsetof(ops_t, abi_version) == 0, "abi_version moved");
_Static_assert(offsetof(ops_t, struct_size) == 4, "struct_size moved");
_Static_assert(offsetof(ops_t, name) == 8, "name moved");

/* ABI 2.0 */
FROZEN(init, 0);
FROZEN(fini, 1);
FROZEN(host_info, 2);
FROZEN(host_memory, 3);
FROZEN(accel_probe, 4);
FROZEN(thread_create, 5);
FROZEN(thread_join, 6);
FROZEN(thread_self, 7);
FROZEN(thread_set_affinity, 8);
FROZEN(thread_get_affinity, 9);
FROZEN(thread_set_priority, 10);
FROZEN(thread_get_priority, 11);
FROZEN(thread_set_name, 12);
FROZEN(thread_get_name, 13);
FROZEN(thread_current_cpu, 14);
FROZEN(wait_u32, 15);
FROZEN(wake_u32, 16);
FROZEN(mem_map, 17);
FROZEN(mem_unmap, 18);
FROZEN(mem_protect, 19);
FROZEN(mem_reserve, 20);
FROZEN(mem_map_reserved, 21);
FROZEN(mem_release, 22);
FROZEN(mem_advise, 23);
FROZEN(mem_lock, 24);
FROZEN(mem_unlock, 25);
FROZEN(mem_sync, 26);
FROZEN(huge_page_sizes, 27);
FROZEN(mem_populate, 28);
FROZEN(shm_create, 29);
FROZEN(handle_close, 30); /* shm_close until 2.4 */
FROZEN(jit_map, 31);
FROZEN(jit_unmap, 32);
FROZEN(icache_flush, 33);
/* ABI 2.1 */
FROZEN(signal_install, 34);
FROZEN(signal_restore, 35);
FROZEN(signal_chain, 36);
FROZEN(signal_mask, 37);
FROZEN(signal_wait, 38);
FROZEN(signal_fd_create, 39);
FROZEN(signal_fd_read, 40);
FROZEN(retired_handle_close, 41); /* handle_close until 2.4 */
FROZEN(fault_guard, 42);
FROZEN(kick_setup, 43);
FROZEN(thread_kick, 44);
FROZEN(event_create, 45);
FROZEN(event_notify, 46);
FROZEN(event_wait, 47);
FROZEN(clock_ns, 48);
FROZEN(sleep_ns, 49);
FROZEN(device_open, 50);
FROZEN(device_ioctl, 51);
FROZEN(process_id, 52);
FROZEN(mem_discard, 53);
/* ABI 2.2 */
FROZEN(event_wait_kick, 54);
FROZEN(thread_create_attr, 55);
FROZEN(thread_set_realtime, 56);
/* ABI 2.3 */
FROZEN(jit_write_begin, 57);
FROZEN(jit_write_end, 58);
/* ABI 2.4 */
FROZEN(handle_dup, 59);
FROZEN(handle_set_inheritable, 60);
/* ABI 2.5 */
FROZEN(waitset_create, 61);
FROZEN(waitset_destroy, 62);
FROZEN(waitset_add, 63);
FROZEN(waitset_modify, 64);
FROZEN(waitset_remove, 65);
FROZEN(waitset_wait, 66);
FROZEN(timer_create, 67);
FROZEN(timer_arm, 68);
FROZEN(timer_read, 69);
FROZEN(event_read, 70);
FROZEN(channel_pair, 71);
FROZEN(channel_listen, 72);
FROZEN(channel_accept, 73);
FROZEN(channel_connect, 74);
FROZEN(channel_send, 75);
FROZEN(channel_recv, 76);
FROZEN(channel_peer_pid, 77);
FROZEN(signal_ignore, 78);
/* The last 2.5 slot ends the table: a later minor appends after it. */
_Static_assert(sizeof(ops_t) == SLOT(79), "ABI 2.5 table changed size");

/* A member at a fixed offset, and the struct's size. Offsets are those of
 * the LP64 and LLP64 targets libvmosal supports (64-bit pointers and
 * size_t, 4-byte bool alignment no larger than its size). */
#define AT(type, member, off) \
	_Static_assert(offsetof(struct type, member) == (off), #type "." #member " moved")
#define SIZE(type, n) _Static_assert(sizeof(struct type) == (n), #type " changed size")

/* ---- backend structs ---- */
AT(vmosal_core_services, abi_version, 0);
AT(vmosal_core_services, struct_size, 4);
AT(vmosal_core_services, secure_getenv, 8);
AT(vmosal_core_services, debug_enabled, 16);
AT(vmosal_core_services, debug, 24);
AT(vmosal_core_services, strerror, 32);
AT(vmosal_core_services, signal_dispatch, 40);
AT(vmosal_core_services, kick_received, 48);
AT(vmosal_core_services, tid_known, 56);
AT(vmosal_core_services, load_next, 64);
SIZE(vmosal_core_services, 72);

AT(vmosal_backend_thread_attr, applied, 4);
AT(vmosal_backend_thread_attr, stack_size, 8);
AT(vmosal_backend_thread_attr, cpus, 16);
AT(vmosal_backend_thread_attr, ncpus, 24);
AT(vmosal_backend_thread_attr, realtime, 32);
AT(vmosal_backend_thread_attr, rt_policy, 36);
AT(vmosal_backend_thread_attr, rt_level, 40);
SIZE(vmosal_backend_thread_attr, 48);

AT(vmosal_backend_caps, struct_size, 0);
AT(vmosal_backend_caps, flags, 4);
AT(vmosal_backend_caps, affinity, 8);
AT(vmosal_backend_caps, thread_name_max, 12);
AT(vmosal_backend_caps, map_granularity, 16);
SIZE(vmosal_backend_caps, 24);

AT(vmosal_backend_host, struct_size, 0);
AT(vmosal_backend_host, os, 4);
AT(vmosal_backend_host, os_release, 20);
AT(vmosal_backend_host, libc, 116);
AT(vmosal_backend_host, page_size, 152);
AT(vmosal_backend_host, cpus_possible, 160);
AT(vmosal_backend_host, cpus_online, 168);
AT(vmosal_backend_host, cpus_usable, 176);
SIZE(vmosal_backend_host, 184);

AT(vmosal_backend_host_memory, total_bytes, 8);
AT(vmosal_backend_host_memory, available_bytes, 16);
SIZE(vmosal_backend_host_memory, 24);

AT(vmosal_backend_accel, error, 4);
AT(vmosal_backend_accel, reason, 8);
AT(vmosal_backend_accel, checks, 168);
SIZE(vmosal_backend_accel, 172);

AT(vmosal_backend_huge_page_sizes, thp_mode, 4);
AT(vmosal_backend_huge_page_sizes, thp_size, 8);
AT(vmosal_backend_huge_page_sizes, huge_default, 16);
AT(vmosal_backend_huge_page_sizes, huge_count, 24);
AT(vmosal_backend_huge_page_sizes, huge, 32);
SIZE(vmosal_backend_huge_page_sizes, 32 + VMOSAL_BACKEND_MAX_HUGE_SIZES * 24);

/* ---- public structs: growing one means appending, never moving ---- */
AT(vmosal_thread_opts, struct_size, 0);
AT(vmosal_thread_opts, name, 8);
AT(vmosal_thread_opts, stack_size, 16);
AT(vmosal_thread_opts, cpus, 24);
AT(vmosal_thread_opts, ncpus, 32);
AT(vmosal_thread_opts, set_priority, 40);
AT(vmosal_thread_opts, priority, 44);
AT(vmosal_thread_opts, flags, 48);
AT(vmosal_thread_opts, rt_policy, 52);
AT(vmosal_thread_opts, rt_level, 56);
AT(vmosal_thread_opts, not_applied, 64);
SIZE(vmosal_thread_opts, 72);

AT(vmosal_backend_info, struct_size, 0);
AT(vmosal_backend_info, abi_version, 4);
AT(vmosal_backend_info, name, 8);
AT(vmosal_backend_info, path, 16);
SIZE(vmosal_backend_info, 24);

AT(vmosal_host_memory, total_bytes, 8);
AT(vmosal_host_memory, available_bytes, 16);
SIZE(vmosal_host_memory, 24);

AT(vmosal_accel_status, available, 4);
AT(vmosal_accel_status, error, 8);
AT(vmosal_accel_status, reason, 12);
AT(vmosal_accel_status, checks, 172);
SIZE(vmosal_accel_status, 176);

AT(vmosal_host_caps, flags, 4);
AT(vmosal_host_caps, affinity, 8);
AT(vmosal_host_caps, accels, 12);
AT(vmosal_host_caps, map_granularity, 16);
AT(vmosal_host_caps, thread_name_max, 24);
SIZE(vmosal_host_caps, 32);

AT(vmosal_huge_page_sizes, thp_mode, 4);
AT(vmosal_huge_page_sizes, base, 8);
AT(vmosal_huge_page_sizes, thp_size, 16);
AT(vmosal_huge_page_sizes, huge_default, 24);
AT(vmosal_huge_page_sizes, huge_count, 32);
SIZE(vmosal_huge_page_sizes, 40);

AT(vmosal_huge_page_pool, page_size, 8);
AT(vmosal_huge_page_pool, total, 16);
AT(vmosal_huge_page_pool, free, 24);
SIZE(vmosal_huge_page_pool, 32);

AT(vmosal_jit, rw, 8);
AT(vmosal_jit, rx, 16);
AT(vmosal_jit, size, 24);
SIZE(vmosal_jit, 32);

AT(vmosal_guest_ram_options, flags, 4);
AT(vmosal_guest_ram_options, pages, 8);
AT(vmosal_guest_ram_options, huge_page_size, 16);
AT(vmosal_guest_ram_options, alignment, 24);
AT(vmosal_guest_ram_options, guard_size, 32);
AT(vmosal_guest_ram_options, numa_node, 40);
AT(vmosal_guest_ram_options, threads, 44);
AT(vmosal_guest_ram_options, progress, 48);
AT(vmosal_guest_ram_options, progress_ctx, 56);
SIZE(vmosal_guest_ram_options, 64);

AT(vmosal_guest_ram, addr, 8);
AT(vmosal_guest_ram, size, 16);
AT(vmosal_guest_ram, handle, 24);
AT(vmosal_guest_ram, map_base, 32);
AT(vmosal_guest_ram, map_size, 40);
SIZE(vmosal_guest_ram, 48);

AT(vmosal_topology_counts, packages, 4);
AT(vmosal_topology_counts, numa_nodes, 8);
AT(vmosal_topology_counts, cores, 12);
AT(vmosal_topology_counts, pus, 16);
SIZE(vmosal_topology_counts, 20);

AT(vmosal_pu_info, os_index, 4);
AT(vmosal_pu_info, core, 8);
AT(vmosal_pu_info, package, 12);
AT(vmosal_pu_info, numa_node, 16);
AT(vmosal_pu_info, smt_rank, 20);
SIZE(vmosal_pu_info, 24);

AT(vmosal_siginfo, signal, 4);
AT(vmosal_siginfo, os_signal, 8);
AT(vmosal_siginfo, os_code, 12);
AT(vmosal_siginfo, fault_addr, 16);
AT(vmosal_siginfo, syscall, 24);
AT(vmosal_siginfo, syscall_arch, 28);
SIZE(vmosal_siginfo, 32);
AT(vmosal_wait_event, token, 0);
AT(vmosal_wait_event, events, 8);
SIZE(vmosal_wait_event, 16);
AT(vmosal_channel_msg, len, 8);
AT(vmosal_channel_msg, nhandles, 16);
SIZE(vmosal_channel_msg, 24);

AT(vmosal_fault, signal, 4);
AT(vmosal_fault, addr, 8);
AT(vmosal_fault, os_signal, 16);
AT(vmosal_fault, os_code, 20);
SIZE(vmosal_fault, 24);

AT(vmosal_kick_target, immediate_exit, 8);
AT(vmosal_kick_target, cancel, 16);
AT(vmosal_kick_target, cancel_ctx, 24);
SIZE(vmosal_kick_target, 32);

START_TEST(test_version_packing)
{
	ck_assert_uint_eq(VMOSAL_BACKEND_ABI, (VMOSAL_BACKEND_ABI_MAJOR << 16) | VMOSAL_BACKEND_ABI_MINOR);
	ck_assert_uint_eq(VMOSAL_BACKEND_ABI_MAJOR_OF(VMOSAL_BACKEND_ABI_MAKE(3, 9)), 3);
	ck_assert_uint_eq(VMOSAL_BACKEND_ABI_MINOR_OF(VMOSAL_BACKEND_ABI_MAKE(3, 9)), 9);
	/* Every slot after the header is a function pointer: nothing else may
	 * sneak into the table and shift the slots after it. */
	ck_assert_uint_eq((sizeof(ops_t) - SLOT(0)) % sizeof(void (*)(void)), 0);
}
END_TEST

/* The minor each released slot came with, by index: the frozen truth the
 * slot list (backend_slots.h) is checked against. */
static uint32_t frozen_minor(size_t index)
{
	return index < 34 ? 0 : index < 54 ? 1 : index < 57 ? 2 : index < 59 ? 3 : index < 61 ? 4 : 5;
}
#define FROZEN_SLOTS 79

START_TEST(test_slot_list_matches_frozen)
{
	static const struct {
		const char *name;
		size_t offset;
		uint32_t minor;
	} list[] = {
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) \
	{#name, offsetof(ops_t, name), minor},
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT
	};
	size_t n = sizeof list / sizeof list[0];

	ck_assert_uint_eq(n, FROZEN_SLOTS);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(list[i].offset == SLOT(i), "%s is line %zu of the list but not slot %zu",
			      list[i].name, i, i);
		ck_assert_msg(list[i].minor == frozen_minor(i), "%s says ABI 2.%u, it was 2.%u",
			      list[i].name, (unsigned)list[i].minor, (unsigned)frozen_minor(i));
		ck_assert_uint_le(list[i].minor, VMOSAL_BACKEND_ABI_MINOR);
	}
}
END_TEST

START_TEST(test_library_version)
{
	char text[32];

	/* One source: configure took PACKAGE_VERSION from common.h. */
	snprintf(text, sizeof text, "%d.%d.%d", VMOSAL_VERSION_MAJOR, VMOSAL_VERSION_MINOR,
		 VMOSAL_VERSION_PATCH);
	ck_assert_str_eq(text, PACKAGE_VERSION);
	ck_assert_uint_eq(vmosal_version(), VMOSAL_VERSION);
	ck_assert_uint_eq(VMOSAL_VERSION_OF(1, 2, 3), 0x010203u);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("abi");
	TCase *tc = tcase_create("layout");

	tcase_add_test(tc, test_version_packing);
	tcase_add_test(tc, test_slot_list_matches_frozen);
	tcase_add_test(tc, test_library_version);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
