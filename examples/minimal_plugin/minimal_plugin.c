// SPDX-License-Identifier: MIT
/*
 * A small but real vdpasim device plugin: a modern virtio-net PCI function
 * (1af4:1041) with one receive queue and one transmit queue on split rings,
 * written against the plugin ABI alone (include/vdpasim/device_plugin.h and
 * the Linux UAPI headers): it implements its rings itself, through the DMA
 * services the host gives it.  It passes `vdpasim conformance`; copy it to
 * start a model of your own.
 *
 *     make -C examples/minimal_plugin
 *     vdpasim conformance --device examples/minimal_plugin/libminimal_plugin.so
 *
 * What it offers: VERSION_1, MAC, STATUS, MTU (1500).  No packed ring, no
 * indirect descriptors, no event index, no control queue: the suite's
 * profile marks the rows about them not applicable.
 *
 * BAR0 (16 KiB):  0x0000 common configuration   0x1000 ISR status
 *                 0x2000 device configuration    0x3000 notifications (4 per queue)
 * BAR1 (4 KiB):   MSI-X table (3 vectors) at 0, PBA at 0x800 (the host implements both)
 *
 * The datapath: a doorbell (or DRIVER_OK) schedules a pass over the queue a
 * little later; transmit reads each available chain and puts the frame after
 * the 12-byte virtio-net header on the wire; a frame from the wire goes into
 * the next available receive chain with a header of zeros and num_buffers 1.
 * Used elements are written before the used index, and an interrupt follows
 * unless the driver set VRING_AVAIL_F_NO_INTERRUPT.  A malformed ring (index
 * jump, head or next out of range, a loop, an indirect descriptor, a DMA
 * fault) stops the queue, sets DEVICE_NEEDS_RESET and raises the
 * configuration interrupt (virtio 1.3 2.1.2).
 *
 * Build with -DVDPASIM_EXAMPLE_BUILTIN to compile it into a program instead
 * of exporting the plugin symbol (the simulator's "testnet" device does that).
 */
#include "vdpasim/device_plugin.h"
#include "vdpasim/uapi.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VDPASIM_EXAMPLE_BUILTIN
#define EXPORT __attribute__((visibility("default")))
#endif

enum {
	COMMON = 0x0000,
	ISR = 0x1000,
	DEVCFG = 0x2000,
	NOTIFY = 0x3000,
	NOTIFY_MULT = 4,
	NQUEUES = 2,          /* receiveq1, transmitq1 */
	QSIZE_MAX = 256,
	NVEC = 3,
	MTU = 1500,
	HDR = 12,             /* struct virtio_net_hdr_mrg_rxbuf (VERSION_1) */
	FRAME_MAX = MTU + 14 + 4, /* Ethernet header and one VLAN tag */
	PASS_NS = 200,        /* doorbell to the queue pass */
	ISR_QUEUE = 1,
	ISR_CONFIG = 2,
};

static const uint64_t OFFERED = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MAC) |
				(1ULL << VIRTIO_NET_F_STATUS) | (1ULL << VIRTIO_NET_F_MTU);

struct exq {
	uint16_t size, vector;
	bool enabled, running, broken;
	uint64_t desc, avail, used;      /* ring areas as the driver wrote them */
	uint16_t last_avail, used_idx;   /* device positions */
	uint64_t timer;                  /* pending pass, 0 none */
};

struct exdev {
	const struct vdpasim_host_ops *h;
	void *host;
	uint32_t dfsel, gfsel;
	uint64_t guest_features;
	uint16_t msix_config, qsel;
	uint8_t status, isr, generation;
	bool carrier;
	uint8_t mac[6];
	struct exq q[NQUEUES];
	uint8_t frame[HDR + FRAME_MAX];
	bool tx_blocked;                 /* the port refused a frame: wait for room */
};

/* ---- little-endian helpers (guest memory is little-endian) ---------------------------------- */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* ---- host services ---------------------------------------------------------------------------- */

static uint64_t now(struct exdev *d)
{
	return d->h->now(d->host);
}

