// SPDX-License-Identifier: MIT
/*
 * The virtio core (stack/virtio) on its own: a fake transport (config space in
 * memory, a generation counter that can move under a read, a status register
 * that can refuse FEATURES_OK) and fake drivers.  Pins the bus rules (driver
 * registration checks, id matching, lowest free index), feature negotiation
 * (driver table, transport bits, validate, legacy devices), config accessors
 * and the generation loop, and the recovery paths (with and without
 * freeze/restore, a device that keeps asking for a reset).
 */
#include "sim/engine/engine.h"
#include "stack/virtio/virtio.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- fake transport -------------------------------------------------------------------- */

struct ft {
	struct virtio_device vdev;
	uint8_t cfg[32];
	uint8_t status;
	uint64_t offered;
	uint64_t finalized; /* features at the last finalize */
	unsigned finalizes, resets;
	uint32_t gen;
	unsigned gen_moves; /* the next n config reads move the generation */
	bool refuse_features_ok;
	int finalize_err;
};

static struct ft *ft_of(struct virtio_device *v)
{
	return (struct ft *)v;
}

static void ft_get(struct virtio_device *v, unsigned int off, void *buf, unsigned int len)
{
	struct ft *t = ft_of(v);

	memcpy(buf, t->cfg + off, len);
	if (t->gen_moves) {
		t->gen_moves--;
		t->gen++;
	}
}

static void ft_set(struct virtio_device *v, unsigned int off, const void *buf, unsigned int len)
{
	memcpy(ft_of(v)->cfg + off, buf, len);
}

static uint32_t ft_generation(struct virtio_device *v)
{
	return ft_of(v)->gen;
}

static uint8_t ft_get_status(struct virtio_device *v)
{
	return ft_of(v)->status;
}

static void ft_set_status(struct virtio_device *v, uint8_t s)
{
	struct ft *t = ft_of(v);

	if (t->refuse_features_ok)
		s &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	t->status = s;
}

static void ft_reset(struct virtio_device *v)
{
	ft_of(v)->status = 0;
	ft_of(v)->resets++;
}

static int ft_find_vqs(struct virtio_device *v, unsigned int n, struct virtqueue *vqs[],
		       vio_callback_t cbs[], const char *const names[], const bool *ctx,
		       const uint32_t *sizes)
{
	(void)v, (void)n, (void)vqs, (void)cbs, (void)names, (void)ctx, (void)sizes;
	return -ENOSYS;
}

static void ft_del_vqs(struct virtio_device *v)
{
	(void)v;
}

static uint64_t ft_get_features(struct virtio_device *v)
{
	return ft_of(v)->offered;
}

static int ft_finalize(struct virtio_device *v)
{
	struct ft *t = ft_of(v);

	vio_transport_features(v);
	t->finalized = v->features;
	t->finalizes++;
	return t->finalize_err;
}

static const struct virtio_config_ops ft_ops = {
	.get = ft_get,
	.set = ft_set,
	.generation = ft_generation,
	.get_status = ft_get_status,
	.set_status = ft_set_status,
	.reset = ft_reset,
	.find_vqs = ft_find_vqs,
	.del_vqs = ft_del_vqs,
	.get_features = ft_get_features,
	.finalize_features = ft_finalize,
};

static struct ft *ft_new(struct sim *sim, uint32_t device, uint32_t vendor, uint64_t offered)
{
	struct ft *t = calloc(1, sizeof(*t));

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	t->vdev.sim = sim;
	t->vdev.id.device = device;
	t->vdev.id.vendor = vendor;
	t->vdev.config = &ft_ops;
	t->offered = offered;
	return t;
}

/* ---- fake driver ------------------------------------------------------------------------ */

struct fd_counts {
	unsigned probes, removes, changes, freezes, restores, validates;
	int probe_err, restore_err;
	bool clear_in_validate;
};

static struct fd_counts fdc;

