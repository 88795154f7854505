// SPDX-License-Identifier: MIT
/*
 * virtio_vdpa: a virtio_device over a vdpa_device (see virtio_vdpa.h for the
 * op mapping and the find_vqs order).
 */
#include "stack/virtio_vdpa/virtio_vdpa.h"

#include "sim/engine/engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define STATE_KEY "virtio_vdpa"

struct vvd_state {
	struct sim *sim;
	struct vdpa_driver drv;
	bool registered;
	struct vvd_dma_config dma_cfg;
	struct vio_dma_pool *pool;
	vvd_doorbell_fn doorbell;
	void *doorbell_ctx;
};

struct vvd_dev {
	struct virtio_device vdev; /* first: to_vvd */
	struct vdpa_device *vdpa;
	struct vvd_state *st;
	void *domain; /* platform IOMMU domain mapped for the DMA window */
	bool notify_data;
};

static struct vvd_dev *to_vvd(struct virtio_device *vdev)
{
	return (struct vvd_dev *)vdev;
}

static struct vdpa_device *vd_get_vdpa(struct virtio_device *vdev)
{
	return to_vvd(vdev)->vdpa;
}

static struct vvd_state *state_of(struct sim *sim)
{
	return sim ? eng_attached(sim, STATE_KEY) : NULL;
}

/* ---- config ops ------------------------------------------------------------------ */

static void vvd_get(struct virtio_device *vdev, unsigned int offset, void *buf, unsigned int len)
{
	vdpa_get_config(vd_get_vdpa(vdev), offset, buf, len);
}

static void vvd_set(struct virtio_device *vdev, unsigned int offset, const void *buf,
		    unsigned int len)
{
	vdpa_set_config(vd_get_vdpa(vdev), offset, buf, len);
}

static uint32_t vvd_generation(struct virtio_device *vdev)
{
	struct vdpa_device *vdpa = vd_get_vdpa(vdev);

	return vdpa->config->get_generation ? vdpa->config->get_generation(vdpa) : 0;
}

static uint8_t vvd_get_status(struct virtio_device *vdev)
{
	struct vdpa_device *vdpa = vd_get_vdpa(vdev);

	return vdpa->config->get_status(vdpa);
}

static void vvd_set_status(struct virtio_device *vdev, uint8_t status)
{
	vdpa_set_status(vd_get_vdpa(vdev), status);
}

static void vvd_reset(struct virtio_device *vdev)
{
	vdpa_reset(vd_get_vdpa(vdev), 0);
}

static bool vvd_notify(struct virtqueue *vq)
{
	struct vvd_dev *vd = to_vvd(vq->vdev);
	struct vdpa_device *vdpa = vd->vdpa;
	const struct vdpa_config_ops *ops = vdpa->config;
	uint32_t value = vd->notify_data ? vio_vq_notification_data(vq) : vq->index;

	uint16_t idx = (uint16_t)vq->index;

	if (vd->st->doorbell && ops->get_vq_notification) {
		struct vdpa_notification_area a = ops->get_vq_notification(vdpa, idx);

		if (a.size >= 4 && !vd->st->doorbell(vd->st->doorbell_ctx, vdpa, idx, a.addr, value))
			return true;
	}
	if (vd->notify_data)
		ops->kick_vq_with_data(vdpa, value);
	else
		ops->kick_vq(vdpa, idx);
	return true;
}

static int vvd_config_cb(void *private)
{
	struct vvd_dev *vd = private;

	vio_config_changed(&vd->vdev);
	return VDPA_IRQ_HANDLED;
}

static int vvd_virtqueue_cb(void *private)
{
	return vio_vq_interrupt(private) ? VDPA_IRQ_HANDLED : VDPA_IRQ_NONE;
}

static void vvd_del_vq(struct virtqueue *vq)
{
	struct vdpa_device *vdpa = vd_get_vdpa(vq->vdev);

	/* deactivate the queue (best effort) */
	vdpa->config->set_vq_ready(vdpa, (uint16_t)vq->index, false);
	vio_vq_del(vq);
}

