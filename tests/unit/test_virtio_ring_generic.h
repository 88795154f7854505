/* SPDX-License-Identifier: MIT */
/*
 * Behaviour both ring layouts share, written once: test_virtio_ring_split.c
 * and test_virtio_ring_packed.c run these bodies with their feature bits.
 */
#ifndef VDPASIM_TEST_VIRTIO_RING_GENERIC_H
#define VDPASIM_TEST_VIRTIO_RING_GENERIC_H

#include "tests/unit/test_virtio_ring_util.h"

/* Fill a buffer at addr with a pattern. */
static inline void fill(struct rig *r, uint64_t addr, uint32_t len, uint64_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		rig_ptr(r, addr)[i] = pat(seed, i);
}

static inline bool same(struct rig *r, uint64_t addr, const uint8_t *p, uint32_t len)
{
	return memcmp(rig_ptr(r, addr), p, len) == 0;
}

static inline void gen_single_readable(uint64_t fb, uint32_t num)
{
	struct rig r;
	struct vq_chain c;
	uint8_t out[100], tmp[4];
	int tok;
	void *t;
	uint32_t len;

	rig_setup(&r, num, fb, NULL, 0, 1 << 16);
	uint64_t a = r.buf_base + 64;
	struct vq_seg sg = { a, 100, 0 };

	fill(&r, a, 100, 1);
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &tok), 0);
	/* queued, not yet exposed */
	CU_ASSERT_EQUAL(rig_fetch(&r, &c), 0);
	CU_ASSERT_EQUAL(rig_kick(&r), 1);
	CU_ASSERT_EQUAL(rig_fetch(&r, &c), 1);
	CU_ASSERT_EQUAL(c.nseg, 1);
	CU_ASSERT_EQUAL(c.nout, 1);
	CU_ASSERT_EQUAL(c.out_len, 100);
	CU_ASSERT_EQUAL(c.in_len, 0);
	CU_ASSERT_EQUAL(c.ndesc, 1);
	CU_ASSERT_EQUAL(c.seg[0].addr, a);
	CU_ASSERT_EQUAL(c.seg[0].len, 100);
	CU_ASSERT_EQUAL(c.seg[0].flags, 0);
	CU_ASSERT_EQUAL(vq_dev_read(r.dev, &c, 0, out, 100), 0);
	CU_ASSERT(same(&r, a, out, 100));
	CU_ASSERT_EQUAL(vq_dev_read(r.dev, &c, 98, tmp, 4), -EINVAL);
	CU_ASSERT_EQUAL(vq_dev_write(r.dev, &c, 0, tmp, 1), -EINVAL);
	CU_ASSERT_EQUAL(vq_dev_inflight(r.dev), 1);
	{
		struct vq_chain none;

		CU_ASSERT_EQUAL(rig_fetch(&r, &none), 0);
		CU_ASSERT_EQUAL(vq_dev_push(r.dev, &none, 0), -EINVAL); /* never fetched */
	}
	CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 0), 0);
	CU_ASSERT_EQUAL(rig_flush(&r), 1);
	CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 1);
	CU_ASSERT_PTR_EQUAL(t, &tok);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 0);
	CU_ASSERT_EQUAL(vq_drv_num_free(r.drv), num);
	CU_ASSERT_EQUAL(vq_drv_inflight(r.drv), 0);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static inline void gen_single_writable(uint64_t fb, uint32_t num)
{
	struct rig r;
	struct vq_chain c;
	uint8_t data[200];
	int tok;
	void *t;
	uint32_t len;

	rig_setup(&r, num, fb, NULL, 0, 1 << 16);
	uint64_t a = r.buf_base + 4096;
	struct vq_seg sg = { a, 200, VQ_SEG_F_WRITE };

	for (int i = 0; i < 200; i++)
		data[i] = pat(9, i);
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 0, 1, &tok), 0);
	rig_kick(&r);
	CU_ASSERT_EQUAL(rig_fetch(&r, &c), 1);
	CU_ASSERT_EQUAL(c.nout, 0);
	CU_ASSERT_EQUAL(c.in_len, 200);
	CU_ASSERT_EQUAL(c.seg[0].flags, VQ_SEG_F_WRITE);
	CU_ASSERT_EQUAL(vq_dev_write(r.dev, &c, 0, data, 77), 0);
	CU_ASSERT_EQUAL(vq_dev_write(r.dev, &c, 150, data, 51), -EINVAL);
	CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 77), 0);
	rig_flush(&r);
	CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 1);
	CU_ASSERT_PTR_EQUAL(t, &tok);
	CU_ASSERT_EQUAL(len, 77);
	CU_ASSERT(same(&r, a, data, 77));
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

