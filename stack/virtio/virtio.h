/* SPDX-License-Identifier: MIT */
/*
 * The virtio core: a user-space port of the Linux virtio core with the
 * kernel's structure names (struct virtio_device, virtio_config_ops,
 * virtqueue, virtio_driver) and its call order (modelled on Linux v6.8:
 * drivers/virtio/virtio.c, virtio_ring.c, include/linux/virtio_config.h).
 * Functions carry the prefix vio_ (virtqueue_add_sgs -> vio_vq_add_sgs,
 * register_virtio_device -> vio_register_device, virtio_cread_bytes ->
 * vio_cread_bytes ...).
 *
 * Sections:
 *   1. DMA memory: the allocator a transport hands its driver (vio_dma) and a
 *      first-fit pool implementing it (vio_dma_pool)
 *   2. virtqueues: struct virtqueue over the driver-side ring engine (vq_drv)
 *   3. devices, config ops, drivers and the per-sim virtio bus
 *
 * Device life cycle (vio_register_device, then the bus probe, as the kernel):
 *   reset, ACKNOWLEDGE; for the first matching driver: DRIVER, get_features,
 *   features = driver table & device features (+ transport bits 28..41 the
 *   device offers), finalize_features, validate (finalize again if it changed
 *   the features), FEATURES_OK + re-read (-ENODEV when the device did not keep
 *   it), probe, DRIVER_OK unless probe set it, config changes enabled.  A
 *   failing step sets FAILED and leaves the device unbound.
 *
 * Memory.  The driver never touches ring or buffer memory but through the
 * transport's vio_dma accessor (explicit little-endian), with addresses that
 * are the device's view (DMA addresses: IOVA for virtio_vdpa, GPA for a guest
 * transport).
 *
 * Recovery (an addition to the kernel's core): when a config-change interrupt
 * finds DEVICE_NEEDS_RESET in the status (virtio 1.3 2.1.2: the driver resets
 * a device that asks for it), the core schedules vio_device_recover() as an
 * engine event: freeze (driver), reset, re-negotiate the same features,
 * restore (driver), DRIVER_OK - the kernel's freeze/restore path.  A driver
 * without freeze/restore is removed and probed again instead.
 *
 * Single threaded; the kernel's locks have no counterpart.  Functions return
 * 0 or a negative errno unless documented otherwise.
 */
#ifndef VDPASIM_VIRTIO_H
#define VDPASIM_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine/engine.h"
#include "sim/virtio_ring/virtio_ring.h"
#include "vdpasim/uapi.h"

struct virtio_device;
struct virtqueue;

/* ======================================================================== */
/* 1. DMA memory                                                            */
/* ======================================================================== */

/*
 * Coherent DMA memory as a transport provides it (the kernel's
 * dma_alloc_coherent on the transport's DMA device):
 *  alloc(size, align, *dma): size bytes at a DMA address aligned to align (a
 *      power of two); 0 or -ENOMEM / -EINVAL.  The memory is zeroed by
 *      vio_dma_alloc, not by the op.
 *  free(dma, size): give it back (size as allocated).
 *  mem: the CPU's access to that memory, addressed by DMA address.
 */
struct vio_dma_ops {
	int (*alloc)(void *ctx, uint64_t size, uint64_t align, uint64_t *dma);
	void (*free)(void *ctx, uint64_t dma, uint64_t size);
};

struct vio_dma {
	const struct vio_dma_ops *ops;
	void *ctx;
	struct vq_mem mem;
};

/* Allocate and zero.  -EINVAL for size 0 or a bad alignment. */
int vio_dma_alloc(const struct vio_dma *dma, uint64_t size, uint64_t align, uint64_t *addr);
void vio_dma_free(const struct vio_dma *dma, uint64_t addr, uint64_t size);
int vio_dma_read(const struct vio_dma *dma, uint64_t addr, void *dst, uint32_t len);
int vio_dma_write(const struct vio_dma *dma, uint64_t addr, const void *src, uint32_t len);

