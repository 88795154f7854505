// SPDX-License-Identifier: MIT
/*
 * Traffic peers and the test frame format: loopback, sink sequence checking,
 * generator pacing, flows and size mix.
 */
#include "sim/net/net.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };

/* A plain port that records arrivals. */
struct rec {
	struct sim *sim;
	struct net_port *port;
	uint64_t n;
	sim_time_t t[2048];
	uint8_t last[NET_FRAME_MAX];
	size_t last_len;
};

static void rec_rx(void *ctx, struct net_port *port, const uint8_t *frame, size_t len,
		   sim_time_t at)
{
	struct rec *r = ctx;

	(void)port;
	if (r->n < 2048)
		r->t[r->n] = at;
	r->n++;
	memcpy(r->last, frame, len);
	r->last_len = len;
}

static struct rec *rec_new(struct sim *sim)
{
	static const struct net_port_ops ops = { .rx = rec_rx };
	struct rec *r = calloc(1, sizeof(*r));

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	r->sim = sim;
	CU_ASSERT_EQUAL_FATAL(net_port_new(sim, NULL, &ops, r, &r->port), 0);
	return r;
}

static void rec_free(struct rec *r)
{
	net_port_free(r->port);
	free(r);
}

static struct net_link *wire(struct sim *sim, struct net_port *a, struct net_port *b,
			     uint64_t rate, uint32_t length_m)
{
	struct net_link_cfg lc = { .rate_bps = rate, .length_m = length_m };
	struct net_link *l;

	CU_ASSERT_EQUAL_FATAL(net_link_new(sim, &lc, a, b, &l), 0);
	return l;
}

static int send_test(struct net_port *p, uint16_t flow, uint64_t seq, size_t len)
{
	uint8_t f[NET_FRAME_MAX];
	struct net_test_hdr h = { .flow = flow, .seq = seq };

	CU_ASSERT_EQUAL_FATAL(net_frame_build(f, sizeof(f), len, mac_a, mac_b, &h), 0);
	return net_port_send(p, f, len);
}

/* ---- frame format ---------------------------------------------------------- */

