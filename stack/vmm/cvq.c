// SPDX-License-Identifier: MIT
/*
 * The shadow control queue (QEMU's shadowed CVQ, net/vhost-vdpa.c): the VMM
 * is the device of the guest's control queue and the driver of a ring of
 * its own that the device serves.  Each guest command is copied to VMM
 * memory, forwarded, and its ack copied back; what the device acked is
 * recorded in the control state (MAC, MAC tables, RX mode, queue pairs),
 * which a restart replays to the new device.  Commands go one at a time.
 */
#include "stack/vmm/vmm_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NETCFG_MAX_VQP 8 /* offsetof(struct virtio_net_config, max_virtqueue_pairs) */

int vmm_cvq_index(const struct vmm *v)
{
	uint32_t pairs = 1, idx;

	if (!vmm_drv_feature(v, VIRTIO_NET_F_CTRL_VQ))
		return -1;
	/* virtio 1.3 5.1.2: the control queue follows the last data queue */
	if (vmm_drv_feature(v, VIRTIO_NET_F_MQ))
		pairs = vq_le16(v->st.config + NETCFG_MAX_VQP);
	if (!pairs)
		pairs = 1;
	idx = 2 * pairs;
	return idx < v->st.nvqs ? (int)idx : -1;
}

bool vmm_vq_shadowed(const struct vmm *v, uint16_t idx)
{
	return v && !v->cfg.no_shadow_cvq && v->cfg.shadow_size && vmm_cvq_index(v) == (int)idx;
}

int vmm_set_vq_observer(struct vmm *v, uint16_t idx, struct vq_obs *obs)
{
	if (!vmm_vq_shadowed(v, idx))
		return -ENOENT;
	v->cvq.obs = obs;
	if (v->cvq.gdev)
		vq_dev_set_observer(v->cvq.gdev, obs);
	return 0;
}

/* ---- the shadow memory, seen at its IOVA -------------------------------------------- */

static int shadow_pa(const struct vmm *v, uint64_t iova, uint32_t len, uint64_t *pa)
{
	uint64_t off = iova - v->cfg.shadow_iova;

	if (iova < v->cfg.shadow_iova || off > v->cfg.shadow_size ||
	    len > v->cfg.shadow_size - off)
		return -EFAULT;
	*pa = v->cfg.shadow_hpa + off;
	return 0;
}

static int sacc_read(void *ctx, uint64_t iova, void *dst, uint32_t len)
{
	struct vmm *v = ctx;
	uint64_t pa;

	if (shadow_pa(v, iova, len, &pa))
		return -EFAULT;
	return mem_read(v->cfg.host, pa, dst, len);
}

static int sacc_write(void *ctx, uint64_t iova, const void *src, uint32_t len)
{
	struct vmm *v = ctx;
	uint64_t pa;

	if (shadow_pa(v, iova, len, &pa))
		return -EFAULT;
	return mem_write(v->cfg.host, pa, src, len);
}

/* ---- control state -------------------------------------------------------------------- */

static void parse_table(struct vmm_ctrl_state *cs, const uint8_t *d, uint32_t dl)
{
	uint32_t nuc, nmc, off;

	/* struct virtio_net_ctrl_mac twice: le32 entries, then the MACs */
	if (dl < 4)
		return;
	nuc = vq_le32(d);
	if (nuc > VMM_MAC_TABLE_MAX || 4 + 6ULL * nuc + 4 > dl)
		return;
	off = 4 + 6 * nuc;
	nmc = vq_le32(d + off);
	if (nmc > VMM_MAC_TABLE_MAX || off + 4 + 6ULL * nmc > dl)
		return;
	cs->n_uc = nuc;
	memcpy(cs->uc, d + 4, 6 * nuc);
	cs->n_mc = nmc;
	memcpy(cs->mc, d + off + 4, 6 * nmc);
	cs->table_set = true;
}

