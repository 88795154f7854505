// SPDX-License-Identifier: MIT
/*
 * Ring engine cost: nanoseconds per buffer round trip (driver add, device
 * fetch, device used, driver collect) over a plain-memory accessor, split and
 * packed, observer off and on, single-descriptor buffers and 4-descriptor
 * chains, in batches of 32 with EVENT_IDX.  Prints human lines and
 *   RESULT ring.ns_per_buf.<split|packed>.<obs_on|obs_off> <ns>         (1 descriptor)
 *   RESULT ring.ns_per_buf.<split|packed>.<obs_on|obs_off>.chain4 <ns>  (4-descriptor chain)
 *   RESULT ring.ns_per_desc.<split|packed>.<obs_on|obs_off>.chain4 <ns>
 * An optional argument scales the number of buffers.
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
	struct vq_mem m;
	struct vq_config cfg;
	struct vq_drv *drv;
	struct vq_dev *dev;
	struct vq_obs *obs;
	uint64_t buf;
};

static int setup(struct bench *b, bool packed, bool observe)
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
	b->m = vq_plain_mem_accessor(&b->pm);
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

static double run(bool packed, bool observe, uint32_t nseg, uint64_t bufs)
{
	struct bench b;
	struct vq_seg sg[4], dseg[4];
	struct vq_chain c = { .seg = dseg, .seg_cap = 4 };
	double t0, t1;
	uint64_t done = 0;

	if (setup(&b, packed, observe)) {
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

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1.0;
	uint64_t bufs = (uint64_t)(4e6 * scale);

	if (bufs < BATCH)
		bufs = BATCH;
	printf("ring round trip (add, fetch, used, collect), batches of %d, queue %d, EVENT_IDX\n",
	       BATCH, NUM);
	for (int p = 0; p < 2; p++) {
		const char *layout = p ? "packed" : "split";

		for (int o = 0; o < 2; o++) {
			const char *obs = o ? "obs_on" : "obs_off";
			double one = run(p, o, 1, bufs);
			double four = run(p, o, 4, bufs / 2);

			printf("  %-6s observer %-3s: %6.1f ns/buffer (1 desc), %6.1f ns/buffer "
			       "(4-desc chain, %.1f ns/desc)\n",
			       layout, o ? "on" : "off", one, four, four / 4);
			printf("RESULT ring.ns_per_buf.%s.%s %.1f\n", layout, obs, one);
			printf("RESULT ring.ns_per_buf.%s.%s.chain4 %.1f\n", layout, obs, four);
			printf("RESULT ring.ns_per_desc.%s.%s.chain4 %.1f\n", layout, obs, four / 4);
		}
	}
	return 0;
}
