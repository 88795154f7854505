/* SPDX-License-Identifier: MIT */
/*
 * vdpa_ifcvf: the vendor vDPA driver for the IFCVF-like virtio-net function
 * (sim/nic_ifcvf), with the shape of Linux drivers/vdpa/ifcvf (v6.8:
 * ifcvf_main.c, ifcvf_base.c).  Prefix vifc_.
 *
 * It sees the hardware only the way host software does: configuration
 * cycles (pcie_cfg_read/write, pcie_find_cap) and MMIO to the BARs that
 * enumeration assigned (pcie_mmio_read/write).  Interrupts arrive as MSI-X
 * messages on a route it adds to the root complex.
 *
 *     pcie_enumerate(rc, ..., hf, ...);
 *     vifc_opts_default(&o);  o.iommu = io;
 *     vifc_probe(sim, rc, &hf[i], &o, &vf);     binds: parses caps, registers the
 *                                               management device "pci/0000:00:<slot>.0"
 *     vdpa("dev add name vdpa0 mgmtdev pci/0000:00:03.0");   creates the vdpa device
 *     ... vhost_vdpa / virtio_vdpa bind to it through the bus ...
 *     vifc_remove(vf);                          before pcie_rc_free
 *
 * What follows the kernel on purpose:
 *  - probe: IDs (0x1af4:0x1041, subsystem 0x8086:0x001a or 0x8086:VIRTIO_ID_NET),
 *    the vendor capability walk (common, notify + notify_off_multiplier, ISR,
 *    device cfg; all four required: -EIO), num_queues, per-queue
 *    queue_notify_off, device features, config size = min(cap length,
 *    sizeof(struct virtio_net_config)); BAR4 is the live-migration window.
 *  - interrupts are requested at DRIVER_OK and freed at reset.  Vectors
 *    wanted: nr_vring + 1; with all of them each queue has its own vector and
 *    config the last (VIFC_IRQ_PER_VQ); with fewer, vector 0 serves every
 *    queue and vector 1 the config (VIFC_IRQ_SHARED_VQ); with one, vector 0
 *    serves everything and the handler reads ISR to decide whether to call
 *    the config callback (VIFC_IRQ_DEV_SHARED).  In the shared modes every
 *    queue callback runs on each interrupt (the kernel's handlers do so).
 *  - set_vq_num / set_vq_address / set_vq_ready write the common cfg at once
 *    (queue_select first); set_vq_ready(false) writes queue_enable = 0.
 *  - set_driver_features refuses a non-zero feature set without
 *    VIRTIO_F_ACCESS_PLATFORM (-EINVAL) and writes guest_feature at once.
 *  - set_status: on the DRIVER_OK edge the interrupts are requested first;
 *    if that fails the status is left unchanged.
 *  - reset: callbacks cleared and every queue/config vector set to
 *    NO_VECTOR, interrupts freed if DRIVER_OK was set, then status 0 and a
 *    poll until it reads 0 (bounded here: -ETIMEDOUT).
 *  - get_vq_num_max: the largest queue_size the device reports now;
 *    get_vq_num_min 64; get_vq_align 4096; get_vq_group 0; vendor id = the
 *    PCI subsystem vendor; get_vq_irq only in per-vq mode (else -EINVAL).
 *  - ring state (get/set_vq_state) through the LM BAR: split rings carry
 *    the avail index in the low 16 bits of the queue's word.  The kernel
 *    handles split only; here packed rings (when VIRTIO_F_RING_PACKED was
 *    negotiated) use both halves, each idx | wrap_counter << 15.
 *  - no set_map / dma_map: the device sits behind the platform IOMMU and
 *    vhost_vdpa programs it through vdpa_device.dma_dev (vifc glue onto
 *    sim/iommu: a paging domain attached to the function's requester id,
 *    aperture [0, 2^48 - 1]).  No suspend/resume ops.
 *  - management device: bus "pci", name "0000:00:<slot>.<fn>", class net,
 *    config_attr_mask = VDPA_ATTR_DEV_FEATURES only (the hardware's MAC, MTU
 *    and queue pairs are not provisionable: `vdpa dev add ... mac ...` gets
 *    -EOPNOTSUPP from the bus); provisioned features must be a subset of the
 *    device's (-EINVAL).  nvqs = num_queues.
 *
 * Deliberate differences from the kernel driver (each noted where enforced):
 *  - get_driver_features reads guest_feature through guest_feature_select
 *    (the kernel selects with device_feature_select).
 *  - the first valid capability of each type wins (virtio 1.3 4.1.4); the
 *    kernel keeps the last one.  Capabilities whose window leaves the BAR,
 *    and queue doorbells outside the notify window, are refused at probe.
 *  - a second `dev add` on the same function: -EBUSY (one vdpa device per
 *    function).
 *  - config reads retry while config_generation changes, at most
 *    VIFC_CONFIG_READ_TRIES times (the kernel loops without bound).
 *
 * Interrupt numbers: each probed function gets a block of host irq numbers
 * (one per MSI-X table entry) from a per-sim allocator; the MSI message data
 * of vector v is irq_base + v, the address opts.msi_addr.
 *
 * Lifetime: vifc_remove() (or nothing at all) must happen before the root
 * complex is freed: removal deletes the vdpa device, whose drivers may still
 * reset it through MMIO.
 */
