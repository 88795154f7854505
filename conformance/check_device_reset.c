// SPDX-License-Identifier: MIT
/*
 * Check "device_reset" (virtio 1.3 2.4.1, 4.1.4.3.1: RESET-DEV-01/02,
 * PCI-DEV-18/19/20), once per ring layout.  With frames in flight in both
 * directions (and, when RING_RESET is offered, a queue reset pending on
 * transmitq1) the suite writes 0 to device_status and polls it every
 * microsecond: it must read 0 within 1 ms (RESET-DEV-01, PCI-DEV-18).  From
 * then on, for 50 us while the suite makes buffers available on the old
 * rings, kicks every old queue and the peer sends frames, the device must not
 * touch guest memory or interrupt (RESET-DEV-02).  queue_enable must read 0
 * for every queue (PCI-DEV-19) and, renegotiated with RING_RESET,
 * queue_reset too (PCI-DEV-20).
 *
 * Fails with "status still 0x0f 1 ms after the reset", "after reset
 * completion the device made 12 DMA accesses (first: ...)", "queue 1:
 * queue_enable reads 1 after reset".
 */
#include "conformance/conf_drv.h"

static const char *const reqs[] = {
	"RESET-DEV-01", "RESET-DEV-02", "PCI-DEV-18", "PCI-DEV-19", "PCI-DEV-20", NULL,
};

static int run(struct conf_ctx *ctx)
{
	bool rr = conf_can(ctx, VIRTIO_F_RING_RESET);
	struct conf_up_opts o = { .features = conf_feature_base(ctx) |
					      (rr ? CONF_F(VIRTIO_F_RING_RESET) : 0) };
	uint64_t dma, msi, f = o.features;
	uint8_t frame[512], st = 0xff;
	char why[160];
	unsigned polls;
	int rc;

	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "bring-up: %s", why);
	for (uint32_t i = 0; i < 32; i++) {
		conf_test_frame(ctx, frame, 400, 0, i, NULL);
		conf_tx(ctx, 1, frame, 400, NULL, 1);
	}
	conf_kick(ctx, 1);
	rc = conf_run_for(ctx, ENG_NS(1500));
	if (rc)
		return rc;
	if (rr)
		conf_q_write(ctx, 1, VIRTIO_PCI_COMMON_Q_RESET, 2, 1);
	/* mid-traffic: write 0 and wait for it to read 0 (virtio 1.3 4.1.4.3.2) */
	conf_status_set(ctx, 0);
	for (polls = 0; polls <= 1000; polls++) {
		st = conf_status(ctx);
		if (!st)
			break;
		rc = conf_run_for(ctx, ENG_US(1));
		if (rc)
			return rc;
	}
	conf_expect(ctx, "RESET-DEV-01", st == 0, "device_status reads 0x%02x %u us after "
		    "writing 0 mid-traffic", st, polls);
	conf_expect(ctx, "PCI-DEV-18", st == 0, "writing 0 to device_status: %s",
		    st ? "status never read 0 within 1 ms" : "status read 0, reset done");
	if (st)
		return 0;
	/* from reset completion on, nothing may touch guest memory or interrupt */
	dma = ctx->dma_reads + ctx->dma_writes;
	msi = conf_irqs_sent(ctx);
	conf_watch_clear(ctx);
	conf_watch(ctx, CONF_IOVA_BASE, CONF_IOVA_SIZE);
	for (uint16_t q = 0; q < 2; q++) {
		struct conf_vq *vq = &ctx->vq[q];

		if (vq->rx) {
			conf_rx_post(ctx, q);
		} else {
			conf_test_frame(ctx, frame, 100, 2, 0, NULL);
			conf_tx(ctx, q, frame, 100, NULL, 1);
			conf_kick(ctx, q);
		}
		conf_notify(ctx, q);
	}
	conf_test_frame(ctx, frame, 100, 3, 0, NULL);
	conf_peer_send(ctx, frame, 100);
	rc = conf_run_for(ctx, ENG_US(50));
	if (rc)
		return rc;
	if (ctx->dma_reads + ctx->dma_writes != dma || conf_irqs_sent(ctx) != msi)
		conf_set(ctx, "RESET-DEV-02", CONF_FAIL, "after status read 0 the device made %llu "
			 "DMA accesses (first: %s) and raised %llu interrupts while the old rings "
			 "were kicked", (unsigned long long)(ctx->dma_reads + ctx->dma_writes - dma),
			 ctx->watch[0].first[0] ? ctx->watch[0].first : "outside guest memory",
			 (unsigned long long)(conf_irqs_sent(ctx) - msi));
	else
		conf_set(ctx, "RESET-DEV-02", CONF_PASS, "50 us after reset completion with the "
			 "old rings refilled, every queue kicked and a frame arriving: no DMA, no "
			 "interrupt");
	/* virtio 1.3 4.1.4.3.1: every queue disabled after reset */
	{
		uint16_t nq = (uint16_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_NUMQ, 2), bad = 0xffff;

		for (uint16_t q = 0; q < nq && bad == 0xffff; q++)
			if (conf_q_read(ctx, q, VIRTIO_PCI_COMMON_Q_ENABLE, 2))
				bad = q;
		conf_expect(ctx, "PCI-DEV-19", bad == 0xffff, bad == 0xffff ?
			    "queue_enable reads 0 for all %u queues after reset" :
			    "queue %u: queue_enable reads 1 after reset (of %u queues)",
			    bad == 0xffff ? nq : bad, nq);
	}
	conf_drv_release(ctx);
	if (rr) {
		uint16_t nq, bad = 0xffff;

		if (conf_negotiate(ctx, f))
			return conf_abort(ctx, "renegotiating 0x%016llx after reset failed",
					  (unsigned long long)f);
		nq = (uint16_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_NUMQ, 2);
		for (uint16_t q = 0; q < nq && bad == 0xffff; q++)
			if (conf_q_read(ctx, q, VIRTIO_PCI_COMMON_Q_RESET, 2))
				bad = q;
		conf_expect(ctx, "PCI-DEV-20", bad == 0xffff, bad == 0xffff ?
			    "RING_RESET renegotiated after a reset that interrupted a queue reset: "
			    "queue_reset reads 0 for all %u queues" :
			    "queue %u: queue_reset reads 1 after device reset (%u queues)",
			    bad == 0xffff ? nq : bad, nq);
	}
	return 0;
}

const struct conf_check conf_check_device_reset = {
	.name = "device_reset",
	.description = "reset mid-traffic: status 0, queues disabled, no DMA or interrupt after "
		       "(2.4.1, 4.1.4.3.1)",
	.requirements = reqs,
	.rings = CONF_RING_ALL,
	.run = run,
};
