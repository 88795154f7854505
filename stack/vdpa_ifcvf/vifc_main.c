// SPDX-License-Identifier: MIT
/*
 * vdpa_ifcvf: the vdpa config ops, the platform IOMMU glue, the management
 * device and PCI probe/remove (the part the kernel keeps in ifcvf_main.c).
 */
#include "stack/vdpa_ifcvf/vifc_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIT64(n) (1ULL << (n))

static struct vifc *vdpa_to_vf(struct vdpa_device *vdev)
{
	return ((struct vifc_adapter *)vdev)->vf;
}

/* ---- vdpa config ops ----------------------------------------------------------------------- */

static uint64_t vifc_vdpa_get_device_features(struct vdpa_device *vdev)
{
	struct vifc *vf = vdpa_to_vf(vdev);

	return vf->dev_type == VIRTIO_ID_NET ? vf->dev_features : 0;
}

/* ifcvf_verify_min_features: vDPA needs the device behind the platform IOMMU. */
static int vifc_vdpa_set_driver_features(struct vdpa_device *vdev, uint64_t features)
{
	struct vifc *vf = vdpa_to_vf(vdev);

	if (features && !(features & BIT64(VIRTIO_F_ACCESS_PLATFORM)))
		return -EINVAL;
	vifc_set_driver_features_hw(vf, features);
	vf->drv_features = features;
	return 0;
}

static uint64_t vifc_vdpa_get_driver_features(struct vdpa_device *vdev)
{
	return vifc_get_driver_features_hw(vdpa_to_vf(vdev));
}

static uint8_t vifc_vdpa_get_status(struct vdpa_device *vdev)
{
	return vifc_get_status(vdpa_to_vf(vdev));
}

