// SPDX-License-Identifier: MIT
/*
 * Device host: instance creation, the PCIe function built from the model's
 * layout, host services (DMA, MSI-X, time, timers, log, trace, RNG,
 * statistics) and the emulated virtio PCI configuration access capability.
 * Ports live in devh_net.c, ring observers and error reports in devh_obs.c,
 * the plugin loader in devh_plugin.c.
 */
#include "sim/devhost/devh_priv.h"

#include "vdpasim/uapi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct devh *host_of(void *host)
{
	return host;
}

/* ---- DMA and MSI-X ----------------------------------------------------------------------- */

/* The ABI knows one kind of refusal: whatever blocked the access, it is -EFAULT. */
static int dma_errno(int r)
{
	return r == -EINVAL || r == -ENOMEM ? r : -EFAULT;
}

static int host_dma_read(void *host, uint64_t iova, void *dst, uint32_t len, uint64_t *t_ps)
{
	struct devh *dh = host_of(host);
	sim_time_t done = *t_ps;
	int r;

	if (!dh->fn)
		return -EFAULT; /* no function yet (called from create) */
	r = pcie_dma_read(dh->fn, iova, dst, len, *t_ps, &done);
	if (dh->dma_tap)
		dh->dma_tap(dh->dma_tap_ctx, false, iova, r ? NULL : dst, len, r ? dma_errno(r) : 0);
	if (r)
		return dma_errno(r);
	*t_ps = done;
	devh_obs_dma(dh, false, iova, dst, len);
	return 0;
}

static int host_dma_write(void *host, uint64_t iova, const void *src, uint32_t len,
			  uint64_t *t_ps)
{
	struct devh *dh = host_of(host);
	sim_time_t done = *t_ps;
	int r;

	if (!dh->fn)
		return -EFAULT;
	r = pcie_dma_write(dh->fn, iova, src, len, *t_ps, &done);
	if (dh->dma_tap)
		dh->dma_tap(dh->dma_tap_ctx, true, iova, r ? NULL : src, len, r ? dma_errno(r) : 0);
	if (r)
		return dma_errno(r);
	*t_ps = done;
	devh_obs_dma(dh, true, iova, src, len);
	return 0;
}

static int host_msix_send(void *host, uint16_t vector, uint64_t at_ps)
{
	struct devh *dh = host_of(host);
	int r;

	if (!dh->fn)
		return -EAGAIN;
	r = pcie_msix_notify(dh->fn, vector, at_ps);
	switch (r) {
	case 0:
		/* the observers of the queues the platform mapped to it see it sent */
		devh_obs_interrupt(dh, vector);
		return 0;
	case -ENODEV:
	case -EINVAL:
		return -EINVAL;
	default: /* MSI-X disabled or bus mastering off */
		return -EAGAIN;
	}
}

/* ---- Time and timers --------------------------------------------------------------------- */

static uint64_t host_now(void *host)
{
	return eng_now(host_of(host)->sim);
}

static struct devh_timer *timer_slot(struct devh *dh, uint32_t index)
{
	if (index / DEVH_TCHUNK >= dh->ntchunk)
		return NULL;
	return &dh->tchunk[index / DEVH_TCHUNK][index % DEVH_TCHUNK];
}

static struct devh_timer *timer_alloc(struct devh *dh)
{
	struct devh_timer *t, **nc;

	if (!dh->tfree) {
		nc = realloc(dh->tchunk, (dh->ntchunk + 1) * sizeof(*nc));
		if (!nc)
			return NULL;
		dh->tchunk = nc;
		t = calloc(DEVH_TCHUNK, sizeof(*t));
		if (!t)
			return NULL;
		dh->tchunk[dh->ntchunk] = t;
		for (uint32_t i = DEVH_TCHUNK; i-- > 0;) {
			t[i].dh = dh;
			t[i].index = dh->ntchunk * DEVH_TCHUNK + i;
			t[i].next_free = dh->tfree;
			dh->tfree = &t[i];
		}
		dh->ntchunk++;
	}
	t = dh->tfree;
	dh->tfree = t->next_free;
	t->gen++;
	return t;
}

