// SPDX-License-Identifier: MIT
/*
 * Ring engine cost: nanoseconds per buffer round trip (driver add, device
 * fetch, device used, driver collect) over a plain-memory accessor, split and
 * packed, observer off and on, single-descriptor buffers and 4-descriptor
 * chains, in batches of 32 with EVENT_IDX.  Prints human lines and
 *   RESULT ring.ns_per_buf.<split|packed>.<obs_on|obs_off> <ns>         (1 descriptor)
 *   RESULT ring.ns_per_buf.<split|packed>.<obs_on|obs_off>.chain4 <ns>  (4-descriptor chain)
 *   RESULT ring.ns_per_desc.<split|packed>.<obs_on|obs_off>.chain4 <ns>
 *
 * Arguments: [scale [filter...]].  scale multiplies the number of buffers.
 * Filters pick configurations: split, packed, obs_off, obs_on, 1, 4 (none of
 * a kind means all of it), e.g. `bench_ring 0.1 split obs_off 1` for one
 * callgrind run.  `accessor` (alone, or with `plain` for both) runs over a
 * pass-through accessor wrapping the plain one, as a DMA accessor would be:
 * the engines then make one accessor call per ring access instead of using
 * the plain memory directly (keys get a `.accessor` suffix).
 */
#include "sim/virtio_ring/virtio_ring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NUM 256
#define BATCH 32

static double wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct bench {
	uint8_t *mem;
	struct vq_plain_mem pm;
	struct vq_mem plain; /* the plain accessor */
	struct vq_mem m;     /* what the engines use: plain, or a wrapper around it */
	struct vq_config cfg;
	struct vq_drv *drv;
	struct vq_dev *dev;
	struct vq_obs *obs;
	uint64_t buf;
};

/* A pass-through accessor: the engines cannot see plain memory behind it. */
static int wrap_read(void *ctx, uint64_t addr, void *dst, uint32_t len)
{
	const struct vq_mem *m = ctx;

	return m->read(m->ctx, addr, dst, len);
}

static int wrap_write(void *ctx, uint64_t addr, const void *src, uint32_t len)
{
	const struct vq_mem *m = ctx;

	return m->write(m->ctx, addr, src, len);
}

static int setup(struct bench *b, bool packed, bool observe, bool wrapped)
{
	uint64_t end;

	memset(b, 0, sizeof(*b));
	b->cfg.num = NUM;
	b->cfg.features = (1ULL << VIRTIO_RING_F_EVENT_IDX) |
			  (packed ? 1ULL << VIRTIO_F_RING_PACKED : 0);
	end = vq_config_place(&b->cfg, 0x10000);
	b->buf = (end + 4095) & ~4095ULL;
	b->mem = calloc(1, b->buf - 0x10000 + 65536);
	if (!b->mem)
		return -1;
	vq_plain_mem_init(&b->pm, b->mem, 0x10000, b->buf - 0x10000 + 65536);
	b->plain = vq_plain_mem_accessor(&b->pm);
	if (wrapped) {
		b->m.read = wrap_read;
		b->m.write = wrap_write;
		b->m.ctx = &b->plain;
	} else {
		b->m = b->plain;
	}
	if (vq_drv_create(&b->drv, &b->cfg, &b->m, NULL) ||
	    vq_dev_create(&b->dev, &b->cfg, &b->m, NULL))
		return -1;
	if (observe) {
		if (vq_obs_create(&b->obs, &b->cfg, NULL, 16))
			return -1;
		vq_drv_set_observer(b->drv, b->obs);
		vq_dev_set_observer(b->dev, b->obs);
	}
	return 0;
}

static void teardown(struct bench *b)
{
	vq_drv_free(b->drv);
	vq_dev_free(b->dev);
	vq_obs_free(b->obs);
	free(b->mem);
}

/* One batch round trip; returns buffers completed or -1. */
static int batch(struct bench *b, const struct vq_seg *sg, uint32_t nseg, struct vq_chain *c)
{
	uint32_t len;
	void *t;
	int n = 0, k;

	for (int i = 0; i < BATCH; i++)
		if (vq_drv_add(b->drv, sg, nseg, 0, b))
			return -1;
	if ((k = vq_drv_kick_prepare(b->drv)) < 0)
		return -1;
	if (k && b->obs)
		vq_obs_notify(b->obs, VQ_ACTOR_DRIVER);
	while ((k = vq_dev_fetch(b->dev, c)) == 1)
		if (vq_dev_push(b->dev, c, 0))
			return -1;
	if (k < 0 || vq_dev_flush(b->dev))
		return -1;
	if ((k = vq_dev_need_interrupt(b->dev)) < 0)
		return -1;
	if (k && b->obs)
		vq_obs_notify(b->obs, VQ_ACTOR_DEVICE);
	/* re-arm like a NAPI poll loop does: interrupt at the next used entry */
	vq_drv_enable_cb(b->drv);
	vq_dev_enable_notify(b->dev);
	while (vq_drv_get_used(b->drv, &t, &len) == 1)
		n++;
	return n;
}

