// SPDX-License-Identifier: MIT
/*
 * virtio_net: driver registration, probe / remove, feature validation,
 * freeze / restore, the config-change work and the control queue.  The
 * datapath (TX, RX, NAPI) is in datapath.c.
 */
#include "stack/virtio_net/vnet_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_KEY "virtio_net"
#define MIN_MTU 68u

static const unsigned int features[] = {
	VIRTIO_NET_F_MAC,        VIRTIO_NET_F_MTU,           VIRTIO_NET_F_MRG_RXBUF,
	VIRTIO_NET_F_STATUS,     VIRTIO_NET_F_CTRL_VQ,       VIRTIO_NET_F_CTRL_RX,
	VIRTIO_NET_F_CTRL_RX_EXTRA, VIRTIO_NET_F_GUEST_ANNOUNCE, VIRTIO_NET_F_MQ,
	VIRTIO_NET_F_CTRL_MAC_ADDR,
};

static const struct virtio_device_id id_table[] = {
	{ VIRTIO_ID_NET, VIO_DEV_ANY_ID },
	{ 0, 0 },
};

static struct vnet_state *state_of(struct sim *sim)
{
	return sim ? eng_attached(sim, STATE_KEY) : NULL;
}

void vnet_default_params(struct vnet_params *p)
{
	memset(p, 0, sizeof(*p));
	p->feature_mask = VNET_FEATURES_ALL;
	p->rx_buf_size = 1536;
	p->napi_budget = 64;
	p->irq_latency_ps = ENG_US(1);
	p->poll_ps = ENG_NS(200);
	p->rx_pkt_ps = ENG_NS(50);
	p->work_ps = ENG_US(1);
	p->ctrl_poll_ps = ENG_NS(100);
	p->ctrl_timeout_ps = ENG_MS(10);
	p->rx_queue_frames = 1024;
}

static const struct vnet_params *params_for(const struct vnet_state *st, const char *bus_name)
{
	for (const struct vnet_inst_params *ip = st->inst; ip && bus_name; ip = ip->next)
		if (!strcmp(ip->bus_name, bus_name))
			return &ip->p;
	return &st->defaults;
}

/* ---- config changes ------------------------------------------------------------- */

/* A gratuitous ARP from our MAC (the kernel's netdev_notify_peers). */
static void announce(struct vnet *n)
{
	uint8_t f[42];

	memset(f, 0, sizeof(f));
	memset(f, 0xff, VNET_ETH_ALEN);
	memcpy(f + 6, n->mac, VNET_ETH_ALEN);
	f[12] = 0x08; /* ETH_P_ARP */
	f[13] = 0x06;
	f[15] = 1;    /* htype Ethernet */
	f[16] = 0x08; /* ptype IPv4 */
	f[18] = 6;
	f[19] = 4;
	f[21] = 1;    /* request */
	memcpy(f + 22, n->mac, VNET_ETH_ALEN);
	if (!vnet_send(n, 0, f, sizeof(f)))
		n->stats.announces++;
}

static void config_work(struct sim *sim, void *arg)
{
	struct vnet *n = arg;
	uint16_t v;

	(void)sim;
	n->work_ev = 0;
	n->stats.config_changes++;
	if (!n->ready || !vio_has_feature(n->vdev, VIRTIO_NET_F_STATUS))
		return;
	if (vio_get_status(n->vdev) & VIRTIO_CONFIG_S_NEEDS_RESET)
		return; /* the core resets the device */
	v = vio_cread16(n->vdev, VNET_CFG_STATUS);
	if ((v & VIRTIO_NET_S_ANNOUNCE) && vio_has_feature(n->vdev, VIRTIO_NET_F_GUEST_ANNOUNCE)) {
		/* 5.1.6.5.4: announce, then acknowledge */
		if (v & VIRTIO_NET_S_LINK_UP)
			announce(n);
		vnet_ctrl_submit(n, VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK, NULL,
				 0);
	}
	v &= VIRTIO_NET_S_LINK_UP;
	if (n->status == v)
		return;
	n->status = (uint8_t)v;
	n->link_up = v != 0;
	n->stats.link_changes++;
	eng_trace(n->sim, "vnet", "link", "dev=%s up=%d", n->bus_name, n->link_up);
	if (n->ops && n->ops->link_change)
		n->ops->link_change(n->ops_ctx, n, n->link_up);
}

static void schedule_config_work(struct vnet *n)
{
	if (!n->work_ev)
		n->work_ev = eng_schedule_in(n->sim, n->p.work_ps, config_work, n);
}

