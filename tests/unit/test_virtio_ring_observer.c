// SPDX-License-Identifier: MIT
/*
 * The ring observer on split rings, one test per rule: each case runs an
 * access sequence twice, once correct (the observer must stay silent) and once
 * with the deliberate mistake (the rule must fire).  Accesses are made by the
 * engines where they can make them, and by hand (reported to the observer like
 * the DMA of a foreign device or the stores of a foreign driver) for mistakes
 * the engines never make.  Also: the rule table, the log, and following a
 * foreign driver or device.
 */
#include "tests/unit/test_virtio_ring_obs_util.h"

/* ==== Split, driver ================================================================ */
static void c_sdrv02(struct rig *r, bool bad)
{
	sdesc(r, 0, r->buf_base, 8, (bad ? WR : 0) | NX, 1);
	sdesc(r, 1, r->buf_base + 64, 8, bad ? 0 : WR, 0);
	sexpose(r, 0);
}

static void c_sdrv04(struct rig *r, bool bad)
{
	sdesc(r, 0, r->buf_base, 8, NX, 1);
	sdesc(r, 1, r->buf_base, 8, bad ? NX : 0, 0);
	sexpose(r, 0);
}

static void c_sdrv05(struct rig *r, bool bad)
{
	sdesc(r, 0, r->buf_base, 8, NX, bad ? 2 : 1);
	sdesc(r, bad ? 2 : 1, r->buf_base, 8, 0, 0);
	sexpose(r, 0);
}

static void c_sdrv06(struct rig *r, bool bad)
{
	/* bad: the rig has no INDIRECT_DESC; good: a plain descriptor */
	sdesc(r, 0, r->buf_base, 32, bad ? IN : 0, 0);
	sexpose(r, 0);
}

static void c_sdrv07(struct rig *r, bool bad)
{
	uint64_t t = r->buf_base + 0x1000;

	table(r, t, 0, r->buf_base, 8, NX, 1);
	table(r, t, 1, bad ? t : r->buf_base + 64, 16, bad ? IN : WR, 0);
	sdesc(r, 0, t, 32, IN, 0);
	sexpose(r, 0);
	rd(r, DEV, t, 32); /* the device reads the table */
}

static void c_sdrv08(struct rig *r, bool bad)
{
	uint32_t n = bad ? 9 : 8;
	uint64_t t = r->buf_base + 0x1000;

	for (uint16_t i = 0; i < n; i++)
		table(r, t, i, r->buf_base, 8, i + 1u < n ? NX : 0, (uint16_t)(i + 1));
	sdesc(r, 0, t, 16 * n, IN, 0);
	sexpose(r, 0);
}

static void c_sdrv09(struct rig *r, bool bad)
{
	uint64_t t = r->buf_base + 0x1000;

	table(r, t, 0, r->buf_base, 8, 0, 0);
	sdesc(r, 1, r->buf_base, 8, 0, 0);
	sdesc(r, 0, t, 16, IN | (bad ? NX : 0), 1);
	sexpose(r, 0);
}

static void c_sdrv10(struct rig *r, bool bad)
{
	uint64_t t = r->buf_base + 0x1000;

	table(r, t, 0, r->buf_base, 8, NX, bad ? 2 : 1);
	table(r, t, bad ? 2 : 1, r->buf_base, 8, bad ? NX : 0, 1);
	table(r, t, bad ? 1 : 2, r->buf_base, 8, 0, 0);
	sdesc(r, 0, t, 48, IN, 0);
	sexpose(r, 0);
	rd(r, DEV, t, 48);
}

static void c_sdrv11(struct rig *r, bool bad)
{
	sdesc(r, 0, r->buf_base, 8, 0, 0);
	if (bad) {
		w16(r, DRV, r->cfg.driver_addr + 2, (uint16_t)(r->cfg.num + 1));
		return;
	}
	sexpose(r, 0);
}

static void c_sdrv12(struct rig *r, bool bad)
{
	w16(r, DRV, r->cfg.driver_addr, bad ? 2 : 1);
}

static void c_sdrv14(struct rig *r, bool bad)
{
	w16(r, DRV, r->cfg.driver_addr, bad ? 1 : 0);
}

static void c_sdrv21(struct rig *r, bool bad)
{
	vq_dev_disable_notify(r->dev); /* used flags = NO_NOTIFY */
	eadd(r, 1, 0, 0);
	ekick(r, bad);
	efetch(r);
}

