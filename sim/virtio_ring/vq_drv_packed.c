// SPDX-License-Identifier: MIT
/*
 * Driver side of the packed ring: lists written in ring order with the head's
 * flags written last (at publish), used descriptors read ahead, buffer ids
 * from a free stack, and the driver event suppression structure.
 */
#include "sim/virtio_ring/vq_internal.h"

#include <string.h>

int vq_packed_drv_init_ring(struct vq_drv *d, const struct vq_state *st)
{
	uint8_t ev[VQ_PE_SZ] = { 0 };
	int r;

	/* 2.8.13: the ring starts zeroed; a queue resumed at (slot, wrap) looks
	 * as if every earlier descriptor had been used in its lap */
	memset(d->scratch, 0, (size_t)d->num * VQ_PD_SZ);
	if (st->avail_idx || !st->avail_wrap) {
		for (uint32_t i = 0; i < d->num; i++) {
			bool w = i < st->avail_idx ? st->avail_wrap : !st->avail_wrap;

			vq_put_le16(d->scratch + (size_t)VQ_PD_SZ * i + VQ_PD_FLAGS,
				    vq_pd_used_bits(w));
		}
	}
	r = vq_wr(&d->mem, NULL, VQ_ACTOR_DRIVER, VQ_K_RAW, d->desc, d->scratch,
		  d->num * VQ_PD_SZ, VQ_NO_CHAIN);
	if (!r)
		r = vq_wr(&d->mem, NULL, VQ_ACTOR_DRIVER, VQ_K_RAW, d->drv_area, ev, VQ_PE_SZ,
			  VQ_NO_CHAIN);
	if (!r)
		r = vq_wr(&d->mem, NULL, VQ_ACTOR_DRIVER, VQ_K_RAW, d->dev_area, ev, VQ_PE_SZ,
			  VQ_NO_CHAIN);
	if (r)
		return r;
	d->next_avail = d->used_slot = st->avail_idx;
	d->avail_wrap = d->used_wrap = st->avail_wrap;
	d->kick_pos = vq_ppos(d->num, d->next_avail, d->avail_wrap);
	for (uint32_t i = 0; i < d->num; i++) {
		d->free_ids[i] = (uint16_t)(d->num - 1 - i);
		d->buf[i].state = VQ_BUF_FREE;
	}
	d->nfree_ids = d->num;
	d->nstaged = 0;
	d->drv_evt_flags = VRING_PACKED_EVENT_FLAG_ENABLE;
	d->pc_n = 0;
	return 0;
}

int vq_packed_drv_add(struct vq_drv *d, const struct vq_seg *sg, uint32_t nout, uint32_t nin,
		      void *token, bool use_ind, uint64_t ind_addr)
{
	uint32_t total = nout + nin, need = use_ind ? 1 : total, in_len = 0;
	uint32_t pos0 = vq_ppos(d->num, d->next_avail, d->avail_wrap), pos;
	uint16_t slot0 = d->next_avail, id, flags0 = 0;
	struct vq_drv_buf *b;
	uint32_t k1;

	for (uint32_t i = nout; i < total; i++)
		in_len += sg[i].len;
	id = d->free_ids[d->nfree_ids - 1];
	for (uint32_t k = 0; k < need; k++) {
		uint8_t *e = d->scratch + (size_t)VQ_PD_SZ * k;
		uint16_t flags;

		pos = vq_ppos_add(d->num, pos0, k);
		if (use_ind) {
			vq_put_le64(e + VQ_PD_ADDR, ind_addr);
			vq_put_le32(e + VQ_PD_LEN, total * VQ_PD_SZ);
			flags = VRING_DESC_F_INDIRECT;
		} else {
			vq_put_le64(e + VQ_PD_ADDR, sg[k].addr);
			vq_put_le32(e + VQ_PD_LEN, sg[k].len);
			flags = k >= nout ? VRING_DESC_F_WRITE : 0;
		}
		if (k + 1 < need)
			flags |= VRING_DESC_F_NEXT;
		/* 2.8.1: AVAIL = wrap counter, USED = its inverse, in every descriptor */
		flags |= vq_pd_avail_bits(vq_ppos_wrap(d->num, pos));
		vq_put_le16(e + VQ_PD_ID, id);
		vq_put_le16(e + VQ_PD_FLAGS, flags);
		if (k == 0)
			flags0 = flags;
	}
	/* the rest of the list (at most two runs: the ring may end), then the
	 * head without its flags; the flags go out at publish (2.8.17) */
	k1 = need - 1 < d->num - 1u - slot0 ? need - 1 : d->num - 1u - slot0;
	if (k1 && vq_wr(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_DESC,
			d->desc + (uint64_t)VQ_PD_SZ * (slot0 + 1u), d->scratch + VQ_PD_SZ,
			k1 * VQ_PD_SZ, VQ_NO_CHAIN))
		return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
	if (need - 1 > k1 && vq_wr(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_DESC, d->desc,
				   d->scratch + (size_t)VQ_PD_SZ * (k1 + 1),
				   (need - 1 - k1) * VQ_PD_SZ, VQ_NO_CHAIN))
		return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
	if (vq_wr(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_DESC,
		  d->desc + (uint64_t)VQ_PD_SZ * slot0, d->scratch, VQ_PD_FLAGS, VQ_NO_CHAIN))
		return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
	d->nfree_ids--;
	d->staged[d->nstaged].pos = pos0;
	d->staged[d->nstaged].flags = flags0;
	d->staged[d->nstaged].id = id;
	d->nstaged++;
	pos = vq_ppos_add(d->num, pos0, need);
	d->next_avail = vq_ppos_slot(d->num, pos);
	d->avail_wrap = vq_ppos_wrap(d->num, pos);
	b = &d->buf[id];
	b->token = token;
	b->state = VQ_BUF_QUEUED;
	b->ndesc = (uint16_t)need;
	b->in_len = in_len;
	b->ind_addr = ind_addr;
	b->ind_bytes = use_ind ? total * VQ_PD_SZ : 0;
	d->num_free -= need;
	d->inflight++;
	if (d->in_order)
		d->fifo[vq_ring_add(d->fifo_head, d->fifo_n++, d->num)] = id;
	return 0;
}