static void test_test_frame_round_trips_and_rejects_other_frames(void)
{
	uint8_t f[200];
	struct net_test_hdr h = { .flow = 513, .seq = 0x0102030405060708ULL, .tstamp = 77 };
	struct net_test_hdr o;

	CU_ASSERT_EQUAL(net_frame_build(f, sizeof(f), 37, mac_a, mac_b, &h), -EINVAL);
	CU_ASSERT_EQUAL(net_frame_build(f, 100, 101, mac_a, mac_b, &h), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(net_frame_build(f, sizeof(f), 150, mac_a, mac_b, &h), 0);
	/* layout: big-endian fields at fixed offsets */
	CU_ASSERT_EQUAL(memcmp(f, mac_a, 6), 0);
	CU_ASSERT_EQUAL(memcmp(f + 6, mac_b, 6), 0);
	CU_ASSERT_EQUAL(f[12], 0x88);
	CU_ASSERT_EQUAL(f[13], 0xb5);
	CU_ASSERT_EQUAL(memcmp(f + 14, "vDPS", 4), 0);
	CU_ASSERT_EQUAL(f[18], 2);
	CU_ASSERT_EQUAL(f[19], 1);
	CU_ASSERT_EQUAL(f[21], 150);
	CU_ASSERT_EQUAL(f[22], 1);
	CU_ASSERT_EQUAL(f[29], 8);
	CU_ASSERT_EQUAL(f[37], 77);
	CU_ASSERT_EQUAL(net_frame_parse_seq(f, 150, &o), 0);
	CU_ASSERT_EQUAL(o.flow, 513);
	CU_ASSERT_EQUAL(o.seq, h.seq);
	CU_ASSERT_EQUAL(o.tstamp, 77);
	CU_ASSERT_EQUAL(o.len, 150);
	CU_ASSERT_EQUAL(net_frame_check_payload(f, 150, &o), 0);
	/* padding after len is ignored */
	CU_ASSERT_EQUAL(net_frame_parse_seq(f, 200, &o), 0);
	CU_ASSERT_EQUAL(net_frame_check_payload(f, 200, &o), 0);
	/* truncated: the len field says more than there is */
	CU_ASSERT_EQUAL(net_frame_parse_seq(f, 149, &o), -EBADMSG);
	f[100] ^= 1;
	CU_ASSERT_EQUAL(net_frame_check_payload(f, 150, &o), -EBADMSG);
	f[100] ^= 1;
	f[14] = 'x';
	CU_ASSERT_EQUAL(net_frame_parse_seq(f, 150, &o), -EPROTO);
	f[14] = 'v';
	f[13] = 0x00; /* IPv4 */
	CU_ASSERT_EQUAL(net_frame_parse_seq(f, 150, &o), -EPROTO);
	CU_ASSERT_EQUAL(net_frame_parse_seq(f, 37, &o), -EPROTO);
}

/* ---- loopback ---------------------------------------------------------------- */

static void check_loopback(bool swap)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct rec *r = rec_new(sim);
	struct net_loopback_cfg cfg = { .swap_mac = swap };
	struct net_loopback *lb;
	struct net_loopback_stats st;
	struct net_link *l;
	uint8_t f[100];
	struct net_test_hdr h = { .flow = 1, .seq = 5 };

	CU_ASSERT_EQUAL_FATAL(net_loopback_new(sim, &cfg, &lb), 0);
	l = wire(sim, r->port, net_loopback_port(lb), NET_RATE_100G, 1);
	net_frame_build(f, sizeof(f), sizeof(f), mac_b, mac_a, &h);
	CU_ASSERT_EQUAL(net_port_send(r->port, f, sizeof(f)), 0);
	CU_ASSERT_EQUAL(net_port_send(r->port, f, sizeof(f)), 0);
	eng_run_until(sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL_FATAL(r->n, 2);
	CU_ASSERT_EQUAL(r->last_len, sizeof(f));
	CU_ASSERT_EQUAL(memcmp(r->last, swap ? mac_a : mac_b, 6), 0);
	CU_ASSERT_EQUAL(memcmp(r->last + 6, swap ? mac_b : mac_a, 6), 0);
	CU_ASSERT_EQUAL(memcmp(r->last + 12, f + 12, sizeof(f) - 12), 0);
	/* out and back: two serialisations and two cable delays */
	CU_ASSERT_EQUAL(r->t[0], 2 * (net_wire_ps(NET_RATE_100G, 100) + 5000));
	CU_ASSERT_EQUAL(r->t[1], r->t[0] + net_wire_ps(NET_RATE_100G, 100));
	net_loopback_stats(lb, &st);
	CU_ASSERT_EQUAL(st.frames, 2);
	CU_ASSERT_EQUAL(st.bytes, 200);
	CU_ASSERT_EQUAL(st.dropped, 0);
	CU_ASSERT_EQUAL(eng_stat_get(sim, "net.loopback0.frames"), 2);
	net_link_free(l);
	net_loopback_free(lb);
	rec_free(r);
	eng_sim_free(sim);
}

static void test_loopback_reflects_every_frame(void)
{
	check_loopback(false);
}

static void test_loopback_swaps_mac_addresses_when_asked(void)
{
	check_loopback(true);
}

/* ---- sink ------------------------------------------------------------------------ */

struct sink_rig {
	struct sim *sim;
	struct rec *src;
	struct net_sink *sink;
	struct net_link *link;
};

static void sink_rig(struct sink_rig *s, bool check_payload, uint32_t max_flows)
{
	struct net_sink_cfg cfg = { .name = "sk", .check_payload = check_payload,
				    .max_flows = max_flows };
	struct net_port_cfg pc = { .tx_queue_frames = 1024 };

	s->sim = eng_sim_new(1, 0);
	s->src = calloc(1, sizeof(*s->src));
	CU_ASSERT_EQUAL_FATAL(net_port_new(s->sim, &pc, NULL, NULL, &s->src->port), 0);
	CU_ASSERT_EQUAL_FATAL(net_sink_new(s->sim, &cfg, &s->sink), 0);
	s->link = wire(s->sim, s->src->port, net_sink_port(s->sink), NET_RATE_100G, 0);
}

static void sink_rig_free(struct sink_rig *s)
{
	net_link_free(s->link);
	net_sink_free(s->sink);
	rec_free(s->src);
	eng_sim_free(s->sim);
}

static void test_sink_counts_loss_duplicate_and_reorder_exactly(void)
{
	static const uint64_t seqs[] = { 0, 1, 2, 4, 5, 5, 3, 7, 9, 9, 8 };
	struct sink_rig s;
	struct net_sink_stats st;
	struct net_sink_flow_stats fs;

	sink_rig(&s, true, 0);
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
		CU_ASSERT_EQUAL(send_test(s.src->port, 0, seqs[i], 64), 0);
	/* flow 1 in order, independent of flow 0 */
	for (uint64_t i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(send_test(s.src->port, 1, i, 64), 0);
	eng_run_until(s.sim, ENG_TIME_MAX);
	net_sink_stats(s.sink, &st);
	CU_ASSERT_EQUAL(st.frames, 14);
	CU_ASSERT_EQUAL(st.bytes, 14 * 64);
	/* flow 0: in order 0 1 2 4 5 7 9; 3 and 8 came late; 5 and 9 twice; 6 missing */
	CU_ASSERT_EQUAL_FATAL(net_sink_flow_stats(s.sink, 0, &fs), 0);
	CU_ASSERT_EQUAL(fs.frames, 11);
	CU_ASSERT_EQUAL(fs.in_order, 7);
	CU_ASSERT_EQUAL(fs.reordered, 2);
	CU_ASSERT_EQUAL(fs.duplicate, 2);
	CU_ASSERT_EQUAL(fs.lost, 1);
	CU_ASSERT_EQUAL(fs.expected, 10);
	CU_ASSERT_EQUAL(net_sink_flow_stats(s.sink, 1, &fs), 0);
	CU_ASSERT_EQUAL(fs.in_order, 3);
	CU_ASSERT_EQUAL(fs.lost + fs.duplicate + fs.reordered, 0);
	CU_ASSERT_EQUAL(net_sink_flow_stats(s.sink, 2, &fs), -ENOENT);
	CU_ASSERT_EQUAL(net_sink_flow_stats(s.sink, 64, &fs), -EINVAL);
	CU_ASSERT_EQUAL(st.in_order, 10);
	CU_ASSERT_EQUAL(st.lost, 1);
	CU_ASSERT_EQUAL(st.duplicate, 2);
	CU_ASSERT_EQUAL(st.reordered, 2);
	CU_ASSERT_EQUAL(st.stale + st.corrupt + st.foreign + st.bad_flow, 0);
	CU_ASSERT_EQUAL(eng_stat_get(s.sim, "net.sk.lost"), 1);
	CU_ASSERT_EQUAL(eng_stat_get(s.sim, "net.sk.reordered"), 2);
	sink_rig_free(&s);
}

static void test_sink_window_edges_and_stale_frames(void)
{
	struct sink_rig s;
	struct net_sink_flow_stats fs;

	sink_rig(&s, false, 0);
	/* a gap of exactly one window, then the oldest number still inside it,
	 * then one just outside (stale), then a duplicate of the newest */
	CU_ASSERT_EQUAL(send_test(s.src->port, 3, 0, 64), 0);
	CU_ASSERT_EQUAL(send_test(s.src->port, 3, NET_SINK_WINDOW + 1, 64), 0);
	CU_ASSERT_EQUAL(send_test(s.src->port, 3, 2, 64), 0); /* exp - 2 == window */
	CU_ASSERT_EQUAL(send_test(s.src->port, 3, 1, 64), 0); /* exp - 1 > window */
	CU_ASSERT_EQUAL(send_test(s.src->port, 3, 0, 64), 0);
	CU_ASSERT_EQUAL(send_test(s.src->port, 3, NET_SINK_WINDOW + 1, 64), 0);
	eng_run_until(s.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL_FATAL(net_sink_flow_stats(s.sink, 3, &fs), 0);
	CU_ASSERT_EQUAL(fs.in_order, 2);
	CU_ASSERT_EQUAL(fs.reordered, 1);
	CU_ASSERT_EQUAL(fs.stale, 2);
	CU_ASSERT_EQUAL(fs.duplicate, 1);
	CU_ASSERT_EQUAL(fs.lost, NET_SINK_WINDOW - 1);
	sink_rig_free(&s);
}

/* Reported by the first fuzzing pass: a frame numbered UINT64_MAX made the
 * expected number wrap to 0, and the next frame counted ~2^64 lost. */
static void test_sink_expected_number_never_wraps_past_uint64_max(void)
{
	struct sink_rig s;
	struct net_sink_stats st;
	struct net_sink_flow_stats fs;

	sink_rig(&s, true, 0);
	CU_ASSERT_EQUAL(send_test(s.src->port, 0, UINT64_MAX - 2, 64), 0);
	CU_ASSERT_EQUAL(send_test(s.src->port, 0, UINT64_MAX - 1, 64), 0);
	CU_ASSERT_EQUAL(send_test(s.src->port, 0, UINT64_MAX, 64), 0);
	CU_ASSERT_EQUAL(send_test(s.src->port, 0, 5, 64), 0);
	CU_ASSERT_EQUAL(send_test(s.src->port, 0, UINT64_MAX - 3, 64), 0);
	eng_run_until(s.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL_FATAL(net_sink_flow_stats(s.sink, 0, &fs), 0);
	CU_ASSERT_EQUAL(fs.expected, UINT64_MAX);
	CU_ASSERT_EQUAL(fs.in_order, 2);
	CU_ASSERT_EQUAL(fs.reordered, 1);
	CU_ASSERT_EQUAL(fs.stale, 1); /* 5 is far behind, not 2^64 - 5 lost */
	CU_ASSERT_EQUAL(fs.lost, UINT64_MAX - 3);
	CU_ASSERT_EQUAL(fs.lost + fs.in_order + fs.reordered, fs.expected);
	net_sink_stats(s.sink, &st);
	CU_ASSERT_EQUAL(st.corrupt, 1);
	CU_ASSERT_EQUAL(st.frames, 5);
	CU_ASSERT_EQUAL(st.lost, fs.lost);
	sink_rig_free(&s);
}

static void test_sink_counts_foreign_corrupt_and_unknown_flows(void)
{
	struct sink_rig s;
	struct net_sink_stats st;
	uint8_t f[64] = { 0 };
	struct net_test_hdr h = { .flow = 0, .seq = 0 };

	sink_rig(&s, true, 4);
	CU_ASSERT_EQUAL(net_port_send(s.src->port, f, sizeof(f)), 0); /* foreign */
	net_frame_build(f, sizeof(f), sizeof(f), mac_a, mac_b, &h);
	f[50] ^= 0xff;
	CU_ASSERT_EQUAL(net_port_send(s.src->port, f, sizeof(f)), 0); /* corrupt payload */
	CU_ASSERT_EQUAL(send_test(s.src->port, 4, 0, 64), 0);          /* flow >= 4 */
	CU_ASSERT_EQUAL(send_test(s.src->port, 0, 0, 64), 0);
	eng_run_until(s.sim, ENG_TIME_MAX);
	net_sink_stats(s.sink, &st);
	CU_ASSERT_EQUAL(st.frames, 4);
	CU_ASSERT_EQUAL(st.foreign, 1);
	CU_ASSERT_EQUAL(st.corrupt, 1);
	CU_ASSERT_EQUAL(st.bad_flow, 1);
	CU_ASSERT_EQUAL(st.in_order, 1);
	CU_ASSERT_EQUAL(st.lost, 0);
	sink_rig_free(&s);
}

/* ---- generator --------------------------------------------------------------------- */

struct gen_rig {
	struct sim *sim;
	struct net_gen *gen;
	struct rec *rec;
	struct net_sink *sink;
	struct net_link *link;
};

static void gen_rig(struct gen_rig *g, uint64_t seed, const struct net_gen_cfg *cfg,
		    bool to_sink, uint32_t length_m)
{
	memset(g, 0, sizeof(*g));
	g->sim = eng_sim_new(seed, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g->sim);
	CU_ASSERT_EQUAL_FATAL(net_gen_new(g->sim, cfg, &g->gen), 0);
	if (to_sink) {
		CU_ASSERT_EQUAL_FATAL(net_sink_new(g->sim, NULL, &g->sink), 0);
		g->link = wire(g->sim, net_gen_port(g->gen), net_sink_port(g->sink),
			       NET_RATE_100G, length_m);
	} else {
		g->rec = rec_new(g->sim);
		g->link = wire(g->sim, net_gen_port(g->gen), g->rec->port, NET_RATE_100G,
			       length_m);
	}
}

static void gen_rig_free(struct gen_rig *g)
{
	net_link_free(g->link);
	net_gen_free(g->gen);
	net_sink_free(g->sink);
	if (g->rec)
		rec_free(g->rec);
	eng_sim_free(g->sim);
}

static void test_generator_paces_frames_per_second_exactly(void)
{
	struct net_gen_cfg cfg = { .rate_pps = 3000000, .frame_len = 60, .count = 1000 };
	struct gen_rig g;
	uint64_t bad = 0;

	gen_rig(&g, 1, &cfg, false, 0);
	CU_ASSERT_EQUAL(net_gen_start(g.gen, ENG_US(1)), 0);
	CU_ASSERT_EQUAL(net_gen_start(g.gen, ENG_US(1)), -EBUSY);
	eng_run_until(g.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL_FATAL(g.rec->n, 1000);
	CU_ASSERT(net_gen_done(g.gen));
	/* frame k sent at 1 us + ceil(k * 10^12 / 3e6), arrives 6720 ps later */
	for (uint64_t k = 0; k < 1000; k++) {
		uint64_t n = k * 1000000000000ULL;
		sim_time_t want = ENG_US(1) + n / 3000000 + (n % 3000000 != 0) + 6720;

		if (g.rec->t[k] != want)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(g.rec->t[999] - g.rec->t[0], 333000000);
	gen_rig_free(&g);
}

static void test_generator_bit_rate_counts_wire_overhead(void)
{
	/* 10 Gbit/s of 64 B frames on a 100G wire: one every 67.2 ns */
	struct net_gen_cfg cfg = { .rate_bps = NET_RATE_10G, .frame_len = 60, .count = 100 };
	struct gen_rig g;

	gen_rig(&g, 1, &cfg, false, 0);
	CU_ASSERT_EQUAL(net_gen_start(g.gen, 0), 0);
	eng_run_until(g.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL_FATAL(g.rec->n, 100);
	for (int k = 1; k < 100; k++)
		CU_ASSERT_EQUAL(g.rec->t[k] - g.rec->t[k - 1], 67200);
	gen_rig_free(&g);
}

static void test_generator_without_rate_fills_the_wire_at_line_rate(void)
{
	struct net_gen_cfg cfg = { .frame_len = 60, .flows = 3 };
	struct gen_rig g;
	struct net_sink_stats st;
	struct net_gen_stats gs;

	gen_rig(&g, 1, &cfg, true, 0);
	CU_ASSERT_EQUAL(net_gen_start(g.gen, 0), 0);
	eng_run_until(g.sim, ENG_MS(1));
	net_gen_stop(g.gen);
	net_sink_stats(g.sink, &st);
	/* arrivals at 6720 k up to 1 ms */
	CU_ASSERT_EQUAL(st.frames, 1000000000 / 6720);
	CU_ASSERT_EQUAL(st.in_order, st.frames);
	CU_ASSERT_EQUAL(st.lost + st.duplicate + st.reordered + st.corrupt, 0);
	CU_ASSERT_EQUAL(st.lat_min, 6720);
	net_gen_stats(g.gen, &gs);
	CU_ASSERT_EQUAL(gs.refused, 0);
	/* the port queue (default depth) holds the rest */
	CU_ASSERT_EQUAL(gs.frames, st.frames + NET_PORT_DEFAULT_QUEUE);
	CU_ASSERT_FALSE(net_gen_done(g.gen));
	gen_rig_free(&g);
}

static void test_generator_spreads_flows_round_robin(void)
{
	struct net_gen_cfg cfg = { .rate_pps = 1000000, .frame_len = 100, .flows = 4,
				   .count = 400, .name = "g" };
	struct gen_rig g;
	struct net_sink_flow_stats fs;

	gen_rig(&g, 1, &cfg, true, 0);
	CU_ASSERT_EQUAL(net_gen_start(g.gen, 0), 0);
	eng_run_until(g.sim, ENG_TIME_MAX);
	for (uint16_t f = 0; f < 4; f++) {
		CU_ASSERT_EQUAL_FATAL(net_sink_flow_stats(g.sink, f, &fs), 0);
		CU_ASSERT_EQUAL(fs.frames, 100);
		CU_ASSERT_EQUAL(fs.in_order, 100);
		CU_ASSERT_EQUAL(fs.expected, 100);
	}
	CU_ASSERT_EQUAL(net_sink_flow_stats(g.sink, 4, &fs), -ENOENT);
	CU_ASSERT_EQUAL(eng_stat_get(g.sim, "net.g.frames"), 400);
	CU_ASSERT_EQUAL(eng_stat_get(g.sim, "net.g.bytes"), 40000);
	/* a second run continues the sequence numbers */
	CU_ASSERT_EQUAL(net_gen_start(g.gen, eng_now(g.sim)), 0);
	eng_run_until(g.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(net_sink_flow_stats(g.sink, 0, &fs), 0);
	CU_ASSERT_EQUAL(fs.in_order, 200);
	CU_ASSERT_EQUAL(fs.lost + fs.duplicate, 0);
	gen_rig_free(&g);
}

static void imix_counts(uint64_t seed, uint64_t out[3], uint64_t *sink_bytes,
			uint64_t *gen_bytes)
{
	struct net_gen_cfg cfg = { .sizes = net_imix, .nsizes = 3, .count = 12000 };
	struct gen_rig g;
	struct net_gen_stats gs;
	struct net_sink_stats st;

	gen_rig(&g, seed, &cfg, true, 0);
	CU_ASSERT_EQUAL(net_gen_start(g.gen, 0), 0);
	eng_run_until(g.sim, ENG_TIME_MAX);
	net_gen_stats(g.gen, &gs);
	net_sink_stats(g.sink, &st);
	CU_ASSERT_EQUAL(gs.frames, 12000);
	CU_ASSERT_EQUAL(st.in_order, 12000);
	memcpy(out, gs.by_size, 3 * sizeof(out[0]));
	*sink_bytes = st.bytes;
	*gen_bytes = gs.bytes;
	gen_rig_free(&g);
}

static void test_generator_size_mix_follows_weights_and_seed(void)
{
	uint64_t a[3], b[3], c[3], sb, gb;

	imix_counts(7, a, &sb, &gb);
	/* 7:4:1 of 12000: 7000, 4000, 1000, each within 5 standard deviations */
	CU_ASSERT(a[0] > 7000 - 270 && a[0] < 7000 + 270);
	CU_ASSERT(a[1] > 4000 - 260 && a[1] < 4000 + 260);
	CU_ASSERT(a[2] > 1000 - 150 && a[2] < 1000 + 150);
	CU_ASSERT_EQUAL(a[0] + a[1] + a[2], 12000);
	CU_ASSERT_EQUAL(gb, a[0] * 60 + a[1] * 572 + a[2] * 1514);
	CU_ASSERT_EQUAL(sb, gb);
	imix_counts(7, b, &sb, &gb);
	CU_ASSERT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	imix_counts(8, c, &sb, &gb);
	CU_ASSERT_NOT_EQUAL(memcmp(a, c, sizeof(a)), 0);
}

static void test_paced_generator_skips_refused_frames_without_a_sequence_gap(void)
{
	/* twice the line rate into a 4-frame queue: half refused, none lost */
	struct net_gen_cfg cfg = { .rate_bps = 2 * NET_RATE_100G, .frame_len = 60,
				   .count = 0, .tx_queue_frames = 4 };
	struct gen_rig g;
	struct net_gen_stats gs;
	struct net_sink_stats st;

	gen_rig(&g, 1, &cfg, true, 0);
	CU_ASSERT_EQUAL(net_gen_start(g.gen, 0), 0);
	eng_run_until(g.sim, ENG_US(100));
	net_gen_stop(g.gen);
	eng_run_until(g.sim, ENG_TIME_MAX);
	net_gen_stats(g.gen, &gs);
	net_sink_stats(g.sink, &st);
	CU_ASSERT(gs.refused > 0);
	/* 100 us at 3360 ps a tick: 29762 ticks (0 included) */
	CU_ASSERT_EQUAL(gs.frames + gs.refused, 100000000 / 3360 + 1);
	CU_ASSERT_EQUAL(st.frames, gs.frames);
	CU_ASSERT_EQUAL(st.in_order, gs.frames);
	CU_ASSERT_EQUAL(st.lost, 0);
	CU_ASSERT_EQUAL(eng_stat_get(g.sim, "net.link0.ab.drop.queue_full"), gs.refused);
	gen_rig_free(&g);
}

static void test_sink_measures_latency_of_generated_frames(void)
{
	struct net_gen_cfg cfg = { .rate_pps = 1000000, .frame_len = 1514, .count = 50 };
	struct gen_rig g;
	struct net_sink_stats st;

	gen_rig(&g, 1, &cfg, true, 100);
	CU_ASSERT_EQUAL(net_gen_start(g.gen, ENG_NS(3)), 0);
	eng_run_until(g.sim, ENG_TIME_MAX);
	net_sink_stats(g.sink, &st);
	CU_ASSERT_EQUAL(st.lat_count, 50);
	CU_ASSERT_EQUAL(st.lat_min, 123040 + 500000);
	CU_ASSERT_EQUAL(st.lat_max, 123040 + 500000);
	CU_ASSERT_EQUAL(st.lat_sum_ps, 50 * (123040 + 500000));
	gen_rig_free(&g);
}

static void test_generator_rejects_bad_config(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct net_gen *g;
	struct net_size_weight zero_w[1] = { { 100, 0 } };
	struct net_gen_cfg cfg = { .rate_pps = 1, .rate_bps = 1, .frame_len = 60 };

	CU_ASSERT_EQUAL(net_gen_new(sim, &cfg, &g), -EINVAL);
	cfg.rate_bps = 0;
	cfg.frame_len = 37;
	CU_ASSERT_EQUAL(net_gen_new(sim, &cfg, &g), -EINVAL);
	cfg.frame_len = 0;
	cfg.sizes = zero_w;
	cfg.nsizes = 1;
	CU_ASSERT_EQUAL(net_gen_new(sim, &cfg, &g), -EINVAL);
	cfg.nsizes = NET_GEN_SIZES_MAX + 1;
	CU_ASSERT_EQUAL(net_gen_new(sim, &cfg, &g), -EINVAL);
	cfg.sizes = NULL;
	cfg.nsizes = 0;
	cfg.frame_len = 60;
	CU_ASSERT_EQUAL_FATAL(net_gen_new(sim, &cfg, &g), 0);
	eng_run_until(sim, ENG_NS(5));
	CU_ASSERT_EQUAL(net_gen_start(g, ENG_NS(4)), -EINVAL);
	/* not connected: paced frames are refused, not fatal */
	CU_ASSERT_EQUAL(net_gen_start(g, ENG_NS(5)), 0);
	eng_run_until(sim, ENG_S(2) + ENG_NS(5));
	net_gen_stop(g);
	CU_ASSERT_EQUAL(eng_stat_get(sim, "net.gen0.refused"), 3);
	net_gen_free(g);
	eng_sim_free(sim);
}

CU_MAIN("net_peers", CU_TEST_ENTRY(test_test_frame_round_trips_and_rejects_other_frames),
	CU_TEST_ENTRY(test_loopback_reflects_every_frame),
	CU_TEST_ENTRY(test_loopback_swaps_mac_addresses_when_asked),
	CU_TEST_ENTRY(test_sink_counts_loss_duplicate_and_reorder_exactly),
	CU_TEST_ENTRY(test_sink_window_edges_and_stale_frames),
	CU_TEST_ENTRY(test_sink_expected_number_never_wraps_past_uint64_max),
	CU_TEST_ENTRY(test_sink_counts_foreign_corrupt_and_unknown_flows),
	CU_TEST_ENTRY(test_generator_paces_frames_per_second_exactly),
	CU_TEST_ENTRY(test_generator_bit_rate_counts_wire_overhead),
	CU_TEST_ENTRY(test_generator_without_rate_fills_the_wire_at_line_rate),
	CU_TEST_ENTRY(test_generator_spreads_flows_round_robin),
	CU_TEST_ENTRY(test_generator_size_mix_follows_weights_and_seed),
	CU_TEST_ENTRY(test_paced_generator_skips_refused_frames_without_a_sequence_gap),
	CU_TEST_ENTRY(test_sink_measures_latency_of_generated_frames),
	CU_TEST_ENTRY(test_generator_rejects_bad_config))
