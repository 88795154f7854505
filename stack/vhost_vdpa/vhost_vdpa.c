// SPDX-License-Identifier: MIT
/*
 * vhost_vdpa driver, open/close and ioctls, after Linux v6.8
 * drivers/vhost/vdpa.c and the vhost_dev / vhost_vring ioctl code of
 * drivers/vhost/vhost.c.  The order of checks and of parent op calls follows
 * the kernel; comments name the kernel function a block stands for.
 */
#include "stack/vhost_vdpa/vhv_priv.h"

#include "sim/engine/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_KEY "vhost_vdpa"
#define MINOR_MAX (1U << 20)

/* The backend features every vhost-vdpa device offers. */
#define VHOST_VDPA_BACKEND_FEATURES                                                    \
	((1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) | (1ULL << VHOST_BACKEND_F_IOTLB_BATCH) | \
	 (1ULL << VHOST_BACKEND_F_IOTLB_ASID))

/* ---- per-sim state ------------------------------------------------------------ */

static struct vhv_state *state_peek(struct sim *sim)
{
	return sim ? eng_attached(sim, STATE_KEY) : NULL;
}

static void file_free(struct vhv_file *f);

static void state_destroy(void *obj)
{
	struct vhv_state *st = obj;

	if (st->registered)
		vdpa_unregister_driver(&st->driver);
	while (st->files)
		file_free(st->files);
	free(st->minor_used);
	free(st);
}

static int minor_alloc(struct vhv_state *st, unsigned int *out)
{
	size_t i;

	for (i = 0; i < st->minor_cap; i++)
		if (!st->minor_used[i])
			break;
	if (i >= MINOR_MAX)
		return -ENOSPC;
	if (i == st->minor_cap) {
		size_t ncap = st->minor_cap ? st->minor_cap * 2 : 8;
		bool *p = realloc(st->minor_used, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		memset(p + st->minor_cap, 0, (ncap - st->minor_cap) * sizeof(*p));
		st->minor_used = p;
		st->minor_cap = ncap;
	}
	st->minor_used[i] = true;
	*out = (unsigned int)i;
	return 0;
}

/* ---- small helpers ---------------------------------------------------------------- */

static bool can_suspend(const struct vhv_dev *v)
{
	return v->vdpa->config->suspend;
}

static bool can_resume(const struct vhv_dev *v)
{
	return v->vdpa->config->resume;
}

static uint64_t parent_backend_features(const struct vhv_dev *v)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;

	return ops->get_backend_features ? ops->get_backend_features(v->vdpa) : 0;
}

static bool has_persistent_map(const struct vhv_dev *v)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;

	return (!ops->set_map && !ops->dma_map) || ops->reset_map ||
	       (parent_backend_features(v) & (1ULL << VHOST_BACKEND_F_IOTLB_PERSIST));
}

/* ---- interrupts: vq callback, config callback, irq bypass --------------------------- */

static int vhv_config_cb(void *private)
{
	struct vhv_dev *v = private;

	if (v->config_ctx)
		vdpa_evfd_signal(v->config_ctx, 1);
	return VDPA_IRQ_HANDLED;
}

/* ---- vhost_dev init / cleanup ---------------------------------------------------------- */

/* vhost_dev_cleanup: drop eventfds, the owner, reset every vq. */
static void vhost_dev_cleanup(struct vhv_dev *v)
{
	for (uint32_t i = 0; i < v->nvqs; i++) {
		struct vhv_vq *vq = &v->vqs[i];

		vhv_poll_stop(vq);
		vdpa_evfd_put(vq->err);
		vdpa_evfd_put(vq->kick);
		vdpa_evfd_put(vq->call);
		vhv_vq_reset(vq);
	}
	v->has_owner = false;
}

/* _compat_vdpa_reset / vhost_vdpa_reset. */
static int compat_vdpa_reset(struct vhv_dev *v)
{
	uint32_t flags = 0;

	v->suspended = false;
	if (v->vqs_live)
		flags = vhv_backend_has_feature(&v->vqs[0], VHOST_BACKEND_F_IOTLB_PERSIST)
				? 0
				: VDPA_RESET_F_CLEAN_MAP;
	return vdpa_reset(v->vdpa, flags);
}

