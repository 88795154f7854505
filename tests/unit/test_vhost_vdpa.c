// SPDX-License-Identifier: MIT
#include "sim/engine/engine.h"
#include "stack/vdpa_bus/vdpa_bus.h"
#include "stack/vdpa_testdev/vdpa_testdev.h"
#include "stack/vhost_vdpa/vhost_vdpa.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ---- fixture ------------------------------------------------------------------ */

struct fx {
	struct sim *sim;
	struct vtd *d;
	struct vhv_file *f;
};

typedef void (*tweak_fn)(struct vtd_config *cfg);

static void fx_setup(struct fx *x, tweak_fn tweak)
{
	struct vtd_config cfg;

	memset(x, 0, sizeof(*x));
	x->sim = eng_sim_new(1, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->sim);
	CU_ASSERT_EQUAL_FATAL(vhv_register_driver(x->sim), 0);
	vtd_default_config(&cfg);
	if (tweak)
		tweak(&cfg);
	CU_ASSERT_EQUAL_FATAL(vtd_create(x->sim, &cfg, "vdpa0", &x->d), 0);
	CU_ASSERT_STRING_EQUAL_FATAL(vhv_chardev_name(vtd_vdpa(x->d)), "vhost-vdpa-0");
	CU_ASSERT_EQUAL_FATAL(vhv_open(x->sim, "/dev/vhost-vdpa-0", &x->f), 0);
	vtd_trace_clear(x->d);
}

static void fx_owner(struct fx *x)
{
	CU_ASSERT_EQUAL_FATAL(vhv_ioctl(x->f, VHOST_SET_OWNER, NULL), 0);
}

static void fx_teardown(struct fx *x)
{
	if (x->f)
		vhv_close(x->f);
	eng_sim_free(x->sim);
}

static long io(struct fx *x, unsigned long req, void *arg)
{
	return vhv_ioctl(x->f, req, arg);
}

static long set_u64(struct fx *x, unsigned long req, uint64_t v)
{
	return io(x, req, &v);
}

static long set_status(struct fx *x, uint8_t s)
{
	return io(x, VHOST_VDPA_SET_STATUS, &s);
}

static long vring(struct fx *x, unsigned long req, uint32_t idx, uint32_t num)
{
	struct vhost_vring_state s = { idx, num };

	return io(x, req, &s);
}

static ssize_t msg2(struct fx *x, uint32_t asid, uint8_t type, uint64_t iova, uint64_t size,
		    uint64_t uaddr, uint8_t perm)
{
	struct vhost_msg_v2 m;

	memset(&m, 0, sizeof(m));
	m.type = VHOST_IOTLB_MSG_V2;
	m.asid = asid;
	m.iotlb.type = type;
	m.iotlb.iova = iova;
	m.iotlb.size = size;
	m.iotlb.uaddr = uaddr;
	m.iotlb.perm = perm;
	return vhv_write(x->f, &m, sizeof(m));
}

static ssize_t update(struct fx *x, uint32_t asid, uint64_t iova, uint64_t size, uint64_t uaddr)
{
	return msg2(x, asid, VHOST_IOTLB_UPDATE, iova, size, uaddr, VHOST_ACCESS_RW);
}

static void t_dma_map(struct vtd_config *c)
{
	c->map_mode = VTD_MAP_DMA_MAP;
}

static void t_platform(struct vtd_config *c)
{
	c->map_mode = VTD_MAP_PLATFORM;
	c->ngroups = 1;
	c->nas = 1;
}

static void t_minimal(struct vtd_config *c)
{
	c->has_suspend = c->has_resume = c->has_compat_reset = c->has_reset_map = false;
	c->has_vq_group = c->has_desc_group = c->has_set_group_asid = false;
	c->has_notification = c->has_vq_irq = false;
	c->has_iova_range = false;
	c->ngroups = 1;
	c->nas = 1;
}

#define SZ_MSG2 ((ssize_t)sizeof(struct vhost_msg_v2))

/* ---- open / close --------------------------------------------------------------- */

static void test_open_is_exclusive(void)
{
	struct fx x;
	struct vhv_file *g = NULL;

	fx_setup(&x, NULL);
	CU_ASSERT_EQUAL(vhv_open(x.sim, "vhost-vdpa-0", &g), -EBUSY);
	CU_ASSERT_EQUAL(vhv_open_device(vtd_vdpa(x.d), &g), -EBUSY);
	CU_ASSERT_EQUAL(vhv_open(x.sim, "/dev/vhost-vdpa-7", &g), -ENODEV);
	vhv_close(x.f);
	CU_ASSERT_EQUAL(vhv_open(x.sim, "vhost-vdpa-0", &x.f), 0);
	CU_ASSERT_TRUE(vhv_fd(x.f) >= 3);
	fx_teardown(&x);
}

static void test_open_resets_the_device(void)
{
	struct fx x;

	fx_setup(&x, NULL);
	vhv_close(x.f);
	x.f = NULL;
	vdpa_set_features(vtd_vdpa(x.d), 1ULL << VIRTIO_F_VERSION_1);
	vdpa_set_status(vtd_vdpa(x.d), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vtd_trace_clear(x.d);
	CU_ASSERT_EQUAL(vhv_open(x.sim, "vhost-vdpa-0", &x.f), 0);
	/* First thing on open: a plain reset (no map cleaning: nothing open before). */
	CU_ASSERT_STRING_EQUAL(vtd_trace_at(x.d, 0), "reset");
	CU_ASSERT_EQUAL(vtd_status(x.d), 0);
	CU_ASSERT_EQUAL(vtd_driver_features(x.d), 0);
	CU_ASSERT_FALSE(vtd_vdpa(x.d)->features_valid);
	fx_teardown(&x);
}

static void test_close_resets_with_clean_map_and_unmaps(void)
{
	struct fx x;
	/* vhost_vdpa_cleanup removes one address space at a time. */
	static const char *const seq[] = { "compat_reset 0x1", "dma_unmap 0 0x1000 0x1000",
					   "reset_map 0", "dma_unmap 1 0x8000 0x2000",
					   "reset_map 1", NULL };

	fx_setup(&x, t_dma_map);
	fx_owner(&x);
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_BACKEND_FEATURES,
				(1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |
					(1ULL << VHOST_BACKEND_F_IOTLB_ASID)),
			0);
	CU_ASSERT_EQUAL(update(&x, 0, 0x1000, 0x1000, 0x41000), SZ_MSG2);
	CU_ASSERT_EQUAL(update(&x, 1, 0x8000, 0x2000, 0x48000), SZ_MSG2);
	CU_ASSERT_EQUAL(vtd_iotlb(x.d, 1)->nmaps, 1);
	vtd_trace_clear(x.d);
	vhv_close(x.f);
	x.f = NULL;
	CU_ASSERT_TRUE(vtd_trace_has_sequence(x.d, seq));
	CU_ASSERT_EQUAL(vtd_iotlb(x.d, 0)->nmaps, 0);
	CU_ASSERT_EQUAL(vtd_iotlb(x.d, 1)->nmaps, 0);
	fx_teardown(&x);
}

static void test_close_with_iotlb_persist_keeps_plain_reset(void)
{
	struct fx x;

	fx_setup(&x, NULL);
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_BACKEND_FEATURES,
				(1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |
					(1ULL << VHOST_BACKEND_F_IOTLB_PERSIST)),
			0);
	vhv_close(x.f);
	x.f = NULL;
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "compat_reset"), 0);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "reset"), 1);
	fx_teardown(&x);
}

static void test_platform_iommu_domain_follows_open_and_close(void)
{
	struct fx x;

	fx_setup(&x, t_platform);
	CU_ASSERT_TRUE(vtd_domain_allocated(x.d));
	fx_owner(&x);
	CU_ASSERT_EQUAL(update(&x, 0, 0x10000, 0x3000, 0x90000), SZ_MSG2);
	CU_ASSERT_EQUAL(vtd_trace_find(x.d, "iommu_map 0x10000 0x3000 0x90000 3", 0) >= 0, 1);
	CU_ASSERT_EQUAL(vtd_iotlb(x.d, 0)->nmaps, 1);
	CU_ASSERT_EQUAL(msg2(&x, 0, VHOST_IOTLB_INVALIDATE, 0x10000, 0x1000, 0, 0), SZ_MSG2);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "iommu_unmap 0x10000 0x3000", 0) >= 0);
	CU_ASSERT_EQUAL(update(&x, 0, 0x20000, 0x1000, 0xa0000), SZ_MSG2);
	vhv_close(x.f);
	x.f = NULL;
	CU_ASSERT_FALSE(vtd_domain_allocated(x.d));
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "iommu_unmap 0x20000 0x1000", 0) >= 0);
	fx_teardown(&x);
}

static void t_no_dma_dev(struct vtd_config *c)
{
	t_platform(c);
	c->dma_dev = VTD_DMA_NONE;
}

static void t_noncoherent(struct vtd_config *c)
{
	t_platform(c);
	c->dma_dev = VTD_DMA_NONCOHERENT;
}

