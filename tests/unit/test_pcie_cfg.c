// SPDX-License-Identifier: MIT
/* Configuration space, enumeration, capability walk, MMIO routing, FLR. */
#include "vdpasim/uapi.h"
#include "sim/engine/engine.h"
#include "sim/mem/mem.h"
#include "sim/pcie/pcie.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdlib.h>

#define MMIO_BASE 0xE0000000ULL
#define MMIO_SIZE 0x10000000ULL

struct tdev {
	struct pcie_fn *fn;
	unsigned bar;
	uint64_t off, val;
	unsigned size;
	sim_time_t arrival;
	int reads, writes, resets;
	enum pcie_reset_kind last_reset;
	uint32_t window[4]; /* claimed config window */
	uint8_t loop_at;    /* if set, the claimed window returns a looping cap */
};

static int t_mmio_read(void *ctx, unsigned bar, uint64_t off, unsigned size, uint64_t *val)
{
	struct tdev *t = ctx;

	t->reads++;
	t->bar = bar;
	t->off = off;
	t->size = size;
	t->arrival = pcie_mmio_arrival(t->fn);
	*val = 0xA5A5A5A5A5A5A5A5ULL ^ off ^ ((uint64_t)bar << 56);
	return 0;
}

static int t_mmio_write(void *ctx, unsigned bar, uint64_t off, unsigned size, uint64_t val)
{
	struct tdev *t = ctx;

	t->writes++;
	t->bar = bar;
	t->off = off;
	t->size = size;
	t->val = val;
	t->arrival = pcie_mmio_arrival(t->fn);
	return 0;
}

static int t_cfg_read(void *ctx, uint16_t off, unsigned size, uint32_t *val)
{
	struct tdev *t = ctx;
	unsigned i = (off & 0xF) / 4;

	(void)size;
	*val = t->window[i] >> (8 * (off & 3));
	return 0;
}

static int t_cfg_write(void *ctx, uint16_t off, unsigned size, uint32_t val)
{
	struct tdev *t = ctx;
	unsigned i = (off & 0xF) / 4;

	(void)size;
	t->window[i] = val;
	return 0;
}

static void t_reset(void *ctx, enum pcie_reset_kind kind)
{
	struct tdev *t = ctx;

	t->resets++;
	t->last_reset = kind;
}

static const struct pcie_ep_ops t_ops = {
	.mmio_read = t_mmio_read,
	.mmio_write = t_mmio_write,
	.cfg_read = t_cfg_read,
	.cfg_write = t_cfg_write,
	.reset = t_reset,
};

static struct pcie_ep_desc test_desc(struct tdev *t)
{
	struct pcie_ep_desc d = {
		.vendor_id = VDPASIM_PCI_VENDOR_REDHAT_QUMRANET,
		.device_id = VDPASIM_PCI_DEVICE_VIRTIO_NET_MODERN,
		.subsys_vendor_id = 0x1af4,
		.subsys_id = 0x0001,
		.revision = 1,
		.class_code = 0x020000,
		.max_gen = 4,
		.max_width = 8,
		.bar = {
			[0] = { 16 << 10, PCIE_BAR_64 | PCIE_BAR_PREFETCH },
			[2] = { 8 << 10, 0 },
			[4] = { 1 << 20, PCIE_BAR_64 },
		},
		.msix_vectors = 16,
		.msix_table_bar = 2,
		.msix_table_off = 0,
		.msix_pba_bar = 2,
		.msix_pba_off = 0x1000,
		.ops = &t_ops,
		.ctx = t,
	};
	return d;
}

struct bench {
	struct sim *sim;
	struct mem *mem;
	struct pcie_rc *rc;
};

static void bench_init(struct bench *b, const struct pcie_link_cfg *lc)
{
	b->sim = eng_sim_new(1, 0);
	b->mem = mem_new(1ULL << 32);
	b->rc = pcie_rc_new(b->sim, b->mem, NULL, lc);
	CU_ASSERT_FATAL(b->sim && b->mem && b->rc);
}

static void bench_fini(struct bench *b)
{
	pcie_rc_free(b->rc);
	mem_free(b->mem);
	eng_sim_free(b->sim);
}

/* A test endpoint with a PCIe cap, MSI-X and two virtio vendor caps. */
static void plug(struct bench *b, struct tdev *t, unsigned slot)
{
	struct pcie_ep_desc d = test_desc(t);
	struct virtio_pci_cap vc = { .cap_vndr = PCI_CAP_ID_VNDR, .cap_len = sizeof(vc) };
	uint16_t off;

	CU_ASSERT_EQUAL_FATAL(pcie_fn_create(b->rc, slot, 0, &d, &t->fn), 0);
	vc.cfg_type = VIRTIO_PCI_CAP_COMMON_CFG;
	vc.bar = 0;
	vc.offset = 0;
	vc.length = 0x1000;
	CU_ASSERT_EQUAL_FATAL(pcie_fn_add_cap(t->fn, &vc, sizeof(vc), &off), 0);
	vc.cfg_type = VIRTIO_PCI_CAP_NOTIFY_CFG;
	vc.offset = 0x2000;
	vc.length = 0x1000;
	CU_ASSERT_EQUAL_FATAL(pcie_fn_add_cap(t->fn, &vc, sizeof(vc), &off), 0);
}

