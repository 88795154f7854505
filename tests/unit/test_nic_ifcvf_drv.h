/* SPDX-License-Identifier: MIT */
/*
 * A minimal virtio-pci driver for the IFCVF tests: a platform (memory, IOMMU,
 * root complex with a Gen4 x16 slot), the device placed through sim/devhost,
 * an Ethernet loopback peer on its port, then what a driver does: find the
 * virtio capabilities, negotiate, lay out rings in IOMMU-mapped memory with the
 * ring driver engine (vq_drv), program MSI-X, kick through the notify window,
 * and service interrupts (reap used buffers, refill, check received frames
 * byte for byte against what was sent).
 *
 * Included by test_nic_ifcvf*.c only; every function is static (and marked
 * unused so that a file may skip some).
 */
#ifndef VDPASIM_TEST_NIC_IFCVF_DRV_H
#define VDPASIM_TEST_NIC_IFCVF_DRV_H

#include "sim/devhost/devhost.h"
#include "sim/engine/engine.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/mem.h"
#include "sim/net/net.h"
#include "sim/nic_ifcvf/nic_ifcvf.h"
#include "sim/pcie/pcie.h"
#include "sim/virtio_ring/virtio_ring.h"
#include "tests/unit/cu_main.h"
#include "vdpasim/uapi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TD static __attribute__((unused))

#define TD_SLOT 3
#define TD_IOVA_BASE 0x40000000ULL /* guest buffers and rings, as the device sees them */
#define TD_PA_BASE 0x200000000ULL  /* where they live in host memory */
#define TD_IOVA_SIZE (256ULL << 20)
#define TD_MSI_ADDR 0xFEE00000ULL
#define TD_MSI_DATA 0x100u /* data of vector v is TD_MSI_DATA + v */
#define TD_NVEC_MAX 64
#define TD_SEG_MAX 4

enum td_irq_mode { TD_IRQ_PER_VQ, TD_IRQ_SHARED_VQ, TD_IRQ_SINGLE, TD_IRQ_NONE };

struct tq {
	bool used_q;
	bool rx;
	struct vq_drv *vq;
	struct vq_config cfg;
	uint16_t qid, vector;
	uint64_t notify;
	uint64_t buf; /* IOVA of slot 0 */
	uint32_t stride, nslots;
	uint32_t *free_slot;
	uint32_t nfree;
	uint32_t hdr_split; /* TX: put the header in its own segment */
	uint64_t reaped;
};

struct tw {
	struct sim *sim;
	struct mem *mem;
	struct iommu *io;
	struct iommu_domain *dom;
	struct pcie_rc *rc;
	struct devh *dh;
	struct pcie_host_fn hf;
	struct net_loopback *lb;
	struct net_link *link;
	struct vq_plain_mem unused_pm;

	uint64_t common, notify, isr, devcfg, lm;
	uint32_t notify_mult;
	int msix_cap;
	uint64_t iova_next;
	struct vq_mem acc;

	uint64_t feat;
	uint8_t mac[6];
	struct tq q[IFCVF_MAX_QUEUES];
	enum td_irq_mode irq_mode;
	uint16_t cfg_vector;

	/* traffic */
	uint32_t frame_len;
	uint16_t flows;
	uint64_t to_send, sent, received, bad, reordered;
	uint64_t next_seq[IFCVF_MAX_PAIRS]; /* per flow, transmit side */
	uint64_t rx_seq[IFCVF_MAX_PAIRS];   /* per flow, next expected back */
	uint64_t rx_per_q[IFCVF_MAX_QUEUES];
	sim_time_t first_rx, last_rx;
	uint8_t *asm_buf; /* mergeable reassembly */
	uint32_t asm_len, asm_left;
	uint64_t merged;
	bool rx_no_refill;

	/* interrupts */
	uint64_t vec_count[TD_NVEC_MAX];
	uint64_t cfg_irqs, isr_cfg, isr_queue;
	/* control queue */
	uint16_t ctrl_q;
	uint8_t last_ack;
	uint32_t last_ack_len;
	uint64_t ctrl_done;
};

