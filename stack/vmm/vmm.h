/* SPDX-License-Identifier: MIT */
/*
 * vmm: a QEMU-like virtual machine monitor for one virtio-net device backed
 * by a vhost-vdpa character device (QEMU's virtio-net-pci + vhost-vdpa net
 * backend).  Prefix vmm_.
 *
 * What it models
 *  - Guest memory: RAM regions (GPA ranges) backed by the sim's host
 *    memory (struct mem) through a mem_guest.  Each region also gets a
 *    "user address" (the VMM's HVA, as QEMU mmaps RAM blocks); vhost_vdpa
 *    pins user addresses through vhv_set_user_mem, which the VMM wires to
 *    its regions (HVA -> HPA).
 *  - The guest's virtio transport: a virtio_device whose virtio_config_ops
 *    forward to vhost-vdpa ioctls.  The guest's virtio_net driver runs on
 *    it, with rings and buffers allocated from guest RAM (one vio_dma pool
 *    per RAM region, round robin): the addresses the device sees are GPAs,
 *    mapped 1:1 as IOVAs.
 *  - The memory listener: one VHOST_IOTLB_UPDATE (IOVA = GPA, uaddr = HVA)
 *    per RAM region, inside BATCH_BEGIN/END when IOTLB_BATCH was acked,
 *    sent when the device starts and when regions are added while it runs;
 *    INVALIDATE when it stops or a region goes.
 *  - Kicks: "direct" (the doorbell page of vhv_mmap, written through the
 *    platform's MMIO hook: QEMU's host notifier memory region) or "relayed"
 *    (the queue's kick eventfd, which vhost_vdpa turns into kick_vq).
 *    Interrupts: each queue's call eventfd is watched; a signal injects the
 *    guest's queue interrupt (vio_vq_interrupt) irq_latency_ps later (one
 *    pending injection per queue, like an edge-triggered MSI).  The config
 *    eventfd (VHOST_VDPA_SET_CONFIG_CALL) injects a config interrupt
 *    (vio_config_changed).
 *  - A shadow control queue (QEMU's shadowed CVQ): the guest's control
 *    queue is served by the VMM, which forwards each command to the device
 *    through a ring of its own in VMM memory (an address space of its own
 *    when the device can isolate the control queue's group) and records the
 *    state the device acked (MAC, RX mode, MAC tables, queue pairs) for
 *    migration.
 *
 * Call sequences (each line is one vhost ioctl or IOTLB write; vmm_log
 * records them, see test_vmm.c for the exact expected lists):
 *  vmm_attach (QEMU's net_init_vhost_vdpa + vhost_dev_init):
 *      open, SET_OWNER, GET_BACKEND_FEATURES, SET_BACKEND_FEATURES (MSG_V2,
 *      BATCH and SUSPEND/RESUME/ENABLE_AFTER_DRIVER_OK/IOTLB_ASID when
 *      offered, masked by cfg.backend_features), GET_FEATURES, GET_DEVICE_ID,
 *      GET_VQS_COUNT, GET_CONFIG_SIZE, GET_VRING_NUM, GET_IOVA_RANGE,
 *      GET_CONFIG (whole config space).
 *  guest status writes: 0 -> SET_STATUS 0 (and the listener unregisters);
 *      ACKNOWLEDGE / DRIVER -> SET_STATUS; FEATURES_OK -> SET_FEATURES (the
 *      guest's features, plus ACCESS_PLATFORM when the device offers it, as
 *      QEMU forces it for vhost-vdpa), SET_STATUS, GET_STATUS (the guest
 *      sees FEATURES_OK only if the device kept it); DRIVER_OK -> the start
 *      sequence below, then SET_STATUS, GET_STATUS, SET_CONFIG_CALL and one
 *      config interrupt (QEMU's vhost_start_config_intr).
 *  start (vhost_dev_start + vhost_vdpa_dev_start): [shadow CVQ with group
 *      isolation: GET_VRING_GROUP data, GET_VRING_GROUP cvq, SET_GROUP_ASID]
 *      per enabled queue SET_VRING_NUM, SET_VRING_BASE, SET_VRING_ADDR,
 *      SET_VRING_KICK, SET_VRING_CALL; [direct kicks: mmap per data queue];
 *      SET_VRING_ENABLE 1 per queue (data queues after the control state
 *      replay when ENABLE_AFTER_DRIVER_OK was acked and there is state to
 *      replay); the listener (BATCH_BEGIN, UPDATE per region, BATCH_END;
 *      shadow CVQ memory mapped by one more UPDATE).
 *  vmm_stop_device: SUSPEND (when acked), GET_VRING_BASE per queue.
 *
 * Errors.  A failing ioctl never crashes anything: during start the device
 * is reset and the guest sees DEVICE_NEEDS_RESET with a config interrupt
 * (virtio 1.3 2.1.2), so its virtio core recovers or gives up (FAILED); a
 * refused SET_FEATURES / FEATURES_OK leaves FEATURES_OK clear (virtio 1.3
 * 3.1.1 step 6); a failed config read returns the last config seen.
 *
 * Migration seams.  Everything the VMM knows about the device model is in
 * struct vmm_dev_state (vmm_save_state / vmm_load_state).  vmm_stop_device
 * suspends the device and fetches every queue's vring base into it;
 * vmm_attach of another vhost-vdpa device (the old handle is closed) then
 * vmm_start_device replays status, features, rings (SET_VRING_BASE with the
 * saved bases) and the control state on the new device.  A guest control
 * command the old device never answered is sent again to the new one; the
 * saved control-queue base has it rolled back (QEMU's virtqueue_rewind) for
 * a VMM that starts from the state alone.  Without
 * VHOST_BACKEND_F_SUSPEND the device is reset instead and split rings
 * continue from the used index in guest memory (QEMU's fallback); packed
 * rings cannot (-EOPNOTSUPP).
 *
 * Deviations from QEMU, on purpose: guest status writes reach the device as
 * they happen (QEMU keeps its own status until vhost_dev_start), so a
 * device refusing features is guest-visible; VIRTIO_F_NOTIFICATION_DATA is
 * not offered to the guest (an eventfd cannot carry the data).
 *
 * Lifetime: the VMM needs vhost_vdpa registered on the sim (vhv_register_driver)
 * before vmm_create; it is destroyed by vmm_destroy or with the sim.  The
 * host memory must outlive it.
 */
