// SPDX-License-Identifier: MIT
/*
 * Check "driver_ok_gate" (virtio 1.3 2.1.2, STATUS-DEV-01), once per ring
 * layout.  The suite sets the queues up and, before DRIVER_OK, does what a
 * driver must not: queues transmit frames, posts receive buffers, kicks every
 * queue and has the peer send frames to the device.  For 50 us the device must
 * write nothing to guest memory (no used entry, no received frame), send
 * nothing on the wire and raise no interrupt.  Then DRIVER_OK: the same
 * frames must now go out (so a device that does nothing at all cannot pass).
 *
 * Fails with what the device did early: "before DRIVER_OK the device wrote
 * guest memory 3 times (first: write of 8 bytes at 0x...)", "put 2 frames on
 * the wire", "raised 1 interrupt".
 */
#include "conformance/conf_drv.h"

static const char *const reqs[] = { "STATUS-DEV-01", NULL };

#define NFRAMES 4u

static int run(struct conf_ctx *ctx)
{
	struct conf_up_opts o = { .no_driver_ok = true, .no_rx_post = true };
	uint8_t f[256];
	char why[160];
	int rc;

	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "bring-up before DRIVER_OK: %s", why);
	conf_watch(ctx, CONF_IOVA_BASE, CONF_IOVA_SIZE);
	/* the driver's mistakes: buffers and kicks before DRIVER_OK */
	for (uint32_t i = 0; i < NFRAMES; i++) {
		conf_test_frame(ctx, f, 200, 0, i, NULL);
		conf_tx(ctx, 1, f, 200, NULL, 1);
	}
	conf_kick(ctx, 1);
	conf_notify(ctx, 1);
	ctx->vq[0].refill = false;
	conf_rx_post(ctx, 0);
	conf_notify(ctx, 0);
	ctx->peer_echo = false;
	conf_test_frame(ctx, f, 120, 1, 0, NULL);
	conf_peer_send(ctx, f, 120);
	rc = conf_run_for(ctx, ENG_US(50));
	if (rc)
		return rc;
	if (ctx->watch[0].writes || ctx->nwire || conf_irqs_sent(ctx)) {
		conf_set(ctx, "STATUS-DEV-01", CONF_FAIL,
			 "before DRIVER_OK the device wrote guest memory %llu times%s%s%s, put %llu "
			 "frames on the wire and raised %llu interrupts",
			 (unsigned long long)ctx->watch[0].writes,
			 ctx->watch[0].writes ? " (first: " : "",
			 ctx->watch[0].writes ? ctx->watch[0].first_write : "",
			 ctx->watch[0].writes ? ")" : "",
			 (unsigned long long)ctx->nwire, (unsigned long long)conf_irqs_sent(ctx));
		return 0;
	}
	conf_driver_ok(ctx);
	conf_notify(ctx, 1);
	rc = conf_settle(ctx, ENG_US(50));
	if (rc)
		return rc;
	if (ctx->nwire < NFRAMES)
		return conf_abort(ctx, "after DRIVER_OK the device sent %llu of the %u queued frames",
				  (unsigned long long)ctx->nwire, NFRAMES);
	conf_set(ctx, "STATUS-DEV-01", CONF_PASS,
		 "%u frames queued, buffers posted, every queue kicked and a frame received before "
		 "DRIVER_OK: no DMA write, no frame sent, no interrupt in 50 us; after DRIVER_OK "
		 "the frames went out", NFRAMES);
	return 0;
}

const struct conf_check conf_check_driver_ok_gate = {
	.name = "driver_ok_gate",
	.description = "no buffer consumed and no interrupt before DRIVER_OK (2.1.2)",
	.requirements = reqs,
	.rings = CONF_RING_ALL,
	.run = run,
};
