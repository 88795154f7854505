/* SPDX-License-Identifier: MIT */
/*
 * The kernel UAPI headers vdpasim builds on, plus the few definitions the
 * Debian 12 (Linux 6.1) headers lack.  Everything missing is defined here once,
 * guarded, with the value the newer kernel and the VIRTIO 1.3/1.4 spec give it.
 * Include this instead of the <linux/...> headers one by one.
 */
#ifndef VDPASIM_UAPI_H
#define VDPASIM_UAPI_H

#include <linux/types.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <linux/vhost.h>
#include <linux/vhost_types.h>
#include <linux/vdpa.h>
#include <linux/pci_regs.h>

/* Feature bits (virtio 1.3 section 6, "Reserved Feature Bits"). */
#ifndef VIRTIO_F_NOTIFICATION_DATA
#define VIRTIO_F_NOTIFICATION_DATA 38
#endif
#ifndef VIRTIO_F_NOTIF_CONFIG_DATA
#define VIRTIO_F_NOTIF_CONFIG_DATA 39
#endif
#ifndef VIRTIO_F_ADMIN_VQ
#define VIRTIO_F_ADMIN_VQ 41
#endif
#ifndef VIRTIO_F_SUSPEND
#define VIRTIO_F_SUSPEND 43
#endif

/* virtio-pci structures newer than the 6.1 header (virtio 1.3 4.1.4.3, 4.1.4.8). */
#ifndef VIRTIO_PCI_CAP_VENDOR_CFG
#define VIRTIO_PCI_CAP_VENDOR_CFG 9
#endif
#ifndef VIRTIO_PCI_COMMON_ADM_Q_IDX
#define VIRTIO_PCI_COMMON_ADM_Q_IDX 60
#define VIRTIO_PCI_COMMON_ADM_Q_NUM 62
#endif

/* Device status bits newer than the 6.1 header. */
#ifndef VIRTIO_CONFIG_S_SUSPEND
#define VIRTIO_CONFIG_S_SUSPEND 0x10
#endif

/* vhost-vdpa ioctls and backend features added after Linux 6.1. */
#ifndef VHOST_VDPA_RESUME
#define VHOST_VDPA_RESUME _IO(VHOST_VIRTIO, 0x7E)
#endif
#ifndef VHOST_VDPA_GET_VRING_DESC_GROUP
#define VHOST_VDPA_GET_VRING_DESC_GROUP _IOWR(VHOST_VIRTIO, 0x7F, struct vhost_vring_state)
#endif
#ifndef VHOST_BACKEND_F_RESUME
#define VHOST_BACKEND_F_RESUME 0x5
#endif
#ifndef VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK
#define VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK 0x6
#endif
#ifndef VHOST_BACKEND_F_DESC_ASID
#define VHOST_BACKEND_F_DESC_ASID 0x7
#endif
#ifndef VHOST_BACKEND_F_IOTLB_PERSIST
#define VHOST_BACKEND_F_IOTLB_PERSIST 0x8
#endif

/* Packed-ring event suppression flag values, named in the header only as
 * VRING_PACKED_EVENT_FLAG_* on newer kernels. */
#ifndef VRING_PACKED_EVENT_FLAG_ENABLE
#define VRING_PACKED_EVENT_FLAG_ENABLE 0x0
#define VRING_PACKED_EVENT_FLAG_DISABLE 0x1
#define VRING_PACKED_EVENT_FLAG_DESC 0x2
#endif

/* PCI Express Device Capabilities 2 bits newer than the 6.1 pci_regs.h. */
#ifndef PCI_EXP_DEVCAP2_10BIT_TAG_COMP
#define PCI_EXP_DEVCAP2_10BIT_TAG_COMP 0x00010000
#endif
#ifndef PCI_EXP_DEVCAP2_10BIT_TAG_REQ
#define PCI_EXP_DEVCAP2_10BIT_TAG_REQ 0x00020000
#endif

/* PCI IDs used by the virtio PCI transport (virtio 1.3 4.1.2). */
#define VDPASIM_PCI_VENDOR_REDHAT_QUMRANET 0x1af4
#define VDPASIM_PCI_DEVICE_VIRTIO_NET_MODERN 0x1041

#endif
