// SPDX-License-Identifier: MIT
/*
 * The scenario sandbox: which standard libraries a script sees, the memory
 * cap, the instruction watchdog, require() limited to scenario libraries, and
 * the replacements that keep a run reproducible:
 *  - pairs() visits keys in a fixed order: Lua seeds its string hash from the
 *    clock and addresses at state creation, so the stock order changes from
 *    run to run;
 *  - table.sort() is a stable merge sort: the stock quicksort picks random
 *    pivots from the clock for large arrays, so equal elements could land in a
 *    different order each run;
 *  - math.randomseed() without arguments reseeds from the run's "lua" stream.
 */
#include "script/internal.h"

#include <errno.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- memory cap --------------------------------------------------------------- */

void *lsim_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct lsim_session *s = ud;
	size_t old = ptr ? osize : 0; /* without a block, osize is a type tag */
	void *p;

	if (nsize == 0) {
		free(ptr);
		s->mem_used -= old;
		return NULL;
	}
	if (nsize > old && (s->mem_used > s->mem_limit || nsize - old > s->mem_limit - s->mem_used))
		return NULL;
	p = realloc(ptr, nsize);
	if (!p) {
		if (nsize > old)
			return NULL;
		p = ptr; /* Lua relies on shrinking never failing: keep the bigger block */
	}
	s->mem_used = s->mem_used - old + nsize;
	return p;
}

/* ---- instruction watchdog ----------------------------------------------------- */

static void watchdog_hook(lua_State *L, lua_Debug *ar)
{
	struct lsim_session *s = lsim_session_of(L);

	s->instr_count += (uint64_t)s->hook_step;
	if (!s->watchdog_fired && s->instr_count < s->instr_limit)
		return;
	if (!s->watchdog_fired) {
		s->watchdog_fired = true;
		if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
			snprintf(s->watchdog_msg, sizeof(s->watchdog_msg),
				 "%s:%d: instruction limit exceeded (%llu instructions)",
				 ar->short_src, ar->currentline,
				 (unsigned long long)s->instr_limit);
		else
			snprintf(s->watchdog_msg, sizeof(s->watchdog_msg),
				 "instruction limit exceeded (%llu instructions)",
				 (unsigned long long)s->instr_limit);
		/*
		 * From now on every instruction of this thread raises: a script that
		 * catches the error with pcall still unwinds, one level per
		 * instruction, and the runner ends the run whatever the script did.
		 */
		lua_sethook(L, watchdog_hook, LUA_MASKCOUNT, 1);
	}
	lua_pushstring(L, s->watchdog_msg);
	lua_error(L);
}

/*
 * Work done outside the Lua VM counts too: each wake-up of a scenario coroutine
 * is charged as one instruction.  A sim.wait_until() whose predicate is a C
 * function (sim.log, say) runs no Lua instruction per poll, so without this its
 * polls were bounded by nothing but simulated time.  True when the limit is
 * exceeded (the watchdog has fired, the run must end as a script error).
 */
bool lsim_watchdog_charge(struct lsim_session *s, uint64_t n)
{
	s->instr_count += n;
	if (s->watchdog_fired || s->instr_count < s->instr_limit)
		return s->watchdog_fired;
	s->watchdog_fired = true;
	snprintf(s->watchdog_msg, sizeof(s->watchdog_msg),
		 "instruction limit exceeded (%llu instructions)",
		 (unsigned long long)s->instr_limit);
	return true;
}

/* Threads created later (scenario coroutines, coroutine.create) inherit the hook. */
void lsim_install_watchdog(struct lsim_session *s, lua_State *L)
{
	s->hook_step = s->instr_limit < 100000 ? (int)s->instr_limit : 100000;
	if (s->hook_step < 1)
		s->hook_step = 1;
	lua_sethook(L, watchdog_hook, LUA_MASKCOUNT, s->hook_step);
}

/* ---- load: text chunks only --------------------------------------------------- */

static int safe_load(lua_State *L)
{
	int n = lua_gettop(L);

	/* keep the argument count: load() treats a missing env and a nil env differently */
	if (n < 3) {
		lua_settop(L, 3);
		n = 3;
	}
	lua_pushliteral(L, "t");
	lua_replace(L, 3);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, n, LUA_MULTRET);
	return lua_gettop(L);
}

/* ---- setmetatable: no finalizers ---------------------------------------------- */

/*
 * Lua runs __gc metamethods with debug hooks off, so a finalizer escapes the
 * instruction watchdog: a loop in one never ends, not even in lua_close().
 * Scenarios get no finalizers: a metatable with a __gc field is refused.  Lua
 * marks an object for finalization only when its metatable is set, so adding
 * __gc to the metatable afterwards has no effect.
 */
static int safe_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_argerror(L, 2, "__gc metamethods are not available in scenarios");
		lua_pop(L, 1);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* ---- require: scenario libraries only ----------------------------------------- */

#define LOADED_KEY "vdpasim.loaded"

static bool module_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

