// SPDX-License-Identifier: MIT
/*
 * Check "ring_framing" (virtio 1.3 2.7.4: SPLIT-DEV-01; 2.8.18: PACKED-DEV-08),
 * once per ring layout.  The same 1000-byte frame (a distinct byte at every
 * offset) goes out six times, cut differently: header and frame in one
 * descriptor; header, then frame; header and the frame in 3, 7, 11 and 15
 * pieces (4, 8, 12, 16 descriptors), each piece in its own descriptor with 64 bytes of junk between the
 * pieces in memory.  A device that follows the chain puts the identical
 * frame on the wire six times, in order; the peer compares each byte.
 *
 * Fails with "cut into 8 descriptors: the frame on the wire differs at byte
 * 142 (0x8e, expected 0x11)" or "sent 2 of 6 frames".
 */
#include "conformance/conf_drv.h"

#include <string.h>

static const char *const reqs[] = { "SPLIT-DEV-01", "PACKED-DEV-08", NULL };

static const unsigned cuts[] = { 1, 2, 4, 8, 12, 16 };
#define NCUTS (sizeof(cuts) / sizeof(cuts[0]))
#define LEN 1000u

static int run(struct conf_ctx *ctx)
{
	const char *id = ctx->ring == CONF_RING_PACKED ? "PACKED-DEV-08" : "SPLIT-DEV-01";
	struct conf_up_opts o = { 0 };
	uint8_t f[LEN];
	char why[160];
	int rc;

	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "bring-up: %s", why);
	ctx->peer_echo = false;
	conf_test_frame(ctx, f, LEN, 5, 0, NULL);
	/* a pattern that tells every position apart */
	for (uint32_t i = 38; i < LEN; i++)
		f[i] = (uint8_t)(i * 7 + (i >> 8));
	for (size_t c = 0; c < NCUTS; c++) {
		rc = conf_tx(ctx, 1, f, LEN, NULL, cuts[c]);
		if (rc)
			return conf_abort(ctx, "queueing the frame in %u descriptors: %d", cuts[c], rc);
	}
	conf_kick(ctx, 1);
	rc = conf_settle(ctx, ENG_US(50));
	if (rc)
		return rc;
	for (size_t c = 0; c < NCUTS; c++) {
		const struct conf_wiref *w = &ctx->wire[c];
		uint32_t at = 0;

		if (c >= ctx->nwire) {
			conf_set(ctx, id, CONF_FAIL, "sent %llu of %zu frames; the one cut into %u "
				 "descriptors never reached the wire", (unsigned long long)ctx->nwire,
				 NCUTS, cuts[c]);
			return 0;
		}
		while (at < LEN && at < w->len && w->data[at] == f[at])
			at++;
		if (w->len != LEN || at < LEN) {
			if (at < LEN && at < w->len)
				conf_set(ctx, id, CONF_FAIL, "cut into %u descriptors: the frame on the "
					 "wire differs at byte %u (0x%02x, expected 0x%02x)",
					 cuts[c], at, w->data[at], f[at]);
			else
				conf_set(ctx, id, CONF_FAIL, "cut into %u descriptors: %u bytes on the "
					 "wire, %u sent", cuts[c], w->len, LEN);
			return 0;
		}
	}
	conf_set(ctx, id, CONF_PASS, "one 1000-byte frame in 1, 2, 4, 8, 12 and 16 descriptors "
		 "(header included, junk between pieces): six identical frames on the "
		 "wire, in order");
	return 0;
}

const struct conf_check conf_check_ring_framing = {
	.name = "ring_framing",
	.description = "the same frame whatever its descriptor layout (2.7.4, 2.8.18)",
	.requirements = reqs,
	.rings = CONF_RING_ALL,
	.run = run,
};
