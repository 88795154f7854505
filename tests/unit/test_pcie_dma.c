// SPDX-License-Identifier: MIT
/* DMA: data movement through the IOMMU, faults, TLP timing against the
 * pcie-bench equations, read tags, statistics, the ring accessor cursor. */
#include "sim/engine/engine.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/mem.h"
#include "sim/pcie/pcie.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <math.h>
#include <stdlib.h>

struct world {
	struct sim *sim;
	struct mem *mem;
	struct iommu *io;
	struct iommu_domain *dom;
	struct pcie_rc *rc;
	struct pcie_fn *fn;
};

/* One function in slot 1, bus mastering on; with_iommu attaches a paging domain. */
static void world_init(struct world *w, const struct pcie_link_cfg *lc, bool with_iommu)
{
	struct pcie_ep_desc d = { .vendor_id = 0x1af4, .device_id = 0x1041 };

	memset(w, 0, sizeof(*w));
	w->sim = eng_sim_new(1, 0);
	w->mem = mem_new(1ULL << 34);
	CU_ASSERT_FATAL(w->sim && w->mem);
	if (with_iommu) {
		w->io = iommu_new(w->sim, NULL);
		w->dom = iommu_domain_new(w->io, IOMMU_DOMAIN_PAGING);
		CU_ASSERT_FATAL(w->io && w->dom);
	}
	w->rc = pcie_rc_new(w->sim, w->mem, w->io, lc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->rc);
	CU_ASSERT_EQUAL_FATAL(pcie_fn_create(w->rc, 1, 0, &d, &w->fn), 0);
	CU_ASSERT_EQUAL_FATAL(pcie_cfg_write(w->rc, pcie_fn_bdf(w->fn), PCI_COMMAND, 2,
					     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), 0);
	if (with_iommu)
		CU_ASSERT_EQUAL_FATAL(iommu_attach(w->io, pcie_fn_bdf(w->fn), 0, w->dom), 0);
}

static void world_fini(struct world *w)
{
	pcie_rc_free(w->rc);
	iommu_free(w->io);
	mem_free(w->mem);
	eng_sim_free(w->sim);
}

static void test_dma_moves_data_through_iommu_mapping(void)
{
	struct world w;
	uint8_t out[10000], in[10000];
	sim_time_t done;

	world_init(&w, NULL, true);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 13 + 5);
	/* IOVA pages scattered over physical memory */
	CU_ASSERT_EQUAL(iommu_map(w.dom, 0x100000, 0x7000000, 0x2000, IOMMU_READ | IOMMU_WRITE), 0);
	CU_ASSERT_EQUAL(iommu_map(w.dom, 0x102000, 0x3000000, 0x2000, IOMMU_READ | IOMMU_WRITE), 0);
	CU_ASSERT_EQUAL(pcie_dma_write(w.fn, 0x100100, out, sizeof(out), 0, &done), 0);
	CU_ASSERT(done > 0);
	uint8_t b;
	CU_ASSERT_EQUAL(mem_read(w.mem, 0x7000100, &b, 1), 0);
	CU_ASSERT_EQUAL(b, out[0]);
	CU_ASSERT_EQUAL(mem_read(w.mem, 0x3000000, &b, 1), 0);
	CU_ASSERT_EQUAL(b, out[0x2000 - 0x100]);
	CU_ASSERT_EQUAL(pcie_dma_read(w.fn, 0x100100, in, sizeof(in), done, &done), 0);
	CU_ASSERT_EQUAL(memcmp(in, out, sizeof(in)), 0);
	CU_ASSERT_EQUAL(pcie_dma_read(w.fn, 0x100100, in, 0, 5, &done), 0);
	CU_ASSERT_EQUAL(done, 5);
	world_fini(&w);
}

