/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the observer rule tests (test_virtio_ring_observer*.c): hand-made
 * accesses reported to the observer, engine shortcuts, the correct-then-wrong
 * case runner, and the device cases both layouts share.
 */
#ifndef VDPASIM_TEST_VIRTIO_RING_OBS_UTIL_H
#define VDPASIM_TEST_VIRTIO_RING_OBS_UTIL_H

#include "tests/unit/test_virtio_ring_util.h"

#define WR VRING_DESC_F_WRITE
#define NX VRING_DESC_F_NEXT
#define IN VRING_DESC_F_INDIRECT
#define DRV VQ_ACTOR_DRIVER
#define DEV VQ_ACTOR_DEVICE
#define USED1 ((uint16_t)(pavail(true) | pavail(false))) /* used, wrap 1 */

/* ---- Hand-made accesses, reported to the observer ------------------------- */
static inline void acc(struct rig *r, enum vq_actor who, enum vq_kind k, bool write,
		       uint64_t addr, void *buf, uint32_t len, int32_t chain)
{
	struct vq_access a = { who, k, write, addr, len, buf, chain };
	int rc = write ? r->m.write(r->m.ctx, addr, buf, len) : r->m.read(r->m.ctx, addr, buf, len);

	CU_ASSERT_EQUAL(rc, 0);
	vq_obs_access(r->obs, &a);
}

static inline void w16(struct rig *r, enum vq_actor who, uint64_t addr, uint16_t v)
{
	uint8_t b[2];

	vq_put_le16(b, v);
	acc(r, who, VQ_K_RAW, true, addr, b, 2, VQ_NO_CHAIN);
}

static inline void rd(struct rig *r, enum vq_actor who, uint64_t addr, uint32_t len)
{
	uint8_t b[256];

	acc(r, who, VQ_K_RAW, false, addr, b, len, VQ_NO_CHAIN);
}

/* split: a descriptor, an avail entry + idx, a used element + idx */
static inline void sdesc(struct rig *r, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		  uint16_t next)
{
	uint8_t d[16];

	vq_put_le64(d, addr);
	vq_put_le32(d + 8, len);
	vq_put_le16(d + 12, flags);
	vq_put_le16(d + 14, next);
	acc(r, DRV, VQ_K_DESC, true, r->cfg.desc_addr + 16ULL * i, d, 16, VQ_NO_CHAIN);
}

static uint16_t s_avail; /* the hand-made driver's avail idx */

static inline void sexpose(struct rig *r, uint16_t head)
{
	w16(r, DRV, r->cfg.driver_addr + 4 + 2ULL * (s_avail & (r->cfg.num - 1)), head);
	w16(r, DRV, r->cfg.driver_addr + 2, ++s_avail);
	vq_obs_notify(r->obs, DRV); /* used flags 0: a driver must kick */
}

/* the hand-made device publishes used idx and interrupts */
static inline void spub(struct rig *r, uint16_t idx)
{
	w16(r, DEV, r->cfg.device_addr + 2, idx);
	vq_obs_notify(r->obs, DEV);
}

/* the hand-made packed driver kicks (events are enabled) */
static inline void pkick(struct rig *r)
{
	vq_obs_notify(r->obs, DRV);
}

static inline void sused(struct rig *r, uint16_t slot, uint32_t id, uint32_t len)
{
	uint8_t e[8];

	vq_put_le32(e, id);
	vq_put_le32(e + 4, len);
	acc(r, DEV, VQ_K_USED, true, r->cfg.device_addr + 4 + 8ULL * slot, e, 8, VQ_NO_CHAIN);
}

static inline void table(struct rig *r, uint64_t t, uint16_t i, uint64_t addr, uint32_t len,
		  uint16_t flags, uint16_t next)
{
	split_put_table(r, t, i, addr, len, flags, next);
}

/* packed: a whole descriptor written by the driver (flags included) */
static inline void pdesc(struct rig *r, uint16_t s, uint64_t addr, uint32_t len, uint16_t id,
		  uint16_t flags)
{
	uint8_t d[16];

	vq_put_le64(d, addr);
	vq_put_le32(d + 8, len);
	vq_put_le16(d + 12, id);
	vq_put_le16(d + 14, flags);
	acc(r, DRV, VQ_K_DESC, true, r->cfg.desc_addr + 16ULL * s, d, 16, VQ_NO_CHAIN);
}

/* packed: a used descriptor written by the device (len, id, flags at once) */
static inline void pused(struct rig *r, uint16_t s, uint16_t id, uint32_t len, uint16_t flags)
{
	uint8_t d[8];

	vq_put_le32(d, len);
	vq_put_le16(d + 4, id);
	vq_put_le16(d + 6, flags);
	acc(r, DEV, VQ_K_DESC, true, r->cfg.desc_addr + 16ULL * s + 8, d, 8, VQ_NO_CHAIN);
	vq_obs_notify(r->obs, DEV);
}

