// SPDX-License-Identifier: MIT
/*
 * vhost_vdpa (stack/vhost_vdpa) over the vdpa test device (stack/vdpa_testdev):
 * arbitrary sequences of ioctl(2) -- the <linux/vhost.h> request numbers with
 * decoded arguments, any other number, NULL arguments -- and write(2) of IOTLB
 * messages (struct vhost_msg and vhost_msg_v2 with any type, asid, iova, size,
 * uaddr and perm, short writes), eventfds opened, closed and signalled, doorbell
 * mmaps, close and re-open, and simulated time so that the device's datapath
 * (loopback) runs on whatever rings the input laid out in host memory.
 *
 * Input: byte 0 picks the device: DMA style (set_map, dma_map, platform IOMMU,
 * platform without a usable DMA device), minimal optional ops (no suspend,
 * resume, groups, reset_map...), use_va, datapath on, a narrow IOVA range, no
 * compat_reset/reset_map; byte 1 the queue pairs (1..4).  Then up to
 * VHV_MAX_OPS operations, one byte each plus arguments.
 *
 * Oracles (beyond the sanitizers):
 *  - every return value is from the kernel's set for that call, and in the
 *    kernel's order: -EPERM before anything for owner-only requests without an
 *    owner, -ENOBUFS for a vring index >= nvqs, -EBUSY for SET_OWNER twice and
 *    SET_FEATURES after FEATURES_OK, -EINVAL for SET_STATUS clearing bits,
 *    -EOPNOTSUPP for SUSPEND/RESUME without the parent op; GET_FEATURES and
 *    GET_VQS_COUNT tell the device's values; write() returns the message size,
 *    -EINVAL or -EFAULT;
 *  - IOTLB: an UPDATE that passes the range checks fails with -EEXIST exactly
 *    when it overlaps a map; after a successful UPDATE its range is mapped, after
 *    a successful INVALIDATE nothing overlaps it; maps never overlap and are
 *    page-granular (not use_va); pinned pages add up; the parent's own table
 *    (dma_map, set_map outside a batch, the platform IOMMU domain) equals
 *    vhost's, except after a reset that told the parent to drop its maps;
 *  - the datapath: a queue that met a malformed ring leaves NEEDS_RESET set in
 *    the status; engine events per simulated time stay bounded;
 *  - close resets the device (status 0, queues not ready, callbacks removed,
 *    IOMMU domain freed, incremental maps removed) and the device opens again.
 */
#include "sim/engine/engine.h"
#include "stack/vdpa_bus/vdpa_bus.h"
#include "stack/vdpa_testdev/vdpa_testdev.h"
#include "stack/vhost_vdpa/vhost_vdpa.h"
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <sys/mman.h>

#define VHV_MAX_OPS 200
#define HOST_PA 0x100000ULL
#define HOST_SIZE (64u * 1024)
#define NEVFD 6
#define ARENA 4096

struct model_map {
	uint64_t start, last;
};

struct h {
	struct sim *sim;
	struct vtd_config cfg;
	struct vtd *d;
	struct vhv_file *f;
	uint8_t host[HOST_SIZE];
	struct vq_plain_mem pm;
	struct vdpa_evfd *evfd[NEVFD];
	uint8_t arena[ARENA];
	uint32_t nvqs, nas;
	bool owner;
	bool in_batch;
	uint32_t batch_asid;
	uint64_t acked_backend;
	bool parent_stale[4]; /* a reset told the parent to drop its maps (per asid) */
	bool has_suspend, has_resume;
	bool datapath;
	bool print; /* FUZZ_VHV_PRINT: trace the calls */
};

static const unsigned long known_requests[] = {
	VHOST_GET_FEATURES,
	VHOST_SET_FEATURES,
	VHOST_SET_OWNER,
	VHOST_RESET_OWNER,
	VHOST_SET_MEM_TABLE,
	VHOST_SET_LOG_BASE,
	VHOST_SET_LOG_FD,
	VHOST_SET_VRING_NUM,
	VHOST_SET_VRING_ADDR,
	VHOST_SET_VRING_BASE,
	VHOST_GET_VRING_BASE,
	VHOST_SET_VRING_ENDIAN,
	VHOST_GET_VRING_ENDIAN,
	VHOST_SET_VRING_KICK,
	VHOST_SET_VRING_CALL,
	VHOST_SET_VRING_ERR,
	VHOST_SET_VRING_BUSYLOOP_TIMEOUT,
	VHOST_GET_VRING_BUSYLOOP_TIMEOUT,
	VHOST_SET_BACKEND_FEATURES,
	VHOST_GET_BACKEND_FEATURES,
	VHOST_VDPA_GET_DEVICE_ID,
	VHOST_VDPA_GET_STATUS,
	VHOST_VDPA_SET_STATUS,
	VHOST_VDPA_GET_CONFIG,
	VHOST_VDPA_SET_CONFIG,
	VHOST_VDPA_SET_VRING_ENABLE,
	VHOST_VDPA_GET_VRING_NUM,
	VHOST_VDPA_SET_CONFIG_CALL,
	VHOST_VDPA_GET_IOVA_RANGE,
	VHOST_VDPA_GET_CONFIG_SIZE,
	VHOST_VDPA_GET_VQS_COUNT,
	VHOST_VDPA_GET_GROUP_NUM,
	VHOST_VDPA_GET_AS_NUM,
	VHOST_VDPA_GET_VRING_GROUP,
	VHOST_VDPA_GET_VRING_DESC_GROUP,
	VHOST_VDPA_SET_GROUP_ASID,
	VHOST_VDPA_SUSPEND,
	VHOST_VDPA_RESUME,
	VHOST_NET_SET_BACKEND, /* not vhost-vdpa's: a vring-path request it does not know */
};
#define NKNOWN (sizeof(known_requests) / sizeof(known_requests[0]))

