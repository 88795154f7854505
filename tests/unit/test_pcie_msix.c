// SPDX-License-Identifier: MIT
/* MSI-X: table and PBA semantics, masking, pending bits, timed delivery. */
#include "sim/engine/engine.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/mem.h"
#include "sim/pcie/pcie.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdlib.h>

#define NVEC 8
#define MSI_ADDR(v) (0xFEE00000ULL + ((uint64_t)(v) << 12))
#define MSI_DATA(v) (0x4020u + (v))

struct irq_log {
	struct sim *sim;
	unsigned n;
	uint64_t addr[32];
	uint32_t data[32];
	sim_time_t when[32];
};

static void on_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct irq_log *l = ctx;

	if (l->n < 32) {
		l->addr[l->n] = addr;
		l->data[l->n] = data;
		l->when[l->n] = eng_now(l->sim);
		l->n++;
	}
}

struct world {
	struct sim *sim;
	struct mem *mem;
	struct iommu *io;
	struct iommu_domain *dom;
	struct pcie_rc *rc;
	struct pcie_fn *fn;
	struct pcie_host_fn hf;
	uint64_t table, pba; /* host addresses */
	int cap;
	struct irq_log log;
};

static void world_init(struct world *w)
{
	struct pcie_ep_desc d = {
		.vendor_id = 0x1af4,
		.device_id = 0x1041,
		.bar = { [0] = { 16 << 10, PCIE_BAR_64 }, [2] = { 4096, 0 } },
		.msix_vectors = NVEC,
		.msix_table_bar = 2,
		.msix_table_off = 0,
		.msix_pba_bar = 2,
		.msix_pba_off = 0x800,
	};
	unsigned n;

	memset(w, 0, sizeof(*w));
	w->sim = eng_sim_new(1, 0);
	w->mem = mem_new(1ULL << 32);
	w->io = iommu_new(w->sim, NULL);
	w->dom = iommu_domain_new(w->io, IOMMU_DOMAIN_PAGING);
	w->rc = pcie_rc_new(w->sim, w->mem, w->io, NULL);
	CU_ASSERT_FATAL(w->sim && w->mem && w->io && w->dom && w->rc);
	CU_ASSERT_EQUAL_FATAL(pcie_fn_create(w->rc, 2, 0, &d, &w->fn), 0);
	CU_ASSERT_EQUAL_FATAL(iommu_attach(w->io, pcie_fn_bdf(w->fn), 0, w->dom), 0);
	CU_ASSERT_EQUAL_FATAL(pcie_enumerate(w->rc, 0xE0000000, 0x1000000, &w->hf, 1, &n), 0);
	w->table = w->hf.bar[2].addr;
	w->pba = w->hf.bar[2].addr + 0x800;
	w->cap = pcie_find_cap(&w->hf, PCI_CAP_ID_MSIX, 0);
	CU_ASSERT_FATAL(w->cap > 0);
	w->log.sim = w->sim;
	pcie_rc_set_msi_handler(w->rc, on_msi, &w->log);
}

static void world_fini(struct world *w)
{
	pcie_rc_free(w->rc);
	iommu_free(w->io);
	mem_free(w->mem);
	eng_sim_free(w->sim);
}

static uint64_t mmio_rd(struct world *w, uint64_t addr, unsigned size)
{
	uint64_t v = 0;

	CU_ASSERT_EQUAL(pcie_mmio_read(w->rc, addr, size, &v, NULL), 0);
	return v;
}

static void mmio_wr(struct world *w, uint64_t addr, unsigned size, uint64_t v)
{
	CU_ASSERT_EQUAL(pcie_mmio_write(w->rc, addr, size, v, NULL), 0);
}

static uint16_t msix_ctl(struct world *w)
{
	uint32_t v = 0;

	CU_ASSERT_EQUAL(pcie_host_cfg_read(&w->hf, (uint16_t)(w->cap + PCI_MSIX_FLAGS), 2, &v), 0);
	return (uint16_t)v;
}

