// SPDX-License-Identifier: MIT
/*
 * The test device's datapath, in the spirit of vdpa_sim_net: the device-side
 * ring engine over the device's address translation, loopback or an
 * Ethernet port, the control queue, and NEEDS_RESET on a malformed ring.
 * Everything runs in engine events (see vdpa_testdev.h).
 */
#include "stack/vdpa_testdev/vtd_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool dp_on(const struct vtd *d)
{
	return d->dp && d->cfg.datapath != VTD_DP_NONE;
}

static bool dp_can_run(const struct vtd *d)
{
	return dp_on(d) && (d->status & VIRTIO_CONFIG_S_DRIVER_OK) && !d->dp->needs_reset &&
	       !d->suspended;
}

uint16_t vtd_dev_pairs(const struct vtd *d)
{
	return (uint16_t)(d->nvqs / 2);
}

static bool is_rx(const struct vtd *d, uint16_t idx)
{
	return !vtd_is_cvq(d, idx) && idx < 2 * vtd_dev_pairs(d) && !(idx & 1);
}

static bool is_tx(const struct vtd *d, uint16_t idx)
{
	return !vtd_is_cvq(d, idx) && idx < 2 * vtd_dev_pairs(d) && (idx & 1);
}

bool vtd_drv_feat(const struct vtd *d, unsigned int bit)
{
	return (d->driver_features >> bit) & 1;
}

static uint32_t hdr_len(const struct vtd *d)
{
	bool v1 = vtd_drv_feat(d, VIRTIO_F_VERSION_1) || vtd_drv_feat(d, VIRTIO_NET_F_MRG_RXBUF);

	return v1 ? HDR_V1 : HDR_LEGACY;
}

/* ---- memory: IOVA -> host physical -> host_mem ------------------------------------ */

static int dp_xlate(struct vtd_dpq *q, uint64_t iova, uint32_t access, uint64_t *pa,
		    uint64_t *contig)
{
	struct vtd *d = q->dp->d;
	const struct vdpa_iotlb *tlb;

	if (d->cfg.map_mode == VTD_MAP_PLATFORM) {
		if (!d->domain_allocated)
			goto passthrough; /* no IOMMU domain: bus addresses are physical */
		tlb = &d->domain_maps;
	} else {
		uint32_t asid = d->group_asid[vtd_vq_group(d, q->idx)];

		if (asid >= d->vdpa.nas)
			return -EFAULT;
		if (d->iommu_pt[asid])
			goto passthrough;
		tlb = &d->iotlb[asid];
	}
	return vdpa_iotlb_translate(tlb, iova, access, pa, contig);
passthrough:
	*pa = iova;
	*contig = iova ? 0 - iova : UINT64_MAX;
	return 0;
}

static int dp_access(struct vtd_dpq *q, uint64_t addr, uint8_t *p, uint32_t len, bool write)
{
	const struct vq_mem *hm = &q->dp->d->cfg.host_mem;

	if (!hm->read || !hm->write)
		return -EFAULT;
	while (len) {
		uint64_t pa, contig;
		uint32_t n;
		int r = dp_xlate(q, addr, write ? VHOST_ACCESS_WO : VHOST_ACCESS_RO, &pa, &contig);

		if (r)
			return r;
		n = contig < len ? (uint32_t)contig : len;
		r = write ? hm->write(hm->ctx, pa, p, n) : hm->read(hm->ctx, pa, p, n);
		if (r)
			return r;
		addr += n;
		p += n;
		len -= n;
	}
	return 0;
}

static int dp_read(void *ctx, uint64_t addr, void *dst, uint32_t len)
{
	return dp_access(ctx, addr, dst, len, false);
}

static int dp_write(void *ctx, uint64_t addr, const void *src, uint32_t len)
{
	return dp_access(ctx, addr, (uint8_t *)src, len, true);
}

/* ---- queue state ------------------------------------------------------------------ */

static void dp_cancel(struct vtd_dpq *q)
{
	if (q->ev) {
		eng_cancel(q->dp->d->vdpa.sim, q->ev);
		q->ev = 0;
	}
}

static void dp_drop_engine(struct vtd_dpq *q)
{
	dp_cancel(q);
	vq_dev_free(q->eng);
	q->eng = NULL;
	q->rxc_head = q->rxc_n = 0;
	q->hold_len = 0;
	q->stalled = false;
	q->dirty = false;
}

/* The device found the ring malformed: virtio 1.3 2.1.2, DEVICE_NEEDS_RESET
 * and a configuration change notification; every queue stops. */
