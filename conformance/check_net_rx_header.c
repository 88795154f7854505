// SPDX-License-Identifier: MIT
/*
 * Check "net_rx_header" (virtio 1.3 5.1.6.3, 5.1.6.4: the receive header),
 * with no receive offload negotiated.  Frames of 60..1514 bytes go round the
 * loopback, first with one 2048-byte buffer per packet, then (when offered)
 * with MRG_RXBUF and 512-byte buffers.  Each received header is checked:
 *
 *   flags 0 (NET-RX-DEV-05): no NEEDS_CSUM, no DATA_VALID (so never with a
 *     tunnel bit, NET-RX-DEV-34), no RSC_INFO (NET-RX-DEV-30);
 *   gso_type NONE (NET-RX-DEV-26), hence never TCPV4, UDP, TCPV6, UDP_L4,
 *     a tunnel bit or UDP_TUNNEL_CSUM (NET-RX-DEV-07..12, 21, 25);
 *   without MRG_RXBUF num_buffers is 1 and each packet took one buffer
 *     (NET-RX-DEV-01, NET-RXB-DEV-01/02);
 *   with MRG_RXBUF num_buffers equals the buffers the packet spans, every
 *     one but the last filled to its length, and the packet reassembles
 *     intact (NET-RX-DEV-02/03, NET-RXB-DEV-01).
 *
 * Fails naming the frame and the header bytes: "frame 3: flags 0x02
 * (DATA_VALID) without GUEST_CSUM".
 */
#include "conformance/conf_drv.h"

#include <string.h>

static const char *const reqs[] = {
	"NET-RX-DEV-01", "NET-RX-DEV-02", "NET-RX-DEV-03", "NET-RX-DEV-05", "NET-RX-DEV-07",
	"NET-RX-DEV-08", "NET-RX-DEV-09", "NET-RX-DEV-10", "NET-RX-DEV-11", "NET-RX-DEV-12",
	"NET-RX-DEV-21", "NET-RX-DEV-25", "NET-RX-DEV-26", "NET-RX-DEV-30", "NET-RX-DEV-34",
	"NET-RXB-DEV-01", "NET-RXB-DEV-02", NULL,
};

/* gso_type (virtio 1.3 5.1.6): low bits the protocol, 0x20/0x40 tunnel, 0x80 ECN;
 * flags: 1 NEEDS_CSUM, 2 DATA_VALID, 4 RSC_INFO, 8 UDP_TUNNEL_CSUM. */
#define GSO_TUNNEL 0x60u
#define GSO_PROTO(g) ((g) & 0x1fu)
#define F_DATA_VALID 2u
#define F_RSC_INFO 4u
#define F_TUNNEL_CSUM 8u

/* One row about a header of a packet received without offloads: true when
 * the header breaks it. */
struct hdr_rule {
	const char *id;
	const char *what; /* what must never appear */
	bool (*bad)(const struct conf_rxf *r);
};

static bool flags_any(const struct conf_rxf *r) { return r->hdr[0] != 0; }
static bool gso_tcpv4(const struct conf_rxf *r) { return GSO_PROTO(r->hdr[1]) == 1; }
static bool gso_udp(const struct conf_rxf *r) { return GSO_PROTO(r->hdr[1]) == 3; }
static bool gso_tcpv6(const struct conf_rxf *r) { return GSO_PROTO(r->hdr[1]) == 4; }
static bool gso_udp_l4(const struct conf_rxf *r) { return GSO_PROTO(r->hdr[1]) == 5; }
static bool gso_tunnel(const struct conf_rxf *r) { return r->hdr[1] & GSO_TUNNEL; }
static bool tunnel_csum(const struct conf_rxf *r) { return r->hdr[0] & F_TUNNEL_CSUM; }
static bool gso_any(const struct conf_rxf *r) { return r->hdr[1] != 0; }
static bool rsc_info(const struct conf_rxf *r) { return r->hdr[0] & F_RSC_INFO; }
static bool valid_tunnel(const struct conf_rxf *r)
{
	return (r->hdr[0] & F_DATA_VALID) && (r->hdr[1] & GSO_TUNNEL);
}
static bool nbuf_not_1(const struct conf_rxf *r) { return vq_le16(r->hdr + 10) != 1; }
static bool nbuf_mismatch(const struct conf_rxf *r) { return vq_le16(r->hdr + 10) != r->nbuf; }
static bool not_single(const struct conf_rxf *r) { return r->nbuf != 1; }

