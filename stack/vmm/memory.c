// SPDX-License-Identifier: MIT
/*
 * Guest memory: RAM regions over host memory, the guest's DMA allocator
 * (one pool per region, round robin), the VMM's user addresses that
 * vhost_vdpa pins, and the memory listener that mirrors RAM into the
 * device's IOTLB (QEMU's vhost_vdpa_listener_region_add/del + commit).
 */
#include "stack/vmm/vmm_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* User address of the shadow control queue memory. */
#define SHADOW_HVA 0x7e0000000000ULL

/* ---- the guest's view of its RAM ------------------------------------------------ */

static int gacc_read(void *ctx, uint64_t gpa, void *dst, uint32_t len)
{
	struct vmm *v = ctx;

	return mem_guest_read(v->gmem, gpa, dst, len);
}

static int gacc_write(void *ctx, uint64_t gpa, const void *src, uint32_t len)
{
	struct vmm *v = ctx;

	return mem_guest_write(v->gmem, gpa, src, len);
}

/* dma_alloc_coherent of the guest: rings and buffers go to the regions in
 * turn, so a multi-region guest spreads them over every region. */
static int dma_alloc(void *ctx, uint64_t size, uint64_t align, uint64_t *dma)
{
	struct vmm *v = ctx;

	for (unsigned int k = 0; k < v->nregions; k++) {
		unsigned int i = (v->dma_next + k) % v->nregions;
		struct vio_dma *pd = vio_dma_pool_dma(v->regions[i].pool);

		if (!pd->ops->alloc(pd->ctx, size, align, dma)) {
			v->dma_next = (i + 1) % v->nregions;
			return 0;
		}
	}
	return -ENOMEM;
}

static struct vmm_region *region_of(struct vmm *v, uint64_t gpa)
{
	for (unsigned int i = 0; i < v->nregions; i++)
		if (gpa >= v->regions[i].gpa && gpa - v->regions[i].gpa < v->regions[i].size)
			return &v->regions[i];
	return NULL;
}

static void dma_free(void *ctx, uint64_t dma, uint64_t size)
{
	struct vmm *v = ctx;
	struct vmm_region *r = region_of(v, dma);

	if (r) {
		struct vio_dma *pd = vio_dma_pool_dma(r->pool);

		pd->ops->free(pd->ctx, dma, size);
	}
}

static const struct vio_dma_ops dma_ops = {
	.alloc = dma_alloc,
	.free = dma_free,
};

int vmm_mem_init(struct vmm *v)
{
	v->gmem = mem_guest_new(v->cfg.host);
	if (!v->gmem)
		return -ENOMEM;
	v->next_hva = VMM_HVA_BASE;
	v->dma.ops = &dma_ops;
	v->dma.ctx = v;
	v->dma.mem.read = gacc_read;
	v->dma.mem.write = gacc_write;
	v->dma.mem.ctx = v;
	return 0;
}

void vmm_mem_free(struct vmm *v)
{
	for (unsigned int i = 0; i < v->nregions; i++)
		vio_dma_pool_free(v->regions[i].pool);
	v->nregions = 0;
	mem_guest_free(v->gmem);
	v->gmem = NULL;
}

struct mem_guest *vmm_guest_mem(struct vmm *v)
{
	return v ? v->gmem : NULL;
}

uint64_t vmm_gpa_to_hva(const struct vmm *v, uint64_t gpa)
{
	for (unsigned int i = 0; v && i < v->nregions; i++) {
		const struct vmm_region *r = &v->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r->hva + (gpa - r->gpa);
	}
	return 0;
}

/* ---- user memory: what vhost_vdpa pins ------------------------------------------- */

static int um_pin(void *ctx, uint64_t uaddr, uint64_t len, bool write, uint64_t *pa,
		  uint64_t *contig)
{
	struct vmm *v = ctx;

	(void)len;
	(void)write;
	for (unsigned int i = 0; i < v->nregions; i++) {
		const struct vmm_region *r = &v->regions[i];

		if (uaddr >= r->hva && uaddr - r->hva < r->size) {
			*pa = r->hpa + (uaddr - r->hva);
			*contig = r->size - (uaddr - r->hva);
			return 0;
		}
	}
	if (v->cfg.shadow_size && uaddr >= SHADOW_HVA && uaddr - SHADOW_HVA < v->cfg.shadow_size) {
		*pa = v->cfg.shadow_hpa + (uaddr - SHADOW_HVA);
		*contig = v->cfg.shadow_size - (uaddr - SHADOW_HVA);
		return 0;
	}
	return -EFAULT; /* not mapped in the VMM */
}

static void um_unpin(void *ctx, uint64_t pa, uint64_t len, bool dirty)
{
	(void)ctx;
	(void)pa;
	(void)len;
	(void)dirty;
}

const struct vhv_user_mem_ops vmm_user_mem_ops = {
	.pin = um_pin,
	.unpin = um_unpin,
};

/* ---- the memory listener ------------------------------------------------------------- */

static bool batching(const struct vmm *v)
{
	return vmm_has_backend(v, VHOST_BACKEND_F_IOTLB_BATCH);
}

/* vhost_vdpa_listener_skipped_section: RAM the device cannot address. */
static bool out_of_range(const struct vmm *v, const struct vmm_region *r)
{
	return r->gpa < v->iova_range.first || r->gpa + r->size - 1 > v->iova_range.last;
}

/* One transaction of the listener: BATCH_BEGIN before the first message
 * (vhost_vdpa_iotlb_batch_begin_once), BATCH_END at the commit. */
struct txn {
	bool begun;
	int err;
};

