// SPDX-License-Identifier: MIT
/*
 * The virtio core and virtio_vdpa: probe sequence, feature negotiation,
 * find_vqs op order, config reads, config changes, interrupts, notifications,
 * recovery and the DMA pool.  A small "dummy" virtio driver stands in for
 * virtio_net; the test plays the device side of the rings itself where it
 * needs used buffers.
 */
#include "sim/engine/engine.h"
#include "sim/virtio_ring/virtio_ring.h"
#include "stack/vdpa_bus/vdpa_bus.h"
#include "stack/vdpa_testdev/vdpa_testdev.h"
#include "stack/virtio/virtio.h"
#include "stack/virtio_vdpa/virtio_vdpa.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a dummy virtio driver ------------------------------------------------------ */

#define DUMMY_NVQS 4

struct dummy {
	struct virtio_driver drv;
	int probes, removes, config_changes, freezes, restores, callbacks[DUMMY_NVQS];
	bool with_pm;           /* has freeze/restore */
	bool clear_packed;      /* validate drops RING_PACKED */
	bool find_vqs;          /* probe creates queues */
	bool ready_q0_first;    /* probe marks queue 0 ready before find_vqs */
	bool config_irq_in_probe;
	const char *names[DUMMY_NVQS];
	uint32_t sizes[DUMMY_NVQS];
	int find_err;
	struct virtqueue *vqs[DUMMY_NVQS];
	struct virtio_device *vdev;
	struct vtd *d;          /* for tracing from inside probe */
	size_t trace_at_find;   /* trace length when find_vqs started */
	size_t trace_after_find;
};

static struct dummy dm;

static const unsigned int dummy_features[] = { VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS };
static const struct virtio_device_id dummy_ids[] = { { VIRTIO_ID_NET, VIO_DEV_ANY_ID }, { 0, 0 } };

static void dummy_cb(struct virtqueue *vq)
{
	if (vq->index < DUMMY_NVQS)
		dm.callbacks[vq->index]++;
}

static int dummy_validate(struct virtio_device *vdev)
{
	if (dm.clear_packed)
		vio_clear_bit(vdev, VIRTIO_F_RING_PACKED);
	return 0;
}

static int dummy_make_vqs(struct virtio_device *vdev)
{
	vio_callback_t cbs[DUMMY_NVQS] = { dummy_cb, dummy_cb, dummy_cb, dummy_cb };

	dm.trace_at_find = vtd_trace_len(dm.d);
	dm.find_err = vdev->config->find_vqs(vdev, DUMMY_NVQS, dm.vqs, cbs, dm.names, NULL,
					     dm.sizes);
	dm.trace_after_find = vtd_trace_len(dm.d);
	return dm.find_err;
}

static int dummy_probe(struct virtio_device *vdev)
{
	struct vdpa_device *vdpa = vvd_vdpa(vdev);
	int err;

	dm.probes++;
	dm.vdev = vdev;
	if (dm.ready_q0_first)
		vdpa->config->set_vq_ready(vdpa, 0, true);
	if (dm.find_vqs) {
		err = dummy_make_vqs(vdev);
		if (err)
			return err;
	}
	if (dm.config_irq_in_probe)
		vtd_raise_config_irq(dm.d);
	return 0;
}

static void dummy_remove(struct virtio_device *vdev)
{
	dm.removes++;
	vio_reset_device(vdev);
	if (vdev->vqs)
		vdev->config->del_vqs(vdev);
	memset(dm.vqs, 0, sizeof(dm.vqs));
}

static void dummy_config_changed(struct virtio_device *vdev)
{
	(void)vdev;
	dm.config_changes++;
}

static int dummy_freeze(struct virtio_device *vdev)
{
	dm.freezes++;
	vio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
	memset(dm.vqs, 0, sizeof(dm.vqs));
	return 0;
}

static int dummy_restore(struct virtio_device *vdev)
{
	dm.restores++;
	return dm.find_vqs ? dummy_make_vqs(vdev) : 0;
}

static void dummy_init(void)
{
	memset(&dm, 0, sizeof(dm));
	dm.drv.name = "dummy_net";
	dm.drv.id_table = dummy_ids;
	dm.drv.feature_table = dummy_features;
	dm.drv.feature_table_size = 2;
	dm.drv.validate = dummy_validate;
	dm.drv.probe = dummy_probe;
	dm.drv.remove = dummy_remove;
	dm.drv.config_changed = dummy_config_changed;
	dm.names[0] = "input.0";
	dm.names[1] = "output.0";
	dm.names[2] = NULL; /* skipped: takes no index */
	dm.names[3] = "control";
}

/* ---- fixture ----------------------------------------------------------------------- */

#define HOST_PA 0x100000000ULL
#define HOST_SIZE (8ULL << 20)

