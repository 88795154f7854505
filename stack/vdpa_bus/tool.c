// SPDX-License-Identifier: MIT
/*
 * The `vdpa` management tool (iproute2's vdpa): command-line parsing and the
 * text it prints, on top of the netlink-like verbs of mgmt.c.
 */
#include "stack/vdpa_bus/bus_priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 32
#define TOKEN_MAX (2 * VDPA_NAME_MAX)

/* ---- output buffer ----------------------------------------------------------- */

struct outbuf {
	char *buf;
	size_t len;
	size_t pos;
};

static void out_printf(struct outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_printf(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!o->buf || o->pos + 1 >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->pos += (size_t)n;
	if (o->pos >= o->len)
		o->pos = o->len - 1; /* truncated; buffer stays NUL-terminated */
}

/* ---- parsing ----------------------------------------------------------------- */

static void perr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void perr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int tokenize(const char *line, char tok[][TOKEN_MAX], int *ntok)
{
	int n = 0;
	const char *p = line;

	while (*p) {
		size_t len = 0;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (n == MAX_TOKENS)
			return -E2BIG;
		while (p[len] && !isspace((unsigned char)p[len]))
			len++;
		if (len >= TOKEN_MAX)
			return -ENAMETOOLONG;
		memcpy(tok[n], p, len);
		tok[n][len] = '\0';
		n++;
		p += len;
	}
	*ntok = n;
	return 0;
}

static int parse_u64(const char *s, int base, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi, lo;

		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			return -EINVAL;
		hi = isdigit((unsigned char)s[0]) ? s[0] - '0' : (tolower((unsigned char)s[0]) - 'a' + 10);
		lo = isdigit((unsigned char)s[1]) ? s[1] - '0' : (tolower((unsigned char)s[1]) - 'a' + 10);
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5) {
			if (*s != ':')
				return -EINVAL;
			s++;
		}
	}
	return *s ? -EINVAL : 0;
}

static bool is_show(const char *t)
{
	return !strcmp(t, "show") || !strcmp(t, "list");
}

static int set_str(char *dst, size_t len, const char *src)
{
	if (strlen(src) >= len)
		return -EINVAL;
	snprintf(dst, len, "%s", src);
	return 0;
}

static int parse_dev_add(char tok[][TOKEN_MAX], int i, int n, struct vdpa_tool_cmd *cmd, char *err,
			 size_t errlen)
{
	struct vdpa_dev_set_config *c = &cmd->config;
	uint64_t v;

	for (; i < n; i += 2) {
		const char *key = tok[i];

		if (i + 1 >= n) {
			perr(err, errlen, "option \"%s\" needs a value", key);
			return -EINVAL;
		}
		const char *val = tok[i + 1];

		if (!strcmp(key, "name")) {
			if (set_str(cmd->name, sizeof(cmd->name), val))
				goto bad;
			cmd->has_name = true;
		} else if (!strcmp(key, "mgmtdev")) {
			if (set_str(cmd->mgmtdev, sizeof(cmd->mgmtdev), val))
				goto bad;
			cmd->has_mgmtdev = true;
		} else if (!strcmp(key, "mac")) {
			if (parse_mac(val, c->net.mac))
				goto bad;
			c->mask |= 1ULL << VDPA_ATTR_DEV_NET_CFG_MACADDR;
		} else if (!strcmp(key, "mtu")) {
			if (parse_u64(val, 10, UINT16_MAX, &v))
				goto bad;
			c->net.mtu = (uint16_t)v;
			c->mask |= 1ULL << VDPA_ATTR_DEV_NET_CFG_MTU;
		} else if (!strcmp(key, "max_vqp")) {
			if (parse_u64(val, 10, UINT16_MAX, &v))
				goto bad;
			c->net.max_vq_pairs = (uint16_t)v;
			c->mask |= 1ULL << VDPA_ATTR_DEV_NET_CFG_MAX_VQP;
		} else if (!strcmp(key, "device_features")) {
			if (parse_u64(val, 16, UINT64_MAX, &v))
				goto bad;
			c->device_features = v;
			c->mask |= 1ULL << VDPA_ATTR_DEV_FEATURES;
		} else {
			perr(err, errlen, "unknown option \"%s\"", key);
			return -EINVAL;
		}
		continue;
bad:
		perr(err, errlen, "invalid value \"%s\" for \"%s\"", val, key);
		return -EINVAL;
	}
	if (!cmd->has_name) {
		perr(err, errlen, "device name is expected");
		return -EINVAL;
	}
	if (!cmd->has_mgmtdev) {
		perr(err, errlen, "management device handle is expected");
		return -EINVAL;
	}
	return 0;
}

