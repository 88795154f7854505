// SPDX-License-Identifier: MIT
/*
 * IFCVF model: the plugin descriptor, options, the PCI layout, the device
 * status state machine, interrupts, link state and the control hooks.
 * Registers are in ifcvf_regs.c, queues in ifcvf_queue.c, the datapath in
 * ifcvf_tx.c / ifcvf_rx.c, the control virtqueue in ifcvf_ctrl.c.
 */
#include "sim/nic_ifcvf/ifcvf_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Statistics and log ------------------------------------------------------------------ */

static const char *const stat_names[IFCVF_S_COUNT] = {
	[IFCVF_S_TX_FRAMES] = "tx_frames",
	[IFCVF_S_TX_BYTES] = "tx_bytes",
	[IFCVF_S_TX_BAD] = "tx_bad",
	[IFCVF_S_TX_NOBUFS] = "tx_nobufs",
	[IFCVF_S_RX_FRAMES] = "rx_frames",
	[IFCVF_S_RX_BYTES] = "rx_bytes",
	[IFCVF_S_RX_NO_BUFFER] = "rx_no_buffer",
	[IFCVF_S_RX_FILTERED] = "rx_filtered",
	[IFCVF_S_RX_TOO_BIG] = "rx_too_big",
	[IFCVF_S_RX_NOT_READY] = "rx_not_ready",
	[IFCVF_S_RX_MERGED] = "rx_merged",
	[IFCVF_S_DOORBELLS] = "doorbells",
	[IFCVF_S_IRQS] = "irqs",
	[IFCVF_S_CFG_IRQS] = "cfg_irqs",
	[IFCVF_S_CTRL_CMDS] = "ctrl_cmds",
	[IFCVF_S_CTRL_ERR] = "ctrl_err",
	[IFCVF_S_DIRTY_WRITES] = "dirty_writes",
	[IFCVF_S_DIRTY_OOB] = "dirty_oob",
	[IFCVF_S_DMA_FAULTS_INJECTED] = "dma_faults_injected",
	[IFCVF_S_DEVICE_ERRORS] = "device_errors",
};

void ifcvf_stat(struct ifcvf *d, enum ifcvf_stat s, uint64_t delta)
{
	d->st[s] += delta;
}

/* The hot path counts locally; the host sees the counters at write-back time. */
void ifcvf_stats_flush(struct ifcvf *d)
{
	for (unsigned i = 0; i < IFCVF_S_COUNT; i++) {
		if (d->st[i] != d->st_sent[i])
			d->h->stat_add(d->host, stat_names[i], d->st[i] - d->st_sent[i]);
		d->st_sent[i] = d->st[i];
	}
}

void ifcvf_logf(struct ifcvf *d, enum vdpasim_log_level lvl, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->h->log(d->host, lvl, msg);
}

/* ---- Interrupts -------------------------------------------------------------------------- */

static void send_vector(struct ifcvf *d, uint16_t vector, uint64_t at)
{
	int r;

	if (vector == VIRTIO_MSI_NO_VECTOR)
		return; /* virtio 1.3 4.1.5.3.1 / 4.1.5.4.1: unmapped: no interrupt */
	r = d->h->msix_send(d->host, vector, at);
	if (r && r != -EAGAIN)
		ifcvf_logf(d, VDPASIM_LOG_WARN, "msix vector %u: error %d", vector, r);
}

void ifcvf_raise_vq_irq(struct ifcvf *d, struct ifcvf_q *q, uint64_t at)
{
	d->isr |= IFCVF_ISR_QUEUE;
	ifcvf_stat(d, IFCVF_S_IRQS, 1);
	send_vector(d, q->msix, at);
}

void ifcvf_raise_cfg_irq(struct ifcvf *d, uint64_t at)
{
	/* virtio 1.3 4.1.4.5.1: the ISR config bit before the notification */
	d->isr |= VIRTIO_PCI_ISR_CONFIG;
	ifcvf_stat(d, IFCVF_S_CFG_IRQS, 1);
	send_vector(d, d->msix_config, at);
}

/* Device config changed: a new generation (virtio 1.3 4.1.4.3.1) and maybe an interrupt. */
void ifcvf_cfg_changed(struct ifcvf *d, bool interrupt)
{
	d->cfg_gen++;
	if (interrupt && (d->status & VIRTIO_CONFIG_S_DRIVER_OK))
		ifcvf_raise_cfg_irq(d, d->h->now(d->host) + d->o.pipeline_ps);
}