static int rd(struct exdev *d, uint64_t iova, void *dst, uint32_t len)
{
	uint64_t t = now(d);

	return d->h->dma_read(d->host, iova, dst, len, &t);
}

static int wr(struct exdev *d, uint64_t iova, const void *src, uint32_t len)
{
	uint64_t t = now(d);

	return d->h->dma_write(d->host, iova, src, len, &t);
}

/* ---- interrupts ------------------------------------------------------------------------------- */

static void send_vector(struct exdev *d, uint16_t vector)
{
	/* virtio 1.3 4.1.5.3.1 / 4.1.5.4.1: an unmapped event raises nothing */
	if (vector != VIRTIO_MSI_NO_VECTOR)
		d->h->msix_send(d->host, vector, now(d));
}

static void config_changed(struct exdev *d)
{
	d->generation++;
	if (!(d->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	d->isr |= ISR_CONFIG; /* virtio 1.3 4.1.4.5.1: the ISR bit before the interrupt */
	send_vector(d, d->msix_config);
}

/* ---- queues ----------------------------------------------------------------------------------- */

static void queue_stop(struct exdev *d, unsigned qi)
{
	struct exq *q = &d->q[qi];

	if (q->timer)
		d->h->timer_cancel(d->host, q->timer);
	q->timer = 0;
	if (q->running && d->h->queue_disabled)
		d->h->queue_disabled(d->host, (uint16_t)qi);
	q->running = false;
}

/* virtio 1.3 2.1.2: an error only a reset cures */
static void queue_fail(struct exdev *d, unsigned qi, const char *rule, const char *detail)
{
	struct exq *q = &d->q[qi];

	if (q->broken)
		return;
	q->broken = true;
	queue_stop(d, qi);
	d->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (d->h->device_error)
		d->h->device_error(d->host, (uint16_t)qi, rule, detail);
	if (d->status & VIRTIO_CONFIG_S_DRIVER_OK) {
		d->isr |= ISR_CONFIG;
		send_vector(d, d->msix_config);
	}
}

static void queue_pass(void *dev, uint64_t qi);

static void queue_kick(struct exdev *d, unsigned qi)
{
	struct exq *q = &d->q[qi];

	if (!q->running || q->broken || q->timer)
		return; /* virtio 1.3 2.1.2: nothing happens before DRIVER_OK */
	q->timer = d->h->timer_add(d->host, now(d) + PASS_NS * 1000ULL, queue_pass, qi);
}

static void queue_start(struct exdev *d, unsigned qi)
{
	struct exq *q = &d->q[qi];

	if (!q->enabled || q->running || q->broken)
		return;
	/* virtio 1.3 2.7: a split queue size is a power of two */
	if (!q->size || q->size > QSIZE_MAX || (q->size & (q->size - 1))) {
		queue_fail(d, qi, "QUEUE_CONFIG", "queue size not a power of two up to 256");
		return;
	}
	q->running = true;
	q->last_avail = q->used_idx = 0;
	if (d->h->queue_enabled)
		d->h->queue_enabled(d->host, (uint16_t)qi, q->size, 0, q->desc, q->avail, q->used,
				    d->guest_features);
	queue_kick(d, qi); /* buffers made available before DRIVER_OK */
}

/* One descriptor chain, walked with bounds and loop checks. */
struct chain {
	uint16_t head;
	uint32_t nseg;
	uint64_t addr[QSIZE_MAX];
	uint32_t len[QSIZE_MAX];
	bool write[QSIZE_MAX];
};

/* 1: a chain taken, 0: none available, -1: the queue failed. */
static int next_chain(struct exdev *d, unsigned qi, struct chain *c)
{
	struct exq *q = &d->q[qi];
	uint8_t b[16];
	uint16_t avail_idx, i;
	char why[96];

	if (rd(d, q->avail + 2, b, 2))
		goto fault;
	avail_idx = le16(b);
	if (avail_idx == q->last_avail)
		return 0;
	/* virtio 1.3 2.7.13.3: more than size entries ahead cannot be */
	if ((uint16_t)(avail_idx - q->last_avail) > q->size) {
		snprintf(why, sizeof(why), "avail idx %u, last seen %u", avail_idx, q->last_avail);
		queue_fail(d, qi, "AVAIL_IDX_JUMP", why);
		return -1;
	}
	if (rd(d, q->avail + 4 + 2u * (q->last_avail % q->size), b, 2))
		goto fault;
	c->head = i = le16(b);
	c->nseg = 0;
	for (;;) {
		uint16_t flags;

		if (i >= q->size || c->nseg >= q->size) {
			snprintf(why, sizeof(why), "head %u: descriptor %u out of range or a loop",
				 c->head, i);
			queue_fail(d, qi, i >= q->size ? "HEAD_OUT_OF_RANGE" : "DESC_LOOP", why);
			return -1;
		}
		if (rd(d, q->desc + 16ULL * i, b, 16))
			goto fault;
		flags = le16(b + 12);
		if (flags & VRING_DESC_F_INDIRECT) {
			queue_fail(d, qi, "INDIRECT_NOT_NEGOTIATED", "indirect descriptor");
			return -1;
		}
		c->addr[c->nseg] = (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
		c->len[c->nseg] = le32(b + 8);
		c->write[c->nseg] = flags & VRING_DESC_F_WRITE;
		c->nseg++;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		i = le16(b + 14);
	}
	q->last_avail++;
	return 1;
fault:
	queue_fail(d, qi, "ACCESS_FAULT", "ring read refused");
	return -1;
}

/* Used element, then the index (virtio 1.3 2.7.8.2), then maybe an interrupt. */
static int put_used(struct exdev *d, unsigned qi, uint16_t head, uint32_t len)
{
	struct exq *q = &d->q[qi];
	uint8_t e[8], b[2];

	put32(e, head);
	put32(e + 4, len);
	if (wr(d, q->used + 4 + 8ULL * (q->used_idx % q->size), e, 8))
		return -1;
	q->used_idx++;
	put16(b, q->used_idx);
	if (wr(d, q->used + 2, b, 2))
		return -1;
	return 0;
}

static void notify_used(struct exdev *d, unsigned qi)
{
	struct exq *q = &d->q[qi];
	uint8_t b[2];

	/* virtio 1.3 2.7.7.2: without EVENT_IDX, interrupt unless NO_INTERRUPT */
	if (rd(d, q->avail, b, 2)) {
		queue_fail(d, qi, "ACCESS_FAULT", "avail flags read refused");
		return;
	}
	if (le16(b) & VRING_AVAIL_F_NO_INTERRUPT)
		return;
	d->isr |= ISR_QUEUE;
	send_vector(d, q->vector);
}

static void tx_pass(struct exdev *d)
{
	struct chain c;
	unsigned done = 0;
	int r;

	while (!d->tx_blocked && (r = next_chain(d, 1, &c)) == 1) {
		uint32_t n = 0;

		for (uint32_t s = 0; s < c.nseg; s++) {
			uint32_t take = c.len[s];

			if (c.write[s])
				continue; /* transmit buffers are read, never written */
			if (take > sizeof(d->frame) - n)
				take = (uint32_t)(sizeof(d->frame) - n);
			if (take && rd(d, c.addr[s], d->frame + n, take)) {
				queue_fail(d, 1, "ACCESS_FAULT", "transmit buffer read refused");
				return;
			}
			n += take;
		}
		/* a frame needs an Ethernet header after the virtio-net header */
		if (n >= HDR + 14) {
			r = d->h->net_send(d->host, 0, d->frame + HDR, n - HDR, now(d));
			if (r == -ENOBUFS) {
				/* keep the chain: give it back and wait for room */
				d->q[1].last_avail--;
				d->tx_blocked = true;
				break;
			}
		}
		if (put_used(d, 1, c.head, 0)) {
			queue_fail(d, 1, "ACCESS_FAULT", "used ring write refused");
			return;
		}
		done++;
	}
	if (done)
		notify_used(d, 1);
}

static void queue_pass(void *dev, uint64_t qi)
{
	struct exdev *d = dev;

	if (qi >= NQUEUES)
		return;
	d->q[qi].timer = 0;
	if (!d->q[qi].running || d->q[qi].broken)
		return;
	/* receive buffers are taken when frames arrive; transmit is drained here */
	if (qi == 1)
		tx_pass(d);
}

static void ex_net_tx_ready(void *dev, uint32_t port)
{
	struct exdev *d = dev;

	(void)port;
	d->tx_blocked = false;
	queue_kick(d, 1);
}

static void ex_net_rx(void *dev, uint32_t port, const void *frame, uint32_t len)
{
	struct exdev *d = dev;
	struct exq *q = &d->q[0];
	struct chain c;
	uint32_t room = 0, off = 0, total = HDR + len;

	(void)port;
	if (!q->running || q->broken || !d->carrier || len < 14 || len > FRAME_MAX)
		return; /* virtio 1.3 5.1.4.1: nothing beyond mtu plus the header is delivered */
	memset(d->frame, 0, HDR);
	put16(d->frame + 10, 1); /* num_buffers: one buffer per packet without MRG_RXBUF */
	memcpy(d->frame + HDR, frame, len);
	if (next_chain(d, 0, &c) != 1)
		return; /* no buffer: Ethernet does not wait */
	for (uint32_t s = 0; s < c.nseg; s++)
		room += c.write[s] ? c.len[s] : 0;
	if (room < total) {
		put_used(d, 0, c.head, 0); /* too small to hold it: dropped */
		notify_used(d, 0);
		return;
	}
	for (uint32_t s = 0; s < c.nseg && off < total; s++) {
		uint32_t n = c.len[s] < total - off ? c.len[s] : total - off;

		if (!c.write[s])
			continue;
		if (wr(d, c.addr[s], d->frame + off, n)) {
			queue_fail(d, 0, "ACCESS_FAULT", "receive buffer write refused");
			return;
		}
		off += n;
	}
	if (put_used(d, 0, c.head, total)) {
		queue_fail(d, 0, "ACCESS_FAULT", "used ring write refused");
		return;
	}
	notify_used(d, 0);
}

/* ---- reset and status --------------------------------------------------------------------------- */

static void ex_reset(void *dev)
{
	struct exdev *d = dev;

	for (unsigned i = 0; i < NQUEUES; i++) {
		queue_stop(d, i);
		memset(&d->q[i], 0, sizeof(d->q[i]));
		d->q[i].size = QSIZE_MAX;
		d->q[i].vector = VIRTIO_MSI_NO_VECTOR;
	}
	d->dfsel = d->gfsel = 0;
	d->guest_features = 0;
	d->msix_config = VIRTIO_MSI_NO_VECTOR;
	d->qsel = 0;
	d->status = 0;
	d->isr = 0;
	d->tx_blocked = false;
}

static void status_write(struct exdev *d, uint8_t v)
{
	uint8_t set;

	if (v == 0) {
		ex_reset(d); /* virtio 1.3 4.1.4.3.1: reads 0 once done (at once here) */
		return;
	}
	v = (uint8_t)((v & ~VIRTIO_CONFIG_S_NEEDS_RESET) | (d->status & VIRTIO_CONFIG_S_NEEDS_RESET));
	set = v & (uint8_t)~d->status;
	/* virtio 1.3 2.2.2: refuse FEATURES_OK for a subset we cannot honour */
	if ((set & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    ((d->guest_features & ~OFFERED) || !(d->guest_features & (1ULL << VIRTIO_F_VERSION_1))))
		v &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	if ((set & VIRTIO_CONFIG_S_DRIVER_OK) && !(v & VIRTIO_CONFIG_S_FEATURES_OK))
		v &= (uint8_t)~VIRTIO_CONFIG_S_DRIVER_OK;
	d->status = v;
	if (set & VIRTIO_CONFIG_S_FAILED)
		for (unsigned i = 0; i < NQUEUES; i++)
			queue_stop(d, i);
	else if ((set & VIRTIO_CONFIG_S_DRIVER_OK) && (v & VIRTIO_CONFIG_S_DRIVER_OK))
		for (unsigned i = 0; i < NQUEUES; i++)
			queue_start(d, i);
}

/* ---- registers ----------------------------------------------------------------------------------- */

static uint64_t image_read(const uint8_t *img, size_t len, uint64_t off, uint8_t size)
{
	uint64_t v = 0;

	if (off >= len || size > len - off)
		return 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)img[off + i] << (8 * i);
	return v;
}

static void common_image(const struct exdev *d, uint8_t *img)
{
	const struct exq *q = d->qsel < NQUEUES ? &d->q[d->qsel] : NULL;

	memset(img, 0, 64);
	put32(img + VIRTIO_PCI_COMMON_DFSELECT, d->dfsel);
	/* virtio 1.3 4.1.4.3.1: windows beyond bit 63 read 0 */
	put32(img + VIRTIO_PCI_COMMON_DF, d->dfsel < 2 ? (uint32_t)(OFFERED >> (32 * d->dfsel)) : 0);
	put32(img + VIRTIO_PCI_COMMON_GFSELECT, d->gfsel);
	put32(img + VIRTIO_PCI_COMMON_GF,
	      d->gfsel < 2 ? (uint32_t)(d->guest_features >> (32 * d->gfsel)) : 0);
	put16(img + VIRTIO_PCI_COMMON_MSIX, d->msix_config);
	put16(img + VIRTIO_PCI_COMMON_NUMQ, NQUEUES);
	img[VIRTIO_PCI_COMMON_STATUS] = d->status;
	img[VIRTIO_PCI_COMMON_CFGGENERATION] = d->generation;
	put16(img + VIRTIO_PCI_COMMON_Q_SELECT, d->qsel);
	if (!q) {
		/* a queue that does not exist: size 0, no vector */
		put16(img + VIRTIO_PCI_COMMON_Q_MSIX, VIRTIO_MSI_NO_VECTOR);
		return;
	}
	put16(img + VIRTIO_PCI_COMMON_Q_SIZE, q->size);
	put16(img + VIRTIO_PCI_COMMON_Q_MSIX, q->vector);
	put16(img + VIRTIO_PCI_COMMON_Q_ENABLE, q->enabled);
	put16(img + VIRTIO_PCI_COMMON_Q_NOFF, d->qsel);
	put32(img + VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)q->desc);
	put32(img + VIRTIO_PCI_COMMON_Q_DESCHI, (uint32_t)(q->desc >> 32));
	put32(img + VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)q->avail);
	put32(img + VIRTIO_PCI_COMMON_Q_AVAILHI, (uint32_t)(q->avail >> 32));
	put32(img + VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)q->used);
	put32(img + VIRTIO_PCI_COMMON_Q_USEDHI, (uint32_t)(q->used >> 32));
}

