// SPDX-License-Identifier: MIT
/*
 * IFCVF queues: start/stop/failure, the timed DMA accessor the ring engine
 * runs over, the used write-back (batched completions in fetch order),
 * queue timers, ring-state words and the dirty log.
 *
 * Timing model.  Every DMA goes through host->dma_read/dma_write with an
 * issue time; a read returns when its data arrived.  Ring discovery reads
 * (split: avail idx/ring; packed: descriptor read-ahead) are dependent, one
 * after the other; the descriptor and buffer reads of different chains are
 * independent and issue at once, limited by the outstanding-read budget
 * (max_reads: a read waits for the completion max_reads reads back).  Writes
 * are posted: they take no device time.  Chains complete into a per-queue
 * completion queue at the time their data is done; the write-back event
 * publishes what is ready wb_ns after the first completion and asks the ring
 * whether to interrupt.
 */
#include "sim/nic_ifcvf/ifcvf_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { T_RUN = 1, T_WB = 2, T_QRESET = 3 };

static uint64_t timer_arg(const struct ifcvf_q *q, unsigned kind)
{
	return (uint64_t)kind << 48 | (uint64_t)q->gen << 16 | q->qid;
}

/* ---- Accessor ---------------------------------------------------------------------------- */

void ifcvf_acc_begin(struct ifcvf_q *q, uint64_t t, bool par)
{
	q->acc.t = t;
	q->acc.done = t;
	q->acc.par = par;
	q->acc.log = false;
}

static bool inject_fault(struct ifcvf *d)
{
	if (!d->fault_next)
		return false;
	d->fault_next--;
	ifcvf_stat(d, IFCVF_S_DMA_FAULTS_INJECTED, 1);
	return true;
}

static int acc_read(void *ctx, uint64_t addr, void *dst, uint32_t len)
{
	struct ifcvf_acc *a = ctx;
	struct ifcvf *d = a->d;
	struct ifcvf_q *q = a->q;
	uint64_t t;
	int r;

	if (inject_fault(d))
		return -EFAULT;
	/* at most max_reads outstanding: wait for the one issued max_reads ago */
	t = ifcvf_max(a->t, d->rd_slot[d->rd_k]);
	r = d->h->dma_read(d->host, addr, dst, len, &t);
	if (r)
		return r;
	d->rd_slot[d->rd_k] = t;
	d->rd_k = (d->rd_k + 1) % d->o.max_reads;
	if (t > a->done)
		a->done = t;
	if (!a->par)
		a->t = t;
	if (addr - q->ring_lo < q->ring_len && t > q->t_ring)
		q->t_ring = t;
	return 0;
}

static int acc_write(void *ctx, uint64_t addr, const void *src, uint32_t len)
{
	struct ifcvf_acc *a = ctx;
	struct ifcvf *d = a->d;
	uint64_t t = a->t;
	int r;

	if (inject_fault(d))
		return -EFAULT;
	r = d->h->dma_write(d->host, addr, src, len, &t);
	if (r)
		return r;
	if (a->log)
		ifcvf_dirty_mark(d, addr, len, a->t);
	return 0;
}

/* ---- Dirty log --------------------------------------------------------------------------- */

#define LOG_CHUNK_WORDS 512u
#define LOG_MAX_CHUNKS (1u << 20)

void ifcvf_log_reset(struct ifcvf *d)
{
	for (uint64_t i = 0; i < d->log_nchunk; i++)
		free(d->log_chunk[i]);
	free(d->log_chunk);
	d->log_chunk = NULL;
	d->log_nchunk = 0;
}

/* The device's copy of bitmap word w (what it last wrote there), NULL if none possible. */
static uint64_t *log_word(struct ifcvf *d, uint64_t w)
{
	uint64_t c = w / LOG_CHUNK_WORDS;

	if (!d->log_chunk) {
		uint64_t words = (d->log_end - d->log_base) / 8;
		uint64_t n = (words + LOG_CHUNK_WORDS - 1) / LOG_CHUNK_WORDS;

		if (n == 0 || n > LOG_MAX_CHUNKS)
			return NULL;
		d->log_chunk = calloc(n, sizeof(*d->log_chunk));
		if (!d->log_chunk)
			return NULL;
		d->log_nchunk = n;
	}
	if (c >= d->log_nchunk)
		return NULL;
	if (!d->log_chunk[c]) {
		d->log_chunk[c] = calloc(LOG_CHUNK_WORDS, sizeof(uint64_t));
		if (!d->log_chunk[c])
			return NULL;
	}
	return &d->log_chunk[c][w % LOG_CHUNK_WORDS];
}

