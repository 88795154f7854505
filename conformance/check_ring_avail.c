// SPDX-License-Identifier: MIT
/*
 * Check "ring_avail": which descriptors a device may take (virtio 1.3 2.7.6,
 * 2.7.10, 2.8.12, 2.8.15), once per ring layout, on a transmitq1 written by
 * hand with five valid frames prepared in slots 0..4.
 *
 *   split   available entries 0..4 all name valid chains but avail idx is 1:
 *           only one frame may go out (SPLIT-DEV-X02, and the observer's
 *           rule on reading entries not made available); then five spurious
 *           kicks with nothing new: no frame, no used entry, no
 *           DEVICE_NEEDS_RESET (SPLIT-DEV-22); then avail idx 3: two more.
 *   packed  slot 0 available, slots 2..4 holding a previous lap's pattern
 *           (AVAIL = USED = 1) and slot 1 made available before slot 0 is
 *           published: nothing may go out until slot 0 is (PACKED-DEV-01),
 *           then exactly slots 0 and 1 in that order, never the stale ones
 *           (PACKED-DEV-06); five spurious kicks change nothing.
 *
 * Fails with how many frames went out and when.
 */
#include "conformance/conf_drv.h"
#include "sim/net/net.h"

#include <string.h>

static const char *const reqs[] = {
	"SPLIT-DEV-X02", "SPLIT-DEV-22", "PACKED-DEV-01", "PACKED-DEV-06", NULL,
};

#define LEN 200u

/* Frame i in slot i (header and frame in one buffer). */
static void prepare(struct conf_ctx *ctx, unsigned i, struct conf_rdesc *d)
{
	struct conf_vq *tx = &ctx->vq[1];
	uint8_t b[CONF_NET_HDR + LEN] = { 0 };

	conf_test_frame(ctx, b + CONF_NET_HDR, LEN, 9, i, NULL);
	conf_gwrite(ctx, tx->buf + (uint64_t)i * tx->stride, b, sizeof(b));
	*d = (struct conf_rdesc){ tx->buf + (uint64_t)i * tx->stride, sizeof(b), 0 };
}

/* Seq numbers of the frames on the wire from n0, in order, as text. */
static void sent_list(const struct conf_ctx *ctx, uint64_t n0, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (uint64_t i = n0; i < ctx->nwire && i < CONF_WIRE_KEEP && n < len; i++) {
		struct net_test_hdr h = { 0 };

		net_frame_parse_seq(ctx->wire[i].data, ctx->wire[i].len, &h);
		n += (size_t)snprintf(buf + n, len - n, "%s%llu", n ? "," : "",
				      (unsigned long long)h.seq);
	}
}

static int spurious(struct conf_ctx *ctx, uint64_t *frames)
{
	uint64_t n0 = ctx->nwire;
	int rc = 0;

	for (int i = 0; i < 5 && !rc; i++) {
		conf_notify(ctx, 1);
		rc = conf_run_for(ctx, ENG_US(5));
	}
	*frames = ctx->nwire - n0;
	return rc;
}

