// SPDX-License-Identifier: MIT
/*
 * Management devices and the vdpa netlink commands (VDPA_CMD_*), with the
 * validation order and errno of Linux v6.8 drivers/vdpa/vdpa.c.  Results are
 * returned as structs; tool.c turns them into the `vdpa` tool's text.
 */
#include "stack/vdpa_bus/bus_priv.h"

#include "sim/engine/engine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void ext_set(struct vdpa_extack *ext, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ext_set(struct vdpa_extack *ext, const char *fmt, ...)
{
	va_list ap;

	if (!ext)
		return;
	va_start(ap, fmt);
	vsnprintf(ext->msg, sizeof(ext->msg), fmt, ap);
	va_end(ap);
}

static void mgmtdev_handle(const struct vdpa_mgmt_dev *mdev, char *buf, size_t len)
{
	if (mdev->bus_name)
		snprintf(buf, len, "%s/%s", mdev->bus_name, mdev->dev_name);
	else
		snprintf(buf, len, "%s", mdev->dev_name);
}

/* "bus/dev" or "dev", as the tool splits a handle. */
static bool mgmtdev_handle_match(const struct vdpa_mgmt_dev *mdev, const char *handle)
{
	const char *slash = strchr(handle, '/');

	if (!slash)
		return !mdev->bus_name && !strcmp(mdev->dev_name, handle);
	if (!mdev->bus_name)
		return false;
	return strlen(mdev->bus_name) == (size_t)(slash - handle) &&
	       !strncmp(mdev->bus_name, handle, (size_t)(slash - handle)) &&
	       !strcmp(mdev->dev_name, slash + 1);
}

static struct vdpa_mgmt_dev *mgmtdev_find(struct vdpa_bus *bus, const char *handle)
{
	struct vdpa_mgmt_dev *m;

	for (m = bus ? bus->mdevs : NULL; m; m = m->bus_next)
		if (mgmtdev_handle_match(m, handle))
			return m;
	return NULL;
}

int vdpa_mgmtdev_register(struct sim *sim, struct vdpa_mgmt_dev *mdev)
{
	struct vdpa_bus *bus;
	struct vdpa_mgmt_dev **pp;
	char handle[2 * VDPA_NAME_MAX];

	if (!mdev || !mdev->dev_name || !*mdev->dev_name || !mdev->ops || !mdev->ops->dev_add ||
	    !mdev->ops->dev_del)
		return -EINVAL;
	bus = vdpa_bus_get(sim);
	if (!bus)
		return -ENOMEM;
	mgmtdev_handle(mdev, handle, sizeof(handle));
	if (mgmtdev_find(bus, handle))
		return -EEXIST;
	for (pp = &bus->mdevs; *pp; pp = &(*pp)->bus_next)
		;
	mdev->sim = sim;
	mdev->bus_next = NULL;
	*pp = mdev;
	return 0;
}

void vdpa_mgmtdev_unregister(struct vdpa_mgmt_dev *mdev)
{
	struct vdpa_bus *bus;
	struct vdpa_mgmt_dev **pp;
	struct vdpa_device *d;

	if (!mdev || !mdev->sim)
		return;
	bus = vdpa_bus_peek(mdev->sim);
	if (!bus)
		return;
	/* Delete its devices; each dev_del unlinks one, so restart the walk. */
	for (d = bus->devs; d;) {
		if (d->mdev == mdev) {
			mdev->ops->dev_del(mdev, d);
			d = bus->devs;
		} else {
			d = d->bus_next;
		}
	}
	for (pp = &bus->mdevs; *pp; pp = &(*pp)->bus_next) {
		if (*pp == mdev) {
			*pp = mdev->bus_next;
			break;
		}
	}
	mdev->sim = NULL;
	mdev->bus_next = NULL;
}

static uint64_t mgmtdev_classes(const struct vdpa_mgmt_dev *mdev, unsigned int *ncls)
{
	uint64_t classes = 0;
	unsigned int n = 0;

	for (const struct vdpa_virtio_device_id *id = mdev->id_table; id && id->device; id++) {
		if (id->device < 64 && !(classes & (1ULL << id->device))) {
			classes |= 1ULL << id->device;
			n++;
		}
	}
	if (ncls)
		*ncls = n;
	return classes;
}