static void test_dma_fault_touches_nothing_and_is_logged(void)
{
	struct world w;
	struct iommu_fault f;
	struct pcie_fn_stats st;
	uint8_t h0[32], h1[32], buf[8192], pat[8192];
	uint64_t bm[1];
	sim_time_t done = 77;

	world_init(&w, NULL, true);
	CU_ASSERT_EQUAL(iommu_map(w.dom, 0x10000, 0x50000, 0x1000, IOMMU_READ | IOMMU_WRITE), 0);
	CU_ASSERT_EQUAL(iommu_map(w.dom, 0x20000, 0x60000, 0x1000, IOMMU_READ), 0);
	CU_ASSERT_EQUAL(mem_write_le64(w.mem, 0x50000, 0x1111), 0);
	CU_ASSERT_EQUAL(iommu_dirty_tracking(w.dom, true), 0);
	CU_ASSERT_EQUAL(mem_hash(w.mem, 0, 1 << 24, h0), 0);
	memset(buf, 0xEE, sizeof(buf));
	/* spans the mapped page and the unmapped one after it */
	CU_ASSERT_EQUAL(pcie_dma_write(w.fn, 0x10000, buf, 8192, 100, &done), -EFAULT);
	CU_ASSERT_EQUAL(done, 100);
	/* mapped read-only */
	CU_ASSERT_EQUAL(pcie_dma_write(w.fn, 0x20000, buf, 4, 0, &done), -EFAULT);
	/* never mapped */
	CU_ASSERT_EQUAL(pcie_dma_write(w.fn, 0x90000000, buf, 4, 0, &done), -EFAULT);
	CU_ASSERT_EQUAL(mem_hash(w.mem, 0, 1 << 24, h1), 0);
	CU_ASSERT_EQUAL(memcmp(h0, h1, 32), 0);
	CU_ASSERT_EQUAL(iommu_dirty_read(w.dom, 0x10000, 0x1000, bm, false), 0);
	CU_ASSERT_EQUAL(bm[0], 0);
	/* a faulting read leaves the destination buffer alone */
	memset(pat, 0x3C, sizeof(pat));
	memcpy(buf, pat, sizeof(buf));
	CU_ASSERT_EQUAL(pcie_dma_read(w.fn, 0x10800, buf, 4096, 0, &done), -EFAULT);
	CU_ASSERT_EQUAL(memcmp(buf, pat, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(iommu_fault_count(w.io), 4);
	CU_ASSERT_EQUAL(iommu_fault_get(w.io, 0, &f), 0);
	CU_ASSERT_EQUAL(f.rid, pcie_fn_bdf(w.fn));
	CU_ASSERT_EQUAL(f.iova, 0x11000);
	CU_ASSERT_EQUAL(f.access, IOMMU_WRITE);
	CU_ASSERT_EQUAL(f.time, 100);
	CU_ASSERT_EQUAL(iommu_fault_get(w.io, 3, &f), 0);
	CU_ASSERT_EQUAL(f.iova, 0x11000);
	CU_ASSERT_EQUAL(f.access, IOMMU_READ);
	pcie_fn_stats(w.fn, &st);
	CU_ASSERT_EQUAL(st.dma_faults, 4);
	CU_ASSERT_EQUAL(st.mwr_tlps + st.mrd_tlps, 0);
	CU_ASSERT_EQUAL(st.up_wire_bytes, 0);
	world_fini(&w);
}

static void test_dma_refused_without_bus_master_or_memory(void)
{
	struct world w;
	struct pcie_fn_stats st;
	uint8_t buf[64] = { 1 };
	sim_time_t done;

	world_init(&w, NULL, false);
	CU_ASSERT_EQUAL(pcie_cfg_write(w.rc, pcie_fn_bdf(w.fn), PCI_COMMAND, 2, PCI_COMMAND_MEMORY),
			0);
	CU_ASSERT_EQUAL(pcie_dma_write(w.fn, 0x1000, buf, 64, 0, &done), -EPERM);
	CU_ASSERT_EQUAL(pcie_dma_read(w.fn, 0x1000, buf, 64, 0, &done), -EPERM);
	CU_ASSERT_EQUAL(mem_resident(w.mem), 0);
	CU_ASSERT_EQUAL(pcie_cfg_write(w.rc, pcie_fn_bdf(w.fn), PCI_COMMAND, 2, PCI_COMMAND_MASTER),
			0);
	CU_ASSERT_EQUAL(pcie_dma_write(w.fn, 1ULL << 34, buf, 64, 0, &done), -EIO);
	CU_ASSERT_EQUAL(pcie_dma_write(w.fn, (1ULL << 34) - 32, buf, 64, 0, &done), -EIO);
	CU_ASSERT_EQUAL(pcie_dma_write(w.fn, 0x1000, buf, PCIE_DMA_MAX + 1, 0, &done), -EINVAL);
	CU_ASSERT_EQUAL(mem_resident(w.mem), 0);
	pcie_fn_stats(w.fn, &st);
	CU_ASSERT_EQUAL(st.dma_refused, 5);
	CU_ASSERT_EQUAL(pcie_dma_write(w.fn, 0x1000, buf, 64, 0, &done), 0);
	world_fini(&w);
}

/* ---- The pcie-bench equations ------------------------------------------------------------ */

static double link_Bps(const struct pcie_link_cfg *c)
{
	static const double gts[] = { 0, 2.5, 5, 8, 16, 32 };
	double enc = c->gen <= 2 ? 8.0 / 10.0 : 128.0 / 130.0;

	return gts[c->gen] * 1e9 * c->width * enc / 8 * (1 - c->dllp_overhead_ppm / 1e6);
}

static double model_write(const struct pcie_link_cfg *c, unsigned sz)
{
	double wire = ceil((double)sz / c->mps) * 24 + sz;

	return sz * link_Bps(c) / wire;
}

static double model_read(const struct pcie_link_cfg *c, unsigned sz)
{
	double up = ceil((double)sz / c->mrrs) * 24;
	double down = ceil((double)sz / c->mps) * 20 + sz;

	return sz * link_Bps(c) / (up > down ? up : down);
}

/* Back-to-back DMAs of sz bytes at 4 KiB-aligned addresses, all issued at 0;
 * the steady-state rate is taken over the second half of the completions. */
static double measured(struct world *w, unsigned sz, bool write)
{
	static uint8_t buf[4096];
	/* enough that the link is busy well past the first round trip */
	unsigned n = sz < 512 ? 48 : 48 + 131072 / sz, k0 = n / 2;
	sim_time_t done, t0 = 0, t1 = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t a = 0x1000000 + (uint64_t)(i % 64) * 4096;
		int err = write ? pcie_dma_write(w->fn, a, buf, sz, 0, &done)
				: pcie_dma_read(w->fn, a, buf, sz, 0, &done);

		CU_ASSERT_EQUAL_FATAL(err, 0);
		if (i == k0 - 1)
			t0 = done;
		t1 = done;
	}
	return (double)sz * (n - k0) / ((double)(t1 - t0) * 1e-12);
}

static void sweep(const struct pcie_link_cfg *lc, unsigned step, double *worst_w, double *worst_r)
{
	struct world w;

	*worst_w = *worst_r = 0;
	for (unsigned sz = 1; sz <= 4096; sz++) {
		double ew, er;

		/* every size to 300, then every step-th and both sides of each 128 B
		 * multiple (TLP boundaries); bench_pcie sweeps every size */
		if (sz > 300 && sz % step && (sz + 1) % 128 > 2)
			continue;

		/* a fresh world per size keeps the links idle at the start */
		world_init(&w, lc, false);
		ew = fabs(measured(&w, sz, true) / model_write(lc, sz) - 1);
		er = fabs(measured(&w, sz, false) / model_read(lc, sz) - 1);
		if (ew > *worst_w)
			*worst_w = ew;
		if (er > *worst_r)
			*worst_r = er;
		if (ew > 0.005 || er > 0.005)
			printf("\n    gen%u x%u mps %u sz %u: write err %.4f read err %.4f", lc->gen,
			       lc->width, lc->mps, sz, ew, er);
		world_fini(&w);
	}
}

static void test_dma_throughput_follows_pcie_bench_model(void)
{
	static const unsigned cases[][3] = { { 3, 8, 128 }, { 3, 8, 256 }, { 4, 16, 128 },
					     { 4, 16, 256 } };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pcie_link_cfg lc;
		double ww, wr;

		pcie_link_cfg_default(&lc);
		lc.gen = cases[i][0];
		lc.width = cases[i][1];
		lc.mps = cases[i][2];
		lc.mrrs = 512;
		lc.read_tags = 1024; /* enough that reads are link-bound, as the model assumes */
		sweep(&lc, 7, &ww, &wr);
		printf("\n    Gen%u x%-2u MPS %u MRRS 512: worst error write %.4f%% read %.4f%%",
		       lc.gen, lc.width, lc.mps, ww * 100, wr * 100);
		CU_ASSERT(ww < 0.005);
		CU_ASSERT(wr < 0.005);
	}
	printf("\n");
}

