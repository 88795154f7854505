// SPDX-License-Identifier: MIT
/*
 * The test device's vdpa_config_ops and its fake platform IOMMU: in-memory
 * state, every call recorded in the op trace, optional faults.
 */
#include "stack/vdpa_testdev/vtd_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- virtqueue ops ------------------------------------------------------------ */

static int op_set_vq_address(struct vdpa_device *vdev, uint16_t idx, uint64_t desc,
			      uint64_t driver, uint64_t device)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "set_vq_address %u 0x%llx 0x%llx 0x%llx", idx, (unsigned long long)desc,
	   (unsigned long long)driver, (unsigned long long)device);
	if (d->faults.set_vq_address)
		return -d->faults.set_vq_address;
	if (!valid_vq(d, idx))
		return -EINVAL;
	d->vqs[idx].desc = desc;
	d->vqs[idx].driver = driver;
	d->vqs[idx].device = device;
	vtd_dp_queue_changed(d, idx);
	return 0;
}

static void op_set_vq_num(struct vdpa_device *vdev, uint16_t idx, uint32_t num)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "set_vq_num %u %u", idx, num);
	if (valid_vq(d, idx)) {
		d->vqs[idx].num = num;
		vtd_dp_queue_changed(d, idx);
	}
}

static void op_kick_vq(struct vdpa_device *vdev, uint16_t idx)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "kick_vq %u", idx);
	/* A suspended device does not process the queue; the kick is kept. */
	if (valid_vq(d, idx)) {
		d->vqs[idx].kicks++;
		vtd_dp_kick(d, idx);
	}
}

static void op_kick_vq_with_data(struct vdpa_device *vdev, uint32_t data)
{
	struct vtd *d = to_vtd(vdev);
	uint16_t idx = (uint16_t)(data & 0xffff);

	vtd_tr(d, "kick_vq_with_data 0x%x", data);
	if (valid_vq(d, idx)) {
		d->vqs[idx].kicks++;
		vtd_dp_kick(d, idx);
	}
}

static void op_set_vq_cb(struct vdpa_device *vdev, uint16_t idx, struct vdpa_callback *cb)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "set_vq_cb %u %s", idx, cb && cb->callback ? "cb" : "null");
	if (!valid_vq(d, idx))
		return;
	if (cb)
		d->vqs[idx].cb = *cb;
	else
		memset(&d->vqs[idx].cb, 0, sizeof(d->vqs[idx].cb));
}

static void op_set_vq_ready(struct vdpa_device *vdev, uint16_t idx, bool ready)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "set_vq_ready %u %d", idx, ready);
	if (valid_vq(d, idx)) {
		d->vqs[idx].ready = ready;
		vtd_dp_queue_changed(d, idx);
	}
}

static bool op_get_vq_ready(struct vdpa_device *vdev, uint16_t idx)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "get_vq_ready %u", idx);
	return valid_vq(d, idx) && d->vqs[idx].ready;
}

static bool packed(const struct vtd *d)
{
	return d->driver_features & (1ULL << VIRTIO_F_RING_PACKED);
}

static int op_set_vq_state(struct vdpa_device *vdev, uint16_t idx,
			    const struct vdpa_vq_state *state)
{
	struct vtd *d = to_vtd(vdev);

	if (packed(d))
		vtd_tr(d, "set_vq_state %u packed avail=%u/%u used=%u/%u", idx,
		   state->packed.last_avail_idx, state->packed.last_avail_counter,
		   state->packed.last_used_idx, state->packed.last_used_counter);
	else
		vtd_tr(d, "set_vq_state %u avail=%u", idx, state->split.avail_index);
	if (d->faults.set_vq_state)
		return -d->faults.set_vq_state;
	if (!valid_vq(d, idx))
		return -EINVAL;
	d->vqs[idx].state = *state;
	vtd_dp_queue_changed(d, idx);
	return 0;
}

static int op_get_vq_state(struct vdpa_device *vdev, uint16_t idx, struct vdpa_vq_state *state)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "get_vq_state %u", idx);
	if (d->faults.get_vq_state)
		return -d->faults.get_vq_state;
	if (!valid_vq(d, idx))
		return -EINVAL;
	vtd_dp_sync_state(d, idx);
	*state = d->vqs[idx].state;
	return 0;
}

static int op_get_vendor_vq_stats(struct vdpa_device *vdev, uint16_t idx,
				   struct vdpa_vendor_vq_stats *out)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "get_vendor_vq_stats %u", idx);
	if (d->faults.vendor_stats)
		return -d->faults.vendor_stats;
	if (!valid_vq(d, idx))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->n = 2;
	snprintf(out->attr[0].name, sizeof(out->attr[0].name), "received_desc");
	out->attr[0].value = d->vqs[idx].kicks;
	snprintf(out->attr[1].name, sizeof(out->attr[1].name), "completed_desc");
	out->attr[1].value = d->vqs[idx].irqs;
	return 0;
}

