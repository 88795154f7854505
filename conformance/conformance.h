/* SPDX-License-Identifier: MIT */
/*
 * VIRTIO conformance suite: the requirement catalogue, the device loader
 * (built-in models and vendor plugins), the runner that drives every check in
 * its own process, and the report package (conformance.json, junit.xml,
 * report.html, report.md, STATEMENT, SHA256SUMS) with its reader, shard merge
 * and verifier.  docs/conformance.md is the user's guide.
 *
 * Everything a run writes is a function of its inputs (device, options, seed,
 * tool version): no wall clock, no host names, catalogue order throughout.
 */
#ifndef VDPASIM_CONFORMANCE_H
#define VDPASIM_CONFORMANCE_H

#include "vdpasim/device_plugin.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses of `vdpasim conformance` and `vdpasim report` (as `vdpasim run`). */
enum conf_exit {
	CONF_EXIT_PASS = 0,     /* every applicable MUST / MUST NOT row passed (or is untested) */
	CONF_EXIT_FAIL = 1,     /* a MUST / MUST NOT row failed or errored; verify: bad package */
	CONF_EXIT_USAGE = 2,    /* bad option, device that cannot be loaded, unreadable input */
	CONF_EXIT_INTERNAL = 3, /* I/O error writing outputs, out of memory */
};

/* ---- Requirement catalogue (conformance/requirements.tsv, compiled in) ---------------- */

struct conf_req {
	const char *id;         /* "PACKED-DEV-03": stable */
	const char *section;    /* "2.8.12 Device Requirements: Virtqueues" */
	const char *actor;      /* "device" | "driver" */
	const char *level;      /* "MUST" | "MUST NOT" | "SHOULD" | "SHOULD NOT" | "MAY" */
	const char *paraphrase;
	const char *testable;   /* "yes", "partly: ...", "no: ..." */
	const char *how;        /* how_to_test */
};

extern const struct conf_req conf_requirements[];
extern const size_t conf_nrequirements;
extern const char conf_catalogue_sha256[]; /* of the TSV the table was generated from */

/* Catalogue index of an id, or -1. */
int conf_req_index(const char *id);
const struct conf_req *conf_req_find(const char *id);

/*
 * Area of a requirement id: the id without its number and actor token
 * ("NET-TX-DEV-03" -> "NET-TX", "PCI-DEV-X01" -> "PCI", "NET-VQ-X02" -> "NET-VQ").
 * Writes at most size bytes (NUL included); returns the length, -EINVAL for a
 * malformed id.
 */
int conf_area(const char *id, char *buf, size_t size);
/* The areas the acceptance figure counts: the area's first token is one of
 * STATUS FEAT INIT CFG NOTIF OPS RESET VQRESET CLEANUP SPLIT PACKED PCI NET. */
bool conf_core_area(const char *area);
/* Chapter number of a spec section ("4.1.2.1 ..." -> 4), 0 when none. */
int conf_chapter(const char *section);
/* Chapter title in VIRTIO 1.3 ("Virtio Transport Options"), "" if unknown. */
const char *conf_chapter_title(int chapter);
/* MUST or MUST NOT. */
bool conf_level_must(const char *level);
/* testable_in_sim is "yes" (rows marked "partly" or "no" are not counted as testable). */
bool conf_req_testable(const struct conf_req *r);

/*
 * A catalogue parsed from TSV text (to prove the compiled table matches the
 * file, and for tools).  Strict: the header line, 7 non-empty tab-separated
 * fields per line, unique ids, no CR, no NUL.  0 or -EINVAL with a message
 * naming the line in err.
 */
struct conf_catalogue {
	struct conf_req *rows;
	size_t n;
	char *text; /* the rows point into this copy */
};
int conf_catalogue_parse(const char *text, size_t len, struct conf_catalogue *cat, char *err,
			 size_t errlen);
void conf_catalogue_free(struct conf_catalogue *cat);

