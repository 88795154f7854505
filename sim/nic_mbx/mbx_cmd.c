// SPDX-License-Identifier: MIT
/*
 * MBX firmware: the command mailbox.  A doorbell latches the input area and
 * the command runs doorbell_ns + fw_ns later; its output, status and the
 * completion interrupt appear then.  One command at a time: a doorbell while
 * BUSY is dropped.  A MODIFY_VIRTQ to SUSPEND completes only once the queue
 * has drained (mbx_cmd_drained).  Validation order per command is the order
 * of the checks below; docs/nic-mbx.md lists them.
 */
#include "sim/nic_mbx/mbx_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Syndromes: which check refused a command (reported, for the curious). */
enum {
	SYN_NONE = 0,
	SYN_LEN,
	SYN_NO_FEATURES,
	SYN_FEATURES,
	SYN_OBJECTS_EXIST,
	SYN_INDEX,
	SYN_SIZE,
	SYN_VECTOR,
	SYN_RING,
	SYN_START,
	SYN_SELECT,
	SYN_TRANSITION,
	SYN_FIELDS_WHILE_RDY,
	SYN_NO_RESUME,
	SYN_ERR_STATE,
	SYN_MAC_COUNT,
	SYN_RXQ,
	SYN_FLAGS,
	SYN_MAC,
	SYN_ENGINE,
	SYN_FORCED,
};

struct cmd_res {
	uint8_t status;
	uint32_t syndrome;
	uint32_t out_len;
	bool pending; /* completes later (suspend drain) */
};

static uint16_t in16(const struct mbx *d, unsigned off)
{
	return vq_le16(d->cmd + MBX_MBOX_HDR + off);
}

static uint64_t in64(const struct mbx *d, unsigned off)
{
	return vq_le64(d->cmd + MBX_MBOX_HDR + off);
}

static uint8_t *outp(struct mbx *d, unsigned off)
{
	return d->out + MBX_MBOX_HDR + off;
}

static void fail(struct cmd_res *r, uint8_t status, uint32_t syndrome)
{
	r->status = status;
	r->syndrome = syndrome;
	r->out_len = 0;
}

static struct mbx_vq *find_obj(struct mbx *d, uint32_t obj)
{
	for (unsigned i = 0; i < d->o.max_vqs; i++)
		if (d->q[i].exists && d->q[i].obj == obj)
			return &d->q[i];
	return NULL;
}

static bool any_object(const struct mbx *d)
{
	for (unsigned i = 0; i < d->o.max_vqs; i++)
		if (d->q[i].exists)
			return true;
	return false;
}

/* ---- commands ------------------------------------------------------------------------------- */

static void cmd_query_caps(struct mbx *d, struct cmd_res *r)
{
	uint8_t *o = outp(d, 0);

	memset(o, 0, MBX_CAPS_LEN);
	vq_put_le64(o + MBX_CAPS_FEATURES, d->o.features);
	vq_put_le16(o + MBX_CAPS_MAX_VQS, d->o.max_vqs);
	vq_put_le16(o + MBX_CAPS_MAX_QSIZE, (uint16_t)d->o.qsize);
	vq_put_le32(o + MBX_CAPS_FLAGS, d->o.resume ? MBX_CAP_RESUME : 0);
	memcpy(o + MBX_CAPS_MAC, d->o.mac, 6);
	vq_put_le16(o + MBX_CAPS_MAX_MTU, d->o.max_mtu);
	vq_put_le16(o + MBX_CAPS_MSIX, d->o.nvec);
	vq_put_le16(o + MBX_CAPS_MAX_MACS, MBX_MAX_MACS);
	vq_put_le32(o + MBX_CAPS_FW_VERSION, MBX_FW_VERSION);
	r->out_len = MBX_CAPS_LEN;
}