/* Pushes "<dir>/lib/<name>.lua" where dir is the scenario's directory. */
static void push_scenario_lib(lua_State *L, const char *scenario, const char *name)
{
	const char *slash = strrchr(scenario, '/');

	if (!slash) {
		lua_pushfstring(L, "lib/%s.lua", name);
		return;
	}
	lua_pushlstring(L, scenario, (size_t)(slash - scenario));
	lua_pushfstring(L, "%s/lib/%s.lua", lua_tostring(L, -1), name);
	lua_remove(L, -2);
}

static bool readable(const char *path)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	fclose(f);
	return true;
}

static int safe_require(lua_State *L)
{
	struct lsim_session *s = lsim_session_of(L);
	const char *name = luaL_checkstring(L, 1);
	const char *dirs = s->cfg.scenarios_dir ? s->cfg.scenarios_dir : "scenarios";
	const char *path = NULL;
	int top;

	if (!module_name_ok(name))
		return luaL_error(L, "require: bad module name '%s' (letters, digits and _ only)",
				  name);
	lua_settop(L, 1);
	lua_getfield(L, LUA_REGISTRYINDEX, LOADED_KEY); /* 2 */
	lua_getfield(L, 2, name);
	if (lua_touserdata(L, -1) == (void *)s)
		return luaL_error(L, "require: '%s' requires itself (through a loop)", name);
	if (!lua_isnil(L, -1))
		return 1;
	lua_pop(L, 1);
	top = lua_gettop(L);
	push_scenario_lib(L, s->cfg.scenario, name);
	lua_pushfstring(L, "%s/lib/%s.lua", dirs, name);
	for (int i = top + 1; i <= top + 2 && !path; i++)
		if (readable(lua_tostring(L, i)))
			path = lua_tostring(L, i);
	if (!path)
		return luaL_error(L, "module '%s' not found (looked for %s and %s)", name,
				  lua_tostring(L, top + 1), lua_tostring(L, top + 2));
	if (luaL_loadfilex(L, path, "t") != LUA_OK)
		return lua_error(L);
	lua_pushlightuserdata(L, s); /* marks "loading" to catch require loops */
	lua_setfield(L, 2, name);
	lua_pushstring(L, name);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		lua_pushnil(L); /* a later require may try again */
		lua_setfield(L, 2, name);
		return lua_error(L);
	}
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, 2, name);
	return 1;
}

/* ---- pairs in a fixed order --------------------------------------------------- */

static int key_rank(lua_State *L, int idx)
{
	switch (lua_type(L, idx)) {
	case LUA_TBOOLEAN: return 0;
	case LUA_TNUMBER: return 1;
	case LUA_TSTRING: return 2;
	default: return 3;
	}
}

/* Order of keys: booleans, numbers, strings (bytewise), then the rest unordered. */
static bool key_less(lua_State *L, int a, int b)
{
	int ra = key_rank(L, a), rb = key_rank(L, b);

	if (ra != rb)
		return ra < rb;
	switch (ra) {
	case 0:
		return !lua_toboolean(L, a) && lua_toboolean(L, b);
	case 1:
		return lua_compare(L, a, b, LUA_OPLT);
	case 2: {
		size_t la, lb;
		const char *sa = lua_tolstring(L, a, &la), *sb = lua_tolstring(L, b, &lb);
		int c = memcmp(sa, sb, la < lb ? la : lb);

		return c < 0 || (c == 0 && la < lb);
	}
	default:
		return false;
	}
}

/*
 * Stable bottom-up merge sort of the array in the table at `arr` (1..n),
 * using the table at `tmp` as scratch; less(L, ia, ib, ud) compares two stack
 * slots.  Returns the index (arr or tmp) of the table that holds the result.
 */
static int merge_sort(lua_State *L, int arr, int tmp, lua_Integer n,
		      bool (*less)(lua_State *L, int a, int b, void *ud), void *ud)
{
	int src = arr, dst = tmp;

	for (lua_Integer width = 1; width < n; width *= 2) {
		for (lua_Integer lo = 1; lo <= n; lo += 2 * width) {
			lua_Integer mid = lo + width > n + 1 ? n + 1 : lo + width;
			lua_Integer hi = lo + 2 * width > n + 1 ? n + 1 : lo + 2 * width;
			lua_Integer i = lo, j = mid, k = lo;

			while (i < mid || j < hi) {
				bool take_right;

				if (i >= mid) {
					take_right = true;
				} else if (j >= hi) {
					take_right = false;
				} else {
					lua_rawgeti(L, src, j);
					lua_rawgeti(L, src, i);
					/* right first only when strictly less: stability */
					take_right = less(L, -2, -1, ud);
					lua_pop(L, 2);
				}
				lua_rawgeti(L, src, take_right ? j++ : i++);
				lua_rawseti(L, dst, k++);
			}
		}
		int t = src;

		src = dst;
		dst = t;
	}
	return src;
}

static bool key_less_cb(lua_State *L, int a, int b, void *ud)
{
	(void)ud;
	return key_less(L, a, b);
}

