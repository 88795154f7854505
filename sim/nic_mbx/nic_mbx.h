/* SPDX-License-Identifier: MIT */
/*
 * MBX: a fictional vendor's 100G vDPA NIC whose virtqueues are standard virtio
 * rings but whose control path is not virtio-pci: the driver creates, modifies
 * (INIT -> RDY -> SUSPEND) and queries virtqueue objects through a command
 * mailbox in BAR0, the way firmware-object devices (mlx5_vdpa) work.  There is
 * no virtio common configuration, no device-specific config space, no
 * live-migration BAR and no dirty logging: the vendor driver (stack/vdpa_mbx)
 * emulates the virtio device status, the net config space and the control
 * virtqueue in software.  Prefix mbx_.
 *
 * The model is written only against the device plugin ABI
 * (include/vdpasim/device_plugin.h) and the ring engine: it reaches the
 * platform through host services (timed DMA, MSI-X, timers, one Ethernet port)
 * and is placed in a slot by the device host like any vendor plugin:
 *
 *     devh_create(sim, rc, slot, mbx_plugin(), "max_vqs=8,fw_ns=5000", "mbx0", &dh);
 *
 * Identity: vendor 0xFEED, device 0x5A01 (fictional), subsystem 0xFEED:0x0001,
 * class 0x020000 (Ethernet), revision 1, link Gen4 x16, MPS 512.  It is not a
 * virtio PCI device (no virtio vendor capabilities).
 *
 * BAR0 (64-bit, 64 KiB): registers, the mailbox and the MSI-X table/PBA (see
 * MBX_REG_* and MBX_MBOX_*).  BAR2 (64-bit, 4 KiB): one 4-byte doorbell per
 * virtqueue at index * 4; any value written is a "new buffers" notification
 * for that queue.
 *
 * Command protocol (docs/nic-mbx.md has the full tables):
 *   1. the driver writes a 16-byte input header (opcode, object id, payload
 *      length, token) and the payload into the input area;
 *   2. it writes 1 to MBX_REG_CMD_DOORBELL; CMD_STATUS.BUSY is set at once;
 *   3. after doorbell_ns + fw_ns of simulated time (longer for a suspend,
 *      which first drains the queue), the firmware writes the output header
 *      (status, syndrome, payload length, token echoed) and payload, clears
 *      BUSY, increments CMD_DONE and signals MSI-X vector CMD_VECTOR (unless
 *      it is MBX_NO_VECTOR: then the driver polls CMD_STATUS / CMD_DONE).
 * A doorbell while BUSY is ignored (counted).  All fields little-endian.
 *
 * Virtqueue objects: CREATE_VIRTQ makes one in INIT with the ring addresses,
 * size, ring features and start indices; MODIFY_VIRTQ moves it INIT -> RDY,
 * RDY -> SUSPEND, and SUSPEND -> RDY only when QUERY_CAPS advertises
 * MBX_CAP_RESUME; indices, addresses and vector may change only in INIT or
 * SUSPEND (MBX_ST_BAD_STATE while RDY, like the real device).  On the way to
 * SUSPEND the device stops fetching descriptors, completes (writes used for)
 * every buffer it has in flight (prefetched receive buffers not filled yet
 * with length 0), and only then reports SUSPEND: nothing is
 * lost or completed twice, and QUERY_VIRTQ afterwards reports
 * hw_available_index == hw_used_index == the used ring's index.  A malformed
 * ring or a DMA fault moves the object to ERR: the queue stops, the host is
 * told (device_error), VQ_ERR gets the queue's bit, EVENT_CAUSE.VQ_ERROR is
 * set and the event vector fires.
 *
 * Datapath: virtio-net over split or packed rings (VERSION_1 header of 12
 * bytes, mergeable receive buffers, indirect descriptors, event index), TX at
 * line rate through the port with a transmit-ahead limit, RX filtered by the
 * steering state (primary MAC, unicast and multicast lists, promiscuous,
 * all-multicast, broadcast) and spread over the active RX queues by a flow
 * hash, receive chains prefetched (up to 64 per queue; a suspend returns the
 * unfilled ones with length 0).  MSI-X per queue as CREATE_VIRTQ set it, when
 * the ring asks for one.
 *
 * Options ("key=value,..."; unknown keys: -EINVAL and a log line):
 *     features=0x..    datapath features offered (a subset of MBX_FEATURES)
 *     max_vqs=N        data virtqueues, even, 2..MBX_MAX_VQS (default 8)
 *     queue_size=N     largest ring, power of two 64..32768 (default 1024)
 *     msix_vectors=N   2..MBX_MAX_VECTORS (default max_vqs + 2)
 *     resume=0|1       SUSPEND -> RDY supported (default 1)
 *     mac=xx:xx:xx:xx:xx:xx  factory MAC (default: locally administered, from
 *                      the instance's RNG stream)
 *     max_mtu=N        1280..9000 (default 9000)
 *     fw_ns=N          firmware command latency (default 10000)
 *     doorbell_ns=N    MMIO doorbell to device action (default 200)
 *     pipeline_ns=N    internal latency, DMA data to wire / wire to DMA (default 100)
 *     wb_ns=N          used write-back coalescing (default 200)
 *     batch=N          descriptors per transmit pass, 1..256 (default 32)
 *     tx_ahead_ns=N    how far transmit may run ahead of the wire (default 4000)
 *     rx_fifo_ns=N     how long a received frame may wait for descriptors in the
 *                      device before it is dropped (rx_overrun; default 2000)
 *
 * control() commands ("name=value"; reply is text):
 *     carrier<p>=up|down  port carrier (sent by the device host); link events
 *     dma_fault_next=N    the next N ring/buffer DMAs fail with -EFAULT
 *     fw_status_next=S    the next command completes with status S
 *     queue=Q             "state= obj= avail= used= avail_wrap= used_wrap= inflight=
 *                          received= completed= error="
 *     steering=1          "mac= flags= rx_queues= uc= mc="
 *     stats=1             "tx_frames= tx_bytes= rx_frames= rx_bytes= rx_no_buffer= ..."
 * Statistics also go to the host as named counters (tx_frames, rx_filtered...).
 */
