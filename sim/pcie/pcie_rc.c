// SPDX-License-Identifier: MIT
/*
 * Root complex: slots and their links, plugging functions, host MMIO routing
 * and timing, MSI delivery to host handlers through engine events.
 */
#include "sim/pcie/pcie_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct pcie_rc *pcie_rc_new(struct sim *sim, struct mem *mem, struct iommu *iommu,
			    const struct pcie_link_cfg *default_link)
{
	struct pcie_rc *rc;

	if (!sim || !mem)
		return NULL;
	if (default_link && !link_cfg_valid(default_link))
		return NULL;
	rc = calloc(1, sizeof(*rc));
	if (!rc)
		return NULL;
	rc->sim = sim;
	rc->mem = mem;
	rc->iommu = iommu;
	if (default_link)
		rc->default_link = *default_link;
	else
		pcie_link_cfg_default(&rc->default_link);
	return rc;
}

static void fn_free(struct pcie_fn *fn)
{
	msix_free(fn);
	free(fn->tags);
	free(fn->cfg_reset);
	free(fn);
}

void pcie_rc_free(struct pcie_rc *rc)
{
	if (!rc)
		return;
	for (unsigned s = 0; s < PCIE_SLOTS; s++) {
		for (unsigned f = 0; f < PCIE_FUNCS; f++)
			if (rc->slot[s].fn[f])
				fn_free(rc->slot[s].fn[f]);
		link_free(&rc->slot[s]);
	}
	while (rc->inflight) {
		struct msi_msg *m = rc->inflight;

		rc->inflight = m->next;
		eng_cancel(rc->sim, m->ev);
		free(m);
	}
	free(rc->routes);
	free(rc);
}

struct sim *pcie_rc_sim(const struct pcie_rc *rc)
{
	return rc->sim;
}

static bool slot_empty(const struct pcie_slot *s)
{
	for (unsigned f = 0; f < PCIE_FUNCS; f++)
		if (s->fn[f])
			return false;
	return true;
}

int pcie_rc_set_link(struct pcie_rc *rc, unsigned slot, const struct pcie_link_cfg *cfg)
{
	if (slot >= PCIE_SLOTS || !cfg || !link_cfg_valid(cfg))
		return -EINVAL;
	if (!slot_empty(&rc->slot[slot]))
		return -EBUSY;
	rc->slot[slot].cfg = *cfg;
	rc->slot[slot].cfg_set = true;
	return 0;
}

/* ---- MSI delivery --------------------------------------------------------------------------- */

void pcie_rc_set_msi_handler(struct pcie_rc *rc, pcie_msi_fn fn, void *ctx)
{
	rc->msi_default = fn;
	rc->msi_default_ctx = ctx;
}

