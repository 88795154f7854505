/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz harnesses (tests/fuzz/fuzz_<name>.c): the libFuzzer entry
 * point, a reader that turns the input bytes into typed choices, and the check
 * macro for a harness's own oracles.
 *
 * A harness is built twice: with clang and libFuzzer (`make fuzz`, build/fuzz/)
 * and with gcc, ASan and UBSan around tests/fuzz/replay.c, which feeds every
 * checked-in input once (`make test`).  So it uses only this header, the
 * library's public headers and libc.
 */
#ifndef VDPASIM_TESTS_FUZZ_H
#define VDPASIM_TESTS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * An oracle of the harness itself (an invariant the code under test must keep
 * whatever the input).  A failure aborts, which libFuzzer records as a crash
 * and the replay counts as a failed input.
 */
#define FUZZ_CHECK(cond)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                    \
			abort();                                                           \
		}                                                                          \
	} while (0)

/*
 * Input reader.  Reading past the end gives zeros, so every input decodes to
 * something and a short input is a short program; fz_done() tells when to stop.
 */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline void fz_init(struct fz *f, const uint8_t *data, size_t size)
{
	f->p = data;
	f->n = size;
}

static inline bool fz_done(const struct fz *f)
{
	return f->n == 0;
}

static inline uint8_t fz_u8(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static inline uint64_t fz_uint(struct fz *f, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)fz_u8(f) << (8 * i);
	return v;
}

static inline uint16_t fz_u16(struct fz *f) { return (uint16_t)fz_uint(f, 2); }
static inline uint32_t fz_u32(struct fz *f) { return (uint32_t)fz_uint(f, 4); }
static inline uint64_t fz_u64(struct fz *f) { return fz_uint(f, 8); }

/* 0..bound-1 (0 when bound is 0). */
static inline uint32_t fz_below(struct fz *f, uint32_t bound)
{
	return bound ? fz_u8(f) % bound : 0;
}

static inline bool fz_bool(struct fz *f)
{
	return fz_u8(f) & 1;
}

/* Any bit pattern: NaNs, infinities, subnormals and -0 included. */
static inline double fz_double(struct fz *f)
{
	uint64_t bits = fz_u64(f);
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

/* Up to `max` raw bytes (the count is the next byte, capped by what is left). */
static inline size_t fz_bytes(struct fz *f, size_t max, const uint8_t **out)
{
	size_t n = fz_u8(f);

	if (n > max)
		n = max;
	if (n > f->n)
		n = f->n;
	*out = f->p;
	f->p += n;
	f->n -= n;
	return n;
}

#endif
