// SPDX-License-Identifier: MIT
/*
 * The mutant wrapper (mutant.h): a plugin around ifcvf_plugin() that hands
 * the device host services of its own, forwards everything, and lets a
 * mutant's hooks change one behaviour.  Timers go through a trampoline: the
 * host calls timer callbacks with the instance it created (the wrapper), the
 * wrapped device expects its own.
 */
#include "conformance/mutants/mutant.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct mut *of(void *host)
{
	return host;
}

/* ---- host services the device gets ---------------------------------------------------------- */

static int h_dma_read(void *host, uint64_t iova, void *dst, uint32_t len, uint64_t *t_ps)
{
	struct mut *m = of(host);
	int r = m->h->dma_read(m->host, iova, dst, len, t_ps);

	if (!r && m->m->dma_read)
		m->m->dma_read(m, iova, dst, len);
	return r;
}

static int h_dma_write(void *host, uint64_t iova, const void *src, uint32_t len, uint64_t *t_ps)
{
	struct mut *m = of(host);
	uint8_t stack[256], *copy = stack;
	int r;

	if (!m->m->dma_write)
		return m->h->dma_write(m->host, iova, src, len, t_ps);
	if (len > sizeof(stack)) {
		copy = malloc(len);
		if (!copy)
			return -ENOMEM;
	}
	memcpy(copy, src, len);
	r = m->m->dma_write(m, iova, copy, len) ? m->h->dma_write(m->host, iova, copy, len, t_ps)
						: 0;
	if (copy != stack)
		free(copy);
	return r;
}

static int h_msix_send(void *host, uint16_t vector, uint64_t at_ps)
{
	struct mut *m = of(host);

	if (m->m->msix_send && !m->m->msix_send(m, &vector))
		return 0;
	return m->h->msix_send(m->host, vector, at_ps);
}

static uint64_t h_now(void *host)
{
	return of(host)->h->now(of(host)->host);
}

static void trampoline(void *dev, uint64_t arg)
{
	struct mut *m = dev;
	struct mut_timer *t;

	if (arg >= MUT_TIMERS)
		return;
	t = &m->timer[arg];
	if (!t->live)
		return;
	t->live = false;
	t->fn(m->inner, t->arg);
}

static uint64_t h_timer_add(void *host, uint64_t at_ps, vdpasim_timer_fn fn, uint64_t arg)
{
	struct mut *m = of(host);

	for (uint64_t i = 0; i < MUT_TIMERS; i++) {
		struct mut_timer *t = &m->timer[i];

		if (t->live)
			continue;
		t->handle = m->h->timer_add(m->host, at_ps, trampoline, i);
		if (!t->handle)
			return 0;
		t->live = true;
		t->fn = fn;
		t->arg = arg;
		return t->handle;
	}
	return 0;
}

static int h_timer_cancel(void *host, uint64_t handle)
{
	struct mut *m = of(host);

	for (unsigned i = 0; i < MUT_TIMERS; i++)
		if (m->timer[i].live && m->timer[i].handle == handle) {
			m->timer[i].live = false;
			return m->h->timer_cancel(m->host, handle);
		}
	return -ENOENT;
}

static void h_log(void *host, enum vdpasim_log_level level, const char *msg)
{
	of(host)->h->log(of(host)->host, level, msg);
}

static void h_trace(void *host, const char *event, const char *kv)
{
	of(host)->h->trace(of(host)->host, event, kv);
}

static uint64_t h_rng_next(void *host)
{
	return of(host)->h->rng_next(of(host)->host);
}

static void h_stat_add(void *host, const char *name, uint64_t delta)
{
	of(host)->h->stat_add(of(host)->host, name, delta);
}

static int h_net_send(void *host, uint32_t port, const void *frame, uint32_t len, uint64_t at_ps)
{
	struct mut *m = of(host);
	uint8_t *copy;
	int r;

	if (!m->m->net_send)
		return m->h->net_send(m->host, port, frame, len, at_ps);
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, frame, len);
	r = m->m->net_send(m, copy, &len) ? m->h->net_send(m->host, port, copy, len, at_ps) : 0;
	free(copy);
	return r;
}

static uint64_t h_net_tx_free_at(void *host, uint32_t port)
{
	return of(host)->h->net_tx_free_at(of(host)->host, port);
}

