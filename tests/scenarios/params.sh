#!/usr/bin/env bash
# --set values reach sim.param converted to the default's type; keys the
# scenario never asks for are fine (a note on stderr, exit 0).
source "$(dirname "$0")/common.bash" "$1"

expect 0 run "$lua/params.lua" --out "$tmp/d" --quiet
expect 0 run "$lua/params.lua" --out "$tmp/s" --set rate=2.5 --set name=vf0 --set flag=1 \
	--set unused=3
grep -q "did not ask for --set unused" "$tmp/stderr" || die "no note about the unused key"
expect 0 run "$lua/params.lua" --out "$tmp/i" --set=rate=40 --set flag=false --quiet
python3 - "$tmp" <<'PY' || die "parameter values"
import json, sys
d = lambda n: json.load(open("%s/%s/result.json" % (sys.argv[1], n)))
a, b, c = d("d"), d("s"), d("i")
assert a["metrics"] == {"flag": 0, "rate": 10}, a["metrics"]
assert a["checks"][0]["detail"] == "eth0"
assert b["metrics"] == {"flag": 1, "rate": 2.5}, b["metrics"]
assert b["checks"][0]["detail"] == "vf0"
assert c["metrics"] == {"flag": 0, "rate": 40}, c["metrics"]
PY
echo "ok"
