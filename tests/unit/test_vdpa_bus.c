// SPDX-License-Identifier: MIT
#include "sim/engine/engine.h"
#include "stack/vdpa_bus/vdpa_bus.h"
#include "stack/vdpa_testdev/vdpa_testdev.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- a recording driver ------------------------------------------------------ */

struct rec_drv {
	struct vdpa_driver drv;
	int probe_ret;
	int probes, removes;
	char last[VDPA_NAME_MAX];
};

static struct rec_drv *rec_of(struct vdpa_device *vdev)
{
	return (struct rec_drv *)vdev->driver;
}

static int rec_probe(struct vdpa_device *vdev)
{
	struct rec_drv *r = rec_of(vdev);

	r->probes++;
	snprintf(r->last, sizeof(r->last), "%s", vdev->name);
	return r->probe_ret;
}

static void rec_remove(struct vdpa_device *vdev)
{
	rec_of(vdev)->removes++;
}

static void rec_init(struct rec_drv *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->drv.name = name;
	r->drv.probe = rec_probe;
	r->drv.remove = rec_remove;
}

static struct sim *new_sim(void)
{
	struct sim *sim = eng_sim_new(1, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(sim);
	return sim;
}

static struct vtd *new_dev(struct sim *sim, const char *name)
{
	struct vtd *d = NULL;

