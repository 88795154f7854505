/* SPDX-License-Identifier: MIT */
/*
 * PCIe model: a root complex (RC) with up to 32 slots on bus 0, endpoint
 * functions in them, configuration space, MMIO routing, timed DMA through the
 * IOMMU, MSI-X.
 *
 * Two sides use this header:
 *   - device models (the NIC) create a function from a struct pcie_ep_desc of
 *     identity, BARs, MSI-X layout and callbacks, then DMA, raise MSI-X and read
 *     the time of the MMIO access they are handling;
 *   - host software (drivers, the VMM) enumerates with real configuration
 *     cycles (pcie_enumerate, pcie_find_cap, pcie_cfg_read/write) and accesses
 *     BARs with pcie_mmio_read/write at the addresses it assigned.
 *
 * Topology: each slot is one point-to-point link, as if behind its own root
 * port; root-port bridges are not modelled, so the endpoints appear on bus 0
 * as device number = slot.  A requester id (RID) is PCIE_BDF(0, slot, func).
 *
 * Timing (loosely timed): data moves at the call, the model computes when it
 * would have completed.  Each link has a transmit calendar per direction
 * ("up" = device to RC, "down" = RC to device): every TLP books its
 * serialisation time in the first free gap at or after the time it is ready,
 * so TLPs never overlap on a link and a read completion that is ready early is
 * not held behind a slow one (PCIe lets completions of different requests pass
 * each other).  TLP sizes on the wire (64-bit addressing, no ECRC, with
 * framing, sequence number and LCRC; the pcie-bench accounting):
 *     MWr = 24 B + payload, MRd = 24 B, CplD = 20 B + payload.
 * Link rate = GT/s * lanes * encoding (8b/10b Gen1-2, 128b/130b Gen3-5),
 * reduced by dllp_overhead_ppm for ACK/flow-control DLLPs and SKIP ordered sets.
 * With the default dllp_overhead_ppm = 0 the link follows the pcie-bench
 * equations exactly (Neugebauer et al., SIGCOMM 2018):
 *     write wire bytes = ceil(sz/MPS)*24 + sz
 *     read: requests ceil(sz/MRRS)*24 up; completions (split below) *20 + sz down
 *     throughput = sz * link_rate / wire bytes of the busier direction.
 * Setting it to the spec-recommended ACK/UpdateFC rates reproduces the
 * pcie-bench code's "TLP bandwidth" (e.g. 81400 ppm for Gen3 x8, MPS 256:
 * ACK 8/203 + UpdateFC 8/203 + SKIP 4/1538).
 *
 * DMA reads are split into requests at MRRS-aligned addresses (never crossing
 * 4 KiB); each request takes a tag (at most read_tags outstanding per function;
 * when none is free the request waits for the earliest completion).  The RC
 * answers a request with completions of up to MPS bytes ending on RCB-aligned
 * addresses (the first may be shorter to reach an RCB boundary).  The unloaded
 * round trip of a request of n bytes, serialisation included, is
 *     rd_lat_base + n * rd_lat_per_byte   (default 530.8 ns + 0.3 ns/B: 550 ns at 64 B)
 * plus the IOMMU miss cost when its IOTLB lookup misses; queueing on a busy
 * link adds to it.  DMA writes are split into TLPs at MPS-aligned addresses;
 * a write is visible in memory wr_lat after its TLP has crossed the link (and
 * after an IOTLB miss walk), never before an earlier posted write or MSI-X
 * message of the same link (PCIe posted ordering).
 *
 * IOMMU: each 4 KiB page a DMA touches is translated once (one IOTLB lookup per
 * page per DMA; the TLPs after the first ride the entry just loaded).  The
 * whole DMA is translated before any byte moves: a blocked page fails the DMA
 * with -EFAULT and nothing is read or written.
 *
 * Calls should be made in non-decreasing issue time per link (as a device's
 * engines naturally do); an earlier issue time still books correctly against
 * the reservations the calendar keeps, which covers a bounded recent window.
 */
#ifndef VDPASIM_PCIE_H
#define VDPASIM_PCIE_H

#include "sim/engine/engine.h"
#include "sim/iommu/iommu.h"
#include "sim/mem/mem.h"

#include <stdbool.h>
#include <stdint.h>

#define PCIE_SLOTS 32
#define PCIE_FUNCS 8
#define PCIE_BDF(bus, dev, fn) ((uint16_t)(((bus) << 8) | ((dev) << 3) | (fn)))
#define PCIE_CFG_SPACE 4096
#define PCIE_DMA_MAX (16u << 20) /* largest single DMA */
#define PCIE_MSIX_MAX 2048

