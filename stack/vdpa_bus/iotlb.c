// SPDX-License-Identifier: MIT
/*
 * vdpa_iotlb: the vhost_iotlb interval set (Linux v6.8 drivers/vhost/iotlb.c
 * semantics) as a sorted array of non-overlapping maps.  Lookups are binary
 * searches; insertions and removals move the tail of the array.
 */
#include "stack/vdpa_bus/vdpa_bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void vdpa_iotlb_init(struct vdpa_iotlb *iotlb)
{
	memset(iotlb, 0, sizeof(*iotlb));
}

struct vdpa_iotlb *vdpa_iotlb_alloc(void)
{
	return calloc(1, sizeof(struct vdpa_iotlb));
}

void vdpa_iotlb_reset(struct vdpa_iotlb *iotlb)
{
	free(iotlb->maps);
	vdpa_iotlb_init(iotlb);
}

void vdpa_iotlb_free(struct vdpa_iotlb *iotlb)
{
	if (!iotlb)
		return;
	vdpa_iotlb_reset(iotlb);
	free(iotlb);
}

/* Index of the first map whose last >= addr (maps are sorted and disjoint,
 * so `last` is sorted too). */
static size_t lower_bound_last(const struct vdpa_iotlb *iotlb, uint64_t addr)
{
	size_t lo = 0, hi = iotlb->nmaps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (iotlb->maps[mid].last < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int insert_one(struct vdpa_iotlb *iotlb, uint64_t start, uint64_t last, uint64_t addr,
		      uint32_t perm, void *opaque)
{
	size_t i = lower_bound_last(iotlb, start);
	struct vdpa_iotlb_map *m;

	if (i < iotlb->nmaps && iotlb->maps[i].start <= last)
		return -EEXIST;
	if (iotlb->nmaps == iotlb->cap) {
		size_t ncap = iotlb->cap ? iotlb->cap * 2 : 16;
		struct vdpa_iotlb_map *p = realloc(iotlb->maps, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		iotlb->maps = p;
		iotlb->cap = ncap;
	}
	memmove(&iotlb->maps[i + 1], &iotlb->maps[i], (iotlb->nmaps - i) * sizeof(*m));
	m = &iotlb->maps[i];
	m->start = start;
	m->last = last;
	m->size = last - start + 1;
	m->addr = addr;
	m->perm = perm;
	m->opaque = opaque;
	iotlb->nmaps++;
	return 0;
}

int vdpa_iotlb_add_range_ctx(struct vdpa_iotlb *iotlb, uint64_t start, uint64_t last,
			     uint64_t addr, uint32_t perm, void *opaque)
{
	if (last < start)
		return -EFAULT;
	/* [0, UINT64_MAX] has no u64 size: store it as two halves. */
	if (start == 0 && last == UINT64_MAX) {
		uint64_t mid = last / 2;
		int err;

		if (vdpa_iotlb_itree_first(iotlb, start, last))
			return -EEXIST;
		err = insert_one(iotlb, start, mid, addr, perm, opaque);
		if (err)
			return err;
		err = insert_one(iotlb, mid + 1, last, addr + mid + 1, perm, opaque);
		if (err)
			vdpa_iotlb_del_range(iotlb, start, mid);
		return err;
	}
	return insert_one(iotlb, start, last, addr, perm, opaque);
}

int vdpa_iotlb_add_range(struct vdpa_iotlb *iotlb, uint64_t start, uint64_t last, uint64_t addr,
			 uint32_t perm)
{
	return vdpa_iotlb_add_range_ctx(iotlb, start, last, addr, perm, NULL);
}

struct vdpa_iotlb_map *vdpa_iotlb_itree_first(struct vdpa_iotlb *iotlb, uint64_t start,
					      uint64_t last)
{
	size_t i;

	if (!iotlb || last < start)
		return NULL;
	i = lower_bound_last(iotlb, start);
	if (i < iotlb->nmaps && iotlb->maps[i].start <= last)
		return &iotlb->maps[i];
	return NULL;
}

struct vdpa_iotlb_map *vdpa_iotlb_itree_next(struct vdpa_iotlb *iotlb, struct vdpa_iotlb_map *map,
					     uint64_t start, uint64_t last)
{
	size_t i;

	if (!iotlb || !map || map < iotlb->maps || map >= iotlb->maps + iotlb->nmaps)
		return NULL;
	i = (size_t)(map - iotlb->maps) + 1;
	if (i < iotlb->nmaps && iotlb->maps[i].start <= last && iotlb->maps[i].last >= start)
		return &iotlb->maps[i];
	return NULL;
}

void vdpa_iotlb_map_free(struct vdpa_iotlb *iotlb, struct vdpa_iotlb_map *map)
{
	size_t i;

	if (!map || map < iotlb->maps || map >= iotlb->maps + iotlb->nmaps)
		return;
	i = (size_t)(map - iotlb->maps);
	memmove(&iotlb->maps[i], &iotlb->maps[i + 1], (iotlb->nmaps - i - 1) * sizeof(*map));
	iotlb->nmaps--;
}

void vdpa_iotlb_del_range(struct vdpa_iotlb *iotlb, uint64_t start, uint64_t last)
{
	struct vdpa_iotlb_map *map;

	/* Each pass removes one map; at most nmaps passes. */
	while ((map = vdpa_iotlb_itree_first(iotlb, start, last)) != NULL)
		vdpa_iotlb_map_free(iotlb, map);
}

int vdpa_iotlb_copy(struct vdpa_iotlb *dst, const struct vdpa_iotlb *src)
{
	struct vdpa_iotlb_map *p = NULL;

	if (src->nmaps) {
		p = malloc(src->nmaps * sizeof(*p));
		if (!p)
			return -ENOMEM;
		memcpy(p, src->maps, src->nmaps * sizeof(*p));
	}
	free(dst->maps);
	dst->maps = p;
	dst->nmaps = src->nmaps;
	dst->cap = src->nmaps;
	return 0;
}

int vdpa_iotlb_translate(const struct vdpa_iotlb *iotlb, uint64_t iova, uint32_t access,
			 uint64_t *addr, uint64_t *contig)
{
	size_t i = lower_bound_last(iotlb, iova);
	const struct vdpa_iotlb_map *m;

	if (i >= iotlb->nmaps || iotlb->maps[i].start > iova)
		return -EFAULT;
	m = &iotlb->maps[i];
	if ((m->perm & access) != access)
		return -EPERM;
	if (addr)
		*addr = m->addr + (iova - m->start);
	if (contig)
		*contig = m->last - iova + 1; /* 0 means 2^64 (whole space) */
	return 0;
}
