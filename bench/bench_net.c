// SPDX-License-Identifier: MIT
/*
 * Wire throughput of the simulator: a line-rate generator feeding a sink over
 * a 100G link, 64 B frames and IMIX, with and without a pcap tap.  Prints
 * simulated frames per wall-second (and how far the simulation runs behind
 * real time) plus RESULT lines for tools/run-bench.sh.
 */
#include "sim/net/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int run(const char *key, const struct net_gen_cfg *cfg, sim_time_t span, bool tap)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct net_gen *gen = NULL;
	struct net_sink *sink = NULL;
	struct net_link *link = NULL;
	struct net_tap *t = NULL;
	struct net_link_cfg lc = { .rate_bps = NET_RATE_100G, .length_m = 3 };
	struct net_sink_stats st;
	char path[64];
	double t0, t1, mfps;
	int rc = -1;

	if (!sim || net_gen_new(sim, cfg, &gen) || net_sink_new(sim, NULL, &sink) ||
	    net_link_new(sim, &lc, net_gen_port(gen), net_sink_port(sink), &link))
		goto out;
	if (tap) {
		snprintf(path, sizeof(path), "/tmp/bench_net.%d.pcap", (int)getpid());
		if (net_tap_open(sim, path, &t) || net_tap_link(t, link, NET_DIR_AB))
			goto out;
	}
	if (net_gen_start(gen, 0))
		goto out;
	t0 = wall_seconds();
	eng_run_until(sim, span);
	t1 = wall_seconds();
	net_sink_stats(sink, &st);
	if (st.lost || st.in_order != st.frames)
		goto out;
	mfps = (double)st.frames / (t1 - t0) / 1e6;
	printf("net %-12s %9llu frames in %5.1f ms simulated: %7.2f M frames/s wall, %6.1fx slower "
	       "than real time\n",
	       key, (unsigned long long)st.frames, (double)span / 1e9, mfps,
	       (t1 - t0) / ((double)span / 1e12));
	printf("RESULT net.%s.mframes_per_s %.3f\n", key, mfps);
	rc = 0;
out:
	if (t) {
		net_tap_close(t);
		unlink(path);
	}
	net_link_free(link);
	net_gen_free(gen);
	net_sink_free(sink);
	eng_sim_free(sim);
	if (rc)
		fprintf(stderr, "bench_net: %s failed\n", key);
	return rc;
}

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1.0;
	sim_time_t span = (sim_time_t)(ENG_MS(20) * scale);
	struct net_gen_cfg small = { .frame_len = 60, .flows = 8 };
	struct net_gen_cfg imix = { .sizes = net_imix, .nsizes = 3, .flows = 8 };
	int rc = 0;

	rc |= run("64b", &small, span, false);
	rc |= run("imix", &imix, span, false);
	rc |= run("64b_pcap", &small, span / 4, true);
	return rc ? 1 : 0;
}
