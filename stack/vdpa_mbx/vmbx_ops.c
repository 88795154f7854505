// SPDX-License-Identifier: MIT
/*
 * vdpa_mbx: the vdpa_config_ops.  The virtio device (status, features, queue
 * registers, config space) lives here; the hardware only sees virtqueue
 * objects and steering, through mailbox commands.
 */
#include "stack/vdpa_mbx/vmbx_priv.h"

#include <errno.h>
#include <string.h>

/* ---- virtqueue ops -------------------------------------------------------------------------- */

static int op_set_vq_address(struct vdpa_device *vdev, uint16_t idx, uint64_t desc,
			     uint64_t driver, uint64_t device)
{
	struct vmbx_net *n = to_ndev(vdev);
	struct vmbx_vq *vq;

	if (!vmbx_idx_valid(n, idx))
		return -EINVAL;
	if (vmbx_is_ctrl_idx(n, idx)) {
		n->cvq.desc = desc;
		n->cvq.driver = driver;
		n->cvq.device = device;
		return 0;
	}
	vq = vmbx_data_vq(n, idx);
	if (!vq)
		return -EINVAL;
	vq->desc = desc;
	vq->driver = driver;
	vq->device = device;
	if (vq->has_obj)
		vq->modified |= MBX_MOD_F_ADDRS;
	return 0;
}

static void op_set_vq_num(struct vdpa_device *vdev, uint16_t idx, uint32_t num)
{
	struct vmbx_net *n = to_ndev(vdev);
	struct vmbx_vq *vq;

	if (!vmbx_idx_valid(n, idx))
		return;
	if (vmbx_is_ctrl_idx(n, idx)) {
		n->cvq.num = num;
		return;
	}
	vq = vmbx_data_vq(n, idx);
	if (vq)
		vq->num = num;
}

static void op_kick_vq(struct vdpa_device *vdev, uint16_t idx)
{
	struct vmbx_net *n = to_ndev(vdev);
	struct vmbx_vq *vq;

	if (!vmbx_idx_valid(n, idx))
		return;
	if (vmbx_is_ctrl_idx(n, idx)) {
		vmbx_cvq_kick(n);
		return;
	}
	vq = vmbx_data_vq(n, idx);
	if (!vq || !vq->ready || n->vf->dead)
		return;
	pcie_mmio_write(n->vf->rc, n->vf->bar2 + (uint64_t)idx * MBX_DB_STRIDE, 4, idx, NULL);
}

static void op_set_vq_cb(struct vdpa_device *vdev, uint16_t idx, struct vdpa_callback *cb)
{
	struct vmbx_net *n = to_ndev(vdev);

	if (idx >= n->nvqs)
		return;
	if (cb)
		n->cbs[idx] = *cb;
	else
		memset(&n->cbs[idx], 0, sizeof(n->cbs[idx]));
}

static void op_set_vq_ready(struct vdpa_device *vdev, uint16_t idx, bool ready)
{
	struct vmbx_net *n = to_ndev(vdev);
	struct vmbx_vq *vq;

	if (!n->actual_features || !vmbx_idx_valid(n, idx))
		return;
	if (vmbx_is_ctrl_idx(n, idx)) {
		n->cvq.ready = ready;
		if (!ready)
			vmbx_cvq_stop(n);
		else if (n->status & VIRTIO_CONFIG_S_DRIVER_OK)
			vmbx_cvq_start(n);
		return;
	}
	vq = vmbx_data_vq(n, idx);
	if (!vq)
		return;
	if (!ready) {
		vmbx_suspend_vq(n, vq);
	} else if (vq->has_obj) {
		if (vmbx_resume_vq(n, vq))
			ready = false;
	} else if (n->setup) {
		/* enabled after DRIVER_OK (ENABLE_AFTER_DRIVER_OK) */
		vq->ready = true;
		if (vmbx_setup_vq(n, idx))
			ready = false;
	}
	vq->ready = ready;
}

static bool op_get_vq_ready(struct vdpa_device *vdev, uint16_t idx)
{
	struct vmbx_net *n = to_ndev(vdev);
	struct vmbx_vq *vq;

	if (!vmbx_idx_valid(n, idx))
		return false;
	if (vmbx_is_ctrl_idx(n, idx))
		return n->cvq.ready;
	vq = vmbx_data_vq(n, idx);
	return vq && vq->ready;
}

