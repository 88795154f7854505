// SPDX-License-Identifier: MIT
/*
 * The virtio bus: device and driver registration, the probe sequence with
 * feature negotiation, config-space helpers, config-change delivery and the
 * NEEDS_RESET recovery.
 */
#include "stack/virtio/virtio.h"
#include "stack/virtio/vio_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUS_KEY "virtio_bus"

static void bus_destroy(void *obj)
{
	struct vio_bus *bus = obj;

	/* Components unregister their devices and drivers in their own
	 * destructors, which run first; unlink whatever is left. */
	for (struct virtio_device *d = bus->devices; d; d = d->bus_next)
		d->registered = false;
	free(bus);
}

struct vio_bus *vio_bus_lookup(const struct sim *sim)
{
	return sim ? eng_attached(sim, BUS_KEY) : NULL;
}

static struct vio_bus *bus_get(struct sim *sim)
{
	struct vio_bus *bus = vio_bus_lookup(sim);

	if (bus)
		return bus;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return NULL;
	bus->sim = sim;
	if (eng_attach(sim, BUS_KEY, bus, bus_destroy)) {
		free(bus);
		return NULL;
	}
	return bus;
}

int vio_bus_init(struct sim *sim)
{
	return bus_get(sim) ? 0 : -ENOMEM;
}

void vio_set_vq_hook(struct sim *sim, void (*fn)(void *ctx, struct virtqueue *vq), void *ctx)
{
	struct vio_bus *bus = bus_get(sim);

	if (!bus)
		return;
	bus->vq_hook = fn;
	bus->vq_hook_ctx = fn ? ctx : NULL;
}

/* ---- status helpers ------------------------------------------------------------ */

uint8_t vio_get_status(struct virtio_device *vdev)
{
	return vdev->config->get_status(vdev);
}

void vio_add_status(struct virtio_device *vdev, uint8_t status)
{
	vdev->config->set_status(vdev, (uint8_t)(vdev->config->get_status(vdev) | status));
}

void vio_reset_device(struct virtio_device *vdev)
{
	vdev->config->reset(vdev);
}

void vio_device_ready(struct virtio_device *vdev)
{
	uint8_t status = vdev->config->get_status(vdev);

	/* virtio 1.3 3.1.1 step 8: DRIVER_OK once the queues are set up */
	vdev->config->set_status(vdev, (uint8_t)(status | VIRTIO_CONFIG_S_DRIVER_OK));
}

void vio_break_device(struct virtio_device *vdev)
{
	for (struct virtqueue *vq = vdev->vqs; vq; vq = vq->next)
		vq->broken = true;
}

void vio_transport_features(struct virtio_device *vdev)
{
	for (unsigned int i = VIO_TRANSPORT_F_START; i < VIO_TRANSPORT_F_END; i++) {
		switch (i) {
		case VIRTIO_RING_F_INDIRECT_DESC:
		case VIRTIO_RING_F_EVENT_IDX:
		case VIRTIO_F_VERSION_1:
		case VIRTIO_F_ACCESS_PLATFORM:
		case VIRTIO_F_RING_PACKED:
		case VIRTIO_F_IN_ORDER:
		case VIRTIO_F_ORDER_PLATFORM:
		case VIRTIO_F_NOTIFICATION_DATA:
			break;
		default:
			vio_clear_bit(vdev, i);
		}
	}
}

/* ---- config space -------------------------------------------------------------- */

static uint32_t generation(struct virtio_device *vdev)
{
	return vdev->config->generation ? vdev->config->generation(vdev) : 0;
}

int vio_cread_bytes(struct virtio_device *vdev, unsigned int offset, void *buf, unsigned int len)
{
	/* virtio 1.3 2.5.1: repeat until two generation reads agree */
	for (unsigned int i = 0; i < VIO_CONFIG_READ_TRIES; i++) {
		uint32_t old = generation(vdev);

		vdev->config->get(vdev, offset, buf, len);
		if (generation(vdev) == old)
			return 0;
		vdev->config_retries++;
	}
	return -EAGAIN;
}

