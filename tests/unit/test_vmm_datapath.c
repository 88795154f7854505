// SPDX-License-Identifier: MIT
/*
 * The guest's virtio_net over the VMM over vhost_vdpa over vdpa_testdev
 * (loopback, translating through its IOTLB): traffic byte-exact on split
 * and packed rings with relayed and direct kicks, interrupt injection, the
 * config interrupt, the shadow control queue, and the migration seams
 * (suspend, vring bases, restart on a second device).
 */
#include "tests/unit/test_vmm_fixture.h"
#include "tests/unit/cu_main.h"

static void no_packed(struct vx *x)
{
	x->mcfg.feature_mask &= ~(1ULL << VIRTIO_F_RING_PACKED);
}

static bool in_ram1(uint64_t gpa)
{
	return gpa >= VX_RAM1_GPA && gpa < VX_RAM1_GPA + VX_RAM_SIZE;
}

static void expect_all_back(struct vx *x, uint64_t count)
{
	CU_ASSERT_EQUAL(x->sent, count);
	CU_ASSERT_EQUAL(x->received, count);
	CU_ASSERT_EQUAL(x->rx_bad, 0);
	CU_ASSERT_EQUAL(x->rx_foreign, 0);
	CU_ASSERT_EQUAL(x->rx_out_of_order, 0);
	CU_ASSERT_EQUAL(x->send_errors, 0);
	CU_ASSERT_EQUAL(vx_obs_check(x), 0);
}

static uint64_t dev_tx(const struct vtd *d)
{
	struct vtd_dp_stats st;

	vtd_dp_stats(d, &st);
	return st.tx_packets;
}

static uint64_t dev_rx(const struct vtd *d)
{
	struct vtd_dp_stats st;

	vtd_dp_stats(d, &st);
	return st.rx_packets;
}

/* ---- traffic ------------------------------------------------------------------ */

static void run_1e5(bool packed)
{
	struct vmm_stats st;
	struct vx x;

	vx_init(&x);
	if (!packed)
		no_packed(&x);
	x.window = 0; /* as fast as the rings allow: the loopback holds frames */
	vx_start(&x);
	CU_ASSERT_EQUAL(!!(vnet_features(x.n) & (1ULL << VIRTIO_F_RING_PACKED)), packed);
	/* rings in both regions: the device translates through two maps */
	CU_ASSERT(in_ram1(vio_vq_get_desc_addr(vnet_rx_vq(x.n, 0))) !=
		  in_ram1(vio_vq_get_desc_addr(vnet_tx_vq(x.n, 0))));
	vx_traffic(&x, 100000);
	vx_run_traffic(&x, ENG_S(1));
	expect_all_back(&x, 100000);
	CU_ASSERT_EQUAL(dev_tx(x.d[0]), 100000);
	vmm_stats(x.vm, &st);
	CU_ASSERT_EQUAL(st.kicks_direct, 0);
	CU_ASSERT(st.kicks_relayed > 0);
	CU_ASSERT(st.irqs_injected > 0);
	CU_ASSERT(vmm_vq_kicks(x.vm, 1) > 0);
	CU_ASSERT(vmm_vq_irqs(x.vm, 0) > 0);
	CU_ASSERT_EQUAL(x.doorbells, 0);
	CU_ASSERT(vtd_trace_count(x.d[0], "kick_vq 1") > 0);
	vx_teardown(&x);
}

static void test_split_1e5_frames_byte_exact_with_relayed_kicks(void)
{
	run_1e5(false);
}

static void test_packed_1e5_frames_byte_exact_with_relayed_kicks(void)
{
	run_1e5(true);
}

/* The host notifier: the guest's kick is a write to the mmap'ed doorbell,
 * not an eventfd (QEMU's host notifier memory region). */
static void run_direct(bool packed)
{
	struct vmm_stats st;
	struct vx x;

	vx_init(&x);
	if (!packed)
		no_packed(&x);
	x.mcfg.kick_mode = VMM_KICK_DIRECT;
	vx_start(&x);
	CU_ASSERT(vmm_log_find(x.vm, "mmap 0", 0) >= 0);
	CU_ASSERT(vmm_log_find(x.vm, "mmap 1", 0) >= 0);
	CU_ASSERT_EQUAL(vmm_log_count(x.vm, "mmap 2"), 0); /* the shadow CVQ is the VMM's */
	CU_ASSERT(vmm_vq_direct(x.vm, 0) && vmm_vq_direct(x.vm, 1));
	vx_traffic(&x, 20000);
	vx_run_traffic(&x, ENG_MS(400));
	expect_all_back(&x, 20000);
	vmm_stats(x.vm, &st);
	CU_ASSERT(st.kicks_direct > 0);
	CU_ASSERT_EQUAL(st.kicks_direct, x.doorbells);
	CU_ASSERT(vtd_trace_count(x.d[0], "doorbell 1 0x1") > 0);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d[0], "kick_vq 1"), 0);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d[0], "kick_vq 0"), 0);
	vx_teardown(&x);
}