struct fx {
	struct sim *sim;
	struct vtd *d;
	struct vdpa_device *vdpa;
	uint8_t *host;
	struct vq_plain_mem pm;
};

typedef void (*tweak_fn)(struct vtd_config *cfg);

/* Device first (unbound), then virtio_vdpa binds it: the trace starts at
 * virtio_vdpa's probe. */
static void fx_setup(struct fx *x, tweak_fn tweak, bool register_dummy)
{
	struct vvd_dma_config dc;
	struct vtd_config cfg;

	memset(x, 0, sizeof(*x));
	x->sim = eng_sim_new(1, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->sim);
	x->host = calloc(1, HOST_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->host);
	vq_plain_mem_init(&x->pm, x->host, HOST_PA, HOST_SIZE);
	vtd_default_config(&cfg);
	cfg.host_mem = vq_plain_mem_accessor(&x->pm);
	if (tweak)
		tweak(&cfg);
	CU_ASSERT_EQUAL_FATAL(vtd_create(x->sim, &cfg, "vdpa0", &x->d), 0);
	x->vdpa = vtd_vdpa(x->d);
	dm.d = x->d;
	if (register_dummy)
		CU_ASSERT_EQUAL_FATAL(vio_register_driver(x->sim, &dm.drv), 0);
	vtd_trace_clear(x->d);
	vvd_default_dma_config(&dc);
	dc.host_mem = vq_plain_mem_accessor(&x->pm);
	dc.pa_base = HOST_PA;
	dc.size = HOST_SIZE;
	CU_ASSERT_EQUAL_FATAL(vvd_register_driver(x->sim, &dc), 0);
}

static void fx_teardown(struct fx *x)
{
	eng_sim_free(x->sim);
	free(x->host);
}

static void dump_trace(const struct vtd *d)
{
	char buf[8192];

	vtd_trace_dump(d, buf, sizeof(buf));
	fprintf(stderr, "\n--- trace ---\n%s---\n", buf);
}

/* The trace from `from` must equal expect[] exactly. */
static void assert_trace(const struct vtd *d, size_t from, const char *const *expect, size_t n)
{
	bool ok = vtd_trace_len(d) - from == n;

	for (size_t i = 0; ok && i < n; i++)
		ok = !strcmp(vtd_trace_at(d, from + i), expect[i]);
	if (!ok)
		dump_trace(d);
	CU_ASSERT_TRUE(ok);
}

/* ---- probe ------------------------------------------------------------------------- */

static void test_probe_sequence_is_the_virtio_core_order(void)
{
	struct fx x;
	struct virtio_device *vdev;
	long at;
	char feat[64];

	dummy_init();
	fx_setup(&x, NULL, true);
	vdev = vvd_virtio(x.vdpa);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vdev);
	CU_ASSERT_PTR_EQUAL(vdev->driver, &dm.drv);
	CU_ASSERT_EQUAL(dm.probes, 1);
	CU_ASSERT_STRING_EQUAL(vdev->name, "virtio0");
	/* table & device features, plus the transport bits the ring keeps */
	CU_ASSERT_EQUAL(vdev->features,
			(1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |
				(1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) |
				(1ULL << VIRTIO_F_RING_PACKED) | (1ULL << VIRTIO_RING_F_EVENT_IDX));
	snprintf(feat, sizeof(feat), "set_driver_features 0x%llx",
		 (unsigned long long)vdev->features);
	at = vtd_trace_find(x.d, "get_device_id", 0);
	CU_ASSERT_FATAL(at >= 0);
	{
		/* virtio_vdpa_probe, register_virtio_device, virtio_dev_probe */
		const char *const expect[] = {
			"get_device_id", "get_vendor_id",
			"reset",                                 /* vdpa_reset(vdpa, 0) */
			"get_status", "set_status 0x01",         /* ACKNOWLEDGE */
			"get_status", "set_status 0x03",         /* DRIVER */
			"get_device_features",
			feat,                                    /* finalize_features */
			"get_status", "set_status 0x0b",         /* FEATURES_OK */
			"get_status",                            /* ... kept? */
			"get_status",                            /* DRIVER_OK set by probe? */
			"get_status", "set_status 0x0f",         /* virtio_device_ready */
		};
		assert_trace(x.d, (size_t)at, expect, sizeof(expect) / sizeof(expect[0]));
	}
	CU_ASSERT_EQUAL(vtd_status(x.d), 0x0f);
	CU_ASSERT_EQUAL(vtd_driver_features(x.d), vdev->features);
	CU_ASSERT_TRUE(vdev->config_enabled);
	fx_teardown(&x);
}

static void refuse_fok(struct vtd_config *c)
{
	c->refuse_features_ok = true;
}