int pcie_rc_add_msi_route(struct pcie_rc *rc, uint64_t addr, uint64_t len, uint32_t data_lo,
			  uint32_t data_hi, pcie_msi_fn fn, void *ctx, unsigned *id)
{
	unsigned i;

	if (!fn || !len || data_lo > data_hi || addr + len - 1 < addr)
		return -EINVAL;
	for (i = 0; i < rc->nroutes; i++)
		if (!rc->routes[i].used)
			break;
	if (i == rc->nroutes) {
		struct msi_route *nr = realloc(rc->routes, (rc->nroutes + 1) * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		rc->routes = nr;
		rc->nroutes++;
	}
	rc->routes[i] = (struct msi_route){ true, addr, len, data_lo, data_hi, fn, ctx };
	if (id)
		*id = i;
	return 0;
}

int pcie_rc_del_msi_route(struct pcie_rc *rc, unsigned id)
{
	if (id >= rc->nroutes || !rc->routes[id].used)
		return -ENOENT;
	rc->routes[id].used = false;
	return 0;
}

uint64_t pcie_rc_msi_delivered(const struct pcie_rc *rc)
{
	return rc->msi_delivered;
}

uint64_t pcie_rc_msi_unclaimed(const struct pcie_rc *rc)
{
	return rc->msi_unclaimed;
}

static void msi_unlink(struct pcie_rc *rc, struct msi_msg *m)
{
	if (m->prev)
		m->prev->next = m->next;
	else
		rc->inflight = m->next;
	if (m->next)
		m->next->prev = m->prev;
}

static void msi_deliver(struct sim *sim, void *arg)
{
	struct msi_msg *m = arg;
	struct pcie_rc *rc = m->rc;
	uint64_t addr = m->addr;
	uint32_t data = m->data;
	pcie_msi_fn fn = rc->msi_default;
	void *ctx = rc->msi_default_ctx;

	msi_unlink(rc, m);
	free(m);
	for (unsigned i = 0; i < rc->nroutes; i++) {
		const struct msi_route *r = &rc->routes[i];

		if (r->used && addr >= r->addr && addr - r->addr < r->len && data >= r->data_lo &&
		    data <= r->data_hi) {
			fn = r->fn;
			ctx = r->ctx;
			break;
		}
	}
	eng_trace(sim, "pcie", "msi_deliver", "addr=0x%" PRIx64 " data=0x%x claimed=%d", addr, data,
		  fn != NULL);
	if (!fn) {
		rc->msi_unclaimed++;
		return;
	}
	rc->msi_delivered++;
	fn(ctx, addr, data);
}

void rc_msi_post(struct pcie_rc *rc, uint64_t addr, uint32_t data, sim_time_t at)
{
	struct msi_msg *m = calloc(1, sizeof(*m));

	if (m) {
		*m = (struct msi_msg){ rc, addr, data, 0, NULL, rc->inflight };
		m->ev = eng_schedule_at(rc->sim, at, msi_deliver, m);
	}
	if (!m || !m->ev) {
		/* out of memory: the message is lost, as on a broken link */
		free(m);
		rc->msi_unclaimed++;
		return;
	}
	if (rc->inflight)
		rc->inflight->prev = m;
	rc->inflight = m;
}

/* ---- Functions ------------------------------------------------------------------------------- */

static bool bars_valid(const struct pcie_ep_desc *d)
{
	for (unsigned i = 0; i < 6; i++) {
		const struct pcie_bar_desc *b = &d->bar[i];

		if (!b->size)
			continue;
		if (b->size < 16 || (b->size & (b->size - 1)) ||
		    (b->flags & ~(PCIE_BAR_64 | PCIE_BAR_PREFETCH)))
			return false;
		if (b->flags & PCIE_BAR_64) {
			if (i == 5 || d->bar[i + 1].size)
				return false;
			i++; /* the upper half */
		} else if (b->size > (1ULL << 31)) {
			return false;
		}
	}
	return true;
}

static bool bar_is_upper_half(const struct pcie_ep_desc *d, unsigned i)
{
	return i > 0 && d->bar[i - 1].size && (d->bar[i - 1].flags & PCIE_BAR_64);
}

static bool msix_valid(const struct pcie_ep_desc *d)
{
	uint64_t tlen = (uint64_t)d->msix_vectors * PCI_MSIX_ENTRY_SIZE;
	uint64_t plen = ((d->msix_vectors + 63) / 64) * 8ULL;

	if (!d->msix_vectors)
		return true;
	if (d->msix_vectors > PCIE_MSIX_MAX || d->msix_table_bar > 5 || d->msix_pba_bar > 5)
		return false;
	if (bar_is_upper_half(d, d->msix_table_bar) || bar_is_upper_half(d, d->msix_pba_bar))
		return false;
	if ((d->msix_table_off | d->msix_pba_off) & 7)
		return false;
	if (d->msix_table_off + tlen > d->bar[d->msix_table_bar].size ||
	    d->msix_pba_off + plen > d->bar[d->msix_pba_bar].size)
		return false;
	if (d->msix_table_bar == d->msix_pba_bar && d->msix_table_off < d->msix_pba_off + plen &&
	    d->msix_pba_off < d->msix_table_off + tlen)
		return false;
	return true;
}

int pcie_fn_create(struct pcie_rc *rc, unsigned slot, unsigned func,
		   const struct pcie_ep_desc *desc, struct pcie_fn **out)
{
	struct pcie_slot *s;
	struct pcie_fn *fn;
	int err;

	*out = NULL;
	if (slot >= PCIE_SLOTS || func >= PCIE_FUNCS || !desc || !bars_valid(desc) ||
	    !msix_valid(desc) || desc->max_gen > 5 || desc->max_width > 16 ||
	    (desc->max_payload && (desc->max_payload < 128 || desc->max_payload > 4096 ||
				   (desc->max_payload & (desc->max_payload - 1)))))
		return -EINVAL;
	s = &rc->slot[slot];
	if (s->fn[func])
		return -EBUSY;
	if (slot_empty(s)) {
		unsigned gen, width;

		if (!s->cfg_set)
			s->cfg = rc->default_link;
		/* link training settles on what both ends support */
		gen = desc->max_gen && desc->max_gen < s->cfg.gen ? desc->max_gen : s->cfg.gen;
		width = desc->max_width && desc->max_width < s->cfg.width ? desc->max_width
									    : s->cfg.width;
		link_setup(s, gen, width);
	}
	fn = calloc(1, sizeof(*fn));
	if (!fn)
		return -ENOMEM;
	fn->rc = rc;
	fn->slot = s;
	fn->devno = slot;
	fn->func = func;
	fn->bdf = PCIE_BDF(0, slot, func);
	fn->desc = *desc;
	fn->tags = calloc(s->cfg.read_tags, sizeof(*fn->tags));
	fn->cfg_reset = malloc(PCIE_CFG_SPACE);
	err = -ENOMEM;
	if (!fn->tags || !fn->cfg_reset)
		goto fail;
	err = cfg_build(fn);
	if (err)
		goto fail;
	memcpy(fn->cfg_reset, fn->cfg, PCIE_CFG_SPACE);
	err = msix_init(fn);
	if (err)
		goto fail;
	s->fn[func] = fn;
	eng_trace(rc->sim, "pcie", "plug", "bdf=%04x vendor=%04x device=%04x gen=%u width=%u",
		  fn->bdf, desc->vendor_id, desc->device_id, s->gen, s->width);
	*out = fn;
	return 0;
fail:
	fn_free(fn);
	return err;
}

void pcie_fn_destroy(struct pcie_fn *fn)
{
	struct pcie_slot *s;

	if (!fn)
		return;
	s = fn->slot;
	s->fn[fn->func] = NULL;
	if (slot_empty(s))
		link_free(s);
	fn_free(fn);
}

uint16_t pcie_fn_bdf(const struct pcie_fn *fn)
{
	return fn->bdf;
}

struct sim *pcie_fn_sim(const struct pcie_fn *fn)
{
	return fn->rc->sim;
}

struct pcie_rc *pcie_fn_rc(const struct pcie_fn *fn)
{
	return fn->rc;
}

bool pcie_fn_mem_enabled(const struct pcie_fn *fn)
{
	return cfg_command(fn) & PCI_COMMAND_MEMORY;
}

bool pcie_fn_bus_master(const struct pcie_fn *fn)
{
	return cfg_command(fn) & PCI_COMMAND_MASTER;
}

uint64_t pcie_fn_bar_addr(const struct pcie_fn *fn, unsigned bar)
{
	if (bar > 5 || !fn->desc.bar[bar].size)
		return 0;
	return cfg_bar_base(fn, bar);
}

sim_time_t pcie_mmio_arrival(const struct pcie_fn *fn)
{
	return fn->in_mmio ? fn->mmio_arrival : eng_now(fn->rc->sim);
}

void pcie_fn_stats(const struct pcie_fn *fn, struct pcie_fn_stats *out)
{
	*out = fn->st;
}

void pcie_fn_stats_reset(struct pcie_fn *fn)
{
	memset(&fn->st, 0, sizeof(fn->st));
}

int pcie_rc_slot_reset(struct pcie_rc *rc, unsigned slot)
{
	if (slot >= PCIE_SLOTS)
		return -EINVAL;
	for (unsigned f = 0; f < PCIE_FUNCS; f++) {
		struct pcie_fn *fn = rc->slot[slot].fn[f];

		if (!fn)
			continue;
		cfg_reset(fn);
		msix_reset(fn);
		fn->ntags = 0;
		if (fn->desc.ops && fn->desc.ops->reset)
			fn->desc.ops->reset(fn->desc.ctx, PCIE_RESET_HOT);
	}
	return 0;
}

/* ---- Host MMIO ------------------------------------------------------------------------------- */

static struct pcie_fn *mmio_route(const struct pcie_rc *rc, uint64_t addr, unsigned size,
				  unsigned *bar, uint64_t *off)
{
	for (unsigned s = 0; s < PCIE_SLOTS; s++) {
		for (unsigned f = 0; f < PCIE_FUNCS; f++) {
			struct pcie_fn *fn = rc->slot[s].fn[f];

			if (!fn || !(cfg_command(fn) & PCI_COMMAND_MEMORY))
				continue;
			for (unsigned b = 0; b < 6; b++) {
				uint64_t sz = fn->desc.bar[b].size, base;

				if (!sz)
					continue;
				base = cfg_bar_base(fn, b);
				if (addr < base || addr - base >= sz)
					continue;
				if (addr - base + size > sz)
					return NULL; /* runs off the end of the BAR */
				*bar = b;
				*off = addr - base;
				return fn;
			}
		}
	}
	return NULL;
}

static bool mmio_size_ok(uint64_t addr, unsigned size)
{
	return (size == 1 || size == 2 || size == 4 || size == 8) && !(addr & (size - 1));
}

static uint64_t dw_payload(unsigned size)
{
	return size < 4 ? 4 : size; /* payloads are whole dwords */
}

int pcie_mmio_write(struct pcie_rc *rc, uint64_t addr, unsigned size, uint64_t val,
		    sim_time_t *arrival)
{
	sim_time_t now = eng_now(rc->sim), ser, arr, prev_arr;
	struct pcie_slot *sl;
	struct pcie_fn *fn;
	uint64_t off, wire;
	unsigned bar;
	bool prev_in;
	int err = 0;

	if (arrival)
		*arrival = now;
	if (!mmio_size_ok(addr, size))
		return -EINVAL;
	fn = mmio_route(rc, addr, size, &bar, &off);
	if (!fn) {
		eng_trace(rc->sim, "pcie", "mmio_wr_unclaimed", "addr=0x%" PRIx64, addr);
		return -ENODEV;
	}
	if (size < 8)
		val &= (1ULL << (8 * size)) - 1;
	sl = fn->slot;
	wire = TLP_REQ_OVERHEAD + dw_payload(size);
	ser = link_ser(sl, wire);
	arr = link_book(rc, &sl->down, now, ser) + ser + sl->cfg.mmio_wr_lat;
	sl->down.wire_bytes += wire;
	fn->st.down_wire_bytes += wire;
	fn->st.mmio_wr++;
	eng_trace(rc->sim, "pcie", "mmio_wr", "bdf=%04x bar=%u off=0x%" PRIx64 " size=%u val=0x%"
		  PRIx64 " arrival=%" PRIu64, fn->bdf, bar, off, size, val, arr);
	prev_arr = fn->mmio_arrival;
	prev_in = fn->in_mmio;
	fn->mmio_arrival = arr;
	fn->in_mmio = true;
	if (msix_claims(fn, bar, off, size))
		err = msix_mmio_write(fn, bar, off, size, val, arr);
	else if (fn->desc.ops && fn->desc.ops->mmio_write)
		err = fn->desc.ops->mmio_write(fn->desc.ctx, bar, off, size, val);
	fn->mmio_arrival = prev_arr;
	fn->in_mmio = prev_in;
	if (arrival)
		*arrival = arr;
	return err;
}

int pcie_mmio_read(struct pcie_rc *rc, uint64_t addr, unsigned size, uint64_t *val,
		   sim_time_t *rtt)
{
	sim_time_t now = eng_now(rc->sim), rser, cser, fixed = 0, req_end, dev_t, cstart, prev_arr;
	struct pcie_slot *sl;
	struct pcie_fn *fn;
	uint64_t off, cwire, v = 0, ones;
	unsigned bar;
	bool prev_in;
	int err = 0;

	if (rtt)
		*rtt = 0;
	if (!mmio_size_ok(addr, size)) {
		*val = ~0ULL;
		return -EINVAL;
	}
	ones = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
	fn = mmio_route(rc, addr, size, &bar, &off);
	if (!fn) {
		*val = ones;
		eng_trace(rc->sim, "pcie", "mmio_rd_unclaimed", "addr=0x%" PRIx64, addr);
		return -ENODEV;
	}
	sl = fn->slot;
	cwire = TLP_CPL_OVERHEAD + dw_payload(size);
	rser = link_ser(sl, TLP_REQ_OVERHEAD);
	cser = link_ser(sl, cwire);
	if (sl->cfg.mmio_rd_lat > rser + cser)
		fixed = sl->cfg.mmio_rd_lat - rser - cser;
	req_end = link_book(rc, &sl->down, now, rser) + rser;
	dev_t = req_end + fixed / 2;

	prev_arr = fn->mmio_arrival;
	prev_in = fn->in_mmio;
	fn->mmio_arrival = dev_t;
	fn->in_mmio = true;
	if (msix_claims(fn, bar, off, size))
		err = msix_mmio_read(fn, bar, off, size, &v);
	else if (fn->desc.ops && fn->desc.ops->mmio_read)
		err = fn->desc.ops->mmio_read(fn->desc.ctx, bar, off, size, &v);
	fn->mmio_arrival = prev_arr;
	fn->in_mmio = prev_in;

	cstart = link_book(rc, &sl->up, dev_t + (fixed - fixed / 2), cser);
	sl->down.wire_bytes += TLP_REQ_OVERHEAD;
	sl->up.wire_bytes += cwire;
	fn->st.down_wire_bytes += TLP_REQ_OVERHEAD;
	fn->st.up_wire_bytes += cwire;
	fn->st.mmio_rd++;
	*val = err ? ones : v & ones;
	if (rtt)
		*rtt = cstart + cser - now;
	eng_trace(rc->sim, "pcie", "mmio_rd", "bdf=%04x bar=%u off=0x%" PRIx64 " size=%u val=0x%"
		  PRIx64 " rtt=%" PRIu64, fn->bdf, bar, off, size, *val, cstart + cser - now);
	return err ? -EIO : 0;
}