static void test_open_platform_without_usable_iommu_fails(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct vtd_config cfg;
	struct vtd *d = NULL;
	struct vhv_file *f = NULL;

	vhv_register_driver(sim);
	vtd_default_config(&cfg);
	t_no_dma_dev(&cfg);
	CU_ASSERT_EQUAL_FATAL(vtd_create(sim, &cfg, "a", &d), 0);
	CU_ASSERT_EQUAL(vhv_open_device(vtd_vdpa(d), &f), -EFAULT);
	vtd_default_config(&cfg);
	t_noncoherent(&cfg);
	CU_ASSERT_EQUAL_FATAL(vtd_create(sim, &cfg, "b", &d), 0);
	CU_ASSERT_EQUAL(vhv_open_device(vtd_vdpa(d), &f), -VHV_ENOTSUPP);
	/* A failed open leaves the device closed: a later open may succeed. */
	vtd_default_config(&cfg);
	t_platform(&cfg);
	CU_ASSERT_EQUAL_FATAL(vtd_create(sim, &cfg, "c", &d), 0);
	vtd_faults(d)->domain_alloc = EIO;
	CU_ASSERT_EQUAL(vhv_open_device(vtd_vdpa(d), &f), -EIO);
	vtd_faults(d)->domain_alloc = 0;
	CU_ASSERT_EQUAL(vhv_open_device(vtd_vdpa(d), &f), 0);
	vhv_close(f);
	eng_sim_free(sim);
}

static void test_probe_refuses_platform_iommu_with_groups(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct vtd_config cfg;
	struct vtd *d = NULL;

	vhv_register_driver(sim);
	vtd_default_config(&cfg);
	cfg.map_mode = VTD_MAP_PLATFORM; /* but 2 groups and 2 address spaces */
	CU_ASSERT_EQUAL_FATAL(vtd_create(sim, &cfg, "a", &d), 0);
	CU_ASSERT_PTR_NULL(vtd_vdpa(d)->driver);
	CU_ASSERT_EQUAL(vtd_vdpa(d)->probe_err, -EOPNOTSUPP);
	CU_ASSERT_PTR_NULL(vhv_chardev_name(vtd_vdpa(d)));
	eng_sim_free(sim);
}

static void test_chardev_minors_are_lowest_free(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct vtd *a = NULL, *b = NULL, *c = NULL;

	vhv_register_driver(sim);
	CU_ASSERT_EQUAL(vhv_register_driver(sim), -EEXIST);
	vtd_create(sim, NULL, "a", &a);
	vtd_create(sim, NULL, "b", &b);
	CU_ASSERT_STRING_EQUAL(vhv_chardev_name(vtd_vdpa(b)), "vhost-vdpa-1");
	vtd_destroy(a);
	vtd_create(sim, NULL, "c", &c);
	CU_ASSERT_STRING_EQUAL(vhv_chardev_name(vtd_vdpa(c)), "vhost-vdpa-0");
	eng_sim_free(sim);
}

static void test_device_removed_while_open_answers_enodev(void)
{
	struct fx x;
	uint64_t features;

	fx_setup(&x, t_dma_map);
	fx_owner(&x);
	CU_ASSERT_EQUAL(update(&x, 0, 0x1000, 0x1000, 0x1000), SZ_MSG2);
	vtd_destroy(x.d);
	CU_ASSERT_PTR_NULL(vhv_vdpa(x.f));
	CU_ASSERT_EQUAL(io(&x, VHOST_GET_FEATURES, &features), -ENODEV);
	CU_ASSERT_EQUAL(update(&x, 0, 0x3000, 0x1000, 0x1000), -ENODEV);
	fx_teardown(&x);
}

/* ---- features, status, config ------------------------------------------------------ */

static void test_get_features_is_device_features(void)
{
	struct fx x;
	uint64_t f = 0;

	fx_setup(&x, NULL);
	CU_ASSERT_EQUAL(io(&x, VHOST_GET_FEATURES, &f), 0);
	CU_ASSERT_EQUAL(f, vtd_device_features(x.d));
	CU_ASSERT_EQUAL(io(&x, VHOST_GET_FEATURES, NULL), -EFAULT);
	fx_teardown(&x);
}

static void test_set_features_rules(void)
{
	struct fx x;
	uint64_t ok = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MAC);
	static const char *const seq[] = { "get_status", "set_driver_features 0x100000020",
					   "get_driver_features", NULL };

	fx_setup(&x, NULL);
	/* Features the device does not offer: the parent refuses, -EINVAL. */
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_FEATURES, 1ULL << VIRTIO_NET_F_GUEST_TSO4), -EINVAL);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_FEATURES, NULL), -EFAULT);
	vtd_trace_clear(x.d);
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_FEATURES, ok), 0);
	CU_ASSERT_TRUE(vtd_trace_has_sequence(x.d, seq));
	CU_ASSERT_EQUAL(vtd_driver_features(x.d), ok);
	CU_ASSERT_EQUAL(set_status(&x, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					       VIRTIO_CONFIG_S_FEATURES_OK),
			0);
	/* virtio 1.3 3.1.1: no feature change after FEATURES_OK. */
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_FEATURES, ok), -EBUSY);
	/* -EBUSY comes before the argument is even read. */
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_FEATURES, NULL), -EBUSY);
	fx_teardown(&x);
}

static void test_status_bits_are_cleared_only_by_reset(void)
{
	struct fx x;
	uint8_t s = 0;

	fx_setup(&x, NULL);
	CU_ASSERT_EQUAL(set_status(&x, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER), 0);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_STATUS, &s), 0);
	CU_ASSERT_EQUAL(s, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	CU_ASSERT_EQUAL(set_status(&x, VIRTIO_CONFIG_S_ACKNOWLEDGE), -EINVAL);
	CU_ASSERT_EQUAL(set_status(&x, VIRTIO_CONFIG_S_FEATURES_OK), -EINVAL);
	CU_ASSERT_EQUAL(set_status(&x, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					       VIRTIO_CONFIG_S_FEATURES_OK),
			0);
	vtd_trace_clear(x.d);
	CU_ASSERT_EQUAL(set_status(&x, 0), 0);
	/* A reset through the open handle also cleans the device's maps. */
	CU_ASSERT_EQUAL(vtd_trace_find(x.d, "compat_reset 0x1", 0), 1);
	CU_ASSERT_EQUAL(vtd_status(x.d), 0);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_SET_STATUS, NULL), -EFAULT);
	vtd_faults(x.d)->reset = EIO;
	CU_ASSERT_EQUAL(set_status(&x, 0), -EIO);
	fx_teardown(&x);
}

static void test_device_info_ioctls(void)
{
	struct fx x;
	uint32_t u32 = 0;
	uint16_t u16 = 0;
	unsigned int nas = 0;

	fx_setup(&x, NULL);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_DEVICE_ID, &u32), 0);
	CU_ASSERT_EQUAL(u32, VIRTIO_ID_NET);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_VRING_NUM, &u16), 0);
	CU_ASSERT_EQUAL(u16, 256);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_CONFIG_SIZE, &u32), 0);
	CU_ASSERT_EQUAL(u32, sizeof(struct virtio_net_config));
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_VQS_COUNT, &u32), 0);
	CU_ASSERT_EQUAL(u32, 3);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_GROUP_NUM, &u32), 0);
	CU_ASSERT_EQUAL(u32, 2);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_AS_NUM, &nas), 0);
	CU_ASSERT_EQUAL(nas, 2);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_DEVICE_ID, NULL), -EFAULT);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_VQS_COUNT, NULL), -EFAULT);
	fx_teardown(&x);
}

static void t_small_range(struct vtd_config *c)
{
	c->iova_range.first = 0x1000;
	c->iova_range.last = 0xffffff;
}

static void t_platform_aperture(struct vtd_config *c)
{
	t_platform(c);
	t_small_range(c);
	c->has_iova_range = false;
	c->has_aperture = true;
}

static void test_iova_range_sources(void)
{
	struct fx x;
	struct vhost_vdpa_iova_range r;

	fx_setup(&x, t_small_range);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_IOVA_RANGE, &r), 0);
	CU_ASSERT_EQUAL(r.first, 0x1000);
	CU_ASSERT_EQUAL(r.last, 0xffffff);
	fx_owner(&x);
	/* UPDATEs outside the range are refused. */
	CU_ASSERT_EQUAL(update(&x, 0, 0x0, 0x1000, 0), -EFAULT);
	CU_ASSERT_EQUAL(vhv_last_msg_error(x.f), -EINVAL);
	CU_ASSERT_EQUAL(update(&x, 0, 0xfff000, 0x2000, 0), -EFAULT);
	CU_ASSERT_EQUAL(update(&x, 0, 0xfff000, 0x1000, 0), SZ_MSG2);
	fx_teardown(&x);

	fx_setup(&x, t_platform_aperture);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_IOVA_RANGE, &r), 0);
	CU_ASSERT_EQUAL(r.first, 0x1000);
	CU_ASSERT_EQUAL(r.last, 0xffffff);
	fx_teardown(&x);

	fx_setup(&x, t_minimal);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_IOVA_RANGE, &r), 0);
	CU_ASSERT_EQUAL(r.first, 0);
	CU_ASSERT_EQUAL(r.last, UINT64_MAX);
	fx_teardown(&x);
}

/* struct vhost_vdpa_config ends in a flexible array: back it with raw storage. */
struct cfgbuf {
	uint64_t raw[1 + 64 / 8];
};

static struct vhost_vdpa_config *cfg_hdr(struct cfgbuf *b)
{
	return (struct vhost_vdpa_config *)(void *)b->raw;
}