static void test_device_refusing_features_ok_fails_probe_with_enodev(void)
{
	struct fx x;
	struct virtio_device *vdev;

	dummy_init();
	fx_setup(&x, refuse_fok, true);
	vdev = vvd_virtio(x.vdpa);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vdev); /* virtio_vdpa itself is bound */
	CU_ASSERT_EQUAL(dm.probes, 0);
	CU_ASSERT_PTR_NULL(vdev->driver);
	CU_ASSERT_EQUAL(vdev->probe_err, -ENODEV);
	CU_ASSERT_TRUE(vtd_status(x.d) & VIRTIO_CONFIG_S_FAILED);
	CU_ASSERT_FALSE(vtd_status(x.d) & VIRTIO_CONFIG_S_FEATURES_OK);
	CU_ASSERT_FALSE(vtd_status(x.d) & VIRTIO_CONFIG_S_DRIVER_OK);
	fx_teardown(&x);
}

static void test_validate_change_finalizes_features_again(void)
{
	struct fx x;
	struct virtio_device *vdev;

	dummy_init();
	dm.clear_packed = true;
	fx_setup(&x, NULL, true);
	vdev = vvd_virtio(x.vdpa);
	CU_ASSERT_EQUAL(dm.probes, 1);
	CU_ASSERT_FALSE(vio_has_feature(vdev, VIRTIO_F_RING_PACKED));
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "set_driver_features"), 2);
	CU_ASSERT_FALSE(!!(vtd_driver_features(x.d) & (1ULL << VIRTIO_F_RING_PACKED)));
	fx_teardown(&x);
}