static void vnet_config_changed(struct virtio_device *vdev)
{
	struct vnet *n = vdev->priv;

	if (n)
		schedule_config_work(n);
}

/* ---- probe / remove ----------------------------------------------------------------- */

static bool fail_on(struct virtio_device *vdev, unsigned int bit)
{
	return vio_has_feature(vdev, bit) && !vio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ);
}

static int vnet_validate(struct virtio_device *vdev)
{
	struct vnet_state *st = state_of(vdev->sim);
	const struct vnet_params *p;
	const char *bus = vdev->config->bus_name ? vdev->config->bus_name(vdev) : NULL;

	if (!st)
		return -ENODEV;
	p = params_for(st, bus);
	/* virtnet_validate_features: control features need the control queue */
	if (fail_on(vdev, VIRTIO_NET_F_CTRL_RX) || fail_on(vdev, VIRTIO_NET_F_GUEST_ANNOUNCE) ||
	    fail_on(vdev, VIRTIO_NET_F_MQ) || fail_on(vdev, VIRTIO_NET_F_CTRL_MAC_ADDR))
		return -EINVAL;
	if (vio_has_feature(vdev, VIRTIO_NET_F_MTU) && vio_cread16(vdev, VNET_CFG_MTU) < MIN_MTU)
		vio_clear_bit(vdev, VIRTIO_NET_F_MTU);
	vdev->features &= p->feature_mask;
	if (!vio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ)) {
		vio_clear_bit(vdev, VIRTIO_NET_F_CTRL_RX);
		vio_clear_bit(vdev, VIRTIO_NET_F_CTRL_RX_EXTRA);
		vio_clear_bit(vdev, VIRTIO_NET_F_GUEST_ANNOUNCE);
		vio_clear_bit(vdev, VIRTIO_NET_F_MQ);
		vio_clear_bit(vdev, VIRTIO_NET_F_CTRL_MAC_ADDR);
	}
	if (!vio_has_feature(vdev, VIRTIO_NET_F_CTRL_RX))
		vio_clear_bit(vdev, VIRTIO_NET_F_CTRL_RX_EXTRA);
	return 0;
}

static int init_vqs(struct vnet *n)
{
	unsigned int total = 2u * n->max_pairs + (vio_has_feature(n->vdev, VIRTIO_NET_F_CTRL_VQ));
	struct virtqueue **vqs = calloc(total, sizeof(*vqs));
	vio_callback_t *cbs = calloc(total, sizeof(*cbs));
	const char **names = calloc(total, sizeof(*names));
	char (*nbuf)[16] = calloc(total, sizeof(*nbuf));
	uint32_t *sizes = calloc(total, sizeof(*sizes));
	int err = -ENOMEM;

	if (!vqs || !cbs || !names || !nbuf || !sizes)
		goto out;
	for (unsigned int i = 0; i < n->max_pairs; i++) {
		snprintf(nbuf[2 * i], sizeof(nbuf[0]), "input.%u", i);
		snprintf(nbuf[2 * i + 1], sizeof(nbuf[0]), "output.%u", i);
		names[2 * i] = nbuf[2 * i];
		names[2 * i + 1] = nbuf[2 * i + 1];
		cbs[2 * i] = vnet_rx_done;
		cbs[2 * i + 1] = vnet_tx_done;
		sizes[2 * i] = n->p.rx_ring_size;
		sizes[2 * i + 1] = n->p.tx_ring_size;
	}
	if (total & 1) {
		names[total - 1] = "control";
		sizes[total - 1] = n->p.ctrl_ring_size ? n->p.ctrl_ring_size : 64;
	}
	err = n->vdev->config->find_vqs(n->vdev, total, vqs, cbs, names, NULL, sizes);
	if (err)
		goto out;
	for (unsigned int i = 0; i < n->max_pairs; i++) {
		n->rq[i].vq = vqs[2 * i];
		n->sq[i].vq = vqs[2 * i + 1];
		vqs[2 * i]->priv = &n->rq[i];
		vqs[2 * i + 1]->priv = &n->sq[i];
	}
	n->cvq = total & 1 ? vqs[total - 1] : NULL;
out:
	free(vqs);
	free(cbs);
	free(names);
	free(nbuf);
	free(sizes);
	return err;
}

