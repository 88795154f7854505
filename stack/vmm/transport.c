// SPDX-License-Identifier: MIT
/*
 * The guest's virtio transport (QEMU's virtio-net-pci proxy with a
 * vhost-vdpa backend): config ops forwarded as vhost ioctls, the device
 * start at DRIVER_OK (vhost_dev_start + vhost_vdpa_dev_start), kicks
 * (doorbell or kick eventfd) and interrupt injection from call eventfds.
 */
#include "stack/vmm/vmm_priv.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

static struct vmm *to_vmm(struct virtio_device *vdev)
{
	return vdev->transport;
}

uint32_t vmm_fresh_base(const struct vmm *v)
{
	struct vq_state s;

	vq_state_init(&s);
	return vq_state_to_vhost(&s, vmm_drv_feature(v, VIRTIO_F_RING_PACKED));
}

/* ---- interrupts ---------------------------------------------------------------- */

static void inject_event(struct sim *sim, void *arg)
{
	struct vmm_vq *q = arg;
	struct vmm *v = q->v;

	(void)sim;
	q->inject_ev = 0;
	if (!q->gvq)
		return;
	q->irqs++;
	v->stats.irqs_injected++;
	vio_vq_interrupt(q->gvq);
}

void vmm_inject_irq(struct vmm *v, uint16_t idx)
{
	struct vmm_vq *q = &v->vqs[idx];

	/* one injection in flight per queue, like an edge-triggered MSI */
	if (!q->inject_ev)
		q->inject_ev = eng_schedule_in(v->sim, v->cfg.irq_latency_ps, inject_event, q);
}

void vmm_cancel_injections(struct vmm *v)
{
	for (uint16_t i = 0; i < VMM_MAX_VQS; i++) {
		if (v->vqs[i].inject_ev) {
			eng_cancel(v->sim, v->vqs[i].inject_ev);
			v->vqs[i].inject_ev = 0;
		}
	}
}

/* The irqfd: the device's interrupt for queue q (signalled by vhost_vdpa). */
static void call_wake(void *ctx, struct vdpa_evfd *efd)
{
	struct vmm_vq *q = ctx;
	uint64_t n;

	vdpa_evfd_read(efd, &n);
	q->v->stats.calls++;
	vmm_inject_irq(q->v, q->idx);
}

int vmm_setup_eventfds(struct vmm *v, uint16_t idx)
{
	struct vmm_vq *q = &v->vqs[idx];
	int r;

	if (!q->kick) {
		r = vdpa_evfd_create(v->sim, &q->kick);
		if (r < 0) {
			q->kick = NULL;
			return r;
		}
	}
	if (!q->call) {
		r = vdpa_evfd_create(v->sim, &q->call);
		if (r < 0) {
			q->call = NULL;
			return r;
		}
		r = vdpa_evfd_add_waiter(q->call, call_wake, q);
		if (r < 0)
			return r;
		q->call_waiter = r;
	}
	return 0;
}

void vmm_release_eventfds(struct vmm *v, uint16_t idx)
{
	struct vmm_vq *q = &v->vqs[idx];

	if (q->inject_ev) {
		eng_cancel(v->sim, q->inject_ev);
		q->inject_ev = 0;
	}
	if (q->kick) {
		if (q->kick_waiter >= 0)
			vdpa_evfd_remove_waiter(q->kick, q->kick_waiter);
		q->kick_waiter = -1;
		vdpa_evfd_close(q->kick);
		q->kick = NULL;
	}
	if (q->call) {
		if (q->call_waiter >= 0)
			vdpa_evfd_remove_waiter(q->call, q->call_waiter);
		q->call_waiter = -1;
		vdpa_evfd_close(q->call);
		q->call = NULL;
	}
}

/* ---- kicks ------------------------------------------------------------------------ */