void vtd_dpq_bad(struct vtd_dpq *q)
{
	struct vtd_dp *dp = q->dp;
	struct vtd *d = dp->d;

	if (q->eng && vq_dev_violation(q->eng) != VQ_V_NONE)
		q->violation = vq_dev_violation(q->eng);
	else if (q->violation == VQ_V_NONE)
		q->violation = VQ_V_ACCESS_FAULT;
	if (dp->needs_reset)
		return;
	dp->needs_reset = true;
	dp->st.needs_reset++;
	d->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	for (uint32_t i = 0; i < d->nvqs; i++)
		dp_cancel(&dp->q[i]);
	vtd_tr(d, "needs_reset %u %s", q->idx, vq_violation_name(q->violation));
	eng_trace(d->vdpa.sim, "vdpa_testdev", "needs_reset", "dev=%s vq=%u violation=%s",
		  d->vdpa.name, q->idx, vq_violation_name(q->violation));
	vtd_raise_config_irq(d);
}

/* 0 with q->eng ready; -ENODEV when the queue is not set up (nothing to do);
 * -EIO when the driver's settings are unusable (NEEDS_RESET raised). */
int vtd_dpq_engine(struct vtd_dpq *q)
{
	struct vtd *d = q->dp->d;
	const struct vtd_vq *vq = &d->vqs[q->idx];
	struct vq_config cfg;
	struct vq_state st;
	struct vq_mem mem = { dp_read, dp_write, q };

	if (q->eng)
		return 0;
	if (!vq->ready || !vq->num)
		return -ENODEV;
	if (vq->num > d->cfg.vq_num_max) {
		/* beyond what get_vq_num_max offered */
		vtd_dpq_bad(q);
		return -EIO;
	}
	cfg.num = vq->num;
	cfg.desc_addr = vq->desc;
	cfg.driver_addr = vq->driver;
	cfg.device_addr = vq->device;
	cfg.features = d->driver_features;
	if (vq_cfg_packed(&cfg)) {
		st.avail_idx = vq->state.packed.last_avail_idx;
		st.avail_wrap = vq->state.packed.last_avail_counter;
		st.used_idx = vq->state.packed.last_used_idx;
		st.used_wrap = vq->state.packed.last_used_counter;
	} else {
		st.avail_idx = st.used_idx = vq->state.split.avail_index;
		st.avail_wrap = st.used_wrap = true;
	}
	if (vq_dev_create(&q->eng, &cfg, &mem, &st)) {
		q->violation = VQ_V_NONE;
		vtd_dpq_bad(q);
		return -EIO;
	}
	vq_dev_set_observer(q->eng, q->obs);
	return 0;
}

static void dp_event(struct sim *sim, void *arg);

void vtd_dpq_kick(struct vtd_dpq *q, sim_time_t delay)
{
	struct vtd *d = q->dp->d;

	if (q->ev || !dp_on(d) || q->dp->needs_reset || d->suspended)
		return;
	q->ev = eng_schedule_in(d->vdpa.sim, delay, dp_event, q);
}

/* Stage a used chain; vtd_dpq_flush publishes and interrupts. */
int vtd_dpq_push(struct vtd_dpq *q, const struct vq_chain *c, uint32_t len)
{
	if (vq_dev_push(q->eng, c, len)) {
		vtd_dpq_bad(q);
		return -EIO;
	}
	q->dirty = true;
	return 0;
}

void vtd_dpq_flush(struct vtd_dpq *q)
{
	struct vtd_dp *dp = q->dp;
	int r;

	if (!q->dirty || !q->eng)
		return;
	q->dirty = false;
	if (vq_dev_flush(q->eng)) {
		vtd_dpq_bad(q);
		return;
	}
	/* virtio 1.3 2.7.10 / 2.8.10: only when the driver asked for it */
	r = vq_dev_need_interrupt(q->eng);
	if (r < 0) {
		vtd_dpq_bad(q);
	} else if (r) {
		dp->st.interrupts++;
		if (q->obs)
			vq_obs_notify(q->obs, VQ_ACTOR_DEVICE);
		vtd_raise_vq_irq(dp->d, q->idx);
	} else {
		dp->st.suppressed++;
	}
}

/* ---- receive ------------------------------------------------------------------------ */

