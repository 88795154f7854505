// SPDX-License-Identifier: MIT
/*
 * Check "needs_reset" (virtio 1.3 2.1.2: STATUS-DEV-03; STATUS-DEV-02 SHOULD),
 * once per ring layout.  After DRIVER_OK the suite makes a malformed buffer
 * available on transmitq1, written by hand: on a split ring an available
 * entry naming descriptor `queue size + 7`, on a packed ring a descriptor
 * with INDIRECT set although VIRTIO_F_INDIRECT_DESC was not negotiated, and
 * kicks.  A device that detects the error should set DEVICE_NEEDS_RESET
 * (STATUS-DEV-02); once it has, it must send a configuration change
 * interrupt on the config vector (STATUS-DEV-03).
 *
 * Fails with "DEVICE_NEEDS_RESET set at ... ps but no interrupt on the
 * configuration vector N within 50 us"; STATUS-DEV-03 stays untested when the
 * device never sets the bit.
 */
#include "conformance/conf_drv.h"

static const char *const reqs[] = { "STATUS-DEV-02", "STATUS-DEV-03", NULL };

static int run(struct conf_ctx *ctx)
{
	struct conf_up_opts o = { .raw_tx = true };
	bool packed = ctx->ring == CONF_RING_PACKED;
	struct conf_vq *tx;
	char why[160];
	sim_time_t seen = 0;
	uint64_t irqs;
	int rc;

	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "bring-up: %s", why);
	if (ctx->cfg_vector == CONF_NO_VECTOR)
		return conf_abort(ctx, "no configuration vector could be mapped");
	tx = &ctx->vq[1];
	if (packed) {
		struct conf_rdesc d = { tx->buf, 16, VRING_DESC_F_INDIRECT };

		conf_raw_packed_add(ctx, 1, &d, 1, 0, true);
	} else {
		conf_raw_split_avail_entry(ctx, 1, 0, (uint16_t)(tx->size + 7));
		conf_raw_split_avail_idx(ctx, 1, 1);
	}
	irqs = ctx->cfg_irqs;
	conf_notify(ctx, 1);
	for (unsigned i = 0; i < 100 && !seen; i++) {
		rc = conf_run_for(ctx, ENG_US(1));
		if (rc)
			return rc;
		if (conf_status(ctx) & VIRTIO_CONFIG_S_NEEDS_RESET)
			seen = conf_now(ctx);
	}
	if (!seen) {
		conf_set(ctx, "STATUS-DEV-02", CONF_FAIL, "%s made available and kicked: "
			 "DEVICE_NEEDS_RESET not set within 100 us (status 0x%02x)",
			 packed ? "an INDIRECT descriptor without VIRTIO_F_INDIRECT_DESC"
				: "an available entry naming a descriptor beyond the queue",
			 conf_status(ctx));
		return 0;
	}
	conf_set(ctx, "STATUS-DEV-02", CONF_PASS, "malformed %s buffer: DEVICE_NEEDS_RESET set at "
		 "%llu ps", packed ? "packed" : "split", (unsigned long long)seen);
	rc = conf_run_for(ctx, ENG_US(50));
	if (rc)
		return rc;
	if (ctx->cfg_irqs == irqs)
		conf_set(ctx, "STATUS-DEV-03", CONF_FAIL, "DEVICE_NEEDS_RESET set at %llu ps after "
			 "DRIVER_OK, but no interrupt on the configuration vector %u within 50 us",
			 (unsigned long long)seen, ctx->cfg_vector);
	else
		conf_set(ctx, "STATUS-DEV-03", CONF_PASS, "DEVICE_NEEDS_RESET set, configuration "
			 "change interrupt on vector %u at %llu ps", ctx->cfg_vector,
			 (unsigned long long)ctx->cfg_irq_at);
	return 0;
}

const struct conf_check conf_check_needs_reset = {
	.name = "needs_reset",
	.description = "DEVICE_NEEDS_RESET on a malformed ring, then a config interrupt (2.1.2)",
	.requirements = reqs,
	.rings = CONF_RING_ALL,
	.run = run,
};