static void test_driver_registered_later_binds_acknowledged_device(void)
{
	struct fx x;
	struct virtio_device *vdev;

	dummy_init();
	fx_setup(&x, NULL, false);
	vdev = vvd_virtio(x.vdpa);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vdev);
	CU_ASSERT_PTR_NULL(vdev->driver);
	CU_ASSERT_EQUAL(vtd_status(x.d), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	CU_ASSERT_EQUAL(vio_register_driver(x.sim, &dm.drv), 0);
	CU_ASSERT_EQUAL(vio_register_driver(x.sim, &dm.drv), -EEXIST);
	CU_ASSERT_PTR_EQUAL(vdev->driver, &dm.drv);
	CU_ASSERT_EQUAL(vtd_status(x.d), 0x0f);
	/* unbinding the driver: remove, then ACKNOWLEDGE again */
	vio_unregister_driver(&dm.drv);
	CU_ASSERT_EQUAL(dm.removes, 1);
	CU_ASSERT_PTR_NULL(vdev->driver);
	CU_ASSERT_EQUAL(vtd_status(x.d), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	fx_teardown(&x);
}

static void test_vdpa_unbind_unregisters_the_virtio_device(void)
{
	struct fx x;

	dummy_init();
	fx_setup(&x, NULL, true);
	CU_ASSERT_PTR_NOT_NULL(vvd_virtio(x.vdpa));
	vdpa_device_release_driver(x.vdpa);
	CU_ASSERT_EQUAL(dm.removes, 1);
	CU_ASSERT_PTR_NULL(vvd_virtio(x.vdpa));
	CU_ASSERT_PTR_NULL(vio_next_device(x.sim, NULL));
	/* bind again: a new virtio device, same lowest index */
	CU_ASSERT_EQUAL(vdpa_driver_bind(vvd_driver(x.sim), x.vdpa), 0);
	CU_ASSERT_STRING_EQUAL(vvd_virtio(x.vdpa)->name, "virtio0");
	CU_ASSERT_EQUAL(dm.probes, 2);
	fx_teardown(&x);
}

/* ---- find_vqs ----------------------------------------------------------------------- */

/*
 * drivers/virtio/virtio_vdpa.c (v6.8), virtio_vdpa_setup_vq per named queue:
 * get_vq_ready (must be 0), get_vq_num_max, get_vq_num_min (if the op
 * exists), get_vq_align, [vring allocation], set_vq_cb, set_vq_num,
 * set_vq_address, set_vq_state (fresh), set_vq_ready(1); after every queue,
 * virtio_vdpa_find_vqs installs the config callback (set_config_cb).  A
 * NULL name takes no queue index.
 */
static void expect_setup_vq(char (*e)[96], size_t *n, struct virtqueue *vq, bool packed)
{
	unsigned int i = vq->index;

	snprintf(e[(*n)++], 96, "get_vq_ready %u", i);
	snprintf(e[(*n)++], 96, "get_vq_num_max");
	snprintf(e[(*n)++], 96, "get_vq_num_min");
	snprintf(e[(*n)++], 96, "get_vq_align");
	snprintf(e[(*n)++], 96, "set_vq_cb %u cb", i);
	snprintf(e[(*n)++], 96, "set_vq_num %u %u", i, vio_vq_get_vring_size(vq));
	snprintf(e[(*n)++], 96, "set_vq_address %u 0x%llx 0x%llx 0x%llx", i,
		 (unsigned long long)vio_vq_get_desc_addr(vq),
		 (unsigned long long)vio_vq_get_avail_addr(vq),
		 (unsigned long long)vio_vq_get_used_addr(vq));
	if (packed)
		snprintf(e[(*n)++], 96, "set_vq_state %u packed avail=0/1 used=0/1", i);
	else
		snprintf(e[(*n)++], 96, "set_vq_state %u avail=0", i);
	snprintf(e[(*n)++], 96, "set_vq_ready %u 1", i);
}

static void check_find_vqs_trace(bool packed)
{
	struct fx x;
	char e[40][96];
	const char *ep[40];
	size_t n = 0;

	dummy_init();
	dm.find_vqs = true;
	dm.clear_packed = !packed;
	dm.sizes[1] = 128;
	fx_setup(&x, NULL, true);
	CU_ASSERT_EQUAL_FATAL(dm.find_err, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dm.vqs[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dm.vqs[1]);
	CU_ASSERT_PTR_NULL(dm.vqs[2]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dm.vqs[3]);
	CU_ASSERT_EQUAL(dm.vqs[0]->index, 0);
	CU_ASSERT_EQUAL(dm.vqs[1]->index, 1);
	CU_ASSERT_EQUAL(dm.vqs[3]->index, 2); /* the skipped entry used no index */
	CU_ASSERT_EQUAL(vio_vq_get_vring_size(dm.vqs[0]), 256);
	CU_ASSERT_EQUAL(vio_vq_get_vring_size(dm.vqs[1]), 128);
	CU_ASSERT_EQUAL(dm.vqs[1]->num_max, 256);
	expect_setup_vq(e, &n, dm.vqs[0], packed);
	expect_setup_vq(e, &n, dm.vqs[1], packed);
	expect_setup_vq(e, &n, dm.vqs[3], packed);
	snprintf(e[n++], 96, "set_config_cb cb");
	for (size_t i = 0; i < n; i++)
		ep[i] = e[i];
	CU_ASSERT_EQUAL(dm.trace_after_find - dm.trace_at_find, n);
	{
		/* compare only the find_vqs window */
		bool ok = dm.trace_after_find - dm.trace_at_find == n;

		for (size_t i = 0; ok && i < n; i++)
			ok = !strcmp(vtd_trace_at(x.d, dm.trace_at_find + i), ep[i]);
		if (!ok)
			dump_trace(x.d);
		CU_ASSERT_TRUE(ok);
	}
	/* the device holds what the driver programmed */
	CU_ASSERT_EQUAL(vtd_vq(x.d, 1)->num, 128);
	CU_ASSERT_EQUAL(vtd_vq(x.d, 1)->desc, vio_vq_get_desc_addr(dm.vqs[1]));
	CU_ASSERT_TRUE(vtd_vq(x.d, 2)->ready);
	fx_teardown(&x);
}

static void test_find_vqs_op_trace_is_the_kernel_order_split(void)
{
	check_find_vqs_trace(false);
}

static void test_find_vqs_op_trace_is_the_kernel_order_packed(void)
{
	check_find_vqs_trace(true);
}

static void test_find_vqs_refuses_a_queue_already_ready(void)
{
	struct fx x;

	dummy_init();
	dm.find_vqs = true;
	dm.ready_q0_first = true;
	fx_setup(&x, NULL, true);
	CU_ASSERT_EQUAL(dm.find_err, -ENOENT);
	CU_ASSERT_EQUAL(vvd_virtio(x.vdpa)->probe_err, -ENOENT);
	CU_ASSERT_TRUE(vtd_status(x.d) & VIRTIO_CONFIG_S_FAILED);
	fx_teardown(&x);
}

static void test_find_vqs_failure_stops_the_queue_and_unwinds(void)
{
	struct fx x;
	struct vtd_faults *f;
	long at;

	dummy_init();
	dm.find_vqs = true;
	/* the parent refuses the ring address of queue 0 */
	fx_setup(&x, NULL, false);
	f = vtd_faults(x.d);
	f->set_vq_address = EIO;
	CU_ASSERT_EQUAL(vio_register_driver(x.sim, &dm.drv), 0);
	CU_ASSERT_EQUAL(dm.find_err, -EINVAL);
	at = vtd_trace_find(x.d, "set_vq_address 0", 0);
	CU_ASSERT_FATAL(at >= 0);
	{
		const char *const expect[] = { "set_vq_ready 0 0", "get_vq_ready 0", NULL };

		CU_ASSERT_TRUE(vtd_trace_has_sequence(x.d, expect));
	}
	CU_ASSERT_FALSE(vtd_vq(x.d, 0)->ready);
	CU_ASSERT_PTR_NULL(vvd_virtio(x.vdpa)->vqs);
	fx_teardown(&x);
}

static void test_split_ring_size_must_be_a_power_of_two(void)
{
	struct fx x;

	dummy_init();
	dm.find_vqs = true;
	dm.clear_packed = true;
	dm.sizes[0] = 100;
	fx_setup(&x, NULL, true);
	CU_ASSERT_EQUAL(dm.find_err, -ENOMEM); /* vring_create_virtqueue fails */
	fx_teardown(&x);
	/* a packed ring takes any size */
	dummy_init();
	dm.find_vqs = true;
	dm.sizes[0] = 100;
	fx_setup(&x, NULL, true);
	CU_ASSERT_EQUAL(dm.find_err, 0);
	CU_ASSERT_EQUAL(vio_vq_get_vring_size(dm.vqs[0]), 100);
	fx_teardown(&x);
}

/* ---- config space and changes -------------------------------------------------------- */

static void test_config_read_retries_while_generation_moves(void)
{
	struct fx x;
	struct virtio_device *vdev;
	uint8_t mac[6];

	dummy_init();
	fx_setup(&x, NULL, true);
	vdev = vvd_virtio(x.vdpa);
	vtd_change_config_during_reads(x.d, 3);
	CU_ASSERT_EQUAL(vio_cread_bytes(vdev, 0, mac, 6), 0);
	CU_ASSERT_EQUAL(vio_config_retries(vdev), 3);
	CU_ASSERT_EQUAL(mac[5], 0x55);
	/* a device that never settles: bounded */
	vtd_change_config_during_reads(x.d, 1000);
	CU_ASSERT_EQUAL(vio_cread_bytes(vdev, 0, mac, 6), -EAGAIN);
	CU_ASSERT_EQUAL(vio_cread16(vdev, 10), 1500);
	fx_teardown(&x);
}

static void test_config_change_reaches_the_driver_once_enabled(void)
{
	struct fx x;

	dummy_init();
	dm.find_vqs = true;
	dm.config_irq_in_probe = true; /* arrives while config changes are disabled */
	fx_setup(&x, NULL, true);
	CU_ASSERT_EQUAL(dm.config_changes, 1); /* delivered after probe */
	vtd_set_link(x.d, false);
	CU_ASSERT_EQUAL(dm.config_changes, 2);
	CU_ASSERT_EQUAL(vio_cread16(vvd_virtio(x.vdpa), 6) & VIRTIO_NET_S_LINK_UP, 0);
	fx_teardown(&x);
}

/* ---- queues: the test plays the device ---------------------------------------------- */

static struct vq_dev *device_side(struct fx *x, struct virtqueue *vq)
{
	struct vq_mem mem = vq_plain_mem_accessor(&x->pm);
	struct vq_dev *dev = NULL;

	CU_ASSERT_EQUAL(vq_dev_create(&dev, vio_vq_config(vq), &mem, NULL), 0);
	return dev;
}

static void test_interrupt_runs_the_queue_callback_through_vring_interrupt(void)
{
	struct fx x;
	struct virtqueue *vq;
	struct vq_dev *dev;
	struct vq_seg sg = { 0, 64, VQ_SEG_F_WRITE }, seg[4];
	struct vq_chain c = { .seg = seg, .seg_cap = 4 };
	uint64_t buf;
	uint32_t len = 0;
	int token = 7;

	dummy_init();
	dm.find_vqs = true;
	fx_setup(&x, NULL, true);
	vq = dm.vqs[0];
	CU_ASSERT_EQUAL_FATAL(vio_dma_alloc(vvd_virtio(x.vdpa)->dma, 64, 64, &buf), 0);
	sg.addr = buf;
	CU_ASSERT_EQUAL(vio_vq_add_inbuf(vq, &sg, 1, &token), 0);
	CU_ASSERT_TRUE(vio_vq_kick(vq));
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "kick_vq 0"), 1);
	/* nothing used: a spurious interrupt does not reach the driver */
	vtd_raise_vq_irq(x.d, 0);
	CU_ASSERT_EQUAL(dm.callbacks[0], 0);
	dev = device_side(&x, vq);
	CU_ASSERT_EQUAL(vq_dev_fetch(dev, &c), 1);
	CU_ASSERT_EQUAL(vq_dev_write(dev, &c, 0, "hello", 5), 0);
	CU_ASSERT_EQUAL(vq_dev_push(dev, &c, 5), 0);
	CU_ASSERT_EQUAL(vq_dev_flush(dev), 0);
	vtd_raise_vq_irq(x.d, 0);
	CU_ASSERT_EQUAL(dm.callbacks[0], 1);
	CU_ASSERT_EQUAL(vio_vq_interrupts(vq), 1);
	CU_ASSERT_PTR_EQUAL(vio_vq_get_buf(vq, &len), &token);
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT_PTR_NULL(vio_vq_get_buf(vq, &len));
	vq_dev_free(dev);
	vio_dma_free(vvd_virtio(x.vdpa)->dma, buf, 64);
	fx_teardown(&x);
}

