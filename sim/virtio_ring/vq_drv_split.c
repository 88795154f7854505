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
	return vq_wr(&d->io.mem, NULL, VQ_ACTOR_DRIVER, VQ_K_RAW, addr, d->scratch,
		     (uint32_t)len, VQ_NO_CHAIN);
}

int vq_split_drv_init_ring(struct vq_drv *d, const struct vq_state *st)
{
	uint8_t b[2];
	int r;

	r = zero_area(d, d->io.addr[VQ_AREA_DESC], (uint64_t)d->num * VQ_DESC_SZ);
	if (!r)
		r = zero_area(d, d->io.addr[VQ_AREA_DRV], VQ_A_USED_EVENT(d->num) + VQ_A_ENT);
	/* virtio 1.3 2.7.10.1: used flags start at 0 */
	if (!r)
		r = zero_area(d, d->io.addr[VQ_AREA_DEV], VQ_U_AVAIL_EVENT(d->num) + 2);
	if (r)
		return r;
	if (st->avail_idx) {
		vq_put_le16(b, st->avail_idx);
		r = vq_wr(&d->io.mem, NULL, VQ_ACTOR_DRIVER, VQ_K_RAW,
			  d->io.addr[VQ_AREA_DRV] + VQ_A_IDX, b, 2, VQ_NO_CHAIN);
		if (!r)
			r = vq_wr(&d->io.mem, NULL, VQ_ACTOR_DRIVER, VQ_K_RAW,
				  d->io.addr[VQ_AREA_DEV] + VQ_U_IDX, b, 2, VQ_NO_CHAIN);
		if (r)
			return r;
	}
	for (uint32_t i = 0; i < d->num; i++) {
		d->next[i] = (uint16_t)(i + 1 < d->num ? i + 1 : 0);
		d->buf[i].state = VQ_BUF_FREE;
	}
	/* IN_ORDER never relinks: next[] stays in ring order and free_head is
	 * the allocation cursor going round the table (2.7.5) */
	d->free_head = 0;
	d->avail_idx = d->avail_pub = d->kick_old = st->avail_idx;
	d->last_used = d->used_seen = st->used_idx;
	d->uc_n = 0;
	d->avail_flags = 0;
	return 0;
}

/*
 * Commit the descriptors of a chain just built from head at their slots in
 * base (the ring itself, or scratch shaped like the table), one access per
 * run of adjacent slots; the runs come from the next fields just written.
 */
static VQ_NOINLINE int split_commit_descs(struct vq_drv *d, const uint8_t *base, uint32_t head,
					  uint32_t n)
{
	uint32_t slot = head;

	for (uint32_t k = 0; k < n;) {
		uint32_t k0 = k, off = VQ_DESC_SZ * slot, prev;
		int r;

		do {
			prev = slot;
			slot = vq_le16(base + VQ_DESC_SZ * slot + VQ_D_NEXT);
			k++;
		} while (k < n && slot == prev + 1);
		r = vq_io_wr(&d->io, VQ_AREA_DESC, off, base + off, VQ_DESC_SZ * (k - k0),
			     VQ_K_DESC, VQ_NO_CHAIN);
		if (r)
			return r;
	}
	return 0;
}

/*
 * Put a buffer of `need` descriptors: sg's segments, or (ind_bytes != 0) one
 * descriptor pointing to an indirect table.  The caller checked everything
 * and that `need` descriptors are free.  Descriptors are built at their slot
 * in the ring itself with direct access, else in scratch (shaped like the
 * table) for the accessor (direct: d->io.pm is set, a constant where the
 * caller knows).  Inlined into each caller, so the common case carries no
 * indirect-table tests.
 */
