// SPDX-License-Identifier: MIT
/*
 * A minimal vdpasim device plugin: a modern virtio-net PCI function
 * (1af4:1041) that exposes the virtio structure capabilities, negotiates
 * features through its common configuration, resets, and has no virtqueues
 * yet.  It is honest about that: it offers VIRTIO_F_VERSION_1 and
 * VIRTIO_NET_F_MAC only and reports num_queues 0.
 *
 * Start a device model from here: keep the descriptor at the bottom, fill in
 * queues, DMA through host->dma_read/dma_write, interrupts through
 * host->msix_send.  docs/plugin-abi.md describes every field and service.
 *
 * BAR0 (16 KiB):  0x0000 common configuration   0x1000 ISR status
 *                 0x2000 device configuration    0x3000 notifications
 * BAR1 (4 KiB):   MSI-X table at 0, PBA at 0x800 (the host implements both)
 */
#include "vdpasim/device_plugin.h"
#include "vdpasim/uapi.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

enum {
	COMMON = 0x0000,
	ISR = 0x1000,
	DEVCFG = 0x2000,
	NOTIFY = 0x3000,
	FEATURES_LO = 1u << VIRTIO_NET_F_MAC,
	FEATURES_HI = 1u << (VIRTIO_F_VERSION_1 - 32),
};

struct mini {
	const struct vdpasim_host_ops *host_ops;
	void *host;
	uint32_t dfsel, gfsel;
	uint32_t guest_features[2];
	uint16_t msix_config, queue_select;
	uint8_t status, isr;
};

/* A virtio_pci_cap (virtio 1.3 4.1.4); bytes 0..1 (id, next) are the host's. */
static void add_cap(struct vdpasim_pci_layout *l, uint8_t len, uint8_t type, uint32_t offset,
		    uint32_t length, uint32_t extra)
{
	struct vdpasim_vendor_cap *c = &l->vendor_caps[l->nr_vendor_caps++];

	c->len = len;
	c->bytes[2] = len;  /* cap_len */
	c->bytes[3] = type; /* cfg_type */
	c->bytes[4] = 0;    /* bar */
	for (int i = 0; i < 4; i++) {
		c->bytes[8 + i] = (uint8_t)(offset >> (8 * i));
		c->bytes[12 + i] = (uint8_t)(length >> (8 * i));
		if (len >= 20)
			c->bytes[16 + i] = (uint8_t)(extra >> (8 * i));
	}
}

static void mini_reset(void *dev)
{
	struct mini *m = dev;

	m->dfsel = m->gfsel = 0;
	m->guest_features[0] = m->guest_features[1] = 0;
	m->msix_config = VIRTIO_MSI_NO_VECTOR;
	m->queue_select = 0;
	m->status = 0;
	m->isr = 0;
}

static int mini_create(const struct vdpasim_host_ops *ops, void *host, const char *options,
		       struct vdpasim_pci_layout *l, void **dev)
{
	struct mini *m;

	if (options && *options) {
		if (ops->log)
			ops->log(host, VDPASIM_LOG_ERROR, "minimal_plugin: takes no options");
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->host_ops = ops;
	m->host = host;
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
	l->msix_vectors = 2;
	l->msix_table_bar = 1;
	l->msix_table_offset = 0;
	l->msix_pba_bar = 1;
	l->msix_pba_offset = 0x800;
	add_cap(l, 16, VIRTIO_PCI_CAP_COMMON_CFG, COMMON, sizeof(struct virtio_pci_common_cfg), 0);
	add_cap(l, 20, VIRTIO_PCI_CAP_NOTIFY_CFG, NOTIFY, 4, 4 /* notify_off_multiplier */);
	add_cap(l, 16, VIRTIO_PCI_CAP_ISR_CFG, ISR, 4, 0);
	add_cap(l, 16, VIRTIO_PCI_CAP_DEVICE_CFG, DEVCFG, sizeof(struct virtio_net_config), 0);
	add_cap(l, 20, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0);
	l->nr_net_ports = 1;
	mini_reset(m);
	*dev = m;
	return 0;
}

static void mini_destroy(void *dev)
{
	free(dev);
}

/* Register reads by offset into a little-endian image, so any size works. */
static uint64_t image_read(const uint8_t *img, size_t len, uint64_t off, uint8_t size)
{
	uint64_t v = 0;

	if (off >= len || size > len - off)
		return 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)img[off + i] << (8 * i);
	return v;
}