/* ---- Statuses and their combination ------------------------------------------------------ */

/*
 * Ordered by precedence: combining statuses keeps the highest, so a failure
 * beats everything, a crashed or hung check (error) beats pass and
 * not_applicable, and not_applicable is never turned into pass.
 */
enum conf_status {
	CONF_NOT_TESTED = 0,
	CONF_PASS = 1,
	CONF_NOT_APPLICABLE = 2,
	CONF_ERROR = 3,
	CONF_FAIL = 4,
};
#define CONF_NSTATUS 5

enum conf_status conf_combine(enum conf_status a, enum conf_status b);
const char *conf_status_name(enum conf_status s); /* "pass", "not_applicable", ... */
/* 0 and *s, or -EINVAL. */
int conf_status_parse(const char *name, enum conf_status *s);

/* ---- Profiles: what a device offers and what a run covers ------------------------------- */

enum conf_ring {
	CONF_RING_SPLIT = 1u << 0,
	CONF_RING_PACKED = 1u << 1,
	CONF_RING_ALL = CONF_RING_SPLIT | CONF_RING_PACKED,
};

/* Profile items, in their canonical order. */
enum conf_profile_item {
	CONF_P_SPLIT = 1u << 0,
	CONF_P_PACKED = 1u << 1,
	CONF_P_EVENT_IDX = 1u << 2,
	CONF_P_INDIRECT = 1u << 3,
	CONF_P_IN_ORDER = 1u << 4,
	CONF_P_MQ = 1u << 5,
	CONF_P_CTRL_VQ = 1u << 6,
	CONF_P_SUSPEND = 1u << 7,
	CONF_P_ALL = (1u << 8) - 1,
};

/* Profile items a device offering `features` supports (split always). */
unsigned conf_profile_offered(uint64_t features);
/* Feature bits a set of profile items stands for (split: none). */
uint64_t conf_profile_features(unsigned items);
/* "split,packed,event_idx" (canonical order); "none" for 0.  Returns the length. */
size_t conf_profile_format(unsigned items, char *buf, size_t size);
/* A comma-separated list of item names; 0 or -EINVAL (bad naming the bad item). */
int conf_profile_parse(const char *s, unsigned *items, char *bad, size_t badlen);

/*
 * What a requirement needs from the device: applicable(r) is false when the
 * device does not offer a feature the requirement depends on, or offers one
 * whose absence it is about ("Without NOTIFICATION_DATA offered ...").
 * `why` gets the reason ("device does not offer VIRTIO_F_RING_PACKED").
 */
bool conf_req_applicable(const char *id, uint64_t offered, char *why, size_t whylen);
/* Ring layouts a requirement belongs to (0: independent of the layout). */
unsigned conf_req_rings(const char *id);
/* Feature bits the requirement needs offered (all of them), for selection. */
uint64_t conf_req_features(const char *id);

/* ---- Devices --------------------------------------------------------------------------------- */

/* A built-in device: the same descriptor a plugin exports. */
struct conf_builtin_device {
	const char *name;
	vdpasim_device_plugin_fn get;
};
extern const struct conf_builtin_device conf_builtin_devices[]; /* ends with { NULL } */

struct conf_plugin {
	const struct vdpasim_device_plugin *desc;
	void *handle;          /* unused: sim/devhost keeps a loaded plugin mapped */
	char source[256];      /* "builtin" or the file's base name */
	char sha256[65];       /* of the .so file; "builtin" for a built-in device */
};

/*
 * Resolve `device`: a built-in name, or a path to a shared object (contains a
 * '/' or ends in ".so") that is dlopen'ed for VDPASIM_PLUGIN_SYMBOL.  Refuses a
 * missing file or symbol, a NULL descriptor, an abi_version or size that does
 * not match this simulator, and missing mandatory callbacks, writing a
 * one-line reason to err.  0, -ENOENT, -EINVAL or -EPROTO (ABI mismatch).
 */
