/* SPDX-License-Identifier: MIT */
/*
 * Lua 5.4 scenario runner: loads a scenario into a sandboxed Lua state, runs it
 * as a coroutine that waits in simulated time, records checks, metrics and
 * artifacts, and writes result.json.  Also the two registries other
 * components extend (Lua modules, `vdpasim list` providers) and the C helpers
 * their Lua bindings use.
 *
 * The runner's per-run state hangs off the struct sim (eng_attached(sim, "lsim")),
 * so there is no global state and a test can run two sessions side by side.
 */
#ifndef VDPASIM_SCRIPT_RUNNER_H
#define VDPASIM_SCRIPT_RUNNER_H

#include "sim/engine/engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct lua_State;

/* Outcome of a run; the values are the `vdpasim run` exit statuses. */
enum lsim_status {
	LSIM_PASS = 0,     /* completed, every check passed (or there were none) */
	LSIM_FAIL = 1,     /* completed, at least one check failed */
	LSIM_ERROR = 2,    /* usage or script error: no result.json */
	LSIM_INTERNAL = 3, /* internal or I/O error: no result.json */
};

#define LSIM_DEFAULT_MAX_INSTRUCTIONS 2000000000ULL
#define LSIM_DEFAULT_MAX_MEMORY       (512ULL << 20)
/* Lua wake-ups in a row without simulated time moving: a sim.at(0)/wait(0) loop. */
#define LSIM_DEFAULT_MAX_SAME_TIME_WAKES 10000000ULL

struct lsim_param {
	const char *key;
	const char *value;
};

struct lsim_module;

/* Everything a run needs; pointed-to strings must outlive the session. */
struct lsim_config {
	const char *scenario;   /* scenario path: read unless `source` is set; chunk name */
	const char *source;     /* NULL, or Lua text to run instead of reading `scenario` */
	uint64_t seed;
	uint64_t run;
	const char *out_dir;    /* NULL: write no files (tests) */
	const char *trace_path; /* NULL: no trace file, the trace is only hashed */
	const struct lsim_param *params; /* --set KEY=VALUE, later ones win */
	size_t nparams;
	const char *scenarios_dir;           /* for require(); NULL: "scenarios" */
	const struct lsim_module *modules;   /* extra modules after the built-in ones,
					      * terminated by { NULL }; may be NULL */
	uint64_t max_instructions;           /* 0: LSIM_DEFAULT_MAX_INSTRUCTIONS */
	uint64_t max_memory;                 /* bytes, 0: LSIM_DEFAULT_MAX_MEMORY */
	uint64_t max_same_time_wakes;        /* 0: LSIM_DEFAULT_MAX_SAME_TIME_WAKES */
	bool quiet;   /* no sim.log lines, check failures, notes or progress */
	bool verbose; /* print the wall-clock speed even when stderr is not a terminal */
	FILE *diag;   /* where messages go; NULL: stderr */
};

/* ---- Running a scenario ---------------------------------------------------- */

struct lsim_session;

struct lsim_check {
	char *name;
	char *detail;
	char *requirement; /* NULL when none was given */
	bool pass;
	sim_time_t time;
};

/* NULL only when out of memory.  Nothing runs until lsim_session_run(). */
struct lsim_session *lsim_session_new(const struct lsim_config *cfg);
/*
 * Load the scenario, prepare the output directory, run the script to the end
 * of its main chunk, then write result.json.  Errors are printed to cfg->diag
 * (one first line "vdpasim: ...", a Lua traceback after it for script errors).
 * Returns an enum lsim_status.  Call once per session.
 */
int lsim_session_run(struct lsim_session *s);
void lsim_session_free(struct lsim_session *s);

/* After a run: the error's first line (without "vdpasim: "), or NULL. */
const char *lsim_session_error(const struct lsim_session *s);
struct sim *lsim_session_sim(const struct lsim_session *s);
size_t lsim_session_nchecks(const struct lsim_session *s);
const struct lsim_check *lsim_session_check(const struct lsim_session *s, size_t i);
/* A metric's last value as a double; false when it was never set. */
bool lsim_session_metric(const struct lsim_session *s, const char *name, double *value);

