// SPDX-License-Identifier: MIT
/*
 * Check "feature_negotiation" (virtio 1.3 2.2.2, 3.1.1: FEAT-DEV-03 MUST;
 * FEAT-DEV-02 SHOULD, FEAT-DEV-05 SHOULD NOT).  The suite negotiates:
 *
 *   1. the offered features plus one defined feature the device does not
 *      offer: FEATURES_OK must not stick (FEAT-DEV-03);
 *   2. every offered feature, then the base set a virtio-net driver starts
 *      with: each must be accepted (FEAT-DEV-02);
 *   3. after a reset, the same sets again: still accepted (FEAT-DEV-05).
 *
 * Fails with "FEATURES_OK kept for 0x... which includes bit 0 (not offered)".
 */
#include "conformance/conf_drv.h"

static const char *const reqs[] = { "FEAT-DEV-02", "FEAT-DEV-03", "FEAT-DEV-05", NULL };

/* Defined net and transport features, most common first. */
static const unsigned candidates[] = {
	VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_CTRL_VLAN, VIRTIO_NET_F_MTU,
	VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS, VIRTIO_RING_F_EVENT_IDX, VIRTIO_F_RING_PACKED,
	VIRTIO_F_IN_ORDER, VIRTIO_F_NOTIFICATION_DATA, VIRTIO_NET_F_SPEED_DUPLEX,
};

static int run(struct conf_ctx *ctx)
{
	uint64_t sets[2] = { ctx->offered & ctx->selected, conf_feature_base(ctx) };
	uint64_t extra = 0, f;
	int rc;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]) && !extra; i++)
		if (!(ctx->offered & CONF_F(candidates[i])))
			extra = CONF_F(candidates[i]);
	sets[0] &= ~CONF_F(VIRTIO_F_RING_PACKED);
	sets[0] |= ctx->ring == CONF_RING_PACKED ? CONF_F(VIRTIO_F_RING_PACKED) : 0;
	if (extra) {
		f = ctx->offered | extra;
		rc = conf_negotiate(ctx, f);
		if (rc == -ETIMEDOUT || rc == -ETIME)
			return conf_abort(ctx, "the device did not complete a reset");
		conf_expect(ctx, "FEAT-DEV-03", rc == -EPROTO, "driver wrote 0x%016llx, which adds "
			    "bit %d the device does not offer: FEATURES_OK %s",
			    (unsigned long long)f, __builtin_ctzll(extra),
			    rc == -EPROTO ? "left clear" : "kept");
	}
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 2; i++) {
			rc = conf_negotiate(ctx, sets[i]);
			if (rc == -ETIMEDOUT || rc == -ETIME)
				return conf_abort(ctx, "the device did not complete a reset");
			if (rc) {
				conf_set(ctx, round ? "FEAT-DEV-05" : "FEAT-DEV-02", CONF_FAIL,
					 "%s 0x%016llx refused (FEATURES_OK cleared)%s",
					 i ? "the base set" : "every offered feature",
					 (unsigned long long)sets[i],
					 round ? " after it was accepted before a reset" : "");
				return 0;
			}
		}
	conf_set(ctx, "FEAT-DEV-02", CONF_PASS, "accepted 0x%016llx and 0x%016llx",
		 (unsigned long long)sets[0], (unsigned long long)sets[1]);
	conf_set(ctx, "FEAT-DEV-05", CONF_PASS, "after resets both sets accepted again");
	return 0;
}

const struct conf_check conf_check_feature_negotiation = {
	.name = "feature_negotiation",
	.description = "FEATURES_OK refused for unoffered bits, kept for offered subsets (2.2.2)",
	.requirements = reqs,
	.run = run,
};