static void state_from_vdpa(const struct vmbx_net *n, const struct vdpa_vq_state *s,
			    struct vq_state *st)
{
	if (vmbx_packed(n)) {
		st->avail_idx = s->packed.last_avail_idx;
		st->avail_wrap = s->packed.last_avail_counter;
		st->used_idx = s->packed.last_used_idx;
		st->used_wrap = s->packed.last_used_counter;
	} else {
		/* a suspended split queue has used everything it fetched */
		st->avail_idx = st->used_idx = s->split.avail_index;
		st->avail_wrap = st->used_wrap = true;
	}
}

static void state_to_vdpa(const struct vmbx_net *n, const struct vq_state *st,
			  struct vdpa_vq_state *s)
{
	memset(s, 0, sizeof(*s));
	if (vmbx_packed(n)) {
		s->packed.last_avail_idx = st->avail_idx;
		s->packed.last_avail_counter = st->avail_wrap;
		s->packed.last_used_idx = st->used_idx;
		s->packed.last_used_counter = st->used_wrap;
	} else {
		/* the used index is the one the device reports reliably (mlx5) */
		s->split.avail_index = st->used_idx;
	}
}

static int op_set_vq_state(struct vdpa_device *vdev, uint16_t idx,
			   const struct vdpa_vq_state *state)
{
	struct vmbx_net *n = to_ndev(vdev);
	struct vmbx_vq *vq;

	if (!vmbx_idx_valid(n, idx))
		return -EINVAL;
	if (vmbx_is_ctrl_idx(n, idx)) {
		state_from_vdpa(n, state, &n->cvq.st);
		if (n->cvq.vq)
			vq_dev_reset(n->cvq.vq, &n->cvq.st);
		return 0;
	}
	vq = vmbx_data_vq(n, idx);
	if (!vq)
		return -EINVAL;
	if (vq->has_obj && vq->fw_state == MBX_VQS_RDY)
		return -EINVAL; /* "can't modify available index" */
	state_from_vdpa(n, state, &vq->st);
	if (vq->has_obj)
		vq->modified |= MBX_MOD_F_INDICES;
	return 0;
}

static int op_get_vq_state(struct vdpa_device *vdev, uint16_t idx, struct vdpa_vq_state *state)
{
	struct vmbx_net *n = to_ndev(vdev);
	struct vmbx_vq *vq;
	struct vq_state st;
	int err;

	if (!vmbx_idx_valid(n, idx))
		return -EINVAL;
	if (vmbx_is_ctrl_idx(n, idx)) {
		vmbx_cvq_get_state(n, &st);
		state_to_vdpa(n, &st, state);
		return 0;
	}
	vq = vmbx_data_vq(n, idx);
	if (!vq)
		return -EINVAL;
	if (!vq->has_obj || (vq->modified & MBX_MOD_F_INDICES)) {
		state_to_vdpa(n, &vq->st, state);
		return 0;
	}
	err = vmbx_query_vq(n, vq, &st);
	if (err)
		return err;
	state_to_vdpa(n, &st, state);
	return 0;
}

static int op_get_vendor_vq_stats(struct vdpa_device *vdev, uint16_t idx,
				  struct vdpa_vendor_vq_stats *out)
{
	struct vmbx_net *n = to_ndev(vdev);
	uint64_t rx, done;
	uint8_t o[MBX_STATS_VQ_LEN];
	struct vmbx_vq *vq;
	int err;

	if (!vmbx_idx_valid(n, idx))
		return -EINVAL;
	if (vmbx_is_ctrl_idx(n, idx)) {
		rx = n->cvq.received;
		done = n->cvq.completed;
	} else {
		vq = vmbx_data_vq(n, idx);
		if (!vq)
			return -EINVAL;
		if (!vq->has_obj || vq->fw_state != MBX_VQS_RDY)
			return -EAGAIN;
		err = vmbx_exec(n->vf, MBX_OP_QUERY_STATS, vq->obj, NULL, 0, o, sizeof(o), NULL);
		if (err)
			return err;
		rx = vq_le64(o + MBX_SV_RECEIVED);
		done = vq_le64(o + MBX_SV_COMPLETED);
	}
	memset(out, 0, sizeof(*out));
	out->n = 2;
	strcpy(out->attr[0].name, "received_desc");
	out->attr[0].value = rx;
	strcpy(out->attr[1].name, "completed_desc");
	out->attr[1].value = done;
	return 0;
}