/* new + run + free: what `vdpasim run` does.  Returns an enum lsim_status. */
int lsim_run(const struct lsim_config *cfg);

/* ---- Durations ---------------------------------------------------------------- */
/*
 * "10us", "2ms", "500ns", "1.5us", "3s", "100ps" (digits, optional fraction,
 * optional spaces, unit).  Exact decimal arithmetic; finer than 1 ps rounds to
 * the nearest ps.  0, -EINVAL (malformed) or -ERANGE (too large).
 */
int lsim_parse_duration(const char *s, sim_time_t *ps);
/* A number of nanoseconds (may be fractional): 0, -EINVAL (negative, NaN) or -ERANGE. */
int lsim_duration_from_ns(double ns, sim_time_t *ps);

/* ---- For Lua bindings of other components -------------------------------------- */
/*
 * A module installs functions or tables into the `sim` table or as globals.
 * open() runs in protected mode before the scenario, with the `sim` table on
 * top of the stack; it must leave the stack as it found it.  It returns 0 or a
 * negative errno (or raises a Lua error); a failure is an internal error.
 * The built-in list is lsim_modules[] in script/modules.c.
 */
struct lsim_module {
	const char *name;
	int (*open)(struct lua_State *L, struct sim *sim);
};
extern const struct lsim_module lsim_modules[]; /* terminated by { NULL, NULL } */

/* The sim a Lua state belongs to (any thread of it). */
struct sim *lsim_sim(struct lua_State *L);
/* Argument `arg` as a duration in ps (number of ns or string with unit); raises a Lua error. */
sim_time_t lsim_checkduration(struct lua_State *L, int arg);
/*
 * Yield the calling scenario coroutine for `delay` of simulated time.  Use only
 * as `return lsim_wait_ps(L, delay);` at the end of a lua_CFunction.
 */
int lsim_wait_ps(struct lua_State *L, sim_time_t delay);

/* The run's output directory, or NULL when the run writes no files. */
const char *lsim_out_dir(const struct sim *sim);
/* Record a check as sim.check() does (requirement may be NULL).  0 or -ENOMEM/-ENOENT. */
int lsim_check_record(struct sim *sim, bool pass, const char *name, const char *detail,
		      const char *requirement);
/*
 * Register an output file, `path` relative to the output directory.  When the
 * run completes, finish(ctx, &frames) is called once (if not NULL) to flush or
 * close the file and give its frame count (leave -1 when frames do not apply);
 * then the file is hashed and listed in result.json.  0, -EINVAL (bad path),
 * -EEXIST (path already registered), -ENOMEM, -ENOENT (not a runner's sim).
 */
int lsim_artifact_add(struct sim *sim, const char *kind, const char *path,
		      int (*finish)(void *ctx, int64_t *frames), void *ctx);

/* ---- `vdpasim list` --------------------------------------------------------------- */

typedef int (*lsim_list_emit)(void *arg, const char *name, const char *description);

struct lsim_list_opts {
	const char *scenarios_dir; /* NULL: "scenarios" */
};

/* A provider emits (name, description) pairs for one category; 0 or -errno. */
struct lsim_lister {
	const char *category;
	int (*list)(const struct lsim_list_opts *o, lsim_list_emit emit, void *arg);
};
extern const struct lsim_lister lsim_listers[];      /* terminated by { NULL, NULL } */
extern const char *const lsim_list_categories[];    /* terminated by NULL */

/*
 * Print every entry of `category` from all its providers, sorted by name, one
 * per line ("name  description").  0, -EINVAL (unknown category) or a
 * provider's error.
 */
int lsim_list(const char *category, const struct lsim_list_opts *o, FILE *out);
/* Provider: every <scenarios_dir>/<name>.lua with the first comment line as description. */
int lsim_list_scenarios(const struct lsim_list_opts *o, lsim_list_emit emit, void *arg);

#endif
