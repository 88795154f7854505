// SPDX-License-Identifier: MIT
/*
 * Self-test checks: they prove the runner's isolation, not anything about a
 * device.  Enabled only by the hidden --selftest option or the test API
 * (conf_run_config.selftest).  The requirement ids they set are MAY/SHOULD
 * rows no real check uses, so a self-test run's verdict is the device's.
 */
#include "conformance/conf_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const pass_reqs[] = { "PCI-DEV-04", NULL };
static const char *const crash_reqs[] = { "PCI-DEV-10", NULL };
static const char *const hang_reqs[] = { "PCI-DEV-11", NULL };
static const char *const budget_reqs[] = { "PCI-DEV-16", NULL };
static const char *const misuse_reqs[] = { "PCI-DEV-X02", NULL };

static int run_pass(struct conf_ctx *ctx)
{
	return conf_set(ctx, "PCI-DEV-04", CONF_PASS, "self-test: subsystem 0x%04x:0x%04x accepted",
			ctx->layout.subsys_vendor_id, ctx->layout.subsys_id);
}

static int run_crash(struct conf_ctx *ctx)
{
	/* evidence set before the crash must not reach the report */
	conf_set(ctx, "PCI-DEV-10", CONF_PASS, "self-test: about to crash");
	abort();
}

static int run_hang(struct conf_ctx *ctx)
{
	(void)ctx;
	for (;;)
		pause();
	return 0;
}

static void tick(struct sim *sim, void *arg)
{
	eng_schedule_in(sim, ENG_MS(1), tick, arg);
}

/* A device that keeps scheduling work forever: the simulated-time or event
 * budget, not the wall clock, ends it. */
static int run_budget(struct conf_ctx *ctx)
{
	eng_schedule_in(ctx->sim, ENG_MS(1), tick, NULL);
	if (conf_run_for(ctx, ENG_TIME_MAX) == -ETIME)
		return 0; /* the runner reports the exhausted budget */
	return conf_set(ctx, "PCI-DEV-16", CONF_PASS, "self-test: budget not enforced");
}

static int run_misuse(struct conf_ctx *ctx)
{
	conf_set(ctx, "PCI-DEV-X02", CONF_PASS, "self-test: declared");
	return conf_set(ctx, "PCI-DEV-02", CONF_PASS, "self-test: not declared");
}

const struct conf_check conf_check_selftest_pass = {
	.name = "selftest_pass",
	.description = "self-test: sets one requirement to pass",
	.requirements = pass_reqs,
	.run = run_pass,
};

const struct conf_check conf_check_selftest_crash = {
	.name = "selftest_crash",
	.description = "self-test: the check process aborts",
	.requirements = crash_reqs,
	.run = run_crash,
};

const struct conf_check conf_check_selftest_hang = {
	.name = "selftest_hang",
	.description = "self-test: the check process never returns",
	.requirements = hang_reqs,
	.run = run_hang,
};

const struct conf_check conf_check_selftest_budget = {
	.name = "selftest_budget",
	.description = "self-test: endless device activity exhausts the simulated-time budget",
	.requirements = budget_reqs,
	.run = run_budget,
};

const struct conf_check conf_check_selftest_misuse = {
	.name = "selftest_misuse",
	.description = "self-test: sets a requirement it does not declare",
	.requirements = misuse_reqs,
	.run = run_misuse,
};
