// SPDX-License-Identifier: MIT
/*
 * virtio_net over virtio_vdpa and the test device, the less travelled paths:
 * devices without MAC / STATUS, a bogus MTU, per-instance parameters and the
 * probe hook, the receive filter's multicast and unicast tables, the removal
 * callback, and a recovery that fails.
 */
#include "tests/unit/cu_main.h"
#include "tests/unit/test_virtio_net_fixture.h"

static void send_to(struct vf *x, const uint8_t dst[6], uint64_t seq)
{
	uint8_t buf[128];
	struct net_test_hdr h = { 0, 100, seq, 0 };

	CU_ASSERT_EQUAL_FATAL(net_frame_build(buf, sizeof(buf), 100, dst, x->src, &h), 0);
	CU_ASSERT_EQUAL(vnet_send(x->n, 0, buf, 100), 0);
}

/* Frames that came back through the device's receive filter. */
static uint64_t delivered(struct vf *x, const uint8_t dst[6], uint64_t seq)
{
	uint64_t before = x->rx_frames;

	send_to(x, dst, seq);
	vf_run(x, ENG_US(50));
	return x->rx_frames - before;
}

static void test_without_the_mac_feature_the_driver_picks_a_local_random_mac(void)
{
	uint8_t a[6], b[6];
	struct vf x;

	vf_init(&x);
	x.cfg.device_features &= ~(1ULL << VIRTIO_NET_F_MAC);
	vf_start(&x);
	CU_ASSERT_FALSE(vnet_features(x.n) & (1ULL << VIRTIO_NET_F_MAC));
	vnet_mac(x.n, a);
	/* unicast, locally administered, not the device's own */
	CU_ASSERT_EQUAL(a[0] & 1, 0);
	CU_ASSERT_EQUAL(a[0] & 2, 2);
	CU_ASSERT_NOT_EQUAL(memcmp(a, x.cfg.mac, 6), 0);
	vf_teardown(&x);
	/* the same seed, the same address (no wall clock, no global RNG) */
	vf_init(&x);
	x.cfg.device_features &= ~(1ULL << VIRTIO_NET_F_MAC);
	vf_start(&x);
	vnet_mac(x.n, b);
	CU_ASSERT_EQUAL(memcmp(a, b, 6), 0);
	vf_teardown(&x);
}

static void test_a_device_mtu_below_68_is_ignored(void)
{
	struct vf x;

	vf_init(&x);
	x.cfg.mtu = 60;
	vf_start(&x);
	/* virtio 1.3 5.1.4.1: the driver MUST NOT accept MTU below 68 */
	CU_ASSERT_FALSE(vnet_features(x.n) & (1ULL << VIRTIO_NET_F_MTU));
	CU_ASSERT_EQUAL(vnet_mtu(x.n), 1500);
	CU_ASSERT_FALSE(vtd_driver_features(x.d) & (1ULL << VIRTIO_NET_F_MTU));
	vf_teardown(&x);
}

static void test_without_the_status_feature_the_link_is_up(void)
{
	struct vf x;
	struct vf_flow *f;

	vf_init(&x);
	x.cfg.device_features &= ~(1ULL << VIRTIO_NET_F_STATUS);
	vf_start(&x);
	/* virtio 1.3 5.1.4.2: without VIRTIO_NET_F_STATUS the link is assumed up */
	CU_ASSERT_TRUE(vnet_link_up(x.n));
	f = vf_add_flow(&x, 0, 200);
	vf_start_flows(&x);
	vf_run(&x, ENG_MS(10));
	CU_ASSERT_EQUAL(f->received, 200);
	/* and a config change does not take it down */
	vtd_set_link(x.d, false);
	vf_run(&x, ENG_US(10));
	CU_ASSERT_TRUE(vnet_link_up(x.n));
	vf_teardown(&x);
}

static void hook_count(void *ctx, struct vnet *n)
{
	struct vnet **seen = ctx;

	*seen = n;
}

/* vf_start with per-instance parameters and a probe hook set before the
 * device appears. */
static void start_with_instance(struct vf *x, const char *bus, const struct vnet_params *p,
				struct vnet **hooked)
{
	struct vvd_dma_config dc;