/* 8b/10b generations and a non-zero ACK/FC overhead scale the rate the same way. */
static void test_encoding_and_dllp_overhead_scale_link_rate(void)
{
	static const unsigned sizes[] = { 1, 64, 100, 256, 1500, 4096 };
	struct pcie_link_cfg lc;
	struct world w;

	for (unsigned g = 1; g <= 5; g++) {
		pcie_link_cfg_default(&lc);
		lc.gen = g;
		lc.width = g == 1 ? 1 : 4;
		lc.read_tags = 1024;
		lc.dllp_overhead_ppm = g == 3 ? 81400 : 0;
		CU_ASSERT_DOUBLE_EQUAL(pcie_link_gbps(&lc) / 8 * 1e9, link_Bps(&lc), 1);
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			world_init(&w, &lc, false);
			CU_ASSERT(fabs(measured(&w, sizes[i], true) / model_write(&lc, sizes[i]) - 1) <
				  0.005);
			CU_ASSERT(fabs(measured(&w, sizes[i], false) / model_read(&lc, sizes[i]) - 1) <
				  0.005);
			world_fini(&w);
		}
	}
}

static void test_unloaded_read_latency_is_550ns_at_64_bytes(void)
{
	struct world w;
	uint8_t buf[512];
	sim_time_t done;

	world_init(&w, NULL, false);
	eng_run_until(w.sim, ENG_US(1));
	CU_ASSERT_EQUAL(pcie_dma_read(w.fn, 0x4000, buf, 64, ENG_US(1), &done), 0);
	CU_ASSERT_EQUAL(done - ENG_US(1), ENG_NS(550));
	CU_ASSERT_EQUAL(pcie_dma_read(w.fn, 0x8000, buf, 512, ENG_US(5), &done), 0);
	CU_ASSERT_EQUAL(done - ENG_US(5), ENG_PS(530800 + 300 * 512));
	/* an issue time in the past is taken as now */
	eng_run_until(w.sim, ENG_US(2));
	CU_ASSERT_EQUAL(pcie_dma_read(w.fn, 0x8000, buf, 64, 0, &done), 0);
	CU_ASSERT_EQUAL(done, ENG_US(2) + ENG_NS(550));
	world_fini(&w);
}