static void vvd_del_vqs(struct virtio_device *vdev)
{
	while (vdev->vqs)
		vvd_del_vq(vdev->vqs);
}

static struct virtqueue *setup_vq(struct virtio_device *vdev, unsigned int index,
				  vio_callback_t callback, const char *name, bool ctx,
				  uint32_t want, int *errp)
{
	struct vvd_dev *vd = to_vvd(vdev);
	struct vdpa_device *vdpa = vd->vdpa;
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vdpa_vq_state state;
	struct vdpa_callback cb;
	struct virtqueue *vq;
	uint32_t align, max_num, min_num = 1, num;
	uint16_t idx = (uint16_t)index;
	int err;

	if (index >= vdpa->nvqs) {
		*errp = -ENOENT;
		return NULL;
	}
	/* VIRTIO_F_NOTIFICATION_DATA needs kick_vq_with_data */
	vd->notify_data = false;
	if (vio_has_feature(vdev, VIRTIO_F_NOTIFICATION_DATA)) {
		if (ops->kick_vq_with_data)
			vd->notify_data = true;
		else
			vio_clear_bit(vdev, VIRTIO_F_NOTIFICATION_DATA);
	}
	/* the queue must not be set up already */
	if (ops->get_vq_ready(vdpa, idx)) {
		*errp = -ENOENT;
		return NULL;
	}
	max_num = ops->get_vq_num_max(vdpa);
	if (max_num == 0) {
		err = -ENOENT;
		goto error_new_virtqueue;
	}
	if (ops->get_vq_num_min)
		min_num = ops->get_vq_num_min(vdpa);
	align = ops->get_vq_align(vdpa);
	num = want && want < max_num ? want : max_num;
	if (num < min_num)
		num = min_num;
	vq = vio_vq_create(index, num, align, vdev, num != min_num, ctx, vvd_notify, callback, name,
			   &err);
	if (!vq) {
		if (err == -EINVAL)
			err = -ENOMEM; /* the kernel reports any vring failure so */
		goto error_new_virtqueue;
	}
	vq->num_max = max_num;

	cb.callback = callback ? vvd_virtqueue_cb : NULL;
	cb.private = vq;
	cb.trigger = NULL;
	ops->set_vq_cb(vdpa, idx, &cb);
	ops->set_vq_num(vdpa, idx, vio_vq_get_vring_size(vq));
	if (ops->set_vq_address(vdpa, idx, vio_vq_get_desc_addr(vq), vio_vq_get_avail_addr(vq),
				vio_vq_get_used_addr(vq))) {
		err = -EINVAL;
		goto err_vq;
	}
	/* a fresh queue: split avail index 0; packed wrap counters 1 (2.8.1) */
	memset(&state, 0, sizeof(state));
	if (vio_has_feature(vdev, VIRTIO_F_RING_PACKED)) {
		state.packed.last_avail_counter = 1;
		state.packed.last_avail_idx = 0;
		state.packed.last_used_counter = 1;
		state.packed.last_used_idx = 0;
	}
	err = ops->set_vq_state(vdpa, idx, &state);
	if (err)
		goto err_vq;
	ops->set_vq_ready(vdpa, idx, true);
	return vq;

err_vq:
	vio_vq_del(vq);
error_new_virtqueue:
	ops->set_vq_ready(vdpa, idx, false);
	/* the parent must have stopped the queue: it is never used again */
	(void)ops->get_vq_ready(vdpa, idx);
	*errp = err;
	return NULL;
}

static int vvd_find_vqs(struct virtio_device *vdev, unsigned int nvqs, struct virtqueue *vqs[],
			vio_callback_t callbacks[], const char *const names[], const bool *ctx,
			const uint32_t *sizes)
{
	struct vvd_dev *vd = to_vvd(vdev);
	struct vdpa_device *vdpa = vd->vdpa;
	struct vdpa_callback cb;
	unsigned int queue_idx = 0;
	int err;

	for (unsigned int i = 0; i < nvqs; i++) {
		if (!names[i]) {
			vqs[i] = NULL;
			continue;
		}
		vqs[i] = setup_vq(vdev, queue_idx++, callbacks ? callbacks[i] : NULL, names[i],
				  ctx ? ctx[i] : false, sizes ? sizes[i] : 0, &err);
		if (!vqs[i])
			goto err_setup_vq;
	}
	cb.callback = vvd_config_cb;
	cb.private = vd;
	cb.trigger = NULL;
	vdpa->config->set_config_cb(vdpa, &cb);
	return 0;

err_setup_vq:
	vvd_del_vqs(vdev);
	return err;
}

