// SPDX-License-Identifier: MIT
/*
 * The ring observer, the parts both layouts share: creation, the violation
 * log, chain records, buffer checks for device DMA outside the ring areas and
 * the notification bookkeeping.  Layout rules live in vq_obs_split.c and
 * vq_obs_packed.c.
 */
#include "sim/virtio_ring/vq_obs_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Log -------------------------------------------------------------------- */
void vq_obs_log(struct vq_obs *o, enum vq_rule r, uint64_t addr, uint32_t index, uint32_t value)
{
	const struct vq_rule_info *ri = vq_rule_info(r);
	struct vq_obs_event ev = { o->seq, r, ri->actor, addr, index, value };

	o->total++;
	o->level_count[ri->level]++;
	o->rule_count[r]++;
	if (o->log_n < o->log_cap)
		o->log[o->log_n++] = ev;
	if (o->cb)
		o->cb(o->cb_ctx, &ev);
}

void vq_obs_set_callback(struct vq_obs *o, void (*fn)(void *ctx, const struct vq_obs_event *ev),
			 void *ctx)
{
	o->cb = fn;
	o->cb_ctx = ctx;
}

uint64_t vq_obs_count(const struct vq_obs *o)
{
	return o->total;
}

uint64_t vq_obs_count_level(const struct vq_obs *o, enum vq_level level)
{
	return (unsigned)level < 2 ? o->level_count[level] : 0;
}

uint64_t vq_obs_rule_count(const struct vq_obs *o, enum vq_rule r)
{
	return (unsigned)r < VQ_R_COUNT ? o->rule_count[r] : 0;
}

size_t vq_obs_events(const struct vq_obs *o, const struct vq_obs_event **events)
{
	*events = o->log;
	return o->log_n;
}

int vq_obs_format(const struct vq_obs_event *ev, char *buf, size_t len)
{
	const struct vq_rule_info *ri = vq_rule_info(ev->rule);

	return snprintf(buf, len, "%s %s seq=%" PRIu64 " addr=0x%" PRIx64 " index=%u value=%u",
			ri ? ri->id : "?", ev->actor == VQ_ACTOR_DRIVER ? "driver" : "device",
			ev->seq, ev->addr, ev->index, ev->value);
}

void vq_obs_clear(struct vq_obs *o)
{
	o->log_n = 0;
	o->total = 0;
	memset(o->level_count, 0, sizeof(o->level_count));
	memset(o->rule_count, 0, sizeof(o->rule_count));
}

/* ---- Chain records ---------------------------------------------------------------- */
void vq_obs_chain_start(struct vq_obs *o, struct obs_chain *c, uint16_t id, uint32_t pos)
{
	c->live = true;
	c->partial = c->resume = c->ind_pending = c->bad = c->writable_seen = false;
	c->id = id;
	c->pos = pos;
	c->ndesc = 0;
	c->out_len = c->in_len = c->written = 0;
	c->nseg = c->nslot = 0;
	c->ind_addr = 0;
	c->ind_len = c->ind_seen = 0;
	o->inflight++;
}

void vq_obs_chain_release(struct vq_obs *o, struct obs_chain *c)
{
	if (!c->live)
		return;
	if (!o->packed)
		for (uint32_t i = 0; i < c->nslot; i++)
			if (o->downer[c->slot[i]] == c->id + 1u)
				o->downer[c->slot[i]] = 0;
	if (c->partial)
		o->npartial--;
	c->live = false;
	c->partial = false;
	o->inflight--;
}

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t n = *cap ? *cap : 4;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, (size_t)n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

void vq_obs_chain_seg(struct vq_obs *o, struct obs_chain *c, uint64_t addr, uint32_t len,
		      bool write, enum vq_rule rw_rule, enum vq_rule len_rule)
{
	if (!write && c->writable_seen)
		vq_obs_log(o, rw_rule, addr, c->id, c->nseg);
	if (write) {
		c->writable_seen = true;
		c->in_len += len;
	} else {
		c->out_len += len;
	}
	if (c->out_len + c->in_len > UINT32_MAX && c->out_len + c->in_len - len <= UINT32_MAX)
		vq_obs_log(o, len_rule, addr, c->id, len);
	if (c->nseg >= c->seg_cap &&
	    grow((void **)&c->seg, &c->seg_cap, c->nseg + 1, sizeof(*c->seg))) {
		c->bad = true; /* cannot follow it: stop judging its buffers */
		return;
	}
	c->seg[c->nseg].addr = addr;
	c->seg[c->nseg].len = len;
	c->seg[c->nseg].write = write;
	c->nseg++;
}

