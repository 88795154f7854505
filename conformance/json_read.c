// SPDX-License-Identifier: MIT
/*
 * A strict, bounded JSON reader for the files `report merge` and `report
 * verify` are handed.  Those files come from anywhere, so every limit is
 * explicit and every path returns an error instead of trusting the input.
 */
#include "conformance/conf_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct jp {
	const char *p, *end, *start;
	size_t nodes;
	char *err;
	size_t errlen;
	int rc;
};

static int jp_fail(struct jp *j, const char *what)
{
	size_t line = 1, col = 1;

	if (j->rc)
		return j->rc;
	for (const char *q = j->start; q < j->p && q < j->end; q++) {
		if (*q == '\n')
			line++, col = 1;
		else
			col++;
	}
	if (j->err && j->errlen)
		snprintf(j->err, j->errlen, "JSON line %zu column %zu: %s", line, col, what);
	j->rc = -EINVAL;
	return j->rc;
}

static void skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int parse_value(struct jp *j, struct jr_value *v, int depth);

static int hex4(struct jp *j, uint32_t *cp)
{
	*cp = 0;
	if (j->end - j->p < 4)
		return jp_fail(j, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = *j->p++;
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return jp_fail(j, "bad \\u escape");
		*cp = *cp << 4 | d;
	}
	return 0;
}

static void put_utf8(char *o, size_t *n, uint32_t cp)
{
	if (cp < 0x80) {
		o[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		o[(*n)++] = (char)(0xc0 | cp >> 6);
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		o[(*n)++] = (char)(0xe0 | cp >> 12);
		o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		o[(*n)++] = (char)(0xf0 | cp >> 18);
		o[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* Length of a valid UTF-8 sequence at p (strict: no overlongs, no surrogates), 0 if bad. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned c = p[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int parse_string(struct jp *j, char **out, size_t *outlen)
{
	const char *q;
	size_t cap = 0, n = 0;
	char *o;

	*out = NULL;
	j->p++; /* opening quote */
	/* the decoded string is never longer than its source */
	for (q = j->p; q < j->end && *q != '"'; q++) {
		if (*q == '\\')
			q++;
		if ((size_t)(q - j->p) > JR_MAX_STRING)
			return jp_fail(j, "string too long");
	}
	if (q >= j->end)
		return jp_fail(j, "unterminated string");
	cap = (size_t)(q - j->p) + 1;
	o = malloc(cap);
	if (!o) {
		j->rc = -ENOMEM;
		return j->rc;
	}
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p;

		if (c < 0x20) {
			free(o);
			return jp_fail(j, "control character in string");
		}
		if (c == '\\') {
			uint32_t cp, lo;

			j->p++;
			if (j->p >= j->end) {
				free(o);
				return jp_fail(j, "truncated escape");
			}
			c = (unsigned char)*j->p++;
			switch (c) {
			case '"': o[n++] = '"'; break;
			case '\\': o[n++] = '\\'; break;
			case '/': o[n++] = '/'; break;
			case 'b': o[n++] = '\b'; break;
			case 'f': o[n++] = '\f'; break;
			case 'n': o[n++] = '\n'; break;
			case 'r': o[n++] = '\r'; break;
			case 't': o[n++] = '\t'; break;
			case 'u':
				if (hex4(j, &cp))
					break;
				if (cp >= 0xdc00 && cp <= 0xdfff) {
					jp_fail(j, "lone low surrogate");
					break;
				}
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u') {
						jp_fail(j, "lone high surrogate");
						break;
					}
					j->p += 2;
					if (hex4(j, &lo))
						break;
					if (lo < 0xdc00 || lo > 0xdfff) {
						jp_fail(j, "bad surrogate pair");
						break;
					}
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				if (cp == 0) {
					jp_fail(j, "NUL in string");
					break;
				}
				put_utf8(o, &n, cp);
				break;
			default:
				jp_fail(j, "bad escape");
			}
			if (j->rc) {
				free(o);
				return j->rc;
			}
			continue;
		}
		{
			size_t l = utf8_seq((const unsigned char *)j->p, (size_t)(j->end - j->p));

			if (!l) {
				free(o);
				return jp_fail(j, "invalid UTF-8 in string");
			}
			memcpy(o + n, j->p, l);
			n += l;
			j->p += l;
		}
	}
	if (j->p >= j->end) {
		free(o);
		return jp_fail(j, "unterminated string");
	}
	j->p++; /* closing quote */
	o[n] = 0;
	*out = o;
	*outlen = n;
	return 0;
}

static int parse_number(struct jp *j, struct jr_value *v)
{
	const char *s = j->p;
	bool integral = true, neg = false;
	char buf[80];
	size_t n;

	if (j->p < j->end && *j->p == '-')
		j->p++, neg = true;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return jp_fail(j, "bad number");
	if (*j->p == '0') {
		j->p++;
	} else {
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && *j->p == '.') {
		integral = false;
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return jp_fail(j, "bad number fraction");
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		integral = false;
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return jp_fail(j, "bad number exponent");
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	n = (size_t)(j->p - s);
	if (n >= sizeof(buf))
		return jp_fail(j, "number too long");
	memcpy(buf, s, n);
	buf[n] = 0;
	v->type = JR_NUMBER;
	v->d = strtod(buf, NULL); /* huge values become +-HUGE_VAL: fine, never trusted */
	if (integral) {
		uint64_t u = 0;
		bool overflow = false;

		for (const char *c = buf + neg; *c; c++) {
			unsigned d = (unsigned)(*c - '0');

			if (u > (UINT64_MAX - d) / 10) {
				overflow = true;
				break;
			}
			u = u * 10 + d;
		}
		if (!overflow && !neg) {
			v->is_uint = true;
			v->u = u;
			if (u <= INT64_MAX) {
				v->is_int = true;
				v->i = (int64_t)u;
			}
		} else if (!overflow && neg && u <= (uint64_t)INT64_MAX + 1) {
			v->is_int = true;
			v->i = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
		}
	}
	return 0;
}

static int literal(struct jp *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n))
		return jp_fail(j, "unexpected character");
	j->p += n;
	return 0;
}

static int grow(struct jp *j, struct jr_value *v, size_t *cap, bool keys)
{
	size_t ncap = *cap ? *cap * 2 : 8;
	struct jr_value *items;

	if (v->n < *cap)
		return 0;
	items = realloc(v->items, ncap * sizeof(*items));
	if (!items)
		return j->rc = -ENOMEM;
	v->items = items;
	if (keys) {
		char **k = realloc(v->keys, ncap * sizeof(*k));

		if (!k)
			return j->rc = -ENOMEM;
		v->keys = k;
	}
	*cap = ncap;
	return 0;
}

static int parse_array(struct jp *j, struct jr_value *v, int depth)
{
	size_t cap = 0;

	v->type = JR_ARRAY;
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		if (grow(j, v, &cap, false))
			return j->rc;
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		v->n++;
		if (parse_value(j, &v->items[v->n - 1], depth + 1))
			return j->rc;
		skip_ws(j);
		if (j->p >= j->end)
			return jp_fail(j, "unterminated array");
		if (*j->p == ']') {
			j->p++;
			return 0;
		}
		if (*j->p != ',')
			return jp_fail(j, "expected ',' or ']'");
		j->p++;
	}
}

static int parse_object(struct jp *j, struct jr_value *v, int depth)
{
	size_t cap = 0, klen;
	char *key;

	v->type = JR_OBJECT;
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		skip_ws(j);
		if (j->p >= j->end || *j->p != '"')
			return jp_fail(j, "expected a key");
		if (v->n >= JR_MAX_OBJECT_KEYS)
			return jp_fail(j, "too many keys in an object");
		if (parse_string(j, &key, &klen))
			return j->rc;
		for (size_t i = 0; i < v->n; i++) {
			if (!strcmp(v->keys[i], key)) {
				free(key);
				return jp_fail(j, "duplicate key");
			}
		}
		if (grow(j, v, &cap, true)) {
			free(key);
			return j->rc;
		}
		v->keys[v->n] = key;
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		v->n++;
		skip_ws(j);
		if (j->p >= j->end || *j->p != ':')
			return jp_fail(j, "expected ':'");
		j->p++;
		if (parse_value(j, &v->items[v->n - 1], depth + 1))
			return j->rc;
		skip_ws(j);
		if (j->p >= j->end)
			return jp_fail(j, "unterminated object");
		if (*j->p == '}') {
			j->p++;
			return 0;
		}
		if (*j->p != ',')
			return jp_fail(j, "expected ',' or '}'");
		j->p++;
	}
}