static void del_vqs(struct vnet *n)
{
	n->vdev->config->del_vqs(n->vdev);
	for (unsigned int i = 0; i < n->max_pairs; i++) {
		n->rq[i].vq = NULL;
		n->sq[i].vq = NULL;
	}
	n->cvq = NULL;
}

/* remove_vq_common: reset, take every buffer back, delete the queues. */
static void remove_vq_common(struct vnet *n)
{
	vio_reset_device(n->vdev);
	vnet_dp_reclaim(n);
	while (n->cvq && vio_vq_detach_unused_buf(n->cvq))
		;
	del_vqs(n);
}

static void stop_all(struct vnet *n)
{
	n->ready = false;
	if (n->work_ev) {
		eng_cancel(n->sim, n->work_ev);
		n->work_ev = 0;
	}
	if (n->reset_ev) {
		eng_cancel(n->sim, n->reset_ev);
		n->reset_ev = 0;
	}
	vnet_dp_stop(n);
	vnet_ctrl_abort(n);
}

/* Bring the queues up: DRIVER_OK, RX buffers, the queue pairs in use. */
static int open_queues(struct vnet *n, uint16_t pairs)
{
	int err = init_vqs(n);

	if (err)
		return err;
	err = vnet_dp_setup(n);
	if (err) {
		remove_vq_common(n);
		return err;
	}
	vio_device_ready(n->vdev);
	n->ready = true;
	vnet_dp_open(n);
	if (vio_has_feature(n->vdev, VIRTIO_NET_F_MQ))
		vnet_set_queue_pairs(n, pairs);
	vnet_ctrl_kick(n);
	if (vio_has_feature(n->vdev, VIRTIO_NET_F_STATUS)) {
		schedule_config_work(n);
	} else {
		n->status = VIRTIO_NET_S_LINK_UP;
		n->link_up = true;
	}
	return 0;
}

static void random_mac(struct vnet *n)
{
	struct eng_rng rng;
	char name[96];
	uint64_t r;

	snprintf(name, sizeof(name), "virtio_net.%s", n->bus_name);
	eng_rng_stream(n->sim, name, &rng);
	r = eng_rng_next(&rng);
	for (int i = 0; i < VNET_ETH_ALEN; i++)
		n->mac[i] = (uint8_t)(r >> (8 * i));
	n->mac[0] = (uint8_t)((n->mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

static int vnet_probe(struct virtio_device *vdev)
{
	struct vnet_state *st = state_of(vdev->sim);
	const char *bus = vdev->config->bus_name ? vdev->config->bus_name(vdev) : vdev->name;
	struct vnet *n;
	uint16_t want;
	int err;

	if (!st || !vdev->dma)
		return -ENODEV;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->sim = vdev->sim;
	n->vdev = vdev;
	n->st = st;
	snprintf(n->bus_name, sizeof(n->bus_name), "%s", bus ? bus : vdev->name);
	n->p = *params_for(st, n->bus_name);
	if (!n->p.napi_budget)
		n->p.napi_budget = 64;
	if (!n->p.rx_queue_frames)
		n->p.rx_queue_frames = 1024;
	n->hdr_len = vio_has_feature(vdev, VIRTIO_F_VERSION_1) ||
				     vio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF)
			     ? sizeof(struct virtio_net_hdr_v1)
			     : sizeof(struct virtio_net_hdr);
	n->mergeable = vio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF);
	if (vio_has_feature(vdev, VIRTIO_NET_F_MAC)) {
		err = vio_cread_bytes(vdev, VNET_CFG_MAC, n->mac, VNET_ETH_ALEN);
		if (err)
			goto fail;
	} else {
		random_mac(n);
	}
	n->mtu = vio_has_feature(vdev, VIRTIO_NET_F_MTU) ? vio_cread16(vdev, VNET_CFG_MTU) : 1500;
	n->max_pairs = 1;
	if (vio_has_feature(vdev, VIRTIO_NET_F_MQ)) {
		uint16_t m = vio_cread16(vdev, VNET_CFG_MAX_VQP);

		/* 5.1.4.2: 1 .. 0x8000; anything else: a single pair */
		if (m >= VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN && m <= VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX)
			n->max_pairs = m > VNET_MAX_PAIRS ? VNET_MAX_PAIRS : m;
	}
	n->curr_pairs = 1;
	n->ctrlq = calloc(VNET_CTRL_QUEUE_MAX, sizeof(*n->ctrlq));
	err = n->ctrlq ? vnet_dp_init(n) : -ENOMEM;
	if (err)
		goto fail;
	if (vio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ)) {
		err = vio_dma_alloc(vdev->dma, VNET_CTRL_DMA_SIZE, 64, &n->ctrl_dma);
		if (err)
			goto fail;
	}
	vdev->priv = n;
	want = n->p.queue_pairs && n->p.queue_pairs < n->max_pairs ? n->p.queue_pairs
								    : n->max_pairs;
	err = open_queues(n, want);
	if (err)
		goto fail;
	n->next = st->devs;
	st->devs = n;
	if (st->probe_hook)
		st->probe_hook(st->probe_hook_ctx, n);
	return 0;
fail:
	vdev->priv = NULL;
	if (n->ctrl_dma)
		vio_dma_free(vdev->dma, n->ctrl_dma, VNET_CTRL_DMA_SIZE);
	vnet_dp_release(n);
	free(n->ctrlq);
	free(n);
	return err;
}

