// SPDX-License-Identifier: MIT
/*
 * IOTLB messages written to a vhost-vdpa handle, the per-ASID IOTLBs, the
 * parent's DMA ops (dma_map / set_map / platform IOMMU) and the doorbell
 * mmap.  After Linux v6.8 drivers/vhost/vdpa.c (process_iotlb_msg, pa_map,
 * va_map, unmap, remove_as, mmap) and vhost_chr_write_iter in vhost.c.
 */
#include "stack/vhost_vdpa/vhv_priv.h"

#include "sim/engine/engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE_MASK (~(VHV_PAGE_SIZE - 1))
/* Bound on the contiguous runs one UPDATE may pin (each run is >= 1 page). */
#define MAX_PIN_RUNS 65536

static uint64_t pfn_up(uint64_t bytes)
{
	return bytes / VHV_PAGE_SIZE + !!(bytes % VHV_PAGE_SIZE);
}

static struct vhv_file *owner_file(struct vhv_dev *v)
{
	return v->file;
}

static struct vdpa_iotlb *asid_to_iotlb(struct vhv_dev *v, uint32_t asid)
{
	if (!v->as || asid >= v->nas || !v->as[asid].exists)
		return NULL;
	return &v->as[asid].iotlb;
}

/* vhost_vdpa_find_alloc_as: the space exists once used; asid < nas. */
static struct vdpa_iotlb *find_alloc_as(struct vhv_dev *v, uint32_t asid)
{
	if (!v->as || asid >= v->vdpa->nas || asid >= v->nas)
		return NULL;
	if (!v->as[asid].exists) {
		vdpa_iotlb_init(&v->as[asid].iotlb);
		v->as[asid].exists = true;
	}
	return &v->as[asid].iotlb;
}

static uint32_t iotlb_to_asid(struct vhv_dev *v, struct vdpa_iotlb *iotlb)
{
	return (uint32_t)((struct vhv_as *)((char *)iotlb - offsetof(struct vhv_as, iotlb)) -
			  v->as);
}

/* ---- unmap ---------------------------------------------------------------------- */

/* vhost_vdpa_general_unmap: incremental parents and the platform IOMMU. */
static void general_unmap(struct vhv_dev *v, const struct vdpa_iotlb_map *map, uint32_t asid)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	struct vdpa_dma_dev *dma = vdpa_get_dma_dev(v->vdpa);

	if (ops->dma_map)
		ops->dma_unmap(v->vdpa, asid, map->start, map->size);
	else if (!ops->set_map && v->domain && dma && dma->iommu)
		dma->iommu->unmap(dma->ctx, v->domain, map->start, map->size);
}

/* vhost_vdpa_iotlb_unmap (pa and va flavours): whole maps overlapping
 * [start, last] go, pinned pages are released. */
static void iotlb_unmap(struct vhv_dev *v, struct vdpa_iotlb *iotlb, uint64_t start,
			uint64_t last, uint32_t asid)
{
	struct vhv_file *f = owner_file(v);
	struct vdpa_iotlb_map *map;

	while ((map = vdpa_iotlb_itree_first(iotlb, start, last)) != NULL) {
		if (!v->vdpa->use_va && f) {
			if (f->mem && f->mem->unpin)
				f->mem->unpin(f->mem_ctx, map->addr, map->size,
					      !!(map->perm & VHOST_ACCESS_WO));
			uint64_t pages = map->size / VHV_PAGE_SIZE;

			f->pinned = pages <= f->pinned ? f->pinned - pages : 0;
		}
		general_unmap(v, map, asid);
		vdpa_iotlb_map_free(iotlb, map);
	}
}

/* vhost_vdpa_unmap: set_map parents get the whole table again (unless in a
 * batch). */
static void vhv_unmap(struct vhv_dev *v, struct vdpa_iotlb *iotlb, uint64_t iova, uint64_t size)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	uint32_t asid = iotlb_to_asid(v, iotlb);

	iotlb_unmap(v, iotlb, iova, iova + size - 1, asid);
	if (ops->set_map && !v->in_batch)
		ops->set_map(v->vdpa, asid, iotlb);
}

