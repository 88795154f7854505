// SPDX-License-Identifier: MIT
/*
 * Device side of the split ring: read the avail idx and entries, walk
 * descriptor chains (direct and indirect), write used elements and the used
 * idx, and decide on notifications in both directions.
 */
#include "sim/virtio_ring/vq_internal.h"

static VQ_NOINLINE int split_read_avail_idx(struct vq_dev *d)
{
	uint8_t b[2];
	const uint8_t *p = vq_io_rd(&d->io, VQ_AREA_DRV, VQ_A_IDX, b, 2, VQ_K_AVAIL, VQ_NO_CHAIN);
	uint16_t idx;

	if (!p)
		return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	idx = vq_le16(p);
	/* virtio 1.3 2.7.6.1: never more exposed than the queue holds */
	if ((uint16_t)(idx - d->last_avail) > d->num)
		return vq_dev_bad(d, VQ_V_AVAIL_IDX_JUMP);
	d->avail_seen = idx;
	return 0;
}

/* Read the exposed avail entries from last_avail on, up to VQ_DEV_ACACHE at once. */
static VQ_NOINLINE int split_fill_heads(struct vq_dev *d)
{
	uint32_t slot = d->last_avail & (d->num - 1);
	uint32_t n = (uint16_t)(d->avail_seen - d->last_avail);
	uint8_t b[VQ_DEV_ACACHE * 2];
	const uint8_t *p;

	if (n > d->num - slot)
		n = d->num - slot;
	if (n > VQ_DEV_ACACHE)
		n = VQ_DEV_ACACHE;
	p = vq_io_rd(&d->io, VQ_AREA_DRV, VQ_A_RING + VQ_A_ENT * slot, b, n * VQ_A_ENT, VQ_K_AVAIL,
		     VQ_NO_CHAIN);
	if (!p)
		return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	for (uint32_t i = 0; i < n; i++)
		d->acache[i] = vq_le16(p + VQ_A_ENT * i);
	d->ac_idx = d->last_avail;
	d->ac_n = (uint16_t)n;
	return 0;
}

/* Descriptor i of the table (i < num), read as one access for chain head. */
static inline const uint8_t *split_desc(struct vq_dev *d, uint16_t i, uint8_t *buf, uint16_t head)
{
	return vq_io_rd(&d->io, VQ_AREA_DESC, VQ_DESC_SZ * (uint32_t)i, buf, VQ_DESC_SZ, VQ_K_DESC,
			head);
}

static int split_indirect(struct vq_dev *d, struct vq_walk *w, uint64_t addr, uint32_t len,
			  uint16_t head)
{
	uint32_t n, i = 0, seen = 0;
	int r;

	/* virtio 1.3 2.7.5.3: a table of len / 16 descriptors */
	if (len == 0 || len % VQ_DESC_SZ)
		return vq_dev_bad(d, VQ_V_INDIRECT_BAD_LEN);
	n = len / VQ_DESC_SZ;
	/* virtio 1.3 2.7.5.3.1: no chain longer than the queue size, indirect included */
	if (n > d->num || (w->count - 1) + n > d->num)
		return vq_dev_bad(d, VQ_V_CHAIN_TOO_LONG);
	r = vq_dev_read_table(d, addr, len, head);
	if (r)
		return r;
	for (;;) {
		const uint8_t *e = d->ind + (size_t)VQ_DESC_SZ * i;
		uint16_t flags = vq_le16(e + VQ_D_FLAGS);

		if (++seen > n)
			return vq_dev_bad(d, VQ_V_DESC_LOOP);
		w->count++;
		/* virtio 1.3 2.7.5.3.1: one table per descriptor */
		if (flags & VRING_DESC_F_INDIRECT)
			return vq_dev_bad(d, VQ_V_INDIRECT_NESTED);
		r = vq_walk_seg(d, w, vq_le64(e + VQ_D_ADDR), vq_le32(e + VQ_D_LEN),
				flags & VRING_DESC_F_WRITE);
		if (r)
			return r;
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		i = vq_le16(e + VQ_D_NEXT);
		if (i >= n)
			return vq_dev_bad(d, VQ_V_NEXT_OUT_OF_RANGE);
	}
}

/*
 * The general walk: chains and indirect tables; p is the head descriptor,
 * read.  The walk state stays in registers: only a copy of it goes to the
 * rare indirect table at the end of a chain.
 */
static VQ_NOINLINE int split_walk_chain(struct vq_dev *d, uint16_t head, const uint8_t *p,
					struct vq_chain *c)
{
	uint32_t num = d->num, ndesc = 1, i;
	struct vq_walk w, wi;
	uint8_t b[VQ_DESC_SZ];
	int r;