static void vnet_remove(struct virtio_device *vdev)
{
	struct vnet *n = vdev->priv;

	if (!n)
		return;
	if (n->ops && n->ops->removed)
		n->ops->removed(n->ops_ctx, n);
	n->ops = NULL; /* the application let go of n */
	stop_all(n);
	remove_vq_common(n);
	while (n->ctrl_n)
		vnet_ctrl_complete(n, -ENODEV);
	for (struct vnet **pp = &n->st->devs; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	}
	if (n->ctrl_dma)
		vio_dma_free(vdev->dma, n->ctrl_dma, VNET_CTRL_DMA_SIZE);
	vnet_dp_release(n);
	free(n->ctrlq);
	free(n);
	vdev->priv = NULL;
}

static int vnet_freeze(struct virtio_device *vdev)
{
	struct vnet *n = vdev->priv;

	stop_all(n);
	remove_vq_common(n);
	return 0;
}

static void reset_done_event(struct sim *sim, void *arg)
{
	struct vnet *n = arg;

	(void)sim;
	n->reset_ev = 0;
	if (n->ops && n->ops->reset_done)
		n->ops->reset_done(n->ops_ctx, n, 0);
}

static int vnet_restore(struct virtio_device *vdev)
{
	struct vnet *n = vdev->priv;
	int err = open_queues(n, n->curr_pairs);

	eng_trace(n->sim, "vnet", "restore", "dev=%s err=%d", n->bus_name, err);
	if (err) {
		n->stats.reset_failures++;
		if (n->ops && n->ops->reset_done)
			n->ops->reset_done(n->ops_ctx, n, err);
		return err;
	}
	n->stats.resets++;
	/* reported once the core has finished (DRIVER_OK, config enabled) */
	n->reset_ev = eng_schedule_in(n->sim, 0, reset_done_event, n);
	return 0;
}

int vnet_reset(struct vnet *n)
{
	return vio_device_recover(n->vdev);
}

/* ---- registration ------------------------------------------------------------------ */

static void state_destroy(void *obj)
{
	struct vnet_state *st = obj;

	if (st->registered)
		vio_unregister_driver(&st->drv);
	while (st->inst) {
		struct vnet_inst_params *ip = st->inst;

		st->inst = ip->next;
		free(ip);
	}
	free(st);
}

static struct vnet_state *state_get(struct sim *sim)
{
	struct vnet_state *st = state_of(sim);

	if (st)
		return st;
	if (vio_bus_init(sim))
		return NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->sim = sim;
	vnet_default_params(&st->defaults);
	if (eng_attach(sim, STATE_KEY, st, state_destroy)) {
		free(st);
		return NULL;
	}
	return st;
}

int vnet_register_driver(struct sim *sim, const struct vnet_params *defaults)
{
	struct vnet_state *st = sim ? state_get(sim) : NULL;
	int err;

	if (!st)
		return sim ? -ENOMEM : -EINVAL;
	if (st->registered)
		return -EEXIST;
	if (defaults)
		st->defaults = *defaults;
	st->drv.name = VNET_DRIVER_NAME;
	st->drv.id_table = id_table;
	st->drv.feature_table = features;
	st->drv.feature_table_size = sizeof(features) / sizeof(features[0]);
	st->drv.validate = vnet_validate;
	st->drv.probe = vnet_probe;
	st->drv.remove = vnet_remove;
	st->drv.config_changed = vnet_config_changed;
	st->drv.freeze = vnet_freeze;
	st->drv.restore = vnet_restore;
	st->registered = true;
	err = vio_register_driver(sim, &st->drv);
	if (err)
		st->registered = false;
	return err;
}

