/* SPDX-License-Identifier: MIT */
/*
 * Virtio rings: split and packed layouts, a driver-side engine, a device-side
 * engine and the ring observer that checks the VIRTIO rules on every access.
 *
 * Memory.  Ring memory and buffers are only ever touched through a struct
 * vq_mem accessor (read/write callbacks returning 0 or a negative errno) with
 * explicit little-endian loads and stores; layouts and flag bits come from
 * <linux/virtio_ring.h> via include/vdpasim/uapi.h.  vq_plain_mem_* gives a
 * bounds-checked accessor over a host buffer; the platform supplies a timed
 * accessor through the IOMMU.  The engines are synchronous: each call does its
 * accesses immediately and returns.  They batch where the ring allows (several
 * avail entries, used elements or packed descriptors per accessor call),
 * because each accessor call may cost a PCIe transaction.
 *
 * Lifecycle of a buffer (both layouts):
 *
 *   driver                                  device
 *   vq_drv_add(sg, nout, nin, token)  ...
 *   vq_drv_kick_prepare() -> notify?  --->  vq_dev_fetch(&chain)       (1 = got one)
 *                                           vq_dev_read()/vq_dev_write() on the chain
 *                                           vq_dev_push(&chain, written) ...
 *                                           vq_dev_flush()             (publishes)
 *   vq_drv_get_used(&token, &len)     <---  vq_dev_need_interrupt() -> interrupt?
 *
 * Errors.  Functions return 0 (or a count / boolean as documented) or a
 * negative errno.  A malformed ring seen by an engine (a guest or device bug:
 * loops, out-of-range indices, bad indirect tables, accessor faults...) never
 * asserts or loops: the engine records a stable enum vq_violation, latches
 * "broken" and every later call returns -EIO.  The device model then sets
 * DEVICE_NEEDS_RESET (vq_dev_broken(), vq_dev_violation()).
 *
 * Observer.  A struct vq_obs sits on the shared ring memory, not inside an
 * engine: attach the same observer to a driver engine and a device engine
 * (vq_drv_set_observer, vq_dev_set_observer), or feed it raw DMA of a foreign
 * device (vq_obs_access with VQ_K_RAW).  It tracks who owns what from what it
 * sees both sides do and logs rule violations with stable ids (vq_rule_info).
 * With no observer attached an engine pays one NULL test per access.
 */
#ifndef VDPASIM_VIRTIO_RING_H
#define VDPASIM_VIRTIO_RING_H

#include "vdpasim/uapi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VQ_MAX_SIZE 32768u

/* ---- Little-endian helpers (also handy for device models) -------------- */
/* Explicit little-endian loads and stores of unaligned bytes; on a
 * little-endian host they compile to plain moves. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define VQ_HOST_LE 1
#else
#define VQ_HOST_LE 0
#endif

static inline uint16_t vq_le16(const void *p)
{
	const uint8_t *b = p;
	uint16_t v;

	if (VQ_HOST_LE) {
		__builtin_memcpy(&v, p, 2);
		return v;
	}
	return (uint16_t)(b[0] | b[1] << 8);
}
static inline uint32_t vq_le32(const void *p)
{
	const uint8_t *b = p;
	uint32_t v;

	if (VQ_HOST_LE) {
		__builtin_memcpy(&v, p, 4);
		return v;
	}
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline uint64_t vq_le64(const void *p)
{
	return (uint64_t)vq_le32(p) | (uint64_t)vq_le32((const uint8_t *)p + 4) << 32;
}
static inline void vq_put_le16(void *p, uint16_t v)
{
	uint8_t *b = p;

	if (VQ_HOST_LE) {
		__builtin_memcpy(p, &v, 2);
		return;
	}
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}
static inline void vq_put_le32(void *p, uint32_t v)
{
	uint8_t *b = p;

	if (VQ_HOST_LE) {
		__builtin_memcpy(p, &v, 4);
		return;
	}
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}
static inline void vq_put_le64(void *p, uint64_t v)
{
	vq_put_le32(p, (uint32_t)v);
	vq_put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

/* ---- Memory accessor ----------------------------------------------------- */
/*
 * read/write return 0 or a negative errno (-EFAULT for an unmapped address, a
 * DMA fault...).  A failing access by the device engine is a ring error
 * (VQ_V_ACCESS_FAULT, queue broken); by the driver engine it is returned.
 */
