// SPDX-License-Identifier: MIT
/*
 * Software vDPA parent for tests: lifetime, management device, op trace,
 * state accessors and device-side actions (the ops are in ops.c).
 */
#include "stack/vdpa_testdev/vtd_priv.h"

#include "sim/engine/engine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_KEY "vdpa_testdev"

static const struct vdpa_virtio_device_id id_table[] = {
	{ VIRTIO_ID_NET, 0xffffffff },
	{ 0, 0 },
};

/* ---- trace ------------------------------------------------------------------ */

void vtd_tr(struct vtd *d, const char *fmt, ...)
{
	va_list ap;

	if (d->ntrace >= TRACE_MAX)
		return;
	if (d->ntrace == d->trace_cap) {
		size_t ncap = d->trace_cap ? d->trace_cap * 2 : 64;
		char(*p)[TRACE_LINE] = realloc(d->trace, ncap * sizeof(*p));

		if (!p)
			return;
		d->trace = p;
		d->trace_cap = ncap;
	}
	va_start(ap, fmt);
	vsnprintf(d->trace[d->ntrace], TRACE_LINE, fmt, ap);
	va_end(ap);
	d->ntrace++;
}

size_t vtd_trace_len(const struct vtd *d)
{
	return d ? d->ntrace : 0;
}

const char *vtd_trace_at(const struct vtd *d, size_t i)
{
	return d && i < d->ntrace ? d->trace[i] : NULL;
}

void vtd_trace_clear(struct vtd *d)
{
	if (d)
		d->ntrace = 0;
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

long vtd_trace_find(const struct vtd *d, const char *prefix, size_t from)
{
	for (size_t i = from; d && i < d->ntrace; i++)
		if (starts_with(d->trace[i], prefix))
			return (long)i;
	return -1;
}

size_t vtd_trace_count(const struct vtd *d, const char *prefix)
{
	size_t n = 0;

	for (size_t i = 0; d && i < d->ntrace; i++)
		n += starts_with(d->trace[i], prefix);
	return n;
}

bool vtd_trace_has_sequence(const struct vtd *d, const char *const *prefixes)
{
	size_t at = 0;

	for (; *prefixes; prefixes++) {
		long i = vtd_trace_find(d, *prefixes, at);

		if (i < 0)
			return false;
		at = (size_t)i + 1;
	}
	return true;
}

void vtd_trace_dump(const struct vtd *d, char *buf, size_t len)
{
	size_t pos = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; d && i < d->ntrace && pos + 1 < len; i++) {
		int n = snprintf(buf + pos, len - pos, "%s\n", d->trace[i]);

		if (n < 0)
			break;
		pos += (size_t)n;
	}
}

/* ---- lifetime ----------------------------------------------------------------------- */

void vtd_op_free(struct vdpa_device *vdev)
{
	struct vtd *d = to_vtd(vdev);

	if (d->direct && d->st) {
		for (struct vtd **pp = &d->st->direct; *pp; pp = &(*pp)->next) {
			if (*pp == d) {
				*pp = d->next;
				break;
			}
		}
	}
	vtd_dp_free(d);
	for (uint32_t a = 0; d->iotlb && a < d->vdpa.nas; a++)
		vdpa_iotlb_reset(&d->iotlb[a]);
	free(d->iommu_pt);
	vdpa_iotlb_reset(&d->domain_maps);
	free(d->iotlb);
	free(d->group_asid);
	free(d->vqs);
	free(d->trace);
	free(d->ops);
}

