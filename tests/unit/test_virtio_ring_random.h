/* SPDX-License-Identifier: MIT */
/*
 * Randomized differential test: the driver engine and the device engine
 * exchange over a million buffers (both layouts, several feature sets and
 * queue sizes, seeded) with random chains, lengths, batching, completion
 * order and notification suppression.  Every byte must arrive intact, the
 * device must see buffers in the order the driver added them, every buffer
 * must come back with the length the device reported, and the observer must
 * report nothing.  Shared by test_virtio_ring_random.c (split) and
 * test_virtio_ring_random_packed.c, each a few seconds under ASan.
 */
#ifndef VDPASIM_TEST_VIRTIO_RING_RANDOM_H
#define VDPASIM_TEST_VIRTIO_RING_RANDOM_H

#include "tests/unit/test_virtio_ring_util.h"

#define MAXSEG 8
#define SEGLEN 48
#define SLOT_BYTES (MAXSEG * 64)

struct slot {
	uint64_t seq;
	uint32_t nseg, nout;
	struct vq_seg sg[MAXSEG];
	uint32_t written; /* what the device reported */
	bool busy;
};

struct pooled {
	struct vq_chain c;
	struct vq_seg seg[MAXSEG];
	uint64_t seq;
};

struct diff {
	struct rig r;
	struct eng_rng rng;
	struct slot *slots;
	uint32_t nslots, *free_slots, nfree;
	struct pooled *pool;
	uint32_t npool;
	uint64_t next_seq, dev_seq, done, count;
	bool kicked, irq;
	uint64_t errors;
};

/* [0, n): multiply-shift on the seeded stream (cheaper than eng_rng_below,
 * the tiny bias does not matter here) */
static inline uint32_t rnd(struct diff *d, uint32_t n)
{
	return (uint32_t)(((eng_rng_next(&d->rng) >> 32) * n) >> 32);
}

static inline void err(struct diff *d, const char *what, uint64_t seq)
{
	if (d->errors++ < 5)
		printf("    %s (seq %llu)\n", what, (unsigned long long)seq);
}

/* Driver: queue up to n new buffers, then maybe expose and kick. */
static inline void driver_add(struct diff *d, uint32_t n, uint32_t maxseg)
{
	for (uint32_t k = 0; k < n && d->nfree && d->next_seq < d->count; k++) {
		struct slot *s = &d->slots[d->free_slots[d->nfree - 1]];
		uint64_t base = d->r.buf_base + (uint64_t)(s - d->slots) * SLOT_BYTES;
		uint32_t out = 0;

		s->seq = d->next_seq;
		s->nseg = 1 + rnd(d, maxseg);
		s->nout = rnd(d, s->nseg + 1);
		for (uint32_t i = 0; i < s->nseg; i++) {
			s->sg[i].addr = base + 64ULL * i + rnd(d, 8);
			s->sg[i].len = rnd(d, 16) ? 1 + rnd(d, SEGLEN) : 0;
			if (i < s->nout) {
				uint8_t *p = rig_ptr(&d->r, s->sg[i].addr);

				for (uint32_t j = 0; j < s->sg[i].len; j++)
					p[j] = pat(s->seq, out + j);
				out += s->sg[i].len;
			} else {
				memset(rig_ptr(&d->r, s->sg[i].addr), 0xee, s->sg[i].len);
			}
		}
		int r = vq_drv_add(d->r.drv, s->sg, s->nout, s->nseg - s->nout, s);

		if (r == -ENOSPC)
			break;
		if (r) {
			err(d, "add failed", s->seq);
			return;
		}
		s->busy = true;
		d->nfree--;
		d->next_seq++;
	}
	if (rnd(d, 5)) {
		int k = rig_kick(&d->r);

		if (k < 0)
			err(d, "kick_prepare failed", 0);
		if (k == 1)
			d->kicked = true;
	}
}

/* Device: check what a fetched chain carries (order and bytes). */
static inline void device_check(struct diff *d, struct pooled *p)
{
	uint8_t buf[MAXSEG * SEGLEN];
	uint32_t off = 0;

	p->seq = d->dev_seq++;
	/* read the device-readable part in one to three pieces */
	while (off < p->c.out_len) {
		uint32_t n = 1 + rnd(d, p->c.out_len - off);

		if (rnd(d, 2))
			n = p->c.out_len - off;
		if (vq_dev_read(d->r.dev, &p->c, off, buf + off, n)) {
			err(d, "device read failed", p->seq);
			return;
		}
		off += n;
	}
	for (uint32_t i = 0; i < p->c.out_len; i++)
		if (buf[i] != pat(p->seq, i)) {
			err(d, "device saw wrong bytes or order", p->seq);
			return;
		}
}

static inline void device_complete(struct diff *d, struct pooled *p)
{
	uint8_t buf[MAXSEG * SEGLEN];
	uint32_t len = p->c.in_len;

	if (len && rnd(d, 3) == 0)
		len = rnd(d, len + 1);
	for (uint32_t j = 0; j < len; j++)
		buf[j] = pat(p->seq ^ 0x5a5a, j);
	if (vq_dev_write(d->r.dev, &p->c, 0, buf, len) || vq_dev_push(d->r.dev, &p->c, len))
		err(d, "device write/push failed", p->seq);
}

/* Drop pool entry i (out of order: the last one takes its place). */
static inline void pool_drop(struct diff *d, uint32_t i)
{
	if (i != --d->npool) {
		d->pool[i] = d->pool[d->npool];
		d->pool[i].c.seg = d->pool[i].seg;
	}
}

