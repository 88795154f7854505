// SPDX-License-Identifier: MIT
/*
 * The report package: deterministic writers, SHA256SUMS, the junit and HTML
 * shapes CI and browsers rely on, shard merge (equal to the unsharded run,
 * refusing mismatched inputs) and verify (catches tampering and failed MUST
 * rows).
 */
#include "conformance/conf_priv.h"
#include "tests/unit/cu_main.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static FILE *devnull(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

static const char *const r_04[] = { "PCI-DEV-04", NULL };

static int run_late(struct conf_ctx *ctx)
{
	return conf_set(ctx, "PCI-DEV-04", CONF_PASS, "from zz_late");
}

static int run_early(struct conf_ctx *ctx)
{
	return conf_set(ctx, "PCI-DEV-04", CONF_FAIL, "from aa_early");
}

/* Two checks on one row, registered in the opposite of name order. */
static const struct conf_check zz_late = {
	.name = "zz_late", .description = "x", .requirements = r_04, .run = run_late,
};
static const struct conf_check aa_early = {
	.name = "aa_early", .description = "x", .requirements = r_04, .run = run_early,
};
static const struct conf_check *const two_on_one_row[] = { &zz_late, &aa_early, NULL };

static struct conf_report *run_checks(const struct conf_check *const *checks,
				      const char *options, unsigned shard, unsigned nshards,
				      bool selftest)
{
	struct conf_run_config c = {
		.device = "testnet",
		.checks = checks,
		.device_options = options,
		.seed = 11,
		.shard_index = shard,
		.shard_count = nshards,
		.selftest = selftest,
		.timeout_s = 1,
		.quiet = true,
		.diag = devnull(),
	};
	struct conf_report *r = NULL;

	CU_ASSERT_EQUAL(conf_run_report(&c, &r), 0);
	return r;
}

static struct conf_report *run_testnet(const char *options, unsigned shard, unsigned nshards,
				       bool selftest)
{
	return run_checks(NULL, options, shard, nshards, selftest);
}

static char *render(const struct conf_report *r, const char *name, size_t *len)
{
	char *buf = NULL;

	CU_ASSERT_EQUAL(conf_render(r, name, &buf, len), 0);
	return buf;
}

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/conf-report-XXXXXX";
	char *d = mkdtemp(tmpl);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return strdup(d);
}

static void rmtree(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *p;

		if (e->d_name[0] == '.')
			continue;
		p = conf_path_join(dir, e->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	free(dir);
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char *p = conf_path_join(dir, name), *text = NULL;

	CU_ASSERT_EQUAL(conf_read_file(p, 1u << 26, &text, len), 0);
	free(p);
	return text;
}

static void spit(const char *dir, const char *name, const char *text, size_t len)
{
	char *p = conf_path_join(dir, name);

	CU_ASSERT_EQUAL(conf_write_file_atomic(p, text, len), 0);
	free(p);
}

/* SHA256SUMS made consistent again after an edit, as a forger would. */
static void reseal(const char *dir)
{
	char line[128], *sums = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&sums, &n);

	for (int i = 0; conf_package_files[i]; i++) {
		char *p = conf_path_join(dir, conf_package_files[i]), hex[65];

		CU_ASSERT_EQUAL(eng_sha256_file(p, hex), 0);
		snprintf(line, sizeof(line), "%s  %s\n", hex, conf_package_files[i]);
		fputs(line, f);
		free(p);
	}
	fclose(f);
	spit(dir, "SHA256SUMS", sums, n);
	free(sums);
}