/* upvalues: table, sorted keys, position */
static int sorted_next(lua_State *L)
{
	lua_Integer pos = lua_tointeger(L, lua_upvalueindex(3));

	for (;;) {
		pos++;
		if (lua_rawgeti(L, lua_upvalueindex(2), pos) == LUA_TNIL)
			return 0;
		lua_pushvalue(L, -1);
		if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) {
			lua_pushinteger(L, pos);
			lua_replace(L, lua_upvalueindex(3));
			return 2;
		}
		lua_pop(L, 2); /* removed while iterating: skip */
	}
}

static int det_pairs(lua_State *L)
{
	lua_Integer n = 0;
	int keys;

	luaL_checkany(L, 1);
	if (luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) {
		lua_pushvalue(L, 1);
		lua_call(L, 1, 3);
		return 3;
	}
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	lua_newtable(L); /* 2: keys */
	keys = 2;
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_rawseti(L, keys, ++n);
	}
	lua_createtable(L, (int)(n < 0x7fffffff ? n : 0), 0); /* 3: scratch */
	keys = merge_sort(L, 2, 3, n, key_less_cb, NULL);
	lua_pushvalue(L, 1);
	lua_pushvalue(L, keys);
	lua_pushinteger(L, 0);
	lua_pushcclosure(L, sorted_next, 3);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

/* ---- stable table.sort -------------------------------------------------------- */

static bool sort_less(lua_State *L, int a, int b, void *ud)
{
	bool r;

	(void)ud;
	a = lua_absindex(L, a);
	b = lua_absindex(L, b);
	if (lua_isnil(L, 2))
		return lua_compare(L, a, b, LUA_OPLT);
	lua_pushvalue(L, 2);
	lua_pushvalue(L, a);
	lua_pushvalue(L, b);
	lua_call(L, 2, 1);
	r = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return r;
}

static int stable_sort(lua_State *L)
{
	lua_Integer n;
	int res;

	luaL_checktype(L, 1, LUA_TTABLE);
	n = luaL_len(L, 1);
	if (!lua_isnoneornil(L, 2))
		luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_settop(L, 2);
	if (n < 2)
		return 0;
	luaL_argcheck(L, n < 0x7fffffff, 1, "array too big");
	lua_createtable(L, (int)n, 0); /* 3 */
	lua_createtable(L, (int)n, 0); /* 4 */
	for (lua_Integer i = 1; i <= n; i++) {
		lua_geti(L, 1, i);
		lua_rawseti(L, 3, i);
	}
	res = merge_sort(L, 3, 4, n, sort_less, NULL);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, res, i);
		lua_seti(L, 1, i);
	}
	return 0;
}

/* ---- math.randomseed ---------------------------------------------------------- */

static int push_seed_pair(lua_State *L)
{
	struct lsim_session *s = lsim_session_of(L);

	lua_pushinteger(L, (lua_Integer)eng_rng_next(&s->rng));
	lua_pushinteger(L, (lua_Integer)eng_rng_next(&s->rng));
	return 2;
}

static int det_randomseed(lua_State *L)
{
	if (lua_gettop(L) == 0)
		push_seed_pair(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

int lsim_seed_random(lua_State *L)
{
	lua_getglobal(L, "math");
	lua_getfield(L, -1, "randomseed");
	lua_remove(L, -2);
	push_seed_pair(L);
	lua_call(L, 2, 0);
	return 0;
}

/* ---- assembling the environment ----------------------------------------------- */

static const luaL_Reg sandbox_libs[] = {
	{ LUA_GNAME, luaopen_base },         { LUA_COLIBNAME, luaopen_coroutine },
	{ LUA_TABLIBNAME, luaopen_table },   { LUA_STRLIBNAME, luaopen_string },
	{ LUA_MATHLIBNAME, luaopen_math },   { LUA_UTF8LIBNAME, luaopen_utf8 },
};

/* Replaces t[name] (t on top of the stack) by a closure over its old value. */
static void wrap_field(lua_State *L, const char *name, lua_CFunction fn)
{
	lua_getfield(L, -1, name);
	lua_pushcclosure(L, fn, 1);
	lua_setfield(L, -2, name);
}

int lsim_open_sandbox(lua_State *L)
{
	for (size_t i = 0; i < sizeof(sandbox_libs) / sizeof(sandbox_libs[0]); i++) {
		luaL_requiref(L, sandbox_libs[i].name, sandbox_libs[i].func, 1);
		lua_pop(L, 1);
	}
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, LOADED_KEY);

	lua_pushglobaltable(L);
	lua_pushnil(L);
	lua_setfield(L, -2, "dofile");
	lua_pushnil(L);
	lua_setfield(L, -2, "loadfile");
	wrap_field(L, "load", safe_load);
	wrap_field(L, "setmetatable", safe_setmetatable);
	lua_pushcfunction(L, safe_require);
	lua_setfield(L, -2, "require");
	lua_pushcfunction(L, det_pairs);
	lua_setfield(L, -2, "pairs");
	lua_getfield(L, -1, LUA_TABLIBNAME);
	lua_pushcfunction(L, stable_sort);
	lua_setfield(L, -2, "sort");
	lua_pop(L, 1);
	lua_getfield(L, -1, LUA_MATHLIBNAME);
	wrap_field(L, "randomseed", det_randomseed);
	lua_pop(L, 2);
	return 0;
}
