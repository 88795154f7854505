/* SPDX-License-Identifier: MIT */
/*
 * Private to sim/virtio_ring/: ring offsets, the engine structures shared by
 * the split and packed halves, and ring memory access (through the accessor,
 * or directly for plain memory) that feeds the observer.  Nothing outside
 * this folder includes it.
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

/* Hot paths stay small: rare or long work goes out of line, tiny helpers in. */
#define VQ_COLD __attribute__((noinline, cold))
#define VQ_NOINLINE __attribute__((noinline))
#define VQ_ALWAYS_INLINE inline __attribute__((always_inline))
#define VQ_UNLIKELY(x) __builtin_expect(!!(x), 0)

static inline bool vq_feat(uint64_t f, unsigned bit)
{
	return (f >> bit) & 1;
}

/* Packed AVAIL/USED bits of a descriptor made available / used in a lap of
 * wrap counter `wrap` (2.8.1: avail: AVAIL = wrap, USED = !wrap; used: both
 * = wrap), and the tests for them. */
static inline uint16_t vq_pd_avail_bits(bool wrap)
{
	return wrap ? VQ_F_AVAIL : VQ_F_USED;
}
static inline uint16_t vq_pd_used_bits(bool wrap)
{
	return wrap ? (uint16_t)(VQ_F_AVAIL | VQ_F_USED) : 0;
}
static inline bool vq_pd_is_avail(uint16_t flags, bool wrap)
{
	return (flags & (VQ_F_AVAIL | VQ_F_USED)) == vq_pd_avail_bits(wrap);
}
static inline bool vq_pd_is_used(uint16_t flags, bool wrap)
{
	return (flags & (VQ_F_AVAIL | VQ_F_USED)) == vq_pd_used_bits(wrap);
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

/* Plain accessor calls, for memory outside the ring areas (buffers, tables). */
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

/* ---- Ring area access ------------------------------------------------------ */
enum vq_area { VQ_AREA_DESC = 0, VQ_AREA_DRV = 1, VQ_AREA_DEV = 2 };

/*
 * How an engine reaches its three ring areas.  Through the accessor, one call
 * per access; or, when the accessor is vq_plain_mem_accessor()'s and all
 * three areas lie inside its memory (checked once, by vq_io_init), through
 * host pointers: the same bytes, the same vq_plain_mem counters and the same
 * observer reports, without an indirect call, a bounds check and a copy per
 * access.  Offsets are relative to the area and within it (callers compute
 * them from ring indices already checked against num).
 */
struct vq_io {
	struct vq_plain_mem *pm; /* non-NULL: direct access through host[] */
	struct vq_obs *obs;
	uint8_t *host[3];
	uint64_t addr[3];
	struct vq_mem mem;
	enum vq_actor actor;
};

void vq_io_init(struct vq_io *io, const struct vq_mem *mem, const struct vq_config *cfg,
		enum vq_actor actor);
/* Tell the observer about an access (out of line: hot paths only test io->obs). */
void vq_io_report(const struct vq_io *io, enum vq_kind kind, bool write, uint64_t addr,
		  uint32_t len, const void *data, int32_t chain);

static inline void vq_io_note(const struct vq_io *io, enum vq_kind kind, bool write,
			      uint64_t addr, uint32_t len, const void *data, int32_t chain)
{
	if (VQ_UNLIKELY(io->obs))
		vq_io_report(io, kind, write, addr, len, data, chain);
}

/* Read len bytes at off: a pointer to them (in the ring, or in buf), NULL on a fault. */
static inline const uint8_t *vq_io_rd(struct vq_io *io, enum vq_area area, uint32_t off,
				      void *buf, uint32_t len, enum vq_kind kind, int32_t chain)
{
	const uint8_t *p;

	if (io->pm) {
		io->pm->reads++;
		p = io->host[area] + off;
	} else {
		if (io->mem.read(io->mem.ctx, io->addr[area] + off, buf, len))
			return NULL;
		p = buf;
	}
	vq_io_note(io, kind, false, io->addr[area] + off, len, p, chain);
	return p;
}

/* Read len bytes into buf, always: read-ahead caches keep exactly what they read.  0 or <0. */
static inline int vq_io_copy(struct vq_io *io, enum vq_area area, uint32_t off, void *buf,
			     uint32_t len, enum vq_kind kind, int32_t chain)
{
	if (io->pm) {
		io->pm->reads++;
		__builtin_memcpy(buf, io->host[area] + off, len);
	} else {
		int r = io->mem.read(io->mem.ctx, io->addr[area] + off, buf, len);

		if (r)
			return r;
	}
	vq_io_note(io, kind, false, io->addr[area] + off, len, buf, chain);
	return 0;
}

/*
 * vq_io_copy for n packed descriptors from slot: directly, field by field at
 * the widths the other side stores them.  It usually stored them a moment ago
 * in this same thread, and a load wider than those stores cannot be served
 * from the store buffer: it waits until they have retired (the packed engines
 * read ahead what the other one just wrote; split reads fields one by one).
 */
static inline int vq_io_copy_pdescs(struct vq_io *io, uint32_t slot, uint8_t *buf, uint32_t n)
{
	uint32_t off = VQ_PD_SZ * slot;

	if (!io->pm)
		return vq_io_copy(io, VQ_AREA_DESC, off, buf, n * VQ_PD_SZ, VQ_K_DESC,
				  VQ_NO_CHAIN);
	io->pm->reads++;
	for (const uint8_t *p = io->host[VQ_AREA_DESC] + off, *end = p + n * VQ_PD_SZ; p < end;
	     p += VQ_PD_SZ, buf += VQ_PD_SZ) {
		__builtin_memcpy(buf + VQ_PD_ADDR, p + VQ_PD_ADDR, 8);
		__builtin_memcpy(buf + VQ_PD_LEN, p + VQ_PD_LEN, 4);
		__builtin_memcpy(buf + VQ_PD_ID, p + VQ_PD_ID, 2);
		__builtin_memcpy(buf + VQ_PD_FLAGS, p + VQ_PD_FLAGS, 2);
	}
	vq_io_note(io, VQ_K_DESC, false, io->addr[VQ_AREA_DESC] + off, n * VQ_PD_SZ,
		   buf - n * VQ_PD_SZ, VQ_NO_CHAIN);
	return 0;
}

/*
 * Writes are built in place: vq_io_wbuf says where to put the bytes going to
 * off (the ring itself when direct, else buf), vq_io_wr then commits them
 * (the accessor call, or nothing to copy) and reports them.  Bytes built
 * elsewhere are fine too: vq_io_wr copies them when p is not the ring.
 */
static inline uint8_t *vq_io_wbuf(const struct vq_io *io, enum vq_area area, uint32_t off,
				  void *buf)
{
	return io->pm ? io->host[area] + off : (uint8_t *)buf;
}

static inline int vq_io_wr(struct vq_io *io, enum vq_area area, uint32_t off, const void *p,
			   uint32_t len, enum vq_kind kind, int32_t chain)
{
	if (io->pm) {
		uint8_t *dst = io->host[area] + off;

		if (p != dst)
			__builtin_memcpy(dst, p, len);
		io->pm->writes++;
	} else {
		int r = io->mem.write(io->mem.ctx, io->addr[area] + off, p, len);

		if (r)
			return r;
	}
	vq_io_note(io, kind, true, io->addr[area] + off, len, p, chain);
	return 0;
}

/* A 16-bit field (indices, flags, event offsets). */
static inline int vq_io_put16(struct vq_io *io, enum vq_area area, uint32_t off, uint16_t v,
			      enum vq_kind kind)
{
	uint8_t b[2];

	if (io->pm) {
		uint8_t *p = io->host[area] + off;

		vq_put_le16(p, v);
		io->pm->writes++;
		vq_io_note(io, kind, true, io->addr[area] + off, 2, p, VQ_NO_CHAIN);
		return 0;
	}
	vq_put_le16(b, v);
	return vq_io_wr(io, area, off, b, 2, kind, VQ_NO_CHAIN);
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
	struct vq_io io;
	uint32_t num;
	bool packed, event_idx, indirect, in_order;
	bool broken;
	uint32_t inflight;

	/* split */
	uint16_t last_avail;   /* next avail entry to take */
	uint16_t avail_seen;   /* avail idx as last read */
	uint16_t used_idx;     /* used idx after the last flush */
	uint16_t signalled;    /* used idx at the last interrupt decision */
	uint16_t ac_idx, ac_n; /* acache holds entries ac_idx .. ac_idx + ac_n - 1 */

	/* packed */
	uint16_t apos, upos;
	bool awrap, uwrap;
	uint16_t dc_slot, dc_n, dc_lo; /* cached slots dc_lo .. dc_slot + dc_n - 1 */
	uint32_t sig_pos;      /* used position at the last interrupt decision */

	/* both */
	struct vq_dev_stage *stage;
	uint32_t nstage;
	struct vq_dev_fifo *fifo; /* fetched chains, fetch order (IN_ORDER) */
	uint32_t fifo_head, fifo_n;
	uint8_t *scratch; /* num * 16 bytes: what goes out through the accessor */
	uint8_t *ind;     /* indirect table being walked */
	uint32_t ind_cap;

	enum vq_violation violation;
	enum vq_violation warning;
	uint32_t nwarn;
	bool notify_off; /* the device asked for no kicks */
	bool notify_known;

	uint16_t acache[VQ_DEV_ACACHE];
	uint8_t dcache[VQ_DEV_DCACHE * 16];
};

/* Latch a ring violation: the queue is broken from now on.  Returns -EIO
 * (inline, so callers' error paths are plain returns). */
void vq_dev_latch(struct vq_dev *d, enum vq_violation v);
static inline int vq_dev_bad(struct vq_dev *d, enum vq_violation v)
{
	vq_dev_latch(d, v);
	return -EIO;
}
/* Record a violation the spec tells the device to ignore. */
void vq_dev_warn(struct vq_dev *d, enum vq_violation v);
/*
 * Chain building shared by both layouts.  The walk state lives in a local of
 * the walking function, kept in registers (out-of-line helpers get a copy),
 * and the chain is filled once at the end.  Segments are counted even past
 * seg_cap: a readable one after nread != nseen means a writable one came
 * before it.
 */
struct vq_walk {
	struct vq_seg *seg;
	uint32_t cap;
	uint32_t nseen;    /* segments seen */
	uint32_t nread;    /* device-readable ones among them */
	uint32_t count;    /* descriptors visited, direct and indirect */
	uint64_t out, total;
};

static inline void vq_walk_begin(struct vq_walk *w, const struct vq_chain *c)
{
	w->seg = c->seg;
	w->cap = c->seg_cap;
	w->nseen = w->nread = 0;
	w->count = 0;
	w->out = w->total = 0;
}

static inline int vq_walk_seg(struct vq_dev *d, struct vq_walk *w, uint64_t addr, uint32_t len,
			      bool write)
{
	if (!write) {
		/* virtio 1.3 2.7.4.2 / 2.8.17: writable elements follow readable ones */
		if (w->nread != w->nseen)
			return vq_dev_bad(d, VQ_V_READABLE_AFTER_WRITABLE);
		w->nread++;
		w->out += len;
	}
	/* virtio 1.3 2.7.5.2: a chain is at most 2^32 bytes (we need it to fit u32) */
	w->total += len;
	if (w->total > UINT32_MAX)
		return vq_dev_bad(d, VQ_V_LEN_OVERFLOW);
	if (w->nseen < w->cap) {
		struct vq_seg *s = &w->seg[w->nseen];

		s->addr = addr;
		s->len = len;
		s->flags = write ? VQ_SEG_F_WRITE : 0;
	}
	w->nseen++;
	return 0;
}

/* Fill the chain: 0, or -EMSGSIZE (lengths set, no segments) past seg_cap. */
static inline int vq_walk_end(const struct vq_walk *w, struct vq_chain *c, uint32_t ndesc)
{
	c->ndesc = (uint16_t)ndesc;
	c->out_len = (uint32_t)w->out;
	c->in_len = (uint32_t)(w->total - w->out);
	if (w->nseen > w->cap) {
		c->nseg = c->nout = 0;
		return -EMSGSIZE;
	}
	c->nseg = w->nseen;
	c->nout = w->nread;
	return 0;
}

/*
 * The common buffer of one direct descriptor, without the walk: one segment
 * cannot overflow the length or break the readable-before-writable order.
 * The caller checked seg_cap > 0.
 */
static inline void vq_chain_one(struct vq_chain *c, uint64_t addr, uint32_t len, bool write)
{
	c->ndesc = 1;
	c->nseg = 1;
	c->seg[0].addr = addr;
	c->seg[0].len = len;
	c->seg[0].flags = write ? VQ_SEG_F_WRITE : 0;
	c->nout = write ? 0 : 1;
	c->out_len = write ? 0 : len;
	c->in_len = write ? len : 0;
}

/* Read an indirect table of len bytes into d->ind (num entries at most). */
int vq_dev_read_table(struct vq_dev *d, uint64_t addr, uint32_t len, int32_t chain);

/* A chain was taken: count it, and remember the order for IN_ORDER pushes. */
static inline void vq_dev_fifo_push(struct vq_dev *d, const struct vq_chain *c)
{
	d->inflight++;
	if (d->in_order) {
		struct vq_dev_fifo *f = &d->fifo[vq_ring_add(d->fifo_head, d->fifo_n, d->num)];

		f->id = c->id;
		f->ndesc = c->ndesc;
		f->in_len = c->in_len;
		d->fifo_n++;
	}
}

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
	uint64_t ind_addr;
	uint32_t ind_bytes; /* 0: no indirect table */
	uint32_t in_len;    /* writable bytes (IN_ORDER only: skipped buffers' length) */
	uint16_t ndesc;     /* ring descriptors */
	uint16_t last;      /* split: last descriptor of the chain */
	uint8_t state;
};

