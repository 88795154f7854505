/* SPDX-License-Identifier: MIT */
/*
 * Private to conformance/: the suite's own virtio-pci driver (drv.c) and the
 * hand-written rings (raw.c) checks use to misbehave on purpose where the
 * spec says what the device must do then.
 *
 * The driver does what a virtio-net driver does, and nothing more: reset,
 * ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queues (rings in guest memory
 * mapped in the IOMMU, built with the ring driver engine vq_drv), MSI-X
 * routes (vector v of the table sends CONF_MSI_DATA + v to CONF_MSI_ADDR),
 * DRIVER_OK, then buffers: transmit slots, receive slots refilled from the
 * interrupt handler, control commands.  Every queue it enables is declared
 * to devhost (devh_observe, devh_queue_vector), its driver engine reports to
 * that observer, so the observer judges the device on complete information.
 *
 * Queue numbering is virtio-net's (virtio 1.3 5.1.2): receiveq N is 2N,
 * transmitq N is 2N+1, the control queue follows the last pair the device
 * could have (2 * max_virtqueue_pairs with MQ, else 2).
 */
#ifndef VDPASIM_CONF_DRV_H
#define VDPASIM_CONF_DRV_H

#include "conformance/conf_priv.h"
#include "vdpasim/uapi.h"

#include <errno.h>
#include <stdio.h>

#define CONF_F(bit) (1ULL << (bit))

/* ---- probing and lifetime (called by host.c) ------------------------------------------------- */

int conf_drv_probe(struct conf_ctx *ctx, char *err, size_t errlen);
void conf_drv_attach_msi(struct conf_ctx *ctx);
void conf_drv_release(struct conf_ctx *ctx);

/* ---- registers ----------------------------------------------------------------------------- */

/* Common configuration field at `off` (VIRTIO_PCI_COMMON_*). */
uint64_t conf_cc_read(struct conf_ctx *ctx, unsigned off, unsigned size);
void conf_cc_write(struct conf_ctx *ctx, unsigned off, unsigned size, uint64_t v);
uint8_t conf_status(struct conf_ctx *ctx);
void conf_status_set(struct conf_ctx *ctx, uint8_t s);
/* Device-specific configuration (virtio_net_config) at `off`. */
uint64_t conf_devcfg(struct conf_ctx *ctx, unsigned off, unsigned size);
uint8_t conf_isr_read(struct conf_ctx *ctx);
/* Select queue q and read / write one of its fields. */
uint64_t conf_q_read(struct conf_ctx *ctx, uint16_t q, unsigned off, unsigned size);
void conf_q_write(struct conf_ctx *ctx, uint16_t q, unsigned off, unsigned size, uint64_t v);
/*
 * Device reset (virtio 1.3 4.1.4.3.2): write 0, then poll device_status every
 * microsecond until it reads 0 (at most 1 ms).  The driver forgets its queues.
 * 0, or -ETIMEDOUT with the status still set, or -ETIME (budget).
 */
int conf_reset(struct conf_ctx *ctx);

/* ---- features ------------------------------------------------------------------------------ */

/* The features every bring-up negotiates when offered: VERSION_1,
 * ACCESS_PLATFORM, MAC, STATUS, MTU, and RING_PACKED for a packed run. */
uint64_t conf_feature_base(const struct conf_ctx *ctx);
/* Offered and inside the run's profile. */
bool conf_can(const struct conf_ctx *ctx, unsigned bit);
/* Reset, ACKNOWLEDGE, DRIVER, write `features`, FEATURES_OK.  0 when the
 * device kept FEATURES_OK, -EPROTO when it cleared it, -ETIMEDOUT/-ETIME. */
int conf_negotiate(struct conf_ctx *ctx, uint64_t features);
/* Set DRIVER_OK on top of the current status. */
void conf_driver_ok(struct conf_ctx *ctx);

/* ---- interrupts ---------------------------------------------------------------------------- */

/* Program every MSI-X table entry (unmasked) and enable MSI-X. */
void conf_msix_enable(struct conf_ctx *ctx);
/* MSI-X messages the device has sent (or left pending under a mask) so far,
 * counted when it sends them, not when they arrive. */
uint64_t conf_irqs_sent(struct conf_ctx *ctx);
/* Map configuration changes to vector v (CONF_NO_VECTOR: none); returns what
 * config_msix_vector reads back. */
uint16_t conf_cfg_vector(struct conf_ctx *ctx, uint16_t v);