static uint32_t rd(struct pcie_host_fn *hf, uint16_t off, unsigned size)
{
	uint32_t v = 0;

	CU_ASSERT_EQUAL(pcie_host_cfg_read(hf, off, size, &v), 0);
	return v;
}

static void test_enumeration_finds_ids_and_sizes_bars(void)
{
	struct bench b;
	struct tdev t = { 0 };
	struct pcie_host_fn hf[8];
	unsigned n;

	bench_init(&b, NULL);
	plug(&b, &t, 3);
	CU_ASSERT_EQUAL(pcie_enumerate(b.rc, MMIO_BASE, MMIO_SIZE, hf, 8, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(hf[0].bdf, PCIE_BDF(0, 3, 0));
	CU_ASSERT_EQUAL(hf[0].vendor_id, 0x1af4);
	CU_ASSERT_EQUAL(hf[0].device_id, 0x1041);
	CU_ASSERT_EQUAL(hf[0].subsys_vendor_id, 0x1af4);
	CU_ASSERT_EQUAL(hf[0].subsys_id, 0x0001);
	CU_ASSERT_EQUAL(hf[0].revision, 1);
	CU_ASSERT_EQUAL(hf[0].class_code, 0x020000);
	CU_ASSERT_EQUAL(hf[0].header_type & 0x7F, PCI_HEADER_TYPE_NORMAL);
	CU_ASSERT_EQUAL(hf[0].bar[0].size, 16 << 10);
	CU_ASSERT_EQUAL(hf[0].bar[0].flags, PCIE_BAR_64 | PCIE_BAR_PREFETCH);
	CU_ASSERT_EQUAL(hf[0].bar[1].size, 0); /* upper half */
	CU_ASSERT_EQUAL(hf[0].bar[2].size, 8 << 10);
	CU_ASSERT_EQUAL(hf[0].bar[2].flags, 0);
	CU_ASSERT_EQUAL(hf[0].bar[4].size, 1 << 20);
	CU_ASSERT_EQUAL(hf[0].bar[4].flags, PCIE_BAR_64);
	bench_fini(&b);
}

static void test_enumeration_assigns_aligned_disjoint_bars_and_enables_decode(void)
{
	struct bench b;
	struct tdev t1 = { 0 }, t2 = { 0 };
	struct pcie_host_fn hf[8];
	uint64_t lo[6], hi[6];
	unsigned n, k = 0;

	bench_init(&b, NULL);
	plug(&b, &t1, 1);
	plug(&b, &t2, 7);
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(b.rc, MMIO_BASE, MMIO_SIZE, hf, 8, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(hf[1].bdf, PCIE_BDF(0, 7, 0));
	for (unsigned f = 0; f < 2; f++) {
		for (unsigned i = 0; i < 6; i++) {
			struct pcie_host_bar *bar = &hf[f].bar[i];

			if (!bar->size)
				continue;
			CU_ASSERT_EQUAL(bar->addr & (bar->size - 1), 0);
			CU_ASSERT(bar->addr >= MMIO_BASE && bar->addr + bar->size <= MMIO_BASE + MMIO_SIZE);
			lo[k] = bar->addr;
			hi[k++] = bar->addr + bar->size;
		}
		CU_ASSERT_EQUAL(rd(&hf[f], PCI_COMMAND, 2) & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
				PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	}
	for (unsigned i = 0; i < k; i++)
		for (unsigned j = i + 1; j < k; j++)
			CU_ASSERT(hi[i] <= lo[j] || hi[j] <= lo[i]);
	/* the device sees the addresses the host programmed */
	CU_ASSERT_EQUAL(pcie_fn_bar_addr(t1.fn, 0), hf[0].bar[0].addr);
	CU_ASSERT_EQUAL(pcie_fn_bar_addr(t2.fn, 4), hf[1].bar[4].addr);
	CU_ASSERT(pcie_fn_mem_enabled(t1.fn) && pcie_fn_bus_master(t1.fn));
	bench_fini(&b);
}

static void test_bar_sizing_reads_back_size_mask(void)
{
	struct bench b;
	struct tdev t = { 0 };
	struct pcie_host_fn hf = { 0 };

	bench_init(&b, NULL);
	plug(&b, &t, 0);
	hf.rc = b.rc;
	hf.bdf = pcie_fn_bdf(t.fn);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf, PCI_BASE_ADDRESS_0, 4, 0xFFFFFFFF), 0);
	CU_ASSERT_EQUAL(rd(&hf, PCI_BASE_ADDRESS_0, 4), 0xFFFFC000 | PCI_BASE_ADDRESS_MEM_TYPE_64 |
						      PCI_BASE_ADDRESS_MEM_PREFETCH);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf, PCI_BASE_ADDRESS_1, 4, 0xFFFFFFFF), 0);
	CU_ASSERT_EQUAL(rd(&hf, PCI_BASE_ADDRESS_1, 4), 0xFFFFFFFF);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf, PCI_BASE_ADDRESS_2, 4, 0xFFFFFFFF), 0);
	CU_ASSERT_EQUAL(rd(&hf, PCI_BASE_ADDRESS_2, 4), 0xFFFFE000);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf, PCI_BASE_ADDRESS_3, 4, 0xFFFFFFFF), 0);
	CU_ASSERT_EQUAL(rd(&hf, PCI_BASE_ADDRESS_3, 4), 0); /* unimplemented */
	/* byte writes into a 1 MiB BAR: address bits below 1 MiB stay zero */
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf, PCI_BASE_ADDRESS_4 + 2, 1, 0x1F), 0);
	CU_ASSERT_EQUAL(rd(&hf, PCI_BASE_ADDRESS_4, 4), 0x00100000 | PCI_BASE_ADDRESS_MEM_TYPE_64);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf, PCI_BASE_ADDRESS_4 + 2, 1, 0x0F), 0);
	CU_ASSERT_EQUAL(rd(&hf, PCI_BASE_ADDRESS_4, 4), PCI_BASE_ADDRESS_MEM_TYPE_64);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf, PCI_BASE_ADDRESS_4 + 3, 1, 0x12), 0);
	CU_ASSERT_EQUAL(rd(&hf, PCI_BASE_ADDRESS_4, 4), 0x12000000 | PCI_BASE_ADDRESS_MEM_TYPE_64);
	bench_fini(&b);
}

