/* SPDX-License-Identifier: MIT */
/*
 * Private to conformance/: the API checks are written against (struct
 * conf_ctx, conf_set), the byte buffers a check's process sends its results
 * in, the process isolation, the virtio-pci helpers and small string/file
 * helpers shared by the report writers and readers.
 */
#ifndef VDPASIM_CONFORMANCE_PRIV_H
#define VDPASIM_CONFORMANCE_PRIV_H

#include "conformance/conformance.h"
#include "sim/engine/engine.h"

#include <stdarg.h>


/* Bounds on what a check (or a device through it) can send back. */
#define CONF_MAX_MESSAGE 1024
#define CONF_MAX_TRACE 2048
#define CONF_MAX_EVIDENCE 4096    /* conf_set calls per check run */
#define CONF_MAX_CHILD_OUTPUT (16u << 20)
#define CONF_TRACE_LINES 8        /* trace records kept for a failure's excerpt */

/* ---- byte buffers (check process -> runner) ---------------------------------------------- */

struct conf_buf {
	uint8_t *p;
	size_t len, cap;
	int err; /* -ENOMEM latched */
};
void conf_buf_u8(struct conf_buf *b, uint8_t v);
void conf_buf_u32(struct conf_buf *b, uint32_t v);
void conf_buf_u64(struct conf_buf *b, uint64_t v);
void conf_buf_str(struct conf_buf *b, const char *s); /* u32 length + bytes */
void conf_buf_bytes(struct conf_buf *b, const void *p, size_t n);
void conf_buf_free(struct conf_buf *b);

struct conf_rd {
	const uint8_t *p;
	size_t len, pos;
	bool bad; /* latched on any short or oversized read */
};
uint8_t conf_rd_u8(struct conf_rd *r);
uint32_t conf_rd_u32(struct conf_rd *r);
uint64_t conf_rd_u64(struct conf_rd *r);
/* A malloc'ed, sanitized copy of a string of at most max bytes; NULL if bad. */
char *conf_rd_str(struct conf_rd *r, size_t max);

/* ---- process isolation ---------------------------------------------------------------------- */

struct conf_isolated {
	/* what the child sent (owned), complete only when ok */
	uint8_t *data;
	size_t len;
	bool ok;            /* exited 0 after sending */
	char why[160];      /* otherwise: signal, exit status, timeout, oversized output */
};
/*
 * Run fn(arg, out) in a child process; the child sends `out` through a pipe and
 * exits.  The parent waits at most timeout_s seconds of wall-clock time (the
 * hang guard: it never influences a result except turning a hung child into
 * an error).  0, or -errno when no child could be started.
 */
int conf_isolate(void (*fn)(void *arg, struct conf_buf *out), void *arg, unsigned timeout_s,
		 struct conf_isolated *res);
void conf_isolated_free(struct conf_isolated *res);

/* ---- the check context --------------------------------------------------------------------- */

struct conf_timer;

struct conf_ctx {
	const struct conf_check *check;
	const struct vdpasim_device_plugin *plugin;
	const char *options;
	unsigned ring;      /* CONF_RING_SPLIT / _PACKED, 0 for a ring-independent run */
	uint64_t offered;   /* features the device offered when probed */
	uint64_t selected;  /* offered features the run's profile covers */
	struct sim *sim;
	void *dev;
	struct vdpasim_pci_layout layout;
	struct vdpasim_host_ops ops;
	struct eng_rng rng;

	/* budget: simulated time and engine events per check run */
	sim_time_t max_time;
	uint64_t max_events;
	bool budget_exceeded;

	struct conf_timer *timers;
	size_t ntimers, timers_cap;

	/* last trace records, for the excerpt attached to failures */
	char trace[CONF_TRACE_LINES][256];
	unsigned trace_next, trace_count;

	/* what the device reported through host services */
	uint64_t frames_sent, msix_sent, dma_faults;
	unsigned device_errors;
	char first_device_error[160];

	/* results: serialized evidence records */
	struct conf_buf *out;
	unsigned nset;
	char misuse[CONF_MAX_MESSAGE]; /* first conf_set misuse (undeclared id, ...) */
};

