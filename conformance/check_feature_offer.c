// SPDX-License-Identifier: MIT
/*
 * Check "feature_offer": the feature bits a device offers, read through the
 * common configuration: VERSION_1 is there (virtio 1.3 6.2), no SR_IOV
 * without an SR-IOV capability (the plugin ABI has none), every offered net
 * feature comes with its prerequisites (virtio 1.3 5.1.3.1), no bit the spec
 * leaves undefined or reserves for legacy interfaces (FEAT-DEV-04), and
 * device_feature reads the same bits twice and 0 for windows 2 and 3
 * (PCI-DEV-14, virtio 1.3 4.1.4.3.1).  Fails naming the bit or window.
 */
#include "conformance/conf_drv.h"
#include "vdpasim/uapi.h"

#undef F
#define F(bit) (1ULL << (bit))

static const char *const reqs[] = {
	"RSVFEAT-DEV-01", "RSVFEAT-DEV-10", "FEAT-DEV-01", "NET-FEAT-DEV-X01",
	"NET-CFG-DEV-13", "NET-CFG-DEV-14", "FEAT-DEV-04", "PCI-DEV-14", NULL,
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

/*
 * Bits no virtio-net device over PCI without a legacy interface can honour:
 * undefined net bits (4, 58), the legacy-only GSO (6), NOTIFY_ON_EMPTY (24),
 * ANY_LAYOUT (27) and UNUSED (30), and device-independent bits no spec
 * version assigns (25, 26, 31, 42, 44..49).  Bits 64 and up are windows 2+.
 */
static const uint64_t undefined_bits = F(4) | F(6) | F(24) | F(25) | F(26) | F(27) | F(30) |
				       F(31) | F(42) | F(44) | F(45) | F(46) | F(47) | F(48) |
				       F(49) | F(58);

static void check_windows(struct conf_ctx *ctx, uint64_t f)
{
	uint32_t w[4];

	for (uint32_t i = 0; i < 4; i++) {
		conf_cc_write(ctx, VIRTIO_PCI_COMMON_DFSELECT, 4, i);
		w[i] = (uint32_t)conf_cc_read(ctx, VIRTIO_PCI_COMMON_DF, 4);
	}
	if (((uint64_t)w[1] << 32 | w[0]) != f)
		conf_set(ctx, "PCI-DEV-14", CONF_FAIL, "device_feature windows 0/1 read "
			 "0x%08x%08x, earlier 0x%016llx", w[1], w[0], (unsigned long long)f);
	else if (w[2] || w[3])
		conf_set(ctx, "PCI-DEV-14", CONF_FAIL, "device_feature window 2 reads 0x%08x, "
			 "window 3 0x%08x: no feature beyond bit 63 is offered, both must read 0",
			 w[2], w[3]);
	else
		conf_set(ctx, "PCI-DEV-14", CONF_PASS, "windows 0..3 read 0x%016llx, 0, 0 as the "
			 "offer", (unsigned long long)f);
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
	check_windows(ctx, f);
	if (f & undefined_bits) {
		int bit = __builtin_ctzll(f & undefined_bits);

		conf_set(ctx, "FEAT-DEV-04", CONF_FAIL, "features 0x%016llx: bit %d is undefined "
			 "or legacy-only for a virtio-net device on PCI", (unsigned long long)f, bit);
	} else {
		conf_set(ctx, "FEAT-DEV-04", CONF_PASS, "features 0x%016llx: every bit is one a "
			 "virtio-net PCI device can offer", (unsigned long long)f);
	}
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
	.description = "offered feature bits: VERSION_1, SR_IOV, prerequisites, undefined bits, "
		       "device_feature windows (6, 5.1.3.1, 4.1.4.3.1)",
	.requirements = reqs,
	.run = run,
};
