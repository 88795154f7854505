// SPDX-License-Identifier: MIT
#include "sim/engine/engine.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/mem.h"
#include "sim/pcie/pcie.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <stdlib.h>

#define RID 0x0008 /* 00:01.0 */

struct env {
	struct sim *sim;
	struct iommu *io;
	struct iommu_domain *d;
};

static void env_init(struct env *e, const struct iommu_config *cfg)
{
	e->sim = eng_sim_new(1, 0);
	e->io = iommu_new(e->sim, cfg);
	CU_ASSERT_FATAL(e->sim && e->io);
	e->d = iommu_domain_new(e->io, IOMMU_DOMAIN_PAGING);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->d);
	CU_ASSERT_EQUAL_FATAL(iommu_attach(e->io, RID, 0, e->d), 0);
}

static void env_fini(struct env *e)
{
	iommu_free(e->io);
	eng_sim_free(e->sim);
}

static int xlate(struct env *e, uint64_t iova, unsigned acc, uint64_t *pa, sim_time_t *cost)
{
	uint64_t contig;
	sim_time_t c;

	return iommu_translate(e->io, RID, 0, iova, acc, eng_now(e->sim), pa, &contig,
			       cost ? cost : &c);
}

static void test_map_translate_and_unmap_round_trip(void)
{
	struct env e;
	uint64_t pa, contig;
	sim_time_t cost;
	unsigned prot;

	env_init(&e, NULL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x10000, 0x7000000, 0x3000, IOMMU_READ | IOMMU_WRITE), 0);
	CU_ASSERT_EQUAL(iommu_mapped_bytes(e.d), 0x3000);
	CU_ASSERT_EQUAL(iommu_translate(e.io, RID, 0, 0x11234, IOMMU_READ, 0, &pa, &contig, &cost),
			0);
	CU_ASSERT_EQUAL(pa, 0x7001234);
	CU_ASSERT_EQUAL(contig, 0x1000 - 0x234);
	CU_ASSERT_EQUAL(cost, ENG_NS(280)); /* cold: a page walk */
	CU_ASSERT_EQUAL(iommu_translate(e.io, RID, 0, 0x11FFF, IOMMU_WRITE, 0, &pa, &contig, &cost),
			0);
	CU_ASSERT_EQUAL(cost, 0); /* IOTLB hit */
	CU_ASSERT_EQUAL(iommu_iova_to_phys(e.d, 0x12008, &pa, &prot), 0);
	CU_ASSERT_EQUAL(pa, 0x7002008);
	CU_ASSERT_EQUAL(prot, IOMMU_READ | IOMMU_WRITE);
	CU_ASSERT_EQUAL(iommu_unmap(e.d, 0x11000, 0x1000), 0);
	CU_ASSERT_EQUAL(iommu_iova_to_phys(e.d, 0x11000, &pa, NULL), -EFAULT);
	CU_ASSERT_EQUAL(iommu_iova_to_phys(e.d, 0x10000, &pa, NULL), 0);
	CU_ASSERT_EQUAL(iommu_mapped_bytes(e.d), 0x2000);
	CU_ASSERT_EQUAL(iommu_unmap(e.d, 0x11000, 0x1000), -ENOENT);
	CU_ASSERT_EQUAL(iommu_unmap(e.d, 0x0, 0x100000), 0);
	CU_ASSERT_EQUAL(iommu_mapped_bytes(e.d), 0);
	env_fini(&e);
}

static void test_overlapping_map_is_eexist_and_changes_nothing(void)
{
	struct env e;
	uint64_t pa;

	env_init(&e, NULL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x100000, 0x200000, 0x4000, IOMMU_READ), 0);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x103000, 0x900000, 0x2000, IOMMU_READ), -EEXIST);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x0FF000, 0x900000, 0x2000, IOMMU_READ), -EEXIST);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x0, 0x900000, 0x400000, IOMMU_READ), -EEXIST);
	CU_ASSERT_EQUAL(iommu_mapped_bytes(e.d), 0x4000);
	CU_ASSERT_EQUAL(iommu_iova_to_phys(e.d, 0x0FF000, &pa, NULL), -EFAULT);
	CU_ASSERT_EQUAL(iommu_iova_to_phys(e.d, 0x104000, &pa, NULL), -EFAULT);
	CU_ASSERT_EQUAL(iommu_iova_to_phys(e.d, 0x103000, &pa, NULL), 0);
	CU_ASSERT_EQUAL(pa, 0x203000);
	/* adjacent ranges are fine */
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x104000, 0x900000, 0x1000, IOMMU_READ), 0);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x0FF000, 0x900000, 0x1000, IOMMU_READ), 0);
	env_fini(&e);
}