/*
 * Mark the 4 KiB pages of [iova, iova+len) in the dirty bitmap: one 64-bit
 * DMA write per bitmap word, carrying every bit the device has set in that
 * word (it cannot OR into host memory; a bit the migration code cleared
 * meanwhile comes back set, which only over-reports).
 */
void ifcvf_dirty_mark(struct ifcvf *d, uint64_t iova, uint64_t len, uint64_t t)
{
	uint64_t first, last;

	if (!(d->lm_ctrl & IFCVF_LM_ENABLE) || !len)
		return;
	first = iova >> 12;
	last = (iova + len - 1) >> 12;
	for (uint64_t w = first / 64; w <= last / 64; w++) {
		uint64_t lo = first > w * 64 ? first - w * 64 : 0;
		uint64_t hi = last < w * 64 + 63 ? last - w * 64 : 63;
		uint64_t bits = (hi == 63 ? ~0ULL : (1ULL << (hi + 1)) - 1) & ~((1ULL << lo) - 1);
		uint64_t addr = d->log_base + w * 8, tw = t, *shadow;
		uint8_t b[8];

		if (w > (UINT64_MAX - d->log_base) / 8 || d->log_end < d->log_base + 8 ||
		    addr > d->log_end - 8 || !(shadow = log_word(d, w))) {
			ifcvf_stat(d, IFCVF_S_DIRTY_OOB, 1);
			continue;
		}
		*shadow |= bits;
		vq_put_le64(b, *shadow);
		if (d->h->dma_write(d->host, addr, b, 8, &tw)) {
			ifcvf_stat(d, IFCVF_S_DIRTY_OOB, 1);
			continue;
		}
		ifcvf_stat(d, IFCVF_S_DIRTY_WRITES, 1);
	}
}

/* ---- Timers ------------------------------------------------------------------------------ */

static void cancel(struct ifcvf *d, uint64_t *handle)
{
	if (*handle)
		d->h->timer_cancel(d->host, *handle);
	*handle = 0;
}

static void wb_run(struct ifcvf *d, struct ifcvf_q *q);
static void run_pass(struct ifcvf *d, struct ifcvf_q *q);

static void ifcvf_timer(void *dev, uint64_t arg)
{
	struct ifcvf *d = dev;
	unsigned kind = (unsigned)(arg >> 48), qid = (unsigned)(arg & 0xffff);
	struct ifcvf_q *q;

	if (qid >= IFCVF_MAX_QUEUES)
		return;
	q = &d->q[qid];
	if ((uint32_t)(arg >> 16) != q->gen)
		return; /* a timer of a queue since stopped */
	if (kind == T_WB) {
		q->ev_wb = 0;
		wb_run(d, q);
		return;
	}
	if (kind == T_QRESET) {
		/* virtio 1.3 4.1.4.3.2: done: queue_reset and queue_enable read 0 */
		q->reset_pending = false;
		return;
	}
	q->ev_run = 0;
	if (!q->running || q->broken)
		return;
	run_pass(d, q);
	ifcvf_stats_flush(d);
}

static void run_pass(struct ifcvf *d, struct ifcvf_q *q)
{
	switch (q->kind) {
	case IFCVF_Q_TX:
		ifcvf_tx_pass(d, q);
		break;
	case IFCVF_Q_RX:
		ifcvf_rx_prefetch(d, q);
		break;
	case IFCVF_Q_CTRL:
		ifcvf_ctrl_pass(d, q);
		break;
	default:
		break;
	}
}