/* Every split of n segments into readable then writable, n = 1..max. */
static inline void gen_chains(uint64_t fb, uint32_t num, uint32_t max)
{
	struct rig r;
	uint64_t seed = 0;

	rig_setup(&r, num, fb, NULL, 16, 1 << 20);
	for (uint32_t n = 1; n <= max; n++) {
		for (uint32_t nout = 0; nout <= n; nout++) {
			struct vq_seg sg[RIG_MAX_SEGS];
			uint8_t in[4096], out[4096];
			uint32_t out_len = 0, in_len = 0, len;
			struct vq_chain c;
			void *t;

			seed++;
			for (uint32_t i = 0; i < n; i++) {
				sg[i].addr = r.buf_base + 8192ULL * i + (seed % 64);
				sg[i].len = 1 + (uint32_t)((seed * 37 + i * 11) % 200);
				sg[i].flags = 0;
				if (i < nout) {
					fill(&r, sg[i].addr, sg[i].len, seed + i);
					memcpy(out + out_len, rig_ptr(&r, sg[i].addr), sg[i].len);
					out_len += sg[i].len;
				} else {
					memset(rig_ptr(&r, sg[i].addr), 0, sg[i].len);
					in_len += sg[i].len;
				}
			}
			CU_ASSERT_EQUAL_FATAL(vq_drv_add(r.drv, sg, nout, n - nout, (void *)seed), 0);
			rig_kick(&r);
			CU_ASSERT_EQUAL_FATAL(rig_fetch(&r, &c), 1);
			CU_ASSERT_EQUAL(c.nseg, n);
			CU_ASSERT_EQUAL(c.nout, nout);
			CU_ASSERT_EQUAL(c.out_len, out_len);
			CU_ASSERT_EQUAL(c.in_len, in_len);
			for (uint32_t i = 0; i < n && i < c.nseg; i++) {
				CU_ASSERT_EQUAL(c.seg[i].addr, sg[i].addr);
				CU_ASSERT_EQUAL(c.seg[i].len, sg[i].len);
				CU_ASSERT_EQUAL(c.seg[i].flags, i < nout ? 0 : VQ_SEG_F_WRITE);
			}
			/* one read across every readable segment */
			CU_ASSERT_EQUAL(vq_dev_read(r.dev, &c, 0, in, out_len), 0);
			CU_ASSERT(memcmp(in, out, out_len) == 0);
			for (uint32_t i = 0; i < in_len; i++)
				in[i] = pat(seed * 3, i);
			CU_ASSERT_EQUAL(vq_dev_write(r.dev, &c, 0, in, in_len), 0);
			CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, in_len), 0);
			rig_flush(&r);
			CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 1);
			CU_ASSERT_PTR_EQUAL(t, (void *)seed);
			CU_ASSERT_EQUAL(len, in_len);
			for (uint32_t i = nout, off = 0; i < n; off += sg[i].len, i++)
				CU_ASSERT(same(&r, sg[i].addr, in + off, sg[i].len));
		}
	}
	CU_ASSERT_EQUAL(vq_drv_num_free(r.drv), num);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

