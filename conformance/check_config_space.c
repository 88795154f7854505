// SPDX-License-Identifier: MIT
/*
 * Check "config_space" (virtio 1.3 2.5, 3.2.1, 4.1.4.3.1, 4.1.4.5.1,
 * 4.1.5.4.1, 5.1.4.1): the device-specific configuration and its change
 * notification.
 *
 *   CFG-DEV-01     the net configuration read after DRIVER (before
 *                  FEATURES_OK) equals what it reads after FEATURES_OK, for
 *                  every field an offered feature gates (mac, status,
 *                  max_virtqueue_pairs, mtu, speed/duplex);
 *   NET-CFG-DEV-04 mtu reads the same at start, after negotiation, after a
 *                  device reset and after a function level reset;
 *   OPS-DEV-X01    with STATUS negotiated and DRIVER_OK set, the suite takes
 *                  the cable down: the device must report the link change
 *                  with an interrupt on the configuration vector;
 *   PCI-DEV-17     config_generation read after the change differs;
 *   PCI-DEV-43     ISR status then shows the configuration bit and a second
 *                  read returns 0;
 *   PCI-DEV-63     with configuration changes unmapped (NO_VECTOR) the cable
 *                  comes back up: no MSI-X message at all may arrive.
 *
 * The link rows need VIRTIO_NET_F_STATUS offered; without it they are left
 * untested.  Fails with the field and both values, or with what did (not)
 * arrive.
 */
#include "conformance/conf_drv.h"

#include <stddef.h>
#include <string.h>

static const char *const reqs[] = {
	"CFG-DEV-01", "NET-CFG-DEV-04", "OPS-DEV-X01", "PCI-DEV-17", "PCI-DEV-43", "PCI-DEV-63",
	NULL,
};

struct field {
	unsigned bit, off, size;
	const char *name;
};

#define FLD(bit, m) { bit, offsetof(struct virtio_net_config, m), \
		      sizeof(((struct virtio_net_config *)0)->m), #m }