#ifndef VDPASIM_VDPA_IFCVF_H
#define VDPASIM_VDPA_IFCVF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine/engine.h"
#include "sim/iommu/iommu.h"
#include "sim/pcie/pcie.h"
#include "stack/vdpa_bus/vdpa_bus.h"

struct vifc;

/* PCI identity the driver binds to. */
#define VIFC_PCI_VENDOR 0x1af4
#define VIFC_PCI_DEVICE 0x1041
#define VIFC_PCI_SUBSYS_VENDOR 0x8086
#define VIFC_PCI_SUBSYS_N3000 0x001a

/* Kernel constants (ifcvf_base.h). */
#define VIFC_QUEUE_ALIGNMENT 4096
#define VIFC_MIN_VQ_SIZE 64
#define VIFC_LM_BAR 4
#define VIFC_MAX_QUEUES 1024 /* num_queues above this is refused at probe */

/* Live-migration BAR (BAR4) layout. */
#define VIFC_LM_LOGGING_CTRL 0x0 /* 0 off, 1 on */
#define VIFC_LM_BASE_LO 0x10     /* dirty log buffer: first IOVA */
#define VIFC_LM_BASE_HI 0x14
#define VIFC_LM_END_LO 0x18      /* dirty log buffer: end IOVA */
#define VIFC_LM_END_HI 0x1c
#define VIFC_LM_RING_STATE 0x20
#define VIFC_LM_QP_STRIDE 0x40
#define VIFC_LM_STATE_OFF(q) (VIFC_LM_RING_STATE + ((q) / 2) * VIFC_LM_QP_STRIDE + ((q) % 2) * 4)

#define VIFC_CONFIG_READ_TRIES 64
#define VIFC_RESET_POLL_DEFAULT 1000
#define VIFC_MSI_ADDR_DEFAULT 0xfee00000ULL

/* Interrupt layouts (the kernel's msix_vector_status values). */
enum vifc_irq_mode {
	VIFC_IRQ_AUTO = 0,       /* opts only: choose by the vectors available */
	VIFC_IRQ_PER_VQ = 1,     /* MSIX_VECTOR_PER_VQ_AND_CONFIG */
	VIFC_IRQ_SHARED_VQ = 2,  /* MSIX_VECTOR_SHARED_VQ_AND_CONFIG */
	VIFC_IRQ_DEV_SHARED = 3, /* MSIX_VECTOR_DEV_SHARED */
};

