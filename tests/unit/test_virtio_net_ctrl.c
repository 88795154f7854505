// SPDX-License-Identifier: MIT
/*
 * virtio_net control path over virtio_vdpa and the test device: MQ with the
 * control queue, MAC and RX-mode commands with the device's ack, link status
 * and announce from config changes, feature masks, and recovery from a
 * malformed ring through DEVICE_NEEDS_RESET.
 */
#include "tests/unit/cu_main.h"
#include "tests/unit/test_virtio_net_fixture.h"

static void send_raw(struct vf *x, uint16_t q, const uint8_t dst[6], uint64_t seq)
{
	uint8_t buf[128];
	struct net_test_hdr h = { 7, 100, seq, 0 };

	CU_ASSERT_EQUAL_FATAL(net_frame_build(buf, sizeof(buf), 100, dst, x->src, &h), 0);
	CU_ASSERT_EQUAL(vnet_send(x->n, q, buf, 100), 0);
}

static void test_mq_four_pairs_with_the_control_queue(void)
{
	static const uint8_t newmac[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	uint8_t oldmac[6], mac[6];
	struct vtd_dp_stats ds;
	struct vf x;
	size_t cfglen;
	uint64_t filtered, frames;

	vf_init(&x);
	x.cfg.max_vqp = 4;
	vf_start(&x);
	/* probe sent VQ_PAIRS_SET 4, acked OK by the device */
	CU_ASSERT_EQUAL(vnet_max_queue_pairs(x.n), 4);
	CU_ASSERT_EQUAL(vnet_queue_pairs(x.n), 4);
	CU_ASSERT_EQUAL(vtd_queue_pairs(x.d), 4);
	CU_ASSERT_PTR_NOT_NULL(vnet_ctrl_vq(x.n));
	CU_ASSERT_EQUAL(vio_vq_get_vring_size(vnet_ctrl_vq(x.n)), 64);
	CU_ASSERT_EQUAL(vnet_ctrl_pending(x.n), 0);
	for (uint16_t q = 0; q < 4; q++)
		vf_add_flow(&x, q, 3000);
	vf_start_flows(&x);
	vf_run(&x, ENG_S(1));
	CU_ASSERT_TRUE(vf_flows_done(&x));
	CU_ASSERT_EQUAL(x.rx_wrong_queue + x.rx_out_of_order + x.rx_bad, 0);
	for (uint16_t q = 0; q < 4; q++) {
		struct vnet_queue_stats s;

		vnet_queue_stats(x.n, q, &s);
		CU_ASSERT_EQUAL(s.tx_packets, 3000);
		CU_ASSERT_EQUAL(s.rx_packets, 3000);
	}
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);

	/* fewer pairs: the driver no longer sends on the others */
	CU_ASSERT_EQUAL(vnet_set_queue_pairs(x.n, 5), -EINVAL);
	CU_ASSERT_EQUAL(vnet_set_queue_pairs(x.n, 2), 0);
	vf_run(&x, ENG_US(50));
	CU_ASSERT_EQUAL(vtd_queue_pairs(x.d), 2);
	CU_ASSERT_EQUAL(vnet_queue_pairs(x.n), 2);
	CU_ASSERT_EQUAL(vnet_send(x.n, 3, x.host, 60), -EINVAL);

	/* MAC_ADDR_SET: the device's config space follows; its filter too */
	vnet_mac(x.n, oldmac);
	CU_ASSERT_EQUAL(vnet_set_mac(x.n, newmac), 0);
	vf_run(&x, ENG_US(50));
	vnet_mac(x.n, mac);
	CU_ASSERT_EQUAL(memcmp(mac, newmac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(vtd_config_space(x.d, &cfglen), newmac, 6), 0);
	vtd_dp_stats(x.d, &ds);
	filtered = ds.rx_filtered;
	frames = x.rx_frames;
	for (uint64_t i = 0; i < 10; i++)
		send_raw(&x, 0, oldmac, i);
	vf_run(&x, ENG_US(100));
	vtd_dp_stats(x.d, &ds);
	CU_ASSERT_EQUAL(ds.rx_filtered - filtered, 10);
	CU_ASSERT_EQUAL(x.rx_frames, frames);
	for (uint64_t i = 0; i < 10; i++)
		send_raw(&x, 1, newmac, i);
	vf_run(&x, ENG_US(100));
	CU_ASSERT_EQUAL(x.rx_frames - frames, 10);
	CU_ASSERT_EQUAL(x.ctrl_err, 0);
	vf_teardown(&x);
}

static void test_device_nack_fails_the_command_and_keeps_driver_state(void)
{
	static const uint8_t newmac[6] = { 0x02, 0x01, 0x02, 0x03, 0x04, 0x05 };
	struct vnet_stats st;
	struct vf x;
	uint8_t mac[6];

	vf_init(&x);
	x.cfg.max_vqp = 2;
	vf_start(&x);
	vtd_faults(x.d)->ctrl_ack_err = 1;
	CU_ASSERT_EQUAL(vnet_set_mac(x.n, newmac), 0);
	CU_ASSERT_EQUAL(vnet_set_queue_pairs(x.n, 1), 0);
	CU_ASSERT_EQUAL(vnet_ctrl_pending(x.n), 2);
	vf_run(&x, ENG_US(100));
	CU_ASSERT_EQUAL(vnet_ctrl_pending(x.n), 0);
	CU_ASSERT_EQUAL(x.ctrl_err, 2);
	vnet_mac(x.n, mac);
	CU_ASSERT_EQUAL(memcmp(mac, x.cfg.mac, 6), 0);
	CU_ASSERT_EQUAL(vnet_queue_pairs(x.n), 2);
	vnet_stats(x.n, &st);
	CU_ASSERT_EQUAL(st.ctrl_err, 2);
	CU_ASSERT_EQUAL(vnet_set_mac(x.n, (const uint8_t[6]){ 1, 0, 0, 0, 0, 0 }), -EINVAL);
	vf_teardown(&x);
}

static void test_rx_mode_mac_table_and_announce(void)
{
	static const uint8_t foreign[6] = { 0x02, 0x99, 0x99, 0x99, 0x99, 0x99 };
	static const uint8_t mcast[1][6] = { { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
	struct vtd_rx_mode m;
	struct vnet_stats st;
	struct vf x;
	uint64_t frames;
	size_t len;

	vf_init(&x);
	vf_start(&x);
	CU_ASSERT_EQUAL(vnet_set_rx_mode(x.n, true, false), 0);
	vf_run(&x, ENG_US(50));
	vtd_rx_mode(x.d, &m);
	CU_ASSERT_TRUE(m.promisc);
	CU_ASSERT_FALSE(m.allmulti);
	frames = x.rx_frames;
	send_raw(&x, 0, foreign, 0);
	vf_run(&x, ENG_US(50));
	CU_ASSERT_EQUAL(x.rx_frames - frames, 1); /* promiscuous */
	CU_ASSERT_EQUAL(vnet_set_rx_mode(x.n, false, false), 0);
	vf_run(&x, ENG_US(50));
	send_raw(&x, 0, foreign, 1);
	send_raw(&x, 0, mcast[0], 2);
	vf_run(&x, ENG_US(50));
	CU_ASSERT_EQUAL(x.rx_frames - frames, 1); /* neither passes now */
	CU_ASSERT_EQUAL(vnet_set_mac_table(x.n, NULL, 0, mcast, 1), 0);
	vf_run(&x, ENG_US(50));
	vtd_rx_mode(x.d, &m);
	CU_ASSERT_EQUAL(m.n_mc, 1);
	send_raw(&x, 0, mcast[0], 3);
	vf_run(&x, ENG_US(50));
	CU_ASSERT_EQUAL(x.rx_frames - frames, 2);
	CU_ASSERT_EQUAL(x.ctrl_err, 0);

	/* ANNOUNCE: a gratuitous ARP goes out (looped back), then the ack */
	vtd_announce(x.d);
	CU_ASSERT_TRUE(vtd_config_space(x.d, &len)[6] & VIRTIO_NET_S_ANNOUNCE);
	vf_run(&x, ENG_US(50));
	vnet_stats(x.n, &st);
	CU_ASSERT_EQUAL(st.announces, 1);
	CU_ASSERT_EQUAL(x.rx_foreign, 1);
	CU_ASSERT_FALSE(vtd_config_space(x.d, &len)[6] & VIRTIO_NET_S_ANNOUNCE);
	CU_ASSERT_TRUE(vtd_config_space(x.d, &len)[6] & VIRTIO_NET_S_LINK_UP);
	CU_ASSERT_EQUAL(x.ctrl_err, 0);
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	vf_teardown(&x);
}

static void test_link_follows_status_config_changes(void)
{
	uint8_t frame[64] = { 0 };
	struct vnet_stats st;
	struct vf_flow *f;
	struct vf x;
	uint64_t changes;

	vf_init(&x);
	vf_start(&x);
	CU_ASSERT_TRUE(vnet_link_up(x.n));
	changes = x.link_changes;
	vtd_set_link(x.d, false);
	CU_ASSERT_TRUE(vnet_link_up(x.n)); /* the work item has not run yet */
	vf_run(&x, ENG_US(10));
	CU_ASSERT_FALSE(vnet_link_up(x.n));
	CU_ASSERT_EQUAL(x.link_changes - changes, 1);
	CU_ASSERT_FALSE(x.last_link);
	memcpy(frame, x.dst, 6);
	CU_ASSERT_EQUAL(vnet_send(x.n, 0, frame, sizeof(frame)), -ENETDOWN);
	vtd_set_link(x.d, true);
	vf_run(&x, ENG_US(10));
	CU_ASSERT_TRUE(vnet_link_up(x.n));
	CU_ASSERT_TRUE(x.last_link);
	f = vf_add_flow(&x, 0, 1000);
	vf_start_flows(&x);
	vf_run(&x, ENG_S(1));
	CU_ASSERT_EQUAL(f->received, 1000);
	vnet_stats(x.n, &st);
	CU_ASSERT_EQUAL(st.link_changes, 3); /* up at probe, down, up */
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	vf_teardown(&x);
}

static void test_feature_mask_forces_a_smaller_feature_set(void)
{
	struct vf_flow *f;
	struct vf x;
	uint64_t feat;

	vf_init(&x);
	x.cfg.max_vqp = 2;
	x.params.feature_mask &= ~((1ULL << VIRTIO_F_RING_PACKED) |
				   (1ULL << VIRTIO_RING_F_EVENT_IDX) |
				   (1ULL << VIRTIO_NET_F_MRG_RXBUF) |
				   (1ULL << VIRTIO_NET_F_CTRL_VQ));
	vf_start(&x);
	feat = vnet_features(x.n);
	CU_ASSERT_EQUAL(feat & ((1ULL << VIRTIO_F_RING_PACKED) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |
				(1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_NET_F_CTRL_VQ) |
				(1ULL << VIRTIO_NET_F_MQ) | (1ULL << VIRTIO_NET_F_CTRL_RX) |
				(1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR) |
				(1ULL << VIRTIO_NET_F_GUEST_ANNOUNCE)),
			0);
	CU_ASSERT_EQUAL(vtd_driver_features(x.d), feat);
	CU_ASSERT_PTR_NULL(vnet_ctrl_vq(x.n));
	CU_ASSERT_EQUAL(vnet_max_queue_pairs(x.n), 1);
	CU_ASSERT_EQUAL(vnet_set_mac(x.n, x.src), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(vnet_set_queue_pairs(x.n, 1), -EOPNOTSUPP);
	/* the device drops what the driver does not use: no control queue */
	CU_ASSERT_EQUAL(vtd_trace_count(x.d, "set_vq_ready 4 1"), 0);
	f = vf_add_flow(&x, 0, 3000);
	vf_start_flows(&x);
	vf_run(&x, ENG_S(1));
	CU_ASSERT_EQUAL(f->received, 3000);
	CU_ASSERT_EQUAL(x.rx_out_of_order + x.rx_bad, 0);
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	vf_teardown(&x);
}

static void test_mq_without_control_queue_is_refused(void)
{
	struct vf x;
	struct virtio_device *vdev;
	struct vvd_dma_config dc;

	vf_init(&x);
	x.cfg.device_features &= ~((1ULL << VIRTIO_NET_F_CTRL_VQ) | (1ULL << VIRTIO_NET_F_CTRL_RX) |
				   (1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR) |
				   (1ULL << VIRTIO_NET_F_GUEST_ANNOUNCE));
	x.sim = eng_sim_new(1, 0);
	x.host = calloc(1, VF_HOST_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x.host);
	vq_plain_mem_init(&x.pm, x.host, VF_HOST_PA, VF_HOST_SIZE);
	x.cfg.host_mem = vq_plain_mem_accessor(&x.pm);
	CU_ASSERT_EQUAL_FATAL(vnet_register_driver(x.sim, NULL), 0);
	vvd_default_dma_config(&dc);
	dc.host_mem = x.cfg.host_mem;
	dc.pa_base = VF_HOST_PA;
	dc.size = VF_HOST_SIZE;
	CU_ASSERT_EQUAL_FATAL(vvd_register_driver(x.sim, &dc), 0);
	CU_ASSERT_EQUAL_FATAL(vtd_create(x.sim, &x.cfg, "vdpa0", &x.d), 0);
	vdev = vvd_virtio(vtd_vdpa(x.d));
	CU_ASSERT_PTR_NOT_NULL_FATAL(vdev);
	/* virtnet_validate_features: MQ needs CTRL_VQ */
	CU_ASSERT_EQUAL(vdev->probe_err, -EINVAL);
	CU_ASSERT_PTR_NULL(vnet_find(x.sim, "vdpa0"));
	CU_ASSERT_TRUE(vtd_status(x.d) & VIRTIO_CONFIG_S_FAILED);
	vf_teardown(&x);
}

/* Break a descriptor index of the next TX chain before the device reads it. */
static void corrupt_next_tx(struct vf *x, bool packed)
{
	struct virtqueue *vq = vnet_tx_vq(x->n, 0);
	const struct vq_config *c = vio_vq_config(vq);
	uint8_t *host = x->host - VF_HOST_PA;
	uint8_t frame[100];
	struct net_test_hdr h = { 0, 100, 0, 0 };

	CU_ASSERT_EQUAL_FATAL(net_frame_build(frame, sizeof(frame), 100, x->dst, x->src, &h), 0);
	if (!packed) {
		uint16_t idx, head;

		CU_ASSERT_EQUAL_FATAL(vnet_send(x->n, 0, frame, 100), 0);
		idx = vq_le16(host + c->driver_addr + 2);
		head = vq_le16(host + c->driver_addr + 4 + 2 * ((idx - 1) % c->num));
		/* the chain's first descriptor now points past the table */
		vq_put_le16(host + c->desc_addr + 16 * head + 14, 0xfff0);
	} else {
		/* the next head slot: two descriptors per packet so far */
		uint32_t slot = (uint32_t)(2 * x->flows[0].sent % c->num);
		uint8_t *flags = host + c->desc_addr + 16 * slot + 14;

		CU_ASSERT_EQUAL_FATAL(vnet_send(x->n, 0, frame, 100), 0);
		/* INDIRECT without VIRTIO_RING_F_INDIRECT_DESC negotiated */
		vq_put_le16(flags, vq_le16(flags) | VRING_DESC_F_INDIRECT);
	}
}

static void recover(bool packed)
{
	struct vtd_dp_stats ds;
	struct vf_flow *f;
	struct vf x;
	struct virtio_device *vdev;
	long at;

	vf_init(&x);
	x.observe = false; /* the corruption is a driver-side violation by design */
	if (!packed)
		x.params.feature_mask &= ~(1ULL << VIRTIO_F_RING_PACKED);
	vf_start(&x);
	vdev = vnet_virtio(x.n);
	f = vf_add_flow(&x, 0, 100);
	vf_start_flows(&x);
	vf_run(&x, ENG_MS(1));
	CU_ASSERT_EQUAL_FATAL(f->received, 100);
	corrupt_next_tx(&x, packed);
	vf_run(&x, ENG_MS(1));
	vtd_dp_stats(x.d, &ds);
	CU_ASSERT_EQUAL(ds.needs_reset, 1);
	at = vtd_trace_find(x.d, "needs_reset 1 ", 0);
	CU_ASSERT(at >= 0);
	if (at >= 0)
		fprintf(stderr, "\n  %s: %s\n", packed ? "packed" : "split", vtd_trace_at(x.d, at));
	/* the core saw DEVICE_NEEDS_RESET and ran freeze / reset / restore */
	CU_ASSERT_EQUAL(vdev->needs_reset_seen, 1);
	CU_ASSERT_EQUAL(vdev->recoveries, 1);
	CU_ASSERT_EQUAL(x.resets, 1);
	CU_ASSERT_EQUAL(x.reset_err, 0);
	CU_ASSERT_FALSE(vtd_needs_reset(x.d));
	CU_ASSERT_EQUAL(vtd_status(x.d), 0x0f);
	CU_ASSERT_PTR_EQUAL(vnet_find(x.sim, "vdpa0"), x.n); /* same instance */
	CU_ASSERT_TRUE(vnet_link_up(x.n));
	/* traffic flows again */
	f = vf_add_flow(&x, 0, 2000);
	vf_start_flows(&x);
	vf_run(&x, ENG_S(1));
	CU_ASSERT_EQUAL(f->received, 2000);
	CU_ASSERT_EQUAL(x.rx_out_of_order + x.rx_bad, 0);
	vtd_dp_stats(x.d, &ds);
	CU_ASSERT_EQUAL(ds.needs_reset, 1);
	vf_teardown(&x);
}

static void test_malformed_split_ring_needs_reset_and_driver_recovers(void)
{
	recover(false);
}

static void test_malformed_packed_ring_needs_reset_and_driver_recovers(void)
{
	recover(true);
}

static void test_vnet_reset_keeps_queue_pairs_and_traffic(void)
{
	struct vf_flow *f;
	struct vf x;

	vf_init(&x);
	x.cfg.max_vqp = 3;
	x.params.queue_pairs = 2;
	vf_start(&x);
	CU_ASSERT_EQUAL(vnet_queue_pairs(x.n), 2);
	CU_ASSERT_EQUAL(vnet_reset(x.n), 0);
	CU_ASSERT_EQUAL(vtd_queue_pairs(x.d), 1); /* the device forgot it... */
	vf_run(&x, ENG_US(100));
	CU_ASSERT_EQUAL(vtd_queue_pairs(x.d), 2); /* ...and restore set it again */
	CU_ASSERT_EQUAL(x.resets, 1);
	f = vf_add_flow(&x, 1, 2000);
	vf_start_flows(&x);
	vf_run(&x, ENG_S(1));
	CU_ASSERT_EQUAL(f->received, 2000);
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	vf_teardown(&x);
}

CU_MAIN("virtio_net_ctrl", CU_TEST_ENTRY(test_mq_four_pairs_with_the_control_queue),
	CU_TEST_ENTRY(test_device_nack_fails_the_command_and_keeps_driver_state),
	CU_TEST_ENTRY(test_rx_mode_mac_table_and_announce),
	CU_TEST_ENTRY(test_link_follows_status_config_changes),
	CU_TEST_ENTRY(test_feature_mask_forces_a_smaller_feature_set),
	CU_TEST_ENTRY(test_mq_without_control_queue_is_refused),
	CU_TEST_ENTRY(test_malformed_split_ring_needs_reset_and_driver_recovers),
	CU_TEST_ENTRY(test_malformed_packed_ring_needs_reset_and_driver_recovers),
	CU_TEST_ENTRY(test_vnet_reset_keeps_queue_pairs_and_traffic));