#ifndef VDPASIM_NIC_MBX_H
#define VDPASIM_NIC_MBX_H

#include "vdpasim/device_plugin.h"
#include "vdpasim/uapi.h"

/* ---- PCI identity ---------------------------------------------------------------------- */
#define MBX_PCI_VENDOR 0xFEED
#define MBX_PCI_DEVICE 0x5A01
#define MBX_PCI_SUBSYS_VENDOR 0xFEED
#define MBX_PCI_SUBSYS_DEVICE 0x0001
#define MBX_PCI_CLASS 0x020000
#define MBX_PCI_REVISION 1

#define MBX_MAX_VQS 32 /* data virtqueues (16 pairs) */
#define MBX_MAX_VECTORS 64
#define MBX_MAX_MACS 64 /* entries of each steering MAC list */
#define MBX_NO_VECTOR 0xFFFF
#define MBX_MAGIC 0x3158424D /* "MBX1" */
#define MBX_FW_VERSION 0x00010002

/* Every datapath feature the model implements (the default offer). */
#define MBX_FEATURES                                                                       \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) |               \
	 (1ULL << VIRTIO_F_RING_PACKED) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |              \
	 (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | (1ULL << VIRTIO_NET_F_MRG_RXBUF))
/* The ring-layout bits a CREATE_VIRTQ may carry. */
#define MBX_VQ_FEATURES                                                                    \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_RING_PACKED) |                   \
	 (1ULL << VIRTIO_RING_F_EVENT_IDX) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC))

/* ---- BAR0: registers ------------------------------------------------------------------- */
#define MBX_BAR_REGS 0
#define MBX_BAR0_SIZE 0x10000
#define MBX_REG_MAGIC 0x000        /* RO: MBX_MAGIC */
#define MBX_REG_FW_VERSION 0x004   /* RO */
#define MBX_REG_CMD_DOORBELL 0x008 /* WO: 1 executes the mailbox command */
#define MBX_REG_CMD_STATUS 0x00C   /* RO: bit 0 BUSY, bits 8..15 status of the last one */
#define MBX_REG_CMD_DONE 0x010     /* RO: commands completed since reset */
#define MBX_REG_CMD_VECTOR 0x014   /* RW: MSI-X vector of command completion */
#define MBX_REG_EVENT_VECTOR 0x018 /* RW: MSI-X vector of asynchronous events */
#define MBX_REG_EVENT_CAUSE 0x01C  /* RW1C: MBX_EV_* */
#define MBX_REG_VQ_ERR_LO 0x020    /* RW1C: bit q = data virtqueue q went to ERR */
#define MBX_REG_VQ_ERR_HI 0x024
#define MBX_REG_LINK 0x028         /* RO: bit 0 link up */

