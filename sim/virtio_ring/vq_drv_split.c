// SPDX-License-Identifier: MIT
/*
 * Driver side of the split ring: descriptor allocation (free list, or ring
 * order with IN_ORDER), avail entries published in batches, used collection
 * with a read cache, and notification suppression in both directions.
 */
#include "sim/virtio_ring/vq_internal.h"

#include <string.h>

/* Write zeros over an area (scratch is num * 16 bytes, every split area fits). */
static int zero_area(struct vq_drv *d, uint64_t addr, uint64_t len)
{
	memset(d->scratch, 0, (size_t)d->num * 16);
	return vq_wr(&d->mem, NULL, VQ_ACTOR_DRIVER, VQ_K_RAW, addr, d->scratch, (uint32_t)len,
		     VQ_NO_CHAIN);
}

int vq_split_drv_init_ring(struct vq_drv *d, const struct vq_state *st)
{
	uint8_t b[2];
	int r;

	r = zero_area(d, d->desc, (uint64_t)d->num * VQ_DESC_SZ);
	if (!r)
		r = zero_area(d, d->drv_area, VQ_A_USED_EVENT(d->num) + VQ_A_ENT);
	/* virtio 1.3 2.7.10.1: used flags start at 0 */
	if (!r)
		r = zero_area(d, d->dev_area, VQ_U_AVAIL_EVENT(d->num) + 2);
	if (r)
		return r;
	if (st->avail_idx) {
		vq_put_le16(b, st->avail_idx);
		r = vq_wr(&d->mem, NULL, VQ_ACTOR_DRIVER, VQ_K_RAW, d->drv_area + VQ_A_IDX, b, 2,
			  VQ_NO_CHAIN);
		if (!r)
			r = vq_wr(&d->mem, NULL, VQ_ACTOR_DRIVER, VQ_K_RAW, d->dev_area + VQ_U_IDX,
				  b, 2, VQ_NO_CHAIN);
		if (r)
			return r;
	}
	for (uint32_t i = 0; i < d->num; i++) {
		d->next[i] = (uint16_t)(i + 1 < d->num ? i + 1 : 0);
		d->buf[i].state = VQ_BUF_FREE;
	}
	d->free_head = 0;
	d->next_desc = 0;
	d->avail_idx = d->avail_pub = d->kick_old = st->avail_idx;
	d->last_used = d->used_seen = st->used_idx;
	d->uc_n = 0;
	d->avail_flags = 0;
	return 0;
}

/* Descriptors of a chain in scratch (16 bytes each, slots[]), written in runs
 * of adjacent slots, one accessor call per run. */
static int write_descs(struct vq_drv *d, const uint16_t *slots, uint32_t n)
{
	for (uint32_t k = 0; k < n;) {
		uint32_t m = k;

		while (m + 1 < n && slots[m + 1] == slots[m] + 1)
			m++;
		int r = vq_wr(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_DESC,
			      d->desc + (uint64_t)VQ_DESC_SZ * slots[k],
			      d->scratch + (size_t)VQ_DESC_SZ * k, VQ_DESC_SZ * (m - k + 1),
			      VQ_NO_CHAIN);
		if (r)
			return r;
		k = m + 1;
	}
	return 0;
}

static uint16_t alloc_desc(struct vq_drv *d)
{
	uint16_t i;

	if (d->in_order) {
		/* virtio 1.3 2.7.5: ring order, wrapping at the end of the table */
		i = d->next_desc;
		d->next_desc = (uint16_t)vq_ring_add(i, 1, d->num);
	} else {
		i = d->free_head;
		d->free_head = d->next[i];
	}
	return i;
}

int vq_split_drv_add(struct vq_drv *d, const struct vq_seg *sg, uint32_t nout, uint32_t nin,
		     void *token, bool use_ind, uint64_t ind_addr)
{
	uint32_t total = nout + nin, need = use_ind ? 1 : total, in_len = 0;
	struct vq_drv_buf *b;
	uint16_t head;
	int r;

	for (uint32_t i = nout; i < total; i++)
		in_len += sg[i].len;
	for (uint32_t k = 0; k < need; k++) {
		uint8_t *e = d->scratch + (size_t)VQ_DESC_SZ * k;
		uint16_t flags;

		d->slots[k] = alloc_desc(d);
		if (use_ind) {
			vq_put_le64(e + VQ_D_ADDR, ind_addr);
			vq_put_le32(e + VQ_D_LEN, total * VQ_DESC_SZ);
			flags = VRING_DESC_F_INDIRECT;
		} else {
			vq_put_le64(e + VQ_D_ADDR, sg[k].addr);
			vq_put_le32(e + VQ_D_LEN, sg[k].len);
			flags = k >= nout ? VRING_DESC_F_WRITE : 0;
		}
		vq_put_le16(e + VQ_D_FLAGS, flags);
		vq_put_le16(e + VQ_D_NEXT, 0);
		if (k > 0) {
			uint8_t *prev = e - VQ_DESC_SZ;

			vq_put_le16(prev + VQ_D_FLAGS,
				    (uint16_t)(vq_le16(prev + VQ_D_FLAGS) | VRING_DESC_F_NEXT));
			vq_put_le16(prev + VQ_D_NEXT, d->slots[k]);
			d->next[d->slots[k - 1]] = d->slots[k];
		}
	}
	head = d->slots[0];
	r = write_descs(d, d->slots, need);
	if (r) {
		/* give the descriptors back: nothing was exposed */
		if (d->in_order) {
			d->next_desc = head;
		} else {
			d->next[d->slots[need - 1]] = d->free_head;
			d->free_head = head;
		}
		vq_drv_bad(d, VQ_V_ACCESS_FAULT);
		return r;
	}
	b = &d->buf[head];
	b->token = token;
	b->state = VQ_BUF_QUEUED;
	b->ndesc = (uint16_t)need;
	b->last = d->slots[need - 1];
	b->in_len = in_len;
	b->ind_addr = ind_addr;
	b->ind_bytes = use_ind ? total * VQ_DESC_SZ : 0;
	d->aring[d->avail_idx & (d->num - 1)] = head;
	d->avail_idx++;
	d->num_free -= need;
	d->inflight++;
	if (d->in_order)
		d->fifo[vq_ring_add(d->fifo_head, d->fifo_n++, d->num)] = head;
	return 0;
}