static void test_bad_map_arguments_are_einval(void)
{
	struct env e;
	struct iommu_domain *id;

	env_init(&e, NULL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x1001, 0, 0x1000, IOMMU_READ), -EINVAL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x1000, 0x10, 0x1000, IOMMU_READ), -EINVAL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x1000, 0, 0x800, IOMMU_READ), -EINVAL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x1000, 0, 0, IOMMU_READ), -EINVAL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x1000, 0, 0x1000, 0), -EINVAL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x1000, 0, 0x1000, 0x8), -EINVAL);
	CU_ASSERT_EQUAL(iommu_map(e.d, (1ULL << 48) - 0x1000, 0, 0x2000, IOMMU_READ), -EINVAL);
	CU_ASSERT_EQUAL(iommu_map(e.d, (1ULL << 48) - 0x1000, 0, 0x1000, IOMMU_READ), 0);
	CU_ASSERT_EQUAL(iommu_unmap(e.d, 0x1000, 0x10), -EINVAL);
	id = iommu_domain_new(e.io, IOMMU_DOMAIN_IDENTITY);
	CU_ASSERT_EQUAL(iommu_map(id, 0x1000, 0, 0x1000, IOMMU_READ), -EINVAL);
	env_fini(&e);
}

static void test_aligned_map_uses_2m_pages_and_unaligned_uses_4k(void)
{
	struct env e;
	struct iommu_stats st;
	uint64_t pa, contig;
	sim_time_t cost;

	env_init(&e, NULL);
	/* 4 MiB at 2 MiB-aligned iova and pa: two large pages */
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x40000000, 0x80000000, 4 << 20, IOMMU_READ), 0);
	CU_ASSERT_EQUAL(iommu_translate(e.io, RID, 0, 0x40001000, IOMMU_READ, 0, &pa, &contig,
					&cost), 0);
	CU_ASSERT_EQUAL(pa, 0x80001000);
	CU_ASSERT_EQUAL(contig, (2 << 20) - 0x1000); /* to the end of the 2 MiB leaf */
	for (uint64_t off = 0; off < (2 << 20); off += 4096)
		CU_ASSERT_EQUAL_FATAL(xlate(&e, 0x40000000 + off, IOMMU_READ, &pa, NULL), 0);
	iommu_get_stats(e.io, &st);
	CU_ASSERT_EQUAL(st.misses, 1); /* one IOTLB entry covers all 512 pages */
	CU_ASSERT_EQUAL(iommu_iotlb_used(e.io), 1);

	/* pa only 4 KiB aligned: 4 KiB pages, one walk per page */
	iommu_reset_stats(e.io);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x60000000, 0x90001000, 2 << 20, IOMMU_READ), 0);
	for (uint64_t off = 0; off < (256 << 10); off += 4096)
		CU_ASSERT_EQUAL_FATAL(xlate(&e, 0x60000000 + off, IOMMU_READ, &pa, NULL), 0);
	iommu_get_stats(e.io, &st);
	CU_ASSERT_EQUAL(st.misses, 64);
	CU_ASSERT_EQUAL(iommu_translate(e.io, RID, 0, 0x60000010, IOMMU_READ, 0, &pa, &contig,
					&cost), 0);
	CU_ASSERT_EQUAL(contig, 0x1000 - 0x10);
	env_fini(&e);
}

static void test_unmap_inside_2m_page_splits_it(void)
{
	struct env e;
	uint64_t pa;

	env_init(&e, NULL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x200000, 0x400000, 2 << 20, IOMMU_READ | IOMMU_WRITE), 0);
	CU_ASSERT_EQUAL(xlate(&e, 0x200000, IOMMU_READ, &pa, NULL), 0); /* cache the 2M entry */
	CU_ASSERT_EQUAL(iommu_unmap(e.d, 0x205000, 0x2000), 0);
	CU_ASSERT_EQUAL(iommu_mapped_bytes(e.d), (2 << 20) - 0x2000);
	CU_ASSERT_EQUAL(iommu_iova_to_phys(e.d, 0x205000, &pa, NULL), -EFAULT);
	CU_ASSERT_EQUAL(iommu_iova_to_phys(e.d, 0x206FFF, &pa, NULL), -EFAULT);
	CU_ASSERT_EQUAL(iommu_iova_to_phys(e.d, 0x204FFF, &pa, NULL), 0);
	CU_ASSERT_EQUAL(pa, 0x404FFF);
	CU_ASSERT_EQUAL(iommu_iova_to_phys(e.d, 0x3FF000, &pa, NULL), 0);
	CU_ASSERT_EQUAL(pa, 0x5FF000);
	/* the stale 2 MiB IOTLB entry was flushed: the hole faults */
	CU_ASSERT_EQUAL(xlate(&e, 0x205800, IOMMU_READ, &pa, NULL), -EFAULT);
	CU_ASSERT_EQUAL(xlate(&e, 0x204000, IOMMU_READ, &pa, NULL), 0);
	/* and the split range can be mapped again */
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x205000, 0x10000, 0x2000, IOMMU_READ), 0);
	env_fini(&e);
}