/* Buffers of 2+ segments go through indirect tables, freed when used. */
static inline void gen_indirect(uint64_t fb, uint32_t num)
{
	struct rig r;

	rig_setup(&r, num, fb | INDIR, NULL, 8, 1 << 20);
	/* no chain longer than the queue, indirect included (2.7.5.3.1) */
	for (uint32_t n = 1; n <= 12 && n <= num; n++) {
		struct vq_seg sg[16];
		struct vq_chain c;
		uint32_t nout = n / 2, len;
		uint8_t buf[64];
		void *t;

		for (uint32_t i = 0; i < n; i++) {
			sg[i].addr = r.buf_base + 4096ULL * i;
			sg[i].len = 32;
			fill(&r, sg[i].addr, 32, n * 100 + i);
		}
		CU_ASSERT_EQUAL_FATAL(vq_drv_add(r.drv, sg, nout, n - nout, &r), 0);
		/* an indirect buffer takes one ring descriptor */
		CU_ASSERT_EQUAL(vq_drv_num_free(r.drv), n >= 2 ? num - 1 : num - n);
		CU_ASSERT_EQUAL(r.ind_live, n >= 2 ? 1 : 0);
		rig_kick(&r);
		CU_ASSERT_EQUAL_FATAL(rig_fetch(&r, &c), 1);
		CU_ASSERT_EQUAL(c.nseg, n);
		CU_ASSERT_EQUAL(c.nout, nout);
		CU_ASSERT_EQUAL(c.ndesc, 1);
		for (uint32_t i = 0; i < n && i < c.nseg; i++)
			CU_ASSERT_EQUAL(c.seg[i].addr, sg[i].addr);
		if (nout) {
			CU_ASSERT_EQUAL(vq_dev_read(r.dev, &c, 0, buf, 64 < 32 * nout ? 64 : 32 * nout),
					0);
			CU_ASSERT(same(&r, sg[0].addr, buf, 32));
		}
		memset(buf, 0xa5, sizeof(buf));
		if (n > nout)
			CU_ASSERT_EQUAL(vq_dev_write(r.dev, &c, 0, buf, 20), 0);
		CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, n > nout ? 20 : 0), 0);
		rig_flush(&r);
		CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 1);
		CU_ASSERT_EQUAL(len, n > nout ? 20 : 0);
		CU_ASSERT_EQUAL(r.ind_live, 0);
	}
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

/* Fill the whole ring, then complete in reverse order (out of order). */
static inline void gen_full_ring_out_of_order(uint64_t fb, uint32_t num)
{
	struct rig r;
	struct vq_chain c[64];
	struct vq_seg segs[64][2];
	uint32_t len;
	void *t;

	CU_ASSERT_FATAL(num <= 64);
	rig_setup(&r, num, fb, NULL, 0, 1 << 20);
	for (uint32_t i = 0; i < num; i++) {
		struct vq_seg sg = { r.buf_base + 256ULL * i, 64, 0 };

		CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 0, 1, (void *)(uintptr_t)(i + 1)), 0);
	}
	{
		struct vq_seg sg = { r.buf_base, 64, 0 };

		CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), -ENOSPC);
	}
	rig_kick(&r);
	for (uint32_t i = 0; i < num; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].seg = segs[i];
		c[i].seg_cap = 2;
		CU_ASSERT_EQUAL(vq_dev_fetch(r.dev, &c[i]), 1);
	}
	CU_ASSERT_EQUAL(vq_dev_fetch(r.dev, &c[0]), 0);
	for (uint32_t i = num; i-- > 0;) {
		uint8_t b[64] = { 0 };

		CU_ASSERT_EQUAL(vq_dev_write(r.dev, &c[i], 0, b, i), 0);
		CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c[i], i), 0);
	}
	rig_flush(&r);
	for (uint32_t i = num; i-- > 0;) {
		CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 1);
		CU_ASSERT_EQUAL((uintptr_t)t, i + 1);
		CU_ASSERT_EQUAL(len, i);
	}
	CU_ASSERT_EQUAL(vq_drv_num_free(r.drv), num);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

