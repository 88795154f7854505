// SPDX-License-Identifier: MIT
/*
 * Mutants for the configuration checks: common configuration registers,
 * the PCI configuration access capability, MSI-X vector mapping, feature
 * negotiation and the device-specific configuration.
 */
#include "conformance/mutants/mutant.h"

#include <stddef.h>
#include <string.h>

/* common_cfg: writing a high address half clears the low half. */
static bool half_clobber_write(struct mut *m, uint8_t bar, uint64_t off, uint8_t size,
			       uint64_t *v)
{
	(void)size;
	(void)v;
	if (bar == IFCVF_BAR_CFG && (off == VIRTIO_PCI_COMMON_Q_DESCHI ||
				     off == VIRTIO_PCI_COMMON_Q_AVAILHI ||
				     off == VIRTIO_PCI_COMMON_Q_USEDHI))
		mut_inner_write(m, off - 4, 4, 0);
	return true;
}

CONF_MUTANT(conf_mut_addr_half_clobber, .name = "addr_half_clobber", .check = "common_cfg",
	    .requirement = "PCI-DEV-08",
	    .bug = "writing the high half of a queue address clears the low half",
	    .mmio_write = half_clobber_write);

/* common_cfg: driver_feature reads 0. */
static void feature_zero_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)m;
	(void)size;
	if (bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_GF)
		*v = 0;
}

CONF_MUTANT(conf_mut_driver_feature_zero, .name = "driver_feature_zero", .check = "common_cfg",
	    .requirement = "PCI-DEV-15", .bug = "driver_feature always reads 0",
	    .mmio_read = feature_zero_read);

/* common_cfg: queues that do not exist report a size. */
static void ghost_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)size;
	if (bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_Q_SIZE &&
	    m->qsel >= mut_inner_read(m, VIRTIO_PCI_COMMON_NUMQ, 2))
		*v = 256;
}

CONF_MUTANT(conf_mut_ghost_queue, .name = "ghost_queue", .check = "common_cfg",
	    .requirement = "PCI-DEV-25", .bug = "queue_size reads 256 for queues that do not exist",
	    .mmio_read = ghost_read);

/* pci_cfg_access: a configuration access capability too short for the window. */
static void pcicfg_short_layout(struct mut *m, struct vdpasim_pci_layout *l)
{
	(void)m;
	for (unsigned i = 0; i < l->nr_vendor_caps; i++)
		if (l->vendor_caps[i].bytes[3] == VIRTIO_PCI_CAP_PCI_CFG) {
			l->vendor_caps[i].len = 16;
			l->vendor_caps[i].bytes[2] = 16;
		}
}

CONF_MUTANT(conf_mut_pcicfg_short, .name = "pcicfg_short", .check = "pci_cfg_access",
	    .requirement = "PCI-DEV-52",
	    .bug = "the PCI configuration access capability has no pci_cfg_data",
	    .layout = pcicfg_short_layout);

/* msix_mapping: NO_VECTOR writes to queue_msix_vector are ignored. */
static bool vector_sticky_write(struct mut *m, uint8_t bar, uint64_t off, uint8_t size,
				uint64_t *v)
{
	(void)m;
	(void)size;
	return !(bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_Q_MSIX && *v == 0xffff);
}

CONF_MUTANT(conf_mut_vector_sticky, .name = "vector_sticky", .check = "msix_mapping",
	    .requirement = "PCI-DEV-57", .bug = "a queue cannot be unmapped (NO_VECTOR ignored)",
	    .mmio_write = vector_sticky_write);

/* msix_mapping: any vector number reads back as written. */
static void overcommit_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)size;
	if (bar != IFCVF_BAR_CFG)
		return;
	if (off == VIRTIO_PCI_COMMON_Q_MSIX && m->qsel < MUT_MAXQ)
		*v = m->qvector[m->qsel];
	if (off == VIRTIO_PCI_COMMON_MSIX)
		*v = m->cfg_vector;
}

CONF_MUTANT(conf_mut_vector_overcommit, .name = "vector_overcommit", .check = "msix_mapping",
	    .requirement = "PCI-DEV-61",
	    .bug = "vector fields read back whatever was written, vectors past the table too",
	    .mmio_read = overcommit_read);

/* msix_mapping: mappings survive a device reset. */
static void keep_vectors_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)size;
	if (bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_MSIX && *v == 0xffff && m->n[0])
		*v = (uint16_t)(m->n[1] - 1);
}

static bool keep_vectors_write(struct mut *m, uint8_t bar, uint64_t off, uint8_t size,
			       uint64_t *v)
{
	(void)size;
	if (bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_MSIX) {
		m->n[0] = 0;
		if (*v != 0xffff)
			m->n[1] = *v + 1;
	}
	return true;
}

static void keep_vectors_reset(struct mut *m)
{
	m->n[0] = m->n[1] != 0;
}

CONF_MUTANT(conf_mut_vector_no_reset, .name = "vector_no_reset", .check = "msix_mapping",
	    .requirement = "PCI-DEV-59",
	    .bug = "config_msix_vector keeps its mapping across a device reset",
	    .mmio_read = keep_vectors_read, .mmio_write = keep_vectors_write,
	    .reset = keep_vectors_reset);

