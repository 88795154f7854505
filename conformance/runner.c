// SPDX-License-Identifier: MIT
/*
 * `vdpasim conformance`: load the device, probe what it offers, decide the
 * run's profile, then run each selected check in its own process and fold
 * the evidence into one status per catalogue row.
 *
 * A check's process builds its own struct sim from the seed, so a check's
 * results never depend on which checks ran before it or in which shard.
 */
#include "conformance/conf_priv.h"
#include "conformance/mutants/mutant.h"
#include "vdpasim/uapi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct run {
	const struct conf_run_config *cfg;
	FILE *diag;
	struct conf_plugin plugin;
	const struct conf_check **checks; /* registered (+ self-test) checks, run order */
	size_t nchecks;
	bool *only_check;                 /* per check: selected by --only */
	uint64_t offered, selected;       /* features offered / covered by the profile */
	unsigned items, rings;
	struct conf_report *report;
};

static int say(struct run *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(struct run *r, int status, const char *fmt, ...)
{
	va_list ap;

	fputs("vdpasim: ", r->diag);
	va_start(ap, fmt);
	vfprintf(r->diag, fmt, ap);
	va_end(ap);
	fputc('\n', r->diag);
	return status;
}

/* ---- probe: identity and offered features, in a child like any check ---------------------- */

struct probe_job {
	const struct conf_plugin *plugin;
	const char *options;
	uint64_t seed;
};

static void probe_child(void *arg, struct conf_buf *out)
{
	struct probe_job *job = arg;
	struct conf_ctx ctx = { 0 };
	char err[256];
	uint64_t features = 0;
	int rc;

	rc = conf_ctx_init(&ctx, job->plugin->desc, job->options, job->seed, "device", err,
			   sizeof(err));
	conf_buf_u32(out, (uint32_t)rc);
	conf_buf_str(out, rc ? err : "");
	if (!rc) {
		const struct vdpasim_pci_layout *l = &ctx.layout;

		rc = conf_read_features(&ctx, &features);
		conf_buf_u32(out, (uint32_t)rc);
		conf_buf_u64(out, features);
		conf_buf_u32(out, (uint32_t)l->vendor_id << 16 | l->device_id);
		conf_buf_u32(out, (uint32_t)l->subsys_vendor_id << 16 | l->subsys_id);
		conf_buf_u32(out, l->class_code);
		conf_buf_u8(out, l->revision);
	}
	conf_ctx_fini(&ctx);
}

static int fill_device(struct run *r, struct conf_rd *rd)
{
	struct conf_device_info *d = &r->report->dev;
	const struct vdpasim_device_plugin *p = r->plugin.desc;
	uint32_t no_features = conf_rd_u32(rd), v;
	uint64_t features = conf_rd_u64(rd);

	/* without a usable common configuration nothing is offered */
	r->offered = no_features ? 0 : features;
	v = conf_rd_u32(rd);
	d->vendor_id = (uint16_t)(v >> 16);
	d->device_id = (uint16_t)v;
	v = conf_rd_u32(rd);
	d->subsys_vendor_id = (uint16_t)(v >> 16);
	d->subsys_id = (uint16_t)v;
	d->class_code = conf_rd_u32(rd) & 0xffffff;
	d->revision = conf_rd_u8(rd);
	d->features = r->offered;
	d->name = conf_clean_strdup(p->name, 128);
	d->vendor = conf_clean_strdup(p->vendor ? p->vendor : "", 128);
	d->description = conf_clean_strdup(p->description ? p->description : "", 512);
	d->model_version = conf_clean_strdup(p->model_version ? p->model_version : "", 128);
	d->source = conf_clean_strdup(r->plugin.source, 256);
	d->plugin_sha256 = conf_strdup(r->plugin.sha256);
	if (rd->bad)
		return -EINVAL;
	conf_one_line(d->name);
	conf_one_line(d->vendor);
	conf_one_line(d->description);
	conf_one_line(d->model_version);
	conf_one_line(d->source);
	if (!d->name || !d->vendor || !d->description || !d->model_version || !d->source ||
	    !d->plugin_sha256)
		return -ENOMEM;
	return 0;
}

static int probe(struct run *r)
{
	struct probe_job job = { &r->plugin, r->cfg->device_options, r->cfg->seed };
	struct conf_isolated iso;
	struct conf_rd rd;
	char *err;
	int rc;

	rc = conf_isolate(probe_child, &job, r->cfg->timeout_s, &iso);
	if (rc)
		return say(r, CONF_EXIT_INTERNAL, "cannot start a process: %s", strerror(-rc));
	if (!iso.ok) {
		rc = say(r, CONF_EXIT_USAGE, "device '%s': probing it failed: %s", r->cfg->device,
			 iso.why);
		goto out;
	}
	rd = (struct conf_rd){ .p = iso.data, .len = iso.len };
	rc = (int)conf_rd_u32(&rd);
	err = conf_rd_str(&rd, 256);
	if (rc || rd.bad) {
		rc = say(r, CONF_EXIT_USAGE, "device '%s': %s", r->cfg->device,
			 err && *err ? err : "probe failed");
		free(err);
		goto out;
	}
	free(err);
	rc = fill_device(r, &rd);
	if (rc)
		rc = say(r, CONF_EXIT_INTERNAL, "device '%s': probe result unreadable",
			 r->cfg->device);
out:
	conf_isolated_free(&iso);
	return rc;
}

/* ---- profile ----------------------------------------------------------------------------------- */

static int choose_profile(struct run *r)
{
	const struct conf_run_config *cfg = r->cfg;
	unsigned offered = conf_profile_offered(r->offered), want = offered;
	unsigned rings = cfg->rings ? cfg->rings : CONF_RING_ALL;
	char bad[64], list[128];

	if (cfg->profile && *cfg->profile && strcmp(cfg->profile, "offered")) {
		if (conf_profile_parse(cfg->profile, &want, bad, sizeof(bad)))
			return say(r, CONF_EXIT_USAGE, "--profile %s: unknown item '%s' (items: "
				   "split, packed, event_idx, indirect, in_order, mq, ctrl_vq, "
				   "suspend; or 'offered')", cfg->profile, bad);
		if (want & ~offered) {
			conf_profile_format(want & ~offered, list, sizeof(list));
			return say(r, CONF_EXIT_USAGE, "--profile %s: the device does not offer %s",
				   cfg->profile, list);
		}
	}
	if (cfg->rings == CONF_RING_PACKED && !(offered & CONF_P_PACKED))
		return say(r, CONF_EXIT_USAGE, "--ring packed: the device does not offer "
			   "VIRTIO_F_RING_PACKED");
	/* the ring layouts a run covers: asked for by --ring, in the profile, offered */
	r->rings = 0;
	if ((rings & CONF_RING_SPLIT) && (want & CONF_P_SPLIT))
		r->rings |= CONF_RING_SPLIT;
	if ((rings & CONF_RING_PACKED) && (want & CONF_P_PACKED))
		r->rings |= CONF_RING_PACKED;
	if (!r->rings)
		return say(r, CONF_EXIT_USAGE, "no ring layout left to test (--ring and --profile "
			   "exclude each other)");
	want &= ~(unsigned)(CONF_P_SPLIT | CONF_P_PACKED);
	if (r->rings & CONF_RING_SPLIT)
		want |= CONF_P_SPLIT;
	if (r->rings & CONF_RING_PACKED)
		want |= CONF_P_PACKED;
	r->items = want;
	/* features outside the profile vocabulary are always covered when offered */
	r->selected = (r->offered & ~conf_profile_features(CONF_P_ALL)) |
		      (r->offered & conf_profile_features(want));
	return 0;
}

/* ---- checks and the --only filter ---------------------------------------------------------- */

static int gather_checks(struct run *r)
{
	const struct conf_check *const *lists[2] = {
		r->cfg->checks ? r->cfg->checks : conf_checks,
		r->cfg->selftest ? conf_selftest_checks : NULL,
	};
	size_t n = 0;

	for (int l = 0; l < 2; l++)
		for (size_t i = 0; lists[l] && lists[l][i]; i++)
			n++;
	r->checks = calloc(n + 1, sizeof(*r->checks));
	r->only_check = calloc(n + 1, sizeof(*r->only_check));
	if (!r->checks || !r->only_check)
		return say(r, CONF_EXIT_INTERNAL, "out of memory");
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; lists[l] && lists[l][i]; i++)
			r->checks[r->nchecks++] = lists[l][i];
	return 0;
}

