// SPDX-License-Identifier: MIT
/*
 * Split ring: driver and device engines through a plain-memory accessor with
 * the observer attached (it must stay silent on all of these).
 */
#include "tests/unit/test_virtio_ring_generic.h"

#define NUM 16

static void test_split_single_readable_buffer_round_trip(void)
{
	gen_single_readable(0, NUM);
	gen_single_readable(EVIDX, 1);
}

static void test_split_single_writable_buffer_reports_written_length(void)
{
	gen_single_writable(0, NUM);
}

static void test_split_chains_of_1_to_16_segments_mixed_directions(void)
{
	gen_chains(0, NUM, NUM);
}

static void test_split_indirect_tables_carry_chains_and_are_freed(void)
{
	gen_indirect(0, NUM);
	gen_indirect(EVIDX, 2);
}

static void test_split_full_ring_completed_out_of_order(void)
{
	gen_full_ring_out_of_order(0, NUM);
	gen_full_ring_out_of_order(EVIDX, 4);
}

static void test_split_index_wraps_at_65536_from_saved_state(void)
{
	struct vq_state st = { 65530, 65530, true, true };

	gen_wrap_from_state(0, NUM, &st, 40, 3);
	gen_wrap_from_state(EVIDX | INDIR, 4, &st, 40, 3);
	st.avail_idx = st.used_idx = 65535;
	gen_wrap_from_state(EVIDX, 2, &st, 9, 2);
}

static void test_split_queue_reset_starts_over(void)
{
	gen_queue_reset(0, NUM);
	gen_queue_reset(EVIDX, 8);
}

static void test_split_save_restore_mid_stream(void)
{
	gen_save_restore(0, NUM);
	gen_save_restore(EVIDX | INDIR, 8);
}

static void test_split_in_order_batch_is_one_used_entry(void)
{
	gen_in_order_batch(0, NUM);
	gen_in_order_batch(EVIDX, 8);
}

static void test_split_detach_unused_after_reset(void)
{
	gen_detach_unused(0, NUM);
}

static void test_split_too_many_segments_for_caller_array(void)
{
	gen_segment_cap(0, NUM);
}

/* Drain everything the driver exposed, push it back, collect it. */
static void round_trip_all(struct rig *r)
{
	struct vq_chain c;
	uint32_t len;
	void *t;

	while (rig_fetch(r, &c) == 1)
		CU_ASSERT_EQUAL(vq_dev_push(r->dev, &c, 0), 0);
	CU_ASSERT_EQUAL(vq_dev_flush(r->dev), 0);
	vq_dev_need_interrupt(r->dev);
	while (vq_drv_get_used(r->drv, &t, &len) == 1)
		;
}

