/* SPDX-License-Identifier: MIT */
/*
 * Private to sim/nic_mbx: the device state shared by its source files.  The
 * model includes only the plugin ABI, the UAPI and the ring engine.
 */
#ifndef VDPASIM_MBX_PRIV_H
#define VDPASIM_MBX_PRIV_H

#include "sim/nic_mbx/nic_mbx.h"
#include "sim/virtio_ring/virtio_ring.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MBX_HDR_LEN 12u /* struct virtio_net_hdr_mrg_rxbuf (VERSION_1) */
#define MBX_SEG_CAP 32u /* segments of one chain the engine keeps */
#define MBX_FRAME_MAX 9018u /* largest frame: max MTU + Ethernet and VLAN headers */
#define MBX_PS_PER_NS 1000ull
#define MBX_OBJ_BASE 0x1000u
#define MBX_RX_CACHE 64u /* receive chains fetched ahead per queue */

/* Timer kinds, in the low byte of a timer argument. */
enum mbx_timer_kind {
	MBX_T_CMD = 1, /* the mailbox command finishes */
	MBX_T_RUN,     /* a queue's transmit pass */
	MBX_T_WB,      /* a queue's used write-back */
};

enum mbx_stat {
	MBX_S_TX_FRAMES,
	MBX_S_TX_BYTES,
	MBX_S_TX_DROPPED,
	MBX_S_TX_NOBUFS,
	MBX_S_RX_FRAMES,
	MBX_S_RX_BYTES,
	MBX_S_RX_NO_BUFFER,
	MBX_S_RX_FILTERED,
	MBX_S_RX_TOO_SMALL,
	MBX_S_RX_TOO_BIG,
	MBX_S_RX_OVERRUN,
	MBX_S_RX_NOT_READY,
	MBX_S_RX_MERGED,
	MBX_S_DOORBELLS,
	MBX_S_IRQS,
	MBX_S_EVENTS,
	MBX_S_CMDS,
	MBX_S_CMD_ERRORS,
	MBX_S_CMD_DROPPED,
	MBX_S_DMA_FAULTS_INJECTED,
	MBX_S_VQ_ERRORS,
	MBX_S_COUNT
};

/* A fetched chain waiting for its used write-back. */
struct mbx_cqe {
	struct vq_chain c; /* id, ndesc and lengths: what vq_dev_push needs */
	uint32_t len;      /* bytes written into it */
	uint64_t ready;    /* when its data is done (read arrived, writes issued) */
};

/* Timed accessor over host DMA for one queue's ring engine. */
struct mbx_acc {
	struct mbx *d;
	uint64_t t;     /* issue time of the next access */
	uint64_t done;  /* latest completion seen */
	uint64_t last;  /* completion of the latest read since mbx_acc_begin */
	uint64_t prev;  /* completion of the read before it */
	uint32_t nreads;
	bool par;       /* independent accesses (buffer data): t does not advance */
};

/* A receive chain fetched ahead of the frames (the prefetch cache). */
struct mbx_rxc {
	struct vq_chain c;
	struct vq_seg seg[MBX_SEG_CAP];
	uint64_t known; /* when its descriptors were in */
};

struct mbx_vq {
	uint16_t idx;
	bool exists;
	uint32_t obj;
	uint8_t state;      /* enum mbx_vq_state */
	bool stopping;      /* RDY -> SUSPEND in progress: draining */
	uint16_t vector;
	struct vq_config cfg;
	struct vq_state start; /* indices of INIT, or set in SUSPEND */
	bool cfg_dirty;     /* addresses changed: rebuild the engine at RDY */
	bool start_dirty;   /* indices changed: restart the engine there */
	bool announced;     /* host->queue_enabled was called */
	enum vq_violation error;

	struct vq_dev *vq;
	struct mbx_acc acc;
	uint32_t gen;       /* bumped when the queue stops: stale timers do nothing */
	uint64_t run_h, run_at;
	uint64_t wb_h, wb_at;
	uint64_t t_ring;    /* when the last ring reads came back */

	struct mbx_cqe *cq; /* cfg.num entries, fetch order */
	uint32_t cq_head, cq_n;

	/* transmit */
	struct vq_chain chain;
	struct vq_seg seg[MBX_SEG_CAP];
	bool hold;          /* a frame the port refused, waiting for room */
	uint32_t hold_len;
	uint8_t *holdbuf;
	uint64_t hold_at;

	/* receive: chains fetched ahead, not filled yet, in fetch order */
	struct mbx_rxc *spare;
	uint32_t nspare, spare_cap;

	uint64_t received, completed;
};

struct mbx_opts {
	uint64_t features;
	uint16_t max_vqs, nvec, max_mtu;
	uint32_t qsize;
	bool resume;
	uint8_t mac[6];
	bool mac_set;
	uint64_t fw_ps, doorbell_ps, pipeline_ps, wb_ps, tx_ahead_ps, rx_fifo_ps;
	uint32_t batch;
};

