// SPDX-License-Identifier: MIT
/*
 * Check "net_ctrl" (virtio 1.3 5.1.2, 5.1.6.5): the control virtqueue, with
 * CTRL_VQ (and CTRL_RX, CTRL_MAC_ADDR, MQ, GUEST_ANNOUNCE as offered)
 * negotiated.
 *
 *   NET-VQ-X02       commands complete on queue 2N (N = max_virtqueue_pairs
 *                    with MQ), and on queue 2 in a bring-up without MQ;
 *   NET-CTRL-DEV-X01 a valid, an unknown-class and a malformed command each
 *                    come back with ack 0 or 1 and a used length covering it;
 *   NET-RXF-DEV-01   PROMISC and ALLMULTI are acked OK and obeyed: with both
 *                    off a frame to a foreign unicast and one to a multicast
 *                    address are not delivered, with PROMISC / ALLMULTI on
 *                    they are;  NET-RXF-DEV-05 ALLUNI, NOMULTI, NOUNI, NOBCAST
 *                    acked OK (CTRL_RX_EXTRA);
 *   NET-MAC-DEV-02   a MAC_TABLE_SET is in force when its buffer comes back: a
 *                    frame to the new unicast entry sent at that instant is
 *                    delivered;  NET-MAC-DEV-01 after a device reset the table
 *                    is empty again (the same frame is not delivered);
 *   NET-MAC-DEV-03   config mac shows a MAC_ADDR_SET address when its buffer
 *                    comes back;
 *   NET-ANN-DEV-X01  asked (control hook "announce=1") the device sets
 *                    ANNOUNCE with a configuration interrupt;  NET-ANN-DEV-01
 *                    ANNOUNCE is clear when the ANNOUNCE_ACK comes back.
 *
 * Fails with the command, its ack and what was (not) delivered.
 */
#include "conformance/conf_drv.h"

#include <stddef.h>
#include <string.h>

static const char *const reqs[] = {
	"NET-VQ-X02", "NET-CTRL-DEV-X01", "NET-RXF-DEV-01", "NET-RXF-DEV-05", "NET-MAC-DEV-01",
	"NET-MAC-DEV-02", "NET-MAC-DEV-03", "NET-ANN-DEV-01", "NET-ANN-DEV-X01", NULL,
};

static const uint8_t foreign[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };

static uint64_t features(struct conf_ctx *ctx, bool mq)
{
	static const unsigned bits[] = { VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_CTRL_RX,
					 VIRTIO_NET_F_CTRL_RX_EXTRA, VIRTIO_NET_F_CTRL_MAC_ADDR,
					 VIRTIO_NET_F_GUEST_ANNOUNCE, VIRTIO_NET_F_MQ };
	uint64_t f = conf_feature_base(ctx);

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (conf_can(ctx, bits[i]) && (mq || bits[i] != VIRTIO_NET_F_MQ))
			f |= CONF_F(bits[i]);
	return f;
}

/* Inject a test frame to dst; true when it was delivered within 20 us. */
static bool delivered(struct conf_ctx *ctx, const uint8_t *dst, uint64_t seq)
{
	uint8_t f[128];
	uint64_t n0 = ctx->nrx;

	conf_test_frame(ctx, f, 100, 3, seq, dst);
	conf_peer_send(ctx, f, 100);
	conf_settle(ctx, ENG_US(20));
	return ctx->nrx > n0;
}

static int cmd(struct conf_ctx *ctx, uint8_t cls, uint8_t c, const void *d, uint32_t n,
	       uint8_t *ack)
{
	uint32_t len;
	int rc = conf_ctrl(ctx, cls, c, d, n, ack, &len);

	if (rc == -ETIMEDOUT)
		return conf_abort(ctx, "control command %u/%u not returned within 1 ms", cls, c);
	return rc;
}