/*
 * A first-fit allocator over the address range [base, base + size).  The
 * memory behind it is `backing` (e.g. host physical memory seen through an
 * accessor, or a guest's RAM) or, with backing NULL, host memory the pool
 * allocates itself (zero-filled, seen at `base`).  Allocations are rounded
 * up to 64 bytes; free extents are kept sorted and merged.  base and size
 * must be multiples of 4096.
 */
struct vio_dma_pool;
int vio_dma_pool_create(uint64_t base, uint64_t size, const struct vq_mem *backing,
			struct vio_dma_pool **out);
void vio_dma_pool_free(struct vio_dma_pool *pool);
/* The vio_dma interface of the pool (valid while the pool lives). */
struct vio_dma *vio_dma_pool_dma(struct vio_dma_pool *pool);
/* The accessor over the pool's memory (backing, or its own host memory). */
const struct vq_mem *vio_dma_pool_mem(const struct vio_dma_pool *pool);
uint64_t vio_dma_pool_base(const struct vio_dma_pool *pool);
uint64_t vio_dma_pool_size(const struct vio_dma_pool *pool);
uint64_t vio_dma_pool_in_use(const struct vio_dma_pool *pool);

/* ======================================================================== */
/* 2. Virtqueues                                                            */
/* ======================================================================== */

typedef void (*vio_callback_t)(struct virtqueue *vq);

/*
 * One virtqueue (the kernel's struct virtqueue + vring_virtqueue).  Fields
 * other than priv are maintained by the core; read them, do not write them.
 */
struct virtqueue {
	struct virtio_device *vdev;
	unsigned int index;
	char name[32];
	vio_callback_t callback;
	void *priv;             /* the driver's */
	unsigned int num_max;   /* the device's maximum ring size */
	bool broken;
	/* private to the core */
	bool (*notify)(struct virtqueue *vq);
	struct vq_drv *drv;
	struct vq_config cfg;
	uint64_t ring_dma, ring_bytes;
	uint64_t notifies, interrupts, spurious;
	struct vq_obs *obs;
	struct virtqueue *next;
};

/*
 * vring_create_virtqueue: allocate a ring of num entries (split: a power of
 * two, else -EINVAL) in the device's DMA memory, descriptor area aligned to
 * 16 and the used ring of a split ring aligned to `align` (as vring_init
 * does), and set it up fresh.  may_reduce_num: on -ENOMEM halve num and try
 * again (down to 1).  The queue is linked into vdev's list; the core's vq
 * hook (vio_set_vq_hook) is called before it is returned.  NULL with *err.
 */
struct virtqueue *vio_vq_create(unsigned int index, uint32_t num, uint32_t align,
				struct virtio_device *vdev, bool may_reduce_num, bool ctx,
				bool (*notify)(struct virtqueue *vq), vio_callback_t callback,
				const char *name, int *err);
/* vring_del_virtqueue: unlink, free the engine and the ring memory.  Buffers
 * not detached are dropped (their tokens are not returned). */
void vio_vq_del(struct virtqueue *vq);

/*
 * virtqueue_add_sgs: sg[0 .. out) device-readable, sg[out .. out + in)
 * device-writable; data (non-NULL) comes back from vio_vq_get_buf.
 * -ENOSPC: ring full; -EIO: broken; -EINVAL.
 */
int vio_vq_add_sgs(struct virtqueue *vq, const struct vq_seg *sg, unsigned int out,
		   unsigned int in, void *data);
int vio_vq_add_outbuf(struct virtqueue *vq, const struct vq_seg *sg, unsigned int num,
		      void *data);
int vio_vq_add_inbuf(struct virtqueue *vq, const struct vq_seg *sg, unsigned int num,
		     void *data);
/* virtqueue_kick_prepare: publish, and whether the device wants a notification. */
bool vio_vq_kick_prepare(struct virtqueue *vq);
/* virtqueue_notify: call the transport's notify; false (and the queue
 * broken) if it fails. */
