// SPDX-License-Identifier: MIT
/*
 * vdpa_mbx: the control virtqueue, emulated in the driver as mlx5_vdpa does.
 * The ring stays in the guest's (or VMM's) memory; the driver walks it with
 * the device-side ring engine over an accessor that translates IOVAs through
 * the control group's address space and reads host memory.  A kick schedules
 * the worker, which takes one command per run (and runs again while more are
 * waiting), applies it to the device with SET_STEERING and acks it.
 */
#include "stack/vdpa_mbx/vmbx_priv.h"

#include <errno.h>
#include <string.h>

/* ---- accessor: IOVA -> host memory ------------------------------------------------------ */

static int cvq_access(struct vmbx_net *n, uint64_t iova, void *buf, uint32_t len, bool write)
{
	uint32_t asid = n->group2asid[VMBX_CVQ_GROUP];
	struct vdpa_iotlb *t = &n->iotlb[asid];
	uint8_t *p = buf;

	if (!n->mapped[asid]) /* passthrough until given a map */
		return write ? mem_write(n->vf->o.mem, iova, buf, len)
			     : mem_read(n->vf->o.mem, iova, buf, len);
	while (len) {
		uint64_t pa, contig;
		uint32_t chunk;
		int r = vdpa_iotlb_translate(t, iova, write ? VHOST_ACCESS_WO : VHOST_ACCESS_RO, &pa,
					     &contig);

		if (r)
			return -EFAULT;
		chunk = contig < len ? (uint32_t)contig : len;
		r = write ? mem_write(n->vf->o.mem, pa, p, chunk) : mem_read(n->vf->o.mem, pa, p, chunk);
		if (r)
			return r;
		p += chunk;
		iova += chunk;
		len -= chunk;
	}
	return 0;
}

static int acc_read(void *ctx, uint64_t addr, void *dst, uint32_t len)
{
	return cvq_access(ctx, addr, dst, len, false);
}

static int acc_write(void *ctx, uint64_t addr, const void *src, uint32_t len)
{
	return cvq_access(ctx, addr, (void *)src, len, true);
}

/* ---- lifetime ------------------------------------------------------------------------------- */

static uint16_t ctrl_idx(const struct vmbx_net *n)
{
	return (uint16_t)((n->actual_features & (1ULL << VIRTIO_NET_F_MQ)) ? n->ndata : 2);
}

int vmbx_cvq_start(struct vmbx_net *n)
{
	struct vmbx_cvq *c = &n->cvq;
	struct vq_mem mem = { acc_read, acc_write, n };
	struct vq_config cfg;

	if (!(n->actual_features & (1ULL << VIRTIO_NET_F_CTRL_VQ)) || !c->ready || c->vq)
		return 0;
	cfg.num = c->num;
	cfg.desc_addr = c->desc;
	cfg.driver_addr = c->driver;
	cfg.device_addr = c->device;
	cfg.features = n->actual_features & MBX_VQ_FEATURES;
	return vq_dev_create(&c->vq, &cfg, &mem, &c->st);
}

void vmbx_cvq_stop(struct vmbx_net *n)
{
	struct vmbx_cvq *c = &n->cvq;

	if (c->ev)
		eng_cancel(n->vf->sim, c->ev);
	c->ev = 0;
	if (c->vq) {
		vq_dev_get_state(c->vq, &c->st);
		vq_dev_free(c->vq);
		c->vq = NULL;
	}
}

void vmbx_cvq_get_state(const struct vmbx_net *n, struct vq_state *st)
{
	if (n->cvq.vq)
		vq_dev_get_state(n->cvq.vq, st);
	else
		*st = n->cvq.st;
}

/* ---- commands ------------------------------------------------------------------------------- */

static bool nego(const struct vmbx_net *n, unsigned bit)
{
	return (n->actual_features >> bit) & 1;
}

