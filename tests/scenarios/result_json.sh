#!/usr/bin/env bash
# result.json has exactly the documented fields with the right types, and is
# byte-identical for the same seed and different for another seed.
source "$(dirname "$0")/common.bash" "$1"

expect 0 run "$lua/pass.lua" --seed 7 --out "$tmp/a" --quiet
expect 0 run "$lua/pass.lua" --seed 7 --out "$tmp/b" --quiet
expect 0 run "$lua/pass.lua" --seed 8 --out "$tmp/c" --quiet

python3 - "$tmp/a/result.json" <<'PY' || die "result.json fields"
import json, re, sys
r = json.load(open(sys.argv[1]))
want = ["tool", "version", "scenario", "seed", "run", "verdict", "sim_time_ps", "events",
        "checks", "metrics", "artifacts", "trace_sha256"]
assert list(r) == want, "keys %s" % list(r)
assert r["tool"] == "vdpasim"
assert isinstance(r["version"], str) and r["version"], r["version"]
assert r["scenario"] == "pass.lua", r["scenario"]
assert r["seed"] == 7 and r["run"] == 0
assert r["verdict"] == "pass"
assert r["sim_time_ps"] == 2500000, r["sim_time_ps"]
assert isinstance(r["events"], int) and r["events"] >= 0
assert len(r["checks"]) == 2
for c in r["checks"]:
    assert set(c) <= {"name", "verdict", "detail", "sim_time_ps", "requirement"}, c
    assert isinstance(c["name"], str) and c["verdict"] in ("pass", "fail")
    assert isinstance(c["detail"], str) and isinstance(c["sim_time_ps"], int)
assert r["checks"][0] == {"name": "wait advances simulated time", "verdict": "pass",
                          "detail": "now=1500000", "sim_time_ps": 1500000}, r["checks"][0]
assert r["checks"][1]["requirement"] == "VIRTIO-TEST-1"
assert list(r["metrics"]) == sorted(r["metrics"]), "metrics sorted by name"
assert r["metrics"]["at_ps"] == 2000000 and r["metrics"]["ratio"] == 0.25
assert isinstance(r["metrics"]["random"], int)
assert r["artifacts"] == []
assert re.fullmatch(r"[0-9a-f]{64}", r["trace_sha256"])
PY

cmp "$tmp/a/result.json" "$tmp/b/result.json" || die "same seed gave different result.json"
if cmp -s "$tmp/a/result.json" "$tmp/c/result.json"; then
	die "seeds 7 and 8 gave the same result.json"
fi
# nothing else is left in the output directory (no temporary or probe files)
[ "$(ls -A "$tmp/a")" = "result.json" ] || die "stray files in the output directory: $(ls -A "$tmp/a")"
echo "ok"