struct vifc_opts {
	/* The platform IOMMU the function sits behind.  NULL: no IOMMU, so
	 * vhost_vdpa cannot open the device (-ENOTSUPP, as on Linux). */
	struct iommu *iommu;
	/* Vectors the platform grants (pci_alloc_irq_vectors' limit); 0: as
	 * many as the MSI-X table has. */
	unsigned int max_vectors;
	/* Force a layout by asking for exactly the vectors it needs (1 for
	 * DEV_SHARED, 2 for SHARED_VQ, nr_vring + 1 for PER_VQ); the kernel's
	 * rule then picks the mode from what was granted. */
	enum vifc_irq_mode force_mode;
	uint64_t msi_addr;           /* 0: VIFC_MSI_ADDR_DEFAULT */
	unsigned int reset_poll_max; /* status reads after writing 0; 0: default */
	/* Never write queue_enable = 0 (virtio 1.3 4.1.4.3.2 forbids it; the
	 * kernel writes it on set_vq_ready(false)).  Off by default. */
	bool strict_queue_enable;
	/* Record every MMIO access the driver makes (bounded). */
	size_t mmio_log_cap;
};

void vifc_opts_default(struct vifc_opts *o);

/*
 * Bind the function hf (as enumeration found it; rc is its root complex)
 * and register its management device.  Errors: -EINVAL NULL sim/rc/hf;
 * -ENODEV IDs not ours or not a net function; -EIO capabilities incomplete
 * or inconsistent, no LM BAR, num_queues 0 or above VIFC_MAX_QUEUES;
 * -EEXIST a management device of that name exists; -ENOMEM.
 */
int vifc_probe(struct sim *sim, struct pcie_rc *rc, const struct pcie_host_fn *hf,
	       const struct vifc_opts *opts, struct vifc **out);
/* Unregister the management device (deleting its vdpa device), free the
 * interrupts, clear bus mastering (pci_disable_device), unbind.  NULL is a
 * no-op. */
void vifc_remove(struct vifc *vf);

/* "pci/0000:00:03.0" */
const char *vifc_mgmtdev_handle(const struct vifc *vf);
struct vdpa_mgmt_dev *vifc_mgmtdev(struct vifc *vf);
/* The vdpa device created by `dev add`, NULL when none. */
struct vdpa_device *vifc_vdpa(struct vifc *vf);
/* The function behind a vdpa device, NULL if it is not one of ours. */
struct vifc *vifc_from_vdpa(struct vdpa_device *vdev);

/* ---- what probe learned --------------------------------------------------------------- */

enum vifc_region {
	VIFC_RGN_COMMON = 0,
	VIFC_RGN_NOTIFY,
	VIFC_RGN_ISR,
	VIFC_RGN_DEVICE,
	VIFC_RGN_LM,
	VIFC_RGN_MSIX, /* MSI-X table */
	VIFC_RGN_OTHER,
	VIFC_RGN_COUNT,
};

struct vifc_cap_info {
	uint16_t cfg_off; /* capability offset in config space */
	uint8_t bar;
	uint32_t offset, length; /* window inside the BAR */
	uint64_t addr;           /* host physical address of the window */
};

struct vifc_hw_info {
	struct vifc_cap_info common, notify, isr, device;
	uint32_t notify_off_multiplier;
	uint64_t lm_addr, lm_size;
	int msix_cap;            /* config offset, or negative: none */
	uint16_t msix_table_size;
	uint64_t msix_table_addr;
	uint16_t nr_vring;
	uint64_t hw_features;    /* device_feature at probe */
	uint32_t dev_type;       /* VIRTIO_ID_NET */
	uint32_t config_size;
	uint16_t subsys_vendor;
	uint16_t bdf;
	int irq_base;
};
void vifc_hw_info(const struct vifc *vf, struct vifc_hw_info *out);
/* Doorbell of queue qid (notify base + queue_notify_off * multiplier); 0 if
 * qid is out of range. */