/* What an acked command changed (virtio 1.3 5.1.6.5). */
static void apply(struct vmm_ctrl_state *cs, const uint8_t *cmd, uint32_t len)
{
	const uint8_t *d = cmd + 2;
	uint32_t dl = len - 2;

	if (len < 2)
		return;
	switch (cmd[0]) {
	case VIRTIO_NET_CTRL_RX:
		if (cmd[1] <= VIRTIO_NET_CTRL_RX_NOBCAST && dl >= 1) {
			cs->rx_set |= (uint8_t)(1u << cmd[1]);
			if (d[0])
				cs->rx_on |= (uint8_t)(1u << cmd[1]);
			else
				cs->rx_on &= (uint8_t)~(1u << cmd[1]);
		}
		break;
	case VIRTIO_NET_CTRL_MAC:
		if (cmd[1] == VIRTIO_NET_CTRL_MAC_ADDR_SET && dl >= 6) {
			memcpy(cs->mac, d, 6);
			cs->mac_set = true;
		} else if (cmd[1] == VIRTIO_NET_CTRL_MAC_TABLE_SET) {
			parse_table(cs, d, dl);
		}
		break;
	case VIRTIO_NET_CTRL_MQ:
		if (cmd[1] == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET && dl >= 2)
			cs->queue_pairs = vq_le16(d);
		break;
	default:
		break;
	}
}

static void add_replay(struct vmm_cvq *c, uint8_t cls, uint8_t cmd, const void *data,
		       uint32_t len)
{
	uint8_t *p;

	if (c->nreplay >= CVQ_REPLAY_MAX || len + 2 > CVQ_CMD_MAX)
		return;
	p = c->replay[c->nreplay];
	p[0] = cls;
	p[1] = cmd;
	memcpy(p + 2, data, len);
	c->replay_len[c->nreplay++] = len + 2;
}

/* vhost_vdpa_net_load: the commands that bring a fresh device to the state
 * the guest set up (MAC, MAC tables, queue pairs, RX mode). */
static void build_replay(struct vmm *v)
{
	struct vmm_cvq *c = &v->cvq;
	const struct vmm_ctrl_state *cs = &v->st.ctrl;
	uint8_t buf[8 + 2 * 6 * VMM_MAC_TABLE_MAX];

	c->nreplay = c->replay_at = 0;
	if (cs->mac_set)
		add_replay(c, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, cs->mac, 6);
	if (cs->table_set) {
		uint32_t off = 0;

		vq_put_le32(buf, cs->n_uc);
		memcpy(buf + 4, cs->uc, 6 * cs->n_uc);
		off = 4 + 6 * cs->n_uc;
		vq_put_le32(buf + off, cs->n_mc);
		memcpy(buf + off + 4, cs->mc, 6 * cs->n_mc);
		add_replay(c, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, buf,
			   off + 4 + 6 * cs->n_mc);
	}
	if (cs->queue_pairs) {
		vq_put_le16(buf, cs->queue_pairs);
		add_replay(c, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, buf, 2);
	}
	for (uint8_t i = 0; i <= VIRTIO_NET_CTRL_RX_NOBCAST; i++) {
		if (cs->rx_set & (1u << i)) {
			buf[0] = (cs->rx_on >> i) & 1;
			add_replay(c, VIRTIO_NET_CTRL_RX, i, buf, 1);
		}
	}
}

/* ---- set-up ----------------------------------------------------------------------------- */

/* vhost_vdpa_net_cvq_start: the control queue's group gets address space 1
 * when no data queue shares the group, so the device reaches VMM memory
 * only through it.  Otherwise everything shares address space 0. */
