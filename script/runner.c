// SPDX-License-Identifier: MIT
/*
 * The run loop: every scenario coroutine (the main chunk, each sim.at
 * callback) waits in a heap of wake-ups ordered by (simulated time, sequence).
 * The loop takes the earliest, runs the engine's events up to that time, and
 * resumes the coroutine until it waits again or ends.  The run ends when the
 * main chunk returns; pending sim.at callbacks are dropped.  Outputs are in
 * output.c.  The wall clock only feeds the progress line on a terminal.
 */
#include "script/internal.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRESS_FIRST_S 0.5  /* runs shorter than this never show progress */
#define PROGRESS_EVERY_S 0.25

/* ---- messages ------------------------------------------------------------------------ */

int lsim_fail(struct lsim_session *s, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lsim_progress_clear(s);
	fprintf(s->diag, "vdpasim: %s%s\n", status == LSIM_INTERNAL ? "internal error: " : "", msg);
	if (!s->error)
		s->error = strdup(msg);
	return status;
}

const char *lsim_scenario_base(const struct lsim_session *s)
{
	const char *slash = strrchr(s->cfg.scenario, '/');

	return slash ? slash + 1 : s->cfg.scenario;
}

/* ---- wall-clock progress (terminal only) --------------------------------------------- */

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void format_human_time(sim_time_t t, char *buf, size_t size)
{
	if (t < ENG_US(1))
		snprintf(buf, size, "%.3f ns", (double)t / 1e3);
	else if (t < ENG_MS(1))
		snprintf(buf, size, "%.3f us", (double)t / 1e6);
	else if (t < ENG_S(1))
		snprintf(buf, size, "%.3f ms", (double)t / 1e9);
	else
		snprintf(buf, size, "%.3f s", (double)t / 1e12);
}

