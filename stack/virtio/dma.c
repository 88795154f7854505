// SPDX-License-Identifier: MIT
/*
 * DMA memory for virtio drivers: the vio_dma helpers and a first-fit pool
 * over one address range (the transport's coherent DMA memory).
 */
#include "stack/virtio/virtio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define POOL_GRAIN 64ULL
#define POOL_PAGE 4096ULL
#define ZERO_CHUNK 4096u

struct pool_ext {
	uint64_t start, size;
};

struct vio_dma_pool {
	struct vio_dma dma;
	struct vq_mem mem;
	struct vq_plain_mem plain;
	uint8_t *host; /* own memory when no backing was given */
	uint64_t base, size, in_use;
	struct pool_ext *free; /* sorted by start, merged */
	size_t nfree, cap;
};

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int vio_dma_alloc(const struct vio_dma *dma, uint64_t size, uint64_t align, uint64_t *addr)
{
	static const uint8_t zero[ZERO_CHUNK];
	uint64_t a, off;
	int err;

	if (!dma || !dma->ops || !size || !pow2(align))
		return -EINVAL;
	err = dma->ops->alloc(dma->ctx, size, align, &a);
	if (err)
		return err;
	/* dma_alloc_coherent returns zeroed memory */
	for (off = 0; off < size; off += ZERO_CHUNK) {
		uint32_t n = size - off < ZERO_CHUNK ? (uint32_t)(size - off) : ZERO_CHUNK;

		err = dma->mem.write(dma->mem.ctx, a + off, zero, n);
		if (err) {
			dma->ops->free(dma->ctx, a, size);
			return err;
		}
	}
	*addr = a;
	return 0;
}

void vio_dma_free(const struct vio_dma *dma, uint64_t addr, uint64_t size)
{
	if (dma && dma->ops && size)
		dma->ops->free(dma->ctx, addr, size);
}

int vio_dma_read(const struct vio_dma *dma, uint64_t addr, void *dst, uint32_t len)
{
	return dma->mem.read(dma->mem.ctx, addr, dst, len);
}

int vio_dma_write(const struct vio_dma *dma, uint64_t addr, const void *src, uint32_t len)
{
	return dma->mem.write(dma->mem.ctx, addr, src, len);
}

/* ---- first-fit pool ---------------------------------------------------------------- */

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static int ext_insert(struct vio_dma_pool *p, size_t at, uint64_t start, uint64_t size)
{
	if (p->nfree == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 16;
		struct pool_ext *n = realloc(p->free, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->free = n;
		p->cap = ncap;
	}
	memmove(&p->free[at + 1], &p->free[at], (p->nfree - at) * sizeof(*p->free));
	p->free[at].start = start;
	p->free[at].size = size;
	p->nfree++;
	return 0;
}

static void ext_remove(struct vio_dma_pool *p, size_t at)
{
	memmove(&p->free[at], &p->free[at + 1], (p->nfree - at - 1) * sizeof(*p->free));
	p->nfree--;
}

static int pool_alloc(void *ctx, uint64_t size, uint64_t align, uint64_t *dma)
{
	struct vio_dma_pool *p = ctx;

	if (!size || !pow2(align))
		return -EINVAL;
	if (size > p->size)
		return -ENOMEM;
	size = round_up(size, POOL_GRAIN);
	for (size_t i = 0; i < p->nfree; i++) {
		struct pool_ext *e = &p->free[i];
		uint64_t a = round_up(e->start, align < POOL_GRAIN ? POOL_GRAIN : align);
		uint64_t pad = a - e->start, end = e->start + e->size;

		if (a < e->start || a >= end || end - a < size)
			continue;
		if (a + size < end) {
			/* keep the tail; a head gap (alignment) stays as its own extent */
			if (pad) {
				if (ext_insert(p, i + 1, a + size, end - a - size))
					return -ENOMEM;
				p->free[i].size = pad;
			} else {
				e->start = a + size;
				e->size = end - a - size;
			}
		} else if (pad) {
			e->size = pad;
		} else {
			ext_remove(p, i);
		}
		p->in_use += size;
		*dma = a;
		return 0;
	}
	return -ENOMEM;
}

static void pool_release(void *ctx, uint64_t dma, uint64_t size)
{
	struct vio_dma_pool *p = ctx;
	size_t i = 0;

	size = round_up(size, POOL_GRAIN);
	if (dma < p->base || dma - p->base > p->size || size > p->size - (dma - p->base))
		return;
	while (i < p->nfree && p->free[i].start < dma)
		i++;
	/* a double free or an overlap would corrupt the list: ignore it */
	if (i > 0 && p->free[i - 1].start + p->free[i - 1].size > dma)
		return;
	if (i < p->nfree && dma + size > p->free[i].start)
		return;
	p->in_use -= size;
	if (i > 0 && p->free[i - 1].start + p->free[i - 1].size == dma) {
		struct pool_ext *prev = &p->free[i - 1];

		prev->size += size;
		if (i < p->nfree && prev->start + prev->size == p->free[i].start) {
			prev->size += p->free[i].size;
			ext_remove(p, i);
		}
		return;
	}
	if (i < p->nfree && dma + size == p->free[i].start) {
		p->free[i].start = dma;
		p->free[i].size += size;
		return;
	}
	if (ext_insert(p, i, dma, size))
		p->in_use += size; /* leaked rather than corrupting the list */
}

static const struct vio_dma_ops pool_ops = {
	.alloc = pool_alloc,
	.free = pool_release,
};

int vio_dma_pool_create(uint64_t base, uint64_t size, const struct vq_mem *backing,
			struct vio_dma_pool **out)
{
	struct vio_dma_pool *p;
	int err;

	*out = NULL;
	if (!size || base % POOL_PAGE || size % POOL_PAGE || base + size < base)
		return -EINVAL;
	if (backing && (!backing->read || !backing->write))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->base = base;
	p->size = size;
	if (backing) {
		p->mem = *backing;
	} else {
		p->host = calloc(1, size);
		if (!p->host) {
			free(p);
			return -ENOMEM;
		}
		vq_plain_mem_init(&p->plain, p->host, base, size);
		p->mem = vq_plain_mem_accessor(&p->plain);
	}
	err = ext_insert(p, 0, base, size);
	if (err) {
		free(p->host);
		free(p);
		return err;
	}
	p->dma.ops = &pool_ops;
	p->dma.ctx = p;
	p->dma.mem = p->mem;
	*out = p;
	return 0;
}

void vio_dma_pool_free(struct vio_dma_pool *p)
{
	if (!p)
		return;
	free(p->free);
	free(p->host);
	free(p);
}

struct vio_dma *vio_dma_pool_dma(struct vio_dma_pool *p)
{
	return &p->dma;
}

const struct vq_mem *vio_dma_pool_mem(const struct vio_dma_pool *p)
{
	return &p->mem;
}

uint64_t vio_dma_pool_base(const struct vio_dma_pool *p)
{
	return p->base;
}

uint64_t vio_dma_pool_size(const struct vio_dma_pool *p)
{
	return p->size;
}

uint64_t vio_dma_pool_in_use(const struct vio_dma_pool *p)
{
	return p->in_use;
}
