// SPDX-License-Identifier: MIT
/*
 * MBX device: instance lifetime, options, registers (BAR0, BAR2 doorbells),
 * function reset, timers, asynchronous events, statistics and the control()
 * hooks.  The mailbox commands are in mbx_cmd.c, the virtqueue objects in
 * mbx_vq.c, the datapath in mbx_dp.c.
 */
#include "sim/nic_mbx/mbx_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const stat_names[MBX_S_COUNT] = {
	[MBX_S_TX_FRAMES] = "tx_frames",
	[MBX_S_TX_BYTES] = "tx_bytes",
	[MBX_S_TX_DROPPED] = "tx_dropped",
	[MBX_S_TX_NOBUFS] = "tx_nobufs",
	[MBX_S_RX_FRAMES] = "rx_frames",
	[MBX_S_RX_BYTES] = "rx_bytes",
	[MBX_S_RX_NO_BUFFER] = "rx_no_buffer",
	[MBX_S_RX_FILTERED] = "rx_filtered",
	[MBX_S_RX_TOO_SMALL] = "rx_too_small",
	[MBX_S_RX_TOO_BIG] = "rx_too_big",
	[MBX_S_RX_OVERRUN] = "rx_overrun",
	[MBX_S_RX_NOT_READY] = "rx_not_ready",
	[MBX_S_RX_MERGED] = "rx_merged",
	[MBX_S_DOORBELLS] = "doorbells",
	[MBX_S_IRQS] = "irqs",
	[MBX_S_EVENTS] = "events",
	[MBX_S_CMDS] = "commands",
	[MBX_S_CMD_ERRORS] = "command_errors",
	[MBX_S_CMD_DROPPED] = "command_doorbells_dropped",
	[MBX_S_DMA_FAULTS_INJECTED] = "dma_faults_injected",
	[MBX_S_VQ_ERRORS] = "vq_errors",
};

/* ---- statistics, log ------------------------------------------------------------------------ */

void mbx_stat(struct mbx *d, enum mbx_stat s, uint64_t delta)
{
	d->st[s] += delta;
}

/* Counters go to the host in batches: one call per counter that moved. */
void mbx_stats_flush(struct mbx *d)
{
	if (!d->h->stat_add)
		return;
	for (int i = 0; i < MBX_S_COUNT; i++) {
		if (d->st[i] != d->st_sent[i]) {
			d->h->stat_add(d->host, stat_names[i], d->st[i] - d->st_sent[i]);
			d->st_sent[i] = d->st[i];
		}
	}
}

