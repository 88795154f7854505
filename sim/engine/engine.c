// SPDX-License-Identifier: MIT
/*
 * Discrete-event core: the sim and its clock, RNG streams, trace, statistics
 * and attachments.  The event queue is in queue.c.
 */
#include "sim/engine/engine_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stat_node {
	char *name;
	uint64_t value;
};

struct attachment {
	char key[32];
	void *obj;
	void (*destroy)(void *obj);
};

struct sim *eng_sim_new(uint64_t seed, uint64_t run)
{
	struct sim *sim = calloc(1, sizeof(*sim));

	if (!sim)
		return NULL;
	sim->seed = seed;
	sim->run = run;
	eng_queue_init(&sim->q);
	eng_sha256_init(&sim->trace_hash);
	return sim;
}

void eng_sim_free(struct sim *sim)
{
	if (!sim)
		return;
	while (sim->natt) {
		struct attachment *a = &sim->att[--sim->natt];

		if (a->destroy)
			a->destroy(a->obj);
	}
	free(sim->att);
	for (size_t i = 0; i < sim->nstats; i++) {
		free(sim->stats[i]->name);
		free(sim->stats[i]);
	}
	free(sim->stats);
	eng_queue_destroy(&sim->q);
	free(sim);
}

uint64_t eng_seed(const struct sim *sim) { return sim->seed; }
uint64_t eng_run_number(const struct sim *sim) { return sim->run; }
sim_time_t eng_now(const struct sim *sim) { return sim->now; }
uint64_t eng_events_executed(const struct sim *sim) { return sim->executed; }
void eng_stop(struct sim *sim) { sim->stop = true; }
bool eng_stopped(const struct sim *sim) { return sim->stop; }

/* ---- RNG ----------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void eng_rng_seed(struct eng_rng *rng, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&seed);
}

void eng_rng_stream(const struct sim *sim, const char *name, struct eng_rng *rng)
{
	/* FNV-1a of the name mixed with seed and run: stable across builds. */
	uint64_t h = 0xcbf29ce484222325ULL, x;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	x = sim->seed;
	x = splitmix64(&x) ^ (sim->run * 0xd1342543de82ef95ULL);
	x ^= h;
	eng_rng_seed(rng, splitmix64(&x));
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t eng_rng_next(struct eng_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/*
 * Lemire, "Fast random integer generation in an interval" (ACM TOMACS 2019):
 * the high word of r * bound is uniform in [0, bound) once the low word is
 * rejected below 2^64 mod bound.  That remainder, the only division, is
 * computed only when the low word is below bound (probability bound / 2^64).
 */
uint64_t eng_rng_below(struct eng_rng *rng, uint64_t bound)
{
	__extension__ typedef unsigned __int128 u128;
	u128 m;

	if (bound == 0)
		return 0;
	m = (u128)eng_rng_next(rng) * bound;
	if ((uint64_t)m < bound) {
		uint64_t threshold = (0 - bound) % bound;

		while ((uint64_t)m < threshold)
			m = (u128)eng_rng_next(rng) * bound;
	}
	return (uint64_t)(m >> 64);
}

double eng_rng_unit(struct eng_rng *rng)
{
	return (double)(eng_rng_next(rng) >> 11) * 0x1.0p-53;
}

/* ---- trace ----------------------------------------------------------------- */

void eng_trace_enable(struct sim *sim, eng_trace_sink sink, void *ctx)
{
	sim->trace_sink = sink;
	sim->trace_ctx = ctx;
	sim->pub.trace_on = true;
}

void eng_trace_hash_only(struct sim *sim)
{
	sim->pub.trace_on = true;
}

void eng_trace_emit(struct sim *sim, const char *component, const char *event,
		    const char *fmt, ...)
{
	char line[1024];
	int n, m;
	va_list ap;

	n = snprintf(line, sizeof(line), "%llu %s %s", (unsigned long long)sim->now,
		     component, event);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	if (fmt && *fmt) {
		line[n++] = ' ';
		va_start(ap, fmt);
		m = vsnprintf(line + n, sizeof(line) - 1 - (size_t)n, fmt, ap);
		va_end(ap);
		if (m > 0)
			n += m;
		if ((size_t)n > sizeof(line) - 2)
			n = (int)sizeof(line) - 2;
	}
	line[n++] = '\n';
	line[n] = 0;
	sim->trace_records++;
	eng_sha256_update(&sim->trace_hash, line, (size_t)n);
	if (sim->trace_sink)
		sim->trace_sink(sim->trace_ctx, line, (size_t)n);
}

void eng_trace_digest(struct sim *sim, char out[65])
{
	struct eng_sha256 c = sim->trace_hash; /* copy: the trace may go on */
	uint8_t d[32];

	eng_sha256_final(&c, d);
	eng_sha256_hex(d, out);
}

uint64_t eng_trace_records(const struct sim *sim)
{
	return sim->trace_records;
}

/* ---- stats ------------------------------------------------------------------ */

static size_t stat_find(const struct sim *sim, const char *name, bool *found)
{
	size_t lo = 0, hi = sim->nstats;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(sim->stats[mid]->name, name);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

uint64_t *eng_stat(struct sim *sim, const char *name)
{
	bool found;
	size_t i = stat_find(sim, name, &found);
	struct stat_node *n;

	if (found)
		return &sim->stats[i]->value;
	if (sim->nstats == sim->stats_cap) {
		size_t ncap = sim->stats_cap ? sim->stats_cap * 2 : 32;
		struct stat_node **p = realloc(sim->stats, ncap * sizeof(*p));

		if (!p)
			return NULL;
		sim->stats = p;
		sim->stats_cap = ncap;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->name = strdup(name);
	if (!n->name) {
		free(n);
		return NULL;
	}
	memmove(&sim->stats[i + 1], &sim->stats[i], (sim->nstats - i) * sizeof(*sim->stats));
	sim->stats[i] = n;
	sim->nstats++;
	return &n->value;
}

void eng_stat_add(struct sim *sim, const char *name, uint64_t delta)
{
	uint64_t *v = eng_stat(sim, name);

	if (v)
		*v += delta;
}

uint64_t eng_stat_get(const struct sim *sim, const char *name)
{
	bool found;
	size_t i = stat_find(sim, name, &found);

	return found ? sim->stats[i]->value : 0;
}

void eng_stat_foreach(const struct sim *sim,
		      void (*fn)(void *ctx, const char *name, uint64_t value), void *ctx)
{
	for (size_t i = 0; i < sim->nstats; i++)
		fn(ctx, sim->stats[i]->name, sim->stats[i]->value);
}

/* ---- attachments ------------------------------------------------------------- */

int eng_attach(struct sim *sim, const char *key, void *obj, void (*destroy)(void *obj))
{
	if (strlen(key) >= sizeof(sim->att[0].key))
		return -EINVAL;
	if (eng_attached(sim, key))
		return -EEXIST;
	if (sim->natt == sim->att_cap) {
		size_t ncap = sim->att_cap ? sim->att_cap * 2 : 8;
		struct attachment *p = realloc(sim->att, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		sim->att = p;
		sim->att_cap = ncap;
	}
	snprintf(sim->att[sim->natt].key, sizeof(sim->att[0].key), "%s", key);
	sim->att[sim->natt].obj = obj;
	sim->att[sim->natt].destroy = destroy;
	sim->natt++;
	return 0;
}

void *eng_attached(const struct sim *sim, const char *key)
{
	for (size_t i = 0; i < sim->natt; i++)
		if (!strcmp(sim->att[i].key, key))
			return sim->att[i].obj;
	return NULL;
}