struct vq_mem {
	int (*read)(void *ctx, uint64_t addr, void *dst, uint32_t len);
	int (*write)(void *ctx, uint64_t addr, const void *src, uint32_t len);
	void *ctx;
};

/*
 * Plain host memory seen at bus address `addr`, `size` bytes, bounds-checked.
 *
 * Fast path: the engines recognise this accessor (by its callbacks).  When a
 * queue's three ring areas lie inside pm, vq_drv_create / vq_dev_create check
 * those bounds once and the engine then reaches the ring areas through host
 * pointers instead of one accessor call per access: same bytes, same order,
 * same observer reports, and reads/writes still count one per access the
 * accessor would have seen.  Buffers and indirect tables still go through the
 * accessor.  So keep base, addr and size unchanged while engines use pm.
 * Any other accessor (a DMA accessor, a wrapper) takes the accessor path.
 */
struct vq_plain_mem {
	uint8_t *base;
	uint64_t addr;
	uint64_t size;
	uint64_t reads, writes; /* accesses (calls or direct), for tests and benchmarks */
};
void vq_plain_mem_init(struct vq_plain_mem *pm, void *base, uint64_t addr, uint64_t size);
/* An accessor over pm (pm must outlive the users of the accessor). */
struct vq_mem vq_plain_mem_accessor(struct vq_plain_mem *pm);

/* ---- Queue configuration -------------------------------------------------- */
/*
 * features: the negotiated feature bits; the ring looks at
 * VIRTIO_F_RING_PACKED, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC
 * and VIRTIO_F_IN_ORDER.  num: split a power of two 1..32768, packed 1..32768.
 * desc_addr/driver_addr/device_addr: the descriptor area, driver area (split:
 * available ring; packed: driver event suppression) and device area (split:
 * used ring; packed: device event suppression), as programmed by the driver.
 */
struct vq_config {
	uint32_t num;
	uint64_t desc_addr;
	uint64_t driver_addr;
	uint64_t device_addr;
	uint64_t features;
};

static inline bool vq_cfg_packed(const struct vq_config *c)
{
	return c->features & (1ULL << VIRTIO_F_RING_PACKED);
}
/* 0, or -EINVAL for a bad size or misaligned area (virtio 1.3 2.7.1, 2.8.11). */
int vq_config_check(const struct vq_config *cfg);
/* Bytes of each area for cfg's layout and num (split sizes include the event
 * index slots, which the spec reserves whatever the features). */
uint64_t vq_desc_area_size(const struct vq_config *cfg);
uint64_t vq_driver_area_size(const struct vq_config *cfg);
uint64_t vq_device_area_size(const struct vq_config *cfg);
/* Place the three areas one after the other from `base` with their
 * alignments; returns the first byte after them. */
uint64_t vq_config_place(struct vq_config *cfg, uint64_t base);

/* ---- Per-queue state (save/restore, start from any point) ----------------- */
/*
 * split:  avail_idx = the device's last_avail_idx (next avail entry it will
 *         consume), used_idx = the used idx; wraps ignored.
 * packed: avail_idx/avail_wrap = next descriptor slot the device will read and
 *         the wrap counter it expects there; used_idx/used_wrap = next slot the
 *         device writes a used descriptor to and its wrap counter.
 * A fresh queue is all zero with both wrap counters 1 (vq_state_init).
 */
struct vq_state {
	uint16_t avail_idx;
	uint16_t used_idx;
	bool avail_wrap;
	bool used_wrap;
};
void vq_state_init(struct vq_state *st);
/*
 * vhost_vring_state.num in the kernel's packing (VHOST_GET/SET_VRING_BASE):
 * split: last_avail_idx; packed: last_avail_idx | avail_wrap << 15 in the low
 * half and last_used_idx | used_wrap << 15 in the high half.  Unpacking a
 * split value sets used_idx = avail_idx: a suspended device has used every
 * buffer it fetched.  -EINVAL when a packed index is >= num.
 */
