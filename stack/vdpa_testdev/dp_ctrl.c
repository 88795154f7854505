// SPDX-License-Identifier: MIT
/*
 * The test device's control queue (virtio 1.3 5.1.6.5) and the receive
 * filter it configures.
 */
#include "stack/vdpa_testdev/vtd_priv.h"

#include <errno.h>
#include <string.h>

/* ---- receive filter ------------------------------------------------------------ */

void vtd_dp_rx_mode_default(struct vtd_dp *dp)
{
	memset(&dp->rx, 0, sizeof(dp->rx));
	dp->rx.allmulti = true; /* as vdpa_sim_net: multicast passes until told */
}

static bool mac_eq(const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, 6);
}

bool vtd_dp_filter(const struct vtd_dp *dp, const uint8_t *frame, uint32_t len)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const struct vtd_rx_mode *m = &dp->rx;

	if (len < NET_ETH_HLEN)
		return false;
	if (m->promisc)
		return true;
	if (mac_eq(frame, bcast))
		return !m->nobcast;
	if (frame[0] & 1) {
		if (m->nomulti)
			return false;
		if (m->allmulti)
			return true;
		for (uint32_t i = 0; i < m->n_mc; i++)
			if (mac_eq(frame, dp->mc[i]))
				return true;
		return false;
	}
	if (m->nouni)
		return false;
	if (mac_eq(frame, dp->d->config) || m->alluni)
		return true;
	for (uint32_t i = 0; i < m->n_uc; i++)
		if (mac_eq(frame, dp->uc[i]))
			return true;
	return false;
}

/* ---- control queue ----------------------------------------------------------------- */

static uint8_t ctrl_rx(struct vtd_dp *dp, uint8_t cmd, const uint8_t *data, uint32_t len)
{
	struct vtd *d = dp->d;
	bool on;

	if (!vtd_drv_feat(d, VIRTIO_NET_F_CTRL_RX) || len != 1)
		return VIRTIO_NET_ERR;
	if (cmd > VIRTIO_NET_CTRL_RX_ALLMULTI && !vtd_drv_feat(d, VIRTIO_NET_F_CTRL_RX_EXTRA))
		return VIRTIO_NET_ERR;
	on = data[0] != 0;
	switch (cmd) {
	case VIRTIO_NET_CTRL_RX_PROMISC:
		dp->rx.promisc = on;
		break;
	case VIRTIO_NET_CTRL_RX_ALLMULTI:
		dp->rx.allmulti = on;
		break;
	case VIRTIO_NET_CTRL_RX_ALLUNI:
		dp->rx.alluni = on;
		break;
	case VIRTIO_NET_CTRL_RX_NOMULTI:
		dp->rx.nomulti = on;
		break;
	case VIRTIO_NET_CTRL_RX_NOUNI:
		dp->rx.nouni = on;
		break;
	case VIRTIO_NET_CTRL_RX_NOBCAST:
		dp->rx.nobcast = on;
		break;
	default:
		return VIRTIO_NET_ERR;
	}
	return VIRTIO_NET_OK;
}

/* struct virtio_net_ctrl_mac twice: le32 entries, then the MACs (5.1.6.5.2). */
static uint8_t ctrl_mac_table(struct vtd_dp *dp, const uint8_t *data, uint32_t len)
{
	uint32_t nuc, nmc, off;

	if (len < 4)
		return VIRTIO_NET_ERR;
	nuc = vq_le32(data);
	if (nuc > MAC_TABLE_MAX || len - 4 < nuc * 6 + 4)
		return VIRTIO_NET_ERR;
	off = 4 + nuc * 6;
	nmc = vq_le32(data + off);
	if (nmc > MAC_TABLE_MAX || len - off - 4 != nmc * 6)
		return VIRTIO_NET_ERR;
	memcpy(dp->uc, data + 4, (size_t)nuc * 6);
	memcpy(dp->mc, data + off + 4, (size_t)nmc * 6);
	dp->rx.n_uc = nuc;
	dp->rx.n_mc = nmc;
	return VIRTIO_NET_OK;
}

