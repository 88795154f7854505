// SPDX-License-Identifier: MIT
/*
 * Mutants for the virtio-net checks: transmit header handling, receive
 * headers, the control queue, multiqueue steering and VLAN frames.
 */
#include "conformance/mutants/mutant.h"

#include <stddef.h>
#include <string.h>

/* The last transmit header the device read: a read outside the rings that
 * starts a chain's buffer (12 bytes or more). */
static void tx_hdr_read(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	if (len >= 12 && !mut_in_ring(m, iova, NULL))
		memcpy(m->buf, data, 12);
}

/* net_tx: frames whose header has flag bits it does not know are dropped. */
static bool flags_strict_send(struct mut *m, uint8_t *frame, uint32_t *len)
{
	(void)frame;
	(void)len;
	return !(m->buf[0] & ~7u);
}

CONF_MUTANT(conf_mut_tx_flags_strict, .name = "tx_flags_strict", .check = "net_tx",
	    .requirement = "NET-TX-DEV-01",
	    .bug = "drops frames whose virtio-net header has unknown flag bits",
	    .dma_read = tx_hdr_read, .net_send = flags_strict_send);

/* net_tx: csum_start/csum_offset acted on without NEEDS_CSUM. */
static bool csum_applied_send(struct mut *m, uint8_t *frame, uint32_t *len)
{
	uint16_t start = (uint16_t)(m->buf[6] | m->buf[7] << 8);
	uint16_t off = (uint16_t)(m->buf[8] | m->buf[9] << 8);

	if (!(m->buf[0] & 1) && off && (uint32_t)start + off + 2 <= *len) {
		frame[start + off] = 0xde;
		frame[start + off + 1] = 0xad;
	}
	return true;
}

CONF_MUTANT(conf_mut_tx_csum_applied, .name = "tx_csum_applied", .check = "net_tx",
	    .requirement = "NET-TX-DEV-02",
	    .bug = "writes a checksum at csum_start + csum_offset without NEEDS_CSUM",
	    .dma_read = tx_hdr_read, .net_send = csum_applied_send);

/* net_tx: frames above 1400 bytes are cut. */
static bool mtu_truncate_send(struct mut *m, uint8_t *frame, uint32_t *len)
{
	(void)m;
	(void)frame;
	if (*len > 1400)
		*len = 1400;
	return true;
}

CONF_MUTANT(conf_mut_tx_mtu_truncate, .name = "tx_mtu_truncate", .check = "net_tx",
	    .requirement = "NET-CFG-DEV-06", .bug = "cuts transmitted frames at 1400 bytes",
	    .net_send = mtu_truncate_send);

/* A receive header: a write outside the rings of 12+ bytes whose first ten
 * bytes are 0 and num_buffers is small. */
static bool rx_header(const struct mut *m, uint64_t iova, const uint8_t *d, uint32_t len)
{
	if (len < 12 || mut_in_ring(m, iova, NULL))
		return false;
	for (int i = 0; i < 10; i++)
		if (d[i])
			return false;
	return d[10] >= 1 && d[10] <= 64 && d[11] == 0;
}

/* net_rx_header: DATA_VALID set without GUEST_CSUM. */
static bool rx_flags_write(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	if (rx_header(m, iova, data, len))
		data[0] = VIRTIO_NET_HDR_F_DATA_VALID;
	return true;
}

CONF_MUTANT(conf_mut_rx_flags, .name = "rx_flags", .check = "net_rx_header",
	    .requirement = "NET-RX-DEV-05",
	    .bug = "sets DATA_VALID in receive headers without GUEST_CSUM",
	    .dma_write = rx_flags_write);

/* net_rx_header: num_buffers left 0. */
static bool rx_nbuf_write(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	if (rx_header(m, iova, data, len))
		data[10] = 0;
	return true;
}

CONF_MUTANT(conf_mut_rx_num_buffers_zero, .name = "rx_num_buffers_zero",
	    .check = "net_rx_header", .requirement = "NET-RX-DEV-01",
	    .bug = "writes num_buffers 0 in receive headers", .dma_write = rx_nbuf_write);

/* net_rx_header: gso_type TCPV4 without GUEST_TSO4. */
static bool rx_gso_write(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	if (rx_header(m, iova, data, len))
		data[1] = VIRTIO_NET_HDR_GSO_TCPV4;
	return true;
}

