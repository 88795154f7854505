// SPDX-License-Identifier: MIT
/*
 * The conformance runner: every check in its own process (a crash or a hang
 * is an error for that check's rows and the run goes on), the simulated
 * budget, conf_set misuse, profiles, --only, shards and the verdict rule.
 * Checks here are test checks driving the built-in "testnet" device.
 */
#include "conformance/conf_priv.h"
#include "tests/unit/cu_main.h"
#include "vdpasim/uapi.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- test checks ---------------------------------------------------------------------------- */

static const char *const r_may04[] = { "PCI-DEV-04", NULL };
static const char *const r_may10[] = { "PCI-DEV-10", NULL };
static const char *const r_must02[] = { "PCI-DEV-02", NULL };
static const char *const r_packed[] = { "PACKED-DEV-01", "PCI-DEV-16", NULL };
static const char *const r_split[] = { "SPLIT-DEV-01", NULL };

static int run_pass04(struct conf_ctx *ctx)
{
	return conf_set(ctx, "PCI-DEV-04", CONF_PASS, "fine");
}

static int run_segv(struct conf_ctx *ctx)
{
	conf_set(ctx, "PCI-DEV-10", CONF_PASS, "never reported");
	raise(SIGSEGV); /* what a wild pointer in device code does */
	return 0;
}

static int run_abort(struct conf_ctx *ctx)
{
	(void)ctx;
	abort();
}

static int run_hang(struct conf_ctx *ctx)
{
	(void)ctx;
	for (;;)
		pause();
	return 0;
}

static int run_fail02(struct conf_ctx *ctx)
{
	return conf_set(ctx, "PCI-DEV-02", CONF_FAIL, "vendor wrong at %llu ps",
			(unsigned long long)conf_now(ctx));
}

static int run_errno(struct conf_ctx *ctx)
{
	conf_set(ctx, "PCI-DEV-10", CONF_PASS, "half done");
	return -ENODEV;
}

static int run_pass_packed(struct conf_ctx *ctx)
{
	conf_set(ctx, "PACKED-DEV-01", CONF_PASS, "claims a pass");
	return conf_set(ctx, "PCI-DEV-16", CONF_PASS, "ring %u", ctx->ring);
}

static int run_split(struct conf_ctx *ctx)
{
	return conf_set(ctx, "SPLIT-DEV-01", CONF_PASS, "ring %u", ctx->ring);
}

static void tick(struct sim *sim, void *arg)
{
	eng_schedule_in(sim, ENG_NS(1), tick, arg);
}

static int run_events(struct conf_ctx *ctx)
{
	eng_schedule_in(ctx->sim, ENG_NS(1), tick, NULL);
	return conf_run_for(ctx, ENG_MS(1)) == -ETIME ? 0 : conf_set(ctx, "PCI-DEV-04", CONF_PASS,
								      "budget not hit");
}

#define CHECK(n, r, fn) { .name = n, .description = n, .requirements = r, .run = fn }

static const struct conf_check c_pass04 = CHECK("t_pass04", r_may04, run_pass04);
static const struct conf_check c_segv = CHECK("t_segv", r_may10, run_segv);
static const struct conf_check c_abort = CHECK("t_abort", r_may10, run_abort);
static const struct conf_check c_hang = CHECK("t_hang", r_may10, run_hang);
static const struct conf_check c_fail02 = CHECK("t_fail02", r_must02, run_fail02);
static const struct conf_check c_errno = CHECK("t_errno", r_may10, run_errno);
static const struct conf_check c_events = CHECK("t_events", r_may04, run_events);
static const struct conf_check c_packed = CHECK("t_packed", r_packed, run_pass_packed);
static const struct conf_check c_split = {
	.name = "t_split", .description = "per ring", .requirements = r_split,
	.rings = CONF_RING_SPLIT | CONF_RING_PACKED, .run = run_split,
};
static const struct conf_check c_needs_mq = {
	.name = "t_needs_mq", .description = "needs MQ", .requirements = r_may04,
	.needs_features = 1ULL << VIRTIO_NET_F_MQ, .run = run_pass04,
};

/* ---- helpers -------------------------------------------------------------------------------- */