/* Fetch one more RX chain into the cache: 1 got one, 0 ring empty, -EIO. */
static int rx_fetch(struct vtd_dpq *q)
{
	uint32_t num = q->dp->d->vqs[q->idx].num;
	struct vtd_rxc *e;
	int r;

	if (q->rxc_n >= num)
		return 0;
	e = &q->rxc[(q->rxc_head + q->rxc_n) % num];
	e->c.seg = e->seg;
	e->c.seg_cap = RXC_SEGS;
	r = vq_dev_fetch(q->eng, &e->c);
	if (r == -EMSGSIZE) {
		/* too many segments to write into: give it back empty */
		q->dp->st.rx_no_buf++;
		return vtd_dpq_push(q, &e->c, 0) ? -EIO : 1;
	}
	if (r < 0) {
		vtd_dpq_bad(q);
		return -EIO;
	}
	if (r == 1)
		q->rxc_n++;
	return r;
}

/*
 * Receive one frame on RX queue q.  0 received; -EAGAIN not enough buffers
 * posted (nothing consumed); -EPERM filtered; -EMSGSIZE can never fit;
 * -ENODEV queue not set up; -EIO ring broken.
 */
static int dp_rx(struct vtd_dpq *q, const uint8_t *frame, uint32_t flen)
{
	struct vtd_dp *dp = q->dp;
	struct vtd *d = dp->d;
	uint32_t hlen = hdr_len(d), total = hlen + flen, num, have = 0, k = 0, off = 0;
	bool mrg = vtd_drv_feat(d, VIRTIO_NET_F_MRG_RXBUF);
	int r = vtd_dpq_engine(q);

	if (r)
		return r;
	if (!vtd_dp_filter(dp, frame, flen)) {
		dp->st.rx_filtered++;
		return -EPERM;
	}
	if (flen > DP_FRAME_MAX)
		return -EMSGSIZE;
	num = d->vqs[q->idx].num;
	/* enough buffer space: one chain, or several with MRG_RXBUF (5.1.6.4) */
	while (have < total) {
		if (k == q->rxc_n) {
			r = rx_fetch(q);
			if (r < 0)
				return r;
			if (r == 0)
				return -EAGAIN;
			if (k == q->rxc_n)
				continue; /* an unusable chain was returned */
		}
		have += q->rxc[(q->rxc_head + k) % num].c.in_len;
		k++;
		if (!mrg && have < total)
			return -EMSGSIZE; /* one buffer must hold it all */
		if (k > num)
			return -EMSGSIZE;
	}
	memset(dp->rxbuf, 0, hlen);
	dp->rxbuf[1] = VIRTIO_NET_HDR_GSO_NONE;
	if (hlen == HDR_V1)
		vq_put_le16(dp->rxbuf + HDR_NUM_BUFFERS, (uint16_t)k);
	memcpy(dp->rxbuf + hlen, frame, flen);
	for (uint32_t i = 0; i < k; i++) {
		struct vtd_rxc *e = &q->rxc[q->rxc_head];
		uint32_t n = total - off < e->c.in_len ? total - off : e->c.in_len;

		if (n && vq_dev_write(q->eng, &e->c, 0, dp->rxbuf + off, n)) {
			vtd_dpq_bad(q);
			return -EIO;
		}
		if (vtd_dpq_push(q, &e->c, n))
			return -EIO;
		off += n;
		q->rxc_head = (q->rxc_head + 1) % num;
		q->rxc_n--;
	}
	dp->st.rx_packets++;
	dp->st.rx_bytes += flen;
	dp->st.rx_bufs += k;
	return 0;
}

static struct vtd_dpq *loop_target(struct vtd_dp *dp, uint16_t txidx)
{
	uint16_t pair = (uint16_t)(txidx / 2);

	return &dp->q[2 * (pair < dp->pairs ? pair : 0)];
}

/* ---- transmit ------------------------------------------------------------------------- */

/* Loopback: hand the held frame to RX.  0 done (received or dropped),
 * -EAGAIN when it must wait for RX buffers, -EIO. */
static int loop_deliver(struct vtd_dpq *q, struct vtd_dpq *rq)
{
	struct vtd_dp *dp = q->dp;
	int r = dp_rx(rq, q->hold + q->hold_off, q->hold_len);

	if (r == -EIO)
		return r;
	if (r == -EAGAIN && !dp->d->cfg.loopback_drop)
		return -EAGAIN;
	if (r == -EAGAIN || r == -EMSGSIZE || r == -ENODEV)
		dp->st.rx_no_buf++;
	q->hold_len = 0;
	return 0;
}

