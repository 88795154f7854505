/* SPDX-License-Identifier: MIT */
/*
 * Small streaming JSON writer shared by result.json and the conformance reports.
 *
 * Output is deterministic: keys come in the order the caller writes them,
 * pretty mode indents by two spaces, doubles are written in their shortest form
 * that reads back to the same value (NaN and infinities become null), and
 * strings are always valid UTF-8 JSON (control characters escaped, invalid
 * UTF-8 bytes replaced by U+FFFD).
 *
 * Calls never fail individually: the first error (write failure, misuse such
 * as a value where a key is due) is latched and returned by json_finish().
 */
#ifndef VDPASIM_JSON_H
#define VDPASIM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
	FILE *f;
	bool pretty;
	bool after_key;         /* a key was written, its value is due */
	int depth;              /* open containers */
	int err;                /* first error: -EIO or -EINVAL */
	bool done;              /* the top-level value is complete */
	bool is_object[JSON_MAX_DEPTH + 1];
	bool has_items[JSON_MAX_DEPTH + 1];
};

void json_init(struct json_writer *w, FILE *f, bool pretty);
void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_string(struct json_writer *w, const char *s);
void json_string_len(struct json_writer *w, const char *s, size_t len);
void json_int(struct json_writer *w, int64_t v);
void json_uint(struct json_writer *w, uint64_t v);
void json_double(struct json_writer *w, double v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
/* Checks the document is complete, ends it with a newline in pretty mode and
 * flushes.  Returns 0 or the first error. */
int json_finish(struct json_writer *w);

/*
 * The text json_double() writes: integral values below 1e15 as "%.1f" ("10.0"),
 * others as the shortest %.Ng (N <= 17) that reads back as v, with ".0" added
 * when it would otherwise look like an integer; "null" for NaN and infinities.
 * Returns the length.  size must be >= 32.
 */
size_t json_format_double(double v, char *buf, size_t size);

#endif
