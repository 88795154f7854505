/* SPDX-License-Identifier: MIT */
/*
 * Private to stack/virtio_net/: the driver instance shared by virtio_net.c
 * (probe, remove, config, control queue) and datapath.c (TX, RX, NAPI).
 */
#ifndef VDPASIM_VNET_PRIV_H
#define VDPASIM_VNET_PRIV_H

#include "stack/virtio_net/virtio_net.h"

#define VNET_FRAME_MAX 65535u
#define VNET_CTRL_QUEUE_MAX 64u
#define VNET_CTRL_DATA_MAX 1024u
#define VNET_MAC_TABLE_MAX 64u
#define VNET_GOOD_PACKET_LEN 1518u /* ETH_DATA_LEN + ETH_HLEN + VLAN_HLEN */
/* the control buffer: class + command, data, then the ack byte */
#define VNET_CTRL_DATA_OFF 64u
#define VNET_CTRL_STATUS_OFF (VNET_CTRL_DATA_OFF + VNET_CTRL_DATA_MAX)
#define VNET_CTRL_DMA_SIZE (VNET_CTRL_STATUS_OFF + 64u)

/* struct virtio_net_config offsets (virtio 1.3 5.1.4) from the UAPI layout */
#define VNET_CFG_MAC offsetof(struct virtio_net_config, mac)
#define VNET_CFG_STATUS offsetof(struct virtio_net_config, status)
#define VNET_CFG_MAX_VQP offsetof(struct virtio_net_config, max_virtqueue_pairs)
#define VNET_CFG_MTU offsetof(struct virtio_net_config, mtu)

struct vnet_rxq_frame {
	uint8_t *data;
	uint32_t len;
};

struct vnet_rq {
	struct vnet *n;
	uint16_t q;
	struct virtqueue *vq;
	uint64_t dma;          /* nbufs buffers of buf_size bytes */
	uint32_t nbufs, buf_size;
	uint32_t *free;        /* buffer indices not posted */
	uint32_t nfree;
	eng_event_id napi_ev;
	bool napi_scheduled;
	sim_time_t busy_until;
	/* receive queue for vnet_recv */
	struct vnet_rxq_frame *rxq;
	uint32_t rxq_head, rxq_n, rxq_cap;
	struct vnet_queue_stats st; /* rx_* and napi fields */
};

struct vnet_sq {
	struct vnet *n;
	uint16_t q;
	struct virtqueue *vq;
	uint64_t dma;          /* nslots slots of slot_size bytes */
	uint32_t nslots, slot_size;
	uint32_t *free;
	uint32_t nfree;
	bool stopped;
	bool kick_pending;     /* vnet_send_more deferred a kick */
	eng_event_id wake_ev;
	struct vnet_queue_stats st; /* tx_* fields */
};

struct vnet_ctrl_cmd {
	uint8_t cls, cmd;
	uint32_t len;
	uint8_t data[VNET_CTRL_DATA_MAX];
};

struct vnet {
	struct sim *sim;
	struct virtio_device *vdev;
	struct vnet_state *st;
	struct vnet_params p;
	char bus_name[64];
	const struct vnet_ops *ops;
	void *ops_ctx;
	bool ready;            /* queues live (not frozen / removed) */
	bool link_up;
	uint8_t status;        /* last STATUS config value */
	uint8_t mac[VNET_ETH_ALEN];
	uint16_t mtu;
	uint32_t hdr_len;
	bool mergeable;
	uint16_t max_pairs, curr_pairs;
	struct vnet_rq *rq;    /* max_pairs */
	struct vnet_sq *sq;
	struct virtqueue *cvq;
	uint8_t *rxbuf;        /* RX reassembly (handed to ops.rx) */
	uint8_t *txbuf;        /* TX header + frame composition */
	/* control queue */
	uint64_t ctrl_dma;
	struct vnet_ctrl_cmd *ctrlq; /* FIFO, VNET_CTRL_QUEUE_MAX */
	uint32_t ctrl_head, ctrl_n;
	bool ctrl_busy;
	sim_time_t ctrl_started;
	eng_event_id ctrl_ev;
	eng_event_id work_ev;
	eng_event_id reset_ev;
	struct vnet_stats stats;
	struct vnet *next;
};

struct vnet_inst_params {
	char bus_name[64];
	struct vnet_params p;
	struct vnet_inst_params *next;
};

struct vnet_state {
	struct sim *sim;
	struct virtio_driver drv;
	bool registered;
	struct vnet_params defaults;
	struct vnet_inst_params *inst;
	struct vnet *devs;
	void (*probe_hook)(void *ctx, struct vnet *n);
	void *probe_hook_ctx;
};

/* datapath.c */
int vnet_dp_init(struct vnet *n);       /* per-pair state and host buffers (probe) */
int vnet_dp_setup(struct vnet *n);      /* DMA buffers sized to the rings (after find_vqs) */
void vnet_dp_release(struct vnet *n);   /* everything of the two above (remove) */
void vnet_dp_open(struct vnet *n);      /* fill RX (after DRIVER_OK) */
void vnet_dp_stop(struct vnet *n);      /* cancel NAPI / wake events */
void vnet_dp_reclaim(struct vnet *n);   /* after reset: take every buffer back */
void vnet_rx_done(struct virtqueue *vq);
void vnet_tx_done(struct virtqueue *vq);
/* ctrl.c */
int vnet_ctrl_submit(struct vnet *n, uint8_t cls, uint8_t cmd, const void *data, uint32_t len);
/* Send the next queued command if none is in flight. */
void vnet_ctrl_kick(struct vnet *n);
/* Finish the command in flight with err (side effects when 0), start the next. */
void vnet_ctrl_complete(struct vnet *n, int err);
/* Drop the command in flight (-ECANCELED): its buffer went with a reset. */
void vnet_ctrl_abort(struct vnet *n);

#endif
