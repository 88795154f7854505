// SPDX-License-Identifier: MIT
/*
 * Traffic peers for scripts: sim.peer.loopback, sim.peer.sink and
 * sim.peer.generator, each with one Ethernet port (peer:port()) to connect
 * with sim.link (lua_net.c).
 */
#include "script/topo_priv.h"
#include "sim/net/net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SINK_MAX_FLOWS 65536

/* ---- peers ----------------------------------------------------------------------------- */

enum peer_type { PEER_LOOPBACK, PEER_SINK, PEER_GEN };

struct lt_peer {
	struct lt_obj hdr;
	enum peer_type type;
	union {
		struct net_loopback *lb;
		struct net_sink *sink;
		struct net_gen *gen;
	};
	struct net_port *port;
	uint32_t max_flows;                       /* sink */
	size_t nsizes;                            /* generator: entries of by_size */
};

static const char *const peer_mt[] = {
	[PEER_LOOPBACK] = LT_MT_LOOPBACK, [PEER_SINK] = LT_MT_SINK, [PEER_GEN] = LT_MT_GEN,
};

static void peer_destroy(struct lt_obj *o)
{
	struct lt_peer *p = (struct lt_peer *)o;

	switch (p->type) {
	case PEER_LOOPBACK:
		net_loopback_free(p->lb);
		break;
	case PEER_SINK:
		net_sink_free(p->sink);
		break;
	case PEER_GEN:
		net_gen_free(p->gen);
		break;
	}
	free(p);
}

/* Any peer handle at arg (loopback, sink or generator). */
static struct lt_peer *check_peer(lua_State *L, int arg, enum peer_type want)
{
	return (struct lt_peer *)lt_check_ref(L, arg, peer_mt[want])->obj;
}

static struct lt_peer *any_peer(lua_State *L, int arg)
{
	for (int i = PEER_LOOPBACK; i <= PEER_GEN; i++) {
		struct lt_ref *r = luaL_testudata(L, arg, peer_mt[i]);

		if (r)
			return (struct lt_peer *)r->obj;
	}
	luaL_typeerror(L, arg, "peer");
	return NULL;
}

/* Checks a peer name option (net names are unique per sim). */
const char *lt_opt_net_name(const struct lt_opts *o, char buf[LT_NAME_MAX])
{
	lt_opt_str(o, "name", buf, LT_NAME_MAX, NULL);
	if (!buf[0])
		return NULL;
	if (!lt_name_ok(buf))
		lt_opt_error(o, "name", " must be 1 to %d letters, digits, '_', '-' or '.'",
			     LT_NAME_MAX - 1);
	return buf;
}

static struct lt_peer *peer_new(lua_State *L, enum peer_type type)
{
	struct lt_peer *p = calloc(1, sizeof(*p));

	if (!p)
		luaL_error(L, "out of memory");
	p->hdr.kind = LT_PEER;
	p->hdr.destroy = peer_destroy;
	p->type = type;
	lt_register(L, &p->hdr);
	return p;
}

/* A failed creation: a taken name is the only error a script can cause. */
int lt_create_fail(const struct lt_opts *o, const char *fn, const char *name, int rc)
{
	if (rc == -EEXIST)
		return lt_opt_error(o, "name", " '%s' is already taken", name);
	return lt_fail_errno(o->L, fn, rc);
}

static void peer_created(lua_State *L, struct lt_peer *p)
{
	snprintf(p->hdr.name, sizeof(p->hdr.name), "%s", net_port_name(p->port));
	lt_push_ref(L, peer_mt[p->type], &p->hdr, 0);
}

static int l_loopback(lua_State *L)
{
	static const char *const keys[] = { "name", "swap_mac", "queue", NULL };
	struct net_loopback_cfg c = { 0 };
	char name[LT_NAME_MAX];
	struct lt_peer *p;
	struct lt_opts o;
	int rc;

	lt_opts_open(L, 1, keys, &o);
	c.name = lt_opt_net_name(&o, name);
	c.swap_mac = lt_opt_bool(&o, "swap_mac", false);
	c.tx_queue_frames = (uint32_t)lt_opt_uint(&o, "queue", 1, NET_PORT_MAX_QUEUE, 0);
	p = peer_new(L, PEER_LOOPBACK);
	rc = net_loopback_new(lsim_sim(L), &c, &p->lb);
	if (rc)
		return lt_create_fail(&o, "loopback", name, rc);
	p->port = net_loopback_port(p->lb);
	peer_created(L, p);
	return 1;
}