struct pcie_rc;
struct pcie_fn;

/* ---- Link and timing parameters (per slot) ----------------------------------------------- */

struct pcie_link_cfg {
	unsigned gen;		    /* 1..5 (2.5, 5, 8, 16, 32 GT/s) */
	unsigned width;		    /* lanes: 1, 2, 4, 8, 16 */
	unsigned mps;		    /* Max_Payload_Size firmware programs in Device Control */
	unsigned mrrs;		    /* Max_Read_Request_Size likewise (128..4096) */
	unsigned rcb;		    /* root port read completion boundary: 64 or 128 */
	unsigned read_tags;	    /* outstanding read requests per function, 1..1024 */
	uint32_t dllp_overhead_ppm; /* link share lost to ACK/FC DLLPs, SKIP; default 0 */
	sim_time_t rd_lat_base;	    /* unloaded read round trip: base ... */
	sim_time_t rd_lat_per_byte; /* ... plus this per byte requested */
	sim_time_t wr_lat;	    /* DMA write: end of TLP on the link -> visible in memory */
	sim_time_t mmio_wr_lat;	    /* host posted MMIO write: end of TLP -> device sees it */
	sim_time_t mmio_rd_lat;	    /* host MMIO read round trip, unloaded */
};

/* Gen3 x8, MPS 256, MRRS 512, RCB 64, 64 tags, no DLLP overhead, read latency
 * 530.8 ns + 0.3 ns/B, DMA write visibility 250 ns, MMIO write 250 ns, MMIO
 * read 800 ns. */
void pcie_link_cfg_default(struct pcie_link_cfg *c);
/* Link rate after encoding and DLLP overhead, in Gbit/s. */
double pcie_link_gbps(const struct pcie_link_cfg *c);

/* ---- Root complex -------------------------------------------------------------------------- */

/* Host MSI target: called from an engine event at the delivery time. */
typedef void (*pcie_msi_fn)(void *ctx, uint64_t addr, uint32_t data);

/*
 * mem is host physical memory (DMA target); iommu may be NULL (no remapping:
 * IOVA = physical address).  default_link applies to slots not configured with
 * pcie_rc_set_link (NULL = pcie_link_cfg_default).  The RC must be freed before
 * its sim, mem and iommu; freeing it cancels undelivered MSI-X messages.
 */
struct pcie_rc *pcie_rc_new(struct sim *sim, struct mem *mem, struct iommu *iommu,
			    const struct pcie_link_cfg *default_link);
void pcie_rc_free(struct pcie_rc *rc);
struct sim *pcie_rc_sim(const struct pcie_rc *rc);
/* Configure a slot's link; -EBUSY once a function sits in the slot. */
int pcie_rc_set_link(struct pcie_rc *rc, unsigned slot, const struct pcie_link_cfg *cfg);

/* Default interrupt target for messages no route claims (NULL: dropped and
 * counted in pcie_rc_msi_unclaimed). */
void pcie_rc_set_msi_handler(struct pcie_rc *rc, pcie_msi_fn fn, void *ctx);
/* Route messages with addr in [addr, addr+len) and data in [data_lo, data_hi]
 * to fn (first added route wins).  *id names it for removal. */
int pcie_rc_add_msi_route(struct pcie_rc *rc, uint64_t addr, uint64_t len, uint32_t data_lo,
			  uint32_t data_hi, pcie_msi_fn fn, void *ctx, unsigned *id);
int pcie_rc_del_msi_route(struct pcie_rc *rc, unsigned id);
uint64_t pcie_rc_msi_delivered(const struct pcie_rc *rc);
uint64_t pcie_rc_msi_unclaimed(const struct pcie_rc *rc);

/* Conventional (hot) reset of every function in a slot: config space back to
 * power-on values, ops->reset(ctx, PCIE_RESET_HOT). */
int pcie_rc_slot_reset(struct pcie_rc *rc, unsigned slot);

/* ---- Endpoint functions (device-model side) ------------------------------------------------ */

#define PCIE_BAR_64 0x1u	/* 64-bit memory BAR: uses the next BAR slot too */
#define PCIE_BAR_PREFETCH 0x2u

struct pcie_bar_desc {
	uint64_t size; /* 0 = unused; else a power of two >= 16 */
	unsigned flags;
};

