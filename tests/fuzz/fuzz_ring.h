/* SPDX-License-Identifier: MIT */
/*
 * The body of the two ring harnesses, fuzz_ring_split.c and fuzz_ring_packed.c
 * (one layout each, so each has its own corpus and coverage): the device-side
 * engine of sim/virtio_ring (vq_dev) over guest memory the input controls,
 * with the ring observer attached to it.
 *
 * Memory: 32 KiB of guest memory at RING_BASE through a vq_mem accessor that
 * refuses anything outside it and inside up to two holes the input sets
 * (unmapped IOVAs).  The rings sit at the start; indirect tables (16 slots of
 * 512 bytes) and buffers (32 slots of 512 bytes) follow.
 *
 * Input: byte 0 picks the features (bit 0 EVENT_IDX, 1 INDIRECT_DESC, 2
 * IN_ORDER; bit 3 the driver uses indirect tables for buffers of 1 + bits 4-5
 * segments or more; bit 6 the observer does not see the driver engine, as in
 * sim/devhost), byte 1 the queue size (split: 1..256, powers of two; packed:
 * 1..256), then up to RING_MAX_OPS operations, one byte each plus
 * arguments: the driver engine (vq_drv) adding well-formed buffers, publishing,
 * collecting used ones, resetting the queue; tampering (poke 1/2/4/8 bytes
 * into a ring area or anywhere, a raw blob over memory, holes); and the device
 * engine: fetch with a chosen segment capacity, read/write of a chain, push
 * (in order or not), flush with the interrupt decision, notification
 * suppression, pending, reset to a decoded state.
 *
 * Oracles (beyond the sanitizers):
 *  - every engine call is bounded: at most 2 * num + 16 accessor calls;
 *  - fetch returns 1, 0, -EMSGSIZE or -EIO; -EIO iff the queue is broken, and
 *    a broken queue has a fatal violation and answers -EIO from then on;
 *  - a fetched chain is well formed (readable segments first, lengths add up,
 *    ndesc in 1..num, split id < num) and every segment is a descriptor the
 *    engine read from guest memory (ring or indirect table) in this input:
 *    the engine invents nothing;
 *  - the engine's accounting agrees with the harness's: inflight, and the
 *    distance between the avail and used positions (split: chains; packed:
 *    descriptors, modulo 2 num) equals what is fetched and not yet flushed;
 *    a flush publishes exactly what was pushed;
 *  - while the input only used the driver engine and well-behaved device
 *    steps ("clean"): the queue never breaks, the device never takes more
 *    buffers than were published, each buffer comes back to the driver once
 *    with the length the device pushed, and the observer (when it sees both
 *    engines) logs no MUST-level event.
 *
 * Allowances for findings reported to sim/virtio_ring (tests/fuzz/README.md,
 * "Known limits"), all off with FUZZ_RING_STRICT=1: the observer oracle is off
 * when it sees only the device (bit 6); kick rules are not counted after the
 * device changed its kick suppression between a publish and the driver's kick
 * decision; the driver decides on a kick at least every num buffers (packed).
 * FUZZ_RING_PRINT=1 traces ops, device accesses and observer events.
 */
#ifndef VDPASIM_TESTS_FUZZ_RING_H
#define VDPASIM_TESTS_FUZZ_RING_H

#include "sim/virtio_ring/virtio_ring.h"
#include "tests/fuzz/fuzz.h"

#include <errno.h>

#define RING_BASE 0x10000ULL
#define RING_MEM (32u * 1024)
#define RING_IND_OFF (8u * 1024) /* indirect table slots */
#define RING_IND_SLOTS 16
#define RING_BUF_OFF (16u * 1024) /* buffer slots */
#define RING_BUF_SLOTS 32
#define RING_SLOT_SZ 512u
#define RING_MAX_OPS 256
#define RING_SEG_MAX 8
#define RING_DESC_SET 4096 /* descriptors remembered for the "invents nothing" check */

struct ring_chain {
	struct vq_chain c;
	struct vq_seg seg[RING_SEG_MAX];
	uint32_t written; /* bytes written into the writable part from offset 0 */
	bool msgsize;     /* fetched with -EMSGSIZE: must be pushed back with 0 */
	int token;        /* clean mode: the driver buffer it is, or -1 */
};

struct ring_desc_key {
	uint64_t addr;
	uint32_t len;
	uint8_t write;
	uint8_t used;
};

