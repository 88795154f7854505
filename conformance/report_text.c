// SPDX-License-Identifier: MIT
/*
 * What the human-readable reports (junit.xml, report.md, report.html) say
 * about a row beyond its status, and the per-area / per-level / per-chapter
 * tallies they print.  Only the report model is read, so a merged report and
 * an unsharded one render the same.
 */
#include "conformance/conf_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void conf_evidence_label(const struct conf_evidence *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", e->check, *e->ring ? "/" : "", e->ring);
}

const struct conf_evidence *conf_result_lead(const struct conf_result *x)
{
	for (size_t i = 0; i < x->nev; i++)
		if (x->ev[i].status == x->status)
			return &x->ev[i];
	return NULL;
}

void conf_result_reason(const struct conf_result *x, char *buf, size_t size)
{
	const struct conf_evidence *lead = conf_result_lead(x);

	buf[0] = 0;
	if (x->status == CONF_NOT_APPLICABLE) {
		snprintf(buf, size, "%s", *x->note ? x->note : lead ? lead->message : "");
	} else if (x->status == CONF_NOT_TESTED) {
		if (*x->note)
			snprintf(buf, size, "%s", x->note);
		else if (!x->ncovered)
			snprintf(buf, size, "no check covers this requirement yet");
		else
			snprintf(buf, size, "its checks did not run (--only or --shard)");
	}
}

static void group_key(const struct conf_result *x, enum conf_group_by by, char *key, size_t size)
{
	int ch;

	switch (by) {
	case CONF_BY_AREA:
		snprintf(key, size, "%s", x->area);
		break;
	case CONF_BY_LEVEL:
		snprintf(key, size, "%s", x->level);
		break;
	case CONF_BY_CHAPTER:
		ch = conf_chapter(x->section);
		if (ch)
			snprintf(key, size, "%d %s", ch, conf_chapter_title(ch));
		else
			snprintf(key, size, "other");
		break;
	case CONF_BY_SECTION:
		snprintf(key, size, "%s", x->section);
		break;
	}
}

int conf_group_results(const struct conf_report *r, enum conf_group_by by,
		       struct conf_group **out)
{
	struct conf_group *g = calloc(r->nres ? r->nres : 1, sizeof(*g));
	size_t n = 0;

	*out = NULL;
	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < r->nres; i++) {
		const struct conf_result *x = &r->res[i];
		char key[sizeof(g->key)];
		size_t j;

		group_key(x, by, key, sizeof(key));
		for (j = 0; j < n; j++)
			if (!strcmp(g[j].key, key))
				break;
		if (j == n)
			snprintf(g[n++].key, sizeof(g->key), "%s", key);
		g[j].n++;
		g[j].by_status[(unsigned)x->status < CONF_NSTATUS ? x->status : CONF_ERROR]++;
	}
	/* chapters in spec order (the catalogue lists chapter 6 before 4) */
	if (by == CONF_BY_CHAPTER) {
		for (size_t i = 1; i < n; i++) {
			struct conf_group x = g[i];
			size_t j = i;

			while (j > 0 && conf_chapter(g[j - 1].key) > conf_chapter(x.key)) {
				g[j] = g[j - 1];
				j--;
			}
			g[j] = x;
		}
	}
	*out = g;
	return (int)n;
}