static void timer_release(struct devh *dh, struct devh_timer *t)
{
	t->armed = false;
	t->next_free = dh->tfree;
	dh->tfree = t;
}

static void timer_fire(struct sim *sim, void *arg)
{
	struct devh_timer *t = arg;
	struct devh *dh = t->dh;
	vdpasim_timer_fn fn = t->fn;
	uint64_t a = t->arg;

	(void)sim;
	if (!t->armed)
		return;
	timer_release(dh, t); /* the model may re-arm from its callback */
	fn(dh->dev, a);
}

static uint64_t host_timer_add(void *host, uint64_t at_ps, vdpasim_timer_fn fn, uint64_t arg)
{
	struct devh *dh = host_of(host);
	sim_time_t now = eng_now(dh->sim);
	struct devh_timer *t;

	if (!fn)
		return 0;
	t = timer_alloc(dh);
	if (!t)
		return 0;
	/* a time in the past runs at once rather than failing the model */
	t->ev = eng_schedule_at(dh->sim, at_ps < now ? now : at_ps, timer_fire, t);
	if (!t->ev) {
		timer_release(dh, t);
		return 0;
	}
	t->fn = fn;
	t->arg = arg;
	t->armed = true;
	return (uint64_t)t->gen << 32 | (t->index + 1u);
}

static int host_timer_cancel(void *host, uint64_t handle)
{
	struct devh *dh = host_of(host);
	uint32_t index = (uint32_t)handle;
	struct devh_timer *t;

	if (index == 0)
		return -ENOENT;
	t = timer_slot(dh, index - 1);
	if (!t || !t->armed || t->gen != (uint32_t)(handle >> 32))
		return -ENOENT;
	eng_cancel(dh->sim, t->ev);
	timer_release(dh, t);
	return 0;
}

static void timers_fini(struct devh *dh)
{
	for (uint32_t c = 0; c < dh->ntchunk; c++) {
		for (uint32_t i = 0; i < DEVH_TCHUNK; i++)
			if (dh->tchunk[c][i].armed)
				eng_cancel(dh->sim, dh->tchunk[c][i].ev);
		free(dh->tchunk[c]);
	}
	free(dh->tchunk);
	dh->tchunk = NULL;
	dh->ntchunk = 0;
	dh->tfree = NULL;
}

/* ---- Log, trace, RNG, statistics --------------------------------------------------------- */

static const char *level_name(enum vdpasim_log_level l)
{
	static const char *const n[] = { "error", "warn", "info", "debug" };

	return (unsigned)l < 4 ? n[l] : "debug";
}

static void host_log(void *host, enum vdpasim_log_level level, const char *msg)
{
	struct devh *dh = host_of(host);

	if (!msg)
		msg = "";
	dh->log_count[(unsigned)level < 4 ? level : VDPASIM_LOG_DEBUG]++;
	snprintf(dh->last_log, sizeof(dh->last_log), "%s", msg);
	eng_trace(dh->sim, dh->name, "log", "level=%s msg=\"%s\"", level_name(level), msg);
}

static void host_trace(void *host, const char *event, const char *kv)
{
	struct devh *dh = host_of(host);

	eng_trace(dh->sim, dh->name, event ? event : "event", "%s", kv ? kv : "");
}

static uint64_t host_rng_next(void *host)
{
	return eng_rng_next(&host_of(host)->rng);
}

static void host_stat_add(void *host, const char *name, uint64_t delta)
{
	struct devh *dh = host_of(host);
	char key[160];

	if (!name)
		return;
	snprintf(key, sizeof(key), "dev.%s.%s", dh->name, name);
	eng_stat_add(dh->sim, key, delta);
}

/* ---- PCIe function callbacks ------------------------------------------------------------- */