static void set_msix_ctl(struct world *w, uint16_t set, uint16_t clear)
{
	uint16_t v = (uint16_t)((msix_ctl(w) | set) & ~clear);

	CU_ASSERT_EQUAL(pcie_host_cfg_write(&w->hf, (uint16_t)(w->cap + PCI_MSIX_FLAGS), 2, v), 0);
}

/* Program every entry like a driver: address, data, then unmask `unmask`. */
static void program(struct world *w, uint32_t unmask)
{
	for (unsigned v = 0; v < NVEC; v++) {
		uint64_t e = w->table + v * PCI_MSIX_ENTRY_SIZE;

		mmio_wr(w, e + PCI_MSIX_ENTRY_LOWER_ADDR, 8, MSI_ADDR(v));
		mmio_wr(w, e + PCI_MSIX_ENTRY_DATA, 4, MSI_DATA(v));
		if (unmask >> v & 1)
			mmio_wr(w, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
	}
}

static void test_table_resets_masked_and_nothing_pending(void)
{
	struct world w;

	world_init(&w);
	CU_ASSERT_EQUAL(msix_ctl(&w) & PCI_MSIX_FLAGS_QSIZE, NVEC - 1);
	CU_ASSERT_FALSE(pcie_msix_enabled(w.fn));
	for (unsigned v = 0; v < NVEC; v++) {
		uint64_t e = w.table + v * PCI_MSIX_ENTRY_SIZE;

		CU_ASSERT_EQUAL(mmio_rd(&w, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 4),
				PCI_MSIX_ENTRY_CTRL_MASKBIT);
		CU_ASSERT_EQUAL(mmio_rd(&w, e, 8), 0);
		CU_ASSERT(pcie_msix_masked(w.fn, v));
	}
	CU_ASSERT_EQUAL(mmio_rd(&w, w.pba, 8), 0);
	world_fini(&w);
}

static void test_notify_delivers_message_at_posted_write_time(void)
{
	struct world w;
	struct pcie_fn_stats st;

	world_init(&w);
	program(&w, 1u << 3);
	set_msix_ctl(&w, PCI_MSIX_FLAGS_ENABLE, 0);
	CU_ASSERT(pcie_msix_enabled(w.fn));
	eng_run_until(w.sim, ENG_US(1));
	CU_ASSERT_EQUAL(pcie_msix_notify(w.fn, 3, ENG_US(2)), 0);
	CU_ASSERT_EQUAL(w.log.n, 0); /* not before its time */
	eng_run_until(w.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL_FATAL(w.log.n, 1);
	CU_ASSERT_EQUAL(w.log.addr[0], MSI_ADDR(3));
	CU_ASSERT_EQUAL(w.log.data[0], MSI_DATA(3));
	/* 28-byte MWr on Gen3 x8 (3.555 ns), then 250 ns to the host */
	CU_ASSERT_EQUAL(w.log.when[0], ENG_US(2) + 3555 + ENG_NS(250));
	CU_ASSERT_EQUAL(pcie_rc_msi_delivered(w.rc), 1);
	pcie_fn_stats(w.fn, &st);
	CU_ASSERT_EQUAL(st.msix_tlps, 1);
	CU_ASSERT_EQUAL(st.msix_bytes, 4);
	CU_ASSERT_EQUAL(st.up_wire_bytes, 28);
	CU_ASSERT_EQUAL(st.msix_pended, 0);
	world_fini(&w);
}

static void test_masked_vector_sets_pending_and_unmask_delivers(void)
{
	struct world w;
	struct pcie_fn_stats st;
	uint64_t e2;
	sim_time_t arr;

	world_init(&w);
	program(&w, 0x01); /* vector 2 stays masked */
	set_msix_ctl(&w, PCI_MSIX_FLAGS_ENABLE, 0);
	CU_ASSERT_EQUAL(pcie_msix_notify(w.fn, 2, 0), 0);
	eng_run_until(w.sim, ENG_US(5));
	CU_ASSERT_EQUAL(w.log.n, 0);
	CU_ASSERT(pcie_msix_pending(w.fn, 2));
	CU_ASSERT_EQUAL(mmio_rd(&w, w.pba, 8), 1u << 2);
	CU_ASSERT_EQUAL(mmio_rd(&w, w.pba, 1), 1u << 2);
	/* the driver retargets the masked vector: the new message is what goes out */
	e2 = w.table + 2 * PCI_MSIX_ENTRY_SIZE;
	mmio_wr(&w, e2 + PCI_MSIX_ENTRY_DATA, 4, 0x7777);
	CU_ASSERT_EQUAL(pcie_mmio_write(w.rc, e2 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0, &arr), 0);
	CU_ASSERT_FALSE(pcie_msix_pending(w.fn, 2));
	CU_ASSERT_EQUAL(mmio_rd(&w, w.pba, 8), 0);
	eng_run_until(w.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL_FATAL(w.log.n, 1);
	CU_ASSERT_EQUAL(w.log.data[0], 0x7777);
	CU_ASSERT_EQUAL(w.log.addr[0], MSI_ADDR(2));
	/* sent when the unmask reached the device */
	CU_ASSERT_EQUAL(w.log.when[0], arr + 3555 + ENG_NS(250));
	pcie_fn_stats(w.fn, &st);
	CU_ASSERT_EQUAL(st.msix_pended, 1);
	CU_ASSERT_EQUAL(st.msix_tlps, 1);
	/* a second notify on an unmasked vector goes straight out */
	CU_ASSERT_EQUAL(pcie_msix_notify(w.fn, 2, 0), 0);
	eng_run_until(w.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(w.log.n, 2);
	world_fini(&w);
}

static void test_function_mask_holds_all_vectors_and_clearing_releases(void)
{
	struct world w;

	world_init(&w);
	program(&w, 0xFF);
	set_msix_ctl(&w, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 0);
	CU_ASSERT(pcie_msix_masked(w.fn, 0));
	CU_ASSERT_EQUAL(pcie_msix_notify(w.fn, 0, 0), 0);
	CU_ASSERT_EQUAL(pcie_msix_notify(w.fn, 5, 0), 0);
	eng_run_until(w.sim, ENG_US(3));
	CU_ASSERT_EQUAL(w.log.n, 0);
	CU_ASSERT_EQUAL(mmio_rd(&w, w.pba, 8), (1u << 0) | (1u << 5));
	/* per-vector control still reads unmasked: the function mask is separate */
	CU_ASSERT_EQUAL(mmio_rd(&w, w.table + PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 0);
	set_msix_ctl(&w, 0, PCI_MSIX_FLAGS_MASKALL);
	eng_run_until(w.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL_FATAL(w.log.n, 2);
	CU_ASSERT_EQUAL(w.log.data[0], MSI_DATA(0));
	CU_ASSERT_EQUAL(w.log.data[1], MSI_DATA(5));
	CU_ASSERT(w.log.when[0] < w.log.when[1]); /* one link, in order */
	CU_ASSERT_EQUAL(mmio_rd(&w, w.pba, 8), 0);
	world_fini(&w);
}

static void test_notify_refused_when_disabled_without_master_or_bad_vector(void)
{
	struct world w;
	struct pcie_fn *plain;
	struct pcie_ep_desc d = { .vendor_id = 0x1af4, .device_id = 0x1000 };
	uint32_t cmd;

	world_init(&w);
	program(&w, 0xFF);
	CU_ASSERT_EQUAL(pcie_msix_notify(w.fn, 0, 0), -ENXIO);
	set_msix_ctl(&w, PCI_MSIX_FLAGS_ENABLE, 0);
	CU_ASSERT_EQUAL(pcie_msix_notify(w.fn, NVEC, 0), -EINVAL);
	CU_ASSERT_EQUAL(pcie_host_cfg_read(&w.hf, PCI_COMMAND, 2, &cmd), 0);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&w.hf, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MASTER), 0);
	CU_ASSERT_EQUAL(pcie_msix_notify(w.fn, 0, 0), -EPERM);
	CU_ASSERT_EQUAL(pcie_fn_create(w.rc, 9, 0, &d, &plain), 0);
	CU_ASSERT_EQUAL(pcie_msix_notify(plain, 0, 0), -ENODEV);
	eng_run_until(w.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(w.log.n, 0);
	world_fini(&w);
}

static void test_pba_is_read_only_and_table_keeps_only_writable_bits(void)
{
	struct world w;
	uint64_t e1;

	world_init(&w);
	e1 = w.table + PCI_MSIX_ENTRY_SIZE;
	mmio_wr(&w, w.pba, 8, ~0ULL);
	CU_ASSERT_EQUAL(mmio_rd(&w, w.pba, 8), 0);
	mmio_wr(&w, e1 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0xFFFFFFFE);
	CU_ASSERT_EQUAL(mmio_rd(&w, e1 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 0);
	mmio_wr(&w, e1 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0xFFFFFFFF);
	CU_ASSERT_EQUAL(mmio_rd(&w, e1 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 1);
	mmio_wr(&w, e1 + PCI_MSIX_ENTRY_LOWER_ADDR, 4, 0xFEE01003);
	CU_ASSERT_EQUAL(mmio_rd(&w, e1 + PCI_MSIX_ENTRY_LOWER_ADDR, 4), 0xFEE01000);
	mmio_wr(&w, e1 + PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0x12);
	CU_ASSERT_EQUAL(mmio_rd(&w, e1, 8), 0x12FEE01000ULL);
	mmio_wr(&w, e1 + PCI_MSIX_ENTRY_DATA, 2, 0xABCD);
	CU_ASSERT_EQUAL(mmio_rd(&w, e1 + PCI_MSIX_ENTRY_DATA, 4), 0xABCD);
	/* table/PBA accesses never reach the device's callbacks (it has none here,
	 * so a leak would read zeros, not the table) */
	CU_ASSERT_EQUAL(mmio_rd(&w, e1 + PCI_MSIX_ENTRY_DATA, 2), 0xABCD);
	world_fini(&w);
}

static void test_messages_routed_by_address_and_data(void)
{
	struct world w;
	struct irq_log a = { 0 }, b = { 0 };
	unsigned ida, idb;

	world_init(&w);
	a.sim = b.sim = w.sim;
	CU_ASSERT_EQUAL(pcie_rc_add_msi_route(w.rc, MSI_ADDR(1), 0x1000, 0, 0xFFFFFFFF, on_msi, &a,
					      &ida), 0);
	CU_ASSERT_EQUAL(pcie_rc_add_msi_route(w.rc, 0xFEE00000, 0x100000, MSI_DATA(4), MSI_DATA(5),
					      on_msi, &b, &idb), 0);
	CU_ASSERT_EQUAL(pcie_rc_add_msi_route(w.rc, 0, 0, 0, 0, on_msi, &b, NULL), -EINVAL);
	program(&w, 0xFF);
	set_msix_ctl(&w, PCI_MSIX_FLAGS_ENABLE, 0);
	for (unsigned v = 0; v < 6; v++)
		CU_ASSERT_EQUAL(pcie_msix_notify(w.fn, v, 0), 0);
	eng_run_until(w.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(a.n, 1);
	CU_ASSERT_EQUAL(a.data[0], MSI_DATA(1));
	CU_ASSERT_EQUAL(b.n, 2);
	CU_ASSERT_EQUAL(w.log.n, 3); /* vectors 0, 2, 3 fall to the default handler */
	CU_ASSERT_EQUAL(pcie_rc_del_msi_route(w.rc, ida), 0);
	CU_ASSERT_EQUAL(pcie_rc_del_msi_route(w.rc, ida), -ENOENT);
	pcie_rc_set_msi_handler(w.rc, NULL, NULL);
	CU_ASSERT_EQUAL(pcie_msix_notify(w.fn, 1, 0), 0);
	eng_run_until(w.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(a.n, 1);
	CU_ASSERT_EQUAL(pcie_rc_msi_unclaimed(w.rc), 1);
	world_fini(&w);
}

static void test_message_not_delivered_before_earlier_dma_write(void)
{
	struct world w;
	uint8_t buf[256] = { 0 };
	sim_time_t sent, vis;

	world_init(&w);
	program(&w, 0xFF);
	set_msix_ctl(&w, PCI_MSIX_FLAGS_ENABLE, 0);
	CU_ASSERT_EQUAL(iommu_map(w.dom, 0x10000, 0x20000, 0x1000, IOMMU_WRITE), 0);
	/* cold IOTLB: the write is visible only after a 280 ns walk */
	CU_ASSERT_EQUAL(pcie_dma_write_as(w.fn, 0, 0x10000, buf, sizeof(buf), 0, &sent, &vis), 0);
	CU_ASSERT_EQUAL(pcie_msix_notify(w.fn, 0, sent), 0);
	eng_run_until(w.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL_FATAL(w.log.n, 1);
	CU_ASSERT(w.log.when[0] >= vis);
	world_fini(&w);
}

static void test_flr_masks_vectors_and_clears_pending(void)
{
	struct world w;
	uint32_t ctl;
	int pos;

	world_init(&w);
	program(&w, 0x0F);
	set_msix_ctl(&w, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 0);
	CU_ASSERT_EQUAL(pcie_msix_notify(w.fn, 1, 0), 0);
	CU_ASSERT(pcie_msix_pending(w.fn, 1));
	pos = pcie_find_cap(&w.hf, PCI_CAP_ID_EXP, 0);
	CU_ASSERT_FATAL(pos > 0);
	CU_ASSERT_EQUAL(pcie_host_cfg_read(&w.hf, (uint16_t)(pos + PCI_EXP_DEVCTL), 2, &ctl), 0);
	CU_ASSERT_EQUAL(pcie_host_cfg_write(&w.hf, (uint16_t)(pos + PCI_EXP_DEVCTL), 2,
					    ctl | PCI_EXP_DEVCTL_BCR_FLR), 0);
	CU_ASSERT_FALSE(pcie_msix_enabled(w.fn));
	CU_ASSERT_FALSE(pcie_msix_pending(w.fn, 1));
	for (unsigned v = 0; v < NVEC; v++)
		CU_ASSERT(pcie_msix_masked(w.fn, v));
	eng_run_until(w.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(w.log.n, 0);
	world_fini(&w);
}

static void test_freeing_rc_cancels_undelivered_messages(void)
{
	struct world w;

	world_init(&w);
	program(&w, 0xFF);
	set_msix_ctl(&w, PCI_MSIX_FLAGS_ENABLE, 0);
	CU_ASSERT_EQUAL(pcie_msix_notify(w.fn, 0, ENG_US(1)), 0);
	CU_ASSERT_EQUAL(eng_queue_len(w.sim), 1);
	pcie_rc_free(w.rc);
	w.rc = NULL;
	CU_ASSERT_EQUAL(eng_queue_len(w.sim), 0);
	eng_run_until(w.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(w.log.n, 0);
	world_fini(&w);
}

CU_MAIN("pcie_msix",
	CU_TEST_ENTRY(test_table_resets_masked_and_nothing_pending),
	CU_TEST_ENTRY(test_notify_delivers_message_at_posted_write_time),
	CU_TEST_ENTRY(test_masked_vector_sets_pending_and_unmask_delivers),
	CU_TEST_ENTRY(test_function_mask_holds_all_vectors_and_clearing_releases),
	CU_TEST_ENTRY(test_notify_refused_when_disabled_without_master_or_bad_vector),
	CU_TEST_ENTRY(test_pba_is_read_only_and_table_keeps_only_writable_bits),
	CU_TEST_ENTRY(test_messages_routed_by_address_and_data),
	CU_TEST_ENTRY(test_message_not_delivered_before_earlier_dma_write),
	CU_TEST_ENTRY(test_flr_masks_vectors_and_clears_pending),
	CU_TEST_ENTRY(test_freeing_rc_cancels_undelivered_messages))
