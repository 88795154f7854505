// SPDX-License-Identifier: MIT
/* Device host: the plugin ABI's host services over the platform, checked with a
 * tiny in-test plugin (DMA through the IOMMU, timers, MSI-X, ports, observers,
 * errors, the PCI cfg access capability) and the descriptor checks/loader. */
#include "sim/devhost/devhost.h"
#include "sim/engine/engine.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/mem.h"
#include "sim/net/net.h"
#include "sim/pcie/pcie.h"
#include "tests/unit/cu_main.h"
#include "vdpasim/uapi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- The test plugin -------------------------------------------------------------------- */

#define TP_NVEC 4
#define TP_REG_SCRATCH 0x10

struct tp {
	const struct vdpasim_host_ops *ops;
	void *host;
	uint64_t scratch;
	unsigned resets;
	unsigned fired;
	uint64_t fired_arg[16];
	sim_time_t fired_at[16];
	uint64_t rearm_handle;
	unsigned rx;
	uint8_t rx_frame[2048];
	uint32_t rx_len;
	unsigned tx_ready;
	char carrier[64];
	unsigned controls;
};

static int tp_create(const struct vdpasim_host_ops *ops, void *host, const char *options,
		     struct vdpasim_pci_layout *l, void **dev)
{
	struct tp *t;
	struct vdpasim_vendor_cap *c;

	if (strcmp(options, "") && strcmp(options, "ports=1"))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ops = ops;
	t->host = host;
	l->vendor_id = 0x1234;
	l->device_id = 0x5678;
	l->subsys_vendor_id = 0x1234;
	l->subsys_id = 0x0042;
	l->class_code = 0x020000;
	l->revision = 3;
	l->link_gen = 4;
	l->link_width = 16;
	l->max_payload = 512;
	l->bars[0].size = 4096;
	l->bars[2].size = 4096;
	l->msix_vectors = TP_NVEC;
	l->msix_table_bar = 2;
	l->msix_pba_bar = 2;
	l->msix_pba_offset = 0x800;
	l->nr_vendor_caps = 2;
	c = &l->vendor_caps[0];
	c->len = 8;
	c->bytes[2] = 8;
	c->bytes[3] = 0x77;
	c->bytes[4] = 0xAB;
	c = &l->vendor_caps[1];
	c->len = 20;
	c->bytes[2] = 20;
	c->bytes[3] = VIRTIO_PCI_CAP_PCI_CFG;
	l->nr_net_ports = strcmp(options, "ports=1") ? 0 : 1;
	*dev = t;
	return 0;
}

static void tp_destroy(void *dev)
{
	free(dev);
}

static uint64_t tp_mmio_read(void *dev, uint8_t bar, uint64_t off, uint8_t size)
{
	struct tp *t = dev;

	(void)size;
	if (bar == 0 && off == TP_REG_SCRATCH)
		return t->scratch;
	return 0xdead;
}

static void tp_mmio_write(void *dev, uint8_t bar, uint64_t off, uint8_t size, uint64_t v)
{
	struct tp *t = dev;

	(void)size;
	if (bar == 0 && off == TP_REG_SCRATCH)
		t->scratch = v;
}

static void tp_reset(void *dev)
{
	((struct tp *)dev)->resets++;
}

static void tp_net_rx(void *dev, uint32_t port, const void *frame, uint32_t len)
{
	struct tp *t = dev;

	(void)port;
	t->rx++;
	t->rx_len = len;
	memcpy(t->rx_frame, frame, len < sizeof(t->rx_frame) ? len : sizeof(t->rx_frame));
}

static void tp_net_tx_ready(void *dev, uint32_t port)
{
	(void)port;
	((struct tp *)dev)->tx_ready++;
}

static int tp_control(void *dev, const char *cmd, char *reply, uint32_t len)
{
	struct tp *t = dev;

	(void)reply;
	(void)len;
	t->controls++;
	if (!strncmp(cmd, "carrier", 7)) {
		snprintf(t->carrier, sizeof(t->carrier), "%s", cmd);
		return 0;
	}
	return -EOPNOTSUPP;
}

