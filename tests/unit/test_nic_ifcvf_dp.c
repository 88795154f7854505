// SPDX-License-Identifier: MIT
/* IFCVF datapath: frames through an Ethernet loopback and back, split and packed
 * rings, byte for byte, with the ring observer silent; mergeable receive buffers;
 * multiqueue steering; drops without buffers; simulated throughput at 1518 and
 * 64 bytes on Gen4 x16 and PCIe TLPs per packet. */
#include "tests/unit/test_nic_ifcvf_drv.h"

#define LINE_RATE_1518_MPPS 8.127 /* 100 Gb/s / ((1518 + 20) * 8 bits) */
#define LINE_RATE_64_MPPS 148.81

struct run_result {
	double mpps, gbps;
	double tlps_per_pkt, mrd, mwr, cpld, msix;
	uint64_t received, bad, violations, dev_violations;
};

/* One loopback run: count frames of len (without FCS) on `pairs` pairs. */
static void loopback_run(const char *options, uint64_t features, uint16_t qsize, uint64_t count,
			 uint32_t len, uint32_t rx_stride, bool hdr_split, struct run_result *res)
{
	struct tw w;
	struct pcie_fn_stats st;
	double secs;

	td_init(&w, options);
	td_up(&w, features, 1, qsize, rx_stride, TD_IRQ_PER_VQ);
	w.q[1].hdr_split = hdr_split;
	pcie_fn_stats_reset(devh_fn(w.dh));
	td_run_traffic(&w, 1, count, len, ENG_MS(100));
	pcie_fn_stats(devh_fn(w.dh), &st);
	/* the observers were there (silence means something) */
	CU_ASSERT_PTR_NOT_NULL(devh_observer(w.dh, 0));
	CU_ASSERT_PTR_NOT_NULL(devh_observer(w.dh, 1));
	memset(res, 0, sizeof(*res));
	res->received = w.received;
	res->bad = w.bad + w.reordered;
	res->violations = devh_violations(w.dh);
	res->dev_violations = devh_violations_by(w.dh, VQ_ACTOR_DEVICE);
	if (res->violations && !(features & TD_F(VIRTIO_F_IN_ORDER)))
		td_dump_obs(&w);
	secs = (double)(w.last_rx - w.first_rx) / 1e12;
	if (w.received > 1 && secs > 0) {
		res->mpps = (double)(w.received - 1) / secs / 1e6;
		res->gbps = res->mpps * 1e6 * (len + 4) * 8 / 1e9;
	}
	if (w.received) {
		res->mrd = (double)st.mrd_tlps / (double)w.received;
		res->mwr = (double)st.mwr_tlps / (double)w.received;
		res->cpld = (double)st.cpld_tlps / (double)w.received;
		res->msix = (double)st.msix_tlps / (double)w.received;
		res->tlps_per_pkt = res->mrd + res->mwr + res->cpld + res->msix;
	}
	CU_ASSERT_EQUAL(devh_errors(w.dh), 0);
	CU_ASSERT_EQUAL(eng_stat_get(w.sim, "dev.ifcvf0.rx_no_buffer"), 0);
	td_fini(&w);
}

static void print_result(const char *what, uint32_t len, const struct run_result *r)
{
	printf("\n    %-24s %4u B: %7.3f Mpps %6.2f Gb/s, TLPs/pkt %.2f (MRd %.2f CplD %.2f MWr "
	       "%.2f MSI-X %.3f)",
	       what, len + 4, r->mpps, r->gbps, r->tlps_per_pkt, r->mrd, r->cpld, r->mwr, r->msix);
}

static void test_split_loopback_frames_come_back_byte_exact_observer_silent(void)
{
	struct run_result r;

	loopback_run(NULL, TD_F_BASE | TD_F(VIRTIO_RING_F_EVENT_IDX), 256, 12000, 1514, 2048,
		     false, &r);
	CU_ASSERT_EQUAL(r.received, 12000);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT_EQUAL(r.violations, 0);
	/* without EVENT_IDX, with the header in its own descriptor */
	loopback_run(NULL, TD_F_BASE, 256, 3000, 300, 2048, true, &r);
	CU_ASSERT_EQUAL(r.received, 3000);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT_EQUAL(r.violations, 0);
}

static void test_packed_loopback_frames_come_back_byte_exact_observer_silent(void)
{
	struct run_result r;

	loopback_run(NULL, TD_F_BASE | TD_F(VIRTIO_F_RING_PACKED) | TD_F(VIRTIO_RING_F_EVENT_IDX),
		     256, 12000, 1514, 2048, false, &r);
	CU_ASSERT_EQUAL(r.received, 12000);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT_EQUAL(r.violations, 0);
	loopback_run(NULL, TD_F_BASE | TD_F(VIRTIO_F_RING_PACKED), 128, 3000, 60, 2048, true, &r);
	CU_ASSERT_EQUAL(r.received, 3000);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT_EQUAL(r.violations, 0);
}

