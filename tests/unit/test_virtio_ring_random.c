// SPDX-License-Identifier: MIT
/*
 * Randomized differential test, split ring: half a million buffers between
 * the driver and device engines (see test_virtio_ring_random.h).
 */
#include "tests/unit/test_virtio_ring_random.h"

static void test_split_random_exchange_500k_buffers(void)
{
	struct vq_state late = { 65000, 65000, true, true };

	run(256, 0, NULL, 150000, 1);
	run(64, EVIDX | INDIR, NULL, 120000, 2);
	run(32, EVIDX | INDIR | INORDER, &late, 100000, 3);
	run(4, 0, &late, 60000, 4);
	run(16, INORDER, NULL, 70000, 5);
}

CU_MAIN("virtio_ring_random", CU_TEST_ENTRY(test_split_random_exchange_500k_buffers));