static void c_sdrv22(struct rig *r, bool bad)
{
	eadd(r, 1, 0, 0);
	ekick(r, !bad); /* the device does not look by itself */
}

static void c_sdrv25(struct rig *r, bool bad)
{
	eadd(r, 1, 0, 0);
	ekick(r, true); /* avail_event 0 crossed */
	eadd(r, 1, 0, 0);
	ekick(r, bad); /* not crossed again */
	efetch(r);
}

static void c_sdrvx02(struct rig *r, bool bad)
{
	sdesc(r, 3, r->buf_base, 8, 0, 0);
	sdesc(r, 0, r->buf_base, 8, 0, 0);
	sexpose(r, bad ? 3 : 0);
}

static void c_sdrvv01(struct rig *r, bool bad)
{
	uint8_t d[16] = { 0 };

	eadd(r, 1, 0, 0); /* takes descriptor 0 */
	ekick(r, true);
	acc(r, DRV, VQ_K_DESC, true, r->cfg.desc_addr + (bad ? 0 : 16 * 5), d, 16, VQ_NO_CHAIN);
}

static void c_sdrvv02(struct rig *r, bool bad)
{
	eadd(r, 1, 0, 0);
	ekick(r, true);
	if (!bad)
		efetch(r); /* the device took entry 0 */
	w16(r, DRV, r->cfg.driver_addr + 4, 3);
}

static void c_sdrvv03(struct rig *r, bool bad)
{
	sdesc(r, 1, r->buf_base, 8, 0, 0);
	sexpose(r, bad ? 9 : 1);
}

static void c_sdrvv04(struct rig *r, bool bad)
{
	sdesc(r, 0, r->buf_base, 8, NX, 1);
	sdesc(r, 1, r->buf_base, 8, 0, 0);
	sdesc(r, 2, r->buf_base, 8, NX, bad ? 1 : 3);
	sdesc(r, 3, r->buf_base, 8, 0, 0);
	sexpose(r, 0);
	sexpose(r, 2);
}

static void c_sdrvv05(struct rig *r, bool bad)
{
	sdesc(r, 0, r->buf_base + 0x1000, bad ? 20 : 32, IN, 0);
	sexpose(r, 0);
}

static void c_sdrvv06(struct rig *r, bool bad)
{
	if (bad)
		w16(r, DRV, r->cfg.device_addr + 2, 1);
	else
		rd(r, DRV, r->cfg.device_addr, 4);
}

/* ==== Split, device ================================================================ */

static void c_sdev06(struct rig *r, bool bad)
{
	uint8_t d[16] = { 0 };

	eadd(r, 1, 0, 0);
	ekick(r, true);
	acc(r, DEV, VQ_K_DESC, bad, r->cfg.desc_addr, d, 16, VQ_NO_CHAIN);
}

static void c_sdev10(struct rig *r, bool bad)
{
	vq_drv_disable_cb(r->drv);
	eadd(r, 1, 0, 0);
	ekick(r, true);
	efetch(r);
	CU_ASSERT_EQUAL(vq_dev_push(r->dev, &ch, 0), 0);
	eirq(r, bad);
}

static void c_sdev11(struct rig *r, bool bad)
{
	eadd(r, 1, 0, 0);
	ekick(r, true);
	efetch(r);
	CU_ASSERT_EQUAL(vq_dev_push(r->dev, &ch, 0), 0);
	eirq(r, !bad); /* the driver does not poll */
}

static void c_sdev14(struct rig *r, bool bad)
{
	eadd(r, 1, 0, 0);
	eadd(r, 1, 0, 0);
	ekick(r, true);
	w16(r, DRV, r->cfg.driver_addr + 4 + 2 * r->cfg.num, 1); /* used_event 1 */
	efetch(r);
	CU_ASSERT_EQUAL(vq_dev_push(r->dev, &ch, 0), 0);
	eirq(r, bad); /* idx 0 -> 1 does not pass used_event 1 */
}

static void c_sdev15(struct rig *r, bool bad)
{
	eadd(r, 1, 0, 0);
	ekick(r, true);
	efetch(r);
	if (!bad)
		sused(r, 0, ch.id, 0);
	spub(r, 1);
}

static void c_sdev18(struct rig *r, bool bad)
{
	w16(r, DEV, r->cfg.device_addr, bad ? 2 : 1);
}

