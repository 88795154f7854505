// SPDX-License-Identifier: MIT
/*
 * Mutants for the ring checks: a device that writes what it must only read,
 * returns wrong ids, writes stray used flags, gets the packed wrap counter
 * wrong.  They hook the device's DMA and know the rings from its
 * queue_enabled announcements.
 */
#include "conformance/mutants/mutant.h"

#include <string.h>

static bool ring_area(const struct mut *m, uint64_t iova, uint16_t *q, int *area)
{
	for (uint16_t i = 0; i < MUT_MAXQ; i++) {
		const struct mut_ring *r = &m->ring[i];

		if (!r->on)
			continue;
		if (iova >= r->desc && iova < r->desc + 16ULL * r->size)
			*area = 0;
		else if (iova >= r->driver && iova < r->driver + (r->packed ? 4 : 6 + 2ULL * r->size))
			*area = 1;
		else if (iova >= r->device && iova < r->device + (r->packed ? 4 : 6 + 8ULL * r->size))
			*area = 2;
		else
			continue;
		*q = i;
		return true;
	}
	return false;
}

/* A buffer the device read is written back (same bytes). */
static void write_readable_read(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	uint16_t q;
	int area;

	if (!ring_area(m, iova, &q, &area) && len >= 60)
		mut_dma_write(m, iova, data, len);
}

CONF_MUTANT(conf_mut_write_readable, .name = "write_readable", .check = "ring_datapath",
	    .requirement = "SPLIT-DEV-03",
	    .bug = "writes back the transmit buffers it reads (device-readable buffers)",
	    .dma_read = write_readable_read);

CONF_MUTANT(conf_mut_write_readable_packed, .name = "write_readable_packed",
	    .check = "ring_datapath", .requirement = "PACKED-DEV-04",
	    .bug = "writes back the transmit buffers it reads, packed ring",
	    .dma_read = write_readable_read, .rings = CONF_RING_PACKED);

/* The split descriptor table written back after reading it. */
static void desc_writer_read(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	uint16_t q;
	int area;

	if (ring_area(m, iova, &q, &area) && area == 0 && !m->ring[q].packed)
		mut_dma_write(m, iova, data, len);
}

CONF_MUTANT(conf_mut_desc_writer, .name = "desc_writer", .check = "ring_datapath",
	    .requirement = "SPLIT-DEV-06",
	    .bug = "writes the split descriptor table (the same bytes it read)",
	    .dma_read = desc_writer_read);

/* Used element ids off by one. */
static bool used_id_write(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	uint16_t q;
	int area;

	if (!ring_area(m, iova, &q, &area))
		return true;
	if (!m->ring[q].packed && area == 2) {
		const struct mut_ring *r = &m->ring[q];

		/* elements at 4 + 8 i: id in their first 4 bytes */
		for (uint32_t o = 0; o + 8 <= len; o += 8) {
			uint64_t at = iova + o - (r->device + 4);

			if (iova + o >= r->device + 4 && at % 8 == 0)
				data[o] ^= 1;
		}
	}
	if (m->ring[q].packed && area == 0 && len >= 16 && iova % 16 == 0)
		data[12] ^= 1; /* the buffer id of a used descriptor */
	return true;
}

CONF_MUTANT(conf_mut_used_id_wrong, .name = "used_id_wrong", .check = "ring_datapath",
	    .requirement = "SPLIT-DEV-X03", .bug = "used elements carry the wrong head id",
	    .dma_write = used_id_write);

/* Stray used flags on a split ring. */
static bool used_flags_write(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	uint16_t q;
	int area;

	(void)data;
	(void)len;
	if (ring_area(m, iova, &q, &area) && area == 2 && !m->ring[q].packed) {
		uint8_t f[2] = { 0x00, 0x80 };

		mut_dma_write(m, m->ring[q].device, f, 2);
	}
	return true;
}

CONF_MUTANT(conf_mut_used_flags_garbage, .name = "used_flags_garbage", .check = "ring_datapath",
	    .requirement = "SPLIT-DEV-18", .bug = "writes 0x8000 into the used ring flags",
	    .dma_write = used_flags_write);

/* Packed used descriptors with the USED bit of the wrong lap. */
static bool wrap_bad_write(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	uint16_t q;
	int area;

	if (ring_area(m, iova, &q, &area) && area == 0 && m->ring[q].packed) {
		/* the flags are the last two bytes of each descriptor written */
		for (uint32_t o = 0; o < len; o++)
			if ((iova + o) % 16 == 15)
				data[o] ^= 0x80; /* VRING_PACKED_DESC_F_USED is bit 15 */
	}
	return true;
}

CONF_MUTANT(conf_mut_packed_wrap_bad, .name = "packed_wrap_bad", .check = "ring_datapath",
	    .requirement = "PACKED-DEV-X02",
	    .bug = "used descriptors carry a USED bit that does not match the wrap counter",
	    .dma_write = wrap_bad_write, .rings = CONF_RING_PACKED);