struct ring_h {
	bool packed;
	struct vq_config cfg;
	uint8_t mem[RING_MEM];
	uint64_t hole_lo[2], hole_hi[2];
	struct vq_mem acc;
	struct vq_dev *dev;
	struct vq_drv *drv;
	struct vq_obs *obs;

	/* accessor accounting */
	uint64_t calls;      /* accessor calls in the current engine call */
	bool dev_call;       /* inside a device engine call */
	bool log_reads;      /* remember descriptors the device reads */
	struct ring_desc_key set[RING_DESC_SET];
	uint32_t nset;
	bool set_full;

	/* device side as the harness tracks it */
	struct ring_chain *held; /* fetched, not pushed (fetch order) */
	uint32_t nheld;
	uint32_t staged, staged_desc; /* pushed, not flushed */
	uint32_t held_desc;
	uint64_t dev_taken;           /* chains fetched since the last reset */

	/* driver side (clean-mode bookkeeping) */
	bool clean;
	uint64_t drv_added, drv_published;
	bool buf_busy[RING_BUF_SLOTS];
	int64_t pushed_len[RING_BUF_SLOTS]; /* -1: not pushed */
	uint32_t buf_in_len[RING_BUF_SLOTS];
	bool ind_busy[RING_IND_SLOTS];
	uint64_t must_events;
	bool foreign; /* the driver engine is not attached to the observer */
	bool unkicked, kick_race;
	uint32_t since_kick; /* buffers added since the last kick decision */
	bool print;  /* FUZZ_RING_PRINT: trace the ops, accesses and observer events */
	bool strict; /* FUZZ_RING_STRICT: no allowance for the reported observer/engine limits */
	uint8_t scratch[RING_SLOT_SZ * RING_SEG_MAX];
};

/* ---- Memory ---------------------------------------------------------------------------------- */

static bool ring_mapped(const struct ring_h *h, uint64_t addr, uint32_t len)
{
	if (addr < RING_BASE || len > RING_MEM || addr - RING_BASE > RING_MEM - len)
		return false;
	for (int i = 0; i < 2; i++)
		if (h->hole_lo[i] < h->hole_hi[i] && addr < h->hole_hi[i] &&
		    addr + len > h->hole_lo[i])
			return false;
	return true;
}

static void ring_remember(struct ring_h *h, uint64_t addr, uint32_t len, bool write)
{
	uint64_t k = addr * 0x9E3779B97F4A7C15ULL ^ len ^ ((uint64_t)write << 63);

	if (h->nset >= RING_DESC_SET / 2) {
		h->set_full = true;
		return;
	}
	for (uint32_t i = (uint32_t)(k >> 52) % RING_DESC_SET;; i = (i + 1) % RING_DESC_SET) {
		struct ring_desc_key *e = &h->set[i];

		if (!e->used) {
			*e = (struct ring_desc_key){ addr, len, write, 1 };
			h->nset++;
			return;
		}
		if (e->addr == addr && e->len == len && e->write == write)
			return;
	}
}

static bool ring_described(const struct ring_h *h, uint64_t addr, uint32_t len, bool write)
{
	uint64_t k = addr * 0x9E3779B97F4A7C15ULL ^ len ^ ((uint64_t)write << 63);

	for (uint32_t i = (uint32_t)(k >> 52) % RING_DESC_SET;; i = (i + 1) % RING_DESC_SET) {
		const struct ring_desc_key *e = &h->set[i];

		if (!e->used)
			return false;
		if (e->addr == addr && e->len == len && e->write == write)
			return true;
	}
}

/*
 * Every 16-byte record of a read that may hold descriptors: the descriptor
 * area at its own alignment, any other read of a multiple of 16 bytes (an
 * indirect table) from its start.  Over-approximate: harmless for the check.
 */
static void ring_log_read(struct ring_h *h, uint64_t addr, const uint8_t *p, uint32_t len)
{
	uint32_t flags_off = h->packed ? 14 : 12;
	uint64_t starts[2];
	int n = 0;

	if (len % 16 == 0)
		starts[n++] = addr;
	if (addr >= h->cfg.desc_addr && addr < h->cfg.desc_addr + vq_desc_area_size(&h->cfg) &&
	    (addr - h->cfg.desc_addr) % 16)
		starts[n++] = h->cfg.desc_addr + (addr - h->cfg.desc_addr + 15) / 16 * 16;
	for (int i = 0; i < n; i++) {
		for (uint64_t a = starts[i]; a + 16 <= addr + len; a += 16) {
			const uint8_t *e = p + (a - addr);

			ring_remember(h, vq_le64(e), vq_le32(e + 8),
				      vq_le16(e + flags_off) & VRING_DESC_F_WRITE);
		}
	}
}

