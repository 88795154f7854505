// SPDX-License-Identifier: MIT
/*
 * Ethernet wire and ports: line-rate timing at 10G..400G, exact spacing with
 * no drift, propagation, queue limits and drops, padding, carrier changes.
 */
#include "sim/net/net.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A port owner that records what arrives and, as a sender, refills its queue. */
struct end {
	struct sim *sim;
	struct net_port *port;
	/* receive side */
	uint64_t rx;
	sim_time_t first_rx, prev_rx;
	sim_time_t want_gap; /* checked between consecutive arrivals when nonzero */
	uint64_t bad_gap;
	sim_time_t times[4096];
	uint8_t last[NET_FRAME_MAX];
	size_t last_len, lens[4096];
	uint64_t order_errors; /* payload counter not the expected one */
	/* send side */
	uint64_t to_send; /* frames still to push from tx_done (UINT64_MAX: forever) */
	uint64_t sent;
	size_t len;
	uint64_t tx_done;
	sim_time_t tx_done_at[64];
	/* carrier */
	int ups, downs;
};

static void end_rx(void *ctx, struct net_port *port, const uint8_t *frame, size_t len,
		   sim_time_t at)
{
	struct end *e = ctx;
	uint64_t tag;

	CU_ASSERT_EQUAL(at, eng_now(e->sim));
	CU_ASSERT_PTR_EQUAL(port, e->port);
	if (e->rx == 0)
		e->first_rx = at;
	else if (e->want_gap && at - e->prev_rx != e->want_gap)
		e->bad_gap++;
	if (e->rx < 4096) {
		e->times[e->rx] = at;
		e->lens[e->rx] = len;
	}
	memcpy(&tag, frame + 16, sizeof(tag));
	if (len >= 24 && tag != e->rx)
		e->order_errors++;
	e->prev_rx = at;
	e->rx++;
	memcpy(e->last, frame, len);
	e->last_len = len;
}

static int push(struct end *e)
{
	uint8_t f[NET_FRAME_MAX];
	uint64_t tag = e->sent;

	memset(f, 0xab, e->len);
	memcpy(f + 16, &tag, sizeof(tag));
	return net_port_send(e->port, f, e->len);
}

static void fill(struct end *e)
{
	while (e->to_send && net_port_tx_room(e->port, e->len)) {
		CU_ASSERT_EQUAL_FATAL(push(e), 0);
		e->sent++;
		if (e->to_send != UINT64_MAX)
			e->to_send--;
	}
}

static void end_tx_done(void *ctx, struct net_port *port)
{
	struct end *e = ctx;

	(void)port;
	if (e->tx_done < 64)
		e->tx_done_at[e->tx_done] = eng_now(e->sim);
	e->tx_done++;
	fill(e);
}

static void end_link(void *ctx, struct net_port *port, bool up)
{
	struct end *e = ctx;

	(void)port;
	if (up)
		e->ups++;
	else
		e->downs++;
}

static const struct net_port_ops end_ops = {
	.rx = end_rx, .tx_done = end_tx_done, .link_change = end_link,
};

static struct end *end_new(struct sim *sim, uint32_t depth, uint64_t qbytes)
{
	struct end *e = calloc(1, sizeof(*e));
	struct net_port_cfg pc = { .tx_queue_frames = depth, .tx_queue_bytes = qbytes };

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	e->sim = sim;
	CU_ASSERT_EQUAL_FATAL(net_port_new(sim, &pc, &end_ops, e, &e->port), 0);
	return e;
}

static void end_free(struct end *e)
{
	net_port_free(e->port);
	free(e);
}

struct pair {
	struct sim *sim;
	struct end *a, *b;
	struct net_link *link;
};

static void pair_new(struct pair *p, uint64_t rate, uint32_t len_m, sim_time_t delay,
		     uint32_t depth)
{
	struct net_link_cfg lc = { .name = "wire", .rate_bps = rate, .length_m = len_m,
				   .delay_ps = delay };

	p->sim = eng_sim_new(1, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p->sim);
	p->a = end_new(p->sim, depth, 0);
	p->b = end_new(p->sim, depth, 0);
	CU_ASSERT_EQUAL_FATAL(net_link_new(p->sim, &lc, p->a->port, p->b->port, &p->link), 0);
}

static void pair_free(struct pair *p)
{
	net_link_free(p->link);
	end_free(p->a);
	end_free(p->b);
	eng_sim_free(p->sim);
}