static struct vdpa_notification_area op_get_vq_notification(struct vdpa_device *vdev,
							      uint16_t idx)
{
	struct vtd *d = to_vtd(vdev);
	struct vdpa_notification_area area = {
		d->cfg.notify_base + (uint64_t)idx * d->cfg.notify_stride,
		d->cfg.notify_size,
	};

	vtd_tr(d, "get_vq_notification %u", idx);
	return area;
}

static int op_get_vq_irq(struct vdpa_device *vdev, uint16_t idx)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "get_vq_irq %u", idx);
	return valid_vq(d, idx) ? 32 + idx : -EINVAL;
}

/* ---- device ops -------------------------------------------------------------- */

static uint32_t op_get_vq_align(struct vdpa_device *vdev)
{
	vtd_tr(to_vtd(vdev), "get_vq_align");
	return 4096;
}

static uint32_t group_of(const struct vtd *d, uint16_t idx)
{
	return vtd_vq_group(d, idx);
}

static uint32_t op_get_vq_group(struct vdpa_device *vdev, uint16_t idx)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "get_vq_group %u", idx);
	return group_of(d, idx);
}

static uint32_t op_get_vq_desc_group(struct vdpa_device *vdev, uint16_t idx)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "get_vq_desc_group %u", idx);
	return group_of(d, idx);
}

static uint64_t op_get_device_features(struct vdpa_device *vdev)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "get_device_features");
	return d->device_features;
}

static uint64_t op_get_backend_features(const struct vdpa_device *vdev)
{
	const struct vtd *d = (const struct vtd *)vdev;

	return d->cfg.backend_features;
}

static int op_set_driver_features(struct vdpa_device *vdev, uint64_t features)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "set_driver_features 0x%llx", (unsigned long long)features);
	if (d->faults.set_driver_features)
		return -d->faults.set_driver_features;
	if (d->cfg.strict_features && (features & ~d->device_features))
		return -EINVAL;
	d->driver_features = features & d->device_features;
	return 0;
}

static uint64_t op_get_driver_features(struct vdpa_device *vdev)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "get_driver_features");
	return d->driver_features;
}

static void op_set_config_cb(struct vdpa_device *vdev, struct vdpa_callback *cb)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "set_config_cb %s", cb && cb->callback ? "cb" : "null");
	if (cb)
		d->config_cb = *cb;
	else
		memset(&d->config_cb, 0, sizeof(d->config_cb));
}

static uint16_t op_get_vq_num_max(struct vdpa_device *vdev)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "get_vq_num_max");
	return d->cfg.vq_num_max;
}

static uint16_t op_get_vq_num_min(struct vdpa_device *vdev)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "get_vq_num_min");
	return d->cfg.vq_num_min;
}

static uint32_t op_get_device_id(struct vdpa_device *vdev)
{
	vtd_tr(to_vtd(vdev), "get_device_id");
	return VIRTIO_ID_NET;
}

static uint32_t op_get_vendor_id(struct vdpa_device *vdev)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "get_vendor_id");
	return d->cfg.vendor_id;
}

static uint8_t op_get_status(struct vdpa_device *vdev)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "get_status");
	return d->status;
}

static void op_set_status(struct vdpa_device *vdev, uint8_t status)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "set_status 0x%02x", status);
	/* virtio 1.3 2.2.2: a device refusing the features leaves FEATURES_OK
	 * clear. */
	if (d->cfg.refuse_features_ok)
		status &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	d->status = vtd_dp_status(d, d->status, status);
}

static void do_reset(struct vtd *d, uint32_t flags)
{
	vtd_dp_reset(d);
	for (uint32_t i = 0; i < d->nvqs; i++) {
		uint64_t kicks = d->vqs[i].kicks, irqs = d->vqs[i].irqs;

		memset(&d->vqs[i], 0, sizeof(d->vqs[i]));
		d->vqs[i].kicks = kicks;
		d->vqs[i].irqs = irqs;
	}
	d->driver_features = 0;
	d->status = 0;
	d->suspended = false;
	d->generation++;
	for (uint32_t g = 0; g < d->vdpa.ngroups; g++)
		d->group_asid[g] = 0;
	if (flags & VDPA_RESET_F_CLEAN_MAP) {
		for (uint32_t a = 0; a < d->vdpa.nas; a++) {
			vdpa_iotlb_reset(&d->iotlb[a]);
			d->iommu_pt[a] = true;
		}
	}
}

