#!/usr/bin/env bash
# The example plugin a vendor copies (examples/minimal_plugin) is a real small
# virtio-net device: built with only the ABI header, it passes the whole suite;
# the rows it cannot be judged on (packed ring, features it does not offer)
# are not_applicable, never pass.
source "$(dirname "$0")/common.bash" "$1"

make -s -C "$root/examples/minimal_plugin" OUT="$tmp/plugin" >"$tmp/make.log" 2>&1 ||
	die "building the example plugin: $(cat "$tmp/make.log")"
plugin=$tmp/plugin/libminimal_plugin.so
nm -D --undefined-only "$plugin" | grep -q 'vdpasim\|devh_\|vq_' &&
	die "the example plugin links simulator symbols: $(nm -D --undefined-only "$plugin")"
expect 0 conformance --device "$plugin" --out "$tmp/r" --quiet
python3 - "$tmp/r" <<'PY' || die "example plugin report"
import json, sys
r = json.load(open(sys.argv[1] + "/conformance.json"))
assert r["verdict"] == "pass", r["verdict"]
rows = {x["id"]: x for x in r["requirements"]}
for i in ("STATUS-DEV-01", "STATUS-DEV-03", "RESET-DEV-02", "SPLIT-DEV-03", "SPLIT-DEV-11",
          "SPLIT-DEV-22", "PCI-DEV-17", "OPS-DEV-X01", "NET-RX-DEV-01", "NET-VLAN-DEV-01"):
    assert rows[i]["status"] == "pass", (i, rows[i]["status"], rows[i]["evidence"])
for i in ("PACKED-DEV-X02", "VQRESET-DEV-01", "NET-MQ-DEV-01"):
    assert rows[i]["status"] == "not_applicable", (i, rows[i]["status"])
assert r["counts"]["must"]["pass"] >= 60, r["counts"]["must"]
PY
echo "ok"
