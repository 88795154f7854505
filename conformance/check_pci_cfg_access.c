// SPDX-License-Identifier: MIT
/*
 * Check "pci_cfg_access" (virtio 1.3 4.1.4.9.1: PCI-DEV-51/52): the PCI
 * configuration access capability used as a driver without BAR access would.
 * Through its window the suite writes ACKNOWLEDGE into device_status (1
 * byte) and reads num_queues (2 bytes) and device_feature (4 bytes); each is
 * compared with the same field read through the BAR.
 *
 * Fails with "a 1-byte write of 0x01 to BAR0+0x14 through pci_cfg_data left
 * device_status 0x00" or "pci_cfg_data read 0x0000 for num_queues, the BAR
 * reads 0x0009".
 */
#include "conformance/conf_drv.h"

#include <stddef.h>

static const char *const reqs[] = { "PCI-DEV-51", "PCI-DEV-52", NULL };

/* Point the window at bar/off for len bytes (virtio_pci_cfg_cap fields). */
static void window(struct conf_ctx *ctx, uint16_t cap, uint8_t bar, uint32_t off, uint32_t len)
{
	conf_cfg_write(ctx, (uint16_t)(cap + offsetof(struct virtio_pci_cap, bar)), 1, bar);
	conf_cfg_write(ctx, (uint16_t)(cap + offsetof(struct virtio_pci_cap, offset)), 4, off);
	conf_cfg_write(ctx, (uint16_t)(cap + offsetof(struct virtio_pci_cap, length)), 4, len);
}

static int run(struct conf_ctx *ctx)
{
	const struct conf_vcap *pc = conf_vcap_find(ctx->caps, ctx->ncaps, VIRTIO_PCI_CAP_PCI_CFG,
						    ctx);
	uint16_t data;
	uint32_t st, via, bar;
	const struct conf_vcap *cc = ctx->cc;

	if (!pc || !cc)
		return conf_abort(ctx, "no PCI configuration access or common configuration "
				  "capability (see virtio_pci_caps)");
	if (pc->room < sizeof(struct virtio_pci_cfg_cap) || pc->cap_len < sizeof(struct virtio_pci_cfg_cap)) {
		conf_set(ctx, "PCI-DEV-51", CONF_FAIL, "the capability at config 0x%x has %u bytes, "
			 "no room for pci_cfg_data", pc->cfg_off, pc->cap_len);
		conf_set(ctx, "PCI-DEV-52", CONF_FAIL, "the capability at config 0x%x has %u bytes, "
			 "no room for pci_cfg_data", pc->cfg_off, pc->cap_len);
		return 0;
	}
	data = (uint16_t)(pc->cfg_off + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data));
	if (conf_reset(ctx))
		return conf_abort(ctx, "the device did not complete a reset");
	/* a write through the window */
	window(ctx, pc->cfg_off, cc->bar, cc->offset + VIRTIO_PCI_COMMON_STATUS, 1);
	conf_cfg_write(ctx, data, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	st = conf_status(ctx);
	conf_expect(ctx, "PCI-DEV-51", st == VIRTIO_CONFIG_S_ACKNOWLEDGE,
		    "a 1-byte write of 0x01 to BAR%u+0x%x through pci_cfg_data: device_status "
		    "reads 0x%02x through the BAR", cc->bar, cc->offset + VIRTIO_PCI_COMMON_STATUS,
		    st);
	/* reads through the window */
	window(ctx, pc->cfg_off, cc->bar, cc->offset + VIRTIO_PCI_COMMON_NUMQ, 2);
	via = conf_cfg_read(ctx, data, 2);
	bar = (uint32_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_NUMQ, 2);
	if (via != bar) {
		conf_set(ctx, "PCI-DEV-52", CONF_FAIL, "pci_cfg_data read 0x%04x for num_queues, "
			 "the BAR reads 0x%04x", via, bar);
	} else {
		conf_cc_write(ctx, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
		window(ctx, pc->cfg_off, cc->bar, cc->offset + VIRTIO_PCI_COMMON_DF, 4);
		via = conf_cfg_read(ctx, data, 4);
		bar = (uint32_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_DF, 4);
		conf_expect(ctx, "PCI-DEV-52", via == bar, "through pci_cfg_data num_queues 0x%04x "
			    "and device_feature[1] 0x%08x; through the BAR 0x%08x", bar == via ?
			    (unsigned)conf_cc_read(ctx, VIRTIO_PCI_COMMON_NUMQ, 2) : 0, via, bar);
	}
	conf_reset(ctx);
	return 0;
}

const struct conf_check conf_check_pci_cfg_access = {
	.name = "pci_cfg_access",
	.description = "BAR accesses through the PCI configuration access capability (4.1.4.9)",
	.requirements = reqs,
	.run = run,
};
