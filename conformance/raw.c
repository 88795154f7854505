// SPDX-License-Identifier: MIT
/*
 * Hand-written rings (conf_drv.h): a check that must put something on a ring
 * the ring driver engine would never write (a head out of range, heads
 * prepared beyond avail idx, stale packed descriptors of the previous lap, a
 * WRITE flag on an indirect pointer, descriptors made available out of slot
 * order) writes the split or packed layout itself (virtio 1.3 2.7, 2.8),
 * little-endian, through guest memory.  Nothing here is reported to the
 * observer: it infers the driver's writes from what the device reads.
 */
#include "conformance/conf_drv.h"

#include <errno.h>
#include <string.h>

/* Split layout offsets (virtio 1.3 2.7.5, 2.7.6, 2.7.8). */
#define S_DESC_SZ 16u
#define S_AVAIL_FLAGS 0u
#define S_AVAIL_IDX 2u
#define S_AVAIL_RING 4u
#define S_USED_FLAGS 0u
#define S_USED_IDX 2u
#define S_USED_RING 4u
#define S_USED_ELEM 8u
/* Packed descriptor (virtio 1.3 2.8.13): addr 0, len 8, id 12, flags 14. */
#define P_DESC_SZ 16u

static void put16(struct conf_ctx *ctx, uint64_t a, uint16_t v)
{
	uint8_t b[2];

	vq_put_le16(b, v);
	conf_gwrite(ctx, a, b, 2);
}

static uint16_t get16(struct conf_ctx *ctx, uint64_t a)
{
	uint8_t b[2] = { 0, 0 };

	conf_gread(ctx, a, b, 2);
	return vq_le16(b);
}

static uint32_t get32(struct conf_ctx *ctx, uint64_t a)
{
	uint8_t b[4] = { 0 };

	conf_gread(ctx, a, b, 4);
	return vq_le32(b);
}

static void put_desc(struct conf_ctx *ctx, uint64_t at, uint64_t addr, uint32_t len, uint16_t a,
		     uint16_t b)
{
	uint8_t d[16];

	vq_put_le64(d, addr);
	vq_put_le32(d + 8, len);
	vq_put_le16(d + 12, a);
	vq_put_le16(d + 14, b);
	conf_gwrite(ctx, at, d, sizeof(d));
}

void conf_raw_reset(struct conf_ctx *ctx, uint16_t qid)
{
	struct conf_vq *vq = &ctx->vq[qid % CONF_MAX_VQ];

	vq->r_avail = vq->r_used = vq->r_next = 0;
	vq->r_wrap = vq->r_used_wrap = true;
}

/* ---- split --------------------------------------------------------------------------------------- */

int conf_raw_split_add(struct conf_ctx *ctx, uint16_t qid, const struct conf_rdesc *d,
		       unsigned n, bool publish)
{
	struct conf_vq *vq = &ctx->vq[qid % CONF_MAX_VQ];
	uint16_t head = vq->r_next;

	if (!n || n > vq->size)
		return -ENOSPC;
	for (unsigned i = 0; i < n; i++) {
		uint16_t slot = (uint16_t)((head + i) % vq->size);
		uint16_t next = (uint16_t)((slot + 1) % vq->size);
		uint16_t flags = d[i].flags;

		if (i + 1 < n)
			flags |= VRING_DESC_F_NEXT;
		put_desc(ctx, vq->desc + (uint64_t)slot * S_DESC_SZ, d[i].addr, d[i].len, flags,
			 i + 1 < n ? next : 0);
	}
	vq->r_next = (uint16_t)((head + n) % vq->size);
	conf_raw_split_avail_entry(ctx, qid, vq->r_avail, head);
	vq->r_avail++;
	if (publish)
		conf_raw_split_avail_idx(ctx, qid, vq->r_avail);
	return head;
}

void conf_raw_split_avail_entry(struct conf_ctx *ctx, uint16_t qid, uint16_t pos, uint16_t head)
{
	struct conf_vq *vq = &ctx->vq[qid % CONF_MAX_VQ];

	put16(ctx, vq->driver + S_AVAIL_RING + 2u * (pos % vq->size), head);
}

void conf_raw_split_avail_idx(struct conf_ctx *ctx, uint16_t qid, uint16_t idx)
{
	put16(ctx, ctx->vq[qid % CONF_MAX_VQ].driver + S_AVAIL_IDX, idx);
}

void conf_raw_split_avail_flags(struct conf_ctx *ctx, uint16_t qid, uint16_t flags)
{
	put16(ctx, ctx->vq[qid % CONF_MAX_VQ].driver + S_AVAIL_FLAGS, flags);
}

void conf_raw_split_used_event(struct conf_ctx *ctx, uint16_t qid, uint16_t ev)
{
	struct conf_vq *vq = &ctx->vq[qid % CONF_MAX_VQ];

	/* virtio 1.3 2.7.6: used_event follows the available ring */
	put16(ctx, vq->driver + S_AVAIL_RING + 2u * vq->size, ev);
}

