// SPDX-License-Identifier: MIT
/*
 * Observer rules for the packed ring.  Ownership is positional: the slots
 * from the device's next used position up to the driver's next available
 * position (the "window") are the device's, the rest the driver's.  A list
 * is exposed when the flags of its head show available for the driver's wrap
 * counter; it is returned when the device marks a used descriptor at its next
 * used position, which then skips the list (or the IN_ORDER batch).
 */
#include "sim/virtio_ring/vq_obs_int.h"

#include <string.h>

#define DRV VQ_ACTOR_DRIVER

void vq_obs_packed_reset(struct vq_obs *o, const struct vq_state *st)
{
	memset(o->pdesc, 0, (size_t)o->num * VQ_PD_SZ);
	/* the ring as a driver sets it up at that state (vq_drv_create) */
	if (st->avail_idx || !st->avail_wrap)
		for (uint32_t i = 0; i < o->num; i++)
			vq_put_le16(o->pdesc + (size_t)VQ_PD_SZ * i + VQ_PD_FLAGS,
				    vq_pd_used_bits(i < st->avail_idx ? st->avail_wrap
								      : !st->avail_wrap));
	memset(o->amark, 0, o->num * sizeof(*o->amark));
	memset(o->umark, 0, o->num * sizeof(*o->umark));
	memset(o->dfields, 0, o->num);
	memset(o->idmap, 0, 65536 * sizeof(*o->idmap));
	o->nfree_rec = 0;
	for (uint32_t i = o->num; i-- > 0;)
		o->free_rec[o->nfree_rec++] = (uint16_t)i;
	memset(o->drv_evt, 0, sizeof(o->drv_evt));
	memset(o->dev_evt, 0, sizeof(o->dev_evt));
	o->drv_pos = o->used_pos = vq_ppos(o->num, st->avail_idx, st->avail_wrap);
}

struct obs_chain *vq_obs_packed_by_id(struct vq_obs *o, int32_t id)
{
	struct obs_chain *c;

	if (id < 0 || id > 0xffff || !o->idmap[id])
		return NULL;
	c = &o->ch[o->idmap[id] - 1];
	return c->live && c->id == id ? c : NULL;
}

static bool event_need(struct vq_obs *o, const uint8_t *ev, uint32_t old, uint32_t new_)
{
	uint16_t flags = vq_le16(ev + VQ_PE_FLAGS) & 3, off = vq_le16(ev + VQ_PE_OFF_WRAP);

	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return false;
	/* 2.8.10: DESC asks for the event when that descriptor passes */
	if (flags == VRING_PACKED_EVENT_FLAG_DESC && o->event_idx && (off & 0x7fff) < o->num)
		return vq_ppos_in(o->num, vq_ppos(o->num, off & 0x7fff, off & VQ_EV_WRAP), old,
				  new_);
	return true;
}

bool vq_obs_packed_kick_need(struct vq_obs *o, uint32_t old, uint32_t new_)
{
	return event_need(o, o->dev_evt, old, new_);
}

bool vq_obs_packed_irq_need(struct vq_obs *o, uint32_t old, uint32_t new_)
{
	return event_need(o, o->drv_evt, old, new_);
}

static uint32_t window(const struct vq_obs *o)
{
	return vq_ppos_dist(o->num, o->used_pos, o->drv_pos);
}

static uint16_t pd_flags(const struct vq_obs *o, uint16_t s)
{
	return vq_le16(o->pdesc + (size_t)VQ_PD_SZ * s + VQ_PD_FLAGS);
}

static bool touches(uint32_t off, uint32_t len, uint32_t f, uint32_t flen)
{
	return off < f + flen && f < off + len;
}

/* ---- Exposing lists ------------------------------------------------------------- */
void vq_obs_packed_parse_table(struct vq_obs *o, struct obs_chain *c)
{
	uint32_t n = c->ind_len / VQ_PD_SZ;
	bool reported = false;

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = c->ind_copy + (size_t)VQ_PD_SZ * i;
		uint16_t flags = vq_le16(e + VQ_PD_FLAGS);

		/* 2.8.19: WRITE is the only flag inside an indirect table */
		if ((flags & ~VRING_DESC_F_WRITE) && !reported) {
			vq_obs_log(o, VQ_R_PACKED_DRV_13, c->ind_addr + (uint64_t)VQ_PD_SZ * i,
				   c->id, flags);
			reported = true;
		}
		vq_obs_chain_seg(o, c, vq_le64(e + VQ_PD_ADDR), vq_le32(e + VQ_PD_LEN),
			      flags & VRING_DESC_F_WRITE, VQ_R_PACKED_DRV_08, VQ_R_PACKED_DRV_V04);
	}
}

