// SPDX-License-Identifier: MIT
#include "script/json.h"
#include "script/runner.h"
#include "sim/engine/engine.h"
#include "tests/unit/cu_main.h"

#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ----------------------------------------------------------------------- */

struct run {
	struct lsim_session *s;
	int status;
	char *diag;
	size_t diag_len;
};

/* Runs Lua text as scenario "test.lua" (unless cfg names another), messages captured. */
static void run_cfg(struct run *r, const char *src, struct lsim_config cfg)
{
	FILE *f;

	memset(r, 0, sizeof(*r));
	f = open_memstream(&r->diag, &r->diag_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	if (!cfg.scenario)
		cfg.scenario = "test.lua";
	cfg.source = src;
	cfg.diag = f;
	r->s = lsim_session_new(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->s);
	r->status = lsim_session_run(r->s);
	fclose(f);
}

static void run_lua(struct run *r, const char *src)
{
	run_cfg(r, src, (struct lsim_config){ .seed = 1, .quiet = true });
}

static void run_done(struct run *r)
{
	lsim_session_free(r->s);
	free(r->diag);
}

static const char *err_of(const struct run *r)
{
	const char *e = lsim_session_error(r->s);

	return e ? e : "";
}

/* Every check the script made passed, and there was at least one. */
static void assert_all_checks_pass(const struct run *r)
{
	size_t n = lsim_session_nchecks(r->s);

	CU_ASSERT(n > 0);
	for (size_t i = 0; i < n; i++) {
		const struct lsim_check *c = lsim_session_check(r->s, i);

		if (!c->pass)
			fprintf(stderr, "\n    check failed: %s: %s\n", c->name, c->detail);
		CU_ASSERT(c->pass);
	}
	if (r->status != LSIM_PASS)
		fprintf(stderr, "\n    status %d: %s\n", r->status, r->diag);
	CU_ASSERT_EQUAL(r->status, LSIM_PASS);
}

static void rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[4096];

	if (lstat(path, &st))
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path))) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/vdpasim-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return strdup(d);
}

/* ---- durations ---------------------------------------------------------------------- */

static void test_duration_strings_parse_exactly_in_all_units(void)
{
	static const struct { const char *s; sim_time_t ps; } ok[] = {
		{ "100ps", 100 }, { "500ns", 500000 }, { "10us", 10000000 },
		{ "1.5us", 1500000 }, { "2ms", 2000000000ULL }, { "3s", 3000000000000ULL },
		{ " 7 ns ", 7000 }, { ".25us", 250000 }, { "0ns", 0 }, { "1.2345678ns", 1235 },
		{ "0.0005ns", 1 }, { "0.0004ns", 0 }, { "18446744073709551615ps", UINT64_MAX },
		{ "3\xc2\xb5s", 3000000 },
	};
	sim_time_t ps;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ps = 12345;
		CU_ASSERT_EQUAL(lsim_parse_duration(ok[i].s, &ps), 0);
		CU_ASSERT_EQUAL(ps, ok[i].ps);
	}
}

static void test_duration_bad_strings_rejected(void)
{
	static const char *const bad[] = {
		"", "10", "us", "10 parsecs", "-1us", "1e3ns", "10us extra", "1..5us", ".us",
		"10 u s", "+5ns", "0x10ns", "ns10", "1,5us", "5 S",
	};
	sim_time_t ps = 77;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = lsim_parse_duration(bad[i], &ps);

		if (rc != -EINVAL)
			fprintf(stderr, "\n    accepted bad duration '%s'\n", bad[i]);
		CU_ASSERT_EQUAL(rc, -EINVAL);
	}
	CU_ASSERT_EQUAL(lsim_parse_duration("20000000s", &ps), -ERANGE);
	CU_ASSERT_EQUAL(lsim_parse_duration("18446744073709551616ps", &ps), -ERANGE);
	CU_ASSERT_EQUAL(lsim_parse_duration("99999999999999999999999s", &ps), -ERANGE);
	CU_ASSERT_EQUAL(ps, 77); /* untouched on error */
}

static void test_duration_numbers_are_nanoseconds(void)
{
	struct run r;
	sim_time_t ps;

	CU_ASSERT_EQUAL(lsim_duration_from_ns(1.5, &ps), 0);
	CU_ASSERT_EQUAL(ps, 1500);
	CU_ASSERT_EQUAL(lsim_duration_from_ns(0.1, &ps), 0);
	CU_ASSERT_EQUAL(ps, 100);
	CU_ASSERT_EQUAL(lsim_duration_from_ns(-1, &ps), -EINVAL);
	CU_ASSERT_EQUAL(lsim_duration_from_ns(NAN, &ps), -EINVAL);
	CU_ASSERT_EQUAL(lsim_duration_from_ns(1e30, &ps), -ERANGE);
	run_lua(&r, "sim.check(sim.ps(10) == 10000, 'integer ns')\n"
		    "sim.check(sim.ps(1.5) == 1500, 'fractional ns')\n"
		    "sim.check(sim.ps('2ms') == 2000000000, 'string')\n"
		    "sim.check(not pcall(sim.ps, -1), 'negative rejected')\n"
		    "sim.check(not pcall(sim.ps, '5 parsecs'), 'bad unit rejected')\n"
		    "sim.check(not pcall(sim.ps, {}), 'table rejected')\n"
		    "local ok, e = pcall(sim.wait, '10 parsecs')\n"
		    "sim.check(not ok and e:find('bad duration', 1, true), 'message', e)\n");
	assert_all_checks_pass(&r);
	run_done(&r);
}

/* ---- sandbox ------------------------------------------------------------------------ */