static struct vdpa_notification_area op_get_vq_notification(struct vdpa_device *vdev,
							     uint16_t idx)
{
	struct vmbx_net *n = to_ndev(vdev);
	struct vdpa_notification_area a = { 0, 0 };

	if (vmbx_data_vq(n, idx)) {
		a.addr = n->vf->bar2 + (uint64_t)idx * MBX_DB_STRIDE;
		a.size = MBX_DB_STRIDE;
	}
	return a;
}

static int op_get_vq_irq(struct vdpa_device *vdev, uint16_t idx)
{
	struct vmbx_net *n = to_ndev(vdev);

	if (!vmbx_idx_valid(n, idx))
		return -EINVAL;
	if (vmbx_is_ctrl_idx(n, idx) || !n->vf->per_vq_vectors || !vmbx_data_vq(n, idx))
		return -EOPNOTSUPP;
	return (int)(n->vf->irq_base + vmbx_vq_vector(n->vf, idx));
}

/* ---- device ops ----------------------------------------------------------------------------- */

static uint32_t op_get_vq_align(struct vdpa_device *vdev)
{
	(void)vdev;
	return VMBX_VQ_ALIGN;
}

static uint32_t op_get_vq_group(struct vdpa_device *vdev, uint16_t idx)
{
	return vmbx_is_ctrl_idx(to_ndev(vdev), idx) ? VMBX_CVQ_GROUP : VMBX_DATA_GROUP;
}

static uint64_t op_get_device_features(struct vdpa_device *vdev)
{
	return to_ndev(vdev)->device_features;
}

static uint64_t op_get_backend_features(const struct vdpa_device *vdev)
{
	(void)vdev;
	return 1ULL << VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK;
}

static int op_set_driver_features(struct vdpa_device *vdev, uint64_t features)
{
	struct vmbx_net *n = to_ndev(vdev);

	/* the device only does DMA through the IOMMU */
	if (!(features & (1ULL << VIRTIO_F_ACCESS_PLATFORM)))
		return -EOPNOTSUPP;
	/* virtio 1.3 5.1.3.1: MQ requires CTRL_VQ */
	if ((features & ((1ULL << VIRTIO_NET_F_MQ) | (1ULL << VIRTIO_NET_F_CTRL_VQ))) ==
	    (1ULL << VIRTIO_NET_F_MQ))
		return -EINVAL;
	n->actual_features = features & n->device_features;
	return 0;
}

static uint64_t op_get_driver_features(struct vdpa_device *vdev)
{
	return to_ndev(vdev)->actual_features;
}

static void op_set_config_cb(struct vdpa_device *vdev, struct vdpa_callback *cb)
{
	struct vmbx_net *n = to_ndev(vdev);

	if (cb)
		n->config_cb = *cb;
	else
		memset(&n->config_cb, 0, sizeof(n->config_cb));
}

static uint16_t op_get_vq_num_max(struct vdpa_device *vdev)
{
	uint32_t m = to_ndev(vdev)->vf->caps.max_qsize;

	return (uint16_t)(m > 32768 ? 32768 : m);
}

static uint32_t op_get_device_id(struct vdpa_device *vdev)
{
	(void)vdev;
	return VIRTIO_ID_NET;
}

static uint32_t op_get_vendor_id(struct vdpa_device *vdev)
{
	(void)vdev;
	return MBX_PCI_VENDOR;
}

static uint8_t op_get_status(struct vdpa_device *vdev)
{
	return to_ndev(vdev)->status;
}

static void op_set_status(struct vdpa_device *vdev, uint8_t status)
{
	struct vmbx_net *n = to_ndev(vdev);

	if ((status ^ n->status) & VIRTIO_CONFIG_S_DRIVER_OK) {
		if (!(status & VIRTIO_CONFIG_S_DRIVER_OK))
			return; /* "did not expect DRIVER_OK to be cleared" */
		if (vmbx_setup_driver(n)) {
			n->status |= VIRTIO_CONFIG_S_FAILED;
			return;
		}
	}
	n->status = status;
}

