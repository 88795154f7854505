#!/usr/bin/env bash
# Scenario tests: each tests/scenarios/*.sh is run with the vdpasim binary as $1.
set -u
bin=$1
pass=0 fail=0
for t in tests/scenarios/*.sh; do
	[ -e "$t" ] || continue
	if out=$(bash "$t" "$bin" 2>&1); then
		pass=$((pass + 1)); printf '  PASS  %s\n' "$(basename "$t")"
	else
		fail=$((fail + 1)); printf '  FAIL  %s\n' "$(basename "$t")"; echo "$out" | tail -n 30 | sed 's/^/        /'
	fi
done
echo "scenario tests: $pass passed, $fail failed"
mkdir -p build/test-logs
echo "$pass $fail" > build/test-logs/scenario.counts
[ "$fail" -eq 0 ]
