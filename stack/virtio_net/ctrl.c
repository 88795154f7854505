// SPDX-License-Identifier: MIT
/*
 * virtio_net control queue (virtio 1.3 5.1.6.5): commands queued and sent
 * one at a time, completion by polling as the kernel driver does, and the
 * command builders of the public API.
 */
#include "stack/virtio_net/vnet_priv.h"

#include <errno.h>
#include <string.h>

/* ---- control queue ---------------------------------------------------------------- */

void vnet_ctrl_complete(struct vnet *n, int err)
{
	struct vnet_ctrl_cmd *c = &n->ctrlq[n->ctrl_head];
	uint8_t cls = c->cls, cmd = c->cmd;

	if (n->ctrl_ev) {
		eng_cancel(n->sim, n->ctrl_ev);
		n->ctrl_ev = 0;
	}
	n->ctrl_busy = false;
	if (!err) {
		n->stats.ctrl_ok++;
		if (cls == VIRTIO_NET_CTRL_MQ && cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET)
			n->curr_pairs = vq_le16(c->data);
		else if (cls == VIRTIO_NET_CTRL_MAC && cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET)
			memcpy(n->mac, c->data, VNET_ETH_ALEN);
	} else {
		n->stats.ctrl_err++;
	}
	eng_trace(n->sim, "vnet", "ctrl", "dev=%s class=%u cmd=%u err=%d", n->bus_name, cls, cmd,
		  err);
	n->ctrl_head = (n->ctrl_head + 1) % VNET_CTRL_QUEUE_MAX;
	n->ctrl_n--;
	if (n->ops && n->ops->ctrl_done)
		n->ops->ctrl_done(n->ops_ctx, n, cls, cmd, err);
	vnet_ctrl_kick(n);
}

/* The command's token: its position in the command stream, never NULL. */
static void *ctrl_token(const struct vnet *n)
{
	return (void *)(uintptr_t)(n->stats.ctrl_cmds + 1);
}

/* As the kernel, the driver spins on the control queue: no interrupt. */
static void ctrl_poll(struct sim *sim, void *arg)
{
	struct vnet *n = arg;
	uint32_t len;
	void *t;

	(void)sim;
	n->ctrl_ev = 0;
	if (!n->ctrl_busy || !n->cvq)
		return;
	while ((t = vio_vq_get_buf(n->cvq, &len))) {
		uint8_t status = 0xff;

		if (t != ctrl_token(n))
			continue; /* a command given up on earlier */
		if (len < 1 ||
		    vio_dma_read(n->vdev->dma, n->ctrl_dma + VNET_CTRL_STATUS_OFF, &status, 1))
			status = VIRTIO_NET_ERR;
		vnet_ctrl_complete(n, status == VIRTIO_NET_OK ? 0 : -EIO);
		return;
	}
	if (vio_vq_is_broken(n->cvq)) {
		vnet_ctrl_complete(n, -EIO);
		return;
	}
	if (eng_now(n->sim) - n->ctrl_started >= n->p.ctrl_timeout_ps) {
		n->stats.ctrl_timeouts++;
		vnet_ctrl_complete(n, -ETIMEDOUT);
		return;
	}
	n->ctrl_ev = eng_schedule_in(n->sim, n->p.ctrl_poll_ps, ctrl_poll, n);
}

void vnet_ctrl_kick(struct vnet *n)
{
	struct vnet_ctrl_cmd *c;
	struct vq_seg sg[3];
	uint8_t hdr[2], status = 0xff;
	unsigned int out = 0;
	int err;

	if (n->ctrl_busy || !n->ready || !n->cvq || !n->ctrl_n)
		return;
	c = &n->ctrlq[n->ctrl_head];
	n->stats.ctrl_cmds++;
	hdr[0] = c->cls;
	hdr[1] = c->cmd;
	/* virtio 1.3 5.1.6.5: class, command, data (readable); ack (writable) */
	err = vio_dma_write(n->vdev->dma, n->ctrl_dma, hdr, 2);
	if (!err && c->len)
		err = vio_dma_write(n->vdev->dma, n->ctrl_dma + VNET_CTRL_DATA_OFF, c->data,
				    c->len);
	if (!err)
		err = vio_dma_write(n->vdev->dma, n->ctrl_dma + VNET_CTRL_STATUS_OFF, &status, 1);
	sg[out++] = (struct vq_seg){ n->ctrl_dma, 2, 0 };
	if (c->len)
		sg[out++] = (struct vq_seg){ n->ctrl_dma + VNET_CTRL_DATA_OFF, c->len, 0 };
	sg[out] = (struct vq_seg){ n->ctrl_dma + VNET_CTRL_STATUS_OFF, 1, VQ_SEG_F_WRITE };
	if (!err)
		err = vio_vq_add_sgs(n->cvq, sg, out, 1, ctrl_token(n));
	n->ctrl_busy = true;
	if (err) {
		vnet_ctrl_complete(n, err < 0 ? err : -EIO);
		return;
	}
	if (!vio_vq_kick(n->cvq)) {
		vnet_ctrl_complete(n, -EIO);
		return;
	}
	n->ctrl_started = eng_now(n->sim);
	n->ctrl_ev = eng_schedule_in(n->sim, n->p.ctrl_poll_ps, ctrl_poll, n);
}

