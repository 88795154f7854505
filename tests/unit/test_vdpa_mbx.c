// SPDX-License-Identifier: MIT
/*
 * vdpa_mbx, the vendor vdpa driver of the MBX NIC, over the real device model
 * (sim/nic_mbx) placed by the device host: probe, management device, the
 * config ops and their errnos, the software control queue, the IOMMU domain,
 * then vhost_vdpa on top with frames through a loopback peer.
 */
#include "sim/devhost/devhost.h"
#include "sim/engine/engine.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/mem.h"
#include "sim/net/net.h"
#include "sim/nic_mbx/nic_mbx.h"
#include "sim/pcie/pcie.h"
#include "sim/virtio_ring/virtio_ring.h"
#include "stack/vdpa_bus/vdpa_bus.h"
#include "stack/vdpa_mbx/vdpa_mbx.h"
#include "stack/vhost_vdpa/vhost_vdpa.h"
#include "stack/virtio_net/virtio_net.h"
#include "stack/virtio_vdpa/virtio_vdpa.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOT 4
#define MGMT "pci/0000:00:04.0"
#define GPA 0x40000000ULL /* guest memory; IOVA == host PA in these tests */
#define GLEN 0x400000ULL
#define S_ACK VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRV VIRTIO_CONFIG_S_DRIVER
#define S_FOK VIRTIO_CONFIG_S_FEATURES_OK
#define S_DOK VIRTIO_CONFIG_S_DRIVER_OK
#define BIT(b) (1ULL << (b))
#define NEG                                                                                 \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_ACCESS_PLATFORM) | BIT(VIRTIO_NET_F_MAC) |  \
	 BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_MTU) | BIT(VIRTIO_NET_F_CTRL_VQ) |     \
	 BIT(VIRTIO_NET_F_CTRL_RX) | BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) | BIT(VIRTIO_NET_F_MQ) | \
	 BIT(VIRTIO_NET_F_GUEST_ANNOUNCE))

struct dw {
	struct sim *sim;
	struct mem *mem;
	struct iommu *io;
	struct pcie_rc *rc;
	struct devh *dh;
	struct pcie_host_fn hf;
	struct vmbx *vf;
	struct vdpa_device *vdev;
	struct net_loopback *lb;
	struct net_link *link;
};

static void dw_hw(struct dw *w, const char *dev_opts, bool loopback)
{
	unsigned n = 0;

	memset(w, 0, sizeof(*w));
	w->sim = eng_sim_new(1, 0);
	w->mem = mem_new(1ULL << 32);
	w->io = iommu_new(w->sim, NULL);
	w->rc = pcie_rc_new(w->sim, w->mem, w->io, NULL);
	CU_ASSERT_FATAL(w->sim && w->mem && w->io && w->rc);
	CU_ASSERT_EQUAL_FATAL(devh_create(w->sim, w->rc, SLOT, mbx_plugin(), dev_opts, "mbx0",
					  &w->dh), 0);
	if (loopback) {
		struct net_link_cfg lc = { .rate_bps = NET_RATE_100G };

		CU_ASSERT_EQUAL_FATAL(net_loopback_new(w->sim, NULL, &w->lb), 0);
		CU_ASSERT_EQUAL_FATAL(net_link_new(w->sim, &lc, devh_net_port(w->dh, 0),
						   net_loopback_port(w->lb), &w->link), 0);
	}
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(w->rc, 0xE0000000ULL, 0x1000000, &w->hf, 1, &n), 0);
}

static void dw_probe(struct dw *w, bool poll)
{
	struct vmbx_opts o;

	vmbx_opts_default(&o);
	o.iommu = w->io;
	o.mem = w->mem;
	o.poll = poll;
	CU_ASSERT_EQUAL_FATAL(vmbx_probe(w->sim, w->rc, &w->hf, &o, &w->vf), 0);
}

static void dw_add(struct dw *w, const char *extra)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "vdpa dev add name vdpa0 mgmtdev " MGMT " %s", extra ? extra : "");
	CU_ASSERT_EQUAL_FATAL(vdpa_tool(w->sim, cmd, NULL, 0), 0);
	w->vdev = vmbx_vdpa(w->vf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->vdev);
}

static void dw_up(struct dw *w, const char *dev_opts, const char *add, bool loopback)
{
	dw_hw(w, dev_opts, loopback);
	dw_probe(w, false);
	dw_add(w, add);
}

static void dw_fini(struct dw *w)
{
	vmbx_remove(w->vf);
	if (w->link)
		net_link_free(w->link);
	devh_destroy(w->dh);
	if (w->lb)
		net_loopback_free(w->lb);
	pcie_rc_free(w->rc);
	iommu_free(w->io);
	mem_free(w->mem);
	eng_sim_free(w->sim);
}

static void run_for(struct dw *w, sim_time_t d)
{
	eng_run_until(w->sim, eng_now(w->sim) + d);
}

static const struct vdpa_config_ops *ops(struct dw *w)
{
	return w->vdev->config;
}

/* The whole guest window mapped identity in asid 0 (set_map). */
static void map_guest(struct dw *w, unsigned asid)
{
	struct vdpa_iotlb t;

	vdpa_iotlb_init(&t);
	CU_ASSERT_EQUAL(vdpa_iotlb_add_range(&t, GPA, GPA + GLEN - 1, GPA, VHOST_ACCESS_RW), 0);
	CU_ASSERT_EQUAL(ops(w)->set_map(w->vdev, asid, &t), 0);
	vdpa_iotlb_reset(&t);
}

static void negotiate(struct dw *w, uint64_t f)
{
	vdpa_set_status(w->vdev, S_ACK | S_DRV);
	CU_ASSERT_EQUAL(vdpa_set_features(w->vdev, f), 0);
	vdpa_set_status(w->vdev, S_ACK | S_DRV | S_FOK);
}

/* A guest-side ring over host memory. */
struct gq {
	struct vq_drv *drv;
	struct vq_config cfg;
	uint16_t idx;
};

static void gq_init(struct dw *w, struct gq *q, uint16_t idx, uint32_t num, uint64_t features,
		    const struct vq_state *start)
{
	struct vq_mem m = { mem_acc_read, mem_acc_write, w->mem };

	memset(q, 0, sizeof(*q));
	q->idx = idx;
	q->cfg.num = num;
	q->cfg.features = features;
	vq_config_place(&q->cfg, GPA + 0x20000ull * idx);
	CU_ASSERT_EQUAL_FATAL(vq_drv_create(&q->drv, &q->cfg, &m, start), 0);
}

/* Program a queue through the ops, as a vdpa bus driver does. */
static void gq_program(struct dw *w, struct gq *q, bool ready)
{
	ops(w)->set_vq_num(w->vdev, q->idx, q->cfg.num);
	CU_ASSERT_EQUAL(ops(w)->set_vq_address(w->vdev, q->idx, q->cfg.desc_addr,
					       q->cfg.driver_addr, q->cfg.device_addr), 0);
	if (ready)
		ops(w)->set_vq_ready(w->vdev, q->idx, true);
}

static unsigned drain(struct gq *q, unsigned *tok, uint32_t *lens, unsigned max)
{
	unsigned n = 0;
	void *t;
	uint32_t len;

	while (n < max && vq_drv_get_used(q->drv, &t, &len) == 1) {
		if (tok)
			tok[n] = (unsigned)(uintptr_t)t;
		if (lens)
			lens[n] = len;
		n++;
	}
	return n;
}

static int count_cb(void *priv)
{
	(*(unsigned *)priv)++;
	return VDPA_IRQ_HANDLED;
}

/* ==== probe and management device ========================================================= */

static void test_probe_reads_caps_enables_msix_and_registers_mgmtdev(void)
{
	struct dw w;
	struct vdpa_mgmtdev_info mi;
	struct vmbx_stats st;
	const struct vmbx_caps *c;
	size_t n = 0;

	dw_hw(&w, "max_vqs=6,mac=02:aa:bb:cc:dd:01", false);
	dw_probe(&w, false);
	c = vmbx_caps(w.vf);
	CU_ASSERT_EQUAL(c->max_vqs, 6);
	CU_ASSERT_EQUAL(c->flags, MBX_CAP_RESUME);
	CU_ASSERT_EQUAL(c->features, MBX_FEATURES);
	CU_ASSERT_EQUAL(c->mac[5], 0x01);
	CU_ASSERT_EQUAL(vdpa_nl_mgmtdev_get(w.sim, MGMT, &mi, 1, &n, NULL), 0);
	CU_ASSERT_EQUAL(mi.max_supported_vqs, 7);
	CU_ASSERT(!!(mi.supported_features & BIT(VIRTIO_NET_F_CTRL_VQ)));
	CU_ASSERT(!!(mi.supported_features & BIT(VIRTIO_F_RING_PACKED)));
	CU_ASSERT(!!(mi.supported_classes & BIT(VIRTIO_ID_NET)));
	vmbx_get_stats(w.vf, &st);
	CU_ASSERT_EQUAL(st.commands, 2); /* RESET, QUERY_CAPS */
	CU_ASSERT_EQUAL(st.cmd_irqs, 2);
	CU_ASSERT_EQUAL(st.command_errors, 0);
	CU_ASSERT_PTR_NULL(vmbx_vdpa(w.vf));
	dw_fini(&w);
}

