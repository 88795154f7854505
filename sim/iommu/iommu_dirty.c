// SPDX-License-Identifier: MIT
/*
 * IOMMU dirty tracking: per-domain sorted chunks of dirty bits, 4096 pages
 * (16 MiB of IOVA) per chunk, marked at leaf-page granularity.
 */
#include "sim/iommu/iommu_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- Dirty tracking ------------------------------------------------------------------------ */

static struct dirty_chunk *dirty_chunk(struct iommu_domain *d, uint64_t key, bool create)
{
	size_t lo = 0, hi = d->ndirty;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->dirty[mid].key == key)
			return &d->dirty[mid];
		if (d->dirty[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!create)
		return NULL;
	if (d->ndirty == d->dirty_cap) {
		size_t ncap = d->dirty_cap ? d->dirty_cap * 2 : 4;
		struct dirty_chunk *nc = realloc(d->dirty, ncap * sizeof(*nc));

		if (!nc)
			return NULL;
		d->dirty = nc;
		d->dirty_cap = ncap;
	}
	memmove(&d->dirty[lo + 1], &d->dirty[lo], (d->ndirty - lo) * sizeof(*d->dirty));
	memset(&d->dirty[lo], 0, sizeof(d->dirty[lo]));
	d->dirty[lo].key = key;
	d->ndirty++;
	return &d->dirty[lo];
}

static void dirty_mark_pages(struct iommu_domain *d, uint64_t pn, uint64_t npages)
{
	while (npages) {
		struct dirty_chunk *c = dirty_chunk(d, pn / DIRTY_CHUNK_PAGES, true);
		uint64_t in = pn % DIRTY_CHUNK_PAGES;
		uint64_t n = DIRTY_CHUNK_PAGES - in < npages ? DIRTY_CHUNK_PAGES - in : npages;

		if (c) { /* allocation failure loses dirty bits; only under OOM */
			for (uint64_t b = in; b < in + n; b++) {
				uint64_t m = 1ULL << (b % 64);

				if (!(c->bits[b / 64] & m)) {
					c->bits[b / 64] |= m;
					d->dirty_pages++;
				}
			}
		}
		pn += n;
		npages -= n;
	}
}

void iommu_note_write(struct iommu *io, uint16_t rid, uint32_t asid, uint64_t iova, uint64_t len)
{
	struct iommu_domain *d = iommu_domain_of(io, rid, asid);
	uint64_t end;

	if (!d || !d->dirty_on || !len)
		return;
	end = iova + len;
	while (iova < end) {
		unsigned shift = IOMMU_PAGE_SHIFT;

		/* a write into a 2 MiB leaf dirties the whole leaf */
		if (d->type == IOMMU_DOMAIN_PAGING && !iommu_pt_lookup(d, iova, &shift))
			shift = IOMMU_PAGE_SHIFT;
		uint64_t base = iova & ~((1ULL << shift) - 1);

		dirty_mark_pages(d, base >> IOMMU_PAGE_SHIFT, 1ULL << (shift - IOMMU_PAGE_SHIFT));
		if (base + (1ULL << shift) < base)
			break;
		iova = base + (1ULL << shift);
	}
}

int iommu_dirty_tracking(struct iommu_domain *d, bool enable)
{
	free(d->dirty);
	d->dirty = NULL;
	d->ndirty = d->dirty_cap = 0;
	d->dirty_pages = 0;
	d->dirty_on = enable;
	return 0;
}

bool iommu_dirty_tracking_enabled(const struct iommu_domain *d)
{
	return d->dirty_on;
}

int iommu_dirty_read(struct iommu_domain *d, uint64_t iova, uint64_t size, uint64_t *bitmap,
		     bool clear)
{
	uint64_t pn, npages;

	if (!d->dirty_on)
		return -EINVAL;
	if ((iova | size) & (IOMMU_PAGE_SIZE - 1) || iova + size < iova)
		return -EINVAL;
	pn = iova >> IOMMU_PAGE_SHIFT;
	npages = size >> IOMMU_PAGE_SHIFT;
	memset(bitmap, 0, ((npages + 63) / 64) * sizeof(*bitmap));
	for (uint64_t i = 0; i < npages;) {
		uint64_t p = pn + i;
		struct dirty_chunk *c = dirty_chunk(d, p / DIRTY_CHUNK_PAGES, false);
		uint64_t in = p % DIRTY_CHUNK_PAGES;
		uint64_t n = DIRTY_CHUNK_PAGES - in < npages - i ? DIRTY_CHUNK_PAGES - in : npages - i;

		if (c) {
			for (uint64_t b = 0; b < n; b++) {
				uint64_t cb = in + b, m = 1ULL << (cb % 64);

				if (!(c->bits[cb / 64] & m))
					continue;
				bitmap[(i + b) / 64] |= 1ULL << ((i + b) % 64);
				if (clear) {
					c->bits[cb / 64] &= ~m;
					d->dirty_pages--;
				}
			}
		}
		i += n;
	}
	return 0;
}

uint64_t iommu_dirty_count(const struct iommu_domain *d)
{
	return d->dirty_pages;
}