	x->sim = eng_sim_new(1, 0);
	x->host = calloc(1, VF_HOST_SIZE);
	CU_ASSERT_FATAL(x->sim && x->host);
	vq_plain_mem_init(&x->pm, x->host, VF_HOST_PA, VF_HOST_SIZE);
	x->cfg.host_mem = vq_plain_mem_accessor(&x->pm);
	CU_ASSERT_EQUAL_FATAL(vnet_register_driver(x->sim, &x->params), 0);
	CU_ASSERT_EQUAL_FATAL(vnet_set_instance_params(x->sim, bus, p), 0);
	vnet_set_probe_hook(x->sim, hook_count, hooked);
	vvd_default_dma_config(&dc);
	dc.host_mem = vq_plain_mem_accessor(&x->pm);
	dc.pa_base = VF_HOST_PA;
	dc.size = VF_HOST_SIZE;
	CU_ASSERT_EQUAL_FATAL(vvd_register_driver(x->sim, &dc), 0);
	CU_ASSERT_EQUAL_FATAL(vtd_create(x->sim, &x->cfg, "vdpa0", &x->d), 0);
	x->n = vnet_find(x->sim, "vdpa0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->n);
	vnet_set_ops(x->n, &vf_ops, x);
	vf_run(x, ENG_US(100));
}

static void test_instance_params_apply_to_their_device_only(void)
{
	struct vnet_params p;
	struct vnet *hooked = NULL;
	struct vf x;

	vf_init(&x);
	x.cfg.max_vqp = 4;
	x.observe = false;
	vnet_default_params(&p);
	p.queue_pairs = 2;
	p.ctrl_ring_size = 16;
	start_with_instance(&x, "vdpa0", &p, &hooked);
	CU_ASSERT_PTR_EQUAL(hooked, x.n);
	CU_ASSERT_EQUAL(vnet_max_queue_pairs(x.n), 4);
	CU_ASSERT_EQUAL(vnet_queue_pairs(x.n), 2);
	CU_ASSERT_EQUAL(vtd_queue_pairs(x.d), 2);
	CU_ASSERT_EQUAL(vio_vq_get_vring_size(vnet_ctrl_vq(x.n)), 16);
	vf_teardown(&x);
	/* parameters for another name leave this device on the defaults */
	vf_init(&x);
	x.cfg.max_vqp = 4;
	x.observe = false;
	hooked = NULL;
	start_with_instance(&x, "vdpa7", &p, &hooked);
	CU_ASSERT_PTR_EQUAL(hooked, x.n);
	CU_ASSERT_EQUAL(vnet_queue_pairs(x.n), 4);
	CU_ASSERT_EQUAL(vio_vq_get_vring_size(vnet_ctrl_vq(x.n)), 64);
	vf_teardown(&x);
}

static void test_allmulti_and_the_unicast_table_open_the_filter(void)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mc[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x07 };
	static const uint8_t uc[2][6] = { { 0x02, 0x11, 0x11, 0x11, 0x11, 0x11 },
					  { 0x02, 0x22, 0x22, 0x22, 0x22, 0x22 } };
	struct vtd_rx_mode m;
	struct vtd_dp_stats ds;
	struct vf x;