static int ring_read(void *ctx, uint64_t addr, void *dst, uint32_t len)
{
	struct ring_h *h = ctx;

	h->calls++;
	if (h->print && h->dev_call)
		fprintf(stderr, "dev read  0x%llx %u\n", (unsigned long long)addr, len);
	if (!ring_mapped(h, addr, len))
		return -EFAULT;
	memcpy(dst, h->mem + (addr - RING_BASE), len);
	if (h->dev_call && h->log_reads)
		ring_log_read(h, addr, dst, len);
	return 0;
}

static int ring_write(void *ctx, uint64_t addr, const void *src, uint32_t len)
{
	struct ring_h *h = ctx;

	h->calls++;
	if (h->print && h->dev_call)
		fprintf(stderr, "dev write 0x%llx %u\n", (unsigned long long)addr, len);
	if (!ring_mapped(h, addr, len))
		return -EFAULT;
	memcpy(h->mem + (addr - RING_BASE), src, len);
	return 0;
}

/* ---- Driver side ----------------------------------------------------------------------------- */

static int ring_ind_alloc(void *ctx, uint32_t bytes, uint64_t *addr)
{
	struct ring_h *h = ctx;

	if (bytes > RING_SLOT_SZ)
		return -ENOMEM;
	for (int i = 0; i < RING_IND_SLOTS; i++) {
		if (!h->ind_busy[i]) {
			h->ind_busy[i] = true;
			*addr = RING_BASE + RING_IND_OFF + (uint64_t)i * RING_SLOT_SZ;
			return 0;
		}
	}
	return -ENOMEM;
}

static void ring_ind_free(void *ctx, uint64_t addr, uint32_t bytes)
{
	struct ring_h *h = ctx;
	uint64_t i = (addr - RING_BASE - RING_IND_OFF) / RING_SLOT_SZ;

	(void)bytes;
	FUZZ_CHECK(i < RING_IND_SLOTS && h->ind_busy[i]);
	h->ind_busy[i] = false;
}

static int ring_token_slot(void *token)
{
	return (int)(uintptr_t)token - 1;
}

/* A well-formed buffer in a free buffer slot: 1..4 readable then 0..4 writable
 * segments, 1..64 bytes each, laid out inside the slot. */
static void ring_drv_add(struct ring_h *h, struct fz *in)
{
	struct vq_seg sg[RING_SEG_MAX];
	uint8_t shape = fz_u8(in);
	uint32_t nout = 1 + (shape & 3), nin = (shape >> 2) & 7, off = 0, in_len = 0;
	int slot = -1, r;

	if (nin > 4)
		nin -= 4;
	for (int i = 0; i < RING_BUF_SLOTS; i++) {
		if (!h->buf_busy[i]) {
			slot = i;
			break;
		}
	}
	if (slot < 0)
		return;
	for (uint32_t i = 0; i < nout + nin; i++) {
		uint32_t len = 1 + fz_below(in, 64);

		sg[i].addr = RING_BASE + RING_BUF_OFF + (uint64_t)slot * RING_SLOT_SZ + off;
		sg[i].len = len;
		sg[i].flags = 0;
		off += len;
		if (i >= nout)
			in_len += len;
	}
	r = vq_drv_add(h->drv, sg, nout, nin, (void *)(uintptr_t)(slot + 1));
	FUZZ_CHECK(r == 0 || r == -ENOSPC || r == -EINVAL || r == -EIO || r == -EFAULT ||
		   r == -ENOMEM);
	if (r)
		return;
	h->buf_busy[slot] = true;
	h->pushed_len[slot] = -1;
	h->buf_in_len[slot] = in_len;
	h->drv_added++;
	h->since_kick++;
}

static void ring_drv_publish(struct ring_h *h, bool kick)
{
	int r;

	/*
	 * The driver engine decides a kick from the positions at the previous and
	 * this kick_prepare, so it cannot tell 2 num (packed) or 65536 (split)
	 * descriptors published in between from none (reported, sim/virtio_ring).
	 * Like Linux (a kick when num_added would overflow), decide at least once
	 * per num buffers; FUZZ_RING_STRICT lets the input go past that.
	 */
	if (h->since_kick >= (h->packed ? h->cfg.num : 0x8000u) && !h->strict)
		kick = true;
	r = kick ? vq_drv_kick_prepare(h->drv) : vq_drv_publish(h->drv);
	if (kick && r >= 0)
		h->since_kick = 0;

	FUZZ_CHECK(r >= 0 || r == -EIO || r == -EFAULT);
	if (r >= 0)
		h->drv_published = h->drv_added;
	h->unkicked = !kick && h->drv_published;
	if (h->print)
		fprintf(stderr, "  %s -> %d (published %llu)\n", kick ? "kick_prepare" : "publish",
			r, (unsigned long long)h->drv_published);
	if (r == 1)
		vq_obs_notify(h->obs, VQ_ACTOR_DRIVER);
}

