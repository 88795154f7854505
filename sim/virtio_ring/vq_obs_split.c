// SPDX-License-Identifier: MIT
/*
 * Observer rules for the split ring.  Descriptors belong to the chain of the
 * avail entry that exposed them from the avail idx update until the used idx
 * update that returns the chain; avail entries are the driver's until the
 * device read them; used elements must be written before the used idx names
 * them.
 */
#include "sim/virtio_ring/vq_obs_int.h"

#include <string.h>

#define DRV VQ_ACTOR_DRIVER
#define DEV VQ_ACTOR_DEVICE

void vq_obs_split_reset(struct vq_obs *o, const struct vq_state *st)
{
	memset(o->sdesc, 0, (size_t)o->num * VQ_DESC_SZ);
	memset(o->savail, 0, o->area_len[OBS_DRV]);
	memset(o->sused, 0, o->area_len[OBS_DEV]);
	memset(o->dknown, 0, o->num);
	memset(o->downer, 0, o->num * sizeof(*o->downer));
	memset(o->afresh, 0, o->num);
	memset(o->ufresh, 0, o->num);
	/* the ring as a driver sets it up at that state (vq_drv_create) */
	vq_put_le16(o->savail + VQ_A_IDX, st->avail_idx);
	vq_put_le16(o->sused + VQ_U_IDX, st->used_idx);
	o->avail_pub = o->dev_next = o->resolved = st->avail_idx;
	o->used_pub = o->used_done = st->used_idx;
	o->io_next = 0;
}

bool vq_obs_split_kick_need(struct vq_obs *o, uint32_t old, uint32_t new_)
{
	if (o->event_idx)
		return vring_need_event(vq_le16(o->sused + VQ_U_AVAIL_EVENT(o->num)),
					(uint16_t)new_, (uint16_t)old);
	return !(vq_le16(o->sused + VQ_U_FLAGS) & VRING_USED_F_NO_NOTIFY);
}

bool vq_obs_split_irq_need(struct vq_obs *o, uint32_t old, uint32_t new_)
{
	if (o->event_idx)
		return vring_need_event(vq_le16(o->savail + VQ_A_USED_EVENT(o->num)),
					(uint16_t)new_, (uint16_t)old);
	return !(vq_le16(o->savail + VQ_A_FLAGS) & VRING_AVAIL_F_NO_INTERRUPT);
}

static bool touches(uint32_t off, uint32_t len, uint32_t f, uint32_t flen)
{
	return off < f + flen && f < off + len;
}

