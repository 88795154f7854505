// SPDX-License-Identifier: MIT
/*
 * Check "net_tx" (virtio 1.3 5.1.6.2.2: NET-TX-DEV-01/02; 5.1.4.1:
 * NET-CFG-DEV-06): what the device makes of the transmit header.  With no
 * offload negotiated the suite sends frames whose virtio-net header carries
 * flag bits the spec does not define (0x40, 0x80), then a header with
 * csum_start 14 and csum_offset 16 but no NEEDS_CSUM, then (with MTU
 * negotiated) a frame of exactly mtu + 14 bytes.  Each must reach the wire
 * unchanged, byte for byte.
 *
 * Fails with "header flags 0x80: the frame never reached the wire" or "no
 * NEEDS_CSUM, csum_start 14 csum_offset 16: the frame differs at byte 30".
 */
#include "conformance/conf_drv.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *const reqs[] = { "NET-TX-DEV-01", "NET-TX-DEV-02", "NET-CFG-DEV-06", NULL };

/* Send one frame with header hdr; "" when it came out intact, else why. */
static int send_one(struct conf_ctx *ctx, const uint8_t *f, uint32_t len, const uint8_t *hdr,
		    char *why, size_t whylen)
{
	uint64_t n0 = ctx->nwire;
	const struct conf_wiref *w;
	int rc;

	why[0] = 0;
	rc = conf_tx(ctx, 1, f, len, hdr, 1);
	if (rc)
		return conf_abort(ctx, "queueing a %u-byte frame: %d", len, rc);
	conf_kick(ctx, 1);
	rc = conf_settle(ctx, ENG_US(30));
	if (rc)
		return rc;
	if (ctx->nwire == n0) {
		snprintf(why, whylen, "the frame never reached the wire");
		return 0;
	}
	if (n0 >= CONF_WIRE_KEEP)
		return conf_abort(ctx, "too many frames to keep");
	w = &ctx->wire[n0];
	if (w->len != len) {
		snprintf(why, whylen, "%u bytes on the wire, %u sent", w->len, len);
		return 0;
	}
	for (uint32_t i = 0; i < len; i++)
		if (w->data[i] != f[i]) {
			snprintf(why, whylen, "the frame differs at byte %u (0x%02x, sent 0x%02x)", i,
				 w->data[i], f[i]);
			return 0;
		}
	return 0;
}

static int run(struct conf_ctx *ctx)
{
	struct conf_up_opts o = { .tx_stride = 16384 };
	uint8_t hdr[CONF_NET_HDR], *f;
	uint16_t mtu = 0;
	char why[200];
	int rc;

	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "bring-up: %s", why);
	f = calloc(1, 65536);
	if (!f)
		return -ENOMEM;
	ctx->peer_echo = false;
	/* unknown flag bits: ignored */
	memset(hdr, 0, sizeof(hdr));
	hdr[0] = 0xc0;
	conf_test_frame(ctx, f, 300, 1, 0, NULL);
	rc = send_one(ctx, f, 300, hdr, why, sizeof(why));
	if (rc)
		goto out;
	conf_expect(ctx, "NET-TX-DEV-01", !why[0], "header flags 0xc0 (bits no spec defines): %s",
		    why[0] ? why : "the frame went out unchanged");
	/* csum_start / csum_offset without NEEDS_CSUM: ignored */
	memset(hdr, 0, sizeof(hdr));
	hdr[6] = 14;  /* csum_start */
	hdr[8] = 16;  /* csum_offset */
	conf_test_frame(ctx, f, 300, 1, 1, NULL);
	rc = send_one(ctx, f, 300, hdr, why, sizeof(why));
	if (rc)
		goto out;
	conf_expect(ctx, "NET-TX-DEV-02", !why[0], "flags 0, csum_start 14, csum_offset 16: %s",
		    why[0] ? why : "the frame went out unchanged");
	/* a frame of exactly mtu + Ethernet header */
	if (ctx->features & CONF_F(VIRTIO_NET_F_MTU))
		mtu = (uint16_t)conf_devcfg(ctx, offsetof(struct virtio_net_config, mtu), 2);
	if (mtu >= 68) {
		uint32_t len = mtu + 14u;

		if (len + CONF_NET_HDR + 64 > ctx->vq[1].stride) {
			rc = conf_abort(ctx, "mtu %u is beyond what this suite can send", mtu);
			goto out;
		}
		conf_test_frame(ctx, f, len, 1, 2, NULL);
		rc = send_one(ctx, f, len, NULL, why, sizeof(why));
		if (rc)
			goto out;
		conf_expect(ctx, "NET-CFG-DEV-06", !why[0], "MTU %u negotiated, a %u-byte frame: %s",
			    mtu, len, why[0] ? why : "it went out whole");
	}
out:
	free(f);
	return rc;
}

const struct conf_check conf_check_net_tx = {
	.name = "net_tx",
	.description = "transmit header fields without offloads, frames of mtu size (5.1.6.2, "
		       "5.1.4.1)",
	.requirements = reqs,
	.run = run,
};