static int ep_mmio_read(void *ctx, unsigned bar, uint64_t off, unsigned size, uint64_t *val)
{
	struct devh *dh = ctx;

	*val = dh->plugin->mmio_read(dh->dev, (uint8_t)bar, off, (uint8_t)size);
	return 0;
}

static int ep_mmio_write(void *ctx, unsigned bar, uint64_t off, unsigned size, uint64_t val)
{
	struct devh *dh = ctx;

	dh->plugin->mmio_write(dh->dev, (uint8_t)bar, off, (uint8_t)size, val);
	return 0;
}

static void ep_reset(void *ctx, enum pcie_reset_kind kind)
{
	struct devh *dh = ctx;

	eng_trace(dh->sim, dh->name, "reset", "kind=%s", kind == PCIE_RESET_FLR ? "flr" : "hot");
	dh->plugin->reset(dh->dev);
	/* rings are gone whether or not the model said so */
	devh_obs_drop_all(dh);
	memset(dh->pcicfg.bytes + 4, 0, sizeof(dh->pcicfg.bytes) - 4);
}

/*
 * Virtio PCI configuration access capability (virtio 1.3 4.1.4.9): the
 * claimed window is cap bytes 4..19: bar, id, padding, offset, length,
 * pci_cfg_data.  A data access performs a cap.length-byte access of the BAR.
 */
#define PCICFG_DATA 16u