	CU_ASSERT_EQUAL_FATAL(vtd_create(sim, NULL, name, &d), 0);
	return d;
}

/* ---- allocation and registration -------------------------------------------- */

static void test_alloc_rejects_inconsistent_dma_ops(void)
{
	struct sim *sim = new_sim();
	struct vdpa_config_ops ops = { 0 };
	int err = 0;

	CU_ASSERT_PTR_NULL(__vdpa_alloc_device(sim, NULL, 1, 1, sizeof(struct vdpa_device), NULL,
					       false, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	ops.dma_map = (void *)1; /* never called: rejected before use */
	CU_ASSERT_PTR_NULL(__vdpa_alloc_device(sim, &ops, 1, 1, sizeof(struct vdpa_device), NULL,
					       false, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	ops.dma_map = NULL;
	CU_ASSERT_PTR_NULL(__vdpa_alloc_device(sim, &ops, 1, 1, sizeof(struct vdpa_device), NULL,
					       true, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	eng_sim_free(sim);
}

static void test_devices_are_named_by_lowest_free_index(void)
{
	struct sim *sim = new_sim();
	struct vtd *a = new_dev(sim, NULL), *b = new_dev(sim, NULL), *c;

	CU_ASSERT_STRING_EQUAL(vtd_vdpa(a)->name, "vdpa0");
	CU_ASSERT_STRING_EQUAL(vtd_vdpa(b)->name, "vdpa1");
	vtd_destroy(a);
	c = new_dev(sim, NULL);
	CU_ASSERT_STRING_EQUAL(vtd_vdpa(c)->name, "vdpa0");
	CU_ASSERT_PTR_EQUAL(vdpa_find_device(sim, "vdpa1"), vtd_vdpa(b));
	eng_sim_free(sim);
}

static void test_register_duplicate_name_is_eexist(void)
{
	struct sim *sim = new_sim();
	struct vtd *d = NULL;

	new_dev(sim, "net0");
	CU_ASSERT_EQUAL(vtd_create(sim, NULL, "net0", &d), -EEXIST);
	CU_ASSERT_PTR_NOT_NULL(vdpa_find_device(sim, "net0"));
	eng_sim_free(sim);
}

static void test_first_registered_matching_driver_binds(void)
{
	struct sim *sim = new_sim();
	struct rec_drv a, b;
	struct vtd *d;

	rec_init(&a, "drv_a");
	rec_init(&b, "drv_b");
	CU_ASSERT_EQUAL(vdpa_register_driver(sim, &a.drv), 0);
	CU_ASSERT_EQUAL(vdpa_register_driver(sim, &b.drv), 0);
	d = new_dev(sim, "x");
	CU_ASSERT_PTR_EQUAL(vtd_vdpa(d)->driver, &a.drv);
	CU_ASSERT_EQUAL(a.probes, 1);
	CU_ASSERT_EQUAL(b.probes, 0);
	eng_sim_free(sim);
}

static void test_driver_override_selects_the_named_driver(void)
{
	struct sim *sim = new_sim();
	struct rec_drv a, b;
	struct vtd *d;

	rec_init(&a, "drv_a");
	rec_init(&b, "drv_b");
	vdpa_bus_set_autoprobe(sim, false);
	CU_ASSERT_EQUAL(vdpa_register_driver(sim, &a.drv), 0);
	CU_ASSERT_EQUAL(vdpa_register_driver(sim, &b.drv), 0);
	d = new_dev(sim, "x");
	CU_ASSERT_PTR_NULL(vtd_vdpa(d)->driver);
	CU_ASSERT_EQUAL(vdpa_dev_set_driver_override(vtd_vdpa(d), "drv_b\n"), 0);
	CU_ASSERT_STRING_EQUAL(vtd_vdpa(d)->driver_override, "drv_b");
	CU_ASSERT_FALSE(vdpa_dev_match(vtd_vdpa(d), &a.drv));
	CU_ASSERT_TRUE(vdpa_dev_match(vtd_vdpa(d), &b.drv));
	CU_ASSERT_EQUAL(vdpa_bus_probe_device(vtd_vdpa(d)), 0);
	CU_ASSERT_PTR_EQUAL(vtd_vdpa(d)->driver, &b.drv);
	CU_ASSERT_EQUAL(a.probes, 0);
	eng_sim_free(sim);
}

static void test_override_then_unbind_and_probe_moves_the_device(void)
{
	struct sim *sim = new_sim();
	struct rec_drv a, b;
	struct vtd *d;

	rec_init(&a, "drv_a");
	rec_init(&b, "drv_b");
	vdpa_register_driver(sim, &a.drv);
	vdpa_register_driver(sim, &b.drv);
	d = new_dev(sim, "x");
	CU_ASSERT_PTR_EQUAL(vtd_vdpa(d)->driver, &a.drv);
	vdpa_dev_set_driver_override(vtd_vdpa(d), "drv_b");
	/* The override alone does not move a bound device. */
	CU_ASSERT_PTR_EQUAL(vtd_vdpa(d)->driver, &a.drv);
	vdpa_device_release_driver(vtd_vdpa(d));
	CU_ASSERT_EQUAL(a.removes, 1);
	vdpa_bus_probe_device(vtd_vdpa(d));
	CU_ASSERT_PTR_EQUAL(vtd_vdpa(d)->driver, &b.drv);
	/* Clearing the override makes every driver match again. */
	CU_ASSERT_EQUAL(vdpa_dev_set_driver_override(vtd_vdpa(d), ""), 0);
	CU_ASSERT_PTR_NULL(vtd_vdpa(d)->driver_override);
	CU_ASSERT_TRUE(vdpa_dev_match(vtd_vdpa(d), &a.drv));
	eng_sim_free(sim);
}

static void test_override_naming_no_driver_leaves_device_unbound(void)
{
	struct sim *sim = new_sim();
	struct rec_drv a;
	struct vtd *d;

	rec_init(&a, "drv_a");
	vdpa_register_driver(sim, &a.drv);
	vdpa_bus_set_autoprobe(sim, false);
	d = new_dev(sim, "x");
	vdpa_dev_set_driver_override(vtd_vdpa(d), "nobody");
	vdpa_bus_probe_device(vtd_vdpa(d));
	CU_ASSERT_PTR_NULL(vtd_vdpa(d)->driver);
	CU_ASSERT_EQUAL(a.probes, 0);
	eng_sim_free(sim);
}

static void test_sysfs_bind_checks_match_and_busy(void)
{
	struct sim *sim = new_sim();
	struct rec_drv a, b;
	struct vtd *d;

	rec_init(&a, "drv_a");
	rec_init(&b, "drv_b");
	vdpa_register_driver(sim, &a.drv);
	vdpa_register_driver(sim, &b.drv);
	d = new_dev(sim, "x");
	CU_ASSERT_EQUAL(vdpa_driver_bind(&b.drv, vtd_vdpa(d)), -EBUSY);
	vdpa_device_release_driver(vtd_vdpa(d));
	vdpa_dev_set_driver_override(vtd_vdpa(d), "drv_a");
	CU_ASSERT_EQUAL(vdpa_driver_bind(&b.drv, vtd_vdpa(d)), -ENODEV);
	CU_ASSERT_EQUAL(vdpa_driver_bind(&a.drv, vtd_vdpa(d)), 0);
	CU_ASSERT_PTR_EQUAL(vtd_vdpa(d)->driver, &a.drv);
	eng_sim_free(sim);
}

static void test_failed_probe_falls_through_to_next_driver(void)
{
	struct sim *sim = new_sim();
	struct rec_drv a, b;
	struct vtd *d;

	rec_init(&a, "drv_a");
	rec_init(&b, "drv_b");
	a.probe_ret = -ENOMEM;
	vdpa_register_driver(sim, &a.drv);
	vdpa_register_driver(sim, &b.drv);
	d = new_dev(sim, "x");
	CU_ASSERT_EQUAL(a.probes, 1);
	CU_ASSERT_PTR_EQUAL(vtd_vdpa(d)->driver, &b.drv);
	eng_sim_free(sim);
}

static void test_probe_rejects_max_ring_below_min(void)
{
	struct sim *sim = new_sim();
	struct vtd_config cfg;
	struct rec_drv a;
	struct vtd *d = NULL;

	rec_init(&a, "drv_a");
	vdpa_register_driver(sim, &a.drv);
	vtd_default_config(&cfg);
	cfg.vq_num_max = 64;
	cfg.vq_num_min = 128;
	CU_ASSERT_EQUAL(vtd_create(sim, &cfg, "x", &d), 0);
	CU_ASSERT_PTR_NULL(vtd_vdpa(d)->driver);
	CU_ASSERT_EQUAL(a.probes, 0);
	eng_sim_free(sim);
}

static void test_registering_a_driver_binds_existing_devices(void)
{
	struct sim *sim = new_sim();
	struct rec_drv a;
	struct vtd *d1 = new_dev(sim, "x"), *d2 = new_dev(sim, "y");

	rec_init(&a, "drv_a");
	CU_ASSERT_EQUAL(vdpa_register_driver(sim, &a.drv), 0);
	CU_ASSERT_EQUAL(a.probes, 2);
	CU_ASSERT_PTR_EQUAL(vtd_vdpa(d1)->driver, &a.drv);
	CU_ASSERT_PTR_EQUAL(vtd_vdpa(d2)->driver, &a.drv);
	vdpa_unregister_driver(&a.drv);
	CU_ASSERT_EQUAL(a.removes, 2);
	CU_ASSERT_PTR_NULL(vtd_vdpa(d1)->driver);
	eng_sim_free(sim);
}

static void test_duplicate_driver_name_is_eexist(void)
{
	struct sim *sim = new_sim();
	struct rec_drv a, a2;

	rec_init(&a, "same");
	rec_init(&a2, "same");
	CU_ASSERT_EQUAL(vdpa_register_driver(sim, &a.drv), 0);
	CU_ASSERT_EQUAL(vdpa_register_driver(sim, &a2.drv), -EEXIST);
	eng_sim_free(sim);
}

static void test_unregister_device_removes_driver_first(void)
{
	struct sim *sim = new_sim();
	struct rec_drv a;
	struct vtd *d;

	rec_init(&a, "drv_a");
	vdpa_register_driver(sim, &a.drv);
	d = new_dev(sim, "x");
	vtd_destroy(d);
	CU_ASSERT_EQUAL(a.removes, 1);
	CU_ASSERT_PTR_NULL(vdpa_find_device(sim, "x"));
	eng_sim_free(sim);
}

/* ---- config helpers ----------------------------------------------------------- */

static void test_config_read_before_features_negotiates_legacy(void)
{
	struct sim *sim = new_sim();
	struct vtd *d = new_dev(sim, "x");
	uint8_t mac[6];
	static const char *const seq[] = { "set_driver_features 0x0", "get_config 0 6", NULL };

	vtd_trace_clear(d);
	vdpa_get_config(vtd_vdpa(d), 0, mac, sizeof(mac));
	CU_ASSERT_TRUE(vtd_trace_has_sequence(d, seq));
	CU_ASSERT_EQUAL(mac[5], 0x55);
	CU_ASSERT_TRUE(vtd_vdpa(d)->features_valid);
	/* Once features are valid a read goes straight to the device. */
	vtd_trace_clear(d);
	vdpa_get_config(vtd_vdpa(d), 0, mac, sizeof(mac));
	CU_ASSERT_EQUAL(vtd_trace_count(d, "set_driver_features"), 0);
	eng_sim_free(sim);
}

static void test_stable_config_read_retries_when_generation_changes(void)
{
	struct sim *sim = new_sim();
	struct vtd *d = new_dev(sim, "x");
	uint8_t cfg[8];
	unsigned int retries = 99;
	static const char *const seq[] = { "get_generation", "get_config 0 8", "get_generation",
					   "get_config 0 8", "get_generation", NULL };

	vdpa_set_features(vtd_vdpa(d), 0);
	vtd_change_config_during_reads(d, 1);
	vtd_trace_clear(d);
	CU_ASSERT_EQUAL(vdpa_get_config_stable(vtd_vdpa(d), 0, cfg, sizeof(cfg), &retries), 0);
	CU_ASSERT_EQUAL(retries, 1);
	CU_ASSERT_EQUAL(vtd_trace_count(d, "get_config"), 2);
	CU_ASSERT_TRUE(vtd_trace_has_sequence(d, seq));
	/* The second read saw the change: link went down. */
	CU_ASSERT_EQUAL(cfg[6] & VIRTIO_NET_S_LINK_UP, 0);
	eng_sim_free(sim);
}

static void test_stable_config_read_gives_up_after_bounded_tries(void)
{
	struct sim *sim = new_sim();
	struct vtd *d = new_dev(sim, "x");
	uint8_t cfg[2];
	unsigned int retries = 0;

	vdpa_set_features(vtd_vdpa(d), 0);
	vtd_change_config_during_reads(d, 1000);
	vtd_trace_clear(d);
	CU_ASSERT_EQUAL(vdpa_get_config_stable(vtd_vdpa(d), 0, cfg, sizeof(cfg), &retries),
			-EAGAIN);
	CU_ASSERT_EQUAL(vtd_trace_count(d, "get_config"), VDPA_CONFIG_READ_TRIES);
	eng_sim_free(sim);
}

static void test_stable_config_read_without_generation_reads_once(void)
{
	struct sim *sim = new_sim();
	struct vtd_config cfg;
	struct vtd *d = NULL;
	uint8_t buf[2];
	unsigned int retries = 9;

	vtd_default_config(&cfg);
	cfg.has_generation = false;
	CU_ASSERT_EQUAL_FATAL(vtd_create(sim, &cfg, "x", &d), 0);
	vdpa_set_features(vtd_vdpa(d), 0);
	vtd_change_config_during_reads(d, 5);
	vtd_trace_clear(d);
	CU_ASSERT_EQUAL(vdpa_get_config_stable(vtd_vdpa(d), 0, buf, sizeof(buf), &retries), 0);
	CU_ASSERT_EQUAL(retries, 0);
	CU_ASSERT_EQUAL(vtd_trace_count(d, "get_config"), 1);
	eng_sim_free(sim);
}

static void test_reset_uses_compat_reset_only_with_flags(void)
{
	struct sim *sim = new_sim();
	struct vtd *d = new_dev(sim, "x");

	vdpa_set_features(vtd_vdpa(d), 0);
	vtd_trace_clear(d);
	CU_ASSERT_EQUAL(vdpa_reset(vtd_vdpa(d), 0), 0);
	CU_ASSERT_STRING_EQUAL(vtd_trace_at(d, 0), "reset");
	CU_ASSERT_FALSE(vtd_vdpa(d)->features_valid);
	CU_ASSERT_EQUAL(vdpa_reset(vtd_vdpa(d), VDPA_RESET_F_CLEAN_MAP), 0);
	CU_ASSERT_STRING_EQUAL(vtd_trace_at(d, 1), "compat_reset 0x1");
	vtd_faults(d)->reset = EIO;
	CU_ASSERT_EQUAL(vdpa_reset(vtd_vdpa(d), 0), -EIO);
	eng_sim_free(sim);
}

static void test_features_ok_detects_a_refusing_device(void)
{
	struct sim *sim = new_sim();
	struct vtd_config cfg;
	struct vtd *d = NULL, *e = NULL;

	vtd_default_config(&cfg);
	cfg.refuse_features_ok = true;
	CU_ASSERT_EQUAL_FATAL(vtd_create(sim, &cfg, "refuse", &d), 0);
	CU_ASSERT_EQUAL(vdpa_set_features(vtd_vdpa(d), 1ULL << VIRTIO_F_VERSION_1), 0);
	CU_ASSERT_EQUAL(vdpa_features_ok(vtd_vdpa(d)), -ENODEV);
	e = new_dev(sim, "accept");
	CU_ASSERT_EQUAL(vdpa_set_features(vtd_vdpa(e), 1ULL << VIRTIO_F_VERSION_1), 0);
	CU_ASSERT_EQUAL(vdpa_features_ok(vtd_vdpa(e)), 0);
	CU_ASSERT_TRUE(vtd_status(e) & VIRTIO_CONFIG_S_FEATURES_OK);
	/* A legacy (no VERSION_1) negotiation has no FEATURES_OK step. */
	vdpa_reset(vtd_vdpa(e), 0);
	vdpa_set_features(vtd_vdpa(e), 0);
	vtd_trace_clear(e);
	CU_ASSERT_EQUAL(vdpa_features_ok(vtd_vdpa(e)), 0);
	CU_ASSERT_EQUAL(vtd_trace_count(e, "set_status"), 0);
	eng_sim_free(sim);
}

static void test_set_features_reports_parent_refusal(void)
{
	struct sim *sim = new_sim();
	struct vtd *d = new_dev(sim, "x");

	CU_ASSERT_EQUAL(vdpa_set_features(vtd_vdpa(d), 1ULL << VIRTIO_NET_F_GUEST_TSO4), -EINVAL);
	CU_ASSERT_TRUE(vtd_vdpa(d)->features_valid);
	eng_sim_free(sim);
}

/* ---- management device and the vdpa tool --------------------------------------- */

#define OUT 2048

static struct sim *sim_with_mgmt(struct vtd_config *cfg)
{
	struct sim *sim = new_sim();

	CU_ASSERT_EQUAL_FATAL(vtd_mgmtdev_register(sim, cfg, NULL), 0);
	return sim;
}

static void test_tool_mgmtdev_show_prints_classes_vqs_features(void)
{
	struct sim *sim = sim_with_mgmt(NULL);
	char out[OUT];

	CU_ASSERT_EQUAL(vdpa_tool(sim, "vdpa mgmtdev show", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "vdpasim_net:\n"
				    "  supported_classes net\n"
				    "  max_supported_vqs 9\n"
				    "  dev_features MTU MAC STATUS CTRL_VQ MQ RING_EVENT_IDX "
				    "VERSION_1 ACCESS_PLATFORM RING_PACKED\n");
	CU_ASSERT_EQUAL(vdpa_tool(sim, "mgmtdev show nope", out, sizeof(out)), -ENODEV);
	eng_sim_free(sim);
}

static void test_tool_mgmtdev_with_bus_handle(void)
{
	struct vtd_config cfg;
	struct sim *sim;
	char out[OUT];

	vtd_default_config(&cfg);
	cfg.mgmtdev_bus = "pci";
	cfg.mgmtdev_name = "0000:01:00.0";
	sim = sim_with_mgmt(&cfg);
	CU_ASSERT_EQUAL(vdpa_tool(sim, "mgmtdev show pci/0000:01:00.0", out, sizeof(out)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "pci/0000:01:00.0:\n"));
	CU_ASSERT_EQUAL(vdpa_tool(sim,
				  "vdpa dev add name vdpa0 mgmtdev pci/0000:01:00.0 "
				  "mac 00:11:22:33:44:55 max_vqp 4",
				  out, sizeof(out)),
			0);
	CU_ASSERT_EQUAL(vdpa_find_device(sim, "vdpa0")->nvqs, 9);
	/* The bare device name does not match a handle with a bus. */
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev add name v1 mgmtdev 0000:01:00.0", out, sizeof(out)),
			-ENODEV);
	eng_sim_free(sim);
}

static void test_tool_dev_add_then_dev_show(void)
{
	struct sim *sim = sim_with_mgmt(NULL);
	char out[OUT];

	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev add name vdpa0 mgmtdev vdpasim_net", out, sizeof(out)),
			0);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev show", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "vdpa0: type network mgmtdev vdpasim_net vendor_id 0 max_vqs 3 "
				    "max_vq_size 256 min_vq_size 1\n");
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev show vdpa9", out, sizeof(out)), -ENODEV);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "kernel answers: No such device"));
	eng_sim_free(sim);
}

static void test_tool_dev_add_duplicate_name_is_eexist(void)
{
	struct sim *sim = sim_with_mgmt(NULL);
	char out[OUT];

	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev add name vdpa0 mgmtdev vdpasim_net", out, sizeof(out)),
			0);
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev add name vdpa0 mgmtdev vdpasim_net", out, sizeof(out)),
			-EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "File exists"));
	eng_sim_free(sim);
}

static void test_tool_dev_add_unknown_mgmtdev_is_enodev(void)
{
	struct sim *sim = sim_with_mgmt(NULL);
	char out[OUT];

	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev add name v mgmtdev pci/0000:09:00.0", out, sizeof(out)),
			-ENODEV);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Error: management device pci/0000:09:00.0 not found"));
	eng_sim_free(sim);
}

static void test_tool_dev_add_unsupported_attribute_is_eopnotsupp(void)
{
	struct vtd_config cfg;
	struct sim *sim;
	char out[OUT];

	vtd_default_config(&cfg);
	cfg.config_attr_mask &= ~(1ULL << VDPA_ATTR_DEV_NET_CFG_MTU);
	sim = sim_with_mgmt(&cfg);
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev add name v mgmtdev vdpasim_net mtu 9000", out,
				  sizeof(out)),
			-EOPNOTSUPP);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "not supported: 0x2000"));
	CU_ASSERT_PTR_NULL(vdpa_find_device(sim, "v"));
	eng_sim_free(sim);
}

