// SPDX-License-Identifier: MIT
/*
 * Ethernet for scripts: links between any two ports (sim.link), port
 * handles (of peers, lua_peer.c, and of NICs, lua_nic.c), and pcap taps that
 * become artifacts of the run (link:tap, port:tap).
 */
#include "script/topo_priv.h"
#include "sim/net/net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_LINK_RATE NET_RATE_100G
#define PATH_MAX_LEN 4096

/* ---- ports ----------------------------------------------------------------------------- */

struct lt_link {
	struct lt_obj hdr;
	struct net_link *link;
};

/* The net port behind a port handle: a peer's (idx 0) or a NIC's port idx. */
static struct net_port *port_of(const struct lt_ref *r)
{
	switch (r->obj->kind) {
	case LT_PEER:
		return lt_peer_port(r->obj);
	case LT_NIC:
		return lt_nic_port(r->obj, r->idx);
	default:
		return NULL;
	}
}

static struct net_port *check_port(lua_State *L, int arg)
{
	struct net_port *p = port_of(lt_check_ref(L, arg, LT_MT_PORT));

	if (!p)
		luaL_argerror(L, arg, "port has no Ethernet port behind it");
	return p;
}

static struct lt_link *link_of(struct ltopo *t, const struct net_link *nl)
{
	for (size_t i = 0; nl && i < t->n; i++)
		if (t->objs[i] && t->objs[i]->kind == LT_LINK &&
		    ((struct lt_link *)t->objs[i])->link == nl)
			return (struct lt_link *)t->objs[i];
	return NULL;
}

static int port_name(lua_State *L)
{
	lua_pushstring(L, net_port_name(check_port(L, 1)));
	return 1;
}

/* port:link() -> link handle, or nil when not connected */
static int port_link(lua_State *L)
{
	struct lt_link *l = link_of(lt_topo(L), net_port_link(check_port(L, 1)));

	if (!l)
		lua_pushnil(L);
	else
		lt_push_ref(L, LT_MT_LINK, &l->hdr, 0);
	return 1;
}

static int port_up(lua_State *L)
{
	lua_pushboolean(L, net_port_link_up(check_port(L, 1)));
	return 1;
}

static int port_speed(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)net_port_speed_bps(check_port(L, 1)));
	return 1;
}

/* ---- taps ------------------------------------------------------------------------------ */

struct lt_tap {
	struct lt_obj hdr;
	struct net_tap *tap; /* NULL once closed (or if opening failed) */
	int open_err;
	int64_t frames;      /* final count once closed */
	char path[];
};

static void tap_destroy(struct lt_obj *o)
{
	struct lt_tap *t = (struct lt_tap *)o;

	net_tap_close(t->tap);
	free(t);
}

/* Artifact finish: close the file and report its frames (before it is hashed). */
static int tap_finish(void *ctx, int64_t *frames)
{
	struct lt_tap *t = ctx;
	int rc = t->open_err;

	if (t->tap) {
		t->frames = (int64_t)net_tap_frames(t->tap);
		rc = net_tap_close(t->tap);
		t->tap = NULL;
	}
	*frames = t->frames;
	return rc;
}

/* Creates the directories of a relative path below dir. */
static int make_parents(const char *dir, const char *rel)
{
	char buf[PATH_MAX_LEN];
	const char *p = rel;

	while ((p = strchr(p, '/'))) {
		if ((size_t)snprintf(buf, sizeof(buf), "%s/%.*s", dir, (int)(p - rel), rel) >=
		    sizeof(buf))
			return -ENAMETOOLONG;
		if (mkdir(buf, 0777) && errno != EEXIST)
			return -errno;
		p++;
	}
	return 0;
}

/*
 * A new tap writing `path` (relative to the output directory; /dev/null when
 * the run writes no files), registered as a "pcap" artifact.  Raises on error.
 */
static struct lt_tap *tap_new(lua_State *L, int arg)
{
	struct sim *sim = lsim_sim(L);
	const char *path = luaL_checkstring(L, arg), *dir = lsim_out_dir(sim);
	size_t len = strlen(path);
	char full[PATH_MAX_LEN];
	struct lt_tap *t;
	int rc;

