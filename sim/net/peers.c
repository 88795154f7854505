// SPDX-License-Identifier: MIT
/*
 * Traffic peers, each the owner of one port: loopback, sink and generator.
 * They use the port API like any NIC model would.
 */
#include "sim/net/net_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PS_PER_S 1000000000000ULL
#define SINK_MAX_FLOWS 4096
#define SINK_DEFAULT_FLOWS 64
#define WINDOW_WORDS (NET_SINK_WINDOW / 64)

static int port_for(struct sim *sim, const char *name, uint32_t depth,
		    const struct net_port_ops *ops, void *ctx, struct net_port **out)
{
	struct net_port_cfg pc = { .name = name, .tx_queue_frames = depth };

	return net_port_new(sim, &pc, ops, ctx, out);
}

/* ---- loopback ------------------------------------------------------------------ */

struct net_loopback {
	struct sim *sim;
	char name[NET_NAME_MAX];
	bool swap_mac;
	struct net_port *port;
	uint8_t *scratch;
	uint64_t *frames, *bytes, *dropped;
};

static void lb_rx(void *ctx, struct net_port *port, const uint8_t *frame, size_t len,
		  sim_time_t at)
{
	struct net_loopback *lb = ctx;
	const uint8_t *out = frame;

	(void)at;
	if (lb->swap_mac && len >= NET_ETH_HLEN && len <= NET_FRAME_MAX) {
		memcpy(lb->scratch, frame + NET_ETH_ALEN, NET_ETH_ALEN);
		memcpy(lb->scratch + NET_ETH_ALEN, frame, NET_ETH_ALEN);
		memcpy(lb->scratch + 2 * NET_ETH_ALEN, frame + 2 * NET_ETH_ALEN,
		       len - 2 * NET_ETH_ALEN);
		out = lb->scratch;
	}
	if (net_port_send(port, out, len)) {
		(*lb->dropped)++;
		return;
	}
	(*lb->frames)++;
	*lb->bytes += len;
}

int net_loopback_new(struct sim *sim, const struct net_loopback_cfg *cfg,
		     struct net_loopback **out)
{
	static const struct net_port_ops ops = { .rx = lb_rx };
	static const struct net_loopback_cfg defaults;
	struct net_loopback *lb;
	int rc = -ENOMEM;

	if (!sim || !out)
		return -EINVAL;
	if (!cfg)
		cfg = &defaults;
	lb = calloc(1, sizeof(*lb));
	if (!lb)
		return -ENOMEM;
	lb->sim = sim;
	lb->swap_mac = cfg->swap_mac;
	lb->scratch = malloc(NET_FRAME_MAX);
	if (!lb->scratch)
		goto fail;
	rc = net_name_claim(sim, cfg->name, "loopback", lb->name);
	if (!rc)
		rc = net_stat_ptr(sim, lb->name, "frames", &lb->frames);
	if (!rc)
		rc = net_stat_ptr(sim, lb->name, "bytes", &lb->bytes);
	if (!rc)
		rc = net_stat_ptr(sim, lb->name, "dropped", &lb->dropped);
	if (!rc)
		rc = port_for(sim, lb->name, cfg->tx_queue_frames, &ops, lb, &lb->port);
	if (rc)
		goto fail;
	*out = lb;
	return 0;
fail:
	free(lb->scratch);
	free(lb);
	return rc;
}

void net_loopback_free(struct net_loopback *lb)
{
	if (!lb)
		return;
	net_port_free(lb->port);
	free(lb->scratch);
	free(lb);
}

struct net_port *net_loopback_port(struct net_loopback *lb)
{
	return lb->port;
}

void net_loopback_stats(const struct net_loopback *lb, struct net_loopback_stats *out)
{
	out->frames = *lb->frames;
	out->bytes = *lb->bytes;
	out->dropped = *lb->dropped;
}

/* ---- sink ------------------------------------------------------------------------ */

