// SPDX-License-Identifier: MIT
/*
 * The IFCVF model (sim/nic_ifcvf) as the host sees it through the device host
 * (sim/devhost) and the PCIe layer (sim/pcie): configuration cycles
 * (pcie_cfg_read/write of any offset, size and value: BAR sizing, capability
 * list, MSI-X control, the virtio PCI cfg access window, FLR), MMIO to BAR0
 * (common cfg, notify, ISR, device cfg, MSI-X table and PBA) and BAR4 (the
 * live-migration window), anywhere in the MMIO window, slot resets, control
 * commands, and simulated time, so that the datapath runs on whatever the
 * input wrote into the rings in guest memory (IOMMU-mapped, with unmapped
 * parts).
 *
 * Input: byte 0 picks the instance options (queue pairs 1..4, queue size
 * 2..64, MSI-X vectors); then up to IFC_MAX_OPS operations, one byte each plus
 * arguments.  One op brings the device up the way a driver does (features,
 * queues in guest memory, MSI-X, DRIVER_OK) so that garbage rings are reached.
 *
 * Oracles (beyond the sanitizers; the model never aborts on host input):
 *  - the identity dword (vendor/device id) reads back unchanged whatever was
 *    written; config accesses return 0, -EINVAL (bad size/alignment) or
 *    -ENODEV (no function there), MMIO 0, -EINVAL or -ENODEV;
 *  - a device error the model reports (a malformed ring, a DMA fault) leaves
 *    DEVICE_NEEDS_RESET in its status;
 *  - the engine's events per simulated time stay bounded (no event storm);
 *  - time always reaches the end of each run (no hang: -timeout).
 *
 * The second vendor model (sim/nic_mbx, in progress) gets the same harness
 * shape as fuzz_mbx_mmio.c once it lands (README, "Harnesses to write").
 */
#include "sim/devhost/devhost.h"
#include "sim/engine/engine.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/mem.h"
#include "sim/net/net.h"
#include "sim/nic_ifcvf/nic_ifcvf.h"
#include "sim/pcie/pcie.h"
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <inttypes.h>

#define IFC_MAX_OPS 160
#define SLOT 3
#define IOVA_BASE 0x40000000ULL
#define PA_BASE 0x200000000ULL
#define IOVA_SIZE (1ULL << 20)
#define MMIO_BASE 0xE0000000ULL
#define MMIO_SIZE 0x10000000ULL
#define MSI_ADDR 0xFEE00000ULL

struct w {
	struct sim *sim;
	struct mem *mem;
	struct iommu *io;
	struct iommu_domain *dom;
	struct pcie_rc *rc;
	struct devh *dh;
	struct pcie_host_fn hf;
	struct net_loopback *lb;
	struct net_link *link;
	uint16_t bdf;
	unsigned nq;
	uint32_t id_dword;
	uint64_t msis;
	bool print, strict; /* FUZZ_IFC_PRINT, FUZZ_IFC_STRICT */
};

static void on_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct w *w = ctx;

	(void)addr;
	(void)data;
	w->msis++;
}

/* Where BAR `bar` decodes now (the input may have moved it). */
static uint64_t bar_addr(struct w *w, unsigned bar, struct fz *in)
{
	if (fz_u8(in) < 0xf0)
		return pcie_fn_bar_addr(devh_fn(w->dh), bar);
	return w->hf.bar[bar].addr;
}

/* 3 is never a valid size: the layers must refuse it */
static unsigned pick_size(struct fz *in, bool mmio)
{
	static const unsigned sizes[] = { 4, 1, 2, 3, 8 };

	return sizes[fz_below(in, mmio ? 5 : 4)];
}

static uint8_t dev_status(struct w *w)
{
	char reply[256];
	const char *p;

	FUZZ_CHECK(devh_control(w->dh, "status=1", reply, sizeof(reply)) == 0);
	p = strstr(reply, "status=");
	FUZZ_CHECK(p);
	return (uint8_t)strtoul(p + 7, NULL, 16);
}

/* ---- config space --------------------------------------------------------------------------- */

