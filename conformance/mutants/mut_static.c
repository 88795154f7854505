// SPDX-License-Identifier: MIT
/*
 * Mutants for the checks that read what the device declares: its PCI
 * identity, MSI-X table, virtio capabilities, feature bits and net
 * configuration.  Most change the layout the wrapped device filled in, or
 * what a register read returns.
 */
#include "conformance/mutants/mutant.h"

#include <stddef.h>
#include <string.h>

/* pci_identity: an Intel vendor ID on a virtio function. */
static void wrong_vendor_layout(struct mut *m, struct vdpasim_pci_layout *l)
{
	(void)m;
	l->vendor_id = 0x8086;
}

CONF_MUTANT(conf_mut_wrong_vendor, .name = "wrong_vendor", .check = "pci_identity",
	    .requirement = "PCI-DEV-02", .bug = "reports PCI vendor ID 0x8086",
	    .layout = wrong_vendor_layout);

/* pci_msix: Table Size claims more vectors than the device maps. */
static void msix_overstated_layout(struct mut *m, struct vdpasim_pci_layout *l)
{
	(void)m;
	l->msix_vectors = 64;
}

CONF_MUTANT(conf_mut_msix_overstated, .name = "msix_overstated", .check = "pci_msix",
	    .requirement = "PCI-DEV-54",
	    .bug = "MSI-X Table Size 64 while only the first 34 vectors can be mapped",
	    .layout = msix_overstated_layout);

/* virtio_pci_caps: notify_off_multiplier 3 (not a power of two). */
static void notify_mult_layout(struct mut *m, struct vdpasim_pci_layout *l)
{
	(void)m;
	for (unsigned i = 0; i < l->nr_vendor_caps; i++)
		if (l->vendor_caps[i].bytes[3] == VIRTIO_PCI_CAP_NOTIFY_CFG)
			l->vendor_caps[i].bytes[16] = 3;
}

CONF_MUTANT(conf_mut_notify_mult_odd, .name = "notify_mult_odd", .check = "virtio_pci_caps",
	    .requirement = "PCI-DEV-30", .bug = "notify_off_multiplier 3",
	    .layout = notify_mult_layout);

/* virtio_pci_caps: a shared memory region beyond its BAR, a vendor data
 * capability claiming the virtio vendor ID. */
static void extra_caps_layout(struct mut *m, struct vdpasim_pci_layout *l)
{
	struct vdpasim_vendor_cap *c;

	(void)m;
	if (l->nr_vendor_caps + 2 > VDPASIM_MAX_VENDOR_CAPS)
		return;
	c = &l->vendor_caps[l->nr_vendor_caps++];
	memset(c, 0, sizeof(*c));
	c->len = sizeof(struct virtio_pci_cap64);
	c->bytes[2] = c->len;
	c->bytes[3] = VIRTIO_PCI_CAP_SHARED_MEMORY_CFG;
	c->bytes[4] = IFCVF_BAR_LM;
	c->bytes[5] = 1;                 /* id */
	c->bytes[9] = 0x08;              /* offset 0x800 ... */
	c->bytes[13] = 0x10;             /* ... length 0x1000: past the 4 KiB BAR */
	c = &l->vendor_caps[l->nr_vendor_caps++];
	memset(c, 0, sizeof(*c));
	c->len = 16;
	c->bytes[2] = 16;
	c->bytes[3] = VIRTIO_PCI_CAP_VENDOR_CFG;
	c->bytes[6] = 0xf4;              /* vendor_id 0x1af4 */
	c->bytes[7] = 0x1a;
}

CONF_MUTANT(conf_mut_bad_extra_caps, .name = "bad_extra_caps", .check = "virtio_pci_caps",
	    .requirement = "PCI-DEV-45",
	    .bug = "a shared memory capability past the end of its BAR and a vendor data "
		   "capability with vendor_id 0x1af4",
	    .layout = extra_caps_layout);

/* feature_offer: an undefined feature bit (58) offered. */
static void reserved_bit_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size,
			      uint64_t *v)
{
	if (bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_DF && size == 4 &&
	    mut_inner_read(m, VIRTIO_PCI_COMMON_DFSELECT, 4) == 1)
		*v |= 1u << (58 - 32);
}

CONF_MUTANT(conf_mut_offer_reserved_bit, .name = "offer_reserved_bit", .check = "feature_offer",
	    .requirement = "FEAT-DEV-04", .bug = "offers feature bit 58, which the spec reserves",
	    .mmio_read = reserved_bit_read);

/* feature_offer: device_feature window 2 is not 0. */
static void window_garbage_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size,
				uint64_t *v)
{
	if (bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_DF && size == 4 &&
	    mut_inner_read(m, VIRTIO_PCI_COMMON_DFSELECT, 4) >= 2)
		*v = 0xffffffff;
}

CONF_MUTANT(conf_mut_feature_window_garbage, .name = "feature_window_garbage",
	    .check = "feature_offer", .requirement = "PCI-DEV-14",
	    .bug = "device_feature reads all ones for device_feature_select 2 and above",
	    .mmio_read = window_garbage_read);

/* net_config: mtu reads 60, below the 68 the spec allows. */
static void mtu_tiny_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	(void)m;
	if (bar == IFCVF_BAR_CFG && off == IFCVF_DEVCFG_OFF + offsetof(struct virtio_net_config, mtu) &&
	    size == 2)
		*v = 60;
}

CONF_MUTANT(conf_mut_mtu_tiny, .name = "mtu_tiny", .check = "net_config",
	    .requirement = "NET-CFG-DEV-02", .bug = "offers MTU with mtu 60",
	    .mmio_read = mtu_tiny_read);

/* net_config: offers SPEED_DUPLEX with a speed beyond 0x7fffffff. */
static void speed_bogus_read(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	if (bar != IFCVF_BAR_CFG)
		return;
	if (off == VIRTIO_PCI_COMMON_DF && size == 4 &&
	    mut_inner_read(m, VIRTIO_PCI_COMMON_DFSELECT, 4) == 1)
		*v |= 1u << (VIRTIO_NET_F_SPEED_DUPLEX - 32);
	if (off == IFCVF_DEVCFG_OFF + offsetof(struct virtio_net_config, speed) && size == 4)
		*v = 0x80000000u;
}

CONF_MUTANT(conf_mut_speed_bogus, .name = "speed_bogus", .check = "net_config",
	    .requirement = "NET-CFG-DEV-10",
	    .bug = "offers SPEED_DUPLEX with speed 0x80000000", .mmio_read = speed_bogus_read);
