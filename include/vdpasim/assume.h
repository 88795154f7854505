/* SPDX-License-Identifier: MIT */
/*
 * ALWAYS() and NEVER(): conditions the code believes can never be otherwise,
 * guarded anyway.  In the SQLite manner:
 *
 *     if (NEVER(idx >= vq->num))     a defensive branch that cannot be taken
 *             return -EINVAL;
 *     if (ALWAYS(entry != NULL))     a test that cannot fail
 *             use(entry);
 *
 * Coverage builds (-DVDPASIM_COVERAGE, `make coverage`): ALWAYS(x) is 1 and
 * NEVER(x) is 0, so the compiler drops the branch that cannot be taken and it
 * does not count against branch coverage.
 * Debug builds (ASan builds, i.e. `make test`, or -DVDPASIM_DEBUG): x is
 * evaluated and, if the impossible happens, the program says where and aborts,
 * so a test or a fuzz run catches it.
 * Other builds (release): x is evaluated and the defensive branch runs.
 *
 * Rules: x must have no side effects (coverage builds do not evaluate it).
 * Only for what this program's own logic rules out.  Never for anything a
 * guest, a device model, a scenario or a file can make true: that is input,
 * and input gets a real error path that tests reach (DESIGN.md section 4).
 */
#ifndef VDPASIM_ASSUME_H
#define VDPASIM_ASSUME_H

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VDPASIM_ASSUME_CHECKED 1
#endif
#endif
#if defined(VDPASIM_DEBUG) || defined(__SANITIZE_ADDRESS__)
#undef VDPASIM_ASSUME_CHECKED
#define VDPASIM_ASSUME_CHECKED 1
#endif

#if defined(VDPASIM_COVERAGE)

#define ALWAYS(x) (1)
#define NEVER(x)  (0)

#elif defined(VDPASIM_ASSUME_CHECKED)

#include <stdio.h>
#include <stdlib.h>

static inline int vdpasim_assume_failed(const char *what, const char *expr, const char *file,
					int line)
{
	fprintf(stderr, "%s:%d: %s(%s): the impossible happened\n", file, line, what, expr);
	abort();
	return 0;
}

#define ALWAYS(x) ((x) ? 1 : vdpasim_assume_failed("ALWAYS", #x, __FILE__, __LINE__))
#define NEVER(x)  ((x) ? vdpasim_assume_failed("NEVER", #x, __FILE__, __LINE__) : 0)

#else

#define ALWAYS(x) (!!(x))
#define NEVER(x)  (!!(x))

#endif

#endif
