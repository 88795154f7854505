/* SPDX-License-Identifier: MIT */
/*
 * Test rig shared by the test_virtio_ring_*.c programs: host memory behind a
 * plain accessor, a queue placed in it, a driver engine, a device engine and
 * an observer attached to both, an indirect-table allocator, and helpers that
 * write ring memory by hand (the "foreign driver" of the malformed tests).
 */
#ifndef VDPASIM_TEST_VIRTIO_RING_UTIL_H
#define VDPASIM_TEST_VIRTIO_RING_UTIL_H

#include "sim/engine/engine.h"
#include "sim/virtio_ring/virtio_ring.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define F(bit) (1ULL << (bit))
#define PACKED F(VIRTIO_F_RING_PACKED)
#define EVIDX F(VIRTIO_RING_F_EVENT_IDX)
#define INDIR F(VIRTIO_RING_F_INDIRECT_DESC)
#define INORDER F(VIRTIO_F_IN_ORDER)

#define RIG_BASE 0x100000ULL
#define RIG_IND_BYTES 1024u /* 64 descriptors per indirect table */
#define RIG_MAX_SEGS 64u

struct rig {
	uint8_t *mem;
	uint64_t size;
	struct vq_plain_mem pm;
	struct vq_mem m;
	struct vq_config cfg;
	struct vq_drv *drv;
	struct vq_dev *dev;
	struct vq_obs *obs;
	uint64_t ind_base;
	uint32_t ind_slots, ind_nfree, ind_live;
	uint32_t *ind_free;
	uint64_t buf_base, buf_size;
	struct vq_seg dseg[RIG_MAX_SEGS];
	uint64_t kicks, irqs;
};

static inline int rig_ind_alloc(void *ctx, uint32_t bytes, uint64_t *addr)
{
	struct rig *r = ctx;

	if (bytes > RIG_IND_BYTES || r->ind_nfree == 0)
		return -ENOMEM;
	*addr = r->ind_base + (uint64_t)r->ind_free[--r->ind_nfree] * RIG_IND_BYTES;
	r->ind_live++;
	return 0;
}

static inline void rig_ind_release(void *ctx, uint64_t addr, uint32_t bytes)
{
	struct rig *r = ctx;

	(void)bytes;
	r->ind_free[r->ind_nfree++] = (uint32_t)((addr - r->ind_base) / RIG_IND_BYTES);
	r->ind_live--;
}

static inline uint8_t *rig_ptr(struct rig *r, uint64_t addr)
{
	return r->mem + (addr - RIG_BASE);
}

/*
 * A queue of num entries with `features`, starting at st (NULL: fresh), with
 * ind_slots indirect tables available and buf_size bytes of buffer space.
 */
static inline void rig_setup(struct rig *r, uint32_t num, uint64_t features,
			     const struct vq_state *st, uint32_t ind_slots, uint64_t buf_size)
{
	uint64_t end;

	memset(r, 0, sizeof(*r));
	r->cfg.num = num;
	r->cfg.features = features;
	end = vq_config_place(&r->cfg, RIG_BASE);
	r->ind_base = (end + 4095) & ~4095ULL;
	r->ind_slots = ind_slots;
	r->buf_base = r->ind_base + (uint64_t)ind_slots * RIG_IND_BYTES;
	r->buf_size = buf_size;
	r->size = r->buf_base + buf_size - RIG_BASE;
	r->mem = calloc(1, r->size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->mem);
	r->ind_free = calloc(ind_slots ? ind_slots : 1, sizeof(*r->ind_free));
	for (uint32_t i = 0; i < ind_slots; i++)
		r->ind_free[i] = ind_slots - 1 - i;
	r->ind_nfree = ind_slots;
	vq_plain_mem_init(&r->pm, r->mem, RIG_BASE, r->size);
	r->m = vq_plain_mem_accessor(&r->pm);
	CU_ASSERT_EQUAL_FATAL(vq_drv_create(&r->drv, &r->cfg, &r->m, st), 0);
	CU_ASSERT_EQUAL_FATAL(vq_dev_create(&r->dev, &r->cfg, &r->m, st), 0);
	CU_ASSERT_EQUAL_FATAL(vq_obs_create(&r->obs, &r->cfg, st, 64), 0);
	vq_drv_set_observer(r->drv, r->obs);
	vq_dev_set_observer(r->dev, r->obs);
	if (ind_slots && (features & INDIR)) {
		struct vq_indirect_ops ops = { rig_ind_alloc, rig_ind_release, r };

		vq_drv_set_indirect(r->drv, &ops, 2);
	}
}

static inline void rig_free(struct rig *r)
{
	vq_drv_free(r->drv);
	vq_dev_free(r->dev);
	vq_obs_free(r->obs);
	free(r->ind_free);
	free(r->mem);
}