/* ---- VDPA_CMD_DEV_NEW / DEL ---------------------------------------------- */

int vdpa_nl_dev_add(struct sim *sim, const char *name, const char *mgmtdev,
		    const struct vdpa_dev_set_config *config, struct vdpa_extack *ext)
{
	struct vdpa_dev_set_config cfg = { 0 };
	struct vdpa_mgmt_dev *mdev;
	unsigned int ncls = 0;
	uint64_t classes;
	int err;

	if (!name || !*name)
		return -EINVAL;
	if (config)
		cfg = *config;
	if ((cfg.mask & (1ULL << VDPA_ATTR_DEV_NET_CFG_MAX_VQP)) && !cfg.net.max_vq_pairs) {
		ext_set(ext, "at least one pair of VQs is required");
		return -EINVAL;
	}
	if (cfg.mask & (1ULL << VDPA_ATTR_DEV_FEATURES)) {
		uint64_t missing = 0;

		/* Provisioned features must cover the attributes given with them. */
		if ((cfg.mask & (1ULL << VDPA_ATTR_DEV_NET_CFG_MACADDR)) &&
		    !(cfg.device_features & (1ULL << VIRTIO_NET_F_MAC)))
			missing |= 1ULL << VIRTIO_NET_F_MAC;
		if ((cfg.mask & (1ULL << VDPA_ATTR_DEV_NET_CFG_MTU)) &&
		    !(cfg.device_features & (1ULL << VIRTIO_NET_F_MTU)))
			missing |= 1ULL << VIRTIO_NET_F_MTU;
		if ((cfg.mask & (1ULL << VDPA_ATTR_DEV_NET_CFG_MAX_VQP)) &&
		    cfg.net.max_vq_pairs > 1 && !(cfg.device_features & (1ULL << VIRTIO_NET_F_MQ)))
			missing |= 1ULL << VIRTIO_NET_F_MQ;
		if (missing) {
			ext_set(ext, "missing features 0x%llx for provided attributes",
				(unsigned long long)missing);
			return -EINVAL;
		}
	}
	if (!mgmtdev || !*mgmtdev) {
		ext_set(ext, "management device handle missing");
		return -EINVAL;
	}
	mdev = mgmtdev_find(vdpa_bus_peek(sim), mgmtdev);
	if (!mdev) {
		ext_set(ext, "management device %s not found", mgmtdev);
		return -ENODEV;
	}
	if ((cfg.mask & mdev->config_attr_mask) != cfg.mask) {
		ext_set(ext, "some provided attributes are not supported: 0x%llx",
			(unsigned long long)(cfg.mask & ~mdev->config_attr_mask));
		return -EOPNOTSUPP;
	}
	classes = mgmtdev_classes(mdev, &ncls);
	if ((cfg.mask & VDPA_DEV_NET_ATTRS_MASK) && !(classes & (1ULL << VIRTIO_ID_NET))) {
		ext_set(ext, "network class attributes on a management device without it");
		return -EINVAL;
	}
	/* Features alone are ambiguous when the mgmtdev creates several classes. */
	if (!(cfg.mask & VDPA_DEV_NET_ATTRS_MASK) &&
	    (cfg.mask & (1ULL << VDPA_ATTR_DEV_FEATURES)) && (classes & (1ULL << VIRTIO_ID_NET)) &&
	    ncls > 1 && (cfg.device_features & ((1ULL << VIRTIO_TRANSPORT_F_START) - 1))) {
		ext_set(ext, "device features are ambiguous on a multi-class management device");
		return -EINVAL;
	}
	err = mdev->ops->dev_add(mdev, name, &cfg);
	if (err && ext && !ext->msg[0])
		ext_set(ext, "management device failed to add %s", name);
	eng_trace(sim, "vdpa", "dev_add", "name=%s mgmtdev=%s err=%d", name, mgmtdev, err);
	return err;
}