void ifcvf_sched_run(struct ifcvf *d, struct ifcvf_q *q, uint64_t at)
{
	if (!q->running || q->broken)
		return;
	if (q->ev_run && q->run_at <= at)
		return;
	cancel(d, &q->ev_run);
	q->ev_run = d->h->timer_add(d->host, at, ifcvf_timer, timer_arg(q, T_RUN));
	q->run_at = at;
}

static void sched_wb(struct ifcvf *d, struct ifcvf_q *q, uint64_t at)
{
	if (q->ev_wb)
		return; /* completions are ready in order: the pending one is earlier */
	q->ev_wb = d->h->timer_add(d->host, at, ifcvf_timer, timer_arg(q, T_WB));
	q->wb_at = at;
}

/* A queue reset completes reset_ps later; queue_reset reads 1 until then. */
void ifcvf_queue_reset_start(struct ifcvf *d, struct ifcvf_q *q, uint64_t reset_ps)
{
	q->reset_pending = true;
	d->h->timer_add(d->host, d->h->now(d->host) + reset_ps, ifcvf_timer,
			timer_arg(q, T_QRESET));
}

void ifcvf_queue_kick(struct ifcvf *d, struct ifcvf_q *q, uint64_t at)
{
	if (!q->running || q->broken)
		return; /* virtio 1.3 2.1.2: nothing before DRIVER_OK */
	ifcvf_sched_run(d, q, at);
}

/* ---- Completions and write-back ---------------------------------------------------------- */

void ifcvf_cq_push(struct ifcvf *d, struct ifcvf_q *q, const struct vq_chain *c, uint32_t len,
		   uint64_t ready)
{
	struct ifcvf_cqe *e;

	if (q->cq_n >= q->size) {
		ifcvf_queue_fail(d, q, "DEVICE_INTERNAL", "completion queue overflow");
		return;
	}
	ready = ifcvf_max(ready, q->last_ready);
	q->last_ready = ready;
	e = &q->cq[(q->cq_head + q->cq_n) % q->size];
	e->id = c->id;
	e->ndesc = c->ndesc;
	e->in_len = c->in_len;
	e->len = len;
	e->ready = ready;
	q->cq_n++;
	sched_wb(d, q, ready + d->o.wb_ps);
}

static void wb_run(struct ifcvf *d, struct ifcvf_q *q)
{
	uint64_t now = d->h->now(d->host);
	uint32_t pushed = 0;
	int r;

	if (!q->running || q->broken)
		return;
	ifcvf_acc_begin(q, now, false);
	while (q->cq_n && q->cq[q->cq_head].ready <= now) {
		const struct ifcvf_cqe *e = &q->cq[q->cq_head];
		struct vq_chain c = { .id = e->id, .ndesc = e->ndesc, .in_len = e->in_len };

		if (vq_dev_push(q->vq, &c, e->len)) {
			ifcvf_queue_fail_vq(d, q, "used push");
			return;
		}
		q->cq_head = (q->cq_head + 1) % q->size;
		q->cq_n--;
		pushed++;
	}
	if (pushed) {
		/* virtio 1.3 2.7.8.2 / 2.8.21: the engine writes elements before the index/flags */
		if (vq_dev_flush(q->vq)) {
			ifcvf_queue_fail_vq(d, q, "used write-back");
			return;
		}
		r = vq_dev_need_interrupt(q->vq);
		if (r < 0) {
			ifcvf_queue_fail_vq(d, q, "interrupt suppression read");
			return;
		}
		if (r == 1)
			ifcvf_raise_vq_irq(d, q, q->acc.t);
	}
	if (q->cq_n)
		sched_wb(d, q, ifcvf_max(now, q->cq[q->cq_head].ready + d->o.wb_ps));
	ifcvf_stats_flush(d);
	/* room in the ring again: a receive queue waiting for chains may go on */
	if (pushed && q->kind == IFCVF_Q_RX && q->rxc_n < q->rxc_cap / 2)
		ifcvf_sched_run(d, q, now);
}

/* ---- Start, stop, failure ---------------------------------------------------------------- */

