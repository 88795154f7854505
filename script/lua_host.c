// SPDX-License-Identifier: MIT
/*
 * sim.host{...}: host physical memory, an optional IOMMU and a PCIe root
 * complex, and its slots (host:pcie_slot{...}).  Device models go into slots
 * with slot:plug() once sim/devhost exists; the place for them is marked.
 */
#include "script/topo_priv.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/mem.h"
#include "sim/pcie/pcie.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MEMORY (4ULL << 30)
#define MEM_ACCESS_MAX PCIE_DMA_MAX /* bytes per host:mem_read / mem_write */

static void host_destroy(struct lt_obj *o)
{
	struct lt_host *h = (struct lt_host *)o;

	/* the root complex refers to the IOMMU and the memory */
	pcie_rc_free(h->rc);
	iommu_free(h->iommu);
	mem_free(h->mem);
	free(h);
}

static struct lt_host *check_host(lua_State *L, int arg)
{
	return (struct lt_host *)lt_check_ref(L, arg, LT_MT_HOST)->obj;
}

/* ---- PCIe link options (host pcie = {...} and host:pcie_slot{...}) --------------------- */

static const char *const link_keys[] = {
	"gen", "width", "mps", "mrrs", "rcb", "read_tags", "dllp_overhead_ppm", "rd_lat_base",
	"rd_lat_per_byte", "wr_lat", "mmio_wr_lat", "mmio_rd_lat", NULL,
};

static bool pow2_between(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v >= lo && v <= hi && !(v & (v - 1));
}

static unsigned opt_pow2(const struct lt_opts *o, const char *key, uint64_t lo, uint64_t hi,
			 unsigned def)
{
	uint64_t v = lt_opt_uint(o, key, 0, UINT64_MAX, def);

	if (!pow2_between(v, lo, hi))
		lt_opt_error(o, key, " must be a power of two from %llu to %llu",
			     (unsigned long long)lo, (unsigned long long)hi);
	return (unsigned)v;
}

/* Overrides the fields of c that the table gives. */
static void read_link(const struct lt_opts *o, struct pcie_link_cfg *c)
{
	c->gen = (unsigned)lt_opt_uint(o, "gen", 1, 5, c->gen);
	c->width = opt_pow2(o, "width", 1, 16, c->width);
	c->mps = opt_pow2(o, "mps", 128, 4096, c->mps);
	c->mrrs = opt_pow2(o, "mrrs", 128, 4096, c->mrrs);
	c->rcb = (unsigned)lt_opt_uint(o, "rcb", 64, 128, c->rcb);
	if (c->rcb != 64 && c->rcb != 128)
		lt_opt_error(o, "rcb", " must be 64 or 128");
	c->read_tags = (unsigned)lt_opt_uint(o, "read_tags", 1, 1024, c->read_tags);
	c->dllp_overhead_ppm =
		(uint32_t)lt_opt_uint(o, "dllp_overhead_ppm", 0, 499999, c->dllp_overhead_ppm);
	c->rd_lat_base = lt_opt_duration(o, "rd_lat_base", c->rd_lat_base);
	c->rd_lat_per_byte = lt_opt_duration(o, "rd_lat_per_byte", c->rd_lat_per_byte);
	c->wr_lat = lt_opt_duration(o, "wr_lat", c->wr_lat);
	c->mmio_wr_lat = lt_opt_duration(o, "mmio_wr_lat", c->mmio_wr_lat);
	c->mmio_rd_lat = lt_opt_duration(o, "mmio_rd_lat", c->mmio_rd_lat);
}

static void push_link(lua_State *L, const struct pcie_link_cfg *c)
{
	lt_set_int(L, "gen", c->gen);
	lt_set_int(L, "width", c->width);
	lt_set_int(L, "mps", c->mps);
	lt_set_int(L, "mrrs", c->mrrs);
	lt_set_int(L, "rcb", c->rcb);
	lt_set_int(L, "read_tags", c->read_tags);
	lt_set_int(L, "dllp_overhead_ppm", c->dllp_overhead_ppm);
	lt_set_int(L, "rd_lat_base_ps", c->rd_lat_base);
	lt_set_int(L, "rd_lat_per_byte_ps", c->rd_lat_per_byte);
	lt_set_int(L, "wr_lat_ps", c->wr_lat);
	lt_set_int(L, "mmio_wr_lat_ps", c->mmio_wr_lat);
	lt_set_int(L, "mmio_rd_lat_ps", c->mmio_rd_lat);
	lt_set_num(L, "gbps", pcie_link_gbps(c));
}

