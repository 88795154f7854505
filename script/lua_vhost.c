// SPDX-License-Identifier: MIT
/*
 * vhost-vdpa character devices for power users: sim.vhost_open(path) gives a
 * handle with ioctl() by request name (mapped to the <linux/vhost.h> numbers)
 * and iotlb() for IOTLB messages.  Results come back as (value, errno) the
 * way user space sees them, so scripts can test the kernel's error paths.
 * The open files belong to vhost_vdpa (closed by its destructor at the end of
 * the simulation if the script did not close them).
 */
#include "script/topo_priv.h"
#include "stack/vhost_vdpa/vhost_vdpa.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define CONFIG_MAX 4096 /* bytes per GET_CONFIG / SET_CONFIG from a script */

struct lt_vhost {
	struct lt_obj hdr;
	struct vhv_file *f; /* NULL once closed */
};

static void vhost_destroy(struct lt_obj *o)
{
	free(o); /* the file itself is vhost_vdpa's */
}

static struct lt_vhost *check_open(lua_State *L, int arg)
{
	struct lt_vhost *h = (struct lt_vhost *)lt_check_ref(L, arg, LT_MT_VHOST)->obj;

	if (!h->f)
		luaL_error(L, "%s is closed", h->hdr.name);
	return h;
}

/* sim.vhost_open("/dev/vhost-vdpa-0") -> handle, 0 | nil, errno */
static int l_vhost_open(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct lt_vhost *h;
	int rc;

	lt_vdpa_setup(L);
	h = calloc(1, sizeof(*h));
	if (!h)
		return luaL_error(L, "out of memory");
	h->hdr.kind = LT_VHOST;
	h->hdr.destroy = vhost_destroy;
	snprintf(h->hdr.name, sizeof(h->hdr.name), "%s", path);
	rc = vhv_open(lsim_sim(L), path, &h->f);
	if (rc) {
		free(h);
		lua_pushnil(L);
		lua_pushinteger(L, lt_errno(rc));
		return 2;
	}
	lt_register(L, &h->hdr);
	lt_push_ref(L, LT_MT_VHOST, &h->hdr, 0);
	lua_pushinteger(L, 0);
	return 2;
}

/* ---- ioctl ----------------------------------------------------------------------------- */

enum arg_kind {
	A_NONE,       /* no argument (NULL) */
	A_U64_IN,
	A_U8_IN,
	A_INT_IN,     /* an fd */
	A_U64_OUT,
	A_U32_OUT,
	A_U16_OUT,
	A_U8_OUT,
	A_UINT_OUT,
	A_STATE_IN,   /* { index = , num = } */
	A_STATE_INOUT,/* { index = } -> num */
	A_ADDR_IN,    /* { index, desc, avail, used, log, flags } */
	A_FILE_IN,    /* { index, fd } */
	A_RANGE_OUT,  /* -> { first, last } */
	A_CONFIG_GET, /* { off, len } -> string */
	A_CONFIG_SET, /* { off, data } */
};

