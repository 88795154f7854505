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
#include "sim/pcie/pcie.h"
#include "sim/virtio_ring/virtio_ring.h"

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
/*
 * A check's process builds a platform (conformance/host.c): a struct sim,
 * host memory, an IOMMU with the device attached, a PCIe root complex with
 * the device under test placed by sim/devhost in slot CONF_SLOT, and a peer
 * port on the device's Ethernet port that the suite owns (it echoes what the
 * device sends, records it, and injects frames).  The suite then acts as the
 * virtio-pci driver (conformance/drv.c): enumeration by config cycles, the
 * capability walk, common configuration, MSI-X, virtqueues over guest memory
 * mapped in the IOMMU.  devhost observes every ring the suite declares; the
 * observers' device-side events come back to the context (conf_obs_*).
 */
#define CONF_SLOT 3
#define CONF_MMIO_BASE 0xE0000000ULL
#define CONF_MMIO_SIZE 0x10000000ULL
#define CONF_IOVA_BASE 0x40000000ULL   /* guest memory as the device sees it */
#define CONF_PA_BASE 0x200000000ULL    /* where it lives in host memory */
#define CONF_IOVA_SIZE (64ULL << 20)
#define CONF_MSI_ADDR 0xFEE00000ULL
#define CONF_MSI_DATA 0x100u           /* data of vector v is CONF_MSI_DATA + v */
#define CONF_MAX_VQ 40
#define CONF_MAX_VEC 64
#define CONF_NET_HDR 12u               /* struct virtio_net_hdr_mrg_rxbuf (VERSION_1) */
#define CONF_RX_KEEP 256               /* received frames kept for a check */
#define CONF_WIRE_KEEP 256             /* frames the device sent kept */
#define CONF_OBS_KEEP 64               /* observer events kept with their text */
#define CONF_WATCH_MAX 8
#define CONF_NO_VECTOR 0xffffu

struct conf_vcap {
	unsigned index;     /* position among the vendor-specific capabilities */
	uint16_t cfg_off;   /* its offset in configuration space */
	uint8_t cap_len;    /* virtio_pci_cap.cap_len */
	uint8_t cfg_type, bar, id;
	uint32_t offset, length;
	uint32_t notify_off_multiplier; /* notify capability only */
	uint64_t offset64, length64;    /* shared memory: with offset_hi / length_hi */
	uint16_t vendor_id;             /* vendor data capability */
	uint16_t room;      /* bytes until the next capability in config space */
};
#define CONF_MAX_VCAPS 48

struct vq_drv;
struct devh;
struct pcie_rc;
struct mem;
struct iommu;
struct iommu_domain;
struct net_port;
struct net_link;

/* One virtqueue the suite drives. */
struct conf_vq {
	bool live;          /* set up and enabled */
	bool raw;           /* rings written by hand (conf_raw_*), not by vq_drv */
	bool rx;            /* a receive queue: buffers device-writable */
	bool refill;        /* receive: post buffers again after collecting */
	bool hold;          /* not serviced on interrupts or by conf_settle */
	uint16_t qid, size, vector;
	uint64_t features;  /* the ring's negotiated features */
	uint64_t desc, driver, device; /* ring areas (IOVA) */
	struct vq_drv *drv;
	uint64_t notify;    /* bus address of its doorbell */
	uint64_t buf;       /* IOVA of buffer slot 0 */
	uint32_t stride, nslots;
	uint32_t *free_slot, nfree;
	uint64_t ind_pool;  /* indirect tables: blocks of 256 bytes, one per slot */
	uint64_t collected; /* used buffers taken back */
	uint64_t irqs;      /* interrupts on its vector */
	/* mergeable receive reassembly */
	uint8_t *asm_buf;
	uint32_t asm_len, asm_left, asm_nbuf, asm_lens_ok;
	/* hand-written rings */
	uint16_t r_avail, r_used, r_next;
	bool r_wrap, r_used_wrap;
};

/* A frame the driver received (header as the device wrote it). */
struct conf_rxf {
	uint16_t qid;
	uint16_t nbuf;      /* used buffers it took */
	bool lens_full;     /* every buffer but the last filled to its length */
	uint8_t hdr[CONF_NET_HDR];
	uint32_t len;       /* frame bytes after the header */
	uint8_t *data;
};

/* A frame the device put on the wire, as the peer got it. */
struct conf_wiref {
	uint32_t len;
	uint8_t *data;
	sim_time_t at;
};

