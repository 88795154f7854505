// SPDX-License-Identifier: MIT
/*
 * The ring observer on packed rings, one test per rule (see
 * test_virtio_ring_observer.c for how a case runs).
 */
#include "tests/unit/test_virtio_ring_obs_util.h"

/* ==== Packed, driver =============================================================== */
#define AV pavail(true)

static void c_pdrv03(struct rig *r, bool bad)
{
	uint8_t d[16] = { 0 };

	eadd(r, 1, 0, 0);
	ekick(r, true);
	acc(r, DRV, VQ_K_DESC, true, r->cfg.desc_addr + (bad ? 0 : 16 * 3), d, 16, VQ_NO_CHAIN);
}

static void c_pdrv07(struct rig *r, bool bad)
{
	/* num 4: four descriptors chained, the last one too when bad */
	for (uint16_t s = 4; s-- > 0;)
		pdesc(r, s, r->buf_base, 8, 0, (uint16_t)(AV | (s < 3 || bad ? NX : 0)));
	pkick(r);
}

static void c_pdrv08(struct rig *r, bool bad)
{
	pdesc(r, 1, r->buf_base, 8, 0, (uint16_t)(AV | (bad ? 0 : WR)));
	pdesc(r, 0, r->buf_base, 8, 0, (uint16_t)(AV | NX | (bad ? WR : 0)));
	pkick(r);
}

static void c_pdrv11(struct rig *r, bool bad)
{
	if (bad) {
		pdesc(r, 0, r->buf_base, 8, 0, AV | NX);
		pdesc(r, 1, r->buf_base, 8, 0, AV);
	} else {
		pdesc(r, 1, r->buf_base, 8, 0, AV);
		pdesc(r, 0, r->buf_base, 8, 0, AV | NX);
	}
	pkick(r);
}

static void c_pdrv12(struct rig *r, bool bad)
{
	pdesc(r, 0, r->buf_base, 32, 0, (uint16_t)(AV | (bad ? IN : 0)));
	pkick(r);
}

static void c_pdrv13(struct rig *r, bool bad)
{
	uint64_t t = r->buf_base + 0x1000;

	ptable(r, t, 0, r->buf_base, 8, bad ? NX : 0);
	ptable(r, t, 1, r->buf_base, 8, WR);
	pdesc(r, 0, t, 32, 0, AV | IN);
	pkick(r);
	rd(r, DEV, t, 32);
}

static void c_pdrv15(struct rig *r, bool bad)
{
	uint64_t t = r->buf_base + 0x1000;

	ptable(r, t, 0, r->buf_base, 8, 0);
	if (bad) {
		pdesc(r, 1, t, 16, 0, AV | IN);
		pdesc(r, 0, r->buf_base, 8, 0, AV | NX);
	} else {
		pdesc(r, 0, t, 16, 0, AV | IN);
	}
	pkick(r);
}

static void c_pdrvx02(struct rig *r, bool bad)
{
	pdesc(r, 0, r->buf_base, 8, 0, bad ? USED1 : AV);
	pkick(r);
}

static void c_pdrvx05(struct rig *r, bool bad)
{
	eadd(r, 1, 0, 0);
	ekick(r, !bad);
}

static void c_pdrvx06(struct rig *r, bool bad)
{
	w16(r, DRV, r->cfg.driver_addr + 2, bad ? 3 : VRING_PACKED_EVENT_FLAG_DISABLE);
}

static void c_pdrvv01(struct rig *r, bool bad)
{
	vq_dev_disable_notify(r->dev);
	eadd(r, 1, 0, 0);
	ekick(r, bad);
	efetch(r);
}

static void c_pdrvv02(struct rig *r, bool bad)
{
	pdesc(r, 0, r->buf_base, 8, 4, AV);
	pdesc(r, 1, r->buf_base, 8, bad ? 4 : 5, AV);
	pkick(r);
}

static void c_pdrvv03(struct rig *r, bool bad)
{
	pdesc(r, 0, r->buf_base + 0x1000, bad ? 24 : 32, 0, AV | IN);
	pkick(r);
}

static void c_pdrvv04(struct rig *r, bool bad)
{
	pdesc(r, 1, r->buf_base, bad ? 0x20000000u : 8, 0, AV | WR);
	pdesc(r, 0, r->buf_base, 0xf0000000u, 0, AV | NX);
	pkick(r);
}

static void c_pdrvv05(struct rig *r, bool bad)
{
	if (bad)
		w16(r, DRV, r->cfg.device_addr + 2, 1);
	else
		rd(r, DRV, r->cfg.device_addr, 4);
}

