// SPDX-License-Identifier: MIT
/*
 * The VMM's control path: the vhost ioctl sequence of bring-up, IOTLB
 * messages for guest RAM, user-memory pinning, config access, the saved
 * state, and failures that must reach the guest as a broken device.
 */
#include "tests/unit/test_vmm_fixture.h"
#include "tests/unit/cu_main.h"

#define SHADOW_IOVA (1ULL << 40)

/* ---- helpers ------------------------------------------------------------------ */

static uint64_t vtd_dp_stats_needs_reset(const struct vtd *d)
{
	struct vtd_dp_stats st;

	vtd_dp_stats(d, &st);
	return st.needs_reset;
}

/* Guest config reads are the guest driver's business (one GET_CONFIG each,
 * pinned by test_guest_config_reads_become_get_config); the sequences below
 * leave them out after the backend's own full read. */
static bool guest_config_read(const char *line)
{
	return !strncmp(line, "VHOST_VDPA_GET_CONFIG ", 22) &&
	       strcmp(line, "VHOST_VDPA_GET_CONFIG 0 24");
}

static void expect_sequence(struct vx *x, const char *const *want, size_t n)
{
	size_t at = 0, i;

	for (i = 0; i < n; i++) {
		const char *got;

		while ((got = vmm_log_at(x->vm, at)) && guest_config_read(got))
			at++;
		if (!got || strcmp(got, want[i])) {
			fprintf(stderr, "  line %zu: want \"%s\", got \"%s\"\n", i, want[i],
				got ? got : "(end)");
			vx_dump_log(x);
			CU_FAIL("ioctl sequence differs");
			return;
		}
		at++;
	}
}

static void ring_lines(char (*buf)[96], unsigned int idx, struct virtqueue *vq, uint32_t base)
{
	snprintf(buf[0], 96, "VHOST_SET_VRING_NUM %u %u", idx, vio_vq_get_vring_size(vq));
	if (base > 0xffff)
		snprintf(buf[1], 96, "VHOST_SET_VRING_BASE %u 0x%x", idx, base);
	else
		snprintf(buf[1], 96, "VHOST_SET_VRING_BASE %u %u", idx, base);
	snprintf(buf[2], 96, "VHOST_SET_VRING_ADDR %u 0x%llx 0x%llx 0x%llx", idx,
		 (unsigned long long)vio_vq_get_desc_addr(vq),
		 (unsigned long long)vio_vq_get_avail_addr(vq),
		 (unsigned long long)vio_vq_get_used_addr(vq));
	snprintf(buf[3], 96, "VHOST_SET_VRING_KICK %u", idx);
	snprintf(buf[4], 96, "VHOST_SET_VRING_CALL %u", idx);
}

/* ---- bring-up sequence ------------------------------------------------------------ */

/*
 * The order follows QEMU (hw/virtio/vhost.c, hw/virtio/vhost-vdpa.c,
 * net/vhost-vdpa.c): vhost_dev_init (SET_OWNER, vhost_vdpa_set_backend_cap,
 * GET_FEATURES) and the net client probing the device; at the guest's
 * FEATURES_OK vhost_vdpa_set_features (SET_FEATURES, then the status); at
 * DRIVER_OK vhost_vdpa_net_cvq_start (control queue group -> ASID 1), then
 * vhost_dev_start: vhost_virtqueue_start per queue (SET_VRING_NUM,
 * SET_VRING_BASE, SET_VRING_ADDR, SET_VRING_KICK, SET_VRING_CALL), then
 * vhost_vdpa_dev_start (SET_VRING_ENABLE per queue, the memory listener's
 * batched IOTLB updates, DRIVER_OK) and vhost_start_config_intr
 * (SET_CONFIG_CALL).
 */