static bool tr_notify(struct virtqueue *vq)
{
	struct vmm *v = to_vmm(vq->vdev);
	struct vmm_vq *q = &v->vqs[vq->index];

	q->kicks++;
	/* the host notifier memory region: the guest's write goes to the
	 * device's doorbell without the VMM (virtio-pci notify: the index) */
	if (q->direct && !v->cfg.doorbell(v->cfg.doorbell_ctx, q->area.addr, vq->index)) {
		v->stats.kicks_direct++;
		return true;
	}
	/* the ioeventfd: vhost_vdpa (or the VMM, for the shadow control
	 * queue) polls it */
	if (!q->kick || vdpa_evfd_write(q->kick, 1) == -EINVAL)
		return false;
	v->stats.kicks_relayed++;
	return true;
}

void vmm_map_doorbells(struct vmm *v)
{
	if (v->cfg.kick_mode != VMM_KICK_DIRECT)
		return;
	for (uint16_t i = 0; i < v->st.nvqs; i++) {
		struct vmm_vq *q = &v->vqs[i];
		int r;

		if (!v->st.vq[i].ready || vmm_vq_shadowed(v, i))
			continue;
		/* vhost_vdpa_host_notifier_init: one page per queue at
		 * offset index * page size; a failure leaves the eventfd */
		r = vhv_mmap(v->f, VHV_PAGE_SIZE, PROT_WRITE, MAP_SHARED, i, &q->area);
		vmm_logf(v, r ? "mmap %u = %d" : "mmap %u", i, r);
		q->direct = !r && q->area.size >= 4;
	}
}

/* ---- device start / reset ------------------------------------------------------------ */

static int vring_setup(struct vmm *v, uint16_t i)
{
	struct vmm_vq_state ring = v->st.vq[i];
	struct vhost_vring_state s = { .index = i };
	struct vhost_vring_addr a;
	struct vhost_vring_file f = { .index = i };
	bool shadow = v->cvq.active && i == v->cvq.idx;
	long r;

	if (shadow)
		vmm_cvq_ring(v, &ring);
	/* vhost_virtqueue_start: num, base, addresses (GPA = IOVA), kick, call */
	s.num = ring.num;
	r = vmm_ioctl(v, VHOST_SET_VRING_NUM, &s);
	if (r)
		return (int)r;
	s.num = ring.base;
	r = vmm_ioctl(v, VHOST_SET_VRING_BASE, &s);
	if (r)
		return (int)r;
	memset(&a, 0, sizeof(a));
	a.index = i;
	a.desc_user_addr = ring.desc;
	a.avail_user_addr = ring.driver;
	a.used_user_addr = ring.device;
	r = vmm_ioctl(v, VHOST_SET_VRING_ADDR, &a);
	if (r)
		return (int)r;
	f.fd = vdpa_evfd_fd(shadow ? v->cvq.skick : v->vqs[i].kick);
	r = vmm_ioctl(v, VHOST_SET_VRING_KICK, &f);
	if (r)
		return (int)r;
	f.fd = vdpa_evfd_fd(shadow ? v->cvq.scall : v->vqs[i].call);
	return (int)vmm_ioctl(v, VHOST_SET_VRING_CALL, &f);
}

static int vring_enable(struct vmm *v, uint16_t i)
{
	struct vhost_vring_state s = { .index = i, .num = 1 };

	return (int)vmm_ioctl(v, VHOST_VDPA_SET_VRING_ENABLE, &s);
}

/* Data queues held back until the control state replay is done
 * (VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK): enable them and kick each, as
 * buffers may be waiting that the device was never told about. */
int vmm_enable_data_queues(struct vmm *v)
{
	for (uint16_t i = 0; i < v->st.nvqs; i++) {
		int r;

		if (!v->st.vq[i].ready || vmm_vq_shadowed(v, i))
			continue;
		r = vring_enable(v, i);
		if (r)
			return r;
	}
	for (uint16_t i = 0; i < v->st.nvqs; i++)
		if (v->st.vq[i].ready && !vmm_vq_shadowed(v, i) && v->vqs[i].gvq)
			tr_notify(v->vqs[i].gvq);
	return 0;
}