static void test_detach_unused_buf_returns_buffers_after_reset(void)
{
	struct fx x;
	struct virtqueue *vq;
	struct vq_seg sg = { 0x1000, 16, 0 };
	int t[3];
	int got = 0;

	dummy_init();
	dm.find_vqs = true;
	dm.sizes[1] = 128;
	fx_setup(&x, NULL, true);
	vq = dm.vqs[1];
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(vio_vq_add_outbuf(vq, &sg, 1, &t[i]), 0);
	CU_ASSERT_EQUAL(vio_vq_num_free(vq), 128 - 3);
	vio_reset_device(vvd_virtio(x.vdpa));
	while (vio_vq_detach_unused_buf(vq))
		got++;
	CU_ASSERT_EQUAL(got, 3);
	CU_ASSERT_EQUAL(vio_vq_num_free(vq), 128);
	CU_ASSERT_FALSE(vio_vq_is_broken(vq));
	vio_break_device(vvd_virtio(x.vdpa));
	CU_ASSERT_TRUE(vio_vq_is_broken(vq));
	CU_ASSERT_EQUAL(vio_vq_add_outbuf(vq, &sg, 1, &t[0]), -EIO);
	fx_teardown(&x);
}

static int doorbell_calls;
static uint64_t doorbell_addr;
static uint32_t doorbell_value;

