// SPDX-License-Identifier: MIT
/*
 * The conformance report reader (conformance/: conf_report_parse over the
 * strict JSON reader json_read.c), as `vdpasim report verify` and `report
 * merge` use it, over arbitrary bytes; then what those commands do with a
 * report that was accepted: write it again (conformance.json and the other
 * package files), merge shards.
 *
 * Input: the bytes up to the first SEP ("\0\0MERGE\0\0") are one document; the
 * bytes after it, if any, a second one (the second shard of a two-shard run).
 *
 * Oracles (beyond the sanitizers):
 *  - the reader returns 0 with a report, or -EINVAL / -EIO / -ENOMEM with no
 *    report and a message;
 *  - an accepted report round-trips: written, read back and written again gives
 *    the same bytes, and the re-read is accepted;
 *  - its counts add up (every row counted once) and the verdict follows them;
 *  - every package writer (junit, md, html, STATEMENT) accepts it;
 *  - a 1/1 report merged on its own is itself (same JSON); two accepted shards
 *    either merge into a report that round-trips or are refused with a message.
 */
#include "conformance/conformance.h"
#include "tests/fuzz/fuzz.h"

#include <errno.h>

static const char SEP[] = "\0\0MERGE\0\0";
#define SEP_LEN (sizeof(SEP) - 1)

/* The writer's output in a heap buffer (no files). */
static char *render(const struct conf_report *r, int (*writer)(const struct conf_report *, FILE *),
		    size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int rc;

	FUZZ_CHECK(f);
	rc = writer(r, f);
	FUZZ_CHECK(fclose(f) == 0);
	FUZZ_CHECK(rc == 0);
	return buf;
}

static struct conf_report *parse(const uint8_t *data, size_t size)
{
	struct conf_report *r = (struct conf_report *)1;
	char err[512] = "";
	int rc = conf_report_parse((const char *)data, size, &r, err, sizeof(err));

	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -EIO || rc == -ENOMEM);
	if (rc) {
		FUZZ_CHECK(r == NULL && err[0]);
		return NULL;
	}
	FUZZ_CHECK(r != NULL && r != (struct conf_report *)1);
	return r;
}

static void check_counts(const struct conf_report *r)
{
	struct conf_counts c;
	size_t sum = 0, must = 0;

	conf_report_counts(r, &c);
	FUZZ_CHECK(c.total == r->nres);
	for (int s = 0; s < CONF_NSTATUS; s++) {
		sum += c.by_status[s];
		must += c.must[s];
		FUZZ_CHECK(c.must[s] <= c.by_status[s]);
	}
	FUZZ_CHECK(sum == c.total && must == c.must_total && must <= sum);
	FUZZ_CHECK(conf_report_passed(r) == (!c.must[CONF_FAIL] && !c.must[CONF_ERROR]));
}

/* Written, read back, written again: the same bytes.  Returns the first text. */
static char *round_trip(const struct conf_report *r, size_t *len)
{
	size_t len2;
	char *a = render(r, conf_write_json, len), *b;
	struct conf_report *back = parse((const uint8_t *)a, *len);

	FUZZ_CHECK(back);
	b = render(back, conf_write_json, &len2);
	FUZZ_CHECK(len2 == *len && !memcmp(a, b, *len));
	free(b);
	conf_report_free(back);
	return a;
}

static void other_writers(const struct conf_report *r)
{
	int (*const writers[])(const struct conf_report *, FILE *) = {
		conf_write_junit, conf_write_md, conf_write_html, conf_write_statement
	};

	for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++) {
		size_t len;
		char *t = render(r, writers[i], &len);

		FUZZ_CHECK(len > 0);
		free(t);
	}
}

static void merge(struct conf_report *const *s, size_t n, const char *alone, size_t alone_len)
{
	struct conf_report *m = (struct conf_report *)1;
	char err[600] = "";
	int rc = conf_merge_reports(s, NULL, n, &m, err, sizeof(err));
	size_t len;
	char *t;

	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc) {
		FUZZ_CHECK(m == NULL && err[0]);
		return;
	}
	FUZZ_CHECK(m != NULL && m != (struct conf_report *)1);
	check_counts(m);
	if (alone) {
		/* one 1/1 shard merges into itself */
		t = render(m, conf_write_json, &len);
		FUZZ_CHECK(len == alone_len && !memcmp(t, alone, len));
	} else {
		t = round_trip(m, &len);
	}
	free(t);
	conf_report_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = NULL;
	struct conf_report *r[2] = { NULL, NULL };
	size_t len = 0, n1 = size;
	char *text = NULL;

	for (size_t i = 0; i + SEP_LEN <= size; i++) {
		if (data[i] == 0 && !memcmp(data + i, SEP, SEP_LEN)) {
			sep = data + i;
			n1 = i;
			break;
		}
	}
	r[0] = parse(data, n1);
	if (r[0]) {
		check_counts(r[0]);
		text = round_trip(r[0], &len);
		other_writers(r[0]);
		if (r[0]->shard_count == 1)
			merge(r, 1, text, len);
	}
	if (sep) {
		r[1] = parse(sep + SEP_LEN, size - n1 - SEP_LEN);
		if (r[0] && r[1])
			merge(r, 2, NULL, 0);
	}
	free(text);
	conf_report_free(r[0]);
	conf_report_free(r[1]);
	return 0;
}