static double run(bool packed, bool observe, bool wrapped, uint32_t nseg, uint64_t bufs)
{
	struct bench b;
	struct vq_seg sg[4], dseg[4];
	struct vq_chain c = { .seg = dseg, .seg_cap = 4 };
	double t0, t1;
	uint64_t done = 0;

	if (setup(&b, packed, observe, wrapped)) {
		fprintf(stderr, "bench_ring: setup failed\n");
		exit(3);
	}
	for (uint32_t i = 0; i < nseg; i++) {
		sg[i].addr = b.buf + 1024ULL * i;
		sg[i].len = 1500;
	}
	for (int i = 0; i < 1000; i++) /* warm up */
		batch(&b, sg, nseg, &c);
	t0 = wall_seconds();
	while (done < bufs) {
		int n = batch(&b, sg, nseg, &c);

		if (n != BATCH) {
			fprintf(stderr, "bench_ring: round trip failed\n");
			exit(3);
		}
		done += (uint64_t)n;
	}
	t1 = wall_seconds();
	if (observe) {
		vq_obs_sync(b.obs);
		if (vq_obs_count(b.obs)) {
			fprintf(stderr, "bench_ring: observer reported %llu events\n",
				(unsigned long long)vq_obs_count(b.obs));
			exit(3);
		}
	}
	teardown(&b);
	return (t1 - t0) * 1e9 / (double)done;
}

/* Which configurations to run: bit i of a mask is value i of that kind. */
struct pick {
	unsigned layout; /* bit 0 split, bit 1 packed */
	unsigned obs;    /* bit 0 off, bit 1 on */
	unsigned segs;   /* bit 0 one descriptor, bit 1 four */
	unsigned via;    /* bit 0 plain accessor, bit 1 pass-through accessor */
};

static int parse_filters(struct pick *pk, int argc, char **argv)
{
	static const char *const words[] = { "split", "packed", "obs_off", "obs_on", "1", "4",
					     "plain", "accessor" };
	unsigned *kind[] = { &pk->layout, &pk->obs, &pk->segs, &pk->via };

	memset(pk, 0, sizeof(*pk));
	for (int i = 2; i < argc; i++) {
		unsigned w = 0;

		while (w < 8 && strcmp(argv[i], words[w]) != 0)
			w++;
		if (w == 8) {
			fprintf(stderr, "bench_ring: unknown filter '%s'\n", argv[i]);
			return -1;
		}
		*kind[w / 2] |= 1u << (w % 2);
	}
	for (int k = 0; k < 3; k++)
		if (!*kind[k])
			*kind[k] = 3;
	if (!pk->via)
		pk->via = 1; /* the pass-through accessor only when asked for */
	return 0;
}

/* Run one configuration and print its lines. */
static void measure(bool packed, bool observe, bool wrapped, uint32_t nseg, uint64_t bufs)
{
	const char *layout = packed ? "packed" : "split", *obs = observe ? "obs_on" : "obs_off";
	const char *sfx = wrapped ? ".accessor" : "";
	const char *what = wrapped ? " (pass-through accessor)" : "";
	double ns = run(packed, observe, wrapped, nseg, nseg == 1 ? bufs : bufs / 2);

	if (nseg == 1) {
		printf("  %-6s observer %-3s: %6.1f ns/buffer (1 desc)%s\n", layout,
		       observe ? "on" : "off", ns, what);
		printf("RESULT ring.ns_per_buf.%s.%s%s %.1f\n", layout, obs, sfx, ns);
		return;
	}
	printf("  %-6s observer %-3s: %6.1f ns/buffer (4-desc chain, %.1f ns/desc)%s\n", layout,
	       observe ? "on" : "off", ns, ns / nseg, what);
	printf("RESULT ring.ns_per_buf.%s.%s.chain4%s %.1f\n", layout, obs, sfx, ns);
	printf("RESULT ring.ns_per_desc.%s.%s.chain4%s %.1f\n", layout, obs, sfx, ns / nseg);
}

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1.0;
	uint64_t bufs = (uint64_t)(4e6 * scale);
	struct pick pk;

	if (parse_filters(&pk, argc, argv))
		return 2;
	if (bufs < BATCH)
		bufs = BATCH;
	printf("ring round trip (add, fetch, used, collect), batches of %d, queue %d, EVENT_IDX\n",
	       BATCH, NUM);
	for (unsigned v = 0; v < 2; v++)
		for (unsigned p = 0; p < 2; p++)
			for (unsigned o = 0; o < 2; o++)
				for (unsigned s = 0; s < 2; s++)
					if ((pk.via >> v & 1) && (pk.layout >> p & 1) &&
					    (pk.obs >> o & 1) && (pk.segs >> s & 1))
						measure(p, o, v, s ? 4 : 1, bufs);
	return 0;
}
