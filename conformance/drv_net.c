// SPDX-License-Identifier: MIT
/*
 * The virtio-net layer of the suite's driver (conf_drv.h): receive with
 * refill and mergeable reassembly, transmit with any descriptor layout,
 * indirect tables, loopback traffic, control commands and the bring-up.
 * Everything the device returns is untrusted: loops are bounded, lengths
 * checked, and a malformed completion is recorded (rx_bad) rather than
 * believed.
 */
#include "conformance/conf_drv.h"
#include "sim/devhost/devhost.h"
#include "sim/net/net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- virtio-net: receive ------------------------------------------------------------------------ */

static void rx_bad(struct conf_ctx *ctx, struct conf_vq *vq, const char *why, uint32_t v)
{
	if (!ctx->rx_bad++)
		snprintf(ctx->rx_bad_why, sizeof(ctx->rx_bad_why), "receiveq %u: %s (%u)", vq->qid,
			 why, v);
}

/* A received test frame (sim/net format) must be intact, its length exact. */
static void rx_verify(struct conf_ctx *ctx, const uint8_t *f, uint32_t len)
{
	struct net_test_hdr h;
	const char *why = NULL;

	if (net_frame_parse_seq(f, len, &h))
		return; /* not a test frame: other checks look at it */
	if (h.len != len)
		why = "length differs from the frame sent";
	else if (net_frame_check_payload(f, len, &h))
		why = "payload differs from the frame sent";
	if (!why) {
		ctx->rx_test_ok++;
		return;
	}
	if (!ctx->rx_test_bad++)
		snprintf(ctx->rx_test_why, sizeof(ctx->rx_test_why), "flow %u seq %llu: %s "
			 "(%u bytes received, %u sent)", h.flow, (unsigned long long)h.seq, why,
			 len, h.len);
}

static void rx_record(struct conf_ctx *ctx, struct conf_vq *vq, const uint8_t *b, uint32_t len,
		      uint16_t nbuf, bool lens_full)
{
	uint64_t i = ctx->nrx++;
	struct conf_rxf *f;

	rx_verify(ctx, b + CONF_NET_HDR, len - CONF_NET_HDR);
	if (i >= CONF_RX_KEEP)
		return;
	f = &ctx->rxf[i];
	f->qid = vq->qid;
	f->nbuf = nbuf;
	f->lens_full = lens_full;
	memcpy(f->hdr, b, CONF_NET_HDR);
	f->len = len - CONF_NET_HDR;
	f->data = malloc(f->len ? f->len : 1);
	if (f->data)
		memcpy(f->data, b + CONF_NET_HDR, f->len);
	else
		f->len = 0;
}

/* One used receive buffer: a whole packet, or a piece of a merged one. */
static void rx_one(struct conf_ctx *ctx, struct conf_vq *vq, uint32_t slot, uint32_t len)
{
	bool mrg = vq->features & CONF_F(VIRTIO_NET_F_MRG_RXBUF);
	uint64_t at = vq->buf + (uint64_t)slot * vq->stride;
	uint16_t nb;

	if (len > vq->stride) {
		rx_bad(ctx, vq, "used length beyond the buffer", len);
		return;
	}
	if (vq->asm_left) {
		if (vq->asm_len + len > 65536 + CONF_NET_HDR ||
		    conf_gread(ctx, at, vq->asm_buf + vq->asm_len, len)) {
			rx_bad(ctx, vq, "merged packet too long", vq->asm_len + len);
			vq->asm_left = 0;
			return;
		}
		if (vq->asm_left > 1 && len != vq->stride)
			vq->asm_lens_ok = 0;
		vq->asm_len += len;
		vq->asm_nbuf++;
		if (--vq->asm_left == 0)
			rx_record(ctx, vq, vq->asm_buf, vq->asm_len, (uint16_t)vq->asm_nbuf,
				  vq->asm_lens_ok);
		return;
	}
	if (len < CONF_NET_HDR) {
		rx_bad(ctx, vq, "used length shorter than the net header", len);
		return;
	}
	if (!vq->asm_buf) {
		vq->asm_buf = malloc(65536 + 2 * CONF_NET_HDR + vq->stride);
		if (!vq->asm_buf)
			return;
	}
	if (conf_gread(ctx, at, vq->asm_buf, len))
		return;
	nb = vq_le16(vq->asm_buf + 10);
	if (!mrg || nb <= 1) {
		rx_record(ctx, vq, vq->asm_buf, len, 1, true);
		return;
	}
	if (nb > vq->size) {
		rx_bad(ctx, vq, "num_buffers beyond the queue size", nb);
		rx_record(ctx, vq, vq->asm_buf, len, 1, true);
		return;
	}
	vq->asm_len = len;
	vq->asm_nbuf = 1;
	vq->asm_left = nb - 1u;
	vq->asm_lens_ok = len == vq->stride;
}

