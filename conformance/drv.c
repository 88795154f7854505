// SPDX-License-Identifier: MIT
/*
 * The suite's virtio-pci driver (conf_drv.h): probing by config cycles,
 * common configuration, feature negotiation, MSI-X, virtqueues with the ring
 * driver engine over guest memory mapped in the IOMMU.  The virtio-net layer
 * on top is drv_net.c.
 */
#include "conformance/conf_drv.h"
#include "sim/devhost/devhost.h"
#include "sim/mem/mem.h"
#include "sim/net/net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- guest memory ------------------------------------------------------------------------------ */

static bool in_guest(uint64_t iova, uint64_t len)
{
	return iova >= CONF_IOVA_BASE && len <= CONF_IOVA_SIZE &&
	       iova - CONF_IOVA_BASE <= CONF_IOVA_SIZE - len;
}

int conf_gread(struct conf_ctx *ctx, uint64_t iova, void *dst, uint32_t len)
{
	if (!in_guest(iova, len))
		return -EFAULT;
	return mem_read(ctx->mem, iova - CONF_IOVA_BASE + CONF_PA_BASE, dst, len);
}

int conf_gwrite(struct conf_ctx *ctx, uint64_t iova, const void *src, uint32_t len)
{
	if (!in_guest(iova, len))
		return -EFAULT;
	return mem_write(ctx->mem, iova - CONF_IOVA_BASE + CONF_PA_BASE, src, len);
}

static int acc_read(void *arg, uint64_t addr, void *dst, uint32_t len)
{
	return conf_gread(arg, addr, dst, len);
}

static int acc_write(void *arg, uint64_t addr, const void *src, uint32_t len)
{
	return conf_gwrite(arg, addr, src, len);
}

uint64_t conf_alloc(struct conf_ctx *ctx, uint64_t size)
{
	uint64_t a = (ctx->iova_next + 4095) & ~4095ULL;

	if (!in_guest(a, size ? size : 1))
		return 0;
	ctx->iova_next = a + size;
	mem_zero(ctx->mem, a - CONF_IOVA_BASE + CONF_PA_BASE, size);
	return a;
}

/* ---- registers --------------------------------------------------------------------------------- */

static uint64_t bus_rd(struct conf_ctx *ctx, uint64_t addr, unsigned size)
{
	uint64_t v = ~0ULL;

	pcie_mmio_read(ctx->rc, addr, size, &v, NULL);
	return size < 8 ? v & ((1ULL << (8 * size)) - 1) : v;
}

static void bus_wr(struct conf_ctx *ctx, uint64_t addr, unsigned size, uint64_t v)
{
	pcie_mmio_write(ctx->rc, addr, size, v, NULL);
}

uint64_t conf_cc_read(struct conf_ctx *ctx, unsigned off, unsigned size)
{
	if (!ctx->cc)
		return 0;
	return bus_rd(ctx, ctx->common + off, size);
}

void conf_cc_write(struct conf_ctx *ctx, unsigned off, unsigned size, uint64_t v)
{
	if (ctx->cc)
		bus_wr(ctx, ctx->common + off, size, v);
}

uint8_t conf_status(struct conf_ctx *ctx)
{
	return (uint8_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_STATUS, 1);
}

void conf_status_set(struct conf_ctx *ctx, uint8_t s)
{
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_STATUS, 1, s);
}

uint64_t conf_devcfg(struct conf_ctx *ctx, unsigned off, unsigned size)
{
	if (!ctx->dcap || off + size > ctx->dcap->length)
		return 0;
	return bus_rd(ctx, ctx->devcfg + off, size);
}

uint8_t conf_isr_read(struct conf_ctx *ctx)
{
	return ctx->isrc ? (uint8_t)bus_rd(ctx, ctx->isr, 1) : 0;
}

uint64_t conf_q_read(struct conf_ctx *ctx, uint16_t q, unsigned off, unsigned size)
{
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	return conf_cc_read(ctx, off, size);
}

void conf_q_write(struct conf_ctx *ctx, uint16_t q, unsigned off, unsigned size, uint64_t v)
{
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	conf_cc_write(ctx, off, size, v);
}