static void test_permissions_enforced_and_fault_logged(void)
{
	struct env e;
	struct iommu_fault f;
	uint64_t pa;

	env_init(&e, NULL);
	eng_run_until(e.sim, ENG_US(3));
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x1000, 0x5000, 0x1000, IOMMU_READ), 0);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x2000, 0x6000, 0x1000, IOMMU_WRITE), 0);
	CU_ASSERT_EQUAL(xlate(&e, 0x1000, IOMMU_READ, &pa, NULL), 0);
	CU_ASSERT_EQUAL(xlate(&e, 0x1008, IOMMU_WRITE, &pa, NULL), -EFAULT);
	CU_ASSERT_EQUAL(xlate(&e, 0x2000, IOMMU_WRITE, &pa, NULL), 0);
	CU_ASSERT_EQUAL(xlate(&e, 0x2010, IOMMU_READ, &pa, NULL), -EFAULT);
	CU_ASSERT_EQUAL(iommu_fault_count(e.io), 2);
	CU_ASSERT_EQUAL(iommu_fault_log_len(e.io), 2);
	CU_ASSERT_EQUAL(iommu_fault_get(e.io, 0, &f), 0);
	CU_ASSERT_EQUAL(f.rid, RID);
	CU_ASSERT_EQUAL(f.iova, 0x1008);
	CU_ASSERT_EQUAL(f.access, IOMMU_WRITE);
	CU_ASSERT_EQUAL(f.reason, IOMMU_FAULT_PERM);
	CU_ASSERT_EQUAL(f.time, ENG_US(3));
	CU_ASSERT_EQUAL(iommu_fault_get(e.io, 1, &f), 0);
	CU_ASSERT_EQUAL(f.access, IOMMU_READ);
	CU_ASSERT_EQUAL(xlate(&e, 0x9000, IOMMU_READ, &pa, NULL), -EFAULT);
	CU_ASSERT_EQUAL(iommu_fault_get(e.io, 2, &f), 0);
	CU_ASSERT_EQUAL(f.reason, IOMMU_FAULT_NOT_MAPPED);
	CU_ASSERT_EQUAL(xlate(&e, 1ULL << 50, IOMMU_READ, &pa, NULL), -EFAULT);
	CU_ASSERT_EQUAL(iommu_fault_get(e.io, 3, &f), 0);
	CU_ASSERT_EQUAL(f.reason, IOMMU_FAULT_RANGE);
	CU_ASSERT_EQUAL(iommu_fault_get(e.io, 4, &f), -ENOENT);
	iommu_fault_clear(e.io);
	CU_ASSERT_EQUAL(iommu_fault_log_len(e.io), 0);
	CU_ASSERT_EQUAL(iommu_fault_count(e.io), 4);
	env_fini(&e);
}

static void test_unattached_requester_is_blocked(void)
{
	struct env e;
	struct iommu_fault f;
	uint64_t pa, contig;
	sim_time_t cost;

	env_init(&e, NULL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x1000, 0x5000, 0x1000, IOMMU_READ), 0);
	CU_ASSERT_EQUAL(iommu_translate(e.io, 0x0010, 0, 0x1000, IOMMU_READ, 0, &pa, &contig,
					&cost), -EFAULT);
	CU_ASSERT_EQUAL(iommu_fault_get(e.io, 0, &f), 0);
	CU_ASSERT_EQUAL(f.rid, 0x0010);
	CU_ASSERT_EQUAL(f.reason, IOMMU_FAULT_NO_DOMAIN);
	CU_ASSERT_EQUAL(iommu_detach(e.io, RID, 0), 0);
	CU_ASSERT_EQUAL(xlate(&e, 0x1000, IOMMU_READ, &pa, NULL), -EFAULT);
	CU_ASSERT_EQUAL(iommu_detach(e.io, RID, 0), -ENOENT);
	env_fini(&e);
}

