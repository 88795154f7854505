// SPDX-License-Identifier: MIT
/*
 * The JSON writer (script/json.h): a sequence of writer calls decoded from the
 * input (keys and strings with arbitrary bytes, embedded NULs and invalid
 * UTF-8, doubles of every bit pattern, integers at the extremes, containers
 * nested past JSON_MAX_DEPTH, misuse such as a value where a key is due), in
 * compact or pretty mode.  Oracles:
 *   - a document json_finish() accepts is valid JSON (RFC 8259 grammar, UTF-8,
 *     no raw control characters), checked by a strict validator below;
 *   - every double prints as json_format_double() says and reads back as itself;
 *   - misuse is latched (-EINVAL), never a crash or a malformed "success".
 */
#include "script/json.h"
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <math.h>

#define MAX_OPS 256

/* ---- strict validator -------------------------------------------------------------- */

struct val {
	const unsigned char *p, *end;
	int depth;
};

static void skip_ws(struct val *v)
{
	while (v->p < v->end && (*v->p == ' ' || *v->p == '\n' || *v->p == '\t' || *v->p == '\r'))
		v->p++;
}

static bool lit(struct val *v, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(v->end - v->p) < n || memcmp(v->p, s, n))
		return false;
	v->p += n;
	return true;
}

static bool hex4(struct val *v, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++, v->p++) {
		unsigned c;

		if (v->p >= v->end)
			return false;
		c = *v->p;
		if (c >= '0' && c <= '9')
			c -= '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			c = (c | 0x20) - 'a' + 10;
		else
			return false;
		*out = *out << 4 | c;
	}
	return true;
}

/* One UTF-8 sequence (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
static bool utf8(struct val *v)
{
	unsigned c = *v->p, n, cp;

	if (c < 0x80)
		n = 1, cp = c;
	else if ((c & 0xe0) == 0xc0)
		n = 2, cp = c & 0x1f;
	else if ((c & 0xf0) == 0xe0)
		n = 3, cp = c & 0x0f;
	else if ((c & 0xf8) == 0xf0)
		n = 4, cp = c & 0x07;
	else
		return false;
	if ((size_t)(v->end - v->p) < n)
		return false;
	for (unsigned i = 1; i < n; i++) {
		if ((v->p[i] & 0xc0) != 0x80)
			return false;
		cp = cp << 6 | (v->p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return false;
	v->p += n;
	return true;
}

static bool string(struct val *v)
{
	unsigned u;

	if (!lit(v, "\""))
		return false;
	while (v->p < v->end && *v->p != '"') {
		if (*v->p < 0x20)
			return false;
		if (*v->p != '\\') {
			if (!utf8(v))
				return false;
			continue;
		}
		v->p++;
		if (v->p >= v->end)
			return false;
		if (*v->p && strchr("\"\\/bfnrt", *v->p)) {
			v->p++;
			continue;
		}
		if (*v->p != 'u')
			return false;
		v->p++;
		if (!hex4(v, &u))
			return false;
		if (u >= 0xd800 && u <= 0xdfff)
			return false; /* the writer never splits into surrogate pairs */
	}
	return lit(v, "\"");
}

static bool digits(struct val *v)
{
	const unsigned char *s = v->p;

	while (v->p < v->end && *v->p >= '0' && *v->p <= '9')
		v->p++;
	return v->p > s;
}

static bool number(struct val *v)
{
	if (v->p < v->end && *v->p == '-')
		v->p++;
	if (v->p < v->end && *v->p == '0')
		v->p++;
	else if (v->p >= v->end || *v->p < '1' || *v->p > '9' || !digits(v))
		return false;
	if (v->p < v->end && *v->p == '.') {
		v->p++;
		if (!digits(v))
			return false;
	}
	if (v->p < v->end && (*v->p == 'e' || *v->p == 'E')) {
		v->p++;
		if (v->p < v->end && (*v->p == '+' || *v->p == '-'))
			v->p++;
		if (!digits(v))
			return false;
	}
	return true;
}

static bool value(struct val *v);

static bool container(struct val *v, bool object)
{
	bool first = true;

	if (++v->depth > JSON_MAX_DEPTH)
		return false;
	v->p++;
	skip_ws(v);
	if (lit(v, object ? "}" : "]"))
		goto done;
	for (;;) {
		if (!first && !lit(v, ","))
			return false;
		first = false;
		skip_ws(v);
		if (object) {
			if (!string(v))
				return false;
			skip_ws(v);
			if (!lit(v, ":"))
				return false;
		}
		if (!value(v))
			return false;
		skip_ws(v);
		if (lit(v, object ? "}" : "]"))
			break;
	}
done:
	v->depth--;
	return true;
}

