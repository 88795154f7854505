// SPDX-License-Identifier: MIT
/*
 * Check "net_vlan" (virtio 1.3 5.1.6.5.3.1: NET-VLAN-DEV-01): without
 * VIRTIO_NET_F_CTRL_VLAN negotiated the device accepts every VLAN-tagged
 * packet.  The peer sends 16 frames to the device's address with 802.1Q tags
 * of VIDs spread over 1..4094; all must be delivered, tag included, intact.
 *
 * Fails with "9 of 16 tagged frames delivered (first missing: VID 1301)".
 */
#include "conformance/conf_drv.h"

#include <string.h>

static const char *const reqs[] = { "NET-VLAN-DEV-01", NULL };

#define N 16u

static int run(struct conf_ctx *ctx)
{
	struct conf_up_opts o = { 0 };
	uint8_t plain[200], f[204];
	uint64_t n0;
	char why[160];
	unsigned ok = 0, missing = 0;
	int rc;

	rc = conf_up(ctx, &o, why, sizeof(why));
	if (rc)
		return conf_abort(ctx, "bring-up: %s", why);
	ctx->peer_echo = false;
	n0 = ctx->nrx;
	for (unsigned i = 0; i < N; i++) {
		uint16_t vid = (uint16_t)(1 + i * 260 % 4094);

		conf_test_frame(ctx, plain, sizeof(plain), 4, i, NULL);
		memcpy(f, plain, 12);
		f[12] = 0x81; /* 802.1Q TPID */
		f[13] = 0x00;
		f[14] = (uint8_t)(vid >> 8);
		f[15] = (uint8_t)vid;
		memcpy(f + 16, plain + 12, sizeof(plain) - 12);
		conf_peer_send(ctx, f, sizeof(f));
		rc = conf_settle(ctx, ENG_US(5));
		if (rc)
			return rc;
		if (ctx->nrx > n0 + ok && ctx->rxf[(n0 + ok) % CONF_RX_KEEP].len == sizeof(f) &&
		    !memcmp(ctx->rxf[(n0 + ok) % CONF_RX_KEEP].data, f, sizeof(f)))
			ok++;
		else if (!missing)
			missing = vid;
		n0 = ctx->nrx - ok;
	}
	if (ok == N)
		conf_set(ctx, "NET-VLAN-DEV-01", CONF_PASS, "CTRL_VLAN not negotiated: %u of %u "
			 "tagged frames delivered intact", ok, N);
	else
		conf_set(ctx, "NET-VLAN-DEV-01", CONF_FAIL, "CTRL_VLAN not negotiated: %u of %u "
			 "tagged frames delivered intact (first missing: VID %u)", ok, N, missing);
	return 0;
}

const struct conf_check conf_check_net_vlan = {
	.name = "net_vlan",
	.description = "VLAN-tagged frames accepted without VLAN filtering (5.1.6.5.3)",
	.requirements = reqs,
	.run = run,
};
