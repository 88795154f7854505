// SPDX-License-Identifier: MIT
/*
 * Check "virtio_pci_caps": the virtio structure capabilities of a device
 * (virtio 1.3 4.1.4): which structures exist, where they live, their
 * alignment and lengths, and that the notify region covers every queue's
 * notify address.  Which notify rules apply depends on whether the device
 * offers VIRTIO_F_NOTIFICATION_DATA.
 */
#include "conformance/conf_priv.h"
#include "vdpasim/uapi.h"

#include <stddef.h>

static const char *const reqs[] = {
	"PCI-DEV-09", "PCI-DEV-12", "PCI-DEV-13", "PCI-DEV-28", "PCI-DEV-29", "PCI-DEV-30",
	"PCI-DEV-31", "PCI-DEV-32", "PCI-DEV-33", "PCI-DEV-34", "PCI-DEV-35", "PCI-DEV-36",
	"PCI-DEV-37", "PCI-DEV-38", "PCI-DEV-39", "PCI-DEV-X01", "PCI-DEV-44", "PCI-DEV-50",
	"PCI-DEV-45", "PCI-DEV-46", "PCI-DEV-47", "PCI-DEV-48", NULL,
};

/* Smallest cap_len of each structure type (its struct in virtio_pci.h). */
static unsigned min_cap_len(uint8_t type)
{
	switch (type) {
	case VIRTIO_PCI_CAP_COMMON_CFG:
	case VIRTIO_PCI_CAP_ISR_CFG:
	case VIRTIO_PCI_CAP_DEVICE_CFG:
		return sizeof(struct virtio_pci_cap);
	case VIRTIO_PCI_CAP_NOTIFY_CFG:
		return sizeof(struct virtio_pci_notify_cap);
	case VIRTIO_PCI_CAP_PCI_CFG:
		return sizeof(struct virtio_pci_cfg_cap);
	case VIRTIO_PCI_CAP_SHARED_MEMORY_CFG:
		return sizeof(struct virtio_pci_cap64);
	default:
		return 0; /* not a structure this check knows */
	}
}

static void check_cap_lengths(struct conf_ctx *ctx, const struct conf_vcap *caps, size_t n)
{
	unsigned known = 0;

	/* virtio 1.3 4.1.4.2: cap_len covers the whole capability */
	for (size_t i = 0; i < n; i++) {
		unsigned min = min_cap_len(caps[i].cfg_type);

		if (!min)
			continue;
		known++;
		if (caps[i].cap_len < min || caps[i].cap_len > caps[i].room) {
			conf_set(ctx, "PCI-DEV-09", CONF_FAIL,
				 "capability %zu at config 0x%x (cfg_type %u): cap_len %u, structure "
				 "needs %u, %u bytes before the next capability", i,
				 caps[i].cfg_off, caps[i].cfg_type, caps[i].cap_len, min,
				 caps[i].room);
			return;
		}
	}
	if (known)
		conf_set(ctx, "PCI-DEV-09", CONF_PASS,
			 "%u virtio capabilities, each cap_len covers its structure", known);
	else
		conf_set(ctx, "PCI-DEV-09", CONF_NOT_APPLICABLE, "no virtio capabilities");
}

static void check_present(struct conf_ctx *ctx, const char *id, const struct conf_vcap *c,
			  const char *what)
{
	if (c)
		conf_set(ctx, id, CONF_PASS, "%s capability %u: BAR%u+0x%x, %u bytes", what,
			 c->index, c->bar, c->offset, c->length);
	else
		conf_set(ctx, id, CONF_FAIL, "no usable %s capability (none, or its region "
			 "lies outside its BAR)", what);
}

