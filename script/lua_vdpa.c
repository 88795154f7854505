// SPDX-License-Identifier: MIT
/*
 * The vdpa bus for scripts: the `vdpa` tool (sim.vdpa), vdpa device handles
 * and driver binding (sim.vdpa_device, dev:bind), the software test parent
 * (sim.testdev_mgmt), feature-bit names (sim.features, sim.feature_names).
 *
 * The bus runs with autoprobe off: a device that `vdpa dev add` creates stays
 * unbound until the script binds it (dev:bind), so which driver gets it never
 * depends on registration order.
 */
#include "script/topo_priv.h"
#include "stack/vdpa_bus/vdpa_bus.h"
#include "stack/vdpa_testdev/vdpa_testdev.h"
#include "stack/vhost_vdpa/vhost_vdpa.h"
#include "stack/virtio_vdpa/virtio_vdpa.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOOL_OUT_MAX 65536

/* Device handles hold the name, not the device: `vdpa dev del` frees it. */
struct lt_vdev {
	char name[VDPA_NAME_MAX];
};

void lt_vdpa_setup(lua_State *L)
{
	struct ltopo *t = lt_topo(L);
	struct sim *sim = lsim_sim(L);
	int rc;

	if (t->vdpa_ready)
		return;
	if (!vdpa_bus_get(sim))
		luaL_error(L, "out of memory");
	vdpa_bus_set_autoprobe(sim, false);
	t->vdpa_ready = true; /* once, even if what follows fails */
	rc = vhv_register_driver(sim);
	if (rc && rc != -EEXIST)
		lt_fail_errno(L, "registering vhost_vdpa", rc);
	lt_netdev_setup(L);
	lt_boot_hosts(L);
}

/* ---- sim.vdpa -------------------------------------------------------------------------- */

/* sim.vdpa("dev add name vdpa0 mgmtdev vdpasim_net") -> text, errno (0: success) */
static int l_vdpa(lua_State *L)
{
	const char *cmd = luaL_checkstring(L, 1);
	luaL_Buffer b;
	char *out;
	int rc;

	lt_vdpa_setup(L);
	out = luaL_buffinitsize(L, &b, TOOL_OUT_MAX);
	rc = vdpa_tool(lsim_sim(L), cmd, out, TOOL_OUT_MAX);
	luaL_pushresultsize(&b, strlen(out));
	lua_pushinteger(L, lt_errno(rc));
	return 2;
}

/* ---- feature names --------------------------------------------------------------------- */

/* Bit of a feature name as `vdpa` prints it ("MAC", "VERSION_1", "bit_42"), or -1. */
static int feature_bit(const char *name)
{
	char buf[48];

	for (unsigned bit = 0; bit < 64; bit++)
		if (!strcmp(vdpa_feature_name(VIRTIO_ID_NET, bit, buf, sizeof(buf)), name))
			return (int)bit;
	return -1;
}

/* A feature set at idx: an integer mask or a list of names.  Raises naming `what`. */
uint64_t lt_check_features(lua_State *L, int idx, int arg, const char *what)
{
	uint64_t mask = 0;
	size_t n;

	idx = lua_absindex(L, idx);
	if (lua_isinteger(L, idx))
		return (uint64_t)lua_tointeger(L, idx);
	if (lua_type(L, idx) != LUA_TTABLE)
		luaL_argerror(L, arg, lua_pushfstring(L, "%s must be an integer mask or a list of "
						      "feature names", what));
	n = lua_rawlen(L, idx);
	for (size_t i = 1; i <= n; i++) {
		int bit;

		if (lua_rawgeti(L, idx, (lua_Integer)i) != LUA_TSTRING)
			luaL_argerror(L, arg, lua_pushfstring(L, "%s[%d] must be a feature name",
							      what, (int)i));
		bit = feature_bit(lua_tostring(L, -1));
		if (bit < 0)
			luaL_argerror(L, arg, lua_pushfstring(L, "%s[%d]: unknown feature '%s' "
							      "(names as `vdpa` prints them, e.g. "
							      "\"VERSION_1\", \"MAC\", \"bit_42\")",
							      what, (int)i, lua_tostring(L, -1)));
		mask |= 1ULL << bit;
		lua_pop(L, 1);
	}
	return mask;
}

/* sim.features{ "VERSION_1", "MAC" } -> mask */
static int l_features(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_pushinteger(L, (lua_Integer)lt_check_features(L, 1, 1, "features"));
	return 1;
}