int vq_obs_chain_slot(struct obs_chain *c, uint16_t slot)
{
	if (c->nslot >= c->slot_cap &&
	    grow((void **)&c->slot, &c->slot_cap, c->nslot + 1, sizeof(*c->slot)))
		return -ENOMEM;
	c->slot[c->nslot++] = slot;
	return 0;
}

void vq_obs_fifo_push(struct vq_obs *o, uint16_t idx)
{
	if (o->fifo_n < o->num)
		o->fifo[vq_ring_add(o->fifo_head, o->fifo_n++, o->num)] = idx;
}

/* ---- Device DMA outside the ring areas ---------------------------------------------- */
static struct obs_chain *chain_by_id(struct vq_obs *o, int32_t id)
{
	if (o->packed)
		return vq_obs_packed_by_id(o, id);
	if (id < 0 || (uint32_t)id >= o->num || !o->ch[id].live)
		return NULL;
	return &o->ch[id];
}

static bool in_range(uint64_t a, uint64_t base, uint64_t len)
{
	return a >= base && a - base < len;
}

static const struct obs_seg *find_seg(const struct obs_chain *c, uint64_t a)
{
	for (uint32_t i = 0; i < c->nseg; i++)
		if (in_range(a, c->seg[i].addr, c->seg[i].len))
			return &c->seg[i];
	return NULL;
}

/* Who owns this address?  Linear: only raw DMA of a foreign device gets here. */
static struct obs_chain *chain_by_addr(struct vq_obs *o, uint64_t a, bool *lenient)
{
	*lenient = false;
	for (uint32_t i = 0; i < o->num; i++) {
		struct obs_chain *c = &o->ch[i];

		if (!c->live)
			continue;
		if (c->partial || c->ind_pending || c->bad)
			*lenient = true;
		if ((c->ind_len && in_range(a, c->ind_addr, c->ind_len)) || find_seg(c, a))
			return c;
	}
	return NULL;
}

static void table_read(struct vq_obs *o, struct obs_chain *c, uint64_t addr, uint32_t len,
		       const uint8_t *data)
{
	uint64_t off = addr - c->ind_addr;

	if (!c->ind_pending)
		return;
	if (len > c->ind_len - off)
		len = (uint32_t)(c->ind_len - off);
	if (grow((void **)&c->ind_copy, &c->ind_cap, c->ind_len, 1)) {
		c->ind_pending = false;
		c->bad = true;
		return;
	}
	memcpy(c->ind_copy + off, data, len);
	/* parse once the table has been read from its start to its end */
	if (off <= c->ind_seen && off + len > c->ind_seen)
		c->ind_seen = (uint32_t)(off + len);
	if (c->ind_seen < c->ind_len)
		return;
	c->ind_pending = false;
	if (o->packed)
		vq_obs_packed_parse_table(o, c);
	else
		vq_obs_split_parse_table(o, c);
}

void vq_obs_device_mem(struct vq_obs *o, const struct vq_access *a, uint64_t addr, uint32_t len,
		    const uint8_t *data)
{
	enum vq_rule outside = o->packed ? VQ_R_PACKED_DEV_V01 : VQ_R_SPLIT_DEV_V02;
	enum vq_rule wr_ro = o->packed ? VQ_R_PACKED_DEV_04 : VQ_R_SPLIT_DEV_03;
	enum vq_rule rd_wo = o->packed ? VQ_R_PACKED_DEV_05 : VQ_R_SPLIT_DEV_04;
	bool strict = a->kind == VQ_K_BUFFER || a->kind == VQ_K_INDIRECT, lenient = false;
	struct obs_chain *c;
	uint64_t p = addr, end = addr + len;

	if (a->chain != VQ_NO_CHAIN) {
		c = chain_by_id(o, a->chain);
		if (!c) {
			if (strict)
				vq_obs_log(o, outside, addr, (uint32_t)a->chain, len);
			return;
		}
	} else {
		c = chain_by_addr(o, addr, &lenient);
		if (!c) {
			if (strict && !lenient)
				vq_obs_log(o, outside, addr, 0, len);
			return;
		}
	}
	if (c->ind_len && in_range(addr, c->ind_addr, c->ind_len)) {
		if (a->write)
			vq_obs_log(o, o->packed ? VQ_R_PACKED_DEV_04 : VQ_R_SPLIT_DEV_06, addr,
				   c->id, len);
		else
			table_read(o, c, addr, len, data);
		return;
	}
	while (p < end) {
		const struct obs_seg *s = find_seg(c, p);
		uint64_t n;

		if (!s) {
			if (!c->partial && !c->ind_pending && !c->bad)
				vq_obs_log(o, outside, p, c->id, (uint32_t)(end - p));
			return;
		}
		n = (s->addr + s->len < end ? s->addr + s->len : end) - p;
		if (a->write && !s->write)
			vq_obs_log(o, wr_ro, p, c->id, (uint32_t)n);
		else if (!a->write && s->write)
			vq_obs_log(o, rd_wo, p, c->id, (uint32_t)n);
		if (a->write && s->write)
			c->written += n;
		p += n;
	}
}