/*
 * IN_ORDER: used entries for batches of transmit buffers, receive buffers in
 * order.  The frames come back whole and in sequence.  The observer is not
 * asserted here: fed only the device's DMA (a foreign driver), it takes avail
 * entries before it has seen their descriptors and then logs SPLIT-DRV-X02 /
 * SPLIT-DRV-V01 against the driver and SPLIT-DEV-16 against the device on
 * IN_ORDER rings while the ring engines on both sides agree (reported to the
 * ring engine's owner).
 */
static void test_in_order_rings_complete_in_order(void)
{
	struct run_result r;

	loopback_run(NULL, TD_F_BASE | TD_F(VIRTIO_F_IN_ORDER) | TD_F(VIRTIO_RING_F_EVENT_IDX),
		     256, 4000, 700, 2048, false, &r);
	CU_ASSERT_EQUAL(r.received, 4000);
	CU_ASSERT_EQUAL(r.bad, 0);
	loopback_run(NULL, TD_F_BASE | TD_F(VIRTIO_F_IN_ORDER) | TD_F(VIRTIO_F_RING_PACKED), 256,
		     4000, 700, 2048, false, &r);
	CU_ASSERT_EQUAL(r.received, 4000);
	CU_ASSERT_EQUAL(r.bad, 0);
}

static void test_mergeable_rx_buffers_carry_num_buffers(void)
{
	struct tw w;

	td_init(&w, NULL);
	/* 512-byte receive buffers: a 1518-byte frame takes 3 */
	td_up(&w, TD_F_BASE | TD_F(VIRTIO_NET_F_MRG_RXBUF), 1, 256, 512, TD_IRQ_PER_VQ);
	td_run_traffic(&w, 1, 2000, 1514, ENG_MS(50));
	CU_ASSERT_EQUAL(w.received, 2000);
	CU_ASSERT_EQUAL(w.bad, 0);
	CU_ASSERT_EQUAL(w.merged, 2000);
	CU_ASSERT_EQUAL(eng_stat_get(w.sim, "dev.ifcvf0.rx_merged"), 2000);
	CU_ASSERT_EQUAL(devh_violations(w.dh), 0);
	td_fini(&w);
	/* the same buffers without MRG_RXBUF: too small, dropped and counted */
	td_init(&w, NULL);
	td_up(&w, TD_F_BASE, 1, 64, 512, TD_IRQ_PER_VQ);
	td_run_traffic(&w, 1, 10, 1514, ENG_US(200));
	CU_ASSERT_EQUAL(w.received, 0);
	CU_ASSERT_EQUAL(eng_stat_get(w.sim, "dev.ifcvf0.rx_too_big"), 10);
	td_fini(&w);
}

static void test_frames_without_posted_buffers_are_dropped_and_counted(void)
{
	struct tw w;

	td_init(&w, NULL);
	td_up(&w, TD_F_BASE, 1, 64, 2048, TD_IRQ_PER_VQ);
	/* the driver posts no more receive buffers than the first 64 */
	w.rx_no_refill = true;
	td_run_traffic(&w, 1, 200, 200, ENG_US(300));
	/* 64 buffers were posted at start, the rest had none */
	CU_ASSERT_EQUAL(w.received, 64);
	CU_ASSERT_EQUAL(eng_stat_get(w.sim, "dev.ifcvf0.rx_no_buffer"), 200 - 64);
	CU_ASSERT_EQUAL(eng_stat_get(w.sim, "dev.ifcvf0.tx_frames"), 200);
	td_fini(&w);
}

static void test_port_backpressure_holds_frames_until_room(void)
{
	struct tw w;

	/*
	 * Transmit allowed to run 10 ms ahead of the wire, two full 1024-entry
	 * transmit rings: more frames than the port FIFO and queue hold.
	 */
	td_init(&w, "tx_ahead_ns=10000000,queue_size=1024,queue_pairs=2");
	td_up(&w, TD_F_BASE | TD_F(VIRTIO_RING_F_EVENT_IDX) | TD_F(VIRTIO_NET_F_CTRL_VQ) |
			  TD_F(VIRTIO_NET_F_MQ), 2, 1024, 2048, TD_IRQ_PER_VQ);
	w.flows = 2;
	td_run_traffic(&w, 2, 10000, 1514, ENG_MS(20));
	CU_ASSERT(eng_stat_get(w.sim, "dev.ifcvf0.tx_nobufs") > 0);
	CU_ASSERT_EQUAL(w.received, 10000);
	CU_ASSERT_EQUAL(w.bad, 0);
	CU_ASSERT_EQUAL(w.reordered, 0);
	CU_ASSERT_EQUAL(eng_stat_get(w.sim, "dev.ifcvf0.tx_frames"), 10000);
	CU_ASSERT_EQUAL(devh_net_dropped(w.dh, 0), 0);
	CU_ASSERT_EQUAL(devh_violations(w.dh), 0);
	td_fini(&w);
}

