// SPDX-License-Identifier: MIT
/*
 * Randomized differential test, packed ring: half a million buffers between
 * the driver and device engines (see test_virtio_ring_random.h).
 */
#include "tests/unit/test_virtio_ring_random.h"

static void test_packed_random_exchange_500k_buffers(void)
{
	struct vq_state mid = { 100, 100, false, false };

	run(257, PACKED | EVIDX | INDIR, NULL, 150000, 11);
	run(5, PACKED, NULL, 80000, 12);
	run(61, PACKED | EVIDX | INORDER, NULL, 100000, 13);
	run(128, PACKED | INDIR, &mid, 110000, 14);
	run(3, PACKED | EVIDX | INORDER | INDIR, NULL, 60000, 15);
}

CU_MAIN("virtio_ring_random_packed", CU_TEST_ENTRY(test_packed_random_exchange_500k_buffers));