static FILE *quiet_diag(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

static struct conf_report *run(const struct conf_check *const *checks, const char *options,
			       int *status)
{
	struct conf_run_config c = {
		.device = "testnet",
		.device_options = options,
		.seed = 3,
		.checks = checks,
		.timeout_s = 2,
		.quiet = true,
		.diag = quiet_diag(),
	};
	struct conf_report *r = NULL;

	*status = conf_run_report(&c, &r);
	return r;
}

static const struct conf_result *row(const struct conf_report *r, const char *id)
{
	int i = conf_req_index(id);

	CU_ASSERT_FATAL(i >= 0);
	return &r->res[i];
}

static bool has_evidence(const struct conf_result *x, const char *check, enum conf_status st,
			 const char *text)
{
	for (size_t i = 0; i < x->nev; i++)
		if (!strcmp(x->ev[i].check, check) && x->ev[i].status == st &&
		    strstr(x->ev[i].message, text))
			return true;
	return false;
}

/* ---- isolation --------------------------------------------------------------------------------- */

static void test_crashing_check_is_error_and_the_run_goes_on(void)
{
	const struct conf_check *checks[] = { &c_segv, &c_pass04, NULL };
	const struct conf_result *x;
	int status;
	struct conf_report *r = run(checks, NULL, &status);

	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	x = row(r, "PCI-DEV-10");
	CU_ASSERT_EQUAL(x->status, CONF_ERROR);
	CU_ASSERT(has_evidence(x, "t_segv", CONF_ERROR, "killed by signal 11"));
	/* evidence set before the crash is discarded */
	CU_ASSERT_EQUAL(x->nev, 1);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-04")->status, CONF_PASS);
	conf_report_free(r);
}

static void test_aborting_check_names_the_signal(void)
{
	const struct conf_check *checks[] = { &c_abort, &c_pass04, NULL };
	int status;
	struct conf_report *r = run(checks, NULL, &status);
	char want[64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	snprintf(want, sizeof(want), "signal %d", SIGABRT);
	CU_ASSERT(has_evidence(row(r, "PCI-DEV-10"), "t_abort", CONF_ERROR, want));
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-04")->status, CONF_PASS);
	conf_report_free(r);
}

static void test_hanging_check_is_killed_by_the_hang_guard(void)
{
	const struct conf_check *checks[] = { &c_hang, &c_pass04, NULL };
	int status;
	struct conf_report *r = run(checks, NULL, &status);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-10")->status, CONF_ERROR);
	CU_ASSERT(has_evidence(row(r, "PCI-DEV-10"), "t_hang", CONF_ERROR, "hang guard"));
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-04")->status, CONF_PASS);
	conf_report_free(r);
}

static void test_event_budget_turns_endless_activity_into_error(void)
{
	const struct conf_check *checks[] = { &c_events, NULL };
	struct conf_run_config c = {
		.device = "testnet", .seed = 1, .checks = checks, .max_events = 1000,
		.quiet = true, .diag = quiet_diag(),
	};
	struct conf_report *r = NULL;

	CU_ASSERT_EQUAL_FATAL(conf_run_report(&c, &r), 0);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-04")->status, CONF_ERROR);
	CU_ASSERT(has_evidence(row(r, "PCI-DEV-04"), "t_events", CONF_ERROR, "budget"));
	conf_report_free(r);
}

static void test_selftest_checks_cover_crash_hang_budget_and_misuse(void)
{
	struct conf_run_config c = {
		.device = "testnet", .seed = 1, .selftest = true, .timeout_s = 1,
		.quiet = true, .diag = quiet_diag(),
	};
	struct conf_report *r = NULL;

	CU_ASSERT_EQUAL_FATAL(conf_run_report(&c, &r), 0);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-04")->status, CONF_PASS);
	CU_ASSERT(has_evidence(row(r, "PCI-DEV-10"), "selftest_crash", CONF_ERROR, "signal"));
	CU_ASSERT(has_evidence(row(r, "PCI-DEV-11"), "selftest_hang", CONF_ERROR, "hang guard"));
	CU_ASSERT(has_evidence(row(r, "PCI-DEV-16"), "selftest_budget", CONF_ERROR, "budget"));
	CU_ASSERT(has_evidence(row(r, "PCI-DEV-X02"), "selftest_misuse", CONF_ERROR,
			       "does not declare"));
	/* the real checks still ran, and the self-test rows are not MUST rows */
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-02")->status, CONF_PASS);
	CU_ASSERT(conf_report_passed(r));
	conf_report_free(r);
}

static void test_check_returning_an_errno_is_error(void)
{
	const struct conf_check *checks[] = { &c_errno, NULL };
	int status;
	struct conf_report *r = run(checks, NULL, &status);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-10")->status, CONF_ERROR);
	CU_ASSERT(has_evidence(row(r, "PCI-DEV-10"), "t_errno", CONF_ERROR, "No such device"));
	CU_ASSERT(has_evidence(row(r, "PCI-DEV-10"), "t_errno", CONF_PASS, "half done"));
	conf_report_free(r);
}

/* ---- verdict, profiles, selection ------------------------------------------------------------ */

static void test_failed_must_row_fails_the_run_untested_ones_do_not(void)
{
	const struct conf_check *pass[] = { &c_pass04, NULL };
	const struct conf_check *fail[] = { &c_fail02, NULL };
	struct conf_counts c;
	int status;
	struct conf_report *r = run(pass, NULL, &status);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	conf_report_counts(r, &c);
	CU_ASSERT(c.must[CONF_NOT_TESTED] > 100);
	CU_ASSERT(conf_report_passed(r));
	conf_report_free(r);
	r = run(fail, NULL, &status);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-02")->status, CONF_FAIL);
	CU_ASSERT_FALSE(conf_report_passed(r));
	CU_ASSERT_STRING_EQUAL(conf_report_verdict(r), "fail");
	conf_report_free(r);
}

static void test_pass_on_unoffered_feature_row_is_not_applicable(void)
{
	const struct conf_check *checks[] = { &c_packed, NULL };
	int status;
	struct conf_report *r = run(checks, NULL, &status);
	const struct conf_result *x;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	x = row(r, "PACKED-DEV-01");
	CU_ASSERT_EQUAL(x->status, CONF_NOT_APPLICABLE);
	CU_ASSERT_PTR_NOT_NULL(strstr(x->note, "VIRTIO_F_RING_PACKED"));
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-16")->status, CONF_PASS);
	conf_report_free(r);
}

static void test_ring_checks_run_once_per_offered_ring(void)
{
	const struct conf_check *checks[] = { &c_split, NULL };
	char opts[64];
	int status;
	struct conf_report *r = run(checks, NULL, &status);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(row(r, "SPLIT-DEV-01")->nev, 1); /* testnet offers no packed ring */
	CU_ASSERT_STRING_EQUAL(r->ring, "split");
	conf_report_free(r);
	snprintf(opts, sizeof(opts), "features=0x%llx",
		 (unsigned long long)(1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_RING_PACKED));
	r = run(checks, opts, &status);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL_FATAL(row(r, "SPLIT-DEV-01")->nev, 2);
	CU_ASSERT_STRING_EQUAL(row(r, "SPLIT-DEV-01")->ev[0].ring, "packed");
	CU_ASSERT_STRING_EQUAL(row(r, "SPLIT-DEV-01")->ev[1].ring, "split");
	CU_ASSERT_STRING_EQUAL(r->ring, "all");
	CU_ASSERT_STRING_EQUAL(r->profile, "split,packed");
	conf_report_free(r);
}

static void test_profile_and_ring_limit_what_runs(void)
{
	const struct conf_check *checks[] = { &c_split, &c_needs_mq, NULL };
	struct conf_run_config c = {
		.device = "testnet", .seed = 1, .checks = checks, .quiet = true,
		.diag = quiet_diag(),
	};
	struct conf_report *r = NULL;
	char opts[96];

	snprintf(opts, sizeof(opts), "features=0x%llx",
		 (unsigned long long)(1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_RING_PACKED |
				      1ULL << VIRTIO_NET_F_MQ | 1ULL << VIRTIO_NET_F_CTRL_VQ));
	c.device_options = opts;
	c.profile = "split,mq,ctrl_vq";
	CU_ASSERT_EQUAL_FATAL(conf_run_report(&c, &r), 0);
	CU_ASSERT_EQUAL(row(r, "SPLIT-DEV-01")->nev, 1);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-04")->status, CONF_PASS); /* MQ covered */
	/* packed is offered but not covered: untested, with the reason */
	CU_ASSERT_EQUAL(row(r, "PACKED-DEV-01")->status, CONF_NOT_TESTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(row(r, "PACKED-DEV-01")->note, "--ring"));
	conf_report_free(r);
	r = NULL;
	c.profile = "split";
	CU_ASSERT_EQUAL_FATAL(conf_run_report(&c, &r), 0);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-04")->status, CONF_NOT_TESTED); /* needs MQ */
	CU_ASSERT_PTR_NOT_NULL(strstr(row(r, "NET-MQ-DEV-01")->note, "--profile"));
	conf_report_free(r);
	r = NULL;
	c.profile = NULL;
	c.device_options = NULL;
	c.rings = CONF_RING_PACKED; /* testnet offers no packed ring by default */
	CU_ASSERT_EQUAL(conf_run_report(&c, &r), CONF_EXIT_USAGE);
	CU_ASSERT_PTR_NULL(r);
	c.rings = 0;
	c.profile = "split,suspend";
	CU_ASSERT_EQUAL(conf_run_report(&c, &r), CONF_EXIT_USAGE);
	c.profile = "split,bogus";
	CU_ASSERT_EQUAL(conf_run_report(&c, &r), CONF_EXIT_USAGE);
}

static void test_only_selects_checks_by_name_or_requirement(void)
{
	const struct conf_check *checks[] = { &c_pass04, &c_fail02, NULL };
	struct conf_run_config c = {
		.device = "testnet", .seed = 1, .checks = checks, .quiet = true,
		.diag = quiet_diag(),
	};
	struct conf_report *r = NULL;

	c.only = "PCI-DEV-04";
	CU_ASSERT_EQUAL_FATAL(conf_run_report(&c, &r), 0);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-04")->status, CONF_PASS);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-02")->status, CONF_NOT_TESTED);
	CU_ASSERT_STRING_EQUAL(r->only, "PCI-DEV-04");
	conf_report_free(r);
	r = NULL;
	c.only = "t_fail02";
	CU_ASSERT_EQUAL_FATAL(conf_run_report(&c, &r), 0);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-04")->status, CONF_NOT_TESTED);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-02")->status, CONF_FAIL);
	conf_report_free(r);
	r = NULL;
	c.only = "no_such_check";
	CU_ASSERT_EQUAL(conf_run_report(&c, &r), CONF_EXIT_USAGE);
	c.only = "SPLIT-DEV-03"; /* a row no check covers */
	CU_ASSERT_EQUAL(conf_run_report(&c, &r), CONF_EXIT_USAGE);
}