static void test_multiqueue_steers_flows_back_to_their_pair(void)
{
	struct tw w;
	uint8_t pairs[2] = { 2, 0 };

	td_init(&w, "queue_pairs=4");
	td_up(&w, TD_F_BASE | TD_F(VIRTIO_NET_F_CTRL_VQ) | TD_F(VIRTIO_NET_F_MQ), 2, 128, 2048,
	      TD_IRQ_PER_VQ);
	CU_ASSERT_EQUAL(td_ctrl(&w, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, pairs, 2),
			VIRTIO_NET_OK);
	w.flows = 2;
	td_run_traffic(&w, 2, 4000, 400, ENG_MS(20));
	CU_ASSERT_EQUAL(w.received, 4000);
	CU_ASSERT_EQUAL(w.bad, 0);
	CU_ASSERT_EQUAL(w.reordered, 0);
	/* flow p was sent on pair p: it comes back on receive queue 2p */
	CU_ASSERT(w.next_seq[0] > 0 && w.next_seq[1] > 0);
	CU_ASSERT_EQUAL(w.rx_per_q[0], w.next_seq[0]);
	CU_ASSERT_EQUAL(w.rx_per_q[2], w.next_seq[1]);
	CU_ASSERT_EQUAL(devh_violations(w.dh), 0);
	td_fini(&w);
}

static void test_throughput_reaches_line_rate_at_1518_on_gen4_x16(void)
{
	struct run_result s, p;

	loopback_run(NULL, TD_F_BASE | TD_F(VIRTIO_RING_F_EVENT_IDX), 256, 20000, 1514, 2048,
		     false, &s);
	loopback_run(NULL, TD_F_BASE | TD_F(VIRTIO_F_RING_PACKED) | TD_F(VIRTIO_RING_F_EVENT_IDX),
		     256, 20000, 1514, 2048, false, &p);
	print_result("split", 1514, &s);
	print_result("packed", 1514, &p);
	CU_ASSERT_EQUAL(s.received, 20000);
	CU_ASSERT_EQUAL(p.received, 20000);
	CU_ASSERT(s.mpps >= 0.95 * LINE_RATE_1518_MPPS);
	CU_ASSERT(p.mpps >= 0.95 * LINE_RATE_1518_MPPS);
	/* and never above what the wire can carry */
	CU_ASSERT(s.mpps <= LINE_RATE_1518_MPPS * 1.001);
	CU_ASSERT(p.mpps <= LINE_RATE_1518_MPPS * 1.001);
}

static void test_64b_is_below_line_rate_and_packed_needs_fewer_tlps(void)
{
	struct run_result s, p;

	loopback_run(NULL, TD_F_BASE | TD_F(VIRTIO_RING_F_EVENT_IDX), 256, 20000, 60, 2048, false,
		     &s);
	loopback_run(NULL, TD_F_BASE | TD_F(VIRTIO_F_RING_PACKED) | TD_F(VIRTIO_RING_F_EVENT_IDX),
		     256, 20000, 60, 2048, false, &p);
	print_result("split", 60, &s);
	print_result("packed", 60, &p);
	CU_ASSERT_EQUAL(s.received, 20000);
	CU_ASSERT_EQUAL(p.received, 20000);
	CU_ASSERT(s.mpps > 0 && s.mpps < LINE_RATE_64_MPPS);
	CU_ASSERT(p.mpps > 0 && p.mpps < LINE_RATE_64_MPPS);
	CU_ASSERT(p.tlps_per_pkt < s.tlps_per_pkt);
	CU_ASSERT_EQUAL(s.violations + p.violations, 0);
}

CU_MAIN("nic_ifcvf_dp",
	CU_TEST_ENTRY(test_split_loopback_frames_come_back_byte_exact_observer_silent),
	CU_TEST_ENTRY(test_packed_loopback_frames_come_back_byte_exact_observer_silent),
	CU_TEST_ENTRY(test_in_order_rings_complete_in_order),
	CU_TEST_ENTRY(test_mergeable_rx_buffers_carry_num_buffers),
	CU_TEST_ENTRY(test_frames_without_posted_buffers_are_dropped_and_counted),
	CU_TEST_ENTRY(test_port_backpressure_holds_frames_until_room),
	CU_TEST_ENTRY(test_multiqueue_steers_flows_back_to_their_pair),
	CU_TEST_ENTRY(test_throughput_reaches_line_rate_at_1518_on_gen4_x16),
	CU_TEST_ENTRY(test_64b_is_below_line_rate_and_packed_needs_fewer_tlps));
