// SPDX-License-Identifier: MIT
/*
 * virtio_net over the test device's Ethernet-port datapath (sim/net peers on
 * the wire) and over a parent behind the platform IOMMU (device accesses
 * translated through the domain virtio_vdpa maps).
 */
#include "tests/unit/cu_main.h"
#include "tests/unit/test_virtio_net_fixture.h"

struct wire {
	struct net_port *port;
	struct net_link *link;
	struct net_sink *sink;
	struct net_gen *gen;
};

static void wire_sink(struct vf *x, struct wire *w)
{
	struct net_sink_cfg sc = { .name = "sink", .max_flows = 8, .check_payload = true };
	struct net_link_cfg lc = { .name = "wire", .rate_bps = NET_RATE_100G, .length_m = 2 };

	memset(w, 0, sizeof(*w));
	CU_ASSERT_EQUAL_FATAL(vtd_port(x->d, &w->port), 0);
	CU_ASSERT_EQUAL_FATAL(net_sink_new(x->sim, &sc, &w->sink), 0);
	CU_ASSERT_EQUAL_FATAL(net_link_new(x->sim, &lc, w->port, net_sink_port(w->sink), &w->link),
			      0);
}

static void wire_free(struct vf *x, struct wire *w)
{
	net_link_free(w->link);
	net_sink_free(w->sink);
	net_gen_free(w->gen);
	vtd_port_release(x->d);
}

static void port_mode(struct vf *x)
{
	vf_init(x);
	x->cfg.datapath = VTD_DP_PORT;
}

static void test_port_frames_reach_a_sink_in_order(void)
{
	struct net_sink_stats ss;
	struct vtd_dp_stats ds;
	struct wire w;
	struct vf_flow *f;
	struct vf x;

	port_mode(&x);
	vf_start(&x);
	wire_sink(&x, &w);
	vf_run(&x, ENG_US(10)); /* carrier up reaches the driver */
	CU_ASSERT_TRUE_FATAL(vnet_link_up(x.n));
	f = vf_add_flow(&x, 0, 20000);
	vf_start_flows(&x);
	vf_run(&x, ENG_S(1));
	CU_ASSERT_EQUAL(f->sent, 20000);
	net_sink_stats(w.sink, &ss);
	CU_ASSERT_EQUAL(ss.frames, 20000);
	CU_ASSERT_EQUAL(ss.in_order, 20000);
	CU_ASSERT_EQUAL(ss.lost + ss.corrupt + ss.duplicate + ss.reordered, 0);
	vtd_dp_stats(x.d, &ds);
	CU_ASSERT_EQUAL(ds.tx_packets, 20000);
	CU_ASSERT_EQUAL(ds.tx_errors, 0);
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	wire_free(&x, &w);
	vf_teardown(&x);
}

static void test_port_frames_from_a_generator_are_received(void)
{
	struct net_gen_cfg gc = { 0 };
	struct net_link_cfg lc = { .name = "wire", .rate_bps = NET_RATE_100G };
	struct vnet_queue_stats s;
	struct vtd_dp_stats ds;
	struct wire w;
	struct vf_flow *f;
	struct vf x;

	port_mode(&x);
	vf_start(&x);
	memset(&w, 0, sizeof(w));
	CU_ASSERT_EQUAL_FATAL(vtd_port(x.d, &w.port), 0);
	gc.name = "gen";
	gc.rate_pps = 2000000; /* one frame every 500 ns */
	gc.frame_len = 512;
	gc.count = 5000;
	memcpy(gc.dst_mac, x.cfg.mac, 6);
	memcpy(gc.src_mac, x.src, 6);
	CU_ASSERT_EQUAL_FATAL(net_gen_new(x.sim, &gc, &w.gen), 0);
	CU_ASSERT_EQUAL_FATAL(net_link_new(x.sim, &lc, net_gen_port(w.gen), w.port, &w.link), 0);
	vf_run(&x, ENG_US(10));
	f = vf_add_flow(&x, 0, 5000); /* the generator's flow 0, received on queue 0 */
	CU_ASSERT_EQUAL(net_gen_start(w.gen, eng_now(x.sim)), 0);
	vf_run(&x, ENG_S(1));
	CU_ASSERT_TRUE(net_gen_done(w.gen));
	CU_ASSERT_EQUAL(f->received, 5000);
	CU_ASSERT_EQUAL(x.rx_out_of_order + x.rx_bad, 0);
	vnet_queue_stats(x.n, 0, &s);
	CU_ASSERT_EQUAL(s.rx_packets, 5000);
	vtd_dp_stats(x.d, &ds);
	CU_ASSERT_EQUAL(ds.rx_no_buf, 0);
	/* the carrier follows the wire */
	CU_ASSERT_EQUAL(net_link_set_up(w.link, false), 0);
	vf_run(&x, ENG_US(10));
	CU_ASSERT_FALSE(vnet_link_up(x.n));
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	wire_free(&x, &w);
	vf_teardown(&x);
}

