// SPDX-License-Identifier: MIT
/*
 * Wire arithmetic and the test frame format shared by generators, sinks, the
 * virtio-net driver and scenarios.  Multi-byte fields are big-endian (network
 * order) and written byte by byte.
 */
#include "sim/net/net_priv.h"

#include <errno.h>
#include <string.h>

uint64_t net_wire_bits(size_t len)
{
	if (len < NET_ETH_MIN_LEN)
		len = NET_ETH_MIN_LEN;
	return ((uint64_t)len + NET_ETH_FCS_LEN + NET_ETH_OVERHEAD) * 8;
}

sim_time_t net_wire_ps(uint64_t rate_bps, size_t len)
{
	struct net_clock c;

	if (!rate_bps)
		return 0;
	net_clock_init(&c, 1000000000000ULL, rate_bps, 0);
	return net_clock_offset(&c, net_wire_bits(len));
}

static void put_be(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

/* Payload byte at offset i is (i + base) & 0xff. */
static inline uint8_t payload_base(const struct net_test_hdr *h)
{
	return (uint8_t)(h->seq * 7 + (uint64_t)h->flow * 13);
}

int net_frame_build(uint8_t *buf, size_t cap, size_t len, const uint8_t dst[NET_ETH_ALEN],
		    const uint8_t src[NET_ETH_ALEN], const struct net_test_hdr *hdr)
{
	uint8_t base;

	if (!buf || !dst || !src || !hdr || len < NET_TEST_MIN_LEN || len > cap || len > 0xffff)
		return -EINVAL;
	memcpy(buf, dst, NET_ETH_ALEN);
	memcpy(buf + NET_ETH_ALEN, src, NET_ETH_ALEN);
	put_be(buf + 12, NET_ETHERTYPE_TEST, 2);
	put_be(buf + NET_TEST_OFF, NET_TEST_MAGIC, 4);
	put_be(buf + NET_TEST_OFF + 4, hdr->flow, 2);
	put_be(buf + NET_TEST_OFF + 6, len, 2);
	put_be(buf + NET_TEST_OFF + 8, hdr->seq, 8);
	put_be(buf + NET_TEST_OFF + 16, hdr->tstamp, 8);
	base = payload_base(hdr); /* a local: buf may alias hdr */
	for (size_t i = NET_TEST_MIN_LEN; i < len; i++)
		buf[i] = (uint8_t)(i + base);
	return 0;
}

int net_frame_parse_seq(const uint8_t *frame, size_t len, struct net_test_hdr *out)
{
	if (!frame || len < NET_TEST_MIN_LEN || get_be(frame + 12, 2) != NET_ETHERTYPE_TEST ||
	    get_be(frame + NET_TEST_OFF, 4) != NET_TEST_MAGIC)
		return -EPROTO;
	out->flow = (uint16_t)get_be(frame + NET_TEST_OFF + 4, 2);
	out->len = (uint16_t)get_be(frame + NET_TEST_OFF + 6, 2);
	out->seq = get_be(frame + NET_TEST_OFF + 8, 8);
	out->tstamp = get_be(frame + NET_TEST_OFF + 16, 8);
	if (out->len < NET_TEST_MIN_LEN || out->len > len)
		return -EBADMSG;
	return 0;
}

int net_frame_check_payload(const uint8_t *frame, size_t len, const struct net_test_hdr *hdr)
{
	uint8_t base = payload_base(hdr), bad = 0;

	if (hdr->len < NET_TEST_MIN_LEN || hdr->len > len)
		return -EBADMSG;
	for (size_t i = NET_TEST_MIN_LEN; i < hdr->len; i++)
		bad |= frame[i] ^ (uint8_t)(i + base);
	return bad ? -EBADMSG : 0;
}
