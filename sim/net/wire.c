// SPDX-License-Identifier: MIT
/*
 * Ports and full-duplex links.  Each link direction keeps the sending port's
 * transmit queue (the head frame is the one serialising), the frames in flight
 * (serialised, not yet arrived, in arrival order) and a free list of buffers.
 * A direction has at most two pending events: the end of the head frame's
 * serialisation and the arrival of the oldest frame in flight.
 */
#include "sim/net/net_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PS_PER_S 1000000000000ULL

struct net_buf {
	struct net_buf *next;
	sim_time_t arrive;
	uint64_t bits;     /* on the wire, overhead included */
	uint32_t len;      /* delivered length: padded to NET_ETH_MIN_LEN */
	uint32_t orig_len; /* as handed to net_port_send(), for the byte limit */
	uint8_t data[];
};

enum { ST_FRAMES, ST_BYTES, ST_BUSY, ST_DROP, ST_COUNT = ST_DROP + NET_DROP_COUNT };

struct net_wdir {
	struct net_link *link;
	enum net_dir id;
	/* transmit queue; the head is on the wire whenever the queue is not empty */
	struct net_buf *q_head, *q_tail;
	uint32_t q_frames;
	uint64_t q_bytes;
	uint64_t q_wait_bits; /* bits of the queued frames behind the head */
	/* serialised, waiting for their arrival time */
	struct net_buf *f_head, *f_tail;
	struct net_buf *pool;
	struct net_clock clock; /* wire bits -> ps since the start of the burst */
	sim_time_t free_at;     /* end of the last frame started */
	eng_event_id tx_ev, rx_ev;
	uint64_t *st[ST_COUNT];
	struct net_tapset taps;
};

struct net_link {
	struct sim *sim;
	char name[NET_NAME_MAX];
	uint64_t rate;
	sim_time_t delay;
	uint32_t max_len, buf_len;
	bool up;
	struct net_port *port[2]; /* port[d] sends into dir[d] */
	struct net_wdir dir[2];
};

struct net_port {
	struct sim *sim;
	char name[NET_NAME_MAX];
	struct net_port_ops ops;
	void *ctx;
	uint32_t q_max_frames;
	uint64_t q_max_bytes;
	struct net_link *link;
	enum net_dir end;
	struct net_tapset taps;
};

static const char *const drop_names[NET_DROP_COUNT] = {
	[NET_DROP_QUEUE_FULL] = "queue_full", [NET_DROP_TOO_LONG] = "too_long",
	[NET_DROP_TOO_SHORT] = "too_short",   [NET_DROP_LINK_DOWN] = "link_down",
	[NET_DROP_NOMEM] = "nomem",
};

static const char *const dir_names[2] = { "ab", "ba" };

const char *net_drop_name(enum net_drop d)
{
	return (unsigned)d < NET_DROP_COUNT ? drop_names[d] : "?";
}

/* ---- per-sim names and counters -------------------------------------------- */

struct net_names {
	char (*name)[NET_NAME_MAX];
	size_t n, cap;
};

static void names_destroy(void *obj)
{
	struct net_names *r = obj;

	free(r->name);
	free(r);
}

static bool name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= NET_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

static bool name_taken(const struct net_names *r, const char *s)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->name[i], s))
			return true;
	return false;
}

int net_name_claim(struct sim *sim, const char *want, const char *kind, char out[NET_NAME_MAX])
{
	struct net_names *r = eng_attached(sim, "net.names");
	char buf[NET_NAME_MAX];
	int rc;

	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return -ENOMEM;
		rc = eng_attach(sim, "net.names", r, names_destroy);
		if (rc) {
			free(r);
			return rc;
		}
	}
	if (want) {
		if (!name_valid(want))
			return -EINVAL;
		if (name_taken(r, want))
			return -EEXIST;
		snprintf(buf, sizeof(buf), "%s", want);
	} else {
		unsigned i;

		/* bounded: at most r->n names can be taken */
		for (i = 0; i <= r->n; i++) {
			snprintf(buf, sizeof(buf), "%s%u", kind, i);
			if (!name_taken(r, buf))
				break;
		}
	}
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 16;
		char(*p)[NET_NAME_MAX] = realloc(r->name, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->name = p;
		r->cap = ncap;
	}
	memcpy(r->name[r->n++], buf, NET_NAME_MAX);
	memcpy(out, buf, NET_NAME_MAX);
	return 0;
}