static int fd_validate(struct virtio_device *v)
{
	fdc.validates++;
	if (fdc.clear_in_validate)
		vio_clear_bit(v, 5);
	return 0;
}

static int fd_probe(struct virtio_device *v)
{
	(void)v;
	fdc.probes++;
	return fdc.probe_err;
}

static void fd_remove(struct virtio_device *v)
{
	(void)v;
	fdc.removes++;
}

static void fd_changed(struct virtio_device *v)
{
	(void)v;
	fdc.changes++;
}

static int fd_freeze(struct virtio_device *v)
{
	(void)v;
	fdc.freezes++;
	return 0;
}

static int fd_restore(struct virtio_device *v)
{
	(void)v;
	fdc.restores++;
	return fdc.restore_err;
}

static const unsigned int fd_table[] = { 5, 6, 7, 200 /* past 64: ignored */ };
static const struct virtio_device_id fd_ids[] = { { 1, 0x1af4 }, { 0, 0 } };

static struct virtio_driver fd_driver(const struct virtio_device_id *ids, bool pm)
{
	struct virtio_driver d = {
		.name = "fake",
		.id_table = ids,
		.feature_table = fd_table,
		.feature_table_size = 4,
		.validate = fd_validate,
		.probe = fd_probe,
		.remove = fd_remove,
		.config_changed = fd_changed,
		.freeze = pm ? fd_freeze : NULL,
		.restore = pm ? fd_restore : NULL,
	};

	memset(&fdc, 0, sizeof(fdc));
	return d;
}

#define F(b) (1ULL << (b))

/* ---- tests -------------------------------------------------------------------------------- */

static void test_driver_registration_checks_its_description(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct virtio_driver d = fd_driver(fd_ids, false), bad, twin;

	bad = d, bad.name = NULL;
	CU_ASSERT_EQUAL(vio_register_driver(sim, &bad), -EINVAL);
	bad = d, bad.probe = NULL;
	CU_ASSERT_EQUAL(vio_register_driver(sim, &bad), -EINVAL);
	bad = d, bad.remove = NULL;
	CU_ASSERT_EQUAL(vio_register_driver(sim, &bad), -EINVAL);
	bad = d, bad.id_table = NULL;
	CU_ASSERT_EQUAL(vio_register_driver(sim, &bad), -EINVAL);
	bad = d, bad.feature_table = NULL;
	CU_ASSERT_EQUAL(vio_register_driver(sim, &bad), -EINVAL);
	CU_ASSERT_EQUAL(vio_register_driver(NULL, &d), -EINVAL);
	CU_ASSERT_EQUAL(vio_register_driver(sim, &d), 0);
	CU_ASSERT_EQUAL(vio_register_driver(sim, &d), -EEXIST);
	twin = d;
	CU_ASSERT_EQUAL(vio_register_driver(sim, &twin), -EEXIST);
	vio_unregister_driver(&d);
	vio_unregister_driver(&d); /* twice: nothing left to do */
	eng_sim_free(sim);
}