#ifndef VDPASIM_VMM_H
#define VDPASIM_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine/engine.h"
#include "sim/mem/mem.h"
#include "sim/virtio_ring/virtio_ring.h"
#include "stack/virtio/virtio.h"

struct vmm;
struct vq_obs;

/* Queues of the largest virtio-net device (64 pairs + control queue). */
#define VMM_MAX_VQS 129
#define VMM_CONFIG_MAX 256
#define VMM_MAC_TABLE_MAX 64
#define VMM_MAX_REGIONS 32
/* User addresses (HVAs) of RAM regions start here, one region after the
 * other with a 2 MiB gap. */
#define VMM_HVA_BASE 0x7f0000000000ULL
#define VMM_HVA_GAP (2ULL << 20)

enum vmm_kick_mode {
	VMM_KICK_RELAY = 0, /* kick eventfd -> vhost_vdpa -> kick_vq */
	VMM_KICK_DIRECT,    /* doorbell page of vhv_mmap, written through cfg.doorbell */
};

/*
 * The platform's MMIO write of a direct kick: `value` (the queue index, as a
 * 16-bit virtio-pci notify) written at host-physical address pa.  0 when
 * delivered; -errno makes the VMM relay this kick instead.
 */
typedef int (*vmm_doorbell_fn)(void *ctx, uint64_t pa, uint32_t value);

struct vmm_config {
	struct mem *host;            /* host physical memory behind guest RAM */
	enum vmm_kick_mode kick_mode;
	vmm_doorbell_fn doorbell;    /* needed for VMM_KICK_DIRECT */
	void *doorbell_ctx;
	sim_time_t irq_latency_ps;   /* call eventfd -> guest interrupt (default 200 ns) */
	uint64_t feature_mask;       /* device features offered to the guest (default all) */
	uint64_t backend_features;   /* VHOST_BACKEND_F_* the VMM may ack (default all known) */
	bool no_shadow_cvq;          /* pass the control queue through (no ctrl state tracking) */
	uint64_t shadow_hpa;         /* host memory of the shadow control queue ... */
	uint64_t shadow_size;        /* ... (0: no shadow CVQ), a multiple of 4 KiB, >= 16 KiB */
	uint64_t shadow_iova;        /* its IOVA (default 1 << 40) */
	const char *name;            /* the transport's bus name (default "vmm<n>") */
};

