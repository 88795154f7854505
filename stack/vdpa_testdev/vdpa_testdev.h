/* SPDX-License-Identifier: MIT */
/*
 * vdpa_testdev: a software vDPA parent (in the spirit of the kernel's
 * vdpa_sim_net) implementing every vdpa_config_op in memory, so the bus,
 * vhost_vdpa and virtio_vdpa can be exercised without a hardware model.
 * Prefix vtd_.
 *
 * What is configurable: offered features, queue pairs (nvqs = 2 * pairs, + 1
 * with VIRTIO_NET_F_CTRL_VQ), ring sizes, which optional ops exist
 * (suspend/resume, compat_reset, reset_map, groups, doorbells, irqs,
 * generation, iova range, vendor stats, backend features), the DMA style
 * (platform IOMMU through a fake IOMMU, set_map, or dma_map/dma_unmap),
 * groups and address spaces, and fault injection per op.
 *
 * Every op call is recorded in an op trace, one line per call, e.g.
 *   "set_vq_num 0 256", "set_vq_address 0 0x1000 0x2000 0x3000",
 *   "set_vq_state 1 avail=5", "set_vq_state 0 packed avail=3/1 used=7/0",
 *   "set_status 0x0b", "reset", "compat_reset 0x1", "set_driver_features 0x..",
 *   "set_vq_cb 0 cb" / "set_vq_cb 0 null", "set_config_cb cb", "kick_vq 1",
 *   "set_map 0 n=2", "dma_map 0 0x1000 0x2000 0x5000 3", "dma_unmap 0 0x1000 0x2000",
 *   "iommu_map 0x1000 0x2000 0x5000 3", "iommu_unmap 0x1000 0x2000",
 *   "iommu_domain_alloc", "iommu_domain_free", "reset_map 0", "suspend",
 *   "resume", "set_group_asid 1 1", "get_config 0 6", "set_config 0 6",
 *   getters as their bare name ("get_status", "get_generation", ...) or with
 *   the queue index ("get_vq_state 0", "get_vq_irq 1", ...).
 * so tests can assert the kernel's call order.
 *
 * Datapath (optional, like vdpa_sim_net; default off: kicks are only
 * counted).  With VTD_DP_LOOPBACK or VTD_DP_PORT the device runs the
 * device-side ring engine (vq_dev) on its queues once DRIVER_OK is set:
 *  - memory: ring and buffer addresses are IOVAs translated through the
 *    device's map of the queue's address space (set_map / dma_map), or the
 *    fake IOMMU domain (platform mode), or passed through unchanged when no
 *    map was given (vdpa_sim's identity passthrough, restored by reset_map and
 *    by a compat_reset with VDPA_RESET_F_CLEAN_MAP; platform mode: no
 *    domain); the result is a host physical address read through
 *    cfg.host_mem.
 *  - a kick schedules processing of that queue in an engine event
 *    pkt_delay_ps later; one event handles up to `batch` chains, then
 *    reschedules itself (n * pkt_delay_ps later) while work remains.  The
 *    device suppresses kicks while it works (vq_dev_disable_notify /
 *    enable_notify, re-polling like vhost) and raises a queue's callback only
 *    when vq_dev_need_interrupt says so.
 *  - TX (odd queues below 2 * pairs): the virtio_net_hdr (12 bytes with
 *    VERSION_1 or MRG_RXBUF, else 10) is stripped; loopback: the frame is
 *    received on the RX queue of the same pair (pair 0 when that pair is not
 *    active), held in the device while no RX buffer is posted (TX waits; or
 *    dropped and counted with loopback_drop); port: sent out of the device's
 *    net_port (TX waits while the port's queue is full).
 *  - RX: frames pass the receive filter (own MAC, broadcast, multicast when
 *    allmulti or listed, promisc, the MAC table: the CTRL_RX state), take one
 *    buffer (or several with MRG_RXBUF, num_buffers set), and are dropped and
 *    counted when the posted buffers cannot hold them.  Port frames go to the
 *    RX queue of pair (test-frame flow id, or a hash of the MAC header) %
 *    active pairs.
 *  - control queue: VIRTIO_NET_CTRL_RX (PROMISC, ALLMULTI, ALLUNI, NOMULTI,
 *    NOUNI, NOBCAST), MAC (TABLE_SET, ADDR_SET: written into the config
 *    space), ANNOUNCE ACK (clears VIRTIO_NET_S_ANNOUNCE), MQ VQ_PAIRS_SET
 *    (1..max pairs); the ack byte is VIRTIO_NET_OK, or VIRTIO_NET_ERR for a
 *    malformed or unnegotiated command.
 *  - a malformed ring (any violation the engine reports, or an unmapped
 *    address) sets VIRTIO_CONFIG_S_NEEDS_RESET, stops every queue and raises
 *    the config interrupt; reset clears it.
 *  - suspend stops processing; resume restarts it; get_vq_state reports the
 *    engine's position (RX buffers fetched ahead but unused are not counted
 *    as consumed).
 *
 * The default management device is "vdpasim_net" (no bus), so
 *   vdpa("dev add name vdpa0 mgmtdev vdpasim_net mac 00:11:22:33:44:55")
 * creates a test device.
 */
