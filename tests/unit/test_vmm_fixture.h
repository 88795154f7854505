/* SPDX-License-Identifier: MIT */
/*
 * Shared by the vmm test programs: a sim with host memory, vhost_vdpa, one
 * or two test devices (vdpa_testdev, loopback datapath translating through
 * their IOTLB), the VMM with a two-region guest, the guest's virtio_net on
 * the VMM's transport, ring observers on every queue (guest driver side
 * and device side) and a generator / checker of sequenced test frames.
 * Functions are static inline so that each program keeps what it uses.
 */
#ifndef VDPASIM_TEST_VMM_FIXTURE_H
#define VDPASIM_TEST_VMM_FIXTURE_H

#include "sim/engine/engine.h"
#include "sim/mem/mem.h"
#include "sim/net/net.h"
#include "sim/virtio_ring/virtio_ring.h"
#include "stack/vdpa_bus/vdpa_bus.h"
#include "stack/vdpa_testdev/vdpa_testdev.h"
#include "stack/vhost_vdpa/vhost_vdpa.h"
#include "stack/virtio/virtio.h"
#include "stack/virtio_net/virtio_net.h"
#include "stack/vmm/vmm.h"

#include <CUnit/CUnit.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VX_HOST_SIZE (1ULL << 32)
/* Guest RAM: two regions, the second one lower in host memory than the
 * first, so that GPA -> HVA -> HPA is never an identity. */
#define VX_RAM0_GPA 0x0ULL
#define VX_RAM0_HPA 0x40000000ULL
#define VX_RAM1_GPA 0x10000000ULL
#define VX_RAM1_HPA 0x20000000ULL
#define VX_RAM_SIZE (4ULL << 20)
#define VX_SHADOW_HPA 0x30000000ULL
#define VX_SHADOW_SIZE (64ULL << 10)
#define VX_MAX_OBS 16

struct vx {
	struct sim *sim;
	struct mem *host;
	struct vtd_config tcfg;
	struct vtd *d[2];
	unsigned int cur;          /* device the VMM uses */
	struct vmm_config mcfg;
	struct vmm *vm;
	struct vnet_params params;
	struct vnet *n;
	bool observe;
	struct vq_obs *obs[VX_MAX_OBS];
	unsigned int nobs;
	struct vq_obs *obs_of[VX_MAX_OBS]; /* by queue index, for a restart */
	uint64_t doorbells;
	/* traffic: one flow on queue pair 0 */
	uint64_t count, sent, expect, received;
	uint32_t burst, window;
	sim_time_t gap_ps;
	bool waiting;              /* TX stopped or window full */
	eng_event_id ev;
	uint64_t busy, send_errors;
	uint64_t rx_bad, rx_foreign, rx_out_of_order;
	uint64_t link_changes;
	bool last_link;
	uint64_t ctrl_done, ctrl_err;
	uint8_t dst[6], src[6];
};

static inline int vx_doorbell(void *ctx, uint64_t pa, uint32_t value)
{
	struct vx *x = ctx;
	int r = vtd_doorbell_write(x->d[x->cur], pa, value);

	if (!r)
		x->doorbells++;
	return r;
}

static inline void vx_obs_hook(void *ctx, struct virtqueue *vq)
{
	struct vx *x = ctx;
	struct vq_obs *obs = NULL;

	if (!x->observe || x->nobs >= VX_MAX_OBS || vq->index >= VX_MAX_OBS)
		return;
	if (vq_obs_create(&obs, vio_vq_config(vq), NULL, 0))
		return;
	x->obs[x->nobs++] = obs;
	x->obs_of[vq->index] = obs;
	vio_vq_set_observer(vq, obs);
	if (vmm_vq_shadowed(x->vm, (uint16_t)vq->index))
		vmm_set_vq_observer(x->vm, (uint16_t)vq->index, obs);
	else
		vtd_set_vq_observer(x->d[x->cur], (uint16_t)vq->index, obs);
}

/* The device side of every observer on device d (after a restart). */
static inline void vx_observe_device(struct vx *x, unsigned int d)
{
	for (uint16_t i = 0; i < VX_MAX_OBS; i++)
		if (x->obs_of[i] && !vmm_vq_shadowed(x->vm, i))
			vtd_set_vq_observer(x->d[d], i, x->obs_of[i]);
}

