// SPDX-License-Identifier: MIT
/*
 * Reading conformance.json back into the report model, for `report merge` and
 * `report verify`.  The file is not trusted: every field is type- and
 * range-checked, every row must be the catalogue's row in catalogue order,
 * and each status must follow from its evidence by the combination rule.
 */
#include "conformance/conf_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COVERED 64
#define MAX_EVIDENCE_PER_ROW 10000

struct rd {
	char *err;
	size_t errlen;
	int rc;
};

static int bad(struct rd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct rd *d, const char *fmt, ...)
{
	va_list ap;

	if (d->rc)
		return d->rc;
	if (d->err && d->errlen) {
		va_start(ap, fmt);
		vsnprintf(d->err, d->errlen, fmt, ap);
		va_end(ap);
	}
	d->rc = -EINVAL;
	return d->rc;
}

static int oom(struct rd *d)
{
	if (!d->rc) {
		if (d->err && d->errlen)
			snprintf(d->err, d->errlen, "out of memory");
		d->rc = -ENOMEM;
	}
	return d->rc;
}

/* Only the listed keys, each at most once (the parser already refuses duplicates). */
static int only_keys(struct rd *d, const struct jr_value *o, const char *where,
		     const char *const *keys)
{
	if (!o || o->type != JR_OBJECT)
		return bad(d, "%s: not an object", where);
	for (size_t i = 0; i < o->n; i++) {
		bool known = false;

		for (const char *const *k = keys; *k; k++)
			known |= !strcmp(*k, o->keys[i]);
		if (!known)
			return bad(d, "%s: unknown key '%.64s'", where, o->keys[i]);
	}
	for (const char *const *k = keys; *k; k++)
		if (!jr_get(o, *k))
			return bad(d, "%s: missing key '%s'", where, *k);
	return 0;
}

static char *get_str(struct rd *d, const struct jr_value *o, const char *key, size_t max,
		     const char *where)
{
	const struct jr_value *v = jr_get(o, key);
	char *s;

	if (d->rc)
		return NULL;
	if (!v || v->type != JR_STRING) {
		bad(d, "%s: '%s' is not a string", where, key);
		return NULL;
	}
	if (v->len > max) {
		bad(d, "%s: '%s' longer than %zu bytes", where, key, max);
		return NULL;
	}
	s = conf_clean_strdup(v->s, max);
	if (!s)
		oom(d);
	return s;
}

static bool get_uint(struct rd *d, const struct jr_value *o, const char *key, uint64_t *out,
		     const char *where)
{
	const struct jr_value *v = jr_get(o, key);

	if (d->rc)
		return false;
	if (!v || v->type != JR_NUMBER || !v->is_uint) {
		bad(d, "%s: '%s' is not a non-negative integer", where, key);
		return false;
	}
	*out = v->u;
	return true;
}

/* "0x" and 1..16 hex digits, value <= max. */
static bool get_hex(struct rd *d, const struct jr_value *o, const char *key, uint64_t max,
		    uint64_t *out, const char *where)
{
	const struct jr_value *v = jr_get(o, key);
	uint64_t x = 0;

	if (d->rc)
		return false;
	if (!v || v->type != JR_STRING || v->len < 3 || v->len > 18 || strncmp(v->s, "0x", 2))
		goto fail;
	for (const char *c = v->s + 2; *c; c++) {
		unsigned h;

		if (*c >= '0' && *c <= '9')
			h = (unsigned)(*c - '0');
		else if (*c >= 'a' && *c <= 'f')
			h = (unsigned)(*c - 'a' + 10);
		else
			goto fail;
		x = x << 4 | h;
	}
	if (x > max)
		goto fail;
	*out = x;
	return true;
fail:
	bad(d, "%s: '%s' is not a hex number 0x.. up to 0x%llx", where, key,
	    (unsigned long long)max);
	return false;
}