/* ---- ring_notify ------------------------------------------------------------------------------ */

/* Odd (transmit) queues never interrupt. */
static bool no_tx_irq_send(struct mut *m, uint16_t *vector)
{
	for (unsigned q = 1; q < MUT_MAXQ; q += 2)
		if (m->qvector[q] == *vector && *vector != 0xffff && *vector != m->cfg_vector)
			return false;
	return true;
}

CONF_MUTANT(conf_mut_no_tx_irq, .name = "no_tx_irq", .check = "ring_notify",
	    .requirement = "SPLIT-DEV-11",
	    .bug = "transmit completions never interrupt", .msix_send = no_tx_irq_send);

CONF_MUTANT(conf_mut_no_tx_irq_packed, .name = "no_tx_irq_packed", .check = "ring_notify",
	    .requirement = "PACKED-DEV-X08",
	    .bug = "transmit completions never interrupt, packed ring", .msix_send = no_tx_irq_send,
	    .rings = CONF_RING_PACKED);

/* vring_need_event (virtio 1.3 2.7.7.2) */
static bool need_event(uint16_t ev, uint16_t newi, uint16_t old)
{
	return (uint16_t)(newi - ev - 1) < (uint16_t)(newi - old);
}

/* Split queue q's interrupt is dropped when used_event says so (EVENT_IDX or not). */
static bool used_event_always_send(struct mut *m, uint16_t *vector)
{
	for (uint16_t q = 0; q < MUT_MAXQ; q++) {
		const struct mut_ring *r = &m->ring[q];
		uint8_t b[2];
		uint16_t idx, ev;

		if (!r->on || r->packed || m->qvector[q] != *vector)
			continue;
		if (mut_dma_read(m, r->device + 2, b, 2))
			continue;
		idx = (uint16_t)(b[0] | b[1] << 8);
		if (mut_dma_read(m, r->driver + 4 + 2ULL * r->size, b, 2))
			continue;
		ev = (uint16_t)(b[0] | b[1] << 8);
		/* the device remembers where it last interrupted in n[q % 8] */
		if (!need_event(ev, idx, (uint16_t)m->n[q % 8]))
			return false;
		m->n[q % 8] = idx;
	}
	return true;
}

CONF_MUTANT(conf_mut_used_event_always, .name = "used_event_always", .check = "ring_notify",
	    .requirement = "SPLIT-DEV-09",
	    .bug = "obeys used_event even when EVENT_IDX was not negotiated",
	    .msix_send = used_event_always_send);

/* Split queue q's interrupt is dropped while avail flags has NO_INTERRUPT, EVENT_IDX or not. */
static bool no_int_flag_send(struct mut *m, uint16_t *vector)
{
	for (uint16_t q = 0; q < MUT_MAXQ; q++) {
		const struct mut_ring *r = &m->ring[q];
		uint8_t b[2];

		if (!r->on || r->packed || m->qvector[q] != *vector)
			continue;
		if (!mut_dma_read(m, r->driver, b, 2) && (b[0] & VRING_AVAIL_F_NO_INTERRUPT))
			return false;
	}
	return true;
}

CONF_MUTANT(conf_mut_no_interrupt_flag_always, .name = "no_interrupt_flag_always",
	    .check = "ring_notify", .requirement = "SPLIT-DEV-12",
	    .bug = "obeys VRING_AVAIL_F_NO_INTERRUPT although EVENT_IDX was negotiated",
	    .msix_send = no_int_flag_send);

/* A queue mapped to NO_VECTOR interrupts on vector 0 anyway. */
static bool fallback_write(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)size;
	if (bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_Q_MSIX && *v == 0xffff)
		*v = m->qsel; /* "no vector" taken as "the queue's own" */
	return true;
}

static void fallback_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)size;
	if (bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_Q_MSIX && m->qsel < MUT_MAXQ &&
	    m->qvector[m->qsel] == 0xffff)
		*v = 0xffff;
}

CONF_MUTANT(conf_mut_vector_fallback, .name = "vector_fallback", .check = "ring_notify",
	    .requirement = "PCI-DEV-62",
	    .bug = "a queue mapped to NO_VECTOR still interrupts, on the vector of its number",
	    .mmio_write = fallback_write, .mmio_read = fallback_read);

/* ---- ring_framing, ring_indirect ---------------------------------------------------------------- */

/* NEXT is lost from every descriptor the device reads: chains are cut after their head. */
static void ignore_next_read(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	uint16_t q;
	int area;

	if (!ring_area(m, iova, &q, &area) || area != 0)
		return;
	for (uint32_t o = 0; o < len; o++) {
		uint64_t at = (iova + o) % 16;

		/* split flags at 12, packed flags at 14; NEXT is bit 0 */
		if (at == (m->ring[q].packed ? 14u : 12u))
			data[o] &= (uint8_t)~VRING_DESC_F_NEXT;
	}
}