static void dp_tx(struct vtd_dpq *q)
{
	struct vtd_dp *dp = q->dp;
	struct vtd *d = dp->d;
	bool loop = d->cfg.datapath == VTD_DP_LOOPBACK;
	struct vtd_dpq *rq = loop ? loop_target(dp, q->idx) : NULL;
	uint32_t batch = d->cfg.batch ? d->cfg.batch : 64, n = 0, hlen = hdr_len(d);
	sim_time_t delay = d->cfg.pkt_delay_ps;

	if (vtd_dpq_engine(q))
		return;
	vq_dev_disable_notify(q->eng);
	q->stalled = false;
	if (rq && q->hold_len) {
		int r = loop_deliver(q, rq);

		if (r == -EIO)
			return;
		q->stalled = r == -EAGAIN;
	}
	while (!q->stalled && n < batch) {
		struct vq_chain c = { .seg = dp->seg, .seg_cap = DP_SEGS };
		uint8_t *buf = rq ? q->hold : dp->buf;
		uint32_t flen;
		int r;

		/* a full port queue: wait for tx_done (no link: frames are dropped) */
		if (!rq && dp->port && net_port_link_up(dp->port) &&
		    !net_port_tx_room(dp->port, NET_ETH_MIN_LEN)) {
			q->stalled = true;
			break;
		}
		r = vq_dev_fetch(q->eng, &c);
		if (r < 0 && r != -EMSGSIZE) {
			vtd_dpq_bad(q);
			return;
		}
		if (r == 0)
			break;
		n++;
		if (r == -EMSGSIZE || c.out_len < hlen + NET_ETH_HLEN ||
		    c.out_len - hlen > DP_FRAME_MAX) {
			dp->st.tx_errors++;
			if (vtd_dpq_push(q, &c, 0))
				return;
			continue;
		}
		flen = c.out_len - hlen;
		/* the header carries no offload the device would act on: skip it */
		if (vq_dev_read(q->eng, &c, 0, buf, c.out_len)) {
			vtd_dpq_bad(q);
			return;
		}
		if (vtd_dpq_push(q, &c, 0))
			return;
		dp->st.tx_packets++;
		dp->st.tx_bytes += flen;
		if (rq) {
			q->hold_off = hlen;
			q->hold_len = flen;
			r = loop_deliver(q, rq);
			if (r == -EIO)
				return;
			q->stalled = r == -EAGAIN;
		} else if (!dp->port || net_port_send(dp->port, buf + hlen, flen)) {
			dp->st.tx_errors++;
		}
	}
	vtd_dpq_flush(q);
	if (rq)
		vtd_dpq_flush(rq);
	if (!q->eng || dp->needs_reset)
		return;
	if (q->stalled) {
		/* ask for refill kicks; buffers may already be there */
		if (rq && rq->eng && vq_dev_enable_notify(rq->eng))
			vtd_dpq_kick(q, delay);
		return;
	}
	if (n == batch) {
		vtd_dpq_kick(q, (sim_time_t)n * delay);
		return;
	}
	/* ring empty: take kicks again, and poll once more (vhost's pattern) */
	if (vq_dev_enable_notify(q->eng))
		vtd_dpq_kick(q, delay);
}

static void dp_event(struct sim *sim, void *arg)
{
	struct vtd_dpq *q = arg;
	struct vtd *d = q->dp->d;

	(void)sim;
	q->ev = 0;
	if (!dp_can_run(d))
		return;
	q->dp->st.events++;
	if (vtd_is_cvq(d, q->idx))
		vtd_dp_ctrl(q);
	else if (is_tx(d, q->idx))
		dp_tx(q);
}

/* ---- port ----------------------------------------------------------------------------- */

static uint16_t steer(const struct vtd_dp *dp, const uint8_t *frame, size_t len)
{
	struct net_test_hdr h;
	uint32_t hash = 2166136261u;

	if (dp->pairs <= 1)
		return 0;
	if (!net_frame_parse_seq(frame, len, &h))
		return (uint16_t)(h.flow % dp->pairs);
	for (size_t i = 0; i < NET_ETH_HLEN && i < len; i++)
		hash = (hash ^ frame[i]) * 16777619u;
	return (uint16_t)(hash % dp->pairs);
}

