// SPDX-License-Identifier: MIT
/*
 * MBX virtqueue objects: the timed DMA accessor of the ring engine, the state
 * machine (INIT -> RDY -> SUSPEND -> RDY, ERR), the used write-back and the
 * suspend drain.
 *
 * A chain is "in flight" from the moment the device fetched it until its used
 * entry is written: transmit chains wait for their buffer reads, receive
 * chains sit in the prefetch cache until a frame fills them, and the
 * write-back coalesces completions wb_ns after the first one is ready.  A
 * suspend stops fetching, lets every chain in flight complete (receive chains
 * still empty go back with length 0), and reports SUSPEND only when none is
 * left.
 */
#include "sim/nic_mbx/mbx_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- accessor ------------------------------------------------------------------------------- */

void mbx_acc_begin(struct mbx_vq *q, uint64_t t, bool par)
{
	uint64_t now = mbx_now(q->acc.d);

	q->acc.t = t < now ? now : t;
	q->acc.done = q->acc.t;
	q->acc.last = q->acc.prev = q->acc.t;
	q->acc.nreads = 0;
	q->acc.par = par;
}

uint64_t mbx_acc_ring_known(const struct mbx_vq *q)
{
	return q->acc.nreads >= 2 ? q->acc.prev : q->acc.last;
}

static int inject_fault(struct mbx *d)
{
	if (!d->fault_next)
		return 0;
	d->fault_next--;
	mbx_stat(d, MBX_S_DMA_FAULTS_INJECTED, 1);
	return -EFAULT;
}

/* Reads are dependent (the next access needs the data) unless par: buffer
 * reads of one chain go out together. */
static int acc_read(void *ctx, uint64_t addr, void *dst, uint32_t len)
{
	struct mbx_vq *q = ctx;
	struct mbx *d = q->acc.d;
	uint64_t t = q->acc.t;
	int r = inject_fault(d);

	if (!r)
		r = d->h->dma_read(d->host, addr, dst, len, &t);
	if (r)
		return r;
	q->acc.done = mbx_max(q->acc.done, t);
	q->acc.prev = q->acc.last;
	q->acc.last = t;
	q->acc.nreads++;
	if (!q->acc.par)
		q->acc.t = t;
	return 0;
}

/* Writes are posted: the device does not wait for them. */
static int acc_write(void *ctx, uint64_t addr, const void *src, uint32_t len)
{
	struct mbx_vq *q = ctx;
	struct mbx *d = q->acc.d;
	uint64_t t = q->acc.t;
	int r = inject_fault(d);

	if (!r)
		r = d->h->dma_write(d->host, addr, src, len, &t);
	return r;
}

/* ---- timers --------------------------------------------------------------------------------- */

static void cancel(struct mbx *d, uint64_t *h)
{
	if (*h)
		d->h->timer_cancel(d->host, *h);
	*h = 0;
}

void mbx_vq_run_at(struct mbx *d, struct mbx_vq *q, uint64_t at)
{
	if (q->run_h) {
		if (q->run_at <= at)
			return;
		cancel(d, &q->run_h);
	}
	q->run_at = mbx_max(at, mbx_now(d));
	q->run_h = mbx_timer(d, q->run_at, MBX_T_RUN, q->idx, q->gen);
}

static void wb_at(struct mbx *d, struct mbx_vq *q, uint64_t at)
{
	if (q->wb_h) {
		if (q->wb_at <= at)
			return;
		cancel(d, &q->wb_h);
	}
	q->wb_at = mbx_max(at, mbx_now(d));
	q->wb_h = mbx_timer(d, q->wb_at, MBX_T_WB, q->idx, q->gen);
}

/* ---- state machine -------------------------------------------------------------------------- */

static bool fresh(const struct vq_state *s)
{
	return !s->avail_idx && !s->used_idx && s->avail_wrap && s->used_wrap;
}