static void test_config_access_bounds(void)
{
	struct fx x;
	struct cfgbuf b;
	struct vhost_vdpa_config *c = cfg_hdr(&b);
	const uint32_t size = sizeof(struct virtio_net_config);

	fx_setup(&x, NULL);
	memset(&b, 0, sizeof(b));
	c->off = 0;
	c->len = 6;
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_CONFIG, c), 0);
	CU_ASSERT_EQUAL(c->buf[0], 0x00);
	CU_ASSERT_EQUAL(c->buf[5], 0x55);
	c->len = 0;
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_CONFIG, c), -EINVAL);
	c->off = size + 1;
	c->len = 1;
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_CONFIG, c), -EINVAL);
	/* Too long for what is left: -E2BIG inside, -EINVAL to the user. */
	c->off = size - 2;
	c->len = 3;
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_CONFIG, c), -EINVAL);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_SET_CONFIG, c), -EINVAL);
	c->len = 2;
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_CONFIG, c), 0);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_CONFIG, NULL), -EFAULT);
	/* SET_CONFIG writes through to the device. */
	c->off = 0;
	c->len = 6;
	memcpy(c->buf, "\x02\x00\x00\x00\x00\x09", 6);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_SET_CONFIG, c), 0);
	CU_ASSERT_EQUAL(vtd_config_space(x.d, NULL)[5], 0x09);
	fx_teardown(&x);
}

static void test_config_read_before_features_sets_legacy_features(void)
{
	struct fx x;
	struct cfgbuf b = { { 0 } };
	struct vhost_vdpa_config *c = cfg_hdr(&b);
	static const char *const seq[] = { "set_driver_features 0x0", "get_config 0 2", NULL };

	fx_setup(&x, NULL);
	c->len = 2;
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_CONFIG, c), 0);
	CU_ASSERT_TRUE(vtd_trace_has_sequence(x.d, seq));
	fx_teardown(&x);
}

/* ---- owner and vrings ------------------------------------------------------------------ */

static void test_vring_ioctls_need_an_owner(void)
{
	struct fx x;
	struct vhost_vring_file kick = { 0, -1 };

	fx_setup(&x, NULL);
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_NUM, 0, 256), -EPERM);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_KICK, &kick), -EPERM);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_OWNER, NULL), 0);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_OWNER, NULL), -EBUSY);
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_NUM, 0, 256), 0);
	/* Closing drops the owner. */
	vhv_close(x.f);
	CU_ASSERT_EQUAL(vhv_open(x.sim, "vhost-vdpa-0", &x.f), 0);
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_NUM, 0, 256), -EPERM);
	fx_teardown(&x);
}

static void test_vring_index_beyond_nvqs_is_enobufs(void)
{
	struct fx x;
	unsigned long reqs[] = { VHOST_SET_VRING_NUM,       VHOST_SET_VRING_ADDR,
				 VHOST_SET_VRING_BASE,      VHOST_GET_VRING_BASE,
				 VHOST_SET_VRING_KICK,      VHOST_SET_VRING_CALL,
				 VHOST_VDPA_SET_VRING_ENABLE, VHOST_VDPA_GET_VRING_GROUP,
				 VHOST_VDPA_SET_GROUP_ASID };
	struct vhost_vring_addr a;

	fx_setup(&x, NULL);
	fx_owner(&x);
	memset(&a, 0, sizeof(a));
	a.index = 3;
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		long r = reqs[i] == VHOST_SET_VRING_ADDR ? io(&x, reqs[i], &a)
							 : vring(&x, reqs[i], 3, 0);

		CU_ASSERT_EQUAL(r, -ENOBUFS);
	}
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_NUM, UINT32_MAX, 0), -ENOBUFS);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_NUM, NULL), -EFAULT);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "set_vq"), 0);
	fx_teardown(&x);
}

static void test_set_vring_num_needs_power_of_two(void)
{
	struct fx x;

	fx_setup(&x, NULL);
	fx_owner(&x);
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_NUM, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_NUM, 0, 100), -EINVAL);
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_NUM, 0, 0x10000), -EINVAL);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "set_vq_num"), 0);
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_NUM, 1, 128), 0);
	CU_ASSERT_EQUAL(vtd_trace_find(x.d, "set_vq_num 1 128", 0), 0);
	CU_ASSERT_EQUAL(vtd_vq(x.d, 1)->num, 128);
	fx_teardown(&x);
}

static void test_set_vring_addr_checks(void)
{
	struct fx x;
	struct vhost_vring_addr a;

	fx_setup(&x, NULL);
	fx_owner(&x);
	memset(&a, 0, sizeof(a));
	a.index = 0;
	a.desc_user_addr = 0x1000;
	a.avail_user_addr = 0x2001;
	a.used_user_addr = 0x3000;
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_ADDR, &a), -EINVAL);
	a.avail_user_addr = 0x2002;
	a.used_user_addr = 0x3002;
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_ADDR, &a), -EINVAL);
	a.used_user_addr = 0x3004;
	a.flags = 0x2;
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_ADDR, &a), -EOPNOTSUPP);
	a.flags = 0;
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_ADDR, &a), 0);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "set_vq_address 0 0x1000 0x2002 0x3004", 0) >= 0);
	vtd_faults(x.d)->set_vq_address = ENOMEM;
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_ADDR, &a), -EINVAL);
	fx_teardown(&x);
}

static void test_addr_and_base_are_fixed_while_running_unless_suspended(void)
{
	struct fx x;
	struct vhost_vring_addr a = { 0 };
	const uint8_t running = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;

	fx_setup(&x, NULL);
	fx_owner(&x);
	set_u64(&x, VHOST_SET_FEATURES, 1ULL << VIRTIO_F_VERSION_1);
	CU_ASSERT_EQUAL(set_status(&x, running), 0);
	vtd_trace_clear(x.d);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_ADDR, &a), -EINVAL);
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_BASE, 0, 7), -EINVAL);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "set_vq_address"), 0);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "set_vq_state"), 0);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_SUSPEND, NULL), 0);
	CU_ASSERT_TRUE(vhv_suspended(x.f));
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_ADDR, &a), 0);
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_BASE, 0, 7), 0);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_RESUME, NULL), 0);
	CU_ASSERT_FALSE(vhv_suspended(x.f));
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_BASE, 0, 7), -EINVAL);
	fx_teardown(&x);
}

static void test_split_vring_base(void)
{
	struct fx x;
	struct vhost_vring_state s = { 1, 0 };
	struct vdpa_vq_state st = { .split = { 300 } };

	fx_setup(&x, NULL);
	fx_owner(&x);
	set_u64(&x, VHOST_SET_FEATURES, 1ULL << VIRTIO_F_VERSION_1);
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_BASE, 1, 0x10000), -EINVAL);
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_BASE, 1, 5), 0);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "set_vq_state 1 avail=5", 0) >= 0);
	/* GET asks the device (which moved on) first. */
	vtd_set_vq_state(x.d, 1, &st);
	CU_ASSERT_EQUAL(io(&x, VHOST_GET_VRING_BASE, &s), 0);
	CU_ASSERT_EQUAL(s.index, 1);
	CU_ASSERT_EQUAL(s.num, 300);
	vtd_faults(x.d)->get_vq_state = EIO;
	CU_ASSERT_EQUAL(io(&x, VHOST_GET_VRING_BASE, &s), -EIO);
	vtd_faults(x.d)->set_vq_state = EBUSY;
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_BASE, 1, 5), -EBUSY);
	fx_teardown(&x);
}

static void test_packed_vring_base_packs_wrap_counters(void)
{
	struct fx x;
	struct vhost_vring_state s = { 0, 0 };
	struct vdpa_vq_state st;

	fx_setup(&x, NULL);
	fx_owner(&x);
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_FEATURES,
				(1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_RING_PACKED)),
			0);
	/* avail idx 3 with wrap 1 in the low half, used idx 7 with wrap 0 high. */
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_BASE, 0, 0x8003 | (0x0007u << 16)), 0);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "set_vq_state 0 packed avail=3/1 used=7/0", 0) >= 0);
	memset(&st, 0, sizeof(st));
	st.packed.last_avail_idx = 0x1234;
	st.packed.last_avail_counter = 0;
	st.packed.last_used_idx = 0x0042;
	st.packed.last_used_counter = 1;
	vtd_set_vq_state(x.d, 0, &st);
	CU_ASSERT_EQUAL(io(&x, VHOST_GET_VRING_BASE, &s), 0);
	CU_ASSERT_EQUAL(s.num, 0x1234u | ((0x0042u | 0x8000u) << 16));
	fx_teardown(&x);
}

static void test_vring_enable_sets_ready(void)
{
	struct fx x;

	fx_setup(&x, NULL);
	/* A vring ioctl: it goes through the owner check. */
	CU_ASSERT_EQUAL(vring(&x, VHOST_VDPA_SET_VRING_ENABLE, 2, 1), -EPERM);
	fx_owner(&x);
	CU_ASSERT_EQUAL(vring(&x, VHOST_VDPA_SET_VRING_ENABLE, 2, 1), 0);
	CU_ASSERT_TRUE(vtd_vq(x.d, 2)->ready);
	CU_ASSERT_EQUAL(vring(&x, VHOST_VDPA_SET_VRING_ENABLE, 2, 0), 0);
	CU_ASSERT_FALSE(vtd_vq(x.d, 2)->ready);
	fx_teardown(&x);
}

static void test_busyloop_timeout_roundtrip(void)
{
	struct fx x;
	struct vhost_vring_state s = { 1, 0 };

	fx_setup(&x, NULL);
	fx_owner(&x);
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_BUSYLOOP_TIMEOUT, 1, 50), 0);
	CU_ASSERT_EQUAL(io(&x, VHOST_GET_VRING_BUSYLOOP_TIMEOUT, &s), 0);
	CU_ASSERT_EQUAL(s.num, 50);
	fx_teardown(&x);
}

/* ---- eventfds: kick, call, config call ---------------------------------------------------- */