uint8_t vio_cread8(struct virtio_device *vdev, unsigned int offset)
{
	uint8_t v = 0;

	vdev->config->get(vdev, offset, &v, 1);
	return v;
}

uint16_t vio_cread16(struct virtio_device *vdev, unsigned int offset)
{
	uint8_t b[2] = { 0 };

	vdev->config->get(vdev, offset, b, 2);
	return vq_le16(b);
}

uint32_t vio_cread32(struct virtio_device *vdev, unsigned int offset)
{
	uint8_t b[4] = { 0 };

	vdev->config->get(vdev, offset, b, 4);
	return vq_le32(b);
}

int vio_cread64(struct virtio_device *vdev, unsigned int offset, uint64_t *val)
{
	uint8_t b[8] = { 0 };
	int err = vio_cread_bytes(vdev, offset, b, 8);

	*val = vq_le64(b);
	return err;
}

void vio_cwrite8(struct virtio_device *vdev, unsigned int offset, uint8_t val)
{
	vdev->config->set(vdev, offset, &val, 1);
}

void vio_cwrite16(struct virtio_device *vdev, unsigned int offset, uint16_t val)
{
	uint8_t b[2];

	vq_put_le16(b, val);
	vdev->config->set(vdev, offset, b, 2);
}

void vio_cwrite32(struct virtio_device *vdev, unsigned int offset, uint32_t val)
{
	uint8_t b[4];

	vq_put_le32(b, val);
	vdev->config->set(vdev, offset, b, 4);
}

uint64_t vio_config_retries(const struct virtio_device *vdev)
{
	return vdev->config_retries;
}

/* ---- probe / remove -------------------------------------------------------------- */

static bool id_match(const struct virtio_device *vdev, const struct virtio_device_id *id)
{
	if (id->device != vdev->id.device && id->device != VIO_DEV_ANY_ID)
		return false;
	return id->vendor == VIO_DEV_ANY_ID || id->vendor == vdev->id.vendor;
}

static bool dev_match(const struct virtio_device *vdev, const struct virtio_driver *drv)
{
	for (const struct virtio_device_id *id = drv->id_table; id && id->device; id++)
		if (id_match(vdev, id))
			return true;
	return false;
}

/* virtio_features_ok: virtio 1.3 3.1.1 steps 5-6. */
static int features_ok(struct virtio_device *vdev)
{
	if (!vio_has_feature(vdev, VIRTIO_F_VERSION_1))
		return 0;
	vio_add_status(vdev, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK))
		return -ENODEV; /* the device refuses this feature subset */
	return 0;
}

static int negotiate(struct virtio_device *vdev, struct virtio_driver *drv)
{
	uint64_t device_features = vdev->config->get_features(vdev);
	uint64_t driver_features = 0;
	int err;

	for (unsigned int i = 0; i < drv->feature_table_size; i++)
		if (drv->feature_table[i] < 64)
			driver_features |= 1ULL << drv->feature_table[i];
	vdev->features = driver_features & device_features;
	/* transport features are always passed on to finalize_features */
	for (unsigned int i = VIO_TRANSPORT_F_START; i < VIO_TRANSPORT_F_END; i++)
		if (device_features & (1ULL << i))
			vio_set_bit(vdev, i);
	err = vdev->config->finalize_features(vdev);
	if (err)
		return err;
	if (drv->validate) {
		uint64_t before = vdev->features;

		err = drv->validate(vdev);
		if (err)
			return err;
		if (before != vdev->features) {
			err = vdev->config->finalize_features(vdev);
			if (err)
				return err;
		}
	}
	return features_ok(vdev);
}

static int dev_probe(struct virtio_device *vdev, struct virtio_driver *drv)
{
	int err;

	vdev->driver = drv;
	vio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER);
	err = negotiate(vdev, drv);
	if (err)
		goto fail;
	err = drv->probe(vdev);
	if (err)
		goto fail;
	if (!(vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_DRIVER_OK))
		vio_device_ready(vdev);
	vdev->probe_err = 0;
	vio_config_enable(vdev);
	return 0;
fail:
	vio_add_status(vdev, VIRTIO_CONFIG_S_FAILED);
	vdev->driver = NULL;
	vdev->priv = NULL;
	vdev->probe_err = err;
	return err;
}