/* Requests vhost_vdpa handles itself, before the owner check. */
static bool device_level(unsigned long req)
{
	switch (req) {
	case VHOST_SET_BACKEND_FEATURES:
	case VHOST_VDPA_GET_DEVICE_ID:
	case VHOST_VDPA_GET_STATUS:
	case VHOST_VDPA_SET_STATUS:
	case VHOST_VDPA_GET_CONFIG:
	case VHOST_VDPA_SET_CONFIG:
	case VHOST_GET_FEATURES:
	case VHOST_SET_FEATURES:
	case VHOST_VDPA_GET_VRING_NUM:
	case VHOST_VDPA_GET_GROUP_NUM:
	case VHOST_VDPA_GET_AS_NUM:
	case VHOST_SET_LOG_BASE:
	case VHOST_SET_LOG_FD:
	case VHOST_VDPA_SET_CONFIG_CALL:
	case VHOST_GET_BACKEND_FEATURES:
	case VHOST_VDPA_GET_IOVA_RANGE:
	case VHOST_VDPA_GET_CONFIG_SIZE:
	case VHOST_VDPA_GET_VQS_COUNT:
	case VHOST_VDPA_SUSPEND:
	case VHOST_VDPA_RESUME:
		return true;
	default:
		return false;
	}
}

static bool errno_ok(long r)
{
	switch (-r) {
	case 0:
	case EFAULT:
	case EINVAL:
	case EPERM:
	case EBUSY:
	case ENOBUFS:
	case ENOTTY:
	case EOPNOTSUPP:
	case E2BIG:
	case EIO:
	case ENOMEM:
	case EBADF: /* an eventfd argument that is not an open fd */
	case VHV_ENOTSUPP:
		return true;
	default:
		return false;
	}
}

/* ---- host memory and eventfds ------------------------------------------------------------ */

static int pick_fd(struct h *h, struct fz *in)
{
	uint8_t b = fz_u8(in);

	if (b < 0xc0 && h->evfd[b % NEVFD])
		return vdpa_evfd_fd(h->evfd[b % NEVFD]);
	if (b < 0xe0)
		return VHOST_FILE_UNBIND;
	if (b < 0xf0)
		return vhv_fd(h->f); /* not an eventfd */
	return (int)(int8_t)fz_u8(in);
}

static void evfd_op(struct h *h, struct fz *in)
{
	uint8_t b = fz_u8(in);
	struct vdpa_evfd **e = &h->evfd[b % NEVFD];
	uint64_t v;

	switch (b >> 6) {
	case 0: /* close / create */
		if (*e) {
			FUZZ_CHECK(vdpa_evfd_close(*e) == 0);
			*e = NULL;
		} else {
			FUZZ_CHECK(vdpa_evfd_create(h->sim, e) >= 0);
		}
		break;
	case 1: /* the guest kicks: eventfd write, vhost's poll runs kick_vq */
	case 2:
		if (*e) {
			int r = vdpa_evfd_write(*e, 1 + fz_below(in, 4));

			FUZZ_CHECK(r == 0 || r == -EAGAIN);
		}
		break;
	default: /* the VMM drains a call eventfd */
		if (*e) {
			int r = vdpa_evfd_read(*e, &v);

			FUZZ_CHECK(r == 0 || r == -EAGAIN);
		}
		break;
	}
}

static void poke_host(struct h *h, struct fz *in)
{
	uint32_t off = fz_u16(in) % HOST_SIZE;
	const uint8_t *b;
	size_t n = fz_bytes(in, HOST_SIZE - off, &b);

	memcpy(h->host + off, b, n);
}

/* ---- IOTLB checks ------------------------------------------------------------------------ */

static const struct vdpa_iotlb *tlb_of(struct h *h, uint32_t asid)
{
	return vhv_iotlb(h->f, asid);
}

static bool tlb_overlaps(const struct vdpa_iotlb *t, uint64_t start, uint64_t last)
{
	if (!t)
		return false;
	for (size_t i = 0; i < t->nmaps; i++)
		if (t->maps[i].start <= last && t->maps[i].last >= start)
			return true;
	return false;
}

