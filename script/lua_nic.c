// SPDX-License-Identifier: MIT
/*
 * Device models in PCIe slots (slot:plug), their Ethernet ports, PCIe
 * counters and control hook, and the host "boot": enumeration of each root
 * complex and the vendor vdpa drivers probing what they find, which
 * registers their management devices ("pci/0000:00:<slot>.0").
 *
 * Ownership and order: the NICs (sim/devhost instances) are registry objects
 * freed after links and peers and before their host.  The vendor driver
 * instances (vifc) are removed by a second slot on the sim, "ltopo.drv",
 * attached at boot after the vdpa bus and the bus drivers: its destructor
 * runs before theirs, so removing a function deletes its vdpa device while
 * vhost_vdpa / virtio_vdpa can still unbind from it, and before the NICs and
 * root complexes it talks to are freed.
 */
#include "script/topo_priv.h"
#include "sim/devhost/devhost.h"
#include "sim/nic_ifcvf/nic_ifcvf.h"
#include "stack/vdpa_ifcvf/vdpa_ifcvf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRV_KEY "ltopo.drv"
#define OPTIONS_MAX 1024
#define REPLY_MAX 1024
#define MMIO_BASE 0xE0000000ULL /* enumeration window for BARs, below 4 GiB */
#define MMIO_SIZE 0x10000000ULL

/*
 * Device models a slot takes, and the vendor driver that probes each.  A
 * second vendor model ("mbx") is added here with its plugin and driver.
 */
enum nic_driver { DRV_NONE, DRV_IFCVF };

static const struct {
	const char *name;
	const struct vdpasim_device_plugin *(*plugin)(void);
	enum nic_driver driver;
} models[] = {
	{ "ifcvf", ifcvf_plugin, DRV_IFCVF },
};

struct lt_nic {
	struct lt_obj hdr;
	struct devh *dh;
	struct lt_host *host;
	unsigned slot;
	enum nic_driver driver;
	struct vifc *vf; /* the vendor driver's instance, after boot */
	char mgmtdev[32];
};

static void nic_destroy(struct lt_obj *o)
{
	struct lt_nic *n = (struct lt_nic *)o;

	devh_destroy(n->dh);
	if (n->host && n->host->nic[n->slot] == o)
		n->host->nic[n->slot] = NULL;
	free(n);
}

static struct lt_nic *check_nic(lua_State *L, int arg)
{
	return (struct lt_nic *)lt_check_ref(L, arg, LT_MT_NIC)->obj;
}

struct net_port *lt_nic_port(struct lt_obj *o, unsigned idx)
{
	struct lt_nic *n = (struct lt_nic *)o;

	return o->kind == LT_NIC ? devh_net_port(n->dh, idx) : NULL;
}

/* ---- plug ------------------------------------------------------------------------------ */

static bool option_text_ok(const char *s)
{
	return *s && !strpbrk(s, ",= \t\n");
}

/*
 * The model's options string "key=value,..." from the table at arg, keys in
 * bytewise order (the table's own order is not deterministic).  Values:
 * integers, strings, booleans (1/0); `features` may be a list of names.
 */
