/* SPDX-License-Identifier: MIT */
/*
 * Private to sim/nic_ifcvf: the device state shared by its source files.
 * The model includes only the plugin ABI, the UAPI and the ring engine.
 */
#ifndef VDPASIM_IFCVF_PRIV_H
#define VDPASIM_IFCVF_PRIV_H

#include "sim/nic_ifcvf/nic_ifcvf.h"
#include "sim/virtio_ring/virtio_ring.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IFCVF_HDR_LEN 12u       /* struct virtio_net_hdr_mrg_rxbuf, VERSION_1 */
#define IFCVF_SEG_CAP 32u       /* segments of one chain the engine keeps */
#define IFCVF_MAC_TABLE 64u     /* entries per MAC filter table */
#define IFCVF_RX_FRAME_MAX 16384u
#define IFCVF_CTRL_MAX 1024u    /* largest control command we parse */
#define IFCVF_FLOWS 256u        /* automatic steering table */
#define IFCVF_PS_PER_NS 1000ull
#define IFCVF_ISR_QUEUE 0x1u    /* ISR bit 0 (virtio 1.3 4.1.4.5); the header names only bit 1 */

/* virtio 1.3 5.1.3.1: features that need the control virtqueue */
#define IFCVF_NEEDS_CTRL_VQ                                                         \
	((1ULL << VIRTIO_NET_F_CTRL_RX) | (1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR) |     \
	 (1ULL << VIRTIO_NET_F_GUEST_ANNOUNCE) | (1ULL << VIRTIO_NET_F_MQ))

enum ifcvf_qkind { IFCVF_Q_NONE = 0, IFCVF_Q_RX, IFCVF_Q_TX, IFCVF_Q_CTRL };

/* Statistics: counted here, handed to the host in batches. */
enum ifcvf_stat {
	IFCVF_S_TX_FRAMES,
	IFCVF_S_TX_BYTES,
	IFCVF_S_TX_BAD,
	IFCVF_S_TX_NOBUFS,
	IFCVF_S_RX_FRAMES,
	IFCVF_S_RX_BYTES,
	IFCVF_S_RX_NO_BUFFER,
	IFCVF_S_RX_FILTERED,
	IFCVF_S_RX_TOO_BIG,
	IFCVF_S_RX_NOT_READY,
	IFCVF_S_RX_MERGED,
	IFCVF_S_DOORBELLS,
	IFCVF_S_IRQS,
	IFCVF_S_CFG_IRQS,
	IFCVF_S_CTRL_CMDS,
	IFCVF_S_CTRL_ERR,
	IFCVF_S_DIRTY_WRITES,
	IFCVF_S_DIRTY_OOB,
	IFCVF_S_DMA_FAULTS_INJECTED,
	IFCVF_S_DEVICE_ERRORS,
	IFCVF_S_COUNT
};

/* A chain fetched and finished, waiting for the used write-back. */
struct ifcvf_cqe {
	uint16_t id, ndesc;
	uint32_t in_len;
	uint32_t len;   /* bytes written into it */
	uint64_t ready; /* when its data is done (read, or write issued) */
};

/* Timed accessor over host DMA for one queue's ring engine. */
struct ifcvf_acc {
	struct ifcvf *d;
	struct ifcvf_q *q;
	uint64_t t;    /* issue time of the next access */
	uint64_t done; /* latest read completion seen */
	bool par;      /* reads are independent (buffer reads): t stays */
	bool log;      /* buffer writes: dirty-log them */
};

/* A prefetched receive chain. */
struct ifcvf_rxc {
	struct vq_chain c;
	struct vq_seg seg[IFCVF_SEG_CAP];
	uint64_t known; /* when its descriptors were read */
};

struct ifcvf_q {
	uint16_t qid;
	enum ifcvf_qkind kind;
	/* registers */
	uint16_t size, msix;
	bool enable, reset_pending;
	uint64_t desc, driver, device;
	uint32_t lm_word;
	bool lm_set; /* written since reset: start there, not fresh */

	/* running state */
	bool running, broken;
	uint32_t gen; /* bumped at every start/stop: stale timers are ignored */
	struct vq_dev *vq;
	struct vq_config cfg;
	struct ifcvf_acc acc;
	uint64_t ring_lo, ring_len; /* area whose reads tell what is available */
	uint64_t t_ring;   /* when that area's data last read arrived */
	uint64_t last_ready;
	uint64_t ev_run, run_at;
	uint64_t ev_wb, wb_at;

	struct ifcvf_cqe *cq; /* size entries, fetch order */
	uint32_t cq_head, cq_n;

	/* transmit */
	uint8_t *buf;
	struct vq_chain chain;
	struct vq_seg seg[IFCVF_SEG_CAP];
	bool hold; /* a frame the port refused, waiting for room */
	uint32_t hold_len;
	uint64_t hold_at;
	struct ifcvf_cqe hold_cqe;

	/* receive prefetch */
	struct ifcvf_rxc *rxc;
	uint32_t rxc_head, rxc_n, rxc_cap;
};