CONF_MUTANT(conf_mut_ignore_next, .name = "ignore_next", .check = "ring_framing",
	    .requirement = "SPLIT-DEV-01",
	    .bug = "takes only the first descriptor of a chain", .dma_read = ignore_next_read);

CONF_MUTANT(conf_mut_ignore_next_packed, .name = "ignore_next_packed", .check = "ring_framing",
	    .requirement = "PACKED-DEV-08",
	    .bug = "takes only the first descriptor of a list, packed ring",
	    .dma_read = ignore_next_read, .rings = CONF_RING_PACKED);

/* An INDIRECT descriptor that also has WRITE is taken as a plain writable buffer. */
static void indirect_write_read(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	uint16_t q;
	int area;

	if (!ring_area(m, iova, &q, &area) || area != 0 || m->ring[q].packed)
		return;
	for (uint32_t o = 0; o < len; o++)
		if ((iova + o) % 16 == 12 &&
		    (data[o] & (VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE)) ==
			    (VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE))
			data[o] &= (uint8_t)~VRING_DESC_F_INDIRECT;
}

CONF_MUTANT(conf_mut_indirect_write_confused, .name = "indirect_write_confused",
	    .check = "ring_indirect", .requirement = "SPLIT-DEV-07",
	    .bug = "an INDIRECT descriptor with WRITE set is taken as a writable buffer",
	    .dma_read = indirect_write_read);

/* ---- ring_avail, packed_sizes ------------------------------------------------------------------ */

/* The split avail idx the device reads is one ahead of what the driver wrote. */
static void overrun_read(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	uint16_t q;
	int area;

	if (!ring_area(m, iova, &q, &area) || area != 1 || m->ring[q].packed || q % 2 == 0)
		return;
	/* avail idx at driver + 2 */
	if (iova <= m->ring[q].driver + 2 && iova + len >= m->ring[q].driver + 4) {
		uint32_t o = (uint32_t)(m->ring[q].driver + 2 - iova);
		uint16_t v = (uint16_t)(data[o] | data[o + 1] << 8);

		v++;
		data[o] = (uint8_t)v;
		data[o + 1] = (uint8_t)(v >> 8);
	}
}

CONF_MUTANT(conf_mut_avail_overrun, .name = "avail_overrun", .check = "ring_avail",
	    .requirement = "SPLIT-DEV-X02",
	    .bug = "takes the available entry at avail idx, one beyond those exposed",
	    .dma_read = overrun_read);

/* Packed descriptors read all look available for the current lap. */
static void stale_ok_read(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	uint16_t q;
	int area;

	if (!ring_area(m, iova, &q, &area) || area != 0 || !m->ring[q].packed || q % 2 == 0)
		return;
	for (uint32_t o = 0; o < len; o++)
		if ((iova + o) % 16 == 15 && (data[o] & 0x80) && o >= 1 && (data[o - 1] & 0x80))
			data[o] &= 0x7f; /* AVAIL = USED = 1 becomes AVAIL = 1, USED = 0 */
}

CONF_MUTANT(conf_mut_packed_stale_ok, .name = "packed_stale_ok", .check = "ring_avail",
	    .requirement = "PACKED-DEV-06",
	    .bug = "takes packed descriptors whose AVAIL/USED bits belong to the previous lap",
	    .dma_read = stale_ok_read, .rings = CONF_RING_PACKED);

/* Queue sizes are rounded down to a power of two inside the device. */
static bool pow2_write(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)m;
	(void)size;
	if (bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_Q_SIZE && *v)
		while (*v & (*v - 1))
			*v &= *v - 1;
	return true;
}

/* ... while queue_size reads back what the driver wrote */
static void pow2_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)size;
	if (bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_Q_SIZE && m->qsel < MUT_MAXQ &&
	    m->qsize[m->qsel])
		*v = m->qsize[m->qsel];
}

CONF_MUTANT(conf_mut_packed_pow2_only, .name = "packed_pow2_only", .check = "packed_sizes",
	    .requirement = "PACKED-DEV-X12",
	    .bug = "rounds packed queue sizes down to a power of two (and hides it)",
	    .mmio_write = pow2_write, .mmio_read = pow2_read, .rings = CONF_RING_PACKED);

/* Packed device event suppression flags written as 3 (reserved) with every used descriptor. */
static bool event_flags_write(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	uint16_t q;
	int area;

	(void)data;
	(void)len;
	if (ring_area(m, iova, &q, &area) && area == 0 && m->ring[q].packed) {
		uint8_t ev[4] = { 0, 0, 3, 0 };

		mut_dma_write(m, m->ring[q].device, ev, 4);
	}
	return true;
}

CONF_MUTANT(conf_mut_packed_event_flags_bad, .name = "packed_event_flags_bad",
	    .check = "ring_datapath", .requirement = "PACKED-DEV-X11",
	    .bug = "writes the reserved value 3 into its packed event suppression flags",
	    .dma_write = event_flags_write, .rings = CONF_RING_PACKED);