static void test_direct_kicks_write_the_doorbell_split(void)
{
	run_direct(false);
}

static void test_direct_kicks_write_the_doorbell_packed(void)
{
	run_direct(true);
}

/* A parent without doorbells: mmap fails, kicks stay on the eventfd. */
static void test_direct_mode_without_doorbells_relays(void)
{
	struct vmm_stats st;
	struct vx x;

	vx_init(&x);
	x.mcfg.kick_mode = VMM_KICK_DIRECT;
	x.tcfg.has_notification = false;
	vx_start(&x);
	CU_ASSERT(vmm_log_find(x.vm, "mmap 0 = -524", 0) >= 0);
	CU_ASSERT_FALSE(vmm_vq_direct(x.vm, 0));
	vx_traffic(&x, 5000);
	vx_run_traffic(&x, ENG_MS(100));
	expect_all_back(&x, 5000);
	vmm_stats(x.vm, &st);
	CU_ASSERT_EQUAL(st.kicks_direct, 0);
	CU_ASSERT(vtd_trace_count(x.d[0], "kick_vq 1") > 0);
	vx_teardown(&x);
}

/* ---- interrupts ---------------------------------------------------------------- */

/* A call eventfd signal reaches the guest's queue irq_latency_ps later;
 * signals while one injection is pending coalesce. */
static void test_interrupt_injection_waits_the_configured_latency(void)
{
	uint64_t irqs;
	struct vx x;

	vx_init(&x);
	x.mcfg.irq_latency_ps = ENG_US(3);
	vx_start(&x);
	vx_run(&x, ENG_MS(1));
	irqs = vmm_vq_irqs(x.vm, 0);
	vtd_raise_vq_irq(x.d[0], 0);
	vx_run(&x, ENG_US(1));
	vtd_raise_vq_irq(x.d[0], 0);
	vx_run(&x, ENG_US(2) - 1);
	CU_ASSERT_EQUAL(vmm_vq_irqs(x.vm, 0), irqs);
	vx_run(&x, 1);
	CU_ASSERT_EQUAL(vmm_vq_irqs(x.vm, 0), irqs + 1);
	vx_run(&x, ENG_US(10));
	CU_ASSERT_EQUAL(vmm_vq_irqs(x.vm, 0), irqs + 1);
	vx_teardown(&x);
}

/* Link status changes: device config interrupt -> vhost config eventfd ->
 * the guest's config-changed -> the driver reads the status. */
static void test_link_down_and_up_reach_the_guest_driver(void)
{
	struct vmm_stats st;
	uint64_t irqs;
	uint8_t frame[64] = { 0 };
	struct vx x;

	vx_init(&x);
	vx_start(&x);
	CU_ASSERT(vnet_link_up(x.n));
	vmm_stats(x.vm, &st);
	irqs = st.config_irqs;
	x.link_changes = 0;
	vtd_set_link(x.d[0], false);
	vx_run(&x, ENG_US(20));
	CU_ASSERT_FALSE(vnet_link_up(x.n));
	CU_ASSERT_EQUAL(x.link_changes, 1);
	CU_ASSERT_FALSE(x.last_link);
	memcpy(frame, x.dst, 6);
	CU_ASSERT_EQUAL(vnet_send(x.n, 0, frame, sizeof(frame)), -ENETDOWN);
	vtd_set_link(x.d[0], true);
	vx_run(&x, ENG_US(20));
	CU_ASSERT(vnet_link_up(x.n));
	CU_ASSERT_EQUAL(x.link_changes, 2);
	CU_ASSERT(x.last_link);
	vmm_stats(x.vm, &st);
	CU_ASSERT_EQUAL(st.config_irqs, irqs + 2);
	vx_teardown(&x);
}

/* ---- shadow control queue ----------------------------------------------------------- */

static const uint8_t new_mac[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01 };
static const uint8_t uc[2][6] = { { 0x02, 0, 0, 0, 0, 0x10 }, { 0x02, 0, 0, 0, 0, 0x11 } };
static const uint8_t mc[1][6] = { { 0x01, 0x00, 0x5e, 0, 0, 0x01 } };

