// SPDX-License-Identifier: MIT
/*
 * PCIe platform benchmark.
 *  1. DMA throughput against the pcie-bench equations for every size 1..4096 B
 *     (Gen3 x8 and Gen4 x16, MPS 128/256, MRRS 512): worst relative error and
 *     a table at a few sizes (simulated time, no wall clock involved).
 *  2. The IOTLB cliff: 64 B random reads vs working set (32 tags, 64 entries).
 *  3. Read throughput vs outstanding tags (512 B reads, Gen4 x16).
 *  4. Model speed: DMA calls per wall-clock second.
 * Human lines plus "RESULT key value" lines for tools/run-bench.sh.
 */
#include "sim/engine/engine.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/mem.h"
#include "sim/pcie/pcie.h"

#include <linux/pci_regs.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct world {
	struct sim *sim;
	struct mem *mem;
	struct iommu *io;
	struct iommu_domain *dom;
	struct pcie_rc *rc;
	struct pcie_fn *fn;
};

static int world_init(struct world *w, const struct pcie_link_cfg *lc, bool iommu)
{
	struct pcie_ep_desc d = { .vendor_id = 0x1af4, .device_id = 0x1041 };

	memset(w, 0, sizeof(*w));
	w->sim = eng_sim_new(1, 0);
	w->mem = mem_new(1ULL << 34);
	if (iommu) {
		w->io = iommu_new(w->sim, NULL);
		w->dom = w->io ? iommu_domain_new(w->io, IOMMU_DOMAIN_PAGING) : NULL;
		if (!w->dom)
			return -1;
	}
	w->rc = w->sim && w->mem ? pcie_rc_new(w->sim, w->mem, w->io, lc) : NULL;
	if (!w->rc || pcie_fn_create(w->rc, 1, 0, &d, &w->fn) ||
	    pcie_cfg_write(w->rc, pcie_fn_bdf(w->fn), PCI_COMMAND, 2,
			   PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER))
		return -1;
	if (iommu && iommu_attach(w->io, pcie_fn_bdf(w->fn), 0, w->dom))
		return -1;
	return 0;
}

static void world_fini(struct world *w)
{
	pcie_rc_free(w->rc);
	iommu_free(w->io);
	mem_free(w->mem);
	eng_sim_free(w->sim);
}

static double link_Bps(const struct pcie_link_cfg *c)
{
	return pcie_link_gbps(c) * 1e9 / 8;
}

static double model(const struct pcie_link_cfg *c, unsigned sz, bool write)
{
	double up, down;

	if (write)
		return sz * link_Bps(c) / (ceil((double)sz / c->mps) * 24 + sz);
	up = ceil((double)sz / c->mrrs) * 24;
	down = ceil((double)sz / c->mps) * 20 + sz;
	return sz * link_Bps(c) / (up > down ? up : down);
}

/* Steady-state rate of back-to-back DMAs of sz bytes, in B/s (simulated). */
static double measured(const struct pcie_link_cfg *lc, unsigned sz, bool write)
{
	static uint8_t buf[4096];
	unsigned n = sz < 512 ? 48 : 48 + 131072 / sz, k0 = n / 2;
	sim_time_t done = 0, t0 = 0;
	struct world w;

	if (world_init(&w, lc, false))
		return -1;
	for (unsigned i = 0; i < n; i++) {
		uint64_t a = 0x1000000 + (uint64_t)(i % 64) * 4096;
		int err = write ? pcie_dma_write(w.fn, a, buf, sz, 0, &done)
				: pcie_dma_read(w.fn, a, buf, sz, 0, &done);

		if (err)
			return -1;
		if (i == k0 - 1)
			t0 = done;
	}
	world_fini(&w);
	return (double)sz * (n - k0) / ((double)(done - t0) * 1e-12);
}

static void sweep(void)
{
	static const unsigned cases[][3] = { { 3, 8, 128 }, { 3, 8, 256 }, { 4, 16, 128 },
					     { 4, 16, 256 } };
	static const unsigned show[] = { 64, 128, 256, 512, 1024, 1500, 4096 };

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct pcie_link_cfg lc;
		double worst[2] = { 0, 0 };

		pcie_link_cfg_default(&lc);
		lc.gen = cases[c][0];
		lc.width = cases[c][1];
		lc.mps = cases[c][2];
		lc.mrrs = 512;
		lc.read_tags = 1024;
		for (unsigned sz = 1; sz <= 4096; sz++) {
			for (int wr = 0; wr < 2; wr++) {
				double e = fabs(measured(&lc, sz, wr) / model(&lc, sz, wr) - 1);

				if (e > worst[wr])
					worst[wr] = e;
			}
		}
		printf("Gen%u x%-2u MPS %-3u MRRS 512  sizes 1..4096: worst |sim/model-1| write %.4f%%"
		       "  read %.4f%%\n", lc.gen, lc.width, lc.mps, worst[1] * 100, worst[0] * 100);
		printf("    size   write GB/s (model)    read GB/s (model)\n");
		for (size_t i = 0; i < sizeof(show) / sizeof(show[0]); i++)
			printf("    %4u   %7.3f (%7.3f)     %7.3f (%7.3f)\n", show[i],
			       measured(&lc, show[i], true) / 1e9, model(&lc, show[i], true) / 1e9,
			       measured(&lc, show[i], false) / 1e9, model(&lc, show[i], false) / 1e9);
		printf("RESULT pcie.sweep.gen%ux%u_mps%u.worst_err_write_pct %.4f\n", lc.gen, lc.width,
		       lc.mps, worst[1] * 100);
		printf("RESULT pcie.sweep.gen%ux%u_mps%u.worst_err_read_pct %.4f\n", lc.gen, lc.width,
		       lc.mps, worst[0] * 100);
	}
}