static double tag_limited(unsigned tags)
{
	struct pcie_link_cfg lc;
	struct world w;
	uint8_t buf[512];
	sim_time_t done, t0 = 0, t1 = 0;
	/* a window of whole rounds: requests go out in groups of `tags` */
	const unsigned n = 768, k0 = 256;

	pcie_link_cfg_default(&lc);
	lc.gen = 4;
	lc.width = 16;
	lc.read_tags = tags;
	world_init(&w, &lc, false);
	for (unsigned i = 0; i < n; i++) {
		CU_ASSERT_EQUAL_FATAL(pcie_dma_read(w.fn, 0x100000 + (uint64_t)i * 512, buf, 512, 0,
						    &done), 0);
		if (i == k0 - 1)
			t0 = done;
		t1 = done;
	}
	world_fini(&w);
	return 512.0 * (n - k0) / ((double)(t1 - t0) * 1e-12);
}

static void test_read_tags_limit_read_bandwidth(void)
{
	struct pcie_link_cfg lc;
	const double rtt = 684.4e-9; /* 530.8 ns + 0.3 ns * 512 */
	double prev = 0;

	pcie_link_cfg_default(&lc);
	lc.gen = 4;
	lc.width = 16;
	for (unsigned tags = 1; tags <= 16; tags *= 2) {
		double tp = tag_limited(tags);

		printf("\n    %2u tags: %.3f GB/s (tags*512/rtt %.3f)", tags, tp / 1e9,
		       tags * 512 / rtt / 1e9);
		/* latency-bound: tags requests in flight per round trip */
		CU_ASSERT(fabs(tp / (tags * 512 / rtt) - 1) < 0.01);
		CU_ASSERT(tp > prev * 1.9);
		prev = tp;
	}
	/* enough tags: the link is the limit */
	CU_ASSERT(fabs(tag_limited(64) / model_read(&lc, 512) - 1) < 0.005);
	CU_ASSERT(fabs(tag_limited(256) / model_read(&lc, 512) - 1) < 0.005);
	CU_ASSERT(tag_limited(32) < model_read(&lc, 512));
}