static int op_reset(struct vdpa_device *vdev)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "reset");
	if (d->faults.reset)
		return -d->faults.reset;
	do_reset(d, 0);
	return 0;
}

static int op_compat_reset(struct vdpa_device *vdev, uint32_t flags)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "compat_reset 0x%x", flags);
	if (d->faults.reset)
		return -d->faults.reset;
	do_reset(d, flags);
	return 0;
}

static int op_suspend(struct vdpa_device *vdev)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "suspend");
	if (d->faults.suspend)
		return -d->faults.suspend;
	d->suspended = true;
	vtd_dp_suspend(d);
	return 0;
}

static int op_resume(struct vdpa_device *vdev)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "resume");
	if (d->faults.resume)
		return -d->faults.resume;
	d->suspended = false;
	vtd_dp_resume(d);
	return 0;
}

static size_t op_get_config_size(struct vdpa_device *vdev)
{
	vtd_tr(to_vtd(vdev), "get_config_size");
	return CFG_SIZE;
}

static void op_get_config(struct vdpa_device *vdev, unsigned int offset, void *buf,
			   unsigned int len)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "get_config %u %u", offset, len);
	if ((size_t)offset + len > CFG_SIZE)
		return;
	memcpy(buf, d->config + offset, len);
	if (d->change_reads) {
		/* The device changed its config while this read was going on. */
		d->change_reads--;
		d->config[NETCFG_STATUS] ^= VIRTIO_NET_S_LINK_UP;
		d->generation++;
	}
}

static void op_set_config(struct vdpa_device *vdev, unsigned int offset, const void *buf,
			   unsigned int len)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "set_config %u %u", offset, len);
	if ((size_t)offset + len > CFG_SIZE)
		return;
	memcpy(d->config + offset, buf, len);
}

static uint32_t op_get_generation(struct vdpa_device *vdev)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "get_generation");
	return d->generation;
}

static struct vdpa_iova_range op_get_iova_range(struct vdpa_device *vdev)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "get_iova_range");
	return d->cfg.iova_range;
}

static int op_set_group_asid(struct vdpa_device *vdev, unsigned int group, unsigned int asid)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "set_group_asid %u %u", group, asid);
	if (d->faults.set_group_asid)
		return -d->faults.set_group_asid;
	if (group >= d->vdpa.ngroups || asid >= d->vdpa.nas)
		return -EINVAL;
	d->group_asid[group] = asid;
	return 0;
}

/* ---- DMA ops -------------------------------------------------------------------- */

static int op_set_map(struct vdpa_device *vdev, unsigned int asid, struct vdpa_iotlb *iotlb)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "set_map %u n=%zu", asid, iotlb ? iotlb->nmaps : 0);
	if (d->faults.set_map)
		return -d->faults.set_map;
	if (asid >= d->vdpa.nas)
		return -EINVAL;
	/* a map given: addresses no longer pass through */
	d->iommu_pt[asid] = false;
	return vdpa_iotlb_copy(&d->iotlb[asid], iotlb);
}

static int op_dma_map(struct vdpa_device *vdev, unsigned int asid, uint64_t iova, uint64_t size,
		       uint64_t pa, uint32_t perm, void *opaque)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "dma_map %u 0x%llx 0x%llx 0x%llx %u", asid, (unsigned long long)iova,
	   (unsigned long long)size, (unsigned long long)pa, perm);
	if (d->faults.dma_map)
		return -d->faults.dma_map;
	if (asid >= d->vdpa.nas)
		return -EINVAL;
	d->iommu_pt[asid] = false;
	return vdpa_iotlb_add_range_ctx(&d->iotlb[asid], iova, iova + size - 1, pa, perm, opaque);
}

static int op_dma_unmap(struct vdpa_device *vdev, unsigned int asid, uint64_t iova,
			 uint64_t size)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "dma_unmap %u 0x%llx 0x%llx", asid, (unsigned long long)iova,
	   (unsigned long long)size);
	if (asid >= d->vdpa.nas)
		return -EINVAL;
	vdpa_iotlb_del_range(&d->iotlb[asid], iova, iova + size - 1);
	return 0;
}

static int op_reset_map(struct vdpa_device *vdev, unsigned int asid)
{
	struct vtd *d = to_vtd(vdev);

	vtd_tr(d, "reset_map %u", asid);
	if (asid >= d->vdpa.nas)
		return -EINVAL;
	vdpa_iotlb_reset(&d->iotlb[asid]);
	d->iommu_pt[asid] = true; /* the initial map: identity passthrough */
	return 0;
}

/* ---- fake platform IOMMU ----------------------------------------------------------- */

static int iommu_domain_alloc(void *ctx, void **domain)
{
	struct vtd *d = ctx;

	vtd_tr(d, "iommu_domain_alloc");
	if (d->faults.domain_alloc)
		return -d->faults.domain_alloc;
	d->domain_allocated = true;
	*domain = &d->domain_maps;
	return 0;
}

