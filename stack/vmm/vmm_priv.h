/* SPDX-License-Identifier: MIT */
/*
 * Private to stack/vmm/: the VMM object shared by vmm.c (life cycle, log,
 * ioctls, backend init), memory.c (guest RAM, DMA pools, user memory, the
 * IOTLB listener), transport.c (the guest's virtio transport, device start
 * and reset, kicks and interrupts), migrate.c (stop, resume, restart, the
 * saved state) and cvq.c (the shadow control queue).
 */
#ifndef VDPASIM_VMM_PRIV_H
#define VDPASIM_VMM_PRIV_H

#include "stack/vmm/vmm.h"

#include "stack/vdpa_bus/vdpa_bus.h"
#include "stack/vhost_vdpa/vhost_vdpa.h"

#define VMM_LOG_MAX 16384
#define VMM_LOG_LINE 112
#define VMM_FAULTS 8

/* Shadow control queue: ring size, command bytes (a full MAC table fits). */
#define CVQ_RING 16u
#define CVQ_CMD_MAX 2048u
#define CVQ_SEGS 16u
#define CVQ_REPLAY_MAX 10u

struct vmm_region {
	uint64_t gpa, size, hpa, hva;
	struct vio_dma_pool *pool; /* guest DMA memory inside the region */
	bool mapped;               /* UPDATE sent (listener registered) */
};

struct vmm_vq {
	struct vmm *v;
	uint16_t idx;
	struct virtqueue *gvq;     /* the guest's queue, NULL when not created */
	struct vdpa_evfd *kick;    /* the guest's notifier (ioeventfd) */
	struct vdpa_evfd *call;    /* the device's interrupt (irqfd) */
	int call_waiter;
	int kick_waiter;           /* shadow CVQ: the VMM handles the guest's kicks */
	struct vdpa_notification_area area;
	bool direct;               /* doorbell mapped for this queue */
	eng_event_id inject_ev;
	uint64_t kicks, irqs;
};

/* The shadow control queue (QEMU's shadowed CVQ). */
struct vmm_cvq {
	bool active;               /* serving the guest's control queue */
	uint16_t idx;
	/* guest-facing: the VMM is the device of the guest's control queue */
	struct vq_dev *gdev;
	struct vq_obs *obs;
	struct vq_chain chain;
	struct vq_seg seg[CVQ_SEGS];
	bool chain_held;           /* chain fetched, not answered yet */
	uint8_t gcmd[CVQ_CMD_MAX]; /* its command */
	uint32_t gcmd_len;
	/* device-facing: the VMM is the driver of a ring in its own memory */
	struct vq_drv *sdrv;
	struct vq_config scfg;
	uint64_t cmd_iova, ack_iova;
	struct vq_mem smem;        /* IOVA accessor over the shadow memory */
	struct vdpa_evfd *skick, *scall;
	int scall_waiter;
	uint32_t asid;             /* address space of the shadow memory */
	bool isolated;             /* control queue group in its own address space */
	bool busy;                 /* a command is at the device */
	bool sent_replay;          /* ... and it is one of the VMM's */
	uint8_t cmd[CVQ_CMD_MAX];  /* the command at the device */
	uint32_t cmd_len;
	eng_event_id ev;
	/* commands the VMM sends itself (state replay after a restart) */
	uint8_t replay[CVQ_REPLAY_MAX][CVQ_CMD_MAX];
	uint32_t replay_len[CVQ_REPLAY_MAX];
	unsigned int nreplay, replay_at;
	bool replay_done;
	bool enable_after;         /* data queues wait for the replay */
};

struct vmm_fault {
	unsigned long request;
	int err;
	unsigned int count;
};

struct vmm {
	struct sim *sim;
	struct vmm_config cfg;
	struct vmm_reg *reg;
	struct vmm *reg_next;
	char name[32];
	/* guest memory */
	struct mem_guest *gmem;
	struct vmm_region regions[VMM_MAX_REGIONS];
	unsigned int nregions;
	uint64_t next_hva;
	unsigned int dma_next;     /* round robin over regions */
	struct vio_dma dma;
	/* backend */
	struct vhv_file *f;
	uint64_t backend_features; /* acked */
	uint64_t dev_features;     /* VHOST_GET_FEATURES */
	uint32_t device_id;
	uint32_t dev_nvqs;
	uint32_t config_size;
	uint16_t vq_num_max;
	struct vdpa_iova_range iova_range;
	struct vdpa_evfd *config_call;
	int config_waiter;
	eng_event_id config_ev;
	bool listener;             /* the memory listener is registered */
	bool shadow_mapped;
	/* the guest's device */
	struct virtio_device vdev;
	bool plugged;
	struct vmm_vq vqs[VMM_MAX_VQS];
	bool running;              /* DRIVER_OK sent to the device */
	uint8_t dev_status;        /* what the VMM last wrote to the device */
	struct vmm_dev_state st;
	struct vmm_cvq cvq;
	/* log, faults, statistics */
	char (*log)[VMM_LOG_LINE];
	size_t nlog, log_cap;
	struct vmm_fault faults[VMM_FAULTS];
	struct vmm_stats stats;
};

