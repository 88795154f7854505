// SPDX-License-Identifier: MIT
/*
 * The `sim` table scenarios see, and the C helpers behind it that other
 * components' bindings may call (lsim_check_record, lsim_artifact_add, ...).
 */
#include "script/internal.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_POLL_PS ENG_US(1)

static struct lsim_session *session_of_sim(const struct sim *sim)
{
	return eng_attached(sim, "lsim");
}

struct sim *lsim_sim(lua_State *L)
{
	return lsim_session_of(L)->sim;
}

const char *lsim_out_dir(const struct sim *sim)
{
	struct lsim_session *s = session_of_sim(sim);

	return s ? s->cfg.out_dir : NULL;
}

void lsim_format_time(sim_time_t t, char *buf, size_t size)
{
	snprintf(buf, size, "%llu.%06llu us", (unsigned long long)(t / ENG_US(1)),
		 (unsigned long long)(t % ENG_US(1)));
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* ---- checks, metrics, artifacts ------------------------------------------------- */

int lsim_check_record(struct sim *sim, bool pass, const char *name, const char *detail,
		      const char *requirement)
{
	struct lsim_session *s = session_of_sim(sim);
	struct lsim_check c = { 0 };
	char when[40];

	if (!s)
		return -ENOENT;
	if (grow((void **)&s->checks, &s->checks_cap, s->nchecks, sizeof(c)))
		return -ENOMEM;
	c.name = strdup(name);
	c.detail = strdup(detail ? detail : "");
	c.requirement = requirement ? strdup(requirement) : NULL;
	if (!c.name || !c.detail || (requirement && !c.requirement)) {
		free(c.name);
		free(c.detail);
		free(c.requirement);
		return -ENOMEM;
	}
	c.pass = pass;
	c.time = eng_now(sim);
	s->checks[s->nchecks++] = c;
	eng_trace(sim, "lua", "check", "name=%s verdict=%s", name, pass ? "pass" : "fail");
	if (!pass && !s->cfg.quiet) {
		lsim_format_time(c.time, when, sizeof(when));
		lsim_progress_clear(s);
		fprintf(s->diag, "[%s] check failed: %s%s%s\n", when, name, *c.detail ? ": " : "",
			c.detail);
	}
	return 0;
}

/* Metrics stay sorted by name, so result.json lists them in a fixed order. */
int lsim_metric_set(struct lsim_session *s, const char *name, bool is_int, int64_t i, double d)
{
	size_t lo = 0, hi = s->nmetrics;
	struct lsim_metric *m;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->metrics[mid].name, name);

		if (c == 0) {
			lo = mid;
			goto set;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (grow((void **)&s->metrics, &s->metrics_cap, s->nmetrics, sizeof(*m)))
		return -ENOMEM;
	m = &s->metrics[lo];
	memmove(m + 1, m, (s->nmetrics - lo) * sizeof(*m));
	m->name = strdup(name);
	if (!m->name) {
		memmove(m, m + 1, (s->nmetrics - lo) * sizeof(*m));
		return -ENOMEM;
	}
	s->nmetrics++;
set:
	m = &s->metrics[lo];
	m->is_int = is_int;
	m->i = i;
	m->d = d;
	if (is_int)
		eng_trace(s->sim, "lua", "metric", "name=%s value=%lld", name, (long long)i);
	else
		eng_trace(s->sim, "lua", "metric", "name=%s value=%.17g", name, d);
	return 0;
}

/* Relative, no empty, "." or ".." component: the file stays inside the output directory. */
static bool artifact_path_ok(const char *p)
{
	if (!*p || *p == '/')
		return false;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/')
			p++;
		if (e && !*p)
			return false; /* trailing slash */
	}
	return true;
}