static void test_bringup_ioctl_sequence_follows_qemu_order(void)
{
	static char rings[2][5][96];
	struct vx x;

	vx_init(&x);
	vx_start(&x);
	ring_lines(rings[0], 0, vnet_rx_vq(x.n, 0), 0x80008000);
	ring_lines(rings[1], 1, vnet_tx_vq(x.n, 0), 0x80008000);
	{
		const char *const want[] = {
			"open /dev/vhost-vdpa-0",
			"VHOST_SET_OWNER",
			"VHOST_GET_BACKEND_FEATURES",
			/* MSG_V2 | BATCH | IOTLB_ASID | SUSPEND | RESUME */
			"VHOST_SET_BACKEND_FEATURES 0x3e",
			"VHOST_GET_FEATURES",
			"VHOST_VDPA_GET_DEVICE_ID",
			"VHOST_VDPA_GET_VQS_COUNT",
			"VHOST_VDPA_GET_CONFIG_SIZE",
			"VHOST_VDPA_GET_VRING_NUM",
			"VHOST_VDPA_GET_IOVA_RANGE",
			"VHOST_VDPA_GET_CONFIG 0 24",
			/* the guest: ACKNOWLEDGE, DRIVER, then FEATURES_OK */
			"VHOST_VDPA_SET_STATUS 0x01",
			"VHOST_VDPA_SET_STATUS 0x03",
			/* packed, EVENT_IDX, the net bits, ACCESS_PLATFORM forced */
			"VHOST_SET_FEATURES 0x720c78028",
			"VHOST_VDPA_SET_STATUS 0x0b",
			"VHOST_VDPA_GET_STATUS",
			/* DRIVER_OK: the control queue isolated in ASID 1 */
			"VHOST_VDPA_GET_AS_NUM",
			"VHOST_VDPA_GET_VRING_GROUP 2",
			"VHOST_VDPA_GET_VRING_GROUP 0",
			"VHOST_VDPA_GET_VRING_GROUP 1",
			"VHOST_VDPA_SET_GROUP_ASID 1 1",
			rings[0][0], rings[0][1], rings[0][2], rings[0][3], rings[0][4],
			rings[1][0], rings[1][1], rings[1][2], rings[1][3], rings[1][4],
			/* the shadow control queue's own ring, in VMM memory */
			"VHOST_SET_VRING_NUM 2 16",
			"VHOST_SET_VRING_BASE 2 0x80008000",
			"VHOST_SET_VRING_ADDR 2 0x10000000000 0x10000000100 0x10000000104",
			"VHOST_SET_VRING_KICK 2",
			"VHOST_SET_VRING_CALL 2",
			"VHOST_VDPA_SET_VRING_ENABLE 0 1",
			"VHOST_VDPA_SET_VRING_ENABLE 1 1",
			"VHOST_VDPA_SET_VRING_ENABLE 2 1",
			"IOTLB_BATCH_BEGIN asid=0",
			"IOTLB_UPDATE asid=0 iova=0x0 size=0x400000 uaddr=0x7f0000000000 perm=3",
			"IOTLB_UPDATE asid=0 iova=0x10000000 size=0x400000 uaddr=0x7f0000600000 perm=3",
			"IOTLB_BATCH_END asid=0",
			"IOTLB_UPDATE asid=1 iova=0x10000000000 size=0x10000 uaddr=0x7e0000000000 perm=3",
			"VHOST_VDPA_SET_STATUS 0x0f",
			"VHOST_VDPA_GET_STATUS",
			"VHOST_VDPA_SET_CONFIG_CALL",
			/* the config interrupt QEMU raises once at start */
			"VHOST_VDPA_GET_STATUS",
		};

		expect_sequence(&x, want, sizeof(want) / sizeof(want[0]));
	}
	CU_ASSERT_EQUAL(vtd_status(x.d[0]), 0x0f);
	CU_ASSERT_EQUAL(vtd_group_asid(x.d[0], 1), 1);
	vx_teardown(&x);
}

/* Split rings, no control queue, no SUSPEND in the backend: no ASID work,
 * bases 0, backend features without SUSPEND. */
static void test_bringup_sequence_without_control_queue(void)
{
	static char rings[2][5][96];
	struct vx x;

	vx_init(&x);
	x.tcfg.device_features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) |
				 (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS);
	x.tcfg.has_suspend = false;
	vx_start(&x);
	ring_lines(rings[0], 0, vnet_rx_vq(x.n, 0), 0);
	ring_lines(rings[1], 1, vnet_tx_vq(x.n, 0), 0);
	{
		const char *const want[] = {
			"open /dev/vhost-vdpa-0",
			"VHOST_SET_OWNER",
			"VHOST_GET_BACKEND_FEATURES",
			"VHOST_SET_BACKEND_FEATURES 0x2e",
			"VHOST_GET_FEATURES",
			"VHOST_VDPA_GET_DEVICE_ID",
			"VHOST_VDPA_GET_VQS_COUNT",
			"VHOST_VDPA_GET_CONFIG_SIZE",
			"VHOST_VDPA_GET_VRING_NUM",
			"VHOST_VDPA_GET_IOVA_RANGE",
			"VHOST_VDPA_GET_CONFIG 0 24",
			"VHOST_VDPA_SET_STATUS 0x01",
			"VHOST_VDPA_SET_STATUS 0x03",
			"VHOST_SET_FEATURES 0x300010020",
			"VHOST_VDPA_SET_STATUS 0x0b",
			"VHOST_VDPA_GET_STATUS",
			rings[0][0], rings[0][1], rings[0][2], rings[0][3], rings[0][4],
			rings[1][0], rings[1][1], rings[1][2], rings[1][3], rings[1][4],
			"VHOST_VDPA_SET_VRING_ENABLE 0 1",
			"VHOST_VDPA_SET_VRING_ENABLE 1 1",
			"IOTLB_BATCH_BEGIN asid=0",
			"IOTLB_UPDATE asid=0 iova=0x0 size=0x400000 uaddr=0x7f0000000000 perm=3",
			"IOTLB_UPDATE asid=0 iova=0x10000000 size=0x400000 uaddr=0x7f0000600000 perm=3",
			"IOTLB_BATCH_END asid=0",
			"VHOST_VDPA_SET_STATUS 0x0f",
			"VHOST_VDPA_GET_STATUS",
			"VHOST_VDPA_SET_CONFIG_CALL",
		};

		expect_sequence(&x, want, sizeof(want) / sizeof(want[0]));
	}
	CU_ASSERT_FALSE(vmm_vq_shadowed(x.vm, 2));
	vx_teardown(&x);
}

