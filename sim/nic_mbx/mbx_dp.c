// SPDX-License-Identifier: MIT
/*
 * MBX datapath: transmit (doorbell -> descriptors -> buffer reads -> wire) and
 * receive (wire -> steering -> descriptors -> buffer writes), both completing
 * through the queue's used write-back (mbx_vq.c).
 *
 * Transmit passes take up to `batch` chains; a frame goes to the port
 * pipeline_ns after its data arrived, frames of all queues in order.  The pass
 * is paced by the port: it never runs more than tx_ahead_ns ahead of the wire;
 * a frame the port refuses (-ENOBUFS) is held until it has room.
 *
 * Receive chains are prefetched (up to MBX_RX_CACHE per queue) when the queue
 * becomes ready, when the driver kicks, and whenever the cache runs below
 * half; a frame takes enough chains from the cache for header and frame with
 * mergeable buffers, one chain otherwise (reading the ring at once if the
 * cache ran dry).  No buffer, no frame: it is dropped and counted
 * (rx_no_buffer), as Ethernet does not wait.  Descriptor reads of several
 * chains overlap once the available ring is in, as a DMA engine with several
 * outstanding reads does.
 */
#include "sim/nic_mbx/mbx_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ETH_HLEN_ 14u
#define VLAN_HLEN_ 4u
#define ETH_P_IPV4 0x0800u
#define ETH_P_VDPASIM_TEST 0x88B5u /* the simulator's test frames (IEEE local experimental) */
#define HDR_NUM_BUFFERS 10u        /* offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers) */

/* ---- flow hash ------------------------------------------------------------------------------ */

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Hash the lower-ordered of two equal-sized fields first, so that both
 * directions of a flow land on the same queue. */
static uint64_t fnv_pair(uint64_t h, const uint8_t *a, const uint8_t *b, size_t n)
{
	if (memcmp(a, b, n) > 0) {
		const uint8_t *t = a;

		a = b;
		b = t;
	}
	return fnv(fnv(h, a, n), b, n);
}

/*
 * RX spreading (the device's RSS): IPv4 addresses, protocol and TCP/UDP ports;
 * the flow id of test frames; the MAC pair of anything else.
 */
uint32_t mbx_flow_hash(const uint8_t *f, uint32_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint16_t et;

	if (len < ETH_HLEN_)
		return 0;
	et = (uint16_t)(f[12] << 8 | f[13]);
	if (et == ETH_P_IPV4 && len >= ETH_HLEN_ + 20) {
		uint32_t ihl = (f[14] & 0xfu) * 4u;
		uint8_t proto = f[23];

		h = fnv_pair(h, f + 26, f + 30, 4);
		h = fnv(h, &proto, 1);
		if ((proto == 6 || proto == 17) && ihl >= 20 && len >= ETH_HLEN_ + ihl + 4)
			h = fnv_pair(h, f + ETH_HLEN_ + ihl, f + ETH_HLEN_ + ihl + 2, 2);
	} else if (et == ETH_P_VDPASIM_TEST && len >= 20) {
		h = fnv(h, f + 18, 2);
	} else {
		h = fnv_pair(h, f, f + 6, 6);
	}
	return (uint32_t)(h ^ h >> 32);
}

/* ---- transmit ------------------------------------------------------------------------------- */

static void tx_sent(struct mbx *d, uint32_t flen, uint64_t at)
{
	d->last_tx_at = at;
	mbx_stat(d, MBX_S_TX_FRAMES, 1);
	mbx_stat(d, MBX_S_TX_BYTES, flen);
}

static int hold_frame(struct mbx *d, struct mbx_vq *q, uint32_t flen, uint64_t at)
{
	if (!q->holdbuf) {
		q->holdbuf = malloc(MBX_FRAME_MAX);
		if (!q->holdbuf)
			return -ENOMEM;
	}
	memcpy(q->holdbuf, d->buf + MBX_HDR_LEN, flen);
	q->hold = true;
	q->hold_len = flen;
	q->hold_at = at;
	mbx_stat(d, MBX_S_TX_NOBUFS, 1);
	return 0;
}