#define VQ_DRV_UCACHE 32u

struct vq_drv_staged {
	uint16_t slot;  /* the head's slot and wrap counter */
	bool wrap;
	uint16_t flags; /* head flags to write at publish */
	uint16_t id;
};

struct vq_drv {
	struct vq_io io;
	uint32_t num;
	bool packed, event_idx, indirect_feat, in_order;
	bool broken;
	bool cb_disabled;
	uint32_t ind_min;       /* use indirect tables from this many segments (0: never) */
	uint32_t num_free;      /* free descriptors */
	uint32_t inflight;      /* buffers added, not collected */
	struct vq_drv_buf *buf; /* by head (split) or buffer id (packed) */
	uint8_t *scratch;       /* num * 16 bytes: the ring's shape, for the accessor */

	/* split */
	uint16_t *next;         /* chain links and free list (ring order with IN_ORDER) */
	uint16_t *aring;        /* avail ring entries as written */
	uint16_t free_head;     /* with IN_ORDER: the allocation cursor */
	uint16_t avail_idx;     /* including queued ones */
	uint16_t avail_pub;
	uint16_t kick_old;
	uint16_t last_used;
	uint16_t used_seen;
	uint16_t avail_flags;
	uint16_t uc_idx, uc_n;

	/* packed */
	uint16_t next_avail;
	bool avail_wrap;
	bool used_wrap;
	uint16_t used_slot;
	uint16_t drv_evt_flags;
	uint16_t pc_slot, pc_n, pc_lo;
	uint32_t kick_pos;
	uint16_t *free_ids;
	uint32_t nfree_ids;
	struct vq_drv_staged *staged; /* heads whose flags are not yet written */
	uint32_t nstaged;