static void test_tool_dev_add_zero_queue_pairs_is_einval(void)
{
	struct sim *sim = sim_with_mgmt(NULL);
	char out[OUT];

	/* Checked before the management device is even looked up. */
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev add name v mgmtdev nope max_vqp 0", out, sizeof(out)),
			-EINVAL);
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev add name v mgmtdev vdpasim_net max_vqp 5", out,
				  sizeof(out)),
			-EINVAL);
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev add name v mgmtdev vdpasim_net max_vqp 4", out,
				  sizeof(out)),
			0);
	eng_sim_free(sim);
}

static void test_tool_dev_add_features_outside_parent_is_einval(void)
{
	struct sim *sim = sim_with_mgmt(NULL);
	char out[OUT];

	/* GUEST_TSO4 (bit 7) is not among the parent's features. */
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev add name v mgmtdev vdpasim_net device_features 0x100000080",
				  out, sizeof(out)),
			-EINVAL);
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev add name v mgmtdev vdpasim_net device_features 0x100000000",
				  out, sizeof(out)),
			0);
	CU_ASSERT_EQUAL(vtd_device_features(vtd_from_vdpa(vdpa_find_device(sim, "v"))),
			1ULL << VIRTIO_F_VERSION_1);
	eng_sim_free(sim);
}