/* Names without the VHOST_ / VHOST_VDPA_ prefix (either may be given). */
static const struct {
	const char *name;
	unsigned long req;
	enum arg_kind kind;
} ioctls[] = {
	{ "SET_OWNER", VHOST_SET_OWNER, A_NONE },
	{ "RESET_OWNER", VHOST_RESET_OWNER, A_NONE },
	{ "GET_FEATURES", VHOST_GET_FEATURES, A_U64_OUT },
	{ "SET_FEATURES", VHOST_SET_FEATURES, A_U64_IN },
	{ "GET_BACKEND_FEATURES", VHOST_GET_BACKEND_FEATURES, A_U64_OUT },
	{ "SET_BACKEND_FEATURES", VHOST_SET_BACKEND_FEATURES, A_U64_IN },
	{ "SET_VRING_NUM", VHOST_SET_VRING_NUM, A_STATE_IN },
	{ "SET_VRING_BASE", VHOST_SET_VRING_BASE, A_STATE_IN },
	{ "GET_VRING_BASE", VHOST_GET_VRING_BASE, A_STATE_INOUT },
	{ "SET_VRING_ADDR", VHOST_SET_VRING_ADDR, A_ADDR_IN },
	{ "SET_VRING_KICK", VHOST_SET_VRING_KICK, A_FILE_IN },
	{ "SET_VRING_CALL", VHOST_SET_VRING_CALL, A_FILE_IN },
	{ "GET_DEVICE_ID", VHOST_VDPA_GET_DEVICE_ID, A_U32_OUT },
	{ "GET_STATUS", VHOST_VDPA_GET_STATUS, A_U8_OUT },
	{ "SET_STATUS", VHOST_VDPA_SET_STATUS, A_U8_IN },
	{ "GET_CONFIG", VHOST_VDPA_GET_CONFIG, A_CONFIG_GET },
	{ "SET_CONFIG", VHOST_VDPA_SET_CONFIG, A_CONFIG_SET },
	{ "SET_VRING_ENABLE", VHOST_VDPA_SET_VRING_ENABLE, A_STATE_IN },
	{ "GET_VRING_NUM", VHOST_VDPA_GET_VRING_NUM, A_U16_OUT },
	{ "SET_CONFIG_CALL", VHOST_VDPA_SET_CONFIG_CALL, A_INT_IN },
	{ "GET_IOVA_RANGE", VHOST_VDPA_GET_IOVA_RANGE, A_RANGE_OUT },
	{ "GET_CONFIG_SIZE", VHOST_VDPA_GET_CONFIG_SIZE, A_U32_OUT },
	{ "GET_VQS_COUNT", VHOST_VDPA_GET_VQS_COUNT, A_U32_OUT },
	{ "GET_GROUP_NUM", VHOST_VDPA_GET_GROUP_NUM, A_U32_OUT },
	{ "GET_AS_NUM", VHOST_VDPA_GET_AS_NUM, A_UINT_OUT },
	{ "GET_VRING_GROUP", VHOST_VDPA_GET_VRING_GROUP, A_STATE_INOUT },
	{ "GET_VRING_DESC_GROUP", VHOST_VDPA_GET_VRING_DESC_GROUP, A_STATE_INOUT },
	{ "SET_GROUP_ASID", VHOST_VDPA_SET_GROUP_ASID, A_STATE_IN },
	{ "SUSPEND", VHOST_VDPA_SUSPEND, A_NONE },
	{ "RESUME", VHOST_VDPA_RESUME, A_NONE },
};

static int find_ioctl(const char *name)
{
	if (!strncmp(name, "VHOST_VDPA_", 11))
		name += 11;
	else if (!strncmp(name, "VHOST_", 6))
		name += 6;
	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		if (!strcmp(ioctls[i].name, name))
			return (int)i;
	return -1;
}

/* An unsigned integer field of the argument table at 3. */
static uint64_t arg_field(lua_State *L, const char *key, uint64_t hi, bool required, uint64_t def)
{
	lua_Integer v;
	int isint = 0;

	if (lua_getfield(L, 3, key) == LUA_TNIL) {
		lua_pop(L, 1);
		if (required)
			luaL_argerror(L, 3, lua_pushfstring(L, "field '%s' is required", key));
		return def;
	}
	v = lua_tointegerx(L, -1, &isint);
	if (!isint || lua_type(L, -1) != LUA_TNUMBER)
		luaL_argerror(L, 3, lua_pushfstring(L, "field '%s' must be an integer", key));
	if (hi != UINT64_MAX && (v < 0 || (uint64_t)v > hi))
		luaL_argerror(L, 3, lua_pushfstring(L, "field '%s' must be from 0 to %I", key,
						    (lua_Integer)hi));
	lua_pop(L, 1);
	return (uint64_t)v;
}

static uint64_t arg_int(lua_State *L, uint64_t hi)
{
	lua_Integer v = luaL_checkinteger(L, 3);

	luaL_argcheck(L, hi == UINT64_MAX || (v >= 0 && (uint64_t)v <= hi), 3,
		      lua_pushfstring(L, "must be from 0 to %I", (lua_Integer)hi));
	return (uint64_t)v;
}

/* Pushes the result of a successful call (the value, or true), then errno 0. */
static int ok(lua_State *L, int pushed)
{
	if (!pushed)
		lua_pushboolean(L, 1);
	lua_pushinteger(L, 0);
	return 2;
}

static int failed(lua_State *L, long rc)
{
	lua_pushnil(L);
	lua_pushinteger(L, lt_errno(rc));
	return 2;
}