static void test_ids_match_device_and_vendor(void)
{
	static const struct virtio_device_id any_vendor[] = { { 1, VIO_DEV_ANY_ID }, { 0, 0 } };
	struct sim *sim = eng_sim_new(1, 0);
	struct ft *other_vendor = ft_new(sim, 1, 0x8086, F(VIRTIO_F_VERSION_1));
	struct ft *other_device = ft_new(sim, 2, 0x1af4, F(VIRTIO_F_VERSION_1));
	struct virtio_driver d = fd_driver(fd_ids, false), any;

	CU_ASSERT_EQUAL(vio_register_device(&other_vendor->vdev), 0);
	CU_ASSERT_EQUAL(vio_register_device(&other_device->vdev), 0);
	CU_ASSERT_EQUAL(vio_register_driver(sim, &d), 0);
	CU_ASSERT_PTR_NULL(other_vendor->vdev.driver);
	CU_ASSERT_PTR_NULL(other_device->vdev.driver);
	CU_ASSERT_EQUAL(fdc.probes, 0);
	vio_unregister_driver(&d);
	any = fd_driver(any_vendor, false);
	any.name = "any";
	CU_ASSERT_EQUAL(vio_register_driver(sim, &any), 0);
	CU_ASSERT_PTR_EQUAL(other_vendor->vdev.driver, &any);
	CU_ASSERT_PTR_NULL(other_device->vdev.driver);
	/* still ACKNOWLEDGE only: no driver has looked at it */
	CU_ASSERT_EQUAL(other_device->status, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vio_unregister_device(&other_vendor->vdev);
	CU_ASSERT_EQUAL(fdc.removes, 1);
	vio_unregister_device(&other_device->vdev);
	vio_unregister_driver(&any);
	eng_sim_free(sim);
	free(other_vendor);
	free(other_device);
}

static void test_negotiation_takes_the_driver_table_and_transport_bits(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct ft *t = ft_new(sim, 1, 0x1af4,
			      F(VIRTIO_F_VERSION_1) | F(5) | F(7) | F(9) | F(VIRTIO_F_RING_PACKED) |
				      F(VIRTIO_F_ANY_LAYOUT) | F(50));
	struct virtio_driver d = fd_driver(fd_ids, false);

	fdc.clear_in_validate = true;
	CU_ASSERT_EQUAL(vio_register_driver(sim, &d), 0);
	CU_ASSERT_EQUAL(vio_register_device(&t->vdev), 0);
	CU_ASSERT_PTR_EQUAL(t->vdev.driver, &d);
	/* 5 and 7 from the table (validate then dropped 5), 9 and 50 unknown to
	 * the driver, VERSION_1 and RING_PACKED as transport bits, ANY_LAYOUT
	 * cleared by vio_transport_features */
	CU_ASSERT_EQUAL(t->vdev.features, F(VIRTIO_F_VERSION_1) | F(7) | F(VIRTIO_F_RING_PACKED));
	CU_ASSERT_EQUAL(t->finalized, t->vdev.features);
	CU_ASSERT_EQUAL(t->finalizes, 2); /* validate changed them: finalized again */
	CU_ASSERT_EQUAL(fdc.validates, 1);
	CU_ASSERT_EQUAL(t->status, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					   VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	vio_unregister_device(&t->vdev);
	/* back to ACKNOWLEDGE added after the driver left */
	CU_ASSERT_TRUE(t->status & VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vio_unregister_driver(&d);
	eng_sim_free(sim);
	free(t);
}

static void test_a_legacy_device_binds_without_features_ok(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct ft *t = ft_new(sim, 1, 0x1af4, F(5) | F(6));
	struct virtio_driver d = fd_driver(fd_ids, false);

	CU_ASSERT_EQUAL(vio_register_driver(sim, &d), 0);
	CU_ASSERT_EQUAL(vio_register_device(&t->vdev), 0);
	CU_ASSERT_PTR_EQUAL(t->vdev.driver, &d);
	CU_ASSERT_EQUAL(t->vdev.features, F(5) | F(6));
	/* virtio 1.3 3.1.1 step 5 is for VERSION_1 devices only */
	CU_ASSERT_FALSE(t->status & VIRTIO_CONFIG_S_FEATURES_OK);
	CU_ASSERT_TRUE(t->status & VIRTIO_CONFIG_S_DRIVER_OK);
	vio_unregister_device(&t->vdev);
	vio_unregister_driver(&d);
	eng_sim_free(sim);
	free(t);
}

static void test_a_refused_feature_set_or_probe_leaves_the_device_failed_and_unbound(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct ft *t = ft_new(sim, 1, 0x1af4, F(VIRTIO_F_VERSION_1) | F(5));
	struct ft *u = ft_new(sim, 1, 0x1af4, F(VIRTIO_F_VERSION_1) | F(5));
	struct ft *w = ft_new(sim, 1, 0x1af4, F(VIRTIO_F_VERSION_1));
	struct virtio_driver d = fd_driver(fd_ids, false);

	t->refuse_features_ok = true;
	w->finalize_err = -EIO;
	CU_ASSERT_EQUAL(vio_register_driver(sim, &d), 0);
	/* a probe failure is not a registration failure (kernel behaviour) */
	CU_ASSERT_EQUAL(vio_register_device(&t->vdev), 0);
	CU_ASSERT_PTR_NULL(t->vdev.driver);
	CU_ASSERT_EQUAL(t->vdev.probe_err, -ENODEV);
	CU_ASSERT_TRUE(t->status & VIRTIO_CONFIG_S_FAILED);
	CU_ASSERT_EQUAL(fdc.probes, 0);
	CU_ASSERT_EQUAL(vio_register_device(&w->vdev), 0);
	CU_ASSERT_EQUAL(w->vdev.probe_err, -EIO);
	CU_ASSERT_TRUE(w->status & VIRTIO_CONFIG_S_FAILED);
	fdc.probe_err = -ENOMEM;
	CU_ASSERT_EQUAL(vio_register_device(&u->vdev), 0);
	CU_ASSERT_PTR_NULL(u->vdev.driver);
	CU_ASSERT_EQUAL(u->vdev.probe_err, -ENOMEM);
	CU_ASSERT_TRUE(u->status & VIRTIO_CONFIG_S_FAILED);
	CU_ASSERT_FALSE(u->status & VIRTIO_CONFIG_S_DRIVER_OK);
	/* a config interrupt for an unbound device is only counted */
	vio_config_changed(&u->vdev);
	CU_ASSERT_EQUAL(u->vdev.config_changes, 1);
	CU_ASSERT_EQUAL(fdc.changes, 0);
	CU_ASSERT_EQUAL(vio_device_recover(&u->vdev), -ENODEV);
	vio_unregister_device(&t->vdev);
	vio_unregister_device(&u->vdev);
	vio_unregister_device(&w->vdev);
	vio_unregister_driver(&d);
	eng_sim_free(sim);
	free(t);
	free(u);
	free(w);
}

static void test_devices_take_the_lowest_free_index(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct ft *t[4];
	struct virtio_device *it = NULL;
	unsigned n = 0;

	for (int i = 0; i < 3; i++) {
		t[i] = ft_new(sim, 9, 0, 0);
		CU_ASSERT_EQUAL(vio_register_device(&t[i]->vdev), 0);
		CU_ASSERT_EQUAL(t[i]->vdev.index, (unsigned)i);
	}
	vio_unregister_device(&t[1]->vdev);
	vio_unregister_device(&t[1]->vdev); /* not registered any more: nothing */
	t[3] = ft_new(sim, 9, 0, 0);
	CU_ASSERT_EQUAL(vio_register_device(&t[3]->vdev), 0);
	CU_ASSERT_EQUAL(t[3]->vdev.index, 1);
	CU_ASSERT_STRING_EQUAL(t[3]->vdev.name, "virtio1");
	while ((it = vio_next_device(sim, it)))
		n++;
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(vio_register_device(NULL), -EINVAL);
	{
		struct ft *no_ops = ft_new(sim, 9, 0, 0);

		no_ops->vdev.config = NULL;
		CU_ASSERT_EQUAL(vio_register_device(&no_ops->vdev), -EINVAL);
		free(no_ops);
	}
	for (int i = 0; i < 4; i++)
		if (i != 1)
			vio_unregister_device(&t[i]->vdev);
	eng_sim_free(sim);
	for (int i = 0; i < 4; i++)
		free(t[i]);
}

static void test_config_accessors_are_little_endian_and_reread_on_a_moving_generation(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct ft *t = ft_new(sim, 9, 0, 0);
	struct virtio_device *v = &t->vdev;
	uint64_t v64 = 0;

	CU_ASSERT_EQUAL(vio_register_device(v), 0);
	vio_cwrite8(v, 0, 0x11);
	vio_cwrite16(v, 2, 0x3322);
	vio_cwrite32(v, 4, 0x77665544);
	CU_ASSERT_EQUAL(t->cfg[0], 0x11);
	CU_ASSERT_EQUAL(t->cfg[2], 0x22);
	CU_ASSERT_EQUAL(t->cfg[3], 0x33);
	CU_ASSERT_EQUAL(t->cfg[4], 0x44);
	CU_ASSERT_EQUAL(t->cfg[7], 0x77);
	CU_ASSERT_EQUAL(vio_cread8(v, 0), 0x11);
	CU_ASSERT_EQUAL(vio_cread16(v, 2), 0x3322);
	CU_ASSERT_EQUAL(vio_cread32(v, 4), 0x77665544);
	/* the generation moves under two reads: the third one counts */
	t->gen_moves = 2;
	CU_ASSERT_EQUAL(vio_cread64(v, 0, &v64), 0);
	CU_ASSERT_EQUAL(v64, 0x7766554433220011ULL);
	CU_ASSERT_EQUAL(vio_config_retries(v), 2);
	/* it never settles: bounded, -EAGAIN (the kernel would loop forever) */
	t->gen_moves = 1000;
	CU_ASSERT_EQUAL(vio_cread64(v, 0, &v64), -EAGAIN);
	CU_ASSERT_EQUAL(vio_config_retries(v), 2 + VIO_CONFIG_READ_TRIES);
	vio_unregister_device(v);
	eng_sim_free(sim);
	free(t);
}

static void test_config_changes_wait_while_disabled(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct ft *t = ft_new(sim, 1, 0x1af4, F(VIRTIO_F_VERSION_1));
	struct virtio_driver d = fd_driver(fd_ids, true);

	CU_ASSERT_EQUAL(vio_register_driver(sim, &d), 0);
	CU_ASSERT_EQUAL(vio_register_device(&t->vdev), 0);
	vio_config_changed(&t->vdev);
	CU_ASSERT_EQUAL(fdc.changes, 1);
	vio_config_disable(&t->vdev);
	vio_config_changed(&t->vdev);
	vio_config_changed(&t->vdev);
	CU_ASSERT_EQUAL(fdc.changes, 1);
	/* remembered once, delivered when enabled */
	vio_config_enable(&t->vdev);
	CU_ASSERT_EQUAL(fdc.changes, 2);
	CU_ASSERT_EQUAL(t->vdev.config_changes, 3);
	vio_unregister_device(&t->vdev);
	vio_unregister_driver(&d);
	eng_sim_free(sim);
	free(t);
}

static void test_recovery_with_freeze_restore_keeps_the_features(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct ft *t = ft_new(sim, 1, 0x1af4, F(VIRTIO_F_VERSION_1) | F(6));
	struct virtio_driver d = fd_driver(fd_ids, true);
	uint64_t negotiated;

	CU_ASSERT_EQUAL(vio_register_driver(sim, &d), 0);
	CU_ASSERT_EQUAL(vio_register_device(&t->vdev), 0);
	negotiated = t->vdev.features;
	/* virtio 1.3 2.1.2: the device asks for a reset through the status */
	t->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	vio_config_changed(&t->vdev);
	vio_config_changed(&t->vdev); /* one recovery scheduled, not two */
	CU_ASSERT_EQUAL(t->vdev.needs_reset_seen, 2);
	eng_run_until(sim, ENG_US(1));
	CU_ASSERT_EQUAL(fdc.freezes, 1);
	CU_ASSERT_EQUAL(fdc.restores, 1);
	CU_ASSERT_EQUAL(fdc.probes, 1);
	CU_ASSERT_EQUAL(t->vdev.recoveries, 1);
	CU_ASSERT_EQUAL(t->vdev.features, negotiated);
	CU_ASSERT_EQUAL(t->status, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					   VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	/* a restore that fails leaves FAILED and the error */
	fdc.restore_err = -EIO;
	CU_ASSERT_EQUAL(vio_device_recover(&t->vdev), -EIO);
	CU_ASSERT_EQUAL(t->vdev.last_recover_err, -EIO);
	CU_ASSERT_TRUE(t->status & VIRTIO_CONFIG_S_FAILED);
	vio_unregister_device(&t->vdev);
	vio_unregister_driver(&d);
	eng_sim_free(sim);
	free(t);
}

static void test_recovery_without_freeze_probes_again(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct ft *t = ft_new(sim, 1, 0x1af4, F(VIRTIO_F_VERSION_1));
	struct virtio_driver d = fd_driver(fd_ids, false);

	CU_ASSERT_EQUAL(vio_register_driver(sim, &d), 0);
	CU_ASSERT_EQUAL(vio_register_device(&t->vdev), 0);
	CU_ASSERT_EQUAL(vio_device_recover(&t->vdev), 0);
	CU_ASSERT_EQUAL(fdc.removes, 1);
	CU_ASSERT_EQUAL(fdc.probes, 2);
	CU_ASSERT_PTR_EQUAL(t->vdev.driver, &d);
	vio_unregister_device(&t->vdev);
	vio_unregister_driver(&d);
	eng_sim_free(sim);
	free(t);
}

static void test_a_device_that_keeps_asking_for_reset_is_given_up(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct ft *t = ft_new(sim, 1, 0x1af4, F(VIRTIO_F_VERSION_1));
	struct virtio_driver d = fd_driver(fd_ids, true);

	CU_ASSERT_EQUAL(vio_register_driver(sim, &d), 0);
	CU_ASSERT_EQUAL(vio_register_device(&t->vdev), 0);
	/* it breaks again right after every recovery */
	for (int i = 0; i < VIO_RECOVER_STREAK_MAX + 3; i++) {
		t->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
		vio_config_changed(&t->vdev);
		eng_run_until(sim, eng_now(sim) + ENG_US(10));
	}
	CU_ASSERT_TRUE(t->vdev.recover_given_up);
	CU_ASSERT_EQUAL(t->vdev.recoveries, VIO_RECOVER_STREAK_MAX + 1);
	CU_ASSERT_TRUE(t->status & VIRTIO_CONFIG_S_FAILED);
	/* no more recoveries are scheduled */
	vio_config_changed(&t->vdev);
	CU_ASSERT_EQUAL(eng_queue_len(sim), 0);
	vio_unregister_device(&t->vdev);
	vio_unregister_driver(&d);
	eng_sim_free(sim);
	free(t);
}

CU_MAIN("virtio_extra", CU_TEST_ENTRY(test_driver_registration_checks_its_description),
	CU_TEST_ENTRY(test_ids_match_device_and_vendor),
	CU_TEST_ENTRY(test_negotiation_takes_the_driver_table_and_transport_bits),
	CU_TEST_ENTRY(test_a_legacy_device_binds_without_features_ok),
	CU_TEST_ENTRY(test_a_refused_feature_set_or_probe_leaves_the_device_failed_and_unbound),
	CU_TEST_ENTRY(test_devices_take_the_lowest_free_index),
	CU_TEST_ENTRY(test_config_accessors_are_little_endian_and_reread_on_a_moving_generation),
	CU_TEST_ENTRY(test_config_changes_wait_while_disabled),
	CU_TEST_ENTRY(test_recovery_with_freeze_restore_keeps_the_features),
	CU_TEST_ENTRY(test_recovery_without_freeze_probes_again),
	CU_TEST_ENTRY(test_a_device_that_keeps_asking_for_reset_is_given_up))