static int parse_value(struct jp *j, struct jr_value *v, int depth)
{
	if (depth > JR_MAX_DEPTH)
		return jp_fail(j, "nesting too deep");
	if (++j->nodes > JR_MAX_NODES)
		return jp_fail(j, "too many values");
	skip_ws(j);
	if (j->p >= j->end)
		return jp_fail(j, "unexpected end of input");
	switch (*j->p) {
	case '{':
		return parse_object(j, v, depth);
	case '[':
		return parse_array(j, v, depth);
	case '"':
		v->type = JR_STRING;
		return parse_string(j, &v->s, &v->len);
	case 't':
		v->type = JR_BOOL;
		v->b = true;
		return literal(j, "true");
	case 'f':
		v->type = JR_BOOL;
		return literal(j, "false");
	case 'n':
		v->type = JR_NULL;
		return literal(j, "null");
	default:
		return parse_number(j, v);
	}
}

static void free_inner(struct jr_value *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free_inner(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->s);
}

void jr_free(struct jr_value *v)
{
	if (!v)
		return;
	free_inner(v);
	free(v);
}

int jr_parse(const char *text, size_t len, struct jr_value **out, char *err, size_t errlen)
{
	struct jp j = { .p = text, .end = text + len, .start = text, .err = err, .errlen = errlen };
	struct jr_value *v;

	*out = NULL;
	if (err && errlen)
		err[0] = 0;
	if (!text)
		return -EINVAL;
	if (len > JR_MAX_INPUT) {
		if (err && errlen)
			snprintf(err, errlen, "JSON input larger than %u bytes", JR_MAX_INPUT);
		return -EINVAL;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (!parse_value(&j, v, 0)) {
		skip_ws(&j);
		if (j.p != j.end)
			jp_fail(&j, "text after the JSON value");
	}
	if (j.rc) {
		jr_free(v);
		if (j.rc == -ENOMEM && err && errlen && !err[0])
			snprintf(err, errlen, "out of memory reading JSON");
		return j.rc;
	}
	*out = v;
	return 0;
}

const struct jr_value *jr_get(const struct jr_value *v, const char *key)
{
	if (!v || v->type != JR_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}