uint32_t vq_state_to_vhost(const struct vq_state *st, bool packed);
int vq_state_from_vhost(struct vq_state *st, uint32_t vhost_num, bool packed, uint32_t num);

/* ---- Ring violations seen by the engines ---------------------------------- */
/* Stable numbers: append only. */
enum vq_violation {
	VQ_V_NONE = 0,
	VQ_V_ACCESS_FAULT = 1,             /* the accessor failed (unmapped IOVA, DMA fault) */
	VQ_V_AVAIL_IDX_JUMP = 2,           /* avail idx more than num ahead of last_avail */
	VQ_V_HEAD_OUT_OF_RANGE = 3,        /* avail ring entry >= num */
	VQ_V_NEXT_OUT_OF_RANGE = 4,        /* next >= num (or >= the indirect table size) */
	VQ_V_DESC_LOOP = 5,                /* a chain revisits a descriptor */
	VQ_V_CHAIN_TOO_LONG = 6,           /* more descriptors than the queue size */
	VQ_V_INDIRECT_NOT_NEGOTIATED = 7,  /* INDIRECT without VIRTIO_F_INDIRECT_DESC */
	VQ_V_INDIRECT_WITH_NEXT = 8,       /* INDIRECT and NEXT on one descriptor */
	VQ_V_INDIRECT_NESTED = 9,          /* INDIRECT inside an indirect table (split) */
	VQ_V_INDIRECT_BAD_LEN = 10,        /* table length 0 or not a multiple of 16 */
	VQ_V_INDIRECT_IN_CHAIN = 11,       /* packed: INDIRECT on a non-head list member */
	VQ_V_READABLE_AFTER_WRITABLE = 12, /* a device-readable element after a writable one */
	VQ_V_LEN_OVERFLOW = 13,            /* a chain's total length exceeds UINT32_MAX */
	VQ_V_CHAIN_NOT_AVAIL = 14,         /* packed: a list member is not available */
	VQ_V_USED_IDX_JUMP = 15,           /* driver: used idx beyond the buffers in flight */
	VQ_V_USED_ID_INVALID = 16,         /* driver: used id not a buffer in flight */
	VQ_V_INDIRECT_RESERVED_FLAGS = 17, /* packed: flags other than WRITE in an indirect
					    * entry; ignored, not fatal (2.8.7) */
	VQ_V_COUNT
};
const char *vq_violation_name(enum vq_violation v);
/* false for the few that the spec tells the device to ignore. */
bool vq_violation_fatal(enum vq_violation v);

/* ---- Scatter lists and chains -------------------------------------------- */
#define VQ_SEG_F_WRITE 1u /* device-writable */

struct vq_seg {
	uint64_t addr;
	uint32_t len;
	uint32_t flags; /* VQ_SEG_F_WRITE */
};

/*
 * One available buffer as the device sees it.  The caller provides seg and
 * seg_cap; vq_dev_fetch fills the rest.  seg[0..nout) are device-readable,
 * seg[nout..nseg) device-writable.  Keep the chain (or a copy: the fields up
 * to nseg are all vq_dev_push needs) until it is pushed.
 */
struct vq_chain {
	uint16_t id;      /* split: head index; packed: buffer id */
	uint16_t ndesc;   /* ring descriptors it occupies (packed skip count) */
	uint32_t out_len; /* device-readable bytes */
	uint32_t in_len;  /* device-writable bytes */
	uint32_t nout;
	uint32_t nseg;
	struct vq_seg *seg;
	uint32_t seg_cap;
};

/* ---- Observer -------------------------------------------------------------- */
struct vq_obs;

enum vq_actor { VQ_ACTOR_DRIVER = 0, VQ_ACTOR_DEVICE = 1 };

/* What an access touches, as the caller believes; the observer classifies by
 * address itself and uses the kind for the strictness of buffer checks. */