static void port_rx(void *ctx, struct net_port *port, const uint8_t *frame, size_t len,
		    sim_time_t at)
{
	struct vtd *d = ctx;
	struct vtd_dp *dp = d->dp;
	struct vtd_dpq *rq;
	int r;

	(void)port;
	(void)at;
	if (!dp_can_run(d)) {
		dp->st.rx_no_buf++;
		return;
	}
	rq = &dp->q[2 * steer(dp, frame, len)];
	r = dp_rx(rq, frame, (uint32_t)len);
	if (r == -EAGAIN || r == -EMSGSIZE || r == -ENODEV)
		dp->st.rx_no_buf++; /* Ethernet has no backpressure */
	vtd_dpq_flush(rq);
}

static void port_tx_done(void *ctx, struct net_port *port)
{
	struct vtd *d = ctx;

	(void)port;
	for (uint16_t i = 0; i < d->nvqs; i++)
		if (d->dp->q[i].stalled)
			vtd_dpq_kick(&d->dp->q[i], 0);
}

static void port_link_change(void *ctx, struct net_port *port, bool up)
{
	struct vtd *d = ctx;

	(void)port;
	if (d->cfg.port_link_status && (d->device_features & (1ULL << VIRTIO_NET_F_STATUS)))
		vtd_set_link(d, up);
}

static const struct net_port_ops port_ops = {
	.rx = port_rx,
	.tx_done = port_tx_done,
	.link_change = port_link_change,
};

int vtd_port(struct vtd *d, struct net_port **out)
{
	struct net_port_cfg pc = { 0 };
	int err;

	if (!d || !d->dp || d->cfg.datapath != VTD_DP_PORT)
		return -EINVAL;
	if (!d->dp->port) {
		pc.name = d->vdpa.name;
		err = net_port_new(d->vdpa.sim, &pc, &port_ops, d, &d->dp->port);
		if (err)
			return err;
	}
	*out = d->dp->port;
	return 0;
}

void vtd_port_release(struct vtd *d)
{
	if (!d || !d->dp || !d->dp->port)
		return;
	net_port_free(d->dp->port);
	d->dp->port = NULL;
}

/* ---- hooks from the ops ------------------------------------------------------------- */

int vtd_dp_init(struct vtd *d)
{
	struct vtd_dp *dp = calloc(1, sizeof(*dp));

	if (!dp)
		return -ENOMEM;
	d->dp = dp;
	dp->d = d;
	dp->pairs = 1;
	vtd_dp_rx_mode_default(dp);
	dp->q = calloc(d->nvqs, sizeof(*dp->q));
	if (!dp->q)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->nvqs; i++) {
		dp->q[i].dp = dp;
		dp->q[i].idx = (uint16_t)i;
	}
	if (d->cfg.datapath == VTD_DP_NONE)
		return 0;
	dp->buf = malloc(DP_BUF_CAP);
	dp->rxbuf = malloc(DP_BUF_CAP);
	if (!dp->buf || !dp->rxbuf)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->nvqs; i++) {
		struct vtd_dpq *q = &dp->q[i];

		if (is_rx(d, q->idx)) {
			q->rxc = calloc(d->cfg.vq_num_max ? d->cfg.vq_num_max : 1, sizeof(*q->rxc));
			if (!q->rxc)
				return -ENOMEM;
		} else if (is_tx(d, q->idx) && d->cfg.datapath == VTD_DP_LOOPBACK) {
			q->hold = malloc(DP_BUF_CAP);
			if (!q->hold)
				return -ENOMEM;
		}
	}
	return 0;
}

void vtd_dp_free(struct vtd *d)
{
	struct vtd_dp *dp = d->dp;

	if (!dp)
		return;
	vtd_port_release(d);
	for (uint32_t i = 0; dp->q && i < d->nvqs; i++) {
		dp_drop_engine(&dp->q[i]);
		free(dp->q[i].rxc);
		free(dp->q[i].hold);
	}
	free(dp->q);
	free(dp->buf);
	free(dp->rxbuf);
	free(dp);
	d->dp = NULL;
}

void vtd_dp_kick(struct vtd *d, uint16_t idx)
{
	struct vtd_dp *dp = d->dp;

	if (!dp_on(d))
		return;
	if (is_rx(d, idx)) {
		/* refill: TX queues waiting for this RX queue may go on */
		for (uint16_t i = 1; i < 2 * vtd_dev_pairs(d); i += 2)
			if (dp->q[i].stalled && loop_target(dp, i) == &dp->q[idx])
				vtd_dpq_kick(&dp->q[i], d->cfg.pkt_delay_ps);
		return;
	}
	vtd_dpq_kick(&dp->q[idx], d->cfg.pkt_delay_ps);
}

