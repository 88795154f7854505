#!/usr/bin/env bash
# Replay every checked-in fuzz input once: for each replay program
# build/<variant>/fuzz/replay_<name>, the files in tests/fuzz/corpus/<name>/ and
# tests/fuzz/regress/<name>/.  One process per harness on the fast path; if it
# fails, each input is run on its own to name the ones that fail.  Counts are
# inputs ("passed failed" in build/test-logs/fuzz.counts for tools/test-summary.sh).
# A harness without any input counts as one failure: every harness needs a seed corpus.
# A replay that hangs is killed (FUZZ_REPLAY_TIMEOUT seconds per harness, default 300;
# a fifth of that per input) and counts as failed.
set -u
limit=${FUZZ_REPLAY_TIMEOUT:-300}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pass=0 fail=0
logs=build/test-logs
mkdir -p "$logs"
rm -f "$logs/fuzz.counts"
for bin in "$@"; do
	name=${bin##*/replay_}
	dirs=()
	for d in "tests/fuzz/corpus/$name" "tests/fuzz/regress/$name"; do
		[ -d "$d" ] && dirs+=("$d")
	done
	files=()
	[ ${#dirs[@]} -gt 0 ] && mapfile -t files < <(find "${dirs[@]}" -type f ! -name '.*' | LC_ALL=C sort)
	log=$logs/fuzz_$name.log
	if [ ${#files[@]} -eq 0 ]; then
		fail=$((fail + 1))
		printf '  FAIL  fuzz_%s  (no inputs in tests/fuzz/corpus/%s/)\n' "$name" "$name"
		continue
	fi
	if timeout "$limit" "$bin" "${dirs[@]}" >"$log" 2>&1; then
		pass=$((pass + ${#files[@]}))
		printf '  PASS  fuzz_%s  (%d inputs)\n' "$name" "${#files[@]}"
		continue
	fi
	# Something failed: find out which inputs.
	bad=0
	for f in "${files[@]}"; do
		timeout $((limit / 5 + 1)) "$bin" "$f" >"$log.one" 2>&1
		rc=$?
		if [ "$rc" -eq 0 ]; then
			pass=$((pass + 1))
		else
			bad=$((bad + 1))
			[ "$rc" -eq 124 ] && echo "timed out after $((limit / 5 + 1)) s" >>"$log.one"
			printf '  FAIL  fuzz_%s  %s\n' "$name" "$f"
			tail -n 30 "$log.one" | sed 's/^/        /'
			cat "$log.one" >>"$log"
		fi
	done
	rm -f "$log.one"
	if [ "$bad" -eq 0 ]; then
		# each input passes alone: the failure needs several in one process (a leak
		# or state kept between runs); count the harness once
		bad=1
		printf '  FAIL  fuzz_%s  (fails only when inputs run together)\n' "$name"
		tail -n 30 "$log" | sed 's/^/        /'
	fi
	fail=$((fail + bad))
done
echo "fuzz corpus replay: $pass passed, $fail failed (inputs)"
echo "$pass $fail" >"$logs/fuzz.counts"
[ "$fail" -eq 0 ]
