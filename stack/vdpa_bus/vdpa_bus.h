/* SPDX-License-Identifier: MIT */
/*
 * The vdpa bus: a user-space port of the Linux vDPA core with the kernel's
 * names, call order, validation order and errno (modelled on Linux v6.8:
 * include/linux/vdpa.h, drivers/vdpa/vdpa.c, drivers/vhost/iotlb.c).
 *
 * Sections of this interface:
 *   1. config ops types: vdpa_callback, vdpa_vq_state, vdpa_config_ops
 *   2. vdpa_device / vdpa_driver and bus matching (driver_override)
 *   3. config-space helpers (vdpa_get_config, vdpa_set_features, ...)
 *   4. management devices and the `vdpa` tool verbs (structured + text)
 *   5. vdpa_iotlb: the vhost_iotlb interval set handed to set_map
 *   6. simulated file descriptors and eventfd objects (kick/call/config)
 *
 * One bus per struct sim (vdpa_bus_get() creates it and hangs it off the sim
 * with eng_attach); nothing here is global.  Everything is single threaded:
 * the kernel's cf_lock and bus locks have no counterpart.
 *
 * A parent (vendor) driver plugs in like this (see stack/vdpa_testdev for a
 * complete one):
 *
 *     struct my_vf { struct vdpa_device vdpa; ... };      vdpa first
 *     static const struct vdpa_config_ops my_ops = { ... };
 *
 *     static int my_dev_add(struct vdpa_mgmt_dev *m, const char *name,
 *                           const struct vdpa_dev_set_config *cfg)
 *     {
 *             int err;
 *             struct my_vf *vf = vdpa_alloc_device(struct my_vf, vdpa, m->sim,
 *                                                  &my_ops, 1, 1, name, false, &err);
 *             if (!vf)
 *                     return err;
 *             (check cfg->device_features against what the hardware offers: -EINVAL)
 *             vf->vdpa.dma_dev = &my_dma_dev;      platform IOMMU glue, if no set_map/dma_map
 *             vf->vdpa.mdev = m;
 *             err = _vdpa_register_device(&vf->vdpa, nvqs);
 *             if (err)
 *                     vdpa_put_device(&vf->vdpa);
 *             return err;
 *     }
 *     dev_del: _vdpa_unregister_device(dev);
 *     registration: vdpa_mgmtdev_register(sim, &m) with bus_name "pci",
 *     dev_name "0000:01:00.0", id_table {VIRTIO_ID_NET}, config_attr_mask, ...
 *
 * Its interrupt handler calls the callback installed by set_vq_cb:
 * cb.callback(cb.private) (vhost_vdpa then signals the VMM's call eventfd).
 *
 * Lifetime: the bus is attached to the sim the first time anything asks for
 * it, so it is destroyed after every component that registered with it later
 * (eng_attach destructors run in reverse order).  A component that registers
 * drivers, management devices or devices must undo that in its own destructor.
 */
#ifndef VDPASIM_VDPA_BUS_H
#define VDPASIM_VDPA_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdpasim/uapi.h"

struct sim;
struct vdpa_bus;
struct vdpa_device;
struct vdpa_iotlb;
struct vdpa_evfd;
struct vdpa_mgmt_dev;

#define VDPA_NAME_MAX 64 /* device and management device names, with NUL */

/* ======================================================================== */
/* 1. Types used by the config ops                                          */
/* ======================================================================== */

/* Return values of interrupt callbacks (the kernel's irqreturn_t). */
#define VDPA_IRQ_NONE 0
#define VDPA_IRQ_HANDLED 1

/*
 * Interrupt callback a vdpa driver (vhost_vdpa, virtio_vdpa) installs with
 * set_vq_cb / set_config_cb.  The parent calls callback(private) when the
 * device raises the queue's (or config) interrupt.  `trigger`, when not NULL,
 * is the eventfd the callback would signal: a parent may signal it directly
 * instead of calling the callback (the kernel's irq-bypass style shortcut).
 */
struct vdpa_callback {
	int (*callback)(void *private);
	void *private;
	struct vdpa_evfd *trigger;
};

/* Doorbell of one virtqueue: a host-physical MMIO address and its size. */
struct vdpa_notification_area {
	uint64_t addr;
	uint64_t size;
};

/* Split ring state: the next available index the device will read. */
struct vdpa_vq_state_split {
	uint16_t avail_index;
};

/*
 * Packed ring state.  Counters are 0 or 1; indexes are 15-bit (0..0x7fff).
 * The kernel uses bitfields; here they are plain fields with those ranges.
 */
struct vdpa_vq_state_packed {
	uint16_t last_avail_counter;
	uint16_t last_avail_idx;
	uint16_t last_used_counter;
	uint16_t last_used_idx;
};

struct vdpa_vq_state {
	union {
		struct vdpa_vq_state_split split;
		struct vdpa_vq_state_packed packed;
	};
};

