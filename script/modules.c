// SPDX-License-Identifier: MIT
/*
 * The registries other components extend, compiled in: a component adds one
 * line here for its Lua module (functions in the `sim` table or globals) and
 * one per `vdpasim list` category it provides.  Constant tables, so nothing
 * here is mutable state.
 */
#include "conformance/conformance.h"
#include "script/runner.h"
#include "script/topo.h"

#include <stddef.h>

const struct lsim_module lsim_modules[] = {
	{ "topology", ltopo_lua_open },
	{ NULL, NULL },
};

const char *const lsim_list_categories[] = {
	"devices", "scenarios", "requirements", "checks", NULL,
};

const struct lsim_lister lsim_listers[] = {
	{ "scenarios", lsim_list_scenarios },
	{ "requirements", conf_list_requirements },
	{ "checks", conf_list_checks },
	{ "devices", conf_list_devices },
	{ NULL, NULL },
};
