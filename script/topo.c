// SPDX-License-Identifier: MIT
/*
 * The topology module: the per-sim registry that owns what scripts create,
 * handle userdata, strict option tables, and the small `sim` functions that
 * belong to no model (sim.stats, sim.stat, sim.errno).  The models' bindings
 * are in lua_host.c, lua_net.c, lua_vdpa.c and lua_vhost.c.
 */
#include "script/topo_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOPO_KEY "ltopo"

/* ---- registry -------------------------------------------------------------------------- */

/* Teardown: by kind in enum order, newest first within a kind. */
static void topo_destroy(void *arg)
{
	struct ltopo *t = arg;

	for (int kind = 0; kind < LT_NKINDS; kind++) {
		for (size_t i = t->n; i-- > 0;) {
			struct lt_obj *o = t->objs[i];

			if (o && (int)o->kind == kind) {
				t->objs[i] = NULL;
				o->destroy(o);
			}
		}
	}
	free(t->objs);
	free(t);
}

struct ltopo *lt_topo(lua_State *L)
{
	struct ltopo *t = eng_attached(lsim_sim(L), TOPO_KEY);

	if (!t)
		luaL_error(L, "the topology module is not open in this session");
	return t;
}

void lt_register(lua_State *L, struct lt_obj *o)
{
	struct ltopo *t = lt_topo(L);

	if (t->n == t->cap) {
		size_t ncap = t->cap ? 2 * t->cap : 16;
		struct lt_obj **p = realloc(t->objs, ncap * sizeof(*p));

		if (!p) {
			o->destroy(o);
			luaL_error(L, "out of memory");
		}
		t->objs = p;
		t->cap = ncap;
	}
	o->topo = t;
	o->id = (unsigned)t->n;
	t->objs[t->n++] = o;
}

bool lt_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= LT_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

int lt_fail_errno(lua_State *L, const char *what, int rc)
{
	return luaL_error(L, "%s: %s", what, strerror(rc < 0 ? -rc : rc));
}

void lt_set_int(lua_State *L, const char *key, uint64_t v)
{
	lua_pushinteger(L, (lua_Integer)v);
	lua_setfield(L, -2, key);
}

void lt_set_num(lua_State *L, const char *key, double v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, key);
}

void lt_set_bool(lua_State *L, const char *key, bool v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, key);
}

void lt_set_str(lua_State *L, const char *key, const char *v)
{
	lua_pushstring(L, v);
	lua_setfield(L, -2, key);
}

/* ---- handles --------------------------------------------------------------------------- */

struct lt_ref *lt_push_ref(lua_State *L, const char *mt, struct lt_obj *obj, unsigned idx)
{
	struct lt_ref *r = lua_newuserdatauv(L, sizeof(*r), 0);

	r->obj = obj;
	r->idx = idx;
	luaL_setmetatable(L, mt);
	return r;
}

struct lt_ref *lt_check_ref(lua_State *L, int arg, const char *mt)
{
	return luaL_checkudata(L, arg, mt);
}

/* "link(link0)", "pcie_slot(host0:1)": the class name without "sim.", then the name. */
static int ref_tostring(lua_State *L)
{
	struct lt_ref *r = lua_touserdata(L, 1);
	const char *cls = "?";

	if (luaL_getmetafield(L, 1, "__name") == LUA_TSTRING) {
		cls = lua_tostring(L, -1);
		if (!strncmp(cls, "sim.", 4))
			cls += 4;
	}
	if (!r)
		return luaL_error(L, "not a handle");
	if (!strcmp(cls, "pcie_slot") || (!strcmp(cls, "port") && r->obj->kind != LT_PEER))
		lua_pushfstring(L, "%s(%s:%d)", cls, r->obj->name, (int)r->idx);
	else
		lua_pushfstring(L, "%s(%s)", cls, r->obj->name);
	return 1;
}

