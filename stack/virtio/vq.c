// SPDX-License-Identifier: MIT
/*
 * struct virtqueue: the kernel's virtqueue API over the driver-side ring
 * engine (sim/virtio_ring vq_drv), with the ring in the transport's DMA
 * memory.
 */
#include "stack/virtio/virtio.h"
#include "stack/virtio/vio_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/*
 * Lay the ring out from offset 0 and return its size: split rings as
 * vring_init (descriptors, available ring, then the used ring aligned to
 * `align`); packed rings as the descriptor ring and the two event structures.
 */
static uint64_t ring_layout(struct vq_config *cfg, uint32_t align)
{
	uint64_t p;

	cfg->desc_addr = 0;
	p = vq_desc_area_size(cfg);
	if (vq_cfg_packed(cfg)) {
		cfg->driver_addr = align_up(p, 4);
		p = cfg->driver_addr + vq_driver_area_size(cfg);
		cfg->device_addr = align_up(p, 4);
		return cfg->device_addr + vq_device_area_size(cfg);
	}
	cfg->driver_addr = p;
	p += vq_driver_area_size(cfg);
	cfg->device_addr = align_up(p, align);
	return cfg->device_addr + vq_device_area_size(cfg);
}

static void rebase(struct vq_config *cfg, uint64_t base)
{
	cfg->desc_addr += base;
	cfg->driver_addr += base;
	cfg->device_addr += base;
}

/* Indirect tables come from the device's DMA memory (the kernel allocates
 * them and maps them for the device). */
static int ind_alloc(void *ctx, uint32_t bytes, uint64_t *addr)
{
	const struct vio_dma *dma = ctx;

	return dma->ops->alloc(dma->ctx, bytes, 16, addr);
}

static void ind_free(void *ctx, uint64_t addr, uint32_t bytes)
{
	const struct vio_dma *dma = ctx;

	dma->ops->free(dma->ctx, addr, bytes);
}

struct virtqueue *vio_vq_create(unsigned int index, uint32_t num, uint32_t align,
				struct virtio_device *vdev, bool may_reduce_num, bool ctx,
				bool (*notify)(struct virtqueue *vq), vio_callback_t callback,
				const char *name, int *err)
{
	struct virtqueue *vq;
	struct vio_bus *bus;
	uint64_t bytes = 0, base = 0;
	int e;

	(void)ctx;
	if (!vdev || !vdev->dma || !notify || !name) {
		*err = -EINVAL;
		return NULL;
	}
	if (align < 16 || (align & (align - 1)))
		align = 4096;
	vq = calloc(1, sizeof(*vq));
	if (!vq) {
		*err = -ENOMEM;
		return NULL;
	}
	vq->cfg.features = vdev->features;
	for (;;) {
		vq->cfg.num = num;
		e = vq_config_check(&vq->cfg);
		if (e) {
			/* virtio 1.3 2.7: a split ring size is a power of two */
			free(vq);
			*err = e;
			return NULL;
		}
		bytes = ring_layout(&vq->cfg, align);
		e = vio_dma_alloc(vdev->dma, bytes, align > 4096 ? align : 4096, &base);
		if (e != -ENOMEM || !may_reduce_num || num == 1)
			break;
		num /= 2;
	}
	if (e) {
		free(vq);
		*err = e;
		return NULL;
	}
	rebase(&vq->cfg, base);
	e = vq_drv_create(&vq->drv, &vq->cfg, &vdev->dma->mem, NULL);
	if (e) {
		vio_dma_free(vdev->dma, base, bytes);
		free(vq);
		*err = e;
		return NULL;
	}
	if (vio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC)) {
		struct vq_indirect_ops io = { ind_alloc, ind_free, vdev->dma };

		/* as the kernel: an indirect table for any buffer of 2+ segments */
		vq_drv_set_indirect(vq->drv, &io, 2);
	}
	vq->vdev = vdev;
	vq->index = index;
	snprintf(vq->name, sizeof(vq->name), "%s", name);
	vq->callback = callback;
	vq->notify = notify;
	vq->num_max = num;
	vq->ring_dma = base;
	vq->ring_bytes = bytes;
	/* append: vdev->vqs keeps creation order */
	{
		struct virtqueue **pp = &vdev->vqs;

		while (*pp)
			pp = &(*pp)->next;
		*pp = vq;
	}
	bus = vio_bus_lookup(vdev->sim);
	if (bus && bus->vq_hook)
		bus->vq_hook(bus->vq_hook_ctx, vq);
	return vq;
}