/* An observer event on a device-side rule. */
struct conf_obs_ev {
	uint16_t qid;
	int rule;           /* enum vq_rule */
	char text[160];
};

/* DMA the device made into a watched range. */
struct conf_watch {
	uint64_t lo, len;
	uint64_t reads, writes;
	char first[96];        /* first access */
	char first_write[96];  /* first write */
};

struct conf_ctx {
	const struct conf_check *check;
	const struct vdpasim_device_plugin *plugin;
	const char *options;
	unsigned ring;      /* CONF_RING_SPLIT / _PACKED, 0 for a ring-independent run */
	uint64_t offered;   /* features the device offered when probed */
	uint64_t selected;  /* offered features the run's profile covers */
	struct sim *sim;
	void *dev;          /* the model instance */
	struct vdpasim_pci_layout layout; /* as the model filled it in */
	struct eng_rng rng;

	/* the platform */
	struct mem *mem;
	struct iommu *io;
	struct iommu_domain *dom;
	struct pcie_rc *rc;
	struct devh *dh;
	struct pcie_host_fn hf;
	struct net_port *peer;
	struct net_link *link;
	bool peer_echo;             /* send what the device sent straight back */

	/* budget: simulated time and engine events per check run */
	sim_time_t max_time;
	uint64_t max_events;
	bool budget_exceeded;

	/* last trace records, for the excerpt attached to failures */
	char trace[CONF_TRACE_LINES][256];
	unsigned trace_next, trace_count;

	/* the device as the driver found it (conf_drv_probe) */
	struct conf_vcap caps[CONF_MAX_VCAPS];
	size_t ncaps;
	const struct conf_vcap *cc, *ncap, *isrc, *dcap; /* common, notify, ISR, device cfg */
	uint64_t common, notify_base, isr, devcfg;        /* bus addresses */
	uint32_t notify_mult;
	int msix_cap;
	uint16_t msix_size;
	uint16_t num_queues;

	/* driver state */
	uint64_t features;          /* negotiated */
	uint16_t ctrl_q;            /* control queue id, CONF_NO_VECTOR when none */
	uint8_t ctrl_ack;           /* last control command's ack byte */
	uint32_t ctrl_len;          /* and the used length the device reported */
	uint64_t ctrl_done;
	uint64_t iova_next;
	uint16_t cfg_vector;
	struct conf_vq vq[CONF_MAX_VQ];
	uint64_t msi[CONF_MAX_VEC];  /* messages per vector */
	uint64_t msi_total, msi_other, cfg_irqs;
	sim_time_t cfg_irq_at;       /* last configuration interrupt */

	/* traffic */
	struct conf_rxf rxf[CONF_RX_KEEP];
	uint64_t nrx;                /* frames received (kept: min(nrx, CONF_RX_KEEP)) */
	uint64_t rx_bad;             /* malformed receive completions */
	char rx_bad_why[160];
	uint64_t rx_test_ok;         /* test frames received intact */
	uint64_t rx_test_bad;        /* test frames received damaged */
	char rx_test_why[160];
	struct conf_wiref wire[CONF_WIRE_KEEP];
	uint64_t nwire;

	/* what the device did through host services */
	uint64_t dma_reads, dma_writes, dma_faults;
	struct conf_watch watch[CONF_WATCH_MAX];
	unsigned nwatch;
	struct conf_obs_ev obs[CONF_OBS_KEEP];
	unsigned nobs;
	uint64_t obs_dev;            /* device-side observer events, all */
	uint64_t obs_rule[VQ_R_COUNT]; /* device-side events per rule */