static void test_split_kick_follows_avail_event_like_vring_need_event(void)
{
	struct vq_state st = { 65531, 65531, true, true };
	struct rig r;
	uint16_t a = 65531;
	int mismatches = 0;

	rig_setup(&r, NUM, EVIDX, &st, 0, 1 << 16);
	for (int round = 0; round < 64; round++) {
		static const int offs[] = { -2, -1, 0, 1, 2, 3, 4, 5 };
		uint16_t k = (uint16_t)(1 + round % 4), ev = (uint16_t)(a + offs[(round / 4) % 8]);
		struct vq_seg sg = { r.buf_base, 8, 0 };

		for (int i = 0; i < k; i++)
			CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
		rig_poke16(&r, VQ_ACTOR_DEVICE, r.cfg.device_addr + 4 + 8 * NUM, ev);
		if (rig_kick(&r) != vring_need_event(ev, (uint16_t)(a + k), a))
			mismatches++;
		a = (uint16_t)(a + k);
		round_trip_all(&r);
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static void test_split_interrupt_follows_used_event_like_vring_need_event(void)
{
	struct vq_state st = { 65530, 65530, true, true };
	struct rig r;
	uint16_t u = 65530;
	int mismatches = 0;

	rig_setup(&r, NUM, EVIDX, &st, 0, 1 << 16);
	for (int round = 0; round < 64; round++) {
		static const int offs[] = { -3, -1, 0, 1, 2, 3, 4, 7 };
		uint16_t k = (uint16_t)(1 + round % 4), ev = (uint16_t)(u + offs[(round / 4) % 8]);
		struct vq_seg sg = { r.buf_base, 8, 0 };
		struct vq_chain c;
		uint32_t len;
		void *t;

		for (int i = 0; i < k; i++)
			CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
		rig_kick(&r);
		while (rig_fetch(&r, &c) == 1)
			CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 0), 0);
		rig_poke16(&r, VQ_ACTOR_DRIVER, r.cfg.driver_addr + 4 + 2 * NUM, ev);
		if (rig_flush(&r) != vring_need_event(ev, (uint16_t)(u + k), u))
			mismatches++;
		u = (uint16_t)(u + k);
		while (vq_drv_get_used(r.drv, &t, &len) == 1)
			;
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static void test_split_no_notify_flag_suppresses_kicks(void)
{
	struct rig r;
	struct vq_seg sg;

	rig_setup(&r, NUM, 0, NULL, 0, 1 << 16);
	sg = (struct vq_seg){ r.buf_base, 8, 0 };
	vq_dev_disable_notify(r.dev);
	CU_ASSERT_EQUAL(vq_le16(rig_ptr(&r, r.cfg.device_addr)), VRING_USED_F_NO_NOTIFY);
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	CU_ASSERT_EQUAL(rig_kick(&r), 0);
	/* enabling reports the buffer that arrived meanwhile */
	CU_ASSERT_TRUE(vq_dev_enable_notify(r.dev));
	CU_ASSERT_EQUAL(vq_le16(rig_ptr(&r, r.cfg.device_addr)), 0);
	round_trip_all(&r);
	CU_ASSERT_FALSE(vq_dev_enable_notify(r.dev));
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	CU_ASSERT_EQUAL(rig_kick(&r), 1);
	round_trip_all(&r);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static void test_split_event_idx_device_moves_avail_event(void)
{
	struct rig r;
	struct vq_seg sg;

	rig_setup(&r, NUM, EVIDX, NULL, 0, 1 << 16);
	sg = (struct vq_seg){ r.buf_base, 8, 0 };
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	CU_ASSERT_EQUAL(rig_kick(&r), 1); /* avail_event 0 crossed */
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	CU_ASSERT_EQUAL(rig_kick(&r), 0); /* not crossed again */
	round_trip_all(&r);
	/* re-enabled at avail idx 2: the next buffer kicks; flags stay 0 */
	CU_ASSERT_FALSE(vq_dev_enable_notify(r.dev));
	CU_ASSERT_EQUAL(vq_le16(rig_ptr(&r, r.cfg.device_addr + 4 + 8 * NUM)), 2);
	vq_dev_disable_notify(r.dev);
	CU_ASSERT_EQUAL(vq_le16(rig_ptr(&r, r.cfg.device_addr)), 0);
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	CU_ASSERT_EQUAL(rig_kick(&r), 1);
	round_trip_all(&r);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static void test_split_no_interrupt_flag_suppresses_interrupts(void)
{
	struct rig r;
	struct vq_seg sg;
	struct vq_chain c;
	uint32_t len;
	void *t;

	rig_setup(&r, NUM, 0, NULL, 0, 1 << 16);
	sg = (struct vq_seg){ r.buf_base, 8, 0 };
	vq_drv_disable_cb(r.drv);
	CU_ASSERT_EQUAL(vq_le16(rig_ptr(&r, r.cfg.driver_addr)), VRING_AVAIL_F_NO_INTERRUPT);
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	rig_kick(&r);
	CU_ASSERT_EQUAL(rig_fetch(&r, &c), 1);
	CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 0), 0);
	CU_ASSERT_EQUAL(rig_flush(&r), 0);
	/* re-enabling finds the pending buffer: the caller must poll */
	CU_ASSERT_FALSE(vq_drv_enable_cb(r.drv));
	CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 1);
	CU_ASSERT_TRUE(vq_drv_enable_cb(r.drv));
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	rig_kick(&r);
	CU_ASSERT_EQUAL(rig_fetch(&r, &c), 1);
	CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 0), 0);
	CU_ASSERT_EQUAL(rig_flush(&r), 1);
	CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 1);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static void test_split_enable_cb_delayed_waits_for_three_quarters(void)
{
	struct rig r;
	struct vq_seg sg;
	struct vq_chain c;
	uint32_t len;
	void *t;
	int irqs = 0;

	rig_setup(&r, NUM, EVIDX, NULL, 0, 1 << 16);
	sg = (struct vq_seg){ r.buf_base, 8, 0 };
	for (int i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	rig_kick(&r);
	CU_ASSERT_TRUE(vq_drv_enable_cb_delayed(r.drv));
	/* 8 outstanding: used_event = last_used + 6 */
	CU_ASSERT_EQUAL(vq_le16(rig_ptr(&r, r.cfg.driver_addr + 4 + 2 * NUM)), 6);
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(rig_fetch(&r, &c), 1);
		CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 0), 0);
		if (rig_flush(&r) == 1) {
			irqs++;
			CU_ASSERT_EQUAL(i, 6); /* the 7th used entry has index 6 */
		}
	}
	CU_ASSERT_EQUAL(irqs, 1);
	while (vq_drv_get_used(r.drv, &t, &len) == 1)
		;
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static void test_split_queue_sizes_are_powers_of_two_up_to_32768(void)
{
	struct vq_config cfg = { 0 };
	struct rig r;

	cfg.num = 32768;
	vq_config_place(&cfg, 0x10000);
	CU_ASSERT_EQUAL(vq_config_check(&cfg), 0);
	cfg.num = 65536;
	CU_ASSERT_EQUAL(vq_config_check(&cfg), -EINVAL);
	cfg.num = 24;
	CU_ASSERT_EQUAL(vq_config_check(&cfg), -EINVAL);
	cfg.num = 0;
	CU_ASSERT_EQUAL(vq_config_check(&cfg), -EINVAL);
	cfg.num = 16;
	vq_config_place(&cfg, 0x10000);
	cfg.driver_addr += 1; /* avail ring alignment is 2 */
	CU_ASSERT_EQUAL(vq_config_check(&cfg), -EINVAL);
	/* the largest queue works, indices and all */
	rig_setup(&r, 32768, EVIDX, NULL, 0, 1 << 16);
	CU_ASSERT_EQUAL(vq_desc_area_size(&r.cfg), 16 * 32768);
	CU_ASSERT_EQUAL(vq_driver_area_size(&r.cfg), 6 + 2 * 32768);
	CU_ASSERT_EQUAL(vq_device_area_size(&r.cfg), 6 + 8 * 32768);
	gen_traffic(&r, 200, 3, 3);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static void test_split_notification_data_is_avail_idx(void)
{
	struct vq_state st = { 0x8001, 0x8001, true, true };
	struct rig r;
	struct vq_seg sg;

	rig_setup(&r, NUM, 0, &st, 0, 1 << 16);
	sg = (struct vq_seg){ r.buf_base, 8, 0 };
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	CU_ASSERT_EQUAL(vq_drv_notify_data(r.drv), 0x8001); /* not exposed yet */
	rig_kick(&r);
	/* next_off = low 15 bits, next_wrap = bit 15 (virtio 1.3 2.9) */
	CU_ASSERT_EQUAL(vq_drv_notify_data(r.drv), 0x8002);
	round_trip_all(&r);
	rig_free(&r);
}

CU_MAIN("virtio_ring_split", CU_TEST_ENTRY(test_split_single_readable_buffer_round_trip),
	CU_TEST_ENTRY(test_split_single_writable_buffer_reports_written_length),
	CU_TEST_ENTRY(test_split_chains_of_1_to_16_segments_mixed_directions),
	CU_TEST_ENTRY(test_split_indirect_tables_carry_chains_and_are_freed),
	CU_TEST_ENTRY(test_split_full_ring_completed_out_of_order),
	CU_TEST_ENTRY(test_split_index_wraps_at_65536_from_saved_state),
	CU_TEST_ENTRY(test_split_queue_reset_starts_over),
	CU_TEST_ENTRY(test_split_save_restore_mid_stream),
	CU_TEST_ENTRY(test_split_in_order_batch_is_one_used_entry),
	CU_TEST_ENTRY(test_split_detach_unused_after_reset),
	CU_TEST_ENTRY(test_split_too_many_segments_for_caller_array),
	CU_TEST_ENTRY(test_split_kick_follows_avail_event_like_vring_need_event),
	CU_TEST_ENTRY(test_split_interrupt_follows_used_event_like_vring_need_event),
	CU_TEST_ENTRY(test_split_no_notify_flag_suppresses_kicks),
	CU_TEST_ENTRY(test_split_event_idx_device_moves_avail_event),
	CU_TEST_ENTRY(test_split_no_interrupt_flag_suppresses_interrupts),
	CU_TEST_ENTRY(test_split_enable_cb_delayed_waits_for_three_quarters),
	CU_TEST_ENTRY(test_split_queue_sizes_are_powers_of_two_up_to_32768),
	CU_TEST_ENTRY(test_split_notification_data_is_avail_idx));
