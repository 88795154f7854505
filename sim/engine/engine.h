/* SPDX-License-Identifier: MIT */
/*
 * Discrete-event core: simulated time, the event queue, RNG streams, trace and
 * statistics.  Everything lives in a struct sim that callers pass in, so one
 * process can run several independent simulations.
 *
 * Time is picoseconds in a uint64_t (about 213 days of simulated time).
 * Events run in (time, insertion sequence) order: equal-time events run in the
 * order they were scheduled, which makes every run reproducible.
 */
#ifndef VDPASIM_ENGINE_H
#define VDPASIM_ENGINE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t sim_time_t; /* picoseconds */

#define ENG_PS(x) ((sim_time_t)(x))
#define ENG_NS(x) ((sim_time_t)(x) * 1000ULL)
#define ENG_US(x) ((sim_time_t)(x) * 1000000ULL)
#define ENG_MS(x) ((sim_time_t)(x) * 1000000000ULL)
#define ENG_S(x)  ((sim_time_t)(x) * 1000000000000ULL)
#define ENG_TIME_MAX UINT64_MAX

struct sim;

typedef void (*eng_event_fn)(struct sim *sim, void *arg);

/*
 * Handle of a scheduled event.  0 is never a valid handle.  A handle stays
 * safe to cancel after its event ran or was cancelled (cancel returns -ENOENT).
 */
typedef uint64_t eng_event_id;

struct sim *eng_sim_new(uint64_t seed, uint64_t run);
void eng_sim_free(struct sim *sim);

uint64_t eng_seed(const struct sim *sim);
uint64_t eng_run_number(const struct sim *sim);

sim_time_t eng_now(const struct sim *sim);

/* Schedule fn(sim, arg) at absolute time `at` (>= now).  Returns 0 on -ENOMEM
 * or when `at` is in the past (both programming errors; callers check). */
eng_event_id eng_schedule_at(struct sim *sim, sim_time_t at, eng_event_fn fn, void *arg);
eng_event_id eng_schedule_in(struct sim *sim, sim_time_t delay, eng_event_fn fn, void *arg);
/* 0 on success, -ENOENT when the event already ran or was cancelled. */
int eng_cancel(struct sim *sim, eng_event_id id);
bool eng_pending(const struct sim *sim, eng_event_id id);
size_t eng_queue_len(const struct sim *sim);
/* Time of the earliest pending event, ENG_TIME_MAX when the queue is empty. */
sim_time_t eng_next_time(const struct sim *sim);

/*
 * Run events in order while their time is <= until and eng_stop() was not
 * called.  Time then advances to `until` (if the queue ran dry before it and
 * until != ENG_TIME_MAX).  Returns the number of events executed.
 */
uint64_t eng_run_until(struct sim *sim, sim_time_t until);
/* Run one event if any; returns false when the queue is empty. */
bool eng_step(struct sim *sim);
void eng_stop(struct sim *sim);
bool eng_stopped(const struct sim *sim);
uint64_t eng_events_executed(const struct sim *sim);

/*
 * Queue internals, for tests and tuning.  The queue is a ladder queue: far
 * entries wait unsorted in the top, nearer ones in the buckets of up to 16
 * rungs, the earliest in a sorted bottom.  A cancelled event's entry may stay
 * queued (counted in `cancelled`) until it is reclaimed.
 */
struct eng_queue_info {
	size_t top;	     /* entries in the unsorted far-future array */
	size_t rung_entries; /* entries in rung buckets */
	unsigned rungs;	     /* rungs in use */
	size_t bottom;	     /* pending events in the sorted front */
	size_t cancelled;    /* entries of cancelled events not yet reclaimed */
};
void eng_queue_info(const struct sim *sim, struct eng_queue_info *info);
/* Walk the whole queue and check its invariants: 0, -EUCLEAN, or -ENOMEM.
 * O(queued entries + slots); for tests. */
int eng_queue_check(const struct sim *sim);

/* ---- RNG: splitmix64-seeded xoshiro256** streams ------------------------ */
struct eng_rng {
	uint64_t s[4];
};

/* Seed a stream from a 64-bit value (splitmix64 expansion). */
void eng_rng_seed(struct eng_rng *rng, uint64_t seed);
/* A stream derived from the sim's seed, run number and a component name:
 * the same name gives the same stream, different names independent ones. */
void eng_rng_stream(const struct sim *sim, const char *name, struct eng_rng *rng);
uint64_t eng_rng_next(struct eng_rng *rng);
/* Uniform in [0, bound) without modulo bias; bound 0 returns 0. */
uint64_t eng_rng_below(struct eng_rng *rng, uint64_t bound);
/* Uniform double in [0, 1). */
double eng_rng_unit(struct eng_rng *rng);

/* ---- Trace --------------------------------------------------------------- */
/*
 * A record is one line: "<time_ps> <component> <event> key=value ...".
 * Tracing is off until a sink is set; eng_trace() checks one flag first, so a
 * disabled trace point costs a predictable branch.  Every record also feeds a
 * running SHA-256 whose digest goes into result.json.
 */
typedef void (*eng_trace_sink)(void *ctx, const char *line, size_t len);
void eng_trace_enable(struct sim *sim, eng_trace_sink sink, void *ctx);
/* Hash records even without a sink (so the trace hash is always available). */
void eng_trace_hash_only(struct sim *sim);
static inline bool eng_trace_on(const struct sim *sim);
void eng_trace_emit(struct sim *sim, const char *component, const char *event,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Hex SHA-256 of all records so far (65 bytes with NUL). */
void eng_trace_digest(struct sim *sim, char out[65]);
uint64_t eng_trace_records(const struct sim *sim);

#define eng_trace(sim, comp, ev, ...)                                   \
	do {                                                            \
		if (eng_trace_on(sim))                                  \
			eng_trace_emit((sim), (comp), (ev), __VA_ARGS__); \
	} while (0)

/* ---- Statistics: named 64-bit counters, reported in name order ----------- */
/* Returns a stable pointer to the counter (created at 0), NULL on -ENOMEM. */
uint64_t *eng_stat(struct sim *sim, const char *name);
void eng_stat_add(struct sim *sim, const char *name, uint64_t delta);
uint64_t eng_stat_get(const struct sim *sim, const char *name);
/* Visit counters in strcmp order. */
void eng_stat_foreach(const struct sim *sim,
		      void (*fn)(void *ctx, const char *name, uint64_t value), void *ctx);

/* ---- Per-sim extension slots --------------------------------------------- */
/*
 * Components that need one object per simulation (the Lua runner, the topology)
 * hang it here instead of in a global.  Keys are short strings; the destructor
 * runs at eng_sim_free() in reverse registration order.
 */
int eng_attach(struct sim *sim, const char *key, void *obj, void (*destroy)(void *obj));
void *eng_attached(const struct sim *sim, const char *key);

/* ---- SHA-256 (used by the trace hash and by artifact hashing) ------------ */
struct eng_sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t fill;
};
void eng_sha256_init(struct eng_sha256 *c);
void eng_sha256_update(struct eng_sha256 *c, const void *data, size_t len);
void eng_sha256_final(struct eng_sha256 *c, uint8_t out[32]);
void eng_sha256_hex(const uint8_t digest[32], char out[65]);
/* Hash a whole file; 0 or -errno. */
int eng_sha256_file(const char *path, char out[65]);

/* Inline flag check: struct sim starts with this; the rest is private. */
struct eng_sim_public {
	bool trace_on;
};
static inline bool eng_trace_on(const struct sim *sim)
{
	return ((const struct eng_sim_public *)(const void *)sim)->trace_on;
}

#endif