static void test_identity_domain_is_passthrough(void)
{
	struct env e;
	struct iommu_domain *id;
	struct iommu_stats st;
	uint64_t pa, contig;
	sim_time_t cost;

	env_init(&e, NULL);
	id = iommu_domain_new(e.io, IOMMU_DOMAIN_IDENTITY);
	CU_ASSERT_EQUAL(iommu_attach(e.io, RID, 0, id), 0); /* replaces the paging domain */
	CU_ASSERT_PTR_EQUAL(iommu_domain_of(e.io, RID, 0), id);
	CU_ASSERT_EQUAL(iommu_translate(e.io, RID, 0, 0x123456789, IOMMU_WRITE, 0, &pa, &contig,
					&cost), 0);
	CU_ASSERT_EQUAL(pa, 0x123456789);
	CU_ASSERT_EQUAL(cost, 0);
	CU_ASSERT(contig > (1ULL << 40));
	iommu_get_stats(e.io, &st);
	CU_ASSERT_EQUAL(st.lookups, 0);
	CU_ASSERT_EQUAL(iommu_fault_count(e.io), 0);
	env_fini(&e);
}

static void test_address_spaces_per_device_are_separate(void)
{
	struct env e;
	struct iommu_domain *cvq;
	uint64_t pa, contig;
	sim_time_t cost;

	env_init(&e, NULL);
	cvq = iommu_domain_new(e.io, IOMMU_DOMAIN_PAGING);
	CU_ASSERT_EQUAL(iommu_attach(e.io, RID, 1, cvq), 0);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x1000, 0x10000, 0x1000, IOMMU_READ), 0);
	CU_ASSERT_EQUAL(iommu_map(cvq, 0x1000, 0x20000, 0x1000, IOMMU_READ), 0);
	CU_ASSERT_EQUAL(iommu_map(cvq, 0x8000, 0x30000, 0x1000, IOMMU_READ), 0);
	CU_ASSERT_EQUAL(iommu_translate(e.io, RID, 0, 0x1000, IOMMU_READ, 0, &pa, &contig, &cost),
			0);
	CU_ASSERT_EQUAL(pa, 0x10000);
	CU_ASSERT_EQUAL(iommu_translate(e.io, RID, 1, 0x1000, IOMMU_READ, 0, &pa, &contig, &cost),
			0);
	CU_ASSERT_EQUAL(pa, 0x20000); /* same IOVA, other space; IOTLB keeps them apart */
	CU_ASSERT_EQUAL(iommu_translate(e.io, RID, 0, 0x8000, IOMMU_READ, 0, &pa, &contig, &cost),
			-EFAULT);
	CU_ASSERT_EQUAL(iommu_translate(e.io, RID, 2, 0x1000, IOMMU_READ, 0, &pa, &contig, &cost),
			-EFAULT);
	CU_ASSERT_NOT_EQUAL(iommu_domain_id(e.d), iommu_domain_id(cvq));
	env_fini(&e);
}

static void test_iotlb_is_lru_with_hit_and_miss_accounting(void)
{
	struct env e;
	struct iommu_stats st;
	uint64_t pa;
	sim_time_t cost;

	env_init(&e, NULL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0, 0x1000, 1 << 20, IOMMU_READ), 0); /* 4 KiB pages */
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t p = 0; p < 64; p++)
			CU_ASSERT_EQUAL_FATAL(xlate(&e, p << 12, IOMMU_READ, &pa, NULL), 0);
	iommu_get_stats(e.io, &st);
	CU_ASSERT_EQUAL(st.lookups, 128);
	CU_ASSERT_EQUAL(st.misses, 64);
	CU_ASSERT_EQUAL(st.hits, 64);
	CU_ASSERT_EQUAL(iommu_iotlb_used(e.io), 64);
	/* page 0 is least recently used: touching page 64 evicts it */
	CU_ASSERT_EQUAL(xlate(&e, 1 << 12, IOMMU_READ, &pa, &cost), 0); /* 1 becomes MRU */
	CU_ASSERT_EQUAL(cost, 0);
	CU_ASSERT_EQUAL(xlate(&e, 64 << 12, IOMMU_READ, &pa, &cost), 0);
	CU_ASSERT_EQUAL(cost, ENG_NS(280));
	CU_ASSERT_EQUAL(xlate(&e, 1 << 12, IOMMU_READ, &pa, &cost), 0);
	CU_ASSERT_EQUAL(cost, 0);
	CU_ASSERT_EQUAL(xlate(&e, 0, IOMMU_READ, &pa, &cost), 0);
	CU_ASSERT_EQUAL(cost, ENG_NS(280));
	iommu_get_stats(e.io, &st);
	CU_ASSERT_EQUAL(st.evictions, 2);
	env_fini(&e);
}