static int vhost_vdpa_reset(struct vhv_dev *v)
{
	v->in_batch = false;
	return compat_vdpa_reset(v);
}

/* vhost_vdpa_alloc_domain: only for parents without their own translation. */
static int alloc_domain(struct vhv_dev *v)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	struct vdpa_dma_dev *dma = vdpa_get_dma_dev(v->vdpa);

	if (ops->set_map || ops->dma_map)
		return 0;
	if (!dma)
		return -EFAULT;
	if (!dma->iommu || !dma->coherent)
		return -VHV_ENOTSUPP;
	return dma->iommu->domain_alloc(dma->ctx, &v->domain);
}

static void free_domain(struct vhv_dev *v)
{
	struct vdpa_dma_dev *dma = vdpa_get_dma_dev(v->vdpa);

	if (v->domain && dma && dma->iommu)
		dma->iommu->domain_free(dma->ctx, v->domain);
	v->domain = NULL;
}

static void set_iova_range(struct vhv_dev *v)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	struct vdpa_dma_dev *dma = vdpa_get_dma_dev(v->vdpa);
	uint64_t first, last;

	if (ops->get_iova_range) {
		v->range = ops->get_iova_range(v->vdpa);
	} else if (v->domain && dma && dma->iommu->aperture &&
		   dma->iommu->aperture(dma->ctx, v->domain, &first, &last)) {
		v->range.first = first;
		v->range.last = last;
	} else {
		v->range.first = 0;
		v->range.last = UINT64_MAX;
	}
}

/* vhost_vdpa_cleanup. */
static void vhv_cleanup(struct vhv_dev *v)
{
	vhv_remove_all_as(v);
	free(v->as);
	v->as = NULL;
	free_domain(v);
	vhost_dev_cleanup(v);
	v->vqs_live = false;
}

/* vhost_vdpa_release, minus freeing the file. */
static void vhv_release(struct vhv_dev *v)
{
	for (uint32_t i = 0; i < v->nvqs; i++)
		vhv_unsetup_vq_irq(v, (uint16_t)i);
	vhost_vdpa_reset(v);
	for (uint32_t i = 0; i < v->nvqs; i++)
		vhv_poll_stop(&v->vqs[i]);
	vdpa_evfd_put(v->config_ctx);
	v->config_ctx = NULL;
	vhv_cleanup(v);
	v->file = NULL;
}

/* ---- driver: probe / remove ------------------------------------------------------------ */

static struct vhv_state *drv_state(struct vdpa_device *vdpa)
{
	return (struct vhv_state *)((char *)vdpa->driver - offsetof(struct vhv_state, driver));
}

static int vhv_probe(struct vdpa_device *vdpa)
{
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vhv_state *st = drv_state(vdpa);
	struct vhv_dev *v;
	int err;

	/* One platform IOMMU domain cannot serve several groups or spaces. */
	if (!ops->set_map && !ops->dma_map && (vdpa->ngroups > 1 || vdpa->nas > 1))
		return -EOPNOTSUPP;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = minor_alloc(st, &v->minor);
	if (err) {
		free(v);
		return err;
	}
	v->st = st;
	v->vdpa = vdpa;
	v->nvqs = vdpa->nvqs;
	v->virtio_id = ops->get_device_id(vdpa);
	v->vqs = calloc(v->nvqs, sizeof(*v->vqs));
	if (!v->vqs) {
		st->minor_used[v->minor] = false;
		free(v);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < v->nvqs; i++) {
		v->vqs[i].v = v;
		v->vqs[i].index = (uint16_t)i;
		vhv_vq_reset(&v->vqs[i]);
	}
	snprintf(v->name, sizeof(v->name), "vhost-vdpa-%u", v->minor);
	v->next = st->devs;
	st->devs = v;
	vdpa_set_drvdata(vdpa, v);
	eng_trace(st->sim, "vhv", "probe", "dev=%s chardev=%s", vdpa->name, v->name);
	return 0;
}