static void set_control_state(struct vx *x)
{
	CU_ASSERT_EQUAL(vnet_set_mac(x->n, new_mac), 0);
	CU_ASSERT_EQUAL(vnet_set_rx_mode(x->n, true, true), 0);
	CU_ASSERT_EQUAL(vnet_set_mac_table(x->n, uc, 2, mc, 1), 0);
	vx_run(x, ENG_US(100));
	CU_ASSERT_EQUAL(vnet_ctrl_pending(x->n), 0);
	CU_ASSERT_EQUAL(x->ctrl_err, 0);
}

static void expect_device_state(const struct vtd *d, uint16_t pairs)
{
	struct vtd_rx_mode rx;

	vtd_rx_mode(d, &rx);
	CU_ASSERT(rx.promisc);
	CU_ASSERT(rx.allmulti);
	CU_ASSERT_EQUAL(rx.n_uc, 2);
	CU_ASSERT_EQUAL(rx.n_mc, 1);
	CU_ASSERT_EQUAL(memcmp(vtd_config_space(d, NULL), new_mac, 6), 0);
	CU_ASSERT_EQUAL(vtd_queue_pairs(d), pairs);
}

static void test_shadow_cvq_records_what_the_device_acked(void)
{
	struct vmm_dev_state st;
	struct vmm_stats vs;
	struct vx x;

	vx_init(&x);
	x.tcfg.max_vqp = 2;
	vx_start(&x);
	CU_ASSERT(vmm_vq_shadowed(x.vm, 4));
	set_control_state(&x);
	expect_device_state(x.d[0], 2);
	vmm_save_state(x.vm, &st);
	CU_ASSERT(st.ctrl.mac_set);
	CU_ASSERT_EQUAL(memcmp(st.ctrl.mac, new_mac, 6), 0);
	CU_ASSERT_EQUAL(st.ctrl.queue_pairs, 2);
	CU_ASSERT_EQUAL(st.ctrl.rx_set, (1u << VIRTIO_NET_CTRL_RX_PROMISC) |
					   (1u << VIRTIO_NET_CTRL_RX_ALLMULTI));
	CU_ASSERT_EQUAL(st.ctrl.rx_on, st.ctrl.rx_set);
	CU_ASSERT(st.ctrl.table_set);
	CU_ASSERT_EQUAL(st.ctrl.n_uc, 2);
	CU_ASSERT_EQUAL(memcmp(st.ctrl.uc[1], uc[1], 6), 0);
	CU_ASSERT_EQUAL(st.ctrl.n_mc, 1);
	/* a command the device refuses changes nothing */
	vtd_faults(x.d[0])->ctrl_ack_err = 1;
	CU_ASSERT_EQUAL(vnet_set_rx_mode(x.n, false, false), 0);
	vx_run(&x, ENG_US(100));
	CU_ASSERT_EQUAL(x.ctrl_err, 2);
	vmm_save_state(x.vm, &st);
	CU_ASSERT_EQUAL(st.ctrl.rx_on, st.ctrl.rx_set);
	vmm_stats(x.vm, &vs);
	CU_ASSERT_EQUAL(vs.cvq_err, 2);
	CU_ASSERT_EQUAL(vs.cvq_ok, vs.cvq_cmds - 2);
	/* the guest's traffic meanwhile */
	vtd_faults(x.d[0])->ctrl_ack_err = 0;
	memcpy(x.dst, new_mac, 6);
	vx_traffic(&x, 2000);
	vx_run_traffic(&x, ENG_MS(40));
	expect_all_back(&x, 2000);
	vx_teardown(&x);
}

/* ---- migration seams ------------------------------------------------------------------ */

/* Suspend, read the bases, restart on the other device with them. */
static void move_to(struct vx *x, unsigned int to)
{
	struct vmm_dev_state st;
	char line[64];

	vmm_log_clear(x->vm);
	CU_ASSERT_EQUAL_FATAL(vmm_stop_device(x->vm), 0);
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x->vm, 0), "VHOST_VDPA_SUSPEND");
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x->vm, 1), "VHOST_GET_VRING_BASE 0");
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x->vm, 2), "VHOST_GET_VRING_BASE 1");
	CU_ASSERT(vtd_suspended(x->d[x->cur]));
	/* nothing moves while stopped */
	vx_run(x, ENG_US(30));
	vmm_save_state(x->vm, &st);
	CU_ASSERT_EQUAL_FATAL(vmm_attach(x->vm, to ? "/dev/vhost-vdpa-1" : "/dev/vhost-vdpa-0"), 0);
	x->cur = to;
	vx_observe_device(x, to);
	CU_ASSERT_EQUAL_FATAL(vmm_start_device(x->vm), 0);
	for (unsigned int i = 0; i < 2; i++) {
		if (st.vq[i].base > 0xffff)
			snprintf(line, sizeof(line), "VHOST_SET_VRING_BASE %u 0x%x", i, st.vq[i].base);
		else
			snprintf(line, sizeof(line), "VHOST_SET_VRING_BASE %u %u", i, st.vq[i].base);
		CU_ASSERT(vmm_log_find(x->vm, line, 0) >= 0);
	}
	CU_ASSERT(vmm_device_running(x->vm));
}