/* ---- Chains ------------------------------------------------------------------ */
/* Walk (or resume walking) a chain over the descriptor shadow. */
static void split_walk(struct vq_obs *o, struct obs_chain *c)
{
	uint16_t i = c->walk_next;

	if (c->partial) {
		c->partial = false;
		o->npartial--;
	}
	for (;;) {
		const uint8_t *d;
		uint16_t flags;

		if (c->resume) {
			c->resume = false; /* already ours: we stopped here */
		} else {
			/* virtio 1.3 2.7.5.2: a chain never loops */
			if (o->downer[i] == c->id + 1u) {
				vq_obs_log(o, VQ_R_SPLIT_DRV_04, 0, c->id, i);
				c->bad = true;
				return;
			}
			if (o->downer[i]) {
				vq_obs_log(o, VQ_R_SPLIT_DRV_V04, 0, c->id, i);
				c->bad = true;
				return;
			}
			if (vq_obs_chain_slot(c, i)) {
				c->bad = true;
				return;
			}
			o->downer[i] = c->id + 1u;
			c->ndesc++;
		}
		if (!o->dknown[i]) {
			/* not seen yet (foreign driver): go on when the device reads it */
			c->partial = c->resume = true;
			c->walk_next = i;
			o->npartial++;
			return;
		}
		d = o->sdesc + (size_t)VQ_DESC_SZ * i;
		flags = vq_le16(d + VQ_D_FLAGS);
		if (flags & VRING_DESC_F_INDIRECT) {
			uint32_t len = vq_le32(d + VQ_D_LEN);

			if (!o->indirect)
				vq_obs_log(o, VQ_R_SPLIT_DRV_06, 0, c->id, i);
			if (flags & VRING_DESC_F_NEXT)
				vq_obs_log(o, VQ_R_SPLIT_DRV_09, 0, c->id, i);
			if (len == 0 || len % VQ_DESC_SZ) {
				vq_obs_log(o, VQ_R_SPLIT_DRV_V05, 0, c->id, len);
				c->bad = true;
				return;
			}
			if (len / VQ_DESC_SZ > o->num || c->ndesc - 1 + len / VQ_DESC_SZ > o->num)
				vq_obs_log(o, VQ_R_SPLIT_DRV_08, 0, c->id, len / VQ_DESC_SZ);
			c->ind_addr = vq_le64(d + VQ_D_ADDR);
			c->ind_len = len;
			c->ind_seen = 0;
			c->ind_pending = true;
			break;
		}
		vq_obs_chain_seg(o, c, vq_le64(d + VQ_D_ADDR), vq_le32(d + VQ_D_LEN),
			      flags & VRING_DESC_F_WRITE, VQ_R_SPLIT_DRV_02, VQ_R_SPLIT_DRV_04);
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		uint16_t next = vq_le16(d + VQ_D_NEXT);

		if (next >= o->num) {
			vq_obs_log(o, VQ_R_SPLIT_DRV_V03, 0, c->id, next);
			c->bad = true;
			return;
		}
		/* virtio 1.3 2.7.5.2: IN_ORDER chains run x, x + 1, ... */
		if (o->in_order && next != vq_ring_add(i, 1, o->num))
			vq_obs_log(o, VQ_R_SPLIT_DRV_05, 0, i, next);
		i = next;
	}
	if (o->in_order)
		o->io_next = (uint16_t)vq_ring_add(i, 1, o->num);
}

static void split_take(struct vq_obs *o, uint16_t head, uint16_t aidx)
{
	struct obs_chain *c;

	if (head >= o->num) {
		vq_obs_log(o, VQ_R_SPLIT_DRV_V03, 0, aidx, head);
		return;
	}
	c = &o->ch[head];
	if (c->live) {
		vq_obs_log(o, VQ_R_SPLIT_DRV_V04, 0, aidx, head);
		return;
	}
	/* virtio 1.3 2.7.5: IN_ORDER descriptors are used in ring order */
	if (o->in_order && head != o->io_next)
		vq_obs_log(o, VQ_R_SPLIT_DRV_X02, 0, o->io_next, head);
	vq_obs_chain_start(o, c, head, aidx);
	c->walk_next = head;
	if (o->in_order)
		vq_obs_fifo_push(o, head);
	split_walk(o, c);
}

/* Take exposed avail entries, in order, as far as their content is known. */
static void split_resolve(struct vq_obs *o)
{
	while (o->resolved != o->avail_pub) {
		uint16_t s = o->resolved & (o->num - 1);

		if (!o->afresh[s])
			break;
		o->afresh[s] = 0;
		split_take(o, vq_le16(o->savail + VQ_A_RING + VQ_A_ENT * s), o->resolved);
		o->resolved++;
	}
}