static const struct hdr_rule rules[] = {
	{ "NET-RX-DEV-05", "flags other than 0 without GUEST_CSUM", flags_any },
	{ "NET-RX-DEV-07", "gso_type TCPV4 without GUEST_TSO4", gso_tcpv4 },
	{ "NET-RX-DEV-08", "gso_type UDP without GUEST_UFO", gso_udp },
	{ "NET-RX-DEV-09", "gso_type TCPV6 without GUEST_TSO6", gso_tcpv6 },
	{ "NET-RX-DEV-10", "gso_type UDP_L4 without GUEST_USO4/6", gso_udp_l4 },
	{ "NET-RX-DEV-11", "a tunnel bit in gso_type without GUEST_UDP_TUNNEL_GSO", gso_tunnel },
	{ "NET-RX-DEV-12", "UDP_TUNNEL_CSUM without GUEST_UDP_TUNNEL_GSO_CSUM", tunnel_csum },
	{ "NET-RX-DEV-21", "a tunnelled GSO packet without GUEST_UDP_TUNNEL_GSO", gso_tunnel },
	{ "NET-RX-DEV-25", "a tunnelled GSO packet needing outer checksum offload",
	  gso_tunnel },
	{ "NET-RX-DEV-26", "gso_type other than NONE with no guest GSO feature", gso_any },
	{ "NET-RX-DEV-30", "RSC_INFO without RSC_EXT", rsc_info },
	{ "NET-RX-DEV-34", "DATA_VALID together with a tunnel bit", valid_tunnel },
	{ "NET-RX-DEV-01", "num_buffers other than 1 without MRG_RXBUF", nbuf_not_1 },
	{ "NET-RXB-DEV-01", "num_buffers other than the buffers the packet took", nbuf_mismatch },
	{ "NET-RXB-DEV-02", "a packet in more than one buffer without MRG_RXBUF", not_single },
};

#define FRAMES 64u

static int phase(struct conf_ctx *ctx, bool mrg, uint32_t stride)
{
	uint64_t f = conf_feature_base(ctx) | (mrg ? CONF_F(VIRTIO_NET_F_MRG_RXBUF) : 0);
	struct conf_up_opts o = { .features = f, .rx_stride = stride };
	struct conf_traffic t = { .count = FRAMES, .min_len = 60, .max_len = 1514, .txq = 1,
				  .limit = ENG_MS(2) };
	char why[160];
	int rc;

	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "bring-up%s: %s", mrg ? " with MRG_RXBUF" : "", why);
	conf_traffic_clear(ctx);
	ctx->rx_test_ok = ctx->rx_test_bad = 0;
	rc = conf_run_traffic(ctx, &t);
	if (!rc)
		rc = conf_settle(ctx, ENG_US(20));
	if (rc)
		return rc;
	if (ctx->nrx < FRAMES)
		return conf_abort(ctx, "%s%llu of %u frames came back%s%s", mrg ? "MRG_RXBUF: " : "",
				  (unsigned long long)ctx->nrx, FRAMES, ctx->rx_bad ? "; " : "",
				  ctx->rx_bad_why);
	return 0;
}