static void forget_all(struct conf_ctx *ctx)
{
	for (uint16_t q = 0; q < CONF_MAX_VQ; q++)
		conf_vq_forget(ctx, q);
	ctx->features = 0;
	ctx->ctrl_q = CONF_NO_VECTOR;
}

int conf_reset(struct conf_ctx *ctx)
{
	int rc;

	conf_status_set(ctx, 0);
	/* virtio 1.3 4.1.4.3.2: wait for device_status to read 0 before going on */
	for (unsigned i = 0; i < 1000; i++) {
		if (conf_status(ctx) == 0) {
			forget_all(ctx);
			return 0;
		}
		rc = conf_run_for(ctx, ENG_US(1));
		if (rc)
			return rc;
	}
	return -ETIMEDOUT;
}

/* ---- probing ------------------------------------------------------------------------------------ */

static uint64_t cap_addr(struct conf_ctx *ctx, const struct conf_vcap *c)
{
	return c ? ctx->hf.bar[c->bar].addr + c->offset : 0;
}

int conf_drv_probe(struct conf_ctx *ctx, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	ctx->ctrl_q = CONF_NO_VECTOR;
	ctx->cfg_vector = CONF_NO_VECTOR;
	ctx->ncaps = conf_vcaps(ctx, ctx->caps, CONF_MAX_VCAPS);
	ctx->cc = conf_vcap_find(ctx->caps, ctx->ncaps, VIRTIO_PCI_CAP_COMMON_CFG, ctx);
	ctx->ncap = conf_vcap_find(ctx->caps, ctx->ncaps, VIRTIO_PCI_CAP_NOTIFY_CFG, ctx);
	ctx->isrc = conf_vcap_find(ctx->caps, ctx->ncaps, VIRTIO_PCI_CAP_ISR_CFG, ctx);
	ctx->dcap = conf_vcap_find(ctx->caps, ctx->ncaps, VIRTIO_PCI_CAP_DEVICE_CFG, ctx);
	/* a common configuration too short to hold the queue fields is not usable */
	if (ctx->cc && ctx->cc->length < sizeof(struct virtio_pci_common_cfg))
		ctx->cc = NULL;
	ctx->common = cap_addr(ctx, ctx->cc);
	ctx->notify_base = cap_addr(ctx, ctx->ncap);
	ctx->notify_mult = ctx->ncap ? ctx->ncap->notify_off_multiplier : 0;
	ctx->isr = cap_addr(ctx, ctx->isrc);
	ctx->devcfg = cap_addr(ctx, ctx->dcap);
	ctx->msix_cap = pcie_find_cap(&ctx->hf, PCI_CAP_ID_MSIX, 0);
	if (ctx->msix_cap > 0)
		ctx->msix_size = (uint16_t)((conf_cfg_read(ctx, (uint16_t)(ctx->msix_cap +
							    PCI_MSIX_FLAGS), 2) &
					      PCI_MSIX_FLAGS_QSIZE) + 1);
	ctx->num_queues = (uint16_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_NUMQ, 2);
	return 0;
}

void conf_drv_release(struct conf_ctx *ctx)
{
	for (uint16_t q = 0; q < CONF_MAX_VQ; q++)
		conf_vq_forget(ctx, q);
}

/* ---- features ---------------------------------------------------------------------------------- */

bool conf_can(const struct conf_ctx *ctx, unsigned bit)
{
	return bit < 64 && (ctx->offered & ctx->selected & CONF_F(bit));
}

uint64_t conf_feature_base(const struct conf_ctx *ctx)
{
	static const unsigned bits[] = { VIRTIO_F_VERSION_1, VIRTIO_F_ACCESS_PLATFORM,
					 VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS, VIRTIO_NET_F_MTU };
	uint64_t f = 0;

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (ctx->offered & CONF_F(bits[i]))
			f |= CONF_F(bits[i]);
	if (ctx->ring == CONF_RING_PACKED)
		f |= CONF_F(VIRTIO_F_RING_PACKED);
	return f;
}

int conf_negotiate(struct conf_ctx *ctx, uint64_t features)
{
	int rc = conf_reset(ctx);

	if (rc)
		return rc;
	/* virtio 1.3 3.1.1 */
	conf_status_set(ctx, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	conf_status_set(ctx, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)features);
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(features >> 32));
	conf_status_set(ctx, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				     VIRTIO_CONFIG_S_FEATURES_OK);
	ctx->features = features;
	if (!(conf_status(ctx) & VIRTIO_CONFIG_S_FEATURES_OK))
		return -EPROTO;
	return 0;
}