#ifndef VDPASIM_VDPA_TESTDEV_H
#define VDPASIM_VDPA_TESTDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine/engine.h"
#include "sim/net/net.h"
#include "sim/virtio_ring/virtio_ring.h"
#include "stack/vdpa_bus/vdpa_bus.h"

struct sim;
struct vtd;
struct vtd_mgmt;

enum vtd_map_mode {
	VTD_MAP_PLATFORM = 0, /* neither set_map nor dma_map: vhost uses dma_dev's IOMMU */
	VTD_MAP_SET_MAP,
	VTD_MAP_DMA_MAP,
};

enum vtd_dma_dev {
	VTD_DMA_IOMMU = 0,    /* dma_dev with a coherent fake IOMMU */
	VTD_DMA_NONE,         /* no dma_dev */
	VTD_DMA_NONCOHERENT,  /* dma_dev whose IOMMU is not cache coherent */
};

struct vtd_config {
	const char *mgmtdev_bus;  /* NULL: handle is just mgmtdev_name */
	const char *mgmtdev_name; /* default "vdpasim_net" */
	uint64_t device_features; /* offered (and the mgmtdev's supported) */
	uint16_t max_vqp;         /* queue pairs when dev add gives none */
	uint16_t max_supported_vqp;
	uint16_t vq_num_max, vq_num_min;
	uint32_t vendor_id;
	enum vtd_map_mode map_mode;
	enum vtd_dma_dev dma_dev;
	bool use_va;
	uint32_t ngroups, nas;
	bool has_suspend, has_resume, has_compat_reset, has_reset_map;
	bool has_vq_group, has_desc_group, has_set_group_asid;
	bool has_notification, has_vq_irq, has_vq_num_min, has_generation;
	bool has_iova_range, has_vendor_stats, has_backend_features;
	bool has_aperture;             /* platform mode: IOMMU reports an aperture */
	bool strict_features;          /* set_driver_features: unoffered bits -> -EINVAL */
	bool refuse_features_ok;       /* set_status never keeps FEATURES_OK */
	uint64_t backend_features;     /* get_backend_features result */
	uint64_t notify_base;          /* doorbell of vq i: base + i * notify_stride */
	uint64_t notify_stride, notify_size;
	struct vdpa_iova_range iova_range; /* get_iova_range / aperture */
	uint8_t mac[6];
	uint16_t mtu;
	uint64_t config_attr_mask;     /* mgmtdev provisioning attributes */
	/* datapath */
	enum vtd_datapath {
		VTD_DP_NONE = 0,       /* ops only: kicks are counted */
		VTD_DP_LOOPBACK,       /* TX of a pair is received on its RX queue */
		VTD_DP_PORT,           /* TX to the device's net_port, RX from it */
	} datapath;
	struct vq_mem host_mem;        /* host physical memory behind the translation */
	sim_time_t pkt_delay_ps;       /* per-packet processing delay */
	uint32_t batch;                /* chains per processing event (0: 64) */
	bool loopback_drop;            /* loopback: drop when no RX buffer (vdpa_sim_net) */
	bool port_link_status;         /* port: config LINK_UP follows the carrier */
};