static void ring_drv_collect(struct ring_h *h, struct fz *in)
{
	uint8_t how = fz_u8(in);

	for (uint32_t i = 0; i <= h->cfg.num; i++) {
		void *token = NULL;
		uint32_t len = 0;
		int r = vq_drv_get_used(h->drv, &token, &len), slot;

		FUZZ_CHECK(r == 0 || r == 1 || r == -EIO || r == -EFAULT);
		if (r != 1)
			break;
		slot = ring_token_slot(token);
		FUZZ_CHECK(slot >= 0 && slot < RING_BUF_SLOTS && h->buf_busy[slot]);
		if (h->clean)
			FUZZ_CHECK(h->pushed_len[slot] == (int64_t)len);
		h->buf_busy[slot] = false;
	}
	switch (how & 3) {
	case 1:
		vq_drv_disable_cb(h->drv);
		break;
	case 2:
		vq_drv_enable_cb(h->drv);
		break;
	case 3:
		vq_drv_enable_cb_delayed(h->drv);
		break;
	default:
		vq_drv_more_used(h->drv);
		break;
	}
}

static void ring_recycle(void *ctx, void *token)
{
	struct ring_h *h = ctx;
	int slot = ring_token_slot(token);

	FUZZ_CHECK(slot >= 0 && slot < RING_BUF_SLOTS && h->buf_busy[slot]);
	h->buf_busy[slot] = false;
}

/* ---- Device side ----------------------------------------------------------------------------- */

static void ring_dev_begin(struct ring_h *h)
{
	h->calls = 0;
	h->dev_call = true;
}

static void ring_dev_end(struct ring_h *h)
{
	h->dev_call = false;
	/* every engine loop is bounded by the queue size */
	FUZZ_CHECK(h->calls <= 2ULL * h->cfg.num + 16);
}

static void ring_check_broken(struct ring_h *h)
{
	if (!vq_dev_broken(h->dev))
		return;
	FUZZ_CHECK(vq_dev_violation(h->dev) != VQ_V_NONE);
	FUZZ_CHECK(vq_violation_fatal(vq_dev_violation(h->dev)));
	FUZZ_CHECK(!h->clean);
}

/* The engine's positions against what the harness holds. */
static void ring_check_positions(struct ring_h *h)
{
	struct vq_state st;

	if (vq_dev_broken(h->dev))
		return;
	FUZZ_CHECK(vq_dev_inflight(h->dev) == h->nheld);
	vq_dev_get_state(h->dev, &st);
	if (h->packed) {
		uint32_t n2 = 2 * h->cfg.num;
		uint32_t a = st.avail_idx + (st.avail_wrap ? 0 : h->cfg.num);
		uint32_t u = st.used_idx + (st.used_wrap ? 0 : h->cfg.num);

		FUZZ_CHECK(st.avail_idx < h->cfg.num && st.used_idx < h->cfg.num);
		FUZZ_CHECK((a + n2 - u) % n2 == (h->held_desc + h->staged_desc) % n2);
	} else {
		FUZZ_CHECK((uint16_t)(st.avail_idx - st.used_idx) ==
			   (uint16_t)(h->nheld + h->staged));
	}
	if (h->clean)
		FUZZ_CHECK(h->dev_taken <= h->drv_published);
}

static void ring_check_chain(struct ring_h *h, const struct vq_chain *c, int r)
{
	uint64_t out = 0, in = 0;

	FUZZ_CHECK(c->ndesc >= 1 && c->ndesc <= h->cfg.num);
	if (!h->packed)
		FUZZ_CHECK(c->id < h->cfg.num);
	if (r == -EMSGSIZE) {
		FUZZ_CHECK(c->nseg == 0 && c->nout == 0);
		return;
	}
	FUZZ_CHECK(c->nseg >= 1 && c->nseg <= c->seg_cap && c->nout <= c->nseg);
	for (uint32_t i = 0; i < c->nseg; i++) {
		const struct vq_seg *s = &c->seg[i];
		bool w = s->flags & VQ_SEG_F_WRITE;

		FUZZ_CHECK(w == (i >= c->nout));
		FUZZ_CHECK((s->flags & ~VQ_SEG_F_WRITE) == 0);
		if (w)
			in += s->len;
		else
			out += s->len;
		/* the engine invents nothing: each segment is a descriptor it read */
		if (!h->set_full)
			FUZZ_CHECK(ring_described(h, s->addr, s->len, w));
	}
	FUZZ_CHECK(out == c->out_len && in == c->in_len);
}

