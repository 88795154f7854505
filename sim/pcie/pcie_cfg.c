// SPDX-License-Identifier: MIT
/*
 * Configuration space: the type 0 header and capability list the layer builds
 * for an endpoint, config-cycle semantics (write masks, BAR sizing, FLR,
 * MSI-X control side effects), and the host helpers that enumerate and walk
 * capabilities using nothing but config cycles.
 */
#include "sim/pcie/pcie_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

uint32_t cfg_get(const struct pcie_fn *fn, unsigned off, unsigned size)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)fn->cfg[off + i] << (8 * i);
	return v;
}

void cfg_put(struct pcie_fn *fn, unsigned off, unsigned size, uint32_t val)
{
	for (unsigned i = 0; i < size; i++)
		fn->cfg[off + i] = (uint8_t)(val >> (8 * i));
}

static void wmask_put(struct pcie_fn *fn, unsigned off, unsigned size, uint32_t mask)
{
	for (unsigned i = 0; i < size; i++)
		fn->wmask[off + i] = (uint8_t)(mask >> (8 * i));
}

static uint32_t wmask_get32(const struct pcie_fn *fn, unsigned off)
{
	uint32_t v = 0;

	if (off >= CAP_AREA_END)
		return 0;
	for (unsigned i = 0; i < 4; i++)
		v |= (uint32_t)fn->wmask[off + i] << (8 * i);
	return v;
}

uint16_t cfg_command(const struct pcie_fn *fn)
{
	return (uint16_t)cfg_get(fn, PCI_COMMAND, 2);
}

uint64_t cfg_bar_base(const struct pcie_fn *fn, unsigned bar)
{
	uint64_t base = cfg_get(fn, PCI_BASE_ADDRESS_0 + 4 * bar, 4) & ~0xFULL;

	if (fn->desc.bar[bar].flags & PCIE_BAR_64)
		base |= (uint64_t)cfg_get(fn, PCI_BASE_ADDRESS_0 + 4 * (bar + 1), 4) << 32;
	return base;
}

static unsigned size_code(unsigned bytes)
{
	unsigned c = 0;

	while ((128u << c) < bytes && c < 5)
		c++;
	return c;
}

unsigned cfg_mps(const struct pcie_fn *fn)
{
	unsigned c = (cfg_get(fn, fn->pcie_cap + PCI_EXP_DEVCTL, 2) & PCI_EXP_DEVCTL_PAYLOAD) >> 5;

	return 128u << (c > 5 ? 5 : c);
}

unsigned cfg_mrrs(const struct pcie_fn *fn)
{
	unsigned c = (cfg_get(fn, fn->pcie_cap + PCI_EXP_DEVCTL, 2) & PCI_EXP_DEVCTL_READRQ) >> 12;

	return 128u << (c > 5 ? 5 : c);
}

/* Append a capability into cfg (and the reset image when it exists). */
static int cap_append(struct pcie_fn *fn, const uint8_t *cap, unsigned len, uint16_t *off)
{
	unsigned at = fn->cap_free;

	if (len < 2 || at + len > CAP_AREA_END)
		return -ENOSPC;
	memcpy(&fn->cfg[at], cap, len);
	fn->cfg[at + 1] = 0;
	if (fn->cap_last)
		fn->cfg[fn->cap_last + 1] = (uint8_t)at;
	else
		fn->cfg[PCI_CAPABILITY_LIST] = (uint8_t)at;
	fn->cap_last = (uint16_t)at;
	fn->cap_free = (uint16_t)((at + len + 3) & ~3u);
	if (fn->cfg_reset)
		memcpy(fn->cfg_reset, fn->cfg, PCIE_CFG_SPACE);
	if (off)
		*off = (uint16_t)at;
	return 0;
}

