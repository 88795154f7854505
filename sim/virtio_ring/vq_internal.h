/* SPDX-License-Identifier: MIT */
/*
 * Private to sim/virtio_ring/: ring offsets, the engine structures shared by
 * the split and packed halves, and the accessor wrappers that feed the
 * observer.  Nothing outside this folder includes it.
 */
#ifndef VDPASIM_VQ_INTERNAL_H
#define VDPASIM_VQ_INTERNAL_H

#include "sim/virtio_ring/virtio_ring.h"

#include <errno.h>
#include <stddef.h>

/* Offsets and sizes from the UAPI layouts; memory is never cast to them. */
#define VQ_DESC_SZ ((uint32_t)sizeof(struct vring_desc))
#define VQ_D_ADDR ((uint32_t)offsetof(struct vring_desc, addr))
#define VQ_D_LEN ((uint32_t)offsetof(struct vring_desc, len))
#define VQ_D_FLAGS ((uint32_t)offsetof(struct vring_desc, flags))
#define VQ_D_NEXT ((uint32_t)offsetof(struct vring_desc, next))

#define VQ_A_FLAGS ((uint32_t)offsetof(struct vring_avail, flags))
#define VQ_A_IDX ((uint32_t)offsetof(struct vring_avail, idx))
#define VQ_A_RING ((uint32_t)offsetof(struct vring_avail, ring))
#define VQ_A_ENT ((uint32_t)sizeof(__virtio16))
#define VQ_A_USED_EVENT(num) (VQ_A_RING + VQ_A_ENT * (uint32_t)(num))

#define VQ_U_FLAGS ((uint32_t)offsetof(struct vring_used, flags))
#define VQ_U_IDX ((uint32_t)offsetof(struct vring_used, idx))
#define VQ_U_RING ((uint32_t)offsetof(struct vring_used, ring))
#define VQ_U_ENT ((uint32_t)sizeof(struct vring_used_elem))
#define VQ_UE_ID ((uint32_t)offsetof(struct vring_used_elem, id))
#define VQ_UE_LEN ((uint32_t)offsetof(struct vring_used_elem, len))
#define VQ_U_AVAIL_EVENT(num) (VQ_U_RING + VQ_U_ENT * (uint32_t)(num))

#define VQ_PD_SZ ((uint32_t)sizeof(struct vring_packed_desc))
#define VQ_PD_ADDR ((uint32_t)offsetof(struct vring_packed_desc, addr))
#define VQ_PD_LEN ((uint32_t)offsetof(struct vring_packed_desc, len))
#define VQ_PD_ID ((uint32_t)offsetof(struct vring_packed_desc, id))
#define VQ_PD_FLAGS ((uint32_t)offsetof(struct vring_packed_desc, flags))
#define VQ_PE_OFF_WRAP ((uint32_t)offsetof(struct vring_packed_desc_event, off_wrap))
#define VQ_PE_FLAGS ((uint32_t)offsetof(struct vring_packed_desc_event, flags))
#define VQ_PE_SZ ((uint32_t)sizeof(struct vring_packed_desc_event))

#define VQ_F_AVAIL ((uint16_t)(1u << VRING_PACKED_DESC_F_AVAIL))
#define VQ_F_USED ((uint16_t)(1u << VRING_PACKED_DESC_F_USED))
#define VQ_EV_WRAP ((uint16_t)(1u << VRING_PACKED_EVENT_F_WRAP_CTR))

static inline bool vq_feat(uint64_t f, unsigned bit)
{
	return (f >> bit) & 1;
}

/* Packed availability / used tests for the wrap counter expected there. */
static inline bool vq_pd_is_avail(uint16_t flags, bool wrap)
{
	return !!(flags & VQ_F_AVAIL) == wrap && !!(flags & VQ_F_USED) != wrap;
}
static inline bool vq_pd_is_used(uint16_t flags, bool wrap)
{
	return !!(flags & VQ_F_AVAIL) == wrap && !!(flags & VQ_F_USED) == wrap;
}
static inline uint16_t vq_pd_avail_bits(bool wrap)
{
	return wrap ? VQ_F_AVAIL : VQ_F_USED;
}
static inline uint16_t vq_pd_used_bits(bool wrap)
{
	return wrap ? (uint16_t)(VQ_F_AVAIL | VQ_F_USED) : 0;
}

