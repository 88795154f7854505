/* SPDX-License-Identifier: MIT */
/*
 * vdpa_mbx: the vendor vDPA driver for the MBX NIC (sim/nic_mbx), a
 * firmware-object device in the shape of Linux drivers/vdpa/mlx5 (v6.8,
 * mlx5_vnet.c): the virtio device exists only in this driver, which turns the
 * vdpa_config_ops into mailbox commands.  Prefix vmbx_.
 *
 * It sees the hardware the way host software does: configuration cycles
 * (IDs, BARs, the MSI-X capability), MMIO to BAR0 (registers and mailbox) and
 * BAR2 (doorbells), and MSI-X messages on a route it adds to the root complex.
 *
 *     pcie_enumerate(rc, ..., hf, ...);
 *     vmbx_opts_default(&o);  o.iommu = io;  o.mem = mem;
 *     vmbx_probe(sim, rc, &hf[i], &o, &vf);     checks the function, enables MSI-X,
 *                                               RESET + QUERY_CAPS, registers the
 *                                               management device "pci/0000:00:<slot>.0"
 *     vdpa("dev add name vdpa0 mgmtdev pci/0000:00:03.0 mac ... max_vqp 2 mtu 1500");
 *     ... vhost_vdpa / virtio_vdpa bind to it through the bus ...
 *     vmbx_remove(vf);                          before pcie_rc_free
 *
 * Commands wait for completion the way a kernel thread sleeps in a command
 * interface: the caller runs the simulation (eng_step) until the completion
 * interrupt arrives, or, with opts.poll, until a periodic poll of CMD_DONE
 * sees it, bounded by opts.cmd_timeout_ps (-ETIMEDOUT).  Other events run
 * meanwhile.  The mailbox is not re-entrant: a command issued while another
 * waits gets -EBUSY (the control virtqueue worker defers itself instead).
 * Firmware statuses map to errnos: BAD_OPCODE -EOPNOTSUPP, BAD_PARAM and
 * BAD_STATE -EINVAL, BAD_OBJ -ENOENT, NO_RESOURCES -ENOSPC, EXISTS -EEXIST,
 * BAD_LEN -EMSGSIZE, anything else -EIO.
 *
 * What follows mlx5_vdpa on purpose:
 *  - the virtio status is emulated: DRIVER_OK creates a virtqueue object for
 *    every data queue whose size was set (SET_FEATURES and the steering first)
 *    and moves the ready ones to RDY; if that fails the status gets FAILED.
 *    Clearing DRIVER_OK without a reset is ignored.  reset destroys every
 *    object, clears the queues, features, status and suspended flag, puts
 *    groups back on ASID 0 and bumps the generation.
 *  - set_driver_features: without VIRTIO_F_ACCESS_PLATFORM -EOPNOTSUPP, MQ
 *    without CTRL_VQ -EINVAL; the features kept are the ones offered.
 *  - queue indices are valid per the negotiated features (2 without CTRL_VQ,
 *    3 with it, 2 * max_vqp + 1 with MQ); the control queue is queue 2 without
 *    MQ and 2 * max_vqp with it.
 *  - set_vq_ready(true) on a queue with an object moves it to RDY (from
 *    SUSPEND only if the device can resume; otherwise the queue stays not
 *    ready); set_vq_ready(false) suspends it (and saves its indices).
 *  - set_vq_state while the object is RDY: -EINVAL ("can't modify available
 *    index"); otherwise the state is kept (split: avail and used both set to
 *    avail_index) and applied with MODIFY_VIRTQ when the queue is next made
 *    RDY.  get_vq_state: QUERY_VIRTQ while an object exists (split reports
 *    hw_used_index, which equals hw_available_index once suspended), the
 *    saved state otherwise.
 *  - suspend: MODIFY every RDY object to SUSPEND (each waits for the device
 *    to complete what it has in flight), then QUERY it; the control queue
 *    stops.  resume exists only when QUERY_CAPS has MBX_CAP_RESUME (the op is
 *    NULL otherwise, so vhost-vdpa answers -EOPNOTSUPP); it also restarts the
 *    control queue if it was ready before the suspend (mlx5 v6.8 leaves it
 *    stopped).
 *  - the control virtqueue lives in driver memory: kick_vq on it schedules a
 *    worker that takes one command per run (vq_dev engine over an accessor
 *    that translates through the control group's ASID and reads host memory),
 *    applies MAC_ADDR_SET, MAC_TABLE_SET, RX PROMISC/ALLMULTI, MQ
 *    VQ_PAIRS_SET and ANNOUNCE ACK to the device with SET_STEERING, and acks
 *    VIRTIO_NET_OK or VIRTIO_NET_ERR.
 *  - two virtqueue groups (data 0, control 1) and two address spaces.
 *    DMA: set_map.  The data group's ASID is programmed into an IOMMU paging
 *    domain this driver owns for the function (the role of mlx5's memory key:
 *    the device's own IOVA translation, here the platform IOMMU attached to
 *    its requester id), updated by difference so untouched IOTLB entries
 *    stay; the control group's ASID is kept in software for the control
 *    queue.  reset_map empties an ASID; compat_reset with CLEAN_MAP empties
 *    both.  IOVA range [0, 2^48 - 1].  Backend features:
 *    ENABLE_AFTER_DRIVER_OK.
 *  - config space: struct virtio_net_config emulated here (mac, status with
 *    LINK_UP from the device's link register, max_virtqueue_pairs, mtu);
 *    set_config is ignored.  Link changes and queue errors arrive as device
 *    events: the status gets NEEDS_RESET on a queue error and the config
 *    callback runs.
 *  - doorbells: BAR2 + index * 4 (4 bytes: vhost-vdpa cannot mmap them and
 *    uses kick eventfds); get_vq_irq gives the host irq of the queue's vector.
 *  - management device: bus "pci", name "0000:00:<slot>.<fn>", class net,
 *    provisioning mac, mtu (<= the device's max), max_vqp (<= max_vqs / 2,
 *    default the maximum) and device_features (a subset, -EINVAL otherwise);
 *    one vdpa device per function (a second dev add: -ENOSPC).
 *
 * MSI-X: vector 0 completes commands, 1 carries device events, 2 + i queue i
 * (all data queues share vector 2 when the table is too small).  Message
 * address opts.msi_addr, data irq_base + vector (irq_base from a per-sim
 * allocator).
 *
 * Lifetime: vmbx_remove() must happen before the root complex is freed.
 * Functions return 0 or a negative errno.
 */
