// SPDX-License-Identifier: MIT
/*
 * The sim's fd table and eventfd objects (Linux fs/eventfd.c counter
 * semantics, non-blocking).  They carry kicks from the VMM to vhost_vdpa,
 * interrupts from vhost_vdpa to the VMM, and config interrupts.
 */
#include "stack/vdpa_bus/bus_priv.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define FD_FIRST 3

struct vdpa_evfd {
	struct vdpa_bus *bus;
	int fd; /* -1 once closed */
	unsigned int refs;
	uint64_t count;
	uint64_t signals;
	/* Like the kernel's wait queue, any number of waiters: one eventfd may be
	 * the kick of every queue of a device (slots grow, ids stay). */
	struct evfd_waiter {
		vdpa_evfd_wake_fn fn;
		void *ctx;
	} *waiters;
	unsigned int nwaiters; /* slots */
	struct vdpa_evfd *prev, *next; /* bus->evfds */
};

/* ---- fd table ------------------------------------------------------------ */

int vdpa_fd_install(struct sim *sim, enum vdpa_file_kind kind, void *obj)
{
	struct vdpa_bus *bus = vdpa_bus_get(sim);
	size_t i;

	if (!bus)
		return -ENOMEM;
	if (kind != VDPA_FILE_EVENTFD && kind != VDPA_FILE_VHOST_VDPA && kind != VDPA_FILE_OTHER)
		return -EINVAL;
	for (i = FD_FIRST; i < bus->nfds; i++)
		if (!bus->fds[i].kind)
			break;
	if (i >= VDPA_FD_MAX)
		return -EMFILE;
	if (i >= bus->nfds) {
		size_t n = bus->nfds ? bus->nfds * 2 : 32;
		struct vdpa_fd_slot *p;

		if (n > VDPA_FD_MAX)
			n = VDPA_FD_MAX;
		p = realloc(bus->fds, n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		memset(p + bus->nfds, 0, (n - bus->nfds) * sizeof(*p));
		bus->fds = p;
		if (i < FD_FIRST)
			i = FD_FIRST;
		bus->nfds = n;
	}
	bus->fds[i].kind = kind;
	bus->fds[i].obj = obj;
	return (int)i;
}

void *vdpa_fd_lookup(struct sim *sim, int fd, enum vdpa_file_kind *kind)
{
	struct vdpa_bus *bus = vdpa_bus_peek(sim);

	if (!bus || fd < 0 || (size_t)fd >= bus->nfds || !bus->fds[fd].kind)
		return NULL;
	if (kind)
		*kind = bus->fds[fd].kind;
	return bus->fds[fd].obj;
}

int vdpa_fd_remove(struct sim *sim, int fd)
{
	struct vdpa_bus *bus = vdpa_bus_peek(sim);

	if (!bus || fd < 0 || (size_t)fd >= bus->nfds || !bus->fds[fd].kind)
		return -EBADF;
	bus->fds[fd].kind = 0;
	bus->fds[fd].obj = NULL;
	return 0;
}

/* ---- eventfd ------------------------------------------------------------- */

static void evfd_unlink_free(struct vdpa_evfd *efd)
{
	struct vdpa_bus *bus = efd->bus;

	if (efd->prev)
		efd->prev->next = efd->next;
	else
		bus->evfds = efd->next;
	if (efd->next)
		efd->next->prev = efd->prev;
	free(efd->waiters);
	free(efd);
}

int vdpa_evfd_create(struct sim *sim, struct vdpa_evfd **out)
{
	struct vdpa_bus *bus = vdpa_bus_get(sim);
	struct vdpa_evfd *efd;
	int fd;

	if (!bus)
		return -ENOMEM;
	efd = calloc(1, sizeof(*efd));
	if (!efd)
		return -ENOMEM;
	fd = vdpa_fd_install(sim, VDPA_FILE_EVENTFD, efd);
	if (fd < 0) {
		free(efd);
		return fd;
	}
	efd->bus = bus;
	efd->fd = fd;
	efd->refs = 1;
	efd->next = bus->evfds;
	if (bus->evfds)
		bus->evfds->prev = efd;
	bus->evfds = efd;
	if (out)
		*out = efd;
	return fd;
}

int vdpa_evfd_fd(const struct vdpa_evfd *efd)
{
	return efd ? efd->fd : -1;
}

int vdpa_evfd_close(struct vdpa_evfd *efd)
{
	if (!efd || efd->fd < 0)
		return -EBADF;
	vdpa_fd_remove(efd->bus->sim, efd->fd);
	efd->fd = -1;
	vdpa_evfd_put(efd);
	return 0;
}

struct vdpa_evfd *vdpa_evfd_fdget(struct sim *sim, int fd, int *err)
{
	enum vdpa_file_kind kind = 0;
	struct vdpa_evfd *efd = vdpa_fd_lookup(sim, fd, &kind);

	if (!efd) {
		if (err)
			*err = -EBADF;
		return NULL;
	}
	if (kind != VDPA_FILE_EVENTFD) {
		if (err)
			*err = -EINVAL;
		return NULL;
	}
	if (err)
		*err = 0;
	return vdpa_evfd_get(efd);
}

struct vdpa_evfd *vdpa_evfd_get(struct vdpa_evfd *efd)
{
	if (efd)
		efd->refs++;
	return efd;
}

void vdpa_evfd_put(struct vdpa_evfd *efd)
{
	if (!efd || !efd->refs)
		return;
	if (--efd->refs == 0)
		evfd_unlink_free(efd);
}

static void evfd_wake(struct vdpa_evfd *efd)
{
	/* A waiter may remove itself (or another) while being called: look
	 * each slot up again instead of iterating a stale copy. */
	for (unsigned int i = 0; i < efd->nwaiters; i++) {
		vdpa_evfd_wake_fn fn = efd->waiters[i].fn;

		if (fn && efd->count)
			fn(efd->waiters[i].ctx, efd);
	}
}

void vdpa_evfd_signal(struct vdpa_evfd *efd, uint64_t n)
{
	if (!efd)
		return;
	/* eventfd_signal: never reach UINT64_MAX. */
	if (UINT64_MAX - efd->count < n)
		n = UINT64_MAX - efd->count;
	efd->count += n;
	efd->signals++;
	if (efd->count)
		evfd_wake(efd);
}

int vdpa_evfd_write(struct vdpa_evfd *efd, uint64_t value)
{
	if (!efd)
		return -EBADF;
	if (value == UINT64_MAX)
		return -EINVAL;
	/* The counter holds at most UINT64_MAX - 1; a blocking writer would
	 * wait, a non-blocking one gets -EAGAIN. */
	if (UINT64_MAX - 1 - efd->count < value)
		return -EAGAIN;
	efd->count += value;
	efd->signals++;
	if (efd->count)
		evfd_wake(efd);
	return 0;
}

int vdpa_evfd_read(struct vdpa_evfd *efd, uint64_t *value)
{
	if (!efd)
		return -EBADF;
	if (!efd->count)
		return -EAGAIN;
	if (value)
		*value = efd->count;
	efd->count = 0;
	return 0;
}

uint64_t vdpa_evfd_count(const struct vdpa_evfd *efd)
{
	return efd ? efd->count : 0;
}

uint64_t vdpa_evfd_signals(const struct vdpa_evfd *efd)
{
	return efd ? efd->signals : 0;
}

int vdpa_evfd_add_waiter(struct vdpa_evfd *efd, vdpa_evfd_wake_fn fn, void *ctx)
{
	unsigned int i, n;

	if (!efd || !fn)
		return -EINVAL;
	for (i = 0; i < efd->nwaiters; i++)
		if (!efd->waiters[i].fn)
			break;
	if (i == efd->nwaiters) {
		struct evfd_waiter *w;

		n = efd->nwaiters ? 2 * efd->nwaiters : VDPA_EVFD_WAITERS;
		if (n > INT_MAX / 2)
			return -ENOMEM;
		w = realloc(efd->waiters, n * sizeof(*w));
		if (!w)
			return -ENOMEM;
		memset(w + efd->nwaiters, 0, (n - efd->nwaiters) * sizeof(*w));
		efd->waiters = w;
		efd->nwaiters = n;
	}
	efd->waiters[i].fn = fn;
	efd->waiters[i].ctx = ctx;
	return (int)i;
}

void vdpa_evfd_remove_waiter(struct vdpa_evfd *efd, int id)
{
	if (!efd || id < 0 || (unsigned int)id >= efd->nwaiters)
		return;
	efd->waiters[id].fn = NULL;
	efd->waiters[id].ctx = NULL;
}

void vdpa_evfd_destroy_all(struct vdpa_bus *bus)
{
	while (bus->evfds) {
		struct vdpa_evfd *efd = bus->evfds;

		bus->evfds = efd->next;
		free(efd->waiters);
		free(efd);
	}
}