void ifcvf_link_update(struct ifcvf *d)
{
	bool up = d->link_force >= 0 ? d->link_force : d->carrier;
	uint16_t ns = up ? (uint16_t)(d->net_status | VIRTIO_NET_S_LINK_UP)
			 : (uint16_t)(d->net_status & ~VIRTIO_NET_S_LINK_UP);

	if (ns == d->net_status)
		return;
	d->net_status = ns;
	d->h->trace(d->host, "link", up ? "up=1" : "up=0");
	ifcvf_cfg_changed(d, true);
}

/* ---- Status state machine ---------------------------------------------------------------- */

/* virtio 1.3 2.2.2 / 5.1.3.1: can the device work with the driver's subset? */
static const char *features_refusal(const struct ifcvf *d)
{
	uint64_t f = d->driver_features;

	if (f & ~d->o.features)
		return "bits not offered";
	if (!(f & (1ULL << VIRTIO_F_VERSION_1)))
		return "no VERSION_1 (no legacy interface)";
	if (!(f & (1ULL << VIRTIO_F_ACCESS_PLATFORM)))
		return "no ACCESS_PLATFORM (the VF DMAs through the IOMMU)";
	if ((f & IFCVF_NEEDS_CTRL_VQ) && !(f & (1ULL << VIRTIO_NET_F_CTRL_VQ)))
		return "control features without CTRL_VQ";
	return NULL;
}

static void queues_start(struct ifcvf *d)
{
	for (unsigned i = 0; i < d->num_queues; i++)
		if (d->q[i].enable)
			ifcvf_queue_start(d, &d->q[i]);
}

void ifcvf_status_write(struct ifcvf *d, uint8_t v)
{
	uint8_t old = d->status, set;
	const char *why;

	if (v == 0) {
		/* virtio 1.3 4.1.4.3.1: writing 0 resets; reads 0 once done (at once here) */
		ifcvf_device_reset(d);
		return;
	}
	v &= (uint8_t)~VIRTIO_CONFIG_S_NEEDS_RESET; /* the device's bit, not the driver's */
	set = v & (uint8_t)~old;
	if ((set & VIRTIO_CONFIG_S_FEATURES_OK) && (why = features_refusal(d))) {
		/* virtio 1.3 2.2.2: leave FEATURES_OK clear for a subset we cannot do */
		ifcvf_logf(d, VDPASIM_LOG_WARN, "FEATURES_OK refused for 0x%" PRIx64 ": %s",
			   d->driver_features, why);
		v &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
		set &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	}
	if ((set & VIRTIO_CONFIG_S_DRIVER_OK) && !(v & VIRTIO_CONFIG_S_FEATURES_OK)) {
		ifcvf_logf(d, VDPASIM_LOG_WARN, "DRIVER_OK without FEATURES_OK ignored");
		v &= (uint8_t)~VIRTIO_CONFIG_S_DRIVER_OK;
		set &= (uint8_t)~VIRTIO_CONFIG_S_DRIVER_OK;
	}
	d->status = v | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	if (set & VIRTIO_CONFIG_S_FAILED) {
		/* the driver gave up: stop touching its memory */
		for (unsigned i = 0; i < d->num_queues; i++)
			ifcvf_queue_stop(d, &d->q[i]);
		return;
	}
	/* virtio 1.3 2.1.2: queues run from DRIVER_OK on */
	if (set & VIRTIO_CONFIG_S_DRIVER_OK)
		queues_start(d);
}

void ifcvf_device_reset(struct ifcvf *d)
{
	for (unsigned i = 0; i < IFCVF_MAX_QUEUES; i++) {
		ifcvf_queue_stop(d, &d->q[i]);
		ifcvf_queue_regs_default(d, &d->q[i]);
	}
	d->status = 0;
	d->driver_features = 0;
	d->dfselect = d->gfselect = 0;
	d->msix_config = VIRTIO_MSI_NO_VECTOR;
	d->qsel = 0;
	d->isr = 0;
	/* the receive filter as a fresh device has it: promiscuous, one pair */
	d->promisc = true;
	d->allmulti = false;
	d->nuc = d->nmc = 0;
	d->active_pairs = d->o.mutant_mq_early ? d->o.pairs : 1;
	memset(d->flow, 0, sizeof(d->flow));
	memcpy(d->mac, d->o.mac, 6);
	d->net_status &= (uint16_t)~VIRTIO_NET_S_ANNOUNCE;
	d->last_tx_at = 0;
	ifcvf_stats_flush(d);
}