static int isolate(struct vmm *v)
{
	struct vmm_cvq *c = &v->cvq;
	struct vhost_vring_state s;
	uint32_t nas = 0, group;
	long r;

	c->asid = 0;
	c->isolated = false;
	if (!vmm_has_backend(v, VHOST_BACKEND_F_IOTLB_ASID))
		return 0;
	if (vmm_ioctl(v, VHOST_VDPA_GET_AS_NUM, &nas) || nas < 2)
		return 0;
	s.index = c->idx;
	if (vmm_ioctl(v, VHOST_VDPA_GET_VRING_GROUP, &s))
		return 0;
	group = s.num;
	for (uint16_t i = 0; i < v->st.nvqs; i++) {
		if (i == c->idx || !v->st.vq[i].ready)
			continue;
		s.index = i;
		if (vmm_ioctl(v, VHOST_VDPA_GET_VRING_GROUP, &s) || s.num == group)
			return 0;
	}
	s.index = group;
	s.num = 1;
	r = vmm_ioctl(v, VHOST_VDPA_SET_GROUP_ASID, &s);
	if (r)
		return (int)r;
	c->asid = 1;
	c->isolated = true;
	return 0;
}

static void scall_wake(void *ctx, struct vdpa_evfd *efd)
{
	struct vmm *v = ctx;
	uint64_t n;

	vdpa_evfd_read(efd, &n);
	vmm_cvq_kick(v);
}

static void guest_kick_wake(void *ctx, struct vdpa_evfd *efd)
{
	struct vmm *v = ctx;
	uint64_t n;

	vdpa_evfd_read(efd, &n);
	vmm_cvq_kick(v);
}

static int make_eventfds(struct vmm *v)
{
	struct vmm_cvq *c = &v->cvq;
	int r;

	if (!c->skick) {
		r = vdpa_evfd_create(v->sim, &c->skick);
		if (r < 0) {
			c->skick = NULL;
			return r;
		}
	}
	if (!c->scall) {
		r = vdpa_evfd_create(v->sim, &c->scall);
		if (r < 0) {
			c->scall = NULL;
			return r;
		}
		r = vdpa_evfd_add_waiter(c->scall, scall_wake, v);
		if (r < 0)
			return r;
		c->scall_waiter = r;
	}
	return 0;
}

int vmm_cvq_prepare(struct vmm *v)
{
	struct vmm_cvq *c = &v->cvq;
	const struct vmm_vq_state *g;
	bool packed = vmm_drv_feature(v, VIRTIO_F_RING_PACKED);
	struct vq_config gcfg;
	struct vq_state gs;
	uint64_t end;
	int idx = vmm_cvq_index(v), err;

	vmm_cvq_drop_device(v);
	c->replay_done = true;
	c->enable_after = false;
	c->nreplay = c->replay_at = 0;
	if (idx < 0 || !vmm_vq_shadowed(v, (uint16_t)idx) || !v->st.vq[idx].ready) {
		vmm_cvq_teardown(v);
		return 0;
	}
	if (c->gdev && c->idx != idx)
		vmm_cvq_teardown(v);
	c->idx = (uint16_t)idx;
	g = &v->st.vq[idx];
	err = isolate(v);
	if (err)
		return err;
	if (!c->isolated) {
		/* shared with guest RAM: the shadow IOVAs must not collide */
		for (unsigned int i = 0; i < v->nregions; i++)
			if (v->regions[i].gpa < v->cfg.shadow_iova + v->cfg.shadow_size &&
			    v->cfg.shadow_iova < v->regions[i].gpa + v->regions[i].size)
				return -EINVAL;
	}
	err = mem_zero(v->cfg.host, v->cfg.shadow_hpa, v->cfg.shadow_size);
	if (err)
		return err;
	c->smem.read = sacc_read;
	c->smem.write = sacc_write;
	c->smem.ctx = v;
	memset(&c->scfg, 0, sizeof(c->scfg));
	c->scfg.num = CVQ_RING < v->vq_num_max ? CVQ_RING : v->vq_num_max;
	if (!packed)
		while (c->scfg.num & (c->scfg.num - 1))
			c->scfg.num &= c->scfg.num - 1;
	c->scfg.features = v->st.driver_features;
	end = vq_config_place(&c->scfg, v->cfg.shadow_iova);
	c->cmd_iova = (end + 63) & ~63ULL;
	c->ack_iova = c->cmd_iova + CVQ_CMD_MAX;
	if (c->ack_iova + 64 > v->cfg.shadow_iova + v->cfg.shadow_size)
		return -ENOSPC;
	err = vq_drv_create(&c->sdrv, &c->scfg, &c->smem, NULL);
	if (err)
		return err;
	/* The guest's side: kept from the previous device (a command it
	 * never answered is sent again, nothing is read twice), else it
	 * continues where the saved base says. */
	if (!c->gdev) {
		memset(&gcfg, 0, sizeof(gcfg));
		gcfg.num = g->num;
		gcfg.desc_addr = g->desc;
		gcfg.driver_addr = g->driver;
		gcfg.device_addr = g->device;
		gcfg.features = v->st.driver_features;
		err = vq_state_from_vhost(&gs, g->base, packed, g->num);
		if (!err)
			err = vq_dev_create(&c->gdev, &gcfg, &v->dma.mem, &gs);
		if (err) {
			vmm_cvq_teardown(v);
			return err;
		}
		c->chain_held = false;
		vq_dev_set_observer(c->gdev, c->obs);
	}
	err = make_eventfds(v);
	if (err) {
		vmm_cvq_teardown(v);
		return err;
	}
	build_replay(v);
	c->replay_done = c->nreplay == 0;
	c->enable_after = !c->replay_done &&
			  vmm_has_backend(v, VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK);
	c->active = true;
	return 0;
}