void vio_vq_del(struct virtqueue *vq)
{
	struct virtio_device *vdev;

	if (!vq)
		return;
	vdev = vq->vdev;
	for (struct virtqueue **pp = &vdev->vqs; *pp; pp = &(*pp)->next) {
		if (*pp == vq) {
			*pp = vq->next;
			break;
		}
	}
	vq_drv_free(vq->drv);
	vio_dma_free(vdev->dma, vq->ring_dma, vq->ring_bytes);
	free(vq);
}

int vio_vq_add_sgs(struct virtqueue *vq, const struct vq_seg *sg, unsigned int out,
		   unsigned int in, void *data)
{
	if (vq->broken)
		return -EIO;
	return vq_drv_add(vq->drv, sg, out, in, data);
}

int vio_vq_add_outbuf(struct virtqueue *vq, const struct vq_seg *sg, unsigned int num,
		      void *data)
{
	return vio_vq_add_sgs(vq, sg, num, 0, data);
}

int vio_vq_add_inbuf(struct virtqueue *vq, const struct vq_seg *sg, unsigned int num,
		     void *data)
{
	return vio_vq_add_sgs(vq, sg, 0, num, data);
}

bool vio_vq_kick_prepare(struct virtqueue *vq)
{
	if (vq->broken)
		return false;
	return vq_drv_kick_prepare(vq->drv) > 0;
}

bool vio_vq_notify(struct virtqueue *vq)
{
	if (vq->broken)
		return false;
	vq->notifies++;
	if (vq->obs)
		vq_obs_notify(vq->obs, VQ_ACTOR_DRIVER);
	if (!vq->notify(vq)) {
		vq->broken = true;
		return false;
	}
	return true;
}

bool vio_vq_kick(struct virtqueue *vq)
{
	if (vio_vq_kick_prepare(vq))
		return vio_vq_notify(vq);
	return !vq->broken;
}

void *vio_vq_get_buf(struct virtqueue *vq, uint32_t *len)
{
	void *token = NULL;
	uint32_t l = 0;

	if (vq->broken)
		return NULL;
	if (vq_drv_get_used(vq->drv, &token, &l) != 1)
		return NULL;
	if (len)
		*len = l;
	return token;
}

void vio_vq_disable_cb(struct virtqueue *vq)
{
	vq_drv_disable_cb(vq->drv);
}

bool vio_vq_enable_cb(struct virtqueue *vq)
{
	if (vq->broken)
		return true;
	return vq_drv_enable_cb(vq->drv);
}

bool vio_vq_enable_cb_delayed(struct virtqueue *vq)
{
	if (vq->broken)
		return true;
	return vq_drv_enable_cb_delayed(vq->drv);
}

bool vio_vq_more_used(struct virtqueue *vq)
{
	if (vq->broken)
		return false;
	return vq_drv_more_used(vq->drv);
}

void *vio_vq_detach_unused_buf(struct virtqueue *vq)
{
	return vq_drv_detach_unused(vq->drv);
}

bool vio_vq_is_broken(const struct virtqueue *vq)
{
	return vq->broken || vq_drv_broken(vq->drv);
}

unsigned int vio_vq_get_vring_size(const struct virtqueue *vq)
{
	return vq->cfg.num;
}

unsigned int vio_vq_num_free(const struct virtqueue *vq)
{
	return vq_drv_num_free(vq->drv);
}

uint64_t vio_vq_get_desc_addr(const struct virtqueue *vq)
{
	return vq->cfg.desc_addr;
}

uint64_t vio_vq_get_avail_addr(const struct virtqueue *vq)
{
	return vq->cfg.driver_addr;
}

uint64_t vio_vq_get_used_addr(const struct virtqueue *vq)
{
	return vq->cfg.device_addr;
}

uint32_t vio_vq_notification_data(const struct virtqueue *vq)
{
	return (uint32_t)vq->index | (uint32_t)vq_drv_notify_data(vq->drv) << 16;
}

const struct vq_config *vio_vq_config(const struct virtqueue *vq)
{
	return &vq->cfg;
}

void vio_vq_set_observer(struct virtqueue *vq, struct vq_obs *obs)
{
	vq->obs = obs;
	vq_drv_set_observer(vq->drv, obs);
}

uint64_t vio_vq_notifies(const struct virtqueue *vq)
{
	return vq->notifies;
}

uint64_t vio_vq_interrupts(const struct virtqueue *vq)
{
	return vq->interrupts;
}

int vio_vq_interrupt(struct virtqueue *vq)
{
	if (!vio_vq_more_used(vq)) {
		vq->spurious++;
		return 0;
	}
	if (vio_vq_is_broken(vq))
		return 1;
	vq->interrupts++;
	if (vq->callback)
		vq->callback(vq);
	return 1;
}