static const struct vdpasim_device_plugin tp_plugin = {
	.abi_version = VDPASIM_PLUGIN_ABI_VERSION,
	.size = sizeof(struct vdpasim_device_plugin),
	.name = "tp",
	.vendor = "tests",
	.description = "devhost test plugin",
	.model_version = "1",
	.create = tp_create,
	.destroy = tp_destroy,
	.mmio_read = tp_mmio_read,
	.mmio_write = tp_mmio_write,
	.reset = tp_reset,
	.net_rx = tp_net_rx,
	.net_tx_ready = tp_net_tx_ready,
	.control = tp_control,
};

/* ---- World ------------------------------------------------------------------------------ */

struct irq_log {
	unsigned n;
	uint32_t data[16];
	sim_time_t when[16];
	struct sim *sim;
};

struct world {
	struct sim *sim;
	struct mem *mem;
	struct iommu *io;
	struct iommu_domain *dom;
	struct pcie_rc *rc;
	struct devh *dh;
	struct tp *tp;
	struct pcie_host_fn hf;
	struct irq_log irq;
};

static void on_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct irq_log *l = ctx;

	(void)addr;
	if (l->n < 16) {
		l->data[l->n] = data;
		l->when[l->n++] = eng_now(l->sim);
	}
}

static void world_init(struct world *w, const char *options)
{
	unsigned n = 0;

	memset(w, 0, sizeof(*w));
	w->sim = eng_sim_new(1, 0);
	w->mem = mem_new(1ULL << 32);
	w->io = iommu_new(w->sim, NULL);
	w->dom = iommu_domain_new(w->io, IOMMU_DOMAIN_PAGING);
	w->rc = pcie_rc_new(w->sim, w->mem, w->io, NULL);
	CU_ASSERT_FATAL(w->sim && w->mem && w->io && w->dom && w->rc);
	CU_ASSERT_EQUAL_FATAL(devh_create(w->sim, w->rc, 2, &tp_plugin, options, "t0", &w->dh), 0);
	w->tp = devh_dev(w->dh);
	CU_ASSERT_EQUAL_FATAL(iommu_attach(w->io, pcie_fn_bdf(devh_fn(w->dh)), 0, w->dom), 0);
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(w->rc, 0xE0000000, 0x1000000, &w->hf, 1, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	w->irq.sim = w->sim;
	pcie_rc_set_msi_handler(w->rc, on_msi, &w->irq);
}

static void world_fini(struct world *w)
{
	devh_destroy(w->dh);
	pcie_rc_free(w->rc);
	iommu_free(w->io);
	mem_free(w->mem);
	eng_sim_free(w->sim);
}

/* ---- Tests ------------------------------------------------------------------------------ */

static void test_layout_becomes_pcie_function_with_caps(void)
{
	struct world w;
	uint32_t v = 0;
	int cap;

	world_init(&w, NULL);
	CU_ASSERT_EQUAL(w.hf.vendor_id, 0x1234);
	CU_ASSERT_EQUAL(w.hf.device_id, 0x5678);
	CU_ASSERT_EQUAL(w.hf.subsys_id, 0x0042);
	CU_ASSERT_EQUAL(w.hf.class_code, 0x020000);
	CU_ASSERT_EQUAL(w.hf.revision, 3);
	CU_ASSERT_EQUAL(w.hf.bar[0].size, 4096);
	CU_ASSERT_EQUAL(w.hf.bar[2].size, 4096);
	CU_ASSERT_EQUAL(w.tp->resets, 1); /* power-on */
	cap = pcie_find_cap(&w.hf, PCI_CAP_ID_VNDR, 0);
	CU_ASSERT(cap > 0);
	pcie_host_cfg_read(&w.hf, (uint16_t)cap, 4, &v);
	CU_ASSERT_EQUAL((v >> 16) & 0xff, 8);
	CU_ASSERT_EQUAL((v >> 24) & 0xff, 0x77);
	pcie_host_cfg_read(&w.hf, (uint16_t)(cap + 4), 1, &v);
	CU_ASSERT_EQUAL(v, 0xAB);
	cap = pcie_find_cap(&w.hf, PCI_CAP_ID_VNDR, (uint8_t)cap);
	CU_ASSERT(cap > 0);
	CU_ASSERT(pcie_find_cap(&w.hf, PCI_CAP_ID_MSIX, 0) > 0);
	CU_ASSERT(pcie_find_cap(&w.hf, PCI_CAP_ID_EXP, 0) > 0);
	CU_ASSERT_STRING_EQUAL(devh_name(w.dh), "t0");
	world_fini(&w);
}

static void test_mmio_reaches_plugin_and_flr_resets_it(void)
{
	struct world w;
	uint64_t v = 0;
	int exp;

	world_init(&w, NULL);
	CU_ASSERT_EQUAL(pcie_mmio_write(w.rc, w.hf.bar[0].addr + TP_REG_SCRATCH, 4, 0x5a5a, NULL),
			0);
	CU_ASSERT_EQUAL(w.tp->scratch, 0x5a5a);
	CU_ASSERT_EQUAL(pcie_mmio_read(w.rc, w.hf.bar[0].addr + TP_REG_SCRATCH, 4, &v, NULL), 0);
	CU_ASSERT_EQUAL(v, 0x5a5a);
	exp = pcie_find_cap(&w.hf, PCI_CAP_ID_EXP, 0);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&w.hf, (uint16_t)(exp + PCI_EXP_DEVCTL), 2,
					    PCI_EXP_DEVCTL_BCR_FLR), 0);
	CU_ASSERT_EQUAL(w.tp->resets, 2);
	world_fini(&w);
}