static void run_to(struct vx *x, uint64_t received)
{
	while (x->received < received && eng_step(x->sim))
		;
}

/* Traffic moves from device 0 to device 1 and back; sequence numbers go on
 * without a gap or a duplicate, the devices together sent and received
 * every frame exactly once. */
static void run_restart(bool packed)
{
	const uint64_t n = 60000;
	uint64_t tx0;
	struct vx x;

	vx_init(&x);
	if (!packed)
		no_packed(&x);
	vx_create(&x);
	vx_add_second(&x, NULL);
	vx_boot(&x);
	vx_traffic(&x, n);
	run_to(&x, 20000);
	move_to(&x, 1);
	tx0 = dev_tx(x.d[0]);
	CU_ASSERT(tx0 >= 20000 && tx0 < 20000 + 256);
	run_to(&x, 40000);
	move_to(&x, 0);
	vx_run_traffic(&x, ENG_S(1));
	expect_all_back(&x, n);
	CU_ASSERT_EQUAL(dev_tx(x.d[0]) + dev_tx(x.d[1]), n);
	CU_ASSERT_EQUAL(dev_rx(x.d[0]) + dev_rx(x.d[1]), n);
	CU_ASSERT(dev_tx(x.d[1]) >= 19000);
	vx_teardown(&x);
}

static void test_restart_on_second_device_continues_split_rings(void)
{
	run_restart(false);
}

static void test_restart_on_second_device_continues_packed_rings(void)
{
	run_restart(true);
}

/* The control state reaches the new device through the shadow ring before
 * the guest's own commands. */
static void test_restart_replays_the_control_state(void)
{
	struct vx x;

	vx_init(&x);
	x.tcfg.max_vqp = 2;
	vx_create(&x);
	vx_add_second(&x, NULL);
	vx_boot(&x);
	set_control_state(&x);
	CU_ASSERT_EQUAL(vmm_stop_device(x.vm), 0);
	CU_ASSERT_EQUAL(vmm_attach(x.vm, "/dev/vhost-vdpa-1"), 0);
	x.cur = 1;
	vx_observe_device(&x, 1);
	CU_ASSERT_EQUAL(vmm_start_device(x.vm), 0);
	CU_ASSERT_FALSE(vmm_ctrl_replayed(x.vm));
	vx_run(&x, ENG_US(50));
	CU_ASSERT(vmm_ctrl_replayed(x.vm));
	/* MAC, MAC table, queue pairs, RX mode (vhost_vdpa_net_load's order) */
	CU_ASSERT(vmm_log_find(x.vm, "CVQ_REPLAY 1 1", 0) >= 0);
	CU_ASSERT(vmm_log_find(x.vm, "CVQ_REPLAY 1 0", 0) > vmm_log_find(x.vm, "CVQ_REPLAY 1 1", 0));
	CU_ASSERT(vmm_log_find(x.vm, "CVQ_REPLAY 4 0", 0) > vmm_log_find(x.vm, "CVQ_REPLAY 1 0", 0));
	CU_ASSERT(vmm_log_find(x.vm, "CVQ_REPLAY 0 0", 0) > vmm_log_find(x.vm, "CVQ_REPLAY 4 0", 0));
	CU_ASSERT(vmm_log_find(x.vm, "CVQ_REPLAY 0 1", 0) > vmm_log_find(x.vm, "CVQ_REPLAY 0 0", 0));
	CU_ASSERT_EQUAL(vmm_log_count(x.vm, "CVQ_REPLAY"), 5);
	expect_device_state(x.d[1], 2);
	memcpy(x.dst, new_mac, 6);
	vx_traffic(&x, 2000);
	vx_run_traffic(&x, ENG_MS(40));
	expect_all_back(&x, 2000);
	CU_ASSERT_EQUAL(dev_tx(x.d[1]), 2000);
	vx_teardown(&x);
}

/* VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK: data queues are enabled after
 * DRIVER_OK, once the replay was acked (QEMU's vhost_vdpa_net_cvq_load). */