/* Function level reset: the virtio reset plus the vendor window. */
static void ifcvf_reset(void *dev)
{
	struct ifcvf *d = dev;

	ifcvf_device_reset(d);
	d->lm_ctrl = 0;
	d->log_base = d->log_end = 0;
	ifcvf_log_reset(d);
	d->fault_next = 0;
	d->link_force = -1;
	ifcvf_link_update(d);
}

/* ---- Options ----------------------------------------------------------------------------- */

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s)
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return mac[0] & 1 ? -EINVAL : 0; /* a station address is unicast */
}

struct opt_num {
	const char *key;
	uint64_t lo, hi;
};

static const struct opt_num opt_nums[] = {
	{ "queue_pairs", 1, IFCVF_MAX_PAIRS },	 { "queue_size", 2, IFCVF_MAX_QSIZE },
	{ "mtu", 1280, 9000 },			 { "msix_vectors", 1, IFCVF_MAX_VECTORS },
	{ "doorbell_ns", 0, 1000000 },		 { "batch", 1, 256 },
	{ "max_reads", 1, 1024 },		 { "pipeline_ns", 0, 1000000 },
	{ "wb_ns", 0, 1000000 },		 { "tx_ahead_ns", 0, 10000000 },
	{ "ctrl_ns", 0, 10000000 },
};

static int opt_apply(struct ifcvf *d, const char *key, const char *val, bool *nvec_set)
{
	struct ifcvf_opts *o = &d->o;
	uint64_t v;
	unsigned i;

	if (!strcmp(key, "features")) {
		if (parse_u64(val, &v) || (v & ~IFCVF_FEATURES))
			return -EINVAL;
		o->features = v;
		return 0;
	}
	if (!strcmp(key, "mutant")) {
		/* deliberately broken behaviour, for the conformance suite's own tests */
		if (strcmp(val, "mq_steer_early"))
			return -EINVAL;
		o->mutant_mq_early = true;
		return 0;
	}
	if (!strcmp(key, "mac")) {
		if (parse_mac(val, o->mac))
			return -EINVAL;
		o->mac_set = true;
		return 0;
	}
	for (i = 0; i < sizeof(opt_nums) / sizeof(opt_nums[0]); i++)
		if (!strcmp(key, opt_nums[i].key))
			break;
	if (i == sizeof(opt_nums) / sizeof(opt_nums[0]))
		return -ENOENT;
	if (parse_u64(val, &v) || v < opt_nums[i].lo || v > opt_nums[i].hi)
		return -EINVAL;
	switch (i) {
	case 0: o->pairs = (uint16_t)v; break;
	case 1: o->qsize = (uint16_t)v; break;
	case 2: o->mtu = (uint16_t)v; break;
	case 3: o->nvec = (uint16_t)v; *nvec_set = true; break;
	case 4: o->doorbell_ps = v * IFCVF_PS_PER_NS; break;
	case 5: o->batch = (uint32_t)v; break;
	case 6: o->max_reads = (uint32_t)v; break;
	case 7: o->pipeline_ps = v * IFCVF_PS_PER_NS; break;
	case 8: o->wb_ps = v * IFCVF_PS_PER_NS; break;
	case 9: o->tx_ahead_ps = v * IFCVF_PS_PER_NS; break;
	default: o->ctrl_ps = v * IFCVF_PS_PER_NS; break;
	}
	return 0;
}

