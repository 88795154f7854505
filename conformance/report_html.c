// SPDX-License-Identifier: MIT
/*
 * report.html: one self-contained page (inline CSS, inline SVG, no scripts,
 * no external assets or links): the verdict, counts by level and area, a
 * coverage bar per spec chapter, the failures with their evidence, and every
 * requirement with its status.  Bar geometry is integer arithmetic, so the
 * bytes depend on the counts only.
 */
#include "conformance/conf_priv.h"

#include <errno.h>
#include <stdlib.h>

#define BAR_WIDTH 320
#define BAR_HEIGHT 14

static const enum conf_status order[CONF_NSTATUS] = {
	CONF_PASS, CONF_FAIL, CONF_ERROR, CONF_NOT_APPLICABLE, CONF_NOT_TESTED,
};

static const char css[] =
	"body{font-family:sans-serif;margin:2em;color:#222;max-width:78em}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}"
	"table{border-collapse:collapse;margin:.5em 0}"
	"td,th{border:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}"
	"th{background:#f4f4f4}td.n{text-align:right}"
	".verdict{font-size:1.3em;padding:.5em 1em;display:inline-block;color:#fff}"
	".v-pass{background:#2e7d32}.v-fail{background:#c62828}"
	".s-pass{color:#2e7d32}.s-fail{color:#c62828;font-weight:bold}"
	".s-error{color:#ef6c00;font-weight:bold}.s-not_applicable{color:#757575}"
	".s-not_tested{color:#9e9e9e}"
	"pre{background:#f7f7f7;padding:.4em;white-space:pre-wrap;font-size:.85em}"
	".legend span{display:inline-block;width:1em;height:1em;margin:0 .3em 0 1em;"
	"vertical-align:middle}";

static const char *color(enum conf_status s)
{
	switch (s) {
	case CONF_PASS: return "#2e7d32";
	case CONF_FAIL: return "#c62828";
	case CONF_ERROR: return "#ef6c00";
	case CONF_NOT_APPLICABLE: return "#9e9e9e";
	default: return "#e0e0e0";
	}
}

static void esc(FILE *f, const char *s)
{
	conf_xml_escape(f, s);
}

/* A stacked bar of the statuses in `by` (total rows n). */
static void bar(FILE *f, const size_t *by, size_t n)
{
	size_t cum = 0, x = 0;

	fprintf(f, "<svg width=\"%d\" height=\"%d\" role=\"img\">", BAR_WIDTH, BAR_HEIGHT);
	for (int i = 0; i < CONF_NSTATUS && n; i++) {
		size_t next;

		cum += by[order[i]];
		next = cum * BAR_WIDTH / n;
		if (next > x)
			fprintf(f, "<rect x=\"%zu\" y=\"0\" width=\"%zu\" height=\"%d\" fill=\"%s\">"
				"<title>%s: %zu</title></rect>", x, next - x, BAR_HEIGHT,
				color(order[i]), conf_status_name(order[i]), by[order[i]]);
		x = next;
	}
	fputs("</svg>", f);
}

static void legend(FILE *f)
{
	fputs("<p class=\"legend\">", f);
	for (int i = 0; i < CONF_NSTATUS; i++)
		fprintf(f, "<span style=\"background:%s\"></span>%s", color(order[i]),
			conf_status_name(order[i]));
	fputs("</p>\n", f);
}

static void row_kv(FILE *f, const char *k, const char *v)
{
	fprintf(f, "<tr><th>%s</th><td>", k);
	esc(f, v);
	fputs("</td></tr>\n", f);
}

static void identity(FILE *f, const struct conf_report *r)
{
	const struct conf_device_info *d = &r->dev;
	char buf[256];

	fputs("<table>\n", f);
	snprintf(buf, sizeof(buf), "%s (%s), model version %s", d->name, d->vendor,
		 d->model_version);
	row_kv(f, "device", buf);
	row_kv(f, "description", d->description);
	snprintf(buf, sizeof(buf), "%04x:%04x, subsystem %04x:%04x, revision 0x%02x, class 0x%06x",
		 d->vendor_id, d->device_id, d->subsys_vendor_id, d->subsys_id, d->revision,
		 d->class_code);
	row_kv(f, "PCI", buf);
	row_kv(f, "source", d->source);
	row_kv(f, "plugin sha256", d->plugin_sha256);
	snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)d->features);
	row_kv(f, "offered features", buf);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->seed);
	row_kv(f, "seed", buf);
	row_kv(f, "profile", r->profile);
	row_kv(f, "ring", r->ring);
	row_kv(f, "only", *r->only ? r->only : "(all checks)");
	snprintf(buf, sizeof(buf), "%u/%u", r->shard_index, r->shard_count);
	row_kv(f, "shard", buf);
	snprintf(buf, sizeof(buf), "%s %s", r->tool, r->version);
	row_kv(f, "tool", buf);
	row_kv(f, "catalogue sha256", r->catalogue_sha256);
	fputs("</table>\n", f);
}

static void counts_header(FILE *f, const char *first)
{
	fprintf(f, "<table>\n<tr><th>%s</th><th>rows</th>", first);
	for (int i = 0; i < CONF_NSTATUS; i++)
		fprintf(f, "<th>%s</th>", conf_status_name(order[i]));
	fputs("<th></th></tr>\n", f);
}

