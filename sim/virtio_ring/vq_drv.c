// SPDX-License-Identifier: MIT
/*
 * Driver-side ring engine, the parts both layouts share: creation, indirect
 * table building, releasing buffers, detach and per-queue reset.  The layout
 * halves are vq_drv_split.c and vq_drv_packed.c.
 */
#include "sim/virtio_ring/vq_internal.h"

#include <stdlib.h>
#include <string.h>

VQ_COLD void vq_drv_latch(struct vq_drv *d, enum vq_violation v)
{
	if (!d->broken) {
		d->broken = true;
		d->violation = v;
	}
}

static void drv_free_arrays(struct vq_drv *d)
{
	free(d->buf);
	free(d->fifo);
	free(d->scratch);
	free(d->next);
	free(d->aring);
	free(d->free_ids);
	free(d->staged);
}

/* (Re)initialise ring memory and indices; these writes are not observed:
 * the queue is not live while the driver sets it up. */
static int drv_init(struct vq_drv *d, const struct vq_state *start)
{
	struct vq_state st;
	struct vq_obs *obs = d->io.obs;
	int r;

	if (start)
		st = *start;
	else
		vq_state_init(&st);
	if (st.avail_idx != st.used_idx || (d->packed && st.avail_wrap != st.used_wrap))
		return -EINVAL; /* a driver starts with nothing in flight */
	if (d->packed && st.avail_idx >= d->num)
		return -EINVAL;
	d->broken = false;
	d->violation = VQ_V_NONE;
	d->inflight = 0;
	d->num_free = d->num;
	d->fifo_head = d->fifo_n = 0;
	d->batch_id = -1;
	d->cb_disabled = false;
	d->io.obs = NULL;
	r = d->packed ? vq_packed_drv_init_ring(d, &st) : vq_split_drv_init_ring(d, &st);
	d->io.obs = obs;
	return r;
}

int vq_drv_create(struct vq_drv **out, const struct vq_config *cfg, const struct vq_mem *mem,
		  const struct vq_state *start)
{
	struct vq_drv *d;
	int r = vq_config_check(cfg);

	*out = NULL;
	if (r)
		return r;
	if (!mem || !mem->read || !mem->write)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	vq_io_init(&d->io, mem, cfg, VQ_ACTOR_DRIVER);
	d->num = cfg->num;
	d->packed = vq_cfg_packed(cfg);
	d->event_idx = vq_feat(cfg->features, VIRTIO_RING_F_EVENT_IDX);
	d->indirect_feat = vq_feat(cfg->features, VIRTIO_RING_F_INDIRECT_DESC);
	d->in_order = vq_feat(cfg->features, VIRTIO_F_IN_ORDER);
	d->buf = calloc(d->num, sizeof(*d->buf));
	d->fifo = calloc(d->num, sizeof(*d->fifo));
	d->scratch = calloc(d->num, 16);
	if (d->packed) {
		d->free_ids = calloc(d->num, sizeof(*d->free_ids));
		d->staged = calloc(d->num, sizeof(*d->staged));
	} else {
		d->next = calloc(d->num, sizeof(*d->next));
		d->aring = calloc(d->num, sizeof(*d->aring));
	}
	if (!d->buf || !d->fifo || !d->scratch ||
	    (d->packed ? !d->free_ids || !d->staged : !d->next || !d->aring)) {
		r = -ENOMEM;
		goto fail;
	}
	r = drv_init(d, start);
	if (r)
		goto fail;
	*out = d;
	return 0;
fail:
	drv_free_arrays(d);
	free(d);
	return r;
}

void vq_drv_free(struct vq_drv *d)
{
	if (!d)
		return;
	while (vq_drv_detach_unused(d))
		;
	drv_free_arrays(d);
	free(d);
}

void vq_drv_set_observer(struct vq_drv *d, struct vq_obs *obs)
{
	d->io.obs = obs;
}

void vq_drv_set_indirect(struct vq_drv *d, const struct vq_indirect_ops *ops, uint32_t min_segs)
{
	if (ops)
		d->ind_ops = *ops;
	else
		memset(&d->ind_ops, 0, sizeof(d->ind_ops));
	d->ind_min = ops ? min_segs : 0;
}

/* Write an indirect table for sg (split: entries chained by next in order,
 * which IN_ORDER requires anyway; packed: sequential, WRITE the only flag). */
static int drv_write_table(struct vq_drv *d, uint64_t addr, const struct vq_seg *sg,
			   uint32_t nout, uint32_t total)
{
	size_t bytes = (size_t)total * 16;
	uint8_t *t = d->scratch; /* num * 16 bytes, total <= num */

	for (uint32_t i = 0; i < total; i++) {
		uint8_t *e = t + (size_t)16 * i;
		uint16_t flags = i >= nout ? VRING_DESC_F_WRITE : 0;

		if (d->packed) {
			vq_put_le64(e + VQ_PD_ADDR, sg[i].addr);
			vq_put_le32(e + VQ_PD_LEN, sg[i].len);
			vq_put_le16(e + VQ_PD_ID, 0);
			vq_put_le16(e + VQ_PD_FLAGS, flags);
		} else {
			if (i + 1 < total)
				flags |= VRING_DESC_F_NEXT;
			vq_put_le64(e + VQ_D_ADDR, sg[i].addr);
			vq_put_le32(e + VQ_D_LEN, sg[i].len);
			vq_put_le16(e + VQ_D_FLAGS, flags);
			vq_put_le16(e + VQ_D_NEXT, (uint16_t)(i + 1 < total ? i + 1 : 0));
		}
	}
	return vq_wr(&d->io.mem, d->io.obs, VQ_ACTOR_DRIVER, VQ_K_INDIRECT, addr, t,
		     (uint32_t)bytes, VQ_NO_CHAIN);
}

