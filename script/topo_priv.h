/* SPDX-License-Identifier: MIT */
/*
 * Private to the topology bindings (script/topo*.c, script/lua_*.c): the
 * per-sim registry that owns every C object a script creates, the handle
 * userdata, and the strict option-table readers.
 */
#ifndef VDPASIM_SCRIPT_TOPO_PRIV_H
#define VDPASIM_SCRIPT_TOPO_PRIV_H

#include "script/runner.h"
#include "script/topo.h"
#include "sim/pcie/pcie.h"
#include "stack/vdpa_bus/vdpa_bus.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Metatable names (also what luaL_checkudata errors print). */
#define LT_MT_HOST  "sim.host"
#define LT_MT_SLOT  "sim.pcie_slot"
#define LT_MT_LOOPBACK "sim.loopback"
#define LT_MT_SINK  "sim.sink"
#define LT_MT_GEN   "sim.generator"
#define LT_MT_PORT  "sim.port"
#define LT_MT_LINK  "sim.link"
#define LT_MT_TAP   "sim.tap"
#define LT_MT_VDPA  "sim.vdpa_device"
#define LT_MT_MGMT  "sim.testdev_mgmt"
#define LT_MT_VHOST "sim.vhost"
#define LT_MT_NIC   "sim.nic"
#define LT_MT_NETDEV "sim.netdev"

#define LT_NAME_MAX 48 /* names of hosts, peers, links (the net layer's limit) */

/*
 * Kinds in teardown order: everything that refers to another object is freed
 * before it (a tap before the link it captures, a link before its ports'
 * owners, device models before the host whose PCIe slots they sit in).
 */
enum lt_kind {
	LT_TAP,
	LT_LINK,
	LT_PEER,
	LT_NIC,    /* device models plugged with slot:plug() */
	LT_HOST,
	/* wrappers only: the C objects belong to their components (vdpa_testdev,
	 * vhost_vdpa, virtio_net), which free them before the registry goes */
	LT_MGMT,
	LT_VHOST,
	LT_NETDEV,
	LT_NKINDS
};

struct ltopo;

/* Header of every registry object. */
struct lt_obj {
	enum lt_kind kind;
	struct ltopo *topo;
	unsigned id;               /* creation order among all objects */
	char name[VDPA_NAME_MAX];  /* host, peer, link, NIC, vdpa device or file name */
	void (*destroy)(struct lt_obj *o); /* frees the C objects and o itself */
};

struct ltopo {
	struct sim *sim;
	struct lt_obj **objs; /* creation order */
	size_t n, cap;
	unsigned hosts;       /* for "host<n>" */
	bool vdpa_ready;      /* bus set up: autoprobe off, drivers registered */
};

/* A host (lua_host.c); NICs (lua_nic.c) sit in its slots. */
struct lt_host {
	struct lt_obj hdr;
	struct mem *mem;
	struct iommu *iommu; /* NULL: no remapping */
	struct pcie_rc *rc;
	bool booted;         /* enumerated and probed by the vendor drivers */
	struct pcie_link_cfg link[PCIE_SLOTS]; /* as last configured (or the default) */
	struct lt_obj *nic[PCIE_SLOTS];        /* what sits in each slot */
};

/* Userdata of every handle: an object and, for slots and ports, an index. */
struct lt_ref {
	struct lt_obj *obj;
	unsigned idx;
};

/* topo.c: the registry */
struct ltopo *lt_topo(lua_State *L);
/* Adds o (kind, destroy, name set by the caller) to the registry; raises on ENOMEM
 * after calling o->destroy(o). */
void lt_register(lua_State *L, struct lt_obj *o);
/* Pushes a new handle; mt must be one of LT_MT_*. */
struct lt_ref *lt_push_ref(lua_State *L, const char *mt, struct lt_obj *obj, unsigned idx);
struct lt_ref *lt_check_ref(lua_State *L, int arg, const char *mt);
/* Creates a handle class: methods, __eq (same object), __tostring (tostring, or
 * "<class>(<name>)" for lt_ref handles when NULL). */
void lt_new_class(lua_State *L, const char *mt, const luaL_Reg *methods, lua_CFunction tostring);
/* A positive errno as returned to scripts (0 for success). */
static inline lua_Integer lt_errno(long rc)
{
	return rc < 0 ? (lua_Integer)-rc : 0;
}
/* Fails the call with "<what>: <strerror>" (for errors that are not API misuse). */
int lt_fail_errno(lua_State *L, const char *what, int rc);
/* A table field setter: t[key] = integer (the table on top). */
void lt_set_int(lua_State *L, const char *key, uint64_t v);
void lt_set_num(lua_State *L, const char *key, double v);
void lt_set_bool(lua_State *L, const char *key, bool v);
void lt_set_str(lua_State *L, const char *key, const char *v);
/* Whether a name suits hosts, peers and links: [A-Za-z0-9_.-], 1..47 chars. */
bool lt_name_ok(const char *s);

