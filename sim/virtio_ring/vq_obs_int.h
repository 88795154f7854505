/* SPDX-License-Identifier: MIT */
/*
 * Private to the ring observer (vq_obs*.c).  The observer keeps a shadow of
 * the ring areas, who owns which descriptor, a record per buffer in flight
 * (its segments copied when it was exposed), and the notification debts of
 * both sides.  Reads feed it too: when a side reads ring memory that differs
 * from the shadow, the other side wrote it unseen (a foreign driver or device)
 * and the write is replayed as "inferred", with order-dependent checks off.
 */
#ifndef VDPASIM_VQ_OBS_INT_H
#define VDPASIM_VQ_OBS_INT_H

#include "sim/virtio_ring/vq_internal.h"

#define OBS_NO_SLOT 0xffffu

struct obs_seg {
	uint64_t addr;
	uint32_t len;
	uint32_t write;
};

struct obs_chain {
	bool live;          /* exposed, not yet used */
	bool partial;       /* split: a ring descriptor of it is still unknown */
	bool resume;        /* split: walk_next is already owned by us */
	bool ind_pending;   /* indirect table not read by the device yet */
	bool bad;           /* malformed: its buffers are not checked */
	bool writable_seen;
	uint16_t id;        /* split: head; packed: buffer id */
	uint16_t walk_next; /* split: where a partial walk resumes */
	uint32_t ndesc;     /* ring descriptors */
	uint32_t pos;       /* split: avail index; packed: head position */
	uint64_t out_len, in_len, written;
	uint32_t nseg, seg_cap;
	struct obs_seg *seg;
	uint32_t nslot, slot_cap;
	uint16_t *slot;     /* split: ring descriptors owned */
	uint64_t ind_addr;
	uint32_t ind_len, ind_seen, ind_cap;
	uint8_t *ind_copy;
};

/* One direction of notifications (driver kicks or device interrupts). */
struct obs_notif {
	bool owed;          /* a MUST notification has not been seen yet */
	uint32_t owed_at;   /* split: published idx; packed: position concerned */
	enum vq_rule missing;
	bool since;         /* something was published since the last one */
	bool justified;     /* and some publish asked for a notification */
	uint32_t base;      /* published point at the last notification */
};

enum obs_area { OBS_NONE = -1, OBS_DESC = 0, OBS_DRV = 1, OBS_DEV = 2 };

struct vq_obs {
	uint32_t num;
	bool packed, event_idx, indirect, in_order;
	uint64_t area[3], area_len[3];
	uint64_t seq;

	struct vq_obs_event *log;
	uint32_t log_cap, log_n;
	uint64_t total, level_count[2], rule_count[VQ_R_COUNT];
	void (*cb)(void *ctx, const struct vq_obs_event *ev);
	void *cb_ctx;

	struct obs_chain *ch; /* split: by head; packed: from free_rec */
	uint32_t inflight;
	uint32_t npartial;
	uint16_t *fifo;       /* chains in exposure order (IN_ORDER) */
	uint32_t fifo_head, fifo_n;
	struct obs_notif kick, irq;

	/* split */
	uint8_t *sdesc, *savail, *sused;
	uint8_t *dknown;
	uint16_t *downer;     /* head + 1 of the chain owning a descriptor */
	uint8_t *afresh;      /* avail entry written or read since last taken */
	uint8_t *ufresh;      /* used element written or read since last taken */
	uint16_t avail_pub, dev_next, resolved, used_pub, used_done, io_next;

	/* packed */
	uint8_t *pdesc;
	uint8_t drv_evt[VQ_PE_SZ], dev_evt[VQ_PE_SZ];
	uint32_t drv_pos, used_pos;
	uint32_t *amark;      /* position + 1 a slot was made available for */
	uint32_t *umark;      /* position + 1 a slot was marked used for */
	uint8_t *dfields;     /* device-written fields since it owns the slot */
	uint16_t *idmap;      /* buffer id -> chain record + 1 */
	uint16_t *free_rec;   /* chain records not in use */
	uint32_t nfree_rec;
};

#define OBS_F_LEN 1u
#define OBS_F_ID 2u

/*
 * memcpy / memcmp of a descriptor's bytes, mostly a whole one: then inline,
 * field by field at the widths the engines store them (see vq_copy_fields).
 */
static inline void vq_obs_copy16(uint8_t *dst, const uint8_t *src, uint32_t len)
{
	if (len == 16)
		__builtin_memcpy(dst, src, 16);
	else
		__builtin_memcpy(dst, src, len);
}

static inline bool vq_obs_same16(const uint8_t *a, const uint8_t *b, uint32_t len)
{
	if (len == 16)
		return __builtin_memcmp(a, b, 16) == 0;
	return __builtin_memcmp(a, b, len) == 0;
}

void vq_obs_log(struct vq_obs *o, enum vq_rule r, uint64_t addr, uint32_t index, uint32_t value);
/* Chain records */
void vq_obs_chain_start(struct vq_obs *o, struct obs_chain *c, uint16_t id, uint32_t pos);
void vq_obs_chain_release(struct vq_obs *o, struct obs_chain *c);
/* Append a segment; logs readable-after-writable and total-length rules. */
void vq_obs_chain_seg(struct vq_obs *o, struct obs_chain *c, uint64_t addr, uint32_t len,
		      bool write, enum vq_rule rw_rule, enum vq_rule len_rule);
int vq_obs_chain_slot(struct obs_chain *c, uint16_t slot);
void vq_obs_fifo_push(struct vq_obs *o, uint16_t idx);
/* Notifications */
void vq_obs_published(struct obs_notif *n, bool need, uint32_t at, enum vq_rule missing);
/* A device access outside the ring areas (buffers, indirect tables). */
void vq_obs_device_mem(struct vq_obs *o, const struct vq_access *a, uint64_t addr, uint32_t len,
		    const uint8_t *data);

/* Layout halves: off is relative to the area. */
void vq_obs_split_reset(struct vq_obs *o, const struct vq_state *st);
void vq_obs_split_access(struct vq_obs *o, const struct vq_access *a, enum obs_area area,
		      uint32_t off, uint32_t len, const uint8_t *data);
void vq_obs_split_parse_table(struct vq_obs *o, struct obs_chain *c);
bool vq_obs_split_kick_need(struct vq_obs *o, uint32_t old, uint32_t new_);
bool vq_obs_split_irq_need(struct vq_obs *o, uint32_t old, uint32_t new_);

void vq_obs_packed_reset(struct vq_obs *o, const struct vq_state *st);
void vq_obs_packed_access(struct vq_obs *o, const struct vq_access *a, enum obs_area area,
		       uint32_t off, uint32_t len, const uint8_t *data);
void vq_obs_packed_parse_table(struct vq_obs *o, struct obs_chain *c);
bool vq_obs_packed_kick_need(struct vq_obs *o, uint32_t old, uint32_t new_);
bool vq_obs_packed_irq_need(struct vq_obs *o, uint32_t old, uint32_t new_);
struct obs_chain *vq_obs_packed_by_id(struct vq_obs *o, int32_t id);

#endif