struct sink_flow {
	struct net_sink_flow_stats st;
	bool seen_any;
	/* bit (seq % NET_SINK_WINDOW) set: seq received, for seq in
	 * [expected - NET_SINK_WINDOW, expected) */
	uint64_t win[WINDOW_WORDS];
};

enum {
	SK_FRAMES, SK_BYTES, SK_FOREIGN, SK_IN_ORDER, SK_LOST, SK_DUP, SK_REORD, SK_STALE,
	SK_CORRUPT, SK_BAD_FLOW, SK_LAT_COUNT, SK_LAT_MIN, SK_LAT_MAX, SK_LAT_SUM, SK_COUNT
};

static const char *const sink_fields[SK_COUNT] = {
	"frames",  "bytes",    "foreign",   "in_order",  "lost",       "duplicate",  "reordered",
	"stale",   "corrupt",  "bad_flow",  "lat_count", "lat_min_ps", "lat_max_ps", "lat_sum_ps",
};

struct net_sink {
	struct sim *sim;
	char name[NET_NAME_MAX];
	struct net_port *port;
	uint32_t max_flows;
	bool check_payload;
	struct sink_flow *flow;
	uint64_t *st[SK_COUNT];
};

static inline bool win_test(const struct sink_flow *f, uint64_t seq)
{
	uint64_t bit = seq % NET_SINK_WINDOW;

	return f->win[bit / 64] >> (bit % 64) & 1;
}

static inline void win_set(struct sink_flow *f, uint64_t seq, bool on)
{
	uint64_t bit = seq % NET_SINK_WINDOW, m = 1ULL << (bit % 64);

	if (on)
		f->win[bit / 64] |= m;
	else
		f->win[bit / 64] &= ~m;
}

static void sink_seq(struct net_sink *s, struct sink_flow *f, uint64_t seq)
{
	uint64_t exp = f->st.expected;

	f->seen_any = true;
	if (seq >= exp) {
		uint64_t gap = seq - exp;

		/* the skipped numbers leave the window unseen; bounded by its size */
		if (gap >= NET_SINK_WINDOW)
			memset(f->win, 0, sizeof(f->win));
		else
			for (uint64_t k = exp; k < seq; k++)
				win_set(f, k, false);
		win_set(f, seq, true);
		f->st.lost += gap;
		*s->st[SK_LOST] += gap;
		f->st.in_order++;
		(*s->st[SK_IN_ORDER])++;
		f->st.expected = seq + 1;
	} else if (exp - seq > NET_SINK_WINDOW) {
		f->st.stale++;
		(*s->st[SK_STALE])++;
	} else if (win_test(f, seq)) {
		f->st.duplicate++;
		(*s->st[SK_DUP])++;
	} else {
		win_set(f, seq, true);
		f->st.reordered++;
		(*s->st[SK_REORD])++;
		f->st.lost--;
		(*s->st[SK_LOST])--;
	}
}

static void sink_rx(void *ctx, struct net_port *port, const uint8_t *frame, size_t len,
		    sim_time_t at)
{
	struct net_sink *s = ctx;
	struct net_test_hdr h;
	struct sink_flow *f;
	int rc;

	(void)port;
	(*s->st[SK_FRAMES])++;
	*s->st[SK_BYTES] += len;
	rc = net_frame_parse_seq(frame, len, &h);
	if (rc == -EPROTO) {
		(*s->st[SK_FOREIGN])++;
		return;
	}
	/*
	 * Sequence numbers run 0..UINT64_MAX - 1: after UINT64_MAX the next
	 * expected number would be 2^64, which no 64-bit counter holds (expected
	 * used to wrap to 0 and the next frame counted nearly 2^64 lost).
	 */
	if (rc || h.seq == UINT64_MAX ||
	    (s->check_payload && net_frame_check_payload(frame, len, &h))) {
		(*s->st[SK_CORRUPT])++;
		return;
	}
	if (h.flow >= s->max_flows) {
		(*s->st[SK_BAD_FLOW])++;
		return;
	}
	f = &s->flow[h.flow];
	f->st.frames++;
	sink_seq(s, f, h.seq);
	if (at >= h.tstamp) {
		sim_time_t lat = at - h.tstamp;

		if (!*s->st[SK_LAT_COUNT] || lat < *s->st[SK_LAT_MIN])
			*s->st[SK_LAT_MIN] = lat;
		if (lat > *s->st[SK_LAT_MAX])
			*s->st[SK_LAT_MAX] = lat;
		(*s->st[SK_LAT_COUNT])++;
		*s->st[SK_LAT_SUM] += lat;
	}
}

