// SPDX-License-Identifier: MIT
/*
 * Conformance suite: the catalogue (compiled table == TSV), area and chapter
 * derivation, status combination, profiles and applicability, the check
 * registry and device descriptor validation.
 */
#include "conformance/conf_priv.h"
#include "sim/devhost/devhost.h"
#include "tests/unit/cu_main.h"
#include "vdpasim/uapi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define F(bit) (1ULL << (bit))

static char *slurp(const char *path, size_t *len)
{
	char *text;

	if (conf_read_file(path, 1u << 24, &text, len))
		return NULL;
	return text;
}

/* ---- catalogue ------------------------------------------------------------------------------ */

static void test_catalogue_holds_617_unique_requirements(void)
{
	CU_ASSERT_EQUAL(conf_nrequirements, 617);
	CU_ASSERT_STRING_EQUAL(conf_requirements[0].id, "STATUS-DRV-01");
	for (size_t i = 0; i < conf_nrequirements; i++) {
		CU_ASSERT_EQUAL(conf_req_index(conf_requirements[i].id), (int)i);
		CU_ASSERT(!strcmp(conf_requirements[i].actor, "device") ||
			  !strcmp(conf_requirements[i].actor, "driver"));
	}
	CU_ASSERT_EQUAL(conf_req_index("NO-SUCH-01"), -1);
	CU_ASSERT_PTR_NULL(conf_req_find(NULL));
}

