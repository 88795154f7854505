// SPDX-License-Identifier: MIT
/*
 * Check "msix_mapping" (virtio 1.3 4.1.5.1.2.1: PCI-DEV-56/57/58/59/61).  With
 * MSI-X enabled and features negotiated, configuration changes and each queue
 * (the first 8) are mapped to every vector of the table in turn (the first
 * 16) and each mapping is read back (56, 58); each is unmapped with
 * NO_VECTOR and read back (57, 58); a vector just past the table must be
 * refused, reading back NO_VECTOR (61); after a device reset every field
 * reads NO_VECTOR again (59).
 *
 * Fails with the event, the vector written and what came back: "queue 2:
 * wrote NO_VECTOR, reads 0x0003".
 */
#include "conformance/conf_drv.h"

static const char *const reqs[] = {
	"PCI-DEV-56", "PCI-DEV-57", "PCI-DEV-58", "PCI-DEV-59", "PCI-DEV-61", NULL,
};

/* event -1 is configuration changes, else a queue */
static uint16_t map(struct conf_ctx *ctx, int event, uint16_t v)
{
	if (event < 0)
		return conf_cfg_vector(ctx, v);
	conf_q_write(ctx, (uint16_t)event, VIRTIO_PCI_COMMON_Q_MSIX, 2, v);
	return (uint16_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_Q_MSIX, 2);
}

static void name(int event, char *buf, size_t len)
{
	if (event < 0)
		snprintf(buf, len, "configuration changes");
	else
		snprintf(buf, len, "queue %d", event);
}

static int run(struct conf_ctx *ctx)
{
	uint16_t n = ctx->msix_size, nq;
	int nev;
	char ev[32];
	bool bad56 = false, bad57 = false, bad61 = false, bad59 = false;

	if (ctx->msix_cap <= 0 || !n)
		return conf_abort(ctx, "the device has no MSI-X capability");
	if (conf_negotiate(ctx, conf_feature_base(ctx)))
		return conf_abort(ctx, "feature negotiation failed");
	conf_msix_enable(ctx);
	nq = (uint16_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_NUMQ, 2);
	nev = nq < 8 ? nq : 8;
	for (int e = -1; e < nev; e++) {
		name(e, ev, sizeof(ev));
		for (uint16_t v = 0; v < n && v < 16 && !bad56; v++) {
			uint16_t got = map(ctx, e, v);

			if (got != v) {
				bad56 = true;
				conf_set(ctx, "PCI-DEV-56", CONF_FAIL, "%s: mapped to vector %u (table "
					 "of %u), reads 0x%04x", ev, v, n, got);
				conf_set(ctx, "PCI-DEV-58", CONF_FAIL, "%s: mapped to vector %u, "
					 "reads 0x%04x", ev, v, got);
			}
		}
		if (!bad57) {
			uint16_t got = map(ctx, e, CONF_NO_VECTOR);

			if (got != CONF_NO_VECTOR) {
				bad57 = true;
				conf_set(ctx, "PCI-DEV-57", CONF_FAIL, "%s: wrote NO_VECTOR, reads "
					 "0x%04x", ev, got);
				conf_set(ctx, "PCI-DEV-58", CONF_FAIL, "%s: unmapped, reads 0x%04x "
					 "instead of NO_VECTOR", ev, got);
			}
		}
		if (!bad61 && n < CONF_NO_VECTOR) {
			uint16_t got = map(ctx, e, n);

			if (got != CONF_NO_VECTOR) {
				bad61 = true;
				conf_set(ctx, "PCI-DEV-61", CONF_FAIL, "%s: vector %u is beyond the "
					 "%u-entry table but reads back 0x%04x, not NO_VECTOR", ev, n,
					 n, got);
			}
		}
	}
	if (!bad56)
		conf_set(ctx, "PCI-DEV-56", CONF_PASS, "configuration changes and %d queues each "
			 "mapped to vectors 0..%u and read back", nev, (n < 16 ? n : 16) - 1);
	if (!bad57)
		conf_set(ctx, "PCI-DEV-57", CONF_PASS, "configuration changes and %d queues each "
			 "unmapped, NO_VECTOR read back", nev);
	if (!bad56 && !bad57)
		conf_set(ctx, "PCI-DEV-58", CONF_PASS, "every mapping and unmapping read back as "
			 "written");
	if (!bad61)
		conf_set(ctx, "PCI-DEV-61", CONF_PASS, "vector %u (past the table) refused for "
			 "every event: NO_VECTOR read back", n);
	/* map everything, reset, and look again */
	for (int e = -1; e < nev; e++)
		map(ctx, e, (uint16_t)((e + 1) % n));
	if (conf_reset(ctx))
		return conf_abort(ctx, "the device did not complete a reset");
	for (int e = -1; e < nev && !bad59; e++) {
		uint16_t got = e < 0 ? (uint16_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_MSIX, 2)
				     : (uint16_t)conf_q_read(ctx, (uint16_t)e,
							     VIRTIO_PCI_COMMON_Q_MSIX, 2);

		name(e, ev, sizeof(ev));
		if (got != CONF_NO_VECTOR) {
			bad59 = true;
			conf_set(ctx, "PCI-DEV-59", CONF_FAIL, "%s: still mapped to 0x%04x after "
				 "reset", ev, got);
		}
	}
	if (!bad59)
		conf_set(ctx, "PCI-DEV-59", CONF_PASS, "after reset configuration changes and %d "
			 "queues read NO_VECTOR", nev);
	return 0;
}

const struct conf_check conf_check_msix_mapping = {
	.name = "msix_mapping",
	.description = "any event to any vector, unmapping, refusal, reset (4.1.5.1.2)",
	.requirements = reqs,
	.run = run,
};