static uint8_t ctrl_cmd(struct vtd_dp *dp, uint8_t cls, uint8_t cmd, const uint8_t *data,
			uint32_t len)
{
	struct vtd *d = dp->d;

	switch (cls) {
	case VIRTIO_NET_CTRL_RX:
		return ctrl_rx(dp, cmd, data, len);
	case VIRTIO_NET_CTRL_MAC:
		if (cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
			if (!vtd_drv_feat(d, VIRTIO_NET_F_CTRL_MAC_ADDR) || len != 6)
				return VIRTIO_NET_ERR;
			memcpy(d->config, data, 6);
			return VIRTIO_NET_OK;
		}
		if (cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET && vtd_drv_feat(d, VIRTIO_NET_F_CTRL_RX))
			return ctrl_mac_table(dp, data, len);
		return VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_ANNOUNCE:
		if (cmd != VIRTIO_NET_CTRL_ANNOUNCE_ACK || len != 0 ||
		    !vtd_drv_feat(d, VIRTIO_NET_F_GUEST_ANNOUNCE))
			return VIRTIO_NET_ERR;
		/* 5.1.6.5.4: the ack clears the announce request */
		d->config[NETCFG_STATUS] &= (uint8_t)~VIRTIO_NET_S_ANNOUNCE;
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_MQ:
		if (cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET && len == 2 &&
		    vtd_drv_feat(d, VIRTIO_NET_F_MQ)) {
			uint16_t n = vq_le16(data);

			/* 5.1.6.5.5: 1 .. max_virtqueue_pairs */
			if (n < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || n > vtd_dev_pairs(d))
				return VIRTIO_NET_ERR;
			dp->pairs = n;
			return VIRTIO_NET_OK;
		}
		return VIRTIO_NET_ERR;
	default:
		return VIRTIO_NET_ERR;
	}
}

void vtd_dp_ctrl(struct vtd_dpq *q)
{
	struct vtd_dp *dp = q->dp;
	uint32_t batch = dp->d->cfg.batch ? dp->d->cfg.batch : 64, n = 0;

	if (vtd_dpq_engine(q))
		return;
	vq_dev_disable_notify(q->eng);
	while (n < batch) {
		struct vq_chain c = { .seg = dp->seg, .seg_cap = DP_SEGS };
		uint8_t ack = VIRTIO_NET_ERR;
		uint32_t written = 0;
		int r = vq_dev_fetch(q->eng, &c);

		if (r < 0 && r != -EMSGSIZE) {
			vtd_dpq_bad(q);
			return;
		}
		if (r == 0)
			break;
		n++;
		if (r != -EMSGSIZE && c.out_len >= 2 && c.out_len <= CTRL_MAX) {
			if (vq_dev_read(q->eng, &c, 0, dp->buf, c.out_len)) {
				vtd_dpq_bad(q);
				return;
			}
			if (!dp->d->faults.ctrl_ack_err)
				ack = ctrl_cmd(dp, dp->buf[0], dp->buf[1], dp->buf + 2,
					       c.out_len - 2);
		}
		if (ack == VIRTIO_NET_OK)
			dp->st.ctrl_ok++;
		else
			dp->st.ctrl_err++;
		/* the ack is the first device-writable byte */
		if (c.nseg && c.in_len >= 1) {
			if (vq_dev_write(q->eng, &c, 0, &ack, 1)) {
				vtd_dpq_bad(q);
				return;
			}
			written = 1;
		}
		if (vtd_dpq_push(q, &c, written))
			return;
	}
	vtd_dpq_flush(q);
	if (!q->eng || dp->needs_reset)
		return;
	if (n == batch)
		vtd_dpq_kick(q, dp->d->cfg.pkt_delay_ps);
	else if (vq_dev_enable_notify(q->eng))
		vtd_dpq_kick(q, dp->d->cfg.pkt_delay_ps);
}