/* Replace the first `from` by `to` in a package file. */
static void edit(const char *dir, const char *name, const char *from, const char *to)
{
	size_t len, fl = strlen(from), tl = strlen(to);
	char *text = slurp(dir, name, &len), *at, *out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	at = strstr(text, from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	out = malloc(len - fl + tl);
	memcpy(out, text, (size_t)(at - text));
	memcpy(out + (at - text), to, tl);
	memcpy(out + (at - text) + tl, at + fl, len - (size_t)(at - text) - fl);
	spit(dir, name, out, len - fl + tl);
	free(out);
	free(text);
}

static int verify(const char *dir, char **diag)
{
	size_t n = 0;
	FILE *f;
	int rc;

	*diag = NULL;
	f = open_memstream(diag, &n);
	rc = conf_verify(dir, devnull(), f);
	fclose(f);
	return rc;
}

/* ---- writers ----------------------------------------------------------------------------------- */

static void test_two_runs_render_byte_identical_files(void)
{
	struct conf_report *a = run_testnet(NULL, 0, 0, false), *b = run_testnet(NULL, 0, 0, false);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	for (int i = 0; conf_package_files[i]; i++) {
		size_t la, lb;
		char *x = render(a, conf_package_files[i], &la);
		char *y = render(b, conf_package_files[i], &lb);

		CU_ASSERT(la > 100);
		CU_ASSERT(la == lb && !memcmp(x, y, la));
		free(x);
		free(y);
	}
	conf_report_free(a);
	conf_report_free(b);
}

static void test_package_holds_files_and_matching_sums(void)
{
	struct conf_report *r = run_testnet(NULL, 0, 0, false);
	char *dir = tmpdir(), err[300], *sums;
	size_t len, lines = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL_FATAL(conf_write_package(r, dir, err, sizeof(err)), 0);
	sums = slurp(dir, "SHA256SUMS", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sums);
	for (int i = 0; conf_package_files[i]; i++) {
		char *p = conf_path_join(dir, conf_package_files[i]), hex[65], line[128];

		CU_ASSERT_EQUAL(eng_sha256_file(p, hex), 0);
		snprintf(line, sizeof(line), "%s  %s\n", hex, conf_package_files[i]);
		CU_ASSERT_PTR_NOT_NULL(strstr(sums, line));
		free(p);
		lines++;
	}
	CU_ASSERT_EQUAL(len, lines * (64 + 2 + 1) + strlen("STATEMENTconformance.jsonjunit.xml"
							  "report.htmlreport.md"));
	free(sums);
	rmtree(dir);
	conf_report_free(r);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_junit_has_one_testcase_per_requirement_and_no_clock(void)
{
	struct conf_report *r = run_testnet("vendor_id=0x1234", 0, 0, true);
	size_t len;
	char *x;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	x = render(r, "junit.xml", &len);
	CU_ASSERT_EQUAL(count(x, "<testcase "), conf_nrequirements);
	CU_ASSERT_PTR_NOT_NULL(strstr(x, "<testcase classname=\"PCI\" name=\"PCI-DEV-02\">\n"
				      "      <failure message=\"vendor ID 0x1234"));
	CU_ASSERT_PTR_NOT_NULL(strstr(x, "classname=\"PCI\" name=\"PCI-DEV-10\">\n      <error "));
	CU_ASSERT_PTR_NOT_NULL(strstr(x, "<skipped message=\"not_applicable: device does not "
				      "offer VIRTIO_F_RING_PACKED\"/>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(x, "<skipped message=\"not_tested: no check covers"));
	CU_ASSERT_PTR_NULL(strstr(x, "timestamp"));
	CU_ASSERT_PTR_NULL(strstr(x, "hostname"));
	CU_ASSERT_PTR_NULL(strstr(x, " time="));
	free(x);
	conf_report_free(r);
}

static void test_html_is_self_contained(void)
{
	struct conf_report *r = run_testnet("vendor_id=0x1234", 0, 0, false);
	size_t len;
	char *h;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	h = render(r, "report.html", &len);
	CU_ASSERT_PTR_NULL(strstr(h, "http:"));
	CU_ASSERT_PTR_NULL(strstr(h, "https:"));
	CU_ASSERT_PTR_NULL(strstr(h, "src="));
	CU_ASSERT_PTR_NULL(strstr(h, "href="));
	CU_ASSERT_PTR_NULL(strstr(h, "<script"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "<style>"));
	CU_ASSERT(count(h, "<svg ") >= 5); /* a bar per chapter at least */
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "v-fail"));
	CU_ASSERT_EQUAL(count(h, "<tr id=\"r-"), conf_nrequirements);
	free(h);
	conf_report_free(r);
}

static void test_markdown_and_statement_carry_the_verdict(void)
{
	struct conf_report *r = run_testnet(NULL, 0, 0, false);
	size_t len;
	char *m, *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	m = render(r, "report.md", &len);
	s = render(r, "STATEMENT", &len);
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "**Verdict: PASS**"));
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "### 4.1.2.1 Device Requirements: PCI Device Discovery"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nverdict: pass\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nseed: 11\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nplugin_sha256: builtin\n"));
	{
		char want[160];

		snprintf(want, sizeof(want), "\ngit_describe: %s\n", conf_version());
		CU_ASSERT_PTR_NOT_NULL(strstr(s, want));
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "untested"));
	free(m);
	free(s);
	conf_report_free(r);
}