/* Every capability of `type` has its offset aligned to `align`. */
static void check_alignment(struct conf_ctx *ctx, const char *id, const struct conf_vcap *caps,
			    size_t n, uint8_t type, unsigned align, const char *what)
{
	unsigned seen = 0;

	for (size_t i = 0; i < n; i++) {
		if (caps[i].cfg_type != type)
			continue;
		seen++;
		if (caps[i].offset % align) {
			conf_set(ctx, id, CONF_FAIL, "%s capability %zu: offset 0x%x is not "
				 "%u-byte aligned", what, i, caps[i].offset, align);
			return;
		}
	}
	if (seen)
		conf_set(ctx, id, CONF_PASS, "%u %s capabilities, offsets %u-byte aligned", seen,
			 what, align);
	else
		conf_set(ctx, id, CONF_NOT_APPLICABLE, "no %s capability", what);
}

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* virtio 1.3 4.1.4.4: queue q is notified at cap.offset + queue_notify_off * multiplier. */
static void check_notify_coverage(struct conf_ctx *ctx, const struct conf_vcap *notify,
				  const struct conf_vcap *common, unsigned width, bool nd)
{
	const char *covers = nd ? "PCI-DEV-37" : "PCI-DEV-32";
	const char *length = nd ? "PCI-DEV-38" : "PCI-DEV-33";
	uint64_t sel = offsetof(struct virtio_pci_common_cfg, queue_select);
	uint64_t noff = offsetof(struct virtio_pci_common_cfg, queue_notify_off);
	unsigned nq;

	if (!common || common->length < sizeof(struct virtio_pci_common_cfg))
		return; /* queue_notify_off cannot be read: left untested */
	nq = (unsigned)conf_mmio_read(ctx, common->bar,
				      common->offset + offsetof(struct virtio_pci_common_cfg,
								num_queues), 2);
	for (unsigned q = 0; q < nq; q++) {
		uint64_t off, end;

		conf_mmio_write(ctx, common->bar, common->offset + sel, 2, q);
		off = conf_mmio_read(ctx, common->bar, common->offset + noff, 2);
		end = off * notify->notify_off_multiplier + width;
		if (end > notify->length) {
			conf_set(ctx, covers, CONF_FAIL, "queue %u: notify address at +0x%llx "
				 "(%u bytes) is outside the %u-byte notify region", q,
				 (unsigned long long)(end - width), width, notify->length);
			conf_set(ctx, length, CONF_FAIL, "cap.length %u < queue_notify_off %llu * "
				 "multiplier %u + %u for queue %u", notify->length,
				 (unsigned long long)off, notify->notify_off_multiplier, width, q);
			return;
		}
	}
	conf_set(ctx, covers, CONF_PASS, "%u queues, every notify address inside the %u-byte "
		 "region", nq, notify->length);
	conf_set(ctx, length, CONF_PASS, "cap.length %u covers queue_notify_off * %u + %u for "
		 "all %u queues", notify->length, notify->notify_off_multiplier, width, nq);
}

static void check_notify(struct conf_ctx *ctx, const struct conf_vcap *notify,
			 const struct conf_vcap *common)
{
	bool nd = ctx->offered & (1ULL << VIRTIO_F_NOTIFICATION_DATA);
	/* without NOTIFICATION_DATA a notification is a 16-bit write, with it 32-bit */
	unsigned width = nd ? 4 : 2;
	const char *align = nd ? "PCI-DEV-35" : "PCI-DEV-29";
	const char *mult = nd ? "PCI-DEV-34" : "PCI-DEV-30";
	const char *len = nd ? "PCI-DEV-36" : "PCI-DEV-31";
	const char *const ids[] = { align, mult, len, nd ? "PCI-DEV-37" : "PCI-DEV-32",
				    nd ? "PCI-DEV-38" : "PCI-DEV-33" };
	uint32_t m;

	if (!notify) {
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
			conf_set(ctx, ids[i], CONF_NOT_APPLICABLE, "no usable notification "
				 "capability");
		return;
	}
	m = notify->notify_off_multiplier;
	conf_expect(ctx, align, notify->offset % width == 0,
		    "notify capability offset 0x%x (%u-byte alignment needed)", notify->offset,
		    width);
	if (nd)
		conf_expect(ctx, mult, m == 0 || (pow2(m) && m % 4 == 0),
			    "notify_off_multiplier %u (0, or a power of two and a multiple of 4)",
			    m);
	else
		conf_expect(ctx, mult, m == 0 || (pow2(m) && m >= 2),
			    "notify_off_multiplier %u (0, or a power of two of at least 2)", m);
	conf_expect(ctx, len, notify->length >= width, "notify region %u bytes (at least %u)",
		    notify->length, width);
	check_notify_coverage(ctx, notify, common, width, nd);
}

