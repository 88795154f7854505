// SPDX-License-Identifier: MIT
/*
 * The Lua scenario API (script/): scripts run through a real session
 * (lsim_session_new/run/free) with small instruction, memory and same-time
 * wake-up limits and no output directory.  Whatever the script does, the run
 * must end (pass, fail or script error) without a crash, hang, sanitizer
 * report or leak, and its status must agree with what it recorded.
 *
 * Two input forms:
 *   - text starting with "--" (a Lua comment): the input is the script;
 *   - anything else drives a generator: each byte picks the next statement or
 *     argument, giving sequences of sim.* calls with hostile arguments (huge,
 *     negative, NaN and fractional durations, malformed duration strings, wrong
 *     types, long and binary strings, objects whose __tostring fails or waits),
 *     nested pcall, coroutines that try to wait, waits from metamethods and
 *     sort comparators, sim.at storms, wait(0) loops, runaway loops and
 *     allocation.  FUZZ_LUA_PRINT=1 prints each script before it runs.
 */
#include "script/runner.h"
#include "tests/fuzz/fuzz.h"

#include <stdarg.h>

#define MAX_SCRIPT     (64 * 1024)
#define MAX_STATEMENTS 200
#define MAX_DEPTH      4

/* Small limits keep each run in the milliseconds. */
#define FUZZ_INSTRUCTIONS 30000
#define FUZZ_MEMORY       (8u << 20)
#define FUZZ_SAME_TIME    1000

struct gen {
	struct fz in;
	char *buf;
	size_t len;
	bool full;
	unsigned statements;
	int depth;
};

