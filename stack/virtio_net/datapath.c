// SPDX-License-Identifier: MIT
/*
 * virtio_net datapath: TX slots and free_old_xmit, RX buffers, refill,
 * mergeable reassembly and the timed NAPI poll.
 */
#include "stack/virtio_net/vnet_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VNET_ETH_HLEN 14u
#define VLAN_ETH_EXTRA 4u

static uint32_t round64(uint32_t v)
{
	return (v + 63u) & ~63u;
}

static uint32_t max_frame(const struct vnet *n)
{
	return (uint32_t)n->mtu + VNET_ETH_HLEN + VLAN_ETH_EXTRA;
}

static void *token_of(uint32_t idx)
{
	return (void *)(uintptr_t)(idx + 1);
}

static uint32_t index_of(void *token)
{
	return (uint32_t)((uintptr_t)token - 1);
}

/* ---- buffers -------------------------------------------------------------------------- */

int vnet_dp_init(struct vnet *n)
{
	n->rq = calloc(n->max_pairs, sizeof(*n->rq));
	n->sq = calloc(n->max_pairs, sizeof(*n->sq));
	n->rxbuf = malloc(VNET_FRAME_MAX + 64);
	n->txbuf = malloc(VNET_FRAME_MAX + 64);
	if (!n->rq || !n->sq || !n->rxbuf || !n->txbuf)
		return -ENOMEM;
	for (uint16_t i = 0; i < n->max_pairs; i++) {
		n->rq[i].n = n;
		n->rq[i].q = i;
		n->rq[i].rxq_cap = n->p.rx_queue_frames;
		n->sq[i].n = n;
		n->sq[i].q = i;
	}
	return 0;
}

static void rq_release(struct vnet_rq *rq)
{
	struct vnet *n = rq->n;

	if (rq->nbufs)
		vio_dma_free(n->vdev->dma, rq->dma, (uint64_t)rq->nbufs * rq->buf_size);
	free(rq->free);
	rq->free = NULL;
	rq->nbufs = rq->nfree = 0;
}

static void sq_release(struct vnet_sq *sq)
{
	struct vnet *n = sq->n;

	if (sq->nslots)
		vio_dma_free(n->vdev->dma, sq->dma, (uint64_t)sq->nslots * sq->slot_size);
	free(sq->free);
	sq->free = NULL;
	sq->nslots = sq->nfree = 0;
}

void vnet_dp_release(struct vnet *n)
{
	for (uint16_t i = 0; n->rq && i < n->max_pairs; i++) {
		struct vnet_rq *rq = &n->rq[i];

		rq_release(rq);
		while (rq->rxq_n) {
			free(rq->rxq[rq->rxq_head].data);
			rq->rxq_head = (rq->rxq_head + 1) % rq->rxq_cap;
			rq->rxq_n--;
		}
		free(rq->rxq);
	}
	for (uint16_t i = 0; n->sq && i < n->max_pairs; i++)
		sq_release(&n->sq[i]);
	free(n->rq);
	free(n->sq);
	free(n->rxbuf);
	free(n->txbuf);
	n->rq = NULL;
	n->sq = NULL;
	n->rxbuf = n->txbuf = NULL;
}

/* nbufs buffers of size bytes in DMA memory, all free. */
static int pool_setup(struct vnet *n, uint64_t *dma, uint32_t *count, uint32_t *size,
		      uint32_t **free_list, uint32_t *nfree, uint32_t want_count,
		      uint32_t want_size)
{
	int err;

	if (*count != want_count || *size != want_size) {
		if (*count)
			vio_dma_free(n->vdev->dma, *dma, (uint64_t)*count * *size);
		free(*free_list);
		*free_list = NULL;
		*count = 0;
		err = vio_dma_alloc(n->vdev->dma, (uint64_t)want_count * want_size, 64, dma);
		if (err)
			return err;
		*free_list = malloc(want_count * sizeof(**free_list));
		if (!*free_list) {
			vio_dma_free(n->vdev->dma, *dma, (uint64_t)want_count * want_size);
			return -ENOMEM;
		}
		*count = want_count;
		*size = want_size;
	}
	/* highest index first out, so buffers are used from 0 up */
	for (uint32_t i = 0; i < *count; i++)
		(*free_list)[i] = *count - 1 - i;
	*nfree = *count;
	return 0;
}

