/* SPDX-License-Identifier: MIT */
/*
 * Ethernet wire, ports, traffic peers and pcap taps.
 *
 * A port (struct net_port) is one end of a cable: its owner (a NIC model or a
 * peer below) receives frames through a callback and transmits with
 * net_port_send().  A link (struct net_link) joins two ports full duplex: each
 * direction serialises frames one after another at the link rate and delivers
 * them to the other port after the propagation delay.
 *
 * Frames and lengths.  A frame handed to net_port_send() and delivered to a
 * receive callback starts at the destination MAC and excludes the FCS (the
 * layout of DLT_EN10MB pcap files).  The wire accounts for the FCS and the
 * per-frame overhead in timing only:
 *
 *     wire bits = (max(len, 60) + 4 FCS + 7 preamble + 1 SFD + 12 IFG) * 8
 *
 * so a 60-byte frame (64 B with FCS) at 100 Gbit/s takes 6720 ps and the link
 * carries 148,809,523.8 frames/s.  Frames shorter than 60 bytes are padded with
 * zero bytes to 60, as a transmitting MAC does, and are delivered (and captured)
 * padded: the receiver sees 60 bytes.
 *
 * Timing.  A frame handed to a port at time t starts serialising when its
 * direction is free (max(t, end of the previous frame)), finishes
 * wire_bits / rate later, and arrives (its last bit is at the receiver) after
 * the propagation delay.  Times are integer picoseconds.  Within a back-to-back
 * burst the finish time of frame k is
 *
 *     burst_start + ceil(bits of frames 0..k * 10^12 / rate_bps)
 *
 * computed from the cumulative bit count with 128-bit intermediates, so a
 * rate that does not divide 10^12 gives spacings that differ by at most 1 ps
 * while the average is exact and rounding never accumulates.  A finish time is
 * never earlier than the exact one.
 *
 * Receiving.  Ethernet has no backpressure: a receive callback cannot refuse a
 * frame; an owner that has no room (a NIC whose RX ring is empty) drops it and
 * counts that itself.
 *
 * Transmit queue.  Each port has a transmit queue (depth in frames and,
 * optionally, bytes) holding the frames it has sent that have not finished
 * serialising, the one on the wire included.  net_port_send() copies the frame
 * (the caller may reuse its buffer at once) or returns -ENOBUFS when the queue
 * is full.  The tx_done callback runs each time a frame finishes serialising,
 * so a NIC can pace itself at line rate; net_port_tx_free_at() tells when
 * everything queued will have left.  Buffers come from a per-direction free
 * list: the hot path allocates nothing once the list has grown to the peak
 * number of frames queued and in flight.
 *
 * Test frames.  Generators, sinks, the virtio-net driver and scenarios share
 * one frame format carrying a flow id and a sequence number (NET_TEST_* below;
 * net_frame_build() / net_frame_parse_seq()).
 *
 * Pcap taps.  A tap writes a nanosecond pcap (DLT_EN10MB, snaplen 65535) whose
 * timestamps are simulated time in ns, the picosecond remainder truncated.  A
 * frame is stamped when its last bit passes the tap point: a tap on a link
 * direction sits at the receiving end (arrival time); a tap on a port stamps
 * transmitted frames when their last bit leaves the port (end of
 * serialisation) and received frames at their arrival.  Nothing host-specific
 * and no wall clock is written: the same run gives a byte-identical file.
 *
 * Statistics.  Links and peers have names (given or "link0", "sink1"... in
 * creation order; unique per sim, -EEXIST otherwise).  Their counters are kept
 * in the sim's statistics as "net.<name>.<counter>" (see each object below) and
 * can also be read with the accessor functions.
 *
 * Lifetime.  Objects are freed by their creator, before eng_sim_free().  Free
 * functions accept NULL.  Callbacks run inside simulation events; a callback
 * may send (net_port_send) but must not free the link or port it is called for.
 * Functions return 0 or a negative errno.
 */
#ifndef VDPASIM_NET_H
#define VDPASIM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine/engine.h"