static double cliff(uint64_t ws)
{
	struct pcie_link_cfg lc;
	struct world w;
	struct eng_rng r;
	uint8_t buf[64];
	sim_time_t done = 0, t0 = 0;
	const int warm = 4000, n = 40000;

	pcie_link_cfg_default(&lc);
	lc.read_tags = 32;
	if (world_init(&w, &lc, true) ||
	    iommu_map(w.dom, 1ULL << 30, (1ULL << 31) + 4096, ws, IOMMU_READ))
		return -1;
	eng_rng_seed(&r, 77);
	for (int i = 0; i < warm + n; i++) {
		if (pcie_dma_read(w.fn, (1ULL << 30) + eng_rng_below(&r, ws / 64) * 64, buf, 64, 0,
				  &done))
			return -1;
		if (i == warm - 1)
			t0 = done;
	}
	world_fini(&w);
	return (double)n * 64 / ((double)(done - t0) * 1e-12) / 1e9;
}

static double tags_tp(unsigned tags)
{
	struct pcie_link_cfg lc;
	struct world w;
	uint8_t buf[512];
	sim_time_t done = 0, t0 = 0;

	pcie_link_cfg_default(&lc);
	lc.gen = 4;
	lc.width = 16;
	lc.read_tags = tags;
	if (world_init(&w, &lc, false))
		return -1;
	for (unsigned i = 0; i < 2048; i++) {
		if (pcie_dma_read(w.fn, 0x100000 + (uint64_t)i * 512, buf, 512, 0, &done))
			return -1;
		if (i == 1023)
			t0 = done;
	}
	world_fini(&w);
	return 512.0 * 1024 / ((double)(done - t0) * 1e-12) / 1e9;
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void speed(void)
{
	struct world w;
	struct eng_rng r;
	uint8_t buf[1500];
	sim_time_t t = 0;
	const unsigned n = 2000000;
	double t0, t1;

	if (world_init(&w, NULL, true) ||
	    iommu_map(w.dom, 0, 1ULL << 32, 64 << 20, IOMMU_READ | IOMMU_WRITE))
		return;
	eng_rng_seed(&r, 5);
	t0 = wall();
	for (unsigned i = 0; i < n; i++) {
		uint64_t a = eng_rng_below(&r, (64 << 20) - 1500);
		uint32_t len = i % 4 ? 64 : 1500;
		sim_time_t done;

		if ((i & 1 ? pcie_dma_write(w.fn, a, buf, len, t, &done)
			   : pcie_dma_read(w.fn, a, buf, len, t, &done)))
			return;
		t += 100000;
	}
	t1 = wall();
	printf("model speed: %.2f M DMA calls/s (mix of 64 B and 1500 B reads/writes via IOMMU)\n",
	       n / (t1 - t0) / 1e6);
	printf("RESULT pcie.dma_calls_per_s %.0f\n", n / (t1 - t0));
	world_fini(&w);
}

int main(void)
{
	static const uint64_t ws[] = { 16 << 10, 128 << 10, 256 << 10, 320 << 10, 512 << 10,
				       1 << 20, 4 << 20, 64 << 20 };

	sweep();
	printf("IOTLB cliff (64 B random reads, 4 KiB pages, 64 entries, 32 tags, Gen3 x8):\n");
	for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
		double tp = cliff(ws[i]);

		printf("    working set %6llu KiB: %.3f GB/s\n", (unsigned long long)(ws[i] >> 10), tp);
		printf("RESULT pcie.iotlb_cliff.ws_%llu_kib_gbps %.3f\n",
		       (unsigned long long)(ws[i] >> 10), tp);
	}
	printf("Read throughput vs tags (512 B reads, Gen4 x16, MPS 256):\n");
	for (unsigned tags = 1; tags <= 256; tags *= 2) {
		double tp = tags_tp(tags);

		printf("    %3u tags: %7.3f GB/s\n", tags, tp);
		printf("RESULT pcie.tags_%u_gbps %.3f\n", tags, tp);
	}
	speed();
	return 0;
}
