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
	r = vq_wr(&d->io.mem, NULL, VQ_ACTOR_DRIVER, VQ_K_RAW, d->io.addr[VQ_AREA_DESC],
		  d->scratch, d->num * VQ_PD_SZ, VQ_NO_CHAIN);
	if (!r)
		r = vq_wr(&d->io.mem, NULL, VQ_ACTOR_DRIVER, VQ_K_RAW, d->io.addr[VQ_AREA_DRV], ev,
			  VQ_PE_SZ, VQ_NO_CHAIN);
	if (!r)
		r = vq_wr(&d->io.mem, NULL, VQ_ACTOR_DRIVER, VQ_K_RAW, d->io.addr[VQ_AREA_DEV], ev,
			  VQ_PE_SZ, VQ_NO_CHAIN);
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

/* Step a packed position (slot, wrap) over one slot. */
static inline void packed_step(uint32_t num, uint32_t *slot, bool *wrap)
{
	if (++*slot == num) {
		*slot = 0;
		*wrap = !*wrap;
	}
}

/*
 * Commit a list of n descriptors built at their slots from slot0 in base
 * (the ring itself, or scratch shaped like the ring): the rest of the list
 * complete (at most two accesses: the ring may end), then the head without
 * its flags, which go out at publish (2.8.17).
 */
static VQ_NOINLINE int packed_commit_descs(struct vq_drv *d, const uint8_t *base, uint32_t slot0,
					   uint32_t n)
{
	uint32_t k1 = n - 1 < d->num - 1 - slot0 ? n - 1 : d->num - 1 - slot0;
	uint32_t off = VQ_PD_SZ * (slot0 + 1);

	if (k1 && vq_io_wr(&d->io, VQ_AREA_DESC, off, base + off, k1 * VQ_PD_SZ, VQ_K_DESC,
			   VQ_NO_CHAIN))
		return -EFAULT;
	if (n - 1 > k1 && vq_io_wr(&d->io, VQ_AREA_DESC, 0, base, (n - 1 - k1) * VQ_PD_SZ,
				   VQ_K_DESC, VQ_NO_CHAIN))
		return -EFAULT;
	off = VQ_PD_SZ * slot0;
	if (vq_io_wr(&d->io, VQ_AREA_DESC, off, base + off, VQ_PD_FLAGS, VQ_K_DESC, VQ_NO_CHAIN))
		return -EFAULT;
	return 0;
}

/*
 * Put a list of `need` descriptors from next_avail: sg's segments, or
 * (ind_bytes != 0) one descriptor pointing to an indirect table.  The caller
 * checked everything and that `need` descriptors are free.  Descriptors are
 * built at their slot in the ring itself with direct access (the head's
 * flags excepted), else in scratch shaped like the ring for the accessor
 * (direct: d->io.pm is set, a constant where the caller knows).  Inlined into
 * each caller, so the common case carries no indirect-table tests.
 */