int net_stat_ptr(struct sim *sim, const char *obj, const char *field, uint64_t **out)
{
	char key[2 * NET_NAME_MAX + 32];

	snprintf(key, sizeof(key), "net.%s.%s", obj, field);
	*out = eng_stat(sim, key);
	return *out ? 0 : -ENOMEM;
}

/* ---- buffers ---------------------------------------------------------------- */

static struct net_buf *buf_get(struct net_link *l, struct net_wdir *d)
{
	struct net_buf *b = d->pool;

	if (b) {
		d->pool = b->next;
		return b;
	}
	return malloc(sizeof(*b) + l->buf_len);
}

static void buf_put(struct net_wdir *d, struct net_buf *b)
{
	b->next = d->pool;
	d->pool = b;
}

static void pool_free(struct net_wdir *d)
{
	while (d->pool) {
		struct net_buf *b = d->pool;

		d->pool = b->next;
		free(b);
	}
}

/* ---- one direction ------------------------------------------------------------ */

static void drop(struct net_wdir *d, enum net_drop why, size_t len)
{
	struct net_link *l = d->link;

	(*d->st[ST_DROP + why])++;
	eng_trace(l->sim, "net", "drop", "link=%s dir=%s len=%zu reason=%s", l->name,
		  dir_names[d->id], len, drop_names[why]);
}

/* Every queued and in-flight frame is lost; the transmitter is idle from now. */
static void dir_flush(struct net_wdir *d, bool count, enum net_drop why)
{
	struct sim *sim = d->link->sim;
	struct net_buf *lists[2] = { d->q_head, d->f_head };

	if (d->tx_ev)
		eng_cancel(sim, d->tx_ev);
	if (d->rx_ev)
		eng_cancel(sim, d->rx_ev);
	d->tx_ev = d->rx_ev = 0;
	for (int i = 0; i < 2; i++) {
		while (lists[i]) {
			struct net_buf *b = lists[i];

			lists[i] = b->next;
			if (count)
				drop(d, why, b->len);
			buf_put(d, b);
		}
	}
	d->q_head = d->q_tail = d->f_head = d->f_tail = NULL;
	d->q_frames = 0;
	d->q_bytes = d->q_wait_bits = 0;
	d->free_at = eng_now(sim);
	net_clock_restart(&d->clock, d->free_at);
}

static void tx_done_event(struct sim *sim, void *arg);
static void arrive_event(struct sim *sim, void *arg);

/* The head of the queue goes on the wire now. */
static int start_head(struct net_wdir *d)
{
	struct net_link *l = d->link;
	struct net_buf *b = d->q_head;
	struct net_clock c = d->clock;
	sim_time_t now = eng_now(l->sim), end;

	/* back to back with the previous frame: continue the burst's bit count so
	 * rounding does not accumulate */
	if (now != d->free_at)
		net_clock_restart(&c, now);
	end = net_clock_advance(&c, b->bits);
	d->tx_ev = eng_schedule_at(l->sim, end, tx_done_event, d);
	if (!d->tx_ev)
		return -ENOMEM;
	d->clock = c;
	d->q_wait_bits -= b->bits;
	d->free_at = end;
	*d->st[ST_BUSY] += end - now;
	eng_trace(l->sim, "net", "tx", "link=%s dir=%s len=%u end=%llu", l->name,
		  dir_names[d->id], b->len, (unsigned long long)end);
	return 0;
}

static void tx_done_event(struct sim *sim, void *arg)
{
	struct net_wdir *d = arg;
	struct net_link *l = d->link;
	struct net_port *src = l->port[d->id];
	struct net_buf *b = d->q_head;
	sim_time_t now = eng_now(sim);

	d->tx_ev = 0;
	d->q_head = b->next;
	if (!d->q_head)
		d->q_tail = NULL;
	d->q_frames--;
	d->q_bytes -= b->orig_len;
	if (src && src->taps.n)
		net_tapset_write(&src->taps, b->data, b->len, now);

	b->next = NULL;
	b->arrive = now + l->delay;
	if (d->f_tail)
		d->f_tail->next = b;
	else
		d->f_head = b;
	d->f_tail = b;
	if (!d->rx_ev) {
		d->rx_ev = eng_schedule_at(sim, b->arrive, arrive_event, d);
		if (!d->rx_ev) {
			dir_flush(d, true, NET_DROP_NOMEM);
			return;
		}
	}
	if (d->q_head && start_head(d)) {
		dir_flush(d, true, NET_DROP_NOMEM);
		return;
	}
	if (src && src->ops.tx_done)
		src->ops.tx_done(src->ctx, src);
}