int vdpa_nl_dev_del(struct sim *sim, const char *name, struct vdpa_extack *ext)
{
	struct vdpa_device *vdev;
	struct vdpa_mgmt_dev *mdev;

	if (!name || !*name)
		return -EINVAL;
	vdev = vdpa_find_device(sim, name);
	if (!vdev) {
		ext_set(ext, "device not found");
		return -ENODEV;
	}
	if (!vdev->mdev) {
		ext_set(ext, "only user created devices can be deleted by the user");
		return -EINVAL;
	}
	mdev = vdev->mdev;
	mdev->ops->dev_del(mdev, vdev);
	eng_trace(sim, "vdpa", "dev_del", "name=%s", name);
	return 0;
}

/* ---- VDPA_CMD_MGMTDEV_GET / DEV_GET --------------------------------------- */

static void mgmtdev_fill(const struct vdpa_mgmt_dev *mdev, struct vdpa_mgmtdev_info *o)
{
	memset(o, 0, sizeof(*o));
	mgmtdev_handle(mdev, o->handle, sizeof(o->handle));
	o->supported_classes = mgmtdev_classes(mdev, NULL);
	o->max_supported_vqs = mdev->max_supported_vqs;
	o->supported_features = mdev->supported_features;
}

int vdpa_nl_mgmtdev_get(struct sim *sim, const char *handle, struct vdpa_mgmtdev_info *out,
			size_t max, size_t *n, struct vdpa_extack *ext)
{
	struct vdpa_bus *bus = vdpa_bus_peek(sim);
	struct vdpa_mgmt_dev *m;
	size_t k = 0;

	if (n)
		*n = 0;
	if (handle) {
		m = mgmtdev_find(bus, handle);
		if (!m) {
			ext_set(ext, "management device %s not found", handle);
			return -ENODEV;
		}
		if (max && out)
			mgmtdev_fill(m, &out[0]);
		if (n)
			*n = 1;
		return 0;
	}
	for (m = bus ? bus->mdevs : NULL; m && k < max; m = m->bus_next)
		mgmtdev_fill(m, &out[k++]);
	if (n)
		*n = k;
	return 0;
}

static void dev_fill(struct vdpa_device *vdev, struct vdpa_dev_info *o)
{
	const struct vdpa_config_ops *ops = vdev->config;

	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", vdev->name);
	if (vdev->mdev)
		mgmtdev_handle(vdev->mdev, o->mgmtdev, sizeof(o->mgmtdev));
	o->device_id = ops->get_device_id(vdev);
	o->vendor_id = ops->get_vendor_id(vdev);
	o->max_vqs = vdev->nvqs;
	o->max_vq_size = ops->get_vq_num_max(vdev);
	if (ops->get_vq_num_min) {
		o->has_min_vq_size = true;
		o->min_vq_size = ops->get_vq_num_min(vdev);
	}
}

int vdpa_nl_dev_get(struct sim *sim, const char *name, struct vdpa_dev_info *out, size_t max,
		    size_t *n, struct vdpa_extack *ext)
{
	struct vdpa_device *d;
	size_t k = 0;

	if (n)
		*n = 0;
	if (name) {
		d = vdpa_find_device(sim, name);
		if (!d) {
			ext_set(ext, "device not found");
			return -ENODEV;
		}
		if (max && out)
			dev_fill(d, &out[0]);
		if (n)
			*n = 1;
		return 0;
	}
	for (d = vdpa_next_device(sim, NULL); d && k < max; d = vdpa_next_device(sim, d))
		dev_fill(d, &out[k++]);
	if (n)
		*n = k;
	return 0;
}

/* ---- VDPA_CMD_DEV_CONFIG_GET / VSTATS_GET ----------------------------------- */

/* struct virtio_net_config offsets (virtio 1.3 5.1.4), read little-endian. */
#define NETCFG_MAC 0
#define NETCFG_STATUS 6
#define NETCFG_MAX_VQP 8
#define NETCFG_MTU 10

static uint16_t le16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static void net_mq_fill(uint64_t features, const uint8_t *cfg, bool *has, uint16_t *max_vqp)
{
	/* max_virtqueue_pairs exists with MQ or RSS (virtio 1.3 5.1.4). */
	if (!(features & (1ULL << VIRTIO_NET_F_MQ)) && !(features & (1ULL << VIRTIO_NET_F_RSS)))
		return;
	*has = true;
	*max_vqp = le16_at(cfg + NETCFG_MAX_VQP);
}