static int artifact_add(struct lsim_session *s, const char *kind, const char *path,
			int64_t frames, int (*finish)(void *ctx, int64_t *frames), void *ctx,
			bool from_lua)
{
	struct lsim_artifact a = { 0 };

	if (!*kind || !artifact_path_ok(path))
		return -EINVAL;
	for (size_t i = 0; i < s->nartifacts; i++)
		if (!strcmp(s->artifacts[i].path, path))
			return -EEXIST;
	if (grow((void **)&s->artifacts, &s->artifacts_cap, s->nartifacts, sizeof(a)))
		return -ENOMEM;
	a.kind = strdup(kind);
	a.path = strdup(path);
	if (!a.kind || !a.path) {
		free(a.kind);
		free(a.path);
		return -ENOMEM;
	}
	a.frames = frames;
	a.finish = finish;
	a.ctx = ctx;
	a.from_lua = from_lua;
	s->artifacts[s->nartifacts++] = a;
	return 0;
}

int lsim_artifact_add(struct sim *sim, const char *kind, const char *path,
		      int (*finish)(void *ctx, int64_t *frames), void *ctx)
{
	struct lsim_session *s = session_of_sim(sim);

	if (!s)
		return -ENOENT;
	return artifact_add(s, kind, path, -1, finish, ctx, false);
}

/* ---- waiting ---------------------------------------------------------------------- */

/* Arms the wake-up of the running scenario coroutine; raises when it cannot wait. */
static void arm_wait(lua_State *L, sim_time_t delay)
{
	struct lsim_session *s = lsim_session_of(L);
	sim_time_t now = eng_now(s->sim);

	if (L != s->current)
		luaL_error(L, "cannot wait in a coroutine made with the coroutine library "
			      "(only the scenario and sim.at callbacks wait)");
	if (!lua_isyieldable(L))
		luaL_error(L, "cannot wait here (inside a metamethod or a callback called from C)");
	if (delay >= ENG_TIME_MAX - now)
		luaL_error(L, "wake-up time is beyond the end of simulated time");
	s->wake_pending = true;
	s->wake_time = now + delay;
}

int lsim_wait_ps(lua_State *L, sim_time_t delay)
{
	arm_wait(L, delay);
	return lua_yield(L, 0);
}

static int l_wait(lua_State *L)
{
	return lsim_wait_ps(L, lsim_checkduration(L, 1));
}

/*
 * sim.wait_until(pred, timeout, poll): a loop of pred() calls and waits, kept
 * in continuations so both the predicate and the wait may yield.  Stack: 1 pred,
 * 2 timeout, 3 poll, 4 deadline (ps), 5 poll (ps).
 */
enum { WU_CALL, WU_RESULT };

static int wait_until_k(lua_State *L, int status, lua_KContext phase)
{
	struct lsim_session *s = lsim_session_of(L);
	sim_time_t now, deadline, step;

	(void)status;
	for (;;) {
		if (phase == WU_CALL) {
			lua_pushvalue(L, 1);
			lua_callk(L, 0, 1, WU_RESULT, wait_until_k);
		}
		if (lua_toboolean(L, -1)) {
			lua_pushboolean(L, 1);
			return 1;
		}
		lua_pop(L, 1);
		now = eng_now(s->sim);
		deadline = (sim_time_t)lua_tointeger(L, 4);
		step = (sim_time_t)lua_tointeger(L, 5);
		if (now >= deadline) {
			lua_pushboolean(L, 0);
			return 1;
		}
		arm_wait(L, deadline - now < step ? deadline - now : step);
		return lua_yieldk(L, 0, WU_CALL, wait_until_k);
	}
}

static int l_wait_until(lua_State *L)
{
	struct lsim_session *s = lsim_session_of(L);
	sim_time_t now = eng_now(s->sim), timeout, poll = DEFAULT_POLL_PS;

	luaL_checktype(L, 1, LUA_TFUNCTION);
	timeout = lsim_checkduration(L, 2);
	if (!lua_isnoneornil(L, 3))
		poll = lsim_checkduration(L, 3);
	luaL_argcheck(L, poll > 0, 3, "poll interval must be positive");
	luaL_argcheck(L, timeout < (sim_time_t)INT64_MAX - now, 2, "timeout too large");
	lua_settop(L, 3);
	lua_pushinteger(L, (lua_Integer)(now + timeout));
	lua_pushinteger(L, (lua_Integer)poll);
	return wait_until_k(L, LUA_OK, WU_CALL);
}