static void test_sandbox_hides_io_os_debug_package_and_file_loaders(void)
{
	struct run r;

	run_lua(&r, "sim.check(io == nil and os == nil and debug == nil and package == nil,"
		    " 'no io/os/debug/package')\n"
		    "sim.check(dofile == nil and loadfile == nil, 'no file loaders')\n"
		    "sim.check(string.format and table.concat and math.floor and utf8.char and"
		    " coroutine.wrap, 'allowed libraries present')\n");
	assert_all_checks_pass(&r);
	run_done(&r);
}

static void test_sandbox_load_accepts_text_rejects_binary(void)
{
	struct run r;

	run_lua(&r, "local bin = string.dump(function() return 1 end)\n"
		    "local f, e = load(bin)\n"
		    "sim.check(f == nil and e:find('binary'), 'binary rejected', e)\n"
		    "f, e = load(bin, 'x', 'b')\n"
		    "sim.check(f == nil and e:find('binary'), 'mode b overridden', e)\n"
		    "sim.check(load('return 1 + 1')() == 2, 'text chunk runs')\n"
		    "sim.check(load('return x', 'c', 't', { x = 5 })() == 5, 'env kept')\n"
		    "x = 7\n"
		    "sim.check(load('return x')() == 7, 'default env is the globals')\n");
	assert_all_checks_pass(&r);
	run_done(&r);
}

static void test_require_loads_only_scenario_libraries(void)
{
	char *dir = make_tmpdir(), path[512], scen[512];
	struct run r;

	snprintf(path, sizeof(path), "%s/lib", dir);
	CU_ASSERT_EQUAL(mkdir(path, 0777), 0);
	snprintf(path, sizeof(path), "%s/lib/helper.lua", dir);
	write_file(path, "loads = (loads or 0) + 1\n"
			 "return { double = function(x) return 2 * x end }\n");
	snprintf(path, sizeof(path), "%s/lib/loopy.lua", dir);
	write_file(path, "return require('loopy')\n");
	snprintf(scen, sizeof(scen), "%s/x.lua", dir);
	run_cfg(&r,
		"local h = require('helper')\n"
		"sim.check(h.double(21) == 42, 'scenario lib loaded')\n"
		"sim.check(require('helper') == h and loads == 1, 'loaded once')\n"
		"local ok, e = pcall(require, '../x')\n"
		"sim.check(not ok and e:find('bad module name'), 'path rejected', e)\n"
		"ok, e = pcall(require, 'missing')\n"
		"sim.check(not ok and e:find('not found'), 'missing module', e)\n"
		"ok, e = pcall(require, 'loopy')\n"
		"sim.check(not ok and e:find('loop'), 'require loop', e)\n",
		(struct lsim_config){ .scenario = scen, .quiet = true,
				      .scenarios_dir = "/nonexistent" });
	assert_all_checks_pass(&r);
	run_done(&r);
	rm_rf(dir);
	free(dir);
}

static void test_pairs_visits_keys_in_fixed_order(void)
{
	struct run r;

	run_lua(&r, "local t = {}\n"
		    "for _, k in ipairs({ 'zeta', 'alpha', 'mu', 'beta', 'omega', 'eta' }) do "
		    "t[k] = 1 end\n"
		    "t[3] = 1; t[1] = 1; t[2.5] = 1; t[true] = 1; t[false] = 1\n"
		    "local seen = {}\n"
		    "for k in pairs(t) do seen[#seen + 1] = tostring(k) end\n"
		    "local got = table.concat(seen, ' ')\n"
		    "sim.check(got == 'false true 1 2.5 3 alpha beta eta mu omega zeta', 'order', "
		    "got)\n"
		    "local n = 0\n"
		    "for k in pairs(t) do t[k] = nil; n = n + 1 end\n"
		    "sim.check(n == 11 and next(t) == nil, 'clearing while iterating')\n"
		    "local mt = setmetatable({}, { __pairs = function() return function() end end "
		    "})\n"
		    "for _ in pairs(mt) do error('__pairs ignored') end\n"
		    "sim.check(true, '__pairs respected')\n");
	assert_all_checks_pass(&r);
	run_done(&r);
}

static void test_table_sort_is_stable(void)
{
	struct run r;

	run_lua(&r, "local a = {}\n"
		    "for i = 1, 500 do a[i] = { key = (i * 7) % 5, pos = i } end\n"
		    "table.sort(a, function(x, y) return x.key < y.key end)\n"
		    "local ok = true\n"
		    "for i = 2, #a do\n"
		    "  if a[i - 1].key > a[i].key or (a[i - 1].key == a[i].key and a[i - 1].pos > "
		    "a[i].pos) then ok = false end\n"
		    "end\n"
		    "sim.check(ok, 'sorted and stable')\n"
		    "local b = { 5, 3, 9, 1 }\n"
		    "table.sort(b)\n"
		    "sim.check(table.concat(b, ',') == '1,3,5,9', 'default order')\n"
		    "sim.check(not pcall(table.sort, { 1, 'x', 2 }), 'incomparable values "
		    "raise')\n");
	assert_all_checks_pass(&r);
	run_done(&r);
}

/* ---- waiting in simulated time --------------------------------------------------------- */

/* A test module: engine events the script can observe through sim.events_seen(). */
struct seen {
	int n;
	sim_time_t at[8];
};

static void note_event(struct sim *sim, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8)
		s->at[s->n++] = eng_now(sim);
}

static int l_events_seen(lua_State *L)
{
	struct seen *s = eng_attached(lsim_sim(L), "test.seen");

	lua_pushinteger(L, s->n);
	return 1;
}

