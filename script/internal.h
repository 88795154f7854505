/* SPDX-License-Identifier: MIT */
/*
 * Private to script/: the session shared by runner.c (run loop), output.c
 * (files a run writes), api.c (the `sim` table), sandbox.c (libraries, limits)
 * and duration.c.
 */
#ifndef VDPASIM_SCRIPT_INTERNAL_H
#define VDPASIM_SCRIPT_INTERNAL_H

#include "script/runner.h"

#include <lua.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* A scenario coroutine due to resume at (time, seq). */
struct lsim_wake {
	sim_time_t time;
	uint64_t seq;
	lua_State *co;
	int ref;   /* registry reference that keeps the thread alive */
	bool main; /* the scenario's main chunk */
};

struct lsim_metric {
	char *name;
	bool is_int;
	int64_t i;
	double d;
};

struct lsim_artifact {
	char *kind;
	char *path;
	int64_t frames; /* -1: not applicable */
	int (*finish)(void *ctx, int64_t *frames);
	void *ctx;
	bool from_lua;
	char *content; /* written by the runner when the run completes; NULL: not ours */
	size_t content_len;
	char sha256[65];
};

struct lsim_session {
	struct lsim_config cfg;
	FILE *diag;
	struct sim *sim;
	lua_State *L;
	bool ran;

	/* memory cap (sandbox.c allocator) */
	size_t mem_used, mem_limit;

	/* instruction watchdog (sandbox.c hook) */
	uint64_t instr_count, instr_limit;
	int hook_step;
	bool watchdog_fired;
	char watchdog_msg[160];

	/* coroutines: the one being resumed, and what it asked for when it yielded */
	lua_State *current;
	bool wake_pending;
	sim_time_t wake_time;
	struct lsim_wake *wakes; /* binary min-heap on (time, seq) */
	size_t nwakes, wakes_cap;
	uint64_t wake_seq;
	uint64_t same_time_wakes;
	sim_time_t last_wake_time;
	bool main_done;

	/* what the run records */
	struct lsim_check *checks;
	size_t nchecks, checks_cap;
	struct lsim_metric *metrics; /* sorted by name */
	size_t nmetrics, metrics_cap;
	struct lsim_artifact *artifacts;
	size_t nartifacts, artifacts_cap;
	bool *param_used;

	struct eng_rng rng; /* "lua" stream: math.randomseed */
	bool load_failed;
	char *usage_error;  /* bad --set value, reported without a traceback */
	char *error;        /* first line of the error that ended the run */

	char **created_dirs; /* by this run, parents first */
	size_t ncreated_dirs;

	FILE *trace;
	char *trace_buf;
	bool trace_failed;

	/* progress display: the only use of the wall clock */
	bool progress;
	bool progress_shown;
	struct timespec wall_start, wall_last;
	uint64_t events_last;
	unsigned steps_since_tick;
};

static inline struct lsim_session *lsim_session_of(lua_State *L)
{
	return *(struct lsim_session **)lua_getextraspace(L);
}

/* api.c */
int lsim_open_api(lua_State *L);
int lsim_metric_set(struct lsim_session *s, const char *name, bool is_int, int64_t i, double d);
void lsim_format_time(sim_time_t t, char *buf, size_t size);

/* output.c: each int function returns an enum lsim_status (0: fine) */
int lsim_prepare_outputs(struct lsim_session *s);
int lsim_finish_artifacts(struct lsim_session *s);
int lsim_close_trace(struct lsim_session *s); /* 0 or -EIO */
int lsim_write_result(struct lsim_session *s);
void lsim_remove_created_dirs(struct lsim_session *s);
size_t lsim_failed_checks(const struct lsim_session *s);

/* sandbox.c */
void *lsim_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
void lsim_install_watchdog(struct lsim_session *s, lua_State *L);
bool lsim_watchdog_charge(struct lsim_session *s, uint64_t n);
int lsim_open_sandbox(lua_State *L);
int lsim_seed_random(lua_State *L);

/* runner.c */
/* Prints "vdpasim: <message>", keeps it as the run's error, returns status. */
int lsim_fail(struct lsim_session *s, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *lsim_scenario_base(const struct lsim_session *s);
void lsim_progress_clear(struct lsim_session *s);
/* Room for `extra` more wake-ups, so that pushing cannot fail: 0 or -ENOMEM. */
int lsim_wake_reserve(struct lsim_session *s, size_t extra);
void lsim_wake_push(struct lsim_session *s, sim_time_t t, lua_State *co, int ref, bool main);

#endif
