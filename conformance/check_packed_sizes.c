// SPDX-License-Identifier: MIT
/*
 * Check "packed_sizes" (virtio 1.3 2.8.10.1: PACKED-DEV-X12), packed rings
 * only.  Both queues are set up with 200 entries (not a power of two), then
 * 500 frames go round the loopback: each ring wraps more than twice.  Every
 * frame must come back intact and the ring observer must see no violation of
 * the wrap and id rules.
 *
 * Fails with "queue size 200: 130 of 500 frames came back" or with the
 * observer's first event.
 */
#include "conformance/conf_drv.h"

static const char *const reqs[] = { "PACKED-DEV-X12", NULL };

#define QSIZE 200u
#define FRAMES 500u

static int run(struct conf_ctx *ctx)
{
	struct conf_up_opts o = { .qsize = QSIZE };
	struct conf_traffic t = { .count = FRAMES, .min_len = 60, .max_len = 600, .nseg_max = 2,
				  .txq = 1, .window = 32, .limit = ENG_MS(4) };
	static const char *const rules[] = { "PACKED-DEV-X02", "PACKED-DEV-X03", NULL };
	uint16_t max;
	char why[160];
	int rc;

	if (!ctx->cc)
		return conf_abort(ctx, "no usable common configuration");
	max = (uint16_t)conf_q_read(ctx, 1, VIRTIO_PCI_COMMON_Q_SIZE, 2);
	if (max < QSIZE)
		return conf_abort(ctx, "queue_size %u: too small to try %u entries", max, QSIZE);
	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "bring-up with %u-entry packed queues: %s", QSIZE, why);
	rc = conf_run_traffic(ctx, &t);
	if (rc)
		return rc;
	rc = conf_settle(ctx, ENG_US(20));
	if (rc)
		return rc;
	for (const char *const *r = rules; *r; r++)
		if (conf_obs_count(ctx, *r)) {
			conf_set(ctx, "PACKED-DEV-X12", CONF_FAIL, "queue size %u: ring observer: %s",
				 QSIZE, conf_obs_first(ctx, *r) ? conf_obs_first(ctx, *r) : *r);
			return 0;
		}
	conf_expect(ctx, "PACKED-DEV-X12", t.received == FRAMES && !ctx->rx_test_bad,
		    "queue size %u (not a power of two): %llu of %u frames came back intact%s%s",
		    QSIZE, (unsigned long long)ctx->rx_test_ok, FRAMES, ctx->rx_test_bad ? "; " : "",
		    ctx->rx_test_why);
	return 0;
}

const struct conf_check conf_check_packed_sizes = {
	.name = "packed_sizes",
	.description = "packed queues of a size that is not a power of two (2.8.10.1)",
	.requirements = reqs,
	.rings = CONF_RING_PACKED,
	.run = run,
};