int conf_plugin_open(const char *device, struct conf_plugin *p, char *err, size_t errlen);
void conf_plugin_close(struct conf_plugin *p);

/* ---- Checks ---------------------------------------------------------------------------------- */

struct conf_ctx;

/*
 * One check: drives a fresh device instance and sets the status of the
 * requirements it declares with conf_set().  It runs in its own process, once
 * per selected ring layout in `rings` (once when rings is 0), and only when the
 * device offers every bit of `needs_features`.
 */
struct conf_check {
	const char *name;
	const char *description;
	const char *const *requirements; /* NULL-terminated: all it may set */
	uint64_t needs_features;
	unsigned rings;
	/* 0, or a negative errno when the check could not complete (all its
	 * requirements are then reported as error). */
	int (*run)(struct conf_ctx *ctx);
};

/* The registry (conformance/checks.c), in run order; NULL-terminated. */
extern const struct conf_check *const conf_checks[];
/* Checks that prove the runner's isolation (crash, hang, budget, misuse); only
 * with --selftest or the test API.  NULL-terminated. */
extern const struct conf_check *const conf_selftest_checks[];

/* ---- Report model ------------------------------------------------------------------------- */

struct conf_evidence {
	char *check;
	char *ring;    /* "split", "packed", or "" for a ring-independent check */
	enum conf_status status;
	char *message;
	uint64_t sim_time_ps;
	int64_t pcap_frame; /* -1: none */
	char *trace;        /* trace excerpt, "" when none */
};

struct conf_result {
	char *id, *section, *actor, *level, *area, *text;
	enum conf_status status;
	char *note; /* why not_applicable / not tested by this run; "" */
	char **covered_by; /* registered checks declaring the requirement */
	size_t ncovered;
	struct conf_evidence *ev;
	size_t nev;
};

struct conf_device_info {
	char *name, *vendor, *description, *model_version;
	char *source;        /* "builtin" or the plugin file's base name */
	char *plugin_sha256; /* "builtin" or hex */
	uint16_t vendor_id, device_id, subsys_vendor_id, subsys_id;
	uint32_t class_code;
	uint8_t revision;
	uint64_t features;   /* offered */
};

struct conf_report {
	char *tool, *version, *catalogue_sha256;
	struct conf_device_info dev;
	uint64_t seed;
	char *profile;  /* canonical profile items the run covered */
	char *ring;     /* "split" | "packed" | "all" */
	char *only;     /* the --only filter, "" for none */
	unsigned shard_index, shard_count; /* 1-based; 1/1 unsharded */
	struct conf_result *res;
	size_t nres;
};

struct conf_counts {
	size_t total;
	size_t by_status[CONF_NSTATUS];
	size_t must_total;
	size_t must[CONF_NSTATUS]; /* MUST and MUST NOT rows */
};

void conf_report_counts(const struct conf_report *r, struct conf_counts *c);
/* true: no MUST / MUST NOT row failed or errored. */
bool conf_report_passed(const struct conf_report *r);
void conf_report_free(struct conf_report *r);
/* The tool version reports carry: `git describe --always --dirty` of the build. */
const char *conf_version(void);

/* ---- Running ------------------------------------------------------------------------------- */

#define CONF_DEFAULT_TIMEOUT_S 60
#define CONF_DEFAULT_MAX_SIM_TIME (10ULL * 1000000000000ULL) /* 10 s simulated per check */
#define CONF_DEFAULT_MAX_EVENTS 50000000ULL                   /* engine events per check */