/* Two handles are equal when they are of one class and name the same object. */
static int ref_eq(lua_State *L)
{
	struct lt_ref *a = lua_touserdata(L, 1), *b = lua_touserdata(L, 2);
	bool same;

	if (!a || !b || !lua_getmetatable(L, 1) || !lua_getmetatable(L, 2)) {
		lua_pushboolean(L, 0);
		return 1;
	}
	same = lua_rawequal(L, -1, -2) && a->obj == b->obj && a->idx == b->idx;
	lua_pushboolean(L, same);
	return 1;
}

void lt_new_class(lua_State *L, const char *mt, const luaL_Reg *methods, lua_CFunction tostring)
{
	luaL_newmetatable(L, mt);
	lua_newtable(L);
	luaL_setfuncs(L, methods, 0);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, tostring ? tostring : ref_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pushcfunction(L, ref_eq);
	lua_setfield(L, -2, "__eq");
	lua_pushliteral(L, "handle"); /* getmetatable(h) does not hand out the methods */
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);
}

/* ---- option tables --------------------------------------------------------------------- */

static bool is_known(const char *k, const char *const *known)
{
	for (; known && *known; known++)
		if (!strcmp(k, *known))
			return true;
	return false;
}

/*
 * Every key must be a known string.  The error names the bytewise smallest
 * unknown key, so it does not depend on the table's traversal order.
 */
static void opts_check_keys(struct lt_opts *o, const char *const *known)
{
	lua_State *L = o->L;
	const char *worst = NULL;
	bool nonstring = false;
	luaL_Buffer b;

	lua_pushnil(L);
	while (lua_next(L, o->t)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			nonstring = true;
		else if (!is_known(lua_tostring(L, -1), known) &&
			 (!worst || strcmp(lua_tostring(L, -1), worst) < 0))
			worst = lua_tostring(L, -1); /* the table keeps the key alive */
	}
	if (nonstring)
		luaL_argerror(L, o->arg, lua_pushfstring(L, "%soption names must be strings",
							 o->pre));
	if (!worst)
		return;
	luaL_buffinit(L, &b);
	luaL_addstring(&b, "unknown option '");
	luaL_addstring(&b, o->pre);
	luaL_addstring(&b, worst);
	luaL_addstring(&b, "' (known:");
	for (; known && *known; known++) {
		luaL_addchar(&b, ' ');
		luaL_addstring(&b, *known);
	}
	luaL_addchar(&b, ')');
	luaL_pushresult(&b);
	luaL_argerror(L, o->arg, lua_tostring(L, -1));
}

void lt_opts_open(lua_State *L, int arg, const char *const *known, struct lt_opts *o)
{
	o->L = L;
	o->arg = arg;
	o->pre = "";
	o->t = 0;
	if (lua_isnoneornil(L, arg))
		return;
	luaL_checktype(L, arg, LUA_TTABLE);
	o->t = lua_absindex(L, arg);
	opts_check_keys(o, known);
}

void lt_opts_sub(const struct lt_opts *o, const char *key, const char *pre,
		 const char *const *known, struct lt_opts *n)
{
	int type = lt_opt_push(o, key);

	n->L = o->L;
	n->arg = o->arg;
	n->pre = pre;
	n->t = 0;
	if (type == LUA_TNIL) {
		lua_pop(o->L, 1);
		return;
	}
	if (type != LUA_TTABLE)
		lt_opt_error(o, key, " must be a table");
	/* stays on the stack for the caller's lifetime of n */
	n->t = lua_absindex(o->L, -1);
	opts_check_keys(n, known);
}

int lt_opt_error(const struct lt_opts *o, const char *key, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return luaL_argerror(o->L, o->arg, lua_pushfstring(o->L, "%s%s%s", o->pre, key, msg));
}

int lt_opt_push(const struct lt_opts *o, const char *key)
{
	if (!o->t) {
		lua_pushnil(o->L);
		return LUA_TNIL;
	}
	lua_pushstring(o->L, key);
	return lua_rawget(o->L, o->t);
}

bool lt_opt_has(const struct lt_opts *o, const char *key)
{
	bool has = lt_opt_push(o, key) != LUA_TNIL;

	lua_pop(o->L, 1);
	return has;
}