static int test_module_open(lua_State *L, struct sim *sim)
{
	struct seen *s = calloc(1, sizeof(*s));

	if (!s || eng_attach(sim, "test.seen", s, free)) {
		free(s);
		return -ENOMEM;
	}
	eng_schedule_at(sim, ENG_US(5), note_event, s);
	eng_schedule_at(sim, ENG_US(10), note_event, s);
	eng_schedule_at(sim, ENG_US(15), note_event, s);
	lua_pushcfunction(L, l_events_seen);
	lua_setfield(L, -2, "events_seen");
	return 0;
}

static const struct lsim_module test_modules[] = {
	{ "test", test_module_open },
	{ NULL, NULL },
};

static void test_wait_advances_sim_time_exactly_and_runs_due_events(void)
{
	struct run r;

	run_cfg(&r,
		"sim.check(sim.now_ps() == 0 and sim.now() == 0, 'starts at 0')\n"
		"sim.wait(1)\n"
		"sim.check(sim.now_ps() == 1000, 'number is ns')\n"
		"sim.wait('1.5us')\n"
		"sim.check(sim.now_ps() == 1501000, 'string duration')\n"
		"sim.check(sim.now() == 1501.0, 'now() in ns', sim.now())\n"
		"sim.wait(0)\n"
		"sim.check(sim.now_ps() == 1501000, 'wait(0) keeps time')\n"
		"sim.check(sim.events_seen() == 0, 'no event before 5us')\n"
		"sim.wait(10000 - 1501)\n"
		"sim.check(sim.now_ps() == 10000000, 'at 10us')\n"
		"sim.check(sim.events_seen() == 2, 'events at 5us and 10us ran first')\n"
		"sim.wait('100ps')\n"
		"sim.check(sim.now_ps() == 10000100, 'ps resolution')\n",
		(struct lsim_config){ .quiet = true, .modules = test_modules });
	assert_all_checks_pass(&r);
	/* the run ends with the main chunk: the 15us event stays pending */
	CU_ASSERT_EQUAL(eng_now(lsim_session_sim(r.s)), ENG_US(10) + 100);
	CU_ASSERT_EQUAL(eng_events_executed(lsim_session_sim(r.s)), 2);
	run_done(&r);
}

static void test_wait_works_inside_pcall(void)
{
	struct run r;

	run_lua(&r, "local ok, v = pcall(function() sim.wait('2us'); return sim.now_ps() end)\n"
		    "sim.check(ok and v == 2000000, 'wait in pcall', tostring(v))\n"
		    "local ok2, e = pcall(function() sim.wait('1us'); error('boom') end)\n"
		    "sim.check(not ok2 and e:find('boom') and sim.now_ps() == 3000000,"
		    " 'error after wait caught')\n"
		    "local ok3 = xpcall(function() sim.wait('1us') end, debug and debug.traceback "
		    "or print)\n"
		    "sim.check(ok3 and sim.now_ps() == 4000000, 'wait in xpcall')\n");
	assert_all_checks_pass(&r);
	run_done(&r);
}

static void test_at_callbacks_run_in_time_then_schedule_order(void)
{
	struct run r;

	run_lua(&r, "local log = {}\n"
		    "local function mark(tag) return function()\n"
		    "  log[#log + 1] = tag .. '@' .. sim.now_ps()\n"
		    "  sim.wait('1us')\n"
		    "  log[#log + 1] = tag .. '+@' .. sim.now_ps()\n"
		    "end end\n"
		    "sim.at('3us', mark('c'))\n"
		    "sim.at('1us', mark('a'))\n"
		    "sim.at('1us', mark('b'))\n"
		    "sim.at(0, mark('z'))\n"
		    "log[#log + 1] = 'main@' .. sim.now_ps()\n"
		    "sim.wait('10us')\n"
		    "local got = table.concat(log, ' ')\n"
		    /* z re-armed for 1us after a and b were scheduled for 1us: after them */
		    "sim.check(got == 'main@0 z@0 a@1000000 b@1000000 z+@1000000 '\n"
		    "  .. 'a+@2000000 b+@2000000 c@3000000 c+@4000000', 'order', got)\n");
	assert_all_checks_pass(&r);
	run_done(&r);
}

static void test_wait_until_polls_in_simulated_time(void)
{
	struct run r;

	run_lua(&r, "local flag = false\n"
		    "sim.at('3us', function() flag = true end)\n"
		    "local ok = sim.wait_until(function() return flag end, '10us', '1us')\n"
		    "sim.check(ok == true and sim.now_ps() == 3000000, 'true when it holds', "
		    "sim.now_ps())\n"
		    "local t0 = sim.now_ps()\n"
		    "ok = sim.wait_until(function() return false end, '5us', '2us')\n"
		    "sim.check(ok == false and sim.now_ps() - t0 == 5000000, 'false at the "
		    "timeout')\n"
		    "sim.check(sim.wait_until(function() return true end, 0), 'immediate')\n"
		    "sim.check(not pcall(sim.wait_until, function() end, '1us', 0), 'poll 0 "
		    "rejected')\n"
		    "local ok2 = pcall(function() return sim.wait_until(function() return flag "
		    "end, '1us') end)\n"
		    "sim.check(ok2, 'inside pcall')\n");
	assert_all_checks_pass(&r);
	run_done(&r);
}