void mbx_logf(struct mbx *d, enum vdpasim_log_level lvl, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	if (!d->h->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	d->h->log(d->host, lvl, buf);
}

/* ---- timers --------------------------------------------------------------------------------- */

/* The argument carries kind, queue and the generation the timer was set in. */
static void timer_fire(void *dev, uint64_t arg)
{
	struct mbx *d = dev;
	enum mbx_timer_kind kind = (enum mbx_timer_kind)(arg & 0xff);
	uint32_t qid = (uint32_t)((arg >> 8) & 0xff), gen = (uint32_t)(arg >> 32);

	if (kind == MBX_T_CMD) {
		mbx_cmd_timer(d, gen);
	} else if (qid < MBX_MAX_VQS && d->q[qid].exists && d->q[qid].gen == gen) {
		mbx_vq_timer(d, kind, &d->q[qid]);
	}
	mbx_stats_flush(d);
}

uint64_t mbx_timer(struct mbx *d, uint64_t at, enum mbx_timer_kind kind, uint32_t qid,
		   uint32_t gen)
{
	uint64_t now = mbx_now(d);

	return d->h->timer_add(d->host, at < now ? now : at, timer_fire,
			       (uint64_t)kind | (uint64_t)(qid & 0xff) << 8 | (uint64_t)gen << 32);
}

/* ---- events --------------------------------------------------------------------------------- */

/* Latch a cause and signal the event vector (virtio's config interrupt role). */
void mbx_event(struct mbx *d, uint32_t cause, uint64_t at)
{
	d->event_cause |= cause;
	mbx_stat(d, MBX_S_EVENTS, 1);
	if (d->event_vector != MBX_NO_VECTOR)
		d->h->msix_send(d->host, d->event_vector, mbx_max(at, mbx_now(d)));
}

void mbx_steer_default(struct mbx *d)
{
	memset(&d->steer, 0, sizeof(d->steer));
	memcpy(d->steer.mac, d->o.mac, 6);
	d->steer.rxq = 1;
}

/* ---- options -------------------------------------------------------------------------------- */

static int parse_u64(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (!*v || *v == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*out = x;
	return 0;
}

static int parse_mac(const char *v, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (sscanf(v, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static void opts_default(struct mbx_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->features = MBX_FEATURES;
	o->max_vqs = 8;
	o->qsize = 1024;
	o->resume = true;
	o->max_mtu = 9000;
	o->fw_ps = 10000 * MBX_PS_PER_NS;
	o->doorbell_ps = 200 * MBX_PS_PER_NS;
	o->pipeline_ps = 100 * MBX_PS_PER_NS;
	o->wb_ps = 200 * MBX_PS_PER_NS;
	o->tx_ahead_ps = 4000 * MBX_PS_PER_NS;
	o->rx_fifo_ps = 2000 * MBX_PS_PER_NS;
	o->batch = 32;
}

static int set_opt(struct mbx *d, const char *k, const char *v)
{
	struct mbx_opts *o = &d->o;
	uint64_t x = 0;

	if (!strcmp(k, "mac"))
		return parse_mac(v, o->mac) ? -EINVAL : (o->mac_set = true, 0);
	if (parse_u64(v, &x))
		return -EINVAL;
	if (!strcmp(k, "features")) {
		if (x & ~MBX_FEATURES || !(x & (1ULL << VIRTIO_F_VERSION_1)))
			return -EINVAL;
		o->features = x;
	} else if (!strcmp(k, "max_vqs")) {
		if (x < 2 || x > MBX_MAX_VQS || x % 2)
			return -EINVAL;
		o->max_vqs = (uint16_t)x;
	} else if (!strcmp(k, "queue_size")) {
		if (x < 64 || x > VQ_MAX_SIZE || (x & (x - 1)))
			return -EINVAL;
		o->qsize = (uint32_t)x;
	} else if (!strcmp(k, "msix_vectors")) {
		if (x < 2 || x > MBX_MAX_VECTORS)
			return -EINVAL;
		o->nvec = (uint16_t)x;
	} else if (!strcmp(k, "resume")) {
		if (x > 1)
			return -EINVAL;
		o->resume = x;
	} else if (!strcmp(k, "max_mtu")) {
		if (x < 1280 || x > 9000)
			return -EINVAL;
		o->max_mtu = (uint16_t)x;
	} else if (!strcmp(k, "fw_ns")) {
		if (x > 1000000000ULL)
			return -EINVAL;
		o->fw_ps = x * MBX_PS_PER_NS;
	} else if (!strcmp(k, "doorbell_ns")) {
		if (x > 1000000ULL)
			return -EINVAL;
		o->doorbell_ps = x * MBX_PS_PER_NS;
	} else if (!strcmp(k, "pipeline_ns")) {
		if (x > 1000000ULL)
			return -EINVAL;
		o->pipeline_ps = x * MBX_PS_PER_NS;
	} else if (!strcmp(k, "wb_ns")) {
		if (x > 1000000ULL)
			return -EINVAL;
		o->wb_ps = x * MBX_PS_PER_NS;
	} else if (!strcmp(k, "batch")) {
		if (x < 1 || x > 256)
			return -EINVAL;
		o->batch = (uint32_t)x;
	} else if (!strcmp(k, "rx_fifo_ns")) {
		if (x > 1000000ULL)
			return -EINVAL;
		o->rx_fifo_ps = x * MBX_PS_PER_NS;
	} else if (!strcmp(k, "tx_ahead_ns")) {
		if (x > 1000000000ULL)
			return -EINVAL;
		o->tx_ahead_ps = x * MBX_PS_PER_NS;
	} else {
		return -ENOENT;
	}
	return 0;
}

static int parse_options(struct mbx *d, const char *options)
{
	char buf[512], *save = NULL;

	opts_default(&d->o);
	if (!options || !*options)
		goto done;
	if (strlen(options) >= sizeof(buf)) {
		mbx_logf(d, VDPASIM_LOG_ERROR, "options string too long");
		return -EINVAL;
	}
	strcpy(buf, options);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int r;

		if (!eq) {
			mbx_logf(d, VDPASIM_LOG_ERROR, "option '%s' is not key=value", tok);
			return -EINVAL;
		}
		*eq = '\0';
		r = set_opt(d, tok, eq + 1);
		if (r == -ENOENT) {
			mbx_logf(d, VDPASIM_LOG_ERROR, "unknown option '%s'", tok);
			return -EINVAL;
		}
		if (r) {
			mbx_logf(d, VDPASIM_LOG_ERROR, "bad value '%s' for option '%s'", eq + 1, tok);
			return -EINVAL;
		}
	}
done:
	if (!d->o.nvec)
		d->o.nvec = (uint16_t)(d->o.max_vqs + 2 > MBX_MAX_VECTORS ? MBX_MAX_VECTORS
									  : d->o.max_vqs + 2);
	if (!d->o.mac_set) {
		uint64_t r = d->h->rng_next ? d->h->rng_next(d->host) : 0x123456789aULL;

		for (int i = 0; i < 6; i++)
			d->o.mac[i] = (uint8_t)(r >> (8 * i));
		d->o.mac[0] = (uint8_t)((d->o.mac[0] & 0xfe) | 0x02); /* unicast, local */
	}
	return 0;
}

/* ---- lifetime ------------------------------------------------------------------------------- */

static void fill_layout(const struct mbx *d, struct vdpasim_pci_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	l->vendor_id = MBX_PCI_VENDOR;
	l->device_id = MBX_PCI_DEVICE;
	l->subsys_vendor_id = MBX_PCI_SUBSYS_VENDOR;
	l->subsys_id = MBX_PCI_SUBSYS_DEVICE;
	l->class_code = MBX_PCI_CLASS;
	l->revision = MBX_PCI_REVISION;
	l->link_gen = 4;
	l->link_width = 16;
	l->max_payload = 512;
	l->bars[MBX_BAR_REGS].size = MBX_BAR0_SIZE;
	l->bars[MBX_BAR_REGS].is_64bit = 1;
	l->bars[MBX_BAR_DB].size = MBX_BAR2_SIZE;
	l->bars[MBX_BAR_DB].is_64bit = 1;
	l->msix_vectors = d->o.nvec;
	l->msix_table_bar = MBX_BAR_REGS;
	l->msix_pba_bar = MBX_BAR_REGS;
	l->msix_table_offset = MBX_MSIX_TABLE_OFF;
	l->msix_pba_offset = MBX_MSIX_PBA_OFF;
	l->nr_vendor_caps = 0;
	l->nr_net_ports = 1;
}

static void mbx_destroy(void *dev);

static int mbx_create(const struct vdpasim_host_ops *ops, void *host, const char *options,
		      struct vdpasim_pci_layout *layout, void **out)
{
	struct mbx *d;
	int err;

	*out = NULL;
	if (!ops || ops->size < sizeof(*ops) || !ops->dma_read || !ops->dma_write ||
	    !ops->msix_send || !ops->now || !ops->timer_add || !ops->timer_cancel ||
	    !ops->net_send || !ops->net_tx_free_at)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->h = ops;
	d->host = host;
	err = parse_options(d, options);
	if (err)
		goto fail;
	d->buf = malloc(MBX_HDR_LEN + MBX_FRAME_MAX + 64);
	d->rxbuf = malloc(MBX_HDR_LEN + MBX_FRAME_MAX + 64);
	if (!d->buf || !d->rxbuf) {
		err = -ENOMEM;
		goto fail;
	}
	for (uint16_t i = 0; i < MBX_MAX_VQS; i++)
		d->q[i].idx = i;
	d->carrier = false; /* no link until the host says so */
	d->drain_q = -1;
	d->force_status = -1;
	fill_layout(d, layout);
	*out = d;
	return 0;
fail:
	mbx_destroy(d);
	return err;
}

static void reset_all(struct mbx *d)
{
	for (int i = 0; i < MBX_MAX_VQS; i++)
		if (d->q[i].exists)
			mbx_vq_destroy(d, &d->q[i]);
	mbx_cmd_reset(d);
	d->cmd_vector = MBX_NO_VECTOR;
	d->event_vector = MBX_NO_VECTOR;
	d->event_cause = 0;
	d->vq_err = 0;
	d->cmd_done = 0;
	d->last_status = 0;
	d->features_set = false;
	d->features = 0;
	d->next_obj = MBX_OBJ_BASE;
	d->fault_next = 0;
	d->last_tx_at = 0;
	memset(d->in, 0, sizeof(d->in));
	memset(d->out, 0, sizeof(d->out));
	mbx_steer_default(d);
}

static void mbx_destroy(void *dev)
{
	struct mbx *d = dev;

	if (!d)
		return;
	reset_all(d);
	free(d->buf);
	free(d->rxbuf);
	free(d);
}

/* Function level reset and power-on: every object goes, registers to defaults. */
static void mbx_reset(void *dev)
{
	struct mbx *d = dev;

	reset_all(d);
	mbx_stats_flush(d);
}

/* ---- registers ------------------------------------------------------------------------------ */

static uint64_t get_bytes(const uint8_t *p, uint8_t size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_bytes(uint8_t *p, uint8_t size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t reg_read(struct mbx *d, uint64_t off)
{
	switch (off) {
	case MBX_REG_MAGIC:
		return MBX_MAGIC;
	case MBX_REG_FW_VERSION:
		return MBX_FW_VERSION;
	case MBX_REG_CMD_STATUS:
		return (d->busy ? MBX_CMD_STATUS_BUSY : 0) | (uint32_t)d->last_status << 8;
	case MBX_REG_CMD_DONE:
		return d->cmd_done;
	case MBX_REG_CMD_VECTOR:
		return d->cmd_vector;
	case MBX_REG_EVENT_VECTOR:
		return d->event_vector;
	case MBX_REG_EVENT_CAUSE:
		return d->event_cause;
	case MBX_REG_VQ_ERR_LO:
		return (uint32_t)d->vq_err;
	case MBX_REG_VQ_ERR_HI:
		return (uint32_t)(d->vq_err >> 32);
	case MBX_REG_LINK:
		return d->carrier ? 1 : 0;
	default:
		return 0;
	}
}

static void reg_write(struct mbx *d, uint64_t off, uint32_t v)
{
	switch (off) {
	case MBX_REG_CMD_DOORBELL:
		if (v & 1)
			mbx_cmd_doorbell(d);
		break;
	case MBX_REG_CMD_VECTOR:
		d->cmd_vector = (uint16_t)v;
		break;
	case MBX_REG_EVENT_VECTOR:
		d->event_vector = (uint16_t)v;
		break;
	case MBX_REG_EVENT_CAUSE:
		d->event_cause &= ~v;
		break;
	case MBX_REG_VQ_ERR_LO:
		d->vq_err &= ~(uint64_t)v;
		break;
	case MBX_REG_VQ_ERR_HI:
		d->vq_err &= ~((uint64_t)v << 32);
		break;
	default:
		break; /* read-only or reserved: ignored */
	}
}

static uint64_t mbx_mmio_read(void *dev, uint8_t bar, uint64_t off, uint8_t size)
{
	struct mbx *d = dev;

	if (bar != MBX_BAR_REGS)
		return 0; /* doorbells read as zero */
	if (off >= MBX_MBOX_IN && off + size <= MBX_MBOX_IN + MBX_MBOX_LEN)
		return get_bytes(d->in + (off - MBX_MBOX_IN), size);
	if (off >= MBX_MBOX_OUT && off + size <= MBX_MBOX_OUT + MBX_MBOX_LEN)
		return get_bytes(d->out + (off - MBX_MBOX_OUT), size);
	if (off < 0x100 && size == 4 && !(off & 3))
		return reg_read(d, off);
	if (off < 0x100 && size == 8 && !(off & 7))
		return reg_read(d, off) | (uint64_t)reg_read(d, off + 4) << 32;
	return 0;
}

static void mbx_mmio_write(void *dev, uint8_t bar, uint64_t off, uint8_t size, uint64_t v)
{
	struct mbx *d = dev;

	if (bar == MBX_BAR_DB) {
		uint64_t qid = off / MBX_DB_STRIDE;

		mbx_stat(d, MBX_S_DOORBELLS, 1);
		/* a doorbell of a queue not running is dropped, as on the hardware */
		if (qid < d->o.max_vqs && d->q[qid].exists)
			mbx_vq_kick(d, &d->q[qid], mbx_now(d) + d->o.doorbell_ps);
		mbx_stats_flush(d);
		return;
	}
	if (bar != MBX_BAR_REGS)
		return;
	if (off >= MBX_MBOX_IN && off + size <= MBX_MBOX_IN + MBX_MBOX_LEN) {
		put_bytes(d->in + (off - MBX_MBOX_IN), size, v);
		return;
	}
	if (off < 0x100 && size == 4 && !(off & 3))
		reg_write(d, off, (uint32_t)v);
	else if (off < 0x100 && size == 8 && !(off & 7)) {
		reg_write(d, off, (uint32_t)v);
		reg_write(d, off + 4, (uint32_t)(v >> 32));
	}
	mbx_stats_flush(d);
}

/* ---- control() ------------------------------------------------------------------------------ */

static void fmt_mac(char *b, size_t n, const uint8_t *m)
{
	snprintf(b, n, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static int control_queue(struct mbx *d, const char *v, char *reply, uint32_t len)
{
	uint64_t qid;
	struct vq_state st;
	struct mbx_vq *q;

	if (parse_u64(v, &qid) || qid >= d->o.max_vqs)
		return -EINVAL;
	q = &d->q[qid];
	if (!q->exists) {
		snprintf(reply, len, "state=none");
		return 0;
	}
	mbx_vq_get_state(q, &st);
	snprintf(reply, len,
		 "state=%u obj=%u avail=%u used=%u avail_wrap=%u used_wrap=%u inflight=%u "
		 "received=%llu completed=%llu error=%s",
		 q->state, q->obj, st.avail_idx, st.used_idx, st.avail_wrap, st.used_wrap,
		 mbx_vq_inflight(q), (unsigned long long)q->received,
		 (unsigned long long)q->completed, vq_violation_name(q->error));
	return 0;
}

static int mbx_control(void *dev, const char *command, char *reply, uint32_t reply_len)
{
	struct mbx *d = dev;
	char k[32], mac[24];
	const char *eq = strchr(command, '=');
	const char *v;
	uint64_t x;
	size_t kl;
	char dummy[8];

	if (!reply || !reply_len) {
		reply = dummy;
		reply_len = sizeof(dummy);
	}
	reply[0] = '\0';
	if (!eq || (kl = (size_t)(eq - command)) >= sizeof(k))
		return -EINVAL;
	memcpy(k, command, kl);
	k[kl] = '\0';
	v = eq + 1;
	if (!strcmp(k, "carrier0")) {
		bool up = !strcmp(v, "up");

		if (!up && strcmp(v, "down"))
			return -EINVAL;
		if (up != d->carrier) {
			d->carrier = up;
			mbx_event(d, MBX_EV_LINK, mbx_now(d));
		}
	} else if (!strcmp(k, "dma_fault_next")) {
		if (parse_u64(v, &x) || x > UINT32_MAX)
			return -EINVAL;
		d->fault_next = (uint32_t)x;
	} else if (!strcmp(k, "fw_status_next")) {
		if (parse_u64(v, &x) || x > 255)
			return -EINVAL;
		d->force_status = (int)x;
	} else if (!strcmp(k, "queue")) {
		return control_queue(d, v, reply, reply_len);
	} else if (!strcmp(k, "steering")) {
		fmt_mac(mac, sizeof(mac), d->steer.mac);
		snprintf(reply, reply_len, "mac=%s flags=%u rx_queues=%u uc=%u mc=%u", mac,
			 d->steer.flags, d->steer.rxq, d->steer.nuc, d->steer.nmc);
	} else if (!strcmp(k, "stats")) {
		snprintf(reply, reply_len,
			 "tx_frames=%llu tx_bytes=%llu rx_frames=%llu rx_bytes=%llu "
			 "rx_no_buffer=%llu rx_filtered=%llu tx_dropped=%llu commands=%llu "
			 "irqs=%llu",
			 (unsigned long long)d->st[MBX_S_TX_FRAMES],
			 (unsigned long long)d->st[MBX_S_TX_BYTES],
			 (unsigned long long)d->st[MBX_S_RX_FRAMES],
			 (unsigned long long)d->st[MBX_S_RX_BYTES],
			 (unsigned long long)d->st[MBX_S_RX_NO_BUFFER],
			 (unsigned long long)d->st[MBX_S_RX_FILTERED],
			 (unsigned long long)d->st[MBX_S_TX_DROPPED],
			 (unsigned long long)d->st[MBX_S_CMDS],
			 (unsigned long long)d->st[MBX_S_IRQS]);
	} else {
		return -EOPNOTSUPP;
	}
	mbx_stats_flush(d);
	return 0;
}

static const struct vdpasim_device_plugin plugin = {
	.abi_version = VDPASIM_PLUGIN_ABI_VERSION,
	.size = sizeof(struct vdpasim_device_plugin),
	.name = "mbx",
	.vendor = "vdpasim",
	.description = "MBX 100G vDPA NIC: virtio rings, mailbox firmware control path",
	.model_version = "1.0",
	.create = mbx_create,
	.destroy = mbx_destroy,
	.mmio_read = mbx_mmio_read,
	.mmio_write = mbx_mmio_write,
	.reset = mbx_reset,
	.net_rx = mbx_net_rx,
	.net_tx_ready = mbx_net_tx_ready,
	.control = mbx_control,
};

const struct vdpasim_device_plugin *mbx_plugin(void)
{
	return &plugin;
}