struct ifcvf_opts {
	uint64_t features;
	uint16_t pairs, qsize, mtu, nvec;
	uint8_t mac[6];
	bool mac_set;
	uint64_t doorbell_ps, pipeline_ps, wb_ps, tx_ahead_ps, ctrl_ps;
	uint32_t batch, max_reads;
	bool mutant_mq_early; /* option mutant=mq_steer_early (conformance tests) */
};

struct ifcvf {
	const struct vdpasim_host_ops *h;
	void *host;
	struct ifcvf_opts o;
	uint16_t num_queues;

	/* common configuration */
	uint32_t dfselect, gfselect;
	uint64_t driver_features;
	uint16_t msix_config;
	uint8_t status;
	uint8_t cfg_gen;
	uint16_t qsel;
	uint8_t isr;

	/* net device */
	uint8_t mac[6];
	uint16_t net_status;
	bool carrier;
	int link_force; /* -1 follow the carrier, else 0/1 */
	bool promisc, allmulti;
	uint8_t uc[IFCVF_MAC_TABLE][6], mc[IFCVF_MAC_TABLE][6];
	uint32_t nuc, nmc;
	uint16_t active_pairs;
	uint8_t flow[IFCVF_FLOWS]; /* pair + 1 the flow last sent on, 0 none */
	uint64_t last_tx_at;

	/* live migration window */
	uint32_t lm_ctrl;
	uint64_t log_base, log_end;
	uint64_t **log_chunk; /* shadow of bitmap words we wrote, 512 per chunk */
	uint64_t log_nchunk;

	/* fault injection */
	uint32_t fault_next;

	/* outstanding DMA read limiter: completion times, oldest next */
	uint64_t *rd_slot;
	uint32_t rd_k;

	uint64_t st[IFCVF_S_COUNT], st_sent[IFCVF_S_COUNT];

	uint8_t *rxbuf; /* header + frame being received */
	struct ifcvf_q q[IFCVF_MAX_QUEUES];
};

static inline bool ifcvf_has(const struct ifcvf *d, unsigned bit)
{
	return (d->driver_features >> bit) & 1;
}

static inline uint64_t ifcvf_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* ifcvf_main.c */
void ifcvf_stat(struct ifcvf *d, enum ifcvf_stat s, uint64_t delta);
void ifcvf_stats_flush(struct ifcvf *d);
void ifcvf_logf(struct ifcvf *d, enum vdpasim_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ifcvf_status_write(struct ifcvf *d, uint8_t v);
void ifcvf_device_reset(struct ifcvf *d);
void ifcvf_cfg_changed(struct ifcvf *d, bool interrupt);
void ifcvf_link_update(struct ifcvf *d);
void ifcvf_raise_cfg_irq(struct ifcvf *d, uint64_t at);
void ifcvf_raise_vq_irq(struct ifcvf *d, struct ifcvf_q *q, uint64_t at);

/* ifcvf_regs.c */
uint64_t ifcvf_mmio_read(void *dev, uint8_t bar, uint64_t off, uint8_t size);
void ifcvf_mmio_write(void *dev, uint8_t bar, uint64_t off, uint8_t size, uint64_t v);

/* ifcvf_queue.c */
enum ifcvf_qkind ifcvf_qkind_of(const struct ifcvf *d, uint16_t qid);
void ifcvf_queue_regs_default(struct ifcvf *d, struct ifcvf_q *q);
void ifcvf_queue_start(struct ifcvf *d, struct ifcvf_q *q);
void ifcvf_queue_stop(struct ifcvf *d, struct ifcvf_q *q);
void ifcvf_queue_fail(struct ifcvf *d, struct ifcvf_q *q, const char *violation,
		      const char *detail);
void ifcvf_queue_fail_vq(struct ifcvf *d, struct ifcvf_q *q, const char *what);
void ifcvf_queue_kick(struct ifcvf *d, struct ifcvf_q *q, uint64_t at);
void ifcvf_queue_reset_start(struct ifcvf *d, struct ifcvf_q *q, uint64_t reset_ps);
void ifcvf_sched_run(struct ifcvf *d, struct ifcvf_q *q, uint64_t at);
void ifcvf_cq_push(struct ifcvf *d, struct ifcvf_q *q, const struct vq_chain *c, uint32_t len,
		   uint64_t ready);
uint32_t ifcvf_ring_state(const struct ifcvf *d, const struct ifcvf_q *q);
void ifcvf_acc_begin(struct ifcvf_q *q, uint64_t t, bool par);
void ifcvf_dirty_mark(struct ifcvf *d, uint64_t iova, uint64_t len, uint64_t t);
void ifcvf_log_reset(struct ifcvf *d);

/* ifcvf_tx.c */
void ifcvf_tx_pass(struct ifcvf *d, struct ifcvf_q *q);
void ifcvf_net_tx_ready(void *dev, uint32_t port);
uint32_t ifcvf_flow_hash(const uint8_t *f, uint32_t len);

/* ifcvf_rx.c */
void ifcvf_rx_prefetch(struct ifcvf *d, struct ifcvf_q *q);
void ifcvf_net_rx(void *dev, uint32_t port, const void *frame, uint32_t len);

/* ifcvf_ctrl.c */
void ifcvf_ctrl_pass(struct ifcvf *d, struct ifcvf_q *q);

#endif