static int ring_find_token(const struct vq_chain *c)
{
	uint64_t a;

	if (c->nseg == 0)
		return -1;
	a = c->seg[0].addr - RING_BASE;
	if (a < RING_BUF_OFF || (a - RING_BUF_OFF) % RING_SLOT_SZ)
		return -1;
	a = (a - RING_BUF_OFF) / RING_SLOT_SZ;
	return a < RING_BUF_SLOTS ? (int)a : -1;
}

static void ring_dev_fetch(struct ring_h *h, struct fz *in)
{
	struct ring_chain *rc;
	uint32_t cap = 1 + fz_below(in, RING_SEG_MAX);
	bool broken = vq_dev_broken(h->dev);
	int r;

	if (h->nheld >= h->cfg.num) {
		/* the engine holds every descriptor: nothing more to take */
		struct ring_chain tmp = { .c = { .seg = tmp.seg, .seg_cap = RING_SEG_MAX } };

		ring_dev_begin(h);
		r = vq_dev_fetch(h->dev, &tmp.c);
		ring_dev_end(h);
		FUZZ_CHECK(r == (broken ? -EIO : 0));
		return;
	}
	rc = &h->held[h->nheld];
	memset(rc, 0, sizeof(*rc));
	rc->c.seg = rc->seg;
	rc->c.seg_cap = cap;
	rc->token = -1;
	ring_dev_begin(h);
	r = vq_dev_fetch(h->dev, &rc->c);
	ring_dev_end(h);
	if (h->print)
		fprintf(stderr, "  fetch -> %d id %u ndesc %u nseg %u out %u in %u%s\n", r,
			rc->c.id, rc->c.ndesc, rc->c.nseg, rc->c.out_len, rc->c.in_len,
			vq_dev_broken(h->dev) ? vq_violation_name(vq_dev_violation(h->dev)) : "");
	FUZZ_CHECK(r == 1 || r == 0 || r == -EMSGSIZE || r == -EIO);
	FUZZ_CHECK((r == -EIO) == vq_dev_broken(h->dev));
	if (broken)
		FUZZ_CHECK(r == -EIO);
	ring_check_broken(h);
	if (r == 0 || r == -EIO)
		return;
	ring_check_chain(h, &rc->c, r);
	rc->msgsize = r == -EMSGSIZE;
	/* clean mode: the chain is the driver's buffer, segment for segment */
	if (h->clean && r == 1) {
		rc->token = ring_find_token(&rc->c);
		FUZZ_CHECK(rc->token >= 0 && h->buf_busy[rc->token]);
		FUZZ_CHECK(rc->c.in_len == h->buf_in_len[rc->token]);
	} else if (h->clean) {
		/* no segments to tell which buffer it is: stop the token check */
		h->clean = false;
	}
	h->nheld++;
	h->held_desc += rc->c.ndesc;
	h->dev_taken++;
	ring_check_positions(h);
}

static struct ring_chain *ring_pick(struct ring_h *h, struct fz *in, uint32_t *idx)
{
	if (!h->nheld)
		return NULL;
	*idx = fz_u8(in) % h->nheld;
	return &h->held[*idx];
}

static void ring_dev_rw(struct ring_h *h, struct fz *in)
{
	uint32_t i, off, len;
	struct ring_chain *rc = ring_pick(h, in, &i);
	bool write, broken = vq_dev_broken(h->dev);
	uint8_t how;
	int r;

	if (!rc)
		return;
	how = fz_u8(in);
	write = how & 1;
	off = how & 2 ? fz_u16(in) : 0;
	len = fz_u16(in) % (sizeof(h->scratch) + 1);
	if (write)
		memset(h->scratch, how, len);
	ring_dev_begin(h);
	r = write ? vq_dev_write(h->dev, &rc->c, off, h->scratch, len)
		  : vq_dev_read(h->dev, &rc->c, off, h->scratch, len);
	ring_dev_end(h);
	if (broken) {
		FUZZ_CHECK(r == -EIO);
		return;
	}
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -EIO);
	FUZZ_CHECK((r == -EIO) == vq_dev_broken(h->dev));
	ring_check_broken(h);
	if (r == 0 && write && off <= rc->written && off + len > rc->written)
		rc->written = off + len;
	if (rc->msgsize)
		FUZZ_CHECK(r != 0 || len == 0 || broken);
}

