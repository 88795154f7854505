// SPDX-License-Identifier: MIT
/*
 * Pieces shared by every ring user: the plain-memory accessor, queue layout
 * and size checks, the saved-state packing, violation names and the table of
 * observer rules.
 */
#include "sim/virtio_ring/vq_internal.h"

#include <string.h>

/* ---- Plain memory accessor ------------------------------------------------ */
static int plain_check(const struct vq_plain_mem *pm, uint64_t addr, uint32_t len)
{
	if (addr < pm->addr || addr - pm->addr > pm->size || len > pm->size - (addr - pm->addr))
		return -EFAULT;
	return 0;
}

/* Ring fields are mostly 2 or 16 bytes: copy those inline. */
static inline void copy(void *dst, const void *src, uint32_t len)
{
	if (len == 2)
		memcpy(dst, src, 2);
	else if (len == 16)
		memcpy(dst, src, 16);
	else
		memcpy(dst, src, len);
}

static int plain_read(void *ctx, uint64_t addr, void *dst, uint32_t len)
{
	struct vq_plain_mem *pm = ctx;
	int r = plain_check(pm, addr, len);

	if (r)
		return r;
	pm->reads++;
	copy(dst, pm->base + (addr - pm->addr), len);
	return 0;
}

static int plain_write(void *ctx, uint64_t addr, const void *src, uint32_t len)
{
	struct vq_plain_mem *pm = ctx;
	int r = plain_check(pm, addr, len);

	if (r)
		return r;
	pm->writes++;
	copy(pm->base + (addr - pm->addr), src, len);
	return 0;
}

void vq_plain_mem_init(struct vq_plain_mem *pm, void *base, uint64_t addr, uint64_t size)
{
	pm->base = base;
	pm->addr = addr;
	pm->size = size;
	pm->reads = pm->writes = 0;
}

struct vq_mem vq_plain_mem_accessor(struct vq_plain_mem *pm)
{
	struct vq_mem m = { plain_read, plain_write, pm };
	return m;
}

/* Host address of [addr, addr + len) when it lies inside pm, else NULL. */
static uint8_t *plain_span(const struct vq_plain_mem *pm, uint64_t addr, uint64_t len)
{
	if (len > UINT32_MAX || plain_check(pm, addr, (uint32_t)len))
		return NULL;
	return pm->base + (addr - pm->addr);
}

void vq_io_init(struct vq_io *io, const struct vq_mem *mem, const struct vq_config *cfg,
		enum vq_actor actor)
{
	/* the plain accessor is known by its callbacks: its ctx is the vq_plain_mem */
	struct vq_plain_mem *pm =
		mem->read == plain_read && mem->write == plain_write ? mem->ctx : NULL;
	const uint64_t len[3] = { vq_desc_area_size(cfg), vq_driver_area_size(cfg),
				  vq_device_area_size(cfg) };

	io->mem = *mem;
	io->actor = actor;
	io->addr[VQ_AREA_DESC] = cfg->desc_addr;
	io->addr[VQ_AREA_DRV] = cfg->driver_addr;
	io->addr[VQ_AREA_DEV] = cfg->device_addr;
	io->pm = NULL;
	for (int i = 0; i < 3; i++)
		io->host[i] = pm && pm->base ? plain_span(pm, io->addr[i], len[i]) : NULL;
	/* all or nothing: one test per access picks the path */
	if (io->host[0] && io->host[1] && io->host[2])
		io->pm = pm;
}

void vq_io_report(const struct vq_io *io, enum vq_kind kind, bool write, uint64_t addr,
		  uint32_t len, const void *data, int32_t chain)
{
	struct vq_access a = { io->actor, kind, write, addr, len, data, chain };

	vq_obs_access(io->obs, &a);
}