void vtd_default_config(struct vtd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mgmtdev_name = "vdpasim_net";
	c->device_features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) |
			     (1ULL << VIRTIO_F_RING_PACKED) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |
			     (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_MTU) |
			     (1ULL << VIRTIO_NET_F_STATUS) | (1ULL << VIRTIO_NET_F_CTRL_VQ) |
			     (1ULL << VIRTIO_NET_F_MQ);
	c->max_vqp = 1;
	c->max_supported_vqp = 4;
	c->vq_num_max = 256;
	c->vq_num_min = 1;
	c->vendor_id = 0;
	c->map_mode = VTD_MAP_SET_MAP;
	c->dma_dev = VTD_DMA_IOMMU;
	c->ngroups = 2;
	c->nas = 2;
	c->has_suspend = c->has_resume = c->has_compat_reset = c->has_reset_map = true;
	c->has_vq_group = c->has_desc_group = c->has_set_group_asid = true;
	c->has_notification = c->has_vq_irq = c->has_vq_num_min = c->has_generation = true;
	c->has_iova_range = c->has_vendor_stats = true;
	c->strict_features = true;
	c->notify_base = 0xfe000000ULL;
	c->notify_stride = 4096;
	c->notify_size = 4096;
	c->iova_range.first = 0;
	c->iova_range.last = UINT64_MAX;
	c->mac[0] = 0x00;
	c->mac[1] = 0x11;
	c->mac[2] = 0x22;
	c->mac[3] = 0x33;
	c->mac[4] = 0x44;
	c->mac[5] = 0x55;
	c->mtu = 1500;
	c->config_attr_mask = (1ULL << VDPA_ATTR_DEV_NET_CFG_MACADDR) |
			      (1ULL << VDPA_ATTR_DEV_NET_CFG_MTU) |
			      (1ULL << VDPA_ATTR_DEV_NET_CFG_MAX_VQP) | (1ULL << VDPA_ATTR_DEV_FEATURES);
	c->datapath = VTD_DP_NONE;
	c->pkt_delay_ps = ENG_NS(10);
	c->batch = 64;
	c->port_link_status = true;
}

static void state_destroy(void *obj)
{
	struct vtd_state *st = obj;

	while (st->mgmts)
		vtd_mgmtdev_unregister(st->mgmts);
	while (st->direct)
		vtd_destroy(st->direct);
	free(st);
}

static struct vtd_state *state_get(struct sim *sim)
{
	struct vtd_state *st = eng_attached(sim, STATE_KEY);

	if (st)
		return st;
	/* The bus first, so that it outlives this state. */
	if (!vdpa_bus_get(sim))
		return NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->sim = sim;
	if (eng_attach(sim, STATE_KEY, st, state_destroy)) {
		free(st);
		return NULL;
	}
	return st;
}