static VQ_ALWAYS_INLINE int split_add(struct vq_drv *d, bool direct, const struct vq_seg *sg,
				      uint32_t nout, uint32_t need, void *token, uint32_t in_len,
				      uint64_t ind_addr, uint32_t ind_bytes)
{
	uint8_t *base = direct ? d->io.host[VQ_AREA_DESC] : d->scratch;
	const uint16_t *next = d->next;
	uint32_t head = d->free_head, i = head, last, runs = 1;
	struct vq_drv_buf *b;

	for (uint32_t k = 0;; k++) {
		uint8_t *e = base + VQ_DESC_SZ * i;
		uint32_t flags, nx;

		if (ind_bytes) {
			vq_put_le64(e + VQ_D_ADDR, ind_addr);
			vq_put_le32(e + VQ_D_LEN, ind_bytes);
			flags = VRING_DESC_F_INDIRECT;
		} else {
			vq_put_le64(e + VQ_D_ADDR, sg[k].addr);
			vq_put_le32(e + VQ_D_LEN, sg[k].len);
			flags = k >= nout ? VRING_DESC_F_WRITE : 0;
		}
		last = i;
		if (k + 1 == need) {
			vq_put_le16(e + VQ_D_FLAGS, (uint16_t)flags);
			vq_put_le16(e + VQ_D_NEXT, 0);
			break;
		}
		/* the free list already links the descriptors we take */
		nx = next[i];
		vq_put_le16(e + VQ_D_FLAGS, (uint16_t)(flags | VRING_DESC_F_NEXT));
		vq_put_le16(e + VQ_D_NEXT, (uint16_t)nx);
		runs += nx != i + 1;
		i = nx;
	}
	if (direct && !d->io.obs) {
		d->io.pm->writes += runs; /* as many as accessor calls */
	} else {
		int r = split_commit_descs(d, base, head, need);

		if (r) {
			/* nothing was exposed and the allocation cursor has not moved */
			vq_drv_bad(d, VQ_V_ACCESS_FAULT);
			return r;
		}
	}
	d->free_head = next[last];
	b = &d->buf[head];
	b->token = token;
	b->ind_addr = ind_addr;
	b->ind_bytes = ind_bytes;
	b->in_len = in_len;
	b->ndesc = (uint16_t)need;
	b->last = (uint16_t)last;
	b->state = VQ_BUF_QUEUED;
	d->aring[d->avail_idx & (d->num - 1)] = (uint16_t)head;
	d->avail_idx++;
	d->num_free -= need;
	d->inflight++;
	if (d->in_order)
		d->fifo[vq_ring_add(d->fifo_head, d->fifo_n++, d->num)] = (uint16_t)head;
	return 0;
}

/* The general add: every case and every check. */
static VQ_NOINLINE int split_add_any(struct vq_drv *d, const struct vq_seg *sg, uint32_t nout,
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
	return split_add(d, d->io.pm, sg, nout, total, token, in_len, 0, 0);
}

/* Direct access, no indirect table, a chain: the caller checked the rest. */
static VQ_NOINLINE int split_add_direct(struct vq_drv *d, const struct vq_seg *sg, uint32_t nout,
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
	return split_add(d, true, sg, nout, n, token, in_len, 0, 0);
}

/* Report a one-descriptor add to the observer; returns 0 for the caller. */
static VQ_NOINLINE int split_note_one(struct vq_drv *d, uint32_t slot)
{
	uint32_t off = VQ_DESC_SZ * slot;

	vq_io_report(&d->io, VQ_K_DESC, true, d->io.addr[VQ_AREA_DESC] + off, VQ_DESC_SZ,
		     d->io.host[VQ_AREA_DESC] + off, VQ_NO_CHAIN);
	return 0;
}

