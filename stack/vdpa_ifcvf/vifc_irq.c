// SPDX-License-Identifier: MIT
/*
 * vdpa_ifcvf interrupts: MSI-X vector allocation through the function's
 * MSI-X capability and table, the three IFCVF layouts, and the handlers the
 * root complex calls when a message arrives on our route.
 */
#include "stack/vdpa_ifcvf/vifc_priv.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#define IRQ_KEY "vdpa_ifcvf.irq"
#define IRQ_FIRST 64 /* host irq numbers handed out from here */

struct irq_alloc {
	int next;
};

/* A block of n host irq numbers for one function (deterministic, never reused). */
int vifc_irq_alloc_block(struct sim *sim, unsigned int n)
{
	struct irq_alloc *a = eng_attached(sim, IRQ_KEY);
	int base;

	if (!a) {
		a = calloc(1, sizeof(*a));
		if (!a)
			return -ENOMEM;
		a->next = IRQ_FIRST;
		if (eng_attach(sim, IRQ_KEY, a, free)) {
			free(a);
			return -ENOMEM;
		}
	}
	if (n > (unsigned int)(INT_MAX - a->next))
		return -ENOSPC;
	base = a->next;
	a->next += (int)n;
	return base;
}

/* ---- handlers ------------------------------------------------------------------------------ */

static void config_changed(struct vifc *vf)
{
	if (vf->config_cb.callback) {
		vf->stats.config_callbacks++;
		vf->config_cb.callback(vf->config_cb.private);
	}
}

static void vq_intr(struct vifc *vf, uint16_t qid)
{
	struct vifc_vring *vr = &vf->vring[qid];

	if (vr->cb.callback) {
		vf->stats.vq_callbacks++;
		vr->cb.callback(vr->cb.private);
	}
}

/* The shared vector cannot tell queues apart: every queue's callback runs. */
static void vqs_reused_intr(struct vifc *vf)
{
	for (uint16_t q = 0; q < vf->nr_vring; q++)
		vq_intr(vf, q);
}

/* One vector for everything: ISR (read clears it) says whether config changed. */
static void dev_intr(struct vifc *vf)
{
	uint8_t isr = (uint8_t)vifc_rd(vf, vf->isr.addr, 1);

	vf->stats.isr_reads++;
	if (isr & VIRTIO_PCI_ISR_CONFIG)
		config_changed(vf);
	vqs_reused_intr(vf);
}

static void on_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct vifc *vf = ctx;
	uint32_t v = data - (uint32_t)vf->irq_base;

	(void)addr;
	vf->stats.msi_received++;
	if (data < (uint32_t)vf->irq_base || v >= vf->msix_table_size || !vf->vec_requested[v]) {
		vf->stats.msi_spurious++;
		return;
	}
	switch (vf->msix_vector_status) {
	case VIFC_IRQ_PER_VQ:
		if (v < vf->nr_vring)
			vq_intr(vf, (uint16_t)v);
		else
			config_changed(vf);
		break;
	case VIFC_IRQ_SHARED_VQ:
		if (v == 0)
			vqs_reused_intr(vf);
		else
			config_changed(vf);
		break;
	case VIFC_IRQ_DEV_SHARED:
		dev_intr(vf);
		break;
	default:
		vf->stats.msi_spurious++;
		break;
	}
}

/* ---- MSI-X table programming (pci_alloc_irq_vectors / pci_free_irq_vectors) ---------------- */

static uint64_t entry_addr(const struct vifc *vf, unsigned int v)
{
	return vf->msix_table + (uint64_t)v * PCI_MSIX_ENTRY_SIZE;
}

static uint16_t msix_ctl(struct vifc *vf)
{
	return (uint16_t)vifc_cfg_rd(vf, (uint16_t)(vf->msix_cap + PCI_MSIX_FLAGS), 2);
}

static void set_msix_ctl(struct vifc *vf, uint16_t v)
{
	vifc_cfg_wr(vf, (uint16_t)(vf->msix_cap + PCI_MSIX_FLAGS), 2, v);
}

static unsigned int vectors_wanted(const struct vifc *vf)
{
	unsigned int all = vf->nr_vring + 1u;

	switch (vf->opts.force_mode) {
	case VIFC_IRQ_DEV_SHARED:
		return 1;
	case VIFC_IRQ_SHARED_VQ:
		return all > 2 ? 2 : all;
	default:
		return all;
	}
}

/*
 * Grant min(wanted, table size, platform budget) vectors: enable MSI-X with
 * the function masked, write address/data of each entry (left masked until
 * its handler is installed), unmask the function, claim the messages.
 * Returns the number granted or -errno.
 */