struct vdpa_iova_range {
	uint64_t first;
	uint64_t last;
};

/* Provisioning attributes of `vdpa dev add` (mask: 1ULL << VDPA_ATTR_*). */
struct vdpa_dev_set_config {
	uint64_t device_features;
	struct {
		uint8_t mac[6];
		uint16_t mtu;
		uint16_t max_vq_pairs;
	} net;
	uint64_t mask;
};

/* Attributes of this mask are the "network" ones of `vdpa dev add`. */
#define VDPA_DEV_NET_ATTRS_MASK                                                            \
	((1ULL << VDPA_ATTR_DEV_NET_CFG_MACADDR) | (1ULL << VDPA_ATTR_DEV_NET_CFG_MTU) |  \
	 (1ULL << VDPA_ATTR_DEV_NET_CFG_MAX_VQP))

/* Vendor statistics of one queue (`vdpa dev vstats show`): name/value pairs. */
#define VDPA_VSTATS_MAX 16
struct vdpa_vendor_vq_stats {
	unsigned int n;
	struct {
		char name[32];
		uint64_t value;
	} attr[VDPA_VSTATS_MAX];
};

/* compat_reset flag: also drop the device's IOTLB mappings (legacy reset). */
#define VDPA_RESET_F_CLEAN_MAP 1

/*
 * The operations a parent (vendor) driver implements.  Names, arguments and
 * meaning are the kernel's.  Ops marked optional may be NULL; all others are
 * required (vdpa_alloc_device does not check them all, as in the kernel).
 *
 * Virtqueue ops
 *  set_vq_address(idx, desc, driver, device): ring area addresses (IOVA);
 *      0 or -errno.
 *  set_vq_num(idx, num): ring size.
 *  kick_vq(idx): driver notification for queue idx.
 *  kick_vq_with_data(data) (optional): notification with VIRTIO_F_NOTIFICATION_DATA
 *      payload (vq index in bits 0..15, next offset/wrap in 16..31).
 *  set_vq_cb(idx, cb): install the queue interrupt callback (cb->callback
 *      NULL removes it).
 *  set_vq_ready(idx, ready) / get_vq_ready(idx).
 *  set_vq_state(idx, state) / get_vq_state(idx, state): 0 or -errno.
 *  get_vendor_vq_stats(idx, out) (optional): 0 or -errno.
 *  get_vq_notification(idx) (optional): the queue's doorbell area.
 *  get_vq_irq(idx) (optional): host irq of the queue or a negative value.
 *
 * Device ops
 *  get_vq_align: ring alignment.
 *  get_vq_group(idx) (optional): group of queue idx (< ngroups).
 *  get_vq_desc_group(idx) (optional): group of queue idx's descriptor table.
 *  get_device_features: offered feature bits.
 *  get_backend_features (optional): VHOST_BACKEND_F_* the parent adds
 *      (e.g. ENABLE_AFTER_DRIVER_OK, IOTLB_PERSIST).
 *  set_driver_features(features): 0 or -errno (the parent decides what it
 *      refuses); get_driver_features: the features in effect.
 *  set_config_cb(cb): config-change interrupt callback.
 *  get_vq_num_max / get_vq_num_min (optional, default 1).
 *  get_device_id (VIRTIO_ID_*), get_vendor_id.
 *  get_status / set_status(status): virtio device status; set_status is never
 *      called with 0: resets go through reset (vdpa_reset).
 *  reset: 0 or -errno.  compat_reset(flags) (optional): reset honouring
 *      VDPA_RESET_F_CLEAN_MAP.
 *  suspend / resume (optional): stop / restart processing descriptors.
 *  get_config_size, get_config(off, buf, len), set_config(off, buf, len).
 *  get_generation (optional): config generation counter.
 *  get_iova_range (optional): usable IOVA range.
 *  set_group_asid(group, asid) (optional): 0 or -errno.
 *
 * DMA ops (a parent with its own translation implements set_map, or
 * dma_map+dma_unmap; with neither, vhost_vdpa programs the platform IOMMU
 * through vdpa_device.dma_dev)
 *  set_map(asid, iotlb) (optional): replace the whole mapping of asid.
 *  dma_map(asid, iova, size, pa, perm, opaque) / dma_unmap(asid, iova, size)
 *      (optional, both or neither): incremental map; perm is VHOST_ACCESS_*.
 *  reset_map(asid) (optional): restore the parent's initial mapping of asid.
 *
 *  free (optional): release parent resources when the device is released.
 */