void vhv_remove_all_as(struct vhv_dev *v)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;

	if (!v->as)
		return;
	for (uint32_t asid = 0; asid < v->nas; asid++) {
		if (!v->as[asid].exists)
			continue;
		iotlb_unmap(v, &v->as[asid].iotlb, 0, UINT64_MAX, asid);
		/* Parents with their own translation go back to their initial
		 * mapping. */
		if (ops->reset_map)
			ops->reset_map(v->vdpa, asid);
		vdpa_iotlb_reset(&v->as[asid].iotlb);
		v->as[asid].exists = false;
	}
}

/* ---- map ------------------------------------------------------------------------ */

/* vhost_vdpa_map: record, then hand to the parent or the IOMMU. */
static int vhv_map(struct vhv_dev *v, struct vdpa_iotlb *iotlb, uint64_t iova, uint64_t size,
		   uint64_t pa, uint32_t perm, void *opaque)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	struct vdpa_dma_dev *dma = vdpa_get_dma_dev(v->vdpa);
	struct vhv_file *f = owner_file(v);
	uint32_t asid = iotlb_to_asid(v, iotlb);
	int r;

	r = vdpa_iotlb_add_range_ctx(iotlb, iova, iova + size - 1, pa, perm, opaque);
	if (r)
		return r;
	if (ops->dma_map) {
		r = ops->dma_map(v->vdpa, asid, iova, size, pa, perm, opaque);
	} else if (ops->set_map) {
		if (!v->in_batch)
			r = ops->set_map(v->vdpa, asid, iotlb);
	} else if (v->domain && dma && dma->iommu) {
		r = dma->iommu->map(dma->ctx, v->domain, iova, pa, size, perm);
	} else {
		r = -EIO;
	}
	if (r) {
		vdpa_iotlb_del_range(iotlb, iova, iova + size - 1);
		return r;
	}
	if (!v->vdpa->use_va && f)
		f->pinned += size / VHV_PAGE_SIZE;
	return 0;
}

static int pin(struct vhv_file *f, uint64_t uaddr, uint64_t len, bool write, uint64_t *pa,
	       uint64_t *contig)
{
	if (f && f->mem && f->mem->pin)
		return f->mem->pin(f->mem_ctx, uaddr, len, write, pa, contig);
	/* identity: user addresses are host-physical, so none past the top */
	if (len && uaddr + len - 1 < uaddr)
		return -EFAULT;
	*pa = uaddr;
	*contig = len;
	return 0;
}

static void unpin(struct vhv_file *f, uint64_t pa, uint64_t len, bool dirty)
{
	if (f && f->mem && f->mem->unpin && len)
		f->mem->unpin(f->mem_ctx, pa, len, dirty);
}

/*
 * vhost_vdpa_pa_map: pin the user range page by page, map each physically
 * contiguous chunk.  The map is page-granular: iova and uaddr are rounded
 * down to a page and the size up, as the kernel does.
 */