static int doorbell(void *ctx, struct vdpa_device *vdpa, uint16_t idx, uint64_t addr,
		    uint32_t value)
{
	(void)ctx;
	(void)vdpa;
	(void)idx;
	doorbell_calls++;
	doorbell_addr = addr;
	doorbell_value = value;
	return 0;
}

static void test_doorbell_hook_replaces_kick_vq(void)
{
	struct fx x;
	struct vq_seg sg = { 0x1000, 16, 0 };
	int t;

	dummy_init();
	dm.find_vqs = true;
	fx_setup(&x, NULL, true);
	vvd_set_doorbell(x.sim, doorbell, NULL);
	doorbell_calls = 0;
	CU_ASSERT_EQUAL(vio_vq_add_outbuf(dm.vqs[1], &sg, 1, &t), 0);
	CU_ASSERT_TRUE(vio_vq_kick(dm.vqs[1]));
	CU_ASSERT_EQUAL(doorbell_calls, 1);
	CU_ASSERT_EQUAL(doorbell_addr, 0xfe000000ULL + 4096);
	CU_ASSERT_EQUAL(doorbell_value, 1);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "kick_vq"), 0);
	vvd_set_doorbell(x.sim, NULL, NULL);
	CU_ASSERT_EQUAL(vio_vq_add_outbuf(dm.vqs[1], &sg, 1, &t), 0);
	CU_ASSERT_TRUE(vio_vq_kick(dm.vqs[1]));
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "kick_vq 1"), 1);
	fx_teardown(&x);
}

static void t_notification_data(struct vtd_config *c)
{
	c->device_features |= 1ULL << VIRTIO_F_NOTIFICATION_DATA;
}

/* virtio 1.3 4.1.5.2: with NOTIFICATION_DATA a kick carries the queue index and
 * where the driver's next buffer goes; virtio_vdpa sends it by kick_vq_with_data. */
static void check_notification_data(bool split, const char *expect)
{
	struct fx x;
	struct vq_seg sg = { 0x1000, 16, 0 };
	int t;

	dummy_init();
	dm.find_vqs = true;
	dm.clear_packed = split;
	fx_setup(&x, t_notification_data, true);
	CU_ASSERT_TRUE(vio_has_feature(dm.vdev, VIRTIO_F_NOTIFICATION_DATA));
	CU_ASSERT_EQUAL(vio_vq_add_outbuf(dm.vqs[1], &sg, 1, &t), 0);
	CU_ASSERT_EQUAL(vio_vq_add_outbuf(dm.vqs[1], &sg, 1, &t), 0);
	CU_ASSERT_TRUE(vio_vq_kick(dm.vqs[1]));
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, expect), 1);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "kick_vq "), 0);
	CU_ASSERT_EQUAL(vtd_vq(x.d, 1)->kicks, 1);
	fx_teardown(&x);
}

/* virtio 1.3 4.1.5.2: with NOTIFICATION_DATA a kick carries the queue index and
 * where the driver's next buffer goes; virtio_vdpa sends it by kick_vq_with_data. */