void conf_driver_ok(struct conf_ctx *ctx)
{
	conf_status_set(ctx, (uint8_t)(conf_status(ctx) | VIRTIO_CONFIG_S_DRIVER_OK));
}

/* ---- interrupts --------------------------------------------------------------------------------- */


static void on_msi(void *arg, uint64_t addr, uint32_t data)
{
	struct conf_ctx *ctx = arg;
	unsigned v = data - CONF_MSI_DATA;

	if (addr != CONF_MSI_ADDR || v >= CONF_MAX_VEC) {
		ctx->msi_other++;
		return;
	}
	ctx->msi[v]++;
	ctx->msi_total++;
	if (v == ctx->cfg_vector) {
		ctx->cfg_irqs++;
		ctx->cfg_irq_at = eng_now(ctx->sim);
	}
	for (unsigned q = 0; q < CONF_MAX_VQ; q++) {
		struct conf_vq *vq = &ctx->vq[q];

		if (!vq->live || vq->vector != v)
			continue;
		vq->irqs++;
		if (!vq->raw && !vq->hold)
			conf_vq_service(ctx, vq);
	}
}

void conf_drv_attach_msi(struct conf_ctx *ctx)
{
	pcie_rc_set_msi_handler(ctx->rc, on_msi, ctx);
}

void conf_msix_enable(struct conf_ctx *ctx)
{
	uint32_t tab, ctl;
	uint64_t base;

	if (ctx->msix_cap <= 0)
		return;
	tab = conf_cfg_read(ctx, (uint16_t)(ctx->msix_cap + PCI_MSIX_TABLE), 4);
	if ((tab & PCI_MSIX_TABLE_BIR) >= VDPASIM_MAX_BARS)
		return;
	base = ctx->hf.bar[tab & PCI_MSIX_TABLE_BIR].addr + (tab & PCI_MSIX_TABLE_OFFSET);
	for (unsigned v = 0; v < ctx->msix_size && v < CONF_MAX_VEC; v++) {
		uint64_t e = base + (uint64_t)v * PCI_MSIX_ENTRY_SIZE;

		bus_wr(ctx, e + PCI_MSIX_ENTRY_LOWER_ADDR, 4, (uint32_t)CONF_MSI_ADDR);
		bus_wr(ctx, e + PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0);
		bus_wr(ctx, e + PCI_MSIX_ENTRY_DATA, 4, CONF_MSI_DATA + v);
		bus_wr(ctx, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
	}
	ctl = conf_cfg_read(ctx, (uint16_t)(ctx->msix_cap + PCI_MSIX_FLAGS), 2);
	conf_cfg_write(ctx, (uint16_t)(ctx->msix_cap + PCI_MSIX_FLAGS), 2,
		       (ctl | PCI_MSIX_FLAGS_ENABLE) & ~(uint32_t)PCI_MSIX_FLAGS_MASKALL);
}

uint64_t conf_irqs_sent(struct conf_ctx *ctx)
{
	struct pcie_fn_stats st;

	pcie_fn_stats(devh_fn(ctx->dh), &st);
	return st.msix_tlps + st.msix_pended;
}

uint16_t conf_cfg_vector(struct conf_ctx *ctx, uint16_t v)
{
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_MSIX, 2, v);
	ctx->cfg_vector = (uint16_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_MSIX, 2);
	return ctx->cfg_vector;
}

/* ---- virtqueues ---------------------------------------------------------------------------------- */

void conf_vq_forget(struct conf_ctx *ctx, uint16_t qid)
{
	struct conf_vq *vq;

	if (qid >= CONF_MAX_VQ)
		return;
	vq = &ctx->vq[qid];
	if (vq->live && ctx->dh)
		devh_unobserve(ctx->dh, qid);
	vq_drv_free(vq->drv);
	free(vq->free_slot);
	free(vq->asm_buf);
	memset(vq, 0, sizeof(*vq));
}