int mbx_vq_to_rdy(struct mbx *d, struct mbx_vq *q)
{
	struct vq_mem mem = { acc_read, acc_write, q };
	int r;

	q->acc.d = d;
	if (!q->vq || q->cfg_dirty) {
		vq_dev_free(q->vq);
		q->vq = NULL;
		r = vq_dev_create(&q->vq, &q->cfg, &mem, &q->start);
		if (r)
			return r;
	} else if (q->start_dirty) {
		vq_dev_reset(q->vq, &q->start);
	}
	q->cfg_dirty = q->start_dirty = false;
	q->state = MBX_VQS_RDY;
	q->stopping = false;
	q->t_ring = mbx_now(d);
	/* The host's observer assumes a fresh ring: a queue restored at another
	 * position (live migration) is not announced. */
	if (!q->announced && fresh(&q->start) && d->h->queue_enabled) {
		d->h->queue_enabled(d->host, q->idx, (uint16_t)q->cfg.num, vq_cfg_packed(&q->cfg),
				    q->cfg.desc_addr, q->cfg.driver_addr, q->cfg.device_addr,
				    d->features);
		q->announced = true;
	}
	/* buffers posted before the queue ran are picked up (or prefetched) now */
	mbx_vq_run_at(d, q, mbx_now(d));
	return 0;
}

static void to_suspended(struct mbx *d, struct mbx_vq *q)
{
	q->stopping = false;
	q->state = MBX_VQS_SUSPEND;
	cancel(d, &q->run_h);
	if (d->h->trace) {
		char kv[64];
		struct vq_state st;

		mbx_vq_get_state(q, &st);
		snprintf(kv, sizeof(kv), "qid=%u avail=%u used=%u", q->idx, st.avail_idx,
			 st.used_idx);
		d->h->trace(d->host, "vq_suspended", kv);
	}
}

void mbx_vq_check_drained(struct mbx *d, struct mbx_vq *q)
{
	if (!q->stopping || q->cq_n || q->nspare || q->hold)
		return;
	to_suspended(d, q);
	mbx_cmd_drained(d, q, MBX_ST_OK);
}

int mbx_vq_suspend(struct mbx *d, struct mbx_vq *q)
{
	q->stopping = true;
	cancel(d, &q->run_h);
	mbx_rx_return_spares(d, q);
	if (!q->cq_n && !q->hold) {
		to_suspended(d, q);
		return 1;
	}
	return 0;
}

void mbx_vq_destroy(struct mbx *d, struct mbx_vq *q)
{
	q->gen++;
	cancel(d, &q->run_h);
	cancel(d, &q->wb_h);
	vq_dev_free(q->vq);
	q->vq = NULL;
	free(q->cq);
	q->cq = NULL;
	free(q->spare);
	q->spare = NULL;
	free(q->holdbuf);
	q->holdbuf = NULL;
	q->cq_n = q->cq_head = q->nspare = q->spare_cap = 0;
	q->hold = false;
	if (q->announced && d->h->queue_disabled)
		d->h->queue_disabled(d->host, q->idx);
	q->announced = false;
	q->exists = false;
	q->stopping = false;
	q->state = MBX_VQS_INIT;
}

void mbx_vq_get_state(const struct mbx_vq *q, struct vq_state *st)
{
	if (q->vq && !q->start_dirty && !q->cfg_dirty)
		vq_dev_get_state(q->vq, st);
	else
		*st = q->start;
}

uint32_t mbx_vq_inflight(const struct mbx_vq *q)
{
	return q->cq_n + q->nspare;
}