static int l_at(lua_State *L)
{
	struct lsim_session *s = lsim_session_of(L);
	sim_time_t now = eng_now(s->sim), delay = lsim_checkduration(L, 1);
	lua_State *co;
	int ref;

	luaL_checktype(L, 2, LUA_TFUNCTION);
	if (delay >= ENG_TIME_MAX - now)
		return luaL_error(L, "sim.at: time is beyond the end of simulated time");
	if (lsim_wake_reserve(s, 1))
		return luaL_error(L, "sim.at: out of memory");
	co = lua_newthread(L);
	lua_pushvalue(L, 2);
	lua_xmove(L, co, 1);
	ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lsim_wake_push(s, now + delay, co, ref, false);
	return 0;
}

/* ---- time, identity ------------------------------------------------------------------ */

static int l_now(lua_State *L)
{
	lua_pushnumber(L, (lua_Number)eng_now(lsim_sim(L)) / 1000.0);
	return 1;
}

static int l_now_ps(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)eng_now(lsim_sim(L)));
	return 1;
}

static int l_ps(lua_State *L)
{
	sim_time_t ps = lsim_checkduration(L, 1);

	luaL_argcheck(L, ps <= (sim_time_t)INT64_MAX, 1, "duration too large");
	lua_pushinteger(L, (lua_Integer)ps);
	return 1;
}

static int l_seed(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)eng_seed(lsim_sim(L)));
	return 1;
}

static int l_run_number(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)eng_run_number(lsim_sim(L)));
	return 1;
}

/* ---- recording ------------------------------------------------------------------------ */

static int l_check(lua_State *L)
{
	struct lsim_session *s = lsim_session_of(L);
	bool pass = lua_toboolean(L, 1);
	const char *name = luaL_checkstring(L, 2);
	const char *detail = NULL, *req = NULL;

	lua_settop(L, 4);
	if (!lua_isnil(L, 3))
		detail = luaL_tolstring(L, 3, NULL);
	if (!lua_isnil(L, 4)) {
		luaL_checktype(L, 4, LUA_TTABLE);
		if (lua_getfield(L, 4, "requirement") != LUA_TNIL) {
			if (lua_type(L, -1) != LUA_TSTRING)
				return luaL_argerror(L, 4, "requirement must be a string");
			req = lua_tostring(L, -1);
		}
	}
	if (lsim_check_record(s->sim, pass, name, detail, req))
		return luaL_error(L, "sim.check: out of memory");
	lua_pushboolean(L, pass);
	return 1;
}

static int l_metric(lua_State *L)
{
	struct lsim_session *s = lsim_session_of(L);
	const char *name = luaL_checkstring(L, 1);
	int rc;

	luaL_checktype(L, 2, LUA_TNUMBER);
	if (lua_isinteger(L, 2))
		rc = lsim_metric_set(s, name, true, (int64_t)lua_tointeger(L, 2), 0);
	else
		rc = lsim_metric_set(s, name, false, 0, (double)lua_tonumber(L, 2));
	if (rc)
		return luaL_error(L, "sim.metric: out of memory");
	return 0;
}

static int l_log(lua_State *L)
{
	struct lsim_session *s = lsim_session_of(L);
	int n = lua_gettop(L);
	char when[40];
	luaL_Buffer b;

	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, ' ');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	if (!s->cfg.quiet) {
		lsim_format_time(eng_now(s->sim), when, sizeof(when));
		lsim_progress_clear(s);
		fprintf(s->diag, "[%s] %s\n", when, lua_tostring(L, -1));
	}
	return 0;
}