static void test_enable_after_driver_ok_holds_data_queues_for_the_replay(void)
{
	struct vtd_config late;
	long ok, last, en0, en1, en2;
	struct vx x;

	vx_init(&x);
	vx_create(&x);
	late = x.tcfg;
	late.has_backend_features = true;
	late.backend_features = 1ULL << VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK;
	vx_add_second(&x, &late);
	vx_boot(&x);
	CU_ASSERT_EQUAL(vnet_set_rx_mode(x.n, true, false), 0);
	vx_traffic(&x, 10000);
	run_to(&x, 3000);
	vmm_log_clear(x.vm);
	CU_ASSERT_EQUAL(vmm_stop_device(x.vm), 0);
	CU_ASSERT_EQUAL(vmm_attach(x.vm, "/dev/vhost-vdpa-1"), 0);
	x.cur = 1;
	vx_observe_device(&x, 1);
	CU_ASSERT(vmm_backend_features(x.vm) & (1ULL << VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK));
	CU_ASSERT_EQUAL(vmm_start_device(x.vm), 0);
	vx_run(&x, ENG_US(50));
	ok = vmm_log_find(x.vm, "VHOST_VDPA_SET_STATUS 0x0f", 0);
	en2 = vmm_log_find(x.vm, "VHOST_VDPA_SET_VRING_ENABLE 2 1", 0);
	en0 = vmm_log_find(x.vm, "VHOST_VDPA_SET_VRING_ENABLE 0 1", 0);
	en1 = vmm_log_find(x.vm, "VHOST_VDPA_SET_VRING_ENABLE 1 1", 0);
	last = vmm_log_find(x.vm, "CVQ_REPLAY 0 1", 0);
	CU_ASSERT(en2 >= 0 && en2 < ok);
	CU_ASSERT(last > ok);
	CU_ASSERT(en0 > last && en1 > en0);
	vx_run_traffic(&x, ENG_S(1));
	expect_all_back(&x, 10000);
	CU_ASSERT_EQUAL(dev_tx(x.d[0]) + dev_tx(x.d[1]), 10000);
	vx_teardown(&x);
}

/* Without SUSPEND the device is reset and a split ring continues from the
 * used index in guest memory (QEMU's fallback); packed rings cannot. */
static void test_stop_without_suspend_continues_split_from_the_used_index(void)
{
	struct vx x;

	vx_init(&x);
	no_packed(&x);
	x.tcfg.has_suspend = false;
	vx_create(&x);
	vx_add_second(&x, NULL);
	vx_boot(&x);
	vx_traffic(&x, 20000);
	run_to(&x, 7000);
	vmm_log_clear(x.vm);
	CU_ASSERT_EQUAL(vmm_stop_device(x.vm), 0);
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, 0), "VHOST_VDPA_SET_STATUS 0x00");
	CU_ASSERT_EQUAL(vmm_log_count(x.vm, "VHOST_GET_VRING_BASE"), 0);
	CU_ASSERT_EQUAL(vmm_resume_device(x.vm), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(vmm_attach(x.vm, "/dev/vhost-vdpa-1"), 0);
	x.cur = 1;
	vx_observe_device(&x, 1);
	CU_ASSERT_EQUAL(vmm_start_device(x.vm), 0);
	vx_run_traffic(&x, ENG_S(1));
	expect_all_back(&x, 20000);
	CU_ASSERT_EQUAL(dev_tx(x.d[0]) + dev_tx(x.d[1]), 20000);
	vx_teardown(&x);
}

static void test_stop_without_suspend_refuses_packed_rings(void)
{
	struct vx x;

	vx_init(&x);
	x.tcfg.has_suspend = false;
	vx_start(&x);
	CU_ASSERT_EQUAL(vmm_stop_device(x.vm), -EOPNOTSUPP);
	vx_teardown(&x);
}

/* Stop, then resume on the same device: nothing lost either. */
static void test_stop_then_resume_on_the_same_device(void)
{
	struct vx x;

	vx_init(&x);
	vx_start(&x);
	vx_traffic(&x, 10000);
	run_to(&x, 4000);
	CU_ASSERT_EQUAL(vmm_stop_device(x.vm), 0);
	vx_run(&x, ENG_US(100));
	vmm_log_clear(x.vm);
	CU_ASSERT_EQUAL(vmm_resume_device(x.vm), 0);
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, 0), "VHOST_VDPA_RESUME");
	CU_ASSERT_FALSE(vtd_suspended(x.d[0]));
	vx_run_traffic(&x, ENG_S(1));
	expect_all_back(&x, 10000);
	vx_teardown(&x);
}

/* Stop, then start again on the same device: reset first, rings from the
 * saved bases, memory mapped again. */