void vmm_cvq_ring(const struct vmm *v, struct vmm_vq_state *out)
{
	const struct vmm_cvq *c = &v->cvq;

	out->ready = true;
	out->num = c->scfg.num;
	out->desc = c->scfg.desc_addr;
	out->driver = c->scfg.driver_addr;
	out->device = c->scfg.device_addr;
	out->base = vmm_fresh_base(v);
}

/* ---- commands ---------------------------------------------------------------------------- */

static void cvq_event(struct sim *sim, void *arg);

void vmm_cvq_kick(struct vmm *v)
{
	struct vmm_cvq *c = &v->cvq;

	if (c->active && !c->ev)
		c->ev = eng_schedule_in(v->sim, 0, cvq_event, v);
}

/* Publish used entries of the guest's queue and interrupt as it asks. */
static int guest_flush(struct vmm *v)
{
	struct vmm_cvq *c = &v->cvq;
	int r;

	if (vq_dev_flush(c->gdev))
		return -EIO;
	/* virtio 1.3 2.7.10 / 2.8.10: only when the driver wants one */
	r = vq_dev_need_interrupt(c->gdev);
	if (r < 0)
		return -EIO;
	if (r) {
		if (c->obs)
			vq_obs_notify(c->obs, VQ_ACTOR_DEVICE);
		vmm_inject_irq(v, c->idx);
	}
	return 0;
}

/* Answer the guest's chain in flight with ack (written when it has room). */
static int guest_reply(struct vmm *v, uint8_t ack)
{
	struct vmm_cvq *c = &v->cvq;
	uint32_t len = 0;

	if (c->chain.nseg > c->chain.nout && c->chain.in_len >= 1) {
		if (vq_dev_write(c->gdev, &c->chain, 0, &ack, 1))
			return -EIO;
		len = 1;
	}
	if (vq_dev_push(c->gdev, &c->chain, len))
		return -EIO;
	return guest_flush(v);
}

static void cvq_broken(struct vmm *v, int err)
{
	struct vmm_cvq *c = &v->cvq;

	c->busy = false;
	c->chain_held = false;
	vmm_fail_device(v, err);
}