int conf_rx_post(struct conf_ctx *ctx, uint16_t qid)
{
	struct conf_vq *vq = &ctx->vq[qid % CONF_MAX_VQ];
	bool added = false;

	if (!vq->live || !vq->drv || !vq->rx)
		return -ENOENT;
	while (vq->nfree) {
		uint32_t slot = vq->free_slot[vq->nfree - 1];
		struct vq_seg sg = { vq->buf + (uint64_t)slot * vq->stride, vq->stride,
				     VQ_SEG_F_WRITE };
		int r = vq_drv_add(vq->drv, &sg, 0, 1, (void *)(uintptr_t)(slot + 1));

		if (r == -ENOSPC)
			break;
		if (r)
			return r;
		vq->nfree--;
		added = true;
	}
	return added ? conf_kick(ctx, qid) : 0;
}

/* ---- collecting ---------------------------------------------------------------------------------- */

static int collect_once(struct conf_ctx *ctx, struct conf_vq *vq)
{
	int n = 0;

	for (uint32_t guard = 0; guard < 4u * vq->size + 4; guard++) {
		void *tok;
		uint32_t len, slot;
		int r = vq_drv_get_used(vq->drv, &tok, &len);

		if (r < 0)
			return -EIO;
		if (r == 0)
			break;
		slot = (uint32_t)(uintptr_t)tok - 1;
		if (slot >= vq->nslots)
			return -EIO;
		vq->collected++;
		n++;
		if (vq->qid == ctx->ctrl_q) {
			uint64_t at = vq->buf + (uint64_t)slot * vq->stride;

			ctx->ctrl_ack = 0xEE;
			conf_gread(ctx, at + vq->stride - 1, &ctx->ctrl_ack, 1);
			ctx->ctrl_len = len;
			ctx->ctrl_done++;
		} else if (vq->rx) {
			rx_one(ctx, vq, slot, len);
		}
		vq->free_slot[vq->nfree++] = slot;
	}
	return n;
}

void conf_vq_service(struct conf_ctx *ctx, struct conf_vq *vq)
{
	for (int i = 0; i < 16; i++) {
		int n;

		vq_drv_disable_cb(vq->drv);
		n = collect_once(ctx, vq);
		if (n < 0)
			return;
		if (vq->rx && vq->refill)
			conf_rx_post(ctx, vq->qid);
		if (vq_drv_enable_cb(vq->drv))
			break;
	}
}

int conf_collect(struct conf_ctx *ctx, uint16_t qid)
{
	struct conf_vq *vq = &ctx->vq[qid % CONF_MAX_VQ];
	uint64_t before = vq->collected;

	if (!vq->live || !vq->drv)
		return 0;
	conf_vq_service(ctx, vq);
	if (vq_drv_broken(vq->drv))
		return -EIO;
	return (int)(vq->collected - before);
}

int conf_settle(struct conf_ctx *ctx, sim_time_t dt)
{
	int rc = conf_run_for(ctx, dt);

	if (rc)
		return rc;
	for (uint16_t q = 0; q < CONF_MAX_VQ; q++)
		if (ctx->vq[q].live && !ctx->vq[q].raw && !ctx->vq[q].hold)
			conf_collect(ctx, q);
	conf_obs_sync(ctx);
	return 0;
}

/* ---- transmit ---------------------------------------------------------------------------------- */

