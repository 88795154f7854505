/* SPDX-License-Identifier: MIT */
/*
 * Lua bindings of the simulated topology (docs/lua-api.md, "Topology"):
 * hosts (memory, IOMMU, PCIe root complex and slots), Ethernet peers, links
 * and pcap taps, the `vdpa` tool, vdpa devices and their drivers, vhost-vdpa
 * handles, engine statistics.
 *
 * Ownership.  Every C object a script creates belongs to a per-sim registry
 * hung off the sim (eng_attach key "ltopo", attached when the module opens,
 * so before the vdpa bus and the stack components that attach lazily; their
 * destructors therefore run first and the hardware outlives the software).
 * Lua handles are small userdata pointing at registry entries: collecting a
 * handle frees nothing, so garbage-collection order never matters.  The
 * registry frees everything at eng_sim_free(): taps, links, peers, device
 * models, then each host's root complex, IOMMU and memory.  The vendor
 * driver instances probed at boot are removed by a second slot, "ltopo.drv",
 * attached after the bus drivers so that it runs before them.  vhost-vdpa
 * files, virtio_net instances and test management devices are owned by their
 * components and closed or unregistered by their own destructors.
 *
 * Determinism: names are given or assigned in creation order ("host0",
 * "sink1", "link0"); handles print as "link(link0)", never an address.
 */
#ifndef VDPASIM_SCRIPT_TOPO_H
#define VDPASIM_SCRIPT_TOPO_H

#include <stdint.h>

struct lua_State;
struct sim;

/* The "topology" entry of lsim_modules[]: installs sim.host, sim.peer, sim.link, ... */
int ltopo_lua_open(struct lua_State *L, struct sim *sim);

/* ---- Strict parsers -------------------------------------------------------------------- */
/*
 * All take a string "<number><unit>": digits with an optional fraction,
 * optional spaces around the number and before the unit, a case-sensitive
 * unit.  Signs, exponents, bare numbers and trailing junk are rejected.
 * Decimal arithmetic is exact; a value that is not a whole number of the base
 * unit is rejected rather than rounded.
 * Return 0, -EINVAL (malformed), -EDOM (fraction of the base unit) or -ERANGE
 * (does not fit in 64 bits).
 */

/* Bytes: B, KiB, MiB, GiB, TiB (powers of 1024), kB, MB, GB, TB (powers of 1000). */
int lsim_parse_size(const char *s, uint64_t *bytes);

enum lsim_rate_unit {
	LSIM_RATE_BPS = 1, /* bits per second */
	LSIM_RATE_PPS,     /* packets (frames) per second */
};
/* bps, kbps, Kbps, Mbps, Gbps, Tbps; pps, kpps, Kpps, Mpps, Gpps. */
int lsim_parse_rate(const char *s, uint64_t *value, enum lsim_rate_unit *unit);

/* Cable length in millimetres: mm, cm, m, km. */
int lsim_parse_length(const char *s, uint64_t *mm);

/* "00:11:22:33:44:55": six pairs of hex digits separated by ':'.  0 or -EINVAL. */
int lsim_parse_mac(const char *s, uint8_t mac[6]);

#endif
