/* SPDX-License-Identifier: MIT */
/*
 * vhost_vdpa: the /dev/vhost-vdpa-N character device as a C API, a user-space
 * port of Linux v6.8 drivers/vhost/vdpa.c (with the parts of
 * drivers/vhost/vhost.c it relies on: owner, vring ioctls, IOTLB messages).
 *
 * It is a vdpa bus driver named "vhost_vdpa".  vhv_register_driver() adds it
 * to the sim's bus; every device it binds gets a character device
 * "vhost-vdpa-<minor>" (lowest free minor).  A VMM then:
 *
 *     vhv_open(sim, "/dev/vhost-vdpa-0", &f);       exclusive; resets the device
 *     vhv_ioctl(f, VHOST_SET_OWNER, NULL);
 *     vhv_ioctl(f, VHOST_GET_FEATURES, &features);  ... <linux/vhost.h> numbers
 *     vhv_write(f, &msg_v2, sizeof(msg_v2));        IOTLB updates, like write(2)
 *     vhv_mmap(f, 4096, PROT_WRITE, MAP_SHARED, qidx, &doorbell);
 *     vhv_close(f);                                 resets, unmaps everything
 *
 * Return values are what user space sees: 0 (or a length) or -errno.  The
 * kernel-internal -ENOIOCTLCMD becomes -ENOTTY as the VFS turns it; -ENOTSUPP
 * (524) reaches user space unchanged where the kernel lets it through.
 *
 * Fidelity notes (Linux v6.8 behaviour, kept on purpose):
 *  - ioctls routed through vhost_dev_ioctl (SET_OWNER excepted: the vring
 *    ioctls, SET_MEM_TABLE, unknown requests) need VHOST_SET_OWNER first
 *    (-EPERM); so do IOTLB messages.  The others (features, status, config,
 *    SUSPEND, ...) do not.
 *  - A vring index >= nvqs gives -ENOBUFS, before the request is looked at.
 *  - SET_FEATURES after FEATURES_OK: -EBUSY; features the parent refuses
 *    (set_driver_features != 0): -EINVAL.
 *  - SET_STATUS may only add bits, except writing 0 (reset): -EINVAL.
 *  - SET_VRING_ADDR / SET_VRING_BASE while DRIVER_OK and not suspended: -EINVAL
 *    (the vhost-side value is stored first, as in the kernel).
 *  - SET_BACKEND_FEATURES: unknown bits, or SUSPEND/RESUME/DESC_ASID/
 *    IOTLB_PERSIST the parent cannot back: -EOPNOTSUPP; DESC_ASID without
 *    IOTLB_ASID: -EINVAL.
 *  - SUSPEND / RESUME without the parent op: -EOPNOTSUPP.
 *  - Packed rings: VHOST_{SET,GET}_VRING_BASE num = avail | used << 16, each
 *    half idx | wrap_counter << 15.
 *  - A failing IOTLB message makes write() return -EFAULT whatever the cause
 *    (the kernel replaces the handler's errno); the handler's own errno
 *    (-EEXIST for an overlapping UPDATE, -EINVAL for a bad range or ASID,
 *    -EPERM without owner) is kept in vhv_last_msg_error().  A message too
 *    short, of unknown type, or an UPDATE/INVALIDATE of size 0: -EINVAL.
 *  - Without VHOST_BACKEND_F_IOTLB_ASID the asid field of a V2 message is
 *    ignored (treated as 0), not rejected.
 *  - VHOST_SET_LOG_BASE / VHOST_SET_LOG_FD / VHOST_SET_VRING_ENDIAN /
 *    VHOST_RESET_OWNER(with a valid index) / unknown requests: -ENOTTY.
 *    VHOST_RESET_OWNER with the usual NULL argument: -EFAULT (the kernel
 *    reads a vring index through it).
 *
 * Deviation: `vdpa dev del` of a device that is open does not wait for the
 * close as the kernel does; the device is reset and unmapped at once and the
 * open handle then answers -ENODEV until closed.
 */
#ifndef VDPASIM_VHOST_VDPA_H
#define VDPASIM_VHOST_VDPA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stack/vdpa_bus/vdpa_bus.h"

struct sim;
struct vhv_file;

/* The kernel-internal "operation not supported" (not ENOTSUP). */
#define VHV_ENOTSUPP 524
#define VHV_PAGE_SIZE 4096ULL
#define VHV_DRIVER_NAME "vhost_vdpa"
/* vhost's default limit on VHOST_SET_MEM_TABLE regions. */
#define VHV_MAX_MEM_REGIONS 64

/* Register the vhost_vdpa driver on the sim's bus (binds matching devices).
 * -EEXIST when already registered. */