static void test_notification_data_kicks_carry_the_next_avail_index(void)
{
	/* split: queue 1, next avail index 2 in bits 16..31 */
	check_notification_data(true, "kick_vq_with_data 0x20001");
	/* packed: next offset 2 in bits 16..30, the wrap counter (1) in bit 31 */
	check_notification_data(false, "kick_vq_with_data 0x80020001");
}

static void test_config_writes_reach_the_parent(void)
{
	static const uint8_t mac[6] = { 0x02, 1, 2, 3, 4, 5 };
	struct fx x;
	size_t len;

	dummy_init();
	fx_setup(&x, NULL, true);
	for (unsigned i = 0; i < 6; i++)
		vio_cwrite8(dm.vdev, i, mac[i]);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "set_config 0 1"), 1);
	CU_ASSERT_EQUAL(memcmp(vtd_config_space(x.d, &len), mac, 6), 0);
	CU_ASSERT_EQUAL(vio_cread8(dm.vdev, 5), 5);
	fx_teardown(&x);
}

static void test_the_driver_registers_once_and_takes_its_devices_along(void)
{
	struct vvd_dma_config dc;
	struct fx x;

	dummy_init();
	fx_setup(&x, NULL, true);
	vvd_default_dma_config(&dc);
	CU_ASSERT_EQUAL(vvd_register_driver(x.sim, &dc), -EEXIST);
	CU_ASSERT_EQUAL(vvd_register_driver(NULL, &dc), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(vvd_driver(x.sim));
	CU_ASSERT_PTR_NOT_NULL(vio_next_device(x.sim, NULL));
	vvd_unregister_driver(x.sim);
	CU_ASSERT_PTR_NULL(vvd_driver(x.sim));
	CU_ASSERT_EQUAL(dm.removes, 1);
	CU_ASSERT_PTR_NULL(vio_next_device(x.sim, NULL));
	CU_ASSERT_PTR_NULL(x.vdpa->driver);
	vvd_unregister_driver(x.sim); /* twice: nothing to do */
	/* registering again binds the device again (defaults without a config) */
	CU_ASSERT_EQUAL(vvd_register_driver(x.sim, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(x.vdpa->driver);
	CU_ASSERT_EQUAL(dm.probes, 2);
	fx_teardown(&x);
}

/* ---- recovery ------------------------------------------------------------------------- */

static void test_recover_runs_freeze_reset_restore(void)
{
	struct fx x;
	struct virtio_device *vdev;
	const char *const seq[] = { "reset", "set_status 0x01", "set_status 0x03",
				    "set_driver_features", "set_status 0x0b", "set_vq_ready 0 1",
				    "set_status 0x0f", NULL };

	dummy_init();
	dm.find_vqs = true;
	dm.drv.freeze = dummy_freeze;
	dm.drv.restore = dummy_restore;
	fx_setup(&x, NULL, true);
	vdev = vvd_virtio(x.vdpa);
	vtd_trace_clear(x.d);
	CU_ASSERT_EQUAL(vio_device_recover(vdev), 0);
	CU_ASSERT_EQUAL(dm.freezes, 1);
	CU_ASSERT_EQUAL(dm.restores, 1);
	CU_ASSERT_EQUAL(dm.probes, 1);
	CU_ASSERT_EQUAL(vdev->recoveries, 1);
	CU_ASSERT_TRUE(vtd_trace_has_sequence(x.d, seq));
	CU_ASSERT_EQUAL(vtd_status(x.d), 0x0f);
	CU_ASSERT_PTR_NOT_NULL(dm.vqs[0]);
	fx_teardown(&x);
}

static void test_recover_without_pm_removes_and_probes_again(void)
{
	struct fx x;
	struct virtio_device *vdev;

	dummy_init();
	dm.find_vqs = true;
	fx_setup(&x, NULL, true);
	vdev = vvd_virtio(x.vdpa);
	CU_ASSERT_EQUAL(vio_device_recover(vdev), 0);
	CU_ASSERT_EQUAL(dm.removes, 1);
	CU_ASSERT_EQUAL(dm.probes, 2);
	CU_ASSERT_EQUAL(vtd_status(x.d), 0x0f);
	CU_ASSERT_PTR_EQUAL(vdev->driver, &dm.drv);
	fx_teardown(&x);
}

/* ---- DMA ------------------------------------------------------------------------------ */

static void platform(struct vtd_config *c)
{
	c->map_mode = VTD_MAP_PLATFORM;
}

static void test_platform_iommu_parent_gets_the_dma_window_mapped(void)
{
	struct fx x;
	char line[96];

	dummy_init();
	fx_setup(&x, platform, true);
	CU_ASSERT_TRUE(vtd_domain_allocated(x.d));
	snprintf(line, sizeof(line), "iommu_map 0x%llx 0x%llx 0x%llx 3",
		 (unsigned long long)HOST_PA, (unsigned long long)HOST_SIZE,
		 (unsigned long long)HOST_PA);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, line, 0) >= 0);
	vdpa_device_release_driver(x.vdpa);
	CU_ASSERT_FALSE(vtd_domain_allocated(x.d));
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "iommu_domain_free"), 1);
	fx_teardown(&x);
}