	vq_walk_begin(&w, c);
	for (;;) {
		uint16_t flags = vq_le16(p + VQ_D_FLAGS);

		if (flags & VRING_DESC_F_INDIRECT)
			break;
		r = vq_walk_seg(d, &w, vq_le64(p + VQ_D_ADDR), vq_le32(p + VQ_D_LEN),
				flags & VRING_DESC_F_WRITE);
		if (r)
			return r;
		if (!(flags & VRING_DESC_F_NEXT))
			return vq_walk_end(&w, c, ndesc);
		i = vq_le16(p + VQ_D_NEXT);
		if (i >= num)
			return vq_dev_bad(d, VQ_V_NEXT_OUT_OF_RANGE);
		/* more descriptors than the table holds: the chain loops */
		if (++ndesc > num)
			return vq_dev_bad(d, VQ_V_DESC_LOOP);
		p = split_desc(d, (uint16_t)i, b, head);
		if (!p)
			return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	}
	/* an indirect descriptor, last of the chain */
	if (!d->indirect)
		return vq_dev_bad(d, VQ_V_INDIRECT_NOT_NEGOTIATED);
	/* virtio 1.3 2.7.5.3.2: direct descriptors then one indirect */
	if (vq_le16(p + VQ_D_FLAGS) & VRING_DESC_F_NEXT)
		return vq_dev_bad(d, VQ_V_INDIRECT_WITH_NEXT);
	wi = w;
	wi.count = ndesc;
	/* the WRITE flag of this descriptor is ignored (2.7.5.3.2) */
	r = split_indirect(d, &wi, vq_le64(p + VQ_D_ADDR), vq_le32(p + VQ_D_LEN), head);
	if (r)
		return r;
	return vq_walk_end(&wi, c, ndesc);
}

static inline int split_walk(struct vq_dev *d, uint16_t head, struct vq_chain *c)
{
	uint8_t b[VQ_DESC_SZ];
	const uint8_t *p;
	uint16_t flags;

	if (head >= d->num)
		return vq_dev_bad(d, VQ_V_HEAD_OUT_OF_RANGE);
	p = split_desc(d, head, b, head);
	if (!p)
		return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	c->id = head;
	flags = vq_le16(p + VQ_D_FLAGS);
	if ((flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)) || !c->seg_cap)
		return split_walk_chain(d, head, p, c);
	vq_chain_one(c, vq_le64(p + VQ_D_ADDR), vq_le32(p + VQ_D_LEN),
		     flags & VRING_DESC_F_WRITE);
	return 0;
}

/* The general fetch: every case and every check. */
static VQ_NOINLINE int split_fetch_any(struct vq_dev *d, struct vq_chain *c)
{
	uint16_t k;
	int r;

	/* the avail idx is read again only once the entries seen are taken */
	if (d->last_avail == d->avail_seen) {
		r = split_read_avail_idx(d);
		if (r)
			return r;
		if (d->last_avail == d->avail_seen)
			return 0;
	}
	k = (uint16_t)(d->last_avail - d->ac_idx);
	if (k >= d->ac_n) {
		r = split_fill_heads(d);
		if (r)
			return r;
		k = 0;
	}
	r = split_walk(d, d->acache[k], c);
	if (r < 0 && r != -EMSGSIZE)
		return r;
	d->last_avail++;
	vq_dev_fifo_push(d, c);
	return r == -EMSGSIZE ? r : 1;
}

/* Report the fast path's descriptor read to the observer; returns 1 for the caller. */
static VQ_NOINLINE int split_note_head(struct vq_dev *d, uint32_t head)
{
	uint32_t off = VQ_DESC_SZ * head;

	vq_io_report(&d->io, VQ_K_DESC, false, d->io.addr[VQ_AREA_DESC] + off, VQ_DESC_SZ,
		     d->io.host[VQ_AREA_DESC] + off, (int32_t)head);
	return 1;
}

/* The fast path's chain: the head at p was just read (and counted). */
static VQ_NOINLINE int split_fetch_chain(struct vq_dev *d, struct vq_chain *c, uint32_t head,
					 const uint8_t *p)
{
	int r;

	if (VQ_UNLIKELY(d->io.obs))
		split_note_head(d, head);
	r = split_walk_chain(d, (uint16_t)head, p, c);
	if (r < 0 && r != -EMSGSIZE)
		return r;
	d->last_avail++;
	vq_dev_fifo_push(d, c);
	return r == -EMSGSIZE ? r : 1;
}

/*
 * Fast path: an avail entry already read ahead and direct access to the
 * ring; a buffer of one direct descriptor (what network queues carry) is
 * done inline.  The same checks and accesses as the general path, which
 * takes every other case.
 */
int vq_split_dev_fetch(struct vq_dev *d, struct vq_chain *c)
{
	uint16_t k = (uint16_t)(d->last_avail - d->ac_idx);
	uint32_t head;
	const uint8_t *p;
	uint16_t flags;

	if (d->last_avail == d->avail_seen || k >= d->ac_n || !d->io.pm || !c->seg_cap)
		return split_fetch_any(d, c);
	head = d->acache[k];
	if (head >= d->num)
		return split_fetch_any(d, c);
	p = d->io.host[VQ_AREA_DESC] + VQ_DESC_SZ * head;
	flags = vq_le16(p + VQ_D_FLAGS);
	d->io.pm->reads++;
	c->id = (uint16_t)head;
	if (!(flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT))) {
		vq_chain_one(c, vq_le64(p + VQ_D_ADDR), vq_le32(p + VQ_D_LEN),
			     flags & VRING_DESC_F_WRITE);
		d->last_avail++;
		vq_dev_fifo_push(d, c);
		if (VQ_UNLIKELY(d->io.obs))
			return split_note_head(d, head);
		return 1;
	}
	return split_fetch_chain(d, c, head, p);
}

