// SPDX-License-Identifier: MIT
/*
 * Sparse host physical memory: a radix tree of 512-way nodes over page numbers,
 * leaves pointing at 4 KiB pages.  The tree depth follows the memory size
 * (a 4 GiB memory has 3 levels over its 2^20 pages).  Walks visit pages in
 * ascending address order, so hashing and copying are deterministic.
 */
#include "sim/mem/mem.h"

#include "sim/engine/engine.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define RADIX_BITS 9
#define RADIX_FAN (1u << RADIX_BITS)
#define RADIX_MASK (RADIX_FAN - 1)
#define MAX_LEVELS 5 /* 5 * 9 = 45 bits of page number >= 52 - 12 */

struct mem_node {
	void *slot[RADIX_FAN]; /* child nodes, or pages at level 0 */
	uint32_t used;
};

struct mem {
	uint64_t size;
	uint64_t npages;
	uint64_t limit_pages;
	uint64_t resident_pages;
	unsigned levels;
	struct mem_node *root;
};

static unsigned slot_index(uint64_t pn, unsigned level)
{
	return (unsigned)(pn >> (RADIX_BITS * level)) & RADIX_MASK;
}

struct mem *mem_new(uint64_t size)
{
	struct mem *m;
	uint64_t npages;

	if (size == 0 || size > MEM_MAX_SIZE || (size & (MEM_PAGE_SIZE - 1)))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	npages = size >> MEM_PAGE_SHIFT;
	m->size = size;
	m->npages = npages;
	m->limit_pages = npages;
	m->levels = 1;
	while (m->levels < MAX_LEVELS && (npages - 1) >> (RADIX_BITS * m->levels))
		m->levels++;
	return m;
}

static void node_free(struct mem_node *n, unsigned level)
{
	if (!n)
		return;
	for (unsigned i = 0; i < RADIX_FAN; i++) {
		if (!n->slot[i])
			continue;
		if (level == 0)
			free(n->slot[i]);
		else
			node_free(n->slot[i], level - 1);
	}
	free(n);
}

void mem_free(struct mem *m)
{
	if (!m)
		return;
	node_free(m->root, m->levels - 1);
	free(m);
}

uint64_t mem_size(const struct mem *m)
{
	return m->size;
}

void mem_set_limit(struct mem *m, uint64_t max_resident_bytes)
{
	m->limit_pages = max_resident_bytes >> MEM_PAGE_SHIFT;
}

uint64_t mem_limit(const struct mem *m)
{
	return m->limit_pages << MEM_PAGE_SHIFT;
}

uint64_t mem_resident(const struct mem *m)
{
	return m->resident_pages << MEM_PAGE_SHIFT;
}

static bool range_ok(const struct mem *m, uint64_t pa, uint64_t len)
{
	return pa <= m->size && len <= m->size - pa;
}

static uint8_t *page_get(const struct mem *m, uint64_t pn)
{
	struct mem_node *n = m->root;

	for (unsigned level = m->levels - 1; n; level--) {
		void *s = n->slot[slot_index(pn, level)];

		if (level == 0)
			return s;
		n = s;
	}
	return NULL;
}

/* Allocate the page (zeroed) and the nodes on its path.  The caller checked the
 * resident limit.  On -ENOMEM an empty node may stay behind (freed with m). */
static int page_alloc(struct mem *m, uint64_t pn, uint8_t **out)
{
	struct mem_node *n;
	unsigned i;

	if (!m->root) {
		m->root = calloc(1, sizeof(*m->root));
		if (!m->root)
			return -ENOMEM;
	}
	n = m->root;
	for (unsigned level = m->levels - 1; level > 0; level--) {
		i = slot_index(pn, level);
		if (!n->slot[i]) {
			struct mem_node *c = calloc(1, sizeof(*c));

			if (!c)
				return -ENOMEM;
			n->slot[i] = c;
			n->used++;
		}
		n = n->slot[i];
	}
	i = slot_index(pn, 0);
	if (!n->slot[i]) {
		uint8_t *p = calloc(1, MEM_PAGE_SIZE);

		if (!p)
			return -ENOMEM;
		n->slot[i] = p;
		n->used++;
		m->resident_pages++;
	}
	*out = n->slot[i];
	return 0;
}

