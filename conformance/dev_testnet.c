// SPDX-License-Identifier: MIT
/*
 * "testnet": the built-in device the conformance suite tests itself with.  A
 * modern virtio-net PCI function (1af4:1041) with the virtio structure
 * capabilities, a common configuration that negotiates features and resets,
 * an ISR, a net config space, and no virtqueues: honest about what it is,
 * enough for the capability, identity and feature checks.
 *
 * Options (create()): vendor_id, device_id, subsys_vendor_id, subsys_id,
 * revision, features (offered, e.g. 0x100000020), msix_vectors, notify_mult,
 * max_pairs, mtu: each KEY=NUMBER (C syntax), to make a check fail on purpose.
 */
#include "conformance/conf_priv.h"
#include "vdpasim/uapi.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum {
	TN_BAR0_SIZE = 0x4000,
	TN_COMMON = 0x0000,
	TN_ISR = 0x1000,
	TN_DEVICE = 0x2000,
	TN_NOTIFY = 0x3000,
	TN_NOTIFY_LEN = 4,
	TN_MSIX_BAR = 1,
	TN_MSIX_BAR_SIZE = 0x1000,
	TN_PBA = 0x800,
};

struct tn_params {
	uint64_t vendor_id, device_id, subsys_vendor_id, subsys_id, revision;
	uint64_t features, msix_vectors, notify_mult, max_pairs, mtu;
};

struct tn {
	const struct vdpasim_host_ops *ops;
	void *host;
	struct tn_params p;
	uint32_t dev_feature_select, drv_feature_select;
	uint64_t driver_features;
	uint16_t msix_config, queue_select;
	uint8_t status, isr;
};

static void tn_log(struct tn *t, const char *msg)
{
	if (t->ops->log)
		t->ops->log(t->host, VDPASIM_LOG_ERROR, msg);
}

