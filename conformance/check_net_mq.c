// SPDX-License-Identifier: MIT
/*
 * Check "net_mq" (virtio 1.3 5.1.6.5.6: NET-MQ-DEV-01/02/04, NET-MQ-DEV-X01),
 * with MQ and CTRL_VQ negotiated and every queue pair the device has set up.
 * The peer sends 32 test frames, one per flow:
 *
 *   before VQ_PAIRS_SET all must arrive on receiveq1 (NET-MQ-DEV-01);
 *   after VQ_PAIRS_SET max all must arrive, within receiveq1..max
 *   (NET-MQ-DEV-X01);
 *   after VQ_PAIRS_SET 1 (or half) none may arrive beyond the pairs set
 *   (NET-MQ-DEV-02);
 *   with RING_RESET, every receive queue reset: the device must drop them,
 *   touching no receive ring (NET-MQ-DEV-04).
 *
 * Fails with the queues the frames arrived on.
 */
#include "conformance/conf_drv.h"

#include <stddef.h>

static const char *const reqs[] = {
	"NET-MQ-DEV-X01", "NET-MQ-DEV-01", "NET-MQ-DEV-02", "NET-MQ-DEV-04", NULL,
};

#define FLOWS 32u

/* 32 flows from the peer; per-queue counts of what arrived. */
static void flows(struct conf_ctx *ctx, uint64_t seq, uint64_t *perq, uint64_t *total)
{
	uint8_t f[128];
	uint64_t n0 = ctx->nrx;

	for (uint16_t fl = 0; fl < FLOWS; fl++) {
		conf_test_frame(ctx, f, 100, fl, seq, NULL);
		conf_peer_send(ctx, f, 100);
	}
	conf_settle(ctx, ENG_US(30));
	for (unsigned q = 0; q < CONF_MAX_VQ; q++)
		perq[q] = 0;
	for (uint64_t i = n0; i < ctx->nrx && i < CONF_RX_KEEP; i++)
		perq[ctx->rxf[i].qid % CONF_MAX_VQ]++;
	*total = ctx->nrx - n0;
}

static void list(const uint64_t *perq, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned q = 0; q < CONF_MAX_VQ && n < len; q += 2)
		if (perq[q])
			n += (size_t)snprintf(buf + n, len - n, "%sq%u:%llu", n ? " " : "", q,
					      (unsigned long long)perq[q]);
}

static int pairs_set(struct conf_ctx *ctx, uint16_t n)
{
	uint8_t d[2], ack;
	uint32_t len;
	int rc;

	vq_put_le16(d, n);
	rc = conf_ctrl(ctx, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, d, 2, &ack, &len);
	if (rc || ack)
		return conf_abort(ctx, "VQ_PAIRS_SET %u: %s (ack %u)", n, rc ? "not returned" :
				  "refused", ack);
	return 0;
}

static int run(struct conf_ctx *ctx)
{
	uint64_t f = conf_feature_base(ctx) | CONF_F(VIRTIO_NET_F_MQ) | CONF_F(VIRTIO_NET_F_CTRL_VQ);
	bool rr = conf_can(ctx, VIRTIO_F_RING_RESET);
	uint64_t perq[CONF_MAX_VQ], total;
	uint16_t maxp, half;
	struct conf_up_opts o = { 0 };
	char why[160], l[256];
	unsigned beyond;
	int rc;

	if (rr)
		f |= CONF_F(VIRTIO_F_RING_RESET);
	if (conf_negotiate(ctx, f))
		return conf_abort(ctx, "features 0x%016llx refused", (unsigned long long)f);
	maxp = (uint16_t)conf_devcfg(ctx, offsetof(struct virtio_net_config, max_virtqueue_pairs), 2);
	if (maxp < 2 || 2u * maxp + 1 > CONF_MAX_VQ)
		return conf_abort(ctx, "max_virtqueue_pairs %u: nothing to steer across (or more "
				  "than this suite sets up)", maxp);
	o.features = f;
	o.pairs = maxp;
	o.qsize = 64;
	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "bring-up with %u pairs: %s", maxp, why);
	ctx->peer_echo = false;
	flows(ctx, 0, perq, &total);
	list(perq, l, sizeof(l));
	conf_expect(ctx, "NET-MQ-DEV-01", total == FLOWS && perq[0] == FLOWS, "before VQ_PAIRS_SET, "
		    "%u flows: %llu frames delivered (%s)", FLOWS, (unsigned long long)total, l);
	rc = pairs_set(ctx, maxp);
	if (rc)
		return rc;
	flows(ctx, 1, perq, &total);
	list(perq, l, sizeof(l));
	conf_expect(ctx, "NET-MQ-DEV-X01", total == FLOWS, "VQ_PAIRS_SET %u, %u flows: %llu frames "
		    "delivered within receiveq1..%u (%s)", maxp, FLOWS, (unsigned long long)total,
		    maxp, l);
	half = (uint16_t)(maxp / 2);
	rc = pairs_set(ctx, half);
	if (rc)
		return rc;
	flows(ctx, 2, perq, &total);
	list(perq, l, sizeof(l));
	beyond = 0;
	for (unsigned q = 2u * half; q < CONF_MAX_VQ; q += 2)
		beyond += (unsigned)perq[q];
	conf_expect(ctx, "NET-MQ-DEV-02", beyond == 0 && total == FLOWS, "VQ_PAIRS_SET %u: %u of "
		    "%llu frames on queues beyond receiveq%u (%s)", half, beyond,
		    (unsigned long long)total, half, l);
	if (rr) {
		uint64_t n0 = ctx->nrx;
		int w[CONF_WATCH_MAX];
		unsigned nw = 0;
		uint64_t touched = 0;

		conf_watch_clear(ctx);
		for (uint16_t q = 0; q < 2 * maxp && nw < CONF_WATCH_MAX; q += 2) {
			conf_q_write(ctx, q, VIRTIO_PCI_COMMON_Q_RESET, 2, 1);
			w[nw++] = conf_watch(ctx, ctx->vq[q].desc,
					     ctx->vq[q].buf + (uint64_t)ctx->vq[q].stride *
								      ctx->vq[q].nslots - ctx->vq[q].desc);
		}
		conf_run_for(ctx, ENG_US(20));
		flows(ctx, 3, perq, &total);
		for (unsigned i = 0; i < nw; i++)
			touched += ctx->watch[w[i]].reads + ctx->watch[w[i]].writes;
		conf_expect(ctx, "NET-MQ-DEV-04", ctx->nrx == n0 && !touched, "every receive queue "
			    "reset, %u flows: %llu delivered, %llu accesses to receive rings or "
			    "buffers", FLOWS, (unsigned long long)(ctx->nrx - n0),
			    (unsigned long long)touched);
	}
	return 0;
}

const struct conf_check conf_check_net_mq = {
	.name = "net_mq",
	.description = "multiqueue receive steering before and after VQ_PAIRS_SET (5.1.6.5.6)",
	.requirements = reqs,
	.needs_features = (1ULL << VIRTIO_NET_F_MQ) | (1ULL << VIRTIO_NET_F_CTRL_VQ),
	.run = run,
};