void vtd_dp_reset(struct vtd *d)
{
	struct vtd_dp *dp = d->dp;

	if (!dp)
		return;
	for (uint32_t i = 0; i < d->nvqs; i++) {
		dp_drop_engine(&dp->q[i]);
		dp->q[i].obs = NULL;
		dp->q[i].violation = VQ_V_NONE;
	}
	dp->pairs = 1;
	vtd_dp_rx_mode_default(dp);
	dp->needs_reset = false;
}

uint8_t vtd_dp_status(struct vtd *d, uint8_t old, uint8_t status)
{
	struct vtd_dp *dp = d->dp;

	if (!dp)
		return status;
	if (dp->needs_reset)
		status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	d->status = status;
	/* virtio 1.3 3.1.1: buffers are processed from DRIVER_OK on */
	if (!(old & VIRTIO_CONFIG_S_DRIVER_OK) && (status & VIRTIO_CONFIG_S_DRIVER_OK))
		for (uint16_t i = 0; i < d->nvqs; i++)
			if (!is_rx(d, i))
				vtd_dpq_kick(&dp->q[i], d->cfg.pkt_delay_ps);
	return status;
}

void vtd_dp_queue_changed(struct vtd *d, uint16_t idx)
{
	if (d->dp && idx < d->nvqs)
		dp_drop_engine(&d->dp->q[idx]);
}

void vtd_dp_sync_state(struct vtd *d, uint16_t idx)
{
	struct vtd_dpq *q = d->dp && idx < d->nvqs ? &d->dp->q[idx] : NULL;
	struct vdpa_vq_state *s;
	struct vq_state st;
	uint32_t num, back = 0;

	if (!q || !q->eng)
		return;
	vq_dev_get_state(q->eng, &st);
	num = d->vqs[idx].num;
	s = &d->vqs[idx].state;
	/* RX chains fetched ahead are not consumed: they are read again */
	for (uint32_t i = 0; i < q->rxc_n; i++)
		back += q->rxc[(q->rxc_head + i) % num].c.ndesc;
	if (vtd_drv_feat(d, VIRTIO_F_RING_PACKED)) {
		uint32_t pos = (uint32_t)st.avail_idx + (st.avail_wrap ? 0 : num);

		pos = (pos + 2 * num - back % (2 * num)) % (2 * num);
		s->packed.last_avail_idx = (uint16_t)(pos < num ? pos : pos - num);
		s->packed.last_avail_counter = pos < num;
		s->packed.last_used_idx = st.used_idx;
		s->packed.last_used_counter = st.used_wrap;
	} else {
		s->split.avail_index = (uint16_t)(st.avail_idx - q->rxc_n);
	}
}

void vtd_dp_suspend(struct vtd *d)
{
	if (!d->dp)
		return;
	for (uint16_t i = 0; i < d->nvqs; i++) {
		dp_cancel(&d->dp->q[i]);
		vtd_dp_sync_state(d, i);
	}
}

void vtd_dp_resume(struct vtd *d)
{
	if (!dp_on(d))
		return;
	for (uint16_t i = 0; i < d->nvqs; i++)
		if (!is_rx(d, i))
			vtd_dpq_kick(&d->dp->q[i], d->cfg.pkt_delay_ps);
}

/* ---- accessors ------------------------------------------------------------------------- */

void vtd_set_vq_observer(struct vtd *d, uint16_t idx, struct vq_obs *obs)
{
	struct vtd_dpq *q;

	if (!d || !d->dp || idx >= d->nvqs)
		return;
	q = &d->dp->q[idx];
	q->obs = obs;
	if (q->eng)
		vq_dev_set_observer(q->eng, obs);
}

enum vq_violation vtd_vq_violation(const struct vtd *d, uint16_t idx)
{
	if (!d || !d->dp || idx >= d->nvqs)
		return VQ_V_NONE;
	return d->dp->q[idx].violation;
}

bool vtd_needs_reset(const struct vtd *d)
{
	return d && d->dp && d->dp->needs_reset;
}

uint16_t vtd_queue_pairs(const struct vtd *d)
{
	return d && d->dp ? d->dp->pairs : 0;
}

void vtd_rx_mode(const struct vtd *d, struct vtd_rx_mode *out)
{
	if (d && d->dp)
		*out = d->dp->rx;
	else
		memset(out, 0, sizeof(*out));
}

void vtd_dp_stats(const struct vtd *d, struct vtd_dp_stats *out)
{
	if (d && d->dp)
		*out = d->dp->st;
	else
		memset(out, 0, sizeof(*out));
}
