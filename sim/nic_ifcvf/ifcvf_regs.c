// SPDX-License-Identifier: MIT
/*
 * IFCVF registers: the virtio-pci common configuration, notify doorbells, ISR,
 * the virtio-net device configuration (BAR0) and the live-migration window
 * (BAR4).  Layout offsets come from <linux/virtio_pci.h>.
 */
#include "sim/nic_ifcvf/ifcvf_priv.h"

#include <inttypes.h>
#include <string.h>

/* ---- Common configuration ---------------------------------------------------------------- */

static struct ifcvf_q *selq(struct ifcvf *d)
{
	return d->qsel < d->num_queues ? &d->q[d->qsel] : NULL;
}

static uint64_t common_read(struct ifcvf *d, uint32_t off, uint8_t size)
{
	struct ifcvf_q *q = selq(d);

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		return d->dfselect;
	case VIRTIO_PCI_COMMON_DF:
		/* virtio 1.3 4.1.4.3.1: windows beyond the defined bits read 0 */
		return d->dfselect < 2 ? (uint32_t)(d->o.features >> (32 * d->dfselect)) : 0;
	case VIRTIO_PCI_COMMON_GFSELECT:
		return d->gfselect;
	case VIRTIO_PCI_COMMON_GF:
		return d->gfselect < 2 ? (uint32_t)(d->driver_features >> (32 * d->gfselect)) : 0;
	case VIRTIO_PCI_COMMON_MSIX:
		return d->msix_config;
	case VIRTIO_PCI_COMMON_NUMQ:
		return d->num_queues;
	case VIRTIO_PCI_COMMON_STATUS:
		if (size == 2) /* device_status and config_generation together */
			return d->status | (uint32_t)d->cfg_gen << 8;
		return d->status;
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return d->cfg_gen;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		return d->qsel;
	}
	/* virtio 1.3 4.1.4.3.1: a queue that does not exist reads size 0 */
	if (!q)
		return 0;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		return q->size;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return q->msix;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return q->enable;
	case VIRTIO_PCI_COMMON_Q_NOFF:
	case VIRTIO_PCI_COMMON_Q_NDATA:
		return q->qid;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
		return size == 8 ? q->desc : (uint32_t)q->desc;
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		return (uint32_t)(q->desc >> 32);
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
		return size == 8 ? q->driver : (uint32_t)q->driver;
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		return (uint32_t)(q->driver >> 32);
	case VIRTIO_PCI_COMMON_Q_USEDLO:
		return size == 8 ? q->device : (uint32_t)q->device;
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return (uint32_t)(q->device >> 32);
	case VIRTIO_PCI_COMMON_Q_RESET:
		return ifcvf_has(d, VIRTIO_F_RING_RESET) ? q->reset_pending : 0;
	}
	return 0;
}

/* virtio 1.3 4.1.5.1.2.1: a vector the device cannot map reads back NO_VECTOR */
static uint16_t vector_ok(const struct ifcvf *d, uint64_t v)
{
	return v < d->o.nvec ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
}

static void set_addr(struct ifcvf *d, struct ifcvf_q *q, uint64_t *field, uint64_t v,
		     unsigned size, bool high)
{
	if (q->enable) {
		ifcvf_logf(d, VDPASIM_LOG_WARN, "q%u: ring address written while enabled", q->qid);
		return;
	}
	if (size == 8)
		*field = v;
	else if (high)
		*field = (*field & 0xffffffffULL) | (uint64_t)(uint32_t)v << 32;
	else
		*field = (*field & ~0xffffffffULL) | (uint32_t)v;
}

static void queue_reset_write(struct ifcvf *d, struct ifcvf_q *q, uint64_t v)
{
	if (!ifcvf_has(d, VIRTIO_F_RING_RESET) || v != 1)
		return;
	/* virtio 1.3 4.1.4.3.2: reset the queue; queue_reset reads 1 while that is in
	 * progress (1 us, the time to drain the queue's engines), then 0 with
	 * queue_enable 0, and the driver may set the queue up again */
	ifcvf_queue_stop(d, q);
	ifcvf_queue_regs_default(d, q);
	ifcvf_queue_reset_start(d, q, 1000 * IFCVF_PS_PER_NS);
}

static void queue_enable_write(struct ifcvf *d, struct ifcvf_q *q, uint64_t v)
{
	if (v == 1) {
		if (q->enable)
			return;
		q->enable = true;
		q->reset_pending = false;
		/* enabled after DRIVER_OK (a re-enable after a queue reset): runs now */
		if (d->status & VIRTIO_CONFIG_S_DRIVER_OK)
			ifcvf_queue_start(d, q);
		return;
	}
	if (v == 0 && q->enable) {
		/* the spec forbids it; the hardware takes it as "stop this queue" */
		ifcvf_logf(d, VDPASIM_LOG_WARN, "q%u: queue_enable=0 written", q->qid);
		ifcvf_queue_stop(d, q);
		q->enable = false;
	}
}