static void test_compiled_table_matches_requirements_tsv(void)
{
	struct conf_catalogue cat;
	char err[200], hex[65];
	size_t len;
	char *text = slurp("conformance/requirements.tsv", &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(text); /* run from the source tree */
	CU_ASSERT_EQUAL_FATAL(conf_catalogue_parse(text, len, &cat, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cat.n, conf_nrequirements);
	for (size_t i = 0; i < cat.n && i < conf_nrequirements; i++) {
		const struct conf_req *a = &cat.rows[i], *b = &conf_requirements[i];

		CU_ASSERT_STRING_EQUAL(a->id, b->id);
		CU_ASSERT_STRING_EQUAL(a->section, b->section);
		CU_ASSERT_STRING_EQUAL(a->actor, b->actor);
		CU_ASSERT_STRING_EQUAL(a->level, b->level);
		CU_ASSERT_STRING_EQUAL(a->paraphrase, b->paraphrase);
		CU_ASSERT_STRING_EQUAL(a->testable, b->testable);
		CU_ASSERT_STRING_EQUAL(a->how, b->how);
	}
	CU_ASSERT_EQUAL(eng_sha256_file("conformance/requirements.tsv", hex), 0);
	CU_ASSERT_STRING_EQUAL(hex, conf_catalogue_sha256);
	conf_catalogue_free(&cat);
	free(text);
}

static void expect_tsv_error(const char *text, const char *what)
{
	struct conf_catalogue cat;
	char err[200] = "";

	CU_ASSERT_EQUAL(conf_catalogue_parse(text, strlen(text), &cat, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
	CU_ASSERT_PTR_NULL(cat.rows);
}

static void test_tsv_reader_rejects_malformed_rows(void)
{
	static const char hdr[] =
		"id\tspec_section\tactor\tlevel\tparaphrase\ttestable_in_sim\thow_to_test\n";
	char buf[512];

	expect_tsv_error("id\tsection\n", "line 1");
	expect_tsv_error("ID\tspec_section\tactor\tlevel\tparaphrase\ttestable_in_sim\thow_to_test\n",
			 "header field 1");
	snprintf(buf, sizeof(buf), "%sA-DEV-01\ts\tdevice\tMUST\tp\tyes\n", hdr);
	expect_tsv_error(buf, "line 2: expected 7");
	snprintf(buf, sizeof(buf), "%sA-DEV-01\ts\tdevice\tMUST\t\tyes\th\n", hdr);
	expect_tsv_error(buf, "empty field 'paraphrase'");
	snprintf(buf, sizeof(buf), "%sA-DEV-01\ts\tdevice\tMUST\tp\tyes\th\nA-DEV-01\ts\tdevice\tMUST"
		 "\tp\tyes\th\n", hdr);
	expect_tsv_error(buf, "line 3: duplicate id A-DEV-01");
	snprintf(buf, sizeof(buf), "%sA-DEV-01\ts\tdevice\tMUST\tp\tyes\th", hdr);
	expect_tsv_error(buf, "no newline");
	snprintf(buf, sizeof(buf), "%sA-DEV-01\ts\tdevice\tMUST\tp\tyes\th\r\n", hdr);
	expect_tsv_error(buf, "CR");
	expect_tsv_error("", "empty");
}

static void test_area_drops_actor_and_row_number(void)
{
	static const char *const cases[][2] = {
		{ "STATUS-DRV-01", "STATUS" },	 { "NET-TX-DEV-03", "NET-TX" },
		{ "PCI-DEV-X01", "PCI" },	 { "NET-VQ-X02", "NET-VQ" },
		{ "ADMIN-CAP-DEV-01", "ADMIN-CAP" }, { "VQRESET-DEV-02", "VQRESET" },
	};
	char area[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(conf_area(cases[i][0], area, sizeof(area)),
				(int)strlen(cases[i][1]));
		CU_ASSERT_STRING_EQUAL(area, cases[i][1]);
	}
	CU_ASSERT_EQUAL(conf_area("", area, sizeof(area)), -EINVAL);
	CU_ASSERT_EQUAL(conf_area("PCI", area, sizeof(area)), -EINVAL);
	CU_ASSERT_EQUAL(conf_area("PCI-DEV-", area, sizeof(area)), -EINVAL);
	CU_ASSERT_EQUAL(conf_area("pci-DEV-01", area, sizeof(area)), -EINVAL);
	CU_ASSERT_EQUAL(conf_area("PCI--01", area, sizeof(area)), -EINVAL);
	CU_ASSERT_EQUAL(conf_area("-01", area, sizeof(area)), -EINVAL);
	CU_ASSERT_EQUAL(conf_area("NET-TX-DEV-03", area, 4), -EINVAL); /* too small */
	for (size_t i = 0; i < conf_nrequirements; i++)
		CU_ASSERT(conf_area(conf_requirements[i].id, area, sizeof(area)) > 0);
}

static void test_core_areas_are_matched_by_first_token(void)
{
	CU_ASSERT(conf_core_area("NET-TX"));
	CU_ASSERT(conf_core_area("PCI"));
	CU_ASSERT(conf_core_area("VQRESET"));
	CU_ASSERT(conf_core_area("CLEANUP"));
	CU_ASSERT_FALSE(conf_core_area("ADMIN-CAP"));
	CU_ASSERT_FALSE(conf_core_area("SUSPEND"));
	CU_ASSERT_FALSE(conf_core_area("NETX"));
	CU_ASSERT_FALSE(conf_core_area("RSVFEAT"));
	CU_ASSERT_FALSE(conf_core_area(NULL));
}

static void test_chapter_comes_from_the_section_number(void)
{
	CU_ASSERT_EQUAL(conf_chapter("2.1.1 Driver Requirements: Device Status Field"), 2);
	CU_ASSERT_EQUAL(conf_chapter("4.1.2.1 Device Requirements: PCI Device Discovery"), 4);
	CU_ASSERT_EQUAL(conf_chapter("6.1 Driver Requirements: Reserved Feature Bits"), 6);
	CU_ASSERT_EQUAL(conf_chapter("12.3 x"), 12);
	CU_ASSERT_EQUAL(conf_chapter("spec_section"), 0);
	CU_ASSERT_EQUAL(conf_chapter(""), 0);
	CU_ASSERT_EQUAL(conf_chapter("99999999999999999999.1"), 0);
	CU_ASSERT_STRING_EQUAL(conf_chapter_title(4), "Virtio Transport Options");
	CU_ASSERT_STRING_EQUAL(conf_chapter_title(0), "");
	for (size_t i = 0; i < conf_nrequirements; i++) {
		int c = conf_chapter(conf_requirements[i].section);

		CU_ASSERT(c >= 2 && c <= 6);
	}
}

static void test_levels_and_testability(void)
{
	size_t must = 0, testable = 0;

	CU_ASSERT(conf_level_must("MUST"));
	CU_ASSERT(conf_level_must("MUST NOT"));
	CU_ASSERT_FALSE(conf_level_must("SHOULD"));
	CU_ASSERT_FALSE(conf_level_must("MAY"));
	for (size_t i = 0; i < conf_nrequirements; i++) {
		must += conf_level_must(conf_requirements[i].level);
		testable += conf_req_testable(&conf_requirements[i]);
	}
	CU_ASSERT_EQUAL(must, 441);
	CU_ASSERT_EQUAL(testable, 563);
}

/* ---- statuses ------------------------------------------------------------------------------- */

static void test_fail_beats_error_beats_not_applicable_beats_pass(void)
{
	CU_ASSERT_EQUAL(conf_combine(CONF_PASS, CONF_FAIL), CONF_FAIL);
	CU_ASSERT_EQUAL(conf_combine(CONF_FAIL, CONF_ERROR), CONF_FAIL);
	CU_ASSERT_EQUAL(conf_combine(CONF_PASS, CONF_ERROR), CONF_ERROR);
	CU_ASSERT_EQUAL(conf_combine(CONF_PASS, CONF_NOT_APPLICABLE), CONF_NOT_APPLICABLE);
	CU_ASSERT_EQUAL(conf_combine(CONF_NOT_TESTED, CONF_PASS), CONF_PASS);
	CU_ASSERT_EQUAL(conf_combine(CONF_NOT_TESTED, CONF_NOT_TESTED), CONF_NOT_TESTED);
}

static void test_combination_is_commutative_and_associative(void)
{
	for (int a = 0; a < CONF_NSTATUS; a++)
		for (int b = 0; b < CONF_NSTATUS; b++) {
			CU_ASSERT_EQUAL(conf_combine(a, b), conf_combine(b, a));
			for (int c = 0; c < CONF_NSTATUS; c++)
				CU_ASSERT_EQUAL(conf_combine(conf_combine(a, b), c),
						conf_combine(a, conf_combine(b, c)));
		}
}

static void test_status_names_round_trip(void)
{
	enum conf_status s;

	for (int i = 0; i < CONF_NSTATUS; i++) {
		CU_ASSERT_EQUAL(conf_status_parse(conf_status_name(i), &s), 0);
		CU_ASSERT_EQUAL((int)s, i);
	}
	CU_ASSERT_STRING_EQUAL(conf_status_name(CONF_NOT_APPLICABLE), "not_applicable");
	CU_ASSERT_EQUAL(conf_status_parse("PASS", &s), -EINVAL);
	CU_ASSERT_EQUAL(conf_status_parse(NULL, &s), -EINVAL);
}

/* ---- profiles and applicability ------------------------------------------------------------- */

static void test_profile_follows_offered_features(void)
{
	char buf[128], bad[32];
	unsigned items;

	CU_ASSERT_EQUAL(conf_profile_offered(0), CONF_P_SPLIT);
	items = conf_profile_offered(F(VIRTIO_F_RING_PACKED) | F(VIRTIO_RING_F_EVENT_IDX) |
				     F(VIRTIO_NET_F_MQ) | F(VIRTIO_F_VERSION_1));
	CU_ASSERT_EQUAL(items, CONF_P_SPLIT | CONF_P_PACKED | CONF_P_EVENT_IDX | CONF_P_MQ);
	conf_profile_format(items, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "split,packed,event_idx,mq");
	conf_profile_format(0, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "none");
	CU_ASSERT_EQUAL(conf_profile_parse("mq,split", &items, bad, sizeof(bad)), 0);
	CU_ASSERT_EQUAL(items, CONF_P_SPLIT | CONF_P_MQ);
	CU_ASSERT_EQUAL(conf_profile_parse("split,jumbo", &items, bad, sizeof(bad)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(bad, "jumbo");
	CU_ASSERT_EQUAL(conf_profile_parse("split,", &items, bad, sizeof(bad)), -EINVAL);
	CU_ASSERT_EQUAL(conf_profile_parse("", &items, bad, sizeof(bad)), -EINVAL);
	CU_ASSERT_EQUAL(conf_profile_features(CONF_P_SPLIT), 0);
	CU_ASSERT_EQUAL(conf_profile_features(CONF_P_SUSPEND | CONF_P_CTRL_VQ),
			F(VIRTIO_F_SUSPEND) | F(VIRTIO_NET_F_CTRL_VQ));
}

static void test_requirement_needing_unoffered_feature_is_not_applicable(void)
{
	char why[160];

	CU_ASSERT_FALSE(conf_req_applicable("PACKED-DEV-01", F(VIRTIO_F_VERSION_1), why,
					    sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "VIRTIO_F_RING_PACKED"));
	CU_ASSERT(conf_req_applicable("PACKED-DEV-01", F(VIRTIO_F_RING_PACKED), why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "");
	CU_ASSERT_FALSE(conf_req_applicable("PACKED-DEV-X10", F(VIRTIO_F_RING_PACKED), why,
					    sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "EVENT_IDX"));
	CU_ASSERT(conf_req_applicable("SPLIT-DEV-01", 0, why, sizeof(why)));
	CU_ASSERT(conf_req_applicable("SPLIT-DEV-09", 0, why, sizeof(why))); /* "Without EVENT_IDX" */
	CU_ASSERT_FALSE(conf_req_applicable("SPLIT-DEV-13", 0, why, sizeof(why)));
	CU_ASSERT_FALSE(conf_req_applicable("SUSPEND-DEV-01", 0, why, sizeof(why)));
	CU_ASSERT_EQUAL(conf_req_rings("SPLIT-DEV-01"), CONF_RING_SPLIT);
	CU_ASSERT_EQUAL(conf_req_rings("PACKED-DEV-01"), CONF_RING_PACKED);
	CU_ASSERT_EQUAL(conf_req_rings("PCI-DEV-02"), 0);
	CU_ASSERT_EQUAL(conf_req_features("NET-RXF-DEV-05"),
			F(VIRTIO_NET_F_CTRL_RX) | F(VIRTIO_NET_F_CTRL_VQ) |
			F(VIRTIO_NET_F_CTRL_RX_EXTRA));
}

static void test_rows_about_an_absent_feature_need_it_not_offered(void)
{
	char why[160];

	CU_ASSERT(conf_req_applicable("PCI-DEV-29", 0, why, sizeof(why)));
	CU_ASSERT_FALSE(conf_req_applicable("PCI-DEV-29", F(VIRTIO_F_NOTIFICATION_DATA), why,
					    sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "not offered"));
	CU_ASSERT_FALSE(conf_req_applicable("PCI-DEV-34", 0, why, sizeof(why)));
	CU_ASSERT(conf_req_applicable("PCI-DEV-34", F(VIRTIO_F_NOTIFICATION_DATA), why,
				      sizeof(why)));
	/* any-of: RSS or HASH_REPORT */
	CU_ASSERT_FALSE(conf_req_applicable("NET-CFG-DEV-07", 0, why, sizeof(why)));
	CU_ASSERT(conf_req_applicable("NET-CFG-DEV-07", F(VIRTIO_NET_F_HASH_REPORT), why,
				      sizeof(why)));
	CU_ASSERT(conf_req_applicable("NET-CFG-DEV-07", F(VIRTIO_NET_F_RSS), why, sizeof(why)));
}

static void test_applicability_rules_name_catalogue_rows(void)
{
	char bad[64] = "";

	CU_ASSERT_EQUAL(conf_needs_validate(bad, sizeof(bad)), 0);
	CU_ASSERT_STRING_EQUAL(bad, "");
}

/* ---- checks and devices --------------------------------------------------------------------- */

static void test_registered_checks_declare_catalogue_rows(void)
{
	const struct conf_check *const *lists[] = { conf_checks, conf_selftest_checks };
	size_t n = 0;

	for (size_t l = 0; l < 2; l++)
		for (const struct conf_check *const *c = lists[l]; *c; c++, n++) {
			CU_ASSERT_PTR_NOT_NULL((*c)->run);
			CU_ASSERT_PTR_NOT_NULL((*c)->description);
			CU_ASSERT_PTR_NOT_NULL_FATAL((*c)->requirements);
			for (const char *const *q = (*c)->requirements; *q; q++)
				CU_ASSERT(conf_req_index(*q) >= 0);
			for (const struct conf_check *const *d = conf_checks; *d; d++)
				if (*d != *c)
					CU_ASSERT(strcmp((*d)->name, (*c)->name) != 0);
		}
	CU_ASSERT(n >= 7);
}

static void test_builtin_device_resolves_by_name(void)
{
	struct conf_plugin p;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(conf_plugin_open("testnet", &p, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(p.desc->name, "testnet");
	CU_ASSERT_STRING_EQUAL(p.source, "builtin");
	CU_ASSERT_STRING_EQUAL(p.sha256, "builtin");
	CU_ASSERT_PTR_NULL(p.handle);
	conf_plugin_close(&p);
}

static void test_unknown_device_and_unloadable_file_are_refused(void)
{
	struct conf_plugin p;
	char err[512], path[] = "/tmp/conf-notelf-XXXXXX.so";
	int fd;

	CU_ASSERT_EQUAL(conf_plugin_open("nosuchdev", &p, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown device 'nosuchdev'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "testnet"));
	CU_ASSERT_EQUAL(conf_plugin_open("/nonexistent/libx.so", &p, err, sizeof(err)), -ENOENT);
	CU_ASSERT_EQUAL(conf_plugin_open("", &p, err, sizeof(err)), -EINVAL);
	fd = mkstemps(path, 3);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "not an ELF file\n", 16), 16);
	close(fd);
	CU_ASSERT_EQUAL(conf_plugin_open(path, &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot be loaded"));
	unlink(path);
}

static uint64_t dummy_read(void *dev, uint8_t bar, uint64_t off, uint8_t size)
{
	(void)dev, (void)bar, (void)off, (void)size;
	return 0;
}

static void dummy_write(void *dev, uint8_t bar, uint64_t off, uint8_t size, uint64_t v)
{
	(void)dev, (void)bar, (void)off, (void)size, (void)v;
}

static int dummy_create(const struct vdpasim_host_ops *ops, void *host, const char *options,
			struct vdpasim_pci_layout *l, void **dev)
{
	(void)ops, (void)host, (void)options, (void)l, (void)dev;
	return -EINVAL;
}

static void dummy_void(void *dev)
{
	(void)dev;
}

/* The descriptor checks are sim/devhost's (one plugin loader in the project);
 * the messages a vendor reads come from there. */
static void test_descriptor_with_other_abi_or_size_is_refused(void)
{
	struct vdpasim_device_plugin d = {
		.abi_version = VDPASIM_PLUGIN_ABI_VERSION,
		.size = sizeof(d),
		.name = "x",
		.create = dummy_create,
		.destroy = dummy_void,
		.mmio_read = dummy_read,
		.mmio_write = dummy_write,
		.reset = dummy_void,
	};
	char err[512];

	CU_ASSERT_EQUAL(devh_plugin_check(&d, err, sizeof(err)), 0);
	d.abi_version = 7;
	CU_ASSERT_EQUAL(devh_plugin_check(&d, err, sizeof(err)), -EPROTO);
	/* the message names both versions */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ABI version 7"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "supports version 1"));
	d.abi_version = VDPASIM_PLUGIN_ABI_VERSION;
	d.size = 16;
	CU_ASSERT_EQUAL(devh_plugin_check(&d, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "descriptor size 16"));
	d.size = sizeof(d) + 64; /* a later minor version appended fields */
	CU_ASSERT_EQUAL(devh_plugin_check(&d, err, sizeof(err)), 0);
	d.mmio_write = NULL;
	CU_ASSERT_EQUAL(devh_plugin_check(&d, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "mandatory callback"));
	d.mmio_write = dummy_write;
	d.name = NULL;
	CU_ASSERT_EQUAL(devh_plugin_check(&d, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(devh_plugin_check(NULL, err, sizeof(err)), -EINVAL);
}

/* ---- strings ---------------------------------------------------------------------------------- */

static void test_clean_strings_are_valid_utf8_without_controls(void)
{
	char *s = conf_clean_strdup("ok \xc3\xa9 \x01 \xff\xfe tab\tnl\n\xed\xa0\x80", 100);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "ok \xc3\xa9 ? ?? tab\tnl\n???");
	free(s);
	s = conf_clean_strdup("abcdef", 3);
	CU_ASSERT_STRING_EQUAL(s, "abc");
	free(s);
	s = conf_clean_strdup(NULL, 3);
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
}

CU_MAIN("conformance",
	CU_TEST_ENTRY(test_catalogue_holds_617_unique_requirements),
	CU_TEST_ENTRY(test_compiled_table_matches_requirements_tsv),
	CU_TEST_ENTRY(test_tsv_reader_rejects_malformed_rows),
	CU_TEST_ENTRY(test_area_drops_actor_and_row_number),
	CU_TEST_ENTRY(test_core_areas_are_matched_by_first_token),
	CU_TEST_ENTRY(test_chapter_comes_from_the_section_number),
	CU_TEST_ENTRY(test_levels_and_testability),
	CU_TEST_ENTRY(test_fail_beats_error_beats_not_applicable_beats_pass),
	CU_TEST_ENTRY(test_combination_is_commutative_and_associative),
	CU_TEST_ENTRY(test_status_names_round_trip),
	CU_TEST_ENTRY(test_profile_follows_offered_features),
	CU_TEST_ENTRY(test_requirement_needing_unoffered_feature_is_not_applicable),
	CU_TEST_ENTRY(test_rows_about_an_absent_feature_need_it_not_offered),
	CU_TEST_ENTRY(test_applicability_rules_name_catalogue_rows),
	CU_TEST_ENTRY(test_registered_checks_declare_catalogue_rows),
	CU_TEST_ENTRY(test_builtin_device_resolves_by_name),
	CU_TEST_ENTRY(test_unknown_device_and_unloadable_file_are_refused),
	CU_TEST_ENTRY(test_descriptor_with_other_abi_or_size_is_refused),
	CU_TEST_ENTRY(test_clean_strings_are_valid_utf8_without_controls));
