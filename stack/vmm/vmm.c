// SPDX-License-Identifier: MIT
/*
 * The VMM object: life cycle, the ioctl log, the ioctl / IOTLB-write
 * wrappers, the config interrupt, backend initialisation (vmm_attach) and
 * plugging the guest's device.
 */
#include "stack/vmm/vmm_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REG_KEY "vmm"

/* Every VMM of a sim, so that freeing the sim frees them (before the buses
 * and vhost_vdpa, which were attached earlier). */
struct vmm_reg {
	struct vmm *list;
	unsigned int created;
};

/* The backend features the VMM knows how to use. */
#define VMM_BACKEND_KNOWN                                                                       \
	((1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) | (1ULL << VHOST_BACKEND_F_IOTLB_BATCH) |        \
	 (1ULL << VHOST_BACKEND_F_IOTLB_ASID) | (1ULL << VHOST_BACKEND_F_SUSPEND) |              \
	 (1ULL << VHOST_BACKEND_F_RESUME) | (1ULL << VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK))

/* Device features a guest may see: the device-specific bits and the ring
 * features the VMM passes through.  ACCESS_PLATFORM is the VMM's business
 * (the guest has no vIOMMU: GPA = IOVA); NOTIFICATION_DATA cannot travel
 * over an eventfd; RING_RESET, SUSPEND and ADMIN_VQ are not implemented by
 * this transport. */
#define VMM_GUEST_FEATURES                                                                      \
	(((1ULL << 24) - 1) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |                           \
	 (1ULL << VIRTIO_RING_F_EVENT_IDX) | (1ULL << VIRTIO_F_VERSION_1) |                     \
	 (1ULL << VIRTIO_F_RING_PACKED) | (1ULL << VIRTIO_F_IN_ORDER) |                         \
	 (1ULL << VIRTIO_F_ORDER_PLATFORM))

/* ---- log ---------------------------------------------------------------------- */

void vmm_logf(struct vmm *v, const char *fmt, ...)
{
	va_list ap;

	if (v->nlog >= VMM_LOG_MAX)
		return;
	if (v->nlog == v->log_cap) {
		size_t ncap = v->log_cap ? v->log_cap * 2 : 64;
		char(*p)[VMM_LOG_LINE] = realloc(v->log, ncap * sizeof(*p));

		if (!p)
			return;
		v->log = p;
		v->log_cap = ncap;
	}
	va_start(ap, fmt);
	vsnprintf(v->log[v->nlog], VMM_LOG_LINE, fmt, ap);
	va_end(ap);
	v->nlog++;
}

size_t vmm_log_len(const struct vmm *v)
{
	return v ? v->nlog : 0;
}

const char *vmm_log_at(const struct vmm *v, size_t i)
{
	return v && i < v->nlog ? v->log[i] : NULL;
}

void vmm_log_clear(struct vmm *v)
{
	if (v)
		v->nlog = 0;
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

long vmm_log_find(const struct vmm *v, const char *prefix, size_t from)
{
	for (size_t i = from; v && i < v->nlog; i++)
		if (starts_with(v->log[i], prefix))
			return (long)i;
	return -1;
}

size_t vmm_log_count(const struct vmm *v, const char *prefix)
{
	size_t n = 0;

	for (size_t i = 0; v && i < v->nlog; i++)
		n += starts_with(v->log[i], prefix);
	return n;
}

void vmm_log_dump(const struct vmm *v, char *buf, size_t len)
{
	size_t pos = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; v && i < v->nlog && pos + 1 < len; i++) {
		int n = snprintf(buf + pos, len - pos, "%s\n", v->log[i]);

		if (n < 0)
			break;
		pos += (size_t)n;
	}
}

/* ---- ioctls ------------------------------------------------------------------- */