static void test_shards_split_the_check_list_by_position(void)
{
	const struct conf_check *checks[] = { &c_pass04, &c_fail02, &c_errno, NULL };
	struct conf_run_config c = {
		.device = "testnet", .seed = 1, .checks = checks, .quiet = true,
		.diag = quiet_diag(), .shard_count = 2,
	};
	struct conf_report *r = NULL;

	c.shard_index = 1;
	CU_ASSERT_EQUAL_FATAL(conf_run_report(&c, &r), 0);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-04")->status, CONF_PASS);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-02")->status, CONF_NOT_TESTED);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-10")->status, CONF_ERROR);
	CU_ASSERT_EQUAL(r->shard_index, 1);
	CU_ASSERT_EQUAL(r->shard_count, 2);
	conf_report_free(r);
	r = NULL;
	c.shard_index = 2;
	CU_ASSERT_EQUAL_FATAL(conf_run_report(&c, &r), 0);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-04")->status, CONF_NOT_TESTED);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-02")->status, CONF_FAIL);
	conf_report_free(r);
	r = NULL;
	c.shard_index = 3;
	CU_ASSERT_EQUAL(conf_run_report(&c, &r), CONF_EXIT_USAGE);
}

static void test_results_do_not_depend_on_check_order(void)
{
	const struct conf_check *ab[] = { &c_fail02, &c_pass04, &c_errno, NULL };
	const struct conf_check *ba[] = { &c_errno, &c_pass04, &c_fail02, NULL };
	int status;
	struct conf_report *r1 = run(ab, NULL, &status), *r2 = run(ba, NULL, &status);
	char *j1, *j2;
	size_t l1, l2;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r2);
	CU_ASSERT_EQUAL_FATAL(conf_render(r1, "conformance.json", &j1, &l1), 0);
	CU_ASSERT_EQUAL_FATAL(conf_render(r2, "conformance.json", &j2, &l2), 0);
	CU_ASSERT(l1 == l2 && !memcmp(j1, j2, l1));
	free(j1);
	free(j2);
	conf_report_free(r1);
	conf_report_free(r2);
}

