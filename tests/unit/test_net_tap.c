// SPDX-License-Identifier: MIT
/*
 * Pcap taps: the files are read back with tshark and capinfos (their output is
 * parsed, not just their exit status) and must be byte-identical across runs.
 */
#include "sim/net/net.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };

static const size_t send_lens[] = { 60, 20, 100, 1514, 1000 };

/*
 * Port A sends five frames back to back at t=0 over a 400G, 2 m link to a
 * loopback that swaps MACs.  At 400G the frames take 1680, 1680 (padded),
 * 2480, 30760 and 20480 ps; the cable adds 10000 ps.
 */
struct capture {
	sim_time_t ns;
	size_t len;
	bool from_b; /* source MAC is B's: the reflected copy */
};

/* link tap, both directions: stamped at arrival */
static const struct capture link_caps[] = {
	{ 11, 60, false },  { 13, 60, false },  { 15, 100, false }, { 23, 60, true },
	{ 25, 60, true },   { 28, 100, true },  { 46, 1514, false }, { 67, 1000, false },
	{ 87, 1514, true }, { 107, 1000, true },
};
/* port A tap: sent frames at the end of serialisation, received at arrival */
static const struct capture port_caps[] = {
	{ 1, 60, false },   { 3, 60, false },  { 5, 100, false },  { 23, 60, true },
	{ 25, 60, true },   { 28, 100, true }, { 36, 1514, false }, { 57, 1000, false },
	{ 87, 1514, true }, { 107, 1000, true },
};
#define NCAPS (sizeof(link_caps) / sizeof(link_caps[0]))

static void cleanup_tmpdir(void)
{
	char cmd[300];

	if (!getenv("KEEP_PCAPS")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}

/* A path in this run's temporary directory (KEEP_PCAPS=1 keeps it). */
static void path_of(char *buf, size_t cap, const char *name)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");

		snprintf(tmpdir, sizeof(tmpdir), "%s/test_net_tap.XXXXXX", base ? base : "/tmp");
		CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
		atexit(cleanup_tmpdir);
	}
	snprintf(buf, cap, "%s/%s", tmpdir, name);
}

/* Run the traffic above with a tap on the link and one on port A. */
static void run_capture(const char *link_pcap, const char *port_pcap)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct net_port *a;
	struct net_loopback *lb;
	struct net_loopback_cfg lbc = { .swap_mac = true };
	struct net_link_cfg lc = { .rate_bps = NET_RATE_400G, .length_m = 2 };
	struct net_link *l;
	struct net_tap *tl, *tp;
	uint8_t f[1514];

	CU_ASSERT_PTR_NOT_NULL_FATAL(sim);
	CU_ASSERT_EQUAL_FATAL(net_port_new(sim, NULL, NULL, NULL, &a), 0);
	CU_ASSERT_EQUAL_FATAL(net_loopback_new(sim, &lbc, &lb), 0);
	CU_ASSERT_EQUAL_FATAL(net_link_new(sim, &lc, a, net_loopback_port(lb), &l), 0);
	CU_ASSERT_EQUAL_FATAL(net_tap_open(sim, link_pcap, &tl), 0);
	CU_ASSERT_EQUAL_FATAL(net_tap_open(sim, port_pcap, &tp), 0);
	CU_ASSERT_EQUAL(net_tap_link(tl, l, NET_DIR_BOTH), 0);
	CU_ASSERT_EQUAL(net_tap_port(tp, a), 0);
	for (size_t i = 0; i < sizeof(send_lens) / sizeof(send_lens[0]); i++) {
		struct net_test_hdr h = { .seq = i };

		if (send_lens[i] >= NET_TEST_MIN_LEN) {
			net_frame_build(f, sizeof(f), send_lens[i], mac_b, mac_a, &h);
		} else {
			memcpy(f, mac_b, 6);
			memcpy(f + 6, mac_a, 6);
			memset(f + 12, 0x11, send_lens[i] - 12);
		}
		CU_ASSERT_EQUAL(net_port_send(a, f, send_lens[i]), 0);
	}
	eng_run_until(sim, ENG_TIME_MAX);
	CU_ASSERT_EQUAL(net_tap_frames(tl), NCAPS);
	CU_ASSERT_EQUAL(net_tap_frames(tp), NCAPS);
	CU_ASSERT_STRING_EQUAL(net_tap_path(tl), link_pcap);
	CU_ASSERT_EQUAL(net_tap_close(tl), 0);
	CU_ASSERT_EQUAL(net_tap_close(tp), 0);
	net_link_free(l);
	net_loopback_free(lb);
	net_port_free(a);
	eng_sim_free(sim);
}

static bool have_tool(const char *tool)
{
	char cmd[128], line[256];
	FILE *p;
	bool found;

	snprintf(cmd, sizeof(cmd), "command -v %s 2>/dev/null", tool);
	p = popen(cmd, "r");
	if (!p)
		return false;
	found = fgets(line, sizeof(line), p) != NULL;
	pclose(p);
	return found;
}

