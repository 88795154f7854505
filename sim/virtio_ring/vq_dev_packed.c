// SPDX-License-Identifier: MIT
/*
 * Device side of the packed ring: read descriptors ahead (several per
 * accessor call), walk lists and indirect tables, write used descriptors with
 * the first one's flags last, and decide on notifications through the event
 * suppression structures.
 */
#include "sim/virtio_ring/vq_internal.h"

/* Read descriptors ahead from slot (to the ring end, VQ_DEV_DCACHE at most). */
static VQ_NOINLINE int packed_fill(struct vq_dev *d, uint16_t slot, bool wrap,
				   const uint8_t **desc)
{
	uint32_t n = d->num - slot < VQ_DEV_DCACHE ? d->num - slot : VQ_DEV_DCACHE;

	if (vq_io_copy_pdescs(&d->io, slot, d->dcache, n)) {
		d->dc_n = 0;
		return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	}
	d->dc_slot = d->dc_lo = slot;
	d->dc_n = (uint16_t)n;
	*desc = d->dcache;
	return vq_pd_is_avail(vq_le16(d->dcache + VQ_PD_FLAGS), wrap) ? 1 : 0;
}

/*
 * The descriptor at slot, through the read-ahead cache: 1 and *desc when it
 * is available for wrap, 0 when not, -EIO on a fault.  A cached descriptor is
 * trusted only when it shows available: the driver does not touch it then.
 */
static inline int packed_peek(struct vq_dev *d, uint16_t slot, bool wrap, const uint8_t **desc)
{
	if (slot >= d->dc_lo && (uint16_t)(slot - d->dc_slot) < d->dc_n) {
		const uint8_t *p = d->dcache + (size_t)VQ_PD_SZ * (uint16_t)(slot - d->dc_slot);

		if (vq_pd_is_avail(vq_le16(p + VQ_PD_FLAGS), wrap)) {
			*desc = p;
			return 1;
		}
	}
	return packed_fill(d, slot, wrap, desc);
}

static int packed_indirect(struct vq_dev *d, struct vq_walk *w, uint64_t addr, uint32_t len,
			   uint16_t id)
{
	uint32_t n;
	bool reserved = false;
	int r;

	if (len == 0 || len % VQ_PD_SZ)
		return vq_dev_bad(d, VQ_V_INDIRECT_BAD_LEN);
	n = len / VQ_PD_SZ;
	if (n > d->num)
		return vq_dev_bad(d, VQ_V_CHAIN_TOO_LONG);
	r = vq_dev_read_table(d, addr, len, id);
	if (r)
		return r;
	/* virtio 1.3 2.8.7: entries follow each other; only WRITE counts */
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = d->ind + (size_t)VQ_PD_SZ * i;
		uint16_t flags = vq_le16(e + VQ_PD_FLAGS);

		if (flags & ~VRING_DESC_F_WRITE)
			reserved = true;
		w->count++;
		r = vq_walk_seg(d, w, vq_le64(e + VQ_PD_ADDR), vq_le32(e + VQ_PD_LEN),
				flags & VRING_DESC_F_WRITE);
		if (r)
			return r;
	}
	/* reserved flags are ignored by the device, but worth reporting */
	if (reserved)
		vq_dev_warn(d, VQ_V_INDIRECT_RESERVED_FLAGS);
	return 0;
}

/* Step a packed position (slot, wrap) over one slot. */
static inline void packed_step(uint32_t num, uint16_t *slot, bool *wrap)
{
	if (++*slot == num) {
		*slot = 0;
		*wrap = !*wrap;
	}
}

/* A list of one indirect descriptor, at p (available). */
static VQ_NOINLINE int packed_walk_indirect(struct vq_dev *d, const uint8_t *p, struct vq_chain *c,
					    uint16_t *slotp, bool *wrapp)
{
	uint16_t flags = vq_le16(p + VQ_PD_FLAGS), id = vq_le16(p + VQ_PD_ID);
	struct vq_walk w;
	int r;

	if (!d->indirect)
		return vq_dev_bad(d, VQ_V_INDIRECT_NOT_NEGOTIATED);
	/* 2.8.19: an indirect descriptor is never part of a list */
	if (flags & VRING_DESC_F_NEXT)
		return vq_dev_bad(d, VQ_V_INDIRECT_WITH_NEXT);
	vq_walk_begin(&w, c);
	w.count = 1;
	r = packed_indirect(d, &w, vq_le64(p + VQ_PD_ADDR), vq_le32(p + VQ_PD_LEN), id);
	if (r)
		return r;
	c->id = id;
	packed_step(d->num, slotp, wrapp);
	return vq_walk_end(&w, c, 1);
}

