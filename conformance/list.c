// SPDX-License-Identifier: MIT
/*
 * `vdpasim list requirements|checks` providers and the coverage summary:
 * which registered checks cover which catalogue rows.  Coverage here means a
 * check declares the row; whether it passes depends on the device.
 */
#include "conformance/conf_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef int (*emit_fn)(void *arg, const char *name, const char *description);

/* Names of the registered checks declaring id, comma-separated. */
static void covering(const char *id, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (const struct conf_check *const *c = conf_checks; *c; c++) {
		for (const char *const *q = (*c)->requirements; q && *q; q++) {
			if (strcmp(*q, id))
				continue;
			n += (size_t)snprintf(buf + (n < size ? n : size), n < size ? size - n : 0,
					      "%s%s", n ? "," : "", (*c)->name);
			break;
		}
	}
}

int conf_list_requirements(const struct lsim_list_opts *o, emit_fn emit, void *arg)
{
	(void)o;
	for (size_t i = 0; i < conf_nrequirements; i++) {
		const struct conf_req *r = &conf_requirements[i];
		char cov[256], desc[400];
		int rc;

		covering(r->id, cov, sizeof(cov));
		snprintf(desc, sizeof(desc), "%-10s %-6s %s", r->level, r->actor,
			 *cov ? cov : "(no check)");
		rc = emit(arg, r->id, desc);
		if (rc)
			return rc;
	}
	return 0;
}

int conf_list_devices(const struct lsim_list_opts *o, emit_fn emit, void *arg)
{
	(void)o;
	for (const struct conf_builtin_device *d = conf_builtin_devices; d->name; d++) {
		const struct vdpasim_device_plugin *p = d->get();
		int rc = emit(arg, d->name, p && p->description ? p->description : "");

		if (rc)
			return rc;
	}
	return 0;
}

int conf_list_checks(const struct lsim_list_opts *o, emit_fn emit, void *arg)
{
	(void)o;
	for (const struct conf_check *const *c = conf_checks; *c; c++) {
		char desc[1024];
		size_t n = 0, k = 0;

		for (const char *const *q = (*c)->requirements; q && *q; q++)
			k++;
		n = (size_t)snprintf(desc, sizeof(desc), "%s; sets %zu:", (*c)->description, k);
		for (const char *const *q = (*c)->requirements; q && *q && n < sizeof(desc); q++)
			n += (size_t)snprintf(desc + n, sizeof(desc) - n, " %s", *q);
		{
			int rc = emit(arg, (*c)->name, desc);

			if (rc)
				return rc;
		}
	}
	return 0;
}

struct tally {
	char area[64];
	size_t must, covered; /* testable device-side MUST / MUST NOT rows */
};

int conf_list_summary(FILE *out)
{
	struct tally *t = calloc(conf_nrequirements, sizeof(*t));
	size_t n = 0, core_must = 0, core_cov = 0, all_must = 0, all_cov = 0;
	char cov[256];

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < conf_nrequirements; i++) {
		const struct conf_req *r = &conf_requirements[i];
		char area[64];
		size_t j;

		if (strcmp(r->actor, "device") || !conf_level_must(r->level) ||
		    !conf_req_testable(r))
			continue;
		if (conf_area(r->id, area, sizeof(area)) < 0)
			snprintf(area, sizeof(area), "OTHER");
		for (j = 0; j < n; j++)
			if (!strcmp(t[j].area, area))
				break;
		if (j == n)
			snprintf(t[n++].area, sizeof(t->area), "%s", area);
		covering(r->id, cov, sizeof(cov));
		t[j].must++;
		t[j].covered += *cov != 0;
		all_must++;
		all_cov += *cov != 0;
		if (conf_core_area(area)) {
			core_must++;
			core_cov += *cov != 0;
		}
	}
	fprintf(out, "testable device-side MUST / MUST NOT rows covered by a registered check\n");
	fprintf(out, "%-12s %6s %8s %7s\n", "area", "rows", "covered", "share");
	for (size_t j = 0; j < n; j++)
		fprintf(out, "%-12s %6zu %8zu %6.1f%%%s\n", t[j].area, t[j].must, t[j].covered,
			t[j].must ? 100.0 * (double)t[j].covered / (double)t[j].must : 0.0,
			conf_core_area(t[j].area) ? "" : "  (not a core area)");
	fprintf(out, "%-12s %6zu %8zu %6.1f%%\n", "all", all_must, all_cov,
		all_must ? 100.0 * (double)all_cov / (double)all_must : 0.0);
	fprintf(out, "core areas (STATUS FEAT INIT CFG NOTIF OPS RESET VQRESET CLEANUP SPLIT PACKED "
		"PCI NET): %zu of %zu rows covered, %.1f%% (target 80%%)\n", core_cov, core_must,
		core_must ? 100.0 * (double)core_cov / (double)core_must : 0.0);
	free(t);
	return fflush(out) || ferror(out) ? -EIO : 0;
}