static void run_restart_same_device(bool suspend)
{
	struct vx x;
	long z, u;

	vx_init(&x);
	no_packed(&x);
	x.tcfg.has_suspend = suspend;
	vx_start(&x);
	CU_ASSERT_EQUAL(vnet_set_rx_mode(x.n, true, false), 0);
	vx_traffic(&x, 10000);
	run_to(&x, 4000);
	CU_ASSERT_EQUAL(vmm_stop_device(x.vm), 0);
	vx_run(&x, ENG_US(100));
	vmm_log_clear(x.vm);
	CU_ASSERT_EQUAL(vmm_start_device(x.vm), 0);
	/* the start reset the device, which dropped its ring observers; its
	 * engines are only built when the events run */
	vx_observe_device(&x, 0);
	z = vmm_log_find(x.vm, "VHOST_VDPA_SET_STATUS 0x00", 0);
	u = vmm_log_find(x.vm, "IOTLB_UPDATE asid=0 iova=0x0 ", 0);
	CU_ASSERT_EQUAL(z, suspend ? 0 : -1); /* without SUSPEND the stop reset it */
	CU_ASSERT(u > z);
	vx_run_traffic(&x, ENG_S(1));
	/* queue pairs, promisc, allmulti */
	CU_ASSERT_EQUAL(vmm_log_count(x.vm, "CVQ_REPLAY"), 3);
	expect_all_back(&x, 10000);
	CU_ASSERT_EQUAL(dev_tx(x.d[0]), 10000);
	vx_teardown(&x);
}

static void test_stop_then_restart_on_the_same_device(void)
{
	run_restart_same_device(true);
}

static void test_stop_without_suspend_then_restart_on_the_same_device(void)
{
	run_restart_same_device(false);
}

/* A guest command at the device when it stops was not executed: its chain
 * is rolled back and the new device gets it. */
static void run_in_flight_at_stop(bool packed)
{
	struct vmm_dev_state st;
	struct vx x;

	vx_init(&x);
	if (!packed)
		no_packed(&x);
	vx_create(&x);
	vx_add_second(&x, NULL);
	vx_boot(&x);
	vmm_save_state(x.vm, &st);
	CU_ASSERT_EQUAL(vnet_set_mac(x.n, new_mac), 0);
	vx_run(&x, ENG_PS(1)); /* the VMM forwarded it; the device has not run */
	CU_ASSERT(vtd_trace_find(x.d[0], "kick_vq 2", 0) >= 0);
	CU_ASSERT_EQUAL(vmm_stop_device(x.vm), 0);
	/* the saved base has it rolled back (a VMM starting from the state
	 * fetches it again): one command answered, VQ_PAIRS_SET at probe,
	 * which took 3 descriptors on a packed ring */
	vmm_save_state(x.vm, &st);
	CU_ASSERT_EQUAL(st.vq[2].base, packed ? 0x80038003u : 1u);
	CU_ASSERT_EQUAL(vmm_attach(x.vm, "/dev/vhost-vdpa-1"), 0);
	x.cur = 1;
	vx_observe_device(&x, 1);
	CU_ASSERT_EQUAL(vmm_start_device(x.vm), 0);
	vx_run(&x, ENG_US(100));
	CU_ASSERT_EQUAL(vnet_ctrl_pending(x.n), 0);
	CU_ASSERT_EQUAL(x.ctrl_err, 0);
	CU_ASSERT_EQUAL(memcmp(vtd_config_space(x.d[1], NULL), new_mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(vtd_config_space(x.d[0], NULL), x.tcfg.mac, 6), 0);
	vmm_save_state(x.vm, &st);
	CU_ASSERT(st.ctrl.mac_set);
	CU_ASSERT_EQUAL(vx_obs_check(&x), 0);
	vx_teardown(&x);
}

static void test_control_command_in_flight_at_stop_goes_to_the_new_device_split(void)
{
	run_in_flight_at_stop(false);
}

static void test_control_command_in_flight_at_stop_goes_to_the_new_device_packed(void)
{
	run_in_flight_at_stop(true);
}

/* Starting from the saved state alone (as a migration destination will):
 * the rolled-back control queue base makes the VMM fetch the command the
 * old device never answered, and the new device gets it.  (Packed: on a
 * split ring the observer takes the second read of the avail entry for a
 * device reading ahead, as it cannot know the device was replaced.) */
static void test_restart_from_the_saved_state_fetches_the_command_again(void)
{
	struct vmm_dev_state st;
	struct vx x;

	vx_init(&x);
	vx_create(&x);
	vx_add_second(&x, NULL);
	vx_boot(&x);
	/* frames to the old MAC are in flight when it changes */
	CU_ASSERT_EQUAL(vnet_set_rx_mode(x.n, true, false), 0);
	vx_traffic(&x, 4000);
	run_to(&x, 1000);
	CU_ASSERT_EQUAL(vnet_set_mac(x.n, new_mac), 0);
	vx_run(&x, ENG_PS(1));
	CU_ASSERT_EQUAL(vmm_stop_device(x.vm), 0);
	vmm_save_state(x.vm, &st);
	CU_ASSERT_EQUAL(vmm_load_state(x.vm, &st), 0);
	CU_ASSERT_EQUAL(vmm_attach(x.vm, "/dev/vhost-vdpa-1"), 0);
	x.cur = 1;
	vx_observe_device(&x, 1);
	CU_ASSERT_EQUAL(vmm_start_device(x.vm), 0);
	vx_run(&x, ENG_US(100));
	CU_ASSERT_EQUAL(vnet_ctrl_pending(x.n), 0);
	CU_ASSERT_EQUAL(x.ctrl_err, 0);
	CU_ASSERT_EQUAL(memcmp(vtd_config_space(x.d[1], NULL), new_mac, 6), 0);
	vx_run_traffic(&x, ENG_S(1));
	expect_all_back(&x, 4000);
	vx_teardown(&x);
}

/* A command the VMM cannot forward (shorter than class + command) is
 * answered VIRTIO_NET_ERR by the VMM; the device never sees it. */
static void test_malformed_control_command_is_refused_by_the_vmm(void)
{
	struct virtio_device *vdev;
	struct virtqueue *cvq;
	struct vmm_stats st;
	size_t kicks;
	uint64_t buf;
	uint8_t b = VIRTIO_NET_CTRL_RX;
	struct vx x;

	vx_init(&x);
	vx_start(&x);
	vdev = vmm_virtio(x.vm);
	cvq = vnet_ctrl_vq(x.n);
	kicks = vtd_trace_count(x.d[0], "kick_vq 2");
	CU_ASSERT_EQUAL_FATAL(vio_dma_alloc(vdev->dma, 64, 16, &buf), 0);
	CU_ASSERT_EQUAL(vio_dma_write(vdev->dma, buf, &b, 1), 0);
	b = 0x55;
	CU_ASSERT_EQUAL(vio_dma_write(vdev->dma, buf + 32, &b, 1), 0);
	{
		struct vq_seg sg[2] = { { buf, 1, 0 }, { buf + 32, 1, VQ_SEG_F_WRITE } };

		CU_ASSERT_EQUAL(vio_vq_add_sgs(cvq, sg, 1, 1, (void *)(uintptr_t)0x1234), 0);
	}
	vio_vq_kick(cvq);
	vx_run(&x, ENG_US(10));
	CU_ASSERT_EQUAL(vio_dma_read(vdev->dma, buf + 32, &b, 1), 0);
	CU_ASSERT_EQUAL(b, VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d[0], "kick_vq 2"), kicks);
	vmm_stats(x.vm, &st);
	CU_ASSERT_EQUAL(st.cvq_err, 1);
	/* the guest's own commands still work */
	CU_ASSERT_EQUAL(vnet_set_mac(x.n, new_mac), 0);
	vx_run(&x, ENG_US(50));
	CU_ASSERT_EQUAL(x.ctrl_err, 0);
	CU_ASSERT_EQUAL(memcmp(vtd_config_space(x.d[0], NULL), new_mac, 6), 0);
	vio_dma_free(vdev->dma, buf, 64);
	vx_teardown(&x);
}