static void do_reset(struct vmbx_net *n, uint32_t flags)
{
	vmbx_teardown(n);
	for (uint32_t i = 0; i < n->ndata; i++) {
		memset(&n->vqs[i], 0, sizeof(n->vqs[i]));
		vq_state_init(&n->vqs[i].st);
	}
	n->cvq.desc = n->cvq.driver = n->cvq.device = 0;
	n->cvq.num = 0;
	n->cvq.ready = n->cvq.ready_before_suspend = false;
	n->cvq.received = n->cvq.completed = 0;
	vq_state_init(&n->cvq.st);
	memset(n->cbs, 0, n->nvqs * sizeof(*n->cbs));
	n->status = 0;
	n->suspended = false;
	n->actual_features = 0;
	n->announce = 0;
	n->generation++;
	memset(&n->steer, 0, sizeof(n->steer));
	memcpy(n->steer.mac, n->mac, 6);
	n->steer.pairs = 1;
	for (int g = 0; g < VMBX_NGROUPS; g++)
		n->group2asid[g] = 0;
	if (flags & VDPA_RESET_F_CLEAN_MAP)
		for (int a = 0; a < VMBX_NAS; a++) {
			vdpa_iotlb_reset(&n->iotlb[a]);
			n->mapped[a] = false;
		}
	vmbx_program_domain(n);
}

static int op_reset(struct vdpa_device *vdev)
{
	do_reset(to_ndev(vdev), 0);
	return 0;
}

static int op_compat_reset(struct vdpa_device *vdev, uint32_t flags)
{
	do_reset(to_ndev(vdev), flags);
	return 0;
}

static int op_suspend(struct vdpa_device *vdev)
{
	struct vmbx_net *n = to_ndev(vdev);
	int err = 0;

	for (uint32_t i = 0; i < n->ndata; i++) {
		int r = vmbx_suspend_vq(n, &n->vqs[i]);

		err = err ? err : r;
	}
	n->cvq.ready_before_suspend = n->cvq.ready;
	n->cvq.ready = false;
	vmbx_cvq_stop(n);
	n->suspended = true;
	return err;
}

static int op_resume(struct vdpa_device *vdev)
{
	struct vmbx_net *n = to_ndev(vdev);
	int err = 0;

	if (!vmbx_resumable(n))
		return -EOPNOTSUPP;
	n->suspended = false;
	for (uint32_t i = 0; i < n->ndata; i++) {
		int r = n->vqs[i].ready ? vmbx_resume_vq(n, &n->vqs[i]) : 0;

		err = err ? err : r;
	}
	if (n->cvq.ready_before_suspend) {
		n->cvq.ready = true;
		if (n->status & VIRTIO_CONFIG_S_DRIVER_OK && !vmbx_cvq_start(n))
			vmbx_cvq_kick(n);
	}
	return err;
}

static size_t op_get_config_size(struct vdpa_device *vdev)
{
	(void)vdev;
	return VMBX_CFG_SIZE;
}

static void build_config(struct vmbx_net *n, uint8_t *c)
{
	uint16_t status = 0;

	memset(c, 0, VMBX_CFG_SIZE);
	memcpy(c, n->mac, 6);
	if (n->device_features & (1ULL << VIRTIO_NET_F_STATUS)) {
		if (vmbx_rd32(n->vf, MBX_REG_LINK) == 1)
			status |= VIRTIO_NET_S_LINK_UP;
		status |= n->announce;
	}
	vq_put_le16(c + VMBX_NETCFG_STATUS, status);
	vq_put_le16(c + VMBX_NETCFG_MAX_VQP, n->max_vqp);
	vq_put_le16(c + VMBX_NETCFG_MTU, n->mtu);
}

static void op_get_config(struct vdpa_device *vdev, unsigned int offset, void *buf,
			  unsigned int len)
{
	uint8_t c[VMBX_CFG_SIZE];

	if ((size_t)offset + len > VMBX_CFG_SIZE)
		return;
	build_config(to_ndev(vdev), c);
	memcpy(buf, c + offset, len);
}