/* Without IOTLB_ASID (masked by the VMM) the shadow ring shares ASID 0,
 * mapped at its own IOVA outside guest RAM. */
static void test_shadow_cvq_shares_asid_0_without_iotlb_asid(void)
{
	struct vx x;

	vx_init(&x);
	x.mcfg.backend_features &= ~(1ULL << VHOST_BACKEND_F_IOTLB_ASID);
	vx_start(&x);
	CU_ASSERT_EQUAL(vmm_log_count(x.vm, "VHOST_VDPA_SET_GROUP_ASID"), 0);
	CU_ASSERT(vmm_log_find(x.vm, "IOTLB_UPDATE asid=0 iova=0x10000000000 size=0x10000", 0) >= 0);
	CU_ASSERT_EQUAL(vtd_group_asid(x.d[0], 1), 0);
	CU_ASSERT(vmm_vq_shadowed(x.vm, 2));
	/* the probe's VQ_PAIRS_SET went through the shadow ring */
	CU_ASSERT_EQUAL(x.ctrl_err, 0);
	CU_ASSERT(x.ctrl_done >= 1);
	vx_teardown(&x);
}

/* ---- IOTLB ---------------------------------------------------------------------------- */

static void three_regions(struct vx *x)
{
	vx_create(x);
	CU_ASSERT_EQUAL_FATAL(vmm_add_ram(x->vm, 0x80000000ULL, 2ULL << 20, 0x50000000ULL), 0);
}

/* Each region: one UPDATE with iova = GPA, uaddr = the region's user
 * address; vhost pins it to the region's host memory. */
static void test_iotlb_batch_wraps_one_update_per_region(void)
{
	const struct vdpa_iotlb *tlb;
	struct vx x;
	long b;

	vx_init(&x);
	three_regions(&x);
	vx_boot(&x);
	b = vmm_log_find(x.vm, "IOTLB_BATCH_BEGIN asid=0", 0);
	CU_ASSERT_FATAL(b >= 0);
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, (size_t)b + 1),
			       "IOTLB_UPDATE asid=0 iova=0x0 size=0x400000 uaddr=0x7f0000000000 perm=3");
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, (size_t)b + 2),
			       "IOTLB_UPDATE asid=0 iova=0x10000000 size=0x400000 uaddr=0x7f0000600000 perm=3");
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, (size_t)b + 3),
			       "IOTLB_UPDATE asid=0 iova=0x80000000 size=0x200000 uaddr=0x7f0000c00000 perm=3");
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, (size_t)b + 4), "IOTLB_BATCH_END asid=0");
	CU_ASSERT_EQUAL(vmm_log_count(x.vm, "IOTLB_UPDATE asid=0"), 3);
	/* vhost's table and the parent's: GPA -> host physical */
	tlb = vhv_iotlb(vmm_vhost(x.vm), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tlb);
	CU_ASSERT_EQUAL(tlb->nmaps, 3);
	CU_ASSERT_EQUAL(tlb->maps[0].start, VX_RAM0_GPA);
	CU_ASSERT_EQUAL(tlb->maps[0].addr, VX_RAM0_HPA);
	CU_ASSERT_EQUAL(tlb->maps[1].start, VX_RAM1_GPA);
	CU_ASSERT_EQUAL(tlb->maps[1].addr, VX_RAM1_HPA);
	CU_ASSERT_EQUAL(tlb->maps[2].start, 0x80000000ULL);
	CU_ASSERT_EQUAL(tlb->maps[2].addr, 0x50000000ULL);
	CU_ASSERT_EQUAL(tlb->maps[2].perm, VHOST_ACCESS_RW);
	tlb = vtd_iotlb(x.d[0], 0);
	CU_ASSERT_EQUAL(tlb->nmaps, 3);
	/* one set_map for the whole batch (plus one for the shadow in ASID 1) */
	CU_ASSERT_EQUAL(vtd_trace_count(x.d[0], "set_map 0"), 1);
	CU_ASSERT_EQUAL(vtd_trace_count(x.d[0], "set_map 1"), 1);
	vx_teardown(&x);
}