/* sim.artifact(kind, path [, { frames = N, content = STRING }]) */
static int l_artifact(lua_State *L)
{
	struct lsim_session *s = lsim_session_of(L);
	const char *kind = luaL_checkstring(L, 1);
	const char *path = luaL_checkstring(L, 2);
	const char *content = NULL;
	lua_Integer frames = -1;
	size_t len = 0;
	int rc;

	lua_settop(L, 3);
	if (!lua_isnil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		if (lua_getfield(L, 3, "frames") != LUA_TNIL) {
			luaL_argcheck(L, lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 0, 3,
				      "frames must be an integer >= 0");
			frames = lua_tointeger(L, -1);
		}
		if (lua_getfield(L, 3, "content") != LUA_TNIL) {
			luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING, 3,
				      "content must be a string");
			content = lua_tolstring(L, -1, &len);
		}
	}
	rc = artifact_add(s, kind, path, frames, NULL, NULL, true);
	if (rc == -EINVAL)
		return luaL_error(L, "sim.artifact: bad kind or path '%s' (a non-empty kind and a "
				  "path relative to the output directory, without '..')", path);
	if (rc == -EEXIST)
		return luaL_error(L, "sim.artifact: '%s' is already registered", path);
	if (!rc && content) {
		struct lsim_artifact *a = &s->artifacts[s->nartifacts - 1];

		a->content = malloc(len + 1);
		if (!a->content)
			rc = -ENOMEM;
		else {
			memcpy(a->content, content, len);
			a->content_len = len;
		}
	}
	if (rc)
		return luaL_error(L, "sim.artifact: out of memory");
	return 0;
}

/* ---- parameters ----------------------------------------------------------------------- */

/* A bad --set value is a usage error: remembered so the runner reports it plainly. */
static int param_error(lua_State *L, struct lsim_session *s, const char *key, const char *value,
		       const char *want)
{
	size_t n = strlen(key) * 2 + strlen(value) + strlen(want) + 64;

	free(s->usage_error);
	s->usage_error = malloc(n);
	if (s->usage_error)
		snprintf(s->usage_error, n, "--set %s=%s: %s must be %s", key, value, key, want);
	return luaL_error(L, "--set %s=%s: %s must be %s", key, value, key, want);
}

static int l_param(lua_State *L)
{
	struct lsim_session *s = lsim_session_of(L);
	const char *key = luaL_checkstring(L, 1);
	const char *value = NULL;
	int type = lua_type(L, 2);

	luaL_argcheck(L, type == LUA_TNONE || type == LUA_TNIL || type == LUA_TNUMBER ||
			      type == LUA_TBOOLEAN || type == LUA_TSTRING,
		      2, "default must be a number, boolean, string or nil");
	for (size_t i = 0; i < s->cfg.nparams; i++) {
		if (strcmp(s->cfg.params[i].key, key))
			continue;
		s->param_used[i] = true;
		value = s->cfg.params[i].value; /* the last --set wins */
	}
	lua_settop(L, 2);
	if (!value)
		return 1;
	switch (type) {
	case LUA_TNUMBER:
		if (!lua_stringtonumber(L, value))
			return param_error(L, s, key, value, "a number");
		return 1;
	case LUA_TBOOLEAN:
		if (!strcmp(value, "true") || !strcmp(value, "1"))
			lua_pushboolean(L, 1);
		else if (!strcmp(value, "false") || !strcmp(value, "0"))
			lua_pushboolean(L, 0);
		else
			return param_error(L, s, key, value, "true, false, 1 or 0");
		return 1;
	default:
		lua_pushstring(L, value);
		return 1;
	}
}

static const luaL_Reg sim_funcs[] = {
	{ "wait", l_wait },
	{ "wait_until", l_wait_until },
	{ "at", l_at },
	{ "now", l_now },
	{ "now_ps", l_now_ps },
	{ "ps", l_ps },
	{ "seed", l_seed },
	{ "run_number", l_run_number },
	{ "check", l_check },
	{ "metric", l_metric },
	{ "log", l_log },
	{ "artifact", l_artifact },
	{ "param", l_param },
	{ NULL, NULL },
};

/* Creates the global `sim` table and leaves it on the stack. */
int lsim_open_api(lua_State *L)
{
	luaL_newlib(L, sim_funcs);
	lua_pushvalue(L, -1);
	lua_setglobal(L, "sim");
	return 0;
}
