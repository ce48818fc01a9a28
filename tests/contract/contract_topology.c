/* topology.h's contract: hwloc answers from the suite's XML topology, and
 * the backend is never asked. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"

/* ==== topology.h: hwloc answers, the backend is never asked ================== */

START_TEST(test_topology_arguments)
{
	struct vmosal_topology_counts counts = {.struct_size = sizeof counts - 1};
	struct vmosal_pu_info pu = {.struct_size = sizeof pu - 1};
	size_t cpus[4], within[] = {0, 1}, nowhere[] = {SIZE_MAX};
	uint64_t bytes;

	ASSERT_NO_CALL(vmosal_topology_counts(NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_counts(&counts), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_pu(0, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_pu(0, &pu), VMOSAL_EINVAL);
	pu.struct_size = sizeof pu;
	ASSERT_NO_CALL(vmosal_topology_pu(SIZE_MAX, &pu), VMOSAL_ERANGE);
	ASSERT_NO_CALL(vmosal_topology_cache_size(1, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_cache_size(0, &bytes), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_cache_size(6, &bytes), VMOSAL_EINVAL);

	ASSERT_NO_CALL(vmosal_topology_place(1, VMOSAL_PLACE_SPREAD, -1, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place(0, VMOSAL_PLACE_SPREAD, -1, cpus), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place(1, (enum vmosal_placement)2, -1, cpus),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place(1, VMOSAL_PLACE_COMPACT, -2, cpus), VMOSAL_EINVAL);

	ASSERT_NO_CALL(vmosal_topology_place_within(1, VMOSAL_PLACE_SPREAD, -1, NULL, 1, cpus),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place_within(1, VMOSAL_PLACE_SPREAD, -1, within, 0, cpus),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place_within(1, VMOSAL_PLACE_SPREAD, -1, within, 2, NULL),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place_within(0, VMOSAL_PLACE_SPREAD, -1, within, 2, cpus),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place_within(1, (enum vmosal_placement)-1, -1, within, 2,
						    cpus),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place_within(1, VMOSAL_PLACE_SPREAD, -3, within, 2, cpus),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_topology_place_within(1, VMOSAL_PLACE_SPREAD, -1, nowhere, 1, cpus),
		       VMOSAL_ERANGE);
}
END_TEST

START_TEST(test_topology_never_asks_the_backend)
{
	struct vmosal_topology_counts counts = VMOSAL_STRUCT_INIT(struct vmosal_topology_counts);
	struct vmosal_pu_info pu = VMOSAL_STRUCT_INIT(struct vmosal_pu_info);
	size_t cpus[4], within[] = {0, 1};

	ASSERT_NO_CALL(vmosal_topology_load(), 0);
	ASSERT_NO_CALL(vmosal_topology_counts(&counts), 0);
	ASSERT_NO_CALL(vmosal_topology_pu(0, &pu), 0);
	ASSERT_NO_CALL(vmosal_topology_place(4, VMOSAL_PLACE_SPREAD, -1, cpus), 0);
	ASSERT_NO_CALL(vmosal_topology_place_within(4, VMOSAL_PLACE_COMPACT, -1, within, 2, cpus),
		       0);
}
END_TEST

void contract_topology(Suite *s)
{
	TCase *tc = tcase_create("topology");

	tcase_add_checked_fixture(tc, fresh_record, NULL);
	tcase_add_test(tc, test_topology_arguments);
	tcase_add_test(tc, test_topology_never_asks_the_backend);
	suite_add_tcase(s, tc);
}
