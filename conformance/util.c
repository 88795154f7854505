// SPDX-License-Identifier: MIT
/*
 * Small helpers of the conformance component: the byte buffers a check's
 * process sends its results in (bounded reads, latched errors), string
 * sanitizing shared by every report format, file I/O and escapers.
 */
#include "conformance/conf_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- conf_buf ------------------------------------------------------------------------------- */

static void buf_reserve(struct conf_buf *b, size_t more)
{
	size_t ncap;
	uint8_t *p;

	if (b->err)
		return;
	if (more > SIZE_MAX / 2 - b->len) {
		b->err = -ENOMEM;
		return;
	}
	if (b->len + more <= b->cap)
		return;
	ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + more)
		ncap *= 2;
	p = realloc(b->p, ncap);
	if (!p) {
		b->err = -ENOMEM;
		return;
	}
	b->p = p;
	b->cap = ncap;
}

void conf_buf_bytes(struct conf_buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (b->err || !n)
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void conf_buf_u8(struct conf_buf *b, uint8_t v)
{
	conf_buf_bytes(b, &v, 1);
}

void conf_buf_u32(struct conf_buf *b, uint32_t v)
{
	uint8_t x[4];

	for (int i = 0; i < 4; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	conf_buf_bytes(b, x, 4);
}

void conf_buf_u64(struct conf_buf *b, uint64_t v)
{
	uint8_t x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	conf_buf_bytes(b, x, 8);
}

void conf_buf_str(struct conf_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n > UINT32_MAX) {
		b->err = -ENOMEM;
		return;
	}
	conf_buf_u32(b, (uint32_t)n);
	conf_buf_bytes(b, s, n);
}

void conf_buf_free(struct conf_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static const uint8_t *rd_take(struct conf_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || n > r->len - r->pos) {
		r->bad = true;
		return NULL;
	}
	p = r->p + r->pos;
	r->pos += n;
	return p;
}

uint8_t conf_rd_u8(struct conf_rd *r)
{
	const uint8_t *p = rd_take(r, 1);

	return p ? p[0] : 0;
}

uint32_t conf_rd_u32(struct conf_rd *r)
{
	const uint8_t *p = rd_take(r, 4);
	uint32_t v = 0;

	for (int i = 0; p && i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

uint64_t conf_rd_u64(struct conf_rd *r)
{
	const uint8_t *p = rd_take(r, 8);
	uint64_t v = 0;

	for (int i = 0; p && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

char *conf_rd_str(struct conf_rd *r, size_t max)
{
	uint32_t n = conf_rd_u32(r);
	const uint8_t *p;
	char *tmp, *s;

	if (r->bad || n > max) {
		r->bad = true;
		return NULL;
	}
	p = rd_take(r, n);
	if (!p)
		return NULL;
	tmp = malloc((size_t)n + 1);
	if (!tmp) {
		r->bad = true;
		return NULL;
	}
	memcpy(tmp, p, n);
	tmp[n] = 0;
	s = conf_clean_strdup(tmp, max);
	free(tmp);
	if (!s)
		r->bad = true;
	return s;
}

/* ---- strings ---------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* U+FFFE/U+FFFF are not characters XML accepts */
	if (cp == 0xfffe || cp == 0xffff)
		return 0;
	return len;
}

char *conf_clean_strdup(const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max) : 0, o = 0;
	const unsigned char *u = (const unsigned char *)s;
	char *d = malloc(n + 1);

	if (!d)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_len(u + i, n - i);

		if (l == 0) {
			d[o++] = '?';
			i++;
		} else if (l == 1 && (u[i] < 0x20 || u[i] == 0x7f) && u[i] != '\n' &&
			   u[i] != '\t') {
			d[o++] = '?';
			i++;
		} else {
			memcpy(d + o, u + i, l);
			o += l;
			i += l;
		}
	}
	d[o] = 0;
	return d;
}

char *conf_strdup(const char *s)
{
	return strdup(s ? s : "");
}

void conf_one_line(char *s)
{
	for (; s && *s; s++)
		if (*s == '\n' || *s == '\t')
			*s = ' ';
}

char *conf_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = malloc((size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* ---- files ----------------------------------------------------------------------------------- */

int conf_read_file(const char *path, size_t max, char **text, size_t *len)
{
	size_t n = 0, cap = 4096;
	char *p = malloc(cap + 1), *q;
	int fd, rc = 0;
	struct stat st;

	*text = NULL;
	*len = 0;
	if (!p)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(p);
		return -errno;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap > max) {
				rc = -EFBIG;
				goto out;
			}
			cap *= 2;
			q = realloc(p, cap + 1);
			if (!q) {
				rc = -ENOMEM;
				goto out;
			}
			p = q;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			rc = -EFBIG;
			goto out;
		}
	}
	p[n] = 0;
	*text = p;
	*len = n;
	p = NULL;
out:
	close(fd);
	free(p);
	return rc;
}

char *conf_path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	return conf_xasprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

int conf_write_file_atomic(const char *path, const void *data, size_t len)
{
	char *tmp = conf_xasprintf("%s.tmp-XXXXXX", path);
	const char *p = data;
	int fd, rc = 0;

	if (!tmp)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	while (len && !rc) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = w < 0 ? -errno : -EIO;
		else
			p += w, len -= (size_t)w;
	}
	/* mkstemp makes 0600 files; reports are for sharing */
	if (!rc && fchmod(fd, 0644))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

int conf_mkdir_p(const char *path)
{
	char *p = strdup(path);
	struct stat st;
	int rc = 0;

	if (!p)
		return -ENOMEM;
	if (!*p) {
		free(p);
		return -EINVAL;
	}
	for (char *c = p + 1; *c && !rc; c++) {
		if (*c != '/')
			continue;
		*c = 0;
		if (mkdir(p, 0777) && errno != EEXIST)
			rc = -errno;
		*c = '/';
	}
	if (!rc && mkdir(p, 0777) && errno != EEXIST)
		rc = -errno;
	if (!rc && stat(p, &st))
		rc = -errno;
	else if (!rc && !S_ISDIR(st.st_mode))
		rc = -ENOTDIR;
	free(p);
	return rc;
}

/* ---- escapers -------------------------------------------------------------------------------- */

/* Strings reaching the writers are clean (conf_clean_strdup): only the markup
 * characters need escaping. */
void conf_xml_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		case '\n': fputs("&#10;", f); break;
		case '\t': fputs("&#9;", f); break;
		default:
			if ((unsigned char)*s < 0x20)
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

/* Markdown table cells: no pipes, no line breaks, no HTML. */
void conf_md_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '|': fputs("\\|", f); break;
		case '\\': fputs("\\\\", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '`': fputs("\\`", f); break;
		case '*': fputs("\\*", f); break;
		case '\n':
		case '\t': fputc(' ', f); break;
		default: fputc(*s, f);
		}
	}
}