/* ---- merge ------------------------------------------------------------------------------------- */

static void test_merged_shards_equal_the_unsharded_run(void)
{
	struct conf_report *whole = run_testnet(NULL, 0, 0, true), *m = NULL;
	struct conf_report *s[3] = { run_testnet(NULL, 2, 3, true), run_testnet(NULL, 3, 3, true),
				     run_testnet(NULL, 1, 3, true) };
	char err[400];

	CU_ASSERT_PTR_NOT_NULL_FATAL(whole);
	CU_ASSERT_EQUAL_FATAL(conf_merge_reports(s, NULL, 3, &m, err, sizeof(err)), 0);
	for (int i = 0; conf_package_files[i]; i++) {
		size_t la, lb;
		char *x = render(whole, conf_package_files[i], &la);
		char *y = render(m, conf_package_files[i], &lb);

		CU_ASSERT(la == lb && !memcmp(x, y, la));
		free(x);
		free(y);
	}
	for (int i = 0; i < 3; i++)
		conf_report_free(s[i]);
	conf_report_free(whole);
	conf_report_free(m);
}

static void test_merged_evidence_is_in_check_name_order(void)
{
	struct conf_report *whole = run_checks(two_on_one_row, NULL, 0, 0, false), *m = NULL;
	struct conf_report *s[2] = { run_checks(two_on_one_row, NULL, 1, 2, false),
				     run_checks(two_on_one_row, NULL, 2, 2, false) };
	const struct conf_result *x;
	char err[400], *a, *b;
	size_t la, lb;

	CU_ASSERT_PTR_NOT_NULL_FATAL(whole);
	CU_ASSERT_EQUAL_FATAL(conf_merge_reports(s, NULL, 2, &m, err, sizeof(err)), 0);
	x = &m->res[conf_req_index("PCI-DEV-04")];
	CU_ASSERT_EQUAL_FATAL(x->nev, 2);
	CU_ASSERT_STRING_EQUAL(x->ev[0].check, "aa_early");
	CU_ASSERT_EQUAL(x->status, CONF_FAIL);
	a = render(whole, "conformance.json", &la);
	b = render(m, "conformance.json", &lb);
	CU_ASSERT(la == lb && !memcmp(a, b, la));
	free(a);
	free(b);
	conf_report_free(s[0]);
	conf_report_free(s[1]);
	conf_report_free(whole);
	conf_report_free(m);
}