/* The head at drv_pos shows available: take its list.  false: wait (inferred). */
static bool publish_chain(struct vq_obs *o, bool inferred)
{
	uint32_t p = o->drv_pos, room = o->num - window(o), n = 0, q = p;
	bool not_avail = false, too_long = false;
	uint16_t head = vq_ppos_slot(o->num, p), id, rec;
	struct obs_chain *c;

	for (;; q = vq_ppos_add(o->num, q, 1)) {
		uint16_t s = vq_ppos_slot(o->num, q), f;

		if (n >= room) {
			too_long = true;
			break;
		}
		if (n > 0 && o->amark[s] != q + 1) {
			not_avail = true;
			break;
		}
		n++;
		f = pd_flags(o, s);
		if (!(f & VRING_DESC_F_NEXT) || (f & VRING_DESC_F_INDIRECT))
			break;
	}
	if (not_avail && inferred)
		return false; /* the rest of the list has not been seen yet */
	/* 2.8.17: the list fits the ring; its head goes out last */
	if (too_long)
		vq_obs_log(o, VQ_R_PACKED_DRV_07, 0, head, n);
	if (not_avail)
		vq_obs_log(o, VQ_R_PACKED_DRV_11, o->area[OBS_DESC] + (uint64_t)VQ_PD_SZ * head,
			   head, vq_ppos_slot(o->num, q));
	/*
	 * Records are not tied to slots: a list can still be in flight after
	 * the device wrote another list's used descriptor over its head.  At
	 * most num lists are in flight, so a record is always free.
	 */
	if (!o->nfree_rec) {
		o->drv_pos = vq_ppos_add(o->num, p, n);
		return true;
	}
	rec = o->free_rec[--o->nfree_rec];
	c = &o->ch[rec];
	vq_obs_chain_start(o, c, 0, p);
	c->ndesc = n;
	for (uint32_t t = 0; t < n; t++) {
		uint16_t s = vq_ppos_slot(o->num, vq_ppos_add(o->num, p, t));
		const uint8_t *d = o->pdesc + (size_t)VQ_PD_SZ * s;
		uint16_t f = vq_le16(d + VQ_PD_FLAGS);
		uint32_t len = vq_le32(d + VQ_PD_LEN);

		o->amark[s] = 0;
		if (f & VRING_DESC_F_INDIRECT) {
			if (!o->indirect)
				vq_obs_log(o, VQ_R_PACKED_DRV_12, 0, s, f);
			/* 2.8.19: an indirect descriptor stands alone */
			if (t > 0 || (f & VRING_DESC_F_NEXT))
				vq_obs_log(o, VQ_R_PACKED_DRV_15, 0, s, f);
			if (len == 0 || len % VQ_PD_SZ) {
				vq_obs_log(o, VQ_R_PACKED_DRV_V03, 0, s, len);
				c->bad = true;
			} else {
				c->ind_addr = vq_le64(d + VQ_PD_ADDR);
				c->ind_len = len;
				c->ind_seen = 0;
				c->ind_pending = true;
			}
			continue;
		}
		vq_obs_chain_seg(o, c, vq_le64(d + VQ_PD_ADDR), len, f & VRING_DESC_F_WRITE,
			      VQ_R_PACKED_DRV_08, VQ_R_PACKED_DRV_V04);
	}
	/* 2.8.6: the buffer id is in the last descriptor */
	id = vq_le16(o->pdesc +
		     (size_t)VQ_PD_SZ * vq_ppos_slot(o->num, vq_ppos_add(o->num, p, n - 1)) +
		     VQ_PD_ID);
	c->id = id;
	if (vq_obs_packed_by_id(o, id))
		vq_obs_log(o, VQ_R_PACKED_DRV_V02, 0, head, id);
	else
		o->idmap[id] = rec + 1u;
	if (too_long || not_avail)
		c->bad = true;
	if (o->in_order)
		vq_obs_fifo_push(o, rec);
	o->drv_pos = vq_ppos_add(o->num, p, n);
	vq_obs_published(&o->kick, vq_obs_packed_kick_need(o, p, o->drv_pos), p,
			 VQ_R_PACKED_DRV_X05);
	return true;
}