static void test_capability_walk_finds_pcie_msix_and_vendor_caps(void)
{
	struct bench b;
	struct tdev t = { 0 };
	struct pcie_host_fn hf[2];
	unsigned n;
	int pos, v1, v2;

	bench_init(&b, NULL);
	plug(&b, &t, 2);
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(b.rc, MMIO_BASE, MMIO_SIZE, hf, 2, &n), 0);
	CU_ASSERT(rd(&hf[0], PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	pos = pcie_find_cap(&hf[0], PCI_CAP_ID_EXP, 0);
	CU_ASSERT(pos >= 0x40);
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(pos + PCI_EXP_FLAGS), 2) & PCI_EXP_FLAGS_TYPE,
			PCI_EXP_TYPE_ENDPOINT << 4);
	CU_ASSERT(rd(&hf[0], (uint16_t)(pos + PCI_EXP_DEVCAP), 4) & PCI_EXP_DEVCAP_FLR);
	pos = pcie_find_cap(&hf[0], PCI_CAP_ID_MSIX, 0);
	CU_ASSERT_FATAL(pos > 0);
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(pos + PCI_MSIX_FLAGS), 2) & PCI_MSIX_FLAGS_QSIZE, 15);
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(pos + PCI_MSIX_TABLE), 4), 2);
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(pos + PCI_MSIX_PBA), 4), 0x1000 | 2);
	v1 = pcie_find_cap(&hf[0], PCI_CAP_ID_VNDR, 0);
	CU_ASSERT_FATAL(v1 > 0);
	v2 = pcie_find_cap(&hf[0], PCI_CAP_ID_VNDR, (uint8_t)v1);
	CU_ASSERT_FATAL(v2 > v1);
	CU_ASSERT_EQUAL(pcie_find_cap(&hf[0], PCI_CAP_ID_VNDR, (uint8_t)v2), -ENOENT);
	CU_ASSERT_EQUAL(pcie_find_cap(&hf[0], PCI_CAP_ID_MSI, 0), -ENOENT);
	/* the payload is what the device laid out (struct virtio_pci_cap) */
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(v1 + 2), 1), sizeof(struct virtio_pci_cap));
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(v1 + 3), 1), VIRTIO_PCI_CAP_COMMON_CFG);
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(v2 + 3), 1), VIRTIO_PCI_CAP_NOTIFY_CFG);
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(v2 + 8), 4), 0x2000);
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(v2 + 12), 4), 0x1000);
	/* read-only to the host */
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf[0], (uint16_t)(v2 + 8), 4, 0x5000), 0);
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(v2 + 8), 4), 0x2000);
	bench_fini(&b);
}