static void require_tools(void)
{
	if (!have_tool("tshark") || !have_tool("capinfos"))
		CU_FAIL_FATAL("tshark/capinfos not found: run `make deps` (it installs tshark)");
}

/* Frame lengths, timestamps (ns) and source MACs as tshark reads them. */
static size_t tshark_read(const char *file, struct capture *out, size_t max)
{
	char cmd[512], line[256];
	FILE *p;
	size_t n = 0;

	snprintf(cmd, sizeof(cmd),
		 "tshark -r '%s' -T fields -e frame.len -e frame.time_epoch -e eth.src "
		 "2>/dev/null",
		 file);
	p = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long len;
		unsigned long long sec;
		char frac[16], src[32];

		/* e.g. "60\t0.000000011\t02:00:00:00:00:0a" */
		if (sscanf(line, "%lu\t%llu.%15[0-9]\t%31s", &len, &sec, frac, src) != 4 ||
		    strlen(frac) != 9) {
			CU_FAIL("unexpected tshark line");
			fprintf(stderr, "tshark: %s", line);
			continue;
		}
		if (n < max) {
			out[n].len = len;
			out[n].ns = sec * 1000000000ULL + strtoull(frac, NULL, 10);
			out[n].from_b = !strcmp(src, "02:00:00:00:00:0b");
		}
		n++;
	}
	CU_ASSERT_EQUAL(pclose(p), 0);
	return n;
}

static void check_tshark(const char *file, const struct capture *want)
{
	struct capture got[NCAPS + 4];
	size_t n = tshark_read(file, got, NCAPS + 4);

	CU_ASSERT_EQUAL_FATAL(n, NCAPS);
	for (size_t i = 0; i < NCAPS; i++) {
		CU_ASSERT_EQUAL(got[i].len, want[i].len);
		CU_ASSERT_EQUAL(got[i].ns, want[i].ns);
		CU_ASSERT_EQUAL(got[i].from_b, want[i].from_b);
		if (got[i].len != want[i].len || got[i].ns != want[i].ns)
			fprintf(stderr, "%s frame %zu: len %zu at %" PRIu64 " ns, want %zu at %"
				PRIu64 "\n", file, i, got[i].len, got[i].ns, want[i].len,
				want[i].ns);
	}
}

/* capinfos -M prints "Key:   value" lines with machine-readable values. */
static void check_capinfos(const char *file, unsigned frames)
{
	char cmd[512], line[512], type[64] = "", encap[64] = "";
	unsigned long count = ~0UL;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "capinfos -t -E -c -M '%s' 2>/dev/null", file);
	p = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	while (fgets(line, sizeof(line), p)) {
		sscanf(line, "File type: %63s", type);
		sscanf(line, "File encapsulation: %63s", encap);
		sscanf(line, "Number of packets: %lu", &count);
	}
	CU_ASSERT_EQUAL(pclose(p), 0);
	CU_ASSERT_STRING_EQUAL(type, "nsecpcap");
	CU_ASSERT_STRING_EQUAL(encap, "ether");
	CU_ASSERT_EQUAL(count, frames);
}

static void test_link_tap_is_read_back_by_tshark_with_arrival_times(void)
{
	char lp[300], pp[300];

	require_tools();
	path_of(lp, sizeof(lp), "link.pcap");
	path_of(pp, sizeof(pp), "port.pcap");
	run_capture(lp, pp);
	check_capinfos(lp, NCAPS);
	check_tshark(lp, link_caps);
}

static void test_port_tap_stamps_sent_frames_at_end_of_serialisation(void)
{
	char lp[300], pp[300];

	require_tools();
	path_of(lp, sizeof(lp), "link2.pcap");
	path_of(pp, sizeof(pp), "port2.pcap");
	run_capture(lp, pp);
	check_capinfos(pp, NCAPS);
	check_tshark(pp, port_caps);
}

static long read_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return (long)n;
}

