/* SPDX-License-Identifier: MIT */
/* vdpa_ifcvf internals shared by its files (not an interface). */
#ifndef VDPASIM_VIFC_PRIV_H
#define VDPASIM_VIFC_PRIV_H

#include "stack/vdpa_ifcvf/vdpa_ifcvf.h"

struct vifc_vring {
	uint64_t notify_addr; /* host physical doorbell */
	uint16_t notify_off;
	struct vdpa_callback cb;
	int irq; /* -EINVAL unless a per-vq vector is requested */
};

/* The vdpa device `dev add` creates (the kernel's ifcvf_adapter). */
struct vifc_adapter {
	struct vdpa_device vdpa; /* first: vdpa_alloc_device */
	struct vifc *vf;
};

/* One bound PCI function (the kernel's ifcvf_vdpa_mgmt_dev + ifcvf_hw). */
struct vifc {
	struct sim *sim;
	struct pcie_rc *rc;
	struct pcie_host_fn hf;
	struct vifc_opts opts;

	char mgmt_name[32];
	char handle[48];
	struct vdpa_mgmt_dev mdev;
	bool mdev_registered;
	struct vifc_adapter *adapter;

	/* platform IOMMU glue */
	struct vdpa_dma_dev dma;
	struct iommu_domain *domain;      /* vhost's domain while allocated */
	struct iommu_domain *prev_domain; /* what the function used before it */

	/* what probe found */
	struct vifc_cap_info common, notify, isr, device;
	uint32_t notify_off_multiplier;
	uint64_t lm_addr, lm_size;
	int msix_cap;
	uint16_t msix_table_size;
	uint64_t msix_table;
	uint32_t dev_type;
	uint64_t hw_features;  /* what the device offers */
	uint64_t dev_features; /* provisioned at dev add */
	uint64_t drv_features; /* last set_driver_features (ring-state format) */
	uint32_t config_size;
	uint16_t nr_vring;
	struct vifc_vring *vring;
	struct vdpa_callback config_cb;

	/* interrupts */
	int irq_base;
	enum vifc_irq_mode msix_vector_status;
	unsigned int num_msix_vectors;   /* granted and programmed */
	bool *vec_requested;             /* per table entry: a handler is installed */
	int config_irq, vqs_reused_irq;  /* -EINVAL when not requested */
	bool route_active;
	unsigned int route_id;

	struct vifc_stats stats;
	struct vifc_mmio_rec *log;
	size_t log_len;
};

/* vifc_hw.c: register access (logged) */
uint64_t vifc_rd(struct vifc *vf, uint64_t addr, unsigned int size);
void vifc_wr(struct vifc *vf, uint64_t addr, unsigned int size, uint64_t val);
uint32_t vifc_cfg_rd(struct vifc *vf, uint16_t off, unsigned int size);
void vifc_cfg_wr(struct vifc *vf, uint16_t off, unsigned int size, uint32_t val);
uint64_t vifc_common_rd(struct vifc *vf, unsigned int off, unsigned int size);
void vifc_common_wr(struct vifc *vf, unsigned int off, unsigned int size, uint64_t val);

/* vifc_hw.c: the kernel's ifcvf_base.c */
int vifc_init_hw(struct vifc *vf);
uint8_t vifc_get_status(struct vifc *vf);
void vifc_set_status(struct vifc *vf, uint8_t status);
int vifc_reset_hw(struct vifc *vf);
uint64_t vifc_get_hw_features(struct vifc *vf);
uint64_t vifc_get_driver_features_hw(struct vifc *vf);
void vifc_set_driver_features_hw(struct vifc *vf, uint64_t features);
uint16_t vifc_get_vq_size(struct vifc *vf, uint16_t qid);
uint16_t vifc_get_max_vq_size(struct vifc *vf);
uint16_t vifc_set_vq_vector(struct vifc *vf, uint16_t qid, uint16_t vector);
uint16_t vifc_set_config_vector(struct vifc *vf, uint16_t vector);
void vifc_read_dev_config(struct vifc *vf, unsigned int offset, void *dst, unsigned int len);
void vifc_write_dev_config(struct vifc *vf, unsigned int offset, const void *src,
			   unsigned int len);
void vifc_stop(struct vifc *vf);
int vifc_lm_get_avail(struct vifc *vf, uint16_t qid, uint16_t *avail);
int vifc_lm_set_avail(struct vifc *vf, uint16_t qid, uint16_t avail);

/* vifc_irq.c */
int vifc_request_irq(struct vifc *vf);
void vifc_free_irq(struct vifc *vf);
int vifc_irq_alloc_block(struct sim *sim, unsigned int n);

#endif