/*
 * Is packed position e (slot + wrap) in [old, new) walking forward?  Positions
 * map to 0..2num-1 as slot + (wrap ? 0 : num), so stepping past the last slot
 * flips the wrap counter.
 */
static inline uint32_t vq_ppos(uint32_t num, uint16_t slot, bool wrap)
{
	return (uint32_t)slot + (wrap ? 0 : num);
}
/* a + b modulo n for a < n, b <= n, without a division (hot paths) */
static inline uint32_t vq_ring_add(uint32_t a, uint32_t b, uint32_t n)
{
	uint32_t r = a + b;

	return r >= n ? r - n : r;
}
static inline uint32_t vq_ppos_add(uint32_t num, uint32_t pos, uint32_t k)
{
	uint32_t r = pos + k;

	if (r >= 2 * num)
		r -= 2 * num;
	return r < 2 * num ? r : r % (2 * num);
}
static inline uint32_t vq_ppos_dist(uint32_t num, uint32_t from, uint32_t to)
{
	return to >= from ? to - from : to + 2 * num - from;
}
static inline uint16_t vq_ppos_slot(uint32_t num, uint32_t pos)
{
	return (uint16_t)(pos < num ? pos : pos - num);
}
static inline bool vq_ppos_wrap(uint32_t num, uint32_t pos)
{
	return pos < num;
}
static inline bool vq_ppos_in(uint32_t num, uint32_t e, uint32_t old, uint32_t new_)
{
	return vq_ppos_dist(num, old, e) < vq_ppos_dist(num, old, new_);
}

/* The observer hook: one NULL test when no observer is attached. */
static inline void vq_observe(struct vq_obs *obs, enum vq_actor actor, enum vq_kind kind,
			      bool write, uint64_t addr, uint32_t len, const void *data,
			      int32_t chain)
{
	if (obs) {
		struct vq_access a = { actor, kind, write, addr, len, data, chain };
		vq_obs_access(obs, &a);
	}
}

static inline int vq_rd(const struct vq_mem *m, struct vq_obs *obs, enum vq_actor actor,
			enum vq_kind kind, uint64_t addr, void *dst, uint32_t len, int32_t chain)
{
	int r = m->read(m->ctx, addr, dst, len);

	if (r == 0)
		vq_observe(obs, actor, kind, false, addr, len, dst, chain);
	return r;
}

static inline int vq_wr(const struct vq_mem *m, struct vq_obs *obs, enum vq_actor actor,
			enum vq_kind kind, uint64_t addr, const void *src, uint32_t len,
			int32_t chain)
{
	int r = m->write(m->ctx, addr, src, len);

	if (r == 0)
		vq_observe(obs, actor, kind, true, addr, len, src, chain);
	return r;
}

/* ---- Device engine ------------------------------------------------------- */
struct vq_dev_fifo {
	uint16_t id;
	uint16_t ndesc;
	uint32_t in_len;
};

struct vq_dev_stage {
	uint16_t id;
	uint16_t ndesc;
	uint32_t len;
	uint32_t in_len;
};

#define VQ_DEV_ACACHE 64u /* split avail entries read per call, at most */
#define VQ_DEV_DCACHE 16u /* packed descriptors read ahead per call, at most */

struct vq_dev {
	struct vq_mem mem;
	struct vq_obs *obs;
	uint32_t num;
	bool packed, event_idx, indirect, in_order;
	uint64_t desc, drv_area, dev_area;

	bool broken;
	enum vq_violation violation;
	enum vq_violation warning;
	uint32_t nwarn;
	bool notify_off; /* the device asked for no kicks */
	bool notify_known;

	/* split */
	uint16_t last_avail;   /* next avail entry to take */
	uint16_t avail_seen;   /* avail idx as last read */
	uint16_t used_idx;     /* used idx after the last flush */
	uint16_t signalled;    /* used idx at the last interrupt decision */
	uint16_t acache[VQ_DEV_ACACHE];
	uint16_t ac_idx, ac_n; /* acache holds entries ac_idx .. ac_idx + ac_n - 1 */