static int run_split(struct conf_ctx *ctx)
{
	struct conf_rdesc d;
	uint64_t extra;
	uint16_t used;
	char list[64];
	int rc;

	for (unsigned i = 0; i < 5; i++) {
		prepare(ctx, i, &d);
		conf_raw_split_add(ctx, 1, &d, 1, false);
	}
	conf_raw_split_avail_idx(ctx, 1, 1);
	conf_notify(ctx, 1);
	rc = conf_run_for(ctx, ENG_US(30));
	if (rc)
		return rc;
	sent_list(ctx, 0, list, sizeof(list));
	if (ctx->nwire != 1 || conf_obs_count(ctx, "SPLIT-DEV-X02")) {
		conf_set(ctx, "SPLIT-DEV-X02", CONF_FAIL, "avail idx 1, entries 1..4 prepared "
			 "beyond it: %llu frames went out (seq %s)%s%s",
			 (unsigned long long)ctx->nwire, list,
			 conf_obs_count(ctx, "SPLIT-DEV-X02") ? "; observer: " : "",
			 conf_obs_first(ctx, "SPLIT-DEV-X02") ? conf_obs_first(ctx, "SPLIT-DEV-X02")
							    : "");
		return 0;
	}
	rc = spurious(ctx, &extra);
	if (rc)
		return rc;
	used = conf_raw_split_used_idx(ctx, 1);
	conf_expect(ctx, "SPLIT-DEV-22", !extra && used == 1 &&
				 !(conf_status(ctx) & VIRTIO_CONFIG_S_NEEDS_RESET),
		    "five kicks with nothing new: %llu frames, used idx %u, status 0x%02x",
		    (unsigned long long)extra, used, conf_status(ctx));
	conf_raw_split_avail_idx(ctx, 1, 3);
	conf_notify(ctx, 1);
	rc = conf_run_for(ctx, ENG_US(30));
	if (rc)
		return rc;
	sent_list(ctx, 0, list, sizeof(list));
	conf_expect(ctx, "SPLIT-DEV-X02", ctx->nwire == 3 && !strcmp(list, "0,1,2"),
		    "avail idx 1 then 3 with 5 entries prepared: frames %s went out", list);
	return 0;
}

static int run_packed(struct conf_ctx *ctx)
{
	struct conf_vq *tx = &ctx->vq[1];
	struct conf_rdesc d[5];
	uint64_t extra;
	char list[64];
	int rc;

	for (unsigned i = 0; i < 5; i++)
		prepare(ctx, i, &d[i]);
	/* stale slots 2..4: both bits 1, a used descriptor of the lap before */
	for (uint16_t i = 2; i < 5; i++)
		conf_raw_packed_desc(ctx, 1, i, &d[i], i, 1u << VRING_PACKED_DESC_F_AVAIL |
							 1u << VRING_PACKED_DESC_F_USED);
	/* slot 1 available first, slot 0 not yet */
	conf_raw_packed_desc(ctx, 1, 1, &d[1], 1, conf_raw_packed_avail_bits(true));
	conf_raw_packed_desc(ctx, 1, 0, &d[0], 0, conf_raw_packed_avail_bits(false));
	conf_notify(ctx, 1);
	rc = conf_run_for(ctx, ENG_US(30));
	if (rc)
		return rc;
	sent_list(ctx, 0, list, sizeof(list));
	if (ctx->nwire) {
		conf_set(ctx, "PACKED-DEV-01", CONF_FAIL, "slot 1 available, slot 0 not: frames %s "
			 "went out before slot 0 was made available", list);
		return 0;
	}
	conf_raw_packed_publish(ctx, 1, 0, conf_raw_packed_avail_bits(true));
	tx->r_next = 2;
	conf_notify(ctx, 1);
	rc = conf_run_for(ctx, ENG_US(30));
	if (rc)
		return rc;
	rc = spurious(ctx, &extra);
	if (rc)
		return rc;
	sent_list(ctx, 0, list, sizeof(list));
	conf_expect(ctx, "PACKED-DEV-01", ctx->nwire >= 2 && !strncmp(list, "0,1", 3),
		    "slot 1 made available before slot 0: nothing went out until slot 0 was, then "
		    "frames %s", list);
	conf_expect(ctx, "PACKED-DEV-06", ctx->nwire == 2 && !extra,
		    "slots 2..4 left with the previous lap's AVAIL=USED=1, five spurious kicks: "
		    "frames %s went out", list);
	return 0;
}

static int run(struct conf_ctx *ctx)
{
	struct conf_up_opts o = { .raw_tx = true };
	char why[160];
	int rc = conf_up(ctx, &o, why, sizeof(why));

	if (rc)
		return conf_abort(ctx, "bring-up: %s", why);
	ctx->peer_echo = false;
	return ctx->ring == CONF_RING_PACKED ? run_packed(ctx) : run_split(ctx);
}

const struct conf_check conf_check_ring_avail = {
	.name = "ring_avail",
	.description = "only available buffers are taken, in ring order; spurious kicks "
		       "(2.7.6, 2.7.10, 2.8.12, 2.8.15)",
	.requirements = reqs,
	.rings = CONF_RING_ALL,
	.run = run,
};