bool vio_vq_notify(struct virtqueue *vq);
/* virtqueue_kick: kick_prepare + notify when needed; false on a broken queue. */
bool vio_vq_kick(struct virtqueue *vq);
/* virtqueue_get_buf: the next used buffer's data and written length, or NULL. */
void *vio_vq_get_buf(struct virtqueue *vq, uint32_t *len);
void vio_vq_disable_cb(struct virtqueue *vq);
/* false when used buffers are pending (poll again), as the kernel's. */
bool vio_vq_enable_cb(struct virtqueue *vq);
bool vio_vq_enable_cb_delayed(struct virtqueue *vq);
/* virtqueue_poll-like: used buffers pending. */
bool vio_vq_more_used(struct virtqueue *vq);
/* virtqueue_detach_unused_buf: after a reset, one buffer not used, or NULL. */
void *vio_vq_detach_unused_buf(struct virtqueue *vq);
bool vio_vq_is_broken(const struct virtqueue *vq);
unsigned int vio_vq_get_vring_size(const struct virtqueue *vq);
unsigned int vio_vq_num_free(const struct virtqueue *vq);
uint64_t vio_vq_get_desc_addr(const struct virtqueue *vq);
uint64_t vio_vq_get_avail_addr(const struct virtqueue *vq);  /* driver area */
uint64_t vio_vq_get_used_addr(const struct virtqueue *vq);   /* device area */
/* Notification data (VIRTIO_F_NOTIFICATION_DATA) for kick_vq_with_data:
 * vq index in bits 0..15, next offset/wrap in 16..31. */
uint32_t vio_vq_notification_data(const struct virtqueue *vq);
/* The ring configuration (addresses, size, features) for observers. */
const struct vq_config *vio_vq_config(const struct virtqueue *vq);
/* Attach a ring observer: it sees every ring access of the driver engine and
 * each notification sent (vq_obs_notify).  NULL detaches. */
void vio_vq_set_observer(struct virtqueue *vq, struct vq_obs *obs);
/* Kicks sent (notify calls) and interrupts handled. */
uint64_t vio_vq_notifies(const struct virtqueue *vq);
uint64_t vio_vq_interrupts(const struct virtqueue *vq);
/*
 * vring_interrupt: the transport's interrupt handler for this queue.
 * VDPA_IRQ_NONE-like 0 when nothing is used (spurious), else 1 after calling
 * the driver's callback (not called on a broken queue).
 */
int vio_vq_interrupt(struct virtqueue *vq);

/* ======================================================================== */
/* 3. Devices, config ops, drivers                                          */
/* ======================================================================== */

/*
 * The transport's operations (the kernel's virtio_config_ops):
 *  get / set(offset, buf, len): device-specific config space bytes.
 *  generation: config generation counter (0 when the transport has none).
 *  get_status / set_status: device status; reset: back to status 0.
 *  find_vqs(nvqs, vqs[], callbacks[], names[], ctx[], sizes[]): create the
 *      queues; a NULL name skips an entry (vqs[i] = NULL, no index used).
 *      sizes (may be NULL, entries 0 = the device maximum) is this port's
 *      addition for the kernel's irq_affinity argument: the ring size wanted,
 *      capped to the device's maximum.
 *  del_vqs: delete every queue.
 *  get_features: the device's feature bits; finalize_features: write
 *      vdev->features to the device (0 or -errno).
 *  bus_name: the transport's name for the device (e.g. the vdpa device name).
 */
struct virtio_config_ops {
	void (*get)(struct virtio_device *vdev, unsigned int offset, void *buf, unsigned int len);
	void (*set)(struct virtio_device *vdev, unsigned int offset, const void *buf,
		    unsigned int len);
	uint32_t (*generation)(struct virtio_device *vdev);
	uint8_t (*get_status)(struct virtio_device *vdev);
	void (*set_status)(struct virtio_device *vdev, uint8_t status);
	void (*reset)(struct virtio_device *vdev);
	int (*find_vqs)(struct virtio_device *vdev, unsigned int nvqs, struct virtqueue *vqs[],
			vio_callback_t callbacks[], const char *const names[], const bool *ctx,
			const uint32_t *sizes);
	void (*del_vqs)(struct virtio_device *vdev);
	uint64_t (*get_features)(struct virtio_device *vdev);
	int (*finalize_features)(struct virtio_device *vdev);
	const char *(*bus_name)(struct virtio_device *vdev);
};

