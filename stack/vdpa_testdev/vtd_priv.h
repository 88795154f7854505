/* SPDX-License-Identifier: MIT */
/*
 * Private to stack/vdpa_testdev/: the test device object shared by
 * vdpa_testdev.c (lifetime, management device, trace, accessors) and ops.c
 * (the config ops and the fake IOMMU).
 */
#ifndef VDPASIM_VTD_PRIV_H
#define VDPASIM_VTD_PRIV_H

#include "stack/vdpa_testdev/vdpa_testdev.h"

#define TRACE_MAX 8192
#define TRACE_LINE 96
#define CFG_SIZE sizeof(struct virtio_net_config)

/* struct virtio_net_config offsets (virtio 1.3 5.1.4). */
#define NETCFG_STATUS 6
#define NETCFG_MAX_VQP 8
#define NETCFG_MTU 10

struct vtd {
	struct vdpa_device vdpa; /* first: allocated by vdpa_alloc_device */
	struct vtd_config cfg;
	struct vdpa_config_ops *ops;
	struct vtd_state *st;
	struct vtd *next; /* direct devices in st->direct */
	bool direct;
	uint64_t device_features;
	uint64_t driver_features;
	uint8_t status;
	uint32_t generation;
	unsigned int change_reads;
	uint8_t config[CFG_SIZE];
	struct vdpa_callback config_cb;
	struct vtd_vq *vqs;
	uint32_t nvqs;
	bool suspended;
	uint32_t *group_asid;
	struct vdpa_iotlb *iotlb; /* nas tables (set_map / dma_map) */
	struct vdpa_dma_dev dma;
	struct vdpa_iotlb domain_maps;
	bool domain_allocated;
	struct vtd_faults faults;
	char (*trace)[TRACE_LINE];
	size_t ntrace, trace_cap;
};

struct vtd_mgmt {
	struct vdpa_mgmt_dev mdev;
	struct vtd_config cfg;
	struct vtd_state *st;
	struct vtd_mgmt *next;
};

struct vtd_state {
	struct sim *sim;
	struct vtd_mgmt *mgmts;
	struct vtd *direct;
};

static inline struct vtd *to_vtd(struct vdpa_device *vdev)
{
	return (struct vtd *)vdev; /* vdpa is the first member */
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline bool valid_vq(const struct vtd *d, uint16_t idx)
{
	return idx < d->nvqs;
}

/* Append one line to the op trace (dropped past TRACE_MAX). */
void vtd_tr(struct vtd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The ops table for a configuration (optional ops left NULL as asked). */
struct vdpa_config_ops *vtd_build_ops(const struct vtd_config *cfg);
/* ops->free: releases the device's own allocations. */
void vtd_op_free(struct vdpa_device *vdev);
extern const struct vdpa_iommu_ops vtd_fake_iommu;

#endif