bool vq_split_dev_pending(struct vq_dev *d)
{
	if (d->last_avail != d->avail_seen)
		return true;
	if (split_read_avail_idx(d))
		return false;
	return d->last_avail != d->avail_seen;
}

/* Write used elements for stage[first..first + n) at used index idx, one
 * access per part (the ring may end in between). */
static int split_write_elems(struct vq_dev *d, uint16_t idx, uint32_t first, uint32_t n)
{
	const struct vq_dev_stage *st = d->stage + first;

	while (n) {
		uint32_t slot = idx & (d->num - 1), k = d->num - slot < n ? d->num - slot : n;
		uint32_t off = VQ_U_RING + VQ_U_ENT * slot;
		uint8_t *e = vq_io_wbuf(&d->io, VQ_AREA_DEV, off, d->scratch);

		for (uint32_t i = 0; i < k; i++) {
			vq_put_le32(e + VQ_U_ENT * i + VQ_UE_ID, st[i].id);
			vq_put_le32(e + VQ_U_ENT * i + VQ_UE_LEN, st[i].len);
		}
		if (vq_io_wr(&d->io, VQ_AREA_DEV, off, e, k * VQ_U_ENT, VQ_K_USED, VQ_NO_CHAIN))
			return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
		st += k;
		idx = (uint16_t)(idx + k);
		n -= k;
	}
	return 0;
}

int vq_split_dev_flush(struct vq_dev *d)
{
	uint32_t n = d->nstage;
	uint16_t idx = d->used_idx;
	int r;

	if (!d->in_order) {
		r = split_write_elems(d, idx, 0, n);
		if (r)
			return r;
	} else {
		/*
		 * virtio 1.3 2.7.9: one entry for a batch, at the slot of the batch's
		 * first buffer, naming the last; the driver takes the skipped ones as
		 * fully written, so a batch ends at a buffer that was not.
		 */
		for (uint32_t i = 0; i < n;) {
			uint32_t j = i;

			while (j + 1 < n && d->stage[j].len == d->stage[j].in_len)
				j++;
			r = split_write_elems(d, (uint16_t)(idx + i), j, 1);
			if (r)
				return r;
			i = j + 1;
		}
	}
	/* virtio 1.3 2.7.8.2: elements before the idx that publishes them */
	d->used_idx = (uint16_t)(idx + n);
	if (vq_io_put16(&d->io, VQ_AREA_DEV, VQ_U_IDX, d->used_idx, VQ_K_USED))
		return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	return 0;
}

int vq_split_dev_need_interrupt(struct vq_dev *d)
{
	uint16_t old = d->signalled, new_ = d->used_idx;
	const uint8_t *p;
	uint8_t b[2];

	d->signalled = new_;
	if (old == new_)
		return 0;
	if (d->event_idx) {
		/* virtio 1.3 2.7.7.2: notify when used idx passes used_event */
		p = vq_io_rd(&d->io, VQ_AREA_DRV, VQ_A_USED_EVENT(d->num), b, 2, VQ_K_EVENT,
			     VQ_NO_CHAIN);
		if (!p)
			return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
		return vring_need_event(vq_le16(p), new_, old) ? 1 : 0;
	}
	p = vq_io_rd(&d->io, VQ_AREA_DRV, VQ_A_FLAGS, b, 2, VQ_K_AVAIL, VQ_NO_CHAIN);
	if (!p)
		return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	return (vq_le16(p) & VRING_AVAIL_F_NO_INTERRUPT) ? 0 : 1;
}

void vq_split_dev_set_notify(struct vq_dev *d, bool enable)
{
	if (d->event_idx) {
		/* virtio 1.3 2.7.10.2: flags stay 0; avail_event moves kicks */
		if (enable && vq_io_put16(&d->io, VQ_AREA_DEV, VQ_U_AVAIL_EVENT(d->num),
					  d->avail_seen, VQ_K_EVENT)) {
			vq_dev_bad(d, VQ_V_ACCESS_FAULT);
			return;
		}
		d->notify_off = !enable;
		return;
	}
	if (d->notify_known && d->notify_off == !enable)
		return;
	if (vq_io_put16(&d->io, VQ_AREA_DEV, VQ_U_FLAGS, enable ? 0 : VRING_USED_F_NO_NOTIFY,
			VQ_K_USED)) {
		vq_dev_bad(d, VQ_V_ACCESS_FAULT);
		return;
	}
	d->notify_off = !enable;
	d->notify_known = true;
}
