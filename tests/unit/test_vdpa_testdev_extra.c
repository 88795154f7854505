// SPDX-License-Identifier: MIT
/*
 * The test device's control queue (stack/vdpa_testdev, VTD_DP_LOOPBACK) driven
 * with a raw ring driver (vq_drv) through the vdpa config ops, so that commands
 * a well-behaved virtio_net never sends reach it: the CTRL_RX_EXTRA modes,
 * malformed lengths, unknown classes and commands, commands without the
 * feature, and chains without room for the ack.  Every command is answered
 * (VIRTIO_NET_OK or VIRTIO_NET_ERR, virtio 1.3 5.1.6.5) and counted.
 */
#include "sim/engine/engine.h"
#include "sim/virtio_ring/virtio_ring.h"
#include "stack/vdpa_bus/vdpa_bus.h"
#include "stack/vdpa_testdev/vdpa_testdev.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HOST_PA 0x100000ULL
#define HOST_SIZE (256u * 1024)
#define RING_PA HOST_PA
#define CMD_PA (HOST_PA + 0x10000)
#define ACK_PA (HOST_PA + 0x20000)

struct rig {
	struct sim *sim;
	uint8_t *host;
	struct vq_plain_mem pm;
	struct vtd *d;
	struct vdpa_device *v;
	struct vq_drv *drv;
	uint16_t cq;
	uint64_t extra_features;
};

static void rig_up(struct rig *r, uint64_t features)
{
	struct vtd_config cfg;
	struct vq_config qc = { .num = 16 };
	const struct vdpa_config_ops *ops;
	struct vq_mem acc;
	uint8_t status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	memset(r, 0, sizeof(*r));
	r->sim = eng_sim_new(1, 0);
	r->host = calloc(1, HOST_SIZE);
	CU_ASSERT_FATAL(r->sim && r->host);
	vq_plain_mem_init(&r->pm, r->host, HOST_PA, HOST_SIZE);
	acc = vq_plain_mem_accessor(&r->pm);
	vtd_default_config(&cfg);
	cfg.device_features |= (1ULL << VIRTIO_NET_F_CTRL_RX) |
			       (1ULL << VIRTIO_NET_F_CTRL_RX_EXTRA) |
			       (1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR) |
			       (1ULL << VIRTIO_NET_F_GUEST_ANNOUNCE);
	cfg.max_vqp = 2;
	cfg.datapath = VTD_DP_LOOPBACK;
	cfg.host_mem = acc;
	CU_ASSERT_EQUAL_FATAL(vtd_create(r->sim, &cfg, "vdpa0", &r->d), 0);
	r->v = vtd_vdpa(r->d);
	ops = r->v->config;
	r->cq = 4; /* 2 pairs, then the control queue */
	/* what a driver does through the bus, without virtio_vdpa in between */
	CU_ASSERT_EQUAL_FATAL(vdpa_reset(r->v, 0), 0);
	vdpa_set_status(r->v, status);
	CU_ASSERT_EQUAL_FATAL(vdpa_set_features(r->v, features), 0);
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	vdpa_set_status(r->v, status);
	CU_ASSERT_TRUE_FATAL(ops->get_status(r->v) & VIRTIO_CONFIG_S_FEATURES_OK);
	qc.features = features;
	vq_config_place(&qc, RING_PA);
	CU_ASSERT_EQUAL_FATAL(vq_drv_create(&r->drv, &qc, &acc, NULL), 0);
	ops->set_vq_num(r->v, r->cq, qc.num);
	CU_ASSERT_EQUAL_FATAL(ops->set_vq_address(r->v, r->cq, qc.desc_addr, qc.driver_addr,
						  qc.device_addr), 0);
	ops->set_vq_ready(r->v, r->cq, true);
	vdpa_set_status(r->v, status | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void rig_down(struct rig *r)
{
	vq_drv_free(r->drv);
	eng_sim_free(r->sim);
	free(r->host);
}

/* Send class/cmd + data (ack_len bytes of room for the answer); returns the
 * ack byte, or -1 when the device wrote none. */
static int command(struct rig *r, uint8_t cls, uint8_t cmd, const void *data, uint32_t len,
		   uint32_t ack_len)
{
	uint8_t *p = r->host + (CMD_PA - HOST_PA), *ack = r->host + (ACK_PA - HOST_PA);
	struct vq_seg sg[2] = { { CMD_PA, 2 + len, 0 }, { ACK_PA, ack_len, 0 } };
	void *token = NULL;
	uint32_t used = 0;

	p[0] = cls;
	p[1] = cmd;
	if (len)
		memcpy(p + 2, data, len);
	*ack = 0xaa;
	CU_ASSERT_EQUAL_FATAL(vq_drv_add(r->drv, sg, 1, ack_len ? 1 : 0, r), 0);
	CU_ASSERT(vq_drv_kick_prepare(r->drv) >= 0);
	r->v->config->kick_vq(r->v, r->cq);
	eng_run_until(r->sim, eng_now(r->sim) + ENG_US(10));
	CU_ASSERT_EQUAL_FATAL(vq_drv_get_used(r->drv, &token, &used), 1);
	CU_ASSERT_PTR_EQUAL(token, r);
	if (!used)
		return -1;
	CU_ASSERT_EQUAL(used, 1);
	return *ack;
}

static const uint64_t all_ctrl = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MAC) |
				 (1ULL << VIRTIO_NET_F_STATUS) | (1ULL << VIRTIO_NET_F_CTRL_VQ) |
				 (1ULL << VIRTIO_NET_F_MQ) | (1ULL << VIRTIO_NET_F_CTRL_RX) |
				 (1ULL << VIRTIO_NET_F_CTRL_RX_EXTRA) |
				 (1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR) |
				 (1ULL << VIRTIO_NET_F_GUEST_ANNOUNCE);

static void test_rx_extra_modes_set_and_clear_each_filter_flag(void)
{
	static const uint8_t cmds[] = { VIRTIO_NET_CTRL_RX_ALLUNI, VIRTIO_NET_CTRL_RX_NOMULTI,
					VIRTIO_NET_CTRL_RX_NOUNI, VIRTIO_NET_CTRL_RX_NOBCAST };
	struct vtd_rx_mode m;
	struct rig r;
	uint8_t on = 1, off = 0;

	rig_up(&r, all_ctrl);
	for (size_t i = 0; i < sizeof(cmds); i++)
		CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_RX, cmds[i], &on, 1, 1), VIRTIO_NET_OK);
	vtd_rx_mode(r.d, &m);
	CU_ASSERT_TRUE(m.alluni && m.nomulti && m.nouni && m.nobcast);
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_NOUNI, &off, 1, 1),
			VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_NOBCAST, &off, 1, 1),
			VIRTIO_NET_OK);
	vtd_rx_mode(r.d, &m);
	CU_ASSERT_TRUE(m.alluni && m.nomulti && !m.nouni && !m.nobcast);
	/* an RX command is exactly one byte; an unknown one is refused */
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, "\1\1", 2, 1),
			VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_RX, 9, &on, 1, 1), VIRTIO_NET_ERR);
	rig_down(&r);
}