static void op_set_config(struct vdpa_device *vdev, unsigned int offset, const void *buf,
			  unsigned int len)
{
	/* not supported, as on mlx5_vdpa */
	(void)vdev;
	(void)offset;
	(void)buf;
	(void)len;
}

static uint32_t op_get_generation(struct vdpa_device *vdev)
{
	return to_ndev(vdev)->generation;
}

static struct vdpa_iova_range op_get_iova_range(struct vdpa_device *vdev)
{
	struct vdpa_iova_range r = { 0, VMBX_IOVA_LAST };

	(void)vdev;
	return r;
}

static int op_set_group_asid(struct vdpa_device *vdev, unsigned int group, unsigned int asid)
{
	struct vmbx_net *n = to_ndev(vdev);

	if (group >= VMBX_NGROUPS || asid >= VMBX_NAS)
		return -EINVAL;
	n->group2asid[group] = asid;
	if (group == VMBX_DATA_GROUP)
		return vmbx_program_domain(n);
	return 0;
}

static int op_set_map(struct vdpa_device *vdev, unsigned int asid, struct vdpa_iotlb *iotlb)
{
	struct vmbx_net *n = to_ndev(vdev);
	int err;

	if (asid >= VMBX_NAS)
		return -EINVAL;
	if (iotlb)
		err = vdpa_iotlb_copy(&n->iotlb[asid], iotlb);
	else
		err = (vdpa_iotlb_reset(&n->iotlb[asid]), 0);
	if (err)
		return err;
	n->mapped[asid] = true;
	if (n->group2asid[VMBX_DATA_GROUP] == asid)
		err = vmbx_program_domain(n);
	return err;
}

static int op_reset_map(struct vdpa_device *vdev, unsigned int asid)
{
	struct vmbx_net *n = to_ndev(vdev);

	if (asid >= VMBX_NAS)
		return -EINVAL;
	vdpa_iotlb_reset(&n->iotlb[asid]);
	n->mapped[asid] = false; /* back to the initial passthrough */
	if (n->group2asid[VMBX_DATA_GROUP] == asid)
		return vmbx_program_domain(n);
	return 0;
}

#define VMBX_OPS_COMMON                                                     \
	.set_vq_address = op_set_vq_address, .set_vq_num = op_set_vq_num,   \
	.kick_vq = op_kick_vq, .set_vq_cb = op_set_vq_cb,                   \
	.set_vq_ready = op_set_vq_ready, .get_vq_ready = op_get_vq_ready,   \
	.set_vq_state = op_set_vq_state, .get_vq_state = op_get_vq_state,   \
	.get_vendor_vq_stats = op_get_vendor_vq_stats,                      \
	.get_vq_notification = op_get_vq_notification,                      \
	.get_vq_irq = op_get_vq_irq, .get_vq_align = op_get_vq_align,       \
	.get_vq_group = op_get_vq_group,                                    \
	.get_device_features = op_get_device_features,                      \
	.get_backend_features = op_get_backend_features,                    \
	.set_driver_features = op_set_driver_features,                      \
	.get_driver_features = op_get_driver_features,                      \
	.set_config_cb = op_set_config_cb, .get_vq_num_max = op_get_vq_num_max, \
	.get_device_id = op_get_device_id, .get_vendor_id = op_get_vendor_id, \
	.get_status = op_get_status, .set_status = op_set_status,           \
	.reset = op_reset, .compat_reset = op_compat_reset,                 \
	.suspend = op_suspend, .get_config_size = op_get_config_size,       \
	.get_config = op_get_config, .set_config = op_set_config,           \
	.get_generation = op_get_generation,                                \
	.get_iova_range = op_get_iova_range,                                \
	.set_group_asid = op_set_group_asid, .set_map = op_set_map,         \
	.reset_map = op_reset_map, .free = vmbx_op_free

/* Without the device's resume capability there is no resume op at all, so
 * vhost-vdpa refuses VHOST_BACKEND_F_RESUME and VHOST_VDPA_RESUME. */
static const struct vdpa_config_ops ops_resume = { VMBX_OPS_COMMON, .resume = op_resume };
static const struct vdpa_config_ops ops_noresume = { VMBX_OPS_COMMON };

const struct vdpa_config_ops *vmbx_config_ops(bool resume)
{
	return resume ? &ops_resume : &ops_noresume;
}
