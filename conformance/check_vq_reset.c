// SPDX-License-Identifier: MIT
/*
 * Check "vq_reset" (virtio 1.3 2.6.1, 4.1.4.3.1: VQRESET-DEV-01/02/03,
 * PCI-DEV-21..24), once per ring layout, with VIRTIO_F_RING_RESET
 * negotiated.  After DRIVER_OK queue_reset must read 0 on every enabled
 * queue (PCI-DEV-21).  With frames in flight the suite writes 1 to
 * transmitq1's queue_reset and polls it every 100 ns (at most 1 ms): while it
 * reads 1 the reset is in progress (PCI-DEV-23); once it reads 0,
 * queue_enable must read 0 too (PCI-DEV-24), and from then on the device
 * must not touch the old rings nor interrupt on the queue's vector although
 * the suite makes buffers available there and kicks it (VQRESET-DEV-01,
 * PCI-DEV-22).  The queue is then set up again with half the size and new
 * ring addresses: queue_reset reads 0 after the enable (PCI-DEV-21), the
 * device starts at index 0 (the first used entry lands in slot 0 of the new
 * ring, VQRESET-DEV-02) and uses only the new rings (VQRESET-DEV-03) while
 * 40 frames go out and come back.
 *
 * Fails with what was read when, or with the first DMA into the old rings.
 */
#include "conformance/conf_drv.h"

static const char *const reqs[] = {
	"VQRESET-DEV-01", "VQRESET-DEV-02", "VQRESET-DEV-03", "PCI-DEV-21", "PCI-DEV-22",
	"PCI-DEV-23", "PCI-DEV-24", NULL,
};

static bool queue_reset_clear(struct conf_ctx *ctx, uint16_t nq, uint16_t *bad)
{
	for (uint16_t q = 0; q < nq; q++)
		if (ctx->vq[q].live && conf_q_read(ctx, q, VIRTIO_PCI_COMMON_Q_RESET, 2)) {
			*bad = q;
			return false;
		}
	return true;
}