static void test_probe_refuses_foreign_functions_and_missing_platform(void)
{
	struct dw w;
	struct vmbx_opts o;
	struct pcie_host_fn hf;
	struct vmbx *vf = NULL;

	dw_hw(&w, NULL, false);
	vmbx_opts_default(&o);
	o.iommu = w.io;
	o.mem = w.mem;
	hf = w.hf;
	hf.device_id = 0x1041;
	CU_ASSERT_EQUAL(vmbx_probe(w.sim, w.rc, &hf, &o, &vf), -ENODEV);
	hf = w.hf;
	hf.bar[MBX_BAR_DB].size = 0;
	CU_ASSERT_EQUAL(vmbx_probe(w.sim, w.rc, &hf, &o, &vf), -ENODEV);
	o.iommu = NULL;
	CU_ASSERT_EQUAL(vmbx_probe(w.sim, w.rc, &w.hf, &o, &vf), -EINVAL);
	CU_ASSERT_PTR_NULL(vf);
	dw_fini(&w);
}

static void test_polled_commands_complete_without_interrupts(void)
{
	struct dw w;
	struct vmbx_stats st;
	struct vmbx_cmd_result r;
	uint8_t caps[MBX_CAPS_LEN];

	dw_hw(&w, "fw_ns=3000", false);
	dw_probe(&w, true);
	CU_ASSERT_EQUAL(vmbx_exec(w.vf, MBX_OP_QUERY_CAPS, 0, NULL, 0, caps, sizeof(caps), &r), 0);
	CU_ASSERT_EQUAL(r.out_len, MBX_CAPS_LEN);
	/* firmware latency plus the poll period at most */
	CU_ASSERT(r.completed - r.issued >= ENG_NS(3000));
	CU_ASSERT(r.completed - r.issued <= ENG_NS(3000) + ENG_US(2));
	vmbx_get_stats(w.vf, &st);
	CU_ASSERT_EQUAL(st.cmd_irqs, 0);
	CU_ASSERT(st.polls >= 3);
	dw_fini(&w);
}

