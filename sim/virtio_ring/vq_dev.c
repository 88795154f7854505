// SPDX-License-Identifier: MIT
/*
 * Device-side ring engine, the parts both layouts share: creation, the
 * latched broken state, chain building, buffer copies and used staging.
 * The layout-specific halves are vq_dev_split.c and vq_dev_packed.c.
 */
#include "sim/virtio_ring/vq_internal.h"

#include <stdlib.h>
#include <string.h>

VQ_COLD void vq_dev_latch(struct vq_dev *d, enum vq_violation v)
{
	if (!d->broken) {
		d->broken = true;
		d->violation = v;
	}
}

void vq_dev_warn(struct vq_dev *d, enum vq_violation v)
{
	d->warning = v;
	d->nwarn++;
}

static void dev_set_start(struct vq_dev *d, const struct vq_state *start)
{
	struct vq_state st;

	if (start)
		st = *start;
	else
		vq_state_init(&st);
	d->broken = false;
	d->violation = VQ_V_NONE;
	d->notify_off = false;
	d->notify_known = false;
	d->last_avail = d->avail_seen = st.avail_idx;
	d->used_idx = d->signalled = st.used_idx;
	d->ac_n = 0;
	d->apos = (uint16_t)(st.avail_idx % d->num);
	d->awrap = st.avail_wrap;
	d->upos = (uint16_t)(st.used_idx % d->num);
	d->uwrap = st.used_wrap;
	d->sig_pos = vq_ppos(d->num, d->upos, d->uwrap);
	d->dc_n = 0;
	d->inflight = 0;
	d->fifo_head = d->fifo_n = 0;
	d->nstage = 0;
}

int vq_dev_create(struct vq_dev **out, const struct vq_config *cfg, const struct vq_mem *mem,
		  const struct vq_state *start)
{
	struct vq_dev *d;
	int r = vq_config_check(cfg);

	*out = NULL;
	if (r)
		return r;
	if (!mem || !mem->read || !mem->write)
		return -EINVAL;
	if (vq_cfg_packed(cfg) && start &&
	    (start->avail_idx >= cfg->num || start->used_idx >= cfg->num))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	vq_io_init(&d->io, mem, cfg, VQ_ACTOR_DEVICE);
	d->num = cfg->num;
	d->packed = vq_cfg_packed(cfg);
	d->event_idx = vq_feat(cfg->features, VIRTIO_RING_F_EVENT_IDX);
	d->indirect = vq_feat(cfg->features, VIRTIO_RING_F_INDIRECT_DESC);
	d->in_order = vq_feat(cfg->features, VIRTIO_F_IN_ORDER);
	d->fifo = calloc(d->num, sizeof(*d->fifo));
	d->stage = calloc(d->num, sizeof(*d->stage));
	d->scratch = calloc(d->num, 16);
	if (!d->fifo || !d->stage || !d->scratch) {
		vq_dev_free(d);
		return -ENOMEM;
	}
	dev_set_start(d, start);
	*out = d;
	return 0;
}

void vq_dev_free(struct vq_dev *d)
{
	if (!d)
		return;
	free(d->fifo);
	free(d->stage);
	free(d->scratch);
	free(d->ind);
	free(d);
}

void vq_dev_set_observer(struct vq_dev *d, struct vq_obs *obs)
{
	d->io.obs = obs;
}

void vq_dev_reset(struct vq_dev *d, const struct vq_state *start)
{
	dev_set_start(d, start);
}

void vq_dev_get_state(const struct vq_dev *d, struct vq_state *st)
{
	if (d->packed) {
		st->avail_idx = d->apos;
		st->avail_wrap = d->awrap;
		st->used_idx = d->upos;
		st->used_wrap = d->uwrap;
	} else {
		st->avail_idx = d->last_avail;
		st->used_idx = d->used_idx;
		st->avail_wrap = st->used_wrap = true;
	}
}

uint32_t vq_dev_inflight(const struct vq_dev *d)
{
	return d->inflight;
}

bool vq_dev_broken(const struct vq_dev *d)
{
	return d->broken;
}

enum vq_violation vq_dev_violation(const struct vq_dev *d)
{
	return d->violation;
}

enum vq_violation vq_dev_last_warning(const struct vq_dev *d, uint32_t *count)
{
	if (count)
		*count = d->nwarn;
	return d->warning;
}