static void h_queue_enabled(void *host, uint16_t qid, uint16_t size, int packed, uint64_t desc,
			    uint64_t driver, uint64_t device, uint64_t features)
{
	struct mut *m = of(host);

	if (qid < MUT_MAXQ)
		m->ring[qid] = (struct mut_ring){ true, packed != 0, size, desc, driver, device };
	m->h->queue_enabled(m->host, qid, size, packed, desc, driver, device, features);
}

static void h_queue_disabled(void *host, uint16_t qid)
{
	struct mut *m = of(host);

	if (qid < MUT_MAXQ)
		m->ring[qid].on = false;
	m->h->queue_disabled(m->host, qid);
}

static void h_device_error(void *host, uint16_t qid, const char *violation, const char *detail)
{
	of(host)->h->device_error(of(host)->host, qid, violation, detail);
}

/* ---- helpers for hooks ------------------------------------------------------------------------- */

bool mut_in_ring(const struct mut *m, uint64_t iova, uint16_t *qid)
{
	for (uint16_t q = 0; q < MUT_MAXQ; q++) {
		const struct mut_ring *r = &m->ring[q];
		uint64_t dsz, asz, usz;

		if (!r->on)
			continue;
		dsz = 16ULL * r->size;
		asz = r->packed ? 4 : 6 + 2ULL * r->size;
		usz = r->packed ? 4 : 6 + 8ULL * r->size;
		if ((iova >= r->desc && iova < r->desc + dsz) ||
		    (iova >= r->driver && iova < r->driver + asz) ||
		    (iova >= r->device && iova < r->device + usz)) {
			if (qid)
				*qid = q;
			return true;
		}
	}
	return false;
}

int mut_dma_read(struct mut *m, uint64_t iova, void *dst, uint32_t len)
{
	uint64_t t = m->h->now(m->host);

	return m->h->dma_read(m->host, iova, dst, len, &t);
}

int mut_dma_write(struct mut *m, uint64_t iova, const void *src, uint32_t len)
{
	uint64_t t = m->h->now(m->host);

	return m->h->dma_write(m->host, iova, src, len, &t);
}

uint64_t mut_inner_read(struct mut *m, uint64_t off, uint8_t size)
{
	return m->inner_plugin->mmio_read(m->inner, IFCVF_BAR_CFG, off, size);
}

void mut_inner_write(struct mut *m, uint64_t off, uint8_t size, uint64_t v)
{
	m->inner_plugin->mmio_write(m->inner, IFCVF_BAR_CFG, off, size, v);
}

/* ---- plugin callbacks ---------------------------------------------------------------------------- */

int conf_mut_create(const struct conf_mutant *mu, const struct vdpasim_host_ops *ops, void *host,
		    const char *options, struct vdpasim_pci_layout *l, void **dev)
{
	struct mut *m;
	char opts[512];
	int r;

	*dev = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->m = mu;
	m->inner_plugin = ifcvf_plugin();
	m->h = ops;
	m->host = host;
	m->ops = (struct vdpasim_host_ops){
		.size = sizeof(struct vdpasim_host_ops),
		.dma_read = h_dma_read,
		.dma_write = h_dma_write,
		.msix_send = h_msix_send,
		.now = h_now,
		.timer_add = h_timer_add,
		.timer_cancel = h_timer_cancel,
		.log = h_log,
		.trace = h_trace,
		.rng_next = h_rng_next,
		.stat_add = h_stat_add,
		.net_send = h_net_send,
		.net_tx_free_at = h_net_tx_free_at,
		.queue_enabled = h_queue_enabled,
		.queue_disabled = h_queue_disabled,
		.device_error = h_device_error,
	};
	m->cfg_vector = 0xffff;
	for (unsigned q = 0; q < MUT_MAXQ; q++)
		m->qvector[q] = 0xffff;
	snprintf(opts, sizeof(opts), "%s%s%s", mu->options ? mu->options : "",
		 mu->options && *mu->options && options && *options ? "," : "",
		 options ? options : "");
	r = m->inner_plugin->create(&m->ops, m, opts, l, &m->inner);
	if (r) {
		free(m);
		return r;
	}
	if (mu->layout)
		mu->layout(m, l);
	*dev = m;
	return 0;
}

void conf_mut_destroy(void *dev)
{
	struct mut *m = dev;

	m->inner_plugin->destroy(m->inner);
	free(m);
}

