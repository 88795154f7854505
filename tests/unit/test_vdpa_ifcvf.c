// SPDX-License-Identifier: MIT
/*
 * vdpa_ifcvf against a modern virtio-net PCI endpoint built in this file
 * (common/notify/ISR/device caps in BAR0, MSI-X in BAR2, LM window in BAR4),
 * so every register the driver touches can be checked; then vhost_vdpa on top.
 */
#include "sim/engine/engine.h"
#include "sim/iommu/iommu.h"
#include "sim/devhost/devhost.h"
#include "sim/mem/mem.h"
#include "sim/net/net.h"
#include "sim/nic_ifcvf/nic_ifcvf.h"
#include "sim/pcie/pcie.h"
#include "sim/virtio_ring/virtio_ring.h"
#include "stack/vdpa_bus/vdpa_bus.h"
#include "stack/vdpa_ifcvf/vdpa_ifcvf.h"
#include "stack/vhost_vdpa/vhost_vdpa.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ==== a modern virtio-net endpoint ========================================================= */

#define FK_NQ_MAX 8
#define FK_SLOT 3
#define FK_COMMON 0x0000
#define FK_ISR 0x1000
#define FK_DEVICE 0x2000
#define FK_NOTIFY 0x3000
#define FK_NOTIFY_LEN 0x1000
#define FK_LM_SIZE 0x1000
#define FK_FEATURES                                                                        \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) |                \
	 (1ULL << VIRTIO_F_RING_PACKED) | (1ULL << VIRTIO_NET_F_MAC) |                      \
	 (1ULL << VIRTIO_NET_F_STATUS) | (1ULL << VIRTIO_NET_F_MQ) |                        \
	 (1ULL << VIRTIO_NET_F_MTU))

struct fk_cfg {
	unsigned int nq;
	unsigned int msix;   /* table size (0: no MSI-X) */
	uint32_t mult;       /* notify_off_multiplier */
	uint16_t device_id, subsys_vendor, subsys_id;
	uint32_t dev_cfg_len;
	bool omit_isr;
	bool junk_caps;      /* an invalid common cap and a PCI cfg cap before the real ones */
	bool second_common;  /* a valid common cap after the real one, pointing elsewhere */
	bool no_lm_bar;
	uint16_t notify_off_bias; /* queue_notify_off = q + bias */
};

struct fk_queue {
	uint16_t size, max, msix, enable;
	uint64_t desc, drv, dev;
	unsigned int kicks;
	uint16_t kick_val;
};

struct fake {
	struct fk_cfg c;
	struct pcie_fn *fn;
	uint64_t features;
	uint32_t dfsel, gfsel, gf[2];
	uint16_t msix_config, qsel;
	uint8_t status, generation, isr;
	struct fk_queue q[FK_NQ_MAX];
	uint8_t cfg[64];
	unsigned int cfg_writes;
	unsigned int reset_delay_reads, reset_pending;
	unsigned int gen_bump_reads;
	unsigned int notify_bad;
	unsigned int resets;
	uint8_t lm[FK_LM_SIZE];
};

static void fk_reset(struct fake *fk)
{
	fk->dfsel = fk->gfsel = 0;
	fk->gf[0] = fk->gf[1] = 0;
	fk->msix_config = VIRTIO_MSI_NO_VECTOR;
	fk->qsel = 0;
	fk->isr = 0;
	for (unsigned int i = 0; i < FK_NQ_MAX; i++) {
		struct fk_queue *q = &fk->q[i];

		q->size = q->max = 256;
		q->msix = VIRTIO_MSI_NO_VECTOR;
		q->enable = 0;
		q->desc = q->drv = q->dev = 0;
	}
	fk->resets++;
}

static uint64_t get_le(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, unsigned int size, uint64_t v)
{
	for (unsigned int i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t common_read(struct fake *fk, uint64_t off)
{
	struct fk_queue *q = fk->qsel < fk->c.nq ? &fk->q[fk->qsel] : NULL;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		return fk->dfsel;
	case VIRTIO_PCI_COMMON_DF:
		return fk->dfsel < 2 ? (uint32_t)(fk->features >> (32 * fk->dfsel)) : 0;
	case VIRTIO_PCI_COMMON_GFSELECT:
		return fk->gfsel;
	case VIRTIO_PCI_COMMON_GF:
		return fk->gfsel < 2 ? fk->gf[fk->gfsel] : 0;
	case VIRTIO_PCI_COMMON_MSIX:
		return fk->msix_config;
	case VIRTIO_PCI_COMMON_NUMQ:
		return fk->c.nq;
	case VIRTIO_PCI_COMMON_STATUS:
		if (fk->reset_pending && --fk->reset_pending == 0)
			fk->status = 0;
		return fk->status;
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return fk->generation;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		return fk->qsel;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		return q ? q->size : 0;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return q ? q->msix : VIRTIO_MSI_NO_VECTOR;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return q ? q->enable : 0;
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return fk->qsel + fk->c.notify_off_bias;
	default:
		return 0;
	}
}

static uint16_t accept_vector(const struct fake *fk, uint64_t v)
{
	return v < fk->c.msix ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
}

static void common_write(struct fake *fk, uint64_t off, uint64_t v)
{
	struct fk_queue *q = fk->qsel < fk->c.nq ? &fk->q[fk->qsel] : NULL;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		fk->dfsel = (uint32_t)v;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		fk->gfsel = (uint32_t)v;
		break;
	case VIRTIO_PCI_COMMON_GF:
		if (fk->gfsel < 2)
			fk->gf[fk->gfsel] = (uint32_t)v;
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		fk->msix_config = accept_vector(fk, v);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		if (v == 0) {
			fk_reset(fk);
			if (fk->reset_delay_reads)
				fk->reset_pending = fk->reset_delay_reads;
			else
				fk->status = 0;
		} else {
			fk->status = (uint8_t)v;
		}
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		fk->qsel = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (q)
			q->size = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (q)
			q->msix = accept_vector(fk, v);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (q)
			q->enable = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		if (q) {
			uint64_t *a = off < VIRTIO_PCI_COMMON_Q_AVAILLO  ? &q->desc
				      : off < VIRTIO_PCI_COMMON_Q_USEDLO ? &q->drv
									  : &q->dev;
			unsigned int sh = (off & 4) ? 32 : 0;

			*a = (*a & ~(0xffffffffULL << sh)) | ((v & 0xffffffffULL) << sh);
		}
		break;
	default:
		break;
	}
}

static int fk_mmio_read(void *ctx, unsigned int bar, uint64_t off, unsigned int size,
			uint64_t *val)
{
	struct fake *fk = ctx;

	*val = 0;
	if (bar == 4) {
		if (off + size <= FK_LM_SIZE)
			*val = get_le(fk->lm + off, size);
		return 0;
	}
	if (bar != 0)
		return 0;
	if (off < FK_ISR) {
		*val = common_read(fk, off - FK_COMMON);
	} else if (off < FK_DEVICE) {
		*val = fk->isr; /* virtio 1.3 4.1.4.5: reading clears it */
		fk->isr = 0;
	} else if (off < FK_NOTIFY) {
		uint64_t o = off - FK_DEVICE;

		if (fk->gen_bump_reads) {
			fk->gen_bump_reads--;
			fk->generation++;
		}
		if (o + size <= sizeof(fk->cfg))
			*val = get_le(fk->cfg + o, size);
	}
	return 0;
}

static int fk_mmio_write(void *ctx, unsigned int bar, uint64_t off, unsigned int size,
			 uint64_t val)
{
	struct fake *fk = ctx;

	if (bar == 4) {
		if (off + size <= FK_LM_SIZE)
			put_le(fk->lm + off, size, val);
		return 0;
	}
	if (bar != 0)
		return 0;
	if (off < FK_ISR) {
		common_write(fk, off - FK_COMMON, val);
	} else if (off >= FK_DEVICE && off < FK_NOTIFY) {
		if (off - FK_DEVICE < sizeof(fk->cfg))
			fk->cfg[off - FK_DEVICE] = (uint8_t)val;
		fk->cfg_writes++;
	} else if (off >= FK_NOTIFY) {
		uint64_t o = off - FK_NOTIFY, q;

		if (fk->c.mult) {
			q = o / fk->c.mult;
			if (o % fk->c.mult || q < fk->c.notify_off_bias) {
				fk->notify_bad++;
				return 0;
			}
			q -= fk->c.notify_off_bias;
		} else {
			q = val; /* one doorbell: the value names the queue */
		}
		if (q >= fk->c.nq || size != 2) {
			fk->notify_bad++;
			return 0;
		}
		fk->q[q].kicks++;
		fk->q[q].kick_val = (uint16_t)val;
	}
	return 0;
}

static const struct pcie_ep_ops fk_ops = {
	.mmio_read = fk_mmio_read,
	.mmio_write = fk_mmio_write,
};

static void fk_default(struct fk_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->nq = 4;
	c->msix = 5;
	c->mult = 4;
	c->device_id = VIFC_PCI_DEVICE;
	c->subsys_vendor = VIFC_PCI_SUBSYS_VENDOR;
	c->subsys_id = VIFC_PCI_SUBSYS_N3000;
	c->dev_cfg_len = 0x40;
}

static void add_vcap(struct fake *fk, uint8_t type, uint8_t bar, uint32_t off, uint32_t len,
		     uint32_t mult)
{
	uint8_t cap[20] = { PCI_CAP_ID_VNDR, 0, 16, type, bar };
	unsigned int n = 16;

	put_le(cap + VIRTIO_PCI_CAP_OFFSET, 4, off);
	put_le(cap + VIRTIO_PCI_CAP_LENGTH, 4, len);
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
		cap[2] = 20;
		put_le(cap + VIRTIO_PCI_NOTIFY_CAP_MULT, 4, mult);
		n = 20;
	}
	CU_ASSERT_EQUAL(pcie_fn_add_cap(fk->fn, cap, n, NULL), 0);
}

static int fk_create(struct fake *fk, struct pcie_rc *rc, const struct fk_cfg *c)
{
	struct pcie_ep_desc d = {
		.vendor_id = VIFC_PCI_VENDOR,
		.class_code = 0x020000,
		.bar = { [0] = { 0x4000, PCIE_BAR_64 }, [2] = { 0x1000, 0 }, [4] = { FK_LM_SIZE, 0 } },
		.msix_table_bar = 2,
		.msix_table_off = 0,
		.msix_pba_bar = 2,
		.msix_pba_off = 0x800,
		.ops = &fk_ops,
	};
	int err;

	memset(fk, 0, sizeof(*fk));
	fk->c = *c;
	d.device_id = c->device_id;
	d.subsys_vendor_id = c->subsys_vendor;
	d.subsys_id = c->subsys_id;
	d.msix_vectors = c->msix;
	d.ctx = fk;
	if (c->no_lm_bar)
		d.bar[4].size = 0;
	fk->features = FK_FEATURES;
	fk_reset(fk);
	fk->resets = 0;
	fk->cfg[0] = 0x02; /* mac 02:00:00:00:00:2a */
	fk->cfg[5] = 0x2a;
	put_le(fk->cfg + 6, 2, VIRTIO_NET_S_LINK_UP);
	put_le(fk->cfg + 8, 2, c->nq / 2);
	put_le(fk->cfg + 10, 2, 1500);
	err = pcie_fn_create(rc, FK_SLOT, 0, &d, &fk->fn);
	if (err)
		return err;
	if (c->junk_caps) {
		add_vcap(fk, VIRTIO_PCI_CAP_COMMON_CFG, 5, 0, 0x40, 0); /* BAR5 unused */
		add_vcap(fk, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0, 0);
	}
	add_vcap(fk, VIRTIO_PCI_CAP_COMMON_CFG, 0, FK_COMMON, 0x40, 0);
	add_vcap(fk, VIRTIO_PCI_CAP_NOTIFY_CFG, 0, FK_NOTIFY, FK_NOTIFY_LEN, c->mult);
	if (!c->omit_isr)
		add_vcap(fk, VIRTIO_PCI_CAP_ISR_CFG, 0, FK_ISR, 4, 0);
	add_vcap(fk, VIRTIO_PCI_CAP_DEVICE_CFG, 0, FK_DEVICE, c->dev_cfg_len, 0);
	if (c->second_common)
		add_vcap(fk, VIRTIO_PCI_CAP_COMMON_CFG, 0, FK_DEVICE, 0x40, 0);
	return 0;
}