/*
 * The general walk: lists and indirect tables; p is the first descriptor,
 * available.  The walk state stays in registers.
 */
static VQ_NOINLINE int packed_walk_chain(struct vq_dev *d, const uint8_t *p, struct vq_chain *c,
					 uint16_t *slotp, bool *wrapp)
{
	uint32_t num = d->num, ndesc = 0;
	uint16_t slot = *slotp, id, flags = vq_le16(p + VQ_PD_FLAGS);
	bool wrap = *wrapp;
	struct vq_walk w;
	int r;

	if (flags & VRING_DESC_F_INDIRECT)
		return packed_walk_indirect(d, p, c, slotp, wrapp);
	vq_walk_begin(&w, c);
	for (;;) {
		ndesc++;
		/* 2.8.6: the buffer id is in the last descriptor of the list */
		id = vq_le16(p + VQ_PD_ID);
		packed_step(num, &slot, &wrap);
		r = vq_walk_seg(d, &w, vq_le64(p + VQ_PD_ADDR), vq_le32(p + VQ_PD_LEN),
				flags & VRING_DESC_F_WRITE);
		if (r)
			return r;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		/* 2.8.17: no list longer than the queue size */
		if (ndesc >= num)
			return vq_dev_bad(d, VQ_V_CHAIN_TOO_LONG);
		r = packed_peek(d, slot, wrap, &p);
		if (r < 0)
			return r;
		/* 2.8.17: the driver exposes the rest of a list before its head */
		if (r == 0)
			return vq_dev_bad(d, VQ_V_CHAIN_NOT_AVAIL);
		flags = vq_le16(p + VQ_PD_FLAGS);
		if (flags & VRING_DESC_F_INDIRECT) {
			if (!d->indirect)
				return vq_dev_bad(d, VQ_V_INDIRECT_NOT_NEGOTIATED);
			/* 2.8.19: an indirect descriptor is never part of a list */
			return vq_dev_bad(d, VQ_V_INDIRECT_IN_CHAIN);
		}
	}
	c->id = id;
	*slotp = slot;
	*wrapp = wrap;
	return vq_walk_end(&w, c, ndesc);
}

/* A chain was taken: the next one starts at (slot, wrap). */
static inline void packed_taken(struct vq_dev *d, const struct vq_chain *c, uint16_t slot,
				bool wrap)
{
	/* the cache is only good ahead of us within this lap */
	if (wrap != d->awrap)
		d->dc_n = 0;
	else
		d->dc_lo = slot;
	d->apos = slot;
	d->awrap = wrap;
	vq_dev_fifo_push(d, c);
}

/* The general fetch: every case and every check. */
static VQ_NOINLINE int packed_fetch_any(struct vq_dev *d, struct vq_chain *c)
{
	uint16_t slot = d->apos, flags;
	bool wrap = d->awrap;
	const uint8_t *p = NULL;
	int r = packed_peek(d, slot, wrap, &p);

	if (r <= 0)
		return r;
	flags = vq_le16(p + VQ_PD_FLAGS);
	if ((flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)) || !c->seg_cap) {
		r = packed_walk_chain(d, p, c, &slot, &wrap);
		if (r < 0 && r != -EMSGSIZE)
			return r;
	} else {
		vq_chain_one(c, vq_le64(p + VQ_PD_ADDR), vq_le32(p + VQ_PD_LEN),
			     flags & VRING_DESC_F_WRITE);
		c->id = vq_le16(p + VQ_PD_ID);
		packed_step(d->num, &slot, &wrap);
	}
	packed_taken(d, c, slot, wrap);
	return r == -EMSGSIZE ? r : 1;
}