static uint64_t vvd_get_features(struct virtio_device *vdev)
{
	struct vdpa_device *vdpa = vd_get_vdpa(vdev);

	return vdpa->config->get_device_features(vdpa);
}

static int vvd_finalize_features(struct virtio_device *vdev)
{
	/* give the ring a chance to accept features */
	vio_transport_features(vdev);
	return vdpa_set_features(vd_get_vdpa(vdev), vdev->features);
}

static const char *vvd_bus_name(struct virtio_device *vdev)
{
	return vd_get_vdpa(vdev)->name;
}

static const struct virtio_config_ops vvd_config_ops = {
	.get = vvd_get,
	.set = vvd_set,
	.generation = vvd_generation,
	.get_status = vvd_get_status,
	.set_status = vvd_set_status,
	.reset = vvd_reset,
	.find_vqs = vvd_find_vqs,
	.del_vqs = vvd_del_vqs,
	.get_features = vvd_get_features,
	.finalize_features = vvd_finalize_features,
	.bus_name = vvd_bus_name,
};

/* ---- DMA window on the platform IOMMU ------------------------------------------------ */

static void dma_unmap_window(struct vvd_dev *vd)
{
	struct vdpa_dma_dev *dd = vdpa_get_dma_dev(vd->vdpa);

	if (!vd->domain || !dd || !dd->iommu)
		return;
	dd->iommu->unmap(dd->ctx, vd->domain, vio_dma_pool_base(vd->st->pool),
			 vio_dma_pool_size(vd->st->pool));
	dd->iommu->domain_free(dd->ctx, vd->domain);
	vd->domain = NULL;
}

/* What the DMA API does for a device behind an IOMMU: its domain maps the
 * memory the driver allocates.  Here: the whole window, 1:1, read-write. */
static int dma_map_window(struct vvd_dev *vd)
{
	const struct vdpa_config_ops *ops = vd->vdpa->config;
	struct vdpa_dma_dev *dd = vdpa_get_dma_dev(vd->vdpa);
	uint64_t base = vio_dma_pool_base(vd->st->pool);
	int err;

	if (!vd->st->dma_cfg.map_iommu || ops->set_map || ops->dma_map || !dd || !dd->iommu)
		return 0;
	err = dd->iommu->domain_alloc(dd->ctx, &vd->domain);
	if (err)
		return err;
	err = dd->iommu->map(dd->ctx, vd->domain, base, base, vio_dma_pool_size(vd->st->pool),
			     VHOST_ACCESS_RW);
	if (err) {
		dd->iommu->domain_free(dd->ctx, vd->domain);
		vd->domain = NULL;
	}
	return err;
}

/* ---- bus driver ----------------------------------------------------------------------- */

static int vvd_probe(struct vdpa_device *vdpa)
{
	struct vvd_state *st = state_of(vdpa->sim);
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vvd_dev *vd;
	int err;

	if (!st)
		return -ENODEV;
	vd = calloc(1, sizeof(*vd));
	if (!vd)
		return -ENOMEM;
	vd->vdpa = vdpa;
	vd->st = st;
	vd->vdev.sim = vdpa->sim;
	vd->vdev.config = &vvd_config_ops;
	vd->vdev.dma = vio_dma_pool_dma(st->pool);
	vd->vdev.transport = vd;
	vd->vdev.id.device = ops->get_device_id(vdpa);
	if (vd->vdev.id.device == 0) {
		err = -EINVAL;
		goto fail;
	}
	vd->vdev.id.vendor = ops->get_vendor_id(vdpa);
	err = dma_map_window(vd);
	if (err)
		goto fail;
	err = vio_register_device(&vd->vdev);
	if (err) {
		dma_unmap_window(vd);
		goto fail;
	}
	vdpa_set_drvdata(vdpa, vd);
	return 0;
fail:
	free(vd);
	return err;
}