static void devcfg_image(const struct exdev *d, uint8_t *img)
{
	memset(img, 0, sizeof(struct virtio_net_config));
	memcpy(img + offsetof(struct virtio_net_config, mac), d->mac, 6);
	put16(img + offsetof(struct virtio_net_config, status),
	      d->carrier ? VIRTIO_NET_S_LINK_UP : 0);
	put16(img + offsetof(struct virtio_net_config, max_virtqueue_pairs), 1);
	put16(img + offsetof(struct virtio_net_config, mtu), MTU);
}

static uint64_t ex_mmio_read(void *dev, uint8_t bar, uint64_t off, uint8_t size)
{
	struct exdev *d = dev;
	uint8_t img[64];
	uint64_t v;

	if (bar != 0)
		return 0;
	if (off < COMMON + sizeof(struct virtio_pci_common_cfg)) {
		common_image(d, img);
		return image_read(img, sizeof(struct virtio_pci_common_cfg), off - COMMON, size);
	}
	if (off == ISR) {
		v = d->isr; /* virtio 1.3 4.1.4.5.1: reading clears it */
		d->isr = 0;
		return v;
	}
	if (off >= DEVCFG && off < DEVCFG + sizeof(struct virtio_net_config)) {
		devcfg_image(d, img);
		return image_read(img, sizeof(struct virtio_net_config), off - DEVCFG, size);
	}
	return 0;
}