int net_sink_new(struct sim *sim, const struct net_sink_cfg *cfg, struct net_sink **out)
{
	static const struct net_port_ops ops = { .rx = sink_rx };
	static const struct net_sink_cfg defaults;
	struct net_sink *s;
	int rc = -ENOMEM;

	if (!sim || !out)
		return -EINVAL;
	if (!cfg)
		cfg = &defaults;
	if (cfg->max_flows > SINK_MAX_FLOWS)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->sim = sim;
	s->max_flows = cfg->max_flows ? cfg->max_flows : SINK_DEFAULT_FLOWS;
	s->check_payload = cfg->check_payload;
	s->flow = calloc(s->max_flows, sizeof(*s->flow));
	if (!s->flow)
		goto fail;
	rc = net_name_claim(sim, cfg->name, "sink", s->name);
	for (int i = 0; !rc && i < SK_COUNT; i++)
		rc = net_stat_ptr(sim, s->name, sink_fields[i], &s->st[i]);
	if (!rc)
		rc = port_for(sim, s->name, 0, &ops, s, &s->port);
	if (rc)
		goto fail;
	*out = s;
	return 0;
fail:
	free(s->flow);
	free(s);
	return rc;
}

void net_sink_free(struct net_sink *sink)
{
	if (!sink)
		return;
	net_port_free(sink->port);
	free(sink->flow);
	free(sink);
}

struct net_port *net_sink_port(struct net_sink *sink)
{
	return sink->port;
}

void net_sink_stats(const struct net_sink *sink, struct net_sink_stats *out)
{
	uint64_t *const *st = sink->st;

	out->frames = *st[SK_FRAMES];
	out->bytes = *st[SK_BYTES];
	out->foreign = *st[SK_FOREIGN];
	out->in_order = *st[SK_IN_ORDER];
	out->lost = *st[SK_LOST];
	out->duplicate = *st[SK_DUP];
	out->reordered = *st[SK_REORD];
	out->stale = *st[SK_STALE];
	out->corrupt = *st[SK_CORRUPT];
	out->bad_flow = *st[SK_BAD_FLOW];
	out->lat_count = *st[SK_LAT_COUNT];
	out->lat_min = *st[SK_LAT_MIN];
	out->lat_max = *st[SK_LAT_MAX];
	out->lat_sum_ps = *st[SK_LAT_SUM];
}

int net_sink_flow_stats(const struct net_sink *sink, uint16_t flow,
			struct net_sink_flow_stats *out)
{
	if (flow >= sink->max_flows)
		return -EINVAL;
	if (!sink->flow[flow].seen_any)
		return -ENOENT;
	*out = sink->flow[flow].st;
	return 0;
}

/* ---- generator --------------------------------------------------------------------- */

const struct net_size_weight net_imix[3] = {
	{ 60, 7 },   /* 64 B on the wire */
	{ 572, 4 },  /* 576 B */
	{ 1514, 1 }, /* 1518 B */
};

enum { GS_FRAMES, GS_BYTES, GS_REFUSED, GS_COUNT };

struct net_gen {
	struct sim *sim;
	char name[NET_NAME_MAX];
	struct net_port *port;
	uint64_t rate_pps, rate_bps;
	struct net_size_weight size[NET_GEN_SIZES_MAX];
	size_t nsizes; /* >= 1: a fixed frame_len is one entry */
	uint64_t total_weight;
	uint16_t flows;
	uint64_t count;
	uint8_t dst[NET_ETH_ALEN], src[NET_ETH_ALEN];
	struct eng_rng rng;

