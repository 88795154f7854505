// SPDX-License-Identifier: MIT
/*
 * Hold model: N events pending; each executed event schedules one more at
 * now + a random increment, uniform in [1 ps, 2 us] (mean 1 us), so the queue
 * size stays N.  Every event goes through eng_schedule_in() and eng_step().
 * Prints million events per wall-second for N = 1e3 .. 1e6 and one
 * "RESULT key value" line per size for tools/run-bench.sh to collect.
 */
#include "sim/engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct hold {
	struct eng_rng rng;
	uint64_t left;
};

static void hold_fire(struct sim *sim, void *arg)
{
	struct hold *h = arg;

	if (h->left == 0)
		return;
	h->left--;
	eng_schedule_in(sim, 1 + eng_rng_below(&h->rng, 2000000), hold_fire, h);
}

static double wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	static const uint64_t sizes[] = { 1000, 10000, 100000, 1000000 };
	double scale = argc > 1 ? atof(argv[1]) : 1.0;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t n = sizes[i], ops = (uint64_t)(20e6 * scale);
		struct sim *sim = eng_sim_new(1, 0);
		struct hold h;
		double t0, t1;

		eng_rng_stream(sim, "hold", &h.rng);
		h.left = ops;
		for (uint64_t k = 0; k < n; k++)
			eng_schedule_at(sim, eng_rng_below(&h.rng, 2000000), hold_fire, &h);
		/* warm up so the slab and heap are at their peak size */
		for (uint64_t k = 0; k < n && eng_step(sim); k++)
			;
		uint64_t start = eng_events_executed(sim);
		t0 = wall_seconds();
		while (h.left && eng_step(sim))
			;
		t1 = wall_seconds();
		uint64_t ev = eng_events_executed(sim) - start;
		double mev = (double)ev / (t1 - t0) / 1e6;
		printf("engine hold model  N=%-8llu %10llu events  %7.2f M events/s\n",
		       (unsigned long long)n, (unsigned long long)ev, mev);
		printf("RESULT engine.mev_per_s.%llu %.3f\n", (unsigned long long)n, mev);
		eng_sim_free(sim);
	}
	return 0;
}
