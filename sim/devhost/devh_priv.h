/* SPDX-License-Identifier: MIT */
/*
 * Private to sim/devhost: the instance structure shared by its source files.
 */
#ifndef VDPASIM_DEVH_PRIV_H
#define VDPASIM_DEVH_PRIV_H

#include "sim/devhost/devhost.h"

#include <stdbool.h>

/* A timer the model scheduled; slots are reused, never moved. */
struct devh_timer {
	struct devh *dh;
	eng_event_id ev;
	vdpasim_timer_fn fn;
	uint64_t arg;
	uint32_t gen;   /* bumped on each use: stale handles do not match */
	uint32_t index;
	bool armed;
	struct devh_timer *next_free;
};

/* A frame waiting for its send time. */
struct devh_frame {
	sim_time_t at;
	uint32_t len, cap;
	uint8_t *data;
};

struct devh_port {
	struct devh *dh;
	unsigned index;
	struct net_port *port;
	char name[80];
	struct devh_frame *fifo; /* DEVH_NET_FIFO entries */
	uint32_t head, n;
	sim_time_t tail_end;      /* when the FIFO's last frame will have left */
	eng_event_id ev;          /* send event at the head's time */
	bool want_ready;          /* the model saw -ENOBUFS */
	bool waiting_room;        /* head is due but the port queue is full */
	uint64_t dropped;
};

/* Emulated virtio PCI configuration access capability. */
struct devh_pcicfg {
	bool present;
	uint16_t off;      /* config offset of the capability */
	uint8_t bytes[20]; /* shadow of cap bytes 0..19 */
};

struct devh {
	struct sim *sim;
	struct pcie_rc *rc;
	struct pcie_fn *fn;
	const struct vdpasim_device_plugin *plugin;
	void *dev;
	char name[64];
	bool has_control;
	struct vdpasim_host_ops ops;
	struct vdpasim_pci_layout layout;
	struct eng_rng rng;

	/* timers */
	struct devh_timer **tchunk; /* chunks of DEVH_TCHUNK slots */
	uint32_t ntchunk;
	struct devh_timer *tfree;

	/* ports */
	unsigned nports;
	struct devh_port port[DEVH_MAX_PORTS];

	/* observers, by queue id */
	struct vq_obs **obs;
	uint32_t nobs;
	uint64_t retired_total, retired_level[2];
	uint64_t by_actor[2]; /* events per breaking side, counted as they come */
	uint32_t obs_text_n;
	char (*obs_text)[160];
	uint16_t obs_cb_qid; /* queue being fed, for the text */
	uint8_t *obs_pinned;  /* per qid: rings declared by the platform (devh_observe) */
	uint16_t *obs_vector; /* per qid: MSI-X vector the platform mapped it to */
	devh_obs_listener listener;
	void *listener_ctx;
	devh_dma_tap_fn dma_tap;
	void *dma_tap_ctx;

	/* errors and logs */
	unsigned nerr;
	struct devh_error err[DEVH_ERRORS_KEPT];
	uint64_t log_count[4];
	char last_log[160];

	struct devh_pcicfg pcicfg;
};

#define DEVH_TCHUNK 256u

/* devh_net.c */
int devh_net_init(struct devh *dh);
void devh_net_fini(struct devh *dh);
int devh_net_send(void *host, uint32_t port, const void *frame, uint32_t len, uint64_t at);
uint64_t devh_net_tx_free_at(void *host, uint32_t port);

/* devh_obs.c */
void devh_obs_dma(struct devh *dh, bool write, uint64_t iova, const void *data, uint32_t len);
void devh_obs_queue_enabled(void *host, uint16_t qid, uint16_t size, int packed, uint64_t desc,
			    uint64_t driver, uint64_t device, uint64_t features);
void devh_obs_queue_disabled(void *host, uint16_t qid);
void devh_obs_fini(struct devh *dh);
void devh_obs_drop_all(struct devh *dh);
void devh_obs_interrupt(struct devh *dh, uint16_t vector);
void devh_device_error(void *host, uint16_t qid, const char *violation, const char *detail);

#endif
