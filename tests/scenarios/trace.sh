#!/usr/bin/env bash
# --trace writes the trace records to a file whose SHA-256 is the trace_sha256
# in result.json; without --trace the hash (and the whole result.json) is the same.
source "$(dirname "$0")/common.bash" "$1"

expect 0 run "$lua/pass.lua" --out "$tmp/t" --trace "$tmp/trace.txt" --quiet
[ -s "$tmp/trace.txt" ] || die "trace file missing or empty"
grep -Eq '^[0-9]+ lua check name=wait advances simulated time verdict=pass$' "$tmp/trace.txt" ||
	die "no check record in the trace: $(head -n 3 "$tmp/trace.txt")"
want=$(sha256sum "$tmp/trace.txt" | cut -d' ' -f1)
grep -q "\"trace_sha256\": \"$want\"" "$tmp/t/result.json" || die "trace_sha256 is not the file's hash"
expect 0 run "$lua/pass.lua" --out "$tmp/n" --quiet
cmp "$tmp/t/result.json" "$tmp/n/result.json" || die "--trace changed result.json"
# an unwritable trace file is an input error
expect 2 run "$lua/pass.lua" --out "$tmp/x" --trace "$tmp/no/such/dir/trace.txt"
first_err | grep -q "cannot open trace file" || die "bad --trace: $(first_err)"
[ ! -e "$tmp/x/result.json" ] || die "result.json written with a bad --trace"
echo "ok"