static VQ_ALWAYS_INLINE int packed_add(struct vq_drv *d, bool direct, const struct vq_seg *sg,
				       uint32_t nout, uint32_t need, void *token, uint32_t in_len,
				       uint64_t ind_addr, uint32_t ind_bytes)
{
	uint8_t *base = direct ? d->io.host[VQ_AREA_DESC] : d->scratch;
	uint32_t slot0 = d->next_avail, slot = slot0;
	uint16_t id = d->free_ids[d->nfree_ids - 1], flags0 = 0;
	bool wrap0 = d->avail_wrap, wrap = wrap0;
	struct vq_drv_staged *st;
	struct vq_drv_buf *b;

	for (uint32_t k = 0; k < need; k++) {
		uint8_t *e = base + VQ_PD_SZ * slot;
		uint16_t flags;

		if (ind_bytes) {
			vq_put_le64(e + VQ_PD_ADDR, ind_addr);
			vq_put_le32(e + VQ_PD_LEN, ind_bytes);
			flags = VRING_DESC_F_INDIRECT;
		} else {
			vq_put_le64(e + VQ_PD_ADDR, sg[k].addr);
			vq_put_le32(e + VQ_PD_LEN, sg[k].len);
			flags = k >= nout ? VRING_DESC_F_WRITE : 0;
		}
		if (k + 1 < need)
			flags |= VRING_DESC_F_NEXT;
		/* 2.8.1: AVAIL = wrap counter, USED = its inverse, in every descriptor */
		flags |= vq_pd_avail_bits(wrap);
		vq_put_le16(e + VQ_PD_ID, id);
		if (k == 0)
			flags0 = flags; /* not in the ring before publish */
		else
			vq_put_le16(e + VQ_PD_FLAGS, flags);
		packed_step(d->num, &slot, &wrap);
	}
	if (direct && !d->io.obs) {
		/* as many as accessor calls: the head, and the rest in one or two */
		d->io.pm->writes += 1 + (need > 1 && slot0 + 1 < d->num) + (slot0 + need > d->num);
	} else if (packed_commit_descs(d, base, slot0, need)) {
		return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
	}
	d->nfree_ids--;
	st = &d->staged[d->nstaged++];
	st->slot = (uint16_t)slot0;
	st->wrap = wrap0;
	st->flags = flags0;
	st->id = id;
	d->next_avail = (uint16_t)slot;
	d->avail_wrap = wrap;
	b = &d->buf[id];
	b->token = token;
	b->ind_addr = ind_addr;
	b->ind_bytes = ind_bytes;
	b->in_len = in_len;
	b->ndesc = (uint16_t)need;
	b->state = VQ_BUF_QUEUED;
	d->num_free -= need;
	d->inflight++;
	if (d->in_order)
		d->fifo[vq_ring_add(d->fifo_head, d->fifo_n++, d->num)] = id;
	return 0;
}

/* The general add: every case and every check. */
static VQ_NOINLINE int packed_add_any(struct vq_drv *d, const struct vq_seg *sg, uint32_t nout,
				      uint32_t nin, void *token)
{
	uint32_t in_len = 0, total;
	int r = vq_drv_add_check(d, sg, nout, nin, token, &in_len);

	if (r)
		return r;
	total = nout + nin;
	if (vq_drv_want_indirect(d, total))
		return vq_drv_add_indirect(d, sg, nout, total, token, in_len);
	if (d->num_free < total)
		return -ENOSPC;
	return packed_add(d, d->io.pm, sg, nout, total, token, in_len, 0, 0);
}

/* Direct access, no indirect table, a list: the caller checked the rest. */
static VQ_NOINLINE int packed_add_direct(struct vq_drv *d, const struct vq_seg *sg, uint32_t nout,
					 uint32_t n, void *token)
{
	uint64_t bytes = 0;
	uint32_t in_len = 0;

	for (uint32_t k = 0; k < n; k++)
		bytes += sg[k].len;
	if (bytes > UINT32_MAX)
		return -EINVAL;
	if (d->in_order)
		for (uint32_t k = nout; k < n; k++)
			in_len += sg[k].len;
	return packed_add(d, true, sg, nout, n, token, in_len, 0, 0);
}

/* Report a one-descriptor add (the head without its flags); returns 0. */
static VQ_NOINLINE int packed_note_one(struct vq_drv *d, uint32_t slot)
{
	uint32_t off = VQ_PD_SZ * slot;

	vq_io_report(&d->io, VQ_K_DESC, true, d->io.addr[VQ_AREA_DESC] + off, VQ_PD_FLAGS,
		     d->io.host[VQ_AREA_DESC] + off, VQ_NO_CHAIN);
	return 0;
}