void vmm_dev_quiesce(struct vmm *v)
{
	uint8_t zero = 0;

	if (v->f && v->dev_status)
		vmm_ioctl(v, VHOST_VDPA_SET_STATUS, &zero);
	v->dev_status = 0;
	v->running = false;
	for (uint16_t i = 0; i < VMM_MAX_VQS; i++)
		v->vqs[i].direct = false;
	vmm_cvq_drop_device(v);
	/* vhost_vdpa_reset_status: the listener goes after the reset */
	if (v->f) {
		vmm_listener_unregister(v);
		vmm_shadow_unmap(v);
	}
}

/* Put the device back to reset and drop what the VMM ran for it (not the
 * guest-visible state). */
static void backend_reset(struct vmm *v)
{
	vmm_dev_quiesce(v);
	vmm_cvq_teardown(v);
}

int vmm_dev_start(struct vmm *v)
{
	uint8_t s, got = 0;
	int fd;
	long r;

	r = vmm_cvq_prepare(v);
	if (r)
		goto fail;
	for (uint16_t i = 0; i < v->st.nvqs; i++) {
		if (!v->st.vq[i].ready)
			continue;
		r = vring_setup(v, i);
		if (r)
			goto fail;
	}
	vmm_map_doorbells(v);
	for (uint16_t i = 0; i < v->st.nvqs; i++) {
		if (!v->st.vq[i].ready)
			continue;
		if (v->cvq.enable_after && !vmm_vq_shadowed(v, i))
			continue;
		r = vring_enable(v, i);
		if (r)
			goto fail;
	}
	/* vhost_vdpa_dev_start: the memory listener, then DRIVER_OK */
	r = vmm_listener_register(v);
	if (r)
		goto fail;
	if (v->cvq.active) {
		r = vmm_shadow_map(v);
		if (r)
			goto fail;
	}
	s = (uint8_t)(v->dev_status | VIRTIO_CONFIG_S_DRIVER_OK);
	r = vmm_ioctl(v, VHOST_VDPA_SET_STATUS, &s);
	if (r)
		goto fail;
	v->dev_status = s;
	r = vmm_ioctl(v, VHOST_VDPA_GET_STATUS, &got);
	if (!r && !(got & VIRTIO_CONFIG_S_DRIVER_OK))
		r = -EIO;
	if (r)
		goto fail;
	v->running = true;
	v->stats.starts++;
	/* vhost_start_config_intr: the config eventfd, signalled once so that
	 * a change the guest missed while stopped is seen */
	fd = vdpa_evfd_fd(v->config_call);
	r = vmm_ioctl(v, VHOST_VDPA_SET_CONFIG_CALL, &fd);
	if (r)
		goto fail;
	vdpa_evfd_write(v->config_call, 1);
	vmm_cvq_start(v);
	eng_trace(v->sim, "vmm", "start", "vmm=%s", v->name);
	return 0;
fail:
	v->stats.start_failures++;
	eng_trace(v->sim, "vmm", "start_failed", "vmm=%s err=%ld", v->name, r);
	backend_reset(v);
	return (int)r;
}

void vmm_fail_device(struct vmm *v, int err)
{
	vmm_logf(v, "device failure %d", err);
	eng_trace(v->sim, "vmm", "device_failure", "vmm=%s err=%d", v->name, err);
	v->stats.device_failures++;
	v->st.status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	/* the config interrupt tells the guest (virtio 1.3 2.1.2) */
	vdpa_evfd_write(v->config_call, 1);
}

void vmm_dev_reset(struct vmm *v)
{
	backend_reset(v);
	vmm_cancel_injections(v);
	v->st.status = 0;
	v->st.driver_features = 0;
	for (uint16_t i = 0; i < VMM_MAX_VQS; i++) {
		v->st.vq[i].ready = false;
		v->st.vq[i].base = 0;
	}
	memset(&v->st.ctrl, 0, sizeof(v->st.ctrl));
}

/* ---- config ops --------------------------------------------------------------------- */

static void tr_get(struct virtio_device *vdev, unsigned int offset, void *buf, unsigned int len)
{
	struct vmm *v = to_vmm(vdev);

	/* virtio_net_get_config of a vhost-vdpa peer: ask the device each
	 * time; keep the last answer if it cannot */
	if (!v->f || vmm_read_config(v, offset, buf, len)) {
		memset(buf, 0, len);
		if (offset < VMM_CONFIG_MAX)
			memcpy(buf, v->st.config + offset,
			       len < VMM_CONFIG_MAX - offset ? len : VMM_CONFIG_MAX - offset);
	}
}