/*
 * Defaults: VERSION_1 | ACCESS_PLATFORM | RING_PACKED | EVENT_IDX | MAC | MTU
 * | STATUS | CTRL_VQ | MQ; 1 pair (nvqs 3), up to 4; ring sizes 1..256;
 * set_map mode; 2 groups (data 0, cvq 1), 2 address spaces; every optional
 * op present; strict features; doorbells at 0xfe000000 + i * 4096, one page;
 * mac 00:11:22:33:44:55, mtu 1500; mgmtdev "vdpasim_net" accepting mac,
 * mtu, max_vqp and device_features; datapath off (pkt_delay_ps 10 ns, batch
 * 64, waiting loopback, port_link_status on when enabled).
 */
void vtd_default_config(struct vtd_config *cfg);

/* A management device creating test devices (freed with the sim, or by
 * vtd_mgmtdev_unregister). */
int vtd_mgmtdev_register(struct sim *sim, const struct vtd_config *cfg, struct vtd_mgmt **out);
void vtd_mgmtdev_unregister(struct vtd_mgmt *m);
struct vdpa_mgmt_dev *vtd_mgmtdev(struct vtd_mgmt *m);

/* A device registered directly (vdpa_register_device, no mgmtdev).  name
 * NULL: "vdpa<index>".  Freed with the sim or by vtd_destroy. */
int vtd_create(struct sim *sim, const struct vtd_config *cfg, const char *name,
	       struct vtd **out);
void vtd_destroy(struct vtd *d);

/* The test device behind a vdpa device, NULL if it is not one. */
struct vtd *vtd_from_vdpa(struct vdpa_device *vdev);
struct vdpa_device *vtd_vdpa(struct vtd *d);

/* ---- op trace ---- */
size_t vtd_trace_len(const struct vtd *d);
const char *vtd_trace_at(const struct vtd *d, size_t i);
void vtd_trace_clear(struct vtd *d);
/* Index of the first entry at or after `from` that starts with prefix, or -1. */
long vtd_trace_find(const struct vtd *d, const char *prefix, size_t from);
/* Number of entries starting with prefix. */
size_t vtd_trace_count(const struct vtd *d, const char *prefix);
/* True when the NULL-terminated prefixes appear in this order (other
 * entries may come between). */
bool vtd_trace_has_sequence(const struct vtd *d, const char *const *prefixes);
/* All entries joined with '\n' into buf (truncated). */
void vtd_trace_dump(const struct vtd *d, char *buf, size_t len);

/* ---- device state ---- */
struct vtd_vq {
	uint64_t desc, driver, device;
	uint32_t num;
	bool ready;
	struct vdpa_callback cb;
	struct vdpa_vq_state state;
	uint64_t kicks;
	uint64_t irqs;
};

const struct vtd_vq *vtd_vq(const struct vtd *d, uint16_t idx);
uint8_t vtd_status(const struct vtd *d);
uint64_t vtd_driver_features(const struct vtd *d);
uint64_t vtd_device_features(const struct vtd *d);
bool vtd_suspended(const struct vtd *d);
uint32_t vtd_generation(const struct vtd *d);
uint32_t vtd_group_asid(const struct vtd *d, uint32_t group);
/* The device's own translation table of asid (set_map/dma_map modes) or the
 * fake IOMMU domain's (platform mode, asid ignored); NULL if none. */
const struct vdpa_iotlb *vtd_iotlb(const struct vtd *d, uint32_t asid);
/* Config space bytes (struct virtio_net_config, little-endian). */
const uint8_t *vtd_config_space(const struct vtd *d, size_t *len);
bool vtd_domain_allocated(const struct vtd *d);