/* ---- Memory -------------------------------------------------------------------------------- */

TD int td_mem_read(void *ctx, uint64_t iova, void *dst, uint32_t len)
{
	struct tw *w = ctx;

	if (iova < TD_IOVA_BASE || iova + len > TD_IOVA_BASE + TD_IOVA_SIZE)
		return -EFAULT;
	return mem_read(w->mem, iova - TD_IOVA_BASE + TD_PA_BASE, dst, len);
}

TD int td_mem_write(void *ctx, uint64_t iova, const void *src, uint32_t len)
{
	struct tw *w = ctx;

	if (iova < TD_IOVA_BASE || iova + len > TD_IOVA_BASE + TD_IOVA_SIZE)
		return -EFAULT;
	return mem_write(w->mem, iova - TD_IOVA_BASE + TD_PA_BASE, src, len);
}

TD uint64_t td_alloc(struct tw *w, uint64_t size)
{
	uint64_t a = (w->iova_next + 4095) & ~4095ULL;

	w->iova_next = a + size;
	CU_ASSERT_FATAL(w->iova_next <= TD_IOVA_BASE + TD_IOVA_SIZE);
	return a;
}

/* ---- Registers ------------------------------------------------------------------------------ */

TD uint64_t td_rd(struct tw *w, uint64_t addr, unsigned size)
{
	uint64_t v = ~0ULL;

	CU_ASSERT_EQUAL(pcie_mmio_read(w->rc, addr, size, &v, NULL), 0);
	return v;
}

TD void td_wr(struct tw *w, uint64_t addr, unsigned size, uint64_t v)
{
	CU_ASSERT_EQUAL(pcie_mmio_write(w->rc, addr, size, v, NULL), 0);
}

#define CM_RD(w, field, size) td_rd((w), (w)->common + (field), (size))
#define CM_WR(w, field, size, v) td_wr((w), (w)->common + (field), (size), (v))

TD uint8_t td_status(struct tw *w)
{
	return (uint8_t)CM_RD(w, VIRTIO_PCI_COMMON_STATUS, 1);
}

TD void td_set_status(struct tw *w, uint8_t s)
{
	CM_WR(w, VIRTIO_PCI_COMMON_STATUS, 1, s);
}

TD uint64_t td_devcfg(struct tw *w, unsigned off, unsigned size)
{
	return td_rd(w, w->devcfg + off, size);
}

TD uint32_t td_cfg32(struct tw *w, int off)
{
	uint32_t v = 0;

	CU_ASSERT_EQUAL(pcie_host_cfg_read(&w->hf, (uint16_t)off, 4, &v), 0);
	return v;
}

/* ---- Interrupts ----------------------------------------------------------------------------- */

TD void td_service(struct tw *w, struct tq *q);

TD void td_on_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct tw *w = ctx;
	unsigned v = data - TD_MSI_DATA;
	bool cfg = false, queues = true;

	(void)addr;
	if (v >= TD_NVEC_MAX)
		return;
	w->vec_count[v]++;
	if (w->irq_mode == TD_IRQ_SINGLE) {
		/* one vector for all: ISR tells a config change from queue work */
		uint8_t isr = (uint8_t)td_rd(w, w->isr, 1);

		cfg = isr & VIRTIO_PCI_ISR_CONFIG;
		w->isr_cfg += cfg;
		w->isr_queue += isr & 1;
	} else if (v == w->cfg_vector) {
		cfg = true;
		queues = w->irq_mode == TD_IRQ_SINGLE;
	}
	if (cfg)
		w->cfg_irqs++;
	if (!queues)
		return;
	for (unsigned i = 0; i < IFCVF_MAX_QUEUES; i++)
		if (w->q[i].used_q && w->q[i].vector == v)
			td_service(w, &w->q[i]);
}