static void tr_set(struct virtio_device *vdev, unsigned int offset, const void *buf,
		   unsigned int len)
{
	struct vmm *v = to_vmm(vdev);
	union {
		struct vhost_vdpa_config c;
		uint8_t raw[sizeof(struct vhost_vdpa_config) + VMM_CONFIG_MAX];
	} u;

	if (!v->f || len == 0 || len > VMM_CONFIG_MAX || offset > VMM_CONFIG_MAX - len)
		return;
	u.c.off = offset;
	u.c.len = len;
	memcpy(u.c.buf, buf, len);
	vmm_ioctl(v, VHOST_VDPA_SET_CONFIG, &u);
}

static uint32_t tr_generation(struct virtio_device *vdev)
{
	return to_vmm(vdev)->st.config_generation;
}

static uint8_t tr_get_status(struct virtio_device *vdev)
{
	return to_vmm(vdev)->st.status;
}

static void tr_reset(struct virtio_device *vdev)
{
	vmm_dev_reset(to_vmm(vdev));
}

/* FEATURES_OK: VHOST_SET_FEATURES first (vhost_vdpa_set_features), with
 * ACCESS_PLATFORM forced when offered (vhost_vdpa_force_iommu: the device
 * translates through the IOTLB whatever the guest negotiated). */
static bool features_ok(struct vmm *v)
{
	uint64_t f = v->st.driver_features;
	long r;

	if (v->dev_features & (1ULL << VIRTIO_F_ACCESS_PLATFORM))
		f |= 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	r = vmm_ioctl(v, VHOST_SET_FEATURES, &f);
	return r == 0;
}

static void tr_set_status(struct virtio_device *vdev, uint8_t status)
{
	struct vmm *v = to_vmm(vdev);
	uint8_t old = v->st.status & (uint8_t)~VIRTIO_CONFIG_S_NEEDS_RESET;
	uint8_t needs = v->st.status & VIRTIO_CONFIG_S_NEEDS_RESET;
	uint8_t add, s, got = 0;
	long r;

	if (status == 0) {
		vmm_dev_reset(v);
		return;
	}
	status &= (uint8_t)~VIRTIO_CONFIG_S_NEEDS_RESET; /* the device's bit */
	/* virtio 1.3 2.1.2: bits are cleared by a reset only */
	if (old & ~status)
		return;
	add = status & (uint8_t)~old;
	if (!add)
		return;
	if (!v->f) {
		v->st.status = status;
		vmm_fail_device(v, -ENODEV);
		return;
	}
	if ((add & VIRTIO_CONFIG_S_FEATURES_OK) && !features_ok(v)) {
		/* the guest re-reads the status and sees it refused */
		add &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
		status &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	}
	if (add & VIRTIO_CONFIG_S_DRIVER_OK) {
		/* first whatever came with it, then the start sequence */
		v->st.status = (uint8_t)(status | needs);
		add &= (uint8_t)~VIRTIO_CONFIG_S_DRIVER_OK;
		if (add) {
			s = (uint8_t)(v->dev_status | add);
			if (!vmm_ioctl(v, VHOST_VDPA_SET_STATUS, &s))
				v->dev_status = s;
		}
		if (needs)
			r = -EIO; /* not started again before a reset */
		else if (vmm_drv_feature(v, VIRTIO_F_VERSION_1) &&
			 !(v->dev_status & VIRTIO_CONFIG_S_FEATURES_OK))
			r = -EIO;
		else
			r = vmm_dev_start(v);
		if (r)
			vmm_fail_device(v, (int)r);
		return;
	}
	if (add) {
		s = (uint8_t)(v->dev_status | add);
		r = vmm_ioctl(v, VHOST_VDPA_SET_STATUS, &s);
		if (!r)
			v->dev_status = s;
		if (add & VIRTIO_CONFIG_S_FEATURES_OK) {
			/* virtio 1.3 3.1.1 step 6: did the device keep it? */
			if (r || vmm_ioctl(v, VHOST_VDPA_GET_STATUS, &got) ||
			    !(got & VIRTIO_CONFIG_S_FEATURES_OK))
				status &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
		} else if (r) {
			v->st.status = (uint8_t)(status | needs);
			vmm_fail_device(v, (int)r);
			return;
		}
	}
	v->st.status = (uint8_t)(status | needs);
}