/* A malformed guest control ring breaks the VMM's engine, not the VMM:
 * the guest sees NEEDS_RESET, resets and recovers. */
static void test_malformed_guest_control_ring_is_a_device_failure(void)
{
	struct virtqueue *cvq;
	struct vmm_stats st;
	uint64_t avail;
	uint16_t idx;
	struct vx x;

	vx_init(&x);
	no_packed(&x);
	x.observe = false;
	vx_start(&x);
	cvq = vnet_ctrl_vq(x.n);
	avail = vio_vq_get_avail_addr(cvq);
	CU_ASSERT_EQUAL_FATAL(mem_guest_read_le16(vmm_guest_mem(x.vm), avail + 2, &idx), 0);
	CU_ASSERT_EQUAL(mem_guest_write_le16(vmm_guest_mem(x.vm),
					     avail + 4 + 2 * (idx % vio_vq_get_vring_size(cvq)), 0x7fff),
			0);
	CU_ASSERT_EQUAL(mem_guest_write_le16(vmm_guest_mem(x.vm), avail + 2, (uint16_t)(idx + 1)),
			0);
	vio_vq_notify(cvq);
	vx_run(&x, ENG_US(300));
	vmm_stats(x.vm, &st);
	CU_ASSERT_EQUAL(st.device_failures, 1);
	CU_ASSERT(vmm_log_find(x.vm, "device failure -5", 0) >= 0);
	CU_ASSERT_EQUAL(vmm_virtio(x.vm)->recoveries, 1);
	CU_ASSERT(vmm_device_running(x.vm));
	vx_traffic(&x, 1000);
	vx_run_traffic(&x, ENG_MS(40));
	CU_ASSERT_EQUAL(x.received, 1000);
	vx_teardown(&x);
}

