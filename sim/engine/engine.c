// SPDX-License-Identifier: MIT
/*
 * Event queue: a 4-ary min-heap of (time, seq, slot) nodes over a slab of event
 * slots.  Each slot remembers its heap position, so cancel is O(log n); slots
 * are recycled through a free list, so the hot path allocates nothing once the
 * slab has grown to the peak number of pending events.
 */
#include "sim/engine/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct heap_node {
	sim_time_t time;
	uint64_t seq;
	uint32_t slot;
};

struct event_slot {
	eng_event_fn fn;
	void *arg;
	uint32_t heap_pos; /* HEAP_NONE when free */
	uint32_t gen;
	uint32_t next_free;
};

#define HEAP_NONE UINT32_MAX
#define SLOT_NONE UINT32_MAX

struct stat_node {
	char *name;
	uint64_t value;
};

struct attachment {
	char key[32];
	void *obj;
	void (*destroy)(void *obj);
};

struct sim {
	struct eng_sim_public pub; /* must stay first: eng_trace_on() reads it */
	sim_time_t now;
	uint64_t seed, run;
	uint64_t next_seq;
	uint64_t executed;
	bool stop;

	struct heap_node *heap;
	uint32_t heap_len, heap_cap;
	struct event_slot *slots;
	uint32_t slots_len, slots_cap;
	uint32_t free_head;

	eng_trace_sink trace_sink;
	void *trace_ctx;
	struct eng_sha256 trace_hash;
	uint64_t trace_records;

	struct stat_node **stats;
	size_t nstats, stats_cap;

	struct attachment *att;
	size_t natt, att_cap;
};

struct sim *eng_sim_new(uint64_t seed, uint64_t run)
{
	struct sim *sim = calloc(1, sizeof(*sim));

	if (!sim)
		return NULL;
	sim->seed = seed;
	sim->run = run;
	sim->free_head = SLOT_NONE;
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
	free(sim->heap);
	free(sim->slots);
	free(sim);
}

uint64_t eng_seed(const struct sim *sim) { return sim->seed; }
uint64_t eng_run_number(const struct sim *sim) { return sim->run; }
sim_time_t eng_now(const struct sim *sim) { return sim->now; }
uint64_t eng_events_executed(const struct sim *sim) { return sim->executed; }
size_t eng_queue_len(const struct sim *sim) { return sim->heap_len; }
void eng_stop(struct sim *sim) { sim->stop = true; }
bool eng_stopped(const struct sim *sim) { return sim->stop; }

sim_time_t eng_next_time(const struct sim *sim)
{
	return sim->heap_len ? sim->heap[0].time : ENG_TIME_MAX;
}

/* ---- heap ---------------------------------------------------------------- */