static int run(struct conf_ctx *ctx)
{
	struct conf_up_opts o = { .features = conf_feature_base(ctx) | CONF_F(VIRTIO_F_RING_RESET) };
	struct conf_traffic t = { .count = 40, .min_len = 60, .max_len = 1000, .txq = 1,
				  .limit = ENG_MS(2) };
	struct conf_vq old;
	struct conf_vq_opts vo;
	uint64_t ring_bytes, irqs;
	uint16_t bad = 0, rst = 1, en = 1, size;
	uint8_t f[256], b[8];
	unsigned polls = 0;
	char why[160];
	int rc, w;

	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "bring-up with RING_RESET: %s", why);
	if (queue_reset_clear(ctx, 2, &bad))
		conf_set(ctx, "PCI-DEV-21", CONF_PASS, "after enabling, queue_reset of queues 0 "
			 "and 1 reads 0");
	else
		conf_set(ctx, "PCI-DEV-21", CONF_FAIL, "after enabling, queue_reset of queue %u "
			 "reads 1", bad);
	/* frames in flight, then the reset */
	for (uint32_t i = 0; i < 32; i++) {
		conf_test_frame(ctx, f, 200, 0, i, NULL);
		conf_tx(ctx, 1, f, 200, NULL, 1);
	}
	conf_kick(ctx, 1);
	rc = conf_run_for(ctx, ENG_NS(1200));
	if (rc)
		return rc;
	old = ctx->vq[1];
	conf_q_write(ctx, 1, VIRTIO_PCI_COMMON_Q_RESET, 2, 1);
	for (polls = 0; polls < 10000; polls++) {
		rst = (uint16_t)conf_q_read(ctx, 1, VIRTIO_PCI_COMMON_Q_RESET, 2);
		if (!rst)
			break;
		rc = conf_run_for(ctx, ENG_NS(100));
		if (rc)
			return rc;
	}
	if (rst) {
		conf_set(ctx, "PCI-DEV-24", CONF_FAIL, "queue_reset still reads 1 1 ms after the "
			 "reset was asked for: it never completes");
		conf_set(ctx, "PCI-DEV-22", CONF_FAIL, "the queue reset never completed");
		return 0;
	}
	en = (uint16_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_Q_ENABLE, 2);
	conf_expect(ctx, "PCI-DEV-24", en == 0, "queue_reset read 0 after %u polls; queue_enable "
		    "reads %u", polls, en);
	/* the old rings are the driver's again: nothing may touch them */
	ring_bytes = old.buf - old.desc;
	w = conf_watch(ctx, old.desc, ring_bytes);
	irqs = ctx->msi[old.vector % CONF_MAX_VEC];
	conf_test_frame(ctx, f, 200, 0, 99, NULL);
	conf_tx(ctx, 1, f, 200, NULL, 1);
	conf_kick(ctx, 1);
	conf_notify(ctx, 1);
	rc = conf_run_for(ctx, ENG_US(30));
	if (rc)
		return rc;
	if (ctx->watch[w].reads || ctx->watch[w].writes ||
	    ctx->msi[old.vector % CONF_MAX_VEC] != irqs) {
		conf_set(ctx, "VQRESET-DEV-01", CONF_FAIL, "after queue_reset read 0 the device "
			 "made %llu accesses to the old rings (first: %s) and %llu interrupts on "
			 "vector %u", (unsigned long long)(ctx->watch[w].reads + ctx->watch[w].writes),
			 ctx->watch[w].first[0] ? ctx->watch[w].first : "none",
			 (unsigned long long)(ctx->msi[old.vector % CONF_MAX_VEC] - irqs), old.vector);
		conf_set(ctx, "PCI-DEV-22", CONF_FAIL, "the queue went on after its reset");
		conf_set(ctx, "PCI-DEV-23", CONF_FAIL, "queue_reset read 0 while the queue was "
			 "still running");
	} else {
		conf_set(ctx, "VQRESET-DEV-01", CONF_PASS, "30 us after the reset with a buffer "
			 "made available and kicked: no access to the old rings, no interrupt");
		conf_set(ctx, "PCI-DEV-22", CONF_PASS, "writing 1 to queue_reset stopped the queue");
		conf_set(ctx, "PCI-DEV-23", CONF_PASS, "queue_reset read 1 for %u polls of 100 ns "
			 "and 0 only once the queue was quiet", polls);
	}
	/* again, smaller, elsewhere */
	size = (uint16_t)(old.size / 2);
	vo = (struct conf_vq_opts){ .size = size, .vector = old.vector };
	conf_vq_forget(ctx, 1);
	rc = conf_vq_setup(ctx, 1, &vo);
	if (rc)
		return conf_abort(ctx, "re-enabling transmitq1 with %u entries failed (%d)", size, rc);
	if (queue_reset_clear(ctx, 2, &bad))
		conf_set(ctx, "PCI-DEV-21", CONF_PASS, "after re-enabling the reset queue, "
			 "queue_reset of queues 0 and 1 reads 0");
	else
		conf_set(ctx, "PCI-DEV-21", CONF_FAIL, "after re-enabling the reset queue, "
			 "queue_reset of queue %u reads 1", bad);
	rc = conf_run_traffic(ctx, &t);
	if (rc)
		return rc;
	rc = conf_settle(ctx, ENG_US(20));
	if (rc)
		return rc;
	conf_gread(ctx, ctx->vq[1].device, b, 8);
	if (ctx->watch[w].reads || ctx->watch[w].writes || t.received < t.count)
		conf_set(ctx, "VQRESET-DEV-03", CONF_FAIL, "re-enabled with %u entries at new "
			 "addresses: %llu of %u frames came back, %llu accesses to the old rings "
			 "(first: %s)", size, (unsigned long long)t.received, t.count,
			 (unsigned long long)(ctx->watch[w].reads + ctx->watch[w].writes),
			 ctx->watch[w].first[0] ? ctx->watch[w].first : "none");
	else
		conf_set(ctx, "VQRESET-DEV-03", CONF_PASS, "re-enabled with %u entries (was %u) at "
			 "new addresses: %u frames out and back, the old rings untouched", size,
			 old.size, t.count);
	if (ctx->ring == CONF_RING_PACKED)
		conf_expect(ctx, "VQRESET-DEV-02", t.received == t.count && !ctx->rx_test_bad &&
					   !conf_obs_count(ctx, "PACKED-DEV-X02") &&
					   !conf_obs_count(ctx, "PACKED-DEV-X03"),
			    "after the reset the device started at slot 0, wrap counter 1: %llu of "
			    "%u frames, observer %s", (unsigned long long)t.received, t.count,
			    conf_obs_first(ctx, "PACKED-DEV-X02") ? conf_obs_first(ctx, "PACKED-DEV-X02")
								  : "silent");
	else
		conf_expect(ctx, "VQRESET-DEV-02", t.received == t.count && vq_le16(b + 2) == t.count,
			    "after the reset: used idx %u after %u frames (%llu came back); the "
			    "device %s at index 0", vq_le16(b + 2), t.count,
			    (unsigned long long)t.received,
			    vq_le16(b + 2) == t.count ? "started" : "did not start");
	return 0;
}

const struct conf_check conf_check_vq_reset = {
	.name = "vq_reset",
	.description = "per-queue reset: completion, quiescence, re-enable with a new layout "
		       "(2.6.1, 4.1.4.3.1)",
	.requirements = reqs,
	.needs_features = 1ULL << VIRTIO_F_RING_RESET,
	.rings = CONF_RING_ALL,
	.run = run,
};