static int txn_msg(struct vmm *v, struct txn *t, uint8_t type, uint64_t iova, uint64_t size,
		   uint64_t uaddr)
{
	int err;

	if (batching(v) && !t->begun) {
		err = vmm_iotlb_msg(v, 0, VHOST_IOTLB_BATCH_BEGIN, 0, 0, 0, 0);
		if (err)
			return err;
		t->begun = true;
	}
	return vmm_iotlb_msg(v, 0, type, iova, size, uaddr,
			     type == VHOST_IOTLB_UPDATE ? VHOST_ACCESS_RW : 0);
}

static int txn_commit(struct vmm *v, struct txn *t)
{
	int err = 0;

	if (t->begun)
		err = vmm_iotlb_msg(v, 0, VHOST_IOTLB_BATCH_END, 0, 0, 0, 0);
	t->begun = false;
	return t->err ? t->err : err;
}

static void region_map(struct vmm *v, struct vmm_region *r, struct txn *t)
{
	int err;

	if (r->mapped)
		return;
	if (out_of_range(v, r)) {
		v->stats.iotlb_skipped++;
		vmm_logf(v, "skip gpa=0x%llx size=0x%llx", (unsigned long long)r->gpa,
			 (unsigned long long)r->size);
		return;
	}
	err = txn_msg(v, t, VHOST_IOTLB_UPDATE, r->gpa, r->size, r->hva);
	if (err) {
		if (!t->err)
			t->err = err;
		return;
	}
	r->mapped = true;
}

static void region_unmap(struct vmm *v, struct vmm_region *r, struct txn *t)
{
	int err;

	if (!r->mapped)
		return;
	err = txn_msg(v, t, VHOST_IOTLB_INVALIDATE, r->gpa, r->size, 0);
	if (err && !t->err)
		t->err = err;
	r->mapped = false;
}

int vmm_listener_register(struct vmm *v)
{
	struct txn t = { 0 };

	if (v->listener)
		return 0;
	v->listener = true;
	for (unsigned int i = 0; i < v->nregions; i++)
		region_map(v, &v->regions[i], &t);
	return txn_commit(v, &t);
}

void vmm_listener_unregister(struct vmm *v)
{
	struct txn t = { 0 };

	if (!v->listener)
		return;
	v->listener = false;
	for (unsigned int i = 0; i < v->nregions; i++)
		region_unmap(v, &v->regions[i], &t);
	txn_commit(v, &t);
}

int vmm_shadow_map(struct vmm *v)
{
	int err;

	if (v->shadow_mapped)
		return 0;
	/* outside any batch: the batch belongs to address space 0 */
	err = vmm_iotlb_msg(v, v->cvq.asid, VHOST_IOTLB_UPDATE, v->cfg.shadow_iova,
			    v->cfg.shadow_size, SHADOW_HVA, VHOST_ACCESS_RW);
	if (!err)
		v->shadow_mapped = true;
	return err;
}

void vmm_shadow_unmap(struct vmm *v)
{
	if (!v->shadow_mapped)
		return;
	vmm_iotlb_msg(v, v->cvq.asid, VHOST_IOTLB_INVALIDATE, v->cfg.shadow_iova,
		      v->cfg.shadow_size, 0, 0);
	v->shadow_mapped = false;
}

/* ---- RAM regions ---------------------------------------------------------------------- */

int vmm_add_ram(struct vmm *v, uint64_t gpa, uint64_t size, uint64_t hpa)
{
	struct vmm_region *r;
	struct txn t = { 0 };
	unsigned int at;
	int err;

	if (!v || !size || ((gpa | size | hpa) & (MEM_PAGE_SIZE - 1)))
		return -EINVAL;
	if (v->nregions >= VMM_MAX_REGIONS)
		return -ENOSPC;
	if (v->cfg.shadow_size && hpa < v->cfg.shadow_hpa + v->cfg.shadow_size &&
	    v->cfg.shadow_hpa < hpa + size)
		return -EEXIST; /* the VMM's own memory */
	err = mem_guest_add(v->gmem, gpa, size, hpa);
	if (err)
		return err;
	/* keep the array in gpa order */
	for (at = 0; at < v->nregions && v->regions[at].gpa < gpa; at++)
		;
	memmove(&v->regions[at + 1], &v->regions[at], (v->nregions - at) * sizeof(*r));
	r = &v->regions[at];
	memset(r, 0, sizeof(*r));
	r->gpa = gpa;
	r->size = size;
	r->hpa = hpa;
	r->hva = v->next_hva;
	err = vio_dma_pool_create(gpa, size, &v->dma.mem, &r->pool);
	if (err) {
		memmove(&v->regions[at], &v->regions[at + 1], (v->nregions - at) * sizeof(*r));
		mem_guest_remove(v->gmem, gpa);
		return err;
	}
	v->nregions++;
	v->next_hva += size + VMM_HVA_GAP;
	if (v->listener) {
		region_map(v, r, &t);
		err = txn_commit(v, &t);
		if (err)
			vmm_fail_device(v, err);
	}
	return 0;
}

int vmm_remove_ram(struct vmm *v, uint64_t gpa)
{
	struct txn t = { 0 };
	unsigned int i;

	if (!v)
		return -EINVAL;
	for (i = 0; i < v->nregions && v->regions[i].gpa != gpa; i++)
		;
	if (i == v->nregions)
		return -ENOENT;
	if (vio_dma_pool_in_use(v->regions[i].pool))
		return -EBUSY;
	region_unmap(v, &v->regions[i], &t);
	txn_commit(v, &t);
	vio_dma_pool_free(v->regions[i].pool);
	mem_guest_remove(v->gmem, gpa);
	memmove(&v->regions[i], &v->regions[i + 1], (v->nregions - i - 1) * sizeof(v->regions[0]));
	v->nregions--;
	if (v->dma_next >= v->nregions)
		v->dma_next = 0;
	return 0;
}
