// SPDX-License-Identifier: MIT
/*
 * Every check is proven both ways: the reference IFCVF device passes it, and
 * each mutant (conformance/mutants/, a deliberately broken IFCVF variant)
 * makes its target check fail its target requirement with a message.  Every
 * registered device-side check has at least one mutant.
 */
#include "conformance/conf_priv.h"
#include "conformance/mutants/mutant.h"
#include "tests/unit/cu_main.h"

#include <stdio.h>
#include <string.h>

static FILE *devnull(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

static struct conf_report *run_check(const char *check, const char *mutant, unsigned rings)
{
	struct conf_run_config c = {
		.device = "ifcvf",
		.mutant = mutant,
		.only = check,
		.rings = rings ? rings : CONF_RING_SPLIT,
		.seed = 1,
		.quiet = true,
		.diag = devnull(),
	};
	struct conf_report *r = NULL;

	CU_ASSERT_EQUAL(conf_run_report(&c, &r), CONF_EXIT_PASS);
	return r;
}

static const struct conf_result *row(const struct conf_report *r, const char *id)
{
	int i = conf_req_index(id);

	CU_ASSERT_FATAL(i >= 0);
	return &r->res[i];
}

/* The check set MUST rows, none failed or errored (SHOULD rows may fail). */
static bool check_clean(const struct conf_report *r, const char *check, char *why, size_t len)
{
	unsigned n = 0;

	for (size_t i = 0; i < r->nres; i++)
		for (size_t k = 0; k < r->res[i].nev; k++) {
			const struct conf_evidence *e = &r->res[i].ev[k];

			if (strcmp(e->check, check) || !conf_level_must(r->res[i].level))
				continue;
			n++;
			if (e->status == CONF_FAIL || e->status == CONF_ERROR) {
				snprintf(why, len, "%s %s: %s", r->res[i].id,
					 conf_status_name(e->status), e->message);
				return false;
			}
		}
	snprintf(why, len, "%s set no row", check);
	return n > 0;
}

static void test_reference_ifcvf_passes_every_mutants_check(void)
{
	for (const struct conf_mutant *const *m = conf_mutants; *m; m++) {
		struct conf_report *r;
		char why[1200];
		bool seen = false;

		/* once per (check, rings) */
		for (const struct conf_mutant *const *p = conf_mutants; p < m; p++)
			if (!strcmp((*p)->check, (*m)->check) && (*p)->rings == (*m)->rings)
				seen = true;
		if (seen)
			continue;
		r = run_check((*m)->check, NULL, (*m)->rings);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		if (!check_clean(r, (*m)->check, why, sizeof(why))) {
			printf("\n    reference fails %s: %s", (*m)->check, why);
			CU_FAIL("the reference device fails a check");
		}
		CU_ASSERT_EQUAL(row(r, (*m)->requirement)->status, CONF_PASS);
		conf_report_free(r);
	}
}

static void test_every_mutant_fails_its_check_with_a_message(void)
{
	for (const struct conf_mutant *const *m = conf_mutants; *m; m++) {
		struct conf_report *r = run_check((*m)->check, (*m)->name, (*m)->rings);
		const struct conf_result *x;
		bool msg = false;

		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		x = row(r, (*m)->requirement);
		for (size_t k = 0; k < x->nev; k++)
			if (x->ev[k].status == CONF_FAIL && strlen(x->ev[k].message) > 10)
				msg = true;
		if (x->status != CONF_FAIL || !msg) {
			printf("\n    mutant %s (%s): %s is %s", (*m)->name, (*m)->bug,
			       (*m)->requirement, conf_status_name(x->status));
			CU_FAIL("a mutant was not caught");
		}
		CU_ASSERT_FALSE(conf_report_passed(r));
		conf_report_free(r);
	}
}

static void test_every_device_check_has_a_mutant(void)
{
	for (const struct conf_check *const *c = conf_checks; *c; c++) {
		bool found = false;

		for (const struct conf_mutant *const *m = conf_mutants; *m && !found; m++)
			found = !strcmp((*m)->check, (*c)->name);
		if (!found) {
			printf("\n    check %s has no mutant", (*c)->name);
			CU_FAIL("a check without a mutant");
		}
	}
}

static void test_mutant_names_are_unique_and_resolve(void)
{
	size_t n = 0;

	for (const struct conf_mutant *const *m = conf_mutants; *m; m++, n++) {
		CU_ASSERT_PTR_EQUAL(conf_mutant_find((*m)->name), *m);
		CU_ASSERT(conf_req_index((*m)->requirement) >= 0);
		CU_ASSERT_PTR_NOT_NULL((*m)->bug);
	}
	CU_ASSERT(n >= 20);
	CU_ASSERT_PTR_NULL(conf_mutant_find("no_such_mutant"));
}

CU_MAIN("conformance_mutants",
	CU_TEST_ENTRY(test_mutant_names_are_unique_and_resolve),
	CU_TEST_ENTRY(test_every_device_check_has_a_mutant),
	CU_TEST_ENTRY(test_reference_ifcvf_passes_every_mutants_check),
	CU_TEST_ENTRY(test_every_mutant_fails_its_check_with_a_message));