static void test_exec_maps_firmware_statuses_to_errnos(void)
{
	struct dw w;
	struct vmbx_cmd_result r;
	uint8_t in[MBX_MBOX_PAYLOAD + 1] = { 0 };

	dw_hw(&w, NULL, false);
	dw_probe(&w, false);
	CU_ASSERT_EQUAL(vmbx_exec(w.vf, 0x55, 0, NULL, 0, NULL, 0, &r), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(r.status, MBX_ST_BAD_OPCODE);
	CU_ASSERT_EQUAL(vmbx_exec(w.vf, MBX_OP_QUERY_VIRTQ, 0x77, NULL, 0, NULL, 0, &r), -ENOENT);
	CU_ASSERT_EQUAL(vmbx_exec(w.vf, MBX_OP_SET_FEATURES, 0, in, 8, NULL, 0, &r), -EINVAL);
	CU_ASSERT_EQUAL(r.status, MBX_ST_BAD_PARAM);
	CU_ASSERT_EQUAL(vmbx_exec(w.vf, MBX_OP_SET_FEATURES, 0, in, 2, NULL, 0, &r), -EMSGSIZE);
	CU_ASSERT_EQUAL(vmbx_exec(w.vf, MBX_OP_SET_FEATURES, 0, in, sizeof(in), NULL, 0, &r),
			-EMSGSIZE);
	CU_ASSERT_EQUAL(devh_control(w.dh, "fw_status_next=8", NULL, 0), 0);
	CU_ASSERT_EQUAL(vmbx_exec(w.vf, MBX_OP_QUERY_CAPS, 0, NULL, 0, NULL, 0, &r), -EIO);
	CU_ASSERT_EQUAL(vmbx_status_errno(MBX_ST_EXISTS), -EEXIST);
	CU_ASSERT_EQUAL(vmbx_status_errno(MBX_ST_NO_RESOURCES), -ENOSPC);
	CU_ASSERT_EQUAL(vmbx_status_errno(MBX_ST_BAD_STATE), -EINVAL);
	dw_fini(&w);
}

static void test_dev_add_validates_provisioning_and_allows_one_device(void)
{
	struct dw w;
	struct vdpa_dev_config_info ci;
	uint8_t mac[6];
	uint16_t v16 = 0;

	dw_hw(&w, "max_mtu=4000", false);
	dw_probe(&w, false);
	CU_ASSERT_EQUAL(vdpa_tool(w.sim, "vdpa dev add name vdpa0 mgmtdev " MGMT " mtu 4001", NULL,
				  0), -EINVAL);
	CU_ASSERT_EQUAL(vdpa_tool(w.sim, "vdpa dev add name vdpa0 mgmtdev " MGMT " max_vqp 5", NULL,
				  0), -EINVAL);
	CU_ASSERT_EQUAL(vdpa_tool(w.sim,
				  "vdpa dev add name vdpa0 mgmtdev " MGMT
				  " device_features 0x8000000000",
				  NULL, 0), -EINVAL);
	dw_add(&w, "mac 02:00:00:00:00:42 mtu 4000 max_vqp 2");
	CU_ASSERT_EQUAL(w.vdev->nvqs, 5); /* 2 pairs + control queue */
	CU_ASSERT_EQUAL(ops(&w)->get_vendor_id(w.vdev), MBX_PCI_VENDOR);
	CU_ASSERT_EQUAL(ops(&w)->get_device_id(w.vdev), VIRTIO_ID_NET);
	CU_ASSERT_EQUAL(ops(&w)->get_vq_num_max(w.vdev), 1024);
	CU_ASSERT_EQUAL(ops(&w)->get_vq_align(w.vdev), 4096);
	vdpa_get_config(w.vdev, 0, mac, 6);
	CU_ASSERT_EQUAL(mac[5], 0x42);
	vdpa_get_config(w.vdev, 8, &v16, 2);
	CU_ASSERT_EQUAL(v16, 2);
	vdpa_get_config(w.vdev, 10, &v16, 2);
	CU_ASSERT_EQUAL(v16, 4000);
	CU_ASSERT_EQUAL(vdpa_nl_dev_config_get(w.sim, "vdpa0", &ci, NULL), 0);
	CU_ASSERT_EQUAL(ci.mtu, 4000);
	CU_ASSERT_EQUAL(vdpa_tool(w.sim, "vdpa dev add name vdpa1 mgmtdev " MGMT, NULL, 0),
			-ENOSPC);
	CU_ASSERT_EQUAL(vdpa_tool(w.sim, "vdpa dev del vdpa0", NULL, 0), 0);
	CU_ASSERT_PTR_NULL(vmbx_vdpa(w.vf));
	dw_add(&w, NULL);
	CU_ASSERT_EQUAL(w.vdev->nvqs, 9); /* default: every pair the device has */
	dw_fini(&w);
}

/* ==== config ops ============================================================================= */

static void test_driver_features_need_access_platform_and_mq_needs_ctrl_vq(void)
{
	struct dw w;

	dw_up(&w, NULL, NULL, false);
	CU_ASSERT_EQUAL(ops(&w)->set_driver_features(w.vdev, BIT(VIRTIO_F_VERSION_1)), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(ops(&w)->set_driver_features(
				w.vdev, BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_ACCESS_PLATFORM) |
						BIT(VIRTIO_NET_F_MQ)),
			-EINVAL);
	CU_ASSERT_EQUAL(ops(&w)->set_driver_features(w.vdev, NEG | BIT(63)), 0);
	CU_ASSERT_EQUAL(ops(&w)->get_driver_features(w.vdev), NEG); /* unoffered bits dropped */
	CU_ASSERT(!!(ops(&w)->get_device_features(w.vdev) & BIT(VIRTIO_NET_F_MRG_RXBUF)));
	dw_fini(&w);
}

static void test_queue_indices_follow_the_negotiated_features(void)
{
	struct dw w;

	dw_up(&w, NULL, "max_vqp 2", false);
	CU_ASSERT_EQUAL(ops(&w)->set_vq_address(w.vdev, 2, GPA, GPA, GPA), -EINVAL);
	CU_ASSERT_EQUAL(vdpa_set_features(w.vdev, NEG & ~BIT(VIRTIO_NET_F_MQ)), 0);
	CU_ASSERT_EQUAL(ops(&w)->get_vq_group(w.vdev, 2), VMBX_CVQ_GROUP); /* control queue */
	CU_ASSERT_EQUAL(ops(&w)->set_vq_address(w.vdev, 3, GPA, GPA, GPA), -EINVAL);
	CU_ASSERT_EQUAL(vdpa_set_features(w.vdev, NEG), 0);
	CU_ASSERT_EQUAL(ops(&w)->get_vq_group(w.vdev, 2), VMBX_DATA_GROUP);
	CU_ASSERT_EQUAL(ops(&w)->get_vq_group(w.vdev, 4), VMBX_CVQ_GROUP);
	CU_ASSERT_EQUAL(ops(&w)->set_vq_address(w.vdev, 4, GPA, GPA, GPA), 0);
	CU_ASSERT_EQUAL(ops(&w)->set_vq_address(w.vdev, 5, GPA, GPA, GPA), -EINVAL);
	CU_ASSERT_EQUAL(ops(&w)->get_vq_notification(w.vdev, 3).addr,
			w.hf.bar[MBX_BAR_DB].addr + 12);
	CU_ASSERT_EQUAL(ops(&w)->get_vq_notification(w.vdev, 3).size, 4);
	CU_ASSERT_EQUAL(ops(&w)->get_vq_notification(w.vdev, 4).size, 0);
	CU_ASSERT_EQUAL(ops(&w)->get_vq_irq(w.vdev, 4), -EOPNOTSUPP);
	CU_ASSERT(ops(&w)->get_vq_irq(w.vdev, 1) > 0);
	dw_fini(&w);
}

static void test_driver_ok_creates_objects_and_reset_destroys_them(void)
{
	struct dw w;
	struct gq rx, tx;
	uint32_t obj = 0;
	char reply[256];
	uint32_t gen;

	dw_up(&w, NULL, "max_vqp 2", false);
	map_guest(&w, 0);
	negotiate(&w, NEG);
	gq_init(&w, &rx, 0, 256, NEG, NULL);
	gq_init(&w, &tx, 1, 256, NEG, NULL);
	gq_program(&w, &rx, true);
	gq_program(&w, &tx, false);
	CU_ASSERT_EQUAL(vmbx_vq_obj(w.vf, 0, &obj), -ENOENT); /* nothing before DRIVER_OK */
	gen = ops(&w)->get_generation(w.vdev);
	vdpa_set_status(w.vdev, S_ACK | S_DRV | S_FOK | S_DOK);
	CU_ASSERT_EQUAL(ops(&w)->get_status(w.vdev), S_ACK | S_DRV | S_FOK | S_DOK);
	CU_ASSERT_EQUAL(vmbx_vq_obj(w.vf, 0, &obj), 0);
	CU_ASSERT_EQUAL(devh_control(w.dh, "queue=0", reply, sizeof(reply)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "state=1 ")); /* ready: RDY */
	CU_ASSERT_EQUAL(devh_control(w.dh, "queue=1", reply, sizeof(reply)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "state=0 ")); /* not ready: INIT */
	CU_ASSERT_EQUAL(vmbx_vq_obj(w.vf, 2, &obj), -ENOENT); /* no size set */
	/* enabled after DRIVER_OK */
	ops(&w)->set_vq_ready(w.vdev, 1, true);
	CU_ASSERT_TRUE(ops(&w)->get_vq_ready(w.vdev, 1));
	CU_ASSERT_EQUAL(devh_control(w.dh, "queue=1", reply, sizeof(reply)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "state=1 "));
	/* clearing DRIVER_OK without a reset is ignored */
	vdpa_set_status(w.vdev, S_ACK | S_DRV | S_FOK);
	CU_ASSERT_EQUAL(ops(&w)->get_status(w.vdev), S_ACK | S_DRV | S_FOK | S_DOK);
	CU_ASSERT_EQUAL(vdpa_reset(w.vdev, 0), 0);
	CU_ASSERT_EQUAL(ops(&w)->get_status(w.vdev), 0);
	CU_ASSERT_EQUAL(vmbx_vq_obj(w.vf, 0, &obj), -ENOENT);
	CU_ASSERT_EQUAL(vmbx_vq_obj(w.vf, 1, &obj), -ENOENT);
	CU_ASSERT_EQUAL(devh_control(w.dh, "queue=0", reply, sizeof(reply)), 0);
	CU_ASSERT_STRING_EQUAL(reply, "state=none");
	CU_ASSERT_FALSE(ops(&w)->get_vq_ready(w.vdev, 0));
	CU_ASSERT_EQUAL(ops(&w)->get_generation(w.vdev), gen + 1);
	CU_ASSERT_EQUAL(ops(&w)->get_driver_features(w.vdev), 0);
	vq_drv_free(rx.drv);
	vq_drv_free(tx.drv);
	dw_fini(&w);
}

static void test_driver_ok_failure_sets_failed(void)
{
	struct dw w;

	dw_up(&w, NULL, NULL, false);
	map_guest(&w, 0);
	/* without VERSION_1 the device refuses the features at DRIVER_OK */
	negotiate(&w, NEG & ~BIT(VIRTIO_F_VERSION_1));
	ops(&w)->set_vq_num(w.vdev, 0, 256);
	vdpa_set_status(w.vdev, S_ACK | S_DRV | S_FOK | S_DOK);
	CU_ASSERT_EQUAL(ops(&w)->get_status(w.vdev), S_ACK | S_DRV | S_FOK | VIRTIO_CONFIG_S_FAILED);
	CU_ASSERT_EQUAL(vdpa_reset(w.vdev, 0), 0);
	/* a misaligned ring: the object cannot be created */
	negotiate(&w, NEG);
	ops(&w)->set_vq_num(w.vdev, 0, 256);
	ops(&w)->set_vq_address(w.vdev, 0, GPA + 8, GPA + 0x2000, GPA + 0x3000);
	vdpa_set_status(w.vdev, S_ACK | S_DRV | S_FOK | S_DOK);
	CU_ASSERT(ops(&w)->get_status(w.vdev) & VIRTIO_CONFIG_S_FAILED);
	dw_fini(&w);
}

static void test_set_vq_state_refused_while_rdy_and_applied_at_resume(void)
{
	struct dw w;
	struct gq tx;
	struct vdpa_vq_state s = { .split = { 7 } };
	char reply[256];

	dw_up(&w, NULL, NULL, false);
	map_guest(&w, 0);
	negotiate(&w, NEG);
	gq_init(&w, &tx, 1, 256, NEG, NULL);
	gq_program(&w, &tx, true);
	vdpa_set_status(w.vdev, S_ACK | S_DRV | S_FOK | S_DOK);
	CU_ASSERT_EQUAL(ops(&w)->set_vq_state(w.vdev, 1, &s), -EINVAL);
	CU_ASSERT_EQUAL(ops(&w)->suspend(w.vdev), 0);
	CU_ASSERT_EQUAL(devh_control(w.dh, "queue=1", reply, sizeof(reply)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "state=2 "));
	CU_ASSERT_EQUAL(ops(&w)->set_vq_state(w.vdev, 1, &s), 0);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(ops(&w)->get_vq_state(w.vdev, 1, &s), 0);
	CU_ASSERT_EQUAL(s.split.avail_index, 7);
	/* the ring in memory moves to the same place (as a migrated guest's would) */
	vq_drv_free(tx.drv);
	{
		struct vq_state st7 = { 7, 7, true, true };

		gq_init(&w, &tx, 1, 256, NEG, &st7);
	}
	CU_ASSERT_EQUAL(ops(&w)->resume(w.vdev), 0);
	run_for(&w, ENG_US(5));
	CU_ASSERT_EQUAL(devh_control(w.dh, "queue=1", reply, sizeof(reply)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "state=1 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "avail=7 used=7 "));
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(ops(&w)->get_vq_state(w.vdev, 1, &s), 0);
	CU_ASSERT_EQUAL(s.split.avail_index, 7);
	CU_ASSERT_EQUAL(ops(&w)->get_vq_state(w.vdev, 9, &s), -EINVAL);
	vq_drv_free(tx.drv);
	dw_fini(&w);
}

static void test_state_set_before_driver_ok_starts_the_object_there(void)
{
	const uint64_t f = NEG | BIT(VIRTIO_F_RING_PACKED);
	struct dw w;
	struct vdpa_vq_state s;
	char reply[256];

	dw_up(&w, NULL, NULL, false);
	map_guest(&w, 0);
	negotiate(&w, f);
	ops(&w)->set_vq_num(w.vdev, 1, 256);
	ops(&w)->set_vq_address(w.vdev, 1, GPA + 0x20000, GPA + 0x21000, GPA + 0x22000);
	memset(&s, 0, sizeof(s));
	s.packed.last_avail_idx = 200;
	s.packed.last_avail_counter = 0;
	s.packed.last_used_idx = 200;
	s.packed.last_used_counter = 0;
	CU_ASSERT_EQUAL(ops(&w)->set_vq_state(w.vdev, 1, &s), 0);
	ops(&w)->set_vq_ready(w.vdev, 1, true);
	vdpa_set_status(w.vdev, S_ACK | S_DRV | S_FOK | S_DOK);
	CU_ASSERT_EQUAL(devh_control(w.dh, "queue=1", reply, sizeof(reply)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "avail=200 used=200 avail_wrap=0 used_wrap=0 "));
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(ops(&w)->get_vq_state(w.vdev, 1, &s), 0); /* QUERY_VIRTQ */
	CU_ASSERT_EQUAL(s.packed.last_avail_idx, 200);
	CU_ASSERT_EQUAL(s.packed.last_avail_counter, 0);
	CU_ASSERT_EQUAL(s.packed.last_used_idx, 200);
	dw_fini(&w);
}

static void test_resume_is_absent_without_the_device_capability(void)
{
	struct dw w;
	struct gq tx;
	struct vhv_file *f = NULL;
	char reply[256];

	dw_up(&w, "resume=0", NULL, false);
	CU_ASSERT_PTR_NULL(ops(&w)->resume);
	CU_ASSERT_PTR_NOT_NULL(ops(&w)->suspend);
	map_guest(&w, 0);
	negotiate(&w, NEG);
	gq_init(&w, &tx, 1, 256, NEG, NULL);
	gq_program(&w, &tx, true);
	vdpa_set_status(w.vdev, S_ACK | S_DRV | S_FOK | S_DOK);
	/* ready again after a per-queue stop: the device cannot, the queue stays off */
	ops(&w)->set_vq_ready(w.vdev, 1, false);
	ops(&w)->set_vq_ready(w.vdev, 1, true);
	CU_ASSERT_FALSE(ops(&w)->get_vq_ready(w.vdev, 1));
	CU_ASSERT_EQUAL(devh_control(w.dh, "queue=1", reply, sizeof(reply)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "state=2 "));
	vq_drv_free(tx.drv);
	/* and vhost-vdpa tells user space */
	CU_ASSERT_EQUAL(vdpa_reset(w.vdev, 0), 0);
	CU_ASSERT_EQUAL(vhv_register_driver(w.sim), 0);
	CU_ASSERT_EQUAL_FATAL(vhv_open(w.sim, "/dev/vhost-vdpa-0", &f), 0);
	{
		uint64_t bf = 0;

		CU_ASSERT_EQUAL(vhv_ioctl(f, VHOST_GET_BACKEND_FEATURES, &bf), 0);
		CU_ASSERT(!!(bf & BIT(VHOST_BACKEND_F_SUSPEND)));
		CU_ASSERT_FALSE(bf & BIT(VHOST_BACKEND_F_RESUME));
	}
	CU_ASSERT_EQUAL(vhv_ioctl(f, VHOST_VDPA_RESUME, NULL), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(vhv_close(f), 0);
	dw_fini(&w);
}

/* ==== the control virtqueue ===================================================================== */

struct ctrl {
	struct dw *w;
	struct gq q;
	unsigned irqs;
	uint64_t buf;
};

/* One command: header + data readable, one ack byte writable; returns the ack. */
static int ctrl_cmd(struct ctrl *c, uint8_t cls, uint8_t cmd, const void *data, uint32_t len)
{
	struct dw *w = c->w;
	uint64_t cmdbuf = c->buf, ack = c->buf + 2048;
	uint8_t hdr[2] = { cls, cmd }, a = 0xee;
	struct vq_seg sg[3] = { { cmdbuf, 2, 0 }, { cmdbuf + 64, len, 0 }, { ack, 1, 0 } };
	uint32_t n = len ? 3 : 2, used_len = 0;
	void *tok;

	if (!len)
		sg[1] = sg[2];
	CU_ASSERT_EQUAL(mem_write(w->mem, cmdbuf, hdr, 2), 0);
	if (len)
		CU_ASSERT_EQUAL(mem_write(w->mem, cmdbuf + 64, data, len), 0);
	CU_ASSERT_EQUAL(mem_write(w->mem, ack, &a, 1), 0);
	CU_ASSERT_EQUAL(vq_drv_add(c->q.drv, sg, n - 1, 1, (void *)1), 0);
	if (vq_drv_kick_prepare(c->q.drv) > 0)
		ops(w)->kick_vq(w->vdev, c->q.idx);
	run_for(w, ENG_US(50));
	if (vq_drv_get_used(c->q.drv, &tok, &used_len) != 1)
		return -1;
	CU_ASSERT_EQUAL(used_len, 1);
	CU_ASSERT_EQUAL(mem_read(w->mem, ack, &a, 1), 0);
	return a;
}

static void test_ctrl_vq_commands_reach_the_steering_and_are_acked(void)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0xaa }, bad_mac[6] = { 0x01, 0, 0, 0, 0, 1 };
	struct dw w;
	struct ctrl c = { .w = &w, .buf = GPA + 0x300000 };
	struct vmbx_steering s;
	struct vmbx_stats st;
	struct vdpa_callback cb = { count_cb, &c.irqs, NULL };
	uint8_t table[4 + 12 + 4 + 6], on = 1, got[6];
	uint16_t pairs;
	struct vdpa_vendor_vq_stats vs;

	dw_up(&w, NULL, "max_vqp 2", false);
	map_guest(&w, 0);
	negotiate(&w, NEG);
	gq_init(&w, &c.q, 4, 64, NEG, NULL); /* 2 pairs: control queue 4 */
	gq_program(&w, &c.q, true);
	ops(&w)->set_vq_cb(w.vdev, 4, &cb);
	vdpa_set_status(w.vdev, S_ACK | S_DRV | S_FOK | S_DOK);
	CU_ASSERT_EQUAL(vmbx_query_steering(w.vf, &s), 0);
	CU_ASSERT_EQUAL(s.rx_queues, 1); /* virtio 1.3 5.1.6.5.5 */

	CU_ASSERT_EQUAL(ctrl_cmd(&c, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 6),
			VIRTIO_NET_OK);
	vdpa_get_config(w.vdev, 0, got, 6);
	CU_ASSERT_EQUAL(memcmp(got, mac, 6), 0);
	CU_ASSERT_EQUAL(ctrl_cmd(&c, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, bad_mac, 6),
			VIRTIO_NET_ERR);
	vq_put_le32(table, 2);
	memset(table + 4, 0x22, 12);
	table[4] = table[10] = 0x02;
	vq_put_le32(table + 16, 1);
	memcpy(table + 20, bad_mac, 6);
	CU_ASSERT_EQUAL(ctrl_cmd(&c, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, table,
				 sizeof(table)),
			VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(ctrl_cmd(&c, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, table, 10),
			VIRTIO_NET_ERR); /* truncated */
	CU_ASSERT_EQUAL(ctrl_cmd(&c, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1),
			VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(ctrl_cmd(&c, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1),
			VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(ctrl_cmd(&c, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLUNI, &on, 1),
			VIRTIO_NET_ERR); /* RX_EXTRA is not offered */
	vq_put_le16(&pairs, 2);
	CU_ASSERT_EQUAL(ctrl_cmd(&c, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2),
			VIRTIO_NET_OK);
	vq_put_le16(&pairs, 3);
	CU_ASSERT_EQUAL(ctrl_cmd(&c, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2),
			VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(ctrl_cmd(&c, VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK, NULL, 0),
			VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(ctrl_cmd(&c, 9, 0, NULL, 0), VIRTIO_NET_ERR);

	CU_ASSERT_EQUAL(vmbx_query_steering(w.vf, &s), 0);
	CU_ASSERT_EQUAL(memcmp(s.mac, mac, 6), 0);
	CU_ASSERT_TRUE(s.promisc);
	CU_ASSERT_TRUE(s.allmulti);
	CU_ASSERT_EQUAL(s.rx_queues, 2);
	CU_ASSERT_EQUAL(s.nuc, 2);
	CU_ASSERT_EQUAL(s.nmc, 1);
	CU_ASSERT_EQUAL(s.uc[1][0], 0x02);
	CU_ASSERT_EQUAL(memcmp(s.mc[0], bad_mac, 6), 0);
	CU_ASSERT_EQUAL(c.irqs, 11);
	vmbx_get_stats(w.vf, &st);
	CU_ASSERT_EQUAL(st.cvq_cmds, 11);
	CU_ASSERT_EQUAL(st.cvq_ok, 6);
	CU_ASSERT_EQUAL(st.cvq_err, 5);
	CU_ASSERT_EQUAL(ops(&w)->get_vendor_vq_stats(w.vdev, 4, &vs), 0);
	CU_ASSERT_EQUAL(vs.attr[0].value, 11);
	CU_ASSERT_EQUAL(vs.attr[1].value, 11);
	{
		struct vdpa_vq_state vqs;

		CU_ASSERT_EQUAL(ops(&w)->get_vq_state(w.vdev, 4, &vqs), 0);
		CU_ASSERT_EQUAL(vqs.split.avail_index, 11);
	}
	vq_drv_free(c.q.drv);
	dw_fini(&w);
}

static void test_ctrl_vq_uses_the_address_space_of_its_group(void)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0xbb };
	struct dw w;
	struct ctrl c = { .w = &w, .buf = GPA + 0x300000 };
	struct vmbx_steering s;

	dw_up(&w, NULL, "max_vqp 2", false);
	negotiate(&w, NEG);
	/* the control group in ASID 1: only ASID 1 maps the control ring */
	CU_ASSERT_EQUAL(ops(&w)->set_group_asid(w.vdev, VMBX_CVQ_GROUP, 1), 0);
	map_guest(&w, 1);
	gq_init(&w, &c.q, 4, 64, NEG, NULL);
	gq_program(&w, &c.q, true);
	vdpa_set_status(w.vdev, S_ACK | S_DRV | S_FOK | S_DOK);
	CU_ASSERT_EQUAL(ctrl_cmd(&c, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 6),
			VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(vmbx_query_steering(w.vf, &s), 0);
	CU_ASSERT_EQUAL(s.mac[5], 0xbb);
	/* the data group's ASID (0) was never given a map: the device's initial
	 * passthrough (IOVA == PA) */
	{
		uint64_t pa = 0;
		unsigned prot = 0;

		CU_ASSERT_EQUAL(iommu_iova_to_phys(iommu_domain_of(w.io, w.hf.bdf, 0), GPA + 0x1234,
						   &pa, &prot), 0);
		CU_ASSERT_EQUAL(pa, GPA + 0x1234);
	}
	/* a control ring outside the map: the control queue breaks, the device
	 * needs a reset */
	{
		struct vdpa_iotlb t;

		vdpa_iotlb_init(&t);
		CU_ASSERT_EQUAL(vdpa_iotlb_add_range(&t, 0x1000, 0x1fff, GPA, VHOST_ACCESS_RW), 0);
		CU_ASSERT_EQUAL(ops(&w)->set_map(w.vdev, 1, &t), 0);
		vdpa_iotlb_reset(&t);
	}
	{
		uint8_t hdr[2] = { 0, 0 };
		struct vq_seg sg[2] = { { c.buf, 2, 0 }, { c.buf + 2048, 1, 0 } };

		CU_ASSERT_EQUAL(mem_write(w.mem, c.buf, hdr, 2), 0);
		CU_ASSERT_EQUAL(vq_drv_add(c.q.drv, sg, 1, 1, (void *)1), 0);
		vq_drv_kick_prepare(c.q.drv);
		ops(&w)->kick_vq(w.vdev, 4);
		run_for(&w, ENG_US(50));
	}
	CU_ASSERT(ops(&w)->get_status(w.vdev) & VIRTIO_CONFIG_S_NEEDS_RESET);
	vq_drv_free(c.q.drv);
	dw_fini(&w);
}

/* ==== DMA mapping =============================================================================== */

static void test_set_map_programs_the_iommu_domain_by_difference(void)
{
	struct dw w;
	struct vdpa_iotlb t;
	struct iommu_domain *d;
	uint64_t pa = 0;
	unsigned prot = 0;

	dw_up(&w, NULL, NULL, false);
	/* before any map the device's translation is passthrough */
	CU_ASSERT_EQUAL(iommu_iova_to_phys(iommu_domain_of(w.io, w.hf.bdf, 0), 0x777000, &pa, &prot),
			0);
	CU_ASSERT_EQUAL(pa, 0x777000);
	vdpa_iotlb_init(&t);
	CU_ASSERT_EQUAL(vdpa_iotlb_add_range(&t, 0x100000, 0x1fffff, GPA, VHOST_ACCESS_RO), 0);
	CU_ASSERT_EQUAL(vdpa_iotlb_add_range(&t, 0x300000, 0x300fff, GPA + 0x100000,
					     VHOST_ACCESS_RW), 0);
	CU_ASSERT_EQUAL(ops(&w)->set_map(w.vdev, 0, &t), 0);
	d = iommu_domain_of(w.io, w.hf.bdf, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(iommu_iova_to_phys(d, 0x777000, &pa, &prot), -EFAULT);
	CU_ASSERT_EQUAL(iommu_iova_to_phys(d, 0x100000 + 0x42, &pa, &prot), 0);
	CU_ASSERT_EQUAL(pa, GPA + 0x42);
	CU_ASSERT_EQUAL(prot, IOMMU_READ);
	CU_ASSERT_EQUAL(iommu_mapped_bytes(d), 0x101000);
	/* drop the second map, add a third: the first is left alone */
	vdpa_iotlb_del_range(&t, 0x300000, 0x300fff);
	CU_ASSERT_EQUAL(vdpa_iotlb_add_range(&t, 0x500000, 0x501fff, GPA + 0x200000,
					     VHOST_ACCESS_WO), 0);
	CU_ASSERT_EQUAL(ops(&w)->set_map(w.vdev, 0, &t), 0);
	CU_ASSERT_EQUAL(iommu_iova_to_phys(d, 0x300000, &pa, &prot), -EFAULT);
	CU_ASSERT_EQUAL(iommu_iova_to_phys(d, 0x501000, &pa, &prot), 0);
	CU_ASSERT_EQUAL(prot, IOMMU_WRITE);
	CU_ASSERT_EQUAL(iommu_mapped_bytes(d), 0x102000);
	CU_ASSERT_EQUAL(iommu_iova_to_phys(d, 0x100000, &pa, &prot), 0);
	/* ASID 1 is another space: not the data group's, so not in the domain */
	CU_ASSERT_EQUAL(ops(&w)->set_map(w.vdev, 1, &t), 0);
	CU_ASSERT_EQUAL(iommu_mapped_bytes(d), 0x102000);
	vdpa_iotlb_reset(&t);
	CU_ASSERT_EQUAL(ops(&w)->set_map(w.vdev, 1, &t), 0);
	/* moving the data group to the empty ASID 1 empties the domain */
	CU_ASSERT_EQUAL(ops(&w)->set_group_asid(w.vdev, VMBX_DATA_GROUP, 1), 0);
	CU_ASSERT_EQUAL(iommu_mapped_bytes(d), 0);
	CU_ASSERT_EQUAL(ops(&w)->set_group_asid(w.vdev, VMBX_DATA_GROUP, 0), 0);
	CU_ASSERT_EQUAL(iommu_mapped_bytes(d), 0x102000);
	CU_ASSERT_EQUAL(ops(&w)->set_group_asid(w.vdev, 2, 0), -EINVAL);
	CU_ASSERT_EQUAL(ops(&w)->set_map(w.vdev, 2, &t), -EINVAL);
	/* reset_map: back to passthrough, the paging domain emptied */
	CU_ASSERT_EQUAL(ops(&w)->reset_map(w.vdev, 0), 0);
	CU_ASSERT_EQUAL(iommu_mapped_bytes(d), 0);
	CU_ASSERT_PTR_NOT_EQUAL(iommu_domain_of(w.io, w.hf.bdf, 0), d);
	vdpa_iotlb_init(&t);
	CU_ASSERT_EQUAL(vdpa_iotlb_add_range(&t, 0x100000, 0x100fff, GPA, VHOST_ACCESS_RW), 0);
	CU_ASSERT_EQUAL(ops(&w)->set_map(w.vdev, 0, &t), 0);
	vdpa_iotlb_reset(&t);
	CU_ASSERT_PTR_EQUAL(iommu_domain_of(w.io, w.hf.bdf, 0), d);
	CU_ASSERT_EQUAL(iommu_mapped_bytes(d), 0x1000);
	/* a reset keeps the maps; a clean-map reset empties every space */
	CU_ASSERT_EQUAL(vdpa_reset(w.vdev, 0), 0);
	CU_ASSERT_EQUAL(iommu_mapped_bytes(d), 0x1000);
	CU_ASSERT_EQUAL(vdpa_reset(w.vdev, VDPA_RESET_F_CLEAN_MAP), 0);
	CU_ASSERT_EQUAL(iommu_mapped_bytes(d), 0);
	CU_ASSERT_EQUAL(ops(&w)->get_iova_range(w.vdev).last, VMBX_IOVA_LAST);
	dw_fini(&w);
}

/* ==== vhost_vdpa on top, frames through a loopback peer ========================================= */

struct vq_h {
	struct gq g;
	struct vdpa_evfd *kick, *call;
};

static long vio(struct vhv_file *f, unsigned long req, void *arg)
{
	return vhv_ioctl(f, req, arg);
}

static long vring_io(struct vhv_file *f, unsigned long req, uint32_t idx, uint32_t num)
{
	struct vhost_vring_state s = { idx, num };

	return vhv_ioctl(f, req, &s);
}

/* VHOST_GET_VRING_BASE: the num field, or -errno. */
static long get_base(struct vhv_file *f, uint32_t idx)
{
	struct vhost_vring_state s = { idx, 0 };
	long r = vhv_ioctl(f, VHOST_GET_VRING_BASE, &s);

	return r ? r : (long)s.num;
}

static void iotlb_update(struct vhv_file *f, uint64_t iova, uint64_t size, uint64_t uaddr)
{
	struct vhost_msg_v2 m;

	memset(&m, 0, sizeof(m));
	m.type = VHOST_IOTLB_MSG_V2;
	m.iotlb.type = VHOST_IOTLB_UPDATE;
	m.iotlb.iova = iova;
	m.iotlb.size = size;
	m.iotlb.uaddr = uaddr;
	m.iotlb.perm = VHOST_ACCESS_RW;
	CU_ASSERT_EQUAL(vhv_write(f, &m, sizeof(m)), (ssize_t)sizeof(m));
}

static void vhost_begin(struct dw *w, struct vhv_file **f, uint64_t features)
{
	uint8_t status = S_ACK | S_DRV;
	uint64_t v = features;

	CU_ASSERT_EQUAL_FATAL(vhv_open(w->sim, "/dev/vhost-vdpa-0", f), 0);
	CU_ASSERT_EQUAL(vio(*f, VHOST_SET_OWNER, NULL), 0);
	CU_ASSERT_EQUAL(vio(*f, VHOST_VDPA_SET_STATUS, &status), 0);
	CU_ASSERT_EQUAL(vio(*f, VHOST_GET_FEATURES, &v), 0);
	CU_ASSERT_EQUAL(v & features, features);
	v = features;
	CU_ASSERT_EQUAL(vio(*f, VHOST_SET_FEATURES, &v), 0);
	status |= S_FOK;
	CU_ASSERT_EQUAL(vio(*f, VHOST_VDPA_SET_STATUS, &status), 0);
	iotlb_update(*f, GPA, GLEN, GPA);
}

static void vring_setup(struct dw *w, struct vhv_file *f, struct vq_h *q, uint16_t idx,
			uint64_t features, const struct vq_state *start)
{
	struct vhost_vring_addr a;
	struct vhost_vring_file vf;
	struct vq_state fresh;

	vq_state_init(&fresh); /* packed: both wrap counters 1 */
	if (!start)
		start = &fresh;
	memset(q, 0, sizeof(*q));
	gq_init(w, &q->g, idx, 256, features, start);
	CU_ASSERT_EQUAL(vring_io(f, VHOST_SET_VRING_NUM, idx, 256), 0);
	memset(&a, 0, sizeof(a));
	a.index = idx;
	a.desc_user_addr = q->g.cfg.desc_addr;
	a.avail_user_addr = q->g.cfg.driver_addr;
	a.used_user_addr = q->g.cfg.device_addr;
	CU_ASSERT_EQUAL(vio(f, VHOST_SET_VRING_ADDR, &a), 0);
	CU_ASSERT_EQUAL(vring_io(f, VHOST_SET_VRING_BASE, idx,
				 vq_state_to_vhost(start, features & BIT(VIRTIO_F_RING_PACKED))),
			0);
	vf.index = idx;
	vf.fd = vdpa_evfd_create(w->sim, &q->kick);
	CU_ASSERT_EQUAL(vio(f, VHOST_SET_VRING_KICK, &vf), 0);
	vf.fd = vdpa_evfd_create(w->sim, &q->call);
	CU_ASSERT_EQUAL(vio(f, VHOST_SET_VRING_CALL, &vf), 0);
	CU_ASSERT_EQUAL(vring_io(f, VHOST_VDPA_SET_VRING_ENABLE, idx, 1), 0);
}

static void vring_kick(struct vq_h *q)
{
	if (vq_drv_kick_prepare(q->g.drv) > 0)
		vdpa_evfd_write(q->kick, 1);
}

static void vring_free(struct vq_h *q)
{
	vq_drv_free(q->g.drv);
	vdpa_evfd_close(q->kick);
	vdpa_evfd_close(q->call);
}

static void driver_ok(struct vhv_file *f)
{
	uint8_t status = S_ACK | S_DRV | S_FOK | S_DOK;

	CU_ASSERT_EQUAL(vio(f, VHOST_VDPA_SET_STATUS, &status), 0);
	CU_ASSERT_EQUAL(vio(f, VHOST_VDPA_GET_STATUS, &status), 0);
	CU_ASSERT_EQUAL(status, S_ACK | S_DRV | S_FOK | S_DOK);
}

#define TXBUF (GPA + 0x200000)
#define RXBUF (GPA + 0x300000)

/* n frames to our MAC, each from its own buffer (no descriptor reused). */
static void send_frames(struct dw *w, struct vq_h *tx, unsigned first, unsigned n, uint8_t *frames,
			uint32_t flen)
{
	uint8_t mac[6];
	const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x99 };

	vdpa_get_config(w->vdev, 0, mac, 6);
	for (unsigned i = 0; i < n; i++) {
		uint64_t b = TXBUF + 2048ull * ((first + i) % 64);
		uint8_t hdr[12] = { 0 };
		uint8_t *f = frames + (size_t)i * flen;
		struct net_test_hdr th = { .flow = (uint16_t)(i % 4), .len = (uint16_t)flen,
					   .seq = first + i };
		struct vq_seg sg[2] = { { b, 12, 0 }, { b + 64, flen, 0 } };

		CU_ASSERT_EQUAL_FATAL(net_frame_build(f, flen, flen, mac, src, &th), 0);
		CU_ASSERT_EQUAL(mem_write(w->mem, b, hdr, 12), 0);
		CU_ASSERT_EQUAL(mem_write(w->mem, b + 64, f, flen), 0);
		CU_ASSERT_EQUAL(vq_drv_add(tx->g.drv, sg, 2, 0, (void *)(uintptr_t)(first + i + 1)),
				0);
	}
	vring_kick(tx);
}

static void post_rx(struct vq_h *rx, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct vq_seg sg = { RXBUF + 2048ull * i, 2048, VQ_SEG_F_WRITE };

		CU_ASSERT_EQUAL(vq_drv_add(rx->g.drv, &sg, 0, 1, (void *)(uintptr_t)(i + 1)), 0);
	}
	vring_kick(rx);
}

/*
 * Frames out of the TX ring, through the wire to the loopback peer and back
 * into the RX ring, byte for byte, with vhost_vdpa as the backend; the ring
 * observer watched every device access.
 */
static void loopback_frames(uint64_t ring_features)
{
	const uint64_t f = NEG | ring_features;
	const unsigned n = 24;
	const uint32_t flen = 300;
	struct dw w;
	struct vhv_file *fh = NULL;
	struct vq_h rx, tx;
	uint8_t *frames = calloc(n, flen), back[300];
	unsigned tok[32];
	uint32_t lens[32];

	dw_up(&w, NULL, "max_vqp 1", true);
	CU_ASSERT_EQUAL(vhv_register_driver(w.sim), 0);
	vhost_begin(&w, &fh, f);
	vring_setup(&w, fh, &rx, 0, f, NULL);
	vring_setup(&w, fh, &tx, 1, f, NULL);
	driver_ok(fh);
	post_rx(&rx, 32);
	send_frames(&w, &tx, 0, n, frames, flen);
	run_for(&w, ENG_US(200));
	CU_ASSERT_EQUAL(drain(&tx.g, tok, NULL, 32), n);
	CU_ASSERT_EQUAL_FATAL(drain(&rx.g, tok, lens, 32), n);
	for (unsigned i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(tok[i], i + 1);
		CU_ASSERT_EQUAL(lens[i], 12 + flen);
		CU_ASSERT_EQUAL(mem_read(w.mem, RXBUF + 2048ull * i + 12, back, flen), 0);
		CU_ASSERT_EQUAL(memcmp(back, frames + (size_t)i * flen, flen), 0);
	}
	CU_ASSERT(vdpa_evfd_count(rx.call) >= 1);
	CU_ASSERT(vdpa_evfd_count(tx.call) >= 1);
	CU_ASSERT_EQUAL(devh_violations(w.dh), 0);
	CU_ASSERT_EQUAL(devh_errors(w.dh), 0);
	{
		struct vdpa_dev_vstats_info vi;

		CU_ASSERT_EQUAL(vdpa_nl_dev_vstats_get(w.sim, "vdpa0", true, 1, &vi, NULL), 0);
		CU_ASSERT_STRING_EQUAL(vi.stats.attr[0].name, "received_desc");
		CU_ASSERT_EQUAL(vi.stats.attr[0].value, n);
		CU_ASSERT_EQUAL(vi.stats.attr[1].value, n);
	}
	CU_ASSERT_EQUAL(vhv_close(fh), 0);
	vring_free(&rx);
	vring_free(&tx);
	free(frames);
	dw_fini(&w);
}

static void test_loopback_frames_byte_exact_split_observer_silent(void)
{
	loopback_frames(0);
}

static void test_loopback_frames_byte_exact_packed_observer_silent(void)
{
	loopback_frames(BIT(VIRTIO_F_RING_PACKED) | BIT(VIRTIO_RING_F_EVENT_IDX));
}

/*
 * The migration sequence on this vendor: SUSPEND, GET_VRING_BASE; then on a
 * fresh device SET_VRING_BASE before DRIVER_OK, and traffic goes on from there.
 */
static void suspend_and_restore(uint64_t ring_features)
{
	const uint64_t f = NEG | ring_features;
	const bool packed = ring_features & BIT(VIRTIO_F_RING_PACKED);
	const unsigned per = packed ? 2 : 1; /* packed indices count descriptors: 2 a frame */
	const uint32_t flen = 100;
	char want[64];
	struct dw w;
	struct vhv_file *fh = NULL;
	struct vq_h rx, tx;
	uint8_t frames[8 * 100];
	struct vq_state st;
	long base;
	char reply[256];

	dw_up(&w, "wb_ns=20000", "max_vqp 1", true);
	CU_ASSERT_EQUAL(vhv_register_driver(w.sim), 0);
	vhost_begin(&w, &fh, f);
	vring_setup(&w, fh, &rx, 0, f, NULL);
	vring_setup(&w, fh, &tx, 1, f, NULL);
	driver_ok(fh);
	post_rx(&rx, 8);
	send_frames(&w, &tx, 0, 5, frames, flen);
	run_for(&w, ENG_US(8)); /* fetched, not yet written back */
	CU_ASSERT_EQUAL(vio(fh, VHOST_VDPA_SUSPEND, NULL), 0);
	/* the suspend completed every buffer in flight */
	CU_ASSERT_EQUAL(drain(&tx.g, NULL, NULL, 8), 5);
	base = get_base(fh, 1);
	CU_ASSERT_EQUAL(vq_state_from_vhost(&st, (uint32_t)base, packed, 256), 0);
	CU_ASSERT_EQUAL(st.avail_idx, 5 * per);
	CU_ASSERT_EQUAL(st.used_idx, 5 * per);
	CU_ASSERT_EQUAL(devh_control(w.dh, "queue=1", reply, sizeof(reply)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "state=2 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "inflight=0 "));
	base = get_base(fh, 0);
	CU_ASSERT_EQUAL(vq_state_from_vhost(&st, (uint32_t)base, packed, 256), 0);
	CU_ASSERT(st.avail_idx >= 1); /* frames came back before the suspend */
	CU_ASSERT_EQUAL(vhv_close(fh), 0);
	vring_free(&rx);
	vring_free(&tx);

	/* a fresh device (reopened, reset) restored where the queue stopped */
	vhost_begin(&w, &fh, f);
	st.avail_idx = st.used_idx = (uint16_t)(5 * per);
	st.avail_wrap = st.used_wrap = true;
	vring_setup(&w, fh, &tx, 1, f, &st);
	st.avail_idx = st.used_idx = 0;
	vring_setup(&w, fh, &rx, 0, f, &st);
	driver_ok(fh);
	CU_ASSERT_EQUAL(devh_control(w.dh, "queue=1", reply, sizeof(reply)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "state=1 "));
	snprintf(want, sizeof(want), "avail=%u used=%u ", 5 * per, 5 * per);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, want));
	post_rx(&rx, 8);
	send_frames(&w, &tx, 5, 3, frames, flen);
	run_for(&w, ENG_US(100));
	CU_ASSERT_EQUAL(drain(&tx.g, NULL, NULL, 8), 3);
	CU_ASSERT_EQUAL(drain(&rx.g, NULL, NULL, 8), 3);
	base = get_base(fh, 1);
	CU_ASSERT_EQUAL(vq_state_from_vhost(&st, (uint32_t)base, packed, 256), 0);
	CU_ASSERT_EQUAL(st.used_idx, 8 * per);
	/* RESUME after SUSPEND: the device can (the default) */
	CU_ASSERT_EQUAL(vio(fh, VHOST_VDPA_SUSPEND, NULL), 0);
	CU_ASSERT_EQUAL(vio(fh, VHOST_VDPA_RESUME, NULL), 0);
	CU_ASSERT_EQUAL(devh_control(w.dh, "queue=1", reply, sizeof(reply)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "state=1 "));
	CU_ASSERT_EQUAL(devh_violations(w.dh), 0);
	CU_ASSERT_EQUAL(devh_errors(w.dh), 0);
	CU_ASSERT_EQUAL(vhv_close(fh), 0);
	vring_free(&rx);
	vring_free(&tx);
	dw_fini(&w);
}

static void test_vhost_suspend_get_vring_base_then_restore_split(void)
{
	suspend_and_restore(0);
}

static void test_vhost_suspend_get_vring_base_then_restore_packed(void)
{
	suspend_and_restore(BIT(VIRTIO_F_RING_PACKED));
}

static void test_malformed_ring_sets_needs_reset_and_signals_config(void)
{
	struct dw w;
	struct vhv_file *fh = NULL;
	struct vq_h rx, tx;
	struct vdpa_evfd *cfg = NULL;
	struct devh_error e;
	uint8_t status = 0;
	int cfd;

	dw_up(&w, NULL, "max_vqp 1", true);
	CU_ASSERT_EQUAL(vhv_register_driver(w.sim), 0);
	vhost_begin(&w, &fh, NEG);
	vring_setup(&w, fh, &rx, 0, NEG, NULL);
	vring_setup(&w, fh, &tx, 1, NEG, NULL);
	cfd = vdpa_evfd_create(w.sim, &cfg);
	CU_ASSERT_EQUAL(vio(fh, VHOST_VDPA_SET_CONFIG_CALL, &cfd), 0);
	driver_ok(fh);
	/* a head index beyond the ring (virtio 1.3 2.7.13.3) */
	CU_ASSERT_EQUAL(mem_write_le16(w.mem, tx.g.cfg.driver_addr + 4, 999), 0);
	CU_ASSERT_EQUAL(mem_write_le16(w.mem, tx.g.cfg.driver_addr + 2, 1), 0);
	vdpa_evfd_write(tx.kick, 1);
	run_for(&w, ENG_US(20));
	CU_ASSERT_EQUAL(devh_errors(w.dh), 1);
	CU_ASSERT_EQUAL(devh_error_get(w.dh, 0, &e), 0);
	CU_ASSERT_STRING_EQUAL(e.violation, "HEAD_OUT_OF_RANGE");
	CU_ASSERT_EQUAL(vdpa_evfd_count(cfg), 1);
	CU_ASSERT_EQUAL(vio(fh, VHOST_VDPA_GET_STATUS, &status), 0);
	CU_ASSERT(status & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* the object is in ERR: no resume, and a reset clears everything */
	CU_ASSERT_EQUAL(vio(fh, VHOST_VDPA_SUSPEND, NULL), 0);
	status = 0;
	CU_ASSERT_EQUAL(vio(fh, VHOST_VDPA_SET_STATUS, &status), 0);
	CU_ASSERT_EQUAL(vio(fh, VHOST_VDPA_GET_STATUS, &status), 0);
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT_EQUAL(vhv_close(fh), 0);
	vring_free(&rx);
	vring_free(&tx);
	vdpa_evfd_close(cfg);
	dw_fini(&w);
}

static void test_link_change_reaches_the_config_space_and_callback(void)
{
	struct dw w;
	unsigned calls = 0;
	struct vdpa_callback cb = { count_cb, &calls, NULL };
	uint16_t st = 0;
	struct vmbx_stats s;

	dw_up(&w, NULL, NULL, true);
	ops(&w)->set_config_cb(w.vdev, &cb);
	vdpa_get_config(w.vdev, 6, &st, 2);
	CU_ASSERT_EQUAL(st, VIRTIO_NET_S_LINK_UP);
	net_link_set_up(w.link, false);
	run_for(&w, ENG_US(5));
	CU_ASSERT_EQUAL(calls, 1);
	vdpa_get_config(w.vdev, 6, &st, 2);
	CU_ASSERT_EQUAL(st, 0);
	net_link_set_up(w.link, true);
	run_for(&w, ENG_US(5));
	CU_ASSERT_EQUAL(calls, 2);
	vdpa_get_config(w.vdev, 6, &st, 2);
	CU_ASSERT_EQUAL(st, VIRTIO_NET_S_LINK_UP);
	vmbx_get_stats(w.vf, &s);
	CU_ASSERT(s.link_events >= 2);
	dw_fini(&w);
}


/* ==== virtio_vdpa + virtio_net on top (the host-kernel path) ===================================== */

/*
 * The virtio-net driver negotiates, fills its receive rings, asks for both
 * queue pairs through the control queue the vendor driver emulates, and its
 * frames go round the loopback peer and come back spread over the pairs.
 */
static void test_virtio_net_over_virtio_vdpa_uses_the_emulated_control_queue(void)
{
	static const uint8_t new_mac[6] = { 0x02, 0x12, 0x34, 0x56, 0x78, 0x9a };
	struct dw w;
	struct vvd_dma_config dc;
	struct vnet *n;
	struct vmbx_steering s;
	struct vnet_stats ns;
	uint8_t mac[6], f[256], got[256];
	const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	unsigned per_q[2] = { 0, 0 }, bad = 0;

	dw_hw(&w, "max_vqs=4", true);
	dw_probe(&w, false);
	vvd_default_dma_config(&dc);
	dc.host_mem.read = mem_acc_read;
	dc.host_mem.write = mem_acc_write;
	dc.host_mem.ctx = w.mem;
	dc.pa_base = 0x80000000ULL; /* the device's passthrough: IOVA == PA */
	dc.size = 32ULL << 20;
	CU_ASSERT_EQUAL_FATAL(vvd_register_driver(w.sim, &dc), 0);
	CU_ASSERT_EQUAL_FATAL(vnet_register_driver(w.sim, NULL), 0);
	dw_add(&w, "max_vqp 2");
	n = vnet_find(w.sim, "vdpa0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	run_for(&w, ENG_US(200));
	CU_ASSERT_EQUAL(vnet_queue_pairs(n), 2);
	CU_ASSERT_TRUE(vnet_link_up(n));
	CU_ASSERT(!!(vnet_features(n) & BIT(VIRTIO_F_RING_PACKED)));
	CU_ASSERT_EQUAL(vmbx_query_steering(w.vf, &s), 0);
	CU_ASSERT_EQUAL(s.rx_queues, 2);
	vnet_mac(n, mac);
	for (uint16_t i = 0; i < 32; i++) {
		struct net_test_hdr th = { .flow = i, .len = 200, .seq = 0 };

		CU_ASSERT_EQUAL_FATAL(net_frame_build(f, sizeof(f), 200, mac, src, &th), 0);
		CU_ASSERT_EQUAL(vnet_send(n, i % 2, f, 200), 0);
	}
	run_for(&w, ENG_US(200));
	for (uint16_t q = 0; q < 2; q++) {
		uint32_t len = 0;

		while (vnet_recv(n, q, got, sizeof(got), &len) == 0) {
			struct net_test_hdr th;

			per_q[q]++;
			if (len != 200 || net_frame_parse_seq(got, len, &th) ||
			    net_frame_check_payload(got, len, &th))
				bad++;
		}
	}
	CU_ASSERT_EQUAL(per_q[0] + per_q[1], 32);
	CU_ASSERT(per_q[0] > 0 && per_q[1] > 0); /* spread by flow */
	CU_ASSERT_EQUAL(bad, 0);
	/* MAC and RX mode through the control queue */
	CU_ASSERT_EQUAL(vnet_set_mac(n, new_mac), 0);
	CU_ASSERT_EQUAL(vnet_set_rx_mode(n, true, false), 0);
	run_for(&w, ENG_US(200));
	CU_ASSERT_EQUAL(vmbx_query_steering(w.vf, &s), 0);
	CU_ASSERT_EQUAL(memcmp(s.mac, new_mac, 6), 0);
	CU_ASSERT_TRUE(s.promisc);
	vnet_stats(n, &ns);
	CU_ASSERT_EQUAL(ns.ctrl_err, 0);
	CU_ASSERT(ns.ctrl_ok >= 4);
	CU_ASSERT_EQUAL(devh_errors(w.dh), 0);
	CU_ASSERT_EQUAL(devh_violations(w.dh), 0);
	dw_fini(&w);
}

CU_MAIN("vdpa_mbx", CU_TEST_ENTRY(test_probe_reads_caps_enables_msix_and_registers_mgmtdev),
	CU_TEST_ENTRY(test_probe_refuses_foreign_functions_and_missing_platform),
	CU_TEST_ENTRY(test_polled_commands_complete_without_interrupts),
	CU_TEST_ENTRY(test_exec_maps_firmware_statuses_to_errnos),
	CU_TEST_ENTRY(test_dev_add_validates_provisioning_and_allows_one_device),
	CU_TEST_ENTRY(test_driver_features_need_access_platform_and_mq_needs_ctrl_vq),
	CU_TEST_ENTRY(test_queue_indices_follow_the_negotiated_features),
	CU_TEST_ENTRY(test_driver_ok_creates_objects_and_reset_destroys_them),
	CU_TEST_ENTRY(test_driver_ok_failure_sets_failed),
	CU_TEST_ENTRY(test_set_vq_state_refused_while_rdy_and_applied_at_resume),
	CU_TEST_ENTRY(test_state_set_before_driver_ok_starts_the_object_there),
	CU_TEST_ENTRY(test_resume_is_absent_without_the_device_capability),
	CU_TEST_ENTRY(test_ctrl_vq_commands_reach_the_steering_and_are_acked),
	CU_TEST_ENTRY(test_ctrl_vq_uses_the_address_space_of_its_group),
	CU_TEST_ENTRY(test_set_map_programs_the_iommu_domain_by_difference),
	CU_TEST_ENTRY(test_loopback_frames_byte_exact_split_observer_silent),
	CU_TEST_ENTRY(test_loopback_frames_byte_exact_packed_observer_silent),
	CU_TEST_ENTRY(test_vhost_suspend_get_vring_base_then_restore_split),
	CU_TEST_ENTRY(test_vhost_suspend_get_vring_base_then_restore_packed),
	CU_TEST_ENTRY(test_malformed_ring_sets_needs_reset_and_signals_config),
	CU_TEST_ENTRY(test_link_change_reaches_the_config_space_and_callback),
	CU_TEST_ENTRY(test_virtio_net_over_virtio_vdpa_uses_the_emulated_control_queue));