static void dev_remove(struct virtio_device *vdev)
{
	struct virtio_driver *drv = vdev->driver;

	if (!drv)
		return;
	vio_config_disable(vdev);
	if (vdev->recover_ev) {
		eng_cancel(vdev->sim, vdev->recover_ev);
		vdev->recover_ev = 0;
	}
	drv->remove(vdev);
	vdev->driver = NULL;
	vdev->priv = NULL;
	/* acknowledge the device's existence again */
	vio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
}

static void probe_drivers(struct vio_bus *bus, struct virtio_device *vdev)
{
	for (struct virtio_driver *drv = bus->drivers; drv && !vdev->driver; drv = drv->bus_next)
		if (dev_match(vdev, drv))
			dev_probe(vdev, drv);
}

int vio_register_device(struct virtio_device *vdev)
{
	struct vio_bus *bus;
	struct virtio_device **pp;
	unsigned int index = 0;
	bool taken = true;

	if (!vdev || !vdev->sim || !vdev->config)
		return -EINVAL;
	bus = bus_get(vdev->sim);
	if (!bus)
		return -ENOMEM;
	/* lowest free index (the kernel's ida) */
	while (taken) {
		taken = false;
		for (struct virtio_device *d = bus->devices; d; d = d->bus_next) {
			if (d->index == index) {
				taken = true;
				index++;
				break;
			}
		}
	}
	vdev->index = index;
	snprintf(vdev->name, sizeof(vdev->name), "virtio%u", index);
	vdev->config_enabled = false;
	vdev->config_change_pending = false;
	vdev->driver = NULL;
	vdev->vqs = NULL;
	vdev->recover_ev = 0;
	vdev->recover_streak = 0;
	vdev->recover_given_up = false;
	/* start from a reset device, whatever a previous driver left */
	vdev->config->reset(vdev);
	vio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	for (pp = &bus->devices; *pp; pp = &(*pp)->bus_next)
		;
	vdev->bus_next = NULL;
	*pp = vdev;
	vdev->registered = true;
	probe_drivers(bus, vdev);
	return 0;
}

void vio_unregister_device(struct virtio_device *vdev)
{
	struct vio_bus *bus;

	if (!vdev || !vdev->registered)
		return;
	dev_remove(vdev);
	bus = vio_bus_lookup(vdev->sim);
	for (struct virtio_device **pp = bus ? &bus->devices : NULL; pp && *pp;
	     pp = &(*pp)->bus_next) {
		if (*pp == vdev) {
			*pp = vdev->bus_next;
			break;
		}
	}
	vdev->registered = false;
}

int vio_register_driver(struct sim *sim, struct virtio_driver *drv)
{
	struct vio_bus *bus;
	struct virtio_driver **pp;

	if (!sim || !drv || !drv->name || !drv->probe || !drv->remove || !drv->id_table ||
	    (drv->feature_table_size && !drv->feature_table))
		return -EINVAL;
	bus = bus_get(sim);
	if (!bus)
		return -ENOMEM;
	for (pp = &bus->drivers; *pp; pp = &(*pp)->bus_next)
		if (*pp == drv || !strcmp((*pp)->name, drv->name))
			return -EEXIST;
	drv->sim = sim;
	drv->bus_next = NULL;
	*pp = drv;
	for (struct virtio_device *d = bus->devices; d; d = d->bus_next)
		if (!d->driver && dev_match(d, drv))
			dev_probe(d, drv);
	return 0;
}

void vio_unregister_driver(struct virtio_driver *drv)
{
	struct vio_bus *bus;

	if (!drv || !drv->sim)
		return;
	bus = vio_bus_lookup(drv->sim);
	if (!bus)
		return;
	for (struct virtio_device *d = bus->devices; d; d = d->bus_next)
		if (d->driver == drv)
			dev_remove(d);
	for (struct virtio_driver **pp = &bus->drivers; *pp; pp = &(*pp)->bus_next) {
		if (*pp == drv) {
			*pp = drv->bus_next;
			break;
		}
	}
	drv->sim = NULL;
}