static void test_link_registers_report_negotiated_speed_and_width(void)
{
	struct pcie_link_cfg lc;
	struct pcie_link_info li;
	struct bench b;
	struct tdev t = { 0 };
	struct pcie_host_fn hf[2];
	unsigned n;
	int pos;

	pcie_link_cfg_default(&lc);
	lc.gen = 5; /* the slot offers Gen5 x16, the device does Gen4 x8 */
	lc.width = 16;
	bench_init(&b, &lc);
	plug(&b, &t, 0);
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(b.rc, MMIO_BASE, MMIO_SIZE, hf, 2, &n), 0);
	pos = pcie_find_cap(&hf[0], PCI_CAP_ID_EXP, 0);
	CU_ASSERT_FATAL(pos > 0);
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(pos + PCI_EXP_LNKCAP), 4) & PCI_EXP_LNKCAP_SLS,
			PCI_EXP_LNKCAP_SLS_16_0GB);
	CU_ASSERT_EQUAL((rd(&hf[0], (uint16_t)(pos + PCI_EXP_LNKCAP), 4) & PCI_EXP_LNKCAP_MLW) >> 4,
			8);
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(pos + PCI_EXP_LNKSTA), 2) & PCI_EXP_LNKSTA_CLS,
			PCI_EXP_LNKSTA_CLS_16_0GB);
	CU_ASSERT_EQUAL((rd(&hf[0], (uint16_t)(pos + PCI_EXP_LNKSTA), 2) & PCI_EXP_LNKSTA_NLW) >>
				PCI_EXP_LNKSTA_NLW_SHIFT, 8);
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(pos + PCI_EXP_LNKCAP2), 4) & 0xFE,
			PCI_EXP_LNKCAP2_SLS_2_5GB | PCI_EXP_LNKCAP2_SLS_5_0GB |
			PCI_EXP_LNKCAP2_SLS_8_0GB | PCI_EXP_LNKCAP2_SLS_16_0GB);
	/* MPS and MRRS in Device Control drive the DMA model */
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(pos + PCI_EXP_DEVCTL), 2) & PCI_EXP_DEVCTL_PAYLOAD,
			PCI_EXP_DEVCTL_PAYLOAD_256B);
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(pos + PCI_EXP_DEVCTL), 2) & PCI_EXP_DEVCTL_READRQ,
			PCI_EXP_DEVCTL_READRQ_512B);
	pcie_fn_link_info(t.fn, &li);
	CU_ASSERT_EQUAL(li.gen, 4);
	CU_ASSERT_EQUAL(li.width, 8);
	CU_ASSERT_EQUAL(li.mps, 256);
	CU_ASSERT_EQUAL(li.mrrs, 512);
	CU_ASSERT_DOUBLE_EQUAL(li.gbps, 16.0 * 8 * 128 / 130, 1e-9);
	uint32_t ctl = rd(&hf[0], (uint16_t)(pos + PCI_EXP_DEVCTL), 2);
	ctl = (ctl & ~(uint32_t)(PCI_EXP_DEVCTL_PAYLOAD | PCI_EXP_DEVCTL_READRQ)) |
	      PCI_EXP_DEVCTL_PAYLOAD_128B | PCI_EXP_DEVCTL_READRQ_4096B;
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf[0], (uint16_t)(pos + PCI_EXP_DEVCTL), 2, ctl), 0);
	pcie_fn_link_info(t.fn, &li);
	CU_ASSERT_EQUAL(li.mps, 128);
	CU_ASSERT_EQUAL(li.mrrs, 4096);
	bench_fini(&b);
}

static void test_readonly_header_registers_ignore_writes(void)
{
	struct bench b;
	struct tdev t = { 0 };
	struct pcie_host_fn hf = { 0 };

	bench_init(&b, NULL);
	plug(&b, &t, 0);
	hf.rc = b.rc;
	hf.bdf = pcie_fn_bdf(t.fn);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf, PCI_VENDOR_ID, 4, 0x12345678), 0);
	CU_ASSERT_EQUAL(rd(&hf, PCI_VENDOR_ID, 2), 0x1af4);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf, PCI_CLASS_REVISION, 4, 0), 0);
	CU_ASSERT_EQUAL(rd(&hf, PCI_CLASS_REVISION, 4), 0x02000001);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf, PCI_COMMAND, 2, 0xFFFF), 0);
	CU_ASSERT_EQUAL(rd(&hf, PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf, PCI_INTERRUPT_LINE, 1, 0x0B), 0);
	CU_ASSERT_EQUAL(rd(&hf, PCI_INTERRUPT_LINE, 1), 0x0B);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf, PCI_CAPABILITY_LIST, 1, 0x00), 0);
	CU_ASSERT_EQUAL(rd(&hf, PCI_CAPABILITY_LIST, 1), 0x40);
	/* extended space: nothing there */
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf, 0x100, 4, 0xFFFFFFFF), 0);
	CU_ASSERT_EQUAL(rd(&hf, 0x100, 4), 0);
	/* misaligned accesses are refused */
	uint32_t v;
	CU_ASSERT_EQUAL(pcie_host_cfg_read(&hf, 0x01, 2, &v), -EINVAL);
	CU_ASSERT_EQUAL(pcie_host_cfg_read(&hf, 0xFFE, 4, &v), -EINVAL);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf, 0x02, 4, 0), -EINVAL);
	bench_fini(&b);
}

static void test_missing_function_reads_all_ones(void)
{
	struct bench b;
	uint32_t v;

	bench_init(&b, NULL);
	CU_ASSERT_EQUAL(pcie_cfg_read(b.rc, PCIE_BDF(0, 4, 0), PCI_VENDOR_ID, 2, &v), -ENODEV);
	CU_ASSERT_EQUAL(v, 0xFFFF);
	CU_ASSERT_EQUAL(pcie_cfg_read(b.rc, PCIE_BDF(1, 0, 0), PCI_VENDOR_ID, 4, &v), -ENODEV);
	CU_ASSERT_EQUAL(v, 0xFFFFFFFF);
	CU_ASSERT_EQUAL(pcie_cfg_write(b.rc, PCIE_BDF(0, 4, 0), PCI_COMMAND, 2, 6), -ENODEV);
	bench_fini(&b);
}