static void test_iotlb_size_and_miss_cost_are_configurable(void)
{
	struct iommu_config cfg;
	struct env e;
	struct iommu_stats st;
	uint64_t pa;
	sim_time_t cost;

	iommu_config_default(&cfg);
	CU_ASSERT_EQUAL(cfg.iotlb_entries, 64);
	cfg.iotlb_entries = 4;
	cfg.miss_cost = ENG_NS(1000);
	env_init(&e, &cfg);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0, 0x1000, 1 << 20, IOMMU_READ), 0);
	for (int pass = 0; pass < 3; pass++)
		for (uint64_t p = 0; p < 5; p++) /* cyclic over 5 pages with 4 entries: LRU misses all */
			CU_ASSERT_EQUAL_FATAL(xlate(&e, p << 12, IOMMU_READ, &pa, &cost), 0);
	iommu_get_stats(e.io, &st);
	CU_ASSERT_EQUAL(st.misses, 15);
	CU_ASSERT_EQUAL(cost, ENG_NS(1000));
	env_fini(&e);
	cfg.iotlb_entries = 0; /* no cache: every lookup walks */
	env_init(&e, &cfg);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0, 0x1000, 0x1000, IOMMU_READ), 0);
	CU_ASSERT_EQUAL(xlate(&e, 0, IOMMU_READ, &pa, &cost), 0);
	CU_ASSERT_EQUAL(xlate(&e, 0, IOMMU_READ, &pa, &cost), 0);
	iommu_get_stats(e.io, &st);
	CU_ASSERT_EQUAL(st.misses, 2);
	env_fini(&e);
}

static void test_iotlb_invalidation_by_range_and_all(void)
{
	struct env e;
	uint64_t pa;
	sim_time_t cost;

	env_init(&e, NULL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0, 0x1000, 16 << 12, IOMMU_READ), 0);
	for (uint64_t p = 0; p < 16; p++)
		CU_ASSERT_EQUAL(xlate(&e, p << 12, IOMMU_READ, &pa, NULL), 0);
	CU_ASSERT_EQUAL(iommu_iotlb_used(e.io), 16);
	iommu_iotlb_inval_range(e.d, 4 << 12, 4 << 12);
	CU_ASSERT_EQUAL(iommu_iotlb_used(e.io), 12);
	CU_ASSERT_EQUAL(xlate(&e, 5 << 12, IOMMU_READ, &pa, &cost), 0);
	CU_ASSERT_EQUAL(cost, ENG_NS(280));
	CU_ASSERT_EQUAL(xlate(&e, 8 << 12, IOMMU_READ, &pa, &cost), 0);
	CU_ASSERT_EQUAL(cost, 0);
	iommu_iotlb_inval_all(e.io);
	CU_ASSERT_EQUAL(iommu_iotlb_used(e.io), 0);
	CU_ASSERT_EQUAL(xlate(&e, 8 << 12, IOMMU_READ, &pa, &cost), 0);
	CU_ASSERT_EQUAL(cost, ENG_NS(280));
	iommu_iotlb_inval_domain(e.d);
	CU_ASSERT_EQUAL(iommu_iotlb_used(e.io), 0);
	env_fini(&e);
}

static void test_unmap_flushes_cached_translation(void)
{
	struct env e;
	uint64_t pa;

	env_init(&e, NULL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x4000, 0x8000, 0x1000, IOMMU_READ), 0);
	CU_ASSERT_EQUAL(xlate(&e, 0x4000, IOMMU_READ, &pa, NULL), 0);
	CU_ASSERT_EQUAL(iommu_unmap(e.d, 0x4000, 0x1000), 0);
	CU_ASSERT_EQUAL(xlate(&e, 0x4000, IOMMU_READ, &pa, NULL), -EFAULT);
	/* remapped elsewhere: the new translation is used, not a stale one */
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x4000, 0x9000, 0x1000, IOMMU_READ), 0);
	CU_ASSERT_EQUAL(xlate(&e, 0x4000, IOMMU_READ, &pa, NULL), 0);
	CU_ASSERT_EQUAL(pa, 0x9000);
	env_fini(&e);
}

