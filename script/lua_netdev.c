// SPDX-License-Identifier: MIT
/*
 * The host-kernel path for scripts: a vdpa device bound to virtio_vdpa gets
 * the virtio_net driver, and dev:bind("virtio_vdpa") returns a network device
 * handle to send and receive frames and read ethtool-like counters.  Also the
 * test-frame helpers sim.test_frame / sim.parse_frame.
 *
 * The handle refers to a registry object that holds the vdpa device name and
 * the driver instance while it lives (the driver's `removed` callback clears
 * it), and the receive accounting of test frames.  virtio_vdpa's DMA window
 * is the top of the first host's memory, so the devices' DMA (through PCIe
 * and the IOMMU) reaches what the driver wrote.
 */
#include "script/topo_priv.h"
#include "sim/mem/mem.h"
#include "sim/net/net.h"
#include "stack/virtio_net/virtio_net.h"
#include "stack/virtio_vdpa/virtio_vdpa.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DMA_WINDOW VVD_DEFAULT_DMA_SIZE
#define FLOWS_MAX 65536

struct rx_acct {
	uint64_t frames, bytes, test, foreign, corrupt;
	uint64_t in_order, lost, late;
	uint64_t lat_count, lat_sum_ps, lat_min_ps, lat_max_ps;
};

struct lt_netdev {
	struct lt_obj hdr;
	char dev[VDPA_NAME_MAX];
	struct sim *sim;
	struct vnet *n;      /* NULL once the driver left the device */
	bool count_rx;       /* frames counted here (else queued for receive()) */
	uint64_t *tx_seq;    /* next sequence number per flow */
	uint64_t *rx_next;   /* next expected sequence number per flow */
	size_t tx_flows, rx_flows;
	struct rx_acct rx;
};

static void netdev_destroy(struct lt_obj *o)
{
	struct lt_netdev *nd = (struct lt_netdev *)o;

	free(nd->tx_seq);
	free(nd->rx_next);
	free(nd);
}

/* Grows a per-flow array to hold flow f; false on ENOMEM. */
static bool flows_room(uint64_t **arr, size_t *n, size_t f)
{
	size_t nn = *n ? *n : 16;
	uint64_t *p;

	if (f < *n)
		return true;
	while (nn <= f)
		nn *= 2;
	p = realloc(*arr, nn * sizeof(*p));
	if (!p)
		return false;
	memset(p + *n, 0, (nn - *n) * sizeof(*p));
	*arr = p;
	*n = nn;
	return true;
}

/* ---- driver callbacks ------------------------------------------------------------------ */

static void on_rx(void *ctx, struct vnet *n, uint16_t queue, const uint8_t *frame, uint32_t len)
{
	struct lt_netdev *nd = ctx;
	struct rx_acct *a = &nd->rx;
	struct net_test_hdr h;
	sim_time_t lat;
	uint64_t *next;

	(void)queue;
	(void)n;
	a->frames++;
	a->bytes += len;
	switch (net_frame_parse_seq(frame, len, &h)) {
	case 0:
		break;
	case -EPROTO:
		a->foreign++;
		return;
	default:
		a->corrupt++;
		return;
	}
	if (net_frame_check_payload(frame, len, &h)) {
		a->corrupt++;
		return;
	}
	a->test++;
	lat = eng_now(nd->sim) - h.tstamp;
	if (!a->lat_count || lat < a->lat_min_ps)
		a->lat_min_ps = lat;
	if (lat > a->lat_max_ps)
		a->lat_max_ps = lat;
	a->lat_sum_ps += lat;
	a->lat_count++;
	if (!flows_room(&nd->rx_next, &nd->rx_flows, h.flow))
		return;
	next = &nd->rx_next[h.flow];
	if (h.seq < *next) {
		a->late++;
		return;
	}
	a->in_order++;
	a->lost += h.seq - *next;
	*next = h.seq + 1;
}

static void on_removed(void *ctx, struct vnet *n)
{
	struct lt_netdev *nd = ctx;

	(void)n;
	nd->n = NULL;
}