static const struct field fields[] = {
	{ VIRTIO_NET_F_MAC, 0, 4, "mac[0..3]" }, { VIRTIO_NET_F_MAC, 4, 2, "mac[4..5]" },
	FLD(VIRTIO_NET_F_STATUS, status), FLD(VIRTIO_NET_F_MQ, max_virtqueue_pairs),
	FLD(VIRTIO_NET_F_MTU, mtu), FLD(VIRTIO_NET_F_SPEED_DUPLEX, speed),
	FLD(VIRTIO_NET_F_SPEED_DUPLEX, duplex),
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static uint16_t mtu(struct conf_ctx *ctx)
{
	return (uint16_t)conf_devcfg(ctx, offsetof(struct virtio_net_config, mtu), 2);
}

static void check_before_features(struct conf_ctx *ctx)
{
	uint64_t before[NFIELDS], f = conf_feature_base(ctx);
	unsigned n = 0;

	conf_reset(ctx);
	conf_status_set(ctx, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	conf_status_set(ctx, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	for (size_t i = 0; i < NFIELDS; i++)
		before[i] = conf_devcfg(ctx, fields[i].off, fields[i].size);
	for (size_t i = 0; i < NFIELDS; i++)
		if (ctx->offered & CONF_F(fields[i].bit))
			f |= CONF_F(fields[i].bit);
	/* virtio 1.3 5.1.3.1: MQ needs the control queue */
	if (f & CONF_F(VIRTIO_NET_F_MQ))
		f |= ctx->offered & CONF_F(VIRTIO_NET_F_CTRL_VQ);
	if (conf_negotiate(ctx, f)) {
		conf_abort(ctx, "the device refused features 0x%016llx it offered",
			   (unsigned long long)f);
	} else {
		for (size_t i = 0; i < NFIELDS; i++) {
			uint64_t after = conf_devcfg(ctx, fields[i].off, fields[i].size);

			if (!(ctx->offered & CONF_F(fields[i].bit)))
				continue;
			n++;
			if (after != before[i]) {
				conf_set(ctx, "CFG-DEV-01", CONF_FAIL, "%s read 0x%llx before "
					 "FEATURES_OK and 0x%llx after", fields[i].name,
					 (unsigned long long)before[i], (unsigned long long)after);
				return;
			}
		}
		conf_set(ctx, "CFG-DEV-01", CONF_PASS, "%u feature-gated fields read the same "
			 "before and after FEATURES_OK", n);
	}
}

static void check_mtu_constant(struct conf_ctx *ctx)
{
	uint16_t m[4];
	int cap = pcie_find_cap(&ctx->hf, PCI_CAP_ID_EXP, 0);

	m[0] = mtu(ctx);
	conf_negotiate(ctx, conf_feature_base(ctx));
	m[1] = mtu(ctx);
	conf_reset(ctx);
	m[2] = mtu(ctx);
	/* a function level reset through the PCI Express capability */
	if (cap > 0) {
		uint32_t ctl = conf_cfg_read(ctx, (uint16_t)(cap + PCI_EXP_DEVCTL), 2);

		conf_cfg_write(ctx, (uint16_t)(cap + PCI_EXP_DEVCTL), 2, ctl | PCI_EXP_DEVCTL_BCR_FLR);
		conf_run_for(ctx, ENG_US(100));
		pcie_enumerate(ctx->rc, CONF_MMIO_BASE, CONF_MMIO_SIZE, &ctx->hf, 1, &(unsigned){ 0 });
	}
	m[3] = mtu(ctx);
	conf_expect(ctx, "NET-CFG-DEV-04", m[0] == m[1] && m[1] == m[2] && m[2] == m[3],
		    "mtu %u at start, %u after negotiation, %u after a device reset, %u after a "
		    "function level reset", m[0], m[1], m[2], m[3]);
}

static void check_link_change(struct conf_ctx *ctx)
{
	struct conf_up_opts o = { .features = conf_feature_base(ctx) | CONF_F(VIRTIO_NET_F_STATUS) };
	uint64_t irqs, total;
	uint16_t st0, st1;
	uint8_t g0, g1, isr1, isr2;
	char why[160];

	if (conf_up(ctx, &o, why, sizeof(why))) {
		conf_abort(ctx, "bring-up: %s", why);
		return;
	}
	conf_settle(ctx, ENG_US(10));
	conf_isr_read(ctx);
	st0 = (uint16_t)conf_devcfg(ctx, offsetof(struct virtio_net_config, status), 2);
	g0 = (uint8_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_CFGGENERATION, 1);
	irqs = ctx->cfg_irqs;
	conf_link_set(ctx, false);
	conf_run_for(ctx, ENG_US(20));
	st1 = (uint16_t)conf_devcfg(ctx, offsetof(struct virtio_net_config, status), 2);
	g1 = (uint8_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_CFGGENERATION, 1);
	if (!(st0 & VIRTIO_NET_S_LINK_UP) || (st1 & VIRTIO_NET_S_LINK_UP)) {
		conf_abort(ctx, "status reads 0x%x with the cable up and 0x%x with it down: the "
			   "device does not report its link", st0, st1);
		return;
	}
	conf_expect(ctx, "OPS-DEV-X01", ctx->cfg_irqs > irqs, "cable down: status 0x%x -> 0x%x, "
		    "%llu interrupts on the configuration vector %u", st0, st1,
		    (unsigned long long)(ctx->cfg_irqs - irqs), ctx->cfg_vector);
	conf_expect(ctx, "PCI-DEV-17", g0 != g1, "status changed 0x%x -> 0x%x, "
		    "config_generation %u -> %u", st0, st1, g0, g1);
	isr1 = conf_isr_read(ctx);
	isr2 = conf_isr_read(ctx);
	conf_expect(ctx, "PCI-DEV-43", (isr1 & VIRTIO_PCI_ISR_CONFIG) && isr2 == 0,
		    "after the change ISR status read 0x%02x, then 0x%02x", isr1, isr2);
	/* unmapped: nothing may arrive */
	conf_cfg_vector(ctx, CONF_NO_VECTOR);
	total = ctx->msi_total;
	conf_link_set(ctx, true);
	conf_run_for(ctx, ENG_US(20));
	conf_expect(ctx, "PCI-DEV-63", ctx->msi_total == total && (uint8_t)conf_cc_read(
			    ctx, VIRTIO_PCI_COMMON_CFGGENERATION, 1) != g1,
		    "configuration changes unmapped, cable up again: %llu MSI-X messages, "
		    "config_generation %u -> %u", (unsigned long long)(ctx->msi_total - total), g1,
		    (uint8_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_CFGGENERATION, 1));
}

static int run(struct conf_ctx *ctx)
{
	if (!ctx->cc || !ctx->dcap)
		return conf_abort(ctx, "no usable common or device configuration capability");
	check_before_features(ctx);
	check_mtu_constant(ctx);
	if (conf_can(ctx, VIRTIO_NET_F_STATUS) && ctx->link)
		check_link_change(ctx);
	return ctx->abort_why[0] ? -ECANCELED : 0;
}

const struct conf_check conf_check_config_space = {
	.name = "config_space",
	.description = "net configuration before FEATURES_OK, mtu constant, link change "
		       "notification, generation, ISR (2.5, 3.2.1, 4.1.4.3.1, 4.1.5.4)",
	.requirements = reqs,
	.run = run,
};