static bool is_sha256_or_builtin(const char *s)
{
	if (!strcmp(s, "builtin"))
		return true;
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static void read_device(struct rd *d, const struct jr_value *o, struct conf_device_info *dev)
{
	static const char *const keys[] = { "name", "vendor", "description", "model_version",
					    "source", "plugin_sha256", "pci", "offered_features",
					    NULL };
	static const char *const pci_keys[] = { "vendor_id", "device_id", "subsystem_vendor_id",
						"subsystem_id", "revision", "class_code", NULL };
	const struct jr_value *pci;
	uint64_t v;

	if (only_keys(d, o, "device", keys))
		return;
	dev->name = get_str(d, o, "name", 128, "device");
	dev->vendor = get_str(d, o, "vendor", 128, "device");
	dev->description = get_str(d, o, "description", 512, "device");
	dev->model_version = get_str(d, o, "model_version", 128, "device");
	dev->source = get_str(d, o, "source", 256, "device");
	dev->plugin_sha256 = get_str(d, o, "plugin_sha256", 64, "device");
	if (d->rc)
		return;
	conf_one_line(dev->name);
	conf_one_line(dev->vendor);
	conf_one_line(dev->description);
	conf_one_line(dev->model_version);
	conf_one_line(dev->source);
	if (!*dev->name) {
		bad(d, "device: empty name");
		return;
	}
	if (!is_sha256_or_builtin(dev->plugin_sha256)) {
		bad(d, "device: plugin_sha256 is neither 64 hex digits nor 'builtin'");
		return;
	}
	pci = jr_get(o, "pci");
	if (only_keys(d, pci, "device.pci", pci_keys))
		return;
	if (get_hex(d, pci, "vendor_id", 0xffff, &v, "device.pci"))
		dev->vendor_id = (uint16_t)v;
	if (get_hex(d, pci, "device_id", 0xffff, &v, "device.pci"))
		dev->device_id = (uint16_t)v;
	if (get_hex(d, pci, "subsystem_vendor_id", 0xffff, &v, "device.pci"))
		dev->subsys_vendor_id = (uint16_t)v;
	if (get_hex(d, pci, "subsystem_id", 0xffff, &v, "device.pci"))
		dev->subsys_id = (uint16_t)v;
	if (get_hex(d, pci, "revision", 0xff, &v, "device.pci"))
		dev->revision = (uint8_t)v;
	if (get_hex(d, pci, "class_code", 0xffffff, &v, "device.pci"))
		dev->class_code = (uint32_t)v;
	get_hex(d, o, "offered_features", UINT64_MAX, &dev->features, "device");
}

static void read_evidence(struct rd *d, const struct jr_value *o, struct conf_result *res,
			  const char *where)
{
	static const char *const keys[] = { "check", "ring", "status", "message", "sim_time_ps",
					    "pcap_frame", "trace", NULL };
	struct conf_evidence e = { .pcap_frame = -1 };
	const struct jr_value *frame;
	char *status;

	if (only_keys(d, o, where, keys))
		return;
	e.check = get_str(d, o, "check", 128, where);
	e.ring = get_str(d, o, "ring", 16, where);
	status = get_str(d, o, "status", 32, where);
	e.message = get_str(d, o, "message", CONF_MAX_MESSAGE, where);
	get_uint(d, o, "sim_time_ps", &e.sim_time_ps, where);
	e.trace = get_str(d, o, "trace", CONF_MAX_TRACE, where);
	frame = jr_get(o, "pcap_frame");
	if (!d->rc) {
		if (frame->type == JR_NUMBER && frame->is_int && frame->i >= 0)
			e.pcap_frame = frame->i;
		else if (frame->type != JR_NULL)
			bad(d, "%s: 'pcap_frame' is neither null nor a non-negative integer", where);
	}
	if (!d->rc && (!*e.check || (strcmp(e.ring, "") && strcmp(e.ring, "split") &&
				     strcmp(e.ring, "packed"))))
		bad(d, "%s: bad check name or ring", where);
	if (!d->rc && (conf_status_parse(status, &e.status) || e.status == CONF_NOT_TESTED))
		bad(d, "%s: bad evidence status '%.32s'", where, status);
	if (!d->rc && conf_result_add_evidence(res, &e))
		oom(d);
	free(e.check);
	free(e.ring);
	free(status);
	free(e.message);
	free(e.trace);
}

static void read_result(struct rd *d, const struct jr_value *o, struct conf_result *res,
			size_t i, uint64_t features)
{
	static const char *const keys[] = { "id", "section", "actor", "level", "area", "text",
					    "status", "note", "covered_by", "evidence", NULL };
	const struct conf_req *req = &conf_requirements[i];
	const struct jr_value *cov, *ev;
	enum conf_status stated;
	char where[96], why[160], *s;

	snprintf(where, sizeof(where), "requirements[%zu] (%s)", i, req->id);
	if (only_keys(d, o, where, keys))
		return;
	/* the row is the catalogue's: nothing about it may be edited */
	{
		const char *const fixed[][2] = {
			{ "id", res->id },	 { "section", res->section },
			{ "actor", res->actor }, { "level", res->level },
			{ "area", res->area },	 { "text", res->text },
		};

		for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]) && !d->rc; k++) {
			s = get_str(d, o, fixed[k][0], 4096, where);
			if (s && strcmp(s, fixed[k][1]))
				bad(d, "%s: '%s' differs from the catalogue", where, fixed[k][0]);
			free(s);
		}
	}
	s = get_str(d, o, "status", 32, where);
	if (!d->rc && conf_status_parse(s, &stated))
		bad(d, "%s: bad status '%.32s'", where, s);
	free(s);
	if (d->rc)
		return;
	free(res->note);
	res->note = get_str(d, o, "note", 256, where);
	if (d->rc)
		return;
	conf_one_line(res->note);
	cov = jr_get(o, "covered_by");
	if (cov->type != JR_ARRAY || cov->n > MAX_COVERED) {
		bad(d, "%s: 'covered_by' is not an array of at most %d names", where, MAX_COVERED);
		return;
	}
	res->covered_by = calloc(cov->n ? cov->n : 1, sizeof(char *));
	if (!res->covered_by) {
		oom(d);
		return;
	}
	for (size_t j = 0; j < cov->n; j++) {
		if (cov->items[j].type != JR_STRING || !cov->items[j].len ||
		    cov->items[j].len > 128) {
			bad(d, "%s: bad name in 'covered_by'", where);
			return;
		}
		res->covered_by[j] = conf_clean_strdup(cov->items[j].s, 128);
		if (!res->covered_by[j]) {
			oom(d);
			return;
		}
		res->ncovered++;
	}
	ev = jr_get(o, "evidence");
	if (ev->type != JR_ARRAY || ev->n > MAX_EVIDENCE_PER_ROW) {
		bad(d, "%s: 'evidence' is not an array of at most %d entries", where,
		    MAX_EVIDENCE_PER_ROW);
		return;
	}
	for (size_t j = 0; j < ev->n && !d->rc; j++) {
		char w[128];

		snprintf(w, sizeof(w), "%s.evidence[%zu]", where, j);
		read_evidence(d, &ev->items[j], res, w);
	}
	if (d->rc)
		return;
	/* the status follows from the evidence, except that a row the device's
	 * features make inapplicable is not_applicable whatever the evidence,
	 * with the reason as its note (as the runner decides it) */
	if (!conf_req_applicable(res->id, features, why, sizeof(why))) {
		if (stated != CONF_NOT_APPLICABLE || strcmp(res->note, why)) {
			bad(d, "%s: must be not_applicable ('%s') for the offered features", where,
			    why);
			return;
		}
	} else if (stated != res->status) {
		bad(d, "%s: status '%s' does not follow from its evidence ('%s')", where,
		    conf_status_name(stated), conf_status_name(res->status));
		return;
	}
	res->status = stated;
}