/* Run `count` buffers of 1..maxseg segments in batches; all must come back. */
static inline void gen_traffic(struct rig *r, uint32_t count, uint32_t maxseg, uint64_t seed)
{
	struct eng_rng rng;
	uint64_t next_tok = 1, want = 1;

	eng_rng_seed(&rng, seed);
	while (want <= count) {
		uint32_t batch = 1 + (uint32_t)eng_rng_below(&rng, 4);
		struct vq_chain c;
		uint32_t len;
		void *t;
		int k;

		for (uint32_t b = 0; b < batch && next_tok <= count; b++) {
			uint32_t n = 1 + (uint32_t)eng_rng_below(&rng, maxseg);
			struct vq_seg sg[8];

			for (uint32_t i = 0; i < n; i++) {
				sg[i].addr = r->buf_base + 64ULL * i;
				sg[i].len = 16;
			}
			if (vq_drv_add(r->drv, sg, n / 2, n - n / 2, (void *)(uintptr_t)next_tok))
				break;
			next_tok++;
		}
		rig_kick(r);
		while ((k = rig_fetch(r, &c)) == 1) {
			static const uint8_t zero[8 * 16];

			CU_ASSERT_EQUAL(vq_dev_write(r->dev, &c, 0, zero, c.in_len), 0);
			CU_ASSERT_EQUAL(vq_dev_push(r->dev, &c, c.in_len), 0);
		}
		CU_ASSERT_EQUAL(k, 0);
		rig_flush(r);
		while (vq_drv_get_used(r->drv, &t, &len) == 1) {
			CU_ASSERT_EQUAL((uintptr_t)t, want);
			want++;
		}
		if (vq_drv_broken(r->drv) || vq_dev_broken(r->dev)) {
			CU_FAIL("engine broke");
			return;
		}
	}
}

/* Start near the end of the index space: split idx wrap / packed wrap flips. */
static inline void gen_wrap_from_state(uint64_t fb, uint32_t num, const struct vq_state *st,
				       uint32_t count, uint32_t maxseg)
{
	struct rig r;
	struct vq_state end;

	rig_setup(&r, num, fb, st, 0, 1 << 16);
	gen_traffic(&r, count, maxseg, 42);
	vq_dev_get_state(r.dev, &end);
	CU_ASSERT_EQUAL(end.avail_idx, end.used_idx);
	CU_ASSERT_EQUAL(end.avail_wrap, end.used_wrap);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

/* Device reset and driver queue reset: everything back, traffic again. */
static void recycle_count(void *ctx, void *token)
{
	(void)token;
	(*(int *)ctx)++;
}

static inline void gen_queue_reset(uint64_t fb, uint32_t num)
{
	struct rig r;
	struct vq_chain c;
	struct vq_state st, fresh;
	int recycled = 0;

	rig_setup(&r, num, fb, NULL, 0, 1 << 16);
	for (int i = 0; i < 6; i++) {
		struct vq_seg sg = { r.buf_base + 64ULL * i, 64, 0 };

		CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
		if (i == 3)
			rig_kick(&r);
	}
	CU_ASSERT_EQUAL(rig_fetch(&r, &c), 1);
	CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 0), 0);
	rig_flush(&r);
	CU_ASSERT_EQUAL(rig_fetch(&r, &c), 1); /* one in flight at reset */
	/* VIRTIO_F_RING_RESET: the queue starts over (VQRESET-DEV-02) */
	vq_dev_reset(r.dev, NULL);
	CU_ASSERT_EQUAL(vq_drv_reset(r.drv, recycle_count, &recycled, NULL), 0);
	vq_obs_reset(r.obs, NULL);
	CU_ASSERT_EQUAL(recycled, 6);
	CU_ASSERT_EQUAL(vq_drv_num_free(r.drv), num);
	vq_dev_get_state(r.dev, &st);
	vq_state_init(&fresh);
	CU_ASSERT_EQUAL(st.avail_idx, 0);
	CU_ASSERT_EQUAL(st.used_idx, 0);
	CU_ASSERT_EQUAL(st.avail_wrap, fresh.avail_wrap);
	CU_ASSERT_EQUAL(vq_dev_inflight(r.dev), 0);
	gen_traffic(&r, 3 * num, 3, 7);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