static inline void vx_init(struct vx *x)
{
	static const uint8_t src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

	memset(x, 0, sizeof(*x));
	vtd_default_config(&x->tcfg);
	x->tcfg.datapath = VTD_DP_LOOPBACK;
	x->tcfg.device_features |= (1ULL << VIRTIO_NET_F_MRG_RXBUF) |
				   (1ULL << VIRTIO_NET_F_CTRL_RX) |
				   (1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR);
	vmm_default_config(&x->mcfg);
	x->mcfg.shadow_hpa = VX_SHADOW_HPA;
	x->mcfg.shadow_size = VX_SHADOW_SIZE;
	x->mcfg.doorbell = vx_doorbell;
	x->mcfg.doorbell_ctx = x;
	vnet_default_params(&x->params);
	x->observe = true;
	x->burst = 32;
	x->window = 64;
	x->gap_ps = ENG_NS(500);
	memcpy(x->dst, x->tcfg.mac, 6);
	memcpy(x->src, src, 6);
}

/* Run `limit` of simulated time (the clock ends there). */
static inline void vx_run(struct vx *x, sim_time_t limit)
{
	eng_run_until(x->sim, eng_now(x->sim) + limit);
}

/* The sim, host memory, vhost_vdpa, the guest's virtio_net driver, device 0
 * and the VMM with guest RAM; nothing attached yet. */
static inline void vx_create(struct vx *x)
{
	x->sim = eng_sim_new(1, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->sim);
	x->host = mem_new(VX_HOST_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->host);
	x->tcfg.host_mem.read = mem_acc_read;
	x->tcfg.host_mem.write = mem_acc_write;
	x->tcfg.host_mem.ctx = x->host;
	x->mcfg.host = x->host;
	CU_ASSERT_EQUAL_FATAL(vnet_register_driver(x->sim, &x->params), 0);
	CU_ASSERT_EQUAL_FATAL(vhv_register_driver(x->sim), 0);
	vio_set_vq_hook(x->sim, vx_obs_hook, x);
	CU_ASSERT_EQUAL_FATAL(vtd_create(x->sim, &x->tcfg, "vdpa0", &x->d[0]), 0);
	CU_ASSERT_STRING_EQUAL_FATAL(vhv_chardev_name(vtd_vdpa(x->d[0])), "vhost-vdpa-0");
	CU_ASSERT_EQUAL_FATAL(vmm_create(x->sim, &x->mcfg, &x->vm), 0);
	CU_ASSERT_EQUAL_FATAL(vmm_add_ram(x->vm, VX_RAM0_GPA, VX_RAM_SIZE, VX_RAM0_HPA), 0);
	CU_ASSERT_EQUAL_FATAL(vmm_add_ram(x->vm, VX_RAM1_GPA, VX_RAM_SIZE, VX_RAM1_HPA), 0);
}

static inline void vx_on_rx(void *ctx, struct vnet *n, uint16_t queue, const uint8_t *frame,
			    uint32_t len);
static inline void vx_on_tx_wake(void *ctx, struct vnet *n, uint16_t queue);
static inline void vx_on_link(void *ctx, struct vnet *n, bool up);
static inline void vx_on_ctrl(void *ctx, struct vnet *n, uint8_t cls, uint8_t cmd, int err);

static const struct vnet_ops vx_ops = {
	.rx = vx_on_rx,
	.tx_wake = vx_on_tx_wake,
	.link_change = vx_on_link,
	.ctrl_done = vx_on_ctrl,
};

/* Attach to vhost-vdpa-0, plug the device, let the guest probe. */
static inline void vx_boot(struct vx *x)
{
	CU_ASSERT_EQUAL_FATAL(vmm_attach(x->vm, "/dev/vhost-vdpa-0"), 0);
	CU_ASSERT_EQUAL_FATAL(vmm_plug(x->vm), 0);
	x->n = vnet_find(x->sim, vmm_name(x->vm));
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->n);
	vnet_set_ops(x->n, &vx_ops, x);
	vx_run(x, ENG_US(100));
	CU_ASSERT_FATAL(vmm_device_running(x->vm));
}

static inline void vx_start(struct vx *x)
{
	vx_create(x);
	vx_boot(x);
}

/* A second test device (vhost-vdpa-1) for restarts. */
static inline void vx_add_second(struct vx *x, const struct vtd_config *cfg)
{
	CU_ASSERT_EQUAL_FATAL(vtd_create(x->sim, cfg ? cfg : &x->tcfg, "vdpa1", &x->d[1]), 0);
	CU_ASSERT_STRING_EQUAL_FATAL(vhv_chardev_name(vtd_vdpa(x->d[1])), "vhost-vdpa-1");
}

static inline void vx_teardown(struct vx *x)
{
	eng_sim_free(x->sim);
	for (unsigned int i = 0; i < x->nobs; i++)
		vq_obs_free(x->obs[i]);
	mem_free(x->host);
}

