#!/usr/bin/env bash
# Device plugins that do not match this simulator are refused before any of
# their code runs, with a message naming the problem (and both ABI versions).
source "$(dirname "$0")/common.bash" "$1"

cc=${CC:-cc}
cat >"$tmp/abi2.c" <<'C'
#include "vdpasim/device_plugin.h"
static const struct vdpasim_device_plugin p = {
	.abi_version = VDPASIM_PLUGIN_ABI_VERSION + 1,
	.size = sizeof(struct vdpasim_device_plugin),
	.name = "future",
};
const struct vdpasim_device_plugin *vdpasim_device_plugin_v1(void) { return &p; }
C
cat >"$tmp/small.c" <<'C'
#include "vdpasim/device_plugin.h"
static const struct vdpasim_device_plugin p = {
	.abi_version = VDPASIM_PLUGIN_ABI_VERSION, .size = 8, .name = "small",
};
const struct vdpasim_device_plugin *vdpasim_device_plugin_v1(void) { return &p; }
C
echo 'int not_a_plugin;' >"$tmp/nosym.c"
for p in abi2 small nosym; do
	"$cc" -shared -fPIC -I"$root/include" -o "$tmp/lib$p.so" "$tmp/$p.c" ||
		die "cannot build $p plugin"
done

expect 2 conformance --device "$tmp/libabi2.so" --out "$tmp/o"
first_err | grep -q "device plugin ABI version 2, but this vdpasim supports version 1" ||
	die "wrong-ABI message: $(first_err)"
expect 2 conformance --device "$tmp/libsmall.so" --out "$tmp/o"
first_err | grep -q "descriptor size 8 is smaller" || die "size message: $(first_err)"
expect 2 conformance --device "$tmp/libnosym.so" --out "$tmp/o"
first_err | grep -q "does not export vdpasim_device_plugin_v1()" || die "symbol message: $(first_err)"
expect 2 conformance --device "$tmp/missing.so" --out "$tmp/o"
first_err | grep -q "missing.so': No such file" || die "missing file message: $(first_err)"
expect 2 conformance --device gizmo --out "$tmp/o"
first_err | grep -q "unknown device 'gizmo' (built-in devices: ifcvf, testnet" || die "unknown name: $(first_err)"
expect 2 conformance --device testnet --device-options bogus=1 --out "$tmp/o"
first_err | grep -q "create() failed" || die "create failure: $(first_err)"
[ ! -e "$tmp/o" ] || die "a refused device left a report directory"
echo "ok"