static void test_iotlb_without_batching_sends_bare_updates(void)
{
	struct vx x;

	vx_init(&x);
	x.mcfg.backend_features &= ~(1ULL << VHOST_BACKEND_F_IOTLB_BATCH);
	three_regions(&x);
	vx_boot(&x);
	CU_ASSERT_EQUAL(vmm_log_count(x.vm, "IOTLB_BATCH"), 0);
	CU_ASSERT_EQUAL(vmm_log_count(x.vm, "IOTLB_UPDATE asid=0"), 3);
	CU_ASSERT_EQUAL(vmm_log_find(x.vm, "VHOST_SET_BACKEND_FEATURES 0x3a", 0), 3);
	/* the parent got the table after every update */
	CU_ASSERT_EQUAL(vtd_trace_count(x.d[0], "set_map 0"), 3);
	CU_ASSERT_EQUAL(vtd_iotlb(x.d[0], 0)->nmaps, 3);
	vx_teardown(&x);
}

/* The listener follows RAM added and removed while the device runs. */
static void test_ram_hotplug_while_running_maps_and_unmaps(void)
{
	const struct vdpa_iotlb *tlb;
	struct vx x;
	long b;

	vx_init(&x);
	vx_start(&x);
	vmm_log_clear(x.vm);
	CU_ASSERT_EQUAL(vmm_add_ram(x.vm, 0x40000000ULL, 1ULL << 20, 0x60000000ULL), 0);
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, 0), "IOTLB_BATCH_BEGIN asid=0");
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, 1),
			       "IOTLB_UPDATE asid=0 iova=0x40000000 size=0x100000 uaddr=0x7f0000c00000 perm=3");
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, 2), "IOTLB_BATCH_END asid=0");
	tlb = vhv_iotlb(vmm_vhost(x.vm), 0);
	CU_ASSERT_EQUAL(tlb->nmaps, 3);
	CU_ASSERT_EQUAL(vmm_remove_ram(x.vm, 0x40000000ULL), 0);
	b = vmm_log_find(x.vm, "IOTLB_INVALIDATE", 0);
	CU_ASSERT_FATAL(b == 4);
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, 4), "IOTLB_INVALIDATE asid=0 iova=0x40000000 size=0x100000");
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, 5), "IOTLB_BATCH_END asid=0");
	CU_ASSERT_EQUAL(vhv_iotlb(vmm_vhost(x.vm), 0)->nmaps, 2);
	CU_ASSERT_EQUAL(vtd_iotlb(x.d[0], 0)->nmaps, 2);
	/* RAM the guest's DMA uses cannot go */
	CU_ASSERT_EQUAL(vmm_remove_ram(x.vm, VX_RAM0_GPA), -EBUSY);
	CU_ASSERT_EQUAL(vmm_remove_ram(x.vm, 0x12345000ULL), -ENOENT);
	vx_teardown(&x);
}

/* A guest reset stops the device first, then the listener unmaps (QEMU's
 * vhost_vdpa_reset_status); the restart maps again. */
static void test_guest_reset_unmaps_then_maps_again(void)
{
	struct vx x;
	long r, inv, upd;

	vx_init(&x);
	vx_start(&x);
	vmm_log_clear(x.vm);
	CU_ASSERT_EQUAL(vnet_reset(x.n), 0);
	vx_run(&x, ENG_US(50));
	r = vmm_log_find(x.vm, "VHOST_VDPA_SET_STATUS 0x00", 0);
	inv = vmm_log_find(x.vm, "IOTLB_INVALIDATE asid=0 iova=0x0 size=0x400000", 0);
	upd = vmm_log_find(x.vm, "IOTLB_UPDATE asid=0 iova=0x0", 0);
	CU_ASSERT(r >= 0 && inv > r && upd > inv);
	CU_ASSERT(vmm_log_find(x.vm, "IOTLB_INVALIDATE asid=0 iova=0x10000000 size=0x400000", 0) > r);
	CU_ASSERT(vmm_log_find(x.vm, "IOTLB_INVALIDATE asid=1 iova=0x10000000000", 0) > r);
	CU_ASSERT(vmm_device_running(x.vm));
	CU_ASSERT_EQUAL(vhv_iotlb(vmm_vhost(x.vm), 0)->nmaps, 2);
	vx_traffic(&x, 500);
	vx_run_traffic(&x, ENG_MS(20));
	CU_ASSERT_EQUAL(x.received, 500);
	vx_teardown(&x);
}

/* vhost_vdpa_listener_skipped_section: RAM beyond the device's IOVA range is
 * not sent (the device could not address it).  The guest's rings placed
 * there then fault in the device: NEEDS_RESET, never a crash. */