	vf_init(&x);
	vf_start(&x);
	/* the test device starts like vdpa_sim_net: own address, broadcast and
	 * every multicast address */
	CU_ASSERT_EQUAL(delivered(&x, x.cfg.mac, 0), 1);
	CU_ASSERT_EQUAL(delivered(&x, bcast, 1), 1);
	CU_ASSERT_EQUAL(delivered(&x, mc, 2), 1);
	CU_ASSERT_EQUAL(delivered(&x, uc[1], 3), 0);
	CU_ASSERT_EQUAL(vnet_set_rx_mode(x.n, false, false), 0);
	vf_run(&x, ENG_US(50));
	CU_ASSERT_EQUAL(delivered(&x, mc, 3), 0);
	CU_ASSERT_EQUAL(delivered(&x, bcast, 4), 1);
	/* ALLMULTI: every multicast address again */
	CU_ASSERT_EQUAL(vnet_set_rx_mode(x.n, false, true), 0);
	vf_run(&x, ENG_US(50));
	vtd_rx_mode(x.d, &m);
	CU_ASSERT_TRUE(m.allmulti && !m.promisc);
	CU_ASSERT_EQUAL(delivered(&x, mc, 4), 1);
	CU_ASSERT_EQUAL(delivered(&x, uc[1], 5), 0);
	/* the unicast MAC table: listed addresses pass, others do not */
	CU_ASSERT_EQUAL(vnet_set_rx_mode(x.n, false, false), 0);
	CU_ASSERT_EQUAL(vnet_set_mac_table(x.n, uc, 2, NULL, 0), 0);
	vf_run(&x, ENG_US(50));
	vtd_rx_mode(x.d, &m);
	CU_ASSERT_EQUAL(m.n_uc, 2);
	CU_ASSERT_EQUAL(m.n_mc, 0);
	CU_ASSERT_EQUAL(delivered(&x, uc[1], 6), 1);
	CU_ASSERT_EQUAL(delivered(&x, mc, 7), 0);
	CU_ASSERT_EQUAL(delivered(&x, (const uint8_t[6]){ 0x02, 0x33, 0, 0, 0, 1 }, 8), 0);
	vtd_dp_stats(x.d, &ds);
	CU_ASSERT_EQUAL(ds.rx_filtered, 5);
	CU_ASSERT_EQUAL(ds.ctrl_err, 0);
	CU_ASSERT_EQUAL(x.ctrl_err, 0);
	/* more than the table holds is refused before anything is sent */
	{
		uint8_t (*big)[6] = calloc(65, 6);

		CU_ASSERT_PTR_NOT_NULL_FATAL(big);
		CU_ASSERT_EQUAL(vnet_set_mac_table(x.n, big, 65, NULL, 0), -EINVAL);
		free(big);
	}
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	vf_teardown(&x);
}

static void on_removed(void *ctx, struct vnet *n)
{
	struct vnet **gone = ctx;

	*gone = n;
}

static void test_the_removed_callback_runs_when_the_device_goes(void)
{
	static struct vnet_ops ops = { .removed = on_removed };
	struct vnet *gone = NULL, *n;
	struct vf x;

	vf_init(&x);
	x.observe = false;
	vf_start(&x);
	n = x.n;
	vnet_set_ops(n, &ops, &gone);
	vtd_destroy(x.d);
	CU_ASSERT_PTR_EQUAL(gone, n);
	CU_ASSERT_PTR_NULL(vnet_find(x.sim, "vdpa0"));
	vf_teardown(&x);
}

static void test_a_recovery_that_cannot_set_the_rings_up_is_reported(void)
{
	struct vnet_stats st;
	struct vf x;

	vf_init(&x);
	x.observe = false;
	vf_start(&x);
	vtd_faults(x.d)->set_vq_address = EIO;
	CU_ASSERT_NOT_EQUAL(vnet_reset(x.n), 0);
	vf_run(&x, ENG_US(10));
	vnet_stats(x.n, &st);
	CU_ASSERT_EQUAL(st.reset_failures, 1);
	CU_ASSERT_EQUAL(x.resets, 1);
	CU_ASSERT_EQUAL(x.reset_err, 1);
	CU_ASSERT_PTR_NULL(vnet_tx_vq(x.n, 0));
	/* the device works again once the fault is gone */
	vtd_faults(x.d)->set_vq_address = 0;
	CU_ASSERT_EQUAL(vnet_reset(x.n), 0);
	vf_run(&x, ENG_US(10));
	CU_ASSERT_EQUAL(x.resets, 2);
	CU_ASSERT_EQUAL(x.reset_err, 1);
	CU_ASSERT_EQUAL(delivered(&x, x.cfg.mac, 0), 1);
	vf_teardown(&x);
}

CU_MAIN("virtio_net_extra",
	CU_TEST_ENTRY(test_without_the_mac_feature_the_driver_picks_a_local_random_mac),
	CU_TEST_ENTRY(test_a_device_mtu_below_68_is_ignored),
	CU_TEST_ENTRY(test_without_the_status_feature_the_link_is_up),
	CU_TEST_ENTRY(test_instance_params_apply_to_their_device_only),
	CU_TEST_ENTRY(test_allmulti_and_the_unicast_table_open_the_filter),
	CU_TEST_ENTRY(test_the_removed_callback_runs_when_the_device_goes),
	CU_TEST_ENTRY(test_a_recovery_that_cannot_set_the_rings_up_is_reported))
