// SPDX-License-Identifier: MIT
/*
 * IFCVF transmit: doorbell -> descriptor fetch -> buffer reads -> the wire.
 * A pass takes up to `batch` chains; their buffer reads issue together once
 * the descriptors are known, each frame goes to the port pipeline_ns after
 * its data arrived, and the used write-back follows the reads.  Passes are
 * paced by the port: transmit never runs more than tx_ahead_ns ahead of the
 * wire; a frame the port refuses (-ENOBUFS) is held until it has room.
 */
#include "sim/nic_ifcvf/ifcvf_priv.h"

#include <errno.h>

#define ETH_HLEN_ 14u
#define VLAN_HLEN_ 4u
#define ETHERTYPE_IPV4 0x0800u
/* IEEE 802 local experimental EtherType: the simulator's test frames */
#define ETHERTYPE_VDPASIM_TEST 0x88B5u

static uint64_t mac48(const uint8_t *m)
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++)
		v = v << 8 | m[i];
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Flow identity for automatic receive steering (virtio 1.3 5.1.6.5.6): a hash
 * that is the same for both directions of a flow (addresses and ports enter
 * symmetrically): MACs and EtherType, plus the IPv4 addresses, protocol and
 * TCP/UDP ports, or the flow id of the simulator's test frames.
 */
uint32_t ifcvf_flow_hash(const uint8_t *f, uint32_t len)
{
	uint64_t a, b, h;
	uint16_t et;

	if (len < ETH_HLEN_)
		return 0;
	a = mac48(f);
	b = mac48(f + 6);
	et = (uint16_t)(f[12] << 8 | f[13]);
	h = (a + b) ^ (a ^ b) << 7 ^ (uint64_t)et << 48;
	if (et == ETHERTYPE_IPV4 && len >= ETH_HLEN_ + 20) {
		uint32_t ihl = (f[14] & 0xfu) * 4u, s = be32(f + 26), t = be32(f + 30);
		uint8_t proto = f[23];

		h ^= ((uint64_t)s + t) << 8 ^ (s ^ t) ^ proto;
		if ((proto == 6 || proto == 17) && ihl >= 20 && len >= ETH_HLEN_ + ihl + 4) {
			const uint8_t *l4 = f + ETH_HLEN_ + ihl;
			uint32_t sp = (uint32_t)(l4[0] << 8 | l4[1]);
			uint32_t dp = (uint32_t)(l4[2] << 8 | l4[3]);

			h ^= (uint64_t)(sp + dp) << 32 ^ (uint64_t)(sp ^ dp) << 20;
		}
	} else if (et == ETHERTYPE_VDPASIM_TEST && len >= 20) {
		h ^= (uint64_t)(f[18] << 8 | f[19]) * 0x9E3779B97F4A7C15ULL;
	}
	/* splitmix64 finaliser */
	h ^= h >> 30;
	h *= 0xBF58476D1CE4E5B9ULL;
	h ^= h >> 27;
	h *= 0x94D049BB133111EBULL;
	h ^= h >> 31;
	return (uint32_t)h;
}

static void tx_sent(struct ifcvf *d, struct ifcvf_q *q, uint32_t flen, uint64_t at)
{
	d->last_tx_at = at;
	ifcvf_stat(d, IFCVF_S_TX_FRAMES, 1);
	ifcvf_stat(d, IFCVF_S_TX_BYTES, flen);
	/* the receive side of this flow follows the pair it was sent on */
	d->flow[ifcvf_flow_hash(q->buf + IFCVF_HDR_LEN, flen) % IFCVF_FLOWS] =
		(uint8_t)(q->qid / 2 + 1);
}