/* The fast path's list: p is its first descriptor, read ahead and available. */
static VQ_NOINLINE int packed_fetch_chain(struct vq_dev *d, struct vq_chain *c, const uint8_t *p)
{
	uint16_t slot = d->apos;
	bool wrap = d->awrap;
	int r = packed_walk_chain(d, p, c, &slot, &wrap);

	if (r < 0 && r != -EMSGSIZE)
		return r;
	packed_taken(d, c, slot, wrap);
	return r == -EMSGSIZE ? r : 1;
}

/*
 * Fast path: the next descriptor already read ahead and available; alone in
 * its list (what network queues carry) it is done inline.  The same checks
 * as the general path, which takes every other case.
 */
int vq_packed_dev_fetch(struct vq_dev *d, struct vq_chain *c)
{
	uint16_t slot = d->apos, k = (uint16_t)(slot - d->dc_slot), flags;
	const uint8_t *p;

	if (slot < d->dc_lo || k >= d->dc_n || !c->seg_cap)
		return packed_fetch_any(d, c);
	p = d->dcache + (size_t)VQ_PD_SZ * k;
	flags = vq_le16(p + VQ_PD_FLAGS);
	if (!vq_pd_is_avail(flags, d->awrap))
		return packed_fetch_any(d, c);
	if (flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT))
		return packed_fetch_chain(d, c, p);
	vq_chain_one(c, vq_le64(p + VQ_PD_ADDR), vq_le32(p + VQ_PD_LEN),
		     flags & VRING_DESC_F_WRITE);
	c->id = vq_le16(p + VQ_PD_ID);
	if (++slot == d->num)
		packed_taken(d, c, 0, !d->awrap);
	else
		packed_taken(d, c, slot, d->awrap);
	return 1;
}

bool vq_packed_dev_pending(struct vq_dev *d)
{
	const uint8_t *p;

	return packed_peek(d, d->apos, d->awrap, &p) == 1;
}

/* Step a packed position over nd <= num slots. */
static inline void packed_skip(uint32_t num, uint32_t *slot, bool *wrap, uint32_t nd)
{
	*slot += nd;
	if (*slot >= num) {
		*slot -= num;
		*wrap = !*wrap;
	}
}

/* A used descriptor at e (its slot): len, id, then flags (2.8.9: written last). */
static inline void packed_put_used(uint8_t *e, bool wrap, uint16_t id, uint32_t len)
{
	uint16_t flags = vq_pd_used_bits(wrap);

	/* 2.8.3: WRITE in a used descriptor tells whether data was written */
	if (len)
		flags |= VRING_DESC_F_WRITE;
	vq_put_le32(e + VQ_PD_LEN, len);
	vq_put_le16(e + VQ_PD_ID, id);
	vq_put_le16(e + VQ_PD_FLAGS, flags);
}

/*
 * IN_ORDER: one used descriptor per batch (2.8.8), naming its last buffer;
 * the driver takes the skipped ones as fully written, so a batch ends at a
 * buffer that was not.  Folds stage[] into one entry per batch (ndesc: the
 * slots it covers) and returns how many.
 */
static uint32_t packed_fold_batches(struct vq_dev *d)
{
	uint32_t n = d->nstage, ne = 0;

	for (uint32_t i = 0; i < n; ne++) {
		uint32_t j = i, nd = d->stage[i].ndesc;

		while (j + 1 < n && d->stage[j].len == d->stage[j].in_len)
			nd += d->stage[++j].ndesc;
		d->stage[ne].id = d->stage[j].id;
		d->stage[ne].len = d->stage[j].len;
		d->stage[ne].ndesc = (uint16_t)nd;
		i = j + 1;
	}
	return ne;
}

/*
 * One used descriptor per list (2.8.6), built at its slot in the ring
 * itself with direct access, else in scratch shaped like the ring.  Entries
 * 1.. go first, in runs of adjacent slots (one access each, the unused
 * address fields inside a run zeroed), then entry 0, whose flags expose the
 * lot (2.8.9).
 */