void vq_obs_split_parse_table(struct vq_obs *o, struct obs_chain *c)
{
	uint32_t n = c->ind_len / VQ_DESC_SZ, i = 0;

	for (uint32_t seen = 0;; seen++) {
		const uint8_t *e = c->ind_copy + (size_t)VQ_DESC_SZ * i;
		uint16_t flags = vq_le16(e + VQ_D_FLAGS), next;

		if (seen >= n) {
			vq_obs_log(o, VQ_R_SPLIT_DRV_04, c->ind_addr, c->id, i);
			c->bad = true;
			return;
		}
		/* virtio 1.3 2.7.5.3.1: one level of indirection only */
		if (flags & VRING_DESC_F_INDIRECT) {
			vq_obs_log(o, VQ_R_SPLIT_DRV_07, c->ind_addr, c->id, i);
			c->bad = true;
			return;
		}
		vq_obs_chain_seg(o, c, vq_le64(e + VQ_D_ADDR), vq_le32(e + VQ_D_LEN),
			      flags & VRING_DESC_F_WRITE, VQ_R_SPLIT_DRV_02, VQ_R_SPLIT_DRV_04);
		if (!(flags & VRING_DESC_F_NEXT))
			return;
		next = vq_le16(e + VQ_D_NEXT);
		if (next >= n) {
			vq_obs_log(o, VQ_R_SPLIT_DRV_V03, c->ind_addr, c->id, next);
			c->bad = true;
			return;
		}
		if (o->in_order && next != i + 1)
			vq_obs_log(o, VQ_R_SPLIT_DRV_10, c->ind_addr, c->id, next);
		i = next;
	}
}

/* ---- Available ring ---------------------------------------------------------- */
static void split_avail_publish(struct vq_obs *o, uint16_t new_)
{
	uint16_t old = o->avail_pub, n = (uint16_t)(new_ - old);
	uint32_t outstanding = o->inflight + (uint16_t)(old - o->resolved);

	if (n == 0)
		return;
	/* virtio 1.3 2.7.6.1: idx never goes back, so never more than num exposed */
	if (n + outstanding > o->num) {
		vq_obs_log(o, VQ_R_SPLIT_DRV_11, o->area[OBS_DRV] + VQ_A_IDX, new_, old);
		return;
	}
	o->avail_pub = new_;
	vq_obs_published(&o->kick, vq_obs_split_kick_need(o, old, new_), new_,
		      o->event_idx ? VQ_R_SPLIT_DRV_24 : VQ_R_SPLIT_DRV_22);
}

static void drv_write_avail(struct vq_obs *o, uint32_t off, uint32_t len, const uint8_t *data,
			    bool inferred)
{
	uint32_t ring_end = VQ_A_USED_EVENT(o->num);

	memcpy(o->savail + off, data, len);
	if (touches(off, len, VQ_A_FLAGS, 2)) {
		uint16_t v = vq_le16(o->savail + VQ_A_FLAGS);

		/* virtio 1.3 2.7.7.1 */
		if (o->event_idx ? v != 0 : v > 1)
			vq_obs_log(o, o->event_idx ? VQ_R_SPLIT_DRV_14 : VQ_R_SPLIT_DRV_12,
				o->area[OBS_DRV] + VQ_A_FLAGS, 0, v);
	}
	if (touches(off, len, VQ_A_RING, ring_end - VQ_A_RING)) {
		uint32_t lo = off > VQ_A_RING ? off : VQ_A_RING;
		uint32_t hi = off + len < ring_end ? off + len : ring_end;
		uint16_t pending = (uint16_t)(o->avail_pub - o->dev_next);

		for (uint32_t s = (lo - VQ_A_RING) / VQ_A_ENT; s <= (hi - 1 - VQ_A_RING) / VQ_A_ENT;
		     s++) {
			uint32_t k = (s - o->dev_next) & (o->num - 1);

			/* an exposed entry the device has not taken yet stays put */
			if (!inferred && k < pending)
				vq_obs_log(o, VQ_R_SPLIT_DRV_V02,
					   o->area[OBS_DRV] + VQ_A_RING + 2 * s, s,
					   vq_le16(o->savail + VQ_A_RING + VQ_A_ENT * s));
			o->afresh[s] = 1;
		}
	}
	if (touches(off, len, VQ_A_IDX, 2))
		split_avail_publish(o, vq_le16(o->savail + VQ_A_IDX));
	split_resolve(o);
}

