// SPDX-License-Identifier: MIT
/*
 * `vdpasim report verify DIR`: re-checks a certification package.
 *   1. SHA256SUMS lists exactly the package's files and every hash matches;
 *   2. conformance.json reads back strictly (rows, statuses, counts, verdict);
 *   3. STATEMENT is the one conformance.json gives;
 *   4. with the same tool version, every file is re-rendered from
 *      conformance.json and must be identical;
 *   5. it is one complete run (not a shard, no --only), and must-pass: no
 *      MUST / MUST NOT row failed or errored.
 * Each problem is one line on diag; any problem makes the exit status 1.
 */
#include "conformance/conf_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SUMS_FILE 4096

struct vf {
	const char *dir;
	FILE *out, *diag;
	unsigned problems;
};

static void problem(struct vf *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct vf *v, const char *fmt, ...)
{
	va_list ap;

	fprintf(v->diag, "vdpasim: verify %s: ", v->dir);
	va_start(ap, fmt);
	vfprintf(v->diag, fmt, ap);
	va_end(ap);
	fputc('\n', v->diag);
	v->problems++;
}

static bool hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static int package_index(const char *name, size_t len)
{
	for (int i = 0; conf_package_files[i]; i++)
		if (strlen(conf_package_files[i]) == len && !strncmp(conf_package_files[i], name, len))
			return i;
	return -1;
}

/* Step 1.  false when the sums file itself is unusable. */
static bool check_sums(struct vf *v)
{
	char *path = conf_path_join(v->dir, "SHA256SUMS"), *text = NULL, want[8][65];
	bool listed[8] = { false };
	size_t len, lineno = 0;
	int rc;

	rc = path ? conf_read_file(path, MAX_SUMS_FILE, &text, &len) : -ENOMEM;
	free(path);
	if (rc) {
		problem(v, "SHA256SUMS: %s", rc == -EFBIG ? "too large" : strerror(-rc));
		return false;
	}
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int i;

		lineno++;
		if (!nl || ll < 67 || !hex64(p) || p[64] != ' ' || p[65] != ' ' ||
		    (i = package_index(p + 66, ll - 66)) < 0) {
			problem(v, "SHA256SUMS line %zu is not '<sha256>  <package file>'", lineno);
			free(text);
			return false;
		}
		if (listed[i]) {
			problem(v, "SHA256SUMS lists %s twice", conf_package_files[i]);
			free(text);
			return false;
		}
		listed[i] = true;
		memcpy(want[i], p, 64);
		want[i][64] = 0;
		p = nl + 1;
	}
	free(text);
	for (int i = 0; conf_package_files[i]; i++) {
		char got[65], *fp;

		if (!listed[i]) {
			problem(v, "SHA256SUMS does not list %s", conf_package_files[i]);
			continue;
		}
		fp = conf_path_join(v->dir, conf_package_files[i]);
		rc = fp ? eng_sha256_file(fp, got) : -ENOMEM;
		free(fp);
		if (rc)
			problem(v, "%s: %s", conf_package_files[i], strerror(-rc));
		else if (strcmp(got, want[i]))
			problem(v, "%s: sha256 %s does not match SHA256SUMS (%s): the file was "
				"changed after the run", conf_package_files[i], got, want[i]);
	}
	return true;
}

/* The first line where a and b differ (1-based) and copies of both lines. */
static size_t first_diff(const char *a, size_t alen, const char *b, size_t blen, char *la,
			 char *lb, size_t size)
{
	size_t line = 1, i = 0, sa = 0, sb = 0;

	while (i < alen && i < blen && a[i] == b[i]) {
		if (a[i] == '\n') {
			line++;
			sa = sb = i + 1;
		}
		i++;
	}
	snprintf(la, size, "%.*s", (int)strcspn(a + sa, "\n"), a + sa);
	snprintf(lb, size, "%.*s", (int)strcspn(b + sb, "\n"), b + sb);
	return line;
}