static bool pcicfg_target(const struct devh *dh, uint8_t *bar, uint32_t *off, uint32_t *len)
{
	const uint8_t *b = dh->pcicfg.bytes;

	*bar = b[4];
	*off = (uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 | (uint32_t)b[11] << 24;
	*len = (uint32_t)b[12] | (uint32_t)b[13] << 8 | (uint32_t)b[14] << 16 |
	       (uint32_t)b[15] << 24;
	if (*bar >= VDPASIM_MAX_BARS || dh->layout.bars[*bar].size == 0)
		return false;
	if ((*len != 1 && *len != 2 && *len != 4) || *off % *len)
		return false;
	return *off + (uint64_t)*len <= dh->layout.bars[*bar].size;
}

static int ep_cfg_read(void *ctx, uint16_t off, unsigned size, uint32_t *val)
{
	struct devh *dh = ctx;
	unsigned rel = off - dh->pcicfg.off;
	uint8_t *b = dh->pcicfg.bytes;

	if (rel + size > PCICFG_DATA) {
		uint8_t bar;
		uint32_t boff, blen;
		uint64_t v = 0;

		if (pcicfg_target(dh, &bar, &boff, &blen))
			v = dh->plugin->mmio_read(dh->dev, bar, boff, (uint8_t)blen);
		for (unsigned i = 0; i < 4; i++)
			b[PCICFG_DATA + i] = i < blen ? (uint8_t)(v >> (8 * i)) : 0;
	}
	*val = 0;
	for (unsigned i = 0; i < size; i++)
		*val |= (uint32_t)b[rel + i] << (8 * i);
	return 0;
}

static int ep_cfg_write(void *ctx, uint16_t off, unsigned size, uint32_t val)
{
	struct devh *dh = ctx;
	unsigned rel = off - dh->pcicfg.off;
	uint8_t *b = dh->pcicfg.bytes;

	for (unsigned i = 0; i < size; i++) {
		unsigned at = rel + i;

		/* id and padding (bytes 5..7) are read-only */
		if (at >= 5 && at < 8)
			continue;
		b[at] = (uint8_t)(val >> (8 * i));
	}
	if (rel + size > PCICFG_DATA) {
		uint8_t bar;
		uint32_t boff, blen;
		uint64_t v = 0;

		if (!pcicfg_target(dh, &bar, &boff, &blen))
			return 0;
		for (unsigned i = 0; i < blen; i++)
			v |= (uint64_t)b[PCICFG_DATA + i] << (8 * i);
		dh->plugin->mmio_write(dh->dev, bar, boff, (uint8_t)blen, v);
	}
	return 0;
}

static const struct pcie_ep_ops ep_ops = {
	.mmio_read = ep_mmio_read,
	.mmio_write = ep_mmio_write,
	.cfg_read = ep_cfg_read,
	.cfg_write = ep_cfg_write,
	.reset = ep_reset,
};

/* ---- Creation ---------------------------------------------------------------------------- */

static int layout_to_desc(struct devh *dh, struct pcie_ep_desc *d)
{
	const struct vdpasim_pci_layout *l = &dh->layout;

	memset(d, 0, sizeof(*d));
	if (l->nr_net_ports > DEVH_MAX_PORTS || l->nr_vendor_caps > VDPASIM_MAX_VENDOR_CAPS)
		return -EINVAL;
	if (l->msix_vectors && (l->msix_table_bar >= VDPASIM_MAX_BARS ||
				l->msix_pba_bar >= VDPASIM_MAX_BARS))
		return -EINVAL;
	d->vendor_id = l->vendor_id;
	d->device_id = l->device_id;
	d->subsys_vendor_id = l->subsys_vendor_id;
	d->subsys_id = l->subsys_id;
	d->revision = l->revision;
	d->class_code = l->class_code & 0xffffff;
	d->max_gen = l->link_gen;
	d->max_width = l->link_width;
	d->max_payload = l->max_payload;
	for (unsigned i = 0; i < VDPASIM_MAX_BARS; i++) {
		d->bar[i].size = l->bars[i].size;
		d->bar[i].flags = (l->bars[i].is_64bit ? PCIE_BAR_64 : 0) |
				  (l->bars[i].prefetchable ? PCIE_BAR_PREFETCH : 0);
	}
	d->msix_vectors = l->msix_vectors;
	d->msix_table_bar = l->msix_table_bar;
	d->msix_table_off = l->msix_table_offset;
	d->msix_pba_bar = l->msix_pba_bar;
	d->msix_pba_off = l->msix_pba_offset;
	d->ops = &ep_ops;
	d->ctx = dh;
	return 0;
}

static int add_vendor_caps(struct devh *dh)
{
	const struct vdpasim_pci_layout *l = &dh->layout;

	for (unsigned i = 0; i < l->nr_vendor_caps; i++) {
		const struct vdpasim_vendor_cap *vc = &l->vendor_caps[i];
		uint8_t cap[VDPASIM_VENDOR_CAP_MAX_LEN];
		uint16_t off;
		int r;

		if (vc->len < 4 || vc->len > VDPASIM_VENDOR_CAP_MAX_LEN)
			return -EINVAL;
		memcpy(cap, vc->bytes, vc->len);
		cap[0] = PCI_CAP_ID_VNDR;
		cap[1] = 0;
		r = pcie_fn_add_cap(dh->fn, cap, vc->len, &off);
		if (r)
			return r == -ENOSPC ? -EINVAL : r;
		if (!dh->pcicfg.present && vc->len >= 20 &&
		    cap[3] == VIRTIO_PCI_CAP_PCI_CFG) {
			dh->pcicfg.present = true;
			dh->pcicfg.off = off;
			memcpy(dh->pcicfg.bytes, cap, 20);
			memset(dh->pcicfg.bytes + 4, 0, 16);
		}
	}
	if (dh->pcicfg.present)
		return pcie_fn_claim_cfg(dh->fn, (uint16_t)(dh->pcicfg.off + 4), 16);
	return 0;
}

static void host_ops_init(struct vdpasim_host_ops *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->dma_read = host_dma_read;
	o->dma_write = host_dma_write;
	o->msix_send = host_msix_send;
	o->now = host_now;
	o->timer_add = host_timer_add;
	o->timer_cancel = host_timer_cancel;
	o->log = host_log;
	o->trace = host_trace;
	o->rng_next = host_rng_next;
	o->stat_add = host_stat_add;
	o->net_send = devh_net_send;
	o->net_tx_free_at = devh_net_tx_free_at;
	o->queue_enabled = devh_obs_queue_enabled;
	o->queue_disabled = devh_obs_queue_disabled;
	o->device_error = devh_device_error;
}

int devh_create(struct sim *sim, struct pcie_rc *rc, unsigned slot,
		const struct vdpasim_device_plugin *plugin, const char *options, const char *name,
		struct devh **out)
{
	struct pcie_ep_desc desc;
	struct devh *dh;
	int r;

	*out = NULL;
	if (!sim || !rc || slot >= PCIE_SLOTS)
		return -EINVAL;
	r = devh_plugin_check(plugin, NULL, 0);
	if (r)
		return r;
	dh = calloc(1, sizeof(*dh));
	if (!dh)
		return -ENOMEM;
	dh->sim = sim;
	dh->rc = rc;
	dh->plugin = plugin;
	dh->has_control = plugin->size >= sizeof(*plugin) && plugin->control;
	if (name)
		snprintf(dh->name, sizeof(dh->name), "%s", name);
	else
		snprintf(dh->name, sizeof(dh->name), "%s%u", plugin->name, slot);
	eng_rng_stream(sim, dh->name, &dh->rng);
	host_ops_init(&dh->ops);
	dh->layout.size = sizeof(dh->layout);
	r = plugin->create(&dh->ops, dh, options ? options : "", &dh->layout, &dh->dev);
	if (r) {
		eng_trace(sim, dh->name, "create_failed", "err=%d", r);
		free(dh);
		return r < 0 ? r : -EINVAL;
	}
	r = layout_to_desc(dh, &desc);
	if (!r)
		r = pcie_fn_create(rc, slot, 0, &desc, &dh->fn);
	if (!r)
		r = add_vendor_caps(dh);
	if (!r)
		r = devh_net_init(dh);
	if (r)
		goto fail;
	dh->plugin->reset(dh->dev);
	/* a new port has no link: say so, whatever the model assumed */
	for (unsigned i = 0; i < dh->nports; i++) {
		char cmd[40];

		snprintf(cmd, sizeof(cmd), "carrier%u=down", i % DEVH_MAX_PORTS);
		devh_control(dh, cmd, NULL, 0);
	}
	eng_trace(sim, dh->name, "created", "plugin=%s slot=%u bdf=%04x", plugin->name, slot,
		  pcie_fn_bdf(dh->fn));
	*out = dh;
	return 0;
fail:
	devh_destroy(dh);
	return r;
}

void devh_destroy(struct devh *dh)
{
	if (!dh)
		return;
	if (dh->dev)
		dh->plugin->destroy(dh->dev);
	dh->dev = NULL;
	timers_fini(dh);
	devh_net_fini(dh);
	devh_obs_fini(dh);
	if (dh->fn)
		pcie_fn_destroy(dh->fn);
	free(dh);
}

/* ---- Accessors --------------------------------------------------------------------------- */

const char *devh_name(const struct devh *dh)
{
	return dh->name;
}

struct pcie_fn *devh_fn(const struct devh *dh)
{
	return dh->fn;
}

const struct vdpasim_device_plugin *devh_plugin(const struct devh *dh)
{
	return dh->plugin;
}

void *devh_dev(const struct devh *dh)
{
	return dh->dev;
}

const struct vdpasim_pci_layout *devh_layout(const struct devh *dh)
{
	return &dh->layout;
}

int devh_control(struct devh *dh, const char *cmd, char *reply, size_t reply_len)
{
	if (reply && reply_len)
		reply[0] = 0;
	if (!dh->has_control)
		return -EOPNOTSUPP;
	return dh->plugin->control(dh->dev, cmd, reply, (uint32_t)reply_len);
}

uint64_t devh_log_count(const struct devh *dh, enum vdpasim_log_level level)
{
	return (unsigned)level < 4 ? dh->log_count[level] : 0;
}

const char *devh_last_log(const struct devh *dh)
{
	return dh->last_log;
}