static void test_multifunction_slot_sets_header_bit_and_enumerates_all(void)
{
	struct bench b;
	struct tdev t0 = { 0 }, t3 = { 0 };
	struct pcie_ep_desc d0 = test_desc(&t0), d3 = test_desc(&t3);
	struct pcie_host_fn hf[8];
	unsigned n;
	uint32_t v;

	bench_init(&b, NULL);
	d3.device_id = 0x1042;
	CU_ASSERT_EQUAL_FATAL(pcie_fn_create(b.rc, 5, 0, &d0, &t0.fn), 0);
	CU_ASSERT_EQUAL(pcie_cfg_read(b.rc, PCIE_BDF(0, 5, 0), PCI_HEADER_TYPE, 1, &v), 0);
	CU_ASSERT_EQUAL(v & 0x80, 0);
	CU_ASSERT_EQUAL_FATAL(pcie_fn_create(b.rc, 5, 3, &d3, &t3.fn), 0);
	CU_ASSERT_EQUAL(pcie_fn_create(b.rc, 5, 3, &d3, &t3.fn), -EBUSY);
	CU_ASSERT_EQUAL(pcie_cfg_read(b.rc, PCIE_BDF(0, 5, 0), PCI_HEADER_TYPE, 1, &v), 0);
	CU_ASSERT_EQUAL(v & 0x80, 0x80);
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(b.rc, MMIO_BASE, MMIO_SIZE, hf, 8, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(hf[1].bdf, PCIE_BDF(0, 5, 3));
	CU_ASSERT_EQUAL(hf[1].device_id, 0x1042);
	CU_ASSERT_EQUAL(pcie_enumerate(b.rc, MMIO_BASE, MMIO_SIZE, hf, 1, &n), -EOVERFLOW);
	bench_fini(&b);
}

static void test_enumeration_reports_enospc_when_window_too_small(void)
{
	struct bench b;
	struct tdev t = { 0 };
	struct pcie_host_fn hf[2];
	unsigned n;

	bench_init(&b, NULL);
	plug(&b, &t, 0);
	CU_ASSERT_EQUAL(pcie_enumerate(b.rc, MMIO_BASE, 1 << 20, hf, 2, &n), -ENOSPC);
	/* a 32-bit BAR cannot go above 4 GiB */
	CU_ASSERT_EQUAL(pcie_enumerate(b.rc, 1ULL << 40, 1ULL << 30, hf, 2, &n), -ENOSPC);
	CU_ASSERT_EQUAL(pcie_enumerate(b.rc, MMIO_BASE, 2 << 20, hf, 2, &n), 0);
	bench_fini(&b);
}

static void test_mmio_routed_to_owning_function_and_bar(void)
{
	struct bench b;
	struct tdev t1 = { 0 }, t2 = { 0 };
	struct pcie_host_fn hf[4];
	uint64_t v;
	unsigned n;

	bench_init(&b, NULL);
	plug(&b, &t1, 1);
	plug(&b, &t2, 2);
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(b.rc, MMIO_BASE, MMIO_SIZE, hf, 4, &n), 0);
	CU_ASSERT_EQUAL(pcie_mmio_write(b.rc, hf[1].bar[4].addr + 0x1238, 8, 0x1122334455667788ULL,
					NULL), 0);
	CU_ASSERT_EQUAL(t1.writes, 0);
	CU_ASSERT_EQUAL(t2.writes, 1);
	CU_ASSERT_EQUAL(t2.bar, 4);
	CU_ASSERT_EQUAL(t2.off, 0x1238);
	CU_ASSERT_EQUAL(t2.size, 8);
	CU_ASSERT_EQUAL(t2.val, 0x1122334455667788ULL);
	CU_ASSERT_EQUAL(pcie_mmio_write(b.rc, hf[0].bar[0].addr + 0x14, 2, 0xBEEF, NULL), 0);
	CU_ASSERT_EQUAL(t1.writes, 1);
	CU_ASSERT_EQUAL(t1.bar, 0);
	CU_ASSERT_EQUAL(t1.off, 0x14);
	CU_ASSERT_EQUAL(t1.val, 0xBEEF);
	CU_ASSERT_EQUAL(pcie_mmio_read(b.rc, hf[0].bar[2].addr + 0x1800, 4, &v, NULL), 0);
	CU_ASSERT_EQUAL(t1.reads, 1);
	CU_ASSERT_EQUAL(t1.bar, 2);
	CU_ASSERT_EQUAL(v, (0xA5A5A5A5A5A5A5A5ULL ^ 0x1800 ^ (2ULL << 56)) & 0xFFFFFFFF);
	/* an access running off the end of a BAR, a bad size, misalignment */
	CU_ASSERT_EQUAL(pcie_mmio_read(b.rc, hf[0].bar[2].addr + (8 << 10) - 4, 8, &v, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(pcie_mmio_write(b.rc, hf[0].bar[0].addr + 3, 4, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(pcie_mmio_write(b.rc, hf[0].bar[0].addr, 3, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(pcie_mmio_write(b.rc, hf[0].bar[0].addr + (16 << 10) - 4, 8, 0, NULL),
			-EINVAL);
	bench_fini(&b);
}

static void test_mmio_blocked_when_memory_decode_off(void)
{
	struct bench b;
	struct tdev t = { 0 };
	struct pcie_host_fn hf[2];
	uint64_t v;
	unsigned n;

	bench_init(&b, NULL);
	plug(&b, &t, 1);
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(b.rc, MMIO_BASE, MMIO_SIZE, hf, 2, &n), 0);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf[0], PCI_COMMAND, 2, PCI_COMMAND_MASTER), 0);
	CU_ASSERT_EQUAL(pcie_mmio_write(b.rc, hf[0].bar[0].addr, 4, 1, NULL), -ENODEV);
	CU_ASSERT_EQUAL(pcie_mmio_read(b.rc, hf[0].bar[0].addr, 4, &v, NULL), -ENODEV);
	CU_ASSERT_EQUAL(v, 0xFFFFFFFF);
	CU_ASSERT_EQUAL(t.writes + t.reads, 0);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf[0], PCI_COMMAND, 2, PCI_COMMAND_MEMORY), 0);
	CU_ASSERT_EQUAL(pcie_mmio_write(b.rc, hf[0].bar[0].addr, 4, 1, NULL), 0);
	CU_ASSERT_EQUAL(t.writes, 1);
	/* nothing decodes outside the BARs */
	CU_ASSERT_EQUAL(pcie_mmio_read(b.rc, 0x1000, 8, &v, NULL), -ENODEV);
	CU_ASSERT_EQUAL(v, ~0ULL);
	bench_fini(&b);
}

static void test_mmio_write_arrival_and_read_round_trip_are_timed(void)
{
	struct bench b;
	struct tdev t = { 0 };
	struct pcie_host_fn hf[2];
	sim_time_t arr, rtt;
	uint64_t v;
	unsigned n;

	bench_init(&b, NULL);
	plug(&b, &t, 1);
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(b.rc, MMIO_BASE, MMIO_SIZE, hf, 2, &n), 0);
	eng_run_until(b.sim, ENG_US(10));
	CU_ASSERT_EQUAL(pcie_mmio_write(b.rc, hf[0].bar[0].addr + 0x2000, 2, 5, &arr), 0);
	/* Gen3 x8: 28 B (24 B header + one dword) = 3.555 ns, then 250 ns */
	CU_ASSERT_EQUAL(arr, ENG_US(10) + 3555 + ENG_NS(250));
	CU_ASSERT_EQUAL(t.arrival, arr); /* the device saw the arrival time */
	CU_ASSERT_EQUAL(pcie_mmio_arrival(t.fn), eng_now(b.sim)); /* outside a callback */
	/* a second write right after queues behind the first on the link */
	CU_ASSERT_EQUAL(pcie_mmio_write(b.rc, hf[0].bar[0].addr + 0x2000, 2, 6, &arr), 0);
	CU_ASSERT_EQUAL(arr, ENG_US(10) + 2 * 3555 + ENG_NS(250));
	eng_run_until(b.sim, ENG_US(20));
	CU_ASSERT_EQUAL(pcie_mmio_read(b.rc, hf[0].bar[0].addr, 4, &v, &rtt), 0);
	CU_ASSERT_EQUAL(rtt, ENG_NS(800)); /* unloaded: the configured round trip */
	CU_ASSERT(t.arrival > ENG_US(20) && t.arrival < ENG_US(20) + ENG_NS(800));
	bench_fini(&b);
}