struct vdpa_config_ops {
	/* Virtqueue ops */
	int (*set_vq_address)(struct vdpa_device *vdev, uint16_t idx, uint64_t desc_area,
			      uint64_t driver_area, uint64_t device_area);
	void (*set_vq_num)(struct vdpa_device *vdev, uint16_t idx, uint32_t num);
	void (*kick_vq)(struct vdpa_device *vdev, uint16_t idx);
	void (*kick_vq_with_data)(struct vdpa_device *vdev, uint32_t data);
	void (*set_vq_cb)(struct vdpa_device *vdev, uint16_t idx, struct vdpa_callback *cb);
	void (*set_vq_ready)(struct vdpa_device *vdev, uint16_t idx, bool ready);
	bool (*get_vq_ready)(struct vdpa_device *vdev, uint16_t idx);
	int (*set_vq_state)(struct vdpa_device *vdev, uint16_t idx,
			    const struct vdpa_vq_state *state);
	int (*get_vq_state)(struct vdpa_device *vdev, uint16_t idx, struct vdpa_vq_state *state);
	int (*get_vendor_vq_stats)(struct vdpa_device *vdev, uint16_t idx,
				   struct vdpa_vendor_vq_stats *out);
	struct vdpa_notification_area (*get_vq_notification)(struct vdpa_device *vdev,
							     uint16_t idx);
	int (*get_vq_irq)(struct vdpa_device *vdev, uint16_t idx);

	/* Device ops */
	uint32_t (*get_vq_align)(struct vdpa_device *vdev);
	uint32_t (*get_vq_group)(struct vdpa_device *vdev, uint16_t idx);
	uint32_t (*get_vq_desc_group)(struct vdpa_device *vdev, uint16_t idx);
	uint64_t (*get_device_features)(struct vdpa_device *vdev);
	uint64_t (*get_backend_features)(const struct vdpa_device *vdev);
	int (*set_driver_features)(struct vdpa_device *vdev, uint64_t features);
	uint64_t (*get_driver_features)(struct vdpa_device *vdev);
	void (*set_config_cb)(struct vdpa_device *vdev, struct vdpa_callback *cb);
	uint16_t (*get_vq_num_max)(struct vdpa_device *vdev);
	uint16_t (*get_vq_num_min)(struct vdpa_device *vdev);
	uint32_t (*get_device_id)(struct vdpa_device *vdev);
	uint32_t (*get_vendor_id)(struct vdpa_device *vdev);
	uint8_t (*get_status)(struct vdpa_device *vdev);
	void (*set_status)(struct vdpa_device *vdev, uint8_t status);
	int (*reset)(struct vdpa_device *vdev);
	int (*compat_reset)(struct vdpa_device *vdev, uint32_t flags);
	int (*suspend)(struct vdpa_device *vdev);
	int (*resume)(struct vdpa_device *vdev);
	size_t (*get_config_size)(struct vdpa_device *vdev);
	void (*get_config)(struct vdpa_device *vdev, unsigned int offset, void *buf,
			   unsigned int len);
	void (*set_config)(struct vdpa_device *vdev, unsigned int offset, const void *buf,
			   unsigned int len);
	uint32_t (*get_generation)(struct vdpa_device *vdev);
	struct vdpa_iova_range (*get_iova_range)(struct vdpa_device *vdev);
	int (*set_group_asid)(struct vdpa_device *vdev, unsigned int group, unsigned int asid);

	/* DMA ops */
	int (*set_map)(struct vdpa_device *vdev, unsigned int asid, struct vdpa_iotlb *iotlb);
	int (*dma_map)(struct vdpa_device *vdev, unsigned int asid, uint64_t iova, uint64_t size,
		       uint64_t pa, uint32_t perm, void *opaque);
	int (*dma_unmap)(struct vdpa_device *vdev, unsigned int asid, uint64_t iova,
			 uint64_t size);
	int (*reset_map)(struct vdpa_device *vdev, unsigned int asid);

	/* Free device resources */
	void (*free)(struct vdpa_device *vdev);
};

/*
 * Platform IOMMU access for parents without set_map/dma_map (the IFCVF case):
 * vhost_vdpa allocates a domain for the device's DMA device, attaches it and
 * maps the IOTLB into it, like iommu_domain_alloc/attach/map/unmap.
 *   domain_alloc: allocate and attach; 0 or -errno (-EIO: no domain).
 *   domain_free: detach and free.
 *   map(iova, pa, size, perm): perm is VHOST_ACCESS_*; 0 or -errno.
 *   unmap(iova, size): returns bytes unmapped.
 *   aperture: true with the domain's forced aperture, false without one.
 * coherent=false makes open fail with -ENOTSUPP (no cache-coherent IOMMU).
 */
struct vdpa_iommu_ops {
	int (*domain_alloc)(void *ctx, void **domain);
	void (*domain_free)(void *ctx, void *domain);
	int (*map)(void *ctx, void *domain, uint64_t iova, uint64_t pa, uint64_t size,
		   uint32_t perm);
	uint64_t (*unmap)(void *ctx, void *domain, uint64_t iova, uint64_t size);
	bool (*aperture)(void *ctx, void *domain, uint64_t *first, uint64_t *last);
};

