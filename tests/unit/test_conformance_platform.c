// SPDX-License-Identifier: MIT
/*
 * The platform a check runs on and the suite's own virtio-pci driver:
 * enumeration and the capability walk by config cycles, bring-up, loopback
 * traffic through the IFCVF model and the example device, hand-written
 * rings, the DMA watch, and the observer events devhost hands back
 * (devh_observe pins the driver's view of the rings, devh_queue_vector turns
 * MSI-X sends into notifications the observer judges).
 */
#include "conformance/conf_drv.h"
#include "conformance/mutants/mutant.h"
#include "sim/devhost/devhost.h"
#include "sim/nic_ifcvf/nic_ifcvf.h"
#include "tests/unit/cu_main.h"

#include <stdlib.h>
#include <string.h>

static struct conf_buf sink;

static void ctx_up(struct conf_ctx *ctx, const struct vdpasim_device_plugin *p, unsigned ring)
{
	char err[256];

	memset(ctx, 0, sizeof(*ctx));
	ctx->out = &sink;
	ctx->ring = ring;
	CU_ASSERT_EQUAL_FATAL(conf_ctx_init(ctx, p, "", 1, "device", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(conf_read_features(ctx, &ctx->offered), 0);
	ctx->selected = ctx->offered;
}

static void test_enumeration_finds_the_virtio_structures(void)
{
	struct conf_ctx ctx;

	ctx_up(&ctx, ifcvf_plugin(), CONF_RING_SPLIT);
	CU_ASSERT_EQUAL(ctx.hf.vendor_id, 0x1af4);
	CU_ASSERT_EQUAL(ctx.hf.device_id, 0x1041);
	CU_ASSERT(ctx.ncaps >= 5);
	CU_ASSERT_PTR_NOT_NULL(ctx.cc);
	CU_ASSERT_PTR_NOT_NULL(ctx.ncap);
	CU_ASSERT_PTR_NOT_NULL(ctx.isrc);
	CU_ASSERT_PTR_NOT_NULL(ctx.dcap);
	CU_ASSERT_EQUAL(ctx.notify_mult, IFCVF_NOTIFY_MULT);
	CU_ASSERT_EQUAL(ctx.common, ctx.hf.bar[IFCVF_BAR_CFG].addr + IFCVF_COMMON_OFF);
	CU_ASSERT_EQUAL(ctx.msix_size, 2 * 4 + 2);
	CU_ASSERT_EQUAL(ctx.num_queues, 9);
	CU_ASSERT((ctx.offered & CONF_F(VIRTIO_F_RING_PACKED)) != 0);
	conf_ctx_fini(&ctx);
}

static void loopback(const struct vdpasim_device_plugin *p, unsigned ring)
{
	struct conf_ctx ctx;
	struct conf_up_opts o = { .qsize = 64 };
	struct conf_traffic t = { .count = 100, .min_len = 60, .max_len = 1514, .nseg_max = 3,
				  .txq = 1 };
	char why[160];

	ctx_up(&ctx, p, ring);
	CU_ASSERT_EQUAL_FATAL(conf_up(&ctx, &o, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(conf_run_traffic(&ctx, &t), 0);
	CU_ASSERT_EQUAL(conf_settle(&ctx, ENG_US(20)), 0);
	CU_ASSERT_EQUAL(t.sent, 100);
	CU_ASSERT_EQUAL(t.received, 100);
	CU_ASSERT_EQUAL(ctx.rx_test_ok, 100);
	CU_ASSERT_EQUAL(ctx.rx_test_bad, 0);
	CU_ASSERT_EQUAL(ctx.rx_bad, 0);
	CU_ASSERT_EQUAL(ctx.nwire, 100);
	/* the device's side of the rings was judged and found clean */
	CU_ASSERT_EQUAL(ctx.obs_dev, 0);
	CU_ASSERT(ctx.vq[1].irqs > 0);
	CU_ASSERT(ctx.dma_reads > 100 && ctx.dma_writes > 100);
	conf_ctx_fini(&ctx);
}

static void test_driver_loops_frames_through_ifcvf_split_and_packed(void)
{
	loopback(ifcvf_plugin(), CONF_RING_SPLIT);
	loopback(ifcvf_plugin(), CONF_RING_PACKED);
}

static void test_driver_loops_frames_through_the_example_device(void)
{
	loopback(conf_testnet_plugin(), CONF_RING_SPLIT);
}

static void test_observer_events_of_a_broken_device_reach_the_check(void)
{
	struct conf_ctx ctx;
	struct conf_up_opts o = { .qsize = 64 };
	struct conf_traffic t = { .count = 20, .min_len = 100, .max_len = 200, .txq = 1 };
	char why[160];

	ctx_up(&ctx, conf_mutant_find("write_readable")->plugin, CONF_RING_SPLIT);
	CU_ASSERT_EQUAL_FATAL(conf_up(&ctx, &o, why, sizeof(why)), 0);
	conf_run_traffic(&ctx, &t);
	CU_ASSERT(conf_obs_count(&ctx, "SPLIT-DEV-03") >= 20);
	CU_ASSERT_PTR_NOT_NULL(conf_obs_first(&ctx, "SPLIT-DEV-03"));
	CU_ASSERT_PTR_NOT_NULL(strstr(conf_obs_first(&ctx, "SPLIT-DEV-03"), "queue 1"));
	CU_ASSERT_EQUAL(conf_obs_count(&ctx, "SPLIT-DEV-06"), 0);
	conf_ctx_fini(&ctx);
}

static void test_missing_interrupts_are_judged_at_quiet_points(void)
{
	struct conf_ctx ctx;
	struct conf_up_opts o = { .qsize = 64 };
	uint8_t f[128];
	char why[160];

	ctx_up(&ctx, conf_mutant_find("no_tx_irq")->plugin, CONF_RING_SPLIT);
	CU_ASSERT_EQUAL_FATAL(conf_up(&ctx, &o, why, sizeof(why)), 0);
	conf_test_frame(&ctx, f, 100, 0, 0, NULL);
	CU_ASSERT_EQUAL(conf_tx(&ctx, 1, f, 100, NULL, 1), 0);
	CU_ASSERT_EQUAL(conf_kick(&ctx, 1), 0);
	CU_ASSERT_EQUAL(conf_run_for(&ctx, ENG_US(20)), 0);
	/* the owed interrupt is judged once the observer is told the queue is quiet */
	CU_ASSERT_EQUAL(conf_obs_count(&ctx, "SPLIT-DEV-11"), 0);
	conf_obs_sync(&ctx);
	CU_ASSERT_EQUAL(conf_obs_count(&ctx, "SPLIT-DEV-11"), 1);
	conf_ctx_fini(&ctx);
}

static void test_platform_declared_rings_survive_device_announcements(void)
{
	struct conf_ctx ctx;
	struct conf_up_opts o = { .qsize = 64 };
	struct vq_obs *obs;
	char why[160];

	ctx_up(&ctx, ifcvf_plugin(), CONF_RING_SPLIT);
	CU_ASSERT_EQUAL_FATAL(conf_up(&ctx, &o, why, sizeof(why)), 0);
	obs = devh_observer(ctx.dh, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(obs);
	/* the device re-announces (and drops) the queue: the driver's observer stays */
	conf_status_set(&ctx, conf_status(&ctx) | VIRTIO_CONFIG_S_FAILED);
	CU_ASSERT_PTR_EQUAL(devh_observer(ctx.dh, 1), obs);
	devh_unobserve(ctx.dh, 1);
	CU_ASSERT_PTR_NULL(devh_observer(ctx.dh, 1));
	conf_ctx_fini(&ctx);
}

static void test_watch_sees_device_dma_into_a_range(void)
{
	struct conf_ctx ctx;
	struct conf_up_opts o = { .qsize = 64 };
	uint8_t f[128];
	char why[160];
	int w;

	ctx_up(&ctx, ifcvf_plugin(), CONF_RING_SPLIT);
	CU_ASSERT_EQUAL_FATAL(conf_up(&ctx, &o, why, sizeof(why)), 0);
	w = conf_watch(&ctx, ctx.vq[1].device, 4 + 8 * 64);
	CU_ASSERT(w >= 0);
	conf_test_frame(&ctx, f, 100, 0, 0, NULL);
	conf_tx(&ctx, 1, f, 100, NULL, 1);
	conf_kick(&ctx, 1);
	conf_settle(&ctx, ENG_US(20));
	CU_ASSERT(ctx.watch[w].writes >= 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(ctx.watch[w].first_write, "bytes at 0x"));
	conf_ctx_fini(&ctx);
}

static void test_hand_written_split_ring_is_taken_up_to_avail_idx_only(void)
{
	struct conf_ctx ctx;
	struct conf_up_opts o = { .qsize = 64, .raw_tx = true };
	uint8_t b[CONF_NET_HDR + 100] = { 0 };
	char why[160];
	uint16_t id;
	uint32_t len;

	ctx_up(&ctx, ifcvf_plugin(), CONF_RING_SPLIT);
	CU_ASSERT_EQUAL_FATAL(conf_up(&ctx, &o, why, sizeof(why)), 0);
	ctx.peer_echo = false;
	conf_test_frame(&ctx, b + CONF_NET_HDR, 100, 0, 0, NULL);
	for (unsigned i = 0; i < 3; i++) {
		struct conf_rdesc d = { ctx.vq[1].buf + 4096ULL * i, sizeof(b), 0 };

		conf_gwrite(&ctx, d.addr, b, sizeof(b));
		CU_ASSERT_EQUAL(conf_raw_split_add(&ctx, 1, &d, 1, i == 0), (int)i);
	}
	conf_notify(&ctx, 1);
	conf_run_for(&ctx, ENG_US(20));
	CU_ASSERT_EQUAL(ctx.nwire, 1);
	CU_ASSERT_EQUAL(conf_raw_used(&ctx, 1, &id, &len), 1);
	CU_ASSERT_EQUAL(id, 0);
	CU_ASSERT_EQUAL(conf_raw_used(&ctx, 1, &id, &len), 0);
	conf_raw_split_avail_idx(&ctx, 1, 3);
	conf_notify(&ctx, 1);
	conf_run_for(&ctx, ENG_US(20));
	CU_ASSERT_EQUAL(ctx.nwire, 3);
	conf_ctx_fini(&ctx);
}

static void test_control_commands_come_back_with_their_ack(void)
{
	struct conf_ctx ctx;
	struct conf_up_opts o = { 0 };
	uint8_t on = 1, ack;
	uint32_t len;
	char why[160];

	ctx_up(&ctx, ifcvf_plugin(), CONF_RING_SPLIT);
	o.features = conf_feature_base(&ctx) | CONF_F(VIRTIO_NET_F_CTRL_VQ) |
		     CONF_F(VIRTIO_NET_F_CTRL_RX);
	CU_ASSERT_EQUAL_FATAL(conf_up(&ctx, &o, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(ctx.ctrl_q, 2);
	CU_ASSERT_EQUAL(conf_ctrl(&ctx, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1,
				  &ack, &len), 0);
	CU_ASSERT_EQUAL(ack, VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(len, 1);
	CU_ASSERT_EQUAL(conf_ctrl(&ctx, 0x7f, 0, NULL, 0, &ack, &len), 0);
	CU_ASSERT_EQUAL(ack, VIRTIO_NET_ERR);
	conf_ctx_fini(&ctx);
}

static void test_reset_waits_for_status_zero_and_forgets_the_queues(void)
{
	struct conf_ctx ctx;
	struct conf_up_opts o = { 0 };
	char why[160];

	ctx_up(&ctx, ifcvf_plugin(), CONF_RING_SPLIT);
	CU_ASSERT_EQUAL_FATAL(conf_up(&ctx, &o, why, sizeof(why)), 0);
	CU_ASSERT(ctx.vq[0].live);
	CU_ASSERT_EQUAL(conf_reset(&ctx), 0);
	CU_ASSERT_EQUAL(conf_status(&ctx), 0);
	CU_ASSERT_FALSE(ctx.vq[0].live);
	CU_ASSERT_PTR_NULL(devh_observer(ctx.dh, 0));
	/* a refused feature set leaves FEATURES_OK clear */
	CU_ASSERT_EQUAL(conf_negotiate(&ctx, ctx.offered | CONF_F(VIRTIO_NET_F_CSUM)), -EPROTO);
	conf_ctx_fini(&ctx);
	free(sink.p);
	memset(&sink, 0, sizeof(sink));
}

CU_MAIN("conformance_platform",
	CU_TEST_ENTRY(test_enumeration_finds_the_virtio_structures),
	CU_TEST_ENTRY(test_driver_loops_frames_through_ifcvf_split_and_packed),
	CU_TEST_ENTRY(test_driver_loops_frames_through_the_example_device),
	CU_TEST_ENTRY(test_observer_events_of_a_broken_device_reach_the_check),
	CU_TEST_ENTRY(test_missing_interrupts_are_judged_at_quiet_points),
	CU_TEST_ENTRY(test_platform_declared_rings_survive_device_announcements),
	CU_TEST_ENTRY(test_watch_sees_device_dma_into_a_range),
	CU_TEST_ENTRY(test_hand_written_split_ring_is_taken_up_to_avail_idx_only),
	CU_TEST_ENTRY(test_control_commands_come_back_with_their_ack),
	CU_TEST_ENTRY(test_reset_waits_for_status_zero_and_forgets_the_queues));