/* split_add for one segment with direct access, without the loop. */
static inline int split_add_one(struct vq_drv *d, const struct vq_seg *sg, bool write,
				void *token)
{
	uint32_t head = d->free_head, len = sg->len;
	uint8_t *e = d->io.host[VQ_AREA_DESC] + VQ_DESC_SZ * head;
	struct vq_drv_buf *b = &d->buf[head];

	vq_put_le64(e + VQ_D_ADDR, sg->addr);
	vq_put_le32(e + VQ_D_LEN, len);
	vq_put_le16(e + VQ_D_FLAGS, write ? VRING_DESC_F_WRITE : 0);
	vq_put_le16(e + VQ_D_NEXT, 0);
	d->io.pm->writes++;
	d->free_head = d->next[head];
	b->token = token;
	b->ind_bytes = 0;
	b->in_len = write ? len : 0;
	b->ndesc = 1;
	b->last = (uint16_t)head;
	b->state = VQ_BUF_QUEUED;
	d->aring[d->avail_idx & (d->num - 1)] = (uint16_t)head;
	d->avail_idx++;
	d->num_free--;
	d->inflight++;
	if (d->in_order)
		d->fifo[vq_ring_add(d->fifo_head, d->fifo_n++, d->num)] = (uint16_t)head;
	/* reported last: nothing is live across the call */
	if (VQ_UNLIKELY(d->io.obs))
		return split_note_one(d, head);
	return 0;
}

/*
 * Fast path: direct access and no indirect table, after the checks the
 * general path would pass (it takes every other case and every error); one
 * segment, the usual network buffer, inline.
 */
int vq_split_drv_add(struct vq_drv *d, const struct vq_seg *sg, uint32_t nout, uint32_t nin,
		     void *token)
{
	uint64_t n = (uint64_t)nout + nin;

	if (n - 1 < d->num_free && d->io.pm && !d->broken && token && sg &&
	    !vq_drv_want_indirect(d, (uint32_t)n))
		return n == 1 ? split_add_one(d, sg, nin, token)
			      : split_add_direct(d, sg, nout, (uint32_t)n, token);
	return split_add_any(d, sg, nout, nin, token);
}

int vq_split_drv_add_ind(struct vq_drv *d, void *token, uint32_t in_len, uint64_t ind_addr,
			 uint32_t ind_bytes)
{
	return split_add(d, d->io.pm, NULL, 0, 1, token, in_len, ind_addr, ind_bytes);
}

int vq_split_drv_publish(struct vq_drv *d)
{
	uint16_t idx = d->avail_pub;
	uint32_t n = (uint16_t)(d->avail_idx - idx);

	if (n == 0)
		return 0;
	/* entries first, in at most two accesses (ring end), then the idx (2.7.13) */
	while (n) {
		uint32_t slot = idx & (d->num - 1), k = d->num - slot < n ? d->num - slot : n;
		uint32_t off = VQ_A_RING + VQ_A_ENT * slot;
		uint8_t *e = vq_io_wbuf(&d->io, VQ_AREA_DRV, off, d->scratch);

		for (uint32_t i = 0; i < k; i++) {
			uint16_t head = d->aring[slot + i];

			vq_put_le16(e + VQ_A_ENT * i, head);
			d->buf[head].state = VQ_BUF_PUBLISHED;
		}
		if (vq_io_wr(&d->io, VQ_AREA_DRV, off, e, k * VQ_A_ENT, VQ_K_AVAIL, VQ_NO_CHAIN))
			return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
		idx = (uint16_t)(idx + k);
		n -= k;
	}
	if (vq_io_put16(&d->io, VQ_AREA_DRV, VQ_A_IDX, d->avail_idx, VQ_K_AVAIL))
		return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
	d->avail_pub = d->avail_idx;
	return 0;
}

int vq_split_drv_kick_prepare(struct vq_drv *d)
{
	uint16_t old, new_;
	const uint8_t *p;
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
		p = vq_io_rd(&d->io, VQ_AREA_DEV, VQ_U_AVAIL_EVENT(d->num), b, 2, VQ_K_EVENT,
			     VQ_NO_CHAIN);
		if (!p)
			return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
		return vring_need_event(vq_le16(p), new_, old) ? 1 : 0;
	}
	p = vq_io_rd(&d->io, VQ_AREA_DEV, VQ_U_FLAGS, b, 2, VQ_K_USED, VQ_NO_CHAIN);
	if (!p)
		return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
	return (vq_le16(p) & VRING_USED_F_NO_NOTIFY) ? 0 : 1;
}