int vq_packed_drv_publish(struct vq_drv *d)
{
	for (uint32_t i = 0; i < d->nstaged; i++) {
		const struct vq_drv_staged *s = &d->staged[i];
		uint8_t b[2];

		/* 2.8.21.1: flags after the rest of the descriptor */
		vq_put_le16(b, s->flags);
		if (vq_wr(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_DESC,
			  d->desc + (uint64_t)VQ_PD_SZ * vq_ppos_slot(d->num, s->pos) + VQ_PD_FLAGS,
			  b, 2, VQ_NO_CHAIN))
			return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
		d->buf[s->id].state = VQ_BUF_PUBLISHED;
	}
	d->nstaged = 0;
	return 0;
}

int vq_packed_drv_kick_prepare(struct vq_drv *d)
{
	uint32_t old, new_;
	uint8_t b[VQ_PE_SZ];
	uint16_t flags, off;
	int r = vq_packed_drv_publish(d);

	if (r)
		return r;
	old = d->kick_pos;
	new_ = vq_ppos(d->num, d->next_avail, d->avail_wrap);
	d->kick_pos = new_;
	if (old == new_)
		return 0;
	if (vq_rd(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_EVENT, d->dev_area, b, VQ_PE_SZ,
		  VQ_NO_CHAIN))
		return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
	flags = vq_le16(b + VQ_PE_FLAGS) & 3;
	off = vq_le16(b + VQ_PE_OFF_WRAP);
	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return 0;
	/* 2.8.10: DESC means kick when that descriptor is made available */
	if (flags == VRING_PACKED_EVENT_FLAG_DESC && d->event_idx && (off & 0x7fff) < d->num)
		return vq_ppos_in(d->num, vq_ppos(d->num, off & 0x7fff, off & VQ_EV_WRAP), old,
				  new_);
	return 1;
}

/* Is the descriptor at slot used for wrap?  Reads ahead; 1 yes, 0 no, -EIO. */
static int used_desc(struct vq_drv *d, uint16_t slot, bool wrap, const uint8_t **desc)
{
	uint32_t n;

	if (slot >= d->pc_lo && (uint16_t)(slot - d->pc_slot) < d->pc_n) {
		const uint8_t *p = d->pcache + (size_t)VQ_PD_SZ * (uint16_t)(slot - d->pc_slot);

		if (vq_pd_is_used(vq_le16(p + VQ_PD_FLAGS), wrap)) {
			*desc = p;
			return 1;
		}
	}
	n = d->num - slot < VQ_DRV_UCACHE ? d->num - slot : VQ_DRV_UCACHE;
	if (vq_rd(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_DESC, d->desc + (uint64_t)VQ_PD_SZ * slot,
		  d->pcache, n * VQ_PD_SZ, VQ_NO_CHAIN)) {
		d->pc_n = 0;
		return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
	}
	d->pc_slot = d->pc_lo = slot;
	d->pc_n = (uint16_t)n;
	*desc = d->pcache;
	return vq_pd_is_used(vq_le16(d->pcache + VQ_PD_FLAGS), wrap) ? 1 : 0;
}

/* Step the used position over a list of nd descriptors (2.8.6). */
static void used_advance(struct vq_drv *d, uint16_t nd)
{
	uint32_t pos = vq_ppos_add(d->num, vq_ppos(d->num, d->used_slot, d->used_wrap), nd);
	bool wrap = vq_ppos_wrap(d->num, pos);

	/* cached descriptors are good ahead of us within this lap only */
	if (wrap != d->used_wrap)
		d->pc_n = 0;
	else
		d->pc_lo = vq_ppos_slot(d->num, pos);
	d->used_slot = vq_ppos_slot(d->num, pos);
	d->used_wrap = wrap;
}