/* Optional single name argument (show verbs). */
static int parse_opt_name(char tok[][TOKEN_MAX], int i, int n, char *dst, size_t len,
			  bool *has, char *err, size_t errlen)
{
	if (i >= n)
		return 0;
	if (i + 1 < n) {
		perr(err, errlen, "unexpected argument \"%s\"", tok[i + 1]);
		return -EINVAL;
	}
	if (set_str(dst, len, tok[i])) {
		perr(err, errlen, "name too long");
		return -EINVAL;
	}
	*has = true;
	return 0;
}

static int parse_dev(char tok[][TOKEN_MAX], int i, int n, struct vdpa_tool_cmd *cmd, char *err,
		     size_t errlen)
{
	uint64_t v;

	if (i >= n || is_show(tok[i])) {
		cmd->verb = VDPA_TOOL_DEV_SHOW;
		return parse_opt_name(tok, i + 1, n, cmd->name, sizeof(cmd->name), &cmd->has_name,
				      err, errlen);
	}
	if (!strcmp(tok[i], "add")) {
		cmd->verb = VDPA_TOOL_DEV_ADD;
		return parse_dev_add(tok, i + 1, n, cmd, err, errlen);
	}
	if (!strcmp(tok[i], "del")) {
		cmd->verb = VDPA_TOOL_DEV_DEL;
		if (i + 1 >= n) {
			perr(err, errlen, "device name is expected");
			return -EINVAL;
		}
		return parse_opt_name(tok, i + 1, n, cmd->name, sizeof(cmd->name), &cmd->has_name,
				      err, errlen);
	}
	if (!strcmp(tok[i], "config")) {
		if (i + 1 < n && !is_show(tok[i + 1])) {
			perr(err, errlen, "unknown config command \"%s\"", tok[i + 1]);
			return -EINVAL;
		}
		cmd->verb = VDPA_TOOL_DEV_CONFIG_SHOW;
		return parse_opt_name(tok, i + 2, n, cmd->name, sizeof(cmd->name), &cmd->has_name,
				      err, errlen);
	}
	if (!strcmp(tok[i], "vstats")) {
		if (i + 1 >= n || !is_show(tok[i + 1])) {
			perr(err, errlen, "expected \"vstats show\"");
			return -EINVAL;
		}
		cmd->verb = VDPA_TOOL_DEV_VSTATS_SHOW;
		i += 2;
		if (i >= n || set_str(cmd->name, sizeof(cmd->name), tok[i])) {
			perr(err, errlen, "device name is expected");
			return -EINVAL;
		}
		cmd->has_name = true;
		i++;
		if (i < n) {
			if (strcmp(tok[i], "qidx") || i + 1 >= n ||
			    parse_u64(tok[i + 1], 10, UINT32_MAX, &v) || i + 2 != n) {
				perr(err, errlen, "expected \"qidx QUEUE_INDEX\"");
				return -EINVAL;
			}
			cmd->has_qidx = true;
			cmd->qidx = (uint32_t)v;
		}
		if (!cmd->has_qidx) {
			perr(err, errlen, "queue index is expected");
			return -EINVAL;
		}
		return 0;
	}
	perr(err, errlen, "command \"%s\" not found", tok[i]);
	return -EINVAL;
}

int vdpa_tool_parse(const char *cmdline, struct vdpa_tool_cmd *cmd, char *err, size_t errlen)
{
	char tok[MAX_TOKENS][TOKEN_MAX];
	int n = 0, i = 0, ret;

	if (err && errlen)
		err[0] = '\0';
	if (!cmdline || !cmd)
		return -EINVAL;
	memset(cmd, 0, sizeof(*cmd));
	ret = tokenize(cmdline, tok, &n);
	if (ret) {
		perr(err, errlen, "command line too long");
		return -EINVAL;
	}
	if (i < n && !strcmp(tok[i], "vdpa"))
		i++;
	if (i >= n) {
		perr(err, errlen, "object expected: mgmtdev or dev");
		return -EINVAL;
	}
	if (!strcmp(tok[i], "mgmtdev")) {
		i++;
		if (i < n && !is_show(tok[i])) {
			perr(err, errlen, "command \"%s\" not found", tok[i]);
			return -EINVAL;
		}
		cmd->verb = VDPA_TOOL_MGMTDEV_SHOW;
		return parse_opt_name(tok, i + 1, n, cmd->mgmtdev, sizeof(cmd->mgmtdev),
				      &cmd->has_mgmtdev, err, errlen);
	}
	if (!strcmp(tok[i], "dev"))
		return parse_dev(tok, i + 1, n, cmd, err, errlen);
	perr(err, errlen, "object \"%s\" not found", tok[i]);
	return -EINVAL;
}