/* Defaults: relay kicks, 200 ns injection latency, every feature and backend
 * feature, shadow CVQ off until shadow_size is given, shadow IOVA 1 << 40. */
void vmm_default_config(struct vmm_config *cfg);

/* The state of the device model as the VMM sees it (what migration moves). */
struct vmm_vq_state {
	bool ready;             /* the guest enabled the queue */
	uint32_t num;
	uint64_t desc, driver, device; /* GPAs (= IOVAs) */
	/* VHOST_{GET,SET}_VRING_BASE value: split last_avail_idx; packed
	 * avail | wrap << 15 in the low half, used | wrap << 15 in the high. */
	uint32_t base;
};

/* Control state the device acked through the shadow control queue. */
struct vmm_ctrl_state {
	bool mac_set;
	uint8_t mac[6];
	uint16_t queue_pairs;   /* 0: never set */
	uint8_t rx_set;         /* bit VIRTIO_NET_CTRL_RX_* set by the guest */
	uint8_t rx_on;          /* their values */
	bool table_set;
	uint32_t n_uc, n_mc;
	uint8_t uc[VMM_MAC_TABLE_MAX][6], mc[VMM_MAC_TABLE_MAX][6];
};

struct vmm_dev_state {
	uint8_t status;            /* guest-visible (NEEDS_RESET included) */
	uint64_t device_features;  /* offered to the guest */
	uint64_t driver_features;  /* the guest's */
	uint32_t nvqs;
	uint32_t config_len;
	uint8_t config[VMM_CONFIG_MAX]; /* the config space as last read */
	uint32_t config_generation;
	struct vmm_vq_state vq[VMM_MAX_VQS];
	struct vmm_ctrl_state ctrl;
};

/* ---- life cycle ---- */
/* -EINVAL without host memory, or a shadow area that is not page aligned;
 * -ENODEV when vhost_vdpa is not registered; -ENOMEM. */
int vmm_create(struct sim *sim, const struct vmm_config *cfg, struct vmm **out);
void vmm_destroy(struct vmm *v);

/* ---- guest memory ---- */
/* Add guest RAM [gpa, gpa + size) backed by host [hpa, hpa + size): 4 KiB
 * aligned; -EEXIST overlapping; -ENOSPC past VMM_MAX_REGIONS.  While the
 * device runs the region is mapped at once (the memory listener). */
int vmm_add_ram(struct vmm *v, uint64_t gpa, uint64_t size, uint64_t hpa);
/* -ENOENT no region at gpa; -EBUSY guest DMA memory in use inside it. */
int vmm_remove_ram(struct vmm *v, uint64_t gpa);
struct mem_guest *vmm_guest_mem(struct vmm *v);
/* User address of a guest physical address, 0 when not RAM. */
uint64_t vmm_gpa_to_hva(const struct vmm *v, uint64_t gpa);

/* ---- backend ---- */
/*
 * Open "/dev/vhost-vdpa-N" and initialise the backend (sequence above).  An
 * open handle is closed first (which resets that device).  On failure the
 * VMM has no backend.  -EBUSY while the device runs (vmm_stop_device
 * first); -E2BIG when the device has more than VMM_MAX_VQS queues;
 * -ENODEV for a device that is not virtio-net; -EOPNOTSUPP without
 * IOTLB_MSG_V2; ioctl errors.
 */
int vmm_attach(struct vmm *v, const char *path);
/* Close the handle (vhost_vdpa resets and unmaps the device). */
void vmm_detach(struct vmm *v);
/* The open vhost-vdpa handle, NULL when detached. */
struct vhv_file *vmm_vhost(const struct vmm *v);
uint64_t vmm_backend_features(const struct vmm *v);  /* acked */

/* ---- the guest's device ---- */
/* Plug the device into the guest (vio_register_device: the guest's drivers
 * probe it now).  -ENODEV without backend; -EBUSY when plugged. */
int vmm_plug(struct vmm *v);
void vmm_unplug(struct vmm *v);
struct virtio_device *vmm_virtio(struct vmm *v);
const char *vmm_name(const struct vmm *v);