	/* both: IN_ORDER and indirect tables */
	uint16_t *fifo;         /* heads / ids in add order (IN_ORDER) */
	uint32_t fifo_head, fifo_n;
	int32_t batch_id;       /* IN_ORDER: last id of the batch being returned, -1 */
	uint32_t batch_len;
	struct vq_indirect_ops ind_ops;
	enum vq_violation violation;

	uint8_t ucache[VQ_DRV_UCACHE * 8];
	uint8_t pcache[VQ_DRV_UCACHE * 16];
};

/* Latch a ring violation seen by the driver; returns -EIO (inline, like vq_dev_bad). */
void vq_drv_latch(struct vq_drv *d, enum vq_violation v);
static inline int vq_drv_bad(struct vq_drv *d, enum vq_violation v)
{
	vq_drv_latch(d, v);
	return -EIO;
}

/*
 * What every add checks before touching anything: 0, -EIO or -EINVAL, and
 * the writable bytes in *in_len (only IN_ORDER needs them: a skipped buffer
 * comes back with its full writable length).
 */
static inline int vq_drv_add_check(const struct vq_drv *d, const struct vq_seg *sg,
				   uint32_t nout, uint32_t nin, const void *token,
				   uint32_t *in_len)
{
	uint64_t total = (uint64_t)nout + nin, bytes = 0, in = 0;

	if (d->broken)
		return -EIO;
	/* virtio 1.3 2.7.5.3.1 / 2.8.17: no chain longer than the queue size */
	if (!token || !sg || total == 0 || total > d->num)
		return -EINVAL;
	for (uint32_t i = 0; i < total; i++)
		bytes += sg[i].len;
	if (bytes > UINT32_MAX)
		return -EINVAL;
	if (d->in_order)
		for (uint32_t i = nout; i < total; i++)
			in += sg[i].len;
	*in_len = (uint32_t)in;
	return 0;
}

