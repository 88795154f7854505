// SPDX-License-Identifier: MIT
/*
 * Process isolation for checks: a check (and the device code it drives) runs
 * in a forked child that sends its serialized results through a pipe when it
 * is done.  A child that dies by a signal, exits non-zero, sends too much or
 * outlives the wall-clock hang guard yields no results, only the reason;
 * whatever it had produced before is discarded, so the outcome does not
 * depend on how far a crashing child got.
 */
#include "conformance/conf_priv.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The one wall-clock read in the suite: the hang guard's deadline. */
static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(4);
		p += w;
		n -= (size_t)w;
	}
}

#ifdef VDPASIM_COVERAGE
/* gcov writes its counters at exit(); a child that _exit()s must dump them. */
void __gcov_dump(void);
#define child_coverage_dump() __gcov_dump()
#else
#define child_coverage_dump() ((void)0)
#endif

static void run_child(int fd, void (*fn)(void *arg, struct conf_buf *out), void *arg)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	struct conf_buf out = { 0 };
	uint8_t len[8];

	/* a crash ends the child with its signal in every build variant (the
	 * sanitizers' handlers would turn it into an exit status) */
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], SIG_DFL);
	fn(arg, &out);
	if (out.err)
		_exit(5);
	/* length prefix: a truncated stream is told apart from a complete one */
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)((uint64_t)out.len >> (8 * i));
	write_all(fd, len, sizeof(len));
	write_all(fd, out.p, out.len);
	close(fd);
	child_coverage_dump();
	/* no atexit handlers, no stdio flush of the parent's buffers */
	_exit(0);
}

static void describe_status(int status, char *why, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(why, size, "check process killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		snprintf(why, size, "check process exited with status %d before reporting",
			 WEXITSTATUS(status));
	else
		snprintf(why, size, "check process ended abnormally");
}

/* Reads the child's output until EOF, the deadline or the size limit. */
static int collect(int fd, int64_t deadline, struct conf_buf *in, bool *timed_out, bool *too_big)
{
	uint8_t chunk[65536];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - monotonic_ms();
		ssize_t r;
		int pr;

		if (left <= 0) {
			*timed_out = true;
			return 0;
		}
		pr = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -errno;
		if (pr == 0)
			continue;
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		if (in->len + (size_t)r > CONF_MAX_CHILD_OUTPUT + 8) {
			*too_big = true;
			return 0;
		}
		conf_buf_bytes(in, chunk, (size_t)r);
		if (in->err)
			return in->err;
	}
}

int conf_isolate(void (*fn)(void *arg, struct conf_buf *out), void *arg, unsigned timeout_s,
		 struct conf_isolated *res)
{
	struct conf_buf in = { 0 };
	bool timed_out = false, too_big = false;
	int fds[2], status = 0, rc;
	uint64_t declared = 0;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (!timeout_s)
		timeout_s = CONF_DEFAULT_TIMEOUT_S;
	if (pipe(fds))
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(fds[0]);
		close(fds[1]);
		return rc;
	}
	if (pid == 0) {
		close(fds[0]);
		run_child(fds[1], fn, arg);
	}
	close(fds[1]);
	rc = collect(fds[0], monotonic_ms() + (int64_t)timeout_s * 1000, &in, &timed_out, &too_big);
	close(fds[0]);
	if (timed_out || too_big || rc)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = rc ? rc : -errno;
			break;
		}
	}
	if (rc) {
		conf_buf_free(&in);
		return rc;
	}
	if (timed_out) {
		snprintf(res->why, sizeof(res->why), "check did not finish within %u s of wall-clock "
			 "time (hang guard) and was killed", timeout_s);
	} else if (too_big) {
		snprintf(res->why, sizeof(res->why), "check process sent more than %u bytes",
			 CONF_MAX_CHILD_OUTPUT);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		describe_status(status, res->why, sizeof(res->why));
	} else {
		for (int i = 0; i < 8 && in.len >= 8; i++)
			declared |= (uint64_t)in.p[i] << (8 * i);
		if (in.len < 8 || declared != in.len - 8) {
			snprintf(res->why, sizeof(res->why), "check process sent a truncated result");
		} else {
			res->ok = true;
			res->len = in.len - 8;
			res->data = malloc(res->len ? res->len : 1);
			if (!res->data) {
				conf_buf_free(&in);
				return -ENOMEM;
			}
			memcpy(res->data, in.p + 8, res->len);
		}
	}
	conf_buf_free(&in);
	return 0;
}

void conf_isolated_free(struct conf_isolated *res)
{
	free(res->data);
	memset(res, 0, sizeof(*res));
}