/* packed indirect table entry: flags where packed descriptors have them */
static inline void ptable(struct rig *r, uint64_t t, uint16_t i, uint64_t addr, uint32_t len,
		   uint16_t flags)
{
	split_put_table(r, t, i, addr, len, 0, 0);
	vq_put_le16(rig_ptr(r, t + 16ULL * i + 14), flags);
}

/* ---- Engine helpers -------------------------------------------------------- */
/* One buffer from the driver engine: nout readable then nin writable segments. */
static inline void eadd(struct rig *r, uint32_t nout, uint32_t nin, uint64_t off)
{
	struct vq_seg sg[4];

	for (uint32_t i = 0; i < nout + nin; i++) {
		sg[i].addr = r->buf_base + off + 256ULL * i;
		sg[i].len = 64;
	}
	CU_ASSERT_EQUAL(vq_drv_add(r->drv, sg, nout, nin, r), 0);
}

/* Expose and notify as told (the engine's answer is ignored on purpose). */
static inline void ekick(struct rig *r, bool notify)
{
	CU_ASSERT(vq_drv_kick_prepare(r->drv) >= 0);
	if (notify)
		vq_obs_notify(r->obs, DRV);
}

static inline void eirq(struct rig *r, bool notify)
{
	CU_ASSERT_EQUAL(vq_dev_flush(r->dev), 0);
	CU_ASSERT(vq_dev_need_interrupt(r->dev) >= 0);
	if (notify)
		vq_obs_notify(r->obs, DEV);
}

static struct vq_chain ch;

static inline void efetch(struct rig *r)
{
	CU_ASSERT_EQUAL(rig_fetch(r, &ch), 1);
}

/* ---- Cases and the runner -------------------------------------------------- */
struct ocase {
	enum vq_rule rule;
	uint32_t num;
	uint64_t feat;
	void (*fn)(struct rig *r, bool bad);
};

/* The case for rule, correct (silent) then wrong (the rule fires). */
static inline void run_case(const struct ocase *cases, size_t n, enum vq_rule rule)
{
	const struct ocase *c = NULL;

	for (size_t i = 0; i < n; i++)
		if (cases[i].rule == rule)
			c = &cases[i];
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (int bad = 0; bad < 2; bad++) {
		struct rig r;

		s_avail = 0;
		rig_setup(&r, c->num, c->feat, NULL, 0, 1 << 16);
		c->fn(&r, bad);
		vq_obs_sync(r.obs);
		if (bad) {
			CU_ASSERT(rig_fired(&r, rule));
		} else if (vq_obs_count(r.obs)) {
			printf("    %s: correct sequence not silent\n", vq_rule_info(rule)->id);
			CU_ASSERT(rig_silent(&r));
		}
		rig_free(&r);
	}
}

/* Every rule in [first, last] has exactly one case. */
static inline void check_coverage(const struct ocase *cases, size_t n, enum vq_rule first,
				  enum vq_rule last)
{
	for (int r = first; r <= (int)last; r++) {
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			k += cases[i].rule == (enum vq_rule)r;
		if (k != 1)
			printf("    %s has %zu cases\n", vq_rule_info((enum vq_rule)r)->id, k);
		CU_ASSERT_EQUAL(k, 1);
	}
}

/* ---- Device cases that read the same on both layouts ------------------------ */
static inline void g_dev_writes_readable(struct rig *r, bool bad)
{
	uint8_t b[8] = { 1 };

	eadd(r, 1, 1, 0);
	ekick(r, true);
	efetch(r);
	/* the readable segment is seg[0], the writable seg[1] */
	acc(r, DEV, VQ_K_BUFFER, true, ch.seg[bad ? 0 : 1].addr, b, 8, ch.id);
}

static inline void g_dev_reads_writable(struct rig *r, bool bad)
{
	uint8_t b[8];

	eadd(r, 1, 1, 0);
	ekick(r, true);
	efetch(r);
	acc(r, DEV, VQ_K_BUFFER, false, ch.seg[bad ? 1 : 0].addr, b, 8, ch.id);
}

static inline void g_dev_len_beyond_written(struct rig *r, bool bad)
{
	uint8_t b[10] = { 0 };

	eadd(r, 0, 1, 0);
	ekick(r, true);
	efetch(r);
	CU_ASSERT_EQUAL(vq_dev_write(r->dev, &ch, 0, b, 10), 0);
	CU_ASSERT_EQUAL(vq_dev_push(r->dev, &ch, bad ? 50 : 10), 0);
	eirq(r, true);
}

static inline void g_dev_outside_buffer(struct rig *r, bool bad)
{
	uint8_t b[8] = { 0 };

	eadd(r, 0, 1, 0);
	ekick(r, true);
	efetch(r);
	acc(r, DEV, VQ_K_BUFFER, true, ch.seg[0].addr + (bad ? 60 : 56), b, 8, ch.id);
}

#endif
