// SPDX-License-Identifier: MIT
/*
 * report.md: the verdict, the run's identity, a summary table, tallies by
 * area, the failures with their evidence, and every row grouped by spec
 * section.  Plain GitHub-flavoured Markdown, no dates.
 */
#include "conformance/conf_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const enum conf_status order[CONF_NSTATUS] = {
	CONF_PASS, CONF_FAIL, CONF_ERROR, CONF_NOT_APPLICABLE, CONF_NOT_TESTED,
};

static void kv(FILE *f, const char *k, const char *v)
{
	fprintf(f, "| %s | ", k);
	conf_md_escape(f, v);
	fputs(" |\n", f);
}

static void identity(FILE *f, const struct conf_report *r)
{
	const struct conf_device_info *d = &r->dev;
	char buf[256];

	fputs("| | |\n|---|---|\n", f);
	snprintf(buf, sizeof(buf), "%s (%s), model version %s", d->name, d->vendor,
		 d->model_version);
	kv(f, "device", buf);
	kv(f, "description", d->description);
	snprintf(buf, sizeof(buf), "%04x:%04x, subsystem %04x:%04x, revision 0x%02x, class 0x%06x",
		 d->vendor_id, d->device_id, d->subsys_vendor_id, d->subsys_id, d->revision,
		 d->class_code);
	kv(f, "PCI", buf);
	kv(f, "source", d->source);
	kv(f, "plugin sha256", d->plugin_sha256);
	snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)d->features);
	kv(f, "offered features", buf);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->seed);
	kv(f, "seed", buf);
	kv(f, "profile", r->profile);
	kv(f, "ring", r->ring);
	kv(f, "only", *r->only ? r->only : "(all checks)");
	snprintf(buf, sizeof(buf), "%u/%u", r->shard_index, r->shard_count);
	kv(f, "shard", buf);
	snprintf(buf, sizeof(buf), "%s %s", r->tool, r->version);
	kv(f, "tool", buf);
	kv(f, "catalogue sha256", r->catalogue_sha256);
}

static void summary(FILE *f, const struct conf_report *r)
{
	struct conf_counts c;

	conf_report_counts(r, &c);
	fputs("\n## Summary\n\n| status | all rows | MUST / MUST NOT rows |\n|---|---:|---:|\n", f);
	for (int i = 0; i < CONF_NSTATUS; i++)
		fprintf(f, "| %s | %zu | %zu |\n", conf_status_name(order[i]),
			c.by_status[order[i]], c.must[order[i]]);
	fprintf(f, "| **total** | %zu | %zu |\n", c.total, c.must_total);
}

static int tally(FILE *f, const struct conf_report *r, enum conf_group_by by, const char *title,
		 const char *col)
{
	struct conf_group *g;
	int n = conf_group_results(r, by, &g);

	if (n < 0)
		return n;
	fprintf(f, "\n## %s\n\n| %s | rows | pass | fail | error | not applicable | not tested |\n"
		"|---|---:|---:|---:|---:|---:|---:|\n", title, col);
	for (int i = 0; i < n; i++) {
		fputs("| ", f);
		conf_md_escape(f, g[i].key);
		fprintf(f, " | %zu | %zu | %zu | %zu | %zu | %zu |\n", g[i].n,
			g[i].by_status[CONF_PASS], g[i].by_status[CONF_FAIL],
			g[i].by_status[CONF_ERROR], g[i].by_status[CONF_NOT_APPLICABLE],
			g[i].by_status[CONF_NOT_TESTED]);
	}
	free(g);
	return 0;
}

static void failures(FILE *f, const struct conf_report *r)
{
	size_t shown = 0;
	char label[160];

	fputs("\n## Failures and errors\n\n", f);
	for (size_t i = 0; i < r->nres; i++) {
		const struct conf_result *x = &r->res[i];

		if (x->status != CONF_FAIL && x->status != CONF_ERROR)
			continue;
		shown++;
		fprintf(f, "- **%s** (%s, %s): ", x->id, x->level, conf_status_name(x->status));
		conf_md_escape(f, x->text);
		fputc('\n', f);
		for (size_t j = 0; j < x->nev; j++) {
			const struct conf_evidence *e = &x->ev[j];

			if (e->status != CONF_FAIL && e->status != CONF_ERROR)
				continue;
			conf_evidence_label(e, label, sizeof(label));
			fputs("  - ", f);
			conf_md_escape(f, label);
			fprintf(f, " at %llu ps", (unsigned long long)e->sim_time_ps);
			if (e->pcap_frame >= 0)
				fprintf(f, ", pcap frame %lld", (long long)e->pcap_frame);
			fputs(": ", f);
			conf_md_escape(f, e->message);
			fputc('\n', f);
		}
	}
	if (!shown)
		fputs("None.\n", f);
}

static void sections(FILE *f, const struct conf_report *r)
{
	const char *current = NULL;
	char label[160], reason[256];

	fputs("\n## Results by section\n", f);
	for (size_t i = 0; i < r->nres; i++) {
		const struct conf_result *x = &r->res[i];
		const struct conf_evidence *lead = conf_result_lead(x);

		if (!current || strcmp(current, x->section)) {
			current = x->section;
			fputs("\n### ", f);
			conf_md_escape(f, x->section);
			fputs("\n\n| id | actor | level | status | detail |\n"
			      "|---|---|---|---|---|\n", f);
		}
		fprintf(f, "| %s | %s | %s | %s | ", x->id, x->actor, x->level,
			conf_status_name(x->status));
		conf_result_reason(x, reason, sizeof(reason));
		if (lead && (x->status == CONF_PASS || x->status == CONF_FAIL ||
			     x->status == CONF_ERROR)) {
			conf_evidence_label(lead, label, sizeof(label));
			conf_md_escape(f, label);
			fputs(": ", f);
			conf_md_escape(f, lead->message);
		} else {
			conf_md_escape(f, reason);
		}
		fputs(" |\n", f);
	}
}

int conf_write_md(const struct conf_report *r, FILE *f)
{
	char line[256];
	int rc;

	conf_verdict_line(r, line, sizeof(line));
	fputs("# vdpasim conformance report: ", f);
	conf_md_escape(f, r->dev.name);
	fprintf(f, "\n\n**Verdict: %s**\n\n", conf_report_passed(r) ? "PASS" : "FAIL");
	conf_md_escape(f, line);
	fputs("\n\n", f);
	identity(f, r);
	summary(f, r);
	rc = tally(f, r, CONF_BY_LEVEL, "By level", "level");
	if (!rc)
		rc = tally(f, r, CONF_BY_AREA, "By area", "area");
	if (!rc)
		rc = tally(f, r, CONF_BY_CHAPTER, "By spec chapter", "chapter");
	if (rc)
		return rc;
	failures(f, r);
	sections(f, r);
	return fflush(f) || ferror(f) ? -EIO : 0;
}