uint16_t conf_raw_split_used_idx(struct conf_ctx *ctx, uint16_t qid)
{
	return get16(ctx, ctx->vq[qid % CONF_MAX_VQ].device + S_USED_IDX);
}

uint16_t conf_raw_split_used_flags(struct conf_ctx *ctx, uint16_t qid)
{
	return get16(ctx, ctx->vq[qid % CONF_MAX_VQ].device + S_USED_FLAGS);
}

/* ---- packed -------------------------------------------------------------------------------------- */

uint16_t conf_raw_packed_avail_bits(bool w)
{
	/* virtio 1.3 2.8.1: AVAIL = wrap counter, USED = its inverse */
	return (uint16_t)(w ? 1u << VRING_PACKED_DESC_F_AVAIL : 1u << VRING_PACKED_DESC_F_USED);
}

void conf_raw_packed_desc(struct conf_ctx *ctx, uint16_t qid, uint16_t slot,
			  const struct conf_rdesc *d, uint16_t id, uint16_t flags)
{
	struct conf_vq *vq = &ctx->vq[qid % CONF_MAX_VQ];

	put_desc(ctx, vq->desc + (uint64_t)(slot % vq->size) * P_DESC_SZ, d->addr, d->len, id,
		 flags);
}

void conf_raw_packed_publish(struct conf_ctx *ctx, uint16_t qid, uint16_t slot, uint16_t flags)
{
	struct conf_vq *vq = &ctx->vq[qid % CONF_MAX_VQ];

	put16(ctx, vq->desc + (uint64_t)(slot % vq->size) * P_DESC_SZ + 14, flags);
}

int conf_raw_packed_add(struct conf_ctx *ctx, uint16_t qid, const struct conf_rdesc *d,
			unsigned n, uint16_t id, bool publish)
{
	struct conf_vq *vq = &ctx->vq[qid % CONF_MAX_VQ];
	uint16_t head = vq->r_next, head_flags = 0;

	if (!n || n > vq->size)
		return -ENOSPC;
	/* the rest of the list first, the head's flags last (virtio 1.3 2.8.21) */
	for (unsigned i = 0; i < n; i++) {
		uint16_t flags = (uint16_t)(d[i].flags | conf_raw_packed_avail_bits(vq->r_wrap));

		if (i + 1 < n)
			flags |= VRING_DESC_F_NEXT;
		if (i == 0) {
			head_flags = flags;
			conf_raw_packed_desc(ctx, qid, vq->r_next, &d[i], id,
					     conf_raw_packed_avail_bits(!vq->r_wrap) |
						     (uint16_t)(flags & ~(uint16_t)(1u << 7 | 1u << 15)));
		} else {
			conf_raw_packed_desc(ctx, qid, vq->r_next, &d[i], id, flags);
		}
		if (++vq->r_next == vq->size) {
			vq->r_next = 0;
			vq->r_wrap = !vq->r_wrap;
		}
	}
	if (publish)
		conf_raw_packed_publish(ctx, qid, head, head_flags);
	return head;
}

int conf_raw_used(struct conf_ctx *ctx, uint16_t qid, uint16_t *id, uint32_t *len)
{
	struct conf_vq *vq = &ctx->vq[qid % CONF_MAX_VQ];

	if (!vq->live || !vq->raw)
		return 0;
	if (!(vq->features & CONF_F(VIRTIO_F_RING_PACKED))) {
		uint64_t e;

		if (conf_raw_split_used_idx(ctx, qid) == vq->r_used)
			return 0;
		e = vq->device + S_USED_RING + (uint64_t)(vq->r_used % vq->size) * S_USED_ELEM;
		*id = (uint16_t)get32(ctx, e);
		*len = get32(ctx, e + 4);
		vq->r_used++;
		return 1;
	}
	{
		uint64_t at = vq->desc + (uint64_t)vq->r_used * P_DESC_SZ;
		uint16_t flags = get16(ctx, at + 14);
		bool avail = flags & (1u << VRING_PACKED_DESC_F_AVAIL);
		bool used = flags & (1u << VRING_PACKED_DESC_F_USED);
		uint16_t skip = 1;

		/* virtio 1.3 2.8.1: used when both bits equal the used wrap counter */
		if (avail != used || used != vq->r_used_wrap)
			return 0;
		*id = get16(ctx, at + 12);
		*len = get32(ctx, at + 8);
		/* the lists this suite writes by hand are one descriptor unless told */
		vq->r_used = (uint16_t)(vq->r_used + skip);
		if (vq->r_used >= vq->size) {
			vq->r_used = (uint16_t)(vq->r_used - vq->size);
			vq->r_used_wrap = !vq->r_used_wrap;
		}
		return 1;
	}
}