static void test_pci_cfg_capability_performs_bar_access(void)
{
	struct world w;
	uint32_t v = 0;
	int cap;

	world_init(&w, NULL);
	cap = pcie_find_cap(&w.hf, PCI_CAP_ID_VNDR, 0);
	cap = pcie_find_cap(&w.hf, PCI_CAP_ID_VNDR, (uint8_t)cap);
	CU_ASSERT_FATAL(cap > 0);
	w.tp->scratch = 0x11223344;
	pcie_host_cfg_write(&w.hf, (uint16_t)(cap + 4), 1, 0);			/* bar */
	pcie_host_cfg_write(&w.hf, (uint16_t)(cap + 8), 4, TP_REG_SCRATCH);	/* offset */
	pcie_host_cfg_write(&w.hf, (uint16_t)(cap + 12), 4, 4);		/* length */
	CU_ASSERT_EQUAL(pcie_host_cfg_read(&w.hf, (uint16_t)(cap + 16), 4, &v), 0);
	CU_ASSERT_EQUAL(v, 0x11223344);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&w.hf, (uint16_t)(cap + 16), 4, 0xCAFE), 0);
	CU_ASSERT_EQUAL(w.tp->scratch, 0xCAFE);
	/* the id byte is read-only; the cap header still reads as the layer built it */
	pcie_host_cfg_write(&w.hf, (uint16_t)(cap + 5), 1, 0x99);
	pcie_host_cfg_read(&w.hf, (uint16_t)(cap + 4), 4, &v);
	CU_ASSERT_EQUAL((v >> 8) & 0xff, 0);
	pcie_host_cfg_read(&w.hf, (uint16_t)cap, 4, &v);
	CU_ASSERT_EQUAL(v & 0xff, PCI_CAP_ID_VNDR);
	CU_ASSERT_EQUAL((v >> 24) & 0xff, VIRTIO_PCI_CAP_PCI_CFG);
	/* a length the BAR cannot do does nothing */
	pcie_host_cfg_write(&w.hf, (uint16_t)(cap + 12), 4, 3);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&w.hf, (uint16_t)(cap + 16), 4, 0x1), 0);
	CU_ASSERT_EQUAL(w.tp->scratch, 0xCAFE);
	world_fini(&w);
}