static void test_tlps_counted_by_kind_and_direction(void)
{
	struct world w;
	struct pcie_fn_stats st;
	uint8_t buf[1500] = { 0 };
	sim_time_t done;

	world_init(&w, NULL, false);
	CU_ASSERT_EQUAL(pcie_dma_write(w.fn, 0x10000, buf, 1500, 0, &done), 0);
	pcie_fn_stats(w.fn, &st);
	CU_ASSERT_EQUAL(st.mwr_tlps, 6); /* MPS 256 */
	CU_ASSERT_EQUAL(st.mwr_bytes, 1500);
	CU_ASSERT_EQUAL(st.up_wire_bytes, 6 * 24 + 1500);
	CU_ASSERT_EQUAL(st.dma_writes, 1);
	pcie_fn_stats_reset(w.fn);
	CU_ASSERT_EQUAL(pcie_dma_read(w.fn, 0x10000, buf, 1500, 0, &done), 0);
	pcie_fn_stats(w.fn, &st);
	CU_ASSERT_EQUAL(st.mrd_tlps, 3); /* MRRS 512 */
	CU_ASSERT_EQUAL(st.mrd_bytes, 1500);
	CU_ASSERT_EQUAL(st.cpld_tlps, 6); /* 2 completions of up to 256 B per request */
	CU_ASSERT_EQUAL(st.cpld_bytes, 1500);
	CU_ASSERT_EQUAL(st.up_wire_bytes, 3 * 24);
	CU_ASSERT_EQUAL(st.down_wire_bytes, 6 * 20 + 1500);
	CU_ASSERT_EQUAL(st.mwr_tlps, 0);
	CU_ASSERT_EQUAL(st.dma_reads, 1);
	/* the link totals see both DMAs; 1620 B downstream at 126.953 ps/B */
	struct pcie_link_info li;
	pcie_fn_link_info(w.fn, &li);
	CU_ASSERT_EQUAL(li.up_wire_bytes, 6 * 24 + 1500 + 3 * 24);
	CU_ASSERT_EQUAL(li.down_wire_bytes, 6 * 20 + 1500);
	CU_ASSERT(li.down_busy >= 205664 && li.down_busy <= 205670);
	world_fini(&w);
}