/* ---- Layout ----------------------------------------------------------------- */
int vq_config_check(const struct vq_config *cfg)
{
	uint32_t n = cfg->num;

	if (n == 0 || n > VQ_MAX_SIZE)
		return -EINVAL;
	if (vq_cfg_packed(cfg)) {
		/* virtio 1.3 2.8.11: ring 16-byte, event structures 4-byte aligned */
		if (cfg->desc_addr % VRING_DESC_ALIGN_SIZE || cfg->driver_addr % 4 ||
		    cfg->device_addr % 4)
			return -EINVAL;
		return 0;
	}
	/* virtio 1.3 2.7: split sizes are powers of two; 2.7.1 alignments */
	if (n & (n - 1))
		return -EINVAL;
	if (cfg->desc_addr % VRING_DESC_ALIGN_SIZE || cfg->driver_addr % VRING_AVAIL_ALIGN_SIZE ||
	    cfg->device_addr % VRING_USED_ALIGN_SIZE)
		return -EINVAL;
	return 0;
}

uint64_t vq_desc_area_size(const struct vq_config *cfg)
{
	return (uint64_t)cfg->num * (vq_cfg_packed(cfg) ? VQ_PD_SZ : VQ_DESC_SZ);
}

uint64_t vq_driver_area_size(const struct vq_config *cfg)
{
	if (vq_cfg_packed(cfg))
		return VQ_PE_SZ;
	return VQ_A_USED_EVENT(cfg->num) + VQ_A_ENT;
}

