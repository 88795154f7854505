// SPDX-License-Identifier: MIT
/*
 * `vdpasim report merge OUTDIR DIR...`: the shards of one run (same tool
 * version, catalogue, device, seed, profile, ring and --only; shards 1..N of
 * the same N, each once) become the report the unsharded run would have
 * written.  A row's status combines by the usual rule (fail > error >
 * not_applicable > pass > not_tested); its evidence is re-sorted by (check,
 * ring), and since every check ran in exactly one shard the result is the
 * unsharded run's, byte for byte.
 */
#include "conformance/conf_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int refuse(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool same_device(const struct conf_device_info *a, const struct conf_device_info *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->vendor, b->vendor) &&
	       !strcmp(a->description, b->description) &&
	       !strcmp(a->model_version, b->model_version) && !strcmp(a->source, b->source) &&
	       !strcmp(a->plugin_sha256, b->plugin_sha256) && a->vendor_id == b->vendor_id &&
	       a->device_id == b->device_id && a->subsys_vendor_id == b->subsys_vendor_id &&
	       a->subsys_id == b->subsys_id && a->class_code == b->class_code &&
	       a->revision == b->revision && a->features == b->features;
}

/* Input i (0-based) is compatible with input 0; la, lb name them in messages. */
static int compatible(struct conf_report *const *s, size_t i, const char *la, const char *lb,
		      char *err, size_t errlen)
{
	const struct conf_report *a = s[0], *b = s[i];

	if (strcmp(a->version, b->version))
		return refuse(err, errlen, "%s was made by vdpasim %s, %s by %s", lb,
			      b->version, la, a->version);
	if (!same_device(&a->dev, &b->dev))
		return refuse(err, errlen, "%s tested device '%s' (plugin sha256 %s), %s tested "
			      "'%s' (plugin sha256 %s): shards of different devices do not merge",
			      lb, b->dev.name, b->dev.plugin_sha256, la, a->dev.name,
			      a->dev.plugin_sha256);
	if (a->seed != b->seed)
		return refuse(err, errlen, "%s used seed %llu, %s seed %llu", lb,
			      (unsigned long long)b->seed, la, (unsigned long long)a->seed);
	if (strcmp(a->profile, b->profile) || strcmp(a->ring, b->ring))
		return refuse(err, errlen, "%s used profile %s ring %s, %s profile %s ring %s",
			      lb, b->profile, b->ring, la, a->profile, a->ring);
	if (strcmp(a->only, b->only))
		return refuse(err, errlen, "%s used --only '%s', %s '%s'", lb, b->only, la,
			      a->only);
	if (a->shard_count != b->shard_count)
		return refuse(err, errlen, "%s is shard %u/%u, %s is shard %u/%u", lb,
			      b->shard_index, b->shard_count, la, a->shard_index, a->shard_count);
	for (size_t k = 0; k < a->nres; k++) {
		const struct conf_result *x = &a->res[k], *y = &b->res[k];
		bool same = x->ncovered == y->ncovered && !strcmp(x->note, y->note);

		for (size_t c = 0; same && c < x->ncovered; c++)
			same = !strcmp(x->covered_by[c], y->covered_by[c]);
		if (!same)
			return refuse(err, errlen, "%s disagrees with %s on which checks cover %s",
				      lb, la, x->id);
	}
	return 0;
}

static int copy_header(struct conf_report *m, const struct conf_report *a)
{
	const struct conf_device_info *d = &a->dev;

	m->tool = conf_strdup(a->tool);
	m->version = conf_strdup(a->version);
	m->catalogue_sha256 = conf_strdup(a->catalogue_sha256);
	m->dev = *d;
	m->dev.name = conf_strdup(d->name);
	m->dev.vendor = conf_strdup(d->vendor);
	m->dev.description = conf_strdup(d->description);
	m->dev.model_version = conf_strdup(d->model_version);
	m->dev.source = conf_strdup(d->source);
	m->dev.plugin_sha256 = conf_strdup(d->plugin_sha256);
	m->seed = a->seed;
	m->profile = conf_strdup(a->profile);
	m->ring = conf_strdup(a->ring);
	m->only = conf_strdup(a->only);
	m->shard_index = m->shard_count = 1;
	if (!m->tool || !m->version || !m->catalogue_sha256 || !m->dev.name || !m->dev.vendor ||
	    !m->dev.description || !m->dev.model_version || !m->dev.source ||
	    !m->dev.plugin_sha256 || !m->profile || !m->ring || !m->only)
		return -ENOMEM;
	return 0;
}

