/* SPDX-License-Identifier: MIT */
/*
 * virtio_net: the virtio-net driver on a virtio_device, a user-space port of
 * Linux v6.8 drivers/net/virtio_net.c reduced to what the simulation needs
 * (no offloads), running in simulated time.  Prefix vnet_.
 *
 * Registration: vnet_register_driver() adds the "virtio_net" driver to the
 * sim's virtio bus; it binds every VIRTIO_ID_NET device (from virtio_vdpa
 * or, later, a guest transport).  Each bound device is a struct vnet,
 * announced through the probe hook (vnet_set_probe_hook) and found with
 * vnet_find(sim, bus_name) (bus_name: the transport's name, e.g. "vdpa0").
 * The pointer is valid until the driver is removed from the device
 * (ops.removed is called just before).
 *
 * Features the driver knows (the per-instance feature_mask can remove any,
 * including transport bits): MAC, MTU, MRG_RXBUF, STATUS, CTRL_VQ, CTRL_RX,
 * CTRL_RX_EXTRA, GUEST_ANNOUNCE, MQ, CTRL_MAC_ADDR, and the transport bits
 * VERSION_1, ACCESS_PLATFORM, RING_PACKED, EVENT_IDX, INDIRECT_DESC,
 * IN_ORDER, NOTIFICATION_DATA the device offers.  validate (as the kernel's
 * virtnet_validate): a negotiated set with CTRL_RX / GUEST_ANNOUNCE / MQ /
 * CTRL_MAC_ADDR but no CTRL_VQ refuses the device (-EINVAL); an MTU below
 * 68 drops VIRTIO_NET_F_MTU; then the mask is applied (removing CTRL_VQ also
 * removes what depends on it).
 *
 * Queues: rx0, tx0, rx1, tx1, ... for the device's max_virtqueue_pairs (1
 * without MQ), then the control queue ("input.N", "output.N", "control").
 * After DRIVER_OK the receive queues are filled and, with MQ, the driver
 * sends VQ_PAIRS_SET for params.queue_pairs (default: all).
 *
 * Header: struct virtio_net_hdr_v1 (12 bytes) with VERSION_1 or MRG_RXBUF,
 * else struct virtio_net_hdr (10), written and read with LE accessors; TX
 * headers are all zero (no offload, GSO_NONE).
 *
 * TX (vnet_send): the frame and its header go to a DMA slot of the queue,
 * added as one descriptor (tx_one_sg) or two (header, frame; an indirect
 * table when INDIRECT_DESC is negotiated), then kicked as
 * virtqueue_kick_prepare decides (vnet_send_more defers the kick, like
 * xmit_more).  Completed slots are reclaimed at the next send (the kernel's
 * free_old_xmit without TX NAPI; TX interrupts are off while the queue runs).
 * When the ring is full the queue stops: vnet_send returns -EBUSY,
 * enable_cb_delayed asks for a TX interrupt, and ops.tx_wake runs once
 * room is back.
 *
 * RX: buffers of rx_buf_size bytes (one each, header included) with
 * MRG_RXBUF, reassembled over num_buffers; else one buffer of header +
 * max(1518, MTU + 18) bytes per frame.  Frames go to ops.rx, or to a
 * per-queue receive queue read with vnet_recv (drops counted when full).
 *
 * Interrupts and NAPI, timed: an RX interrupt disables the queue's callback
 * and schedules a poll irq_latency_ps later (not before the previous poll's
 * CPU time is over).  A poll takes up to napi_budget frames and costs
 * poll_ps + frames * rx_pkt_ps of simulated CPU; it refills the ring when
 * more than min(budget, ring size) / 2 slots are free; with budget left it
 * re-enables the callback (virtqueue_enable_cb) and polls again if buffers
 * arrived meanwhile; with the budget spent it polls again after its CPU time.
 *
 * Control queue: commands are queued and sent one at a time (class, command,
 * data readable; ack writable, preset to 0xff); as in the kernel the queue
 * has no callback and the driver polls it (every ctrl_poll_ps, giving up
 * after ctrl_timeout_ps with -ETIMEDOUT).  Ack VIRTIO_NET_OK completes with
 * 0, anything else with -EIO; ops.ctrl_done reports each.  VQ_PAIRS_SET and
 * MAC_ADDR_SET update the driver's state only when acked OK.
 *
 * Config changes (a work item work_ps after the interrupt): STATUS LINK_UP
 * sets the carrier (vnet_send gives -ENETDOWN while down, ops.link_change);
 * ANNOUNCE (with GUEST_ANNOUNCE) sends a gratuitous ARP on queue 0 and
 * ANNOUNCE_ACK.  DEVICE_NEEDS_RESET is recovered by the virtio core with
 * this driver's freeze (stop, reset, reclaim buffers, delete queues) and
 * restore (queues again, DRIVER_OK, refill, VQ_PAIRS_SET); ops.reset_done
 * reports the result.  The struct vnet and its statistics survive.
 */