void vnet_unregister_driver(struct sim *sim)
{
	struct vnet_state *st = state_of(sim);

	if (!st || !st->registered)
		return;
	vio_unregister_driver(&st->drv);
	st->registered = false;
}

int vnet_set_instance_params(struct sim *sim, const char *bus_name, const struct vnet_params *p)
{
	struct vnet_state *st = sim ? state_get(sim) : NULL;
	struct vnet_inst_params *ip;

	if (!st)
		return -ENOMEM;
	if (!bus_name || !p || strlen(bus_name) >= sizeof(ip->bus_name))
		return -EINVAL;
	for (ip = st->inst; ip; ip = ip->next)
		if (!strcmp(ip->bus_name, bus_name))
			break;
	if (!ip) {
		ip = calloc(1, sizeof(*ip));
		if (!ip)
			return -ENOMEM;
		snprintf(ip->bus_name, sizeof(ip->bus_name), "%s", bus_name);
		ip->next = st->inst;
		st->inst = ip;
	}
	ip->p = *p;
	return 0;
}

void vnet_set_probe_hook(struct sim *sim, void (*fn)(void *ctx, struct vnet *n), void *ctx)
{
	struct vnet_state *st = sim ? state_get(sim) : NULL;

	if (!st)
		return;
	st->probe_hook = fn;
	st->probe_hook_ctx = fn ? ctx : NULL;
}

/* ---- accessors ------------------------------------------------------------------- */

struct vnet *vnet_find(struct sim *sim, const char *bus_name)
{
	struct vnet_state *st = state_of(sim);

	for (struct vnet *n = st ? st->devs : NULL; n && bus_name; n = n->next)
		if (!strcmp(n->bus_name, bus_name))
			return n;
	return NULL;
}

struct vnet *vnet_from_virtio(struct virtio_device *vdev)
{
	struct vnet_state *st = vdev ? state_of(vdev->sim) : NULL;

	if (!st || vdev->driver != &st->drv)
		return NULL;
	return vdev->priv;
}

struct virtio_device *vnet_virtio(const struct vnet *n)
{
	return n->vdev;
}

void vnet_set_ops(struct vnet *n, const struct vnet_ops *ops, void *ctx)
{
	n->ops = ops;
	n->ops_ctx = ops ? ctx : NULL;
}

bool vnet_link_up(const struct vnet *n)
{
	return n->link_up;
}

void vnet_mac(const struct vnet *n, uint8_t mac[VNET_ETH_ALEN])
{
	memcpy(mac, n->mac, VNET_ETH_ALEN);
}

uint16_t vnet_mtu(const struct vnet *n)
{
	return n->mtu;
}

uint16_t vnet_queue_pairs(const struct vnet *n)
{
	return n->curr_pairs;
}

uint16_t vnet_max_queue_pairs(const struct vnet *n)
{
	return n->max_pairs;
}

uint64_t vnet_features(const struct vnet *n)
{
	return n->vdev->features;
}

uint32_t vnet_hdr_len(const struct vnet *n)
{
	return n->hdr_len;
}

struct virtqueue *vnet_rx_vq(const struct vnet *n, uint16_t queue)
{
	return queue < n->max_pairs ? n->rq[queue].vq : NULL;
}

struct virtqueue *vnet_tx_vq(const struct vnet *n, uint16_t queue)
{
	return queue < n->max_pairs ? n->sq[queue].vq : NULL;
}

struct virtqueue *vnet_ctrl_vq(const struct vnet *n)
{
	return n->cvq;
}

int vnet_queue_stats(const struct vnet *n, uint16_t queue, struct vnet_queue_stats *out)
{
	const struct vnet_queue_stats *r, *t;

	if (queue >= n->max_pairs)
		return -EINVAL;
	r = &n->rq[queue].st;
	t = &n->sq[queue].st;
	*out = *r;
	out->tx_packets = t->tx_packets;
	out->tx_bytes = t->tx_bytes;
	out->tx_busy = t->tx_busy;
	out->tx_stops = t->tx_stops;
	out->tx_wakes = t->tx_wakes;
	out->tx_kicks = t->tx_kicks;
	out->tx_interrupts = t->tx_interrupts;
	out->kicks = out->tx_kicks + out->rx_kicks;
	out->interrupts = out->tx_interrupts + out->rx_interrupts;
	return 0;
}

void vnet_stats(const struct vnet *n, struct vnet_stats *out)
{
	*out = n->stats;
}