static inline bool node_before(const struct heap_node *a, const struct heap_node *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static inline void heap_place(struct sim *sim, uint32_t pos, struct heap_node n)
{
	sim->heap[pos] = n;
	sim->slots[n.slot].heap_pos = pos;
}

static void heap_sift_up(struct sim *sim, uint32_t pos, struct heap_node n)
{
	while (pos > 0) {
		uint32_t parent = (pos - 1) >> 2;

		if (!node_before(&n, &sim->heap[parent]))
			break;
		heap_place(sim, pos, sim->heap[parent]);
		pos = parent;
	}
	heap_place(sim, pos, n);
}

static void heap_sift_down(struct sim *sim, uint32_t pos, struct heap_node n)
{
	uint32_t len = sim->heap_len;

	for (;;) {
		uint32_t first = (pos << 2) + 1, best;

		if (first >= len)
			break;
		best = first;
		uint32_t end = first + 4 < len ? first + 4 : len;
		for (uint32_t c = first + 1; c < end; c++)
			if (node_before(&sim->heap[c], &sim->heap[best]))
				best = c;
		if (!node_before(&sim->heap[best], &n))
			break;
		heap_place(sim, pos, sim->heap[best]);
		pos = best;
	}
	heap_place(sim, pos, n);
}

/* Remove the node at pos, keeping the heap property. */
static void heap_remove(struct sim *sim, uint32_t pos)
{
	struct heap_node last = sim->heap[--sim->heap_len];

	if (pos == sim->heap_len)
		return;
	if (pos > 0 && node_before(&last, &sim->heap[(pos - 1) >> 2]))
		heap_sift_up(sim, pos, last);
	else
		heap_sift_down(sim, pos, last);
}

static int grow(void **p, uint32_t *cap, size_t elem)
{
	uint32_t ncap = *cap ? *cap * 2 : 256;
	void *n;

	if (ncap < *cap)
		return -ENOMEM;
	n = realloc(*p, (size_t)ncap * elem);
	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = ncap;
	return 0;
}

static uint32_t slot_alloc(struct sim *sim)
{
	uint32_t s = sim->free_head;

	if (s != SLOT_NONE) {
		sim->free_head = sim->slots[s].next_free;
		return s;
	}
	if (sim->slots_len == sim->slots_cap &&
	    grow((void **)&sim->slots, &sim->slots_cap, sizeof(*sim->slots)))
		return SLOT_NONE;
	s = sim->slots_len++;
	sim->slots[s].gen = 1;
	return s;
}

static void slot_free(struct sim *sim, uint32_t s)
{
	struct event_slot *e = &sim->slots[s];

	e->heap_pos = HEAP_NONE;
	e->gen++;
	if (e->gen == 0)
		e->gen = 1;
	e->next_free = sim->free_head;
	sim->free_head = s;
}

static inline eng_event_id make_id(uint32_t slot, uint32_t gen)
{
	return ((uint64_t)gen << 32) | ((uint64_t)slot + 1);
}

eng_event_id eng_schedule_at(struct sim *sim, sim_time_t at, eng_event_fn fn, void *arg)
{
	uint32_t s;

	if (at < sim->now || !fn)
		return 0;
	if (sim->heap_len == sim->heap_cap &&
	    grow((void **)&sim->heap, &sim->heap_cap, sizeof(*sim->heap)))
		return 0;
	s = slot_alloc(sim);
	if (s == SLOT_NONE)
		return 0;
	sim->slots[s].fn = fn;
	sim->slots[s].arg = arg;
	sim->heap_len++;
	heap_sift_up(sim, sim->heap_len - 1,
		     (struct heap_node){ .time = at, .seq = sim->next_seq++, .slot = s });
	return make_id(s, sim->slots[s].gen);
}

eng_event_id eng_schedule_in(struct sim *sim, sim_time_t delay, eng_event_fn fn, void *arg)
{
	if (delay > ENG_TIME_MAX - sim->now)
		return 0;
	return eng_schedule_at(sim, sim->now + delay, fn, arg);
}

static struct event_slot *lookup(const struct sim *sim, eng_event_id id)
{
	uint64_t slot1 = id & 0xffffffffu;
	uint32_t gen = (uint32_t)(id >> 32);
	struct event_slot *e;

	if (slot1 == 0 || slot1 > sim->slots_len)
		return NULL;
	e = &sim->slots[slot1 - 1];
	if (e->gen != gen || e->heap_pos == HEAP_NONE)
		return NULL;
	return e;
}

bool eng_pending(const struct sim *sim, eng_event_id id)
{
	return lookup(sim, id) != NULL;
}

int eng_cancel(struct sim *sim, eng_event_id id)
{
	struct event_slot *e = lookup(sim, id);

	if (!e)
		return -ENOENT;
	heap_remove(sim, e->heap_pos);
	slot_free(sim, (uint32_t)((id & 0xffffffffu) - 1));
	return 0;
}

bool eng_step(struct sim *sim)
{
	struct heap_node top;
	struct event_slot *e;
	eng_event_fn fn;
	void *arg;

	if (!sim->heap_len)
		return false;
	top = sim->heap[0];
	heap_remove(sim, 0);
	e = &sim->slots[top.slot];
	fn = e->fn;
	arg = e->arg;
	slot_free(sim, top.slot);
	sim->now = top.time;
	sim->executed++;
	fn(sim, arg);
	return true;
}

uint64_t eng_run_until(struct sim *sim, sim_time_t until)
{
	uint64_t start = sim->executed;

	sim->stop = false;
	while (!sim->stop && sim->heap_len && sim->heap[0].time <= until)
		eng_step(sim);
	if (!sim->stop && until != ENG_TIME_MAX && sim->now < until)
		sim->now = until;
	return sim->executed - start;
}

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

uint64_t eng_rng_below(struct eng_rng *rng, uint64_t bound)
{
	uint64_t threshold, r;

	if (bound == 0)
		return 0;
	threshold = (0 - bound) % bound; /* 2^64 mod bound */
	do
		r = eng_rng_next(rng);
	while (r < threshold);
	return r % bound;
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