static int rx_modes(struct conf_ctx *ctx)
{
	uint8_t on = 1, off = 0, a1, a2, a3, a4;
	bool uc_off, mc_off, uc_on, mc_on;
	int rc;

	if ((rc = cmd(ctx, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &off, 1, &a1)) ||
	    (rc = cmd(ctx, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, &off, 1, &a2)))
		return rc;
	uc_off = delivered(ctx, foreign, 1);
	mc_off = delivered(ctx, mcast, 2);
	if ((rc = cmd(ctx, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1, &a3)) ||
	    (rc = cmd(ctx, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1, &a4)))
		return rc;
	uc_on = delivered(ctx, foreign, 3);
	mc_on = delivered(ctx, mcast, 4);
	conf_expect(ctx, "NET-RXF-DEV-01", !a1 && !a2 && !a3 && !a4 && !uc_off && !mc_off &&
					   uc_on && mc_on,
		    "PROMISC/ALLMULTI off: acks %u/%u, foreign unicast %s, multicast %s; on: acks "
		    "%u/%u, foreign unicast %s, multicast %s", a1, a2,
		    uc_off ? "delivered" : "dropped", mc_off ? "delivered" : "dropped", a3, a4,
		    uc_on ? "delivered" : "dropped", mc_on ? "delivered" : "dropped");
	if (ctx->features & CONF_F(VIRTIO_NET_F_CTRL_RX_EXTRA)) {
		static const uint8_t extra[] = { VIRTIO_NET_CTRL_RX_ALLUNI, VIRTIO_NET_CTRL_RX_NOMULTI,
						 VIRTIO_NET_CTRL_RX_NOUNI, VIRTIO_NET_CTRL_RX_NOBCAST };
		uint8_t ack;

		for (size_t i = 0; i < sizeof(extra); i++)
			for (uint8_t v = 0; v < 2; v++) {
				uint8_t val = (uint8_t)(1 - v);

				rc = cmd(ctx, VIRTIO_NET_CTRL_RX, extra[i], &val, 1, &ack);
				if (rc)
					return rc;
				if (ack) {
					conf_set(ctx, "NET-RXF-DEV-05", CONF_FAIL, "RX command %u "
						 "value %u acked %u", extra[i], val, ack);
					return 0;
				}
			}
		conf_set(ctx, "NET-RXF-DEV-05", CONF_PASS, "ALLUNI, NOMULTI, NOUNI, NOBCAST with 1 "
			 "and 0 all acked OK");
	}
	return 0;
}

/* MAC_TABLE_SET {one unicast entry}, nothing multicast. */
static int mac_table(struct conf_ctx *ctx, const uint8_t *uc, uint8_t *ack)
{
	uint8_t t[4 + 6 + 4];

	vq_put_le32(t, 1);
	memcpy(t + 4, uc, 6);
	vq_put_le32(t + 10, 0);
	return cmd(ctx, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t, sizeof(t), ack);
}

static int mac_rows(struct conf_ctx *ctx)
{
	uint8_t off = 0, ack, a2;
	bool got;
	char why[160];
	int rc;

	if ((rc = cmd(ctx, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &off, 1, &ack)) ||
	    (rc = mac_table(ctx, foreign, &a2)))
		return rc;
	/* at once: the very instant the buffer came back */
	got = delivered(ctx, foreign, 10);
	conf_expect(ctx, "NET-MAC-DEV-02", !ack && !a2 && got, "PROMISC 0 (ack %u), MAC_TABLE_SET "
		    "{%02x:%02x:%02x:%02x:%02x:%02x} (ack %u): a frame to it sent when the buffer "
		    "came back was %s", ack, foreign[0], foreign[1], foreign[2], foreign[3],
		    foreign[4], foreign[5], a2, got ? "delivered" : "dropped");
	/* after a reset the table is empty */
	{
		struct conf_up_opts o = { .features = ctx->features };

		rc = conf_up(ctx, &o, why, sizeof(why));
		if (rc)
			return conf_abort(ctx, "bring-up after reset: %s", why);
	}
	if ((rc = cmd(ctx, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &off, 1, &ack)))
		return rc;
	got = delivered(ctx, foreign, 11);
	conf_expect(ctx, "NET-MAC-DEV-01", !got, "after a device reset, PROMISC 0: a frame to the "
		    "address of the old MAC table was %s", got ? "delivered" : "dropped");
	if (ctx->features & CONF_F(VIRTIO_NET_F_CTRL_MAC_ADDR)) {
		static const uint8_t nm[6] = { 0x02, 0x00, 0xab, 0xcd, 0xef, 0x01 };
		uint8_t now[6];

		if ((rc = cmd(ctx, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, nm, 6, &ack)))
			return rc;
		for (unsigned i = 0; i < 6; i++)
			now[i] = (uint8_t)conf_devcfg(ctx, offsetof(struct virtio_net_config, mac) + i,
						      1);
		conf_expect(ctx, "NET-MAC-DEV-03", !ack && !memcmp(now, nm, 6), "MAC_ADDR_SET "
			    "02:00:ab:cd:ef:01 (ack %u): config mac reads "
			    "%02x:%02x:%02x:%02x:%02x:%02x when the buffer is back", ack, now[0],
			    now[1], now[2], now[3], now[4], now[5]);
	}
	return 0;
}