/* "I/N", 1 <= I <= N <= 1000000 */
static void read_shard(struct rd *d, const char *s, unsigned *idx, unsigned *cnt)
{
	unsigned long a, b;
	char *end;

	if (!s || s[0] < '1' || s[0] > '9')
		goto fail;
	a = strtoul(s, &end, 10);
	if (*end != '/' || end[1] < '1' || end[1] > '9')
		goto fail;
	b = strtoul(end + 1, &end, 10);
	if (*end || a > b || b > 1000000)
		goto fail;
	*idx = (unsigned)a;
	*cnt = (unsigned)b;
	return;
fail:
	bad(d, "'shard' is not I/N with 1 <= I <= N");
}

static void read_counts(struct rd *d, const struct jr_value *o, const struct conf_report *r)
{
	static const char *const keys[] = { "requirements", "pass", "fail", "error",
					    "not_applicable", "not_tested", "must", NULL };
	static const char *const mkeys[] = { "rows", "pass", "fail", "error", "not_applicable",
					     "not_tested", NULL };
	struct conf_counts c;
	uint64_t v;

	conf_report_counts(r, &c);
	if (only_keys(d, o, "counts", keys) || only_keys(d, jr_get(o, "must"), "counts.must", mkeys))
		return;
	for (int pass = 0; pass < 2 && !d->rc; pass++) {
		const struct jr_value *obj = pass ? jr_get(o, "must") : o;
		const size_t *by = pass ? c.must : c.by_status;

		if (get_uint(d, obj, pass ? "rows" : "requirements", &v, "counts") &&
		    v != (pass ? c.must_total : c.total))
			bad(d, "counts: totals do not match the requirements");
		for (int s = 0; s < CONF_NSTATUS && !d->rc; s++)
			if (get_uint(d, obj, conf_status_name((enum conf_status)s), &v, "counts") &&
			    v != by[s])
				bad(d, "counts%s: '%s' is %llu, the requirements say %zu",
				    pass ? ".must" : "", conf_status_name((enum conf_status)s),
				    (unsigned long long)v, by[s]);
	}
}