	/* results: serialized evidence records */
	struct conf_buf *out;
	unsigned nset;
	char misuse[CONF_MAX_MESSAGE]; /* first conf_set misuse (undeclared id, ...) */
	char abort_why[CONF_MAX_MESSAGE]; /* why the check could not complete */
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

/* The check cannot go on (the device could not be brought to the state it
 * needs): records why and returns -ECANCELED for run() to return; every row
 * the check declares becomes an error with this reason. */
int conf_abort(struct conf_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

sim_time_t conf_now(const struct conf_ctx *ctx);
/* Advance simulated time by dt, running the device's events.  -ETIME when the
 * check's simulated-time or event budget ran out (the run is then an error). */
int conf_run_for(struct conf_ctx *ctx, sim_time_t dt);
/* BAR access through the root complex (the address enumeration assigned). */
uint64_t conf_mmio_read(struct conf_ctx *ctx, uint8_t bar, uint64_t off, uint8_t size);
void conf_mmio_write(struct conf_ctx *ctx, uint8_t bar, uint64_t off, uint8_t size, uint64_t v);
/* Configuration space of the device (config cycles). */
uint32_t conf_cfg_read(struct conf_ctx *ctx, uint16_t off, unsigned size);
void conf_cfg_write(struct conf_ctx *ctx, uint16_t off, unsigned size, uint32_t v);
/* Pass a command to the model's control() hook; -EOPNOTSUPP without one. */
int conf_control(struct conf_ctx *ctx, const char *cmd, char *reply, size_t len);

/* Set up / tear down a context: platform, device instance, enumeration,
 * capability walk (host.c).  0, or -errno with a message in err. */
int conf_ctx_init(struct conf_ctx *ctx, const struct vdpasim_device_plugin *plugin,
		  const char *options, uint64_t seed, const char *stream, char *err,
		  size_t errlen);
void conf_ctx_fini(struct conf_ctx *ctx);

/* ---- the peer on the device's port (host.c) ------------------------------------------------- */

/* Put a frame on the wire towards the device.  0 or the net error. */
int conf_peer_send(struct conf_ctx *ctx, const void *frame, uint32_t len);
/* Carrier of the cable between the peer and the device. */
int conf_link_set(struct conf_ctx *ctx, bool up);
/* Forget the frames received and sent so far. */
void conf_traffic_clear(struct conf_ctx *ctx);

/* ---- DMA watch and observer events (host.c) ------------------------------------------------- */

/* Count device DMA into [lo, lo+len) from now on; returns the index or -ENOSPC. */
int conf_watch(struct conf_ctx *ctx, uint64_t lo, uint64_t len);
void conf_watch_clear(struct conf_ctx *ctx);
/* Device-side observer events on catalogue id `id` and the first one's text. */
uint64_t conf_obs_count(const struct conf_ctx *ctx, const char *id);
const char *conf_obs_first(const struct conf_ctx *ctx, const char *id);
/* Judge notifications still owed on every observed queue (a quiet point). */
void conf_obs_sync(struct conf_ctx *ctx);
/* Set each id from the device-side observer events: fail with the first
 * event's text, or pass saying what was watched (`what`). */
void conf_obs_judge(struct conf_ctx *ctx, const char *const *ids, const char *what);

/* ---- virtio-pci structures (vpci.c) --------------------------------------------------------- */


/* The vendor-specific capabilities as config cycles show them, in list
 * order (malformed ones are returned too).  Returns n. */
size_t conf_vcaps(struct conf_ctx *ctx, struct conf_vcap *out, size_t max);
/* The first capability of a cfg_type whose region fits its BAR, or NULL. */
const struct conf_vcap *conf_vcap_find(const struct conf_vcap *caps, size_t n, uint8_t type,
				       const struct conf_ctx *ctx);
/* Size of a BAR as enumeration found it (0: none). */
uint64_t conf_bar_size(const struct conf_ctx *ctx, unsigned bar);
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
extern const struct conf_check conf_check_driver_ok_gate;
extern const struct conf_check conf_check_needs_reset;
extern const struct conf_check conf_check_device_reset;
extern const struct conf_check conf_check_ring_datapath;
extern const struct conf_check conf_check_common_cfg;
extern const struct conf_check conf_check_pci_cfg_access;
extern const struct conf_check conf_check_msix_mapping;
extern const struct conf_check conf_check_feature_negotiation;
extern const struct conf_check conf_check_config_space;
extern const struct conf_check conf_check_ring_notify;
extern const struct conf_check conf_check_ring_framing;
extern const struct conf_check conf_check_net_tx;
extern const struct conf_check conf_check_ring_indirect;
extern const struct conf_check conf_check_ring_avail;
extern const struct conf_check conf_check_packed_sizes;
extern const struct conf_check conf_check_vq_reset;
extern const struct conf_check conf_check_net_rx_header;
extern const struct conf_check conf_check_net_ctrl;
extern const struct conf_check conf_check_net_mq;
extern const struct conf_check conf_check_net_vlan;
extern const struct conf_check conf_check_selftest_pass;
extern const struct conf_check conf_check_selftest_crash;
extern const struct conf_check conf_check_selftest_hang;
extern const struct conf_check conf_check_selftest_budget;
extern const struct conf_check conf_check_selftest_misuse;

/* Every applicability rule names catalogue rows (needs.c); 0 or -EINVAL with
 * the offending pattern in bad. */
int conf_needs_validate(char *bad, size_t badlen);

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