static inline bool vq_drv_want_indirect(const struct vq_drv *d, uint32_t total)
{
	return d->ind_min && total >= d->ind_min && d->indirect_feat && d->ind_ops.alloc;
}

/* Add through an indirect table: allocate and write it, then the layout's
 * add_ind puts the one ring descriptor. */
int vq_drv_add_indirect(struct vq_drv *d, const struct vq_seg *sg, uint32_t nout, uint32_t total,
			void *token, uint32_t in_len);

/* A buffer came back or is detached: its descriptors and id are free again. */
static inline void vq_drv_release(struct vq_drv *d, uint16_t id)
{
	struct vq_drv_buf *b = &d->buf[id];

	if (b->ind_bytes) {
		if (d->ind_ops.free)
			d->ind_ops.free(d->ind_ops.ctx, b->ind_addr, b->ind_bytes);
		b->ind_bytes = 0;
	}
	if (d->packed) {
		d->free_ids[d->nfree_ids++] = id;
	} else if (!d->in_order) {
		/* the chain's own links still lead from head to last */
		d->next[b->last] = d->free_head;
		d->free_head = id;
	}
	d->num_free += b->ndesc;
	b->state = VQ_BUF_FREE;
	b->token = NULL;
	d->inflight--;
}

int vq_split_drv_init_ring(struct vq_drv *d, const struct vq_state *st);
int vq_split_drv_add(struct vq_drv *d, const struct vq_seg *sg, uint32_t nout, uint32_t nin,
		     void *token);