static void c_sdev20(struct rig *r, bool bad)
{
	w16(r, DEV, r->cfg.device_addr, bad ? 1 : 0);
}

static void c_sdevx02(struct rig *r, bool bad)
{
	eadd(r, 1, 0, 0);
	ekick(r, true);
	rd(r, DEV, r->cfg.driver_addr + 2, 2);
	rd(r, DEV, r->cfg.driver_addr + 4 + (bad ? 2 : 0), 2);
}

static void c_sdevx03(struct rig *r, bool bad)
{
	eadd(r, 1, 0, 0);
	ekick(r, true);
	efetch(r);
	sused(r, 0, bad ? 5 : ch.id, 0);
	spub(r, 1);
}

static void c_sdevx04(struct rig *r, bool bad)
{
	struct vq_chain a;
	struct vq_seg sa[2];

	eadd(r, 1, 0, 0);
	eadd(r, 1, 0, 256);
	ekick(r, true);
	memset(&a, 0, sizeof(a));
	a.seg = sa;
	a.seg_cap = 2;
	CU_ASSERT_EQUAL(vq_dev_fetch(r->dev, &a), 1);
	efetch(r);
	/* bad: names the second buffer but publishes one entry */
	sused(r, 0, bad ? ch.id : a.id, 0);
	spub(r, 1);
}

static void c_sdevv01(struct rig *r, bool bad)
{
	eadd(r, 1, 0, 0);
	ekick(r, true);
	rd(r, DEV, r->cfg.desc_addr + (bad ? 16 * 5 : 0), 16);
}

static void c_sdevv03(struct rig *r, bool bad)
{
	if (bad)
		w16(r, DEV, r->cfg.driver_addr + 2, 1);
	else
		rd(r, DEV, r->cfg.driver_addr, 4);
}