/* ==== Packed, device =============================================================== */
static void c_pdev04(struct rig *r, bool bad)
{
	g_dev_writes_readable(r, bad);
}

static void c_pdev05(struct rig *r, bool bad)
{
	g_dev_reads_writable(r, bad);
}

static void c_pdev07(struct rig *r, bool bad)
{
	eadd(r, 1, 0, 0);
	ekick(r, true);
	efetch(r);
	pused(r, bad ? 3 : 0, ch.id, 0, USED1);
}

static void c_pdevx02(struct rig *r, bool bad)
{
	eadd(r, 1, 0, 0);
	ekick(r, true);
	efetch(r);
	pused(r, 0, ch.id, 0, bad ? 0 : USED1);
}

static void c_pdevx03(struct rig *r, bool bad)
{
	eadd(r, 1, 0, 0);
	ekick(r, true);
	efetch(r);
	pused(r, 0, bad ? 7 : ch.id, 0, USED1);
}

static void c_pdevx07(struct rig *r, bool bad)
{
	struct vq_chain a, b;
	struct vq_seg sa[2], sb[2];

	eadd(r, 1, 0, 0);
	eadd(r, 1, 0, 256);
	eadd(r, 1, 0, 512);
	ekick(r, true);
	memset(&a, 0, sizeof(a));
	a.seg = sa;
	a.seg_cap = 2;
	b = a;
	b.seg = sb;
	CU_ASSERT_EQUAL(vq_dev_fetch(r->dev, &a), 1);
	CU_ASSERT_EQUAL(vq_dev_fetch(r->dev, &b), 1);
	efetch(r);
	/* one used descriptor for the first two (a batch), then one for the
	 * third; bad: the first again, as if it had not been used */
	pused(r, 0, b.id, 0, USED1);
	pused(r, 2, bad ? a.id : ch.id, 0, USED1);
}

static void c_pdevx08(struct rig *r, bool bad)
{
	eadd(r, 1, 0, 0);
	ekick(r, true);
	efetch(r);
	CU_ASSERT_EQUAL(vq_dev_push(r->dev, &ch, 0), 0);
	eirq(r, !bad);
}

static void c_pdevx09(struct rig *r, bool bad)
{
	vq_drv_disable_cb(r->drv);
	eadd(r, 1, 0, 0);
	ekick(r, true);
	efetch(r);
	CU_ASSERT_EQUAL(vq_dev_push(r->dev, &ch, 0), 0);
	eirq(r, bad);
}

static void c_pdevx10(struct rig *r, bool bad)
{
	CU_ASSERT_TRUE(vq_drv_enable_cb(r->drv)); /* DESC at slot 0 */
	c_pdevx08(r, bad);
}

static void c_pdevx11(struct rig *r, bool bad)
{
	w16(r, DEV, r->cfg.device_addr + 2, bad ? 3 : VRING_PACKED_EVENT_FLAG_DISABLE);
}

static void c_pdevv01(struct rig *r, bool bad)
{
	g_dev_outside_buffer(r, bad);
}

static void c_pdevv02(struct rig *r, bool bad)
{
	eadd(r, 1, 0, 0);
	ekick(r, true);
	efetch(r);
	if (bad)
		w16(r, DEV, r->cfg.desc_addr + 14, USED1); /* flags, no id */
	else
		pused(r, 0, ch.id, 0, USED1);
}

static void c_pdevv03(struct rig *r, bool bad)
{
	uint8_t ev[4];

	for (int i = 0; i < 3; i++)
		eadd(r, 1, 0, 256ULL * i);
	ekick(r, true);
	/* the driver wants the event when slot 2 (wrap 1) is used */
	vq_put_le16(ev, 2 | 0x8000);
	vq_put_le16(ev + 2, VRING_PACKED_EVENT_FLAG_DESC);
	acc(r, DRV, VQ_K_EVENT, true, r->cfg.driver_addr, ev, 4, VQ_NO_CHAIN);
	efetch(r);
	CU_ASSERT_EQUAL(vq_dev_push(r->dev, &ch, 0), 0);
	eirq(r, bad);
}

static void c_pdevv04(struct rig *r, bool bad)
{
	g_dev_len_beyond_written(r, bad);
}

static void c_pdevv05(struct rig *r, bool bad)
{
	if (bad)
		w16(r, DEV, r->cfg.driver_addr + 2, 1);
	else
		rd(r, DEV, r->cfg.driver_addr, 4);
}