/* sim.feature_names(mask) -> { "MAC", ..., "VERSION_1" } in bit order */
static int l_feature_names(lua_State *L)
{
	uint64_t mask = (uint64_t)luaL_checkinteger(L, 1);
	char buf[48];
	int n = 0;

	lua_newtable(L);
	for (unsigned bit = 0; bit < 64; bit++) {
		if (!(mask & (1ULL << bit)))
			continue;
		lua_pushstring(L, vdpa_feature_name(VIRTIO_ID_NET, bit, buf, sizeof(buf)));
		lua_rawseti(L, -2, ++n);
	}
	return 1;
}

/* ---- sim.testdev_mgmt ------------------------------------------------------------------ */

struct lt_mgmt {
	struct lt_obj hdr;
	struct vtd_mgmt *m; /* owned by the test device component */
	/* the management device keeps pointers to these: they outlive it, because
	 * the registry is destroyed after the component */
	char bus[VDPA_NAME_MAX];
	char dev[VDPA_NAME_MAX];
	char handle[2 * VDPA_NAME_MAX];
};

static void mgmt_destroy(struct lt_obj *o)
{
	free(o);
}

static int l_testdev_mgmt(lua_State *L)
{
	static const char *const keys[] = {
		"name", "bus", "features", "max_vqp", "max_supported_vqp", "vq_num_max", "map",
		"mac", "mtu", "datapath", NULL,
	};
	static const char *const maps[] = { "platform", "set_map", "dma_map", NULL };
	static const char *const datapaths[] = { "none", "loopback", NULL };
	const struct vq_mem *hm;
	struct vtd_config c;
	struct lt_mgmt *g;
	struct lt_opts o;
	int rc;

	lt_vdpa_setup(L);
	vtd_default_config(&c);
	lt_opts_open(L, 1, keys, &o);
	g = calloc(1, sizeof(*g));
	if (!g)
		return luaL_error(L, "out of memory");
	g->hdr.kind = LT_MGMT;
	g->hdr.destroy = mgmt_destroy;
	lt_register(L, &g->hdr);
	lt_opt_str(&o, "name", g->dev, sizeof(g->dev), c.mgmtdev_name);
	lt_opt_str(&o, "bus", g->bus, sizeof(g->bus), NULL);
	if (!g->dev[0] || strchr(g->dev, '/') || strchr(g->dev, ' '))
		lt_opt_error(&o, "name", " must be a non-empty name without '/' or spaces");
	if (strchr(g->bus, '/') || strchr(g->bus, ' '))
		lt_opt_error(&o, "bus", " must be a name without '/' or spaces");
	c.mgmtdev_name = g->dev;
	c.mgmtdev_bus = g->bus[0] ? g->bus : NULL;
	if (lt_opt_push(&o, "features") != LUA_TNIL)
		c.device_features = lt_check_features(L, -1, 1, "features");
	lua_pop(L, 1);
	c.max_vqp = (uint16_t)lt_opt_uint(&o, "max_vqp", 1, 0x8000, c.max_vqp);
	c.max_supported_vqp = (uint16_t)lt_opt_uint(&o, "max_supported_vqp", 1, 0x8000,
						    c.max_supported_vqp);
	if (c.max_vqp > c.max_supported_vqp)
		lt_opt_error(&o, "max_vqp", " must be <= max_supported_vqp (%u)",
			     c.max_supported_vqp);
	c.vq_num_max = (uint16_t)lt_opt_uint(&o, "vq_num_max", 1, 32768, c.vq_num_max);
	c.map_mode = (enum vtd_map_mode)lt_opt_enum(&o, "map", maps, c.map_mode);
	lt_opt_mac(&o, "mac", c.mac);
	c.mtu = (uint16_t)lt_opt_uint(&o, "mtu", 68, 65535, c.mtu);
	c.datapath = (enum vtd_datapath)lt_opt_enum(&o, "datapath", datapaths, VTD_DP_NONE);
	/* the device reads what virtio_vdpa and vhost users put in the DMA window */
	hm = vvd_host_mem(lsim_sim(L));
	if (hm)
		c.host_mem = *hm;
	rc = vtd_mgmtdev_register(lsim_sim(L), &c, &g->m);
	if (rc == -EEXIST)
		return lt_opt_error(&o, "name", ": management device %s%s%s is already registered",
				    g->bus, g->bus[0] ? "/" : "", g->dev);
	if (rc)
		return lt_fail_errno(L, "testdev_mgmt", rc);
	snprintf(g->handle, sizeof(g->handle), "%s%s%s", g->bus, g->bus[0] ? "/" : "", g->dev);
	snprintf(g->hdr.name, sizeof(g->hdr.name), "%.*s", LT_NAME_MAX - 1, g->handle);
	lt_push_ref(L, LT_MT_MGMT, &g->hdr, 0);
	return 1;
}