static void set_half(uint64_t *field, uint64_t v, uint8_t size, bool high)
{
	if (size == 8)
		*field = v;
	else if (high)
		*field = (*field & 0xffffffffULL) | (uint64_t)(uint32_t)v << 32;
	else
		*field = (*field & ~0xffffffffULL) | (uint32_t)v;
}

static void queue_write(struct exdev *d, struct exq *q, uint64_t off, uint8_t size, uint64_t v)
{
	/* ring fields are the driver's only while the queue is disabled */
	if (q->enabled && off != VIRTIO_PCI_COMMON_Q_MSIX)
		return;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		q->size = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		/* virtio 1.3 4.1.5.1.2.1: a vector we cannot map reads NO_VECTOR */
		q->vector = v < NVEC ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (v == 1) {
			q->enabled = true;
			if (d->status & VIRTIO_CONFIG_S_DRIVER_OK)
				queue_start(d, (unsigned)(q - d->q));
		}
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		set_half(&q->desc, v, size, off == VIRTIO_PCI_COMMON_Q_DESCHI);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		set_half(&q->avail, v, size, off == VIRTIO_PCI_COMMON_Q_AVAILHI);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		set_half(&q->used, v, size, off == VIRTIO_PCI_COMMON_Q_USEDHI);
		break;
	default:
		break;
	}
}