static const char *req_name(unsigned long req)
{
	switch (req) {
	case VHOST_SET_OWNER: return "VHOST_SET_OWNER";
	case VHOST_GET_FEATURES: return "VHOST_GET_FEATURES";
	case VHOST_SET_FEATURES: return "VHOST_SET_FEATURES";
	case VHOST_GET_BACKEND_FEATURES: return "VHOST_GET_BACKEND_FEATURES";
	case VHOST_SET_BACKEND_FEATURES: return "VHOST_SET_BACKEND_FEATURES";
	case VHOST_SET_VRING_NUM: return "VHOST_SET_VRING_NUM";
	case VHOST_SET_VRING_BASE: return "VHOST_SET_VRING_BASE";
	case VHOST_GET_VRING_BASE: return "VHOST_GET_VRING_BASE";
	case VHOST_SET_VRING_ADDR: return "VHOST_SET_VRING_ADDR";
	case VHOST_SET_VRING_KICK: return "VHOST_SET_VRING_KICK";
	case VHOST_SET_VRING_CALL: return "VHOST_SET_VRING_CALL";
	case VHOST_VDPA_GET_DEVICE_ID: return "VHOST_VDPA_GET_DEVICE_ID";
	case VHOST_VDPA_GET_STATUS: return "VHOST_VDPA_GET_STATUS";
	case VHOST_VDPA_SET_STATUS: return "VHOST_VDPA_SET_STATUS";
	case VHOST_VDPA_GET_CONFIG: return "VHOST_VDPA_GET_CONFIG";
	case VHOST_VDPA_SET_CONFIG: return "VHOST_VDPA_SET_CONFIG";
	case VHOST_VDPA_SET_VRING_ENABLE: return "VHOST_VDPA_SET_VRING_ENABLE";
	case VHOST_VDPA_GET_VRING_NUM: return "VHOST_VDPA_GET_VRING_NUM";
	case VHOST_VDPA_SET_CONFIG_CALL: return "VHOST_VDPA_SET_CONFIG_CALL";
	case VHOST_VDPA_GET_IOVA_RANGE: return "VHOST_VDPA_GET_IOVA_RANGE";
	case VHOST_VDPA_GET_CONFIG_SIZE: return "VHOST_VDPA_GET_CONFIG_SIZE";
	case VHOST_VDPA_GET_VQS_COUNT: return "VHOST_VDPA_GET_VQS_COUNT";
	case VHOST_VDPA_GET_GROUP_NUM: return "VHOST_VDPA_GET_GROUP_NUM";
	case VHOST_VDPA_GET_AS_NUM: return "VHOST_VDPA_GET_AS_NUM";
	case VHOST_VDPA_GET_VRING_GROUP: return "VHOST_VDPA_GET_VRING_GROUP";
	case VHOST_VDPA_SET_GROUP_ASID: return "VHOST_VDPA_SET_GROUP_ASID";
	case VHOST_VDPA_SUSPEND: return "VHOST_VDPA_SUSPEND";
	case VHOST_VDPA_RESUME: return "VHOST_VDPA_RESUME";
	default: return "VHOST_UNKNOWN";
	}
}

/* The request and the arguments it carries in, as one log line. */
static void describe(unsigned long req, const void *arg, char *buf, size_t len)
{
	const char *name = req_name(req);
	struct vhost_vring_state s;
	struct vhost_vring_addr a;
	struct vhost_vring_file f;
	struct vhost_vdpa_config c;
	uint64_t u64;
	uint8_t u8;

	if (!arg) {
		snprintf(buf, len, "%s", name);
		return;
	}
	switch (req) {
	case VHOST_SET_FEATURES:
	case VHOST_SET_BACKEND_FEATURES:
		memcpy(&u64, arg, sizeof(u64));
		snprintf(buf, len, "%s 0x%llx", name, (unsigned long long)u64);
		break;
	case VHOST_VDPA_SET_STATUS:
		memcpy(&u8, arg, sizeof(u8));
		snprintf(buf, len, "%s 0x%02x", name, u8);
		break;
	case VHOST_SET_VRING_NUM:
	case VHOST_SET_VRING_BASE:
	case VHOST_VDPA_SET_VRING_ENABLE:
	case VHOST_VDPA_SET_GROUP_ASID:
		memcpy(&s, arg, sizeof(s));
		/* a packed vring base carries two halves: hex reads better */
		if (s.num > 0xffff)
			snprintf(buf, len, "%s %u 0x%x", name, s.index, s.num);
		else
			snprintf(buf, len, "%s %u %u", name, s.index, s.num);
		break;
	case VHOST_GET_VRING_BASE:
	case VHOST_VDPA_GET_VRING_GROUP:
		memcpy(&s, arg, sizeof(s));
		snprintf(buf, len, "%s %u", name, s.index);
		break;
	case VHOST_SET_VRING_ADDR:
		memcpy(&a, arg, sizeof(a));
		snprintf(buf, len, "%s %u 0x%llx 0x%llx 0x%llx", name, a.index,
			 (unsigned long long)a.desc_user_addr, (unsigned long long)a.avail_user_addr,
			 (unsigned long long)a.used_user_addr);
		break;
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
		memcpy(&f, arg, sizeof(f));
		snprintf(buf, len, "%s %u", name, f.index);
		break;
	case VHOST_VDPA_GET_CONFIG:
	case VHOST_VDPA_SET_CONFIG:
		memcpy(&c, arg, offsetof(struct vhost_vdpa_config, buf));
		snprintf(buf, len, "%s %u %u", name, c.off, c.len);
		break;
	default:
		snprintf(buf, len, "%s", name);
		break;
	}
}

