// SPDX-License-Identifier: MIT
/*
 * Link timing and DMA: per-direction transmit calendars, TLP splitting,
 * read tags, IOMMU translation of a whole DMA before any byte moves, and the
 * cursor adapter for ring code.
 */
#include "sim/pcie/pcie_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Transfer rate per lane in MT/s, by generation. */
static const unsigned gen_mts[] = { 0, 2500, 5000, 8000, 16000, 32000 };

/* Reservations kept per direction; older ones are merged (their gaps filled),
 * which only matters to a request ready that far back. */
#define LINK_IV_MAX 512

void pcie_link_cfg_default(struct pcie_link_cfg *c)
{
	*c = (struct pcie_link_cfg){
		.gen = 3,
		.width = 8,
		.mps = 256,
		.mrrs = 512,
		.rcb = 64,
		.read_tags = 64,
		.dllp_overhead_ppm = 0,
		/* 550 ns for a 64-byte read, +0.3 ns per byte (pcie-bench figures) */
		.rd_lat_base = ENG_PS(530800),
		.rd_lat_per_byte = ENG_PS(300),
		.wr_lat = ENG_NS(250),
		.mmio_wr_lat = ENG_NS(250),
		.mmio_rd_lat = ENG_NS(800),
	};
}

double pcie_link_gbps(const struct pcie_link_cfg *c)
{
	double enc = c->gen <= 2 ? 8.0 / 10.0 : 128.0 / 130.0;

	if (c->gen < 1 || c->gen > 5)
		return 0.0;
	return gen_mts[c->gen] / 1000.0 * c->width * enc * (1.0 - c->dllp_overhead_ppm / 1e6);
}

static bool pow2_in(unsigned v, unsigned lo, unsigned hi)
{
	return v >= lo && v <= hi && !(v & (v - 1));
}

bool link_cfg_valid(const struct pcie_link_cfg *c)
{
	return c->gen >= 1 && c->gen <= 5 && pow2_in(c->width, 1, 16) &&
	       pow2_in(c->mps, 128, 4096) && pow2_in(c->mrrs, 128, 4096) &&
	       (c->rcb == 64 || c->rcb == 128) && c->read_tags >= 1 && c->read_tags <= 1024 &&
	       c->dllp_overhead_ppm < 500000;
}

void link_setup(struct pcie_slot *s, unsigned gen, unsigned width)
{
	struct pcie_link_cfg c = s->cfg;

	c.gen = gen;
	c.width = width;
	s->gen = gen;
	s->width = width;
	s->ps_per_byte = 8000.0 / pcie_link_gbps(&c);
}

void link_free(struct pcie_slot *s)
{
	free(s->up.iv);
	free(s->down.iv);
	memset(&s->up, 0, sizeof(s->up));
	memset(&s->down, 0, sizeof(s->down));
	s->posted_visible = 0;
}

sim_time_t link_ser(const struct pcie_slot *s, uint64_t bytes)
{
	sim_time_t t = (sim_time_t)llround((double)bytes * s->ps_per_byte);

	return t ? t : 1;
}

static void iv_remove(struct link_dir *d, unsigned i, unsigned count)
{
	memmove(&d->iv[i], &d->iv[i + count], (d->n - i - count) * sizeof(*d->iv));
	d->n -= count;
}

sim_time_t link_book(struct pcie_rc *rc, struct link_dir *d, sim_time_t ready, sim_time_t dur)
{
	sim_time_t now = eng_now(rc->sim), t = ready;
	unsigned lo = 0, hi, i, k = 0;

	/* nothing is booked before now: forget what ended by then */
	while (k < d->n && d->iv[k].e <= now)
		k++;
	if (k)
		iv_remove(d, 0, k);
	if (d->n >= LINK_IV_MAX) {
		d->iv[1].s = d->iv[0].s;
		iv_remove(d, 0, 1);
	}
	if (d->n == d->cap) {
		unsigned ncap = d->cap ? d->cap * 2 : 16;
		struct link_iv *niv = realloc(d->iv, ncap * sizeof(*niv));

		if (!niv) {
			/* cannot keep the reservation: place it after everything */
			return d->n && d->iv[d->n - 1].e > ready ? d->iv[d->n - 1].e : ready;
		}
		d->iv = niv;
		d->cap = ncap;
	}
	hi = d->n;
	while (lo < hi) { /* first interval ending after ready */
		unsigned mid = lo + (hi - lo) / 2;

		if (d->iv[mid].e <= ready)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < d->n; i++) {
		if (t + dur <= d->iv[i].s)
			break;
		if (d->iv[i].e > t)
			t = d->iv[i].e;
	}
	if (i > 0 && d->iv[i - 1].e == t) {
		d->iv[i - 1].e = t + dur;
		if (i < d->n && d->iv[i].s == t + dur) {
			d->iv[i - 1].e = d->iv[i].e;
			iv_remove(d, i, 1);
		}
	} else if (i < d->n && d->iv[i].s == t + dur) {
		d->iv[i].s = t;
	} else {
		memmove(&d->iv[i + 1], &d->iv[i], (d->n - i) * sizeof(*d->iv));
		d->iv[i] = (struct link_iv){ t, t + dur };
		d->n++;
	}
	d->busy += dur;
	return t;
}