/* Published buffers not yet collected: each comes back as one used idx step. */
static uint32_t published(const struct vq_drv *d)
{
	return (uint16_t)(d->avail_pub - d->last_used);
}

static VQ_NOINLINE int read_used_idx(struct vq_drv *d)
{
	uint8_t b[2];
	const uint8_t *p = vq_io_rd(&d->io, VQ_AREA_DEV, VQ_U_IDX, b, 2, VQ_K_USED, VQ_NO_CHAIN);
	uint16_t u;

	if (!p)
		return vq_drv_bad(d, VQ_V_ACCESS_FAULT);
	u = vq_le16(p);
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
		if (vq_io_copy(&d->io, VQ_AREA_DEV, VQ_U_RING + VQ_U_ENT * slot, d->ucache,
			       n * VQ_U_ENT, VQ_K_USED, VQ_NO_CHAIN))
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

/* The general collect: every case and every check. */
static VQ_NOINLINE int split_get_used_any(struct vq_drv *d, void **token, uint32_t *len)
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

/*
 * Fast path: a used element already read ahead naming a buffer in flight,
 * without IN_ORDER batches or an indirect table to free.  The same checks as
 * the general path, which takes every other case.
 */
int vq_split_drv_get_used(struct vq_drv *d, void **token, uint32_t *len)
{
	uint16_t k = (uint16_t)(d->last_used - d->uc_idx);

	if (d->last_used != d->used_seen && k < d->uc_n && !d->in_order) {
		const uint8_t *e = d->ucache + (size_t)VQ_U_ENT * k;
		uint32_t id = vq_le32(e + VQ_UE_ID);
		struct vq_drv_buf *b = &d->buf[id < d->num ? id : 0];

		if (id < d->num && b->state == VQ_BUF_PUBLISHED && !b->ind_bytes) {
			*token = b->token;
			*len = vq_le32(e + VQ_UE_LEN);
			/* the chain's own links still lead from head to last */
			d->next[b->last] = d->free_head;
			d->free_head = (uint16_t)id;
			d->num_free += b->ndesc;
			b->state = VQ_BUF_FREE;
			b->token = NULL;
			d->inflight--;
			d->last_used++;
			return 1;
		}
	}
	return split_get_used_any(d, token, len);
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
	d->cb_disabled = true;
	/* with EVENT_IDX flags stay 0 (2.7.7.1): at most one more interrupt */
	if (d->event_idx || (d->avail_flags & VRING_AVAIL_F_NO_INTERRUPT))
		return;
	d->avail_flags |= VRING_AVAIL_F_NO_INTERRUPT;
	if (vq_io_put16(&d->io, VQ_AREA_DRV, VQ_A_FLAGS, d->avail_flags, VQ_K_AVAIL))
		vq_drv_bad(d, VQ_V_ACCESS_FAULT);
}

bool vq_split_drv_enable_cb(struct vq_drv *d, bool delayed)
{
	uint16_t bufs = 0;

	d->cb_disabled = false;
	if (d->event_idx) {
		/* interrupt once the device used the entry at used_event (2.7.7.1);
		 * delayed: after about three quarters of what is outstanding */
		if (delayed)
			bufs = (uint16_t)(published(d) * 3 / 4);
		if (vq_io_put16(&d->io, VQ_AREA_DRV, VQ_A_USED_EVENT(d->num),
				(uint16_t)(d->last_used + bufs), VQ_K_EVENT)) {
			vq_drv_bad(d, VQ_V_ACCESS_FAULT);
			return true;
		}
	} else if (d->avail_flags & VRING_AVAIL_F_NO_INTERRUPT) {
		d->avail_flags &= (uint16_t)~VRING_AVAIL_F_NO_INTERRUPT;
		if (vq_io_put16(&d->io, VQ_AREA_DRV, VQ_A_FLAGS, d->avail_flags, VQ_K_AVAIL)) {
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