long vmm_ioctl(struct vmm *v, unsigned long req, void *arg)
{
	char line[VMM_LOG_LINE];
	long r = 0;
	bool faulted = false;

	describe(req, arg, line, sizeof(line));
	for (unsigned int i = 0; i < VMM_FAULTS; i++) {
		struct vmm_fault *ft = &v->faults[i];

		if (ft->count && ft->request == req) {
			ft->count--;
			r = ft->err;
			faulted = true;
			break;
		}
	}
	if (!faulted)
		r = v->f ? vhv_ioctl(v->f, req, arg) : -EBADF;
	if (r < 0)
		vmm_logf(v, "%s = %ld", line, r);
	else
		vmm_logf(v, "%s", line);
	eng_trace(v->sim, "vmm", "ioctl", "vmm=%s req=%s ret=%ld", v->name, line, r);
	return r;
}

static const char *msg_name(uint8_t type)
{
	switch (type) {
	case VHOST_IOTLB_UPDATE: return "IOTLB_UPDATE";
	case VHOST_IOTLB_INVALIDATE: return "IOTLB_INVALIDATE";
	case VHOST_IOTLB_BATCH_BEGIN: return "IOTLB_BATCH_BEGIN";
	case VHOST_IOTLB_BATCH_END: return "IOTLB_BATCH_END";
	default: return "IOTLB_UNKNOWN";
	}
}

int vmm_iotlb_msg(struct vmm *v, uint32_t asid, uint8_t type, uint64_t iova, uint64_t size,
		  uint64_t uaddr, uint8_t perm)
{
	struct vhost_msg_v2 msg;
	char line[VMM_LOG_LINE];
	ssize_t r;

	memset(&msg, 0, sizeof(msg));
	msg.type = VHOST_IOTLB_MSG_V2;
	msg.asid = asid;
	msg.iotlb.iova = iova;
	msg.iotlb.size = size;
	msg.iotlb.uaddr = uaddr;
	msg.iotlb.perm = perm;
	msg.iotlb.type = type;
	if (type == VHOST_IOTLB_UPDATE)
		snprintf(line, sizeof(line), "%s asid=%u iova=0x%llx size=0x%llx uaddr=0x%llx perm=%u",
			 msg_name(type), asid, (unsigned long long)iova, (unsigned long long)size,
			 (unsigned long long)uaddr, perm);
	else if (type == VHOST_IOTLB_INVALIDATE)
		snprintf(line, sizeof(line), "%s asid=%u iova=0x%llx size=0x%llx", msg_name(type),
			 asid, (unsigned long long)iova, (unsigned long long)size);
	else
		snprintf(line, sizeof(line), "%s asid=%u", msg_name(type), asid);
	v->stats.iotlb_msgs++;
	r = v->f ? vhv_write(v->f, &msg, sizeof(msg)) : -EBADF;
	if (r != (ssize_t)sizeof(msg)) {
		if (r >= 0)
			r = -EIO;
		vmm_logf(v, "%s = %ld", line, (long)r);
		return (int)r;
	}
	vmm_logf(v, "%s", line);
	return 0;
}

bool vmm_has_backend(const struct vmm *v, unsigned int bit)
{
	return (v->backend_features >> bit) & 1;
}

bool vmm_drv_feature(const struct vmm *v, unsigned int bit)
{
	return bit < 64 && ((v->st.driver_features >> bit) & 1);
}