static void arrive_event(struct sim *sim, void *arg)
{
	struct net_wdir *d = arg;
	struct net_link *l = d->link;
	struct net_port *dst = l->port[!d->id];
	struct net_buf *b = d->f_head;
	sim_time_t now = eng_now(sim);

	d->rx_ev = 0;
	d->f_head = b->next;
	if (!d->f_head)
		d->f_tail = NULL;
	/* arrange the next arrival first: the receiver may change the link */
	if (d->f_head) {
		d->rx_ev = eng_schedule_at(sim, d->f_head->arrive, arrive_event, d);
		if (!d->rx_ev) {
			struct net_buf *rest = d->f_head;

			d->f_head = d->f_tail = NULL;
			while (rest) {
				struct net_buf *n = rest->next;

				drop(d, NET_DROP_NOMEM, rest->len);
				buf_put(d, rest);
				rest = n;
			}
		}
	}
	(*d->st[ST_FRAMES])++;
	*d->st[ST_BYTES] += b->len;
	eng_trace(sim, "net", "rx", "link=%s dir=%s len=%u", l->name, dir_names[d->id], b->len);
	if (d->taps.n)
		net_tapset_write(&d->taps, b->data, b->len, now);
	if (dst) {
		if (dst->taps.n)
			net_tapset_write(&dst->taps, b->data, b->len, now);
		if (dst->ops.rx)
			dst->ops.rx(dst->ctx, dst, b->data, b->len, now);
	}
	buf_put(d, b);
}

/* ---- ports ------------------------------------------------------------------- */

int net_port_new(struct sim *sim, const struct net_port_cfg *cfg, const struct net_port_ops *ops,
		 void *ctx, struct net_port **out)
{
	static const struct net_port_cfg defaults;
	struct net_port *p;

	if (!sim || !out)
		return -EINVAL;
	if (!cfg)
		cfg = &defaults;
	if (cfg->tx_queue_frames > NET_PORT_MAX_QUEUE)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->sim = sim;
	snprintf(p->name, sizeof(p->name), "%s", cfg->name ? cfg->name : "port");
	if (ops)
		p->ops = *ops;
	p->ctx = ctx;
	p->q_max_frames = cfg->tx_queue_frames ? cfg->tx_queue_frames : NET_PORT_DEFAULT_QUEUE;
	p->q_max_bytes = cfg->tx_queue_bytes;
	*out = p;
	return 0;
}

static void notify(struct net_port *p, bool up)
{
	if (p && p->ops.link_change)
		p->ops.link_change(p->ctx, p, up);
}

void net_port_free(struct net_port *port)
{
	struct net_link *l;

	if (!port)
		return;
	l = port->link;
	if (l) {
		struct net_port *other = l->port[!port->end];
		bool was_up = l->up;

		dir_flush(&l->dir[0], true, NET_DROP_LINK_DOWN);
		dir_flush(&l->dir[1], true, NET_DROP_LINK_DOWN);
		l->up = false;
		l->port[port->end] = NULL;
		if (was_up)
			notify(other, false);
	}
	net_tapset_clear(&port->taps);
	free(port);
}

const char *net_port_name(const struct net_port *port)
{
	return port->name;
}

static int check_send(const struct net_port *port, const struct net_wdir *d, size_t len)
{
	const struct net_link *l = port->link;

	if (!l->up)
		return -ENETDOWN;
	if (len < NET_ETH_HLEN)
		return -EINVAL;
	if (len > l->max_len)
		return -EMSGSIZE;
	if (d->q_frames >= port->q_max_frames ||
	    (port->q_max_bytes && d->q_bytes + len > port->q_max_bytes))
		return -ENOBUFS;
	return 0;
}