/* Runs a request whose argument is not a simple value. */
static int ioctl_struct(lua_State *L, struct vhv_file *f, unsigned long req, enum arg_kind k)
{
	struct vhost_vring_state st = { 0 };
	struct vhost_vring_addr va = { 0 };
	struct vhost_vring_file vf = { 0 };
	struct vhost_vdpa_config *cfg;
	size_t len = 0;
	const char *data;
	long rc;

	luaL_checktype(L, 3, LUA_TTABLE);
	switch (k) {
	case A_STATE_IN:
	case A_STATE_INOUT:
		st.index = (unsigned)arg_field(L, "index", UINT32_MAX, true, 0);
		st.num = (unsigned)arg_field(L, "num", UINT32_MAX, k == A_STATE_IN, 0);
		rc = vhv_ioctl(f, req, &st);
		if (rc)
			return failed(L, rc);
		if (k == A_STATE_IN)
			return ok(L, 0);
		lua_pushinteger(L, st.num);
		return ok(L, 1);
	case A_ADDR_IN:
		va.index = (unsigned)arg_field(L, "index", UINT32_MAX, true, 0);
		va.flags = (unsigned)arg_field(L, "flags", UINT32_MAX, false, 0);
		va.desc_user_addr = arg_field(L, "desc", UINT64_MAX, true, 0);
		va.avail_user_addr = arg_field(L, "avail", UINT64_MAX, true, 0);
		va.used_user_addr = arg_field(L, "used", UINT64_MAX, true, 0);
		va.log_guest_addr = arg_field(L, "log", UINT64_MAX, false, 0);
		rc = vhv_ioctl(f, req, &va);
		return rc ? failed(L, rc) : ok(L, 0);
	case A_FILE_IN:
		vf.index = (unsigned)arg_field(L, "index", UINT32_MAX, true, 0);
		vf.fd = (int)arg_field(L, "fd", UINT64_MAX, true, 0);
		rc = vhv_ioctl(f, req, &vf);
		return rc ? failed(L, rc) : ok(L, 0);
	case A_CONFIG_GET:
	case A_CONFIG_SET:
		if (k == A_CONFIG_SET) {
			lua_getfield(L, 3, "data");
			data = lua_tolstring(L, -1, &len);
			luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING && len <= CONFIG_MAX, 3,
				      "field 'data' must be a string of at most 4096 bytes");
		} else {
			len = arg_field(L, "len", CONFIG_MAX, true, 0);
			data = NULL;
		}
		cfg = lua_newuserdatauv(L, sizeof(*cfg) + len, 0); /* collected with the call */
		cfg->off = (uint32_t)arg_field(L, "off", UINT32_MAX, true, 0);
		cfg->len = (uint32_t)len;
		if (data)
			memcpy(cfg->buf, data, len);
		rc = vhv_ioctl(f, req, cfg);
		if (rc)
			return failed(L, rc);
		if (k == A_CONFIG_SET)
			return ok(L, 0);
		lua_pushlstring(L, (const char *)cfg->buf, len);
		return ok(L, 1);
	default:
		break;
	}
	return luaL_error(L, "ioctl: internal error (argument kind %d)", (int)k);
}

/* h:ioctl(request [, arg]) -> value | true, 0  or  nil, errno */
static int vhost_ioctl(lua_State *L)
{
	struct lt_vhost *h = check_open(L, 1);
	struct vhost_vdpa_iova_range range;
	unsigned long req;
	enum arg_kind k;
	uint64_t u64;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8;
	unsigned int ui;
	int fd, i;
	long rc;

	if (lua_isinteger(L, 2)) {
		/* a raw request number, argument NULL: for unknown-request paths */
		rc = vhv_ioctl(h->f, (unsigned long)lua_tointeger(L, 2), NULL);
		return rc ? failed(L, rc) : ok(L, 0);
	}
	i = find_ioctl(luaL_checkstring(L, 2));
	if (i < 0)
		return luaL_argerror(L, 2, lua_pushfstring(L, "unknown request '%s' (names as "
							      "in <linux/vhost.h>, e.g. "
							      "\"GET_FEATURES\")",
							      lua_tostring(L, 2)));
	req = ioctls[i].req;
	k = ioctls[i].kind;
	switch (k) {
	case A_NONE:
		rc = vhv_ioctl(h->f, req, NULL);
		return rc ? failed(L, rc) : ok(L, 0);
	case A_U64_IN:
		u64 = arg_int(L, UINT64_MAX);
		rc = vhv_ioctl(h->f, req, &u64);
		return rc ? failed(L, rc) : ok(L, 0);
	case A_U8_IN:
		u8 = (uint8_t)arg_int(L, UINT8_MAX);
		rc = vhv_ioctl(h->f, req, &u8);
		return rc ? failed(L, rc) : ok(L, 0);
	case A_INT_IN:
		fd = (int)luaL_checkinteger(L, 3);
		rc = vhv_ioctl(h->f, req, &fd);
		return rc ? failed(L, rc) : ok(L, 0);
	case A_U64_OUT:
		rc = vhv_ioctl(h->f, req, &u64);
		if (rc)
			return failed(L, rc);
		lua_pushinteger(L, (lua_Integer)u64);
		return ok(L, 1);
	case A_U32_OUT:
		rc = vhv_ioctl(h->f, req, &u32);
		if (rc)
			return failed(L, rc);
		lua_pushinteger(L, u32);
		return ok(L, 1);
	case A_U16_OUT:
		rc = vhv_ioctl(h->f, req, &u16);
		if (rc)
			return failed(L, rc);
		lua_pushinteger(L, u16);
		return ok(L, 1);
	case A_U8_OUT:
		rc = vhv_ioctl(h->f, req, &u8);
		if (rc)
			return failed(L, rc);
		lua_pushinteger(L, u8);
		return ok(L, 1);
	case A_UINT_OUT:
		rc = vhv_ioctl(h->f, req, &ui);
		if (rc)
			return failed(L, rc);
		lua_pushinteger(L, ui);
		return ok(L, 1);
	case A_RANGE_OUT:
		rc = vhv_ioctl(h->f, req, &range);
		if (rc)
			return failed(L, rc);
		lua_createtable(L, 0, 2);
		lt_set_int(L, "first", range.first);
		lt_set_int(L, "last", range.last);
		return ok(L, 1);
	default:
		return ioctl_struct(L, h->f, req, k);
	}
}

