// SPDX-License-Identifier: MIT
/*
 * vdpa bus core: device allocation and registration, driver matching and
 * probing, the config-space helpers.  Modelled on Linux v6.8
 * drivers/vdpa/vdpa.c and include/linux/vdpa.h.
 */
#include "stack/vdpa_bus/bus_priv.h"

#include "sim/engine/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUS_KEY "vdpa_bus"
#define OVERRIDE_MAX 4096 /* sysfs store limit (PAGE_SIZE) */

/* ---- bus object ---------------------------------------------------------- */

static void bus_destroy(void *obj)
{
	struct vdpa_bus *bus = obj;

	bus->dying = true;
	while (bus->mdevs)
		vdpa_mgmtdev_unregister(bus->mdevs);
	while (bus->devs)
		vdpa_unregister_device(bus->devs);
	while (bus->drivers)
		vdpa_unregister_driver(bus->drivers);
	vdpa_evfd_destroy_all(bus);
	free(bus->fds);
	free(bus->index_used);
	free(bus);
}

struct vdpa_bus *vdpa_bus_peek(const struct sim *sim)
{
	return sim ? eng_attached(sim, BUS_KEY) : NULL;
}

struct vdpa_bus *vdpa_bus_get(struct sim *sim)
{
	struct vdpa_bus *bus = vdpa_bus_peek(sim);

	if (bus || !sim)
		return bus;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return NULL;
	bus->sim = sim;
	bus->autoprobe = true;
	if (eng_attach(sim, BUS_KEY, bus, bus_destroy)) {
		free(bus);
		return NULL;
	}
	return bus;
}

void vdpa_bus_set_autoprobe(struct sim *sim, bool on)
{
	struct vdpa_bus *bus = vdpa_bus_get(sim);

	if (bus)
		bus->autoprobe = on;
}