int vdpa_nl_dev_config_get(struct sim *sim, const char *name, struct vdpa_dev_config_info *out,
			   struct vdpa_extack *ext)
{
	struct vdpa_device *vdev;
	const struct vdpa_config_ops *ops;
	uint8_t cfg[sizeof(struct virtio_net_config)] = { 0 };
	uint64_t features;

	if (!name || !*name)
		return -EINVAL;
	vdev = vdpa_find_device(sim, name);
	if (!vdev) {
		ext_set(ext, "device not found");
		return -ENODEV;
	}
	if (!vdev->mdev) {
		ext_set(ext, "unmanaged vdpa device");
		return -EINVAL;
	}
	ops = vdev->config;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", vdev->name);
	out->device_id = ops->get_device_id(vdev);
	if (ops->get_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK) {
		out->has_negotiated = true;
		out->negotiated_features = ops->get_driver_features(vdev);
	}
	if (out->device_id != VIRTIO_ID_NET) {
		ext_set(ext, "device class %u has no config dump", out->device_id);
		return -EOPNOTSUPP;
	}
	ops->get_config(vdev, 0, cfg, sizeof(cfg));
	features = ops->get_device_features(vdev);
	out->dev_features = features;
	if (features & (1ULL << VIRTIO_NET_F_MTU)) {
		out->has_mtu = true;
		out->mtu = le16_at(cfg + NETCFG_MTU);
	}
	if (features & (1ULL << VIRTIO_NET_F_MAC)) {
		out->has_mac = true;
		memcpy(out->mac, cfg + NETCFG_MAC, 6);
	}
	if (features & (1ULL << VIRTIO_NET_F_STATUS)) {
		out->has_status = true;
		out->status = le16_at(cfg + NETCFG_STATUS);
	}
	net_mq_fill(features, cfg, &out->has_max_vqp, &out->max_vqp);
	return 0;
}

int vdpa_nl_dev_vstats_get(struct sim *sim, const char *name, bool has_qidx, uint32_t qidx,
			   struct vdpa_dev_vstats_info *out, struct vdpa_extack *ext)
{
	struct vdpa_device *vdev;
	const struct vdpa_config_ops *ops;
	uint8_t cfg[sizeof(struct virtio_net_config)] = { 0 };
	int err;

