// SPDX-License-Identifier: MIT
/*
 * Check "feature_offer": the feature bits a device offers, read through the
 * common configuration: VERSION_1 is there (virtio 1.3 6.2), no SR_IOV
 * without an SR-IOV capability (the plugin ABI has none), and every offered
 * net feature comes with its prerequisites (virtio 1.3 5.1.3.1).
 */
#include "conformance/conf_priv.h"
#include "vdpasim/uapi.h"

#define F(bit) (1ULL << (bit))

static const char *const reqs[] = {
	"RSVFEAT-DEV-01", "RSVFEAT-DEV-10", "FEAT-DEV-01", "NET-FEAT-DEV-X01",
	"NET-CFG-DEV-13", "NET-CFG-DEV-14", NULL,
};

/* virtio 1.3 5.1.3.1.  Bits newer than the Linux 6.1 header (USO, VQ_NOTF_COAL,
 * HASH_TUNNEL, RSS_CONTEXT) are not checked until uapi.h names them. */
static const struct {
	int bit;
	const char *name;
	uint64_t needs_any; /* at least one of these */
	const char *needs;
} deps[] = {
	{ VIRTIO_NET_F_GUEST_TSO4, "GUEST_TSO4", F(VIRTIO_NET_F_GUEST_CSUM), "GUEST_CSUM" },
	{ VIRTIO_NET_F_GUEST_TSO6, "GUEST_TSO6", F(VIRTIO_NET_F_GUEST_CSUM), "GUEST_CSUM" },
	{ VIRTIO_NET_F_GUEST_ECN, "GUEST_ECN",
	  F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6), "GUEST_TSO4 or GUEST_TSO6" },
	{ VIRTIO_NET_F_GUEST_UFO, "GUEST_UFO", F(VIRTIO_NET_F_GUEST_CSUM), "GUEST_CSUM" },
	{ VIRTIO_NET_F_HOST_TSO4, "HOST_TSO4", F(VIRTIO_NET_F_CSUM), "CSUM" },
	{ VIRTIO_NET_F_HOST_TSO6, "HOST_TSO6", F(VIRTIO_NET_F_CSUM), "CSUM" },
	{ VIRTIO_NET_F_HOST_ECN, "HOST_ECN",
	  F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6), "HOST_TSO4 or HOST_TSO6" },
	{ VIRTIO_NET_F_HOST_UFO, "HOST_UFO", F(VIRTIO_NET_F_CSUM), "CSUM" },
	{ VIRTIO_NET_F_CTRL_RX, "CTRL_RX", F(VIRTIO_NET_F_CTRL_VQ), "CTRL_VQ" },
	{ VIRTIO_NET_F_CTRL_VLAN, "CTRL_VLAN", F(VIRTIO_NET_F_CTRL_VQ), "CTRL_VQ" },
	{ VIRTIO_NET_F_GUEST_ANNOUNCE, "GUEST_ANNOUNCE", F(VIRTIO_NET_F_CTRL_VQ), "CTRL_VQ" },
	{ VIRTIO_NET_F_MQ, "MQ", F(VIRTIO_NET_F_CTRL_VQ), "CTRL_VQ" },
	{ VIRTIO_NET_F_CTRL_MAC_ADDR, "CTRL_MAC_ADDR", F(VIRTIO_NET_F_CTRL_VQ), "CTRL_VQ" },
	{ VIRTIO_NET_F_NOTF_COAL, "NOTF_COAL", F(VIRTIO_NET_F_CTRL_VQ), "CTRL_VQ" },
	{ VIRTIO_NET_F_RSC_EXT, "RSC_EXT",
	  F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6), "HOST_TSO4 or HOST_TSO6" },
	{ VIRTIO_NET_F_RSS, "RSS", F(VIRTIO_NET_F_CTRL_VQ), "CTRL_VQ" },
};

static void check_dependencies(struct conf_ctx *ctx, uint64_t f)
{
	unsigned offered = 0;

	for (size_t i = 0; i < sizeof(deps) / sizeof(deps[0]); i++) {
		if (!(f & F(deps[i].bit)))
			continue;
		offered++;
		if (!(f & deps[i].needs_any)) {
			conf_set(ctx, "FEAT-DEV-01", CONF_FAIL,
				 "VIRTIO_NET_F_%s offered without %s", deps[i].name, deps[i].needs);
			conf_set(ctx, "NET-FEAT-DEV-X01", CONF_FAIL,
				 "VIRTIO_NET_F_%s offered without %s", deps[i].name, deps[i].needs);
			return;
		}
	}
	conf_set(ctx, "FEAT-DEV-01", CONF_PASS, "features 0x%016llx: %u with prerequisites, all "
		 "met", (unsigned long long)f, offered);
	conf_set(ctx, "NET-FEAT-DEV-X01", CONF_PASS, "features 0x%016llx: %u net features with "
		 "prerequisites, all met", (unsigned long long)f, offered);
}

static int run(struct conf_ctx *ctx)
{
	uint64_t f;
	int rc = conf_read_features(ctx, &f);

	if (rc)
		return rc; /* no common configuration: PCI-DEV-13 says so */
	conf_expect(ctx, "RSVFEAT-DEV-01", f & F(VIRTIO_F_VERSION_1),
		    "features 0x%016llx: VIRTIO_F_VERSION_1 %s", (unsigned long long)f,
		    f & F(VIRTIO_F_VERSION_1) ? "offered" : "missing");
	conf_expect(ctx, "RSVFEAT-DEV-10", !(f & F(VIRTIO_F_SR_IOV)),
		    "VIRTIO_F_SR_IOV %s; devices in this simulator have no SR-IOV capability",
		    f & F(VIRTIO_F_SR_IOV) ? "offered" : "not offered");
	check_dependencies(ctx, f);
	/* virtio 1.3 5.1.4.1 */
	conf_expect(ctx, "NET-CFG-DEV-13",
		    !(f & F(VIRTIO_NET_F_HASH_REPORT)) || (f & F(VIRTIO_NET_F_CTRL_VQ)),
		    "HASH_REPORT %s, CTRL_VQ %s",
		    f & F(VIRTIO_NET_F_HASH_REPORT) ? "offered" : "not offered",
		    f & F(VIRTIO_NET_F_CTRL_VQ) ? "offered" : "not offered");
	conf_expect(ctx, "NET-CFG-DEV-14",
		    !(f & F(VIRTIO_NET_F_CTRL_RX_EXTRA)) || (f & F(VIRTIO_NET_F_CTRL_VQ)),
		    "CTRL_RX_EXTRA %s, CTRL_VQ %s",
		    f & F(VIRTIO_NET_F_CTRL_RX_EXTRA) ? "offered" : "not offered",
		    f & F(VIRTIO_NET_F_CTRL_VQ) ? "offered" : "not offered");
	return 0;
}

const struct conf_check conf_check_feature_offer = {
	.name = "feature_offer",
	.description = "offered feature bits: VERSION_1, SR_IOV, net prerequisites (6, 5.1.3.1)",
	.requirements = reqs,
	.run = run,
};