sim_time_t link_posted_up(struct pcie_fn *fn, uint32_t bytes, sim_time_t t, sim_time_t extra,
			  sim_time_t *sent)
{
	struct pcie_slot *s = fn->slot;
	uint64_t wire = TLP_REQ_OVERHEAD + bytes;
	sim_time_t ser = link_ser(s, wire);
	sim_time_t end = link_book(fn->rc, &s->up, t, ser) + ser;
	sim_time_t vis = end + extra + s->cfg.wr_lat;

	/* posted writes become visible in order (PCIe ordering rules) */
	if (vis < s->posted_visible)
		vis = s->posted_visible;
	s->posted_visible = vis;
	s->up.wire_bytes += wire;
	fn->st.up_wire_bytes += wire;
	if (sent)
		*sent = end;
	return vis;
}

/* ---- Read tags: min-heap of release times ------------------------------------------------ */

static void tag_push(struct pcie_fn *fn, sim_time_t t)
{
	unsigned i = fn->ntags++;

	while (i) {
		unsigned p = (i - 1) / 2;

		if (fn->tags[p] <= t)
			break;
		fn->tags[i] = fn->tags[p];
		i = p;
	}
	fn->tags[i] = t;
}

static sim_time_t tag_pop(struct pcie_fn *fn)
{
	sim_time_t top = fn->tags[0], last = fn->tags[--fn->ntags];
	unsigned i = 0;

	for (;;) {
		unsigned c = 2 * i + 1;

		if (c >= fn->ntags)
			break;
		if (c + 1 < fn->ntags && fn->tags[c + 1] < fn->tags[c])
			c++;
		if (last <= fn->tags[c])
			break;
		fn->tags[i] = fn->tags[c];
		i = c;
	}
	if (fn->ntags)
		fn->tags[i] = last;
	return top;
}

/* Earliest time >= t a request can take a tag (frees the tags done by then). */
static sim_time_t tag_acquire(struct pcie_fn *fn, sim_time_t t)
{
	while (fn->ntags && fn->tags[0] <= t)
		tag_pop(fn);
	if (fn->ntags < fn->slot->cfg.read_tags)
		return t;
	return tag_pop(fn); /* wait for the earliest completion */
}

/* ---- DMA ------------------------------------------------------------------------------------ */

struct dma_seg {
	uint64_t iova, pa;
	uint32_t len;
	bool walked;
	sim_time_t cost, walk_done;
};

#define SEG_STACK 64

/* Completions the RC returns for a request: up to MPS bytes each, ending on
 * RCB-aligned addresses except at the end of the request. */
static unsigned cpl_count(uint64_t a, uint32_t n, unsigned mps, unsigned rcb)
{
	uint64_t end = a + n;
	unsigned c = 0;

	while (a < end) {
		uint64_t lim = (a + mps) & ~(uint64_t)(rcb - 1);

		a = lim < end ? lim : end;
		c++;
	}
	return c;
}

/* Translate every page of the DMA; fails before anything moves. */
static int dma_translate(struct pcie_fn *fn, uint32_t asid, uint64_t iova, uint32_t len,
			 unsigned access, sim_time_t issue, struct dma_seg *seg, unsigned *nseg)
{
	struct pcie_rc *rc = fn->rc;
	uint64_t a = iova, end = iova + len;
	unsigned n = 0;

	while (a < end) {
		uint64_t next = (a | (MEM_PAGE_SIZE - 1)) + 1;
		uint32_t chunk = (uint32_t)((next < end ? next : end) - a);
		uint64_t pa = a, contig;
		sim_time_t cost = 0;

		if (rc->iommu) {
			int err = iommu_translate(rc->iommu, fn->bdf, asid, a, access, issue, &pa,
						  &contig, &cost);
			if (err) {
				fn->st.dma_faults++;
				eng_trace(rc->sim, "pcie", "dma_fault", "bdf=%04x iova=0x%" PRIx64
					  " access=%s", fn->bdf, a, access == IOMMU_WRITE ? "w" : "r");
				return err;
			}
		}
		if (pa + chunk < pa || pa + chunk > mem_size(rc->mem)) {
			fn->st.dma_refused++; /* unsupported request: no memory there */
			return -EIO;
		}
		seg[n++] = (struct dma_seg){ a, pa, chunk, false, cost, 0 };
		a += chunk;
	}
	*nseg = n;
	return 0;
}