/* Every byte of [start, last] is in some map (maps are sorted and disjoint). */
static bool tlb_covers(const struct vdpa_iotlb *t, uint64_t start, uint64_t last)
{
	uint64_t next = start;

	if (!t)
		return false;
	for (size_t i = 0; i < t->nmaps; i++) {
		if (t->maps[i].last < next || t->maps[i].start > next)
			continue;
		if (t->maps[i].last >= last)
			return true;
		next = t->maps[i].last + 1;
	}
	return false;
}

static void tlb_print(const char *what, const struct vdpa_iotlb *t)
{
	fprintf(stderr, "  %s:", what);
	for (size_t i = 0; t && i < t->nmaps; i++)
		fprintf(stderr, " [0x%llx-0x%llx]->0x%llx/%u", (unsigned long long)t->maps[i].start,
			(unsigned long long)t->maps[i].last, (unsigned long long)t->maps[i].addr,
			t->maps[i].perm);
	fprintf(stderr, "\n");
}

static bool tlb_equal(const struct vdpa_iotlb *a, const struct vdpa_iotlb *b)
{
	size_t na = a ? a->nmaps : 0, nb = b ? b->nmaps : 0;

	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		const struct vdpa_iotlb_map *x = &a->maps[i], *y = &b->maps[i];

		if (x->start != y->start || x->last != y->last || x->addr != y->addr ||
		    x->perm != y->perm)
			return false;
	}
	return true;
}

/* vhost's table of an address space is what the parent translates with. */
static void check_same(struct h *h, const struct vdpa_iotlb *vhost, const struct vdpa_iotlb *parent)
{
	if (tlb_equal(vhost, parent))
		return;
	if (h->print) {
		tlb_print("vhost ", vhost);
		tlb_print("parent", parent);
	}
	FUZZ_CHECK(tlb_equal(vhost, parent));
}

static void check_iotlbs(struct h *h)
{
	uint64_t pages = 0;

	for (uint32_t asid = 0; asid < h->nas; asid++) {
		const struct vdpa_iotlb *t = tlb_of(h, asid);

		for (size_t i = 0; t && i < t->nmaps; i++) {
			const struct vdpa_iotlb_map *m = &t->maps[i];

			FUZZ_CHECK(m->start <= m->last && m->size == m->last - m->start + 1);
			if (i)
				FUZZ_CHECK(t->maps[i - 1].last < m->start);
			if (!h->cfg.use_va) {
				FUZZ_CHECK(m->start % VHV_PAGE_SIZE == 0 &&
					   (m->last + 1) % VHV_PAGE_SIZE == 0);
				pages += m->size / VHV_PAGE_SIZE;
			}
		}
		/* the parent translates what vhost recorded */
		if (h->parent_stale[asid] || h->in_batch)
			continue;
		if (h->cfg.map_mode == VTD_MAP_PLATFORM) {
			if (asid == 0)
				check_same(h, t, vtd_iotlb(h->d, 0));
		} else {
			check_same(h, t, vtd_iotlb(h->d, asid));
		}
	}
	if (!h->cfg.use_va)
		FUZZ_CHECK(vhv_pinned_pages(h->f) == pages);
}

/* ---- IOTLB messages ---------------------------------------------------------------------- */

/* The range vhost checks UPDATEs against, as user space reads it. */
static void iova_range(struct h *h, uint64_t *first, uint64_t *last)
{
	struct vhost_vdpa_iova_range r;

	FUZZ_CHECK(vhv_ioctl(h->f, VHOST_VDPA_GET_IOVA_RANGE, &r) == 0);
	*first = r.first;
	*last = r.last;
}

static uint64_t pick_iova(struct fz *in)
{
	uint8_t b = fz_u8(in);

	if (b < 0xc0)
		return (uint64_t)(b & 0x1f) * 0x1000 + (b & 0x20 ? 0x800 : 0);
	if (b < 0xf0)
		return fz_u64(in);
	return UINT64_MAX - fz_u16(in);
}

static uint64_t pick_size(struct fz *in)
{
	uint8_t b = fz_u8(in);

	if (b < 0xc0)
		return (uint64_t)(b & 0x1f) * 0x800;
	if (b < 0xf0)
		return fz_u64(in);
	return UINT64_MAX - fz_u16(in);
}

