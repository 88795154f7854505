/* SPDX-License-Identifier: MIT */
/*
 * Host physical memory and guest memory regions.
 *
 * struct mem is a sparse byte-addressed physical memory of a fixed size.  It is
 * stored as 4 KiB pages in a radix tree keyed by page number, so every walk over
 * it runs in address order (deterministic).  A page is allocated on the first
 * write of a non-zero byte into it; untouched memory reads as zeros.  The number
 * of resident pages is bounded by a limit (default: the memory size), so a
 * scenario cannot exhaust the host by writing everywhere.
 *
 * struct mem_guest is a guest physical address space: a sorted list of regions
 * (gpa, size, hpa) mapped into one struct mem, as a VMM lays out guest RAM.
 *
 * All functions return 0 or a negative errno:
 *   -EFAULT  the range leaves the memory (or a guest range is not fully mapped)
 *   -ENOMEM  the resident-page limit would be exceeded (or malloc failed)
 *   -EINVAL  bad arguments (misaligned region, zero size, overlapping copy)
 * A failing read or write touches nothing (checked before any byte moves),
 * except mem_copy()/mem_guest_copy() which may stop part way on -ENOMEM.
 *
 * Memory content is little-endian where it has multi-byte values: callers use
 * the mem_*_le16/32/64 helpers, never casts of host structs over guest bytes.
 */
#ifndef VDPASIM_MEM_H
#define VDPASIM_MEM_H

#include <stddef.h>
#include <stdint.h>

#define MEM_PAGE_SHIFT 12
#define MEM_PAGE_SIZE (1ULL << MEM_PAGE_SHIFT)
/* Largest supported memory: 2^52 bytes (the x86-64 physical address width). */
#define MEM_MAX_SIZE (1ULL << 52)

struct mem;

/* size: bytes of physical address space, a multiple of 4 KiB, <= MEM_MAX_SIZE.
 * NULL on bad size or allocation failure. */
struct mem *mem_new(uint64_t size);
void mem_free(struct mem *m);

uint64_t mem_size(const struct mem *m);
/* Limit on resident (allocated) bytes, rounded down to pages.  Lowering it below
 * what is resident is allowed: later allocations then fail with -ENOMEM. */
void mem_set_limit(struct mem *m, uint64_t max_resident_bytes);
uint64_t mem_limit(const struct mem *m);
/* Bytes currently backed by allocated pages. */
uint64_t mem_resident(const struct mem *m);

int mem_read(const struct mem *m, uint64_t pa, void *dst, size_t len);
/* Writing zeros into an untouched page allocates nothing. */
int mem_write(struct mem *m, uint64_t pa, const void *src, size_t len);
/* Zero a range; whole pages are released. */
int mem_zero(struct mem *m, uint64_t pa, uint64_t len);

int mem_read_le16(const struct mem *m, uint64_t pa, uint16_t *v);
int mem_read_le32(const struct mem *m, uint64_t pa, uint32_t *v);
int mem_read_le64(const struct mem *m, uint64_t pa, uint64_t *v);
int mem_write_le16(struct mem *m, uint64_t pa, uint16_t v);
int mem_write_le32(struct mem *m, uint64_t pa, uint32_t v);
int mem_write_le64(struct mem *m, uint64_t pa, uint64_t v);

/*
 * Content hash of [pa, pa+len): SHA-256 (eng_sha256_*) over
 *     le64(len), then for each 4 KiB chunk k of the range (chunk k starts at
 *     pa + k*4096) holding a non-zero byte: le64(k*4096) || chunk bytes.
 * All-zero chunks contribute nothing, so an untouched page hashes exactly like
 * a page of zeros, and the cost is proportional to the resident pages, not to
 * the range.  Equal content gives an equal hash whatever the page allocation.
 */
int mem_hash(const struct mem *m, uint64_t pa, uint64_t len, uint8_t out[32]);

/* Copy [spa, spa+len) of src to dpa in dst (src may equal dst if the ranges do
 * not overlap).  Untouched source pages become zeros in dst (and release dst
 * pages), so after success mem_hash() of both ranges is equal. */