int vnet_dp_setup(struct vnet *n)
{
	uint32_t rx_size, tx_size = round64(n->hdr_len + max_frame(n));
	int err;

	if (n->mergeable) {
		rx_size = n->p.rx_buf_size ? n->p.rx_buf_size : 1536;
		if (rx_size < n->hdr_len + 64)
			rx_size = n->hdr_len + 64;
	} else {
		uint32_t f = max_frame(n) > VNET_GOOD_PACKET_LEN ? max_frame(n)
								  : VNET_GOOD_PACKET_LEN;

		rx_size = round64(n->hdr_len + f);
	}
	for (uint16_t i = 0; i < n->max_pairs; i++) {
		struct vnet_rq *rq = &n->rq[i];
		struct vnet_sq *sq = &n->sq[i];

		err = pool_setup(n, &rq->dma, &rq->nbufs, &rq->buf_size, &rq->free, &rq->nfree,
				 vio_vq_get_vring_size(rq->vq), rx_size);
		if (err)
			return err;
		err = pool_setup(n, &sq->dma, &sq->nslots, &sq->slot_size, &sq->free, &sq->nfree,
				 vio_vq_get_vring_size(sq->vq), tx_size);
		if (err)
			return err;
		if (!rq->rxq) {
			rq->rxq = calloc(rq->rxq_cap, sizeof(*rq->rxq));
			if (!rq->rxq)
				return -ENOMEM;
		}
		sq->stopped = false;
		sq->kick_pending = false;
		rq->busy_until = 0;
	}
	return 0;
}

/* ---- receive ----------------------------------------------------------------------------- */

static void rq_kick(struct vnet_rq *rq)
{
	if (vio_vq_kick_prepare(rq->vq) && vio_vq_notify(rq->vq)) {
		rq->st.rx_kicks++;
	}
}

/* try_fill_recv: post every free buffer the ring has room for. */
static void try_fill_recv(struct vnet_rq *rq)
{
	uint32_t posted = 0;

	while (rq->nfree && vio_vq_num_free(rq->vq)) {
		uint32_t idx = rq->free[rq->nfree - 1];
		struct vq_seg sg = { rq->dma + (uint64_t)idx * rq->buf_size, rq->buf_size,
				     VQ_SEG_F_WRITE };

		if (vio_vq_add_inbuf(rq->vq, &sg, 1, token_of(idx)))
			break;
		rq->nfree--;
		posted++;
	}
	rq->st.rx_bufs += posted;
	if (posted)
		rq_kick(rq);
}

static void put_rx_buf(struct vnet_rq *rq, void *token)
{
	uint32_t idx = index_of(token);

	if (idx < rq->nbufs && rq->nfree < rq->nbufs)
		rq->free[rq->nfree++] = idx;
}

static void deliver(struct vnet_rq *rq, const uint8_t *frame, uint32_t len)
{
	struct vnet *n = rq->n;
	struct vnet_rxq_frame *f;

	rq->st.rx_packets++;
	rq->st.rx_bytes += len;
	if (n->ops && n->ops->rx) {
		n->ops->rx(n->ops_ctx, n, rq->q, frame, len);
		return;
	}
	if (rq->rxq_n >= rq->rxq_cap) {
		rq->st.rx_drops++;
		return;
	}
	f = &rq->rxq[(rq->rxq_head + rq->rxq_n) % rq->rxq_cap];
	f->data = malloc(len ? len : 1);
	if (!f->data) {
		rq->st.rx_drops++;
		return;
	}
	memcpy(f->data, frame, len);
	f->len = len;
	rq->rxq_n++;
}

/* One used buffer (the first of a frame): copy the frame out, collect the
 * further buffers of a mergeable frame, give every buffer back. */