static void read_report(struct rd *d, const struct jr_value *top, struct conf_report *r)
{
	static const char *const keys[] = { "tool", "version", "catalogue_sha256", "device",
					    "seed", "profile", "ring", "only", "shard", "verdict",
					    "counts", "requirements", NULL };
	const struct jr_value *reqs;
	char *shard, *verdict, canon[128];
	unsigned items;

	if (only_keys(d, top, "conformance.json", keys))
		return;
	r->tool = get_str(d, top, "tool", 64, "conformance.json");
	r->version = get_str(d, top, "version", 128, "conformance.json");
	r->catalogue_sha256 = get_str(d, top, "catalogue_sha256", 64, "conformance.json");
	if (d->rc)
		return;
	conf_one_line(r->version);
	if (strcmp(r->tool, "vdpasim")) {
		bad(d, "'tool' is '%.64s', not vdpasim", r->tool);
		return;
	}
	if (strcmp(r->catalogue_sha256, conf_catalogue_sha256)) {
		bad(d, "report made with another requirement catalogue (sha256 %.64s; this "
		    "vdpasim has %s)", r->catalogue_sha256, conf_catalogue_sha256);
		return;
	}
	read_device(d, jr_get(top, "device"), &r->dev);
	get_uint(d, top, "seed", &r->seed, "conformance.json");
	r->profile = get_str(d, top, "profile", 128, "conformance.json");
	r->ring = get_str(d, top, "ring", 16, "conformance.json");
	r->only = get_str(d, top, "only", 512, "conformance.json");
	shard = get_str(d, top, "shard", 32, "conformance.json");
	verdict = get_str(d, top, "verdict", 16, "conformance.json");
	if (!d->rc) {
		conf_one_line(r->only);
		if (conf_profile_parse(r->profile, &items, NULL, 0) ||
		    (conf_profile_format(items, canon, sizeof(canon)), strcmp(canon, r->profile)))
			bad(d, "'profile' '%.64s' is not a canonical profile", r->profile);
		else if (strcmp(r->ring, "split") && strcmp(r->ring, "packed") &&
			 strcmp(r->ring, "all"))
			bad(d, "'ring' '%.16s' is not split, packed or all", r->ring);
		else
			read_shard(d, shard, &r->shard_index, &r->shard_count);
	}
	reqs = jr_get(top, "requirements");
	if (!d->rc && (reqs->type != JR_ARRAY || reqs->n != r->nres))
		bad(d, "'requirements' must hold the %zu catalogue rows", r->nres);
	for (size_t i = 0; !d->rc && i < r->nres; i++)
		read_result(d, &reqs->items[i], &r->res[i], i, r->dev.features);
	if (!d->rc)
		read_counts(d, jr_get(top, "counts"), r);
	if (!d->rc && strcmp(verdict, conf_report_verdict(r)))
		bad(d, "'verdict' is '%.16s', the requirements say '%s'", verdict,
		    conf_report_verdict(r));
	free(shard);
	free(verdict);
}

int conf_report_parse(const char *text, size_t len, struct conf_report **out, char *err,
		      size_t errlen)
{
	struct rd d = { .err = err, .errlen = errlen };
	struct jr_value *top;
	struct conf_report *r;
	int rc;

	*out = NULL;
	rc = jr_parse(text, len, &top, err, errlen);
	if (rc)
		return rc;
	rc = conf_report_new(&r);
	if (rc) {
		jr_free(top);
		return oom(&d);
	}
	read_report(&d, top, r);
	jr_free(top);
	if (d.rc) {
		conf_report_free(r);
		return d.rc;
	}
	*out = r;
	return 0;
}

int conf_report_load(const char *path, struct conf_report **out, char *err, size_t errlen)
{
	char *text, inner[400];
	size_t len;
	int rc = conf_read_file(path, JR_MAX_INPUT, &text, &len);

	*out = NULL;
	if (rc) {
		snprintf(err, errlen, "%s: %s", path,
			 rc == -EFBIG ? "file too large" : strerror(-rc));
		return rc == -ENOMEM ? rc : -EIO;
	}
	rc = conf_report_parse(text, len, out, inner, sizeof(inner));
	free(text);
	if (rc)
		snprintf(err, errlen, "%s: %s", path, inner);
	return rc;
}
