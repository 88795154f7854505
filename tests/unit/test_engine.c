// SPDX-License-Identifier: MIT
#include "sim/engine/engine.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <stdlib.h>

struct log {
	int seen[64];
	int n;
	sim_time_t when[64];
};

static void record(struct sim *sim, void *arg)
{
	struct log *l = eng_attached(sim, "log");
	if (l->n < 64) {
		l->when[l->n] = eng_now(sim);
		l->seen[l->n++] = (int)(intptr_t)arg;
	}
}

static struct sim *sim_with_log(struct log *l)
{
	struct sim *sim = eng_sim_new(1, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sim);
	CU_ASSERT_EQUAL(eng_attach(sim, "log", l, NULL), 0);
	return sim;
}

static void test_events_run_in_time_order(void)
{
	struct log l = { 0 };
	struct sim *sim = sim_with_log(&l);

	eng_schedule_at(sim, ENG_NS(30), record, (void *)3);
	eng_schedule_at(sim, ENG_NS(10), record, (void *)1);
	eng_schedule_at(sim, ENG_NS(20), record, (void *)2);
	CU_ASSERT_EQUAL(eng_run_until(sim, ENG_TIME_MAX), 3);
	CU_ASSERT_EQUAL(l.seen[0], 1);
	CU_ASSERT_EQUAL(l.seen[1], 2);
	CU_ASSERT_EQUAL(l.seen[2], 3);
	CU_ASSERT_EQUAL(l.when[2], ENG_NS(30));
	CU_ASSERT_EQUAL(eng_now(sim), ENG_NS(30));
	eng_sim_free(sim);
}