static const struct vnet_ops count_ops = { .rx = on_rx, .removed = on_removed };
static const struct vnet_ops queue_ops = { .removed = on_removed };

/* ---- set-up and bind ------------------------------------------------------------------- */

void lt_netdev_setup(lua_State *L)
{
	struct ltopo *t = lt_topo(L);
	struct sim *sim = lsim_sim(L);
	struct vvd_dma_config dc;
	struct lt_host *h = NULL;
	int rc;

	for (size_t i = 0; i < t->n && !h; i++)
		if (t->objs[i] && t->objs[i]->kind == LT_HOST)
			h = (struct lt_host *)t->objs[i];
	vvd_default_dma_config(&dc);
	if (h) {
		uint64_t size = mem_size(h->mem);

		if (size < 2 * DMA_WINDOW)
			luaL_error(L, "%s: memory too small for virtio_vdpa's DMA window (at least "
				   "%d MiB)", h->hdr.name, (int)(2 * DMA_WINDOW >> 20));
		dc.host_mem.read = mem_acc_read;
		dc.host_mem.write = mem_acc_write;
		dc.host_mem.ctx = h->mem;
		dc.pa_base = size - DMA_WINDOW;
		dc.size = DMA_WINDOW;
	}
	rc = vnet_register_driver(sim, NULL);
	if (rc && rc != -EEXIST)
		lt_fail_errno(L, "registering virtio_net", rc);
	rc = vvd_register_driver(sim, &dc);
	if (rc && rc != -EEXIST)
		lt_fail_errno(L, "registering virtio_vdpa", rc);
}

static struct lt_netdev *check_netdev(lua_State *L, int arg)
{
	return (struct lt_netdev *)lt_check_ref(L, arg, LT_MT_NETDEV)->obj;
}

/* The driver instance, or a Lua error once it is gone. */
static struct vnet *netdev_get(lua_State *L, int arg)
{
	struct lt_netdev *nd = check_netdev(L, arg);

	if (!nd->n)
		luaL_error(L, "netdev %s is gone (its device was unbound or deleted)", nd->dev);
	return nd->n;
}

int lt_bind_virtio_vdpa(lua_State *L, struct vdpa_device *d, int opts)
{
	static const char *const keys[] = {
		"queue_pairs", "ring", "features", "rx_ring", "tx_ring", "rx", NULL,
	};
	static const char *const rings[] = { "any", "split", "packed", NULL };
	static const char *const rx_modes[] = { "count", "queue", NULL };
	struct sim *sim = lsim_sim(L);
	struct vnet_params p;
	struct lt_netdev *nd;
	struct lt_opts o;
	int ring, rc;

	vnet_default_params(&p);
	lt_opts_open(L, opts, keys, &o);
	p.queue_pairs = (uint16_t)lt_opt_uint(&o, "queue_pairs", 1, VNET_MAX_PAIRS, 0);
	ring = lt_opt_enum(&o, "ring", rings, 0);
	if (lt_opt_push(&o, "features") != LUA_TNIL)
		p.feature_mask &= lt_check_features(L, -1, opts, "features");
	lua_pop(L, 1);
	if (ring == 1)
		p.feature_mask &= ~(1ULL << VIRTIO_F_RING_PACKED);
	p.rx_ring_size = (uint32_t)lt_opt_uint(&o, "rx_ring", 1, 32768, 0);
	p.tx_ring_size = (uint32_t)lt_opt_uint(&o, "tx_ring", 1, 32768, 0);
	nd = calloc(1, sizeof(*nd));
	if (!nd)
		return luaL_error(L, "out of memory");
	nd->hdr.kind = LT_NETDEV;
	nd->hdr.destroy = netdev_destroy;
	snprintf(nd->hdr.name, sizeof(nd->hdr.name), "%s", d->name);
	snprintf(nd->dev, sizeof(nd->dev), "%s", d->name);
	nd->sim = sim;
	nd->count_rx = lt_opt_enum(&o, "rx", rx_modes, 0) == 0;
	lt_register(L, &nd->hdr);
	rc = vnet_set_instance_params(sim, d->name, &p);
	if (!rc)
		rc = vdpa_driver_bind(vvd_driver(sim), d);
	if (!rc && !(nd->n = vnet_find(sim, d->name)))
		rc = -ENODEV; /* bound, but virtio_net refused the device */
	if (!rc && ring == 2 && !(vnet_features(nd->n) & (1ULL << VIRTIO_F_RING_PACKED))) {
		vdpa_device_release_driver(d);
		nd->n = NULL;
		rc = -EOPNOTSUPP;
	}
	if (rc) {
		lua_pushnil(L);
		lua_pushinteger(L, lt_errno(rc));
		return 2;
	}
	vnet_set_ops(nd->n, nd->count_rx ? &count_ops : &queue_ops, nd);
	lt_push_ref(L, LT_MT_NETDEV, &nd->hdr, 0);
	lua_pushinteger(L, 0);
	return 2;
}

