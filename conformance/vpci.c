// SPDX-License-Identifier: MIT
/*
 * Reading the virtio-pci structures of a device (virtio 1.3 4.1.4) as a
 * driver does: the vendor-specific capabilities walked with config cycles,
 * BAR sizes as enumeration found them, offered feature bits through the
 * common configuration.  Input is the device's and is not trusted: the walk
 * is bounded and every offset is checked against its BAR.
 */
#include "conformance/conf_drv.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

uint64_t conf_bar_size(const struct conf_ctx *ctx, unsigned bar)
{
	return bar < VDPASIM_MAX_BARS ? ctx->hf.bar[bar].size : 0;
}

/* Offsets of every capability in the list, to know how much room each has. */
static size_t all_caps(struct conf_ctx *ctx, uint16_t *offs, size_t max)
{
	size_t n = 0;
	uint32_t pos;

	if (!(conf_cfg_read(ctx, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = conf_cfg_read(ctx, PCI_CAPABILITY_LIST, 1);
	for (unsigned ttl = 48; ttl && pos >= PCI_STD_HEADER_SIZEOF && pos < 256 && n < max;
	     ttl--) {
		pos &= ~3u;
		offs[n++] = (uint16_t)pos;
		pos = conf_cfg_read(ctx, (uint16_t)(pos + PCI_CAP_LIST_NEXT), 1);
	}
	return n;
}

size_t conf_vcaps(struct conf_ctx *ctx, struct conf_vcap *out, size_t max)
{
	uint16_t offs[48];
	size_t nall = all_caps(ctx, offs, 48), n = 0;

	for (size_t i = 0; i < nall && n < max; i++) {
		uint16_t at = offs[i], room = (uint16_t)(256 - at);
		struct conf_vcap *v = &out[n];

		if (conf_cfg_read(ctx, at, 1) != PCI_CAP_ID_VNDR)
			continue;
		/* the capability may use the bytes up to the next one in config space */
		for (size_t k = 0; k < nall; k++)
			if (offs[k] > at && offs[k] - at < room)
				room = (uint16_t)(offs[k] - at);
		memset(v, 0, sizeof(*v));
		v->index = (unsigned)n;
		v->cfg_off = at;
		v->room = room;
		v->cap_len = (uint8_t)conf_cfg_read(ctx, at + offsetof(struct virtio_pci_cap, cap_len), 1);
		v->cfg_type = (uint8_t)conf_cfg_read(ctx, at + offsetof(struct virtio_pci_cap, cfg_type),
						     1);
		v->bar = (uint8_t)conf_cfg_read(ctx, at + offsetof(struct virtio_pci_cap, bar), 1);
		v->id = (uint8_t)conf_cfg_read(ctx, at + offsetof(struct virtio_pci_cap, id), 1);
		v->offset = conf_cfg_read(ctx, at + offsetof(struct virtio_pci_cap, offset), 4);
		v->length = conf_cfg_read(ctx, at + offsetof(struct virtio_pci_cap, length), 4);
		v->offset64 = v->offset;
		v->length64 = v->length;
		if (v->cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG &&
		    room >= sizeof(struct virtio_pci_notify_cap))
			v->notify_off_multiplier = conf_cfg_read(
				ctx, at + offsetof(struct virtio_pci_notify_cap, notify_off_multiplier),
				4);
		if (v->cfg_type == VIRTIO_PCI_CAP_SHARED_MEMORY_CFG &&
		    room >= sizeof(struct virtio_pci_cap64)) {
			v->offset64 |= (uint64_t)conf_cfg_read(
				ctx, at + offsetof(struct virtio_pci_cap64, offset_hi), 4) << 32;
			v->length64 |= (uint64_t)conf_cfg_read(
				ctx, at + offsetof(struct virtio_pci_cap64, length_hi), 4) << 32;
		}
		/* virtio 1.3 4.1.4.8: vendor_id follows bar/padding in the vendor data cap */
		if (v->cfg_type == VIRTIO_PCI_CAP_VENDOR_CFG)
			v->vendor_id = (uint16_t)conf_cfg_read(ctx, at + 6, 2);
		n++;
	}
	return n;
}

const struct conf_vcap *conf_vcap_find(const struct conf_vcap *caps, size_t n, uint8_t type,
				       const struct conf_ctx *ctx)
{
	/* virtio 1.3 4.1.4: the driver uses the first capability of a type it can use */
	for (size_t i = 0; i < n; i++) {
		const struct conf_vcap *c = &caps[i];
		uint64_t bar_size;

		if (c->cfg_type != type || c->cap_len < sizeof(struct virtio_pci_cap) ||
		    c->room < sizeof(struct virtio_pci_cap) || c->bar >= VDPASIM_MAX_BARS)
			continue;
		bar_size = conf_bar_size(ctx, c->bar);
		if (type != VIRTIO_PCI_CAP_PCI_CFG &&
		    (!bar_size || (uint64_t)c->offset + c->length > bar_size))
			continue;
		return c;
	}
	return NULL;
}

int conf_read_features(struct conf_ctx *ctx, uint64_t *features)
{
	uint64_t lo, hi;

	*features = 0;
	if (!ctx->cc)
		return -ENODEV;
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	lo = conf_cc_read(ctx, VIRTIO_PCI_COMMON_DF, 4);
	conf_cc_write(ctx, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	hi = conf_cc_read(ctx, VIRTIO_PCI_COMMON_DF, 4);
	*features = hi << 32 | lo;
	return 0;
}
