// SPDX-License-Identifier: MIT
/*
 * IFCVF receive: the wire -> filter -> steering -> posted buffers.  Receive
 * chains are prefetched (up to 2 * batch per queue) when the driver kicks and
 * whenever the cache runs below half; a frame is written pipeline_ns after it
 * arrived (or once its chains' descriptors are in), header and data in one
 * DMA per buffer segment, and completes into the used write-back.  No chain,
 * no frame: it is dropped and counted (rx_no_buffer): Ethernet does not wait.
 */
#include "sim/nic_ifcvf/ifcvf_priv.h"

#include <errno.h>
#include <string.h>

#define ETH_HLEN_ 14u
#define HDR_NUM_BUFFERS 10u /* offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers) */

/* virtio 1.3 5.1.6.5.1 / 5.1.6.5.2: promiscuous, all-multicast and the MAC tables. */
static bool rx_accept(const struct ifcvf *d, const uint8_t *f)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (d->promisc || !memcmp(f, bcast, 6))
		return true;
	if (f[0] & 1) {
		if (d->allmulti)
			return true;
		for (uint32_t i = 0; i < d->nmc; i++)
			if (!memcmp(f, d->mc[i], 6))
				return true;
		return false;
	}
	if (!memcmp(f, d->mac, 6))
		return true;
	for (uint32_t i = 0; i < d->nuc; i++)
		if (!memcmp(f, d->uc[i], 6))
			return true;
	return false;
}

/* virtio 1.3 5.1.6.5.6: automatic steering to the pair the flow was last sent on. */
static uint16_t rx_pair(const struct ifcvf *d, const uint8_t *f, uint32_t len)
{
	uint32_t h;
	uint8_t p;

	if (d->active_pairs <= 1)
		return 0;
	h = ifcvf_flow_hash(f, len);
	p = d->flow[h % IFCVF_FLOWS];
	if (p && p <= d->active_pairs)
		return (uint16_t)(p - 1);
	return (uint16_t)(h % d->active_pairs);
}

/* Top up the prefetch cache.  0, or -EIO when the queue failed. */
static int rx_fill(struct ifcvf *d, struct ifcvf_q *q, uint64_t now)
{
	q->t_ring = ifcvf_max(q->t_ring, now);
	for (uint32_t guard = 0; q->rxc_n < q->rxc_cap && guard < 2 * q->rxc_cap; guard++) {
		struct ifcvf_rxc *e = &q->rxc[(q->rxc_head + q->rxc_n) % q->rxc_cap];
		int r;

		e->c.seg = e->seg;
		e->c.seg_cap = IFCVF_SEG_CAP;
		ifcvf_acc_begin(q, q->t_ring, false);
		r = vq_dev_fetch(q->vq, &e->c);
		if (r == 0) {
			ifcvf_acc_begin(q, q->t_ring, false);
			if (vq_dev_enable_notify(q->vq))
				continue;
			break;
		}
		/* -EMSGSIZE: more segments than we track; kept (nseg 0) so that it
		 * goes back unused in fetch order (IN_ORDER) */
		if (r < 0 && r != -EMSGSIZE)
			break;
		e->known = q->acc.t;
		q->rxc_n++;
	}
	if (q->rxc_n == q->rxc_cap) {
		/* full: refills follow consumption, no kick needed */
		ifcvf_acc_begin(q, q->t_ring, false);
		vq_dev_disable_notify(q->vq);
	}
	if (vq_dev_broken(q->vq)) {
		ifcvf_queue_fail_vq(d, q, "receive fetch");
		return -EIO;
	}
	return 0;
}

void ifcvf_rx_prefetch(struct ifcvf *d, struct ifcvf_q *q)
{
	rx_fill(d, q, d->h->now(d->host));
}