/* The device that performs DMA for a vdpa device (the kernel's dma_dev). */
struct vdpa_dma_dev {
	const struct vdpa_iommu_ops *iommu; /* NULL: not behind an IOMMU */
	void *ctx;
	bool coherent;
};

/* ======================================================================== */
/* 2. Devices, drivers, bus                                                 */
/* ======================================================================== */

/*
 * A vDPA device.  A parent embeds it as the FIRST member of its own struct
 * and allocates with vdpa_alloc_device().  Fields marked "bus" are maintained
 * by the bus; parents set dma_dev and mdev before registering.
 */
struct vdpa_device {
	struct sim *sim;                      /* bus: the simulation it lives in */
	struct vdpa_bus *bus;                 /* bus */
	char name[VDPA_NAME_MAX];             /* bus: "vdpa%u" unless named */
	const struct vdpa_config_ops *config; /* bus: the parent's ops */
	unsigned int index;                   /* bus: lowest free index */
	bool use_va;                          /* maps carry user VAs, not PAs */
	uint32_t ngroups;                     /* virtqueue groups */
	uint32_t nas;                         /* address spaces */
	uint32_t nvqs;                        /* bus: set at registration */
	bool features_valid;                  /* bus: set_features done since reset */
	char *driver_override;                /* bus: see vdpa_dev_set_driver_override */
	struct vdpa_driver *driver;           /* bus: bound driver or NULL */
	void *drvdata;                        /* the bound driver's data */
	struct vdpa_dma_dev *dma_dev;         /* parent: the DMA device (platform IOMMU) */
	struct vdpa_mgmt_dev *mdev;           /* parent: set in dev_add before registering */
	/* private to the bus */
	bool registered;
	int probe_err;
	struct vdpa_device *bus_next;
};

/*
 * Allocate a zeroed parent struct of `size` bytes whose first member is the
 * vdpa_device, like __vdpa_alloc_device.  name NULL gives "vdpa<index>".
 * Errors (NULL + *err): -EINVAL for no ops, dma_map without dma_unmap (or the
 * reverse), use_va without set_map/dma_map, or a name too long; -ENOMEM.
 */
struct vdpa_device *__vdpa_alloc_device(struct sim *sim, const struct vdpa_config_ops *config,
					unsigned int ngroups, unsigned int nas, size_t size,
					const char *name, bool use_va, int *err);

#define vdpa_alloc_device(dev_struct, member, sim, config, ngroups, nas, name, use_va, err)  \
	((dev_struct *)__vdpa_alloc_device((sim), (config), (ngroups), (nas),               \
					   sizeof(dev_struct) +                              \
						   0 * sizeof(char[offsetof(dev_struct, member) \
									== 0 ? 1 : -1]),      \
					   (name), (use_va), (err)))

/* Drop a device that was never registered (the kernel's put_device):
 * calls ops->free and frees the parent struct. */
void vdpa_put_device(struct vdpa_device *vdev);

/*
 * Register with nvqs virtqueues; probes drivers (unless autoprobe is off).
 * -EEXIST when a device of that name is registered, -EINVAL for nvqs 0.
 * The _ variants are the ones dev_add/dev_del use (they require vdev->mdev).
 * Unregister unbinds the driver, then releases the device (ops->free, then
 * the memory): the pointer is dead afterwards.
 */
int vdpa_register_device(struct vdpa_device *vdev, uint32_t nvqs);
int _vdpa_register_device(struct vdpa_device *vdev, uint32_t nvqs);
void vdpa_unregister_device(struct vdpa_device *vdev);
void _vdpa_unregister_device(struct vdpa_device *vdev);

static inline void *vdpa_get_drvdata(const struct vdpa_device *vdev)
{
	return vdev->drvdata;
}
static inline void vdpa_set_drvdata(struct vdpa_device *vdev, void *data)
{
	vdev->drvdata = data;
}
static inline struct vdpa_dma_dev *vdpa_get_dma_dev(struct vdpa_device *vdev)
{
	return vdev->dma_dev;
}

/*
 * A vdpa bus driver (vhost_vdpa, virtio_vdpa).  probe returns 0 to bind or
 * -errno; remove is called on unbind.  The name is what driver_override
 * selects.
 */
struct vdpa_driver {
	const char *name;
	int (*probe)(struct vdpa_device *vdev);
	void (*remove)(struct vdpa_device *vdev);
	/* private to the bus */
	struct vdpa_bus *bus;
	struct vdpa_driver *bus_next;
};

/* The sim's bus, created and attached on first use; NULL on -ENOMEM. */
struct vdpa_bus *vdpa_bus_get(struct sim *sim);

/* Register a driver: it binds every unbound device it matches.  -EEXIST for
 * a second driver of the same name, -EINVAL without name or probe. */
int vdpa_register_driver(struct sim *sim, struct vdpa_driver *drv);
/* Unbind it from all its devices and remove it. */
void vdpa_unregister_driver(struct vdpa_driver *drv);