static void test_equal_time_events_run_in_insertion_order(void)
{
	struct log l = { 0 };
	struct sim *sim = sim_with_log(&l);

	for (int i = 0; i < 40; i++)
		eng_schedule_at(sim, ENG_NS(5), record, (void *)(intptr_t)i);
	eng_run_until(sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(l.n, 40);
	for (int i = 0; i < 40; i++)
		CU_ASSERT_EQUAL(l.seen[i], i);
	eng_sim_free(sim);
}

static void test_cancel_removes_event_and_stale_handle_is_enoent(void)
{
	struct log l = { 0 };
	struct sim *sim = sim_with_log(&l);
	eng_event_id a = eng_schedule_at(sim, 10, record, (void *)1);
	eng_event_id b = eng_schedule_at(sim, 20, record, (void *)2);

	CU_ASSERT(eng_pending(sim, a));
	CU_ASSERT_EQUAL(eng_cancel(sim, a), 0);
	CU_ASSERT_FALSE(eng_pending(sim, a));
	CU_ASSERT_EQUAL(eng_cancel(sim, a), -ENOENT);
	/* the freed slot is reused: the old handle must not cancel the new event */
	eng_event_id c = eng_schedule_at(sim, 30, record, (void *)3);
	CU_ASSERT_EQUAL(eng_cancel(sim, a), -ENOENT);
	CU_ASSERT(eng_pending(sim, c));
	eng_run_until(sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(l.n, 2);
	CU_ASSERT_EQUAL(l.seen[0], 2);
	CU_ASSERT_EQUAL(l.seen[1], 3);
	CU_ASSERT_EQUAL(eng_cancel(sim, b), -ENOENT);
	CU_ASSERT_EQUAL(eng_cancel(sim, 0), -ENOENT);
	eng_sim_free(sim);
}

static void test_schedule_in_past_is_refused(void)
{
	struct log l = { 0 };
	struct sim *sim = sim_with_log(&l);

	eng_schedule_at(sim, 100, record, (void *)1);
	eng_run_until(sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(eng_schedule_at(sim, 50, record, NULL), 0);
	CU_ASSERT_EQUAL(eng_schedule_at(sim, 100, NULL, NULL), 0);
	CU_ASSERT_EQUAL(eng_schedule_in(sim, ENG_TIME_MAX, record, NULL), 0);
	eng_sim_free(sim);
}

static void test_run_until_stops_at_bound_and_advances_time(void)
{
	struct log l = { 0 };
	struct sim *sim = sim_with_log(&l);

	eng_schedule_at(sim, ENG_US(1), record, (void *)1);
	eng_schedule_at(sim, ENG_US(3), record, (void *)2);
	CU_ASSERT_EQUAL(eng_run_until(sim, ENG_US(2)), 1);
	CU_ASSERT_EQUAL(eng_now(sim), ENG_US(2));
	CU_ASSERT_EQUAL(eng_next_time(sim), ENG_US(3));
	CU_ASSERT_EQUAL(eng_run_until(sim, ENG_US(3)), 1);
	CU_ASSERT_EQUAL(eng_next_time(sim), ENG_TIME_MAX);
	eng_sim_free(sim);
}

static void stopper(struct sim *sim, void *arg)
{
	(void)arg;
	eng_stop(sim);
}

static void test_stop_halts_run(void)
{
	struct log l = { 0 };
	struct sim *sim = sim_with_log(&l);

	eng_schedule_at(sim, 10, stopper, NULL);
	eng_schedule_at(sim, 20, record, (void *)1);
	CU_ASSERT_EQUAL(eng_run_until(sim, ENG_TIME_MAX), 1);
	CU_ASSERT(eng_stopped(sim));
	CU_ASSERT_EQUAL(l.n, 0);
	CU_ASSERT_EQUAL(eng_now(sim), 10);
	CU_ASSERT_EQUAL(eng_run_until(sim, ENG_TIME_MAX), 1);
	CU_ASSERT_EQUAL(l.n, 1);
	eng_sim_free(sim);
}

/*
 * Differential test: 1e6 random schedule/cancel/step operations against a
 * reference that keeps pending events in an unsorted array and finds the minimum
 * by linear scan.  Both must execute the same events in the same order.
 */
struct ref_ev {
	sim_time_t t;
	uint64_t seq;
	uint32_t tag;
	eng_event_id id;
};

struct diff_state {
	uint32_t last_tag;
	uint64_t fired;
};

static void diff_fire(struct sim *sim, void *arg)
{
	struct diff_state *d = eng_attached(sim, "diff");
	d->last_tag = (uint32_t)(uintptr_t)arg;
	d->fired++;
}

static void test_random_operations_match_reference_queue(void)
{
	struct sim *sim = eng_sim_new(42, 0);
	struct diff_state d = { 0 };
	struct eng_rng rng;
	size_t cap = 4096, n = 0;
	struct ref_ev *ref = malloc(cap * sizeof(*ref));
	uint64_t seq = 0, mismatches = 0;
	uint32_t tag = 1;

	CU_ASSERT_FATAL(sim && ref);
	eng_attach(sim, "diff", &d, NULL);
	eng_rng_seed(&rng, 12345);
	for (int op = 0; op < 1000000; op++) {
		uint64_t r = eng_rng_below(&rng, 100);

		if (r < 50 && n < cap) {
			/* schedule, with many equal times to exercise ties */
			sim_time_t t = eng_now(sim) + eng_rng_below(&rng, 64);
			eng_event_id id = eng_schedule_at(sim, t, diff_fire, (void *)(uintptr_t)tag);

			ref[n++] = (struct ref_ev){ t, seq++, tag++, id };
		} else if (r < 65 && n > 0) {
			size_t k = eng_rng_below(&rng, n);

			if (eng_cancel(sim, ref[k].id) != 0)
				mismatches++;
			ref[k] = ref[--n];
		} else if (n > 0) {
			size_t best = 0;

			for (size_t k = 1; k < n; k++)
				if (ref[k].t < ref[best].t ||
				    (ref[k].t == ref[best].t && ref[k].seq < ref[best].seq))
					best = k;
			if (!eng_step(sim) || d.last_tag != ref[best].tag ||
			    eng_now(sim) != ref[best].t)
				mismatches++;
			ref[best] = ref[--n];
		}
		if (eng_queue_len(sim) != n)
			mismatches++;
		if (op % 1000 == 0 && eng_queue_check(sim) != 0)
			mismatches++;
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT_EQUAL(eng_queue_check(sim), 0);
	free(ref);
	eng_sim_free(sim);
}

/* ---- ladder queue internals ---------------------------------------------- */

/*
 * Reference for the tests below: a binary min-heap of (time, seq, tag) with
 * lazily deleted tags, simple enough to trust.
 */
struct ref_heap {
	struct ref_ev *a;
	size_t n, cap;
};

static bool ref_before(const struct ref_ev *x, const struct ref_ev *y)
{
	return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static void ref_push(struct ref_heap *h, struct ref_ev x)
{
	size_t i;

	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 1024;
		h->a = realloc(h->a, h->cap * sizeof(*h->a));
		CU_ASSERT_PTR_NOT_NULL_FATAL(h->a);
	}
	for (i = h->n++; i && ref_before(&x, &h->a[(i - 1) / 2]); i = (i - 1) / 2)
		h->a[i] = h->a[(i - 1) / 2];
	h->a[i] = x;
}

static struct ref_ev ref_pop(struct ref_heap *h)
{
	struct ref_ev top = h->a[0], x = h->a[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && ref_before(&h->a[c + 1], &h->a[c]))
			c++;
		if (!ref_before(&h->a[c], &x))
			break;
		h->a[i] = h->a[c];
		i = c;
	}
	if (h->n)
		h->a[i] = x;
	return top;
}

/* Drives a sim and the reference together; counts every disagreement. */
struct duo {
	struct sim *sim;
	struct diff_state d;
	struct ref_heap ref;
	eng_event_id *ids; /* by tag */
	bool *gone;	   /* by tag: ran or cancelled */
	sim_time_t *when;  /* by tag */
	uint32_t ntags, cap;
	uint64_t seq, live, bad;
};

static void duo_init(struct duo *u, uint32_t max_tags)
{
	memset(u, 0, sizeof(*u));
	u->sim = eng_sim_new(3, 0);
	u->cap = max_tags;
	u->ids = calloc(max_tags + 1, sizeof(*u->ids));
	u->gone = calloc(max_tags + 1, sizeof(*u->gone));
	u->when = calloc(max_tags + 1, sizeof(*u->when));
	CU_ASSERT_FATAL(u->sim && u->ids && u->gone && u->when);
	CU_ASSERT_EQUAL_FATAL(eng_attach(u->sim, "diff", &u->d, NULL), 0);
}

static void duo_free(struct duo *u)
{
	CU_ASSERT_EQUAL(u->bad, 0);
	eng_sim_free(u->sim);
	free(u->ref.a);
	free(u->ids);
	free(u->gone);
	free(u->when);
}

/* Schedule at absolute time t; returns the tag. */
static uint32_t duo_at(struct duo *u, sim_time_t t)
{
	uint32_t tag = ++u->ntags;

	CU_ASSERT_FATAL(tag <= u->cap);
	u->ids[tag] = eng_schedule_at(u->sim, t, diff_fire, (void *)(uintptr_t)tag);
	u->when[tag] = t;
	if (!u->ids[tag]) {
		u->bad++;
		u->gone[tag] = true;
		return tag;
	}
	ref_push(&u->ref, (struct ref_ev){ t, u->seq++, tag, u->ids[tag] });
	u->live++;
	return tag;
}

static void duo_cancel(struct duo *u, uint32_t tag)
{
	int rc = eng_cancel(u->sim, u->ids[tag]);

	if (rc != (u->gone[tag] ? -ENOENT : 0))
		u->bad++;
	if (!u->gone[tag]) {
		u->gone[tag] = true;
		u->live--;
	}
	if (eng_pending(u->sim, u->ids[tag]))
		u->bad++;
}

/* Run one event; it must be the reference's earliest live one. */
static void duo_step(struct duo *u)
{
	struct ref_ev e;

	if (!u->live) {
		if (eng_step(u->sim))
			u->bad++;
		return;
	}
	do
		e = ref_pop(&u->ref);
	while (u->gone[e.tag]);
	if (eng_next_time(u->sim) != e.t || !eng_step(u->sim) || u->d.last_tag != e.tag ||
	    eng_now(u->sim) != e.t)
		u->bad++;
	u->gone[e.tag] = true;
	u->live--;
}

static void duo_drain(struct duo *u)
{
	while (u->live)
		duo_step(u);
	if (eng_step(u->sim) || eng_queue_len(u->sim) != 0 || eng_queue_check(u->sim) != 0)
		u->bad++;
}

static void duo_check(struct duo *u)
{
	if (eng_queue_len(u->sim) != u->live || eng_queue_check(u->sim) != 0)
		u->bad++;
}

static void test_crowded_top_becomes_rung_and_runs_in_order(void)
{
	struct duo u;
	struct eng_rng r;
	struct eng_queue_info qi;

	/* the first event is sorted at once; all later ones are later, so they
	 * wait in the top until it has run */
	duo_init(&u, 5000);
	eng_rng_seed(&r, 1);
	duo_at(&u, 1);
	for (int i = 0; i < 4000; i++)
		duo_at(&u, 2 + eng_rng_below(&r, ENG_US(10)));
	eng_queue_info(u.sim, &qi);
	CU_ASSERT_EQUAL(qi.top, 4000);
	CU_ASSERT_EQUAL(qi.rungs, 0);
	duo_step(&u);
	eng_queue_info(u.sim, &qi);
	CU_ASSERT(qi.rungs >= 1);
	CU_ASSERT(qi.rung_entries > 3000);
	CU_ASSERT_EQUAL(qi.top + qi.rung_entries + qi.bottom, eng_queue_len(u.sim));
	duo_check(&u);
	duo_drain(&u);
	duo_free(&u);
}

static void test_crowded_bucket_splits_into_finer_rung(void)
{
	struct duo u;
	struct eng_queue_info qi;
	unsigned max_rungs = 0;

	/* 600 events within 600 ps among 100 spread over 100 us: the first bucket
	 * of rung 0 is crowded and must be split, several times over */
	duo_init(&u, 1000);
	for (int i = 0; i < 100; i++)
		duo_at(&u, ENG_US(1) * (uint64_t)i);
	for (int i = 0; i < 600; i++)
		duo_at(&u, 1000 + (uint64_t)(i * 7919) % 600);
	while (u.live) {
		eng_queue_info(u.sim, &qi);
		if (qi.rungs > max_rungs)
			max_rungs = qi.rungs;
		duo_check(&u);
		duo_step(&u);
	}
	CU_ASSERT(max_rungs >= 2);
	duo_drain(&u);
	duo_free(&u);
}

static void test_crowded_bottom_becomes_rung(void)
{
	struct duo u;
	struct eng_queue_info qi;
	size_t max_bottom = 0;
	unsigned rungs_before;

	/* a built rung 0, then many inserts just after now: they land in the
	 * bottom, which must not grow without bound */
	duo_init(&u, 5000);
	for (int i = 0; i < 1000; i++)
		duo_at(&u, ENG_NS(1) * (uint64_t)(i + 1) * 1000);
	duo_step(&u);
	eng_queue_info(u.sim, &qi);
	rungs_before = qi.rungs;
	for (int i = 0; i < 2000; i++) {
		duo_at(&u, eng_now(u.sim) + 1 + (uint64_t)(i * 37) % 500);
		eng_queue_info(u.sim, &qi);
		if (qi.bottom > max_bottom)
			max_bottom = qi.bottom;
	}
	eng_queue_info(u.sim, &qi);
	CU_ASSERT(qi.rungs > rungs_before);
	CU_ASSERT(max_bottom <= 256);
	duo_check(&u);
	/* ever earlier times: each split leaves a rung the next inserts precede */
	for (int i = 0; i < 1000; i++) {
		duo_at(&u, eng_now(u.sim) + 20000 - (uint64_t)i * 19);
		eng_queue_info(u.sim, &qi);
		if (qi.bottom > max_bottom)
			max_bottom = qi.bottom;
	}
	CU_ASSERT(max_bottom <= 256);
	duo_check(&u);
	duo_drain(&u);
	duo_free(&u);
}

static void test_cancel_below_a_rung_just_split_from_the_bottom(void)
{
	struct duo u;
	struct eng_queue_info qi;
	uint32_t early, in_rung;

	/* a bottom of 128 events, then one earlier than all: the bottom becomes a
	 * rung and the early event alone stays in the bottom */
	duo_init(&u, 1000);
	duo_at(&u, 1000);
	for (int i = 0; i < 127; i++)
		duo_at(&u, 500 + (uint64_t)i);
	in_rung = u.ntags;
	early = duo_at(&u, 100);
	eng_queue_info(u.sim, &qi);
	CU_ASSERT_EQUAL(qi.bottom, 1);
	CU_ASSERT_EQUAL(qi.rungs, 1);
	duo_cancel(&u, in_rung);
	duo_cancel(&u, early);
	duo_check(&u);
	CU_ASSERT_EQUAL(eng_next_time(u.sim), 500);
	duo_drain(&u);
	duo_free(&u);
}

static void test_bottom_reuses_its_array_when_appends_reach_the_end(void)
{
	struct duo u;

	/* equal times cannot be split into a rung: they stay in the bottom, whose
	 * head advances as events run while appends reach the array's end */
	duo_init(&u, 1000);
	for (int i = 0; i < 200; i++)
		duo_at(&u, ENG_NS(1));
	for (int i = 0; i < 100; i++)
		duo_step(&u);
	for (int i = 0; i < 300; i++)
		duo_at(&u, ENG_NS(1));
	duo_check(&u);
	duo_drain(&u);
	duo_free(&u);
}

static void test_many_equal_times_run_in_scheduling_order(void)
{
	struct duo u;

	/* more equal times than any bucket or sort threshold, amid other times */
	duo_init(&u, 3000);
	for (int i = 0; i < 1500; i++) {
		duo_at(&u, ENG_NS(100));
		if (i % 3 == 0)
			duo_at(&u, ENG_NS(100) + (uint64_t)(i % 7) - 3);
	}
	duo_check(&u);
	duo_drain(&u);
	duo_free(&u);
}

static void test_times_near_time_max_run_in_order(void)
{
	struct duo u;
	struct eng_rng r;

	duo_init(&u, 3000);
	eng_rng_seed(&r, 2);
	/* a crowded top at the end of time: rung 0 must not reach past it */
	duo_at(&u, ENG_TIME_MAX - 5000);
	for (int i = 0; i < 300; i++)
		duo_at(&u, ENG_TIME_MAX - eng_rng_below(&r, 3000));
	duo_step(&u);
	duo_check(&u);
	while (u.live)
		duo_step(&u);
	eng_sim_free(u.sim);
	u.sim = eng_sim_new(3, 0);
	CU_ASSERT_EQUAL_FATAL(eng_attach(u.sim, "diff", &u.d, NULL), 0);

	duo_at(&u, ENG_TIME_MAX);
	duo_at(&u, ENG_TIME_MAX - 1);
	duo_at(&u, 5);
	for (int i = 0; i < 1000; i++) /* spread over the whole range, and crowded at the end */
		duo_at(&u, i % 2 ? eng_rng_next(&r) : ENG_TIME_MAX - eng_rng_below(&r, 3000));
	duo_at(&u, ENG_TIME_MAX);
	duo_check(&u);
	while (u.live > 500)
		duo_step(&u);
	/* keep scheduling while time is close to the end */
	for (int i = 0; i < 500; i++)
		duo_at(&u, eng_now(u.sim) + eng_rng_below(&r, ENG_TIME_MAX - eng_now(u.sim) + 1));
	duo_check(&u);
	duo_drain(&u);
	CU_ASSERT_EQUAL(eng_now(u.sim), ENG_TIME_MAX);
	CU_ASSERT_EQUAL(eng_schedule_in(u.sim, 1, diff_fire, NULL), 0);
	CU_ASSERT_NOT_EQUAL(eng_schedule_in(u.sim, 0, diff_fire, NULL), 0);
	CU_ASSERT(eng_step(u.sim));
	duo_free(&u);
}

static void test_cancel_in_top_rung_and_bottom(void)
{
	struct duo u;
	struct eng_queue_info a, b;
	uint32_t in_top, in_rung = 900, in_bottom;

	/* rung 0 over [0, 1 us), the bottom at its start, one event far away */
	duo_init(&u, 3000);
	for (int i = 0; i < 1000; i++)
		duo_at(&u, (uint64_t)i * 1000);
	duo_step(&u); /* builds rung 0 and fills the bottom */
	in_top = duo_at(&u, ENG_S(1));
	in_bottom = 2; /* the earliest pending event: the bottom's head */
	CU_ASSERT_EQUAL(eng_next_time(u.sim), u.when[in_bottom]);
	eng_queue_info(u.sim, &a);
	CU_ASSERT(a.top >= 1 && a.rungs >= 1 && a.rung_entries >= 1 && a.bottom >= 1);
	CU_ASSERT_EQUAL(a.cancelled, 0);

	duo_cancel(&u, in_bottom); /* removed from the bottom at once */
	eng_queue_info(u.sim, &b);
	CU_ASSERT_EQUAL(b.cancelled, 0);
	CU_ASSERT_EQUAL(eng_next_time(u.sim), u.when[in_bottom + 1]);
	duo_cancel(&u, in_top); /* entries stay queued, to be reclaimed later */
	duo_cancel(&u, in_rung);
	eng_queue_info(u.sim, &b);
	CU_ASSERT_EQUAL(b.cancelled, 2);
	CU_ASSERT_EQUAL(b.top, a.top);
	CU_ASSERT_EQUAL(eng_queue_len(u.sim), 1000 - 1 - 3 + 1);
	duo_check(&u);
	duo_cancel(&u, in_top); /* again: -ENOENT */
	duo_cancel(&u, in_rung);
	duo_cancel(&u, in_bottom);
	duo_cancel(&u, 1); /* ran */
	duo_check(&u);
	duo_drain(&u);
	eng_queue_info(u.sim, &b);
	CU_ASSERT_EQUAL(b.cancelled, 0);
	duo_free(&u);
}

static void test_rearmed_timers_do_not_pile_up(void)
{
	struct duo u;
	struct eng_queue_info qi;
	size_t max_cancelled = 0;
	uint32_t timer[16] = { 0 };

	/* the classic timeout pattern: far timers cancelled and re-armed on every
	 * event; their cancelled entries must be reclaimed */
	duo_init(&u, 250000);
	for (int i = 0; i < 16; i++)
		timer[i] = duo_at(&u, ENG_MS(1) + (uint64_t)i);
	for (int i = 0; i < 200; i++)
		duo_at(&u, ENG_NS(1) * (uint64_t)i);
	for (int i = 0; i < 100000; i++) {
		uint32_t k = (uint32_t)i % 16;

		duo_cancel(&u, timer[k]);
		timer[k] = duo_at(&u, eng_now(u.sim) + ENG_MS(1) + k);
		if (i % 2 == 0) {
			duo_step(&u);
			duo_at(&u, eng_now(u.sim) + ENG_NS(200));
		}
		eng_queue_info(u.sim, &qi);
		if (qi.cancelled > max_cancelled)
			max_cancelled = qi.cancelled;
		if (i % 4999 == 0)
			duo_check(&u);
	}
	CU_ASSERT(max_cancelled > 0);
	CU_ASSERT(max_cancelled <= 2 * (1024 + eng_queue_len(u.sim)));
	duo_check(&u);
	duo_drain(&u);
	duo_free(&u);
}

/*
 * Randomised differential test over many time distributions (tiny and huge
 * delays, equal times, decreasing times, times near ENG_TIME_MAX, re-armed
 * timers), with the queue's invariants checked as it goes.
 */
static void test_mixed_distributions_match_reference_heap(void)
{
	struct duo u;
	struct eng_rng r;
	int mode = 0, target = 100;

	duo_init(&u, 400000);
	eng_rng_seed(&r, 777);
	for (int op = 0; op < 300000; op++) {
		sim_time_t now = eng_now(u.sim), d;
		uint64_t x = eng_rng_below(&r, 100);

		if (op % 15000 == 0) {
			mode = (int)eng_rng_below(&r, 9);
			target = 1 + (int)eng_rng_below(&r, 3000);
		}
		if (x < (u.live < (uint64_t)target ? 60u : 30u)) {
			switch (mode) {
			case 0: d = eng_rng_below(&r, 64); break;
			case 1: d = 1 + eng_rng_below(&r, 2000000); break;
			case 2: d = x & 1 ? eng_rng_below(&r, 100) : eng_rng_below(&r, ENG_S(10)); break;
			case 3: d = x % 5 ? eng_rng_below(&r, 1000) : ENG_TIME_MAX - now - eng_rng_below(&r, 9); break;
			case 4: d = 0; break;
			case 5: d = eng_rng_below(&r, (uint64_t)1 << eng_rng_below(&r, 64)); break;
			case 6: d = 1000000 - (uint64_t)(op % 1000000); break; /* before everything */
			case 7: d = eng_rng_below(&r, 3) * 1000; break;
			default: d = ENG_MS(1) + eng_rng_below(&r, 1000); break;
			}
			duo_at(&u, d > ENG_TIME_MAX - now ? ENG_TIME_MAX : now + d);
		} else if (x < 75 && u.ntags) {
			/* cancel a recent or a random tag, live or not */
			uint32_t back = (uint32_t)eng_rng_below(&r, 8);
			uint32_t tag = mode == 8 && back < u.ntags ? u.ntags - back
							      : 1 + (uint32_t)eng_rng_below(&r, u.ntags);

			duo_cancel(&u, tag);
		} else {
			duo_step(&u);
		}
		if (op % 97 == 0)
			duo_check(&u);
	}
	duo_drain(&u);
	duo_free(&u);
}

static void test_handle_stays_stale_after_slot_reuse(void)
{
	struct duo u;
	uint32_t a, b;

	duo_init(&u, 100);
	a = duo_at(&u, 10);
	duo_step(&u);
	CU_ASSERT_FALSE(eng_pending(u.sim, u.ids[a]));
	b = duo_at(&u, 20); /* likely the same slot */
	CU_ASSERT_NOT_EQUAL(u.ids[a], u.ids[b]);
	duo_cancel(&u, a);
	CU_ASSERT(eng_pending(u.sim, u.ids[b]));
	CU_ASSERT_EQUAL(eng_cancel(u.sim, u.ids[a] ^ ((uint64_t)1 << 40)), -ENOENT);
	CU_ASSERT_EQUAL(eng_cancel(u.sim, (uint64_t)1 << 32), -ENOENT); /* slot never used */
	duo_drain(&u);
	duo_free(&u);
}

static void test_rng_streams_reproducible_and_independent(void)
{
	struct sim *a = eng_sim_new(7, 0), *b = eng_sim_new(7, 0), *c = eng_sim_new(7, 1);
	struct eng_rng ra, rb, rc, rd;
	int same_ab = 0, same_ac = 0, same_ad = 0;

	eng_rng_stream(a, "nic0", &ra);
	eng_rng_stream(b, "nic0", &rb);
	eng_rng_stream(c, "nic0", &rc);
	eng_rng_stream(a, "nic1", &rd);
	for (int i = 0; i < 1000; i++) {
		uint64_t x = eng_rng_next(&ra);

		same_ab += x == eng_rng_next(&rb);
		same_ac += x == eng_rng_next(&rc);
		same_ad += x == eng_rng_next(&rd);
	}
	CU_ASSERT_EQUAL(same_ab, 1000);
	CU_ASSERT_EQUAL(same_ac, 0);
	CU_ASSERT_EQUAL(same_ad, 0);
	eng_sim_free(a);
	eng_sim_free(b);
	eng_sim_free(c);
}

static void test_rng_below_is_in_range_and_roughly_uniform(void)
{
	struct eng_rng r;
	int bins[10] = { 0 };

	eng_rng_seed(&r, 99);
	for (int i = 0; i < 100000; i++) {
		uint64_t v = eng_rng_below(&r, 10);
		CU_ASSERT_FATAL(v < 10);
		bins[v]++;
	}
	for (int i = 0; i < 10; i++)
		CU_ASSERT(bins[i] > 9500 && bins[i] < 10500);
	CU_ASSERT_EQUAL(eng_rng_below(&r, 0), 0);
	CU_ASSERT_EQUAL(eng_rng_below(&r, 1), 0);
	double u = eng_rng_unit(&r);
	CU_ASSERT(u >= 0.0 && u < 1.0);
}

/* A bound just above 2^63 rejects almost half the raw draws: the results must
 * still be in range and reach both halves. */
static void test_rng_below_huge_bound(void)
{
	struct eng_rng r;
	uint64_t bound = ((uint64_t)1 << 63) + 12345, high = 0;

	eng_rng_seed(&r, 5);
	for (int i = 0; i < 10000; i++) {
		uint64_t v = eng_rng_below(&r, bound);

		CU_ASSERT_FATAL(v < bound);
		high += v >= bound / 2;
	}
	CU_ASSERT(high > 4500 && high < 5500);
	for (int i = 0; i < 1000; i++)
		CU_ASSERT_FATAL(eng_rng_below(&r, UINT64_MAX) < UINT64_MAX);
}

/* Known-answer: xoshiro256** seeded by splitmix64(0) must not drift between builds. */
static void test_rng_known_answer(void)
{
	struct eng_rng r;
	eng_rng_seed(&r, 0);
	/* splitmix64 from 0 gives the first state word 0xe220a8397b1dcdaf */
	CU_ASSERT_EQUAL(r.s[0], 0xe220a8397b1dcdafULL);
}

struct chain {
	int left;
	uint64_t fired;
};

static void chain_fire(struct sim *sim, void *arg)
{
	struct chain *c = arg;
	c->fired++;
	if (--c->left > 0)
		eng_schedule_in(sim, 7, chain_fire, c);
}

static void test_two_sims_do_not_interfere(void)
{
	struct sim *a = eng_sim_new(1, 0), *b = eng_sim_new(2, 0);
	struct chain ca = { 100, 0 }, cb = { 50, 0 };

	eng_schedule_at(a, 0, chain_fire, &ca);
	eng_schedule_at(b, 3, chain_fire, &cb);
	/* interleave the two */
	while ((int)eng_step(a) | (int)eng_step(b)) /* step both every time */
		;
	CU_ASSERT_EQUAL(ca.fired, 100);
	CU_ASSERT_EQUAL(cb.fired, 50);
	CU_ASSERT_EQUAL(eng_now(a), 99 * 7);
	CU_ASSERT_EQUAL(eng_now(b), 3 + 49 * 7);
	CU_ASSERT_EQUAL(eng_events_executed(a), 100);
	CU_ASSERT_EQUAL(eng_events_executed(b), 50);
	eng_sim_free(a);
	eng_sim_free(b);
}

static void test_sha256_known_answers(void)
{
	struct eng_sha256 c;
	uint8_t d[32];
	char hex[65];

	eng_sha256_init(&c);
	eng_sha256_update(&c, "abc", 3);
	eng_sha256_final(&c, d);
	eng_sha256_hex(d, hex);
	CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	eng_sha256_init(&c);
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	for (const char *p = m; *p; p++) /* byte at a time crosses block edges */
		eng_sha256_update(&c, p, 1);
	eng_sha256_final(&c, d);
	eng_sha256_hex(d, hex);
	CU_ASSERT_STRING_EQUAL(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

struct sink_buf {
	char text[256];
	size_t len;
};

static void sink(void *ctx, const char *line, size_t len)
{
	struct sink_buf *s = ctx;
	if (s->len + len < sizeof(s->text)) {
		memcpy(s->text + s->len, line, len);
		s->len += len;
		s->text[s->len] = 0;
	}
}

static void test_trace_records_and_hash_is_deterministic(void)
{
	struct sim *a = eng_sim_new(1, 0), *b = eng_sim_new(1, 0);
	struct sink_buf s = { { 0 }, 0 };
	char ha[65], hb[65];

	eng_trace(a, "pcie", "dma", "len=%d", 64); /* off: not recorded */
	CU_ASSERT_EQUAL(eng_trace_records(a), 0);
	eng_trace_enable(a, sink, &s);
	eng_trace_hash_only(b);
	eng_trace(a, "pcie", "dma", "len=%d", 64);
	eng_trace(b, "pcie", "dma", "len=%d", 64);
	CU_ASSERT_STRING_EQUAL(s.text, "0 pcie dma len=64\n");
	eng_trace_digest(a, ha);
	eng_trace_digest(b, hb);
	CU_ASSERT_STRING_EQUAL(ha, hb);
	eng_trace(b, "pcie", "dma", "len=%d", 65);
	eng_trace_digest(b, hb);
	CU_ASSERT_STRING_NOT_EQUAL(ha, hb);
	eng_sim_free(a);
	eng_sim_free(b);
}

static void visit(void *ctx, const char *name, uint64_t v)
{
	char *out = ctx;
	char buf[64];
	snprintf(buf, sizeof(buf), "%s=%llu;", name, (unsigned long long)v);
	strcat(out, buf);
}

static void test_stats_are_named_and_sorted(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	char out[256] = "";

	eng_stat_add(sim, "wire.frames", 3);
	eng_stat_add(sim, "a.first", 1);
	eng_stat_add(sim, "wire.frames", 2);
	*eng_stat(sim, "m.mid") = 9;
	eng_stat_foreach(sim, visit, out);
	CU_ASSERT_STRING_EQUAL(out, "a.first=1;m.mid=9;wire.frames=5;");
	CU_ASSERT_EQUAL(eng_stat_get(sim, "absent"), 0);
	eng_sim_free(sim);
}

static int destroyed;
static void destroy_counter(void *obj)
{
	destroyed += (int)(intptr_t)obj;
}

static void test_attachments_destroyed_with_sim(void)
{
	struct sim *sim = eng_sim_new(1, 0);

	destroyed = 0;
	CU_ASSERT_EQUAL(eng_attach(sim, "x", (void *)1, destroy_counter), 0);
	CU_ASSERT_EQUAL(eng_attach(sim, "y", (void *)10, destroy_counter), 0);
	CU_ASSERT_EQUAL(eng_attach(sim, "x", (void *)5, destroy_counter), -EEXIST);
	CU_ASSERT_PTR_EQUAL(eng_attached(sim, "y"), (void *)10);
	eng_sim_free(sim);
	CU_ASSERT_EQUAL(destroyed, 11);
}

CU_MAIN("engine",
	CU_TEST_ENTRY(test_events_run_in_time_order),
	CU_TEST_ENTRY(test_equal_time_events_run_in_insertion_order),
	CU_TEST_ENTRY(test_cancel_removes_event_and_stale_handle_is_enoent),
	CU_TEST_ENTRY(test_schedule_in_past_is_refused),
	CU_TEST_ENTRY(test_run_until_stops_at_bound_and_advances_time),
	CU_TEST_ENTRY(test_stop_halts_run),
	CU_TEST_ENTRY(test_random_operations_match_reference_queue),
	CU_TEST_ENTRY(test_crowded_top_becomes_rung_and_runs_in_order),
	CU_TEST_ENTRY(test_crowded_bucket_splits_into_finer_rung),
	CU_TEST_ENTRY(test_crowded_bottom_becomes_rung),
	CU_TEST_ENTRY(test_cancel_below_a_rung_just_split_from_the_bottom),
	CU_TEST_ENTRY(test_bottom_reuses_its_array_when_appends_reach_the_end),
	CU_TEST_ENTRY(test_many_equal_times_run_in_scheduling_order),
	CU_TEST_ENTRY(test_times_near_time_max_run_in_order),
	CU_TEST_ENTRY(test_cancel_in_top_rung_and_bottom),
	CU_TEST_ENTRY(test_rearmed_timers_do_not_pile_up),
	CU_TEST_ENTRY(test_mixed_distributions_match_reference_heap),
	CU_TEST_ENTRY(test_handle_stays_stale_after_slot_reuse),
	CU_TEST_ENTRY(test_rng_streams_reproducible_and_independent),
	CU_TEST_ENTRY(test_rng_below_is_in_range_and_roughly_uniform),
	CU_TEST_ENTRY(test_rng_below_huge_bound),
	CU_TEST_ENTRY(test_rng_known_answer),
	CU_TEST_ENTRY(test_two_sims_do_not_interfere),
	CU_TEST_ENTRY(test_sha256_known_answers),
	CU_TEST_ENTRY(test_trace_records_and_hash_is_deterministic),
	CU_TEST_ENTRY(test_stats_are_named_and_sorted),
	CU_TEST_ENTRY(test_attachments_destroyed_with_sim))
