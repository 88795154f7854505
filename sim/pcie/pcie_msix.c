// SPDX-License-Identifier: MIT
/*
 * MSI-X: the table and pending-bit array in the BAR the device chose, vector
 * and function masking, and message delivery as a timed posted write.
 * PCIe base spec 6.8 (MSI-X): a masked vector that is signalled sets its
 * pending bit; when it becomes unmasked the message is sent and the bit
 * cleared.  Vector Control bit 0 is the only writable bit of that dword and the
 * message address is dword aligned (bits 1:0 read as zero).
 */
#include "sim/pcie/pcie_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static unsigned pba_bytes(unsigned n)
{
	return ((n + 63) / 64) * 8;
}

int msix_init(struct pcie_fn *fn)
{
	unsigned n = fn->desc.msix_vectors;

	if (!n)
		return 0;
	fn->msix_table = calloc(n, PCI_MSIX_ENTRY_SIZE);
	fn->msix_pba = calloc((n + 63) / 64, sizeof(uint64_t));
	if (!fn->msix_table || !fn->msix_pba)
		return -ENOMEM;
	msix_reset(fn);
	return 0;
}

void msix_reset(struct pcie_fn *fn)
{
	unsigned n = fn->desc.msix_vectors;

	if (!n)
		return;
	/* reset state: every vector masked, address and data zero, nothing pending */
	memset(fn->msix_table, 0, (size_t)n * PCI_MSIX_ENTRY_SIZE);
	for (unsigned v = 0; v < n; v++)
		fn->msix_table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] =
			PCI_MSIX_ENTRY_CTRL_MASKBIT;
	memset(fn->msix_pba, 0, pba_bytes(n));
}

void msix_free(struct pcie_fn *fn)
{
	free(fn->msix_table);
	free(fn->msix_pba);
	fn->msix_table = NULL;
	fn->msix_pba = NULL;
}

static uint16_t msix_ctl(const struct pcie_fn *fn)
{
	return (uint16_t)cfg_get(fn, fn->msix_cap + PCI_MSIX_FLAGS, 2);
}

static bool vec_masked(const struct pcie_fn *fn, unsigned v)
{
	return fn->msix_table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] &
	       PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

static bool pending(const struct pcie_fn *fn, unsigned v)
{
	return fn->msix_pba[v / 64] >> (v % 64) & 1;
}

static void set_pending(struct pcie_fn *fn, unsigned v, bool on)
{
	if (on)
		fn->msix_pba[v / 64] |= 1ULL << (v % 64);
	else
		fn->msix_pba[v / 64] &= ~(1ULL << (v % 64));
}

bool pcie_msix_enabled(const struct pcie_fn *fn)
{
	return fn->msix_cap && (msix_ctl(fn) & PCI_MSIX_FLAGS_ENABLE);
}

bool pcie_msix_masked(const struct pcie_fn *fn, unsigned vector)
{
	if (!fn->msix_cap || vector >= fn->desc.msix_vectors)
		return true;
	return (msix_ctl(fn) & PCI_MSIX_FLAGS_MASKALL) || vec_masked(fn, vector);
}

bool pcie_msix_pending(const struct pcie_fn *fn, unsigned vector)
{
	return fn->msix_cap && vector < fn->desc.msix_vectors && pending(fn, vector);
}

static void msix_send(struct pcie_fn *fn, unsigned v, sim_time_t t)
{
	const uint8_t *e = &fn->msix_table[v * PCI_MSIX_ENTRY_SIZE];
	uint64_t addr = 0;
	uint32_t data = 0;
	sim_time_t at;

	for (unsigned i = 0; i < 8; i++)
		addr |= (uint64_t)e[PCI_MSIX_ENTRY_LOWER_ADDR + i] << (8 * i);
	for (unsigned i = 0; i < 4; i++)
		data |= (uint32_t)e[PCI_MSIX_ENTRY_DATA + i] << (8 * i);
	at = link_posted_up(fn, MSIX_MSG_BYTES, t, 0, NULL);
	fn->st.msix_tlps++;
	fn->st.msix_bytes += MSIX_MSG_BYTES;
	eng_trace(fn->rc->sim, "pcie", "msix", "bdf=%04x vec=%u addr=0x%" PRIx64 " data=0x%x at=%"
		  PRIu64, fn->bdf, v, addr, data, at);
	rc_msi_post(fn->rc, addr, data, at);
}

int pcie_msix_notify(struct pcie_fn *fn, unsigned vector, sim_time_t t)
{
	sim_time_t now = eng_now(fn->rc->sim);

	if (!fn->msix_cap)
		return -ENODEV;
	if (vector >= fn->desc.msix_vectors)
		return -EINVAL;
	if (!(msix_ctl(fn) & PCI_MSIX_FLAGS_ENABLE))
		return -ENXIO;
	if (!(cfg_command(fn) & PCI_COMMAND_MASTER))
		return -EPERM;
	if (t < now)
		t = now;
	if (pcie_msix_masked(fn, vector)) {
		set_pending(fn, vector, true);
		fn->st.msix_pended++;
		return 0;
	}
	msix_send(fn, vector, t);
	return 0;
}