/* packed_add for one segment with direct access, without the loop. */
static inline int packed_add_one(struct vq_drv *d, const struct vq_seg *sg, bool write,
				 void *token)
{
	uint32_t slot = d->next_avail, len = sg->len;
	uint16_t id = d->free_ids[--d->nfree_ids];
	bool wrap = d->avail_wrap;
	uint8_t *e = d->io.host[VQ_AREA_DESC] + VQ_PD_SZ * slot;
	struct vq_drv_staged *st = &d->staged[d->nstaged++];
	struct vq_drv_buf *b = &d->buf[id];

	/* the head's flags go out at publish (2.8.17) */
	vq_put_le64(e + VQ_PD_ADDR, sg->addr);
	vq_put_le32(e + VQ_PD_LEN, len);
	vq_put_le16(e + VQ_PD_ID, id);
	d->io.pm->writes++;
	st->slot = (uint16_t)slot;
	st->wrap = wrap;
	st->flags = (uint16_t)(vq_pd_avail_bits(wrap) | (write ? VRING_DESC_F_WRITE : 0));
	st->id = id;
	if (slot + 1 == d->num) {
		d->next_avail = 0;
		d->avail_wrap = !wrap;
	} else {
		d->next_avail = (uint16_t)(slot + 1);
	}
	b->token = token;
	b->ind_bytes = 0;
	b->in_len = write ? len : 0;
	b->ndesc = 1;
	b->state = VQ_BUF_QUEUED;
	d->num_free--;
	d->inflight++;
	if (d->in_order)
		d->fifo[vq_ring_add(d->fifo_head, d->fifo_n++, d->num)] = id;
	/* reported last: nothing is live across the call */
	if (VQ_UNLIKELY(d->io.obs))
		return packed_note_one(d, slot);
	return 0;
}

/*
 * Fast path: direct access and no indirect table, after the checks the
 * general path would pass (it takes every other case and every error); one
 * segment, the usual network buffer, inline.
 */
int vq_packed_drv_add(struct vq_drv *d, const struct vq_seg *sg, uint32_t nout, uint32_t nin,
		      void *token)
{
	uint64_t n = (uint64_t)nout + nin;

	if (n - 1 < d->num_free && d->io.pm && !d->broken && token && sg &&
	    !vq_drv_want_indirect(d, (uint32_t)n))
		return n == 1 ? packed_add_one(d, sg, nin, token)
			      : packed_add_direct(d, sg, nout, (uint32_t)n, token);
	return packed_add_any(d, sg, nout, nin, token);
}

int vq_packed_drv_add_ind(struct vq_drv *d, void *token, uint32_t in_len, uint64_t ind_addr,
			  uint32_t ind_bytes)
{
	return packed_add(d, d->io.pm, NULL, 0, 1, token, in_len, ind_addr, ind_bytes);
}