static void test_rx_extra_modes_need_their_feature(void)
{
	struct vtd_rx_mode m;
	struct vtd_dp_stats st;
	struct rig r;
	uint8_t on = 1;

	rig_up(&r, all_ctrl & ~(1ULL << VIRTIO_NET_F_CTRL_RX_EXTRA));
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_NOBCAST, &on, 1, 1),
			VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1, 1),
			VIRTIO_NET_OK);
	vtd_rx_mode(r.d, &m);
	CU_ASSERT_FALSE(m.nobcast);
	vtd_dp_stats(r.d, &st);
	CU_ASSERT_EQUAL(st.ctrl_ok, 1);
	CU_ASSERT_EQUAL(st.ctrl_err, 1);
	rig_down(&r);
	/* nor CTRL_RX at all: RX and MAC_TABLE_SET are refused */
	rig_up(&r, all_ctrl & ~((1ULL << VIRTIO_NET_F_CTRL_RX) |
				(1ULL << VIRTIO_NET_F_CTRL_RX_EXTRA)));
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1, 1),
			VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET,
				"\0\0\0\0\0\0\0\0", 8, 1),
			VIRTIO_NET_ERR);
	rig_down(&r);
}

static void test_malformed_mac_tables_are_refused_whole(void)
{
	uint8_t t[4 + 6 + 4 + 12];
	struct vtd_rx_mode m;
	struct rig r;

	rig_up(&r, all_ctrl);
	/* 1 unicast, 2 multicast: accepted */
	memset(t, 0, sizeof(t));
	t[0] = 1;
	memset(t + 4, 0x02, 6);
	t[10] = 2;
	memset(t + 14, 0x01, 12);
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t,
				sizeof(t), 1),
			VIRTIO_NET_OK);
	vtd_rx_mode(r.d, &m);
	CU_ASSERT_EQUAL(m.n_uc, 1);
	CU_ASSERT_EQUAL(m.n_mc, 2);
	/* shorter than the first count, counts that overrun, a trailing byte, and
	 * more entries than the table holds: refused, the old table stays */
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t, 3, 1),
			VIRTIO_NET_ERR);
	t[0] = 3;
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t,
				sizeof(t), 1),
			VIRTIO_NET_ERR);
	t[0] = 1;
	t[10] = 1;
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t,
				sizeof(t), 1),
			VIRTIO_NET_ERR);
	t[10] = 2;
	t[1] = 1; /* 257 unicast entries */
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t,
				sizeof(t), 1),
			VIRTIO_NET_ERR);
	vtd_rx_mode(r.d, &m);
	CU_ASSERT_EQUAL(m.n_uc, 1);
	CU_ASSERT_EQUAL(m.n_mc, 2);
	/* ADDR_SET takes exactly six bytes; unknown MAC commands are refused */
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
				"\2\0\0\0\0\1\0", 7, 1),
			VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_MAC, 7, NULL, 0, 1), VIRTIO_NET_ERR);
	rig_down(&r);
}