struct virtio_device_id {
	uint32_t device;
	uint32_t vendor;
};
#define VIO_DEV_ANY_ID 0xffffffffu

struct virtio_driver;

/*
 * A virtio device.  The transport fills sim, id, config and dma before
 * vio_register_device; the core owns the rest.
 */
struct virtio_device {
	struct sim *sim;
	struct virtio_device_id id;
	const struct virtio_config_ops *config;
	struct vio_dma *dma;        /* the transport's DMA memory */
	void *transport;            /* the transport's own pointer */
	/* core */
	unsigned int index;         /* lowest free, "virtio<index>" */
	char name[24];
	uint64_t features;          /* negotiated (after finalize) */
	struct virtqueue *vqs;      /* creation order */
	struct virtio_driver *driver;
	void *priv;                 /* the bound driver's */
	bool failed;
	int probe_err;              /* result of the last probe (0: bound) */
	bool config_enabled;
	bool config_change_pending;
	bool registered;
	uint64_t config_changes;    /* config interrupts seen */
	uint64_t needs_reset_seen;  /* of which with DEVICE_NEEDS_RESET */
	uint64_t recoveries;        /* completed vio_device_recover runs */
	unsigned int recover_streak; /* recoveries in quick succession */
	sim_time_t last_recover;
	bool recover_given_up;
	uint64_t config_retries;    /* config reads repeated (generation moved) */
	int last_recover_err;
	eng_event_id recover_ev;
	struct virtio_device *bus_next;
};

/*
 * A virtio driver (the kernel's struct virtio_driver).  id_table ends with an
 * entry of device 0.  feature_table lists the bits the driver knows.
 * validate may clear bits of vdev->features (the core then finalizes again).
 * freeze / restore (optional) tear down and rebuild the driver's queues
 * around a reset; the core's recovery uses them.
 */
struct virtio_driver {
	const char *name;
	const struct virtio_device_id *id_table;
	const unsigned int *feature_table;
	unsigned int feature_table_size;
	int (*validate)(struct virtio_device *vdev);
	int (*probe)(struct virtio_device *vdev);
	void (*remove)(struct virtio_device *vdev);
	void (*config_changed)(struct virtio_device *vdev);
	int (*freeze)(struct virtio_device *vdev);
	int (*restore)(struct virtio_device *vdev);
	/* private to the core */
	struct sim *sim;
	struct virtio_driver *bus_next;
};

/* Transport bits the core passes through to finalize_features (the kernel's
 * VIRTIO_TRANSPORT_F_START .. _END). */
#define VIO_TRANSPORT_F_START 28
#define VIO_TRANSPORT_F_END 42

static inline bool vio_has_feature(const struct virtio_device *vdev, unsigned int bit)
{
	return bit < 64 && (vdev->features >> bit) & 1;
}
static inline void vio_set_bit(struct virtio_device *vdev, unsigned int bit)
{
	vdev->features |= 1ULL << bit;
}
static inline void vio_clear_bit(struct virtio_device *vdev, unsigned int bit)
{
	vdev->features &= ~(1ULL << bit);
}

/*
 * vring_transport_features: clear the transport bits our rings do not
 * implement.  Kept: INDIRECT_DESC, EVENT_IDX, VERSION_1, ACCESS_PLATFORM,
 * RING_PACKED, IN_ORDER (a deviation: Linux 6.8 clears it; the ring engine
 * supports it), ORDER_PLATFORM, NOTIFICATION_DATA.  Transports call it from
 * finalize_features.
 */
void vio_transport_features(struct virtio_device *vdev);

/*
 * register_virtio_device: index, reset, ACKNOWLEDGE, then probe with the
 * first matching driver (drivers in registration order).  A probe failure is
 * not an error of registration (the device stays, FAILED, unbound), as in the
 * kernel.  -EINVAL without config ops or sim; -ENOMEM.
 */
int vio_register_device(struct virtio_device *vdev);
/* Unbind (driver remove, then ACKNOWLEDGE again) and unlink. */
void vio_unregister_device(struct virtio_device *vdev);