static void ex_mmio_write(void *dev, uint8_t bar, uint64_t off, uint8_t size, uint64_t v)
{
	struct exdev *d = dev;

	if (bar != 0)
		return;
	if (off >= NOTIFY && off < NOTIFY + NOTIFY_MULT * NQUEUES) {
		queue_kick(d, (unsigned)((off - NOTIFY) / NOTIFY_MULT));
		return;
	}
	if (off >= COMMON + sizeof(struct virtio_pci_common_cfg))
		return;
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		d->dfsel = (uint32_t)v;
		return;
	case VIRTIO_PCI_COMMON_GFSELECT:
		d->gfsel = (uint32_t)v;
		return;
	case VIRTIO_PCI_COMMON_GF:
		if (d->gfsel < 2 && !(d->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
			unsigned sh = 32 * d->gfsel;

			d->guest_features = (d->guest_features & ~(0xffffffffULL << sh)) |
					    (uint64_t)(uint32_t)v << sh;
		}
		return;
	case VIRTIO_PCI_COMMON_MSIX:
		d->msix_config = v < NVEC ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
		return;
	case VIRTIO_PCI_COMMON_STATUS:
		status_write(d, (uint8_t)v);
		return;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		d->qsel = (uint16_t)v;
		return;
	default:
		if (d->qsel < NQUEUES)
			queue_write(d, &d->q[d->qsel], off, size, v);
		return;
	}
}