int vmm_read_config(struct vmm *v, unsigned int off, void *buf, unsigned int len)
{
	union {
		struct vhost_vdpa_config c;
		uint8_t raw[sizeof(struct vhost_vdpa_config) + VMM_CONFIG_MAX];
	} u;
	long r;

	if (len == 0 || len > VMM_CONFIG_MAX || off > VMM_CONFIG_MAX - len)
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	u.c.off = off;
	u.c.len = len;
	r = vmm_ioctl(v, VHOST_VDPA_GET_CONFIG, &u);
	if (r)
		return (int)r;
	memcpy(buf, u.c.buf, len);
	/* keep what the guest would see if the next read failed */
	memcpy(v->st.config + off, u.c.buf, len);
	return 0;
}

void vmm_inject_ioctl_fault(struct vmm *v, unsigned long request, int err, unsigned int count)
{
	struct vmm_fault *slot = NULL;

	/* the request's own slot, else a spent one */
	for (unsigned int i = 0; i < VMM_FAULTS && !slot; i++)
		if (v->faults[i].count && v->faults[i].request == request)
			slot = &v->faults[i];
	for (unsigned int i = 0; i < VMM_FAULTS && !slot; i++)
		if (!v->faults[i].count)
			slot = &v->faults[i];
	if (!slot)
		return;
	slot->request = request;
	slot->err = err < 0 ? err : -EIO;
	slot->count = count;
}

/* ---- life cycle ------------------------------------------------------------------- */

static void reg_destroy(void *obj)
{
	struct vmm_reg *reg = obj;

	while (reg->list)
		vmm_destroy(reg->list);
	free(reg);
}

static struct vmm_reg *reg_get(struct sim *sim)
{
	struct vmm_reg *reg = eng_attached(sim, REG_KEY);

	if (reg)
		return reg;
	/* the buses first, so that they are destroyed after us */
	if (!vdpa_bus_get(sim) || vio_bus_init(sim))
		return NULL;
	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return NULL;
	if (eng_attach(sim, REG_KEY, reg, reg_destroy)) {
		free(reg);
		return NULL;
	}
	return reg;
}

void vmm_default_config(struct vmm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kick_mode = VMM_KICK_RELAY;
	cfg->irq_latency_ps = ENG_NS(200);
	cfg->feature_mask = ~0ULL;
	cfg->backend_features = VMM_BACKEND_KNOWN;
	cfg->shadow_iova = 1ULL << 40;
}

static void config_wake(void *ctx, struct vdpa_evfd *efd);

int vmm_create(struct sim *sim, const struct vmm_config *cfg, struct vmm **out)
{
	struct vmm_reg *reg;
	struct vmm *v;
	int err;

	if (!sim || !cfg || !cfg->host || !out)
		return -EINVAL;
	if ((cfg->shadow_hpa | cfg->shadow_size | cfg->shadow_iova) & (MEM_PAGE_SIZE - 1))
		return -EINVAL;
	if (cfg->shadow_size && cfg->shadow_size < (16u << 10))
		return -EINVAL;
	if (cfg->kick_mode == VMM_KICK_DIRECT && !cfg->doorbell)
		return -EINVAL;
	/* vhost_vdpa's state must outlive ours (eng_attach order) */
	if (!vhv_driver(sim))
		return -ENODEV;
	reg = reg_get(sim);
	if (!reg)
		return -ENOMEM;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->sim = sim;
	v->cfg = *cfg;
	v->reg = reg;
	v->config_waiter = -1;
	v->cvq.scall_waiter = -1;
	if (cfg->name)
		snprintf(v->name, sizeof(v->name), "%s", cfg->name);
	else
		snprintf(v->name, sizeof(v->name), "vmm%u", reg->created);
	for (uint16_t i = 0; i < VMM_MAX_VQS; i++) {
		v->vqs[i].v = v;
		v->vqs[i].idx = i;
		v->vqs[i].call_waiter = -1;
		v->vqs[i].kick_waiter = -1;
	}
	err = vmm_mem_init(v);
	if (err)
		goto fail;
	err = vdpa_evfd_create(sim, &v->config_call);
	if (err < 0)
		goto fail;
	err = vdpa_evfd_add_waiter(v->config_call, config_wake, v);
	if (err < 0)
		goto fail;
	v->config_waiter = err;
	reg->created++;
	v->reg_next = reg->list;
	reg->list = v;
	*out = v;
	return 0;
fail:
	if (v->config_call)
		vdpa_evfd_close(v->config_call);
	vmm_mem_free(v);
	free(v);
	return err;
}

