/* SPDX-License-Identifier: MIT */
/*
 * Shared by the virtio_net test programs: a sim with host memory, the test
 * device (vdpa_testdev with a datapath) bound to virtio_vdpa, virtio_net on
 * top, ring observers on every queue (driver and device side), and a
 * traffic generator / checker of sequenced test frames.  Included by the
 * test_virtio_net*.c programs (functions are static inline so that each
 * program keeps only what it uses).
 */
#ifndef VDPASIM_TEST_VIRTIO_NET_FIXTURE_H
#define VDPASIM_TEST_VIRTIO_NET_FIXTURE_H

#include "sim/engine/engine.h"
#include "sim/net/net.h"
#include "sim/virtio_ring/virtio_ring.h"
#include "stack/vdpa_bus/vdpa_bus.h"
#include "stack/vdpa_testdev/vdpa_testdev.h"
#include "stack/virtio/virtio.h"
#include "stack/virtio_net/virtio_net.h"
#include "stack/virtio_vdpa/virtio_vdpa.h"

#include <CUnit/CUnit.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VF_HOST_PA 0x100000000ULL
#define VF_HOST_SIZE (64ULL << 20)
#define VF_MAX_OBS 64
#define VF_MAX_FLOWS 8

struct vf;

struct vf_flow {
	struct vf *x;
	uint16_t queue;
	uint16_t flow;
	uint64_t count;         /* frames to send */
	uint64_t sent;          /* next sequence number */
	uint64_t expect;        /* next sequence number to receive */
	uint64_t received;
	uint32_t burst;         /* frames per send event */
	sim_time_t gap_ps;      /* between send events */
	uint32_t min_len, max_len;
	bool waiting;           /* queue stopped, wait for tx_wake */
	eng_event_id ev;
	uint64_t busy;          /* -EBUSY answers */
	uint64_t errors;        /* other send errors */
};

struct vf {
	struct sim *sim;
	uint8_t *host;
	struct vq_plain_mem pm;
	struct vtd_config cfg;
	struct vnet_params params;
	struct vtd *d;
	struct vnet *n;
	bool observe;
	struct vq_obs *obs[VF_MAX_OBS];
	unsigned int nobs;
	struct vf_flow flows[VF_MAX_FLOWS];
	unsigned int nflows;
	uint8_t dst[6], src[6];
	/* receive checking */
	uint64_t rx_frames, rx_bad, rx_foreign, rx_wrong_queue, rx_out_of_order;
	uint64_t link_changes, ctrl_done, ctrl_err, resets, reset_err;
	bool last_link;
};

static inline void obs_hook(void *ctx, struct virtqueue *vq)
{
	struct vf *x = ctx;
	struct vq_obs *obs = NULL;
	struct vtd *d = vtd_from_vdpa(vvd_vdpa(vq->vdev));

	if (!x->observe || x->nobs >= VF_MAX_OBS || !d)
		return;
	if (vq_obs_create(&obs, vio_vq_config(vq), NULL, 0))
		return;
	x->obs[x->nobs++] = obs;
	vio_vq_set_observer(vq, obs);
	vtd_set_vq_observer(d, (uint16_t)vq->index, obs);
}

static inline void vf_init(struct vf *x)
{
	static const uint8_t src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

	memset(x, 0, sizeof(*x));
	vtd_default_config(&x->cfg);
	x->cfg.datapath = VTD_DP_LOOPBACK;
	x->cfg.device_features |= (1ULL << VIRTIO_NET_F_MRG_RXBUF) |
				  (1ULL << VIRTIO_NET_F_CTRL_RX) |
				  (1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR) |
				  (1ULL << VIRTIO_NET_F_GUEST_ANNOUNCE);
	vnet_default_params(&x->params);
	x->observe = true;
	memcpy(x->dst, x->cfg.mac, 6);
	memcpy(x->src, src, 6);
}

static void flow_event(struct sim *sim, void *arg);
static inline void vf_run(struct vf *x, sim_time_t limit);

static inline struct vf_flow *flow_on(struct vf *x, uint16_t queue)
{
	for (unsigned int i = 0; i < x->nflows; i++)
		if (x->flows[i].queue == queue && x->flows[i].waiting)
			return &x->flows[i];
	return NULL;
}