/* ---- printing ---------------------------------------------------------------- */

static void print_features(struct outbuf *o, uint32_t device_id, uint64_t features)
{
	char name[32];

	for (unsigned int bit = 0; bit < 64; bit++)
		if (features & (1ULL << bit))
			out_printf(o, " %s", vdpa_feature_name(device_id, bit, name, sizeof(name)));
}

static const char *class_name(unsigned int id)
{
	switch (id) {
	case VIRTIO_ID_NET:
		return "net";
	case VIRTIO_ID_BLOCK:
		return "block";
	default:
		return NULL;
	}
}

static const char *device_type_name(uint32_t id)
{
	switch (id) {
	case VIRTIO_ID_NET:
		return "network";
	case VIRTIO_ID_BLOCK:
		return "block";
	default:
		return "unknown";
	}
}

static void print_mgmtdev(struct outbuf *o, const struct vdpa_mgmtdev_info *m)
{
	out_printf(o, "%s:\n  supported_classes", m->handle);
	for (unsigned int id = 0; id < 64; id++) {
		if (m->supported_classes & (1ULL << id)) {
			const char *cn = class_name(id);

			if (cn)
				out_printf(o, " %s", cn);
			else
				out_printf(o, " class_%u", id);
		}
	}
	out_printf(o, "\n  max_supported_vqs %u\n  dev_features", m->max_supported_vqs);
	print_features(o, (m->supported_classes & (1ULL << VIRTIO_ID_NET)) ? VIRTIO_ID_NET : 0,
		       m->supported_features);
	out_printf(o, "\n");
}

static void print_dev(struct outbuf *o, const struct vdpa_dev_info *d)
{
	out_printf(o, "%s: type %s", d->name, device_type_name(d->device_id));
	if (d->mgmtdev[0])
		out_printf(o, " mgmtdev %s", d->mgmtdev);
	out_printf(o, " vendor_id %u max_vqs %u max_vq_size %u", d->vendor_id, d->max_vqs,
		   d->max_vq_size);
	if (d->has_min_vq_size)
		out_printf(o, " min_vq_size %u", d->min_vq_size);
	out_printf(o, "\n");
}

static void print_config(struct outbuf *o, const struct vdpa_dev_config_info *c)
{
	out_printf(o, "%s:", c->name);
	if (c->has_mac)
		out_printf(o, " mac %02x:%02x:%02x:%02x:%02x:%02x", c->mac[0], c->mac[1], c->mac[2],
			   c->mac[3], c->mac[4], c->mac[5]);
	if (c->has_status)
		out_printf(o, " link %s link_announce %s",
			   (c->status & VIRTIO_NET_S_LINK_UP) ? "up" : "down",
			   (c->status & VIRTIO_NET_S_ANNOUNCE) ? "true" : "false");
	if (c->has_max_vqp)
		out_printf(o, " max_vq_pairs %u", c->max_vqp);
	if (c->has_mtu)
		out_printf(o, " mtu %u", c->mtu);
	if (c->has_negotiated) {
		out_printf(o, "\n  negotiated_features");
		print_features(o, c->device_id, c->negotiated_features);
	}
	out_printf(o, "\n  dev_features");
	print_features(o, c->device_id, c->dev_features);
	out_printf(o, "\n");
}

static void print_vstats(struct outbuf *o, const struct vdpa_dev_vstats_info *s)
{
	uint32_t max_vqp = s->has_max_vqp ? s->max_vqp : 1;
	const char *qtype;

	if (s->queue_index == 2 * max_vqp)
		qtype = "control_vq";
	else
		qtype = (s->queue_index & 1) ? "tx" : "rx";
	out_printf(o, "%s:", s->name);
	if (s->has_max_vqp)
		out_printf(o, " max_vq_pairs %u", s->max_vqp);
	out_printf(o, " queue_type %s queue_index %u", qtype, s->queue_index);
	for (unsigned int i = 0; i < s->stats.n && i < VDPA_VSTATS_MAX; i++)
		out_printf(o, " %s %llu", s->stats.attr[i].name,
			   (unsigned long long)s->stats.attr[i].value);
	out_printf(o, "\n  negotiated_features");
	print_features(o, s->device_id, s->negotiated_features);
	out_printf(o, "\n");
}