static void options_string(lua_State *L, int arg, char *out, size_t len)
{
	const char *keys[64];
	size_t n = 0, pos = 0;

	out[0] = 0;
	if (lua_isnoneornil(L, arg))
		return;
	luaL_checktype(L, arg, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, arg)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_argerror(L, arg, "option names must be strings");
		if (!strcmp(lua_tostring(L, -1), "name"))
			continue;
		if (n == sizeof(keys) / sizeof(keys[0]))
			luaL_argerror(L, arg, "too many options");
		keys[n++] = lua_tostring(L, -1); /* kept alive by the table */
	}
	for (size_t i = 1; i < n; i++) /* insertion sort: n is small */
		for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
			const char *k = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = k;
		}
	for (size_t i = 0; i < n; i++) {
		char val[128];
		int type;

		if (!option_text_ok(keys[i]))
			luaL_argerror(L, arg, lua_pushfstring(L, "bad option name '%s'", keys[i]));
		type = lua_getfield(L, arg, keys[i]);
		if (!strcmp(keys[i], "features") && type == LUA_TTABLE)
			snprintf(val, sizeof(val), "0x%llx",
				 (unsigned long long)lt_check_features(L, -1, arg, "features"));
		else if (type == LUA_TNUMBER && lua_isinteger(L, -1))
			snprintf(val, sizeof(val), "%lld", (long long)lua_tointeger(L, -1));
		else if (type == LUA_TBOOLEAN)
			snprintf(val, sizeof(val), "%d", lua_toboolean(L, -1));
		else if (type == LUA_TSTRING && option_text_ok(lua_tostring(L, -1)) &&
			 strlen(lua_tostring(L, -1)) < sizeof(val))
			snprintf(val, sizeof(val), "%s", lua_tostring(L, -1));
		else
			luaL_argerror(L, arg, lua_pushfstring(L, "option %s must be an integer, a "
							      "boolean or a word", keys[i]));
		lua_pop(L, 1);
		pos += (size_t)snprintf(out + pos, len - pos, "%s%s=%s", pos ? "," : "", keys[i],
					val);
		if (pos >= len)
			luaL_argerror(L, arg, "options too long");
	}
}

int lt_nic_plug(lua_State *L, struct lt_host *h, unsigned slot)
{
	const char *model = luaL_checkstring(L, 2);
	struct ltopo *t = lt_topo(L);
	char options[OPTIONS_MAX], name[LT_NAME_MAX] = "";
	struct lt_nic *n;
	size_t m;
	int rc;

	for (m = 0; m < sizeof(models) / sizeof(models[0]); m++)
		if (!strcmp(models[m].name, model))
			break;
	if (m == sizeof(models) / sizeof(models[0]))
		return luaL_argerror(L, 2, lua_pushfstring(L, "unknown device model '%s' (ifcvf)",
							      model));
	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		if (lua_getfield(L, 3, "name") != LUA_TNIL) {
			if (lua_type(L, -1) != LUA_TSTRING || !lt_name_ok(lua_tostring(L, -1)))
				return luaL_argerror(L, 3, "name must be 1 to 47 letters, digits, "
						     "'_', '-' or '.'");
			snprintf(name, sizeof(name), "%s", lua_tostring(L, -1));
		}
		lua_pop(L, 1);
	}
	options_string(L, 3, options, sizeof(options));
	if (t->vdpa_ready)
		return luaL_error(L, "plug: the vdpa stack is already running (plug devices before "
				  "the first vdpa call)");
	if (h->nic[slot])
		return luaL_error(L, "plug: slot %d of %s already holds %s", (int)slot, h->hdr.name,
				  h->nic[slot]->name);
	if (!name[0])
		snprintf(name, sizeof(name), "%s%u", model, slot);
	for (size_t i = 0; i < t->n; i++)
		if (t->objs[i] && t->objs[i]->kind == LT_NIC && !strcmp(t->objs[i]->name, name))
			return luaL_argerror(L, 3, lua_pushfstring(L, "name '%s' is already taken",
								      name));
	n = calloc(1, sizeof(*n));
	if (!n)
		return luaL_error(L, "out of memory");
	n->hdr.kind = LT_NIC;
	n->hdr.destroy = nic_destroy;
	snprintf(n->hdr.name, sizeof(n->hdr.name), "%s", name);
	n->slot = slot;
	n->driver = models[m].driver;
	snprintf(n->mgmtdev, sizeof(n->mgmtdev), "pci/0000:00:%02x.0", slot);
	lt_register(L, &n->hdr);
	rc = devh_create(lsim_sim(L), h->rc, slot, models[m].plugin(), options, name, &n->dh);
	if (rc == -EINVAL)
		return luaL_argerror(L, 3, lua_pushfstring(L, "%s refused the options \"%s\"",
							      model, options));
	if (rc)
		return lt_fail_errno(L, "plug", rc);
	n->host = h;
	h->nic[slot] = &n->hdr;
	lt_push_ref(L, LT_MT_NIC, &n->hdr, 0);
	return 1;
}