static void publish_loop(struct vq_obs *o, bool inferred)
{
	while (o->amark[vq_ppos_slot(o->num, o->drv_pos)] == o->drv_pos + 1)
		if (!publish_chain(o, inferred))
			break;
}

/* One slot of a driver store (bytes [lo, hi) of the ring). */
static void drv_apply(struct vq_obs *o, uint32_t s, uint32_t lo, uint32_t hi, const uint8_t *src,
		      bool inferred)
{
	uint32_t room = o->num - window(o);
	uint32_t k = vq_ring_add(s, o->num - vq_ppos_slot(o->num, o->drv_pos), o->num);

	vq_obs_copy16(o->pdesc + lo, src, hi - lo);
	/* 2.8.16: an available descriptor is the device's until used */
	if (k >= room) {
		vq_obs_log(o, VQ_R_PACKED_DRV_03, o->area[OBS_DESC] + lo, s, k);
		return;
	}
	if (touches(lo - s * VQ_PD_SZ, hi - lo, VQ_PD_FLAGS, 2)) {
		uint32_t p = vq_ppos_add(o->num, o->drv_pos, k);
		uint16_t f = pd_flags(o, (uint16_t)s);

		if (vq_pd_is_avail(f, vq_ppos_wrap(o->num, p))) {
			o->amark[s] = p + 1;
		} else {
			o->amark[s] = 0;
			/* 2.8.1: AVAIL = wrap, USED = inverse when exposing */
			if (!inferred && vq_pd_is_used(f, vq_ppos_wrap(o->num, p)))
				vq_obs_log(o, VQ_R_PACKED_DRV_X02, o->area[OBS_DESC] + lo, s, f);
		}
	}
}

static void drv_write_desc(struct vq_obs *o, uint32_t off, uint32_t len, const uint8_t *data)
{
	for (uint32_t s = off / VQ_PD_SZ; s <= (off + len - 1) / VQ_PD_SZ; s++) {
		uint32_t lo = s * VQ_PD_SZ > off ? s * VQ_PD_SZ : off;
		uint32_t hi = (s + 1) * VQ_PD_SZ < off + len ? (s + 1) * VQ_PD_SZ : off + len;

		drv_apply(o, s, lo, hi, data + (lo - off), false);
	}
	/* a store covering several descriptors exposes them at once */
	publish_loop(o, false);
}

/* ---- Returning lists ------------------------------------------------------------- */
static void complete(struct vq_obs *o, struct obs_chain *c, uint32_t len, bool judge)
{
	if (judge && !c->bad && !c->ind_pending && (len > c->in_len || len > c->written))
		vq_obs_log(o, VQ_R_PACKED_DEV_V04, 0, c->id, len);
	if (o->idmap[c->id] == (uint32_t)(c - o->ch) + 1u)
		o->idmap[c->id] = 0;
	vq_obs_chain_release(o, c);
	o->free_rec[o->nfree_rec++] = (uint16_t)(c - o->ch);
}

