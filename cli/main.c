// SPDX-License-Identifier: MIT
/*
 * vdpasim command line: parses arguments and dispatches.  The work lives in
 * script/ (lsim_run, lsim_list) so tests and the conformance suite share it.
 */
#include "script/runner.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VDPASIM_VERSION
#define VDPASIM_VERSION "unknown"
#endif

static const char usage_text[] =
	"usage: vdpasim run SCENARIO.lua [options]\n"
	"       vdpasim list devices|scenarios|requirements|checks\n"
	"       vdpasim --help | --version\n"
	"\n"
	"run options:\n"
	"  --seed N              random seed (default 1)\n"
	"  --run N               run number, a second seed axis (default 0)\n"
	"  --out DIR             output directory (default out/<scenario name>/)\n"
	"  --set KEY=VALUE       scenario parameter, read with sim.param(KEY, default)\n"
	"  --trace FILE          write the trace records to FILE\n"
	"  --quiet               no sim.log output, notes or progress\n"
	"  --verbose             print the wall-clock speed at the end\n"
	"  --max-instructions N  Lua instruction limit (default 2000000000)\n"
	"  --max-memory-mib N    Lua memory limit in MiB (default 512)\n"
	"\n"
	"exit status: 0 all checks passed, 1 a check failed, 2 usage or script error,\n"
	"3 internal error.  See docs/cli.md and docs/lua-api.md.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vdpasim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see vdpasim --help)\n", stderr);
	return LSIM_ERROR;
}

/* Plain decimal, nothing else: no sign, no spaces, no suffix. */
static int parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (x > (UINT64_MAX - d) / 10)
			return -ERANGE;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "help");
}

struct run_args {
	struct lsim_config cfg;
	struct lsim_param *params;
	char *default_out;
};

/* "out/<scenario file name without .lua>" */
static char *default_out_dir(const char *scenario)
{
	const char *base = strrchr(scenario, '/');
	size_t n;
	char *p;

	base = base ? base + 1 : scenario;
	n = strlen(base);
	if (n > 4 && !strcmp(base + n - 4, ".lua"))
		n -= 4;
	p = malloc(n + 5);
	if (p)
		snprintf(p, n + 5, "out/%.*s", (int)n, base);
	return p;
}

static int number_option(const char *name, const char *value, uint64_t *out)
{
	int rc = parse_u64(value, out);

	if (rc == -ERANGE)
		return usage_error("--%s %s: number too large", name, value);
	if (rc)
		return usage_error("--%s %s: not a non-negative integer", name, value);
	return 0;
}

static int parse_run(int argc, char **argv, struct run_args *a)
{
	struct lsim_config *c = &a->cfg;
	uint64_t mib;

	c->seed = 1;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq, *val = NULL;
		char name[32];
		int rc = 0;

		if (arg[0] != '-' || !strcmp(arg, "-")) {
			if (c->scenario)
				return usage_error("unexpected argument '%s'", arg);
			c->scenario = arg;
			continue;
		}
		if (is_help(arg)) {
			fputs(usage_text, stdout);
			return -1;
		}
		if (arg[1] != '-')
			return usage_error("unknown option '%s'", arg);
		eq = strchr(arg, '=');
		snprintf(name, sizeof(name), "%.*s",
			 (int)(eq ? eq - arg - 2 : (long)strlen(arg) - 2), arg + 2);
		if (!strcmp(name, "quiet") || !strcmp(name, "verbose")) {
			if (eq)
				return usage_error("option --%s takes no value", name);
			if (name[0] == 'q')
				c->quiet = true;
			else
				c->verbose = true;
			continue;
		}
		if (strcmp(name, "seed") && strcmp(name, "run") && strcmp(name, "out") &&
		    strcmp(name, "set") && strcmp(name, "trace") &&
		    strcmp(name, "max-instructions") && strcmp(name, "max-memory-mib"))
			return usage_error("unknown option '%s'", arg);
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return usage_error("option --%s needs a value", name);
		if (!strcmp(name, "seed")) {
			rc = number_option(name, val, &c->seed);
		} else if (!strcmp(name, "run")) {
			rc = number_option(name, val, &c->run);
		} else if (!strcmp(name, "max-instructions")) {
			rc = number_option(name, val, &c->max_instructions);
			if (!rc && !c->max_instructions)
				rc = usage_error("--max-instructions must be at least 1");
		} else if (!strcmp(name, "max-memory-mib")) {
			rc = number_option(name, val, &mib);
			if (!rc && (mib == 0 || mib > (UINT64_MAX >> 20)))
				rc = usage_error("--max-memory-mib %s: out of range", val);
			c->max_memory = mib << 20;
		} else if (!strcmp(name, "out")) {
			if (!*val)
				rc = usage_error("--out needs a directory name");
			c->out_dir = val;
		} else if (!strcmp(name, "trace")) {
			if (!*val)
				rc = usage_error("--trace needs a file name");
			c->trace_path = val;
		} else {
			const char *kv = strchr(val, '=');

			if (!kv)
				rc = usage_error("--set %s: expected KEY=VALUE", val);
			else if (kv == val)
				rc = usage_error("--set %s: empty key", val);
			else {
				/* key and value point into argv: cut the key in place */
				a->params[c->nparams].key = val;
				a->params[c->nparams].value = kv + 1;
				*(char *)kv = 0;
				c->nparams++;
			}
		}
		if (rc)
			return rc;
	}
	if (!c->scenario)
		return usage_error("run: missing SCENARIO.lua");
	if (!c->out_dir) {
		a->default_out = default_out_dir(c->scenario);
		if (!a->default_out) {
			fputs("vdpasim: internal error: out of memory\n", stderr);
			return LSIM_INTERNAL;
		}
		c->out_dir = a->default_out;
	}
	c->params = a->params;
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct run_args a = { 0 };
	int rc;

	a.params = calloc((size_t)argc + 1, sizeof(*a.params));
	if (!a.params) {
		fputs("vdpasim: internal error: out of memory\n", stderr);
		return LSIM_INTERNAL;
	}
	rc = parse_run(argc, argv, &a);
	if (rc < 0)
		rc = 0; /* --help */
	else if (rc == 0)
		rc = lsim_run(&a.cfg);
	free(a.params);
	free(a.default_out);
	return rc;
}

static int cmd_list(int argc, char **argv)
{
	struct lsim_list_opts o = { .scenarios_dir = "scenarios" };
	int rc;

	if (argc == 1 && is_help(argv[0])) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc != 1)
		return usage_error("list needs one of: devices, scenarios, requirements, checks");
	rc = lsim_list(argv[0], &o, stdout);
	if (rc == -EINVAL)
		return usage_error("unknown list '%s' (devices, scenarios, requirements, checks)",
				   argv[0]);
	if (rc == -ENOENT && !strcmp(argv[0], "scenarios")) {
		fprintf(stderr, "vdpasim: no '%s' directory here (run from the source tree)\n",
			o.scenarios_dir);
		return LSIM_ERROR;
	}
	if (rc) {
		fprintf(stderr, "vdpasim: list %s: %s\n", argv[0], strerror(-rc));
		return LSIM_INTERNAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return LSIM_ERROR;
	}
	if (is_help(argv[1])) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("vdpasim %s\n", VDPASIM_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "list"))
		return cmd_list(argc - 2, argv + 2);
	if (argv[1][0] == '-')
		return usage_error("unknown option '%s'", argv[1]);
	return usage_error("unknown command '%s'", argv[1]);
}
