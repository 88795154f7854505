// SPDX-License-Identifier: MIT
/*
 * IFCVF control virtqueue (virtio 1.3 5.1.6.5): receive mode, MAC filter
 * tables and address, multiqueue pairs, announcement acks.  Each command is
 * { u8 class; u8 command; data...; u8 ack } with the ack the only
 * device-writable byte; commands take ctrl_ns each, in order.
 */
#include "sim/nic_ifcvf/ifcvf_priv.h"

#include <errno.h>
#include <string.h>

static uint8_t ctrl_rx_mode(struct ifcvf *d, uint8_t cmd, const uint8_t *p, uint32_t n)
{
	if (!ifcvf_has(d, VIRTIO_NET_F_CTRL_RX) || n != 1)
		return VIRTIO_NET_ERR;
	switch (cmd) {
	case VIRTIO_NET_CTRL_RX_PROMISC:
		d->promisc = p[0] != 0;
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_RX_ALLMULTI:
		d->allmulti = p[0] != 0;
		return VIRTIO_NET_OK;
	default: /* the other modes need CTRL_RX_EXTRA, not offered */
		return VIRTIO_NET_ERR;
	}
}

/* Two tables back to back: le32 entries, then entries * 6 bytes; unicast first. */
static uint8_t ctrl_mac_table(struct ifcvf *d, const uint8_t *p, uint32_t n)
{
	uint32_t nuc, nmc, off;

	if (!ifcvf_has(d, VIRTIO_NET_F_CTRL_RX) || n < 8)
		return VIRTIO_NET_ERR;
	nuc = vq_le32(p);
	if (nuc > IFCVF_MAC_TABLE || 4 + 6 * nuc + 4 > n)
		return VIRTIO_NET_ERR;
	off = 4 + 6 * nuc;
	nmc = vq_le32(p + off);
	if (nmc > IFCVF_MAC_TABLE || off + 4 + 6 * nmc != n)
		return VIRTIO_NET_ERR;
	for (uint32_t i = 0; i < nuc; i++)
		memcpy(d->uc[i], p + 4 + 6 * i, 6);
	for (uint32_t i = 0; i < nmc; i++)
		memcpy(d->mc[i], p + off + 4 + 6 * i, 6);
	d->nuc = nuc;
	d->nmc = nmc;
	return VIRTIO_NET_OK;
}

static uint8_t ctrl_mac(struct ifcvf *d, uint8_t cmd, const uint8_t *p, uint32_t n)
{
	switch (cmd) {
	case VIRTIO_NET_CTRL_MAC_TABLE_SET:
		return ctrl_mac_table(d, p, n);
	case VIRTIO_NET_CTRL_MAC_ADDR_SET:
		if (!ifcvf_has(d, VIRTIO_NET_F_CTRL_MAC_ADDR) || n != 6 || (p[0] & 1))
			return VIRTIO_NET_ERR;
		/* the config space mac field shows the new address */
		memcpy(d->mac, p, 6);
		ifcvf_cfg_changed(d, false);
		return VIRTIO_NET_OK;
	default:
		return VIRTIO_NET_ERR;
	}
}

static uint8_t ctrl_mq(struct ifcvf *d, uint8_t cmd, const uint8_t *p, uint32_t n)
{
	uint16_t pairs;

	if (!ifcvf_has(d, VIRTIO_NET_F_MQ) || cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || n != 2)
		return VIRTIO_NET_ERR;
	pairs = vq_le16(p);
	/* virtio 1.3 5.1.6.5.5: 1 .. max_virtqueue_pairs, else an error and no change */
	if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > d->o.pairs)
		return VIRTIO_NET_ERR;
	d->active_pairs = pairs;
	memset(d->flow, 0, sizeof(d->flow));
	return VIRTIO_NET_OK;
}