static void test_claimed_config_window_reaches_device(void)
{
	struct bench b;
	struct tdev t = { 0 };
	struct pcie_host_fn hf = { 0 };
	uint8_t cap[20] = { PCI_CAP_ID_VNDR, 0, 20, VIRTIO_PCI_CAP_PCI_CFG };
	uint16_t off;

	bench_init(&b, NULL);
	plug(&b, &t, 0);
	hf.rc = b.rc;
	hf.bdf = pcie_fn_bdf(t.fn);
	CU_ASSERT_EQUAL_FATAL(pcie_fn_add_cap(t.fn, cap, sizeof(cap), &off), 0);
	CU_ASSERT_EQUAL(pcie_fn_claim_cfg(t.fn, (uint16_t)(off + 16), 4), 0);
	CU_ASSERT_EQUAL(pcie_fn_claim_cfg(t.fn, (uint16_t)(off + 17), 4), -EINVAL);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf, (uint16_t)(off + 16), 4, 0xCAFE0001), 0);
	CU_ASSERT_EQUAL(t.window[(off + 16) % 16 / 4], 0xCAFE0001);
	t.window[(off + 16) % 16 / 4] = 0x12345678;
	CU_ASSERT_EQUAL(rd(&hf, (uint16_t)(off + 16), 4), 0x12345678);
	CU_ASSERT_EQUAL(rd(&hf, (uint16_t)(off + 18), 2), 0x1234);
	CU_ASSERT_EQUAL(pcie_find_cap(&hf, PCI_CAP_ID_VNDR, 0) > 0, 1);
	bench_fini(&b);
}