/* h:iotlb{ type = "update", iova =, size =, uaddr =, perm = "rw", asid = 0 }
 *   -> true, 0  or  nil, errno, handler errno */
static int vhost_iotlb(lua_State *L)
{
	static const char *const types[] = { "update", "invalidate", "batch_begin", "batch_end",
					     NULL };
	static const uint8_t type_val[] = { VHOST_IOTLB_UPDATE, VHOST_IOTLB_INVALIDATE,
					    VHOST_IOTLB_BATCH_BEGIN, VHOST_IOTLB_BATCH_END };
	static const char *const perms[] = { "ro", "wo", "rw", NULL };
	static const char *const keys[] = { "type", "iova", "size", "uaddr", "perm", "asid", NULL };
	struct lt_vhost *h = check_open(L, 1);
	struct vhost_msg_v2 msg;
	struct lt_opts o;
	ssize_t rc;
	int t;

	luaL_checktype(L, 2, LUA_TTABLE);
	lt_opts_open(L, 2, keys, &o);
	if (!lt_opt_has(&o, "type"))
		lt_opt_error(&o, "type", " is required (\"update\", \"invalidate\", "
			     "\"batch_begin\" or \"batch_end\")");
	t = lt_opt_enum(&o, "type", types, 0);
	memset(&msg, 0, sizeof(msg));
	msg.type = VHOST_IOTLB_MSG_V2;
	msg.asid = (uint32_t)lt_opt_uint(&o, "asid", 0, UINT32_MAX, 0);
	msg.iotlb.type = type_val[t];
	msg.iotlb.iova = lt_opt_uint(&o, "iova", 0, UINT64_MAX, 0);
	msg.iotlb.size = lt_opt_uint(&o, "size", 0, UINT64_MAX, 0);
	msg.iotlb.uaddr = lt_opt_uint(&o, "uaddr", 0, UINT64_MAX, 0);
	msg.iotlb.perm = (uint8_t)(lt_opt_enum(&o, "perm", perms, 2) + 1); /* VHOST_ACCESS_* */
	rc = vhv_write(h->f, &msg, sizeof(msg));
	if (rc < 0) {
		failed(L, rc);
		lua_pushinteger(L, lt_errno(vhv_last_msg_error(h->f)));
		return 3;
	}
	return ok(L, 0);
}

static int vhost_fd(lua_State *L)
{
	lua_pushinteger(L, vhv_fd(check_open(L, 1)->f));
	return 1;
}

/* h:device() -> vdpa device handle, nil once the device is gone */
static int vhost_device(lua_State *L)
{
	struct vdpa_device *d = vhv_vdpa(check_open(L, 1)->f);

	if (!d)
		lua_pushnil(L);
	else
		lt_push_vdev(L, d->name);
	return 1;
}

/* h:close() -> errno (0) */
static int vhost_close(lua_State *L)
{
	struct lt_vhost *h = check_open(L, 1);
	int rc = vhv_close(h->f);

	h->f = NULL;
	lua_pushinteger(L, lt_errno(rc));
	return 1;
}

void lt_open_vhost(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "ioctl", vhost_ioctl }, { "iotlb", vhost_iotlb }, { "fd", vhost_fd },
		{ "device", vhost_device }, { "close", vhost_close }, { NULL, NULL },
	};

	lt_new_class(L, LT_MT_VHOST, methods, NULL);
	lua_pushcfunction(L, l_vhost_open);
	lua_setfield(L, -2, "vhost_open");
}