/* Push frames of len back to back from a to b for `span` ps; check the count and
 * that every arrival is exactly `gap` after the previous one. */
static void check_line_rate(uint64_t rate, size_t len, sim_time_t span, sim_time_t gap,
			    uint64_t want_frames)
{
	struct pair p;
	struct net_dir_stats st;

	pair_new(&p, rate, 0, 0, 8);
	p.a->len = len;
	p.a->to_send = UINT64_MAX;
	p.b->want_gap = gap;
	fill(p.a);
	eng_run_until(p.sim, span);
	CU_ASSERT_EQUAL(p.b->rx, want_frames);
	CU_ASSERT_EQUAL(p.b->first_rx, gap);
	CU_ASSERT_EQUAL(p.b->bad_gap, 0);
	CU_ASSERT_EQUAL(p.b->order_errors, 0);
	CU_ASSERT_EQUAL(net_link_stats(p.link, NET_DIR_AB, &st), 0);
	CU_ASSERT_EQUAL(st.frames, want_frames);
	CU_ASSERT_EQUAL(st.bytes, want_frames * (len < 60 ? 60 : len));
	CU_ASSERT_EQUAL(st.drops[NET_DROP_QUEUE_FULL], 0);
	/* the wire never idled: busy through the end of the frame on the wire */
	CU_ASSERT(st.busy_ps >= span && st.busy_ps <= span + gap);
	pair_free(&p);
}

static void test_100g_carries_148_81_mpps_of_64b_frames_6720ps_apart(void)
{
	/* 64 B with FCS + 20 B overhead = 672 bits = 6720 ps: 148,809,523.8 frames/s;
	 * in 10 ms the arrivals at 6720 * k, k = 1.. number floor(1e10 / 6720) */
	CU_ASSERT_EQUAL(net_wire_ps(NET_RATE_100G, 60), 6720);
	check_line_rate(NET_RATE_100G, 60, ENG_MS(10), 6720, 1488095);
}

static void test_100g_carries_8_127_mpps_of_1518b_frames_123040ps_apart(void)
{
	/* (1518 + 20) * 8 bits at 100 Gbit/s = 123.04 ns: 8,127,438 frames/s */
	CU_ASSERT_EQUAL(net_wire_ps(NET_RATE_100G, 1514), 123040);
	check_line_rate(NET_RATE_100G, 1514, ENG_MS(10), 123040, 81274);
}