uint64_t vq_device_area_size(const struct vq_config *cfg)
{
	if (vq_cfg_packed(cfg))
		return VQ_PE_SZ;
	return VQ_U_AVAIL_EVENT(cfg->num) + (uint32_t)sizeof(__virtio16);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

uint64_t vq_config_place(struct vq_config *cfg, uint64_t base)
{
	uint64_t p = align_up(base, VRING_DESC_ALIGN_SIZE);

	cfg->desc_addr = p;
	p = align_up(p + vq_desc_area_size(cfg), 4);
	cfg->driver_addr = p;
	p = align_up(p + vq_driver_area_size(cfg), 4);
	cfg->device_addr = p;
	return p + vq_device_area_size(cfg);
}

/* ---- Saved state ---------------------------------------------------------------- */
void vq_state_init(struct vq_state *st)
{
	st->avail_idx = st->used_idx = 0;
	st->avail_wrap = st->used_wrap = true;
}

uint32_t vq_state_to_vhost(const struct vq_state *st, bool packed)
{
	if (!packed)
		return st->avail_idx;
	/* vhost_vring_state.num for packed rings: idx | wrap << 15 per half */
	return ((uint32_t)(st->avail_idx & 0x7fff) | (uint32_t)st->avail_wrap << 15) |
	       ((uint32_t)(st->used_idx & 0x7fff) | (uint32_t)st->used_wrap << 15) << 16;
}

int vq_state_from_vhost(struct vq_state *st, uint32_t v, bool packed, uint32_t num)
{
	if (!packed) {
		st->avail_idx = st->used_idx = (uint16_t)v;
		st->avail_wrap = st->used_wrap = true;
		return 0;
	}
	st->avail_idx = v & 0x7fff;
	st->avail_wrap = (v >> 15) & 1;
	st->used_idx = (v >> 16) & 0x7fff;
	st->used_wrap = (v >> 31) & 1;
	if (st->avail_idx >= num || st->used_idx >= num)
		return -EINVAL;
	return 0;
}

/* ---- Violations ------------------------------------------------------------------ */
static const char *const violation_names[VQ_V_COUNT] = {
	[VQ_V_NONE] = "NONE",
	[VQ_V_ACCESS_FAULT] = "ACCESS_FAULT",
	[VQ_V_AVAIL_IDX_JUMP] = "AVAIL_IDX_JUMP",
	[VQ_V_HEAD_OUT_OF_RANGE] = "HEAD_OUT_OF_RANGE",
	[VQ_V_NEXT_OUT_OF_RANGE] = "NEXT_OUT_OF_RANGE",
	[VQ_V_DESC_LOOP] = "DESC_LOOP",
	[VQ_V_CHAIN_TOO_LONG] = "CHAIN_TOO_LONG",
	[VQ_V_INDIRECT_NOT_NEGOTIATED] = "INDIRECT_NOT_NEGOTIATED",
	[VQ_V_INDIRECT_WITH_NEXT] = "INDIRECT_WITH_NEXT",
	[VQ_V_INDIRECT_NESTED] = "INDIRECT_NESTED",
	[VQ_V_INDIRECT_BAD_LEN] = "INDIRECT_BAD_LEN",
	[VQ_V_INDIRECT_IN_CHAIN] = "INDIRECT_IN_CHAIN",
	[VQ_V_READABLE_AFTER_WRITABLE] = "READABLE_AFTER_WRITABLE",
	[VQ_V_LEN_OVERFLOW] = "LEN_OVERFLOW",
	[VQ_V_CHAIN_NOT_AVAIL] = "CHAIN_NOT_AVAIL",
	[VQ_V_USED_IDX_JUMP] = "USED_IDX_JUMP",
	[VQ_V_USED_ID_INVALID] = "USED_ID_INVALID",
	[VQ_V_INDIRECT_RESERVED_FLAGS] = "INDIRECT_RESERVED_FLAGS",
};

const char *vq_violation_name(enum vq_violation v)
{
	if ((unsigned)v >= VQ_V_COUNT)
		return "UNKNOWN";
	return violation_names[v];
}

bool vq_violation_fatal(enum vq_violation v)
{
	return v != VQ_V_NONE && v != VQ_V_INDIRECT_RESERVED_FLAGS;
}

/* ---- Observer rules ------------------------------------------------------------------ */
#define D VQ_ACTOR_DRIVER
#define V VQ_ACTOR_DEVICE
#define R(e, i, a, l, s, t) [e] = { e, i, a, l, s, t }

static const struct vq_rule_info rules[VQ_R_COUNT] = {
	R(VQ_R_SPLIT_DRV_02, "SPLIT-DRV-02", D, VQ_MUST, "2.7.4.2",
	  "device-writable descriptors come after all device-readable ones"),
	R(VQ_R_SPLIT_DRV_04, "SPLIT-DRV-04", D, VQ_MUST, "2.7.5.2",
	  "a chain is at most 2^32 bytes and never loops"),
	R(VQ_R_SPLIT_DRV_05, "SPLIT-DRV-05", D, VQ_MUST, "2.7.5.2",
	  "with IN_ORDER a chained descriptor x points next to x + 1 (0 after the last)"),
	R(VQ_R_SPLIT_DRV_06, "SPLIT-DRV-06", D, VQ_MUST, "2.7.5.3.1",
	  "INDIRECT only when VIRTIO_F_INDIRECT_DESC was negotiated"),
	R(VQ_R_SPLIT_DRV_07, "SPLIT-DRV-07", D, VQ_MUST, "2.7.5.3.1",
	  "no INDIRECT flag inside an indirect table"),
	R(VQ_R_SPLIT_DRV_08, "SPLIT-DRV-08", D, VQ_MUST, "2.7.5.3.1",
	  "no chain, direct or indirect, longer than the queue size"),
	R(VQ_R_SPLIT_DRV_09, "SPLIT-DRV-09", D, VQ_MUST, "2.7.5.3.1",
	  "never INDIRECT and NEXT on one descriptor"),
	R(VQ_R_SPLIT_DRV_10, "SPLIT-DRV-10", D, VQ_MUST, "2.7.5.3.1",
	  "with IN_ORDER indirect entries are sequential"),
	R(VQ_R_SPLIT_DRV_11, "SPLIT-DRV-11", D, VQ_MUST, "2.7.6.1",
	  "the avail idx never goes back nor exposes more than the queue size"),
	R(VQ_R_SPLIT_DRV_12, "SPLIT-DRV-12", D, VQ_MUST, "2.7.7.1",
	  "without EVENT_IDX avail flags are 0 or 1"),
	R(VQ_R_SPLIT_DRV_14, "SPLIT-DRV-14", D, VQ_MUST, "2.7.7.1",
	  "with EVENT_IDX avail flags are 0"),
	R(VQ_R_SPLIT_DRV_21, "SPLIT-DRV-21", D, VQ_SHOULD, "2.7.10.1",
	  "no available buffer notification while used flags say NO_NOTIFY"),
	R(VQ_R_SPLIT_DRV_22, "SPLIT-DRV-22", D, VQ_MUST, "2.7.10.1",
	  "notify after adding buffers when used flags are 0 (no EVENT_IDX)"),
	R(VQ_R_SPLIT_DRV_24, "SPLIT-DRV-24", D, VQ_MUST, "2.7.10.1",
	  "notify when the avail idx moves past avail_event"),
	R(VQ_R_SPLIT_DRV_25, "SPLIT-DRV-25", D, VQ_SHOULD, "2.7.10.1",
	  "no notification when avail_event was not crossed"),
	R(VQ_R_SPLIT_DRV_X02, "SPLIT-DRV-X02", D, VQ_MUST, "2.7.5",
	  "with IN_ORDER descriptors are used in ring order"),
	R(VQ_R_SPLIT_DRV_V01, "SPLIT-DRV-V01", D, VQ_MUST, "2.7.13.1",
	  "a descriptor of a chain in flight is not modified until it is used"),
	R(VQ_R_SPLIT_DRV_V02, "SPLIT-DRV-V02", D, VQ_MUST, "2.7.13.2",
	  "an exposed avail entry is not rewritten before the device took it"),
	R(VQ_R_SPLIT_DRV_V03, "SPLIT-DRV-V03", D, VQ_MUST, "2.7.5",
	  "head and next indices are below the queue size"),
	R(VQ_R_SPLIT_DRV_V04, "SPLIT-DRV-V04", D, VQ_MUST, "2.7.13.1",
	  "a descriptor is in at most one chain in flight"),
	R(VQ_R_SPLIT_DRV_V05, "SPLIT-DRV-V05", D, VQ_MUST, "2.7.5.3",
	  "an indirect table length is a non-zero multiple of 16"),
	R(VQ_R_SPLIT_DRV_V06, "SPLIT-DRV-V06", D, VQ_MUST, "2.7.8",
	  "the used ring is only written by the device"),
	R(VQ_R_SPLIT_DEV_03, "SPLIT-DEV-03", V, VQ_MUST, "2.7.5.1",
	  "the device never writes a device-readable buffer"),
	R(VQ_R_SPLIT_DEV_04, "SPLIT-DEV-04", V, VQ_SHOULD, "2.7.5.1",
	  "the device does not read device-writable buffers"),
	R(VQ_R_SPLIT_DEV_06, "SPLIT-DEV-06", V, VQ_MUST, "2.7.5.1",
	  "the device never writes the descriptor table or an indirect table"),
	R(VQ_R_SPLIT_DEV_10, "SPLIT-DEV-10", V, VQ_SHOULD, "2.7.7.2",
	  "no used buffer notification while avail flags say NO_INTERRUPT"),
	R(VQ_R_SPLIT_DEV_11, "SPLIT-DEV-11", V, VQ_MUST, "2.7.7.2",
	  "notify after using buffers when avail flags are 0 (no EVENT_IDX)"),
	R(VQ_R_SPLIT_DEV_13, "SPLIT-DEV-13", V, VQ_MUST, "2.7.7.2",
	  "notify when the used idx moves past used_event"),
	R(VQ_R_SPLIT_DEV_14, "SPLIT-DEV-14", V, VQ_SHOULD, "2.7.7.2",
	  "no used buffer notification when used_event was not crossed"),
	R(VQ_R_SPLIT_DEV_15, "SPLIT-DEV-15", V, VQ_MUST, "2.7.8.2",
	  "a used element is written before the used idx publishes it"),
	R(VQ_R_SPLIT_DEV_16, "SPLIT-DEV-16", V, VQ_MUST, "2.7.8.2",
	  "used len is at most the bytes written into the writable part"),
	R(VQ_R_SPLIT_DEV_18, "SPLIT-DEV-18", V, VQ_MUST, "2.7.10.2",
	  "without EVENT_IDX used flags are 0 or 1"),
	R(VQ_R_SPLIT_DEV_20, "SPLIT-DEV-20", V, VQ_MUST, "2.7.10.2",
	  "with EVENT_IDX used flags are 0"),
	R(VQ_R_SPLIT_DEV_X02, "SPLIT-DEV-X02", V, VQ_MUST, "2.7.6",
	  "the device reads no avail entry at or beyond the avail idx"),
	R(VQ_R_SPLIT_DEV_X03, "SPLIT-DEV-X03", V, VQ_MUST, "2.7.8",
	  "used entries name heads in flight; used idx counts them"),
	R(VQ_R_SPLIT_DEV_X04, "SPLIT-DEV-X04", V, VQ_MUST, "2.7.9",
	  "with IN_ORDER buffers are used in the order they were made available"),
	R(VQ_R_SPLIT_DEV_V01, "SPLIT-DEV-V01", V, VQ_MUST, "2.7.13.3",
	  "the device reads only descriptors of exposed chains"),
	R(VQ_R_SPLIT_DEV_V02, "SPLIT-DEV-V02", V, VQ_MUST, "2.7.5.1",
	  "the device accesses only buffers in flight, within their length"),
	R(VQ_R_SPLIT_DEV_V03, "SPLIT-DEV-V03", V, VQ_MUST, "2.7.6",
	  "the available ring is only written by the driver"),
	R(VQ_R_PACKED_DRV_03, "PACKED-DRV-03", D, VQ_MUST, "2.8.16",
	  "a descriptor made available is not changed until it is used"),
	R(VQ_R_PACKED_DRV_07, "PACKED-DRV-07", D, VQ_MUST, "2.8.17",
	  "a list is not longer than the queue size (nor the free space)"),
	R(VQ_R_PACKED_DRV_08, "PACKED-DRV-08", D, VQ_MUST, "2.8.17",
	  "device-writable elements follow the device-readable ones"),
	R(VQ_R_PACKED_DRV_11, "PACKED-DRV-11", D, VQ_MUST, "2.8.17",
	  "the head of a list is made available after the rest of the list"),
	R(VQ_R_PACKED_DRV_12, "PACKED-DRV-12", D, VQ_MUST, "2.8.19",
	  "INDIRECT only when VIRTIO_F_INDIRECT_DESC was negotiated"),
	R(VQ_R_PACKED_DRV_13, "PACKED-DRV-13", D, VQ_MUST, "2.8.19",
	  "indirect table entries carry no flag but WRITE"),
	R(VQ_R_PACKED_DRV_15, "PACKED-DRV-15", D, VQ_MUST, "2.8.19",
	  "an INDIRECT descriptor is not part of a NEXT-linked list"),
	R(VQ_R_PACKED_DRV_X02, "PACKED-DRV-X02", D, VQ_MUST, "2.8.1",
	  "an available descriptor has AVAIL = wrap counter and USED = its inverse"),
	R(VQ_R_PACKED_DRV_X05, "PACKED-DRV-X05", D, VQ_MUST, "2.8.10",
	  "notify when the device event structure asks for it"),
	R(VQ_R_PACKED_DRV_X06, "PACKED-DRV-X06", D, VQ_MUST, "2.8.10",
	  "driver event flags: no DESC without EVENT_IDX, no value 3, reserved bits 0"),
	R(VQ_R_PACKED_DRV_V01, "PACKED-DRV-V01", D, VQ_SHOULD, "2.8.10",
	  "no available buffer notification while the device suppressed it"),
	R(VQ_R_PACKED_DRV_V02, "PACKED-DRV-V02", D, VQ_MUST, "2.8.6",
	  "a buffer id is not reused while its buffer is in flight"),
	R(VQ_R_PACKED_DRV_V03, "PACKED-DRV-V03", D, VQ_MUST, "2.8.7",
	  "an indirect table length is a non-zero multiple of 16"),
	R(VQ_R_PACKED_DRV_V04, "PACKED-DRV-V04", D, VQ_MUST, "2.8.4",
	  "a list's total length fits the 32-bit used length"),
	R(VQ_R_PACKED_DRV_V05, "PACKED-DRV-V05", D, VQ_MUST, "2.8",
	  "the device event suppression structure is only written by the device"),
	R(VQ_R_PACKED_DEV_04, "PACKED-DEV-04", V, VQ_MUST, "2.8.15",
	  "the device never writes a device-readable buffer"),
	R(VQ_R_PACKED_DEV_05, "PACKED-DEV-05", V, VQ_SHOULD, "2.8.15",
	  "the device does not read device-writable buffers"),
	R(VQ_R_PACKED_DEV_07, "PACKED-DEV-07", V, VQ_MUST, "2.8.15",
	  "the device changes only descriptors it owns, never after marking them used"),
	R(VQ_R_PACKED_DEV_X02, "PACKED-DEV-X02", V, VQ_MUST, "2.8.1",
	  "a used descriptor has AVAIL = USED = the device wrap counter"),
	R(VQ_R_PACKED_DEV_X03, "PACKED-DEV-X03", V, VQ_MUST, "2.8.6",
	  "one used descriptor per list with an id in flight, then skip the list"),
	R(VQ_R_PACKED_DEV_X07, "PACKED-DEV-X07", V, VQ_MUST, "2.8.8",
	  "with IN_ORDER buffers are used in the order they were made available"),
	R(VQ_R_PACKED_DEV_X08, "PACKED-DEV-X08", V, VQ_MUST, "2.8.10",
	  "notify after using buffers when driver events are enabled"),
	R(VQ_R_PACKED_DEV_X09, "PACKED-DEV-X09", V, VQ_SHOULD, "2.8.10",
	  "no used buffer notification while driver events are disabled"),
	R(VQ_R_PACKED_DEV_X10, "PACKED-DEV-X10", V, VQ_MUST, "2.8.10",
	  "notify when the event descriptor is used (or skipped in a batch)"),
	R(VQ_R_PACKED_DEV_X11, "PACKED-DEV-X11", V, VQ_MUST, "2.8.10",
	  "device event flags: no DESC without EVENT_IDX, no value 3, reserved bits 0"),
	R(VQ_R_PACKED_DEV_V01, "PACKED-DEV-V01", V, VQ_MUST, "2.8.15",
	  "the device accesses only buffers in flight, within their length"),
	R(VQ_R_PACKED_DEV_V02, "PACKED-DEV-V02", V, VQ_MUST, "2.8.6",
	  "a used descriptor's id is written before (or with) its flags"),
	R(VQ_R_PACKED_DEV_V03, "PACKED-DEV-V03", V, VQ_SHOULD, "2.8.10",
	  "no used buffer notification before the event descriptor is used"),
	R(VQ_R_PACKED_DEV_V04, "PACKED-DEV-V04", V, VQ_MUST, "2.8.4",
	  "used len is at most the bytes written into the writable part"),
	R(VQ_R_PACKED_DEV_V05, "PACKED-DEV-V05", V, VQ_MUST, "2.8",
	  "the driver event suppression structure is only written by the driver"),
};

#undef R
#undef D
#undef V

const struct vq_rule_info *vq_rule_info(enum vq_rule r)
{
	if ((unsigned)r >= VQ_R_COUNT)
		return NULL;
	return &rules[r];
}

int vq_rule_lookup(const char *id)
{
	for (int i = 0; i < VQ_R_COUNT; i++)
		if (strcmp(rules[i].id, id) == 0)
			return i;
	return -ENOENT;
}
