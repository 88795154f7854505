// SPDX-License-Identifier: MIT
/*
 * vdpa_mbx: the management device (`vdpa dev add` / `dev del`), the vdpa
 * device's lifetime, the IOMMU domain that carries the data group's mappings,
 * and the interrupt handlers for device events and queue completions.
 */
#include "stack/vdpa_mbx/vmbx_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct vdpa_virtio_device_id id_table[] = {
	{ VIRTIO_ID_NET, 0xffffffff },
	{ 0, 0 },
};

static uint64_t full_features(const struct vmbx *vf)
{
	return (vf->caps.features & MBX_FEATURES) | VMBX_EMULATED_FEATURES;
}

/* ---- IOMMU domain --------------------------------------------------------------------------- */

static unsigned iommu_prot(uint32_t perm)
{
	return (perm & VHOST_ACCESS_RO ? IOMMU_READ : 0) | (perm & VHOST_ACCESS_WO ? IOMMU_WRITE : 0);
}

static bool same_map(const struct vdpa_iotlb_map *a, const struct vdpa_iotlb_map *b)
{
	return a->start == b->start && a->last == b->last && a->addr == b->addr &&
	       a->perm == b->perm;
}

/* Is m present, identical, in t? */
static bool has_map(struct vdpa_iotlb *t, const struct vdpa_iotlb_map *m)
{
	struct vdpa_iotlb_map *x = vdpa_iotlb_itree_first(t, m->start, m->start);

	return x && same_map(x, m);
}

/*
 * Make the paging domain hold exactly the data group's IOTLB: maps that went
 * away or changed are unmapped, new ones mapped; unchanged ones (and their
 * IOTLB entries) stay.  `programmed` follows every step, so after an error it
 * still says what the domain holds.  An address space never given a map (or
 * reset with reset_map) is passthrough, IOVA == PA, like the device's initial
 * mapping on mlx5: the identity domain is attached then, and the paging
 * domain emptied.
 */
int vmbx_program_domain(struct vmbx_net *n)
{
	uint32_t asid = n->group2asid[VMBX_DATA_GROUP];
	struct vdpa_iotlb none = { 0 };
	struct vdpa_iotlb *want = n->mapped[asid] ? &n->iotlb[asid] : &none;
	struct vdpa_iotlb *have = &n->programmed;
	struct vmbx *vf = n->vf;
	int err = 0;

	if (!n->domain || vf->dead)
		return 0;
	for (size_t i = 0; i < have->nmaps;) {
		struct vdpa_iotlb_map m = have->maps[i];

		if (has_map(want, &m)) {
			i++;
			continue;
		}
		iommu_unmap(n->domain, m.start, m.size);
		vdpa_iotlb_del_range(have, m.start, m.last);
	}
	for (size_t i = 0; i < want->nmaps; i++) {
		struct vdpa_iotlb_map m = want->maps[i];

		if (has_map(have, &m))
			continue;
		err = iommu_map(n->domain, m.start, m.addr, m.size, iommu_prot(m.perm));
		if (err)
			break;
		err = vdpa_iotlb_add_range(have, m.start, m.last, m.addr, m.perm);
		if (err)
			break;
	}
	iommu_attach(vf->o.iommu, vf->hf.bdf, 0, n->mapped[asid] ? n->domain : n->ident);
	return err;
}

static void domain_free(struct vmbx_net *n)
{
	struct vmbx *vf = n->vf;

	if (!n->domain)
		return;
	if (!vf->dead) {
		iommu_detach(vf->o.iommu, vf->hf.bdf, 0);
		iommu_domain_free(n->domain);
		if (n->ident)
			iommu_domain_free(n->ident);
	}
	n->domain = NULL;
	n->ident = NULL;
}

/* ---- device lifetime ------------------------------------------------------------------------ */

static void op_free(struct vdpa_device *vdev)
{
	struct vmbx_net *n = to_ndev(vdev);

	vmbx_teardown(n);
	vmbx_cvq_stop(n);
	domain_free(n);
	for (int a = 0; a < VMBX_NAS; a++)
		vdpa_iotlb_reset(&n->iotlb[a]);
	vdpa_iotlb_reset(&n->programmed);
	free(n->vqs);
	free(n->cbs);
	if (n->vf && n->vf->ndev == n)
		n->vf->ndev = NULL;
}