/* Common checks; allocates the segment array when the stack one is too small. */
static int dma_begin(struct pcie_fn *fn, uint64_t iova, uint32_t len, struct dma_seg *stack,
		     struct dma_seg **seg)
{
	size_t nseg;

	if (len > PCIE_DMA_MAX || iova + len < iova) {
		fn->st.dma_refused++;
		return -EINVAL;
	}
	if (!(cfg_command(fn) & PCI_COMMAND_MASTER)) {
		fn->st.dma_refused++;
		return -EPERM;
	}
	nseg = len / MEM_PAGE_SIZE + 2;
	*seg = stack;
	if (nseg > SEG_STACK) {
		*seg = malloc(nseg * sizeof(**seg));
		if (!*seg)
			return -ENOMEM;
	}
	return 0;
}

/* The walk for a page starts when its first TLP reaches the RC; later TLPs to
 * the same page wait for it. */
static sim_time_t seg_translated(struct pcie_fn *fn, struct dma_seg *s, sim_time_t arrival)
{
	if (s->cost && !s->walked) {
		s->walked = true;
		s->walk_done = arrival + s->cost;
		fn->st.iotlb_misses++;
	}
	return s->walked && s->walk_done > arrival ? s->walk_done : arrival;
}

int pcie_dma_read_as(struct pcie_fn *fn, uint32_t asid, uint64_t iova, void *dst, uint32_t len,
		     sim_time_t issue, sim_time_t *done)
{
	struct pcie_slot *sl = fn->slot;
	struct dma_seg stack[SEG_STACK], *seg;
	sim_time_t now = eng_now(fn->rc->sim), t, last;
	uint64_t a, end = iova + len;
	unsigned mps, mrrs, si = 0, nseg = 0;
	int err;

	if (issue < now)
		issue = now;
	*done = issue;
	if (!len)
		return 0;
	err = dma_begin(fn, iova, len, stack, &seg);
	if (err)
		return err;
	err = dma_translate(fn, asid, iova, len, IOMMU_READ, issue, seg, &nseg);
	for (unsigned k = 0; !err && k < nseg; k++)
		err = mem_read(fn->rc->mem, seg[k].pa, (uint8_t *)dst + (seg[k].iova - iova),
			       seg[k].len);
	if (err)
		goto out;

	mps = cfg_mps(fn);
	mrrs = cfg_mrrs(fn);
	t = last = issue;
	for (a = iova; a < end;) {
		uint32_t n = (uint32_t)(((a & ~(uint64_t)(mrrs - 1)) + mrrs < end ?
					 (a & ~(uint64_t)(mrrs - 1)) + mrrs : end) - a);
		sim_time_t req_ser = link_ser(sl, TLP_REQ_OVERHEAD), got, req_end, ready, lat;
		unsigned ncpl = cpl_count(a, n, mps, sl->cfg.rcb);
		uint64_t cwire = n + (uint64_t)ncpl * TLP_CPL_OVERHEAD;
		sim_time_t cser = link_ser(sl, cwire), cstart;

		while (si + 1 < nseg && seg[si].iova + seg[si].len <= a)
			si++;
		got = tag_acquire(fn, t);
		fn->st.tag_wait += got - t;
		req_end = link_book(fn->rc, &sl->up, got, req_ser) + req_ser;
		ready = seg_translated(fn, &seg[si], req_end);
		/* the unloaded round trip includes both serialisations */
		lat = sl->cfg.rd_lat_base + sl->cfg.rd_lat_per_byte * n;
		if (lat > req_ser + cser)
			ready += lat - req_ser - cser;
		cstart = link_book(fn->rc, &sl->down, ready, cser);
		tag_push(fn, cstart + cser);
		if (cstart + cser > last)
			last = cstart + cser;

		fn->st.mrd_tlps++;
		fn->st.mrd_bytes += n;
		fn->st.cpld_tlps += ncpl;
		fn->st.cpld_bytes += n;
		fn->st.up_wire_bytes += TLP_REQ_OVERHEAD;
		fn->st.down_wire_bytes += cwire;
		sl->up.wire_bytes += TLP_REQ_OVERHEAD;
		sl->down.wire_bytes += cwire;
		t = req_end;
		a += n;
	}
	fn->st.dma_reads++;
	*done = last;
	eng_trace(fn->rc->sim, "pcie", "dma_rd", "bdf=%04x asid=%" PRIu32 " iova=0x%" PRIx64
		  " len=%" PRIu32 " issue=%" PRIu64 " done=%" PRIu64, fn->bdf, asid, iova, len,
		  issue, last);
out:
	if (seg != stack)
		free(seg);
	return err;
}