static int parse_options(struct ifcvf *d, const char *options)
{
	struct ifcvf_opts *o = &d->o;
	char buf[512], *save = NULL, *tok;
	bool nvec_set = false;

	*o = (struct ifcvf_opts){
		.features = IFCVF_FEATURES,
		.pairs = 4,
		.qsize = 256,
		.mtu = 1500,
		.doorbell_ps = 250 * IFCVF_PS_PER_NS,
		.pipeline_ps = 100 * IFCVF_PS_PER_NS,
		.wb_ps = 100 * IFCVF_PS_PER_NS,
		.tx_ahead_ps = 4000 * IFCVF_PS_PER_NS,
		.ctrl_ps = 1000 * IFCVF_PS_PER_NS,
		.batch = 32,
		.max_reads = 64,
	};
	if (strlen(options) >= sizeof(buf)) {
		ifcvf_logf(d, VDPASIM_LOG_ERROR, "options string too long");
		return -EINVAL;
	}
	strcpy(buf, options);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int r;

		if (!eq) {
			ifcvf_logf(d, VDPASIM_LOG_ERROR, "option '%s' is not key=value", tok);
			return -EINVAL;
		}
		*eq = 0;
		r = opt_apply(d, tok, eq + 1, &nvec_set);
		if (r) {
			ifcvf_logf(d, VDPASIM_LOG_ERROR, "%s option %s=%s",
				   r == -ENOENT ? "unknown" : "bad value for", tok, eq + 1);
			return -EINVAL;
		}
	}
	if (o->qsize & (o->qsize - 1)) {
		ifcvf_logf(d, VDPASIM_LOG_ERROR, "queue_size %u is not a power of two", o->qsize);
		return -EINVAL;
	}
	/* virtio 1.3 2.2.2 / 5.1.3.1: offer nothing without its prerequisites */
	if (!(o->features & (1ULL << VIRTIO_F_VERSION_1)) ||
	    !(o->features & (1ULL << VIRTIO_F_ACCESS_PLATFORM)) ||
	    ((o->features & IFCVF_NEEDS_CTRL_VQ) &&
	     !(o->features & (1ULL << VIRTIO_NET_F_CTRL_VQ)))) {
		ifcvf_logf(d, VDPASIM_LOG_ERROR, "features 0x%" PRIx64 " lack a prerequisite",
			   o->features);
		return -EINVAL;
	}
	if (o->pairs > 1 && !(o->features & (1ULL << VIRTIO_NET_F_MQ))) {
		ifcvf_logf(d, VDPASIM_LOG_ERROR, "queue_pairs=%u needs the MQ feature", o->pairs);
		return -EINVAL;
	}
	d->num_queues = (uint16_t)(2 * o->pairs +
				   !!(o->features & (1ULL << VIRTIO_NET_F_CTRL_VQ)));
	if (!nvec_set)
		o->nvec = (uint16_t)(d->num_queues + 1);
	if (!o->mac_set) {
		uint64_t r = d->h->rng_next(d->host);

		for (int i = 0; i < 6; i++)
			o->mac[i] = (uint8_t)(r >> (8 * i));
		o->mac[0] = (uint8_t)((o->mac[0] & 0xfe) | 0x02); /* local, unicast */
	}
	return 0;
}

/* ---- Layout ------------------------------------------------------------------------------ */

static void put_virtio_cap(struct vdpasim_vendor_cap *vc, uint8_t len, uint8_t type, uint8_t bar,
			   uint32_t off, uint32_t length)
{
	uint8_t *b = vc->bytes;

	memset(vc, 0, sizeof(*vc));
	vc->len = len;
	b[offsetof(struct virtio_pci_cap, cap_len)] = len;
	b[offsetof(struct virtio_pci_cap, cfg_type)] = type;
	b[offsetof(struct virtio_pci_cap, bar)] = bar;
	vq_put_le32(b + offsetof(struct virtio_pci_cap, offset), off);
	vq_put_le32(b + offsetof(struct virtio_pci_cap, length), length);
}