int net_port_send(struct net_port *port, const void *frame, size_t len)
{
	struct net_link *l = port->link;
	struct net_wdir *d;
	struct net_buf *b;
	int rc;

	if (!l)
		return -ENOTCONN;
	d = &l->dir[port->end];
	rc = check_send(port, d, len);
	if (rc) {
		drop(d, rc == -ENETDOWN  ? NET_DROP_LINK_DOWN :
			rc == -EINVAL    ? NET_DROP_TOO_SHORT :
			rc == -EMSGSIZE  ? NET_DROP_TOO_LONG :
					   NET_DROP_QUEUE_FULL,
		     len);
		return rc;
	}
	b = buf_get(l, d);
	if (!b) {
		drop(d, NET_DROP_NOMEM, len);
		return -ENOMEM;
	}
	memcpy(b->data, frame, len);
	b->orig_len = (uint32_t)len;
	b->len = (uint32_t)len;
	if (len < NET_ETH_MIN_LEN) {
		/* IEEE 802.3 4.2.3.3: the MAC pads short frames */
		memset(b->data + len, 0, NET_ETH_MIN_LEN - len);
		b->len = NET_ETH_MIN_LEN;
	}
	b->bits = net_wire_bits(b->len);
	b->next = NULL;
	if (d->q_tail)
		d->q_tail->next = b;
	else
		d->q_head = b;
	d->q_tail = b;
	d->q_frames++;
	d->q_bytes += len;
	d->q_wait_bits += b->bits;
	if (d->q_frames == 1 && start_head(d)) {
		d->q_head = d->q_tail = NULL;
		d->q_frames = 0;
		d->q_bytes = d->q_wait_bits = 0;
		buf_put(d, b);
		drop(d, NET_DROP_NOMEM, len);
		return -ENOMEM;
	}
	return 0;
}

bool net_port_tx_room(const struct net_port *port, size_t len)
{
	return port->link && !check_send(port, &port->link->dir[port->end], len);
}

void net_port_tx_queued(const struct net_port *port, uint32_t *frames, uint64_t *bytes)
{
	const struct net_wdir *d = port->link ? &port->link->dir[port->end] : NULL;

	if (frames)
		*frames = d ? d->q_frames : 0;
	if (bytes)
		*bytes = d ? d->q_bytes : 0;
}

sim_time_t net_port_tx_free_at(const struct net_port *port)
{
	const struct net_link *l = port->link;
	const struct net_wdir *d;

	if (!l || !l->up)
		return ENG_TIME_MAX;
	d = &l->dir[port->end];
	if (!d->q_frames)
		return eng_now(l->sim);
	/* the frames behind the head follow it back to back */
	return d->clock.epoch + net_clock_offset(&d->clock, d->clock.units + d->q_wait_bits);
}

bool net_port_link_up(const struct net_port *port)
{
	return port->link && port->link->up;
}

uint64_t net_port_speed_bps(const struct net_port *port)
{
	return port->link ? port->link->rate : 0;
}

struct net_link *net_port_link(const struct net_port *port)
{
	return port->link;
}

struct net_tapset *net_port_tapset(struct net_port *port)
{
	return &port->taps;
}

/* ---- links ------------------------------------------------------------------- */

static int dir_init(struct net_link *l, enum net_dir id)
{
	struct net_wdir *d = &l->dir[id];
	char obj[NET_NAME_MAX + 8], field[32];
	int rc;

	d->link = l;
	d->id = id;
	net_clock_init(&d->clock, PS_PER_S, l->rate, 0);
	snprintf(obj, sizeof(obj), "%s.%s", l->name, dir_names[id]);
	rc = net_stat_ptr(l->sim, obj, "frames", &d->st[ST_FRAMES]);
	if (!rc)
		rc = net_stat_ptr(l->sim, obj, "bytes", &d->st[ST_BYTES]);
	if (!rc)
		rc = net_stat_ptr(l->sim, obj, "busy_ps", &d->st[ST_BUSY]);
	for (int i = 0; !rc && i < NET_DROP_COUNT; i++) {
		snprintf(field, sizeof(field), "drop.%s", drop_names[i]);
		rc = net_stat_ptr(l->sim, obj, field, &d->st[ST_DROP + i]);
	}
	return rc;
}

