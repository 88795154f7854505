/* SPDX-License-Identifier: MIT */
/*
 * Private to stack/vhost_vdpa/: the vhost_vdpa device object shared by
 * vhost_vdpa.c (driver, open/close, ioctls) and iotlb_msg.c (IOTLB messages,
 * maps, doorbell mmap).
 */
#ifndef VDPASIM_VHV_PRIV_H
#define VDPASIM_VHV_PRIV_H

#include "stack/vhost_vdpa/vhost_vdpa.h"

#define VHV_ENOIOCTLCMD 515 /* kernel-internal; user space sees -ENOTTY */

struct vhv_dev;

/* The vhost side of one virtqueue (struct vhost_virtqueue, the parts vdpa
 * uses). */
struct vhv_vq {
	struct vhv_dev *v;
	uint16_t index;
	uint32_t num;
	uint64_t desc, avail, used, log_addr;
	bool log_used;
	uint16_t last_avail_idx; /* packed: idx | wrap << 15 */
	uint16_t last_used_idx;
	struct vdpa_evfd *kick;
	int kick_waiter;
	struct vdpa_evfd *call;
	struct vdpa_evfd *err;
	uint64_t acked_features;
	uint64_t acked_backend_features;
	uint32_t busyloop_timeout;
	int bypass_irq; /* irq-bypass producer irq, -1 when not registered */
};

/* An address space: its IOTLB exists once an UPDATE or BATCH_BEGIN used it. */
struct vhv_as {
	bool exists;
	struct vdpa_iotlb iotlb;
};

/* The kernel's struct vhost_vdpa: one per device bound to the driver. */
struct vhv_dev {
	struct vhv_state *st;
	struct vdpa_device *vdpa;
	unsigned int minor;
	char name[32];
	uint32_t nvqs;
	uint32_t virtio_id;
	struct vhv_vq *vqs;
	struct vhv_file *file; /* the open file, NULL when closed */
	bool vqs_live;         /* vhost_dev initialised by open (dev.vqs != NULL) */
	bool has_owner;
	struct vhv_as *as; /* nas entries while open */
	uint32_t nas;
	struct vdpa_evfd *config_ctx;
	bool in_batch;
	uint32_t batch_asid;
	struct vdpa_iova_range range;
	void *domain;
	bool suspended;
	struct vhv_dev *next;
};

struct vhv_file {
	struct vhv_state *st;
	struct vhv_dev *v; /* NULL once the device went away */
	int fd;
	const struct vhv_user_mem_ops *mem;
	void *mem_ctx;
	uint64_t memlock_limit; /* pages, 0 = unlimited */
	uint64_t pinned;        /* pages */
	int last_msg_err;
	struct vhv_file *next;
};

/* Per-sim driver state. */
struct vhv_state {
	struct sim *sim;
	struct vdpa_driver driver;
	bool registered;
	struct vhv_dev *devs;
	struct vhv_file *files;
	bool *minor_used;
	size_t minor_cap;
};

/* ---- helpers shared by the files of this folder ---- */

#include <errno.h>
#include <string.h>

/* User copies: NULL is the one bad user pointer here. */
static inline int vhv_copy_from_user(void *dst, const void *src, size_t len)
{
	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

static inline int vhv_copy_to_user(void *dst, const void *src, size_t len)
{
	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

static inline bool vhv_has_feature(const struct vhv_vq *vq, unsigned int bit)
{
	return vq->acked_features & (1ULL << bit);
}

static inline bool vhv_backend_has_feature(const struct vhv_vq *vq, unsigned int bit)
{
	return vq->acked_backend_features & (1ULL << bit);
}

static inline bool vhv_has_desc_group(const struct vhv_dev *v)
{
	return v->vdpa->config->get_vq_desc_group;
}

/* vring.c */
/* vhost_vq_reset: a queue's vhost state back to open-time defaults. */
void vhv_vq_reset(struct vhv_vq *vq);
/* Stop polling the kick eventfd. */
void vhv_poll_stop(struct vhv_vq *vq);
/* Register / drop the queue's irq-bypass producer. */
void vhv_setup_vq_irq(struct vhv_dev *v, uint16_t qid);
void vhv_unsetup_vq_irq(struct vhv_dev *v, uint16_t qid);
/* vhost_vdpa_vring_ioctl: the requests carrying a vring index. */
long vhv_vring_ioctl(struct vhv_dev *v, unsigned long cmd, void *argp);

/* iotlb_msg.c */
/* Remove every address space: unmap all, reset_map (vhost_vdpa_remove_as). */
void vhv_remove_all_as(struct vhv_dev *v);
int vhv_process_iotlb_msg(struct vhv_dev *v, uint32_t asid, const struct vhost_iotlb_msg *msg);

#endif
