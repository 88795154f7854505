/* SPDX-License-Identifier: MIT */
/*
 * Private to sim/net: what the wire, the taps and the peers share.  Not part of
 * the interface (that is net.h).
 */
#ifndef VDPASIM_NET_PRIV_H
#define VDPASIM_NET_PRIV_H

#include "sim/net/net.h"

#define NET_NAME_MAX 48

/*
 * Pick a unique per-sim name: `want` if given (letters, digits, '_', '-', '.';
 * -EINVAL otherwise, -EEXIST if taken), else "<kind><n>" with the first free n.
 */
int net_name_claim(struct sim *sim, const char *want, const char *kind, char out[NET_NAME_MAX]);
/* Stable pointer to the sim counter "net.<obj>.<field>"; -ENOMEM. */
int net_stat_ptr(struct sim *sim, const char *obj, const char *field, uint64_t **out);

/*
 * Exact rational clock: time of unit n of a run that started at `epoch` is
 * epoch + ceil(n * num / den).  The run restarts (epoch moves, n = 0) whenever
 * n * num is a multiple of den, which keeps n small for rates that divide
 * 10^12 evenly per unit, and the 128-bit product handles the rest.
 */
struct net_clock {
	sim_time_t epoch;
	uint64_t units;
	uint64_t num, den;
	uint64_t renorm; /* den / gcd(num, den): units restart when divisible */
};

__extension__ typedef unsigned __int128 net_u128;

static inline uint64_t net_gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static inline void net_clock_init(struct net_clock *c, uint64_t num, uint64_t den,
				  sim_time_t epoch)
{
	c->num = num;
	c->den = den;
	c->renorm = den / net_gcd(num, den);
	c->epoch = epoch;
	c->units = 0;
}

static inline void net_clock_restart(struct net_clock *c, sim_time_t epoch)
{
	c->epoch = epoch;
	c->units = 0;
}

/* Offset of unit `units` from the epoch, rounded up. */
static inline sim_time_t net_clock_offset(const struct net_clock *c, uint64_t units)
{
	if (units <= UINT64_MAX / c->num) {
		uint64_t n = units * c->num;

		return n / c->den + (n % c->den != 0);
	}
	net_u128 n = (net_u128)units * c->num;

	return (sim_time_t)(n / c->den + (n % c->den != 0));
}

/* Advance by `units` and return the new time. */
static inline sim_time_t net_clock_advance(struct net_clock *c, uint64_t units)
{
	sim_time_t t;

	c->units += units;
	t = c->epoch + net_clock_offset(c, c->units);
	if (c->units % c->renorm == 0)
		net_clock_restart(c, t);
	return t;
}

/* ---- Tap points ---------------------------------------------------------- */
struct net_tapset {
	struct net_tap *tap[NET_TAPS_PER_POINT];
	unsigned n;
};

void net_tapset_write(struct net_tapset *ts, const uint8_t *frame, size_t len, sim_time_t at);
/* The point is going away: detach every tap from it. */
void net_tapset_clear(struct net_tapset *ts);

/* For tap.c: the tap point of a link direction / a port. */
struct net_tapset *net_link_tapset(struct net_link *link, enum net_dir dir);
struct net_tapset *net_port_tapset(struct net_port *port);

#endif