#ifndef VDPASIM_VDPA_MBX_H
#define VDPASIM_VDPA_MBX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine/engine.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/mem.h"
#include "sim/pcie/pcie.h"
#include "stack/vdpa_bus/vdpa_bus.h"

struct vmbx;

#define VMBX_MSI_ADDR_DEFAULT 0xFEE01000ULL
#define VMBX_VQ_ALIGN 4096
#define VMBX_DATA_GROUP 0
#define VMBX_CVQ_GROUP 1
#define VMBX_NGROUPS 2
#define VMBX_NAS 2
#define VMBX_IOVA_LAST ((1ULL << 48) - 1)

struct vmbx_opts {
	struct iommu *iommu;       /* required: the IOMMU the function sits behind */
	struct mem *mem;           /* required: host memory (the control queue lives there) */
	uint64_t msi_addr;         /* 0: VMBX_MSI_ADDR_DEFAULT */
	bool poll;                 /* no completion interrupt: poll CMD_DONE */
	sim_time_t poll_ps;        /* poll period, default 1 us */
	sim_time_t cmd_timeout_ps; /* default 100 ms of simulated time */
	sim_time_t cvq_ps;         /* control queue worker latency, default 2 us */
};

void vmbx_opts_default(struct vmbx_opts *o);

/*
 * Bind to an enumerated MBX function.  -ENODEV: not an MBX function (IDs) or
 * its BARs are missing; -EINVAL: no IOMMU or memory in opts; -EIO: the device
 * does not answer like an MBX (magic, MSI-X capability with at least 3
 * vectors, QUERY_CAPS sane); a command's errno; -ENOMEM.
 */
int vmbx_probe(struct sim *sim, struct pcie_rc *rc, const struct pcie_host_fn *hf,
	       const struct vmbx_opts *opts, struct vmbx **out);
/* Deletes the vdpa device (if any), resets the firmware, disables MSI-X. */
void vmbx_remove(struct vmbx *vf);

struct vdpa_mgmt_dev *vmbx_mgmtdev(struct vmbx *vf);
/* The vdpa device created on this function, NULL if none. */
struct vdpa_device *vmbx_vdpa(struct vmbx *vf);
/* The function behind a vdpa device of this driver, NULL for any other. */
struct vmbx *vmbx_from_vdpa(struct vdpa_device *vdev);

/* What QUERY_CAPS reported at probe. */
struct vmbx_caps {
	uint64_t features;
	uint16_t max_vqs;
	uint32_t max_qsize;
	uint32_t flags; /* MBX_CAP_* */
	uint8_t mac[6];
	uint16_t max_mtu;
	uint16_t msix;
	uint16_t max_macs;
	uint32_t fw_version;
};
const struct vmbx_caps *vmbx_caps(const struct vmbx *vf);

/* ---- Raw mailbox (tests, tools) ---------------------------------------------------- */
struct vmbx_cmd_result {
	uint8_t status;      /* MBX_ST_* */
	uint32_t syndrome;
	uint32_t out_len;    /* payload bytes the firmware wrote */
	sim_time_t issued;   /* doorbell write */
	sim_time_t completed; /* completion seen by the driver */
};
/*
 * Run one command: in (in_len bytes) as payload, up to out_cap bytes of the
 * output payload into out.  0 on MBX_ST_OK, the status's errno otherwise
 * (res->status tells which), -ETIMEDOUT, -EBUSY (mailbox in use), -EMSGSIZE
 * (in_len beyond the mailbox).  res may be NULL.
 */
int vmbx_exec(struct vmbx *vf, uint16_t opcode, uint32_t obj, const void *in, uint32_t in_len,
	      void *out, uint32_t out_cap, struct vmbx_cmd_result *res);
int vmbx_status_errno(uint8_t status);

/* ---- Introspection ----------------------------------------------------------------- */
/* Object id of data queue idx: -ENOENT without one. */
int vmbx_vq_obj(struct vmbx *vf, uint16_t idx, uint32_t *obj);

struct vmbx_steering {
	uint8_t mac[6];
	bool promisc, allmulti;
	uint16_t rx_queues;
	uint16_t nuc, nmc;
	uint8_t uc[64][6];
	uint8_t mc[64][6];
};
/* The device's steering state, read back with QUERY_STEERING. */
int vmbx_query_steering(struct vmbx *vf, struct vmbx_steering *out);

struct vmbx_stats {
	uint64_t commands, command_errors, timeouts;
	uint64_t cmd_irqs, event_irqs, vq_irqs, msi_spurious, polls;
	uint64_t link_events, vq_error_events;
	uint64_t cvq_cmds, cvq_ok, cvq_err;
};
void vmbx_get_stats(const struct vmbx *vf, struct vmbx_stats *out);

#endif