/* Suspend: save the device state the vhost way, new device from it, go on. */
static inline void gen_save_restore(uint64_t fb, uint32_t num)
{
	struct rig r;
	struct vq_state st, back;
	uint32_t v;
	struct vq_dev *dev2;
	bool packed = fb & PACKED;

	rig_setup(&r, num, fb, NULL, 0, 1 << 16);
	gen_traffic(&r, 2 * num + 3, 3, 11);
	CU_ASSERT_EQUAL(vq_dev_inflight(r.dev), 0);
	vq_dev_get_state(r.dev, &st);
	v = vq_state_to_vhost(&st, packed);
	CU_ASSERT_EQUAL(vq_state_from_vhost(&back, v, packed, num), 0);
	CU_ASSERT_EQUAL(back.avail_idx, st.avail_idx);
	CU_ASSERT_EQUAL(back.used_idx, st.used_idx);
	if (packed) {
		CU_ASSERT_EQUAL(back.avail_wrap, st.avail_wrap);
		CU_ASSERT_EQUAL(back.used_wrap, st.used_wrap);
		/* vhost: idx | wrap << 15 in each half */
		CU_ASSERT_EQUAL(v & 0xffff, st.avail_idx | (uint32_t)st.avail_wrap << 15);
		CU_ASSERT_EQUAL(v >> 16, st.used_idx | (uint32_t)st.used_wrap << 15);
	} else {
		CU_ASSERT_EQUAL(v, st.avail_idx);
	}
	CU_ASSERT_EQUAL(vq_dev_create(&dev2, &r.cfg, &r.m, &back), 0);
	vq_dev_set_observer(dev2, r.obs);
	vq_dev_free(r.dev);
	r.dev = dev2;
	gen_traffic(&r, 2 * num + 5, 3, 12);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

/* IN_ORDER: a batch comes back as one used entry; the skipped ones count as
 * fully written, the last carries its own length. */
static inline void gen_in_order_batch(uint64_t fb, uint32_t num)
{
	struct rig r;
	struct vq_chain c[4];
	struct vq_seg segs[4][2];
	uint32_t len, writes;
	void *t;

	rig_setup(&r, num, fb | INORDER, NULL, 0, 1 << 16);
	for (uintptr_t i = 0; i < 4; i++) {
		struct vq_seg sg[2] = { { r.buf_base + 512 * i, 16, 0 },
					{ r.buf_base + 512 * i + 256, 100, 0 } };

		CU_ASSERT_EQUAL(vq_drv_add(r.drv, sg, 1, 1, (void *)(i + 1)), 0);
	}
	rig_kick(&r);
	for (int i = 0; i < 4; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].seg = segs[i];
		c[i].seg_cap = 2;
		CU_ASSERT_EQUAL(vq_dev_fetch(r.dev, &c[i]), 1);
	}
	/* out of order is refused with IN_ORDER */
	CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c[1], 100), -EINVAL);
	for (int i = 0; i < 4; i++) {
		uint8_t b[100];

		memset(b, i, sizeof(b));
		CU_ASSERT_EQUAL(vq_dev_write(r.dev, &c[i], 0, b, i == 3 ? 7 : 100), 0);
		CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c[i], i == 3 ? 7 : 100), 0);
	}
	writes = (uint32_t)r.pm.writes;
	rig_flush(&r);
	/* split: one element + the idx; packed: one used descriptor */
	CU_ASSERT_EQUAL(r.pm.writes - writes, (fb & PACKED) ? 1 : 2);
	for (uintptr_t i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 1);
		CU_ASSERT_EQUAL((uintptr_t)t, i + 1);
		CU_ASSERT_EQUAL(len, i == 3 ? 7 : 100);
	}
	CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 0);
	CU_ASSERT_EQUAL(vq_drv_num_free(r.drv), num);
	/* a short one in the middle ends the batch: two used entries */
	for (uintptr_t i = 0; i < 3; i++) {
		struct vq_seg sg = { r.buf_base + 512 * i, 100, 0 };

		CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 0, 1, (void *)(i + 10)), 0);
	}
	rig_kick(&r);
	for (int i = 0; i < 3; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].seg = segs[i];
		c[i].seg_cap = 2;
		CU_ASSERT_EQUAL(vq_dev_fetch(r.dev, &c[i]), 1);
		CU_ASSERT_EQUAL(vq_dev_write(r.dev, &c[i], 0, segs, i == 0 ? 50 : 100), 0);
		CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c[i], i == 0 ? 50 : 100), 0);
	}
	writes = (uint32_t)r.pm.writes;
	rig_flush(&r);
	CU_ASSERT_EQUAL(r.pm.writes - writes, (fb & PACKED) ? 2 : 3);
	for (uintptr_t i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 1);
		CU_ASSERT_EQUAL((uintptr_t)t, i + 10);
		CU_ASSERT_EQUAL(len, i == 0 ? 50 : 100);
	}
	gen_traffic(&r, 5 * num, 3, 5);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