static void test_kick_eventfd_kicks_the_device(void)
{
	struct fx x;
	struct vdpa_evfd *e = NULL;
	struct vhost_vring_file f;

	fx_setup(&x, NULL);
	fx_owner(&x);
	f.index = 1;
	f.fd = vdpa_evfd_create(x.sim, &e);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_KICK, &f), 0);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "kick_vq"), 0);
	vdpa_evfd_signal(e, 1);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "kick_vq 1"), 1);
	vdpa_evfd_write(e, 1);
	CU_ASSERT_EQUAL(vtd_vq(x.d, 1)->kicks, 2);
	/* Unbinding stops the kicks. */
	f.fd = VHOST_FILE_UNBIND;
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_KICK, &f), 0);
	vdpa_evfd_signal(e, 1);
	CU_ASSERT_EQUAL(vtd_vq(x.d, 1)->kicks, 2);
	/* Binding an eventfd that already counts kicks at once. */
	f.fd = vdpa_evfd_fd(e);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_KICK, &f), 0);
	CU_ASSERT_EQUAL(vtd_vq(x.d, 1)->kicks, 3);
	/* The eventfd stays usable by vhost after user space closes it. */
	vdpa_evfd_close(e);
	fx_teardown(&x);
}

static void t_four_pairs(struct vtd_config *c)
{
	c->max_vqp = 4;
}

/* Found by fuzz_vhost_vdpa: the fifth queue sharing one kick eventfd got
 * -ENOSPC (not an errno of VHOST_SET_VRING_KICK) and lost its kicks; Linux
 * polls one eventfd from any number of queues. */
static void test_one_kick_eventfd_serves_every_queue(void)
{
	struct fx x;
	struct vdpa_evfd *e = NULL;
	struct vhost_vring_file f;

	fx_setup(&x, t_four_pairs);
	fx_owner(&x);
	f.fd = vdpa_evfd_create(x.sim, &e);
	CU_ASSERT_EQUAL_FATAL(vtd_vdpa(x.d)->nvqs, 9);
	for (f.index = 0; f.index < 9; f.index++)
		CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_KICK, &f), 0);
	vdpa_evfd_write(e, 1);
	for (uint16_t i = 0; i < 9; i++)
		CU_ASSERT_EQUAL(vtd_vq(x.d, i)->kicks, 1);
	/* unbinding one queue leaves the others polled */
	f.index = 4;
	f.fd = VHOST_FILE_UNBIND;
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_KICK, &f), 0);
	vdpa_evfd_write(e, 1);
	CU_ASSERT_EQUAL(vtd_vq(x.d, 4)->kicks, 1);
	CU_ASSERT_EQUAL(vtd_vq(x.d, 8)->kicks, 2);
	vdpa_evfd_close(e);
	fx_teardown(&x);
}

static void test_kick_with_bad_fd(void)
{
	struct fx x;
	struct vhost_vring_file f = { 0, 77 };

	fx_setup(&x, NULL);
	fx_owner(&x);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_KICK, &f), -EBADF);
	f.fd = vhv_fd(x.f); /* a vhost-vdpa fd is not an eventfd */
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_KICK, &f), -EINVAL);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_CALL, &f), -EINVAL);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_ERR, &f), -EINVAL);
	fx_teardown(&x);
}

static void test_call_eventfd_is_signalled_by_the_vq_callback(void)
{
	struct fx x;
	struct vdpa_evfd *e = NULL;
	struct vhost_vring_file f;
	uint64_t v = 0;

	fx_setup(&x, NULL);
	fx_owner(&x);
	f.index = 0;
	f.fd = vdpa_evfd_create(x.sim, &e);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_CALL, &f), 0);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "set_vq_cb 0 cb", 0) >= 0);
	CU_ASSERT_PTR_EQUAL(vtd_vq(x.d, 0)->cb.trigger, e);
	vtd_raise_vq_irq(x.d, 0);
	vtd_raise_vq_irq(x.d, 0);
	CU_ASSERT_EQUAL(vdpa_evfd_read(e, &v), 0);
	CU_ASSERT_EQUAL(v, 2);
	f.fd = VHOST_FILE_UNBIND;
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_CALL, &f), 0);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "set_vq_cb 0 null", 0) >= 0);
	vtd_raise_vq_irq(x.d, 0);
	CU_ASSERT_EQUAL(vdpa_evfd_count(e), 0);
	fx_teardown(&x);
}

static void test_config_call_eventfd(void)
{
	struct fx x;
	struct vdpa_evfd *e = NULL;
	int fd, bad = 99;

	fx_setup(&x, NULL);
	fd = vdpa_evfd_create(x.sim, &e);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_SET_CONFIG_CALL, &fd), 0);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "set_config_cb cb", 0) >= 0);
	vtd_set_link(x.d, false);
	CU_ASSERT_EQUAL(vdpa_evfd_count(e), 1);
	/* A bad fd fails and also drops the eventfd that was set. */
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_SET_CONFIG_CALL, &bad), -EBADF);
	vtd_set_link(x.d, true);
	CU_ASSERT_EQUAL(vdpa_evfd_count(e), 1);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_SET_CONFIG_CALL, NULL), -EFAULT);
	fx_teardown(&x);
}

static void test_irq_bypass_follows_driver_ok(void)
{
	struct fx x;
	struct vdpa_evfd *e = NULL;
	struct vhost_vring_file f;
	const uint8_t running = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;

	fx_setup(&x, NULL);
	fx_owner(&x);
	f.index = 1;
	f.fd = vdpa_evfd_create(x.sim, &e);
	io(&x, VHOST_SET_VRING_CALL, &f);
	CU_ASSERT_EQUAL(vhv_vq_irq_bypass(x.f, 1), -1);
	set_u64(&x, VHOST_SET_FEATURES, 1ULL << VIRTIO_F_VERSION_1);
	CU_ASSERT_EQUAL(set_status(&x, running), 0);
	CU_ASSERT_EQUAL(vhv_vq_irq_bypass(x.f, 1), 33);
	CU_ASSERT_EQUAL(vhv_vq_irq_bypass(x.f, 0), -1); /* no call eventfd */
	CU_ASSERT_EQUAL(set_status(&x, 0), 0);
	CU_ASSERT_EQUAL(vhv_vq_irq_bypass(x.f, 1), -1);
	fx_teardown(&x);
}

/* ---- backend features, suspend/resume, groups ---------------------------------------------- */

static void test_backend_features_offer_and_checks(void)
{
	struct fx x;
	uint64_t f = 0;
	const uint64_t base = (1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |
			      (1ULL << VHOST_BACKEND_F_IOTLB_BATCH) |
			      (1ULL << VHOST_BACKEND_F_IOTLB_ASID);

	fx_setup(&x, NULL);
	CU_ASSERT_EQUAL(io(&x, VHOST_GET_BACKEND_FEATURES, &f), 0);
	CU_ASSERT_EQUAL(f, base | (1ULL << VHOST_BACKEND_F_SUSPEND) |
				   (1ULL << VHOST_BACKEND_F_RESUME) |
				   (1ULL << VHOST_BACKEND_F_DESC_ASID) |
				   (1ULL << VHOST_BACKEND_F_IOTLB_PERSIST));
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_BACKEND_FEATURES, 1ULL << 20), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_BACKEND_FEATURES,
				(1ULL << VHOST_BACKEND_F_DESC_ASID)),
			-EINVAL);
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_BACKEND_FEATURES, f), 0);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_BACKEND_FEATURES, NULL), -EFAULT);
	fx_teardown(&x);

	fx_setup(&x, t_minimal);
	CU_ASSERT_EQUAL(io(&x, VHOST_GET_BACKEND_FEATURES, &f), 0);
	CU_ASSERT_EQUAL(f, base); /* set_map without reset_map: maps do not persist */
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_BACKEND_FEATURES,
				base | (1ULL << VHOST_BACKEND_F_SUSPEND)),
			-EOPNOTSUPP);
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_BACKEND_FEATURES,
				base | (1ULL << VHOST_BACKEND_F_RESUME)),
			-EOPNOTSUPP);
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_BACKEND_FEATURES,
				base | (1ULL << VHOST_BACKEND_F_DESC_ASID)),
			-EOPNOTSUPP);
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_BACKEND_FEATURES,
				base | (1ULL << VHOST_BACKEND_F_IOTLB_PERSIST)),
			-EOPNOTSUPP);
	/* ENABLE_AFTER_DRIVER_OK is accepted without a capability check. */
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_BACKEND_FEATURES,
				base | (1ULL << VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK)),
			0);
	fx_teardown(&x);
}

static void t_parent_backend(struct vtd_config *c)
{
	t_minimal(c);
	c->has_backend_features = true;
	c->backend_features = (1ULL << VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK) |
			      (1ULL << VHOST_BACKEND_F_IOTLB_PERSIST);
}

static void test_parent_backend_features_are_offered(void)
{
	struct fx x;
	uint64_t f = 0;

	fx_setup(&x, t_parent_backend);
	CU_ASSERT_EQUAL(io(&x, VHOST_GET_BACKEND_FEATURES, &f), 0);
	CU_ASSERT_TRUE(f & (1ULL << VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK));
	CU_ASSERT_TRUE(f & (1ULL << VHOST_BACKEND_F_IOTLB_PERSIST));
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_BACKEND_FEATURES,
				1ULL << VHOST_BACKEND_F_IOTLB_PERSIST),
			0);
	fx_teardown(&x);
}

static void test_suspend_resume_need_parent_ops(void)
{
	struct fx x;

	fx_setup(&x, t_minimal);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_SUSPEND, NULL), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_RESUME, NULL), -EOPNOTSUPP);
	fx_teardown(&x);

	fx_setup(&x, NULL);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_SUSPEND, NULL), 0);
	CU_ASSERT_TRUE(vtd_suspended(x.d));
	vtd_faults(x.d)->resume = EIO;
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_RESUME, NULL), -EIO);
	CU_ASSERT_TRUE(vhv_suspended(x.f)); /* a failed resume keeps it suspended */
	vtd_faults(x.d)->resume = 0;
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_RESUME, NULL), 0);
	CU_ASSERT_FALSE(vtd_suspended(x.d));
	fx_teardown(&x);
}