/* ---- sim.host -------------------------------------------------------------------------- */

static const char *const host_keys[] = { "name", "memory", "iommu", "pcie", NULL };
static const char *const iommu_keys[] = { "iotlb_entries", "miss_cost", "fault_log", NULL };

/* iommu = false (none), true (defaults) or a table; *want false for none. */
static void read_iommu(const struct lt_opts *o, struct iommu_config *c, bool *want)
{
	struct lt_opts io;
	int type = lt_opt_push(o, "iommu");

	iommu_config_default(c);
	*want = true;
	if (type == LUA_TBOOLEAN) {
		*want = lua_toboolean(o->L, -1);
		lua_pop(o->L, 1);
		return;
	}
	lua_pop(o->L, 1);
	lt_opts_sub(o, "iommu", "iommu.", iommu_keys, &io);
	c->iotlb_entries = (unsigned)lt_opt_uint(&io, "iotlb_entries", 0, 1u << 20,
						 c->iotlb_entries);
	c->miss_cost = lt_opt_duration(&io, "miss_cost", c->miss_cost);
	c->fault_log_len = (unsigned)lt_opt_uint(&io, "fault_log", 0, 1u << 20, c->fault_log_len);
}

static int l_host(lua_State *L)
{
	struct lt_opts o, po;
	struct iommu_config icfg;
	struct pcie_link_cfg dlink;
	struct ltopo *t = lt_topo(L);
	struct lt_host *h;
	char name[LT_NAME_MAX];
	uint64_t memsize;
	bool want_iommu;

	lt_opts_open(L, 1, host_keys, &o);
	if (t->vdpa_ready)
		return luaL_error(L, "sim.host: the vdpa stack is already running (create hosts "
				  "and plug devices before the first vdpa call)");
	lt_opt_str(&o, "name", name, sizeof(name), NULL);
	if (name[0] && !lt_name_ok(name))
		lt_opt_error(&o, "name", " must be 1 to %d letters, digits, '_', '-' or '.'",
			     LT_NAME_MAX - 1);
	for (size_t i = 0; name[0] && i < t->n; i++)
		if (t->objs[i] && t->objs[i]->kind == LT_HOST && !strcmp(t->objs[i]->name, name))
			lt_opt_error(&o, "name", " '%s' is already taken", name);
	memsize = lt_opt_size(&o, "memory", DEFAULT_MEMORY);
	if (!memsize || memsize % MEM_PAGE_SIZE || memsize > MEM_MAX_SIZE)
		lt_opt_error(&o, "memory", " must be a non-zero multiple of 4 KiB up to 4 PiB");
	read_iommu(&o, &icfg, &want_iommu);
	pcie_link_cfg_default(&dlink);
	lt_opts_sub(&o, "pcie", "pcie.", link_keys, &po);
	read_link(&po, &dlink);

	h = calloc(1, sizeof(*h));
	if (!h)
		return luaL_error(L, "out of memory");
	h->hdr.kind = LT_HOST;
	h->hdr.destroy = host_destroy;
	if (name[0])
		snprintf(h->hdr.name, sizeof(h->hdr.name), "%s", name);
	else
		snprintf(h->hdr.name, sizeof(h->hdr.name), "host%u", t->hosts);
	t->hosts++;
	for (unsigned i = 0; i < PCIE_SLOTS; i++)
		h->link[i] = dlink;
	lt_register(L, &h->hdr); /* from here the registry frees whatever was made */
	h->mem = mem_new(memsize);
	if (want_iommu)
		h->iommu = iommu_new(lsim_sim(L), &icfg);
	if (!h->mem || (want_iommu && !h->iommu))
		return luaL_error(L, "sim.host: out of memory");
	h->rc = pcie_rc_new(lsim_sim(L), h->mem, h->iommu, &dlink);
	if (!h->rc)
		return luaL_error(L, "sim.host: out of memory");
	lt_push_ref(L, LT_MT_HOST, &h->hdr, 0);
	return 1;
}