static void iotlb_msg(struct h *h, struct fz *in)
{
	static const uint8_t types[] = { VHOST_IOTLB_UPDATE, VHOST_IOTLB_INVALIDATE,
					 VHOST_IOTLB_BATCH_BEGIN, VHOST_IOTLB_BATCH_END,
					 VHOST_IOTLB_MISS, VHOST_IOTLB_ACCESS_FAIL };
	uint8_t how = fz_u8(in);
	bool v2 = !(how & 0x80);
	struct vhost_iotlb_msg m = { 0 };
	uint32_t asid = 0, eff_asid;
	uint8_t buf[sizeof(struct vhost_msg_v2) + sizeof(struct vhost_msg)];
	size_t len;
	uint64_t last, first, rlast;
	bool range_ok, had_overlap = false, asid_ok, precheck;
	const struct vdpa_iotlb *t;
	ssize_t r;
	int err;

	m.type = how & 8 ? fz_u8(in) : types[how % 6];
	if (how & 0x40)
		asid = fz_u8(in) % 4;
	m.iova = pick_iova(in);
	m.size = pick_size(in);
	m.uaddr = fz_bool(in) ? fz_u64(in) : HOST_PA + (m.iova & 0xffff);
	m.perm = (uint8_t)(1 + fz_below(in, 3));
	if (how & 0x10)
		m.perm = fz_u8(in);
	memset(buf, 0, sizeof(buf));
	if (v2) {
		struct vhost_msg_v2 msg = { .type = VHOST_IOTLB_MSG_V2, .asid = asid, .iotlb = m };

		memcpy(buf, &msg, sizeof(msg));
		len = sizeof(msg);
	} else {
		struct vhost_msg msg = { .type = VHOST_IOTLB_MSG, .iotlb = m };

		memcpy(buf, &msg, sizeof(msg));
		len = sizeof(msg);
	}
	if (how & 0x20)
		len = fz_below(in, (uint32_t)len + 1);
	/* what the handler will see */
	eff_asid = v2 && (h->acked_backend & (1ULL << VHOST_BACKEND_F_IOTLB_ASID)) ? asid : 0;
	last = m.iova + m.size - 1;
	iova_range(h, &first, &rlast);
	range_ok = m.size && m.iova <= UINT64_MAX - m.size + 1 && m.iova >= first &&
		   last <= rlast;
	t = tlb_of(h, eff_asid);
	if (range_ok)
		had_overlap = tlb_overlaps(t, m.iova, last);
	asid_ok = eff_asid < h->nas && (!h->in_batch || h->batch_asid == eff_asid);
	precheck = h->owner && asid_ok;

	r = vhv_write(h->f, buf, len);
	err = vhv_last_msg_error(h->f);
	if (h->print)
		fprintf(stderr,
			"write v%d len %zu type %u asid %u iova 0x%llx size 0x%llx uaddr 0x%llx "
			"perm %u -> %zd (handler %d)\n",
			v2 ? 2 : 1, len, m.type, asid, (unsigned long long)m.iova,
			(unsigned long long)m.size, (unsigned long long)m.uaddr, m.perm, r, err);
	FUZZ_CHECK(r == (ssize_t)(v2 ? sizeof(struct vhost_msg_v2) : sizeof(struct vhost_msg)) ||
		   r == -EINVAL || r == -EFAULT);
	if (r == -EINVAL)
		return; /* rejected before the handler */
	if (r == -EFAULT) {
		FUZZ_CHECK(err < 0);
		if (!h->owner)
			FUZZ_CHECK(err == -EPERM);
	} else {
		FUZZ_CHECK(err == 0 && h->owner);
	}
	switch (m.type) {
	case VHOST_IOTLB_UPDATE:
		if (precheck && range_ok)
			FUZZ_CHECK((err == -EEXIST) == had_overlap);
		if (r > 0) {
			FUZZ_CHECK(range_ok && !had_overlap);
			FUZZ_CHECK(tlb_covers(tlb_of(h, eff_asid), m.iova, last));
			if (h->cfg.map_mode == VTD_MAP_SET_MAP && !h->in_batch)
				h->parent_stale[eff_asid] = false;
		}
		break;
	case VHOST_IOTLB_INVALIDATE:
		if (r > 0) {
			if (m.iova <= last)
				FUZZ_CHECK(!tlb_overlaps(tlb_of(h, eff_asid), m.iova, last));
			if (h->cfg.map_mode == VTD_MAP_SET_MAP && !h->in_batch)
				h->parent_stale[eff_asid] = false;
		}
		break;
	case VHOST_IOTLB_BATCH_BEGIN:
		if (r > 0) {
			h->in_batch = true;
			h->batch_asid = eff_asid;
		}
		break;
	case VHOST_IOTLB_BATCH_END:
		if (r > 0) {
			if (h->in_batch && h->cfg.map_mode == VTD_MAP_SET_MAP)
				h->parent_stale[eff_asid] = false;
			h->in_batch = false;
		}
		break;
	default:
		FUZZ_CHECK(r == -EFAULT && (err == -EINVAL || err == -EPERM));
		break;
	}
}

/* ---- ioctls -------------------------------------------------------------------------------- */

static void fill_arena(struct h *h, struct fz *in)
{
	const uint8_t *b;
	size_t n = fz_bytes(in, 64, &b);

	memset(h->arena, 0, sizeof(h->arena));
	memcpy(h->arena, b, n);
}