/* 1: next chain, 0: frame held for room, -EIO: the queue failed. */
static int tx_one(struct mbx *d, struct mbx_vq *q, uint64_t known, bool too_many_segs)
{
	const struct vq_chain *c = &q->chain;
	uint32_t flen = c->out_len > MBX_HDR_LEN ? c->out_len - MBX_HDR_LEN : 0;
	uint64_t ready, at;
	int r;

	/* no offloads offered: a frame is at most max_mtu plus Ethernet and VLAN headers */
	if (too_many_segs || flen < ETH_HLEN_ || flen > d->o.max_mtu + ETH_HLEN_ + VLAN_HLEN_) {
		mbx_stat(d, MBX_S_TX_DROPPED, 1);
		mbx_cq_push(d, q, c, 0, known);
		return 1;
	}
	mbx_acc_begin(q, known, true);
	if (vq_dev_read(q->vq, c, 0, d->buf, c->out_len)) {
		mbx_vq_fail(d, q, "transmit buffer read");
		return -EIO;
	}
	/* virtio 1.3 5.1.6.2: the header carries nothing without offloads; the
	 * buffer is complete once its data is in the device */
	ready = q->acc.done;
	mbx_cq_push(d, q, c, 0, ready);
	at = mbx_max(ready + d->o.pipeline_ps, d->last_tx_at);
	r = d->h->net_send(d->host, 0, d->buf + MBX_HDR_LEN, flen, at);
	if (r == -ENOBUFS) {
		if (hold_frame(d, q, flen, at))
			mbx_stat(d, MBX_S_TX_DROPPED, 1);
		return q->hold ? 0 : 1;
	}
	if (r)
		mbx_stat(d, MBX_S_TX_DROPPED, 1);
	else
		tx_sent(d, flen, at);
	return 1;
}

/* Hold back while the wire already has tx_ahead_ns of frames queued. */
static bool tx_paced(struct mbx *d, struct mbx_vq *q, uint64_t now)
{
	uint64_t free_at = d->h->net_tx_free_at(d->host, 0);

	if (free_at == UINT64_MAX || free_at <= now + d->o.tx_ahead_ps)
		return false; /* link down: frames go and are lost, as on the wire */
	mbx_vq_run_at(d, q, free_at - d->o.tx_ahead_ps);
	return true;
}

void mbx_tx_pass(struct mbx *d, struct mbx_vq *q)
{
	uint64_t now = mbx_now(d), tb, tend;
	int r;

	if (q->hold || tx_paced(d, q, now))
		return;
	tb = tend = mbx_max(now, q->t_ring);
	/* virtio 1.3 2.7.10 / 2.8.10: no kicks needed while we are busy */
	mbx_acc_begin(q, tb, false);
	vq_dev_disable_notify(q->vq);
	for (uint32_t n = 0; n < d->o.batch; n++) {
		uint64_t known;

		q->chain.seg = q->seg;
		q->chain.seg_cap = MBX_SEG_CAP;
		mbx_acc_begin(q, tb, false);
		r = vq_dev_fetch(q->vq, &q->chain);
		known = q->acc.t;
		/* once the available ring is in, the descriptor reads of the
		 * following chains go out together with this one's */
		if (n == 0)
			tb = mbx_acc_ring_known(q);
		tend = mbx_max(tend, known);
		if (r == 0) {
			/* empty: ask for a kick, and look again if one slipped in meanwhile */
			mbx_acc_begin(q, known, false);
			if (vq_dev_enable_notify(q->vq)) {
				tb = tend = mbx_max(tend, q->acc.t);
				continue;
			}
			q->t_ring = mbx_max(tend, q->acc.t);
			if (vq_dev_broken(q->vq))
				mbx_vq_fail(d, q, "transmit notify enable");
			return;
		}
		if (r < 0 && r != -EMSGSIZE) {
			mbx_vq_fail(d, q, "transmit fetch");
			return;
		}
		q->received++;
		r = tx_one(d, q, known, r == -EMSGSIZE);
		if (r <= 0) {
			q->t_ring = tend;
			return;
		}
	}
	q->t_ring = tend;
	if (vq_dev_broken(q->vq)) {
		mbx_vq_fail(d, q, "transmit notify disable");
		return;
	}
	/* more may wait: the next pass starts when this one's ring reads are back */
	mbx_vq_run_at(d, q, tend);
}

void mbx_net_tx_ready(void *dev, uint32_t port)
{
	struct mbx *d = dev;
	uint64_t now = mbx_now(d);

	(void)port;
	for (unsigned i = 1; i < d->o.max_vqs; i += 2) {
		struct mbx_vq *q = &d->q[i];
		uint64_t at;

		if (!q->exists || !q->hold)
			continue;
		at = mbx_max(mbx_max(now, q->hold_at), d->last_tx_at);
		if (d->h->net_send(d->host, 0, q->holdbuf, q->hold_len, at) == -ENOBUFS)
			break; /* still full: wait for the next call */
		q->hold = false;
		tx_sent(d, q->hold_len, at);
		if (q->state == MBX_VQS_RDY && !q->stopping)
			mbx_vq_run_at(d, q, now);
		mbx_vq_check_drained(d, q);
	}
	mbx_stats_flush(d);
}