static void test_fault_log_is_bounded_and_keeps_newest(void)
{
	struct iommu_config cfg;
	struct iommu_fault f;
	struct env e;
	uint64_t pa;

	iommu_config_default(&cfg);
	cfg.fault_log_len = 8;
	env_init(&e, &cfg);
	for (uint64_t i = 0; i < 20; i++)
		CU_ASSERT_EQUAL(xlate(&e, i << 12, IOMMU_READ, &pa, NULL), -EFAULT);
	CU_ASSERT_EQUAL(iommu_fault_count(e.io), 20);
	CU_ASSERT_EQUAL(iommu_fault_log_len(e.io), 8);
	CU_ASSERT_EQUAL(iommu_fault_get(e.io, 0, &f), 0);
	CU_ASSERT_EQUAL(f.iova, 12ULL << 12);
	CU_ASSERT_EQUAL(iommu_fault_get(e.io, 7, &f), 0);
	CU_ASSERT_EQUAL(f.iova, 19ULL << 12);
	env_fini(&e);
}

static bool bit(const uint64_t *bm, unsigned i)
{
	return bm[i / 64] >> (i % 64) & 1;
}

static void test_dirty_bitmap_is_exactly_the_written_pages(void)
{
	struct env e;
	uint64_t bm[4];

	env_init(&e, NULL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x100000, 0x100000, 256 << 12, IOMMU_READ | IOMMU_WRITE), 0);
	CU_ASSERT_EQUAL(iommu_dirty_read(e.d, 0x100000, 256 << 12, bm, false), -EINVAL);
	iommu_note_write(e.io, RID, 0, 0x100000, 8); /* before tracking: not recorded */
	CU_ASSERT_EQUAL(iommu_dirty_tracking(e.d, true), 0);
	CU_ASSERT(iommu_dirty_tracking_enabled(e.d));
	iommu_note_write(e.io, RID, 0, 0x103FF8, 16);		/* pages 3 and 4 */
	iommu_note_write(e.io, RID, 0, 0x100000 + (200 << 12), 1); /* page 200 */
	iommu_note_write(e.io, RID, 0, 0x100000 + (64 << 12), 4096); /* page 64 only */
	CU_ASSERT_EQUAL(iommu_dirty_count(e.d), 4);
	CU_ASSERT_EQUAL(iommu_dirty_read(e.d, 0x100000, 256 << 12, bm, false), 0);
	for (unsigned i = 0; i < 256; i++)
		CU_ASSERT_EQUAL_FATAL(bit(bm, i), i == 3 || i == 4 || i == 64 || i == 200);
	/* read-and-clear over a sub-range clears only that range */
	CU_ASSERT_EQUAL(iommu_dirty_read(e.d, 0x100000, 64 << 12, bm, true), 0);
	CU_ASSERT(bit(bm, 3) && bit(bm, 4));
	CU_ASSERT_EQUAL(iommu_dirty_count(e.d), 2);
	CU_ASSERT_EQUAL(iommu_dirty_read(e.d, 0x100000, 256 << 12, bm, true), 0);
	for (unsigned i = 0; i < 256; i++)
		CU_ASSERT_EQUAL_FATAL(bit(bm, i), i == 64 || i == 200);
	CU_ASSERT_EQUAL(iommu_dirty_read(e.d, 0x100000, 256 << 12, bm, false), 0);
	for (unsigned i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(bm[i], 0);
	CU_ASSERT_EQUAL(iommu_dirty_read(e.d, 0x100001, 4096, bm, false), -EINVAL);
	CU_ASSERT_EQUAL(iommu_dirty_tracking(e.d, false), 0);
	CU_ASSERT_EQUAL(iommu_dirty_read(e.d, 0x100000, 4096, bm, false), -EINVAL);
	env_fini(&e);
}

static void test_dirty_write_into_2m_page_marks_the_whole_page(void)
{
	struct env e;
	uint64_t bm[1024 / 64];

	env_init(&e, NULL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x200000, 0x200000, 4 << 20, IOMMU_WRITE), 0);
	CU_ASSERT_EQUAL(iommu_dirty_tracking(e.d, true), 0);
	iommu_note_write(e.io, RID, 0, 0x200000 + 0x12345, 2);
	CU_ASSERT_EQUAL(iommu_dirty_count(e.d), 512);
	CU_ASSERT_EQUAL(iommu_dirty_read(e.d, 0x200000, 4 << 20, bm, true), 0);
	for (unsigned i = 0; i < 1024; i++)
		CU_ASSERT_EQUAL_FATAL(bit(bm, i), i < 512);
	env_fini(&e);
}