static const struct ocase cases[] = {
	{ VQ_R_SPLIT_DRV_02, 8, 0, c_sdrv02 },
	{ VQ_R_SPLIT_DRV_04, 8, 0, c_sdrv04 },
	{ VQ_R_SPLIT_DRV_05, 8, INORDER, c_sdrv05 },
	{ VQ_R_SPLIT_DRV_06, 8, 0, c_sdrv06 },
	{ VQ_R_SPLIT_DRV_07, 8, INDIR, c_sdrv07 },
	{ VQ_R_SPLIT_DRV_08, 8, INDIR, c_sdrv08 },
	{ VQ_R_SPLIT_DRV_09, 8, INDIR, c_sdrv09 },
	{ VQ_R_SPLIT_DRV_10, 8, INDIR | INORDER, c_sdrv10 },
	{ VQ_R_SPLIT_DRV_11, 8, 0, c_sdrv11 },
	{ VQ_R_SPLIT_DRV_12, 8, 0, c_sdrv12 },
	{ VQ_R_SPLIT_DRV_14, 8, EVIDX, c_sdrv14 },
	{ VQ_R_SPLIT_DRV_21, 8, 0, c_sdrv21 },
	{ VQ_R_SPLIT_DRV_22, 8, 0, c_sdrv22 },
	{ VQ_R_SPLIT_DRV_24, 8, EVIDX, c_sdrv22 },
	{ VQ_R_SPLIT_DRV_25, 8, EVIDX, c_sdrv25 },
	{ VQ_R_SPLIT_DRV_X02, 8, INORDER, c_sdrvx02 },
	{ VQ_R_SPLIT_DRV_V01, 8, 0, c_sdrvv01 },
	{ VQ_R_SPLIT_DRV_V02, 8, 0, c_sdrvv02 },
	{ VQ_R_SPLIT_DRV_V03, 8, 0, c_sdrvv03 },
	{ VQ_R_SPLIT_DRV_V04, 8, 0, c_sdrvv04 },
	{ VQ_R_SPLIT_DRV_V05, 8, INDIR, c_sdrvv05 },
	{ VQ_R_SPLIT_DRV_V06, 8, 0, c_sdrvv06 },
	{ VQ_R_SPLIT_DEV_03, 8, 0, g_dev_writes_readable },
	{ VQ_R_SPLIT_DEV_04, 8, 0, g_dev_reads_writable },
	{ VQ_R_SPLIT_DEV_06, 8, 0, c_sdev06 },
	{ VQ_R_SPLIT_DEV_10, 8, 0, c_sdev10 },
	{ VQ_R_SPLIT_DEV_11, 8, 0, c_sdev11 },
	{ VQ_R_SPLIT_DEV_13, 8, EVIDX, c_sdev11 },
	{ VQ_R_SPLIT_DEV_14, 8, EVIDX, c_sdev14 },
	{ VQ_R_SPLIT_DEV_15, 8, 0, c_sdev15 },
	{ VQ_R_SPLIT_DEV_16, 8, 0, g_dev_len_beyond_written },
	{ VQ_R_SPLIT_DEV_18, 8, 0, c_sdev18 },
	{ VQ_R_SPLIT_DEV_20, 8, EVIDX, c_sdev20 },
	{ VQ_R_SPLIT_DEV_X02, 8, 0, c_sdevx02 },
	{ VQ_R_SPLIT_DEV_X03, 8, 0, c_sdevx03 },
	{ VQ_R_SPLIT_DEV_X04, 8, INORDER, c_sdevx04 },
	{ VQ_R_SPLIT_DEV_V01, 8, 0, c_sdevv01 },
	{ VQ_R_SPLIT_DEV_V02, 8, 0, g_dev_outside_buffer },
	{ VQ_R_SPLIT_DEV_V03, 8, 0, c_sdevv03 },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* One CUnit test per rule, named after the rule. */
#define RULE(name, rule)                                  \
	static void test_##name(void)                    \
	{                                                 \
		run_case(cases, NCASES, rule);            \
	}
RULE(split_drv_02_readable_after_writable, VQ_R_SPLIT_DRV_02)
RULE(split_drv_04_chain_loops, VQ_R_SPLIT_DRV_04)
RULE(split_drv_05_in_order_next_is_x_plus_1, VQ_R_SPLIT_DRV_05)
RULE(split_drv_06_indirect_without_feature, VQ_R_SPLIT_DRV_06)
RULE(split_drv_07_indirect_in_indirect, VQ_R_SPLIT_DRV_07)
RULE(split_drv_08_chain_longer_than_queue, VQ_R_SPLIT_DRV_08)
RULE(split_drv_09_indirect_with_next, VQ_R_SPLIT_DRV_09)
RULE(split_drv_10_in_order_indirect_sequential, VQ_R_SPLIT_DRV_10)
RULE(split_drv_11_avail_idx_jump, VQ_R_SPLIT_DRV_11)
RULE(split_drv_12_avail_flags_0_or_1, VQ_R_SPLIT_DRV_12)
RULE(split_drv_14_avail_flags_0_with_event_idx, VQ_R_SPLIT_DRV_14)
RULE(split_drv_21_kick_despite_no_notify, VQ_R_SPLIT_DRV_21)
RULE(split_drv_22_missing_kick, VQ_R_SPLIT_DRV_22)
RULE(split_drv_24_missing_kick_avail_event, VQ_R_SPLIT_DRV_24)
RULE(split_drv_25_kick_without_crossing, VQ_R_SPLIT_DRV_25)
RULE(split_drv_x02_in_order_ring_order, VQ_R_SPLIT_DRV_X02)
RULE(split_drv_v01_descriptor_in_flight_changed, VQ_R_SPLIT_DRV_V01)
RULE(split_drv_v02_unread_avail_entry_rewritten, VQ_R_SPLIT_DRV_V02)
RULE(split_drv_v03_index_beyond_queue, VQ_R_SPLIT_DRV_V03)
RULE(split_drv_v04_descriptor_in_two_chains, VQ_R_SPLIT_DRV_V04)
RULE(split_drv_v05_indirect_length, VQ_R_SPLIT_DRV_V05)
RULE(split_drv_v06_driver_writes_used_ring, VQ_R_SPLIT_DRV_V06)
RULE(split_dev_03_writes_readable_buffer, VQ_R_SPLIT_DEV_03)
RULE(split_dev_04_reads_writable_buffer, VQ_R_SPLIT_DEV_04)
RULE(split_dev_06_writes_descriptor_table, VQ_R_SPLIT_DEV_06)
RULE(split_dev_10_interrupt_despite_no_interrupt, VQ_R_SPLIT_DEV_10)
RULE(split_dev_11_missing_interrupt, VQ_R_SPLIT_DEV_11)
RULE(split_dev_13_missing_interrupt_used_event, VQ_R_SPLIT_DEV_13)
RULE(split_dev_14_interrupt_without_crossing, VQ_R_SPLIT_DEV_14)
RULE(split_dev_15_idx_before_element, VQ_R_SPLIT_DEV_15)
RULE(split_dev_16_len_beyond_written, VQ_R_SPLIT_DEV_16)
RULE(split_dev_18_used_flags_0_or_1, VQ_R_SPLIT_DEV_18)
RULE(split_dev_20_used_flags_0_with_event_idx, VQ_R_SPLIT_DEV_20)
RULE(split_dev_x02_avail_entry_beyond_idx, VQ_R_SPLIT_DEV_X02)
RULE(split_dev_x03_used_id_not_in_flight, VQ_R_SPLIT_DEV_X03)
RULE(split_dev_x04_in_order_batch_mismatch, VQ_R_SPLIT_DEV_X04)
RULE(split_dev_v01_descriptor_not_exposed, VQ_R_SPLIT_DEV_V01)
RULE(split_dev_v02_outside_buffer, VQ_R_SPLIT_DEV_V02)
RULE(split_dev_v03_device_writes_avail_ring, VQ_R_SPLIT_DEV_V03)

static void test_every_split_rule_has_a_case(void)
{
	check_coverage(cases, NCASES, VQ_R_SPLIT_DRV_02, VQ_R_SPLIT_DEV_V03);
}

static void test_rule_table_has_stable_ids_sections_and_levels(void)
{
	for (int r = 0; r < VQ_R_COUNT; r++) {
		const struct vq_rule_info *ri = vq_rule_info((enum vq_rule)r);

		CU_ASSERT_PTR_NOT_NULL_FATAL(ri);
		CU_ASSERT_EQUAL(ri->rule, (enum vq_rule)r);
		CU_ASSERT_EQUAL(vq_rule_lookup(ri->id), r);
		CU_ASSERT(ri->section && ri->text && ri->section[0] == '2');
		CU_ASSERT_EQUAL(ri->actor, strstr(ri->id, "-DRV-") ? VQ_ACTOR_DRIVER : VQ_ACTOR_DEVICE);
	}
	CU_ASSERT_EQUAL(vq_rule_lookup("NOPE-01"), -ENOENT);
	CU_ASSERT_PTR_NULL(vq_rule_info(VQ_R_COUNT));
	CU_ASSERT_EQUAL(vq_rule_info(VQ_R_SPLIT_DEV_14)->level, VQ_SHOULD);
	CU_ASSERT_EQUAL(vq_rule_info(VQ_R_SPLIT_DEV_15)->level, VQ_MUST);
	CU_ASSERT_STRING_EQUAL(vq_rule_info(VQ_R_PACKED_DRV_11)->id, "PACKED-DRV-11");
}

/* A foreign device: only raw DMA reaches the observer, in a correct order. */
static void test_observer_follows_a_foreign_device_from_raw_dma(void)
{
	struct rig r;
	uint8_t b[64], e[8];
	uint32_t len;
	void *t;

	rig_setup(&r, 8, 0, NULL, 0, 1 << 16);
	eadd(&r, 1, 1, 0);
	ekick(&r, true);
	rd(&r, DEV, r.cfg.driver_addr + 2, 2); /* avail idx */
	rd(&r, DEV, r.cfg.driver_addr + 4, 2); /* entry 0 = head 0 */
	rd(&r, DEV, r.cfg.desc_addr, 32);      /* descriptors 0 and 1 */
	acc(&r, DEV, VQ_K_RAW, false, r.buf_base, b, 64, VQ_NO_CHAIN);
	acc(&r, DEV, VQ_K_RAW, true, r.buf_base + 256, b, 64, VQ_NO_CHAIN);
	/* unrelated DMA (another queue's buffers) is not this queue's business */
	acc(&r, DEV, VQ_K_RAW, true, r.buf_base + 0x8000, b, 8, VQ_NO_CHAIN);
	vq_put_le32(e, 0);
	vq_put_le32(e + 4, 64);
	acc(&r, DEV, VQ_K_RAW, true, r.cfg.device_addr + 4, e, 8, VQ_NO_CHAIN);
	w16(&r, DEV, r.cfg.device_addr + 2, 1);
	vq_obs_notify(r.obs, DEV);
	CU_ASSERT_EQUAL(vq_drv_get_used(r.drv, &t, &len), 1);
	CU_ASSERT_EQUAL(len, 64);
	CU_ASSERT(rig_silent(&r));
	/* the same device writing the readable buffer is caught from raw DMA */
	eadd(&r, 1, 0, 0x1000);
	ekick(&r, true);
	rd(&r, DEV, r.cfg.driver_addr + 2, 2);
	rd(&r, DEV, r.cfg.driver_addr + 6, 2);
	rd(&r, DEV, r.cfg.desc_addr + 32, 16);
	acc(&r, DEV, VQ_K_RAW, true, r.buf_base + 0x1000, b, 8, VQ_NO_CHAIN);
	CU_ASSERT(rig_fired(&r, VQ_R_SPLIT_DEV_03));
	rig_free(&r);
}

/* A foreign driver: its stores are not seen; the device's reads reveal them. */
static void test_observer_infers_a_foreign_driver_from_device_reads(void)
{
	struct rig r;
	struct vq_chain c;

	rig_setup(&r, 8, INDIR, NULL, 0, 1 << 16);
	split_put_desc(&r, 2, r.buf_base, 16, NX, 5);
	split_put_desc(&r, 5, r.buf_base + 0x1000, 32, IN, 0);
	split_put_table(&r, r.buf_base + 0x1000, 0, r.buf_base + 64, 8, WR | NX, 1);
	split_put_table(&r, r.buf_base + 0x1000, 1, r.buf_base + 128, 8, WR, 0);
	split_expose(&r, 2);
	CU_ASSERT_EQUAL(rig_fetch(&r, &c), 1);
	CU_ASSERT_EQUAL(vq_dev_write(r.dev, &c, 0, r.dseg, 16), 0);
	CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 16), 0);
	rig_flush(&r);
	CU_ASSERT(rig_silent(&r));
	/* packed, the same way */
	rig_free(&r);
	rig_setup(&r, 5, PACKED, NULL, 0, 1 << 16);
	packed_put_desc(&r, 1, r.buf_base + 64, 8, 3, pavail(true) | WR);
	packed_put_desc(&r, 0, r.buf_base, 8, 3, pavail(true) | NX);
	CU_ASSERT_EQUAL(rig_fetch(&r, &c), 1);
	CU_ASSERT_EQUAL(c.id, 3);
	CU_ASSERT_EQUAL(vq_dev_write(r.dev, &c, 0, r.dseg, 8), 0);
	CU_ASSERT_EQUAL(vq_dev_push(r.dev, &c, 8), 0);
	rig_flush(&r);
	CU_ASSERT(rig_silent(&r));
	rig_free(&r);
}

