/* SPDX-License-Identifier: MIT */
/*
 * Device host: the simulator's side of the device plugin ABI
 * (include/vdpasim/device_plugin.h).  One struct devh places one device
 * model instance, built in or loaded from a shared object, in a PCIe slot:
 *
 *   - it calls plugin->create with host services implemented over the
 *     platform: DMA through pcie_dma_read/pcie_dma_write (timed, through the
 *     IOMMU; any refusal is -EFAULT), MSI-X through pcie_msix_notify, time and
 *     timers on the event core, log/trace as trace records named after the
 *     instance, an RNG stream eng_rng_stream(sim, name), statistics
 *     "dev.<name>.<stat>", and one sim/net port per device Ethernet port;
 *   - it builds the PCIe function from the layout the model filled in (ids,
 *     BARs, MSI-X, vendor capabilities in list order, link capabilities) and
 *     routes BAR accesses to mmio_read/mmio_write and FLR/hot reset to reset;
 *   - it watches the rings: when the model announces an enabled queue
 *     (host->queue_enabled) a ring observer (vq_obs) is created for it and
 *     every DMA the model makes is fed to every observer as a raw device
 *     access.  The observer infers the driver's writes from what the device
 *     reads, so it needs nothing from the driver side.
 *
 * Timing notes.  host->now() is eng_now().  The ABI gives a model no arrival
 * time for an MMIO write (pcie_mmio_arrival is not exposed); models add their
 * own doorbell latency.  net_send at a future at_ps goes through a per-port
 * FIFO (depth DEVH_NET_FIFO frames; -ENOBUFS when full) that hands frames to
 * the port at their time in order; net_tx_ready fires once room comes back.
 * DMA writes return their visibility time (posted: a model need not wait).
 *
 * Gaps in ABI v1 bridged by convention here:
 *   - carrier: the ABI has no link-change callback; a port's carrier changes
 *     are passed to plugin->control as "carrier<port>=up" / "carrier<port>=down"
 *     (a model that does not know the command returns -EOPNOTSUPP, ignored).
 *   - the virtio PCI configuration access capability (vendor cap with
 *     cfg_type VIRTIO_PCI_CAP_PCI_CFG, 20 bytes or more): the ABI has no
 *     config-space callbacks, so the host emulates it: bar/offset/length are
 *     writable and pci_cfg_data performs the BAR access through
 *     mmio_read/mmio_write (virtio 1.3 4.1.4.9).
 *   - MSI-X sends are fed to the observers as device notifications only for
 *     queues the platform mapped with devh_queue_vector (the ABI does not tell
 *     which queues a vector serves); otherwise interrupt rules (missing /
 *     needless interrupts) are not judged here.  queue_enabled carries no
 *     start state either: observers it creates start from a fresh ring, so a
 *     queue restored at a non-zero index (live migration) is observed
 *     faithfully only when the platform declares it with devh_observe.
 *
 * Platform-declared rings.  A driver that knows where its rings are (the
 * conformance suite) declares them with devh_observe: that queue's observer
 * is then built from the driver's configuration and start state and the
 * model's queue_enabled / queue_disabled announcements for it no longer
 * replace or retire it (they are traced), so a model that announces nothing,
 * or the wrong rings, is still observed.  devh_obs_listen hands every
 * observer event to the platform with its queue id; devh_set_dma_tap shows
 * the platform every DMA the model makes, refused ones included.
 *
 * Lifetime: destroy the devh before its pcie_rc and before links attached
 * to its ports.  Functions return 0 or a negative errno.
 */
#ifndef VDPASIM_DEVHOST_H
#define VDPASIM_DEVHOST_H

#include "sim/engine/engine.h"
#include "sim/net/net.h"
#include "sim/pcie/pcie.h"
#include "sim/virtio_ring/virtio_ring.h"
#include "vdpasim/device_plugin.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEVH_MAX_PORTS 8
#define DEVH_MAX_QUEUES 1024 /* observed queue ids 0..DEVH_MAX_QUEUES-1 */
#define DEVH_NET_FIFO 1024   /* frames a port holds for future send times */
#define DEVH_ERRORS_KEPT 64
#define DEVH_OBS_TEXT_KEPT 64

struct devh;

/* ---- Plugins ------------------------------------------------------------------------------ */

/*
 * Check a descriptor before use: -EPROTO for an ABI version other than
 * VDPASIM_PLUGIN_ABI_VERSION, -EINVAL for a size too small for ABI v1 or a
 * missing mandatory field (name, create, destroy, mmio_read, mmio_write,
 * reset).  err (may be NULL) receives a one-line explanation.
 */
int devh_plugin_check(const struct vdpasim_device_plugin *p, char *err, size_t errlen);
/*
 * dlopen() a shared object, call its VDPASIM_PLUGIN_SYMBOL and check the
 * descriptor.  -ENOENT (cannot open), -ENOEXEC (no such symbol, or it
 * returned NULL), or devh_plugin_check's error; err says which.  The object
 * stays loaded for the life of the process.
 */