/* ---- traffic ---------------------------------------------------------------------- */

static inline uint32_t vx_len(uint64_t seq)
{
	return 60 + (uint32_t)((seq * 2654435761ULL) % (1514 - 60 + 1));
}

static void vx_flow_event(struct sim *sim, void *arg);

static inline void vx_wake(struct vx *x)
{
	if (x->waiting && !x->ev) {
		x->waiting = false;
		x->ev = eng_schedule_in(x->sim, 0, vx_flow_event, x);
	}
}

static inline void vx_on_rx(void *ctx, struct vnet *n, uint16_t queue, const uint8_t *frame,
			    uint32_t len)
{
	struct vx *x = ctx;
	struct net_test_hdr h;

	(void)n;
	(void)queue;
	if (net_frame_parse_seq(frame, len, &h)) {
		x->rx_foreign++;
		return;
	}
	if (h.len != len || len != vx_len(h.seq) || net_frame_check_payload(frame, len, &h)) {
		x->rx_bad++;
		return;
	}
	if (h.seq != x->expect)
		x->rx_out_of_order++;
	x->expect = h.seq + 1;
	x->received++;
	vx_wake(x);
}

static inline void vx_on_tx_wake(void *ctx, struct vnet *n, uint16_t queue)
{
	(void)n;
	(void)queue;
	vx_wake(ctx);
}

static inline void vx_on_link(void *ctx, struct vnet *n, bool up)
{
	struct vx *x = ctx;

	(void)n;
	x->link_changes++;
	x->last_link = up;
}

static inline void vx_on_ctrl(void *ctx, struct vnet *n, uint8_t cls, uint8_t cmd, int err)
{
	struct vx *x = ctx;

	(void)n;
	(void)cls;
	(void)cmd;
	x->ctrl_done++;
	if (err)
		x->ctrl_err++;
}

/* Send up to a burst, at most `window` frames unanswered (so the loopback
 * never holds a frame for want of RX buffers). */
static void vx_flow_event(struct sim *sim, void *arg)
{
	struct vx *x = arg;
	uint8_t buf[1600];
	uint32_t i;

	x->ev = 0;
	for (i = 0; i < x->burst && x->sent < x->count; i++) {
		struct net_test_hdr h = { 0, 0, x->sent, eng_now(sim) };
		uint32_t len = vx_len(x->sent);
		bool more = i + 1 < x->burst && x->sent + 1 < x->count;
		int r;

		if (x->window && x->sent - x->received >= x->window) {
			x->waiting = true;
			break;
		}
		h.len = (uint16_t)len;
		r = net_frame_build(buf, sizeof(buf), len, x->dst, x->src, &h);
		CU_ASSERT_EQUAL_FATAL(r, 0);
		r = vnet_send_more(x->n, 0, buf, len, more);
		if (r == -EBUSY) {
			x->busy++;
			x->waiting = true;
			break;
		}
		if (r) {
			x->send_errors++;
			x->waiting = true;
			break;
		}
		x->sent++;
	}
	vnet_flush(x->n, 0);
	if (!x->waiting && x->sent < x->count)
		x->ev = eng_schedule_in(sim, x->gap_ps, vx_flow_event, x);
}

static inline void vx_traffic(struct vx *x, uint64_t count)
{
	x->count = count;
	if (!x->ev)
		x->ev = eng_schedule_in(x->sim, 0, vx_flow_event, x);
}

/* Run until every frame came back (or the limit). */
static inline void vx_run_traffic(struct vx *x, sim_time_t limit)
{
	sim_time_t end = eng_now(x->sim) + limit;

	while (x->received < x->count && eng_next_time(x->sim) <= end && eng_step(x->sim))
		;
	vx_run(x, ENG_US(50)); /* let the last interrupts and refills settle */
}

static inline uint64_t vx_obs_check(struct vx *x)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < x->nobs; i++) {
		const struct vq_obs_event *ev;
		size_t n;

		vq_obs_sync(x->obs[i]);
		total += vq_obs_count(x->obs[i]);
		n = vq_obs_events(x->obs[i], &ev);
		for (size_t k = 0; k < n && k < 5; k++) {
			char line[160];

			vq_obs_format(&ev[k], line, sizeof(line));
			fprintf(stderr, "  observer %u: %s\n", i, line);
		}
	}
	return total;
}

static inline void vx_dump_log(const struct vx *x)
{
	for (size_t i = 0; i < vmm_log_len(x->vm); i++)
		fprintf(stderr, "  %s\n", vmm_log_at(x->vm, i));
}

#endif
