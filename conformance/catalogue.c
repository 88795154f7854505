// SPDX-License-Identifier: MIT
/*
 * The requirement catalogue: lookups over the compiled table, what an id and a
 * section say about a row (area, chapter), status precedence, and a strict
 * TSV reader that lets tests prove the compiled table is the checked-in file.
 */
#include "conformance/conformance.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int conf_req_index(const char *id)
{
	if (!id)
		return -1;
	for (size_t i = 0; i < conf_nrequirements; i++)
		if (!strcmp(conf_requirements[i].id, id))
			return (int)i;
	return -1;
}

const struct conf_req *conf_req_find(const char *id)
{
	int i = conf_req_index(id);

	return i < 0 ? NULL : &conf_requirements[i];
}

static bool upper_token(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return false;
	return true;
}

/* "01", "X01": the row number within its area. */
static bool number_token(const char *s, size_t n)
{
	size_t i = 0;

	if (n && s[0] == 'X')
		i = 1;
	if (i == n)
		return false;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int conf_area(const char *id, char *buf, size_t size)
{
	const char *last, *end;
	size_t n;

	if (!id || !size)
		return -EINVAL;
	buf[0] = 0;
	last = strrchr(id, '-');
	if (!last || last == id || !number_token(last + 1, strlen(last + 1)))
		return -EINVAL;
	end = last;
	if (end - id > 4 && (!strncmp(end - 4, "-DEV", 4) || !strncmp(end - 4, "-DRV", 4)))
		end -= 4;
	n = (size_t)(end - id);
	/* every token of the area is upper-case letters */
	for (const char *t = id; t < end;) {
		const char *dash = memchr(t, '-', (size_t)(end - t));
		size_t tl = dash ? (size_t)(dash - t) : (size_t)(end - t);

		if (!upper_token(t, tl))
			return -EINVAL;
		t += tl + (dash ? 1 : 0);
		if (dash && t == end)
			return -EINVAL;
	}
	if (n >= size)
		return -EINVAL;
	memcpy(buf, id, n);
	buf[n] = 0;
	return (int)n;
}

bool conf_core_area(const char *area)
{
	static const char *const core[] = {
		"STATUS", "FEAT", "INIT", "CFG", "NOTIF", "OPS", "RESET",
		"VQRESET", "CLEANUP", "SPLIT", "PACKED", "PCI", "NET",
	};
	size_t n;

	if (!area)
		return false;
	n = strcspn(area, "-");
	for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++)
		if (strlen(core[i]) == n && !strncmp(core[i], area, n))
			return true;
	return false;
}

int conf_chapter(const char *section)
{
	int c = 0;

	if (!section || section[0] < '1' || section[0] > '9')
		return 0;
	for (const char *p = section; *p >= '0' && *p <= '9'; p++) {
		c = c * 10 + (*p - '0');
		if (c > 99)
			return 0;
	}
	return c;
}

const char *conf_chapter_title(int chapter)
{
	/* VIRTIO 1.3 chapter titles. */
	switch (chapter) {
	case 1: return "Introduction";
	case 2: return "Basic Facilities of a Virtio Device";
	case 3: return "General Initialization And Device Operation";
	case 4: return "Virtio Transport Options";
	case 5: return "Device Types";
	case 6: return "Reserved Feature Bits";
	default: return "";
	}
}

bool conf_level_must(const char *level)
{
	return level && (!strcmp(level, "MUST") || !strcmp(level, "MUST NOT"));
}

bool conf_req_testable(const struct conf_req *r)
{
	return r && r->testable && !strcmp(r->testable, "yes");
}

/* ---- statuses -------------------------------------------------------------------------------- */

static const char *const status_names[CONF_NSTATUS] = {
	[CONF_NOT_TESTED] = "not_tested",
	[CONF_PASS] = "pass",
	[CONF_NOT_APPLICABLE] = "not_applicable",
	[CONF_ERROR] = "error",
	[CONF_FAIL] = "fail",
};

