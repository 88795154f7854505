// SPDX-License-Identifier: MIT
/*
 * Check "pci_identity": the PCI IDs a device reports identify a modern
 * virtio-net function (virtio 1.3 4.1.2).  The simulator models no legacy
 * interface, so every device here is non-transitional.
 */
#include "conformance/conf_priv.h"
#include "vdpasim/uapi.h"

/* virtio 1.3 4.1.2: Device ID 0x1040 + virtio device id; 0x1000 is net's transitional id */
#define VIRTIO_PCI_MODERN_BASE 0x1040
#define VIRTIO_PCI_MODERN_LAST 0x107f
#define VIRTIO_PCI_NET_TRANSITIONAL 0x1000

static const char *const reqs[] = {
	"PCI-DEV-02", "PCI-DEV-03", "PCI-DEV-05", "PCI-DEV-06", "PCI-DEV-07", NULL,
};

static int run(struct conf_ctx *ctx)
{
	/* the identity enumeration read with config cycles */
	const struct pcie_host_fn *l = &ctx->hf;
	unsigned id = l->device_id;

	/* virtio 1.3 4.1.2.1: Vendor ID 0x1AF4 */
	conf_expect(ctx, "PCI-DEV-02", l->vendor_id == VDPASIM_PCI_VENDOR_REDHAT_QUMRANET,
		    "vendor ID 0x%04x (want 0x%04x)", l->vendor_id,
		    VDPASIM_PCI_VENDOR_REDHAT_QUMRANET);
	conf_expect(ctx, "PCI-DEV-03",
		    id == VIRTIO_PCI_MODERN_BASE + VIRTIO_ID_NET || id == VIRTIO_PCI_NET_TRANSITIONAL,
		    "device ID 0x%04x (a network device is 0x%04x, or 0x%04x transitional)", id,
		    VIRTIO_PCI_MODERN_BASE + VIRTIO_ID_NET, VIRTIO_PCI_NET_TRANSITIONAL);
	conf_expect(ctx, "PCI-DEV-05", id >= VIRTIO_PCI_MODERN_BASE && id <= VIRTIO_PCI_MODERN_LAST,
		    "device ID 0x%04x on a device without a legacy interface (want 0x%04x..0x%04x)",
		    id, VIRTIO_PCI_MODERN_BASE, VIRTIO_PCI_MODERN_LAST);
	conf_expect(ctx, "PCI-DEV-06", l->revision >= 1, "revision ID %u (want 1 or above)",
		    l->revision);
	conf_expect(ctx, "PCI-DEV-07", l->subsys_id >= 0x40,
		    "subsystem device ID 0x%04x (want 0x0040 or above)", l->subsys_id);
	return 0;
}

const struct conf_check conf_check_pci_identity = {
	.name = "pci_identity",
	.description = "PCI IDs identify a modern virtio-net function (4.1.2)",
	.requirements = reqs,
	.run = run,
};
