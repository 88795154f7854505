// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the ring engines and the observer: the input becomes
 * the ring memory a (hostile) driver or device left behind, and the engines
 * must never crash, assert or loop, whatever they find.
 *
 *   clang-14 -std=c11 -D_DEFAULT_SOURCE -Iinclude -I. -g -O1 \
 *       -fsanitize=fuzzer,address,undefined tests/fuzz/ring_fuzz.c $(ls sim/virtio_ring/vq_*.c) \
 *       -o build/ring_fuzz && build/ring_fuzz -max_total_time=60
 *
 * Input layout: byte 0 features/layout, byte 1 queue size, byte 2 how the
 * device behaves; the rest is copied over the ring areas and the buffers.
 */
#include "sim/virtio_ring/virtio_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BASE 0x10000ULL
#define MEM (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n);

static void run_device(struct vq_dev *dev, uint8_t mode)
{
	struct vq_seg seg[8];
	struct vq_chain c = { .seg = seg, .seg_cap = 8 };
	uint8_t buf[256];

	/* bounded: at most 64 chains whatever the ring says */
	for (int i = 0; i < 64; i++) {
		int r = vq_dev_fetch(dev, &c);

		if (r == 0 || r == -EIO)
			break;
		if (r == 1) {
			uint32_t k = c.out_len < sizeof(buf) ? c.out_len : sizeof(buf);

			vq_dev_read(dev, &c, 0, buf, k);
			k = c.in_len < sizeof(buf) ? c.in_len : sizeof(buf);
			vq_dev_write(dev, &c, 0, buf, k);
		}
		vq_dev_push(dev, &c, mode & 1 ? c.in_len : 0);
		if (mode & 2)
			vq_dev_flush(dev);
	}
	vq_dev_flush(dev);
	vq_dev_need_interrupt(dev);
	vq_dev_enable_notify(dev);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	static uint8_t mem[MEM];
	struct vq_plain_mem pm;
	struct vq_mem m;
	struct vq_config cfg = { 0 };
	struct vq_dev *dev = NULL;
	struct vq_drv *drv = NULL;
	struct vq_obs *obs = NULL;
	uint32_t len;
	void *t;

	if (n < 3)
		return 0;
	cfg.features = (in[0] & 1 ? 1ULL << VIRTIO_F_RING_PACKED : 0) |
		       (in[0] & 2 ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0) |
		       (in[0] & 4 ? 1ULL << VIRTIO_RING_F_INDIRECT_DESC : 0) |
		       (in[0] & 8 ? 1ULL << VIRTIO_F_IN_ORDER : 0);
	cfg.num = vq_cfg_packed(&cfg) ? 1u + in[1] % 64 : 1u << (in[1] % 7);
	vq_config_place(&cfg, BASE);
	memset(mem, 0, sizeof(mem));
	vq_plain_mem_init(&pm, mem, BASE, sizeof(mem));
	m = vq_plain_mem_accessor(&pm);
	if (vq_drv_create(&drv, &cfg, &m, NULL) || vq_dev_create(&dev, &cfg, &m, NULL) ||
	    vq_obs_create(&obs, &cfg, NULL, 8))
		goto out;
	vq_dev_set_observer(dev, obs);
	vq_drv_set_observer(drv, obs);
	/* a few well-formed buffers first, then the input scribbles over it all */
	for (int i = 0; i < 3; i++) {
		struct vq_seg sg[2] = { { BASE + 0x8000 + 512ULL * i, 64, 0 },
					{ BASE + 0x9000 + 512ULL * i, 64, 0 } };

		vq_drv_add(drv, sg, 1, 1, mem + i);
	}
	vq_drv_kick_prepare(drv);
	memcpy(mem, in + 3, n - 3 < sizeof(mem) ? n - 3 : sizeof(mem));
	run_device(dev, in[2]);
	/* the driver meets whatever the device area now holds */
	for (int i = 0; i < 64 && vq_drv_get_used(drv, &t, &len) == 1; i++)
		;
	vq_drv_more_used(drv);
	vq_drv_enable_cb_delayed(drv);
	vq_obs_sync(obs);
out:
	vq_obs_free(obs);
	vq_dev_free(dev);
	vq_drv_free(drv);
	return 0;
}
