// SPDX-License-Identifier: MIT
/*
 * IOMMU page tables: map, unmap (splitting 2 MiB leaves), lookup.
 *
 * Levels are numbered from the leaf: level 0 tables hold 4 KiB leaves, level 1
 * directories may hold 2 MiB leaves, levels 2 and 3 hold only directories.  A
 * table is freed when its last entry goes, so an entry with a child always has
 * something mapped below it.
 */
#include "sim/iommu/iommu_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void iommu_pt_free(void *node, unsigned level)
{
	struct pt_dir *dir = node;

	if (!node)
		return;
	if (level > 0)
		for (unsigned i = 0; i < PT_FAN; i++)
			iommu_pt_free(dir->child[i], level - 1);
	free(node);
}

static unsigned level_shift(unsigned level)
{
	return IOMMU_PAGE_SHIFT + PT_BITS * level;
}

static unsigned pt_index(uint64_t iova, unsigned level)
{
	return (unsigned)(iova >> level_shift(level)) & (PT_FAN - 1);
}

uint64_t iommu_pt_lookup(const struct iommu_domain *d, uint64_t iova, unsigned *shift)
{
	const struct pt_dir *dir = d->root;

	for (unsigned level = PT_LEVELS - 1; dir; level--) {
		unsigned i = pt_index(iova, level);

		if (level == 1 && dir->pte[i]) {
			*shift = IOMMU_HUGE_SHIFT;
			return dir->pte[i];
		}
		if (level == 1) {
			const struct pt_leaf *leaf = dir->child[i];

			if (!leaf)
				return 0;
			*shift = IOMMU_PAGE_SHIFT;
			return leaf->pte[pt_index(iova, 0)];
		}
		dir = dir->child[i];
	}
	return 0;
}

/* Does anything map inside [lo, hi) under this node (covering from base)? */
static bool pt_any(const void *node, unsigned level, uint64_t base, uint64_t lo, uint64_t hi)
{
	uint64_t span = 1ULL << level_shift(level);
	unsigned first = (unsigned)((lo - base) >> level_shift(level));

	for (unsigned i = first; i < PT_FAN; i++) {
		uint64_t cb = base + i * span;

		if (cb >= hi)
			break;
		if (level == 0) {
			if (((const struct pt_leaf *)node)->pte[i])
				return true;
			continue;
		}
		const struct pt_dir *dir = node;

		if (level == 1 && dir->pte[i])
			return true;
		if (dir->child[i] &&
		    pt_any(dir->child[i], level - 1, cb, lo > cb ? lo : cb, hi < cb + span ? hi : cb + span))
			return true;
	}
	return false;
}

/* Set one leaf (4 KiB at level 0 or 2 MiB at level 1), creating tables. */
static int pt_set(struct iommu_domain *d, uint64_t iova, uint64_t pte, unsigned leaf_level)
{
	struct pt_dir *dir;

	if (!d->root) {
		d->root = calloc(1, sizeof(*d->root));
		if (!d->root)
			return -ENOMEM;
	}
	dir = d->root;
	for (unsigned level = PT_LEVELS - 1;; level--) {
		unsigned i = pt_index(iova, level);

		if (level == leaf_level) { /* leaf_level is 1 here */
			dir->pte[i] = pte;
			dir->used++;
			return 0;
		}
		if (level == 1) {
			struct pt_leaf *leaf = dir->child[i];

			if (!leaf) {
				leaf = calloc(1, sizeof(*leaf));
				if (!leaf)
					return -ENOMEM;
				dir->child[i] = leaf;
				dir->used++;
			}
			leaf->pte[pt_index(iova, 0)] = pte;
			leaf->used++;
			return 0;
		}
		if (!dir->child[i]) {
			struct pt_dir *c = calloc(1, sizeof(*c));

			if (!c)
				return -ENOMEM;
			dir->child[i] = c;
			dir->used++;
		}
		dir = dir->child[i];
	}
}

/*
 * Remove leaves inside [lo, hi) under a directory at level >= 1; splits 2 MiB
 * leaves partly inside.  Frees emptied children.  Returns bytes removed or
 * -ENOMEM (when a split cannot allocate; nothing of that 2 MiB page changed).
 */
static int64_t pt_unmap_dir(struct pt_dir *dir, unsigned level, uint64_t base, uint64_t lo,
			    uint64_t hi)
{
	uint64_t span = 1ULL << level_shift(level);
	unsigned first = (unsigned)((lo - base) >> level_shift(level));
	int64_t removed = 0;

	for (unsigned i = first; i < PT_FAN; i++) {
		uint64_t cb = base + i * span, ce = cb + span;
		uint64_t l = lo > cb ? lo : cb, h = hi < ce ? hi : ce;

		if (cb >= hi)
			break;
		if (level == 1 && dir->pte[i]) {
			if (l == cb && h == ce) {
				dir->pte[i] = 0;
				dir->used--;
				removed += (int64_t)span;
				continue;
			}
			/* split the 2 MiB leaf into 512 small leaves, then unmap below */
			struct pt_leaf *leaf = calloc(1, sizeof(*leaf));

			if (!leaf)
				return -ENOMEM;
			for (unsigned k = 0; k < PT_FAN; k++)
				leaf->pte[k] = dir->pte[i] + ((uint64_t)k << IOMMU_PAGE_SHIFT);
			leaf->used = PT_FAN;
			dir->pte[i] = 0;
			dir->child[i] = leaf;
		}
		if (!dir->child[i])
			continue;
		if (level == 1) {
			struct pt_leaf *leaf = dir->child[i];

			for (uint64_t a = l; a < h; a += IOMMU_PAGE_SIZE) {
				unsigned k = pt_index(a, 0);

				if (leaf->pte[k]) {
					leaf->pte[k] = 0;
					leaf->used--;
					removed += (int64_t)IOMMU_PAGE_SIZE;
				}
			}
			if (!leaf->used) {
				free(leaf);
				dir->child[i] = NULL;
				dir->used--;
			}
			continue;
		}
		int64_t r = pt_unmap_dir(dir->child[i], level - 1, cb, l, h);

		if (r < 0)
			return r;
		removed += r;
		if (!((struct pt_dir *)dir->child[i])->used) {
			free(dir->child[i]);
			dir->child[i] = NULL;
			dir->used--;
		}
	}
	return removed;
}