static void test_vring_groups_and_group_asid(void)
{
	struct fx x;
	struct vhost_vring_state s = { 2, 0 };

	fx_setup(&x, NULL);
	fx_owner(&x);
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_VRING_GROUP, &s), 0);
	CU_ASSERT_EQUAL(s.index, 2);
	CU_ASSERT_EQUAL(s.num, 1); /* the control vq has its own group */
	s.index = 0;
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_VRING_DESC_GROUP, &s), 0);
	CU_ASSERT_EQUAL(s.num, 0);
	CU_ASSERT_EQUAL(vring(&x, VHOST_VDPA_SET_GROUP_ASID, 1, 2), -EINVAL);
	CU_ASSERT_EQUAL(vring(&x, VHOST_VDPA_SET_GROUP_ASID, 1, 1), 0);
	CU_ASSERT_EQUAL(vtd_group_asid(x.d, 1), 1);
	/* The group index is checked against nvqs (3), as in the kernel;
	 * the parent rejects group 2 itself. */
	CU_ASSERT_EQUAL(vring(&x, VHOST_VDPA_SET_GROUP_ASID, 2, 1), -EINVAL);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "set_group_asid 2 1", 0) >= 0);
	fx_teardown(&x);

	fx_setup(&x, t_minimal);
	fx_owner(&x);
	CU_ASSERT_EQUAL(vring(&x, VHOST_VDPA_GET_VRING_GROUP, 0, 0), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(vring(&x, VHOST_VDPA_GET_VRING_DESC_GROUP, 0, 0), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(vring(&x, VHOST_VDPA_SET_GROUP_ASID, 0, 1), -EINVAL); /* nas 1 */
	CU_ASSERT_EQUAL(vring(&x, VHOST_VDPA_SET_GROUP_ASID, 0, 0), -EOPNOTSUPP);
	fx_teardown(&x);
}

/* ---- other ioctls ------------------------------------------------------------------------- */

static void test_log_and_unknown_ioctls(void)
{
	struct fx x;
	uint64_t base = 0;
	struct vhost_vring_state s = { 0, 1 };

	fx_setup(&x, NULL);
	/* Refused before the owner check. */
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_LOG_BASE, &base), -ENOTTY);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_LOG_FD, &base), -ENOTTY);
	/* Unknown requests go through vhost_dev_ioctl: owner first. */
	CU_ASSERT_EQUAL(io(&x, VHOST_NET_SET_BACKEND, &s), -EPERM);
	fx_owner(&x);
	CU_ASSERT_EQUAL(io(&x, VHOST_NET_SET_BACKEND, &s), -ENOTTY);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_ENDIAN, &s), -ENOTTY);
	/* RESET_OWNER: the vring path reads an index through the argument. */
	CU_ASSERT_EQUAL(io(&x, VHOST_RESET_OWNER, NULL), -EFAULT);
	CU_ASSERT_EQUAL(io(&x, VHOST_RESET_OWNER, &s), -ENOTTY);
	s.index = 9;
	CU_ASSERT_EQUAL(io(&x, 0xdead, &s), -ENOBUFS);
	fx_teardown(&x);
}

/* struct vhost_memory ends in a flexible array: back it with raw storage. */
struct memtab {
	uint64_t raw[1 + 2 * sizeof(struct vhost_memory_region) / 8];
};

static void test_set_mem_table_is_checked_only(void)
{
	struct fx x;
	struct memtab b;
	struct vhost_memory *m = (struct vhost_memory *)(void *)b.raw;

	fx_setup(&x, NULL);
	memset(&b, 0, sizeof(b));
	m->nregions = 1;
	m->regions[0].guest_phys_addr = 0;
	m->regions[0].memory_size = 0x100000;
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_MEM_TABLE, m), -EPERM);
	fx_owner(&x);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_MEM_TABLE, m), 0);
	m->padding = 1;
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_MEM_TABLE, m), -EOPNOTSUPP);
	m->padding = 0;
	m->nregions = VHV_MAX_MEM_REGIONS + 1;
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_MEM_TABLE, m), -E2BIG);
	m->nregions = 2;
	m->regions[1].guest_phys_addr = 0x200000;
	m->regions[1].memory_size = 0;
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_MEM_TABLE, m), -EFAULT);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_MEM_TABLE, NULL), -EFAULT);
	fx_teardown(&x);
}

static void test_mmap_doorbell(void)
{
	struct fx x;
	struct vdpa_notification_area a = { 0, 0 };

	fx_setup(&x, NULL);
	CU_ASSERT_EQUAL(vhv_mmap(x.f, 4096, PROT_WRITE, MAP_SHARED, 2, &a), 0);
	CU_ASSERT_EQUAL(a.addr, 0xfe000000ULL + 2 * 4096);
	CU_ASSERT_EQUAL(a.size, 4096);
	CU_ASSERT_EQUAL(vhv_mmap(x.f, 8192, PROT_WRITE, MAP_SHARED, 0, &a), -EINVAL);
	CU_ASSERT_EQUAL(vhv_mmap(x.f, 4096, PROT_WRITE, MAP_PRIVATE, 0, &a), -EINVAL);
	CU_ASSERT_EQUAL(vhv_mmap(x.f, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, 0, &a), -EINVAL);
	CU_ASSERT_EQUAL(vhv_mmap(x.f, 4096, PROT_WRITE, MAP_SHARED, 65536, &a), -EINVAL);
	fx_teardown(&x);

	fx_setup(&x, t_minimal);
	CU_ASSERT_EQUAL(vhv_mmap(x.f, 4096, PROT_WRITE, MAP_SHARED, 0, &a), -VHV_ENOTSUPP);
	fx_teardown(&x);
}

static void t_odd_doorbell(struct vtd_config *c)
{
	c->notify_base = 0xfe000800ULL;
}

static void t_big_doorbell(struct vtd_config *c)
{
	c->notify_size = 8192;
	c->notify_stride = 8192;
}

static void test_mmap_needs_a_page_sized_aligned_doorbell(void)
{
	struct fx x;
	struct vdpa_notification_area a;

	fx_setup(&x, t_odd_doorbell);
	CU_ASSERT_EQUAL(vhv_mmap(x.f, 4096, PROT_WRITE, MAP_SHARED, 0, &a), -EINVAL);
	fx_teardown(&x);
	fx_setup(&x, t_big_doorbell);
	CU_ASSERT_EQUAL(vhv_mmap(x.f, 4096, PROT_WRITE, MAP_SHARED, 0, &a), -VHV_ENOTSUPP);
	fx_teardown(&x);
}

/* ---- IOTLB messages ------------------------------------------------------------------------- */

static void test_iotlb_update_with_dma_map(void)
{
	struct fx x;
	uint64_t pa = 0, contig = 0;

	fx_setup(&x, t_dma_map);
	fx_owner(&x);
	CU_ASSERT_EQUAL(msg2(&x, 0, VHOST_IOTLB_UPDATE, 0x10000, 0x2000, 0x7770000, VHOST_ACCESS_RO),
			SZ_MSG2);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "dma_map 0 0x10000 0x2000 0x7770000 1", 0) >= 0);
	CU_ASSERT_EQUAL(vdpa_iotlb_translate(vtd_iotlb(x.d, 0), 0x11000, VHOST_ACCESS_RO, &pa,
					     &contig),
			0);
	CU_ASSERT_EQUAL(pa, 0x7771000);
	CU_ASSERT_EQUAL(vdpa_iotlb_translate(vtd_iotlb(x.d, 0), 0x11000, VHOST_ACCESS_WO, &pa,
					     &contig),
			-EPERM);
	CU_ASSERT_EQUAL(vhv_iotlb(x.f, 0)->nmaps, 1);
	CU_ASSERT_EQUAL(vhv_pinned_pages(x.f), 2);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "set_map"), 0);
	fx_teardown(&x);
}

static void test_iotlb_overlapping_update_fails(void)
{
	struct fx x;

	fx_setup(&x, t_dma_map);
	fx_owner(&x);
	CU_ASSERT_EQUAL(update(&x, 0, 0x10000, 0x2000, 0x50000), SZ_MSG2);
	vtd_trace_clear(x.d);
	/* The handler says -EEXIST; write(2) turns any handler error into -EFAULT. */
	CU_ASSERT_EQUAL(update(&x, 0, 0x11000, 0x2000, 0x60000), -EFAULT);
	CU_ASSERT_EQUAL(vhv_last_msg_error(x.f), -EEXIST);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "dma_map"), 0);
	CU_ASSERT_EQUAL(vhv_iotlb(x.f, 0)->nmaps, 1);
	CU_ASSERT_EQUAL(update(&x, 0, 0x12000, 0x1000, 0x60000), SZ_MSG2);
	CU_ASSERT_EQUAL(vhv_last_msg_error(x.f), 0);
	fx_teardown(&x);
}