struct conf_run_config {
	const char *device;         /* built-in name or plugin path */
	const char *device_options; /* create() options, NULL: "" */
	unsigned rings;             /* CONF_RING_*; 0: CONF_RING_ALL */
	const char *profile;        /* NULL or "offered": all the device offers; else a list */
	const char *only;           /* NULL or comma-separated requirement ids / check names */
	unsigned shard_index, shard_count; /* 1-based; 0/0: 1/1 */
	const char *out_dir;        /* NULL: write nothing (tests) */
	uint64_t seed;
	unsigned timeout_s;         /* wall-clock hang guard per check; 0: default */
	uint64_t max_sim_time_ps;   /* simulated time per check; 0: default */
	uint64_t max_events;        /* engine events per check; 0: default */
	bool selftest;              /* add conf_selftest_checks (hidden --selftest) */
	const char *mutant;         /* a broken variant of --device ifcvf (hidden --mutant) */
	const struct conf_check *const *checks; /* NULL: conf_checks; NULL-terminated */
	bool quiet;                 /* no progress lines */
	FILE *diag;                 /* messages; NULL: stderr */
};

/*
 * Load the device, probe it, run the selected checks each in a child process,
 * and build the report (*out, caller frees).  Returns a conf_exit status for
 * failures before any check ran (CONF_EXIT_USAGE, CONF_EXIT_INTERNAL) with a
 * message on diag, else CONF_EXIT_PASS with *out set.
 */
int conf_run_report(const struct conf_run_config *cfg, struct conf_report **out);
/* conf_run_report, then the package in out_dir; returns the exit status. */
int conf_run(const struct conf_run_config *cfg);

/* ---- The report package --------------------------------------------------------------------- */

/* Individual writers (deterministic; 0 or -EIO/-ENOMEM). */
int conf_write_json(const struct conf_report *r, FILE *f);
int conf_write_junit(const struct conf_report *r, FILE *f);
int conf_write_html(const struct conf_report *r, FILE *f);
int conf_write_md(const struct conf_report *r, FILE *f);
int conf_write_statement(const struct conf_report *r, FILE *f);
/* All five files, then SHA256SUMS over them, into dir (created if needed).
 * 0 or -errno; err gets a message. */
int conf_write_package(const struct conf_report *r, const char *dir, char *err, size_t errlen);

/* Read a conformance.json strictly (bounded; never trusts the input).  0 or
 * -EINVAL / -EIO / -ENOMEM with a message in err. */
int conf_report_parse(const char *text, size_t len, struct conf_report **out, char *err,
		      size_t errlen);
int conf_report_load(const char *path, struct conf_report **out, char *err, size_t errlen);

/* `vdpasim report merge OUTDIR DIR...`: returns a conf_exit status. */
int conf_merge(const char *out_dir, const char *const *dirs, size_t ndirs, FILE *diag);
/* Merge parsed shard reports into one (1/1); names (may be NULL) label the inputs
 * in messages.  0 or -EINVAL with a reason, -ENOMEM. */
int conf_merge_reports(struct conf_report *const *shards, const char *const *names, size_t n,
		       struct conf_report **out, char *err, size_t errlen);
/* `vdpasim report verify DIR`: returns CONF_EXIT_PASS or CONF_EXIT_FAIL/USAGE. */
int conf_verify(const char *dir, FILE *out, FILE *diag);

/* ---- `vdpasim list` ----------------------------------------------------------------------- */

struct lsim_list_opts;
/* Providers for the list registry in script/modules.c (lsim_lister.list). */
int conf_list_requirements(const struct lsim_list_opts *o,
			   int (*emit)(void *arg, const char *name, const char *description),
			   void *arg);
/* Built-in device models (what --device NAME accepts). */
int conf_list_devices(const struct lsim_list_opts *o,
		      int (*emit)(void *arg, const char *name, const char *description), void *arg);
int conf_list_checks(const struct lsim_list_opts *o,
		     int (*emit)(void *arg, const char *name, const char *description), void *arg);
/* `vdpasim list requirements --summary`: per area, testable device-side
 * MUST/MUST NOT rows and how many a registered check covers; then the core
 * areas' share.  0 or -EIO. */
int conf_list_summary(FILE *out);

#endif
