#!/usr/bin/env bash
# --help, --version, list, and the default output directory.
source "$(dirname "$0")/common.bash" "$1"

expect 0 --help
grep -q "^usage: vdpasim run SCENARIO.lua" "$tmp/stdout" || die "--help text"
expect 0 run --help
expect 0 --version
grep -Eq '^vdpasim [^ ]+$' "$tmp/stdout" || die "--version: $(cat "$tmp/stdout")"
expect 2
grep -q "^usage:" "$tmp/stderr" || die "no usage without arguments"

(cd "$root" && "$bin" list scenarios >"$tmp/list") || die "list scenarios failed"
grep -Eq '^scenarios/smoke.lua +Smoke test of the scenario runner' "$tmp/list" ||
	die "list scenarios: $(cat "$tmp/list")"
sort -c "$tmp/list" || die "list scenarios is not sorted"
for what in devices requirements checks; do
	expect 0 list "$what"
done
expect 2 list gadgets
(cd "$tmp" && "$bin" list scenarios 2>"$tmp/err") && die "list scenarios without a scenarios dir"
grep -q "no 'scenarios' directory" "$tmp/err" || die "list scenarios outside the tree: $(cat "$tmp/err")"

# default --out is out/<scenario name>/ under the current directory
cp "$lua/pass.lua" "$tmp/mine.lua"
(cd "$tmp" && "$bin" run mine.lua --quiet) || die "run with the default --out"
[ -f "$tmp/out/mine/result.json" ] || die "no out/mine/result.json"
grep -q '"scenario": "mine.lua"' "$tmp/out/mine/result.json" || die "scenario field"
echo "ok"