uint64_t lt_opt_uint(const struct lt_opts *o, const char *key, uint64_t lo, uint64_t hi,
		     uint64_t def)
{
	lua_State *L = o->L;
	lua_Integer v = 0;
	int isint = 0;

	if (lt_opt_push(o, key) == LUA_TNIL) {
		lua_pop(L, 1);
		return def;
	}
	if (lua_type(L, -1) == LUA_TNUMBER)
		v = lua_tointegerx(L, -1, &isint);
	if (!isint || v < 0 || (uint64_t)v < lo || (uint64_t)v > hi) {
		if (hi >= (uint64_t)INT64_MAX)
			lt_opt_error(o, key, " must be an integer >= %llu", (unsigned long long)lo);
		lt_opt_error(o, key, " must be an integer from %llu to %llu",
			     (unsigned long long)lo, (unsigned long long)hi);
	}
	lua_pop(L, 1);
	return (uint64_t)v;
}

bool lt_opt_bool(const struct lt_opts *o, const char *key, bool def)
{
	int type = lt_opt_push(o, key);
	bool v = def;

	if (type == LUA_TBOOLEAN)
		v = lua_toboolean(o->L, -1);
	else if (type != LUA_TNIL)
		lt_opt_error(o, key, " must be true or false");
	lua_pop(o->L, 1);
	return v;
}

void lt_opt_str(const struct lt_opts *o, const char *key, char *buf, size_t len, const char *def)
{
	int type = lt_opt_push(o, key);
	size_t n;

	if (type == LUA_TNIL) {
		snprintf(buf, len, "%s", def ? def : "");
		lua_pop(o->L, 1);
		return;
	}
	if (type != LUA_TSTRING)
		lt_opt_error(o, key, " must be a string");
	lua_tolstring(o->L, -1, &n);
	if (n >= len)
		lt_opt_error(o, key, " must be at most %zu characters", len - 1);
	memcpy(buf, lua_tostring(o->L, -1), n + 1);
	lua_pop(o->L, 1);
}

int lt_opt_enum(const struct lt_opts *o, const char *key, const char *const *names, int def)
{
	int type = lt_opt_push(o, key);
	char list[160] = "";

	if (type == LUA_TNIL) {
		lua_pop(o->L, 1);
		return def;
	}
	if (type == LUA_TSTRING)
		for (int i = 0; names[i]; i++)
			if (!strcmp(lua_tostring(o->L, -1), names[i])) {
				lua_pop(o->L, 1);
				return i;
			}
	for (int i = 0; names[i]; i++) {
		size_t l = strlen(list);

		snprintf(list + l, sizeof(list) - l, "%s\"%s\"", i ? ", " : "", names[i]);
	}
	return lt_opt_error(o, key, " must be one of %s", list);
}

uint64_t lt_opt_size(const struct lt_opts *o, const char *key, uint64_t def)
{
	lua_State *L = o->L;
	uint64_t v = def;
	int type = lt_opt_push(o, key), rc;

	if (type == LUA_TNUMBER) {
		lua_pop(L, 1);
		return lt_opt_uint(o, key, 0, UINT64_MAX, def);
	}
	if (type == LUA_TSTRING) {
		rc = lsim_parse_size(lua_tostring(L, -1), &v);
		if (rc == -ERANGE)
			lt_opt_error(o, key, " is too large");
		if (rc == -EDOM)
			lt_opt_error(o, key, ": '%s' is not a whole number of bytes",
				     lua_tostring(L, -1));
		if (rc)
			lt_opt_error(o, key, ": bad size '%s' (a number of bytes or a string like "
				     "\"4GiB\"; units B KiB MiB GiB TiB kB MB GB TB)",
				     lua_tostring(L, -1));
	} else if (type != LUA_TNIL) {
		lt_opt_error(o, key, " must be a size (number of bytes or string like \"4GiB\")");
	}
	lua_pop(L, 1);
	return v;
}