/* Allocate and initialise (not register) a device; *nvqs receives its count. */
static struct vtd *vtd_alloc(struct sim *sim, const struct vtd_config *cfg, const char *name,
			     uint64_t features, uint16_t pairs, const uint8_t *mac, uint16_t mtu,
			     uint32_t *nvqs, int *err)
{
	struct vdpa_config_ops *ops = vtd_build_ops(cfg);
	struct vtd *d;

	if (!ops) {
		*err = -ENOMEM;
		return NULL;
	}
	d = vdpa_alloc_device(struct vtd, vdpa, sim, ops, cfg->ngroups, cfg->nas, name,
			      cfg->use_va, err);
	if (!d) {
		free(ops);
		return NULL;
	}
	d->ops = ops;
	d->cfg = *cfg;
	d->device_features = features;
	d->nvqs = 2u * pairs + ((features & (1ULL << VIRTIO_NET_F_CTRL_VQ)) ? 1 : 0);
	d->vqs = calloc(d->nvqs, sizeof(*d->vqs));
	d->group_asid = calloc(cfg->ngroups ? cfg->ngroups : 1, sizeof(*d->group_asid));
	d->iotlb = calloc(cfg->nas ? cfg->nas : 1, sizeof(*d->iotlb));
	d->iommu_pt = calloc(cfg->nas ? cfg->nas : 1, sizeof(*d->iommu_pt));
	if (!d->vqs || !d->group_asid || !d->iotlb || !d->iommu_pt || vtd_dp_init(d)) {
		vdpa_put_device(&d->vdpa);
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(d->config, mac, 6);
	if (features & (1ULL << VIRTIO_NET_F_STATUS))
		put_le16(d->config + NETCFG_STATUS, VIRTIO_NET_S_LINK_UP);
	put_le16(d->config + NETCFG_MAX_VQP, pairs);
	for (uint32_t a = 0; a < (cfg->nas ? cfg->nas : 1); a++)
		d->iommu_pt[a] = true;
	put_le16(d->config + NETCFG_MTU, mtu);
	if (cfg->map_mode == VTD_MAP_PLATFORM && cfg->dma_dev != VTD_DMA_NONE) {
		d->dma.iommu = &vtd_fake_iommu;
		d->dma.ctx = d;
		d->dma.coherent = cfg->dma_dev != VTD_DMA_NONCOHERENT;
		d->vdpa.dma_dev = &d->dma;
	}
	*nvqs = d->nvqs;
	return d;
}

/* ---- management device ----------------------------------------------------------------- */

static int mgmt_dev_add(struct vdpa_mgmt_dev *mdev, const char *name,
			const struct vdpa_dev_set_config *config)
{
	struct vtd_mgmt *m = mdev->priv;
	uint64_t features = m->cfg.device_features;
	uint16_t pairs = m->cfg.max_vqp, mtu = m->cfg.mtu;
	const uint8_t *mac = m->cfg.mac;
	uint32_t nvqs;
	struct vtd *d;
	int err;

	if (config->mask & (1ULL << VDPA_ATTR_DEV_FEATURES)) {
		/* Provisioned features must be ones this parent supports. */
		if (config->device_features & ~m->cfg.device_features)
			return -EINVAL;
		features = config->device_features;
	}
	if (config->mask & (1ULL << VDPA_ATTR_DEV_NET_CFG_MAX_VQP)) {
		if (config->net.max_vq_pairs > m->cfg.max_supported_vqp)
			return -EINVAL;
		pairs = config->net.max_vq_pairs;
	}
	if (config->mask & (1ULL << VDPA_ATTR_DEV_NET_CFG_MACADDR))
		mac = config->net.mac;
	if (config->mask & (1ULL << VDPA_ATTR_DEV_NET_CFG_MTU))
		mtu = config->net.mtu;
	d = vtd_alloc(mdev->sim, &m->cfg, name, features, pairs, mac, mtu, &nvqs, &err);
	if (!d)
		return err;
	d->st = m->st;
	d->vdpa.mdev = mdev;
	err = _vdpa_register_device(&d->vdpa, nvqs);
	if (err)
		vdpa_put_device(&d->vdpa);
	return err;
}

static void mgmt_dev_del(struct vdpa_mgmt_dev *mdev, struct vdpa_device *dev)
{
	(void)mdev;
	_vdpa_unregister_device(dev);
}

static const struct vdpa_mgmtdev_ops mgmt_ops = {
	.dev_add = mgmt_dev_add,
	.dev_del = mgmt_dev_del,
};

int vtd_mgmtdev_register(struct sim *sim, const struct vtd_config *cfg, struct vtd_mgmt **out)
{
	struct vtd_state *st = state_get(sim);
	struct vtd_mgmt *m;
	int err;

	if (!st)
		return -ENOMEM;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	if (cfg)
		m->cfg = *cfg;
	else
		vtd_default_config(&m->cfg);
	m->st = st;
	m->mdev.bus_name = m->cfg.mgmtdev_bus;
	m->mdev.dev_name = m->cfg.mgmtdev_name;
	m->mdev.ops = &mgmt_ops;
	m->mdev.id_table = id_table;
	m->mdev.config_attr_mask = m->cfg.config_attr_mask;
	m->mdev.supported_features = m->cfg.device_features;
	m->mdev.max_supported_vqs =
		2u * m->cfg.max_supported_vqp +
		((m->cfg.device_features & (1ULL << VIRTIO_NET_F_CTRL_VQ)) ? 1 : 0);
	m->mdev.priv = m;
	err = vdpa_mgmtdev_register(sim, &m->mdev);
	if (err) {
		free(m);
		return err;
	}
	m->next = st->mgmts;
	st->mgmts = m;
	if (out)
		*out = m;
	return 0;
}

void vtd_mgmtdev_unregister(struct vtd_mgmt *m)
{
	if (!m)
		return;
	vdpa_mgmtdev_unregister(&m->mdev);
	for (struct vtd_mgmt **pp = &m->st->mgmts; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	free(m);
}

struct vdpa_mgmt_dev *vtd_mgmtdev(struct vtd_mgmt *m)
{
	return m ? &m->mdev : NULL;
}

/* ---- direct devices -------------------------------------------------------------------- */

int vtd_create(struct sim *sim, const struct vtd_config *cfg, const char *name, struct vtd **out)
{
	struct vtd_config def;
	struct vtd_state *st = state_get(sim);
	uint32_t nvqs;
	struct vtd *d;
	int err;

	if (!st)
		return -ENOMEM;
	if (!cfg) {
		vtd_default_config(&def);
		cfg = &def;
	}
	d = vtd_alloc(sim, cfg, name, cfg->device_features, cfg->max_vqp, cfg->mac, cfg->mtu, &nvqs,
		      &err);
	if (!d)
		return err;
	d->st = st;
	d->direct = true;
	d->next = st->direct;
	st->direct = d;
	err = vdpa_register_device(&d->vdpa, nvqs);
	if (err) {
		vdpa_put_device(&d->vdpa);
		return err;
	}
	if (out)
		*out = d;
	return 0;
}

void vtd_destroy(struct vtd *d)
{
	if (!d)
		return;
	if (d->vdpa.registered)
		vdpa_unregister_device(&d->vdpa);
	else
		vdpa_put_device(&d->vdpa);
}

struct vtd *vtd_from_vdpa(struct vdpa_device *vdev)
{
	if (!vdev || !vdev->config || vdev->config->free != vtd_op_free)
		return NULL;
	return to_vtd(vdev);
}

struct vdpa_device *vtd_vdpa(struct vtd *d)
{
	return d ? &d->vdpa : NULL;
}

/* ---- state accessors and device-side actions --------------------------------------------- */

const struct vtd_vq *vtd_vq(const struct vtd *d, uint16_t idx)
{
	return d && idx < d->nvqs ? &d->vqs[idx] : NULL;
}

uint8_t vtd_status(const struct vtd *d)
{
	return d->status;
}

uint64_t vtd_driver_features(const struct vtd *d)
{
	return d->driver_features;
}

uint64_t vtd_device_features(const struct vtd *d)
{
	return d->device_features;
}

bool vtd_suspended(const struct vtd *d)
{
	return d->suspended;
}

uint32_t vtd_generation(const struct vtd *d)
{
	return d->generation;
}

uint32_t vtd_group_asid(const struct vtd *d, uint32_t group)
{
	return group < d->vdpa.ngroups ? d->group_asid[group] : UINT32_MAX;
}

const struct vdpa_iotlb *vtd_iotlb(const struct vtd *d, uint32_t asid)
{
	if (d->cfg.map_mode == VTD_MAP_PLATFORM)
		return &d->domain_maps;
	return asid < d->vdpa.nas ? &d->iotlb[asid] : NULL;
}

const uint8_t *vtd_config_space(const struct vtd *d, size_t *len)
{
	if (len)
		*len = CFG_SIZE;
	return d->config;
}

bool vtd_domain_allocated(const struct vtd *d)
{
	return d->domain_allocated;
}

void vtd_raise_vq_irq(struct vtd *d, uint16_t idx)
{
	struct vtd_vq *vq;

	if (!d || !valid_vq(d, idx))
		return;
	vq = &d->vqs[idx];
	vq->irqs++;
	if (vq->cb.callback)
		vq->cb.callback(vq->cb.private);
}

void vtd_raise_config_irq(struct vtd *d)
{
	if (d && d->config_cb.callback)
		d->config_cb.callback(d->config_cb.private);
}

void vtd_set_vq_state(struct vtd *d, uint16_t idx, const struct vdpa_vq_state *state)
{
	if (d && valid_vq(d, idx))
		d->vqs[idx].state = *state;
}

void vtd_change_config_during_reads(struct vtd *d, unsigned int n)
{
	if (d)
		d->change_reads = n;
}

void vtd_set_link(struct vtd *d, bool up)
{
	if (!d)
		return;
	if (up)
		d->config[NETCFG_STATUS] |= VIRTIO_NET_S_LINK_UP;
	else
		d->config[NETCFG_STATUS] &= (uint8_t)~VIRTIO_NET_S_LINK_UP;
	d->generation++;
	vtd_raise_config_irq(d);
}

void vtd_announce(struct vtd *d)
{
	if (!d)
		return;
	/* virtio 1.3 5.1.6.5.4: the device asks the driver to announce itself */
	d->config[NETCFG_STATUS] |= VIRTIO_NET_S_ANNOUNCE;
	d->generation++;
	vtd_raise_config_irq(d);
}

int vtd_doorbell_write(struct vtd *d, uint64_t pa, uint32_t value)
{
	uint64_t off;
	uint16_t idx;

	if (!d || !d->cfg.has_notification || !d->cfg.notify_stride)
		return -EOPNOTSUPP;
	if (pa < d->cfg.notify_base)
		return -ENOENT;
	off = pa - d->cfg.notify_base;
	if (off / d->cfg.notify_stride >= d->nvqs || off % d->cfg.notify_stride >= d->cfg.notify_size)
		return -ENOENT;
	idx = (uint16_t)(off / d->cfg.notify_stride);
	vtd_tr(d, "doorbell %u 0x%x", idx, value);
	d->vqs[idx].kicks++;
	vtd_dp_kick(d, idx);
	return 0;
}

struct vtd_faults *vtd_faults(struct vtd *d)
{
	return d ? &d->faults : NULL;
}
