// SPDX-License-Identifier: MIT
/*
 * Device side of the packed ring: read descriptors ahead (several per
 * accessor call), walk lists and indirect tables, write used descriptors with
 * the first one's flags last, and decide on notifications through the event
 * suppression structures.
 */
#include "sim/virtio_ring/vq_internal.h"

/*
 * The descriptor at slot, through the read-ahead cache: 1 and *desc when it
 * is available for wrap, 0 when not, -EIO on a fault.  A cached descriptor is
 * trusted only when it shows available: the driver does not touch it then.
 */
static int packed_peek(struct vq_dev *d, uint16_t slot, bool wrap, const uint8_t **desc)
{
	uint32_t n;

	if (slot >= d->dc_lo && (uint16_t)(slot - d->dc_slot) < d->dc_n) {
		const uint8_t *p = d->dcache + (size_t)VQ_PD_SZ * (uint16_t)(slot - d->dc_slot);

		if (vq_pd_is_avail(vq_le16(p + VQ_PD_FLAGS), wrap)) {
			*desc = p;
			return 1;
		}
	}
	n = d->num - slot < VQ_DEV_DCACHE ? d->num - slot : VQ_DEV_DCACHE;
	if (vq_rd(&d->mem, d->obs, VQ_ACTOR_DEVICE, VQ_K_DESC, d->desc + (uint64_t)VQ_PD_SZ * slot,
		  d->dcache, n * VQ_PD_SZ, VQ_NO_CHAIN)) {
		d->dc_n = 0;
		return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	}
	d->dc_slot = d->dc_lo = slot;
	d->dc_n = (uint16_t)n;
	*desc = d->dcache;
	return vq_pd_is_avail(vq_le16(d->dcache + VQ_PD_FLAGS), wrap) ? 1 : 0;
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

int vq_packed_dev_fetch(struct vq_dev *d, struct vq_chain *c)
{
	uint16_t slot = d->apos, id = 0;
	bool wrap = d->awrap;
	const uint8_t *p;
	struct vq_walk w;
	int r = packed_peek(d, slot, wrap, &p);

	if (r <= 0)
		return r;
	vq_walk_begin(&w, c);
	for (;;) {
		uint16_t flags;
		uint64_t addr;
		uint32_t len;

		/* virtio 1.3 2.8.17: no list longer than the queue size */
		if (c->ndesc >= d->num)
			return vq_dev_bad(d, VQ_V_CHAIN_TOO_LONG);
		if (c->ndesc > 0) {
			r = packed_peek(d, slot, wrap, &p);
			if (r < 0)
				return r;
			/* 2.8.17: the driver exposes the rest of a list before its head */
			if (r == 0)
				return vq_dev_bad(d, VQ_V_CHAIN_NOT_AVAIL);
		}
		c->ndesc++;
		w.count++;
		flags = vq_le16(p + VQ_PD_FLAGS);
		addr = vq_le64(p + VQ_PD_ADDR);
		len = vq_le32(p + VQ_PD_LEN);
		/* 2.8.6: the buffer id is in the last descriptor of the list */
		id = vq_le16(p + VQ_PD_ID);
		if (++slot == d->num) {
			slot = 0;
			wrap = !wrap;
		}
		if (flags & VRING_DESC_F_INDIRECT) {
			if (!d->indirect)
				return vq_dev_bad(d, VQ_V_INDIRECT_NOT_NEGOTIATED);
			/* 2.8.19: an indirect descriptor is never part of a list */
			if (c->ndesc > 1)
				return vq_dev_bad(d, VQ_V_INDIRECT_IN_CHAIN);
			if (flags & VRING_DESC_F_NEXT)
				return vq_dev_bad(d, VQ_V_INDIRECT_WITH_NEXT);
			r = packed_indirect(d, &w, addr, len, id);
			if (r)
				return r;
			break;
		}
		r = vq_walk_seg(d, &w, addr, len, flags & VRING_DESC_F_WRITE);
		if (r)
			return r;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
	}
	c->id = id;
	/* the cache is only good ahead of us within this lap */
	if (wrap != d->awrap)
		d->dc_n = 0;
	else
		d->dc_lo = slot;
	d->apos = slot;
	d->awrap = wrap;
	vq_dev_fifo_push(d, c);
	r = vq_walk_end(d, &w);
	return r == -EMSGSIZE ? r : 1;
}

bool vq_packed_dev_pending(struct vq_dev *d)
{
	const uint8_t *p;

	return packed_peek(d, d->apos, d->awrap, &p) == 1;
}

static void packed_used_image(uint8_t *img, uint32_t num, uint32_t pos, uint16_t id, uint32_t len)
{
	uint16_t flags = vq_pd_used_bits(vq_ppos_wrap(num, pos));

	/* 2.8.3: WRITE in a used descriptor tells whether data was written */
	if (len)
		flags |= VRING_DESC_F_WRITE;
	vq_put_le32(img + VQ_PD_LEN - VQ_PD_LEN, len);
	vq_put_le16(img + VQ_PD_ID - VQ_PD_LEN, id);
	vq_put_le16(img + VQ_PD_FLAGS - VQ_PD_LEN, flags);
}

int vq_packed_dev_flush(struct vq_dev *d)
{
	uint32_t n = d->nstage, ne = 0, pos = vq_ppos(d->num, d->upos, d->uwrap);
	const uint32_t tail = VQ_PD_SZ - VQ_PD_LEN; /* len, id, flags */
	uint8_t e0[VQ_PD_SZ];

	/* one used descriptor per list, or per IN_ORDER batch (2.8.8) */
	for (uint32_t i = 0; i < n; ne++) {
		uint32_t j = i, nd = d->stage[i].ndesc;

		while (d->in_order && j + 1 < n && d->stage[j].len == d->stage[j].in_len)
			nd += d->stage[++j].ndesc;
		d->epos[ne] = pos;
		d->stage[ne].id = d->stage[j].id;
		d->stage[ne].len = d->stage[j].len;
		pos = vq_ppos_add(d->num, pos, nd);
		i = j + 1;
	}
	/*
	 * Entries 1.. first, in runs of adjacent slots per accessor call, then
	 * the first entry, whose flags expose the lot (2.8.9).
	 */
	for (uint32_t k = 1; k < ne;) {
		uint32_t m = k;
		uint16_t s0 = vq_ppos_slot(d->num, d->epos[k]);

		while (m + 1 < ne && vq_ppos_slot(d->num, d->epos[m + 1]) ==
					     vq_ppos_slot(d->num, d->epos[m]) + 1)
			m++;
		for (uint32_t t = k; t <= m; t++) {
			uint8_t *img = d->scratch + (size_t)VQ_PD_SZ * (t - k);

			/* the unused address field between two used descriptors */
			if (t > k)
				vq_put_le64(img - (VQ_PD_LEN - VQ_PD_ADDR), 0);
			packed_used_image(img, d->num, d->epos[t], d->stage[t].id, d->stage[t].len);
		}
		if (vq_wr(&d->mem, d->obs, VQ_ACTOR_DEVICE, VQ_K_DESC,
			  d->desc + (uint64_t)VQ_PD_SZ * s0 + VQ_PD_LEN, d->scratch,
			  VQ_PD_SZ * (m - k) + tail, VQ_NO_CHAIN))
			return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
		k = m + 1;
	}
	packed_used_image(e0, d->num, d->epos[0], d->stage[0].id, d->stage[0].len);
	if (vq_wr(&d->mem, d->obs, VQ_ACTOR_DEVICE, VQ_K_DESC,
		  d->desc + (uint64_t)VQ_PD_SZ * vq_ppos_slot(d->num, d->epos[0]) + VQ_PD_LEN, e0,
		  tail, VQ_NO_CHAIN))
		return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	d->upos = vq_ppos_slot(d->num, pos);
	d->uwrap = vq_ppos_wrap(d->num, pos);
	return 0;
}

int vq_packed_dev_need_interrupt(struct vq_dev *d)
{
	uint32_t old = d->sig_pos, new_ = vq_ppos(d->num, d->upos, d->uwrap);
	uint8_t b[VQ_PE_SZ];
	uint16_t flags, off;

	d->sig_pos = new_;
	if (old == new_)
		return 0;
	if (vq_rd(&d->mem, d->obs, VQ_ACTOR_DEVICE, VQ_K_EVENT, d->drv_area, b, VQ_PE_SZ,
		  VQ_NO_CHAIN))
		return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	flags = vq_le16(b + VQ_PE_FLAGS) & 3;
	off = vq_le16(b + VQ_PE_OFF_WRAP);
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
	uint8_t b[VQ_PE_SZ];

	if (enable && d->event_idx) {
		/* kick when the driver makes the next descriptor we will read available */
		vq_put_le16(b + VQ_PE_OFF_WRAP, (uint16_t)(d->apos | (d->awrap ? VQ_EV_WRAP : 0)));
		vq_put_le16(b + VQ_PE_FLAGS, VRING_PACKED_EVENT_FLAG_DESC);
		if (vq_wr(&d->mem, d->obs, VQ_ACTOR_DEVICE, VQ_K_EVENT, d->dev_area, b, VQ_PE_SZ,
			  VQ_NO_CHAIN))
			vq_dev_bad(d, VQ_V_ACCESS_FAULT);
		d->notify_off = false;
		d->notify_known = false;
		return;
	}
	if (d->notify_known && d->notify_off == !enable)
		return;
	vq_put_le16(b, enable ? VRING_PACKED_EVENT_FLAG_ENABLE : VRING_PACKED_EVENT_FLAG_DISABLE);
	if (vq_wr(&d->mem, d->obs, VQ_ACTOR_DEVICE, VQ_K_EVENT, d->dev_area + VQ_PE_FLAGS, b, 2,
		  VQ_NO_CHAIN)) {
		vq_dev_bad(d, VQ_V_ACCESS_FAULT);
		return;
	}
	d->notify_off = !enable;
	d->notify_known = true;
}
