// SPDX-License-Identifier: MIT
/*
 * Packed ring: driver and device engines through a plain-memory accessor with
 * the observer attached (it must stay silent on all of these).  Sizes that are
 * not powers of two on purpose.
 */
#include "tests/unit/test_virtio_ring_generic.h"

#define NUM 13

static void test_packed_single_readable_buffer_round_trip(void)
{
	gen_single_readable(PACKED, NUM);
	gen_single_readable(PACKED | EVIDX, 1);
}

static void test_packed_single_writable_buffer_reports_written_length(void)
{
	gen_single_writable(PACKED, NUM);
}

static void test_packed_chains_of_1_to_13_segments_mixed_directions(void)
{
	gen_chains(PACKED, NUM, NUM);
	gen_chains(PACKED, 5, 5);
}

static void test_packed_indirect_tables_carry_chains_and_are_freed(void)
{
	gen_indirect(PACKED, NUM);
	gen_indirect(PACKED | EVIDX, 3);
}

static void test_packed_full_ring_completed_out_of_order(void)
{
	gen_full_ring_out_of_order(PACKED, NUM);
	gen_full_ring_out_of_order(PACKED | EVIDX, 5);
}

static void test_packed_wrap_counter_flips_at_ring_end_of_size_5_and_257(void)
{
	struct rig r;
	struct vq_state st;
	struct vq_seg sg;
	struct vq_chain c;
	uint32_t len;
	void *t;

	/* five single buffers take the ring once round: both counters flip */
	rig_setup(&r, 5, PACKED, NULL, 0, 1 << 16);
	sg = (struct vq_seg){ r.buf_base, 8, 0 };
	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
		rig_kick(&r);
		CU_ASSERT_EQUAL(rig_fetch(&r, &c), 1);
		CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 0), 0);
		rig_flush(&r);
		CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 1);
	}
	vq_dev_get_state(r.dev, &st);
	CU_ASSERT_EQUAL(st.avail_idx, 0);
	CU_ASSERT_FALSE(st.avail_wrap);
	CU_ASSERT_EQUAL(st.used_idx, 0);
	CU_ASSERT_FALSE(st.used_wrap);
	/* the first descriptor of lap two: AVAIL clear, USED set */
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	rig_kick(&r);
	CU_ASSERT_EQUAL(vq_le16(rig_ptr(&r, r.cfg.desc_addr + 14)),
			1u << VRING_PACKED_DESC_F_USED);
	CU_ASSERT_EQUAL(rig_fetch(&r, &c), 1);
	CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 0), 0);
	rig_flush(&r);
	/* used in lap two: both bits clear */
	CU_ASSERT_EQUAL(vq_le16(rig_ptr(&r, r.cfg.desc_addr + 14)), 0);
	CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 1);
	/* lists straddling the end of the ring, many laps */
	gen_traffic(&r, 200, 4, 1);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);

	rig_setup(&r, 257, PACKED | INDIR | EVIDX, NULL, 4, 1 << 16);
	gen_traffic(&r, 257 * 5 + 3, 6, 2);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static void test_packed_resumes_from_any_position_and_wrap(void)
{
	struct vq_state st = { 3, 3, false, false };

	gen_wrap_from_state(PACKED, 5, &st, 60, 3);
	st = (struct vq_state){ 256, 256, false, false };
	gen_wrap_from_state(PACKED | EVIDX, 257, &st, 300, 4);
	st = (struct vq_state){ 0, 0, false, false };
	gen_wrap_from_state(PACKED, 7, &st, 50, 7);
}

static void test_packed_queue_reset_starts_over(void)
{
	gen_queue_reset(PACKED, NUM);
	gen_queue_reset(PACKED | EVIDX, 6);
}

static void test_packed_save_restore_mid_stream_with_vhost_packing(void)
{
	struct vq_state st = { 3, 2, false, true }, back;
	uint32_t v = vq_state_to_vhost(&st, true);

	CU_ASSERT_EQUAL(v, (3u | 0u << 15) | (2u | 1u << 15) << 16);
	CU_ASSERT_EQUAL(vq_state_from_vhost(&back, v, true, 5), 0);
	CU_ASSERT_EQUAL(back.avail_idx, 3);
	CU_ASSERT_FALSE(back.avail_wrap);
	CU_ASSERT_EQUAL(back.used_idx, 2);
	CU_ASSERT_TRUE(back.used_wrap);
	CU_ASSERT_EQUAL(vq_state_from_vhost(&back, v, true, 3), -EINVAL);
	gen_save_restore(PACKED, NUM);
	gen_save_restore(PACKED | EVIDX | INDIR, 7);
}

