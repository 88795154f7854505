// SPDX-License-Identifier: MIT
/*
 * junit.xml for CI: one testcase per requirement in catalogue order,
 * classname = area, name = id.  fail -> <failure>, error -> <error>,
 * not_applicable / not_tested -> <skipped>.  No timestamps, durations or host
 * names, so the file is a function of the report.
 */
#include "conformance/conf_priv.h"

#include <errno.h>

static void attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s=\"", name);
	conf_xml_escape(f, value);
	fputc('"', f);
}

/* Every evidence line of a row, as the element's text. */
static void evidence_text(FILE *f, const struct conf_result *x)
{
	char label[160], line[64];

	for (size_t i = 0; i < x->nev; i++) {
		const struct conf_evidence *e = &x->ev[i];

		conf_evidence_label(e, label, sizeof(label));
		snprintf(line, sizeof(line), " @%llu ps", (unsigned long long)e->sim_time_ps);
		conf_xml_escape(f, label);
		fputs(": ", f);
		conf_xml_escape(f, conf_status_name(e->status));
		fputs(line, f);
		if (e->pcap_frame >= 0)
			fprintf(f, " (pcap frame %lld)", (long long)e->pcap_frame);
		fputs(": ", f);
		conf_xml_escape(f, e->message);
		fputc('\n', f);
		if (*e->trace) {
			fputs("trace:\n", f);
			conf_xml_escape(f, e->trace);
			fputc('\n', f);
		}
	}
}

static void testcase(FILE *f, const struct conf_result *x)
{
	const struct conf_evidence *lead = conf_result_lead(x);
	char reason[256];
	const char *tag;

	fputs("    <testcase", f);
	attr(f, "classname", x->area);
	attr(f, "name", x->id);
	switch (x->status) {
	case CONF_PASS:
		fputs("/>\n", f);
		return;
	case CONF_FAIL:
	case CONF_ERROR:
		tag = x->status == CONF_FAIL ? "failure" : "error";
		fprintf(f, ">\n      <%s", tag);
		attr(f, "message", lead ? lead->message : "");
		attr(f, "type", conf_status_name(x->status));
		fputc('>', f);
		evidence_text(f, x);
		fprintf(f, "</%s>\n    </testcase>\n", tag);
		return;
	default:
		conf_result_reason(x, reason, sizeof(reason));
		fputs(">\n      <skipped", f);
		{
			char msg[300];

			snprintf(msg, sizeof(msg), "%s%s%s", conf_status_name(x->status),
				 *reason ? ": " : "", reason);
			attr(f, "message", msg);
		}
		fputs("/>\n    </testcase>\n", f);
	}
}

static void property(FILE *f, const char *name, const char *value)
{
	fputs("      <property", f);
	attr(f, "name", name);
	attr(f, "value", value);
	fputs("/>\n", f);
}

int conf_write_junit(const struct conf_report *r, FILE *f)
{
	struct conf_counts c;
	char buf[128], name[256];

	conf_report_counts(r, &c);
	snprintf(name, sizeof(name), "vdpasim conformance: %s", r->dev.name);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fputs("<testsuites", f);
	attr(f, "name", "vdpasim conformance");
	fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\">\n", c.total,
		c.by_status[CONF_FAIL], c.by_status[CONF_ERROR],
		c.by_status[CONF_NOT_APPLICABLE] + c.by_status[CONF_NOT_TESTED]);
	fputs("  <testsuite", f);
	attr(f, "name", name);
	fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\">\n", c.total,
		c.by_status[CONF_FAIL], c.by_status[CONF_ERROR],
		c.by_status[CONF_NOT_APPLICABLE] + c.by_status[CONF_NOT_TESTED]);
	fputs("    <properties>\n", f);
	property(f, "tool_version", r->version);
	property(f, "device", r->dev.name);
	property(f, "device_source", r->dev.source);
	property(f, "plugin_sha256", r->dev.plugin_sha256);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->seed);
	property(f, "seed", buf);
	property(f, "profile", r->profile);
	property(f, "ring", r->ring);
	snprintf(buf, sizeof(buf), "%u/%u", r->shard_index, r->shard_count);
	property(f, "shard", buf);
	property(f, "verdict", conf_report_verdict(r));
	fputs("    </properties>\n", f);
	for (size_t i = 0; i < r->nres; i++)
		testcase(f, &r->res[i]);
	fputs("  </testsuite>\n</testsuites>\n", f);
	return fflush(f) || ferror(f) ? -EIO : 0;
}