static void test_domain_free_detaches_its_requesters(void)
{
	struct env e;
	uint64_t pa;

	env_init(&e, NULL);
	CU_ASSERT_EQUAL(iommu_map(e.d, 0x1000, 0x1000, 0x1000, IOMMU_READ), 0);
	CU_ASSERT_EQUAL(xlate(&e, 0x1000, IOMMU_READ, &pa, NULL), 0);
	iommu_domain_free(e.d);
	CU_ASSERT_PTR_NULL(iommu_domain_of(e.io, RID, 0));
	CU_ASSERT_EQUAL(iommu_iotlb_used(e.io), 0);
	CU_ASSERT_EQUAL(xlate(&e, 0x1000, IOMMU_READ, &pa, NULL), -EFAULT);
	env_fini(&e);
}

/* Random map/unmap against a flat page array: translation always agrees. */
static void test_random_map_unmap_matches_reference(void)
{
	enum { NPAGES = 2048 };
	static uint64_t ref[NPAGES]; /* 0 = unmapped, else pa | 1 */
	struct env e;
	struct eng_rng r;
	int bad = 0;

	env_init(&e, NULL);
	memset(ref, 0, sizeof(ref));
	eng_rng_seed(&r, 11);
	for (int op = 0; op < 3000; op++) {
		uint64_t first = eng_rng_below(&r, NPAGES);
		uint64_t n = 1 + eng_rng_below(&r, eng_rng_below(&r, 4) ? 16 : 700);
		bool overlap = false;

		if (first + n > NPAGES)
			n = NPAGES - first;
		for (uint64_t p = first; p < first + n; p++)
			overlap |= ref[p] != 0;
		if (eng_rng_below(&r, 2)) {
			/* pa chosen so that some maps are 2 MiB aligned */
			uint64_t pa = (first << 12) + (eng_rng_below(&r, 2) ? 0 : 0x1000) + (1ULL << 32);
			int err = iommu_map(e.d, first << 12, pa, n << 12, IOMMU_READ);

			if (err != (overlap ? -EEXIST : 0))
				bad++;
			if (!err)
				for (uint64_t p = 0; p < n; p++)
					ref[first + p] = (pa + (p << 12)) | 1;
		} else {
			int err = iommu_unmap(e.d, first << 12, n << 12);

			if (err != (overlap ? 0 : -ENOENT))
				bad++;
			for (uint64_t p = first; p < first + n; p++)
				ref[p] = 0;
		}
		if (op % 100 == 0) {
			uint64_t mapped = 0;

			for (uint64_t p = 0; p < NPAGES; p++) {
				uint64_t pa;
				int err = xlate(&e, p << 12, IOMMU_READ, &pa, NULL);

				mapped += ref[p] ? 4096 : 0;
				if (ref[p] ? (err || pa != (ref[p] & ~1ULL)) : err != -EFAULT)
					bad++;
			}
			if (mapped != iommu_mapped_bytes(e.d))
				bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	env_fini(&e);
}

/*
 * The IOTLB cliff: 64-byte DMA reads at random addresses in a working set,
 * 4 KiB pages, 64 IOTLB entries, 32 read tags (so latency sets throughput).
 * Up to 64 pages (256 KiB) everything hits after warm-up; past it misses add
 * the 280 ns walk and throughput falls.
 */
static double cliff_throughput(uint64_t ws)
{
	struct sim *sim = eng_sim_new(3, 0);
	struct mem *m = mem_new(1ULL << 32);
	struct iommu *io = iommu_new(sim, NULL);
	struct iommu_domain *d = iommu_domain_new(io, IOMMU_DOMAIN_PAGING);
	struct pcie_link_cfg lc;
	struct pcie_rc *rc;
	struct pcie_fn *fn;
	struct pcie_ep_desc desc = { .vendor_id = 0x1af4, .device_id = 0x1041 };
	struct eng_rng r;
	uint8_t buf[64];
	sim_time_t done = 0, t0 = 0, t1 = 0;
	const int warm = 4000, n = 30000;

	pcie_link_cfg_default(&lc);
	lc.read_tags = 32;
	rc = pcie_rc_new(sim, m, io, &lc);
	CU_ASSERT_FATAL(rc && d);
	CU_ASSERT_EQUAL_FATAL(pcie_fn_create(rc, 1, 0, &desc, &fn), 0);
	CU_ASSERT_EQUAL_FATAL(pcie_cfg_write(rc, pcie_fn_bdf(fn), 4, 2, 0x6), 0);
	CU_ASSERT_EQUAL_FATAL(iommu_attach(io, pcie_fn_bdf(fn), 0, d), 0);
	/* pa offset by 4 KiB from a 2 MiB boundary: 4 KiB pages */
	CU_ASSERT_EQUAL_FATAL(iommu_map(d, 1ULL << 30, (1ULL << 31) + 4096, ws,
					IOMMU_READ | IOMMU_WRITE), 0);
	eng_rng_seed(&r, 77);
	for (int i = 0; i < warm + n; i++) {
		uint64_t off = eng_rng_below(&r, ws / 64) * 64;

		CU_ASSERT_EQUAL_FATAL(pcie_dma_read(fn, (1ULL << 30) + off, buf, 64, 0, &done), 0);
		if (i == warm - 1)
			t0 = done;
	}
	t1 = done;
	pcie_rc_free(rc);
	iommu_free(io);
	mem_free(m);
	eng_sim_free(sim);
	return (double)n * 64 / ((double)(t1 - t0) / 1e12) / 1e9; /* GB/s */
}

static void test_iotlb_cliff_knee_at_256k_working_set(void)
{
	static const uint64_t ws[] = { 16 << 10, 64 << 10, 128 << 10, 256 << 10, 320 << 10,
				       512 << 10, 1 << 20, 4 << 20, 16 << 20 };
	double tp[sizeof(ws) / sizeof(ws[0])];
	size_t n = sizeof(ws) / sizeof(ws[0]);

	for (size_t i = 0; i < n; i++) {
		tp[i] = cliff_throughput(ws[i]);
		printf("\n    working set %6llu KiB: %.3f GB/s", (unsigned long long)(ws[i] >> 10),
		       tp[i]);
	}
	printf("\n");
	/* unloaded: 32 tags * 64 B / 550 ns */
	CU_ASSERT(tp[0] > 3.60 && tp[0] < 3.80);
	/* flat up to the IOTLB reach */
	for (size_t i = 1; i <= 3; i++)
		CU_ASSERT(tp[i] > tp[0] * 0.99);
	/* past it, a drop that deepens with the working set */
	CU_ASSERT(tp[4] < tp[0] * 0.97);
	CU_ASSERT(tp[5] < tp[0] * 0.85);
	for (size_t i = 5; i < n; i++)
		CU_ASSERT(tp[i] < tp[i - 1]);
	/* at 16 MiB almost every read walks: 32*64 B / (550 + ~280) ns */
	CU_ASSERT(tp[n - 1] > 2.40 && tp[n - 1] < 2.60);
}

CU_MAIN("iommu",
	CU_TEST_ENTRY(test_map_translate_and_unmap_round_trip),
	CU_TEST_ENTRY(test_overlapping_map_is_eexist_and_changes_nothing),
	CU_TEST_ENTRY(test_bad_map_arguments_are_einval),
	CU_TEST_ENTRY(test_aligned_map_uses_2m_pages_and_unaligned_uses_4k),
	CU_TEST_ENTRY(test_unmap_inside_2m_page_splits_it),
	CU_TEST_ENTRY(test_permissions_enforced_and_fault_logged),
	CU_TEST_ENTRY(test_unattached_requester_is_blocked),
	CU_TEST_ENTRY(test_identity_domain_is_passthrough),
	CU_TEST_ENTRY(test_address_spaces_per_device_are_separate),
	CU_TEST_ENTRY(test_iotlb_is_lru_with_hit_and_miss_accounting),
	CU_TEST_ENTRY(test_iotlb_size_and_miss_cost_are_configurable),
	CU_TEST_ENTRY(test_iotlb_invalidation_by_range_and_all),
	CU_TEST_ENTRY(test_unmap_flushes_cached_translation),
	CU_TEST_ENTRY(test_fault_log_is_bounded_and_keeps_newest),
	CU_TEST_ENTRY(test_dirty_bitmap_is_exactly_the_written_pages),
	CU_TEST_ENTRY(test_dirty_write_into_2m_page_marks_the_whole_page),
	CU_TEST_ENTRY(test_domain_free_detaches_its_requesters),
	CU_TEST_ENTRY(test_random_map_unmap_matches_reference),
	CU_TEST_ENTRY(test_iotlb_cliff_knee_at_256k_working_set))
