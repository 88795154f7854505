// SPDX-License-Identifier: MIT
/*
 * The platform a check's device lives on, built in the check's own process:
 * a struct sim seeded from --seed, host memory, an IOMMU domain the device is
 * attached to (guest memory mapped at CONF_IOVA_BASE), a PCIe root complex
 * with the device under test placed by sim/devhost (the one plugin host of
 * the project: DMA timed and through the IOMMU, MSI-X, timers, ports, ring
 * observers), a peer port the suite owns on the device's Ethernet port, and
 * the budget, trace excerpt and conf_set() through which a check reports.
 * Enumeration and the capability walk happen here too (conf_drv_probe), so a
 * check starts from a device the suite has found as a driver would.
 */
#include "conformance/conf_drv.h"
#include "sim/devhost/devhost.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/mem.h"
#include "sim/net/net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- trace excerpt ------------------------------------------------------------------------- */

static void keep_trace_line(struct conf_ctx *ctx, const char *line, size_t len)
{
	char *slot = ctx->trace[ctx->trace_next];

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len > sizeof(ctx->trace[0]) - 1)
		len = sizeof(ctx->trace[0]) - 1;
	memcpy(slot, line, len);
	slot[len] = 0;
	ctx->trace_next = (ctx->trace_next + 1) % CONF_TRACE_LINES;
	if (ctx->trace_count < CONF_TRACE_LINES)
		ctx->trace_count++;
}

static void trace_sink(void *arg, const char *line, size_t len)
{
	keep_trace_line(arg, line, len);
}