int pcie_dma_write_as(struct pcie_fn *fn, uint32_t asid, uint64_t iova, const void *src,
		      uint32_t len, sim_time_t issue, sim_time_t *sent, sim_time_t *done)
{
	struct pcie_slot *sl = fn->slot;
	struct dma_seg stack[SEG_STACK], *seg;
	sim_time_t now = eng_now(fn->rc->sim), t, vis;
	uint64_t a, end = iova + len;
	unsigned mps, si = 0, nseg = 0;
	int err;

	if (issue < now)
		issue = now;
	*done = issue;
	if (sent)
		*sent = issue;
	if (!len)
		return 0;
	err = dma_begin(fn, iova, len, stack, &seg);
	if (err)
		return err;
	err = dma_translate(fn, asid, iova, len, IOMMU_WRITE, issue, seg, &nseg);
	if (err)
		goto out;
	for (unsigned k = 0; k < nseg; k++) {
		/* only the resident-page limit of the host memory can fail here */
		err = mem_write(fn->rc->mem, seg[k].pa, (const uint8_t *)src + (seg[k].iova - iova),
				seg[k].len);
		if (err)
			goto out;
		if (fn->rc->iommu)
			iommu_note_write(fn->rc->iommu, fn->bdf, asid, seg[k].iova, seg[k].len);
	}

	mps = cfg_mps(fn);
	t = vis = issue;
	for (a = iova; a < end;) {
		uint32_t n = (uint32_t)(((a & ~(uint64_t)(mps - 1)) + mps < end ?
					 (a & ~(uint64_t)(mps - 1)) + mps : end) - a);
		uint64_t wire = TLP_REQ_OVERHEAD + n;
		sim_time_t ser = link_ser(sl, wire);
		sim_time_t end_t = link_book(fn->rc, &sl->up, t, ser) + ser;

		while (si + 1 < nseg && seg[si].iova + seg[si].len <= a)
			si++;
		vis = seg_translated(fn, &seg[si], end_t) + sl->cfg.wr_lat;
		if (vis < sl->posted_visible)
			vis = sl->posted_visible;
		sl->posted_visible = vis;

		fn->st.mwr_tlps++;
		fn->st.mwr_bytes += n;
		fn->st.up_wire_bytes += wire;
		sl->up.wire_bytes += wire;
		t = end_t;
		a += n;
	}
	fn->st.dma_writes++;
	if (sent)
		*sent = t;
	*done = vis;
	eng_trace(fn->rc->sim, "pcie", "dma_wr", "bdf=%04x asid=%" PRIu32 " iova=0x%" PRIx64
		  " len=%" PRIu32 " issue=%" PRIu64 " sent=%" PRIu64 " done=%" PRIu64, fn->bdf,
		  asid, iova, len, issue, t, vis);
out:
	if (seg != stack)
		free(seg);
	return err;
}

int pcie_dma_read(struct pcie_fn *fn, uint64_t iova, void *dst, uint32_t len, sim_time_t issue,
		  sim_time_t *done)
{
	return pcie_dma_read_as(fn, 0, iova, dst, len, issue, done);
}

int pcie_dma_write(struct pcie_fn *fn, uint64_t iova, const void *src, uint32_t len,
		   sim_time_t issue, sim_time_t *done)
{
	return pcie_dma_write_as(fn, 0, iova, src, len, issue, NULL, done);
}

int pcie_dma_cursor_read(void *ctx, uint64_t addr, void *dst, uint32_t len)
{
	struct pcie_dma_cursor *c = ctx;
	sim_time_t done;
	int err = pcie_dma_read_as(c->fn, c->asid, addr, dst, len, c->t, &done);

	if (err) {
		if (!c->err)
			c->err = err;
		return err;
	}
	c->t = done;
	return 0;
}

int pcie_dma_cursor_write(void *ctx, uint64_t addr, const void *src, uint32_t len)
{
	struct pcie_dma_cursor *c = ctx;
	sim_time_t sent, done;
	int err = pcie_dma_write_as(c->fn, c->asid, addr, src, len, c->t, &sent, &done);

	if (err) {
		if (!c->err)
			c->err = err;
		return err;
	}
	c->t = sent;
	if (done > c->visible)
		c->visible = done;
	return 0;
}