/* A malformed ring or a DMA fault: the object goes to ERR and stays there. */
void mbx_vq_fail(struct mbx *d, struct mbx_vq *q, const char *what)
{
	enum vq_violation v = q->vq ? vq_dev_violation(q->vq) : VQ_V_NONE;
	bool was_stopping = q->stopping;
	char detail[128];

	if (q->state == MBX_VQS_ERR)
		return;
	if (v == VQ_V_NONE)
		v = VQ_V_ACCESS_FAULT;
	q->error = v;
	q->state = MBX_VQS_ERR;
	q->stopping = false;
	q->gen++;
	cancel(d, &q->run_h);
	cancel(d, &q->wb_h);
	/* the ring can no longer be trusted: what was in flight is not completed */
	q->cq_n = q->cq_head = q->nspare = 0;
	q->hold = false;
	d->vq_err |= 1ULL << q->idx;
	mbx_stat(d, MBX_S_VQ_ERRORS, 1);
	snprintf(detail, sizeof(detail), "virtq %u (%s): %s", q->idx, what,
		 vq_violation_name(v));
	mbx_logf(d, VDPASIM_LOG_WARN, "%s", detail);
	if (d->h->device_error)
		d->h->device_error(d->host, q->idx, vq_violation_name(v), detail);
	mbx_event(d, MBX_EV_VQ_ERROR, mbx_now(d));
	if (was_stopping)
		mbx_cmd_drained(d, q, MBX_ST_BAD_STATE);
}

void mbx_vq_kick(struct mbx *d, struct mbx_vq *q, uint64_t at)
{
	if (q->state != MBX_VQS_RDY || q->stopping)
		return;
	/* transmit: a pass; receive: top up the prefetch cache */
	mbx_vq_run_at(d, q, at);
}

/* ---- completions ---------------------------------------------------------------------------- */

void mbx_cq_push(struct mbx *d, struct mbx_vq *q, const struct vq_chain *c, uint32_t len,
		 uint64_t ready)
{
	struct mbx_cqe *e;

	if (q->cq_n >= q->cfg.num)
		return; /* cannot happen: at most num chains are in flight */
	e = &q->cq[(q->cq_head + q->cq_n) % q->cfg.num];
	e->c = *c;
	e->c.seg = NULL;
	e->c.seg_cap = 0;
	e->len = len;
	e->ready = ready;
	q->cq_n++;
	wb_at(d, q, ready + d->o.wb_ps);
}

/* Publish every completion that is ready, in fetch order, then interrupt if
 * the ring asks for it.  The used writes and the MSI-X message are posted in
 * that order on the link, so the driver never sees the interrupt first. */
static void write_back(struct mbx *d, struct mbx_vq *q)
{
	uint64_t now = mbx_now(d);
	uint32_t n = 0;
	int irq;

	while (q->cq_n) {
		struct mbx_cqe *e = &q->cq[q->cq_head];

		if (e->ready > now)
			break;
		if (vq_dev_push(q->vq, &e->c, e->len)) {
			mbx_vq_fail(d, q, "used push");
			return;
		}
		q->cq_head = (q->cq_head + 1) % q->cfg.num;
		q->cq_n--;
		q->completed++;
		n++;
	}
	if (n) {
		mbx_acc_begin(q, now, false);
		if (vq_dev_flush(q->vq)) {
			mbx_vq_fail(d, q, "used write");
			return;
		}
		irq = vq_dev_need_interrupt(q->vq);
		if (irq < 0) {
			mbx_vq_fail(d, q, "interrupt suppression read");
			return;
		}
		if (irq && q->vector != MBX_NO_VECTOR) {
			mbx_stat(d, MBX_S_IRQS, 1);
			d->h->msix_send(d->host, q->vector, mbx_max(now, q->acc.t));
		}
	}
	if (q->cq_n)
		wb_at(d, q, q->cq[q->cq_head].ready + d->o.wb_ps);
	mbx_vq_check_drained(d, q);
}

void mbx_vq_timer(struct mbx *d, enum mbx_timer_kind kind, struct mbx_vq *q)
{
	if (kind == MBX_T_RUN) {
		q->run_h = 0;
		if (q->state != MBX_VQS_RDY || q->stopping)
			return;
		if (q->idx & 1)
			mbx_tx_pass(d, q);
		else
			mbx_rx_prefetch(d, q);
	} else if (kind == MBX_T_WB) {
		q->wb_h = 0;
		if (q->state == MBX_VQS_RDY)
			write_back(d, q);
	}
}