static int l_sink(lua_State *L)
{
	static const char *const keys[] = { "name", "max_flows", "check_payload", NULL };
	struct net_sink_cfg c = { 0 };
	char name[LT_NAME_MAX];
	struct lt_peer *p;
	struct lt_opts o;
	int rc;

	lt_opts_open(L, 1, keys, &o);
	c.name = lt_opt_net_name(&o, name);
	c.max_flows = (uint32_t)lt_opt_uint(&o, "max_flows", 1, SINK_MAX_FLOWS, 64);
	c.check_payload = lt_opt_bool(&o, "check_payload", true);
	p = peer_new(L, PEER_SINK);
	p->max_flows = c.max_flows;
	rc = net_sink_new(lsim_sim(L), &c, &p->sink);
	if (rc)
		return lt_create_fail(&o, "sink", name, rc);
	p->port = net_sink_port(p->sink);
	peer_created(L, p);
	return 1;
}

/* size = N | "imix" | { {size, weight}, ... } */
static size_t read_sizes(const struct lt_opts *o, struct net_size_weight *sw)
{
	lua_State *L = o->L;
	int type = lt_opt_push(o, "size");
	lua_Integer n, w;
	size_t count;

	if (type == LUA_TNIL) {
		sw[0] = (struct net_size_weight){ NET_ETH_MIN_LEN, 1 };
		lua_pop(L, 1);
		return 1;
	}
	if (type == LUA_TSTRING && !strcmp(lua_tostring(L, -1), "imix")) {
		memcpy(sw, net_imix, sizeof(net_imix));
		lua_pop(L, 1);
		return sizeof(net_imix) / sizeof(net_imix[0]);
	}
	if (type == LUA_TNUMBER) {
		lua_pop(L, 1);
		sw[0].len = (uint32_t)lt_opt_uint(o, "size", NET_TEST_MIN_LEN, NET_FRAME_MAX, 0);
		sw[0].weight = 1;
		return 1;
	}
	if (type != LUA_TTABLE)
		lt_opt_error(o, "size", " must be a frame size, \"imix\" or a list of "
			     "{size, weight} pairs");
	count = lua_rawlen(L, -1);
	if (count < 1 || count > NET_GEN_SIZES_MAX)
		lt_opt_error(o, "size", " must list 1 to %d {size, weight} pairs",
			     NET_GEN_SIZES_MAX);
	for (size_t i = 0; i < count; i++) {
		int a, b;

		if (lua_rawgeti(L, -1, (lua_Integer)i + 1) != LUA_TTABLE)
			lt_opt_error(o, "size", "[%zu] must be a {size, weight} pair", i + 1);
		lua_rawgeti(L, -1, 1);
		lua_rawgeti(L, -2, 2);
		n = lua_tointegerx(L, -2, &a);
		w = lua_tointegerx(L, -1, &b);
		if (!a || !b || lua_type(L, -2) != LUA_TNUMBER || lua_type(L, -1) != LUA_TNUMBER ||
		    n < NET_TEST_MIN_LEN || n > NET_FRAME_MAX || w < 1 || w > UINT32_MAX)
			lt_opt_error(o, "size", "[%zu] must be {size %d..%d, weight >= 1}", i + 1,
				     NET_TEST_MIN_LEN, NET_FRAME_MAX);
		sw[i] = (struct net_size_weight){ (uint32_t)n, (uint32_t)w };
		lua_pop(L, 3);
	}
	lua_pop(L, 1);
	return count;
}

