// SPDX-License-Identifier: MIT
/*
 * Check "common_cfg" (virtio 1.3 4.1.3.1, 4.1.4.3.1): the common
 * configuration's registers as a driver uses them, on a freshly reset device.
 *
 *   PCI-DEV-08  64-bit queue addresses take their halves independently: the
 *               low half written, then the high half, then the low half again
 *               (and the other way round), each read back in between;
 *   PCI-DEV-15  driver_feature reads back the offered bits the driver wrote,
 *               window by window (all offered bits, then VERSION_1 alone);
 *   PCI-DEV-25  queue_size reads 0 for queues num_queues, num_queues + 1 and
 *               0x7fff, which do not exist;
 *   PCI-DEV-26  without RING_PACKED negotiated, queue_size of every queue
 *               reads 0 or a power of two;
 *   PCI-DEV-27  with ADMIN_VQ negotiated, admin_queue_index >= num_queues
 *               and admin_queue_num <= 0x10000 - admin_queue_index.
 *
 * Fails with the register, what was written and what came back.
 */
#include "conformance/conf_drv.h"

static const char *const reqs[] = {
	"PCI-DEV-08", "PCI-DEV-15", "PCI-DEV-25", "PCI-DEV-26", "PCI-DEV-27", NULL,
};

static const struct {
	unsigned lo, hi;
	const char *name;
} addr_fields[] = {
	{ VIRTIO_PCI_COMMON_Q_DESCLO, VIRTIO_PCI_COMMON_Q_DESCHI, "queue_desc" },
	{ VIRTIO_PCI_COMMON_Q_AVAILLO, VIRTIO_PCI_COMMON_Q_AVAILHI, "queue_driver" },
	{ VIRTIO_PCI_COMMON_Q_USEDLO, VIRTIO_PCI_COMMON_Q_USEDHI, "queue_device" },
};

/* One field: write a, read, write b, read; returns false and fills why. */
static bool halves(struct conf_ctx *ctx, unsigned first, unsigned second, uint32_t a, uint32_t b,
		   unsigned lo, unsigned hi, const char *name, char *why, size_t len)
{
	uint32_t rl, rh;

	conf_cc_write(ctx, first, 4, a);
	conf_cc_write(ctx, second, 4, b);
	rl = (uint32_t)conf_cc_read(ctx, lo, 4);
	rh = (uint32_t)conf_cc_read(ctx, hi, 4);
	if ((first == lo && (rl != a || rh != b)) || (first == hi && (rh != a || rl != b))) {
		snprintf(why, len, "%s: wrote the %s half 0x%08x then the %s half 0x%08x, read "
			 "back low 0x%08x high 0x%08x", name, first == lo ? "low" : "high", a,
			 first == lo ? "high" : "low", b, rl, rh);
		return false;
	}
	/* the first half again: the other must stay */
	conf_cc_write(ctx, first, 4, ~a);
	rl = (uint32_t)conf_cc_read(ctx, lo, 4);
	rh = (uint32_t)conf_cc_read(ctx, hi, 4);
	if ((first == lo && (rl != ~a || rh != b)) || (first == hi && (rh != ~a || rl != b))) {
		snprintf(why, len, "%s: rewriting the %s half with 0x%08x changed the other: low "
			 "0x%08x high 0x%08x", name, first == lo ? "low" : "high", ~a, rl, rh);
		return false;
	}
	return true;
}