enum vq_kind {
	VQ_K_DESC = 0,          /* descriptor table / ring */
	VQ_K_AVAIL = 1,         /* split available ring */
	VQ_K_USED = 2,          /* split used ring */
	VQ_K_EVENT = 3,         /* event index slots, packed event suppression */
	VQ_K_INDIRECT = 4,      /* an indirect descriptor table */
	VQ_K_BUFFER = 5,        /* a buffer of a chain in flight (must be inside one) */
	VQ_K_RAW = 6,           /* unclassified DMA (ignored when not this queue's) */
};

#define VQ_NO_CHAIN (-1)

struct vq_access {
	enum vq_actor actor;
	enum vq_kind kind;
	bool write;
	uint64_t addr;
	uint32_t len;
	const void *data;  /* bytes written, or bytes the read returned */
	int32_t chain;     /* chain id the access is for, or VQ_NO_CHAIN */
};

/* Rule ids: actor + spec area; ids of rows of the requirement catalogue
 * (virtio-requirements.tsv) where the rule is one of them, otherwise a -Vnn
 * suffix (rules this observer adds).  Stable numbers: append only. */
enum vq_rule {
	/* split, driver */
	VQ_R_SPLIT_DRV_02 = 0,  /* readable after writable */
	VQ_R_SPLIT_DRV_04,      /* chain length > 4 GiB or a loop */
	VQ_R_SPLIT_DRV_05,      /* IN_ORDER: next == x + 1 */
	VQ_R_SPLIT_DRV_06,      /* INDIRECT without the feature */
	VQ_R_SPLIT_DRV_07,      /* INDIRECT inside an indirect table */
	VQ_R_SPLIT_DRV_08,      /* chain longer than the queue size */
	VQ_R_SPLIT_DRV_09,      /* INDIRECT with NEXT */
	VQ_R_SPLIT_DRV_10,      /* IN_ORDER: indirect entries sequential */
	VQ_R_SPLIT_DRV_11,      /* avail idx decreased / jumped past the queue */
	VQ_R_SPLIT_DRV_12,      /* avail flags not 0/1 without EVENT_IDX */
	VQ_R_SPLIT_DRV_14,      /* avail flags not 0 with EVENT_IDX */
	VQ_R_SPLIT_DRV_21,      /* kick with NO_NOTIFY set (SHOULD NOT) */
	VQ_R_SPLIT_DRV_22,      /* no kick although notifications were enabled */
	VQ_R_SPLIT_DRV_24,      /* no kick although avail_event was crossed */
	VQ_R_SPLIT_DRV_25,      /* kick without crossing avail_event (SHOULD NOT) */
	VQ_R_SPLIT_DRV_X02,     /* IN_ORDER: descriptors allocated in ring order */
	VQ_R_SPLIT_DRV_V01,     /* wrote a descriptor of a chain in flight */
	VQ_R_SPLIT_DRV_V02,     /* rewrote an avail entry the device has not read */
	VQ_R_SPLIT_DRV_V03,     /* head or next index >= queue size */
	VQ_R_SPLIT_DRV_V04,     /* made available a descriptor already in flight */
	VQ_R_SPLIT_DRV_V05,     /* indirect table length 0 or not a multiple of 16 */
	VQ_R_SPLIT_DRV_V06,     /* wrote the used ring */
	/* split, device */
	VQ_R_SPLIT_DEV_03,      /* wrote a device-readable buffer */
	VQ_R_SPLIT_DEV_04,      /* read a device-writable buffer (SHOULD NOT) */
	VQ_R_SPLIT_DEV_06,      /* wrote the descriptor table or an indirect table */
	VQ_R_SPLIT_DEV_10,      /* interrupt with NO_INTERRUPT set (SHOULD NOT) */
	VQ_R_SPLIT_DEV_11,      /* no interrupt although interrupts were enabled */
	VQ_R_SPLIT_DEV_13,      /* no interrupt although used_event was crossed */
	VQ_R_SPLIT_DEV_14,      /* interrupt without crossing used_event (SHOULD NOT) */
	VQ_R_SPLIT_DEV_15,      /* used idx published before the element was written */
	VQ_R_SPLIT_DEV_16,      /* used len beyond what was written / writable */
	VQ_R_SPLIT_DEV_18,      /* used flags not 0/1 without EVENT_IDX */
	VQ_R_SPLIT_DEV_20,      /* used flags not 0 with EVENT_IDX */
	VQ_R_SPLIT_DEV_X02,     /* read an avail entry not made available */
	VQ_R_SPLIT_DEV_X03,     /* used id not in flight / used idx beyond in flight */
	VQ_R_SPLIT_DEV_X04,     /* IN_ORDER: used id out of order */
	VQ_R_SPLIT_DEV_V01,     /* read a descriptor not in an available chain */
	VQ_R_SPLIT_DEV_V02,     /* accessed memory outside the buffers in flight */
	VQ_R_SPLIT_DEV_V03,     /* wrote the available ring */
	/* packed, driver */
	VQ_R_PACKED_DRV_03,     /* changed a descriptor in flight */
	VQ_R_PACKED_DRV_07,     /* list longer than the queue size */
	VQ_R_PACKED_DRV_08,     /* readable after writable */
	VQ_R_PACKED_DRV_11,     /* head made available before the rest of the list */
	VQ_R_PACKED_DRV_12,     /* INDIRECT without the feature */
	VQ_R_PACKED_DRV_13,     /* flags other than WRITE in an indirect entry */
	VQ_R_PACKED_DRV_15,     /* INDIRECT in a NEXT-linked list */
	VQ_R_PACKED_DRV_X02,    /* avail descriptor flags inconsistent with the wrap counter */
	VQ_R_PACKED_DRV_X05,    /* no kick although the device event structure asked */
	VQ_R_PACKED_DRV_X06,    /* bad driver event suppression flags */
	VQ_R_PACKED_DRV_V01,    /* kick while the device suppressed it (SHOULD NOT) */
	VQ_R_PACKED_DRV_V02,    /* buffer id reused while in flight */
	VQ_R_PACKED_DRV_V03,    /* indirect table length 0 or not a multiple of 16 */
	VQ_R_PACKED_DRV_V04,    /* list total length exceeds 2^32 - 1 */
	VQ_R_PACKED_DRV_V05,    /* wrote the device event suppression structure */
	/* packed, device */
	VQ_R_PACKED_DEV_04,     /* wrote a device-readable buffer */
	VQ_R_PACKED_DEV_05,     /* read a device-writable buffer (SHOULD NOT) */
	VQ_R_PACKED_DEV_07,     /* changed a descriptor it does not own */
	VQ_R_PACKED_DEV_X02,    /* used descriptor flags inconsistent with the wrap counter */
	VQ_R_PACKED_DEV_X03,    /* used id not in flight / used written at a skipped slot */
	VQ_R_PACKED_DEV_X07,    /* IN_ORDER: used id out of order */
	VQ_R_PACKED_DEV_X08,    /* no interrupt although events were enabled */
	VQ_R_PACKED_DEV_X09,    /* interrupt while events were disabled (SHOULD NOT) */
	VQ_R_PACKED_DEV_X10,    /* no interrupt although the event descriptor was used */
	VQ_R_PACKED_DEV_X11,    /* bad device event suppression flags */
	VQ_R_PACKED_DEV_V01,    /* accessed memory outside the buffers in flight */
	VQ_R_PACKED_DEV_V02,    /* used flags published before the id was written */
	VQ_R_PACKED_DEV_V03,    /* interrupt before the event descriptor (SHOULD NOT) */
	VQ_R_PACKED_DEV_V04,    /* used len beyond what was written / writable */
	VQ_R_PACKED_DEV_V05,    /* wrote the driver event suppression structure */
	VQ_R_COUNT
};

