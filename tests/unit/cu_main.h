/* SPDX-License-Identifier: MIT */
/*
 * Shared main() for the CUnit test programs.  A test file ends with
 *     CU_MAIN("engine", CU_TEST_ENTRY(test_a), CU_TEST_ENTRY(test_b));
 * The basic runner's own status does not reflect failures, so the process exit
 * status is computed from the failure records.  An optional argument narrows
 * the run to tests whose name contains it.
 */
#ifndef VDPASIM_TEST_CU_MAIN_H
#define VDPASIM_TEST_CU_MAIN_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

struct cu_test {
	const char *name;
	void (*fn)(void);
};

#define CU_TEST_ENTRY(f) { #f, f }

static inline int cu_run(const char *suite_name, const struct cu_test *tests, size_t n,
			 int argc, char **argv)
{
	CU_pSuite suite;
	unsigned failures, run, tfail;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 3;
	suite = CU_add_suite(suite_name, NULL, NULL);
	if (!suite)
		return 3;
	for (size_t i = 0; i < n; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			return 3;
	}
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failures = CU_get_number_of_failure_records();
	run = CU_get_number_of_tests_run();
	tfail = CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	printf("%s: %u tests run, %u failed, %u assertion failures\n", suite_name, run, tfail,
	       failures);
	return failures ? 1 : 0;
}

#define CU_MAIN(suite_name, ...)                                                      \
	int main(int argc, char **argv)                                               \
	{                                                                             \
		static const struct cu_test tests[] = { __VA_ARGS__ };                \
		return cu_run(suite_name, tests, sizeof(tests) / sizeof(tests[0]), argc, \
			      argv);                                                  \
	}

#endif