static int loop_cfg_read(void *ctx, uint16_t off, unsigned size, uint32_t *val)
{
	struct tdev *t = ctx;

	(void)size;
	/* the claimed dword holds a capability header whose next points back to itself */
	*val = (uint32_t)PCI_CAP_ID_VNDR | (uint32_t)t->loop_at << 8;
	*val >>= 8 * (off & 3);
	return 0;
}

static void test_capability_walk_is_bounded_on_looping_list(void)
{
	static const struct pcie_ep_ops loop_ops = { .cfg_read = loop_cfg_read };
	struct bench b;
	struct tdev t = { 0 };
	struct pcie_ep_desc d = test_desc(&t);
	struct pcie_host_fn hf = { 0 };
	uint8_t cap[4] = { PCI_CAP_ID_VNDR, 0, 4, 0 };
	uint16_t off;

	bench_init(&b, NULL);
	d.ops = &loop_ops;
	CU_ASSERT_EQUAL_FATAL(pcie_fn_create(b.rc, 0, 0, &d, &t.fn), 0);
	CU_ASSERT_EQUAL_FATAL(pcie_fn_add_cap(t.fn, cap, sizeof(cap), &off), 0);
	t.loop_at = (uint8_t)off;
	CU_ASSERT_EQUAL(pcie_fn_claim_cfg(t.fn, off, 4), 0);
	hf.rc = b.rc;
	hf.bdf = pcie_fn_bdf(t.fn);
	CU_ASSERT_EQUAL(pcie_find_cap(&hf, PCI_CAP_ID_MSI, 0), -ENOENT);
	bench_fini(&b);
}

static void test_flr_resets_config_space_and_calls_device(void)
{
	struct bench b;
	struct tdev t = { 0 };
	struct pcie_host_fn hf[2];
	unsigned n;
	int pos, vc;

	bench_init(&b, NULL);
	plug(&b, &t, 1);
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(b.rc, MMIO_BASE, MMIO_SIZE, hf, 2, &n), 0);
	pos = pcie_find_cap(&hf[0], PCI_CAP_ID_EXP, 0);
	CU_ASSERT_FATAL(pos > 0);
	uint32_t ctl = rd(&hf[0], (uint16_t)(pos + PCI_EXP_DEVCTL), 2);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&hf[0], (uint16_t)(pos + PCI_EXP_DEVCTL), 2,
					    ctl | PCI_EXP_DEVCTL_BCR_FLR), 0);
	CU_ASSERT_EQUAL(t.resets, 1);
	CU_ASSERT_EQUAL(t.last_reset, PCIE_RESET_FLR);
	CU_ASSERT_EQUAL(rd(&hf[0], PCI_COMMAND, 2), 0);
	CU_ASSERT_EQUAL(rd(&hf[0], PCI_BASE_ADDRESS_0, 4), PCI_BASE_ADDRESS_MEM_TYPE_64 |
							    PCI_BASE_ADDRESS_MEM_PREFETCH);
	CU_ASSERT_EQUAL(rd(&hf[0], (uint16_t)(pos + PCI_EXP_DEVCTL), 2) & PCI_EXP_DEVCTL_BCR_FLR, 0);
	/* capabilities the device added survive (they are part of the function) */
	vc = pcie_find_cap(&hf[0], PCI_CAP_ID_VNDR, 0);
	CU_ASSERT(vc > 0);
	CU_ASSERT_FALSE(pcie_fn_mem_enabled(t.fn));
	CU_ASSERT_EQUAL(pcie_rc_slot_reset(b.rc, 1), 0);
	CU_ASSERT_EQUAL(t.resets, 2);
	CU_ASSERT_EQUAL(t.last_reset, PCIE_RESET_HOT);
	bench_fini(&b);
}

static void test_bad_descriptors_are_rejected(void)
{
	struct bench b;
	struct tdev t = { 0 };
	struct pcie_ep_desc d;
	struct pcie_fn *fn;
	struct pcie_link_cfg lc;

	bench_init(&b, NULL);
	d = test_desc(&t);
	d.bar[2].size = 3000; /* not a power of two */
	CU_ASSERT_EQUAL(pcie_fn_create(b.rc, 0, 0, &d, &fn), -EINVAL);
	d = test_desc(&t);
	d.bar[1].size = 4096; /* BAR1 is BAR0's upper half */
	CU_ASSERT_EQUAL(pcie_fn_create(b.rc, 0, 0, &d, &fn), -EINVAL);
	d = test_desc(&t);
	d.msix_pba_off = 0x80; /* inside the 16-entry table */
	CU_ASSERT_EQUAL(pcie_fn_create(b.rc, 0, 0, &d, &fn), -EINVAL);
	d = test_desc(&t);
	d.msix_table_bar = 1;
	CU_ASSERT_EQUAL(pcie_fn_create(b.rc, 0, 0, &d, &fn), -EINVAL);
	d = test_desc(&t);
	d.msix_vectors = 1024; /* 16 KiB table in an 8 KiB BAR */
	CU_ASSERT_EQUAL(pcie_fn_create(b.rc, 0, 0, &d, &fn), -EINVAL);
	d = test_desc(&t);
	CU_ASSERT_EQUAL(pcie_fn_create(b.rc, PCIE_SLOTS, 0, &d, &fn), -EINVAL);
	pcie_link_cfg_default(&lc);
	lc.mps = 100;
	CU_ASSERT_EQUAL(pcie_rc_set_link(b.rc, 0, &lc), -EINVAL);
	CU_ASSERT_EQUAL(pcie_fn_create(b.rc, 0, 0, &d, &fn), 0);
	pcie_link_cfg_default(&lc);
	CU_ASSERT_EQUAL(pcie_rc_set_link(b.rc, 0, &lc), -EBUSY);
	pcie_fn_destroy(fn);
	CU_ASSERT_EQUAL(pcie_rc_set_link(b.rc, 0, &lc), 0);
	bench_fini(&b);
}