/* Headers of phase 1 (no MRG_RXBUF); rows failed here are not judged again. */
static void judge_plain(struct conf_ctx *ctx, bool *failed_rxb)
{
	uint64_t n = ctx->nrx < CONF_RX_KEEP ? ctx->nrx : CONF_RX_KEEP;

	for (size_t k = 0; k < sizeof(rules) / sizeof(rules[0]); k++) {
		uint64_t i;

		for (i = 0; i < n && !rules[k].bad(&ctx->rxf[i]); i++)
			;
		if (i < n) {
			const struct conf_rxf *r = &ctx->rxf[i];

			conf_set(ctx, rules[k].id, CONF_FAIL, "frame %llu: %s (header flags 0x%02x "
				 "gso_type 0x%02x num_buffers %u, %u buffers used)",
				 (unsigned long long)i, rules[k].what, r->hdr[0], r->hdr[1],
				 vq_le16(r->hdr + 10), r->nbuf);
			if (!strcmp(rules[k].id, "NET-RXB-DEV-01"))
				*failed_rxb = true;
		} else {
			conf_set(ctx, rules[k].id, CONF_PASS, "%llu frames without offloads: never %s",
				 (unsigned long long)n, rules[k].what);
		}
	}
}

static void judge_mrg(struct conf_ctx *ctx, uint32_t stride, bool failed_rxb)
{
	uint64_t n = ctx->nrx < CONF_RX_KEEP ? ctx->nrx : CONF_RX_KEEP;

	for (uint64_t i = 0; i < n; i++) {
		const struct conf_rxf *r = &ctx->rxf[i];
		uint32_t need = (CONF_NET_HDR + r->len + stride - 1) / stride;

		if (vq_le16(r->hdr + 10) != r->nbuf || r->nbuf != need || ctx->rx_test_bad) {
			conf_set(ctx, "NET-RX-DEV-02", CONF_FAIL, "MRG_RXBUF, %u-byte buffers: frame "
				 "%llu of %u bytes has num_buffers %u, spans %u buffers (needs %u)%s%s",
				 stride, (unsigned long long)i, r->len, vq_le16(r->hdr + 10),
				 r->nbuf, need, ctx->rx_test_bad ? "; " : "", ctx->rx_test_why);
			conf_set(ctx, "NET-RXB-DEV-01", CONF_FAIL, "frame %llu: num_buffers %u for "
				 "%u buffers", (unsigned long long)i, vq_le16(r->hdr + 10), r->nbuf);
			return;
		}
		if (!r->lens_full) {
			conf_set(ctx, "NET-RX-DEV-03", CONF_FAIL, "frame %llu spans %u buffers but one "
				 "before the last is not filled to its %u bytes",
				 (unsigned long long)i, r->nbuf, stride);
			return;
		}
	}
	conf_set(ctx, "NET-RX-DEV-02", CONF_PASS, "MRG_RXBUF, %u-byte buffers: %llu frames, "
		 "num_buffers equal to the buffers each spans, all intact", stride,
		 (unsigned long long)n);
	conf_set(ctx, "NET-RX-DEV-03", CONF_PASS, "every buffer but a packet's last filled to "
		 "its %u bytes", stride);
	if (!failed_rxb)
		conf_set(ctx, "NET-RXB-DEV-01", CONF_PASS, "with MRG_RXBUF too, num_buffers matched "
			 "the used buffers of %llu frames", (unsigned long long)n);
}

static int run(struct conf_ctx *ctx)
{
	bool failed_rxb = false;
	int rc = phase(ctx, false, 2048);

	if (rc)
		return rc;
	judge_plain(ctx, &failed_rxb);
	if (!conf_can(ctx, VIRTIO_NET_F_MRG_RXBUF))
		return 0;
	rc = phase(ctx, true, 512);
	if (!rc)
		judge_mrg(ctx, 512, failed_rxb);
	return rc;
}

const struct conf_check conf_check_net_rx_header = {
	.name = "net_rx_header",
	.description = "receive headers without offloads; num_buffers with and without "
		       "MRG_RXBUF (5.1.6.3, 5.1.6.4)",
	.requirements = reqs,
	.run = run,
};
