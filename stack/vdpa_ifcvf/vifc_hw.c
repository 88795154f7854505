// SPDX-License-Identifier: MIT
/*
 * vdpa_ifcvf hardware access (the part the kernel keeps in ifcvf_base.c):
 * logged MMIO and config cycles, the capability walk, common cfg helpers,
 * device config with the generation check, the live-migration BAR.
 */
#include "stack/vdpa_ifcvf/vifc_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- register access -------------------------------------------------------------------- */

static bool in_window(uint64_t addr, uint64_t base, uint64_t len, uint32_t *off)
{
	if (!len || addr < base || addr - base >= len)
		return false;
	*off = (uint32_t)(addr - base);
	return true;
}

static enum vifc_region classify(const struct vifc *vf, uint64_t addr, uint32_t *off)
{
	if (in_window(addr, vf->common.addr, vf->common.length, off))
		return VIFC_RGN_COMMON;
	if (in_window(addr, vf->notify.addr, vf->notify.length, off))
		return VIFC_RGN_NOTIFY;
	if (in_window(addr, vf->isr.addr, vf->isr.length, off))
		return VIFC_RGN_ISR;
	if (in_window(addr, vf->device.addr, vf->device.length, off))
		return VIFC_RGN_DEVICE;
	if (in_window(addr, vf->lm_addr, vf->lm_size, off))
		return VIFC_RGN_LM;
	if (in_window(addr, vf->msix_table, (uint64_t)vf->msix_table_size * PCI_MSIX_ENTRY_SIZE,
		      off))
		return VIFC_RGN_MSIX;
	*off = (uint32_t)addr;
	return VIFC_RGN_OTHER;
}

static void log_access(struct vifc *vf, bool write, uint64_t addr, unsigned int size,
		       uint64_t val)
{
	struct vifc_mmio_rec *r;

	if (!vf->log || vf->log_len >= vf->opts.mmio_log_cap)
		return;
	r = &vf->log[vf->log_len++];
	r->time = eng_now(vf->sim);
	r->write = write;
	r->region = classify(vf, addr, &r->off);
	r->size = (uint8_t)size;
	r->val = val;
}

uint64_t vifc_rd(struct vifc *vf, uint64_t addr, unsigned int size)
{
	sim_time_t rtt = 0;
	uint64_t v = 0;

	if (pcie_mmio_read(vf->rc, addr, size, &v, &rtt))
		vf->stats.mmio_errors++;
	vf->stats.mmio_reads++;
	vf->stats.mmio_read_stall += rtt;
	log_access(vf, false, addr, size, v);
	return v;
}

void vifc_wr(struct vifc *vf, uint64_t addr, unsigned int size, uint64_t val)
{
	if (pcie_mmio_write(vf->rc, addr, size, val, NULL))
		vf->stats.mmio_errors++;
	vf->stats.mmio_writes++;
	log_access(vf, true, addr, size, val);
}

uint32_t vifc_cfg_rd(struct vifc *vf, uint16_t off, unsigned int size)
{
	uint32_t v = 0;

	vf->stats.cfg_reads++;
	if (pcie_host_cfg_read(&vf->hf, off, size, &v))
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	return v;
}

void vifc_cfg_wr(struct vifc *vf, uint16_t off, unsigned int size, uint32_t val)
{
	vf->stats.cfg_writes++;
	pcie_host_cfg_write(&vf->hf, off, size, val);
}

uint64_t vifc_common_rd(struct vifc *vf, unsigned int off, unsigned int size)
{
	return vifc_rd(vf, vf->common.addr + off, size);
}

void vifc_common_wr(struct vifc *vf, unsigned int off, unsigned int size, uint64_t val)
{
	vifc_wr(vf, vf->common.addr + off, size, val);
}

/* ---- capability walk (ifcvf_init_hw) ---------------------------------------------------- */

/* Minimum window sizes this driver relies on. */
#define COMMON_MIN_LEN (VIRTIO_PCI_COMMON_Q_USEDHI + 4)
#define VNDR_CAP_WALK_MAX 48 /* a 256-byte list holds fewer vendor capabilities */