struct virtio_device *vio_next_device(struct sim *sim, struct virtio_device *prev)
{
	struct vio_bus *bus;

	if (prev)
		return prev->bus_next;
	bus = vio_bus_lookup(sim);
	return bus ? bus->devices : NULL;
}

/* ---- config changes and recovery ------------------------------------------------- */

static void deliver_config_change(struct virtio_device *vdev)
{
	if (!vdev->config_enabled)
		vdev->config_change_pending = true;
	else if (vdev->driver && vdev->driver->config_changed)
		vdev->driver->config_changed(vdev);
}

static void recover_event(struct sim *sim, void *arg)
{
	struct virtio_device *vdev = arg;

	vdev->recover_ev = 0;
	if (!vdev->driver)
		return;
	if (vdev->recoveries && eng_now(sim) - vdev->last_recover < VIO_RECOVER_WINDOW_PS) {
		if (++vdev->recover_streak > VIO_RECOVER_STREAK_MAX) {
			/* it breaks again at once: stop resetting a dead device */
			vdev->recover_given_up = true;
			vio_break_device(vdev);
			vio_add_status(vdev, VIRTIO_CONFIG_S_FAILED);
			return;
		}
	} else {
		vdev->recover_streak = 0;
	}
	vio_device_recover(vdev);
	vdev->last_recover = eng_now(sim);
}

void vio_config_changed(struct virtio_device *vdev)
{
	vdev->config_changes++;
	/* virtio 1.3 2.1.2: a device that needs a reset says so in the status */
	if (vdev->driver && (vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_NEEDS_RESET)) {
		vdev->needs_reset_seen++;
		if (!vdev->recover_ev && !vdev->recover_given_up)
			vdev->recover_ev = eng_schedule_in(vdev->sim, 0, recover_event, vdev);
	}
	deliver_config_change(vdev);
}

void vio_config_enable(struct virtio_device *vdev)
{
	vdev->config_enabled = true;
	if (vdev->config_change_pending) {
		vdev->config_change_pending = false;
		deliver_config_change(vdev);
	}
}

void vio_config_disable(struct virtio_device *vdev)
{
	vdev->config_enabled = false;
}

int vio_device_freeze(struct virtio_device *vdev)
{
	struct virtio_driver *drv = vdev->driver;
	int err;

	vio_config_disable(vdev);
	vdev->failed = vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_FAILED;
	if (drv && drv->freeze) {
		err = drv->freeze(vdev);
		if (err) {
			vio_config_enable(vdev);
			return err;
		}
	}
	return 0;
}

int vio_device_restore(struct virtio_device *vdev)
{
	struct virtio_driver *drv = vdev->driver;
	int err;

	vdev->config->reset(vdev);
	vio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	if (vdev->failed)
		vio_add_status(vdev, VIRTIO_CONFIG_S_FAILED);
	if (!drv)
		return 0;
	vio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER);
	err = vdev->config->finalize_features(vdev);
	if (err)
		goto fail;
	err = features_ok(vdev);
	if (err)
		goto fail;
	if (drv->restore) {
		err = drv->restore(vdev);
		if (err)
			goto fail;
	}
	vio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER_OK);
	vio_config_enable(vdev);
	return 0;
fail:
	vio_add_status(vdev, VIRTIO_CONFIG_S_FAILED);
	return err;
}

int vio_device_recover(struct virtio_device *vdev)
{
	struct virtio_driver *drv = vdev->driver;
	int err;

	if (!drv)
		return -ENODEV;
	if (vdev->recover_ev) {
		eng_cancel(vdev->sim, vdev->recover_ev);
		vdev->recover_ev = 0;
	}
	if (drv->freeze && drv->restore) {
		err = vio_device_freeze(vdev);
		if (!err)
			err = vio_device_restore(vdev);
	} else {
		dev_remove(vdev);
		vdev->config->reset(vdev);
		vio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
		err = dev_probe(vdev, drv);
	}
	vdev->last_recover_err = err;
	eng_trace(vdev->sim, "virtio", "recover", "dev=%s err=%d", vdev->name, err);
	if (!err)
		vdev->recoveries++;
	return err;
}
