// SPDX-License-Identifier: MIT
/*
 * virtio_net over virtio_vdpa over the test device in loopback: bulk
 * traffic on split and packed rings with every byte and the order checked
 * and the ring observers silent; mergeable buffers; NAPI suppression.
 */
#include "tests/unit/cu_main.h"
#include "tests/unit/test_virtio_net_fixture.h"

#define BULK_FRAMES 100000u

static void bulk(bool packed)
{
	struct vf x;
	struct vnet_queue_stats s;
	struct vtd_dp_stats ds;
	struct vf_flow *f;

	vf_init(&x);
	if (!packed)
		x.params.feature_mask &= ~(1ULL << VIRTIO_F_RING_PACKED);
	vf_start(&x);
	CU_ASSERT_EQUAL(!!(vnet_features(x.n) & (1ULL << VIRTIO_F_RING_PACKED)), packed);
	CU_ASSERT_TRUE(!!(vnet_features(x.n) & (1ULL << VIRTIO_RING_F_EVENT_IDX)));
	CU_ASSERT_TRUE_FATAL(vnet_link_up(x.n));
	f = vf_add_flow(&x, 0, BULK_FRAMES);
	vf_start_flows(&x);
	vf_run(&x, ENG_S(1));
	CU_ASSERT_EQUAL(f->sent, BULK_FRAMES);
	CU_ASSERT_EQUAL(f->received, BULK_FRAMES);
	CU_ASSERT_EQUAL(f->errors, 0);
	CU_ASSERT_EQUAL(x.rx_bad, 0);
	CU_ASSERT_EQUAL(x.rx_foreign, 0);
	CU_ASSERT_EQUAL(x.rx_out_of_order, 0);
	CU_ASSERT_EQUAL(x.rx_wrong_queue, 0);
	CU_ASSERT_EQUAL(x.nobs, 3); /* input.0, output.0, control */
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	vnet_queue_stats(x.n, 0, &s);
	CU_ASSERT_EQUAL(s.tx_packets, BULK_FRAMES);
	CU_ASSERT_EQUAL(s.rx_packets, BULK_FRAMES);
	CU_ASSERT_EQUAL(s.rx_drops + s.rx_length_errors, 0);
	vtd_dp_stats(x.d, &ds);
	CU_ASSERT_EQUAL(ds.tx_packets, BULK_FRAMES);
	CU_ASSERT_EQUAL(ds.rx_packets, BULK_FRAMES);
	CU_ASSERT_EQUAL(ds.rx_no_buf + ds.rx_filtered + ds.tx_errors, 0);
	CU_ASSERT_EQUAL(ds.needs_reset, 0);
	fprintf(stderr, "\n  %s: %llu frames in %.3f ms sim, kicks %llu, irqs %llu, polls %llu\n",
		packed ? "packed" : "split", (unsigned long long)s.rx_packets,
		(double)eng_now(x.sim) / 1e9, (unsigned long long)s.kicks,
		(unsigned long long)s.interrupts, (unsigned long long)s.napi_polls);
	vf_teardown(&x);
}

static void test_loopback_split_1e5_frames_every_byte_in_order(void)
{
	bulk(false);
}

static void test_loopback_packed_1e5_frames_every_byte_in_order(void)
{
	bulk(true);
}

static void test_mergeable_rx_reassembles_frames_larger_than_a_buffer(void)
{
	struct vf x;
	struct vtd_dp_stats ds;
	struct vnet_queue_stats s;
	struct vf_flow *f;

	vf_init(&x);
	x.cfg.mtu = 9000;
	x.params.rx_buf_size = 1024;
	vf_start(&x);
	CU_ASSERT_TRUE(!!(vnet_features(x.n) & (1ULL << VIRTIO_NET_F_MRG_RXBUF)));
	CU_ASSERT_EQUAL(vnet_mtu(x.n), 9000);
	CU_ASSERT_EQUAL(vnet_hdr_len(x.n), 12);
	f = vf_add_flow(&x, 0, 3000);
	f->min_len = 1000;
	f->max_len = 9014;
	vf_start_flows(&x);
	vf_run(&x, ENG_S(1));
	CU_ASSERT_EQUAL(f->received, 3000);
	CU_ASSERT_EQUAL(x.rx_bad + x.rx_out_of_order, 0);
	vtd_dp_stats(x.d, &ds);
	/* most frames spanned several 1 KiB buffers (num_buffers > 1) */
	CU_ASSERT_TRUE(ds.rx_bufs > 4 * ds.rx_packets);
	vnet_queue_stats(x.n, 0, &s);
	CU_ASSERT_EQUAL(s.rx_length_errors + s.rx_drops, 0);
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	vf_teardown(&x);
}

