// SPDX-License-Identifier: MIT
/*
 * IOMMU: per-domain 4-level page tables, a shared LRU IOTLB, the attachment
 * table (requester id, asid) -> domain, a bounded fault log and per-domain
 * dirty bitmaps.  The page tables are in iommu_pt.c, dirty tracking in
 * iommu_dirty.c.
 */
#include "sim/iommu/iommu_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void iommu_config_default(struct iommu_config *c)
{
	c->iotlb_entries = 64;
	c->miss_cost = ENG_NS(280);
	c->fault_log_len = 256;
}

struct iommu *iommu_new(struct sim *sim, const struct iommu_config *cfg)
{
	struct iommu *io = calloc(1, sizeof(*io));

	if (!io)
		return NULL;
	io->sim = sim;
	if (cfg)
		io->cfg = *cfg;
	else
		iommu_config_default(&io->cfg);
	if (io->cfg.iotlb_entries > (1u << 20) || io->cfg.fault_log_len > (1u << 20))
		goto fail;
	io->next_dom_id = 1;
	io->lru_head = io->lru_tail = io->free_head = NIL;
	if (io->cfg.iotlb_entries) {
		uint32_t nb = 1;

		while (nb < 2 * io->cfg.iotlb_entries)
			nb <<= 1;
		io->nbuckets = nb;
		io->tlb = calloc(io->cfg.iotlb_entries, sizeof(*io->tlb));
		io->bucket = malloc(nb * sizeof(*io->bucket));
		if (!io->tlb || !io->bucket)
			goto fail;
		for (uint32_t i = 0; i < nb; i++)
			io->bucket[i] = NIL;
		for (uint32_t i = 0; i < io->cfg.iotlb_entries; i++) {
			io->tlb[i].next = i + 1 < io->cfg.iotlb_entries ? i + 1 : NIL;
			io->tlb[i].hnext = NIL;
		}
		io->free_head = 0;
	}
	if (io->cfg.fault_log_len) {
		io->faults = calloc(io->cfg.fault_log_len, sizeof(*io->faults));
		if (!io->faults)
			goto fail;
	}
	return io;
fail:
	free(io->tlb);
	free(io->bucket);
	free(io);
	return NULL;
}

static void domain_release(struct iommu_domain *d)
{
	iommu_pt_free(d->root, PT_LEVELS - 1);
	free(d->dirty);
	free(d);
}

void iommu_free(struct iommu *io)
{
	if (!io)
		return;
	for (size_t i = 0; i < io->ndoms; i++)
		domain_release(io->doms[i]);
	free(io->doms);
	free(io->att);
	free(io->tlb);
	free(io->bucket);
	free(io->faults);
	free(io);
}

/* ---- IOTLB ------------------------------------------------------------------------------- */

static uint32_t tlb_hash(const struct iommu *io, unsigned dom, bool huge, uint64_t vpn)
{
	uint64_t h = vpn * 0x9E3779B97F4A7C15ULL ^ ((uint64_t)dom << 1 | huge) * 0xBF58476D1CE4E5B9ULL;

	h ^= h >> 29;
	return (uint32_t)h & (io->nbuckets - 1);
}

static void lru_unlink(struct iommu *io, uint32_t i)
{
	struct tlb_entry *e = &io->tlb[i];

	if (e->prev != NIL)
		io->tlb[e->prev].next = e->next;
	else
		io->lru_head = e->next;
	if (e->next != NIL)
		io->tlb[e->next].prev = e->prev;
	else
		io->lru_tail = e->prev;
}

static void lru_push_front(struct iommu *io, uint32_t i)
{
	struct tlb_entry *e = &io->tlb[i];

	e->prev = NIL;
	e->next = io->lru_head;
	if (io->lru_head != NIL)
		io->tlb[io->lru_head].prev = i;
	io->lru_head = i;
	if (io->lru_tail == NIL)
		io->lru_tail = i;
}

static void tlb_remove(struct iommu *io, uint32_t i)
{
	struct tlb_entry *e = &io->tlb[i];
	uint32_t *pp = &io->bucket[tlb_hash(io, e->dom, e->huge, e->vpn)];

	while (*pp != i)
		pp = &io->tlb[*pp].hnext;
	*pp = e->hnext;
	lru_unlink(io, i);
	e->valid = false;
	e->hnext = NIL;
	e->next = io->free_head;
	io->free_head = i;
	io->tlb_used--;
}

static int tlb_find(struct iommu *io, unsigned dom, bool huge, uint64_t vpn, uint64_t *pte)
{
	for (uint32_t i = io->bucket[tlb_hash(io, dom, huge, vpn)]; i != NIL; i = io->tlb[i].hnext) {
		struct tlb_entry *e = &io->tlb[i];

		if (e->dom == dom && e->huge == huge && e->vpn == vpn) {
			lru_unlink(io, i);
			lru_push_front(io, i);
			*pte = e->pte;
			return 0;
		}
	}
	return -ENOENT;
}