static void test_announce_mq_and_unknown_classes(void)
{
	struct rig r;
	uint8_t pairs[2] = { 0, 0 };
	size_t len;

	rig_up(&r, all_ctrl);
	vtd_announce(r.d);
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK, "x", 1,
				1),
			VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_ANNOUNCE, 5, NULL, 0, 1), VIRTIO_NET_ERR);
	CU_ASSERT_TRUE(vtd_config_space(r.d, &len)[6] & VIRTIO_NET_S_ANNOUNCE);
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK, NULL, 0,
				1),
			VIRTIO_NET_OK);
	CU_ASSERT_FALSE(vtd_config_space(r.d, &len)[6] & VIRTIO_NET_S_ANNOUNCE);
	/* virtio 1.3 5.1.6.5.5: 1 .. max_virtqueue_pairs */
	CU_ASSERT_EQUAL(
	    command(&r, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, pairs, 2, 1),
	    VIRTIO_NET_ERR);
	pairs[0] = 3;
	CU_ASSERT_EQUAL(
	    command(&r, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, pairs, 2, 1),
	    VIRTIO_NET_ERR);
	pairs[0] = 2;
	CU_ASSERT_EQUAL(
	    command(&r, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, pairs, 1, 1),
	    VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_MQ, 9, pairs, 2, 1), VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(vtd_queue_pairs(r.d), 1);
	CU_ASSERT_EQUAL(
	    command(&r, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, pairs, 2, 1),
	    VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(vtd_queue_pairs(r.d), 2);
	CU_ASSERT_EQUAL(command(&r, 0x7f, 0, NULL, 0, 1), VIRTIO_NET_ERR);
	rig_down(&r);
}

static void test_a_command_without_room_for_the_ack_is_still_used(void)
{
	struct vtd_dp_stats st;
	struct rig r;
	uint8_t on = 1;

	rig_up(&r, all_ctrl);
	/* no writable byte: the device consumes it with nothing written */
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1, 0), -1);
	/* an RX command without its byte: refused, but answered */
	CU_ASSERT_EQUAL(command(&r, VIRTIO_NET_CTRL_RX, 0, NULL, 0, 1), VIRTIO_NET_ERR);
	vtd_dp_stats(r.d, &st);
	CU_ASSERT_EQUAL(st.ctrl_ok, 1);
	CU_ASSERT_EQUAL(st.ctrl_err, 1);
	CU_ASSERT_FALSE(vtd_needs_reset(r.d));
	rig_down(&r);
}

CU_MAIN("vdpa_testdev_extra", CU_TEST_ENTRY(test_rx_extra_modes_set_and_clear_each_filter_flag),
	CU_TEST_ENTRY(test_rx_extra_modes_need_their_feature),
	CU_TEST_ENTRY(test_malformed_mac_tables_are_refused_whole),
	CU_TEST_ENTRY(test_announce_mq_and_unknown_classes),
	CU_TEST_ENTRY(test_a_command_without_room_for_the_ack_is_still_used))
