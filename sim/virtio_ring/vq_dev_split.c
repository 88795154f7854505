// SPDX-License-Identifier: MIT
/*
 * Device side of the split ring: read the avail idx and entries, walk
 * descriptor chains (direct and indirect), write used elements and the used
 * idx, and decide on notifications in both directions.
 */
#include "sim/virtio_ring/vq_internal.h"

static int split_read_avail_idx(struct vq_dev *d)
{
	uint8_t b[2];
	uint16_t idx;

	if (vq_rd(&d->mem, d->obs, VQ_ACTOR_DEVICE, VQ_K_AVAIL, d->drv_area + VQ_A_IDX, b, 2,
		  VQ_NO_CHAIN))
		return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	idx = vq_le16(b);
	/* virtio 1.3 2.7.6.1: never more exposed than the queue holds */
	if ((uint16_t)(idx - d->last_avail) > d->num)
		return vq_dev_bad(d, VQ_V_AVAIL_IDX_JUMP);
	d->avail_seen = idx;
	return 0;
}

/* The head at last_avail; reads up to VQ_DEV_ACACHE exposed entries at once. */
static int split_head(struct vq_dev *d, uint16_t *head)
{
	uint16_t k = (uint16_t)(d->last_avail - d->ac_idx);

	if (k >= d->ac_n) {
		uint32_t slot = d->last_avail & (d->num - 1);
		uint32_t n = (uint16_t)(d->avail_seen - d->last_avail);
		uint8_t b[VQ_DEV_ACACHE * 2];

		if (n > d->num - slot)
			n = d->num - slot;
		if (n > VQ_DEV_ACACHE)
			n = VQ_DEV_ACACHE;
		if (vq_rd(&d->mem, d->obs, VQ_ACTOR_DEVICE, VQ_K_AVAIL,
			  d->drv_area + VQ_A_RING + VQ_A_ENT * slot, b, n * VQ_A_ENT, VQ_NO_CHAIN))
			return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
		for (uint32_t i = 0; i < n; i++)
			d->acache[i] = vq_le16(b + VQ_A_ENT * i);
		d->ac_idx = d->last_avail;
		d->ac_n = (uint16_t)n;
		k = 0;
	}
	*head = d->acache[k];
	return 0;
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

static int split_walk(struct vq_dev *d, uint16_t head, struct vq_chain *c)
{
	struct vq_walk w;
	uint16_t i = head;
	int r;

	if (head >= d->num)
		return vq_dev_bad(d, VQ_V_HEAD_OUT_OF_RANGE);
	vq_walk_begin(&w, c);
	c->id = head;
	for (;;) {
		uint8_t b[16];
		uint16_t flags;

		/* more descriptors than the table holds: the chain loops */
		if (++w.count > d->num)
			return vq_dev_bad(d, VQ_V_DESC_LOOP);
		if (vq_rd(&d->mem, d->obs, VQ_ACTOR_DEVICE, VQ_K_DESC,
			  d->desc + (uint64_t)VQ_DESC_SZ * i, b, VQ_DESC_SZ, head))
			return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
		c->ndesc++;
		flags = vq_le16(b + VQ_D_FLAGS);
		if (flags & VRING_DESC_F_INDIRECT) {
			if (!d->indirect)
				return vq_dev_bad(d, VQ_V_INDIRECT_NOT_NEGOTIATED);
			/* virtio 1.3 2.7.5.3.2: direct descriptors then one indirect */
			if (flags & VRING_DESC_F_NEXT)
				return vq_dev_bad(d, VQ_V_INDIRECT_WITH_NEXT);
			/* the WRITE flag of this descriptor is ignored (2.7.5.3.2) */
			r = split_indirect(d, &w, vq_le64(b + VQ_D_ADDR), vq_le32(b + VQ_D_LEN),
					   head);
			if (r)
				return r;
			break;
		}
		r = vq_walk_seg(d, &w, vq_le64(b + VQ_D_ADDR), vq_le32(b + VQ_D_LEN),
				flags & VRING_DESC_F_WRITE);
		if (r)
			return r;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		i = vq_le16(b + VQ_D_NEXT);
		if (i >= d->num)
			return vq_dev_bad(d, VQ_V_NEXT_OUT_OF_RANGE);
	}
	return vq_walk_end(d, &w);
}

int vq_split_dev_fetch(struct vq_dev *d, struct vq_chain *c)
{
	uint16_t head = 0;
	int r;

	if (d->last_avail == d->avail_seen) {
		r = split_read_avail_idx(d);
		if (r)
			return r;
		if (d->last_avail == d->avail_seen)
			return 0;
	}
	r = split_head(d, &head);
	if (r)
		return r;
	r = split_walk(d, head, c);
	if (r < 0 && r != -EMSGSIZE)
		return r;
	d->last_avail++;
	vq_dev_fifo_push(d, c);
	return r == -EMSGSIZE ? r : 1;
}

bool vq_split_dev_pending(struct vq_dev *d)
{
	if (d->last_avail != d->avail_seen)
		return true;
	if (split_read_avail_idx(d))
		return false;
	return d->last_avail != d->avail_seen;
}

/* Write n used elements from scratch at used index idx, splitting at the ring end. */
static int split_write_elems(struct vq_dev *d, uint16_t idx, const uint8_t *src, uint32_t n)
{
	while (n) {
		uint32_t slot = idx & (d->num - 1), k = d->num - slot < n ? d->num - slot : n;

		if (vq_wr(&d->mem, d->obs, VQ_ACTOR_DEVICE, VQ_K_USED,
			  d->dev_area + VQ_U_RING + (uint64_t)VQ_U_ENT * slot, src, k * VQ_U_ENT,
			  VQ_NO_CHAIN))
			return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
		src += k * VQ_U_ENT;
		idx = (uint16_t)(idx + k);
		n -= k;
	}
	return 0;
}

int vq_split_dev_flush(struct vq_dev *d)
{
	uint32_t n = d->nstage, ne = 0;
	uint16_t idx = d->used_idx;
	uint8_t b[2];
	int r;

	if (!d->in_order) {
		for (uint32_t i = 0; i < n; i++) {
			vq_put_le32(d->scratch + VQ_U_ENT * i + VQ_UE_ID, d->stage[i].id);
			vq_put_le32(d->scratch + VQ_U_ENT * i + VQ_UE_LEN, d->stage[i].len);
		}
		r = split_write_elems(d, idx, d->scratch, n);
		if (r)
			return r;
	} else {
		/*
		 * virtio 1.3 2.7.9: one entry for a batch, at the slot of the batch's
		 * first buffer, naming the last; the driver takes the skipped ones as
		 * fully written, so a batch ends at a buffer that was not.
		 */
		for (uint32_t i = 0; i < n; ne++) {
			uint32_t j = i;
			uint8_t e[VQ_U_ENT];

			while (j + 1 < n && d->stage[j].len == d->stage[j].in_len)
				j++;
			vq_put_le32(e + VQ_UE_ID, d->stage[j].id);
			vq_put_le32(e + VQ_UE_LEN, d->stage[j].len);
			r = split_write_elems(d, (uint16_t)(idx + i), e, 1);
			if (r)
				return r;
			i = j + 1;
		}
	}
	/* virtio 1.3 2.7.8.2: elements before the idx that publishes them */
	d->used_idx = (uint16_t)(idx + n);
	vq_put_le16(b, d->used_idx);
	if (vq_wr(&d->mem, d->obs, VQ_ACTOR_DEVICE, VQ_K_USED, d->dev_area + VQ_U_IDX, b, 2,
		  VQ_NO_CHAIN))
		return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	return 0;
}

int vq_split_dev_need_interrupt(struct vq_dev *d)
{
	uint16_t old = d->signalled, new_ = d->used_idx;
	uint8_t b[2];

	d->signalled = new_;
	if (old == new_)
		return 0;
	if (d->event_idx) {
		/* virtio 1.3 2.7.7.2: notify when used idx passes used_event */
		if (vq_rd(&d->mem, d->obs, VQ_ACTOR_DEVICE, VQ_K_EVENT,
			  d->drv_area + VQ_A_USED_EVENT(d->num), b, 2, VQ_NO_CHAIN))
			return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
		return vring_need_event(vq_le16(b), new_, old) ? 1 : 0;
	}
	if (vq_rd(&d->mem, d->obs, VQ_ACTOR_DEVICE, VQ_K_AVAIL, d->drv_area + VQ_A_FLAGS, b, 2,
		  VQ_NO_CHAIN))
		return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	return (vq_le16(b) & VRING_AVAIL_F_NO_INTERRUPT) ? 0 : 1;
}

void vq_split_dev_set_notify(struct vq_dev *d, bool enable)
{
	uint8_t b[2];

	if (d->event_idx) {
		/* virtio 1.3 2.7.10.2: flags stay 0; avail_event moves kicks */
		if (enable) {
			vq_put_le16(b, d->avail_seen);
			if (vq_wr(&d->mem, d->obs, VQ_ACTOR_DEVICE, VQ_K_EVENT,
				  d->dev_area + VQ_U_AVAIL_EVENT(d->num), b, 2, VQ_NO_CHAIN)) {
				vq_dev_bad(d, VQ_V_ACCESS_FAULT);
				return;
			}
		}
		d->notify_off = !enable;
		return;
	}
	if (d->notify_known && d->notify_off == !enable)
		return;
	vq_put_le16(b, enable ? 0 : VRING_USED_F_NO_NOTIFY);
	if (vq_wr(&d->mem, d->obs, VQ_ACTOR_DEVICE, VQ_K_USED, d->dev_area + VQ_U_FLAGS, b, 2,
		  VQ_NO_CHAIN)) {
		vq_dev_bad(d, VQ_V_ACCESS_FAULT);
		return;
	}
	d->notify_off = !enable;
	d->notify_known = true;
}