static void test_ram_beyond_iova_range_is_skipped(void)
{
	struct vmm_stats st;
	struct vx x;
	long b;

	vx_init(&x);
	x.tcfg.iova_range.last = 0x7fffffffULL;
	x.mcfg.shadow_iova = 0x70000000ULL;
	vx_create(&x);
	CU_ASSERT_EQUAL_FATAL(vmm_add_ram(x.vm, 0x80000000ULL, 2ULL << 20, 0x50000000ULL), 0);
	CU_ASSERT_EQUAL_FATAL(vmm_attach(x.vm, "/dev/vhost-vdpa-0"), 0);
	CU_ASSERT_EQUAL_FATAL(vmm_plug(x.vm), 0);
	vx_run(&x, ENG_MS(2));
	b = vmm_log_find(x.vm, "IOTLB_BATCH_BEGIN asid=0", 0);
	CU_ASSERT_FATAL(b >= 0);
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, (size_t)b + 1),
			       "IOTLB_UPDATE asid=0 iova=0x0 size=0x400000 uaddr=0x7f0000000000 perm=3");
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, (size_t)b + 2),
			       "IOTLB_UPDATE asid=0 iova=0x10000000 size=0x400000 uaddr=0x7f0000600000 perm=3");
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, (size_t)b + 3), "skip gpa=0x80000000 size=0x200000");
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, (size_t)b + 4), "IOTLB_BATCH_END asid=0");
	vmm_stats(x.vm, &st);
	CU_ASSERT(st.iotlb_skipped >= 1);
	/* the guest's TX ring sits in the skipped region */
	CU_ASSERT(vtd_dp_stats_needs_reset(x.d[0]) >= 1);
	vx_teardown(&x);
}

/* vhost pins the VMM's user addresses: every region and the shadow area. */
static void test_user_addresses_pin_to_host_memory(void)
{
	struct vmm_stats st;
	struct vx x;

	vx_init(&x);
	vx_start(&x);
	CU_ASSERT_EQUAL(vmm_gpa_to_hva(x.vm, VX_RAM1_GPA + 0x1234), 0x7f0000600000ULL + 0x1234);
	CU_ASSERT_EQUAL(vmm_gpa_to_hva(x.vm, 0x8000000ULL), 0);
	vmm_stats(x.vm, &st);
	CU_ASSERT_EQUAL(st.pinned_bytes, 2 * VX_RAM_SIZE + VX_SHADOW_SIZE);
	CU_ASSERT_EQUAL(vtd_iotlb(x.d[0], 1)->nmaps, 1);
	CU_ASSERT_EQUAL(vtd_iotlb(x.d[0], 1)->maps[0].addr, VX_SHADOW_HPA);
	vx_teardown(&x);
}

/* ---- config ---------------------------------------------------------------------------- */

static void test_guest_config_reads_become_get_config(void)
{
	struct virtio_device *vdev;
	uint8_t mac[6];
	struct vx x;

	vx_init(&x);
	vx_start(&x);
	vdev = vmm_virtio(x.vm);
	vmm_log_clear(x.vm);
	CU_ASSERT_EQUAL(vio_cread16(vdev, 10), 1500);
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, 0), "VHOST_VDPA_GET_CONFIG 10 2");
	/* a failed read gives the last config seen */
	vmm_inject_ioctl_fault(x.vm, VHOST_VDPA_GET_CONFIG, -EIO, 1);
	CU_ASSERT_EQUAL(vio_cread_bytes(vdev, 0, mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(mac, x.tcfg.mac, 6), 0);
	CU_ASSERT_STRING_EQUAL(vmm_log_at(x.vm, 1), "VHOST_VDPA_GET_CONFIG 0 6 = -5");
	vx_teardown(&x);
}

/* ---- state ------------------------------------------------------------------------------- */

static void test_saved_state_has_rings_features_and_control_state(void)
{
	struct vmm_dev_state st;
	struct vx x;

	vx_init(&x);
	vx_start(&x);
	vmm_save_state(x.vm, &st);
	CU_ASSERT_EQUAL(st.status, 0x0f);
	CU_ASSERT_EQUAL(st.nvqs, 3);
	CU_ASSERT((st.driver_features & (1ULL << VIRTIO_F_RING_PACKED)) != 0);
	CU_ASSERT((st.driver_features & (1ULL << VIRTIO_F_ACCESS_PLATFORM)) == 0);
	CU_ASSERT(st.vq[0].ready && st.vq[1].ready && st.vq[2].ready);
	CU_ASSERT_EQUAL(st.vq[1].desc, vio_vq_get_desc_addr(vnet_tx_vq(x.n, 0)));
	CU_ASSERT_EQUAL(st.vq[2].desc, vio_vq_get_desc_addr(vnet_ctrl_vq(x.n)));
	CU_ASSERT_EQUAL(st.ctrl.queue_pairs, 1);
	CU_ASSERT_EQUAL(memcmp(st.config, x.tcfg.mac, 6), 0);
	/* no loading under a running device */
	CU_ASSERT_EQUAL(vmm_load_state(x.vm, &st), -EBUSY);
	CU_ASSERT_EQUAL(vmm_stop_device(x.vm), 0);
	st.nvqs = VMM_MAX_VQS + 1;
	CU_ASSERT_EQUAL(vmm_load_state(x.vm, &st), -EINVAL);
	vmm_save_state(x.vm, &st);
	CU_ASSERT_EQUAL(vmm_load_state(x.vm, &st), 0);
	vx_teardown(&x);
}