static int l_generator(lua_State *L)
{
	static const char *const keys[] = {
		"name", "rate", "size", "flows", "count", "dst", "src", "queue", NULL,
	};
	static const uint8_t dst_default[NET_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t src_default[NET_ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct net_size_weight sizes[NET_GEN_SIZES_MAX];
	struct net_gen_cfg c = { 0 };
	enum lsim_rate_unit unit;
	char name[LT_NAME_MAX];
	struct lt_peer *p;
	struct lt_opts o;
	uint64_t rate;
	int rc;

	lt_opts_open(L, 1, keys, &o);
	c.name = lt_opt_net_name(&o, name);
	if (lt_opt_rate(&o, "rate", &rate, &unit)) {
		if (unit == LSIM_RATE_PPS)
			c.rate_pps = rate;
		else
			c.rate_bps = rate;
	}
	c.nsizes = read_sizes(&o, sizes);
	c.sizes = sizes;
	c.frame_len = sizes[0].len;
	c.flows = (uint16_t)lt_opt_uint(&o, "flows", 1, UINT16_MAX, 1);
	c.count = lt_opt_uint(&o, "count", 0, INT64_MAX, 0);
	memcpy(c.dst_mac, dst_default, NET_ETH_ALEN);
	memcpy(c.src_mac, src_default, NET_ETH_ALEN);
	lt_opt_mac(&o, "dst", c.dst_mac);
	lt_opt_mac(&o, "src", c.src_mac);
	c.tx_queue_frames = (uint32_t)lt_opt_uint(&o, "queue", 1, NET_PORT_MAX_QUEUE, 0);
	p = peer_new(L, PEER_GEN);
	p->nsizes = c.nsizes;
	rc = net_gen_new(lsim_sim(L), &c, &p->gen);
	if (rc)
		return lt_create_fail(&o, "generator", name, rc);
	p->port = net_gen_port(p->gen);
	peer_created(L, p);
	return 1;
}

/* ---- peer methods ---------------------------------------------------------------------- */

static int peer_name(lua_State *L)
{
	lua_pushstring(L, any_peer(L, 1)->hdr.name);
	return 1;
}

static int peer_port(lua_State *L)
{
	lt_push_ref(L, LT_MT_PORT, &any_peer(L, 1)->hdr, 0);
	return 1;
}

static void push_flow(lua_State *L, const struct net_sink_flow_stats *f)
{
	lua_createtable(L, 0, 7);
	lt_set_int(L, "frames", f->frames);
	lt_set_int(L, "expected", f->expected);
	lt_set_int(L, "in_order", f->in_order);
	lt_set_int(L, "lost", f->lost);
	lt_set_int(L, "duplicate", f->duplicate);
	lt_set_int(L, "reordered", f->reordered);
	lt_set_int(L, "stale", f->stale);
}

static void push_sink_stats(lua_State *L, struct lt_peer *p)
{
	struct net_sink_stats s;

	net_sink_stats(p->sink, &s);
	lt_set_int(L, "frames", s.frames);
	lt_set_int(L, "bytes", s.bytes);
	lt_set_int(L, "foreign", s.foreign);
	lt_set_int(L, "in_order", s.in_order);
	lt_set_int(L, "lost", s.lost);
	lt_set_int(L, "duplicate", s.duplicate);
	lt_set_int(L, "reordered", s.reordered);
	lt_set_int(L, "stale", s.stale);
	lt_set_int(L, "corrupt", s.corrupt);
	lt_set_int(L, "bad_flow", s.bad_flow);
	lt_set_int(L, "lat_count", s.lat_count);
	lt_set_int(L, "lat_min_ps", s.lat_count ? s.lat_min : 0);
	lt_set_int(L, "lat_max_ps", s.lat_max);
	lt_set_int(L, "lat_sum_ps", s.lat_sum_ps);
	lt_set_int(L, "lat_avg_ps", s.lat_count ? s.lat_sum_ps / s.lat_count : 0);
	lua_newtable(L);
	for (uint32_t f = 0; f < p->max_flows; f++) {
		struct net_sink_flow_stats fs;

		if (net_sink_flow_stats(p->sink, (uint16_t)f, &fs))
			continue;
		push_flow(L, &fs);
		lua_rawseti(L, -2, f);
	}
	lua_setfield(L, -2, "flows");
}

static int peer_stats(lua_State *L)
{
	struct lt_peer *p = any_peer(L, 1);

	lua_newtable(L);
	if (p->type == PEER_LOOPBACK) {
		struct net_loopback_stats s;

		net_loopback_stats(p->lb, &s);
		lt_set_int(L, "frames", s.frames);
		lt_set_int(L, "bytes", s.bytes);
		lt_set_int(L, "dropped", s.dropped);
	} else if (p->type == PEER_SINK) {
		push_sink_stats(L, p);
	} else {
		struct net_gen_stats s;

		net_gen_stats(p->gen, &s);
		lt_set_int(L, "frames", s.frames);
		lt_set_int(L, "bytes", s.bytes);
		lt_set_int(L, "refused", s.refused);
		lt_set_bool(L, "done", net_gen_done(p->gen));
		lua_createtable(L, (int)p->nsizes, 0);
		for (size_t i = 0; i < p->nsizes; i++) {
			lua_pushinteger(L, (lua_Integer)s.by_size[i]);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		lua_setfield(L, -2, "by_size");
	}
	return 1;
}

/* sink:flow_stats(flow) -> table, or nil for a flow never seen */
static int sink_flow_stats(lua_State *L)
{
	struct lt_peer *p = check_peer(L, 1, PEER_SINK);
	lua_Integer flow = luaL_checkinteger(L, 2);
	struct net_sink_flow_stats fs;

	luaL_argcheck(L, flow >= 0 && flow < (lua_Integer)p->max_flows, 2,
		      lua_pushfstring(L, "flow must be from 0 to %d (max_flows - 1)",
				      (int)p->max_flows - 1));
	if (net_sink_flow_stats(p->sink, (uint16_t)flow, &fs)) {
		lua_pushnil(L);
		return 1;
	}
	push_flow(L, &fs);
	return 1;
}

/* generator:start([delay]) */
static int gen_start(lua_State *L)
{
	struct lt_peer *p = check_peer(L, 1, PEER_GEN);
	struct sim *sim = lsim_sim(L);
	sim_time_t delay = lua_isnoneornil(L, 2) ? 0 : lsim_checkduration(L, 2);
	int rc;

	luaL_argcheck(L, delay < ENG_TIME_MAX - eng_now(sim), 2, "start time is too far away");
	rc = net_gen_start(p->gen, eng_now(sim) + delay);
	if (rc == -EBUSY)
		return luaL_error(L, "start: generator %s is already running", p->hdr.name);
	if (rc)
		return lt_fail_errno(L, "start", rc);
	return 0;
}

static int gen_stop(lua_State *L)
{
	net_gen_stop(check_peer(L, 1, PEER_GEN)->gen);
	return 0;
}

static int gen_done(lua_State *L)
{
	lua_pushboolean(L, net_gen_done(check_peer(L, 1, PEER_GEN)->gen));
	return 1;
}

struct net_port *lt_peer_port(struct lt_obj *o)
{
	return o->kind == LT_PEER ? ((struct lt_peer *)o)->port : NULL;
}

void lt_open_peer(lua_State *L)
{
	static const luaL_Reg peer_funcs[] = {
		{ "loopback", l_loopback },
		{ "sink", l_sink },
		{ "generator", l_generator },
		{ NULL, NULL },
	};
	static const luaL_Reg lb_methods[] = {
		{ "name", peer_name }, { "port", peer_port }, { "stats", peer_stats },
		{ NULL, NULL },
	};
	static const luaL_Reg sink_methods[] = {
		{ "name", peer_name }, { "port", peer_port }, { "stats", peer_stats },
		{ "flow_stats", sink_flow_stats }, { NULL, NULL },
	};
	static const luaL_Reg gen_methods[] = {
		{ "name", peer_name }, { "port", peer_port }, { "stats", peer_stats },
		{ "start", gen_start }, { "stop", gen_stop }, { "done", gen_done },
		{ NULL, NULL },
	};

	lt_new_class(L, LT_MT_LOOPBACK, lb_methods, NULL);
	lt_new_class(L, LT_MT_SINK, sink_methods, NULL);
	lt_new_class(L, LT_MT_GEN, gen_methods, NULL);
	luaL_newlib(L, peer_funcs);
	lua_setfield(L, -2, "peer");
}