/*
 * Matching, as the kernel's vdpa_dev_match: with driver_override set only the
 * named driver matches, otherwise every driver does; probing tries drivers in
 * registration order and binds the first whose probe succeeds.  A device is
 * probed only if get_vq_num_max >= get_vq_num_min (else -EINVAL).
 */
bool vdpa_dev_match(const struct vdpa_device *vdev, const struct vdpa_driver *drv);

/* sysfs driver_override: NULL, "" or "\n" clears; a trailing newline is
 * dropped; longer than 4095 bytes: -EINVAL.  Does not rebind by itself. */
int vdpa_dev_set_driver_override(struct vdpa_device *vdev, const char *name);
/* sysfs bind: -ENODEV unless drv matches, -EBUSY when already bound,
 * else the probe's result. */
int vdpa_driver_bind(struct vdpa_driver *drv, struct vdpa_device *vdev);
/* sysfs unbind: detach the bound driver (no-op when unbound). */
void vdpa_device_release_driver(struct vdpa_device *vdev);
/* sysfs drivers_probe: probe an unbound device (probe failures are not
 * reported, as in the kernel: check vdev->driver afterwards).  -ENODEV for
 * a device that is not registered, else 0. */
int vdpa_bus_probe_device(struct vdpa_device *vdev);
/* sysfs drivers_autoprobe (default on). */
void vdpa_bus_set_autoprobe(struct sim *sim, bool on);

struct vdpa_device *vdpa_find_device(struct sim *sim, const char *name);
/* Devices in registration order; NULL after the last.  Pass NULL to start. */
struct vdpa_device *vdpa_next_device(struct sim *sim, struct vdpa_device *prev);

/* ======================================================================== */
/* 3. Config-space and status helpers (the kernel's vdpa.h inlines)         */
/* ======================================================================== */

/* Clears features_valid, then compat_reset(flags) if the parent has it and
 * flags != 0, else reset.  Returns the op's result. */
int vdpa_reset(struct vdpa_device *vdev, uint32_t flags);
/* Sets features_valid, then set_driver_features; returns its result. */
int vdpa_set_features(struct vdpa_device *vdev, uint64_t features);
int vdpa_set_features_unlocked(struct vdpa_device *vdev, uint64_t features);
void vdpa_set_status(struct vdpa_device *vdev, uint8_t status);
/*
 * One config read.  If features were not set since reset, the reader is a
 * legacy driver: set_driver_features(0) first (kernel behaviour).
 */
void vdpa_get_config(struct vdpa_device *vdev, unsigned int offset, void *buf,
		     unsigned int len);
void vdpa_get_config_unlocked(struct vdpa_device *vdev, unsigned int offset, void *buf,
			      unsigned int len);
void vdpa_set_config(struct vdpa_device *vdev, unsigned int offset, const void *buf,
		     unsigned int length);

/*
 * A consistent config read (virtio 1.3 4.1.4.3.2 / 2.5.1: re-read while the
 * config generation changes), the loop the virtio core wraps around
 * vdpa_get_config: generation, read, generation; repeat until both
 * generations agree.  Without get_generation the generation is 0 (one read).
 * Bounded at VDPA_CONFIG_READ_TRIES reads: -EAGAIN if it never settles.
 * *retries (may be NULL) receives the number of extra reads.
 */
#define VDPA_CONFIG_READ_TRIES 64
int vdpa_get_config_stable(struct vdpa_device *vdev, unsigned int offset, void *buf,
			   unsigned int len, unsigned int *retries);

/*
 * The virtio core's FEATURES_OK step for a driver on top of the bus (virtio
 * 1.3 3.1.1 step 5-6): without VERSION_1 nothing to do; otherwise add
 * FEATURES_OK to the status and re-read it; -ENODEV if the device refused.
 */
int vdpa_features_ok(struct vdpa_device *vdev);

/* ======================================================================== */
/* 4. Management devices and the `vdpa` tool                                */
/* ======================================================================== */

/* Device ids a management device can create (the kernel's virtio_device_id),
 * terminated by an entry with device 0. */
struct vdpa_virtio_device_id {
	uint32_t device;
	uint32_t vendor;
};

struct vdpa_mgmtdev_ops {
	/* Create a device: vdpa_alloc_device, set vdev->mdev, then
	 * _vdpa_register_device.  0 or -errno. */
	int (*dev_add)(struct vdpa_mgmt_dev *mdev, const char *name,
		       const struct vdpa_dev_set_config *config);
	/* Remove a device it created with _vdpa_unregister_device. */
	void (*dev_del)(struct vdpa_mgmt_dev *mdev, struct vdpa_device *dev);
};