static const struct ocase cases[] = {
	{ VQ_R_PACKED_DRV_03, 5, PACKED, c_pdrv03 },
	{ VQ_R_PACKED_DRV_07, 4, PACKED, c_pdrv07 },
	{ VQ_R_PACKED_DRV_08, 5, PACKED, c_pdrv08 },
	{ VQ_R_PACKED_DRV_11, 5, PACKED, c_pdrv11 },
	{ VQ_R_PACKED_DRV_12, 5, PACKED, c_pdrv12 },
	{ VQ_R_PACKED_DRV_13, 5, PACKED | INDIR, c_pdrv13 },
	{ VQ_R_PACKED_DRV_15, 5, PACKED | INDIR, c_pdrv15 },
	{ VQ_R_PACKED_DRV_X02, 5, PACKED, c_pdrvx02 },
	{ VQ_R_PACKED_DRV_X05, 5, PACKED, c_pdrvx05 },
	{ VQ_R_PACKED_DRV_X06, 5, PACKED, c_pdrvx06 },
	{ VQ_R_PACKED_DRV_V01, 5, PACKED, c_pdrvv01 },
	{ VQ_R_PACKED_DRV_V02, 5, PACKED, c_pdrvv02 },
	{ VQ_R_PACKED_DRV_V03, 5, PACKED | INDIR, c_pdrvv03 },
	{ VQ_R_PACKED_DRV_V04, 5, PACKED, c_pdrvv04 },
	{ VQ_R_PACKED_DRV_V05, 5, PACKED, c_pdrvv05 },
	{ VQ_R_PACKED_DEV_04, 5, PACKED, c_pdev04 },
	{ VQ_R_PACKED_DEV_05, 5, PACKED, c_pdev05 },
	{ VQ_R_PACKED_DEV_07, 5, PACKED, c_pdev07 },
	{ VQ_R_PACKED_DEV_X02, 5, PACKED, c_pdevx02 },
	{ VQ_R_PACKED_DEV_X03, 5, PACKED, c_pdevx03 },
	{ VQ_R_PACKED_DEV_X07, 5, PACKED | INORDER, c_pdevx07 },
	{ VQ_R_PACKED_DEV_X08, 5, PACKED, c_pdevx08 },
	{ VQ_R_PACKED_DEV_X09, 5, PACKED, c_pdevx09 },
	{ VQ_R_PACKED_DEV_X10, 5, PACKED | EVIDX, c_pdevx10 },
	{ VQ_R_PACKED_DEV_X11, 5, PACKED, c_pdevx11 },
	{ VQ_R_PACKED_DEV_V01, 5, PACKED, c_pdevv01 },
	{ VQ_R_PACKED_DEV_V02, 5, PACKED, c_pdevv02 },
	{ VQ_R_PACKED_DEV_V03, 5, PACKED | EVIDX, c_pdevv03 },
	{ VQ_R_PACKED_DEV_V04, 5, PACKED, c_pdevv04 },
	{ VQ_R_PACKED_DEV_V05, 5, PACKED, c_pdevv05 },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* One CUnit test per rule, named after the rule. */
#define RULE(name, rule)                                  \
	static void test_##name(void)                    \
	{                                                 \
		run_case(cases, NCASES, rule);            \
	}
RULE(packed_drv_03_descriptor_in_flight_changed, VQ_R_PACKED_DRV_03)
RULE(packed_drv_07_list_too_long, VQ_R_PACKED_DRV_07)
RULE(packed_drv_08_readable_after_writable, VQ_R_PACKED_DRV_08)
RULE(packed_drv_11_head_before_rest, VQ_R_PACKED_DRV_11)
RULE(packed_drv_12_indirect_without_feature, VQ_R_PACKED_DRV_12)
RULE(packed_drv_13_flags_in_indirect_entries, VQ_R_PACKED_DRV_13)
RULE(packed_drv_15_indirect_in_list, VQ_R_PACKED_DRV_15)
RULE(packed_drv_x02_avail_flags_vs_wrap, VQ_R_PACKED_DRV_X02)
RULE(packed_drv_x05_missing_kick, VQ_R_PACKED_DRV_X05)
RULE(packed_drv_x06_bad_driver_event_flags, VQ_R_PACKED_DRV_X06)
RULE(packed_drv_v01_kick_despite_disable, VQ_R_PACKED_DRV_V01)
RULE(packed_drv_v02_buffer_id_reused, VQ_R_PACKED_DRV_V02)
RULE(packed_drv_v03_indirect_length, VQ_R_PACKED_DRV_V03)
RULE(packed_drv_v04_list_length_overflow, VQ_R_PACKED_DRV_V04)
RULE(packed_drv_v05_driver_writes_device_event, VQ_R_PACKED_DRV_V05)
RULE(packed_dev_04_writes_readable_buffer, VQ_R_PACKED_DEV_04)
RULE(packed_dev_05_reads_writable_buffer, VQ_R_PACKED_DEV_05)
RULE(packed_dev_07_writes_descriptor_not_owned, VQ_R_PACKED_DEV_07)
RULE(packed_dev_x02_used_flags_vs_wrap, VQ_R_PACKED_DEV_X02)
RULE(packed_dev_x03_used_id_not_in_flight, VQ_R_PACKED_DEV_X03)
RULE(packed_dev_x07_in_order_id_reused, VQ_R_PACKED_DEV_X07)
RULE(packed_dev_x08_missing_interrupt, VQ_R_PACKED_DEV_X08)
RULE(packed_dev_x09_interrupt_despite_disable, VQ_R_PACKED_DEV_X09)
RULE(packed_dev_x10_missing_interrupt_desc_event, VQ_R_PACKED_DEV_X10)
RULE(packed_dev_x11_bad_device_event_flags, VQ_R_PACKED_DEV_X11)
RULE(packed_dev_v01_outside_buffer, VQ_R_PACKED_DEV_V01)
RULE(packed_dev_v02_flags_before_id, VQ_R_PACKED_DEV_V02)
RULE(packed_dev_v03_interrupt_before_event_descriptor, VQ_R_PACKED_DEV_V03)
RULE(packed_dev_v04_len_beyond_written, VQ_R_PACKED_DEV_V04)
RULE(packed_dev_v05_device_writes_driver_event, VQ_R_PACKED_DEV_V05)

static void test_every_packed_rule_has_a_case(void)
{
	check_coverage(cases, NCASES, VQ_R_PACKED_DRV_03, VQ_R_PACKED_DEV_V05);
}

CU_MAIN("virtio_ring_observer_packed", CU_TEST_ENTRY(test_every_packed_rule_has_a_case),
	CU_TEST_ENTRY(test_packed_drv_03_descriptor_in_flight_changed),
	CU_TEST_ENTRY(test_packed_drv_07_list_too_long),
	CU_TEST_ENTRY(test_packed_drv_08_readable_after_writable),
	CU_TEST_ENTRY(test_packed_drv_11_head_before_rest),
	CU_TEST_ENTRY(test_packed_drv_12_indirect_without_feature),
	CU_TEST_ENTRY(test_packed_drv_13_flags_in_indirect_entries),
	CU_TEST_ENTRY(test_packed_drv_15_indirect_in_list),
	CU_TEST_ENTRY(test_packed_drv_x02_avail_flags_vs_wrap),
	CU_TEST_ENTRY(test_packed_drv_x05_missing_kick),
	CU_TEST_ENTRY(test_packed_drv_x06_bad_driver_event_flags),
	CU_TEST_ENTRY(test_packed_drv_v01_kick_despite_disable),
	CU_TEST_ENTRY(test_packed_drv_v02_buffer_id_reused),
	CU_TEST_ENTRY(test_packed_drv_v03_indirect_length),
	CU_TEST_ENTRY(test_packed_drv_v04_list_length_overflow),
	CU_TEST_ENTRY(test_packed_drv_v05_driver_writes_device_event),
	CU_TEST_ENTRY(test_packed_dev_04_writes_readable_buffer),
	CU_TEST_ENTRY(test_packed_dev_05_reads_writable_buffer),
	CU_TEST_ENTRY(test_packed_dev_07_writes_descriptor_not_owned),
	CU_TEST_ENTRY(test_packed_dev_x02_used_flags_vs_wrap),
	CU_TEST_ENTRY(test_packed_dev_x03_used_id_not_in_flight),
	CU_TEST_ENTRY(test_packed_dev_x07_in_order_id_reused),
	CU_TEST_ENTRY(test_packed_dev_x08_missing_interrupt),
	CU_TEST_ENTRY(test_packed_dev_x09_interrupt_despite_disable),
	CU_TEST_ENTRY(test_packed_dev_x10_missing_interrupt_desc_event),
	CU_TEST_ENTRY(test_packed_dev_x11_bad_device_event_flags),
	CU_TEST_ENTRY(test_packed_dev_v01_outside_buffer),
	CU_TEST_ENTRY(test_packed_dev_v02_flags_before_id),
	CU_TEST_ENTRY(test_packed_dev_v03_interrupt_before_event_descriptor),
	CU_TEST_ENTRY(test_packed_dev_v04_len_beyond_written),
	CU_TEST_ENTRY(test_packed_dev_v05_device_writes_driver_event));