	luaL_argcheck(L, len > 0 && len < PATH_MAX_LEN / 2, arg, "bad path length");
	t = calloc(1, sizeof(*t) + len + 1);
	if (!t)
		luaL_error(L, "out of memory");
	t->hdr.kind = LT_TAP;
	t->hdr.destroy = tap_destroy;
	memcpy(t->path, path, len + 1);
	snprintf(t->hdr.name, sizeof(t->hdr.name), "%s", path);
	t->open_err = -EIO;
	lt_register(L, &t->hdr);
	rc = lsim_artifact_add(sim, "pcap", path, tap_finish, t);
	if (rc == -EINVAL)
		luaL_argerror(L, arg, "path must be relative to the output directory, "
			      "without '..' or empty components");
	if (rc == -EEXIST)
		luaL_argerror(L, arg, lua_pushfstring(L, "'%s' is already an artifact of this "
						      "run", path));
	if (rc)
		lt_fail_errno(L, "tap", rc);
	rc = 0;
	if (dir) {
		rc = make_parents(dir, path);
		snprintf(full, sizeof(full), "%s/%s", dir, path);
	} else {
		snprintf(full, sizeof(full), "/dev/null");
	}
	if (!rc)
		rc = net_tap_open(sim, full, &t->tap);
	if (rc) {
		t->open_err = rc;
		luaL_error(L, "tap: cannot create '%s': %s", path, strerror(-rc));
	}
	t->open_err = 0;
	return t;
}

static const char *const dir_names[] = { "ab", "ba", "both", NULL };

/* Adds a capture point: a link (dir at arg+1) or a port. */
static void tap_attach(lua_State *L, struct lt_tap *t, int arg)
{
	struct lt_ref *r;
	int rc;

	if (!t->tap)
		luaL_error(L, "tap '%s' is closed", t->path);
	if ((r = luaL_testudata(L, arg, LT_MT_LINK))) {
		int dir = luaL_checkoption(L, arg + 1, "both", dir_names);

		rc = net_tap_link(t->tap, ((struct lt_link *)r->obj)->link, (enum net_dir)dir);
	} else if (luaL_testudata(L, arg, LT_MT_PORT)) {
		rc = net_tap_port(t->tap, check_port(L, arg));
	} else {
		luaL_typeerror(L, arg, "link or port");
		return;
	}
	if (rc == -EEXIST)
		luaL_error(L, "tap '%s' already captures there", t->path);
	if (rc == -ENOSPC)
		luaL_error(L, "too many capture points (at most %d per tap, %d taps per point)",
			   NET_TAP_POINTS_MAX, NET_TAPS_PER_POINT);
	if (rc)
		lt_fail_errno(L, "tap", rc);
}

static int tap_add(lua_State *L)
{
	struct lt_tap *t = (struct lt_tap *)lt_check_ref(L, 1, LT_MT_TAP)->obj;

	tap_attach(L, t, 2);
	lua_settop(L, 1);
	return 1;
}

static int tap_frames(lua_State *L)
{
	struct lt_tap *t = (struct lt_tap *)lt_check_ref(L, 1, LT_MT_TAP)->obj;

	lua_pushinteger(L, t->tap ? (lua_Integer)net_tap_frames(t->tap) : t->frames);
	return 1;
}

static int tap_path(lua_State *L)
{
	lua_pushstring(L, ((struct lt_tap *)lt_check_ref(L, 1, LT_MT_TAP)->obj)->path);
	return 1;
}

/* port:tap(path) */
static int port_tap(lua_State *L)
{
	struct lt_tap *t;

	check_port(L, 1);
	t = tap_new(L, 2);
	tap_attach(L, t, 1);
	lt_push_ref(L, LT_MT_TAP, &t->hdr, 0);
	return 1;
}

/* ---- links ----------------------------------------------------------------------------- */

static void link_destroy(struct lt_obj *o)
{
	struct lt_link *l = (struct lt_link *)o;

	net_link_free(l->link);
	free(l);
}

static struct lt_link *check_link(lua_State *L, int arg)
{
	return (struct lt_link *)lt_check_ref(L, arg, LT_MT_LINK)->obj;
}