/* ---- Ethernet constants (IEEE 802.3) ------------------------------------- */
#define NET_ETH_ALEN      6
#define NET_ETH_HLEN      14   /* dst MAC, src MAC, EtherType */
#define NET_ETH_FCS_LEN   4
#define NET_ETH_MIN_LEN   60   /* minimum frame excluding FCS (64 B with it) */
#define NET_ETH_OVERHEAD  20   /* preamble 7 + SFD 1 + inter-frame gap 12 */
#define NET_ETH_STD_MAX   1518 /* 1500 B payload + header + one 802.1Q tag */
#define NET_FRAME_MAX     16384 /* largest max_frame_len a link accepts */
#define NET_PROP_PS_PER_M 5000 /* ~2/3 c in fibre and copper: 5 ns per metre */

#define NET_RATE_10G  10000000000ULL
#define NET_RATE_25G  25000000000ULL
#define NET_RATE_40G  40000000000ULL
#define NET_RATE_50G  50000000000ULL
#define NET_RATE_100G 100000000000ULL
#define NET_RATE_200G 200000000000ULL
#define NET_RATE_400G 400000000000ULL

/* Bits one frame of `len` bytes (excluding FCS) occupies on the wire. */
uint64_t net_wire_bits(size_t len);
/* Serialisation time of one frame at rate_bps, rounded up; 0 if rate_bps is 0. */
sim_time_t net_wire_ps(uint64_t rate_bps, size_t len);

/* ---- Test frame format ---------------------------------------------------- */
/*
 * An Ethernet header with EtherType 0x88B5 (IEEE 802 local experimental),
 * then at offset NET_TEST_OFF a 24-byte header, all fields big-endian:
 *
 *     off 14  u32 magic   0x76445053 ("vDPS")
 *     off 18  u16 flow    flow id
 *     off 20  u16 len     frame length as built (excluding FCS and any padding)
 *     off 22  u64 seq     per-flow sequence number, 0 first
 *     off 30  u64 tstamp  simulated time (ps) the frame was built
 *     off 38  payload up to len: byte at offset i is (i + seq * 7 + flow * 13) & 0xff
 *
 * Bytes after `len` (padding added on the way) are ignored.
 */
#define NET_ETHERTYPE_TEST 0x88B5
#define NET_TEST_MAGIC     0x76445053u
#define NET_TEST_OFF       14
#define NET_TEST_HLEN      24
#define NET_TEST_MIN_LEN   (NET_TEST_OFF + NET_TEST_HLEN) /* 38 */

struct net_test_hdr {
	uint16_t flow;
	uint16_t len;
	uint64_t seq;
	sim_time_t tstamp;
};

/*
 * Write a test frame of `len` bytes (NET_TEST_MIN_LEN..min(cap, 65535)) into
 * buf.  -EINVAL for a bad length or NULL MAC.
 */
int net_frame_build(uint8_t *buf, size_t cap, size_t len, const uint8_t dst[NET_ETH_ALEN],
		    const uint8_t src[NET_ETH_ALEN], const struct net_test_hdr *hdr);
/*
 * Parse the header of a test frame.  0 and *out filled; -EPROTO when the frame
 * is not a test frame (too short, other EtherType, wrong magic); -EBADMSG when
 * its len field is below NET_TEST_MIN_LEN or beyond the frame (truncated).
 */
int net_frame_parse_seq(const uint8_t *frame, size_t len, struct net_test_hdr *out);
/* Check the payload pattern of a parsed test frame: 0 or -EBADMSG. */
int net_frame_check_payload(const uint8_t *frame, size_t len, const struct net_test_hdr *hdr);

/* ---- Ports ---------------------------------------------------------------- */
struct net_port;
struct net_link;

struct net_port_ops {
	/* A frame arrived (its last bit) at time `at` (== eng_now()).  The bytes are
	 * valid during the call only.  NULL: frames are discarded. */
	void (*rx)(void *ctx, struct net_port *port, const uint8_t *frame, size_t len,
		   sim_time_t at);
	/* A frame this port sent finished serialising: a queue slot is free.  Optional. */
	void (*tx_done)(void *ctx, struct net_port *port);
	/* Carrier changed: a link was connected (up), set up or down, or the other
	 * end's port was freed (down).  Optional. */
	void (*link_change)(void *ctx, struct net_port *port, bool up);
};