static void cmd_set_features(struct mbx *d, uint32_t len, struct cmd_res *r)
{
	uint64_t f;

	if (len < MBX_SETF_LEN)
		return fail(r, MBX_ST_BAD_LEN, SYN_LEN);
	if (any_object(d))
		return fail(r, MBX_ST_BAD_STATE, SYN_OBJECTS_EXIST);
	f = in64(d, 0);
	if ((f & ~d->o.features) || !(f & (1ULL << VIRTIO_F_VERSION_1)))
		return fail(r, MBX_ST_BAD_PARAM, SYN_FEATURES);
	d->features = f;
	d->features_set = true;
}

/* A start position with nothing in flight: split avail == used, packed the same
 * slot and wrap counter (what a suspended queue reports). */
static bool start_ok(const struct vq_config *cfg, const struct vq_state *s)
{
	if (s->avail_idx != s->used_idx)
		return false;
	if (vq_cfg_packed(cfg))
		return s->avail_idx < cfg->num && s->avail_wrap == s->used_wrap;
	return true;
}

static void cmd_create_virtq(struct mbx *d, uint32_t len, struct cmd_res *r)
{
	const uint8_t *p = d->cmd + MBX_MBOX_HDR;
	uint16_t idx = in16(d, MBX_VQ_INDEX), vec = in16(d, MBX_VQ_VECTOR);
	uint32_t num = in16(d, MBX_VQ_SIZE) ? in16(d, MBX_VQ_SIZE) : 32768u;
	uint64_t feat = in64(d, MBX_VQ_FEAT);
	struct vq_config cfg;
	struct vq_state st;
	struct mbx_vq *q;

	if (len < MBX_CREATE_LEN)
		return fail(r, MBX_ST_BAD_LEN, SYN_LEN);
	if (!d->features_set)
		return fail(r, MBX_ST_BAD_STATE, SYN_NO_FEATURES);
	if (idx >= d->o.max_vqs)
		return fail(r, MBX_ST_BAD_PARAM, SYN_INDEX);
	q = &d->q[idx];
	if (q->exists)
		return fail(r, MBX_ST_EXISTS, SYN_INDEX);
	if (num > d->o.qsize)
		return fail(r, MBX_ST_BAD_PARAM, SYN_SIZE);
	if (vec != MBX_NO_VECTOR && vec >= d->o.nvec)
		return fail(r, MBX_ST_BAD_PARAM, SYN_VECTOR);
	if ((feat & ~MBX_VQ_FEATURES) || (feat & ~d->features))
		return fail(r, MBX_ST_BAD_PARAM, SYN_FEATURES);
	cfg.num = num;
	cfg.desc_addr = in64(d, MBX_VQ_DESC);
	cfg.driver_addr = in64(d, MBX_VQ_DRIVER);
	cfg.device_addr = in64(d, MBX_VQ_DEVICE);
	cfg.features = feat;
	if (vq_config_check(&cfg))
		return fail(r, MBX_ST_BAD_PARAM, SYN_RING);
	st.avail_idx = in16(d, MBX_VQ_AVAIL_IDX);
	st.used_idx = in16(d, MBX_VQ_USED_IDX);
	st.avail_wrap = p[MBX_VQ_AVAIL_WRAP] & 1;
	st.used_wrap = p[MBX_VQ_USED_WRAP] & 1;
	if (!vq_cfg_packed(&cfg))
		st.avail_wrap = st.used_wrap = true;
	if (!start_ok(&cfg, &st))
		return fail(r, MBX_ST_BAD_PARAM, SYN_START);
	q->cq = calloc(num, sizeof(*q->cq));
	q->spare_cap = num < MBX_RX_CACHE ? num : MBX_RX_CACHE;
	q->spare = calloc(q->spare_cap, sizeof(*q->spare));
	if (!q->cq || !q->spare) {
		free(q->cq);
		free(q->spare);
		q->cq = NULL;
		q->spare = NULL;
		return fail(r, MBX_ST_NO_RESOURCES, SYN_NONE);
	}
	q->exists = true;
	q->obj = d->next_obj++;
	q->state = MBX_VQS_INIT;
	q->stopping = false;
	q->vector = vec;
	q->cfg = cfg;
	q->start = st;
	q->cfg_dirty = true;
	q->start_dirty = true;
	q->error = VQ_V_NONE;
	q->received = q->completed = 0;
	q->cq_head = q->cq_n = q->nspare = 0;
	vq_put_le32(outp(d, 0), q->obj);
	r->out_len = MBX_CREATE_OUT_LEN;
}