static uint32_t pick_index(struct h *h, struct fz *in)
{
	uint8_t b = fz_u8(in);

	if (b < 0xe0)
		return b % (h->nvqs + 1);
	return fz_u32(in);
}

/* Decode a well-typed argument for a known request into the arena. */
static void typed_arg(struct h *h, unsigned long req, struct fz *in)
{
	memset(h->arena, 0, sizeof(h->arena));
	switch (req) {
	case VHOST_SET_FEATURES:
	case VHOST_SET_BACKEND_FEATURES: {
		/* mostly what is offered minus a few bits, sometimes anything */
		uint64_t v = req == VHOST_SET_FEATURES ? vtd_device_features(h->d) : 0x1ffULL;
		uint8_t b = fz_u8(in);

		if (b & 1)
			v = fz_u64(in);
		else
			v &= ~((uint64_t)fz_u8(in) << (b >> 1) % 57);
		memcpy(h->arena, &v, sizeof(v));
		break;
	}
	case VHOST_VDPA_SET_STATUS:
	case VHOST_VDPA_SET_CONFIG_CALL: {
		if (req == VHOST_VDPA_SET_CONFIG_CALL) {
			int fd = pick_fd(h, in);

			memcpy(h->arena, &fd, sizeof(fd));
		} else {
			h->arena[0] = fz_u8(in);
		}
		break;
	}
	case VHOST_VDPA_GET_CONFIG:
	case VHOST_VDPA_SET_CONFIG: {
		struct vhost_vdpa_config c;

		c.off = fz_u8(in) % 40;
		c.len = fz_u8(in) % 40;

		if (fz_u8(in) == 0xff)
			c.len = fz_u32(in);
		memcpy(h->arena, &c, offsetof(struct vhost_vdpa_config, buf));
		for (unsigned i = 0; i < 40; i++)
			h->arena[offsetof(struct vhost_vdpa_config, buf) + i] = (uint8_t)(i * 7);
		break;
	}
	case VHOST_SET_MEM_TABLE: {
		struct vhost_memory mem;
		struct vhost_memory_region reg;

		mem.nregions = fz_below(in, 4);
		mem.padding = fz_u8(in) == 1;

		if (fz_u8(in) == 0xff)
			mem.nregions = fz_u32(in);
		memcpy(h->arena, &mem, offsetof(struct vhost_memory, regions));
		for (uint32_t i = 0; i < 4; i++) {
			reg.guest_phys_addr = pick_iova(in);
			reg.memory_size = pick_size(in);
			reg.userspace_addr = HOST_PA;
			reg.flags_padding = 0;
			memcpy(h->arena + offsetof(struct vhost_memory, regions) + i * sizeof(reg),
			       &reg, sizeof(reg));
		}
		break;
	}
	case VHOST_SET_VRING_ADDR: {
		struct vhost_vring_addr a = { .index = pick_index(h, in) };

		a.desc_user_addr = (uint64_t)fz_below(in, 16) * 0x1000;
		a.avail_user_addr = a.desc_user_addr + fz_u16(in) % 0x1000;
		a.used_user_addr = a.desc_user_addr + fz_u16(in) % 0x1000;
		a.flags = fz_u8(in) == 0xff ? fz_u32(in) : 0;
		a.log_guest_addr = 0;
		memcpy(h->arena, &a, sizeof(a));
		break;
	}
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
	case VHOST_SET_VRING_ERR:
	case VHOST_NET_SET_BACKEND: {
		struct vhost_vring_file vf = { .index = pick_index(h, in) };

		vf.fd = pick_fd(h, in);
		memcpy(h->arena, &vf, sizeof(vf));
		break;
	}
	default: { /* the vring_state shaped ones, and the getters */
		struct vhost_vring_state s = { .index = pick_index(h, in) };
		uint8_t b = fz_u8(in);

		if (b < 0x80)
			s.num = 1u << (b % 10);
		else if (b < 0xc0)
			s.num = b & 1;
		else
			s.num = fz_u32(in);
		memcpy(h->arena, &s, sizeof(s));
		break;
	}
	}
}