static void put16(uint8_t *b, size_t off, uint16_t v)
{
	b[off] = (uint8_t)v;
	b[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, size_t off, uint32_t v)
{
	put16(b, off, (uint16_t)v);
	put16(b, off + 2, (uint16_t)(v >> 16));
}

static uint64_t mini_mmio_read(void *dev, uint8_t bar, uint64_t off, uint8_t size)
{
	struct mini *m = dev;
	uint8_t img[64] = { 0 };
	uint64_t v;

	if (bar != 0)
		return 0;
	if (off < NOTIFY && off >= DEVCFG) {
		/* virtio_net_config: a locally administered MAC, link up */
		static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x42 };

		memcpy(img, mac, sizeof(mac));
		put16(img, offsetof(struct virtio_net_config, status), VIRTIO_NET_S_LINK_UP);
		return image_read(img, sizeof(struct virtio_net_config), off - DEVCFG, size);
	}
	if (off == ISR) {
		v = m->isr; /* virtio 1.3 4.1.4.5: read to clear */
		m->isr = 0;
		return v;
	}
	if (off >= ISR)
		return 0;
	put32(img, offsetof(struct virtio_pci_common_cfg, device_feature_select), m->dfsel);
	put32(img, offsetof(struct virtio_pci_common_cfg, device_feature),
	      m->dfsel == 0 ? FEATURES_LO : m->dfsel == 1 ? FEATURES_HI : 0);
	put32(img, offsetof(struct virtio_pci_common_cfg, guest_feature_select), m->gfsel);
	put32(img, offsetof(struct virtio_pci_common_cfg, guest_feature),
	      m->gfsel < 2 ? m->guest_features[m->gfsel] : 0);
	put16(img, offsetof(struct virtio_pci_common_cfg, msix_config), m->msix_config);
	put16(img, offsetof(struct virtio_pci_common_cfg, num_queues), 0);
	img[offsetof(struct virtio_pci_common_cfg, device_status)] = m->status;
	put16(img, offsetof(struct virtio_pci_common_cfg, queue_select), m->queue_select);
	/* no queues: queue_size reads 0 for every index */
	put16(img, offsetof(struct virtio_pci_common_cfg, queue_msix_vector), VIRTIO_MSI_NO_VECTOR);
	return image_read(img, sizeof(struct virtio_pci_common_cfg), off - COMMON, size);
}

static void mini_mmio_write(void *dev, uint8_t bar, uint64_t off, uint8_t size, uint64_t v)
{
	struct mini *m = dev;
	uint32_t lo = FEATURES_LO, hi = FEATURES_HI;

	if (bar != 0 || off >= sizeof(struct virtio_pci_common_cfg))
		return;
	switch (off) {
	case offsetof(struct virtio_pci_common_cfg, device_feature_select):
		if (size == 4)
			m->dfsel = (uint32_t)v;
		break;
	case offsetof(struct virtio_pci_common_cfg, guest_feature_select):
		if (size == 4)
			m->gfsel = (uint32_t)v;
		break;
	case offsetof(struct virtio_pci_common_cfg, guest_feature):
		if (size == 4 && m->gfsel < 2 && !(m->status & VIRTIO_CONFIG_S_FEATURES_OK))
			m->guest_features[m->gfsel] = (uint32_t)v;
		break;
	case offsetof(struct virtio_pci_common_cfg, msix_config):
		if (size == 2)
			m->msix_config = v < 2 ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
		break;
	case offsetof(struct virtio_pci_common_cfg, device_status):
		if (size != 1)
			break;
		if (v == 0) {
			mini_reset(m);
			break;
		}
		/* virtio 1.3 2.2.2: refuse FEATURES_OK for bits that were not offered */
		if ((v & VIRTIO_CONFIG_S_FEATURES_OK) &&
		    ((m->guest_features[0] & ~lo) || (m->guest_features[1] & ~hi)))
			v &= ~(uint64_t)VIRTIO_CONFIG_S_FEATURES_OK;
		m->status = (uint8_t)v;
		break;
	case offsetof(struct virtio_pci_common_cfg, queue_select):
		if (size == 2)
			m->queue_select = (uint16_t)v;
		break;
	default:
		break;
	}
}

static const struct vdpasim_device_plugin mini_plugin = {
	.abi_version = VDPASIM_PLUGIN_ABI_VERSION,
	.size = sizeof(struct vdpasim_device_plugin),
	.name = "minimal",
	.vendor = "vdpasim example",
	.description = "minimal virtio-net plugin without virtqueues (examples/minimal_plugin)",
	.model_version = "0.1",
	.create = mini_create,
	.destroy = mini_destroy,
	.mmio_read = mini_mmio_read,
	.mmio_write = mini_mmio_write,
	.reset = mini_reset,
	/* net_rx, net_tx_ready and control are optional */
};

EXPORT const struct vdpasim_device_plugin *vdpasim_device_plugin_v1(void)
{
	return &mini_plugin;
}
