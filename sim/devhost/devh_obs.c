// SPDX-License-Identifier: MIT
/*
 * Device host ring observers and error reports: a vq_obs per queue the model
 * enabled, fed with every DMA the model makes as a raw device access, their
 * events counted across the life of the instance; device_error reports kept
 * for tests and scenarios.
 */
#include "sim/devhost/devh_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void obs_event(void *ctx, const struct vq_obs_event *ev)
{
	struct devh *dh = ctx;
	char text[128];

	if ((unsigned)ev->actor < 2)
		dh->by_actor[ev->actor]++;
	vq_obs_format(ev, text, sizeof(text));
	eng_trace(dh->sim, dh->name, "obs_violation", "q=%u %s", dh->obs_cb_qid, text);
	if (dh->obs_text && dh->obs_text_n < DEVH_OBS_TEXT_KEPT)
		snprintf(dh->obs_text[dh->obs_text_n++], sizeof(dh->obs_text[0]), "q%u %s",
			 dh->obs_cb_qid, text);
	if (dh->listener)
		dh->listener(dh->listener_ctx, dh->obs_cb_qid, ev);
}

static void obs_retire(struct devh *dh, uint16_t qid)
{
	struct vq_obs *o = dh->obs[qid];

	dh->retired_total += vq_obs_count(o);
	dh->retired_level[VQ_MUST] += vq_obs_count_level(o, VQ_MUST);
	dh->retired_level[VQ_SHOULD] += vq_obs_count_level(o, VQ_SHOULD);
	vq_obs_free(o);
	dh->obs[qid] = NULL;
}

