// SPDX-License-Identifier: MIT
/*
 * The vring side of vhost_vdpa: per-queue vhost state, the vring ioctls
 * (vhost_vdpa_vring_ioctl around vhost_vring_ioctl of Linux v6.8), kick
 * eventfd polling, the queue interrupt callback and irq bypass.
 */
#include "stack/vhost_vdpa/vhv_priv.h"

#include <errno.h>
#include <string.h>

/* ---- interrupts: queue callback, irq bypass ------------------------------------------ */

static int vhv_virtqueue_cb(void *private)
{
	struct vhv_vq *vq = private;

	if (vq->call)
		vdpa_evfd_signal(vq->call, 1);
	return VDPA_IRQ_HANDLED;
}

/* vhost_vdpa_setup_vq_irq: register the queue's irq as a bypass producer. */
void vhv_setup_vq_irq(struct vhv_dev *v, uint16_t qid)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	struct vhv_vq *vq = &v->vqs[qid];
	int irq;

	if (!ops->get_vq_irq)
		return;
	irq = ops->get_vq_irq(v->vdpa, qid);
	if (irq < 0)
		return;
	if (!vq->call)
		return;
	vq->bypass_irq = irq;
}

void vhv_unsetup_vq_irq(struct vhv_dev *v, uint16_t qid)
{
	v->vqs[qid].bypass_irq = -1;
}

/* ---- kicks: the vhost poll on the kick eventfd --------------------------------------- */

static void handle_vq_kick(void *ctx, struct vdpa_evfd *efd)
{
	struct vhv_vq *vq = ctx;
	struct vhv_dev *v = vq->v;

	(void)efd;
	v->vdpa->config->kick_vq(v->vdpa, vq->index);
}

void vhv_poll_stop(struct vhv_vq *vq)
{
	if (vq->kick && vq->kick_waiter >= 0)
		vdpa_evfd_remove_waiter(vq->kick, vq->kick_waiter);
	vq->kick_waiter = -1;
}

/* vhost_poll_start: a kick already pending is delivered at once. */
static int poll_start(struct vhv_vq *vq)
{
	int id = vdpa_evfd_add_waiter(vq->kick, handle_vq_kick, vq);

	if (id < 0)
		return id;
	vq->kick_waiter = id;
	if (vdpa_evfd_count(vq->kick))
		handle_vq_kick(vq, vq->kick);
	return 0;
}

void vhv_vq_reset(struct vhv_vq *vq)
{
	struct vhv_dev *v = vq->v;
	uint16_t index = vq->index;

	memset(vq, 0, sizeof(*vq));
	vq->v = v;
	vq->index = index;
	vq->num = 1;
	vq->log_addr = UINT64_MAX;
	vq->kick_waiter = -1;
	vq->bypass_irq = -1;
}

/* ---- ioctls: vrings ------------------------------------------------------------------------- */