static void common_write(struct ifcvf *d, uint32_t off, uint8_t size, uint64_t v)
{
	struct ifcvf_q *q = selq(d);

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		d->dfselect = (uint32_t)v;
		return;
	case VIRTIO_PCI_COMMON_GFSELECT:
		d->gfselect = (uint32_t)v;
		return;
	case VIRTIO_PCI_COMMON_GF:
		if (d->status & VIRTIO_CONFIG_S_FEATURES_OK) {
			ifcvf_logf(d, VDPASIM_LOG_WARN, "features written after FEATURES_OK");
			return;
		}
		if (d->gfselect < 2) {
			unsigned sh = 32 * d->gfselect;

			d->driver_features = (d->driver_features & ~(0xffffffffULL << sh)) |
					     (uint64_t)(uint32_t)v << sh;
		}
		return;
	case VIRTIO_PCI_COMMON_MSIX:
		d->msix_config = vector_ok(d, v);
		return;
	case VIRTIO_PCI_COMMON_STATUS:
		ifcvf_status_write(d, (uint8_t)v);
		return;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		d->qsel = (uint16_t)v;
		return;
	}
	if (!q) {
		ifcvf_logf(d, VDPASIM_LOG_WARN, "write 0x%x to queue %u that does not exist", off,
			   d->qsel);
		return;
	}
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (q->enable)
			ifcvf_logf(d, VDPASIM_LOG_WARN, "q%u: size written while enabled", q->qid);
		else
			q->size = (uint16_t)v; /* checked when the queue starts */
		return;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		q->msix = vector_ok(d, v);
		return;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		queue_enable_write(d, q, v);
		return;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		set_addr(d, q, &q->desc, v, size, off == VIRTIO_PCI_COMMON_Q_DESCHI);
		return;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		set_addr(d, q, &q->driver, v, size, off == VIRTIO_PCI_COMMON_Q_AVAILHI);
		return;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		set_addr(d, q, &q->device, v, size, off == VIRTIO_PCI_COMMON_Q_USEDHI);
		return;
	case VIRTIO_PCI_COMMON_Q_RESET:
		queue_reset_write(d, q, v);
		return;
	}
	ifcvf_logf(d, VDPASIM_LOG_WARN, "write to read-only common cfg offset 0x%x", off);
}

/* ---- Device configuration ---------------------------------------------------------------- */

static void devcfg_image(const struct ifcvf *d, uint8_t img[IFCVF_DEVCFG_LEN])
{
	memset(img, 0, IFCVF_DEVCFG_LEN);
	memcpy(img + offsetof(struct virtio_net_config, mac), d->mac, 6);
	vq_put_le16(img + offsetof(struct virtio_net_config, status), d->net_status);
	vq_put_le16(img + offsetof(struct virtio_net_config, max_virtqueue_pairs), d->o.pairs);
	vq_put_le16(img + offsetof(struct virtio_net_config, mtu), d->o.mtu);
	vq_put_le32(img + offsetof(struct virtio_net_config, speed), 100000); /* Mb/s */
	img[offsetof(struct virtio_net_config, duplex)] = 1;		       /* full */
}

static uint64_t devcfg_read(const struct ifcvf *d, uint32_t off, uint8_t size)
{
	uint8_t img[IFCVF_DEVCFG_LEN];
	uint64_t v = 0;

	devcfg_image(d, img);
	for (unsigned i = 0; i < size; i++)
		if (off + i < IFCVF_DEVCFG_LEN)
			v |= (uint64_t)img[off + i] << (8 * i);
	return v;
}

/* ---- Live-migration window --------------------------------------------------------------- */

/* Queue whose ring-state word holds off, and the byte within it; -1 if none. */
static int lm_ring_word(const struct ifcvf *d, uint64_t off, unsigned *byte)
{
	uint64_t rel, pair, w;

	if (off < IFCVF_LM_RING_STATE_OFFSET)
		return -1;
	rel = off - IFCVF_LM_RING_STATE_OFFSET;
	pair = rel / IFCVF_LM_CFG_SIZE;
	w = rel % IFCVF_LM_CFG_SIZE;
	if (w >= 8 || 2 * pair + w / 4 >= d->num_queues)
		return -1;
	*byte = (unsigned)(w % 4);
	return (int)(2 * pair + w / 4);
}

static uint64_t lm_read(struct ifcvf *d, uint64_t off, uint8_t size)
{
	unsigned byte;
	int qid;

	switch (off) {
	case IFCVF_LM_LOGGING_CTRL:
		return d->lm_ctrl;
	case IFCVF_LM_BASE_ADDR_LOW:
		return size == 8 ? d->log_base : (uint32_t)d->log_base;
	case IFCVF_LM_BASE_ADDR_HIGH:
		return (uint32_t)(d->log_base >> 32);
	case IFCVF_LM_END_ADDR_LOW:
		return size == 8 ? d->log_end : (uint32_t)d->log_end;
	case IFCVF_LM_END_ADDR_HIGH:
		return (uint32_t)(d->log_end >> 32);
	}
	qid = lm_ring_word(d, off, &byte);
	if (qid < 0 || byte + size > 4)
		return 0;
	return (ifcvf_ring_state(d, &d->q[qid]) >> (8 * byte)) &
	       (size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1);
}