/* ---- vmm.c ---- */
void vmm_logf(struct vmm *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* vhost ioctl with logging and injected faults. */
long vmm_ioctl(struct vmm *v, unsigned long req, void *arg);
/* IOTLB message (vhost_msg_v2) with logging. */
int vmm_iotlb_msg(struct vmm *v, uint32_t asid, uint8_t type, uint64_t iova, uint64_t size,
		  uint64_t uaddr, uint8_t perm);
bool vmm_has_backend(const struct vmm *v, unsigned int bit);
bool vmm_drv_feature(const struct vmm *v, unsigned int bit);
/* VHOST_VDPA_GET_CONFIG into buf (and the cached copy). */
int vmm_read_config(struct vmm *v, unsigned int off, void *buf, unsigned int len);

/* ---- memory.c ---- */
int vmm_mem_init(struct vmm *v);
void vmm_mem_free(struct vmm *v);
extern const struct vhv_user_mem_ops vmm_user_mem_ops;
/* Register / unregister the memory listener (IOTLB UPDATE / INVALIDATE). */
int vmm_listener_register(struct vmm *v);
void vmm_listener_unregister(struct vmm *v);
int vmm_shadow_map(struct vmm *v);
void vmm_shadow_unmap(struct vmm *v);

/* ---- transport.c ---- */
extern const struct virtio_config_ops vmm_config_ops;
/* Start the device (rings, listener, DRIVER_OK); on failure the device is
 * reset and the error returned. */
int vmm_dev_start(struct vmm *v);
/* Reset the device and unmap it (vhost_vdpa_reset_status), keeping the
 * guest-visible state and the guest side of the shadow control queue. */
void vmm_dev_quiesce(struct vmm *v);
/* Reset the device and forget the running state (guest reset). */
void vmm_dev_reset(struct vmm *v);
/* Show the guest a broken device: NEEDS_RESET and a config interrupt. */
void vmm_fail_device(struct vmm *v, int err);
/* Schedule the guest interrupt of queue idx. */
void vmm_inject_irq(struct vmm *v, uint16_t idx);
int vmm_setup_eventfds(struct vmm *v, uint16_t idx);
void vmm_release_eventfds(struct vmm *v, uint16_t idx);
void vmm_cancel_injections(struct vmm *v);
/* Enable the data queues held back for the replay, and kick each. */
int vmm_enable_data_queues(struct vmm *v);
/* mmap the doorbell of every data queue (direct kicks); failures relay. */
void vmm_map_doorbells(struct vmm *v);
/* Fresh vhost vring base of a queue for the negotiated ring layout. */
uint32_t vmm_fresh_base(const struct vmm *v);

/* ---- cvq.c ---- */
/* Index of the control queue when the guest negotiated one, else -1. */
int vmm_cvq_index(const struct vmm *v);
/* Prepare the shadow control queue for a start: 0, or -errno. */
int vmm_cvq_prepare(struct vmm *v);
/* Ring values the device gets for the control queue. */
void vmm_cvq_ring(const struct vmm *v, struct vmm_vq_state *out);
/* The device runs: replay the control state, then serve the guest's
 * control queue. */
void vmm_cvq_start(struct vmm *v);
/* Device stopped (suspended): finish what completed and write the
 * guest-facing vring base into the state, a command not answered yet
 * rolled back (for a VMM that starts from the state alone); the queue
 * pauses until vmm_cvq_kick (resume) or a restart. */
void vmm_cvq_stop(struct vmm *v);
/* The device goes (detach): drop the device-facing ring; the guest-facing
 * engine and a command not answered yet stay for the next device. */
void vmm_cvq_drop_device(struct vmm *v);
/* Drop everything (reset, state loaded). */
void vmm_cvq_teardown(struct vmm *v);
/* The guest kicked its control queue. */
void vmm_cvq_kick(struct vmm *v);
void vmm_cvq_free(struct vmm *v);

#endif