static void test_iotlb_invalidate_removes_whole_maps(void)
{
	struct fx x;

	fx_setup(&x, t_dma_map);
	fx_owner(&x);
	update(&x, 0, 0x10000, 0x4000, 0x50000);
	update(&x, 0, 0x20000, 0x1000, 0x60000);
	vtd_trace_clear(x.d);
	CU_ASSERT_EQUAL(msg2(&x, 0, VHOST_IOTLB_INVALIDATE, 0x11000, 0x1000, 0, 0), SZ_MSG2);
	CU_ASSERT_STRING_EQUAL(vtd_trace_at(x.d, 0), "dma_unmap 0 0x10000 0x4000");
	CU_ASSERT_EQUAL(vhv_iotlb(x.f, 0)->nmaps, 1);
	CU_ASSERT_EQUAL(vhv_pinned_pages(x.f), 1);
	/* Invalidating nothing is fine. */
	CU_ASSERT_EQUAL(msg2(&x, 0, VHOST_IOTLB_INVALIDATE, 0x90000, 0x1000, 0, 0), SZ_MSG2);
	fx_teardown(&x);
}

static void test_iotlb_batch_calls_set_map_once(void)
{
	struct fx x;
	static const char *const seq[] = { "set_map 0 n=3", NULL };

	fx_setup(&x, NULL); /* set_map parent */
	fx_owner(&x);
	CU_ASSERT_EQUAL(msg2(&x, 0, VHOST_IOTLB_BATCH_BEGIN, 0, 0, 0, 0), SZ_MSG2);
	CU_ASSERT_EQUAL(update(&x, 0, 0x10000, 0x1000, 0x50000), SZ_MSG2);
	CU_ASSERT_EQUAL(update(&x, 0, 0x20000, 0x1000, 0x60000), SZ_MSG2);
	CU_ASSERT_EQUAL(update(&x, 0, 0x30000, 0x1000, 0x70000), SZ_MSG2);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "set_map"), 0);
	CU_ASSERT_EQUAL(msg2(&x, 0, VHOST_IOTLB_BATCH_END, 0, 0, 0, 0), SZ_MSG2);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "set_map"), 1);
	CU_ASSERT_TRUE(vtd_trace_has_sequence(x.d, seq));
	CU_ASSERT_EQUAL(vtd_iotlb(x.d, 0)->nmaps, 3);
	/* Outside a batch every change sends the whole table. */
	CU_ASSERT_EQUAL(msg2(&x, 0, VHOST_IOTLB_INVALIDATE, 0x20000, 0x1000, 0, 0), SZ_MSG2);
	CU_ASSERT_EQUAL(update(&x, 0, 0x40000, 0x1000, 0x80000), SZ_MSG2);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "set_map"), 3);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "set_map 0 n=2", 0) >= 0);
	CU_ASSERT_EQUAL(vtd_iotlb(x.d, 0)->nmaps, 3);
	/* A BATCH_END without a batch sends nothing. */
	CU_ASSERT_EQUAL(msg2(&x, 0, VHOST_IOTLB_BATCH_END, 0, 0, 0, 0), SZ_MSG2);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "set_map"), 3);
	fx_teardown(&x);
}

static void test_iotlb_asid_needs_backend_feature(void)
{
	struct fx x;

	fx_setup(&x, t_dma_map);
	fx_owner(&x);
	/* Without IOTLB_ASID the asid field is ignored: this goes to asid 0. */
	CU_ASSERT_EQUAL(update(&x, 1, 0x10000, 0x1000, 0x50000), SZ_MSG2);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "dma_map 0 ", 0) >= 0);
	CU_ASSERT_PTR_NULL(vhv_iotlb(x.f, 1));
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_BACKEND_FEATURES,
				(1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |
					(1ULL << VHOST_BACKEND_F_IOTLB_ASID)),
			0);
	CU_ASSERT_EQUAL(update(&x, 1, 0x10000, 0x1000, 0x50000), SZ_MSG2);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "dma_map 1 0x10000", 0) >= 0);
	CU_ASSERT_EQUAL(vhv_iotlb(x.f, 1)->nmaps, 1);
	/* asid >= nas */
	CU_ASSERT_EQUAL(update(&x, 2, 0x10000, 0x1000, 0x50000), -EFAULT);
	CU_ASSERT_EQUAL(vhv_last_msg_error(x.f), -EINVAL);
	fx_teardown(&x);

	fx_setup(&x, t_dma_map);
	fx_owner(&x);
	set_u64(&x, VHOST_SET_BACKEND_FEATURES,
		(1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) | (1ULL << VHOST_BACKEND_F_IOTLB_ASID));
	/* An address space never updated has no IOTLB to invalidate. */
	CU_ASSERT_EQUAL(msg2(&x, 1, VHOST_IOTLB_INVALIDATE, 0x10000, 0x1000, 0, 0), -EFAULT);
	CU_ASSERT_EQUAL(vhv_last_msg_error(x.f), -EINVAL);
	CU_ASSERT_EQUAL(msg2(&x, 1, VHOST_IOTLB_BATCH_END, 0, 0, 0, 0), -EFAULT);
	fx_teardown(&x);
}

static void test_iotlb_batch_is_bound_to_one_asid(void)
{
	struct fx x;

	fx_setup(&x, NULL);
	fx_owner(&x);
	set_u64(&x, VHOST_SET_BACKEND_FEATURES,
		(1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) | (1ULL << VHOST_BACKEND_F_IOTLB_ASID) |
			(1ULL << VHOST_BACKEND_F_IOTLB_BATCH));
	CU_ASSERT_EQUAL(msg2(&x, 1, VHOST_IOTLB_BATCH_BEGIN, 0, 0, 0, 0), SZ_MSG2);
	CU_ASSERT_EQUAL(update(&x, 0, 0x10000, 0x1000, 0x50000), -EFAULT);
	CU_ASSERT_EQUAL(vhv_last_msg_error(x.f), -EINVAL);
	CU_ASSERT_EQUAL(update(&x, 1, 0x10000, 0x1000, 0x50000), SZ_MSG2);
	CU_ASSERT_EQUAL(msg2(&x, 1, VHOST_IOTLB_BATCH_END, 0, 0, 0, 0), SZ_MSG2);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "set_map 1 n=1", 0) >= 0);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "set_map"), 1);
	fx_teardown(&x);
}

static void test_iotlb_malformed_messages(void)
{
	struct fx x;
	struct vhost_msg_v2 m;
	uint32_t t = 7;

	fx_setup(&x, t_dma_map);
	fx_owner(&x);
	/* UPDATE / INVALIDATE of size 0: -EINVAL before the handler. */
	CU_ASSERT_EQUAL(msg2(&x, 0, VHOST_IOTLB_UPDATE, 0x1000, 0, 0, VHOST_ACCESS_RW), -EINVAL);
	CU_ASSERT_EQUAL(msg2(&x, 0, VHOST_IOTLB_INVALIDATE, 0x1000, 0, 0, 0), -EINVAL);
	memset(&m, 0, sizeof(m));
	m.type = VHOST_IOTLB_MSG_V2;
	m.iotlb.type = VHOST_IOTLB_UPDATE;
	m.iotlb.iova = 0x1000;
	m.iotlb.size = 0x1000;
	CU_ASSERT_EQUAL(vhv_write(x.f, &m, 8 + 16), -EINVAL);
	CU_ASSERT_EQUAL(vhv_write(x.f, &m, 2), -EINVAL);
	CU_ASSERT_EQUAL(vhv_write(x.f, NULL, sizeof(m)), -EINVAL);
	CU_ASSERT_EQUAL(vhv_write(x.f, &t, sizeof(t)), -EINVAL);
	/* Wrapping ranges and unknown message types reach the handler. */
	CU_ASSERT_EQUAL(update(&x, 0, UINT64_MAX - 0xfff, 0x2000, 0), -EFAULT);
	CU_ASSERT_EQUAL(vhv_last_msg_error(x.f), -EINVAL);
	CU_ASSERT_EQUAL(msg2(&x, 0, VHOST_IOTLB_MISS, 0x1000, 0x1000, 0, 0), -EFAULT);
	CU_ASSERT_EQUAL(msg2(&x, 0, VHOST_IOTLB_ACCESS_FAIL, 0x1000, 0x1000, 0, 0), -EFAULT);
	CU_ASSERT_EQUAL(vhv_last_msg_error(x.f), -EINVAL);
	/* The parent's dma_map failure undoes the map. */
	vtd_faults(x.d)->dma_map = ENOMEM;
	CU_ASSERT_EQUAL(update(&x, 0, 0x1000, 0x1000, 0), -EFAULT);
	CU_ASSERT_EQUAL(vhv_last_msg_error(x.f), -ENOMEM);
	CU_ASSERT_EQUAL(vhv_iotlb(x.f, 0)->nmaps, 0);
	CU_ASSERT_EQUAL(vhv_pinned_pages(x.f), 0);
	fx_teardown(&x);
}

/* Found by fuzz_vhost_vdpa: an UPDATE of 2^64 - 0x143 bytes made the pinned
 * chunk length wrap to 0, and a map of size 0 became the whole 64-bit space
 * with nothing pinned. */
static void test_iotlb_update_too_large_to_pin_is_refused(void)
{
	struct fx x;

	fx_setup(&x, NULL);
	fx_owner(&x);
	CU_ASSERT_EQUAL(update(&x, 0, 0, 0xfffffffffffffebdULL, 0x100000), -EFAULT);
	CU_ASSERT_EQUAL(vhv_last_msg_error(x.f), -ENOMEM);
	CU_ASSERT_EQUAL(vhv_iotlb(x.f, 0)->nmaps, 0);
	CU_ASSERT_EQUAL(vhv_pinned_pages(x.f), 0);
	CU_ASSERT_EQUAL(vtd_iotlb(x.d, 0)->nmaps, 0);
	/* the largest pinnable one, 2^52 - 1 pages, still maps */
	CU_ASSERT_EQUAL(update(&x, 0, 0, UINT64_MAX - 0xfff, 0), SZ_MSG2);
	CU_ASSERT_EQUAL(vhv_pinned_pages(x.f), UINT64_MAX / 4096);
	fx_teardown(&x);
}