static int alloc_vectors(struct vifc *vf)
{
	unsigned int n = vectors_wanted(vf);
	uint64_t msi_addr = vf->opts.msi_addr ? vf->opts.msi_addr : VIFC_MSI_ADDR_DEFAULT;
	uint16_t ctl;
	int err;

	if (vf->msix_cap < 0 || !vf->msix_table_size)
		return -ENOSPC;
	if (n > vf->msix_table_size)
		n = vf->msix_table_size;
	if (vf->opts.max_vectors && n > vf->opts.max_vectors)
		n = vf->opts.max_vectors;
	err = pcie_rc_add_msi_route(vf->rc, msi_addr, 4, (uint32_t)vf->irq_base,
				    (uint32_t)vf->irq_base + vf->msix_table_size - 1, on_msi, vf,
				    &vf->route_id);
	if (err)
		return err;
	vf->route_active = true;
	ctl = msix_ctl(vf);
	set_msix_ctl(vf, ctl | PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	for (unsigned int v = 0; v < n; v++) {
		uint64_t e = entry_addr(vf, v);

		vifc_wr(vf, e + PCI_MSIX_ENTRY_LOWER_ADDR, 4, (uint32_t)msi_addr);
		vifc_wr(vf, e + PCI_MSIX_ENTRY_UPPER_ADDR, 4, msi_addr >> 32);
		vifc_wr(vf, e + PCI_MSIX_ENTRY_DATA, 4, (uint32_t)vf->irq_base + v);
		vifc_wr(vf, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	}
	set_msix_ctl(vf, (uint16_t)((ctl | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL));
	vf->num_msix_vectors = n;
	return (int)n;
}

/* request_irq: the handler is installed, the vector unmasked. */
static void request_vector(struct vifc *vf, unsigned int v)
{
	vf->vec_requested[v] = true;
	vifc_wr(vf, entry_addr(vf, v) + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
}

static void free_vector(struct vifc *vf, unsigned int v)
{
	if (v >= vf->msix_table_size || !vf->vec_requested[v])
		return;
	vifc_wr(vf, entry_addr(vf, v) + PCI_MSIX_ENTRY_VECTOR_CTRL, 4,
		PCI_MSIX_ENTRY_CTRL_MASKBIT);
	vf->vec_requested[v] = false;
}

static void free_irq_vectors(struct vifc *vf)
{
	if (vf->num_msix_vectors) {
		for (unsigned int v = 0; v < vf->num_msix_vectors; v++)
			free_vector(vf, v);
		set_msix_ctl(vf, msix_ctl(vf) & (uint16_t)~PCI_MSIX_FLAGS_ENABLE);
	}
	if (vf->route_active)
		pcie_rc_del_msi_route(vf->rc, vf->route_id);
	vf->route_active = false;
	vf->num_msix_vectors = 0;
}

void vifc_free_irq(struct vifc *vf)
{
	if (vf->msix_vector_status == VIFC_IRQ_PER_VQ) {
		for (uint16_t q = 0; q < vf->nr_vring; q++) {
			if (vf->vring[q].irq != -EINVAL) {
				free_vector(vf, (unsigned int)(vf->vring[q].irq - vf->irq_base));
				vf->vring[q].irq = -EINVAL;
			}
		}
	} else if (vf->vqs_reused_irq != -EINVAL) {
		free_vector(vf, (unsigned int)(vf->vqs_reused_irq - vf->irq_base));
		vf->vqs_reused_irq = -EINVAL;
	}
	/* In DEV_SHARED the config irq is the vqs' one, freed above. */
	if (vf->config_irq != -EINVAL && vf->msix_vector_status != VIFC_IRQ_DEV_SHARED)
		free_vector(vf, (unsigned int)(vf->config_irq - vf->irq_base));
	vf->config_irq = -EINVAL;
	free_irq_vectors(vf);
	vf->msix_vector_status = VIFC_IRQ_AUTO;
	vf->stats.irq_frees++;
}

/* ---- the three layouts -- */

static int request_per_vq_irq(struct vifc *vf)
{
	vf->vqs_reused_irq = -EINVAL;
	for (uint16_t q = 0; q < vf->nr_vring; q++) {
		request_vector(vf, q);
		vf->vring[q].irq = vf->irq_base + q;
		if (vifc_set_vq_vector(vf, q, q) == VIRTIO_MSI_NO_VECTOR)
			goto err;
	}
	return 0;
err:
	vifc_free_irq(vf);
	return -EFAULT;
}

static int request_vqs_reused_irq(struct vifc *vf)
{
	request_vector(vf, 0);
	vf->vqs_reused_irq = vf->irq_base;
	for (uint16_t q = 0; q < vf->nr_vring; q++) {
		vf->vring[q].irq = -EINVAL;
		if (vifc_set_vq_vector(vf, q, 0) == VIRTIO_MSI_NO_VECTOR)
			goto err;
	}
	return 0;
err:
	vifc_free_irq(vf);
	return -EFAULT;
}

static int request_dev_irq(struct vifc *vf)
{
	if (request_vqs_reused_irq(vf))
		return -EFAULT;
	vf->config_irq = vf->irq_base;
	if (vifc_set_config_vector(vf, 0) == VIRTIO_MSI_NO_VECTOR) {
		vifc_free_irq(vf);
		return -EFAULT;
	}
	return 0;
}

static int request_config_irq(struct vifc *vf)
{
	unsigned int v;

	if (vf->msix_vector_status == VIFC_IRQ_PER_VQ)
		v = vf->nr_vring;
	else if (vf->msix_vector_status == VIFC_IRQ_SHARED_VQ)
		v = 1; /* vector 0 for the queues, 1 for config */
	else
		return 0;
	request_vector(vf, v);
	vf->config_irq = vf->irq_base + (int)v;
	if (vifc_set_config_vector(vf, (uint16_t)v) == VIRTIO_MSI_NO_VECTOR) {
		vifc_free_irq(vf);
		return -EFAULT;
	}
	return 0;
}

/* ifcvf_request_irq: the layout follows from the vectors granted. */
int vifc_request_irq(struct vifc *vf)
{
	int n = alloc_vectors(vf);
	int err;

	if (n <= 0) {
		free_irq_vectors(vf);
		return -EFAULT;
	}
	vf->stats.irq_requests++;
	vf->msix_vector_status = VIFC_IRQ_PER_VQ;
	if ((unsigned int)n < vf->nr_vring + 1u)
		vf->msix_vector_status = VIFC_IRQ_SHARED_VQ;
	if (n == 1) {
		vf->msix_vector_status = VIFC_IRQ_DEV_SHARED;
		return request_dev_irq(vf);
	}
	if (vf->msix_vector_status == VIFC_IRQ_PER_VQ)
		err = request_per_vq_irq(vf);
	else
		err = request_vqs_reused_irq(vf);
	if (err)
		return err;
	return request_config_irq(vf);
}