static void test_device_that_cannot_be_created_is_refused(void)
{
	const struct conf_check *checks[] = { &c_pass04, NULL };
	int status;
	struct conf_report *r = run(checks, "no_such_option=1", &status);

	CU_ASSERT_EQUAL(status, CONF_EXIT_USAGE);
	CU_ASSERT_PTR_NULL(r);
}

static void test_builtin_checks_pass_on_testnet_and_catch_bad_ids(void)
{
	int status;
	struct conf_report *r = run(NULL, NULL, &status);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (const char *const *id = (const char *const[]){ "PCI-DEV-02", "PCI-DEV-03",
		"PCI-DEV-13", "PCI-DEV-28", "PCI-DEV-54", "RSVFEAT-DEV-01", "FEAT-DEV-01", NULL };
	     *id; id++)
		CU_ASSERT_EQUAL(row(r, *id)->status, CONF_PASS);
	/* without NOTIFICATION_DATA the "with" rows do not apply */
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-35")->status, CONF_NOT_APPLICABLE);
	CU_ASSERT(conf_report_passed(r));
	conf_report_free(r);
	r = run(NULL, "vendor_id=0x8086,device_id=0x1000,revision=0,notify_mult=3,"
		"features=0x100400000", &status);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-02")->status, CONF_FAIL);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-03")->status, CONF_PASS);  /* transitional id */
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-05")->status, CONF_FAIL);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-06")->status, CONF_FAIL);
	CU_ASSERT_EQUAL(row(r, "PCI-DEV-30")->status, CONF_FAIL);
	/* MQ (bit 22) offered without CTRL_VQ (bit 17) */
	CU_ASSERT_EQUAL(row(r, "FEAT-DEV-01")->status, CONF_FAIL);
	CU_ASSERT(has_evidence(row(r, "NET-FEAT-DEV-X01"), "feature_offer", CONF_FAIL, "MQ"));
	CU_ASSERT_FALSE(conf_report_passed(r));
	conf_report_free(r);
}