/* ---- Notifications -------------------------------------------------------------------- */
void vq_obs_published(struct obs_notif *n, bool need, uint32_t at, enum vq_rule missing)
{
	n->since = true;
	if (need) {
		n->owed = true;
		n->owed_at = at;
		n->missing = missing;
		n->justified = true;
	}
}

static uint32_t kick_point(const struct vq_obs *o)
{
	return o->packed ? o->drv_pos : o->avail_pub;
}

static uint32_t irq_point(const struct vq_obs *o)
{
	return o->packed ? o->used_pos : o->used_pub;
}

void vq_obs_notify(struct vq_obs *o, enum vq_actor who)
{
	struct obs_notif *n = who == VQ_ACTOR_DRIVER ? &o->kick : &o->irq;
	uint32_t now = who == VQ_ACTOR_DRIVER ? kick_point(o) : irq_point(o);

	o->seq++;
	/*
	 * A notification after new buffers is justified if some publish asked
	 * for it, or if the suppression state now asks for it over everything
	 * since the previous one (a driver may batch, like Linux).  Repeated
	 * notifications with nothing new are allowed (2.7.7.1, 2.8.16).
	 */
	if (n->since && !n->justified) {
		bool need;
		enum vq_rule r;

		if (who == VQ_ACTOR_DRIVER) {
			need = o->packed ? vq_obs_packed_kick_need(o, n->base, now)
					 : vq_obs_split_kick_need(o, n->base, now);
			r = o->packed ? VQ_R_PACKED_DRV_V01
			    : o->event_idx ? VQ_R_SPLIT_DRV_25 : VQ_R_SPLIT_DRV_21;
		} else {
			need = o->packed ? vq_obs_packed_irq_need(o, n->base, now)
					 : vq_obs_split_irq_need(o, n->base, now);
			if (o->packed)
				r = (vq_le16(o->drv_evt + VQ_PE_FLAGS) & 3) ==
						    VRING_PACKED_EVENT_FLAG_DISABLE
					    ? VQ_R_PACKED_DEV_X09
					    : VQ_R_PACKED_DEV_V03;
			else
				r = o->event_idx ? VQ_R_SPLIT_DEV_14 : VQ_R_SPLIT_DEV_10;
		}
		if (!need)
			vq_obs_log(o, r, 0, now, n->base);
	}
	n->owed = n->since = n->justified = false;
	n->base = now;
}

void vq_obs_sync(struct vq_obs *o)
{
	o->seq++;
	if (o->kick.owed) {
		vq_obs_log(o, o->kick.missing, 0, o->kick.owed_at, 0);
		o->kick.owed = false;
	}
	if (o->irq.owed) {
		vq_obs_log(o, o->irq.missing, 0, o->irq.owed_at, 0);
		o->irq.owed = false;
	}
}

/* ---- Creation and dispatch ---------------------------------------------------------------- */
static void obs_free_arrays(struct vq_obs *o)
{
	if (o->ch)
		for (uint32_t i = 0; i < o->num; i++) {
			free(o->ch[i].seg);
			free(o->ch[i].slot);
			free(o->ch[i].ind_copy);
		}
	free(o->ch);
	free(o->fifo);
	free(o->log);
	free(o->sdesc);
	free(o->savail);
	free(o->sused);
	free(o->dknown);
	free(o->downer);
	free(o->afresh);
	free(o->ufresh);
	free(o->pdesc);
	free(o->amark);
	free(o->umark);
	free(o->dfields);
	free(o->idmap);
	free(o->free_rec);
}

static int check_start(const struct vq_obs *o, const struct vq_state *st)
{
	if (!st)
		return 0;
	/* the observer starts with nothing in flight */
	if (st->avail_idx != st->used_idx)
		return -EINVAL;
	if (o->packed && (st->avail_wrap != st->used_wrap || st->avail_idx >= o->num))
		return -EINVAL;
	return 0;
}