int conf_tx(struct conf_ctx *ctx, uint16_t qid, const uint8_t *frame, uint32_t len,
	    const uint8_t *hdr, unsigned nseg)
{
	struct conf_vq *vq = &ctx->vq[qid % CONF_MAX_VQ];
	static const uint8_t zero[CONF_NET_HDR];
	struct vq_seg sg[16];
	uint8_t junk[64];
	uint64_t at, p;
	uint32_t slot, pieces, off = 0;
	unsigned n = 0;
	int r;

	if (!vq->live || !vq->drv || vq->rx)
		return -ENOENT;
	if (!nseg || nseg > 16)
		return -EINVAL;
	if (!vq->nfree)
		return -ENOSPC;
	pieces = nseg > 2 ? nseg - 1 : 1;
	if (CONF_NET_HDR + len + (pieces + 1) * sizeof(junk) > vq->stride)
		return -EMSGSIZE;
	memset(junk, 0xEE, sizeof(junk));
	slot = vq->free_slot[vq->nfree - 1];
	at = vq->buf + (uint64_t)slot * vq->stride;
	if (conf_gwrite(ctx, at, hdr ? hdr : zero, CONF_NET_HDR))
		return -EFAULT;
	if (nseg == 1) {
		conf_gwrite(ctx, at + CONF_NET_HDR, frame, len);
		sg[n++] = (struct vq_seg){ at, CONF_NET_HDR + len, 0 };
	} else {
		sg[n++] = (struct vq_seg){ at, CONF_NET_HDR, 0 };
		p = at + CONF_NET_HDR;
		for (uint32_t i = 0; i < pieces; i++) {
			uint32_t plen = i + 1 == pieces ? len - off : len / pieces;

			/* junk between pieces: a device must follow the descriptors */
			conf_gwrite(ctx, p, junk, sizeof(junk));
			p += sizeof(junk);
			conf_gwrite(ctx, p, frame + off, plen);
			sg[n++] = (struct vq_seg){ p, plen, 0 };
			p += plen;
			off += plen;
		}
	}
	r = vq_drv_add(vq->drv, sg, n, 0, (void *)(uintptr_t)(slot + 1));
	if (r)
		return r;
	vq->nfree--;
	return 0;
}

void conf_dev_mac(struct conf_ctx *ctx, uint8_t mac[6])
{
	static const uint8_t fixed[6] = { 0x02, 0x00, 0x00, 0x5e, 0x00, 0x01 };

	if (!(ctx->features & CONF_F(VIRTIO_NET_F_MAC))) {
		memcpy(mac, fixed, 6);
		return;
	}
	for (unsigned i = 0; i < 6; i++)
		mac[i] = (uint8_t)conf_devcfg(ctx, (unsigned)offsetof(struct virtio_net_config,
								      mac) + i, 1);
}

uint32_t conf_test_frame(struct conf_ctx *ctx, uint8_t *buf, uint32_t len, uint16_t flow,
			 uint64_t seq, const uint8_t *dst)
{
	static const uint8_t src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };
	struct net_test_hdr h = { .flow = flow, .len = (uint16_t)len, .seq = seq };
	uint8_t mac[6];

	if (!dst) {
		conf_dev_mac(ctx, mac);
		dst = mac;
	}
	if (net_frame_build(buf, 65535, len, dst, src, &h))
		return 0;
	return len;
}

/* ---- indirect tables ------------------------------------------------------------------------ */

#define IND_BLOCK 256u

static int ind_alloc(void *arg, uint32_t bytes, uint64_t *addr)
{
	struct conf_vq *vq = arg;

	/* one block per buffer slot: at most size buffers are in flight */
	if (bytes > IND_BLOCK || !vq->nslots)
		return -ENOMEM;
	for (uint32_t i = 0; i < vq->nslots; i++) {
		uint32_t k = (uint32_t)((vq->collected + i) % vq->nslots);
		uint8_t *used = (uint8_t *)vq->asm_buf;

		if (!used[k]) {
			used[k] = 1;
			*addr = vq->ind_pool + (uint64_t)k * IND_BLOCK;
			return 0;
		}
	}
	return -ENOMEM;
}

static void ind_free(void *arg, uint64_t addr, uint32_t bytes)
{
	struct conf_vq *vq = arg;
	uint64_t k = (addr - vq->ind_pool) / IND_BLOCK;

	(void)bytes;
	if (addr >= vq->ind_pool && k < vq->nslots)
		((uint8_t *)vq->asm_buf)[k] = 0;
}