/* ---- device-side actions ---- */
/* Raise queue idx's interrupt: calls the installed callback. */
void vtd_raise_vq_irq(struct vtd *d, uint16_t idx);
void vtd_raise_config_irq(struct vtd *d);
/* Device progress: what get_vq_state will report for idx. */
void vtd_set_vq_state(struct vtd *d, uint16_t idx, const struct vdpa_vq_state *state);
/* The next n get_config calls change the config (link status flips) and bump
 * the generation after copying, as if the device updated it mid-read. */
void vtd_change_config_during_reads(struct vtd *d, unsigned int n);
/* Link up/down: status field, generation++, config interrupt. */
void vtd_set_link(struct vtd *d, bool up);

/* Announce: set VIRTIO_NET_S_ANNOUNCE, generation++, config interrupt. */
void vtd_announce(struct vtd *d);

/*
 * A CPU write of `value` to host-physical address pa (the platform's MMIO
 * routing of a VMM's direct kick): inside queue i's doorbell (the area
 * get_vq_notification gives) it notifies queue i as kick_vq does, traced
 * "doorbell <i> 0x<value>".  -EOPNOTSUPP without doorbells; -ENOENT when
 * pa is no doorbell of this device.
 */
int vtd_doorbell_write(struct vtd *d, uint64_t pa, uint32_t value);

/* ---- datapath ---- */
/* Attach a ring observer to queue idx's device engine (now, or when it is
 * created; cleared by reset).  NULL detaches. */
void vtd_set_vq_observer(struct vtd *d, uint16_t idx, struct vq_obs *obs);
/* The violation that broke queue idx (VQ_V_NONE if none). */
enum vq_violation vtd_vq_violation(const struct vtd *d, uint16_t idx);
bool vtd_needs_reset(const struct vtd *d);
/* Active queue pairs (1 until VQ_PAIRS_SET). */
uint16_t vtd_queue_pairs(const struct vtd *d);
/* The CTRL_RX state. */
struct vtd_rx_mode {
	bool promisc, allmulti, alluni, nomulti, nouni, nobcast;
	uint32_t n_uc, n_mc; /* MAC table entries */
};
void vtd_rx_mode(const struct vtd *d, struct vtd_rx_mode *out);

struct vtd_dp_stats {
	uint64_t tx_packets, tx_bytes;   /* frames taken from TX queues */
	uint64_t tx_errors;              /* bad TX chains (too short / too long), port refusals */
	uint64_t rx_packets, rx_bytes;   /* frames written into RX buffers */
	uint64_t rx_no_buf;              /* dropped: no (or too small) RX buffers */
	uint64_t rx_filtered;            /* dropped by the receive filter */
	uint64_t rx_bufs;                /* RX buffers used */
	uint64_t ctrl_ok, ctrl_err;      /* control commands by ack */
	uint64_t interrupts;             /* queue interrupts raised */
	uint64_t suppressed;             /* interrupts the driver suppressed */
	uint64_t events;                 /* processing events run */
	uint64_t needs_reset;            /* times NEEDS_RESET was set */
};
void vtd_dp_stats(const struct vtd *d, struct vtd_dp_stats *out);

/* The device's Ethernet port (VTD_DP_PORT), created on first call; connect
 * it with net_link_new.  -EINVAL without the port datapath. */
int vtd_port(struct vtd *d, struct net_port **out);
/* Free the port (before eng_sim_free, as sim/net asks: after freeing its
 * link).  Also done by vtd_destroy. */
void vtd_port_release(struct vtd *d);

/* Fault injection: a non-zero value is returned (as -errno) by that op. */
struct vtd_faults {
	int set_vq_address;
	int set_vq_state;
	int get_vq_state;
	int set_driver_features;
	int reset;
	int suspend;
	int resume;
	int set_map;
	int dma_map;
	int iommu_map;
	int domain_alloc;
	int set_group_asid;
	int vendor_stats;
	int ctrl_ack_err;    /* datapath: every control command is answered VIRTIO_NET_ERR */
};
struct vtd_faults *vtd_faults(struct vtd *d);

#endif