static void vhv_remove(struct vdpa_device *vdpa)
{
	struct vhv_dev *v = vdpa_get_drvdata(vdpa);
	struct vhv_state *st;
	struct vhv_dev **pp;

	if (!v)
		return;
	st = v->st;
	/* The kernel waits for the last close; here the open file is released
	 * now and answers -ENODEV from then on. */
	if (v->file) {
		struct vhv_file *f = v->file;

		vhv_release(v);
		f->v = NULL;
	}
	for (pp = &st->devs; *pp; pp = &(*pp)->next) {
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	}
	st->minor_used[v->minor] = false;
	free(v->vqs);
	free(v);
}

int vhv_register_driver(struct sim *sim)
{
	struct vhv_state *st;
	int err;

	/* The bus must exist before our state so that it is destroyed after. */
	if (!vdpa_bus_get(sim))
		return -ENOMEM;
	st = state_peek(sim);
	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return -ENOMEM;
		st->sim = sim;
		st->driver.name = VHV_DRIVER_NAME;
		st->driver.probe = vhv_probe;
		st->driver.remove = vhv_remove;
		err = eng_attach(sim, STATE_KEY, st, state_destroy);
		if (err) {
			free(st);
			return err;
		}
	}
	if (st->registered)
		return -EEXIST;
	err = vdpa_register_driver(sim, &st->driver);
	if (err)
		return err;
	st->registered = true;
	return 0;
}

void vhv_unregister_driver(struct sim *sim)
{
	struct vhv_state *st = state_peek(sim);

	if (!st || !st->registered)
		return;
	vdpa_unregister_driver(&st->driver);
	st->registered = false;
}

struct vdpa_driver *vhv_driver(struct sim *sim)
{
	struct vhv_state *st = state_peek(sim);

	return st && st->registered ? &st->driver : NULL;
}

const char *vhv_chardev_name(const struct vdpa_device *vdev)
{
	struct vhv_dev *v;

	if (!vdev || !vdev->driver || strcmp(vdev->driver->name, VHV_DRIVER_NAME))
		return NULL;
	v = vdpa_get_drvdata(vdev);
	return v ? v->name : NULL;
}

/* ---- open / close ------------------------------------------------------------------------ */

static void file_free(struct vhv_file *f)
{
	struct vhv_file **pp;

	if (f->v)
		vhv_release(f->v);
	for (pp = &f->st->files; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	}
	if (f->fd >= 0)
		vdpa_fd_remove(f->st->sim, f->fd);
	free(f);
}

static int open_dev(struct vhv_dev *v, struct vhv_file **out)
{
	struct vhv_state *st = v->st;
	struct vhv_file *f;
	int r;

	if (v->file)
		return -EBUSY;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->st = st;
	f->fd = -1;
	v->file = f;
	r = vhost_vdpa_reset(v);
	if (r)
		goto err;
	r = -ENOMEM;
	v->nas = v->vdpa->nas;
	v->as = calloc(v->nas ? v->nas : 1, sizeof(*v->as));
	if (!v->as)
		goto err;
	/* vhost_dev_init */
	for (uint32_t i = 0; i < v->nvqs; i++)
		vhv_vq_reset(&v->vqs[i]);
	v->has_owner = false;
	v->vqs_live = true;
	r = alloc_domain(v);
	if (r)
		goto err_cleanup;
	set_iova_range(v);
	r = vdpa_fd_install(st->sim, VDPA_FILE_VHOST_VDPA, f);
	if (r < 0)
		goto err_cleanup;
	f->fd = r;
	f->v = v;
	f->next = st->files;
	st->files = f;
	*out = f;
	eng_trace(st->sim, "vhv", "open", "chardev=%s fd=%d", v->name, f->fd);
	return 0;
err_cleanup:
	vhv_cleanup(v);
err:
	v->file = NULL;
	free(f);
	return r;
}