static void test_wait_outside_scenario_coroutines_is_an_error(void)
{
	struct run r;

	run_lua(&r, "local ok, e = pcall(coroutine.wrap(function() sim.wait(1) end))\n"
		    "sim.check(not ok and e:find('cannot wait'), 'plain coroutine', e)\n"
		    "ok, e = pcall(table.sort, { 1, 2, 3 }, function(a, b) sim.wait(1); return a "
		    "< b end)\n"
		    "sim.check(not ok and e:find('cannot wait'), 'C callback', e)\n");
	assert_all_checks_pass(&r);
	run_done(&r);
	run_lua(&r, "coroutine.yield()\n");
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_of(&r), "coroutine.yield outside"));
	run_done(&r);
}

/* ---- limits and errors ------------------------------------------------------------------- */

static void test_watchdog_stops_endless_loop(void)
{
	struct run r;

	run_cfg(&r, "local x = 0\nwhile true do x = x + 1 end\n",
		(struct lsim_config){ .quiet = true, .max_instructions = 1000000 });
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_of(&r), "instruction limit exceeded"));
	CU_ASSERT_EQUAL(strncmp(err_of(&r), "test.lua:2:", 11), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.diag, "stack traceback:"));
	run_done(&r);
}

static void test_watchdog_cannot_be_caught(void)
{
	struct run r;

	run_cfg(&r, "while true do pcall(function() while true do end end) end\n",
		(struct lsim_config){ .quiet = true, .max_instructions = 1000000 });
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_of(&r), "instruction limit exceeded"));
	run_done(&r);
	/* caught and then finished normally: still an error */
	run_cfg(&r, "pcall(function() while true do end end)\nsim.check(true, 'after')\n",
		(struct lsim_config){ .quiet = true, .max_instructions = 1000000 });
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	run_done(&r);
}

static void test_memory_cap_stops_growing_table(void)
{
	struct run r;

	run_cfg(&r, "local t = {}\nfor i = 1, 1e9 do t[i] = { i } end\n",
		(struct lsim_config){ .quiet = true, .max_memory = 16u << 20 });
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_of(&r), "not enough memory"));
	CU_ASSERT_EQUAL(strncmp(err_of(&r), "test.lua:2:", 11), 0);
	run_done(&r);
	/* a script may catch it; the memory comes back */
	run_cfg(&r, "local ok = pcall(function() local t = {} for i = 1, 1e9 do t[i] = { i } end "
	            "end)\n"
		    "collectgarbage()\n"
		    "sim.check(not ok, 'caught')\n"
		    "local s = string.rep('x', 1000)\n"
		    "sim.check(#s == 1000, 'allocation works again')\n",
		(struct lsim_config){ .quiet = true, .max_memory = 16u << 20 });
	assert_all_checks_pass(&r);
	run_done(&r);
}

static void test_same_time_wake_loop_is_stopped(void)
{
	struct run r;

	run_cfg(&r, "local function again() sim.at(0, again) end\nagain()\nsim.wait('1us')\n",
		(struct lsim_config){ .quiet = true, .max_same_time_wakes = 1000 });
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_of(&r), "stuck"));
	run_done(&r);
}

static void test_script_errors_name_file_and_line(void)
{
	struct run r;

	run_lua(&r, "local x = nil\nlocal y = x.field\n");
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	CU_ASSERT_EQUAL(strncmp(err_of(&r), "test.lua:2: attempt to index", 28), 0);
	CU_ASSERT_EQUAL(strncmp(r.diag, "vdpasim: test.lua:2: ", 21), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.diag, "\nstack traceback:\n"));
	run_done(&r);

	run_lua(&r, "sim.at('1us', function() error({}) end)\nsim.wait('2us')\n");
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	CU_ASSERT_EQUAL(strcmp(err_of(&r), "test.lua:1: (error object is a table value)"), 0);
	run_done(&r);

	run_lua(&r, "x = = 1\n");
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	CU_ASSERT_EQUAL(strncmp(err_of(&r), "test.lua:1:", 11), 0);
	run_done(&r);

	run_cfg(&r, NULL, (struct lsim_config){ .scenario = "/nonexistent/x.lua", .quiet = true });
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_of(&r), "cannot open scenario '/nonexistent/x.lua'"));
	run_done(&r);
}

/* ---- checks, metrics, params ---------------------------------------------------------------- */

static void test_checks_record_verdict_detail_time_requirement(void)
{
	struct run r;
	const struct lsim_check *c;

	run_lua(&r, "sim.check(true, 'first')\n"
		    "sim.wait('2us')\n"
		    "sim.check(1 == 2, 'second', 'one is not two', { requirement = "
		    "'VIRTIO-2.7.13-1' })\n"
		    "sim.check(nil, 'third', 42)\n");
	CU_ASSERT_EQUAL(r.status, LSIM_FAIL);
	CU_ASSERT_EQUAL_FATAL(lsim_session_nchecks(r.s), 3);
	c = lsim_session_check(r.s, 0);
	CU_ASSERT(c->pass);
	CU_ASSERT_STRING_EQUAL(c->name, "first");
	CU_ASSERT_STRING_EQUAL(c->detail, "");
	CU_ASSERT_PTR_NULL(c->requirement);
	CU_ASSERT_EQUAL(c->time, 0);
	c = lsim_session_check(r.s, 1);
	CU_ASSERT_FALSE(c->pass);
	CU_ASSERT_STRING_EQUAL(c->detail, "one is not two");
	CU_ASSERT_STRING_EQUAL(c->requirement, "VIRTIO-2.7.13-1");
	CU_ASSERT_EQUAL(c->time, ENG_US(2));
	c = lsim_session_check(r.s, 2);
	CU_ASSERT_FALSE(c->pass);
	CU_ASSERT_STRING_EQUAL(c->detail, "42");
	CU_ASSERT_PTR_NULL(lsim_session_check(r.s, 3));
	run_done(&r);
	/* zero checks pass */
	run_lua(&r, "sim.wait(1)\n");
	CU_ASSERT_EQUAL(r.status, LSIM_PASS);
	run_done(&r);
}