int vq_drv_add_indirect(struct vq_drv *d, const struct vq_seg *sg, uint32_t nout, uint32_t total,
			void *token, uint32_t in_len)
{
	uint32_t bytes = total * 16;
	uint64_t addr = 0;
	int r;

	if (d->num_free < 1)
		return -ENOSPC;
	r = d->ind_ops.alloc(d->ind_ops.ctx, bytes, &addr);
	if (r)
		return r;
	r = drv_write_table(d, addr, sg, nout, total);
	if (!r)
		r = d->packed ? vq_packed_drv_add_ind(d, token, in_len, addr, bytes)
			      : vq_split_drv_add_ind(d, token, in_len, addr, bytes);
	if (r && d->ind_ops.free)
		d->ind_ops.free(d->ind_ops.ctx, addr, bytes);
	return r;
}

/* Checks, descriptor writes and bookkeeping are the layout's, in one call. */
int vq_drv_add(struct vq_drv *d, const struct vq_seg *sg, uint32_t nout, uint32_t nin,
	       void *token)
{
	return d->packed ? vq_packed_drv_add(d, sg, nout, nin, token)
			 : vq_split_drv_add(d, sg, nout, nin, token);
}

int vq_drv_publish(struct vq_drv *d)
{
	if (d->broken)
		return -EIO;
	return d->packed ? vq_packed_drv_publish(d) : vq_split_drv_publish(d);
}

int vq_drv_kick_prepare(struct vq_drv *d)
{
	if (d->broken)
		return -EIO;
	return d->packed ? vq_packed_drv_kick_prepare(d) : vq_split_drv_kick_prepare(d);
}

uint16_t vq_drv_notify_data(const struct vq_drv *d)
{
	if (!d->packed)
		return d->avail_pub; /* next_off = idx & 0x7fff, next_wrap = bit 15 (2.9) */
	if (d->nstaged)
		return (uint16_t)(d->staged[0].slot | (d->staged[0].wrap ? 0x8000 : 0));
	return (uint16_t)(d->next_avail | (d->avail_wrap ? 0x8000 : 0));
}

int vq_drv_get_used(struct vq_drv *d, void **token, uint32_t *len)
{
	if (d->broken)
		return -EIO;
	return d->packed ? vq_packed_drv_get_used(d, token, len)
			 : vq_split_drv_get_used(d, token, len);
}

bool vq_drv_more_used(struct vq_drv *d)
{
	if (d->broken)
		return false;
	return d->packed ? vq_packed_drv_more_used(d) : vq_split_drv_more_used(d);
}

void vq_drv_disable_cb(struct vq_drv *d)
{
	if (d->broken)
		return;
	if (d->packed)
		vq_packed_drv_disable_cb(d);
	else
		vq_split_drv_disable_cb(d);
}

bool vq_drv_enable_cb(struct vq_drv *d)
{
	if (d->broken)
		return true;
	return d->packed ? vq_packed_drv_enable_cb(d, false) : vq_split_drv_enable_cb(d, false);
}

bool vq_drv_enable_cb_delayed(struct vq_drv *d)
{
	if (d->broken)
		return true;
	return d->packed ? vq_packed_drv_enable_cb(d, true) : vq_split_drv_enable_cb(d, true);
}

void *vq_drv_detach_unused(struct vq_drv *d)
{
	/* queued buffers were never exposed: forget their ring entries first */
	if (d->packed) {
		if (d->nstaged) {
			d->next_avail = d->staged[0].slot;
			d->avail_wrap = d->staged[0].wrap;
			d->nstaged = 0;
		}
	} else {
		d->avail_idx = d->avail_pub;
	}
	for (uint32_t id = 0; id < d->num; id++) {
		if (d->buf[id].state != VQ_BUF_FREE) {
			void *t = d->buf[id].token;

			vq_drv_release(d, (uint16_t)id);
			if (d->inflight == 0) {
				d->fifo_head = d->fifo_n = 0;
				d->batch_id = -1;
			}
			return t;
		}
	}
	return NULL;
}

int vq_drv_reset(struct vq_drv *d, void (*recycle)(void *ctx, void *token), void *ctx,
		 const struct vq_state *start)
{
	void *t;

	while ((t = vq_drv_detach_unused(d)))
		if (recycle)
			recycle(ctx, t);
	return drv_init(d, start);
}

uint32_t vq_drv_num_free(const struct vq_drv *d)
{
	return d->num_free;
}

uint32_t vq_drv_inflight(const struct vq_drv *d)
{
	return d->inflight;
}

bool vq_drv_broken(const struct vq_drv *d)
{
	return d->broken;
}

enum vq_violation vq_drv_violation(const struct vq_drv *d)
{
	return d->violation;
}
