/* SPDX-License-Identifier: MIT */
/*
 * vdpasim device plugin ABI.
 *
 * A device model (built in, or a vendor's shared object) is a PCIe function the
 * simulator places in a slot.  The model sees the platform only through the
 * host services below; the simulator sees the model only through the
 * descriptor.  Because every built-in device uses this same ABI, every test
 * exercises it.
 *
 * A shared object exports one symbol:
 *
 *     const struct vdpasim_device_plugin *vdpasim_device_plugin_v1(void);
 *
 * and the simulator refuses a descriptor whose abi_version differs from
 * VDPASIM_PLUGIN_ABI_VERSION.  Only C types of fixed width cross the boundary;
 * structs carry their own size so later versions can append fields.
 *
 * Threading: none.  All callbacks run on the simulator's thread, inside an
 * event; a model must not block and must not keep pointers to buffers the
 * host passes in beyond the call.
 *
 * Time is simulated picoseconds.  Data moves at the moment of a call; timing
 * is returned: DMA calls take the time the request is issued and return the
 * time it completes, and the model schedules its next step at that time.
 */
#ifndef VDPASIM_DEVICE_PLUGIN_H
#define VDPASIM_DEVICE_PLUGIN_H

#include <stdint.h>

#define VDPASIM_PLUGIN_ABI_VERSION 1
#define VDPASIM_PLUGIN_SYMBOL "vdpasim_device_plugin_v1"

#define VDPASIM_MAX_BARS 6
#define VDPASIM_MAX_VENDOR_CAPS 16
#define VDPASIM_VENDOR_CAP_MAX_LEN 64

/* Log levels for host->log. */
enum vdpasim_log_level {
	VDPASIM_LOG_ERROR = 0,
	VDPASIM_LOG_WARN = 1,
	VDPASIM_LOG_INFO = 2,
	VDPASIM_LOG_DEBUG = 3,
};

typedef void (*vdpasim_timer_fn)(void *dev, uint64_t arg);

/*
 * Services the simulator gives one device instance.  `host` is an opaque
 * handle passed back as the first argument.  Every int-returning service
 * returns 0 or a negative errno.
 */
struct vdpasim_host_ops {
	uint32_t size; /* sizeof(struct vdpasim_host_ops) the host was built with */

	/* Device-initiated DMA through the IOMMU, timed at TLP granularity.
	 * *t_ps: in, the time the request is issued (>= now); out, completion.
	 * A blocked access (IOMMU fault, bus mastering off) returns -EFAULT and
	 * moves no data. */
	int (*dma_read)(void *host, uint64_t iova, void *dst, uint32_t len, uint64_t *t_ps);
	int (*dma_write)(void *host, uint64_t iova, const void *src, uint32_t len,
			 uint64_t *t_ps);

	/* Signal MSI-X vector `vector` at time at_ps (>= now).  The platform
	 * applies the table's mask bits and the PBA; -EINVAL for a vector
	 * beyond the table, -EAGAIN when MSI-X is disabled. */
	int (*msix_send)(void *host, uint16_t vector, uint64_t at_ps);

	uint64_t (*now)(void *host);
	/* Run fn(dev, arg) at at_ps; returns a nonzero handle, 0 on failure. */
	uint64_t (*timer_add)(void *host, uint64_t at_ps, vdpasim_timer_fn fn, uint64_t arg);
	int (*timer_cancel)(void *host, uint64_t handle);

	void (*log)(void *host, enum vdpasim_log_level level, const char *msg);
	/* Structured trace record (component is the device's instance name). */
	void (*trace)(void *host, const char *event, const char *kv);
	/* The device's own deterministic random stream. */
	uint64_t (*rng_next)(void *host);
	/* Count a named statistic (e.g. "rx_drops"), visible to scenarios. */
	void (*stat_add)(void *host, const char *name, uint64_t delta);

	/* Ethernet ports (net devices).  net_send copies the frame (without
	 * FCS) onto the wire at at_ps; -ENOBUFS when the transmit queue is
	 * full.  net_tx_free_at says when the port's transmitter is idle. */
	int (*net_send)(void *host, uint32_t port, const void *frame, uint32_t len,
			uint64_t at_ps);
	uint64_t (*net_tx_free_at)(void *host, uint32_t port);