static void dev_read_avail(struct vq_obs *o, uint32_t off, uint32_t len, const uint8_t *data)
{
	uint32_t ring_end = VQ_A_USED_EVENT(o->num);

	if (memcmp(o->savail + off, data, len))
		drv_write_avail(o, off, len, data, true);
	if (touches(off, len, VQ_A_IDX, 2)) {
		uint16_t v = vq_le16(o->savail + VQ_A_IDX);

		/* the device saw the new buffers: a kick for them is moot */
		if (o->kick.owed && (int16_t)(v - (uint16_t)o->kick.owed_at) >= 0)
			o->kick.owed = false;
	}
	if (touches(off, len, VQ_A_RING, ring_end - VQ_A_RING)) {
		uint32_t lo = off > VQ_A_RING ? off : VQ_A_RING;
		uint32_t hi = off + len < ring_end ? off + len : ring_end;
		uint16_t pending = (uint16_t)(o->avail_pub - o->dev_next), adv = 0;

		for (uint32_t s = (lo - VQ_A_RING) / VQ_A_ENT; s <= (hi - 1 - VQ_A_RING) / VQ_A_ENT;
		     s++) {
			uint16_t k = (uint16_t)((s - o->dev_next) & (o->num - 1));

			/* virtio 1.3 2.7.6: nothing at or beyond the avail idx */
			if (k >= pending) {
				vq_obs_log(o, VQ_R_SPLIT_DEV_X02,
					o->area[OBS_DRV] + VQ_A_RING + VQ_A_ENT * s,
					(uint16_t)(o->dev_next + k), o->avail_pub);
				continue;
			}
			if ((uint16_t)(o->dev_next + k - o->resolved) < 0x8000)
				o->afresh[s] = 1; /* content now known */
			if (k + 1u > adv)
				adv = (uint16_t)(k + 1);
		}
		o->dev_next = (uint16_t)(o->dev_next + adv);
		split_resolve(o);
	}
}

/* ---- Used ring ------------------------------------------------------------------ */
/* Complete one chain named by a used element. */
static void split_complete(struct vq_obs *o, struct obs_chain *c, uint32_t len, bool judge)
{
	if (judge && !c->bad && !c->partial && !c->ind_pending &&
	    (len > c->in_len || len > c->written))
		vq_obs_log(o, VQ_R_SPLIT_DEV_16, 0, c->id, len);
	/* a used chain was taken: its avail entry was read (even if unseen) */
	if ((int16_t)(uint16_t)(c->pos + 1 - o->dev_next) > 0)
		o->dev_next = (uint16_t)(c->pos + 1);
	vq_obs_chain_release(o, c);
}

static void split_used_take(struct vq_obs *o, bool inferred)
{
	while (o->used_done != o->used_pub) {
		uint16_t s = o->used_done & (o->num - 1);
		const uint8_t *e = o->sused + VQ_U_RING + (size_t)VQ_U_ENT * s;
		uint32_t id, len;
		struct obs_chain *c;

		if (!o->ufresh[s]) {
			if (inferred)
				break; /* wait until the driver reads it */
			/* virtio 1.3 2.7.8.2: element before the idx */
			vq_obs_log(o, VQ_R_SPLIT_DEV_15, o->area[OBS_DEV] + VQ_U_IDX, o->used_done,
				   s);
		}
		o->ufresh[s] = 0;
		id = vq_le32(e + VQ_UE_ID);
		len = vq_le32(e + VQ_UE_LEN);
		c = id < o->num && o->ch[id].live ? &o->ch[id] : NULL;
		if (!c) {
			vq_obs_log(o, o->in_order ? VQ_R_SPLIT_DEV_X04 : VQ_R_SPLIT_DEV_X03,
				o->area[OBS_DEV] + VQ_U_RING + VQ_U_ENT * s, o->used_done, id);
			o->used_done++;
			continue;
		}
		if (!o->in_order) {
			split_complete(o, c, len, !inferred);
			o->used_done++;
			continue;
		}
		/* virtio 1.3 2.7.9: one element for a batch ending with id */
		uint16_t k = 0;

		while (o->fifo_n) {
			uint16_t h = o->fifo[o->fifo_head];
			struct obs_chain *x = &o->ch[h];

			o->fifo_head = vq_ring_add(o->fifo_head, 1, o->num);
			o->fifo_n--;
			if (!x->live)
				continue;
			k++;
			if (x == c)
				break;
			/* skipped buffers count as completely written */
			split_complete(o, x, (uint32_t)x->in_len, !inferred);
		}
		split_complete(o, c, len, !inferred);
		if (!k)
			k = 1; /* never stall */
		if ((uint16_t)(o->used_pub - o->used_done) < k)
			vq_obs_log(o, VQ_R_SPLIT_DEV_X04, o->area[OBS_DEV] + VQ_U_IDX, o->used_done,
				   k);
		o->used_done = (uint16_t)(o->used_done + k);
		if ((uint16_t)(o->used_pub - o->used_done) >= 0x8000)
			o->used_done = o->used_pub;
	}
}

