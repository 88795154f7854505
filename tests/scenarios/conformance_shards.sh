#!/usr/bin/env bash
# Shards merge into exactly the unsharded run's package; shards of another run
# are refused; `report verify` catches a file changed after the run.  The
# hidden --selftest adds a crashing and a hanging check: both become errors
# and the run goes on.
source "$(dirname "$0")/common.bash" "$1"

run=(conformance --device testnet --selftest --timeout 1 --quiet)
expect 0 "${run[@]}" --out "$tmp/whole"
grep -q '"message": "check process killed by signal 6' "$tmp/whole/conformance.json" ||
	die "crashing self-test check not reported"
grep -q '"message": "check did not finish within 1 s' "$tmp/whole/conformance.json" ||
	die "hanging self-test check not reported"
for i in 1 2 3; do
	expect 0 "${run[@]}" --shard "$i/3" --out "$tmp/s$i"
	grep -qx "shard: $i/3" "$tmp/s$i/STATEMENT" || die "shard $i STATEMENT"
done
expect 0 report merge "$tmp/merged" "$tmp/s3" "$tmp/s1" "$tmp/s2"
for f in STATEMENT SHA256SUMS conformance.json junit.xml report.html report.md; do
	cmp -s "$tmp/whole/$f" "$tmp/merged/$f" || die "merged $f differs from the unsharded run"
done
expect 0 report verify "$tmp/merged"

# shards of different runs do not merge
expect 0 "${run[@]}" --shard 2/3 --seed 9 --out "$tmp/other"
expect 2 report merge "$tmp/bad" "$tmp/s1" "$tmp/other" "$tmp/s3"
first_err | grep -q "used seed 9" || die "seed mismatch message: $(first_err)"
expect 2 report merge "$tmp/bad" "$tmp/s1" "$tmp/s2"
first_err | grep -q "is shard 1/3, but 2 shards were given" || die "missing shard: $(first_err)"
expect 2 report merge "$tmp/bad" "$tmp/s1" "$tmp/s1" "$tmp/s2"
expect 2 report merge "$tmp/bad" "$tmp/s1" "$tmp/nowhere" "$tmp/s2"
[ ! -e "$tmp/bad" ] || die "a refused merge wrote $tmp/bad"

# a shard is not a certification package
expect 1 report verify "$tmp/s1"

# tampering
cp -r "$tmp/whole" "$tmp/t1"
sed -i 's/PASS/PAZZ/' "$tmp/t1/report.html"
expect 1 report verify "$tmp/t1"
grep -q "report.html: sha256 .* does not match SHA256SUMS" "$tmp/stderr" || die "tamper: $(cat "$tmp/stderr")"
(cd "$tmp/t1" && sha256sum STATEMENT conformance.json junit.xml \
	report.html report.md >SHA256SUMS)
expect 1 report verify "$tmp/t1"
grep -q "report.html differs from what conformance.json renders" "$tmp/stderr" ||
	die "resealed tamper: $(cat "$tmp/stderr")"
cp -r "$tmp/whole" "$tmp/t2"
sed -i 's/^seed: 1$/seed: 2/' "$tmp/t2/STATEMENT"
(cd "$tmp/t2" && sha256sum STATEMENT conformance.json junit.xml report.html report.md >SHA256SUMS)
expect 1 report verify "$tmp/t2"
grep -q "STATEMENT line .* 'seed: 2' is not consistent" "$tmp/stderr" || die "STATEMENT: $(cat "$tmp/stderr")"
echo '{"tool": ' >"$tmp/t2/conformance.json"
expect 1 report verify "$tmp/t2"
grep -q "conformance.json: JSON line 2" "$tmp/stderr" || die "truncated JSON: $(cat "$tmp/stderr")"
echo "ok"