int conf_tx_indirect(struct conf_ctx *ctx, uint16_t qid, uint32_t min_segs)
{
	struct conf_vq *vq = &ctx->vq[qid % CONF_MAX_VQ];
	struct vq_indirect_ops ops = { ind_alloc, ind_free, vq };

	if (!vq->live || !vq->drv || vq->rx)
		return -ENOENT;
	/* a transmit queue has no reassembly: its buffer marks the blocks in use */
	vq->ind_pool = conf_alloc(ctx, (uint64_t)IND_BLOCK * vq->nslots);
	free(vq->asm_buf);
	vq->asm_buf = calloc(vq->nslots, 1);
	if (!vq->ind_pool || !vq->asm_buf)
		return -ENOMEM;
	vq_drv_set_indirect(vq->drv, &ops, min_segs);
	return 0;
}

/* ---- loopback traffic ----------------------------------------------------------------------- */

int conf_run_traffic(struct conf_ctx *ctx, struct conf_traffic *t)
{
	uint64_t ok0 = ctx->rx_test_ok, bad0 = ctx->rx_test_bad;
	sim_time_t end = conf_now(ctx) + (t->limit ? t->limit : ENG_MS(2));
	uint8_t *f = malloc(65536);
	int rc = 0;

	if (!f)
		return -ENOMEM;
	t->sent = 0;
	t->received = 0;
	while (conf_now(ctx) < end) {
		bool added = false;

		t->received = ctx->rx_test_ok + ctx->rx_test_bad - ok0 - bad0;
		/* a window: receive buffers are finite and Ethernet drops, it does not wait */
		while (t->sent < t->count && t->sent < t->received + (t->window ? t->window : 8)) {
			uint32_t span = t->max_len - t->min_len + 1;
			uint32_t len = t->min_len + (t->sent * 37u) % span;
			unsigned nseg = t->nseg_max > 1 ? 1 + t->sent % t->nseg_max : 1;

			conf_test_frame(ctx, f, len, t->flow, t->sent, NULL);
			if (conf_tx(ctx, t->txq, f, len, NULL, nseg))
				break;
			t->sent++;
			added = true;
		}
		if (added)
			conf_kick(ctx, t->txq);
		t->received = ctx->rx_test_ok + ctx->rx_test_bad - ok0 - bad0;
		if (t->received >= t->count)
			break;
		rc = conf_run_for(ctx, ENG_US(1));
		if (rc)
			break;
		conf_collect(ctx, t->txq);
	}
	free(f);
	t->received = ctx->rx_test_ok + ctx->rx_test_bad - ok0 - bad0;
	return rc;
}

/* ---- control queue ------------------------------------------------------------------------------ */

uint16_t conf_ctrl_qid(struct conf_ctx *ctx)
{
	uint16_t pairs = 1;

	if (ctx->features & CONF_F(VIRTIO_NET_F_MQ))
		pairs = (uint16_t)conf_devcfg(ctx, offsetof(struct virtio_net_config,
							    max_virtqueue_pairs), 2);
	/* virtio 1.3 5.1.2: controlq is 2N */
	return (uint16_t)(2 * pairs);
}

int conf_ctrl(struct conf_ctx *ctx, uint8_t cls, uint8_t cmd, const void *data, uint32_t n,
	      uint8_t *ack, uint32_t *used_len)
{
	struct conf_vq *vq = &ctx->vq[ctx->ctrl_q % CONF_MAX_VQ];
	uint8_t b[512] = { cls, cmd };
	uint64_t done = ctx->ctrl_done, at;
	struct vq_seg sg[2];
	uint32_t slot;
	int r;

	*ack = 0xEE;
	*used_len = 0;
	if (ctx->ctrl_q == CONF_NO_VECTOR || !vq->live)
		return -ENOENT;
	if (!vq->nfree || n + 3 > vq->stride || n + 3 > sizeof(b))
		return -ENOSPC;
	slot = vq->free_slot[--vq->nfree];
	at = vq->buf + (uint64_t)slot * vq->stride;
	if (n)
		memcpy(b + 2, data, n);
	conf_gwrite(ctx, at, b, 2 + n);
	b[0] = 0xEE;
	conf_gwrite(ctx, at + vq->stride - 1, b, 1);
	sg[0] = (struct vq_seg){ at, 2 + n, 0 };
	sg[1] = (struct vq_seg){ at + vq->stride - 1, 1, VQ_SEG_F_WRITE };
	r = vq_drv_add(vq->drv, sg, 1, 1, (void *)(uintptr_t)(slot + 1));
	if (r) {
		vq->nfree++;
		return r;
	}
	conf_kick(ctx, ctx->ctrl_q);
	for (unsigned i = 0; i < 1000 && ctx->ctrl_done == done; i++) {
		r = conf_run_for(ctx, ENG_US(1));
		if (r)
			return r;
		conf_collect(ctx, ctx->ctrl_q);
	}
	if (ctx->ctrl_done == done)
		return -ETIMEDOUT;
	*ack = ctx->ctrl_ack;
	*used_len = ctx->ctrl_len;
	return 0;
}