int vhv_open_device(struct vdpa_device *vdev, struct vhv_file **out)
{
	if (!vdev || !out || !vhv_chardev_name(vdev))
		return -ENODEV;
	return open_dev(vdpa_get_drvdata(vdev), out);
}

int vhv_open(struct sim *sim, const char *path, struct vhv_file **out)
{
	struct vhv_state *st = state_peek(sim);
	struct vhv_dev *v;

	if (!path || !out)
		return -EFAULT;
	if (!strncmp(path, "/dev/", 5))
		path += 5;
	for (v = st ? st->devs : NULL; v; v = v->next)
		if (!strcmp(v->name, path))
			return open_dev(v, out);
	return -ENODEV;
}

int vhv_fd(const struct vhv_file *f)
{
	return f ? f->fd : -EBADF;
}

int vhv_close(struct vhv_file *f)
{
	if (!f)
		return -EBADF;
	eng_trace(f->st->sim, "vhv", "close", "fd=%d", f->fd);
	file_free(f);
	return 0;
}

/* ---- ioctls: device-level ------------------------------------------------------------------- */

static long get_device_id(struct vhv_dev *v, void *argp)
{
	uint32_t id = v->vdpa->config->get_device_id(v->vdpa);

	return vhv_copy_to_user(argp, &id, sizeof(id));
}

static long get_status(struct vhv_dev *v, void *argp)
{
	uint8_t status = v->vdpa->config->get_status(v->vdpa);

	return vhv_copy_to_user(argp, &status, sizeof(status));
}

/* vhost_vdpa_set_status. */
static long set_status(struct vhv_dev *v, void *argp)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	uint8_t status, status_old;
	int ret;

	if (vhv_copy_from_user(&status, argp, sizeof(status)))
		return -EFAULT;
	status_old = ops->get_status(v->vdpa);
	/* virtio 1.3 2.1.1: bits are only cleared by a reset (writing 0). */
	if (status != 0 && (status_old & ~status) != 0)
		return -EINVAL;
	if ((status_old & VIRTIO_CONFIG_S_DRIVER_OK) && !(status & VIRTIO_CONFIG_S_DRIVER_OK))
		for (uint32_t i = 0; i < v->nvqs; i++)
			vhv_unsetup_vq_irq(v, (uint16_t)i);
	if (status == 0) {
		ret = compat_vdpa_reset(v);
		if (ret)
			return ret;
	} else {
		vdpa_set_status(v->vdpa, status);
	}
	if ((status & VIRTIO_CONFIG_S_DRIVER_OK) && !(status_old & VIRTIO_CONFIG_S_DRIVER_OK))
		for (uint32_t i = 0; i < v->nvqs; i++)
			vhv_setup_vq_irq(v, (uint16_t)i);
	return 0;
}

static int config_validate(struct vhv_dev *v, const struct vhost_vdpa_config *c)
{
	size_t size = v->vdpa->config->get_config_size(v->vdpa);

	if (c->len == 0 || c->off > size)
		return -EINVAL;
	if (c->len > size - c->off)
		return -E2BIG;
	return 0;
}

static long get_config(struct vhv_dev *v, void *argp)
{
	struct vhost_vdpa_config config;
	uint8_t *buf;

	if (vhv_copy_from_user(&config, argp, offsetof(struct vhost_vdpa_config, buf)))
		return -EFAULT;
	if (config_validate(v, &config))
		return -EINVAL;
	buf = calloc(1, config.len);
	if (!buf)
		return -ENOMEM;
	vdpa_get_config(v->vdpa, config.off, buf, config.len);
	memcpy((uint8_t *)argp + offsetof(struct vhost_vdpa_config, buf), buf, config.len);
	free(buf);
	return 0;
}

static long set_config(struct vhv_dev *v, void *argp)
{
	struct vhost_vdpa_config config;

	if (vhv_copy_from_user(&config, argp, offsetof(struct vhost_vdpa_config, buf)))
		return -EFAULT;
	if (config_validate(v, &config))
		return -EINVAL;
	vdpa_set_config(v->vdpa, config.off,
			(const uint8_t *)argp + offsetof(struct vhost_vdpa_config, buf), config.len);
	return 0;
}