static bool transition_ok(const struct mbx *d, uint8_t from, uint8_t to)
{
	if (from == MBX_VQS_INIT && to == MBX_VQS_RDY)
		return true;
	if (from == MBX_VQS_RDY && to == MBX_VQS_SUSPEND)
		return true;
	return from == MBX_VQS_SUSPEND && to == MBX_VQS_RDY && d->o.resume;
}

static void cmd_modify_virtq(struct mbx *d, struct mbx_vq *q, uint32_t len, struct cmd_res *r)
{
	const uint8_t *p = d->cmd + MBX_MBOX_HDR;
	uint32_t sel = vq_le32(p + MBX_MOD_SELECT);
	uint8_t to = p[MBX_MOD_STATE];
	struct vq_config cfg = q->cfg;
	struct vq_state st = q->start;
	uint16_t vec = q->vector;
	int rr;

	if (len < MBX_MODIFY_LEN)
		return fail(r, MBX_ST_BAD_LEN, SYN_LEN);
	if (!sel || (sel & ~(MBX_MOD_F_STATE | MBX_MOD_F_INDICES | MBX_MOD_F_ADDRS |
			    MBX_MOD_F_VECTOR)))
		return fail(r, MBX_ST_BAD_PARAM, SYN_SELECT);
	if (q->state == MBX_VQS_ERR)
		return fail(r, MBX_ST_BAD_STATE, SYN_ERR_STATE);
	/* the ring position and layout are frozen while the queue runs */
	if ((sel & ~MBX_MOD_F_STATE) && q->state == MBX_VQS_RDY)
		return fail(r, MBX_ST_BAD_STATE, SYN_FIELDS_WHILE_RDY);
	if (sel & MBX_MOD_F_STATE) {
		if (q->state == MBX_VQS_SUSPEND && to == MBX_VQS_RDY && !d->o.resume)
			return fail(r, MBX_ST_BAD_STATE, SYN_NO_RESUME);
		if (!transition_ok(d, q->state, to))
			return fail(r, MBX_ST_BAD_STATE, SYN_TRANSITION);
	}
	if (sel & MBX_MOD_F_ADDRS) {
		cfg.desc_addr = vq_le64(p + MBX_MOD_DESC);
		cfg.driver_addr = vq_le64(p + MBX_MOD_DRIVER);
		cfg.device_addr = vq_le64(p + MBX_MOD_DEVICE);
		if (vq_config_check(&cfg))
			return fail(r, MBX_ST_BAD_PARAM, SYN_RING);
	}
	if (sel & MBX_MOD_F_INDICES) {
		st.avail_idx = vq_le16(p + MBX_MOD_AVAIL_IDX);
		st.used_idx = vq_le16(p + MBX_MOD_USED_IDX);
		st.avail_wrap = p[MBX_MOD_AVAIL_WRAP] & 1;
		st.used_wrap = p[MBX_MOD_USED_WRAP] & 1;
		if (!vq_cfg_packed(&cfg))
			st.avail_wrap = st.used_wrap = true;
		if (!start_ok(&cfg, &st))
			return fail(r, MBX_ST_BAD_PARAM, SYN_START);
	}
	if (sel & MBX_MOD_F_VECTOR) {
		vec = vq_le16(p + MBX_MOD_VECTOR);
		if (vec != MBX_NO_VECTOR && vec >= d->o.nvec)
			return fail(r, MBX_ST_BAD_PARAM, SYN_VECTOR);
	}
	if (sel & MBX_MOD_F_ADDRS) {
		q->cfg = cfg;
		q->cfg_dirty = true;
	}
	if (sel & MBX_MOD_F_INDICES) {
		q->start = st;
		q->start_dirty = true;
	}
	q->vector = vec;
	if (!(sel & MBX_MOD_F_STATE))
		return;
	if (to == MBX_VQS_RDY) {
		if (mbx_vq_to_rdy(d, q))
			return fail(r, MBX_ST_NO_RESOURCES, SYN_ENGINE);
		return;
	}
	rr = mbx_vq_suspend(d, q);
	if (rr == 0) {
		/* completes in mbx_cmd_drained once nothing is in flight */
		d->drain_q = q->idx;
		r->pending = true;
	}
}