/* Without user memory ops, user addresses are host-physical: a range that runs
 * past 2^64 is not memory anyone could pin. */
static void test_iotlb_update_with_wrapping_user_range_is_refused(void)
{
	struct fx x;

	fx_setup(&x, t_dma_map);
	fx_owner(&x);
	CU_ASSERT_EQUAL(update(&x, 0, 0x10000, 0x2000, UINT64_MAX - 0xfff), -EFAULT);
	CU_ASSERT_EQUAL(vhv_last_msg_error(x.f), -EFAULT);
	CU_ASSERT_EQUAL(vhv_iotlb(x.f, 0)->nmaps, 0);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "dma_map"), 0);
	/* up to the last page is fine */
	CU_ASSERT_EQUAL(update(&x, 0, 0x10000, 0x1000, UINT64_MAX - 0xfff), SZ_MSG2);
	fx_teardown(&x);
}

static void test_iotlb_v1_message(void)
{
	struct fx x;
	struct vhost_msg m;

	fx_setup(&x, t_dma_map);
	fx_owner(&x);
	memset(&m, 0, sizeof(m));
	m.type = VHOST_IOTLB_MSG;
	m.iotlb.type = VHOST_IOTLB_UPDATE;
	m.iotlb.iova = 0x4000;
	m.iotlb.size = 0x1000;
	m.iotlb.uaddr = 0x9000;
	m.iotlb.perm = VHOST_ACCESS_WO;
	CU_ASSERT_EQUAL(vhv_write(x.f, &m, sizeof(m)), (ssize_t)sizeof(struct vhost_msg));
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "dma_map 0 0x4000 0x1000 0x9000 2", 0) >= 0);
	fx_teardown(&x);
}

static void test_iotlb_needs_an_owner(void)
{
	struct fx x;

	fx_setup(&x, t_dma_map);
	CU_ASSERT_EQUAL(update(&x, 0, 0x1000, 0x1000, 0x1000), -EFAULT);
	CU_ASSERT_EQUAL(vhv_last_msg_error(x.f), -EPERM);
	fx_teardown(&x);
}

static void test_iotlb_maps_are_page_granular(void)
{
	struct fx x;

	fx_setup(&x, t_dma_map);
	fx_owner(&x);
	CU_ASSERT_EQUAL(update(&x, 0, 0x10800, 0x1000, 0x50800), SZ_MSG2);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "dma_map 0 0x10000 0x2000 0x50000 3", 0) >= 0);
	fx_teardown(&x);
}

/* User memory with a hole: uaddr 0x100000.. maps to two separate PA runs. */
struct umem {
	int pins, unpins;
	uint64_t unpinned;
	bool fail;
};

static int umem_pin(void *ctx, uint64_t uaddr, uint64_t len, bool write, uint64_t *pa,
		    uint64_t *contig)
{
	struct umem *u = ctx;

	(void)write;
	u->pins++;
	if (u->fail)
		return -EFAULT;
	if (uaddr < 0x102000) {
		*pa = 0x800000 + (uaddr - 0x100000);
		*contig = 0x102000 - uaddr;
	} else {
		*pa = 0x900000 + (uaddr - 0x102000);
		*contig = len;
	}
	if (*contig > len)
		*contig = len;
	return 0;
}

static void umem_unpin(void *ctx, uint64_t pa, uint64_t len, bool dirty)
{
	struct umem *u = ctx;

	(void)pa;
	(void)dirty;
	u->unpins++;
	u->unpinned += len;
}

static const struct vhv_user_mem_ops umem_ops = { umem_pin, umem_unpin };

static void test_iotlb_update_maps_each_contiguous_chunk(void)
{
	struct fx x;
	struct umem u = { 0 };

	fx_setup(&x, t_dma_map);
	fx_owner(&x);
	vhv_set_user_mem(x.f, &umem_ops, &u);
	CU_ASSERT_EQUAL(update(&x, 0, 0x40000, 0x4000, 0x100000), SZ_MSG2);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "dma_map 0 0x40000 0x2000 0x800000 3", 0) >= 0);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "dma_map 0 0x42000 0x2000 0x900000 3", 0) >= 0);
	CU_ASSERT_EQUAL(vhv_pinned_pages(x.f), 4);
	CU_ASSERT_EQUAL(msg2(&x, 0, VHOST_IOTLB_INVALIDATE, 0x40000, 0x4000, 0, 0), SZ_MSG2);
	CU_ASSERT_EQUAL(u.unpins, 2);
	CU_ASSERT_EQUAL(u.unpinned, 0x4000);
	CU_ASSERT_EQUAL(vhv_pinned_pages(x.f), 0);
	/* A pin failure fails the UPDATE and leaves nothing mapped. */
	u.fail = true;
	CU_ASSERT_EQUAL(update(&x, 0, 0x40000, 0x4000, 0x100000), -EFAULT);
	CU_ASSERT_EQUAL(vhv_last_msg_error(x.f), -EFAULT);
	CU_ASSERT_EQUAL(vhv_iotlb(x.f, 0)->nmaps, 0);
	/* RLIMIT_MEMLOCK */
	u.fail = false;
	vhv_set_memlock_limit(x.f, 3);
	CU_ASSERT_EQUAL(update(&x, 0, 0x40000, 0x4000, 0x100000), -EFAULT);
	CU_ASSERT_EQUAL(vhv_last_msg_error(x.f), -ENOMEM);
	CU_ASSERT_EQUAL(update(&x, 0, 0x40000, 0x3000, 0x100000), SZ_MSG2);
	fx_teardown(&x);
}

static void t_va(struct vtd_config *c)
{
	c->map_mode = VTD_MAP_DMA_MAP;
	c->use_va = true;
}

static void test_va_parent_gets_user_addresses(void)
{
	struct fx x;

	fx_setup(&x, t_va);
	fx_owner(&x);
	CU_ASSERT_EQUAL(update(&x, 0, 0x10800, 0x800, 0x7f0000123800ULL), SZ_MSG2);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "dma_map 0 0x10800 0x800 0x7f0000123800 3", 0) >= 0);
	CU_ASSERT_EQUAL(vhv_pinned_pages(x.f), 0);
	fx_teardown(&x);
}

/* ---- binding: virtio_vdpa-like driver first, then switch to vhost_vdpa ---------------------- */

static int other_probe(struct vdpa_device *vdev)
{
	(void)vdev;
	return 0;
}

static void test_driver_override_moves_device_to_vhost_vdpa(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct vdpa_driver other = { .name = "virtio_vdpa", .probe = other_probe };
	struct vhv_file *f = NULL;
	struct vtd *d = NULL;

	CU_ASSERT_EQUAL_FATAL(vdpa_register_driver(sim, &other), 0);
	CU_ASSERT_EQUAL_FATAL(vhv_register_driver(sim), 0);
	CU_ASSERT_EQUAL_FATAL(vtd_create(sim, NULL, "vdpa0", &d), 0);
	/* The first registered driver wins without an override. */
	CU_ASSERT_PTR_EQUAL(vtd_vdpa(d)->driver, &other);
	CU_ASSERT_PTR_NULL(vhv_chardev_name(vtd_vdpa(d)));
	CU_ASSERT_EQUAL(vhv_open(sim, "vhost-vdpa-0", &f), -ENODEV);
	/* echo vhost_vdpa > driver_override; unbind; drivers_probe */
	CU_ASSERT_EQUAL(vdpa_dev_set_driver_override(vtd_vdpa(d), VHV_DRIVER_NAME), 0);
	vdpa_device_release_driver(vtd_vdpa(d));
	CU_ASSERT_EQUAL(vdpa_bus_probe_device(vtd_vdpa(d)), 0);
	CU_ASSERT_PTR_EQUAL(vtd_vdpa(d)->driver, vhv_driver(sim));
	CU_ASSERT_STRING_EQUAL(vhv_chardev_name(vtd_vdpa(d)), "vhost-vdpa-0");
	CU_ASSERT_EQUAL(vhv_open(sim, "vhost-vdpa-0", &f), 0);
	vhv_close(f);
	eng_sim_free(sim);
}

static void test_unregistering_vhost_vdpa_orphans_the_open_handle(void)
{
	struct fx x;
	uint8_t s = 0;

	fx_setup(&x, t_dma_map);
	fx_owner(&x);
	CU_ASSERT_EQUAL(update(&x, 0, 0x1000, 0x1000, 0x1000), SZ_MSG2);
	vtd_trace_clear(x.d);
	vhv_unregister_driver(x.sim);
	/* The release ran at once: reset with map cleaning, maps dropped. */
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "compat_reset 0x1", 0) >= 0);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "dma_unmap 0 0x1000 0x1000", 0) >= 0);
	CU_ASSERT_PTR_NULL(vhv_driver(x.sim));
	CU_ASSERT_EQUAL(io(&x, VHOST_VDPA_GET_STATUS, &s), -ENODEV);
	CU_ASSERT_PTR_NULL(vtd_vdpa(x.d)->driver);
	/* Registering again binds the device again. */
	CU_ASSERT_EQUAL(vhv_register_driver(x.sim), 0);
	CU_ASSERT_STRING_EQUAL(vhv_chardev_name(vtd_vdpa(x.d)), "vhost-vdpa-0");
	fx_teardown(&x);
}