/* Chains at the head of the cache for need bytes: how many, 0 if not enough. */
static uint32_t rx_gather(struct ifcvf *d, struct ifcvf_q *q, uint32_t need, uint64_t now,
			  bool *too_small)
{
	bool mrg = ifcvf_has(d, VIRTIO_NET_F_MRG_RXBUF);
	uint64_t have = 0;
	uint32_t n = 0;

	*too_small = false;
	/* bounded: each turn takes a chain or gives an unusable one back */
	for (uint32_t guard = 0; n < q->rxc_cap && guard < 2u * q->size + q->rxc_cap; guard++) {
		const struct ifcvf_rxc *e;

		if (n == q->rxc_n && (rx_fill(d, q, now) || n == q->rxc_n))
			return 0;
		e = &q->rxc[(q->rxc_head + n) % q->rxc_cap];
		if (e->c.nseg == 0) {
			if (n > 0)
				return 0; /* the merge stops at a chain we cannot use */
			ifcvf_stat(d, IFCVF_S_RX_TOO_BIG, 1);
			ifcvf_cq_push(d, q, &e->c, 0, ifcvf_max(now, e->known));
			q->rxc_head = (q->rxc_head + 1) % q->rxc_cap;
			q->rxc_n--;
			continue;
		}
		have += e->c.in_len;
		n++;
		if (have >= need)
			return n;
		if (!mrg) {
			/* virtio 1.3 5.1.6.3.1: without MRG_RXBUF one buffer holds the packet */
			*too_small = true;
			return 0;
		}
	}
	return 0;
}

static void rx_frame(struct ifcvf *d, const uint8_t *f, uint32_t len);

void ifcvf_net_rx(void *dev, uint32_t port, const void *frame, uint32_t len)
{
	struct ifcvf *d = dev;

	if (port != 0 || !(d->status & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    !(d->net_status & VIRTIO_NET_S_LINK_UP) || len < ETH_HLEN_)
		ifcvf_stat(d, IFCVF_S_RX_NOT_READY, 1);
	else
		rx_frame(d, frame, len);
	ifcvf_stats_flush(d);
}

static void rx_frame(struct ifcvf *d, const uint8_t *f, uint32_t len)
{
	uint64_t now = d->h->now(d->host), t;
	uint32_t need = IFCVF_HDR_LEN + len, nbuf, off = 0;
	struct ifcvf_q *q;
	bool too_small;

	if (len > IFCVF_RX_FRAME_MAX) {
		ifcvf_stat(d, IFCVF_S_RX_TOO_BIG, 1);
		return;
	}
	if (!rx_accept(d, f)) {
		ifcvf_stat(d, IFCVF_S_RX_FILTERED, 1);
		return;
	}
	q = &d->q[2 * rx_pair(d, f, len)];
	if (!q->running || q->broken || q->kind != IFCVF_Q_RX) {
		ifcvf_stat(d, IFCVF_S_RX_NO_BUFFER, 1);
		return;
	}
	nbuf = rx_gather(d, q, need, now, &too_small);
	if (!nbuf) {
		ifcvf_stat(d, too_small ? IFCVF_S_RX_TOO_BIG : IFCVF_S_RX_NO_BUFFER, 1);
		return;
	}
	/* virtio 1.3 5.1.6.4: header first (no offloads), num_buffers in the first buffer */
	memset(d->rxbuf, 0, IFCVF_HDR_LEN);
	vq_put_le16(d->rxbuf + HDR_NUM_BUFFERS, (uint16_t)nbuf);
	memcpy(d->rxbuf + IFCVF_HDR_LEN, f, len);
	t = now + d->o.pipeline_ps;
	for (uint32_t i = 0; i < nbuf; i++)
		t = ifcvf_max(t, q->rxc[(q->rxc_head + i) % q->rxc_cap].known);
	for (uint32_t i = 0; i < nbuf; i++) {
		struct ifcvf_rxc *e = &q->rxc[q->rxc_head];
		uint32_t n = e->c.in_len < need - off ? e->c.in_len : need - off;

		ifcvf_acc_begin(q, t, true);
		q->acc.log = true;
		if (vq_dev_write(q->vq, &e->c, 0, d->rxbuf + off, n)) {
			ifcvf_queue_fail_vq(d, q, "receive buffer write");
			return;
		}
		q->acc.log = false;
		ifcvf_cq_push(d, q, &e->c, n, t);
		off += n;
		q->rxc_head = (q->rxc_head + 1) % q->rxc_cap;
		q->rxc_n--;
	}
	ifcvf_stat(d, IFCVF_S_RX_FRAMES, 1);
	ifcvf_stat(d, IFCVF_S_RX_BYTES, len);
	if (nbuf > 1)
		ifcvf_stat(d, IFCVF_S_RX_MERGED, 1);
	if (q->rxc_n < q->rxc_cap / 2)
		ifcvf_sched_run(d, q, now);
}