/* ---- netdev methods -------------------------------------------------------------------- */

static int nd_name(lua_State *L)
{
	lua_pushstring(L, check_netdev(L, 1)->dev);
	return 1;
}

static int nd_exists(lua_State *L)
{
	lua_pushboolean(L, check_netdev(L, 1)->n != NULL);
	return 1;
}

static uint16_t check_queue(lua_State *L, int arg, struct vnet *n)
{
	lua_Integer q = luaL_optinteger(L, arg, 0);

	luaL_argcheck(L, q >= 0 && q < vnet_max_queue_pairs(n), arg,
		      lua_pushfstring(L, "queue must be from 0 to %d",
				      (int)vnet_max_queue_pairs(n) - 1));
	return (uint16_t)q;
}

/* nd:send(frame [, queue]) -> errno */
static int nd_send(lua_State *L)
{
	struct vnet *n = netdev_get(L, 1);
	size_t len;
	const char *frame = luaL_checklstring(L, 2, &len);
	uint16_t q = check_queue(L, 3, n);

	luaL_argcheck(L, len <= NET_FRAME_MAX, 2, "frame too long");
	lua_pushinteger(L, lt_errno(vnet_send(n, q, frame, (uint32_t)len)));
	return 1;
}

/* nd:send_test{ count, size, flow, queue, dst, src } -> frames sent, errno */
static int nd_send_test(lua_State *L)
{
	static const char *const keys[] = { "count", "size", "flow", "queue", "dst", "src", NULL };
	static const uint8_t bcast[NET_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct lt_netdev *nd = check_netdev(L, 1);
	struct vnet *n = netdev_get(L, 1);
	uint8_t dst[NET_ETH_ALEN], src[NET_ETH_ALEN], buf[NET_FRAME_MAX];
	uint64_t count, sent = 0;
	struct lt_opts o;
	uint32_t size;
	uint16_t flow, q;
	int rc = 0;

	lt_opts_open(L, 2, keys, &o);
	count = lt_opt_uint(&o, "count", 0, 1u << 20, 1);
	size = (uint32_t)lt_opt_uint(&o, "size", NET_TEST_MIN_LEN, NET_FRAME_MAX, NET_ETH_MIN_LEN);
	flow = (uint16_t)lt_opt_uint(&o, "flow", 0, FLOWS_MAX - 1, 0);
	q = (uint16_t)lt_opt_uint(&o, "queue", 0, vnet_max_queue_pairs(n) - 1u, 0);
	memcpy(dst, bcast, sizeof(dst));
	vnet_mac(n, src);
	lt_opt_mac(&o, "dst", dst);
	lt_opt_mac(&o, "src", src);
	if (!flows_room(&nd->tx_seq, &nd->tx_flows, flow))
		return luaL_error(L, "out of memory");
	for (; sent < count; sent++) {
		struct net_test_hdr h = { flow, (uint16_t)size, nd->tx_seq[flow],
					  eng_now(lsim_sim(L)) };

		net_frame_build(buf, sizeof(buf), size, dst, src, &h);
		rc = vnet_send_more(n, q, buf, size, sent + 1 < count);
		if (rc)
			break;
		nd->tx_seq[flow]++;
	}
	vnet_flush(n, q);
	lua_pushinteger(L, (lua_Integer)sent);
	lua_pushinteger(L, lt_errno(rc));
	return 2;
}

/* nd:receive([queue]) -> frame, or nil when none is waiting */
static int nd_receive(lua_State *L)
{
	struct lt_netdev *nd = check_netdev(L, 1);
	struct vnet *n = netdev_get(L, 1);
	uint16_t q = check_queue(L, 2, n);
	uint8_t buf[NET_FRAME_MAX];
	uint32_t len = 0;

	if (nd->count_rx)
		return luaL_error(L, "receive: %s counts its frames (bind with rx = \"queue\" to "
				  "receive them)", nd->dev);
	if (vnet_recv(n, q, buf, sizeof(buf), &len)) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushlstring(L, (const char *)buf, len);
	return 1;
}

static void push_queue_stats(lua_State *L, const struct vnet_queue_stats *s)
{
	lt_set_int(L, "tx_packets", s->tx_packets);
	lt_set_int(L, "tx_bytes", s->tx_bytes);
	lt_set_int(L, "tx_busy", s->tx_busy);
	lt_set_int(L, "tx_stops", s->tx_stops);
	lt_set_int(L, "tx_wakes", s->tx_wakes);
	lt_set_int(L, "tx_kicks", s->tx_kicks);
	lt_set_int(L, "tx_interrupts", s->tx_interrupts);
	lt_set_int(L, "rx_packets", s->rx_packets);
	lt_set_int(L, "rx_bytes", s->rx_bytes);
	lt_set_int(L, "rx_drops", s->rx_drops);
	lt_set_int(L, "rx_length_errors", s->rx_length_errors);
	lt_set_int(L, "rx_bufs", s->rx_bufs);
	lt_set_int(L, "rx_kicks", s->rx_kicks);
	lt_set_int(L, "rx_interrupts", s->rx_interrupts);
	lt_set_int(L, "kicks", s->kicks);
	lt_set_int(L, "interrupts", s->interrupts);
	lt_set_int(L, "napi_polls", s->napi_polls);
	lt_set_int(L, "napi_repolls", s->napi_repolls);
	lt_set_int(L, "cpu_ps", s->cpu_ps);
}

static void add_queue_stats(struct vnet_queue_stats *d, const struct vnet_queue_stats *s)
{
	d->tx_packets += s->tx_packets;
	d->tx_bytes += s->tx_bytes;
	d->tx_busy += s->tx_busy;
	d->tx_stops += s->tx_stops;
	d->tx_wakes += s->tx_wakes;
	d->tx_kicks += s->tx_kicks;
	d->tx_interrupts += s->tx_interrupts;
	d->rx_packets += s->rx_packets;
	d->rx_bytes += s->rx_bytes;
	d->rx_drops += s->rx_drops;
	d->rx_length_errors += s->rx_length_errors;
	d->rx_bufs += s->rx_bufs;
	d->rx_kicks += s->rx_kicks;
	d->rx_interrupts += s->rx_interrupts;
	d->kicks += s->kicks;
	d->interrupts += s->interrupts;
	d->napi_polls += s->napi_polls;
	d->napi_repolls += s->napi_repolls;
	d->cpu_ps += s->cpu_ps;
}

/* nd:stats([queue]): one queue pair's counters, or the sum over all of them with the
 * driver's counters and the test-frame accounting. */
static int nd_stats(lua_State *L)
{
	struct lt_netdev *nd = check_netdev(L, 1);
	struct vnet *n = netdev_get(L, 1);
	struct vnet_queue_stats s, sum;
	struct vnet_stats ds;
	const struct rx_acct *a = &nd->rx;

	if (!lua_isnoneornil(L, 2)) {
		vnet_queue_stats(n, check_queue(L, 2, n), &s);
		lua_newtable(L);
		push_queue_stats(L, &s);
		return 1;
	}
	lua_newtable(L);
	memset(&sum, 0, sizeof(sum));
	for (uint16_t q = 0; q < vnet_max_queue_pairs(n); q++)
		if (!vnet_queue_stats(n, q, &s))
			add_queue_stats(&sum, &s);
	push_queue_stats(L, &sum);
	vnet_stats(n, &ds);
	lt_set_int(L, "ctrl_cmds", ds.ctrl_cmds);
	lt_set_int(L, "ctrl_ok", ds.ctrl_ok);
	lt_set_int(L, "ctrl_err", ds.ctrl_err);
	lt_set_int(L, "ctrl_timeouts", ds.ctrl_timeouts);
	lt_set_int(L, "config_changes", ds.config_changes);
	lt_set_int(L, "link_changes", ds.link_changes);
	lt_set_int(L, "announces", ds.announces);
	lt_set_int(L, "resets", ds.resets);
	lt_set_int(L, "reset_failures", ds.reset_failures);
	if (nd->count_rx) {
		lua_createtable(L, 0, 12);
		lt_set_int(L, "frames", a->frames);
		lt_set_int(L, "bytes", a->bytes);
		lt_set_int(L, "test", a->test);
		lt_set_int(L, "foreign", a->foreign);
		lt_set_int(L, "corrupt", a->corrupt);
		lt_set_int(L, "in_order", a->in_order);
		lt_set_int(L, "lost", a->lost);
		lt_set_int(L, "late", a->late);
		lt_set_int(L, "lat_count", a->lat_count);
		lt_set_int(L, "lat_min_ps", a->lat_min_ps);
		lt_set_int(L, "lat_max_ps", a->lat_max_ps);
		lt_set_int(L, "lat_avg_ps", a->lat_count ? a->lat_sum_ps / a->lat_count : 0);
		lua_setfield(L, -2, "rx_test");
	}
	return 1;
}

static int nd_link_up(lua_State *L)
{
	lua_pushboolean(L, vnet_link_up(netdev_get(L, 1)));
	return 1;
}

static int nd_mac(lua_State *L)
{
	uint8_t m[VNET_ETH_ALEN];
	char buf[18];

	vnet_mac(netdev_get(L, 1), m);
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	lua_pushstring(L, buf);
	return 1;
}

static int nd_mtu(lua_State *L)
{
	lua_pushinteger(L, vnet_mtu(netdev_get(L, 1)));
	return 1;
}

static int nd_queue_pairs(lua_State *L)
{
	struct vnet *n = netdev_get(L, 1);

	lua_pushinteger(L, vnet_queue_pairs(n));
	lua_pushinteger(L, vnet_max_queue_pairs(n));
	return 2;
}

static int nd_features(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)vnet_features(netdev_get(L, 1)));
	return 1;
}