#ifndef VDPASIM_VIRTIO_NET_H
#define VDPASIM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/engine/engine.h"
#include "stack/virtio/virtio.h"

#define VNET_DRIVER_NAME "virtio_net"
#define VNET_MAX_PAIRS 64
#define VNET_ETH_ALEN 6

struct vnet;

/* Every feature bit the driver can negotiate. */
#define VNET_FEATURES_ALL                                                                          \
	((1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_MTU) |                                 \
	 (1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_NET_F_STATUS) |                        \
	 (1ULL << VIRTIO_NET_F_CTRL_VQ) | (1ULL << VIRTIO_NET_F_CTRL_RX) |                         \
	 (1ULL << VIRTIO_NET_F_CTRL_RX_EXTRA) | (1ULL << VIRTIO_NET_F_GUEST_ANNOUNCE) |            \
	 (1ULL << VIRTIO_NET_F_MQ) | (1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR) |                        \
	 (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) |                       \
	 (1ULL << VIRTIO_F_RING_PACKED) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |                      \
	 (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | (1ULL << VIRTIO_F_IN_ORDER) |                     \
	 (1ULL << VIRTIO_F_NOTIFICATION_DATA))

struct vnet_params {
	uint64_t feature_mask;     /* default VNET_FEATURES_ALL */
	uint32_t rx_ring_size;     /* 0: the device maximum (capped to it anyway) */
	uint32_t tx_ring_size;     /* 0: the device maximum */
	uint32_t ctrl_ring_size;   /* 0: 64 */
	uint32_t rx_buf_size;      /* MRG_RXBUF buffer bytes, header included (0: 1536) */
	uint16_t queue_pairs;      /* pairs to use with MQ (0: all the device offers) */
	uint32_t napi_budget;      /* 0: 64 */
	bool tx_one_sg;            /* header and frame in one descriptor */
	sim_time_t irq_latency_ps; /* interrupt -> NAPI poll (default 1 us) */
	sim_time_t poll_ps;        /* fixed CPU cost of a poll (default 200 ns) */
	sim_time_t rx_pkt_ps;      /* CPU cost per received frame (default 50 ns) */
	sim_time_t work_ps;        /* config change -> work item (default 1 us) */
	sim_time_t ctrl_poll_ps;   /* control queue polling interval (default 100 ns) */
	sim_time_t ctrl_timeout_ps; /* give a command up (default 10 ms) */
	uint32_t rx_queue_frames;  /* vnet_recv queue depth per queue (0: 1024) */
};

void vnet_default_params(struct vnet_params *p);

/* Application callbacks; any may be NULL.  queue is the pair index. */
struct vnet_ops {
	/* A received frame (valid during the call).  NULL: frames go to the
	 * receive queue for vnet_recv. */
	void (*rx)(void *ctx, struct vnet *n, uint16_t queue, const uint8_t *frame, uint32_t len);
	/* A stopped TX queue has room again. */
	void (*tx_wake)(void *ctx, struct vnet *n, uint16_t queue);
	void (*link_change)(void *ctx, struct vnet *n, bool up);
	void (*ctrl_done)(void *ctx, struct vnet *n, uint8_t cls, uint8_t cmd, int err);
	/* After a NEEDS_RESET recovery (or vnet_reset): 0 or the error. */
	void (*reset_done)(void *ctx, struct vnet *n, int err);
	/* The driver is leaving the device: the pointer dies after this. */
	void (*removed)(void *ctx, struct vnet *n);
};

/* Register the driver (binds every net device on the virtio bus).
 * defaults NULL: vnet_default_params.  -EEXIST when registered. */
int vnet_register_driver(struct sim *sim, const struct vnet_params *defaults);
void vnet_unregister_driver(struct sim *sim);
/* Parameters for the device whose transport bus_name is `bus_name` (e.g. the
 * vdpa device name), used when it is probed (set them first).  -ENOMEM. */
int vnet_set_instance_params(struct sim *sim, const char *bus_name, const struct vnet_params *p);
/* Called for every instance right after its probe succeeded. */
void vnet_set_probe_hook(struct sim *sim, void (*fn)(void *ctx, struct vnet *n), void *ctx);

struct vnet *vnet_find(struct sim *sim, const char *bus_name);
struct vnet *vnet_from_virtio(struct virtio_device *vdev);
struct virtio_device *vnet_virtio(const struct vnet *n);
void vnet_set_ops(struct vnet *n, const struct vnet_ops *ops, void *ctx);

/*
 * Send one frame (destination MAC first, no FCS) on queue pair `queue`.
 * 0 queued; -EINVAL queue not active or len < 14; -EMSGSIZE longer than
 * MTU + 18; -ENETDOWN carrier off; -EBUSY queue stopped (wait for tx_wake);
 * -EIO device broken or being reset.
 */
int vnet_send(struct vnet *n, uint16_t queue, const void *frame, uint32_t len);
/* more: further frames follow, defer the kick (xmit_more); a stopped queue
 * kicks anyway.  vnet_flush kicks what was deferred. */
int vnet_send_more(struct vnet *n, uint16_t queue, const void *frame, uint32_t len, bool more);
int vnet_flush(struct vnet *n, uint16_t queue);
bool vnet_tx_stopped(const struct vnet *n, uint16_t queue);
/* Take one frame from queue's receive queue: 0 with *len; -EAGAIN empty;
 * -EMSGSIZE cap too small (the frame stays). */
int vnet_recv(struct vnet *n, uint16_t queue, void *buf, uint32_t cap, uint32_t *len);

/* Control commands (asynchronous; ops.ctrl_done).  0 queued; -EOPNOTSUPP
 * without the feature; -EINVAL bad argument; -ENOSPC more than 64 queued. */
int vnet_set_queue_pairs(struct vnet *n, uint16_t pairs);       /* MQ VQ_PAIRS_SET */
int vnet_set_mac(struct vnet *n, const uint8_t mac[VNET_ETH_ALEN]); /* MAC_ADDR_SET */
/* RX_PROMISC then RX_ALLMULTI (CTRL_RX). */
int vnet_set_rx_mode(struct vnet *n, bool promisc, bool allmulti);
/* MAC_TABLE_SET (CTRL_RX), at most 64 entries each. */
int vnet_set_mac_table(struct vnet *n, const uint8_t (*uc)[VNET_ETH_ALEN], uint32_t nuc,
		       const uint8_t (*mc)[VNET_ETH_ALEN], uint32_t nmc);
unsigned int vnet_ctrl_pending(const struct vnet *n);
/* Reset and re-initialise now (the NEEDS_RESET recovery path). */
int vnet_reset(struct vnet *n);

bool vnet_link_up(const struct vnet *n);
void vnet_mac(const struct vnet *n, uint8_t mac[VNET_ETH_ALEN]);
uint16_t vnet_mtu(const struct vnet *n);
uint16_t vnet_queue_pairs(const struct vnet *n);     /* active */
uint16_t vnet_max_queue_pairs(const struct vnet *n); /* created */
uint64_t vnet_features(const struct vnet *n);
uint32_t vnet_hdr_len(const struct vnet *n);
/* The queues (NULL out of range or while reset). */
struct virtqueue *vnet_rx_vq(const struct vnet *n, uint16_t queue);
struct virtqueue *vnet_tx_vq(const struct vnet *n, uint16_t queue);
struct virtqueue *vnet_ctrl_vq(const struct vnet *n);

/* ethtool -S like counters of one queue pair. */
struct vnet_queue_stats {
	uint64_t tx_packets, tx_bytes;
	uint64_t tx_busy;        /* sends refused with -EBUSY */
	uint64_t tx_stops, tx_wakes;
	uint64_t tx_kicks, tx_interrupts;
	uint64_t rx_packets, rx_bytes;
	uint64_t rx_drops;       /* receive queue full, or frame unusable */
	uint64_t rx_length_errors;
	uint64_t rx_bufs;        /* buffers posted */
	uint64_t rx_kicks, rx_interrupts;
	uint64_t kicks;          /* tx_kicks + rx_kicks */
	uint64_t interrupts;     /* tx_interrupts + rx_interrupts */
	uint64_t napi_polls;
	uint64_t napi_repolls;   /* budget exhausted, or buffers came while enabling */
	sim_time_t cpu_ps;       /* NAPI CPU time */
};
/* -EINVAL for a queue beyond the created pairs. */
int vnet_queue_stats(const struct vnet *n, uint16_t queue, struct vnet_queue_stats *out);

struct vnet_stats {
	uint64_t ctrl_cmds, ctrl_ok, ctrl_err, ctrl_timeouts;
	uint64_t config_changes;   /* config work runs */
	uint64_t link_changes;
	uint64_t announces;        /* gratuitous frames sent */
	uint64_t resets;           /* freeze/restore cycles */
	uint64_t reset_failures;
};
void vnet_stats(const struct vnet *n, struct vnet_stats *out);

#endif
