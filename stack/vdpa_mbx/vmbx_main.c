// SPDX-License-Identifier: MIT
/*
 * vdpa_mbx: probe and removal of an MBX function, MSI-X set-up and dispatch,
 * and the mailbox command interface (write, ring, wait, read back).
 */
#include "stack/vdpa_mbx/vmbx_priv.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_KEY "vdpa_mbx"
#define IRQ_FIRST 0x100u

/* Per-sim: the functions bound (removed at sim teardown if nobody did) and
 * the irq number allocator. */
struct vmbx_state {
	struct vmbx *fns;
	uint32_t next_irq;
};

static void remove_fn(struct vmbx *vf);

static void state_destroy(void *obj)
{
	struct vmbx_state *st = obj;

	/* The platform may already be gone: drop software state only. */
	while (st->fns) {
		struct vmbx *vf = st->fns;

		st->fns = vf->next;
		vf->dead = true;
		remove_fn(vf);
	}
	free(st);
}

static struct vmbx_state *state_get(struct sim *sim)
{
	struct vmbx_state *st = eng_attached(sim, STATE_KEY);

	if (st)
		return st;
	/* the bus first, so that it outlives this state */
	if (!vdpa_bus_get(sim))
		return NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->next_irq = IRQ_FIRST;
	if (eng_attach(sim, STATE_KEY, st, state_destroy)) {
		free(st);
		return NULL;
	}
	return st;
}

void vmbx_opts_default(struct vmbx_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->msi_addr = VMBX_MSI_ADDR_DEFAULT;
	o->poll_ps = ENG_US(1);
	o->cmd_timeout_ps = ENG_MS(100);
	o->cvq_ps = ENG_US(2);
}

/* ---- MMIO ----------------------------------------------------------------------------------- */

uint32_t vmbx_rd32(struct vmbx *vf, uint64_t off)
{
	uint64_t v = 0xffffffffu;

	if (!vf->dead)
		pcie_mmio_read(vf->rc, vf->bar0 + off, 4, &v, NULL);
	return (uint32_t)v;
}

void vmbx_wr32(struct vmbx *vf, uint64_t off, uint32_t v)
{
	if (!vf->dead)
		pcie_mmio_write(vf->rc, vf->bar0 + off, 4, v, NULL);
}

static uint64_t rd64(struct vmbx *vf, uint64_t off)
{
	uint64_t v = ~0ULL;

	if (!vf->dead)
		pcie_mmio_read(vf->rc, vf->bar0 + off, 8, &v, NULL);
	return v;
}

static void wr64(struct vmbx *vf, uint64_t off, uint64_t v)
{
	if (!vf->dead)
		pcie_mmio_write(vf->rc, vf->bar0 + off, 8, v, NULL);
}

/* ---- interrupts ----------------------------------------------------------------------------- */

uint16_t vmbx_vq_vector(const struct vmbx *vf, uint16_t idx)
{
	return (uint16_t)(vf->per_vq_vectors ? 2u + idx : 2u);
}

static void on_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct vmbx *vf = ctx;
	uint32_t v = data - vf->irq_base;

	(void)addr;
	if (data < vf->irq_base || v >= vf->msix_size || vf->dead) {
		vf->stats.msi_spurious++;
		return;
	}
	if (v == 0) {
		vf->stats.cmd_irqs++;
		vf->cmd_seen = true;
	} else if (v == 1) {
		vf->stats.event_irqs++;
		vmbx_event_irq(vf);
	} else {
		vf->stats.vq_irqs++;
		vmbx_vq_irq(vf, v);
	}
}

