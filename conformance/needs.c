// SPDX-License-Identifier: MIT
/*
 * Profiles and requirement applicability.  A requirement that depends on a
 * feature the device does not offer is not_applicable for that device, never
 * pass; rows about negotiation ("Without EVENT_IDX ...") stay applicable,
 * because the driver can always decline a feature.  The rules below are keyed
 * by id (a prefix ending in '-' covers a whole area) and were read off the
 * paraphrases in requirements.tsv.
 */
#include "conformance/conformance.h"
#include "vdpasim/uapi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define F(bit) (1ULL << (bit))

/* ---- profiles ------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned item;
	int bit; /* -1: not a feature (split) */
} profile_items[] = {
	{ "split", CONF_P_SPLIT, -1 },
	{ "packed", CONF_P_PACKED, VIRTIO_F_RING_PACKED },
	{ "event_idx", CONF_P_EVENT_IDX, VIRTIO_RING_F_EVENT_IDX },
	{ "indirect", CONF_P_INDIRECT, VIRTIO_RING_F_INDIRECT_DESC },
	{ "in_order", CONF_P_IN_ORDER, VIRTIO_F_IN_ORDER },
	{ "mq", CONF_P_MQ, VIRTIO_NET_F_MQ },
	{ "ctrl_vq", CONF_P_CTRL_VQ, VIRTIO_NET_F_CTRL_VQ },
	{ "suspend", CONF_P_SUSPEND, VIRTIO_F_SUSPEND },
};
#define NITEMS (sizeof(profile_items) / sizeof(profile_items[0]))

unsigned conf_profile_offered(uint64_t features)
{
	unsigned items = 0;

	for (size_t i = 0; i < NITEMS; i++)
		if (profile_items[i].bit < 0 || (features & F(profile_items[i].bit)))
			items |= profile_items[i].item;
	return items;
}

uint64_t conf_profile_features(unsigned items)
{
	uint64_t f = 0;

	for (size_t i = 0; i < NITEMS; i++)
		if ((items & profile_items[i].item) && profile_items[i].bit >= 0)
			f |= F(profile_items[i].bit);
	return f;
}

size_t conf_profile_format(unsigned items, char *buf, size_t size)
{
	size_t n = 0;

	if (size)
		buf[0] = 0;
	for (size_t i = 0; i < NITEMS; i++) {
		if (!(items & profile_items[i].item))
			continue;
		n += (size_t)snprintf(buf + (n < size ? n : size), n < size ? size - n : 0, "%s%s",
				      n ? "," : "", profile_items[i].name);
	}
	if (!n)
		n = (size_t)snprintf(buf, size, "none");
	return n;
}

int conf_profile_parse(const char *s, unsigned *items, char *bad, size_t badlen)
{
	unsigned v = 0;

	if (bad && badlen)
		bad[0] = 0;
	if (!s || !*s)
		return -EINVAL;
	while (*s) {
		size_t n = strcspn(s, ",");
		bool found = false;

		for (size_t i = 0; i < NITEMS; i++) {
			if (strlen(profile_items[i].name) == n &&
			    !strncmp(profile_items[i].name, s, n)) {
				v |= profile_items[i].item;
				found = true;
			}
		}
		if (!found) {
			if (bad && badlen)
				snprintf(bad, badlen, "%.*s", (int)n, s);
			return -EINVAL;
		}
		s += n;
		if (*s == ',' && !*++s)
			return -EINVAL; /* trailing comma */
	}
	*items = v;
	return 0;
}

/* ---- requirement needs ------------------------------------------------------------------------ */

struct need_rule {
	const char *pattern; /* exact id, or a prefix ending in '-' */
	uint64_t all;        /* every one of these offered */
	uint64_t any;        /* at least one of these offered (0: no constraint) */
	uint64_t none;       /* none of these offered */
	unsigned rings;
};

/* Net features newer than the Linux 6.1 header are not listed: rows that
 * depend on them stay applicable (and untested) until uapi.h defines them. */
