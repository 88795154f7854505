/* SPDX-License-Identifier: MIT */
/*
 * Private to sim/engine: struct sim, shared by engine.c (the sim, RNG, trace,
 * statistics, attachments) and queue.c (the event queue).  Other components
 * include sim/engine/engine.h only.
 */
#ifndef VDPASIM_ENGINE_PRIVATE_H
#define VDPASIM_ENGINE_PRIVATE_H

#include "sim/engine/engine.h"

/* Beyond this many rungs a crowded bucket is sorted whatever its size. */
#define LQ_MAX_RUNGS 16

struct rung {
	sim_time_t start;     /* time of bucket 0 */
	uint32_t shift;	      /* bucket width is 2^shift ps */
	uint32_t nb;	      /* buckets */
	uint32_t cur;	      /* buckets below cur are taken: gone to the bottom or a child */
	uint32_t count;	      /* entries in buckets >= cur, cancelled ones included */
	struct chunk *bucket; /* nb buckets */
	uint32_t cap;
};

/* The event queue, a ladder queue: see queue.c. */
struct eng_queue {
	struct event *ev; /* slots, indexed by the low half of a handle */
	uint32_t nev, ev_cap, free_head;
	uint32_t pending;   /* scheduled, not run, not cancelled */
	uint32_t cancelled; /* cancelled, entry still queued in the top or a rung */
	uint64_t next_seq;

	struct qent *top;
	uint32_t ntop, top_cap; /* top_cap and bot_cap >= nev >= queued entries */
	sim_time_t top_min, top_max; /* bounds of top times (loose after a cancel) */
	sim_time_t top_limit;	     /* later entries go to the top */

	struct rung rung[LQ_MAX_RUNGS];
	uint32_t nrungs;

	struct qent *bot; /* sorted, earliest at bot[bhead] */
	uint32_t bhead, btail;
	uint32_t bot_cap;
	uint32_t bot_split_at;

	struct chunk *chunk; /* pool for crowded buckets */
	uint32_t nchunk, chunk_free, nchunk_free;
};

struct sim {
	struct eng_sim_public pub; /* must stay first: eng_trace_on() reads it */
	sim_time_t now;
	uint64_t seed, run;
	uint64_t executed;
	bool stop;

	struct eng_queue q;

	eng_trace_sink trace_sink;
	void *trace_ctx;
	struct eng_sha256 trace_hash;
	uint64_t trace_records;

	struct stat_node **stats;
	size_t nstats, stats_cap;

	struct attachment *att;
	size_t natt, att_cap;
};

/* queue.c: set up an empty queue in zeroed memory; free its arrays. */
void eng_queue_init(struct eng_queue *q);
void eng_queue_destroy(struct eng_queue *q);

#endif
