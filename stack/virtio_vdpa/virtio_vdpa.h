/* SPDX-License-Identifier: MIT */
/*
 * virtio_vdpa: the vdpa bus driver that turns a vdpa_device into a
 * virtio_device for the host's own virtio drivers (the host-kernel /
 * container path), a port of Linux v6.8 drivers/virtio/virtio_vdpa.c.
 * Prefix vvd_.
 *
 * Binding (probe): get_device_id (0: -EINVAL), get_vendor_id, then
 * vio_register_device, which runs the virtio core's probe sequence.
 * Config ops map to vdpa ops:
 *   get / set               vdpa_get_config / vdpa_set_config
 *   generation              get_generation (0 without the op)
 *   get_status / set_status get_status / vdpa_set_status
 *   reset                   vdpa_reset(vdpa, 0)
 *   get_features            get_device_features
 *   finalize_features       vio_transport_features, then vdpa_set_features
 *   find_vqs                per queue, in this order (the kernel's):
 *       get_vq_ready (set already: -ENOENT), get_vq_num_max (0: -ENOENT),
 *       get_vq_num_min (if the op exists), get_vq_align, ring allocation
 *       (size: the maximum, or the requested size capped to it and raised to
 *       the minimum), set_vq_cb, set_vq_num, set_vq_address (failure:
 *       -EINVAL), set_vq_state (fresh: split avail_index 0; packed indices 0
 *       and wrap counters 1), set_vq_ready(1);
 *       then set_config_cb.  On an error after allocation the queue is
 *       freed, set_vq_ready(0) and get_vq_ready checked; earlier queues are
 *       deleted (set_vq_ready(0) each).
 *   del_vqs                 set_vq_ready(0) per queue, then free it
 * Notifications: kick_vq(idx), or kick_vq_with_data when
 * VIRTIO_F_NOTIFICATION_DATA was negotiated (the bit is dropped when the
 * parent lacks the op, as the kernel does).  A doorbell hook
 * (vvd_set_doorbell) replaces the kick with a write to the queue's
 * notification area when the parent has get_vq_notification.
 * Interrupts: the parent calls the vdpa_callback installed by set_vq_cb,
 * which runs vring_interrupt (vio_vq_interrupt) and so the virtio driver's
 * queue callback; the config callback runs vio_config_changed.
 *
 * DMA memory.  The kernel allocates rings with the DMA API on the parent's
 * DMA device.  Here every virtio_vdpa device draws from one window of host
 * physical memory per sim: [pa_base, pa_base + size), seen by the CPU
 * through host_mem (or host memory virtio_vdpa allocates itself), handed to
 * the devices at IOVA == PA.  For a parent with its own translation
 * (set_map / dma_map) that is the parent's business (a vdpa_sim-like parent
 * passes addresses through until it is given a map).  For a parent behind
 * the platform IOMMU, map_iommu asks virtio_vdpa to do what the DMA API
 * would: allocate the device's domain and map the window 1:1.
 */
#ifndef VDPASIM_VIRTIO_VDPA_H
#define VDPASIM_VIRTIO_VDPA_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/vdpa_bus/vdpa_bus.h"
#include "stack/virtio/virtio.h"

#define VVD_DRIVER_NAME "virtio_vdpa"

struct vvd_dma_config {
	struct vq_mem host_mem; /* read == NULL: virtio_vdpa allocates the window itself */
	uint64_t pa_base;       /* 4 KiB aligned */
	uint64_t size;          /* multiple of 4 KiB */
	bool map_iommu;         /* platform-IOMMU parents: map the window 1:1 */
};

#define VVD_DEFAULT_PA_BASE 0x100000000ULL
#define VVD_DEFAULT_DMA_SIZE (32ULL << 20)

/* Own memory at VVD_DEFAULT_PA_BASE, VVD_DEFAULT_DMA_SIZE bytes, map_iommu on. */
void vvd_default_dma_config(struct vvd_dma_config *cfg);

/* Register the virtio_vdpa driver on the sim's vdpa bus (binds matching
 * devices at once).  dma NULL: defaults.  -EEXIST when registered. */
int vvd_register_driver(struct sim *sim, const struct vvd_dma_config *dma);
/* Unbind every device and unregister (also done when the sim is freed). */
void vvd_unregister_driver(struct sim *sim);
struct vdpa_driver *vvd_driver(struct sim *sim);

/* The virtio device of a vdpa device bound to virtio_vdpa, NULL otherwise. */
struct virtio_device *vvd_virtio(struct vdpa_device *vdpa);
/* The vdpa device under a virtio device created by virtio_vdpa, else NULL. */
struct vdpa_device *vvd_vdpa(struct virtio_device *vdev);
/* The accessor over the DMA window (host physical addresses), NULL when the
 * driver is not registered: the memory a device reaches after translation. */
const struct vq_mem *vvd_host_mem(struct sim *sim);
/* The DMA pool (bytes in use, base). */
struct vio_dma_pool *vvd_dma_pool(struct sim *sim);

/*
 * Doorbell hook: notify by writing `value` (the queue index, or the
 * notification data) to `addr` inside the area get_vq_notification gives,
 * instead of kick_vq.  Return 0, or -errno to fall back to kick_vq.
 * fn NULL removes it.
 */
typedef int (*vvd_doorbell_fn)(void *ctx, struct vdpa_device *vdpa, uint16_t idx, uint64_t addr,
			       uint32_t value);
void vvd_set_doorbell(struct sim *sim, vvd_doorbell_fn fn, void *ctx);

#endif