int vhv_register_driver(struct sim *sim);
/* Unregister it (closes nothing: open handles see -ENODEV). */
void vhv_unregister_driver(struct sim *sim);
/* The driver object, e.g. for vdpa_driver_bind(); NULL if not registered. */
struct vdpa_driver *vhv_driver(struct sim *sim);

/* "vhost-vdpa-<minor>" when vdev is bound to vhost_vdpa, else NULL. */
const char *vhv_chardev_name(const struct vdpa_device *vdev);

/*
 * open(2): path is "/dev/vhost-vdpa-N" or "vhost-vdpa-N".  -ENODEV when no
 * such device; -EBUSY when already open (exclusive).  Opening resets the
 * device (vdpa_reset), allocates the platform IOMMU domain when the parent
 * has neither set_map nor dma_map (-EFAULT without DMA device, -ENOTSUPP
 * without a coherent IOMMU, or the domain's errno) and reads the IOVA range.
 * The handle also gets an fd in the sim's fd table (vhv_fd).
 */
int vhv_open(struct sim *sim, const char *path, struct vhv_file **out);
int vhv_open_device(struct vdpa_device *vdev, struct vhv_file **out);
int vhv_fd(const struct vhv_file *f);
/*
 * close(2): unregisters irq bypass, resets the device (with
 * VDPA_RESET_F_CLEAN_MAP unless IOTLB_PERSIST was acked), drops kick/call
 * eventfds and the config eventfd, unmaps every address space (dma_unmap /
 * IOMMU unmap per map, reset_map when the parent has it), frees the domain.
 */
int vhv_close(struct vhv_file *f);

/* ioctl(2) with the <linux/vhost.h> request numbers (see vdpasim/uapi.h for
 * VHOST_VDPA_RESUME and friends).  NULL where an argument is read or written
 * gives -EFAULT. */
long vhv_ioctl(struct vhv_file *f, unsigned long request, void *arg);

/* write(2) of struct vhost_msg (VHOST_IOTLB_MSG) or struct vhost_msg_v2
 * (VHOST_IOTLB_MSG_V2).  Returns the size of the message struct, or -errno. */
ssize_t vhv_write(struct vhv_file *f, const void *buf, size_t len);
/* errno of the last IOTLB message handler (0 after a success). */
int vhv_last_msg_error(const struct vhv_file *f);

/*
 * mmap(2) of a doorbell: len must be one page (-EINVAL), MAP_SHARED
 * (-EINVAL) and not PROT_READ (-EINVAL); pgoff (the queue index) <= 65535
 * (-EINVAL); the parent needs get_vq_notification (-ENOTSUPP); the area must
 * start on a page (-EINVAL) and be one page long (-ENOTSUPP).  On success
 * *area is the queue's doorbell (host-physical MMIO address and size).
 */
int vhv_mmap(struct vhv_file *f, uint64_t len, int prot, int flags, uint64_t pgoff,
	     struct vdpa_notification_area *area);

/*
 * The owner's memory: how the uaddr of an IOTLB UPDATE becomes the address
 * given to the parent (pinning, in the kernel).
 *  pin(uaddr, len, write): host-physical address of uaddr in *pa and the
 *      number of bytes physically contiguous from there in *contig (>= 1
 *      page unless len is smaller); 0 or -errno (-EFAULT: not mapped).
 *  unpin(pa, len, dirty): release; dirty when the map was writable.
 * Without ops, user addresses are host-physical (identity, one chunk).
 * For a use_va parent the uaddr is passed through untouched.
 */
struct vhv_user_mem_ops {
	int (*pin)(void *ctx, uint64_t uaddr, uint64_t len, bool write, uint64_t *pa,
		   uint64_t *contig);
	void (*unpin)(void *ctx, uint64_t pa, uint64_t len, bool dirty);
};
void vhv_set_user_mem(struct vhv_file *f, const struct vhv_user_mem_ops *ops, void *ctx);
/* RLIMIT_MEMLOCK in pages (0: unlimited, the default); an UPDATE that would
 * pin past it fails (-ENOMEM from the handler, -EFAULT from write). */
void vhv_set_memlock_limit(struct vhv_file *f, uint64_t pages);
uint64_t vhv_pinned_pages(const struct vhv_file *f);

/* Introspection for tests and scenarios. */
/* The IOTLB of address space asid, NULL if it was never created. */
const struct vdpa_iotlb *vhv_iotlb(const struct vhv_file *f, uint32_t asid);
/* The host irq registered for irq bypass of queue idx, or -1. */
int vhv_vq_irq_bypass(const struct vhv_file *f, uint32_t idx);
/* The device behind the handle, NULL once it went away. */
struct vdpa_device *vhv_vdpa(const struct vhv_file *f);
bool vhv_suspended(const struct vhv_file *f);

#endif
