// SPDX-License-Identifier: MIT
/*
 * Duration parsing (script/duration.c): lsim_parse_duration() on arbitrary
 * text, checked against an independent reference parser written here from
 * the grammar in runner.h and docs/lua-api.md (spaces, digits, optional
 * fraction, spaces, unit, spaces; exact decimal; finer than 1 ps rounds half
 * up), and lsim_duration_from_ns() on every double bit pattern.
 *
 * Input: the bytes are the string (cut at the first NUL); the first 8 bytes,
 * when present, are also read as a double for lsim_duration_from_ns().
 */
#include "script/runner.h"
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <math.h>

#define MAX_TEXT 256

static bool ref_space(char c)
{
	/* isspace() in the C locale */
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool ref_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Same contract as lsim_parse_duration, computed with 128-bit arithmetic. */
static int ref_parse(const char *s, sim_time_t *out)
{
	static const struct { const char *name; unsigned exp; } units[] = {
		{ "ps", 0 }, { "ns", 3 }, { "us", 6 }, { "\xc2\xb5s", 6 }, { "ms", 9 }, { "s", 12 },
	};
	const char *int_start, *frac_start = NULL, *u;
	size_t nint, nfrac = 0, ulen;
	unsigned __int128 v = 0, scale = 1;
	int exp = -1;
	bool big = false;

	while (ref_space(*s))
		s++;
	int_start = s;
	while (ref_digit(*s))
		s++;
	nint = (size_t)(s - int_start);
	if (*s == '.') {
		frac_start = ++s;
		while (ref_digit(*s))
			s++;
		nfrac = (size_t)(s - frac_start);
	}
	if (!nint && !nfrac)
		return -EINVAL;
	while (ref_space(*s))
		s++;
	u = s;
	while (*s && !ref_space(*s))
		s++;
	ulen = (size_t)(s - u);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == ulen && !memcmp(units[i].name, u, ulen))
			exp = (int)units[i].exp;
	while (ref_space(*s))
		s++;
	if (exp < 0 || *s)
		return -EINVAL;
	for (int i = 0; i < exp; i++)
		scale *= 10;
	/* integer part: anything above 2^64 ps is out of range however it goes on */
	for (size_t i = 0; i < nint; i++) {
		v = v * 10 + (unsigned)(int_start[i] - '0');
		if (v > (unsigned __int128)UINT64_MAX) {
			big = true;
			break;
		}
	}
	if (!big) {
		unsigned __int128 f = 0;

		v *= scale;
		for (int i = 0; i < exp; i++)
			f = f * 10 + ((size_t)i < nfrac ? (unsigned)(frac_start[i] - '0') : 0);
		if (nfrac > (size_t)exp && frac_start[exp] >= '5')
			f++;
		v += f;
		big = v > (unsigned __int128)UINT64_MAX;
	}
	if (big)
		return -ERANGE;
	*out = (sim_time_t)v;
	return 0;
}

static void check_text(const char *text)
{
	sim_time_t got = 0x5a5a5a5a, want = 0xa5a5a5a5;
	int rc = lsim_parse_duration(text, &got);
	int ref = ref_parse(text, &want);
	char again[40];

	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
	FUZZ_CHECK(rc == ref);
	if (rc)
		return;
	FUZZ_CHECK(got == want);
	/* what a value prints as reads back as itself */
	snprintf(again, sizeof(again), "%llups", (unsigned long long)got);
	FUZZ_CHECK(lsim_parse_duration(again, &want) == 0 && want == got);
}

static void check_ns(double ns)
{
	sim_time_t ps = 0;
	int rc = lsim_duration_from_ns(ns, &ps);

	if (isnan(ns) || ns < 0) {
		FUZZ_CHECK(rc == -EINVAL);
		return;
	}
	FUZZ_CHECK(rc == 0 || rc == -ERANGE);
	if (rc == -ERANGE) {
		FUZZ_CHECK(ns * 1000.0 >= 18446744073709551615.0);
		return;
	}
	/* nearest ps: within half a ps, give or take the double's own precision */
	FUZZ_CHECK(fabs((double)ps - ns * 1000.0) <= 0.5 + ns * 1000.0 * 0x1p-52);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[MAX_TEXT + 1];
	size_t n = size < MAX_TEXT ? size : MAX_TEXT;
	struct fz in;

	memcpy(text, data, n);
	text[n] = 0;
	check_text(text);
	fz_init(&in, data, size);
	if (size >= 8)
		check_ns(fz_double(&in));
	return 0;
}