static void split_used_publish(struct vq_obs *o, uint16_t new_, bool inferred)
{
	uint16_t old = o->used_pub, n = (uint16_t)(new_ - old);

	if (n == 0)
		return;
	if (n > o->inflight - (uint16_t)(o->used_pub - o->used_done)) {
		vq_obs_log(o, VQ_R_SPLIT_DEV_X03, o->area[OBS_DEV] + VQ_U_IDX, new_, old);
		return;
	}
	o->used_pub = new_;
	vq_obs_published(&o->irq, vq_obs_split_irq_need(o, old, new_), new_,
		      o->event_idx ? VQ_R_SPLIT_DEV_13 : VQ_R_SPLIT_DEV_11);
	split_used_take(o, inferred);
}

static void dev_write_used(struct vq_obs *o, uint32_t off, uint32_t len, const uint8_t *data,
			   bool inferred)
{
	uint32_t ring_end = VQ_U_AVAIL_EVENT(o->num);

	memcpy(o->sused + off, data, len);
	if (touches(off, len, VQ_U_FLAGS, 2)) {
		uint16_t v = vq_le16(o->sused + VQ_U_FLAGS);

		/* virtio 1.3 2.7.10.2 */
		if (o->event_idx ? v != 0 : v > 1)
			vq_obs_log(o, o->event_idx ? VQ_R_SPLIT_DEV_20 : VQ_R_SPLIT_DEV_18,
				o->area[OBS_DEV] + VQ_U_FLAGS, 0, v);
	}
	if (touches(off, len, VQ_U_RING, ring_end - VQ_U_RING)) {
		uint32_t lo = off > VQ_U_RING ? off : VQ_U_RING;
		uint32_t hi = off + len < ring_end ? off + len : ring_end;

		for (uint32_t s = (lo - VQ_U_RING) / VQ_U_ENT; s <= (hi - 1 - VQ_U_RING) / VQ_U_ENT;
		     s++)
			o->ufresh[s] = 1;
	}
	if (touches(off, len, VQ_U_IDX, 2))
		split_used_publish(o, vq_le16(o->sused + VQ_U_IDX), inferred);
	else if (inferred)
		split_used_take(o, true);
}

static void drv_read_used(struct vq_obs *o, uint32_t off, uint32_t len, const uint8_t *data)
{
	if (memcmp(o->sused + off, data, len))
		dev_write_used(o, off, len, data, true);
	if (touches(off, len, VQ_U_IDX, 2)) {
		uint16_t v = vq_le16(o->sused + VQ_U_IDX);

		/* the driver saw the used buffers: an interrupt for them is moot */
		if (o->irq.owed && (int16_t)(v - (uint16_t)o->irq.owed_at) >= 0)
			o->irq.owed = false;
	}
}