/* ---- virtqueues ---------------------------------------------------------------------------- */

struct conf_vq_opts {
	uint16_t size;      /* 0: the smaller of 256 and the device's maximum */
	uint16_t vector;    /* MSI-X vector (CONF_NO_VECTOR: none) */
	bool rx;            /* receive queue: device-writable buffers, refilled */
	bool raw;           /* rings written by hand (conf_raw_*) */
	uint32_t stride;    /* buffer slot size; 0: 2048 (rx) / 4096 (tx) */
	uint64_t ring_base; /* 0: allocate; else IOVA to place the rings at */
};
/* Set queue qid up (size, rings, vector, observer) and enable it.  0, -ENOENT
 * (no such queue), -EINVAL (size), -ENOMEM, or -EIO when queue_size or
 * queue_msix_vector does not read back what was written. */
int conf_vq_setup(struct conf_ctx *ctx, uint16_t qid, const struct conf_vq_opts *o);
/* Forget the driver's side of qid (after a reset): buffers, observer. */
void conf_vq_forget(struct conf_ctx *ctx, uint16_t qid);
/* Publish queued buffers and notify when the ring asks for it. */
int conf_kick(struct conf_ctx *ctx, uint16_t qid);
/* A doorbell write for qid whatever the ring says (spurious kicks). */
void conf_notify(struct conf_ctx *ctx, uint16_t qid);
/* Allocate guest memory (IOVA), 4 KiB aligned. */
uint64_t conf_alloc(struct conf_ctx *ctx, uint64_t size);
/* Guest memory by IOVA.  0 or -EFAULT. */
int conf_gread(struct conf_ctx *ctx, uint64_t iova, void *dst, uint32_t len);
int conf_gwrite(struct conf_ctx *ctx, uint64_t iova, const void *src, uint32_t len);

/* ---- virtio-net on top ---------------------------------------------------------------------- */

struct conf_up_opts {
	uint64_t features;  /* 0: conf_feature_base() */
	unsigned pairs;     /* queue pairs to set up (0: 1) */
	uint16_t qsize;     /* 0: default */
	uint32_t rx_stride; /* 0: 2048 */
	uint32_t tx_stride; /* 0: 4096 */
	bool no_rx_post;    /* leave the receive queues empty */
	bool raw_tx;        /* transmitq1 is driven by hand */
	bool shared_vector; /* every queue on vector 0, config on 1 (else queue q on q) */
	bool tx_unmapped;   /* transmit queues get NO_VECTOR */
	bool no_driver_ok;  /* stop before DRIVER_OK */
};
/* Negotiate, set the queues (and the control queue when CTRL_VQ is among the
 * features) up, MSI-X on, DRIVER_OK, receive buffers posted.  0 or -errno;
 * on failure `why` says which step. */
int conf_up(struct conf_ctx *ctx, const struct conf_up_opts *o, char *why, size_t whylen);
uint16_t conf_ctrl_qid(struct conf_ctx *ctx);
/* Post every free receive slot of qid. */
int conf_rx_post(struct conf_ctx *ctx, uint16_t qid);

/* How a transmit buffer is cut into descriptors. */
enum conf_tx_layout {
	CONF_TX_FUSED = 1,  /* header and frame in one descriptor */
	CONF_TX_SPLIT = 2,  /* header, frame */
};
/* Queue one frame on transmit queue qid: the header (NULL: zeros), then the
 * frame cut into nseg descriptors (1: fused with the header; 2: header and
 * frame; n > 2: header and the frame in n - 1 pieces, scattered in the slot
 * with junk between them).  Does not kick.  0, -ENOSPC, -EMSGSIZE. */
int conf_tx(struct conf_ctx *ctx, uint16_t qid, const uint8_t *frame, uint32_t len,
	    const uint8_t *hdr, unsigned nseg);
/* A test frame (sim/net format) to the device's MAC (or dst). */
uint32_t conf_test_frame(struct conf_ctx *ctx, uint8_t *buf, uint32_t len, uint16_t flow,
			 uint64_t seq, const uint8_t *dst);
/* Use indirect tables for transmit buffers of at least min_segs segments
 * (needs VIRTIO_F_INDIRECT_DESC negotiated).  0 or -ENOMEM. */
int conf_tx_indirect(struct conf_ctx *ctx, uint16_t qid, uint32_t min_segs);