enum ifcvf_qkind ifcvf_qkind_of(const struct ifcvf *d, uint16_t qid)
{
	/* virtio 1.3 5.1.2: controlq is 2N, N = max_virtqueue_pairs with MQ, else 1 */
	uint16_t pairs = ifcvf_has(d, VIRTIO_NET_F_MQ) ? d->o.pairs : 1;

	if (qid < 2 * pairs)
		return qid % 2 ? IFCVF_Q_TX : IFCVF_Q_RX;
	if (qid == 2 * pairs && ifcvf_has(d, VIRTIO_NET_F_CTRL_VQ))
		return IFCVF_Q_CTRL;
	return IFCVF_Q_NONE;
}

void ifcvf_queue_regs_default(struct ifcvf *d, struct ifcvf_q *q)
{
	/* virtio 1.3 4.1.4.3: size reads the maximum, 0 for a queue that does not exist */
	q->size = q->qid < d->num_queues ? d->o.qsize : 0;
	q->msix = VIRTIO_MSI_NO_VECTOR;
	q->enable = false;
	q->reset_pending = false;
	q->desc = q->driver = q->device = 0;
	q->lm_word = 0;
	q->lm_set = false;
}

static void queue_free(struct ifcvf_q *q)
{
	vq_dev_free(q->vq);
	q->vq = NULL;
	free(q->cq);
	q->cq = NULL;
	free(q->buf);
	q->buf = NULL;
	free(q->rxc);
	q->rxc = NULL;
	q->cq_n = q->rxc_n = 0;
	q->rxc_cap = 0;
}

void ifcvf_queue_stop(struct ifcvf *d, struct ifcvf_q *q)
{
	cancel(d, &q->ev_run);
	cancel(d, &q->ev_wb);
	q->gen++;
	if (q->running)
		d->h->queue_disabled(d->host, q->qid);
	queue_free(q);
	q->running = false;
	q->broken = false;
	q->hold = false;
}

void ifcvf_queue_fail(struct ifcvf *d, struct ifcvf_q *q, const char *violation,
		      const char *detail)
{
	uint64_t now = d->h->now(d->host);

	if (q->broken)
		return;
	q->broken = true;
	cancel(d, &q->ev_run);
	cancel(d, &q->ev_wb);
	q->gen++;
	/* virtio 1.3 2.1.2: an error only a reset cures sets DEVICE_NEEDS_RESET ... */
	d->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	ifcvf_stat(d, IFCVF_S_DEVICE_ERRORS, 1);
	d->h->device_error(d->host, q->qid, violation, detail);
	ifcvf_logf(d, VDPASIM_LOG_ERROR, "q%u: %s (%s): queue stopped, needs reset", q->qid,
		   violation, detail);
	/* ... followed by a configuration change notification once DRIVER_OK was set */
	if (d->status & VIRTIO_CONFIG_S_DRIVER_OK)
		ifcvf_raise_cfg_irq(d, now + d->o.pipeline_ps);
	ifcvf_stats_flush(d);
}

void ifcvf_queue_fail_vq(struct ifcvf *d, struct ifcvf_q *q, const char *what)
{
	enum vq_violation v = q->vq ? vq_dev_violation(q->vq) : VQ_V_NONE;
	char detail[96];
	struct vq_state st = { 0 };

	if (q->vq)
		vq_dev_get_state(q->vq, &st);
	snprintf(detail, sizeof(detail), "%s, avail=%u used=%u", what, st.avail_idx,
		 st.used_idx);
	ifcvf_queue_fail(d, q, v == VQ_V_NONE ? "DEVICE_INTERNAL" : vq_violation_name(v), detail);
}

static int queue_alloc(struct ifcvf *d, struct ifcvf_q *q)
{
	q->cq = calloc(q->size, sizeof(*q->cq));
	if (!q->cq)
		return -ENOMEM;
	if (q->kind == IFCVF_Q_TX || q->kind == IFCVF_Q_CTRL) {
		q->buf = malloc(IFCVF_HDR_LEN + IFCVF_RX_FRAME_MAX);
		if (!q->buf)
			return -ENOMEM;
	}
	if (q->kind == IFCVF_Q_RX) {
		q->rxc_cap = 2 * d->o.batch < q->size ? 2 * d->o.batch : q->size;
		q->rxc = calloc(q->rxc_cap, sizeof(*q->rxc));
		if (!q->rxc)
			return -ENOMEM;
	}
	return 0;
}