static void used_loop(struct vq_obs *o, bool inferred)
{
	while (o->umark[vq_ppos_slot(o->num, o->used_pos)] == o->used_pos + 1) {
		uint32_t p = o->used_pos, adv = 0;
		uint16_t s = vq_ppos_slot(o->num, p);
		const uint8_t *d = o->pdesc + (size_t)VQ_PD_SZ * s;
		uint16_t id = vq_le16(d + VQ_PD_ID), f = vq_le16(d + VQ_PD_FLAGS);
		uint32_t len = (f & VRING_DESC_F_WRITE) ? vq_le32(d + VQ_PD_LEN) : 0;
		struct obs_chain *c = vq_obs_packed_by_id(o, id);
		enum vq_rule missing;

		o->umark[s] = 0;
		if (!c) {
			vq_obs_log(o, o->in_order ? VQ_R_PACKED_DEV_X07 : VQ_R_PACKED_DEV_X03,
				o->area[OBS_DESC] + (uint64_t)VQ_PD_SZ * s, s, id);
			return;
		}
		if (o->in_order) {
			/* 2.8.8: one used descriptor for a batch ending with id */
			while (o->fifo_n) {
				struct obs_chain *x = &o->ch[o->fifo[o->fifo_head]];

				o->fifo_head = vq_ring_add(o->fifo_head, 1, o->num);
				o->fifo_n--;
				if (!x->live)
					continue;
				adv += x->ndesc;
				if (x == c)
					break;
				/* skipped buffers count as completely used */
				complete(o, x, (uint32_t)x->in_len, !inferred);
			}
		} else {
			adv = c->ndesc;
		}
		if (!adv)
			adv = c->ndesc ? c->ndesc : 1; /* never stall: lists have one or more */
		complete(o, c, len, !inferred);
		for (uint32_t t = 0; t < adv; t++) {
			uint16_t st = vq_ppos_slot(o->num, vq_ppos_add(o->num, p, t));

			/* 2.8.6: nothing is written to the slots a list skips */
			if (t > 0 && o->umark[st]) {
				vq_obs_log(o, VQ_R_PACKED_DEV_X03,
					o->area[OBS_DESC] + (uint64_t)VQ_PD_SZ * st, st, adv);
				o->umark[st] = 0;
			}
			o->dfields[st] = 0;
		}
		o->used_pos = vq_ppos_add(o->num, p, adv);
		missing = (vq_le16(o->drv_evt + VQ_PE_FLAGS) & 3) == VRING_PACKED_EVENT_FLAG_DESC
				  ? VQ_R_PACKED_DEV_X10
				  : VQ_R_PACKED_DEV_X08;
		vq_obs_published(&o->irq, vq_obs_packed_irq_need(o, p, o->used_pos), p, missing);
	}
}

/* One slot of a device store. */
static void dev_apply(struct vq_obs *o, uint32_t s, uint32_t lo, uint32_t hi, const uint8_t *src,
		      bool inferred)
{
	uint32_t k = vq_ring_add(s, o->num - vq_ppos_slot(o->num, o->used_pos), o->num);
	uint32_t rel = lo - s * VQ_PD_SZ;

	vq_obs_copy16(o->pdesc + lo, src, hi - lo);
	/* 2.8.15: the device writes only descriptors it holds */
	if (k >= window(o)) {
		if (!inferred)
			vq_obs_log(o, VQ_R_PACKED_DEV_07, o->area[OBS_DESC] + lo, s, k);
		return;
	}
	if (touches(rel, hi - lo, VQ_PD_LEN, 4))
		o->dfields[s] |= OBS_F_LEN;
	if (touches(rel, hi - lo, VQ_PD_ID, 2))
		o->dfields[s] |= OBS_F_ID;
	if (touches(rel, hi - lo, VQ_PD_FLAGS, 2)) {
		uint32_t p = vq_ppos_add(o->num, o->used_pos, k);
		uint16_t f = pd_flags(o, (uint16_t)s);

		if (vq_pd_is_used(f, vq_ppos_wrap(o->num, p))) {
			/* the id goes out before (or with) the flags */
			if (!inferred && !(o->dfields[s] & OBS_F_ID))
				vq_obs_log(o, VQ_R_PACKED_DEV_V02, o->area[OBS_DESC] + lo, s, f);
			o->umark[s] = p + 1;
		} else if (!inferred) {
			/* 2.8.1: AVAIL = USED = the device wrap counter */
			vq_obs_log(o, VQ_R_PACKED_DEV_X02, o->area[OBS_DESC] + lo, s, f);
		}
	}
}

static void dev_write_desc(struct vq_obs *o, uint32_t off, uint32_t len, const uint8_t *data)
{
	for (uint32_t s = off / VQ_PD_SZ; s <= (off + len - 1) / VQ_PD_SZ; s++) {
		uint32_t lo = s * VQ_PD_SZ > off ? s * VQ_PD_SZ : off;
		uint32_t hi = (s + 1) * VQ_PD_SZ < off + len ? (s + 1) * VQ_PD_SZ : off + len;

		dev_apply(o, s, lo, hi, data + (lo - off), false);
	}
	used_loop(o, false);
}