/* Print what the observer logged (helps when a test fails). */
static inline void rig_dump(struct rig *r)
{
	const struct vq_obs_event *ev;
	size_t n = vq_obs_events(r->obs, &ev);
	char line[160];

	for (size_t i = 0; i < n && i < 8; i++) {
		vq_obs_format(&ev[i], line, sizeof(line));
		printf("    observer: %s\n", line);
	}
}

/* The observer saw nothing wrong (after judging owed notifications). */
static inline bool rig_silent(struct rig *r)
{
	vq_obs_sync(r->obs);
	if (vq_obs_count(r->obs) == 0)
		return true;
	rig_dump(r);
	return false;
}

static inline bool rig_fired(struct rig *r, enum vq_rule rule)
{
	if (vq_obs_rule_count(r->obs, rule))
		return true;
	printf("    expected %s\n", vq_rule_info(rule)->id);
	rig_dump(r);
	return false;
}

/* Driver: publish and kick when asked (telling the observer). */
static inline int rig_kick(struct rig *r)
{
	int k = vq_drv_kick_prepare(r->drv);

	if (k == 1) {
		vq_obs_notify(r->obs, VQ_ACTOR_DRIVER);
		r->kicks++;
	}
	return k;
}

/* Device: publish used and interrupt when asked. */
static inline int rig_flush(struct rig *r)
{
	int k;

	if (vq_dev_flush(r->dev))
		return -EIO;
	k = vq_dev_need_interrupt(r->dev);
	if (k == 1) {
		vq_obs_notify(r->obs, VQ_ACTOR_DEVICE);
		r->irqs++;
	}
	return k;
}

static inline void rig_chain(struct rig *r, struct vq_chain *c)
{
	memset(c, 0, sizeof(*c));
	c->seg = r->dseg;
	c->seg_cap = RIG_MAX_SEGS;
}

/* Fetch one chain into c; returns vq_dev_fetch's result. */
static inline int rig_fetch(struct rig *r, struct vq_chain *c)
{
	rig_chain(r, c);
	return vq_dev_fetch(r->dev, c);
}

static inline uint8_t pat(uint64_t seed, uint32_t i)
{
	return (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

/* Write 16 bits as `who` would, through the accessor and past the observer. */
static inline void rig_poke16(struct rig *r, enum vq_actor who, uint64_t addr, uint16_t v)
{
	uint8_t b[2];
	struct vq_access a = { who, VQ_K_EVENT, true, addr, 2, b, VQ_NO_CHAIN };

	vq_put_le16(b, v);
	CU_ASSERT_EQUAL(r->m.write(r->m.ctx, addr, b, 2), 0);
	vq_obs_access(r->obs, &a);
}

/* ---- Hand-written split ring memory (a foreign driver) ------------------ */
static inline void split_put_desc(struct rig *r, uint16_t i, uint64_t addr, uint32_t len,
				  uint16_t flags, uint16_t next)
{
	uint8_t *d = rig_ptr(r, r->cfg.desc_addr + 16ULL * i);

	vq_put_le64(d, addr);
	vq_put_le32(d + 8, len);
	vq_put_le16(d + 12, flags);
	vq_put_le16(d + 14, next);
}

static inline void split_put_table(struct rig *r, uint64_t table, uint16_t i, uint64_t addr,
				   uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = rig_ptr(r, table + 16ULL * i);

	vq_put_le64(d, addr);
	vq_put_le32(d + 8, len);
	vq_put_le16(d + 12, flags);
	vq_put_le16(d + 14, next);
}

static inline uint16_t split_avail_idx(struct rig *r)
{
	return vq_le16(rig_ptr(r, r->cfg.driver_addr + 2));
}

/* Expose one head at the current avail idx. */
static inline void split_expose(struct rig *r, uint16_t head)
{
	uint16_t idx = split_avail_idx(r);

	vq_put_le16(rig_ptr(r, r->cfg.driver_addr + 4 + 2ULL * (idx & (r->cfg.num - 1))), head);
	vq_put_le16(rig_ptr(r, r->cfg.driver_addr + 2), (uint16_t)(idx + 1));
}

/* ---- Hand-written packed ring memory ------------------------------------ */
static inline void packed_put_desc(struct rig *r, uint16_t slot, uint64_t addr, uint32_t len,
				   uint16_t id, uint16_t flags)
{
	uint8_t *d = rig_ptr(r, r->cfg.desc_addr + 16ULL * slot);

	vq_put_le64(d, addr);
	vq_put_le32(d + 8, len);
	vq_put_le16(d + 12, id);
	vq_put_le16(d + 14, flags);
}

static inline uint16_t pavail(bool wrap)
{
	return wrap ? (uint16_t)(1u << VRING_PACKED_DESC_F_AVAIL)
		    : (uint16_t)(1u << VRING_PACKED_DESC_F_USED);
}

#endif