static const struct need_rule rules[] = {
	/* whole areas */
	{ "SPLIT-", 0, 0, 0, CONF_RING_SPLIT },
	{ "PACKED-", F(VIRTIO_F_RING_PACKED), 0, 0, CONF_RING_PACKED },
	{ "SUSPEND-", F(VIRTIO_F_SUSPEND), 0, 0, 0 },
	{ "VQRESET-", F(VIRTIO_F_RING_RESET), 0, 0, 0 },
	{ "ADMIN-", F(VIRTIO_F_ADMIN_VQ), 0, 0, 0 },
	{ "PARTS-", F(VIRTIO_F_ADMIN_VQ), 0, 0, 0 },
	{ "NET-PARTS-", F(VIRTIO_F_ADMIN_VQ) | F(VIRTIO_NET_F_CTRL_VQ), 0, 0, 0 },
	{ "NET-MQ-", F(VIRTIO_NET_F_MQ) | F(VIRTIO_NET_F_CTRL_VQ), 0, 0, 0 },
	{ "NET-CTRL-", F(VIRTIO_NET_F_CTRL_VQ), 0, 0, 0 },
	{ "NET-ANN-", F(VIRTIO_NET_F_GUEST_ANNOUNCE) | F(VIRTIO_NET_F_CTRL_VQ), 0, 0, 0 },
	{ "NET-OFF-", F(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) | F(VIRTIO_NET_F_CTRL_VQ), 0, 0, 0 },
	/* 2.7 split ring: rows about a negotiated feature */
	{ "SPLIT-DEV-07", F(VIRTIO_RING_F_INDIRECT_DESC), 0, 0, CONF_RING_SPLIT },
	{ "SPLIT-DEV-08", F(VIRTIO_RING_F_INDIRECT_DESC), 0, 0, CONF_RING_SPLIT },
	{ "SPLIT-DEV-12", F(VIRTIO_RING_F_EVENT_IDX), 0, 0, CONF_RING_SPLIT },
	{ "SPLIT-DEV-13", F(VIRTIO_RING_F_EVENT_IDX), 0, 0, CONF_RING_SPLIT },
	{ "SPLIT-DEV-14", F(VIRTIO_RING_F_EVENT_IDX), 0, 0, CONF_RING_SPLIT },
	{ "SPLIT-DEV-20", F(VIRTIO_RING_F_EVENT_IDX), 0, 0, CONF_RING_SPLIT },
	{ "SPLIT-DEV-21", F(VIRTIO_RING_F_EVENT_IDX), 0, 0, CONF_RING_SPLIT },
	{ "SPLIT-DEV-X04", F(VIRTIO_F_IN_ORDER), 0, 0, CONF_RING_SPLIT },
	{ "SPLIT-DRV-05", F(VIRTIO_F_IN_ORDER), 0, 0, CONF_RING_SPLIT },
	{ "SPLIT-DRV-07", F(VIRTIO_RING_F_INDIRECT_DESC), 0, 0, CONF_RING_SPLIT },
	{ "SPLIT-DRV-10", F(VIRTIO_F_IN_ORDER) | F(VIRTIO_RING_F_INDIRECT_DESC), 0, 0,
	  CONF_RING_SPLIT },
	{ "SPLIT-DRV-14", F(VIRTIO_RING_F_EVENT_IDX), 0, 0, CONF_RING_SPLIT },
	{ "SPLIT-DRV-15", F(VIRTIO_RING_F_EVENT_IDX), 0, 0, CONF_RING_SPLIT },
	{ "SPLIT-DRV-23", F(VIRTIO_RING_F_EVENT_IDX), 0, 0, CONF_RING_SPLIT },
	{ "SPLIT-DRV-24", F(VIRTIO_RING_F_EVENT_IDX), 0, 0, CONF_RING_SPLIT },
	{ "SPLIT-DRV-25", F(VIRTIO_RING_F_EVENT_IDX), 0, 0, CONF_RING_SPLIT },
	{ "SPLIT-DRV-X02", F(VIRTIO_F_IN_ORDER), 0, 0, CONF_RING_SPLIT },
	/* 2.8 packed ring */
	{ "PACKED-DEV-X05", F(VIRTIO_F_RING_PACKED) | F(VIRTIO_RING_F_INDIRECT_DESC), 0, 0,
	  CONF_RING_PACKED },
	{ "PACKED-DEV-X07", F(VIRTIO_F_RING_PACKED) | F(VIRTIO_F_IN_ORDER), 0, 0,
	  CONF_RING_PACKED },
	{ "PACKED-DEV-X10", F(VIRTIO_F_RING_PACKED) | F(VIRTIO_RING_F_EVENT_IDX), 0, 0,
	  CONF_RING_PACKED },
	/* 2.9 notification data */
	{ "NOTIF-", F(VIRTIO_F_NOTIFICATION_DATA), 0, 0, 0 },
	/* 6 reserved feature bits */
	{ "RSVFEAT-DEV-05", F(VIRTIO_F_IN_ORDER), 0, 0, 0 },
	{ "RSVFEAT-DEV-06", F(VIRTIO_F_ORDER_PLATFORM), 0, 0, 0 },
	{ "RSVFEAT-DEV-07", F(VIRTIO_F_ORDER_PLATFORM), 0, 0, 0 },
	{ "RSVFEAT-DRV-09", F(VIRTIO_F_SR_IOV), 0, 0, 0 },
	{ "RSVFEAT-DRV-11", F(VIRTIO_F_SR_IOV), 0, 0, 0 },
	{ "RSVFEAT-DRV-12", F(VIRTIO_F_SR_IOV), 0, 0, 0 },
	{ "RSVFEAT-DRV-13", F(VIRTIO_F_NOTIF_CONFIG_DATA), 0, 0, 0 },
	/* 4.1 PCI transport */
	{ "PCI-DEV-20", F(VIRTIO_F_RING_RESET), 0, 0, 0 },
	{ "PCI-DEV-21", F(VIRTIO_F_RING_RESET), 0, 0, 0 },
	{ "PCI-DEV-22", F(VIRTIO_F_RING_RESET), 0, 0, 0 },
	{ "PCI-DEV-23", F(VIRTIO_F_RING_RESET), 0, 0, 0 },
	{ "PCI-DEV-24", F(VIRTIO_F_RING_RESET), 0, 0, 0 },
	{ "PCI-DEV-27", F(VIRTIO_F_ADMIN_VQ), 0, 0, 0 },
	{ "PCI-DEV-29", 0, 0, F(VIRTIO_F_NOTIFICATION_DATA), 0 },
	{ "PCI-DEV-30", 0, 0, F(VIRTIO_F_NOTIFICATION_DATA), 0 },
	{ "PCI-DEV-31", 0, 0, F(VIRTIO_F_NOTIFICATION_DATA), 0 },
	{ "PCI-DEV-32", 0, 0, F(VIRTIO_F_NOTIFICATION_DATA), 0 },
	{ "PCI-DEV-33", 0, 0, F(VIRTIO_F_NOTIFICATION_DATA), 0 },
	{ "PCI-DEV-34", F(VIRTIO_F_NOTIFICATION_DATA), 0, 0, 0 },
	{ "PCI-DEV-35", F(VIRTIO_F_NOTIFICATION_DATA), 0, 0, 0 },
	{ "PCI-DEV-36", F(VIRTIO_F_NOTIFICATION_DATA), 0, 0, 0 },
	{ "PCI-DEV-37", F(VIRTIO_F_NOTIFICATION_DATA), 0, 0, 0 },
	{ "PCI-DEV-38", F(VIRTIO_F_NOTIFICATION_DATA), 0, 0, 0 },
	{ "PCI-DRV-21", F(VIRTIO_F_RING_RESET), 0, 0, 0 },
	{ "PCI-DRV-24", F(VIRTIO_F_ADMIN_VQ), 0, 0, 0 },
	{ "PCI-DRV-38", F(VIRTIO_F_NOTIFICATION_DATA), 0, 0, 0 },
	{ "PCI-DRV-40", F(VIRTIO_F_NOTIFICATION_DATA), 0, 0, 0 },
	{ "PCI-DRV-41", F(VIRTIO_F_NOTIF_CONFIG_DATA), 0, 0, 0 },
	{ "PCI-DRV-42", F(VIRTIO_F_NOTIF_CONFIG_DATA) | F(VIRTIO_F_NOTIFICATION_DATA), 0, 0, 0 },
	/* 5.1 net: configuration fields and control-queue classes */
	{ "NET-CFG-DEV-01", F(VIRTIO_NET_F_MQ), 0, 0, 0 },
	{ "NET-CFG-DEV-02", F(VIRTIO_NET_F_MTU), 0, 0, 0 },
	{ "NET-CFG-DEV-03", F(VIRTIO_NET_F_MTU), 0, 0, 0 },
	{ "NET-CFG-DEV-04", F(VIRTIO_NET_F_MTU), 0, 0, 0 },
	{ "NET-CFG-DEV-05", F(VIRTIO_NET_F_MTU), 0, 0, 0 },
	{ "NET-CFG-DEV-06", F(VIRTIO_NET_F_MTU), 0, 0, 0 },
	{ "NET-CFG-DEV-07", 0, F(VIRTIO_NET_F_RSS) | F(VIRTIO_NET_F_HASH_REPORT), 0, 0 },
	{ "NET-CFG-DEV-08", F(VIRTIO_NET_F_RSS), 0, 0, 0 },
	{ "NET-CFG-DEV-09", F(VIRTIO_NET_F_STANDBY), 0, 0, 0 },
	{ "NET-CFG-DEV-10", F(VIRTIO_NET_F_SPEED_DUPLEX), 0, 0, 0 },
	{ "NET-CFG-DEV-11", F(VIRTIO_NET_F_SPEED_DUPLEX), 0, 0, 0 },
	{ "NET-CFG-DEV-12", F(VIRTIO_NET_F_SPEED_DUPLEX) | F(VIRTIO_NET_F_STATUS), 0, 0, 0 },
	{ "NET-CFG-DRV-03", F(VIRTIO_NET_F_MAC), 0, 0, 0 },
	{ "NET-CFG-DRV-06", F(VIRTIO_NET_F_STATUS), 0, 0, 0 },
	{ "NET-CFG-DRV-08", F(VIRTIO_NET_F_MTU), 0, 0, 0 },
	{ "NET-CFG-DRV-09", F(VIRTIO_NET_F_MTU), 0, 0, 0 },
	{ "NET-CFG-DRV-11", F(VIRTIO_NET_F_SPEED_DUPLEX), 0, 0, 0 },
	{ "NET-CFG-DRV-12", F(VIRTIO_NET_F_SPEED_DUPLEX), 0, 0, 0 },
	{ "NET-RX-DEV-02", F(VIRTIO_NET_F_MRG_RXBUF), 0, 0, 0 },
	{ "NET-RX-DEV-14", F(VIRTIO_NET_F_GUEST_ECN), 0, 0, 0 },
	{ "NET-RX-DEV-17", F(VIRTIO_NET_F_GUEST_CSUM), 0, 0, 0 },
	{ "NET-RX-DEV-18", F(VIRTIO_NET_F_GUEST_CSUM), 0, 0, 0 },
	{ "NET-RX-DEV-19", F(VIRTIO_NET_F_GUEST_CSUM), 0, 0, 0 },
	{ "NET-RX-DEV-20", F(VIRTIO_NET_F_GUEST_CSUM), 0, 0, 0 },
	{ "NET-RX-DEV-27", 0, F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) |
	  F(VIRTIO_NET_F_GUEST_UFO), 0, 0 },
	{ "NET-RX-DEV-28", 0, F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) |
	  F(VIRTIO_NET_F_GUEST_UFO), 0, 0 },
	{ "NET-RX-DEV-29", F(VIRTIO_NET_F_RSC_EXT), 0, 0, 0 },
	{ "NET-RX-DEV-31", 0, F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) |
	  F(VIRTIO_NET_F_GUEST_UFO), 0, 0 },
	{ "NET-RX-DEV-32", F(VIRTIO_NET_F_GUEST_CSUM), 0, 0, 0 },
	{ "NET-RX-DEV-33", F(VIRTIO_NET_F_GUEST_CSUM), 0, 0, 0 },
	{ "NET-RXB-DRV-03", F(VIRTIO_NET_F_MRG_RXBUF), 0, 0, 0 },
	{ "NET-RXB-DRV-05", F(VIRTIO_NET_F_MQ), 0, 0, 0 },
	{ "NET-RXF-DEV-", F(VIRTIO_NET_F_CTRL_RX) | F(VIRTIO_NET_F_CTRL_VQ), 0, 0, 0 },
	{ "NET-RXF-DEV-05", F(VIRTIO_NET_F_CTRL_RX_EXTRA), 0, 0, 0 },
	{ "NET-RXF-DEV-06", F(VIRTIO_NET_F_CTRL_RX_EXTRA), 0, 0, 0 },
	{ "NET-RXF-DEV-07", F(VIRTIO_NET_F_CTRL_RX_EXTRA), 0, 0, 0 },
	{ "NET-RXF-DEV-08", F(VIRTIO_NET_F_CTRL_RX_EXTRA), 0, 0, 0 },
	{ "NET-RXF-DEV-09", F(VIRTIO_NET_F_CTRL_RX_EXTRA), 0, 0, 0 },
	{ "NET-RXF-DEV-10", F(VIRTIO_NET_F_CTRL_RX_EXTRA), 0, 0, 0 },
	{ "NET-RXF-DEV-11", F(VIRTIO_NET_F_CTRL_RX_EXTRA), 0, 0, 0 },
	{ "NET-RXF-DEV-12", F(VIRTIO_NET_F_CTRL_RX_EXTRA), 0, 0, 0 },
	{ "NET-RXF-DEV-13", F(VIRTIO_NET_F_CTRL_RX_EXTRA), 0, 0, 0 },
	{ "NET-MAC-DEV-", F(VIRTIO_NET_F_CTRL_RX) | F(VIRTIO_NET_F_CTRL_VQ), 0, 0, 0 },
	{ "NET-MAC-DEV-03", F(VIRTIO_NET_F_CTRL_MAC_ADDR) | F(VIRTIO_NET_F_MAC), 0, 0, 0 },
	{ "NET-MAC-DRV-02", F(VIRTIO_NET_F_CTRL_RX) | F(VIRTIO_NET_F_CTRL_VQ), 0, 0, 0 },
	{ "NET-MAC-DRV-03", F(VIRTIO_NET_F_CTRL_RX) | F(VIRTIO_NET_F_CTRL_VQ), 0, 0, 0 },
	{ "NET-MAC-DRV-04", F(VIRTIO_NET_F_CTRL_RX) | F(VIRTIO_NET_F_CTRL_VQ), 0, 0, 0 },
	{ "NET-VLAN-DEV-02", F(VIRTIO_NET_F_CTRL_VLAN) | F(VIRTIO_NET_F_CTRL_VQ), 0, 0, 0 },
	{ "NET-VLAN-DEV-03", F(VIRTIO_NET_F_CTRL_VLAN) | F(VIRTIO_NET_F_CTRL_VQ), 0, 0, 0 },
	{ "NET-VLAN-DEV-X01", F(VIRTIO_NET_F_CTRL_VLAN) | F(VIRTIO_NET_F_CTRL_VQ), 0, 0, 0 },
};
#define NRULES (sizeof(rules) / sizeof(rules[0]))