static void iommu_domain_free(void *ctx, void *domain)
{
	struct vtd *d = ctx;

	(void)domain;
	vtd_tr(d, "iommu_domain_free");
	vdpa_iotlb_reset(&d->domain_maps);
	d->domain_allocated = false;
}

static int iommu_map(void *ctx, void *domain, uint64_t iova, uint64_t pa, uint64_t size,
		     uint32_t perm)
{
	struct vtd *d = ctx;

	vtd_tr(d, "iommu_map 0x%llx 0x%llx 0x%llx %u", (unsigned long long)iova,
	   (unsigned long long)size, (unsigned long long)pa, perm);
	if (d->faults.iommu_map)
		return -d->faults.iommu_map;
	return vdpa_iotlb_add_range(domain, iova, iova + size - 1, pa, perm);
}

static uint64_t iommu_unmap(void *ctx, void *domain, uint64_t iova, uint64_t size)
{
	struct vtd *d = ctx;

	vtd_tr(d, "iommu_unmap 0x%llx 0x%llx", (unsigned long long)iova, (unsigned long long)size);
	vdpa_iotlb_del_range(domain, iova, iova + size - 1);
	return size;
}

static bool iommu_aperture(void *ctx, void *domain, uint64_t *first, uint64_t *last)
{
	struct vtd *d = ctx;

	(void)domain;
	if (!d->cfg.has_aperture)
		return false;
	*first = d->cfg.iova_range.first;
	*last = d->cfg.iova_range.last;
	return true;
}

const struct vdpa_iommu_ops vtd_fake_iommu = {
	.domain_alloc = iommu_domain_alloc,
	.domain_free = iommu_domain_free,
	.map = iommu_map,
	.unmap = iommu_unmap,
	.aperture = iommu_aperture,
};

struct vdpa_config_ops *vtd_build_ops(const struct vtd_config *c)
{
	struct vdpa_config_ops *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->set_vq_address = op_set_vq_address;
	o->set_vq_num = op_set_vq_num;
	o->kick_vq = op_kick_vq;
	o->kick_vq_with_data = op_kick_vq_with_data;
	o->set_vq_cb = op_set_vq_cb;
	o->set_vq_ready = op_set_vq_ready;
	o->get_vq_ready = op_get_vq_ready;
	o->set_vq_state = op_set_vq_state;
	o->get_vq_state = op_get_vq_state;
	o->get_vendor_vq_stats = c->has_vendor_stats ? op_get_vendor_vq_stats : NULL;
	o->get_vq_notification = c->has_notification ? op_get_vq_notification : NULL;
	o->get_vq_irq = c->has_vq_irq ? op_get_vq_irq : NULL;
	o->get_vq_align = op_get_vq_align;
	o->get_vq_group = c->has_vq_group ? op_get_vq_group : NULL;
	o->get_vq_desc_group = c->has_desc_group ? op_get_vq_desc_group : NULL;
	o->get_device_features = op_get_device_features;
	o->get_backend_features = c->has_backend_features ? op_get_backend_features : NULL;
	o->set_driver_features = op_set_driver_features;
	o->get_driver_features = op_get_driver_features;
	o->set_config_cb = op_set_config_cb;
	o->get_vq_num_max = op_get_vq_num_max;
	o->get_vq_num_min = c->has_vq_num_min ? op_get_vq_num_min : NULL;
	o->get_device_id = op_get_device_id;
	o->get_vendor_id = op_get_vendor_id;
	o->get_status = op_get_status;
	o->set_status = op_set_status;
	o->reset = op_reset;
	o->compat_reset = c->has_compat_reset ? op_compat_reset : NULL;
	o->suspend = c->has_suspend ? op_suspend : NULL;
	o->resume = c->has_resume ? op_resume : NULL;
	o->get_config_size = op_get_config_size;
	o->get_config = op_get_config;
	o->set_config = op_set_config;
	o->get_generation = c->has_generation ? op_get_generation : NULL;
	o->get_iova_range = c->has_iova_range ? op_get_iova_range : NULL;
	o->set_group_asid = c->has_set_group_asid ? op_set_group_asid : NULL;
	if (c->map_mode == VTD_MAP_SET_MAP) {
		o->set_map = op_set_map;
	} else if (c->map_mode == VTD_MAP_DMA_MAP) {
		o->dma_map = op_dma_map;
		o->dma_unmap = op_dma_unmap;
	}
	o->reset_map = c->has_reset_map && c->map_mode != VTD_MAP_PLATFORM ? op_reset_map : NULL;
	o->free = vtd_op_free;
	return o;
}