static int dev_add(struct vdpa_mgmt_dev *mdev, const char *name,
		   const struct vdpa_dev_set_config *cfg)
{
	struct vmbx *vf = mdev->priv;
	uint64_t features = full_features(vf);
	uint16_t pairs = vf->caps.max_vqs / 2, mtu = 1500;
	const uint8_t *mac = vf->caps.mac;
	struct vmbx_net *n;
	int err;

	if (vf->ndev)
		return -ENOSPC; /* one vdpa device per function */
	if (cfg->mask & (1ULL << VDPA_ATTR_DEV_FEATURES)) {
		if (cfg->device_features & ~features)
			return -EINVAL;
		features = cfg->device_features;
	}
	if (cfg->mask & (1ULL << VDPA_ATTR_DEV_NET_CFG_MAX_VQP)) {
		if (!cfg->net.max_vq_pairs || cfg->net.max_vq_pairs > vf->caps.max_vqs / 2)
			return -EINVAL;
		pairs = cfg->net.max_vq_pairs;
	}
	if (cfg->mask & (1ULL << VDPA_ATTR_DEV_NET_CFG_MTU)) {
		if (cfg->net.mtu < 68 || cfg->net.mtu > vf->caps.max_mtu)
			return -EINVAL;
		mtu = cfg->net.mtu;
	}
	if (cfg->mask & (1ULL << VDPA_ATTR_DEV_NET_CFG_MACADDR)) {
		if (cfg->net.mac[0] & 1)
			return -EINVAL;
		mac = cfg->net.mac;
	}
	n = vdpa_alloc_device(struct vmbx_net, vdpa, vf->sim,
			      vmbx_config_ops(vf->caps.flags & MBX_CAP_RESUME), VMBX_NGROUPS,
			      VMBX_NAS, name, false, &err);
	if (!n)
		return err;
	n->vf = vf;
	n->device_features = features;
	n->max_vqp = pairs;
	n->mtu = mtu;
	memcpy(n->mac, mac, 6);
	n->ndata = 2u * pairs;
	n->nvqs = n->ndata + ((features & (1ULL << VIRTIO_NET_F_CTRL_VQ)) ? 1 : 0);
	n->vqs = calloc(n->ndata, sizeof(*n->vqs));
	n->cbs = calloc(n->nvqs, sizeof(*n->cbs));
	if (!n->vqs || !n->cbs) {
		err = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < n->ndata; i++)
		vq_state_init(&n->vqs[i].st);
	vq_state_init(&n->cvq.st);
	for (int a = 0; a < VMBX_NAS; a++)
		vdpa_iotlb_init(&n->iotlb[a]);
	vdpa_iotlb_init(&n->programmed);
	n->domain = iommu_domain_new(vf->o.iommu, IOMMU_DOMAIN_PAGING);
	n->ident = iommu_domain_new(vf->o.iommu, IOMMU_DOMAIN_IDENTITY);
	if (!n->domain || !n->ident) {
		err = -ENOMEM;
		goto fail;
	}
	err = iommu_attach(vf->o.iommu, vf->hf.bdf, 0, n->ident);
	if (err)
		goto fail;
	memcpy(n->steer.mac, n->mac, 6);
	n->steer.pairs = 1;
	vf->ndev = n;
	n->vdpa.mdev = mdev;
	err = _vdpa_register_device(&n->vdpa, n->nvqs);
	if (err)
		goto fail;
	return 0;
fail:
	vf->ndev = NULL;
	vdpa_put_device(&n->vdpa);
	return err;
}

static void dev_del(struct vdpa_mgmt_dev *mdev, struct vdpa_device *dev)
{
	(void)mdev;
	_vdpa_unregister_device(dev);
}

static const struct vdpa_mgmtdev_ops mgmt_ops = {
	.dev_add = dev_add,
	.dev_del = dev_del,
};

int vmbx_mgmt_register(struct vmbx *vf)
{
	uint16_t bdf = vf->hf.bdf;
	int err;

	snprintf(vf->mdev_name, sizeof(vf->mdev_name), "0000:%02x:%02x.%u", bdf >> 8,
		 (bdf >> 3) & 0x1f, bdf & 7);
	vf->mdev.bus_name = "pci";
	vf->mdev.dev_name = vf->mdev_name;
	vf->mdev.ops = &mgmt_ops;
	vf->mdev.id_table = id_table;
	vf->mdev.config_attr_mask =
		(1ULL << VDPA_ATTR_DEV_NET_CFG_MACADDR) | (1ULL << VDPA_ATTR_DEV_NET_CFG_MTU) |
		(1ULL << VDPA_ATTR_DEV_NET_CFG_MAX_VQP) | (1ULL << VDPA_ATTR_DEV_FEATURES);
	vf->mdev.supported_features = full_features(vf);
	vf->mdev.max_supported_vqs = vf->caps.max_vqs + 1u;
	vf->mdev.priv = vf;
	err = vdpa_mgmtdev_register(vf->sim, &vf->mdev);
	if (err)
		vf->mdev.dev_name = NULL;
	return err;
}