static int cb_count;
static void on_event(void *ctx, const struct vq_obs_event *ev)
{
	(void)ctx;
	(void)ev;
	cb_count++;
}

static void test_observer_log_is_bounded_and_counts_on(void)
{
	struct vq_obs *obs;
	struct vq_config cfg = { .num = 8 };
	const struct vq_obs_event *ev;
	uint8_t b[2] = { 2, 0 };
	struct vq_access a = { DRV, VQ_K_AVAIL, true, 0, 2, b, VQ_NO_CHAIN };
	char line[128];

	vq_config_place(&cfg, 0x1000);
	CU_ASSERT_EQUAL(vq_obs_create(&obs, &cfg, NULL, 4), 0);
	vq_obs_set_callback(obs, on_event, NULL);
	a.addr = cfg.driver_addr; /* avail flags = 2, six times */
	for (int i = 0; i < 6; i++)
		vq_obs_access(obs, &a);
	CU_ASSERT_EQUAL(vq_obs_count(obs), 6);
	CU_ASSERT_EQUAL(vq_obs_count_level(obs, VQ_MUST), 6);
	CU_ASSERT_EQUAL(vq_obs_rule_count(obs, VQ_R_SPLIT_DRV_12), 6);
	CU_ASSERT_EQUAL(vq_obs_events(obs, &ev), 4);
	CU_ASSERT_EQUAL(cb_count, 6);
	CU_ASSERT_EQUAL(ev[0].seq, 1);
	CU_ASSERT_EQUAL(ev[3].seq, 4);
	CU_ASSERT_EQUAL(ev[0].value, 2);
	vq_obs_format(&ev[0], line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "SPLIT-DRV-12 driver seq=1 addr=0x1080 index=0 value=2");
	vq_obs_clear(obs);
	CU_ASSERT_EQUAL(vq_obs_count(obs), 0);
	CU_ASSERT_EQUAL(vq_obs_events(obs, &ev), 0);
	/* a start state with buffers in flight cannot be followed */
	struct vq_state st = { 3, 2, true, true };
	struct vq_obs *o2;

	CU_ASSERT_EQUAL(vq_obs_create(&o2, &cfg, &st, 0), -EINVAL);
	vq_obs_free(obs);
}