static bool rule_matches(const struct need_rule *r, const char *id)
{
	size_t n = strlen(r->pattern);

	if (n && r->pattern[n - 1] == '-')
		return !strncmp(r->pattern, id, n);
	return !strcmp(r->pattern, id);
}

/* The rules that match combine: all and none accumulate; any is a list of alternatives. */
struct need {
	uint64_t all, none;
	uint64_t any[4];
	int nany;
	unsigned rings;
};

static void need_of(const char *id, struct need *n)
{
	memset(n, 0, sizeof(*n));
	if (!id)
		return;
	for (size_t i = 0; i < NRULES; i++) {
		const struct need_rule *r = &rules[i];

		if (!rule_matches(r, id))
			continue;
		n->all |= r->all;
		n->none |= r->none;
		n->rings |= r->rings;
		if (r->any && n->nany < 4)
			n->any[n->nany++] = r->any;
	}
}

/* Name of a feature bit for messages. */
static const char *feature_name(int bit)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {
		{ VIRTIO_NET_F_GUEST_CSUM, "VIRTIO_NET_F_GUEST_CSUM" },
		{ VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, "VIRTIO_NET_F_CTRL_GUEST_OFFLOADS" },
		{ VIRTIO_NET_F_MTU, "VIRTIO_NET_F_MTU" },
		{ VIRTIO_NET_F_MAC, "VIRTIO_NET_F_MAC" },
		{ VIRTIO_NET_F_GUEST_TSO4, "VIRTIO_NET_F_GUEST_TSO4" },
		{ VIRTIO_NET_F_GUEST_TSO6, "VIRTIO_NET_F_GUEST_TSO6" },
		{ VIRTIO_NET_F_GUEST_ECN, "VIRTIO_NET_F_GUEST_ECN" },
		{ VIRTIO_NET_F_GUEST_UFO, "VIRTIO_NET_F_GUEST_UFO" },
		{ VIRTIO_NET_F_MRG_RXBUF, "VIRTIO_NET_F_MRG_RXBUF" },
		{ VIRTIO_NET_F_STATUS, "VIRTIO_NET_F_STATUS" },
		{ VIRTIO_NET_F_CTRL_VQ, "VIRTIO_NET_F_CTRL_VQ" },
		{ VIRTIO_NET_F_CTRL_RX, "VIRTIO_NET_F_CTRL_RX" },
		{ VIRTIO_NET_F_CTRL_VLAN, "VIRTIO_NET_F_CTRL_VLAN" },
		{ VIRTIO_NET_F_CTRL_RX_EXTRA, "VIRTIO_NET_F_CTRL_RX_EXTRA" },
		{ VIRTIO_NET_F_GUEST_ANNOUNCE, "VIRTIO_NET_F_GUEST_ANNOUNCE" },
		{ VIRTIO_NET_F_MQ, "VIRTIO_NET_F_MQ" },
		{ VIRTIO_NET_F_CTRL_MAC_ADDR, "VIRTIO_NET_F_CTRL_MAC_ADDR" },
		{ VIRTIO_RING_F_INDIRECT_DESC, "VIRTIO_F_INDIRECT_DESC" },
		{ VIRTIO_RING_F_EVENT_IDX, "VIRTIO_F_EVENT_IDX" },
		{ VIRTIO_F_RING_PACKED, "VIRTIO_F_RING_PACKED" },
		{ VIRTIO_F_IN_ORDER, "VIRTIO_F_IN_ORDER" },
		{ VIRTIO_F_ORDER_PLATFORM, "VIRTIO_F_ORDER_PLATFORM" },
		{ VIRTIO_F_SR_IOV, "VIRTIO_F_SR_IOV" },
		{ VIRTIO_F_NOTIFICATION_DATA, "VIRTIO_F_NOTIFICATION_DATA" },
		{ VIRTIO_F_NOTIF_CONFIG_DATA, "VIRTIO_F_NOTIF_CONFIG_DATA" },
		{ VIRTIO_F_RING_RESET, "VIRTIO_F_RING_RESET" },
		{ VIRTIO_F_ADMIN_VQ, "VIRTIO_F_ADMIN_VQ" },
		{ VIRTIO_F_SUSPEND, "VIRTIO_F_SUSPEND" },
		{ VIRTIO_NET_F_HASH_REPORT, "VIRTIO_NET_F_HASH_REPORT" },
		{ VIRTIO_NET_F_RSS, "VIRTIO_NET_F_RSS" },
		{ VIRTIO_NET_F_RSC_EXT, "VIRTIO_NET_F_RSC_EXT" },
		{ VIRTIO_NET_F_STANDBY, "VIRTIO_NET_F_STANDBY" },
		{ VIRTIO_NET_F_SPEED_DUPLEX, "VIRTIO_NET_F_SPEED_DUPLEX" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].bit == bit)
			return names[i].name;
	return "a feature";
}