static void test_tool_dev_add_features_must_cover_attributes(void)
{
	struct sim *sim = sim_with_mgmt(NULL);
	char out[OUT];

	CU_ASSERT_EQUAL(vdpa_tool(sim,
				  "dev add name v mgmtdev vdpasim_net mac 00:11:22:33:44:66 "
				  "device_features 0x100000000",
				  out, sizeof(out)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "missing features 0x20"));
	CU_ASSERT_EQUAL(vdpa_tool(sim,
				  "dev add name v mgmtdev vdpasim_net max_vqp 2 "
				  "device_features 0x100000020",
				  out, sizeof(out)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "missing features 0x400000"));
	eng_sim_free(sim);
}

static int nonet_add(struct vdpa_mgmt_dev *m, const char *n, const struct vdpa_dev_set_config *c)
{
	(void)m;
	(void)n;
	(void)c;
	return 0;
}

static void nonet_del(struct vdpa_mgmt_dev *m, struct vdpa_device *d)
{
	(void)m;
	(void)d;
}

static void test_tool_net_attributes_need_net_class(void)
{
	static const struct vdpa_mgmtdev_ops ops = { nonet_add, nonet_del };
	static const struct vdpa_virtio_device_id blk[] = { { VIRTIO_ID_BLOCK, 0xffffffff },
							    { 0, 0 } };
	struct vdpa_mgmt_dev m = { 0 };
	struct sim *sim = new_sim();
	char out[OUT];

	m.dev_name = "blksim";
	m.ops = &ops;
	m.id_table = blk;
	m.config_attr_mask = 1ULL << VDPA_ATTR_DEV_NET_CFG_MTU;
	CU_ASSERT_EQUAL_FATAL(vdpa_mgmtdev_register(sim, &m), 0);
	CU_ASSERT_EQUAL(vdpa_mgmtdev_register(sim, &m), -EEXIST);
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev add name b mgmtdev blksim mtu 1500", out, sizeof(out)),
			-EINVAL);
	CU_ASSERT_EQUAL(vdpa_tool(sim, "mgmtdev show blksim", out, sizeof(out)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "supported_classes block\n"));
	vdpa_mgmtdev_unregister(&m);
	eng_sim_free(sim);
}