/* ---- errors: the guest sees a failed device, nothing crashes ------------------------------- */

static bool guest_failed(struct vx *x)
{
	return vio_get_status(vmm_virtio(x->vm)) & VIRTIO_CONFIG_S_FAILED;
}

/* The parent refuses the features: SET_FEATURES -EINVAL, FEATURES_OK stays
 * clear, the guest's probe fails. */
static void test_refused_set_features_fails_the_guest_probe(void)
{
	struct vx x;

	vx_init(&x);
	vx_create(&x);
	vtd_faults(x.d[0])->set_driver_features = EINVAL;
	CU_ASSERT_EQUAL_FATAL(vmm_attach(x.vm, "/dev/vhost-vdpa-0"), 0);
	CU_ASSERT_EQUAL_FATAL(vmm_plug(x.vm), 0);
	vx_run(&x, ENG_US(50));
	CU_ASSERT(vmm_log_find(x.vm, "VHOST_SET_FEATURES 0x720c78028 = -22", 0) >= 0);
	CU_ASSERT_PTR_NULL(vnet_find(x.sim, vmm_name(x.vm)));
	CU_ASSERT(vmm_virtio(x.vm)->probe_err < 0);
	CU_ASSERT(guest_failed(&x));
	CU_ASSERT_FALSE(vmm_device_running(x.vm));
	vx_teardown(&x);
}

/* virtio 1.3 3.1.1 step 6: the device did not keep FEATURES_OK. */
static void test_device_dropping_features_ok_fails_the_guest_probe(void)
{
	struct vx x;

	vx_init(&x);
	x.tcfg.refuse_features_ok = true;
	vx_create(&x);
	CU_ASSERT_EQUAL_FATAL(vmm_attach(x.vm, "/dev/vhost-vdpa-0"), 0);
	CU_ASSERT_EQUAL_FATAL(vmm_plug(x.vm), 0);
	vx_run(&x, ENG_US(50));
	CU_ASSERT_PTR_NULL(vnet_find(x.sim, vmm_name(x.vm)));
	CU_ASSERT_EQUAL(vmm_virtio(x.vm)->probe_err, -ENODEV);
	CU_ASSERT_EQUAL(vmm_log_count(x.vm, "VHOST_SET_VRING_NUM"), 0);
	vx_teardown(&x);
}

/* SET_VRING_ADDR fails at every start: NEEDS_RESET with a config
 * interrupt, the guest's core resets and retries, then gives up (FAILED). */
static void test_persistent_vring_failure_ends_in_a_failed_guest_device(void)
{
	struct vmm_stats st;
	struct vx x;
	uint8_t frame[64] = { 0 };

	vx_init(&x);
	vx_create(&x);
	vtd_faults(x.d[0])->set_vq_address = EIO;
	CU_ASSERT_EQUAL_FATAL(vmm_attach(x.vm, "/dev/vhost-vdpa-0"), 0);
	CU_ASSERT_EQUAL_FATAL(vmm_plug(x.vm), 0);
	x.n = vnet_find(x.sim, vmm_name(x.vm));
	CU_ASSERT_PTR_NOT_NULL_FATAL(x.n);
	vx_run(&x, ENG_MS(5));
	vmm_stats(x.vm, &st);
	CU_ASSERT(st.start_failures >= 2);
	CU_ASSERT_EQUAL(st.starts, 0);
	CU_ASSERT(st.device_failures >= 2);
	CU_ASSERT(vmm_log_find(x.vm, "VHOST_SET_VRING_ADDR 0", 0) >= 0);
	CU_ASSERT(vmm_log_count(x.vm, "VHOST_VDPA_SET_STATUS 0x00") >= 2);
	CU_ASSERT(vmm_virtio(x.vm)->recover_given_up);
	CU_ASSERT(guest_failed(&x));
	memcpy(frame, x.dst, 6);
	CU_ASSERT(vnet_send(x.n, 0, frame, sizeof(frame)) < 0);
	CU_ASSERT_FALSE(vmm_device_running(x.vm));
	vx_teardown(&x);
}

/* A kernel failure of one ioctl at start: the guest sees NEEDS_RESET,
 * resets, and the second start works. */