CU_MAIN("conformance_run",
	CU_TEST_ENTRY(test_crashing_check_is_error_and_the_run_goes_on),
	CU_TEST_ENTRY(test_aborting_check_names_the_signal),
	CU_TEST_ENTRY(test_hanging_check_is_killed_by_the_hang_guard),
	CU_TEST_ENTRY(test_event_budget_turns_endless_activity_into_error),
	CU_TEST_ENTRY(test_selftest_checks_cover_crash_hang_budget_and_misuse),
	CU_TEST_ENTRY(test_check_returning_an_errno_is_error),
	CU_TEST_ENTRY(test_failed_must_row_fails_the_run_untested_ones_do_not),
	CU_TEST_ENTRY(test_pass_on_unoffered_feature_row_is_not_applicable),
	CU_TEST_ENTRY(test_ring_checks_run_once_per_offered_ring),
	CU_TEST_ENTRY(test_profile_and_ring_limit_what_runs),
	CU_TEST_ENTRY(test_only_selects_checks_by_name_or_requirement),
	CU_TEST_ENTRY(test_shards_split_the_check_list_by_position),
	CU_TEST_ENTRY(test_results_do_not_depend_on_check_order),
	CU_TEST_ENTRY(test_device_that_cannot_be_created_is_refused),
	CU_TEST_ENTRY(test_builtin_checks_pass_on_testnet_and_catch_bad_ids));