enum pcie_reset_kind {
	PCIE_RESET_FLR = 1, /* Function Level Reset via Device Control */
	PCIE_RESET_HOT,	    /* conventional reset of the slot */
};

/*
 * Callbacks a device model provides.  All optional (a missing mmio_read reads
 * zeros).  ctx is pcie_ep_desc.ctx.  Return 0 or a negative errno; an error
 * from mmio_read makes the host see all ones.
 */
struct pcie_ep_ops {
	/* BAR access at offset off of BAR `bar` (the index of its low slot), size
	 * 1, 2, 4 or 8, naturally aligned.  The time the access reaches the device
	 * is pcie_mmio_arrival(fn) during the call.  MSI-X table/PBA ranges never
	 * reach these callbacks. */
	int (*mmio_read)(void *ctx, unsigned bar, uint64_t off, unsigned size, uint64_t *val);
	int (*mmio_write)(void *ctx, unsigned bar, uint64_t off, unsigned size, uint64_t val);
	/* Config accesses inside windows claimed with pcie_fn_claim_cfg(). */
	int (*cfg_read)(void *ctx, uint16_t off, unsigned size, uint32_t *val);
	int (*cfg_write)(void *ctx, uint16_t off, unsigned size, uint32_t val);
	/* After the PCIe layer reset the function's config space and MSI-X state. */
	void (*reset)(void *ctx, enum pcie_reset_kind kind);
};

struct pcie_ep_desc {
	uint16_t vendor_id, device_id;
	uint16_t subsys_vendor_id, subsys_id;
	uint8_t revision;
	uint32_t class_code;	/* 24 bits: base class, subclass, prog-if */
	unsigned max_gen;	/* link capability; 0 = whatever the slot offers */
	unsigned max_width;
	unsigned max_payload;	/* Max_Payload_Size Supported; 0 = 4096 */
	struct pcie_bar_desc bar[6];
	unsigned msix_vectors;	/* 0 = no MSI-X capability; else 1..2048 */
	unsigned msix_table_bar; /* BAR index and 8-byte aligned offset of the table */
	uint32_t msix_table_off;
	unsigned msix_pba_bar;
	uint32_t msix_pba_off;
	const struct pcie_ep_ops *ops;
	void *ctx;
};

/*
 * Plug a function into slot/func.  The PCIe layer builds the type 0 header,
 * a PCI Express capability (v2, endpoint, FLR capable, link capabilities and
 * status from the negotiated link) and, if msix_vectors, an MSI-X capability.
 * Errors: -EINVAL (bad descriptor: BAR size, overlapping 64-bit BAR, MSI-X
 * table/PBA outside its BAR or overlapping), -EBUSY (occupied), -ENOMEM.
 */
int pcie_fn_create(struct pcie_rc *rc, unsigned slot, unsigned func,
		   const struct pcie_ep_desc *desc, struct pcie_fn **out);
/* Unplug and free (host accesses then see no device). */
void pcie_fn_destroy(struct pcie_fn *fn);

/*
 * Append a capability to the list: cap[0] is its id, cap[1] (next pointer) is
 * filled in by the layer, the rest is the payload as the device lays it out
 * (for a vendor-specific capability, id 0x09, cap[2] is its length, e.g. a
 * struct virtio_pci_cap).  The bytes are read-only to the host unless claimed.
 * *off receives its config offset.  -ENOSPC when the 256-byte space is full.
 */
int pcie_fn_add_cap(struct pcie_fn *fn, const void *cap, unsigned len, uint16_t *off);
/* Route host config accesses in [off, off+len) (dword aligned) to
 * ops->cfg_read/cfg_write, e.g. the data window of a virtio PCI cfg capability. */
int pcie_fn_claim_cfg(struct pcie_fn *fn, uint16_t off, uint16_t len);
/* Device-side view of its own config bytes (no side effects). */
int pcie_fn_cfg_peek(const struct pcie_fn *fn, uint16_t off, unsigned size, uint32_t *val);

uint16_t pcie_fn_bdf(const struct pcie_fn *fn);
struct sim *pcie_fn_sim(const struct pcie_fn *fn);
struct pcie_rc *pcie_fn_rc(const struct pcie_fn *fn);
bool pcie_fn_mem_enabled(const struct pcie_fn *fn);
bool pcie_fn_bus_master(const struct pcie_fn *fn);
/* Address the host programmed into a BAR (meaningful once memory is enabled). */
uint64_t pcie_fn_bar_addr(const struct pcie_fn *fn, unsigned bar);