static void test_metrics_keep_last_value(void)
{
	struct run r;
	double v = 0;

	run_lua(&r, "sim.metric('rate', 1)\nsim.metric('rate', 2.5)\nsim.metric('n', 7)\n"
		    "sim.check(not pcall(sim.metric, 'x', 'str'), 'non-number rejected')\n");
	CU_ASSERT(lsim_session_metric(r.s, "rate", &v));
	CU_ASSERT_DOUBLE_EQUAL(v, 2.5, 0);
	CU_ASSERT(lsim_session_metric(r.s, "n", &v));
	CU_ASSERT_DOUBLE_EQUAL(v, 7, 0);
	CU_ASSERT_FALSE(lsim_session_metric(r.s, "x", &v));
	CU_ASSERT_EQUAL(r.status, LSIM_PASS);
	run_done(&r);
}

static void test_param_converts_to_default_type(void)
{
	static const struct lsim_param params[] = {
		{ "n", "42" }, { "f", "2.5" }, { "b", "true" }, { "b0", "0" }, { "s", "hello" },
		{ "n", "43" }, { "unused", "x" }, { "free", "7" },
	};
	struct run r;

	run_cfg(&r,
		"local n = sim.param('n', 1)\n"
		"sim.check(n == 43 and math.type(n) == 'integer', 'integer, last --set wins')\n"
		"local f = sim.param('f', 1)\n"
		"sim.check(f == 2.5 and math.type(f) == 'float', 'float')\n"
		"sim.check(sim.param('b', false) == true, 'boolean true')\n"
		"sim.check(sim.param('b0', true) == false, 'boolean 0')\n"
		"sim.check(sim.param('s', 'x') == 'hello', 'string')\n"
		"sim.check(sim.param('free') == '7', 'no default gives the string')\n"
		"sim.check(sim.param('absent', 9) == 9, 'default when not set')\n"
		"sim.check(sim.param('absent') == nil, 'nil default')\n"
		"sim.param('s', 5.0) -- a word where a number is due: usage error\n",
		(struct lsim_config){ .quiet = true, .params = params,
				      .nparams = sizeof(params) / sizeof(params[0]) });
	/* the last line: 's' with a numeric default is a usage error */
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	CU_ASSERT_STRING_EQUAL(err_of(&r), "--set s=hello: s must be a number");
	CU_ASSERT_EQUAL(lsim_session_nchecks(r.s), 8);
	for (size_t i = 0; i < lsim_session_nchecks(r.s); i++)
		CU_ASSERT(lsim_session_check(r.s, i)->pass);
	/* reported without a traceback */
	CU_ASSERT_PTR_NULL(strstr(r.diag, "traceback"));
	run_done(&r);
}

static void test_param_bad_value_is_usage_error_even_if_caught(void)
{
	static const struct lsim_param params[] = { { "flag", "maybe" } };
	struct run r;

	run_cfg(&r, "pcall(sim.param, 'flag', true)\nsim.check(true, 'went on')\n",
		(struct lsim_config){ .quiet = true, .params = params, .nparams = 1 });
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	CU_ASSERT_STRING_EQUAL(err_of(&r), "--set flag=maybe: flag must be true, false, 1 or 0");
	run_done(&r);
}

static void test_random_is_seeded_from_seed_and_run(void)
{
	const char *src = "sim.metric('r', math.random(1, 1000000000))\n"
			  "math.randomseed()\n"
			  "sim.metric('r2', math.random(1, 1000000000))\n";
	double a, b, c, d, a2, b2;
	struct run r;

	run_cfg(&r, src, (struct lsim_config){ .seed = 5, .quiet = true });
	lsim_session_metric(r.s, "r", &a);
	lsim_session_metric(r.s, "r2", &a2);
	run_done(&r);
	run_cfg(&r, src, (struct lsim_config){ .seed = 5, .quiet = true });
	lsim_session_metric(r.s, "r", &b);
	lsim_session_metric(r.s, "r2", &b2);
	run_done(&r);
	run_cfg(&r, src, (struct lsim_config){ .seed = 6, .quiet = true });
	lsim_session_metric(r.s, "r", &c);
	run_done(&r);
	run_cfg(&r, src, (struct lsim_config){ .seed = 5, .run = 1, .quiet = true });
	lsim_session_metric(r.s, "r", &d);
	run_done(&r);
	CU_ASSERT_EQUAL(a, b);
	CU_ASSERT_EQUAL(a2, b2);
	CU_ASSERT_NOT_EQUAL(a, c);
	CU_ASSERT_NOT_EQUAL(a, d);
}

/* ---- outputs ------------------------------------------------------------------------------ */

static const char artifact_text[] = "frame one\nframe two\nframe three\n";

static int finish_note(void *ctx, int64_t *frames)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/capture.txt", (const char *)ctx);
	write_file(path, artifact_text);
	*frames = 3;
	return 0;
}

static int artifact_module_open(lua_State *L, struct sim *sim)
{
	(void)L;
	return lsim_artifact_add(sim, "text", "capture.txt", finish_note,
				 (void *)lsim_out_dir(sim));
}

static const struct lsim_module artifact_modules[] = {
	{ "artifact-test", artifact_module_open },
	{ NULL, NULL },
};