/* feature_negotiation: unoffered bits are dropped silently, FEATURES_OK kept. */
static bool accept_any_write(struct mut *m, uint8_t bar, uint64_t off, uint8_t size,
			     uint64_t *v)
{
	(void)size;
	if (bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_GF) {
		uint32_t sel = (uint32_t)mut_inner_read(m, VIRTIO_PCI_COMMON_GFSELECT, 4);
		uint64_t offered;

		mut_inner_write(m, VIRTIO_PCI_COMMON_DFSELECT, 4, sel);
		offered = mut_inner_read(m, VIRTIO_PCI_COMMON_DF, 4);
		*v &= offered;
	}
	return true;
}

CONF_MUTANT(conf_mut_accept_any_features, .name = "accept_any_features",
	    .check = "feature_negotiation", .requirement = "FEAT-DEV-03",
	    .bug = "keeps FEATURES_OK for features it does not offer (ignores them)",
	    .mmio_write = accept_any_write);

/* config_space: the net configuration reads 0 before FEATURES_OK. */
static void devcfg_late_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)size;
	if (bar == IFCVF_BAR_CFG && off >= IFCVF_DEVCFG_OFF &&
	    off < IFCVF_DEVCFG_OFF + IFCVF_DEVCFG_LEN && !(m->status & VIRTIO_CONFIG_S_FEATURES_OK))
		*v = 0;
}

CONF_MUTANT(conf_mut_devcfg_late, .name = "devcfg_late", .check = "config_space",
	    .requirement = "CFG-DEV-01",
	    .bug = "the net configuration reads 0 until FEATURES_OK",
	    .mmio_read = devcfg_late_read);

/* config_space: mtu grows with every reset. */
static void mtu_drift_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	if (bar == IFCVF_BAR_CFG && off == IFCVF_DEVCFG_OFF + offsetof(struct virtio_net_config, mtu) &&
	    size == 2)
		*v += m->resets;
}

CONF_MUTANT(conf_mut_mtu_drift, .name = "mtu_drift", .check = "config_space",
	    .requirement = "NET-CFG-DEV-04", .bug = "mtu changes with every reset",
	    .mmio_read = mtu_drift_read);

/* config_space: config_generation never changes. */
static void gen_frozen_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)m;
	if (bar != IFCVF_BAR_CFG)
		return;
	if (off == VIRTIO_PCI_COMMON_CFGGENERATION)
		*v = 0;
	if (off == VIRTIO_PCI_COMMON_STATUS && size >= 2)
		*v &= 0xff;
}

CONF_MUTANT(conf_mut_gen_frozen, .name = "gen_frozen", .check = "config_space",
	    .requirement = "PCI-DEV-17", .bug = "config_generation always reads 0",
	    .mmio_read = gen_frozen_read);

/* config_space: link changes raise no interrupt. */
static bool link_silent_send(struct mut *m, uint16_t *vector)
{
	return *vector != m->cfg_vector;
}

CONF_MUTANT(conf_mut_link_silent, .name = "link_silent", .check = "config_space",
	    .requirement = "OPS-DEV-X01",
	    .bug = "a link change raises no configuration interrupt",
	    .msix_send = link_silent_send);

/* config_space: reading ISR status does not clear it. */
static void isr_sticky_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)size;
	if (bar == IFCVF_BAR_CFG && off == IFCVF_ISR_OFF) {
		m->n[2] |= *v;
		*v = m->n[2];
	}
}

CONF_MUTANT(conf_mut_isr_sticky, .name = "isr_sticky", .check = "config_space",
	    .requirement = "PCI-DEV-43", .bug = "reading ISR status does not clear it",
	    .mmio_read = isr_sticky_read);

/* config_space: NO_VECTOR for configuration changes is taken as vector 0. */
static bool cfg_vec_write(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)m;
	(void)size;
	if (bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_MSIX && *v == 0xffff)
		*v = 0;
	return true;
}

static void cfg_vec_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)size;
	if (bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_MSIX && m->cfg_vector == 0xffff)
		*v = 0xffff;
}

CONF_MUTANT(conf_mut_cfg_vector_ignored, .name = "cfg_vector_ignored", .check = "config_space",
	    .requirement = "PCI-DEV-63",
	    .bug = "configuration changes unmapped (NO_VECTOR) still interrupt on vector 0",
	    .mmio_write = cfg_vec_write, .mmio_read = cfg_vec_read);

/* common_cfg: offers ADMIN_VQ, with an admin queue index inside the regular queues. */
static void admin_bogus_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)m;
	(void)size;
	if (bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_ADM_Q_IDX)
		*v = 1;
	if (bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_ADM_Q_NUM)
		*v = 1;
}

CONF_MUTANT(conf_mut_admin_index_low, .name = "admin_index_low", .check = "common_cfg",
	    .requirement = "PCI-DEV-27",
	    .bug = "offers ADMIN_VQ with admin_queue_index 1, inside the net queues",
	    .extra_features = 1ULL << VIRTIO_F_ADMIN_VQ, .mmio_read = admin_bogus_read);