/*
 * A management device: the parent that `vdpa dev add` asks to create
 * devices.  Its handle is "bus_name/dev_name" (e.g. "pci/0000:01:00.0") or
 * just dev_name (e.g. "vdpasim_net") when bus_name is NULL.
 * config_attr_mask: the provisioning attributes dev_add accepts
 * (1ULL << VDPA_ATTR_DEV_NET_CFG_MACADDR, ..._MTU, ..._MAX_VQP, VDPA_ATTR_DEV_FEATURES).
 */
struct vdpa_mgmt_dev {
	const char *bus_name;
	const char *dev_name;
	const struct vdpa_mgmtdev_ops *ops;
	const struct vdpa_virtio_device_id *id_table;
	uint64_t config_attr_mask;
	uint64_t supported_features;
	uint32_t max_supported_vqs;
	void *priv; /* for the parent */
	/* private to the bus */
	struct sim *sim;
	struct vdpa_mgmt_dev *bus_next;
};

/* -EINVAL without dev_name, ops, dev_add or dev_del; -EEXIST for a handle
 * already registered. */
int vdpa_mgmtdev_register(struct sim *sim, struct vdpa_mgmt_dev *mdev);
/* Deletes (dev_del) every device it created, then removes it. */
void vdpa_mgmtdev_unregister(struct vdpa_mgmt_dev *mdev);

/* Netlink's extended ack: the error message that goes with an errno. */
struct vdpa_extack {
	char msg[160];
};

/* Structured results of the netlink commands (VDPA_CMD_*). */
struct vdpa_mgmtdev_info {
	char handle[2 * VDPA_NAME_MAX];
	uint64_t supported_classes; /* 1ULL << VIRTIO_ID_* */
	uint32_t max_supported_vqs;
	uint64_t supported_features;
};

struct vdpa_dev_info {
	char name[VDPA_NAME_MAX];
	char mgmtdev[2 * VDPA_NAME_MAX]; /* "" for a device without mgmtdev */
	uint32_t device_id;
	uint32_t vendor_id;
	uint32_t max_vqs;
	uint16_t max_vq_size;
	bool has_min_vq_size;
	uint16_t min_vq_size;
};

struct vdpa_dev_config_info {
	char name[VDPA_NAME_MAX];
	uint32_t device_id;
	uint64_t dev_features; /* VDPA_ATTR_VDPA_DEV_SUPPORTED_FEATURES */
	bool has_negotiated;   /* only once FEATURES_OK is set */
	uint64_t negotiated_features;
	bool has_mac, has_status, has_max_vqp, has_mtu;
	uint8_t mac[6];
	uint16_t status;
	uint16_t max_vqp;
	uint16_t mtu;
};

struct vdpa_dev_vstats_info {
	char name[VDPA_NAME_MAX];
	uint32_t device_id;
	uint64_t negotiated_features;
	bool has_max_vqp;
	uint16_t max_vqp;
	uint32_t queue_index;
	struct vdpa_vendor_vq_stats stats;
};

/*
 * VDPA_CMD_DEV_NEW with the kernel's validation order:
 *  no name -EINVAL; max_vqp 0 -EINVAL; device_features lacking MAC/MTU/MQ for
 *  the given mac/mtu/max_vqp>1 -EINVAL; no mgmtdev handle -EINVAL; unknown
 *  mgmtdev -ENODEV; attributes outside config_attr_mask -EOPNOTSUPP; network
 *  attributes on a mgmtdev without the net class -EINVAL; then dev_add's own
 *  result (parents: provisioned device_features not a subset of what they
 *  support -EINVAL; a duplicate name -EEXIST from registration).
 * config->mask says which attributes were given.
 */
int vdpa_nl_dev_add(struct sim *sim, const char *name, const char *mgmtdev,
		    const struct vdpa_dev_set_config *config, struct vdpa_extack *ext);
/* VDPA_CMD_DEV_DEL: -EINVAL no name; -ENODEV unknown; -EINVAL for a device
 * not created through a management device. */
int vdpa_nl_dev_del(struct sim *sim, const char *name, struct vdpa_extack *ext);
/* VDPA_CMD_MGMTDEV_GET: handle NULL dumps all (up to max entries, *n set);
 * -ENODEV for an unknown handle. */
int vdpa_nl_mgmtdev_get(struct sim *sim, const char *handle, struct vdpa_mgmtdev_info *out,
			size_t max, size_t *n, struct vdpa_extack *ext);
/* VDPA_CMD_DEV_GET: name NULL dumps all; -ENODEV for an unknown name. */
int vdpa_nl_dev_get(struct sim *sim, const char *name, struct vdpa_dev_info *out, size_t max,
		    size_t *n, struct vdpa_extack *ext);
/* VDPA_CMD_DEV_CONFIG_GET: -ENODEV unknown; -EINVAL without mgmtdev;
 * -EOPNOTSUPP for a device class other than net. */
int vdpa_nl_dev_config_get(struct sim *sim, const char *name, struct vdpa_dev_config_info *out,
			   struct vdpa_extack *ext);