static bool value(struct val *v)
{
	skip_ws(v);
	if (v->p >= v->end)
		return false;
	switch (*v->p) {
	case '{': return container(v, true);
	case '[': return container(v, false);
	case '"': return string(v);
	case 't': return lit(v, "true");
	case 'f': return lit(v, "false");
	case 'n': return lit(v, "null");
	default: return number(v);
	}
}

static bool valid_json(const char *doc, size_t len)
{
	struct val v = { (const unsigned char *)doc, (const unsigned char *)doc + len, 0 };

	if (!value(&v))
		return false;
	skip_ws(&v);
	return v.p == v.end;
}

/* ---- driver -------------------------------------------------------------------------- */

static const double special[] = {
	0.0, -0.0, 1.0, -1.0, 0.1, 1e15, 1e15 - 1, -1e15, 1e16, 1e300, -1e-300, 5e-324,
	1.7976931348623157e308, 2.2250738585072014e-308, 9007199254740993.0, 123456.789,
};

static double pick_double(struct fz *in)
{
	uint8_t sel = fz_u8(in);

	if (sel < 64)
		return special[sel % (sizeof(special) / sizeof(special[0]))];
	if (sel < 80)
		return sel & 1 ? NAN : (sel & 2 ? INFINITY : -INFINITY);
	return fz_double(in);
}

static void check_double_text(double d)
{
	char buf[40];
	size_t n = json_format_double(d, buf, sizeof(buf));

	FUZZ_CHECK(n == strlen(buf) && n < 32);
	if (!isfinite(d)) {
		FUZZ_CHECK(!strcmp(buf, "null"));
		return;
	}
	FUZZ_CHECK(strtod(buf, NULL) == d);
	FUZZ_CHECK(strpbrk(buf, ".eE") != NULL);
	FUZZ_CHECK(valid_json(buf, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_writer w;
	struct fz in;
	char *doc = NULL, key[300];
	size_t doc_len = 0;
	bool misused = false;
	FILE *f;
	int rc;

	fz_init(&in, data, size);
	f = open_memstream(&doc, &doc_len);
	if (!f)
		return 0;
	json_init(&w, f, fz_bool(&in));
	for (int i = 0; i < MAX_OPS && !fz_done(&in); i++) {
		const uint8_t *b;
		size_t n;
		double d;
		int before = w.err;

		switch (fz_below(&in, 12)) {
		case 0: json_begin_object(&w); break;
		case 1: json_end_object(&w); break;
		case 2: json_begin_array(&w); break;
		case 3: json_end_array(&w); break;
		case 4:
			n = fz_bytes(&in, sizeof(key) - 1, &b);
			memcpy(key, b, n);
			key[n] = 0;
			json_key(&w, key);
			break;
		case 5:
			n = fz_bytes(&in, 255, &b);
			json_string_len(&w, (const char *)b, n);
			break;
		case 6:
			n = fz_bytes(&in, sizeof(key) - 1, &b);
			memcpy(key, b, n);
			key[n] = 0;
			json_string(&w, key);
			break;
		case 7: json_int(&w, (int64_t)fz_u64(&in)); break;
		case 8: json_uint(&w, fz_u64(&in)); break;
		case 9:
			d = pick_double(&in);
			check_double_text(d);
			json_double(&w, d);
			break;
		case 10: json_bool(&w, fz_bool(&in)); break;
		default: json_null(&w); break;
		}
		/* the first error is latched: a later call never replaces it */
		FUZZ_CHECK(!before || w.err == before);
		FUZZ_CHECK(w.depth >= 0 && w.depth <= JSON_MAX_DEPTH);
		misused |= w.err != 0;
	}
	rc = json_finish(&w);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	FUZZ_CHECK(!misused || rc == -EINVAL);
	fclose(f);
	if (!rc) {
		if (!valid_json(doc, doc_len)) {
			fprintf(stderr, "invalid JSON from the writer:\n%.*s\n", (int)doc_len, doc);
			FUZZ_CHECK(!"the writer produced invalid JSON");
		}
		FUZZ_CHECK(!w.pretty || (doc_len && doc[doc_len - 1] == '\n'));
	}
	free(doc);
	return 0;
}