static void test_merge_refuses_mismatched_shards(void)
{
	struct conf_report *s[2] = { run_testnet(NULL, 1, 2, false), run_testnet(NULL, 2, 2, false) };
	struct conf_report *m = NULL, *other;
	const char *names[] = { "dirA", "dirB" };
	char err[400];

	CU_ASSERT_PTR_NOT_NULL_FATAL(s[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s[1]);
	/* another device */
	free(s[1]->dev.name);
	s[1]->dev.name = conf_strdup("otherdev");
	CU_ASSERT_EQUAL(conf_merge_reports(s, names, 2, &m, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "dirB tested device 'otherdev'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "different devices"));
	free(s[1]->dev.name);
	s[1]->dev.name = conf_strdup("testnet");
	/* another seed */
	s[1]->seed = 12;
	CU_ASSERT_EQUAL(conf_merge_reports(s, names, 2, &m, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "seed 12"));
	s[1]->seed = 11;
	/* another profile */
	other = s[1];
	free(other->profile);
	other->profile = conf_strdup("split,mq");
	CU_ASSERT_EQUAL(conf_merge_reports(s, names, 2, &m, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "profile"));
	free(other->profile);
	other->profile = conf_strdup("split");
	/* the same shard twice, or shards missing */
	s[1]->shard_index = 1;
	CU_ASSERT_EQUAL(conf_merge_reports(s, names, 2, &m, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "given twice"));
	s[1]->shard_index = 2;
	CU_ASSERT_EQUAL(conf_merge_reports(s, names, 1, &m, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "but 1 shards were given"));
	CU_ASSERT_PTR_NULL(m);
	/* and the good case */
	CU_ASSERT_EQUAL(conf_merge_reports(s, names, 2, &m, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(m->shard_count, 1);
	conf_report_free(m);
	conf_report_free(s[0]);
	conf_report_free(s[1]);
}

/* ---- verify ------------------------------------------------------------------------------- */

static char *package(const char *options)
{
	struct conf_report *r = run_testnet(options, 0, 0, false);
	char *dir = tmpdir(), err[300];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(conf_write_package(r, dir, err, sizeof(err)), 0);
	conf_report_free(r);
	return dir;
}

static void test_verify_accepts_an_untouched_package(void)
{
	char *dir = package(NULL), *diag;

	CU_ASSERT_EQUAL(verify(dir, &diag), CONF_EXIT_PASS);
	CU_ASSERT_STRING_EQUAL(diag, "");
	free(diag);
	rmtree(dir);
}

static void test_verify_detects_a_changed_file(void)
{
	char *dir = package(NULL), *diag;

	edit(dir, "report.html", "PASS", "PAZZ");
	CU_ASSERT_EQUAL(verify(dir, &diag), CONF_EXIT_FAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(diag, "report.html: sha256"));
	CU_ASSERT_PTR_NOT_NULL(strstr(diag, "does not match SHA256SUMS"));
	free(diag);
	/* resealed: the hashes match, but report.html is not what the JSON renders */
	reseal(dir);
	CU_ASSERT_EQUAL(verify(dir, &diag), CONF_EXIT_FAIL);
	CU_ASSERT_PTR_NULL(strstr(diag, "SHA256SUMS"));
	CU_ASSERT_PTR_NOT_NULL(strstr(diag, "report.html differs"));
	free(diag);
	rmtree(dir);
}

static void test_verify_detects_an_inconsistent_statement(void)
{
	char *dir = package(NULL), *diag;

	edit(dir, "STATEMENT", "\nseed: 11\n", "\nseed: 12\n");
	reseal(dir);
	CU_ASSERT_EQUAL(verify(dir, &diag), CONF_EXIT_FAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(diag, "STATEMENT line"));
	CU_ASSERT_PTR_NOT_NULL(strstr(diag, "'seed: 12' is not consistent"));
	free(diag);
	rmtree(dir);
}

static void test_verify_detects_an_edited_result(void)
{
	char *dir = package("vendor_id=0x1234"), *diag;

	CU_ASSERT_EQUAL(verify(dir, &diag), CONF_EXIT_FAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(diag, "must-pass: PCI-DEV-02 (MUST) is fail"));
	free(diag);
	/* hiding the failure breaks the evidence rule */
	edit(dir, "conformance.json", "\"status\": \"fail\"", "\"status\": \"pass\"");
	reseal(dir);
	CU_ASSERT_EQUAL(verify(dir, &diag), CONF_EXIT_FAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(diag, "does not follow from its evidence"));
	free(diag);
	rmtree(dir);
}

static void test_verify_refuses_shards_and_broken_sums(void)
{
	struct conf_report *r = run_testnet(NULL, 1, 2, false);
	char *dir = tmpdir(), err[300], *diag;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(conf_write_package(r, dir, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(verify(dir, &diag), CONF_EXIT_FAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(diag, "is shard 1/2"));
	free(diag);
	spit(dir, "SHA256SUMS", "garbage\n", 8);
	CU_ASSERT_EQUAL(verify(dir, &diag), CONF_EXIT_FAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(diag, "SHA256SUMS line 1"));
	free(diag);
	conf_report_free(r);
	rmtree(dir);
	dir = tmpdir();
	CU_ASSERT_EQUAL(verify(dir, &diag), CONF_EXIT_FAIL); /* empty directory */
	CU_ASSERT_PTR_NOT_NULL(strstr(diag, "SHA256SUMS"));
	free(diag);
	rmtree(dir);
}

CU_MAIN("conformance_report",
	CU_TEST_ENTRY(test_two_runs_render_byte_identical_files),
	CU_TEST_ENTRY(test_package_holds_files_and_matching_sums),
	CU_TEST_ENTRY(test_junit_has_one_testcase_per_requirement_and_no_clock),
	CU_TEST_ENTRY(test_html_is_self_contained),
	CU_TEST_ENTRY(test_markdown_and_statement_carry_the_verdict),
	CU_TEST_ENTRY(test_merged_shards_equal_the_unsharded_run),
	CU_TEST_ENTRY(test_merged_evidence_is_in_check_name_order),
	CU_TEST_ENTRY(test_merge_refuses_mismatched_shards),
	CU_TEST_ENTRY(test_verify_accepts_an_untouched_package),
	CU_TEST_ENTRY(test_verify_detects_a_changed_file),
	CU_TEST_ENTRY(test_verify_detects_an_inconsistent_statement),
	CU_TEST_ENTRY(test_verify_detects_an_edited_result),
	CU_TEST_ENTRY(test_verify_refuses_shards_and_broken_sums));
