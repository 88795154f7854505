/* SPDX-License-Identifier: MIT */
/*
 * Private to stack/vdpa_bus/: the bus object shared by bus.c, mgmt.c, tool.c
 * and evfd.c.  Nothing outside this folder includes it.
 */
#ifndef VDPASIM_VDPA_BUS_PRIV_H
#define VDPASIM_VDPA_BUS_PRIV_H

#include "stack/vdpa_bus/vdpa_bus.h"

struct vdpa_fd_slot {
	enum vdpa_file_kind kind; /* 0: free */
	void *obj;
};

struct vdpa_bus {
	struct sim *sim;
	bool dying;
	bool autoprobe;
	struct vdpa_device *devs;     /* registered, in registration order */
	struct vdpa_driver *drivers;  /* in registration order */
	struct vdpa_mgmt_dev *mdevs;  /* in registration order */
	bool *index_used;             /* device indexes held by allocated devices */
	size_t index_cap;
	struct vdpa_fd_slot *fds;
	size_t nfds;
	struct vdpa_evfd *evfds;      /* every live eventfd, freed with the bus */
};

/* The sim's bus if it exists; never creates one. */
struct vdpa_bus *vdpa_bus_peek(const struct sim *sim);
/* Frees every eventfd still alive (bus teardown). */
void vdpa_evfd_destroy_all(struct vdpa_bus *bus);

#endif