enum vq_level { VQ_MUST = 0, VQ_SHOULD = 1 };

struct vq_rule_info {
	enum vq_rule rule;
	const char *id;        /* "SPLIT-DEV-15" */
	enum vq_actor actor;   /* who breaks it */
	enum vq_level level;   /* MUST (violation) or SHOULD (warning) */
	const char *section;   /* virtio 1.3 section */
	const char *text;      /* one line */
};
/* NULL when r is out of range. */
const struct vq_rule_info *vq_rule_info(enum vq_rule r);
/* The rule with id `id`, or -ENOENT. */
int vq_rule_lookup(const char *id);

/* One logged violation; seq numbers the observer's input calls. */
struct vq_obs_event {
	uint64_t seq;
	enum vq_rule rule;
	enum vq_actor actor;
	uint64_t addr;   /* the access that broke it, 0 for notification rules */
	uint32_t index;  /* ring index / slot / buffer id concerned */
	uint32_t value;  /* the offending value where there is one */
};

/*
 * Feeding it.  Either the engines report their accesses (vq_drv_set_observer,
 * vq_dev_set_observer) or the platform reports the raw DMA of a device it
 * does not drive (vq_access.kind = VQ_K_RAW, chain = VQ_NO_CHAIN): not both
 * for the same side, or accesses count twice.  A side it never sees is
 * inferred from what the other side reads (a foreign driver writing guest
 * memory directly), with the order-dependent rules of the unseen side off.
 * Notifications are told with vq_obs_notify by whoever sends them; missing
 * ones (MUST rules) are judged at vq_obs_sync, called at quiet points.  A
 * notification owed becomes moot once the other side has seen the new state
 * by itself (the device read the avail idx, the driver the used idx).
 * Queue reset: call vq_obs_reset along with vq_dev_reset / vq_drv_reset (ring
 * set-up by the driver engine is not reported).
 *
 * Rules: enum vq_rule, with vq_rule_info() giving id, actor, level (MUST or
 * SHOULD; SHOULD-level events are warnings), spec section and a line of text.
 *
 * cfg and start describe the queue as both sides start it (NULL start: fresh;
 * nothing may be in flight: -EINVAL when start's avail and used differ).
 * log_cap bounds the stored events (0 picks 256; the first ones are kept,
 * counts go on beyond it).
 */