static void test_call_eventfd_swap_while_running_moves_irq_bypass(void)
{
	struct fx x;
	struct vdpa_evfd *e1 = NULL, *e2 = NULL, *err = NULL;
	struct vhost_vring_file f = { 0, -1 };
	static const char *const seq[] = { "get_status", "get_status", "get_vq_irq 0",
					   "set_vq_cb 0 cb", NULL };

	fx_setup(&x, NULL);
	fx_owner(&x);
	set_u64(&x, VHOST_SET_FEATURES, 1ULL << VIRTIO_F_VERSION_1);
	f.fd = vdpa_evfd_create(x.sim, &e1);
	io(&x, VHOST_SET_VRING_CALL, &f);
	CU_ASSERT_EQUAL(set_status(&x, 0x0f), 0);
	CU_ASSERT_EQUAL(vhv_vq_irq_bypass(x.f, 0), 32);
	vtd_trace_clear(x.d);
	f.fd = vdpa_evfd_create(x.sim, &e2);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_CALL, &f), 0);
	/* Unregister for the old eventfd, register for the new, then tell the
	 * parent. */
	CU_ASSERT_TRUE(vtd_trace_has_sequence(x.d, seq));
	CU_ASSERT_EQUAL(vhv_vq_irq_bypass(x.f, 0), 32);
	vtd_raise_vq_irq(x.d, 0);
	CU_ASSERT_EQUAL(vdpa_evfd_count(e1), 0);
	CU_ASSERT_EQUAL(vdpa_evfd_count(e2), 1);
	/* SET_VRING_ERR takes an eventfd too; nothing signals it here. */
	f.fd = vdpa_evfd_create(x.sim, &err);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_ERR, &f), 0);
	f.fd = VHOST_FILE_UNBIND;
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_ERR, &f), 0);
	fx_teardown(&x);
}

static void test_rebinding_the_same_kick_eventfd_keeps_one_poll(void)
{
	struct fx x;
	struct vdpa_evfd *e = NULL;
	struct vhost_vring_file f = { 2, -1 };

	fx_setup(&x, NULL);
	fx_owner(&x);
	f.fd = vdpa_evfd_create(x.sim, &e);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_KICK, &f), 0);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_KICK, &f), 0);
	vdpa_evfd_signal(e, 1);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "kick_vq 2"), 1);
	/* Closing the handle stops the poll: later signals kick nothing. */
	vhv_close(x.f);
	x.f = NULL;
	vdpa_evfd_signal(e, 1);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "kick_vq 2"), 1);
	fx_teardown(&x);
}

/* ---- the kernel's call order for a VMM bring-up ---------------------------------------------- */

static void test_bring_up_call_order(void)
{
	struct fx x;
	struct vdpa_evfd *kick = NULL, *call = NULL;
	struct vhost_vring_addr a = { 0, 0, 0x1000, 0x3000, 0x2000, 0 };
	struct vhost_vring_file kf, cf;
	uint64_t features = 0;
	static const char *const seq[] = {
		"get_device_features",
		"get_status", /* SET_FEATURES checks FEATURES_OK */
		"set_driver_features 0x100000000",
		"get_driver_features",
		"set_vq_num 0 256",
		"get_status", /* SET_VRING_ADDR checks DRIVER_OK */
		"set_vq_address 0 0x1000 0x2000 0x3000",
		"get_status", /* SET_VRING_BASE checks DRIVER_OK */
		"set_vq_state 0 avail=0",
		"set_vq_cb 0 cb",
		"set_vq_ready 0 1",
		"get_status",
		"set_status 0x0f",
		"get_vq_irq 0",
		"kick_vq 0",
		NULL,
	};

	fx_setup(&x, NULL);
	fx_owner(&x);
	kf.index = cf.index = 0;
	kf.fd = vdpa_evfd_create(x.sim, &kick);
	cf.fd = vdpa_evfd_create(x.sim, &call);
	CU_ASSERT_EQUAL(io(&x, VHOST_GET_FEATURES, &features), 0);
	CU_ASSERT_EQUAL(set_u64(&x, VHOST_SET_FEATURES, 1ULL << VIRTIO_F_VERSION_1), 0);
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_NUM, 0, 256), 0);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_ADDR, &a), 0);
	CU_ASSERT_EQUAL(vring(&x, VHOST_SET_VRING_BASE, 0, 0), 0);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_KICK, &kf), 0);
	CU_ASSERT_EQUAL(io(&x, VHOST_SET_VRING_CALL, &cf), 0);
	CU_ASSERT_EQUAL(vring(&x, VHOST_VDPA_SET_VRING_ENABLE, 0, 1), 0);
	CU_ASSERT_EQUAL(set_status(&x, 0x0f), 0);
	vdpa_evfd_signal(kick, 1);
	vtd_raise_vq_irq(x.d, 0);
	CU_ASSERT_TRUE(vtd_trace_has_sequence(x.d, seq));
	CU_ASSERT_EQUAL(vdpa_evfd_count(call), 1);
	if (!vtd_trace_has_sequence(x.d, seq)) {
		char buf[4096];

		vtd_trace_dump(x.d, buf, sizeof(buf));
		fprintf(stderr, "%s", buf);
	}
	fx_teardown(&x);
}

CU_MAIN("vhost_vdpa", CU_TEST_ENTRY(test_open_is_exclusive),
	CU_TEST_ENTRY(test_open_resets_the_device),
	CU_TEST_ENTRY(test_close_resets_with_clean_map_and_unmaps),
	CU_TEST_ENTRY(test_close_with_iotlb_persist_keeps_plain_reset),
	CU_TEST_ENTRY(test_platform_iommu_domain_follows_open_and_close),
	CU_TEST_ENTRY(test_open_platform_without_usable_iommu_fails),
	CU_TEST_ENTRY(test_probe_refuses_platform_iommu_with_groups),
	CU_TEST_ENTRY(test_chardev_minors_are_lowest_free),
	CU_TEST_ENTRY(test_device_removed_while_open_answers_enodev),
	CU_TEST_ENTRY(test_get_features_is_device_features), CU_TEST_ENTRY(test_set_features_rules),
	CU_TEST_ENTRY(test_status_bits_are_cleared_only_by_reset),
	CU_TEST_ENTRY(test_device_info_ioctls), CU_TEST_ENTRY(test_iova_range_sources),
	CU_TEST_ENTRY(test_config_access_bounds),
	CU_TEST_ENTRY(test_config_read_before_features_sets_legacy_features),
	CU_TEST_ENTRY(test_vring_ioctls_need_an_owner),
	CU_TEST_ENTRY(test_vring_index_beyond_nvqs_is_enobufs),
	CU_TEST_ENTRY(test_set_vring_num_needs_power_of_two),
	CU_TEST_ENTRY(test_set_vring_addr_checks),
	CU_TEST_ENTRY(test_addr_and_base_are_fixed_while_running_unless_suspended),
	CU_TEST_ENTRY(test_split_vring_base),
	CU_TEST_ENTRY(test_packed_vring_base_packs_wrap_counters),
	CU_TEST_ENTRY(test_vring_enable_sets_ready), CU_TEST_ENTRY(test_busyloop_timeout_roundtrip),
	CU_TEST_ENTRY(test_kick_eventfd_kicks_the_device), CU_TEST_ENTRY(test_one_kick_eventfd_serves_every_queue),
	CU_TEST_ENTRY(test_kick_with_bad_fd),
	CU_TEST_ENTRY(test_call_eventfd_is_signalled_by_the_vq_callback),
	CU_TEST_ENTRY(test_config_call_eventfd), CU_TEST_ENTRY(test_irq_bypass_follows_driver_ok),
	CU_TEST_ENTRY(test_backend_features_offer_and_checks),
	CU_TEST_ENTRY(test_parent_backend_features_are_offered),
	CU_TEST_ENTRY(test_suspend_resume_need_parent_ops),
	CU_TEST_ENTRY(test_vring_groups_and_group_asid), CU_TEST_ENTRY(test_log_and_unknown_ioctls),
	CU_TEST_ENTRY(test_set_mem_table_is_checked_only), CU_TEST_ENTRY(test_mmap_doorbell),
	CU_TEST_ENTRY(test_mmap_needs_a_page_sized_aligned_doorbell),
	CU_TEST_ENTRY(test_iotlb_update_with_dma_map),
	CU_TEST_ENTRY(test_iotlb_overlapping_update_fails),
	CU_TEST_ENTRY(test_iotlb_invalidate_removes_whole_maps),
	CU_TEST_ENTRY(test_iotlb_batch_calls_set_map_once),
	CU_TEST_ENTRY(test_iotlb_asid_needs_backend_feature),
	CU_TEST_ENTRY(test_iotlb_batch_is_bound_to_one_asid),
	CU_TEST_ENTRY(test_iotlb_malformed_messages),
	CU_TEST_ENTRY(test_iotlb_update_too_large_to_pin_is_refused),
	CU_TEST_ENTRY(test_iotlb_update_with_wrapping_user_range_is_refused),
	CU_TEST_ENTRY(test_iotlb_v1_message),
	CU_TEST_ENTRY(test_iotlb_needs_an_owner), CU_TEST_ENTRY(test_iotlb_maps_are_page_granular),
	CU_TEST_ENTRY(test_iotlb_update_maps_each_contiguous_chunk),
	CU_TEST_ENTRY(test_va_parent_gets_user_addresses),
	CU_TEST_ENTRY(test_driver_override_moves_device_to_vhost_vdpa),
	CU_TEST_ENTRY(test_unregistering_vhost_vdpa_orphans_the_open_handle),
	CU_TEST_ENTRY(test_call_eventfd_swap_while_running_moves_irq_bypass),
	CU_TEST_ENTRY(test_rebinding_the_same_kick_eventfd_keeps_one_poll),
	CU_TEST_ENTRY(test_bring_up_call_order));