static void check_ioctl(struct h *h, unsigned long req, const void *arg, long r,
			uint8_t status_before)
{
	FUZZ_CHECK(errno_ok(r));
	if (req == VHOST_SET_OWNER) {
		FUZZ_CHECK(r == (h->owner ? -EBUSY : 0));
		h->owner = true;
		return;
	}
	if (!device_level(req) && !h->owner) {
		/* vhost_dev_ioctl: the owner first */
		FUZZ_CHECK(r == -EPERM);
		return;
	}
	if (!device_level(req) && req != VHOST_SET_MEM_TABLE) {
		uint32_t idx;

		if (!arg) {
			FUZZ_CHECK(r == -EFAULT);
			return;
		}
		memcpy(&idx, arg, sizeof(idx));
		if (idx >= h->nvqs) {
			FUZZ_CHECK(r == -ENOBUFS);
			return;
		}
	}
	switch (req) {
	case VHOST_GET_FEATURES:
		if (arg) {
			uint64_t v;

			memcpy(&v, arg, sizeof(v));
			FUZZ_CHECK(r == 0 && v == vtd_device_features(h->d));
		}
		break;
	case VHOST_VDPA_GET_VQS_COUNT:
		if (arg) {
			uint32_t v;

			memcpy(&v, arg, sizeof(v));
			FUZZ_CHECK(r == 0 && v == h->nvqs);
		}
		break;
	case VHOST_SET_FEATURES:
		if (status_before & VIRTIO_CONFIG_S_FEATURES_OK)
			FUZZ_CHECK(r == -EBUSY);
		break;
	case VHOST_VDPA_SET_STATUS:
		if (arg) {
			uint8_t s = *(const uint8_t *)arg;

			if (s && (status_before & ~s))
				FUZZ_CHECK(r == -EINVAL);
			if (r == 0 && s == 0 && h->cfg.has_compat_reset &&
			    h->cfg.map_mode != VTD_MAP_PLATFORM &&
			    !(h->acked_backend & (1ULL << VHOST_BACKEND_F_IOTLB_PERSIST)))
				memset(h->parent_stale, 1, sizeof(h->parent_stale));
		}
		break;
	case VHOST_VDPA_SUSPEND:
		if (!h->has_suspend)
			FUZZ_CHECK(r == -EOPNOTSUPP);
		break;
	case VHOST_VDPA_RESUME:
		if (!h->has_resume)
			FUZZ_CHECK(r == -EOPNOTSUPP);
		break;
	case VHOST_SET_BACKEND_FEATURES:
		if (r == 0 && arg)
			memcpy(&h->acked_backend, arg, sizeof(h->acked_backend));
		break;
	case VHOST_SET_LOG_BASE:
	case VHOST_SET_LOG_FD:
		FUZZ_CHECK(r == -ENOTTY);
		break;
	default:
		break;
	}
}

static uint8_t dev_status(struct h *h)
{
	return vtd_status(h->d);
}

static void do_ioctl(struct h *h, unsigned long req, void *arg)
{
	uint8_t before = dev_status(h);
	long r = vhv_ioctl(h->f, req, arg);

	if (h->print) {
		uint32_t a0 = 0, a1 = 0;

		if (arg == h->arena) {
			memcpy(&a0, arg, 4);
			memcpy(&a1, (const uint8_t *)arg + 4, 4);
		}
		fprintf(stderr, "ioctl 0x%lx %s(0x%x 0x%x) -> %ld\n", req, arg ? "" : "NULL ", a0,
			a1, r);
	}

	check_ioctl(h, req, arg, r, before);
}

static void known_ioctl(struct h *h, struct fz *in)
{
	unsigned long req = known_requests[fz_below(in, NKNOWN)];
	bool null = fz_u8(in) == 0xff;

	typed_arg(h, req, in);
	do_ioctl(h, req, null ? NULL : h->arena);
}

static void raw_ioctl(struct h *h, struct fz *in)
{
	uint8_t how = fz_u8(in);
	unsigned long req;

	if (how & 1) /* a vhost number with a wrong size or direction */
		req = (fz_u32(in) & 0xc0ff00ff) | (VHOST_VIRTIO << 8);
	else
		req = fz_u32(in);
	fill_arena(h, in);
	do_ioctl(h, req, how & 2 ? NULL : h->arena);
}

/* What a VMM does to start the device: owner, features, rings in the first
 * 64 KiB of IOVA mapped onto host memory, call/kick eventfds, DRIVER_OK. */