enum conf_status conf_combine(enum conf_status a, enum conf_status b)
{
	return a > b ? a : b;
}

const char *conf_status_name(enum conf_status s)
{
	return (unsigned)s < CONF_NSTATUS ? status_names[s] : "invalid";
}

int conf_status_parse(const char *name, enum conf_status *s)
{
	for (int i = 0; i < CONF_NSTATUS; i++) {
		if (name && !strcmp(name, status_names[i])) {
			*s = (enum conf_status)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- TSV -------------------------------------------------------------------------------------- */

static const char *const tsv_header[7] = {
	"id", "spec_section", "actor", "level", "paraphrase", "testable_in_sim", "how_to_test",
};

static int tsv_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int tsv_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Splits one line (NUL-terminated, no newline) into exactly 7 fields in place. */
static int split_line(char *line, char *f[7])
{
	int n = 0;

	f[n++] = line;
	for (char *p = line; *p; p++) {
		if (*p != '\t')
			continue;
		if (n == 7)
			return -EINVAL;
		*p = 0;
		f[n++] = p + 1;
	}
	return n == 7 ? 0 : -EINVAL;
}

int conf_catalogue_parse(const char *text, size_t len, struct conf_catalogue *cat, char *err,
			 size_t errlen)
{
	size_t lines = 0, cap = 0, lineno = 0;
	char *p, *end;
	int rc = 0;

	memset(cat, 0, sizeof(*cat));
	if (!text)
		return tsv_error(err, errlen, "no text");
	if (memchr(text, 0, len))
		return tsv_error(err, errlen, "NUL byte in the catalogue");
	if (memchr(text, '\r', len))
		return tsv_error(err, errlen, "CR characters in the catalogue");
	cat->text = malloc(len + 1);
	if (!cat->text)
		return -ENOMEM;
	memcpy(cat->text, text, len);
	cat->text[len] = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	cap = lines + 1;
	cat->rows = calloc(cap, sizeof(*cat->rows));
	if (!cat->rows) {
		rc = -ENOMEM;
		goto fail;
	}
	p = cat->text;
	end = cat->text + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *f[7];

		lineno++;
		if (!nl) {
			rc = tsv_error(err, errlen, "line %zu: no newline at the end", lineno);
			goto fail;
		}
		*nl = 0;
		if (split_line(p, f)) {
			rc = tsv_error(err, errlen, "line %zu: expected 7 tab-separated fields",
				       lineno);
			goto fail;
		}
		if (lineno == 1) {
			for (int i = 0; i < 7; i++) {
				if (strcmp(f[i], tsv_header[i])) {
					rc = tsv_error(err, errlen, "line 1: header field %d is '%s', "
						       "expected '%s'", i + 1, f[i], tsv_header[i]);
					goto fail;
				}
			}
			p = nl + 1;
			continue;
		}
		for (int i = 0; i < 7; i++) {
			if (!*f[i]) {
				rc = tsv_error(err, errlen, "line %zu: empty field '%s'", lineno,
					       tsv_header[i]);
				goto fail;
			}
		}
		for (size_t i = 0; i < cat->n; i++) {
			if (!strcmp(cat->rows[i].id, f[0])) {
				rc = tsv_error(err, errlen, "line %zu: duplicate id %s", lineno, f[0]);
				goto fail;
			}
		}
		cat->rows[cat->n++] = (struct conf_req){ f[0], f[1], f[2], f[3], f[4], f[5], f[6] };
		p = nl + 1;
	}
	if (lineno == 0) {
		rc = tsv_error(err, errlen, "empty catalogue");
		goto fail;
	}
	return 0;
fail:
	conf_catalogue_free(cat);
	return rc;
}

void conf_catalogue_free(struct conf_catalogue *cat)
{
	free(cat->rows);
	free(cat->text);
	memset(cat, 0, sizeof(*cat));
}
