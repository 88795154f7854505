// SPDX-License-Identifier: MIT
/*
 * Test-frame parsing and the sink (sim/net): the whole input as one frame
 * through net_frame_parse_seq() / net_frame_check_payload() (exact-size
 * buffer, so any over-read is an ASan report), then a stream of frames decoded
 * from the input (raw bytes, or test frames with chosen flow, sequence number,
 * length and corruption) sent over a link into a sink, with time advancing and
 * the link going down and up in between.  Oracles:
 *   - a frame that parses rebuilds byte for byte with net_frame_build();
 *   - the sink's counters add up: every frame it got is foreign, corrupt,
 *     bad_flow, in_order, duplicate, reordered or stale; per flow,
 *     lost + in_order + reordered == expected exactly; lost never exceeds
 *     expected (sequence number UINT64_MAX is corrupt: expected never wraps);
 *     the sink got what the link says it delivered.
 */
#include "sim/engine/engine.h"
#include "sim/net/net.h"
#include "tests/fuzz/fuzz.h"

#include <errno.h>

#define MAX_FRAMES   512
#define MAX_FLOWS    8
#define FRAME_BUF    NET_FRAME_MAX

static void check_one_frame(const uint8_t *data, size_t size)
{
	struct net_test_hdr h;
	uint8_t *again;
	int rc = net_frame_parse_seq(data, size, &h);

	FUZZ_CHECK(rc == 0 || rc == -EPROTO || rc == -EBADMSG);
	if (rc)
		return;
	FUZZ_CHECK(h.len >= NET_TEST_MIN_LEN && h.len <= size);
	rc = net_frame_check_payload(data, size, &h);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	/* rebuilt from its own header, the frame's first len bytes come back iff the
	 * payload checked out */
	again = malloc(h.len);
	if (!again)
		return;
	FUZZ_CHECK(net_frame_build(again, h.len, h.len, data, data + NET_ETH_ALEN, &h) == 0);
	FUZZ_CHECK((memcmp(again, data, h.len) == 0) == (rc == 0));
	free(again);
}

struct harness {
	struct sim *sim;
	struct net_port *tx;
	struct net_sink *sink;
	struct net_link *link;
	uint32_t max_flows;
	uint64_t next_seq[MAX_FLOWS];
	uint8_t frame[FRAME_BUF];
};

static void send(struct harness *h, size_t len)
{
	int rc;

	rc = net_port_send(h->tx, h->frame, len);
	FUZZ_CHECK(rc == 0 || rc == -ENETDOWN || rc == -EINVAL || rc == -EMSGSIZE ||
		   rc == -ENOBUFS);
}

static void raw_frame(struct harness *h, struct fz *in)
{
	size_t len = fz_u16(in) % 1600;
	const uint8_t *b;
	size_t n = fz_bytes(in, len, &b);

	memcpy(h->frame, b, n);
	for (size_t i = n; i < len; i++)
		h->frame[i] = (uint8_t)i;
	send(h, len);
}

static void test_frame(struct harness *h, struct fz *in)
{
	static const uint8_t dst[NET_ETH_ALEN] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t src[NET_ETH_ALEN] = { 2, 0, 0, 0, 0, 2 };
	struct net_test_hdr t = { 0 };
	uint8_t mode = fz_u8(in);
	size_t len = NET_TEST_MIN_LEN + fz_u16(in) % 1500, sent = len;
	uint16_t off;

	t.flow = (uint16_t)(mode & 0x80 ? fz_u16(in) : fz_below(in, MAX_FLOWS));
	switch (mode & 3) {
	case 0: /* the next one, or a little back or ahead */
		t.seq = h->next_seq[t.flow % MAX_FLOWS] + (uint64_t)((int8_t)fz_u8(in) / 16);
		break;
	case 1:
		t.seq = h->next_seq[t.flow % MAX_FLOWS] - fz_u16(in); /* far back: stale */
		break;
	case 2:
		t.seq = fz_u64(in);
		break;
	default:
		t.seq = UINT64_MAX - fz_u8(in);
		break;
	}
	h->next_seq[t.flow % MAX_FLOWS] = t.seq + 1;
	t.tstamp = (mode & 4) ? fz_u64(in) : eng_now(h->sim);
	FUZZ_CHECK(net_frame_build(h->frame, sizeof(h->frame), len, dst, src, &t) == 0);
	switch ((mode >> 3) & 7) {
	case 1: /* flip one byte */
		off = (uint16_t)(fz_u16(in) % len);
		h->frame[off] ^= (uint8_t)(fz_u8(in) | 1);
		break;
	case 2: /* lie about the length */
		off = fz_u16(in);
		h->frame[NET_TEST_OFF + 6] = (uint8_t)(off >> 8);
		h->frame[NET_TEST_OFF + 7] = (uint8_t)off;
		break;
	case 3: /* cut short */
		sent = fz_u16(in) % (len + 1);
		break;
	default:
		break;
	}
	send(h, sent);
}