/* ---- boot ------------------------------------------------------------------------------ */

static void drv_destroy(void *arg)
{
	struct ltopo *t = arg;

	for (size_t i = t->n; i-- > 0;) {
		struct lt_nic *n = (struct lt_nic *)t->objs[i];

		if (n && n->hdr.kind == LT_NIC && n->vf) {
			vifc_remove(n->vf);
			n->vf = NULL;
		}
	}
}

static void boot_host(lua_State *L, struct lt_host *h)
{
	struct pcie_host_fn hf[PCIE_SLOTS * PCIE_FUNCS];
	unsigned nf = 0;
	int rc;

	h->booted = true;
	rc = pcie_enumerate(h->rc, MMIO_BASE, MMIO_SIZE, hf, PCIE_SLOTS * PCIE_FUNCS, &nf);
	if (rc)
		lt_fail_errno(L, "enumerating the PCIe bus", rc);
	for (unsigned i = 0; i < nf; i++) {
		unsigned slot = (hf[i].bdf >> 3) & 31;
		struct lt_nic *n = (struct lt_nic *)h->nic[slot];
		struct vifc_opts o;

		if (!n || (hf[i].bdf & 7) || n->driver != DRV_IFCVF)
			continue;
		vifc_opts_default(&o);
		o.iommu = h->iommu;
		rc = vifc_probe(lsim_sim(L), h->rc, &hf[i], &o, &n->vf);
		if (rc == -EEXIST)
			luaL_error(L, "%s: management device %s exists already (another host has a "
				   "device in slot %d: use distinct slot numbers)", n->hdr.name,
				   n->mgmtdev, (int)slot);
		if (rc)
			luaL_error(L, "%s: the vendor driver's probe failed: %s", n->hdr.name,
				   strerror(-rc));
	}
}

void lt_boot_hosts(lua_State *L)
{
	struct ltopo *t = lt_topo(L);
	int rc;

	rc = eng_attach(lsim_sim(L), DRV_KEY, t, drv_destroy);
	if (rc)
		lt_fail_errno(L, "booting", rc);
	for (size_t i = 0; i < t->n; i++)
		if (t->objs[i] && t->objs[i]->kind == LT_HOST)
			boot_host(L, (struct lt_host *)t->objs[i]);
}

/* ---- NIC methods ----------------------------------------------------------------------- */

static int nic_name(lua_State *L)
{
	lua_pushstring(L, check_nic(L, 1)->hdr.name);
	return 1;
}

/* nic:port([i]) -> port handle (i from 0) */
static int nic_port(lua_State *L)
{
	struct lt_nic *n = check_nic(L, 1);
	lua_Integer i = luaL_optinteger(L, 2, 0);
	unsigned np = devh_net_ports(n->dh);

	luaL_argcheck(L, i >= 0 && i < (lua_Integer)np, 2,
		      lua_pushfstring(L, "%s has %d Ethernet port(s), numbered from 0", n->hdr.name,
				      (int)np));
	lt_push_ref(L, LT_MT_PORT, &n->hdr, (unsigned)i);
	return 1;
}

static int nic_ports(lua_State *L)
{
	lua_pushinteger(L, devh_net_ports(check_nic(L, 1)->dh));
	return 1;
}

static int nic_mgmtdev(lua_State *L)
{
	lua_pushstring(L, check_nic(L, 1)->mgmtdev);
	return 1;
}

static int nic_slot(lua_State *L)
{
	struct lt_nic *n = check_nic(L, 1);

	lt_push_ref(L, LT_MT_SLOT, &n->host->hdr, n->slot);
	return 1;
}