/* Device side: raise queue q's interrupt (ISR bit 0, its vector). */
static void fk_vq_irq(struct fake *fk, unsigned int q)
{
	fk->isr |= 1;
	if (fk->q[q].msix != VIRTIO_MSI_NO_VECTOR)
		pcie_msix_notify(fk->fn, fk->q[q].msix, 0);
}

static void fk_config_irq(struct fake *fk)
{
	fk->isr |= VIRTIO_PCI_ISR_CONFIG;
	fk->generation++;
	if (fk->msix_config != VIRTIO_MSI_NO_VECTOR)
		pcie_msix_notify(fk->fn, fk->msix_config, 0);
}

/* ==== the world ============================================================================ */

struct cbrec {
	unsigned int vq[FK_NQ_MAX];
	unsigned int config;
};

struct world {
	struct sim *sim;
	struct mem *mem;
	struct iommu *io;
	struct iommu_domain *dflt;
	struct pcie_rc *rc;
	struct fake fk;
	struct pcie_host_fn hf;
	struct vifc *vf;
	struct vdpa_device *vdev;
	const struct vdpa_config_ops *ops;
	struct cbrec cb;
	struct { struct cbrec *rec; unsigned int q; } vqctx[FK_NQ_MAX];
};

static void world_hw(struct world *w, const struct fk_cfg *c)
{
	unsigned int n = 0;

	memset(w, 0, sizeof(*w));
	w->sim = eng_sim_new(1, 0);
	w->mem = mem_new(1ULL << 32);
	w->io = iommu_new(w->sim, NULL);
	w->rc = pcie_rc_new(w->sim, w->mem, w->io, NULL);
	CU_ASSERT_FATAL(w->sim && w->mem && w->io && w->rc);
	CU_ASSERT_EQUAL_FATAL(fk_create(&w->fk, w->rc, c), 0);
	/* The function's default DMA domain (what the DMA API would set up). */
	w->dflt = iommu_domain_new(w->io, IOMMU_DOMAIN_PAGING);
	CU_ASSERT_EQUAL_FATAL(iommu_attach(w->io, PCIE_BDF(0, FK_SLOT, 0), 0, w->dflt), 0);
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(w->rc, 0xE0000000ULL, 0x1000000, &w->hf, 1, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
}

static void world_opts(struct world *w, struct vifc_opts *o)
{
	vifc_opts_default(o);
	o->iommu = w->io;
	o->mmio_log_cap = 4096;
}

/* Probe and create the vdpa device. */
static void world_probe(struct world *w, const struct vifc_opts *o)
{
	CU_ASSERT_EQUAL_FATAL(vifc_probe(w->sim, w->rc, &w->hf, o, &w->vf), 0);
	CU_ASSERT_EQUAL_FATAL(vdpa_tool(w->sim, "vdpa dev add name vdpa0 mgmtdev pci/0000:00:03.0",
					NULL, 0), 0);
	w->vdev = vifc_vdpa(w->vf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->vdev);
	w->ops = w->vdev->config;
	vifc_mmio_log_clear(w->vf);
}

static void world_up(struct world *w, const struct fk_cfg *c)
{
	struct vifc_opts o;

	world_hw(w, c);
	world_opts(w, &o);
	world_probe(w, &o);
}

static void world_fini(struct world *w)
{
	vifc_remove(w->vf);
	pcie_rc_free(w->rc);
	iommu_free(w->io);
	mem_free(w->mem);
	eng_sim_free(w->sim);
}

static void run(struct world *w)
{
	eng_run_until(w->sim, eng_now(w->sim) + ENG_US(50));
}

static int vq_cb(void *priv)
{
	unsigned int *n = priv;

	(*n)++;
	return VDPA_IRQ_HANDLED;
}

static void install_cbs(struct world *w)
{
	struct vdpa_callback cb = { vq_cb, NULL, NULL };

	for (unsigned int q = 0; q < w->fk.c.nq; q++) {
		cb.private = &w->cb.vq[q];
		w->ops->set_vq_cb(w->vdev, (uint16_t)q, &cb);
	}
	cb.private = &w->cb.config;
	w->ops->set_config_cb(w->vdev, &cb);
}

#define S_ACK VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRV VIRTIO_CONFIG_S_DRIVER
#define S_FOK VIRTIO_CONFIG_S_FEATURES_OK
#define S_DOK VIRTIO_CONFIG_S_DRIVER_OK
#define NEG_FEATURES ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM))

/* reset, ACK, DRIVER, features, FEATURES_OK, DRIVER_OK. */
static void bring_up(struct world *w, uint64_t features)
{
	CU_ASSERT_EQUAL(vdpa_reset(w->vdev, 0), 0);
	vdpa_set_status(w->vdev, S_ACK);
	vdpa_set_status(w->vdev, S_ACK | S_DRV);
	CU_ASSERT_EQUAL(vdpa_set_features(w->vdev, features), 0);
	vdpa_set_status(w->vdev, S_ACK | S_DRV | S_FOK);
	install_cbs(w);
	vdpa_set_status(w->vdev, S_ACK | S_DRV | S_FOK | S_DOK);
}

static uint16_t msix_ctl(struct world *w)
{
	struct vifc_hw_info hi;
	uint32_t v = 0;

	vifc_hw_info(w->vf, &hi);
	pcie_host_cfg_read(&w->hf, (uint16_t)(hi.msix_cap + PCI_MSIX_FLAGS), 2, &v);
	return (uint16_t)v;
}

/* ==== probe ================================================================================= */

static void test_probe_finds_caps_queues_and_registers_mgmtdev(void)
{
	struct world w;
	struct fk_cfg c;
	struct vifc_hw_info hi;
	struct vifc_opts o;
	struct vdpa_mgmtdev_info mi;
	size_t n = 0;

	fk_default(&c);
	world_hw(&w, &c);
	world_opts(&w, &o);
	CU_ASSERT_EQUAL_FATAL(vifc_probe(w.sim, w.rc, &w.hf, &o, &w.vf), 0);
	vifc_hw_info(w.vf, &hi);
	CU_ASSERT_EQUAL(hi.common.bar, 0);
	CU_ASSERT_EQUAL(hi.common.addr, w.hf.bar[0].addr + FK_COMMON);
	CU_ASSERT_EQUAL(hi.notify.addr, w.hf.bar[0].addr + FK_NOTIFY);
	CU_ASSERT_EQUAL(hi.notify.length, FK_NOTIFY_LEN);
	CU_ASSERT_EQUAL(hi.isr.addr, w.hf.bar[0].addr + FK_ISR);
	CU_ASSERT_EQUAL(hi.device.addr, w.hf.bar[0].addr + FK_DEVICE);
	CU_ASSERT_EQUAL(hi.notify_off_multiplier, 4);
	CU_ASSERT_EQUAL(hi.lm_addr, w.hf.bar[4].addr);
	CU_ASSERT_EQUAL(hi.lm_size, FK_LM_SIZE);
	CU_ASSERT(hi.msix_cap > 0);
	CU_ASSERT_EQUAL(hi.msix_table_size, 5);
	CU_ASSERT_EQUAL(hi.msix_table_addr, w.hf.bar[2].addr);
	CU_ASSERT_EQUAL(hi.nr_vring, 4);
	CU_ASSERT_EQUAL(hi.hw_features, FK_FEATURES);
	CU_ASSERT_EQUAL(hi.dev_type, VIRTIO_ID_NET);
	/* min(cap length 0x40, sizeof(struct virtio_net_config)) */
	CU_ASSERT_EQUAL(hi.config_size, sizeof(struct virtio_net_config));
	for (uint16_t q = 0; q < 4; q++)
		CU_ASSERT_EQUAL(vifc_vq_notify_addr(w.vf, q), hi.notify.addr + q * 4u);
	CU_ASSERT_STRING_EQUAL(vifc_mgmtdev_handle(w.vf), "pci/0000:00:03.0");
	CU_ASSERT_EQUAL(vdpa_nl_mgmtdev_get(w.sim, "pci/0000:00:03.0", &mi, 1, &n, NULL), 0);
	CU_ASSERT_EQUAL(mi.max_supported_vqs, 4);
	CU_ASSERT_EQUAL(mi.supported_features, FK_FEATURES);
	CU_ASSERT_EQUAL(mi.supported_classes, 1ULL << VIRTIO_ID_NET);
	CU_ASSERT_PTR_NULL(vifc_vdpa(w.vf)); /* nothing until `dev add` */
	/* Probing reads num_queues and every queue's notify offset by MMIO. */
	CU_ASSERT(vifc_mmio_log_find(w.vf, "r2 num_queues 0x4", 0) >= 0);
	CU_ASSERT_EQUAL(vifc_mmio_log_count(w.vf, "r2 queue_notify_off"), 4);
	world_fini(&w);
}

static void test_probe_rejects_foreign_ids(void)
{
	struct world w;
	struct fk_cfg c;
	struct vifc_opts o;

	fk_default(&c);
	c.subsys_vendor = 0x1af4;
	world_hw(&w, &c);
	world_opts(&w, &o);
	CU_ASSERT_EQUAL(vifc_probe(w.sim, w.rc, &w.hf, &o, &w.vf), -ENODEV);
	w.vf = NULL;
	world_fini(&w);

	fk_default(&c);
	c.device_id = 0x1042; /* block */
	c.subsys_id = VIRTIO_ID_BLOCK;
	world_hw(&w, &c);
	world_opts(&w, &o);
	CU_ASSERT_EQUAL(vifc_probe(w.sim, w.rc, &w.hf, &o, &w.vf), -ENODEV);
	w.vf = NULL;
	world_fini(&w);

	/* The C5000X-PL net function (subsystem device = VIRTIO_ID_NET) binds. */
	fk_default(&c);
	c.subsys_id = VIRTIO_ID_NET;
	world_hw(&w, &c);
	world_opts(&w, &o);
	CU_ASSERT_EQUAL(vifc_probe(w.sim, w.rc, &w.hf, &o, &w.vf), 0);
	world_fini(&w);
}

static void test_probe_needs_all_four_caps_and_the_lm_bar(void)
{
	struct world w;
	struct fk_cfg c;
	struct vifc_opts o;

	fk_default(&c);
	c.omit_isr = true;
	world_hw(&w, &c);
	world_opts(&w, &o);
	CU_ASSERT_EQUAL(vifc_probe(w.sim, w.rc, &w.hf, &o, &w.vf), -EIO);
	w.vf = NULL;
	CU_ASSERT_EQUAL(vdpa_nl_mgmtdev_get(w.sim, "pci/0000:00:03.0", NULL, 0, NULL, NULL),
			-ENODEV);
	world_fini(&w);

	fk_default(&c);
	c.no_lm_bar = true;
	world_hw(&w, &c);
	world_opts(&w, &o);
	CU_ASSERT_EQUAL(vifc_probe(w.sim, w.rc, &w.hf, &o, &w.vf), -EIO);
	w.vf = NULL;
	world_fini(&w);
}

static void test_probe_skips_invalid_caps_and_keeps_the_first_valid(void)
{
	struct world w;
	struct fk_cfg c;
	struct vifc_hw_info hi;
	struct vifc_opts o;

	fk_default(&c);
	c.junk_caps = true;
	c.second_common = true;
	world_hw(&w, &c);
	world_opts(&w, &o);
	CU_ASSERT_EQUAL_FATAL(vifc_probe(w.sim, w.rc, &w.hf, &o, &w.vf), 0);
	vifc_hw_info(w.vf, &hi);
	CU_ASSERT_EQUAL(hi.common.bar, 0);
	CU_ASSERT_EQUAL(hi.common.offset, FK_COMMON);
	world_fini(&w);
}

static void test_probe_refuses_doorbell_outside_notify_window(void)
{
	struct world w;
	struct fk_cfg c;
	struct vifc_opts o;

	fk_default(&c);
	c.mult = FK_NOTIFY_LEN / 2; /* queue 2's doorbell lands past the window */
	world_hw(&w, &c);
	world_opts(&w, &o);
	CU_ASSERT_EQUAL(vifc_probe(w.sim, w.rc, &w.hf, &o, &w.vf), -EIO);
	w.vf = NULL;
	world_fini(&w);
}

/* ==== config ops ============================================================================ */

static void test_device_identity_ops(void)
{
	struct world w;
	struct fk_cfg c;

	fk_default(&c);
	world_up(&w, &c);
	CU_ASSERT_EQUAL(w.ops->get_device_id(w.vdev), VIRTIO_ID_NET);
	CU_ASSERT_EQUAL(w.ops->get_vendor_id(w.vdev), 0x8086);
	CU_ASSERT_EQUAL(w.ops->get_vq_align(w.vdev), 4096);
	CU_ASSERT_EQUAL(w.ops->get_vq_group(w.vdev, 3), 0);
	CU_ASSERT_EQUAL(w.ops->get_vq_num_min(w.vdev), 64);
	CU_ASSERT_EQUAL(w.ops->get_config_size(w.vdev), sizeof(struct virtio_net_config));
	CU_ASSERT_EQUAL(w.vdev->nvqs, 4);
	CU_ASSERT_EQUAL(w.vdev->ngroups, 1);
	CU_ASSERT_EQUAL(w.vdev->nas, 1);
	/* No on-chip IOMMU and no suspend, as the kernel driver. */
	CU_ASSERT_PTR_NULL(w.ops->set_map);
	CU_ASSERT_PTR_NULL(w.ops->dma_map);
	CU_ASSERT_PTR_NULL(w.ops->suspend);
	CU_ASSERT_PTR_NULL(w.ops->resume);
	CU_ASSERT_PTR_EQUAL(vifc_from_vdpa(w.vdev), w.vf);
	/* get_vq_num_max: the largest queue_size the device reports. */
	w.fk.q[2].size = 1024;
	CU_ASSERT_EQUAL(w.ops->get_vq_num_max(w.vdev), 1024);
	world_fini(&w);
}

static void test_device_features_select_both_halves(void)
{
	struct world w;
	struct fk_cfg c;
	static const char *const seq[] = { "w4 device_feature_select 0x0", "r4 device_feature",
					   "w4 device_feature_select 0x1", "r4 device_feature",
					   NULL };

	fk_default(&c);
	world_hw(&w, &c);
	{
		struct vifc_opts o;

		world_opts(&w, &o);
		CU_ASSERT_EQUAL_FATAL(vifc_probe(w.sim, w.rc, &w.hf, &o, &w.vf), 0);
	}
	CU_ASSERT(vifc_mmio_log_has_sequence(w.vf, seq));
	CU_ASSERT_EQUAL(vdpa_tool(w.sim, "vdpa dev add name vdpa0 mgmtdev pci/0000:00:03.0", NULL,
				  0), 0);
	w.vdev = vifc_vdpa(w.vf);
	CU_ASSERT_EQUAL(w.vdev->config->get_device_features(w.vdev), FK_FEATURES);
	world_fini(&w);
}

static void test_driver_features_need_access_platform(void)
{
	struct world w;
	struct fk_cfg c;
	static const char *const seq[] = { "w4 guest_feature_select 0x0", "w4 guest_feature 0x0",
					   "w4 guest_feature_select 0x1", "w4 guest_feature 0x3",
					   NULL };

	fk_default(&c);
	world_up(&w, &c);
	CU_ASSERT_EQUAL(w.ops->set_driver_features(w.vdev, 1ULL << VIRTIO_F_VERSION_1), -EINVAL);
	CU_ASSERT_EQUAL(w.fk.gf[1], 0);
	CU_ASSERT_EQUAL(vifc_mmio_log_len(w.vf), 0); /* refused before any register access */
	CU_ASSERT_EQUAL(w.ops->set_driver_features(w.vdev, 0), 0); /* legacy probe of config */
	CU_ASSERT_EQUAL(w.ops->set_driver_features(w.vdev, NEG_FEATURES), 0);
	CU_ASSERT(vifc_mmio_log_has_sequence(w.vf, seq));
	CU_ASSERT_EQUAL(w.fk.gf[0], 0);
	CU_ASSERT_EQUAL(w.fk.gf[1], (uint32_t)(NEG_FEATURES >> 32));
	CU_ASSERT_EQUAL(w.ops->get_driver_features(w.vdev), NEG_FEATURES);
	world_fini(&w);
}

static void test_status_sequence_and_reset_poll(void)
{
	struct world w;
	struct fk_cfg c;

	fk_default(&c);
	world_up(&w, &c);
	vdpa_set_status(w.vdev, S_ACK);
	vdpa_set_status(w.vdev, S_ACK | S_DRV);
	CU_ASSERT_EQUAL(vdpa_set_features(w.vdev, NEG_FEATURES), 0);
	CU_ASSERT_EQUAL(vdpa_features_ok(w.vdev), 0);
	CU_ASSERT_EQUAL(w.fk.status, S_ACK | S_DRV | S_FOK);
	CU_ASSERT_EQUAL(w.ops->get_status(w.vdev), S_ACK | S_DRV | S_FOK);
	/* Setting the status it already has writes nothing. */
	vifc_mmio_log_clear(w.vf);
	vdpa_set_status(w.vdev, S_ACK | S_DRV | S_FOK);
	CU_ASSERT_EQUAL(vifc_mmio_log_count(w.vf, "w1 device_status"), 0);

	/* The device takes 5 status reads to finish its reset. */
	w.fk.reset_delay_reads = 5;
	vifc_mmio_log_clear(w.vf);
	CU_ASSERT_EQUAL(vdpa_reset(w.vdev, 0), 0);
	CU_ASSERT_EQUAL(w.fk.status, 0);
	CU_ASSERT_EQUAL(vifc_mmio_log_count(w.vf, "w1 device_status 0x0"), 1);
	{
		long at = vifc_mmio_log_find(w.vf, "w1 device_status 0x0", 0);

		CU_ASSERT_FATAL(at >= 0);
		/* Polled after the write until it read 0: 5 reads, the last 0. */
		CU_ASSERT(vifc_mmio_log_find(w.vf, "r1 device_status 0x0", (size_t)at) >= 0);
		CU_ASSERT_EQUAL(vifc_mmio_log_count(w.vf, "r1 device_status 0xb"), 4 + 1);
	}
	/* A device that never finishes: bounded, -ETIMEDOUT. */
	vdpa_set_status(w.vdev, S_ACK);
	w.fk.reset_delay_reads = 1000000;
	CU_ASSERT_EQUAL(vdpa_reset(w.vdev, 0), -ETIMEDOUT);
	{
		struct vifc_stats st;

		vifc_get_stats(w.vf, &st);
		CU_ASSERT_EQUAL(st.reset_timeouts, 1);
	}
	world_fini(&w);
}

static void test_vq_setup_programs_queue_before_enable(void)
{
	struct world w;
	struct fk_cfg c;
	struct vdpa_vq_state st = { .split = { 7 } };
	static const char *const seq[] = {
		"w2 queue_select 0x1",	     "w2 queue_size 0x80",
		"w2 queue_select 0x1",	     "w4 queue_desc_lo 0x10000",
		"w4 queue_desc_hi 0x0",	     "w4 queue_driver_lo 0x11000",
		"w4 queue_driver_hi 0x0",    "w4 queue_device_lo 0x12000",
		"w4 queue_device_hi 0x1",    "w2 lm+0x24 0x7",
		"w2 queue_select 0x1",	     "w2 queue_enable 0x1",
		NULL,
	};

	fk_default(&c);
	world_up(&w, &c);
	vdpa_set_status(w.vdev, S_ACK | S_DRV);
	CU_ASSERT_EQUAL(vdpa_set_features(w.vdev, NEG_FEATURES), 0);
	vifc_mmio_log_clear(w.vf);
	w.ops->set_vq_num(w.vdev, 1, 128);
	CU_ASSERT_EQUAL(w.ops->set_vq_address(w.vdev, 1, 0x10000, 0x11000, 0x100012000ULL), 0);
	CU_ASSERT_EQUAL(w.ops->set_vq_state(w.vdev, 1, &st), 0);
	CU_ASSERT_FALSE(w.ops->get_vq_ready(w.vdev, 1));
	w.ops->set_vq_ready(w.vdev, 1, true);
	CU_ASSERT(vifc_mmio_log_has_sequence(w.vf, seq));
	CU_ASSERT_EQUAL(w.fk.q[1].size, 128);
	CU_ASSERT_EQUAL(w.fk.q[1].desc, 0x10000);
	CU_ASSERT_EQUAL(w.fk.q[1].drv, 0x11000);
	CU_ASSERT_EQUAL(w.fk.q[1].dev, 0x100012000ULL);
	CU_ASSERT_EQUAL(w.fk.q[1].enable, 1);
	CU_ASSERT_EQUAL(get_le(w.fk.lm + VIFC_LM_STATE_OFF(1), 2), 7);
	CU_ASSERT_TRUE(w.ops->get_vq_ready(w.vdev, 1));
	CU_ASSERT_EQUAL(w.fk.q[0].enable, 0);
	/* Kernel behaviour: ready=false writes queue_enable 0 ... */
	w.ops->set_vq_ready(w.vdev, 1, false);
	CU_ASSERT_EQUAL(w.fk.q[1].enable, 0);
	world_fini(&w);
}

static void test_strict_queue_enable_never_writes_zero(void)
{
	struct world w;
	struct fk_cfg c;
	struct vifc_opts o;

	fk_default(&c);
	world_hw(&w, &c);
	world_opts(&w, &o);
	o.strict_queue_enable = true;
	world_probe(&w, &o);
	w.ops->set_vq_ready(w.vdev, 0, true);
	vifc_mmio_log_clear(w.vf);
	w.ops->set_vq_ready(w.vdev, 0, false);
	CU_ASSERT_EQUAL(vifc_mmio_log_count(w.vf, "w2 queue_enable"), 0);
	CU_ASSERT_EQUAL(w.fk.q[0].enable, 1);
	world_fini(&w);
}

static void test_kick_writes_queue_index_at_its_doorbell(void)
{
	struct world w;
	struct fk_cfg c;
	struct vdpa_notification_area a;

	fk_default(&c);
	c.notify_off_bias = 3;
	world_up(&w, &c);
	w.ops->kick_vq(w.vdev, 2);
	w.ops->kick_vq(w.vdev, 2);
	w.ops->kick_vq(w.vdev, 0);
	CU_ASSERT_EQUAL(w.fk.q[2].kicks, 2);
	CU_ASSERT_EQUAL(w.fk.q[2].kick_val, 2);
	CU_ASSERT_EQUAL(w.fk.q[0].kicks, 1);
	CU_ASSERT_EQUAL(w.fk.notify_bad, 0);
	CU_ASSERT(vifc_mmio_log_find(w.vf, "w2 notify+0x14 0x2", 0) >= 0); /* (2+3)*4 */
	a = w.ops->get_vq_notification(w.vdev, 2);
	CU_ASSERT_EQUAL(a.addr, w.hf.bar[0].addr + FK_NOTIFY + 20);
	CU_ASSERT_EQUAL(a.size, 4); /* the multiplier */
	world_fini(&w);

	/* Multiplier 0: every queue shares one doorbell; the area is a page. */
	fk_default(&c);
	c.mult = 0;
	world_up(&w, &c);
	w.ops->kick_vq(w.vdev, 3);
	CU_ASSERT_EQUAL(w.fk.q[3].kicks, 1);
	a = w.ops->get_vq_notification(w.vdev, 3);
	CU_ASSERT_EQUAL(a.addr, w.hf.bar[0].addr + FK_NOTIFY);
	CU_ASSERT_EQUAL(a.size, 4096);
	world_fini(&w);
}

static void test_config_read_retries_while_generation_changes(void)
{
	struct world w;
	struct fk_cfg c;
	uint8_t mac[6] = { 0 };
	uint16_t mtu = 0;
	struct vifc_stats st;

	fk_default(&c);
	world_up(&w, &c);
	CU_ASSERT_EQUAL(w.ops->get_generation(w.vdev), 0);
	w.fk.generation = 0xff;
	CU_ASSERT_EQUAL(w.ops->get_generation(w.vdev), 0xff);
	/* Two changes during the first attempt: one more read settles it. */
	w.fk.gen_bump_reads = 2;
	w.ops->get_config(w.vdev, 0, mac, 6);
	CU_ASSERT_EQUAL(mac[0], 0x02);
	CU_ASSERT_EQUAL(mac[5], 0x2a);
	vifc_get_stats(w.vf, &st);
	CU_ASSERT_EQUAL(st.config_retries, 1);
	CU_ASSERT_EQUAL(w.fk.gen_bump_reads, 0);
	/* Reads are byte-wide, bracketed by generation reads. */
	vifc_mmio_log_clear(w.vf);
	w.ops->get_config(w.vdev, 10, &mtu, 2);
	CU_ASSERT_EQUAL(mtu, 1500);
	{
		static const char *const seq[] = { "r1 config_generation", "r1 device+0xa",
						   "r1 device+0xb", "r1 config_generation", NULL };

		CU_ASSERT(vifc_mmio_log_has_sequence(w.vf, seq));
		CU_ASSERT_EQUAL(vifc_mmio_log_len(w.vf), 4);
	}
	/* A device whose generation never settles: bounded. */
	w.fk.gen_bump_reads = 100000;
	w.ops->get_config(w.vdev, 0, mac, 1);
	vifc_get_stats(w.vf, &st);
	CU_ASSERT_EQUAL(st.config_retries, 1 + VIFC_CONFIG_READ_TRIES);
	/* Past the config size: zeros, no access. */
	w.fk.gen_bump_reads = 0;
	vifc_mmio_log_clear(w.vf);
	memset(mac, 0xee, sizeof(mac));
	w.ops->get_config(w.vdev, (unsigned int)sizeof(struct virtio_net_config), mac, 6);
	CU_ASSERT_EQUAL(mac[0], 0);
	CU_ASSERT_EQUAL(vifc_mmio_log_count(w.vf, "r1 device"), 0);
	/* set_config writes bytes through the device window. */
	mac[0] = 0x52;
	w.ops->set_config(w.vdev, 0, mac, 1);
	CU_ASSERT_EQUAL(w.fk.cfg[0], 0x52);
	world_fini(&w);
}

/* ==== interrupts ============================================================================ */

static void test_msix_per_vq_vectors_route_to_each_callback(void)
{
	struct world w;
	struct fk_cfg c;
	struct vifc_hw_info hi;

	fk_default(&c); /* 4 queues, 5 vectors */
	world_up(&w, &c);
	vifc_hw_info(w.vf, &hi);
	CU_ASSERT_EQUAL(w.ops->get_vq_irq(w.vdev, 0), -EINVAL); /* none before DRIVER_OK */
	bring_up(&w, NEG_FEATURES);
	CU_ASSERT_EQUAL(w.fk.status, S_ACK | S_DRV | S_FOK | S_DOK);
	CU_ASSERT_EQUAL(vifc_irq_mode(w.vf), VIFC_IRQ_PER_VQ);
	CU_ASSERT_EQUAL(vifc_irq_vectors(w.vf), 5);
	CU_ASSERT_TRUE(pcie_msix_enabled(w.fk.fn));
	for (unsigned int q = 0; q < 4; q++) {
		CU_ASSERT_EQUAL(w.fk.q[q].msix, q);
		CU_ASSERT_EQUAL(w.ops->get_vq_irq(w.vdev, (uint16_t)q), hi.irq_base + (int)q);
		CU_ASSERT_FALSE(pcie_msix_masked(w.fk.fn, q));
	}
	CU_ASSERT_EQUAL(w.fk.msix_config, 4);
	/* Vectors are programmed before the status write of DRIVER_OK. */
	{
		long v = vifc_mmio_log_find(w.vf, "w2 queue_msix_vector", 0);
		long s = vifc_mmio_log_find(w.vf, "w1 device_status 0xf", 0);

		CU_ASSERT(v >= 0 && s > v);
	}
	fk_vq_irq(&w.fk, 2);
	run(&w);
	CU_ASSERT_EQUAL(w.cb.vq[2], 1);
	CU_ASSERT_EQUAL(w.cb.vq[0] + w.cb.vq[1] + w.cb.vq[3], 0);
	CU_ASSERT_EQUAL(w.cb.config, 0);
	fk_config_irq(&w.fk);
	run(&w);
	CU_ASSERT_EQUAL(w.cb.config, 1);
	CU_ASSERT_EQUAL(w.cb.vq[2], 1);
	{
		struct vifc_stats st;

		vifc_get_stats(w.vf, &st);
		CU_ASSERT_EQUAL(st.isr_reads, 0); /* dedicated vectors need no ISR */
		CU_ASSERT_EQUAL(st.msi_received, 2);
	}
	world_fini(&w);
}

static void test_msix_shared_vq_vector_with_config_vector(void)
{
	struct world w;
	struct fk_cfg c;

	fk_default(&c);
	c.msix = 3; /* fewer than 4 queues + config */
	world_up(&w, &c);
	bring_up(&w, NEG_FEATURES);
	CU_ASSERT_EQUAL(vifc_irq_mode(w.vf), VIFC_IRQ_SHARED_VQ);
	CU_ASSERT_EQUAL(vifc_irq_vectors(w.vf), 3);
	for (unsigned int q = 0; q < 4; q++)
		CU_ASSERT_EQUAL(w.fk.q[q].msix, 0);
	CU_ASSERT_EQUAL(w.fk.msix_config, 1);
	/* Vector 2 was granted but has no handler: it stays masked. */
	CU_ASSERT_TRUE(pcie_msix_masked(w.fk.fn, 2));
	CU_ASSERT_EQUAL(w.ops->get_vq_irq(w.vdev, 0), -EINVAL);
	fk_vq_irq(&w.fk, 3);
	run(&w);
	for (unsigned int q = 0; q < 4; q++)
		CU_ASSERT_EQUAL(w.cb.vq[q], 1); /* the shared handler runs them all */
	CU_ASSERT_EQUAL(w.cb.config, 0);
	fk_config_irq(&w.fk);
	run(&w);
	CU_ASSERT_EQUAL(w.cb.config, 1);
	CU_ASSERT_EQUAL(w.cb.vq[0], 1);
	world_fini(&w);
}

static void test_msix_single_vector_reads_isr_for_config(void)
{
	struct world w;
	struct fk_cfg c;
	struct vifc_stats st;

	fk_default(&c);
	c.msix = 1;
	world_up(&w, &c);
	bring_up(&w, NEG_FEATURES);
	CU_ASSERT_EQUAL(vifc_irq_mode(w.vf), VIFC_IRQ_DEV_SHARED);
	CU_ASSERT_EQUAL(w.fk.msix_config, 0);
	CU_ASSERT_EQUAL(w.fk.q[3].msix, 0);
	vifc_mmio_log_clear(w.vf);
	fk_vq_irq(&w.fk, 1);
	run(&w);
	CU_ASSERT(vifc_mmio_log_find(w.vf, "r1 isr+0x0 0x1", 0) >= 0);
	CU_ASSERT_EQUAL(w.cb.config, 0);
	CU_ASSERT_EQUAL(w.cb.vq[1], 1);
	CU_ASSERT_EQUAL(w.fk.isr, 0); /* the read cleared it */
	fk_config_irq(&w.fk);
	run(&w);
	CU_ASSERT(vifc_mmio_log_find(w.vf, "r1 isr+0x0 0x2", 0) >= 0);
	CU_ASSERT_EQUAL(w.cb.config, 1);
	CU_ASSERT_EQUAL(w.cb.vq[1], 2); /* the kernel runs the queues' callbacks too */
	vifc_get_stats(w.vf, &st);
	CU_ASSERT_EQUAL(st.isr_reads, 2);
	world_fini(&w);
}

static void test_forced_modes_and_vector_budget(void)
{
	static const struct {
		enum vifc_irq_mode force;
		unsigned int budget;
		enum vifc_irq_mode want;
		unsigned int nvec;
	} cases[] = {
		{ VIFC_IRQ_DEV_SHARED, 0, VIFC_IRQ_DEV_SHARED, 1 },
		{ VIFC_IRQ_SHARED_VQ, 0, VIFC_IRQ_SHARED_VQ, 2 },
		{ VIFC_IRQ_PER_VQ, 0, VIFC_IRQ_PER_VQ, 5 },
		{ VIFC_IRQ_AUTO, 4, VIFC_IRQ_SHARED_VQ, 4 },
		{ VIFC_IRQ_AUTO, 1, VIFC_IRQ_DEV_SHARED, 1 },
		{ VIFC_IRQ_PER_VQ, 2, VIFC_IRQ_SHARED_VQ, 2 }, /* the budget wins */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct world w;
		struct fk_cfg c;
		struct vifc_opts o;

		fk_default(&c);
		world_hw(&w, &c);
		world_opts(&w, &o);
		o.force_mode = cases[i].force;
		o.max_vectors = cases[i].budget;
		world_probe(&w, &o);
		bring_up(&w, NEG_FEATURES);
		CU_ASSERT_EQUAL(vifc_irq_mode(w.vf), cases[i].want);
		CU_ASSERT_EQUAL(vifc_irq_vectors(w.vf), cases[i].nvec);
		/* Every mode delivers a queue interrupt to its callback. */
		fk_vq_irq(&w.fk, 0);
		run(&w);
		CU_ASSERT_EQUAL(w.cb.vq[0], 1);
		world_fini(&w);
	}
}

static void test_reset_detaches_vectors_and_disables_msix(void)
{
	struct world w;
	struct fk_cfg c;
	struct vifc_stats st;

	fk_default(&c);
	world_up(&w, &c);
	bring_up(&w, NEG_FEATURES);
	CU_ASSERT_TRUE(pcie_msix_enabled(w.fk.fn));
	/* An interrupt in flight when the driver resets. */
	fk_vq_irq(&w.fk, 1);
	CU_ASSERT_EQUAL(vdpa_reset(w.vdev, 0), 0);
	CU_ASSERT_FALSE(pcie_msix_enabled(w.fk.fn));
	CU_ASSERT_FALSE(msix_ctl(&w) & PCI_MSIX_FLAGS_ENABLE);
	CU_ASSERT_EQUAL(vifc_irq_mode(w.vf), VIFC_IRQ_AUTO);
	CU_ASSERT_EQUAL(vifc_irq_vectors(w.vf), 0);
	CU_ASSERT_EQUAL(w.ops->get_vq_irq(w.vdev, 1), -EINVAL);
	run(&w);
	CU_ASSERT_EQUAL(w.cb.vq[1], 0); /* the stray message found no route */
	CU_ASSERT_EQUAL(pcie_rc_msi_unclaimed(w.rc), 1);
	/* The vectors were detached before the reset write. */
	{
		long v = vifc_mmio_log_find(w.vf, "w2 queue_msix_vector 0xffff", 0);
		long s = vifc_mmio_log_find(w.vf, "w1 device_status 0x0", 0);

		CU_ASSERT(v >= 0 && s > v);
		CU_ASSERT(vifc_mmio_log_find(w.vf, "w2 msix_config 0xffff", 0) >= 0);
	}
	/* A second DRIVER_OK requests them again. */
	bring_up(&w, NEG_FEATURES);
	CU_ASSERT_TRUE(pcie_msix_enabled(w.fk.fn));
	fk_vq_irq(&w.fk, 1);
	run(&w);
	CU_ASSERT_EQUAL(w.cb.vq[1], 1);
	vifc_get_stats(w.vf, &st);
	CU_ASSERT_EQUAL(st.irq_requests, 2);
	CU_ASSERT_EQUAL(st.irq_frees, 1);
	world_fini(&w);
}

static void test_driver_ok_without_msix_leaves_status(void)
{
	struct world w;
	struct fk_cfg c;

	fk_default(&c);
	c.msix = 0;
	world_up(&w, &c);
	bring_up(&w, NEG_FEATURES);
	CU_ASSERT_EQUAL(w.fk.status, S_ACK | S_DRV | S_FOK);
	CU_ASSERT_EQUAL(vifc_irq_mode(w.vf), VIFC_IRQ_AUTO);
	world_fini(&w);
}

static void test_vector_refused_by_device_fails_driver_ok(void)
{
	struct world w;
	struct fk_cfg c;

	fk_default(&c);
	world_up(&w, &c);
	w.fk.c.msix = 2; /* the device now refuses vectors >= 2 in queue_msix_vector */
	bring_up(&w, NEG_FEATURES);
	CU_ASSERT_EQUAL(w.fk.status, S_ACK | S_DRV | S_FOK);
	CU_ASSERT_FALSE(pcie_msix_enabled(w.fk.fn));
	CU_ASSERT_EQUAL(vifc_irq_vectors(w.vf), 0);
	world_fini(&w);
}

/* ==== live migration BAR ===================================================================== */

static void test_split_ring_state_uses_the_low_half(void)
{
	struct world w;
	struct fk_cfg c;
	struct vdpa_vq_state st;
	uint16_t a = 0, u = 0;

	fk_default(&c);
	world_up(&w, &c);
	CU_ASSERT_EQUAL(vdpa_set_features(w.vdev, NEG_FEATURES), 0);
	put_le(w.fk.lm + VIFC_LM_STATE_OFF(3), 4, 0x00090011);
	CU_ASSERT_EQUAL(w.ops->get_vq_state(w.vdev, 3, &st), 0);
	CU_ASSERT_EQUAL(st.split.avail_index, 0x11);
	st.split.avail_index = 0x1234;
	CU_ASSERT_EQUAL(w.ops->set_vq_state(w.vdev, 2, &st), 0);
	CU_ASSERT_EQUAL(get_le(w.fk.lm + 0x20 + 0x40, 4), 0x1234);
	CU_ASSERT(vifc_mmio_log_find(w.vf, "w2 lm+0x60 0x1234", 0) >= 0);
	CU_ASSERT_EQUAL(vifc_lm_ring_state(w.vf, 3, &a, &u), 0);
	CU_ASSERT_EQUAL(a, 0x11);
	CU_ASSERT_EQUAL(u, 0x9);
	CU_ASSERT_EQUAL(vifc_lm_ring_state(w.vf, 4, &a, &u), -EINVAL);
	CU_ASSERT_EQUAL(w.ops->get_vq_state(w.vdev, 4, &st), -EINVAL);
	world_fini(&w);
}

static void test_packed_ring_state_carries_wrap_counters(void)
{
	struct world w;
	struct fk_cfg c;
	struct vdpa_vq_state st;

	fk_default(&c);
	world_up(&w, &c);
	CU_ASSERT_EQUAL(vdpa_set_features(w.vdev, NEG_FEATURES | (1ULL << VIRTIO_F_RING_PACKED)),
			0);
	memset(&st, 0, sizeof(st));
	st.packed.last_avail_idx = 5;
	st.packed.last_avail_counter = 1;
	st.packed.last_used_idx = 3;
	st.packed.last_used_counter = 0;
	CU_ASSERT_EQUAL(w.ops->set_vq_state(w.vdev, 1, &st), 0);
	CU_ASSERT_EQUAL(get_le(w.fk.lm + VIFC_LM_STATE_OFF(1), 4), 0x00038005);
	put_le(w.fk.lm + VIFC_LM_STATE_OFF(1), 4, 0x80077ffe);
	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL(w.ops->get_vq_state(w.vdev, 1, &st), 0);
	CU_ASSERT_EQUAL(st.packed.last_avail_idx, 0x7ffe);
	CU_ASSERT_EQUAL(st.packed.last_avail_counter, 0);
	CU_ASSERT_EQUAL(st.packed.last_used_idx, 7);
	CU_ASSERT_EQUAL(st.packed.last_used_counter, 1);
	world_fini(&w);
}

static void test_dirty_log_start_programs_range_then_enables(void)
{
	struct world w;
	struct fk_cfg c;
	static const char *const seq[] = { "w4 lm+0x10 0x200000", "w4 lm+0x14 0x1",
					   "w4 lm+0x18 0x280000", "w4 lm+0x1c 0x1",
					   "w4 lm+0x0 0x1",	   NULL };

	fk_default(&c);
	world_up(&w, &c);
	CU_ASSERT_FALSE(vifc_lm_logging(w.vf));
	CU_ASSERT_EQUAL(vifc_lm_log_start(w.vf, 0x100200000ULL, 0x100280000ULL), 0);
	CU_ASSERT(vifc_mmio_log_has_sequence(w.vf, seq));
	CU_ASSERT_TRUE(vifc_lm_logging(w.vf));
	CU_ASSERT_EQUAL(get_le(w.fk.lm + 0x10, 8), 0x100200000ULL);
	CU_ASSERT_EQUAL(get_le(w.fk.lm + 0x18, 8), 0x100280000ULL);
	CU_ASSERT_EQUAL(vifc_lm_log_stop(w.vf), 0);
	CU_ASSERT_FALSE(vifc_lm_logging(w.vf));
	CU_ASSERT_EQUAL(vifc_lm_log_start(w.vf, 0x1000, 0x1000), -EINVAL);
	CU_ASSERT_EQUAL(vifc_lm_set_ring_state(w.vf, 0, 0x10, 0x0f), 0);
	CU_ASSERT_EQUAL(get_le(w.fk.lm + 0x20, 4), 0x000f0010);
	world_fini(&w);
}

/* ==== management device ======================================================================= */

static void test_mgmtdev_add_validates_and_del_allows_a_new_add(void)
{
	struct world w;
	struct fk_cfg c;
	struct vifc_opts o;
	struct vdpa_dev_set_config cfg;
	char out[512];

	fk_default(&c);
	world_hw(&w, &c);
	world_opts(&w, &o);
	CU_ASSERT_EQUAL_FATAL(vifc_probe(w.sim, w.rc, &w.hf, &o, &w.vf), 0);
	/* The hardware's MAC/MTU/queue pairs are not provisionable. */
	CU_ASSERT_EQUAL(vdpa_tool(w.sim, "vdpa dev add name vdpa0 mgmtdev pci/0000:00:03.0 "
					 "mac 00:11:22:33:44:55", out, sizeof(out)),
			-EOPNOTSUPP);
	CU_ASSERT_EQUAL(vdpa_tool(w.sim, "vdpa dev add name vdpa0 mgmtdev pci/0000:00:03.0 "
					 "max_vqp 1", out, sizeof(out)),
			-EOPNOTSUPP);
	/* Features beyond the device's. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.mask = 1ULL << VDPA_ATTR_DEV_FEATURES;
	cfg.device_features = FK_FEATURES | (1ULL << VIRTIO_NET_F_CTRL_VQ);
	CU_ASSERT_EQUAL(vdpa_nl_dev_add(w.sim, "vdpa0", "pci/0000:00:03.0", &cfg, NULL), -EINVAL);
	CU_ASSERT_PTR_NULL(vifc_vdpa(w.vf));
	/* A subset is provisioned. */
	cfg.device_features = NEG_FEATURES | (1ULL << VIRTIO_NET_F_MAC);
	CU_ASSERT_EQUAL(vdpa_nl_dev_add(w.sim, "vdpa0", "pci/0000:00:03.0", &cfg, NULL), 0);
	w.vdev = vifc_vdpa(w.vf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w.vdev);
	CU_ASSERT_STRING_EQUAL(w.vdev->name, "vdpa0");
	CU_ASSERT_PTR_EQUAL(w.vdev->mdev, vifc_mgmtdev(w.vf));
	CU_ASSERT_EQUAL(w.vdev->config->get_device_features(w.vdev), cfg.device_features);
	/* One device per function. */
	CU_ASSERT_EQUAL(vdpa_tool(w.sim, "vdpa dev add name vdpa1 mgmtdev pci/0000:00:03.0", out,
				  sizeof(out)), -EBUSY);
	CU_ASSERT_EQUAL(vdpa_tool(w.sim, "vdpa dev del vdpa0", out, sizeof(out)), 0);
	CU_ASSERT_PTR_NULL(vifc_vdpa(w.vf));
	CU_ASSERT_PTR_NULL(vdpa_find_device(w.sim, "vdpa0"));
	CU_ASSERT_EQUAL(vdpa_tool(w.sim, "vdpa dev add name vdpa1 mgmtdev pci/0000:00:03.0", out,
				  sizeof(out)), 0);
	CU_ASSERT_EQUAL(vifc_vdpa(w.vf)->config->get_device_features(vifc_vdpa(w.vf)),
			FK_FEATURES);
	CU_ASSERT_EQUAL(vdpa_tool(w.sim, "vdpa dev show vdpa1", out, sizeof(out)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "pci/0000:00:03.0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "vendor_id 32902")); /* 0x8086 */
	/* Removing the function deletes its device with the management device
	 * and stops its DMA. */
	CU_ASSERT_TRUE(pcie_fn_bus_master(w.fk.fn));
	vifc_remove(w.vf);
	w.vf = NULL;
	CU_ASSERT_FALSE(pcie_fn_bus_master(w.fk.fn));
	CU_ASSERT_PTR_NULL(vdpa_find_device(w.sim, "vdpa1"));
	CU_ASSERT_EQUAL(vdpa_nl_mgmtdev_get(w.sim, "pci/0000:00:03.0", NULL, 0, NULL, NULL),
			-ENODEV);
	world_fini(&w);
}

static void test_dev_config_show_reads_mac_and_mtu(void)
{
	struct world w;
	struct fk_cfg c;
	struct vdpa_dev_config_info ci;

	fk_default(&c);
	world_up(&w, &c);
	CU_ASSERT_EQUAL(vdpa_nl_dev_config_get(w.sim, "vdpa0", &ci, NULL), 0);
	CU_ASSERT_TRUE(ci.has_mac);
	CU_ASSERT_EQUAL(ci.mac[0], 0x02);
	CU_ASSERT_EQUAL(ci.mac[5], 0x2a);
	CU_ASSERT_TRUE(ci.has_mtu);
	CU_ASSERT_EQUAL(ci.mtu, 1500);
	CU_ASSERT_EQUAL(ci.dev_features, FK_FEATURES);
	world_fini(&w);
}

/* ==== platform IOMMU and vhost_vdpa =========================================================== */

static void test_iommu_glue_swaps_and_restores_the_domain(void)
{
	struct world w;
	struct fk_cfg c;
	struct vdpa_dma_dev *dma;
	void *dom = NULL;
	uint64_t first = 1, last = 0, pa = 0;
	unsigned int prot = 0;
	uint16_t rid = PCIE_BDF(0, FK_SLOT, 0);

	fk_default(&c);
	world_up(&w, &c);
	dma = vdpa_get_dma_dev(w.vdev);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dma);
	CU_ASSERT_TRUE(dma->coherent);
	CU_ASSERT_EQUAL_FATAL(dma->iommu->domain_alloc(dma->ctx, &dom), 0);
	CU_ASSERT_PTR_EQUAL(iommu_domain_of(w.io, rid, 0), dom);
	CU_ASSERT_NOT_EQUAL(dom, w.dflt);
	CU_ASSERT_EQUAL(dma->iommu->domain_alloc(dma->ctx, &dom), -EBUSY);
	CU_ASSERT_EQUAL(dma->iommu->map(dma->ctx, dom, 0x10000, 0x200000, 0x2000,
					VHOST_ACCESS_RO), 0);
	CU_ASSERT_EQUAL(iommu_iova_to_phys(dom, 0x11000, &pa, &prot), 0);
	CU_ASSERT_EQUAL(pa, 0x201000);
	CU_ASSERT_EQUAL(prot, IOMMU_READ);
	CU_ASSERT_EQUAL(dma->iommu->map(dma->ctx, dom, 0x10000, 0x300000, 0x1000,
					VHOST_ACCESS_RW), -EEXIST);
	CU_ASSERT_EQUAL(dma->iommu->unmap(dma->ctx, dom, 0x10000, 0x2000), 0x2000);
	CU_ASSERT_EQUAL(dma->iommu->unmap(dma->ctx, dom, 0x10000, 0x2000), 0);
	CU_ASSERT_TRUE(dma->iommu->aperture(dma->ctx, dom, &first, &last));
	CU_ASSERT_EQUAL(first, 0);
	CU_ASSERT_EQUAL(last, (1ULL << 48) - 1);
	dma->iommu->domain_free(dma->ctx, dom);
	CU_ASSERT_PTR_EQUAL(iommu_domain_of(w.io, rid, 0), w.dflt);
	world_fini(&w);

	/* Without a platform IOMMU vhost_vdpa cannot use the device. */
	fk_default(&c);
	{
		struct vifc_opts o;
		struct vhv_file *f = NULL;

		world_hw(&w, &c);
		world_opts(&w, &o);
		o.iommu = NULL;
		CU_ASSERT_EQUAL_FATAL(vhv_register_driver(w.sim), 0);
		CU_ASSERT_EQUAL_FATAL(vifc_probe(w.sim, w.rc, &w.hf, &o, &w.vf), 0);
		CU_ASSERT_EQUAL_FATAL(vdpa_tool(w.sim, "vdpa dev add name vdpa0 mgmtdev "
						       "pci/0000:00:03.0", NULL, 0), 0);
		CU_ASSERT_EQUAL(vhv_open(w.sim, "/dev/vhost-vdpa-0", &f), -VHV_ENOTSUPP);
		world_fini(&w);
	}
}

static long vio(struct vhv_file *f, unsigned long req, void *arg)
{
	return vhv_ioctl(f, req, arg);
}

static long vring_io(struct vhv_file *f, unsigned long req, uint32_t idx, uint32_t num)
{
	struct vhost_vring_state s = { idx, num };

	return vio(f, req, &s);
}

static ssize_t iotlb_update(struct vhv_file *f, uint64_t iova, uint64_t size, uint64_t uaddr)
{
	struct vhost_msg_v2 m;

	memset(&m, 0, sizeof(m));
	m.type = VHOST_IOTLB_MSG_V2;
	m.iotlb.type = VHOST_IOTLB_UPDATE;
	m.iotlb.iova = iova;
	m.iotlb.size = size;
	m.iotlb.uaddr = uaddr;
	m.iotlb.perm = VHOST_ACCESS_RW;
	return vhv_write(f, &m, sizeof(m));
}

static void test_vhost_vdpa_drives_the_function(void)
{
	struct world w;
	struct fk_cfg c;
	struct vhv_file *f = NULL;
	struct vdpa_evfd *kick = NULL, *call = NULL, *cfgcall = NULL;
	struct vhost_vring_file vf;
	struct vhost_vring_addr addr;
	struct vdpa_notification_area area;
	uint64_t features = 0, pa = 0, v = 0;
	unsigned int prot = 0;
	uint8_t status;
	uint16_t rid = PCIE_BDF(0, FK_SLOT, 0);
	uint32_t num = 0;
	int cfd;

	fk_default(&c);
	world_hw(&w, &c);
	CU_ASSERT_EQUAL_FATAL(vhv_register_driver(w.sim), 0);
	{
		struct vifc_opts o;

		world_opts(&w, &o);
		CU_ASSERT_EQUAL_FATAL(vifc_probe(w.sim, w.rc, &w.hf, &o, &w.vf), 0);
	}
	CU_ASSERT_EQUAL_FATAL(vdpa_tool(w.sim, "vdpa dev add name vdpa0 mgmtdev pci/0000:00:03.0",
					NULL, 0), 0);
	w.vdev = vifc_vdpa(w.vf);
	CU_ASSERT_STRING_EQUAL(vhv_chardev_name(w.vdev), "vhost-vdpa-0");
	w.fk.status = S_ACK; /* left over from a previous user */
	CU_ASSERT_EQUAL_FATAL(vhv_open(w.sim, "/dev/vhost-vdpa-0", &f), 0);
	CU_ASSERT_EQUAL(w.fk.status, 0); /* open resets */
	/* vhost_vdpa owns a fresh domain now, not the DMA API's. */
	CU_ASSERT_PTR_NOT_NULL(iommu_domain_of(w.io, rid, 0));
	CU_ASSERT_PTR_NOT_EQUAL(iommu_domain_of(w.io, rid, 0), w.dflt);
	CU_ASSERT_EQUAL(vio(f, VHOST_SET_OWNER, NULL), 0);
	CU_ASSERT_EQUAL(vio(f, VHOST_GET_FEATURES, &features), 0);
	CU_ASSERT_EQUAL(features, FK_FEATURES);
	CU_ASSERT_EQUAL(vio(f, VHOST_VDPA_GET_VRING_NUM, &num), 0);
	CU_ASSERT_EQUAL(num, 256);
	{
		struct vhost_vdpa_iova_range r;

		CU_ASSERT_EQUAL(vio(f, VHOST_VDPA_GET_IOVA_RANGE, &r), 0);
		CU_ASSERT_EQUAL(r.last, (1ULL << 48) - 1);
	}
	status = S_ACK | S_DRV;
	CU_ASSERT_EQUAL(vio(f, VHOST_VDPA_SET_STATUS, &status), 0);
	features = NEG_FEATURES;
	CU_ASSERT_EQUAL(vio(f, VHOST_SET_FEATURES, &features), 0);
	CU_ASSERT_EQUAL(w.fk.gf[1], (uint32_t)(NEG_FEATURES >> 32));
	status |= S_FOK;
	CU_ASSERT_EQUAL(vio(f, VHOST_VDPA_SET_STATUS, &status), 0);

	/* Guest memory at host PA 0x40000000 appears at IOVA 0x100000. */
	CU_ASSERT_EQUAL(iotlb_update(f, 0x100000, 0x200000, 0x40000000),
			(ssize_t)sizeof(struct vhost_msg_v2));
	CU_ASSERT_EQUAL(iommu_iova_to_phys(iommu_domain_of(w.io, rid, 0), 0x180000, &pa, &prot), 0);
	CU_ASSERT_EQUAL(pa, 0x40080000);
	CU_ASSERT_EQUAL(prot, IOMMU_READ | IOMMU_WRITE);
	/* The device's DMA goes through it. */
	{
		uint32_t word = 0x5a5aa5a5, back = 0;
		sim_time_t done;

		CU_ASSERT_EQUAL(mem_write(w.mem, 0x40000010, &word, 4), 0);
		CU_ASSERT_EQUAL(pcie_dma_read(w.fk.fn, 0x100010, &back, 4, 0, &done), 0);
		CU_ASSERT_EQUAL(back, word);
		CU_ASSERT_EQUAL(pcie_dma_read(w.fk.fn, 0x400000, &back, 4, 0, &done), -EFAULT);
	}

	CU_ASSERT_EQUAL(vring_io(f, VHOST_SET_VRING_NUM, 0, 128), 0);
	memset(&addr, 0, sizeof(addr));
	addr.index = 0;
	addr.desc_user_addr = 0x100000;
	addr.avail_user_addr = 0x101000;
	addr.used_user_addr = 0x102000;
	CU_ASSERT_EQUAL(vio(f, VHOST_SET_VRING_ADDR, &addr), 0);
	CU_ASSERT_EQUAL(vring_io(f, VHOST_SET_VRING_BASE, 0, 9), 0);
	vf.index = 0;
	vf.fd = vdpa_evfd_create(w.sim, &kick);
	CU_ASSERT_EQUAL(vio(f, VHOST_SET_VRING_KICK, &vf), 0);
	vf.fd = vdpa_evfd_create(w.sim, &call);
	CU_ASSERT_EQUAL(vio(f, VHOST_SET_VRING_CALL, &vf), 0);
	cfd = vdpa_evfd_create(w.sim, &cfgcall);
	CU_ASSERT_EQUAL(vio(f, VHOST_VDPA_SET_CONFIG_CALL, &cfd), 0);
	CU_ASSERT_EQUAL(vring_io(f, VHOST_VDPA_SET_VRING_ENABLE, 0, 1), 0);
	CU_ASSERT_EQUAL(w.fk.q[0].size, 128);
	CU_ASSERT_EQUAL(w.fk.q[0].desc, 0x100000);
	CU_ASSERT_EQUAL(w.fk.q[0].drv, 0x101000);
	CU_ASSERT_EQUAL(w.fk.q[0].dev, 0x102000);
	CU_ASSERT_EQUAL(get_le(w.fk.lm + VIFC_LM_STATE_OFF(0), 2), 9);
	CU_ASSERT_EQUAL(w.fk.q[0].enable, 1);

	status |= S_DOK;
	CU_ASSERT_EQUAL(vio(f, VHOST_VDPA_SET_STATUS, &status), 0);
	CU_ASSERT_EQUAL(w.fk.status, S_ACK | S_DRV | S_FOK | S_DOK);
	CU_ASSERT_EQUAL(vhv_vq_irq_bypass(f, 0), vifc_vector_irq(w.vf, 0));

	/* Kick eventfd -> vhost poll -> kick_vq -> the doorbell. */
	vdpa_evfd_write(kick, 1);
	CU_ASSERT_EQUAL(w.fk.q[0].kicks, 1);
	/* Device interrupt -> MSI-X -> vq callback -> call eventfd. */
	fk_vq_irq(&w.fk, 0);
	run(&w);
	CU_ASSERT_EQUAL(vdpa_evfd_read(call, &v), 0);
	CU_ASSERT_EQUAL(v, 1);
	fk_config_irq(&w.fk);
	run(&w);
	CU_ASSERT_EQUAL(vdpa_evfd_count(cfgcall), 1);
	/* Doorbell mapping. */
	CU_ASSERT_EQUAL(vhv_mmap(f, 4096, PROT_WRITE, MAP_SHARED, 0, &area), -VHV_ENOTSUPP);
	/* The ring state comes back through the LM BAR. */
	put_le(w.fk.lm + VIFC_LM_STATE_OFF(0), 2, 21);
	{
		struct vhost_vring_state s = { 0, 0 };

		CU_ASSERT_EQUAL(vio(f, VHOST_GET_VRING_BASE, &s), 0);
		CU_ASSERT_EQUAL(s.num, 21);
	}

	CU_ASSERT_EQUAL(vhv_close(f), 0);
	CU_ASSERT_EQUAL(w.fk.status, 0);
	CU_ASSERT_FALSE(pcie_msix_enabled(w.fk.fn));
	CU_ASSERT_PTR_EQUAL(iommu_domain_of(w.io, rid, 0), w.dflt);
	vdpa_evfd_close(kick);
	vdpa_evfd_close(call);
	vdpa_evfd_close(cfgcall);
	world_fini(&w);
}

/* ==== the IFCVF model (sim/nic_ifcvf) in a slot through the device host ==================== */

#define NIC_SLOT 4
#define GUEST_PA 0x40000000ULL /* guest memory; IOVA == host PA in these tests */
#define GUEST_LEN 0x400000ULL

struct nic_world {
	struct sim *sim;
	struct mem *mem;
	struct iommu *io;
	struct pcie_rc *rc;
	struct devh *dh;
	struct pcie_host_fn hf;
	struct vifc *vf;
	struct vdpa_device *vdev;
	struct net_loopback *lb;
	struct net_link *link;
};

static void nic_up(struct nic_world *w, const char *options, bool loopback)
{
	struct vifc_opts o;
	unsigned int n = 0;

	memset(w, 0, sizeof(*w));
	w->sim = eng_sim_new(1, 0);
	w->mem = mem_new(1ULL << 32);
	w->io = iommu_new(w->sim, NULL);
	w->rc = pcie_rc_new(w->sim, w->mem, w->io, NULL);
	CU_ASSERT_FATAL(w->sim && w->mem && w->io && w->rc);
	CU_ASSERT_EQUAL_FATAL(devh_create(w->sim, w->rc, NIC_SLOT, ifcvf_plugin(), options,
					  "ifcvf0", &w->dh), 0);
	if (loopback) {
		struct net_link_cfg lc = { .rate_bps = 100000000000ULL };

		CU_ASSERT_EQUAL_FATAL(net_loopback_new(w->sim, NULL, &w->lb), 0);
		CU_ASSERT_EQUAL_FATAL(net_link_new(w->sim, &lc, devh_net_port(w->dh, 0),
						   net_loopback_port(w->lb), &w->link), 0);
	}
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(w->rc, 0xE0000000ULL, 0x1000000, &w->hf, 1, &n), 0);
	CU_ASSERT_EQUAL_FATAL(vhv_register_driver(w->sim), 0);
	vifc_opts_default(&o);
	o.iommu = w->io;
	o.mmio_log_cap = 8192;
	CU_ASSERT_EQUAL_FATAL(vifc_probe(w->sim, w->rc, &w->hf, &o, &w->vf), 0);
	CU_ASSERT_EQUAL_FATAL(vdpa_tool(w->sim, "vdpa dev add name vdpa0 mgmtdev pci/0000:00:04.0",
					NULL, 0), 0);
	w->vdev = vifc_vdpa(w->vf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->vdev);
}

static void nic_fini(struct nic_world *w)
{
	vifc_remove(w->vf);
	if (w->link)
		net_link_free(w->link);
	devh_destroy(w->dh);
	if (w->lb)
		net_loopback_free(w->lb);
	pcie_rc_free(w->rc);
	iommu_free(w->io);
	mem_free(w->mem);
	eng_sim_free(w->sim);
}

static void test_ifcvf_model_probes_with_its_layout(void)
{
	struct nic_world w;
	struct vifc_hw_info hi;
	uint8_t mac[6];
	uint16_t mtu = 0;

	nic_up(&w, "queue_pairs=2,mac=02:00:00:00:00:07,mtu=9000", false);
	vifc_hw_info(w.vf, &hi);
	CU_ASSERT_EQUAL(hi.nr_vring, 5); /* 2 pairs + control queue */
	CU_ASSERT_EQUAL(hi.msix_table_size, 6);
	CU_ASSERT_EQUAL(hi.notify_off_multiplier, IFCVF_NOTIFY_MULT);
	CU_ASSERT_EQUAL(hi.common.addr, w.hf.bar[0].addr + IFCVF_COMMON_OFF);
	CU_ASSERT_EQUAL(hi.notify.addr, w.hf.bar[0].addr + IFCVF_NOTIFY_OFF);
	CU_ASSERT_EQUAL(hi.isr.addr, w.hf.bar[0].addr + IFCVF_ISR_OFF);
	CU_ASSERT_EQUAL(hi.device.addr, w.hf.bar[0].addr + IFCVF_DEVCFG_OFF);
	CU_ASSERT_EQUAL(hi.msix_table_addr, w.hf.bar[0].addr + IFCVF_MSIX_TABLE_OFF);
	CU_ASSERT_EQUAL(hi.lm_addr, w.hf.bar[IFCVF_BAR_LM].addr);
	CU_ASSERT_EQUAL(hi.hw_features, IFCVF_FEATURES);
	CU_ASSERT_EQUAL(hi.config_size, IFCVF_DEVCFG_LEN);
	CU_ASSERT_EQUAL(w.vdev->nvqs, 5);
	CU_ASSERT_EQUAL(w.vdev->config->get_vendor_id(w.vdev), IFCVF_SUBSYS_VENDOR);
	CU_ASSERT_EQUAL(w.vdev->config->get_vq_num_max(w.vdev), 256);
	vdpa_get_config(w.vdev, 0, mac, 6);
	CU_ASSERT_EQUAL(mac[5], 0x07);
	vdpa_get_config(w.vdev, 10, &mtu, 2);
	CU_ASSERT_EQUAL(mtu, 9000);
	nic_fini(&w);
}

static void test_ifcvf_model_ring_state_and_dirty_log_registers(void)
{
	struct nic_world w;
	struct vdpa_vq_state st = { .split = { 300 } };
	uint16_t a = 0, u = 0;

	nic_up(&w, "queue_pairs=1", false);
	CU_ASSERT_EQUAL(vdpa_set_features(w.vdev, NEG_FEATURES), 0);
	/* A split-only write of the low half: the device takes used = avail. */
	CU_ASSERT_EQUAL(w.vdev->config->set_vq_state(w.vdev, 1, &st), 0);
	CU_ASSERT_EQUAL(vifc_lm_ring_state(w.vf, 1, &a, &u), 0);
	CU_ASSERT_EQUAL(a, 300);
	CU_ASSERT_EQUAL(u, 300);
	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL(w.vdev->config->get_vq_state(w.vdev, 1, &st), 0);
	CU_ASSERT_EQUAL(st.split.avail_index, 300);
	CU_ASSERT_EQUAL(vifc_lm_set_ring_state(w.vf, 0, 5, 3), 0);
	CU_ASSERT_EQUAL(vifc_lm_ring_state(w.vf, 0, &a, &u), 0);
	CU_ASSERT_EQUAL(a, 5);
	CU_ASSERT_EQUAL(u, 3);
	CU_ASSERT_FALSE(vifc_lm_logging(w.vf));
	CU_ASSERT_EQUAL(vifc_lm_log_start(w.vf, GUEST_PA + GUEST_LEN - 0x10000, GUEST_PA + GUEST_LEN),
			0);
	CU_ASSERT_TRUE(vifc_lm_logging(w.vf));
	CU_ASSERT_EQUAL(vifc_lm_log_stop(w.vf), 0);
	CU_ASSERT_FALSE(vifc_lm_logging(w.vf));
	nic_fini(&w);
}

/* The guest side of one queue: a ring driver over host memory (IOVA == PA). */
struct gq {
	struct vq_drv *drv;
	struct vq_config cfg;
	struct vdpa_evfd *kick, *call;
};

static struct vq_mem host_mem(struct nic_world *w)
{
	struct vq_mem m = { mem_acc_read, mem_acc_write, w->mem };

	return m;
}

static void gq_setup(struct nic_world *w, struct vhv_file *f, struct gq *q, uint32_t idx,
		     uint64_t base, uint64_t features)
{
	struct vq_mem m = host_mem(w);
	struct vhost_vring_addr addr;
	struct vhost_vring_file vfile;

	memset(q, 0, sizeof(*q));
	q->cfg.num = 256;
	q->cfg.features = features;
	vq_config_place(&q->cfg, base);
	CU_ASSERT_EQUAL_FATAL(vq_drv_create(&q->drv, &q->cfg, &m, NULL), 0);
	CU_ASSERT_EQUAL(vring_io(f, VHOST_SET_VRING_NUM, idx, q->cfg.num), 0);
	memset(&addr, 0, sizeof(addr));
	addr.index = idx;
	addr.desc_user_addr = q->cfg.desc_addr;
	addr.avail_user_addr = q->cfg.driver_addr;
	addr.used_user_addr = q->cfg.device_addr;
	CU_ASSERT_EQUAL(vio(f, VHOST_SET_VRING_ADDR, &addr), 0);
	CU_ASSERT_EQUAL(vring_io(f, VHOST_SET_VRING_BASE, idx, 0), 0);
	vfile.index = idx;
	vfile.fd = vdpa_evfd_create(w->sim, &q->kick);
	CU_ASSERT_EQUAL(vio(f, VHOST_SET_VRING_KICK, &vfile), 0);
	vfile.fd = vdpa_evfd_create(w->sim, &q->call);
	CU_ASSERT_EQUAL(vio(f, VHOST_SET_VRING_CALL, &vfile), 0);
	CU_ASSERT_EQUAL(vring_io(f, VHOST_VDPA_SET_VRING_ENABLE, idx, 1), 0);
}

static void gq_kick(struct gq *q)
{
	if (vq_drv_kick_prepare(q->drv) > 0)
		vdpa_evfd_write(q->kick, 1);
}

static void gq_free(struct gq *q)
{
	vq_drv_free(q->drv);
	vdpa_evfd_close(q->kick);
	vdpa_evfd_close(q->call);
}

/*
 * One frame out of the TX queue, through the wire to a loopback peer and back
 * into the RX queue, with vhost_vdpa as the backend; `opts` picks the model's
 * options (its MSI-X table size decides the driver's interrupt layout).
 */
static void loop_one_frame(const char *opts, enum vifc_irq_mode want_mode)
{
	const uint64_t features = NEG_FEATURES | (1ULL << VIRTIO_NET_F_MAC);
	const uint64_t rxbuf = GUEST_PA + 0x100000, txbuf = GUEST_PA + 0x200000;
	const uint64_t logbuf = GUEST_PA + 0x300000, loglen = 0x10000;
	struct nic_world w;
	struct vhv_file *f = NULL;
	struct gq rx, tx;
	uint8_t mac[6], frame[NET_ETH_HLEN + 200], back[NET_ETH_HLEN + 200];
	const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	uint64_t v = features;
	uint8_t status = S_ACK | S_DRV;
	size_t flen = NET_ETH_HLEN + 200;
	void *token = NULL;
	uint32_t len = 0;
	struct vdpa_evfd *cfgcall = NULL;
	int cfd;

	nic_up(&w, opts, true);
	CU_ASSERT_EQUAL_FATAL(vhv_open(w.sim, "/dev/vhost-vdpa-0", &f), 0);
	CU_ASSERT_EQUAL(vio(f, VHOST_SET_OWNER, NULL), 0);
	CU_ASSERT_EQUAL(vio(f, VHOST_VDPA_SET_STATUS, &status), 0);
	CU_ASSERT_EQUAL(vio(f, VHOST_SET_FEATURES, &v), 0);
	status |= S_FOK;
	CU_ASSERT_EQUAL(vio(f, VHOST_VDPA_SET_STATUS, &status), 0);
	CU_ASSERT_EQUAL(vio(f, VHOST_VDPA_GET_STATUS, &status), 0);
	CU_ASSERT_EQUAL_FATAL(status, S_ACK | S_DRV | S_FOK); /* the device accepted them */
	CU_ASSERT_EQUAL(iotlb_update(f, GUEST_PA, GUEST_LEN, GUEST_PA),
			(ssize_t)sizeof(struct vhost_msg_v2));
	gq_setup(&w, f, &rx, 0, GUEST_PA, features);
	gq_setup(&w, f, &tx, 1, GUEST_PA + 0x10000, features);
	cfd = vdpa_evfd_create(w.sim, &cfgcall);
	CU_ASSERT_EQUAL(vio(f, VHOST_VDPA_SET_CONFIG_CALL, &cfd), 0);
	status |= S_DOK;
	CU_ASSERT_EQUAL(vio(f, VHOST_VDPA_SET_STATUS, &status), 0);
	CU_ASSERT_EQUAL(vifc_irq_mode(w.vf), want_mode);
	/* Dirty logging on, into a bitmap in guest memory (bit = IOVA page). */
	CU_ASSERT_EQUAL(vifc_lm_log_start(w.vf, logbuf, logbuf + loglen), 0);

	/* Receive buffers: 8 of 2 KiB. */
	for (unsigned int i = 0; i < 8; i++) {
		struct vq_seg sg = { rxbuf + i * 2048u, 2048, VQ_SEG_F_WRITE };

		CU_ASSERT_EQUAL(vq_drv_add(rx.drv, &sg, 0, 1, (void *)(uintptr_t)(i + 1)), 0);
	}
	gq_kick(&rx);
	/* One frame to our own MAC: virtio_net_hdr (12 bytes, all zero) + frame. */
	vdpa_get_config(w.vdev, 0, mac, 6);
	{
		struct net_test_hdr th = { .flow = 1, .len = (uint16_t)flen, .seq = 0, .tstamp = 0 };

		CU_ASSERT_EQUAL_FATAL(net_frame_build(frame, sizeof(frame), flen, mac, src, &th), 0);
	}
	{
		uint8_t hdr[12] = { 0 };
		struct vq_seg sg[2] = { { txbuf, 12, 0 }, { txbuf + 64, (uint32_t)flen, 0 } };

		CU_ASSERT_EQUAL(mem_write(w.mem, txbuf, hdr, sizeof(hdr)), 0);
		CU_ASSERT_EQUAL(mem_write(w.mem, txbuf + 64, frame, flen), 0);
		CU_ASSERT_EQUAL(vq_drv_add(tx.drv, sg, 2, 0, (void *)(uintptr_t)0x77), 0);
	}
	gq_kick(&tx);
	eng_run_until(w.sim, eng_now(w.sim) + ENG_US(200));

	CU_ASSERT_EQUAL(vq_drv_get_used(tx.drv, &token, &len), 1);
	CU_ASSERT_PTR_EQUAL(token, (void *)(uintptr_t)0x77);
	CU_ASSERT(vdpa_evfd_count(tx.call) >= 1);
	CU_ASSERT_EQUAL(vq_drv_get_used(rx.drv, &token, &len), 1);
	CU_ASSERT_PTR_EQUAL(token, (void *)(uintptr_t)1);
	CU_ASSERT_EQUAL(len, 12 + flen);
	CU_ASSERT_EQUAL(mem_read(w.mem, rxbuf + 12, back, flen), 0);
	CU_ASSERT_EQUAL(memcmp(back, frame, flen), 0);
	CU_ASSERT(vdpa_evfd_count(rx.call) >= 1);
	CU_ASSERT_EQUAL(vdpa_evfd_count(cfgcall), 0);
	{
		struct net_loopback_stats ls;

		net_loopback_stats(w.lb, &ls);
		CU_ASSERT_EQUAL(ls.frames, 1);
	}
	CU_ASSERT_EQUAL(devh_violations(w.dh), 0);
	CU_ASSERT_EQUAL(devh_errors(w.dh), 0);
	/* The page the frame was received into is marked in the dirty bitmap. */
	{
		uint64_t page = rxbuf / 4096, word = 0;

		CU_ASSERT_EQUAL(mem_read_le64(w.mem, logbuf + (page / 64) * 8, &word), 0);
		CU_ASSERT(word & (1ULL << (page % 64)));
	}
	CU_ASSERT_EQUAL(vifc_lm_log_stop(w.vf), 0);
	/* The ring state the LM BAR reports after the traffic. */
	{
		uint16_t a = 0, u = 0;

		CU_ASSERT_EQUAL(vifc_lm_ring_state(w.vf, 1, &a, &u), 0);
		CU_ASSERT_EQUAL(a, 1);
		CU_ASSERT_EQUAL(u, 1);
	}
	/* A link change reaches the config eventfd whatever the vector layout. */
	CU_ASSERT_EQUAL(devh_control(w.dh, "link=down", NULL, 0), 0);
	eng_run_until(w.sim, eng_now(w.sim) + ENG_US(50));
	CU_ASSERT_EQUAL(vdpa_evfd_count(cfgcall), 1);
	CU_ASSERT_EQUAL(vhv_close(f), 0);
	gq_free(&rx);
	gq_free(&tx);
	vdpa_evfd_close(cfgcall);
	nic_fini(&w);
}

static void test_ifcvf_model_frames_loop_with_per_vq_vectors(void)
{
	loop_one_frame("queue_pairs=1", VIFC_IRQ_PER_VQ);
}

static void test_ifcvf_model_frames_loop_with_shared_vq_vector(void)
{
	loop_one_frame("queue_pairs=1,msix_vectors=2", VIFC_IRQ_SHARED_VQ);
}

static void test_ifcvf_model_frames_loop_with_one_vector(void)
{
	loop_one_frame("queue_pairs=1,msix_vectors=1", VIFC_IRQ_DEV_SHARED);
}

static int count_cb(void *priv)
{
	(*(unsigned int *)priv)++;
	return VDPA_IRQ_HANDLED;
}

/* Two functions: own management devices, own irq blocks, messages kept apart. */
static void test_two_functions_keep_their_interrupts_apart(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct mem *mem = mem_new(1ULL << 32);
	struct iommu *io = iommu_new(sim, NULL);
	struct pcie_rc *rc = pcie_rc_new(sim, mem, io, NULL);
	struct devh *dh[2] = { NULL, NULL };
	struct pcie_host_fn hf[2];
	struct vifc *vf[2] = { NULL, NULL };
	struct vifc_hw_info hi[2];
	unsigned int n = 0, hits[2] = { 0, 0 };
	struct vifc_opts o;

	CU_ASSERT_FATAL(sim && mem && io && rc);
	CU_ASSERT_EQUAL_FATAL(devh_create(sim, rc, 4, ifcvf_plugin(), "queue_pairs=1", "a", &dh[0]),
			      0);
	CU_ASSERT_EQUAL_FATAL(devh_create(sim, rc, 5, ifcvf_plugin(), "queue_pairs=2", "b", &dh[1]),
			      0);
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(rc, 0xE0000000ULL, 0x1000000, hf, 2, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	vifc_opts_default(&o);
	o.iommu = io;
	for (unsigned int i = 0; i < 2; i++) {
		struct vdpa_dev_set_config none;
		char name[8];
		struct vdpa_device *vd;
		struct vdpa_callback cb = { count_cb, &hits[i], NULL };

		CU_ASSERT_EQUAL_FATAL(vifc_probe(sim, rc, &hf[i], &o, &vf[i]), 0);
		vifc_hw_info(vf[i], &hi[i]);
		memset(&none, 0, sizeof(none));
		snprintf(name, sizeof(name), "vdpa%u", i);
		CU_ASSERT_EQUAL_FATAL(vdpa_nl_dev_add(sim, name, vifc_mgmtdev_handle(vf[i]), &none,
						      NULL), 0);
		vd = vifc_vdpa(vf[i]);
		CU_ASSERT_EQUAL(vdpa_reset(vd, 0), 0);
		vdpa_set_status(vd, S_ACK | S_DRV);
		CU_ASSERT_EQUAL(vdpa_set_features(vd, NEG_FEATURES), 0);
		vdpa_set_status(vd, S_ACK | S_DRV | S_FOK);
		vd->config->set_config_cb(vd, &cb);
		vdpa_set_status(vd, S_ACK | S_DRV | S_FOK | S_DOK);
		CU_ASSERT_EQUAL(vifc_irq_mode(vf[i]), VIFC_IRQ_PER_VQ);
	}
	CU_ASSERT_STRING_EQUAL(vifc_mgmtdev_handle(vf[0]), "pci/0000:00:04.0");
	CU_ASSERT_STRING_EQUAL(vifc_mgmtdev_handle(vf[1]), "pci/0000:00:05.0");
	CU_ASSERT_EQUAL(hi[0].nr_vring, 3);
	CU_ASSERT_EQUAL(hi[1].nr_vring, 5);
	/* Disjoint irq blocks, one per MSI-X table entry. */
	CU_ASSERT_EQUAL(hi[1].irq_base, hi[0].irq_base + hi[0].msix_table_size);
	CU_ASSERT_EQUAL(devh_control(dh[1], "link=up", NULL, 0), 0);
	eng_run_until(sim, eng_now(sim) + ENG_US(50));
	CU_ASSERT_EQUAL(hits[0], 0);
	CU_ASSERT_EQUAL(hits[1], 1);
	CU_ASSERT_EQUAL(devh_control(dh[0], "link=up", NULL, 0), 0);
	eng_run_until(sim, eng_now(sim) + ENG_US(50));
	CU_ASSERT_EQUAL(hits[0], 1);
	CU_ASSERT_EQUAL(hits[1], 1);
	CU_ASSERT_EQUAL(pcie_rc_msi_unclaimed(rc), 0);
	for (unsigned int i = 0; i < 2; i++) {
		vifc_remove(vf[i]);
		devh_destroy(dh[i]);
	}
	pcie_rc_free(rc);
	iommu_free(io);
	mem_free(mem);
	eng_sim_free(sim);
}

CU_MAIN("vdpa_ifcvf", CU_TEST_ENTRY(test_probe_finds_caps_queues_and_registers_mgmtdev),
	CU_TEST_ENTRY(test_probe_rejects_foreign_ids),
	CU_TEST_ENTRY(test_probe_needs_all_four_caps_and_the_lm_bar),
	CU_TEST_ENTRY(test_probe_skips_invalid_caps_and_keeps_the_first_valid),
	CU_TEST_ENTRY(test_probe_refuses_doorbell_outside_notify_window),
	CU_TEST_ENTRY(test_device_identity_ops),
	CU_TEST_ENTRY(test_device_features_select_both_halves),
	CU_TEST_ENTRY(test_driver_features_need_access_platform),
	CU_TEST_ENTRY(test_status_sequence_and_reset_poll),
	CU_TEST_ENTRY(test_vq_setup_programs_queue_before_enable),
	CU_TEST_ENTRY(test_strict_queue_enable_never_writes_zero),
	CU_TEST_ENTRY(test_kick_writes_queue_index_at_its_doorbell),
	CU_TEST_ENTRY(test_config_read_retries_while_generation_changes),
	CU_TEST_ENTRY(test_msix_per_vq_vectors_route_to_each_callback),
	CU_TEST_ENTRY(test_msix_shared_vq_vector_with_config_vector),
	CU_TEST_ENTRY(test_msix_single_vector_reads_isr_for_config),
	CU_TEST_ENTRY(test_forced_modes_and_vector_budget),
	CU_TEST_ENTRY(test_reset_detaches_vectors_and_disables_msix),
	CU_TEST_ENTRY(test_driver_ok_without_msix_leaves_status),
	CU_TEST_ENTRY(test_vector_refused_by_device_fails_driver_ok),
	CU_TEST_ENTRY(test_split_ring_state_uses_the_low_half),
	CU_TEST_ENTRY(test_packed_ring_state_carries_wrap_counters),
	CU_TEST_ENTRY(test_dirty_log_start_programs_range_then_enables),
	CU_TEST_ENTRY(test_mgmtdev_add_validates_and_del_allows_a_new_add),
	CU_TEST_ENTRY(test_dev_config_show_reads_mac_and_mtu),
	CU_TEST_ENTRY(test_iommu_glue_swaps_and_restores_the_domain),
	CU_TEST_ENTRY(test_vhost_vdpa_drives_the_function),
	CU_TEST_ENTRY(test_ifcvf_model_probes_with_its_layout),
	CU_TEST_ENTRY(test_ifcvf_model_ring_state_and_dirty_log_registers),
	CU_TEST_ENTRY(test_ifcvf_model_frames_loop_with_per_vq_vectors),
	CU_TEST_ENTRY(test_ifcvf_model_frames_loop_with_shared_vq_vector),
	CU_TEST_ENTRY(test_ifcvf_model_frames_loop_with_one_vector),
	CU_TEST_ENTRY(test_two_functions_keep_their_interrupts_apart));