static void bring_up(struct h *h, struct fz *in)
{
	uint8_t how = fz_u8(in);
	uint64_t feat = vtd_device_features(h->d);
	uint8_t status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	uint64_t backend = (1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |
			   (1ULL << VHOST_BACKEND_F_IOTLB_BATCH);
	struct vhost_msg_v2 m = { .type = VHOST_IOTLB_MSG_V2 };

	if (how & 0x80)
		feat &= ~(1ULL << VIRTIO_F_RING_PACKED);
	do_ioctl(h, VHOST_SET_OWNER, NULL);
	do_ioctl(h, VHOST_SET_BACKEND_FEATURES, &backend);
	do_ioctl(h, VHOST_SET_FEATURES, &feat);
	do_ioctl(h, VHOST_VDPA_SET_STATUS, &status);
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	do_ioctl(h, VHOST_VDPA_SET_STATUS, &status);
	m.iotlb.type = VHOST_IOTLB_UPDATE;
	m.iotlb.iova = 0;
	m.iotlb.size = HOST_SIZE;
	m.iotlb.uaddr = HOST_PA;
	m.iotlb.perm = VHOST_ACCESS_RW;
	(void)vhv_write(h->f, &m, sizeof(m));
	for (uint32_t i = 0; i < h->nvqs && i < 4; i++) {
		struct vhost_vring_state s = { i, 1u << (how % 5 + 2) };
		struct vhost_vring_addr a = { .index = i };
		struct vhost_vring_file vf = { .index = i };

		a.desc_user_addr = 0x4000ULL * i;
		a.avail_user_addr = a.desc_user_addr + 0x1000;
		a.used_user_addr = a.desc_user_addr + 0x2000;
		do_ioctl(h, VHOST_SET_VRING_NUM, &s);
		do_ioctl(h, VHOST_SET_VRING_ADDR, &a);
		s.num = 0;
		do_ioctl(h, VHOST_SET_VRING_BASE, &s);
		if (h->evfd[i % NEVFD]) {
			vf.fd = vdpa_evfd_fd(h->evfd[i % NEVFD]);
			do_ioctl(h, VHOST_SET_VRING_KICK, &vf);
			do_ioctl(h, VHOST_SET_VRING_CALL, &vf);
		}
		s.num = 1;
		do_ioctl(h, VHOST_VDPA_SET_VRING_ENABLE, &s);
	}
	status |= VIRTIO_CONFIG_S_DRIVER_OK;
	do_ioctl(h, VHOST_VDPA_SET_STATUS, &status);
	check_iotlbs(h);
}

/* ---- time, mmap, close ------------------------------------------------------------------- */

static void run_time(struct h *h, struct fz *in)
{
	sim_time_t dt = (sim_time_t)(1 + fz_u16(in)) * ENG_NS(10);
	uint64_t before = eng_events_executed(h->sim);
	uint64_t bound = (dt / h->cfg.pkt_delay_ps + 2) * (h->nvqs + 1) * 4 + 64;

	eng_run_until(h->sim, eng_now(h->sim) + dt);
	FUZZ_CHECK(eng_events_executed(h->sim) - before <= bound);
}

static void check_datapath(struct h *h)
{
	bool broken = false;

	if (!h->datapath)
		return;
	for (uint16_t i = 0; i < h->nvqs; i++)
		if (vtd_vq_violation(h->d, i) != VQ_V_NONE)
			broken = true;
	if (broken)
		FUZZ_CHECK(vtd_needs_reset(h->d));
	if (vtd_needs_reset(h->d))
		FUZZ_CHECK(dev_status(h) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void do_mmap(struct h *h, struct fz *in)
{
	struct vdpa_notification_area a;
	uint8_t how = fz_u8(in);
	uint64_t len = how & 1 ? fz_u32(in) : VHV_PAGE_SIZE;
	int prot = how & 2 ? PROT_READ | PROT_WRITE : PROT_WRITE;
	int flags = how & 4 ? MAP_PRIVATE : MAP_SHARED;
	uint64_t pgoff = how & 8 ? fz_u32(in) : fz_below(in, h->nvqs + 2);
	int r = vhv_mmap(h->f, len, prot, flags, pgoff, &a);

	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -VHV_ENOTSUPP);
	if (r == 0)
		FUZZ_CHECK(a.size == VHV_PAGE_SIZE && a.addr % VHV_PAGE_SIZE == 0);
}

static int open_dev(struct h *h)
{
	int r = vhv_open(h->sim, "/dev/vhost-vdpa-0", &h->f);

	h->owner = false;
	h->in_batch = false;
	h->acked_backend = 0;
	/* a set_map parent without reset_map keeps what it was given before (close
	 * only unmaps in vhost; only a CLEAN_MAP reset or reset_map clears it) */
	memset(h->parent_stale, h->cfg.map_mode == VTD_MAP_SET_MAP && !h->cfg.has_reset_map,
	       sizeof(h->parent_stale));
	return r;
}

/* close(2) resets the device and drops what vhost gave it. */
static void close_and_check(struct h *h)
{
	if (h->print)
		fprintf(stderr, "close\n");
	FUZZ_CHECK(vhv_close(h->f) == 0);
	h->f = NULL;
	FUZZ_CHECK(vtd_status(h->d) == 0);
	FUZZ_CHECK(!vtd_suspended(h->d));
	FUZZ_CHECK(!vtd_domain_allocated(h->d));
	for (uint16_t i = 0; i < h->nvqs; i++) {
		const struct vtd_vq *q = vtd_vq(h->d, i);

		FUZZ_CHECK(!q->ready && !q->cb.callback);
	}
	if (h->cfg.map_mode == VTD_MAP_DMA_MAP ||
	    (h->cfg.map_mode == VTD_MAP_SET_MAP && h->cfg.has_reset_map))
		for (uint32_t a = 0; a < h->nas; a++)
			FUZZ_CHECK(!vtd_iotlb(h->d, a) || vtd_iotlb(h->d, a)->nmaps == 0);
}

/* ---- setup ------------------------------------------------------------------------------- */

static int plain_read(void *ctx, uint64_t addr, void *dst, uint32_t len)
{
	struct h *h = ctx;

	if (addr < HOST_PA || addr - HOST_PA > HOST_SIZE || len > HOST_SIZE - (addr - HOST_PA))
		return -EFAULT;
	memcpy(dst, h->host + (addr - HOST_PA), len);
	return 0;
}

static int plain_write(void *ctx, uint64_t addr, const void *src, uint32_t len)
{
	struct h *h = ctx;

	if (addr < HOST_PA || addr - HOST_PA > HOST_SIZE || len > HOST_SIZE - (addr - HOST_PA))
		return -EFAULT;
	memcpy(h->host + (addr - HOST_PA), src, len);
	return 0;
}

static void configure(struct h *h, uint8_t v, uint8_t pairs)
{
	struct vtd_config *c = &h->cfg;

	vtd_default_config(c);
	c->max_vqp = 1 + pairs % 4;
	switch (v & 3) {
	case 0:
		c->map_mode = VTD_MAP_SET_MAP;
		break;
	case 1:
		c->map_mode = VTD_MAP_DMA_MAP;
		break;
	default:
		c->map_mode = VTD_MAP_PLATFORM;
		c->ngroups = c->nas = 1;
		if ((v & 3) == 3)
			c->dma_dev = v & 4 ? VTD_DMA_NONE : VTD_DMA_NONCOHERENT;
		break;
	}
	if (v & 4) {
		c->has_suspend = c->has_resume = false;
		c->has_vq_group = c->has_desc_group = c->has_set_group_asid = false;
		c->has_notification = c->has_vq_irq = c->has_iova_range = false;
		c->ngroups = c->nas = 1;
	}
	if ((v & 8) && c->map_mode != VTD_MAP_PLATFORM)
		c->use_va = true;
	if (v & 0x10) {
		c->datapath = VTD_DP_LOOPBACK;
		c->host_mem = (struct vq_mem){ plain_read, plain_write, h };
	}
	if (v & 0x20) {
		c->iova_range.first = 0x1000;
		c->iova_range.last = 0xfffff;
	}
	if (v & 0x40)
		c->has_compat_reset = c->has_reset_map = false;
	if (v & 0x80)
		c->backend_features = 1ULL << VHOST_BACKEND_F_IOTLB_PERSIST;
	h->has_suspend = c->has_suspend;
	h->has_resume = c->has_resume;
	h->datapath = c->datapath != VTD_DP_NONE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct h *h = calloc(1, sizeof(*h));
	struct fz in;
	uint8_t v, pairs;
	int r;

	if (!h)
		return 0;
	h->print = getenv("FUZZ_VHV_PRINT") != NULL;
	fz_init(&in, data, size);
	v = fz_u8(&in);
	pairs = fz_u8(&in);
	configure(h, v, pairs);
	h->sim = eng_sim_new(1, 0);
	FUZZ_CHECK(h->sim);
	FUZZ_CHECK(vhv_register_driver(h->sim) == 0);
	FUZZ_CHECK(vtd_create(h->sim, &h->cfg, "vdpa0", &h->d) == 0);
	h->nvqs = vtd_vdpa(h->d)->nvqs;
	h->nas = vtd_vdpa(h->d)->nas;
	for (int i = 0; i < NEVFD; i++)
		FUZZ_CHECK(vdpa_evfd_create(h->sim, &h->evfd[i]) >= 0);
	r = open_dev(h);
	if (h->cfg.map_mode == VTD_MAP_PLATFORM && h->cfg.dma_dev == VTD_DMA_NONE) {
		FUZZ_CHECK(r == -EFAULT);
		goto out;
	}
	if (h->cfg.map_mode == VTD_MAP_PLATFORM && h->cfg.dma_dev == VTD_DMA_NONCOHERENT) {
		FUZZ_CHECK(r == -VHV_ENOTSUPP);
		goto out;
	}
	FUZZ_CHECK(r == 0);
	for (int op = 0; op < VHV_MAX_OPS && !fz_done(&in); op++) {
		switch (fz_below(&in, 12)) {
		case 0:
		case 1:
		case 2:
			known_ioctl(h, &in);
			break;
		case 3:
			raw_ioctl(h, &in);
			break;
		case 4:
		case 5:
			iotlb_msg(h, &in);
			break;
		case 6:
			evfd_op(h, &in);
			break;
		case 7:
			run_time(h, &in);
			break;
		case 8:
			poke_host(h, &in);
			break;
		case 9:
			do_mmap(h, &in);
			break;
		case 10:
			bring_up(h, &in);
			break;
		default:
			close_and_check(h);
			FUZZ_CHECK(open_dev(h) == 0);
			break;
		}
		check_iotlbs(h);
		check_datapath(h);
	}
	close_and_check(h);
out:
	for (int i = 0; i < NEVFD; i++)
		if (h->evfd[i])
			vdpa_evfd_close(h->evfd[i]);
	eng_sim_free(h->sim);
	free(h);
	return 0;
}