/* Forward a command to the device through the shadow ring. */
static int send(struct vmm *v, const uint8_t *cmd, uint32_t len, bool replay)
{
	struct vmm_cvq *c = &v->cvq;
	uint8_t ack = VIRTIO_NET_ERR;
	struct vq_seg sg[2] = {
		{ c->cmd_iova, len, 0 },
		{ c->ack_iova, 1, VQ_SEG_F_WRITE },
	};
	int r;

	memcpy(c->cmd, cmd, len);
	c->cmd_len = len;
	if (c->smem.write(v, c->cmd_iova, c->cmd, c->cmd_len) ||
	    c->smem.write(v, c->ack_iova, &ack, 1))
		return -EFAULT;
	r = vq_drv_add(c->sdrv, sg, 1, 1, c);
	if (r)
		return r;
	r = vq_drv_kick_prepare(c->sdrv);
	if (r < 0)
		return r;
	if (r)
		vdpa_evfd_write(c->skick, 1);
	c->busy = true;
	c->sent_replay = replay;
	v->stats.cvq_cmds++;
	return 0;
}

/* The device's answer to the command at the device, if there is one. */
static int complete(struct vmm *v)
{
	struct vmm_cvq *c = &v->cvq;
	uint8_t ack = VIRTIO_NET_ERR;
	void *tok = NULL;
	uint32_t len = 0;
	int r;

	r = vq_drv_get_used(c->sdrv, &tok, &len);
	if (r <= 0)
		return r;
	if (len >= 1 && c->smem.read(v, c->ack_iova, &ack, 1))
		ack = VIRTIO_NET_ERR;
	if (ack == VIRTIO_NET_OK) {
		apply(&v->st.ctrl, c->cmd, c->cmd_len);
		v->stats.cvq_ok++;
	} else {
		v->stats.cvq_err++;
	}
	c->busy = false;
	if (c->sent_replay) {
		c->replay_at++;
		v->stats.cvq_replayed++;
	} else if (c->chain_held) {
		c->chain_held = false;
		r = guest_reply(v, ack);
		if (r)
			return r;
	}
	/* EVENT_IDX: ask for the next completion's interrupt */
	vq_drv_enable_cb(c->sdrv);
	return 1;
}

/* Serve the next command: a replay first, then the guest's queue. */
static int process(struct vmm *v)
{
	struct vmm_cvq *c = &v->cvq;
	/* every entry of the ring twice, the replays, and a margin */
	uint32_t bound = 2 * v->st.vq[c->idx].num + CVQ_REPLAY_MAX + 2;
	int r;

	for (uint32_t n = 0; n <= bound && !c->busy; n++) {
		if (c->replay_at < c->nreplay) {
			const uint8_t *cmd = c->replay[c->replay_at];

			vmm_logf(v, "CVQ_REPLAY %u %u", cmd[0], cmd[1]);
			r = send(v, cmd, c->replay_len[c->replay_at], true);
			if (r)
				return r;
			continue;
		}
		if (!c->replay_done) {
			c->replay_done = true;
			if (c->enable_after) {
				c->enable_after = false;
				r = vmm_enable_data_queues(v);
				if (r)
					return r;
			}
		}
		if (c->chain_held) {
			/* the previous device stopped before answering it */
			r = send(v, c->gcmd, c->gcmd_len, false);
			if (r)
				return r;
			continue;
		}
		c->chain.seg = c->seg;
		c->chain.seg_cap = CVQ_SEGS;
		r = vq_dev_fetch(c->gdev, &c->chain);
		if (r == 0) {
			/* idle: notifications on, and look once more */
			if (vq_dev_enable_notify(c->gdev))
				continue;
			return 0;
		}
		if (r < 0 && r != -EMSGSIZE)
			return -EIO;
		if (r == -EMSGSIZE || c->chain.out_len < 2 || c->chain.out_len > CVQ_CMD_MAX ||
		    c->chain.in_len < 1) {
			/* not a command the VMM can forward */
			v->stats.cvq_err++;
			r = guest_reply(v, VIRTIO_NET_ERR);
			if (r)
				return r;
			continue;
		}
		if (vq_dev_read(c->gdev, &c->chain, 0, c->gcmd, c->chain.out_len))
			return -EIO;
		c->gcmd_len = c->chain.out_len;
		c->chain_held = true;
		r = send(v, c->gcmd, c->gcmd_len, false);
		if (r)
			return r;
	}
	return 0;
}