static long get_features(struct vhv_dev *v, void *argp)
{
	uint64_t features = v->vdpa->config->get_device_features(v->vdpa);

	return vhv_copy_to_user(argp, &features, sizeof(features));
}

/* vhost_vdpa_set_features. */
static long set_features(struct vhv_dev *v, void *argp)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	uint64_t features, actual;

	/* Features cannot change once negotiated (virtio 1.3 3.1.1). */
	if (ops->get_status(v->vdpa) & VIRTIO_CONFIG_S_FEATURES_OK)
		return -EBUSY;
	if (vhv_copy_from_user(&features, argp, sizeof(features)))
		return -EFAULT;
	if (vdpa_set_features(v->vdpa, features))
		return -EINVAL;
	/* Let the vqs know what is in effect (packed ring, ...). */
	actual = ops->get_driver_features(v->vdpa);
	for (uint32_t i = 0; i < v->nvqs; i++)
		v->vqs[i].acked_features = actual;
	return 0;
}

static long get_vring_num(struct vhv_dev *v, void *argp)
{
	uint16_t num = v->vdpa->config->get_vq_num_max(v->vdpa);

	return vhv_copy_to_user(argp, &num, sizeof(num));
}

/* vhost_vdpa_set_config_call: a bad fd also drops the old eventfd. */
static long set_config_call(struct vhv_dev *v, void *argp)
{
	struct vdpa_callback cb = { vhv_config_cb, v, NULL };
	struct vdpa_evfd *ctx = NULL, *old;
	int fd, err = 0;

	if (vhv_copy_from_user(&fd, argp, sizeof(fd)))
		return -EFAULT;
	if (fd != VHOST_FILE_UNBIND)
		ctx = vdpa_evfd_fdget(v->st->sim, fd, &err);
	old = v->config_ctx;
	v->config_ctx = ctx;
	vdpa_evfd_put(old);
	if (err)
		return err;
	v->vdpa->config->set_config_cb(v->vdpa, &cb);
	return 0;
}

static long get_iova_range(struct vhv_dev *v, void *argp)
{
	struct vhost_vdpa_iova_range range = { v->range.first, v->range.last };

	return vhv_copy_to_user(argp, &range, sizeof(range));
}

static long get_config_size(struct vhv_dev *v, void *argp)
{
	uint32_t size = (uint32_t)v->vdpa->config->get_config_size(v->vdpa);

	return vhv_copy_to_user(argp, &size, sizeof(size));
}

static long get_vqs_count(struct vhv_dev *v, void *argp)
{
	uint32_t nvqs = v->vdpa->nvqs;

	return vhv_copy_to_user(argp, &nvqs, sizeof(nvqs));
}

/* After SUSPEND returns the device processes no more descriptors; config
 * space stays readable (vhost-vdpa UAPI contract). */
static long vhv_suspend(struct vhv_dev *v)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	int ret;

	if (!ops->suspend)
		return -EOPNOTSUPP;
	ret = ops->suspend(v->vdpa);
	if (!ret)
		v->suspended = true;
	return ret;
}

static long vhv_resume(struct vhv_dev *v)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	int ret;

	if (!ops->resume)
		return -EOPNOTSUPP;
	ret = ops->resume(v->vdpa);
	if (!ret)
		v->suspended = false;
	return ret;
}

static uint64_t backend_features_offered(struct vhv_dev *v)
{
	uint64_t features = VHOST_VDPA_BACKEND_FEATURES;

	if (can_suspend(v))
		features |= 1ULL << VHOST_BACKEND_F_SUSPEND;
	if (can_resume(v))
		features |= 1ULL << VHOST_BACKEND_F_RESUME;
	if (vhv_has_desc_group(v))
		features |= 1ULL << VHOST_BACKEND_F_DESC_ASID;
	if (has_persistent_map(v))
		features |= 1ULL << VHOST_BACKEND_F_IOTLB_PERSIST;
	return features | parent_backend_features(v);
}