void ifcvf_queue_start(struct ifcvf *d, struct ifcvf_q *q)
{
	struct vq_mem mem = { acc_read, acc_write, &q->acc };
	bool packed = ifcvf_has(d, VIRTIO_F_RING_PACKED);
	uint64_t now = d->h->now(d->host);
	struct vq_state st;
	char detail[96];

	if (q->running || q->broken)
		return;
	q->kind = ifcvf_qkind_of(d, q->qid);
	if (q->kind == IFCVF_Q_NONE) {
		ifcvf_logf(d, VDPASIM_LOG_WARN, "q%u enabled but has no role with these features",
			   q->qid);
		return;
	}
	q->cfg = (struct vq_config){ q->size, q->desc, q->driver, q->device, d->driver_features };
	snprintf(detail, sizeof(detail), "size %u desc 0x%" PRIx64 " driver 0x%" PRIx64
		 " device 0x%" PRIx64, q->size, q->desc, q->driver, q->device);
	/* virtio 1.3 2.7.1 / 2.8.11 / 4.1.4.3.2: a size and alignment the ring allows */
	if (q->size > d->o.qsize || vq_config_check(&q->cfg)) {
		ifcvf_queue_fail(d, q, "QUEUE_CONFIG", detail);
		return;
	}
	vq_state_init(&st);
	if (q->lm_set && packed) {
		if (vq_state_from_vhost(&st, q->lm_word, true, q->size)) {
			ifcvf_queue_fail(d, q, "QUEUE_STATE", "packed ring state beyond the size");
			return;
		}
	} else if (q->lm_set) {
		st.avail_idx = (uint16_t)q->lm_word;
		st.used_idx = (uint16_t)(q->lm_word >> 16);
	}
	if (queue_alloc(d, q) || vq_dev_create(&q->vq, &q->cfg, &mem, &st)) {
		queue_free(q);
		ifcvf_queue_fail(d, q, "DEVICE_INTERNAL", "no memory for the queue");
		return;
	}
	q->running = true;
	q->gen++;
	q->hold = false;
	q->cq_head = q->cq_n = 0;
	q->rxc_head = q->rxc_n = 0;
	q->t_ring = q->last_ready = now;
	q->ring_lo = packed ? q->desc : q->driver;
	q->ring_len = packed ? vq_desc_area_size(&q->cfg) : vq_driver_area_size(&q->cfg);
	d->h->queue_enabled(d->host, q->qid, q->size, packed, q->desc, q->driver, q->device,
			    d->driver_features);
	/* buffers made available before DRIVER_OK are looked at once (no kick comes) */
	ifcvf_sched_run(d, q, now + d->o.pipeline_ps);
}

/* ---- Ring state (LM BAR) ----------------------------------------------------------------- */

uint32_t ifcvf_ring_state(const struct ifcvf *d, const struct ifcvf_q *q)
{
	struct vq_state st;
	bool packed;

	(void)d;
	if (!q->vq)
		return q->lm_word;
	vq_dev_get_state(q->vq, &st);
	packed = vq_cfg_packed(&q->cfg);
	/* prefetched receive chains were never used: hand them back */
	if (!packed) {
		st.avail_idx = (uint16_t)(st.avail_idx - q->rxc_n);
		return st.avail_idx | (uint32_t)st.used_idx << 16;
	}
	if (q->rxc_n) {
		uint32_t n = q->cfg.num, back = 0, pos;

		for (uint32_t i = 0; i < q->rxc_n; i++)
			back += q->rxc[(q->rxc_head + i) % q->rxc_cap].c.ndesc;
		pos = (st.avail_idx + (st.avail_wrap ? 0 : n) + 2 * n - back % (2 * n)) % (2 * n);
		st.avail_idx = (uint16_t)(pos < n ? pos : pos - n);
		st.avail_wrap = pos < n;
	}
	return vq_state_to_vhost(&st, true);
}
