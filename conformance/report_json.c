// SPDX-License-Identifier: MIT
/*
 * conformance.json: the report's source of truth.  The other files of the
 * package are rendered from what this file holds, so `report merge` and
 * `report verify` can rebuild them byte for byte from it.
 */
#include "conformance/conf_priv.h"
#include "script/json.h"

static const enum conf_status count_order[CONF_NSTATUS] = {
	CONF_PASS, CONF_FAIL, CONF_ERROR, CONF_NOT_APPLICABLE, CONF_NOT_TESTED,
};

static void hex_string(struct json_writer *w, uint64_t v, int digits)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%0*llx", digits, (unsigned long long)v);
	json_string(w, buf);
}

static void write_device(struct json_writer *w, const struct conf_device_info *d)
{
	json_begin_object(w);
	json_key(w, "name");
	json_string(w, d->name);
	json_key(w, "vendor");
	json_string(w, d->vendor);
	json_key(w, "description");
	json_string(w, d->description);
	json_key(w, "model_version");
	json_string(w, d->model_version);
	json_key(w, "source");
	json_string(w, d->source);
	json_key(w, "plugin_sha256");
	json_string(w, d->plugin_sha256);
	json_key(w, "pci");
	json_begin_object(w);
	json_key(w, "vendor_id");
	hex_string(w, d->vendor_id, 4);
	json_key(w, "device_id");
	hex_string(w, d->device_id, 4);
	json_key(w, "subsystem_vendor_id");
	hex_string(w, d->subsys_vendor_id, 4);
	json_key(w, "subsystem_id");
	hex_string(w, d->subsys_id, 4);
	json_key(w, "revision");
	hex_string(w, d->revision, 2);
	json_key(w, "class_code");
	hex_string(w, d->class_code, 6);
	json_end_object(w);
	json_key(w, "offered_features");
	hex_string(w, d->features, 16);
	json_end_object(w);
}

static void write_counts(struct json_writer *w, const size_t *by, size_t total, const char *tk)
{
	json_key(w, tk);
	json_uint(w, total);
	for (int i = 0; i < CONF_NSTATUS; i++) {
		json_key(w, conf_status_name(count_order[i]));
		json_uint(w, by[count_order[i]]);
	}
}

static void write_evidence(struct json_writer *w, const struct conf_evidence *e)
{
	json_begin_object(w);
	json_key(w, "check");
	json_string(w, e->check);
	json_key(w, "ring");
	json_string(w, e->ring);
	json_key(w, "status");
	json_string(w, conf_status_name(e->status));
	json_key(w, "message");
	json_string(w, e->message);
	json_key(w, "sim_time_ps");
	json_uint(w, e->sim_time_ps);
	json_key(w, "pcap_frame");
	if (e->pcap_frame < 0)
		json_null(w);
	else
		json_int(w, e->pcap_frame);
	json_key(w, "trace");
	json_string(w, e->trace);
	json_end_object(w);
}

static void write_result(struct json_writer *w, const struct conf_result *x)
{
	json_begin_object(w);
	json_key(w, "id");
	json_string(w, x->id);
	json_key(w, "section");
	json_string(w, x->section);
	json_key(w, "actor");
	json_string(w, x->actor);
	json_key(w, "level");
	json_string(w, x->level);
	json_key(w, "area");
	json_string(w, x->area);
	json_key(w, "text");
	json_string(w, x->text);
	json_key(w, "status");
	json_string(w, conf_status_name(x->status));
	json_key(w, "note");
	json_string(w, x->note);
	json_key(w, "covered_by");
	json_begin_array(w);
	for (size_t i = 0; i < x->ncovered; i++)
		json_string(w, x->covered_by[i]);
	json_end_array(w);
	json_key(w, "evidence");
	json_begin_array(w);
	for (size_t i = 0; i < x->nev; i++)
		write_evidence(w, &x->ev[i]);
	json_end_array(w);
	json_end_object(w);
}

int conf_write_json(const struct conf_report *r, FILE *f)
{
	struct json_writer w;
	struct conf_counts c;
	char shard[32];

	conf_report_counts(r, &c);
	snprintf(shard, sizeof(shard), "%u/%u", r->shard_index, r->shard_count);
	json_init(&w, f, true);
	json_begin_object(&w);
	json_key(&w, "tool");
	json_string(&w, r->tool);
	json_key(&w, "version");
	json_string(&w, r->version);
	json_key(&w, "catalogue_sha256");
	json_string(&w, r->catalogue_sha256);
	json_key(&w, "device");
	write_device(&w, &r->dev);
	json_key(&w, "seed");
	json_uint(&w, r->seed);
	json_key(&w, "profile");
	json_string(&w, r->profile);
	json_key(&w, "ring");
	json_string(&w, r->ring);
	json_key(&w, "only");
	json_string(&w, r->only);
	json_key(&w, "shard");
	json_string(&w, shard);
	json_key(&w, "verdict");
	json_string(&w, conf_report_verdict(r));
	json_key(&w, "counts");
	json_begin_object(&w);
	write_counts(&w, c.by_status, c.total, "requirements");
	json_key(&w, "must");
	json_begin_object(&w);
	write_counts(&w, c.must, c.must_total, "rows");
	json_end_object(&w);
	json_end_object(&w);
	json_key(&w, "requirements");
	json_begin_array(&w);
	for (size_t i = 0; i < r->nres; i++)
		write_result(&w, &r->res[i]);
	json_end_array(&w);
	json_end_object(&w);
	return json_finish(&w);
}