/* ---- control(): the host tells the carrier of the port ------------------------------------------ */

static int ex_control(void *dev, const char *cmd, char *reply, uint32_t len)
{
	struct exdev *d = dev;
	bool up;

	if (reply && len)
		reply[0] = 0;
	if (!strcmp(cmd, "carrier0=up"))
		up = true;
	else if (!strcmp(cmd, "carrier0=down"))
		up = false;
	else
		return -EOPNOTSUPP;
	if (up != d->carrier) {
		d->carrier = up;
		config_changed(d); /* virtio 1.3 4.1.4.3.1: a new generation, and tell the driver */
	}
	return 0;
}

/* ---- creation --------------------------------------------------------------------------------- */

/* A virtio_pci_cap (virtio 1.3 4.1.4); bytes 0..1 (id, next) are the host's. */
static void add_cap(struct vdpasim_pci_layout *l, uint8_t len, uint8_t type, uint32_t offset,
		    uint32_t length, uint32_t extra)
{
	struct vdpasim_vendor_cap *c = &l->vendor_caps[l->nr_vendor_caps++];

	memset(c, 0, sizeof(*c));
	c->len = len;
	c->bytes[2] = len;  /* cap_len */
	c->bytes[3] = type; /* cfg_type */
	c->bytes[4] = 0;    /* bar */
	put32(c->bytes + 8, offset);
	put32(c->bytes + 12, length);
	if (len >= 20)
		put32(c->bytes + 16, extra);
}