	/* packed */
	uint16_t apos, upos;
	bool awrap, uwrap;
	uint32_t sig_pos;      /* used position at the last interrupt decision */
	uint8_t dcache[VQ_DEV_DCACHE * 16];
	uint16_t dc_slot, dc_n, dc_lo; /* cached slots dc_lo .. dc_slot + dc_n - 1 */

	/* both */
	uint32_t inflight;
	struct vq_dev_fifo *fifo; /* fetched chains, fetch order */
	uint32_t fifo_head, fifo_n;
	struct vq_dev_stage *stage;
	uint32_t nstage;
	uint8_t *scratch; /* num * 16 bytes: used elements / descriptors to write */
	uint32_t *epos;   /* packed flush: position of each used descriptor */
	uint8_t *ind;     /* indirect table being walked */
	uint32_t ind_cap;
};

/* Latch a ring violation: the queue is broken from now on.  Returns -EIO. */
int vq_dev_bad(struct vq_dev *d, enum vq_violation v);
/* Record a violation the spec tells the device to ignore. */
void vq_dev_warn(struct vq_dev *d, enum vq_violation v);
/* Chain building shared by both layouts. */
struct vq_walk {
	struct vq_chain *c;
	uint32_t count;    /* descriptors visited, direct and indirect */
	uint64_t out, in;
	bool writable_seen;
	bool overflow;     /* more segments than seg_cap */
};
static inline void vq_walk_begin(struct vq_walk *w, struct vq_chain *c)
{
	w->c = c;
	w->count = 0;
	w->out = w->in = 0;
	w->writable_seen = false;
	w->overflow = false;
	c->ndesc = 0;
	c->nout = c->nseg = 0;
	c->out_len = c->in_len = 0;
}

static inline int vq_walk_seg(struct vq_dev *d, struct vq_walk *w, uint64_t addr, uint32_t len,
			      bool write)
{
	struct vq_chain *c = w->c;

	/* virtio 1.3 2.7.4.2 / 2.8.17: writable elements follow readable ones */
	if (!write && w->writable_seen)
		return vq_dev_bad(d, VQ_V_READABLE_AFTER_WRITABLE);
	if (write) {
		w->writable_seen = true;
		w->in += len;
	} else {
		w->out += len;
	}
	/* virtio 1.3 2.7.5.2: a chain is at most 2^32 bytes (we need it to fit u32) */
	if (w->out + w->in > UINT32_MAX)
		return vq_dev_bad(d, VQ_V_LEN_OVERFLOW);
	if (c->nseg >= c->seg_cap) {
		w->overflow = true;
		return 0;
	}
	c->seg[c->nseg].addr = addr;
	c->seg[c->nseg].len = len;
	c->seg[c->nseg].flags = write ? VQ_SEG_F_WRITE : 0;
	c->nseg++;
	if (!write)
		c->nout = c->nseg;
	return 0;
}

static inline int vq_walk_end(struct vq_dev *d, struct vq_walk *w)
{
	struct vq_chain *c = w->c;

	(void)d;
	c->out_len = (uint32_t)w->out;
	c->in_len = (uint32_t)w->in;
	if (w->overflow) {
		c->nseg = c->nout = 0;
		return -EMSGSIZE;
	}
	return 0;
}

/* Read an indirect table of len bytes into d->ind (num entries at most). */
int vq_dev_read_table(struct vq_dev *d, uint64_t addr, uint32_t len, int32_t chain);
void vq_dev_fifo_push(struct vq_dev *d, const struct vq_chain *c);

int vq_split_dev_fetch(struct vq_dev *d, struct vq_chain *c);
bool vq_split_dev_pending(struct vq_dev *d);
int vq_split_dev_flush(struct vq_dev *d);
int vq_split_dev_need_interrupt(struct vq_dev *d);
void vq_split_dev_set_notify(struct vq_dev *d, bool enable);
int vq_packed_dev_fetch(struct vq_dev *d, struct vq_chain *c);
bool vq_packed_dev_pending(struct vq_dev *d);
int vq_packed_dev_flush(struct vq_dev *d);
int vq_packed_dev_need_interrupt(struct vq_dev *d);
void vq_packed_dev_set_notify(struct vq_dev *d, bool enable);

/* ---- Driver engine ------------------------------------------------------- */
enum { VQ_BUF_FREE = 0, VQ_BUF_QUEUED = 1, VQ_BUF_PUBLISHED = 2 };

