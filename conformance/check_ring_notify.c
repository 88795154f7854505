// SPDX-License-Identifier: MIT
/*
 * Check "ring_notify": used buffer notifications (virtio 1.3 2.7.7, 2.8.10,
 * 4.1.5.3), once per ring layout.  One frame at a time goes out on
 * transmitq1 and the suite counts the interrupts on its vector:
 *
 *   A  without EVENT_IDX, interrupts enabled (split avail flags 0, packed
 *      driver event flags ENABLE): every completion must interrupt
 *      (SPLIT-DEV-11, PACKED-DEV-X08).  On a split ring the used_event slot
 *      holds garbage that would suppress every interrupt if it were obeyed:
 *      it must be ignored (SPLIT-DEV-09).
 *   B  with transmitq1 mapped to NO_VECTOR: no message may arrive on any
 *      vector but the receive queue's (PCI-DEV-62).
 *   C  with EVENT_IDX (when offered): the driver re-arms the event after
 *      each completion, so each must interrupt (SPLIT-DEV-13, PACKED-DEV-X10);
 *      on a split ring avail flags carries VRING_AVAIL_F_NO_INTERRUPT, which
 *      EVENT_IDX makes meaningless (SPLIT-DEV-12); then used_event is set 3
 *      entries ahead: the interrupt must come with the 4th completion
 *      (SPLIT-DEV-13) and should not come before (SPLIT-DEV-14).
 *
 * The ring observer judges the same rules on every used update (missing
 * interrupts at quiet points); its events fail the rows too.  Fails with
 * "completion 3 of 8: no interrupt on vector 1 within 20 us".
 */
#include "conformance/conf_drv.h"

#include <stddef.h>

static const char *const reqs[] = {
	"SPLIT-DEV-09", "SPLIT-DEV-10", "SPLIT-DEV-11", "SPLIT-DEV-12", "SPLIT-DEV-13",
	"SPLIT-DEV-14", "PACKED-DEV-X08", "PACKED-DEV-X09", "PACKED-DEV-X10", "PCI-DEV-62", NULL,
};

#define ROUNDS 8u

static uint64_t tx_used_event(const struct conf_ctx *ctx)
{
	return ctx->vq[1].driver + 4 + 2ULL * ctx->vq[1].size;
}

static void put16(struct conf_ctx *ctx, uint64_t iova, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	conf_gwrite(ctx, iova, b, 2);
}

/* One frame out; 0 and *got = interrupts on the transmit vector it caused. */
static int one(struct conf_ctx *ctx, uint32_t seq, uint64_t *got)
{
	uint8_t f[128];
	uint64_t before = ctx->vq[1].irqs;
	int rc;

	conf_test_frame(ctx, f, 100, 0, seq, NULL);
	rc = conf_tx(ctx, 1, f, 100, NULL, 1);
	if (!rc)
		rc = conf_kick(ctx, 1);
	if (!rc)
		rc = conf_run_for(ctx, ENG_US(20));
	*got = ctx->vq[1].irqs - before;
	return rc;
}

/* Rounds of one frame, each must interrupt; fails ids[] with the first miss. */
static int rounds(struct conf_ctx *ctx, const char *const *ids, const char *what)
{
	for (uint32_t i = 0; i < ROUNDS; i++) {
		uint64_t got;
		int rc;

		rc = one(ctx, i, &got);
		if (rc)
			return rc;
		if (!got) {
			for (const char *const *id = ids; *id; id++)
				conf_set(ctx, *id, CONF_FAIL, "%s: completion %u of %u raised no "
					 "interrupt on vector %u within 20 us", what, i + 1, ROUNDS,
					 ctx->vq[1].vector);
			return 1;
		}
	}
	return 0;
}

static void judge_obs(struct conf_ctx *ctx, const char *id, const char *what)
{
	uint64_t n = conf_obs_count(ctx, id);

	if (n)
		conf_set(ctx, id, CONF_FAIL, "ring observer: %llu violations; first: %s",
			 (unsigned long long)n, conf_obs_first(ctx, id) ? conf_obs_first(ctx, id) : "");
	else
		conf_set(ctx, id, CONF_PASS, "%s; the ring observer saw no violation", what);
}

static int phase_a(struct conf_ctx *ctx, bool packed)
{
	struct conf_up_opts o = { 0 };
	const char *const ids_split[] = { "SPLIT-DEV-11", NULL };
	const char *const ids_packed[] = { "PACKED-DEV-X08", NULL };
	char why[160];
	int rc;

	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "bring-up: %s", why);
	rc = rounds(ctx, packed ? ids_packed : ids_split, "interrupts enabled");
	if (rc < 0)
		return rc;
	if (!rc) {
		conf_settle(ctx, ENG_US(10));
		judge_obs(ctx, packed ? "PACKED-DEV-X08" : "SPLIT-DEV-11",
			  "8 completions one at a time, each interrupted");
		judge_obs(ctx, packed ? "PACKED-DEV-X09" : "SPLIT-DEV-10",
			  "interrupts only while enabled");
	}
	if (packed)
		return 0;
	/* garbage in used_event: an event index that is always 100 entries ahead */
	for (uint32_t i = 0; i < ROUNDS; i++) {
		uint8_t b[2];
		uint64_t got;

		conf_gread(ctx, ctx->vq[1].device + 2, b, 2);
		put16(ctx, tx_used_event(ctx), (uint16_t)(vq_le16(b) + 100));
		rc = one(ctx, 100 + i, &got);
		if (rc)
			return rc;
		if (!got) {
			conf_set(ctx, "SPLIT-DEV-09", CONF_FAIL, "without EVENT_IDX, used_event set "
				 "100 entries ahead: completion %u raised no interrupt (the device "
				 "obeyed used_event)", i + 1);
			return 0;
		}
	}
	conf_set(ctx, "SPLIT-DEV-09", CONF_PASS, "used_event 100 entries ahead without EVENT_IDX: "
		 "each of %u completions still interrupted", ROUNDS);
	return 0;
}