/* ---- host methods ---------------------------------------------------------------------- */

static int host_name(lua_State *L)
{
	lua_pushstring(L, check_host(L, 1)->hdr.name);
	return 1;
}

static const char *const slot_keys[] = {
	"slot", "gen", "width", "mps", "mrrs", "rcb", "read_tags", "dllp_overhead_ppm",
	"rd_lat_base", "rd_lat_per_byte", "wr_lat", "mmio_wr_lat", "mmio_rd_lat", NULL,
};

/* host:pcie_slot{ slot = N, gen = ..., ... } -> slot handle */
static int host_pcie_slot(lua_State *L)
{
	struct lt_host *h = check_host(L, 1);
	struct pcie_link_cfg c;
	struct lt_opts o;
	unsigned slot;
	int rc;

	luaL_checktype(L, 2, LUA_TTABLE);
	lt_opts_open(L, 2, slot_keys, &o);
	if (!lt_opt_has(&o, "slot"))
		lt_opt_error(&o, "slot", " is required (0 to %d)", PCIE_SLOTS - 1);
	slot = (unsigned)lt_opt_uint(&o, "slot", 0, PCIE_SLOTS - 1, 0);
	c = h->link[slot];
	read_link(&o, &c);
	rc = pcie_rc_set_link(h->rc, slot, &c);
	if (rc == -EBUSY)
		return luaL_error(L, "pcie_slot: slot %d of %s already holds a device: its link "
				  "can no longer change", (int)slot, h->hdr.name);
	if (rc)
		return lt_fail_errno(L, "pcie_slot", rc);
	h->link[slot] = c;
	lt_push_ref(L, LT_MT_SLOT, &h->hdr, slot);
	return 1;
}

/* host:stats() */
static int host_stats(lua_State *L)
{
	struct lt_host *h = check_host(L, 1);
	struct iommu_stats is;

	lua_newtable(L);
	lua_newtable(L);
	lt_set_int(L, "size", mem_size(h->mem));
	lt_set_int(L, "resident", mem_resident(h->mem));
	lua_setfield(L, -2, "memory");
	if (h->iommu) {
		iommu_get_stats(h->iommu, &is);
		lua_newtable(L);
		lt_set_int(L, "lookups", is.lookups);
		lt_set_int(L, "hits", is.hits);
		lt_set_int(L, "misses", is.misses);
		lt_set_int(L, "faults", is.faults);
		lt_set_int(L, "evictions", is.evictions);
		lt_set_int(L, "invalidations", is.invalidations);
		lt_set_int(L, "iotlb_used", iommu_iotlb_used(h->iommu));
		lua_setfield(L, -2, "iommu");
	}
	lua_newtable(L);
	lt_set_int(L, "delivered", pcie_rc_msi_delivered(h->rc));
	lt_set_int(L, "unclaimed", pcie_rc_msi_unclaimed(h->rc));
	lua_setfield(L, -2, "msi");
	return 1;
}

static const char *const fault_reasons[] = {
	[IOMMU_FAULT_NO_DOMAIN] = "no_domain",
	[IOMMU_FAULT_NOT_MAPPED] = "not_mapped",
	[IOMMU_FAULT_PERM] = "permission",
	[IOMMU_FAULT_RANGE] = "range",
};