static int nd_set_queue_pairs(lua_State *L)
{
	struct vnet *n = netdev_get(L, 1);
	lua_Integer q = luaL_checkinteger(L, 2);

	luaL_argcheck(L, q >= 1 && q <= 0xffff, 2, "queue pairs must be from 1 to 65535");
	lua_pushinteger(L, lt_errno(vnet_set_queue_pairs(n, (uint16_t)q)));
	return 1;
}

static int nd_set_mac(lua_State *L)
{
	struct vnet *n = netdev_get(L, 1);
	uint8_t mac[VNET_ETH_ALEN];

	luaL_argcheck(L, !lsim_parse_mac(luaL_checkstring(L, 2), mac), 2,
		      "must be a MAC address like \"02:00:00:00:00:01\"");
	lua_pushinteger(L, lt_errno(vnet_set_mac(n, mac)));
	return 1;
}

static int nd_set_rx_mode(lua_State *L)
{
	struct vnet *n = netdev_get(L, 1);

	luaL_checktype(L, 2, LUA_TBOOLEAN);
	luaL_checktype(L, 3, LUA_TBOOLEAN);
	lua_pushinteger(L, lt_errno(vnet_set_rx_mode(n, lua_toboolean(L, 2),
						     lua_toboolean(L, 3))));
	return 1;
}