/* virtio 1.3 5.1.6.5.2: two tables, unicast then multicast, each le32 entries + MACs. */
static uint8_t mac_table_set(struct vmbx_net *n, const uint8_t *d, uint32_t len)
{
	struct vmbx_steer s = n->steer;
	uint32_t nuc, nmc, off;

	if (len < 4)
		return VIRTIO_NET_ERR;
	nuc = vq_le32(d);
	if (nuc > n->vf->caps.max_macs || len < 4 + 6 * nuc + 4)
		return VIRTIO_NET_ERR;
	off = 4 + 6 * nuc;
	nmc = vq_le32(d + off);
	if (nmc > n->vf->caps.max_macs || len < off + 4 + 6 * nmc)
		return VIRTIO_NET_ERR;
	s.nuc = (uint16_t)nuc;
	s.nmc = (uint16_t)nmc;
	for (uint32_t i = 0; i < nuc; i++)
		memcpy(s.uc[i], d + 4 + 6 * i, 6);
	for (uint32_t i = 0; i < nmc; i++)
		memcpy(s.mc[i], d + off + 4 + 6 * i, 6);
	return vmbx_set_steering(n, &s) ? VIRTIO_NET_ERR : VIRTIO_NET_OK;
}

static uint8_t handle_mac(struct vmbx_net *n, uint8_t cmd, const uint8_t *d, uint32_t len)
{
	struct vmbx_steer s = n->steer;

	switch (cmd) {
	case VIRTIO_NET_CTRL_MAC_ADDR_SET:
		if (!nego(n, VIRTIO_NET_F_CTRL_MAC_ADDR) || len != 6 || (d[0] & 1))
			return VIRTIO_NET_ERR;
		memcpy(s.mac, d, 6);
		if (vmbx_set_steering(n, &s))
			return VIRTIO_NET_ERR;
		memcpy(n->mac, d, 6); /* the config space follows */
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_MAC_TABLE_SET:
		if (!nego(n, VIRTIO_NET_F_CTRL_RX))
			return VIRTIO_NET_ERR;
		return mac_table_set(n, d, len);
	default:
		return VIRTIO_NET_ERR;
	}
}

static uint8_t handle_rx(struct vmbx_net *n, uint8_t cmd, const uint8_t *d, uint32_t len)
{
	struct vmbx_steer s = n->steer;

	if (!nego(n, VIRTIO_NET_F_CTRL_RX) || len != 1)
		return VIRTIO_NET_ERR;
	if (cmd == VIRTIO_NET_CTRL_RX_PROMISC)
		s.promisc = d[0] != 0;
	else if (cmd == VIRTIO_NET_CTRL_RX_ALLMULTI)
		s.allmulti = d[0] != 0;
	else
		return VIRTIO_NET_ERR; /* the RX_EXTRA commands are not offered */
	return vmbx_set_steering(n, &s) ? VIRTIO_NET_ERR : VIRTIO_NET_OK;
}

static uint8_t handle_mq(struct vmbx_net *n, uint8_t cmd, const uint8_t *d, uint32_t len)
{
	struct vmbx_steer s = n->steer;
	uint16_t pairs;

	if (!nego(n, VIRTIO_NET_F_MQ) || cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || len != 2)
		return VIRTIO_NET_ERR;
	pairs = vq_le16(d);
	/* virtio 1.3 5.1.6.5.5: 1 .. max_virtqueue_pairs */
	if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > n->max_vqp)
		return VIRTIO_NET_ERR;
	s.pairs = pairs;
	return vmbx_set_steering(n, &s) ? VIRTIO_NET_ERR : VIRTIO_NET_OK;
}