static void test_unaligned_read_splits_at_mrrs_and_rcb_boundaries(void)
{
	struct world w;
	struct pcie_fn_stats st;
	uint8_t buf[512];
	sim_time_t done;
	uint32_t ctl;
	uint16_t devctl = 0x40 + PCI_EXP_DEVCTL; /* the PCIe capability is first, at 0x40 */

	world_init(&w, NULL, false);
	/* MPS 128 */
	CU_ASSERT_EQUAL(pcie_cfg_read(w.rc, pcie_fn_bdf(w.fn), devctl, 2, &ctl), 0);
	ctl &= ~(uint32_t)PCI_EXP_DEVCTL_PAYLOAD;
	CU_ASSERT_EQUAL(pcie_cfg_write(w.rc, pcie_fn_bdf(w.fn), devctl, 2, ctl), 0);
	/* 256 B from offset 16: completions end at RCB (64 B) boundaries: 112 + 128 + 16 */
	CU_ASSERT_EQUAL(pcie_dma_read(w.fn, 0x1010, buf, 256, 0, &done), 0);
	pcie_fn_stats(w.fn, &st);
	CU_ASSERT_EQUAL(st.mrd_tlps, 1);
	CU_ASSERT_EQUAL(st.cpld_tlps, 3);
	/* the same length aligned: 2 completions */
	pcie_fn_stats_reset(w.fn);
	CU_ASSERT_EQUAL(pcie_dma_read(w.fn, 0x2000, buf, 256, 0, &done), 0);
	pcie_fn_stats(w.fn, &st);
	CU_ASSERT_EQUAL(st.cpld_tlps, 2);
	/* a request never crosses an MRRS-aligned boundary */
	pcie_fn_stats_reset(w.fn);
	CU_ASSERT_EQUAL(pcie_dma_read(w.fn, 0x11F0, buf, 32, 0, &done), 0);
	pcie_fn_stats(w.fn, &st);
	CU_ASSERT_EQUAL(st.mrd_tlps, 2);
	/* writes split at MPS-aligned boundaries */
	pcie_fn_stats_reset(w.fn);
	CU_ASSERT_EQUAL(pcie_dma_write(w.fn, 0x1070, buf, 32, 0, &done), 0);
	pcie_fn_stats(w.fn, &st);
	CU_ASSERT_EQUAL(st.mwr_tlps, 2);
	world_fini(&w);
}

static void test_iotlb_miss_adds_walk_to_dma_latency(void)
{
	struct world w;
	struct pcie_fn_stats st;
	uint8_t buf[64];
	sim_time_t done;

	world_init(&w, NULL, true);
	CU_ASSERT_EQUAL(iommu_map(w.dom, 0x40000, 0x80000, 0x4000, IOMMU_READ | IOMMU_WRITE), 0);
	CU_ASSERT_EQUAL(pcie_dma_read(w.fn, 0x40000, buf, 64, 0, &done), 0);
	CU_ASSERT_EQUAL(done, ENG_NS(550 + 280));
	CU_ASSERT_EQUAL(pcie_dma_read(w.fn, 0x40040, buf, 64, ENG_US(2), &done), 0);
	CU_ASSERT_EQUAL(done, ENG_US(2) + ENG_NS(550));
	/* another cold page walks again */
	CU_ASSERT_EQUAL(pcie_dma_read(w.fn, 0x41000, buf, 64, ENG_US(4), &done), 0);
	CU_ASSERT_EQUAL(done, ENG_US(4) + ENG_NS(550 + 280));
	pcie_fn_stats(w.fn, &st);
	CU_ASSERT_EQUAL(st.iotlb_misses, 2);
	world_fini(&w);
}

static void test_posted_writes_become_visible_in_order(void)
{
	struct world w;
	uint8_t buf[64] = { 0 };
	sim_time_t d1, d2, d3, sent;

	world_init(&w, NULL, true);
	CU_ASSERT_EQUAL(iommu_map(w.dom, 0x40000, 0x80000, 0x4000, IOMMU_READ | IOMMU_WRITE), 0);
	CU_ASSERT_EQUAL(pcie_dma_write(w.fn, 0x41000, buf, 8, 0, &d1), 0); /* warm page 1 */
	eng_run_until(w.sim, ENG_US(10));
	/* cold page: visible after walk + latency */
	CU_ASSERT_EQUAL(pcie_dma_write_as(w.fn, 0, 0x40000, buf, 64, ENG_US(10), &sent, &d2), 0);
	CU_ASSERT_EQUAL(d2, sent + ENG_NS(280 + 250));
	/* the next write hits the IOTLB but may not pass the first */
	CU_ASSERT_EQUAL(pcie_dma_write_as(w.fn, 0, 0x41000, buf, 8, sent, &sent, &d3), 0);
	CU_ASSERT(sent + ENG_NS(250) < d2);
	CU_ASSERT_EQUAL(d3, d2);
	world_fini(&w);
}