/* ---- migration seams ---- */
/* Suspend the running device and read every queue's vring base into the
 * state.  -EINVAL when not running. */
int vmm_stop_device(struct vmm *v);
/* Resume a device stopped by vmm_stop_device (VHOST_VDPA_RESUME).
 * -EOPNOTSUPP without the RESUME backend feature. */
int vmm_resume_device(struct vmm *v);
/* Bring the attached device up from the state (the guest is not involved):
 * a reset when it is not at reset (the same device after a stop), status,
 * features, rings with the saved bases, DRIVER_OK, then the control state
 * replay (asynchronous: vmm_ctrl_replayed).  Resetting the device drops its
 * ring observers: attach them after this call.  -EINVAL when the state has
 * no DRIVER_OK or the device runs already; -EOPNOTSUPP when the device
 * cannot back the negotiated features or queues. */
int vmm_start_device(struct vmm *v);
bool vmm_device_running(const struct vmm *v);
/* True once a started control state replay has been acked (or none was
 * needed). */
bool vmm_ctrl_replayed(const struct vmm *v);
void vmm_save_state(const struct vmm *v, struct vmm_dev_state *out);
/* -EBUSY while the device runs; -EINVAL for nvqs beyond VMM_MAX_VQS. */
int vmm_load_state(struct vmm *v, const struct vmm_dev_state *in);

/* ---- ring observers ---- */
/* Attach a ring observer to the VMM's own device-side engine of guest queue
 * idx (the shadowed control queue).  -ENOENT when the VMM does not serve
 * that queue itself.  Kept across restarts; NULL detaches. */
int vmm_set_vq_observer(struct vmm *v, uint16_t idx, struct vq_obs *obs);
/* True when guest queue idx is served by the VMM (the shadow CVQ). */
bool vmm_vq_shadowed(const struct vmm *v, uint16_t idx);

/* ---- the ioctl log ---- */
/* One line per vhost ioctl, IOTLB write or mmap, e.g. "VHOST_SET_VRING_NUM 0 256",
 * "IOTLB_UPDATE asid=0 iova=0x0 size=0x200000 uaddr=0x7f0000000000 perm=3",
 * "mmap 1", "CVQ_REPLAY <class> <command>" for each control command the VMM
 * sends itself, with " = -22" appended on failure. */
size_t vmm_log_len(const struct vmm *v);
const char *vmm_log_at(const struct vmm *v, size_t i);
void vmm_log_clear(struct vmm *v);
/* Index of the first line at or after from starting with prefix, or -1. */
long vmm_log_find(const struct vmm *v, const char *prefix, size_t from);
size_t vmm_log_count(const struct vmm *v, const char *prefix);
void vmm_log_dump(const struct vmm *v, char *buf, size_t len);

/* Make the next `count` calls of ioctl `request` fail with err (< 0)
 * without reaching vhost_vdpa (a kernel failure). */
void vmm_inject_ioctl_fault(struct vmm *v, unsigned long request, int err, unsigned int count);

/* ---- statistics ---- */
struct vmm_stats {
	uint64_t kicks_relayed;     /* guest kicks written to a kick eventfd */
	uint64_t kicks_direct;      /* guest kicks written to a doorbell */
	uint64_t calls;             /* call eventfd signals seen */
	uint64_t irqs_injected;     /* guest queue interrupts injected */
	uint64_t config_irqs;       /* guest config interrupts injected */
	uint64_t iotlb_msgs;        /* IOTLB messages written */
	uint64_t iotlb_skipped;     /* regions outside the device's IOVA range */
	uint64_t starts, start_failures, stops;
	uint64_t cvq_cmds, cvq_ok, cvq_err, cvq_replayed;
	uint64_t device_failures;   /* NEEDS_RESET shown to the guest by the VMM */
	uint64_t pinned_bytes;      /* pinned by vhost_vdpa now */
};
void vmm_stats(const struct vmm *v, struct vmm_stats *out);
/* Per-queue kick / interrupt counters. */
uint64_t vmm_vq_kicks(const struct vmm *v, uint16_t idx);
uint64_t vmm_vq_irqs(const struct vmm *v, uint16_t idx);
/* True when the doorbell of queue idx is mapped (direct kicks in use). */
bool vmm_vq_direct(const struct vmm *v, uint16_t idx);

#endif
