#!/usr/bin/env bash
# Run each CUnit test program, collect per-program results, print one total.
# A program that crashes (sanitizer report, signal) counts as failed.
set -u
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pass=0 fail=0 failed=()
mkdir -p build/test-logs
rm -f build/test-logs/*.log build/test-logs/unit.counts
for t in "$@"; do
	name=$(basename "$t")
	log=build/test-logs/$name.log
	if "$t" >"$log" 2>&1; then
		pass=$((pass + 1))
		printf '  PASS  %s  (%s)\n' "$name" "$(tail -n 1 "$log")"
	else
		fail=$((fail + 1))
		failed+=("$name")
		printf '  FAIL  %s\n' "$name"
		tail -n 40 "$log" | sed 's/^/        /'
	fi
done
total_tests=$(cat build/test-logs/*.log 2>/dev/null | grep -Eo '[0-9]+ tests run' | awk '{s+=$1} END {print s+0}')
total_failed=$(cat build/test-logs/*.log 2>/dev/null | grep -Eo 'run, [0-9]+ failed' | awk '{s+=$2} END {print s+0}')
echo "unit test programs: $pass passed, $fail failed ($total_tests CUnit tests)"
# Counted CUnit tests for the closing line; a crashed program counts as one failure.
echo "$((total_tests - total_failed)) $((total_failed + fail))" > build/test-logs/unit.counts
[ "$fail" -eq 0 ]