static void ring_dev_push(struct ring_h *h, struct fz *in)
{
	uint32_t i;
	struct ring_chain *rc = ring_pick(h, in, &i);
	bool in_order = h->cfg.features & (1ULL << VIRTIO_F_IN_ORDER);
	bool broken = vq_dev_broken(h->dev);
	uint32_t len;
	int r;

	if (!rc)
		return;
	/* a well-behaved device pushes the oldest with IN_ORDER */
	if (in_order && !(fz_u8(in) & 0x80)) {
		i = 0;
		rc = &h->held[0];
	}
	len = rc->msgsize ? 0 : rc->written;
	ring_dev_begin(h);
	r = vq_dev_push(h->dev, &rc->c, len);
	ring_dev_end(h);
	if (h->print)
		fprintf(stderr, "  push held[%u] id %u ndesc %u len %u -> %d (held %u staged %u)\n",
			i, rc->c.id, rc->c.ndesc, len, r, h->nheld, h->staged);
	if (broken) {
		FUZZ_CHECK(r == -EIO);
		return;
	}
	if (in_order && i != 0 && rc->c.id != h->held[0].c.id) {
		FUZZ_CHECK(r == -EINVAL);
		return;
	}
	/* a driver that exposed more than num buffers in flight fills the staging
	 * (the device models fail the queue then) */
	if (h->staged >= h->cfg.num) {
		FUZZ_CHECK(r == -EINVAL && !h->clean);
		return;
	}
	FUZZ_CHECK(r == 0);
	if (rc->token >= 0)
		h->pushed_len[rc->token] = len;
	h->staged++;
	h->staged_desc += rc->c.ndesc;
	h->held_desc -= rc->c.ndesc;
	memmove(&h->held[i], &h->held[i + 1], (h->nheld - i - 1) * sizeof(*rc));
	h->nheld--;
	for (uint32_t k = i; k < h->nheld; k++)
		h->held[k].c.seg = h->held[k].seg;
	ring_check_positions(h);
}

static void ring_dev_flush(struct ring_h *h)
{
	bool broken = vq_dev_broken(h->dev);
	int r;

	ring_dev_begin(h);
	r = vq_dev_flush(h->dev);
	ring_dev_end(h);
	if (broken) {
		FUZZ_CHECK(r == -EIO);
		return;
	}
	FUZZ_CHECK(r == 0 || r == -EIO);
	FUZZ_CHECK((r == -EIO) == vq_dev_broken(h->dev));
	ring_check_broken(h);
	if (r)
		return;
	h->staged = h->staged_desc = 0;
	ring_check_positions(h);
	ring_dev_begin(h);
	r = vq_dev_need_interrupt(h->dev);
	ring_dev_end(h);
	FUZZ_CHECK(r == 0 || r == 1 || r == -EIO);
	FUZZ_CHECK((r == -EIO) == vq_dev_broken(h->dev));
	ring_check_broken(h);
	if (r == 1)
		vq_obs_notify(h->obs, VQ_ACTOR_DEVICE);
}

static void ring_dev_notify(struct ring_h *h, struct fz *in)
{
	uint8_t how = fz_u8(in) % 3;

	/* the device changes its kick suppression while a publish waits for the
	 * driver's kick decision */
	if (h->unkicked && how != 2)
		h->kick_race = true;
	if (h->print)
		fprintf(stderr, "  %s\n", how == 0 ? "disable" : how == 1 ? "enable" : "pending");
	ring_dev_begin(h);
	if (how == 0)
		vq_dev_disable_notify(h->dev);
	else if (how == 1)
		(void)vq_dev_enable_notify(h->dev);
	else
		(void)vq_dev_pending(h->dev);
	ring_dev_end(h);
	ring_check_broken(h);
}

/* A queue start state as a restore gives it: nothing in flight. */
static void ring_decode_state(struct ring_h *h, struct fz *in, struct vq_state *st)
{
	uint16_t idx = fz_u16(in);

	vq_state_init(st);
	if (h->packed) {
		st->avail_idx = st->used_idx = (uint16_t)(idx % h->cfg.num);
		st->avail_wrap = st->used_wrap = !(idx & 0x8000);
	} else {
		st->avail_idx = st->used_idx = idx;
	}
}

