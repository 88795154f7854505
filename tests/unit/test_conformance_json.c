// SPDX-License-Identifier: MIT
/*
 * The strict JSON reader and the conformance.json reader built on it: valid
 * documents read exactly, every malformed one is refused with a message, and
 * nothing (deep nesting, huge numbers, truncation, byte flips) crashes it.
 */
#include "conformance/conf_priv.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct jr_value *parse_ok(const char *s)
{
	struct jr_value *v = NULL;
	char err[200] = "";
	int rc = jr_parse(s, strlen(s), &v, err, sizeof(err));

	if (rc)
		fprintf(stderr, "unexpected error for %s: %s\n", s, err);
	CU_ASSERT_EQUAL(rc, 0);
	return v;
}

static void parse_bad(const char *s, size_t len)
{
	struct jr_value *v = (struct jr_value *)1;
	char err[200] = "";

	CU_ASSERT_EQUAL(jr_parse(s, len, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT(err[0] != 0);
}

static void test_valid_documents_read_exactly(void)
{
	struct jr_value *v = parse_ok(" {\"a\": [1, -2, 3.5, true, false, null, \"x\"],"
				      " \"b\": {}, \"c\": [], \"\": \"empty key\"} \n");
	const struct jr_value *a;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(v->type, JR_OBJECT);
	CU_ASSERT_EQUAL(v->n, 4);
	a = jr_get(v, "a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->n, 7);
	CU_ASSERT(a->items[0].is_uint && a->items[0].u == 1);
	CU_ASSERT(a->items[1].is_int && a->items[1].i == -2 && !a->items[1].is_uint);
	CU_ASSERT(!a->items[2].is_int && a->items[2].d == 3.5);
	CU_ASSERT(a->items[3].type == JR_BOOL && a->items[3].b);
	CU_ASSERT(a->items[4].type == JR_BOOL && !a->items[4].b);
	CU_ASSERT_EQUAL(a->items[5].type, JR_NULL);
	CU_ASSERT_STRING_EQUAL(a->items[6].s, "x");
	CU_ASSERT_EQUAL(jr_get(v, "b")->type, JR_OBJECT);
	CU_ASSERT_EQUAL(jr_get(v, "c")->n, 0);
	CU_ASSERT_STRING_EQUAL(jr_get(v, "")->s, "empty key");
	CU_ASSERT_PTR_NULL(jr_get(v, "zzz"));
	CU_ASSERT_PTR_NULL(jr_get(a, "a"));
	jr_free(v);
}

static void test_string_escapes_decode_to_utf8(void)
{
	struct jr_value *v = parse_ok("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\u20ac "
				      "\\ud83d\\ude00 raw \xc3\xa9\"");

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(v->s, "q\" b\\ s/ \b\f\n\r\t \xc3\xa9 \xe2\x82\xac "
				     "\xf0\x9f\x98\x80 raw \xc3\xa9");
	CU_ASSERT_EQUAL(v->len, strlen(v->s));
	jr_free(v);
}

static void test_integers_are_exact_to_64_bits(void)
{
	struct jr_value *v = parse_ok("[18446744073709551615, 18446744073709551616, "
				      "-9223372036854775808, -9223372036854775809, 0, -0]");

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT(v->items[0].is_uint && v->items[0].u == UINT64_MAX && !v->items[0].is_int);
	CU_ASSERT(!v->items[1].is_uint && !v->items[1].is_int);
	CU_ASSERT(v->items[2].is_int && v->items[2].i == INT64_MIN);
	CU_ASSERT(!v->items[3].is_int);
	CU_ASSERT(v->items[4].is_uint && v->items[4].u == 0);
	CU_ASSERT(v->items[5].is_int && v->items[5].i == 0 && !v->items[5].is_uint);
	jr_free(v);
}

static void test_malformed_documents_are_refused(void)
{
	static const char *const bad[] = {
		"", " ", "{", "}", "[", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":}", "{a:1}",
		"{1:2}", "01", "1.", ".5", "+1", "-", "1e", "1e+", "NaN", "Infinity", "'x'",
		"\"x", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\ud800\"", "\"\\udc00\"",
		"\"\\ud800\\u0041\"", "\"\\u0000\"", "{\"a\":1,\"a\":2}", "[1] 2", "[1]]",
		"tru", "nul", "falsey", "[\"a\" \"b\"]", "\"tab\there\"", "\"\xff\"",
		"\"\xc0\x80\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x82\"",
		"/* c */ 1", "[1,,2]",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_bad(bad[i], strlen(bad[i]));
	parse_bad("[1]\0", 4); /* NUL after the value */
	parse_bad("\"a\0b\"", 5);
}

static void test_nesting_is_bounded(void)
{
	char buf[2 * 200001];
	struct jr_value *v;
	char err[200];
	size_t n;

	/* JR_MAX_DEPTH levels below the top are fine, one more is not */
	for (int depth = JR_MAX_DEPTH + 1; depth <= JR_MAX_DEPTH + 2; depth++) {
		n = 0;
		for (int i = 0; i < depth; i++)
			buf[n++] = '[';
		for (int i = 0; i < depth; i++)
			buf[n++] = ']';
		v = NULL;
		CU_ASSERT_EQUAL(jr_parse(buf, n, &v, err, sizeof(err)),
				depth == JR_MAX_DEPTH + 1 ? 0 : -EINVAL);
		jr_free(v);
	}
	/* 200000 open brackets: refused, no stack overflow */
	memset(buf, '[', 200000);
	parse_bad(buf, 200000);
	memset(buf, '{', 200000);
	parse_bad(buf, 200000);
}

static void test_huge_numbers_do_not_crash(void)
{
	char buf[512];
	struct jr_value *v = parse_ok("[1e999999, -1e999999, 1e-999999, 123456789012345678901234]");

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_FALSE(v->items[0].is_uint);
	CU_ASSERT(v->items[0].d > 1e308);
	CU_ASSERT(v->items[1].d < -1e308);
	CU_ASSERT_FALSE(v->items[3].is_uint);
	jr_free(v);
	memset(buf, '9', 400);
	parse_bad(buf, 400); /* longer than a number may be */
}

static void test_limits_on_strings_and_keys(void)
{
	size_t n = JR_MAX_STRING + 16;
	char *big = malloc(n + 3);
	char *obj;
	size_t len = 0, cap = (JR_MAX_OBJECT_KEYS + 2) * 16;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	big[0] = '"';
	memset(big + 1, 'a', n);
	big[n + 1] = '"';
	parse_bad(big, n + 2);
	free(big);
	obj = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(obj);
	obj[len++] = '{';
	for (int i = 0; i <= JR_MAX_OBJECT_KEYS; i++)
		len += (size_t)snprintf(obj + len, cap - len, "%s\"k%d\":0", i ? "," : "", i);
	obj[len++] = '}';
	parse_bad(obj, len);
	free(obj);
}

/* ---- conformance.json --------------------------------------------------------------------- */

static char *render_json(const struct conf_report *r, size_t *len)
{
	char *buf;

	CU_ASSERT_EQUAL(conf_render(r, "conformance.json", &buf, len), 0);
	return buf;
}

/* A report with a little of everything, built without running anything. */
static struct conf_report *sample_report(void)
{
	struct conf_report *r;
	struct conf_evidence ev = { "pci_identity", "", CONF_PASS, "vendor ok \xe2\x82\xac", 5,
				    -1, "" };
	int i;

	if (conf_report_new(&r))
		return NULL;
	r->tool = conf_strdup("vdpasim");
	r->version = conf_strdup(conf_version());
	r->catalogue_sha256 = conf_strdup(conf_catalogue_sha256);
	r->dev.name = conf_strdup("sample");
	r->dev.vendor = conf_strdup("tests");
	r->dev.description = conf_strdup("a \"quoted\" <device>");
	r->dev.model_version = conf_strdup("1");
	r->dev.source = conf_strdup("builtin");
	r->dev.plugin_sha256 = conf_strdup("builtin");
	r->dev.vendor_id = 0x1af4;
	r->dev.device_id = 0x1041;
	r->dev.features = 1ULL << 32;
	r->seed = UINT64_MAX;
	r->profile = conf_strdup("split");
	r->ring = conf_strdup("split");
	r->only = conf_strdup("");
	i = conf_req_index("PCI-DEV-02");
	conf_result_add_evidence(&r->res[i], &ev);
	ev.status = CONF_FAIL;
	ev.message = "device id 0x1234";
	ev.pcap_frame = 17;
	ev.trace = "100 host msix vector=1\n200 dev x";
	conf_result_add_evidence(&r->res[conf_req_index("PCI-DEV-03")], &ev);
	for (size_t k = 0; k < r->nres; k++) {
		char why[160];

		if (!conf_req_applicable(r->res[k].id, r->dev.features, why, sizeof(why))) {
			r->res[k].status = CONF_NOT_APPLICABLE;
			free(r->res[k].note);
			r->res[k].note = conf_strdup(why);
		}
	}
	return r;
}

static void test_report_json_round_trips_byte_for_byte(void)
{
	struct conf_report *r = sample_report(), *back = NULL;
	char err[400] = "", *a, *b;
	size_t alen, blen;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	a = render_json(r, &alen);
	CU_ASSERT_EQUAL_FATAL(conf_report_parse(a, alen, &back, err, sizeof(err)), 0);
	b = render_json(back, &blen);
	CU_ASSERT_EQUAL(alen, blen);
	CU_ASSERT(alen == blen && !memcmp(a, b, alen));
	CU_ASSERT_EQUAL(back->seed, UINT64_MAX);
	CU_ASSERT_EQUAL(back->res[conf_req_index("PCI-DEV-03")].status, CONF_FAIL);
	CU_ASSERT_EQUAL(back->res[conf_req_index("PCI-DEV-03")].ev[0].pcap_frame, 17);
	free(a);
	free(b);
	conf_report_free(r);
	conf_report_free(back);
}

/* Replace the first occurrence of `from` by `to` and expect the reader to refuse. */
static void expect_refused_after(const char *doc, size_t len, const char *from, const char *to,
				 const char *msg)
{
	const char *at = strstr(doc, from);
	size_t fl = strlen(from), tl = strlen(to), nlen;
	struct conf_report *r = NULL;
	char *ed, err[400] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	nlen = len - fl + tl;
	ed = malloc(nlen + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ed);
	memcpy(ed, doc, (size_t)(at - doc));
	memcpy(ed + (at - doc), to, tl);
	memcpy(ed + (at - doc) + tl, at + fl, len - (size_t)(at - doc) - fl);
	ed[nlen] = 0;
	CU_ASSERT_EQUAL(conf_report_parse(ed, nlen, &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NULL(r);
	if (!strstr(err, msg))
		fprintf(stderr, "expected '%s' in: %s\n", msg, err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, msg));
	free(ed);
}

static void test_report_reader_refuses_edited_fields(void)
{
	struct conf_report *r = sample_report();
	size_t len;
	char *doc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	doc = render_json(r, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	/* a failure turned into a pass without its evidence */
	expect_refused_after(doc, len, "\"status\": \"fail\"", "\"status\": \"pass\"",
			     "does not follow from its evidence");
	/* a MUST row demoted to MAY */
	expect_refused_after(doc, len, "\"level\": \"MUST\"", "\"level\": \"MAY\"",
			     "differs from the catalogue");
	expect_refused_after(doc, len, "\"verdict\": \"fail\"", "\"verdict\": \"pass\"",
			     "'verdict'");
	expect_refused_after(doc, len, "\"fail\": 1,", "\"fail\": 0,", "counts");
	expect_refused_after(doc, len, "\"seed\":", "\"sneed\":", "unknown key");
	expect_refused_after(doc, len, "\"tool\": \"vdpasim\"", "\"tool\": \"other\"", "tool");
	expect_refused_after(doc, len, conf_catalogue_sha256,
			     "0000000000000000000000000000000000000000000000000000000000000000",
			     "another requirement catalogue");
	expect_refused_after(doc, len, "\"shard\": \"1/1\"", "\"shard\": \"2/1\"", "shard");
	expect_refused_after(doc, len, "\"profile\": \"split\"", "\"profile\": \"packed,split\"",
			     "canonical");
	expect_refused_after(doc, len, "\"pcap_frame\": 17", "\"pcap_frame\": -3", "pcap_frame");
	expect_refused_after(doc, len, "\"seed\": 18446744073709551615",
			     "\"seed\": 18446744073709551616", "seed");
	/* a row hidden as not applicable although the device's features make it apply */
	expect_refused_after(doc, len,
			     "\"text\": \"The PCI Device ID is 0x1040 plus the virtio device ID, "
			     "or the legacy transitional ID for that type (0x1000 for net).\",\n"
			     "      \"status\": \"fail\"",
			     "\"text\": \"The PCI Device ID is 0x1040 plus the virtio device ID, "
			     "or the legacy transitional ID for that type (0x1000 for net).\",\n"
			     "      \"status\": \"not_applicable\"",
			     "does not follow");
	free(doc);
	conf_report_free(r);
}

static void test_truncated_reports_are_refused_without_crashing(void)
{
	struct conf_report *r = sample_report(), *back;
	char err[400];
	size_t len;
	char *doc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	doc = render_json(r, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	for (size_t cut = 0; cut < len; cut += 1 + cut / 16) {
		back = NULL;
		CU_ASSERT_NOT_EQUAL(conf_report_parse(doc, cut, &back, err, sizeof(err)), 0);
		CU_ASSERT_PTR_NULL(back);
	}
	free(doc);
	conf_report_free(r);
}

static void test_byte_flipped_reports_never_crash_the_reader(void)
{
	struct conf_report *r = sample_report(), *back;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char err[400];
	size_t len;
	char *doc;
	int refused = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	doc = render_json(r, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	for (int round = 0; round < 200; round++) {
		char *m = malloc(len);
		size_t pos;

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		memcpy(m, doc, len);
		for (int k = 0; k < 4; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift: fixed sequence */
			pos = (size_t)(x % len);
			m[pos] = (char)(x >> 32);
		}
		back = NULL;
		if (conf_report_parse(m, len, &back, err, sizeof(err)))
			refused++;
		conf_report_free(back);
		free(m);
	}
	CU_ASSERT(refused > 150);
	free(doc);
	conf_report_free(r);
}

CU_MAIN("conformance_json",
	CU_TEST_ENTRY(test_valid_documents_read_exactly),
	CU_TEST_ENTRY(test_string_escapes_decode_to_utf8),
	CU_TEST_ENTRY(test_integers_are_exact_to_64_bits),
	CU_TEST_ENTRY(test_malformed_documents_are_refused),
	CU_TEST_ENTRY(test_nesting_is_bounded),
	CU_TEST_ENTRY(test_huge_numbers_do_not_crash),
	CU_TEST_ENTRY(test_limits_on_strings_and_keys),
	CU_TEST_ENTRY(test_report_json_round_trips_byte_for_byte),
	CU_TEST_ENTRY(test_report_reader_refuses_edited_fields),
	CU_TEST_ENTRY(test_truncated_reports_are_refused_without_crashing),
	CU_TEST_ENTRY(test_byte_flipped_reports_never_crash_the_reader));
