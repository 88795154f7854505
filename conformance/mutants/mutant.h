/* SPDX-License-Identifier: MIT */
/*
 * Private to conformance/: mutants, deliberately broken variants of the
 * built-in IFCVF device, each made to fail one check.  A mutant is a plugin
 * wrapper around ifcvf_plugin(): it forwards every callback and host service
 * and, through the hooks below, changes what the driver reads or writes
 * (MMIO), what the device reads or writes in guest memory (DMA), its
 * interrupts, its frames, or its layout.  Where a wrapper cannot express the
 * bug it passes IFCVF options.  Ring observers see the DMA as it really
 * happened: a hook that changes data the device reads changes the device's
 * view only, one that changes data it writes changes memory.
 *
 *     vdpasim conformance --device ifcvf --mutant NAME     (hidden option)
 *
 * tests/unit/test_conformance_mutants.c runs every mutant and asserts that its
 * check fails while the unmodified device passes it.
 */
#ifndef VDPASIM_CONF_MUTANT_H
#define VDPASIM_CONF_MUTANT_H

#include "conformance/conf_priv.h"
#include "sim/nic_ifcvf/nic_ifcvf.h"

#define MUT_MAXQ IFCVF_MAX_QUEUES
#define MUT_TIMERS 256

struct mut;

/* A ring the device announced (host->queue_enabled). */
struct mut_ring {
	bool on;
	bool packed;
	uint16_t size;
	uint64_t desc, driver, device;
};

struct conf_mutant {
	const char *name;
	const char *check;       /* the check it must fail */
	const char *requirement; /* a row that check must set to fail */
	const char *bug;         /* what is broken, as a vendor would meet it */
	const char *options;     /* IFCVF options, NULL: none */
	unsigned rings;          /* ring layouts to run the check in (0: split) */
	/* Feature bits the wrapper offers on top of the device's: shown in
	 * device_feature, kept from the device in driver_feature (so it keeps
	 * FEATURES_OK), read back as written.  The device does not implement
	 * them: that is the bug. */
	uint64_t extra_features;
	const struct vdpasim_device_plugin *plugin;

	/* hooks, each optional */
	void (*layout)(struct mut *m, struct vdpasim_pci_layout *l);
	/* After the device answered a driver read: may change *v. */
	void (*mmio_read)(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v);
	/* Before a driver write reaches the device: may change *v; false drops it. */
	bool (*mmio_write)(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v);
	/* After a device DMA read: may change what the device sees. */
	void (*dma_read)(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len);
	/* Before a device DMA write: may change the bytes (a copy); false drops it. */
	bool (*dma_write)(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len);
	/* Before an interrupt: false drops it; may change *vector. */
	bool (*msix_send)(struct mut *m, uint16_t *vector);
	/* Before a frame goes on the wire (a copy): false drops it. */
	bool (*net_send)(struct mut *m, uint8_t *frame, uint32_t *len);
	/* Before a frame from the wire reaches the device: false drops it. */
	bool (*net_rx)(struct mut *m, const uint8_t *frame, uint32_t len);
	/* After a function reset or a status write of 0 reached the device. */
	void (*reset)(struct mut *m);
};

struct mut_timer {
	bool live;
	uint64_t handle; /* the host's */
	vdpasim_timer_fn fn;
	uint64_t arg;
};

/* A wrapped instance. */
struct mut {
	const struct conf_mutant *m;
	const struct vdpasim_device_plugin *inner_plugin;
	void *inner;
	const struct vdpasim_host_ops *h; /* the real host */
	void *host;
	struct vdpasim_host_ops ops;      /* what the wrapped device gets */
	struct mut_timer timer[MUT_TIMERS];

	/* what the wrapper saw of the driver (IFCVF common configuration in BAR0) */
	uint16_t qsel;
	uint8_t status;
	uint64_t features;                /* driver features written */
	uint16_t cfg_vector;              /* msix_config written */
	uint16_t qvector[MUT_MAXQ];       /* queue_msix_vector written */
	bool qreset[MUT_MAXQ];            /* queue_reset written since enable */
	uint16_t qsize[MUT_MAXQ];         /* queue_size written (0: none) */
	struct mut_ring ring[MUT_MAXQ];
	unsigned resets;

	/* scratch state for hooks */
	uint64_t n[8];
	uint8_t buf[64];
};

/* Whether iova falls in one of the announced rings; *qid set. */
bool mut_in_ring(const struct mut *m, uint64_t iova, uint16_t *qid);
/* DMA through the real host (a hook reading or writing guest memory itself). */
int mut_dma_read(struct mut *m, uint64_t iova, void *dst, uint32_t len);
int mut_dma_write(struct mut *m, uint64_t iova, const void *src, uint32_t len);
/* Call the inner device's register access (bypassing the hooks). */
uint64_t mut_inner_read(struct mut *m, uint64_t off, uint8_t size);
void mut_inner_write(struct mut *m, uint64_t off, uint8_t size, uint64_t v);

int conf_mut_create(const struct conf_mutant *mu, const struct vdpasim_host_ops *ops, void *host,
		    const char *options, struct vdpasim_pci_layout *l, void **dev);
void conf_mut_destroy(void *dev);
uint64_t conf_mut_mmio_read(void *dev, uint8_t bar, uint64_t off, uint8_t size);
void conf_mut_mmio_write(void *dev, uint8_t bar, uint64_t off, uint8_t size, uint64_t v);
void conf_mut_reset(void *dev);
void conf_mut_net_rx(void *dev, uint32_t port, const void *frame, uint32_t len);
void conf_mut_net_tx_ready(void *dev, uint32_t port);
int conf_mut_control(void *dev, const char *cmd, char *reply, uint32_t len);

/* Defines mutant `id` (a const struct conf_mutant) with its own descriptor. */
#define CONF_MUTANT(id, ...)                                                                    \
	extern const struct conf_mutant id;                                                     \
	static int id##_create(const struct vdpasim_host_ops *o, void *h, const char *opt,     \
			       struct vdpasim_pci_layout *l, void **d)                          \
	{                                                                                       \
		return conf_mut_create(&id, o, h, opt, l, d);                                   \
	}                                                                                       \
	static const struct vdpasim_device_plugin id##_plugin = {                               \
		.abi_version = VDPASIM_PLUGIN_ABI_VERSION,                                      \
		.size = sizeof(struct vdpasim_device_plugin),                                   \
		.name = "ifcvf",                                                                \
		.vendor = "vdpasim (mutant)",                                                   \
		.description = "IFCVF broken on purpose: " #id,                                 \
		.model_version = "mutant",                                                      \
		.create = id##_create,                                                          \
		.destroy = conf_mut_destroy,                                                    \
		.mmio_read = conf_mut_mmio_read,                                                \
		.mmio_write = conf_mut_mmio_write,                                              \
		.reset = conf_mut_reset,                                                        \
		.net_rx = conf_mut_net_rx,                                                      \
		.net_tx_ready = conf_mut_net_tx_ready,                                          \
		.control = conf_mut_control,                                                    \
	};                                                                                      \
	const struct conf_mutant id = { .plugin = &id##_plugin, __VA_ARGS__ }

/* The registry (mutants.c), NULL-terminated, and lookup by name. */
extern const struct conf_mutant *const conf_mutants[];
const struct conf_mutant *conf_mutant_find(const char *name);

#endif
