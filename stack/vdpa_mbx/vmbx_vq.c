// SPDX-License-Identifier: MIT
/*
 * vdpa_mbx: virtqueue objects and the device set-up behind DRIVER_OK, as
 * mailbox commands (CREATE / MODIFY / QUERY / DESTROY_VIRTQ, SET_FEATURES,
 * SET_STEERING), and which queue index is what under the negotiated features.
 */
#include "stack/vdpa_mbx/vmbx_priv.h"

#include <errno.h>
#include <string.h>

bool vmbx_has_f(const struct vmbx_net *n, unsigned bit)
{
	return (n->actual_features >> bit) & 1;
}

bool vmbx_packed(const struct vmbx_net *n)
{
	return vmbx_has_f(n, VIRTIO_F_RING_PACKED);
}

bool vmbx_resumable(const struct vmbx_net *n)
{
	return n->vf->caps.flags & MBX_CAP_RESUME;
}

/* Valid queue indices follow the negotiated features, as in mlx5_vdpa. */
bool vmbx_idx_valid(const struct vmbx_net *n, uint16_t idx)
{
	if (!vmbx_has_f(n, VIRTIO_NET_F_MQ))
		return idx < (vmbx_has_f(n, VIRTIO_NET_F_CTRL_VQ) ? 3 : 2);
	return idx <= n->ndata;
}

/* virtio 1.3 5.1.2: controlq is 2N with MQ, 2 without. */
bool vmbx_is_ctrl_idx(const struct vmbx_net *n, uint16_t idx)
{
	if (!vmbx_has_f(n, VIRTIO_NET_F_CTRL_VQ))
		return false;
	return idx == (vmbx_has_f(n, VIRTIO_NET_F_MQ) ? n->ndata : 2);
}

struct vmbx_vq *vmbx_data_vq(struct vmbx_net *n, uint16_t idx)
{
	if (!vmbx_idx_valid(n, idx) || vmbx_is_ctrl_idx(n, idx) || idx >= n->ndata)
		return NULL;
	return &n->vqs[idx];
}

/* ---- virtqueue objects ---------------------------------------------------------------------- */

static int create_vq(struct vmbx_net *n, uint16_t idx)
{
	struct vmbx_vq *vq = &n->vqs[idx];
	uint8_t in[MBX_CREATE_LEN] = { 0 }, out[MBX_CREATE_OUT_LEN];
	int err;

	vq_put_le16(in + MBX_VQ_INDEX, idx);
	vq_put_le16(in + MBX_VQ_SIZE, (uint16_t)vq->num); /* 32768 wraps to 0, as encoded */
	vq_put_le16(in + MBX_VQ_VECTOR, vmbx_vq_vector(n->vf, idx));
	vq_put_le64(in + MBX_VQ_FEAT, n->actual_features & MBX_VQ_FEATURES);
	vq_put_le64(in + MBX_VQ_DESC, vq->desc);
	vq_put_le64(in + MBX_VQ_DRIVER, vq->driver);
	vq_put_le64(in + MBX_VQ_DEVICE, vq->device);
	vq_put_le16(in + MBX_VQ_AVAIL_IDX, vq->st.avail_idx);
	vq_put_le16(in + MBX_VQ_USED_IDX, vq->st.used_idx);
	in[MBX_VQ_AVAIL_WRAP] = vq->st.avail_wrap;
	in[MBX_VQ_USED_WRAP] = vq->st.used_wrap;
	err = vmbx_exec(n->vf, MBX_OP_CREATE_VIRTQ, 0, in, sizeof(in), out, sizeof(out), NULL);
	if (err)
		return err;
	vq->has_obj = true;
	vq->obj = vq_le32(out);
	vq->fw_state = MBX_VQS_INIT;
	vq->modified = 0;
	return 0;
}

static int modify_vq(struct vmbx_net *n, struct vmbx_vq *vq, uint32_t sel, uint8_t state)
{
	uint8_t in[MBX_MODIFY_LEN] = { 0 };
	int err;

	vq_put_le32(in + MBX_MOD_SELECT, sel);
	in[MBX_MOD_STATE] = state;
	in[MBX_MOD_AVAIL_WRAP] = vq->st.avail_wrap;
	in[MBX_MOD_USED_WRAP] = vq->st.used_wrap;
	vq_put_le16(in + MBX_MOD_AVAIL_IDX, vq->st.avail_idx);
	vq_put_le16(in + MBX_MOD_USED_IDX, vq->st.used_idx);
	vq_put_le16(in + MBX_MOD_VECTOR, vmbx_vq_vector(n->vf, (uint16_t)(vq - n->vqs)));
	vq_put_le64(in + MBX_MOD_DESC, vq->desc);
	vq_put_le64(in + MBX_MOD_DRIVER, vq->driver);
	vq_put_le64(in + MBX_MOD_DEVICE, vq->device);
	err = vmbx_exec(n->vf, MBX_OP_MODIFY_VIRTQ, vq->obj, in, sizeof(in), NULL, 0, NULL);
	if (err)
		return err;
	vq->modified &= ~sel;
	if (sel & MBX_MOD_F_STATE)
		vq->fw_state = state;
	return 0;
}