int vq_obs_create(struct vq_obs **out, const struct vq_config *cfg, const struct vq_state *start,
		  uint32_t log_cap)
{
	struct vq_obs *o;
	uint32_t n = cfg->num;
	int r = vq_config_check(cfg);

	*out = NULL;
	if (r)
		return r;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->num = n;
	o->packed = vq_cfg_packed(cfg);
	o->event_idx = vq_feat(cfg->features, VIRTIO_RING_F_EVENT_IDX);
	o->indirect = vq_feat(cfg->features, VIRTIO_RING_F_INDIRECT_DESC);
	o->in_order = vq_feat(cfg->features, VIRTIO_F_IN_ORDER);
	o->area[OBS_DESC] = cfg->desc_addr;
	o->area[OBS_DRV] = cfg->driver_addr;
	o->area[OBS_DEV] = cfg->device_addr;
	o->area_len[OBS_DESC] = vq_desc_area_size(cfg);
	o->area_len[OBS_DRV] = vq_driver_area_size(cfg);
	o->area_len[OBS_DEV] = vq_device_area_size(cfg);
	r = check_start(o, start);
	if (r) {
		free(o);
		return r;
	}
	o->log_cap = log_cap ? log_cap : 256;
	o->log = calloc(o->log_cap, sizeof(*o->log));
	o->ch = calloc(n, sizeof(*o->ch));
	o->fifo = calloc(n, sizeof(*o->fifo));
	if (!o->log || !o->ch || !o->fifo)
		goto nomem;
	if (o->packed) {
		o->pdesc = calloc(n, VQ_PD_SZ);
		o->amark = calloc(n, sizeof(*o->amark));
		o->umark = calloc(n, sizeof(*o->umark));
		o->dfields = calloc(n, 1);
		o->idmap = calloc(65536, sizeof(*o->idmap));
		o->free_rec = calloc(n, sizeof(*o->free_rec));
		if (!o->pdesc || !o->amark || !o->umark || !o->dfields || !o->idmap ||
		    !o->free_rec)
			goto nomem;
	} else {
		o->sdesc = calloc(n, VQ_DESC_SZ);
		o->savail = calloc(1, o->area_len[OBS_DRV]);
		o->sused = calloc(1, o->area_len[OBS_DEV]);
		o->dknown = calloc(n, 1);
		o->downer = calloc(n, sizeof(*o->downer));
		o->afresh = calloc(n, 1);
		o->ufresh = calloc(n, 1);
		if (!o->sdesc || !o->savail || !o->sused || !o->dknown || !o->downer ||
		    !o->afresh || !o->ufresh)
			goto nomem;
	}
	vq_obs_reset(o, start);
	*out = o;
	return 0;
nomem:
	obs_free_arrays(o);
	free(o);
	return -ENOMEM;
}

void vq_obs_free(struct vq_obs *o)
{
	if (!o)
		return;
	obs_free_arrays(o);
	free(o);
}

void vq_obs_reset(struct vq_obs *o, const struct vq_state *start)
{
	struct vq_state st;

	if (start && check_start(o, start) == 0)
		st = *start;
	else
		vq_state_init(&st);
	for (uint32_t i = 0; i < o->num; i++)
		o->ch[i].live = o->ch[i].partial = false;
	o->inflight = o->npartial = 0;
	o->fifo_head = o->fifo_n = 0;
	memset(&o->kick, 0, sizeof(o->kick));
	memset(&o->irq, 0, sizeof(o->irq));
	if (o->packed)
		vq_obs_packed_reset(o, &st);
	else
		vq_obs_split_reset(o, &st);
	o->kick.base = kick_point(o);
	o->irq.base = irq_point(o);
}

static enum obs_area classify(const struct vq_obs *o, uint64_t a, uint64_t *stop)
{
	uint64_t next = UINT64_MAX;

	/* ring accesses first: they are nearly all of them */
	for (int i = 0; i < 3; i++) {
		if (in_range(a, o->area[i], o->area_len[i])) {
			*stop = o->area[i] + o->area_len[i];
			return (enum obs_area)i;
		}
	}
	for (int i = 0; i < 3; i++)
		if (o->area[i] > a && o->area[i] < next)
			next = o->area[i];
	*stop = next;
	return OBS_NONE;
}

void vq_obs_access(struct vq_obs *o, const struct vq_access *a)
{
	uint64_t addr = a->addr, end = a->addr + a->len;
	const uint8_t *data = a->data;

	o->seq++;
	while (addr < end) {
		uint64_t stop;
		enum obs_area area = classify(o, addr, &stop);
		uint32_t n = (uint32_t)((stop < end ? stop : end) - addr);

		if (area == OBS_NONE) {
			if (a->actor == VQ_ACTOR_DEVICE)
				vq_obs_device_mem(o, a, addr, n, data);
		} else if (o->packed) {
			vq_obs_packed_access(o, a, area, (uint32_t)(addr - o->area[area]), n, data);
		} else {
			vq_obs_split_access(o, a, area, (uint32_t)(addr - o->area[area]), n, data);
		}
		addr += n;
		data += n;
	}
}
