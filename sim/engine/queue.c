// SPDX-License-Identifier: MIT
/*
 * The event queue is a ladder queue (Tang, Goh and Thng, "Ladder queue: an
 * O(1) priority queue structure for large-scale discrete event simulation",
 * ACM TOMACS 15(3), 2005).  A heap pays O(log n) dependent, cache-missing
 * steps per event; the ladder sorts lazily and pays O(1) amortised per event
 * whatever the time distribution:
 *
 *   top     unsorted array of the far future: entries later than top_limit
 *   rungs   rung 0 spreads a former top over buckets of 2^shift ps; rung r+1
 *           spreads one crowded bucket of rung r (or a crowded bottom)
 *   bottom  sorted array of the earliest entries; eng_step() pops its head
 *
 * A bucket is sorted only when it reaches the front: into the bottom if it
 * holds at most LQ_SORT_MAX entries, else into a finer rung.  Bucket widths
 * are powers of two, so a bucket index is a shift, and a child rung covers its
 * parent bucket exactly (no division, no overflow near ENG_TIME_MAX).
 *
 * Queue entries are (time, slot id) pairs kept in arrays, not links through
 * the slots, so moving them streams through memory instead of chasing
 * pointers.  A bucket is one 64-byte chunk of entries in its rung's array;
 * a crowded bucket chains full chunks from a pool.  The slot (callback,
 * argument, sequence number) is read when its event runs.
 *
 * Cancel is O(1): an event in the bottom is removed there (binary search);
 * elsewhere its slot is only marked cancelled and the entry is dropped when it
 * reaches the bottom, or by a purge once cancelled entries outnumber pending
 * events or nothing is pending (amortised O(1), memory stays O(pending)).
 *
 * Invariant after every public call: when events are pending, the bottom is
 * not empty, holds only pending events, and its head is the earliest
 * (time, seq) event.  Every array grows to its peak and is reused, and
 * eng_schedule_at() reserves the room an insert needs, so running events never
 * allocates and the queue's internal moves never fail.
 */
#include "sim/engine/engine_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Tuning, measured with bench/bench_engine and exponential increments:
 * A bucket of at most LQ_SORT_MAX entries is sorted into the bottom; a larger
 * one becomes a new rung.  Small enough for insertion sort.
 */
#define LQ_SORT_MAX 32
/* Mean entries per bucket when a rung is built: at least LQ_OCC, below twice
 * that (widths are powers of two).  2 keeps most buckets within one chunk. */
#define LQ_OCC 2
/* Rung 0 spans LQ_EXT times the top it is built from, so that events
 * scheduled while it drains land in it directly rather than in the top. */
#define LQ_EXT 2
/* A bottom grown past this by inserts becomes a rung (keeps sorted inserts
 * short). */
#define LQ_BOT_SPLIT 128
/* Cancelled entries tolerated before a purge, beyond one per pending event. */
#define LQ_PURGE_MIN 1024

#define EV_NONE UINT32_MAX

enum ev_state { EV_FREE, EV_PENDING, EV_CANCELLED };

struct event {
	eng_event_fn fn;
	void *arg;
	sim_time_t time;
	union {
		uint64_t seq;	    /* pending: scheduling order, breaks ties in time */
		uint32_t next_free; /* free: next free slot */
	};
	uint32_t gen;	/* bumped when cancelled or freed, so stale handles miss */
	uint32_t state; /* enum ev_state */
};

/* A queue entry.  time duplicates the slot's so sorting stays in the array. */
struct qent {
	sim_time_t time;
	uint32_t id;
	uint32_t unused;
};

/*
 * A rung bucket: the chunk being filled, with earlier full chunks chained from
 * the pool.  n == 0 only for an empty bucket (an overflow moves the full
 * entries out and the new entry in at once).
 */
#define LQ_CHUNK 4
struct chunk {
	sim_time_t time[LQ_CHUNK];
	uint32_t id[LQ_CHUNK];
	uint32_t n;
	uint32_t next; /* next full chunk of the bucket, or next free chunk */
	uint32_t unused[2];
};
_Static_assert(sizeof(struct chunk) == 64, "a chunk is one cache line");

/* ---- memory ------------------------------------------------------------------ */

