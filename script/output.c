// SPDX-License-Identifier: MIT
/*
 * What a run leaves behind: the output directory (checked writable before the
 * run, removed again if a failed run created it empty), the trace file, the
 * artifacts and result.json, written atomically and only for a completed run.
 * Nothing here reads the wall clock: same inputs, same bytes.
 */
#include "script/internal.h"
#include "script/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vdpasim/version.h"

#define TRACE_BUF_SIZE (1u << 20)

/* ---- output directory and trace ---------------------------------------------------------- */

/* Remembers each directory it creates, so a failed run can take them away again. */
static int note_created(struct lsim_session *s, const char *dir)
{
	char **p = realloc(s->created_dirs, (s->ncreated_dirs + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	s->created_dirs = p;
	p[s->ncreated_dirs] = strdup(dir);
	if (!p[s->ncreated_dirs])
		return -ENOMEM;
	s->ncreated_dirs++;
	return 0;
}

static int make_dir(struct lsim_session *s, const char *dir)
{
	if (!mkdir(dir, 0777))
		return note_created(s, dir);
	return errno == EEXIST ? 0 : -errno;
}

static int mkdir_p(struct lsim_session *s, const char *path)
{
	char *p = strdup(path), *c;
	struct stat st;
	int rc = 0;

	if (!p)
		return -ENOMEM;
	for (c = p + 1; *c && !rc; c++) {
		if (*c != '/')
			continue;
		*c = 0;
		rc = make_dir(s, p);
		*c = '/';
	}
	if (!rc)
		rc = make_dir(s, p);
	if (!rc && stat(p, &st))
		rc = -errno;
	else if (!rc && !S_ISDIR(st.st_mode))
		rc = -ENOTDIR;
	free(p);
	return rc;
}

/* After an error: no output directory left behind that this run created empty. */
void lsim_remove_created_dirs(struct lsim_session *s)
{
	while (s->ncreated_dirs) {
		char *d = s->created_dirs[--s->ncreated_dirs];

		rmdir(d); /* fails, and keeps it, when something was written there */
		free(d);
	}
}

static char *join_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
	return p;
}

static void trace_sink(void *ctx, const char *line, size_t len)
{
	struct lsim_session *s = ctx;

	if (fwrite(line, 1, len, s->trace) != len)
		s->trace_failed = true;
}

int lsim_close_trace(struct lsim_session *s)
{
	int bad;

	if (!s->trace)
		return 0;
	eng_trace_enable(s->sim, NULL, NULL); /* keep hashing, stop writing */
	bad = fclose(s->trace) != 0 || s->trace_failed;
	s->trace = NULL;
	free(s->trace_buf);
	s->trace_buf = NULL;
	return bad ? -EIO : 0;
}

int lsim_prepare_outputs(struct lsim_session *s)
{
	const char *dir = s->cfg.out_dir;
	char *probe = NULL, *stale = NULL;
	int rc = 0, fd;

	if (dir) {
		if (!*dir)
			return lsim_fail(s, LSIM_ERROR, "empty output directory name");
		rc = mkdir_p(s, dir);
		if (rc)
			return lsim_fail(s, LSIM_ERROR, "cannot create output directory '%s': %s",
					 dir, strerror(-rc));
		probe = join_path(dir, ".vdpasim-probe-XXXXXX");
		stale = join_path(dir, "result.json");
		if (!probe || !stale) {
			rc = lsim_fail(s, LSIM_INTERNAL, "out of memory");
			goto out;
		}
		fd = mkstemp(probe);
		if (fd < 0) {
			rc = lsim_fail(s, LSIM_ERROR, "output directory '%s' is not writable: %s",
				       dir, strerror(errno));
			goto out;
		}
		close(fd);
		unlink(probe);
		/* a result.json from an earlier run must not pass for this run's */
		if (unlink(stale) && errno != ENOENT) {
			rc = lsim_fail(s, LSIM_ERROR, "cannot remove the old '%s': %s", stale,
				       strerror(errno));
			goto out;
		}
	}
	if (s->cfg.trace_path) {
		s->trace = fopen(s->cfg.trace_path, "w");
		if (!s->trace) {
			rc = lsim_fail(s, LSIM_ERROR, "cannot open trace file '%s': %s",
				       s->cfg.trace_path, strerror(errno));
			goto out;
		}
		s->trace_buf = malloc(TRACE_BUF_SIZE);
		if (s->trace_buf)
			setvbuf(s->trace, s->trace_buf, _IOFBF, TRACE_BUF_SIZE);
		eng_trace_enable(s->sim, trace_sink, s);
	} else {
		eng_trace_hash_only(s->sim);
	}
out:
	free(probe);
	free(stale);
	return rc;
}

/* ---- results ----------------------------------------------------------------------------- */

size_t lsim_failed_checks(const struct lsim_session *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nchecks; i++)
		n += !s->checks[i].pass;
	return n;
}