static void fill_layout(const struct ifcvf *d, struct vdpasim_pci_layout *l)
{
	struct vdpasim_vendor_cap *vc = l->vendor_caps;
	const uint8_t ncap = (uint8_t)sizeof(struct virtio_pci_notify_cap);

	l->vendor_id = VDPASIM_PCI_VENDOR_REDHAT_QUMRANET;
	l->device_id = VDPASIM_PCI_DEVICE_VIRTIO_NET_MODERN;
	l->subsys_vendor_id = IFCVF_SUBSYS_VENDOR;
	l->subsys_id = IFCVF_SUBSYS_DEVICE;
	l->class_code = IFCVF_CLASS;
	l->revision = 1; /* virtio 1.3 4.1.2.1: non-transitional, revision >= 1 */
	l->link_gen = 4;
	l->link_width = 16;
	l->max_payload = 512;
	l->bars[IFCVF_BAR_CFG] = (struct vdpasim_bar_desc){ IFCVF_BAR0_SIZE, 1, 0 };
	l->bars[IFCVF_BAR_LM] = (struct vdpasim_bar_desc){ IFCVF_LM_SIZE, 1, 0 };
	l->msix_vectors = d->o.nvec;
	l->msix_table_bar = IFCVF_BAR_CFG;
	l->msix_table_offset = IFCVF_MSIX_TABLE_OFF;
	l->msix_pba_bar = IFCVF_BAR_CFG;
	l->msix_pba_offset = IFCVF_MSIX_PBA_OFF;
	/* virtio 1.3 4.1.4: common, notify, ISR, device config, PCI config access */
	put_virtio_cap(&vc[0], sizeof(struct virtio_pci_cap), VIRTIO_PCI_CAP_COMMON_CFG,
		       IFCVF_BAR_CFG, IFCVF_COMMON_OFF, IFCVF_COMMON_LEN);
	put_virtio_cap(&vc[1], ncap, VIRTIO_PCI_CAP_NOTIFY_CFG, IFCVF_BAR_CFG, IFCVF_NOTIFY_OFF,
		       IFCVF_NOTIFY_LEN);
	vq_put_le32(vc[1].bytes + offsetof(struct virtio_pci_notify_cap, notify_off_multiplier),
		    IFCVF_NOTIFY_MULT);
	put_virtio_cap(&vc[2], sizeof(struct virtio_pci_cap), VIRTIO_PCI_CAP_ISR_CFG,
		       IFCVF_BAR_CFG, IFCVF_ISR_OFF, IFCVF_ISR_LEN);
	put_virtio_cap(&vc[3], sizeof(struct virtio_pci_cap), VIRTIO_PCI_CAP_DEVICE_CFG,
		       IFCVF_BAR_CFG, IFCVF_DEVCFG_OFF, IFCVF_DEVCFG_LEN);
	put_virtio_cap(&vc[4], sizeof(struct virtio_pci_cfg_cap), VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0);
	l->nr_vendor_caps = 5;
	l->nr_net_ports = 1;
}

/* ---- Plugin entry points ----------------------------------------------------------------- */

static void ifcvf_destroy(void *dev)
{
	struct ifcvf *d = dev;

	if (!d)
		return;
	for (unsigned i = 0; i < IFCVF_MAX_QUEUES; i++)
		ifcvf_queue_stop(d, &d->q[i]);
	ifcvf_stats_flush(d);
	ifcvf_log_reset(d);
	free(d->rd_slot);
	free(d->rxbuf);
	free(d);
}

static int ifcvf_create(const struct vdpasim_host_ops *ops, void *host, const char *options,
			struct vdpasim_pci_layout *layout, void **dev)
{
	struct ifcvf *d;
	int r;

	*dev = NULL;
	if (!ops || ops->size < sizeof(*ops))
		return -EINVAL; /* a host older than the services we call */
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->h = ops;
	d->host = host;
	r = parse_options(d, options ? options : "");
	if (r)
		goto fail;
	d->rd_slot = calloc(d->o.max_reads, sizeof(*d->rd_slot));
	d->rxbuf = malloc(IFCVF_HDR_LEN + IFCVF_RX_FRAME_MAX);
	if (!d->rd_slot || !d->rxbuf) {
		r = -ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < IFCVF_MAX_QUEUES; i++) {
		d->q[i].qid = (uint16_t)i;
		d->q[i].acc.d = d;
		d->q[i].acc.q = &d->q[i];
	}
	d->link_force = -1;
	fill_layout(d, layout);
	ifcvf_reset(d);
	*dev = d;
	return 0;
fail:
	ifcvf_destroy(d);
	return r;
}

/* ---- control() --------------------------------------------------------------------------- */