int vq_packed_drv_publish(struct vq_drv *d)
{
	for (uint32_t i = 0; i < d->nstaged; i++) {
		const struct vq_drv_staged *s = &d->staged[i];

		/* 2.8.21.1: the head's flags after the rest of the list */
		if (vq_io_put16(&d->io, VQ_AREA_DESC,
				VQ_PD_SZ * (uint32_t)s->slot + VQ_PD_FLAGS, s->flags, VQ_K_DESC))
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
	const uint8_t *p;
	uint16_t flags, off;
	int r = vq_packed_drv_publish(d);

	if (r)
		return r;
	old = d->kick_pos;
	new_ = vq_ppos(d->num, d->next_avail, d->avail_wrap);
	d->kick_pos = new_;
	if (old == new_)
		return 0;
	p = vq_io_rd(&d->io, VQ_AREA_DEV, 0, b, VQ_PE_SZ, VQ_K_EVENT, VQ_NO_CHAIN);
	if (!p)
		return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
	flags = vq_le16(p + VQ_PE_FLAGS) & 3;
	off = vq_le16(p + VQ_PE_OFF_WRAP);
	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return 0;
	/* 2.8.10: DESC means kick when that descriptor is made available */
	if (flags == VRING_PACKED_EVENT_FLAG_DESC && d->event_idx && (off & 0x7fff) < d->num)
		return vq_ppos_in(d->num, vq_ppos(d->num, off & 0x7fff, off & VQ_EV_WRAP), old,
				  new_);
	return 1;
}

/* Read used descriptors ahead from slot (to the ring end, VQ_DRV_UCACHE at most). */
static VQ_NOINLINE int used_fill(struct vq_drv *d, uint16_t slot, bool wrap, const uint8_t **desc)
{
	uint32_t n = d->num - slot < VQ_DRV_UCACHE ? d->num - slot : VQ_DRV_UCACHE;

	if (vq_io_copy_pdescs(&d->io, slot, d->pcache, n)) {
		d->pc_n = 0;
		return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
	}
	d->pc_slot = d->pc_lo = slot;
	d->pc_n = (uint16_t)n;
	*desc = d->pcache;
	return vq_pd_is_used(vq_le16(d->pcache + VQ_PD_FLAGS), wrap) ? 1 : 0;
}

/* Is the descriptor at slot used for wrap?  Reads ahead; 1 yes, 0 no, -EIO. */
static int used_desc(struct vq_drv *d, uint16_t slot, bool wrap, const uint8_t **desc)
{
	if (slot >= d->pc_lo && (uint16_t)(slot - d->pc_slot) < d->pc_n) {
		const uint8_t *p = d->pcache + (size_t)VQ_PD_SZ * (uint16_t)(slot - d->pc_slot);

		if (vq_pd_is_used(vq_le16(p + VQ_PD_FLAGS), wrap)) {
			*desc = p;
			return 1;
		}
	}
	return used_fill(d, slot, wrap, desc);
}

/* Step the used position over a list of nd descriptors (2.8.6). */
static inline void used_advance(struct vq_drv *d, uint16_t nd)
{
	uint32_t slot = (uint32_t)d->used_slot + nd;

	/* nd <= num: at most one lap boundary; cached descriptors are good
	 * ahead of us within this lap only */
	if (slot >= d->num) {
		slot -= d->num;
		d->used_wrap = !d->used_wrap;
		d->pc_n = 0;
	} else {
		d->pc_lo = (uint16_t)slot;
	}
	d->used_slot = (uint16_t)slot;
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

/* The general collect: every case and every check. */
static VQ_NOINLINE int packed_get_used_any(struct vq_drv *d, void **token, uint32_t *len)
{
	const uint8_t *p = NULL;
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

/*
 * Fast path: the next used descriptor already read ahead, naming a buffer in
 * flight, without IN_ORDER batches or an indirect table to free.  The same
 * checks as the general path, which takes every other case.
 */
int vq_packed_drv_get_used(struct vq_drv *d, void **token, uint32_t *len)
{
	uint16_t slot = d->used_slot, k = (uint16_t)(slot - d->pc_slot);

	if (slot >= d->pc_lo && k < d->pc_n && !d->in_order) {
		const uint8_t *p = d->pcache + (size_t)VQ_PD_SZ * k;
		uint16_t flags = vq_le16(p + VQ_PD_FLAGS), id = vq_le16(p + VQ_PD_ID);
		struct vq_drv_buf *b = &d->buf[id < d->num ? id : 0];

		if (vq_pd_is_used(flags, d->used_wrap) && id < d->num &&
		    b->state == VQ_BUF_PUBLISHED && !b->ind_bytes) {
			*token = b->token;
			/* 2.8.4: the length only means something with WRITE set */
			*len = (flags & VRING_DESC_F_WRITE) ? vq_le32(p + VQ_PD_LEN) : 0;
			d->free_ids[d->nfree_ids++] = id;
			d->num_free += b->ndesc;
			b->state = VQ_BUF_FREE;
			b->token = NULL;
			d->inflight--;
			used_advance(d, b->ndesc);
			return 1;
		}
	}
	return packed_get_used_any(d, token, len);
}

bool vq_packed_drv_more_used(struct vq_drv *d)
{
	const uint8_t *p;

	return d->batch_id >= 0 || used_desc(d, d->used_slot, d->used_wrap, &p) == 1;
}

static int write_drv_event(struct vq_drv *d, uint16_t off_wrap, uint16_t flags, bool with_off)
{
	uint8_t b[VQ_PE_SZ], *p;

	d->drv_evt_flags = flags;
	if (!with_off)
		return vq_io_put16(&d->io, VQ_AREA_DRV, VQ_PE_FLAGS, flags, VQ_K_EVENT);
	/* one write: the offset is in place before the flags take effect */
	p = vq_io_wbuf(&d->io, VQ_AREA_DRV, 0, b);
	vq_put_le16(p + VQ_PE_OFF_WRAP, off_wrap);
	vq_put_le16(p + VQ_PE_FLAGS, flags);
	return vq_io_wr(&d->io, VQ_AREA_DRV, 0, p, VQ_PE_SZ, VQ_K_EVENT, VQ_NO_CHAIN);
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
