// SPDX-License-Identifier: MIT
/*
 * Device host Ethernet ports: one sim/net port per model port, a FIFO that
 * hands frames to the port at the time the model gave (net_send at_ps) in
 * order, transmit-ready callbacks after -ENOBUFS, carrier changes passed on
 * as control commands.
 */
#include "sim/devhost/devh_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEVH_PORT_QUEUE 256u /* frames the net port itself queues */

static void port_pump(struct devh_port *p, bool notify);

static void pump_event(struct sim *sim, void *arg)
{
	struct devh_port *p = arg;

	(void)sim;
	p->ev = 0;
	port_pump(p, true);
}

static void frame_drop(struct devh_port *p, uint32_t len)
{
	char key[96];

	p->dropped++;
	snprintf(key, sizeof(key), "dev.%s.net_tx_dropped", p->dh->name);
	eng_stat_add(p->dh->sim, key, 1);
	eng_trace(p->dh->sim, p->dh->name, "net_tx_drop", "port=%u len=%u", p->index, len);
}

/* Send the frames that are due, in order, as long as the port queue has room;
 * notify: tell the model about regained room (never from inside net_send). */
static void port_pump(struct devh_port *p, bool notify)
{
	struct devh *dh = p->dh;
	sim_time_t now = eng_now(dh->sim);
	uint32_t qf;

	p->waiting_room = false;
	while (p->n) {
		struct devh_frame *f = &p->fifo[p->head];
		int r;

		if (f->at > now) {
			if (!p->ev)
				p->ev = eng_schedule_at(dh->sim, f->at, pump_event, p);
			break;
		}
		net_port_tx_queued(p->port, &qf, NULL);
		if (net_port_link_up(p->port) && qf >= DEVH_PORT_QUEUE) {
			p->waiting_room = true; /* tx_done brings us back */
			break;
		}
		r = net_port_send(p->port, f->data, f->len);
		if (r == -ENOBUFS) {
			p->waiting_room = true;
			break;
		}
		if (r)
			frame_drop(p, f->len);
		p->head = (p->head + 1) % DEVH_NET_FIFO;
		p->n--;
	}
	if (notify && p->want_ready && p->n < DEVH_NET_FIFO) {
		p->want_ready = false;
		if (dh->dev && dh->plugin->net_tx_ready)
			dh->plugin->net_tx_ready(dh->dev, p->index);
	}
}

static void port_rx(void *ctx, struct net_port *port, const uint8_t *frame, size_t len,
		    sim_time_t at)
{
	struct devh_port *p = ctx;
	struct devh *dh = p->dh;

	(void)port;
	(void)at;
	if (dh->dev && dh->plugin->net_rx)
		dh->plugin->net_rx(dh->dev, p->index, frame, (uint32_t)len);
}

static void port_tx_done(void *ctx, struct net_port *port)
{
	struct devh_port *p = ctx;

	(void)port;
	if (p->waiting_room || p->want_ready)
		port_pump(p, true);
}

static void port_link_change(void *ctx, struct net_port *port, bool up)
{
	struct devh_port *p = ctx;
	struct devh *dh = p->dh;
	char cmd[40];

	(void)port;
	eng_trace(dh->sim, dh->name, "carrier", "port=%u up=%d", p->index, up);
	snprintf(cmd, sizeof(cmd), "carrier%u=%s", p->index, up ? "up" : "down");
	if (dh->dev)
		devh_control(dh, cmd, NULL, 0);
	/* frames held for room are lost now rather than never */
	if (!up && p->waiting_room)
		port_pump(p, true);
}

static const struct net_port_ops port_ops = {
	.rx = port_rx,
	.tx_done = port_tx_done,
	.link_change = port_link_change,
};

int devh_net_init(struct devh *dh)
{
	dh->nports = dh->layout.nr_net_ports;
	for (unsigned i = 0; i < dh->nports; i++) {
		struct devh_port *p = &dh->port[i];
		struct net_port_cfg cfg = { .name = p->name, .tx_queue_frames = DEVH_PORT_QUEUE };
		int r;

		p->dh = dh;
		p->index = i;
		snprintf(p->name, sizeof(p->name), "%s.p%u", dh->name, i % DEVH_MAX_PORTS);
		p->fifo = calloc(DEVH_NET_FIFO, sizeof(*p->fifo));
		if (!p->fifo)
			return -ENOMEM;
		r = net_port_new(dh->sim, &cfg, &port_ops, p, &p->port);
		if (r)
			return r;
	}
	return 0;
}

void devh_net_fini(struct devh *dh)
{
	for (unsigned i = 0; i < dh->nports; i++) {
		struct devh_port *p = &dh->port[i];

		if (p->ev)
			eng_cancel(dh->sim, p->ev);
		p->ev = 0;
		if (p->fifo)
			for (uint32_t k = 0; k < DEVH_NET_FIFO; k++)
				free(p->fifo[k].data);
		free(p->fifo);
		p->fifo = NULL;
		net_port_free(p->port);
		p->port = NULL;
	}
	dh->nports = 0;
}

int devh_net_send(void *host, uint32_t port, const void *frame, uint32_t len, uint64_t at)
{
	struct devh *dh = host;
	struct devh_port *p;
	struct devh_frame *f;
	sim_time_t now = eng_now(dh->sim), start, pf;
	uint64_t speed;

	if (port >= dh->nports || !frame)
		return -EINVAL;
	p = &dh->port[port];
	if (at < now)
		at = now;
	if (p->n >= DEVH_NET_FIFO) {
		p->want_ready = true;
		return -ENOBUFS;
	}
	f = &p->fifo[(p->head + p->n) % DEVH_NET_FIFO];
	if (f->cap < len) {
		uint8_t *d = realloc(f->data, len);

		if (!d)
			return -ENOMEM;
		f->data = d;
		f->cap = len;
	}
	/* frames leave in the order handed over */
	if (p->n && at < p->fifo[(p->head + p->n - 1) % DEVH_NET_FIFO].at)
		at = p->fifo[(p->head + p->n - 1) % DEVH_NET_FIFO].at;
	memcpy(f->data, frame, len);
	f->len = len;
	f->at = at;
	pf = net_port_tx_free_at(p->port);
	start = p->n ? p->tail_end : (pf == ENG_TIME_MAX ? at : pf);
	if (start < at)
		start = at;
	speed = net_port_speed_bps(p->port);
	p->tail_end = start + net_wire_ps(speed, len);
	p->n++;
	if (p->n == 1 && !p->waiting_room)
		port_pump(p, false);
	return 0;
}

uint64_t devh_net_tx_free_at(void *host, uint32_t port)
{
	struct devh *dh = host;
	struct devh_port *p;
	sim_time_t pf;

	if (port >= dh->nports)
		return ENG_TIME_MAX;
	p = &dh->port[port];
	pf = net_port_tx_free_at(p->port);
	if (pf == ENG_TIME_MAX || !p->n)
		return pf;
	return p->tail_end > pf ? p->tail_end : pf;
}

unsigned devh_net_ports(const struct devh *dh)
{
	return dh->nports;
}

struct net_port *devh_net_port(struct devh *dh, unsigned i)
{
	return i < dh->nports ? dh->port[i].port : NULL;
}

uint64_t devh_net_dropped(const struct devh *dh, unsigned port)
{
	return port < dh->nports ? dh->port[port].dropped : 0;
}