/* Send what became deliverable: pending, vector unmasked, function unmasked,
 * MSI-X enabled. */
static void flush_pending(struct pcie_fn *fn, unsigned first, unsigned last, sim_time_t when)
{
	uint16_t ctl = msix_ctl(fn);

	if (!(ctl & PCI_MSIX_FLAGS_ENABLE) || (ctl & PCI_MSIX_FLAGS_MASKALL) ||
	    !(cfg_command(fn) & PCI_COMMAND_MASTER))
		return;
	if (when < eng_now(fn->rc->sim))
		when = eng_now(fn->rc->sim);
	for (unsigned v = first; v <= last && v < fn->desc.msix_vectors; v++) {
		if (pending(fn, v) && !vec_masked(fn, v)) {
			set_pending(fn, v, false);
			msix_send(fn, v, when);
		}
	}
}

void msix_control_changed(struct pcie_fn *fn, uint16_t old, uint16_t new_ctl, sim_time_t when)
{
	eng_trace(fn->rc->sim, "pcie", "msix_ctl", "bdf=%04x old=0x%04x new=0x%04x", fn->bdf, old,
		  new_ctl);
	if (fn->desc.msix_vectors)
		flush_pending(fn, 0, fn->desc.msix_vectors - 1, when);
}

static bool in_table(const struct pcie_fn *fn, unsigned bar, uint64_t off, unsigned size)
{
	uint64_t lo = fn->desc.msix_table_off;
	uint64_t hi = lo + (uint64_t)fn->desc.msix_vectors * PCI_MSIX_ENTRY_SIZE;

	return bar == fn->desc.msix_table_bar && off < hi && off + size > lo;
}

static bool in_pba(const struct pcie_fn *fn, unsigned bar, uint64_t off, unsigned size)
{
	uint64_t lo = fn->desc.msix_pba_off, hi = lo + pba_bytes(fn->desc.msix_vectors);

	return bar == fn->desc.msix_pba_bar && off < hi && off + size > lo;
}

bool msix_claims(const struct pcie_fn *fn, unsigned bar, uint64_t off, unsigned size)
{
	return fn->desc.msix_vectors && (in_table(fn, bar, off, size) || in_pba(fn, bar, off, size));
}

int msix_mmio_read(struct pcie_fn *fn, unsigned bar, uint64_t off, unsigned size, uint64_t *val)
{
	uint64_t v = 0;

	if (in_table(fn, bar, off, size)) {
		uint64_t lo = fn->desc.msix_table_off;
		uint64_t len = (uint64_t)fn->desc.msix_vectors * PCI_MSIX_ENTRY_SIZE;

		for (unsigned i = 0; i < size; i++) {
			uint64_t b = off + i - lo; /* bytes outside the table read as zero */

			if (off + i >= lo && b < len)
				v |= (uint64_t)fn->msix_table[b] << (8 * i);
		}
	} else {
		uint64_t lo = fn->desc.msix_pba_off, len = pba_bytes(fn->desc.msix_vectors);

		for (unsigned i = 0; i < size; i++) {
			uint64_t b = off + i - lo;

			if (off + i >= lo && b < len)
				v |= (fn->msix_pba[b / 8] >> (8 * (b % 8)) & 0xFF) << (8 * i);
		}
	}
	*val = v;
	return 0;
}

int msix_mmio_write(struct pcie_fn *fn, unsigned bar, uint64_t off, unsigned size, uint64_t val,
		    sim_time_t when)
{
	uint64_t lo = fn->desc.msix_table_off;
	uint64_t len = (uint64_t)fn->desc.msix_vectors * PCI_MSIX_ENTRY_SIZE;
	unsigned first = UINT32_MAX, last = 0;

	if (!in_table(fn, bar, off, size))
		return 0; /* the PBA is read-only */
	for (unsigned i = 0; i < size; i++) {
		uint64_t b;
		unsigned field;
		uint8_t byte = (uint8_t)(val >> (8 * i)), mask = 0xFF;

		if (off + i < lo || off + i - lo >= len)
			continue;
		b = off + i - lo;
		field = (unsigned)(b % PCI_MSIX_ENTRY_SIZE);
		if (field == PCI_MSIX_ENTRY_LOWER_ADDR)
			mask = 0xFC;
		else if (field == PCI_MSIX_ENTRY_VECTOR_CTRL)
			mask = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		else if (field > PCI_MSIX_ENTRY_VECTOR_CTRL)
			mask = 0;
		fn->msix_table[b] = (uint8_t)((fn->msix_table[b] & ~mask) | (byte & mask));
		if (field == PCI_MSIX_ENTRY_VECTOR_CTRL) {
			unsigned v = (unsigned)(b / PCI_MSIX_ENTRY_SIZE);

			first = v < first ? v : first;
			last = v > last ? v : last;
		}
	}
	if (first != UINT32_MAX)
		flush_pending(fn, first, last, when);
	return 0;
}