TD void td_msix_enable(struct tw *w, unsigned nvec)
{
	uint64_t table = w->hf.bar[IFCVF_BAR_CFG].addr + IFCVF_MSIX_TABLE_OFF;
	uint32_t ctl = 0;

	for (unsigned v = 0; v < nvec; v++) {
		uint64_t e = table + v * PCI_MSIX_ENTRY_SIZE;

		td_wr(w, e + PCI_MSIX_ENTRY_LOWER_ADDR, 8, TD_MSI_ADDR);
		td_wr(w, e + PCI_MSIX_ENTRY_DATA, 4, TD_MSI_DATA + v);
		td_wr(w, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
	}
	pcie_host_cfg_read(&w->hf, (uint16_t)(w->msix_cap + PCI_MSIX_FLAGS), 2, &ctl);
	pcie_host_cfg_write(&w->hf, (uint16_t)(w->msix_cap + PCI_MSIX_FLAGS), 2,
			    ctl | PCI_MSIX_FLAGS_ENABLE);
}

/* ---- World ---------------------------------------------------------------------------------- */

TD void td_find_caps(struct tw *w)
{
	int cap = 0;

	while ((cap = pcie_find_cap(&w->hf, PCI_CAP_ID_VNDR, (uint8_t)cap)) > 0) {
		uint32_t h = td_cfg32(w, cap), bar = td_cfg32(w, cap + 4) & 0xff;
		uint64_t at;
		uint8_t type = (uint8_t)(h >> 24);

		if (type < VIRTIO_PCI_CAP_COMMON_CFG || type > VIRTIO_PCI_CAP_DEVICE_CFG)
			continue;
		at = w->hf.bar[bar].addr + td_cfg32(w, cap + 8);
		if (type == VIRTIO_PCI_CAP_COMMON_CFG)
			w->common = at;
		else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
			w->notify = at;
			w->notify_mult = td_cfg32(w, cap + 16);
		} else if (type == VIRTIO_PCI_CAP_ISR_CFG)
			w->isr = at;
		else
			w->devcfg = at;
	}
	w->msix_cap = pcie_find_cap(&w->hf, PCI_CAP_ID_MSIX, 0);
	w->lm = w->hf.bar[IFCVF_BAR_LM].addr;
	CU_ASSERT_FATAL(w->common && w->notify && w->isr && w->devcfg && w->msix_cap > 0);
}

/* Platform, device (options), loopback peer, enumeration.  link_gen 4 x16. */
TD void td_init(struct tw *w, const char *options)
{
	struct pcie_link_cfg lc;
	struct net_link_cfg nl = { .rate_bps = NET_RATE_100G, .length_m = 2 };
	struct net_loopback_cfg lbc = { .name = "lb", .tx_queue_frames = 4096 };
	unsigned n = 0;

	memset(w, 0, sizeof(*w));
	pcie_link_cfg_default(&lc);
	lc.gen = 4;
	lc.width = 16;
	lc.read_tags = 256;
	w->sim = eng_sim_new(7, 0);
	w->mem = mem_new(1ULL << 36);
	w->io = iommu_new(w->sim, NULL);
	w->dom = iommu_domain_new(w->io, IOMMU_DOMAIN_PAGING);
	w->rc = pcie_rc_new(w->sim, w->mem, w->io, NULL);
	CU_ASSERT_FATAL(w->sim && w->mem && w->io && w->dom && w->rc);
	CU_ASSERT_EQUAL_FATAL(pcie_rc_set_link(w->rc, TD_SLOT, &lc), 0);
	CU_ASSERT_EQUAL_FATAL(devh_create(w->sim, w->rc, TD_SLOT, ifcvf_plugin(), options,
					  "ifcvf0", &w->dh), 0);
	CU_ASSERT_EQUAL_FATAL(iommu_attach(w->io, pcie_fn_bdf(devh_fn(w->dh)), 0, w->dom), 0);
	CU_ASSERT_EQUAL_FATAL(iommu_map(w->dom, TD_IOVA_BASE, TD_PA_BASE, TD_IOVA_SIZE,
					IOMMU_READ | IOMMU_WRITE), 0);
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(w->rc, 0xE0000000, 0x10000000, &w->hf, 1, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL_FATAL(net_loopback_new(w->sim, &lbc, &w->lb), 0);
	CU_ASSERT_EQUAL_FATAL(net_link_new(w->sim, &nl, devh_net_port(w->dh, 0),
					   net_loopback_port(w->lb), &w->link), 0);
	pcie_rc_set_msi_handler(w->rc, td_on_msi, w);
	w->iova_next = TD_IOVA_BASE;
	w->acc = (struct vq_mem){ td_mem_read, td_mem_write, w };
	w->asm_buf = malloc(65536);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->asm_buf);
	td_find_caps(w);
}

