// SPDX-License-Identifier: MIT
/*
 * Check "pci_msix": the MSI-X capability a device declares (virtio 1.3
 * 4.1.5.1.2).  The host builds the capability from the layout, so Table Size
 * reports msix_vectors exactly when a table of that many entries and its PBA
 * fit, aligned, inside BARs the device implements.
 */
#include "conformance/conf_priv.h"

static const char *const reqs[] = { "PCI-DEV-53", "PCI-DEV-54", NULL };

#define MSIX_ENTRY_SIZE 16
#define MSIX_MAX_VECTORS 2048 /* Table Size is 11 bits, N-1 encoded */

/* A region [off, off+len) of a BAR the device has; NULL or the reason it is not. */
static const char *region_problem(const struct vdpasim_pci_layout *l, unsigned bar, uint64_t off,
				  uint64_t len)
{
	if (bar >= VDPASIM_MAX_BARS)
		return "names a BAR beyond BAR5";
	if (!l->bars[bar].size)
		return "lies in a BAR the device does not implement";
	/* PCI: the BIR field takes the low 3 bits, so offsets are QWORD aligned */
	if (off & 7)
		return "offset is not 8-byte aligned";
	if (off > l->bars[bar].size || len > l->bars[bar].size - off)
		return "does not fit in its BAR";
	return NULL;
}

static int run(struct conf_ctx *ctx)
{
	const struct vdpasim_pci_layout *l = &ctx->layout;
	unsigned n = l->msix_vectors;
	const char *tp, *pp;

	if (!n) {
		conf_set(ctx, "PCI-DEV-53", CONF_NOT_APPLICABLE, "device has no MSI-X capability");
		conf_set(ctx, "PCI-DEV-54", CONF_NOT_APPLICABLE, "device has no MSI-X capability");
		return 0;
	}
	conf_expect(ctx, "PCI-DEV-53", n >= 2 && n <= 0x800,
		    "%u MSI-X vectors (recommended 2..2048)", n);
	if (n > MSIX_MAX_VECTORS) {
		conf_set(ctx, "PCI-DEV-54", CONF_FAIL,
			 "%u vectors cannot be reported in the 11-bit Table Size field", n);
		return 0;
	}
	tp = region_problem(l, l->msix_table_bar, l->msix_table_offset,
			    (uint64_t)n * MSIX_ENTRY_SIZE);
	pp = region_problem(l, l->msix_pba_bar, l->msix_pba_offset, ((n + 63) / 64) * 8ULL);
	if (!tp && !pp && l->msix_table_bar == l->msix_pba_bar &&
	    l->msix_pba_offset < l->msix_table_offset + (uint64_t)n * MSIX_ENTRY_SIZE &&
	    l->msix_table_offset < l->msix_pba_offset + ((n + 63) / 64) * 8ULL)
		tp = "overlaps the PBA";
	if (tp)
		conf_set(ctx, "PCI-DEV-54", CONF_FAIL, "MSI-X table of %u entries at BAR%u+0x%x %s",
			 n, l->msix_table_bar, l->msix_table_offset, tp);
	else if (pp)
		conf_set(ctx, "PCI-DEV-54", CONF_FAIL, "MSI-X PBA for %u vectors at BAR%u+0x%x %s",
			 n, l->msix_pba_bar, l->msix_pba_offset, pp);
	else
		conf_set(ctx, "PCI-DEV-54", CONF_PASS,
			 "Table Size reports %u vectors; table at BAR%u+0x%x, PBA at BAR%u+0x%x", n,
			 l->msix_table_bar, l->msix_table_offset, l->msix_pba_bar,
			 l->msix_pba_offset);
	return 0;
}

const struct conf_check conf_check_pci_msix = {
	.name = "pci_msix",
	.description = "MSI-X table size and placement (4.1.5.1.2)",
	.requirements = reqs,
	.run = run,
};