static void test_two_runs_write_byte_identical_files(void)
{
	static uint8_t x[1 << 16], y[1 << 16];
	char l1[300], p1[300], l2[300], p2[300];
	long nx, ny;
	uint32_t magic, snaplen, linktype;

	path_of(l1, sizeof(l1), "r1-link.pcap");
	path_of(p1, sizeof(p1), "r1-port.pcap");
	path_of(l2, sizeof(l2), "r2-link.pcap");
	path_of(p2, sizeof(p2), "r2-port.pcap");
	run_capture(l1, p1);
	run_capture(l2, p2);
	nx = read_file(l1, x, sizeof(x));
	ny = read_file(l2, y, sizeof(y));
	/* 24-byte header, 16 bytes per record + frame bytes */
	CU_ASSERT_EQUAL_FATAL(nx, 24 + 16 * NCAPS + 2 * (60 + 60 + 100 + 1514 + 1000));
	CU_ASSERT_EQUAL_FATAL(ny, nx);
	CU_ASSERT_EQUAL(memcmp(x, y, (size_t)nx), 0);
	/* nanosecond magic in host order, snaplen 65535, LINKTYPE_ETHERNET */
	memcpy(&magic, x, 4);
	memcpy(&snaplen, x + 16, 4);
	memcpy(&linktype, x + 20, 4);
	CU_ASSERT_EQUAL(magic, 0xa1b23c4d);
	CU_ASSERT_EQUAL(snaplen, 65535);
	CU_ASSERT_EQUAL(linktype, 1);
	nx = read_file(p1, x, sizeof(x));
	ny = read_file(p2, y, sizeof(y));
	CU_ASSERT(nx > 24);
	CU_ASSERT_EQUAL_FATAL(ny, nx);
	CU_ASSERT_EQUAL(memcmp(x, y, (size_t)nx), 0);
	/* and cmp(1) agrees */
	{
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", l1, l2);
		CU_ASSERT_EQUAL(system(cmd), 0);
	}
}

static void test_tap_attach_errors_and_detach_when_points_go_away(void)
{
	struct sim *sim = eng_sim_new(1, 0);
	struct net_port *a, *b;
	struct net_link_cfg lc = { .rate_bps = NET_RATE_10G };
	struct net_link *l;
	struct net_tap *t, *more[NET_TAPS_PER_POINT];
	char p[300], q[300];
	uint8_t f[60] = { 0 };

	path_of(p, sizeof(p), "no-such-dir/x.pcap");
	CU_ASSERT_EQUAL(net_tap_open(sim, p, &t), -ENOENT);
	path_of(p, sizeof(p), "errors.pcap");
	CU_ASSERT_EQUAL_FATAL(net_tap_open(sim, p, &t), 0);
	CU_ASSERT_EQUAL_FATAL(net_port_new(sim, NULL, NULL, NULL, &a), 0);
	CU_ASSERT_EQUAL_FATAL(net_port_new(sim, NULL, NULL, NULL, &b), 0);
	CU_ASSERT_EQUAL_FATAL(net_link_new(sim, &lc, a, b, &l), 0);
	CU_ASSERT_EQUAL(net_tap_link(t, l, NET_DIR_AB), 0);
	CU_ASSERT_EQUAL(net_tap_link(t, l, NET_DIR_AB), -EEXIST);
	/* BOTH fails on AB and leaves BA untouched */
	CU_ASSERT_EQUAL(net_tap_link(t, l, NET_DIR_BOTH), -EEXIST);
	CU_ASSERT_EQUAL(net_tap_link(t, l, 7), -EINVAL);
	CU_ASSERT_EQUAL(net_tap_port(t, a), 0);
	CU_ASSERT_EQUAL(net_tap_port(t, a), -EEXIST);
	for (int i = 0; i < NET_TAPS_PER_POINT; i++) {
		char name[32];

		snprintf(name, sizeof(name), "more%d.pcap", i);
		path_of(q, sizeof(q), name);
		CU_ASSERT_EQUAL_FATAL(net_tap_open(sim, q, &more[i]), 0);
	}
	for (int i = 0; i < NET_TAPS_PER_POINT; i++)
		CU_ASSERT_EQUAL(net_tap_port(more[i], b), 0);
	CU_ASSERT_EQUAL(net_tap_port(t, b), -ENOSPC);
	CU_ASSERT_EQUAL(net_port_send(a, f, sizeof(f)), 0);
	eng_run_until(sim, ENG_TIME_MAX);
	/* seen leaving a (port tap) and arriving on the link: two records */
	CU_ASSERT_EQUAL(net_tap_frames(t), 2);
	CU_ASSERT_EQUAL(net_tap_frames(more[0]), 1);
	CU_ASSERT_EQUAL(net_tap_flush(t), 0);
	/* the link and a port go first; the taps stay valid and capture nothing */
	net_link_free(l);
	net_port_free(b);
	CU_ASSERT_EQUAL(net_tap_close(t), 0);
	for (int i = 0; i < NET_TAPS_PER_POINT; i++)
		CU_ASSERT_EQUAL(net_tap_close(more[i]), 0);
	CU_ASSERT_EQUAL(net_tap_close(NULL), 0);
	net_port_free(a);
	eng_sim_free(sim);
}

CU_MAIN("net_tap", CU_TEST_ENTRY(test_link_tap_is_read_back_by_tshark_with_arrival_times),
	CU_TEST_ENTRY(test_port_tap_stamps_sent_frames_at_end_of_serialisation),
	CU_TEST_ENTRY(test_two_runs_write_byte_identical_files),
	CU_TEST_ENTRY(test_tap_attach_errors_and_detach_when_points_go_away))