static const char *const json_src =
	"sim.wait('1us')\n"
	"sim.check(true, 'tab\\there \"quoted\"', 'detail')\n"
	"sim.check(true, 'req', '', { requirement = 'R-1' })\n"
	"sim.metric('b', 0.1)\nsim.metric('a', 3)\nsim.metric('c', 0/0)\n"
	"sim.metric('z', math.random(1, 1000000))\n"
	"sim.artifact('csv', 'data/samples.csv', { content = 'a,b\\n1,2\\n', frames = 1 })\n";

static char *run_to_json(const char *dir, uint64_t seed, const char *trace)
{
	struct run r;
	char path[512];

	run_cfg(&r, json_src, (struct lsim_config){ .seed = seed, .quiet = true, .out_dir = dir,
						    .trace_path = trace,
						    .modules = artifact_modules });
	CU_ASSERT_EQUAL(r.status, LSIM_PASS);
	if (trace) {
		char want[65], got[65];

		eng_trace_digest(lsim_session_sim(r.s), want);
		CU_ASSERT_EQUAL(eng_sha256_file(trace, got), 0);
		CU_ASSERT_STRING_EQUAL(got, want);
	}
	run_done(&r);
	snprintf(path, sizeof(path), "%s/result.json", dir);
	return read_file(path);
}

static void test_result_json_has_all_fields_and_is_deterministic(void)
{
	char *dir = make_tmpdir(), d1[512], d2[512], d3[512], trace[512];
	char *a, *b, *c, want[65], line[700];
	struct eng_sha256 h;
	uint8_t dg[32];

	snprintf(d1, sizeof(d1), "%s/one", dir);
	snprintf(d2, sizeof(d2), "%s/two/deeper", dir);
	snprintf(d3, sizeof(d3), "%s/three", dir);
	snprintf(trace, sizeof(trace), "%s/trace.txt", dir);
	a = run_to_json(d1, 9, NULL);
	b = run_to_json(d2, 9, trace);
	c = run_to_json(d3, 10, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(a, b); /* a trace file does not change the result */
	CU_ASSERT_STRING_NOT_EQUAL(a, c);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "{\n  \"tool\": \"vdpasim\",\n  \"version\": \""));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\n  \"scenario\": \"test.lua\",\n  \"seed\": 9,\n"
					 "  \"run\": 0,\n  \"verdict\": \"pass\",\n"
					 "  \"sim_time_ps\": 1000000,\n  \"events\": 0,\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"name\": \"tab\\there \\\"quoted\\\"\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"requirement\": \"R-1\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"metrics\": {\n    \"a\": 3,\n    \"b\": 0.1,\n"
					 "    \"c\": null,\n    \"z\": "));
	eng_sha256_init(&h);
	eng_sha256_update(&h, artifact_text, strlen(artifact_text));
	eng_sha256_final(&h, dg);
	eng_sha256_hex(dg, want);
	snprintf(line, sizeof(line), "\"kind\": \"text\",\n      \"path\": \"capture.txt\",\n"
		 "      \"frames\": 3,\n      \"sha256\": \"%s\"", want);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, line));
	/* content given by the script: written by the runner, then hashed */
	snprintf(line, sizeof(line), "%s/data/samples.csv", d1);
	free(c);
	c = read_file(line);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c, "a,b\n1,2\n");
	eng_sha256_init(&h);
	eng_sha256_update(&h, c, strlen(c));
	eng_sha256_final(&h, dg);
	eng_sha256_hex(dg, want);
	snprintf(line, sizeof(line), "\"kind\": \"csv\",\n      \"path\": \"data/samples.csv\",\n"
		 "      \"frames\": 1,\n      \"sha256\": \"%s\"", want);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, line));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"trace_sha256\": \""));
	free(a);
	free(b);
	free(c);
	rm_rf(dir);
	free(dir);
}

static void test_no_result_json_after_error_and_stale_one_removed(void)
{
	char *dir = make_tmpdir(), path[512];
	struct run r;

	snprintf(path, sizeof(path), "%s/result.json", dir);
	write_file(path, "{\"old\": true}\n");
	run_cfg(&r, "sim.check(true, 'ok')\nerror('late failure')\n",
		(struct lsim_config){ .quiet = true, .out_dir = dir });
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
	run_done(&r);
	/* a Lua artifact that was never written is the script's error */
	run_cfg(&r, "sim.artifact('svg', 'plot.svg')\n",
		(struct lsim_config){ .quiet = true, .out_dir = dir });
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_of(&r), "plot.svg"));
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
	run_done(&r);
	run_lua(&r, "sim.check(not pcall(sim.artifact, 'x', '../escape'), 'dotdot')\n"
		    "sim.check(not pcall(sim.artifact, 'x', '/abs'), 'absolute')\n"
		    "sim.artifact('x', 'a/b.txt', { frames = 4 })\n"
		    "sim.check(not pcall(sim.artifact, 'x', 'c.txt', { frames = -1 }), 'frames < "
		    "0')\n"
		    "sim.check(not pcall(sim.artifact, 'x', 'd.txt', { content = {} }), 'content "
		    "type')\n"
		    "sim.check(not pcall(sim.artifact, 'x', 'a/b.txt'), 'duplicate')\n");
	assert_all_checks_pass(&r);
	run_done(&r);
	rm_rf(dir);
	free(dir);
}

static void test_unwritable_out_dir_fails_before_running(void)
{
	char *dir = make_tmpdir(), file[512], out[600];
	struct run r;

	snprintf(file, sizeof(file), "%s/plain-file", dir);
	write_file(file, "x");
	snprintf(out, sizeof(out), "%s/sub", file);
	run_cfg(&r, "sim.log('should not run')\n",
		(struct lsim_config){ .out_dir = out });
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_of(&r), "cannot create output directory"));
	CU_ASSERT_PTR_NULL(strstr(r.diag, "should not run"));
	run_done(&r);
	rm_rf(dir);
	free(dir);
}