int vnet_ctrl_submit(struct vnet *n, uint8_t cls, uint8_t cmd, const void *data, uint32_t len)
{
	struct vnet_ctrl_cmd *c;

	if (!vio_has_feature(n->vdev, VIRTIO_NET_F_CTRL_VQ))
		return -EOPNOTSUPP;
	if (len > VNET_CTRL_DATA_MAX)
		return -EINVAL;
	if (n->ctrl_n >= VNET_CTRL_QUEUE_MAX)
		return -ENOSPC;
	c = &n->ctrlq[(n->ctrl_head + n->ctrl_n) % VNET_CTRL_QUEUE_MAX];
	c->cls = cls;
	c->cmd = cmd;
	c->len = len;
	if (len)
		memcpy(c->data, data, len);
	n->ctrl_n++;
	vnet_ctrl_kick(n);
	return 0;
}

/* Drop the command in flight (its buffer went with a reset). */
void vnet_ctrl_abort(struct vnet *n)
{
	if (n->ctrl_busy)
		vnet_ctrl_complete(n, -ECANCELED);
}

int vnet_set_queue_pairs(struct vnet *n, uint16_t pairs)
{
	uint8_t d[2];

	if (!vio_has_feature(n->vdev, VIRTIO_NET_F_MQ))
		return -EOPNOTSUPP;
	if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > n->max_pairs)
		return -EINVAL;
	vq_put_le16(d, pairs);
	return vnet_ctrl_submit(n, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, d, 2);
}

int vnet_set_mac(struct vnet *n, const uint8_t mac[VNET_ETH_ALEN])
{
	if (!vio_has_feature(n->vdev, VIRTIO_NET_F_CTRL_MAC_ADDR))
		return -EOPNOTSUPP;
	if (mac[0] & 1)
		return -EINVAL; /* not a unicast address */
	return vnet_ctrl_submit(n, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac,
				VNET_ETH_ALEN);
}

int vnet_set_rx_mode(struct vnet *n, bool promisc, bool allmulti)
{
	uint8_t on;
	int err;

	if (!vio_has_feature(n->vdev, VIRTIO_NET_F_CTRL_RX))
		return -EOPNOTSUPP;
	if (n->ctrl_n + 2 > VNET_CTRL_QUEUE_MAX)
		return -ENOSPC;
	on = promisc;
	err = vnet_ctrl_submit(n, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1);
	if (err)
		return err;
	on = allmulti;
	return vnet_ctrl_submit(n, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1);
}

int vnet_set_mac_table(struct vnet *n, const uint8_t (*uc)[VNET_ETH_ALEN], uint32_t nuc,
		       const uint8_t (*mc)[VNET_ETH_ALEN], uint32_t nmc)
{
	uint8_t buf[8 + 2 * VNET_MAC_TABLE_MAX * VNET_ETH_ALEN];
	uint32_t off = 0;

	if (!vio_has_feature(n->vdev, VIRTIO_NET_F_CTRL_RX))
		return -EOPNOTSUPP;
	if (nuc > VNET_MAC_TABLE_MAX || nmc > VNET_MAC_TABLE_MAX || (nuc && !uc) || (nmc && !mc))
		return -EINVAL;
	/* struct virtio_net_ctrl_mac: le32 entries, then the addresses */
	vq_put_le32(buf, nuc);
	off = 4;
	for (uint32_t i = 0; i < nuc; i++, off += VNET_ETH_ALEN)
		memcpy(buf + off, uc[i], VNET_ETH_ALEN);
	vq_put_le32(buf + off, nmc);
	off += 4;
	for (uint32_t i = 0; i < nmc; i++, off += VNET_ETH_ALEN)
		memcpy(buf + off, mc[i], VNET_ETH_ALEN);
	return vnet_ctrl_submit(n, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, buf, off);
}

unsigned int vnet_ctrl_pending(const struct vnet *n)
{
	return n->ctrl_n;
}