/* ---- Descriptor table --------------------------------------------------------------- */
static void desc_learn(struct vq_obs *o, uint16_t s)
{
	struct obs_chain *c;

	o->dknown[s] = 1;
	if (!o->npartial || !o->downer[s])
		return;
	c = &o->ch[o->downer[s] - 1];
	if (c->live && c->partial && c->walk_next == s)
		split_walk(o, c);
}

static void drv_write_desc(struct vq_obs *o, uint32_t off, uint32_t len, const uint8_t *data,
			   bool inferred)
{
	for (uint32_t s = off / VQ_DESC_SZ; s <= (off + len - 1) / VQ_DESC_SZ; s++) {
		uint32_t lo = s * VQ_DESC_SZ > off ? s * VQ_DESC_SZ : off;
		uint32_t hi = (s + 1) * VQ_DESC_SZ < off + len ? (s + 1) * VQ_DESC_SZ : off + len;
		uint16_t owner = o->downer[s];
		bool first = !o->dknown[s];

		/* a chain in flight is the device's until it is used */
		if (owner && !(first && inferred) &&
		    !(o->ch[owner - 1].partial && o->ch[owner - 1].walk_next == s))
			vq_obs_log(o, VQ_R_SPLIT_DRV_V01, o->area[OBS_DESC] + lo, s, owner - 1u);
		vq_obs_copy16(o->sdesc + lo, data + (lo - off), hi - lo);
		desc_learn(o, (uint16_t)s);
	}
}

static void dev_read_desc(struct vq_obs *o, uint32_t off, uint32_t len, const uint8_t *data)
{
	for (uint32_t s = off / VQ_DESC_SZ; s <= (off + len - 1) / VQ_DESC_SZ; s++) {
		uint32_t lo = s * VQ_DESC_SZ > off ? s * VQ_DESC_SZ : off;
		uint32_t hi = (s + 1) * VQ_DESC_SZ < off + len ? (s + 1) * VQ_DESC_SZ : off + len;

		if (!o->dknown[s]) {
			vq_obs_copy16(o->sdesc + lo, data + (lo - off), hi - lo);
			desc_learn(o, (uint16_t)s);
		} else if (!vq_obs_same16(o->sdesc + lo, data + (lo - off), hi - lo)) {
			drv_write_desc(o, lo, hi - lo, data + (lo - off), true);
		}
		/* virtio 1.3 2.7.13.3: the device reads exposed chains only */
		if (!o->downer[s])
			vq_obs_log(o, VQ_R_SPLIT_DEV_V01, o->area[OBS_DESC] + lo, s, 0);
	}
}

/* ---- Dispatch ------------------------------------------------------------------------ */
void vq_obs_split_access(struct vq_obs *o, const struct vq_access *a, enum obs_area area,
		      uint32_t off, uint32_t len, const uint8_t *data)
{
	bool drv = a->actor == DRV;
	uint64_t addr = o->area[area] + off;

	switch (area) {
	case OBS_DESC:
		if (drv && a->write)
			drv_write_desc(o, off, len, data, false);
		else if (!drv && a->write)
			vq_obs_log(o, VQ_R_SPLIT_DEV_06, addr, off / VQ_DESC_SZ, len);
		else if (!drv)
			dev_read_desc(o, off, len, data);
		break;
	case OBS_DRV:
		if (drv && a->write)
			drv_write_avail(o, off, len, data, false);
		else if (!drv && a->write)
			vq_obs_log(o, VQ_R_SPLIT_DEV_V03, addr, off, len);
		else if (!drv)
			dev_read_avail(o, off, len, data);
		else
			memcpy(o->savail + off, data, len); /* its own memory */
		break;
	case OBS_DEV:
		if (!drv && a->write)
			dev_write_used(o, off, len, data, false);
		else if (drv && a->write)
			vq_obs_log(o, VQ_R_SPLIT_DRV_V06, addr, off, len);
		else if (drv)
			drv_read_used(o, off, len, data);
		else
			memcpy(o->sused + off, data, len);
		break;
	default:
		break;
	}
}