int conf_vq_setup(struct conf_ctx *ctx, uint16_t qid, const struct conf_vq_opts *o)
{
	struct conf_vq *vq;
	struct vq_config cfg, tmp;
	struct vq_mem acc = { acc_read, acc_write, ctx };
	uint16_t max, size;
	uint64_t base, end;
	int rc;

	if (!ctx->cc || qid >= CONF_MAX_VQ)
		return -ENOENT;
	conf_vq_forget(ctx, qid);
	vq = &ctx->vq[qid];
	max = (uint16_t)conf_q_read(ctx, qid, VIRTIO_PCI_COMMON_Q_SIZE, 2);
	if (!max)
		return -ENOENT;
	size = o->size ? o->size : (max < 256 ? max : 256);
	if (size > max)
		return -EINVAL;
	cfg = (struct vq_config){ .num = size, .features = ctx->features };
	tmp = cfg;
	end = vq_config_place(&tmp, 0);
	base = o->ring_base ? o->ring_base : conf_alloc(ctx, end);
	if (!base || vq_config_check(&cfg) < 0)
		return base ? -EINVAL : -ENOMEM;
	vq_config_place(&cfg, base);
	vq->qid = qid;
	vq->size = size;
	vq->rx = o->rx;
	vq->refill = o->rx;
	vq->raw = o->raw;
	vq->features = ctx->features;
	vq->desc = cfg.desc_addr;
	vq->driver = cfg.driver_addr;
	vq->device = cfg.device_addr;
	vq->stride = o->stride ? o->stride : o->rx ? 2048 : 4096;
	vq->nslots = size;
	vq->buf = conf_alloc(ctx, (uint64_t)vq->stride * size);
	vq->free_slot = calloc(size, sizeof(*vq->free_slot));
	if (!vq->buf || !vq->free_slot)
		return -ENOMEM;
	for (uint32_t i = 0; i < size; i++)
		vq->free_slot[vq->nfree++] = size - 1u - i;
	if (!o->raw) {
		rc = vq_drv_create(&vq->drv, &cfg, &acc, NULL);
		if (rc)
			return rc;
	} else {
		conf_raw_reset(ctx, qid);
	}
	conf_q_write(ctx, qid, VIRTIO_PCI_COMMON_Q_SIZE, 2, size);
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)cfg.desc_addr);
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_Q_DESCHI, 4, (uint32_t)(cfg.desc_addr >> 32));
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)cfg.driver_addr);
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_Q_AVAILHI, 4, (uint32_t)(cfg.driver_addr >> 32));
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)cfg.device_addr);
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_Q_USEDHI, 4, (uint32_t)(cfg.device_addr >> 32));
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_Q_MSIX, 2, o->vector);
	vq->vector = (uint16_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_Q_MSIX, 2);
	vq->notify = ctx->notify_base +
		     conf_cc_read(ctx, VIRTIO_PCI_COMMON_Q_NOFF, 2) * (uint64_t)ctx->notify_mult;
	rc = devh_observe(ctx->dh, qid, &cfg, NULL);
	if (rc)
		return rc;
	devh_queue_vector(ctx->dh, qid, vq->vector);
	if (vq->drv)
		vq_drv_set_observer(vq->drv, devh_observer(ctx->dh, qid));
	vq->live = true;
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	if (conf_cc_read(ctx, VIRTIO_PCI_COMMON_Q_SIZE, 2) != size || vq->vector != o->vector)
		return -EIO;
	return 0;
}

void conf_notify(struct conf_ctx *ctx, uint16_t qid)
{
	struct conf_vq *vq = &ctx->vq[qid % CONF_MAX_VQ];
	struct vq_obs *obs = devh_observer(ctx->dh, qid);

	if (!vq->notify)
		return;
	if (obs)
		vq_obs_notify(obs, VQ_ACTOR_DRIVER);
	/* virtio 1.3 4.1.5.2: without NOTIFICATION_DATA the queue index, 16 bits */
	bus_wr(ctx, vq->notify, 2, qid);
}

int conf_kick(struct conf_ctx *ctx, uint16_t qid)
{
	struct conf_vq *vq = &ctx->vq[qid % CONF_MAX_VQ];
	int r;

	if (!vq->live || !vq->drv)
		return -ENOENT;
	r = vq_drv_kick_prepare(vq->drv);
	if (r < 0)
		return r;
	if (r == 1)
		conf_notify(ctx, qid);
	return 0;
}