struct net_port_cfg {
	const char *name;          /* for traces; NULL: "port" */
	uint32_t tx_queue_frames;  /* 0: NET_PORT_DEFAULT_QUEUE; at most NET_PORT_MAX_QUEUE */
	uint64_t tx_queue_bytes;   /* 0: no byte limit (bytes as handed, before padding) */
};
/*
 * Events at the same picosecond run in the order they were scheduled, so a frame
 * arriving at the very instant a queue slot frees may still find the queue full:
 * a port that forwards back to back (receive, then send) wants a depth >= 2.
 */
#define NET_PORT_DEFAULT_QUEUE 256
#define NET_PORT_MAX_QUEUE     (1u << 20)

/* cfg may be NULL (defaults); ops may be NULL (a port that only sends). */
int net_port_new(struct sim *sim, const struct net_port_cfg *cfg, const struct net_port_ops *ops,
		 void *ctx, struct net_port **out);
/* If attached, the link goes down (the other port sees link_change down). */
void net_port_free(struct net_port *port);
const char *net_port_name(const struct net_port *port);

/*
 * Queue a copy of frame[0..len) for transmission.  0, or (each counted as a drop
 * on the link direction except -ENOTCONN):
 *   -ENOTCONN  no link attached        -ENETDOWN  link down
 *   -EINVAL    len < NET_ETH_HLEN      -EMSGSIZE  len > the link's max_frame_len
 *   -ENOBUFS   transmit queue full     -ENOMEM    no buffer or event memory
 */
int net_port_send(struct net_port *port, const void *frame, size_t len);
/* Whether a frame of len bytes would be accepted now. */
bool net_port_tx_room(const struct net_port *port, size_t len);
/* Frames and bytes queued (not yet finished serialising). */
void net_port_tx_queued(const struct net_port *port, uint32_t *frames, uint64_t *bytes);
/* When every queued frame will have finished serialising: eng_now() when idle,
 * ENG_TIME_MAX when not connected or the link is down. */
sim_time_t net_port_tx_free_at(const struct net_port *port);
bool net_port_link_up(const struct net_port *port);
/* Link rate in bit/s, 0 when not connected. */
uint64_t net_port_speed_bps(const struct net_port *port);
struct net_link *net_port_link(const struct net_port *port);

/* ---- Links ---------------------------------------------------------------- */
enum net_dir {
	NET_DIR_AB = 0, /* from port a to port b */
	NET_DIR_BA = 1,
	NET_DIR_BOTH = 2, /* only for net_tap_link() */
};

struct net_link_cfg {
	const char *name;        /* NULL: "link<n>" */
	uint64_t rate_bps;       /* > 0, e.g. NET_RATE_100G */
	uint32_t length_m;       /* cable length: NET_PROP_PS_PER_M per metre of delay */
	sim_time_t delay_ps;     /* extra fixed propagation delay */
	uint32_t max_frame_len;  /* excluding FCS; 0: NET_ETH_STD_MAX; <= NET_FRAME_MAX */
};

/*
 * Connect ports a and b (distinct, neither attached: -EINVAL / -EBUSY).  The link
 * starts up; both ports get link_change(up) before this returns.
 */
int net_link_new(struct sim *sim, const struct net_link_cfg *cfg, struct net_port *a,
		 struct net_port *b, struct net_link **out);
/* Frees queued and in-flight frames (not counted), detaches both ports without
 * callbacks. */
void net_link_free(struct net_link *link);
const char *net_link_name(const struct net_link *link);
uint64_t net_link_rate(const struct net_link *link);
sim_time_t net_link_delay(const struct net_link *link); /* propagation, ps */
struct net_port *net_link_port(const struct net_link *link, enum net_dir from);

/*
 * Carrier down: frames queued and on the wire are lost (counted as link_down)
 * and both ports get link_change(false).  Up again: both get link_change(true).
 * -ENOTCONN when bringing up a link one of whose ports was freed.  Setting the
 * current state again does nothing.
 */
int net_link_set_up(struct net_link *link, bool up);
bool net_link_is_up(const struct net_link *link);

