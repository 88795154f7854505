/* SPDX-License-Identifier: MIT */
/*
 * IOMMU model: DMA remapping for PCIe requesters.
 *
 * A domain is one I/O virtual address space (a 4-level, 48-bit page table with
 * 4 KiB leaves and 2 MiB large leaves).  A requester (PCIe requester id, i.e. the
 * bus/device/function) is attached per address-space id: asid 0 is the space of
 * requests without PASID, other asids model PASID-tagged requests (the vDPA
 * stack's address spaces, e.g. a control virtqueue isolated from the data
 * queues).  A requester/asid with no domain attached is blocked.  An IDENTITY
 * domain is passthrough: IOVA == physical address, nothing cached, no faults.
 *
 * The IOTLB is one fully associative cache of (domain, page) translations,
 * shared by all domains, with true LRU replacement.  A lookup that misses walks
 * the page table and costs `miss_cost` of simulated time, which the PCIe DMA
 * timing adds to the request (see pcie.h).  With the default 64 entries and
 * 4 KiB pages the IOTLB reach is 256 KiB: random small DMAs over a larger
 * working set miss and lose throughput (the "IOTLB cliff").
 *
 * iommu_map()/iommu_unmap() have the kernel API's shape and, like it, flush the
 * IOTLB for the range they change.  Blocked DMAs (unmapped IOVA, missing
 * permission, no domain) are refused with -EFAULT before any memory is touched
 * and recorded in a bounded fault log.
 *
 * Dirty tracking is per domain: while enabled, every successful DMA write marks
 * the leaf pages it wrote (a write into a 2 MiB page marks all 512 of its
 * 4 KiB pages, as hardware dirty bits live in the leaf entry); the bitmap is
 * read by IOVA in 4 KiB units and cleared as it is read.
 */
#ifndef VDPASIM_IOMMU_H
#define VDPASIM_IOMMU_H

#include "sim/engine/engine.h"

#include <stdbool.h>
#include <stdint.h>

#define IOMMU_PAGE_SHIFT 12
#define IOMMU_PAGE_SIZE (1ULL << 12)
#define IOMMU_HUGE_SHIFT 21
#define IOMMU_HUGE_SIZE (1ULL << 21)
#define IOMMU_IOVA_BITS 48

/* Permissions (map) and access kinds (translate, fault log). */
#define IOMMU_READ 0x1u
#define IOMMU_WRITE 0x2u

struct iommu;
struct iommu_domain;

struct iommu_config {
	unsigned iotlb_entries;	 /* default 64; 0 disables caching (every lookup walks) */
	sim_time_t miss_cost;	 /* page-walk time per IOTLB miss, default 280 ns */
	unsigned fault_log_len;	 /* faults kept (oldest dropped), default 256 */
};

void iommu_config_default(struct iommu_config *c);
/* cfg NULL means defaults.  sim is used for trace records only. */
struct iommu *iommu_new(struct sim *sim, const struct iommu_config *cfg);
/* Frees the IOMMU and every domain still allocated on it. */
void iommu_free(struct iommu *io);

enum iommu_domain_type {
	IOMMU_DOMAIN_PAGING,   /* translated through the page table */
	IOMMU_DOMAIN_IDENTITY, /* passthrough */
};

struct iommu_domain *iommu_domain_new(struct iommu *io, enum iommu_domain_type type);
/* Detaches every requester from it, flushes its IOTLB entries, frees it. */
void iommu_domain_free(struct iommu_domain *d);
/* Small positive number naming the domain in traces and the IOTLB. */
unsigned iommu_domain_id(const struct iommu_domain *d);

/* Attach requester rid/asid to d (replacing any previous domain). */
int iommu_attach(struct iommu *io, uint16_t rid, uint32_t asid, struct iommu_domain *d);
/* -ENOENT if nothing was attached. */
int iommu_detach(struct iommu *io, uint16_t rid, uint32_t asid);
struct iommu_domain *iommu_domain_of(const struct iommu *io, uint16_t rid, uint32_t asid);

/*
 * Map [iova, iova+size) to [pa, pa+size) with prot (IOMMU_READ|IOMMU_WRITE).
 * iova, pa and size 4 KiB aligned, size > 0, iova+size <= 2^48.  Parts where
 * iova and pa are both 2 MiB aligned and 2 MiB remain use 2 MiB pages.
 * -EEXIST if any page of the range is already mapped (nothing changes),
 * -EINVAL on bad alignment/range/prot or an IDENTITY domain, -ENOMEM.
 */