/* A read: replay what the other side changed unseen, then judge. */
static void read_desc(struct vq_obs *o, bool by_driver, uint32_t off, uint32_t len,
		      const uint8_t *data)
{
	struct obs_notif *n = by_driver ? &o->irq : &o->kick;
	uint32_t s0 = off / VQ_PD_SZ, s1 = (off + len - 1) / VQ_PD_SZ;
	bool changed = false;

	for (uint32_t s = s0; s <= s1; s++) {
		uint32_t lo = s * VQ_PD_SZ > off ? s * VQ_PD_SZ : off;
		uint32_t hi = (s + 1) * VQ_PD_SZ < off + len ? (s + 1) * VQ_PD_SZ : off + len;

		if (vq_obs_same16(o->pdesc + lo, data + (lo - off), hi - lo))
			continue;
		changed = true;
		if (by_driver)
			dev_apply(o, s, lo, hi, data + (lo - off), true);
		else
			drv_apply(o, s, lo, hi, data + (lo - off), true);
	}
	if (changed) {
		if (by_driver)
			used_loop(o, true);
		else
			publish_loop(o, true);
	}
	/* the other side saw the new state: a notification for it is moot */
	if (n->owed) {
		uint16_t s = vq_ppos_slot(o->num, n->owed_at);
		bool w = vq_ppos_wrap(o->num, n->owed_at);

		if (s >= s0 && s <= s1 &&
		    (by_driver ? vq_pd_is_used(pd_flags(o, s), w)
			       : vq_pd_is_avail(pd_flags(o, s), w)))
			n->owed = false;
	}
}

/* ---- Event suppression structures -------------------------------------------------- */
static void event_write(struct vq_obs *o, uint8_t *ev, uint32_t off, uint32_t len,
			const uint8_t *data, enum vq_rule r, uint64_t addr)
{
	uint16_t v;

	memcpy(ev + off, data, len);
	if (!touches(off, len, VQ_PE_FLAGS, 2))
		return;
	v = vq_le16(ev + VQ_PE_FLAGS);
	/* 2.8.10: DESC needs EVENT_IDX, 3 is reserved, other bits are 0 */
	if ((v & ~3u) || (v & 3) == 3 || ((v & 3) == VRING_PACKED_EVENT_FLAG_DESC && !o->event_idx))
		vq_obs_log(o, r, addr, 0, v);
}

void vq_obs_packed_access(struct vq_obs *o, const struct vq_access *a, enum obs_area area,
		       uint32_t off, uint32_t len, const uint8_t *data)
{
	bool drv = a->actor == DRV;
	uint64_t addr = o->area[area] + off;

	switch (area) {
	case OBS_DESC:
		if (a->write && drv)
			drv_write_desc(o, off, len, data);
		else if (a->write)
			dev_write_desc(o, off, len, data);
		else
			read_desc(o, drv, off, len, data);
		break;
	case OBS_DRV: /* driver event suppression: the driver's */
		if (a->write && drv)
			event_write(o, o->drv_evt, off, len, data, VQ_R_PACKED_DRV_X06, addr);
		else if (a->write)
			vq_obs_log(o, VQ_R_PACKED_DEV_V05, addr, off, len);
		else if (!drv && memcmp(o->drv_evt + off, data, len))
			event_write(o, o->drv_evt, off, len, data, VQ_R_PACKED_DRV_X06, addr);
		break;
	case OBS_DEV: /* device event suppression: the device's */
		if (a->write && !drv)
			event_write(o, o->dev_evt, off, len, data, VQ_R_PACKED_DEV_X11, addr);
		else if (a->write)
			vq_obs_log(o, VQ_R_PACKED_DRV_V05, addr, off, len);
		else if (drv && memcmp(o->dev_evt + off, data, len))
			event_write(o, o->dev_evt, off, len, data, VQ_R_PACKED_DEV_X11, addr);
		break;
	default:
		break;
	}
}