static int lowest_bit(uint64_t v)
{
	for (int b = 0; b < 64; b++)
		if (v & F(b))
			return b;
	return -1;
}

bool conf_req_applicable(const char *id, uint64_t offered, char *why, size_t whylen)
{
	struct need n;
	uint64_t missing;

	if (why && whylen)
		why[0] = 0;
	need_of(id, &n);
	missing = n.all & ~offered;
	if (missing) {
		if (why && whylen)
			snprintf(why, whylen, "device does not offer %s",
				 feature_name(lowest_bit(missing)));
		return false;
	}
	if (n.none & offered) {
		if (why && whylen)
			snprintf(why, whylen, "applies only when %s is not offered",
				 feature_name(lowest_bit(n.none & offered)));
		return false;
	}
	for (int i = 0; i < n.nany; i++) {
		if (!(n.any[i] & offered)) {
			if (why && whylen)
				snprintf(why, whylen, "device offers none of the features it "
					 "depends on (%s, ...)", feature_name(lowest_bit(n.any[i])));
			return false;
		}
	}
	return true;
}

unsigned conf_req_rings(const char *id)
{
	struct need n;

	need_of(id, &n);
	return n.rings;
}

uint64_t conf_req_features(const char *id)
{
	struct need n;

	need_of(id, &n);
	return n.all;
}

int conf_needs_validate(char *bad, size_t badlen)
{
	for (size_t i = 0; i < NRULES; i++) {
		size_t n = strlen(rules[i].pattern), hits = 0;

		for (size_t k = 0; k < conf_nrequirements; k++)
			hits += rule_matches(&rules[i], conf_requirements[k].id);
		if (!hits || (n && rules[i].pattern[n - 1] != '-' && hits != 1)) {
			snprintf(bad, badlen, "%s", rules[i].pattern);
			return -EINVAL;
		}
	}
	return 0;
}