static void test_capability_space_runs_out_with_enospc(void)
{
	struct bench b;
	struct tdev t = { 0 };
	uint8_t cap[64] = { PCI_CAP_ID_VNDR, 0, 64 };
	uint16_t off;
	int err = 0, added = 0;

	bench_init(&b, NULL);
	plug(&b, &t, 0);
	while (!err && added < 10) {
		err = pcie_fn_add_cap(t.fn, cap, sizeof(cap), &off);
		added += !err;
	}
	CU_ASSERT_EQUAL(err, -ENOSPC);
	CU_ASSERT(added >= 1 && added < 10);
	bench_fini(&b);
}


/* Random host config and MMIO traffic (FLR included) must keep the function
 * sane: ids intact, the capability walk terminating, no sanitizer report. */
static void test_random_host_accesses_keep_function_sane(void)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	struct bench b;
	struct tdev t = { 0 };
	struct pcie_host_fn hf[2];
	struct eng_rng r;
	unsigned n;
	int bad = 0;

	bench_init(&b, NULL);
	plug(&b, &t, 1);
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(b.rc, MMIO_BASE, MMIO_SIZE, hf, 2, &n), 0);
	eng_rng_seed(&r, 2024);
	for (int i = 0; i < 20000; i++) {
		unsigned size = sizes[eng_rng_below(&r, 3)];
		uint16_t off = (uint16_t)(eng_rng_below(&r, 0x110) & ~(size - 1));
		uint32_t v;
		uint64_t v64;

		switch (eng_rng_below(&r, 4)) {
		case 0:
			pcie_host_cfg_write(&hf[0], off, size, (uint32_t)eng_rng_next(&r));
			break;
		case 1:
			pcie_host_cfg_read(&hf[0], off, size, &v);
			break;
		case 2:
			size = sizes[eng_rng_below(&r, 4)];
			pcie_mmio_write(b.rc, MMIO_BASE + (eng_rng_below(&r, 4 << 20) & ~(uint64_t)(size - 1)),
					size, eng_rng_next(&r), NULL);
			break;
		default:
			size = sizes[eng_rng_below(&r, 4)];
			pcie_mmio_read(b.rc, MMIO_BASE + (eng_rng_below(&r, 4 << 20) & ~(uint64_t)(size - 1)),
				       size, &v64, NULL);
		}
		if (i % 1000 == 0) {
			if (rd(&hf[0], PCI_VENDOR_ID, 4) != 0x10411af4)
				bad++;
			if (pcie_find_cap(&hf[0], PCI_CAP_ID_MSIX, 0) <= 0)
				bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(t.resets > 0); /* the walk hit the FLR bit at least once */
	bench_fini(&b);
}

CU_MAIN("pcie_cfg",
	CU_TEST_ENTRY(test_enumeration_finds_ids_and_sizes_bars),
	CU_TEST_ENTRY(test_enumeration_assigns_aligned_disjoint_bars_and_enables_decode),
	CU_TEST_ENTRY(test_bar_sizing_reads_back_size_mask),
	CU_TEST_ENTRY(test_capability_walk_finds_pcie_msix_and_vendor_caps),
	CU_TEST_ENTRY(test_link_registers_report_negotiated_speed_and_width),
	CU_TEST_ENTRY(test_readonly_header_registers_ignore_writes),
	CU_TEST_ENTRY(test_missing_function_reads_all_ones),
	CU_TEST_ENTRY(test_multifunction_slot_sets_header_bit_and_enumerates_all),
	CU_TEST_ENTRY(test_enumeration_reports_enospc_when_window_too_small),
	CU_TEST_ENTRY(test_mmio_routed_to_owning_function_and_bar),
	CU_TEST_ENTRY(test_mmio_blocked_when_memory_decode_off),
	CU_TEST_ENTRY(test_mmio_write_arrival_and_read_round_trip_are_timed),
	CU_TEST_ENTRY(test_claimed_config_window_reaches_device),
	CU_TEST_ENTRY(test_capability_walk_is_bounded_on_looping_list),
	CU_TEST_ENTRY(test_flr_resets_config_space_and_calls_device),
	CU_TEST_ENTRY(test_bad_descriptors_are_rejected),
	CU_TEST_ENTRY(test_capability_space_runs_out_with_enospc),
	CU_TEST_ENTRY(test_random_host_accesses_keep_function_sane))