sim_time_t lt_opt_duration(const struct lt_opts *o, const char *key, sim_time_t def)
{
	lua_State *L = o->L;
	sim_time_t ps = def;
	int type = lt_opt_push(o, key), rc = 0;

	if (type == LUA_TNUMBER) {
		if (lua_isinteger(L, -1)) {
			lua_Integer n = lua_tointeger(L, -1);

			rc = n < 0 ? -EINVAL : (uint64_t)n > UINT64_MAX / 1000 ? -ERANGE : 0;
			ps = (sim_time_t)n * 1000;
		} else {
			rc = lsim_duration_from_ns(lua_tonumber(L, -1), &ps);
		}
		if (rc == -ERANGE)
			lt_opt_error(o, key, " is too large");
		if (rc)
			lt_opt_error(o, key, " must be a non-negative number of ns");
	} else if (type == LUA_TSTRING) {
		rc = lsim_parse_duration(lua_tostring(L, -1), &ps);
		if (rc == -ERANGE)
			lt_opt_error(o, key, " is too large");
		if (rc)
			lt_opt_error(o, key, ": bad duration '%s' (a number of ns, or a string "
				     "like \"10us\"; units ps ns us ms s)", lua_tostring(L, -1));
	} else if (type != LUA_TNIL) {
		lt_opt_error(o, key, " must be a duration (number of ns or string like \"10us\")");
	}
	lua_pop(L, 1);
	return ps;
}

bool lt_opt_rate(const struct lt_opts *o, const char *key, uint64_t *value,
		 enum lsim_rate_unit *unit)
{
	lua_State *L = o->L;
	int type = lt_opt_push(o, key), rc;

	if (type == LUA_TNIL) {
		lua_pop(L, 1);
		return false;
	}
	if (type == LUA_TNUMBER) {
		int isint = 0;
		lua_Integer n = lua_tointegerx(L, -1, &isint);

		if (!isint || n < 0)
			lt_opt_error(o, key, " must be an integer number of bits/s or a string "
				     "like \"100Gbps\"");
		*value = (uint64_t)n;
		*unit = LSIM_RATE_BPS;
	} else if (type == LUA_TSTRING) {
		rc = lsim_parse_rate(lua_tostring(L, -1), value, unit);
		if (rc == -ERANGE)
			lt_opt_error(o, key, " is too large");
		if (rc == -EDOM)
			lt_opt_error(o, key, ": '%s' is not a whole number of bits or packets per "
				     "second", lua_tostring(L, -1));
		if (rc)
			lt_opt_error(o, key, ": bad rate '%s' (a string like \"100Gbps\" or "
				     "\"10Mpps\"; units bps kbps Mbps Gbps Tbps "
				     "pps kpps Mpps Gpps)", lua_tostring(L, -1));
	} else {
		lt_opt_error(o, key, " must be a rate (string like \"100Gbps\" or \"10Mpps\")");
	}
	if (!*value)
		lt_opt_error(o, key, " must be > 0");
	lua_pop(L, 1);
	return true;
}

uint64_t lt_opt_length_mm(const struct lt_opts *o, const char *key, uint64_t def)
{
	lua_State *L = o->L;
	uint64_t mm = def;
	int type = lt_opt_push(o, key), rc;

	if (type == LUA_TNUMBER) {
		int isint = 0;
		lua_Integer n = lua_tointegerx(L, -1, &isint);

		if (!isint || n < 0)
			lt_opt_error(o, key, " must be a whole number of metres or a string like "
				     "\"1.5m\"");
		if ((uint64_t)n > UINT64_MAX / 1000)
			lt_opt_error(o, key, " is too large");
		mm = (uint64_t)n * 1000;
	} else if (type == LUA_TSTRING) {
		rc = lsim_parse_length(lua_tostring(L, -1), &mm);
		if (rc == -ERANGE)
			lt_opt_error(o, key, " is too large");
		if (rc == -EDOM)
			lt_opt_error(o, key, ": '%s' is finer than 1 mm", lua_tostring(L, -1));
		if (rc)
			lt_opt_error(o, key, ": bad length '%s' (metres, or a string like \"2m\"; "
				     "units mm cm m km)", lua_tostring(L, -1));
	} else if (type != LUA_TNIL) {
		lt_opt_error(o, key, " must be a length (metres or a string like \"2m\")");
	}
	lua_pop(L, 1);
	return mm;
}

