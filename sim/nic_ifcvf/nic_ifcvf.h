/* SPDX-License-Identifier: MIT */
/*
 * IFCVF-like 100G virtio-net virtual function, written only against the
 * device plugin ABI (include/vdpasim/device_plugin.h): it reaches the
 * platform through host services (DMA, MSI-X, timers, Ethernet port) and is
 * placed in a slot by sim/devhost like any vendor plugin.
 *
 *     const struct vdpasim_device_plugin *p = ifcvf_plugin();
 *     devh_create(sim, rc, slot, p, "queue_pairs=4,queue_size=256", "ifcvf0", &dh);
 *
 * Identity: vendor 0x1AF4, device 0x1041 (modern virtio-net), subsystem
 * 0x8086:0x001A (Intel IFC VF), class 0x020000, revision 1, link Gen4 x16.
 *
 * BAR0 (64-bit, 32 KiB), found through the virtio vendor capabilities:
 *     0x0000 common cfg (struct virtio_pci_common_cfg + queue_notify_data,
 *            queue_reset), 0x40 bytes
 *     0x1000 notify, queue_notify_off = queue index, notify_off_multiplier 4
 *     0x2000 ISR status (read clears)
 *     0x3000 device cfg (struct virtio_net_config, 24 bytes)
 *     0x6000 MSI-X table, 0x7000 MSI-X PBA
 * A virtio PCI configuration access capability (cfg_type 5) is listed too.
 *
 * BAR4 (64-bit, 4 KiB): the vendor live-migration window
 *     0x00 logging control: 0 off, 1 on
 *     0x10/0x14 dirty-log base (low/high), 0x18/0x1c dirty-log end
 *     0x20 + (q / 2) * 0x40 + (q % 2) * 4: ring state of queue q,
 *          last_avail_idx in bits 0..15, last_used_idx in bits 16..31
 *          (packed rings: idx | wrap_counter << 15 in each half); writable
 *          while the queue is not enabled, read live while it runs.  A 16-bit
 *          write of the low half (what a split-only driver does) sets both
 *          halves: a stopped split queue has used everything it fetched.
 * Dirty logging marks, with one 64-bit little-endian DMA write of the bitmap
 * word, bit (iova / 4096) of the bitmap at the base (word k at base + 8 k,
 * bit i = page 64 k + i), for every page the device writes packet data or
 * control acks into.  Like the hardware it does not mark used-ring writes.
 *
 * Options ("key=value,..."; unknown keys: -EINVAL and a log line):
 *     features=0x..     offered feature bits (a subset of IFCVF_FEATURES)
 *     queue_pairs=N     1..16 (default 4; more than 1 needs MQ)
 *     queue_size=N      largest queue, power of two 2..1024 (default 256)
 *     mac=xx:xx:xx:xx:xx:xx  (default: from the instance's RNG stream, locally
 *                       administered)
 *     mtu=N             1280..9000 (default 1500)
 *     msix_vectors=N    1..64 (default: number of queues + 1)
 *     doorbell_ns=N     notify write to device action (default 250)
 *     batch=N           descriptors prefetched per pass, 1..256 (default 32)
 *     max_reads=N       outstanding DMA reads, 1..1024 (default 64)
 *     pipeline_ns=N     internal latency, DMA data to wire / wire to DMA (default 100)
 *     wb_ns=N           used write-back coalescing after the first completion (default 100)
 *     tx_ahead_ns=N     how far transmit may run ahead of the wire (default 4000)
 *     ctrl_ns=N         control command processing time (default 1000)
 *     mutant=NAME       deliberately broken behaviour, for the conformance suite's
 *                       own tests: mq_steer_early (receive steering over every
 *                       queue pair before VQ_PAIRS_SET)
 *
 * control() commands ("name=value"; reply is text):
 *     link=up|down|auto      force the link state, or follow the carrier
 *     carrier<p>=up|down     the port's carrier (sent by the device host)
 *     announce=1             set VIRTIO_NET_S_ANNOUNCE (needs GUEST_ANNOUNCE)
 *     dma_fault_next=N       the next N ring/buffer DMAs fail with -EFAULT
 *     queue_state=Q          "qid= running= broken= avail= used= inflight= cached="
 *     stats=1                "tx_frames= tx_bytes= rx_frames= ..."
 *     status=1               "status= features= active_pairs= promisc= ..."
 * Statistics go to the host as dev.<name>.<stat> (tx_frames, rx_no_buffer...).
 */
#ifndef VDPASIM_NIC_IFCVF_H
#define VDPASIM_NIC_IFCVF_H

#include "vdpasim/device_plugin.h"
#include "vdpasim/uapi.h"

#define IFCVF_SUBSYS_VENDOR 0x8086
#define IFCVF_SUBSYS_DEVICE 0x001A
#define IFCVF_CLASS 0x020000

#define IFCVF_MAX_PAIRS 16
#define IFCVF_MAX_QUEUES (2 * IFCVF_MAX_PAIRS + 1)
#define IFCVF_MAX_QSIZE 1024
#define IFCVF_MAX_VECTORS 64

/* BAR0 layout */
#define IFCVF_BAR_CFG 0
#define IFCVF_BAR0_SIZE 0x8000
#define IFCVF_COMMON_OFF 0x0000
#define IFCVF_COMMON_LEN 0x40
#define IFCVF_NOTIFY_OFF 0x1000
#define IFCVF_NOTIFY_LEN 0x1000
#define IFCVF_NOTIFY_MULT 4
#define IFCVF_ISR_OFF 0x2000
#define IFCVF_ISR_LEN 4
#define IFCVF_DEVCFG_OFF 0x3000
#define IFCVF_DEVCFG_LEN 24
#define IFCVF_MSIX_TABLE_OFF 0x6000
#define IFCVF_MSIX_PBA_OFF 0x7000

/* BAR4: live-migration window */
#define IFCVF_BAR_LM 4
#define IFCVF_LM_SIZE 0x1000
#define IFCVF_LM_LOGGING_CTRL 0x00
#define IFCVF_LM_BASE_ADDR_LOW 0x10
#define IFCVF_LM_BASE_ADDR_HIGH 0x14
#define IFCVF_LM_END_ADDR_LOW 0x18
#define IFCVF_LM_END_ADDR_HIGH 0x1c
#define IFCVF_LM_RING_STATE_OFFSET 0x20
#define IFCVF_LM_CFG_SIZE 0x40
#define IFCVF_LM_DISABLE 0
#define IFCVF_LM_ENABLE 1
#define IFCVF_LM_RING_STATE(q) \
	(IFCVF_LM_RING_STATE_OFFSET + ((q) / 2) * IFCVF_LM_CFG_SIZE + ((q) % 2) * 4)

/* Every feature the model can do (the default offer). */
#define IFCVF_FEATURES                                                                      \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) |                \
	 (1ULL << VIRTIO_F_RING_PACKED) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |               \
	 (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | (1ULL << VIRTIO_F_IN_ORDER) |              \
	 (1ULL << VIRTIO_F_RING_RESET) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) |                 \
	 (1ULL << VIRTIO_NET_F_CTRL_VQ) | (1ULL << VIRTIO_NET_F_MQ) |                       \
	 (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |                       \
	 (1ULL << VIRTIO_NET_F_MTU) | (1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR) |                \
	 (1ULL << VIRTIO_NET_F_CTRL_RX) | (1ULL << VIRTIO_NET_F_GUEST_ANNOUNCE))

/* The built-in descriptor: the same one a shared object would export. */
const struct vdpasim_device_plugin *ifcvf_plugin(void);

#endif