/* The kept records, oldest first, one per line. */
static void trace_excerpt(const struct conf_ctx *ctx, char *buf, size_t size)
{
	size_t n = 0;
	unsigned first = (ctx->trace_next + CONF_TRACE_LINES - ctx->trace_count) % CONF_TRACE_LINES;

	buf[0] = 0;
	for (unsigned i = 0; i < ctx->trace_count && n < size; i++) {
		const char *l = ctx->trace[(first + i) % CONF_TRACE_LINES];
		int w = snprintf(buf + n, size - n, "%s%s", n ? "\n" : "", l);

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

/* ---- what the device does: DMA, observer events ---------------------------------------------- */

static void dma_tap(void *arg, bool write, uint64_t iova, const void *data, uint32_t len,
		    int result)
{
	struct conf_ctx *ctx = arg;

	(void)data;
	if (result) {
		ctx->dma_faults++;
		return;
	}
	if (write)
		ctx->dma_writes++;
	else
		ctx->dma_reads++;
	for (unsigned i = 0; i < ctx->nwatch; i++) {
		struct conf_watch *w = &ctx->watch[i];

		if (iova >= w->lo + w->len || iova + len <= w->lo)
			continue;
		if (!w->reads && !w->writes)
			snprintf(w->first, sizeof(w->first), "%s of %u bytes at 0x%llx at %llu ps",
				 write ? "write" : "read", len, (unsigned long long)iova,
				 (unsigned long long)eng_now(ctx->sim));
		if (write && !w->writes)
			snprintf(w->first_write, sizeof(w->first_write), "%u bytes at 0x%llx at %llu "
				 "ps", len, (unsigned long long)iova,
				 (unsigned long long)eng_now(ctx->sim));
		if (write)
			w->writes++;
		else
			w->reads++;
	}
}

static void obs_listener(void *arg, uint16_t qid, const struct vq_obs_event *ev)
{
	struct conf_ctx *ctx = arg;
	char text[128];

	if (ev->actor != VQ_ACTOR_DEVICE || (unsigned)ev->rule >= VQ_R_COUNT)
		return;
	ctx->obs_dev++;
	ctx->obs_rule[ev->rule]++;
	if (ctx->nobs >= CONF_OBS_KEEP)
		return;
	vq_obs_format(ev, text, sizeof(text));
	ctx->obs[ctx->nobs].qid = qid;
	ctx->obs[ctx->nobs].rule = ev->rule;
	snprintf(ctx->obs[ctx->nobs].text, sizeof(ctx->obs[0].text), "queue %u at %llu ps: %s",
		 qid, (unsigned long long)eng_now(ctx->sim), text);
	ctx->nobs++;
}

int conf_watch(struct conf_ctx *ctx, uint64_t lo, uint64_t len)
{
	if (ctx->nwatch >= CONF_WATCH_MAX)
		return -ENOSPC;
	ctx->watch[ctx->nwatch] = (struct conf_watch){ .lo = lo, .len = len };
	return (int)ctx->nwatch++;
}

void conf_watch_clear(struct conf_ctx *ctx)
{
	ctx->nwatch = 0;
}

static bool rule_is(int rule, const char *id)
{
	const struct vq_rule_info *ri = vq_rule_info((enum vq_rule)rule);

	return ri && !strcmp(ri->id, id);
}

uint64_t conf_obs_count(const struct conf_ctx *ctx, const char *id)
{
	uint64_t n = 0;

	for (int r = 0; r < VQ_R_COUNT; r++)
		if (ctx->obs_rule[r] && rule_is(r, id))
			n += ctx->obs_rule[r];
	return n;
}

const char *conf_obs_first(const struct conf_ctx *ctx, const char *id)
{
	for (unsigned i = 0; i < ctx->nobs; i++)
		if (rule_is(ctx->obs[i].rule, id))
			return ctx->obs[i].text;
	return NULL;
}

void conf_obs_sync(struct conf_ctx *ctx)
{
	for (unsigned q = 0; q < CONF_MAX_VQ; q++) {
		struct vq_obs *o = ctx->vq[q].live ? devh_observer(ctx->dh, (uint16_t)q) : NULL;

		if (o)
			vq_obs_sync(o);
	}
}

void conf_obs_judge(struct conf_ctx *ctx, const char *const *ids, const char *what)
{
	for (const char *const *id = ids; *id; id++) {
		uint64_t n = conf_obs_count(ctx, *id);
		const char *first = conf_obs_first(ctx, *id);
		const struct vq_rule_info *ri = NULL;

		for (int r = 0; r < VQ_R_COUNT && !ri; r++)
			if (rule_is(r, *id))
				ri = vq_rule_info((enum vq_rule)r);
		if (n)
			conf_set(ctx, *id, CONF_FAIL, "ring observer: %llu violation%s of \"%s\"; "
				 "first: %s", (unsigned long long)n, n == 1 ? "" : "s",
				 ri ? ri->text : *id, first ? first : "(not kept)");
		else
			conf_set(ctx, *id, CONF_PASS, "ring observer watched %s: no violation of "
				 "\"%s\"", what, ri ? ri->text : *id);
	}
}

/* ---- the peer ------------------------------------------------------------------------------ */

static void peer_rx(void *arg, struct net_port *port, const uint8_t *frame, size_t len,
		    sim_time_t at)
{
	struct conf_ctx *ctx = arg;
	uint64_t i = ctx->nwire++;

	if (i < CONF_WIRE_KEEP) {
		struct conf_wiref *w = &ctx->wire[i];

		w->data = malloc(len ? len : 1);
		if (w->data)
			memcpy(w->data, frame, len);
		w->len = w->data ? (uint32_t)len : 0;
		w->at = at;
	}
	if (ctx->peer_echo)
		net_port_send(port, frame, len);
}

static const struct net_port_ops peer_ops = { .rx = peer_rx };

int conf_peer_send(struct conf_ctx *ctx, const void *frame, uint32_t len)
{
	if (!ctx->peer)
		return -ENOTCONN;
	return net_port_send(ctx->peer, frame, len);
}

int conf_link_set(struct conf_ctx *ctx, bool up)
{
	if (!ctx->link)
		return -ENOTCONN;
	return net_link_set_up(ctx->link, up);
}

void conf_traffic_clear(struct conf_ctx *ctx)
{
	uint64_t nr = ctx->nrx < CONF_RX_KEEP ? ctx->nrx : CONF_RX_KEEP;
	uint64_t nw = ctx->nwire < CONF_WIRE_KEEP ? ctx->nwire : CONF_WIRE_KEEP;

	for (uint64_t i = 0; i < nr; i++)
		free(ctx->rxf[i].data);
	for (uint64_t i = 0; i < nw; i++)
		free(ctx->wire[i].data);
	memset(ctx->rxf, 0, sizeof(ctx->rxf));
	memset(ctx->wire, 0, sizeof(ctx->wire));
	ctx->nrx = ctx->nwire = ctx->rx_bad = 0;
	ctx->rx_bad_why[0] = 0;
}

/* ---- context ---------------------------------------------------------------------------------- */

static int fail(char *err, size_t errlen, int rc, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, strerror(rc < 0 ? -rc : rc));
	return rc < 0 ? rc : -EINVAL;
}

static int build_platform(struct conf_ctx *ctx, char *err, size_t errlen)
{
	struct net_link_cfg lc = { .rate_bps = NET_RATE_100G, .length_m = 2,
				   .max_frame_len = NET_FRAME_MAX };
	struct net_port_cfg pc = { .name = "peer", .tx_queue_frames = 4096 };
	unsigned n = 0;
	int rc;

	ctx->mem = mem_new(1ULL << 36);
	ctx->io = ctx->mem ? iommu_new(ctx->sim, NULL) : NULL;
	ctx->dom = ctx->io ? iommu_domain_new(ctx->io, IOMMU_DOMAIN_PAGING) : NULL;
	ctx->rc = ctx->dom ? pcie_rc_new(ctx->sim, ctx->mem, ctx->io, NULL) : NULL;
	if (!ctx->rc) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = devh_create(ctx->sim, ctx->rc, CONF_SLOT, ctx->plugin, ctx->options, "dut", &ctx->dh);
	if (rc) {
		snprintf(err, errlen, "device create() failed: %d (%s)", rc, strerror(-rc));
		return rc;
	}
	ctx->dev = devh_dev(ctx->dh);
	ctx->layout = *devh_layout(ctx->dh);
	devh_set_dma_tap(ctx->dh, dma_tap, ctx);
	devh_obs_listen(ctx->dh, obs_listener, ctx);
	rc = iommu_attach(ctx->io, pcie_fn_bdf(devh_fn(ctx->dh)), 0, ctx->dom);
	if (!rc)
		rc = iommu_map(ctx->dom, CONF_IOVA_BASE, CONF_PA_BASE, CONF_IOVA_SIZE,
			       IOMMU_READ | IOMMU_WRITE);
	if (rc)
		return fail(err, errlen, rc, "IOMMU set-up");
	rc = pcie_enumerate(ctx->rc, CONF_MMIO_BASE, CONF_MMIO_SIZE, &ctx->hf, 1, &n);
	if (rc || n != 1) {
		snprintf(err, errlen, "PCI enumeration found %u functions (%d): the device's "
			 "BARs do not fit the MMIO window", n, rc);
		return rc ? rc : -ENODEV;
	}
	if (devh_net_ports(ctx->dh)) {
		ctx->peer_echo = true;
		rc = net_port_new(ctx->sim, &pc, &peer_ops, ctx, &ctx->peer);
		if (!rc)
			rc = net_link_new(ctx->sim, &lc, devh_net_port(ctx->dh, 0), ctx->peer,
					  &ctx->link);
		if (rc)
			return fail(err, errlen, rc, "Ethernet peer");
	}
	conf_drv_attach_msi(ctx);
	ctx->iova_next = CONF_IOVA_BASE;
	return 0;
}

int conf_ctx_init(struct conf_ctx *ctx, const struct vdpasim_device_plugin *plugin,
		  const char *options, uint64_t seed, const char *stream, char *err,
		  size_t errlen)
{
	int rc;

	ctx->plugin = plugin;
	ctx->options = options ? options : "";
	if (!ctx->max_time)
		ctx->max_time = CONF_DEFAULT_MAX_SIM_TIME;
	if (!ctx->max_events)
		ctx->max_events = CONF_DEFAULT_MAX_EVENTS;
	ctx->sim = eng_sim_new(seed, 0);
	if (!ctx->sim) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = eng_attach(ctx->sim, "conf", ctx, NULL);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	eng_trace_enable(ctx->sim, trace_sink, ctx);
	eng_rng_stream(ctx->sim, stream, &ctx->rng);
	rc = build_platform(ctx, err, errlen);
	if (rc)
		return rc;
	return conf_drv_probe(ctx, err, errlen);
}

void conf_ctx_fini(struct conf_ctx *ctx)
{
	conf_drv_release(ctx);
	conf_traffic_clear(ctx);
	net_link_free(ctx->link);
	net_port_free(ctx->peer);
	devh_destroy(ctx->dh);
	pcie_rc_free(ctx->rc);
	iommu_free(ctx->io);
	mem_free(ctx->mem);
	if (ctx->sim)
		eng_sim_free(ctx->sim);
	ctx->link = NULL;
	ctx->peer = NULL;
	ctx->dh = NULL;
	ctx->dev = NULL;
	ctx->rc = NULL;
	ctx->io = NULL;
	ctx->dom = NULL;
	ctx->mem = NULL;
	ctx->sim = NULL;
}

sim_time_t conf_now(const struct conf_ctx *ctx)
{
	return eng_now(ctx->sim);
}

int conf_run_for(struct conf_ctx *ctx, sim_time_t dt)
{
	sim_time_t now = eng_now(ctx->sim);
	sim_time_t target = dt > ENG_TIME_MAX - now ? ENG_TIME_MAX : now + dt;
	bool out_of_time = false;

	if (ctx->budget_exceeded)
		return -ETIME;
	if (target > ctx->max_time) {
		target = ctx->max_time;
		out_of_time = true;
	}
	while (eng_next_time(ctx->sim) <= target) {
		if (eng_events_executed(ctx->sim) >= ctx->max_events) {
			ctx->budget_exceeded = true;
			return -ETIME;
		}
		eng_step(ctx->sim);
	}
	if (target > eng_now(ctx->sim))
		eng_run_until(ctx->sim, target);
	if (out_of_time) {
		ctx->budget_exceeded = true;
		return -ETIME;
	}
	return 0;
}

uint64_t conf_mmio_read(struct conf_ctx *ctx, uint8_t bar, uint64_t off, uint8_t size)
{
	uint64_t v = ~0ULL;

	if (bar >= VDPASIM_MAX_BARS || !ctx->hf.bar[bar].size)
		return size < 8 ? (1ULL << (8 * size)) - 1 : ~0ULL;
	pcie_mmio_read(ctx->rc, ctx->hf.bar[bar].addr + off, size, &v, NULL);
	if (size < 8)
		v &= (1ULL << (8 * size)) - 1;
	return v;
}

void conf_mmio_write(struct conf_ctx *ctx, uint8_t bar, uint64_t off, uint8_t size, uint64_t v)
{
	if (bar >= VDPASIM_MAX_BARS || !ctx->hf.bar[bar].size)
		return;
	pcie_mmio_write(ctx->rc, ctx->hf.bar[bar].addr + off, size, v, NULL);
}

uint32_t conf_cfg_read(struct conf_ctx *ctx, uint16_t off, unsigned size)
{
	uint32_t v = 0;

	if (pcie_host_cfg_read(&ctx->hf, off, size, &v))
		return size < 4 ? (1u << (8 * size)) - 1 : ~0u;
	return v;
}

void conf_cfg_write(struct conf_ctx *ctx, uint16_t off, unsigned size, uint32_t v)
{
	pcie_host_cfg_write(&ctx->hf, off, size, v);
}

int conf_control(struct conf_ctx *ctx, const char *cmd, char *reply, size_t len)
{
	return devh_control(ctx->dh, cmd, reply, len);
}

/* ---- evidence --------------------------------------------------------------------------------- */

static bool declared(const struct conf_check *c, const char *id)
{
	for (const char *const *r = c->requirements; r && *r; r++)
		if (!strcmp(*r, id))
			return true;
	return false;
}

static int misuse(struct conf_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int misuse(struct conf_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->misuse[0]) {
		va_start(ap, fmt);
		vsnprintf(ctx->misuse, sizeof(ctx->misuse), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int vset(struct conf_ctx *ctx, const char *id, enum conf_status st, int64_t frame,
		const char *fmt, va_list ap)
{
	char msg[CONF_MAX_MESSAGE], trace[CONF_MAX_TRACE];

	if (!id || !declared(ctx->check, id))
		return misuse(ctx, "check set requirement '%s' it does not declare",
			      id ? id : "(null)");
	if (st != CONF_PASS && st != CONF_FAIL && st != CONF_NOT_APPLICABLE)
		return misuse(ctx, "check set %s to status %d", id, (int)st);
	if (ctx->nset >= CONF_MAX_EVIDENCE)
		return misuse(ctx, "check set more than %d statuses", CONF_MAX_EVIDENCE);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	trace[0] = 0;
	if (st == CONF_FAIL)
		trace_excerpt(ctx, trace, sizeof(trace));
	ctx->nset++;
	conf_buf_u8(ctx->out, 'E');
	conf_buf_u8(ctx->out, (uint8_t)st);
	conf_buf_str(ctx->out, id);
	conf_buf_str(ctx->out, msg);
	conf_buf_u64(ctx->out, eng_now(ctx->sim));
	conf_buf_u64(ctx->out, (uint64_t)frame);
	conf_buf_str(ctx->out, trace);
	return 0;
}

int conf_abort(struct conf_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->abort_why[0]) {
		va_start(ap, fmt);
		vsnprintf(ctx->abort_why, sizeof(ctx->abort_why), fmt, ap);
		va_end(ap);
	}
	return -ECANCELED;
}

int conf_set(struct conf_ctx *ctx, const char *id, enum conf_status st, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vset(ctx, id, st, -1, fmt, ap);
	va_end(ap);
	return rc;
}

int conf_set_frame(struct conf_ctx *ctx, const char *id, enum conf_status st, int64_t frame,
		   const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vset(ctx, id, st, frame < 0 ? -1 : frame, fmt, ap);
	va_end(ap);
	return rc;
}

int conf_expect(struct conf_ctx *ctx, const char *id, bool cond, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vset(ctx, id, cond ? CONF_PASS : CONF_FAIL, -1, fmt, ap);
	va_end(ap);
	return rc;
}
