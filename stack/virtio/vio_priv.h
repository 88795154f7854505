/* SPDX-License-Identifier: MIT */
/*
 * Private to stack/virtio/: the per-sim virtio bus shared by core.c and vq.c.
 */
#ifndef VDPASIM_VIO_PRIV_H
#define VDPASIM_VIO_PRIV_H

#include "stack/virtio/virtio.h"

struct vio_bus {
	struct sim *sim;
	struct virtio_driver *drivers;  /* registration order */
	struct virtio_device *devices;  /* registration order */
	void (*vq_hook)(void *ctx, struct virtqueue *vq);
	void *vq_hook_ctx;
	uint64_t config_retries;
};

/* The sim's bus if it exists (never creates it). */
struct vio_bus *vio_bus_lookup(const struct sim *sim);

#endif