static void receive_buf(struct vnet_rq *rq, void *token, uint32_t len)
{
	struct vnet *n = rq->n;
	const struct vio_dma *dma = n->vdev->dma;
	uint32_t idx = index_of(token), hlen = n->hdr_len, total = 0, nbuf = 1;
	uint64_t addr;

	if (idx >= rq->nbufs) {
		rq->st.rx_length_errors++;
		return;
	}
	addr = rq->dma + (uint64_t)idx * rq->buf_size;
	if (len < hlen || len > rq->buf_size) {
		/* 5.1.6.4.2: at least a header; never beyond the buffer */
		rq->st.rx_length_errors++;
		put_rx_buf(rq, token);
		return;
	}
	if (vio_dma_read(dma, addr, n->rxbuf, len)) {
		rq->st.rx_drops++;
		put_rx_buf(rq, token);
		return;
	}
	put_rx_buf(rq, token);
	if (n->mergeable)
		nbuf = vq_le16(n->rxbuf + offsetof(struct virtio_net_hdr_v1, num_buffers));
	/* the frame starts after the header */
	total = len - hlen;
	memmove(n->rxbuf, n->rxbuf + hlen, total);
	for (uint32_t i = 1; i < nbuf; i++) {
		uint32_t l;
		void *t = vio_vq_get_buf(rq->vq, &l);

		if (!t) {
			/* the device said more buffers follow: they are missing */
			rq->st.rx_length_errors++;
			return;
		}
		idx = index_of(t);
		if (idx >= rq->nbufs || l > rq->buf_size || total + l > VNET_FRAME_MAX ||
		    vio_dma_read(dma, rq->dma + (uint64_t)idx * rq->buf_size, n->rxbuf + total,
				 l)) {
			rq->st.rx_length_errors++;
			put_rx_buf(rq, t);
			/* drop the rest of this frame's buffers */
			for (i++; i < nbuf; i++) {
				t = vio_vq_get_buf(rq->vq, &l);
				if (!t)
					break;
				put_rx_buf(rq, t);
			}
			return;
		}
		put_rx_buf(rq, t);
		total += l;
	}
	if (nbuf == 0 || total < VNET_ETH_HLEN) {
		rq->st.rx_length_errors++;
		return;
	}
	deliver(rq, n->rxbuf, total);
}

static void napi_poll(struct sim *sim, void *arg);

static void napi_schedule_at(struct vnet_rq *rq, sim_time_t at)
{
	struct vnet *n = rq->n;

	rq->napi_scheduled = true;
	vio_vq_disable_cb(rq->vq);
	if (at < eng_now(n->sim))
		at = eng_now(n->sim);
	rq->napi_ev = eng_schedule_at(n->sim, at, napi_poll, rq);
}

/* virtnet_poll with the simulated CPU cost of the work done. */
static void napi_poll(struct sim *sim, void *arg)
{
	struct vnet_rq *rq = arg;
	struct vnet *n = rq->n;
	uint32_t budget = n->p.napi_budget, received = 0, size;
	sim_time_t cost;

	rq->napi_ev = 0;
	if (!n->ready || !rq->vq) {
		rq->napi_scheduled = false;
		return;
	}
	rq->st.napi_polls++;
	while (received < budget) {
		uint32_t len;
		void *t = vio_vq_get_buf(rq->vq, &len);

		if (!t)
			break;
		receive_buf(rq, t, len);
		received++;
		if (!n->ready || !rq->vq)
			break; /* the application reset the device from its callback */
	}
	if (!n->ready || !rq->vq) {
		rq->napi_scheduled = false;
		return;
	}
	size = vio_vq_get_vring_size(rq->vq);
	if (vio_vq_num_free(rq->vq) > (budget < size ? budget : size) / 2)
		try_fill_recv(rq);
	cost = n->p.poll_ps + (sim_time_t)received * n->p.rx_pkt_ps;
	eng_trace(sim, "vnet", "napi", "dev=%s q=%u frames=%u", n->bus_name, rq->q, received);
	rq->st.cpu_ps += cost;
	rq->busy_until = eng_now(sim) + cost;
	if (received >= budget) {
		rq->st.napi_repolls++;
		napi_schedule_at(rq, rq->busy_until);
		return;
	}
	/* napi_complete: interrupts back on; buffers that raced in mean a repoll */
	rq->napi_scheduled = false;
	if (!vio_vq_enable_cb(rq->vq)) {
		rq->st.napi_repolls++;
		napi_schedule_at(rq, rq->busy_until);
	}
}