static void test_tool_dev_del(void)
{
	struct sim *sim = sim_with_mgmt(NULL);
	char out[OUT];

	new_dev(sim, "direct");
	vdpa_tool(sim, "dev add name vdpa0 mgmtdev vdpasim_net", out, sizeof(out));
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev del vdpa0", out, sizeof(out)), 0);
	CU_ASSERT_PTR_NULL(vdpa_find_device(sim, "vdpa0"));
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev del vdpa0", out, sizeof(out)), -ENODEV);
	/* Devices not created through a management device cannot be deleted. */
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev del direct", out, sizeof(out)), -EINVAL);
	eng_sim_free(sim);
}

static void test_tool_dev_config_show(void)
{
	struct sim *sim = sim_with_mgmt(NULL);
	struct vdpa_device *v;
	char out[OUT];

	vdpa_tool(sim, "dev add name vdpa0 mgmtdev vdpasim_net mac 02:00:00:00:00:07 max_vqp 4 mtu 9000",
		  out, sizeof(out));
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev config show vdpa0", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "vdpa0: mac 02:00:00:00:00:07 link up link_announce false "
				    "max_vq_pairs 4 mtu 9000\n"
				    "  dev_features MTU MAC STATUS CTRL_VQ MQ RING_EVENT_IDX "
				    "VERSION_1 ACCESS_PLATFORM RING_PACKED\n");
	/* After FEATURES_OK the negotiated set is shown too. */
	v = vdpa_find_device(sim, "vdpa0");
	vdpa_set_features(v, (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MAC));
	vdpa_set_status(v, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				   VIRTIO_CONFIG_S_FEATURES_OK);
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev config show", out, sizeof(out)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n  negotiated_features MAC VERSION_1\n"));
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev config show nope", out, sizeof(out)), -ENODEV);
	eng_sim_free(sim);
}

static void test_tool_vstats_need_features_ok(void)
{
	struct sim *sim = sim_with_mgmt(NULL);
	struct vdpa_device *v;
	char out[OUT];

	vdpa_tool(sim, "dev add name vdpa0 mgmtdev vdpasim_net max_vqp 2", out, sizeof(out));
	v = vdpa_find_device(sim, "vdpa0");
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev vstats show vdpa0 qidx 1", out, sizeof(out)), -EAGAIN);
	vdpa_set_features(v, (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MQ));
	vdpa_set_status(v, VIRTIO_CONFIG_S_FEATURES_OK);
	v->config->kick_vq(v, 1);
	v->config->kick_vq(v, 1);
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev vstats show vdpa0 qidx 1", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "vdpa0: max_vq_pairs 2 queue_type tx queue_index 1 "
				    "received_desc 2 completed_desc 0\n"
				    "  negotiated_features MQ VERSION_1\n");
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev vstats show vdpa0 qidx 4", out, sizeof(out)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "queue_type control_vq"));
	/* The parent rejects a queue it does not have. */
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev vstats show vdpa0 qidx 5", out, sizeof(out)), -EINVAL);
	eng_sim_free(sim);
}

static void test_tool_vstats_without_parent_support_is_eopnotsupp(void)
{
	struct vtd_config cfg;
	struct sim *sim;
	char out[OUT];

	vtd_default_config(&cfg);
	cfg.has_vendor_stats = false;
	sim = sim_with_mgmt(&cfg);
	vdpa_tool(sim, "dev add name vdpa0 mgmtdev vdpasim_net", out, sizeof(out));
	CU_ASSERT_EQUAL(vdpa_tool(sim, "dev vstats show vdpa0 qidx 0", out, sizeof(out)),
			-EOPNOTSUPP);
	eng_sim_free(sim);
}

static void test_tool_parse_errors_are_einval(void)
{
	struct sim *sim = sim_with_mgmt(NULL);
	struct vdpa_tool_cmd cmd;
	char out[OUT];
	static const char *const bad[] = {
		"",
		"vdpa",
		"vdpa link show",
		"dev add mgmtdev vdpasim_net",
		"dev add name v",
		"dev add name v mgmtdev vdpasim_net mac 00:11:22:33:44",
		"dev add name v mgmtdev vdpasim_net mac 00:11:22:33:44:zz",
		"dev add name v mgmtdev vdpasim_net mtu 70000",
		"dev add name v mgmtdev vdpasim_net mtu",
		"dev add name v mgmtdev vdpasim_net speed 10",
		"dev add name v mgmtdev vdpasim_net device_features xyz",
		"dev del",
		"dev vstats show vdpa0",
		"dev vstats show vdpa0 qidx",
		"dev vstats show vdpa0 qidx -1",
		"dev config set vdpa0",
		"dev show a b",
		NULL,
	};

	for (int i = 0; bad[i]; i++) {
		CU_ASSERT_EQUAL(vdpa_tool_parse(bad[i], &cmd, NULL, 0), -EINVAL);
		CU_ASSERT_EQUAL(vdpa_tool(sim, bad[i], out, sizeof(out)), -EINVAL);
		CU_ASSERT_NOT_EQUAL(out[0], '\0');
	}
	CU_ASSERT_EQUAL(vdpa_tool_parse("vdpa dev add name vdpa0 mgmtdev pci/0000:01:00.0 mac "
					"00:11:22:33:44:55 max_vqp 4 mtu 1500 device_features 0x3",
					&cmd, NULL, 0),
			0);
	CU_ASSERT_EQUAL(cmd.verb, VDPA_TOOL_DEV_ADD);
	CU_ASSERT_STRING_EQUAL(cmd.name, "vdpa0");
	CU_ASSERT_STRING_EQUAL(cmd.mgmtdev, "pci/0000:01:00.0");
	CU_ASSERT_EQUAL(cmd.config.net.max_vq_pairs, 4);
	CU_ASSERT_EQUAL(cmd.config.net.mtu, 1500);
	CU_ASSERT_EQUAL(cmd.config.device_features, 3);
	CU_ASSERT_EQUAL(cmd.config.net.mac[5], 0x55);
	CU_ASSERT_EQUAL(cmd.config.mask, (1ULL << VDPA_ATTR_DEV_NET_CFG_MACADDR) |
						 (1ULL << VDPA_ATTR_DEV_NET_CFG_MAX_VQP) |
						 (1ULL << VDPA_ATTR_DEV_NET_CFG_MTU) |
						 (1ULL << VDPA_ATTR_DEV_FEATURES));
	CU_ASSERT_EQUAL(vdpa_tool_parse("dev list", &cmd, NULL, 0), 0);
	CU_ASSERT_EQUAL(cmd.verb, VDPA_TOOL_DEV_SHOW);
	CU_ASSERT_EQUAL(vdpa_tool_parse("dev vstats show v qidx 3", &cmd, NULL, 0), 0);
	CU_ASSERT_TRUE(cmd.has_qidx);
	CU_ASSERT_EQUAL(cmd.qidx, 3);
	eng_sim_free(sim);
}