/* vhost_vring_set_num / set_addr and the generic part of vhost_vring_ioctl. */
static long vhost_vring_ioctl(struct vhv_dev *v, struct vhv_vq *vq, unsigned long cmd, void *argp)
{
	struct vhost_vring_state s;
	struct vhost_vring_addr a;
	struct vhost_vring_file f;
	struct vdpa_evfd *efd = NULL, *old;
	int err = 0;

	switch (cmd) {
	case VHOST_SET_VRING_NUM:
		if (vhv_copy_from_user(&s, argp, sizeof(s)))
			return -EFAULT;
		/* virtio 1.3 2.7: split ring sizes are powers of 2 up to 32768;
		 * vhost accepts any power of 2 up to 0xffff here. */
		if (!s.num || s.num > 0xffff || (s.num & (s.num - 1)))
			return -EINVAL;
		vq->num = s.num;
		return 0;
	case VHOST_SET_VRING_ADDR:
		if (vhv_copy_from_user(&a, argp, sizeof(a)))
			return -EFAULT;
		if (a.flags & ~(1U << VHOST_VRING_F_LOG))
			return -EOPNOTSUPP;
		/* virtio 1.3 2.7: driver area 2-aligned, device area 4-aligned. */
		if ((a.avail_user_addr & (VRING_AVAIL_ALIGN_SIZE - 1)) ||
		    (a.used_user_addr & (VRING_USED_ALIGN_SIZE - 1)) ||
		    (a.log_guest_addr & (VRING_USED_ALIGN_SIZE - 1)))
			return -EINVAL;
		vq->log_used = !!(a.flags & (1U << VHOST_VRING_F_LOG));
		vq->desc = a.desc_user_addr;
		vq->avail = a.avail_user_addr;
		vq->used = a.used_user_addr;
		vq->log_addr = a.log_guest_addr;
		return 0;
	case VHOST_SET_VRING_BASE:
		if (vhv_copy_from_user(&s, argp, sizeof(s)))
			return -EFAULT;
		if (vhv_has_feature(vq, VIRTIO_F_RING_PACKED)) {
			vq->last_avail_idx = s.num & 0xffff;
			vq->last_used_idx = (s.num >> 16) & 0xffff;
		} else {
			if (s.num > 0xffff)
				return -EINVAL;
			vq->last_avail_idx = (uint16_t)s.num;
		}
		return 0;
	case VHOST_GET_VRING_BASE:
		s.index = vq->index;
		if (vhv_has_feature(vq, VIRTIO_F_RING_PACKED))
			s.num = (uint32_t)vq->last_avail_idx | ((uint32_t)vq->last_used_idx << 16);
		else
			s.num = vq->last_avail_idx;
		return vhv_copy_to_user(argp, &s, sizeof(s));
	case VHOST_SET_VRING_KICK:
		if (vhv_copy_from_user(&f, argp, sizeof(f)))
			return -EFAULT;
		if (f.fd != VHOST_FILE_UNBIND) {
			efd = vdpa_evfd_fdget(v->st->sim, f.fd, &err);
			if (!efd)
				return err;
		}
		if (efd != vq->kick) {
			vhv_poll_stop(vq);
			old = vq->kick;
			vq->kick = efd;
			vdpa_evfd_put(old);
			if (efd)
				return poll_start(vq);
		} else {
			vdpa_evfd_put(efd);
		}
		return 0;
	case VHOST_SET_VRING_CALL:
	case VHOST_SET_VRING_ERR:
		if (vhv_copy_from_user(&f, argp, sizeof(f)))
			return -EFAULT;
		if (f.fd != VHOST_FILE_UNBIND) {
			efd = vdpa_evfd_fdget(v->st->sim, f.fd, &err);
			if (!efd)
				return err;
		}
		if (cmd == VHOST_SET_VRING_CALL) {
			old = vq->call;
			vq->call = efd;
		} else {
			old = vq->err;
			vq->err = efd;
		}
		vdpa_evfd_put(old);
		return 0;
	case VHOST_SET_VRING_BUSYLOOP_TIMEOUT:
		if (vhv_copy_from_user(&s, argp, sizeof(s)))
			return -EFAULT;
		vq->busyloop_timeout = s.num;
		return 0;
	case VHOST_GET_VRING_BUSYLOOP_TIMEOUT:
		s.index = vq->index;
		s.num = vq->busyloop_timeout;
		return vhv_copy_to_user(argp, &s, sizeof(s));
	default:
		/* SET/GET_VRING_ENDIAN too: no cross-endian support built in. */
		return -VHV_ENOIOCTLCMD;
	}
}

static bool driver_ok_unsuspended(struct vhv_dev *v)
{
	return (v->vdpa->config->get_status(v->vdpa) & VIRTIO_CONFIG_S_DRIVER_OK) && !v->suspended;
}