/* Per-queue arrays cover qid; 0 or -ENOMEM. */
static int obs_room(struct devh *dh, uint16_t qid)
{
	if (!dh->obs_text) {
		dh->obs_text = calloc(DEVH_OBS_TEXT_KEPT, sizeof(*dh->obs_text));
		if (!dh->obs_text)
			return -ENOMEM;
	}
	if (qid >= dh->nobs) {
		uint32_t n = qid + 1u;
		struct vq_obs **no = realloc(dh->obs, n * sizeof(*no));
		uint8_t *np;
		uint16_t *nv;

		if (!no)
			return -ENOMEM;
		dh->obs = no;
		np = realloc(dh->obs_pinned, n * sizeof(*np));
		if (!np)
			return -ENOMEM;
		dh->obs_pinned = np;
		nv = realloc(dh->obs_vector, n * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		dh->obs_vector = nv;
		for (uint32_t q = dh->nobs; q < n; q++) {
			dh->obs[q] = NULL;
			dh->obs_pinned[q] = 0;
			dh->obs_vector[q] = 0xffff;
		}
		dh->nobs = n;
	}
	return 0;
}

void devh_obs_queue_enabled(void *host, uint16_t qid, uint16_t size, int packed, uint64_t desc,
			    uint64_t driver, uint64_t device, uint64_t features)
{
	struct devh *dh = host;
	struct vq_config cfg = {
		.num = size,
		.desc_addr = desc,
		.driver_addr = driver,
		.device_addr = device,
		.features = features,
	};
	struct vq_obs *o;
	int r;

	if (qid >= DEVH_MAX_QUEUES)
		return;
	if (packed)
		cfg.features |= 1ULL << VIRTIO_F_RING_PACKED;
	else
		cfg.features &= ~(1ULL << VIRTIO_F_RING_PACKED);
	if (obs_room(dh, qid))
		return;
	if (dh->obs_pinned[qid]) {
		/* the platform declared this queue's rings: its observer stays */
		eng_trace(dh->sim, dh->name, "queue_enabled",
			  "q=%u size=%u packed=%d desc=0x%llx driver=0x%llx device=0x%llx "
			  "observed=platform", qid, size, packed, (unsigned long long)desc,
			  (unsigned long long)driver, (unsigned long long)device);
		return;
	}
	if (dh->obs[qid])
		obs_retire(dh, qid);
	r = vq_obs_create(&o, &cfg, NULL, 0);
	eng_trace(dh->sim, dh->name, "queue_enabled",
		  "q=%u size=%u packed=%d desc=0x%llx driver=0x%llx device=0x%llx obs=%d", qid,
		  size, packed, (unsigned long long)desc, (unsigned long long)driver,
		  (unsigned long long)device, r);
	if (r)
		return; /* a ring the observer refuses: the model will find out itself */
	vq_obs_set_callback(o, obs_event, dh);
	dh->obs[qid] = o;
}

void devh_obs_queue_disabled(void *host, uint16_t qid)
{
	struct devh *dh = host;

	eng_trace(dh->sim, dh->name, "queue_disabled", "q=%u", qid);
	if (qid < dh->nobs && dh->obs[qid] && !dh->obs_pinned[qid])
		obs_retire(dh, qid);
}

int devh_observe(struct devh *dh, uint16_t qid, const struct vq_config *cfg,
		 const struct vq_state *start)
{
	struct vq_obs *o;
	int r;

	if (qid >= DEVH_MAX_QUEUES)
		return -EINVAL;
	r = obs_room(dh, qid);
	if (r)
		return r;
	r = vq_obs_create(&o, cfg, start, 0);
	eng_trace(dh->sim, dh->name, "queue_observed",
		  "q=%u size=%u packed=%d desc=0x%llx driver=0x%llx device=0x%llx obs=%d", qid,
		  cfg->num, vq_cfg_packed(cfg), (unsigned long long)cfg->desc_addr,
		  (unsigned long long)cfg->driver_addr, (unsigned long long)cfg->device_addr, r);
	if (r)
		return r;
	if (dh->obs[qid])
		obs_retire(dh, qid);
	vq_obs_set_callback(o, obs_event, dh);
	dh->obs[qid] = o;
	dh->obs_pinned[qid] = 1;
	return 0;
}

void devh_unobserve(struct devh *dh, uint16_t qid)
{
	if (qid >= dh->nobs)
		return;
	if (dh->obs[qid])
		obs_retire(dh, qid);
	dh->obs_pinned[qid] = 0;
	dh->obs_vector[qid] = 0xffff;
}

void devh_queue_vector(struct devh *dh, uint16_t qid, uint16_t vector)
{
	if (qid < DEVH_MAX_QUEUES && !obs_room(dh, qid))
		dh->obs_vector[qid] = vector;
}

void devh_obs_interrupt(struct devh *dh, uint16_t vector)
{
	for (uint32_t q = 0; q < dh->nobs; q++) {
		if (!dh->obs[q] || dh->obs_vector[q] != vector)
			continue;
		dh->obs_cb_qid = (uint16_t)q;
		vq_obs_notify(dh->obs[q], VQ_ACTOR_DEVICE);
	}
}

void devh_obs_listen(struct devh *dh, devh_obs_listener fn, void *ctx)
{
	dh->listener = fn;
	dh->listener_ctx = ctx;
}

void devh_set_dma_tap(struct devh *dh, devh_dma_tap_fn fn, void *ctx)
{
	dh->dma_tap = fn;
	dh->dma_tap_ctx = ctx;
}

void devh_obs_dma(struct devh *dh, bool write, uint64_t iova, const void *data, uint32_t len)
{
	struct vq_access a = {
		.actor = VQ_ACTOR_DEVICE,
		.kind = VQ_K_RAW,
		.write = write,
		.addr = iova,
		.len = len,
		.data = data,
		.chain = VQ_NO_CHAIN,
	};

	if (!len)
		return;
	for (uint32_t q = 0; q < dh->nobs; q++) {
		if (!dh->obs[q])
			continue;
		dh->obs_cb_qid = (uint16_t)q;
		vq_obs_access(dh->obs[q], &a);
	}
}

void devh_obs_drop_all(struct devh *dh)
{
	for (uint32_t q = 0; q < dh->nobs; q++) {
		if (dh->obs[q])
			obs_retire(dh, (uint16_t)q);
		dh->obs_pinned[q] = 0;
	}
}

void devh_obs_fini(struct devh *dh)
{
	devh_obs_drop_all(dh);
	free(dh->obs);
	dh->obs = NULL;
	free(dh->obs_pinned);
	dh->obs_pinned = NULL;
	free(dh->obs_vector);
	dh->obs_vector = NULL;
	dh->nobs = 0;
	free(dh->obs_text);
	dh->obs_text = NULL;
}

struct vq_obs *devh_observer(const struct devh *dh, uint16_t qid)
{
	return qid < dh->nobs ? dh->obs[qid] : NULL;
}

uint64_t devh_violations(const struct devh *dh)
{
	uint64_t n = dh->retired_total;

	for (uint32_t q = 0; q < dh->nobs; q++)
		if (dh->obs[q])
			n += vq_obs_count(dh->obs[q]);
	return n;
}

uint64_t devh_violations_level(const struct devh *dh, enum vq_level level)
{
	uint64_t n;

	if ((unsigned)level > VQ_SHOULD)
		return 0;
	n = dh->retired_level[level];
	for (uint32_t q = 0; q < dh->nobs; q++)
		if (dh->obs[q])
			n += vq_obs_count_level(dh->obs[q], level);
	return n;
}

uint64_t devh_violations_by(const struct devh *dh, enum vq_actor actor)
{
	return (unsigned)actor < 2 ? dh->by_actor[actor] : 0;
}

int devh_violation_text(const struct devh *dh, unsigned i, char *buf, size_t len)
{
	if (!dh->obs_text || i >= dh->obs_text_n)
		return -ENOENT;
	snprintf(buf, len, "%s", dh->obs_text[i]);
	return 0;
}

/* ---- Errors the model reports ------------------------------------------------------------ */

void devh_device_error(void *host, uint16_t qid, const char *violation, const char *detail)
{
	struct devh *dh = host;
	char key[160];

	if (!violation)
		violation = "unknown";
	if (!detail)
		detail = "";
	if (dh->nerr < DEVH_ERRORS_KEPT) {
		struct devh_error *e = &dh->err[dh->nerr];

		e->time = eng_now(dh->sim);
		e->qid = qid;
		snprintf(e->violation, sizeof(e->violation), "%s", violation);
		snprintf(e->detail, sizeof(e->detail), "%s", detail);
	}
	dh->nerr++;
	snprintf(key, sizeof(key), "dev.%s.device_errors", dh->name);
	eng_stat_add(dh->sim, key, 1);
	eng_trace(dh->sim, dh->name, "device_error", "q=%u violation=%s detail=\"%s\"", qid,
		  violation, detail);
}

unsigned devh_errors(const struct devh *dh)
{
	return dh->nerr;
}

int devh_error_get(const struct devh *dh, unsigned i, struct devh_error *out)
{
	if (i >= dh->nerr || i >= DEVH_ERRORS_KEPT)
		return -ENOENT;
	*out = dh->err[i];
	return 0;
}
