// SPDX-License-Identifier: MIT
/*
 * vdpasim command line: parses arguments and dispatches.  The work lives in
 * script/ (lsim_run, lsim_list) and conformance/ (conf_run, conf_merge,
 * conf_verify) so tests share it.
 */
#include "conformance/conformance.h"
#include "script/runner.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdpasim/version.h"

static const char usage_text[] =
	"usage: vdpasim run SCENARIO.lua [options]\n"
	"       vdpasim conformance --device NAME|PATH.so [options]\n"
	"       vdpasim report merge OUTDIR DIR... | report verify DIR\n"
	"       vdpasim list devices|scenarios|requirements [--summary]|checks\n"
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
	"\n"
	"conformance options:\n"
	"  --device NAME|PATH    built-in device, or a plugin shared object\n"
	"  --device-options S    the device's create() options (key=value,...)\n"
	"  --ring R              split, packed or all (default all the device offers)\n"
	"  --profile P           offered (default), or items: split,packed,event_idx,\n"
	"                        indirect,in_order,mq,ctrl_vq,suspend\n"
	"  --only LIST           requirement ids and/or check names, comma-separated\n"
	"  --shard I/N           run the I-th of N shares of the checks (1-based)\n"
	"  --out DIR             report directory (default reports/<device>)\n"
	"  --seed N              random seed (default 1)\n"
	"  --timeout S           wall-clock hang guard per check, seconds (default 60)\n"
	"  --quiet               no progress lines\n"
	"\n"
	"exit status: 0 all checks passed, 1 a check failed, 2 usage or script error,\n"
	"3 internal error.  See docs/cli.md, docs/lua-api.md and docs/conformance.md.\n";

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
	if (argc == 2 && !strcmp(argv[0], "requirements") && !strcmp(argv[1], "--summary")) {
		if (conf_list_summary(stdout)) {
			fputs("vdpasim: list requirements: write error\n", stderr);
			return LSIM_INTERNAL;
		}
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--summary"))
		return usage_error("--summary goes with list requirements");
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

/* ---- conformance and report ------------------------------------------------------------- */

/* "reports/<device file or name, without directories and .so>" */
static char *default_report_dir(const char *device)
{
	const char *base = strrchr(device, '/');
	size_t n;
	char *p;

	base = base ? base + 1 : device;
	n = strlen(base);
	if (n > 3 && !strcmp(base + n - 3, ".so"))
		n -= 3;
	p = malloc(n + 9);
	if (p)
		snprintf(p, n + 9, "reports/%.*s", (int)n, base);
	return p;
}

static int parse_shard(const char *v, struct conf_run_config *c)
{
	const char *slash = strchr(v, '/');
	char idx[24];
	uint64_t i, n;

	if (!slash || slash == v || (size_t)(slash - v) >= sizeof(idx))
		return usage_error("--shard %s: expected I/N, e.g. 2/4", v);
	snprintf(idx, sizeof(idx), "%.*s", (int)(slash - v), v);
	if (parse_u64(idx, &i) || parse_u64(slash + 1, &n) || i < 1 || n < 1 || i > n ||
	    n > 1000000)
		return usage_error("--shard %s: expected I/N with 1 <= I <= N", v);
	c->shard_index = (unsigned)i;
	c->shard_count = (unsigned)n;
	return 0;
}

static int conformance_option(const char *name, const char *val, struct conf_run_config *c)
{
	uint64_t v;

	if (!strcmp(name, "device")) {
		c->device = val;
	} else if (!strcmp(name, "device-options")) {
		c->device_options = val;
	} else if (!strcmp(name, "ring")) {
		if (!strcmp(val, "split"))
			c->rings = CONF_RING_SPLIT;
		else if (!strcmp(val, "packed"))
			c->rings = CONF_RING_PACKED;
		else if (!strcmp(val, "all"))
			c->rings = CONF_RING_ALL;
		else
			return usage_error("--ring %s: expected split, packed or all", val);
	} else if (!strcmp(name, "profile")) {
		c->profile = val;
	} else if (!strcmp(name, "only")) {
		c->only = val;
	} else if (!strcmp(name, "mutant")) {
		/* hidden: a deliberately broken variant of the ifcvf device (tests) */
		c->mutant = val;
	} else if (!strcmp(name, "shard")) {
		return parse_shard(val, c);
	} else if (!strcmp(name, "out")) {
		if (!*val)
			return usage_error("--out needs a directory name");
		c->out_dir = val;
	} else if (!strcmp(name, "seed")) {
		return number_option(name, val, &c->seed);
	} else if (!strcmp(name, "timeout")) {
		if (number_option(name, val, &v))
			return LSIM_ERROR;
		if (v < 1 || v > 86400)
			return usage_error("--timeout %s: 1 to 86400 seconds", val);
		c->timeout_s = (unsigned)v;
	} else {
		return usage_error("unknown option '--%s'", name);
	}
	return 0;
}

static int cmd_conformance(int argc, char **argv)
{
	struct conf_run_config c = { .seed = 1 };
	char *out = NULL;
	int rc;

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq, *val;
		char name[32];

		if (is_help(arg)) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (strncmp(arg, "--", 2))
			return usage_error("unexpected argument '%s'", arg);
		eq = strchr(arg, '=');
		snprintf(name, sizeof(name), "%.*s",
			 (int)(eq ? eq - arg - 2 : (long)strlen(arg) - 2), arg + 2);
		/* --selftest (hidden): add the checks that prove the isolation */
		if (!strcmp(name, "quiet") || !strcmp(name, "selftest")) {
			if (eq)
				return usage_error("option --%s takes no value", name);
			if (name[0] == 'q')
				c.quiet = true;
			else
				c.selftest = true;
			continue;
		}
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return usage_error("option --%s needs a value", name);
		rc = conformance_option(name, val, &c);
		if (rc)
			return rc;
	}
	if (!c.device)
		return usage_error("conformance: missing --device NAME|PATH");
	if (!c.out_dir) {
		out = default_report_dir(c.device);
		if (!out) {
			fputs("vdpasim: internal error: out of memory\n", stderr);
			return LSIM_INTERNAL;
		}
		c.out_dir = out;
	}
	rc = conf_run(&c);
	free(out);
	return rc;
}

static int cmd_report(int argc, char **argv)
{
	if (argc >= 1 && is_help(argv[0])) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[0], "merge"))
		return conf_merge(argv[1], (const char *const *)argv + 2, (size_t)argc - 2, stderr);
	if (argc == 2 && !strcmp(argv[0], "verify"))
		return conf_verify(argv[1], stdout, stderr);
	return usage_error("report needs 'merge OUTDIR DIR...' or 'verify DIR'");
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
		printf("vdpasim %s\n", vdpasim_version());
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "list"))
		return cmd_list(argc - 2, argv + 2);
	if (!strcmp(argv[1], "conformance"))
		return cmd_conformance(argc - 2, argv + 2);
	if (!strcmp(argv[1], "report"))
		return cmd_report(argc - 2, argv + 2);
	if (argv[1][0] == '-')
		return usage_error("unknown option '%s'", argv[1]);
	return usage_error("unknown command '%s'", argv[1]);
}
