// SPDX-License-Identifier: MIT
/*
 * Reading the virtio-pci structures of a device (virtio 1.3 4.1.4): the
 * virtio capabilities among the layout's vendor-specific capabilities, and the
 * offered feature bits through the common configuration structure.  Input is
 * the device's and is not trusted: every offset is bounds-checked.
 */
#include "conformance/conf_priv.h"
#include "vdpasim/uapi.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* Byte i of a vendor capability as config space holds it (0 past its length). */
static uint8_t cap_byte(const struct vdpasim_vendor_cap *c, size_t i)
{
	if (i >= c->len || i >= sizeof(c->bytes))
		return 0;
	return c->bytes[i];
}

static uint32_t cap_le32(const struct vdpasim_vendor_cap *c, size_t i)
{
	return (uint32_t)cap_byte(c, i) | (uint32_t)cap_byte(c, i + 1) << 8 |
	       (uint32_t)cap_byte(c, i + 2) << 16 | (uint32_t)cap_byte(c, i + 3) << 24;
}

size_t conf_vcaps(const struct vdpasim_pci_layout *l, struct conf_vcap *out)
{
	size_t n = l->nr_vendor_caps;

	if (n > VDPASIM_MAX_VENDOR_CAPS)
		n = VDPASIM_MAX_VENDOR_CAPS;
	for (size_t i = 0; i < n; i++) {
		const struct vdpasim_vendor_cap *c = &l->vendor_caps[i];
		struct conf_vcap *v = &out[i];

		memset(v, 0, sizeof(*v));
		v->index = (unsigned)i;
		v->raw_len = c->len;
		v->cap_len = cap_byte(c, offsetof(struct virtio_pci_cap, cap_len));
		v->cfg_type = cap_byte(c, offsetof(struct virtio_pci_cap, cfg_type));
		v->bar = cap_byte(c, offsetof(struct virtio_pci_cap, bar));
		v->id = cap_byte(c, offsetof(struct virtio_pci_cap, id));
		v->offset = cap_le32(c, offsetof(struct virtio_pci_cap, offset));
		v->length = cap_le32(c, offsetof(struct virtio_pci_cap, length));
		if (v->cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG)
			v->notify_off_multiplier =
				cap_le32(c, offsetof(struct virtio_pci_notify_cap,
						     notify_off_multiplier));
	}
	return n;
}

const struct conf_vcap *conf_vcap_find(const struct conf_vcap *caps, size_t n, uint8_t type,
				       const struct vdpasim_pci_layout *l)
{
	/* virtio 1.3 4.1.4: the driver uses the first capability of a type it can use */
	for (size_t i = 0; i < n; i++) {
		const struct conf_vcap *c = &caps[i];
		uint64_t bar_size;

		if (c->cfg_type != type || c->raw_len < sizeof(struct virtio_pci_cap) ||
		    c->cap_len < sizeof(struct virtio_pci_cap) || c->bar >= VDPASIM_MAX_BARS)
			continue;
		bar_size = l->bars[c->bar].size;
		if (type != VIRTIO_PCI_CAP_PCI_CFG &&
		    (uint64_t)c->offset + c->length > bar_size)
			continue;
		return c;
	}
	return NULL;
}

int conf_read_features(struct conf_ctx *ctx, uint64_t *features)
{
	struct conf_vcap caps[CONF_MAX_VCAPS];
	size_t n = conf_vcaps(&ctx->layout, caps);
	const struct conf_vcap *cc = conf_vcap_find(caps, n, VIRTIO_PCI_CAP_COMMON_CFG, &ctx->layout);
	uint64_t sel = offsetof(struct virtio_pci_common_cfg, device_feature_select);
	uint64_t feat = offsetof(struct virtio_pci_common_cfg, device_feature);
	uint64_t lo, hi;

	*features = 0;
	if (!cc || cc->length < feat + 4)
		return -ENODEV;
	conf_mmio_write(ctx, cc->bar, cc->offset + sel, 4, 0);
	lo = conf_mmio_read(ctx, cc->bar, cc->offset + feat, 4);
	conf_mmio_write(ctx, cc->bar, cc->offset + sel, 4, 1);
	hi = conf_mmio_read(ctx, cc->bar, cc->offset + feat, 4);
	*features = hi << 32 | lo;
	return 0;
}
