// SPDX-License-Identifier: MIT
/*
 * "testnet": the built-in device the conformance suite tests itself with.
 * It is the example plugin (examples/minimal_plugin/minimal_plugin.c,
 * compiled in here rather than loaded) with options that change what it
 * reports, so a test can make a check fail on purpose without building a
 * shared object:
 *
 *     vendor_id, device_id, subsys_vendor_id, subsys_id, revision, msix_vectors
 *                     the PCI identity / MSI-X table size in the layout
 *     features        the offered feature bits device_feature shows
 *     notify_mult     the notify capability's notify_off_multiplier
 *     max_pairs, mtu  the net configuration fields
 *
 * each KEY=NUMBER (C syntax).  A device changed this way is broken on
 * purpose: checks beyond the changed field may fail too.
 */
#define VDPASIM_EXAMPLE_BUILTIN 1
#include "examples/minimal_plugin/minimal_plugin.c"

#include "conformance/conf_priv.h"

struct tn_params {
	uint64_t vendor_id, device_id, subsys_vendor_id, subsys_id, revision;
	uint64_t features, msix_vectors, notify_mult, max_pairs, mtu;
};

/* The example device first: the example's callbacks get this pointer. */
struct tn {
	struct exdev ex;
	struct tn_params p;
	uint64_t set; /* which params were given (bit per key) */
};

static const struct {
	const char *key;
	size_t off;
	uint64_t max;
} tn_keys[] = {
	{ "vendor_id", offsetof(struct tn_params, vendor_id), 0xffff },
	{ "device_id", offsetof(struct tn_params, device_id), 0xffff },
	{ "subsys_vendor_id", offsetof(struct tn_params, subsys_vendor_id), 0xffff },
	{ "subsys_id", offsetof(struct tn_params, subsys_id), 0xffff },
	{ "revision", offsetof(struct tn_params, revision), 0xff },
	{ "features", offsetof(struct tn_params, features), UINT64_MAX },
	{ "msix_vectors", offsetof(struct tn_params, msix_vectors), 2048 },
	{ "notify_mult", offsetof(struct tn_params, notify_mult), UINT32_MAX },
	{ "max_pairs", offsetof(struct tn_params, max_pairs), 0xffff },
	{ "mtu", offsetof(struct tn_params, mtu), 0xffff },
};
#define TN_NKEYS (sizeof(tn_keys) / sizeof(tn_keys[0]))
#define TN_HAS(t, k) ((t)->set & (1ULL << (k)))
enum { K_VENDOR, K_DEVICE, K_SVENDOR, K_SUBSYS, K_REV, K_FEAT, K_MSIX, K_MULT, K_PAIRS, K_MTU };

static int tn_parse(struct tn *t, const char *options, const struct vdpasim_host_ops *ops,
		    void *host)
{
	const char *s = options ? options : "";
	char msg[160];

	while (*s) {
		size_t n = strcspn(s, ","), klen = strcspn(s, "=,");
		bool found = false;

		for (size_t i = 0; i < TN_NKEYS && klen < n; i++) {
			char num[32], *end;
			unsigned long long v;

			if (strlen(tn_keys[i].key) != klen || strncmp(tn_keys[i].key, s, klen))
				continue;
			if (n - klen - 1 == 0 || n - klen - 1 >= sizeof(num))
				break;
			memcpy(num, s + klen + 1, n - klen - 1);
			num[n - klen - 1] = 0;
			errno = 0;
			v = strtoull(num, &end, 0);
			if (errno || *end || num[0] == '-' || v > tn_keys[i].max)
				break;
			*(uint64_t *)(void *)((char *)&t->p + tn_keys[i].off) = v;
			t->set |= 1ULL << i;
			found = true;
		}
		if (!found) {
			snprintf(msg, sizeof(msg), "testnet: bad option '%.*s'", (int)n, s);
			if (ops->log)
				ops->log(host, VDPASIM_LOG_ERROR, msg);
			return -EINVAL;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

static int tn_create(const struct vdpasim_host_ops *ops, void *host, const char *options,
		     struct vdpasim_pci_layout *l, void **devp)
{
	struct tn *t = calloc(1, sizeof(*t));
	void *inner = NULL;
	int rc;

	if (!t)
		return -ENOMEM;
	rc = tn_parse(t, options, ops, host);
	if (!rc)
		rc = ex_create(ops, host, "", l, &inner);
	if (rc) {
		free(t);
		return rc;
	}
	/* the example's state moves into the wrapper it is the first member of */
	t->ex = *(struct exdev *)inner;
	free(inner);
	if (TN_HAS(t, K_VENDOR))
		l->vendor_id = (uint16_t)t->p.vendor_id;
	if (TN_HAS(t, K_DEVICE))
		l->device_id = (uint16_t)t->p.device_id;
	if (TN_HAS(t, K_SVENDOR))
		l->subsys_vendor_id = (uint16_t)t->p.subsys_vendor_id;
	if (TN_HAS(t, K_SUBSYS))
		l->subsys_id = (uint16_t)t->p.subsys_id;
	if (TN_HAS(t, K_REV))
		l->revision = (uint8_t)t->p.revision;
	if (TN_HAS(t, K_MSIX))
		l->msix_vectors = (uint16_t)t->p.msix_vectors;
	if (TN_HAS(t, K_MULT))
		for (unsigned i = 0; i < l->nr_vendor_caps; i++)
			if (l->vendor_caps[i].bytes[3] == VIRTIO_PCI_CAP_NOTIFY_CFG)
				put32(l->vendor_caps[i].bytes + 16, (uint32_t)t->p.notify_mult);
	*devp = t;
	return 0;
}

static uint64_t tn_mmio_read(void *dev, uint8_t bar, uint64_t off, uint8_t size)
{
	struct tn *t = dev;
	uint64_t v = ex_mmio_read(&t->ex, bar, off, size);
	unsigned field;

	if (bar != 0)
		return v;
	if (TN_HAS(t, K_FEAT) && off == COMMON + VIRTIO_PCI_COMMON_DF && size == 4)
		return t->ex.dfsel < 2 ? (uint32_t)(t->p.features >> (32 * t->ex.dfsel)) : 0;
	field = (unsigned)(off - DEVCFG);
	if (TN_HAS(t, K_PAIRS) && off >= DEVCFG &&
	    field == offsetof(struct virtio_net_config, max_virtqueue_pairs) && size == 2)
		return (uint16_t)t->p.max_pairs;
	if (TN_HAS(t, K_MTU) && off >= DEVCFG && field == offsetof(struct virtio_net_config, mtu) &&
	    size == 2)
		return (uint16_t)t->p.mtu;
	return v;
}

static const struct vdpasim_device_plugin testnet = {
	.abi_version = VDPASIM_PLUGIN_ABI_VERSION,
	.size = sizeof(struct vdpasim_device_plugin),
	.name = "testnet",
	.vendor = "vdpasim",
	.description = "the example virtio-net plugin built in, with options to break it on purpose",
	.model_version = "2",
	.create = tn_create,
	.destroy = ex_destroy,
	.mmio_read = tn_mmio_read,
	.mmio_write = ex_mmio_write,
	.reset = ex_reset,
	.net_rx = ex_net_rx,
	.net_tx_ready = ex_net_tx_ready,
	.control = ex_control,
};

const struct vdpasim_device_plugin *conf_testnet_plugin(void)
{
	(void)example_plugin;
	return &testnet;
}