void vnet_rx_done(struct virtqueue *vq)
{
	struct vnet_rq *rq = vq->priv;
	sim_time_t at;

	if (!rq)
		return;
	rq->st.rx_interrupts++;
	if (rq->napi_scheduled || !rq->n->ready)
		return;
	at = eng_now(rq->n->sim) + rq->n->p.irq_latency_ps;
	napi_schedule_at(rq, at > rq->busy_until ? at : rq->busy_until);
}

void vnet_dp_open(struct vnet *n)
{
	for (uint16_t i = 0; i < n->max_pairs; i++)
		try_fill_recv(&n->rq[i]);
}

int vnet_recv(struct vnet *n, uint16_t queue, void *buf, uint32_t cap, uint32_t *len)
{
	struct vnet_rq *rq;
	struct vnet_rxq_frame *f;

	if (queue >= n->max_pairs)
		return -EINVAL;
	rq = &n->rq[queue];
	if (!rq->rxq_n)
		return -EAGAIN;
	f = &rq->rxq[rq->rxq_head];
	if (f->len > cap)
		return -EMSGSIZE;
	memcpy(buf, f->data, f->len);
	*len = f->len;
	free(f->data);
	f->data = NULL;
	rq->rxq_head = (rq->rxq_head + 1) % rq->rxq_cap;
	rq->rxq_n--;
	return 0;
}

/* ---- transmit ----------------------------------------------------------------------------- */

static uint32_t descs_per_packet(const struct vnet *n)
{
	if (n->p.tx_one_sg || vio_has_feature(n->vdev, VIRTIO_RING_F_INDIRECT_DESC))
		return 1;
	return 2;
}

static bool tx_room(const struct vnet_sq *sq)
{
	return sq->nfree && vio_vq_num_free(sq->vq) >= descs_per_packet(sq->n);
}

static void free_old_xmit(struct vnet_sq *sq)
{
	uint32_t len;
	void *t;

	while ((t = vio_vq_get_buf(sq->vq, &len))) {
		uint32_t idx = index_of(t);

		if (idx < sq->nslots && sq->nfree < sq->nslots)
			sq->free[sq->nfree++] = idx;
	}
}

static void sq_kick(struct vnet_sq *sq)
{
	sq->kick_pending = false;
	if (vio_vq_kick_prepare(sq->vq) && vio_vq_notify(sq->vq))
		sq->st.tx_kicks++;
}

static void tx_wake(struct sim *sim, void *arg)
{
	struct vnet_sq *sq = arg;
	struct vnet *n = sq->n;

	(void)sim;
	sq->wake_ev = 0;
	if (!n->ready || !sq->vq || !sq->stopped)
		return;
	free_old_xmit(sq);
	if (!tx_room(sq)) {
		/* not yet: ask again for an interrupt once more completed */
		if (!vio_vq_enable_cb_delayed(sq->vq))
			sq->wake_ev = eng_schedule_in(n->sim, n->p.irq_latency_ps, tx_wake, sq);
		return;
	}
	sq->stopped = false;
	sq->st.tx_wakes++;
	if (n->ops && n->ops->tx_wake)
		n->ops->tx_wake(n->ops_ctx, n, sq->q);
}

void vnet_tx_done(struct virtqueue *vq)
{
	struct vnet_sq *sq = vq->priv;

	if (!sq)
		return;
	sq->st.tx_interrupts++;
	/* skb_xmit_done: no more TX interrupts; wake the queue */
	vio_vq_disable_cb(vq);
	if (!sq->wake_ev && sq->n->ready)
		sq->wake_ev = eng_schedule_in(sq->n->sim, sq->n->p.irq_latency_ps, tx_wake, sq);
}