static int msix_enable(struct vmbx *vf)
{
	uint32_t ctl = 0, tbl = 0;
	unsigned bir;
	int err;

	vf->msix_cap = pcie_find_cap(&vf->hf, PCI_CAP_ID_MSIX, 0);
	if (vf->msix_cap <= 0)
		return -EIO;
	if (pcie_host_cfg_read(&vf->hf, (uint16_t)(vf->msix_cap + PCI_MSIX_FLAGS), 2, &ctl) ||
	    pcie_host_cfg_read(&vf->hf, (uint16_t)(vf->msix_cap + PCI_MSIX_TABLE), 4, &tbl))
		return -EIO;
	vf->msix_size = (ctl & PCI_MSIX_FLAGS_QSIZE) + 1;
	bir = tbl & PCI_MSIX_TABLE_BIR;
	if (vf->msix_size < 3 || bir >= 6 || !vf->hf.bar[bir].size)
		return -EIO;
	vf->msix_table = vf->hf.bar[bir].addr + (tbl & PCI_MSIX_TABLE_OFFSET);
	err = pcie_rc_add_msi_route(vf->rc, vf->o.msi_addr, 4, vf->irq_base,
				    vf->irq_base + vf->msix_size - 1, on_msi, vf, &vf->route);
	if (err)
		return err;
	vf->route_added = true;
	for (unsigned v = 0; v < vf->msix_size; v++) {
		uint64_t e = vf->msix_table + (uint64_t)v * PCI_MSIX_ENTRY_SIZE;

		pcie_mmio_write(vf->rc, e + PCI_MSIX_ENTRY_LOWER_ADDR, 4, (uint32_t)vf->o.msi_addr,
				NULL);
		pcie_mmio_write(vf->rc, e + PCI_MSIX_ENTRY_UPPER_ADDR, 4,
				(uint32_t)(vf->o.msi_addr >> 32), NULL);
		pcie_mmio_write(vf->rc, e + PCI_MSIX_ENTRY_DATA, 4, vf->irq_base + v, NULL);
		pcie_mmio_write(vf->rc, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0, NULL);
	}
	ctl = (ctl | PCI_MSIX_FLAGS_ENABLE) & ~(uint32_t)PCI_MSIX_FLAGS_MASKALL;
	if (pcie_host_cfg_write(&vf->hf, (uint16_t)(vf->msix_cap + PCI_MSIX_FLAGS), 2, ctl))
		return -EIO;
	vf->msix_on = true;
	return 0;
}

static void msix_disable(struct vmbx *vf)
{
	uint32_t ctl = 0;

	if (vf->msix_on && !vf->dead &&
	    !pcie_host_cfg_read(&vf->hf, (uint16_t)(vf->msix_cap + PCI_MSIX_FLAGS), 2, &ctl))
		pcie_host_cfg_write(&vf->hf, (uint16_t)(vf->msix_cap + PCI_MSIX_FLAGS), 2,
				    ctl & ~(uint32_t)PCI_MSIX_FLAGS_ENABLE);
	vf->msix_on = false;
	if (vf->route_added && !vf->dead)
		pcie_rc_del_msi_route(vf->rc, vf->route);
	vf->route_added = false;
}

/* ---- mailbox -------------------------------------------------------------------------------- */

int vmbx_status_errno(uint8_t status)
{
	switch (status) {
	case MBX_ST_OK:
		return 0;
	case MBX_ST_BAD_OPCODE:
		return -EOPNOTSUPP;
	case MBX_ST_BAD_PARAM:
	case MBX_ST_BAD_STATE:
		return -EINVAL;
	case MBX_ST_BAD_OBJ:
		return -ENOENT;
	case MBX_ST_NO_RESOURCES:
		return -ENOSPC;
	case MBX_ST_EXISTS:
		return -EEXIST;
	case MBX_ST_BAD_LEN:
		return -EMSGSIZE;
	default:
		return -EIO;
	}
}

static void poll_cb(struct sim *sim, void *arg)
{
	struct vmbx *vf = arg;

	vf->poll_ev = 0;
	if (!vf->cmd_busy || vf->cmd_seen)
		return;
	vf->stats.polls++;
	if (vmbx_rd32(vf, MBX_REG_CMD_DONE) == vf->cmd_expect)
		vf->cmd_seen = true;
	else
		vf->poll_ev = eng_schedule_in(sim, vf->o.poll_ps, poll_cb, vf);
}

/* Sleep until the completion is seen: the simulation runs meanwhile. */
static int cmd_wait(struct vmbx *vf)
{
	sim_time_t deadline = eng_now(vf->sim) + vf->o.cmd_timeout_ps;

	if (vf->o.poll)
		vf->poll_ev = eng_schedule_in(vf->sim, vf->o.poll_ps, poll_cb, vf);
	while (!vf->cmd_seen) {
		sim_time_t next = eng_next_time(vf->sim);

		if (next == ENG_TIME_MAX || next > deadline || !eng_step(vf->sim))
			break;
	}
	if (vf->poll_ev)
		eng_cancel(vf->sim, vf->poll_ev);
	vf->poll_ev = 0;
	if (!vf->cmd_seen) {
		vf->stats.timeouts++;
		return -ETIMEDOUT;
	}
	/* the interrupt may be stale: the done counter says for sure */
	if (vmbx_rd32(vf, MBX_REG_CMD_DONE) != vf->cmd_expect)
		return -EIO;
	return 0;
}