/* nic:pcie_stats(): TLP counters of the function (up: device to root complex) and
 * its link. */
static int nic_pcie_stats(lua_State *L)
{
	struct lt_nic *n = check_nic(L, 1);
	struct pcie_fn_stats s;
	struct pcie_link_info li;

	pcie_fn_stats(devh_fn(n->dh), &s);
	pcie_fn_link_info(devh_fn(n->dh), &li);
	lua_newtable(L);
	lt_set_int(L, "mrd_tlps", s.mrd_tlps);
	lt_set_int(L, "mrd_bytes", s.mrd_bytes);
	lt_set_int(L, "cpld_tlps", s.cpld_tlps);
	lt_set_int(L, "cpld_bytes", s.cpld_bytes);
	lt_set_int(L, "mwr_tlps", s.mwr_tlps);
	lt_set_int(L, "mwr_bytes", s.mwr_bytes);
	lt_set_int(L, "msix_tlps", s.msix_tlps);
	lt_set_int(L, "msix_bytes", s.msix_bytes);
	lt_set_int(L, "msix_pended", s.msix_pended);
	lt_set_int(L, "mmio_rd", s.mmio_rd);
	lt_set_int(L, "mmio_wr", s.mmio_wr);
	lt_set_int(L, "up_wire_bytes", s.up_wire_bytes);
	lt_set_int(L, "down_wire_bytes", s.down_wire_bytes);
	lt_set_int(L, "dma_reads", s.dma_reads);
	lt_set_int(L, "dma_writes", s.dma_writes);
	lt_set_int(L, "dma_faults", s.dma_faults);
	lt_set_int(L, "dma_refused", s.dma_refused);
	lt_set_int(L, "iotlb_misses", s.iotlb_misses);
	lt_set_int(L, "tag_wait_ps", s.tag_wait);
	lua_createtable(L, 0, 11);
	lt_set_int(L, "gen", li.gen);
	lt_set_int(L, "width", li.width);
	lt_set_int(L, "mps", li.mps);
	lt_set_int(L, "mrrs", li.mrrs);
	lt_set_int(L, "rcb", li.rcb);
	lt_set_int(L, "read_tags", li.read_tags);
	lt_set_num(L, "gbps", li.gbps);
	lt_set_int(L, "up_wire_bytes", li.up_wire_bytes);
	lt_set_int(L, "down_wire_bytes", li.down_wire_bytes);
	lt_set_int(L, "up_busy_ps", li.up_busy);
	lt_set_int(L, "down_busy_ps", li.down_busy);
	lua_setfield(L, -2, "link");
	return 1;
}

struct stat_ctx {
	lua_State *L;
	char prefix[LT_NAME_MAX + 8];
	size_t plen;
};

static void stat_one(void *arg, const char *name, uint64_t v)
{
	struct stat_ctx *c = arg;

	if (strncmp(name, c->prefix, c->plen))
		return;
	lua_pushinteger(c->L, (lua_Integer)v);
	lua_setfield(c->L, -2, name + c->plen);
}

/* nic:stats(): the model's counters (sim stats dev.<name>.*) without the prefix, plus
 * the frames the host dropped per port. */
static int nic_stats(lua_State *L)
{
	struct lt_nic *n = check_nic(L, 1);
	struct stat_ctx c = { .L = L };

	c.plen = (size_t)snprintf(c.prefix, sizeof(c.prefix), "dev.%s.", n->hdr.name);
	lua_newtable(L);
	eng_stat_foreach(lsim_sim(L), stat_one, &c);
	lua_newtable(L);
	for (unsigned i = 0; i < devh_net_ports(n->dh); i++) {
		lua_pushinteger(L, (lua_Integer)devh_net_dropped(n->dh, i));
		lua_rawseti(L, -2, (lua_Integer)i);
	}
	lua_setfield(L, -2, "host_dropped");
	return 1;
}

