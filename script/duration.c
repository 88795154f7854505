// SPDX-License-Identifier: MIT
/*
 * Durations for scripts: numbers are nanoseconds, strings carry a unit.
 * Strings are converted with integer arithmetic so "1.5us" is exactly
 * 1500000 ps, never 1499999 through a binary fraction.
 */
#include "script/internal.h"

#include <ctype.h>
#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <string.h>

struct unit {
	const char *name;
	unsigned digits; /* the unit is 10^digits ps */
};

static const struct unit units[] = {
	{ "ps", 0 }, { "ns", 3 }, { "us", 6 }, { "\xc2\xb5s", 6 }, { "ms", 9 }, { "s", 12 },
};

static const uint64_t pow10_u64[] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
	100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
};

int lsim_parse_duration(const char *s, sim_time_t *ps)
{
	const char *p = s, *frac = NULL, *u;
	size_t nfrac = 0, i;
	uint64_t whole = 0, v, f = 0;
	bool digits = false, overflow = false;
	const struct unit *unit = NULL;

	while (isspace((unsigned char)*p))
		p++;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		digits = true;
		if (whole > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			whole = whole * 10 + d;
	}
	if (*p == '.') {
		frac = ++p;
		while (isdigit((unsigned char)*p))
			p++;
		nfrac = (size_t)(p - frac);
		digits = digits || nfrac;
	}
	if (!digits)
		return -EINVAL;
	while (isspace((unsigned char)*p))
		p++;
	u = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == (size_t)(p - u) &&
		    !memcmp(units[i].name, u, (size_t)(p - u)))
			unit = &units[i];
	while (isspace((unsigned char)*p))
		p++;
	if (!unit || *p)
		return -EINVAL;
	if (overflow || whole > UINT64_MAX / pow10_u64[unit->digits])
		return -ERANGE;
	v = whole * pow10_u64[unit->digits];
	/* fraction digits down to 1 ps, then round half up on the next one */
	for (i = 0; i < unit->digits; i++)
		f = f * 10 + (i < nfrac ? (uint64_t)(frac[i] - '0') : 0);
	if (nfrac > unit->digits && frac[unit->digits] >= '5')
		f++;
	if (f > UINT64_MAX - v)
		return -ERANGE;
	*ps = v + f;
	return 0;
}

int lsim_duration_from_ns(double ns, sim_time_t *ps)
{
	double v;

	if (isnan(ns) || ns < 0)
		return -EINVAL;
	v = floor(ns * 1000.0 + 0.5);
	if (!(v < 18446744073709551616.0)) /* 2^64 */
		return -ERANGE;
	*ps = (sim_time_t)v;
	return 0;
}

sim_time_t lsim_checkduration(lua_State *L, int arg)
{
	sim_time_t ps = 0;
	int err = -EINVAL;

	switch (lua_type(L, arg)) {
	case LUA_TNUMBER:
		if (lua_isinteger(L, arg)) {
			lua_Integer n = lua_tointeger(L, arg);

			if (n < 0)
				err = -EINVAL;
			else if ((uint64_t)n > UINT64_MAX / 1000)
				err = -ERANGE;
			else {
				ps = (sim_time_t)n * 1000;
				err = 0;
			}
		} else {
			err = lsim_duration_from_ns(lua_tonumber(L, arg), &ps);
		}
		if (err == -ERANGE)
			luaL_argerror(L, arg, "duration too large");
		if (err)
			luaL_argerror(L, arg, "duration must be a non-negative number of ns");
		return ps;
	case LUA_TSTRING:
		err = lsim_parse_duration(lua_tostring(L, arg), &ps);
		if (err == -ERANGE)
			luaL_argerror(L, arg, "duration too large");
		if (err)
			luaL_argerror(L, arg,
				      lua_pushfstring(L, "bad duration '%s' (a number of ns, or a "
						      "string like \"10us\"; units ps ns us ms s)",
						      lua_tostring(L, arg)));
		return ps;
	default:
		luaL_typeerror(L, arg, "duration (number of ns or string like \"10us\")");
		return 0;
	}
}