int vq_split_drv_add_ind(struct vq_drv *d, void *token, uint32_t in_len, uint64_t ind_addr,
			 uint32_t ind_bytes);
int vq_split_drv_publish(struct vq_drv *d);
int vq_split_drv_kick_prepare(struct vq_drv *d);
int vq_split_drv_get_used(struct vq_drv *d, void **token, uint32_t *len);
bool vq_split_drv_more_used(struct vq_drv *d);
void vq_split_drv_disable_cb(struct vq_drv *d);
bool vq_split_drv_enable_cb(struct vq_drv *d, bool delayed);

int vq_packed_drv_init_ring(struct vq_drv *d, const struct vq_state *st);
int vq_packed_drv_add(struct vq_drv *d, const struct vq_seg *sg, uint32_t nout, uint32_t nin,
		      void *token);
int vq_packed_drv_add_ind(struct vq_drv *d, void *token, uint32_t in_len, uint64_t ind_addr,
			  uint32_t ind_bytes);
int vq_packed_drv_publish(struct vq_drv *d);
int vq_packed_drv_kick_prepare(struct vq_drv *d);
int vq_packed_drv_get_used(struct vq_drv *d, void **token, uint32_t *len);
bool vq_packed_drv_more_used(struct vq_drv *d);
void vq_packed_drv_disable_cb(struct vq_drv *d);
bool vq_packed_drv_enable_cb(struct vq_drv *d, bool delayed);

#endif