/* A cached translation of iova in domain dom, 4 KiB or 2 MiB. */
static int tlb_lookup(struct iommu *io, unsigned dom, uint64_t iova, uint64_t *pte,
		      unsigned *shift)
{
	if (!io->cfg.iotlb_entries)
		return -ENOENT;
	*shift = IOMMU_PAGE_SHIFT;
	if (!tlb_find(io, dom, false, iova >> IOMMU_PAGE_SHIFT, pte))
		return 0;
	*shift = IOMMU_HUGE_SHIFT;
	return tlb_find(io, dom, true, iova >> IOMMU_HUGE_SHIFT, pte);
}

static void tlb_insert(struct iommu *io, unsigned dom, bool huge, uint64_t vpn, uint64_t pte)
{
	uint32_t i, b;

	if (!io->cfg.iotlb_entries)
		return;
	if (io->free_head == NIL) {
		tlb_remove(io, io->lru_tail);
		io->st.evictions++;
	}
	i = io->free_head;
	io->free_head = io->tlb[i].next;
	b = tlb_hash(io, dom, huge, vpn);
	io->tlb[i] = (struct tlb_entry){ .dom = dom, .huge = huge, .valid = true, .vpn = vpn,
					 .pte = pte, .hnext = io->bucket[b] };
	io->bucket[b] = i;
	lru_push_front(io, i);
	io->tlb_used++;
}

void iommu_tlb_inval(struct iommu *io, unsigned dom, uint64_t iova, uint64_t size)
{
	uint64_t end = iova + size;

	for (uint32_t i = 0; i < io->cfg.iotlb_entries; i++) {
		struct tlb_entry *e = &io->tlb[i];
		unsigned shift = e->huge ? IOMMU_HUGE_SHIFT : IOMMU_PAGE_SHIFT;
		uint64_t s, en;

		if (!e->valid || (dom && e->dom != dom))
			continue;
		s = e->vpn << shift;
		en = s + (1ULL << shift);
		if (size && (en <= iova || s >= end))
			continue;
		tlb_remove(io, i);
		io->st.invalidations++;
	}
}

void iommu_iotlb_inval_range(struct iommu_domain *d, uint64_t iova, uint64_t size)
{
	if (size)
		iommu_tlb_inval(d->io, d->id, iova, size);
}

void iommu_iotlb_inval_domain(struct iommu_domain *d)
{
	iommu_tlb_inval(d->io, d->id, 0, 0);
}

void iommu_iotlb_inval_all(struct iommu *io)
{
	iommu_tlb_inval(io, 0, 0, 0);
}

unsigned iommu_iotlb_used(const struct iommu *io)
{
	return io->tlb_used;
}

/* ---- Domains and attachments -------------------------------------------------------------- */

struct iommu_domain *iommu_domain_new(struct iommu *io, enum iommu_domain_type type)
{
	struct iommu_domain *d;

	if (type != IOMMU_DOMAIN_PAGING && type != IOMMU_DOMAIN_IDENTITY)
		return NULL;
	if (io->ndoms == io->doms_cap) {
		size_t ncap = io->doms_cap ? io->doms_cap * 2 : 8;
		struct iommu_domain **nd = realloc(io->doms, ncap * sizeof(*nd));

		if (!nd)
			return NULL;
		io->doms = nd;
		io->doms_cap = ncap;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->io = io;
	d->type = type;
	d->id = io->next_dom_id++;
	io->doms[io->ndoms++] = d;
	return d;
}

void iommu_domain_free(struct iommu_domain *d)
{
	struct iommu *io;
	size_t i, j;

	if (!d)
		return;
	io = d->io;
	for (i = j = 0; i < io->natt; i++)
		if (io->att[i].d != d)
			io->att[j++] = io->att[i];
	io->natt = j;
	iommu_iotlb_inval_domain(d);
	for (i = 0; i < io->ndoms; i++) {
		if (io->doms[i] == d) {
			memmove(&io->doms[i], &io->doms[i + 1], (io->ndoms - i - 1) * sizeof(*io->doms));
			io->ndoms--;
			break;
		}
	}
	domain_release(d);
}

unsigned iommu_domain_id(const struct iommu_domain *d)
{
	return d->id;
}

static int att_cmp(uint16_t rid, uint32_t asid, const struct attach *a)
{
	if (rid != a->rid)
		return rid < a->rid ? -1 : 1;
	if (asid != a->asid)
		return asid < a->asid ? -1 : 1;
	return 0;
}

/* Index of (rid, asid) or of the insertion point; *found says which. */
static size_t att_search(const struct iommu *io, uint16_t rid, uint32_t asid, bool *found)
{
	size_t lo = 0, hi = io->natt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = att_cmp(rid, asid, &io->att[mid]);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = false;
	return lo;
}

int iommu_attach(struct iommu *io, uint16_t rid, uint32_t asid, struct iommu_domain *d)
{
	bool found;
	size_t i;

	if (!d || d->io != io)
		return -EINVAL;
	i = att_search(io, rid, asid, &found);
	if (found) {
		io->att[i].d = d;
		return 0;
	}
	if (io->natt == io->att_cap) {
		size_t ncap = io->att_cap ? io->att_cap * 2 : 16;
		struct attach *na = realloc(io->att, ncap * sizeof(*na));

		if (!na)
			return -ENOMEM;
		io->att = na;
		io->att_cap = ncap;
	}
	memmove(&io->att[i + 1], &io->att[i], (io->natt - i) * sizeof(*io->att));
	io->att[i] = (struct attach){ rid, asid, d };
	io->natt++;
	eng_trace(io->sim, "iommu", "attach", "rid=%04x asid=%" PRIu32 " dom=%u", rid, asid, d->id);
	return 0;
}

int iommu_detach(struct iommu *io, uint16_t rid, uint32_t asid)
{
	bool found;
	size_t i = att_search(io, rid, asid, &found);

	if (!found)
		return -ENOENT;
	memmove(&io->att[i], &io->att[i + 1], (io->natt - i - 1) * sizeof(*io->att));
	io->natt--;
	return 0;
}

struct iommu_domain *iommu_domain_of(const struct iommu *io, uint16_t rid, uint32_t asid)
{
	bool found;
	size_t i = att_search(io, rid, asid, &found);