static inline void on_rx(void *ctx, struct vnet *n, uint16_t queue, const uint8_t *frame,
			 uint32_t len)
{
	struct vf *x = ctx;
	struct net_test_hdr h;
	struct vf_flow *f;

	(void)n;
	x->rx_frames++;
	if (net_frame_parse_seq(frame, len, &h)) {
		x->rx_foreign++;
		return;
	}
	if (h.flow >= x->nflows || h.len != len || net_frame_check_payload(frame, len, &h)) {
		x->rx_bad++;
		return;
	}
	f = &x->flows[h.flow];
	if (f->queue != queue)
		x->rx_wrong_queue++;
	if (h.seq != f->expect)
		x->rx_out_of_order++;
	f->expect = h.seq + 1;
	f->received++;
}

static inline void on_tx_wake(void *ctx, struct vnet *n, uint16_t queue)
{
	struct vf *x = ctx;
	struct vf_flow *f;

	(void)n;
	while ((f = flow_on(x, queue))) {
		f->waiting = false;
		if (!f->ev)
			f->ev = eng_schedule_in(x->sim, 0, flow_event, f);
	}
}

static inline void on_link(void *ctx, struct vnet *n, bool up)
{
	struct vf *x = ctx;

	(void)n;
	x->link_changes++;
	x->last_link = up;
}

static inline void on_ctrl(void *ctx, struct vnet *n, uint8_t cls, uint8_t cmd, int err)
{
	struct vf *x = ctx;

	(void)n;
	(void)cls;
	(void)cmd;
	x->ctrl_done++;
	if (err)
		x->ctrl_err++;
}

static inline void on_reset(void *ctx, struct vnet *n, int err)
{
	struct vf *x = ctx;

	(void)n;
	x->resets++;
	if (err)
		x->reset_err++;
}

static const struct vnet_ops vf_ops = {
	.rx = on_rx,
	.tx_wake = on_tx_wake,
	.link_change = on_link,
	.ctrl_done = on_ctrl,
	.reset_done = on_reset,
};