static void test_port_drops_and_counts_when_no_rx_buffer_is_posted(void)
{
	struct net_gen_cfg gc = { 0 };
	struct net_link_cfg lc = { .name = "wire", .rate_bps = NET_RATE_100G };
	struct vnet_queue_stats s;
	struct vtd_dp_stats ds;
	struct wire w;
	struct vf x;

	port_mode(&x);
	x.params.rx_ring_size = 32;
	x.params.irq_latency_ps = ENG_US(20); /* a slow host */
	vf_start(&x);
	memset(&w, 0, sizeof(w));
	CU_ASSERT_EQUAL_FATAL(vtd_port(x.d, &w.port), 0);
	gc.name = "gen";
	gc.frame_len = 128;
	gc.count = 2000; /* line rate */
	memcpy(gc.dst_mac, x.cfg.mac, 6);
	memcpy(gc.src_mac, x.src, 6);
	CU_ASSERT_EQUAL_FATAL(net_gen_new(x.sim, &gc, &w.gen), 0);
	CU_ASSERT_EQUAL_FATAL(net_link_new(x.sim, &lc, net_gen_port(w.gen), w.port, &w.link), 0);
	vf_run(&x, ENG_US(30));
	CU_ASSERT_EQUAL(net_gen_start(w.gen, eng_now(x.sim)), 0);
	vf_run(&x, ENG_S(1));
	vtd_dp_stats(x.d, &ds);
	vnet_queue_stats(x.n, 0, &s);
	CU_ASSERT_TRUE(ds.rx_no_buf > 0);
	CU_ASSERT_EQUAL(ds.rx_packets + ds.rx_no_buf, 2000);
	CU_ASSERT_EQUAL(s.rx_packets, ds.rx_packets);
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	wire_free(&x, &w);
	vf_teardown(&x);
}

static void test_platform_iommu_parent_translates_through_the_domain(void)
{
	struct vtd_dp_stats ds;
	struct vf_flow *f;
	struct vf x;

	vf_init(&x);
	x.cfg.map_mode = VTD_MAP_PLATFORM;
	vf_start(&x);
	CU_ASSERT_TRUE(vtd_domain_allocated(x.d));
	CU_ASSERT_EQUAL(vtd_iotlb(x.d, 0)->nmaps, 1);
	f = vf_add_flow(&x, 0, 3000);
	vf_start_flows(&x);
	vf_run(&x, ENG_S(1));
	CU_ASSERT_EQUAL(f->received, 3000);
	CU_ASSERT_EQUAL(x.rx_bad + x.rx_out_of_order, 0);
	vtd_dp_stats(x.d, &ds);
	CU_ASSERT_EQUAL(ds.needs_reset, 0);
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	vf_teardown(&x);
}

static void test_unmapped_ring_is_a_device_fault(void)
{
	struct vtd_dp_stats ds;
	struct vf_flow *f;
	struct vf x;

	vf_init(&x);
	x.observe = false;
	x.cfg.map_mode = VTD_MAP_DMA_MAP;
	vf_start(&x);
	/* a map is given that does not cover the rings: nothing passes through */
	CU_ASSERT_EQUAL(vtd_vdpa(x.d)->config->dma_map(vtd_vdpa(x.d), 0, 0x1000, 0x1000, 0x1000,
						       VHOST_ACCESS_RW, NULL),
			0);
	f = vf_add_flow(&x, 0, 10);
	vf_start_flows(&x);
	vf_run(&x, ENG_MS(10));
	vtd_dp_stats(x.d, &ds);
	CU_ASSERT_TRUE(vtd_trace_find(x.d, "needs_reset 1 ACCESS_FAULT", 0) >= 0);
	CU_ASSERT_EQUAL(f->received, 0);
	/* every restart faults again at once: the core gives up after a streak */
	CU_ASSERT_EQUAL(ds.needs_reset, VIO_RECOVER_STREAK_MAX + 2);
	CU_ASSERT_EQUAL(vnet_virtio(x.n)->recoveries, VIO_RECOVER_STREAK_MAX + 1);
	CU_ASSERT_TRUE(vnet_virtio(x.n)->recover_given_up);
	CU_ASSERT_TRUE(vtd_status(x.d) & VIRTIO_CONFIG_S_FAILED);
	CU_ASSERT_EQUAL(vnet_send(x.n, 0, x.host, 60), -EIO);
	CU_ASSERT_EQUAL(eng_queue_len(x.sim), 0);
	vf_teardown(&x);
}

CU_MAIN("virtio_net_port", CU_TEST_ENTRY(test_port_frames_reach_a_sink_in_order),
	CU_TEST_ENTRY(test_port_frames_from_a_generator_are_received),
	CU_TEST_ENTRY(test_port_drops_and_counts_when_no_rx_buffer_is_posted),
	CU_TEST_ENTRY(test_platform_iommu_parent_translates_through_the_domain),
	CU_TEST_ENTRY(test_unmapped_ring_is_a_device_fault));
