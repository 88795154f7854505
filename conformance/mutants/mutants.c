// SPDX-License-Identifier: MIT
/*
 * The mutant registry: every deliberately broken IFCVF variant, in the order
 * tests/unit/test_conformance_mutants.c runs them.  A mutant is defined with
 * CONF_MUTANT in the file of the check it targets (mut_<check>.c) and joins
 * here with a declaration and one line.
 */
#include "conformance/mutants/mutant.h"

#include <string.h>

#define M(id) extern const struct conf_mutant id;
#include "conformance/mutants/mutant_list.h"
#undef M

const struct conf_mutant *const conf_mutants[] = {
#define M(id) &id,
#include "conformance/mutants/mutant_list.h"
#undef M
	NULL,
};

const struct conf_mutant *conf_mutant_find(const char *name)
{
	for (const struct conf_mutant *const *m = conf_mutants; *m; m++)
		if (!strcmp((*m)->name, name))
			return *m;
	return NULL;
}