static void test_dma_pool_allocates_first_fit_and_merges(void)
{
	struct vio_dma_pool *p;
	struct vio_dma *dma;
	uint64_t a, b, c, d;
	uint8_t byte = 1;

	CU_ASSERT_EQUAL(vio_dma_pool_create(0x10001, 4096, NULL, &p), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(vio_dma_pool_create(0x100000, 16384, NULL, &p), 0);
	dma = vio_dma_pool_dma(p);
	CU_ASSERT_EQUAL(vio_dma_alloc(dma, 100, 64, &a), 0);
	CU_ASSERT_EQUAL(a, 0x100000);
	CU_ASSERT_EQUAL(vio_dma_alloc(dma, 10, 4096, &b), 0);
	CU_ASSERT_EQUAL(b, 0x101000);
	CU_ASSERT_EQUAL(vio_dma_alloc(dma, 64, 64, &c), 0);
	CU_ASSERT_EQUAL(c, 0x100080); /* the alignment gap is reused */
	CU_ASSERT_EQUAL(vio_dma_alloc(dma, 20000, 64, &d), -ENOMEM);
	CU_ASSERT_EQUAL(vio_dma_pool_in_use(p), 128 + 64 + 64);
	CU_ASSERT_EQUAL(vio_dma_write(dma, c, &byte, 1), 0);
	vio_dma_free(dma, c, 64);
	/* freed memory comes back zeroed from the next allocation */
	CU_ASSERT_EQUAL(vio_dma_alloc(dma, 64, 64, &c), 0);
	CU_ASSERT_EQUAL(vio_dma_read(dma, c, &byte, 1), 0);
	CU_ASSERT_EQUAL(byte, 0);
	vio_dma_free(dma, a, 100);
	vio_dma_free(dma, b, 10);
	vio_dma_free(dma, c, 64);
	vio_dma_free(dma, c, 64); /* a double free is ignored */
	CU_ASSERT_EQUAL(vio_dma_pool_in_use(p), 0);
	CU_ASSERT_EQUAL(vio_dma_alloc(dma, 16384, 4096, &d), 0); /* all merged again */
	CU_ASSERT_EQUAL(vio_dma_read(dma, 0x100000 + 16384, &byte, 1), -EFAULT);
	vio_dma_pool_free(p);
}

CU_MAIN("virtio_vdpa", CU_TEST_ENTRY(test_probe_sequence_is_the_virtio_core_order),
	CU_TEST_ENTRY(test_device_refusing_features_ok_fails_probe_with_enodev),
	CU_TEST_ENTRY(test_validate_change_finalizes_features_again),
	CU_TEST_ENTRY(test_driver_registered_later_binds_acknowledged_device),
	CU_TEST_ENTRY(test_vdpa_unbind_unregisters_the_virtio_device),
	CU_TEST_ENTRY(test_find_vqs_op_trace_is_the_kernel_order_split),
	CU_TEST_ENTRY(test_find_vqs_op_trace_is_the_kernel_order_packed),
	CU_TEST_ENTRY(test_find_vqs_refuses_a_queue_already_ready),
	CU_TEST_ENTRY(test_find_vqs_failure_stops_the_queue_and_unwinds),
	CU_TEST_ENTRY(test_split_ring_size_must_be_a_power_of_two),
	CU_TEST_ENTRY(test_config_read_retries_while_generation_moves),
	CU_TEST_ENTRY(test_config_change_reaches_the_driver_once_enabled),
	CU_TEST_ENTRY(test_interrupt_runs_the_queue_callback_through_vring_interrupt),
	CU_TEST_ENTRY(test_detach_unused_buf_returns_buffers_after_reset),
	CU_TEST_ENTRY(test_doorbell_hook_replaces_kick_vq),
	CU_TEST_ENTRY(test_notification_data_kicks_carry_the_next_avail_index),
	CU_TEST_ENTRY(test_config_writes_reach_the_parent),
	CU_TEST_ENTRY(test_the_driver_registers_once_and_takes_its_devices_along),
	CU_TEST_ENTRY(test_recover_runs_freeze_reset_restore),
	CU_TEST_ENTRY(test_recover_without_pm_removes_and_probes_again),
	CU_TEST_ENTRY(test_platform_iommu_parent_gets_the_dma_window_mapped),
	CU_TEST_ENTRY(test_dma_pool_allocates_first_fit_and_merges));