/* mgmt:handle() -> "vdpasim_net" (what `vdpa dev add ... mgmtdev` takes) */
static int mgmt_handle(lua_State *L)
{
	lua_pushstring(L, ((struct lt_mgmt *)lt_check_ref(L, 1, LT_MT_MGMT)->obj)->handle);
	return 1;
}

/* ---- vdpa devices ---------------------------------------------------------------------- */

void lt_push_vdev(lua_State *L, const char *name)
{
	struct lt_vdev *h = lua_newuserdatauv(L, sizeof(*h), 0);

	snprintf(h->name, sizeof(h->name), "%s", name);
	luaL_setmetatable(L, LT_MT_VDPA);
}

static struct lt_vdev *check_vdev(lua_State *L, int arg)
{
	return luaL_checkudata(L, arg, LT_MT_VDPA);
}

/* The device, or a Lua error when it was deleted. */
static struct vdpa_device *vdev_get(lua_State *L, int arg)
{
	struct lt_vdev *h = check_vdev(L, arg);
	struct vdpa_device *d = vdpa_find_device(lsim_sim(L), h->name);

	if (!d)
		luaL_error(L, "vdpa device '%s' does not exist (any more)", h->name);
	return d;
}

/* sim.vdpa_device(name) -> handle, or nil when there is no such device */
static int l_vdpa_device(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);

	lt_vdpa_setup(L);
	if (!vdpa_find_device(lsim_sim(L), name)) {
		lua_pushnil(L);
		return 1;
	}
	lt_push_vdev(L, name);
	return 1;
}

static int vdev_tostring(lua_State *L)
{
	lua_pushfstring(L, "vdpa_device(%s)", check_vdev(L, 1)->name);
	return 1;
}

static int vdev_eq(lua_State *L)
{
	struct lt_vdev *a = luaL_testudata(L, 1, LT_MT_VDPA), *b = luaL_testudata(L, 2, LT_MT_VDPA);

	lua_pushboolean(L, a && b && !strcmp(a->name, b->name));
	return 1;
}

static int vdev_name(lua_State *L)
{
	lua_pushstring(L, check_vdev(L, 1)->name);
	return 1;
}

static int vdev_exists(lua_State *L)
{
	lua_pushboolean(L, vdpa_find_device(lsim_sim(L), check_vdev(L, 1)->name) != NULL);
	return 1;
}

static int vdev_driver(lua_State *L)
{
	struct vdpa_device *d = vdev_get(L, 1);

	if (d->driver)
		lua_pushstring(L, d->driver->name);
	else
		lua_pushnil(L);
	return 1;
}

static int vdev_chardev(lua_State *L)
{
	const char *cd = vhv_chardev_name(vdev_get(L, 1));

	if (cd)
		lua_pushfstring(L, "/dev/%s", cd);
	else
		lua_pushnil(L);
	return 1;
}

/* Binding to vhost_vdpa: the result is the character device to open. */
static int bind_vhost_vdpa(lua_State *L, struct vdpa_device *d, int opts)
{
	static const char *const keys[] = { "vmm", NULL };
	struct lt_opts o;
	int rc;

	lt_opts_open(L, opts, keys, &o);
	/* { vmm = ... } comes with stack/vmm: the VMM opens the device and the
	 * result becomes the guest's network device. */
	if (lt_opt_has(&o, "vmm"))
		lt_opt_error(&o, "vmm", ": a guest over vhost-vdpa needs stack/vmm, which is not in "
			     "this build");
	rc = vdpa_driver_bind(vhv_driver(lsim_sim(L)), d);
	if (rc) {
		lua_pushnil(L);
		lua_pushinteger(L, lt_errno(rc));
		return 2;
	}
	lua_pushfstring(L, "/dev/%s", vhv_chardev_name(d));
	lua_pushinteger(L, 0);
	return 2;
}

/*
 * Drivers a device can be bound to, and what binding returns: vhost_vdpa the
 * character device, virtio_vdpa a network device handle (lua_netdev.c).
 */