static int merge_row(struct conf_result *m, struct conf_report *const *s, size_t n, size_t k)
{
	const struct conf_result *x0 = &s[0]->res[k];

	free(m->note);
	m->note = conf_strdup(x0->note);
	m->covered_by = calloc(x0->ncovered ? x0->ncovered : 1, sizeof(char *));
	if (!m->note || !m->covered_by)
		return -ENOMEM;
	for (size_t c = 0; c < x0->ncovered; c++) {
		m->covered_by[c] = conf_strdup(x0->covered_by[c]);
		if (!m->covered_by[c])
			return -ENOMEM;
		m->ncovered++;
	}
	m->status = CONF_NOT_TESTED;
	for (size_t i = 0; i < n; i++) {
		const struct conf_result *x = &s[i]->res[k];

		for (size_t e = 0; e < x->nev; e++)
			if (conf_result_add_evidence(m, &x->ev[e]))
				return -ENOMEM;
		m->status = conf_combine(m->status, x->status);
	}
	conf_result_sort_evidence(m);
	return 0;
}

static void label(const char *const *names, size_t i, char *buf, size_t size)
{
	if (names && names[i])
		snprintf(buf, size, "%s", names[i]);
	else
		snprintf(buf, size, "input %zu", i + 1);
}

int conf_merge_reports(struct conf_report *const *shards, const char *const *names, size_t n,
		       struct conf_report **out, char *err, size_t errlen)
{
	char la[256], lb[256];
	struct conf_report *m;
	bool *seen;
	int rc = 0;

	*out = NULL;
	if (!n)
		return refuse(err, errlen, "nothing to merge");
	seen = calloc(n + 1, sizeof(*seen));
	if (!seen)
		return -ENOMEM;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct conf_report *s = shards[i];

		label(names, 0, la, sizeof(la));
		label(names, i, lb, sizeof(lb));
		rc = i ? compatible(shards, i, la, lb, err, errlen) : 0;
		if (rc)
			break;
		if (s->shard_count != n)
			rc = refuse(err, errlen, "%s is shard %u/%u, but %zu shards were given", lb,
				    s->shard_index, s->shard_count, n);
		else if (seen[s->shard_index])
			rc = refuse(err, errlen, "shard %u/%u given twice", s->shard_index,
				    s->shard_count);
		else
			seen[s->shard_index] = true;
	}
	free(seen);
	if (rc)
		return rc;
	rc = conf_report_new(&m);
	if (rc)
		return rc;
	rc = copy_header(m, shards[0]);
	for (size_t k = 0; k < m->nres && !rc; k++)
		rc = merge_row(&m->res[k], shards, n, k);
	if (rc) {
		conf_report_free(m);
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	*out = m;
	return 0;
}

int conf_merge(const char *out_dir, const char *const *dirs, size_t ndirs, FILE *diag)
{
	struct conf_report **s = calloc(ndirs ? ndirs : 1, sizeof(*s)), *m = NULL;
	char err[600], line[256];
	int status = CONF_EXIT_PASS, rc;

	if (!s) {
		fprintf(diag, "vdpasim: out of memory\n");
		return CONF_EXIT_INTERNAL;
	}
	for (size_t i = 0; i < ndirs; i++) {
		char *path = conf_path_join(dirs[i], "conformance.json");

		rc = path ? conf_report_load(path, &s[i], err, sizeof(err)) : -ENOMEM;
		free(path);
		if (rc) {
			fprintf(diag, "vdpasim: report merge: %s\n",
				rc == -ENOMEM ? "out of memory" : err);
			status = rc == -ENOMEM ? CONF_EXIT_INTERNAL : CONF_EXIT_USAGE;
			goto out;
		}
	}
	rc = conf_merge_reports(s, dirs, ndirs, &m, err, sizeof(err));
	if (rc) {
		fprintf(diag, "vdpasim: report merge: %s\n", err);
		status = rc == -ENOMEM ? CONF_EXIT_INTERNAL : CONF_EXIT_USAGE;
		goto out;
	}
	rc = conf_write_package(m, out_dir, err, sizeof(err));
	if (rc) {
		fprintf(diag, "vdpasim: report merge: %s\n", err);
		status = CONF_EXIT_INTERNAL;
		goto out;
	}
	conf_verdict_line(m, line, sizeof(line));
	fprintf(diag, "vdpasim: merged %zu shards of %s into %s: %s\n", ndirs, m->dev.name, out_dir,
		line);
	status = conf_report_passed(m) ? CONF_EXIT_PASS : CONF_EXIT_FAIL;
out:
	for (size_t i = 0; i < ndirs; i++)
		conf_report_free(s[i]);
	free(s);
	conf_report_free(m);
	return status;
}