static void test_dma_goes_through_iommu_and_blocked_dma_is_efault(void)
{
	struct world w;
	uint8_t out[6000], in[6000];
	uint64_t t = ENG_NS(10), v = 0;
	const struct vdpasim_host_ops *o;
	struct pcie_fn_stats st;

	world_init(&w, NULL);
	o = w.tp->ops;
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + 1);
	CU_ASSERT_EQUAL(iommu_map(w.dom, 0x100000, 0x4000000, 0x2000, IOMMU_READ | IOMMU_WRITE),
			0);
	CU_ASSERT_EQUAL(o->dma_write(w.tp->host, 0x100010, out, sizeof(out), &t), 0);
	CU_ASSERT(t > ENG_NS(10));
	CU_ASSERT_EQUAL(mem_read_le64(w.mem, 0x4000010, &v), 0);
	CU_ASSERT_EQUAL(v & 0xff, out[0]);
	t = 0;
	CU_ASSERT_EQUAL(o->dma_read(w.tp->host, 0x100010, in, sizeof(in), &t), 0);
	CU_ASSERT(t >= ENG_NS(500)); /* a read round trip */
	CU_ASSERT_EQUAL(memcmp(in, out, sizeof(in)), 0);
	/* crosses into an unmapped page: refused whole, time untouched */
	t = ENG_NS(3);
	CU_ASSERT_EQUAL(o->dma_read(w.tp->host, 0x101f00, in, 0x200, &t), -EFAULT);
	CU_ASSERT_EQUAL(t, ENG_NS(3));
	CU_ASSERT_EQUAL(o->dma_write(w.tp->host, 0x900000, out, 4, &t), -EFAULT);
	CU_ASSERT_EQUAL(iommu_fault_count(w.io), 2);
	/* bus mastering off is a refusal too */
	pcie_host_cfg_write(&w.hf, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CU_ASSERT_EQUAL(o->dma_read(w.tp->host, 0x100010, in, 4, &t), -EFAULT);
	pcie_fn_stats(devh_fn(w.dh), &st);
	CU_ASSERT_EQUAL(st.dma_reads, 1);
	CU_ASSERT_EQUAL(st.dma_writes, 1);
	world_fini(&w);
}

static void tp_timer(void *dev, uint64_t arg)
{
	struct tp *t = dev;

	if (t->fired < 16) {
		t->fired_arg[t->fired] = arg;
		t->fired_at[t->fired] = t->ops->now(t->host);
	}
	t->fired++;
	/* re-arming from the callback works */
	if (arg == 1)
		t->rearm_handle = t->ops->timer_add(t->host, t->ops->now(t->host) + ENG_NS(5),
						    tp_timer, 99);
}