int vq_obs_create(struct vq_obs **out, const struct vq_config *cfg, const struct vq_state *start,
		  uint32_t log_cap);
void vq_obs_free(struct vq_obs *obs);
/* Queue reset (or re-enable with a new start state). */
void vq_obs_reset(struct vq_obs *obs, const struct vq_state *start);
/* Feed one access.  Engines call it after each successful accessor call. */
void vq_obs_access(struct vq_obs *obs, const struct vq_access *a);
/* A notification was sent: by the driver (kick) or the device (interrupt). */
void vq_obs_notify(struct vq_obs *obs, enum vq_actor who);
/* A quiet point (both sides idle): judge notifications still owed. */
void vq_obs_sync(struct vq_obs *obs);
/* Called for each event as it is logged. */
void vq_obs_set_callback(struct vq_obs *obs, void (*fn)(void *ctx, const struct vq_obs_event *ev),
			 void *ctx);
/* Events logged (all of them, kept or not) and at MUST level only. */
uint64_t vq_obs_count(const struct vq_obs *obs);
uint64_t vq_obs_count_level(const struct vq_obs *obs, enum vq_level level);
uint64_t vq_obs_rule_count(const struct vq_obs *obs, enum vq_rule r);
/* The kept events, oldest first; returns how many. */
size_t vq_obs_events(const struct vq_obs *obs, const struct vq_obs_event **events);
/* Format one event into buf ("SPLIT-DEV-15 device seq=12 addr=0x... index=3 value=0"). */
int vq_obs_format(const struct vq_obs_event *ev, char *buf, size_t len);
/* Forget the events and counts (not the ring state). */
void vq_obs_clear(struct vq_obs *obs);

/* ---- Device-side engine ------------------------------------------------------ */
struct vq_dev;

/* start NULL: fresh queue.  The engine keeps a copy of *mem. */
int vq_dev_create(struct vq_dev **out, const struct vq_config *cfg, const struct vq_mem *mem,
		  const struct vq_state *start);
void vq_dev_free(struct vq_dev *dev);
void vq_dev_set_observer(struct vq_dev *dev, struct vq_obs *obs);