static void progress_tick(struct lsim_session *s)
{
	struct timespec now;
	uint64_t events;
	double dt;
	char t[40];

	if (!s->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (seconds_between(&s->wall_start, &now) < PROGRESS_FIRST_S)
		return;
	dt = seconds_between(&s->wall_last, &now);
	if (dt < PROGRESS_EVERY_S)
		return;
	events = eng_events_executed(s->sim);
	format_human_time(eng_now(s->sim), t, sizeof(t));
	fprintf(s->diag, "\r\033[Kvdpasim: %s simulated, %.3g events/s", t,
		(double)(events - s->events_last) / dt);
	fflush(s->diag);
	s->progress_shown = true;
	s->wall_last = now;
	s->events_last = events;
}

void lsim_progress_clear(struct lsim_session *s)
{
	if (!s->progress_shown)
		return;
	fputs("\r\033[K", s->diag);
	fflush(s->diag);
	s->progress_shown = false;
}

static void print_speed(struct lsim_session *s)
{
	struct timespec now;
	double dt;
	char t[40];

	if (s->cfg.quiet || !(s->progress || s->cfg.verbose))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = seconds_between(&s->wall_start, &now);
	format_human_time(eng_now(s->sim), t, sizeof(t));
	fprintf(s->diag, "vdpasim: %s simulated in %.3f s wall, %llu events (%.3g events/s)\n", t,
		dt, (unsigned long long)eng_events_executed(s->sim),
		dt > 0 ? (double)eng_events_executed(s->sim) / dt : 0.0);
}

/* ---- wake-up heap ------------------------------------------------------------------------ */

static bool wake_before(const struct lsim_wake *a, const struct lsim_wake *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

int lsim_wake_reserve(struct lsim_session *s, size_t extra)
{
	size_t ncap;
	struct lsim_wake *p;

	if (s->nwakes + extra <= s->wakes_cap)
		return 0;
	ncap = s->wakes_cap ? s->wakes_cap * 2 : 16;
	while (ncap < s->nwakes + extra)
		ncap *= 2;
	p = realloc(s->wakes, ncap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	s->wakes = p;
	s->wakes_cap = ncap;
	return 0;
}

void lsim_wake_push(struct lsim_session *s, sim_time_t t, lua_State *co, int ref, bool main)
{
	struct lsim_wake w = {
		.time = t, .seq = s->wake_seq++, .co = co, .ref = ref, .main = main,
	};
	size_t pos = s->nwakes++;

	while (pos > 0) {
		size_t parent = (pos - 1) / 2;

		if (!wake_before(&w, &s->wakes[parent]))
			break;
		s->wakes[pos] = s->wakes[parent];
		pos = parent;
	}
	s->wakes[pos] = w;
}

static struct lsim_wake wake_pop(struct lsim_session *s)
{
	struct lsim_wake top = s->wakes[0], last = s->wakes[--s->nwakes];
	size_t pos = 0, n = s->nwakes;

	for (;;) {
		size_t c = 2 * pos + 1;

		if (c >= n)
			break;
		if (c + 1 < n && wake_before(&s->wakes[c + 1], &s->wakes[c]))
			c++;
		if (!wake_before(&s->wakes[c], &last))
			break;
		s->wakes[pos] = s->wakes[c];
		pos = c;
	}
	if (n)
		s->wakes[pos] = last;
	return top;
}

/* ---- set-up --------------------------------------------------------------------------------- */

static int lua_panic(lua_State *L)
{
	const char *msg = lua_tostring(L, -1);

	fprintf(stderr, "vdpasim: internal error: unprotected Lua error: %s\n",
		msg ? msg : "(not a string)");
	return 0; /* Lua aborts */
}

static int open_modules(lua_State *L, struct lsim_session *s, const struct lsim_module *mods)
{
	for (; mods && mods->name; mods++) {
		int top = lua_gettop(L);
		int rc = mods->open(L, s->sim);

		if (rc < 0)
			return luaL_error(L, "module %s: %s", mods->name, strerror(-rc));
		if (lua_gettop(L) != top)
			return luaL_error(L, "module %s left the Lua stack unbalanced", mods->name);
	}
	return 0;
}

/* Runs in protected mode: libraries, the sim table, modules, the main coroutine. */
static int setup_protected(lua_State *L)
{
	struct lsim_session *s = lua_touserdata(L, 1);
	const char *chunkname;
	lua_State *co;
	int rc, ref;

	lsim_open_sandbox(L);
	lsim_seed_random(L);
	lsim_open_api(L);
	open_modules(L, s, lsim_modules);
	open_modules(L, s, s->cfg.modules);
	lua_pop(L, 1);

	chunkname = lua_pushfstring(L, "@%s", s->cfg.scenario);
	if (s->cfg.source)
		rc = luaL_loadbufferx(L, s->cfg.source, strlen(s->cfg.source), chunkname, "t");
	else
		rc = luaL_loadfilex(L, s->cfg.scenario, "t");
	if (rc != LUA_OK) {
		s->load_failed = true;
		s->error = strdup(lua_tostring(L, -1));
		return 0;
	}
	if (lsim_wake_reserve(s, 1))
		return luaL_error(L, "out of memory");
	co = lua_newthread(L);
	lua_pushvalue(L, -2);
	lua_xmove(L, co, 1);
	ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lsim_wake_push(s, 0, co, ref, true);
	return 0;
}

static int setup(struct lsim_session *s)
{
	FILE *f;
	int rc;

	if (!s->cfg.source) {
		f = fopen(s->cfg.scenario, "r");
		if (!f)
			return lsim_fail(s, LSIM_ERROR, "cannot open scenario '%s': %s",
					 s->cfg.scenario, strerror(errno));
		fclose(f);
	}
	s->sim = eng_sim_new(s->cfg.seed, s->cfg.run);
	if (!s->sim || eng_attach(s->sim, "lsim", s, NULL))
		return lsim_fail(s, LSIM_INTERNAL, "out of memory");
	eng_rng_stream(s->sim, "lua", &s->rng);
	s->L = lua_newstate(lsim_alloc, s);
	if (!s->L)
		return lsim_fail(s, LSIM_INTERNAL, "cannot create a Lua state (out of memory)");
	*(struct lsim_session **)lua_getextraspace(s->L) = s;
	lua_atpanic(s->L, lua_panic);
	lsim_install_watchdog(s, s->L);
	lua_pushcfunction(s->L, setup_protected);
	lua_pushlightuserdata(s->L, s);
	rc = lua_pcall(s->L, 1, 0, 0);
	if (rc != LUA_OK) {
		s->mem_limit = SIZE_MAX;
		rc = lsim_fail(s, LSIM_INTERNAL, "setting up Lua: %s",
			       lua_type(s->L, -1) == LUA_TSTRING ? lua_tostring(s->L, -1) : "?");
		lua_pop(s->L, 1);
		return rc;
	}
	if (s->load_failed) {
		char *msg = s->error;

		s->error = NULL;
		rc = lsim_fail(s, LSIM_ERROR, "%s", msg ? msg : "cannot load the scenario");
		free(msg);
		return rc;
	}
	return 0;
}

/* ---- script errors ------------------------------------------------------------------------- */

/* Whether the first line already says where: "...:<digits>:". */
static bool has_location(const char *msg)
{
	for (const char *p = msg; *p && *p != '\n'; p++) {
		const char *q = p + 1;

		if (*p != ':' || !(*q >= '0' && *q <= '9'))
			continue;
		while (*q >= '0' && *q <= '9')
			q++;
		if (*q == ':')
			return true;
	}
	return false;
}

/* "file:line" of the innermost Lua function on co's stack, or "". */
static void lua_location(lua_State *co, char *buf, size_t size)
{
	lua_Debug ar;

	buf[0] = 0;
	for (int level = 0; lua_getstack(co, level, &ar); level++) {
		if (lua_getinfo(co, "Sl", &ar) && ar.currentline > 0) {
			snprintf(buf, size, "%s:%d", ar.short_src, ar.currentline);
			return;
		}
	}
}

/*
 * A script error: the first line "vdpasim: file:line: message", then the Lua
 * traceback of the coroutine that failed.  `what` overrides the error object.
 */
static int script_error(struct lsim_session *s, lua_State *co, const char *what)
{
	char where[LUA_IDSIZE + 24], other[64], *first;
	const char *msg = what, *tb;
	size_t n;

	s->mem_limit = SIZE_MAX; /* room for the message and the traceback */
	if (s->usage_error)
		return lsim_fail(s, LSIM_ERROR, "%s", s->usage_error);
	if (s->watchdog_fired)
		msg = s->watchdog_msg;
	else if (!msg && lua_type(co, -1) == LUA_TSTRING)
		msg = lua_tostring(co, -1);
	else if (!msg) {
		snprintf(other, sizeof(other), "(error object is a %s value)",
			 luaL_typename(co, -1));
		msg = other;
	}
	where[0] = 0;
	if (!has_location(msg)) {
		lua_location(co, where, sizeof(where) - 2);
		if (!where[0])
			snprintf(where, sizeof(where), "%s", s->cfg.scenario);
		strcat(where, ": ");
	}
	luaL_traceback(s->L, co, NULL, 0);
	tb = lua_tostring(s->L, -1);
	lsim_progress_clear(s);
	fprintf(s->diag, "vdpasim: %s%s\n%s\n", where, msg, tb);
	n = strcspn(msg, "\n");
	first = malloc(strlen(where) + n + 1);
	if (first) {
		snprintf(first, strlen(where) + n + 1, "%s%.*s", where, (int)n, msg);
		free(s->error);
		s->error = first;
	}
	lua_pop(s->L, 1);
	return LSIM_ERROR;
}

/* ---- the run loop -------------------------------------------------------------------------- */

/* Runs the engine up to t, then sets the clock to t.  -EINTR when a model stopped it. */
static int advance_to(struct lsim_session *s, sim_time_t t)
{
	struct sim *sim = s->sim;

	while (eng_queue_len(sim) && eng_next_time(sim) <= t) {
		eng_step(sim);
		if (eng_stopped(sim))
			return -EINTR;
		if (++s->steps_since_tick >= 4096) {
			s->steps_since_tick = 0;
			progress_tick(s);
		}
	}
	eng_run_until(sim, t); /* nothing is due by t any more: this only moves the clock */
	return 0;
}

static int resume(struct lsim_session *s, struct lsim_wake *w)
{
	int nres = 0, rc;

	if (lsim_watchdog_charge(s, 1))
		return script_error(s, w->co, NULL);
	s->current = w->co;
	s->wake_pending = false;
	rc = lua_resume(w->co, NULL, 0, &nres);
	s->current = NULL;
	if (s->watchdog_fired || s->usage_error)
		return script_error(s, w->co, NULL);
	if (rc == LUA_YIELD) {
		lua_pop(w->co, nres);
		if (!s->wake_pending)
			return script_error(s, w->co,
					    "coroutine.yield outside a coroutine of the script's "
					    "own (use sim.wait to wait)");
		if (lsim_wake_reserve(s, 1))
			return lsim_fail(s, LSIM_INTERNAL, "out of memory");
		lsim_wake_push(s, s->wake_time, w->co, w->ref, w->main);
		return 0;
	}
	if (rc != LUA_OK)
		return script_error(s, w->co, NULL);
	lua_pop(w->co, nres);
	if (w->main)
		s->main_done = true;
	else
		luaL_unref(s->L, LUA_REGISTRYINDEX, w->ref);
	return 0;
}

static int run_loop(struct lsim_session *s)
{
	char t[40];
	int rc;

	while (!s->main_done) {
		struct lsim_wake w;

		if (!s->nwakes)
			return lsim_fail(s, LSIM_INTERNAL, "no scenario coroutine left to resume");
		w = wake_pop(s);
		if (advance_to(s, w.time) == -EINTR) {
			lsim_format_time(eng_now(s->sim), t, sizeof(t));
			return lsim_fail(s, LSIM_INTERNAL, "a model stopped the simulation at %s, "
					 "before the scenario ended", t);
		}
		if (w.time != s->last_wake_time) {
			s->last_wake_time = w.time;
			s->same_time_wakes = 0;
		} else if (++s->same_time_wakes > s->cfg.max_same_time_wakes) {
			lsim_format_time(w.time, t, sizeof(t));
			return lsim_fail(s, LSIM_ERROR,
					 "%s: simulated time is stuck at %s: %llu Lua wake-ups "
					 "in a row without it advancing (a sim.wait(0) or "
					 "sim.at(0, ...) loop?)",
					 s->cfg.scenario, t,
					 (unsigned long long)s->cfg.max_same_time_wakes);
		}
		rc = resume(s, &w);
		if (rc)
			return rc;
		progress_tick(s);
	}
	return 0;
}

static void note_unused_params(struct lsim_session *s)
{
	if (s->cfg.quiet)
		return;
	for (size_t i = 0; i < s->cfg.nparams; i++) {
		bool seen = s->param_used[i];

		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(s->cfg.params[j].key, s->cfg.params[i].key);
		if (!seen)
			fprintf(s->diag, "vdpasim: note: the scenario did not ask for --set %s\n",
				s->cfg.params[i].key);
	}
}

/* ---- sessions ---------------------------------------------------------------------------- */

struct lsim_session *lsim_session_new(const struct lsim_config *cfg)
{
	struct lsim_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = *cfg;
	s->diag = cfg->diag ? cfg->diag : stderr;
	if (!s->cfg.max_instructions)
		s->cfg.max_instructions = LSIM_DEFAULT_MAX_INSTRUCTIONS;
	if (!s->cfg.max_memory)
		s->cfg.max_memory = LSIM_DEFAULT_MAX_MEMORY;
	if (!s->cfg.max_same_time_wakes)
		s->cfg.max_same_time_wakes = LSIM_DEFAULT_MAX_SAME_TIME_WAKES;
	s->instr_limit = s->cfg.max_instructions;
	s->mem_limit = s->cfg.max_memory > SIZE_MAX ? SIZE_MAX : (size_t)s->cfg.max_memory;
	s->param_used = calloc(cfg->nparams + 1, sizeof(bool));
	if (!s->param_used) {
		free(s);
		return NULL;
	}
	return s;
}

int lsim_session_run(struct lsim_session *s)
{
	int rc;

	if (s->ran)
		return lsim_fail(s, LSIM_INTERNAL, "a session runs once");
	s->ran = true;
	clock_gettime(CLOCK_MONOTONIC, &s->wall_start);
	s->wall_last = s->wall_start;
	s->progress = !s->cfg.quiet && isatty(fileno(s->diag));
	if (!s->cfg.scenario)
		return lsim_fail(s, LSIM_ERROR, "no scenario given");
	rc = setup(s);
	if (!rc)
		rc = lsim_prepare_outputs(s);
	if (rc)
		goto out;
	eng_trace(s->sim, "lua", "start", "scenario=%s seed=%llu run=%llu", lsim_scenario_base(s),
		  (unsigned long long)s->cfg.seed, (unsigned long long)s->cfg.run);
	rc = run_loop(s);
	lsim_progress_clear(s);
	if (!rc)
		rc = lsim_finish_artifacts(s);
	if (rc)
		goto out;
	eng_trace(s->sim, "lua", "end", "checks=%zu failed=%zu", s->nchecks, lsim_failed_checks(s));
	if (lsim_close_trace(s)) {
		rc = lsim_fail(s, LSIM_INTERNAL, "writing trace file '%s' failed",
			       s->cfg.trace_path);
		goto out;
	}
	if (s->cfg.out_dir)
		rc = lsim_write_result(s);
	if (rc)
		goto out;
	note_unused_params(s);
	print_speed(s);
	rc = lsim_failed_checks(s) ? LSIM_FAIL : LSIM_PASS;
out:
	if (rc != LSIM_PASS && rc != LSIM_FAIL)
		lsim_remove_created_dirs(s);
	return rc;
}

void lsim_session_free(struct lsim_session *s)
{
	if (!s)
		return;
	lsim_close_trace(s);
	if (s->L)
		lua_close(s->L); /* finalizers may still call into s: it stays valid */
	eng_sim_free(s->sim);
	for (size_t i = 0; i < s->nchecks; i++) {
		free(s->checks[i].name);
		free(s->checks[i].detail);
		free(s->checks[i].requirement);
	}
	for (size_t i = 0; i < s->nmetrics; i++)
		free(s->metrics[i].name);
	for (size_t i = 0; i < s->nartifacts; i++) {
		free(s->artifacts[i].kind);
		free(s->artifacts[i].path);
		free(s->artifacts[i].content);
	}
	free(s->checks);
	free(s->metrics);
	free(s->artifacts);
	free(s->wakes);
	for (size_t i = 0; i < s->ncreated_dirs; i++)
		free(s->created_dirs[i]);
	free(s->created_dirs);
	free(s->param_used);
	free(s->usage_error);
	free(s->error);
	free(s);
}

const char *lsim_session_error(const struct lsim_session *s) { return s->error; }
struct sim *lsim_session_sim(const struct lsim_session *s) { return s->sim; }
size_t lsim_session_nchecks(const struct lsim_session *s) { return s->nchecks; }

const struct lsim_check *lsim_session_check(const struct lsim_session *s, size_t i)
{
	return i < s->nchecks ? &s->checks[i] : NULL;
}

bool lsim_session_metric(const struct lsim_session *s, const char *name, double *value)
{
	for (size_t i = 0; i < s->nmetrics; i++) {
		if (strcmp(s->metrics[i].name, name))
			continue;
		*value = s->metrics[i].is_int ? (double)s->metrics[i].i : s->metrics[i].d;
		return true;
	}
	return false;
}

int lsim_run(const struct lsim_config *cfg)
{
	struct lsim_session *s = lsim_session_new(cfg);
	int rc;

	if (!s) {
		fprintf(cfg->diag ? cfg->diag : stderr, "vdpasim: internal error: out of memory\n");
		return LSIM_INTERNAL;
	}
	rc = lsim_session_run(s);
	lsim_session_free(s);
	return rc;
}