static void test_failed_run_leaves_no_directory_it_created(void)
{
	char *dir = make_tmpdir(), out[512], top[512];
	struct run r;

	snprintf(top, sizeof(top), "%s/new", dir);
	snprintf(out, sizeof(out), "%s/new/deeper", dir);
	run_cfg(&r, "error('fails')\n", (struct lsim_config){ .quiet = true, .out_dir = out });
	CU_ASSERT_EQUAL(r.status, LSIM_ERROR);
	CU_ASSERT_NOT_EQUAL(access(top, F_OK), 0);
	CU_ASSERT_EQUAL(access(dir, F_OK), 0); /* existed before: kept */
	run_done(&r);
	run_cfg(&r, "sim.wait(1)\n", (struct lsim_config){ .quiet = true, .out_dir = out });
	CU_ASSERT_EQUAL(r.status, LSIM_PASS);
	CU_ASSERT_EQUAL(access(out, F_OK), 0);
	run_done(&r);
	rm_rf(dir);
	free(dir);
}

static int finish_fails(void *ctx, int64_t *frames)
{
	(void)ctx;
	(void)frames;
	return -EIO;
}

static int failing_artifact_open(lua_State *L, struct sim *sim)
{
	(void)L;
	return lsim_artifact_add(sim, "pcap", "wire.pcap", finish_fails, NULL);
}

static void stop_engine(struct sim *sim, void *arg)
{
	(void)arg;
	eng_stop(sim);
}

static int stopping_model_open(lua_State *L, struct sim *sim)
{
	(void)L;
	return eng_schedule_at(sim, ENG_US(1), stop_engine, NULL) ? 0 : -ENOMEM;
}

static void test_internal_errors_exit_3_without_result(void)
{
	static const struct lsim_module failing[] = { { "f", failing_artifact_open }, { NULL, NULL } };
	static const struct lsim_module stopping[] = { { "s", stopping_model_open }, { NULL, NULL } };
	char *dir = make_tmpdir(), path[512];
	struct run r;

	snprintf(path, sizeof(path), "%s/result.json", dir);
	run_cfg(&r, "sim.check(true, 'fine')\n",
		(struct lsim_config){ .quiet = true, .out_dir = dir, .modules = failing });
	CU_ASSERT_EQUAL(r.status, LSIM_INTERNAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_of(&r), "wire.pcap"));
	CU_ASSERT_EQUAL(strncmp(r.diag, "vdpasim: internal error: ", 25), 0);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
	run_done(&r);
	run_cfg(&r, "sim.wait('5us')\nsim.check(true, 'not reached')\n",
		(struct lsim_config){ .quiet = true, .out_dir = dir, .modules = stopping });
	CU_ASSERT_EQUAL(r.status, LSIM_INTERNAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_of(&r), "stopped the simulation at 1.000000 us"));
	CU_ASSERT_EQUAL(lsim_session_nchecks(r.s), 0);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
	run_done(&r);
	rm_rf(dir);
	free(dir);
}

/* ---- JSON writer --------------------------------------------------------------------------- */

static char *json_of(void (*fill)(struct json_writer *w), bool pretty, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_writer w;

	json_init(&w, f, pretty);
	fill(&w);
	*rc = json_finish(&w);
	fclose(f);
	return buf;
}