enum net_drop {
	NET_DROP_QUEUE_FULL, /* "queue_full": -ENOBUFS */
	NET_DROP_TOO_LONG,   /* "too_long": -EMSGSIZE */
	NET_DROP_TOO_SHORT,  /* "too_short": -EINVAL */
	NET_DROP_LINK_DOWN,  /* "link_down": refused, or queued/in flight when it went down */
	NET_DROP_NOMEM,      /* "nomem" */
	NET_DROP_COUNT
};
const char *net_drop_name(enum net_drop d);

/*
 * Per direction, also in sim stats as net.<link>.<ab|ba>.<field> and
 * net.<link>.<ab|ba>.drop.<reason>.
 */
struct net_dir_stats {
	uint64_t frames;  /* delivered to the receiving port */
	uint64_t bytes;   /* their length (padded, excluding FCS) */
	uint64_t busy_ps; /* time spent serialising (utilisation = busy_ps / elapsed) */
	uint64_t drops[NET_DROP_COUNT];
};
int net_link_stats(const struct net_link *link, enum net_dir dir, struct net_dir_stats *out);

/* ---- Pcap taps ------------------------------------------------------------ */
struct net_tap;

/* Create (truncate) a nanosecond pcap file; -errno or -EIO from libpcap. */
int net_tap_open(struct sim *sim, const char *path, struct net_tap **out);
/* Capture a link direction (or NET_DIR_BOTH) / a port (both ways).  -EEXIST when
 * already tapped there, -ENOSPC beyond NET_TAP_POINTS_MAX points per tap or
 * NET_TAPS_PER_POINT taps per point. */
int net_tap_link(struct net_tap *tap, struct net_link *link, enum net_dir dir);
int net_tap_port(struct net_tap *tap, struct net_port *port);
#define NET_TAP_POINTS_MAX 8
#define NET_TAPS_PER_POINT 4
uint64_t net_tap_frames(const struct net_tap *tap);
const char *net_tap_path(const struct net_tap *tap);
/* Flush to disk (e.g. before hashing the file mid-run): 0 or -EIO. */
int net_tap_flush(struct net_tap *tap);
/* Detach, flush and close; -EIO if any write failed.  NULL is fine. */
int net_tap_close(struct net_tap *tap);

/* ---- Peers ---------------------------------------------------------------- */
/*
 * Each peer owns one port (net_*_port()) to connect with net_link_new().
 * Their counters are in sim stats as net.<peer name>.<field>.
 */

/* Loopback: sends every received frame back out of its port. */
struct net_loopback;
struct net_loopback_cfg {
	const char *name;         /* NULL: "loopback<n>" */
	bool swap_mac;            /* exchange destination and source MAC */
	uint32_t tx_queue_frames; /* its port's queue, 0: default */
};
struct net_loopback_stats {
	uint64_t frames, bytes; /* reflected */
	uint64_t dropped;       /* could not be sent back (queue full, link down) */
};
int net_loopback_new(struct sim *sim, const struct net_loopback_cfg *cfg,
		     struct net_loopback **out);
void net_loopback_free(struct net_loopback *lb);
struct net_port *net_loopback_port(struct net_loopback *lb);
void net_loopback_stats(const struct net_loopback *lb, struct net_loopback_stats *out);

/*
 * Sink: counts frames and checks the test-frame sequence per flow.  For each
 * flow the sink tracks the next expected sequence number (highest seen + 1):
 *   seq == expected          in_order
 *   seq >  expected          in_order, and the skipped numbers count as lost
 *   seq <  expected, unseen  reordered, and lost decreases by one (a late frame
 *                            is not lost)
 *   seq <  expected, seen    duplicate
 *   seq older than the window of remembered numbers (NET_SINK_WINDOW below the
 *                            expected one): stale
 * so lost is always the number of sequence numbers not received (yet), and
 * lost + in_order + reordered == expected.  Sequence numbers are 0..UINT64_MAX-1:
 * a frame numbered UINT64_MAX (whose successor does not fit) counts as corrupt.
 */