int vmbx_exec(struct vmbx *vf, uint16_t opcode, uint32_t obj, const void *in, uint32_t in_len,
	      void *out, uint32_t out_cap, struct vmbx_cmd_result *res)
{
	uint8_t buf[MBX_MBOX_LEN];
	struct vmbx_cmd_result r;
	uint32_t words, token;
	int err;

	memset(&r, 0, sizeof(r));
	if (!res)
		res = &r;
	memset(res, 0, sizeof(*res));
	if (vf->dead)
		return -ENODEV;
	if (in_len > MBX_MBOX_PAYLOAD)
		return -EMSGSIZE;
	if (vf->cmd_busy || (vmbx_rd32(vf, MBX_REG_CMD_STATUS) & MBX_CMD_STATUS_BUSY))
		return -EBUSY;
	vf->cmd_busy = true;
	token = ++vf->token;
	memset(buf, 0, sizeof(buf));
	vq_put_le16(buf + MBX_IN_OPCODE, opcode);
	vq_put_le32(buf + MBX_IN_OBJ, obj);
	vq_put_le32(buf + MBX_IN_LEN, in_len);
	vq_put_le32(buf + MBX_IN_TOKEN, token);
	if (in_len)
		memcpy(buf + MBX_MBOX_HDR, in, in_len);
	words = (MBX_MBOX_HDR + in_len + 7) / 8;
	for (uint32_t i = 0; i < words; i++)
		wr64(vf, MBX_MBOX_IN + 8ull * i, vq_le64(buf + 8 * i));
	vf->cmd_seen = false;
	vf->cmd_expect = vmbx_rd32(vf, MBX_REG_CMD_DONE) + 1;
	res->issued = eng_now(vf->sim);
	vmbx_wr32(vf, MBX_REG_CMD_DOORBELL, 1);
	vf->stats.commands++;
	err = cmd_wait(vf);
	res->completed = eng_now(vf->sim);
	if (err)
		goto out;
	for (uint32_t i = 0; i < 2; i++)
		vq_put_le64(buf + 8 * i, rd64(vf, MBX_MBOX_OUT + 8ull * i));
	if (vq_le32(buf + MBX_OUT_TOKEN) != token) {
		err = -EIO;
		goto out;
	}
	res->status = buf[MBX_OUT_STATUS];
	res->syndrome = vq_le32(buf + MBX_OUT_SYNDROME);
	res->out_len = vq_le32(buf + MBX_OUT_LEN);
	if (res->out_len > MBX_MBOX_PAYLOAD)
		res->out_len = MBX_MBOX_PAYLOAD;
	if (out && out_cap) {
		uint32_t n = res->out_len < out_cap ? res->out_len : out_cap;

		words = (n + 7) / 8;
		for (uint32_t i = 0; i < words; i++)
			vq_put_le64(buf + MBX_MBOX_HDR + 8 * i,
				    rd64(vf, MBX_MBOX_OUT + MBX_MBOX_HDR + 8ull * i));
		memset(out, 0, out_cap);
		memcpy(out, buf + MBX_MBOX_HDR, n);
	}
	err = vmbx_status_errno(res->status);
	if (err)
		vf->stats.command_errors++;
out:
	vf->cmd_busy = false;
	return err;
}

/* ---- probe / remove ------------------------------------------------------------------------- */

static int read_caps(struct vmbx *vf)
{
	uint8_t o[MBX_CAPS_LEN];
	struct vmbx_caps *c = &vf->caps;
	int err = vmbx_exec(vf, MBX_OP_QUERY_CAPS, 0, NULL, 0, o, sizeof(o), NULL);

	if (err)
		return err;
	c->features = vq_le64(o + MBX_CAPS_FEATURES);
	c->max_vqs = vq_le16(o + MBX_CAPS_MAX_VQS);
	c->max_qsize = vq_le16(o + MBX_CAPS_MAX_QSIZE) ? vq_le16(o + MBX_CAPS_MAX_QSIZE) : 32768u;
	c->flags = vq_le32(o + MBX_CAPS_FLAGS);
	memcpy(c->mac, o + MBX_CAPS_MAC, 6);
	c->max_mtu = vq_le16(o + MBX_CAPS_MAX_MTU);
	c->msix = vq_le16(o + MBX_CAPS_MSIX);
	c->max_macs = vq_le16(o + MBX_CAPS_MAX_MACS);
	c->fw_version = vq_le32(o + MBX_CAPS_FW_VERSION);
	if (c->max_vqs < 2 || c->max_vqs % 2 || c->max_vqs > MBX_MAX_VQS ||
	    !(c->features & (1ULL << VIRTIO_F_VERSION_1)) || c->max_macs > MBX_MAX_MACS ||
	    vf->hf.bar[MBX_BAR_DB].size < (uint64_t)c->max_vqs * MBX_DB_STRIDE)
		return -EIO;
	vf->per_vq_vectors = vf->msix_size >= 2u + c->max_vqs;
	return 0;
}