static void check_addr_halves(struct conf_ctx *ctx)
{
	char why[256];

	for (size_t i = 0; i < sizeof(addr_fields) / sizeof(addr_fields[0]); i++) {
		unsigned lo = addr_fields[i].lo, hi = addr_fields[i].hi;

		conf_cc_write(ctx, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
		if (!halves(ctx, lo, hi, 0x11223340, 0x00000055, lo, hi, addr_fields[i].name, why,
			    sizeof(why)) ||
		    !halves(ctx, hi, lo, 0x00000066, 0x77889900, lo, hi, addr_fields[i].name, why,
			    sizeof(why))) {
			conf_set(ctx, "PCI-DEV-08", CONF_FAIL, "queue 0 %s", why);
			return;
		}
	}
	conf_set(ctx, "PCI-DEV-08", CONF_PASS, "queue_desc, queue_driver, queue_device of queue 0: "
		 "each half written alone in both orders, the other half kept");
}

static void check_feature_readback(struct conf_ctx *ctx)
{
	uint64_t sets[2] = { ctx->offered, CONF_F(VIRTIO_F_VERSION_1) & ctx->offered };

	for (int s = 0; s < 2; s++) {
		for (uint32_t w = 0; w < 2; w++) {
			uint32_t want = (uint32_t)(sets[s] >> (32 * w)), got;

			conf_cc_write(ctx, VIRTIO_PCI_COMMON_GFSELECT, 4, w);
			conf_cc_write(ctx, VIRTIO_PCI_COMMON_GF, 4, want);
			got = (uint32_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_GF, 4);
			if (got != want) {
				conf_set(ctx, "PCI-DEV-15", CONF_FAIL, "driver_feature window %u: "
					 "wrote offered bits 0x%08x, read back 0x%08x", w, want, got);
				return;
			}
		}
	}
	conf_set(ctx, "PCI-DEV-15", CONF_PASS, "driver_feature windows 0 and 1 read back "
		 "0x%016llx and then 0x%016llx as written", (unsigned long long)sets[0],
		 (unsigned long long)sets[1]);
}

static void check_queue_sizes(struct conf_ctx *ctx)
{
	uint16_t nq = (uint16_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_NUMQ, 2);
	const uint16_t ghosts[3] = { nq, (uint16_t)(nq + 1), 0x7fff };
	bool ok = true;

	for (int i = 0; i < 3 && ok; i++) {
		uint16_t sz = (uint16_t)conf_q_read(ctx, ghosts[i], VIRTIO_PCI_COMMON_Q_SIZE, 2);

		if (sz) {
			conf_set(ctx, "PCI-DEV-25", CONF_FAIL, "queue %u does not exist (num_queues "
				 "%u) but queue_size reads %u", ghosts[i], nq, sz);
			ok = false;
		}
	}
	if (ok)
		conf_set(ctx, "PCI-DEV-25", CONF_PASS, "queue_size reads 0 for queues %u, %u and "
			 "32767 (num_queues %u)", nq, nq + 1, nq);
	for (uint16_t q = 0; q < nq; q++) {
		uint16_t sz = (uint16_t)conf_q_read(ctx, q, VIRTIO_PCI_COMMON_Q_SIZE, 2);

		if (sz & (sz - 1)) {
			conf_set(ctx, "PCI-DEV-26", CONF_FAIL, "queue %u: queue_size %u is neither 0 "
				 "nor a power of two (RING_PACKED not negotiated)", q, sz);
			return;
		}
	}
	conf_set(ctx, "PCI-DEV-26", CONF_PASS, "queue_size of all %u queues 0 or a power of two",
		 nq);
}

static void check_admin(struct conf_ctx *ctx)
{
	uint64_t f = conf_feature_base(ctx) | CONF_F(VIRTIO_F_ADMIN_VQ);
	uint16_t nq, idx, num;

	if (conf_negotiate(ctx, f)) {
		conf_set(ctx, "PCI-DEV-27", CONF_FAIL, "ADMIN_VQ offered but FEATURES_OK refused for "
			 "0x%016llx", (unsigned long long)f);
		return;
	}
	nq = (uint16_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_NUMQ, 2);
	idx = (uint16_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_ADM_Q_IDX, 2);
	num = (uint16_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_ADM_Q_NUM, 2);
	conf_expect(ctx, "PCI-DEV-27", idx >= nq && num <= 0x10000u - idx,
		    "admin_queue_index %u (num_queues %u), admin_queue_num %u", idx, nq, num);
}

static int run(struct conf_ctx *ctx)
{
	if (!ctx->cc)
		return conf_abort(ctx, "no usable common configuration capability");
	if (conf_reset(ctx))
		return conf_abort(ctx, "the device did not complete a reset");
	check_addr_halves(ctx);
	conf_status_set(ctx, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	conf_status_set(ctx, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	check_feature_readback(ctx);
	if (conf_reset(ctx))
		return conf_abort(ctx, "the device did not complete a reset");
	check_queue_sizes(ctx);
	if (conf_can(ctx, VIRTIO_F_ADMIN_VQ))
		check_admin(ctx);
	return 0;
}

const struct conf_check conf_check_common_cfg = {
	.name = "common_cfg",
	.description = "common configuration registers: 64-bit halves, driver_feature, "
		       "queue_size, admin queue fields (4.1.4.3.1)",
	.requirements = reqs,
	.run = run,
};
