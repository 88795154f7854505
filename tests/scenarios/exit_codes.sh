#!/usr/bin/env bash
# Exit status 0 when every check passes, 1 when one fails (result.json says
# "fail"), 2 for a script error (and no result.json).
source "$(dirname "$0")/common.bash" "$1"

expect 0 run "$lua/pass.lua" --out "$tmp/pass" --quiet
grep -q '"verdict": "pass"' "$tmp/pass/result.json" || die "pass verdict"

expect 1 run "$lua/fail.lua" --out "$tmp/fail"
grep -q '"verdict": "fail"' "$tmp/fail/result.json" || die "fail verdict"
grep -q 'check failed: arithmetic is broken: 1 + 1 ~= 3' "$tmp/stderr" ||
	die "the failed check is not reported on stderr"

expect 2 run "$lua/runtime_error.lua" --out "$tmp/err"
[ ! -e "$tmp/err/result.json" ] || die "result.json written after a script error"

# a scenario without checks passes
printf 'sim.wait("1us")\n' >"$tmp/nochecks.lua"
expect 0 run "$tmp/nochecks.lua" --out "$tmp/nochecks" --quiet

# the shipped smoke scenario passes
expect 0 run "$root/scenarios/smoke.lua" --out "$tmp/smoke" --quiet
echo "ok"