static uint8_t handle(struct vmbx_net *n, uint8_t cls, uint8_t cmd, const uint8_t *d, uint32_t len)
{
	switch (cls) {
	case VIRTIO_NET_CTRL_RX:
		return handle_rx(n, cmd, d, len);
	case VIRTIO_NET_CTRL_MAC:
		return handle_mac(n, cmd, d, len);
	case VIRTIO_NET_CTRL_MQ:
		return handle_mq(n, cmd, d, len);
	case VIRTIO_NET_CTRL_ANNOUNCE:
		/* virtio 1.3 5.1.6.5.4: the driver acknowledges the announcement */
		if (!nego(n, VIRTIO_NET_F_GUEST_ANNOUNCE) || cmd != VIRTIO_NET_CTRL_ANNOUNCE_ACK)
			return VIRTIO_NET_ERR;
		n->announce = 0;
		return VIRTIO_NET_OK;
	default:
		return VIRTIO_NET_ERR;
	}
}

/* The ring is broken: the device needs a reset (virtio 1.3 2.1.2). */
static void cvq_broken(struct vmbx_net *n)
{
	n->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (n->config_cb.callback)
		n->config_cb.callback(n->config_cb.private);
}

/* 1: one command done, 0: none waiting, <0: the ring failed. */
static int process_one(struct vmbx_net *n)
{
	struct vmbx_cvq *c = &n->cvq;
	struct vq_chain ch = { .seg = c->seg, .seg_cap = VMBX_CVQ_SEGS };
	uint8_t status = VIRTIO_NET_ERR;
	uint32_t wrote = 0;
	struct vdpa_callback *cb;
	int r = vq_dev_fetch(c->vq, &ch);

	if (r == 0)
		return 0;
	if (r < 0 && r != -EMSGSIZE)
		return r;
	c->received++;
	n->vf->stats.cvq_cmds++;
	/* -EMSGSIZE: more segments than we walk; the chain goes back untouched */
	if (r > 0 && ch.out_len >= 2 && ch.out_len <= VMBX_CVQ_CMD_MAX) {
		if (vq_dev_read(c->vq, &ch, 0, c->buf, ch.out_len))
			return -EIO;
		status = handle(n, c->buf[0], c->buf[1], c->buf + 2, ch.out_len - 2);
	}
	if (r > 0 && ch.in_len >= 1) {
		if (vq_dev_write(c->vq, &ch, 0, &status, 1))
			return -EIO;
		wrote = 1;
	}
	if (status == VIRTIO_NET_OK)
		n->vf->stats.cvq_ok++;
	else
		n->vf->stats.cvq_err++;
	if (vq_dev_push(c->vq, &ch, wrote) || vq_dev_flush(c->vq))
		return -EIO;
	c->completed++;
	r = vq_dev_need_interrupt(c->vq);
	if (r < 0)
		return r;
	cb = &n->cbs[ctrl_idx(n)];
	if (r && ctrl_idx(n) < n->nvqs && cb->callback)
		cb->callback(cb->private);
	return 1;
}

static void cvq_work(struct sim *sim, void *arg)
{
	struct vmbx_net *n = arg;
	struct vmbx_cvq *c = &n->cvq;
	int r;

	c->ev = 0;
	if (!(n->status & VIRTIO_CONFIG_S_DRIVER_OK) || !c->ready || n->suspended)
		return;
	if (n->vf->cmd_busy) {
		/* a command is sleeping in the mailbox: come back later */
		c->ev = eng_schedule_in(sim, n->vf->o.cvq_ps, cvq_work, n);
		return;
	}
	if (!c->vq && vmbx_cvq_start(n))
		return;
	r = process_one(n);
	if (r < 0) {
		cvq_broken(n);
		return;
	}
	if (r > 0 && !c->ev && vq_dev_pending(c->vq))
		c->ev = eng_schedule_in(sim, n->vf->o.cvq_ps, cvq_work, n);
}

void vmbx_cvq_kick(struct vmbx_net *n)
{
	if (!n->cvq.ready || n->cvq.ev)
		return;
	n->cvq.ev = eng_schedule_in(n->vf->sim, n->vf->o.cvq_ps, cvq_work, n);
}
