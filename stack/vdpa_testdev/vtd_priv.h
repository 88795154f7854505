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
	bool *iommu_pt; /* per address space: no map given, addresses pass through */
	struct vtd_dp *dp;
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

/* The control queue is the last one when the device offers CTRL_VQ. */
static inline bool vtd_is_cvq(const struct vtd *d, uint16_t idx)
{
	return (d->device_features & (1ULL << VIRTIO_NET_F_CTRL_VQ)) && idx == d->nvqs - 1;
}

/* Virtqueue group: data queues 0, the control queue 1 (with two groups). */
static inline uint32_t vtd_vq_group(const struct vtd *d, uint16_t idx)
{
	return vtd_is_cvq(d, idx) && d->vdpa.ngroups > 1 ? 1 : 0;
}

/* Append one line to the op trace (dropped past TRACE_MAX). */
void vtd_tr(struct vtd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The ops table for a configuration (optional ops left NULL as asked). */
struct vdpa_config_ops *vtd_build_ops(const struct vtd_config *cfg);
/* ops->free: releases the device's own allocations. */
void vtd_op_free(struct vdpa_device *vdev);
extern const struct vdpa_iommu_ops vtd_fake_iommu;

/* ---- datapath state (datapath.c, dp_ctrl.c) ---- */
#define DP_FRAME_MAX 65535u              /* largest frame a TX chain may carry */
#define DP_BUF_CAP (DP_FRAME_MAX + 64u)  /* header + frame */
#define DP_SEGS 64u                      /* segments of a TX / control chain */
#define RXC_SEGS 8u                      /* segments of an RX chain */
#define MAC_TABLE_MAX 64u
#define CTRL_MAX 2048u                   /* readable bytes of a control command */
#define HDR_V1 12u                       /* struct virtio_net_hdr_v1 */
#define HDR_LEGACY 10u                   /* struct virtio_net_hdr */
#define HDR_NUM_BUFFERS 10u              /* offset of num_buffers */

struct vtd_rxc {
	struct vq_chain c;
	struct vq_seg seg[RXC_SEGS];
};

struct vtd_dpq {
	struct vtd_dp *dp;
	uint16_t idx;
	struct vq_dev *eng;
	struct vq_obs *obs;
	enum vq_violation violation;
	eng_event_id ev;
	bool stalled; /* TX: waiting for RX buffers (loopback) or port room */
	bool dirty;   /* used chains staged since the last flush */
	/* RX: chains fetched ahead of need, in fetch order */
	struct vtd_rxc *rxc;
	uint32_t rxc_head, rxc_n;
	/* TX, loopback: the frame the device holds while RX has no room */
	uint8_t *hold;
	uint32_t hold_off, hold_len;
};

struct vtd_dp {
	struct vtd *d;
	struct vtd_dpq *q;
	uint8_t *buf; /* TX frames (port mode) and control commands */
	uint8_t *rxbuf; /* header + frame being received */
	struct vq_seg seg[DP_SEGS];
	uint16_t pairs;
	struct vtd_rx_mode rx;
	uint8_t uc[MAC_TABLE_MAX][6], mc[MAC_TABLE_MAX][6];
	struct net_port *port;
	struct vtd_dp_stats st;
	bool needs_reset;
};

/* ---- datapath (datapath.c) ---- */
int vtd_dp_init(struct vtd *d);
void vtd_dp_free(struct vtd *d);
void vtd_dp_kick(struct vtd *d, uint16_t idx);
/* Device reset: engines, events, held frames and NEEDS_RESET cleared. */
void vtd_dp_reset(struct vtd *d);
/* The driver wrote the status (NEEDS_RESET is kept by the device). */
uint8_t vtd_dp_status(struct vtd *d, uint8_t old, uint8_t status);
/* Queue configuration changed (ready, state, address, size): the engine is
 * rebuilt from the new settings when next needed. */
void vtd_dp_queue_changed(struct vtd *d, uint16_t idx);
/* Write the engine's position into d->vqs[idx].state. */
void vtd_dp_sync_state(struct vtd *d, uint16_t idx);
void vtd_dp_suspend(struct vtd *d);
void vtd_dp_resume(struct vtd *d);
/* Shared with dp_ctrl.c: queue engine (0, -ENODEV not set up, -EIO bad),
 * NEEDS_RESET, used staging, flush + interrupt, scheduling. */
int vtd_dpq_engine(struct vtd_dpq *q);
void vtd_dpq_bad(struct vtd_dpq *q);
int vtd_dpq_push(struct vtd_dpq *q, const struct vq_chain *c, uint32_t len);
void vtd_dpq_flush(struct vtd_dpq *q);
void vtd_dpq_kick(struct vtd_dpq *q, sim_time_t delay);
bool vtd_drv_feat(const struct vtd *d, unsigned int bit);
uint16_t vtd_dev_pairs(const struct vtd *d);

/* ---- control queue and receive filter (dp_ctrl.c) ---- */
void vtd_dp_ctrl(struct vtd_dpq *q);
bool vtd_dp_filter(const struct vtd_dp *dp, const uint8_t *frame, uint32_t len);
void vtd_dp_rx_mode_default(struct vtd_dp *dp);

#endif