static int reply_queue_state(struct ifcvf *d, const char *val, char *reply, uint32_t len)
{
	uint64_t qid;
	const struct ifcvf_q *q;
	struct vq_state st = { 0 };
	uint32_t inflight = 0;

	if (parse_u64(val, &qid) || qid >= d->num_queues)
		return -EINVAL;
	q = &d->q[qid];
	if (q->vq) {
		vq_dev_get_state(q->vq, &st);
		inflight = vq_dev_inflight(q->vq);
	}
	snprintf(reply, len,
		 "qid=%u running=%d broken=%d avail=%u used=%u avail_wrap=%d used_wrap=%d "
		 "inflight=%u cached=%u lm=0x%08x",
		 q->qid, q->running, q->broken, st.avail_idx, st.used_idx, st.avail_wrap,
		 st.used_wrap, inflight, q->rxc_n, ifcvf_ring_state(d, q));
	return 0;
}

static int ifcvf_control(void *dev, const char *cmd, char *reply, uint32_t len)
{
	struct ifcvf *d = dev;
	char key[32], scratch[8];
	const char *eq = strchr(cmd, '='), *val;
	uint64_t v;

	if (!reply || !len) {
		reply = scratch;
		len = sizeof(scratch);
	}
	reply[0] = 0;
	if (!eq || (size_t)(eq - cmd) >= sizeof(key))
		return -EINVAL;
	memcpy(key, cmd, (size_t)(eq - cmd));
	key[eq - cmd] = 0;
	val = eq + 1;
	if (!strcmp(key, "carrier0")) {
		if (strcmp(val, "up") && strcmp(val, "down"))
			return -EINVAL;
		d->carrier = !strcmp(val, "up");
		ifcvf_link_update(d);
		return 0;
	}
	if (!strcmp(key, "link")) {
		if (!strcmp(val, "up"))
			d->link_force = 1;
		else if (!strcmp(val, "down"))
			d->link_force = 0;
		else if (!strcmp(val, "auto"))
			d->link_force = -1;
		else
			return -EINVAL;
		ifcvf_link_update(d);
		return 0;
	}
	if (!strcmp(key, "announce")) {
		if (!ifcvf_has(d, VIRTIO_NET_F_GUEST_ANNOUNCE))
			return -EAGAIN;
		/* virtio 1.3 5.1.6.5.4: ask the driver to announce itself */
		d->net_status |= VIRTIO_NET_S_ANNOUNCE;
		ifcvf_cfg_changed(d, true);
		return 0;
	}
	if (!strcmp(key, "dma_fault_next")) {
		if (parse_u64(val, &v) || v > UINT32_MAX)
			return -EINVAL;
		d->fault_next = (uint32_t)v;
		return 0;
	}
	if (!strcmp(key, "queue_state"))
		return reply_queue_state(d, val, reply, len);
	if (!strcmp(key, "stats")) {
		size_t n = 0;

		ifcvf_stats_flush(d);
		for (unsigned i = 0; i < IFCVF_S_COUNT && n < len; i++)
			n += (size_t)snprintf(reply + n, len - n, "%s%s=%" PRIu64, i ? " " : "",
					      stat_names[i], d->st[i]);
		return 0;
	}
	if (!strcmp(key, "status")) {
		snprintf(reply, len,
			 "status=0x%02x features=0x%" PRIx64 " active_pairs=%u promisc=%d "
			 "allmulti=%d net_status=0x%x cfg_gen=%u logging=%u",
			 d->status, d->driver_features, d->active_pairs, d->promisc, d->allmulti,
			 d->net_status, d->cfg_gen, d->lm_ctrl);
		return 0;
	}
	return -EOPNOTSUPP;
}

static const struct vdpasim_device_plugin ifcvf_descriptor = {
	.abi_version = VDPASIM_PLUGIN_ABI_VERSION,
	.size = sizeof(struct vdpasim_device_plugin),
	.name = "ifcvf",
	.vendor = "vdpasim",
	.description = "IFCVF-like 100G virtio-net VF: modern virtio-pci, vendor LM BAR",
	.model_version = "1.0",
	.create = ifcvf_create,
	.destroy = ifcvf_destroy,
	.mmio_read = ifcvf_mmio_read,
	.mmio_write = ifcvf_mmio_write,
	.reset = ifcvf_reset,
	.net_rx = ifcvf_net_rx,
	.net_tx_ready = ifcvf_net_tx_ready,
	.control = ifcvf_control,
};

const struct vdpasim_device_plugin *ifcvf_plugin(void)
{
	return &ifcvf_descriptor;
}