/* 1: done with the chain, 0: frame held for room, -EIO: the queue failed. */
static int tx_one(struct ifcvf *d, struct ifcvf_q *q, uint64_t known, bool too_many_segs)
{
	const struct vq_chain *c = &q->chain;
	uint32_t flen = c->out_len > IFCVF_HDR_LEN ? c->out_len - IFCVF_HDR_LEN : 0;
	uint64_t at;
	int r;

	/* no GSO offered: a frame is at most mtu plus an Ethernet and a VLAN header */
	if (too_many_segs || flen < ETH_HLEN_ || flen > d->o.mtu + ETH_HLEN_ + VLAN_HLEN_) {
		ifcvf_stat(d, IFCVF_S_TX_BAD, 1);
		ifcvf_cq_push(d, q, c, 0, known);
		return 1;
	}
	ifcvf_acc_begin(q, known, true);
	if (vq_dev_read(q->vq, c, 0, q->buf, c->out_len)) {
		ifcvf_queue_fail_vq(d, q, "transmit buffer read");
		return -EIO;
	}
	/* virtio 1.3 5.1.6.2: the header (no offloads negotiated) carries nothing we need;
	 * the buffer goes back as soon as its data is in the device */
	ifcvf_cq_push(d, q, c, 0, q->acc.done);
	at = ifcvf_max(q->acc.done + d->o.pipeline_ps, d->last_tx_at);
	r = d->h->net_send(d->host, 0, q->buf + IFCVF_HDR_LEN, flen, at);
	if (r == -ENOBUFS) {
		ifcvf_stat(d, IFCVF_S_TX_NOBUFS, 1);
		q->hold = true;
		q->hold_len = flen;
		q->hold_at = at;
		return 0;
	}
	tx_sent(d, q, flen, at);
	return 1;
}

/* Hold back when the wire already has tx_ahead_ns of frames queued. */
static bool tx_paced(struct ifcvf *d, struct ifcvf_q *q, uint64_t now)
{
	uint64_t free_at = d->h->net_tx_free_at(d->host, 0);

	if (free_at == UINT64_MAX || free_at <= now + d->o.tx_ahead_ps)
		return false; /* link down: frames go and are lost, as on the wire */
	ifcvf_sched_run(d, q, free_at - d->o.tx_ahead_ps);
	return true;
}

void ifcvf_tx_pass(struct ifcvf *d, struct ifcvf_q *q)
{
	uint64_t now = d->h->now(d->host);
	int r;

	if (q->hold || tx_paced(d, q, now))
		return;
	q->t_ring = ifcvf_max(q->t_ring, now);
	/* virtio 1.3 2.7.10 / 2.8.10: no kicks needed while we are busy */
	ifcvf_acc_begin(q, q->t_ring, false);
	vq_dev_disable_notify(q->vq);
	for (uint32_t n = 0; n < d->o.batch; n++) {
		q->chain.seg = q->seg;
		q->chain.seg_cap = IFCVF_SEG_CAP;
		ifcvf_acc_begin(q, q->t_ring, false);
		r = vq_dev_fetch(q->vq, &q->chain);
		if (r == 0) {
			/* empty: ask for a kick, and look again if one slipped in meanwhile */
			ifcvf_acc_begin(q, q->t_ring, false);
			if (vq_dev_enable_notify(q->vq))
				continue;
			if (vq_dev_broken(q->vq))
				ifcvf_queue_fail_vq(d, q, "transmit notify enable");
			return;
		}
		if (r < 0 && r != -EMSGSIZE) {
			ifcvf_queue_fail_vq(d, q, "transmit fetch");
			return;
		}
		if (tx_one(d, q, q->acc.t, r == -EMSGSIZE) <= 0)
			return;
	}
	if (vq_dev_broken(q->vq)) {
		ifcvf_queue_fail_vq(d, q, "transmit notify disable");
		return;
	}
	/* more may wait: the next pass starts when this one's ring reads are back */
	ifcvf_sched_run(d, q, ifcvf_max(now, q->t_ring));
}

void ifcvf_net_tx_ready(void *dev, uint32_t port)
{
	struct ifcvf *d = dev;
	uint64_t now = d->h->now(d->host);

	(void)port;
	for (unsigned i = 1; i < d->num_queues; i += 2) {
		struct ifcvf_q *q = &d->q[i];
		uint64_t at;

		if (!q->hold || !q->running || q->broken)
			continue;
		at = ifcvf_max(ifcvf_max(now, q->hold_at), d->last_tx_at);
		if (d->h->net_send(d->host, 0, q->buf + IFCVF_HDR_LEN, q->hold_len, at) ==
		    -ENOBUFS)
			return; /* still full: wait for the next call */
		q->hold = false;
		tx_sent(d, q, q->hold_len, at);
		ifcvf_sched_run(d, q, now);
	}
}