static void print_error(struct outbuf *o, int err, const struct vdpa_extack *ext)
{
	if (ext->msg[0])
		out_printf(o, "Error: %s\n", ext->msg);
	out_printf(o, "kernel answers: %s\n", strerror(-err));
}

/* ---- execution --------------------------------------------------------------- */

#define DUMP_MAX 64

static int exec_mgmtdev_show(struct sim *sim, const struct vdpa_tool_cmd *cmd, struct outbuf *o,
			     struct vdpa_extack *ext)
{
	struct vdpa_mgmtdev_info info[DUMP_MAX];
	size_t n = 0;
	int err;

	err = vdpa_nl_mgmtdev_get(sim, cmd->has_mgmtdev ? cmd->mgmtdev : NULL, info, DUMP_MAX, &n,
				  ext);
	for (size_t i = 0; !err && i < n; i++)
		print_mgmtdev(o, &info[i]);
	return err;
}

static int exec_dev_show(struct sim *sim, const struct vdpa_tool_cmd *cmd, struct outbuf *o,
			 struct vdpa_extack *ext)
{
	struct vdpa_dev_info info[DUMP_MAX];
	size_t n = 0;
	int err;

	err = vdpa_nl_dev_get(sim, cmd->has_name ? cmd->name : NULL, info, DUMP_MAX, &n, ext);
	for (size_t i = 0; !err && i < n; i++)
		print_dev(o, &info[i]);
	return err;
}

static int exec_config_show(struct sim *sim, const struct vdpa_tool_cmd *cmd, struct outbuf *o,
			    struct vdpa_extack *ext)
{
	struct vdpa_dev_config_info c;
	struct vdpa_device *d;
	int err;

	if (cmd->has_name) {
		err = vdpa_nl_dev_config_get(sim, cmd->name, &c, ext);
		if (!err)
			print_config(o, &c);
		return err;
	}
	/* A dump lists the devices it can describe and skips the others. */
	for (d = vdpa_next_device(sim, NULL); d; d = vdpa_next_device(sim, d)) {
		struct vdpa_extack skip = { { 0 } };

		if (!vdpa_nl_dev_config_get(sim, d->name, &c, &skip))
			print_config(o, &c);
	}
	return 0;
}

int vdpa_tool_exec(struct sim *sim, const struct vdpa_tool_cmd *cmd, char *out, size_t outlen)
{
	struct outbuf o = { out, outlen, 0 };
	struct vdpa_extack ext = { { 0 } };
	struct vdpa_dev_vstats_info vs;
	int err;

	if (out && outlen)
		out[0] = '\0';
	if (!cmd)
		return -EINVAL;
	switch (cmd->verb) {
	case VDPA_TOOL_MGMTDEV_SHOW:
		err = exec_mgmtdev_show(sim, cmd, &o, &ext);
		break;
	case VDPA_TOOL_DEV_SHOW:
		err = exec_dev_show(sim, cmd, &o, &ext);
		break;
	case VDPA_TOOL_DEV_ADD:
		err = vdpa_nl_dev_add(sim, cmd->has_name ? cmd->name : NULL,
				      cmd->has_mgmtdev ? cmd->mgmtdev : NULL, &cmd->config, &ext);
		break;
	case VDPA_TOOL_DEV_DEL:
		err = vdpa_nl_dev_del(sim, cmd->has_name ? cmd->name : NULL, &ext);
		break;
	case VDPA_TOOL_DEV_CONFIG_SHOW:
		err = exec_config_show(sim, cmd, &o, &ext);
		break;
	case VDPA_TOOL_DEV_VSTATS_SHOW:
		err = vdpa_nl_dev_vstats_get(sim, cmd->has_name ? cmd->name : NULL, cmd->has_qidx,
					     cmd->qidx, &vs, &ext);
		if (!err)
			print_vstats(&o, &vs);
		break;
	default:
		err = -EINVAL;
		break;
	}
	if (err)
		print_error(&o, err, &ext);
	return err;
}

int vdpa_tool(struct sim *sim, const char *cmdline, char *out, size_t outlen)
{
	struct vdpa_tool_cmd cmd;
	char err[160];
	int ret;

	if (out && outlen)
		out[0] = '\0';
	ret = vdpa_tool_parse(cmdline, &cmd, err, sizeof(err));
	if (ret) {
		struct outbuf o = { out, outlen, 0 };

		out_printf(&o, "%s\n", err);
		return ret;
	}
	return vdpa_tool_exec(sim, &cmd, out, outlen);
}