	bool running, done;
	uint64_t sent_this_run, sent_total;
	uint64_t *seq; /* next sequence number per flow */
	int next_idx;  /* size chosen for the next frame, -1: none yet */
	struct net_clock clock;
	eng_event_id ev;
	uint8_t *buf;
	uint64_t *st[GS_COUNT];
	uint64_t by_size[NET_GEN_SIZES_MAX];
};

static int gen_pick(struct net_gen *g)
{
	uint64_t r;

	if (g->next_idx >= 0)
		return g->next_idx;
	if (g->nsizes == 1) {
		g->next_idx = 0;
		return 0;
	}
	r = eng_rng_below(&g->rng, g->total_weight);
	for (size_t i = 0; i < g->nsizes; i++) {
		if (r < g->size[i].weight) {
			g->next_idx = (int)i;
			return g->next_idx;
		}
		r -= g->size[i].weight;
	}
	g->next_idx = (int)g->nsizes - 1; /* not reached: r < total_weight */
	return g->next_idx;
}

static bool gen_budget_left(const struct net_gen *g)
{
	return !g->count || g->sent_this_run < g->count;
}

/* Build and send the chosen frame: 0 or the port's error. */
static int gen_send_one(struct net_gen *g)
{
	int idx = gen_pick(g);
	uint32_t len = g->size[idx].len;
	uint16_t flow = (uint16_t)(g->sent_total % g->flows);
	struct net_test_hdr h = { .flow = flow, .seq = g->seq[flow], .tstamp = eng_now(g->sim) };
	int rc;

	net_frame_build(g->buf, len, len, g->dst, g->src, &h);
	rc = net_port_send(g->port, g->buf, len);
	g->next_idx = -1;
	if (rc) {
		(*g->st[GS_REFUSED])++;
		return rc;
	}
	g->seq[flow]++;
	g->sent_total++;
	g->sent_this_run++;
	g->by_size[idx]++;
	(*g->st[GS_FRAMES])++;
	*g->st[GS_BYTES] += len;
	if (!gen_budget_left(g)) {
		g->running = false;
		g->done = true;
	}
	return 0;
}

/* Unpaced: keep the transmit queue full.  Bounded by the queue depth. */
static void gen_fill(struct net_gen *g)
{
	while (g->running && net_port_tx_room(g->port, g->size[gen_pick(g)].len))
		if (gen_send_one(g))
			break;
}

static void gen_tick(struct sim *sim, void *arg)
{
	struct net_gen *g = arg;
	uint64_t units;
	sim_time_t next;

	g->ev = 0;
	if (!g->running)
		return;
	units = g->rate_pps ? 1 : net_wire_bits(g->size[gen_pick(g)].len);
	gen_send_one(g);
	if (!g->running)
		return;
	next = net_clock_advance(&g->clock, units);
	g->ev = eng_schedule_at(sim, next, gen_tick, g);
	if (!g->ev)
		g->running = false; /* out of memory: stop rather than run unpaced */
}

static void gen_begin(struct sim *sim, void *arg)
{
	struct net_gen *g = arg;

	g->ev = 0;
	if (!g->running)
		return;
	if (g->rate_pps || g->rate_bps) {
		net_clock_init(&g->clock, PS_PER_S, g->rate_pps ? g->rate_pps : g->rate_bps,
			       eng_now(sim));
		gen_tick(sim, g);
	} else {
		gen_fill(g);
	}
}

static void gen_tx_done(void *ctx, struct net_port *port)
{
	struct net_gen *g = ctx;

	(void)port;
	if (g->running && !g->ev && !g->rate_pps && !g->rate_bps)
		gen_fill(g);
}

static void gen_link_change(void *ctx, struct net_port *port, bool up)
{
	if (up)
		gen_tx_done(ctx, port);
}