#define MBX_CMD_STATUS_BUSY 0x1u
#define MBX_EV_VQ_ERROR 0x1u
#define MBX_EV_LINK 0x2u

/* ---- BAR0: mailbox ---------------------------------------------------------------------- */
#define MBX_MBOX_IN 0x1000
#define MBX_MBOX_OUT 0x1800
#define MBX_MBOX_LEN 0x800 /* each area, header included */
#define MBX_MBOX_HDR 16
#define MBX_MBOX_PAYLOAD (MBX_MBOX_LEN - MBX_MBOX_HDR)
/* input header */
#define MBX_IN_OPCODE 0  /* u16 */
#define MBX_IN_OBJ 4     /* u32 object id (0: the device) */
#define MBX_IN_LEN 8     /* u32 payload bytes */
#define MBX_IN_TOKEN 12  /* u32 echoed in the output */
/* output header */
#define MBX_OUT_STATUS 0   /* u8 MBX_ST_* */
#define MBX_OUT_SYNDROME 4 /* u32 detail: which check failed */
#define MBX_OUT_LEN 8      /* u32 payload bytes */
#define MBX_OUT_TOKEN 12   /* u32 */

/* MSI-X table and PBA (in BAR0). */
#define MBX_MSIX_TABLE_OFF 0x8000
#define MBX_MSIX_PBA_OFF 0x9000

/* ---- BAR2: doorbells -------------------------------------------------------------------- */
#define MBX_BAR_DB 2
#define MBX_BAR2_SIZE 0x1000
#define MBX_DB_STRIDE 4

/* ---- Commands --------------------------------------------------------------------------- */
enum mbx_opcode {
	MBX_OP_QUERY_CAPS = 0x01,
	MBX_OP_SET_FEATURES = 0x02,
	MBX_OP_CREATE_VIRTQ = 0x10,
	MBX_OP_MODIFY_VIRTQ = 0x11,
	MBX_OP_QUERY_VIRTQ = 0x12,
	MBX_OP_DESTROY_VIRTQ = 0x13,
	MBX_OP_SET_STEERING = 0x20,
	MBX_OP_QUERY_STEERING = 0x21,
	MBX_OP_QUERY_STATS = 0x30,
	MBX_OP_RESET = 0x3F,
};

enum mbx_status {
	MBX_ST_OK = 0,
	MBX_ST_BAD_OPCODE = 1,
	MBX_ST_BAD_PARAM = 2,
	MBX_ST_BAD_STATE = 3, /* the object (or device) is in the wrong state */
	MBX_ST_BAD_OBJ = 4,   /* no such object */
	MBX_ST_NO_RESOURCES = 5,
	MBX_ST_EXISTS = 6,    /* that virtqueue index already has an object */
	MBX_ST_BAD_LEN = 7,   /* input payload too short or too long */
	MBX_ST_INTERNAL = 8,
};

/* QUERY_CAPS output (32 bytes). */
#define MBX_CAPS_FEATURES 0       /* u64 datapath virtio features */
#define MBX_CAPS_MAX_VQS 8        /* u16 */
#define MBX_CAPS_MAX_QSIZE 10     /* u16 (0 means 32768) */
#define MBX_CAPS_FLAGS 12         /* u32 MBX_CAP_* */
#define MBX_CAPS_MAC 16           /* u8[6] factory MAC */
#define MBX_CAPS_MAX_MTU 22       /* u16 */
#define MBX_CAPS_MSIX 24          /* u16 MSI-X vectors */
#define MBX_CAPS_MAX_MACS 26      /* u16 entries per steering list */
#define MBX_CAPS_FW_VERSION 28    /* u32 */
#define MBX_CAPS_LEN 32
#define MBX_CAP_RESUME 0x1u    /* SUSPEND -> RDY */
#define MBX_CAP_DIRTY_LOG 0x2u /* never set: this device does no dirty logging */

/* SET_FEATURES input (8 bytes): u64 negotiated features, a subset of the caps
 * with VERSION_1.  Refused (BAD_STATE) while any virtqueue object exists. */
#define MBX_SETF_LEN 8