/* host:iommu_faults(): the IOMMU's fault log, oldest first ({} without an IOMMU). */
static int host_iommu_faults(lua_State *L)
{
	struct lt_host *h = check_host(L, 1);
	unsigned n = h->iommu ? iommu_fault_log_len(h->iommu) : 0;

	lua_createtable(L, (int)n, 0);
	for (unsigned i = 0; i < n; i++) {
		struct iommu_fault f;

		if (iommu_fault_get(h->iommu, i, &f))
			break;
		lua_createtable(L, 0, 6);
		lt_set_int(L, "time_ps", f.time);
		lt_set_int(L, "rid", f.rid);
		lt_set_int(L, "asid", f.asid);
		lt_set_int(L, "iova", f.iova);
		lt_set_str(L, "access", f.access == IOMMU_WRITE ? "write" : "read");
		lt_set_str(L, "reason", (unsigned)f.reason < sizeof(fault_reasons) /
					    sizeof(fault_reasons[0]) && fault_reasons[f.reason]
						? fault_reasons[f.reason] : "?");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

static uint64_t check_addr(lua_State *L, int arg)
{
	lua_Integer a = luaL_checkinteger(L, arg);

	luaL_argcheck(L, a >= 0, arg, "address must be >= 0");
	return (uint64_t)a;
}

static void check_range(lua_State *L, struct lt_host *h, uint64_t addr, uint64_t len)
{
	uint64_t size = mem_size(h->mem);

	if (addr > size || len > size - addr)
		luaL_error(L, "memory range %I+%I is outside %s's memory (%I bytes)",
			   (lua_Integer)addr, (lua_Integer)len, h->hdr.name, (lua_Integer)size);
}

/* host:mem_read(addr, len) -> string */
static int host_mem_read(lua_State *L)
{
	struct lt_host *h = check_host(L, 1);
	uint64_t addr = check_addr(L, 2);
	lua_Integer len = luaL_checkinteger(L, 3);
	luaL_Buffer b;
	char *p;
	int rc;

	luaL_argcheck(L, len >= 0 && len <= MEM_ACCESS_MAX, 3, "length must be from 0 to 16 MiB");
	check_range(L, h, addr, (uint64_t)len);
	p = luaL_buffinitsize(L, &b, (size_t)len);
	rc = mem_read(h->mem, addr, p, (size_t)len);
	if (rc)
		return lt_fail_errno(L, "mem_read", rc);
	luaL_pushresultsize(&b, (size_t)len);
	return 1;
}

/* host:mem_write(addr, bytes) */
static int host_mem_write(lua_State *L)
{
	struct lt_host *h = check_host(L, 1);
	uint64_t addr = check_addr(L, 2);
	size_t len;
	const char *data = luaL_checklstring(L, 3, &len);
	int rc;

	luaL_argcheck(L, len <= MEM_ACCESS_MAX, 3, "at most 16 MiB per write");
	check_range(L, h, addr, len);
	rc = mem_write(h->mem, addr, data, len);
	if (rc == -ENOMEM)
		return luaL_error(L, "mem_write: %s's resident-memory limit is reached",
				  h->hdr.name);
	if (rc)
		return lt_fail_errno(L, "mem_write", rc);
	return 0;
}

/* ---- slot methods ---------------------------------------------------------------------- */

static int slot_number(lua_State *L)
{
	lua_pushinteger(L, lt_check_ref(L, 1, LT_MT_SLOT)->idx);
	return 1;
}

static int slot_host(lua_State *L)
{
	struct lt_ref *r = lt_check_ref(L, 1, LT_MT_SLOT);

	lt_push_ref(L, LT_MT_HOST, r->obj, 0);
	return 1;
}

/* slot:info(): the link configuration in effect, latencies in ps, the rate in Gbit/s. */
static int slot_info(lua_State *L)
{
	struct lt_ref *r = lt_check_ref(L, 1, LT_MT_SLOT);
	struct lt_host *h = (struct lt_host *)r->obj;

	lua_newtable(L);
	lt_set_int(L, "slot", r->idx);
	push_link(L, &h->link[r->idx]);
	return 1;
}

/* slot:plug(model [, options]) -> NIC handle (lua_nic.c) */
static int slot_plug(lua_State *L)
{
	struct lt_ref *r = lt_check_ref(L, 1, LT_MT_SLOT);

	return lt_nic_plug(L, (struct lt_host *)r->obj, r->idx);
}

void lt_open_host(lua_State *L)
{
	static const luaL_Reg host_methods[] = {
		{ "name", host_name },
		{ "pcie_slot", host_pcie_slot },
		{ "stats", host_stats },
		{ "iommu_faults", host_iommu_faults },
		{ "mem_read", host_mem_read },
		{ "mem_write", host_mem_write },
		{ NULL, NULL },
	};
	static const luaL_Reg slot_methods[] = {
		{ "number", slot_number },
		{ "host", slot_host },
		{ "info", slot_info },
		{ "plug", slot_plug },
		{ NULL, NULL },
	};

	lt_new_class(L, LT_MT_HOST, host_methods, NULL);
	lt_new_class(L, LT_MT_SLOT, slot_methods, NULL);
	lua_pushcfunction(L, l_host);
	lua_setfield(L, -2, "host");
}