static void emit(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit(struct gen *g, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (g->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(g->buf + g->len, MAX_SCRIPT - g->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= MAX_SCRIPT - g->len) {
		g->full = true;
		g->buf[g->len] = 0;
		return;
	}
	g->len += (size_t)n;
}

/* ---- arguments ------------------------------------------------------------------------ */

static const char *const durations[] = {
	"0", "1", "10", "1.5", "0.0004", "0.0005", "-1", "-0.0", "1e300", "-1e300", "0/0", "1/0",
	"-1/0", "math.maxinteger", "math.mininteger", "2^53", "2^63", "2^64",
	"18446744073709551", "18446744073709552", "18446744073709551.615", "9223372036854775",
	"9223372036854776", "'10us'", "'1.5us'", "' 3 ms '", "'100ps'", "'1s'", "'0s'", "'2ms'",
	"'\\xc2\\xb5s'", "'7\\xc2\\xb5s'", "'-5ns'", "'5'", "''", "'us'", "'.5ns'", "'5.ns'", "'.ns'",
	"'1e3ns'", "'0x10ns'", "'1 0ns'", "'1ns x'", "'1\\0ns'", "'\\t1\\n ns\\v'",
	"'18446744073709551615ps'", "'18446744073709551616ps'", "'18446744073709551s'",
	"'18446744073709552s'", "'99999999999999999999999s'", "'1.99999999999999999999ps'",
	"'0.0000005ns'", "'0.4999ps'", "'9223372036854775807ns'", "string.rep('9', 300) .. 'ps'",
	"'1' .. string.rep('0', 5000) .. 's'", "nil", "true", "{}", "sim.now", "'nan'", "'inf'",
	"sim.now_ps()", "sim.now()", "-sim.now()", "sim.now_ps() * 1000",
};

static const char *const strings[] = {
	"''", "'x'", "'check'", "'%s%n%d%%'", "'\\0'", "'a\\0b'", "'\\xff\\xfe\\xc0\\x80'",
	"'\\xed\\xa0\\x80'", "'\\u{10FFFF}'", "'\\27[2J'", "string.rep('a', 4096)",
	"string.rep('\\xe2\\x82', 999)", "string.rep('x', 70000)", "'a/b'", "'../x'", "'/abs'",
	"'a//b'", "'.'", "'a/'", "'a/./b'", "'trace.txt'", "'result.json'", "tostring(sim)",
	"'n'", "'b'", "'s'", "'f'", "'VIRTIO-2.7.13-1'", "nil", "42", "-0.0", "0/0", "true", "{}",
	"sim", "print",
	"setmetatable({}, {__tostring = function() error('tostring failed') end})",
	"setmetatable({}, {__tostring = function() return 1 end})",
	"setmetatable({}, {__tostring = function() sim.wait(1) return 'w' end})",
	"setmetatable({}, {__tostring = function() return string.rep('t', 65536) end})",
	"setmetatable({}, {__name = 'odd\\0name'})",
};

static const char *const callables[] = {
	"sim.log", "sim.now", "sim.wait", "sim.at", "sim.check", "sim.metric", "coroutine.yield",
	"error", "print", "pcall", "sim.wait_until", "function() end",
	"function() return false end", "function() return nil end", "function() sim.wait(1) end",
	"function() error('cb', 0) end", "function() error() end",
	"function() error(setmetatable({}, {__tostring = function() return 'obj' end})) end",
	"function() sim.wait('1ms') return true end", "coroutine.wrap(function() end)",
	"function(...) return ... end", "setmetatable({}, {__call = function() return true end})",
	"42", "nil",
};

static const char *pick(struct gen *g, const char *const *list, size_t n)
{
	return list[fz_below(&g->in, (uint32_t)n)];
}

#define PICK(g, list) pick(g, list, sizeof(list) / sizeof(list[0]))

/* A duration-ish argument: from the list, or a number made of input bytes. */
static void duration(struct gen *g)
{
	uint8_t sel = fz_u8(&g->in);

	if (sel < 200)
		emit(g, "%s", durations[sel % (sizeof(durations) / sizeof(durations[0]))]);
	else if (sel < 220)
		emit(g, "%u", fz_u16(&g->in));
	else if (sel < 235)
		emit(g, "%.17g", fz_double(&g->in)); /* "nan", "inf": globals, so nil */
	else {
		/* one read per statement: argument evaluation order is unspecified */
		unsigned whole = fz_u16(&g->in), frac = fz_u16(&g->in) % 1000;
		const char *unit = (const char *[]){ "ps", "ns", "us", "ms", "s", "" }[fz_below(&g->in, 6)];

		emit(g, "'%u.%03u%s'", whole, frac, unit);
	}
}

/* A string literal of input bytes, every byte escaped. */
static void byte_string(struct gen *g)
{
	const uint8_t *b;
	size_t n = fz_bytes(&g->in, 64, &b);

	emit(g, "'");
	for (size_t i = 0; i < n; i++)
		emit(g, "\\%u", b[i]);
	emit(g, "'");
}

static void string_arg(struct gen *g)
{
	if (fz_u8(&g->in) < 230)
		emit(g, "%s", PICK(g, strings));
	else
		byte_string(g);
}

static void any_value(struct gen *g)
{
	switch (fz_below(&g->in, 4)) {
	case 0: duration(g); break;
	case 1: emit(g, "%s", PICK(g, callables)); break;
	default: string_arg(g); break;
	}
}

/* ---- statements ------------------------------------------------------------------------- */

static void statement(struct gen *g);

static void block(struct gen *g)
{
	unsigned n = fz_below(&g->in, 5);

	g->depth++;
	for (unsigned i = 0; i < n && !fz_done(&g->in); i++)
		statement(g);
	g->depth--;
}

static void function_body(struct gen *g)
{
	emit(g, "function(...) ");
	block(g);
	emit(g, " end");
}

static void statement(struct gen *g)
{
	unsigned op;

	if (g->statements++ >= MAX_STATEMENTS || g->full)
		return;
	/* past the depth limit, only statements without a nested block */
	op = fz_below(&g->in, 40);
	if (g->depth >= MAX_DEPTH && op >= 20)
		op %= 20;
	switch (op) {
	case 0: case 1:
		emit(g, "sim.wait(");
		duration(g);
		emit(g, ")\n");
		break;
	case 2:
		emit(g, "sim.check(");
		any_value(g);
		emit(g, ", ");
		string_arg(g);
		if (fz_bool(&g->in)) {
			emit(g, ", ");
			any_value(g);
			if (fz_bool(&g->in)) {
				emit(g, ", {requirement = ");
				any_value(g);
				emit(g, "}");
			}
		}
		emit(g, ")\n");
		break;
	case 3:
		emit(g, "sim.metric(");
		string_arg(g);
		emit(g, ", ");
		any_value(g);
		emit(g, ")\n");
		break;
	case 4:
		emit(g, "sim.log(");
		any_value(g);
		emit(g, ", ");
		any_value(g);
		emit(g, ")\n");
		break;
	case 5:
		emit(g, "sim.artifact(");
		string_arg(g);
		emit(g, ", ");
		string_arg(g);
		if (fz_bool(&g->in)) {
			emit(g, ", {frames = ");
			any_value(g);
			emit(g, ", content = ");
			any_value(g);
			emit(g, "}");
		}
		emit(g, ")\n");
		break;
	case 6:
		emit(g, "do local p = sim.param(");
		string_arg(g);
		emit(g, ", ");
		any_value(g);
		emit(g, ") end\n");
		break;
	case 7:
		emit(g, "do local t = {sim.ps(");
		duration(g);
		emit(g, "), sim.now(), sim.now_ps(), sim.seed(), sim.run_number()} end\n");
		break;
	case 8:
		emit(g, "sim.at(");
		duration(g);
		emit(g, ", %s)\n", PICK(g, callables));
		break;
	case 9:
		emit(g, "sim.wait_until(%s, ", PICK(g, callables));
		duration(g);
		if (fz_bool(&g->in)) {
			emit(g, ", ");
			duration(g);
		}
		emit(g, ")\n");
		break;
	case 10:
		emit(g, "for i = 1, %u do sim.wait(0) end\n", fz_u16(&g->in) % 2048);
		break;
	case 11:
		emit(g, "coroutine.yield(");
		any_value(g);
		emit(g, ")\n");
		break;
	case 12:
		emit(g, "%s\n", (const char *[]){ "while true do end", "for i = 1, 1e9 do end",
						 "repeat local x = {} until false",
						 "local function r() return r() end r()",
						 "local function r() r() end r()" }[fz_below(&g->in, 5)]);
		break;
	case 13:
		emit(g, "do local s = string.rep(");
		string_arg(g);
		emit(g, ", %u) end\n", fz_u32(&g->in) % (1u << 24));
		break;
	case 14:
		emit(g, "do local f = load(");
		string_arg(g);
		emit(g, ") end\n");
		break;
	case 15:
		emit(g, "%s\n", (const char *[]){ "load(string.dump(function() end))",
						 "require('nope')", "require('../etc/passwd')",
						 "require(string.rep('m', 65))", "math.randomseed()",
						 "math.randomseed(1, 2)", "math.randomseed(0/0)",
						 "do local r = math.random(0) end", "collectgarbage()",
						 "collectgarbage('step', 1e9)",
						 "collectgarbage('incremental', 1, 1)",
						 "collectgarbage('generational')", "os = nil",
						 "sim.wait = nil", "sim = nil", "print = sim.wait",
						 "setmetatable(_G, {__index = function() sim.wait(1) end}) _ = undefined_global",
						 "string.format('%99999d', 1)",
						 "for k, v in pairs({}) do end",
						 "goto_label = 1" }[fz_below(&g->in, 20)]);
		break;
	case 16:
		emit(g, "error(");
		any_value(g);
		emit(g, ", %u)\n", fz_below(&g->in, 3));
		break;
	case 17:
		emit(g, "do local k = {[1] = 1, [2.5] = 2, x = 3, [true] = 4, [sim.log] = 5}\n"
			"for key, v in pairs(k) do k[key] = nil k.new = v end end\n");
		break;
	case 18:
		emit(g, "do local x = sim.ps(");
		duration(g);
		emit(g, ") + sim.now_ps() end\n");
		break;
	case 19:
		emit(g, "sim.check(sim.now_ps() >= 0, 'time never negative')\n");
		break;
	/* ---- with nested blocks ---- */
	case 20: case 21:
		emit(g, "sim.at(");
		duration(g);
		emit(g, ", ");
		function_body(g);
		emit(g, ")\n");
		break;
	case 22:
		emit(g, "pcall(");
		function_body(g);
		emit(g, ")\n");
		break;
	case 23:
		emit(g, "xpcall(");
		function_body(g);
		emit(g, ", function(m) sim.wait(1) return m end)\n");
		break;
	case 24:
		emit(g, "coroutine.wrap(");
		function_body(g);
		emit(g, ")()\n");
		break;
	case 25:
		emit(g, "do local co = coroutine.create(");
		function_body(g);
		emit(g, ")\nlocal ok, e = coroutine.resume(co, ");
		any_value(g);
		emit(g, ")\ncoroutine.resume(co) coroutine.close(co) end\n");
		break;
	case 26:
		emit(g, "for i = 1, %u do sim.at(", fz_u16(&g->in) % 4096);
		duration(g);
		emit(g, ", ");
		function_body(g);
		emit(g, ") end\n");
		break;
	case 27:
		emit(g, "sim.wait_until(");
		function_body(g);
		emit(g, ", ");
		duration(g);
		emit(g, ", ");
		duration(g);
		emit(g, ")\n");
		break;
	case 28:
		emit(g, "do local t = setmetatable({}, {__index = ");
		function_body(g);
		emit(g, "}) local _ = t.x end\n");
		break;
	case 29:
		emit(g, "table.sort({3, 1, 2, 5, 4}, function(a, b) ");
		block(g);
		emit(g, " return %s end)\n",
		     (const char *[]){ "a < b", "true", "false", "nil", "a > b" }[fz_below(&g->in, 5)]);
		break;
	case 30:
		emit(g, "for k, v in pairs({[1] = 1, a = 2, [false] = 3, [0.5] = 4}) do ");
		block(g);
		emit(g, " end\n");
		break;
	case 31:
		emit(g, "if sim.wait_until(function() return sim.now_ps() > ");
		duration(g);
		emit(g, " end, ");
		duration(g);
		emit(g, ") then ");
		block(g);
		emit(g, " end\n");
		break;
	case 32:
		emit(g, "do local mt = {__gc = ");
		function_body(g);
		emit(g, "} setmetatable({}, mt) collectgarbage() end\n");
		break;
	case 33:
		emit(g, "do local t <close> = setmetatable({}, {__close = ");
		function_body(g);
		emit(g, "}) ");
		block(g);
		emit(g, " end\n");
		break;
	case 34:
		emit(g, "do local ok, e = pcall(sim.at, ");
		duration(g);
		emit(g, ", ");
		function_body(g);
		emit(g, ") end\n");
		break;
	case 35:
		emit(g, "do local s = tostring(setmetatable({}, {__tostring = ");
		function_body(g);
		emit(g, "})) end\n");
		break;
	default:
		block(g);
		break;
	}
}

/* ---- the run ----------------------------------------------------------------------------- */

static FILE *devnull;
static bool print_script;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	print_script = getenv("FUZZ_LUA_PRINT") != NULL;
	return 0;
}

static void run_script(const char *src)
{
	static const struct lsim_param params[] = {
		{ "n", "5" }, { "b", "maybe" }, { "s", "text" }, { "f", "1e999" }, { "n", "0x10" },
	};
	struct lsim_config cfg = {
		.scenario = "fuzz.lua",
		.source = src,
		.seed = 1,
		.params = params,
		.nparams = sizeof(params) / sizeof(params[0]),
		.scenarios_dir = "/nonexistent-vdpasim-fuzz",
		.max_instructions = FUZZ_INSTRUCTIONS,
		.max_memory = FUZZ_MEMORY,
		.max_same_time_wakes = FUZZ_SAME_TIME,
		.quiet = true,
		.diag = devnull ? devnull : stderr,
	};
	struct lsim_session *s = lsim_session_new(&cfg);
	size_t failed = 0;
	int rc;

	FUZZ_CHECK(s);
	rc = lsim_session_run(s);
	/* a script can pass, fail or be wrong; nothing it does is an internal error */
	FUZZ_CHECK(rc == LSIM_PASS || rc == LSIM_FAIL || rc == LSIM_ERROR);
	for (size_t i = 0; i < lsim_session_nchecks(s); i++)
		failed += !lsim_session_check(s, i)->pass;
	if (rc == LSIM_ERROR)
		FUZZ_CHECK(lsim_session_error(s) != NULL);
	else
		FUZZ_CHECK((rc == LSIM_FAIL) == (failed > 0) && !lsim_session_error(s));
	lsim_session_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen g = { 0 };

	if (!devnull)
		LLVMFuzzerInitialize(NULL, NULL);
	g.buf = malloc(MAX_SCRIPT);
	if (!g.buf)
		return 0;
	if (size >= 2 && data[0] == '-' && data[1] == '-') {
		size_t n = size < MAX_SCRIPT - 1 ? size : MAX_SCRIPT - 1;

		memcpy(g.buf, data, n); /* a NUL inside ends the script early: fine */
		g.buf[n] = 0;
	} else {
		g.buf[0] = 0;
		fz_init(&g.in, data, size);
		while (!fz_done(&g.in) && !g.full && g.statements < MAX_STATEMENTS)
			statement(&g);
	}
	if (print_script)
		fprintf(stderr, "---- script ----\n%s\n----------------\n", g.buf);
	run_script(g.buf);
	free(g.buf);
	return 0;
}