static void test_small_buffers_without_mrg_rxbuf(void)
{
	struct vf x;
	struct vf_flow *f;

	vf_init(&x);
	x.params.feature_mask &= ~(1ULL << VIRTIO_NET_F_MRG_RXBUF);
	vf_start(&x);
	CU_ASSERT_FALSE(!!(vnet_features(x.n) & (1ULL << VIRTIO_NET_F_MRG_RXBUF)));
	CU_ASSERT_EQUAL(vnet_hdr_len(x.n), 12); /* VERSION_1 */
	f = vf_add_flow(&x, 0, 2000);
	vf_start_flows(&x);
	vf_run(&x, ENG_S(1));
	CU_ASSERT_EQUAL(f->received, 2000);
	CU_ASSERT_EQUAL(x.rx_bad + x.rx_out_of_order, 0);
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	vf_teardown(&x);
}

static void test_napi_keeps_interrupts_far_below_packets_under_load(void)
{
	struct vf x;
	struct vnet_queue_stats s;
	struct vf_flow *f;

	vf_init(&x);
	vf_start(&x);
	f = vf_add_flow(&x, 0, 20000);
	f->burst = 64;
	f->gap_ps = ENG_NS(200);
	vf_start_flows(&x);
	vf_run(&x, ENG_S(1));
	CU_ASSERT_EQUAL(f->received, 20000);
	vnet_queue_stats(x.n, 0, &s);
	fprintf(stderr, "\n  rx %llu, rx irqs %llu, polls %llu (repolls %llu), tx kicks %llu\n",
		(unsigned long long)s.rx_packets, (unsigned long long)s.rx_interrupts,
		(unsigned long long)s.napi_polls, (unsigned long long)s.napi_repolls,
		(unsigned long long)s.tx_kicks);
	CU_ASSERT_TRUE(s.rx_interrupts * 10 < s.rx_packets);
	CU_ASSERT_TRUE(s.napi_polls >= s.rx_interrupts);
	CU_ASSERT_TRUE(s.napi_repolls > 0);
	CU_ASSERT_TRUE(s.tx_kicks * 10 < s.tx_packets);
	CU_ASSERT_TRUE(s.cpu_ps >= s.napi_polls * x.params.poll_ps);
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	vf_teardown(&x);
}

static void test_tx_queue_stops_when_full_and_wakes(void)
{
	struct vf x;
	struct vnet_queue_stats s;
	struct vf_flow *f;

	vf_init(&x);
	x.params.tx_ring_size = 16;
	x.cfg.pkt_delay_ps = ENG_NS(200); /* a slow device */
	vf_start(&x);
	CU_ASSERT_EQUAL(vio_vq_get_vring_size(vnet_tx_vq(x.n, 0)), 16);
	f = vf_add_flow(&x, 0, 5000);
	f->burst = 64;
	vf_start_flows(&x);
	vf_run(&x, ENG_S(1));
	CU_ASSERT_EQUAL(f->received, 5000);
	CU_ASSERT_EQUAL(x.rx_out_of_order + x.rx_bad, 0);
	vnet_queue_stats(x.n, 0, &s);
	CU_ASSERT_TRUE(s.tx_stops > 0);
	CU_ASSERT_TRUE(s.tx_wakes > 0);
	CU_ASSERT_TRUE(s.tx_interrupts > 0);
	CU_ASSERT_TRUE(f->busy > 0);
	CU_ASSERT_FALSE(vnet_tx_stopped(x.n, 0));
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	vf_teardown(&x);
}

static void test_two_descriptor_tx_with_indirect_tables(void)
{
	struct vf x;
	struct vf_flow *f;

	vf_init(&x);
	x.cfg.device_features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	vf_start(&x);
	CU_ASSERT_TRUE(!!(vnet_features(x.n) & (1ULL << VIRTIO_RING_F_INDIRECT_DESC)));
	f = vf_add_flow(&x, 0, 5000);
	vf_start_flows(&x);
	vf_run(&x, ENG_S(1));
	CU_ASSERT_EQUAL(f->received, 5000);
	CU_ASSERT_EQUAL(x.rx_bad + x.rx_out_of_order, 0);
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	/* every indirect table went back to the DMA pool */
	vf_run(&x, ENG_MS(1));
	vf_teardown(&x);
}