static void fill_strings(struct json_writer *w)
{
	json_begin_array(w);
	json_string(w, "q\"b\\s/");
	json_string(w, "\b\f\n\r\t\x01\x1f\x7f");
	json_string(w, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	json_string(w, "bad\xff|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82");
	json_string_len(w, "nul\0byte", 8);
	json_end_array(w);
}

static void test_json_escapes_control_chars_and_invalid_utf8(void)
{
	int rc;
	char *s = json_of(fill_strings, false, &rc);

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(s,
		"[\"q\\\"b\\\\s/\",\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\","
		"\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
		"\"bad\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd\\ufffd|"
		"\\ufffd\\ufffd\",\"nul\\u0000byte\"]");
	free(s);
}

static void fill_numbers(struct json_writer *w)
{
	json_begin_array(w);
	json_int(w, INT64_MIN);
	json_uint(w, UINT64_MAX);
	json_double(w, 0.1);
	json_double(w, 10.0);
	json_double(w, -0.0);
	json_double(w, 1e300);
	json_double(w, 1.0 / 3.0);
	json_double(w, NAN);
	json_double(w, INFINITY);
	json_bool(w, true);
	json_null(w);
	json_end_array(w);
}

static void test_json_numbers_round_trip_and_nonfinite_is_null(void)
{
	int rc;
	char *s = json_of(fill_numbers, false, &rc), buf[40];
	struct eng_rng rng;

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(s, "[-9223372036854775808,18446744073709551615,0.1,10.0,-0.0,"
				  "1e+300,0.3333333333333333,null,null,true,null]");
	free(s);
	eng_rng_seed(&rng, 42);
	for (int i = 0; i < 2000; i++) {
		uint64_t bits = eng_rng_next(&rng);
		double v;

		memcpy(&v, &bits, sizeof(v));
		if (!isfinite(v))
			continue;
		json_format_double(v, buf, sizeof(buf));
		CU_ASSERT_EQUAL(strtod(buf, NULL), v);
	}
}

static void fill_nested(struct json_writer *w)
{
	json_begin_object(w);
	json_key(w, "a");
	json_begin_array(w);
	json_int(w, 1);
	json_begin_object(w);
	json_end_object(w);
	json_end_array(w);
	json_key(w, "e");
	json_begin_array(w);
	json_end_array(w);
	json_end_object(w);
}

static void fill_misuse(struct json_writer *w)
{
	json_begin_object(w);
	json_int(w, 1); /* a value where a key is due */
	json_end_object(w);
}

static void fill_unclosed(struct json_writer *w)
{
	json_begin_array(w);
}

static void test_json_layout_is_fixed_and_misuse_is_reported(void)
{
	int rc;
	char *s = json_of(fill_nested, true, &rc);

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(s, "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"e\": []\n}\n");
	free(s);
	s = json_of(fill_nested, false, &rc);
	CU_ASSERT_STRING_EQUAL(s, "{\"a\":[1,{}],\"e\":[]}");
	free(s);
	s = json_of(fill_misuse, false, &rc);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	free(s);
	s = json_of(fill_unclosed, false, &rc);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	free(s);
}

/* ---- list ------------------------------------------------------------------------------------ */

static void test_list_scenarios_sorted_with_first_comment(void)
{
	char *dir = make_tmpdir(), path[512], *buf = NULL, want[2048];
	struct lsim_list_opts o = { .scenarios_dir = dir };
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/bravo.lua", dir);
	write_file(path, "#!/usr/bin/env vdpasim\n--  Bravo scenario  \nsim.wait(1)\n");
	snprintf(path, sizeof(path), "%s/alpha.lua", dir);
	write_file(path, "\n-- Alpha: the first\n-- second line\n");
	snprintf(path, sizeof(path), "%s/nocomment.lua", dir);
	write_file(path, "sim.wait(1)\n-- late comment\n");
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	write_file(path, "-- not a scenario\n");
	f = open_memstream(&buf, &len);
	CU_ASSERT_EQUAL(lsim_list("scenarios", &o, f), 0);
	fclose(f);
	snprintf(want, sizeof(want), "%s/alpha.lua      Alpha: the first\n"
		 "%s/bravo.lua      Bravo scenario\n%s/nocomment.lua\n", dir, dir, dir);
	CU_ASSERT_STRING_EQUAL(buf, want);
	free(buf);
	rm_rf(dir);
	free(dir);
}

static void test_list_categories_known_and_unknown(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_EQUAL(lsim_list("requirements", NULL, f), 0);
	CU_ASSERT_EQUAL(lsim_list("checks", NULL, f), 0);
	CU_ASSERT_EQUAL(lsim_list("gadgets", NULL, f), -EINVAL);
	fclose(f);
	/* the conformance suite provides requirements and checks */
	CU_ASSERT_PTR_NOT_NULL(buf && strstr(buf, "PCI-DEV-02"));
	CU_ASSERT_PTR_NOT_NULL(buf && strstr(buf, "pci_identity"));
	free(buf);
}

CU_MAIN("script",
	CU_TEST_ENTRY(test_duration_strings_parse_exactly_in_all_units),
	CU_TEST_ENTRY(test_duration_bad_strings_rejected),
	CU_TEST_ENTRY(test_duration_numbers_are_nanoseconds),
	CU_TEST_ENTRY(test_sandbox_hides_io_os_debug_package_and_file_loaders),
	CU_TEST_ENTRY(test_sandbox_load_accepts_text_rejects_binary),
	CU_TEST_ENTRY(test_require_loads_only_scenario_libraries),
	CU_TEST_ENTRY(test_pairs_visits_keys_in_fixed_order),
	CU_TEST_ENTRY(test_table_sort_is_stable),
	CU_TEST_ENTRY(test_wait_advances_sim_time_exactly_and_runs_due_events),
	CU_TEST_ENTRY(test_wait_works_inside_pcall),
	CU_TEST_ENTRY(test_at_callbacks_run_in_time_then_schedule_order),
	CU_TEST_ENTRY(test_wait_until_polls_in_simulated_time),
	CU_TEST_ENTRY(test_wait_outside_scenario_coroutines_is_an_error),
	CU_TEST_ENTRY(test_watchdog_stops_endless_loop),
	CU_TEST_ENTRY(test_watchdog_cannot_be_caught),
	CU_TEST_ENTRY(test_memory_cap_stops_growing_table),
	CU_TEST_ENTRY(test_same_time_wake_loop_is_stopped),
	CU_TEST_ENTRY(test_script_errors_name_file_and_line),
	CU_TEST_ENTRY(test_checks_record_verdict_detail_time_requirement),
	CU_TEST_ENTRY(test_metrics_keep_last_value),
	CU_TEST_ENTRY(test_param_converts_to_default_type),
	CU_TEST_ENTRY(test_param_bad_value_is_usage_error_even_if_caught),
	CU_TEST_ENTRY(test_random_is_seeded_from_seed_and_run),
	CU_TEST_ENTRY(test_result_json_has_all_fields_and_is_deterministic),
	CU_TEST_ENTRY(test_no_result_json_after_error_and_stale_one_removed),
	CU_TEST_ENTRY(test_unwritable_out_dir_fails_before_running),
	CU_TEST_ENTRY(test_failed_run_leaves_no_directory_it_created),
	CU_TEST_ENTRY(test_internal_errors_exit_3_without_result),
	CU_TEST_ENTRY(test_json_escapes_control_chars_and_invalid_utf8),
	CU_TEST_ENTRY(test_json_numbers_round_trip_and_nonfinite_is_null),
	CU_TEST_ENTRY(test_json_layout_is_fixed_and_misuse_is_reported),
	CU_TEST_ENTRY(test_list_scenarios_sorted_with_first_comment),
	CU_TEST_ENTRY(test_list_categories_known_and_unknown))