void vmm_destroy(struct vmm *v)
{
	if (!v)
		return;
	vmm_unplug(v);
	vmm_detach(v);
	vmm_cvq_free(v);
	for (uint16_t i = 0; i < VMM_MAX_VQS; i++)
		vmm_release_eventfds(v, i);
	if (v->config_ev)
		eng_cancel(v->sim, v->config_ev);
	if (v->config_call) {
		if (v->config_waiter >= 0)
			vdpa_evfd_remove_waiter(v->config_call, v->config_waiter);
		vdpa_evfd_close(v->config_call);
	}
	vmm_mem_free(v);
	for (struct vmm **pp = &v->reg->list; *pp; pp = &(*pp)->reg_next) {
		if (*pp == v) {
			*pp = v->reg_next;
			break;
		}
	}
	free(v->log);
	free(v);
}

/* ---- config interrupt ----------------------------------------------------------------- */

static void config_event(struct sim *sim, void *arg)
{
	struct vmm *v = arg;
	uint8_t status = 0;

	(void)sim;
	v->config_ev = 0;
	/* virtio 1.3 2.1.2: a device needing a reset says so in its status */
	if (v->f && v->running && !vmm_ioctl(v, VHOST_VDPA_GET_STATUS, &status) &&
	    (status & VIRTIO_CONFIG_S_NEEDS_RESET))
		v->st.status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	v->st.config_generation++;
	v->stats.config_irqs++;
	if (v->plugged)
		vio_config_changed(&v->vdev);
}

static void config_wake(void *ctx, struct vdpa_evfd *efd)
{
	struct vmm *v = ctx;
	uint64_t n;

	vdpa_evfd_read(efd, &n);
	if (!v->config_ev)
		v->config_ev = eng_schedule_in(v->sim, v->cfg.irq_latency_ps, config_event, v);
}

/* ---- backend ------------------------------------------------------------------------- */

void vmm_detach(struct vmm *v)
{
	if (!v->f)
		return;
	vmm_cvq_drop_device(v);
	for (uint16_t i = 0; i < VMM_MAX_VQS; i++)
		v->vqs[i].direct = false;
	vmm_logf(v, "close");
	vhv_close(v->f);
	v->f = NULL;
	/* closing reset the device and dropped every map */
	v->running = false;
	v->dev_status = 0;
	v->listener = false;
	v->shadow_mapped = false;
	for (unsigned int i = 0; i < v->nregions; i++)
		v->regions[i].mapped = false;
	v->backend_features = 0;
}

static int backend_init(struct vmm *v)
{
	uint64_t offered = 0, want, features = 0;
	struct vhost_vdpa_iova_range range;
	uint32_t id = 0, nvqs = 0, csize = 0;
	uint16_t num = 0;
	long r;

	/* vhost_dev_init: the owner first, then capabilities */
	r = vmm_ioctl(v, VHOST_SET_OWNER, NULL);
	if (r)
		return (int)r;
	/* vhost_vdpa_set_backend_cap */
	r = vmm_ioctl(v, VHOST_GET_BACKEND_FEATURES, &offered);
	if (r)
		return (int)r;
	if (!(offered & (1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2)))
		return -EOPNOTSUPP; /* the VMM speaks vhost_msg_v2 only */
	want = offered & v->cfg.backend_features & VMM_BACKEND_KNOWN;
	want |= 1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2;
	r = vmm_ioctl(v, VHOST_SET_BACKEND_FEATURES, &want);
	if (r)
		return (int)r;
	v->backend_features = want;
	r = vmm_ioctl(v, VHOST_GET_FEATURES, &features);
	if (r)
		return (int)r;
	r = vmm_ioctl(v, VHOST_VDPA_GET_DEVICE_ID, &id);
	if (r)
		return (int)r;
	if (id != VIRTIO_ID_NET)
		return -ENODEV;
	r = vmm_ioctl(v, VHOST_VDPA_GET_VQS_COUNT, &nvqs);
	if (r)
		return (int)r;
	if (nvqs == 0 || nvqs > VMM_MAX_VQS)
		return -E2BIG;
	r = vmm_ioctl(v, VHOST_VDPA_GET_CONFIG_SIZE, &csize);
	if (r)
		return (int)r;
	if (csize > VMM_CONFIG_MAX)
		csize = VMM_CONFIG_MAX;
	r = vmm_ioctl(v, VHOST_VDPA_GET_VRING_NUM, &num);
	if (r)
		return (int)r;
	if (num == 0)
		return -EINVAL;
	r = vmm_ioctl(v, VHOST_VDPA_GET_IOVA_RANGE, &range);
	if (r)
		return (int)r;
	v->dev_features = features;
	v->device_id = id;
	v->dev_nvqs = nvqs;
	v->config_size = csize;
	v->vq_num_max = num;
	v->iova_range.first = range.first;
	v->iova_range.last = range.last;
	if (csize) {
		r = vmm_read_config(v, 0, v->st.config, csize);
		if (r)
			return (int)r;
	}
	/* a plugged guest keeps what it negotiated (a restart on another
	 * device); a fresh one sees this device */
	if (!v->plugged) {
		v->st.device_features = features & v->cfg.feature_mask & VMM_GUEST_FEATURES;
		v->st.nvqs = nvqs;
		v->st.config_len = csize;
	}
	return 0;
}