static int gen_sizes(struct net_gen *g, const struct net_gen_cfg *cfg)
{
	uint32_t maxlen = 0;

	if (cfg->nsizes > NET_GEN_SIZES_MAX || (cfg->nsizes && !cfg->sizes))
		return -EINVAL;
	if (!cfg->nsizes) {
		g->size[0].len = cfg->frame_len;
		g->size[0].weight = 1;
		g->nsizes = 1;
	} else {
		memcpy(g->size, cfg->sizes, cfg->nsizes * sizeof(*g->size));
		g->nsizes = cfg->nsizes;
	}
	for (size_t i = 0; i < g->nsizes; i++) {
		if (g->size[i].len < NET_TEST_MIN_LEN || g->size[i].len > NET_FRAME_MAX ||
		    !g->size[i].weight)
			return -EINVAL;
		g->total_weight += g->size[i].weight;
		if (g->size[i].len > maxlen)
			maxlen = g->size[i].len;
	}
	g->buf = malloc(maxlen);
	return g->buf ? 0 : -ENOMEM;
}

int net_gen_new(struct sim *sim, const struct net_gen_cfg *cfg, struct net_gen **out)
{
	static const struct net_port_ops ops = { .tx_done = gen_tx_done,
						 .link_change = gen_link_change };
	static const char *const fields[GS_COUNT] = { "frames", "bytes", "refused" };
	char stream[NET_NAME_MAX + 16];
	struct net_gen *g;
	int rc;

	if (!sim || !cfg || !out || (cfg->rate_pps && cfg->rate_bps))
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->sim = sim;
	g->rate_pps = cfg->rate_pps;
	g->rate_bps = cfg->rate_bps;
	g->flows = cfg->flows ? cfg->flows : 1;
	g->count = cfg->count;
	g->next_idx = -1;
	memcpy(g->dst, cfg->dst_mac, NET_ETH_ALEN);
	memcpy(g->src, cfg->src_mac, NET_ETH_ALEN);
	rc = gen_sizes(g, cfg);
	if (rc)
		goto fail;
	rc = -ENOMEM;
	g->seq = calloc(g->flows, sizeof(*g->seq));
	if (!g->seq)
		goto fail;
	rc = net_name_claim(sim, cfg->name, "gen", g->name);
	for (int i = 0; !rc && i < GS_COUNT; i++)
		rc = net_stat_ptr(sim, g->name, fields[i], &g->st[i]);
	if (!rc)
		rc = port_for(sim, g->name, cfg->tx_queue_frames, &ops, g, &g->port);
	if (rc)
		goto fail;
	snprintf(stream, sizeof(stream), "net.gen.%s", g->name);
	eng_rng_stream(sim, stream, &g->rng);
	*out = g;
	return 0;
fail:
	free(g->seq);
	free(g->buf);
	free(g);
	return rc;
}

void net_gen_free(struct net_gen *gen)
{
	if (!gen)
		return;
	net_gen_stop(gen);
	net_port_free(gen->port);
	free(gen->seq);
	free(gen->buf);
	free(gen);
}

struct net_port *net_gen_port(struct net_gen *gen)
{
	return gen->port;
}

int net_gen_start(struct net_gen *gen, sim_time_t at)
{
	if (gen->running)
		return -EBUSY;
	if (at < eng_now(gen->sim))
		return -EINVAL;
	gen->ev = eng_schedule_at(gen->sim, at, gen_begin, gen);
	if (!gen->ev)
		return -ENOMEM;
	gen->running = true;
	gen->done = false;
	gen->sent_this_run = 0;
	return 0;
}

void net_gen_stop(struct net_gen *gen)
{
	if (gen->ev)
		eng_cancel(gen->sim, gen->ev);
	gen->ev = 0;
	gen->running = false;
}

bool net_gen_done(const struct net_gen *gen)
{
	return gen->done;
}

void net_gen_stats(const struct net_gen *gen, struct net_gen_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->frames = *gen->st[GS_FRAMES];
	out->bytes = *gen->st[GS_BYTES];
	out->refused = *gen->st[GS_REFUSED];
	memcpy(out->by_size, gen->by_size, sizeof(gen->by_size));
}