#define NET_SINK_WINDOW 4096
struct net_sink;
struct net_sink_cfg {
	const char *name;         /* NULL: "sink<n>" */
	uint32_t max_flows;       /* flows 0..max_flows-1 are tracked; 0: 64 */
	bool check_payload;       /* verify the payload pattern (counts corrupt) */
};
struct net_sink_stats {
	uint64_t frames, bytes;   /* everything received */
	uint64_t foreign;         /* not a test frame */
	uint64_t in_order, lost, duplicate, reordered, stale;
	uint64_t corrupt;         /* bad test header length or payload pattern, seq UINT64_MAX */
	uint64_t bad_flow;        /* flow id >= max_flows */
	uint64_t lat_count;       /* latency = arrival - tstamp over test frames */
	sim_time_t lat_min, lat_max;
	uint64_t lat_sum_ps;
};
struct net_sink_flow_stats {
	uint64_t frames, expected; /* expected: next sequence number expected */
	uint64_t in_order, lost, duplicate, reordered, stale;
};
int net_sink_new(struct sim *sim, const struct net_sink_cfg *cfg, struct net_sink **out);
void net_sink_free(struct net_sink *sink);
struct net_port *net_sink_port(struct net_sink *sink);
void net_sink_stats(const struct net_sink *sink, struct net_sink_stats *out);
/* -ENOENT for a flow never seen, -EINVAL beyond max_flows. */
int net_sink_flow_stats(const struct net_sink *sink, uint16_t flow,
			struct net_sink_flow_stats *out);

/*
 * Generator: sends test frames, flow = n % flows for the n-th frame, sequence
 * numbers per flow from 0, tstamp = time sent.
 * Pace: rate_pps (frame n at start + n / rate_pps), or rate_bps counted in wire
 * bits including FCS, preamble and gap (so rate_bps = link rate is line rate),
 * or neither: as fast as the port accepts (keeps its transmit queue full, refilled
 * on tx_done: exactly line rate).  A paced frame the port refuses (queue full,
 * link down) is counted in refused and skipped: it takes no sequence number and
 * the schedule does not slip.
 * Sizes: frame_len, or a mix drawn with weights from the eng_rng stream
 * "net.gen.<name>" (deterministic for a seed).
 */
struct net_size_weight {
	uint32_t len;    /* excluding FCS */
	uint32_t weight;
};
#define NET_GEN_SIZES_MAX 8
/* Simple IMIX 7:4:1 of 64, 576 and 1518 B on the wire (with FCS). */
extern const struct net_size_weight net_imix[3];

struct net_gen;
struct net_gen_cfg {
	const char *name;         /* NULL: "gen<n>" */
	uint64_t rate_pps;
	uint64_t rate_bps;        /* at most one of rate_pps / rate_bps nonzero */
	uint32_t frame_len;       /* used when nsizes == 0; NET_TEST_MIN_LEN.. */
	const struct net_size_weight *sizes;
	size_t nsizes;            /* 0..NET_GEN_SIZES_MAX */
	uint16_t flows;           /* 0: 1 */
	uint64_t count;           /* frames to send, 0: until stopped */
	uint8_t dst_mac[NET_ETH_ALEN], src_mac[NET_ETH_ALEN];
	uint32_t tx_queue_frames; /* its port's queue, 0: default */
};
struct net_gen_stats {
	uint64_t frames, bytes;   /* accepted by the port */
	uint64_t refused;         /* paced frames the port did not accept */
	uint64_t by_size[NET_GEN_SIZES_MAX]; /* frames per size entry (or [0] fixed) */
};
int net_gen_new(struct sim *sim, const struct net_gen_cfg *cfg, struct net_gen **out);
void net_gen_free(struct net_gen *gen);
struct net_port *net_gen_port(struct net_gen *gen);
/* Start at absolute time `at` (>= now): -EINVAL in the past, -EBUSY if running. */
int net_gen_start(struct net_gen *gen, sim_time_t at);
void net_gen_stop(struct net_gen *gen);
/* True once count frames were sent (never for count 0). */
bool net_gen_done(const struct net_gen *gen);
void net_gen_stats(const struct net_gen *gen, struct net_gen_stats *out);

#endif