static int pa_map(struct vhv_dev *v, struct vdpa_iotlb *iotlb, uint64_t iova, uint64_t size,
		  uint64_t uaddr, uint32_t perm)
{
	struct vhv_file *f = owner_file(v);
	bool write = perm & VHOST_ACCESS_WO;
	uint64_t start = iova, npages, cur_base, chunk_pa = 0, chunk_len = 0;
	unsigned int runs = 0;
	int r = 0;

	npages = pfn_up(size + (iova & ~PAGE_MASK));
	if (!npages)
		return -EINVAL;
	/* 2^52 pages or more: their byte count does not fit 64 bits (and would map
	 * the whole address space with nothing pinned); nobody can pin that */
	if (npages > UINT64_MAX / VHV_PAGE_SIZE)
		return -ENOMEM;
	if (f && f->memlock_limit && npages + f->pinned > f->memlock_limit)
		return -ENOMEM;
	cur_base = uaddr & PAGE_MASK;
	iova &= PAGE_MASK;
	while (npages) {
		uint64_t pa, contig, pages;

		if (++runs > MAX_PIN_RUNS) {
			r = -ENOMEM;
			break;
		}
		r = pin(f, cur_base, npages * VHV_PAGE_SIZE, write, &pa, &contig);
		if (r)
			break;
		pages = contig / VHV_PAGE_SIZE;
		if (!pages)
			pages = 1;
		if (pages > npages)
			pages = npages;
		if (chunk_len && pa != chunk_pa + chunk_len) {
			/* Discontiguous: map what we have so far. */
			r = vhv_map(v, iotlb, iova, chunk_len, chunk_pa, perm, NULL);
			if (r) {
				unpin(f, chunk_pa, chunk_len, false);
				unpin(f, pa, pages * VHV_PAGE_SIZE, false);
				chunk_len = 0;
				break;
			}
			iova += chunk_len;
			chunk_len = 0;
		}
		if (!chunk_len)
			chunk_pa = pa;
		chunk_len += pages * VHV_PAGE_SIZE;
		cur_base += pages * VHV_PAGE_SIZE;
		npages -= pages;
	}
	if (!r) {
		r = vhv_map(v, iotlb, iova, chunk_len, chunk_pa, perm, NULL);
		if (r)
			unpin(f, chunk_pa, chunk_len, false);
	} else {
		unpin(f, chunk_pa, chunk_len, false);
	}
	if (r)
		vhv_unmap(v, iotlb, start, size);
	return r;
}

/* vhost_vdpa_va_map: user addresses go to the parent as they are. */
static int va_map(struct vhv_dev *v, struct vdpa_iotlb *iotlb, uint64_t iova, uint64_t size,
		  uint64_t uaddr, uint32_t perm)
{
	int r = vhv_map(v, iotlb, iova, size, uaddr, perm, NULL);

	if (r)
		vhv_unmap(v, iotlb, iova, size);
	return r;
}

/* vhost_vdpa_process_iotlb_update. */
static int process_iotlb_update(struct vhv_dev *v, struct vdpa_iotlb *iotlb,
				const struct vhost_iotlb_msg *msg)
{
	if (msg->iova < v->range.first || !msg->size || msg->iova > UINT64_MAX - msg->size + 1 ||
	    msg->iova + msg->size - 1 > v->range.last)
		return -EINVAL;
	if (vdpa_iotlb_itree_first(iotlb, msg->iova, msg->iova + msg->size - 1))
		return -EEXIST;
	if (v->vdpa->use_va)
		return va_map(v, iotlb, msg->iova, msg->size, msg->uaddr, msg->perm);
	return pa_map(v, iotlb, msg->iova, msg->size, msg->uaddr, msg->perm);
}

/* vhost_vdpa_process_iotlb_msg. */
int vhv_process_iotlb_msg(struct vhv_dev *v, uint32_t asid, const struct vhost_iotlb_msg *msg)
{
	const struct vdpa_config_ops *ops = v->vdpa->config;
	struct vdpa_iotlb *iotlb;
	int r = 0;

	if (!v->has_owner)
		return -EPERM;
	if (msg->type == VHOST_IOTLB_UPDATE || msg->type == VHOST_IOTLB_BATCH_BEGIN) {
		iotlb = find_alloc_as(v, asid);
		if (!iotlb)
			return -EINVAL;
	} else {
		iotlb = asid_to_iotlb(v, asid);
	}
	/* A batch belongs to one address space. */
	if ((v->in_batch && v->batch_asid != asid) || !iotlb)
		return -EINVAL;

	switch (msg->type) {
	case VHOST_IOTLB_UPDATE:
		r = process_iotlb_update(v, iotlb, msg);
		break;
	case VHOST_IOTLB_INVALIDATE:
		vhv_unmap(v, iotlb, msg->iova, msg->size);
		break;
	case VHOST_IOTLB_BATCH_BEGIN:
		v->batch_asid = asid;
		v->in_batch = true;
		break;
	case VHOST_IOTLB_BATCH_END:
		if (v->in_batch && ops->set_map)
			ops->set_map(v->vdpa, asid, iotlb);
		v->in_batch = false;
		break;
	default:
		r = -EINVAL;
		break;
	}
	return r;
}