static int phase_b(struct conf_ctx *ctx)
{
	struct conf_up_opts o = { .tx_unmapped = true };
	uint8_t f[128];
	uint64_t rxv, before[CONF_MAX_VEC], extra = 0;
	char why[160];
	int rc;

	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "bring-up with transmitq1 unmapped: %s", why);
	rxv = ctx->vq[0].vector;
	for (unsigned v = 0; v < CONF_MAX_VEC; v++)
		before[v] = ctx->msi[v];
	for (uint32_t i = 0; i < ROUNDS; i++) {
		conf_test_frame(ctx, f, 100, 0, i, NULL);
		conf_tx(ctx, 1, f, 100, NULL, 1);
	}
	conf_kick(ctx, 1);
	rc = conf_settle(ctx, ENG_US(40));
	if (rc)
		return rc;
	for (unsigned v = 0; v < CONF_MAX_VEC; v++)
		if (v != rxv)
			extra += ctx->msi[v] - before[v];
	conf_expect(ctx, "PCI-DEV-62", extra == 0 && ctx->vq[1].collected >= ROUNDS,
		    "transmitq1 mapped to NO_VECTOR, %llu frames sent: %llu messages on vectors "
		    "other than the receive queue's %llu", (unsigned long long)ctx->vq[1].collected,
		    (unsigned long long)extra, (unsigned long long)rxv);
	return 0;
}

static int phase_c(struct conf_ctx *ctx, bool packed)
{
	struct conf_up_opts o = { .features = conf_feature_base(ctx) |
					      CONF_F(VIRTIO_RING_F_EVENT_IDX) };
	const char *const ids13[] = { packed ? "PACKED-DEV-X10" : "SPLIT-DEV-13", NULL };
	const char *const ids12[] = { "SPLIT-DEV-12", NULL };
	uint64_t got, total = 0;
	uint8_t b[2];
	char why[160];
	int rc;

	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "bring-up with EVENT_IDX: %s", why);
	if (packed) {
		rc = rounds(ctx, ids13, "EVENT_IDX, event descriptor re-armed after each");
		if (rc < 0)
			return rc;
		if (!rc) {
			conf_settle(ctx, ENG_US(10));
			judge_obs(ctx, "PACKED-DEV-X10", "8 completions, each at the armed event "
				  "descriptor, each interrupted");
		}
		return 0;
	}
	/* NO_INTERRUPT means nothing with EVENT_IDX */
	put16(ctx, ctx->vq[1].driver, VRING_AVAIL_F_NO_INTERRUPT);
	rc = rounds(ctx, ids12, "EVENT_IDX with avail flags NO_INTERRUPT, used_event re-armed");
	if (rc < 0)
		return rc;
	if (!rc)
		conf_set(ctx, "SPLIT-DEV-12", CONF_PASS, "avail flags 1 under EVENT_IDX: each of %u "
			 "completions crossing used_event interrupted", ROUNDS);
	put16(ctx, ctx->vq[1].driver, 0);
	/* used_event 3 ahead, the driver leaves the queue alone meanwhile */
	conf_settle(ctx, ENG_US(10));
	ctx->vq[1].hold = true;
	conf_gread(ctx, ctx->vq[1].device + 2, b, 2);
	put16(ctx, tx_used_event(ctx), (uint16_t)(vq_le16(b) + 3));
	for (uint32_t i = 0; i < 4; i++) {
		rc = one(ctx, 200 + i, &got);
		if (rc)
			return rc;
		if (i < 3)
			total += got;
		else if (!got) {
			conf_set(ctx, "SPLIT-DEV-13", CONF_FAIL, "used_event = used idx + 3: the 4th "
				 "completion moved used idx past it but raised no interrupt");
			return 0;
		}
	}
	conf_expect(ctx, "SPLIT-DEV-14", total == 0, "used_event = used idx + 3: %llu interrupts "
		    "before it was crossed", (unsigned long long)total);
	ctx->vq[1].hold = false;
	conf_settle(ctx, ENG_US(10));
	judge_obs(ctx, "SPLIT-DEV-13", "used_event re-armed 8 times, then 3 entries ahead: "
		  "interrupt each time it was crossed");
	return 0;
}

static int run(struct conf_ctx *ctx)
{
	bool packed = ctx->ring == CONF_RING_PACKED;
	int rc = phase_a(ctx, packed);

	if (!rc)
		rc = phase_b(ctx);
	if (!rc && conf_can(ctx, VIRTIO_RING_F_EVENT_IDX))
		rc = phase_c(ctx, packed);
	return rc;
}

const struct conf_check conf_check_ring_notify = {
	.name = "ring_notify",
	.description = "used buffer notifications with and without EVENT_IDX, unmapped queues "
		       "(2.7.7, 2.8.10, 4.1.5.3)",
	.requirements = reqs,
	.rings = CONF_RING_ALL,
	.run = run,
};
