/* SPDX-License-Identifier: MIT */
/*
 * Private to stack/vdpa_mbx: the function (struct vmbx) and the vdpa device
 * (struct vmbx_net) shared by the driver's source files.
 */
#ifndef VDPASIM_VMBX_PRIV_H
#define VDPASIM_VMBX_PRIV_H

#include "stack/vdpa_mbx/vdpa_mbx.h"

#include "sim/nic_mbx/nic_mbx.h"
#include "sim/virtio_ring/virtio_ring.h"

#define VMBX_CFG_SIZE sizeof(struct virtio_net_config)
#define VMBX_NETCFG_STATUS 6
#define VMBX_NETCFG_MAX_VQP 8
#define VMBX_NETCFG_MTU 10
#define VMBX_CVQ_SEGS 8
#define VMBX_CVQ_CMD_MAX 1024 /* largest control command read */

/* Features this driver emulates on top of the device's datapath ones. */
#define VMBX_EMULATED_FEATURES                                                             \
	((1ULL << VIRTIO_NET_F_CTRL_VQ) | (1ULL << VIRTIO_NET_F_CTRL_RX) |                 \
	 (1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR) | (1ULL << VIRTIO_NET_F_MQ) |                \
	 (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |                      \
	 (1ULL << VIRTIO_NET_F_MTU) | (1ULL << VIRTIO_NET_F_GUEST_ANNOUNCE))

struct vmbx_vq {
	uint64_t desc, driver, device;
	uint32_t num;
	bool ready;
	struct vq_state st;  /* saved position (set_vq_state, suspend) */
	bool has_obj;
	uint32_t obj;
	uint8_t fw_state;    /* MBX_VQS_* as last commanded or seen */
	uint32_t modified;   /* MBX_MOD_F_* to apply at the next RDY */
};

struct vmbx_cvq {
	uint64_t desc, driver, device;
	uint32_t num;
	bool ready, ready_before_suspend;
	struct vq_state st;
	struct vq_dev *vq;
	eng_event_id ev;
	uint64_t received, completed;
	uint8_t buf[VMBX_CVQ_CMD_MAX];
	struct vq_seg seg[VMBX_CVQ_SEGS];
};

/* What the driver last programmed into the device's steering. */
struct vmbx_steer {
	uint8_t mac[6];
	bool promisc, allmulti;
	uint16_t pairs;
	uint16_t nuc, nmc;
	uint8_t uc[MBX_MAX_MACS][6];
	uint8_t mc[MBX_MAX_MACS][6];
};

struct vmbx_net {
	struct vdpa_device vdpa; /* first: allocated by vdpa_alloc_device */
	struct vmbx *vf;
	uint64_t device_features;
	uint64_t actual_features;
	uint8_t status;
	bool suspended;
	bool setup;
	uint32_t generation;
	uint16_t max_vqp;
	uint16_t mtu;
	uint8_t mac[6];
	uint16_t announce; /* VIRTIO_NET_S_ANNOUNCE while set */
	struct vdpa_callback config_cb;
	struct vdpa_callback *cbs; /* per queue index, as installed (nvqs) */
	uint32_t nvqs;
	struct vmbx_vq *vqs; /* 2 * max_vqp data queues */
	uint32_t ndata;
	struct vmbx_cvq cvq;
	struct vmbx_steer steer;
	uint32_t group2asid[VMBX_NGROUPS];
	struct vdpa_iotlb iotlb[VMBX_NAS];
	bool mapped[VMBX_NAS];        /* set_map since reset_map: else passthrough */
	struct vdpa_iotlb programmed; /* what the paging domain holds */
	struct iommu_domain *domain;  /* paging: the data group's mappings */
	struct iommu_domain *ident;   /* identity: the initial passthrough mapping */
};

struct vmbx {
	struct sim *sim;
	struct pcie_rc *rc;
	struct pcie_host_fn hf;
	struct vmbx_opts o;
	uint64_t bar0, bar2;
	int msix_cap;
	unsigned msix_size;
	uint64_t msix_table;
	uint32_t irq_base;
	unsigned route;
	bool route_added, msix_on;
	bool per_vq_vectors;
	bool dead; /* the sim is going away: no more hardware access */
	struct vmbx_caps caps;
	struct vdpa_mgmt_dev mdev;
	char mdev_name[32];
	struct vmbx_net *ndev;
	struct vmbx *next;

	/* mailbox */
	bool cmd_busy;
	bool cmd_seen;     /* the completion was signalled (irq) or polled */
	uint32_t cmd_expect; /* CMD_DONE value that completes the running command */
	uint32_t token;
	eng_event_id poll_ev;

	struct vmbx_stats stats;
};

static inline struct vmbx_net *to_ndev(struct vdpa_device *vdev)
{
	return (struct vmbx_net *)vdev; /* vdpa is the first member */
}

/* vmbx_main.c */
uint32_t vmbx_rd32(struct vmbx *vf, uint64_t off);
void vmbx_wr32(struct vmbx *vf, uint64_t off, uint32_t v);
uint16_t vmbx_vq_vector(const struct vmbx *vf, uint16_t idx);

/* vmbx_mgmt.c */
int vmbx_mgmt_register(struct vmbx *vf);
void vmbx_mgmt_unregister(struct vmbx *vf);
int vmbx_program_domain(struct vmbx_net *n);
void vmbx_op_free(struct vdpa_device *vdev);
void vmbx_event_irq(struct vmbx *vf);
void vmbx_vq_irq(struct vmbx *vf, unsigned vector);

/* vmbx_ops.c */
const struct vdpa_config_ops *vmbx_config_ops(bool resume);

/* vmbx_vq.c */
bool vmbx_has_f(const struct vmbx_net *n, unsigned bit);
bool vmbx_packed(const struct vmbx_net *n);
bool vmbx_resumable(const struct vmbx_net *n);
bool vmbx_idx_valid(const struct vmbx_net *n, uint16_t idx);
bool vmbx_is_ctrl_idx(const struct vmbx_net *n, uint16_t idx);
/* The data queue behind a valid index that is not the control queue, or NULL. */
struct vmbx_vq *vmbx_data_vq(struct vmbx_net *n, uint16_t idx);
int vmbx_query_vq(struct vmbx_net *n, struct vmbx_vq *vq, struct vq_state *st);
int vmbx_suspend_vq(struct vmbx_net *n, struct vmbx_vq *vq);
int vmbx_resume_vq(struct vmbx_net *n, struct vmbx_vq *vq);
int vmbx_setup_vq(struct vmbx_net *n, uint16_t idx);
int vmbx_setup_driver(struct vmbx_net *n);
int vmbx_set_steering(struct vmbx_net *n, const struct vmbx_steer *s);
void vmbx_teardown(struct vmbx_net *n);

/* vmbx_cvq.c */
void vmbx_cvq_kick(struct vmbx_net *n);
int vmbx_cvq_start(struct vmbx_net *n);
void vmbx_cvq_stop(struct vmbx_net *n);
void vmbx_cvq_get_state(const struct vmbx_net *n, struct vq_state *st);

#endif