/* virtio 1.3 4.1.4.7.1 and 4.1.4.8.1: shared memory and vendor data capabilities. */
static void check_optional_caps(struct conf_ctx *ctx, const struct conf_vcap *caps, size_t n)
{
	unsigned shm = 0, vnd = 0;
	bool bad45 = false, bad46 = false, bad47 = false, bad48 = false;

	for (size_t i = 0; i < n; i++) {
		const struct conf_vcap *c = &caps[i];
		uint64_t bar = conf_bar_size(ctx, c->bar);

		if (c->cfg_type == VIRTIO_PCI_CAP_SHARED_MEMORY_CFG) {
			shm++;
			if (!bad45 && (!bar || c->offset64 > bar || c->length64 > bar - c->offset64)) {
				bad45 = true;
				conf_set(ctx, "PCI-DEV-45", CONF_FAIL, "shared memory capability %zu "
					 "(id %u): 0x%llx bytes at 0x%llx do not fit BAR%u of 0x%llx "
					 "bytes", i, c->id, (unsigned long long)c->length64,
					 (unsigned long long)c->offset64, c->bar,
					 (unsigned long long)bar);
			}
			for (size_t k = 0; k < i && !bad46; k++)
				if (caps[k].cfg_type == VIRTIO_PCI_CAP_SHARED_MEMORY_CFG &&
				    caps[k].id == c->id) {
					bad46 = true;
					conf_set(ctx, "PCI-DEV-46", CONF_FAIL, "shared memory "
						 "capabilities %zu and %zu both use id %u", k, i,
						 c->id);
				}
		}
		if (c->cfg_type == VIRTIO_PCI_CAP_VENDOR_CFG) {
			vnd++;
			if (!bad47 && c->vendor_id == VDPASIM_PCI_VENDOR_REDHAT_QUMRANET) {
				bad47 = true;
				conf_set(ctx, "PCI-DEV-47", CONF_FAIL, "vendor data capability %zu "
					 "uses vendor_id 0x%04x", i, c->vendor_id);
			}
			if (!bad48 && c->cap_len % 4) {
				bad48 = true;
				conf_set(ctx, "PCI-DEV-48", CONF_FAIL, "vendor data capability %zu: "
					 "cap_len %u is not a multiple of 4", i, c->cap_len);
			}
		}
	}
	/* a device without such capabilities has nothing these rows are about */
	if (!bad45)
		conf_set(ctx, "PCI-DEV-45", shm ? CONF_PASS : CONF_NOT_APPLICABLE,
			 "%u shared memory capabilities, each inside its BAR", shm);
	if (!bad46)
		conf_set(ctx, "PCI-DEV-46", shm ? CONF_PASS : CONF_NOT_APPLICABLE,
			 "%u shared memory capabilities, ids unique", shm);
	if (!bad47)
		conf_set(ctx, "PCI-DEV-47", vnd ? CONF_PASS : CONF_NOT_APPLICABLE,
			 "%u vendor data capabilities, none with vendor_id 0x1af4", vnd);
	if (!bad48)
		conf_set(ctx, "PCI-DEV-48", vnd ? CONF_PASS : CONF_NOT_APPLICABLE,
			 "%u vendor data capabilities, sizes multiples of 4", vnd);
}

static int run(struct conf_ctx *ctx)
{
	const struct conf_vcap *caps = ctx->caps, *common, *notify;
	size_t n = ctx->ncaps;

	common = conf_vcap_find(caps, n, VIRTIO_PCI_CAP_COMMON_CFG, ctx);
	notify = conf_vcap_find(caps, n, VIRTIO_PCI_CAP_NOTIFY_CFG, ctx);
	check_cap_lengths(ctx, caps, n);
	check_optional_caps(ctx, caps, n);
	/* virtio 1.3 4.1.4.3.1 */
	if (common && common->length < sizeof(struct virtio_pci_common_cfg))
		conf_set(ctx, "PCI-DEV-13", CONF_FAIL, "common configuration capability %u is "
			 "%u bytes, shorter than the %zu-byte structure", common->index,
			 common->length, sizeof(struct virtio_pci_common_cfg));
	else
		check_present(ctx, "PCI-DEV-13", common, "common configuration");
	check_alignment(ctx, "PCI-DEV-12", caps, n, VIRTIO_PCI_CAP_COMMON_CFG, 4,
			"common configuration");
	/* virtio 1.3 4.1.4.4.1 */
	check_present(ctx, "PCI-DEV-28", notify, "notification");
	check_notify(ctx, notify, common);
	/* virtio 1.3 4.1.4.5.1, 4.1.4.6, 4.1.4.6.1, 4.1.4.9.1 */
	check_present(ctx, "PCI-DEV-39", conf_vcap_find(caps, n, VIRTIO_PCI_CAP_ISR_CFG,
							ctx), "ISR status");
	check_present(ctx, "PCI-DEV-X01",
		      conf_vcap_find(caps, n, VIRTIO_PCI_CAP_DEVICE_CFG, ctx),
		      "device-specific configuration");
	check_alignment(ctx, "PCI-DEV-44", caps, n, VIRTIO_PCI_CAP_DEVICE_CFG, 4,
			"device-specific configuration");
	check_present(ctx, "PCI-DEV-50", conf_vcap_find(caps, n, VIRTIO_PCI_CAP_PCI_CFG,
							ctx), "PCI configuration access");
	return 0;
}

const struct conf_check conf_check_virtio_caps = {
	.name = "virtio_pci_caps",
	.description = "virtio structure capabilities: presence, alignment, lengths, notify "
		       "coverage (4.1.4)",
	.requirements = reqs,
	.run = run,
};