/* ---- receive -------------------------------------------------------------------------------- */

/* virtio 1.3 5.1.6.5.1 / 5.1.6.5.2 as the driver programmed them into the steering. */
static bool rx_accept(const struct mbx *d, const uint8_t *f)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const struct mbx_steer *s = &d->steer;

	if ((s->flags & MBX_STEER_PROMISC) || !memcmp(f, bcast, 6))
		return true;
	if (f[0] & 1) {
		if (s->flags & MBX_STEER_ALLMULTI)
			return true;
		for (unsigned i = 0; i < s->nmc; i++)
			if (!memcmp(f, s->mc[i], 6))
				return true;
		return false;
	}
	if (!memcmp(f, s->mac, 6))
		return true;
	for (unsigned i = 0; i < s->nuc; i++)
		if (!memcmp(f, s->uc[i], 6))
			return true;
	return false;
}

void mbx_rx_return_spares(struct mbx *d, struct mbx_vq *q)
{
	uint64_t now = mbx_now(d);

	for (uint32_t i = 0; i < q->nspare; i++)
		mbx_cq_push(d, q, &q->spare[i].c, 0, mbx_max(now, q->spare[i].known));
	q->nspare = 0;
}

static void drop_spares(struct mbx_vq *q, uint32_t n)
{
	memmove(q->spare, q->spare + n, (q->nspare - n) * sizeof(*q->spare));
	q->nspare -= n;
	for (uint32_t i = 0; i < q->nspare; i++)
		q->spare[i].c.seg = q->spare[i].seg;
}

/*
 * Top up the prefetch cache: chains until it is full or the ring is empty
 * (then notifications are enabled so that the driver kicks when it adds
 * more; while the cache is full they are off).  0, or -EIO: the queue failed.
 */
static int rx_fill(struct mbx *d, struct mbx_vq *q)
{
	uint64_t tb = mbx_max(mbx_now(d), q->t_ring), tend = tb;
	bool first = true;
	int r = 0;

	for (uint32_t guard = 0; q->nspare < q->spare_cap && guard < 2 * q->spare_cap; guard++) {
		struct mbx_rxc *e = &q->spare[q->nspare];

		e->c.seg = e->seg;
		e->c.seg_cap = MBX_SEG_CAP;
		mbx_acc_begin(q, tb, false);
		r = vq_dev_fetch(q->vq, &e->c);
		e->known = q->acc.t;
		if (first)
			tb = mbx_acc_ring_known(q);
		first = false;
		tend = mbx_max(tend, e->known);
		if (r == 0) {
			mbx_acc_begin(q, e->known, false);
			r = vq_dev_enable_notify(q->vq);
			tend = mbx_max(tend, q->acc.t);
			if (r) {
				tb = tend;
				continue;
			}
			break;
		}
		if (r < 0 && r != -EMSGSIZE)
			break;
		q->received++;
		if (r == -EMSGSIZE) {
			/* more segments than we track: back unused, in fetch order */
			mbx_stat(d, MBX_S_RX_TOO_SMALL, 1);
			mbx_cq_push(d, q, &e->c, 0, e->known);
			continue;
		}
		q->nspare++;
	}
	if (q->nspare == q->spare_cap) {
		mbx_acc_begin(q, tend, false);
		vq_dev_disable_notify(q->vq);
	}
	q->t_ring = tend;
	if (vq_dev_broken(q->vq)) {
		mbx_vq_fail(d, q, "receive fetch");
		return -EIO;
	}
	return 0;
}

/* One prefetch at a time: the next starts when the previous reads are back. */
void mbx_rx_prefetch(struct mbx *d, struct mbx_vq *q)
{
	if (q->t_ring > mbx_now(d)) {
		mbx_vq_run_at(d, q, q->t_ring);
		return;
	}
	rx_fill(d, q);
}

/* Chains at the head of the cache holding need bytes: how many (0: the frame
 * cannot be placed now). */
static uint32_t rx_count(const struct mbx *d, const struct mbx_vq *q, uint32_t need,
			 uint64_t *have)
{
	bool mrg = mbx_has(d, VIRTIO_NET_F_MRG_RXBUF);
	uint32_t k = 0;

	*have = 0;
	while (k < q->nspare && *have < need && (mrg || k == 0))
		*have += q->spare[k++].c.in_len;
	return *have >= need ? k : 0;
}

