/* SPDX-License-Identifier: MIT */
/*
 * Private to sim/pcie: the structures shared by its source files.  Nothing
 * outside sim/pcie includes this; the interface is pcie.h.
 */
#ifndef VDPASIM_PCIE_PRIV_H
#define VDPASIM_PCIE_PRIV_H

#include "sim/pcie/pcie.h"

#include "vdpasim/uapi.h"

/* TLP bytes on the wire besides payload (see pcie.h). */
#define TLP_REQ_OVERHEAD 24u /* MWr / MRd, 64-bit address */
#define TLP_CPL_OVERHEAD 20u /* CplD */
#define MSIX_MSG_BYTES 4u

/* Capability layout the layer builds. */
#define CAP_AREA_START 0x40u
#define CAP_AREA_END 0x100u
#define PCIE_CAP_LEN 0x34u /* v2 endpoint with link, through Link Status 2 */



/* One direction of a link: booked busy intervals [s, e), sorted, disjoint. */
struct link_iv {
	sim_time_t s, e;
};

struct link_dir {
	struct link_iv *iv;
	unsigned n, cap;
	uint64_t wire_bytes;
	sim_time_t busy; /* total time booked */
};

struct pcie_slot {
	bool cfg_set;
	struct pcie_link_cfg cfg;
	struct pcie_fn *fn[PCIE_FUNCS];
	unsigned gen, width; /* negotiated with function 0 */
	double ps_per_byte;
	struct link_dir up, down;
	sim_time_t posted_visible; /* latest visibility of an upstream posted write */
};

struct msi_route {
	bool used;
	uint64_t addr, len;
	uint32_t data_lo, data_hi;
	pcie_msi_fn fn;
	void *ctx;
};

struct msi_msg {
	struct pcie_rc *rc;
	uint64_t addr;
	uint32_t data;
	eng_event_id ev;
	struct msi_msg *prev, *next;
};

struct pcie_rc {
	struct sim *sim;
	struct mem *mem;
	struct iommu *iommu;
	struct pcie_link_cfg default_link;
	struct pcie_slot slot[PCIE_SLOTS];
	pcie_msi_fn msi_default;
	void *msi_default_ctx;
	struct msi_route *routes;
	unsigned nroutes;
	struct msi_msg *inflight;
	uint64_t msi_delivered, msi_unclaimed;
};

struct cfg_claim {
	uint16_t off, len;
};

struct pcie_fn {
	struct pcie_rc *rc;
	struct pcie_slot *slot;
	unsigned devno, func;
	uint16_t bdf;
	struct pcie_ep_desc desc;

	uint8_t cfg[PCIE_CFG_SPACE];
	uint8_t wmask[CAP_AREA_END]; /* host-writable bits of plain registers */
	uint16_t cap_free;	     /* next free offset in the capability area */
	uint16_t cap_last;	     /* offset of the last capability (0: none) */
	uint16_t pcie_cap, msix_cap;
	struct cfg_claim claim[16];
	unsigned nclaim;
	/* power-on image of cfg and wmask, restored by reset */
	uint8_t *cfg_reset;

	/* MSI-X */
	uint8_t *msix_table; /* msix_vectors * 16 bytes */
	uint64_t *msix_pba;

	/* DMA read tags: min-heap of release times of outstanding requests */
	sim_time_t *tags;
	unsigned ntags;

	sim_time_t mmio_arrival;
	bool in_mmio;
	struct pcie_fn_stats st;
};

/* pcie_cfg.c */
int cfg_build(struct pcie_fn *fn);
void cfg_reset(struct pcie_fn *fn);
uint16_t cfg_command(const struct pcie_fn *fn);
/* Decoded BAR base (meaningful for BARs with a size). */
uint64_t cfg_bar_base(const struct pcie_fn *fn, unsigned bar);
unsigned cfg_mps(const struct pcie_fn *fn);
unsigned cfg_mrrs(const struct pcie_fn *fn);
uint32_t cfg_get(const struct pcie_fn *fn, unsigned off, unsigned size);
void cfg_put(struct pcie_fn *fn, unsigned off, unsigned size, uint32_t val);

/* pcie_link.c */
bool link_cfg_valid(const struct pcie_link_cfg *c);
void link_setup(struct pcie_slot *s, unsigned gen, unsigned width);
void link_free(struct pcie_slot *s);
/* Book dur in the first gap at or after ready; returns the start time. */
sim_time_t link_book(struct pcie_rc *rc, struct link_dir *d, sim_time_t ready, sim_time_t dur);
sim_time_t link_ser(const struct pcie_slot *s, uint64_t bytes);
/* Upstream posted write of `bytes` payload at t: returns its visibility time. */
sim_time_t link_posted_up(struct pcie_fn *fn, uint32_t bytes, sim_time_t t, sim_time_t extra,
			  sim_time_t *sent);

/* pcie_msix.c */
int msix_init(struct pcie_fn *fn);
void msix_reset(struct pcie_fn *fn);
void msix_free(struct pcie_fn *fn);
/* Does [off, off+size) of BAR bar fall in the table or PBA? */
bool msix_claims(const struct pcie_fn *fn, unsigned bar, uint64_t off, unsigned size);
int msix_mmio_read(struct pcie_fn *fn, unsigned bar, uint64_t off, unsigned size, uint64_t *val);
int msix_mmio_write(struct pcie_fn *fn, unsigned bar, uint64_t off, unsigned size, uint64_t val,
		    sim_time_t when);
/* Message Control changed from old to new (enable / function mask). */
void msix_control_changed(struct pcie_fn *fn, uint16_t old, uint16_t new_ctl, sim_time_t when);

/* pcie_rc.c */
void rc_msi_post(struct pcie_rc *rc, uint64_t addr, uint32_t data, sim_time_t at);

#endif
