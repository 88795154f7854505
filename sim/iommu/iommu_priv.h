/* SPDX-License-Identifier: MIT */
/*
 * Private to sim/iommu: structures shared by its source files.  The interface
 * is iommu.h.
 */
#ifndef VDPASIM_IOMMU_PRIV_H
#define VDPASIM_IOMMU_PRIV_H

#include "sim/iommu/iommu.h"

#define PT_BITS 9
#define PT_FAN (1u << PT_BITS)
#define PT_LEVELS 4
#define PTE_PRESENT 0x4u
#define PTE_PROT_MASK (IOMMU_READ | IOMMU_WRITE)
#define PTE_ADDR_MASK (~(IOMMU_PAGE_SIZE - 1))
#define IOVA_LIMIT (1ULL << IOMMU_IOVA_BITS)

/* Level 1..3 directory.  pte[] is used only at level 1 (2 MiB leaves). */
struct pt_dir {
	uint64_t pte[PT_FAN];
	void *child[PT_FAN];
	unsigned used;
};

/* Level 0 table of 4 KiB leaves. */
struct pt_leaf {
	uint64_t pte[PT_FAN];
	unsigned used;
};

/* Dirty bits of 4096 consecutive 4 KiB pages (16 MiB of IOVA). */
#define DIRTY_CHUNK_PAGES 4096u
struct dirty_chunk {
	uint64_t key; /* page number / DIRTY_CHUNK_PAGES */
	uint64_t bits[DIRTY_CHUNK_PAGES / 64];
};

struct iommu_domain {
	struct iommu *io;
	enum iommu_domain_type type;
	unsigned id;
	struct pt_dir *root;
	uint64_t mapped;
	bool dirty_on;
	struct dirty_chunk *dirty;
	size_t ndirty, dirty_cap;
	uint64_t dirty_pages;
};

struct attach {
	uint16_t rid;
	uint32_t asid;
	struct iommu_domain *d;
};

#define NIL UINT32_MAX

struct tlb_entry {
	unsigned dom;
	bool huge;
	bool valid;
	uint64_t vpn; /* iova >> (huge ? 21 : 12) */
	uint64_t pte;
	uint32_t prev, next; /* LRU list, or free list through next */
	uint32_t hnext;	     /* hash chain */
};

struct iommu {
	struct sim *sim;
	struct iommu_config cfg;

	struct iommu_domain **doms;
	size_t ndoms, doms_cap;
	unsigned next_dom_id;

	struct attach *att;
	size_t natt, att_cap;

	struct tlb_entry *tlb;
	uint32_t *bucket;
	uint32_t nbuckets;
	uint32_t lru_head, lru_tail, free_head;
	unsigned tlb_used;

	struct iommu_fault *faults;
	unsigned fault_head, fault_len;
	uint64_t fault_total;

	struct iommu_stats st;
};

/* iommu_pt.c */
void iommu_pt_free(void *node, unsigned level);
/* Leaf entry for iova and the log2 of its page size; 0 when not mapped. */
uint64_t iommu_pt_lookup(const struct iommu_domain *d, uint64_t iova, unsigned *shift);

/* iommu.c: drop IOTLB entries of domain id dom (0: all) overlapping the range
 * (size 0: everything). */
void iommu_tlb_inval(struct iommu *io, unsigned dom, uint64_t iova, uint64_t size);

#endif