/* How many chains the frame takes (0: dropped and counted; -EIO: failed). */
static int rx_gather(struct mbx *d, struct mbx_vq *q, uint32_t need)
{
	bool mrg = mbx_has(d, VIRTIO_NET_F_MRG_RXBUF);
	uint64_t have;
	uint32_t k = rx_count(d, q, need, &have);

	if (!k && q->nspare < q->spare_cap) {
		/* the cache ran dry: read the ring now, the frame waiting in the
		 * device's receive FIFO; a FIFO already rx_fifo_ns deep overflows */
		if (q->t_ring > mbx_now(d) + d->o.rx_fifo_ps) {
			mbx_stat(d, MBX_S_RX_OVERRUN, 1);
			return 0;
		}
		if (rx_fill(d, q))
			return -EIO;
		k = rx_count(d, q, need, &have);
	}
	if (k)
		return (int)k;
	if (q->nspare && !mrg) {
		/* virtio 1.3 5.1.6.3.1: without MRG_RXBUF one buffer holds the packet;
		 * it is too small: it goes back unused and the frame is lost */
		mbx_stat(d, MBX_S_RX_TOO_SMALL, 1);
		mbx_cq_push(d, q, &q->spare[0].c, 0, mbx_max(mbx_now(d), q->spare[0].known));
		drop_spares(q, 1);
		return 0;
	}
	if (q->nspare == q->spare_cap) {
		/* the frame needs more buffers than the device can gather: they go
		 * back unused rather than block the queue */
		mbx_stat(d, MBX_S_RX_TOO_SMALL, 1);
		mbx_rx_return_spares(d, q);
		return 0;
	}
	mbx_stat(d, MBX_S_RX_NO_BUFFER, 1);
	return 0;
}

static void rx_frame(struct mbx *d, struct mbx_vq *q, const uint8_t *f, uint32_t len)
{
	uint64_t now = mbx_now(d), tw = now + d->o.pipeline_ps;
	uint32_t need = MBX_HDR_LEN + len, off = 0;
	int k = rx_gather(d, q, need);

	if (k <= 0)
		return;
	/* virtio 1.3 5.1.6.4: header first (no offloads), num_buffers in the first buffer */
	memset(d->rxbuf, 0, MBX_HDR_LEN);
	vq_put_le16(d->rxbuf + HDR_NUM_BUFFERS, (uint16_t)k);
	memcpy(d->rxbuf + MBX_HDR_LEN, f, len);
	for (int i = 0; i < k; i++)
		tw = mbx_max(tw, q->spare[i].known);
	for (int i = 0; i < k; i++) {
		struct mbx_rxc *e = &q->spare[i];
		uint32_t n = e->c.in_len < need - off ? e->c.in_len : need - off;

		mbx_acc_begin(q, tw, true);
		if (vq_dev_write(q->vq, &e->c, 0, d->rxbuf + off, n)) {
			mbx_vq_fail(d, q, "receive buffer write");
			return;
		}
		mbx_cq_push(d, q, &e->c, n, tw);
		off += n;
	}
	drop_spares(q, (uint32_t)k);
	mbx_stat(d, MBX_S_RX_FRAMES, 1);
	mbx_stat(d, MBX_S_RX_BYTES, len);
	if (k > 1)
		mbx_stat(d, MBX_S_RX_MERGED, 1);
	if (q->nspare < q->spare_cap / 2)
		mbx_vq_run_at(d, q, now);
}

void mbx_net_rx(void *dev, uint32_t port, const void *frame, uint32_t len)
{
	struct mbx *d = dev;
	const uint8_t *f = frame;
	struct mbx_vq *q;
	uint32_t pair = 0;

	if (port != 0 || len < ETH_HLEN_ || !d->carrier) {
		mbx_stat(d, MBX_S_RX_NOT_READY, 1);
		goto out;
	}
	if (len > MBX_FRAME_MAX) {
		mbx_stat(d, MBX_S_RX_TOO_BIG, 1);
		goto out;
	}
	if (!rx_accept(d, f)) {
		mbx_stat(d, MBX_S_RX_FILTERED, 1);
		goto out;
	}
	if (d->steer.rxq > 1)
		pair = mbx_flow_hash(f, len) % d->steer.rxq;
	q = &d->q[2 * pair];
	if (!q->exists || q->state != MBX_VQS_RDY || q->stopping) {
		mbx_stat(d, MBX_S_RX_NOT_READY, 1);
		goto out;
	}
	rx_frame(d, q, f, len);
out:
	mbx_stats_flush(d);
}
