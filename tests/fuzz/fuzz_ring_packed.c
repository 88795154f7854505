// SPDX-License-Identifier: MIT
/*
 * The device side of the packed ring (sim/virtio_ring vq_dev) over guest
 * memory the input controls: descriptor ring with its avail/used flags and
 * wrap counters, event suppression structures, indirect tables, unmapped
 * holes, with the ring observer on.  The decoding and the oracles are in
 * tests/fuzz/fuzz_ring.h.
 */
#include "tests/fuzz/fuzz_ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return ring_fuzz_one(data, size, true);
}