/* After a device reset the driver takes back what was never used. */
static inline void gen_detach_unused(uint64_t fb, uint32_t num)
{
	struct rig r;
	struct vq_chain c;
	int toks[5], seen = 0;
	void *t;

	rig_setup(&r, num, fb | INDIR, NULL, 4, 1 << 16);
	for (int i = 0; i < 5; i++) {
		struct vq_seg sg[3] = { { r.buf_base, 8, 0 }, { r.buf_base + 64, 8, 0 },
					{ r.buf_base + 128, 8, 0 } };

		CU_ASSERT_EQUAL(vq_drv_add(r.drv, sg, 1, (uint32_t)(i % 3), &toks[i]), 0);
		if (i == 2)
			rig_kick(&r);
	}
	CU_ASSERT_EQUAL(rig_fetch(&r, &c), 1);
	while ((t = vq_drv_detach_unused(r.drv)) != NULL) {
		CU_ASSERT(t >= (void *)&toks[0] && t <= (void *)&toks[4]);
		seen++;
	}
	CU_ASSERT_EQUAL(seen, 5);
	CU_ASSERT_EQUAL(vq_drv_num_free(r.drv), num);
	CU_ASSERT_EQUAL(vq_drv_inflight(r.drv), 0);
	CU_ASSERT_EQUAL(r.ind_live, 0);
	rig_free(&r);
}

/* More segments than the caller's array: consumed, reported, pushable. */
static inline void gen_segment_cap(uint64_t fb, uint32_t num)
{
	struct rig r;
	struct vq_chain c;
	struct vq_seg sg[6], small[2];
	uint32_t len;
	void *t;

	rig_setup(&r, num, fb, NULL, 0, 1 << 16);
	for (int i = 0; i < 6; i++) {
		sg[i].addr = r.buf_base + 64ULL * i;
		sg[i].len = 10;
	}
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, sg, 3, 3, &r), 0);
	rig_kick(&r);
	memset(&c, 0, sizeof(c));
	c.seg = small;
	c.seg_cap = 2;
	CU_ASSERT_EQUAL(vq_dev_fetch(r.dev, &c), -EMSGSIZE);
	CU_ASSERT_EQUAL(c.nseg, 0);
	CU_ASSERT_EQUAL(c.out_len, 30);
	CU_ASSERT_EQUAL(c.in_len, 30);
	CU_ASSERT_FALSE(vq_dev_broken(r.dev));
	CU_ASSERT_EQUAL(vq_dev_read(r.dev, &c, 0, small, 1), -EINVAL);
	CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 0), 0);
	rig_flush(&r);
	CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 1);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

#endif