static void cvq_event(struct sim *sim, void *arg)
{
	struct vmm *v = arg;
	struct vmm_cvq *c = &v->cvq;
	int r;

	(void)sim;
	c->ev = 0;
	if (!c->active || !v->running)
		return;
	if (c->busy) {
		r = complete(v);
		if (r < 0) {
			cvq_broken(v, r);
			return;
		}
		if (c->busy)
			return;
	}
	r = process(v);
	if (r)
		cvq_broken(v, r);
}

void vmm_cvq_start(struct vmm *v)
{
	struct vmm_cvq *c = &v->cvq;
	struct vmm_vq *q;
	uint64_t n;

	if (!c->active)
		return;
	q = &v->vqs[c->idx];
	if (q->kick && q->kick_waiter < 0) {
		int id = vdpa_evfd_add_waiter(q->kick, guest_kick_wake, v);

		if (id >= 0)
			q->kick_waiter = id;
	}
	if (q->kick)
		vdpa_evfd_read(q->kick, &n);
	vq_drv_enable_cb(c->sdrv);
	vmm_cvq_kick(v);
}

/* Packed: step the avail position back over ndesc descriptors (the wrap
 * counter flips when it crosses the ring start); split: one entry. */
static void rollback(struct vq_state *s, uint16_t ndesc, uint32_t num, bool packed)
{
	uint32_t pos;

	if (!packed) {
		s->avail_idx--;
		s->used_idx = s->avail_idx;
		return;
	}
	pos = (uint32_t)s->avail_idx + (s->avail_wrap ? 0 : num);
	pos = (pos + 2 * num - ndesc % (2 * num)) % (2 * num);
	s->avail_idx = (uint16_t)(pos < num ? pos : pos - num);
	s->avail_wrap = pos < num;
}

void vmm_cvq_stop(struct vmm *v)
{
	struct vmm_cvq *c = &v->cvq;
	bool packed = vmm_drv_feature(v, VIRTIO_F_RING_PACKED);
	struct vq_state gs;

	if (!c->active)
		return;
	if (c->ev) {
		eng_cancel(v->sim, c->ev);
		c->ev = 0;
	}
	/* a command the device finished before it stopped is answered */
	if (c->busy && complete(v) < 0) {
		cvq_broken(v, -EIO);
		return;
	}
	vq_dev_get_state(c->gdev, &gs);
	/* a VMM starting from this state fetches it again (QEMU rewinds the
	 * queue the same way); this one keeps the chain and sends it again */
	if (c->chain_held)
		rollback(&gs, c->chain.ndesc, v->st.vq[c->idx].num, packed);
	v->st.vq[c->idx].base = vq_state_to_vhost(&gs, packed);
}

void vmm_cvq_drop_device(struct vmm *v)
{
	struct vmm_cvq *c = &v->cvq;

	if (c->ev) {
		eng_cancel(v->sim, c->ev);
		c->ev = 0;
	}
	vq_drv_free(c->sdrv);
	c->sdrv = NULL;
	c->active = false;
	c->busy = false;
}

void vmm_cvq_teardown(struct vmm *v)
{
	struct vmm_cvq *c = &v->cvq;
	struct vmm_vq *q = &v->vqs[c->idx];

	vmm_cvq_drop_device(v);
	if (q->kick && q->kick_waiter >= 0) {
		vdpa_evfd_remove_waiter(q->kick, q->kick_waiter);
		q->kick_waiter = -1;
	}
	vq_dev_free(c->gdev);
	c->gdev = NULL;
	c->chain_held = false;
}

void vmm_cvq_free(struct vmm *v)
{
	struct vmm_cvq *c = &v->cvq;

	vmm_cvq_teardown(v);
	if (c->skick) {
		vdpa_evfd_close(c->skick);
		c->skick = NULL;
	}
	if (c->scall) {
		if (c->scall_waiter >= 0)
			vdpa_evfd_remove_waiter(c->scall, c->scall_waiter);
		c->scall_waiter = -1;
		vdpa_evfd_close(c->scall);
		c->scall = NULL;
	}
}