bool lt_opt_mac(const struct lt_opts *o, const char *key, uint8_t mac[6])
{
	int type = lt_opt_push(o, key);

	if (type == LUA_TNIL) {
		lua_pop(o->L, 1);
		return false;
	}
	if (type != LUA_TSTRING || lsim_parse_mac(lua_tostring(o->L, -1), mac))
		lt_opt_error(o, key, " must be a MAC address like \"02:00:00:00:00:01\"");
	lua_pop(o->L, 1);
	return true;
}

/* ---- sim.stats, sim.stat, sim.errno ---------------------------------------------------- */

struct stats_ctx {
	lua_State *L;
	const char *prefix;
	size_t plen;
};

static void stats_one(void *arg, const char *name, uint64_t value)
{
	struct stats_ctx *c = arg;

	if (strncmp(name, c->prefix, c->plen))
		return;
	lua_pushinteger(c->L, (lua_Integer)value);
	lua_setfield(c->L, -2, name);
}

/* sim.stats([prefix]): { ["net.link0.ab.frames"] = 12, ... } */
static int l_stats(lua_State *L)
{
	struct stats_ctx c = { L, luaL_optstring(L, 1, ""), 0 };

	c.plen = strlen(c.prefix);
	lua_newtable(L);
	eng_stat_foreach(lsim_sim(L), stats_one, &c);
	return 1;
}

/* sim.stat(name): one counter, 0 when it does not exist. */
static int l_stat(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)eng_stat_get(lsim_sim(L), luaL_checkstring(L, 1)));
	return 1;
}

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EIO", EIO }, { "ENXIO", ENXIO },
	{ "E2BIG", E2BIG }, { "EBADF", EBADF }, { "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM },
	{ "EFAULT", EFAULT }, { "EBUSY", EBUSY }, { "EEXIST", EEXIST }, { "ENODEV", ENODEV },
	{ "EINVAL", EINVAL }, { "EMFILE", EMFILE }, { "ENOTTY", ENOTTY }, { "ENOSPC", ENOSPC },
	{ "ERANGE", ERANGE }, { "ENOSYS", ENOSYS }, { "EPROTO", EPROTO },
	{ "EBADMSG", EBADMSG }, { "EOVERFLOW", EOVERFLOW }, { "EMSGSIZE", EMSGSIZE },
	{ "EOPNOTSUPP", EOPNOTSUPP }, { "ENOBUFS", ENOBUFS }, { "ENOTCONN", ENOTCONN },
	{ "ENETDOWN", ENETDOWN }, { "ETIMEDOUT", ETIMEDOUT }, { "ENOTSUPP", 524 },
};

static void open_errno(lua_State *L)
{
	lua_createtable(L, 0, 2 * (int)(sizeof(errnos) / sizeof(errnos[0])));
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		lua_pushinteger(L, errnos[i].value);
		lua_setfield(L, -2, errnos[i].name);
		lua_pushstring(L, errnos[i].name);
		lua_rawseti(L, -2, errnos[i].value);
	}
	lua_setfield(L, -2, "errno");
}

int ltopo_lua_open(lua_State *L, struct sim *sim)
{
	struct ltopo *t;
	int rc;

	if (eng_attached(sim, TOPO_KEY))
		return -EEXIST;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->sim = sim;
	rc = eng_attach(sim, TOPO_KEY, t, topo_destroy);
	if (rc) {
		free(t);
		return rc;
	}
	lua_pushcfunction(L, l_stats);
	lua_setfield(L, -2, "stats");
	lua_pushcfunction(L, l_stat);
	lua_setfield(L, -2, "stat");
	open_errno(L);
	lt_open_host(L);
	lt_open_peer(L);
	lt_open_net(L);
	lt_open_nic(L);
	lt_open_vdpa(L);
	lt_open_vhost(L);
	lt_open_netdev(L);
	return 0;
}