static int announce(struct conf_ctx *ctx)
{
	uint64_t irqs = ctx->cfg_irqs;
	uint16_t st;
	uint8_t ack;
	int rc;

	if (conf_control(ctx, "announce=1", NULL, 0))
		return 0; /* the model has no way to be asked: left untested */
	conf_run_for(ctx, ENG_US(10));
	st = (uint16_t)conf_devcfg(ctx, offsetof(struct virtio_net_config, status), 2);
	conf_expect(ctx, "NET-ANN-DEV-X01", (st & VIRTIO_NET_S_ANNOUNCE) && ctx->cfg_irqs > irqs,
		    "announcement asked: status 0x%x, %llu configuration interrupts", st,
		    (unsigned long long)(ctx->cfg_irqs - irqs));
	rc = cmd(ctx, VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK, NULL, 0, &ack);
	if (rc)
		return rc;
	st = (uint16_t)conf_devcfg(ctx, offsetof(struct virtio_net_config, status), 2);
	conf_expect(ctx, "NET-ANN-DEV-01", !ack && !(st & VIRTIO_NET_S_ANNOUNCE),
		    "ANNOUNCE_ACK (ack %u): status 0x%x when the buffer came back", ack, st);
	return 0;
}

static int run(struct conf_ctx *ctx)
{
	struct conf_up_opts o = { .features = features(ctx, true) };
	uint8_t on = 1, a[3], junk[3] = { 1, 2, 3 };
	uint32_t len[3];
	uint16_t q;
	char why[160];
	int rc;

	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "bring-up with the control queue: %s", why);
	q = ctx->ctrl_q;
	ctx->peer_echo = false;
	/* valid, unknown class, malformed */
	if (conf_ctrl(ctx, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1, &a[0], &len[0]) ||
	    conf_ctrl(ctx, 0x7f, 0, NULL, 0, &a[1], &len[1]) ||
	    conf_ctrl(ctx, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, junk, 3, &a[2], &len[2])) {
		conf_set(ctx, "NET-VQ-X02", CONF_FAIL, "a command on queue %u (2N with N = %s) never "
			 "came back", q, ctx->features & CONF_F(VIRTIO_NET_F_MQ) ?
			 "max_virtqueue_pairs" : "1");
		return 0;
	}
	conf_expect(ctx, "NET-CTRL-DEV-X01", a[0] <= 1 && a[1] <= 1 && a[2] <= 1 && len[0] >= 1 &&
						     len[1] >= 1 && len[2] >= 1,
		    "valid / unknown class / malformed command: acks %u, %u, %u, used lengths %u, "
		    "%u, %u", a[0], a[1], a[2], len[0], len[1], len[2]);
	if (ctx->features & CONF_F(VIRTIO_NET_F_CTRL_RX)) {
		rc = rx_modes(ctx);
		if (rc)
			return rc;
	}
	if (ctx->features & CONF_F(VIRTIO_NET_F_GUEST_ANNOUNCE)) {
		rc = announce(ctx);
		if (rc)
			return rc;
	}
	if (ctx->features & CONF_F(VIRTIO_NET_F_MQ)) {
		uint16_t q1 = q;

		o.features = features(ctx, false);
		rc = conf_up(ctx, &o, why, sizeof(why));
		if (rc)
			return conf_abort(ctx, "bring-up without MQ: %s", why);
		rc = conf_ctrl(ctx, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1, &a[0],
			       &len[0]);
		conf_expect(ctx, "NET-VQ-X02", !rc, "with MQ the control queue %u answered; "
			    "without MQ queue %u %s", q1, ctx->ctrl_q, rc ? "did not" : "did");
	} else {
		conf_set(ctx, "NET-VQ-X02", CONF_PASS, "commands answered on queue %u", q);
	}
	return ctx->features & CONF_F(VIRTIO_NET_F_CTRL_RX) ? mac_rows(ctx) : 0;
}

const struct conf_check conf_check_net_ctrl = {
	.name = "net_ctrl",
	.description = "control queue: its index, acks, receive modes, MAC filter and address, "
		       "announcements (5.1.2, 5.1.6.5)",
	.requirements = reqs,
	.needs_features = 1ULL << VIRTIO_NET_F_CTRL_VQ,
	.run = run,
};