static int build_pcie_cap(struct pcie_fn *fn)
{
	const struct pcie_link_cfg *lc = &fn->slot->cfg;
	unsigned max_gen = fn->desc.max_gen ? fn->desc.max_gen : lc->gen;
	unsigned max_width = fn->desc.max_width ? fn->desc.max_width : lc->width;
	unsigned max_payload = fn->desc.max_payload ? fn->desc.max_payload : 4096;
	uint8_t cap[PCIE_CAP_LEN] = { PCI_CAP_ID_EXP };
	uint32_t devcap, devctl, lnkctl;
	uint16_t at;
	int err;

	/* Capabilities register: version 2, PCI Express endpoint */
	cap[PCI_EXP_FLAGS] = 0x02 | (PCI_EXP_TYPE_ENDPOINT << 4);
	devcap = size_code(max_payload) | PCI_EXP_DEVCAP_RBER | PCI_EXP_DEVCAP_FLR;
	if (lc->read_tags > 32)
		devcap |= PCI_EXP_DEVCAP_EXT_TAG;
	/* Device Control reset values: relaxed ordering and no snoop enabled,
	 * MPS and MRRS as platform firmware leaves them. */
	devctl = PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_NOSNOOP_EN;
	devctl |= size_code(lc->mps < max_payload ? lc->mps : max_payload) << 5;
	devctl |= size_code(lc->mrrs) << 12;
	if (lc->read_tags > 32)
		devctl |= PCI_EXP_DEVCTL_EXT_TAG;
	lnkctl = lc->rcb == 128 ? PCI_EXP_LNKCTL_RCB : 0;
	for (unsigned i = 0; i < 4; i++) {
		cap[PCI_EXP_DEVCAP + i] = (uint8_t)(devcap >> (8 * i));
		cap[PCI_EXP_LNKCAP + i] = (uint8_t)(((uint32_t)max_gen | (uint32_t)max_width << 4) >> (8 * i));
		cap[PCI_EXP_LNKCAP2 + i] = (uint8_t)((((1u << max_gen) - 1) << 1) >> (8 * i));
		if (lc->read_tags > 256)
			cap[PCI_EXP_DEVCAP2 + i] = (uint8_t)((PCI_EXP_DEVCAP2_10BIT_TAG_COMP |
				PCI_EXP_DEVCAP2_10BIT_TAG_REQ) >> (8 * i));
	}
	for (unsigned i = 0; i < 2; i++) {
		cap[PCI_EXP_DEVCTL + i] = (uint8_t)(devctl >> (8 * i));
		cap[PCI_EXP_LNKCTL + i] = (uint8_t)(lnkctl >> (8 * i));
		cap[PCI_EXP_LNKSTA + i] = (uint8_t)(((uint32_t)fn->slot->gen |
			(uint32_t)fn->slot->width << 4 | PCI_EXP_LNKSTA_SLC) >> (8 * i));
		cap[PCI_EXP_LNKCTL2 + i] = (uint8_t)(max_gen >> (8 * i));
	}
	err = cap_append(fn, cap, sizeof(cap), &at);
	if (err)
		return err;
	fn->pcie_cap = at;
	/* Device Control (FLR bit included: handled on write), Link Control's
	 * ASPM/RCB/common-clock/extended-sync, Device and Link Control 2 */
	wmask_put(fn, at + PCI_EXP_DEVCTL, 2, 0xFFFF);
	wmask_put(fn, at + PCI_EXP_LNKCTL, 2, 0x00CB);
	wmask_put(fn, at + PCI_EXP_DEVCTL2, 2, 0xFFFF);
	wmask_put(fn, at + PCI_EXP_LNKCTL2, 2, 0xFFFF);
	return 0;
}