static void test_packed_in_order_batch_is_one_used_descriptor(void)
{
	gen_in_order_batch(PACKED, NUM);
	gen_in_order_batch(PACKED | EVIDX, 8);
}

static void test_packed_detach_unused_after_reset(void)
{
	gen_detach_unused(PACKED, NUM);
}

static void test_packed_too_many_segments_for_caller_array(void)
{
	gen_segment_cap(PACKED, NUM);
}

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

/* The Linux driver's test for a packed DESC event, used as an oracle. */
static bool linux_packed_need(uint16_t off_wrap, uint16_t new_idx, bool new_wrap, uint16_t added,
			      uint16_t num)
{
	uint16_t ev = off_wrap & 0x7fff, old = (uint16_t)(new_idx - added);

	if (!!(off_wrap >> 15) != new_wrap)
		ev = (uint16_t)(ev - num);
	return vring_need_event(ev, new_idx, old);
}

static void test_packed_desc_event_kick_matches_linux_rule(void)
{
	struct rig r;
	struct vq_state st;
	int mismatches = 0;

	rig_setup(&r, 5, PACKED | EVIDX, NULL, 0, 1 << 16);
	for (int round = 0; round < 90; round++) {
		uint16_t k = (uint16_t)(1 + (round / 10) % 3);
		uint16_t ev = (uint16_t)((round % 5) | ((round / 5) % 2 ? 0x8000 : 0));
		struct vq_seg sg = { r.buf_base, 8, 0 };
		uint8_t b[4];

		for (int i = 0; i < k; i++)
			CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
		vq_put_le16(b, ev);
		vq_put_le16(b + 2, VRING_PACKED_EVENT_FLAG_DESC);
		rig_poke16(&r, VQ_ACTOR_DEVICE, r.cfg.device_addr, ev);
		rig_poke16(&r, VQ_ACTOR_DEVICE, r.cfg.device_addr + 2, VRING_PACKED_EVENT_FLAG_DESC);
		int kick = rig_kick(&r);

		vq_dev_get_state(r.dev, &st);
		/* the device has not moved: the driver is k ahead of it */
		uint16_t slot = (uint16_t)((st.avail_idx + k) % 5);
		bool wrap = st.avail_idx + k >= 5 ? !st.avail_wrap : st.avail_wrap;

		if (kick != linux_packed_need(ev, slot, wrap, k, 5))
			mismatches++;
		round_trip_all(&r);
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	/* ENABLE always kicks, DISABLE never */
	rig_poke16(&r, VQ_ACTOR_DEVICE, r.cfg.device_addr + 2, VRING_PACKED_EVENT_FLAG_DISABLE);
	{
		struct vq_seg sg = { r.buf_base, 8, 0 };

		CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
		CU_ASSERT_EQUAL(rig_kick(&r), 0);
		round_trip_all(&r);
		rig_poke16(&r, VQ_ACTOR_DEVICE, r.cfg.device_addr + 2,
			   VRING_PACKED_EVENT_FLAG_ENABLE);
		CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
		CU_ASSERT_EQUAL(rig_kick(&r), 1);
		round_trip_all(&r);
	}
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static void test_packed_desc_event_interrupt_matches_linux_rule(void)
{
	struct rig r;
	struct vq_state st;
	int mismatches = 0;

	rig_setup(&r, 7, PACKED | EVIDX, NULL, 0, 1 << 16);
	for (int round = 0; round < 126; round++) {
		uint16_t k = (uint16_t)(1 + (round / 14) % 3);
		uint16_t ev = (uint16_t)((round % 7) | ((round / 7) % 2 ? 0x8000 : 0));
		struct vq_seg sg = { r.buf_base, 8, 0 };
		struct vq_chain c;
		uint32_t len;
		void *t;

		for (int i = 0; i < k; i++)
			CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
		rig_kick(&r);
		while (rig_fetch(&r, &c) == 1)
			CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 0), 0);
		rig_poke16(&r, VQ_ACTOR_DRIVER, r.cfg.driver_addr, ev);
		rig_poke16(&r, VQ_ACTOR_DRIVER, r.cfg.driver_addr + 2, VRING_PACKED_EVENT_FLAG_DESC);
		int irq = rig_flush(&r);

		vq_dev_get_state(r.dev, &st);
		if (irq != linux_packed_need(ev, st.used_idx, st.used_wrap, k, 7))
			mismatches++;
		while (vq_drv_get_used(r.drv, &t, &len) == 1)
			;
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static void test_packed_driver_event_disable_and_enable(void)
{
	struct rig r;
	struct vq_seg sg;
	struct vq_chain c;
	uint32_t len;
	void *t;

	rig_setup(&r, NUM, PACKED, NULL, 0, 1 << 16);
	sg = (struct vq_seg){ r.buf_base, 8, 0 };
	vq_drv_disable_cb(r.drv);
	CU_ASSERT_EQUAL(vq_le16(rig_ptr(&r, r.cfg.driver_addr + 2)),
			VRING_PACKED_EVENT_FLAG_DISABLE);
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	rig_kick(&r);
	CU_ASSERT_EQUAL(rig_fetch(&r, &c), 1);
	CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 0), 0);
	CU_ASSERT_EQUAL(rig_flush(&r), 0);
	CU_ASSERT_FALSE(vq_drv_enable_cb(r.drv));
	CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 1);
	CU_ASSERT_TRUE(vq_drv_enable_cb(r.drv));
	CU_ASSERT_EQUAL(vq_le16(rig_ptr(&r, r.cfg.driver_addr + 2)),
			VRING_PACKED_EVENT_FLAG_ENABLE);
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	rig_kick(&r);
	CU_ASSERT_EQUAL(rig_fetch(&r, &c), 1);
	CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 0), 0);
	CU_ASSERT_EQUAL(rig_flush(&r), 1);
	CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 1);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static void test_packed_device_event_disable_and_desc(void)
{
	struct rig r;
	struct vq_seg sg;

	rig_setup(&r, NUM, PACKED | EVIDX, NULL, 0, 1 << 16);
	sg = (struct vq_seg){ r.buf_base, 8, 0 };
	vq_dev_disable_notify(r.dev);
	CU_ASSERT_EQUAL(vq_le16(rig_ptr(&r, r.cfg.device_addr + 2)),
			VRING_PACKED_EVENT_FLAG_DISABLE);
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	CU_ASSERT_EQUAL(rig_kick(&r), 0);
	CU_ASSERT_TRUE(vq_dev_enable_notify(r.dev));
	/* DESC at the next descriptor the device will read: slot 0, wrap 1 */
	CU_ASSERT_EQUAL(vq_le16(rig_ptr(&r, r.cfg.device_addr + 2)),
			VRING_PACKED_EVENT_FLAG_DESC);
	CU_ASSERT_EQUAL(vq_le16(rig_ptr(&r, r.cfg.device_addr)), 0x8000);
	round_trip_all(&r);
	CU_ASSERT_FALSE(vq_dev_enable_notify(r.dev));
	CU_ASSERT_EQUAL(vq_le16(rig_ptr(&r, r.cfg.device_addr)), 0x8001);
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	CU_ASSERT_EQUAL(rig_kick(&r), 1);
	round_trip_all(&r);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static void test_packed_enable_cb_delayed_waits_for_three_quarters(void)
{
	struct rig r;
	struct vq_seg sg;
	struct vq_chain c;
	uint32_t len;
	void *t;
	int irqs = 0;

	rig_setup(&r, NUM, PACKED | EVIDX, NULL, 0, 1 << 16);
	sg = (struct vq_seg){ r.buf_base, 8, 0 };
	for (int i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	rig_kick(&r);
	CU_ASSERT_TRUE(vq_drv_enable_cb_delayed(r.drv));
	CU_ASSERT_EQUAL(vq_le16(rig_ptr(&r, r.cfg.driver_addr)), 0x8000 | 6);
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(rig_fetch(&r, &c), 1);
		CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 0), 0);
		if (rig_flush(&r) == 1) {
			irqs++;
			CU_ASSERT_EQUAL(i, 6);
		}
	}
	CU_ASSERT_EQUAL(irqs, 1);
	while (vq_drv_get_used(r.drv, &t, &len) == 1)
		;
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static void test_packed_queue_sizes_any_up_to_32768(void)
{
	struct vq_config cfg = { 0 };
	struct rig r;

	cfg.features = PACKED;
	for (uint32_t n = 1; n <= 9; n++) {
		cfg.num = n;
		vq_config_place(&cfg, 0x10000);
		CU_ASSERT_EQUAL(vq_config_check(&cfg), 0);
	}
	cfg.num = 32769;
	CU_ASSERT_EQUAL(vq_config_check(&cfg), -EINVAL);
	cfg.num = 3;
	vq_config_place(&cfg, 0x10000);
	cfg.device_addr += 2; /* event structures are 4-byte aligned */
	CU_ASSERT_EQUAL(vq_config_check(&cfg), -EINVAL);
	rig_setup(&r, 32768, PACKED | EVIDX, NULL, 0, 1 << 16);
	CU_ASSERT_EQUAL(vq_desc_area_size(&r.cfg), 16 * 32768);
	CU_ASSERT_EQUAL(vq_driver_area_size(&r.cfg), 4);
	gen_traffic(&r, 200, 3, 3);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
	rig_setup(&r, 3, PACKED, NULL, 0, 1 << 16);
	gen_traffic(&r, 100, 3, 4);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static void test_packed_notification_data_is_next_slot_and_wrap(void)
{
	struct vq_state st = { 4, 4, false, false };
	struct rig r;
	struct vq_seg sg;

	rig_setup(&r, 5, PACKED, &st, 0, 1 << 16);
	sg = (struct vq_seg){ r.buf_base, 8, 0 };
	CU_ASSERT_EQUAL(vq_drv_notify_data(r.drv), 4);
	CU_ASSERT_EQUAL(vq_drv_add(r.drv, &sg, 1, 0, &r), 0);
	CU_ASSERT_EQUAL(vq_drv_notify_data(r.drv), 4); /* not exposed yet */
	rig_kick(&r);
	CU_ASSERT_EQUAL(vq_drv_notify_data(r.drv), 0x8000); /* slot 0, wrap 1 */
	round_trip_all(&r);
	rig_free(&r);
}

CU_MAIN("virtio_ring_packed", CU_TEST_ENTRY(test_packed_single_readable_buffer_round_trip),
	CU_TEST_ENTRY(test_packed_single_writable_buffer_reports_written_length),
	CU_TEST_ENTRY(test_packed_chains_of_1_to_13_segments_mixed_directions),
	CU_TEST_ENTRY(test_packed_indirect_tables_carry_chains_and_are_freed),
	CU_TEST_ENTRY(test_packed_full_ring_completed_out_of_order),
	CU_TEST_ENTRY(test_packed_wrap_counter_flips_at_ring_end_of_size_5_and_257),
	CU_TEST_ENTRY(test_packed_resumes_from_any_position_and_wrap),
	CU_TEST_ENTRY(test_packed_queue_reset_starts_over),
	CU_TEST_ENTRY(test_packed_save_restore_mid_stream_with_vhost_packing),
	CU_TEST_ENTRY(test_packed_in_order_batch_is_one_used_descriptor),
	CU_TEST_ENTRY(test_packed_detach_unused_after_reset),
	CU_TEST_ENTRY(test_packed_too_many_segments_for_caller_array),
	CU_TEST_ENTRY(test_packed_desc_event_kick_matches_linux_rule),
	CU_TEST_ENTRY(test_packed_desc_event_interrupt_matches_linux_rule),
	CU_TEST_ENTRY(test_packed_driver_event_disable_and_enable),
	CU_TEST_ENTRY(test_packed_device_event_disable_and_desc),
	CU_TEST_ENTRY(test_packed_enable_cb_delayed_waits_for_three_quarters),
	CU_TEST_ENTRY(test_packed_queue_sizes_any_up_to_32768),
	CU_TEST_ENTRY(test_packed_notification_data_is_next_slot_and_wrap));