/*
 * Take the next available chain.  1: *chain filled; 0: nothing available;
 * -EIO: the queue is broken (see vq_dev_violation); -EMSGSIZE: more segments
 * than chain->seg_cap: the chain is consumed anyway (id, ndesc, lengths set,
 * nseg = 0) and must be pushed back (usually with len 0).
 */
int vq_dev_fetch(struct vq_dev *dev, struct vq_chain *chain);
/* True when a chain is available (reads the ring; consumes nothing). */
bool vq_dev_pending(struct vq_dev *dev);
/*
 * Copy bytes of a fetched chain: read from its device-readable part at offset
 * `off`, write into its device-writable part at `off`.  -EINVAL when the range
 * is beyond the part; -EIO on an accessor fault (the queue breaks).
 */
int vq_dev_read(struct vq_dev *dev, const struct vq_chain *chain, uint32_t off, void *dst,
		uint32_t len);
int vq_dev_write(struct vq_dev *dev, const struct vq_chain *chain, uint32_t off,
		 const void *src, uint32_t len);
/*
 * Stage a fetched chain as used with `len` bytes written; vq_dev_flush
 * publishes all staged chains at once.  With IN_ORDER chains must be pushed
 * in fetch order (-EINVAL otherwise) and the flush writes one used entry per
 * run of chains whose earlier members were written completely.
 */
int vq_dev_push(struct vq_dev *dev, const struct vq_chain *chain, uint32_t len);
int vq_dev_flush(struct vq_dev *dev);
/*
 * After a flush: should the device send a used buffer notification now?
 * 1 yes, 0 no, -EIO broken.  Honours VRING_AVAIL_F_NO_INTERRUPT, used_event
 * (EVENT_IDX) or the packed driver event suppression structure, over the
 * used entries published since the previous call.
 */
int vq_dev_need_interrupt(struct vq_dev *dev);
/*
 * Available buffer notification suppression (device side).  disable: split
 * sets VRING_USED_F_NO_NOTIFY (with EVENT_IDX nothing: flags stay 0 and kicks
 * stop once avail_event is passed); packed writes DISABLE.  enable: split
 * clears NO_NOTIFY or sets avail_event to the avail idx seen; packed writes
 * ENABLE, or DESC at the next descriptor to read with EVENT_IDX.  It then
 * returns true when buffers are available (poll again before sleeping), like
 * vhost_enable_notify.  With EVENT_IDX the driver kicks only when it passes
 * avail_event, so a device must call enable before it goes idle (vhost does).
 */
void vq_dev_disable_notify(struct vq_dev *dev);
bool vq_dev_enable_notify(struct vq_dev *dev);
/* Back to a fresh (or given) state; clears broken.  Staged chains are dropped. */
void vq_dev_reset(struct vq_dev *dev, const struct vq_state *start);
/* Current position (for suspend / GET_VRING_BASE).  Chains fetched but not
 * used are counted by vq_dev_inflight(); a device completes them first. */
void vq_dev_get_state(const struct vq_dev *dev, struct vq_state *st);
uint32_t vq_dev_inflight(const struct vq_dev *dev);
bool vq_dev_broken(const struct vq_dev *dev);
enum vq_violation vq_dev_violation(const struct vq_dev *dev);
/* Last non-fatal violation and how many there were (ignored reserved flags). */
enum vq_violation vq_dev_last_warning(const struct vq_dev *dev, uint32_t *count);

/* ---- Driver-side engine ------------------------------------------------------ */
struct vq_drv;

/* Memory for indirect tables, in the address space of the accessor. */
struct vq_indirect_ops {
	int (*alloc)(void *ctx, uint32_t bytes, uint64_t *addr);
	void (*free)(void *ctx, uint64_t addr, uint32_t bytes);
	void *ctx;
};

/*
 * Sets the ring memory up as a driver allocating it does: zeroed, used flags
 * 0.  A non-NULL start (tests, resuming) also writes the indices and packed
 * flags a queue at that state would have (avail/used idx of a split ring;
 * previous-lap used flags on a packed ring), with no buffer in flight
 * (-EINVAL when start's avail and used positions differ).  These set-up
 * writes are not reported to an observer.  Free the driver before the memory
 * behind its indirect allocator: freeing detaches what is left.
 */