static void ring_forget_device(struct ring_h *h)
{
	h->nheld = h->staged = h->staged_desc = h->held_desc = 0;
	h->dev_taken = 0;
}

/* The device alone restarts at a decoded state: the driver no longer matches. */
static void ring_dev_reset(struct ring_h *h, struct fz *in)
{
	struct vq_state st;

	ring_decode_state(h, in, &st);
	vq_dev_reset(h->dev, &st);
	vq_obs_reset(h->obs, &st);
	ring_forget_device(h);
	h->clean = false;
	FUZZ_CHECK(!vq_dev_broken(h->dev));
	ring_check_positions(h);
}

/* Per-queue reset on both sides (VIRTIO_F_RING_RESET), at a decoded state. */
static void ring_queue_reset(struct ring_h *h, struct fz *in)
{
	struct vq_state st;
	int r;

	ring_decode_state(h, in, &st);
	r = vq_drv_reset(h->drv, ring_recycle, h, &st);
	FUZZ_CHECK(r == 0 || r == -EFAULT || r == -EIO);
	vq_dev_reset(h->dev, &st);
	vq_obs_reset(h->obs, &st);
	ring_forget_device(h);
	h->drv_added = h->drv_published = 0;
	h->since_kick = 0;
	if (r)
		h->clean = false;
	ring_check_positions(h);
}

/* ---- Tampering ------------------------------------------------------------------------------- */

static void ring_poke(struct ring_h *h, struct fz *in)
{
	static const unsigned widths[4] = { 1, 2, 4, 8 };
	uint8_t how = fz_u8(in);
	unsigned w = widths[how & 3];
	uint64_t base, size, off, v;

	switch ((how >> 2) & 3) {
	case 0:
		base = h->cfg.desc_addr;
		size = vq_desc_area_size(&h->cfg);
		break;
	case 1:
		base = h->cfg.driver_addr;
		size = vq_driver_area_size(&h->cfg);
		break;
	case 2:
		base = h->cfg.device_addr;
		size = vq_device_area_size(&h->cfg);
		break;
	default:
		base = RING_BASE;
		size = RING_MEM;
		break;
	}
	off = fz_u16(in) % size;
	if (how & 0x10)
		off &= ~(uint64_t)(w - 1);
	if (off + w > size)
		off = size - w;
	v = fz_uint(in, w);
	for (unsigned i = 0; i < w; i++)
		h->mem[base - RING_BASE + off + i] = (uint8_t)(v >> (8 * i));
	h->clean = false;
}

static void ring_blob(struct ring_h *h, struct fz *in)
{
	uint32_t off = fz_u16(in) % RING_MEM;
	const uint8_t *b;
	size_t n = fz_bytes(in, RING_MEM - off, &b);

	memcpy(h->mem + off, b, n);
	h->clean = false;
}

static void ring_hole(struct ring_h *h, struct fz *in)
{
	uint8_t how = fz_u8(in);
	uint64_t lo = RING_BASE + fz_u16(in) % RING_MEM;
	uint64_t len = how & 0x80 ? 1ULL + fz_u8(in) : 16ULL << (how & 7);

	h->hole_lo[how >> 6 & 1] = lo;
	h->hole_hi[how >> 6 & 1] = lo + len;
	h->clean = false;
}

/* ---- Observer ---------------------------------------------------------------------------------
 */

static void ring_obs_event(void *ctx, const struct vq_obs_event *ev)
{
	struct ring_h *h = ctx;
	const struct vq_rule_info *ri = vq_rule_info(ev->rule);

	FUZZ_CHECK(ri != NULL);
	if (h->print) {
		char buf[160];

		vq_obs_format(ev, buf, sizeof(buf));
		fprintf(stderr, "observer: %s%s%s\n", buf, h->clean ? " (clean)" : "",
			h->kick_race ? " (kick race)" : "");
	}
	/* Published, then the device turned kicks off before the driver decided on
	 * one: the driver follows the flags it reads then (Linux does too); the
	 * observer judges the kick owed at the publish (reported, sim/virtio_ring). */
	if (h->kick_race && !h->strict &&
	    (ev->rule == VQ_R_SPLIT_DRV_22 || ev->rule == VQ_R_SPLIT_DRV_24 ||
	     ev->rule == VQ_R_PACKED_DRV_X05))
		return;
	if (ri->level == VQ_MUST)
		h->must_events++;
}

