// SPDX-License-Identifier: MIT
/*
 * The platform a check's device instance lives on: the host services of the
 * plugin ABI over a private struct sim, a simulated-time and event budget,
 * the last trace records for failure excerpts, and conf_set(), through which a
 * check reports evidence.  One context per check run, inside the check's own
 * process.
 *
 * There is no guest memory here yet: DMA is refused with -EFAULT and counted,
 * frames sent are counted (no wire).  Ring checks will attach memory, the ring
 * observer and a wire to the context.
 */
#include "conformance/conf_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct conf_timer {
	eng_event_id ev;
	vdpasim_timer_fn fn;
	uint64_t arg;
	bool live;
};

static struct conf_ctx *ctx_of(void *host)
{
	return host;
}

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

/* ---- host services ------------------------------------------------------------------------- */

static int host_dma(void *host, uint64_t iova, uint32_t len, uint64_t *t_ps, const char *dir)
{
	struct conf_ctx *ctx = ctx_of(host);

	ctx->dma_faults++;
	eng_trace(ctx->sim, "host", "dma_refused", "dir=%s iova=0x%llx len=%u", dir,
		  (unsigned long long)iova, len);
	if (t_ps && *t_ps < eng_now(ctx->sim))
		*t_ps = eng_now(ctx->sim);
	return -EFAULT;
}

static int host_dma_read(void *host, uint64_t iova, void *dst, uint32_t len, uint64_t *t_ps)
{
	(void)dst;
	return host_dma(host, iova, len, t_ps, "read");
}

static int host_dma_write(void *host, uint64_t iova, const void *src, uint32_t len,
			  uint64_t *t_ps)
{
	(void)src;
	return host_dma(host, iova, len, t_ps, "write");
}

static int host_msix_send(void *host, uint16_t vector, uint64_t at_ps)
{
	struct conf_ctx *ctx = ctx_of(host);

	if (vector >= ctx->layout.msix_vectors || at_ps < eng_now(ctx->sim))
		return -EINVAL;
	ctx->msix_sent++;
	eng_trace(ctx->sim, "host", "msix", "vector=%u at=%llu", vector,
		  (unsigned long long)at_ps);
	return 0;
}

static uint64_t host_now(void *host)
{
	return eng_now(ctx_of(host)->sim);
}

static void timer_fire(struct sim *sim, void *arg)
{
	struct conf_ctx *ctx = eng_attached(sim, "conf");
	size_t i = (size_t)(uintptr_t)arg;
	struct conf_timer *t;

	if (!ctx || i >= ctx->ntimers)
		return;
	t = &ctx->timers[i];
	if (!t->live)
		return;
	t->live = false;
	t->fn(ctx->dev, t->arg);
}

static uint64_t host_timer_add(void *host, uint64_t at_ps, vdpasim_timer_fn fn, uint64_t arg)
{
	struct conf_ctx *ctx = ctx_of(host);
	struct conf_timer *t;

	if (!fn || at_ps < eng_now(ctx->sim))
		return 0;
	if (ctx->ntimers == ctx->timers_cap) {
		size_t ncap = ctx->timers_cap ? ctx->timers_cap * 2 : 64;
		struct conf_timer *p = realloc(ctx->timers, ncap * sizeof(*p));

		if (!p)
			return 0;
		ctx->timers = p;
		ctx->timers_cap = ncap;
	}
	t = &ctx->timers[ctx->ntimers];
	t->fn = fn;
	t->arg = arg;
	t->live = true;
	t->ev = eng_schedule_at(ctx->sim, at_ps, timer_fire, (void *)(uintptr_t)ctx->ntimers);
	if (!t->ev)
		return 0;
	return ++ctx->ntimers;
}

static int host_timer_cancel(void *host, uint64_t handle)
{
	struct conf_ctx *ctx = ctx_of(host);
	struct conf_timer *t;

	if (!handle || handle > ctx->ntimers)
		return -ENOENT;
	t = &ctx->timers[handle - 1];
	if (!t->live)
		return -ENOENT;
	t->live = false;
	return eng_cancel(ctx->sim, t->ev);
}

static void host_log(void *host, enum vdpasim_log_level level, const char *msg)
{
	struct conf_ctx *ctx = ctx_of(host);
	char line[200];

	snprintf(line, sizeof(line), "log level=%d %s", (int)level, msg ? msg : "");
	keep_trace_line(ctx, line, strlen(line));
}

static void host_trace(void *host, const char *event, const char *kv)
{
	struct conf_ctx *ctx = ctx_of(host);

	eng_trace(ctx->sim, ctx->plugin->name, event ? event : "?", "%s", kv ? kv : "");
}

static uint64_t host_rng_next(void *host)
{
	return eng_rng_next(&ctx_of(host)->rng);
}