int iommu_map(struct iommu_domain *d, uint64_t iova, uint64_t pa, uint64_t size, unsigned prot);
/*
 * Remove every mapping inside [iova, iova+size) (4 KiB aligned).  A 2 MiB page
 * partly inside the range is split and only the pages inside are removed.
 * Flushes the IOTLB for the range.  -ENOENT if nothing was mapped there.
 */
int iommu_unmap(struct iommu_domain *d, uint64_t iova, uint64_t size);
/* Software walk (no IOTLB, no time, no fault): pa and prot of one IOVA. */
int iommu_iova_to_phys(const struct iommu_domain *d, uint64_t iova, uint64_t *pa, unsigned *prot);
/* Bytes mapped in the domain. */
uint64_t iommu_mapped_bytes(const struct iommu_domain *d);

/* IOTLB invalidation: entries of d overlapping the range; all of d; everything. */
void iommu_iotlb_inval_range(struct iommu_domain *d, uint64_t iova, uint64_t size);
void iommu_iotlb_inval_domain(struct iommu_domain *d);
void iommu_iotlb_inval_all(struct iommu *io);

/* ---- Used by the PCIe DMA path ----------------------------------------------------------- */

/*
 * Translate the page holding iova for one DMA access (IOMMU_READ or IOMMU_WRITE)
 * by requester rid/asid at simulated time `now`.  On success *pa is the physical
 * address, *contig the bytes left in the same leaf page (to 2^64 for identity),
 * *cost the added latency (0 on an IOTLB hit or identity, miss_cost on a miss).
 * On a block: -EFAULT, the fault is logged and nothing else happens.
 */
int iommu_translate(struct iommu *io, uint16_t rid, uint32_t asid, uint64_t iova, unsigned access,
		    sim_time_t now, uint64_t *pa, uint64_t *contig, sim_time_t *cost);
/* Record a completed DMA write for dirty tracking (no-op unless enabled). */
void iommu_note_write(struct iommu *io, uint16_t rid, uint32_t asid, uint64_t iova, uint64_t len);

/* ---- Faults ------------------------------------------------------------------------------ */

enum iommu_fault_reason {
	IOMMU_FAULT_NO_DOMAIN = 1, /* requester not attached */
	IOMMU_FAULT_NOT_MAPPED,	   /* no translation for the IOVA */
	IOMMU_FAULT_PERM,	   /* mapped without the needed permission */
	IOMMU_FAULT_RANGE,	   /* IOVA beyond the 48-bit space */
};

struct iommu_fault {
	sim_time_t time;
	uint16_t rid;
	uint32_t asid;
	uint64_t iova;
	unsigned access; /* IOMMU_READ or IOMMU_WRITE */
	enum iommu_fault_reason reason;
};

/* Faults ever recorded (including those the bounded log dropped). */
uint64_t iommu_fault_count(const struct iommu *io);
/* Faults currently held, oldest first. */
unsigned iommu_fault_log_len(const struct iommu *io);
int iommu_fault_get(const struct iommu *io, unsigned i, struct iommu_fault *out);
void iommu_fault_clear(struct iommu *io);

/* ---- Statistics -------------------------------------------------------------------------- */

struct iommu_stats {
	uint64_t lookups;   /* translations requested on PAGING domains */
	uint64_t hits;
	uint64_t misses;    /* = page walks */
	uint64_t faults;
	uint64_t evictions;
	uint64_t invalidations; /* entries removed by invalidation */
};
void iommu_get_stats(const struct iommu *io, struct iommu_stats *out);
void iommu_reset_stats(struct iommu *io);
unsigned iommu_iotlb_used(const struct iommu *io);

/* ---- Dirty tracking ---------------------------------------------------------------------- */

/* Enabling starts from a clean bitmap; disabling drops it. */
int iommu_dirty_tracking(struct iommu_domain *d, bool enable);
bool iommu_dirty_tracking_enabled(const struct iommu_domain *d);
/*
 * Fill bitmap (bit i of 64-bit word i/64 = page iova/4096 + i) for the pages of
 * [iova, iova+size) (4 KiB aligned) and clear those bits in the domain when
 * `clear`.  bitmap must hold size/4096 bits.  -EINVAL if tracking is off.
 */
int iommu_dirty_read(struct iommu_domain *d, uint64_t iova, uint64_t size, uint64_t *bitmap,
		     bool clear);
/* Pages currently marked dirty in the domain. */
uint64_t iommu_dirty_count(const struct iommu_domain *d);

#endif