static void lm_ring_write(struct ifcvf *d, struct ifcvf_q *q, unsigned byte, uint8_t size,
			  uint64_t v)
{
	if (q->running) {
		ifcvf_logf(d, VDPASIM_LOG_WARN, "q%u: ring state written while running", q->qid);
		return;
	}
	if (size == 4 && byte == 0) {
		q->lm_word = (uint32_t)v;
	} else if (size == 2 && byte == 0) {
		/* a split-only driver writes last_avail_idx alone: used follows it */
		q->lm_word = (uint32_t)(uint16_t)v | (uint32_t)(uint16_t)v << 16;
	} else if (size == 2 && byte == 2) {
		q->lm_word = (q->lm_word & 0xffff) | (uint32_t)(uint16_t)v << 16;
	} else {
		ifcvf_logf(d, VDPASIM_LOG_WARN, "q%u: ring state access of %u bytes at +%u ignored",
			   q->qid, size, byte);
		return;
	}
	q->lm_set = true;
}

static void lm_write(struct ifcvf *d, uint64_t off, uint8_t size, uint64_t v)
{
	unsigned byte;
	int qid;

	switch (off) {
	case IFCVF_LM_LOGGING_CTRL:
		if ((v & 1) && !(d->lm_ctrl & 1))
			ifcvf_log_reset(d); /* a fresh log: forget the words we wrote */
		d->lm_ctrl = (uint32_t)v & 1;
		d->h->trace(d->host, "lm_logging", d->lm_ctrl ? "on=1" : "on=0");
		return;
	case IFCVF_LM_BASE_ADDR_LOW:
	case IFCVF_LM_BASE_ADDR_HIGH:
	case IFCVF_LM_END_ADDR_LOW:
	case IFCVF_LM_END_ADDR_HIGH: {
		uint64_t *f = off < IFCVF_LM_END_ADDR_LOW ? &d->log_base : &d->log_end;

		if (size == 8)
			*f = v;
		else if (off % 8)
			*f = (*f & 0xffffffffULL) | (uint64_t)(uint32_t)v << 32;
		else
			*f = (*f & ~0xffffffffULL) | (uint32_t)v;
		ifcvf_log_reset(d);
		return;
	}
	}
	qid = lm_ring_word(d, off, &byte);
	if (qid >= 0)
		lm_ring_write(d, &d->q[qid], byte, size, v);
}

/* ---- Dispatch ---------------------------------------------------------------------------- */

uint64_t ifcvf_mmio_read(void *dev, uint8_t bar, uint64_t off, uint8_t size)
{
	struct ifcvf *d = dev;

	if (bar == IFCVF_BAR_LM)
		return lm_read(d, off, size);
	if (bar != IFCVF_BAR_CFG)
		return 0;
	if (off < IFCVF_COMMON_OFF + IFCVF_COMMON_LEN)
		return common_read(d, (uint32_t)(off - IFCVF_COMMON_OFF), size);
	if (off >= IFCVF_ISR_OFF && off < IFCVF_ISR_OFF + IFCVF_ISR_LEN) {
		uint8_t isr = d->isr;

		/* virtio 1.3 4.1.4.5.1: reading ISR clears it */
		if (off == IFCVF_ISR_OFF)
			d->isr = 0;
		return off == IFCVF_ISR_OFF ? isr : 0;
	}
	if (off >= IFCVF_DEVCFG_OFF && off < IFCVF_DEVCFG_OFF + IFCVF_DEVCFG_LEN)
		return devcfg_read(d, (uint32_t)(off - IFCVF_DEVCFG_OFF), size);
	return 0;
}

void ifcvf_mmio_write(void *dev, uint8_t bar, uint64_t off, uint8_t size, uint64_t v)
{
	struct ifcvf *d = dev;

	if (bar == IFCVF_BAR_LM) {
		lm_write(d, off, size, v);
		return;
	}
	if (bar != IFCVF_BAR_CFG)
		return;
	if (off < IFCVF_COMMON_OFF + IFCVF_COMMON_LEN) {
		common_write(d, (uint32_t)(off - IFCVF_COMMON_OFF), size, v);
		return;
	}
	if (off >= IFCVF_NOTIFY_OFF && off < IFCVF_NOTIFY_OFF + IFCVF_NOTIFY_LEN) {
		uint64_t qid = (off - IFCVF_NOTIFY_OFF) / IFCVF_NOTIFY_MULT;

		ifcvf_stat(d, IFCVF_S_DOORBELLS, 1);
		if (qid < d->num_queues)
			ifcvf_queue_kick(d, &d->q[qid], d->h->now(d->host) + d->o.doorbell_ps);
		return;
	}
	if (off >= IFCVF_DEVCFG_OFF && off < IFCVF_DEVCFG_OFF + IFCVF_DEVCFG_LEN) {
		/* virtio 1.3 5.1.4: modern drivers do not write the net config */
		ifcvf_logf(d, VDPASIM_LOG_WARN, "device config write at 0x%" PRIx64 " ignored",
			   off - IFCVF_DEVCFG_OFF);
		return;
	}
}