static int parse_options(struct tn *t, const char *options)
{
	static const struct {
		const char *key;
		size_t off;
		uint64_t max;
	} keys[] = {
		{ "vendor_id", offsetof(struct tn_params, vendor_id), 0xffff },
		{ "device_id", offsetof(struct tn_params, device_id), 0xffff },
		{ "subsys_vendor_id", offsetof(struct tn_params, subsys_vendor_id), 0xffff },
		{ "subsys_id", offsetof(struct tn_params, subsys_id), 0xffff },
		{ "revision", offsetof(struct tn_params, revision), 0xff },
		{ "features", offsetof(struct tn_params, features), UINT64_MAX },
		{ "msix_vectors", offsetof(struct tn_params, msix_vectors), 2048 },
		{ "notify_mult", offsetof(struct tn_params, notify_mult), UINT32_MAX },
		{ "max_pairs", offsetof(struct tn_params, max_pairs), 0xffff },
		{ "mtu", offsetof(struct tn_params, mtu), 0xffff },
	};
	const char *s = options ? options : "";
	char msg[160];

	while (*s) {
		size_t n = strcspn(s, ","), klen = strcspn(s, "=,");
		bool found = false;

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && klen < n; i++) {
			char num[32], *end;
			unsigned long long v;

			if (strlen(keys[i].key) != klen || strncmp(keys[i].key, s, klen))
				continue;
			if (n - klen - 1 == 0 || n - klen - 1 >= sizeof(num))
				break;
			memcpy(num, s + klen + 1, n - klen - 1);
			num[n - klen - 1] = 0;
			errno = 0;
			v = strtoull(num, &end, 0);
			if (errno || *end || num[0] == '-' || v > keys[i].max)
				break;
			*(uint64_t *)(void *)((char *)&t->p + keys[i].off) = v;
			found = true;
		}
		if (!found) {
			snprintf(msg, sizeof(msg), "testnet: bad option '%.*s'", (int)n, s);
			tn_log(t, msg);
			return -EINVAL;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

/* A virtio_pci_cap (virtio 1.3 4.1.4) in a vendor capability; bytes 0..1 are the host's. */
static void put_cap(struct vdpasim_pci_layout *l, uint8_t len, uint8_t type, uint8_t bar,
		    uint32_t offset, uint32_t length, uint32_t extra)
{
	struct vdpasim_vendor_cap *c = &l->vendor_caps[l->nr_vendor_caps++];

	memset(c, 0, sizeof(*c));
	c->len = len;
	c->bytes[offsetof(struct virtio_pci_cap, cap_len)] = len;
	c->bytes[offsetof(struct virtio_pci_cap, cfg_type)] = type;
	c->bytes[offsetof(struct virtio_pci_cap, bar)] = bar;
	for (int i = 0; i < 4; i++) {
		c->bytes[offsetof(struct virtio_pci_cap, offset) + i] = (uint8_t)(offset >> (8 * i));
		c->bytes[offsetof(struct virtio_pci_cap, length) + i] = (uint8_t)(length >> (8 * i));
		if (len >= sizeof(struct virtio_pci_cap) + 4)
			c->bytes[sizeof(struct virtio_pci_cap) + i] = (uint8_t)(extra >> (8 * i));
	}
}

static void tn_reset(void *dev)
{
	struct tn *t = dev;

	t->dev_feature_select = t->drv_feature_select = 0;
	t->driver_features = 0;
	t->msix_config = VIRTIO_MSI_NO_VECTOR;
	t->queue_select = 0;
	t->status = 0;
	t->isr = 0;
}

static int tn_create(const struct vdpasim_host_ops *ops, void *host, const char *options,
		     struct vdpasim_pci_layout *l, void **devp)
{
	struct tn *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	t->ops = ops;
	t->host = host;
	t->p = (struct tn_params){
		.vendor_id = VDPASIM_PCI_VENDOR_REDHAT_QUMRANET,
		.device_id = VDPASIM_PCI_DEVICE_VIRTIO_NET_MODERN,
		.subsys_vendor_id = VDPASIM_PCI_VENDOR_REDHAT_QUMRANET,
		.subsys_id = 0x40,
		.revision = 1,
		.features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_NET_F_MAC,
		.msix_vectors = 2,
		.notify_mult = 4,
		.max_pairs = 1,
		.mtu = 1500,
	};
	rc = parse_options(t, options);
	if (rc) {
		free(t);
		return rc;
	}
	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	l->vendor_id = (uint16_t)t->p.vendor_id;
	l->device_id = (uint16_t)t->p.device_id;
	l->subsys_vendor_id = (uint16_t)t->p.subsys_vendor_id;
	l->subsys_id = (uint16_t)t->p.subsys_id;
	l->class_code = 0x020000; /* network controller, Ethernet */
	l->revision = (uint8_t)t->p.revision;
	l->link_gen = 3;
	l->link_width = 4;
	l->max_payload = 256;
	l->bars[0].size = TN_BAR0_SIZE;
	if (t->p.msix_vectors) {
		l->bars[TN_MSIX_BAR].size = TN_MSIX_BAR_SIZE;
		l->msix_vectors = (uint16_t)t->p.msix_vectors;
		l->msix_table_bar = TN_MSIX_BAR;
		l->msix_table_offset = 0;
		l->msix_pba_bar = TN_MSIX_BAR;
		l->msix_pba_offset = TN_PBA;
	}
	put_cap(l, 16, VIRTIO_PCI_CAP_COMMON_CFG, 0, TN_COMMON,
		sizeof(struct virtio_pci_common_cfg), 0);
	put_cap(l, 20, VIRTIO_PCI_CAP_NOTIFY_CFG, 0, TN_NOTIFY, TN_NOTIFY_LEN,
		(uint32_t)t->p.notify_mult);
	put_cap(l, 16, VIRTIO_PCI_CAP_ISR_CFG, 0, TN_ISR, 4, 0);
	put_cap(l, 16, VIRTIO_PCI_CAP_DEVICE_CFG, 0, TN_DEVICE, sizeof(struct virtio_net_config), 0);
	put_cap(l, 20, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0, 0);
	l->nr_net_ports = 1;
	tn_reset(t);
	*devp = t;
	return 0;
}

static void tn_destroy(void *dev)
{
	free(dev);
}

/* Little-endian images of the structures, so any access size reads right. */
static void put_le(uint8_t *b, size_t off, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

static void common_image(const struct tn *t, uint8_t *b)
{
	uint64_t f = t->dev_feature_select < 2 ? t->p.features >> (32 * t->dev_feature_select) : 0;
	uint64_t d = t->drv_feature_select < 2 ? t->driver_features >> (32 * t->drv_feature_select)
					       : 0;

	memset(b, 0, sizeof(struct virtio_pci_common_cfg));
#define PUT(field, v) \
	put_le(b, offsetof(struct virtio_pci_common_cfg, field), (v), \
	       sizeof(((struct virtio_pci_common_cfg *)0)->field))
	PUT(device_feature_select, t->dev_feature_select);
	PUT(device_feature, (uint32_t)f);
	PUT(guest_feature_select, t->drv_feature_select);
	PUT(guest_feature, (uint32_t)d);
	PUT(msix_config, t->msix_config);
	PUT(num_queues, 0);
	PUT(device_status, t->status);
	PUT(config_generation, 0);
	PUT(queue_select, t->queue_select);
	/* no queues: every selected queue is absent (virtio 1.3 4.1.4.3.1: size 0) */
	PUT(queue_msix_vector, VIRTIO_MSI_NO_VECTOR);
#undef PUT
}

static void device_image(const struct tn *t, uint8_t *b)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

	memset(b, 0, sizeof(struct virtio_net_config));
	memcpy(b, mac, sizeof(mac));
	put_le(b, offsetof(struct virtio_net_config, status), VIRTIO_NET_S_LINK_UP, 2);
	put_le(b, offsetof(struct virtio_net_config, max_virtqueue_pairs), t->p.max_pairs, 2);
	put_le(b, offsetof(struct virtio_net_config, mtu), t->p.mtu, 2);
}

static uint64_t read_image(const uint8_t *b, size_t len, uint64_t off, uint8_t size)
{
	uint64_t v = 0;

	if (off >= len || size > len - off)
		return 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)b[off + i] << (8 * i);
	return v;
}

static uint64_t tn_mmio_read(void *dev, uint8_t bar, uint64_t off, uint8_t size)
{
	struct tn *t = dev;
	uint8_t img[64];
	uint64_t v;

	if (bar != 0 || (size != 1 && size != 2 && size != 4 && size != 8))
		return 0;
	/* TN_COMMON is 0 */
	if (off < sizeof(struct virtio_pci_common_cfg)) {
		common_image(t, img);
		return read_image(img, sizeof(struct virtio_pci_common_cfg), off, size);
	}
	if (off >= TN_DEVICE && off < TN_DEVICE + sizeof(struct virtio_net_config)) {
		device_image(t, img);
		return read_image(img, sizeof(struct virtio_net_config), off - TN_DEVICE, size);
	}
	if (off == TN_ISR) {
		/* virtio 1.3 4.1.4.5: reading ISR status clears it */
		v = t->isr;
		t->isr = 0;
		return v;
	}
	return 0;
}

static void write_status(struct tn *t, uint8_t v)
{
	if (!v) {
		tn_reset(t);
		return;
	}
	/* virtio 1.3 2.2.2: FEATURES_OK stays clear for a subset the device cannot take */
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) && !(t->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    (t->driver_features & ~t->p.features))
		v &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	t->status = v;
}