/* ---- write(2) ---------------------------------------------------------------------- */

/* vhost_chr_write_iter. */
ssize_t vhv_write(struct vhv_file *f, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	struct vhost_iotlb_msg msg;
	struct vhv_dev *v;
	uint32_t type, asid = 0;
	size_t off;
	int r;

	if (!f)
		return -EBADF;
	v = f->v;
	if (!v)
		return -ENODEV;
	if (!p || len < sizeof(type))
		return -EINVAL;
	memcpy(&type, p, sizeof(type));
	switch (type) {
	case VHOST_IOTLB_MSG:
		/* struct vhost_msg has a hole after the int type. */
		off = offsetof(struct vhost_msg, iotlb);
		break;
	case VHOST_IOTLB_MSG_V2:
		/* The asid field only counts once IOTLB_ASID was acked. */
		if (v->vqs[0].acked_backend_features & (1ULL << VHOST_BACKEND_F_IOTLB_ASID)) {
			if (len < offsetof(struct vhost_msg_v2, asid) + sizeof(asid))
				return -EINVAL;
			memcpy(&asid, p + offsetof(struct vhost_msg_v2, asid), sizeof(asid));
		}
		off = offsetof(struct vhost_msg_v2, iotlb);
		break;
	default:
		return -EINVAL;
	}
	if (len < off + sizeof(msg))
		return -EINVAL;
	memcpy(&msg, p + off, sizeof(msg));
	if ((msg.type == VHOST_IOTLB_UPDATE || msg.type == VHOST_IOTLB_INVALIDATE) && msg.size == 0)
		return -EINVAL;
	r = vhv_process_iotlb_msg(v, asid, &msg);
	f->last_msg_err = r;
	eng_trace(f->st->sim, "vhv", "iotlb", "chardev=%s asid=%u type=%u iova=0x%llx size=0x%llx r=%d",
		  v->name, asid, msg.type, (unsigned long long)msg.iova,
		  (unsigned long long)msg.size, r);
	/* Whatever the handler's reason, write(2) reports -EFAULT. */
	if (r)
		return -EFAULT;
	return type == VHOST_IOTLB_MSG ? (ssize_t)sizeof(struct vhost_msg)
				       : (ssize_t)sizeof(struct vhost_msg_v2);
}

/* ---- mmap(2) of a doorbell --------------------------------------------------------- */

/* vhost_vdpa_mmap. */
int vhv_mmap(struct vhv_file *f, uint64_t len, int prot, int flags, uint64_t pgoff,
	     struct vdpa_notification_area *area)
{
	const struct vdpa_config_ops *ops;
	struct vdpa_notification_area notify;
	struct vhv_dev *v;

	if (!f)
		return -EBADF;
	v = f->v;
	if (!v)
		return -ENODEV;
	ops = v->vdpa->config;
	if (len != VHV_PAGE_SIZE)
		return -EINVAL;
	if (!(flags & MAP_SHARED))
		return -EINVAL;
	if (prot & PROT_READ)
		return -EINVAL;
	if (pgoff > 65535)
		return -EINVAL;
	if (!ops->get_vq_notification)
		return -VHV_ENOTSUPP;
	/* Only a doorbell alone on its own page can be handed out. */
	notify = ops->get_vq_notification(v->vdpa, (uint16_t)pgoff);
	if (notify.addr & (VHV_PAGE_SIZE - 1))
		return -EINVAL;
	if (len != notify.size)
		return -VHV_ENOTSUPP;
	if (area)
		*area = notify;
	return 0;
}