int vmbx_query_vq(struct vmbx_net *n, struct vmbx_vq *vq, struct vq_state *st)
{
	uint8_t out[MBX_QUERY_VQ_LEN];
	int err = vmbx_exec(n->vf, MBX_OP_QUERY_VIRTQ, vq->obj, NULL, 0, out, sizeof(out), NULL);

	if (err)
		return err;
	vq->fw_state = out[MBX_QV_STATE];
	st->avail_idx = vq_le16(out + MBX_QV_AVAIL_IDX);
	st->used_idx = vq_le16(out + MBX_QV_USED_IDX);
	st->avail_wrap = out[MBX_QV_AVAIL_WRAP] & 1;
	st->used_wrap = out[MBX_QV_USED_WRAP] & 1;
	return 0;
}

/* RDY -> SUSPEND (the device drains first), then keep the indices. */
int vmbx_suspend_vq(struct vmbx_net *n, struct vmbx_vq *vq)
{
	struct vq_state st;
	int err;

	if (!vq->has_obj || vq->fw_state != MBX_VQS_RDY)
		return 0;
	err = modify_vq(n, vq, MBX_MOD_F_STATE, MBX_VQS_SUSPEND);
	if (err)
		return err;
	err = vmbx_query_vq(n, vq, &st);
	if (err)
		return err;
	vq->st = st;
	return 0;
}

/* INIT or SUSPEND -> RDY with whatever changed meanwhile. */
int vmbx_resume_vq(struct vmbx_net *n, struct vmbx_vq *vq)
{
	if (!vq->has_obj)
		return 0;
	switch (vq->fw_state) {
	case MBX_VQS_RDY:
		return 0;
	case MBX_VQS_SUSPEND:
		if (!vmbx_resumable(n))
			return -EINVAL; /* "vq is not resumable" */
		/* fall through */
	case MBX_VQS_INIT:
		return modify_vq(n, vq, MBX_MOD_F_STATE | vq->modified, MBX_VQS_RDY);
	default:
		return -EINVAL;
	}
}

static void destroy_vq(struct vmbx_net *n, struct vmbx_vq *vq)
{
	if (!vq->has_obj)
		return;
	vmbx_exec(n->vf, MBX_OP_DESTROY_VIRTQ, vq->obj, NULL, 0, NULL, 0, NULL);
	vq->has_obj = false;
	vq->fw_state = MBX_VQS_INIT;
	vq->modified = 0;
}

int vmbx_setup_vq(struct vmbx_net *n, uint16_t idx)
{
	struct vmbx_vq *vq = &n->vqs[idx];
	int err;

	if (vq->has_obj || !vq->num)
		return 0;
	err = create_vq(n, idx);
	if (err)
		return err;
	if (vq->ready) {
		err = vmbx_resume_vq(n, vq);
		if (err)
			destroy_vq(n, vq);
	}
	return err;
}

int vmbx_set_steering(struct vmbx_net *n, const struct vmbx_steer *s)
{
	uint8_t in[MBX_ST_LISTS + 6 * 2 * MBX_MAX_MACS] = { 0 };
	uint32_t len = MBX_ST_LISTS + 6u * (s->nuc + s->nmc);
	int err;

	if (s->nuc > MBX_MAX_MACS || s->nmc > MBX_MAX_MACS)
		return -EINVAL;
	memcpy(in + MBX_ST_MAC, s->mac, 6);
	in[MBX_ST_FLAGS] = (uint8_t)((s->promisc ? MBX_STEER_PROMISC : 0) |
				     (s->allmulti ? MBX_STEER_ALLMULTI : 0));
	vq_put_le16(in + MBX_ST_RXQ, s->pairs);
	vq_put_le16(in + MBX_ST_NUC, s->nuc);
	vq_put_le16(in + MBX_ST_NMC, s->nmc);
	for (unsigned i = 0; i < s->nuc; i++)
		memcpy(in + MBX_ST_LISTS + 6 * i, s->uc[i], 6);
	for (unsigned i = 0; i < s->nmc; i++)
		memcpy(in + MBX_ST_LISTS + 6 * (s->nuc + i), s->mc[i], 6);
	err = vmbx_exec(n->vf, MBX_OP_SET_STEERING, 0, in, len, NULL, 0, NULL);
	if (!err && s != &n->steer)
		n->steer = *s;
	return err;
}

void vmbx_teardown(struct vmbx_net *n)
{
	vmbx_cvq_stop(n);
	for (uint32_t i = 0; i < n->ndata; i++)
		destroy_vq(n, &n->vqs[i]);
	n->setup = false;
}

/* DRIVER_OK: the device learns the features and the steering, then gets an
 * object per configured queue. */
int vmbx_setup_driver(struct vmbx_net *n)
{
	uint8_t f[MBX_SETF_LEN];
	struct vmbx_steer s;
	int err;

	if (n->setup)
		return 0;
	vq_put_le64(f, n->actual_features & n->vf->caps.features);
	err = vmbx_exec(n->vf, MBX_OP_SET_FEATURES, 0, f, sizeof(f), NULL, 0, NULL);
	if (err)
		return err;
	memset(&s, 0, sizeof(s));
	memcpy(s.mac, n->mac, 6);
	s.pairs = 1; /* virtio 1.3 5.1.6.5.5: one pair until VQ_PAIRS_SET */
	err = vmbx_set_steering(n, &s);
	if (err)
		return err;
	for (uint16_t i = 0; i < n->ndata; i++) {
		if (!vmbx_data_vq(n, i))
			continue;
		err = vmbx_setup_vq(n, i);
		if (err)
			goto fail;
	}
	err = vmbx_cvq_start(n);
	if (err)
		goto fail;
	n->setup = true;
	return 0;
fail:
	vmbx_teardown(n);
	return err;
}
