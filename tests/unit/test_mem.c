// SPDX-License-Identifier: MIT
#include "sim/engine/engine.h"
#include "sim/mem/mem.h"
#include "tests/unit/cu_main.h"

#include <errno.h>
#include <stdlib.h>

static void test_untouched_memory_reads_zero_and_allocates_nothing(void)
{
	struct mem *m = mem_new(1ULL << 30);
	uint8_t buf[10000];

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memset(buf, 0xAA, sizeof(buf));
	CU_ASSERT_EQUAL(mem_read(m, 123456789, buf, sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		CU_ASSERT_EQUAL_FATAL(buf[i], 0);
	CU_ASSERT_EQUAL(mem_resident(m), 0);
	mem_free(m);
}

static void test_bad_sizes_are_refused(void)
{
	CU_ASSERT_PTR_NULL(mem_new(0));
	CU_ASSERT_PTR_NULL(mem_new(4097));
	CU_ASSERT_PTR_NULL(mem_new(MEM_MAX_SIZE * 2));
}

/* Differential: random reads/writes at any alignment and length against a flat
 * reference array. */
static void test_random_access_matches_flat_reference(void)
{
	const uint64_t size = 256 * 1024;
	struct mem *m = mem_new(size);
	uint8_t *ref = calloc(1, size), *buf = malloc(3 * 4096 + 17);
	struct eng_rng r;
	int bad = 0;

	CU_ASSERT_FATAL(m && ref && buf);
	eng_rng_seed(&r, 5);
	for (int op = 0; op < 20000; op++) {
		uint64_t len = eng_rng_below(&r, 3 * 4096 + 17);
		uint64_t pa = eng_rng_below(&r, size - len + 1);

		if (eng_rng_below(&r, 2)) {
			for (uint64_t i = 0; i < len; i++)
				buf[i] = (uint8_t)eng_rng_next(&r);
			if (mem_write(m, pa, buf, len))
				bad++;
			memcpy(ref + pa, buf, len);
		} else {
			if (mem_read(m, pa, buf, len) || memcmp(buf, ref + pa, len))
				bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(mem_resident(m) <= size);
	free(ref);
	free(buf);
	mem_free(m);
}

static void test_zero_write_into_untouched_page_allocates_nothing(void)
{
	struct mem *m = mem_new(1 << 20);
	uint8_t z[8192] = { 0 };

	CU_ASSERT_EQUAL(mem_write(m, 100, z, sizeof(z)), 0);
	CU_ASSERT_EQUAL(mem_resident(m), 0);
	z[5000] = 1; /* lands in the second page touched */
	CU_ASSERT_EQUAL(mem_write(m, 100, z, sizeof(z)), 0);
	CU_ASSERT_EQUAL(mem_resident(m), 4096);
	mem_free(m);
}

static void test_access_past_end_is_efault_and_writes_nothing(void)
{
	struct mem *m = mem_new(1 << 20);
	uint8_t b[16] = { 1, 2, 3 };
	uint8_t r[16];

	CU_ASSERT_EQUAL(mem_write(m, (1 << 20) - 8, b, 16), -EFAULT);
	CU_ASSERT_EQUAL(mem_resident(m), 0);
	CU_ASSERT_EQUAL(mem_read(m, (1 << 20) - 8, r, 16), -EFAULT);
	CU_ASSERT_EQUAL(mem_read(m, UINT64_MAX - 4, r, 16), -EFAULT);
	CU_ASSERT_EQUAL(mem_write(m, (1 << 20) - 16, b, 16), 0);
	CU_ASSERT_EQUAL(mem_zero(m, 1 << 20, 1), -EFAULT);
	mem_free(m);
}

static void test_resident_limit_refuses_write_without_partial_effect(void)
{
	struct mem *m = mem_new(1 << 24);
	uint8_t big[3 * 4096];
	uint8_t r[3 * 4096];

	memset(big, 0x5A, sizeof(big));
	mem_set_limit(m, 2 * 4096);
	CU_ASSERT_EQUAL(mem_limit(m), 8192);
	CU_ASSERT_EQUAL(mem_write(m, 0, big, 4096), 0);
	/* needs 3 new pages with 1 free: refused, memory unchanged */
	CU_ASSERT_EQUAL(mem_write(m, 4096, big, sizeof(big)), -ENOMEM);
	CU_ASSERT_EQUAL(mem_resident(m), 4096);
	CU_ASSERT_EQUAL(mem_read(m, 4096, r, sizeof(r)), 0);
	for (size_t i = 0; i < sizeof(r); i++)
		CU_ASSERT_EQUAL_FATAL(r[i], 0);
	/* rewriting resident pages needs no new page */
	CU_ASSERT_EQUAL(mem_write(m, 0, big, 4096), 0);
	CU_ASSERT_EQUAL(mem_write(m, 8192, big, 4096), 0);
	CU_ASSERT_EQUAL(mem_write(m, 1 << 20, big, 1), -ENOMEM);
	/* releasing a page makes room again */
	CU_ASSERT_EQUAL(mem_zero(m, 0, 4096), 0);
	CU_ASSERT_EQUAL(mem_write(m, 1 << 20, big, 1), 0);
	mem_free(m);
}

static void test_le_helpers_use_little_endian_byte_order(void)
{
	struct mem *m = mem_new(1 << 16);
	uint8_t b[8];
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	CU_ASSERT_EQUAL(mem_write_le64(m, 4093, 0x0102030405060708ULL), 0); /* crosses a page */
	CU_ASSERT_EQUAL(mem_read(m, 4093, b, 8), 0);
	CU_ASSERT_EQUAL(b[0], 0x08);
	CU_ASSERT_EQUAL(b[7], 0x01);
	CU_ASSERT_EQUAL(mem_read_le64(m, 4093, &v64), 0);
	CU_ASSERT_EQUAL(v64, 0x0102030405060708ULL);
	CU_ASSERT_EQUAL(mem_read_le32(m, 4093, &v32), 0);
	CU_ASSERT_EQUAL(v32, 0x05060708);
	CU_ASSERT_EQUAL(mem_read_le16(m, 4095, &v16), 0);
	CU_ASSERT_EQUAL(v16, 0x0506);
	CU_ASSERT_EQUAL(mem_write_le16(m, 10, 0xBEEF), 0);
	CU_ASSERT_EQUAL(mem_write_le32(m, 20, 0xCAFEF00D), 0);
	CU_ASSERT_EQUAL(mem_read(m, 10, b, 2), 0);
	CU_ASSERT(b[0] == 0xEF && b[1] == 0xBE);
	CU_ASSERT_EQUAL(mem_read_le32(m, 20, &v32), 0);
	CU_ASSERT_EQUAL(v32, 0xCAFEF00D);
	CU_ASSERT_EQUAL(mem_read_le16(m, (1 << 16) - 1, &v16), -EFAULT);
	mem_free(m);
}

static void test_zeroing_releases_whole_pages_and_clears_partial_ones(void)
{
	struct mem *m = mem_new(1 << 20);
	uint8_t b[4 * 4096];
	uint8_t r[4 * 4096];

	memset(b, 0x11, sizeof(b));
	CU_ASSERT_EQUAL(mem_write(m, 0, b, sizeof(b)), 0);
	CU_ASSERT_EQUAL(mem_resident(m), 4 * 4096);
	CU_ASSERT_EQUAL(mem_zero(m, 100, 2 * 4096), 0); /* partial, whole, partial */
	CU_ASSERT_EQUAL(mem_resident(m), 3 * 4096);
	CU_ASSERT_EQUAL(mem_read(m, 0, r, sizeof(r)), 0);
	for (size_t i = 0; i < sizeof(r); i++)
		CU_ASSERT_EQUAL_FATAL(r[i], (i >= 100 && i < 100 + 2 * 4096) ? 0 : 0x11);
	CU_ASSERT_EQUAL(mem_zero(m, 0, 4 * 4096), 0);
	CU_ASSERT_EQUAL(mem_resident(m), 0);
	mem_free(m);
}

static void test_hash_equal_content_equal_hash_whatever_allocation(void)
{
	struct mem *a = mem_new(1 << 24), *b = mem_new(1 << 24);
	uint8_t ha[32], hb[32], z[4096] = { 0 };

	CU_ASSERT_EQUAL(mem_write_le32(a, 5000, 7), 0);
	CU_ASSERT_EQUAL(mem_write_le32(b, 5000, 7), 0);
	/* b has an extra page that is all zeros: content is still equal */
	CU_ASSERT_EQUAL(mem_write_le32(b, 3 << 20, 1), 0);
	CU_ASSERT_EQUAL(mem_write(b, 3 << 20, z, 4), 0);
	CU_ASSERT(mem_resident(b) > mem_resident(a));
	CU_ASSERT_EQUAL(mem_hash(a, 0, 1 << 24, ha), 0);
	CU_ASSERT_EQUAL(mem_hash(b, 0, 1 << 24, hb), 0);
	CU_ASSERT_EQUAL(memcmp(ha, hb, 32), 0);
	/* same bytes at an unaligned start */
	CU_ASSERT_EQUAL(mem_hash(a, 777, 100000, ha), 0);
	CU_ASSERT_EQUAL(mem_hash(b, 777, 100000, hb), 0);
	CU_ASSERT_EQUAL(memcmp(ha, hb, 32), 0);
	mem_free(a);
	mem_free(b);
}

static void test_hash_differs_on_one_byte_and_on_length(void)
{
	struct mem *a = mem_new(1 << 24);
	uint8_t h0[32], h1[32], h2[32], h3[32], h4[32];

	CU_ASSERT_EQUAL(mem_hash(a, 0, 1 << 20, h0), 0);
	CU_ASSERT_EQUAL(mem_hash(a, 0, 1 << 21, h3), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(h0, h3, 32), 0); /* length is part of the hash */
	CU_ASSERT_EQUAL(mem_write_le16(a, (1 << 20) - 1, 0x0100), 0); /* byte at 1<<20 */
	CU_ASSERT_EQUAL(mem_hash(a, 0, 1 << 20, h1), 0);
	CU_ASSERT_EQUAL(memcmp(h0, h1, 32), 0); /* the non-zero byte is outside */
	CU_ASSERT_EQUAL(mem_hash(a, 0, (1 << 20) + 1, h2), 0);
	CU_ASSERT_EQUAL(mem_write_le16(a, (1 << 20) - 1, 0x0200), 0);
	CU_ASSERT_EQUAL(mem_hash(a, 0, (1 << 20) + 1, h4), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(h2, h4, 32), 0);
	/* deterministic */
	CU_ASSERT_EQUAL(mem_hash(a, 0, (1 << 20) + 1, h1), 0);
	CU_ASSERT_EQUAL(memcmp(h1, h4, 32), 0);
	CU_ASSERT_EQUAL(mem_hash(a, 1 << 24, 1, h1), -EFAULT);
	mem_free(a);
}

/* An all-zero region must hash as SHA-256(le64(len)) whatever its size. */
static void test_hash_of_untouched_range_is_length_only(void)
{
	struct mem *a = mem_new(1ULL << 40);
	uint8_t h[32], ref[32], le[8];
	struct eng_sha256 c;
	uint64_t len = 1ULL << 40;

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(len >> (8 * i));
	eng_sha256_init(&c);
	eng_sha256_update(&c, le, 8);
	eng_sha256_final(&c, ref);
	CU_ASSERT_EQUAL(mem_hash(a, 0, len, h), 0);
	CU_ASSERT_EQUAL(memcmp(h, ref, 32), 0);
	mem_free(a);
}

static void test_copy_makes_destination_hash_equal_and_zeroes_absent_pages(void)
{
	struct mem *s = mem_new(1 << 24), *d = mem_new(1 << 24);
	uint8_t hs[32], hd[32], buf[9000];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	CU_ASSERT_EQUAL(mem_write(s, 3000, buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(mem_write_le64(s, 1 << 22, 42), 0);
	/* stale data in the destination where the source is untouched */
	CU_ASSERT_EQUAL(mem_write(d, (1 << 21) + 100, buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(mem_copy(d, 0, s, 0, 1 << 23), 0);
	CU_ASSERT_EQUAL(mem_hash(s, 0, 1 << 23, hs), 0);
	CU_ASSERT_EQUAL(mem_hash(d, 0, 1 << 23, hd), 0);
	CU_ASSERT_EQUAL(memcmp(hs, hd, 32), 0);
	CU_ASSERT_EQUAL(mem_resident(d), mem_resident(s));
	/* copy to another offset, unaligned */
	CU_ASSERT_EQUAL(mem_copy(d, 0x800123, s, 2999, 9002), 0);
	CU_ASSERT_EQUAL(mem_hash(s, 2999, 9002, hs), 0);
	CU_ASSERT_EQUAL(mem_hash(d, 0x800123, 9002, hd), 0);
	CU_ASSERT_EQUAL(memcmp(hs, hd, 32), 0);
	mem_free(s);
	mem_free(d);
}

static void test_copy_refuses_overlap_within_one_memory(void)
{
	struct mem *m = mem_new(1 << 20);

	CU_ASSERT_EQUAL(mem_copy(m, 100, m, 0, 4096), -EINVAL);
	CU_ASSERT_EQUAL(mem_copy(m, 4096, m, 0, 4096), 0);
	CU_ASSERT_EQUAL(mem_copy(m, 0, m, 1 << 20, 1), -EFAULT);
	mem_free(m);
}

static void test_accessor_adapters_reach_memory(void)
{
	struct mem *m = mem_new(1 << 20);
	uint32_t v = 0x01020304, r = 0;

	CU_ASSERT_EQUAL(mem_acc_write(m, 64, &v, 4), 0);
	CU_ASSERT_EQUAL(mem_acc_read(m, 64, &r, 4), 0);
	CU_ASSERT_EQUAL(r, v);
	CU_ASSERT_EQUAL(mem_acc_read(m, 1 << 20, &r, 4), -EFAULT);
	mem_free(m);
}

static void test_guest_translation_follows_regions(void)
{
	struct mem *h = mem_new(1 << 30);
	struct mem_guest *g = mem_guest_new(h);
	struct mem_region reg;
	uint64_t hpa, contig;

	CU_ASSERT_EQUAL(mem_guest_add(g, 1 << 20, 1 << 20, 16 << 20), 0);
	CU_ASSERT_EQUAL(mem_guest_add(g, 0, 640 << 10, 64 << 20), 0);
	CU_ASSERT_EQUAL(mem_guest_nregions(g), 2);
	CU_ASSERT_EQUAL(mem_guest_region(g, 0, &reg), 0);
	CU_ASSERT_EQUAL(reg.gpa, 0); /* sorted */
	CU_ASSERT_EQUAL(mem_guest_region(g, 2, &reg), -ENOENT);
	CU_ASSERT_EQUAL(mem_guest_ram_size(g), (1 << 20) + (640 << 10));
	CU_ASSERT_EQUAL(mem_guest_gpa_to_hpa(g, 0x1234, &hpa, &contig), 0);
	CU_ASSERT_EQUAL(hpa, (64 << 20) + 0x1234);
	CU_ASSERT_EQUAL(contig, (640 << 10) - 0x1234);
	CU_ASSERT_EQUAL(mem_guest_gpa_to_hpa(g, (1 << 20) + 5, &hpa, NULL), 0);
	CU_ASSERT_EQUAL(hpa, (16 << 20) + 5);
	CU_ASSERT_EQUAL(mem_guest_gpa_to_hpa(g, 640 << 10, &hpa, NULL), -EFAULT); /* hole */
	CU_ASSERT_EQUAL(mem_guest_gpa_to_hpa(g, 2 << 20, &hpa, NULL), -EFAULT);
	CU_ASSERT_EQUAL(mem_guest_write_le32(g, 0x1000, 0xAABBCCDD), 0);
	uint32_t v;
	CU_ASSERT_EQUAL(mem_read_le32(h, (64 << 20) + 0x1000, &v), 0);
	CU_ASSERT_EQUAL(v, 0xAABBCCDD);
	CU_ASSERT_EQUAL(mem_guest_remove(g, 0x1000), -ENOENT);
	CU_ASSERT_EQUAL(mem_guest_remove(g, 0), 0);
	CU_ASSERT_EQUAL(mem_guest_gpa_to_hpa(g, 0x1234, &hpa, NULL), -EFAULT);
	mem_guest_free(g);
	mem_free(h);
}

static void test_guest_region_overlap_is_eexist_and_bad_region_einval(void)
{
	struct mem *h = mem_new(1 << 30);
	struct mem_guest *g = mem_guest_new(h);

	CU_ASSERT_EQUAL(mem_guest_add(g, 1 << 20, 1 << 20, 0), 0);
	CU_ASSERT_EQUAL(mem_guest_add(g, (1 << 20) + 4096, 4096, 0), -EEXIST);
	CU_ASSERT_EQUAL(mem_guest_add(g, (1 << 20) - 4096, 8192, 0), -EEXIST);
	CU_ASSERT_EQUAL(mem_guest_add(g, 0, 1 << 30, 0), -EEXIST);
	CU_ASSERT_EQUAL(mem_guest_add(g, (1 << 20) - 4096, 4096, 0), 0); /* adjacent */
	CU_ASSERT_EQUAL(mem_guest_add(g, 2 << 20, 4096, 0), 0);
	CU_ASSERT_EQUAL(mem_guest_add(g, 8 << 20, 100, 0), -EINVAL);
	CU_ASSERT_EQUAL(mem_guest_add(g, 8 << 20, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(mem_guest_add(g, 8 << 20, 4096, 1 << 30), -EFAULT);
	mem_guest_free(g);
	mem_free(h);
}

static void test_guest_access_spans_adjacent_regions_and_refuses_holes(void)
{
	struct mem *h = mem_new(1 << 26);
	struct mem_guest *g = mem_guest_new(h);
	uint8_t w[8192], r[8192];

	for (size_t i = 0; i < sizeof(w); i++)
		w[i] = (uint8_t)(i ^ 0x5C);
	/* gpa [0,8K) -> hpa 40K, [8K,16K) -> hpa 4K: adjacent in gpa, not in hpa */
	CU_ASSERT_EQUAL(mem_guest_add(g, 0, 8192, 40960), 0);
	CU_ASSERT_EQUAL(mem_guest_add(g, 8192, 8192, 4096), 0);
	CU_ASSERT_EQUAL(mem_guest_write(g, 4000, w, sizeof(w)), 0);
	CU_ASSERT_EQUAL(mem_guest_read(g, 4000, r, sizeof(r)), 0);
	CU_ASSERT_EQUAL(memcmp(w, r, sizeof(w)), 0);
	CU_ASSERT_EQUAL(mem_read(h, 4096, r, 4000 + 8192 - 8192), 0);
	CU_ASSERT_EQUAL(memcmp(r, w + (8192 - 4000), 4000), 0);
	/* [12K, 20K) runs into the hole at 16K: refused, nothing written */
	uint64_t before = mem_resident(h);
	CU_ASSERT_EQUAL(mem_guest_write(g, 12288, w, 8192), -EFAULT);
	CU_ASSERT_EQUAL(mem_resident(h), before);
	CU_ASSERT_EQUAL(mem_guest_read(g, 12288, r, 8192), -EFAULT);
	CU_ASSERT_EQUAL(mem_guest_acc_read(g, 16380, r, 8), -EFAULT);
	CU_ASSERT_EQUAL(mem_guest_acc_write(g, 16376, w, 8), 0);
	mem_guest_free(g);
	mem_free(h);
}

static void test_guest_hash_independent_of_host_placement(void)
{
	struct mem *h1 = mem_new(1 << 28), *h2 = mem_new(1 << 28);
	struct mem_guest *a = mem_guest_new(h1), *b = mem_guest_new(h2);
	uint8_t ha[32], hb[32];

	CU_ASSERT_EQUAL(mem_guest_add(a, 0, 4 << 20, 0), 0);
	CU_ASSERT_EQUAL(mem_guest_add(a, 1ULL << 32, 2 << 20, 8 << 20), 0);
	CU_ASSERT_EQUAL(mem_guest_add(b, 0, 4 << 20, 100 << 20), 0);
	CU_ASSERT_EQUAL(mem_guest_add(b, 1ULL << 32, 2 << 20, 20 << 20), 0);
	for (int i = 0; i < 50; i++) {
		uint64_t gpa = (uint64_t)i * 81920 + 13;

		CU_ASSERT_EQUAL(mem_guest_write_le64(a, gpa, (uint64_t)i * 0x9E3779B97F4A7C15ULL), 0);
		CU_ASSERT_EQUAL(mem_guest_write_le64(b, gpa, (uint64_t)i * 0x9E3779B97F4A7C15ULL), 0);
	}
	CU_ASSERT_EQUAL(mem_guest_write_le32(a, (1ULL << 32) + 4096, 3), 0);
	CU_ASSERT_EQUAL(mem_guest_write_le32(b, (1ULL << 32) + 4096, 3), 0);
	CU_ASSERT_EQUAL(mem_guest_hash(a, ha), 0);
	CU_ASSERT_EQUAL(mem_guest_hash(b, hb), 0);
	CU_ASSERT_EQUAL(memcmp(ha, hb, 32), 0);
	CU_ASSERT_EQUAL(mem_guest_hash_range(a, 10, 3 << 20, ha), 0);
	CU_ASSERT_EQUAL(mem_guest_hash_range(b, 10, 3 << 20, hb), 0);
	CU_ASSERT_EQUAL(memcmp(ha, hb, 32), 0);
	/* one byte differs: hashes differ */
	CU_ASSERT_EQUAL(mem_guest_write_le16(b, (1ULL << 32) + 5000, 1), 0);
	CU_ASSERT_EQUAL(mem_guest_hash(a, ha), 0);
	CU_ASSERT_EQUAL(mem_guest_hash(b, hb), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(ha, hb, 32), 0);
	CU_ASSERT_EQUAL(mem_guest_hash_range(a, 4 << 20, 4096, ha), -EFAULT);
	mem_guest_free(a);
	mem_guest_free(b);
	mem_free(h1);
	mem_free(h2);
}

static void test_guest_copy_migrates_content(void)
{
	struct mem *h1 = mem_new(1 << 28), *h2 = mem_new(1 << 28);
	struct mem_guest *src = mem_guest_new(h1), *dst = mem_guest_new(h2);
	uint8_t ha[32], hb[32];

	CU_ASSERT_EQUAL(mem_guest_add(src, 0, 2 << 20, 0), 0);
	CU_ASSERT_EQUAL(mem_guest_add(src, 2 << 20, 2 << 20, 64 << 20), 0);
	CU_ASSERT_EQUAL(mem_guest_add(dst, 0, 4 << 20, 32 << 20), 0);
	for (uint64_t gpa = 0; gpa < (4 << 20); gpa += 12345)
		CU_ASSERT_EQUAL_FATAL(mem_guest_write_le32(src, gpa, (uint32_t)gpa | 1), 0);
	CU_ASSERT_EQUAL(mem_guest_write_le32(dst, 4096, 0xFFFFFFFF), 0); /* stale */
	CU_ASSERT_EQUAL(mem_guest_copy(dst, src, 0, 4 << 20), 0);
	CU_ASSERT_EQUAL(mem_guest_hash_range(src, 0, 4 << 20, ha), 0);
	CU_ASSERT_EQUAL(mem_guest_hash_range(dst, 0, 4 << 20, hb), 0);
	CU_ASSERT_EQUAL(memcmp(ha, hb, 32), 0);
	CU_ASSERT_EQUAL(mem_guest_copy(dst, src, 3 << 20, 2 << 20), -EFAULT);
	mem_guest_free(src);
	mem_guest_free(dst);
	mem_free(h1);
	mem_free(h2);
}

CU_MAIN("mem",
	CU_TEST_ENTRY(test_untouched_memory_reads_zero_and_allocates_nothing),
	CU_TEST_ENTRY(test_bad_sizes_are_refused),
	CU_TEST_ENTRY(test_random_access_matches_flat_reference),
	CU_TEST_ENTRY(test_zero_write_into_untouched_page_allocates_nothing),
	CU_TEST_ENTRY(test_access_past_end_is_efault_and_writes_nothing),
	CU_TEST_ENTRY(test_resident_limit_refuses_write_without_partial_effect),
	CU_TEST_ENTRY(test_le_helpers_use_little_endian_byte_order),
	CU_TEST_ENTRY(test_zeroing_releases_whole_pages_and_clears_partial_ones),
	CU_TEST_ENTRY(test_hash_equal_content_equal_hash_whatever_allocation),
	CU_TEST_ENTRY(test_hash_differs_on_one_byte_and_on_length),
	CU_TEST_ENTRY(test_hash_of_untouched_range_is_length_only),
	CU_TEST_ENTRY(test_copy_makes_destination_hash_equal_and_zeroes_absent_pages),
	CU_TEST_ENTRY(test_copy_refuses_overlap_within_one_memory),
	CU_TEST_ENTRY(test_accessor_adapters_reach_memory),
	CU_TEST_ENTRY(test_guest_translation_follows_regions),
	CU_TEST_ENTRY(test_guest_region_overlap_is_eexist_and_bad_region_einval),
	CU_TEST_ENTRY(test_guest_access_spans_adjacent_regions_and_refuses_holes),
	CU_TEST_ENTRY(test_guest_hash_independent_of_host_placement),
	CU_TEST_ENTRY(test_guest_copy_migrates_content))