static void test_transient_ioctl_failure_is_recovered_by_the_guest(void)
{
	struct vmm_stats st;
	struct vx x;

	vx_init(&x);
	vx_create(&x);
	CU_ASSERT_EQUAL_FATAL(vmm_attach(x.vm, "/dev/vhost-vdpa-0"), 0);
	vmm_inject_ioctl_fault(x.vm, VHOST_SET_VRING_KICK, -EBADF, 1);
	CU_ASSERT_EQUAL_FATAL(vmm_plug(x.vm), 0);
	x.n = vnet_find(x.sim, vmm_name(x.vm));
	CU_ASSERT_PTR_NOT_NULL_FATAL(x.n);
	vnet_set_ops(x.n, &vx_ops, &x);
	vx_run(&x, ENG_US(200));
	CU_ASSERT(vmm_log_find(x.vm, "VHOST_SET_VRING_KICK 0 = -9", 0) >= 0);
	vmm_stats(x.vm, &st);
	CU_ASSERT_EQUAL(st.start_failures, 1);
	CU_ASSERT_EQUAL(st.starts, 1);
	CU_ASSERT_EQUAL(vmm_virtio(x.vm)->recoveries, 1);
	CU_ASSERT(vmm_device_running(x.vm));
	vx_traffic(&x, 1000);
	vx_run_traffic(&x, ENG_MS(20));
	CU_ASSERT_EQUAL(x.received, 1000);
	CU_ASSERT_EQUAL(x.rx_out_of_order, 0);
	vx_teardown(&x);
}

/* An IOTLB update the parent refuses: write() -EFAULT, the start fails. */
static void test_iotlb_update_failure_fails_the_start(void)
{
	struct vmm_stats st;
	struct vx x;

	vx_init(&x);
	/* batched, the parent's set_map result is not seen (BATCH_END ignores
	 * it, as the kernel): one update at a time shows it */
	x.mcfg.backend_features &= ~(1ULL << VHOST_BACKEND_F_IOTLB_BATCH);
	vx_create(&x);
	vtd_faults(x.d[0])->set_map = ENOMEM;
	CU_ASSERT_EQUAL_FATAL(vmm_attach(x.vm, "/dev/vhost-vdpa-0"), 0);
	CU_ASSERT_EQUAL_FATAL(vmm_plug(x.vm), 0);
	vx_run(&x, ENG_MS(5));
	CU_ASSERT(vmm_log_find(x.vm, "IOTLB_UPDATE asid=0 iova=0x0 size=0x400000 uaddr=0x7f0000000000 perm=3 = -14", 0) >= 0);
	vmm_stats(x.vm, &st);
	CU_ASSERT(st.start_failures >= 1);
	CU_ASSERT_EQUAL(st.starts, 0);
	CU_ASSERT(guest_failed(&x));
	vx_teardown(&x);
}

static void test_attach_and_plug_errors(void)
{
	struct vmm_config cfg;
	struct vmm *vm = NULL;
	struct sim *sim;
	struct vx x;

	/* no vhost_vdpa on the host */
	sim = eng_sim_new(1, 0);
	vmm_default_config(&cfg);
	cfg.host = mem_new(1ULL << 20);
	CU_ASSERT_EQUAL(vmm_create(sim, &cfg, &vm), -ENODEV);
	mem_free(cfg.host);
	cfg.host = NULL;
	CU_ASSERT_EQUAL(vmm_create(sim, &cfg, &vm), -EINVAL);
	eng_sim_free(sim);

	vx_init(&x);
	vx_create(&x);
	CU_ASSERT_EQUAL(vmm_plug(x.vm), -ENODEV);
	CU_ASSERT_EQUAL(vmm_attach(x.vm, "/dev/vhost-vdpa-7"), -ENODEV);
	CU_ASSERT_PTR_NULL(vmm_vhost(x.vm));
	CU_ASSERT_EQUAL(vmm_add_ram(x.vm, 0x123, 4096, 0), -EINVAL);
	CU_ASSERT_EQUAL(vmm_add_ram(x.vm, VX_RAM0_GPA, 4096, 0x70000000ULL), -EEXIST);
	CU_ASSERT_EQUAL(vmm_add_ram(x.vm, 0x90000000ULL, 4096, VX_SHADOW_HPA), -EEXIST);
	/* a SET_OWNER failure leaves the VMM without a backend */
	vmm_inject_ioctl_fault(x.vm, VHOST_SET_OWNER, -EBUSY, 1);
	CU_ASSERT_EQUAL(vmm_attach(x.vm, "/dev/vhost-vdpa-0"), -EBUSY);
	CU_ASSERT_PTR_NULL(vmm_vhost(x.vm));
	/* the handle was closed: it can be opened again */
	CU_ASSERT_EQUAL(vmm_attach(x.vm, "/dev/vhost-vdpa-0"), 0);
	CU_ASSERT_EQUAL(vmm_plug(x.vm), 0);
	CU_ASSERT_EQUAL(vmm_plug(x.vm), -EBUSY);
	CU_ASSERT_EQUAL(vmm_start_device(x.vm), -EINVAL); /* running already */
	CU_ASSERT_EQUAL(vmm_attach(x.vm, "/dev/vhost-vdpa-0"), -EBUSY);
	vx_teardown(&x);
}