static void cmd_query_virtq(struct mbx *d, struct mbx_vq *q, struct cmd_res *r)
{
	uint8_t *o = outp(d, 0);
	struct vq_state st;

	mbx_vq_get_state(q, &st);
	memset(o, 0, MBX_QUERY_VQ_LEN);
	o[MBX_QV_STATE] = q->state;
	o[MBX_QV_AVAIL_WRAP] = st.avail_wrap;
	o[MBX_QV_USED_WRAP] = st.used_wrap;
	vq_put_le16(o + MBX_QV_INDEX, q->idx);
	vq_put_le16(o + MBX_QV_SIZE, (uint16_t)q->cfg.num);
	vq_put_le16(o + MBX_QV_AVAIL_IDX, st.avail_idx);
	vq_put_le16(o + MBX_QV_USED_IDX, st.used_idx);
	vq_put_le32(o + MBX_QV_ERROR, q->error);
	vq_put_le64(o + MBX_QV_RECEIVED, q->received);
	vq_put_le64(o + MBX_QV_COMPLETED, q->completed);
	vq_put_le32(o + MBX_QV_INFLIGHT, mbx_vq_inflight(q));
	r->out_len = MBX_QUERY_VQ_LEN;
}

static bool mac_is_multicast(const uint8_t *m)
{
	return m[0] & 1;
}

static void cmd_set_steering(struct mbx *d, uint32_t len, struct cmd_res *r)
{
	const uint8_t *p = d->cmd + MBX_MBOX_HDR;
	uint16_t nuc = vq_le16(p + MBX_ST_NUC), nmc = vq_le16(p + MBX_ST_NMC);
	uint16_t rxq = vq_le16(p + MBX_ST_RXQ);
	uint8_t flags = p[MBX_ST_FLAGS];
	const uint8_t *lists = p + MBX_ST_LISTS;

	if (len < MBX_ST_LISTS)
		return fail(r, MBX_ST_BAD_LEN, SYN_LEN);
	if (nuc > MBX_MAX_MACS || nmc > MBX_MAX_MACS)
		return fail(r, MBX_ST_BAD_PARAM, SYN_MAC_COUNT);
	if (len < MBX_ST_LISTS + 6u * (nuc + nmc))
		return fail(r, MBX_ST_BAD_LEN, SYN_LEN);
	if (!rxq || rxq > d->o.max_vqs / 2)
		return fail(r, MBX_ST_BAD_PARAM, SYN_RXQ);
	if (flags & ~(MBX_STEER_PROMISC | MBX_STEER_ALLMULTI))
		return fail(r, MBX_ST_BAD_PARAM, SYN_FLAGS);
	if (mac_is_multicast(p + MBX_ST_MAC))
		return fail(r, MBX_ST_BAD_PARAM, SYN_MAC);
	memcpy(d->steer.mac, p + MBX_ST_MAC, 6);
	d->steer.flags = flags;
	d->steer.rxq = rxq;
	d->steer.nuc = nuc;
	d->steer.nmc = nmc;
	for (unsigned i = 0; i < nuc; i++)
		memcpy(d->steer.uc[i], lists + 6 * i, 6);
	for (unsigned i = 0; i < nmc; i++)
		memcpy(d->steer.mc[i], lists + 6 * (nuc + i), 6);
}