TD void td_free_queues(struct tw *w)
{
	for (unsigned i = 0; i < IFCVF_MAX_QUEUES; i++) {
		vq_drv_free(w->q[i].vq);
		free(w->q[i].free_slot);
		memset(&w->q[i], 0, sizeof(w->q[i]));
	}
}

TD void td_fini(struct tw *w)
{
	td_free_queues(w);
	net_link_free(w->link);
	net_loopback_free(w->lb);
	devh_destroy(w->dh);
	pcie_rc_free(w->rc);
	iommu_free(w->io);
	mem_free(w->mem);
	eng_sim_free(w->sim);
	free(w->asm_buf);
}

/* ---- Initialisation ------------------------------------------------------------------------- */

TD uint64_t td_offered(struct tw *w)
{
	uint64_t f;

	CM_WR(w, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	f = CM_RD(w, VIRTIO_PCI_COMMON_DF, 4);
	CM_WR(w, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	f |= CM_RD(w, VIRTIO_PCI_COMMON_DF, 4) << 32;
	return f;
}

/* virtio 1.3 3.1.1 up to FEATURES_OK; returns whether the device kept it. */
TD bool td_negotiate(struct tw *w, uint64_t features)
{
	td_set_status(w, 0);
	CU_ASSERT_EQUAL(td_status(w), 0);
	td_set_status(w, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	td_set_status(w, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	CM_WR(w, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	CM_WR(w, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)features);
	CM_WR(w, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	CM_WR(w, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(features >> 32));
	td_set_status(w, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			       VIRTIO_CONFIG_S_FEATURES_OK);
	w->feat = features;
	for (int i = 0; i < 6; i++)
		w->mac[i] = (uint8_t)td_devcfg(w, (unsigned)i, 1);
	return td_status(w) & VIRTIO_CONFIG_S_FEATURES_OK;
}

TD uint16_t td_vector_for(struct tw *w, uint16_t qid, unsigned nq)
{
	switch (w->irq_mode) {
	case TD_IRQ_PER_VQ:
		return qid;
	case TD_IRQ_SHARED_VQ:
	case TD_IRQ_SINGLE:
		return 0;
	default:
		(void)nq;
		return VIRTIO_MSI_NO_VECTOR;
	}
}

/* Set queue qid up: size, rings, vector, buffers (rx: posted later); enable. */
TD void td_queue_setup(struct tw *w, uint16_t qid, uint16_t size, bool rx, uint32_t stride,
		       const struct vq_state *start)
{
	struct tq *q = &w->q[qid];
	uint64_t base;

	q->used_q = true;
	q->rx = rx;
	q->qid = qid;
	q->cfg = (struct vq_config){ .num = size, .features = w->feat };
	base = td_alloc(w, 3 * 4096 + 32ULL * size);
	base = vq_config_place(&q->cfg, base);
	w->iova_next = base;
	q->stride = stride;
	q->nslots = size;
	q->buf = td_alloc(w, (uint64_t)stride * size);
	q->free_slot = calloc(size, sizeof(*q->free_slot));
	CU_ASSERT_PTR_NOT_NULL_FATAL(q->free_slot);
	for (uint32_t i = 0; i < size; i++)
		q->free_slot[q->nfree++] = size - 1 - i;
	CU_ASSERT_EQUAL_FATAL(vq_drv_create(&q->vq, &q->cfg, &w->acc, start), 0);
	CM_WR(w, VIRTIO_PCI_COMMON_Q_SELECT, 2, qid);
	CU_ASSERT(CM_RD(w, VIRTIO_PCI_COMMON_Q_SIZE, 2) >= size);
	CM_WR(w, VIRTIO_PCI_COMMON_Q_SIZE, 2, size);
	CM_WR(w, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)q->cfg.desc_addr);
	CM_WR(w, VIRTIO_PCI_COMMON_Q_DESCHI, 4, (uint32_t)(q->cfg.desc_addr >> 32));
	CM_WR(w, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)q->cfg.driver_addr);
	CM_WR(w, VIRTIO_PCI_COMMON_Q_AVAILHI, 4, (uint32_t)(q->cfg.driver_addr >> 32));
	CM_WR(w, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)q->cfg.device_addr);
	CM_WR(w, VIRTIO_PCI_COMMON_Q_USEDHI, 4, (uint32_t)(q->cfg.device_addr >> 32));
	q->vector = td_vector_for(w, qid, 0);
	CM_WR(w, VIRTIO_PCI_COMMON_Q_MSIX, 2, q->vector);
	CU_ASSERT_EQUAL(CM_RD(w, VIRTIO_PCI_COMMON_Q_MSIX, 2), q->vector);
	q->notify = w->notify + CM_RD(w, VIRTIO_PCI_COMMON_Q_NOFF, 2) * w->notify_mult;
	CM_WR(w, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

TD void td_kick(struct tw *w, struct tq *q)
{
	int r = vq_drv_kick_prepare(q->vq);

	CU_ASSERT(r >= 0);
	if (r == 1)
		td_wr(w, q->notify, 2, q->qid);
}

/* ---- Traffic -------------------------------------------------------------------------------- */

static const uint8_t td_src_mac[6] = { 0x02, 0, 0, 0, 0, 0x99 };

TD uint32_t td_frame(struct tw *w, uint8_t *buf, uint32_t len, uint16_t flow, uint64_t seq)
{
	struct net_test_hdr h = { .flow = flow, .len = (uint16_t)len, .seq = seq, .tstamp = 0 };

	CU_ASSERT_EQUAL(net_frame_build(buf, 16384, len, w->mac, td_src_mac, &h), 0);
	return len;
}

/* Queue TX frames while slots are free and frames remain; kick once. */
TD void td_tx_fill(struct tw *w, struct tq *q)
{
	uint8_t frame[16384];
	uint16_t pair = q->qid / 2;
	bool added = false;

	while (q->nfree && w->sent < w->to_send) {
		uint32_t slot = q->free_slot[q->nfree - 1];
		uint64_t at = q->buf + (uint64_t)slot * q->stride;
		uint16_t flow = w->flows > 1 ? pair : 0;
		uint32_t len = td_frame(w, frame + 12, w->frame_len, flow, w->next_seq[flow]);
		struct vq_seg sg[2];
		int r;

		memset(frame, 0, 12);
		CU_ASSERT_EQUAL_FATAL(td_mem_write(w, at, frame, 12 + len), 0);
		if (q->hdr_split) {
			sg[0] = (struct vq_seg){ at, 12, 0 };
			sg[1] = (struct vq_seg){ at + 12, len, 0 };
		} else {
			sg[0] = (struct vq_seg){ at, 12 + len, 0 };
		}
		r = vq_drv_add(q->vq, sg, q->hdr_split ? 2 : 1, 0, (void *)(uintptr_t)(slot + 1));
		if (r == -ENOSPC)
			break;
		CU_ASSERT_EQUAL_FATAL(r, 0);
		q->nfree--;
		w->next_seq[flow]++;
		w->sent++;
		added = true;
	}
	if (added)
		td_kick(w, q);
}

TD void td_rx_post(struct tw *w, struct tq *q)
{
	bool added = false;

	while (q->nfree) {
		uint32_t slot = q->free_slot[q->nfree - 1];
		struct vq_seg sg = { q->buf + (uint64_t)slot * q->stride, q->stride, VQ_SEG_F_WRITE };
		int r = vq_drv_add(q->vq, &sg, 0, 1, (void *)(uintptr_t)(slot + 1));

		if (r == -ENOSPC)
			break;
		CU_ASSERT_EQUAL_FATAL(r, 0);
		q->nfree--;
		added = true;
	}
	if (added)
		td_kick(w, q);
}

TD void td_check_frame(struct tw *w, struct tq *q, const uint8_t *f, uint32_t len)
{
	uint8_t expect[16384];
	struct net_test_hdr h;

	if (net_frame_parse_seq(f, len, &h) || h.len != len || h.flow >= IFCVF_MAX_PAIRS) {
		w->bad++;
		return;
	}
	td_frame(w, expect, len, h.flow, h.seq);
	if (memcmp(expect, f, len))
		w->bad++;
	if (w->rx_seq[h.flow] != h.seq)
		w->reordered++;
	w->rx_seq[h.flow] = h.seq + 1;
	if (!w->received)
		w->first_rx = eng_now(w->sim);
	w->last_rx = eng_now(w->sim);
	w->received++;
	w->rx_per_q[q->qid]++;
}

/* A used receive buffer: whole frame, or a piece of a merged one. */
TD void td_rx_one(struct tw *w, struct tq *q, uint32_t slot, uint32_t len)
{
	uint8_t b[16384 + 12];
	uint64_t at = q->buf + (uint64_t)slot * q->stride;

	if (len > sizeof(b) || td_mem_read(w, at, b, len)) {
		w->bad++;
		return;
	}
	if (w->asm_left) {
		memcpy(w->asm_buf + w->asm_len, b, len);
		w->asm_len += len;
		if (--w->asm_left == 0)
			td_check_frame(w, q, w->asm_buf + 12, w->asm_len - 12);
		return;
	}
	if (len < 12) {
		w->bad++;
		return;
	}
	{
		uint16_t nb = vq_le16(b + 10);

		if (nb == 1) {
			td_check_frame(w, q, b + 12, len - 12);
		} else if (nb > 1 && (w->feat & (1ULL << VIRTIO_NET_F_MRG_RXBUF))) {
			memcpy(w->asm_buf, b, len);
			w->asm_len = len;
			w->asm_left = nb - 1u;
			w->merged++;
		} else {
			w->bad++;
		}
	}
}

TD void td_reap(struct tw *w, struct tq *q)
{
	void *tok;
	uint32_t len;

	for (unsigned guard = 0; guard < 4 * q->nslots; guard++) {
		int r = vq_drv_get_used(q->vq, &tok, &len);

		CU_ASSERT(r >= 0);
		if (r <= 0)
			break;
		q->reaped++;
		if (q->rx) {
			td_rx_one(w, q, (uint32_t)(uintptr_t)tok - 1, len);
		} else if (q->qid == w->ctrl_q && q->qid % 2 == 0) {
			/* control command: the ack is the slot's last byte */
			uint64_t at = q->buf + ((uint64_t)(uintptr_t)tok - 1) * q->stride;

			td_mem_read(w, at + q->stride - 1, &w->last_ack, 1);
			w->last_ack_len = len;
			w->ctrl_done++;
		}
		q->free_slot[q->nfree++] = (uint32_t)(uintptr_t)tok - 1;
	}
}

TD void td_service(struct tw *w, struct tq *q)
{
	if (!q->vq)
		return;
	for (int i = 0; i < 64; i++) {
		vq_drv_disable_cb(q->vq);
		td_reap(w, q);
		if (q->rx && !w->rx_no_refill)
			td_rx_post(w, q);
		else if (q->qid % 2)
			td_tx_fill(w, q);
		if (vq_drv_enable_cb(q->vq))
			break;
	}
}

/*
 * Bring the device up for traffic: negotiate `features`, `pairs` queue pairs
 * (plus the control queue when negotiated), DRIVER_OK, MSI-X in mode.
 */
TD void td_up(struct tw *w, uint64_t features, unsigned pairs, uint16_t size, uint32_t rx_stride,
	      enum td_irq_mode mode)
{
	unsigned nq = 2 * pairs, maxp = (unsigned)td_devcfg(w, 8, 2);
	bool ctrl = features & (1ULL << VIRTIO_NET_F_CTRL_VQ);
	uint16_t ctrl_q = (uint16_t)((features & (1ULL << VIRTIO_NET_F_MQ)) ? 2 * maxp : 2);

	w->irq_mode = mode;
	w->ctrl_q = ctrl ? ctrl_q : 0xffff;
	CU_ASSERT_FATAL(td_negotiate(w, features));
	for (uint16_t i = 0; i < nq; i++)
		td_queue_setup(w, i, size, i % 2 == 0, i % 2 ? 2048 : rx_stride, NULL);
	if (ctrl)
		td_queue_setup(w, ctrl_q, 64, false, 256, NULL);
	w->cfg_vector = mode == TD_IRQ_PER_VQ ? (uint16_t)(ctrl_q + 1)
		      : mode == TD_IRQ_SHARED_VQ ? 1 : mode == TD_IRQ_SINGLE ? 0
		      : VIRTIO_MSI_NO_VECTOR;
	CM_WR(w, VIRTIO_PCI_COMMON_MSIX, 2, w->cfg_vector);
	CU_ASSERT_EQUAL(CM_RD(w, VIRTIO_PCI_COMMON_MSIX, 2), w->cfg_vector);
	td_msix_enable(w, (unsigned)(ctrl_q + 2));
	td_set_status(w, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			       VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	CU_ASSERT(td_status(w) & VIRTIO_CONFIG_S_DRIVER_OK);
	for (uint16_t i = 0; i < nq; i += 2)
		td_rx_post(w, &w->q[i]);
}

/* Send `count` frames of len over every TX queue of `pairs`, run until all came back. */
TD void td_run_traffic(struct tw *w, unsigned pairs, uint64_t count, uint32_t len,
		       sim_time_t limit)
{
	w->to_send = count;
	w->frame_len = len;
	for (unsigned p = 0; p < pairs; p++)
		td_tx_fill(w, &w->q[2 * p + 1]);
	while (w->received < count && eng_now(w->sim) < limit && eng_step(w->sim))
		;
	/* quiet: let write-backs and interrupts settle */
	eng_run_until(w->sim, eng_now(w->sim) + ENG_US(20));
}

/* One control command; runs the simulation until its ack is back (by interrupt
 * or, without a vector, by polling).  Returns the ack, 0xEE if none came. */
TD uint8_t td_ctrl(struct tw *w, uint8_t cls, uint8_t cmd, const void *data, uint32_t n)
{
	struct tq *q = &w->q[w->ctrl_q];
	uint8_t b[256] = { cls, cmd };
	uint64_t at, done = w->ctrl_done;
	sim_time_t limit = eng_now(w->sim) + ENG_MS(1);
	struct vq_seg sg[2];
	uint32_t slot;

	CU_ASSERT_FATAL(w->ctrl_q < IFCVF_MAX_QUEUES && q->nfree && n + 3 <= q->stride);
	slot = q->free_slot[--q->nfree];
	at = q->buf + (uint64_t)slot * q->stride;
	if (n)
		memcpy(b + 2, data, n);
	b[q->stride - 1] = 0xEE;
	CU_ASSERT_EQUAL(td_mem_write(w, at, b, q->stride), 0);
	sg[0] = (struct vq_seg){ at, 2 + n, 0 };
	sg[1] = (struct vq_seg){ at + q->stride - 1, 1, VQ_SEG_F_WRITE };
	CU_ASSERT_EQUAL(vq_drv_add(q->vq, sg, 1, 1, (void *)(uintptr_t)(slot + 1)), 0);
	td_kick(w, q);
	while (w->ctrl_done == done && eng_now(w->sim) < limit && eng_step(w->sim))
		;
	if (w->ctrl_done == done) {
		eng_run_until(w->sim, limit);
		td_reap(w, q);
	}
	return w->ctrl_done == done ? 0xEE : w->last_ack;
}

/* Base features for datapath runs. */
#define TD_F_BASE                                                                           \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) |                \
	 (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) | (1ULL << VIRTIO_NET_F_MTU))
#define TD_F(bit) (1ULL << (bit))

/* Print the observer's first events (debugging a failure). */
TD void td_dump_obs(struct tw *w)
{
	char text[160];

	for (unsigned i = 0; i < 8 && !devh_violation_text(w->dh, i, text, sizeof(text)); i++)
		printf("\n    observer: %s", text);
}

#endif