static bool map_args_ok(const struct iommu_domain *d, uint64_t iova, uint64_t pa, uint64_t size)
{
	if (d->type != IOMMU_DOMAIN_PAGING || !size)
		return false;
	if ((iova | pa | size) & (IOMMU_PAGE_SIZE - 1))
		return false;
	return iova < IOVA_LIMIT && size <= IOVA_LIMIT - iova && pa + size > pa &&
	       pa + size <= (1ULL << 52);
}

static int unmap_range(struct iommu_domain *d, uint64_t iova, uint64_t size, uint64_t *removed)
{
	int64_t r = 0;

	if (d->root) {
		r = pt_unmap_dir(d->root, PT_LEVELS - 1, 0, iova, iova + size);
		if (d->root->used == 0) {
			free(d->root);
			d->root = NULL;
		}
	}
	if (r > 0) {
		d->mapped -= (uint64_t)r;
		*removed = (uint64_t)r;
	} else {
		*removed = 0;
	}
	iommu_tlb_inval(d->io, d->id, iova, size);
	return r < 0 ? (int)r : 0;
}

int iommu_map(struct iommu_domain *d, uint64_t iova, uint64_t pa, uint64_t size, unsigned prot)
{
	uint64_t off = 0, dummy;
	int err = 0;

	if (!map_args_ok(d, iova, pa, size) || !(prot & PTE_PROT_MASK) || (prot & ~PTE_PROT_MASK))
		return -EINVAL;
	if (d->root && pt_any(d->root, PT_LEVELS - 1, 0, iova, iova + size))
		return -EEXIST;
	while (off < size) {
		uint64_t v = iova + off, p = pa + off;
		bool huge = !((v | p) & (IOMMU_HUGE_SIZE - 1)) && size - off >= IOMMU_HUGE_SIZE;
		uint64_t step = huge ? IOMMU_HUGE_SIZE : IOMMU_PAGE_SIZE;

		err = pt_set(d, v, p | prot | PTE_PRESENT, huge ? 1 : 0);
		if (err) {
			/* undo, including tables left empty by the failed step */
			d->mapped += off;
			unmap_range(d, iova, off + step, &dummy);
			return err;
		}
		off += step;
	}
	d->mapped += off;
	/* a cached negative result does not exist (faults are not cached), but an
	 * entry of an earlier mapping of this range might: flush like the kernel */
	iommu_tlb_inval(d->io, d->id, iova, size);
	eng_trace(d->io->sim, "iommu", "map", "dom=%u iova=0x%" PRIx64 " pa=0x%" PRIx64
		  " size=0x%" PRIx64 " prot=%u", d->id, iova, pa, size, prot);
	return 0;
}

int iommu_unmap(struct iommu_domain *d, uint64_t iova, uint64_t size)
{
	uint64_t removed;
	int err;

	if (d->type != IOMMU_DOMAIN_PAGING || !size || ((iova | size) & (IOMMU_PAGE_SIZE - 1)) ||
	    iova >= IOVA_LIMIT || size > IOVA_LIMIT - iova)
		return -EINVAL;
	err = unmap_range(d, iova, size, &removed);
	if (err)
		return err;
	eng_trace(d->io->sim, "iommu", "unmap", "dom=%u iova=0x%" PRIx64 " size=0x%" PRIx64
		  " removed=0x%" PRIx64, d->id, iova, size, removed);
	return removed ? 0 : -ENOENT;
}

int iommu_iova_to_phys(const struct iommu_domain *d, uint64_t iova, uint64_t *pa, unsigned *prot)
{
	unsigned shift;
	uint64_t pte;

	if (d->type == IOMMU_DOMAIN_IDENTITY) {
		*pa = iova;
		if (prot)
			*prot = IOMMU_READ | IOMMU_WRITE;
		return 0;
	}
	if (iova >= IOVA_LIMIT)
		return -EFAULT;
	pte = iommu_pt_lookup(d, iova, &shift);
	if (!pte)
		return -EFAULT;
	*pa = (pte & PTE_ADDR_MASK) + (iova & ((1ULL << shift) - 1));
	if (prot)
		*prot = (unsigned)(pte & PTE_PROT_MASK);
	return 0;
}

uint64_t iommu_mapped_bytes(const struct iommu_domain *d)
{
	return d->mapped;
}