int net_link_new(struct sim *sim, const struct net_link_cfg *cfg, struct net_port *a,
		 struct net_port *b, struct net_link **out)
{
	struct net_link *l;
	uint64_t delay;
	int rc;

	if (!sim || !cfg || !a || !b || !out || a == b || !cfg->rate_bps ||
	    cfg->max_frame_len > NET_FRAME_MAX ||
	    (cfg->max_frame_len && cfg->max_frame_len < NET_ETH_HLEN))
		return -EINVAL;
	if (a->link || b->link)
		return -EBUSY;
	delay = (uint64_t)cfg->length_m * NET_PROP_PS_PER_M;
	if (cfg->delay_ps > ENG_TIME_MAX / 4 || delay > ENG_TIME_MAX / 4 - cfg->delay_ps)
		return -ERANGE;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->sim = sim;
	l->rate = cfg->rate_bps;
	l->delay = delay + cfg->delay_ps;
	l->max_len = cfg->max_frame_len ? cfg->max_frame_len : NET_ETH_STD_MAX;
	l->buf_len = l->max_len < NET_ETH_MIN_LEN ? NET_ETH_MIN_LEN : l->max_len;
	rc = net_name_claim(sim, cfg->name, "link", l->name);
	if (!rc)
		rc = dir_init(l, NET_DIR_AB);
	if (!rc)
		rc = dir_init(l, NET_DIR_BA);
	if (rc)
		goto fail;
	l->port[NET_DIR_AB] = a;
	l->port[NET_DIR_BA] = b;
	a->link = l;
	a->end = NET_DIR_AB;
	b->link = l;
	b->end = NET_DIR_BA;
	l->up = true;
	*out = l;
	eng_trace(sim, "net", "link_new", "link=%s a=%s b=%s rate=%llu delay=%llu", l->name,
		  a->name, b->name, (unsigned long long)l->rate, (unsigned long long)l->delay);
	notify(a, true);
	notify(b, true);
	return 0;
fail:
	free(l);
	return rc;
}

void net_link_free(struct net_link *link)
{
	if (!link)
		return;
	for (int i = 0; i < 2; i++) {
		struct net_wdir *d = &link->dir[i];

		dir_flush(d, false, NET_DROP_LINK_DOWN);
		pool_free(d);
		net_tapset_clear(&d->taps);
		if (link->port[i])
			link->port[i]->link = NULL;
	}
	free(link);
}

const char *net_link_name(const struct net_link *link)
{
	return link->name;
}

uint64_t net_link_rate(const struct net_link *link)
{
	return link->rate;
}

sim_time_t net_link_delay(const struct net_link *link)
{
	return link->delay;
}

struct net_port *net_link_port(const struct net_link *link, enum net_dir from)
{
	return (unsigned)from < 2 ? link->port[from] : NULL;
}

int net_link_set_up(struct net_link *link, bool up)
{
	if (up == link->up)
		return 0;
	if (up) {
		if (!link->port[0] || !link->port[1])
			return -ENOTCONN;
		link->up = true;
	} else {
		dir_flush(&link->dir[0], true, NET_DROP_LINK_DOWN);
		dir_flush(&link->dir[1], true, NET_DROP_LINK_DOWN);
		link->up = false;
	}
	eng_trace(link->sim, "net", up ? "link_up" : "link_down", "link=%s", link->name);
	notify(link->port[0], up);
	notify(link->port[1], up);
	return 0;
}

bool net_link_is_up(const struct net_link *link)
{
	return link->up;
}

int net_link_stats(const struct net_link *link, enum net_dir dir, struct net_dir_stats *out)
{
	const struct net_wdir *d;

	if (!link || !out || (unsigned)dir > NET_DIR_BA)
		return -EINVAL;
	d = &link->dir[dir];
	out->frames = *d->st[ST_FRAMES];
	out->bytes = *d->st[ST_BYTES];
	out->busy_ps = *d->st[ST_BUSY];
	for (int i = 0; i < NET_DROP_COUNT; i++)
		out->drops[i] = *d->st[ST_DROP + i];
	return 0;
}

struct net_tapset *net_link_tapset(struct net_link *link, enum net_dir dir)
{
	return (unsigned)dir < 2 ? &link->dir[dir].taps : NULL;
}