static void check_sink(struct harness *h)
{
	struct net_sink_stats s;
	struct net_dir_stats ls;
	uint64_t lost = 0;

	net_sink_stats(h->sink, &s);
	FUZZ_CHECK(net_link_stats(h->link, NET_DIR_AB, &ls) == 0);
	FUZZ_CHECK(s.frames == ls.frames && s.bytes == ls.bytes);
	FUZZ_CHECK(s.frames == s.foreign + s.corrupt + s.bad_flow + s.in_order + s.duplicate +
				       s.reordered + s.stale);
	FUZZ_CHECK(!s.lat_count || s.lat_min <= s.lat_max);
	for (uint32_t flow = 0; flow < h->max_flows; flow++) {
		struct net_sink_flow_stats f;
		int rc = net_sink_flow_stats(h->sink, (uint16_t)flow, &f);

		FUZZ_CHECK(rc == 0 || rc == -ENOENT);
		if (rc)
			continue;
		FUZZ_CHECK(f.frames == f.in_order + f.duplicate + f.reordered + f.stale);
		/* exactly: a frame numbered UINT64_MAX counts as corrupt, so the
		 * expected number never wraps (it did before the fix) */
		FUZZ_CHECK(f.lost + f.in_order + f.reordered == f.expected);
		FUZZ_CHECK(f.lost <= f.expected);
		lost += f.lost;
	}
	FUZZ_CHECK(lost == s.lost);
	FUZZ_CHECK(net_sink_flow_stats(h->sink, (uint16_t)h->max_flows,
				       &(struct net_sink_flow_stats){ 0 }) == -EINVAL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t flows[] = { 0, 1, 2, 4 };
	static const uint32_t max_len[] = { 0, NET_ETH_MIN_LEN, 9000, NET_FRAME_MAX };
	struct harness *h;
	struct fz in;
	uint8_t cfg;

	check_one_frame(data, size);

	h = calloc(1, sizeof(*h));
	if (!h)
		return 0;
	fz_init(&in, data, size);
	cfg = fz_u8(&in);
	h->sim = eng_sim_new(1, 0);
	FUZZ_CHECK(h->sim);
	FUZZ_CHECK(net_sink_new(h->sim,
				&(struct net_sink_cfg){ .max_flows = flows[cfg & 3],
							.check_payload = cfg & 4 },
				&h->sink) == 0);
	h->max_flows = flows[cfg & 3] ? flows[cfg & 3] : 64;
	FUZZ_CHECK(net_port_new(h->sim, &(struct net_port_cfg){ .tx_queue_frames = 1 + (cfg >> 5) },
				NULL, NULL, &h->tx) == 0);
	FUZZ_CHECK(net_link_new(h->sim,
				&(struct net_link_cfg){ .rate_bps = NET_RATE_100G,
							.max_frame_len = max_len[(cfg >> 3) & 3] },
				h->tx, net_sink_port(h->sink), &h->link) == 0);
	for (int i = 0; i < MAX_FRAMES && !fz_done(&in); i++) {
		switch (fz_below(&in, 8)) {
		case 0:
			raw_frame(h, &in);
			break;
		case 1:
			eng_run_until(h->sim, eng_now(h->sim) + (sim_time_t)fz_u16(&in) * 100);
			break;
		case 2:
			FUZZ_CHECK(net_link_set_up(h->link, !net_link_is_up(h->link)) == 0);
			break;
		default:
			test_frame(h, &in);
			break;
		}
	}
	if (!net_link_is_up(h->link))
		FUZZ_CHECK(net_link_set_up(h->link, true) == 0);
	eng_run_until(h->sim, ENG_TIME_MAX);
	check_sink(h);
	net_link_free(h->link);
	net_port_free(h->tx);
	net_sink_free(h->sink);
	eng_sim_free(h->sim);
	free(h);
	return 0;
}