	return found ? io->att[i].d : NULL;
}

/* ---- Translation --------------------------------------------------------------------------- */

static void fault_record(struct iommu *io, uint16_t rid, uint32_t asid, uint64_t iova,
			 unsigned access, enum iommu_fault_reason reason, sim_time_t now)
{
	io->fault_total++;
	io->st.faults++;
	eng_trace(io->sim, "iommu", "fault", "rid=%04x asid=%" PRIu32 " iova=0x%" PRIx64
		  " access=%s reason=%d", rid, asid, iova, access == IOMMU_WRITE ? "w" : "r", reason);
	if (!io->cfg.fault_log_len)
		return;
	unsigned slot = (io->fault_head + io->fault_len) % io->cfg.fault_log_len;

	if (io->fault_len == io->cfg.fault_log_len) {
		slot = io->fault_head;
		io->fault_head = (io->fault_head + 1) % io->cfg.fault_log_len;
	} else {
		io->fault_len++;
	}
	io->faults[slot] = (struct iommu_fault){ now, rid, asid, iova, access, reason };
}

int iommu_translate(struct iommu *io, uint16_t rid, uint32_t asid, uint64_t iova, unsigned access,
		    sim_time_t now, uint64_t *pa, uint64_t *contig, sim_time_t *cost)
{
	struct iommu_domain *d = iommu_domain_of(io, rid, asid);
	unsigned shift = IOMMU_PAGE_SHIFT;
	uint64_t pte;

	if (!d) {
		fault_record(io, rid, asid, iova, access, IOMMU_FAULT_NO_DOMAIN, now);
		return -EFAULT;
	}
	if (d->type == IOMMU_DOMAIN_IDENTITY) {
		*pa = iova;
		*contig = iova ? 0 - iova : UINT64_MAX;
		*cost = 0;
		return 0;
	}
	if (iova >= IOVA_LIMIT) {
		fault_record(io, rid, asid, iova, access, IOMMU_FAULT_RANGE, now);
		return -EFAULT;
	}
	io->st.lookups++;
	*cost = 0;
	if (!tlb_lookup(io, d->id, iova, &pte, &shift)) {
		io->st.hits++;
	} else {
		io->st.misses++;
		pte = iommu_pt_lookup(d, iova, &shift);
		if (!pte) {
			fault_record(io, rid, asid, iova, access, IOMMU_FAULT_NOT_MAPPED, now);
			return -EFAULT;
		}
		tlb_insert(io, d->id, shift == IOMMU_HUGE_SHIFT, iova >> shift, pte);
		*cost = io->cfg.miss_cost;
	}
	if ((pte & access) != access) {
		fault_record(io, rid, asid, iova, access, IOMMU_FAULT_PERM, now);
		return -EFAULT;
	}
	*pa = (pte & PTE_ADDR_MASK) + (iova & ((1ULL << shift) - 1));
	*contig = (1ULL << shift) - (iova & ((1ULL << shift) - 1));
	return 0;
}

/* ---- Faults and stats ---------------------------------------------------------------------- */

uint64_t iommu_fault_count(const struct iommu *io)
{
	return io->fault_total;
}

unsigned iommu_fault_log_len(const struct iommu *io)
{
	return io->fault_len;
}

int iommu_fault_get(const struct iommu *io, unsigned i, struct iommu_fault *out)
{
	if (i >= io->fault_len)
		return -ENOENT;
	*out = io->faults[(io->fault_head + i) % io->cfg.fault_log_len];
	return 0;
}

void iommu_fault_clear(struct iommu *io)
{
	io->fault_head = io->fault_len = 0;
}

void iommu_get_stats(const struct iommu *io, struct iommu_stats *out)
{
	*out = io->st;
}

void iommu_reset_stats(struct iommu *io)
{
	memset(&io->st, 0, sizeof(io->st));
}