static inline void vf_start(struct vf *x)
{
	struct vvd_dma_config dc;

	x->sim = eng_sim_new(1, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->sim);
	x->host = calloc(1, VF_HOST_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->host);
	vq_plain_mem_init(&x->pm, x->host, VF_HOST_PA, VF_HOST_SIZE);
	x->cfg.host_mem = vq_plain_mem_accessor(&x->pm);
	CU_ASSERT_EQUAL_FATAL(vnet_register_driver(x->sim, &x->params), 0);
	vvd_default_dma_config(&dc);
	dc.host_mem = vq_plain_mem_accessor(&x->pm);
	dc.pa_base = VF_HOST_PA;
	dc.size = VF_HOST_SIZE;
	CU_ASSERT_EQUAL_FATAL(vvd_register_driver(x->sim, &dc), 0);
	vio_set_vq_hook(x->sim, obs_hook, x);
	CU_ASSERT_EQUAL_FATAL(vtd_create(x->sim, &x->cfg, "vdpa0", &x->d), 0);
	x->n = vnet_find(x->sim, "vdpa0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->n);
	vnet_set_ops(x->n, &vf_ops, x);
	/* probe-time work: link status, VQ_PAIRS_SET */
	vf_run(x, ENG_US(100));
}

static inline void vf_teardown(struct vf *x)
{
	eng_sim_free(x->sim);
	for (unsigned int i = 0; i < x->nobs; i++)
		vq_obs_free(x->obs[i]);
	free(x->host);
}

static inline void vf_run(struct vf *x, sim_time_t limit)
{
	sim_time_t end = eng_now(x->sim) + limit;

	while (eng_next_time(x->sim) <= end && eng_step(x->sim))
		;
}

static inline uint32_t flow_len(const struct vf_flow *f, uint64_t seq)
{
	uint32_t span = f->max_len - f->min_len + 1;

	return f->min_len + (uint32_t)((seq * 2654435761ULL + f->flow * 97) % span);
}

static inline void flow_event(struct sim *sim, void *arg)
{
	struct vf_flow *f = arg;
	struct vf *x = f->x;
	uint8_t buf[NET_FRAME_MAX];

	f->ev = 0;
	for (uint32_t i = 0; i < f->burst && f->sent < f->count; i++) {
		struct net_test_hdr h = { f->flow, 0, f->sent, eng_now(sim) };
		uint32_t len = flow_len(f, f->sent);
		bool more = i + 1 < f->burst && f->sent + 1 < f->count;
		int r;

		h.len = (uint16_t)len;
		r = net_frame_build(buf, sizeof(buf), len, x->dst, x->src, &h);
		CU_ASSERT_EQUAL_FATAL(r, 0);
		r = vnet_send_more(x->n, f->queue, buf, len, more);
		if (r == -EBUSY) {
			f->busy++;
			f->waiting = true;
			break;
		}
		if (r) {
			f->errors++;
			break;
		}
		f->sent++;
	}
	vnet_flush(x->n, f->queue);
	if (!f->waiting && f->sent < f->count && !f->errors)
		f->ev = eng_schedule_in(sim, f->gap_ps, flow_event, f);
}

static inline struct vf_flow *vf_add_flow(struct vf *x, uint16_t queue, uint64_t count)
{
	struct vf_flow *f = &x->flows[x->nflows];

	CU_ASSERT_FATAL(x->nflows < VF_MAX_FLOWS);
	memset(f, 0, sizeof(*f));
	f->x = x;
	f->queue = queue;
	f->flow = (uint16_t)x->nflows;
	f->count = count;
	f->burst = 32;
	f->gap_ps = ENG_NS(500);
	f->min_len = 60;
	f->max_len = 1514;
	x->nflows++;
	return f;
}

static inline void vf_start_flows(struct vf *x)
{
	for (unsigned int i = 0; i < x->nflows; i++)
		if (!x->flows[i].ev)
			x->flows[i].ev = eng_schedule_in(x->sim, 0, flow_event, &x->flows[i]);
}

static inline bool vf_flows_done(const struct vf *x)
{
	for (unsigned int i = 0; i < x->nflows; i++)
		if (x->flows[i].received < x->flows[i].count)
			return false;
	return true;
}

static inline void print_event(const struct vq_obs_event *ev)
{
	char line[160];

	vq_obs_format(ev, line, sizeof(line));
	fprintf(stderr, "  observer: %s\n", line);
}

static inline uint64_t vf_obs_check(struct vf *x)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < x->nobs; i++) {
		const struct vq_obs_event *ev;
		size_t n;

		vq_obs_sync(x->obs[i]);
		total += vq_obs_count(x->obs[i]);
		n = vq_obs_events(x->obs[i], &ev);
		for (size_t k = 0; k < n && k < 5; k++)
			print_event(&ev[k]);
	}
	return total;
}

static inline struct vnet_queue_stats vf_stats_sum(const struct vf *x)
{
	struct vnet_queue_stats s, t;

	memset(&s, 0, sizeof(s));
	for (uint16_t q = 0; q < vnet_max_queue_pairs(x->n); q++) {
		vnet_queue_stats(x->n, q, &t);
		s.tx_packets += t.tx_packets;
		s.tx_bytes += t.tx_bytes;
		s.tx_busy += t.tx_busy;
		s.tx_stops += t.tx_stops;
		s.tx_wakes += t.tx_wakes;
		s.tx_kicks += t.tx_kicks;
		s.tx_interrupts += t.tx_interrupts;
		s.rx_packets += t.rx_packets;
		s.rx_bytes += t.rx_bytes;
		s.rx_drops += t.rx_drops;
		s.rx_length_errors += t.rx_length_errors;
		s.rx_bufs += t.rx_bufs;
		s.rx_kicks += t.rx_kicks;
		s.rx_interrupts += t.rx_interrupts;
		s.kicks += t.kicks;
		s.interrupts += t.interrupts;
		s.napi_polls += t.napi_polls;
		s.napi_repolls += t.napi_repolls;
		s.cpu_ps += t.cpu_ps;
	}
	return s;
}

#endif
