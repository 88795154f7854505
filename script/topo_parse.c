// SPDX-License-Identifier: MIT
/*
 * Strict parsers for the quantities scripts write as strings: sizes, rates,
 * cable lengths, MAC addresses.  The number is kept as an exact decimal
 * (mantissa and count of fraction digits) and scaled with 128-bit integer
 * arithmetic, so "1.5GiB" is exactly 1610612736 and "0.1m" exactly 100 mm.
 */
#include "script/topo.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

struct unit {
	const char *name;
	uint64_t mult; /* base units per unit */
	int kind;
};

#define MAX_FRAC_DIGITS 18

static const uint64_t pow10_tab[MAX_FRAC_DIGITS + 1] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
	100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
	10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL,
};

/*
 * "<spaces><digits>[.<digits>]<spaces><unit><spaces>" against a unit table.
 * *kind receives the matched unit's kind (may be NULL).
 */
static int parse_scaled(const char *s, const struct unit *units, size_t nunits, uint64_t *out,
			int *kind)
{
	const char *p = s, *frac = NULL, *u;
	size_t nfrac = 0, ulen;
	unsigned __int128 whole = 0, f = 0, v;
	bool digits = false, overflow = false;
	const struct unit *unit = NULL;

	while (isspace((unsigned char)*p))
		p++;
	for (; isdigit((unsigned char)*p); p++) {
		digits = true;
		whole = whole * 10 + (unsigned)(*p - '0');
		if (whole > UINT64_MAX) { /* keep scanning: junk is -EINVAL first */
			overflow = true;
			whole = UINT64_MAX;
		}
	}
	if (*p == '.') {
		frac = ++p;
		while (isdigit((unsigned char)*p))
			p++;
		nfrac = (size_t)(p - frac);
		digits = digits || nfrac;
	}
	if (!digits)
		return -EINVAL;
	while (isspace((unsigned char)*p))
		p++;
	u = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	ulen = (size_t)(p - u);
	for (size_t i = 0; i < nunits; i++)
		if (strlen(units[i].name) == ulen && !memcmp(units[i].name, u, ulen))
			unit = &units[i];
	while (isspace((unsigned char)*p))
		p++;
	if (!unit || *p)
		return -EINVAL;
	/* trailing zeros of the fraction change nothing */
	while (nfrac && frac[nfrac - 1] == '0')
		nfrac--;
	if (nfrac > MAX_FRAC_DIGITS)
		return -EDOM;
	if (overflow)
		return -ERANGE;
	for (size_t i = 0; i < nfrac; i++)
		f = f * 10 + (unsigned)(frac[i] - '0');
	/* whole < 2^64 and mult < 2^64: the products fit in 128 bits */
	f *= unit->mult;
	if (f % pow10_tab[nfrac])
		return -EDOM;
	v = whole * unit->mult + f / pow10_tab[nfrac];
	if (v > UINT64_MAX)
		return -ERANGE;
	*out = (uint64_t)v;
	if (kind)
		*kind = unit->kind;
	return 0;
}

#define KIB 1024ULL

static const struct unit size_units[] = {
	{ "B", 1, 0 },
	{ "KiB", KIB, 0 },
	{ "MiB", KIB * KIB, 0 },
	{ "GiB", KIB * KIB * KIB, 0 },
	{ "TiB", KIB * KIB * KIB * KIB, 0 },
	{ "kB", 1000ULL, 0 },
	{ "MB", 1000000ULL, 0 },
	{ "GB", 1000000000ULL, 0 },
	{ "TB", 1000000000000ULL, 0 },
};

int lsim_parse_size(const char *s, uint64_t *bytes)
{
	return parse_scaled(s, size_units, sizeof(size_units) / sizeof(size_units[0]), bytes,
			    NULL);
}

static const struct unit rate_units[] = {
	{ "bps", 1, LSIM_RATE_BPS },
	{ "kbps", 1000ULL, LSIM_RATE_BPS },
	{ "Kbps", 1000ULL, LSIM_RATE_BPS },
	{ "Mbps", 1000000ULL, LSIM_RATE_BPS },
	{ "Gbps", 1000000000ULL, LSIM_RATE_BPS },
	{ "Tbps", 1000000000000ULL, LSIM_RATE_BPS },
	{ "pps", 1, LSIM_RATE_PPS },
	{ "kpps", 1000ULL, LSIM_RATE_PPS },
	{ "Kpps", 1000ULL, LSIM_RATE_PPS },
	{ "Mpps", 1000000ULL, LSIM_RATE_PPS },
	{ "Gpps", 1000000000ULL, LSIM_RATE_PPS },
};

int lsim_parse_rate(const char *s, uint64_t *value, enum lsim_rate_unit *unit)
{
	int kind = 0, rc;

	rc = parse_scaled(s, rate_units, sizeof(rate_units) / sizeof(rate_units[0]), value, &kind);
	if (!rc && unit)
		*unit = (enum lsim_rate_unit)kind;
	return rc;
}

static const struct unit length_units[] = {
	{ "mm", 1, 0 },
	{ "cm", 10, 0 },
	{ "m", 1000, 0 },
	{ "km", 1000000, 0 },
};

int lsim_parse_length(const char *s, uint64_t *mm)
{
	return parse_scaled(s, length_units, sizeof(length_units) / sizeof(length_units[0]), mm,
			    NULL);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int lsim_parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t m[6];

	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, 6);
	return 0;
}