int vq_packed_dev_flush(struct vq_dev *d)
{
	uint32_t ne = d->in_order ? packed_fold_batches(d) : d->nstage;
	const struct vq_dev_stage *st = d->stage;
	uint8_t *base = d->io.pm ? d->io.host[VQ_AREA_DESC] : d->scratch;
	uint32_t slot0 = d->upos, slot = slot0, run0, off;
	bool wrap0 = d->uwrap, wrap = wrap0;
	const uint32_t tail = VQ_PD_SZ - VQ_PD_LEN; /* len, id, flags */

	packed_skip(d->num, &slot, &wrap, st[0].ndesc);
	run0 = slot;
	for (uint32_t t = 1; t < ne; t++) {
		uint8_t *e = base + VQ_PD_SZ * slot;
		uint32_t next = slot;
		bool nwrap = wrap;

		if (slot != run0)
			vq_put_le64(e + VQ_PD_ADDR, 0);
		packed_put_used(e, wrap, st[t].id, st[t].len);
		packed_skip(d->num, &next, &nwrap, st[t].ndesc);
		if (t + 1 == ne || next != slot + 1) {
			off = VQ_PD_SZ * run0 + VQ_PD_LEN;
			if (vq_io_wr(&d->io, VQ_AREA_DESC, off, base + off,
				     VQ_PD_SZ * (slot - run0) + tail, VQ_K_DESC, VQ_NO_CHAIN))
				return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
			run0 = next;
		}
		slot = next;
		wrap = nwrap;
	}
	off = VQ_PD_SZ * slot0 + VQ_PD_LEN;
	packed_put_used(base + VQ_PD_SZ * slot0, wrap0, st[0].id, st[0].len);
	if (vq_io_wr(&d->io, VQ_AREA_DESC, off, base + off, tail, VQ_K_DESC, VQ_NO_CHAIN))
		return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	d->upos = (uint16_t)slot;
	d->uwrap = wrap;
	return 0;
}

int vq_packed_dev_need_interrupt(struct vq_dev *d)
{
	uint32_t old = d->sig_pos, new_ = vq_ppos(d->num, d->upos, d->uwrap);
	uint8_t b[VQ_PE_SZ];
	const uint8_t *p;
	uint16_t flags, off;

	d->sig_pos = new_;
	if (old == new_)
		return 0;
	p = vq_io_rd(&d->io, VQ_AREA_DRV, 0, b, VQ_PE_SZ, VQ_K_EVENT, VQ_NO_CHAIN);
	if (!p)
		return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	flags = vq_le16(p + VQ_PE_FLAGS) & 3;
	off = vq_le16(p + VQ_PE_OFF_WRAP);
	switch (flags) {
	case VRING_PACKED_EVENT_FLAG_DISABLE:
		return 0;
	case VRING_PACKED_EVENT_FLAG_DESC:
		/* 2.8.10: only with EVENT_IDX; otherwise (and on nonsense) notify */
		if (!d->event_idx || (off & 0x7fff) >= d->num)
			return 1;
		return vq_ppos_in(d->num, vq_ppos(d->num, off & 0x7fff, off & VQ_EV_WRAP), old,
				  new_);
	default:
		return 1;
	}
}

void vq_packed_dev_set_notify(struct vq_dev *d, bool enable)
{
	uint8_t b[VQ_PE_SZ], *p;

	if (enable && d->event_idx) {
		/* kick when the driver makes the next descriptor we will read available */
		p = vq_io_wbuf(&d->io, VQ_AREA_DEV, 0, b);
		vq_put_le16(p + VQ_PE_OFF_WRAP, (uint16_t)(d->apos | (d->awrap ? VQ_EV_WRAP : 0)));
		vq_put_le16(p + VQ_PE_FLAGS, VRING_PACKED_EVENT_FLAG_DESC);
		if (vq_io_wr(&d->io, VQ_AREA_DEV, 0, p, VQ_PE_SZ, VQ_K_EVENT, VQ_NO_CHAIN))
			vq_dev_bad(d, VQ_V_ACCESS_FAULT);
		d->notify_off = false;
		d->notify_known = false;
		return;
	}
	if (d->notify_known && d->notify_off == !enable)
		return;
	if (vq_io_put16(&d->io, VQ_AREA_DEV, VQ_PE_FLAGS,
			enable ? VRING_PACKED_EVENT_FLAG_ENABLE : VRING_PACKED_EVENT_FLAG_DISABLE,
			VQ_K_EVENT)) {
		vq_dev_bad(d, VQ_V_ACCESS_FAULT);
		return;
	}
	d->notify_off = !enable;
	d->notify_known = true;
}