static void test_cursor_advances_time_per_access_and_keeps_first_error(void)
{
	struct world w;
	struct pcie_dma_cursor c;
	uint8_t buf[64] = { 9 };
	sim_time_t t;

	world_init(&w, NULL, true);
	CU_ASSERT_EQUAL(iommu_map(w.dom, 0x40000, 0x80000, 0x1000, IOMMU_READ | IOMMU_WRITE), 0);
	pcie_dma_cursor_init(&c, w.fn, 0, ENG_US(1));
	CU_ASSERT_EQUAL(pcie_dma_cursor_write(&c, 0x40000, buf, 64), 0);
	/* a write frees the engine once its 88-byte TLP is on the link */
	t = ENG_US(1) + 11172;
	CU_ASSERT_EQUAL(c.t, t);
	CU_ASSERT_EQUAL(c.visible, t + ENG_NS(280 + 250));
	/* a read waits for its data (the IOTLB entry is warm now) */
	CU_ASSERT_EQUAL(pcie_dma_cursor_read(&c, 0x40000, buf, 16), 0);
	CU_ASSERT_EQUAL(c.t, t + ENG_PS(530800 + 300 * 16));
	t = c.t;
	CU_ASSERT_EQUAL(pcie_dma_cursor_read(&c, 0x90000, buf, 16), -EFAULT);
	CU_ASSERT_EQUAL(pcie_dma_cursor_write(&c, 0x0, buf, 16), -EFAULT);
	CU_ASSERT_EQUAL(c.err, -EFAULT);
	CU_ASSERT_EQUAL(c.t, t);
	/* the adapter matches the ring accessor signature */
	int (*rd)(void *, uint64_t, void *, uint32_t) = pcie_dma_cursor_read;
	int (*wr)(void *, uint64_t, const void *, uint32_t) = pcie_dma_cursor_write;
	CU_ASSERT_EQUAL(wr(&c, 0x40010, buf, 4), 0);
	CU_ASSERT_EQUAL(rd(&c, 0x40010, buf, 4), 0);
	world_fini(&w);
}

static void test_dma_writes_mark_exactly_their_pages_dirty(void)
{
	struct world w;
	uint8_t buf[6000] = { 1 };
	uint64_t bm[2];
	sim_time_t done;

	world_init(&w, NULL, true);
	CU_ASSERT_EQUAL(iommu_map(w.dom, 0x100000, 0x200000, 64 << 12, IOMMU_READ | IOMMU_WRITE) ==
			0, 1); /* 2 MiB aligned pa but only 256 KiB: 4 KiB pages */
	CU_ASSERT_EQUAL(iommu_dirty_tracking(w.dom, true), 0);
	CU_ASSERT_EQUAL(pcie_dma_write(w.fn, 0x100000 + 5 * 4096 + 100, buf, 6000, 0, &done), 0);
	CU_ASSERT_EQUAL(pcie_dma_write(w.fn, 0x100000 + 40 * 4096, buf, 1, 0, &done), 0);
	CU_ASSERT_EQUAL(pcie_dma_read(w.fn, 0x100000 + 50 * 4096, buf, 100, 0, &done), 0);
	CU_ASSERT_EQUAL(iommu_dirty_read(w.dom, 0x100000, 64 << 12, bm, true), 0);
	CU_ASSERT_EQUAL(bm[0], (1ULL << 5) | (1ULL << 6) | (1ULL << 40));
	world_fini(&w);
}

/* ---- Two simulations side by side ------------------------------------------------------- */

struct log {
	sim_time_t done[400];
	uint8_t hash[32];
	struct pcie_fn_stats st;
	uint64_t misses;
};