struct mbx_steer {
	uint8_t mac[6];
	uint8_t flags;
	uint16_t rxq;
	uint16_t nuc, nmc;
	uint8_t uc[MBX_MAX_MACS][6];
	uint8_t mc[MBX_MAX_MACS][6];
};

struct mbx {
	const struct vdpasim_host_ops *h;
	void *host;
	struct mbx_opts o;

	/* registers */
	uint16_t cmd_vector, event_vector;
	uint32_t event_cause;
	uint64_t vq_err;
	uint32_t cmd_done;
	uint8_t last_status;
	bool busy;
	bool carrier;

	/* mailbox */
	uint8_t in[MBX_MBOX_LEN];
	uint8_t out[MBX_MBOX_LEN];
	uint8_t cmd[MBX_MBOX_LEN]; /* the command being executed (a latched copy) */
	uint64_t cmd_h;
	uint32_t cmd_gen;
	int drain_q;             /* queue whose suspend the command waits for, -1 none */
	uint64_t drain_min;      /* not before: the firmware latency */
	int force_status;        /* fw_status_next, -1 none */

	/* firmware state */
	bool features_set;
	uint64_t features;
	struct mbx_steer steer;
	uint32_t next_obj;

	/* datapath */
	uint64_t last_tx_at;
	uint32_t fault_next;
	uint8_t *buf;            /* transmit frame */
	uint8_t *rxbuf;          /* header + received frame */

	uint64_t st[MBX_S_COUNT], st_sent[MBX_S_COUNT];
	struct mbx_vq q[MBX_MAX_VQS];
};

static inline uint64_t mbx_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline bool mbx_has(const struct mbx *d, unsigned bit)
{
	return (d->features >> bit) & 1;
}

static inline uint64_t mbx_now(const struct mbx *d)
{
	return d->h->now(d->host);
}

/* mbx_main.c */
void mbx_stat(struct mbx *d, enum mbx_stat s, uint64_t delta);
void mbx_stats_flush(struct mbx *d);
void mbx_logf(struct mbx *d, enum vdpasim_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void mbx_event(struct mbx *d, uint32_t cause, uint64_t at);
uint64_t mbx_timer(struct mbx *d, uint64_t at, enum mbx_timer_kind kind, uint32_t qid,
		   uint32_t gen);
void mbx_steer_default(struct mbx *d);

/* mbx_cmd.c */
void mbx_cmd_doorbell(struct mbx *d);
void mbx_cmd_timer(struct mbx *d, uint32_t gen);
void mbx_cmd_drained(struct mbx *d, struct mbx_vq *q, uint8_t status);
void mbx_cmd_reset(struct mbx *d);

/* mbx_vq.c */
int mbx_vq_to_rdy(struct mbx *d, struct mbx_vq *q);
/* 1: SUSPEND reached now, 0: draining (mbx_cmd_drained follows) */
int mbx_vq_suspend(struct mbx *d, struct mbx_vq *q);
void mbx_vq_destroy(struct mbx *d, struct mbx_vq *q);
void mbx_vq_get_state(const struct mbx_vq *q, struct vq_state *st);
uint32_t mbx_vq_inflight(const struct mbx_vq *q);
void mbx_vq_fail(struct mbx *d, struct mbx_vq *q, const char *what);
void mbx_vq_kick(struct mbx *d, struct mbx_vq *q, uint64_t at);
void mbx_vq_run_at(struct mbx *d, struct mbx_vq *q, uint64_t at);
void mbx_vq_timer(struct mbx *d, enum mbx_timer_kind kind, struct mbx_vq *q);
void mbx_acc_begin(struct mbx_vq *q, uint64_t t, bool par);
/* After a fetch: when the reads of the next chain's descriptors can start
 * (the available ring is in; its own last read is the descriptor one). */
uint64_t mbx_acc_ring_known(const struct mbx_vq *q);
void mbx_cq_push(struct mbx *d, struct mbx_vq *q, const struct vq_chain *c, uint32_t len,
		 uint64_t ready);
void mbx_vq_check_drained(struct mbx *d, struct mbx_vq *q);

/* mbx_dp.c */
void mbx_tx_pass(struct mbx *d, struct mbx_vq *q);
void mbx_net_tx_ready(void *dev, uint32_t port);
void mbx_net_rx(void *dev, uint32_t port, const void *frame, uint32_t len);
void mbx_rx_return_spares(struct mbx *d, struct mbx_vq *q);
void mbx_rx_prefetch(struct mbx *d, struct mbx_vq *q);
uint32_t mbx_flow_hash(const uint8_t *f, uint32_t len);

#endif