int vmm_attach(struct vmm *v, const char *path)
{
	int err;

	if (!v || !path)
		return -EINVAL;
	/* the vring bases of a running device would be lost */
	if (v->running)
		return -EBUSY;
	vmm_detach(v);
	err = vhv_open(v->sim, path, &v->f);
	vmm_logf(v, err ? "open %s = %d" : "open %s", path, err);
	if (err) {
		v->f = NULL;
		return err;
	}
	vhv_set_user_mem(v->f, &vmm_user_mem_ops, v);
	err = backend_init(v);
	if (err) {
		vmm_detach(v);
		return err;
	}
	eng_trace(v->sim, "vmm", "attach", "vmm=%s path=%s", v->name, path);
	return 0;
}

struct vhv_file *vmm_vhost(const struct vmm *v)
{
	return v ? v->f : NULL;
}

uint64_t vmm_backend_features(const struct vmm *v)
{
	return v ? v->backend_features : 0;
}

/* ---- the guest's device ---------------------------------------------------------------- */

int vmm_plug(struct vmm *v)
{
	int err;

	if (!v)
		return -EINVAL;
	if (!v->f)
		return -ENODEV;
	if (v->plugged)
		return -EBUSY;
	memset(&v->vdev, 0, sizeof(v->vdev));
	v->vdev.sim = v->sim;
	v->vdev.id.device = VIRTIO_ID_NET;
	v->vdev.id.vendor = VDPASIM_PCI_VENDOR_REDHAT_QUMRANET;
	v->vdev.config = &vmm_config_ops;
	v->vdev.dma = &v->dma;
	v->vdev.transport = v;
	v->plugged = true;
	err = vio_register_device(&v->vdev);
	if (err)
		v->plugged = false;
	return err;
}

void vmm_unplug(struct vmm *v)
{
	if (!v || !v->plugged)
		return;
	vio_unregister_device(&v->vdev);
	v->vdev.config->del_vqs(&v->vdev);
	vmm_dev_reset(v);
	v->plugged = false;
}

struct virtio_device *vmm_virtio(struct vmm *v)
{
	return v && v->plugged ? &v->vdev : NULL;
}

const char *vmm_name(const struct vmm *v)
{
	return v ? v->name : NULL;
}

/* ---- statistics ------------------------------------------------------------------------- */

void vmm_stats(const struct vmm *v, struct vmm_stats *out)
{
	*out = v->stats;
	out->pinned_bytes = v->f ? vhv_pinned_pages(v->f) * VHV_PAGE_SIZE : 0;
}

uint64_t vmm_vq_kicks(const struct vmm *v, uint16_t idx)
{
	return v && idx < VMM_MAX_VQS ? v->vqs[idx].kicks : 0;
}

uint64_t vmm_vq_irqs(const struct vmm *v, uint16_t idx)
{
	return v && idx < VMM_MAX_VQS ? v->vqs[idx].irqs : 0;
}

bool vmm_vq_direct(const struct vmm *v, uint16_t idx)
{
	return v && idx < VMM_MAX_VQS && v->vqs[idx].direct;
}