static void vvd_remove(struct vdpa_device *vdpa)
{
	struct vvd_dev *vd = vdpa_get_drvdata(vdpa);

	if (!vd)
		return;
	vio_unregister_device(&vd->vdev);
	dma_unmap_window(vd);
	vdpa_set_drvdata(vdpa, NULL);
	free(vd);
}

static void state_destroy(void *obj)
{
	struct vvd_state *st = obj;

	if (st->registered)
		vdpa_unregister_driver(&st->drv);
	vio_dma_pool_free(st->pool);
	free(st);
}

void vvd_default_dma_config(struct vvd_dma_config *c)
{
	memset(c, 0, sizeof(*c));
	c->pa_base = VVD_DEFAULT_PA_BASE;
	c->size = VVD_DEFAULT_DMA_SIZE;
	c->map_iommu = true;
}

int vvd_register_driver(struct sim *sim, const struct vvd_dma_config *dma)
{
	struct vvd_state *st = state_of(sim);
	const struct vq_mem *backing;
	int err;

	if (!sim)
		return -EINVAL;
	if (st && st->registered)
		return -EEXIST;
	if (!st) {
		/* the buses first, so that they outlive this state */
		if (!vdpa_bus_get(sim) || vio_bus_init(sim))
			return -ENOMEM;
		st = calloc(1, sizeof(*st));
		if (!st)
			return -ENOMEM;
		st->sim = sim;
		if (eng_attach(sim, STATE_KEY, st, state_destroy)) {
			free(st);
			return -ENOMEM;
		}
	}
	if (dma)
		st->dma_cfg = *dma;
	else
		vvd_default_dma_config(&st->dma_cfg);
	vio_dma_pool_free(st->pool);
	st->pool = NULL;
	backing = st->dma_cfg.host_mem.read ? &st->dma_cfg.host_mem : NULL;
	err = vio_dma_pool_create(st->dma_cfg.pa_base, st->dma_cfg.size, backing, &st->pool);
	if (err)
		return err;
	st->drv.name = VVD_DRIVER_NAME;
	st->drv.probe = vvd_probe;
	st->drv.remove = vvd_remove;
	st->registered = true;
	err = vdpa_register_driver(sim, &st->drv);
	if (err)
		st->registered = false;
	return err;
}

void vvd_unregister_driver(struct sim *sim)
{
	struct vvd_state *st = state_of(sim);

	if (!st || !st->registered)
		return;
	vdpa_unregister_driver(&st->drv);
	st->registered = false;
}

struct vdpa_driver *vvd_driver(struct sim *sim)
{
	struct vvd_state *st = state_of(sim);

	return st && st->registered ? &st->drv : NULL;
}

struct virtio_device *vvd_virtio(struct vdpa_device *vdpa)
{
	struct vvd_state *st = vdpa ? state_of(vdpa->sim) : NULL;
	struct vvd_dev *vd;

	if (!st || vdpa->driver != &st->drv)
		return NULL;
	vd = vdpa_get_drvdata(vdpa);
	return vd ? &vd->vdev : NULL;
}

struct vdpa_device *vvd_vdpa(struct virtio_device *vdev)
{
	if (!vdev || vdev->config != &vvd_config_ops)
		return NULL;
	return to_vvd(vdev)->vdpa;
}

const struct vq_mem *vvd_host_mem(struct sim *sim)
{
	struct vvd_state *st = state_of(sim);

	return st && st->pool ? vio_dma_pool_mem(st->pool) : NULL;
}

struct vio_dma_pool *vvd_dma_pool(struct sim *sim)
{
	struct vvd_state *st = state_of(sim);

	return st ? st->pool : NULL;
}

void vvd_set_doorbell(struct sim *sim, vvd_doorbell_fn fn, void *ctx)
{
	struct vvd_state *st = state_of(sim);

	if (!st)
		return;
	st->doorbell = fn;
	st->doorbell_ctx = fn ? ctx : NULL;
}