static void cfg_access(struct w *w, struct fz *in, bool write)
{
	uint8_t how = fz_u8(in);
	uint16_t bdf = how & 0x80 ? (uint16_t)fz_u16(in) : w->bdf;
	uint16_t off = fz_u16(in) % (how & 0x40 ? PCIE_CFG_SPACE : 0x100);
	unsigned size = pick_size(in, false);
	uint32_t v = 0;
	int r;

	if (!(how & 0x20))
		off &= (uint16_t)~(size - 1);
	if (write) {
		v = fz_u32(in);
		r = pcie_cfg_write(w->rc, bdf, off, size, v);
	} else {
		r = pcie_cfg_read(w->rc, bdf, off, size, &v);
	}
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENODEV);
	/* read-only identity */
	FUZZ_CHECK(pcie_cfg_read(w->rc, w->bdf, 0, 4, &v) == 0 && v == w->id_dword);
}

/* ---- MMIO ----------------------------------------------------------------------------------- */

static void mmio(struct w *w, struct fz *in)
{
	static const uint64_t regions[] = { IFCVF_COMMON_OFF,     IFCVF_NOTIFY_OFF,
					    IFCVF_ISR_OFF,        IFCVF_DEVCFG_OFF,
					    IFCVF_MSIX_TABLE_OFF, IFCVF_MSIX_PBA_OFF };
	uint8_t how = fz_u8(in);
	uint64_t addr, v = 0;
	unsigned size = pick_size(in, true);
	int r;

	switch (how & 7) {
	case 0: /* BAR4, the live-migration window */
		addr = bar_addr(w, IFCVF_BAR_LM, in) + fz_u16(in) % IFCVF_LM_SIZE;
		break;
	case 1: /* anywhere in the window */
		addr = MMIO_BASE + fz_u32(in) % MMIO_SIZE;
		break;
	default: {
		uint64_t base = regions[fz_below(in, 6)];

		addr = bar_addr(w, IFCVF_BAR_CFG, in) + base + fz_u8(in) % 0x80;
		break;
	}
	}
	if (!(how & 8))
		addr &= ~(uint64_t)(size - 1);
	if (how & 0x10) {
		v = how & 0x20 ? fz_u64(in) : fz_u8(in);
		r = pcie_mmio_write(w->rc, addr, size, v, NULL);
	} else {
		r = pcie_mmio_read(w->rc, addr, size, &v, NULL);
	}
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENODEV);
}

static void common_wr(struct w *w, unsigned off, unsigned size, uint64_t v)
{
	uint64_t base = pcie_fn_bar_addr(devh_fn(w->dh), IFCVF_BAR_CFG) + IFCVF_COMMON_OFF;
	int r = pcie_mmio_write(w->rc, base + off, size, v, NULL);

	FUZZ_CHECK(r == 0 || r == -ENODEV);
}

static uint64_t common_rd(struct w *w, unsigned off, unsigned size)
{
	uint64_t base = pcie_fn_bar_addr(devh_fn(w->dh), IFCVF_BAR_CFG) + IFCVF_COMMON_OFF;
	uint64_t v = 0;
	int r = pcie_mmio_read(w->rc, base + off, size, &v, NULL);

	FUZZ_CHECK(r == 0 || r == -ENODEV);
	return v;
}