static void tn_mmio_write(void *dev, uint8_t bar, uint64_t off, uint8_t size, uint64_t v)
{
	struct tn *t = dev;

	/* notify and read-only regions: nothing to do without queues (TN_COMMON is 0) */
	if (bar != 0 || off >= sizeof(struct virtio_pci_common_cfg))
		return;
	switch (off) {
	case offsetof(struct virtio_pci_common_cfg, device_feature_select):
		if (size == 4)
			t->dev_feature_select = (uint32_t)v;
		break;
	case offsetof(struct virtio_pci_common_cfg, guest_feature_select):
		if (size == 4)
			t->drv_feature_select = (uint32_t)v;
		break;
	case offsetof(struct virtio_pci_common_cfg, guest_feature):
		if (size == 4 && t->drv_feature_select < 2 &&
		    !(t->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
			unsigned sh = 32 * t->drv_feature_select;

			t->driver_features &= ~(0xffffffffULL << sh);
			t->driver_features |= (v & 0xffffffffULL) << sh;
		}
		break;
	case offsetof(struct virtio_pci_common_cfg, msix_config):
		if (size == 2)
			t->msix_config = (uint16_t)v < t->p.msix_vectors ? (uint16_t)v
									 : VIRTIO_MSI_NO_VECTOR;
		break;
	case offsetof(struct virtio_pci_common_cfg, device_status):
		if (size == 1)
			write_status(t, (uint8_t)v);
		break;
	case offsetof(struct virtio_pci_common_cfg, queue_select):
		if (size == 2)
			t->queue_select = (uint16_t)v;
		break;
	default:
		break;
	}
}

static const struct vdpasim_device_plugin testnet = {
	.abi_version = VDPASIM_PLUGIN_ABI_VERSION,
	.size = sizeof(struct vdpasim_device_plugin),
	.name = "testnet",
	.vendor = "vdpasim",
	.description = "virtio-net identity without virtqueues, for testing the conformance suite",
	.model_version = "1",
	.create = tn_create,
	.destroy = tn_destroy,
	.mmio_read = tn_mmio_read,
	.mmio_write = tn_mmio_write,
	.reset = tn_reset,
};

const struct vdpasim_device_plugin *conf_testnet_plugin(void)
{
	return &testnet;
}