int vnet_send_more(struct vnet *n, uint16_t queue, const void *frame, uint32_t len, bool more)
{
	struct vnet_sq *sq;
	struct vq_seg sg[2];
	uint32_t idx, nsg;
	uint64_t addr;
	int err;

	if (!n->ready)
		return -EIO;
	if (queue >= n->curr_pairs || len < VNET_ETH_HLEN || !frame)
		return -EINVAL;
	if (len > max_frame(n))
		return -EMSGSIZE;
	if (!n->link_up)
		return -ENETDOWN;
	sq = &n->sq[queue];
	if (vio_vq_is_broken(sq->vq))
		return -EIO;
	if (sq->stopped) {
		/* the stack would not call start_xmit: keep the TX interrupt armed */
		free_old_xmit(sq);
		if (!tx_room(sq)) {
			sq->st.tx_busy++;
			return -EBUSY;
		}
		sq->stopped = false;
	}
	/* start_xmit without TX NAPI: completions are reaped here */
	vio_vq_disable_cb(sq->vq);
	free_old_xmit(sq);
	if (!tx_room(sq)) {
		sq->st.tx_busy++;
		return -EBUSY;
	}
	idx = sq->free[--sq->nfree];
	addr = sq->dma + (uint64_t)idx * sq->slot_size;
	/* header: no offload, GSO_NONE, all zero */
	memset(n->txbuf, 0, n->hdr_len);
	memcpy(n->txbuf + n->hdr_len, frame, len);
	err = vio_dma_write(n->vdev->dma, addr, n->txbuf, n->hdr_len + len);
	if (!err) {
		if (n->p.tx_one_sg) {
			sg[0] = (struct vq_seg){ addr, n->hdr_len + len, 0 };
			nsg = 1;
		} else {
			sg[0] = (struct vq_seg){ addr, n->hdr_len, 0 };
			sg[1] = (struct vq_seg){ addr + n->hdr_len, len, 0 };
			nsg = 2;
		}
		err = vio_vq_add_outbuf(sq->vq, sg, nsg, token_of(idx));
	}
	if (err) {
		sq->free[sq->nfree++] = idx;
		if (err == -ENOSPC) {
			sq->st.tx_busy++;
			return -EBUSY;
		}
		return -EIO;
	}
	sq->st.tx_packets++;
	sq->st.tx_bytes += len;
	if (!tx_room(sq)) {
		/* netif_stop_subqueue, and an interrupt when most are done */
		sq->stopped = true;
		sq->st.tx_stops++;
		if (!vio_vq_enable_cb_delayed(sq->vq)) {
			free_old_xmit(sq);
			if (tx_room(sq)) {
				sq->stopped = false;
				vio_vq_disable_cb(sq->vq);
			}
		}
	}
	if (!more || sq->stopped)
		sq_kick(sq);
	else
		sq->kick_pending = true;
	return 0;
}

int vnet_send(struct vnet *n, uint16_t queue, const void *frame, uint32_t len)
{
	return vnet_send_more(n, queue, frame, len, false);
}

int vnet_flush(struct vnet *n, uint16_t queue)
{
	if (!n->ready)
		return -EIO;
	if (queue >= n->max_pairs)
		return -EINVAL;
	if (n->sq[queue].kick_pending)
		sq_kick(&n->sq[queue]);
	return 0;
}

bool vnet_tx_stopped(const struct vnet *n, uint16_t queue)
{
	return queue < n->max_pairs && n->sq[queue].stopped;
}

/* ---- stop / reclaim ----------------------------------------------------------------------- */

void vnet_dp_stop(struct vnet *n)
{
	for (uint16_t i = 0; i < n->max_pairs; i++) {
		struct vnet_rq *rq = &n->rq[i];
		struct vnet_sq *sq = &n->sq[i];

		if (rq->napi_ev)
			eng_cancel(n->sim, rq->napi_ev);
		rq->napi_ev = 0;
		rq->napi_scheduled = false;
		if (sq->wake_ev)
			eng_cancel(n->sim, sq->wake_ev);
		sq->wake_ev = 0;
	}
}

void vnet_dp_reclaim(struct vnet *n)
{
	void *t;

	for (uint16_t i = 0; i < n->max_pairs; i++) {
		struct vnet_rq *rq = &n->rq[i];
		struct vnet_sq *sq = &n->sq[i];

		while (rq->vq && (t = vio_vq_detach_unused_buf(rq->vq)))
			put_rx_buf(rq, t);
		while (sq->vq && (t = vio_vq_detach_unused_buf(sq->vq))) {
			uint32_t idx = index_of(t);

			if (idx < sq->nslots && sq->nfree < sq->nslots)
				sq->free[sq->nfree++] = idx;
		}
		sq->stopped = false;
		sq->kick_pending = false;
	}
}
