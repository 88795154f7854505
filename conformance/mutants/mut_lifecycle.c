// SPDX-License-Identifier: MIT
/*
 * Mutants for the device life-cycle checks: DRIVER_OK gating, NEEDS_RESET,
 * device reset.
 */
#include "conformance/mutants/mutant.h"

/* driver_ok_gate: a doorbell before DRIVER_OK starts the queues anyway. */
static bool early_start_write(struct mut *m, uint8_t bar, uint64_t off, uint8_t size,
			      uint64_t *v)
{
	(void)size;
	(void)v;
	if (bar == IFCVF_BAR_CFG && off >= IFCVF_NOTIFY_OFF &&
	    off < IFCVF_NOTIFY_OFF + IFCVF_NOTIFY_LEN && (m->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(m->status & VIRTIO_CONFIG_S_DRIVER_OK) && !m->n[0]) {
		m->n[0] = 1;
		mut_inner_write(m, VIRTIO_PCI_COMMON_STATUS, 1,
				m->status | VIRTIO_CONFIG_S_DRIVER_OK);
	}
	return true;
}

static void early_start_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)size;
	/* the driver does not see the DRIVER_OK it did not write */
	if (m->n[0] && bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_STATUS &&
	    !(m->status & VIRTIO_CONFIG_S_DRIVER_OK))
		*v &= ~(uint64_t)VIRTIO_CONFIG_S_DRIVER_OK;
}

static void early_start_reset(struct mut *m)
{
	m->n[0] = 0;
}

CONF_MUTANT(conf_mut_early_start, .name = "early_start", .check = "driver_ok_gate",
	    .requirement = "STATUS-DEV-01",
	    .bug = "a doorbell before DRIVER_OK starts the queues",
	    .mmio_write = early_start_write, .mmio_read = early_start_read,
	    .reset = early_start_reset);

/* needs_reset: no configuration interrupt ever. */
static bool no_cfg_irq_send(struct mut *m, uint16_t *vector)
{
	return *vector != m->cfg_vector;
}

CONF_MUTANT(conf_mut_no_config_irq, .name = "no_config_irq", .check = "needs_reset",
	    .requirement = "STATUS-DEV-03",
	    .bug = "never sends the configuration change interrupt",
	    .msix_send = no_cfg_irq_send);

/* device_reset: a reset that only pretends (status reads 0, queues run on). */
static bool reset_ignored_write(struct mut *m, uint8_t bar, uint64_t off, uint8_t size,
				uint64_t *v)
{
	if (bar != IFCVF_BAR_CFG || off != VIRTIO_PCI_COMMON_STATUS || size != 1)
		return true;
	if (*v == 0 && !m->n[0]) {
		m->n[0] = 1; /* faking: swallow the reset */
		return false;
	}
	if (*v && m->n[0]) {
		/* the driver starts over: reset for real first */
		m->n[0] = 0;
		mut_inner_write(m, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	}
	return true;
}

static void reset_ignored_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size,
			       uint64_t *v)
{
	(void)size;
	if (m->n[0] && bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_STATUS)
		*v = 0;
}

CONF_MUTANT(conf_mut_reset_ignored, .name = "reset_ignored", .check = "device_reset",
	    .requirement = "RESET-DEV-02",
	    .bug = "writing 0 to device_status reads back 0 but leaves the queues running",
	    .mmio_write = reset_ignored_write, .mmio_read = reset_ignored_read,
	    .rings = CONF_RING_SPLIT | CONF_RING_PACKED);

/* vq_reset: queue_reset writes are ignored (it reads 0 at once, the queue runs on). */
static bool vqreset_ignored_write(struct mut *m, uint8_t bar, uint64_t off, uint8_t size,
				  uint64_t *v)
{
	(void)m;
	(void)size;
	(void)v;
	return !(bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_Q_RESET);
}

CONF_MUTANT(conf_mut_vqreset_ignored, .name = "vqreset_ignored", .check = "vq_reset",
	    .requirement = "VQRESET-DEV-01",
	    .bug = "ignores queue_reset: the queue keeps running", .mmio_write = vqreset_ignored_write);

/* vq_reset: a reset queue restarts at the indices it had (the LM ring state kept). */
static bool vqreset_index_write(struct mut *m, uint8_t bar, uint64_t off, uint8_t size,
				uint64_t *v)
{
	uint16_t q = m->qsel;

	(void)size;
	if (bar != IFCVF_BAR_CFG || q >= 8)
		return true;
	if (off == VIRTIO_PCI_COMMON_Q_RESET && *v == 1)
		m->n[q] = 1u << 31 | (uint32_t)m->inner_plugin->mmio_read(
			m->inner, IFCVF_BAR_LM, IFCVF_LM_RING_STATE(q), 4);
	if (off == VIRTIO_PCI_COMMON_Q_ENABLE && *v == 1 && (m->n[q] >> 31)) {
		m->inner_plugin->mmio_write(m->inner, IFCVF_BAR_LM, IFCVF_LM_RING_STATE(q), 4,
					    (uint32_t)m->n[q] & 0x7fffffff);
		m->n[q] = 0;
	}
	return true;
}

CONF_MUTANT(conf_mut_vqreset_keeps_index, .name = "vqreset_keeps_index", .check = "vq_reset",
	    .requirement = "VQRESET-DEV-02",
	    .bug = "a reset queue resumes at its old avail/used indices",
	    .mmio_write = vqreset_index_write);