void vmbx_mgmt_unregister(struct vmbx *vf)
{
	if (!vf->mdev.dev_name)
		return;
	vdpa_mgmtdev_unregister(&vf->mdev);
	vf->mdev.dev_name = NULL;
}

struct vdpa_mgmt_dev *vmbx_mgmtdev(struct vmbx *vf)
{
	return vf && vf->mdev.dev_name ? &vf->mdev : NULL;
}

struct vdpa_device *vmbx_vdpa(struct vmbx *vf)
{
	return vf && vf->ndev ? &vf->ndev->vdpa : NULL;
}

struct vmbx *vmbx_from_vdpa(struct vdpa_device *vdev)
{
	if (!vdev || !vdev->config || vdev->config->free != vmbx_op_free)
		return NULL;
	return to_ndev(vdev)->vf;
}

void vmbx_op_free(struct vdpa_device *vdev)
{
	op_free(vdev);
}

int vmbx_vq_obj(struct vmbx *vf, uint16_t idx, uint32_t *obj)
{
	struct vmbx_net *n = vf ? vf->ndev : NULL;

	if (!n || idx >= n->ndata || !n->vqs[idx].has_obj)
		return -ENOENT;
	*obj = n->vqs[idx].obj;
	return 0;
}

int vmbx_query_steering(struct vmbx *vf, struct vmbx_steering *out)
{
	uint8_t o[MBX_ST_LISTS + 6 * 2 * MBX_MAX_MACS];
	int err = vmbx_exec(vf, MBX_OP_QUERY_STEERING, 0, NULL, 0, o, sizeof(o), NULL);

	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	memcpy(out->mac, o + MBX_ST_MAC, 6);
	out->promisc = o[MBX_ST_FLAGS] & MBX_STEER_PROMISC;
	out->allmulti = o[MBX_ST_FLAGS] & MBX_STEER_ALLMULTI;
	out->rx_queues = vq_le16(o + MBX_ST_RXQ);
	out->nuc = vq_le16(o + MBX_ST_NUC);
	out->nmc = vq_le16(o + MBX_ST_NMC);
	if (out->nuc > MBX_MAX_MACS || out->nmc > MBX_MAX_MACS)
		return -EIO;
	for (unsigned i = 0; i < out->nuc; i++)
		memcpy(out->uc[i], o + MBX_ST_LISTS + 6 * i, 6);
	for (unsigned i = 0; i < out->nmc; i++)
		memcpy(out->mc[i], o + MBX_ST_LISTS + 6 * (out->nuc + i), 6);
	return 0;
}

/* ---- interrupts ----------------------------------------------------------------------------- */

/* Device events: queue errors (virtio's DEVICE_NEEDS_RESET) and link changes,
 * both reported to the vdpa driver as a config change. */
void vmbx_event_irq(struct vmbx *vf)
{
	struct vmbx_net *n = vf->ndev;
	uint32_t cause = vmbx_rd32(vf, MBX_REG_EVENT_CAUSE);

	if (!cause)
		return;
	vmbx_wr32(vf, MBX_REG_EVENT_CAUSE, cause);
	if (cause & MBX_EV_VQ_ERROR) {
		uint64_t bits = vmbx_rd32(vf, MBX_REG_VQ_ERR_LO) |
				(uint64_t)vmbx_rd32(vf, MBX_REG_VQ_ERR_HI) << 32;

		vmbx_wr32(vf, MBX_REG_VQ_ERR_LO, (uint32_t)bits);
		vmbx_wr32(vf, MBX_REG_VQ_ERR_HI, (uint32_t)(bits >> 32));
		vf->stats.vq_error_events++;
		for (uint32_t i = 0; n && i < n->ndata && i < 64; i++)
			if (bits >> i & 1)
				n->vqs[i].fw_state = MBX_VQS_ERR;
		/* virtio 1.3 2.1.2: the device needs a reset to be usable again */
		if (n && bits)
			n->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	}
	if (cause & MBX_EV_LINK)
		vf->stats.link_events++;
	if (n && n->config_cb.callback)
		n->config_cb.callback(n->config_cb.private);
}

void vmbx_vq_irq(struct vmbx *vf, unsigned vector)
{
	struct vmbx_net *n = vf->ndev;

	if (!n)
		return;
	if (vf->per_vq_vectors) {
		uint32_t idx = vector - 2;

		if (idx < n->ndata && n->cbs[idx].callback)
			n->cbs[idx].callback(n->cbs[idx].private);
		return;
	}
	/* one vector for every queue: each handler looks at its own ring */
	for (uint32_t i = 0; i < n->ndata; i++)
		if (n->vqs[i].ready && n->cbs[i].callback)
			n->cbs[i].callback(n->cbs[i].private);
}