void vq_split_drv_free_chain(struct vq_drv *d, uint16_t head)
{
	struct vq_drv_buf *b = &d->buf[head];

	if (!d->in_order) {
		d->next[b->last] = d->free_head;
		d->free_head = head;
	}
	d->num_free += b->ndesc;
}

int vq_split_drv_publish(struct vq_drv *d)
{
	uint16_t idx = d->avail_pub;
	uint32_t n = (uint16_t)(d->avail_idx - idx);
	uint8_t b[2];

	if (n == 0)
		return 0;
	/* entries first, in at most two calls (ring end), then the idx (2.7.13) */
	while (n) {
		uint32_t slot = idx & (d->num - 1), k = d->num - slot < n ? d->num - slot : n;

		for (uint32_t i = 0; i < k; i++) {
			uint16_t head = d->aring[slot + i];

			vq_put_le16(d->scratch + VQ_A_ENT * i, head);
			d->buf[head].state = VQ_BUF_PUBLISHED;
		}
		if (vq_wr(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_AVAIL,
			  d->drv_area + VQ_A_RING + (uint64_t)VQ_A_ENT * slot, d->scratch,
			  k * VQ_A_ENT, VQ_NO_CHAIN))
			return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
		idx = (uint16_t)(idx + k);
		n -= k;
	}
	vq_put_le16(b, d->avail_idx);
	if (vq_wr(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_AVAIL, d->drv_area + VQ_A_IDX, b, 2,
		  VQ_NO_CHAIN))
		return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
	d->avail_pub = d->avail_idx;
	return 0;
}

int vq_split_drv_kick_prepare(struct vq_drv *d)
{
	uint16_t old, new_;
	uint8_t b[2];
	int r = vq_split_drv_publish(d);

	if (r)
		return r;
	old = d->kick_old;
	new_ = d->avail_pub;
	d->kick_old = new_;
	if (old == new_)
		return 0;
	if (d->event_idx) {
		/* virtio 1.3 2.7.10.1: notify when avail idx passes avail_event */
		if (vq_rd(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_EVENT,
			  d->dev_area + VQ_U_AVAIL_EVENT(d->num), b, 2, VQ_NO_CHAIN))
			return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
		return vring_need_event(vq_le16(b), new_, old) ? 1 : 0;
	}
	if (vq_rd(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_USED, d->dev_area + VQ_U_FLAGS, b, 2,
		  VQ_NO_CHAIN))
		return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
	return (vq_le16(b) & VRING_USED_F_NO_NOTIFY) ? 0 : 1;
}

/* Published buffers not yet collected: each comes back as one used idx step. */
static uint32_t published(const struct vq_drv *d)
{
	return (uint16_t)(d->avail_pub - d->last_used);
}

static int read_used_idx(struct vq_drv *d)
{
	uint8_t b[2];
	uint16_t u;

	if (vq_rd(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_USED, d->dev_area + VQ_U_IDX, b, 2,
		  VQ_NO_CHAIN))
		return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
	u = vq_le16(b);
	if ((uint16_t)(u - d->last_used) > published(d))
		return vq_drv_bad(d, VQ_V_USED_IDX_JUMP);
	d->used_seen = u;
	return 0;
}

/* The used element at last_used (caller knows one is there), via the cache. */
static int used_elem(struct vq_drv *d, uint32_t *id, uint32_t *len)
{
	uint16_t k = (uint16_t)(d->last_used - d->uc_idx);
	const uint8_t *e;

	if (k >= d->uc_n) {
		uint32_t slot = d->last_used & (d->num - 1);
		uint32_t n = (uint16_t)(d->used_seen - d->last_used);

		if (n > d->num - slot)
			n = d->num - slot;
		if (n > VQ_DRV_UCACHE)
			n = VQ_DRV_UCACHE;
		if (vq_rd(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_USED,
			  d->dev_area + VQ_U_RING + (uint64_t)VQ_U_ENT * slot, d->ucache,
			  n * VQ_U_ENT, VQ_NO_CHAIN))
			return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
		d->uc_idx = d->last_used;
		d->uc_n = (uint16_t)n;
		k = 0;
	}
	e = d->ucache + (size_t)VQ_U_ENT * k;
	*id = vq_le32(e + VQ_UE_ID);
	*len = vq_le32(e + VQ_UE_LEN);
	return 0;
}

