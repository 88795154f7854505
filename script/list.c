// SPDX-License-Identifier: MIT
/*
 * `vdpasim list`: gathers the entries of one category from every registered
 * provider, sorts them by name so the listing never depends on directory
 * order, and prints them in two columns.
 */
#include "script/runner.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct entry {
	char *name;
	char *desc;
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

static int collect(void *arg, const char *name, const char *description)
{
	struct entries *e = arg;
	struct entry x;

	if (e->n == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 16;
		struct entry *p = realloc(e->v, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		e->v = p;
		e->cap = ncap;
	}
	x.name = strdup(name);
	x.desc = strdup(description ? description : "");
	if (!x.name || !x.desc) {
		free(x.name);
		free(x.desc);
		return -ENOMEM;
	}
	e->v[e->n++] = x;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->desc, y->desc);
}

static bool known_category(const char *category)
{
	for (const char *const *c = lsim_list_categories; *c; c++)
		if (!strcmp(*c, category))
			return true;
	return false;
}

int lsim_list(const char *category, const struct lsim_list_opts *o, FILE *out)
{
	struct entries e = { 0 };
	size_t width = 0;
	int rc = 0;

	if (!known_category(category))
		return -EINVAL;
	for (const struct lsim_lister *l = lsim_listers; l->category && !rc; l++)
		if (!strcmp(l->category, category))
			rc = l->list(o, collect, &e);
	if (rc)
		goto out;
	if (e.n)
		qsort(e.v, e.n, sizeof(*e.v), by_name);
	for (size_t i = 0; i < e.n; i++) {
		size_t n = strlen(e.v[i].name);

		if (n > width)
			width = n;
	}
	if (width > 40)
		width = 40;
	for (size_t i = 0; i < e.n; i++) {
		if (*e.v[i].desc)
			fprintf(out, "%-*s  %s\n", (int)width, e.v[i].name, e.v[i].desc);
		else
			fprintf(out, "%s\n", e.v[i].name);
	}
	if (fflush(out))
		rc = -EIO;
out:
	for (size_t i = 0; i < e.n; i++) {
		free(e.v[i].name);
		free(e.v[i].desc);
	}
	free(e.v);
	return rc;
}

/* The first "--" comment line of a scenario, without the dashes; "" if none. */
static void first_comment(const char *path, char *buf, size_t size)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int lines = 0;

	buf[0] = 0;
	if (!f)
		return;
	while (lines++ < 20 && fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		if (lines == 1 && line[0] == '#')
			continue; /* #! line */
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || !*p)
			continue;
		if (p[0] != '-' || p[1] != '-')
			break;
		while (*p == '-')
			p++;
		while (*p == ' ' || *p == '\t' || *p == '[')
			p++;
		end = p + strcspn(p, "\r\n");
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end == p)
			continue;
		snprintf(buf, size, "%.*s", (int)(end - p), p);
		break;
	}
	fclose(f);
}

int lsim_list_scenarios(const struct lsim_list_opts *o, lsim_list_emit emit, void *arg)
{
	const char *dir = o && o->scenarios_dir ? o->scenarios_dir : "scenarios";
	struct dirent *d;
	DIR *dp = opendir(dir);
	int rc = 0;

	if (!dp)
		return -errno;
	while (!rc && (d = readdir(dp))) {
		size_t n = strlen(d->d_name);
		char path[4096], desc[256];
		struct stat st;

		if (n < 5 || strcmp(d->d_name + n - 4, ".lua") || d->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >= (int)sizeof(path))
			continue;
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		first_comment(path, desc, sizeof(desc));
		rc = emit(arg, path, desc);
	}
	closedir(dp);
	return rc;
}
