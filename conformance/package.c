// SPDX-License-Identifier: MIT
/*
 * The report package: conformance.json, junit.xml, report.html, report.md, the
 * certification STATEMENT, and SHA256SUMS over them in `sha256sum -c` format.
 * Each file is rendered in memory and renamed into place, then hashed from
 * disk.
 */
#include "conformance/conf_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The STATEMENT: "key: value" lines in a fixed order, read back by verify. */
int conf_write_statement(const struct conf_report *r, FILE *f)
{
	const struct conf_device_info *d = &r->dev;
	struct conf_counts c;
	char line[256];

	conf_report_counts(r, &c);
	conf_verdict_line(r, line, sizeof(line));
	fputs("vdpasim conformance statement\n", f);
	fprintf(f, "tool: %s\n", r->tool);
	fprintf(f, "tool_version: %s\n", r->version);
	/* the version is `git describe --always --dirty` of the build */
	fprintf(f, "git_describe: %s\n", r->version);
	fprintf(f, "catalogue_sha256: %s\n", r->catalogue_sha256);
	fprintf(f, "device: %s\n", d->name);
	fprintf(f, "device_vendor: %s\n", d->vendor);
	fprintf(f, "device_model_version: %s\n", d->model_version);
	fprintf(f, "device_pci: %04x:%04x subsystem %04x:%04x revision 0x%02x class 0x%06x\n",
		d->vendor_id, d->device_id, d->subsys_vendor_id, d->subsys_id, d->revision,
		d->class_code);
	fprintf(f, "device_offered_features: 0x%016llx\n", (unsigned long long)d->features);
	fprintf(f, "plugin: %s\n", d->source);
	fprintf(f, "plugin_sha256: %s\n", d->plugin_sha256);
	fprintf(f, "seed: %llu\n", (unsigned long long)r->seed);
	fprintf(f, "profile: %s\n", r->profile);
	fprintf(f, "ring: %s\n", r->ring);
	fprintf(f, "only: %s\n", *r->only ? r->only : "-");
	fprintf(f, "shard: %u/%u\n", r->shard_index, r->shard_count);
	fprintf(f, "requirements: %zu\n", c.total);
	fprintf(f, "must_rows: %zu pass %zu fail %zu error %zu not_applicable %zu not_tested %zu\n",
		c.must_total, c.must[CONF_PASS], c.must[CONF_FAIL], c.must[CONF_ERROR],
		c.must[CONF_NOT_APPLICABLE], c.must[CONF_NOT_TESTED]);
	fprintf(f, "verdict: %s\n", conf_report_verdict(r));
	fprintf(f, "summary: %s\n", line);
	return fflush(f) || ferror(f) ? -EIO : 0;
}

static int (*const writers[])(const struct conf_report *, FILE *) = {
	conf_write_statement, conf_write_json, conf_write_junit, conf_write_html, conf_write_md,
};

/* Renders one file of the package into memory (*buf, *len); 0 or -errno. */
int conf_render(const struct conf_report *r, const char *name, char **buf, size_t *len)
{
	FILE *f;
	int rc = -ENOENT;

	*buf = NULL;
	*len = 0;
	for (size_t i = 0; conf_package_files[i]; i++) {
		if (strcmp(conf_package_files[i], name))
			continue;
		f = open_memstream(buf, len);
		if (!f)
			return -ENOMEM;
		rc = writers[i](r, f);
		if (fclose(f) && !rc)
			rc = -EIO;
		if (rc) {
			free(*buf);
			*buf = NULL;
			*len = 0;
		}
		break;
	}
	return rc;
}

int conf_write_package(const struct conf_report *r, const char *dir, char *err, size_t errlen)
{
	char *sums = NULL, *path = NULL, *buf = NULL, hex[65];
	size_t sums_len = 0, len;
	FILE *sf = NULL;
	int rc;

	rc = conf_mkdir_p(dir);
	if (rc) {
		snprintf(err, errlen, "cannot create output directory '%s': %s", dir, strerror(-rc));
		return rc;
	}
	sf = open_memstream(&sums, &sums_len);
	if (!sf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; conf_package_files[i]; i++) {
		const char *name = conf_package_files[i];

		rc = conf_render(r, name, &buf, &len);
		path = rc ? NULL : conf_path_join(dir, name);
		if (!rc && !path)
			rc = -ENOMEM;
		if (!rc)
			rc = conf_write_file_atomic(path, buf, len);
		if (!rc)
			rc = eng_sha256_file(path, hex);
		if (rc) {
			snprintf(err, errlen, "cannot write '%s' in '%s': %s", name, dir,
				 strerror(-rc));
			goto out;
		}
		fprintf(sf, "%s  %s\n", hex, name);
		free(path);
		free(buf);
		path = buf = NULL;
	}
	if (fclose(sf)) {
		sf = NULL;
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	sf = NULL;
	path = conf_path_join(dir, "SHA256SUMS");
	rc = path ? conf_write_file_atomic(path, sums, sums_len) : -ENOMEM;
	if (rc)
		snprintf(err, errlen, "cannot write 'SHA256SUMS' in '%s': %s", dir, strerror(-rc));
out:
	if (sf)
		fclose(sf);
	free(sums);
	free(path);
	free(buf);
	return rc;
}