/* Lowest free index, like the kernel's ida. */
static int index_alloc(struct vdpa_bus *bus, unsigned int *out)
{
	size_t i;

	for (i = 0; i < bus->index_cap; i++)
		if (!bus->index_used[i])
			break;
	if (i == bus->index_cap) {
		size_t ncap = bus->index_cap ? bus->index_cap * 2 : 16;
		bool *p = realloc(bus->index_used, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		memset(p + bus->index_cap, 0, (ncap - bus->index_cap) * sizeof(*p));
		bus->index_used = p;
		bus->index_cap = ncap;
	}
	bus->index_used[i] = true;
	*out = (unsigned int)i;
	return 0;
}

static void index_free(struct vdpa_bus *bus, unsigned int idx)
{
	if (idx < bus->index_cap)
		bus->index_used[idx] = false;
}

/* ---- device allocation and release --------------------------------------- */

struct vdpa_device *__vdpa_alloc_device(struct sim *sim, const struct vdpa_config_ops *config,
					unsigned int ngroups, unsigned int nas, size_t size,
					const char *name, bool use_va, int *err)
{
	struct vdpa_bus *bus;
	struct vdpa_device *vdev;
	int e = -EINVAL;

	if (!config || size < sizeof(*vdev))
		goto fail;
	if (!!config->dma_map != !!config->dma_unmap)
		goto fail;
	/* A VA-mapped device translates by itself: it needs its own DMA ops. */
	if (use_va && !(config->dma_map || config->set_map))
		goto fail;
	if (name && (!*name || strlen(name) >= VDPA_NAME_MAX))
		goto fail;
	e = -ENOMEM;
	bus = vdpa_bus_get(sim);
	if (!bus)
		goto fail;
	vdev = calloc(1, size);
	if (!vdev)
		goto fail;
	e = index_alloc(bus, &vdev->index);
	if (e) {
		free(vdev);
		goto fail;
	}
	vdev->sim = sim;
	vdev->bus = bus;
	vdev->config = config;
	vdev->features_valid = false;
	vdev->use_va = use_va;
	vdev->ngroups = ngroups;
	vdev->nas = nas;
	if (name)
		snprintf(vdev->name, sizeof(vdev->name), "%s", name);
	else
		snprintf(vdev->name, sizeof(vdev->name), "vdpa%u", vdev->index);
	if (err)
		*err = 0;
	return vdev;
fail:
	if (err)
		*err = e;
	return NULL;
}

/* The kernel's vdpa_release_dev. */
static void vdpa_release_dev(struct vdpa_device *vdev)
{
	struct vdpa_bus *bus = vdev->bus;
	unsigned int idx = vdev->index;

	if (vdev->config->free)
		vdev->config->free(vdev);
	index_free(bus, idx);
	free(vdev->driver_override);
	free(vdev);
}

void vdpa_put_device(struct vdpa_device *vdev)
{
	if (!vdev || vdev->registered)
		return;
	vdpa_release_dev(vdev);
}

/* ---- matching and probing -------------------------------------------------- */

bool vdpa_dev_match(const struct vdpa_device *vdev, const struct vdpa_driver *drv)
{
	/* With an override only the named driver may bind. */
	if (vdev->driver_override)
		return strcmp(vdev->driver_override, drv->name) == 0;
	/* Every vdpa bus driver supports every device. */
	return true;
}

/* The kernel's vdpa_dev_probe. */
static int vdpa_dev_probe(struct vdpa_device *vdev, struct vdpa_driver *drv)
{
	const struct vdpa_config_ops *ops = vdev->config;
	uint32_t max_num, min_num = 1;
	int ret = 0;

	max_num = ops->get_vq_num_max(vdev);
	if (ops->get_vq_num_min)
		min_num = ops->get_vq_num_min(vdev);
	if (max_num < min_num)
		return -EINVAL;
	vdev->driver = drv;
	if (drv->probe)
		ret = drv->probe(vdev);
	if (ret) {
		vdev->driver = NULL;
		vdev->drvdata = NULL;
	}
	eng_trace(vdev->sim, "vdpa", "probe", "dev=%s driver=%s ret=%d", vdev->name, drv->name,
		  ret);
	return ret;
}

/* device_attach: first matching driver whose probe succeeds binds. */
static void device_attach(struct vdpa_device *vdev)
{
	struct vdpa_driver *drv;

	if (vdev->driver)
		return;
	vdev->probe_err = 0;
	for (drv = vdev->bus->drivers; drv; drv = drv->bus_next) {
		int ret;

		if (!vdpa_dev_match(vdev, drv))
			continue;
		ret = vdpa_dev_probe(vdev, drv);
		if (!ret)
			return;
		vdev->probe_err = ret;
	}
}

static void device_release_driver(struct vdpa_device *vdev)
{
	struct vdpa_driver *drv = vdev->driver;

	if (!drv)
		return;
	if (drv->remove)
		drv->remove(vdev);
	vdev->driver = NULL;
	vdev->drvdata = NULL;
	eng_trace(vdev->sim, "vdpa", "unbind", "dev=%s driver=%s", vdev->name, drv->name);
}

void vdpa_device_release_driver(struct vdpa_device *vdev)
{
	if (vdev)
		device_release_driver(vdev);
}

int vdpa_driver_bind(struct vdpa_driver *drv, struct vdpa_device *vdev)
{
	if (!drv || !vdev || !vdev->registered || drv->bus != vdev->bus)
		return -ENODEV;
	if (!vdpa_dev_match(vdev, drv))
		return -ENODEV;
	if (vdev->driver)
		return -EBUSY;
	return vdpa_dev_probe(vdev, drv);
}

int vdpa_bus_probe_device(struct vdpa_device *vdev)
{
	if (!vdev || !vdev->registered)
		return -ENODEV;
	device_attach(vdev);
	return 0;
}

int vdpa_dev_set_driver_override(struct vdpa_device *vdev, const char *name)
{
	size_t len;
	char *copy = NULL;

	if (!vdev)
		return -EINVAL;
	len = name ? strlen(name) : 0;
	if (len >= OVERRIDE_MAX)
		return -EINVAL;
	if (len && name[len - 1] == '\n')
		len--;
	if (len) {
		copy = malloc(len + 1);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, name, len);
		copy[len] = '\0';
	}
	free(vdev->driver_override);
	vdev->driver_override = copy;
	return 0;
}