static inline void device_run(struct diff *d, bool in_order)
{
	uint32_t want = rnd(d, 12), finish;
	int r;

	if (rnd(d, 4) == 0)
		vq_dev_disable_notify(d->r.dev);
	for (uint32_t k = 0; k < want && d->npool < d->r.cfg.num; k++) {
		struct pooled *p = &d->pool[d->npool];

		memset(&p->c, 0, sizeof(p->c));
		p->c.seg = p->seg;
		p->c.seg_cap = MAXSEG;
		r = vq_dev_fetch(d->r.dev, &p->c);
		if (r == 0)
			break;
		if (r != 1) {
			err(d, "fetch failed", d->dev_seq);
			return;
		}
		d->npool++;
		device_check(d, p);
	}
	finish = d->npool ? rnd(d, d->npool + 1) : 0;
	if (in_order) {
		/* IN_ORDER: the oldest ones, in fetch order */
		for (uint32_t k = 0; k < finish; k++)
			device_complete(d, &d->pool[k]);
		memmove(d->pool, d->pool + finish, (d->npool - finish) * sizeof(*d->pool));
		d->npool -= finish;
		for (uint32_t k = 0; k < d->npool; k++)
			d->pool[k].c.seg = d->pool[k].seg;
	} else {
		for (uint32_t k = 0; k < finish; k++) {
			uint32_t i = rnd(d, d->npool);

			device_complete(d, &d->pool[i]);
			pool_drop(d, i);
		}
	}
	r = rig_flush(&d->r);
	if (r < 0)
		err(d, "flush failed", 0);
	if (r == 1)
		d->irq = true;
	if (vq_dev_enable_notify(d->r.dev))
		d->kicked = true; /* more arrived: go on as if kicked */
}

static inline void driver_collect(struct diff *d)
{
	uint32_t len;
	void *t;
	int r;

	while ((r = vq_drv_get_used(d->r.drv, &t, &len)) == 1) {
		struct slot *s = t;
		uint32_t off = 0;

		if (!s || !s->busy) {
			err(d, "unknown token", 0);
			return;
		}
		for (uint32_t i = s->nout; i < s->nseg && off < len; i++) {
			const uint8_t *p = rig_ptr(&d->r, s->sg[i].addr);

			for (uint32_t j = 0; j < s->sg[i].len && off < len; j++, off++)
				if (p[j] != pat(s->seq ^ 0x5a5a, off)) {
					err(d, "driver got wrong bytes", s->seq);
					break;
				}
		}
		if (off != len)
			err(d, "used len beyond the writable part", s->seq);
		s->busy = false;
		d->free_slots[d->nfree++] = (uint32_t)(s - d->slots);
		d->done++;
	}
	if (r < 0)
		err(d, "get_used failed", 0);
	switch (rnd(d, 6)) {
	case 0:
		vq_drv_disable_cb(d->r.drv);
		break;
	case 1:
		if (!vq_drv_enable_cb(d->r.drv))
			d->irq = true;
		break;
	case 2:
		if (!vq_drv_enable_cb_delayed(d->r.drv))
			d->irq = true;
		break;
	default:
		break;
	}
}

static inline void run(uint32_t num, uint64_t features, const struct vq_state *st, uint64_t count,
		uint64_t seed)
{
	struct diff *d = calloc(1, sizeof(*d));
	uint32_t maxseg = num < MAXSEG ? num : MAXSEG;
	bool in_order = features & INORDER;
	uint64_t steps = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	d->nslots = num;
	d->count = count;
	rig_setup(&d->r, num, features, st, num, (uint64_t)num * SLOT_BYTES);
	d->slots = calloc(num, sizeof(*d->slots));
	d->free_slots = calloc(num, sizeof(*d->free_slots));
	d->pool = calloc(num, sizeof(*d->pool));
	CU_ASSERT_FATAL(d->slots && d->free_slots && d->pool);
	for (uint32_t i = 0; i < num; i++)
		d->free_slots[d->nfree++] = num - 1 - i;
	eng_rng_seed(&d->rng, seed);
	while (d->done < count && !d->errors && steps++ < count * 40) {
		if (d->next_seq < count)
			driver_add(d, rnd(d, 9), maxseg);
		/* the device runs when kicked, and sometimes polls */
		if (d->kicked || rnd(d, 4) == 0) {
			d->kicked = false;
			device_run(d, in_order);
		}
		if (d->irq || rnd(d, 3) == 0) {
			d->irq = false;
			driver_collect(d);
		}
		if (d->next_seq >= count && d->done < count) {
			/* drain: expose, finish everything, collect */
			rig_kick(&d->r);
			device_run(d, in_order);
			driver_collect(d);
		}
	}
	CU_ASSERT_EQUAL(d->errors, 0);
	CU_ASSERT_EQUAL(d->done, count);
	CU_ASSERT_EQUAL(d->dev_seq, count);
	CU_ASSERT_FALSE(vq_drv_broken(d->r.drv));
	CU_ASSERT_FALSE(vq_dev_broken(d->r.dev));
	CU_ASSERT_EQUAL(vq_drv_num_free(d->r.drv), num);
	CU_ASSERT_EQUAL(d->r.ind_live, 0);
	CU_ASSERT(rig_silent(&d->r));
	if (d->errors || d->done != count)
		printf("    num=%u features=%#llx: %llu of %llu done\n", num,
		       (unsigned long long)features, (unsigned long long)d->done,
		       (unsigned long long)count);
	free(d->slots);
	free(d->free_slots);
	free(d->pool);
	rig_free(&d->r);
	free(d);
}

#endif