static void test_10g_25g_40g_400g_spacing_is_exact(void)
{
	static const struct {
		uint64_t rate;
		size_t len;
		sim_time_t gap;
	} t[] = {
		{ NET_RATE_10G, 60, 67200 },   { NET_RATE_10G, 1514, 1230400 },
		{ NET_RATE_25G, 60, 26880 },   { NET_RATE_25G, 1514, 492160 },
		{ NET_RATE_40G, 60, 16800 },   { NET_RATE_40G, 1514, 307600 },
		{ NET_RATE_400G, 60, 1680 },   { NET_RATE_400G, 1514, 30760 },
		{ NET_RATE_50G, 60, 13440 },   { NET_RATE_200G, 60, 3360 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT_EQUAL(net_wire_ps(t[i].rate, t[i].len), t[i].gap);
		/* 1000 gaps plus half of one: 1000 frames */
		check_line_rate(t[i].rate, t[i].len, t[i].gap * 1000 + t[i].gap / 2, t[i].gap,
				1000);
	}
}

static sim_time_t exact_ceil(uint64_t bits, uint64_t rate)
{
	unsigned __int128 n = (unsigned __int128)bits * 1000000000000ULL;

	return (sim_time_t)((n + rate - 1) / rate);
}

static void test_rate_not_dividing_a_second_rounds_up_without_drift(void)
{
	/* 999,999,937 bit/s shares no factor with 10^12: every arrival must be the
	 * exact cumulative time rounded up, 2000 frames of 12304 bits (more than
	 * 2^64 / 10^12 bits in one burst, the 128-bit path) */
	const uint64_t rate = 999999937ULL;
	struct pair p;
	uint64_t bad = 0, n;
	sim_time_t prev = 0;

	pair_new(&p, rate, 0, 0, 16);
	p.a->len = 1514;
	p.a->to_send = 2000;
	fill(p.a);
	eng_run_until(p.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL_FATAL(p.b->rx, 2000);
	n = p.b->rx < 4096 ? p.b->rx : 4096;
	for (uint64_t k = 0; k < n; k++) {
		sim_time_t want = exact_ceil((k + 1) * 12304, rate);
		sim_time_t gap = p.b->times[k] - prev;

		if (p.b->times[k] != want)
			bad++;
		/* consecutive gaps differ by at most 1 ps */
		if (k && (gap < exact_ceil(12304, rate) - 1 || gap > exact_ceil(12304, rate)))
			bad++;
		prev = p.b->times[k];
	}
	CU_ASSERT_EQUAL(bad, 0);
	pair_free(&p);
}

static void test_propagation_adds_cable_length_and_fixed_delay(void)
{
	struct pair p;

	/* 100 m at 5 ns/m = 500 ns, plus 1234 ps */
	pair_new(&p, NET_RATE_100G, 100, 1234, 256);
	CU_ASSERT_EQUAL(net_link_delay(p.link), 500000 + 1234);
	p.a->len = 60;
	p.a->to_send = 200; /* ~75 frames in flight at once */
	p.b->want_gap = 6720;
	fill(p.a);
	eng_run_until(p.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(p.b->rx, 200);
	CU_ASSERT_EQUAL(p.b->first_rx, 6720 + 501234);
	CU_ASSERT_EQUAL(p.b->times[199], 200 * 6720 + 501234);
	CU_ASSERT_EQUAL(p.b->bad_gap, 0);
	CU_ASSERT_EQUAL(p.b->order_errors, 0);
	/* the sender is done when the last bit leaves, not when it arrives */
	CU_ASSERT_EQUAL(p.a->tx_done_at[0], 6720);
	pair_free(&p);
}

static void test_full_queue_returns_enobufs_and_counts_drop(void)
{
	struct pair p;
	struct net_dir_stats st;
	uint32_t qf;
	uint64_t qb;

	pair_new(&p, NET_RATE_100G, 0, 0, 4);
	p.a->len = 100;
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(push(p.a), 0);
	CU_ASSERT_FALSE(net_port_tx_room(p.a->port, 60));
	CU_ASSERT_EQUAL(push(p.a), -ENOBUFS);
	CU_ASSERT_EQUAL(push(p.a), -ENOBUFS);
	net_port_tx_queued(p.a->port, &qf, &qb);
	CU_ASSERT_EQUAL(qf, 4);
	CU_ASSERT_EQUAL(qb, 400);
	CU_ASSERT_EQUAL(net_link_stats(p.link, NET_DIR_AB, &st), 0);
	CU_ASSERT_EQUAL(st.drops[NET_DROP_QUEUE_FULL], 2);
	CU_ASSERT_EQUAL(eng_stat_get(p.sim, "net.wire.ab.drop.queue_full"), 2);
	CU_ASSERT_EQUAL(eng_stat_get(p.sim, "net.wire.ba.drop.queue_full"), 0);
	/* one slot frees when the first frame has left */
	eng_run_until(p.sim, net_wire_ps(NET_RATE_100G, 100));
	CU_ASSERT(net_port_tx_room(p.a->port, 60));
	eng_run_until(p.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(p.b->rx, 4);
	pair_free(&p);
}

static void test_byte_limit_refuses_frame_that_would_exceed_it(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct end *a = end_new(sim, 100, 3000), *b = end_new(sim, 0, 0);
	struct net_link_cfg lc = { .rate_bps = NET_RATE_100G };
	struct net_link *l;
	struct net_dir_stats st;

	CU_ASSERT_EQUAL_FATAL(net_link_new(sim, &lc, a->port, b->port, &l), 0);
	a->len = 1000;
	CU_ASSERT_EQUAL(push(a), 0);
	CU_ASSERT_EQUAL(push(a), 0);
	CU_ASSERT_EQUAL(push(a), 0);
	CU_ASSERT_EQUAL(push(a), -ENOBUFS);
	a->len = 60;
	CU_ASSERT_EQUAL(push(a), -ENOBUFS);
	net_link_stats(l, NET_DIR_AB, &st);
	CU_ASSERT_EQUAL(st.drops[NET_DROP_QUEUE_FULL], 2);
	net_link_free(l);
	end_free(a);
	end_free(b);
	eng_sim_free(sim);
}

static void test_bad_lengths_are_refused_and_counted(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct end *a = end_new(sim, 0, 0), *b = end_new(sim, 0, 0);
	struct end *c = end_new(sim, 0, 0), *d = end_new(sim, 0, 0);
	struct net_link_cfg std = { .rate_bps = NET_RATE_100G };
	struct net_link_cfg jumbo = { .rate_bps = NET_RATE_100G, .max_frame_len = 9018 };
	struct net_link *l1, *l2;
	struct net_dir_stats st;

	CU_ASSERT_EQUAL_FATAL(net_link_new(sim, &std, a->port, b->port, &l1), 0);
	CU_ASSERT_EQUAL_FATAL(net_link_new(sim, &jumbo, c->port, d->port, &l2), 0);
	a->len = 13;
	CU_ASSERT_EQUAL(push(a), -EINVAL);
	a->len = 1519;
	CU_ASSERT_EQUAL(push(a), -EMSGSIZE);
	a->len = 1518;
	CU_ASSERT_EQUAL(push(a), 0);
	c->len = 9018;
	CU_ASSERT_EQUAL(push(c), 0);
	c->len = 9019;
	CU_ASSERT_EQUAL(push(c), -EMSGSIZE);
	net_link_stats(l1, NET_DIR_AB, &st);
	CU_ASSERT_EQUAL(st.drops[NET_DROP_TOO_SHORT], 1);
	CU_ASSERT_EQUAL(st.drops[NET_DROP_TOO_LONG], 1);
	eng_run_until(sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(b->rx, 1);
	CU_ASSERT_EQUAL(b->last_len, 1518);
	CU_ASSERT_EQUAL(d->rx, 1);
	CU_ASSERT_EQUAL(d->last_len, 9018);
	CU_ASSERT_EQUAL(eng_now(sim), net_wire_ps(NET_RATE_100G, 9018));
	net_link_free(l1);
	net_link_free(l2);
	end_free(a);
	end_free(b);
	end_free(c);
	end_free(d);
	eng_sim_free(sim);
}

static void test_short_frame_is_padded_to_60_bytes_with_zeros(void)
{
	struct pair p;
	uint8_t f[20];

	pair_new(&p, NET_RATE_100G, 0, 0, 4);
	memset(f, 0x5a, sizeof(f));
	CU_ASSERT_EQUAL(net_port_send(p.a->port, f, sizeof(f)), 0);
	eng_run_until(p.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL_FATAL(p.b->rx, 1);
	CU_ASSERT_EQUAL(p.b->last_len, 60);
	CU_ASSERT_EQUAL(memcmp(p.b->last, f, sizeof(f)), 0);
	for (int i = 20; i < 60; i++)
		CU_ASSERT_EQUAL(p.b->last[i], 0);
	/* and it occupies the wire like a 64 B frame */
	CU_ASSERT_EQUAL(p.b->first_rx, 6720);
	pair_free(&p);
}

static void test_sender_buffer_may_be_reused_at_once(void)
{
	struct pair p;
	uint8_t f[64];

	pair_new(&p, NET_RATE_100G, 0, 0, 4);
	memset(f, 1, sizeof(f));
	CU_ASSERT_EQUAL(net_port_send(p.a->port, f, sizeof(f)), 0);
	memset(f, 2, sizeof(f));
	CU_ASSERT_EQUAL(net_port_send(p.a->port, f, sizeof(f)), 0);
	memset(f, 3, sizeof(f));
	eng_run_until(p.sim, 6720 * 2 + 100);
	CU_ASSERT_EQUAL(p.b->rx, 1);
	CU_ASSERT_EQUAL(p.b->last[63], 1);
	eng_run_until(p.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(p.b->rx, 2);
	CU_ASSERT_EQUAL(p.b->last[0], 2);
	pair_free(&p);
}

static void test_tx_free_at_is_end_of_last_queued_frame(void)
{
	struct pair p;
	struct sim *sim;
	struct end *lone;

	pair_new(&p, NET_RATE_100G, 10, 0, 16);
	p.a->len = 60;
	CU_ASSERT_EQUAL(net_port_tx_free_at(p.a->port), 0);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(push(p.a), 0);
	CU_ASSERT_EQUAL(net_port_tx_free_at(p.a->port), 3 * 6720);
	eng_run_until(p.sim, 6720);
	CU_ASSERT_EQUAL(p.a->tx_done, 1);
	CU_ASSERT_EQUAL(net_port_tx_free_at(p.a->port), 3 * 6720);
	eng_run_until(p.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(p.a->tx_done, 3);
	CU_ASSERT_EQUAL(p.a->tx_done_at[1], 2 * 6720);
	CU_ASSERT_EQUAL(p.a->tx_done_at[2], 3 * 6720);
	/* idle again: free now (propagation does not hold the transmitter) */
	CU_ASSERT_EQUAL(eng_now(p.sim), 3 * 6720 + 50000);
	CU_ASSERT_EQUAL(net_port_tx_free_at(p.a->port), eng_now(p.sim));
	/* a frame sent after an idle gap starts at once */
	CU_ASSERT_EQUAL(push(p.a), 0);
	CU_ASSERT_EQUAL(net_port_tx_free_at(p.a->port), eng_now(p.sim) + 6720);
	CU_ASSERT_EQUAL(net_port_speed_bps(p.a->port), NET_RATE_100G);
	pair_free(&p);

	sim = eng_sim_new(1, 0);
	lone = end_new(sim, 0, 0);
	CU_ASSERT_EQUAL(net_port_tx_free_at(lone->port), ENG_TIME_MAX);
	CU_ASSERT_EQUAL(net_port_speed_bps(lone->port), 0);
	lone->len = 60;
	CU_ASSERT_EQUAL(push(lone), -ENOTCONN);
	CU_ASSERT_FALSE(net_port_link_up(lone->port));
	end_free(lone);
	eng_sim_free(sim);
}

static void test_directions_are_independent_full_duplex(void)
{
	struct pair p;

	pair_new(&p, NET_RATE_100G, 2, 0, 8);
	p.a->len = p.b->len = 60;
	p.a->to_send = p.b->to_send = UINT64_MAX;
	p.a->want_gap = p.b->want_gap = 6720;
	fill(p.a);
	fill(p.b);
	eng_run_until(p.sim, ENG_US(100));
	/* arrivals at 6720 k + 10 ns up to 100 us */
	CU_ASSERT_EQUAL(p.a->rx, (ENG_US(100) - 10000) / 6720);
	CU_ASSERT_EQUAL(p.b->rx, p.a->rx);
	CU_ASSERT_EQUAL(p.a->bad_gap, 0);
	CU_ASSERT_EQUAL(p.b->bad_gap, 0);
	pair_free(&p);
}

static void test_link_down_loses_queued_and_in_flight_frames(void)
{
	struct pair p;
	struct net_dir_stats st;

	pair_new(&p, NET_RATE_100G, 100, 0, 16);
	CU_ASSERT_EQUAL(p.a->ups, 1);
	CU_ASSERT_EQUAL(p.b->ups, 1);
	p.a->len = 60;
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(push(p.a), 0);
	/* at 30 ns: 4 frames on the cable, 1 serialising, 5 queued */
	eng_run_until(p.sim, 30000);
	CU_ASSERT_EQUAL(net_link_set_up(p.link, false), 0);
	CU_ASSERT_FALSE(net_port_link_up(p.a->port));
	CU_ASSERT_EQUAL(p.a->downs, 1);
	CU_ASSERT_EQUAL(p.b->downs, 1);
	CU_ASSERT_EQUAL(push(p.a), -ENETDOWN);
	CU_ASSERT_EQUAL(net_port_tx_free_at(p.a->port), ENG_TIME_MAX);
	eng_run_until(p.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(p.b->rx, 0);
	net_link_stats(p.link, NET_DIR_AB, &st);
	CU_ASSERT_EQUAL(st.drops[NET_DROP_LINK_DOWN], 11);
	CU_ASSERT_EQUAL(eng_stat_get(p.sim, "net.wire.ab.drop.link_down"), 11);
	/* up again: the wire starts afresh from now */
	CU_ASSERT_EQUAL(net_link_set_up(p.link, true), 0);
	CU_ASSERT_EQUAL(p.a->ups, 2);
	CU_ASSERT_EQUAL(net_link_set_up(p.link, true), 0);
	CU_ASSERT_EQUAL(p.a->ups, 2);
	CU_ASSERT_EQUAL(push(p.a), 0);
	eng_run_until(p.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(p.b->rx, 1);
	CU_ASSERT_EQUAL(p.b->first_rx, 30000 + 6720 + 500000);
	pair_free(&p);
}

static void test_freeing_a_port_takes_the_link_down(void)
{
	struct pair p;
	struct end *b;

	pair_new(&p, NET_RATE_100G, 10, 0, 16);
	p.a->len = 60;
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(push(p.a), 0);
	eng_run_until(p.sim, 7000);
	b = p.b;
	end_free(b);
	p.b = end_new(p.sim, 0, 0); /* for pair_free */
	CU_ASSERT_EQUAL(p.a->downs, 1);
	CU_ASSERT_FALSE(net_link_is_up(p.link));
	CU_ASSERT_PTR_NULL(net_link_port(p.link, NET_DIR_BA));
	CU_ASSERT_EQUAL(net_link_set_up(p.link, true), -ENOTCONN);
	CU_ASSERT_EQUAL(push(p.a), -ENETDOWN);
	eng_run_until(p.sim, ENG_TIME_MAX);
	/* the other port is still attached to the dead link */
	CU_ASSERT_PTR_EQUAL(net_port_link(p.a->port), p.link);
	CU_ASSERT_EQUAL(net_link_new(p.sim, &(struct net_link_cfg){ .rate_bps = 1 }, p.a->port,
				     p.b->port, &(struct net_link *){ NULL }),
			-EBUSY);
	pair_free(&p);
}

static void test_link_rejects_bad_ports_config_and_names(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct end *a = end_new(sim, 0, 0), *b = end_new(sim, 0, 0), *c = end_new(sim, 0, 0);
	struct end *d = end_new(sim, 0, 0);
	struct net_link_cfg lc = { .rate_bps = NET_RATE_25G };
	struct net_link *l, *l2;

	CU_ASSERT_EQUAL(net_link_new(sim, &lc, a->port, a->port, &l), -EINVAL);
	lc.rate_bps = 0;
	CU_ASSERT_EQUAL(net_link_new(sim, &lc, a->port, b->port, &l), -EINVAL);
	lc.rate_bps = NET_RATE_25G;
	lc.max_frame_len = NET_FRAME_MAX + 1;
	CU_ASSERT_EQUAL(net_link_new(sim, &lc, a->port, b->port, &l), -EINVAL);
	lc.max_frame_len = 0;
	lc.name = "bad name";
	CU_ASSERT_EQUAL(net_link_new(sim, &lc, a->port, b->port, &l), -EINVAL);
	lc.name = NULL;
	CU_ASSERT_EQUAL_FATAL(net_link_new(sim, &lc, a->port, b->port, &l), 0);
	CU_ASSERT_STRING_EQUAL(net_link_name(l), "link0");
	CU_ASSERT_EQUAL(net_link_rate(l), NET_RATE_25G);
	CU_ASSERT_PTR_EQUAL(net_link_port(l, NET_DIR_AB), a->port);
	CU_ASSERT_PTR_EQUAL(net_link_port(l, NET_DIR_BA), b->port);
	CU_ASSERT_EQUAL(net_link_new(sim, &lc, a->port, c->port, &l2), -EBUSY);
	lc.name = "link0";
	CU_ASSERT_EQUAL(net_link_new(sim, &lc, c->port, d->port, &l2), -EEXIST);
	lc.name = NULL;
	CU_ASSERT_EQUAL_FATAL(net_link_new(sim, &lc, c->port, d->port, &l2), 0);
	CU_ASSERT_STRING_EQUAL(net_link_name(l2), "link1");
	CU_ASSERT_EQUAL(net_link_stats(l2, 5, &(struct net_dir_stats){ 0 }), -EINVAL);
	net_link_free(l);
	net_link_free(l2);
	CU_ASSERT_PTR_NULL(net_port_link(a->port));
	end_free(a);
	end_free(b);
	end_free(c);
	end_free(d);
	eng_sim_free(sim);
}

static void test_stats_are_mirrored_in_sim_counters(void)
{
	struct pair p;

	pair_new(&p, NET_RATE_40G, 0, 0, 16);
	p.a->len = 100;
	p.b->len = 200;
	CU_ASSERT_EQUAL(push(p.a), 0);
	CU_ASSERT_EQUAL(push(p.a), 0);
	CU_ASSERT_EQUAL(push(p.b), 0);
	eng_run_until(p.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(eng_stat_get(p.sim, "net.wire.ab.frames"), 2);
	CU_ASSERT_EQUAL(eng_stat_get(p.sim, "net.wire.ab.bytes"), 200);
	CU_ASSERT_EQUAL(eng_stat_get(p.sim, "net.wire.ab.busy_ps"),
			2 * net_wire_ps(NET_RATE_40G, 100));
	CU_ASSERT_EQUAL(eng_stat_get(p.sim, "net.wire.ba.frames"), 1);
	CU_ASSERT_EQUAL(eng_stat_get(p.sim, "net.wire.ba.bytes"), 200);
	CU_ASSERT_STRING_EQUAL(net_drop_name(NET_DROP_TOO_LONG), "too_long");
	pair_free(&p);
}

static void test_wire_bits_count_fcs_preamble_and_gap(void)
{
	CU_ASSERT_EQUAL(net_wire_bits(60), 672);
	CU_ASSERT_EQUAL(net_wire_bits(14), 672);
	CU_ASSERT_EQUAL(net_wire_bits(1514), 12304);
	CU_ASSERT_EQUAL(net_wire_ps(0, 60), 0);
	/* 1 Gbit/s minus 63 bit/s: rounded up */
	CU_ASSERT_EQUAL(net_wire_ps(999999937ULL, 60), exact_ceil(672, 999999937ULL));
	CU_ASSERT(net_wire_ps(999999937ULL, 60) > 672000);
}

struct lines {
	char buf[4096];
	size_t len;
	int n;
};

static void collect(void *ctx, const char *line, size_t len)
{
	struct lines *l = ctx;

	if (l->len + len + 1 < sizeof(l->buf)) {
		memcpy(l->buf + l->len, line, len);
		l->len += len;
		l->buf[l->len++] = '\n';
		l->buf[l->len] = 0;
	}
	l->n++;
}

static void test_trace_records_frame_start_arrival_and_drop(void)
{
	struct pair p;
	struct lines lines = { .len = 0 };

	pair_new(&p, NET_RATE_100G, 0, 0, 1);
	eng_trace_enable(p.sim, collect, &lines);
	p.a->len = 60;
	CU_ASSERT_EQUAL(push(p.a), 0);
	CU_ASSERT_EQUAL(push(p.a), -ENOBUFS);
	eng_run_until(p.sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(lines.n, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(lines.buf, "net tx link=wire dir=ab len=60 end=6720"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(lines.buf, "net drop link=wire dir=ab len=60 reason=queue_full"));
	CU_ASSERT_PTR_NOT_NULL(strstr(lines.buf, "6720 net rx link=wire dir=ab len=60"));
	if (lines.n != 3)
		fprintf(stderr, "%s", lines.buf);
	pair_free(&p);
}

CU_MAIN("net", CU_TEST_ENTRY(test_100g_carries_148_81_mpps_of_64b_frames_6720ps_apart),
	CU_TEST_ENTRY(test_100g_carries_8_127_mpps_of_1518b_frames_123040ps_apart),
	CU_TEST_ENTRY(test_10g_25g_40g_400g_spacing_is_exact),
	CU_TEST_ENTRY(test_rate_not_dividing_a_second_rounds_up_without_drift),
	CU_TEST_ENTRY(test_propagation_adds_cable_length_and_fixed_delay),
	CU_TEST_ENTRY(test_full_queue_returns_enobufs_and_counts_drop),
	CU_TEST_ENTRY(test_byte_limit_refuses_frame_that_would_exceed_it),
	CU_TEST_ENTRY(test_bad_lengths_are_refused_and_counted),
	CU_TEST_ENTRY(test_short_frame_is_padded_to_60_bytes_with_zeros),
	CU_TEST_ENTRY(test_sender_buffer_may_be_reused_at_once),
	CU_TEST_ENTRY(test_tx_free_at_is_end_of_last_queued_frame),
	CU_TEST_ENTRY(test_directions_are_independent_full_duplex),
	CU_TEST_ENTRY(test_link_down_loses_queued_and_in_flight_frames),
	CU_TEST_ENTRY(test_freeing_a_port_takes_the_link_down),
	CU_TEST_ENTRY(test_link_rejects_bad_ports_config_and_names),
	CU_TEST_ENTRY(test_stats_are_mirrored_in_sim_counters),
	CU_TEST_ENTRY(test_wire_bits_count_fcs_preamble_and_gap),
	CU_TEST_ENTRY(test_trace_records_frame_start_arrival_and_drop))
