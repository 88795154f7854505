// SPDX-License-Identifier: MIT
/*
 * The migration seams: stop (SUSPEND + GET_VRING_BASE), resume, restart on
 * the attached device from the saved state, and the state itself.
 */
#include "stack/vmm/vmm_priv.h"

#include <errno.h>
#include <string.h>

/* ---- migration seams --------------------------------------------------------------------- */

/* Without SUSPEND (QEMU's fallback): the device is reset and a split ring
 * continues from the used index the device published. */
static int bases_from_guest(struct vmm *v)
{
	for (uint16_t i = 0; i < v->st.nvqs; i++) {
		struct vmm_vq_state *q = &v->st.vq[i];
		uint16_t used;

		if (!q->ready || vmm_vq_shadowed(v, i))
			continue;
		if (vmm_drv_feature(v, VIRTIO_F_RING_PACKED))
			return -EOPNOTSUPP;
		if (mem_guest_read_le16(v->gmem, q->device + 2, &used))
			return -EFAULT;
		q->base = used;
	}
	return 0;
}

int vmm_stop_device(struct vmm *v)
{
	int err = 0;

	if (!v || !v->f || !v->running)
		return -EINVAL;
	if (vmm_has_backend(v, VHOST_BACKEND_F_SUSPEND)) {
		long r = vmm_ioctl(v, VHOST_VDPA_SUSPEND, NULL);

		if (r)
			return (int)r;
		for (uint16_t i = 0; i < v->st.nvqs; i++) {
			struct vhost_vring_state s = { .index = i };

			if (!v->st.vq[i].ready || vmm_vq_shadowed(v, i))
				continue;
			r = vmm_ioctl(v, VHOST_GET_VRING_BASE, &s);
			if (r)
				return (int)r;
			v->st.vq[i].base = s.num;
		}
	} else {
		uint8_t zero = 0;
		long r = vmm_ioctl(v, VHOST_VDPA_SET_STATUS, &zero);

		if (r)
			return (int)r;
		v->dev_status = 0;
		err = bases_from_guest(v);
		vmm_cvq_stop(v);
		/* the reset dropped the parent's maps: the listener goes too */
		vmm_dev_quiesce(v);
		v->stats.stops++;
		return err;
	}
	vmm_cvq_stop(v);
	for (uint16_t i = 0; i < VMM_MAX_VQS; i++)
		v->vqs[i].direct = false;
	v->running = false;
	v->stats.stops++;
	eng_trace(v->sim, "vmm", "stop", "vmm=%s err=%d", v->name, err);
	return err;
}

int vmm_resume_device(struct vmm *v)
{
	long r;

	if (!v || !v->f || v->running || !(v->st.status & VIRTIO_CONFIG_S_DRIVER_OK))
		return -EINVAL;
	if (!vmm_has_backend(v, VHOST_BACKEND_F_RESUME) || !(v->dev_status & VIRTIO_CONFIG_S_DRIVER_OK))
		return -EOPNOTSUPP;
	r = vmm_ioctl(v, VHOST_VDPA_RESUME, NULL);
	if (r)
		return (int)r;
	v->running = true;
	vmm_map_doorbells(v);
	/* the control queue goes on where it paused */
	if (v->cvq.active)
		vmm_cvq_kick(v);
	return 0;
}

int vmm_start_device(struct vmm *v)
{
	uint64_t want, forced = 0;
	uint8_t s, got = 0;
	long r;

	if (!v || !v->f)
		return -ENODEV;
	if (v->running || !(v->st.status & VIRTIO_CONFIG_S_DRIVER_OK))
		return -EINVAL;
	if (v->st.nvqs > v->dev_nvqs)
		return -EOPNOTSUPP;
	if (v->dev_features & (1ULL << VIRTIO_F_ACCESS_PLATFORM))
		forced = 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	want = v->st.driver_features | forced;
	if (want & ~v->dev_features)
		return -EOPNOTSUPP; /* the device cannot back what the guest uses */
	/* the same device after a stop: from reset, as vhost_dev_stop left it */
	vmm_dev_quiesce(v);
	/* the status the guest went through, as QEMU's vhost_dev_start does it */
	s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	r = vmm_ioctl(v, VHOST_VDPA_SET_STATUS, &s);
	if (!r)
		r = vmm_ioctl(v, VHOST_SET_FEATURES, &want);
	if (!r) {
		s |= VIRTIO_CONFIG_S_FEATURES_OK;
		r = vmm_ioctl(v, VHOST_VDPA_SET_STATUS, &s);
	}
	if (!r)
		r = vmm_ioctl(v, VHOST_VDPA_GET_STATUS, &got);
	if (!r && !(got & VIRTIO_CONFIG_S_FEATURES_OK))
		r = -EIO;
	if (r) {
		vmm_fail_device(v, (int)r);
		return (int)r;
	}
	v->dev_status = s;
	r = vmm_dev_start(v);
	if (r)
		vmm_fail_device(v, (int)r);
	return (int)r;
}

bool vmm_device_running(const struct vmm *v)
{
	return v && v->running;
}

bool vmm_ctrl_replayed(const struct vmm *v)
{
	return v && (!v->cvq.active || v->cvq.replay_done);
}

void vmm_save_state(const struct vmm *v, struct vmm_dev_state *out)
{
	*out = v->st;
}

int vmm_load_state(struct vmm *v, const struct vmm_dev_state *in)
{
	if (!v || !in)
		return -EINVAL;
	if (v->running)
		return -EBUSY;
	if (in->nvqs > VMM_MAX_VQS || in->config_len > VMM_CONFIG_MAX)
		return -EINVAL;
	/* the control queue starts from the loaded base */
	vmm_cvq_teardown(v);
	v->st = *in;
	return 0;
}