/* ---- bring-up ------------------------------------------------------------------------------------ */

#define WHY(...) snprintf(why, whylen, __VA_ARGS__)

int conf_up(struct conf_ctx *ctx, const struct conf_up_opts *o, char *why, size_t whylen)
{
	uint64_t f = o->features ? o->features : conf_feature_base(ctx);
	unsigned pairs = o->pairs ? o->pairs : 1, nq = 2 * pairs;
	bool shared = o->shared_vector;
	uint16_t ctrl = CONF_NO_VECTOR, last;
	int rc;

	why[0] = 0;
	if (!ctx->cc || !ctx->ncap) {
		WHY("no usable common configuration or notification capability");
		return -ENODEV;
	}
	rc = conf_negotiate(ctx, f);
	if (rc) {
		WHY(rc == -EPROTO ? "device cleared FEATURES_OK for features 0x%016llx it offered"
				  : "device reset did not complete (features 0x%016llx)",
		    (unsigned long long)f);
		return rc;
	}
	if (f & CONF_F(VIRTIO_NET_F_CTRL_VQ))
		ctrl = conf_ctrl_qid(ctx);
	last = ctrl != CONF_NO_VECTOR ? ctrl : (uint16_t)(nq - 1);
	/* one vector per queue and one for configuration changes when the table has them */
	if (ctx->msix_size < last + 2u)
		shared = true;
	conf_msix_enable(ctx);
	for (uint16_t q = 0; q < nq; q++) {
		struct conf_vq_opts vo = {
			.size = o->qsize,
			.vector = o->tx_unmapped && q % 2 ? CONF_NO_VECTOR : shared ? 0 : q,
			.rx = q % 2 == 0,
			.raw = o->raw_tx && q == 1,
			.stride = q % 2 == 0 ? o->rx_stride : o->tx_stride,
		};

		rc = conf_vq_setup(ctx, q, &vo);
		if (rc) {
			WHY("setting queue %u up failed (%d: %s)", q, rc,
			    rc == -EIO ? "queue_size or queue_msix_vector did not read back"
				       : strerror(-rc));
			return rc;
		}
	}
	if (ctrl != CONF_NO_VECTOR) {
		struct conf_vq_opts vo = { .size = 64, .vector = shared ? 0 : ctrl, .stride = 512 };
		uint16_t max = (uint16_t)conf_q_read(ctx, ctrl, VIRTIO_PCI_COMMON_Q_SIZE, 2);

		if (max && max < vo.size)
			vo.size = max;
		rc = conf_vq_setup(ctx, ctrl, &vo);
		if (rc) {
			WHY("setting the control queue %u up failed (%d)", ctrl, rc);
			return rc;
		}
		ctx->ctrl_q = ctrl;
	}
	if (ctx->msix_size)
		conf_cfg_vector(ctx, shared ? (ctx->msix_size > 1 ? 1 : 0) : (uint16_t)(last + 1));
	if (o->no_driver_ok)
		return 0;
	conf_driver_ok(ctx);
	if (!(conf_status(ctx) & VIRTIO_CONFIG_S_DRIVER_OK)) {
		WHY("DRIVER_OK did not stick (status 0x%02x)", conf_status(ctx));
		return -EPROTO;
	}
	if (!o->no_rx_post)
		for (uint16_t q = 0; q < nq; q += 2) {
			rc = conf_rx_post(ctx, q);
			if (rc) {
				WHY("posting receive buffers on queue %u failed (%d)", q, rc);
				return rc;
			}
		}
	return 0;
}