	if (!name || !*name)
		return -EINVAL;
	if (!has_qidx) {
		ext_set(ext, "queue index is required");
		return -EINVAL;
	}
	vdev = vdpa_find_device(sim, name);
	if (!vdev) {
		ext_set(ext, "device not found");
		return -ENODEV;
	}
	if (!vdev->mdev) {
		ext_set(ext, "unmanaged vdpa device");
		return -EINVAL;
	}
	ops = vdev->config;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", vdev->name);
	out->device_id = ops->get_device_id(vdev);
	if (out->device_id != VIRTIO_ID_NET) {
		ext_set(ext, "device class %u has no vendor stats", out->device_id);
		return -EOPNOTSUPP;
	}
	if (!ops->get_vendor_vq_stats)
		return -EOPNOTSUPP;
	if (!(ops->get_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		ext_set(ext, "feature negotiation not complete");
		return -EAGAIN;
	}
	vdpa_get_config_unlocked(vdev, 0, cfg, sizeof(cfg));
	out->negotiated_features = ops->get_driver_features(vdev);
	net_mq_fill(out->negotiated_features, cfg, &out->has_max_vqp, &out->max_vqp);
	out->queue_index = qidx;
	err = ops->get_vendor_vq_stats(vdev, (uint16_t)(qidx > UINT16_MAX ? UINT16_MAX : qidx),
				       &out->stats);
	if (err && ext && !ext->msg[0])
		ext_set(ext, "queue %u has no statistics", qidx);
	return err;
}

/* ---- feature names (as the vdpa tool prints them) --------------------------- */

static const char *const generic_names[64] = {
	[VIRTIO_F_NOTIFY_ON_EMPTY] = "NOTIFY_ON_EMPTY",
	[VIRTIO_F_ANY_LAYOUT] = "ANY_LAYOUT",
	[VIRTIO_RING_F_INDIRECT_DESC] = "RING_INDIRECT_DESC",
	[VIRTIO_RING_F_EVENT_IDX] = "RING_EVENT_IDX",
	[VIRTIO_F_VERSION_1] = "VERSION_1",
	[VIRTIO_F_ACCESS_PLATFORM] = "ACCESS_PLATFORM",
	[VIRTIO_F_RING_PACKED] = "RING_PACKED",
	[VIRTIO_F_IN_ORDER] = "IN_ORDER",
	[VIRTIO_F_ORDER_PLATFORM] = "ORDER_PLATFORM",
	[VIRTIO_F_SR_IOV] = "SR_IOV",
	[VIRTIO_F_NOTIFICATION_DATA] = "NOTIFICATION_DATA",
	[VIRTIO_F_NOTIF_CONFIG_DATA] = "NOTIF_CONFIG_DATA",
	[VIRTIO_F_RING_RESET] = "RING_RESET",
	[VIRTIO_F_ADMIN_VQ] = "ADMIN_VQ",
	[VIRTIO_F_SUSPEND] = "SUSPEND",
};

static const char *const net_names[64] = {
	[VIRTIO_NET_F_CSUM] = "CSUM",
	[VIRTIO_NET_F_GUEST_CSUM] = "GUEST_CSUM",
	[VIRTIO_NET_F_CTRL_GUEST_OFFLOADS] = "CTRL_GUEST_OFFLOADS",
	[VIRTIO_NET_F_MTU] = "MTU",
	[VIRTIO_NET_F_MAC] = "MAC",
	[VIRTIO_NET_F_GUEST_TSO4] = "GUEST_TSO4",
	[VIRTIO_NET_F_GUEST_TSO6] = "GUEST_TSO6",
	[VIRTIO_NET_F_GUEST_ECN] = "GUEST_ECN",
	[VIRTIO_NET_F_GUEST_UFO] = "GUEST_UFO",
	[VIRTIO_NET_F_HOST_TSO4] = "HOST_TSO4",
	[VIRTIO_NET_F_HOST_TSO6] = "HOST_TSO6",
	[VIRTIO_NET_F_HOST_ECN] = "HOST_ECN",
	[VIRTIO_NET_F_HOST_UFO] = "HOST_UFO",
	[VIRTIO_NET_F_MRG_RXBUF] = "MRG_RXBUF",
	[VIRTIO_NET_F_STATUS] = "STATUS",
	[VIRTIO_NET_F_CTRL_VQ] = "CTRL_VQ",
	[VIRTIO_NET_F_CTRL_RX] = "CTRL_RX",
	[VIRTIO_NET_F_CTRL_VLAN] = "CTRL_VLAN",
	[VIRTIO_NET_F_CTRL_RX_EXTRA] = "CTRL_RX_EXTRA",
	[VIRTIO_NET_F_GUEST_ANNOUNCE] = "GUEST_ANNOUNCE",
	[VIRTIO_NET_F_MQ] = "MQ",
	[VIRTIO_NET_F_CTRL_MAC_ADDR] = "CTRL_MAC_ADDR",
	[VIRTIO_NET_F_NOTF_COAL] = "NOTF_COAL",
	[VIRTIO_NET_F_HASH_REPORT] = "HASH_REPORT",
	[VIRTIO_NET_F_RSS] = "RSS",
	[VIRTIO_NET_F_RSC_EXT] = "RSC_EXT",
	[VIRTIO_NET_F_STANDBY] = "STANDBY",
	[VIRTIO_NET_F_SPEED_DUPLEX] = "SPEED_DUPLEX",
};

const char *vdpa_feature_name(uint32_t device_id, unsigned int bit, char *buf, size_t len)
{
	const char *name = NULL;

	if (bit < 64) {
		/* Transport bits (28..41) are generic; the rest belong to the
		 * device class first, then to the reserved generic ranges. */
		bool transport = bit >= VIRTIO_TRANSPORT_F_START && bit <= VIRTIO_TRANSPORT_F_END;

		if (device_id == VIRTIO_ID_NET && !transport)
			name = net_names[bit];
		if (!name)
			name = generic_names[bit];
	}
	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "bit_%u", bit);
	return buf;
}