/* Steps 3 and 4 for one file: its bytes against what the report renders. */
static void check_rendered(struct vf *v, const struct conf_report *r, const char *name,
			   bool statement)
{
	char *path = conf_path_join(v->dir, name), *have = NULL, *want = NULL;
	char la[160], lb[160];
	size_t hlen, wlen, line;
	int rc;

	rc = path ? conf_read_file(path, JR_MAX_INPUT, &have, &hlen) : -ENOMEM;
	free(path);
	if (rc) {
		problem(v, "%s: %s", name, rc == -EFBIG ? "too large" : strerror(-rc));
		return;
	}
	rc = conf_render(r, name, &want, &wlen);
	if (rc) {
		problem(v, "%s: cannot render: %s", name, strerror(-rc));
	} else if (hlen != wlen || memcmp(have, want, hlen)) {
		line = first_diff(have, hlen, want, wlen, la, lb, sizeof(la));
		if (statement)
			problem(v, "STATEMENT line %zu '%s' is not consistent with conformance.json "
				"('%s')", line, la, lb);
		else
			problem(v, "%s differs from what conformance.json renders to (line %zu: "
				"'%.60s' instead of '%.60s'): edited after the run?", name, line, la,
				lb);
	}
	free(have);
	free(want);
}

static void must_pass(struct vf *v, const struct conf_report *r)
{
	char label[160];

	for (size_t i = 0; i < r->nres; i++) {
		const struct conf_result *x = &r->res[i];
		const struct conf_evidence *lead;

		if (!conf_level_must(x->level) || (x->status != CONF_FAIL && x->status != CONF_ERROR))
			continue;
		lead = conf_result_lead(x);
		label[0] = 0;
		if (lead)
			conf_evidence_label(lead, label, sizeof(label));
		problem(v, "must-pass: %s (%s) is %s%s%s%s%s", x->id, x->level,
			conf_status_name(x->status), lead ? ": " : "", label, lead ? ": " : "",
			lead ? lead->message : "");
	}
}

int conf_verify(const char *dir, FILE *out, FILE *diag)
{
	struct vf v = { .dir = dir, .out = out, .diag = diag };
	struct conf_report *r = NULL;
	char err[600], line[256], *path;
	struct conf_counts c;
	int rc;

	check_sums(&v);
	path = conf_path_join(dir, "conformance.json");
	rc = path ? conf_report_load(path, &r, err, sizeof(err)) : -ENOMEM;
	free(path);
	if (rc == -ENOMEM) {
		fprintf(diag, "vdpasim: out of memory\n");
		return CONF_EXIT_INTERNAL;
	}
	if (rc) {
		problem(&v, "%s", err);
		return CONF_EXIT_FAIL;
	}
	check_rendered(&v, r, "STATEMENT", true);
	if (!strcmp(r->version, conf_version())) {
		for (int i = 0; conf_package_files[i]; i++)
			if (strcmp(conf_package_files[i], "STATEMENT"))
				check_rendered(&v, r, conf_package_files[i], false);
	} else {
		fprintf(out, "note: %s was made by vdpasim %s, this is %s: report files were not "
			"re-rendered, only hashed\n", dir, r->version, conf_version());
	}
	/* a certification package is one complete run */
	if (r->shard_count != 1)
		problem(&v, "is shard %u/%u, not a complete run (merge the shards first)",
			r->shard_index, r->shard_count);
	if (*r->only)
		problem(&v, "is a partial run (--only %s)", r->only);
	must_pass(&v, r);
	conf_report_counts(r, &c);
	conf_verdict_line(r, line, sizeof(line));
	if (v.problems)
		fprintf(out, "verify %s: FAILED (%u problems)\n", dir, v.problems);
	else
		fprintf(out, "verify %s: OK: device %s, plugin sha256 %s, seed %llu, profile %s, "
			"ring %s; %s\n", dir, r->dev.name, r->dev.plugin_sha256,
			(unsigned long long)r->seed, r->profile, r->ring, line);
	conf_report_free(r);
	return v.problems ? CONF_EXIT_FAIL : CONF_EXIT_PASS;
}