int vq_dev_read_table(struct vq_dev *d, uint64_t addr, uint32_t len, int32_t chain)
{
	if (len > d->ind_cap) {
		uint8_t *p = realloc(d->ind, len);

		if (!p)
			return -ENOMEM;
		d->ind = p;
		d->ind_cap = len;
	}
	/* one accessor call for the whole table */
	if (vq_rd(&d->io.mem, d->io.obs, VQ_ACTOR_DEVICE, VQ_K_INDIRECT, addr, d->ind, len, chain))
		return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
	return 0;
}

/* ---- Public entry points ---------------------------------------------------- */
int vq_dev_fetch(struct vq_dev *d, struct vq_chain *c)
{
	if (d->broken)
		return -EIO;
	if (d->inflight >= d->num)
		return 0; /* every descriptor is already with us */
	return d->packed ? vq_packed_dev_fetch(d, c) : vq_split_dev_fetch(d, c);
}

bool vq_dev_pending(struct vq_dev *d)
{
	if (d->broken || d->inflight >= d->num)
		return false;
	return d->packed ? vq_packed_dev_pending(d) : vq_split_dev_pending(d);
}

/* Copy between the chain's part (readable or writable) and dst/src. */
static int dev_copy(struct vq_dev *d, const struct vq_chain *c, uint32_t off, void *buf,
		    uint32_t len, bool write)
{
	uint32_t first = write ? c->nout : 0, end = write ? c->nseg : c->nout;
	uint32_t total = write ? c->in_len : c->out_len;
	uint8_t *p = buf;

	if (d->broken)
		return -EIO;
	if (c->nseg == 0 || off > total || len > total - off)
		return -EINVAL;
	for (uint32_t i = first; i < end && len; i++) {
		const struct vq_seg *s = &c->seg[i];
		uint32_t n;
		int r;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off < len ? s->len - off : len;
		if (write)
			r = vq_wr(&d->io.mem, d->io.obs, VQ_ACTOR_DEVICE, VQ_K_BUFFER,
				  s->addr + off, p, n, c->id);
		else
			r = vq_rd(&d->io.mem, d->io.obs, VQ_ACTOR_DEVICE, VQ_K_BUFFER,
				  s->addr + off, p, n, c->id);
		if (r)
			return vq_dev_bad(d, VQ_V_ACCESS_FAULT);
		p += n;
		len -= n;
		off = 0;
	}
	return 0;
}

int vq_dev_read(struct vq_dev *d, const struct vq_chain *c, uint32_t off, void *dst, uint32_t len)
{
	return dev_copy(d, c, off, dst, len, false);
}

int vq_dev_write(struct vq_dev *d, const struct vq_chain *c, uint32_t off, const void *src,
		 uint32_t len)
{
	return dev_copy(d, c, off, (void *)src, len, true);
}

/* virtio 1.3 2.7.9 / 2.8.8: with IN_ORDER, used in the order made available */
static VQ_NOINLINE int dev_push_in_order(struct vq_dev *d, const struct vq_chain *c)
{
	if (d->fifo[d->fifo_head].id != c->id)
		return -EINVAL;
	d->fifo_head = vq_ring_add(d->fifo_head, 1, d->num);
	d->fifo_n--;
	return 0;
}

int vq_dev_push(struct vq_dev *d, const struct vq_chain *c, uint32_t len)
{
	struct vq_dev_stage *s;

	if (d->broken)
		return -EIO;
	if (d->inflight == 0 || d->nstage >= d->num || c->ndesc == 0)
		return -EINVAL;
	if (d->in_order && dev_push_in_order(d, c))
		return -EINVAL;
	s = &d->stage[d->nstage++];
	s->id = c->id;
	s->ndesc = c->ndesc;
	s->len = len;
	s->in_len = c->in_len;
	d->inflight--;
	return 0;
}

int vq_dev_flush(struct vq_dev *d)
{
	int r;

	if (d->broken)
		return -EIO;
	if (d->nstage == 0)
		return 0;
	r = d->packed ? vq_packed_dev_flush(d) : vq_split_dev_flush(d);
	d->nstage = 0;
	return r;
}

int vq_dev_need_interrupt(struct vq_dev *d)
{
	if (d->broken)
		return -EIO;
	return d->packed ? vq_packed_dev_need_interrupt(d) : vq_split_dev_need_interrupt(d);
}

void vq_dev_disable_notify(struct vq_dev *d)
{
	if (d->broken)
		return;
	if (d->packed)
		vq_packed_dev_set_notify(d, false);
	else
		vq_split_dev_set_notify(d, false);
}

bool vq_dev_enable_notify(struct vq_dev *d)
{
	if (d->broken)
		return false;
	if (d->packed)
		vq_packed_dev_set_notify(d, true);
	else
		vq_split_dev_set_notify(d, true);
	return vq_dev_pending(d);
}