/* Drop the page and free nodes left empty on its path. */
static void page_drop(struct mem *m, uint64_t pn)
{
	struct mem_node *path[MAX_LEVELS];
	struct mem_node *n = m->root;
	unsigned level;

	for (level = m->levels - 1;; level--) {
		if (!n)
			return;
		path[level] = n;
		if (level == 0)
			break;
		n = n->slot[slot_index(pn, level)];
	}
	if (!n->slot[slot_index(pn, 0)])
		return;
	free(n->slot[slot_index(pn, 0)]);
	m->resident_pages--;
	for (level = 0; level < m->levels; level++) {
		struct mem_node *cur = path[level];

		cur->slot[slot_index(pn, level)] = NULL;
		if (--cur->used)
			return;
		free(cur);
		if (level == m->levels - 1)
			m->root = NULL;
	}
}

/* First present page number in [pn, end) of the subtree; end when none. */
static uint64_t next_present_in(const struct mem_node *n, unsigned level, uint64_t base,
				uint64_t pn, uint64_t end)
{
	uint64_t span = 1ULL << (RADIX_BITS * level);

	for (unsigned i = slot_index(pn, level); i < RADIX_FAN; i++) {
		uint64_t child = base + (uint64_t)i * span;

		if (child >= end)
			break;
		if (!n->slot[i])
			continue;
		if (level == 0)
			return child;
		uint64_t from = pn > child ? pn : child;
		uint64_t r = next_present_in(n->slot[i], level - 1, child, from, end);

		if (r < end)
			return r;
	}
	return end;
}

