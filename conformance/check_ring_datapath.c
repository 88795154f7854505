// SPDX-License-Identifier: MIT
/*
 * Check "ring_datapath" (virtio 1.3 2.7 split / 2.8 packed rings), once per
 * ring layout.  Loopback traffic in two phases, each a fresh bring-up:
 *
 *   A  no ring features: 160 frames of 60..1514 bytes, each cut into 1 to 3
 *      descriptors, on a 64-entry queue (the rings wrap several times);
 *   B  every ring feature the device offers in the run's profile
 *      (EVENT_IDX, INDIRECT_DESC with indirect tables for 2+ segments,
 *      IN_ORDER, MRG_RXBUF with 512-byte receive buffers): 160 frames again.
 *
 * The ring observer (sim/virtio_ring) watches every DMA the device makes on
 * the rings the suite declared to devhost, and the suite's driver engine
 * reports its own accesses to it; each device-side rule below is set from the
 * observer's events: fail with the first violation ("ring observer: 3
 * violations of \"wrote a device-readable buffer\"; first: queue 1 at ...
 * SPLIT-DEV-03 device seq=.. addr=0x..."), pass otherwise.  Every frame must
 * also come back intact with the exact length (PACKED-DEV-X04: len gives the
 * bytes written).  PACKED-DEV-X11 is the observer's check of every value the
 * device writes into its event suppression structure.  Rows about EVENT_IDX / IN_ORDER are set from phase B only,
 * rows about their absence from phase A.
 */
#include "conformance/conf_drv.h"

#include <string.h>

static const char *const reqs[] = {
	"SPLIT-DEV-03", "SPLIT-DEV-04", "SPLIT-DEV-06", "SPLIT-DEV-15", "SPLIT-DEV-16",
	"SPLIT-DEV-18", "SPLIT-DEV-20", "SPLIT-DEV-X03", "SPLIT-DEV-X04",
	"PACKED-DEV-04", "PACKED-DEV-05", "PACKED-DEV-07", "PACKED-DEV-X01", "PACKED-DEV-X02",
	"PACKED-DEV-X03", "PACKED-DEV-X04", "PACKED-DEV-X07", "PACKED-DEV-X11", NULL,
};

/* Rows judged by the observer in both phases, per layout. */
static const char *const split_any[] = { "SPLIT-DEV-03", "SPLIT-DEV-04", "SPLIT-DEV-06",
					 "SPLIT-DEV-15", "SPLIT-DEV-16", "SPLIT-DEV-X03", NULL };
static const char *const packed_any[] = { "PACKED-DEV-04", "PACKED-DEV-05", "PACKED-DEV-07",
					  "PACKED-DEV-X02", "PACKED-DEV-X03", NULL };

#define FRAMES 160u
#define QSIZE 64u

struct phase {
	const char *name;
	uint64_t features;
	uint64_t frames;
	uint64_t obs[VQ_R_COUNT]; /* device-side events in this phase */
	bool ran;
};

static int run_phase(struct conf_ctx *ctx, struct phase *p, uint32_t rx_stride)
{
	struct conf_up_opts o = { .features = p->features, .qsize = QSIZE, .rx_stride = rx_stride };
	struct conf_traffic t = { .count = FRAMES, .min_len = 60, .max_len = 1514, .nseg_max = 3,
				  .txq = 1, .limit = ENG_MS(3) };
	uint64_t before[VQ_R_COUNT];
	char why[160];
	int rc;

	memcpy(before, ctx->obs_rule, sizeof(before));
	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "phase %s bring-up: %s", p->name, why);
	if ((p->features & CONF_F(VIRTIO_RING_F_INDIRECT_DESC)) && conf_tx_indirect(ctx, 1, 2))
		return conf_abort(ctx, "phase %s: no memory for indirect tables", p->name);
	rc = conf_run_traffic(ctx, &t);
	if (rc)
		return rc;
	rc = conf_settle(ctx, ENG_US(30));
	if (rc)
		return rc;
	if (t.received < FRAMES || ctx->rx_test_bad || ctx->rx_bad) {
		/* the observer may know why: its violations stand, the rest is an error */
		for (const char *const *id = reqs; *id; id++)
			if (conf_obs_count(ctx, *id))
				conf_set(ctx, *id, CONF_FAIL, "ring observer, phase %s: %llu "
					 "violations; first: %s", p->name,
					 (unsigned long long)conf_obs_count(ctx, *id),
					 conf_obs_first(ctx, *id) ? conf_obs_first(ctx, *id) : "");
		return conf_abort(ctx, "phase %s: %llu of %u frames came back%s%s%s%s", p->name,
				  (unsigned long long)t.received, FRAMES,
				  ctx->rx_test_bad ? "; " : "", ctx->rx_test_why,
				  ctx->rx_bad ? "; " : "", ctx->rx_bad_why);
	}
	p->frames = t.received;
	for (int r = 0; r < VQ_R_COUNT; r++)
		p->obs[r] = ctx->obs_rule[r] - before[r];
	p->ran = true;
	return 0;
}

