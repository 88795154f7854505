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
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	free(ref);
	eng_sim_free(sim);
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
	double u = eng_rng_unit(&r);
	CU_ASSERT(u >= 0.0 && u < 1.0);
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
	while (eng_step(a) | eng_step(b))
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
	CU_TEST_ENTRY(test_rng_streams_reproducible_and_independent),
	CU_TEST_ENTRY(test_rng_below_is_in_range_and_roughly_uniform),
	CU_TEST_ENTRY(test_rng_known_answer),
	CU_TEST_ENTRY(test_two_sims_do_not_interfere),
	CU_TEST_ENTRY(test_sha256_known_answers),
	CU_TEST_ENTRY(test_trace_records_and_hash_is_deterministic),
	CU_TEST_ENTRY(test_stats_are_named_and_sorted),
	CU_TEST_ENTRY(test_attachments_destroyed_with_sim))