static int build_msix_cap(struct pcie_fn *fn)
{
	const struct pcie_ep_desc *d = &fn->desc;
	uint8_t cap[PCI_CAP_MSIX_SIZEOF] = { PCI_CAP_ID_MSIX };
	uint32_t table = d->msix_table_off | d->msix_table_bar;
	uint32_t pba = d->msix_pba_off | d->msix_pba_bar;
	uint16_t ctl = (uint16_t)(d->msix_vectors - 1);
	uint16_t at;
	int err;

	cap[PCI_MSIX_FLAGS] = (uint8_t)ctl;
	cap[PCI_MSIX_FLAGS + 1] = (uint8_t)(ctl >> 8);
	for (unsigned i = 0; i < 4; i++) {
		cap[PCI_MSIX_TABLE + i] = (uint8_t)(table >> (8 * i));
		cap[PCI_MSIX_PBA + i] = (uint8_t)(pba >> (8 * i));
	}
	err = cap_append(fn, cap, sizeof(cap), &at);
	if (err)
		return err;
	fn->msix_cap = at;
	wmask_put(fn, at + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	return 0;
}

int cfg_build(struct pcie_fn *fn)
{
	const struct pcie_ep_desc *d = &fn->desc;
	int err;

	memset(fn->cfg, 0, sizeof(fn->cfg));
	memset(fn->wmask, 0, sizeof(fn->wmask));
	cfg_put(fn, PCI_VENDOR_ID, 2, d->vendor_id);
	cfg_put(fn, PCI_DEVICE_ID, 2, d->device_id);
	cfg_put(fn, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	cfg_put(fn, PCI_REVISION_ID, 4, d->revision | (d->class_code & 0xFFFFFF) << 8);
	cfg_put(fn, PCI_SUBSYSTEM_VENDOR_ID, 2, d->subsys_vendor_id);
	cfg_put(fn, PCI_SUBSYSTEM_ID, 2, d->subsys_id);
	wmask_put(fn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		  PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	wmask_put(fn, PCI_CACHE_LINE_SIZE, 1, 0xFF);
	wmask_put(fn, PCI_INTERRUPT_LINE, 1, 0xFF);
	for (unsigned i = 0; i < 6; i++) {
		const struct pcie_bar_desc *b = &d->bar[i];
		uint32_t lo = 0;

		if (!b->size)
			continue;
		if (b->flags & PCIE_BAR_64)
			lo |= PCI_BASE_ADDRESS_MEM_TYPE_64;
		if (b->flags & PCIE_BAR_PREFETCH)
			lo |= PCI_BASE_ADDRESS_MEM_PREFETCH;
		cfg_put(fn, PCI_BASE_ADDRESS_0 + 4 * i, 4, lo);
	}
	fn->cap_free = CAP_AREA_START;
	fn->cap_last = 0;
	err = build_pcie_cap(fn);
	if (!err && d->msix_vectors)
		err = build_msix_cap(fn);
	return err;
}

void cfg_reset(struct pcie_fn *fn)
{
	memcpy(fn->cfg, fn->cfg_reset, PCIE_CFG_SPACE);
}

int pcie_fn_add_cap(struct pcie_fn *fn, const void *cap, unsigned len, uint16_t *off)
{
	if (!cap)
		return -EINVAL;
	return cap_append(fn, cap, len, off);
}

int pcie_fn_claim_cfg(struct pcie_fn *fn, uint16_t off, uint16_t len)
{
	if (!len || (off | len) & 3 || off + len > PCIE_CFG_SPACE || off < PCI_STD_HEADER_SIZEOF)
		return -EINVAL;
	if (fn->nclaim == sizeof(fn->claim) / sizeof(fn->claim[0]))
		return -ENOSPC;
	fn->claim[fn->nclaim++] = (struct cfg_claim){ off, len };
	return 0;
}

static bool claimed(const struct pcie_fn *fn, unsigned off)
{
	for (unsigned i = 0; i < fn->nclaim; i++)
		if (off >= fn->claim[i].off && off < (unsigned)fn->claim[i].off + fn->claim[i].len)
			return true;
	return false;
}

static bool cfg_access_ok(uint16_t off, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && !(off & (size - 1)) &&
	       off + size <= PCIE_CFG_SPACE;
}

int pcie_fn_cfg_peek(const struct pcie_fn *fn, uint16_t off, unsigned size, uint32_t *val)
{
	if (!cfg_access_ok(off, size))
		return -EINVAL;
	*val = cfg_get(fn, off, size);
	return 0;
}

static struct pcie_fn *fn_at(const struct pcie_rc *rc, uint16_t bdf)
{
	unsigned dev = (bdf >> 3) & 31, f = bdf & 7;

	if (bdf >> 8)
		return NULL; /* only bus 0 exists */
	return rc->slot[dev].fn[f];
}

int pcie_cfg_read(struct pcie_rc *rc, uint16_t bdf, uint16_t off, unsigned size, uint32_t *val)
{
	struct pcie_fn *fn = fn_at(rc, bdf);
	uint32_t v;

	if (!cfg_access_ok(off, size)) {
		*val = 0xFFFFFFFFu;
		return -EINVAL;
	}
	if (!fn) {
		*val = size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
		return -ENODEV;
	}
	if (claimed(fn, off)) {
		v = 0;
		if (fn->desc.ops && fn->desc.ops->cfg_read &&
		    fn->desc.ops->cfg_read(fn->desc.ctx, off, size, &v))
			v = 0xFFFFFFFFu;
		*val = size == 4 ? v : v & ((1u << (8 * size)) - 1);
		return 0;
	}
	v = cfg_get(fn, off, size);
	/* Header Type bit 7: function 0 of a slot holding other functions */
	if (fn->func == 0 && off <= PCI_HEADER_TYPE && off + size > PCI_HEADER_TYPE) {
		for (unsigned f = 1; f < PCIE_FUNCS; f++)
			if (fn->slot->fn[f])
				v |= 0x80u << (8 * (PCI_HEADER_TYPE - off));
	}
	*val = v;
	return 0;
}

static void bar_write(struct pcie_fn *fn, unsigned i, uint32_t v)
{
	const struct pcie_bar_desc *b = &fn->desc.bar[i];
	unsigned off = PCI_BASE_ADDRESS_0 + 4 * i;

	if (b->size) {
		uint32_t type = cfg_get(fn, off, 4) & 0xF;
		uint32_t mask = (uint32_t)~(b->size - 1) & ~0xFu;

		cfg_put(fn, off, 4, (v & mask) | type);
	} else if (i > 0 && fn->desc.bar[i - 1].size && (fn->desc.bar[i - 1].flags & PCIE_BAR_64)) {
		cfg_put(fn, off, 4, v & (uint32_t)(~(fn->desc.bar[i - 1].size - 1) >> 32));
	}
	/* else: unimplemented BAR, reads as zero */
}

static void flr(struct pcie_fn *fn)
{
	eng_trace(fn->rc->sim, "pcie", "flr", "bdf=%04x", fn->bdf);
	cfg_reset(fn);
	msix_reset(fn);
	fn->ntags = 0;
	if (fn->desc.ops && fn->desc.ops->reset)
		fn->desc.ops->reset(fn->desc.ctx, PCIE_RESET_FLR);
}

static void cfg_write_dword(struct pcie_fn *fn, unsigned dw, uint32_t old, uint32_t merged,
			    uint32_t be)
{
	uint32_t wm, stored;

	if (dw >= PCI_BASE_ADDRESS_0 && dw <= PCI_BASE_ADDRESS_5) {
		bar_write(fn, (dw - PCI_BASE_ADDRESS_0) / 4, merged);
		return;
	}
	wm = wmask_get32(fn, dw) & be;
	stored = (old & ~wm) | (merged & wm);
	cfg_put(fn, dw, 4, stored);
	if (fn->pcie_cap && dw == fn->pcie_cap + (unsigned)PCI_EXP_DEVCTL &&
	    (stored & PCI_EXP_DEVCTL_BCR_FLR)) {
		/* the Initiate FLR bit always reads 0 */
		cfg_put(fn, dw, 4, stored & ~(uint32_t)PCI_EXP_DEVCTL_BCR_FLR);
		flr(fn);
		return;
	}
	if (fn->msix_cap && dw == fn->msix_cap && (old ^ stored) >> 16)
		msix_control_changed(fn, (uint16_t)(old >> 16), (uint16_t)(stored >> 16),
				     eng_now(fn->rc->sim));
}

int pcie_cfg_write(struct pcie_rc *rc, uint16_t bdf, uint16_t off, unsigned size, uint32_t val)
{
	struct pcie_fn *fn = fn_at(rc, bdf);
	unsigned dw = off & ~3u, shift = (off & 3u) * 8;
	uint32_t be, old;

	if (!cfg_access_ok(off, size))
		return -EINVAL;
	if (!fn)
		return -ENODEV;
	if (claimed(fn, off)) {
		if (fn->desc.ops && fn->desc.ops->cfg_write)
			return fn->desc.ops->cfg_write(fn->desc.ctx, off, size, val);
		return 0;
	}
	if (off >= CAP_AREA_END)
		return 0; /* no extended capabilities: read-only zeros */
	be = (size == 4 ? 0xFFFFFFFFu : ((1u << (8 * size)) - 1)) << shift;
	old = cfg_get(fn, dw, 4);
	cfg_write_dword(fn, dw, old, (old & ~be) | ((val << shift) & be), be);
	return 0;
}

void pcie_fn_link_info(const struct pcie_fn *fn, struct pcie_link_info *out)
{
	out->gen = fn->slot->gen;
	out->width = fn->slot->width;
	out->mps = cfg_mps(fn);
	out->mrrs = cfg_mrrs(fn);
	out->rcb = fn->slot->cfg.rcb;
	out->read_tags = fn->slot->cfg.read_tags;
	out->gbps = 8.0 / fn->slot->ps_per_byte * 1000.0;
	out->up_wire_bytes = fn->slot->up.wire_bytes;
	out->down_wire_bytes = fn->slot->down.wire_bytes;
	out->up_busy = fn->slot->up.busy;
	out->down_busy = fn->slot->down.busy;
}

/* ---- Host helpers: config cycles only -------------------------------------------------------- */

int pcie_host_cfg_read(const struct pcie_host_fn *hf, uint16_t off, unsigned size, uint32_t *val)
{
	return pcie_cfg_read(hf->rc, hf->bdf, off, size, val);
}

int pcie_host_cfg_write(const struct pcie_host_fn *hf, uint16_t off, unsigned size, uint32_t val)
{
	return pcie_cfg_write(hf->rc, hf->bdf, off, size, val);
}

int pcie_find_cap(const struct pcie_host_fn *hf, uint8_t id, uint8_t start)
{
	uint32_t v, pos;

	if (pcie_host_cfg_read(hf, PCI_STATUS, 2, &v) || !(v & PCI_STATUS_CAP_LIST))
		return -ENOENT;
	if (pcie_host_cfg_read(hf, start ? start + PCI_CAP_LIST_NEXT : PCI_CAPABILITY_LIST, 1,
			       &pos))
		return -ENOENT;
	/* at most 48 capabilities fit in 192 bytes: a longer walk is a loop */
	for (unsigned ttl = 48; ttl && pos >= PCI_STD_HEADER_SIZEOF; ttl--) {
		pos &= ~3u;
		if (pcie_host_cfg_read(hf, (uint16_t)pos, 1, &v) || v == 0xFF)
			break;
		if (v == id)
			return (int)pos;
		if (pcie_host_cfg_read(hf, (uint16_t)(pos + PCI_CAP_LIST_NEXT), 1, &pos))
			break;
	}
	return -ENOENT;
}

struct bar_req {
	unsigned fn;  /* index into out[] */
	unsigned bar;
	uint64_t size;
	unsigned flags;
};

static int bar_req_cmp(const void *a, const void *b)
{
	const struct bar_req *x = a, *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (x->fn != y->fn)
		return x->fn < y->fn ? -1 : 1;
	return x->bar < y->bar ? -1 : x->bar > y->bar;
}

/* Size the BARs of one function (decoding already off); appends requests. */
static int size_bars(const struct pcie_host_fn *hf, unsigned idx, struct bar_req *req,
		     unsigned *nreq)
{
	for (unsigned i = 0; i < 6; i++) {
		uint16_t off = (uint16_t)(PCI_BASE_ADDRESS_0 + 4 * i);
		uint32_t orig, m, mh = 0;
		uint64_t size;
		bool is64;
		int err;

		if ((err = pcie_host_cfg_read(hf, off, 4, &orig)) ||
		    (err = pcie_host_cfg_write(hf, off, 4, 0xFFFFFFFFu)) ||
		    (err = pcie_host_cfg_read(hf, off, 4, &m)))
			return err;
		if (!m || (m & PCI_BASE_ADDRESS_SPACE_IO)) {
			/* unimplemented, or an I/O BAR the model does not assign */
			pcie_host_cfg_write(hf, off, 4, orig);
			continue;
		}
		is64 = (m & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 && i < 5;
		if (is64 && ((err = pcie_host_cfg_write(hf, off + 4, 4, 0xFFFFFFFFu)) ||
			     (err = pcie_host_cfg_read(hf, off + 4, 4, &mh))))
			return err;
		size = ~(((uint64_t)mh << 32) | (m & ~0xFu)) + 1;
		if (!is64)
			size &= 0xFFFFFFFFu;
		if (!size || (size & (size - 1)))
			return -EIO; /* not a well-formed BAR */
		req[(*nreq)++] = (struct bar_req){ idx, i, size,
			(is64 ? PCIE_BAR_64 : 0) |
			((m & PCI_BASE_ADDRESS_MEM_PREFETCH) ? PCIE_BAR_PREFETCH : 0) };
		if (is64)
			i++;
	}
	return 0;
}

static int probe_fn(struct pcie_rc *rc, uint16_t bdf, struct pcie_host_fn *hf)
{
	uint32_t v, cmd;
	int err;

	memset(hf, 0, sizeof(*hf));
	hf->rc = rc;
	hf->bdf = bdf;
	if ((err = pcie_host_cfg_read(hf, PCI_VENDOR_ID, 4, &v)))
		return err;
	hf->vendor_id = (uint16_t)v;
	hf->device_id = (uint16_t)(v >> 16);
	if ((err = pcie_host_cfg_read(hf, PCI_CLASS_REVISION, 4, &v)))
		return err;
	hf->revision = (uint8_t)v;
	hf->class_code = v >> 8;
	if ((err = pcie_host_cfg_read(hf, PCI_SUBSYSTEM_VENDOR_ID, 4, &v)))
		return err;
	hf->subsys_vendor_id = (uint16_t)v;
	hf->subsys_id = (uint16_t)(v >> 16);
	if ((err = pcie_host_cfg_read(hf, PCI_HEADER_TYPE, 1, &v)))
		return err;
	hf->header_type = (uint8_t)v;
	/* decoding off while the BARs hold all ones */
	if ((err = pcie_host_cfg_read(hf, PCI_COMMAND, 2, &cmd)))
		return err;
	return pcie_host_cfg_write(hf, PCI_COMMAND, 2,
				   cmd & ~(uint32_t)(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
						     PCI_COMMAND_IO));
}

static int assign_bars(struct pcie_host_fn *out, struct bar_req *req, unsigned nreq,
		       uint64_t base, uint64_t size)
{
	uint64_t cur = base, end = base + size;

	qsort(req, nreq, sizeof(*req), bar_req_cmp);
	for (unsigned k = 0; k < nreq; k++) {
		struct pcie_host_fn *hf = &out[req[k].fn];
		uint64_t a = (cur + req[k].size - 1) & ~(req[k].size - 1);
		uint16_t off = (uint16_t)(PCI_BASE_ADDRESS_0 + 4 * req[k].bar);
		int err;

		if (a < cur || a + req[k].size < a || a + req[k].size > end)
			return -ENOSPC;
		if (!(req[k].flags & PCIE_BAR_64) && a + req[k].size > (1ULL << 32))
			return -ENOSPC;
		if ((err = pcie_host_cfg_write(hf, off, 4, (uint32_t)a)))
			return err;
		if ((req[k].flags & PCIE_BAR_64) &&
		    (err = pcie_host_cfg_write(hf, off + 4, 4, (uint32_t)(a >> 32))))
			return err;
		hf->bar[req[k].bar] = (struct pcie_host_bar){ a, req[k].size, req[k].flags };
		cur = a + req[k].size;
	}
	return 0;
}

int pcie_enumerate(struct pcie_rc *rc, uint64_t mmio_base, uint64_t mmio_size,
		   struct pcie_host_fn *out, unsigned max, unsigned *n)
{
	struct bar_req *req = NULL;
	unsigned count = 0, nreq = 0;
	int err = 0;

	*n = 0;
	if (mmio_base + mmio_size < mmio_base)
		return -EINVAL;
	req = calloc((size_t)PCIE_SLOTS * PCIE_FUNCS * 6, sizeof(*req));
	if (!req)
		return -ENOMEM;
	for (unsigned dev = 0; dev < PCIE_SLOTS; dev++) {
		for (unsigned f = 0; f < PCIE_FUNCS; f++) {
			uint16_t bdf = PCIE_BDF(0, dev, f);
			uint32_t vendor;

			if (pcie_cfg_read(rc, bdf, PCI_VENDOR_ID, 2, &vendor) || vendor == 0xFFFF) {
				if (f == 0)
					break;
				continue;
			}
			if (count == max) {
				err = -EOVERFLOW;
				goto out;
			}
			if ((err = probe_fn(rc, bdf, &out[count])) ||
			    (err = size_bars(&out[count], count, req, &nreq)))
				goto out;
			count++;
			if (f == 0 && !(out[count - 1].header_type & 0x80))
				break; /* single-function device */
		}
	}
	if ((err = assign_bars(out, req, nreq, mmio_base, mmio_size)))
		goto out;
	for (unsigned i = 0; i < count; i++) {
		uint32_t cmd;

		if ((err = pcie_host_cfg_read(&out[i], PCI_COMMAND, 2, &cmd)) ||
		    (err = pcie_host_cfg_write(&out[i], PCI_COMMAND, 2,
					       cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)))
			goto out;
	}
	*n = count;
out:
	free(req);
	return err;
}