/* The feature window selected by a select register, shifted extra bits. */
static uint32_t extra_window(const struct mut *m, uint64_t sel_off)
{
	uint32_t sel = (uint32_t)mut_inner_read((struct mut *)m, sel_off, 4);

	return sel < 2 ? (uint32_t)(m->m->extra_features >> (32 * sel)) : 0;
}

uint64_t conf_mut_mmio_read(void *dev, uint8_t bar, uint64_t off, uint8_t size)
{
	struct mut *m = dev;
	uint64_t v = m->inner_plugin->mmio_read(m->inner, bar, off, size);

	if (m->m->extra_features && bar == IFCVF_BAR_CFG && size == 4) {
		if (off == VIRTIO_PCI_COMMON_DF)
			v |= extra_window(m, VIRTIO_PCI_COMMON_DFSELECT);
		if (off == VIRTIO_PCI_COMMON_GF)
			v |= extra_window(m, VIRTIO_PCI_COMMON_GFSELECT) &
			     (uint32_t)(m->features >> (32 * (uint32_t)mut_inner_read(
							    m, VIRTIO_PCI_COMMON_GFSELECT, 4) % 64));
	}
	if (m->m->mmio_read)
		m->m->mmio_read(m, bar, off, size, &v);
	return v;
}

/* What the wrapper keeps of the driver's common configuration writes. */
static void snoop(struct mut *m, uint64_t off, uint8_t size, uint64_t v)
{
	uint16_t q = m->qsel;

	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SELECT:
		m->qsel = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_GF: {
		uint32_t sel = (uint32_t)mut_inner_read(m, VIRTIO_PCI_COMMON_GFSELECT, 4);

		if (sel < 2)
			m->features = (m->features & ~(0xffffffffULL << (32 * sel))) |
				      (uint64_t)(uint32_t)v << (32 * sel);
		break;
	}
	case VIRTIO_PCI_COMMON_MSIX:
		m->cfg_vector = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (q < MUT_MAXQ)
			m->qvector[q] = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_RESET:
		if (q < MUT_MAXQ && v == 1)
			m->qreset[q] = true;
		break;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (q < MUT_MAXQ)
			m->qsize[q] = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (q < MUT_MAXQ && v == 1)
			m->qreset[q] = false;
		break;
	default:
		break;
	}
	(void)size;
}

void conf_mut_mmio_write(void *dev, uint8_t bar, uint64_t off, uint8_t size, uint64_t v)
{
	struct mut *m = dev;
	bool status = bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_STATUS && size == 1;

	if (bar == IFCVF_BAR_CFG && off < IFCVF_COMMON_LEN)
		snoop(m, off, size, v);
	if (m->m->mmio_write && !m->m->mmio_write(m, bar, off, size, &v))
		return;
	if (m->m->extra_features && bar == IFCVF_BAR_CFG && off == VIRTIO_PCI_COMMON_GF)
		v &= ~(uint64_t)extra_window(m, VIRTIO_PCI_COMMON_GFSELECT);
	m->inner_plugin->mmio_write(m->inner, bar, off, size, v);
	if (status) {
		m->status = (uint8_t)v;
		if (v == 0) {
			m->resets++;
			m->features = 0;
			m->cfg_vector = 0xffff;
			for (unsigned q = 0; q < MUT_MAXQ; q++) {
				m->qvector[q] = 0xffff;
				m->qreset[q] = false;
				m->qsize[q] = 0;
			}
			if (m->m->reset)
				m->m->reset(m);
		}
	}
}

void conf_mut_reset(void *dev)
{
	struct mut *m = dev;

	m->inner_plugin->reset(m->inner);
	m->status = 0;
	m->resets++;
	if (m->m->reset)
		m->m->reset(m);
}

void conf_mut_net_rx(void *dev, uint32_t port, const void *frame, uint32_t len)
{
	struct mut *m = dev;

	if (m->m->net_rx && !m->m->net_rx(m, frame, len))
		return;
	m->inner_plugin->net_rx(m->inner, port, frame, len);
}

void conf_mut_net_tx_ready(void *dev, uint32_t port)
{
	struct mut *m = dev;

	m->inner_plugin->net_tx_ready(m->inner, port);
}

int conf_mut_control(void *dev, const char *cmd, char *reply, uint32_t len)
{
	struct mut *m = dev;

	return m->inner_plugin->control(m->inner, cmd, reply, len);
}