static long set_backend_features(struct vhv_dev *v, void *argp)
{
	uint64_t features;
	const uint64_t known = VHOST_VDPA_BACKEND_FEATURES | (1ULL << VHOST_BACKEND_F_DESC_ASID) |
			       (1ULL << VHOST_BACKEND_F_IOTLB_PERSIST) |
			       (1ULL << VHOST_BACKEND_F_SUSPEND) | (1ULL << VHOST_BACKEND_F_RESUME) |
			       (1ULL << VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK);

	if (vhv_copy_from_user(&features, argp, sizeof(features)))
		return -EFAULT;
	if (features & ~known)
		return -EOPNOTSUPP;
	if ((features & (1ULL << VHOST_BACKEND_F_SUSPEND)) && !can_suspend(v))
		return -EOPNOTSUPP;
	if ((features & (1ULL << VHOST_BACKEND_F_RESUME)) && !can_resume(v))
		return -EOPNOTSUPP;
	if ((features & (1ULL << VHOST_BACKEND_F_DESC_ASID)) &&
	    !(features & (1ULL << VHOST_BACKEND_F_IOTLB_ASID)))
		return -EINVAL;
	if ((features & (1ULL << VHOST_BACKEND_F_DESC_ASID)) && !vhv_has_desc_group(v))
		return -EOPNOTSUPP;
	if ((features & (1ULL << VHOST_BACKEND_F_IOTLB_PERSIST)) && !has_persistent_map(v))
		return -EOPNOTSUPP;
	/* vhost_set_backend_features */
	for (uint32_t i = 0; i < v->nvqs; i++)
		v->vqs[i].acked_backend_features = features;
	return 0;
}

/* ---- ioctls: vhost_dev (owner, memory table) ----------------------------------------------- */

static long set_mem_table(void *argp)
{
	struct vhost_memory mem;
	const struct vhost_memory_region *regions;

	if (vhv_copy_from_user(&mem, argp, offsetof(struct vhost_memory, regions)))
		return -EFAULT;
	if (mem.padding)
		return -EOPNOTSUPP;
	if (mem.nregions > VHV_MAX_MEM_REGIONS)
		return -E2BIG;
	/* vhost-vdpa translates through the IOTLB, not this table: it is only
	 * checked (an empty or wrapping region fails as in vhost_set_memory). */
	regions = (const struct vhost_memory_region *)((const uint8_t *)argp +
						       offsetof(struct vhost_memory, regions));
	for (uint32_t i = 0; i < mem.nregions; i++) {
		struct vhost_memory_region r;

		memcpy(&r, &regions[i], sizeof(r));
		if (r.memory_size == 0 || r.guest_phys_addr + r.memory_size - 1 < r.guest_phys_addr)
			return -EFAULT;
	}
	return 0;
}

/* vhost_dev_ioctl: SET_OWNER, then owner-only requests. */
static long vhost_dev_ioctl(struct vhv_dev *v, unsigned long cmd, void *argp)
{
	if (cmd == VHOST_SET_OWNER) {
		if (v->has_owner)
			return -EBUSY;
		v->has_owner = true;
		return 0;
	}
	if (!v->has_owner)
		return -EPERM;
	switch (cmd) {
	case VHOST_SET_MEM_TABLE:
		return set_mem_table(argp);
	default:
		return -VHV_ENOIOCTLCMD;
	}
}

/* ---- ioctl entry --------------------------------------------------------------------------- */