/* ---- registration ----------------------------------------------------------- */

struct vdpa_device *vdpa_find_device(struct sim *sim, const char *name)
{
	struct vdpa_bus *bus = vdpa_bus_peek(sim);
	struct vdpa_device *d;

	if (!bus || !name)
		return NULL;
	for (d = bus->devs; d; d = d->bus_next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

struct vdpa_device *vdpa_next_device(struct sim *sim, struct vdpa_device *prev)
{
	struct vdpa_bus *bus;

	if (prev)
		return prev->bus_next;
	bus = vdpa_bus_peek(sim);
	return bus ? bus->devs : NULL;
}

static int __vdpa_register_device(struct vdpa_device *vdev, uint32_t nvqs)
{
	struct vdpa_bus *bus = vdev->bus;
	struct vdpa_device **pp;

	if (vdev->registered || nvqs == 0)
		return -EINVAL;
	vdev->nvqs = nvqs;
	if (vdpa_find_device(vdev->sim, vdev->name))
		return -EEXIST;
	for (pp = &bus->devs; *pp; pp = &(*pp)->bus_next)
		;
	vdev->bus_next = NULL;
	*pp = vdev;
	vdev->registered = true;
	eng_trace(vdev->sim, "vdpa", "register", "dev=%s nvqs=%u", vdev->name, nvqs);
	if (bus->autoprobe)
		device_attach(vdev);
	return 0;
}

int vdpa_register_device(struct vdpa_device *vdev, uint32_t nvqs)
{
	if (!vdev)
		return -EINVAL;
	return __vdpa_register_device(vdev, nvqs);
}

int _vdpa_register_device(struct vdpa_device *vdev, uint32_t nvqs)
{
	if (!vdev || !vdev->mdev)
		return -EINVAL;
	return __vdpa_register_device(vdev, nvqs);
}

void vdpa_unregister_device(struct vdpa_device *vdev)
{
	struct vdpa_device **pp;

	if (!vdev || !vdev->registered)
		return;
	device_release_driver(vdev);
	for (pp = &vdev->bus->devs; *pp; pp = &(*pp)->bus_next) {
		if (*pp == vdev) {
			*pp = vdev->bus_next;
			break;
		}
	}
	vdev->registered = false;
	eng_trace(vdev->sim, "vdpa", "unregister", "dev=%s", vdev->name);
	vdpa_release_dev(vdev);
}

void _vdpa_unregister_device(struct vdpa_device *vdev)
{
	vdpa_unregister_device(vdev);
}

/* ---- drivers ------------------------------------------------------------------ */

int vdpa_register_driver(struct sim *sim, struct vdpa_driver *drv)
{
	struct vdpa_bus *bus;
	struct vdpa_driver **pp;
	struct vdpa_device *d;

	if (!drv || !drv->name || !*drv->name || !drv->probe)
		return -EINVAL;
	bus = vdpa_bus_get(sim);
	if (!bus)
		return -ENOMEM;
	for (pp = &bus->drivers; *pp; pp = &(*pp)->bus_next)
		if (*pp == drv || !strcmp((*pp)->name, drv->name))
			return -EEXIST;
	drv->bus = bus;
	drv->bus_next = NULL;
	*pp = drv;
	/* driver_attach: bind every unbound device it matches. */
	if (bus->autoprobe) {
		for (d = bus->devs; d; d = d->bus_next)
			if (!d->driver && vdpa_dev_match(d, drv))
				vdpa_dev_probe(d, drv);
	}
	return 0;
}

void vdpa_unregister_driver(struct vdpa_driver *drv)
{
	struct vdpa_bus *bus;
	struct vdpa_driver **pp;
	struct vdpa_device *d;

	if (!drv || !drv->bus)
		return;
	bus = drv->bus;
	for (d = bus->devs; d; d = d->bus_next)
		if (d->driver == drv)
			device_release_driver(d);
	for (pp = &bus->drivers; *pp; pp = &(*pp)->bus_next) {
		if (*pp == drv) {
			*pp = drv->bus_next;
			break;
		}
	}
	drv->bus = NULL;
	drv->bus_next = NULL;
}

/* ---- config-space and status helpers ------------------------------------------ */

int vdpa_reset(struct vdpa_device *vdev, uint32_t flags)
{
	const struct vdpa_config_ops *ops = vdev->config;

	vdev->features_valid = false;
	if (ops->compat_reset && flags)
		return ops->compat_reset(vdev, flags);
	return ops->reset(vdev);
}

int vdpa_set_features_unlocked(struct vdpa_device *vdev, uint64_t features)
{
	vdev->features_valid = true;
	return vdev->config->set_driver_features(vdev, features);
}

int vdpa_set_features(struct vdpa_device *vdev, uint64_t features)
{
	return vdpa_set_features_unlocked(vdev, features);
}

void vdpa_set_status(struct vdpa_device *vdev, uint8_t status)
{
	vdev->config->set_status(vdev, status);
}

void vdpa_get_config_unlocked(struct vdpa_device *vdev, unsigned int offset, void *buf,
			      unsigned int len)
{
	/* A config read before features were set comes from a legacy driver. */
	if (!vdev->features_valid)
		vdpa_set_features_unlocked(vdev, 0);
	vdev->config->get_config(vdev, offset, buf, len);
}

void vdpa_get_config(struct vdpa_device *vdev, unsigned int offset, void *buf,
		     unsigned int len)
{
	vdpa_get_config_unlocked(vdev, offset, buf, len);
}

void vdpa_set_config(struct vdpa_device *vdev, unsigned int offset, const void *buf,
		     unsigned int length)
{
	vdev->config->set_config(vdev, offset, buf, length);
}

static uint32_t config_generation(struct vdpa_device *vdev)
{
	return vdev->config->get_generation ? vdev->config->get_generation(vdev) : 0;
}

int vdpa_get_config_stable(struct vdpa_device *vdev, unsigned int offset, void *buf,
			   unsigned int len, unsigned int *retries)
{
	uint32_t old, gen = config_generation(vdev);
	unsigned int tries;

	/* virtio 1.3 2.5.1: a read is consistent when the generation did not
	 * change across it; bounded so a device that keeps changing cannot
	 * hold the reader forever. */
	for (tries = 0; tries < VDPA_CONFIG_READ_TRIES; tries++) {
		old = gen;
		vdpa_get_config(vdev, offset, buf, len);
		gen = config_generation(vdev);
		if (gen == old) {
			if (retries)
				*retries = tries;
			return 0;
		}
	}
	if (retries)
		*retries = tries;
	return -EAGAIN;
}

int vdpa_features_ok(struct vdpa_device *vdev)
{
	const struct vdpa_config_ops *ops = vdev->config;
	uint8_t status;

	if (!(ops->get_driver_features(vdev) & (1ULL << VIRTIO_F_VERSION_1)))
		return 0;
	/* virtio 1.3 3.1.1: set FEATURES_OK, then re-read: cleared = refused. */
	vdpa_set_status(vdev, ops->get_status(vdev) | VIRTIO_CONFIG_S_FEATURES_OK);
	status = ops->get_status(vdev);
	if (!(status & VIRTIO_CONFIG_S_FEATURES_OK))
		return -ENODEV;
	return 0;
}