/* CREATE_VIRTQ input (48 bytes); output: u32 object id. */
#define MBX_VQ_INDEX 0       /* u16 data virtqueue index < max_vqs */
#define MBX_VQ_SIZE 2        /* u16 ring size (0 means 32768) */
#define MBX_VQ_VECTOR 4      /* u16 MSI-X vector or MBX_NO_VECTOR */
#define MBX_VQ_FEAT 8        /* u64 ring features (MBX_VQ_FEATURES bits) */
#define MBX_VQ_DESC 16       /* u64 */
#define MBX_VQ_DRIVER 24     /* u64 */
#define MBX_VQ_DEVICE 32     /* u64 */
#define MBX_VQ_AVAIL_IDX 40  /* u16 hw_available_index */
#define MBX_VQ_USED_IDX 42   /* u16 hw_used_index */
#define MBX_VQ_AVAIL_WRAP 44 /* u8 (packed) */
#define MBX_VQ_USED_WRAP 45  /* u8 (packed) */
#define MBX_CREATE_LEN 48
#define MBX_CREATE_OUT_LEN 4

/* MODIFY_VIRTQ input (48 bytes), object id in the header.  Selected fields
 * are applied first, then the state change. */
#define MBX_MOD_SELECT 0     /* u32 MBX_MOD_* */
#define MBX_MOD_STATE 4      /* u8 MBX_VQS_* */
#define MBX_MOD_AVAIL_WRAP 5 /* u8 */
#define MBX_MOD_USED_WRAP 6  /* u8 */
#define MBX_MOD_AVAIL_IDX 8  /* u16 */
#define MBX_MOD_USED_IDX 10  /* u16 */
#define MBX_MOD_VECTOR 12    /* u16 */
#define MBX_MOD_DESC 16      /* u64 */
#define MBX_MOD_DRIVER 24    /* u64 */
#define MBX_MOD_DEVICE 32    /* u64 */
#define MBX_MODIFY_LEN 48
#define MBX_MOD_F_STATE 0x1u
#define MBX_MOD_F_INDICES 0x2u
#define MBX_MOD_F_ADDRS 0x4u
#define MBX_MOD_F_VECTOR 0x8u

enum mbx_vq_state {
	MBX_VQS_INIT = 0,
	MBX_VQS_RDY = 1,
	MBX_VQS_SUSPEND = 2,
	MBX_VQS_ERR = 3,
};

/* QUERY_VIRTQ output (40 bytes). */
#define MBX_QV_STATE 0       /* u8 MBX_VQS_* */
#define MBX_QV_AVAIL_WRAP 1  /* u8 */
#define MBX_QV_USED_WRAP 2   /* u8 */
#define MBX_QV_INDEX 4       /* u16 */
#define MBX_QV_SIZE 6        /* u16 */
#define MBX_QV_AVAIL_IDX 8   /* u16 hw_available_index: next avail entry to fetch */
#define MBX_QV_USED_IDX 10   /* u16 hw_used_index: next used entry to write */
#define MBX_QV_ERROR 12      /* u32 enum vq_violation of an ERR object, else 0 */
#define MBX_QV_RECEIVED 16   /* u64 descriptors chains fetched */
#define MBX_QV_COMPLETED 24  /* u64 chains completed (used) */
#define MBX_QV_INFLIGHT 32   /* u32 fetched, not yet used */
#define MBX_QUERY_VQ_LEN 40

/* SET_STEERING input / QUERY_STEERING output: 16 bytes, then n_uc + n_mc MACs. */
#define MBX_ST_MAC 0        /* u8[6] primary MAC */
#define MBX_ST_FLAGS 6      /* u8 MBX_STEER_* */
#define MBX_ST_RXQ 8        /* u16 active RX queues (pairs) spread by flow hash */
#define MBX_ST_NUC 10       /* u16 unicast list entries */
#define MBX_ST_NMC 12       /* u16 multicast list entries */
#define MBX_ST_LISTS 16     /* u8[6] per entry, unicast first */
#define MBX_STEER_PROMISC 0x1u
#define MBX_STEER_ALLMULTI 0x2u

/* QUERY_STATS output: object 0 (device) 64 bytes, a virtqueue object 16. */
#define MBX_SD_TX_FRAMES 0
#define MBX_SD_TX_BYTES 8
#define MBX_SD_RX_FRAMES 16
#define MBX_SD_RX_BYTES 24
#define MBX_SD_RX_NO_BUFFER 32
#define MBX_SD_RX_FILTERED 40
#define MBX_SD_TX_DROPPED 48
#define MBX_SD_COMMANDS 56
#define MBX_STATS_DEV_LEN 64
#define MBX_SV_RECEIVED 0
#define MBX_SV_COMPLETED 8
#define MBX_STATS_VQ_LEN 16

/* The built-in descriptor: the same one a shared object would export. */
const struct vdpasim_device_plugin *mbx_plugin(void);

#endif