static int tr_find_vqs(struct virtio_device *vdev, unsigned int nvqs, struct virtqueue *vqs[],
		       vio_callback_t callbacks[], const char *const names[], const bool *ctx,
		       const uint32_t *sizes)
{
	struct vmm *v = to_vmm(vdev);
	bool packed = vio_has_feature(vdev, VIRTIO_F_RING_PACKED);
	unsigned int qi = 0;
	int err = 0;

	for (unsigned int i = 0; i < nvqs; i++) {
		struct virtqueue *vq;
		struct vmm_vq_state *s;
		uint32_t max = v->vq_num_max, want = sizes ? sizes[i] : 0, num;

		vqs[i] = NULL;
		if (!names[i])
			continue;
		if (qi >= v->st.nvqs || qi >= VMM_MAX_VQS) {
			err = -ENOENT;
			goto fail;
		}
		num = want && want < max ? want : max;
		/* virtio 1.3 2.7: a split ring size is a power of two */
		if (!packed)
			while (num & (num - 1))
				num &= num - 1;
		err = vmm_setup_eventfds(v, (uint16_t)qi);
		if (err)
			goto fail;
		vq = vio_vq_create(qi, num, 64, vdev, true, ctx ? ctx[i] : false, tr_notify,
				   callbacks ? callbacks[i] : NULL, names[i], &err);
		if (!vq)
			goto fail;
		vq->num_max = max;
		v->vqs[qi].gvq = vq;
		/* the guest's queue_size / queue_desc / ... / queue_enable writes */
		s = &v->st.vq[qi];
		s->ready = true;
		s->num = vio_vq_get_vring_size(vq);
		s->desc = vio_vq_get_desc_addr(vq);
		s->driver = vio_vq_get_avail_addr(vq);
		s->device = vio_vq_get_used_addr(vq);
		s->base = vmm_fresh_base(v);
		vqs[i] = vq;
		qi++;
	}
	return 0;
fail:
	vdev->config->del_vqs(vdev);
	for (unsigned int i = 0; i < nvqs; i++)
		vqs[i] = NULL;
	return err;
}

static void tr_del_vqs(struct virtio_device *vdev)
{
	struct vmm *v = to_vmm(vdev);

	for (uint16_t i = 0; i < VMM_MAX_VQS; i++) {
		struct vmm_vq *q = &v->vqs[i];

		if (q->inject_ev) {
			eng_cancel(v->sim, q->inject_ev);
			q->inject_ev = 0;
		}
		if (q->gvq) {
			vio_vq_del(q->gvq);
			q->gvq = NULL;
		}
		v->st.vq[i].ready = false;
	}
}

static uint64_t tr_get_features(struct virtio_device *vdev)
{
	return to_vmm(vdev)->st.device_features;
}

static int tr_finalize_features(struct virtio_device *vdev)
{
	struct vmm *v = to_vmm(vdev);

	vio_transport_features(vdev);
	/* the guest's driver_feature writes: only bits it was offered */
	if (vdev->features & ~v->st.device_features)
		return -EINVAL;
	v->st.driver_features = vdev->features;
	return 0;
}

static const char *tr_bus_name(struct virtio_device *vdev)
{
	return to_vmm(vdev)->name;
}

const struct virtio_config_ops vmm_config_ops = {
	.get = tr_get,
	.set = tr_set,
	.generation = tr_generation,
	.get_status = tr_get_status,
	.set_status = tr_set_status,
	.reset = tr_reset,
	.find_vqs = tr_find_vqs,
	.del_vqs = tr_del_vqs,
	.get_features = tr_get_features,
	.finalize_features = tr_finalize_features,
	.bus_name = tr_bus_name,
};