int mem_copy(struct mem *dst, uint64_t dpa, const struct mem *src, uint64_t spa, uint64_t len);

/* Accessor adapters over host physical memory: ctx is a struct mem *. */
int mem_acc_read(void *ctx, uint64_t pa, void *dst, uint32_t len);
int mem_acc_write(void *ctx, uint64_t pa, const void *src, uint32_t len);

/* ---- Guest physical memory --------------------------------------------------------------- */

struct mem_guest;

struct mem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t hpa;
};

/* The guest keeps a pointer to host; host must outlive it. */
struct mem_guest *mem_guest_new(struct mem *host);
void mem_guest_free(struct mem_guest *g);
struct mem *mem_guest_host(const struct mem_guest *g);

/* Add a region: gpa, size and hpa 4 KiB aligned, size > 0, [hpa, hpa+size)
 * inside host memory.  -EEXIST if it overlaps a region in guest-physical space
 * (host ranges may be shared, as with aliases). */
int mem_guest_add(struct mem_guest *g, uint64_t gpa, uint64_t size, uint64_t hpa);
/* Remove the region starting exactly at gpa; -ENOENT if none. */
int mem_guest_remove(struct mem_guest *g, uint64_t gpa);
unsigned mem_guest_nregions(const struct mem_guest *g);
/* Regions in ascending gpa order; -ENOENT past the end. */
int mem_guest_region(const struct mem_guest *g, unsigned i, struct mem_region *out);
/* Total bytes mapped. */
uint64_t mem_guest_ram_size(const struct mem_guest *g);

/* gpa -> hpa; *contig (optional) receives the bytes mapped contiguously from gpa
 * to the end of its region.  -EFAULT if gpa is not mapped. */
int mem_guest_gpa_to_hpa(const struct mem_guest *g, uint64_t gpa, uint64_t *hpa,
			 uint64_t *contig);

/* Guest accesses may span adjacent regions; a range with a hole is -EFAULT and
 * touches nothing. */
int mem_guest_read(const struct mem_guest *g, uint64_t gpa, void *dst, size_t len);
int mem_guest_write(struct mem_guest *g, uint64_t gpa, const void *src, size_t len);
int mem_guest_read_le16(const struct mem_guest *g, uint64_t gpa, uint16_t *v);
int mem_guest_read_le32(const struct mem_guest *g, uint64_t gpa, uint32_t *v);
int mem_guest_read_le64(const struct mem_guest *g, uint64_t gpa, uint64_t *v);
int mem_guest_write_le16(struct mem_guest *g, uint64_t gpa, uint16_t v);
int mem_guest_write_le32(struct mem_guest *g, uint64_t gpa, uint32_t v);
int mem_guest_write_le64(struct mem_guest *g, uint64_t gpa, uint64_t v);

/*
 * Content hash of all guest RAM: SHA-256 over le64(nregions), then per region in
 * gpa order le64(gpa) || le64(size) || the chunk stream of mem_hash() with
 * offsets relative to the region start.  Independent of where the regions sit
 * in host memory, so a migration source and destination compare equal exactly
 * when their guest RAM content (and layout) is equal.
 */
int mem_guest_hash(const struct mem_guest *g, uint8_t out[32]);
/* Hash of one guest-physical range (must be fully mapped); same chunk stream as
 * mem_hash() over the guest view. */
int mem_guest_hash_range(const struct mem_guest *g, uint64_t gpa, uint64_t len, uint8_t out[32]);

/* Copy guest range [gpa, gpa+len) from src to the same gpa in dst (used by
 * migration).  Both must map the whole range. */
int mem_guest_copy(struct mem_guest *dst, const struct mem_guest *src, uint64_t gpa, uint64_t len);

/* Accessor adapters over guest-physical memory: ctx is a struct mem_guest *. */
int mem_guest_acc_read(void *ctx, uint64_t gpa, void *dst, uint32_t len);
int mem_guest_acc_write(void *ctx, uint64_t gpa, const void *src, uint32_t len);

#endif