int vmbx_probe(struct sim *sim, struct pcie_rc *rc, const struct pcie_host_fn *hf,
	       const struct vmbx_opts *opts, struct vmbx **out)
{
	struct vmbx_state *st;
	struct vmbx *vf;
	int err;

	if (out)
		*out = NULL;
	if (!sim || !rc || !hf || !opts)
		return -EINVAL;
	if (hf->vendor_id != MBX_PCI_VENDOR || hf->device_id != MBX_PCI_DEVICE ||
	    hf->bar[MBX_BAR_REGS].size < MBX_BAR0_SIZE || !hf->bar[MBX_BAR_DB].size)
		return -ENODEV;
	if (!opts->iommu || !opts->mem)
		return -EINVAL;
	st = state_get(sim);
	if (!st)
		return -ENOMEM;
	vf = calloc(1, sizeof(*vf));
	if (!vf)
		return -ENOMEM;
	vf->sim = sim;
	vf->rc = rc;
	vf->hf = *hf;
	vf->o = *opts;
	if (!vf->o.msi_addr)
		vf->o.msi_addr = VMBX_MSI_ADDR_DEFAULT;
	if (!vf->o.poll_ps)
		vf->o.poll_ps = ENG_US(1);
	if (!vf->o.cmd_timeout_ps)
		vf->o.cmd_timeout_ps = ENG_MS(100);
	if (!vf->o.cvq_ps)
		vf->o.cvq_ps = ENG_US(2);
	vf->bar0 = hf->bar[MBX_BAR_REGS].addr;
	vf->bar2 = hf->bar[MBX_BAR_DB].addr;
	vf->irq_base = st->next_irq;
	vf->next = st->fns;
	st->fns = vf;
	if (vmbx_rd32(vf, MBX_REG_MAGIC) != MBX_MAGIC) {
		err = -EIO;
		goto fail;
	}
	err = msix_enable(vf);
	if (err)
		goto fail;
	st->next_irq += vf->msix_size;
	vmbx_wr32(vf, MBX_REG_CMD_VECTOR, vf->o.poll ? MBX_NO_VECTOR : 0);
	vmbx_wr32(vf, MBX_REG_EVENT_VECTOR, 1);
	err = vmbx_exec(vf, MBX_OP_RESET, 0, NULL, 0, NULL, 0, NULL);
	if (!err)
		err = read_caps(vf);
	if (!err)
		err = vmbx_mgmt_register(vf);
	if (err)
		goto fail;
	eng_trace(sim, "vmbx", "probe", "bdf=%04x mgmtdev=pci/%s max_vqs=%u resume=%u",
		  hf->bdf, vf->mdev_name, vf->caps.max_vqs,
		  !!(vf->caps.flags & MBX_CAP_RESUME));
	if (out)
		*out = vf;
	return 0;
fail:
	vmbx_remove(vf);
	return err;
}

static void remove_fn(struct vmbx *vf)
{
	vmbx_mgmt_unregister(vf);
	if (!vf->dead && vf->msix_on)
		vmbx_exec(vf, MBX_OP_RESET, 0, NULL, 0, NULL, 0, NULL);
	msix_disable(vf);
	free(vf);
}

void vmbx_remove(struct vmbx *vf)
{
	struct vmbx_state *st;

	if (!vf)
		return;
	st = eng_attached(vf->sim, STATE_KEY);
	for (struct vmbx **pp = st ? &st->fns : NULL; pp && *pp; pp = &(*pp)->next) {
		if (*pp == vf) {
			*pp = vf->next;
			break;
		}
	}
	remove_fn(vf);
}

const struct vmbx_caps *vmbx_caps(const struct vmbx *vf)
{
	return vf ? &vf->caps : NULL;
}

void vmbx_get_stats(const struct vmbx *vf, struct vmbx_stats *out)
{
	*out = vf->stats;
}