/* A driver's bring-up with rings wherever the input says in guest memory. */
static void bring_up(struct w *w, struct fz *in)
{
	uint8_t how = fz_u8(in);
	uint64_t f = 0, table;
	uint32_t ctl = 0;
	int msix = pcie_find_cap(&w->hf, PCI_CAP_ID_MSIX, 0);

	/* decoding and bus mastering back on, in case the input turned them off */
	pcie_cfg_write(w->rc, w->bdf, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	common_wr(w, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	common_wr(w, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	common_wr(w, VIRTIO_PCI_COMMON_STATUS, 1,
		  VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	common_wr(w, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	f = common_rd(w, VIRTIO_PCI_COMMON_DF, 4);
	common_wr(w, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	f |= common_rd(w, VIRTIO_PCI_COMMON_DF, 4) << 32;
	if (how & 1)
		f &= ~(1ULL << VIRTIO_F_RING_PACKED);
	if (how & 2)
		f &= ~(1ULL << VIRTIO_F_IN_ORDER);
	if (how & 4)
		f &= ~(1ULL << VIRTIO_RING_F_EVENT_IDX);
	common_wr(w, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	common_wr(w, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)f);
	common_wr(w, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	common_wr(w, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(f >> 32));
	common_wr(w, VIRTIO_PCI_COMMON_STATUS, 1,
		  VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			  VIRTIO_CONFIG_S_FEATURES_OK);
	/* MSI-X: one vector per queue plus config, all to the host handler */
	table = pcie_fn_bar_addr(devh_fn(w->dh), IFCVF_BAR_CFG) + IFCVF_MSIX_TABLE_OFF;
	for (unsigned v = 0; v <= w->nq; v++) {
		uint64_t e = table + v * PCI_MSIX_ENTRY_SIZE;

		pcie_mmio_write(w->rc, e + PCI_MSIX_ENTRY_LOWER_ADDR, 8, MSI_ADDR, NULL);
		pcie_mmio_write(w->rc, e + PCI_MSIX_ENTRY_DATA, 4, v, NULL);
		pcie_mmio_write(w->rc, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0, NULL);
	}
	if (msix > 0) {
		pcie_cfg_read(w->rc, w->bdf, (uint16_t)(msix + PCI_MSIX_FLAGS), 2, &ctl);
		pcie_cfg_write(w->rc, w->bdf, (uint16_t)(msix + PCI_MSIX_FLAGS), 2,
			       (ctl | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL);
	}
	common_wr(w, VIRTIO_PCI_COMMON_MSIX, 2, w->nq);
	for (unsigned q = 0; q < w->nq; q++) {
		/* rings 64 KiB apart; with `how & 8` the last queue's sit past the map */
		uint64_t ring = IOVA_BASE + (uint64_t)q * 0x10000;

		if ((how & 8) && q == w->nq - 1)
			ring = IOVA_BASE + IOVA_SIZE - 0x800;
		common_wr(w, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		common_wr(w, VIRTIO_PCI_COMMON_Q_SIZE, 2, 1u << (1 + fz_below(in, 6)));
		common_wr(w, VIRTIO_PCI_COMMON_Q_MSIX, 2, q);
		common_wr(w, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)ring);
		common_wr(w, VIRTIO_PCI_COMMON_Q_DESCHI, 4, (uint32_t)(ring >> 32));
		common_wr(w, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)(ring + 0x4000));
		common_wr(w, VIRTIO_PCI_COMMON_Q_AVAILHI, 4, (uint32_t)((ring + 0x4000) >> 32));
		common_wr(w, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)(ring + 0x8000));
		common_wr(w, VIRTIO_PCI_COMMON_Q_USEDHI, 4, (uint32_t)((ring + 0x8000) >> 32));
		common_wr(w, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	}
	common_wr(w, VIRTIO_PCI_COMMON_STATUS, 1,
		  VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			  VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* A driver's notification for queue q (with notification data sometimes). */
static void kick(struct w *w, struct fz *in)
{
	uint8_t how = fz_u8(in);
	uint64_t at = pcie_fn_bar_addr(devh_fn(w->dh), IFCVF_BAR_CFG) + IFCVF_NOTIFY_OFF +
		      (uint64_t)(how % (w->nq + 1)) * IFCVF_NOTIFY_MULT;
	uint32_t v = how & 0x80 ? fz_u32(in) : how % (w->nq + 1);
	int r = pcie_mmio_write(w->rc, at, how & 0x40 ? 2 : 4, v, NULL);

	FUZZ_CHECK(r == 0 || r == -ENODEV || r == -EINVAL);
}

/* ---- guest memory, time, control ----------------------------------------------------------- */

/*
 * Known limit (reported to sim/virtio_ring): the ring observer devhost puts on
 * each queue allocates an indirect table of the length a descriptor claims
 * (up to 4 GiB) and its grow() loops forever past 2^31.  Until that is fixed,
 * descriptors written here that say INDIRECT (split flags at +12, packed at
 * +14) keep a table length below 64 KiB; FUZZ_IFC_STRICT=1 writes them as given.
 */
static void tame_indirect(struct w *w, uint64_t off, size_t n)
{
	uint64_t lo = off & ~15ULL, hi = off + n;

	if (w->strict)
		return;
	for (uint64_t r = lo; r < hi && r + 16 <= IOVA_SIZE; r += 16) {
		uint8_t d[16];

		FUZZ_CHECK(mem_read(w->mem, PA_BASE + r, d, sizeof(d)) == 0);
		if (((d[12] | d[14]) & VRING_DESC_F_INDIRECT) && (d[10] | d[11])) {
			d[10] = d[11] = 0;
			FUZZ_CHECK(mem_write(w->mem, PA_BASE + r, d, sizeof(d)) == 0);
		}
	}
}

static void guest_write(struct w *w, struct fz *in)
{
	uint64_t off = (uint64_t)fz_u32(in) % IOVA_SIZE;
	const uint8_t *b;
	size_t n = fz_bytes(in, 255, &b);

	FUZZ_CHECK(mem_write(w->mem, PA_BASE + off, b, n) == 0);
	tame_indirect(w, off, n);
}

static void run_time(struct w *w, struct fz *in)
{
	sim_time_t dt = (sim_time_t)(1 + fz_u8(in)) * ENG_NS(100);
	uint64_t ev = eng_events_executed(w->sim);
	unsigned err = devh_errors(w->dh);
	sim_time_t until = eng_now(w->sim) + dt;

	eng_run_until(w->sim, until);
	FUZZ_CHECK(eng_now(w->sim) == until);
	/* at most ten events a nanosecond, whatever the rings hold */
	FUZZ_CHECK(eng_events_executed(w->sim) - ev <= 1000 + dt / 100);
	/* virtio 1.3 2.1.2: what the model reported left DEVICE_NEEDS_RESET */
	if (devh_errors(w->dh) != err)
		FUZZ_CHECK(dev_status(w) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void control(struct w *w, struct fz *in)
{
	static const char *const cmds[] = {
		"link=down", "link=up",     "link=auto",      "announce=1", "dma_fault_next=1",
		"dma_fault_next=5", "queue_state=0", "queue_state=1", "stats=1", "status=1",
		"carrier0=down", "carrier0=up", "bogus=1", "queue_state=99", "dma_fault_next=x",
	};
	char reply[512];
	int r = devh_control(w->dh, cmds[fz_below(in, sizeof(cmds) / sizeof(cmds[0]))], reply,
			     sizeof(reply));

	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -EOPNOTSUPP || r == -EAGAIN);
}

static void reset(struct w *w, struct fz *in)
{
	int exp = pcie_find_cap(&w->hf, PCI_CAP_ID_EXP, 0);

	if (fz_bool(in)) {
		FUZZ_CHECK(pcie_rc_slot_reset(w->rc, SLOT) == 0);
		/* a conventional reset clears the BARs: the host programs them again */
		for (unsigned b = 0; b < 6; b++)
			if (w->hf.bar[b].size)
				pcie_cfg_write(w->rc, w->bdf,
					       (uint16_t)(PCI_BASE_ADDRESS_0 + 4 * b), 4,
					       (uint32_t)w->hf.bar[b].addr |
						   (w->hf.bar[b].flags & PCIE_BAR_64 ? 4 : 0));
	} else if (exp > 0) {
		pcie_cfg_write(w->rc, w->bdf, (uint16_t)(exp + PCI_EXP_DEVCTL), 2,
			       PCI_EXP_DEVCTL_BCR_FLR);
	}
	pcie_cfg_write(w->rc, w->bdf, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* ---- world ---------------------------------------------------------------------------------- */

static void world_new(struct w *w, uint8_t opt)
{
	struct pcie_link_cfg lc;
	struct net_link_cfg nl = { .rate_bps = NET_RATE_100G, .length_m = 2 };
	struct net_loopback_cfg lbc = { .name = "lb", .tx_queue_frames = 64 };
	char options[96];
	unsigned n = 0, pairs = 1 + opt % 4;

	snprintf(options, sizeof(options), "queue_pairs=%u,queue_size=%u%s", pairs,
		 2u << (opt >> 2) % 6, opt & 0x80 ? ",msix_vectors=1" : "");
	w->nq = 2 * pairs + 1;
	pcie_link_cfg_default(&lc);
	w->sim = eng_sim_new(7, 0);
	w->mem = mem_new(1ULL << 36);
	w->io = iommu_new(w->sim, NULL);
	FUZZ_CHECK(w->sim && w->mem && w->io);
	w->dom = iommu_domain_new(w->io, IOMMU_DOMAIN_PAGING);
	w->rc = pcie_rc_new(w->sim, w->mem, w->io, NULL);
	FUZZ_CHECK(w->dom && w->rc);
	FUZZ_CHECK(pcie_rc_set_link(w->rc, SLOT, &lc) == 0);
	FUZZ_CHECK(devh_create(w->sim, w->rc, SLOT, ifcvf_plugin(), options, "ifcvf0", &w->dh) ==
		   0);
	w->bdf = pcie_fn_bdf(devh_fn(w->dh));
	FUZZ_CHECK(iommu_attach(w->io, w->bdf, 0, w->dom) == 0);
	/* the ring window, with a hole in its second half's last page */
	FUZZ_CHECK(iommu_map(w->dom, IOVA_BASE, PA_BASE, IOVA_SIZE - 0x1000,
			     IOMMU_READ | IOMMU_WRITE) == 0);
	FUZZ_CHECK(pcie_enumerate(w->rc, MMIO_BASE, MMIO_SIZE, &w->hf, 1, &n) == 0 && n == 1);
	FUZZ_CHECK(net_loopback_new(w->sim, &lbc, &w->lb) == 0);
	FUZZ_CHECK(net_link_new(w->sim, &nl, devh_net_port(w->dh, 0), net_loopback_port(w->lb),
				&w->link) == 0);
	pcie_rc_set_msi_handler(w->rc, on_msi, w);
	FUZZ_CHECK(pcie_cfg_read(w->rc, w->bdf, 0, 4, &w->id_dword) == 0);
	FUZZ_CHECK(w->id_dword == (0x1041u << 16 | 0x1AF4u));
}

static void world_free(struct w *w)
{
	net_link_free(w->link);
	net_loopback_free(w->lb);
	devh_destroy(w->dh);
	pcie_rc_free(w->rc);
	iommu_free(w->io);
	mem_free(w->mem);
	eng_sim_free(w->sim);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct w *w = calloc(1, sizeof(*w));
	struct fz in;

	if (!w)
		return 0;
	w->print = getenv("FUZZ_IFC_PRINT") != NULL;
	w->strict = getenv("FUZZ_IFC_STRICT") != NULL;
	fz_init(&in, data, size);
	world_new(w, fz_u8(&in));
	for (int op = 0; op < IFC_MAX_OPS && !fz_done(&in); op++) {
		switch (fz_below(&in, 12)) {
		case 0:
			cfg_access(w, &in, false);
			break;
		case 1:
			cfg_access(w, &in, true);
			break;
		case 2:
		case 3:
			mmio(w, &in);
			break;
		case 4:
			guest_write(w, &in);
			break;
		case 5:
		case 6:
			run_time(w, &in);
			break;
		case 7:
			bring_up(w, &in);
			break;
		case 8:
			kick(w, &in);
			break;
		case 9:
			control(w, &in);
			break;
		case 10:
			reset(w, &in);
			break;
		default:
			mmio(w, &in);
			break;
		}
	}
	/* let whatever is in flight finish, then check once more */
	run_time(w, &in);
	if (w->print)
		fprintf(stderr, "end: t=%" PRIu64 " ps events=%" PRIu64 " status=0x%02x errors=%u "
				"msis=%" PRIu64 " obs=%" PRIu64 "\n",
			eng_now(w->sim), eng_events_executed(w->sim), dev_status(w),
			devh_errors(w->dh), w->msis, devh_violations(w->dh));
	for (unsigned i = 0; w->print && i < devh_errors(w->dh) && i < 8; i++) {
		struct devh_error e;

		if (!devh_error_get(w->dh, i, &e))
			fprintf(stderr, "  error q%u %s: %s\n", e.qid, e.violation, e.detail);
	}
	world_free(w);
	free(w);
	return 0;
}