/* IN_ORDER: return the oldest buffer of the batch being completed. */
static int in_order_next(struct vq_drv *d, void **token, uint32_t *len)
{
	uint16_t head = d->fifo[d->fifo_head];
	struct vq_drv_buf *b = &d->buf[head];

	*token = b->token;
	/* 2.7.9: skipped buffers count as fully written */
	if (head == (uint16_t)d->batch_id) {
		*len = d->batch_len;
		d->batch_id = -1;
	} else {
		*len = b->in_len;
	}
	d->fifo_head = vq_ring_add(d->fifo_head, 1, d->num);
	d->fifo_n--;
	vq_drv_release(d, head);
	d->last_used++;
	return 1;
}

int vq_split_drv_get_used(struct vq_drv *d, void **token, uint32_t *len)
{
	uint32_t id = 0, ulen = 0;
	int r;

	if (d->batch_id >= 0)
		return in_order_next(d, token, len);
	if (d->last_used == d->used_seen) {
		r = read_used_idx(d);
		if (r)
			return r;
		if (d->last_used == d->used_seen)
			return 0;
	}
	r = used_elem(d, &id, &ulen);
	if (r)
		return r;
	if (id >= d->num || d->buf[id].state != VQ_BUF_PUBLISHED)
		return vq_drv_bad(d, VQ_V_USED_ID_INVALID);
	if (d->in_order) {
		uint32_t pos = 0;

		/* the batch runs from the oldest buffer to id; it must fit the idx */
		while (pos < d->fifo_n && d->fifo[vq_ring_add(d->fifo_head, pos, d->num)] != id)
			pos++;
		if (pos == d->fifo_n || pos + 1 > (uint16_t)(d->used_seen - d->last_used))
			return vq_drv_bad(d, VQ_V_USED_ID_INVALID);
		d->batch_id = (int32_t)id;
		d->batch_len = ulen;
		return in_order_next(d, token, len);
	}
	*token = d->buf[id].token;
	*len = ulen;
	vq_drv_release(d, (uint16_t)id);
	d->last_used++;
	return 1;
}

bool vq_split_drv_more_used(struct vq_drv *d)
{
	if (d->batch_id >= 0 || d->last_used != d->used_seen)
		return true;
	if (read_used_idx(d))
		return false;
	return d->last_used != d->used_seen;
}

void vq_split_drv_disable_cb(struct vq_drv *d)
{
	uint8_t b[2];

	d->cb_disabled = true;
	/* with EVENT_IDX flags stay 0 (2.7.7.1): at most one more interrupt */
	if (d->event_idx || (d->avail_flags & VRING_AVAIL_F_NO_INTERRUPT))
		return;
	d->avail_flags |= VRING_AVAIL_F_NO_INTERRUPT;
	vq_put_le16(b, d->avail_flags);
	if (vq_wr(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_AVAIL, d->drv_area + VQ_A_FLAGS, b, 2,
		  VQ_NO_CHAIN))
		vq_drv_bad(d, VQ_V_ACCESS_FAULT);
}

bool vq_split_drv_enable_cb(struct vq_drv *d, bool delayed)
{
	uint16_t bufs = 0;
	uint8_t b[2];

	d->cb_disabled = false;
	if (d->event_idx) {
		/* interrupt once the device used the entry at used_event (2.7.7.1);
		 * delayed: after about three quarters of what is outstanding */
		if (delayed)
			bufs = (uint16_t)(published(d) * 3 / 4);
		vq_put_le16(b, (uint16_t)(d->last_used + bufs));
		if (vq_wr(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_EVENT,
			  d->drv_area + VQ_A_USED_EVENT(d->num), b, 2, VQ_NO_CHAIN)) {
			vq_drv_bad(d, VQ_V_ACCESS_FAULT);
			return true;
		}
	} else if (d->avail_flags & VRING_AVAIL_F_NO_INTERRUPT) {
		d->avail_flags &= (uint16_t)~VRING_AVAIL_F_NO_INTERRUPT;
		vq_put_le16(b, d->avail_flags);
		if (vq_wr(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_AVAIL, d->drv_area + VQ_A_FLAGS,
			  b, 2, VQ_NO_CHAIN)) {
			vq_drv_bad(d, VQ_V_ACCESS_FAULT);
			return true;
		}
	}
	/* re-check after enabling, or an interrupt could be missed (2.7.14) */
	if (d->batch_id >= 0)
		return false;
	if (read_used_idx(d))
		return true;
	return (uint16_t)(d->used_seen - d->last_used) <= bufs;
}