static void test_timers_fire_at_their_time_and_cancel_by_handle(void)
{
	struct world w;
	const struct vdpasim_host_ops *o;
	uint64_t a, b, c;

	world_init(&w, NULL);
	o = w.tp->ops;
	a = o->timer_add(w.tp->host, ENG_NS(100), tp_timer, 1);
	b = o->timer_add(w.tp->host, ENG_NS(50), tp_timer, 2);
	c = o->timer_add(w.tp->host, ENG_NS(70), tp_timer, 3);
	CU_ASSERT(a && b && c && a != b && b != c);
	CU_ASSERT_EQUAL(o->timer_cancel(w.tp->host, c), 0);
	CU_ASSERT_EQUAL(o->timer_cancel(w.tp->host, c), -ENOENT);
	CU_ASSERT_EQUAL(o->timer_cancel(w.tp->host, 0), -ENOENT);
	eng_run_until(w.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(w.tp->fired, 3);
	CU_ASSERT_EQUAL(w.tp->fired_arg[0], 2);
	CU_ASSERT_EQUAL(w.tp->fired_at[0], ENG_NS(50));
	CU_ASSERT_EQUAL(w.tp->fired_arg[1], 1);
	CU_ASSERT_EQUAL(w.tp->fired_at[1], ENG_NS(100));
	CU_ASSERT_EQUAL(w.tp->fired_arg[2], 99);
	CU_ASSERT_EQUAL(w.tp->fired_at[2], ENG_NS(105));
	/* handles of timers that ran are stale, even when their slot is reused */
	CU_ASSERT_EQUAL(o->timer_cancel(w.tp->host, a), -ENOENT);
	c = o->timer_add(w.tp->host, ENG_NS(200), tp_timer, 4);
	CU_ASSERT_EQUAL(o->timer_cancel(w.tp->host, b), -ENOENT);
	CU_ASSERT_EQUAL(o->now(w.tp->host), ENG_NS(105));
	/* a pending timer at destroy is cancelled (ASan would see a use after free) */
	world_fini(&w);
}

static void test_msix_send_maps_platform_errors(void)
{
	struct world w;
	const struct vdpasim_host_ops *o;
	int cap = 0;
	uint32_t ctl = 0;

	world_init(&w, NULL);
	o = w.tp->ops;
	CU_ASSERT_EQUAL(o->msix_send(w.tp->host, 1, 0), -EAGAIN); /* not enabled */
	for (unsigned v = 0; v < TP_NVEC; v++) {
		uint64_t e = w.hf.bar[2].addr + v * PCI_MSIX_ENTRY_SIZE;

		pcie_mmio_write(w.rc, e + PCI_MSIX_ENTRY_LOWER_ADDR, 8, 0xFEE00000, NULL);
		pcie_mmio_write(w.rc, e + PCI_MSIX_ENTRY_DATA, 4, 0x40 + v, NULL);
		pcie_mmio_write(w.rc, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0, NULL);
	}
	cap = pcie_find_cap(&w.hf, PCI_CAP_ID_MSIX, 0);
	pcie_host_cfg_read(&w.hf, (uint16_t)(cap + PCI_MSIX_FLAGS), 2, &ctl);
	pcie_host_cfg_write(&w.hf, (uint16_t)(cap + PCI_MSIX_FLAGS), 2,
			    ctl | PCI_MSIX_FLAGS_ENABLE);
	CU_ASSERT_EQUAL(o->msix_send(w.tp->host, 2, ENG_US(1)), 0);
	CU_ASSERT_EQUAL(o->msix_send(w.tp->host, TP_NVEC, 0), -EINVAL);
	eng_run_until(w.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(w.irq.n, 1);
	CU_ASSERT_EQUAL(w.irq.data[0], 0x42);
	CU_ASSERT(w.irq.when[0] > ENG_US(1));
	world_fini(&w);
}

static void test_stats_log_trace_and_rng_are_per_instance(void)
{
	struct world w;
	const struct vdpasim_host_ops *o;
	struct eng_rng r;

	world_init(&w, NULL);
	o = w.tp->ops;
	o->stat_add(w.tp->host, "rx_drops", 3);
	o->stat_add(w.tp->host, "rx_drops", 2);
	CU_ASSERT_EQUAL(eng_stat_get(w.sim, "dev.t0.rx_drops"), 5);
	o->log(w.tp->host, VDPASIM_LOG_WARN, "queue 3 is odd");
	CU_ASSERT_EQUAL(devh_log_count(w.dh, VDPASIM_LOG_WARN), 1);
	CU_ASSERT_STRING_EQUAL(devh_last_log(w.dh), "queue 3 is odd");
	eng_trace_hash_only(w.sim);
	o->trace(w.tp->host, "kick", "q=1");
	CU_ASSERT_EQUAL(eng_trace_records(w.sim), 1);
	eng_rng_stream(w.sim, "t0", &r);
	CU_ASSERT_EQUAL(o->rng_next(w.tp->host), eng_rng_next(&r));
	CU_ASSERT_EQUAL(o->rng_next(w.tp->host), eng_rng_next(&r));
	world_fini(&w);
}

static void test_net_port_sends_at_given_time_and_routes_rx_and_carrier(void)
{
	struct world w;
	const struct vdpasim_host_ops *o;
	struct net_loopback *lb;
	struct net_link *link;
	struct net_link_cfg lc = { .rate_bps = NET_RATE_100G };
	uint8_t f[128];
	int r = 0;
	unsigned sent = 0;

	world_init(&w, "ports=1");
	o = w.tp->ops;
	CU_ASSERT_EQUAL(devh_net_ports(w.dh), 1);
	CU_ASSERT_STRING_EQUAL(w.tp->carrier, "carrier0=down");
	CU_ASSERT_EQUAL(net_loopback_new(w.sim, NULL, &lb), 0);
	CU_ASSERT_EQUAL(net_link_new(w.sim, &lc, devh_net_port(w.dh, 0), net_loopback_port(lb),
				     &link), 0);
	CU_ASSERT_STRING_EQUAL(w.tp->carrier, "carrier0=up");
	memset(f, 0xA5, sizeof(f));
	CU_ASSERT_EQUAL(o->net_send(w.tp->host, 0, f, sizeof(f), ENG_US(1)), 0);
	CU_ASSERT(o->net_tx_free_at(w.tp->host, 0) >= ENG_US(1) + net_wire_ps(NET_RATE_100G, 128));
	eng_run_until(w.sim, ENG_NS(999));
	CU_ASSERT_EQUAL(w.tp->rx, 0);
	eng_run_until(w.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(w.tp->rx, 1);
	CU_ASSERT_EQUAL(w.tp->rx_len, 128);
	CU_ASSERT_EQUAL(w.tp->rx_frame[0], 0xA5);
	CU_ASSERT_EQUAL(eng_now(w.sim), ENG_US(1) + 2 * net_wire_ps(NET_RATE_100G, 128));
	/* fill the FIFO: -ENOBUFS, then tx_ready once it drains */
	for (unsigned i = 0; i < 2 * DEVH_NET_FIFO && r == 0; i++) {
		r = o->net_send(w.tp->host, 0, f, sizeof(f), eng_now(w.sim) + ENG_US(10));
		sent += r == 0;
	}
	CU_ASSERT_EQUAL(r, -ENOBUFS);
	CU_ASSERT_EQUAL(sent, DEVH_NET_FIFO);
	CU_ASSERT_EQUAL(w.tp->tx_ready, 0);
	eng_run_until(w.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(w.tp->tx_ready, 1);
	CU_ASSERT_EQUAL(w.tp->rx, 1 + DEVH_NET_FIFO);
	CU_ASSERT_EQUAL(devh_net_dropped(w.dh, 0), 0);
	/* link down: frames handed over are lost and counted, not refused */
	net_link_set_up(link, false);
	CU_ASSERT_STRING_EQUAL(w.tp->carrier, "carrier0=down");
	CU_ASSERT_EQUAL(o->net_send(w.tp->host, 0, f, sizeof(f), eng_now(w.sim)), 0);
	CU_ASSERT_EQUAL(devh_net_dropped(w.dh, 0), 1);
	CU_ASSERT_EQUAL(o->net_tx_free_at(w.tp->host, 0), ENG_TIME_MAX);
	CU_ASSERT_EQUAL(o->net_send(w.tp->host, 1, f, sizeof(f), 0), -EINVAL);
	net_link_free(link);
	net_loopback_free(lb);
	world_fini(&w);
}

static void test_observer_follows_queue_enable_and_counts_device_violations(void)
{
	struct world w;
	const struct vdpasim_host_ops *o;
	uint8_t b[2] = { 1, 0 };
	uint64_t t = 0;
	char text[160];

	world_init(&w, NULL);
	o = w.tp->ops;
	CU_ASSERT_EQUAL(iommu_map(w.dom, 0x200000, 0x200000, 0x10000, IOMMU_READ | IOMMU_WRITE),
			0);
	CU_ASSERT_PTR_NULL(devh_observer(w.dh, 0));
	/* split ring of 8: desc 0x200000, avail 0x201000, used 0x202000 */
	o->queue_enabled(w.tp->host, 0, 8, 0, 0x200000, 0x201000, 0x202000,
			 1ULL << VIRTIO_F_VERSION_1);
	CU_ASSERT_PTR_NOT_NULL(devh_observer(w.dh, 0));
	/* buffers the device reads outside any ring are not its business */
	CU_ASSERT_EQUAL(o->dma_read(w.tp->host, 0x208000, text, 64, &t), 0);
	CU_ASSERT_EQUAL(devh_violations(w.dh), 0);
	/* the device writing the available ring breaks SPLIT-DEV-V03 */
	CU_ASSERT_EQUAL(o->dma_write(w.tp->host, 0x201002, b, 2, &t), 0);
	CU_ASSERT(devh_violations(w.dh) > 0);
	CU_ASSERT(devh_violations_level(w.dh, VQ_MUST) > 0);
	CU_ASSERT_EQUAL(devh_violation_text(w.dh, 0, text, sizeof(text)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "SPLIT-DEV-V03"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "q0"));
	/* retired observers keep their count */
	o->queue_disabled(w.tp->host, 0);
	CU_ASSERT_PTR_NULL(devh_observer(w.dh, 0));
	CU_ASSERT(devh_violations(w.dh) > 0);
	world_fini(&w);
}

static void test_device_errors_are_recorded(void)
{
	struct world w;
	struct devh_error e;

	world_init(&w, NULL);
	CU_ASSERT_EQUAL(devh_errors(w.dh), 0);
	w.tp->ops->device_error(w.tp->host, 3, "DESC_LOOP", "head 5");
	CU_ASSERT_EQUAL(devh_errors(w.dh), 1);
	CU_ASSERT_EQUAL(devh_error_get(w.dh, 0, &e), 0);
	CU_ASSERT_EQUAL(e.qid, 3);
	CU_ASSERT_STRING_EQUAL(e.violation, "DESC_LOOP");
	CU_ASSERT_STRING_EQUAL(e.detail, "head 5");
	CU_ASSERT_EQUAL(devh_error_get(w.dh, 1, &e), -ENOENT);
	CU_ASSERT_EQUAL(eng_stat_get(w.sim, "dev.t0.device_errors"), 1);
	world_fini(&w);
}

static void test_control_passes_through(void)
{
	struct world w;
	char reply[16];

	world_init(&w, NULL);
	CU_ASSERT_EQUAL(devh_control(w.dh, "nonsense=1", reply, sizeof(reply)), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(w.tp->controls, 1);
	world_fini(&w);
}

static void test_descriptor_checks_refuse_wrong_abi_size_and_missing_callbacks(void)
{
	struct vdpasim_device_plugin p = tp_plugin;
	struct sim *sim = eng_sim_new(1, 0);
	struct mem *mem = mem_new(1ULL << 24);
	struct pcie_rc *rc = pcie_rc_new(sim, mem, NULL, NULL);
	struct devh *dh = NULL;
	char err[256];

	CU_ASSERT_EQUAL(devh_plugin_check(&p, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	p.abi_version = 2;
	CU_ASSERT_EQUAL(devh_plugin_check(&p, err, sizeof(err)), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ABI version 2"));
	CU_ASSERT_EQUAL(devh_create(sim, rc, 1, &p, NULL, NULL, &dh), -EPROTO);
	CU_ASSERT_PTR_NULL(dh);
	p = tp_plugin;
	p.size = 16;
	CU_ASSERT_EQUAL(devh_plugin_check(&p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "size 16"));
	p = tp_plugin;
	p.mmio_write = NULL;
	CU_ASSERT_EQUAL(devh_plugin_check(&p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'tp'"));
	CU_ASSERT_EQUAL(devh_create(sim, rc, 1, &p, NULL, NULL, &dh), -EINVAL);
	/* the model's own create error comes back, the slot stays free */
	CU_ASSERT_EQUAL(devh_create(sim, rc, 1, &tp_plugin, "bogus=1", NULL, &dh), -EINVAL);
	CU_ASSERT_EQUAL(devh_create(sim, rc, 1, &tp_plugin, NULL, NULL, &dh), 0);
	CU_ASSERT_STRING_EQUAL(devh_name(dh), "tp1");
	/* the slot is taken now */
	{
		struct devh *dh2 = NULL;

		CU_ASSERT_EQUAL(devh_create(sim, rc, 1, &tp_plugin, NULL, "x", &dh2), -EBUSY);
	}
	devh_destroy(dh);
	pcie_rc_free(rc);
	mem_free(mem);
	eng_sim_free(sim);
}

static void test_loader_reports_missing_file_and_missing_symbol(void)
{
	const struct vdpasim_device_plugin *p = (const void *)1;
	char err[512];

	CU_ASSERT_EQUAL(devh_plugin_load("/nonexistent/libnope.so", &p, err, sizeof(err)),
			-ENOENT);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/libnope.so"));
	/* a real shared object without the descriptor symbol */
	CU_ASSERT_EQUAL(devh_plugin_load("libm.so.6", &p, err, sizeof(err)), -ENOEXEC);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, VDPASIM_PLUGIN_SYMBOL));
	CU_ASSERT_EQUAL(devh_plugin_load(NULL, &p, err, sizeof(err)), -EINVAL);
}

CU_MAIN("devhost", CU_TEST_ENTRY(test_layout_becomes_pcie_function_with_caps),
	CU_TEST_ENTRY(test_mmio_reaches_plugin_and_flr_resets_it),
	CU_TEST_ENTRY(test_pci_cfg_capability_performs_bar_access),
	CU_TEST_ENTRY(test_dma_goes_through_iommu_and_blocked_dma_is_efault),
	CU_TEST_ENTRY(test_timers_fire_at_their_time_and_cancel_by_handle),
	CU_TEST_ENTRY(test_msix_send_maps_platform_errors),
	CU_TEST_ENTRY(test_stats_log_trace_and_rng_are_per_instance),
	CU_TEST_ENTRY(test_net_port_sends_at_given_time_and_routes_rx_and_carrier),
	CU_TEST_ENTRY(test_observer_follows_queue_enable_and_counts_device_violations),
	CU_TEST_ENTRY(test_device_errors_are_recorded), CU_TEST_ENTRY(test_control_passes_through),
	CU_TEST_ENTRY(test_descriptor_checks_refuse_wrong_abi_size_and_missing_callbacks),
	CU_TEST_ENTRY(test_loader_reports_missing_file_and_missing_symbol));