static void counts_row(FILE *f, const char *key, const size_t *by, size_t n)
{
	fputs("<tr><td>", f);
	esc(f, key);
	fprintf(f, "</td><td class=\"n\">%zu</td>", n);
	for (int i = 0; i < CONF_NSTATUS; i++)
		fprintf(f, "<td class=\"n\">%zu</td>", by[order[i]]);
	fputs("<td>", f);
	bar(f, by, n);
	fputs("</td></tr>\n", f);
}

static int grouped(FILE *f, const struct conf_report *r, enum conf_group_by by,
		   const char *title, const char *col)
{
	struct conf_group *g;
	int n = conf_group_results(r, by, &g);

	if (n < 0)
		return n;
	fprintf(f, "<h2>%s</h2>\n", title);
	counts_header(f, col);
	for (int i = 0; i < n; i++)
		counts_row(f, g[i].key, g[i].by_status, g[i].n);
	fputs("</table>\n", f);
	free(g);
	return 0;
}

static void evidence_list(FILE *f, const struct conf_result *x)
{
	char label[160];

	fputs("<ul>\n", f);
	for (size_t j = 0; j < x->nev; j++) {
		const struct conf_evidence *e = &x->ev[j];

		conf_evidence_label(e, label, sizeof(label));
		fputs("<li><code>", f);
		esc(f, label);
		fprintf(f, "</code> <span class=\"s-%s\">%s</span> at %llu ps",
			conf_status_name(e->status), conf_status_name(e->status),
			(unsigned long long)e->sim_time_ps);
		if (e->pcap_frame >= 0)
			fprintf(f, ", pcap frame %lld", (long long)e->pcap_frame);
		fputs(": ", f);
		esc(f, e->message);
		if (*e->trace) {
			fputs("<pre>", f);
			esc(f, e->trace);
			fputs("</pre>", f);
		}
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
}

static void failures(FILE *f, const struct conf_report *r)
{
	size_t shown = 0;

	fputs("<h2>Failures and errors</h2>\n", f);
	for (size_t i = 0; i < r->nres; i++) {
		const struct conf_result *x = &r->res[i];

		if (x->status != CONF_FAIL && x->status != CONF_ERROR)
			continue;
		shown++;
		fprintf(f, "<h3 id=\"f-%s\">%s <span class=\"s-%s\">%s</span></h3>\n<p>", x->id,
			x->id, conf_status_name(x->status), conf_status_name(x->status));
		esc(f, x->level);
		fputs(" &middot; ", f);
		esc(f, x->section);
		fputs("<br>", f);
		esc(f, x->text);
		fputs("</p>\n", f);
		evidence_list(f, x);
	}
	if (!shown)
		fputs("<p>None.</p>\n", f);
}

static void all_rows(FILE *f, const struct conf_report *r)
{
	char label[160], reason[256];

	fputs("<h2>Every requirement</h2>\n<table>\n<tr><th>id</th><th>section</th><th>actor</th>"
	      "<th>level</th><th>status</th><th>detail</th></tr>\n", f);
	for (size_t i = 0; i < r->nres; i++) {
		const struct conf_result *x = &r->res[i];
		const struct conf_evidence *lead = conf_result_lead(x);

		fprintf(f, "<tr id=\"r-%s\"><td>%s</td><td>", x->id, x->id);
		esc(f, x->section);
		fprintf(f, "</td><td>%s</td><td>%s</td><td class=\"s-%s\">%s</td><td>", x->actor,
			x->level, conf_status_name(x->status), conf_status_name(x->status));
		conf_result_reason(x, reason, sizeof(reason));
		if (lead && (x->status == CONF_PASS || x->status == CONF_FAIL ||
			     x->status == CONF_ERROR)) {
			conf_evidence_label(lead, label, sizeof(label));
			fputs("<code>", f);
			esc(f, label);
			fputs("</code>: ", f);
			esc(f, lead->message);
		} else {
			esc(f, reason);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

int conf_write_html(const struct conf_report *r, FILE *f)
{
	struct conf_counts c;
	char line[256];
	int rc;

	conf_report_counts(r, &c);
	conf_verdict_line(r, line, sizeof(line));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
	fputs("vdpasim conformance: ", f);
	esc(f, r->dev.name);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
	fputs("<h1>vdpasim conformance report: ", f);
	esc(f, r->dev.name);
	fprintf(f, "</h1>\n<p class=\"verdict v-%s\">%s</p>\n<p>", conf_report_verdict(r),
		conf_report_passed(r) ? "PASS" : "FAIL");
	esc(f, line);
	fputs("</p>\n", f);
	identity(f, r);
	fputs("<h2>Summary</h2>\n", f);
	legend(f);
	counts_header(f, "");
	counts_row(f, "all requirements", c.by_status, c.total);
	counts_row(f, "MUST / MUST NOT", c.must, c.must_total);
	fputs("</table>\n", f);
	rc = grouped(f, r, CONF_BY_CHAPTER, "Coverage by spec chapter", "chapter");
	if (!rc)
		rc = grouped(f, r, CONF_BY_LEVEL, "By level", "level");
	if (!rc)
		rc = grouped(f, r, CONF_BY_AREA, "By area", "area");
	if (rc)
		return rc;
	failures(f, r);
	all_rows(f, r);
	fputs("</body>\n</html>\n", f);
	return fflush(f) || ferror(f) ? -EIO : 0;
}