static bool check_declares(const struct conf_check *c, const char *id, size_t idlen)
{
	for (const char *const *q = c->requirements; q && *q; q++)
		if (strlen(*q) == idlen && !strncmp(*q, id, idlen))
			return true;
	return false;
}

static int apply_only(struct run *r)
{
	const char *s = r->cfg->only;

	if (!s || !*s) {
		for (size_t i = 0; i < r->nchecks; i++)
			r->only_check[i] = true;
		return 0;
	}
	while (*s) {
		size_t n = strcspn(s, ",");
		bool known = false;

		for (size_t i = 0; i < r->nchecks; i++) {
			const struct conf_check *c = r->checks[i];

			if ((strlen(c->name) == n && !strncmp(c->name, s, n)) ||
			    check_declares(c, s, n)) {
				r->only_check[i] = true;
				known = true;
			}
		}
		if (!known) {
			char item[128];

			snprintf(item, sizeof(item), "%.*s", (int)n, s);
			if (conf_req_index(item) >= 0)
				return say(r, CONF_EXIT_USAGE, "--only %s: no check covers "
					   "requirement %s yet", r->cfg->only, item);
			return say(r, CONF_EXIT_USAGE, "--only %s: '%s' is neither a requirement "
				   "id nor a check name (see vdpasim list checks)", r->cfg->only,
				   item);
		}
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

/* ---- running one check ---------------------------------------------------------------------- */

struct check_job {
	struct run *r;
	const struct conf_check *check;
	unsigned ring;
};

static void check_child(void *arg, struct conf_buf *out)
{
	struct check_job *job = arg;
	const struct conf_run_config *cfg = job->r->cfg;
	struct conf_ctx ctx = { 0 };
	char err[256];
	int rc;

	ctx.check = job->check;
	ctx.ring = job->ring;
	ctx.offered = job->r->offered;
	ctx.selected = job->r->selected;
	ctx.max_time = cfg->max_sim_time_ps ? cfg->max_sim_time_ps : CONF_DEFAULT_MAX_SIM_TIME;
	ctx.max_events = cfg->max_events ? cfg->max_events : CONF_DEFAULT_MAX_EVENTS;
	ctx.out = out;
	rc = conf_ctx_init(&ctx, job->r->plugin.desc, cfg->device_options, cfg->seed, "device",
			   err, sizeof(err));
	if (rc) {
		conf_buf_u8(out, 'X');
		conf_buf_str(out, err);
	} else {
		rc = job->check->run(&ctx);
		conf_buf_u8(out, 'Z');
		conf_buf_u32(out, (uint32_t)rc);
		conf_buf_u8(out, ctx.budget_exceeded);
		conf_buf_u64(out, eng_now(ctx.sim));
		conf_buf_str(out, ctx.misuse);
		conf_buf_str(out, ctx.abort_why);
	}
	conf_ctx_fini(&ctx);
}

static const char *ring_name(unsigned ring)
{
	return ring == CONF_RING_SPLIT ? "split" : ring == CONF_RING_PACKED ? "packed" : "";
}

static int add_evidence(struct run *r, const struct check_job *job, const char *id,
			enum conf_status st, const char *msg, uint64_t t, int64_t frame,
			const char *trace)
{
	int i = conf_req_index(id);
	struct conf_evidence ev = {
		.check = (char *)job->check->name,
		.ring = (char *)ring_name(job->ring),
		.status = st,
		.message = (char *)msg,
		.sim_time_ps = t,
		.pcap_frame = frame,
		.trace = (char *)(trace ? trace : ""),
	};

	if (i < 0)
		return 0; /* a declared id the catalogue lacks: conf_checks_valid() reports it */
	return conf_result_add_evidence(&r->report->res[i], &ev);
}

/* Every requirement the check declares gets an error with this message. */
static int error_all(struct run *r, const struct check_job *job, const char *msg, uint64_t t)
{
	int rc = 0;

	for (const char *const *q = job->check->requirements; q && *q && !rc; q++)
		rc = add_evidence(r, job, *q, CONF_ERROR, msg, t, -1, "");
	return rc;
}

static bool declared_id(const struct conf_check *c, const char *id)
{
	return check_declares(c, id, strlen(id));
}

/* Folds what a check's process sent into the report. */
static int absorb(struct run *r, const struct check_job *job, const uint8_t *data, size_t len)
{
	struct conf_rd rd = { .p = data, .len = len };
	char msg[CONF_MAX_MESSAGE + 64];
	int rc = 0;

	while (!rc && !rd.bad && rd.pos < rd.len) {
		uint8_t tag = conf_rd_u8(&rd);

		if (tag == 'E') {
			uint8_t st = conf_rd_u8(&rd);
			char *id = conf_rd_str(&rd, 64), *m = conf_rd_str(&rd, CONF_MAX_MESSAGE);
			uint64_t t = conf_rd_u64(&rd), frame = conf_rd_u64(&rd);
			char *tr = conf_rd_str(&rd, CONF_MAX_TRACE);

			if (!rd.bad && (!declared_id(job->check, id) ||
					(st != CONF_PASS && st != CONF_FAIL &&
					 st != CONF_NOT_APPLICABLE)))
				rd.bad = true;
			if (!rd.bad)
				rc = add_evidence(r, job, id, (enum conf_status)st, m, t,
						  (int64_t)frame, tr);
			free(id);
			free(m);
			free(tr);
		} else if (tag == 'X') {
			char *e = conf_rd_str(&rd, 256);

			if (e)
				rc = error_all(r, job, e, 0);
			free(e);
			return rc ? rc : (rd.pos == rd.len && !rd.bad ? 0 : -EINVAL);
		} else if (tag == 'Z') {
			int32_t ret = (int32_t)conf_rd_u32(&rd);
			uint8_t budget = conf_rd_u8(&rd);
			uint64_t t = conf_rd_u64(&rd);
			char *misuse = conf_rd_str(&rd, CONF_MAX_MESSAGE);
			char *why = conf_rd_str(&rd, CONF_MAX_MESSAGE);

			if (rd.bad || rd.pos != rd.len) {
				free(misuse);
				free(why);
				return -EINVAL;
			}
			if (misuse[0]) {
				snprintf(msg, sizeof(msg), "check error: %s", misuse);
				rc = error_all(r, job, msg, t);
			}
			if (!rc && budget) {
				snprintf(msg, sizeof(msg), "simulated budget exhausted (%llu ps of "
					 "simulated time or %llu engine events per check)",
					 (unsigned long long)(r->cfg->max_sim_time_ps ?
							      r->cfg->max_sim_time_ps :
							      CONF_DEFAULT_MAX_SIM_TIME),
					 (unsigned long long)(r->cfg->max_events ?
							      r->cfg->max_events :
							      CONF_DEFAULT_MAX_EVENTS));
				rc = error_all(r, job, msg, t);
			}
			if (!rc && ret && why[0]) {
				snprintf(msg, sizeof(msg), "check could not complete: %s", why);
				rc = error_all(r, job, msg, t);
			} else if (!rc && ret) {
				snprintf(msg, sizeof(msg), "check could not complete: %d (%s)", ret,
					 ret < 0 && ret > -4096 ? strerror(-ret) : "?");
				rc = error_all(r, job, msg, t);
			}
			free(misuse);
			free(why);
			return rc;
		} else {
			rd.bad = true;
		}
	}
	return rc ? rc : -EINVAL; /* no trailer */
}

static int run_one(struct run *r, const struct check_job *job)
{
	struct conf_isolated iso;
	int rc = conf_isolate(check_child, (void *)job, r->cfg->timeout_s, &iso);

	if (rc)
		return say(r, CONF_EXIT_INTERNAL, "cannot start a check process: %s", strerror(-rc));
	if (!iso.ok) {
		rc = error_all(r, job, iso.why, 0);
	} else {
		rc = absorb(r, job, iso.data, iso.len);
		if (rc == -EINVAL)
			rc = error_all(r, job, "check process sent malformed results", 0);
	}
	if (!r->cfg->quiet)
		fprintf(r->diag, "vdpasim: check %s%s%s: %s\n", job->check->name,
			*ring_name(job->ring) ? " " : "", ring_name(job->ring),
			iso.ok ? "done" : iso.why);
	conf_isolated_free(&iso);
	if (rc)
		return say(r, CONF_EXIT_INTERNAL, "out of memory");
	return 0;
}

static int run_checks(struct run *r)
{
	unsigned n = r->cfg->shard_count ? r->cfg->shard_count : 1;
	unsigned idx = r->cfg->shard_index ? r->cfg->shard_index : 1;
	int rc = 0;

	for (size_t k = 0; k < r->nchecks && !rc; k++) {
		const struct conf_check *c = r->checks[k];

		/* shards split the check list by position */
		if (!r->only_check[k] || (unsigned)(k % n) + 1 != idx)
			continue;
		if (c->needs_features & ~r->selected)
			continue;
		if (!c->rings) {
			struct check_job job = { r, c, 0 };

			rc = run_one(r, &job);
			continue;
		}
		for (unsigned ring = CONF_RING_SPLIT; ring <= CONF_RING_PACKED && !rc; ring <<= 1) {
			struct check_job job = { r, c, ring };

			if ((c->rings & r->rings & ring))
				rc = run_one(r, &job);
		}
	}
	return rc;
}

/* ---- the report ------------------------------------------------------------------------------- */

static int add_covered(struct conf_result *res, const char *name)
{
	char **p;

	for (size_t i = 0; i < res->ncovered; i++)
		if (!strcmp(res->covered_by[i], name))
			return 0;
	p = realloc(res->covered_by, (res->ncovered + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	res->covered_by = p;
	p[res->ncovered] = strdup(name);
	if (!p[res->ncovered])
		return -ENOMEM;
	res->ncovered++;
	return 0;
}

static int prepare_report(struct run *r)
{
	struct conf_report *rep = r->report;
	char buf[256];

	rep->tool = conf_strdup("vdpasim");
	rep->version = conf_strdup(conf_version());
	rep->catalogue_sha256 = conf_strdup(conf_catalogue_sha256);
	rep->seed = r->cfg->seed;
	conf_profile_format(r->items, buf, sizeof(buf));
	rep->profile = conf_strdup(buf);
	rep->ring = conf_strdup(r->rings == CONF_RING_ALL ? "all" : ring_name(r->rings));
	rep->only = conf_clean_strdup(r->cfg->only ? r->cfg->only : "", 512);
	conf_one_line(rep->only);
	rep->shard_index = r->cfg->shard_index ? r->cfg->shard_index : 1;
	rep->shard_count = r->cfg->shard_count ? r->cfg->shard_count : 1;
	if (!rep->tool || !rep->version || !rep->catalogue_sha256 || !rep->profile || !rep->ring ||
	    !rep->only)
		return -ENOMEM;
	for (size_t k = 0; k < r->nchecks; k++) {
		const struct conf_check *c = r->checks[k];

		for (const char *const *q = c->requirements; q && *q; q++) {
			int i = conf_req_index(*q);

			if (i >= 0 && add_covered(&rep->res[i], c->name))
				return -ENOMEM;
		}
	}
	return 0;
}

/* Applicability and this run's selection, once all evidence is in. */
static int finish_report(struct run *r)
{
	for (size_t i = 0; i < r->report->nres; i++) {
		struct conf_result *res = &r->report->res[i];
		char why[160];
		unsigned rings = conf_req_rings(res->id);

		conf_result_sort_evidence(res);
		why[0] = 0;
		if (!conf_req_applicable(res->id, r->offered, why, sizeof(why))) {
			/* never pass: the device does not have what the row is about */
			res->status = CONF_NOT_APPLICABLE;
		} else if (rings && !(rings & r->rings)) {
			snprintf(why, sizeof(why), "ring layout not covered by this run (--ring %s)",
				 r->report->ring);
		} else if (conf_req_features(res->id) & ~r->selected) {
			snprintf(why, sizeof(why), "feature excluded by --profile %s",
				 r->report->profile);
		}
		free(res->note);
		res->note = conf_strdup(why);
		if (!res->note)
			return -ENOMEM;
	}
	return 0;
}

/* Every id a check declares must be in the catalogue: a typo would silently
 * drop evidence. */
static int validate_checks(struct run *r)
{
	for (size_t k = 0; k < r->nchecks; k++) {
		const struct conf_check *c = r->checks[k];

		if (!c->name || !*c->name || !c->run)
			return say(r, CONF_EXIT_INTERNAL, "check %zu has no name or run function", k);
		for (const char *const *q = c->requirements; q && *q; q++)
			if (conf_req_index(*q) < 0)
				return say(r, CONF_EXIT_INTERNAL, "check %s declares unknown "
					   "requirement %s", c->name, *q);
	}
	return 0;
}

int conf_run_report(const struct conf_run_config *cfg, struct conf_report **out)
{
	struct run r = { .cfg = cfg, .diag = cfg->diag ? cfg->diag : stderr };
	char err[512];
	int rc;

	*out = NULL;
	if (cfg->shard_count || cfg->shard_index) {
		if (!cfg->shard_count || !cfg->shard_index || cfg->shard_index > cfg->shard_count)
			return say(&r, CONF_EXIT_USAGE, "--shard %u/%u: want I/N with 1 <= I <= N",
				   cfg->shard_index, cfg->shard_count);
	}
	if (cfg->rings & ~(unsigned)CONF_RING_ALL)
		return say(&r, CONF_EXIT_USAGE, "bad ring selection");
	rc = gather_checks(&r);
	if (!rc)
		rc = validate_checks(&r);
	if (!rc)
		rc = apply_only(&r);
	if (rc)
		goto out;
	if (conf_plugin_open(cfg->device, &r.plugin, err, sizeof(err))) {
		rc = say(&r, CONF_EXIT_USAGE, "%s", err);
		goto out;
	}
	if (cfg->mutant && *cfg->mutant) {
		const struct conf_mutant *mu = conf_mutant_find(cfg->mutant);

		if (strcmp(cfg->device, "ifcvf")) {
			rc = say(&r, CONF_EXIT_USAGE, "--mutant: mutants are broken variants of "
				 "--device ifcvf");
			goto out;
		}
		if (!mu) {
			rc = say(&r, CONF_EXIT_USAGE, "--mutant %s: no such mutant", cfg->mutant);
			goto out;
		}
		r.plugin.desc = mu->plugin;
	}
	if (conf_report_new(&r.report)) {
		rc = say(&r, CONF_EXIT_INTERNAL, "out of memory");
		goto out;
	}
	rc = probe(&r);
	if (!rc)
		rc = choose_profile(&r);
	if (!rc && prepare_report(&r))
		rc = say(&r, CONF_EXIT_INTERNAL, "out of memory");
	if (!rc)
		rc = run_checks(&r);
	if (!rc && finish_report(&r))
		rc = say(&r, CONF_EXIT_INTERNAL, "out of memory");
	if (!rc) {
		*out = r.report;
		r.report = NULL;
	}
out:
	conf_report_free(r.report);
	conf_plugin_close(&r.plugin);
	free(r.checks);
	free(r.only_check);
	return rc;
}

int conf_run(const struct conf_run_config *cfg)
{
	FILE *diag = cfg->diag ? cfg->diag : stderr;
	struct conf_report *rep;
	char err[512], line[256];
	int rc = conf_run_report(cfg, &rep);

	if (rc)
		return rc;
	if (cfg->out_dir) {
		rc = conf_mkdir_p(cfg->out_dir);
		if (rc) {
			fprintf(diag, "vdpasim: cannot create output directory '%s': %s\n",
				cfg->out_dir, strerror(-rc));
			conf_report_free(rep);
			return CONF_EXIT_USAGE;
		}
		rc = conf_write_package(rep, cfg->out_dir, err, sizeof(err));
		if (rc) {
			fprintf(diag, "vdpasim: %s\n", err);
			conf_report_free(rep);
			return CONF_EXIT_INTERNAL;
		}
	}
	conf_verdict_line(rep, line, sizeof(line));
	fprintf(diag, "vdpasim: conformance %s (shard %u/%u): %s\n", rep->dev.name,
		rep->shard_index, rep->shard_count, line);
	rc = conf_report_passed(rep) ? CONF_EXIT_PASS : CONF_EXIT_FAIL;
	conf_report_free(rep);
	return rc;
}