/*
 * Set a requirement's status with evidence (printf-style message).  Only ids
 * the check declares are accepted; status is CONF_PASS, CONF_FAIL or
 * CONF_NOT_APPLICABLE.  A misuse is recorded and makes the whole check an
 * error.  Returns 0 or -EINVAL.
 */
int conf_set(struct conf_ctx *ctx, const char *id, enum conf_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same with the pcap frame number the evidence points at. */
int conf_set_frame(struct conf_ctx *ctx, const char *id, enum conf_status st, int64_t frame,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Pass when cond, else fail, with the same message. */
int conf_expect(struct conf_ctx *ctx, const char *id, bool cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

sim_time_t conf_now(const struct conf_ctx *ctx);
/* Advance simulated time by dt, running the device's events.  -ETIME when the
 * check's simulated-time or event budget ran out (the run is then an error). */
int conf_run_for(struct conf_ctx *ctx, sim_time_t dt);
uint64_t conf_mmio_read(struct conf_ctx *ctx, uint8_t bar, uint64_t off, uint8_t size);
void conf_mmio_write(struct conf_ctx *ctx, uint8_t bar, uint64_t off, uint8_t size, uint64_t v);

/* Set up / tear down a context and its device instance (host.c). */
int conf_ctx_init(struct conf_ctx *ctx, const struct vdpasim_device_plugin *plugin,
		  const char *options, uint64_t seed, const char *stream, char *err,
		  size_t errlen);
void conf_ctx_fini(struct conf_ctx *ctx);

/* ---- virtio-pci structures in a device layout (vpci.c) ------------------------------------- */

struct conf_vcap {
	unsigned index;     /* position in layout.vendor_caps */
	uint8_t cap_len;    /* virtio_pci_cap.cap_len */
	uint8_t cfg_type, bar, id;
	uint32_t offset, length;
	uint32_t notify_off_multiplier; /* notify capability only */
	uint8_t raw_len;    /* vdpasim_vendor_cap.len */
};
#define CONF_MAX_VCAPS VDPASIM_MAX_VENDOR_CAPS

/* The virtio structure capabilities among the vendor capabilities, in list
 * order (malformed ones are returned too: raw_len/cap_len tell).  Returns n. */
size_t conf_vcaps(const struct vdpasim_pci_layout *l, struct conf_vcap *out);
/* The first capability of a cfg_type whose region fits its BAR, or NULL. */
const struct conf_vcap *conf_vcap_find(const struct conf_vcap *caps, size_t n, uint8_t type,
				       const struct vdpasim_pci_layout *l);
/* Offered features through the common configuration (device_feature_select
 * 0 and 1).  0, or -ENODEV without a usable common configuration capability. */
int conf_read_features(struct conf_ctx *ctx, uint64_t *features);

/* ---- strict JSON reader (json_read.c) ------------------------------------------------------- */
/*
 * RFC 8259 only: no comments, no trailing commas, no NaN, strings valid UTF-8
 * without NUL, no duplicate keys.  Bounded: nesting depth, string length,
 * members per object, nodes and input size.  Never crashes on any input.
 */
#define JR_MAX_DEPTH 32
#define JR_MAX_STRING (1u << 20)
#define JR_MAX_OBJECT_KEYS 4096
#define JR_MAX_NODES 2000000
#define JR_MAX_INPUT (64u << 20)

enum jr_type { JR_NULL, JR_BOOL, JR_NUMBER, JR_STRING, JR_ARRAY, JR_OBJECT };

struct jr_value {
	enum jr_type type;
	bool b;
	/* numbers: integers without fraction or exponent that fit are exact */
	bool is_uint, is_int;
	uint64_t u;
	int64_t i;
	double d;
	char *s;      /* string (NUL-terminated, no NUL inside) */
	size_t len;
	struct jr_value *items; /* array elements / object values */
	char **keys;            /* object keys, parallel to items */
	size_t n;
};

int jr_parse(const char *text, size_t len, struct jr_value **out, char *err, size_t errlen);
void jr_free(struct jr_value *v);
/* Member of an object, NULL if absent or v is not an object. */
const struct jr_value *jr_get(const struct jr_value *v, const char *key);

/* ---- strings and files ------------------------------------------------------------------------ */

/* A copy of at most max bytes of s made valid for every report format: invalid
 * UTF-8 and control characters other than \n and \t become '?'.  NULL: ENOMEM. */
char *conf_clean_strdup(const char *s, size_t max);
char *conf_strdup(const char *s); /* strdup that accepts NULL as "" */
/* For one-line fields (device identity, profile): tabs and newlines become spaces. */
void conf_one_line(char *s);
char *conf_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Read a whole file of at most max bytes; 0, -EFBIG or -errno. */
int conf_read_file(const char *path, size_t max, char **text, size_t *len);
/* Write via a temporary file and rename.  0 or -errno. */
int conf_write_file_atomic(const char *path, const void *data, size_t len);
int conf_mkdir_p(const char *path);
char *conf_path_join(const char *dir, const char *name);

/* Escapers writing into f. */
void conf_xml_escape(FILE *f, const char *s);
void conf_md_escape(FILE *f, const char *s);

/* ---- report model helpers (model.c) ---------------------------------------------------------- */

/* A report with every catalogue row, not_tested, no evidence. */
int conf_report_new(struct conf_report **out);
int conf_result_add_evidence(struct conf_result *res, const struct conf_evidence *ev);
/* Evidence in (check, ring) order, keeping the order within one check run. */
void conf_result_sort_evidence(struct conf_result *res);
/* Shared by the readers: the catalogue-derived fields of a row. */
int conf_result_fill(struct conf_result *res, const struct conf_req *req);
void conf_device_info_free(struct conf_device_info *d);
/* "pass" or "fail". */
const char *conf_report_verdict(const struct conf_report *r);
/* "pass: 20 of 441 MUST/MUST NOT rows passed, 0 failed, ..." (one line). */
void conf_verdict_line(const struct conf_report *r, char *buf, size_t size);

/* ---- the checks (one file each, listed in checks.c) ------------------------------------------ */

extern const struct conf_check conf_check_pci_identity;
extern const struct conf_check conf_check_pci_msix;
extern const struct conf_check conf_check_virtio_caps;
extern const struct conf_check conf_check_feature_offer;
extern const struct conf_check conf_check_net_config;
extern const struct conf_check conf_check_selftest_pass;
extern const struct conf_check conf_check_selftest_crash;
extern const struct conf_check conf_check_selftest_hang;
extern const struct conf_check conf_check_selftest_budget;
extern const struct conf_check conf_check_selftest_misuse;

/* Every applicability rule names catalogue rows (needs.c); 0 or -EINVAL with
 * the offending pattern in bad. */
int conf_needs_validate(char *bad, size_t badlen);
/* The checks conf_plugin_open applies to any descriptor (plugin.c). */
int conf_plugin_check_descriptor(const struct vdpasim_device_plugin *d, const char *what,
				 char *err, size_t errlen);

/* ---- built-in devices -------------------------------------------------------------------------- */

const struct vdpasim_device_plugin *conf_testnet_plugin(void);

/* ---- shared by the text renderers (report_text.c) ------------------------------------------ */

/* "pci_identity" or "pci_identity/packed". */
void conf_evidence_label(const struct conf_evidence *e, char *buf, size_t size);
/* Why a row is not_applicable or not_tested, for people ("" otherwise). */
void conf_result_reason(const struct conf_result *x, char *buf, size_t size);
/* The first evidence with the row's status (its message explains it), or NULL. */
const struct conf_evidence *conf_result_lead(const struct conf_result *x);

/* Counts of rows grouped by a key (area, level, chapter), in first-seen order. */
struct conf_group {
	char key[96];
	size_t n;
	size_t by_status[CONF_NSTATUS];
};
enum conf_group_by { CONF_BY_AREA, CONF_BY_LEVEL, CONF_BY_CHAPTER, CONF_BY_SECTION };
/* *out is malloc'ed; returns the number of groups or -ENOMEM. */
int conf_group_results(const struct conf_report *r, enum conf_group_by by,
		       struct conf_group **out);

/* One file of the package rendered into memory (malloc'ed); 0, -ENOENT or -errno. */
int conf_render(const struct conf_report *r, const char *name, char **buf, size_t *len);

/* The package's files in SHA256SUMS order (strcmp). */
extern const char *const conf_package_files[]; /* ends with NULL */

#endif