/* Loopback traffic: `count` test frames on transmitq `txq`, lengths from
 * min_len to max_len, cut into 1..nseg_max descriptors, while the peer
 * echoes them; runs until every frame came back intact or `limit` passed.
 * Frames received are checked as they arrive (ctx->rx_test_ok/bad). */
struct conf_traffic {
	uint32_t count;
	uint32_t min_len, max_len;
	unsigned nseg_max;
	uint16_t txq;
	uint16_t flow;
	uint32_t window;    /* frames in flight at most (0: 8) */
	sim_time_t limit;
	/* out */
	uint32_t sent;
	uint64_t received;
};
int conf_run_traffic(struct conf_ctx *ctx, struct conf_traffic *t);

/* Take used buffers of qid back (receive: record the frames, refill).
 * Returns how many, or -EIO when the ring is broken. */
int conf_collect(struct conf_ctx *ctx, uint16_t qid);
/* What the interrupt handler does for a queue: collect, refill, re-arm. */
void conf_vq_service(struct conf_ctx *ctx, struct conf_vq *vq);
/* Run dt of simulated time, collect every queue, judge owed notifications. */
int conf_settle(struct conf_ctx *ctx, sim_time_t dt);
/* Send one control command; waits up to 1 ms for it to come back.  *ack is
 * the ack byte (0xEE: untouched), *used_len what the device reported.
 * 0, -ETIMEDOUT (not returned), -ENOSPC, -ENOENT (no control queue). */
int conf_ctrl(struct conf_ctx *ctx, uint8_t cls, uint8_t cmd, const void *data, uint32_t n,
	      uint8_t *ack, uint32_t *used_len);
/* The MAC the device reports (config mac with MAC negotiated, else a fixed
 * locally administered one the suite uses as destination). */
void conf_dev_mac(struct conf_ctx *ctx, uint8_t mac[6]);

/* ---- hand-written rings (raw.c) ------------------------------------------------------------- */

struct conf_rdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;     /* VRING_DESC_F_*; split NEXT is linked automatically */
};
/* Split: write n descriptors at the next free table slots (linked with NEXT
 * unless `unlinked`), put the head in the next available entry and, when
 * publish, advance avail idx.  Returns the head index, or -ENOSPC. */
int conf_raw_split_add(struct conf_ctx *ctx, uint16_t qid, const struct conf_rdesc *d,
		       unsigned n, bool publish);
/* Split: write avail ring entry `pos` (mod size) / avail idx / avail flags / used_event. */
void conf_raw_split_avail_entry(struct conf_ctx *ctx, uint16_t qid, uint16_t pos, uint16_t head);
void conf_raw_split_avail_idx(struct conf_ctx *ctx, uint16_t qid, uint16_t idx);
void conf_raw_split_avail_flags(struct conf_ctx *ctx, uint16_t qid, uint16_t flags);
void conf_raw_split_used_event(struct conf_ctx *ctx, uint16_t qid, uint16_t ev);
uint16_t conf_raw_split_used_idx(struct conf_ctx *ctx, uint16_t qid);
uint16_t conf_raw_split_used_flags(struct conf_ctx *ctx, uint16_t qid);
/* Packed: write one descriptor at slot with the given flags (AVAIL/USED bits
 * included by the caller). */
void conf_raw_packed_desc(struct conf_ctx *ctx, uint16_t qid, uint16_t slot,
			  const struct conf_rdesc *d, uint16_t id, uint16_t flags);
/* Packed: a list of n descriptors from the next slot, buffer id `id`, made
 * available with the driver's wrap counter (head flags last when publish).
 * Returns the head slot. */
int conf_raw_packed_add(struct conf_ctx *ctx, uint16_t qid, const struct conf_rdesc *d,
			unsigned n, uint16_t id, bool publish);
/* Packed: the head flags of a list added unpublished. */
void conf_raw_packed_publish(struct conf_ctx *ctx, uint16_t qid, uint16_t slot, uint16_t flags);
/* AVAIL/USED bits that make a descriptor available with wrap counter w. */
uint16_t conf_raw_packed_avail_bits(bool w);
/* Next used element, split or packed: 1 with *id and *len, 0 none. */
int conf_raw_used(struct conf_ctx *ctx, uint16_t qid, uint16_t *id, uint32_t *len);
/* Reset the hand-written ring's positions (fresh queue). */
void conf_raw_reset(struct conf_ctx *ctx, uint16_t qid);

#endif