/* ---- Entry ------------------------------------------------------------------------------------
 */

static int ring_fuzz_one(const uint8_t *data, size_t size, bool packed)
{
	struct vq_indirect_ops ind = { ring_ind_alloc, ring_ind_free, NULL };
	struct ring_h *h;
	struct fz in;
	uint8_t feat, nb;
	uint64_t clean_events = 0;

	h = calloc(1, sizeof(*h));
	if (!h)
		return 0;
	h->print = getenv("FUZZ_RING_PRINT") != NULL;
	h->strict = getenv("FUZZ_RING_STRICT") != NULL;
	fz_init(&in, data, size);
	feat = fz_u8(&in);
	nb = fz_u8(&in);
	h->packed = packed;
	h->cfg.features = (packed ? 1ULL << VIRTIO_F_RING_PACKED : 0) |
			  (feat & 1 ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0) |
			  (feat & 2 ? 1ULL << VIRTIO_RING_F_INDIRECT_DESC : 0) |
			  (feat & 4 ? 1ULL << VIRTIO_F_IN_ORDER : 0);
	h->cfg.num = packed ? 1u + nb : 1u << (nb % 9);
	vq_config_place(&h->cfg, RING_BASE);
	FUZZ_CHECK(vq_config_check(&h->cfg) == 0);
	FUZZ_CHECK(h->cfg.device_addr + vq_device_area_size(&h->cfg) <= RING_BASE + RING_IND_OFF);
	h->acc = (struct vq_mem){ ring_read, ring_write, h };
	h->held = calloc(h->cfg.num, sizeof(*h->held));
	h->clean = true;
	h->log_reads = true;
	FUZZ_CHECK(h->held);
	FUZZ_CHECK(vq_drv_create(&h->drv, &h->cfg, &h->acc, NULL) == 0);
	FUZZ_CHECK(vq_dev_create(&h->dev, &h->cfg, &h->acc, NULL) == 0);
	FUZZ_CHECK(vq_obs_create(&h->obs, &h->cfg, NULL, 16) == 0);
	vq_obs_set_callback(h->obs, ring_obs_event, h);
	vq_dev_set_observer(h->dev, h->obs);
	h->foreign = feat & 0x40;
	if (!h->foreign)
		vq_drv_set_observer(h->drv, h->obs);
	if ((feat & 8) && (feat & 2)) {
		ind.ctx = h;
		vq_drv_set_indirect(h->drv, &ind, 1 + (feat >> 4 & 3));
	}
	for (int op = 0; op < RING_MAX_OPS && !fz_done(&in); op++) {
		static const char *const names[16] = {
		    "add",   "add",    "publish",   "collect",	  "poke", "blob",
		    "hole",  "fetch",  "fetch",	    "rw",	  "push", "push",
		    "flush", "notify", "dev_reset", "queue_reset"};
		uint32_t code = fz_below(&in, 16);

		if (h->print)
			fprintf(stderr, "op %d: %s%s\n", op, names[code],
				h->clean ? "" : " (tampered)");
		switch (code) {
		case 0:
		case 1:
			ring_drv_add(h, &in);
			break;
		case 2:
			ring_drv_publish(h, fz_bool(&in));
			break;
		case 3:
			ring_drv_collect(h, &in);
			break;
		case 4:
			ring_poke(h, &in);
			break;
		case 5:
			ring_blob(h, &in);
			break;
		case 6:
			ring_hole(h, &in);
			break;
		case 7:
		case 8:
			ring_dev_fetch(h, &in);
			break;
		case 9:
			ring_dev_rw(h, &in);
			break;
		case 10:
		case 11:
			ring_dev_push(h, &in);
			break;
		case 12:
			ring_dev_flush(h);
			break;
		case 13:
			ring_dev_notify(h, &in);
			break;
		case 14:
			ring_dev_reset(h, &in);
			break;
		default:
			ring_queue_reset(h, &in);
			break;
		}
		if (h->clean)
			clean_events = h->must_events;
	}
	/* a conforming driver kicks for what it published before going quiet */
	if (h->clean)
		ring_drv_publish(h, true);
	vq_obs_sync(h->obs);
	if (h->clean)
		clean_events = h->must_events;
	/* a conforming driver and a well-behaved device: the observer agrees */
	if (!h->foreign || h->strict)
		FUZZ_CHECK(clean_events == 0);
	vq_obs_free(h->obs);
	vq_dev_free(h->dev);
	vq_drv_free(h->drv);
	free(h->held);
	free(h);
	return 0;
}

#endif