struct pcie_link_info {
	unsigned gen, width;	      /* negotiated */
	unsigned mps, mrrs, rcb;      /* in effect (Device Control / root port) */
	unsigned read_tags;
	double gbps;		      /* link rate after encoding and DLLP overhead */
	/* link totals (all functions of the slot, DMA, MSI-X and MMIO) */
	uint64_t up_wire_bytes, down_wire_bytes;
	sim_time_t up_busy, down_busy; /* serialisation time booked per direction */
};
void pcie_fn_link_info(const struct pcie_fn *fn, struct pcie_link_info *out);

/* Arrival time at the device of the MMIO access being delivered; valid inside
 * the mmio_read/mmio_write callbacks (eng_now() elsewhere).  A doorbell handler
 * schedules its work at this time. */
sim_time_t pcie_mmio_arrival(const struct pcie_fn *fn);

/* ---- DMA (device-initiated) ---------------------------------------------------------------- */

/*
 * Read len bytes at iova into dst, issued at `issue` (an earlier time than
 * eng_now() is taken as now).  *done is
 * when the last completion reaches the device.  asid 0 = request without
 * PASID.  Errors (nothing moved, *done = issue): -EPERM bus mastering off,
 * -EFAULT IOMMU blocked (fault logged), -EIO address beyond host memory,
 * -EINVAL len > PCIE_DMA_MAX.  len 0 is a no-op.
 */
int pcie_dma_read(struct pcie_fn *fn, uint64_t iova, void *dst, uint32_t len, sim_time_t issue,
		  sim_time_t *done);
/* Write; *done is when the data is visible in host memory (posted ordering). */
int pcie_dma_write(struct pcie_fn *fn, uint64_t iova, const void *src, uint32_t len,
		   sim_time_t issue, sim_time_t *done);
int pcie_dma_read_as(struct pcie_fn *fn, uint32_t asid, uint64_t iova, void *dst, uint32_t len,
		     sim_time_t issue, sim_time_t *done);
/* *sent: when the last TLP has left the device (its DMA engine is free again). */
int pcie_dma_write_as(struct pcie_fn *fn, uint32_t asid, uint64_t iova, const void *src,
		      uint32_t len, sim_time_t issue, sim_time_t *sent, sim_time_t *done);

/*
 * Accessor adapter for code that walks rings through
 *     int (*read)(void *ctx, uint64_t addr, void *dst, uint32_t len)
 *     int (*write)(void *ctx, uint64_t addr, const void *src, uint32_t len)
 * with ctx = &cursor.  Each access is issued at cursor.t; a read advances t to
 * its data arrival (a dependent access cannot start earlier), a write advances
 * t to when its last TLP left the device (posted writes pipeline) and raises
 * `visible`.  A device model does a batch of accesses, then schedules its next
 * step at cursor.t.  The first error is kept in err.
 */
struct pcie_dma_cursor {
	struct pcie_fn *fn;
	uint32_t asid;
	sim_time_t t;
	sim_time_t visible;
	int err;
};

static inline void pcie_dma_cursor_init(struct pcie_dma_cursor *c, struct pcie_fn *fn,
					uint32_t asid, sim_time_t t)
{
	c->fn = fn;
	c->asid = asid;
	c->t = t;
	c->visible = t;
	c->err = 0;
}

int pcie_dma_cursor_read(void *ctx, uint64_t addr, void *dst, uint32_t len);
int pcie_dma_cursor_write(void *ctx, uint64_t addr, const void *src, uint32_t len);

/* ---- MSI-X (device side) ------------------------------------------------------------------- */

/*
 * Signal vector at time t (clamped to eng_now()).  Masked (vector or function
 * mask): sets the pending bit, delivered when unmasked.  Otherwise the message
 * (address/data read from the table now) goes upstream as a 4-byte posted
 * write and reaches the host handler at its delivery time.  -ENODEV no MSI-X
 * capability, -EINVAL vector out of range, -ENXIO MSI-X not enabled, -EPERM
 * bus mastering off.
 */
int pcie_msix_notify(struct pcie_fn *fn, unsigned vector, sim_time_t t);
bool pcie_msix_enabled(const struct pcie_fn *fn);
bool pcie_msix_masked(const struct pcie_fn *fn, unsigned vector); /* vector or function mask */
bool pcie_msix_pending(const struct pcie_fn *fn, unsigned vector);

/* ---- Statistics ------------------------------------------------------------------------------ */