struct vq_drv_buf {
	void *token;
	uint8_t state;
	uint16_t ndesc;   /* ring descriptors */
	uint16_t last;    /* split: last descriptor of the chain */
	uint32_t in_len;
	uint64_t ind_addr;
	uint32_t ind_bytes;
};

#define VQ_DRV_UCACHE 32u

struct vq_drv_staged {
	uint32_t pos;   /* packed position of the head */
	uint16_t flags; /* head flags to write at publish */
	uint16_t id;
};

struct vq_drv {
	struct vq_mem mem;
	struct vq_obs *obs;
	uint32_t num;
	bool packed, event_idx, indirect_feat, in_order;
	uint64_t desc, drv_area, dev_area;
	bool broken;
	enum vq_violation violation;
	struct vq_indirect_ops ind_ops;
	uint32_t ind_min;

	struct vq_drv_buf *buf; /* by head (split) or buffer id (packed) */
	uint32_t num_free;      /* free descriptors */
	uint32_t inflight;      /* buffers added, not collected */
	uint16_t *fifo;         /* heads / ids in add order (IN_ORDER) */
	uint32_t fifo_head, fifo_n;
	int32_t batch_id;       /* IN_ORDER: last id of the batch being returned, -1 */
	uint32_t batch_len;
	uint8_t *scratch;       /* num * 16 bytes */
	uint16_t *slots;        /* num: descriptor slots of the chain being added */
	bool cb_disabled;

	/* split */
	uint16_t *next;         /* chain links and free list */
	uint16_t free_head;
	uint16_t next_desc;     /* IN_ORDER allocation cursor */
	uint16_t *aring;        /* avail ring entries as written */
	uint16_t avail_idx;     /* including queued ones */
	uint16_t avail_pub;
	uint16_t kick_old;
	uint16_t last_used;
	uint16_t used_seen;
	uint16_t avail_flags;
	uint8_t ucache[VQ_DRV_UCACHE * 8];
	uint16_t uc_idx, uc_n;

	/* packed */
	uint16_t next_avail;
	bool avail_wrap;
	uint16_t used_slot;
	bool used_wrap;
	uint32_t kick_pos;
	uint16_t *free_ids;
	uint32_t nfree_ids;
	struct vq_drv_staged *staged; /* heads whose flags are not yet written */
	uint32_t nstaged;
	uint16_t drv_evt_flags;
	uint8_t pcache[VQ_DRV_UCACHE * 16];
	uint16_t pc_slot, pc_n, pc_lo;
};

int vq_drv_bad(struct vq_drv *d, enum vq_violation v);
void vq_drv_release(struct vq_drv *d, uint16_t id);

int vq_split_drv_init_ring(struct vq_drv *d, const struct vq_state *st);
int vq_split_drv_add(struct vq_drv *d, const struct vq_seg *sg, uint32_t nout, uint32_t nin,
		     void *token, bool use_ind, uint64_t ind_addr);
int vq_split_drv_publish(struct vq_drv *d);
int vq_split_drv_kick_prepare(struct vq_drv *d);
int vq_split_drv_get_used(struct vq_drv *d, void **token, uint32_t *len);
bool vq_split_drv_more_used(struct vq_drv *d);
void vq_split_drv_disable_cb(struct vq_drv *d);
bool vq_split_drv_enable_cb(struct vq_drv *d, bool delayed);
void vq_split_drv_free_chain(struct vq_drv *d, uint16_t head);

int vq_packed_drv_init_ring(struct vq_drv *d, const struct vq_state *st);
int vq_packed_drv_add(struct vq_drv *d, const struct vq_seg *sg, uint32_t nout, uint32_t nin,
		      void *token, bool use_ind, uint64_t ind_addr);
int vq_packed_drv_publish(struct vq_drv *d);
int vq_packed_drv_kick_prepare(struct vq_drv *d);
int vq_packed_drv_get_used(struct vq_drv *d, void **token, uint32_t *len);
bool vq_packed_drv_more_used(struct vq_drv *d);
void vq_packed_drv_disable_cb(struct vq_drv *d);
bool vq_packed_drv_enable_cb(struct vq_drv *d, bool delayed);

#endif