/* Grow *p to at least `need` elements, doubling; contents are kept. */
static int grow(void **p, uint32_t *cap, size_t elem, uint32_t need)
{
	uint32_t ncap = *cap ? *cap : 256;
	void *n;

	while (ncap < need) {
		if (ncap > UINT32_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	n = realloc(*p, (size_t)ncap * elem);
	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = ncap;
	return 0;
}

static uint32_t ev_alloc(struct eng_queue *q)
{
	uint32_t i = q->free_head;

	if (i != EV_NONE) {
		q->free_head = q->ev[i].next_free;
		return i;
	}
	/* EV_NONE is never a slot id.  Every slot may have an entry in the top or
	 * the bottom: grow them with the slots (plus LQ_CHUNK spare entries, which
	 * bucket_take() and sort_bucket() may write past the end), so queue moves
	 * never fail. */
	if (q->nev == EV_NONE - 1 - LQ_CHUNK ||
	    (q->nev == q->ev_cap &&
	     grow((void **)&q->ev, &q->ev_cap, sizeof(*q->ev), q->nev + 1)) ||
	    (q->nev + LQ_CHUNK >= q->top_cap &&
	     grow((void **)&q->top, &q->top_cap, sizeof(*q->top), q->nev + 1 + LQ_CHUNK)) ||
	    (q->nev + LQ_CHUNK >= q->bot_cap &&
	     grow((void **)&q->bot, &q->bot_cap, sizeof(*q->bot), q->nev + 1 + LQ_CHUNK)))
		return EV_NONE;
	i = q->nev++;
	q->ev[i].gen = 1;
	return i;
}

/* gen may wrap to 0: a handle's slot half is never 0, so it still differs from 0. */
static void ev_free(struct eng_queue *q, uint32_t i)
{
	struct event *e = &q->ev[i];

	if (e->state == EV_PENDING)
		e->gen++; /* a cancelled slot's gen moved on when it was cancelled */
	e->state = EV_FREE;
	e->next_free = q->free_head;
	q->free_head = i;
}

/* At least `need` free chunks in the pool. */
static int chunk_reserve(struct eng_queue *q, uint32_t need)
{
	uint32_t old = q->nchunk;

	if (q->nchunk_free >= need)
		return 0;
	if (grow((void **)&q->chunk, &q->nchunk, sizeof(*q->chunk),
		 old + (need - q->nchunk_free)))
		return -ENOMEM;
	for (uint32_t c = q->nchunk; c-- > old;) {
		q->chunk[c].next = q->chunk_free;
		q->chunk_free = c;
	}
	q->nchunk_free += q->nchunk - old;
	return 0;
}

static inline void chunk_put(struct eng_queue *q, uint32_t c)
{
	q->chunk[c].next = q->chunk_free;
	q->chunk_free = c;
	q->nchunk_free++;
}

/* (time, seq) order; the slot is read only to break a tie. */
static inline bool qent_before(const struct eng_queue *q, struct qent a, struct qent b)
{
	return a.time < b.time || (a.time == b.time && q->ev[a.id].seq < q->ev[b.id].seq);
}

/* ---- rungs --------------------------------------------------------------------- */

static inline sim_time_t sat_add(sim_time_t a, sim_time_t b)
{
	return a > ENG_TIME_MAX - b ? ENG_TIME_MAX : a + b;
}

/* Last time in buckets [0, nb) of a rung, nb >= 1 (saturated: the exact end may
 * lie past ENG_TIME_MAX). */
static sim_time_t rung_last(const struct rung *rg, uint32_t nb)
{
	sim_time_t first_of_last = rg->start + ((sim_time_t)(nb - 1) << rg->shift);

	return sat_add(first_of_last, ((sim_time_t)1 << rg->shift) - 1);
}

/* Smallest shift giving at most max(k / LQ_OCC, 1) buckets over [0, range]. */
static uint32_t pick_shift(sim_time_t range, uint64_t k)
{
	uint64_t target = k / LQ_OCC ? k / LQ_OCC : 1, q = range / target;

	/* (range >> s) < target  <=>  range / target < 2^s */
	return q ? (q >> 63 ? 63 : 64 - (uint32_t)__builtin_clzll(q)) : 0;
}

/* Add an entry to a bucket; a full bucket first moves its entries to a pool
 * chunk (one must be free). */
static inline void bucket_push(struct eng_queue *q, struct chunk *bk, struct qent x)
{
	if (bk->n == LQ_CHUNK) {
		uint32_t c = q->chunk_free;

		q->chunk_free = q->chunk[c].next;
		q->nchunk_free--;
		q->chunk[c] = *bk;
		bk->next = c;
		bk->n = 0;
	}
	bk->time[bk->n] = x.time;
	bk->id[bk->n++] = x.id;
}

/* Move a bucket's entries to dst (unsorted) and empty it; returns how many. */
static uint32_t bucket_take(struct eng_queue *q, struct chunk *bk, struct qent *dst)
{
	uint32_t n = bk->n;

	/* copy the whole chunk: dst has LQ_CHUNK spare entries, and a fixed count
	 * spares a mispredicted loop exit */
	for (uint32_t j = 0; j < LQ_CHUNK; j++)
		dst[j] = (struct qent){ .time = bk->time[j], .id = bk->id[j] };
	for (uint32_t c = bk->next, next; c != EV_NONE; c = next) {
		const struct chunk *ch = &q->chunk[c];

		for (uint32_t j = 0; j < LQ_CHUNK; j++)
			dst[n++] = (struct qent){ .time = ch->time[j], .id = ch->id[j] };
		next = ch->next;
		chunk_put(q, c);
	}
	bk->n = 0;
	bk->next = EV_NONE;
	return n;
}

/*
 * Build rung r over nb buckets of 2^shift ps from `start` with src[0, n).
 * src may be the top or the bottom.  Keeps one pool chunk free for the insert
 * that may follow a split of the bottom.
 */
static int rung_build(struct eng_queue *q, uint32_t r, sim_time_t start, uint32_t shift, uint32_t nb,
		      const struct qent *src, uint32_t n)
{
	struct rung *rg = &q->rung[r];

	if (nb > rg->cap) { /* nothing to keep */
		struct chunk *p = malloc((size_t)nb * sizeof(*p));

		if (!p)
			return -ENOMEM;
		free(rg->bucket);
		rg->bucket = p;
		rg->cap = nb;
	}
	if (chunk_reserve(q, n / LQ_CHUNK + 1))
		return -ENOMEM;
	memset(rg->bucket, 0, (size_t)nb * sizeof(*rg->bucket));
	for (uint32_t b = 0; b < nb; b++)
		rg->bucket[b].next = EV_NONE;
	for (uint32_t j = 0; j < n; j++)
		bucket_push(q, &rg->bucket[(src[j].time - start) >> shift], src[j]);
	rg->start = start;
	rg->shift = shift;
	rg->nb = nb;
	rg->cur = 0;
	rg->count = n;
	return 0;
}

/* Queue an entry into bucket b of rung rg (a pool chunk is reserved). */
static inline void rung_push(struct eng_queue *q, struct rung *rg, uint32_t b, struct qent x)
{
	bucket_push(q, &rg->bucket[b], x);
	rg->count++;
}

/*
 * Where an entry at t belongs: LOC_TOP, LOC_BOTTOM, or LOC_RUNG + r with its
 * bucket in *bucket.  Rung r+1 lies inside the bucket rung r took last, so the
 * first rung (from the top) whose current or a later bucket holds t wins.
 */
enum { LOC_TOP, LOC_BOTTOM, LOC_RUNG };

static inline uint32_t ladder_locate(const struct eng_queue *q, sim_time_t t, uint64_t *bucket)
{
	if (t > q->top_limit)
		return LOC_TOP;
	for (uint32_t r = 0; r < q->nrungs; r++) {
		const struct rung *rg = &q->rung[r];

		if (t >= rg->start && (*bucket = (t - rg->start) >> rg->shift) >= rg->cur)
			return LOC_RUNG + r;
	}
	return LOC_BOTTOM;
}

/* Last time the bottom may hold: just before the lowest rung's current bucket.
 * Every queued entry up to it is in the bottom. */
static sim_time_t bottom_last(const struct eng_queue *q)
{
	const struct rung *rg;

	if (!q->nrungs)
		return q->top_limit;
	rg = &q->rung[q->nrungs - 1];
	if (!rg->cur) /* only a rung just split from the bottom, whose start > 0 */
		return rg->start ? rg->start - 1 : 0;
	return rung_last(rg, rg->cur);
}

/* ---- bottom ------------------------------------------------------------------- */

/* Index of the bottom entry of slot id, which is there. */
static uint32_t bottom_find(const struct eng_queue *q, uint32_t id)
{
	struct qent x = { .time = q->ev[id].time, .id = id };
	uint32_t lo = q->bhead, hi = q->btail;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (qent_before(q, q->bot[mid], x))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void bottom_remove(struct eng_queue *q, uint32_t pos)
{
	if (pos - q->bhead < q->btail - pos) { /* shift the shorter side */
		memmove(&q->bot[q->bhead + 1], &q->bot[q->bhead],
			(pos - q->bhead) * sizeof(*q->bot));
		q->bhead++;
	} else {
		memmove(&q->bot[pos], &q->bot[pos + 1], (q->btail - pos - 1) * sizeof(*q->bot));
		q->btail--;
	}
}

static void heap_sift(const struct eng_queue *q, struct qent *a, uint32_t n, uint32_t i)
{
	struct qent x = a[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && qent_before(q, a[c], a[c + 1]))
			c++;
		if (!qent_before(q, x, a[c]))
			break;
		a[i] = a[c];
		i = c;
	}
	a[i] = x;
}

/* Compare-exchange by time alone, with masks rather than branches: a bucket's
 * order is random, so branches would mispredict.  Equal times are put in seq
 * order afterwards. */
static inline void cmp_swap(struct qent *a, struct qent *b)
{
	uint64_t swap = -(uint64_t)(b->time < a->time);
	uint64_t dt = (a->time ^ b->time) & swap;
	uint32_t di = (a->id ^ b->id) & (uint32_t)swap;

	a->time ^= dt;
	b->time ^= dt;
	a->id ^= di;
	b->id ^= di;
}

static void insertion_sort(const struct eng_queue *q, struct qent *a, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		struct qent x = a[i];
		uint32_t j = i;

		for (; j > 0 && qent_before(q, x, a[j - 1]); j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

/*
 * Sort 2 <= n <= LQ_CHUNK entries, the usual bucket, with a fixed sorting
 * network over a[0, LQ_CHUNK) (the bottom has room): positions past n become
 * (ENG_TIME_MAX, EV_NONE) pads and sort last.  When two real times are equal,
 * or one is ENG_TIME_MAX (it could swap with a pad), the pads are squeezed out
 * and insertion sort orders by (time, seq).  All selects are masks: no
 * data-dependent branch on the usual path.
 */
static void sort_bucket(const struct eng_queue *q, struct qent *a, uint32_t n)
{
	bool odd = false;

	for (uint32_t i = 0; i < LQ_CHUNK; i++) {
		uint64_t keep = -(uint64_t)(i < n);

		a[i].time = (a[i].time & keep) | (ENG_TIME_MAX & ~keep);
		a[i].id = (a[i].id & (uint32_t)keep) | (EV_NONE & ~(uint32_t)keep);
	}
	cmp_swap(&a[0], &a[1]);
	cmp_swap(&a[2], &a[3]);
	cmp_swap(&a[0], &a[2]);
	cmp_swap(&a[1], &a[3]);
	cmp_swap(&a[1], &a[2]);
	for (uint32_t i = 0; i + 1 < LQ_CHUNK; i++)
		odd |= (i + 1 < n) & (a[i].time == a[i + 1].time);
	odd |= a[n - 1].time == ENG_TIME_MAX;
	if (odd) {
		uint32_t k = 0;

		for (uint32_t i = 0; i < LQ_CHUNK; i++)
			if (a[i].id != EV_NONE)
				a[k++] = a[i];
		insertion_sort(q, a, n);
	}
}

/* Sort the bottom: the network for a bucket's few entries, insertion sort up
 * to LQ_SORT_MAX, heapsort for a rare big one (equal times, or no rung left to
 * split into).  Keys are unique. */
static void bottom_sort(struct eng_queue *q)
{
	struct qent *a = q->bot + q->bhead;
	uint32_t n = q->btail - q->bhead;

	if (n <= LQ_CHUNK) {
		if (n > 1)
			sort_bucket(q, a, n);
	} else if (n <= LQ_SORT_MAX) {
		insertion_sort(q, a, n);
	} else {
		for (uint32_t i = n / 2; i-- > 0;)
			heap_sift(q, a, n, i);
		for (uint32_t end = n - 1; end > 0; end--) {
			struct qent x = a[0];

			a[0] = a[end];
			a[end] = x;
			heap_sift(q, a, end, 0);
		}
	}
}

/* Free the slots of cancelled entries in the (unsorted, bhead 0) bottom. */
static void bottom_drop_cancelled(struct eng_queue *q)
{
	uint32_t w = 0;

	if (!q->cancelled)
		return;
	for (uint32_t r = 0; r < q->btail; r++) {
		uint32_t id = q->bot[r].id;

		if (q->ev[id].state == EV_CANCELLED) {
			ev_free(q, id);
			q->cancelled--;
			continue;
		}
		q->bot[w++] = q->bot[r];
	}
	q->btail = w;
}

static void ladder_insert_low(struct eng_queue *q, struct qent x);

/* Turn a crowded bottom into a new lowest rung covering [its head, bottom_last]. */
static int rung_from_bottom(struct eng_queue *q)
{
	sim_time_t first = q->bot[q->bhead].time, range = bottom_last(q) - first;
	uint32_t n = q->btail - q->bhead, shift = pick_shift(range, n);

	if (rung_build(q, q->nrungs, first, shift, (uint32_t)(range >> shift) + 1,
		       &q->bot[q->bhead], n))
		return -ENOMEM;
	q->nrungs++;
	q->bhead = q->btail = 0;
	return 0;
}

static void bottom_insert(struct eng_queue *q, struct qent x)
{
	uint32_t lo = q->bhead, hi = q->btail;

	if (hi - lo >= q->bot_split_at && q->nrungs < LQ_MAX_RUNGS && rung_from_bottom(q) == 0) {
		ladder_insert_low(q, x); /* into the new rung, or the now empty bottom */
		return;
	}
	/* x has the highest seq so far: it goes after every entry of equal time */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (q->bot[mid].time <= x.time)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (q->bhead > 0 && lo - q->bhead < q->btail - lo) { /* shift the shorter side */
		memmove(&q->bot[q->bhead - 1], &q->bot[q->bhead], (lo - q->bhead) * sizeof(*q->bot));
		q->bhead--;
		lo--;
	} else {
		if (q->btail == q->bot_cap) { /* bot_cap > entries: compacting makes room */
			memmove(q->bot, &q->bot[q->bhead], (q->btail - q->bhead) * sizeof(*q->bot));
			lo -= q->bhead;
			q->btail -= q->bhead;
			q->bhead = 0;
		}
		memmove(&q->bot[lo + 1], &q->bot[lo], (q->btail - lo) * sizeof(*q->bot));
		q->btail++;
	}
	q->bot[lo] = x;
}

/* ---- ladder ------------------------------------------------------------------- */

static inline void top_push(struct eng_queue *q, struct qent x)
{
	q->top[q->ntop++] = x;
	if (x.time < q->top_min)
		q->top_min = x.time;
	if (x.time > q->top_max)
		q->top_max = x.time;
}

/* ladder_insert() for entries below rung 0's open buckets (so never for the
 * top): rarer, kept out of line. */
static __attribute__((noinline)) void ladder_insert_low(struct eng_queue *q, struct qent x)
{
	uint64_t b = 0;
	uint32_t loc = ladder_locate(q, x.time, &b);

	if (loc == LOC_BOTTOM)
		bottom_insert(q, x);
	else
		rung_push(q, &q->rung[loc - LOC_RUNG], (uint32_t)b, x);
}

/* Queue an entry where ladder_locate() says; the common cases inline. */
static inline void ladder_insert(struct eng_queue *q, struct qent x)
{
	const struct rung *rg = &q->rung[0];
	uint64_t b;

	if (x.time > q->top_limit)
		top_push(q, x);
	else if (q->nrungs && x.time >= rg->start &&
		 (b = (x.time - rg->start) >> rg->shift) >= rg->cur)
		rung_push(q, &q->rung[0], (uint32_t)b, x);
	else
		ladder_insert_low(q, x);
}

static void top_reset(struct eng_queue *q)
{
	q->ntop = 0;
	q->top_min = ENG_TIME_MAX;
	q->top_max = 0;
}

/* Spread the top over a new rung 0, LQ_EXT times as long as the top's span. */
static int rung_from_top(struct eng_queue *q)
{
	sim_time_t range = q->top_max - q->top_min;
	uint32_t shift = pick_shift(range, q->ntop);
	uint64_t nb = ((range >> shift) + 1) * LQ_EXT,
		 nb_max = ((ENG_TIME_MAX - q->top_min) >> shift) + 1; /* no bucket past the end */

	if (nb > nb_max)
		nb = nb_max;
	if (rung_build(q, 0, q->top_min, shift, (uint32_t)nb, q->top, q->ntop))
		return -ENOMEM;
	q->nrungs = 1;
	q->top_limit = rung_last(&q->rung[0], q->rung[0].nb);
	top_reset(q);
	return 0;
}

/* Spread bottom entries [0, k), taken from bucket b of rung `parent`, over a
 * child rung covering exactly that bucket, about k / LQ_OCC buckets. */
static int rung_from_bucket(struct eng_queue *q, const struct rung *parent, uint32_t b, uint32_t k)
{
	uint32_t bits = 63 - (uint32_t)__builtin_clzll(k / LQ_OCC); /* k > LQ_SORT_MAX */

	if (bits > parent->shift)
		bits = parent->shift;
	if (rung_build(q, q->nrungs, parent->start + ((sim_time_t)b << parent->shift),
		       parent->shift - bits, 1u << bits, q->bot, k))
		return -ENOMEM;
	q->nrungs++;
	q->bhead = q->btail = 0;
	return 0;
}

/*
 * Refill the empty bottom from the lowest rung's first non-empty bucket,
 * building rung 0 from the top or splitting crowded buckets on the way.
 * Called only while a pending event sits in the top or a rung.
 */
static __attribute__((noinline)) void refill(struct eng_queue *q)
{
	q->bhead = q->btail = 0;
	for (;;) {
		struct rung *rg;
		uint32_t b;

		if (!q->nrungs) {
			if (q->ntop > LQ_SORT_MAX && rung_from_top(q) == 0)
				continue;
			/* few entries (or no memory for a rung): sort them all */
			memcpy(q->bot, q->top, (size_t)q->ntop * sizeof(*q->bot));
			q->btail = q->ntop;
			q->top_limit = q->top_max;
			top_reset(q);
			bottom_drop_cancelled(q);
		} else {
			rg = &q->rung[q->nrungs - 1];
			if (!rg->count) {
				q->nrungs--;
				continue;
			}
			while (!rg->bucket[rg->cur].n)
				rg->cur++;
			b = rg->cur++;
			q->btail = bucket_take(q, &rg->bucket[b], q->bot);
			rg->count -= q->btail;
			bottom_drop_cancelled(q);
			if (q->btail > LQ_SORT_MAX && rg->shift && q->nrungs < LQ_MAX_RUNGS &&
			    rung_from_bucket(q, rg, b, q->btail) == 0)
				continue;
		}
		if (q->btail) /* else all were cancelled */
			break;
	}
	bottom_sort(q);
	/* a bottom sorted big on purpose must double before it is split again */
	q->bot_split_at = 2 * q->btail;
	if (q->bot_split_at < LQ_BOT_SPLIT)
		q->bot_split_at = LQ_BOT_SPLIT;
}

/*
 * Reclaim cancelled entries: pour every rung back into the top (top_cap >=
 * entries), dropping them, and let the top start just after the bottom.  The
 * next refill rebuilds rung 0.  O(queued entries), run only once cancelled
 * entries outnumber pending events, or nothing is pending.
 */
static void purge(struct eng_queue *q)
{
	sim_time_t last = bottom_last(q);
	uint32_t w = 0;

	for (uint32_t r = 0; r < q->nrungs; r++) {
		struct rung *rg = &q->rung[r];

		for (uint32_t b = rg->cur; b < rg->nb && rg->count; b++) {
			uint32_t k = bucket_take(q, &rg->bucket[b], &q->top[q->ntop]);

			q->ntop += k;
			rg->count -= k;
		}
	}
	q->nrungs = 0;
	q->top_min = ENG_TIME_MAX;
	q->top_max = 0;
	for (uint32_t r = 0; r < q->ntop; r++) {
		struct qent x = q->top[r];

		if (q->ev[x.id].state == EV_CANCELLED) {
			ev_free(q, x.id);
			q->cancelled--;
			continue;
		}
		q->top[w++] = x;
		if (x.time < q->top_min)
			q->top_min = x.time;
		if (x.time > q->top_max)
			q->top_max = x.time;
	}
	q->ntop = w;
	q->top_limit = last;
}

/* ---- public queue API ------------------------------------------------------------ */

void eng_queue_init(struct eng_queue *q)
{
	q->free_head = EV_NONE;
	q->chunk_free = EV_NONE;
	q->top_min = ENG_TIME_MAX;
	q->bot_split_at = LQ_BOT_SPLIT;
}

void eng_queue_destroy(struct eng_queue *q)
{
	for (int r = 0; r < LQ_MAX_RUNGS; r++)
		free(q->rung[r].bucket);
	free(q->chunk);
	free(q->bot);
	free(q->top);
	free(q->ev);
}

size_t eng_queue_len(const struct sim *sim)
{
	return sim->q.pending;
}

sim_time_t eng_next_time(const struct sim *sim)
{
	return sim->q.pending ? sim->q.bot[sim->q.bhead].time : ENG_TIME_MAX;
}

static inline eng_event_id make_id(uint32_t slot, uint32_t gen)
{
	return ((uint64_t)gen << 32) | ((uint64_t)slot + 1);
}

eng_event_id eng_schedule_at(struct sim *sim, sim_time_t at, eng_event_fn fn, void *arg)
{
	struct eng_queue *q = &sim->q;
	struct event *e;
	uint32_t i;

	/* a pool chunk for a crowded bucket is the only room an insert may need */
	if (at < sim->now || !fn || (!q->nchunk_free && chunk_reserve(q, 1)))
		return 0;
	i = ev_alloc(q);
	if (i == EV_NONE)
		return 0;
	e = &q->ev[i];
	e->fn = fn;
	e->arg = arg;
	e->time = at;
	e->seq = q->next_seq++;
	e->state = EV_PENDING;
	q->pending++;
	ladder_insert(q, (struct qent){ .time = at, .id = i });
	if (q->bhead == q->btail)
		refill(q);
	return make_id(i, e->gen);
}

eng_event_id eng_schedule_in(struct sim *sim, sim_time_t delay, eng_event_fn fn, void *arg)
{
	if (delay > ENG_TIME_MAX - sim->now)
		return 0;
	return eng_schedule_at(sim, sim->now + delay, fn, arg);
}

static struct event *lookup(const struct eng_queue *q, eng_event_id id)
{
	uint64_t slot1 = id & 0xffffffffu;
	uint32_t gen = (uint32_t)(id >> 32);
	struct event *e;

	if (slot1 == 0 || slot1 > q->nev)
		return NULL;
	e = &q->ev[slot1 - 1];
	if (e->gen != gen || e->state != EV_PENDING)
		return NULL;
	return e;
}

bool eng_pending(const struct sim *sim, eng_event_id id)
{
	return lookup(&sim->q, id) != NULL;
}

int eng_cancel(struct sim *sim, eng_event_id id)
{
	struct eng_queue *q = &sim->q;
	uint32_t i = (uint32_t)((id & 0xffffffffu) - 1);
	struct event *e = lookup(q, id);

	if (!e)
		return -ENOENT;
	q->pending--;
	if (e->time <= bottom_last(q)) {
		bottom_remove(q, bottom_find(q, i));
		ev_free(q, i);
		if (q->pending && q->bhead == q->btail)
			refill(q);
	} else {
		/* in the top or a rung: leave the entry, it is dropped when it surfaces */
		e->gen++;
		e->state = EV_CANCELLED;
		q->cancelled++;
	}
	if (q->cancelled &&
	    (!q->pending || (q->cancelled > LQ_PURGE_MIN && q->cancelled > q->pending)))
		purge(q);
	return 0;
}

bool eng_step(struct sim *sim)
{
	struct eng_queue *q = &sim->q;
	struct qent x;
	struct event *e;
	eng_event_fn fn;
	void *arg;

	if (!q->pending)
		return false;
	x = q->bot[q->bhead++];
	e = &q->ev[x.id];
	fn = e->fn;
	arg = e->arg;
	sim->now = x.time;
	ev_free(q, x.id);
	if (--q->pending) {
		if (q->bhead == q->btail)
			refill(q);
		/* the next event's slot was last touched when it was scheduled */
		__builtin_prefetch(&q->ev[q->bot[q->bhead].id]);
	} else if (q->cancelled) {
		purge(q); /* nothing left to run: reclaim cancelled entries now */
	}
	sim->executed++;
	fn(sim, arg);
	return true;
}

uint64_t eng_run_until(struct sim *sim, sim_time_t until)
{
	struct eng_queue *q = &sim->q;
	uint64_t start = sim->executed;

	sim->stop = false;
	while (!sim->stop && q->pending && q->bot[q->bhead].time <= until)
		eng_step(sim);
	if (!sim->stop && until != ENG_TIME_MAX && sim->now < until)
		sim->now = until;
	return sim->executed - start;
}

/* ---- queue introspection (tests, tuning) ------------------------------------------ */

void eng_queue_info(const struct sim *sim, struct eng_queue_info *info)
{
	const struct eng_queue *q = &sim->q;

	info->top = q->ntop;
	info->rungs = q->nrungs;
	info->rung_entries = 0;
	for (uint32_t r = 0; r < q->nrungs; r++)
		info->rung_entries += q->rung[r].count;
	info->bottom = q->btail - q->bhead;
	info->cancelled = q->cancelled;
}

/* One queued entry: a queued slot whose time matches, seen once, and
 * ladder_locate() puts it where it is. */
static bool check_entry(const struct eng_queue *q, struct qent x, uint32_t loc, uint64_t bucket,
			uint8_t *seen)
{
	uint64_t b = bucket;

	if (x.id >= q->nev || seen[x.id]++ || q->ev[x.id].time != x.time ||
	    q->ev[x.id].state == EV_FREE)
		return false;
	return ladder_locate(q, x.time, &b) == loc && (loc < LOC_RUNG || b == bucket);
}

static int check_queue(const struct eng_queue *q, uint8_t *seen)
{
	uint64_t live = 0, dead = 0, nfree = 0;

	if (q->nrungs > LQ_MAX_RUNGS || q->bhead > q->btail || q->btail > q->bot_cap ||
	    q->bot_cap < q->nev || q->top_cap < q->nev || (q->pending && q->bhead == q->btail))
		return -EUCLEAN;
	for (uint32_t j = 0; j < q->ntop; j++)
		if (!check_entry(q, q->top[j], LOC_TOP, 0, seen) ||
		    q->top[j].time < q->top_min || q->top[j].time > q->top_max)
			return -EUCLEAN;
	for (uint32_t r = 0; r < q->nrungs; r++) {
		const struct rung *rg = &q->rung[r];
		uint64_t n = 0;

		if (rg->cur > rg->nb || rg->nb > rg->cap)
			return -EUCLEAN;
		for (uint32_t b = 0; b < rg->nb; b++) {
			const struct chunk *ch = &rg->bucket[b];

			if (ch->n > LQ_CHUNK || (!ch->n && ch->next != EV_NONE) || (b < rg->cur && ch->n))
				return -EUCLEAN;
			for (uint32_t c = EV_NONE; ch; ch = c < q->nchunk ? &q->chunk[c] : NULL) {
				if (n > q->nev)
					return -EUCLEAN;
				for (uint32_t j = 0; j < ch->n; j++, n++) {
					struct qent x = { .time = ch->time[j], .id = ch->id[j] };

					if (!check_entry(q, x, LOC_RUNG + r, b, seen))
						return -EUCLEAN;
				}
				c = ch->next;
				if (c != EV_NONE && (c >= q->nchunk || q->chunk[c].n != LQ_CHUNK))
					return -EUCLEAN;
			}
		}
		if (n != rg->count)
			return -EUCLEAN;
	}
	for (uint32_t j = q->bhead; j < q->btail; j++)
		if (!check_entry(q, q->bot[j], LOC_BOTTOM, 0, seen) ||
		    q->ev[q->bot[j].id].state != EV_PENDING ||
		    (j > q->bhead && !qent_before(q, q->bot[j - 1], q->bot[j])))
			return -EUCLEAN;
	for (uint32_t i = 0; i < q->nev; i++) {
		const struct event *e = &q->ev[i];

		if (e->state == EV_FREE) {
			nfree++;
			continue;
		}
		if (!seen[i])
			return -EUCLEAN; /* queued slot without an entry */
		live += e->state == EV_PENDING;
		dead += e->state == EV_CANCELLED;
		/* the bottom head is the earliest pending event */
		if (e->state == EV_PENDING &&
		    qent_before(q, (struct qent){ .time = e->time, .id = i }, q->bot[q->bhead]))
			return -EUCLEAN;
	}
	for (uint32_t i = q->free_head, n = 0; i != EV_NONE; i = q->ev[i].next_free, n++)
		if (i >= q->nev || q->ev[i].state != EV_FREE || n >= nfree)
			return -EUCLEAN;
	if (live != q->pending || dead != q->cancelled)
		return -EUCLEAN;
	for (uint32_t c = q->chunk_free, n = 0; c != EV_NONE; c = q->chunk[c].next)
		if (c >= q->nchunk || ++n > q->nchunk_free)
			return -EUCLEAN;
	return 0;
}

int eng_queue_check(const struct sim *sim)
{
	uint8_t *seen = calloc(sim->q.nev ? sim->q.nev : 1, 1);
	int err;

	if (!seen)
		return -ENOMEM;
	err = check_queue(&sim->q, seen);
	free(seen);
	return err;
}