CONF_MUTANT(conf_mut_rx_gso_tcpv4, .name = "rx_gso_tcpv4", .check = "net_rx_header",
	    .requirement = "NET-RX-DEV-07",
	    .bug = "marks received packets gso_type TCPV4 without GUEST_TSO4",
	    .dma_write = rx_gso_write);

/* net_ctrl: the ack byte is 2, neither OK nor ERR. */
static bool ack_bogus_write(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	if (len == 1 && !mut_in_ring(m, iova, NULL) && data[0] <= 1)
		data[0] = 2;
	return true;
}

CONF_MUTANT(conf_mut_ctrl_ack_bogus, .name = "ctrl_ack_bogus", .check = "net_ctrl",
	    .requirement = "NET-CTRL-DEV-X01", .bug = "acks control commands with 2",
	    .dma_write = ack_bogus_write);

/* net_ctrl: PROMISC off is read as PROMISC on. */
static void promisc_stuck_read(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	if (len == 3 && !mut_in_ring(m, iova, NULL) && data[0] == VIRTIO_NET_CTRL_RX &&
	    data[1] == VIRTIO_NET_CTRL_RX_PROMISC)
		data[2] = 1;
}

CONF_MUTANT(conf_mut_promisc_stuck, .name = "promisc_stuck", .check = "net_ctrl",
	    .requirement = "NET-RXF-DEV-01",
	    .bug = "acks PROMISC 0 but stays promiscuous", .dma_read = promisc_stuck_read);

/* net_ctrl: the config mac shows a new address only some time after MAC_ADDR_SET. */
static void mac_late_dma(struct mut *m, uint64_t iova, uint8_t *data, uint32_t len)
{
	if (len == 8 && !mut_in_ring(m, iova, NULL) && data[0] == VIRTIO_NET_CTRL_MAC &&
	    data[1] == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
		m->n[4] = m->h->now(m->host) + 1000000000ULL; /* 1 ms */
		for (int i = 0; i < 6; i++)
			m->buf[32 + i] = (uint8_t)mut_inner_read(m, IFCVF_DEVCFG_OFF + i, 1);
	}
}

static void mac_late_mmio(struct mut *m, uint8_t bar, uint64_t off, uint8_t size, uint64_t *v)
{
	if (bar == IFCVF_BAR_CFG && off >= IFCVF_DEVCFG_OFF && off < IFCVF_DEVCFG_OFF + 6 &&
	    m->h->now(m->host) < m->n[4]) {
		*v = 0;
		for (unsigned i = 0; i < size && off - IFCVF_DEVCFG_OFF + i < 6; i++)
			*v |= (uint64_t)m->buf[32 + off - IFCVF_DEVCFG_OFF + i] << (8 * i);
	}
}

CONF_MUTANT(conf_mut_mac_addr_late, .name = "mac_addr_late", .check = "net_ctrl",
	    .requirement = "NET-MAC-DEV-03",
	    .bug = "shows a MAC_ADDR_SET address in config mac only 1 ms after acking it",
	    .dma_read = mac_late_dma, .mmio_read = mac_late_mmio);

/* net_mq: steering over every queue pair from the start (IFCVF mutant switch). */
CONF_MUTANT(conf_mut_mq_steer_early, .name = "mq_steer_early", .check = "net_mq",
	    .requirement = "NET-MQ-DEV-01",
	    .bug = "steers received packets over all queue pairs before VQ_PAIRS_SET",
	    .options = "mutant=mq_steer_early");

/* net_vlan: tagged frames dropped without CTRL_VLAN. */
static bool vlan_drop_rx(struct mut *m, const uint8_t *frame, uint32_t len)
{
	(void)m;
	return !(len >= 14 && frame[12] == 0x81 && frame[13] == 0x00);
}

CONF_MUTANT(conf_mut_vlan_drop, .name = "vlan_drop", .check = "net_vlan",
	    .requirement = "NET-VLAN-DEV-01",
	    .bug = "drops VLAN-tagged frames although VLAN filtering was not negotiated",
	    .net_rx = vlan_drop_rx);

/* net_ctrl: offers CTRL_RX_EXTRA but refuses its commands. */
CONF_MUTANT(conf_mut_rx_extra_refused, .name = "rx_extra_refused", .check = "net_ctrl",
	    .requirement = "NET-RXF-DEV-05",
	    .bug = "offers CTRL_RX_EXTRA but acks ALLUNI, NOMULTI, NOUNI, NOBCAST with ERR",
	    .extra_features = 1ULL << VIRTIO_NET_F_CTRL_RX_EXTRA);