/* vhost_vdpa_vring_ioctl. */
long vhv_vring_ioctl(struct vhv_dev *v, unsigned long cmd, void *argp)
{
	struct vdpa_device *vdpa = v->vdpa;
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vdpa_vq_state vq_state;
	struct vhost_vring_state s;
	struct vdpa_callback cb;
	struct vhv_vq *vq;
	uint32_t idx;
	long r;

	if (vhv_copy_from_user(&idx, argp, sizeof(idx)))
		return -EFAULT;
	if (idx >= v->nvqs)
		return -ENOBUFS;
	vq = &v->vqs[idx];

	switch (cmd) {
	case VHOST_VDPA_SET_VRING_ENABLE:
		if (vhv_copy_from_user(&s, argp, sizeof(s)))
			return -EFAULT;
		ops->set_vq_ready(vdpa, (uint16_t)idx, s.num != 0);
		return 0;
	case VHOST_VDPA_GET_VRING_GROUP:
		if (!ops->get_vq_group)
			return -EOPNOTSUPP;
		s.index = idx;
		s.num = ops->get_vq_group(vdpa, (uint16_t)idx);
		if (s.num >= vdpa->ngroups)
			return -EIO;
		return vhv_copy_to_user(argp, &s, sizeof(s));
	case VHOST_VDPA_GET_VRING_DESC_GROUP:
		if (!vhv_has_desc_group(v))
			return -EOPNOTSUPP;
		s.index = idx;
		s.num = ops->get_vq_desc_group(vdpa, (uint16_t)idx);
		if (s.num >= vdpa->ngroups)
			return -EIO;
		return vhv_copy_to_user(argp, &s, sizeof(s));
	case VHOST_VDPA_SET_GROUP_ASID:
		/* idx is a group index here, yet checked against nvqs above,
		 * as in the kernel. */
		if (vhv_copy_from_user(&s, argp, sizeof(s)))
			return -EFAULT;
		if (s.num >= vdpa->nas)
			return -EINVAL;
		if (!ops->set_group_asid)
			return -EOPNOTSUPP;
		return ops->set_group_asid(vdpa, idx, s.num);
	case VHOST_GET_VRING_BASE:
		r = ops->get_vq_state(vdpa, (uint16_t)idx, &vq_state);
		if (r)
			return r;
		if (vhv_has_feature(vq, VIRTIO_F_RING_PACKED)) {
			vq->last_avail_idx = (uint16_t)((vq_state.packed.last_avail_idx & 0x7fff) |
							(vq_state.packed.last_avail_counter << 15));
			vq->last_used_idx = (uint16_t)((vq_state.packed.last_used_idx & 0x7fff) |
						       (vq_state.packed.last_used_counter << 15));
		} else {
			vq->last_avail_idx = vq_state.split.avail_index;
		}
		break;
	case VHOST_SET_VRING_CALL:
		if (vq->call) {
			if (ops->get_status(vdpa) & VIRTIO_CONFIG_S_DRIVER_OK)
				vhv_unsetup_vq_irq(v, (uint16_t)idx);
		}
		break;
	}

	r = vhost_vring_ioctl(v, vq, cmd, argp);
	if (r)
		return r;

	switch (cmd) {
	case VHOST_SET_VRING_ADDR:
		/* virtio 1.3 2.7: ring addresses are fixed while running. */
		if (driver_ok_unsuspended(v))
			return -EINVAL;
		if (ops->set_vq_address(vdpa, (uint16_t)idx, vq->desc, vq->avail, vq->used))
			r = -EINVAL;
		break;
	case VHOST_SET_VRING_BASE:
		if (driver_ok_unsuspended(v))
			return -EINVAL;
		memset(&vq_state, 0, sizeof(vq_state));
		if (vhv_has_feature(vq, VIRTIO_F_RING_PACKED)) {
			vq_state.packed.last_avail_idx = vq->last_avail_idx & 0x7fff;
			vq_state.packed.last_avail_counter = !!(vq->last_avail_idx & 0x8000);
			vq_state.packed.last_used_idx = vq->last_used_idx & 0x7fff;
			vq_state.packed.last_used_counter = !!(vq->last_used_idx & 0x8000);
		} else {
			vq_state.split.avail_index = vq->last_avail_idx;
		}
		r = ops->set_vq_state(vdpa, (uint16_t)idx, &vq_state);
		break;
	case VHOST_SET_VRING_CALL:
		if (vq->call) {
			cb.callback = vhv_virtqueue_cb;
			cb.private = vq;
			cb.trigger = vq->call;
			if (ops->get_status(vdpa) & VIRTIO_CONFIG_S_DRIVER_OK)
				vhv_setup_vq_irq(v, (uint16_t)idx);
		} else {
			cb.callback = NULL;
			cb.private = NULL;
			cb.trigger = NULL;
		}
		ops->set_vq_cb(vdpa, (uint16_t)idx, &cb);
		break;
	case VHOST_SET_VRING_NUM:
		ops->set_vq_num(vdpa, (uint16_t)idx, vq->num);
		break;
	}
	return r;
}