CU_MAIN("virtio_ring_observer", CU_TEST_ENTRY(test_every_split_rule_has_a_case),
	CU_TEST_ENTRY(test_rule_table_has_stable_ids_sections_and_levels),
	CU_TEST_ENTRY(test_observer_follows_a_foreign_device_from_raw_dma),
	CU_TEST_ENTRY(test_observer_infers_a_foreign_driver_from_device_reads),
	CU_TEST_ENTRY(test_observer_log_is_bounded_and_counts_on),
	CU_TEST_ENTRY(test_split_drv_02_readable_after_writable),
	CU_TEST_ENTRY(test_split_drv_04_chain_loops),
	CU_TEST_ENTRY(test_split_drv_05_in_order_next_is_x_plus_1),
	CU_TEST_ENTRY(test_split_drv_06_indirect_without_feature),
	CU_TEST_ENTRY(test_split_drv_07_indirect_in_indirect),
	CU_TEST_ENTRY(test_split_drv_08_chain_longer_than_queue),
	CU_TEST_ENTRY(test_split_drv_09_indirect_with_next),
	CU_TEST_ENTRY(test_split_drv_10_in_order_indirect_sequential),
	CU_TEST_ENTRY(test_split_drv_11_avail_idx_jump),
	CU_TEST_ENTRY(test_split_drv_12_avail_flags_0_or_1),
	CU_TEST_ENTRY(test_split_drv_14_avail_flags_0_with_event_idx),
	CU_TEST_ENTRY(test_split_drv_21_kick_despite_no_notify),
	CU_TEST_ENTRY(test_split_drv_22_missing_kick),
	CU_TEST_ENTRY(test_split_drv_24_missing_kick_avail_event),
	CU_TEST_ENTRY(test_split_drv_25_kick_without_crossing),
	CU_TEST_ENTRY(test_split_drv_x02_in_order_ring_order),
	CU_TEST_ENTRY(test_split_drv_v01_descriptor_in_flight_changed),
	CU_TEST_ENTRY(test_split_drv_v02_unread_avail_entry_rewritten),
	CU_TEST_ENTRY(test_split_drv_v03_index_beyond_queue),
	CU_TEST_ENTRY(test_split_drv_v04_descriptor_in_two_chains),
	CU_TEST_ENTRY(test_split_drv_v05_indirect_length),
	CU_TEST_ENTRY(test_split_drv_v06_driver_writes_used_ring),
	CU_TEST_ENTRY(test_split_dev_03_writes_readable_buffer),
	CU_TEST_ENTRY(test_split_dev_04_reads_writable_buffer),
	CU_TEST_ENTRY(test_split_dev_06_writes_descriptor_table),
	CU_TEST_ENTRY(test_split_dev_10_interrupt_despite_no_interrupt),
	CU_TEST_ENTRY(test_split_dev_11_missing_interrupt),
	CU_TEST_ENTRY(test_split_dev_13_missing_interrupt_used_event),
	CU_TEST_ENTRY(test_split_dev_14_interrupt_without_crossing),
	CU_TEST_ENTRY(test_split_dev_15_idx_before_element),
	CU_TEST_ENTRY(test_split_dev_16_len_beyond_written),
	CU_TEST_ENTRY(test_split_dev_18_used_flags_0_or_1),
	CU_TEST_ENTRY(test_split_dev_20_used_flags_0_with_event_idx),
	CU_TEST_ENTRY(test_split_dev_x02_avail_entry_beyond_idx),
	CU_TEST_ENTRY(test_split_dev_x03_used_id_not_in_flight),
	CU_TEST_ENTRY(test_split_dev_x04_in_order_batch_mismatch),
	CU_TEST_ENTRY(test_split_dev_v01_descriptor_not_exposed),
	CU_TEST_ENTRY(test_split_dev_v02_outside_buffer),
	CU_TEST_ENTRY(test_split_dev_v03_device_writes_avail_ring));