int devh_plugin_load(const char *path, const struct vdpasim_device_plugin **out, char *err,
		     size_t errlen);

/* ---- Instances ---------------------------------------------------------------------------- */

/*
 * Create an instance of plugin in slot (function 0) of rc, named `name`
 * (NULL: "<plugin name><slot>"), with the model's options string (may be
 * NULL).  Errors: devh_plugin_check's, the model's create error, -EINVAL
 * for a layout the host cannot build (bad BAR, MSI-X or capability), -EBUSY
 * for an occupied slot, -ENOMEM.  After success the model has been reset
 * once (power-on).
 */
int devh_create(struct sim *sim, struct pcie_rc *rc, unsigned slot,
		const struct vdpasim_device_plugin *plugin, const char *options, const char *name,
		struct devh **out);
/* Destroys the model, cancels its timers, frees observers and ports.  NULL ok. */
void devh_destroy(struct devh *dh);

const char *devh_name(const struct devh *dh);
struct pcie_fn *devh_fn(const struct devh *dh);
const struct vdpasim_device_plugin *devh_plugin(const struct devh *dh);
void *devh_dev(const struct devh *dh); /* the model instance */
/* The PCI layout the model filled in at create. */
const struct vdpasim_pci_layout *devh_layout(const struct devh *dh);

/* Pass a command to plugin->control (-EOPNOTSUPP when the model has none). */
int devh_control(struct devh *dh, const char *cmd, char *reply, size_t reply_len);

/* ---- Ethernet ports ----------------------------------------------------------------------- */

unsigned devh_net_ports(const struct devh *dh);
/* Port i (named "<name>.p<i>"), to connect with net_link_new(); NULL past the end. */
struct net_port *devh_net_port(struct devh *dh, unsigned i);
/* Frames the host dropped after the model handed them over (link down, no
 * link, frame refused by the link). */
uint64_t devh_net_dropped(const struct devh *dh, unsigned port);

/* ---- Ring observers ----------------------------------------------------------------------- */

/* The observer of queue qid while the model has it enabled, else NULL. */
struct vq_obs *devh_observer(const struct devh *dh, uint16_t qid);
/* Observer events (violations and warnings) over every queue since create,
 * including observers already retired.  0 means "the observer stayed silent". */
uint64_t devh_violations(const struct devh *dh);
uint64_t devh_violations_level(const struct devh *dh, enum vq_level level);
/* Events by the side that broke the rule: VQ_ACTOR_DEVICE are the model's,
 * VQ_ACTOR_DRIVER the driver's (as inferred from what the device read). */
uint64_t devh_violations_by(const struct devh *dh, enum vq_actor actor);
/* The first DEVH_OBS_TEXT_KEPT events as text ("q3 SPLIT-DEV-15 device ...");
 * -ENOENT past the kept ones. */
int devh_violation_text(const struct devh *dh, unsigned i, char *buf, size_t len);

/* ---- Platform-declared rings, interrupts and DMA tap -------------------------------------- */

/*
 * Observe queue qid from the driver's own configuration (cfg as in
 * vq_obs_create; start NULL: fresh).  Replaces any observer of qid and pins
 * it: model announcements for qid are only traced until devh_unobserve or a
 * function reset.  0, -EINVAL (qid, or a ring the observer refuses), -ENOMEM.
 */
int devh_observe(struct devh *dh, uint16_t qid, const struct vq_config *cfg,
		 const struct vq_state *start);
/* Retire qid's observer (its events stay counted) and unpin it. */
void devh_unobserve(struct devh *dh, uint16_t qid);
/* The MSI-X vector the platform mapped queue qid to (0xffff: none): every
 * msix_send of it is told to qid's observer as a device notification. */
void devh_queue_vector(struct devh *dh, uint16_t qid, uint16_t vector);

typedef void (*devh_obs_listener)(void *ctx, uint16_t qid, const struct vq_obs_event *ev);
/* Called for every observer event from now on (NULL: none). */
void devh_obs_listen(struct devh *dh, devh_obs_listener fn, void *ctx);

/* Every DMA the model asks for: data is what moved (NULL when refused),
 * result 0 or the errno the model got. */
typedef void (*devh_dma_tap_fn)(void *ctx, bool write, uint64_t iova, const void *data,
				uint32_t len, int result);
void devh_set_dma_tap(struct devh *dh, devh_dma_tap_fn fn, void *ctx);

/* ---- Errors the model reported (host->device_error) ---------------------------------------- */

struct devh_error {
	sim_time_t time;
	uint16_t qid;
	char violation[48];
	char detail[128];
};
/* Count of reports since create. */
unsigned devh_errors(const struct devh *dh);
/* Report i of the first DEVH_ERRORS_KEPT; -ENOENT beyond. */
int devh_error_get(const struct devh *dh, unsigned i, struct devh_error *out);

/* ---- Log lines ---------------------------------------------------------------------------- */

/* Lines the model logged at a level; the last line logged at any level. */
uint64_t devh_log_count(const struct devh *dh, enum vdpasim_log_level level);
const char *devh_last_log(const struct devh *dh);

#endif