/* VDPA_CMD_DEV_VSTATS_GET: -EINVAL no name or no queue index; -ENODEV
 * unknown; -EINVAL without mgmtdev; -EOPNOTSUPP without get_vendor_vq_stats
 * or not net; -EAGAIN before FEATURES_OK; then the parent's result. */
int vdpa_nl_dev_vstats_get(struct sim *sim, const char *name, bool has_qidx, uint32_t qidx,
			   struct vdpa_dev_vstats_info *out, struct vdpa_extack *ext);

/* iproute2-style names of feature bits ("MAC", "VERSION_1", "bit_42"). */
const char *vdpa_feature_name(uint32_t device_id, unsigned int bit, char *buf, size_t len);

/* A parsed `vdpa` command line. */
enum vdpa_tool_verb {
	VDPA_TOOL_MGMTDEV_SHOW = 1,
	VDPA_TOOL_DEV_SHOW,
	VDPA_TOOL_DEV_ADD,
	VDPA_TOOL_DEV_DEL,
	VDPA_TOOL_DEV_CONFIG_SHOW,
	VDPA_TOOL_DEV_VSTATS_SHOW,
};

struct vdpa_tool_cmd {
	enum vdpa_tool_verb verb;
	bool has_name;
	char name[VDPA_NAME_MAX]; /* device (or mgmtdev handle for MGMTDEV_SHOW) */
	bool has_mgmtdev;
	char mgmtdev[2 * VDPA_NAME_MAX];
	struct vdpa_dev_set_config config; /* dev add attributes, mask as given */
	bool has_qidx;
	uint32_t qidx;
};

/*
 * Parse "vdpa dev add name vdpa0 mgmtdev pci/0000:01:00.0 mac 00:11:22:33:44:55
 * max_vqp 4 mtu 9000 device_features 0x300000020" (the leading "vdpa" is
 * optional; "list" is "show"; device_features is hex, as in iproute2).
 * 0 or -EINVAL with a message in err (may be NULL).
 */
int vdpa_tool_parse(const char *cmdline, struct vdpa_tool_cmd *cmd, char *err, size_t errlen);
/* Run a parsed command: the kernel's errno, and the tool's text (stdout,
 * plus "Error: ..." / "kernel answers: ..." lines on failure) in out. */
int vdpa_tool_exec(struct sim *sim, const struct vdpa_tool_cmd *cmd, char *out, size_t outlen);
/* parse + exec. */
int vdpa_tool(struct sim *sim, const char *cmdline, char *out, size_t outlen);

/* ======================================================================== */
/* 5. vdpa_iotlb: the kernel's vhost_iotlb                                  */
/* ======================================================================== */

/*
 * A set of [start, last] -> addr mappings with VHOST_ACCESS_* permissions,
 * sorted by start, lookups O(log n).  Kernel names with our prefix:
 * vhost_iotlb_add_range_ctx -> vdpa_iotlb_add_range_ctx, itree_first/next,
 * del_range, reset.  One difference: ranges never overlap here (add_range of
 * an overlapping range is -EEXIST); vhost_vdpa checks for overlap before it
 * adds, so it never relies on the kernel accepting overlaps.
 * Map pointers stay valid until the iotlb is next modified.
 */
struct vdpa_iotlb_map {
	uint64_t start;
	uint64_t last;
	uint64_t size; /* last - start + 1 */
	uint64_t addr;
	uint32_t perm; /* VHOST_ACCESS_RO/WO/RW (VHOST_MAP_* in the kernel) */
	void *opaque;
};

struct vdpa_iotlb {
	struct vdpa_iotlb_map *maps;
	size_t nmaps;
	size_t cap;
};

void vdpa_iotlb_init(struct vdpa_iotlb *iotlb);
struct vdpa_iotlb *vdpa_iotlb_alloc(void);
/* Removes every map and frees the array (the struct stays usable). */
void vdpa_iotlb_reset(struct vdpa_iotlb *iotlb);
void vdpa_iotlb_free(struct vdpa_iotlb *iotlb);
/* -EFAULT when last < start, -EEXIST on overlap, -ENOMEM.  [0, UINT64_MAX]
 * is stored as two maps so that size never overflows (kernel behaviour). */
int vdpa_iotlb_add_range_ctx(struct vdpa_iotlb *iotlb, uint64_t start, uint64_t last,
			     uint64_t addr, uint32_t perm, void *opaque);
int vdpa_iotlb_add_range(struct vdpa_iotlb *iotlb, uint64_t start, uint64_t last, uint64_t addr,
			 uint32_t perm);
