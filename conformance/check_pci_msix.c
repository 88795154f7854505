// SPDX-License-Identifier: MIT
/*
 * Check "pci_msix": the MSI-X capability a device declares (virtio 1.3
 * 4.1.5.1.2), read with config cycles: Table Size, and whether a table of that
 * many entries and its PBA fit, aligned, inside BARs the device implements.
 */
#include "conformance/conf_drv.h"
#include "vdpasim/uapi.h"

static const char *const reqs[] = { "PCI-DEV-53", "PCI-DEV-54", NULL };

#define MSIX_ENTRY_SIZE 16
#define MSIX_MAX_VECTORS 2048 /* Table Size is 11 bits, N-1 encoded */

/* A region [off, off+len) of a BAR the device has; NULL or the reason it is not. */
static const char *region_problem(const struct conf_ctx *ctx, unsigned bar, uint64_t off,
				  uint64_t len)
{
	uint64_t size = conf_bar_size(ctx, bar);

	if (bar >= VDPASIM_MAX_BARS)
		return "names a BAR beyond BAR5";
	if (!size)
		return "lies in a BAR the device does not implement";
	/* PCI: the BIR field takes the low 3 bits, so offsets are QWORD aligned */
	if (off & 7)
		return "offset is not 8-byte aligned";
	if (off > size || len > size - off)
		return "does not fit in its BAR";
	return NULL;
}

/*
 * The count must be the vectors the device can use: the last one maps, the
 * one past it is refused (virtio 1.3 4.1.5.1.2.1), probed with
 * config_msix_vector on a freshly reset device.
 */
static void check_usable(struct conf_ctx *ctx, unsigned n, unsigned tbar, uint32_t toff,
			 unsigned pbar, uint32_t poff)
{
	uint16_t last, past;

	conf_reset(ctx);
	conf_msix_enable(ctx);
	last = conf_cfg_vector(ctx, (uint16_t)(n - 1));
	past = n < CONF_NO_VECTOR ? conf_cfg_vector(ctx, (uint16_t)n) : CONF_NO_VECTOR;
	conf_cfg_vector(ctx, CONF_NO_VECTOR);
	if (last != n - 1)
		conf_set(ctx, "PCI-DEV-54", CONF_FAIL, "Table Size reports %u vectors, but mapping "
			 "configuration changes to vector %u reads back 0x%04x", n, n - 1, last);
	else if (past != CONF_NO_VECTOR)
		conf_set(ctx, "PCI-DEV-54", CONF_FAIL, "Table Size reports %u vectors, but vector "
			 "%u (beyond the table) maps and reads back 0x%04x", n, n, past);
	else
		conf_set(ctx, "PCI-DEV-54", CONF_PASS,
			 "Table Size reports %u vectors, vector %u maps and %u does not; table at "
			 "BAR%u+0x%x, PBA at BAR%u+0x%x", n, n - 1, n, tbar, toff, pbar, poff);
}

static int run(struct conf_ctx *ctx)
{
	unsigned n, tbar, pbar;
	uint32_t toff, poff, t, p;
	const char *tp, *pp;

	if (ctx->msix_cap <= 0) {
		conf_set(ctx, "PCI-DEV-53", CONF_NOT_APPLICABLE, "device has no MSI-X capability");
		conf_set(ctx, "PCI-DEV-54", CONF_NOT_APPLICABLE, "device has no MSI-X capability");
		return 0;
	}
	n = ctx->msix_size;
	t = conf_cfg_read(ctx, (uint16_t)(ctx->msix_cap + PCI_MSIX_TABLE), 4);
	p = conf_cfg_read(ctx, (uint16_t)(ctx->msix_cap + PCI_MSIX_PBA), 4);
	tbar = t & PCI_MSIX_TABLE_BIR;
	toff = t & PCI_MSIX_TABLE_OFFSET;
	pbar = p & PCI_MSIX_PBA_BIR;
	poff = p & PCI_MSIX_PBA_OFFSET;
	conf_expect(ctx, "PCI-DEV-53", n >= 2 && n <= 0x800,
		    "%u MSI-X vectors (recommended 2..2048)", n);
	if (n > MSIX_MAX_VECTORS) {
		conf_set(ctx, "PCI-DEV-54", CONF_FAIL,
			 "%u vectors cannot be reported in the 11-bit Table Size field", n);
		return 0;
	}
	tp = region_problem(ctx, tbar, toff, (uint64_t)n * MSIX_ENTRY_SIZE);
	pp = region_problem(ctx, pbar, poff, ((n + 63) / 64) * 8ULL);
	if (!tp && !pp && tbar == pbar && poff < toff + (uint64_t)n * MSIX_ENTRY_SIZE &&
	    toff < poff + ((n + 63) / 64) * 8ULL)
		tp = "overlaps the PBA";
	if (tp)
		conf_set(ctx, "PCI-DEV-54", CONF_FAIL, "MSI-X table of %u entries at BAR%u+0x%x %s",
			 n, tbar, toff, tp);
	else if (pp)
		conf_set(ctx, "PCI-DEV-54", CONF_FAIL, "MSI-X PBA for %u vectors at BAR%u+0x%x %s",
			 n, pbar, poff, pp);
	else if (ctx->cc)
		check_usable(ctx, n, tbar, toff, pbar, poff);
	else
		conf_set(ctx, "PCI-DEV-54", CONF_FAIL, "no usable common configuration to map "
			 "vectors with");
	return 0;
}

const struct conf_check conf_check_pci_msix = {
	.name = "pci_msix",
	.description = "MSI-X table size and placement (4.1.5.1.2)",
	.requirements = reqs,
	.run = run,
};
