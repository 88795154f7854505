// SPDX-License-Identifier: MIT
/* ALWAYS()/NEVER() (include/vdpasim/assume.h) in the build this test is compiled in. */
#include "tests/unit/cu_main.h"
#include "vdpasim/assume.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int one = 1, zero;

static void test_true_assumptions_pass_through(void)
{
	CU_ASSERT_EQUAL(ALWAYS(one == 1), 1);
	CU_ASSERT_EQUAL(NEVER(zero != 0), 0);
	if (NEVER(zero))
		CU_FAIL("NEVER(0) took the impossible branch");
}

#if defined(VDPASIM_COVERAGE)
/* Coverage builds: constants, so the impossible branch is not compiled at all. */
static void test_coverage_build_makes_assumptions_constant(void)
{
	CU_ASSERT_EQUAL(ALWAYS(zero), 1);
	CU_ASSERT_EQUAL(NEVER(one), 0);
}
#elif defined(VDPASIM_ASSUME_CHECKED)
/* Runs `which` (0: ALWAYS(false), 1: NEVER(true)) in a child; returns its stderr. */
static char *child_breaks_assumption(int which, int *status)
{
	static char buf[512];
	ssize_t n, len = 0;
	int fds[2];
	pid_t pid;

	CU_ASSERT_FATAL(pipe(fds) == 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		if (which == 0 && !ALWAYS(zero))
			_exit(10); /* not reached: ALWAYS(false) aborts */
		if (which == 1 && NEVER(one))
			_exit(11);
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += n;
	buf[len] = 0;
	close(fds[0]);
	CU_ASSERT_FATAL(waitpid(pid, status, 0) == pid);
	return buf;
}

static void test_checked_build_aborts_naming_the_impossible(void)
{
	int status;
	char *err = child_breaks_assumption(0, &status);

	CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "test_assume.c:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ALWAYS(zero): the impossible happened"));
	err = child_breaks_assumption(1, &status);
	CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "NEVER(one): the impossible happened"));
}
#else
/* Release builds: the condition is evaluated and the defensive branch runs. */
static void test_release_build_evaluates_the_condition(void)
{
	CU_ASSERT_EQUAL(ALWAYS(zero), 0);
	CU_ASSERT_EQUAL(NEVER(one), 1);
}
#endif

#if defined(VDPASIM_COVERAGE)
#define BUILD_TEST test_coverage_build_makes_assumptions_constant
#elif defined(VDPASIM_ASSUME_CHECKED)
#define BUILD_TEST test_checked_build_aborts_naming_the_impossible
#else
#define BUILD_TEST test_release_build_evaluates_the_condition
#endif
#define NAMED_ENTRY(f) { STRINGIFY(f), f } /* expands f first, unlike CU_TEST_ENTRY */
#define STRINGIFY(x)   STRINGIFY_(x)
#define STRINGIFY_(x)  #x

CU_MAIN("assume", CU_TEST_ENTRY(test_true_assumptions_pass_through), NAMED_ENTRY(BUILD_TEST));