int vq_drv_create(struct vq_drv **out, const struct vq_config *cfg, const struct vq_mem *mem,
		  const struct vq_state *start);
void vq_drv_free(struct vq_drv *drv);
void vq_drv_set_observer(struct vq_drv *drv, struct vq_obs *obs);
/*
 * Use indirect tables (needs VIRTIO_RING_F_INDIRECT_DESC) for buffers of at
 * least min_segs segments (0 switches them off).  Tables are allocated per
 * buffer through ops and freed when the buffer is collected or detached.
 */
void vq_drv_set_indirect(struct vq_drv *drv, const struct vq_indirect_ops *ops,
			 uint32_t min_segs);
/*
 * Queue a buffer: sg[0..nout) device-readable, then sg[nout..nout+nin)
 * device-writable (sg flags are ignored).  The buffer becomes visible to the
 * device at the next vq_drv_publish/vq_drv_kick_prepare.  -ENOSPC: not
 * enough free descriptors; -EINVAL: no segment, NULL token or too many
 * segments; -EIO: broken; or the accessor's / allocator's error.
 */
int vq_drv_add(struct vq_drv *drv, const struct vq_seg *sg, uint32_t nout, uint32_t nin,
	       void *token);
/* Make the queued buffers available (split: avail idx; packed: head flags). */
int vq_drv_publish(struct vq_drv *drv);
/* Publish, then decide whether to notify the device: 1 yes, 0 no, <0 error.
 * Honours VRING_USED_F_NO_NOTIFY, avail_event or the packed device event
 * structure over everything published since the previous kick_prepare. */
int vq_drv_kick_prepare(struct vq_drv *drv);
/* Notification data (VIRTIO_F_NOTIFICATION_DATA) for the current state: next
 * offset (15 bits) | next wrap << 15, i.e. bits 16..31 of the notify value. */
uint16_t vq_drv_notify_data(const struct vq_drv *drv);
/*
 * Collect one used buffer: 1 with *token and *len set, 0 none, -EIO broken (the
 * device returned an invalid id or index).  With IN_ORDER a used entry can
 * complete several buffers: they are returned one per call, the skipped ones
 * with len = their full device-writable length.
 */
int vq_drv_get_used(struct vq_drv *drv, void **token, uint32_t *len);
bool vq_drv_more_used(struct vq_drv *drv);
/*
 * Used buffer notification suppression, like virtqueue_disable_cb /
 * enable_cb / enable_cb_delayed: the enable calls return false when used
 * buffers are already pending (the caller polls again), true otherwise.
 * With EVENT_IDX the device interrupts once used_event is passed, so a driver
 * re-arms with enable_cb after each poll (NAPI does); disable_cb then writes
 * nothing and at most one more interrupt comes.  enable_cb_delayed sets the
 * event about three quarters of the way through the buffers outstanding.
 */
void vq_drv_disable_cb(struct vq_drv *drv);
bool vq_drv_enable_cb(struct vq_drv *drv);
bool vq_drv_enable_cb_delayed(struct vq_drv *drv);
/* After the device or the queue was reset: take back one buffer not used
 * (queued or in flight); returns its token, NULL when none is left. */
void *vq_drv_detach_unused(struct vq_drv *drv);
/*
 * Per-queue reset (VIRTIO_F_RING_RESET) on the driver side: every buffer not
 * yet collected is detached (recycle(ctx, token) for each, may be NULL), the
 * ring memory is set up again and the indices start over (start may be NULL).
 */
int vq_drv_reset(struct vq_drv *drv, void (*recycle)(void *ctx, void *token), void *ctx,
		 const struct vq_state *start);
uint32_t vq_drv_num_free(const struct vq_drv *drv);
uint32_t vq_drv_inflight(const struct vq_drv *drv);
bool vq_drv_broken(const struct vq_drv *drv);
enum vq_violation vq_drv_violation(const struct vq_drv *drv);

#endif