/* sim.link(port_a, port_b [, { rate, length, delay, max_frame, name }]) */
static int l_link(lua_State *L)
{
	static const char *const keys[] = { "name", "rate", "length", "delay", "max_frame", NULL };
	struct net_port *a = check_port(L, 1), *b = check_port(L, 2);
	struct net_link_cfg c = { .rate_bps = DEFAULT_LINK_RATE };
	enum lsim_rate_unit unit = LSIM_RATE_BPS;
	char name[LT_NAME_MAX];
	struct lt_link *l;
	struct lt_opts o;
	uint64_t mm;
	int rc;

	luaL_argcheck(L, a != b, 2, "must be another port than argument #1");
	for (int i = 1; i <= 2; i++) {
		struct net_port *p = i == 1 ? a : b;

		if (net_port_link(p))
			luaL_argerror(L, i, lua_pushfstring(L, "port %s is already connected",
							    net_port_name(p)));
	}
	lt_opts_open(L, 3, keys, &o);
	c.name = lt_opt_net_name(&o, name);
	if (lt_opt_rate(&o, "rate", &c.rate_bps, &unit) && unit != LSIM_RATE_BPS)
		lt_opt_error(&o, "rate", " must be in bits per second (\"100Gbps\"), not packets");
	mm = lt_opt_length_mm(&o, "length", 0);
	if (mm / 1000 > UINT32_MAX)
		lt_opt_error(&o, "length", " is too long");
	c.length_m = (uint32_t)(mm / 1000);
	c.delay_ps = lt_opt_duration(&o, "delay", 0);
	/* the part of the length under one metre, as propagation delay */
	c.delay_ps += (mm % 1000) * NET_PROP_PS_PER_M / 1000;
	c.max_frame_len = (uint32_t)lt_opt_uint(&o, "max_frame", NET_ETH_HLEN, NET_FRAME_MAX,
						NET_ETH_STD_MAX);
	l = calloc(1, sizeof(*l));
	if (!l)
		return luaL_error(L, "out of memory");
	l->hdr.kind = LT_LINK;
	l->hdr.destroy = link_destroy;
	lt_register(L, &l->hdr);
	rc = net_link_new(lsim_sim(L), &c, a, b, &l->link);
	if (rc == -ERANGE)
		return lt_opt_error(&o, "delay", " is too large");
	if (rc)
		return lt_create_fail(&o, "link", name, rc);
	snprintf(l->hdr.name, sizeof(l->hdr.name), "%s", net_link_name(l->link));
	lt_push_ref(L, LT_MT_LINK, &l->hdr, 0);
	return 1;
}

static int link_name(lua_State *L)
{
	lua_pushstring(L, check_link(L, 1)->hdr.name);
	return 1;
}

static void push_dir(lua_State *L, const struct net_link *nl, enum net_dir dir)
{
	struct net_dir_stats s;

	net_link_stats(nl, dir, &s);
	lua_createtable(L, 0, 4);
	lt_set_int(L, "frames", s.frames);
	lt_set_int(L, "bytes", s.bytes);
	lt_set_int(L, "busy_ps", s.busy_ps);
	lua_createtable(L, 0, NET_DROP_COUNT);
	for (int i = 0; i < NET_DROP_COUNT; i++)
		lt_set_int(L, net_drop_name((enum net_drop)i), s.drops[i]);
	lua_setfield(L, -2, "drops");
}

/* link:stats() -> { ab = {...}, ba = {...} } */
static int link_stats(lua_State *L)
{
	struct lt_link *l = check_link(L, 1);

	lua_createtable(L, 0, 2);
	push_dir(L, l->link, NET_DIR_AB);
	lua_setfield(L, -2, "ab");
	push_dir(L, l->link, NET_DIR_BA);
	lua_setfield(L, -2, "ba");
	return 1;
}

/* link:tap(path [, "ab"|"ba"|"both"]) */
static int link_tap(lua_State *L)
{
	struct lt_tap *t;

	check_link(L, 1);
	luaL_checkoption(L, 3, "both", dir_names);
	lua_settop(L, 3);
	t = tap_new(L, 2);
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 3);
	tap_attach(L, t, 4); /* the link at 4, the direction at 5 */
	lt_push_ref(L, LT_MT_TAP, &t->hdr, 0);
	return 1;
}

static int link_set_up(lua_State *L)
{
	struct lt_link *l = check_link(L, 1);
	int rc;

	luaL_checktype(L, 2, LUA_TBOOLEAN);
	rc = net_link_set_up(l->link, lua_toboolean(L, 2));
	if (rc)
		return lt_fail_errno(L, "set_up", rc);
	return 0;
}

static int link_is_up(lua_State *L)
{
	lua_pushboolean(L, net_link_is_up(check_link(L, 1)->link));
	return 1;
}

static int link_rate(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)net_link_rate(check_link(L, 1)->link));
	return 1;
}

static int link_delay_ps(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)net_link_delay(check_link(L, 1)->link));
	return 1;
}

void lt_open_net(lua_State *L)
{
	static const luaL_Reg port_methods[] = {
		{ "name", port_name }, { "link", port_link }, { "up", port_up },
		{ "speed", port_speed }, { "tap", port_tap }, { NULL, NULL },
	};
	static const luaL_Reg link_methods[] = {
		{ "name", link_name }, { "stats", link_stats }, { "tap", link_tap },
		{ "set_up", link_set_up }, { "up", link_is_up }, { "rate", link_rate },
		{ "delay_ps", link_delay_ps }, { NULL, NULL },
	};
	static const luaL_Reg tap_methods[] = {
		{ "add", tap_add }, { "frames", tap_frames }, { "path", tap_path },
		{ NULL, NULL },
	};

	lt_new_class(L, LT_MT_PORT, port_methods, NULL);
	lt_new_class(L, LT_MT_LINK, link_methods, NULL);
	lt_new_class(L, LT_MT_TAP, tap_methods, NULL);
	lua_pushcfunction(L, l_link);
	lua_setfield(L, -2, "link");
}