/* The device meets a malformed ring (a head index out of range written
 * behind the driver's back): DEVICE_NEEDS_RESET and a config interrupt;
 * the VMM reads the status, the guest sees the bit, resets and recovers. */
static void test_device_needs_reset_reaches_the_guest_which_recovers(void)
{
	struct virtqueue *tx;
	struct vnet_stats ns;
	uint16_t idx;
	uint64_t avail;
	struct vx x;

	vx_init(&x);
	no_packed(&x);
	x.observe = false; /* the corruption is the point */
	vx_start(&x);
	tx = vnet_tx_vq(x.n, 0);
	avail = vio_vq_get_avail_addr(tx);
	CU_ASSERT_EQUAL_FATAL(mem_guest_read_le16(vmm_guest_mem(x.vm), avail + 2, &idx), 0);
	/* virtio 1.3 2.7.6: ring[idx % num] is the next head */
	CU_ASSERT_EQUAL(mem_guest_write_le16(vmm_guest_mem(x.vm),
					     avail + 4 + 2 * (idx % vio_vq_get_vring_size(tx)), 0xffff),
			0);
	CU_ASSERT_EQUAL(mem_guest_write_le16(vmm_guest_mem(x.vm), avail + 2, (uint16_t)(idx + 1)),
			0);
	vio_vq_notify(tx);
	vx_run(&x, ENG_US(300));
	/* (the reset cleared the violation; the trace keeps it) */
	CU_ASSERT(vtd_trace_find(x.d[0], "needs_reset 1 HEAD_OUT_OF_RANGE", 0) >= 0);
	CU_ASSERT(vmm_log_find(x.vm, "VHOST_VDPA_SET_STATUS 0x00", 0) >= 0);
	CU_ASSERT_EQUAL(vmm_virtio(x.vm)->needs_reset_seen, 1);
	CU_ASSERT_EQUAL(vmm_virtio(x.vm)->recoveries, 1);
	vnet_stats(x.n, &ns);
	CU_ASSERT_EQUAL(ns.resets, 1);
	CU_ASSERT(vmm_device_running(x.vm));
	CU_ASSERT_FALSE(vtd_needs_reset(x.d[0]));
	vx_traffic(&x, 2000);
	vx_run_traffic(&x, ENG_MS(40));
	CU_ASSERT_EQUAL(x.received, 2000);
	CU_ASSERT_EQUAL(x.rx_out_of_order, 0);
	vx_teardown(&x);
}

CU_MAIN("vmm_datapath", CU_TEST_ENTRY(test_split_1e5_frames_byte_exact_with_relayed_kicks),
	CU_TEST_ENTRY(test_packed_1e5_frames_byte_exact_with_relayed_kicks),
	CU_TEST_ENTRY(test_direct_kicks_write_the_doorbell_split),
	CU_TEST_ENTRY(test_direct_kicks_write_the_doorbell_packed),
	CU_TEST_ENTRY(test_direct_mode_without_doorbells_relays),
	CU_TEST_ENTRY(test_interrupt_injection_waits_the_configured_latency),
	CU_TEST_ENTRY(test_link_down_and_up_reach_the_guest_driver),
	CU_TEST_ENTRY(test_shadow_cvq_records_what_the_device_acked),
	CU_TEST_ENTRY(test_restart_on_second_device_continues_split_rings),
	CU_TEST_ENTRY(test_restart_on_second_device_continues_packed_rings),
	CU_TEST_ENTRY(test_restart_replays_the_control_state),
	CU_TEST_ENTRY(test_enable_after_driver_ok_holds_data_queues_for_the_replay),
	CU_TEST_ENTRY(test_stop_without_suspend_continues_split_from_the_used_index),
	CU_TEST_ENTRY(test_stop_without_suspend_refuses_packed_rings),
	CU_TEST_ENTRY(test_stop_then_resume_on_the_same_device),
	CU_TEST_ENTRY(test_stop_then_restart_on_the_same_device),
	CU_TEST_ENTRY(test_stop_without_suspend_then_restart_on_the_same_device),
	CU_TEST_ENTRY(test_control_command_in_flight_at_stop_goes_to_the_new_device_split),
	CU_TEST_ENTRY(test_control_command_in_flight_at_stop_goes_to_the_new_device_packed),
	CU_TEST_ENTRY(test_restart_from_the_saved_state_fetches_the_command_again),
	CU_TEST_ENTRY(test_malformed_control_command_is_refused_by_the_vmm),
	CU_TEST_ENTRY(test_malformed_guest_control_ring_is_a_device_failure),
	CU_TEST_ENTRY(test_device_needs_reset_reaches_the_guest_which_recovers));