	/* Ring accesses the observer should classify (optional for the host to
	 * act on): the device announces where a queue's rings live once the
	 * driver enabled it, so the observer can check every DMA against the
	 * ring rules without knowing the control path. */
	void (*queue_enabled)(void *host, uint16_t qid, uint16_t size, int packed,
			      uint64_t desc, uint64_t driver, uint64_t device, uint64_t features);
	void (*queue_disabled)(void *host, uint16_t qid);

	/* The device reports a guest error (malformed ring, DMA fault): it has
	 * set DEVICE_NEEDS_RESET; `violation` is a stable rule id. */
	void (*device_error)(void *host, uint16_t qid, const char *violation, const char *detail);
};

/* A vendor-specific PCI capability (cap id 0x09): the bytes after the
 * id/next fields, written into config space by the host in list order. */
struct vdpasim_vendor_cap {
	uint8_t len; /* total capability length including id and next */
	uint8_t bytes[VDPASIM_VENDOR_CAP_MAX_LEN]; /* bytes[0..1] are filled in by the host */
};

struct vdpasim_bar_desc {
	uint64_t size; /* 0: BAR unused; else a power of two >= 16 */
	uint8_t is_64bit;
	uint8_t prefetchable;
};

/* What an instance looks like on PCIe, filled in by create(). */
struct vdpasim_pci_layout {
	uint32_t size; /* sizeof(struct vdpasim_pci_layout) */
	uint16_t vendor_id, device_id;
	uint16_t subsys_vendor_id, subsys_id;
	uint32_t class_code; /* 24-bit: base class, subclass, prog-if */
	uint8_t revision;
	/* PCI Express link the device trains to (the slot may limit it). */
	uint8_t link_gen;   /* 1..5 */
	uint8_t link_width; /* 1, 2, 4, 8, 16 */
	uint16_t max_payload;      /* bytes the device supports (MPS cap) */
	struct vdpasim_bar_desc bars[VDPASIM_MAX_BARS];
	/* MSI-X table and PBA: the host implements their register semantics. */
	uint16_t msix_vectors; /* 0: no MSI-X */
	uint8_t msix_table_bar, msix_pba_bar;
	uint32_t msix_table_offset, msix_pba_offset;
	uint8_t nr_vendor_caps;
	struct vdpasim_vendor_cap vendor_caps[VDPASIM_MAX_VENDOR_CAPS];
	uint8_t nr_net_ports;
};

struct vdpasim_device_plugin {
	uint32_t abi_version; /* VDPASIM_PLUGIN_ABI_VERSION */
	uint32_t size;        /* sizeof(struct vdpasim_device_plugin) */
	const char *name;     /* short model name, e.g. "ifcvf" */
	const char *vendor;   /* who made the model */
	const char *description;
	const char *model_version;

	/* Make an instance.  `options` is a "key=value,key=value" string
	 * (model-specific; unknown keys are an error: -EINVAL and a log line).
	 * Fills *layout.  Returns 0 and the instance in *dev, or -errno. */
	int (*create)(const struct vdpasim_host_ops *ops, void *host, const char *options,
		      struct vdpasim_pci_layout *layout, void **dev);
	void (*destroy)(void *dev);

	/* BAR accesses by the host CPU.  size is 1, 2, 4 or 8; offsets are
	 * within the BAR.  Accesses to the MSI-X table/PBA never reach here. */
	uint64_t (*mmio_read)(void *dev, uint8_t bar, uint64_t offset, uint8_t size);
	void (*mmio_write)(void *dev, uint8_t bar, uint64_t offset, uint8_t size, uint64_t value);

	/* Function level reset (and power-on). */
	void (*reset)(void *dev);

	/* A frame arrived on an Ethernet port (net devices; may be NULL). */
	void (*net_rx)(void *dev, uint32_t port, const void *frame, uint32_t len);
	/* The port's transmitter became idle after net_send returned -ENOBUFS. */
	void (*net_tx_ready)(void *dev, uint32_t port);

	/* Optional: fault injection and inspection hooks used by tests and
	 * the conformance suite ("name=value" commands; -EOPNOTSUPP if not
	 * known).  May be NULL. */
	int (*control)(void *dev, const char *command, char *reply, uint32_t reply_len);
};

typedef const struct vdpasim_device_plugin *(*vdpasim_device_plugin_fn)(void);

#endif
