// SPDX-License-Identifier: MIT
/*
 * Check "ring_indirect" (virtio 1.3 2.7.5.3.2: SPLIT-DEV-07/08; 2.8.7:
 * PACKED-DEV-X05), once per ring layout, with VIRTIO_F_INDIRECT_DESC
 * negotiated.  transmitq1 is written by hand:
 *
 *   split  1. one descriptor with INDIRECT and WRITE pointing to a table
 *             {header, frame}: the device must ignore WRITE on the pointer
 *             (SPLIT-DEV-07);
 *          2. a direct descriptor (the header) chained to an indirect one
 *             whose table holds the frame in two pieces (SPLIT-DEV-08);
 *   packed 3. an INDIRECT descriptor with WRITE set, whose table entries
 *             carry junk flags (NEXT, AVAIL, USED) and junk buffer ids: only
 *             WRITE counts in a table entry (PACKED-DEV-X05).
 *
 * Each frame must reach the wire intact and its buffer come back used.
 * Fails with "INDIRECT|WRITE pointer: the frame never reached the wire".
 */
#include "conformance/conf_drv.h"

#include <string.h>

static const char *const reqs[] = { "SPLIT-DEV-07", "SPLIT-DEV-08", "PACKED-DEV-X05", NULL };

#define LEN 400u

/* Entry i of an indirect table: addr, len, then split {flags, next} or
 * packed {id, flags} (virtio 1.3 2.7.5, 2.8.13). */
static void split_entry(uint8_t *t, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
			uint16_t next)
{
	vq_put_le64(t + 16 * i, addr);
	vq_put_le32(t + 16 * i + 8, len);
	vq_put_le16(t + 16 * i + 12, flags);
	vq_put_le16(t + 16 * i + 14, next);
}

static void packed_entry(uint8_t *t, unsigned i, uint64_t addr, uint32_t len, uint16_t id,
			 uint16_t flags)
{
	vq_put_le64(t + 16 * i, addr);
	vq_put_le32(t + 16 * i + 8, len);
	vq_put_le16(t + 16 * i + 12, id);
	vq_put_le16(t + 16 * i + 14, flags);
}

/* Send what is on the ring; "" when frame came out whole and one buffer was used. */
static int expect_frame(struct conf_ctx *ctx, const uint8_t *f, char *why, size_t len)
{
	uint64_t n0 = ctx->nwire;
	uint16_t id;
	uint32_t ulen;
	int rc;

	why[0] = 0;
	conf_notify(ctx, 1);
	rc = conf_run_for(ctx, ENG_US(30));
	if (rc)
		return rc;
	if (ctx->nwire == n0)
		snprintf(why, len, "the frame never reached the wire (status 0x%02x)",
			 conf_status(ctx));
	else if (ctx->wire[n0].len != LEN || memcmp(ctx->wire[n0].data, f, LEN))
		snprintf(why, len, "the frame on the wire differs from the one sent");
	else if (conf_raw_used(ctx, 1, &id, &ulen) != 1)
		snprintf(why, len, "the buffer was not returned used");
	return 0;
}

static int run(struct conf_ctx *ctx)
{
	bool packed = ctx->ring == CONF_RING_PACKED;
	struct conf_up_opts o = { .raw_tx = true, .features = conf_feature_base(ctx) |
								 CONF_F(VIRTIO_RING_F_INDIRECT_DESC) };
	struct conf_vq *tx;
	uint8_t f[LEN], t[64], hdr[CONF_NET_HDR] = { 0 };
	uint64_t fa, ha, ta;
	char why[160];
	int rc;

	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "bring-up with INDIRECT_DESC: %s", why);
	ctx->peer_echo = false;
	tx = &ctx->vq[1];
	ha = tx->buf;
	fa = tx->buf + 64;
	ta = tx->buf + 1024;
	conf_test_frame(ctx, f, LEN, 7, 0, NULL);
	conf_gwrite(ctx, ha, hdr, sizeof(hdr));
	conf_gwrite(ctx, fa, f, LEN);
	if (packed) {
		/* entries: junk flags but WRITE, junk ids */
		struct conf_rdesc d = { ta, 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE };

		packed_entry(t, 0, ha, CONF_NET_HDR, 0xbeef, VRING_DESC_F_NEXT | 1u << 7);
		packed_entry(t, 1, fa, LEN, 0x1234, 1u << 15 | 1u << 7);
		conf_gwrite(ctx, ta, t, 32);
		conf_raw_packed_add(ctx, 1, &d, 1, 0, true);
		rc = expect_frame(ctx, f, why, sizeof(why));
		if (!rc)
			conf_expect(ctx, "PACKED-DEV-X05", !why[0], "INDIRECT|WRITE descriptor, table "
				    "entries with NEXT/AVAIL/USED set and junk ids: %s",
				    why[0] ? why : "frame sent whole, buffer used");
		return rc;
	}
	/* 1: WRITE on the pointer */
	{
		struct conf_rdesc d = { ta, 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE };

		split_entry(t, 0, ha, CONF_NET_HDR, VRING_DESC_F_NEXT, 1);
		split_entry(t, 1, fa, LEN, 0, 0);
		conf_gwrite(ctx, ta, t, 32);
		conf_raw_split_add(ctx, 1, &d, 1, true);
		rc = expect_frame(ctx, f, why, sizeof(why));
		if (rc)
			return rc;
		conf_expect(ctx, "SPLIT-DEV-07", !why[0], "one descriptor INDIRECT|WRITE to a "
			    "table {header, frame}: %s", why[0] ? why : "frame sent whole, buffer "
			    "used");
	}
	/* 2: a direct descriptor, then an indirect one */
	{
		struct conf_rdesc d[2] = { { ha, CONF_NET_HDR, 0 }, { ta + 64, 32, VRING_DESC_F_INDIRECT } };

		split_entry(t, 0, fa, 150, VRING_DESC_F_NEXT, 1);
		split_entry(t, 1, fa + 150, LEN - 150, 0, 0);
		conf_gwrite(ctx, ta + 64, t, 32);
		conf_raw_split_add(ctx, 1, d, 2, true);
		rc = expect_frame(ctx, f, why, sizeof(why));
		if (rc)
			return rc;
		conf_expect(ctx, "SPLIT-DEV-08", !why[0], "header in a direct descriptor chained to "
			    "an indirect one holding the frame in 2 pieces: %s", why[0] ? why :
			    "frame sent whole, buffer used");
	}
	return 0;
}

const struct conf_check conf_check_ring_indirect = {
	.name = "ring_indirect",
	.description = "indirect descriptors: WRITE on the pointer, direct then indirect, junk "
		       "in packed tables (2.7.5.3, 2.8.7)",
	.requirements = reqs,
	.needs_features = 1ULL << VIRTIO_RING_F_INDIRECT_DESC,
	.rings = CONF_RING_ALL,
	.run = run,
};
