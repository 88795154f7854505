// SPDX-License-Identifier: MIT
/*
 * Pcap taps through libpcap: a "dead" handle with nanosecond precision gives a
 * file whose header holds only the magic, version, snaplen and link type, so
 * the same simulated traffic gives the same bytes.  Each tap remembers the
 * points it is attached to and each point its taps, so either side can go away
 * first.
 */
#include "sim/net/net_priv.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAPLEN 65535

struct net_tap {
	struct sim *sim;
	char *path;
	pcap_t *pc;
	pcap_dumper_t *dump;
	uint64_t frames;
	struct net_tapset *point[NET_TAP_POINTS_MAX];
	unsigned npoints;
};

int net_tap_open(struct sim *sim, const char *path, struct net_tap **out)
{
	struct net_tap *t;
	int rc = -ENOMEM;

	if (!sim || !path || !out)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->sim = sim;
	t->path = strdup(path);
	if (!t->path)
		goto fail;
	t->pc = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, SNAPLEN,
						     PCAP_TSTAMP_PRECISION_NANO);
	if (!t->pc)
		goto fail;
	errno = 0;
	t->dump = pcap_dump_open(t->pc, path);
	if (!t->dump) {
		rc = errno ? -errno : -EIO;
		goto fail;
	}
	*out = t;
	return 0;
fail:
	if (t->pc)
		pcap_close(t->pc);
	free(t->path);
	free(t);
	return rc;
}

static bool point_has(const struct net_tapset *ts, const struct net_tap *tap)
{
	for (unsigned i = 0; i < ts->n; i++)
		if (ts->tap[i] == tap)
			return true;
	return false;
}

static int attach(struct net_tap *tap, struct net_tapset *ts)
{
	if (point_has(ts, tap))
		return -EEXIST;
	if (ts->n == NET_TAPS_PER_POINT || tap->npoints == NET_TAP_POINTS_MAX)
		return -ENOSPC;
	ts->tap[ts->n++] = tap;
	tap->point[tap->npoints++] = ts;
	return 0;
}

static void remove_tap(struct net_tapset *ts, const struct net_tap *tap)
{
	for (unsigned i = 0; i < ts->n; i++) {
		if (ts->tap[i] == tap) {
			memmove(&ts->tap[i], &ts->tap[i + 1], (ts->n - i - 1) * sizeof(ts->tap[0]));
			ts->n--;
			return;
		}
	}
}

static void remove_point(struct net_tap *tap, const struct net_tapset *ts)
{
	for (unsigned i = 0; i < tap->npoints; i++) {
		if (tap->point[i] == ts) {
			memmove(&tap->point[i], &tap->point[i + 1],
				(tap->npoints - i - 1) * sizeof(tap->point[0]));
			tap->npoints--;
			return;
		}
	}
}

static void detach(struct net_tap *tap, struct net_tapset *ts)
{
	remove_tap(ts, tap);
	remove_point(tap, ts);
}

int net_tap_link(struct net_tap *tap, struct net_link *link, enum net_dir dir)
{
	int rc;

	if (!tap || !link || (unsigned)dir > NET_DIR_BOTH)
		return -EINVAL;
	if (dir != NET_DIR_BOTH)
		return attach(tap, net_link_tapset(link, dir));
	rc = attach(tap, net_link_tapset(link, NET_DIR_AB));
	if (rc)
		return rc;
	rc = attach(tap, net_link_tapset(link, NET_DIR_BA));
	if (rc)
		detach(tap, net_link_tapset(link, NET_DIR_AB));
	return rc;
}

int net_tap_port(struct net_tap *tap, struct net_port *port)
{
	if (!tap || !port)
		return -EINVAL;
	return attach(tap, net_port_tapset(port));
}

void net_tapset_write(struct net_tapset *ts, const uint8_t *frame, size_t len, sim_time_t at)
{
	uint64_t ns = at / 1000; /* picosecond remainder truncated */
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(ns / 1000000000ULL);
	/* a nanosecond-precision dumper stores this field as nanoseconds */
	h.ts.tv_usec = (suseconds_t)(ns % 1000000000ULL);
	h.caplen = (bpf_u_int32)(len < SNAPLEN ? len : SNAPLEN);
	h.len = (bpf_u_int32)len;
	for (unsigned i = 0; i < ts->n; i++) {
		struct net_tap *t = ts->tap[i];

		pcap_dump((u_char *)t->dump, &h, frame);
		t->frames++;
	}
}

void net_tapset_clear(struct net_tapset *ts)
{
	while (ts->n)
		detach(ts->tap[0], ts);
}

uint64_t net_tap_frames(const struct net_tap *tap)
{
	return tap->frames;
}

const char *net_tap_path(const struct net_tap *tap)
{
	return tap->path;
}

int net_tap_flush(struct net_tap *tap)
{
	if (pcap_dump_flush(tap->dump) || ferror(pcap_dump_file(tap->dump)))
		return -EIO;
	return 0;
}

int net_tap_close(struct net_tap *tap)
{
	int rc;

	if (!tap)
		return 0;
	while (tap->npoints)
		detach(tap, tap->point[0]);
	rc = net_tap_flush(tap);
	pcap_dump_close(tap->dump);
	pcap_close(tap->pc);
	free(tap->path);
	free(tap);
	return rc;
}