/* Per function, by TLP kind; bytes are payload bytes unless named wire. */
struct pcie_fn_stats {
	uint64_t mrd_tlps, mrd_bytes;	/* DMA read requests sent, bytes requested */
	uint64_t cpld_tlps, cpld_bytes; /* completions with data received for them */
	uint64_t mwr_tlps, mwr_bytes;	/* DMA memory writes */
	uint64_t msix_tlps, msix_bytes; /* MSI-X messages sent */
	uint64_t msix_pended;		/* notifications held by a mask */
	uint64_t mmio_rd, mmio_wr;	/* host accesses to the BARs (incl. MSI-X table) */
	uint64_t up_wire_bytes;		/* all TLP bytes device -> RC, overheads included */
	uint64_t down_wire_bytes;	/* all TLP bytes RC -> device */
	uint64_t dma_reads, dma_writes; /* DMA calls that moved data */
	uint64_t dma_faults;		/* refused by the IOMMU */
	uint64_t dma_refused;		/* refused: bus master off, bad address, too long */
	uint64_t iotlb_misses;		/* page walks this function caused */
	sim_time_t tag_wait;		/* total time read requests waited for a tag */
};
void pcie_fn_stats(const struct pcie_fn *fn, struct pcie_fn_stats *out);
void pcie_fn_stats_reset(struct pcie_fn *fn);

/* ---- Host side: configuration cycles, enumeration, MMIO ------------------------------------ */

/* Config read/write of bus 0 functions; size 1, 2, 4 naturally aligned.  A
 * missing function reads all ones and returns -ENODEV (writes are dropped). */
int pcie_cfg_read(struct pcie_rc *rc, uint16_t bdf, uint16_t off, unsigned size, uint32_t *val);
int pcie_cfg_write(struct pcie_rc *rc, uint16_t bdf, uint16_t off, unsigned size, uint32_t val);

struct pcie_host_bar {
	uint64_t addr; /* assigned address */
	uint64_t size; /* 0: unused (or upper half of a 64-bit BAR) */
	unsigned flags; /* PCIE_BAR_64, PCIE_BAR_PREFETCH as read from the register */
};

/* What host software learned about one function. */
struct pcie_host_fn {
	struct pcie_rc *rc;
	uint16_t bdf;
	uint16_t vendor_id, device_id, subsys_vendor_id, subsys_id;
	uint8_t revision, header_type;
	uint32_t class_code;
	struct pcie_host_bar bar[6];
};

/*
 * Enumerate bus 0 with config cycles: find functions (vendor id != 0xffff,
 * multi-function header bit), read their ids, size the memory BARs by writing
 * all ones, assign addresses from [mmio_base, mmio_base + mmio_size) (naturally
 * aligned, largest first; 32-bit BARs must land below 4 GiB), program them and
 * enable memory decoding and bus mastering.  Fills out[0..*n) in bdf order.
 * -ENOSPC window too small, -EOVERFLOW more than max functions.
 */
int pcie_enumerate(struct pcie_rc *rc, uint64_t mmio_base, uint64_t mmio_size,
		   struct pcie_host_fn *out, unsigned max, unsigned *n);
/*
 * Capability walk with config reads: start 0 searches from the capabilities
 * pointer, start = a capability's offset continues after it (to find the next
 * vendor-specific one).  Returns the offset (> 0) or -ENOENT.  Bounded against
 * malformed (looping) lists.
 */
int pcie_find_cap(const struct pcie_host_fn *hf, uint8_t id, uint8_t start);
/* Convenience over pcie_cfg_read/write for one function. */
int pcie_host_cfg_read(const struct pcie_host_fn *hf, uint16_t off, unsigned size, uint32_t *val);
int pcie_host_cfg_write(const struct pcie_host_fn *hf, uint16_t off, unsigned size, uint32_t val);

/*
 * Host MMIO, issued at eng_now(), routed to the function whose enabled BAR holds
 * addr (the whole access must fit in the BAR).  Functionally immediate.
 * read: *rtt (optional) is the round trip the CPU waits for the value.
 * write: *arrival (optional) is when the device sees it (posted).
 * -ENODEV: no function decodes the address (memory decode off, unassigned): a
 * read returns all ones, a write is dropped.  -EINVAL bad size/alignment.
 */
int pcie_mmio_read(struct pcie_rc *rc, uint64_t addr, unsigned size, uint64_t *val,
		   sim_time_t *rtt);
int pcie_mmio_write(struct pcie_rc *rc, uint64_t addr, unsigned size, uint64_t val,
		    sim_time_t *arrival);

#endif