static void host_stat_add(void *host, const char *name, uint64_t delta)
{
	if (name && *name)
		eng_stat_add(ctx_of(host)->sim, name, delta);
}

static int host_net_send(void *host, uint32_t port, const void *frame, uint32_t len,
			 uint64_t at_ps)
{
	struct conf_ctx *ctx = ctx_of(host);

	if (port >= ctx->layout.nr_net_ports || !frame || at_ps < eng_now(ctx->sim))
		return -EINVAL;
	ctx->frames_sent++;
	eng_trace(ctx->sim, "host", "net_send", "port=%u len=%u frame=%llu", port, len,
		  (unsigned long long)ctx->frames_sent);
	return 0;
}

static uint64_t host_net_tx_free_at(void *host, uint32_t port)
{
	(void)port;
	return eng_now(ctx_of(host)->sim);
}

static void host_queue_enabled(void *host, uint16_t qid, uint16_t size, int packed,
			       uint64_t desc, uint64_t driver, uint64_t device, uint64_t features)
{
	struct conf_ctx *ctx = ctx_of(host);

	eng_trace(ctx->sim, "host", "queue_enabled",
		  "qid=%u size=%u packed=%d desc=0x%llx driver=0x%llx device=0x%llx "
		  "features=0x%llx", qid, size, packed, (unsigned long long)desc,
		  (unsigned long long)driver, (unsigned long long)device,
		  (unsigned long long)features);
}

static void host_queue_disabled(void *host, uint16_t qid)
{
	eng_trace(ctx_of(host)->sim, "host", "queue_disabled", "qid=%u", qid);
}

static void host_device_error(void *host, uint16_t qid, const char *violation, const char *detail)
{
	struct conf_ctx *ctx = ctx_of(host);

	if (!ctx->device_errors++)
		snprintf(ctx->first_device_error, sizeof(ctx->first_device_error),
			 "queue %u: %s: %s", qid, violation ? violation : "?", detail ? detail : "");
	eng_trace(ctx->sim, "host", "device_error", "qid=%u violation=%s", qid,
		  violation ? violation : "?");
}

/* ---- context ---------------------------------------------------------------------------------- */

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
	ctx->ops = (struct vdpasim_host_ops){
		.size = sizeof(struct vdpasim_host_ops),
		.dma_read = host_dma_read,
		.dma_write = host_dma_write,
		.msix_send = host_msix_send,
		.now = host_now,
		.timer_add = host_timer_add,
		.timer_cancel = host_timer_cancel,
		.log = host_log,
		.trace = host_trace,
		.rng_next = host_rng_next,
		.stat_add = host_stat_add,
		.net_send = host_net_send,
		.net_tx_free_at = host_net_tx_free_at,
		.queue_enabled = host_queue_enabled,
		.queue_disabled = host_queue_disabled,
		.device_error = host_device_error,
	};
	memset(&ctx->layout, 0, sizeof(ctx->layout));
	ctx->layout.size = sizeof(ctx->layout);
	rc = plugin->create(&ctx->ops, ctx, ctx->options, &ctx->layout, &ctx->dev);
	if (rc || !ctx->dev) {
		ctx->dev = NULL;
		snprintf(err, errlen, "device create() failed: %d (%s)", rc,
			 rc < 0 ? strerror(-rc) : "no instance returned");
		return rc < 0 ? rc : -EINVAL;
	}
	if (ctx->layout.size > sizeof(ctx->layout)) {
		snprintf(err, errlen, "device create() set layout size %u, larger than %zu",
			 ctx->layout.size, sizeof(ctx->layout));
		return -EINVAL;
	}
	if (ctx->layout.nr_vendor_caps > VDPASIM_MAX_VENDOR_CAPS) {
		snprintf(err, errlen, "device create() reported %u vendor capabilities (max %d)",
			 ctx->layout.nr_vendor_caps, VDPASIM_MAX_VENDOR_CAPS);
		return -EINVAL;
	}
	/* power-on */
	plugin->reset(ctx->dev);
	return 0;
}

void conf_ctx_fini(struct conf_ctx *ctx)
{
	if (ctx->dev && ctx->plugin)
		ctx->plugin->destroy(ctx->dev);
	ctx->dev = NULL;
	if (ctx->sim)
		eng_sim_free(ctx->sim);
	ctx->sim = NULL;
	free(ctx->timers);
	ctx->timers = NULL;
	ctx->ntimers = ctx->timers_cap = 0;
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
	uint64_t v = ctx->plugin->mmio_read(ctx->dev, bar, off, size);

	if (size < 8)
		v &= (1ULL << (8 * size)) - 1;
	return v;
}

void conf_mmio_write(struct conf_ctx *ctx, uint8_t bar, uint64_t off, uint8_t size, uint64_t v)
{
	ctx->plugin->mmio_write(ctx->dev, bar, off, size, v);
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