/* `vdpa dev del` under a running guest: every ioctl answers -ENODEV; the
 * guest's reset and restart end in a failed device, without a crash. */
static void test_device_removed_under_the_guest_fails_cleanly(void)
{
	struct vx x;

	vx_init(&x);
	vx_start(&x);
	vx_traffic(&x, 1000);
	vx_run(&x, ENG_US(30));
	vtd_destroy(x.d[0]);
	x.d[0] = NULL;
	vx_run(&x, ENG_US(100));
	CU_ASSERT_EQUAL(vnet_reset(x.n), -ENODEV);
	vx_run(&x, ENG_MS(5));
	CU_ASSERT(vmm_log_find(x.vm, "VHOST_VDPA_SET_STATUS 0x00 = -19", 0) >= 0);
	CU_ASSERT(guest_failed(&x));
	CU_ASSERT_FALSE(vmm_device_running(x.vm));
	vx_teardown(&x);
}

/* SUSPEND refused: the stop fails and the device keeps running. */
static void test_suspend_failure_leaves_the_device_running(void)
{
	struct vx x;

	vx_init(&x);
	vx_start(&x);
	vtd_faults(x.d[0])->suspend = EIO;
	CU_ASSERT_EQUAL(vmm_stop_device(x.vm), -EIO);
	CU_ASSERT(vmm_device_running(x.vm));
	CU_ASSERT_EQUAL(vmm_log_count(x.vm, "VHOST_GET_VRING_BASE"), 0);
	vx_traffic(&x, 500);
	vx_run_traffic(&x, ENG_MS(20));
	CU_ASSERT_EQUAL(x.received, 500);
	CU_ASSERT_EQUAL(vmm_stop_device(x.vm), -EIO);
	vtd_faults(x.d[0])->suspend = 0;
	CU_ASSERT_EQUAL(vmm_stop_device(x.vm), 0);
	CU_ASSERT_EQUAL(vmm_stop_device(x.vm), -EINVAL);
	vx_teardown(&x);
}

/* A restart on a device that cannot back the guest's features is refused. */
static void test_restart_on_a_less_capable_device_is_refused(void)
{
	struct vtd_config small;
	struct vx x;

	vx_init(&x);
	vx_create(&x);
	small = x.tcfg;
	small.device_features &= ~(1ULL << VIRTIO_F_RING_PACKED);
	vx_add_second(&x, &small);
	vx_boot(&x);
	CU_ASSERT_EQUAL(vmm_stop_device(x.vm), 0);
	CU_ASSERT_EQUAL(vmm_attach(x.vm, "/dev/vhost-vdpa-1"), 0);
	CU_ASSERT_EQUAL(vmm_start_device(x.vm), -EOPNOTSUPP);
	CU_ASSERT_FALSE(vmm_device_running(x.vm));
	vx_teardown(&x);
}

CU_MAIN("vmm", CU_TEST_ENTRY(test_bringup_ioctl_sequence_follows_qemu_order),
	CU_TEST_ENTRY(test_bringup_sequence_without_control_queue),
	CU_TEST_ENTRY(test_shadow_cvq_shares_asid_0_without_iotlb_asid),
	CU_TEST_ENTRY(test_iotlb_batch_wraps_one_update_per_region),
	CU_TEST_ENTRY(test_iotlb_without_batching_sends_bare_updates),
	CU_TEST_ENTRY(test_ram_hotplug_while_running_maps_and_unmaps),
	CU_TEST_ENTRY(test_guest_reset_unmaps_then_maps_again),
	CU_TEST_ENTRY(test_ram_beyond_iova_range_is_skipped),
	CU_TEST_ENTRY(test_user_addresses_pin_to_host_memory),
	CU_TEST_ENTRY(test_guest_config_reads_become_get_config),
	CU_TEST_ENTRY(test_saved_state_has_rings_features_and_control_state),
	CU_TEST_ENTRY(test_refused_set_features_fails_the_guest_probe),
	CU_TEST_ENTRY(test_device_dropping_features_ok_fails_the_guest_probe),
	CU_TEST_ENTRY(test_persistent_vring_failure_ends_in_a_failed_guest_device),
	CU_TEST_ENTRY(test_transient_ioctl_failure_is_recovered_by_the_guest),
	CU_TEST_ENTRY(test_iotlb_update_failure_fails_the_start),
	CU_TEST_ENTRY(test_attach_and_plug_errors),
	CU_TEST_ENTRY(test_device_removed_under_the_guest_fails_cleanly),
	CU_TEST_ENTRY(test_suspend_failure_leaves_the_device_running),
	CU_TEST_ENTRY(test_restart_on_a_less_capable_device_is_refused));
