/* Freezes the backend ABI: a released slot may never move, and the public
 * structs a plugin fills keep their layout. A failure here means a change
 * broke every plugin built before it. */
#include "config.h"

#include <stddef.h>

#include "testutil.h"
#include "vmosal/backend.h"

typedef struct vmosal_backend_ops ops_t;

/* Slot n of the table: the header (two uint32_t and the name) is followed
 * by function pointers only, in the order below. */
#define SLOT(n) (offsetof(ops_t, name) + sizeof(const char *) + (n) * sizeof(void (*)(void)))
#define FROZEN(member, n) _Static_assert(offsetof(ops_t, member) == SLOT(n), #member " moved")

_Static_assert(offsetof(ops_t, abi_version) == 0, "abi_version moved");
_Static_assert(offsetof(ops_t, struct_size) == 4, "struct_size moved");
_Static_assert(offsetof(ops_t, name) == 8, "name moved");

/* ABI 1.0 */
FROZEN(init, 0);
FROZEN(fini, 1);
FROZEN(host_info, 2);
FROZEN(mem_info, 3);
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
FROZEN(thread_yield, 15);
FROZEN(mem_map, 16);
FROZEN(mem_unmap, 17);
FROZEN(mem_protect, 18);
FROZEN(mem_advise, 19);
FROZEN(mem_lock, 20);
FROZEN(mem_unlock, 21);
FROZEN(mem_sync, 22);
FROZEN(page_sizes, 23);
FROZEN(mem_populate, 24);
FROZEN(shm_create, 25);
FROZEN(shm_close, 26);
FROZEN(jit_map, 27);
FROZEN(jit_unmap, 28);
FROZEN(icache_flush, 29);
/* The last 1.0 slot ends the table: ABI 1.1 appends after it. */
_Static_assert(sizeof(ops_t) == SLOT(30), "ABI 1.0 table changed size");

_Static_assert(offsetof(struct vmosal_core_services, abi_version) == 0, "moved");
_Static_assert(offsetof(struct vmosal_core_services, struct_size) == 4, "moved");
_Static_assert(offsetof(struct vmosal_core_services, secure_getenv) == 8, "moved");
_Static_assert(offsetof(struct vmosal_backend_caps, struct_size) == 0, "moved");
_Static_assert(offsetof(struct vmosal_backend_host, struct_size) == 0, "moved");
_Static_assert(offsetof(struct vmosal_backend_host, os) == 4, "moved");

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

int main(void)
{
	Suite *s = suite_create("abi");
	TCase *tc = tcase_create("layout");

	tcase_add_test(tc, test_version_packing);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