static uint64_t next_present(const struct mem *m, uint64_t pn, uint64_t end)
{
	if (!m->root || pn >= end)
		return end;
	return next_present_in(m->root, m->levels - 1, 0, pn, end);
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

int mem_read(const struct mem *m, uint64_t pa, void *dst, size_t len)
{
	uint8_t *d = dst;

	if (!range_ok(m, pa, len))
		return -EFAULT;
	while (len) {
		uint64_t off = pa & (MEM_PAGE_SIZE - 1);
		size_t n = MEM_PAGE_SIZE - off < len ? (size_t)(MEM_PAGE_SIZE - off) : len;
		const uint8_t *p = page_get(m, pa >> MEM_PAGE_SHIFT);

		if (p)
			memcpy(d, p + off, n);
		else
			memset(d, 0, n);
		d += n;
		pa += n;
		len -= n;
	}
	return 0;
}

int mem_write(struct mem *m, uint64_t pa, const void *src, size_t len)
{
	const uint8_t *s = src;
	uint64_t need = 0, a = pa;
	size_t left = len;
	int err;

	if (!range_ok(m, pa, len))
		return -EFAULT;
	/* Count the pages this write must allocate, so it fails before touching
	 * anything when the limit would be passed. */
	for (const uint8_t *p = s; left;) {
		uint64_t off = a & (MEM_PAGE_SIZE - 1);
		size_t n = MEM_PAGE_SIZE - off < left ? (size_t)(MEM_PAGE_SIZE - off) : left;

		if (!page_get(m, a >> MEM_PAGE_SHIFT) && !all_zero(p, n))
			need++;
		p += n;
		a += n;
		left -= n;
	}
	if (need > m->limit_pages || m->resident_pages > m->limit_pages - need)
		return -ENOMEM;
	/* Allocate first: a malloc failure leaves only zero pages behind. */
	a = pa;
	left = len;
	for (const uint8_t *p = s; left && need;) {
		uint64_t off = a & (MEM_PAGE_SIZE - 1);
		size_t n = MEM_PAGE_SIZE - off < left ? (size_t)(MEM_PAGE_SIZE - off) : left;
		uint8_t *pg;

		if (!page_get(m, a >> MEM_PAGE_SHIFT) && !all_zero(p, n)) {
			err = page_alloc(m, a >> MEM_PAGE_SHIFT, &pg);
			if (err)
				return err;
			need--;
		}
		p += n;
		a += n;
		left -= n;
	}
	while (len) {
		uint64_t off = pa & (MEM_PAGE_SIZE - 1);
		size_t n = MEM_PAGE_SIZE - off < len ? (size_t)(MEM_PAGE_SIZE - off) : len;
		uint8_t *p = page_get(m, pa >> MEM_PAGE_SHIFT);

		if (p)
			memcpy(p + off, s, n);
		s += n;
		pa += n;
		len -= n;
	}
	return 0;
}

int mem_zero(struct mem *m, uint64_t pa, uint64_t len)
{
	uint64_t end, pn, end_pn;

	if (!range_ok(m, pa, len))
		return -EFAULT;
	if (!len)
		return 0;
	end = pa + len;
	end_pn = (end + MEM_PAGE_SIZE - 1) >> MEM_PAGE_SHIFT;
	for (pn = next_present(m, pa >> MEM_PAGE_SHIFT, end_pn); pn < end_pn;
	     pn = next_present(m, pn + 1, end_pn)) {
		uint64_t ps = pn << MEM_PAGE_SHIFT, pe = ps + MEM_PAGE_SIZE;
		uint64_t zs = ps > pa ? ps : pa, ze = pe < end ? pe : end;
		uint8_t *p = page_get(m, pn);

		if (zs == ps && ze == pe) {
			page_drop(m, pn);
			continue;
		}
		memset(p + (zs - ps), 0, ze - zs);
		if (all_zero(p, MEM_PAGE_SIZE))
			page_drop(m, pn);
	}
	return 0;
}

static void put_le(uint8_t *b, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

#define MEM_LE_HELPERS(bits)                                                              \
	int mem_read_le##bits(const struct mem *m, uint64_t pa, uint##bits##_t *v)        \
	{                                                                                 \
		uint8_t b[bits / 8];                                                      \
		int err = mem_read(m, pa, b, sizeof(b));                                  \
		if (!err)                                                                 \
			*v = (uint##bits##_t)get_le(b, sizeof(b));                        \
		return err;                                                               \
	}                                                                                 \
	int mem_write_le##bits(struct mem *m, uint64_t pa, uint##bits##_t v)              \
	{                                                                                 \
		uint8_t b[bits / 8];                                                      \
		put_le(b, v, sizeof(b));                                                  \
		return mem_write(m, pa, b, sizeof(b));                                    \
	}

MEM_LE_HELPERS(16)
MEM_LE_HELPERS(32)
MEM_LE_HELPERS(64)

static void sha_le64(struct eng_sha256 *c, uint64_t v)
{
	uint8_t b[8];

	put_le(b, v, 8);
	eng_sha256_update(c, b, 8);
}

/* Feed the chunk stream of [pa, pa+len) (see mem.h), skipping runs of absent
 * pages through the tree instead of chunk by chunk. */
static void hash_stream(struct eng_sha256 *c, const struct mem *m, uint64_t pa, uint64_t len)
{
	uint8_t buf[MEM_PAGE_SIZE];
	uint64_t end = pa + len;
	uint64_t end_pn = (end + MEM_PAGE_SIZE - 1) >> MEM_PAGE_SHIFT;
	uint64_t k = 0, nchunks = (len + MEM_PAGE_SIZE - 1) >> MEM_PAGE_SHIFT;

	while (k < nchunks) {
		uint64_t cs = pa + (k << MEM_PAGE_SHIFT);
		uint64_t pn = next_present(m, cs >> MEM_PAGE_SHIFT, end_pn);
		uint64_t clen;

		if (pn >= end_pn)
			return;
		if ((pn << MEM_PAGE_SHIFT) > cs)
			k = ((pn << MEM_PAGE_SHIFT) - pa) >> MEM_PAGE_SHIFT;
		cs = pa + (k << MEM_PAGE_SHIFT);
		clen = end - cs < MEM_PAGE_SIZE ? end - cs : MEM_PAGE_SIZE;
		mem_read(m, cs, buf, clen);
		if (!all_zero(buf, clen)) {
			sha_le64(c, k << MEM_PAGE_SHIFT);
			eng_sha256_update(c, buf, clen);
		}
		k++;
	}
}

int mem_hash(const struct mem *m, uint64_t pa, uint64_t len, uint8_t out[32])
{
	struct eng_sha256 c;

	if (!range_ok(m, pa, len))
		return -EFAULT;
	eng_sha256_init(&c);
	sha_le64(&c, len);
	hash_stream(&c, m, pa, len);
	eng_sha256_final(&c, out);
	return 0;
}

int mem_copy(struct mem *dst, uint64_t dpa, const struct mem *src, uint64_t spa, uint64_t len)
{
	uint8_t buf[MEM_PAGE_SIZE];
	uint64_t done = 0, end_pn;
	int err;

	if (!range_ok(dst, dpa, len) || !range_ok(src, spa, len))
		return -EFAULT;
	if (dst == src && dpa < spa + len && spa < dpa + len && len)
		return -EINVAL;
	end_pn = (spa + len + MEM_PAGE_SIZE - 1) >> MEM_PAGE_SHIFT;
	while (done < len) {
		uint64_t pn = next_present(src, (spa + done) >> MEM_PAGE_SHIFT, end_pn);
		uint64_t data_at = len;

		if (pn < end_pn)
			data_at = (pn << MEM_PAGE_SHIFT) > spa + done ? (pn << MEM_PAGE_SHIFT) - spa
								     : done;
		uint64_t n;

		if (data_at > done) {
			/* absent source run: zeros in the destination */
			err = mem_zero(dst, dpa + done, data_at - done);
			if (err)
				return err;
			done = data_at;
			continue;
		}
		n = MEM_PAGE_SIZE - ((spa + done) & (MEM_PAGE_SIZE - 1));
		if (n > len - done)
			n = len - done;
		mem_read(src, spa + done, buf, n);
		if (all_zero(buf, n))
			err = mem_zero(dst, dpa + done, n);
		else
			err = mem_write(dst, dpa + done, buf, n);
		if (err)
			return err;
		done += n;
	}
	return 0;
}

int mem_acc_read(void *ctx, uint64_t pa, void *dst, uint32_t len)
{
	return mem_read(ctx, pa, dst, len);
}

int mem_acc_write(void *ctx, uint64_t pa, const void *src, uint32_t len)
{
	return mem_write(ctx, pa, src, len);
}

/* ---- Guest physical memory --------------------------------------------------------------- */

struct mem_guest {
	struct mem *host;
	struct mem_region *r; /* sorted by gpa, non-overlapping */
	unsigned n, cap;
};

struct mem_guest *mem_guest_new(struct mem *host)
{
	struct mem_guest *g;

	if (!host)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (g)
		g->host = host;
	return g;
}

void mem_guest_free(struct mem_guest *g)
{
	if (!g)
		return;
	free(g->r);
	free(g);
}

struct mem *mem_guest_host(const struct mem_guest *g)
{
	return g->host;
}

/* Index of the first region whose end is above gpa (n if none). */
static unsigned region_search(const struct mem_guest *g, uint64_t gpa)
{
	unsigned lo = 0, hi = g->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (g->r[mid].gpa + g->r[mid].size <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int mem_guest_add(struct mem_guest *g, uint64_t gpa, uint64_t size, uint64_t hpa)
{
	unsigned i;

	if (!size || ((gpa | size | hpa) & (MEM_PAGE_SIZE - 1)) || gpa + size < gpa)
		return -EINVAL;
	if (!range_ok(g->host, hpa, size))
		return -EFAULT;
	i = region_search(g, gpa);
	if (i < g->n && g->r[i].gpa < gpa + size)
		return -EEXIST;
	if (g->n == g->cap) {
		unsigned ncap = g->cap ? g->cap * 2 : 8;
		struct mem_region *nr = realloc(g->r, ncap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		g->r = nr;
		g->cap = ncap;
	}
	memmove(&g->r[i + 1], &g->r[i], (g->n - i) * sizeof(*g->r));
	g->r[i] = (struct mem_region){ gpa, size, hpa };
	g->n++;
	return 0;
}

int mem_guest_remove(struct mem_guest *g, uint64_t gpa)
{
	unsigned i = region_search(g, gpa);

	if (i >= g->n || g->r[i].gpa != gpa)
		return -ENOENT;
	memmove(&g->r[i], &g->r[i + 1], (g->n - i - 1) * sizeof(*g->r));
	g->n--;
	return 0;
}

unsigned mem_guest_nregions(const struct mem_guest *g)
{
	return g->n;
}

int mem_guest_region(const struct mem_guest *g, unsigned i, struct mem_region *out)
{
	if (i >= g->n)
		return -ENOENT;
	*out = g->r[i];
	return 0;
}

uint64_t mem_guest_ram_size(const struct mem_guest *g)
{
	uint64_t s = 0;

	for (unsigned i = 0; i < g->n; i++)
		s += g->r[i].size;
	return s;
}

int mem_guest_gpa_to_hpa(const struct mem_guest *g, uint64_t gpa, uint64_t *hpa,
			 uint64_t *contig)
{
	unsigned i = region_search(g, gpa);

	if (i >= g->n || gpa < g->r[i].gpa)
		return -EFAULT;
	*hpa = g->r[i].hpa + (gpa - g->r[i].gpa);
	if (contig)
		*contig = g->r[i].gpa + g->r[i].size - gpa;
	return 0;
}

/* Is [gpa, gpa+len) covered by regions without a hole? */
static bool guest_range_mapped(const struct mem_guest *g, uint64_t gpa, uint64_t len)
{
	uint64_t hpa, contig;

	if (gpa + len < gpa)
		return false;
	while (len) {
		if (mem_guest_gpa_to_hpa(g, gpa, &hpa, &contig))
			return false;
		if (contig >= len)
			return true;
		gpa += contig;
		len -= contig;
	}
	return true;
}

int mem_guest_read(const struct mem_guest *g, uint64_t gpa, void *dst, size_t len)
{
	uint8_t *d = dst;
	uint64_t hpa, contig;

	if (!guest_range_mapped(g, gpa, len))
		return -EFAULT;
	while (len) {
		mem_guest_gpa_to_hpa(g, gpa, &hpa, &contig);
		size_t n = contig < len ? (size_t)contig : len;
		int err = mem_read(g->host, hpa, d, n);

		if (err)
			return err;
		d += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

int mem_guest_write(struct mem_guest *g, uint64_t gpa, const void *src, size_t len)
{
	const uint8_t *s = src;
	uint64_t hpa, contig;

	if (!guest_range_mapped(g, gpa, len))
		return -EFAULT;
	while (len) {
		mem_guest_gpa_to_hpa(g, gpa, &hpa, &contig);
		size_t n = contig < len ? (size_t)contig : len;
		int err = mem_write(g->host, hpa, s, n);

		if (err)
			return err;
		s += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

#define MEM_GUEST_LE_HELPERS(bits)                                                        \
	int mem_guest_read_le##bits(const struct mem_guest *g, uint64_t gpa,              \
				    uint##bits##_t *v)                                    \
	{                                                                                 \
		uint8_t b[bits / 8];                                                      \
		int err = mem_guest_read(g, gpa, b, sizeof(b));                           \
		if (!err)                                                                 \
			*v = (uint##bits##_t)get_le(b, sizeof(b));                        \
		return err;                                                               \
	}                                                                                 \
	int mem_guest_write_le##bits(struct mem_guest *g, uint64_t gpa, uint##bits##_t v) \
	{                                                                                 \
		uint8_t b[bits / 8];                                                      \
		put_le(b, v, sizeof(b));                                                  \
		return mem_guest_write(g, gpa, b, sizeof(b));                             \
	}

MEM_GUEST_LE_HELPERS(16)
MEM_GUEST_LE_HELPERS(32)
MEM_GUEST_LE_HELPERS(64)

int mem_guest_hash(const struct mem_guest *g, uint8_t out[32])
{
	struct eng_sha256 c;

	eng_sha256_init(&c);
	sha_le64(&c, g->n);
	for (unsigned i = 0; i < g->n; i++) {
		sha_le64(&c, g->r[i].gpa);
		sha_le64(&c, g->r[i].size);
		hash_stream(&c, g->host, g->r[i].hpa, g->r[i].size);
	}
	eng_sha256_final(&c, out);
	return 0;
}

/* Does the guest range hold any resident host page?  Lets the range hash skip
 * untouched chunks without reading them. */
static bool guest_chunk_resident(const struct mem_guest *g, uint64_t gpa, uint64_t len)
{
	uint64_t hpa, contig;

	while (len) {
		mem_guest_gpa_to_hpa(g, gpa, &hpa, &contig);
		uint64_t n = contig < len ? contig : len;
		uint64_t end_pn = (hpa + n + MEM_PAGE_SIZE - 1) >> MEM_PAGE_SHIFT;

		if (next_present(g->host, hpa >> MEM_PAGE_SHIFT, end_pn) < end_pn)
			return true;
		gpa += n;
		len -= n;
	}
	return false;
}

int mem_guest_hash_range(const struct mem_guest *g, uint64_t gpa, uint64_t len, uint8_t out[32])
{
	uint8_t buf[MEM_PAGE_SIZE];
	struct eng_sha256 c;

	if (!guest_range_mapped(g, gpa, len))
		return -EFAULT;
	eng_sha256_init(&c);
	sha_le64(&c, len);
	for (uint64_t off = 0; off < len; off += MEM_PAGE_SIZE) {
		uint64_t n = len - off < MEM_PAGE_SIZE ? len - off : MEM_PAGE_SIZE;

		if (!guest_chunk_resident(g, gpa + off, n))
			continue;
		mem_guest_read(g, gpa + off, buf, n);
		if (all_zero(buf, n))
			continue;
		sha_le64(&c, off);
		eng_sha256_update(&c, buf, n);
	}
	eng_sha256_final(&c, out);
	return 0;
}

int mem_guest_copy(struct mem_guest *dst, const struct mem_guest *src, uint64_t gpa, uint64_t len)
{
	if (!guest_range_mapped(dst, gpa, len) || !guest_range_mapped(src, gpa, len))
		return -EFAULT;
	while (len) {
		uint64_t shpa, dhpa, sc, dc, n;
		int err;

		mem_guest_gpa_to_hpa(src, gpa, &shpa, &sc);
		mem_guest_gpa_to_hpa(dst, gpa, &dhpa, &dc);
		n = sc < dc ? sc : dc;
		if (n > len)
			n = len;
		err = mem_copy(dst->host, dhpa, src->host, shpa, n);
		if (err)
			return err;
		gpa += n;
		len -= n;
	}
	return 0;
}

int mem_guest_acc_read(void *ctx, uint64_t gpa, void *dst, uint32_t len)
{
	return mem_guest_read(ctx, gpa, dst, len);
}

int mem_guest_acc_write(void *ctx, uint64_t gpa, const void *src, uint32_t len)
{
	return mem_guest_write(ctx, gpa, src, len);
}