/* Removes every map that overlaps [start, last] (whole maps, not trimmed). */
void vdpa_iotlb_del_range(struct vdpa_iotlb *iotlb, uint64_t start, uint64_t last);
void vdpa_iotlb_map_free(struct vdpa_iotlb *iotlb, struct vdpa_iotlb_map *map);
/* First map overlapping [start, last] (lowest start), NULL if none. */
struct vdpa_iotlb_map *vdpa_iotlb_itree_first(struct vdpa_iotlb *iotlb, uint64_t start,
					      uint64_t last);
/* The map after `map` overlapping [start, last], NULL if none. */
struct vdpa_iotlb_map *vdpa_iotlb_itree_next(struct vdpa_iotlb *iotlb, struct vdpa_iotlb_map *map,
					     uint64_t start, uint64_t last);
/* Copy every map of src into dst (after resetting dst).  0 or -ENOMEM. */
int vdpa_iotlb_copy(struct vdpa_iotlb *dst, const struct vdpa_iotlb *src);
/*
 * Device-side translation: the map holding iova must grant `access`
 * (VHOST_ACCESS_RO to read, _WO to write).  On success *addr is the target
 * address and *contig the bytes to the end of that map.  -EFAULT when
 * unmapped, -EPERM when the permission is missing.
 */
int vdpa_iotlb_translate(const struct vdpa_iotlb *iotlb, uint64_t iova, uint32_t access,
			 uint64_t *addr, uint64_t *contig);

/* ======================================================================== */
/* 6. Simulated file descriptors and eventfds                               */
/* ======================================================================== */

/*
 * One fd table per sim (the "process" of the simulated host): eventfds and
 * vhost-vdpa handles get numbers from it (lowest free, from 3), so that ioctl
 * arguments carrying an int fd (struct vhost_vring_file, SET_CONFIG_CALL)
 * work as on Linux: an fd that is not open gives -EBADF, an fd that is not
 * an eventfd -EINVAL.
 */
enum vdpa_file_kind {
	VDPA_FILE_EVENTFD = 1,
	VDPA_FILE_VHOST_VDPA,
	VDPA_FILE_OTHER,
};

#define VDPA_FD_MAX 4096
/* fd >= 3, or -EMFILE / -ENOMEM. */
int vdpa_fd_install(struct sim *sim, enum vdpa_file_kind kind, void *obj);
/* The object behind fd, NULL if fd is not open. */
void *vdpa_fd_lookup(struct sim *sim, int fd, enum vdpa_file_kind *kind);
/* Frees the fd number (not the object).  -EBADF if not open. */
int vdpa_fd_remove(struct sim *sim, int fd);

/*
 * eventfd: a 64-bit counter.  signal adds (saturating below UINT64_MAX, as
 * eventfd_signal), read returns and clears (-EAGAIN when 0: non-blocking).
 * Waiters are called synchronously on every signal with a non-zero counter,
 * the way a poll wake-up runs vhost's handle_kick inline.  Reference counted:
 * the fd table holds one reference until vdpa_evfd_close.
 */
typedef void (*vdpa_evfd_wake_fn)(void *ctx, struct vdpa_evfd *efd);
/* Waiter slots an eventfd starts with; it takes any number (one eventfd may
 * be the kick of every queue, as in Linux). */
#define VDPA_EVFD_WAITERS 4

/* Creates an eventfd with initial count 0; returns its fd or -errno. */
int vdpa_evfd_create(struct sim *sim, struct vdpa_evfd **out);
int vdpa_evfd_fd(const struct vdpa_evfd *efd);
/* close(fd): releases the fd and the table's reference. */
int vdpa_evfd_close(struct vdpa_evfd *efd);
/* eventfd_ctx_fdget: a new reference, or NULL with *err -EBADF (fd not
 * open) or -EINVAL (fd is not an eventfd). */
struct vdpa_evfd *vdpa_evfd_fdget(struct sim *sim, int fd, int *err);
struct vdpa_evfd *vdpa_evfd_get(struct vdpa_evfd *efd);
void vdpa_evfd_put(struct vdpa_evfd *efd);
/* Kernel-side signal (eventfd_signal). */
void vdpa_evfd_signal(struct vdpa_evfd *efd, uint64_t n);
/* write(2): -EINVAL for UINT64_MAX, -EAGAIN when it would overflow. */
int vdpa_evfd_write(struct vdpa_evfd *efd, uint64_t value);
/* read(2) without blocking: the counter, cleared; -EAGAIN when 0. */
int vdpa_evfd_read(struct vdpa_evfd *efd, uint64_t *value);
uint64_t vdpa_evfd_count(const struct vdpa_evfd *efd);
/* Signals since creation (counts every signal/write, for statistics). */
uint64_t vdpa_evfd_signals(const struct vdpa_evfd *efd);
/* Returns a waiter id >= 0, or -ENOMEM (-EINVAL without efd or fn). */
int vdpa_evfd_add_waiter(struct vdpa_evfd *efd, vdpa_evfd_wake_fn fn, void *ctx);
void vdpa_evfd_remove_waiter(struct vdpa_evfd *efd, int id);

#endif