/* vhost_vdpa_unlocked_ioctl: the kernel-internal result. */
static long unlocked_ioctl(struct vhv_dev *v, unsigned long cmd, void *argp)
{
	uint64_t features;
	long r;

	if (cmd == VHOST_SET_BACKEND_FEATURES)
		return set_backend_features(v, argp);

	switch (cmd) {
	case VHOST_VDPA_GET_DEVICE_ID:
		return get_device_id(v, argp);
	case VHOST_VDPA_GET_STATUS:
		return get_status(v, argp);
	case VHOST_VDPA_SET_STATUS:
		return set_status(v, argp);
	case VHOST_VDPA_GET_CONFIG:
		return get_config(v, argp);
	case VHOST_VDPA_SET_CONFIG:
		return set_config(v, argp);
	case VHOST_GET_FEATURES:
		return get_features(v, argp);
	case VHOST_SET_FEATURES:
		return set_features(v, argp);
	case VHOST_VDPA_GET_VRING_NUM:
		return get_vring_num(v, argp);
	case VHOST_VDPA_GET_GROUP_NUM:
		return vhv_copy_to_user(argp, &v->vdpa->ngroups, sizeof(v->vdpa->ngroups));
	case VHOST_VDPA_GET_AS_NUM: {
		unsigned int nas = v->vdpa->nas;

		return vhv_copy_to_user(argp, &nas, sizeof(nas));
	}
	case VHOST_SET_LOG_BASE:
	case VHOST_SET_LOG_FD:
		return -VHV_ENOIOCTLCMD;
	case VHOST_VDPA_SET_CONFIG_CALL:
		return set_config_call(v, argp);
	case VHOST_GET_BACKEND_FEATURES:
		features = backend_features_offered(v);
		return vhv_copy_to_user(argp, &features, sizeof(features));
	case VHOST_VDPA_GET_IOVA_RANGE:
		return get_iova_range(v, argp);
	case VHOST_VDPA_GET_CONFIG_SIZE:
		return get_config_size(v, argp);
	case VHOST_VDPA_GET_VQS_COUNT:
		return get_vqs_count(v, argp);
	case VHOST_VDPA_SUSPEND:
		return vhv_suspend(v);
	case VHOST_VDPA_RESUME:
		return vhv_resume(v);
	default:
		r = vhost_dev_ioctl(v, cmd, argp);
		if (r == -VHV_ENOIOCTLCMD)
			r = vhv_vring_ioctl(v, cmd, argp);
		return r;
	}
}

long vhv_ioctl(struct vhv_file *f, unsigned long request, void *arg)
{
	long r;

	if (!f)
		return -EBADF;
	if (!f->v)
		return -ENODEV;
	r = unlocked_ioctl(f->v, request, arg);
	/* vfs_ioctl: an unknown command is -ENOTTY to user space. */
	if (r == -VHV_ENOIOCTLCMD)
		r = -ENOTTY;
	eng_trace(f->st->sim, "vhv", "ioctl", "chardev=%s req=0x%lx ret=%ld", f->v->name, request,
		  r);
	return r;
}

/* ---- accessors ---------------------------------------------------------------------------- */

void vhv_set_user_mem(struct vhv_file *f, const struct vhv_user_mem_ops *ops, void *ctx)
{
	if (!f)
		return;
	f->mem = ops;
	f->mem_ctx = ctx;
}

void vhv_set_memlock_limit(struct vhv_file *f, uint64_t pages)
{
	if (f)
		f->memlock_limit = pages;
}

uint64_t vhv_pinned_pages(const struct vhv_file *f)
{
	return f ? f->pinned : 0;
}

int vhv_last_msg_error(const struct vhv_file *f)
{
	return f ? f->last_msg_err : -EBADF;
}

const struct vdpa_iotlb *vhv_iotlb(const struct vhv_file *f, uint32_t asid)
{
	if (!f || !f->v || !f->v->as || asid >= f->v->nas || !f->v->as[asid].exists)
		return NULL;
	return &f->v->as[asid].iotlb;
}

int vhv_vq_irq_bypass(const struct vhv_file *f, uint32_t idx)
{
	if (!f || !f->v || idx >= f->v->nvqs)
		return -1;
	return f->v->vqs[idx].bypass_irq;
}

struct vdpa_device *vhv_vdpa(const struct vhv_file *f)
{
	return f && f->v ? f->v->vdpa : NULL;
}

bool vhv_suspended(const struct vhv_file *f)
{
	return f && f->v && f->v->suspended;
}