static void vifc_vdpa_set_status(struct vdpa_device *vdev, uint8_t status)
{
	struct vifc *vf = vdpa_to_vf(vdev);
	uint8_t old = vifc_get_status(vf);

	if (old == status)
		return;
	/* Interrupts before DRIVER_OK, so no notification is lost; without
	 * them the status stays as it was. */
	if ((status & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
		if (vifc_request_irq(vf)) {
			eng_trace(vf->sim, "vdpa_ifcvf", "request_irq_failed", "fn=%s",
				  vf->mgmt_name);
			return;
		}
	}
	vifc_set_status(vf, status);
}

static int vifc_vdpa_reset(struct vdpa_device *vdev)
{
	struct vifc *vf = vdpa_to_vf(vdev);
	uint8_t status = vifc_get_status(vf);

	vifc_stop(vf);
	if (status & VIRTIO_CONFIG_S_DRIVER_OK)
		vifc_free_irq(vf);
	vf->drv_features = 0;
	return vifc_reset_hw(vf);
}

static uint16_t vifc_vdpa_get_vq_num_max(struct vdpa_device *vdev)
{
	return vifc_get_max_vq_size(vdpa_to_vf(vdev));
}

static uint16_t vifc_vdpa_get_vq_num_min(struct vdpa_device *vdev)
{
	(void)vdev;
	return VIFC_MIN_VQ_SIZE;
}

static bool vf_packed(const struct vifc *vf)
{
	return vf->drv_features & BIT64(VIRTIO_F_RING_PACKED);
}

/*
 * Split: the avail index in the low half of the queue's LM word (the kernel's
 * 16-bit access).  Packed (beyond the kernel, which handles split only): both
 * halves, each idx | wrap_counter << 15, as vhost encodes VRING_BASE.
 */
static int vifc_vdpa_get_vq_state(struct vdpa_device *vdev, uint16_t qid,
				  struct vdpa_vq_state *state)
{
	struct vifc *vf = vdpa_to_vf(vdev);
	uint16_t avail, used;
	int err;

	if (!vf_packed(vf))
		return vifc_lm_get_avail(vf, qid, &state->split.avail_index);
	err = vifc_lm_ring_state(vf, qid, &avail, &used);
	if (err)
		return err;
	state->packed.last_avail_idx = avail & 0x7fff;
	state->packed.last_avail_counter = avail >> 15;
	state->packed.last_used_idx = used & 0x7fff;
	state->packed.last_used_counter = used >> 15;
	return 0;
}

static int vifc_vdpa_set_vq_state(struct vdpa_device *vdev, uint16_t qid,
				  const struct vdpa_vq_state *state)
{
	struct vifc *vf = vdpa_to_vf(vdev);
	const struct vdpa_vq_state_packed *p = &state->packed;

	if (!vf_packed(vf))
		return vifc_lm_set_avail(vf, qid, state->split.avail_index);
	return vifc_lm_set_ring_state(vf, qid,
				      (uint16_t)((p->last_avail_idx & 0x7fff) |
						 (p->last_avail_counter ? 0x8000 : 0)),
				      (uint16_t)((p->last_used_idx & 0x7fff) |
						 (p->last_used_counter ? 0x8000 : 0)));
}

static void vifc_vdpa_set_vq_cb(struct vdpa_device *vdev, uint16_t qid, struct vdpa_callback *cb)
{
	struct vifc *vf = vdpa_to_vf(vdev);

	if (qid < vf->nr_vring)
		vf->vring[qid].cb = *cb;
}

static void vifc_vdpa_set_vq_ready(struct vdpa_device *vdev, uint16_t qid, bool ready)
{
	struct vifc *vf = vdpa_to_vf(vdev);

	/* virtio 1.3 4.1.4.3.2 forbids writing 0 to queue_enable; the kernel
	 * writes it, strict_queue_enable does not. */
	if (!ready && vf->opts.strict_queue_enable)
		return;
	vifc_common_wr(vf, VIRTIO_PCI_COMMON_Q_SELECT, 2, qid);
	vifc_common_wr(vf, VIRTIO_PCI_COMMON_Q_ENABLE, 2, ready);
}

static bool vifc_vdpa_get_vq_ready(struct vdpa_device *vdev, uint16_t qid)
{
	struct vifc *vf = vdpa_to_vf(vdev);

	vifc_common_wr(vf, VIRTIO_PCI_COMMON_Q_SELECT, 2, qid);
	return vifc_common_rd(vf, VIRTIO_PCI_COMMON_Q_ENABLE, 2) != 0;
}

static void vifc_vdpa_set_vq_num(struct vdpa_device *vdev, uint16_t qid, uint32_t num)
{
	struct vifc *vf = vdpa_to_vf(vdev);

	vifc_common_wr(vf, VIRTIO_PCI_COMMON_Q_SELECT, 2, qid);
	vifc_common_wr(vf, VIRTIO_PCI_COMMON_Q_SIZE, 2, (uint16_t)num);
}

static void write64_twopart(struct vifc *vf, unsigned int lo, uint64_t v)
{
	vifc_common_wr(vf, lo, 4, (uint32_t)v);
	vifc_common_wr(vf, lo + 4, 4, v >> 32);
}

static int vifc_vdpa_set_vq_address(struct vdpa_device *vdev, uint16_t qid, uint64_t desc_area,
				    uint64_t driver_area, uint64_t device_area)
{
	struct vifc *vf = vdpa_to_vf(vdev);

	vifc_common_wr(vf, VIRTIO_PCI_COMMON_Q_SELECT, 2, qid);
	write64_twopart(vf, VIRTIO_PCI_COMMON_Q_DESCLO, desc_area);
	write64_twopart(vf, VIRTIO_PCI_COMMON_Q_AVAILLO, driver_area);
	write64_twopart(vf, VIRTIO_PCI_COMMON_Q_USEDLO, device_area);
	return 0;
}

/* virtio 1.3 4.1.5.2: the queue index, 16 bits, at the queue's doorbell. */
static void vifc_vdpa_kick_vq(struct vdpa_device *vdev, uint16_t qid)
{
	struct vifc *vf = vdpa_to_vf(vdev);

	if (qid < vf->nr_vring)
		vifc_wr(vf, vf->vring[qid].notify_addr, 2, qid);
}

static uint32_t vifc_vdpa_get_generation(struct vdpa_device *vdev)
{
	return (uint8_t)vifc_common_rd(vdpa_to_vf(vdev), VIRTIO_PCI_COMMON_CFGGENERATION, 1);
}

static uint32_t vifc_vdpa_get_device_id(struct vdpa_device *vdev)
{
	return vdpa_to_vf(vdev)->dev_type;
}

static uint32_t vifc_vdpa_get_vendor_id(struct vdpa_device *vdev)
{
	return vdpa_to_vf(vdev)->hf.subsys_vendor_id;
}

static uint32_t vifc_vdpa_get_vq_align(struct vdpa_device *vdev)
{
	(void)vdev;
	return VIFC_QUEUE_ALIGNMENT;
}

static size_t vifc_vdpa_get_config_size(struct vdpa_device *vdev)
{
	return vdpa_to_vf(vdev)->config_size;
}

static uint32_t vifc_vdpa_get_vq_group(struct vdpa_device *vdev, uint16_t idx)
{
	(void)vdev;
	(void)idx;
	return 0;
}

static void vifc_vdpa_get_config(struct vdpa_device *vdev, unsigned int offset, void *buf,
				 unsigned int len)
{
	vifc_read_dev_config(vdpa_to_vf(vdev), offset, buf, len);
}

static void vifc_vdpa_set_config(struct vdpa_device *vdev, unsigned int offset, const void *buf,
				 unsigned int len)
{
	vifc_write_dev_config(vdpa_to_vf(vdev), offset, buf, len);
}

static void vifc_vdpa_set_config_cb(struct vdpa_device *vdev, struct vdpa_callback *cb)
{
	struct vifc *vf = vdpa_to_vf(vdev);

	vf->config_cb.callback = cb->callback;
	vf->config_cb.private = cb->private;
}

static int vifc_vdpa_get_vq_irq(struct vdpa_device *vdev, uint16_t qid)
{
	struct vifc *vf = vdpa_to_vf(vdev);

	if (qid >= vf->nr_vring || vf->vqs_reused_irq >= 0)
		return -EINVAL;
	return vf->vring[qid].irq;
}

static struct vdpa_notification_area vifc_get_vq_notification(struct vdpa_device *vdev,
							      uint16_t idx)
{
	struct vifc *vf = vdpa_to_vf(vdev);
	struct vdpa_notification_area area = { 0, 0 };

	if (idx >= vf->nr_vring)
		return area;
	area.addr = vf->vring[idx].notify_addr;
	area.size = vf->notify_off_multiplier ? vf->notify_off_multiplier : 4096;
	return area;
}

static void vifc_vdpa_free(struct vdpa_device *vdev)
{
	struct vifc *vf = vdpa_to_vf(vdev);

	if (vf && vf->adapter == (struct vifc_adapter *)vdev)
		vf->adapter = NULL;
}

/* No set_map / dma_map: IFCVF has no on-chip IOMMU.  No suspend either. */
static const struct vdpa_config_ops vifc_vdpa_ops = {
	.get_device_features = vifc_vdpa_get_device_features,
	.set_driver_features = vifc_vdpa_set_driver_features,
	.get_driver_features = vifc_vdpa_get_driver_features,
	.get_status = vifc_vdpa_get_status,
	.set_status = vifc_vdpa_set_status,
	.reset = vifc_vdpa_reset,
	.get_vq_num_max = vifc_vdpa_get_vq_num_max,
	.get_vq_num_min = vifc_vdpa_get_vq_num_min,
	.get_vq_state = vifc_vdpa_get_vq_state,
	.set_vq_state = vifc_vdpa_set_vq_state,
	.set_vq_cb = vifc_vdpa_set_vq_cb,
	.set_vq_ready = vifc_vdpa_set_vq_ready,
	.get_vq_ready = vifc_vdpa_get_vq_ready,
	.set_vq_num = vifc_vdpa_set_vq_num,
	.set_vq_address = vifc_vdpa_set_vq_address,
	.get_vq_irq = vifc_vdpa_get_vq_irq,
	.kick_vq = vifc_vdpa_kick_vq,
	.get_generation = vifc_vdpa_get_generation,
	.get_device_id = vifc_vdpa_get_device_id,
	.get_vendor_id = vifc_vdpa_get_vendor_id,
	.get_vq_align = vifc_vdpa_get_vq_align,
	.get_vq_group = vifc_vdpa_get_vq_group,
	.get_config_size = vifc_vdpa_get_config_size,
	.get_config = vifc_vdpa_get_config,
	.set_config = vifc_vdpa_set_config,
	.set_config_cb = vifc_vdpa_set_config_cb,
	.get_vq_notification = vifc_get_vq_notification,
	.free = vifc_vdpa_free,
};

/* ---- platform IOMMU glue (what the DMA API gives vhost_vdpa on Linux) ------------------------ */

/* A fresh paging domain replaces whatever the function was attached to. */
static int vifc_domain_alloc(void *ctx, void **domain)
{
	struct vifc *vf = ctx;
	uint16_t rid = vf->hf.bdf;
	struct iommu_domain *d;
	int err;

	if (vf->domain)
		return -EBUSY;
	d = iommu_domain_new(vf->opts.iommu, IOMMU_DOMAIN_PAGING);
	if (!d)
		return -ENOMEM;
	vf->prev_domain = iommu_domain_of(vf->opts.iommu, rid, 0);
	err = iommu_attach(vf->opts.iommu, rid, 0, d);
	if (err) {
		iommu_domain_free(d);
		return err;
	}
	vf->domain = d;
	*domain = d;
	return 0;
}

static void vifc_domain_free(void *ctx, void *domain)
{
	struct vifc *vf = ctx;

	if (!domain || domain != vf->domain)
		return;
	if (vf->prev_domain)
		iommu_attach(vf->opts.iommu, vf->hf.bdf, 0, vf->prev_domain);
	else
		iommu_detach(vf->opts.iommu, vf->hf.bdf, 0);
	iommu_domain_free(vf->domain);
	vf->domain = NULL;
	vf->prev_domain = NULL;
}

static int vifc_iommu_map(void *ctx, void *domain, uint64_t iova, uint64_t pa, uint64_t size,
			  uint32_t perm)
{
	unsigned int prot = 0;

	(void)ctx;
	if (perm & VHOST_ACCESS_RO)
		prot |= IOMMU_READ;
	if (perm & VHOST_ACCESS_WO)
		prot |= IOMMU_WRITE;
	return iommu_map(domain, iova, pa, size, prot);
}

static uint64_t vifc_iommu_unmap(void *ctx, void *domain, uint64_t iova, uint64_t size)
{
	(void)ctx;
	return iommu_unmap(domain, iova, size) ? 0 : size;
}

/* The domain's forced aperture: the IOMMU's 48-bit IOVA space. */
static bool vifc_iommu_aperture(void *ctx, void *domain, uint64_t *first, uint64_t *last)
{
	(void)ctx;
	(void)domain;
	*first = 0;
	*last = (1ULL << IOMMU_IOVA_BITS) - 1;
	return true;
}

static const struct vdpa_iommu_ops vifc_iommu_ops = {
	.domain_alloc = vifc_domain_alloc,
	.domain_free = vifc_domain_free,
	.map = vifc_iommu_map,
	.unmap = vifc_iommu_unmap,
	.aperture = vifc_iommu_aperture,
};

/* ---- management device ----------------------------------------------------------------------- */

static const struct vdpa_virtio_device_id id_table_net[] = {
	{ VIRTIO_ID_NET, 0xffffffff },
	{ 0, 0 },
};

static int vifc_dev_add(struct vdpa_mgmt_dev *mdev, const char *name,
			const struct vdpa_dev_set_config *config)
{
	struct vifc *vf = mdev->priv;
	struct vifc_adapter *adapter;
	uint64_t features = vf->hw_features;
	int err;

	if (vf->adapter)
		return -EBUSY; /* one vdpa device per function */
	if (config->mask & BIT64(VDPA_ATTR_DEV_FEATURES)) {
		if (config->device_features & ~features)
			return -EINVAL;
		features &= config->device_features;
	}
	adapter = vdpa_alloc_device(struct vifc_adapter, vdpa, mdev->sim, &vifc_vdpa_ops, 1, 1,
				    name, false, &err);
	if (!adapter)
		return err;
	adapter->vf = vf;
	adapter->vdpa.dma_dev = &vf->dma;
	adapter->vdpa.mdev = mdev;
	vf->adapter = adapter;
	vf->dev_features = features;
	err = _vdpa_register_device(&adapter->vdpa, vf->nr_vring);
	if (err) {
		vdpa_put_device(&adapter->vdpa);
		return err;
	}
	eng_trace(vf->sim, "vdpa_ifcvf", "dev_add", "fn=%s name=%s features=0x%llx",
		  vf->mgmt_name, adapter->vdpa.name, (unsigned long long)features);
	return 0;
}

static void vifc_dev_del(struct vdpa_mgmt_dev *mdev, struct vdpa_device *dev)
{
	struct vifc *vf = mdev->priv;

	_vdpa_unregister_device(dev);
	vf->adapter = NULL;
}

static const struct vdpa_mgmtdev_ops vifc_mgmt_ops = {
	.dev_add = vifc_dev_add,
	.dev_del = vifc_dev_del,
};

/* ---- probe / remove -------------------------------------------------------------------------- */

void vifc_opts_default(struct vifc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->force_mode = VIFC_IRQ_AUTO;
	o->msi_addr = VIFC_MSI_ADDR_DEFAULT;
	o->reset_poll_max = VIFC_RESET_POLL_DEFAULT;
}

/* The pci_device_id table: N3000 and the C5000X-PL net function. */
static bool ids_match(const struct pcie_host_fn *hf)
{
	if (hf->vendor_id != VIFC_PCI_VENDOR || hf->device_id != VIFC_PCI_DEVICE ||
	    hf->subsys_vendor_id != VIFC_PCI_SUBSYS_VENDOR)
		return false;
	return hf->subsys_id == VIFC_PCI_SUBSYS_N3000 || hf->subsys_id == VIRTIO_ID_NET;
}

/* Modern virtio PCI ids: device id 0x1040 + virtio device type. */
static uint32_t dev_type(const struct pcie_host_fn *hf)
{
	return hf->device_id < 0x1040 ? hf->subsys_id : (uint32_t)hf->device_id - 0x1040;
}

static void vifc_free(struct vifc *vf)
{
	free(vf->vring);
	free(vf->vec_requested);
	free(vf->log);
	free(vf);
}

int vifc_probe(struct sim *sim, struct pcie_rc *rc, const struct pcie_host_fn *hf,
	       const struct vifc_opts *opts, struct vifc **out)
{
	struct vifc *vf;
	int err;

	if (!sim || !rc || !hf)
		return -EINVAL;
	if (!ids_match(hf) || dev_type(hf) != VIRTIO_ID_NET)
		return -ENODEV;
	/* The bus first, so that it outlives what registers with it. */
	if (!vdpa_bus_get(sim))
		return -ENOMEM;
	vf = calloc(1, sizeof(*vf));
	if (!vf)
		return -ENOMEM;
	vf->sim = sim;
	vf->rc = rc;
	vf->hf = *hf;
	vf->hf.rc = rc;
	if (opts)
		vf->opts = *opts;
	else
		vifc_opts_default(&vf->opts);
	vf->msix_cap = -ENOENT;
	vf->config_irq = vf->vqs_reused_irq = -EINVAL;
	if (vf->opts.mmio_log_cap) {
		vf->log = calloc(vf->opts.mmio_log_cap, sizeof(*vf->log));
		if (!vf->log) {
			err = -ENOMEM;
			goto err;
		}
	}
	/* pci_set_master: enumeration enabled decoding; make sure of mastering. */
	vifc_cfg_wr(vf, PCI_COMMAND, 2,
		    vifc_cfg_rd(vf, PCI_COMMAND, 2) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	vf->dev_type = dev_type(hf);
	err = vifc_init_hw(vf);
	if (err)
		goto err;
	vf->vec_requested = calloc(vf->msix_table_size ? vf->msix_table_size : 1,
				   sizeof(*vf->vec_requested));
	if (!vf->vec_requested) {
		err = -ENOMEM;
		goto err;
	}
	vf->irq_base = vifc_irq_alloc_block(sim, vf->msix_table_size);
	if (vf->irq_base < 0) {
		err = vf->irq_base;
		goto err;
	}
	vf->hw_features = vifc_get_hw_features(vf);
	vf->dev_features = vf->hw_features;
	vf->config_size = vf->device.length < sizeof(struct virtio_net_config)
				  ? vf->device.length
				  : (uint32_t)sizeof(struct virtio_net_config);

	vf->dma.iommu = vf->opts.iommu ? &vifc_iommu_ops : NULL;
	vf->dma.ctx = vf;
	vf->dma.coherent = vf->opts.iommu != NULL;

	snprintf(vf->mgmt_name, sizeof(vf->mgmt_name), "0000:%02x:%02x.%x", hf->bdf >> 8,
		 (hf->bdf >> 3) & 0x1f, hf->bdf & 7);
	snprintf(vf->handle, sizeof(vf->handle), "pci/%s", vf->mgmt_name);
	vf->mdev.bus_name = "pci";
	vf->mdev.dev_name = vf->mgmt_name;
	vf->mdev.ops = &vifc_mgmt_ops;
	vf->mdev.id_table = id_table_net;
	vf->mdev.max_supported_vqs = vf->nr_vring;
	vf->mdev.supported_features = vf->hw_features;
	vf->mdev.config_attr_mask = BIT64(VDPA_ATTR_DEV_FEATURES);
	vf->mdev.priv = vf;
	err = vdpa_mgmtdev_register(sim, &vf->mdev);
	if (err)
		goto err;
	vf->mdev_registered = true;
	eng_trace(sim, "vdpa_ifcvf", "probe", "fn=%s nvqs=%u features=0x%llx msix=%u", vf->mgmt_name,
		  vf->nr_vring, (unsigned long long)vf->hw_features, vf->msix_table_size);
	if (out)
		*out = vf;
	return 0;
err:
	vifc_free(vf);
	return err;
}

void vifc_remove(struct vifc *vf)
{
	if (!vf)
		return;
	if (vf->mdev_registered)
		vdpa_mgmtdev_unregister(&vf->mdev);
	if (vf->num_msix_vectors || vf->route_active)
		vifc_free_irq(vf);
	if (vf->domain)
		vifc_domain_free(vf, vf->domain);
	/* pci_disable_device on unbind: the function may no longer master DMA. */
	vifc_cfg_wr(vf, PCI_COMMAND, 2,
		    vifc_cfg_rd(vf, PCI_COMMAND, 2) & (uint16_t)~PCI_COMMAND_MASTER);
	vifc_free(vf);
}

/* ---- accessors -- */

const char *vifc_mgmtdev_handle(const struct vifc *vf)
{
	return vf ? vf->handle : NULL;
}

struct vdpa_mgmt_dev *vifc_mgmtdev(struct vifc *vf)
{
	return vf ? &vf->mdev : NULL;
}

struct vdpa_device *vifc_vdpa(struct vifc *vf)
{
	return vf && vf->adapter ? &vf->adapter->vdpa : NULL;
}

struct vifc *vifc_from_vdpa(struct vdpa_device *vdev)
{
	if (!vdev || vdev->config != &vifc_vdpa_ops)
		return NULL;
	return vdpa_to_vf(vdev);
}

void vifc_hw_info(const struct vifc *vf, struct vifc_hw_info *o)
{
	memset(o, 0, sizeof(*o));
	o->common = vf->common;
	o->notify = vf->notify;
	o->isr = vf->isr;
	o->device = vf->device;
	o->notify_off_multiplier = vf->notify_off_multiplier;
	o->lm_addr = vf->lm_addr;
	o->lm_size = vf->lm_size;
	o->msix_cap = vf->msix_cap;
	o->msix_table_size = vf->msix_table_size;
	o->msix_table_addr = vf->msix_table;
	o->nr_vring = vf->nr_vring;
	o->hw_features = vf->hw_features;
	o->dev_type = vf->dev_type;
	o->config_size = vf->config_size;
	o->subsys_vendor = vf->hf.subsys_vendor_id;
	o->bdf = vf->hf.bdf;
	o->irq_base = vf->irq_base;
}

uint64_t vifc_vq_notify_addr(const struct vifc *vf, uint16_t qid)
{
	return vf && qid < vf->nr_vring ? vf->vring[qid].notify_addr : 0;
}

enum vifc_irq_mode vifc_irq_mode(const struct vifc *vf)
{
	return vf->msix_vector_status;
}

unsigned int vifc_irq_vectors(const struct vifc *vf)
{
	return vf->num_msix_vectors;
}

int vifc_vector_irq(const struct vifc *vf, unsigned int v)
{
	return v < vf->msix_table_size ? vf->irq_base + (int)v : -EINVAL;
}

void vifc_get_stats(const struct vifc *vf, struct vifc_stats *out)
{
	*out = vf->stats;
}
