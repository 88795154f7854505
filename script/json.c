// SPDX-License-Identifier: MIT
/*
 * Streaming JSON writer: see json.h.  Separators and indentation are decided
 * when a value or key starts, from whether its container already has items.
 */
#include "script/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void json_init(struct json_writer *w, FILE *f, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->pretty = pretty;
}

static void put(struct json_writer *w, const char *s, size_t len)
{
	if (w->err)
		return;
	if (len && fwrite(s, 1, len, w->f) != len)
		w->err = -EIO;
}

static void puts_(struct json_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void newline_indent(struct json_writer *w, int depth)
{
	if (!w->pretty)
		return;
	put(w, "\n", 1);
	for (int i = 0; i < depth; i++)
		put(w, "  ", 2);
}

static void misuse(struct json_writer *w)
{
	if (!w->err)
		w->err = -EINVAL;
}

/* Separator and indentation before a key or a value; false on misuse. */
static bool begin_item(struct json_writer *w, bool is_key)
{
	if (w->done) {
		misuse(w);
		return false;
	}
	if (w->depth == 0) {
		if (is_key)
			misuse(w);
		return !is_key;
	}
	if (w->is_object[w->depth]) {
		/* in an object: keys and values alternate */
		if (is_key == w->after_key) {
			misuse(w);
			return false;
		}
		if (!is_key) {
			w->after_key = false;
			return true;
		}
	} else if (is_key) {
		misuse(w);
		return false;
	}
	if (w->has_items[w->depth])
		put(w, ",", 1);
	w->has_items[w->depth] = true;
	newline_indent(w, w->depth);
	return true;
}

static void end_value(struct json_writer *w)
{
	if (w->depth == 0)
		w->done = true;
}

static void begin_container(struct json_writer *w, bool object)
{
	if (!begin_item(w, false))
		return;
	if (w->depth == JSON_MAX_DEPTH) {
		misuse(w);
		return;
	}
	put(w, object ? "{" : "[", 1);
	w->depth++;
	w->is_object[w->depth] = object;
	w->has_items[w->depth] = false;
	w->after_key = false;
}

static void end_container(struct json_writer *w, bool object)
{
	if (w->depth == 0 || w->is_object[w->depth] != object || w->after_key) {
		misuse(w);
		return;
	}
	w->depth--;
	if (w->has_items[w->depth + 1])
		newline_indent(w, w->depth);
	put(w, object ? "}" : "]", 1);
	end_value(w);
}

void json_begin_object(struct json_writer *w) { begin_container(w, true); }
void json_end_object(struct json_writer *w) { end_container(w, true); }
void json_begin_array(struct json_writer *w) { begin_container(w, false); }
void json_end_array(struct json_writer *w) { end_container(w, false); }

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is invalid
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > avail)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static void put_string(struct json_writer *w, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;
	char esc[8];

	put(w, "\"", 1);
	while (i < len) {
		unsigned char c = s[i];
		const char *rep = NULL;
		size_t n;

		switch (c) {
		case '"': rep = "\\\""; break;
		case '\\': rep = "\\\\"; break;
		case '\b': rep = "\\b"; break;
		case '\f': rep = "\\f"; break;
		case '\n': rep = "\\n"; break;
		case '\r': rep = "\\r"; break;
		case '\t': rep = "\\t"; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				rep = esc;
			}
		}
		if (rep) {
			put(w, str + run, i - run);
			puts_(w, rep);
			run = ++i;
			continue;
		}
		n = utf8_seq_len(s + i, len - i);
		if (!n) {
			put(w, str + run, i - run);
			puts_(w, "\\ufffd");
			run = ++i;
			continue;
		}
		i += n;
	}
	put(w, str + run, i - run);
	put(w, "\"", 1);
}

void json_key(struct json_writer *w, const char *key)
{
	if (!begin_item(w, true))
		return;
	put_string(w, key, strlen(key));
	put(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
	w->after_key = true;
}

void json_string_len(struct json_writer *w, const char *s, size_t len)
{
	if (!begin_item(w, false))
		return;
	put_string(w, s, len);
	end_value(w);
}

void json_string(struct json_writer *w, const char *s)
{
	json_string_len(w, s, strlen(s));
}

void json_int(struct json_writer *w, int64_t v)
{
	char buf[32];

	if (!begin_item(w, false))
		return;
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	puts_(w, buf);
	end_value(w);
}

void json_uint(struct json_writer *w, uint64_t v)
{
	char buf[32];

	if (!begin_item(w, false))
		return;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	puts_(w, buf);
	end_value(w);
}

size_t json_format_double(double v, char *buf, size_t size)
{
	int n = 0;

	if (!isfinite(v))
		return (size_t)snprintf(buf, size, "null");
	if (v == floor(v) && fabs(v) < 1e15)
		return (size_t)snprintf(buf, size, "%.1f", v); /* 10.0, not 1e+01 */
	for (int prec = 1; prec <= 17; prec++) {
		n = snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	/* keep floats recognisable as floats for typed readers */
	if (!strpbrk(buf, ".eE") && (size_t)n + 2 < size) {
		memcpy(buf + n, ".0", 3);
		n += 2;
	}
	return (size_t)n;
}

void json_double(struct json_writer *w, double v)
{
	char buf[40];
	size_t n;

	if (!begin_item(w, false))
		return;
	n = json_format_double(v, buf, sizeof(buf));
	put(w, buf, n);
	end_value(w);
}

void json_bool(struct json_writer *w, bool v)
{
	if (!begin_item(w, false))
		return;
	puts_(w, v ? "true" : "false");
	end_value(w);
}

void json_null(struct json_writer *w)
{
	if (!begin_item(w, false))
		return;
	puts_(w, "null");
	end_value(w);
}

int json_finish(struct json_writer *w)
{
	if (!w->done)
		misuse(w);
	if (w->pretty)
		put(w, "\n", 1);
	if (fflush(w->f) && !w->err)
		w->err = -EIO;
	return w->err;
}