/* get_cap_addr: the window must lie inside an assigned BAR. */
static bool cap_window(struct vifc *vf, uint16_t pos, uint8_t bar, uint32_t offset,
		       uint32_t length, struct vifc_cap_info *out)
{
	if (bar >= 6 || !vf->hf.bar[bar].size)
		return false;
	if ((uint64_t)offset + length > vf->hf.bar[bar].size)
		return false;
	out->cfg_off = pos;
	out->bar = bar;
	out->offset = offset;
	out->length = length;
	out->addr = vf->hf.bar[bar].addr + offset;
	return true;
}

static void read_vndr_cap(struct vifc *vf, uint16_t pos, uint8_t raw[20])
{
	for (unsigned int i = 0; i < 20; i += 4) {
		uint32_t d = vifc_cfg_rd(vf, (uint16_t)(pos + i), 4);

		raw[i] = (uint8_t)d;
		raw[i + 1] = (uint8_t)(d >> 8);
		raw[i + 2] = (uint8_t)(d >> 16);
		raw[i + 3] = (uint8_t)(d >> 24);
	}
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One vendor capability: keep the first valid one of each virtio type
 * (virtio 1.3 4.1.4: "the driver SHOULD use the first instance"). */
static void parse_vndr_cap(struct vifc *vf, uint16_t pos, bool have[5])
{
	uint8_t raw[20];
	uint8_t cap_len, type, bar;
	uint32_t offset, length;
	struct vifc_cap_info *dst;
	unsigned int min_len = 1;

	read_vndr_cap(vf, pos, raw);
	cap_len = raw[VIRTIO_PCI_CAP_LEN];
	type = raw[VIRTIO_PCI_CAP_CFG_TYPE];
	bar = raw[VIRTIO_PCI_CAP_BAR];
	offset = le32_at(raw + VIRTIO_PCI_CAP_OFFSET);
	length = le32_at(raw + VIRTIO_PCI_CAP_LENGTH);
	if (cap_len < sizeof(struct virtio_pci_cap))
		return;
	switch (type) {
	case VIRTIO_PCI_CAP_COMMON_CFG:
		dst = &vf->common;
		min_len = COMMON_MIN_LEN;
		break;
	case VIRTIO_PCI_CAP_NOTIFY_CFG:
		/* virtio 1.3 4.1.4.4: the multiplier follows the cap. */
		if (cap_len < sizeof(struct virtio_pci_notify_cap))
			return;
		dst = &vf->notify;
		min_len = 2;
		break;
	case VIRTIO_PCI_CAP_ISR_CFG:
		dst = &vf->isr;
		break;
	case VIRTIO_PCI_CAP_DEVICE_CFG:
		dst = &vf->device;
		break;
	default:
		return; /* PCI cfg access, shared memory, vendor data: not used */
	}
	if (have[type] || length < min_len)
		return;
	if (!cap_window(vf, pos, bar, offset, length, dst))
		return;
	have[type] = true;
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
		vf->notify_off_multiplier = le32_at(raw + VIRTIO_PCI_NOTIFY_CAP_MULT);
}

static void find_msix(struct vifc *vf)
{
	int cap = pcie_find_cap(&vf->hf, PCI_CAP_ID_MSIX, 0);
	uint32_t ctl, tbl;
	unsigned int bir;

	vf->msix_cap = -ENOENT;
	if (cap <= 0)
		return;
	ctl = vifc_cfg_rd(vf, (uint16_t)(cap + PCI_MSIX_FLAGS), 2);
	tbl = vifc_cfg_rd(vf, (uint16_t)(cap + PCI_MSIX_TABLE), 4);
	bir = tbl & PCI_MSIX_TABLE_BIR;
	if (bir >= 6 || !vf->hf.bar[bir].size)
		return;
	vf->msix_cap = cap;
	vf->msix_table_size = (uint16_t)((ctl & PCI_MSIX_FLAGS_QSIZE) + 1);
	vf->msix_table = vf->hf.bar[bir].addr + (tbl & PCI_MSIX_TABLE_OFFSET);
}

int vifc_init_hw(struct vifc *vf)
{
	bool have[5] = { false };
	int pos = 0;

	for (unsigned int i = 0; i < VNDR_CAP_WALK_MAX; i++) {
		pos = pcie_find_cap(&vf->hf, PCI_CAP_ID_VNDR, (uint8_t)pos);
		if (pos <= 0)
			break;
		parse_vndr_cap(vf, (uint16_t)pos, have);
	}
	if (!have[VIRTIO_PCI_CAP_COMMON_CFG] || !have[VIRTIO_PCI_CAP_NOTIFY_CFG] ||
	    !have[VIRTIO_PCI_CAP_ISR_CFG] || !have[VIRTIO_PCI_CAP_DEVICE_CFG])
		return -EIO; /* "Incomplete PCI capabilities" */
	/* BAR4 is the live-migration window (ring state words from 0x20). */
	if (vf->hf.bar[VIFC_LM_BAR].size < VIFC_LM_RING_STATE + 4)
		return -EIO;
	vf->lm_addr = vf->hf.bar[VIFC_LM_BAR].addr;
	vf->lm_size = vf->hf.bar[VIFC_LM_BAR].size;
	find_msix(vf);

	vf->nr_vring = (uint16_t)vifc_common_rd(vf, VIRTIO_PCI_COMMON_NUMQ, 2);
	if (!vf->nr_vring || vf->nr_vring > VIFC_MAX_QUEUES)
		return -EIO;
	vf->vring = calloc(vf->nr_vring, sizeof(*vf->vring));
	if (!vf->vring)
		return -ENOMEM;
	for (uint16_t i = 0; i < vf->nr_vring; i++) {
		struct vifc_vring *vr = &vf->vring[i];
		uint64_t at;

		vifc_common_wr(vf, VIRTIO_PCI_COMMON_Q_SELECT, 2, i);
		vr->notify_off = (uint16_t)vifc_common_rd(vf, VIRTIO_PCI_COMMON_Q_NOFF, 2);
		at = (uint64_t)vr->notify_off * vf->notify_off_multiplier;
		/* virtio 1.3 4.1.4.4.1: the doorbell lies inside the notify window. */
		if (at + 2 > vf->notify.length)
			return -EIO;
		vr->notify_addr = vf->notify.addr + at;
		vr->irq = -EINVAL;
	}
	vf->vqs_reused_irq = -EINVAL;
	vf->config_irq = -EINVAL;
	return 0;
}

/* ---- common cfg ---------------------------------------------------------------------------- */

uint8_t vifc_get_status(struct vifc *vf)
{
	return (uint8_t)vifc_common_rd(vf, VIRTIO_PCI_COMMON_STATUS, 1);
}

void vifc_set_status(struct vifc *vf, uint8_t status)
{
	vifc_common_wr(vf, VIRTIO_PCI_COMMON_STATUS, 1, status);
}

/* virtio 1.3 4.1.4.3.2: after writing 0 the driver waits until status reads 0. */
int vifc_reset_hw(struct vifc *vf)
{
	unsigned int max = vf->opts.reset_poll_max ? vf->opts.reset_poll_max
						   : VIFC_RESET_POLL_DEFAULT;

	vifc_set_status(vf, 0);
	for (unsigned int i = 0; i < max; i++) {
		vf->stats.reset_polls++;
		if (!vifc_get_status(vf))
			return 0;
	}
	vf->stats.reset_timeouts++;
	return -ETIMEDOUT;
}

uint64_t vifc_get_hw_features(struct vifc *vf)
{
	uint64_t lo, hi;

	vifc_common_wr(vf, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	lo = vifc_common_rd(vf, VIRTIO_PCI_COMMON_DF, 4);
	vifc_common_wr(vf, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	hi = vifc_common_rd(vf, VIRTIO_PCI_COMMON_DF, 4);
	return hi << 32 | lo;
}

/* The kernel selects with device_feature_select here; guest_feature is
 * selected by guest_feature_select (virtio 1.3 4.1.4.3), so use that. */
uint64_t vifc_get_driver_features_hw(struct vifc *vf)
{
	uint64_t lo, hi;

	vifc_common_wr(vf, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	lo = vifc_common_rd(vf, VIRTIO_PCI_COMMON_GF, 4);
	vifc_common_wr(vf, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	hi = vifc_common_rd(vf, VIRTIO_PCI_COMMON_GF, 4);
	return hi << 32 | lo;
}

void vifc_set_driver_features_hw(struct vifc *vf, uint64_t features)
{
	vifc_common_wr(vf, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	vifc_common_wr(vf, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)features);
	vifc_common_wr(vf, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	vifc_common_wr(vf, VIRTIO_PCI_COMMON_GF, 4, features >> 32);
}

uint16_t vifc_get_vq_size(struct vifc *vf, uint16_t qid)
{
	if (qid >= vf->nr_vring)
		return 0;
	vifc_common_wr(vf, VIRTIO_PCI_COMMON_Q_SELECT, 2, qid);
	return (uint16_t)vifc_common_rd(vf, VIRTIO_PCI_COMMON_Q_SIZE, 2);
}

/* Largest size over the queues; 0 means a queue is unavailable. */
uint16_t vifc_get_max_vq_size(struct vifc *vf)
{
	uint16_t max = vifc_get_vq_size(vf, 0);

	for (uint16_t q = 1; q < vf->nr_vring; q++) {
		uint16_t s = vifc_get_vq_size(vf, q);

		if (s > max)
			max = s;
	}
	return max;
}

/* Returns what the device accepted (NO_VECTOR: refused). */
uint16_t vifc_set_vq_vector(struct vifc *vf, uint16_t qid, uint16_t vector)
{
	vifc_common_wr(vf, VIRTIO_PCI_COMMON_Q_SELECT, 2, qid);
	vifc_common_wr(vf, VIRTIO_PCI_COMMON_Q_MSIX, 2, vector);
	return (uint16_t)vifc_common_rd(vf, VIRTIO_PCI_COMMON_Q_MSIX, 2);
}

uint16_t vifc_set_config_vector(struct vifc *vf, uint16_t vector)
{
	vifc_common_wr(vf, VIRTIO_PCI_COMMON_MSIX, 2, vector);
	return (uint16_t)vifc_common_rd(vf, VIRTIO_PCI_COMMON_MSIX, 2);
}

/* ifcvf_stop: no callback may run after reset starts; vectors detached. */
void vifc_stop(struct vifc *vf)
{
	for (uint16_t q = 0; q < vf->nr_vring; q++) {
		vf->vring[q].cb.callback = NULL;
		vf->vring[q].cb.private = NULL;
		vf->vring[q].cb.trigger = NULL;
		vifc_set_vq_vector(vf, q, VIRTIO_MSI_NO_VECTOR);
	}
	vf->config_cb.callback = NULL;
	vf->config_cb.private = NULL;
	vf->config_cb.trigger = NULL;
	vifc_set_config_vector(vf, VIRTIO_MSI_NO_VECTOR);
}

/* ---- device config ------------------------------------------------------------------------ */

/*
 * Byte reads between two config_generation reads, again while they differ
 * (virtio 1.3 4.1.4.3.1 / 2.5.1), bounded.  Bytes past the config size read
 * as 0 (the kernel warns and reads on).
 */
void vifc_read_dev_config(struct vifc *vf, unsigned int offset, void *dst, unsigned int len)
{
	uint8_t *p = dst;
	unsigned int n = 0;

	if (offset < vf->config_size)
		n = len < vf->config_size - offset ? len : vf->config_size - offset;
	memset(p + n, 0, len - n);
	for (unsigned int tries = 0; tries < VIFC_CONFIG_READ_TRIES; tries++) {
		uint8_t old_gen, new_gen;

		old_gen = (uint8_t)vifc_common_rd(vf, VIRTIO_PCI_COMMON_CFGGENERATION, 1);
		for (unsigned int i = 0; i < n; i++)
			p[i] = (uint8_t)vifc_rd(vf, vf->device.addr + offset + i, 1);
		new_gen = (uint8_t)vifc_common_rd(vf, VIRTIO_PCI_COMMON_CFGGENERATION, 1);
		if (old_gen == new_gen)
			return;
		vf->stats.config_retries++;
	}
}

void vifc_write_dev_config(struct vifc *vf, unsigned int offset, const void *src,
			   unsigned int len)
{
	const uint8_t *p = src;

	for (unsigned int i = 0; i < len && offset + i < vf->config_size; i++)
		vifc_wr(vf, vf->device.addr + offset + i, 1, p[i]);
}

/* ---- live-migration BAR ---------------------------------------------------------------------- */

static int lm_state_addr(const struct vifc *vf, uint16_t qid, uint64_t *addr)
{
	uint64_t off = VIFC_LM_STATE_OFF((uint64_t)qid);

	if (qid >= vf->nr_vring || off + 4 > vf->lm_size)
		return -EINVAL;
	*addr = vf->lm_addr + off;
	return 0;
}

int vifc_lm_ring_state(struct vifc *vf, uint16_t qid, uint16_t *last_avail, uint16_t *last_used)
{
	uint64_t addr;
	uint32_t w;
	int err = lm_state_addr(vf, qid, &addr);

	if (err)
		return err;
	w = (uint32_t)vifc_rd(vf, addr, 4);
	if (last_avail)
		*last_avail = (uint16_t)w;
	if (last_used)
		*last_used = (uint16_t)(w >> 16);
	return 0;
}

int vifc_lm_set_ring_state(struct vifc *vf, uint16_t qid, uint16_t last_avail,
			   uint16_t last_used)
{
	uint64_t addr;
	int err = lm_state_addr(vf, qid, &addr);

	if (err)
		return err;
	vifc_wr(vf, addr, 4, (uint32_t)last_avail | (uint32_t)last_used << 16);
	return 0;
}

/* ifcvf_get_vq_state / ifcvf_set_vq_state: the avail index in the low half. */
int vifc_lm_get_avail(struct vifc *vf, uint16_t qid, uint16_t *avail)
{
	uint64_t addr;
	int err = lm_state_addr(vf, qid, &addr);

	if (err)
		return err;
	*avail = (uint16_t)vifc_rd(vf, addr, 2);
	return 0;
}

int vifc_lm_set_avail(struct vifc *vf, uint16_t qid, uint16_t avail)
{
	uint64_t addr;
	int err = lm_state_addr(vf, qid, &addr);

	if (err)
		return err;
	vifc_wr(vf, addr, 2, avail);
	return 0;
}

int vifc_lm_log_start(struct vifc *vf, uint64_t log_base, uint64_t log_end)
{
	if (!vf || log_end <= log_base)
		return -EINVAL;
	vifc_wr(vf, vf->lm_addr + VIFC_LM_BASE_LO, 4, (uint32_t)log_base);
	vifc_wr(vf, vf->lm_addr + VIFC_LM_BASE_HI, 4, log_base >> 32);
	vifc_wr(vf, vf->lm_addr + VIFC_LM_END_LO, 4, (uint32_t)log_end);
	vifc_wr(vf, vf->lm_addr + VIFC_LM_END_HI, 4, log_end >> 32);
	vifc_wr(vf, vf->lm_addr + VIFC_LM_LOGGING_CTRL, 4, 1);
	return 0;
}

int vifc_lm_log_stop(struct vifc *vf)
{
	if (!vf)
		return -EINVAL;
	vifc_wr(vf, vf->lm_addr + VIFC_LM_LOGGING_CTRL, 4, 0);
	return 0;
}

bool vifc_lm_logging(struct vifc *vf)
{
	return vf && (vifc_rd(vf, vf->lm_addr + VIFC_LM_LOGGING_CTRL, 4) & 1);
}

/* ---- MMIO access log ---------------------------------------------------------------------- */

static const char *const common_names[] = {
	[VIRTIO_PCI_COMMON_DFSELECT] = "device_feature_select",
	[VIRTIO_PCI_COMMON_DF] = "device_feature",
	[VIRTIO_PCI_COMMON_GFSELECT] = "guest_feature_select",
	[VIRTIO_PCI_COMMON_GF] = "guest_feature",
	[VIRTIO_PCI_COMMON_MSIX] = "msix_config",
	[VIRTIO_PCI_COMMON_NUMQ] = "num_queues",
	[VIRTIO_PCI_COMMON_STATUS] = "device_status",
	[VIRTIO_PCI_COMMON_CFGGENERATION] = "config_generation",
	[VIRTIO_PCI_COMMON_Q_SELECT] = "queue_select",
	[VIRTIO_PCI_COMMON_Q_SIZE] = "queue_size",
	[VIRTIO_PCI_COMMON_Q_MSIX] = "queue_msix_vector",
	[VIRTIO_PCI_COMMON_Q_ENABLE] = "queue_enable",
	[VIRTIO_PCI_COMMON_Q_NOFF] = "queue_notify_off",
	[VIRTIO_PCI_COMMON_Q_DESCLO] = "queue_desc_lo",
	[VIRTIO_PCI_COMMON_Q_DESCHI] = "queue_desc_hi",
	[VIRTIO_PCI_COMMON_Q_AVAILLO] = "queue_driver_lo",
	[VIRTIO_PCI_COMMON_Q_AVAILHI] = "queue_driver_hi",
	[VIRTIO_PCI_COMMON_Q_USEDLO] = "queue_device_lo",
	[VIRTIO_PCI_COMMON_Q_USEDHI] = "queue_device_hi",
	[VIRTIO_PCI_COMMON_Q_NDATA] = "queue_notify_data",
	[VIRTIO_PCI_COMMON_Q_RESET] = "queue_reset",
};

static const char *const region_names[VIFC_RGN_COUNT] = {
	[VIFC_RGN_COMMON] = "common", [VIFC_RGN_NOTIFY] = "notify", [VIFC_RGN_ISR] = "isr",
	[VIFC_RGN_DEVICE] = "device", [VIFC_RGN_LM] = "lm",	    [VIFC_RGN_MSIX] = "msix",
	[VIFC_RGN_OTHER] = "mmio",
};

void vifc_mmio_rec_fmt(const struct vifc_mmio_rec *r, char *buf, size_t len)
{
	const char *name = NULL;
	char where[40];

	if (r->region == VIFC_RGN_COMMON &&
	    r->off < sizeof(common_names) / sizeof(common_names[0]))
		name = common_names[r->off];
	if (name)
		snprintf(where, sizeof(where), "%s", name);
	else
		snprintf(where, sizeof(where), "%s+0x%x",
			 r->region < VIFC_RGN_COUNT ? region_names[r->region] : "?", r->off);
	snprintf(buf, len, "%c%u %s 0x%llx", r->write ? 'w' : 'r', r->size, where,
		 (unsigned long long)r->val);
}

size_t vifc_mmio_log_len(const struct vifc *vf)
{
	return vf ? vf->log_len : 0;
}

const struct vifc_mmio_rec *vifc_mmio_log_at(const struct vifc *vf, size_t i)
{
	return vf && i < vf->log_len ? &vf->log[i] : NULL;
}

void vifc_mmio_log_clear(struct vifc *vf)
{
	if (vf)
		vf->log_len = 0;
}

static bool rec_matches(const struct vifc_mmio_rec *r, const char *prefix)
{
	char line[96];

	vifc_mmio_rec_fmt(r, line, sizeof(line));
	return !strncmp(line, prefix, strlen(prefix));
}

long vifc_mmio_log_find(const struct vifc *vf, const char *prefix, size_t from)
{
	for (size_t i = from; vf && i < vf->log_len; i++)
		if (rec_matches(&vf->log[i], prefix))
			return (long)i;
	return -1;
}

size_t vifc_mmio_log_count(const struct vifc *vf, const char *prefix)
{
	size_t n = 0;

	for (size_t i = 0; vf && i < vf->log_len; i++)
		n += rec_matches(&vf->log[i], prefix);
	return n;
}

bool vifc_mmio_log_has_sequence(const struct vifc *vf, const char *const *prefixes)
{
	size_t at = 0;

	for (; *prefixes; prefixes++) {
		long i = vifc_mmio_log_find(vf, *prefixes, at);

		if (i < 0)
			return false;
		at = (size_t)i + 1;
	}
	return true;
}