static void write_result_json(struct lsim_session *s, struct json_writer *w)
{
	char digest[65];

	eng_trace_digest(s->sim, digest);
	json_begin_object(w);
	json_key(w, "tool");
	json_string(w, "vdpasim");
	json_key(w, "version");
	json_string(w, vdpasim_version());
	json_key(w, "scenario");
	json_string(w, lsim_scenario_base(s));
	json_key(w, "seed");
	json_uint(w, s->cfg.seed);
	json_key(w, "run");
	json_uint(w, s->cfg.run);
	json_key(w, "verdict");
	json_string(w, lsim_failed_checks(s) ? "fail" : "pass");
	json_key(w, "sim_time_ps");
	json_uint(w, eng_now(s->sim));
	json_key(w, "events");
	json_uint(w, eng_events_executed(s->sim));
	json_key(w, "checks");
	json_begin_array(w);
	for (size_t i = 0; i < s->nchecks; i++) {
		const struct lsim_check *c = &s->checks[i];

		json_begin_object(w);
		json_key(w, "name");
		json_string(w, c->name);
		json_key(w, "verdict");
		json_string(w, c->pass ? "pass" : "fail");
		json_key(w, "detail");
		json_string(w, c->detail);
		json_key(w, "sim_time_ps");
		json_uint(w, c->time);
		if (c->requirement) {
			json_key(w, "requirement");
			json_string(w, c->requirement);
		}
		json_end_object(w);
	}
	json_end_array(w);
	json_key(w, "metrics");
	json_begin_object(w);
	for (size_t i = 0; i < s->nmetrics; i++) {
		json_key(w, s->metrics[i].name);
		if (s->metrics[i].is_int)
			json_int(w, s->metrics[i].i);
		else
			json_double(w, s->metrics[i].d);
	}
	json_end_object(w);
	json_key(w, "artifacts");
	json_begin_array(w);
	for (size_t i = 0; i < s->nartifacts; i++) {
		const struct lsim_artifact *a = &s->artifacts[i];

		json_begin_object(w);
		json_key(w, "kind");
		json_string(w, a->kind);
		json_key(w, "path");
		json_string(w, a->path);
		if (a->frames >= 0) {
			json_key(w, "frames");
			json_int(w, a->frames);
		}
		json_key(w, "sha256");
		json_string(w, a->sha256);
		json_end_object(w);
	}
	json_end_array(w);
	json_key(w, "trace_sha256");
	json_string(w, digest);
	json_end_object(w);
}

/* Written to a temporary name then renamed: readers never see half a file. */
int lsim_write_result(struct lsim_session *s)
{
	char *tmp = join_path(s->cfg.out_dir, ".result.json.XXXXXX");
	char *dst = join_path(s->cfg.out_dir, "result.json");
	struct json_writer w;
	bool created = false;
	FILE *f;
	int fd, rc;

	if (!tmp || !dst) {
		rc = lsim_fail(s, LSIM_INTERNAL, "out of memory");
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = lsim_fail(s, LSIM_INTERNAL, "cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	created = true;
	if (fchmod(fd, 0644) || !(f = fdopen(fd, "w"))) {
		rc = lsim_fail(s, LSIM_INTERNAL, "cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	json_init(&w, f, true);
	write_result_json(s, &w);
	rc = json_finish(&w);
	if (fclose(f) && !rc)
		rc = -EIO;
	if (rc) {
		rc = lsim_fail(s, LSIM_INTERNAL, "writing '%s' failed: %s", tmp, strerror(-rc));
		goto out;
	}
	if (rename(tmp, dst)) {
		rc = lsim_fail(s, LSIM_INTERNAL, "cannot rename '%s' to '%s': %s", tmp, dst,
			       strerror(errno));
		goto out;
	}
	created = false;
out:
	if (created)
		unlink(tmp);
	free(tmp);
	free(dst);
	return rc;
}

/* An artifact whose content the script gave: written now that the run completed. */
static int write_content(struct lsim_session *s, const struct lsim_artifact *a, const char *path)
{
	char *dir = strdup(path), *slash;
	FILE *f;
	int rc = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		rc = mkdir_p(s, dir);
	}
	free(dir);
	if (rc)
		return rc;
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	if (fwrite(a->content, 1, a->content_len, f) != a->content_len)
		rc = -EIO;
	if (fclose(f) && !rc)
		rc = -EIO;
	return rc;
}

int lsim_finish_artifacts(struct lsim_session *s)
{
	for (size_t i = 0; i < s->nartifacts; i++) {
		struct lsim_artifact *a = &s->artifacts[i];
		char *path;
		int rc = 0;

		if (a->finish) {
			rc = a->finish(a->ctx, &a->frames);
			if (rc < 0)
				return lsim_fail(s, LSIM_INTERNAL, "artifact '%s': %s", a->path,
						 strerror(-rc));
		}
		if (!s->cfg.out_dir)
			continue;
		path = join_path(s->cfg.out_dir, a->path);
		if (!path)
			return lsim_fail(s, LSIM_INTERNAL, "out of memory");
		if (a->content)
			rc = write_content(s, a, path);
		if (rc) {
			free(path);
			return lsim_fail(s, LSIM_INTERNAL, "writing artifact '%s': %s", a->path,
					 strerror(-rc));
		}
		rc = eng_sha256_file(path, a->sha256);
		free(path);
		if (rc < 0)
			return lsim_fail(s, a->from_lua ? LSIM_ERROR : LSIM_INTERNAL,
					 "artifact '%s' (%s) in '%s': %s", a->path, a->kind,
					 s->cfg.out_dir, strerror(-rc));
	}
	return 0;
}