static uint8_t ctrl_announce(struct ifcvf *d, uint8_t cmd, uint32_t n)
{
	if (!ifcvf_has(d, VIRTIO_NET_F_GUEST_ANNOUNCE) || cmd != VIRTIO_NET_CTRL_ANNOUNCE_ACK ||
	    n != 0)
		return VIRTIO_NET_ERR;
	/* virtio 1.3 5.1.6.5.4: the ack clears the ANNOUNCE status bit */
	d->net_status &= (uint16_t)~VIRTIO_NET_S_ANNOUNCE;
	ifcvf_cfg_changed(d, false);
	return VIRTIO_NET_OK;
}

static uint8_t ctrl_cmd(struct ifcvf *d, uint8_t cls, uint8_t cmd, const uint8_t *p, uint32_t n)
{
	switch (cls) {
	case VIRTIO_NET_CTRL_RX:
		return ctrl_rx_mode(d, cmd, p, n);
	case VIRTIO_NET_CTRL_MAC:
		return ctrl_mac(d, cmd, p, n);
	case VIRTIO_NET_CTRL_MQ:
		return ctrl_mq(d, cmd, p, n);
	case VIRTIO_NET_CTRL_ANNOUNCE:
		return ctrl_announce(d, cmd, n);
	default:
		return VIRTIO_NET_ERR;
	}
}

/* One command; returns the time it finished, or 0 when the queue failed. */
static uint64_t ctrl_one(struct ifcvf *d, struct ifcvf_q *q, uint64_t t, bool too_many_segs)
{
	const struct vq_chain *c = &q->chain;
	uint8_t ack = VIRTIO_NET_ERR;

	if (too_many_segs || c->out_len < 2 || c->in_len < 1) {
		/* nowhere to put an ack: the buffer goes back untouched */
		ifcvf_stat(d, IFCVF_S_CTRL_ERR, 1);
		ifcvf_cq_push(d, q, c, 0, t);
		return t;
	}
	if (c->out_len <= IFCVF_CTRL_MAX) {
		ifcvf_acc_begin(q, t, false);
		if (vq_dev_read(q->vq, c, 0, q->buf, c->out_len)) {
			ifcvf_queue_fail_vq(d, q, "control command read");
			return 0;
		}
		t = q->acc.t;
		ack = ctrl_cmd(d, q->buf[0], q->buf[1], q->buf + 2, c->out_len - 2);
	}
	ifcvf_stat(d, IFCVF_S_CTRL_CMDS, 1);
	if (ack != VIRTIO_NET_OK)
		ifcvf_stat(d, IFCVF_S_CTRL_ERR, 1);
	t += d->o.ctrl_ps;
	ifcvf_acc_begin(q, t, false);
	q->acc.log = true;
	if (vq_dev_write(q->vq, c, 0, &ack, 1)) {
		ifcvf_queue_fail_vq(d, q, "control ack write");
		return 0;
	}
	q->acc.log = false;
	ifcvf_cq_push(d, q, c, 1, t);
	return t;
}

void ifcvf_ctrl_pass(struct ifcvf *d, struct ifcvf_q *q)
{
	uint64_t t = d->h->now(d->host);
	int r;

	for (uint32_t n = 0; n < d->o.batch; n++) {
		q->chain.seg = q->seg;
		q->chain.seg_cap = IFCVF_SEG_CAP;
		ifcvf_acc_begin(q, t, false);
		r = vq_dev_fetch(q->vq, &q->chain);
		if (r == 0) {
			ifcvf_acc_begin(q, t, false);
			if (vq_dev_enable_notify(q->vq))
				continue;
			if (vq_dev_broken(q->vq))
				ifcvf_queue_fail_vq(d, q, "control notify enable");
			return;
		}
		if (r < 0 && r != -EMSGSIZE) {
			ifcvf_queue_fail_vq(d, q, "control fetch");
			return;
		}
		t = ctrl_one(d, q, q->acc.t, r == -EMSGSIZE);
		if (!t)
			return;
	}
	ifcvf_sched_run(d, q, t);
}