/* Fail id with the first kept event when phase p saw any, else pass. */
static void judge(struct conf_ctx *ctx, const char *id, const struct phase *p, const char *what)
{
	uint64_t n = 0;

	for (int r = 0; r < VQ_R_COUNT; r++) {
		const struct vq_rule_info *ri = vq_rule_info((enum vq_rule)r);

		if (ri && !strcmp(ri->id, id))
			n += p->obs[r];
	}
	if (n)
		conf_set(ctx, id, CONF_FAIL, "ring observer, phase %s: %llu violations; first: %s",
			 p->name, (unsigned long long)n,
			 conf_obs_first(ctx, id) ? conf_obs_first(ctx, id) : "(not kept)");
	else
		conf_set(ctx, id, CONF_PASS, "ring observer, phase %s (%s): no violation in %llu "
			 "frames each way", p->name, what, (unsigned long long)p->frames);
}

static int run(struct conf_ctx *ctx)
{
	bool packed = ctx->ring == CONF_RING_PACKED;
	uint64_t extra = 0;
	struct phase a = { .name = "A" }, b = { .name = "B" };
	char desc[160];
	int rc;

	a.features = conf_feature_base(ctx);
	rc = run_phase(ctx, &a, 2048);
	if (rc)
		return rc;
	static const unsigned bits[] = { VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC,
					 VIRTIO_F_IN_ORDER, VIRTIO_NET_F_MRG_RXBUF };
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (conf_can(ctx, bits[i]))
			extra |= CONF_F(bits[i]);
	if (extra) {
		b.features = a.features | extra;
		rc = run_phase(ctx, &b, extra & CONF_F(VIRTIO_NET_F_MRG_RXBUF) ? 512 : 2048);
		if (rc)
			return rc;
	}
	snprintf(desc, sizeof(desc), "features 0x%016llx", (unsigned long long)b.features);
	for (const char *const *id = packed ? packed_any : split_any; *id; id++) {
		struct phase both = a;

		for (int r = 0; r < VQ_R_COUNT; r++)
			both.obs[r] += b.ran ? b.obs[r] : 0;
		both.frames += b.ran ? b.frames : 0;
		both.name = b.ran ? "A+B" : "A";
		judge(ctx, *id, &both, b.ran ? "without, then with ring features" : "no ring "
		      "features");
	}
	if (!packed) {
		judge(ctx, "SPLIT-DEV-18", &a, "no EVENT_IDX");
		if (b.ran && (b.features & CONF_F(VIRTIO_RING_F_EVENT_IDX)))
			judge(ctx, "SPLIT-DEV-20", &b, desc);
		if (b.ran && (b.features & CONF_F(VIRTIO_F_IN_ORDER)))
			judge(ctx, "SPLIT-DEV-X04", &b, desc);
		return 0;
	}
	/* 160 buffers each way on 64-entry rings: every used ring wrapped twice */
	judge(ctx, "PACKED-DEV-X01", &a, "the used wrap counter over 2 laps of each ring");
	/* DESC needs EVENT_IDX: phase A has none, phase B may */
	{
		struct phase both = a;

		for (int r = 0; r < VQ_R_COUNT; r++)
			both.obs[r] += b.ran ? b.obs[r] : 0;
		both.frames += b.ran ? b.frames : 0;
		judge(ctx, "PACKED-DEV-X11", &both, "the device event suppression structure");
	}
	conf_set(ctx, "PACKED-DEV-X04", CONF_PASS, "%llu received frames, each used length equal "
		 "to the header and frame written (WRITE set), none damaged",
		 (unsigned long long)(a.frames + b.frames));
	if (b.ran && (b.features & CONF_F(VIRTIO_F_IN_ORDER)))
		judge(ctx, "PACKED-DEV-X07", &b, desc);
	return 0;
}

const struct conf_check conf_check_ring_datapath = {
	.name = "ring_datapath",
	.description = "loopback traffic with and without ring features under the ring observer "
		       "(2.7, 2.8)",
	.requirements = reqs,
	.rings = CONF_RING_ALL,
	.run = run,
};