static void cmd_query_steering(struct mbx *d, struct cmd_res *r)
{
	uint8_t *o = outp(d, 0);
	uint8_t *lists = o + MBX_ST_LISTS;

	memset(o, 0, MBX_ST_LISTS);
	memcpy(o + MBX_ST_MAC, d->steer.mac, 6);
	o[MBX_ST_FLAGS] = d->steer.flags;
	vq_put_le16(o + MBX_ST_RXQ, d->steer.rxq);
	vq_put_le16(o + MBX_ST_NUC, d->steer.nuc);
	vq_put_le16(o + MBX_ST_NMC, d->steer.nmc);
	for (unsigned i = 0; i < d->steer.nuc; i++)
		memcpy(lists + 6 * i, d->steer.uc[i], 6);
	for (unsigned i = 0; i < d->steer.nmc; i++)
		memcpy(lists + 6 * (d->steer.nuc + i), d->steer.mc[i], 6);
	r->out_len = MBX_ST_LISTS + 6u * (d->steer.nuc + d->steer.nmc);
}

static void cmd_query_stats(struct mbx *d, uint32_t obj, struct cmd_res *r)
{
	uint8_t *o = outp(d, 0);
	struct mbx_vq *q;

	if (obj == 0) {
		vq_put_le64(o + MBX_SD_TX_FRAMES, d->st[MBX_S_TX_FRAMES]);
		vq_put_le64(o + MBX_SD_TX_BYTES, d->st[MBX_S_TX_BYTES]);
		vq_put_le64(o + MBX_SD_RX_FRAMES, d->st[MBX_S_RX_FRAMES]);
		vq_put_le64(o + MBX_SD_RX_BYTES, d->st[MBX_S_RX_BYTES]);
		vq_put_le64(o + MBX_SD_RX_NO_BUFFER, d->st[MBX_S_RX_NO_BUFFER]);
		vq_put_le64(o + MBX_SD_RX_FILTERED, d->st[MBX_S_RX_FILTERED]);
		vq_put_le64(o + MBX_SD_TX_DROPPED, d->st[MBX_S_TX_DROPPED]);
		vq_put_le64(o + MBX_SD_COMMANDS, d->st[MBX_S_CMDS]);
		r->out_len = MBX_STATS_DEV_LEN;
		return;
	}
	q = find_obj(d, obj);
	if (!q)
		return fail(r, MBX_ST_BAD_OBJ, SYN_NONE);
	vq_put_le64(o + MBX_SV_RECEIVED, q->received);
	vq_put_le64(o + MBX_SV_COMPLETED, q->completed);
	r->out_len = MBX_STATS_VQ_LEN;
}

static void cmd_reset(struct mbx *d)
{
	for (unsigned i = 0; i < MBX_MAX_VQS; i++)
		if (d->q[i].exists)
			mbx_vq_destroy(d, &d->q[i]);
	d->features_set = false;
	d->features = 0;
	d->vq_err = 0;
	d->event_cause = 0;
	mbx_steer_default(d);
}

/* Execute the latched command; fills the output payload and *r. */
static void execute(struct mbx *d, struct cmd_res *r)
{
	uint16_t op = vq_le16(d->cmd + MBX_IN_OPCODE);
	uint32_t obj = vq_le32(d->cmd + MBX_IN_OBJ);
	uint32_t len = vq_le32(d->cmd + MBX_IN_LEN);
	struct mbx_vq *q = NULL;

	memset(r, 0, sizeof(*r));
	if (len > MBX_MBOX_PAYLOAD)
		return fail(r, MBX_ST_BAD_LEN, SYN_LEN);
	if (op == MBX_OP_MODIFY_VIRTQ || op == MBX_OP_QUERY_VIRTQ || op == MBX_OP_DESTROY_VIRTQ) {
		q = find_obj(d, obj);
		if (!q)
			return fail(r, MBX_ST_BAD_OBJ, SYN_NONE);
	}
	switch (op) {
	case MBX_OP_QUERY_CAPS:
		cmd_query_caps(d, r);
		break;
	case MBX_OP_SET_FEATURES:
		cmd_set_features(d, len, r);
		break;
	case MBX_OP_CREATE_VIRTQ:
		cmd_create_virtq(d, len, r);
		break;
	case MBX_OP_MODIFY_VIRTQ:
		cmd_modify_virtq(d, q, len, r);
		break;
	case MBX_OP_QUERY_VIRTQ:
		cmd_query_virtq(d, q, r);
		break;
	case MBX_OP_DESTROY_VIRTQ:
		mbx_vq_destroy(d, q);
		break;
	case MBX_OP_SET_STEERING:
		cmd_set_steering(d, len, r);
		break;
	case MBX_OP_QUERY_STEERING:
		cmd_query_steering(d, r);
		break;
	case MBX_OP_QUERY_STATS:
		cmd_query_stats(d, obj, r);
		break;
	case MBX_OP_RESET:
		cmd_reset(d);
		break;
	default:
		fail(r, MBX_ST_BAD_OPCODE, SYN_NONE);
		break;
	}
}