static int nd_ctrl_pending(lua_State *L)
{
	lua_pushinteger(L, vnet_ctrl_pending(netdev_get(L, 1)));
	return 1;
}

static int nd_reset(lua_State *L)
{
	lua_pushinteger(L, lt_errno(vnet_reset(netdev_get(L, 1))));
	return 1;
}

/* ---- test frames ----------------------------------------------------------------------- */

/* sim.test_frame{ size, flow, seq, dst, src } -> bytes */
static int l_test_frame(lua_State *L)
{
	static const char *const keys[] = { "size", "flow", "seq", "dst", "src", NULL };
	static const uint8_t bcast[NET_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t src_default[NET_ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t dst[NET_ETH_ALEN], src[NET_ETH_ALEN], buf[NET_FRAME_MAX];
	struct net_test_hdr h;
	struct lt_opts o;
	uint32_t size;

	lt_opts_open(L, 1, keys, &o);
	size = (uint32_t)lt_opt_uint(&o, "size", NET_TEST_MIN_LEN, NET_FRAME_MAX, NET_ETH_MIN_LEN);
	h.flow = (uint16_t)lt_opt_uint(&o, "flow", 0, FLOWS_MAX - 1, 0);
	h.seq = lt_opt_uint(&o, "seq", 0, INT64_MAX, 0);
	h.len = (uint16_t)size;
	h.tstamp = eng_now(lsim_sim(L));
	memcpy(dst, bcast, sizeof(dst));
	memcpy(src, src_default, sizeof(src));
	lt_opt_mac(&o, "dst", dst);
	lt_opt_mac(&o, "src", src);
	net_frame_build(buf, sizeof(buf), size, dst, src, &h);
	lua_pushlstring(L, (const char *)buf, size);
	return 1;
}

/* sim.parse_frame(bytes) -> { flow, seq, len, tstamp_ps, payload_ok } | nil, why */
static int l_parse_frame(lua_State *L)
{
	size_t len;
	const uint8_t *f = (const uint8_t *)luaL_checklstring(L, 1, &len);
	struct net_test_hdr h;
	int rc = net_frame_parse_seq(f, len, &h);

	if (rc) {
		lua_pushnil(L);
		lua_pushstring(L, rc == -EPROTO ? "not a test frame" : "truncated test frame");
		return 2;
	}
	lua_createtable(L, 0, 5);
	lt_set_int(L, "flow", h.flow);
	lt_set_int(L, "seq", h.seq);
	lt_set_int(L, "len", h.len);
	lt_set_int(L, "tstamp_ps", h.tstamp);
	lt_set_bool(L, "payload_ok", !net_frame_check_payload(f, len, &h));
	return 1;
}

void lt_open_netdev(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "name", nd_name }, { "exists", nd_exists }, { "send", nd_send },
		{ "send_test", nd_send_test }, { "receive", nd_receive }, { "stats", nd_stats },
		{ "link_up", nd_link_up }, { "mac", nd_mac }, { "mtu", nd_mtu },
		{ "queue_pairs", nd_queue_pairs }, { "features", nd_features },
		{ "set_queue_pairs", nd_set_queue_pairs }, { "set_mac", nd_set_mac },
		{ "set_rx_mode", nd_set_rx_mode }, { "ctrl_pending", nd_ctrl_pending },
		{ "reset", nd_reset }, { NULL, NULL },
	};

	lt_new_class(L, LT_MT_NETDEV, methods, NULL);
	lua_pushcfunction(L, l_test_frame);
	lua_setfield(L, -2, "test_frame");
	lua_pushcfunction(L, l_parse_frame);
	lua_setfield(L, -2, "parse_frame");
}
