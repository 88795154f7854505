#!/usr/bin/env bash
# Topology scenarios through the CLI: generator -> 100G link -> sink with a
# tap; frame counts in result.json, the pcap artifact's frames and sha256
# match the file (tshark count, sha256sum), timestamps are simulated time,
# and two runs give byte-identical outputs.  Then the NIC loopback path.
source "$(dirname "$0")/common.bash" "$1"
cd "$root" || die "no $root"

frames=1000
expect 0 run "$lua/lua_gen_sink.lua" --out "$tmp/a" --quiet --set frames=$frames
expect 0 run "$lua/lua_gen_sink.lua" --out "$tmp/b" --quiet --set frames=$frames
cmp "$tmp/a/result.json" "$tmp/b/result.json" || die "result.json differs between runs"
cmp "$tmp/a/wire.pcap" "$tmp/b/wire.pcap" || die "pcap differs between runs"

sha=$(sha256sum "$tmp/a/wire.pcap" | cut -d' ' -f1)
python3 - "$tmp/a/result.json" "$frames" "$sha" <<'PY' || die "result.json contents"
import json, sys
r = json.load(open(sys.argv[1]))
n, sha = int(sys.argv[2]), sys.argv[3]
assert r["verdict"] == "pass", r["verdict"]
m = r["metrics"]
assert m["tx.frames"] == n and m["rx.frames"] == n and m["rx.lost"] == 0, m
assert m["link.ab.frames"] == n and m["tap.frames"] == n, m
assert m["rx.bytes"] == 60 * n, m
# 60 B + FCS + preamble/SFD/IFG at 100 Gbit/s is 6720 ps, 2 m of cable 10000 ps
assert m["rx.lat_min_ps"] == 16720 and m["rx.lat_max_ps"] == 16720, m
a = r["artifacts"]
assert len(a) == 1 and a[0]["kind"] == "pcap" and a[0]["path"] == "wire.pcap", a
assert a[0]["frames"] == n, a
assert a[0]["sha256"] == sha, (a[0]["sha256"], sha)
PY

if command -v tshark >/dev/null; then
	count=$(tshark -r "$tmp/a/wire.pcap" 2>/dev/null | wc -l)
	[ "$count" -eq "$frames" ] || die "tshark counts $count frames, want $frames"
	# frame k arrives at k * 13440 ps (50 Gbit/s pacing) + 16720 ps; pcap keeps ns
	last=$(tshark -r "$tmp/a/wire.pcap" -T fields -e frame.time_epoch 2>/dev/null | tail -n 1)
	want=$(( (999 * 13440 + 16720) / 1000 ))
	python3 -c "import sys; t = round(float('$last') * 1e9); sys.exit(0 if t == $want else 1)" \
		|| die "last frame at $last s, want $want ns"
	len=$(tshark -r "$tmp/a/wire.pcap" -T fields -e frame.len 2>/dev/null | sort -u)
	[ "$len" = "60" ] || die "frame lengths: $len"
fi

# a bad option is a script error naming the argument
printf 'sim.link(sim.peer.sink{}:port(), sim.peer.sink{}:port(), { rate = "0Gbps" })\n' \
	>"$tmp/bad.lua"
expect 2 run "$tmp/bad.lua" --out "$tmp/bad" --quiet
first_err | grep -qF "bad argument #3 to 'link' (rate must be > 0)" || die "message: $(first_err)"
[ ! -e "$tmp/bad/result.json" ] || die "result.json after an error"

expect 0 run "$lua/lua_nic_loopback.lua" --out "$tmp/n" --quiet
python3 - "$tmp/n/result.json" <<'PY' || die "nic result.json"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "pass"
m = r["metrics"]
assert m["nd.tx_packets"] == 500 and m["nd.rx_packets"] == 500, m
assert m["pcie.mrd_tlps"] > 0 and m["pcie.msix_tlps"] > 0, m
a = r["artifacts"][0]
assert a["path"] == "nic.pcap" and a["frames"] == 1000, a   # both directions
PY
# every topology call has a runnable example in docs/lua-api.md, and every
# example passes its checks (docs_examples.sh only rejects errors)
mkdir -p "$tmp/ex/lib"
printf 'return { double = function(x) return 2 * x end }\n' >"$tmp/ex/lib/helper.lua"
awk -v dir="$tmp/ex" '
	/^```lua[ \t]*$/ { n++; file = sprintf("%s/example%02d.lua", dir, n); inblock = 1; next }
	/^```[ \t]*$/ && inblock { inblock = 0; close(file); next }
	inblock { print > file }
' "$root/docs/lua-api.md"
for call in 'sim.host{' ':pcie_slot{' ':plug(' 'sim.peer.loopback{' 'sim.peer.sink{' \
	'sim.peer.generator{' 'sim.link(' ':tap(' 'sim.vdpa(' 'sim.vdpa_device(' \
	'sim.testdev_mgmt{' 'sim.features{' 'sim.feature_names(' 'sim.errno' 'sim.vhost_open(' \
	':ioctl(' ':iotlb{' 'sim.stats(' 'sim.stat(' 'sim.test_frame{' 'sim.parse_frame(' \
	':send_test{' ':bind(' ':pcie_stats()' ':query(' ':mem_write(' ':flow_stats('; do
	grep -qF "$call" "$tmp/ex"/example*.lua || die "no example uses $call"
done
for ex in "$tmp/ex"/example*.lua; do
	"$bin" run "$ex" --quiet --out "$tmp/exout/$(basename "$ex" .lua)" >/dev/null 2>&1 ||
		die "documentation example $(basename "$ex") exits $?"
done
echo "ok"
