// SPDX-License-Identifier: MIT
/*
 * Check "net_config": the virtio-net configuration fields a device must fill
 * in for the features it offers (virtio 1.3 5.1.4.1), read before feature
 * negotiation, as a driver deciding on features would: max_virtqueue_pairs,
 * mtu, rss_max_key_size, rss_max_indirection_table_length, speed, duplex.
 * Fails naming the field and its value.
 */
#include "conformance/conf_priv.h"
#include "vdpasim/uapi.h"

#include <stddef.h>

#define F(bit) (1ULL << (bit))

static const char *const reqs[] = {
	"NET-CFG-DEV-01", "NET-CFG-DEV-02", "NET-CFG-DEV-03", "NET-CFG-DEV-07", "NET-CFG-DEV-08",
	"NET-CFG-DEV-10", "NET-CFG-DEV-11", NULL,
};

struct field {
	const struct conf_vcap *cfg;
	size_t off, size;
	const char *name;
};

/* Reads a config field; false (and a failure for id) when the structure is too short. */
static bool read_field(struct conf_ctx *ctx, const char *id, const struct field *fl,
		       uint64_t *v)
{
	if (!fl->cfg) {
		conf_set(ctx, id, CONF_FAIL, "no device-specific configuration capability to read "
			 "%s from", fl->name);
		return false;
	}
	if (fl->off + fl->size > fl->cfg->length) {
		conf_set(ctx, id, CONF_FAIL, "device configuration is %u bytes, too short for %s "
			 "at offset %zu", fl->cfg->length, fl->name, fl->off);
		return false;
	}
	*v = conf_mmio_read(ctx, fl->cfg->bar, fl->cfg->offset + fl->off, (uint8_t)fl->size);
	return true;
}

#define FIELD(cfg, member) \
	((struct field){ (cfg), offsetof(struct virtio_net_config, member), \
			 sizeof(((struct virtio_net_config *)0)->member), #member })

static int run(struct conf_ctx *ctx)
{
	const struct conf_vcap *cfg = ctx->dcap;
	uint64_t f = ctx->offered, v;
	struct field fl;

	if (f & F(VIRTIO_NET_F_MQ)) {
		fl = FIELD(cfg, max_virtqueue_pairs);
		if (read_field(ctx, "NET-CFG-DEV-01", &fl, &v))
			conf_expect(ctx, "NET-CFG-DEV-01", v >= 1 && v <= 0x8000,
				    "max_virtqueue_pairs %llu (1..32768)", (unsigned long long)v);
	}
	if (f & F(VIRTIO_NET_F_MTU)) {
		fl = FIELD(cfg, mtu);
		if (read_field(ctx, "NET-CFG-DEV-02", &fl, &v)) {
			conf_expect(ctx, "NET-CFG-DEV-02", v >= 68, "mtu %llu (68..65535)",
				    (unsigned long long)v);
			conf_expect(ctx, "NET-CFG-DEV-03", v >= 1280,
				    "mtu %llu (recommended at least 1280)", (unsigned long long)v);
		}
	}
	if (f & (F(VIRTIO_NET_F_RSS) | F(VIRTIO_NET_F_HASH_REPORT))) {
		fl = FIELD(cfg, rss_max_key_size);
		if (read_field(ctx, "NET-CFG-DEV-07", &fl, &v))
			conf_expect(ctx, "NET-CFG-DEV-07", v >= 40,
				    "rss_max_key_size %llu (at least 40)", (unsigned long long)v);
	}
	if (f & F(VIRTIO_NET_F_RSS)) {
		fl = FIELD(cfg, rss_max_indirection_table_length);
		if (read_field(ctx, "NET-CFG-DEV-08", &fl, &v))
			conf_expect(ctx, "NET-CFG-DEV-08", v >= 128,
				    "rss_max_indirection_table_length %llu (at least 128)",
				    (unsigned long long)v);
	}
	if (f & F(VIRTIO_NET_F_SPEED_DUPLEX)) {
		fl = FIELD(cfg, speed);
		if (read_field(ctx, "NET-CFG-DEV-10", &fl, &v))
			conf_expect(ctx, "NET-CFG-DEV-10", v <= 0x7fffffff || v == 0xffffffff,
				    "speed %llu (0..0x7fffffff Mbit/s, or 0xffffffff unknown)",
				    (unsigned long long)v);
		fl = FIELD(cfg, duplex);
		if (read_field(ctx, "NET-CFG-DEV-11", &fl, &v))
			conf_expect(ctx, "NET-CFG-DEV-11", v == 0 || v == 1 || v == 0xff,
				    "duplex 0x%02llx (0x00, 0x01 or 0xff unknown)",
				    (unsigned long long)v);
	}
	return 0;
}

const struct conf_check conf_check_net_config = {
	.name = "net_config",
	.description = "net config fields for offered MQ, MTU, RSS, HASH_REPORT, SPEED_DUPLEX "
		       "(5.1.4.1)",
	.requirements = reqs,
	.run = run,
};
