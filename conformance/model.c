// SPDX-License-Identifier: MIT
/*
 * The report model every writer, the reader, merge and verify share: one
 * result per catalogue row in catalogue order, its evidence in (check, ring)
 * order, and the counts and verdict derived from the statuses alone.
 */
#include "conformance/conf_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int conf_result_fill(struct conf_result *res, const struct conf_req *req)
{
	char area[64];

	if (conf_area(req->id, area, sizeof(area)) < 0)
		snprintf(area, sizeof(area), "OTHER");
	res->id = conf_strdup(req->id);
	res->section = conf_strdup(req->section);
	res->actor = conf_strdup(req->actor);
	res->level = conf_strdup(req->level);
	res->area = conf_strdup(area);
	res->text = conf_strdup(req->paraphrase);
	res->note = conf_strdup("");
	if (!res->id || !res->section || !res->actor || !res->level || !res->area || !res->text ||
	    !res->note)
		return -ENOMEM;
	return 0;
}

int conf_report_new(struct conf_report **out)
{
	struct conf_report *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->res = calloc(conf_nrequirements, sizeof(*r->res));
	if (!r->res) {
		free(r);
		return -ENOMEM;
	}
	r->nres = conf_nrequirements;
	for (size_t i = 0; i < conf_nrequirements; i++) {
		if (conf_result_fill(&r->res[i], &conf_requirements[i])) {
			conf_report_free(r);
			return -ENOMEM;
		}
	}
	r->shard_index = r->shard_count = 1;
	*out = r;
	return 0;
}

static void evidence_free(struct conf_evidence *e)
{
	free(e->check);
	free(e->ring);
	free(e->message);
	free(e->trace);
}

int conf_result_add_evidence(struct conf_result *res, const struct conf_evidence *ev)
{
	struct conf_evidence *p = realloc(res->ev, (res->nev + 1) * sizeof(*p)), e;

	if (!p)
		return -ENOMEM;
	res->ev = p;
	e = (struct conf_evidence){
		.check = conf_clean_strdup(ev->check, 128),
		.ring = conf_clean_strdup(ev->ring, 16),
		.status = ev->status,
		.message = conf_clean_strdup(ev->message, CONF_MAX_MESSAGE),
		.sim_time_ps = ev->sim_time_ps,
		.pcap_frame = ev->pcap_frame < 0 ? -1 : ev->pcap_frame,
		.trace = conf_clean_strdup(ev->trace, CONF_MAX_TRACE),
	};
	if (!e.check || !e.ring || !e.message || !e.trace) {
		evidence_free(&e);
		return -ENOMEM;
	}
	res->ev[res->nev++] = e;
	res->status = conf_combine(res->status, e.status);
	return 0;
}

static int evidence_order(const struct conf_evidence *a, const struct conf_evidence *b)
{
	int c = strcmp(a->check, b->check);

	return c ? c : strcmp(a->ring, b->ring);
}

void conf_result_sort_evidence(struct conf_result *res)
{
	/* insertion sort: stable, and evidence lists are short */
	for (size_t i = 1; i < res->nev; i++) {
		struct conf_evidence x = res->ev[i];
		size_t j = i;

		while (j > 0 && evidence_order(&res->ev[j - 1], &x) > 0) {
			res->ev[j] = res->ev[j - 1];
			j--;
		}
		res->ev[j] = x;
	}
}

void conf_device_info_free(struct conf_device_info *d)
{
	free(d->name);
	free(d->vendor);
	free(d->description);
	free(d->model_version);
	free(d->source);
	free(d->plugin_sha256);
	memset(d, 0, sizeof(*d));
}

void conf_report_free(struct conf_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->res && i < r->nres; i++) {
		struct conf_result *x = &r->res[i];

		free(x->id);
		free(x->section);
		free(x->actor);
		free(x->level);
		free(x->area);
		free(x->text);
		free(x->note);
		for (size_t j = 0; j < x->ncovered; j++)
			free(x->covered_by[j]);
		free(x->covered_by);
		for (size_t j = 0; j < x->nev; j++)
			evidence_free(&x->ev[j]);
		free(x->ev);
	}
	free(r->res);
	free(r->tool);
	free(r->version);
	free(r->catalogue_sha256);
	conf_device_info_free(&r->dev);
	free(r->profile);
	free(r->ring);
	free(r->only);
	free(r);
}

void conf_report_counts(const struct conf_report *r, struct conf_counts *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < r->nres; i++) {
		const struct conf_result *x = &r->res[i];
		unsigned s = (unsigned)x->status < CONF_NSTATUS ? (unsigned)x->status : CONF_ERROR;

		c->total++;
		c->by_status[s]++;
		if (conf_level_must(x->level)) {
			c->must_total++;
			c->must[s]++;
		}
	}
}

/* Untested MUST rows do not fail a run: the suite does not cover every row
 * yet, and a device must not fail for the suite's gaps.  They are counted
 * and printed with the verdict instead. */
bool conf_report_passed(const struct conf_report *r)
{
	struct conf_counts c;

	conf_report_counts(r, &c);
	return !c.must[CONF_FAIL] && !c.must[CONF_ERROR];
}

const char *conf_report_verdict(const struct conf_report *r)
{
	return conf_report_passed(r) ? "pass" : "fail";
}

void conf_verdict_line(const struct conf_report *r, char *buf, size_t size)
{
	struct conf_counts c;

	conf_report_counts(r, &c);
	snprintf(buf, size, "%s: %zu of %zu MUST/MUST NOT rows passed, %zu failed, %zu errors, "
		 "%zu not applicable, %zu untested (untested rows do not fail the run)",
		 conf_report_verdict(r), c.must[CONF_PASS], c.must_total, c.must[CONF_FAIL],
		 c.must[CONF_ERROR], c.must[CONF_NOT_APPLICABLE], c.must[CONF_NOT_TESTED]);
}

#include "vdpasim/version.h"

/* One definition, so the runner and the verifier agree even when objects
 * were compiled at different times. */
const char *conf_version(void)
{
	return vdpasim_version();
}

const char *const conf_package_files[] = {
	"STATEMENT", "conformance.json", "junit.xml", "report.html", "report.md", NULL,
};