static int packed_in_order_next(struct vq_drv *d, void **token, uint32_t *len)
{
	uint16_t id = d->fifo[d->fifo_head];
	struct vq_drv_buf *b = &d->buf[id];
	uint16_t nd = b->ndesc;

	*token = b->token;
	/* 2.8.8: skipped buffers count as completely used */
	if (id == (uint16_t)d->batch_id) {
		*len = d->batch_len;
		d->batch_id = -1;
	} else {
		*len = b->in_len;
	}
	d->fifo_head = vq_ring_add(d->fifo_head, 1, d->num);
	d->fifo_n--;
	vq_drv_release(d, id);
	used_advance(d, nd);
	return 1;
}

int vq_packed_drv_get_used(struct vq_drv *d, void **token, uint32_t *len)
{
	const uint8_t *p;
	uint16_t id, flags, nd;
	uint32_t ulen;
	int r;

	if (d->batch_id >= 0)
		return packed_in_order_next(d, token, len);
	r = used_desc(d, d->used_slot, d->used_wrap, &p);
	if (r <= 0)
		return r;
	id = vq_le16(p + VQ_PD_ID);
	flags = vq_le16(p + VQ_PD_FLAGS);
	/* 2.8.4: the length only means something with WRITE set */
	ulen = (flags & VRING_DESC_F_WRITE) ? vq_le32(p + VQ_PD_LEN) : 0;
	if (id >= d->num || d->buf[id].state != VQ_BUF_PUBLISHED)
		return vq_drv_bad(d, VQ_V_USED_ID_INVALID);
	if (d->in_order) {
		uint32_t k = 0;

		while (k < d->fifo_n && d->fifo[vq_ring_add(d->fifo_head, k, d->num)] != id)
			k++;
		if (k == d->fifo_n)
			return vq_drv_bad(d, VQ_V_USED_ID_INVALID);
		d->batch_id = id;
		d->batch_len = ulen;
		return packed_in_order_next(d, token, len);
	}
	*token = d->buf[id].token;
	*len = ulen;
	nd = d->buf[id].ndesc;
	vq_drv_release(d, id);
	used_advance(d, nd);
	return 1;
}

bool vq_packed_drv_more_used(struct vq_drv *d)
{
	const uint8_t *p;

	return d->batch_id >= 0 || used_desc(d, d->used_slot, d->used_wrap, &p) == 1;
}

static int write_drv_event(struct vq_drv *d, uint16_t off_wrap, uint16_t flags, bool with_off)
{
	uint8_t b[VQ_PE_SZ];

	vq_put_le16(b + VQ_PE_OFF_WRAP, off_wrap);
	vq_put_le16(b + VQ_PE_FLAGS, flags);
	d->drv_evt_flags = flags;
	/* one write: the offset is in place before the flags take effect */
	if (with_off)
		return vq_wr(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_EVENT, d->drv_area, b, VQ_PE_SZ,
			     VQ_NO_CHAIN);
	return vq_wr(&d->mem, d->obs, VQ_ACTOR_DRIVER, VQ_K_EVENT, d->drv_area + VQ_PE_FLAGS,
		     b + VQ_PE_FLAGS, 2, VQ_NO_CHAIN);
}

void vq_packed_drv_disable_cb(struct vq_drv *d)
{
	d->cb_disabled = true;
	if (d->drv_evt_flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return;
	if (write_drv_event(d, 0, VRING_PACKED_EVENT_FLAG_DISABLE, false))
		vq_drv_bad(d, VQ_V_ACCESS_FAULT);
}

bool vq_packed_drv_enable_cb(struct vq_drv *d, bool delayed)
{
	uint32_t pos = vq_ppos(d->num, d->used_slot, d->used_wrap);
	const uint8_t *p;
	int r = 0;

	d->cb_disabled = false;
	if (d->event_idx) {
		/* 2.8.10: interrupt when the descriptor at pos is used; delayed:
		 * about three quarters of the way through what is outstanding */
		if (delayed)
			pos = vq_ppos_add(d->num, pos, (d->num - d->num_free) * 3 / 4);
		r = write_drv_event(d,
				    (uint16_t)(vq_ppos_slot(d->num, pos) |
					       (vq_ppos_wrap(d->num, pos) ? VQ_EV_WRAP : 0)),
				    VRING_PACKED_EVENT_FLAG_DESC, true);
	} else if (d->drv_evt_flags != VRING_PACKED_EVENT_FLAG_ENABLE) {
		r = write_drv_event(d, 0, VRING_PACKED_EVENT_FLAG_ENABLE, false);
	}
	if (r) {
		vq_drv_bad(d, VQ_V_ACCESS_FAULT);
		return true;
	}
	if (d->batch_id >= 0)
		return false;
	if (delayed && d->event_idx)
		return used_desc(d, vq_ppos_slot(d->num, pos), vq_ppos_wrap(d->num, pos), &p) != 1;
	return !vq_packed_drv_more_used(d);
}