/* register_virtio_driver: binds every unbound matching device.  -EINVAL
 * without name, probe or id table (or a table size without table);
 * -EEXIST for a second driver of that name. */
int vio_register_driver(struct sim *sim, struct virtio_driver *drv);
void vio_unregister_driver(struct virtio_driver *drv);

/* Create the sim's virtio bus now (0 or -ENOMEM).  A component registering
 * drivers or devices calls it before attaching itself to the sim, so that the
 * bus outlives it (eng_attach destructors run in reverse order). */
int vio_bus_init(struct sim *sim);

/* Devices in registration order; NULL after the last (pass NULL to start). */
struct virtio_device *vio_next_device(struct sim *sim, struct virtio_device *prev);

/* Called for each virtqueue right after it is created, before any buffer is
 * added (tests attach ring observers here).  fn NULL removes the hook. */
void vio_set_vq_hook(struct sim *sim, void (*fn)(void *ctx, struct virtqueue *vq), void *ctx);

/* ---- status and config helpers (virtio_config.h) ---- */
void vio_add_status(struct virtio_device *vdev, uint8_t status);
uint8_t vio_get_status(struct virtio_device *vdev);
/* virtio_reset_device. */
void vio_reset_device(struct virtio_device *vdev);
/* virtio_device_ready: DRIVER_OK (after queues are set up). */
void vio_device_ready(struct virtio_device *vdev);
/* virtio_break_device: every queue reports broken from now on. */
void vio_break_device(struct virtio_device *vdev);

/*
 * virtio_cread_bytes: read len bytes of config at offset, re-reading while
 * the generation changes (virtio 1.3 2.5.1).  -EAGAIN after
 * VIO_CONFIG_READ_TRIES unsettled rounds (the kernel loops forever).
 */
#define VIO_CONFIG_READ_TRIES 64
#define VIO_RECOVER_WINDOW_PS ENG_MS(1)
#define VIO_RECOVER_STREAK_MAX 4
int vio_cread_bytes(struct virtio_device *vdev, unsigned int offset, void *buf, unsigned int len);
/* virtio_cread8/16/32: one access, little-endian (no generation loop, as the
 * kernel for sizes up to 4); cread64 loops like cread_bytes. */
uint8_t vio_cread8(struct virtio_device *vdev, unsigned int offset);
uint16_t vio_cread16(struct virtio_device *vdev, unsigned int offset);
uint32_t vio_cread32(struct virtio_device *vdev, unsigned int offset);
int vio_cread64(struct virtio_device *vdev, unsigned int offset, uint64_t *val);
void vio_cwrite8(struct virtio_device *vdev, unsigned int offset, uint8_t val);
void vio_cwrite16(struct virtio_device *vdev, unsigned int offset, uint16_t val);
void vio_cwrite32(struct virtio_device *vdev, unsigned int offset, uint32_t val);
/* Config reads that retried because the generation moved. */
uint64_t vio_config_retries(const struct virtio_device *vdev);

/*
 * virtio_config_changed: the transport's config interrupt.  Counted; with
 * DEVICE_NEEDS_RESET in the status a recovery is scheduled (once); then the
 * driver's config_changed runs (or is remembered while config changes are
 * disabled, and delivered when they are enabled).
 */
void vio_config_changed(struct virtio_device *vdev);
void vio_config_enable(struct virtio_device *vdev);
void vio_config_disable(struct virtio_device *vdev);

/*
 * Reset and re-initialise a bound device now: config disabled, driver
 * freeze, reset, ACKNOWLEDGE | DRIVER, finalize_features with the features
 * negotiated before, FEATURES_OK check, driver restore, DRIVER_OK, config
 * enabled.  Without freeze/restore: remove, reset and a fresh probe.  On
 * failure FAILED is set and the error returned (also in last_recover_err).
 */
int vio_device_recover(struct virtio_device *vdev);
/* virtio_device_freeze / virtio_device_restore (the PM path it is built of). */
int vio_device_freeze(struct virtio_device *vdev);
int vio_device_restore(struct virtio_device *vdev);

#endif