static const struct {
	const char *name;
	int (*bind)(lua_State *L, struct vdpa_device *d, int opts);
} drivers[] = {
	{ "vhost_vdpa", bind_vhost_vdpa },
	{ "virtio_vdpa", lt_bind_virtio_vdpa },
};

/* dev:bind(driver [, options]) -> driver result, errno */
static int vdev_bind(lua_State *L)
{
	struct vdpa_device *d = vdev_get(L, 1);
	const char *name = luaL_checkstring(L, 2);

	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		if (strcmp(name, drivers[i].name))
			continue;
		if (d->driver && !strcmp(d->driver->name, name))
			return luaL_error(L, "bind: %s is already bound to %s", d->name, name);
		if (d->driver)
			vdpa_device_release_driver(d);
		return drivers[i].bind(L, d, 3);
	}
	return luaL_argerror(L, 2, lua_pushfstring(L, "unknown driver '%s' (vhost_vdpa or "
						      "virtio_vdpa)", name));
}

static int vdev_unbind(lua_State *L)
{
	vdpa_device_release_driver(vdev_get(L, 1));
	return 0;
}

/* dev:info(): `vdpa dev show` and `vdpa dev config show` as one table. */
static int vdev_info(lua_State *L)
{
	struct vdpa_device *d = vdev_get(L, 1);
	struct vdpa_dev_config_info ci;
	struct vdpa_dev_info di;
	struct vdpa_extack ext;
	size_t n = 0;
	char mac[18];

	if (vdpa_nl_dev_get(lsim_sim(L), d->name, &di, 1, &n, &ext) || n != 1)
		return luaL_error(L, "info: %s", ext.msg);
	lua_newtable(L);
	lt_set_str(L, "name", di.name);
	lt_set_str(L, "mgmtdev", di.mgmtdev);
	lt_set_int(L, "device_id", di.device_id);
	lt_set_int(L, "vendor_id", di.vendor_id);
	lt_set_int(L, "max_vqs", di.max_vqs);
	lt_set_int(L, "max_vq_size", di.max_vq_size);
	if (di.has_min_vq_size)
		lt_set_int(L, "min_vq_size", di.min_vq_size);
	if (d->driver)
		lt_set_str(L, "driver", d->driver->name);
	if (vdpa_nl_dev_config_get(lsim_sim(L), d->name, &ci, &ext))
		return 1; /* no config for devices without mgmtdev or of another class */
	lt_set_int(L, "features", ci.dev_features);
	if (ci.has_negotiated)
		lt_set_int(L, "negotiated_features", ci.negotiated_features);
	if (ci.has_mac) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", ci.mac[0], ci.mac[1],
			 ci.mac[2], ci.mac[3], ci.mac[4], ci.mac[5]);
		lt_set_str(L, "mac", mac);
	}
	if (ci.has_status)
		lt_set_int(L, "link_status", ci.status);
	if (ci.has_max_vqp)
		lt_set_int(L, "max_vqp", ci.max_vqp);
	if (ci.has_mtu)
		lt_set_int(L, "mtu", ci.mtu);
	return 1;
}

void lt_open_vdpa(lua_State *L)
{
	static const luaL_Reg vdev_methods[] = {
		{ "name", vdev_name }, { "exists", vdev_exists }, { "driver", vdev_driver },
		{ "bind", vdev_bind }, { "unbind", vdev_unbind }, { "chardev", vdev_chardev },
		{ "info", vdev_info }, { NULL, NULL },
	};
	static const luaL_Reg mgmt_methods[] = { { "handle", mgmt_handle }, { NULL, NULL } };
	static const luaL_Reg funcs[] = {
		{ "vdpa", l_vdpa },
		{ "vdpa_device", l_vdpa_device },
		{ "testdev_mgmt", l_testdev_mgmt },
		{ "features", l_features },
		{ "feature_names", l_feature_names },
		{ NULL, NULL },
	};

	lt_new_class(L, LT_MT_VDPA, vdev_methods, vdev_tostring);
	luaL_getmetatable(L, LT_MT_VDPA);
	lua_pushcfunction(L, vdev_eq);
	lua_setfield(L, -2, "__eq");
	lua_pop(L, 1);
	lt_new_class(L, LT_MT_MGMT, mgmt_methods, NULL);
	luaL_setfuncs(L, funcs, 0);
}