/* ---- Option tables --------------------------------------------------------------------- */
/*
 * An option table read strictly: unknown keys are an error naming the key,
 * every value is checked, and an error reads
 *     bad argument #<arg> to '<fn>' (<prefix><key> must be ...)
 * The table is read raw (no metamethods).  t == 0 means "no table": every
 * option takes its default.
 */
struct lt_opts {
	lua_State *L;
	int arg;         /* argument number for messages */
	int t;           /* absolute stack index of the table, 0 if none */
	const char *pre; /* "" or "iommu." for nested tables */
};

/* Argument `arg` must be a table or absent/nil.  `known` is NULL-terminated. */
void lt_opts_open(lua_State *L, int arg, const char *const *known, struct lt_opts *o);
/* A nested option table o.key (absent: n->t = 0).  pre must outlive n. */
void lt_opts_sub(const struct lt_opts *o, const char *key, const char *pre,
		 const char *const *known, struct lt_opts *n);
/* Raises "<pre><key> <message>". */
int lt_opt_error(const struct lt_opts *o, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Pushes o.key and returns its type (LUA_TNIL when absent). */
int lt_opt_push(const struct lt_opts *o, const char *key);
bool lt_opt_has(const struct lt_opts *o, const char *key);
uint64_t lt_opt_uint(const struct lt_opts *o, const char *key, uint64_t lo, uint64_t hi,
		     uint64_t def);
bool lt_opt_bool(const struct lt_opts *o, const char *key, bool def);
/* Copies the string into buf (size len); def may be NULL (then buf[0] = 0). */
void lt_opt_str(const struct lt_opts *o, const char *key, char *buf, size_t len, const char *def);
/* An index into names[] (NULL-terminated), def when absent. */
int lt_opt_enum(const struct lt_opts *o, const char *key, const char *const *names, int def);
/* Integer bytes or a size string. */
uint64_t lt_opt_size(const struct lt_opts *o, const char *key, uint64_t def);
/* Duration: number of ns or a string with a unit. */
sim_time_t lt_opt_duration(const struct lt_opts *o, const char *key, sim_time_t def);
/* Rate: integer bits/s or a string with a unit; *unit LSIM_RATE_BPS or _PPS.
 * Returns false when absent.  A zero rate is an error ("must be > 0"). */
bool lt_opt_rate(const struct lt_opts *o, const char *key, uint64_t *value,
		 enum lsim_rate_unit *unit);
/* Cable length: integer metres or a string with a unit; in mm. */
uint64_t lt_opt_length_mm(const struct lt_opts *o, const char *key, uint64_t def);
/* MAC "aa:bb:cc:dd:ee:ff"; false when absent. */
bool lt_opt_mac(const struct lt_opts *o, const char *key, uint8_t mac[6]);

/* ---- Parts of the `sim` table (each file installs its own) ----------------------------- */
void lt_open_host(lua_State *L);   /* lua_host.c: sim.host */
void lt_open_peer(lua_State *L);   /* lua_peer.c: sim.peer */
void lt_open_net(lua_State *L);    /* lua_net.c: sim.link, ports, taps */
void lt_open_vdpa(lua_State *L);   /* lua_vdpa.c: sim.vdpa, sim.vdpa_device, ... */
void lt_open_vhost(lua_State *L);  /* lua_vhost.c: sim.vhost_open */

/* lua_vdpa.c: the bus as scripts see it (autoprobe off, vhost_vdpa registered). */
void lt_vdpa_setup(lua_State *L);
/* lua_vdpa.c: pushes a vdpa device handle (it holds the name, not the device). */
void lt_push_vdev(lua_State *L, const char *name);
/* lua_vdpa.c: a feature set at idx, an integer mask or a list of names as `vdpa`
 * prints them; raises naming argument arg and `what`. */
uint64_t lt_check_features(lua_State *L, int idx, int arg, const char *what);

/* lua_peer.c: the port of a peer (NULL for other objects); a checked "name" option
 * for net objects (NULL when absent); the error of a failed net creation. */
struct net_port *lt_peer_port(struct lt_obj *o);
const char *lt_opt_net_name(const struct lt_opts *o, char buf[LT_NAME_MAX]);
int lt_create_fail(const struct lt_opts *o, const char *fn, const char *name, int rc);

/* lua_nic.c */
void lt_open_nic(lua_State *L);
/* slot:plug(model, options) for host h, slot `slot`, options at arg 3. */
int lt_nic_plug(lua_State *L, struct lt_host *h, unsigned slot);
/* Boots every host: enumeration, then the vendor drivers probe their functions.
 * Called once, when the vdpa stack is set up. */
void lt_boot_hosts(lua_State *L);
/* The net port of a NIC handle's port idx, NULL past the end. */
struct net_port *lt_nic_port(struct lt_obj *nic, unsigned idx);

/* lua_netdev.c */
void lt_open_netdev(lua_State *L);
/* dev:bind("virtio_vdpa", options at arg opts) */
int lt_bind_virtio_vdpa(lua_State *L, struct vdpa_device *d, int opts);
/* Registers virtio_net and virtio_vdpa (DMA window in the first host's memory). */
void lt_netdev_setup(lua_State *L);

#endif