static void test_mgmtdev_unregister_deletes_its_devices(void)
{
	struct sim *sim = new_sim();
	struct vtd_mgmt *m = NULL;
	char out[OUT];

	CU_ASSERT_EQUAL_FATAL(vtd_mgmtdev_register(sim, NULL, &m), 0);
	vdpa_tool(sim, "dev add name a mgmtdev vdpasim_net", out, sizeof(out));
	vdpa_tool(sim, "dev add name b mgmtdev vdpasim_net", out, sizeof(out));
	CU_ASSERT_PTR_NOT_NULL(vdpa_find_device(sim, "b"));
	vtd_mgmtdev_unregister(m);
	CU_ASSERT_PTR_NULL(vdpa_find_device(sim, "a"));
	CU_ASSERT_PTR_NULL(vdpa_find_device(sim, "b"));
	CU_ASSERT_EQUAL(vdpa_tool(sim, "mgmtdev show", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	eng_sim_free(sim);
}

static void test_feature_names_fall_back_to_bit_numbers(void)
{
	char b[32];

	CU_ASSERT_STRING_EQUAL(vdpa_feature_name(VIRTIO_ID_NET, 5, b, sizeof(b)), "MAC");
	CU_ASSERT_STRING_EQUAL(vdpa_feature_name(VIRTIO_ID_NET, 32, b, sizeof(b)), "VERSION_1");
	CU_ASSERT_STRING_EQUAL(vdpa_feature_name(VIRTIO_ID_NET, 43, b, sizeof(b)), "SUSPEND");
	CU_ASSERT_STRING_EQUAL(vdpa_feature_name(VIRTIO_ID_BLOCK, 5, b, sizeof(b)), "bit_5");
	CU_ASSERT_STRING_EQUAL(vdpa_feature_name(VIRTIO_ID_NET, 50, b, sizeof(b)), "bit_50");
}

/* ---- iotlb ------------------------------------------------------------------------ */

static void test_iotlb_overlap_is_eexist_and_lookup_finds_lowest(void)
{
	struct vdpa_iotlb t;
	struct vdpa_iotlb_map *m;

	vdpa_iotlb_init(&t);
	CU_ASSERT_EQUAL(vdpa_iotlb_add_range(&t, 0x3000, 0x3fff, 0x13000, VHOST_ACCESS_RW), 0);
	CU_ASSERT_EQUAL(vdpa_iotlb_add_range(&t, 0x1000, 0x1fff, 0x11000, VHOST_ACCESS_RO), 0);
	CU_ASSERT_EQUAL(vdpa_iotlb_add_range(&t, 0x1800, 0x27ff, 0, VHOST_ACCESS_RO), -EEXIST);
	CU_ASSERT_EQUAL(vdpa_iotlb_add_range(&t, 0x0, 0x3000, 0, VHOST_ACCESS_RO), -EEXIST);
	CU_ASSERT_EQUAL(vdpa_iotlb_add_range(&t, 0x2000, 0x2fff, 0x12000, VHOST_ACCESS_WO), 0);
	CU_ASSERT_EQUAL(t.nmaps, 3);
	m = vdpa_iotlb_itree_first(&t, 0x1fff, 0x3000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->start, 0x1000);
	m = vdpa_iotlb_itree_next(&t, m, 0x1fff, 0x3000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->start, 0x2000);
	m = vdpa_iotlb_itree_next(&t, m, 0x1fff, 0x3000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->start, 0x3000);
	CU_ASSERT_PTR_NULL(vdpa_iotlb_itree_next(&t, m, 0x1fff, 0x3000));
	CU_ASSERT_PTR_NULL(vdpa_iotlb_itree_first(&t, 0x4000, 0x5000));
	vdpa_iotlb_reset(&t);
}

static void test_iotlb_del_range_drops_whole_overlapping_maps(void)
{
	struct vdpa_iotlb t;

	vdpa_iotlb_init(&t);
	vdpa_iotlb_add_range(&t, 0x0000, 0x0fff, 0, VHOST_ACCESS_RW);
	vdpa_iotlb_add_range(&t, 0x1000, 0x2fff, 0, VHOST_ACCESS_RW);
	vdpa_iotlb_add_range(&t, 0x3000, 0x3fff, 0, VHOST_ACCESS_RW);
	vdpa_iotlb_del_range(&t, 0x2000, 0x2000);
	CU_ASSERT_EQUAL(t.nmaps, 2);
	CU_ASSERT_PTR_NULL(vdpa_iotlb_itree_first(&t, 0x1000, 0x2fff));
	vdpa_iotlb_free(NULL);
	vdpa_iotlb_reset(&t);
}

static void test_iotlb_whole_space_is_two_maps(void)
{
	struct vdpa_iotlb t;
	uint64_t addr = 0, contig = 0;

	vdpa_iotlb_init(&t);
	CU_ASSERT_EQUAL(vdpa_iotlb_add_range(&t, 0, UINT64_MAX, 0, VHOST_ACCESS_RW), 0);
	CU_ASSERT_EQUAL(t.nmaps, 2);
	CU_ASSERT_EQUAL(t.maps[0].size, 1ULL << 63);
	CU_ASSERT_EQUAL(t.maps[1].start, 1ULL << 63);
	CU_ASSERT_EQUAL(vdpa_iotlb_translate(&t, UINT64_MAX, VHOST_ACCESS_WO, &addr, &contig), 0);
	CU_ASSERT_EQUAL(addr, UINT64_MAX);
	CU_ASSERT_EQUAL(contig, 1);
	CU_ASSERT_EQUAL(vdpa_iotlb_add_range(&t, 5, 4, 0, VHOST_ACCESS_RW), -EFAULT);
	vdpa_iotlb_reset(&t);
}

static void test_iotlb_translate_checks_permission(void)
{
	struct vdpa_iotlb t;
	uint64_t addr = 0, contig = 0;

	vdpa_iotlb_init(&t);
	vdpa_iotlb_add_range(&t, 0x1000, 0x1fff, 0x80000, VHOST_ACCESS_RO);
	CU_ASSERT_EQUAL(vdpa_iotlb_translate(&t, 0x1800, VHOST_ACCESS_RO, &addr, &contig), 0);
	CU_ASSERT_EQUAL(addr, 0x80800);
	CU_ASSERT_EQUAL(contig, 0x800);
	CU_ASSERT_EQUAL(vdpa_iotlb_translate(&t, 0x1800, VHOST_ACCESS_WO, &addr, &contig), -EPERM);
	CU_ASSERT_EQUAL(vdpa_iotlb_translate(&t, 0x2000, VHOST_ACCESS_RO, &addr, &contig), -EFAULT);
	CU_ASSERT_EQUAL(vdpa_iotlb_translate(&t, 0xfff, VHOST_ACCESS_RO, &addr, &contig), -EFAULT);
	vdpa_iotlb_reset(&t);
}

static void test_iotlb_copy_is_independent(void)
{
	struct vdpa_iotlb a, b;

	vdpa_iotlb_init(&a);
	vdpa_iotlb_init(&b);
	vdpa_iotlb_add_range(&a, 0, 0xfff, 0, VHOST_ACCESS_RW);
	vdpa_iotlb_add_range(&b, 0x5000, 0x5fff, 0, VHOST_ACCESS_RW);
	CU_ASSERT_EQUAL(vdpa_iotlb_copy(&b, &a), 0);
	vdpa_iotlb_del_range(&a, 0, UINT64_MAX);
	CU_ASSERT_EQUAL(a.nmaps, 0);
	CU_ASSERT_EQUAL(b.nmaps, 1);
	CU_ASSERT_EQUAL(b.maps[0].start, 0);
	vdpa_iotlb_reset(&a);
	vdpa_iotlb_reset(&b);
}

/* ---- fd table and eventfds ------------------------------------------------------ */

struct wake_log {
	int calls;
	uint64_t seen;
};

static void wake_fn(void *ctx, struct vdpa_evfd *efd)
{
	struct wake_log *w = ctx;

	w->calls++;
	w->seen = vdpa_evfd_count(efd);
}

static void test_evfd_counter_semantics(void)
{
	struct sim *sim = new_sim();
	struct vdpa_evfd *e = NULL;
	uint64_t v = 0;

	CU_ASSERT_TRUE(vdpa_evfd_create(sim, &e) >= 3);
	CU_ASSERT_EQUAL(vdpa_evfd_read(e, &v), -EAGAIN);
	vdpa_evfd_signal(e, 1);
	vdpa_evfd_signal(e, 2);
	CU_ASSERT_EQUAL(vdpa_evfd_count(e), 3);
	CU_ASSERT_EQUAL(vdpa_evfd_read(e, &v), 0);
	CU_ASSERT_EQUAL(v, 3);
	CU_ASSERT_EQUAL(vdpa_evfd_count(e), 0);
	CU_ASSERT_EQUAL(vdpa_evfd_write(e, UINT64_MAX), -EINVAL);
	CU_ASSERT_EQUAL(vdpa_evfd_write(e, UINT64_MAX - 1), 0);
	CU_ASSERT_EQUAL(vdpa_evfd_write(e, 1), -EAGAIN);
	/* The kernel-side signal saturates instead. */
	vdpa_evfd_signal(e, 10);
	CU_ASSERT_EQUAL(vdpa_evfd_count(e), UINT64_MAX);
	CU_ASSERT_EQUAL(vdpa_evfd_signals(e), 4); /* refused writes do not count */
	eng_sim_free(sim);
}

static void test_evfd_waiters_run_on_signal(void)
{
	struct sim *sim = new_sim();
	struct vdpa_evfd *e = NULL;
	struct wake_log w = { 0 };
	int id;

	vdpa_evfd_create(sim, &e);
	id = vdpa_evfd_add_waiter(e, wake_fn, &w);
	CU_ASSERT_TRUE(id >= 0);
	vdpa_evfd_signal(e, 1);
	CU_ASSERT_EQUAL(w.calls, 1);
	CU_ASSERT_EQUAL(w.seen, 1);
	CU_ASSERT_EQUAL(vdpa_evfd_write(e, 0), 0); /* count stays 1: still readable */
	CU_ASSERT_EQUAL(w.calls, 2);
	vdpa_evfd_remove_waiter(e, id);
	vdpa_evfd_signal(e, 1);
	CU_ASSERT_EQUAL(w.calls, 2);
	/* any number of waiters (was -ENOSPC past VDPA_EVFD_WAITERS), all woken;
	 * a freed id is taken again first */
	for (int i = 0; i < 3 * VDPA_EVFD_WAITERS; i++)
		CU_ASSERT_EQUAL(vdpa_evfd_add_waiter(e, wake_fn, &w), i);
	vdpa_evfd_remove_waiter(e, 5);
	vdpa_evfd_remove_waiter(e, 1000);
	w.calls = 0;
	vdpa_evfd_signal(e, 1);
	CU_ASSERT_EQUAL(w.calls, 3 * VDPA_EVFD_WAITERS - 1);
	CU_ASSERT_EQUAL(vdpa_evfd_add_waiter(e, wake_fn, &w), 5);
	CU_ASSERT_EQUAL(vdpa_evfd_add_waiter(e, NULL, &w), -EINVAL);
	eng_sim_free(sim);
}

static void test_evfd_fdget_errors(void)
{
	struct sim *sim = new_sim();
	struct vdpa_evfd *e = NULL;
	int err = 0, fd, other;

	fd = vdpa_evfd_create(sim, &e);
	other = vdpa_fd_install(sim, VDPA_FILE_OTHER, &err);
	CU_ASSERT_PTR_NULL(vdpa_evfd_fdget(sim, 999, &err));
	CU_ASSERT_EQUAL(err, -EBADF);
	CU_ASSERT_PTR_NULL(vdpa_evfd_fdget(sim, other, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	CU_ASSERT_PTR_EQUAL(vdpa_evfd_fdget(sim, fd, &err), e);
	CU_ASSERT_EQUAL(err, 0);
	vdpa_evfd_put(e);
	eng_sim_free(sim);
}

static void test_evfd_reference_outlives_close(void)
{
	struct sim *sim = new_sim();
	struct vdpa_evfd *e = NULL, *ref;
	int err, fd;

	fd = vdpa_evfd_create(sim, &e);
	ref = vdpa_evfd_fdget(sim, fd, &err);
	CU_ASSERT_EQUAL(vdpa_evfd_close(e), 0);
	CU_ASSERT_PTR_NULL(vdpa_fd_lookup(sim, fd, NULL));
	CU_ASSERT_PTR_NULL(vdpa_evfd_fdget(sim, fd, &err));
	CU_ASSERT_EQUAL(err, -EBADF);
	vdpa_evfd_signal(ref, 4); /* still a live object */
	CU_ASSERT_EQUAL(vdpa_evfd_count(ref), 4);
	vdpa_evfd_put(ref);
	eng_sim_free(sim);
}

static void test_fd_numbers_are_lowest_free_from_three(void)
{
	struct sim *sim = new_sim();
	int x = 0, a, b, c;

	a = vdpa_fd_install(sim, VDPA_FILE_OTHER, &x);
	b = vdpa_fd_install(sim, VDPA_FILE_OTHER, &x);
	CU_ASSERT_EQUAL(a, 3);
	CU_ASSERT_EQUAL(b, 4);
	CU_ASSERT_EQUAL(vdpa_fd_remove(sim, a), 0);
	CU_ASSERT_EQUAL(vdpa_fd_remove(sim, a), -EBADF);
	c = vdpa_fd_install(sim, VDPA_FILE_OTHER, &x);
	CU_ASSERT_EQUAL(c, 3);
	for (int i = 0; i < 40; i++)
		CU_ASSERT_TRUE(vdpa_fd_install(sim, VDPA_FILE_OTHER, &x) > 4);
	eng_sim_free(sim);
}

static void test_two_sims_have_separate_buses(void)
{
	struct sim *s1 = new_sim(), *s2 = new_sim();

	new_dev(s1, "same");
	new_dev(s2, "same");
	CU_ASSERT_PTR_NOT_NULL(vdpa_find_device(s1, "same"));
	CU_ASSERT_PTR_NOT_EQUAL(vdpa_find_device(s1, "same"), vdpa_find_device(s2, "same"));
	eng_sim_free(s1);
	eng_sim_free(s2);
}

CU_MAIN("vdpa_bus", CU_TEST_ENTRY(test_alloc_rejects_inconsistent_dma_ops),
	CU_TEST_ENTRY(test_devices_are_named_by_lowest_free_index),
	CU_TEST_ENTRY(test_register_duplicate_name_is_eexist),
	CU_TEST_ENTRY(test_first_registered_matching_driver_binds),
	CU_TEST_ENTRY(test_driver_override_selects_the_named_driver),
	CU_TEST_ENTRY(test_override_then_unbind_and_probe_moves_the_device),
	CU_TEST_ENTRY(test_override_naming_no_driver_leaves_device_unbound),
	CU_TEST_ENTRY(test_sysfs_bind_checks_match_and_busy),
	CU_TEST_ENTRY(test_failed_probe_falls_through_to_next_driver),
	CU_TEST_ENTRY(test_probe_rejects_max_ring_below_min),
	CU_TEST_ENTRY(test_registering_a_driver_binds_existing_devices),
	CU_TEST_ENTRY(test_duplicate_driver_name_is_eexist),
	CU_TEST_ENTRY(test_unregister_device_removes_driver_first),
	CU_TEST_ENTRY(test_config_read_before_features_negotiates_legacy),
	CU_TEST_ENTRY(test_stable_config_read_retries_when_generation_changes),
	CU_TEST_ENTRY(test_stable_config_read_gives_up_after_bounded_tries),
	CU_TEST_ENTRY(test_stable_config_read_without_generation_reads_once),
	CU_TEST_ENTRY(test_reset_uses_compat_reset_only_with_flags),
	CU_TEST_ENTRY(test_features_ok_detects_a_refusing_device),
	CU_TEST_ENTRY(test_set_features_reports_parent_refusal),
	CU_TEST_ENTRY(test_tool_mgmtdev_show_prints_classes_vqs_features),
	CU_TEST_ENTRY(test_tool_mgmtdev_with_bus_handle),
	CU_TEST_ENTRY(test_tool_dev_add_then_dev_show),
	CU_TEST_ENTRY(test_tool_dev_add_duplicate_name_is_eexist),
	CU_TEST_ENTRY(test_tool_dev_add_unknown_mgmtdev_is_enodev),
	CU_TEST_ENTRY(test_tool_dev_add_unsupported_attribute_is_eopnotsupp),
	CU_TEST_ENTRY(test_tool_dev_add_zero_queue_pairs_is_einval),
	CU_TEST_ENTRY(test_tool_dev_add_features_outside_parent_is_einval),
	CU_TEST_ENTRY(test_tool_dev_add_features_must_cover_attributes),
	CU_TEST_ENTRY(test_tool_net_attributes_need_net_class), CU_TEST_ENTRY(test_tool_dev_del),
	CU_TEST_ENTRY(test_tool_dev_config_show), CU_TEST_ENTRY(test_tool_vstats_need_features_ok),
	CU_TEST_ENTRY(test_tool_vstats_without_parent_support_is_eopnotsupp),
	CU_TEST_ENTRY(test_tool_parse_errors_are_einval),
	CU_TEST_ENTRY(test_mgmtdev_unregister_deletes_its_devices),
	CU_TEST_ENTRY(test_feature_names_fall_back_to_bit_numbers),
	CU_TEST_ENTRY(test_iotlb_overlap_is_eexist_and_lookup_finds_lowest),
	CU_TEST_ENTRY(test_iotlb_del_range_drops_whole_overlapping_maps),
	CU_TEST_ENTRY(test_iotlb_whole_space_is_two_maps),
	CU_TEST_ENTRY(test_iotlb_translate_checks_permission),
	CU_TEST_ENTRY(test_iotlb_copy_is_independent), CU_TEST_ENTRY(test_evfd_counter_semantics),
	CU_TEST_ENTRY(test_evfd_waiters_run_on_signal), CU_TEST_ENTRY(test_evfd_fdget_errors),
	CU_TEST_ENTRY(test_evfd_reference_outlives_close),
	CU_TEST_ENTRY(test_fd_numbers_are_lowest_free_from_three),
	CU_TEST_ENTRY(test_two_sims_have_separate_buses));