static void test_one_descriptor_tx_in_order(void)
{
	struct vf x;
	struct vf_flow *f;

	vf_init(&x);
	x.cfg.device_features |= 1ULL << VIRTIO_F_IN_ORDER;
	x.params.tx_one_sg = true;
	vf_start(&x);
	CU_ASSERT_TRUE(!!(vnet_features(x.n) & (1ULL << VIRTIO_F_IN_ORDER)));
	f = vf_add_flow(&x, 0, 5000);
	vf_start_flows(&x);
	vf_run(&x, ENG_S(1));
	CU_ASSERT_EQUAL(f->received, 5000);
	CU_ASSERT_EQUAL(x.rx_bad + x.rx_out_of_order, 0);
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	vf_teardown(&x);
}

static void test_frames_wait_in_the_receive_queue_without_rx_callback(void)
{
	struct vf x;
	struct vnet_ops ops = { 0 };
	uint8_t frame[128], out[2048];
	struct net_test_hdr h = { 0, 100, 0, 0 };
	uint32_t len = 0;

	vf_init(&x);
	vf_start(&x);
	vnet_set_ops(x.n, &ops, NULL);
	for (uint64_t i = 0; i < 10; i++) {
		h.seq = i;
		CU_ASSERT_EQUAL(net_frame_build(frame, sizeof(frame), 100, x.dst, x.src, &h), 0);
		CU_ASSERT_EQUAL(vnet_send(x.n, 0, frame, 100), 0);
	}
	CU_ASSERT_EQUAL(vnet_recv(x.n, 0, out, sizeof(out), &len), -EAGAIN);
	vf_run(&x, ENG_MS(1));
	CU_ASSERT_EQUAL(vnet_recv(x.n, 0, out, 10, &len), -EMSGSIZE);
	for (uint64_t i = 0; i < 10; i++) {
		struct net_test_hdr g;

		CU_ASSERT_EQUAL_FATAL(vnet_recv(x.n, 0, out, sizeof(out), &len), 0);
		CU_ASSERT_EQUAL(len, 100);
		CU_ASSERT_EQUAL(net_frame_parse_seq(out, len, &g), 0);
		CU_ASSERT_EQUAL(g.seq, i);
	}
	CU_ASSERT_EQUAL(vnet_recv(x.n, 0, out, sizeof(out), &len), -EAGAIN);
	CU_ASSERT_EQUAL(vnet_send(x.n, 1, frame, 100), -EINVAL);
	CU_ASSERT_EQUAL(vnet_send(x.n, 0, frame, 10), -EINVAL);
	CU_ASSERT_EQUAL(vnet_send(x.n, 0, out, 1519), -EMSGSIZE);
	vf_teardown(&x);
}

/* The observers are live: a buffer published without the kick the device
 * asked for is reported at the next quiet point. */
static void test_observer_reports_a_missing_kick(void)
{
	struct vq_seg sg;
	struct virtqueue *vq;
	struct vf x;
	uint64_t buf;

	vf_init(&x);
	vf_start(&x);
	vq = vnet_tx_vq(x.n, 0);
	CU_ASSERT_EQUAL(vf_obs_check(&x), 0);
	CU_ASSERT_EQUAL_FATAL(vio_dma_alloc(vnet_virtio(x.n)->dma, 64, 64, &buf), 0);
	sg = (struct vq_seg){ buf, 64, 0 };
	CU_ASSERT_EQUAL(vio_vq_add_outbuf(vq, &sg, 1, (void *)(uintptr_t)0x1000), 0);
	CU_ASSERT_TRUE(vio_vq_kick_prepare(vq)); /* published; notify skipped */
	fprintf(stderr, "\n");
	CU_ASSERT_EQUAL(vf_obs_check(&x), 1);
	vio_dma_free(vnet_virtio(x.n)->dma, buf, 64);
	vf_teardown(&x);
}

CU_MAIN("virtio_net", CU_TEST_ENTRY(test_loopback_split_1e5_frames_every_byte_in_order),
	CU_TEST_ENTRY(test_loopback_packed_1e5_frames_every_byte_in_order),
	CU_TEST_ENTRY(test_mergeable_rx_reassembles_frames_larger_than_a_buffer),
	CU_TEST_ENTRY(test_small_buffers_without_mrg_rxbuf),
	CU_TEST_ENTRY(test_napi_keeps_interrupts_far_below_packets_under_load),
	CU_TEST_ENTRY(test_tx_queue_stops_when_full_and_wakes),
	CU_TEST_ENTRY(test_two_descriptor_tx_with_indirect_tables),
	CU_TEST_ENTRY(test_one_descriptor_tx_in_order),
	CU_TEST_ENTRY(test_frames_wait_in_the_receive_queue_without_rx_callback),
	CU_TEST_ENTRY(test_observer_reports_a_missing_kick));