static void run_ops(struct world *w, struct eng_rng *r, struct log *l, unsigned i)
{
	uint8_t buf[2048];
	uint64_t iova = 0x400000 + eng_rng_below(r, 256) * 4096 + eng_rng_below(r, 4096);
	uint32_t len = 1 + (uint32_t)eng_rng_below(r, sizeof(buf));

	for (uint32_t k = 0; k < len; k++)
		buf[k] = (uint8_t)(k + i);
	int err = eng_rng_below(r, 2) ? pcie_dma_write(w->fn, iova, buf, len, 0, &l->done[i])
				      : pcie_dma_read(w->fn, iova, buf, len, 0, &l->done[i]);

	CU_ASSERT_EQUAL(err, 0);
}

static void world_with_map(struct world *w, const struct pcie_link_cfg *lc)
{
	world_init(w, lc, true);
	CU_ASSERT_EQUAL_FATAL(iommu_map(w->dom, 0x400000, 0x10000000, 260 * 4096,
					IOMMU_READ | IOMMU_WRITE), 0);
}

static void finish(struct world *w, struct log *l)
{
	struct iommu_stats is;

	pcie_fn_stats(w->fn, &l->st);
	iommu_get_stats(w->io, &is);
	l->misses = is.misses;
	CU_ASSERT_EQUAL(mem_hash(w->mem, 0x10000000, 260 * 4096, l->hash), 0);
}

static void test_two_sims_side_by_side_do_not_interfere(void)
{
	static struct log alone, side, other;
	struct pcie_link_cfg lc2;
	struct world a, b, c;
	struct eng_rng ra, rb, rc;

	world_with_map(&a, NULL);
	eng_rng_seed(&ra, 99);
	for (unsigned i = 0; i < 400; i++)
		run_ops(&a, &ra, &alone, i);
	finish(&a, &alone);
	world_fini(&a);

	pcie_link_cfg_default(&lc2);
	lc2.gen = 2;
	lc2.width = 1;
	world_with_map(&b, NULL);
	world_with_map(&c, &lc2);
	eng_rng_seed(&rb, 99);
	eng_rng_seed(&rc, 1234);
	for (unsigned i = 0; i < 400; i++) {
		run_ops(&b, &rb, &side, i);
		run_ops(&c, &rc, &other, i);
	}
	finish(&b, &side);
	finish(&c, &other);
	CU_ASSERT_EQUAL(memcmp(alone.done, side.done, sizeof(alone.done)), 0);
	CU_ASSERT_EQUAL(memcmp(alone.hash, side.hash, 32), 0);
	CU_ASSERT_EQUAL(memcmp(&alone.st, &side.st, sizeof(alone.st)), 0);
	CU_ASSERT_EQUAL(alone.misses, side.misses);
	CU_ASSERT_NOT_EQUAL(memcmp(alone.done, other.done, sizeof(alone.done)), 0);
	world_fini(&b);
	world_fini(&c);
}

CU_MAIN("pcie_dma",
	CU_TEST_ENTRY(test_dma_moves_data_through_iommu_mapping),
	CU_TEST_ENTRY(test_dma_fault_touches_nothing_and_is_logged),
	CU_TEST_ENTRY(test_dma_refused_without_bus_master_or_memory),
	CU_TEST_ENTRY(test_dma_throughput_follows_pcie_bench_model),
	CU_TEST_ENTRY(test_encoding_and_dllp_overhead_scale_link_rate),
	CU_TEST_ENTRY(test_unloaded_read_latency_is_550ns_at_64_bytes),
	CU_TEST_ENTRY(test_read_tags_limit_read_bandwidth),
	CU_TEST_ENTRY(test_tlps_counted_by_kind_and_direction),
	CU_TEST_ENTRY(test_unaligned_read_splits_at_mrrs_and_rcb_boundaries),
	CU_TEST_ENTRY(test_iotlb_miss_adds_walk_to_dma_latency),
	CU_TEST_ENTRY(test_posted_writes_become_visible_in_order),
	CU_TEST_ENTRY(test_cursor_advances_time_per_access_and_keeps_first_error),
	CU_TEST_ENTRY(test_dma_writes_mark_exactly_their_pages_dirty),
	CU_TEST_ENTRY(test_two_sims_side_by_side_do_not_interfere))