static int ex_create(const struct vdpasim_host_ops *ops, void *host, const char *options,
		     struct vdpasim_pci_layout *l, void **dev)
{
	struct exdev *d;
	uint64_t r;

	if (!ops || ops->size < sizeof(*ops))
		return -EINVAL; /* a host older than the services we call */
	if (options && *options) {
		if (ops->log)
			ops->log(host, VDPASIM_LOG_ERROR, "minimal_plugin: takes no options");
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->h = ops;
	d->host = host;
	/* a locally administered unicast MAC from the instance's random stream */
	r = ops->rng_next(host);
	for (int i = 0; i < 6; i++)
		d->mac[i] = (uint8_t)(r >> (8 * i));
	d->mac[0] = (uint8_t)((d->mac[0] & 0xfe) | 0x02);
	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	l->vendor_id = 0x1af4;              /* virtio 1.3 4.1.2 */
	l->device_id = 0x1040 + VIRTIO_ID_NET;
	l->subsys_vendor_id = 0x1af4;
	l->subsys_id = 0x0040;
	l->class_code = 0x020000;           /* Ethernet controller */
	l->revision = 1;
	l->link_gen = 3;
	l->link_width = 4;
	l->max_payload = 256;
	l->bars[0].size = 0x4000;
	l->bars[1].size = 0x1000;
	l->msix_vectors = NVEC;
	l->msix_table_bar = 1;
	l->msix_table_offset = 0;
	l->msix_pba_bar = 1;
	l->msix_pba_offset = 0x800;
	add_cap(l, 16, VIRTIO_PCI_CAP_COMMON_CFG, COMMON, sizeof(struct virtio_pci_common_cfg), 0);
	add_cap(l, 20, VIRTIO_PCI_CAP_NOTIFY_CFG, NOTIFY, NOTIFY_MULT * NQUEUES, NOTIFY_MULT);
	add_cap(l, 16, VIRTIO_PCI_CAP_ISR_CFG, ISR, 4, 0);
	add_cap(l, 16, VIRTIO_PCI_CAP_DEVICE_CFG, DEVCFG, sizeof(struct virtio_net_config), 0);
	add_cap(l, 20, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0);
	l->nr_net_ports = 1;
	d->carrier = true;
	ex_reset(d);
	*dev = d;
	return 0;
}

static void ex_destroy(void *dev)
{
	struct exdev *d = dev;

	for (unsigned i = 0; i < NQUEUES; i++)
		queue_stop(d, i);
	free(d);
}

static const struct vdpasim_device_plugin mini_plugin = {
	.abi_version = VDPASIM_PLUGIN_ABI_VERSION,
	.size = sizeof(struct vdpasim_device_plugin),
	.name = "minimal",
	.vendor = "vdpasim example",
	.description = "small virtio-net device: split rings, loopback datapath "
		       "(examples/minimal_plugin)",
	.model_version = "1.0",
	.create = ex_create,
	.destroy = ex_destroy,
	.mmio_read = ex_mmio_read,
	.mmio_write = ex_mmio_write,
	.reset = ex_reset,
	.net_rx = ex_net_rx,
	.net_tx_ready = ex_net_tx_ready,
	.control = ex_control,
};

#ifdef VDPASIM_EXAMPLE_BUILTIN
static const struct vdpasim_device_plugin *example_plugin(void)
{
	return &mini_plugin;
}
#else
EXPORT const struct vdpasim_device_plugin *vdpasim_device_plugin_v1(void)
{
	return &mini_plugin;
}
#endif