uint64_t vifc_vq_notify_addr(const struct vifc *vf, uint16_t qid);

/* ---- interrupts ----------------------------------------------------------------------- */

/* The layout in effect (VIFC_IRQ_AUTO while no interrupts are requested). */
enum vifc_irq_mode vifc_irq_mode(const struct vifc *vf);
/* Vectors granted at the last DRIVER_OK (0 when freed). */
unsigned int vifc_irq_vectors(const struct vifc *vf);
/* Host irq number of MSI-X vector v (irq_base + v). */
int vifc_vector_irq(const struct vifc *vf, unsigned int v);

/* ---- live migration (vendor BAR4) ----------------------------------------------------- */

/* Start dirty logging into the buffer [log_base, log_end) (IOVAs the device
 * writes through the IOMMU; the bitmap format is the device's): base, end,
 * then logging = 1.  -EINVAL for an empty range. */
int vifc_lm_log_start(struct vifc *vf, uint64_t log_base, uint64_t log_end);
int vifc_lm_log_stop(struct vifc *vf);
bool vifc_lm_logging(struct vifc *vf);
/* Raw ring-state word of queue qid: last_avail_idx | last_used_idx << 16.
 * -EINVAL for qid >= nr_vring or a word outside BAR4. */
int vifc_lm_ring_state(struct vifc *vf, uint16_t qid, uint16_t *last_avail, uint16_t *last_used);
int vifc_lm_set_ring_state(struct vifc *vf, uint16_t qid, uint16_t last_avail,
			   uint16_t last_used);

/* ---- statistics and the MMIO access log ------------------------------------------------- */

struct vifc_stats {
	uint64_t mmio_reads, mmio_writes;
	uint64_t mmio_errors;        /* accesses no function decoded */
	sim_time_t mmio_read_stall;  /* sum of read round trips the CPU waited */
	uint64_t cfg_reads, cfg_writes;
	uint64_t msi_received;       /* messages on our route */
	uint64_t msi_spurious;       /* for a vector not requested now */
	uint64_t vq_callbacks, config_callbacks;
	uint64_t isr_reads;
	uint64_t reset_polls;        /* status reads while waiting for 0 */
	uint64_t reset_timeouts;
	uint64_t irq_requests, irq_frees;
	uint64_t config_retries;     /* extra config reads for a changed generation */
};
void vifc_get_stats(const struct vifc *vf, struct vifc_stats *out);

struct vifc_mmio_rec {
	sim_time_t time;
	bool write;
	enum vifc_region region;
	uint32_t off;  /* offset inside the region (absolute address for OTHER) */
	uint8_t size;
	uint64_t val;
};

size_t vifc_mmio_log_len(const struct vifc *vf);
const struct vifc_mmio_rec *vifc_mmio_log_at(const struct vifc *vf, size_t i);
void vifc_mmio_log_clear(struct vifc *vf);
/*
 * One record as text: "<r|w><size> <where> 0x<val>", where is a common cfg
 * field name ("device_status", "queue_select", "queue_desc_lo", ...) or
 * "<region>+0x<off>" ("notify+0x8", "isr+0x0", "device+0x6", "lm+0x20",
 * "msix+0x1c"), e.g. "w1 device_status 0x0", "w2 queue_enable 0x1".
 */
void vifc_mmio_rec_fmt(const struct vifc_mmio_rec *r, char *buf, size_t len);
/* Index of the first record at or after `from` whose text starts with
 * prefix, or -1. */
long vifc_mmio_log_find(const struct vifc *vf, const char *prefix, size_t from);
/* Records whose text starts with prefix. */
size_t vifc_mmio_log_count(const struct vifc *vf, const char *prefix);
/* True when the NULL-terminated prefixes match records in this order. */
bool vifc_mmio_log_has_sequence(const struct vifc *vf, const char *const *prefixes);

#endif