static void complete(struct mbx *d, const struct cmd_res *r)
{
	uint64_t now = mbx_now(d);

	d->out[MBX_OUT_STATUS] = r->status;
	d->out[1] = d->out[2] = d->out[3] = 0;
	vq_put_le32(d->out + MBX_OUT_SYNDROME, r->syndrome);
	vq_put_le32(d->out + MBX_OUT_LEN, r->out_len);
	vq_put_le32(d->out + MBX_OUT_TOKEN, vq_le32(d->cmd + MBX_IN_TOKEN));
	d->busy = false;
	d->drain_q = -1;
	d->last_status = r->status;
	d->cmd_done++;
	mbx_stat(d, MBX_S_CMDS, 1);
	if (r->status)
		mbx_stat(d, MBX_S_CMD_ERRORS, 1);
	if (d->h->trace) {
		char kv[96];

		snprintf(kv, sizeof(kv), "op=0x%02x status=%u syndrome=%u",
			 vq_le16(d->cmd + MBX_IN_OPCODE), r->status, r->syndrome);
		d->h->trace(d->host, "cmd_done", kv);
	}
	if (d->cmd_vector != MBX_NO_VECTOR)
		d->h->msix_send(d->host, d->cmd_vector, now);
}

void mbx_cmd_doorbell(struct mbx *d)
{
	uint64_t now = mbx_now(d);

	if (d->busy) {
		mbx_stat(d, MBX_S_CMD_DROPPED, 1);
		return;
	}
	d->busy = true;
	memcpy(d->cmd, d->in, sizeof(d->cmd));
	d->cmd_gen++;
	d->cmd_h = mbx_timer(d, now + d->o.doorbell_ps + d->o.fw_ps, MBX_T_CMD, 0, d->cmd_gen);
}

void mbx_cmd_timer(struct mbx *d, uint32_t gen)
{
	struct cmd_res r;

	if (!d->busy || gen != d->cmd_gen || d->drain_q >= 0)
		return;
	d->cmd_h = 0;
	if (d->force_status >= 0) {
		memset(&r, 0, sizeof(r));
		fail(&r, (uint8_t)d->force_status, SYN_FORCED);
		d->force_status = -1;
	} else {
		execute(d, &r);
	}
	if (r.pending)
		return;
	complete(d, &r);
}

/* The queue a suspend waits for has reached SUSPEND (or failed on the way). */
void mbx_cmd_drained(struct mbx *d, struct mbx_vq *q, uint8_t status)
{
	struct cmd_res r;

	if (!d->busy || d->drain_q != q->idx)
		return;
	memset(&r, 0, sizeof(r));
	r.status = status;
	r.syndrome = status ? SYN_ERR_STATE : SYN_NONE;
	complete(d, &r);
}

void mbx_cmd_reset(struct mbx *d)
{
	if (d->cmd_h)
		d->h->timer_cancel(d->host, d->cmd_h);
	d->cmd_h = 0;
	d->cmd_gen++;
	d->busy = false;
	d->drain_q = -1;
	d->force_status = -1;
}