/* nic:control("queue_state=0") -> reply text, errno */
static int nic_control(lua_State *L)
{
	struct lt_nic *n = check_nic(L, 1);
	const char *cmd = luaL_checkstring(L, 2);
	char reply[REPLY_MAX];
	int rc;

	rc = devh_control(n->dh, cmd, reply, sizeof(reply));
	lua_pushstring(L, reply);
	lua_pushinteger(L, lt_errno(rc));
	return 2;
}

/* A "k=v k=v" reply as a table; numbers (decimal or 0x hex) become integers. */
static void push_reply_table(lua_State *L, const char *reply)
{
	const char *p = reply;

	lua_newtable(L);
	while (*p) {
		const char *end = p + strcspn(p, " "), *eq = memchr(p, '=', (size_t)(end - p));

		if (eq && eq > p) {
			char val[128], *stop;
			size_t vl = (size_t)(end - eq - 1);
			unsigned long long v;

			snprintf(val, sizeof(val), "%.*s", (int)vl, eq + 1);
			lua_pushlstring(L, p, (size_t)(eq - p));
			v = strtoull(val, &stop, 0);
			if (*val && !*stop && *val != '-' && *val != '+')
				lua_pushinteger(L, (lua_Integer)v);
			else
				lua_pushstring(L, val);
			lua_rawset(L, -3);
		}
		p = *end ? end + 1 : end;
	}
}

/* nic:query("queue_state=0") -> { qid = 0, running = 1, ... } | nil, errno */
static int nic_query(lua_State *L)
{
	struct lt_nic *n = check_nic(L, 1);
	const char *cmd = luaL_checkstring(L, 2);
	char reply[REPLY_MAX];
	int rc = devh_control(n->dh, cmd, reply, sizeof(reply));

	if (rc) {
		lua_pushnil(L);
		lua_pushinteger(L, lt_errno(rc));
		return 2;
	}
	push_reply_table(L, reply);
	lua_pushinteger(L, 0);
	return 2;
}

/* nic:violations() -> { total, device, driver, warnings, errors, list = { text... } } */
static int nic_violations(lua_State *L)
{
	struct lt_nic *n = check_nic(L, 1);
	char text[192];

	lua_newtable(L);
	lt_set_int(L, "total", devh_violations(n->dh));
	lt_set_int(L, "device", devh_violations_by(n->dh, VQ_ACTOR_DEVICE));
	lt_set_int(L, "driver", devh_violations_by(n->dh, VQ_ACTOR_DRIVER));
	lua_newtable(L);
	for (unsigned i = 0; !devh_violation_text(n->dh, i, text, sizeof(text)); i++) {
		lua_pushstring(L, text);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "list");
	return 1;
}

/* nic:errors() -> { { time_ps, qid, violation, detail }, ... } as the model reported */
static int nic_errors(lua_State *L)
{
	struct lt_nic *n = check_nic(L, 1);
	struct devh_error e;

	lua_newtable(L);
	for (unsigned i = 0; !devh_error_get(n->dh, i, &e); i++) {
		lua_createtable(L, 0, 4);
		lt_set_int(L, "time_ps", e.time);
		lt_set_int(L, "qid", e.qid);
		lt_set_str(L, "violation", e.violation);
		lt_set_str(L, "detail", e.detail);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

void lt_open_nic(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "name", nic_name }, { "port", nic_port }, { "ports", nic_ports },
		{ "mgmtdev", nic_mgmtdev }, { "slot", nic_slot }, { "pcie_stats", nic_pcie_stats },
		{ "stats", nic_stats }, { "control", nic_control }, { "query", nic_query },
		{ "violations", nic_violations }, { "errors", nic_errors }, { NULL, NULL },
	};

	lt_new_class(L, LT_MT_NIC, methods, NULL);
}
