#!/usr/bin/env bash
# libFuzzer driver for the harnesses tests/fuzz/fuzz_<name>.c (programs built by
# `make fuzz` as build/fuzz/bin/fuzz_<name>; see tests/fuzz/README.md).
#
#   tools/fuzz.sh run SECONDS [NAME...]   fuzz each harness (or the named ones) SECONDS
#   tools/fuzz.sh merge [NAME...]         add to tests/fuzz/corpus/<name>/ the inputs of
#                                         build/fuzz/corpus/<name>/ that add coverage
#   tools/fuzz.sh minimize [NAME...]      rewrite tests/fuzz/corpus/<name>/ as a minimal
#                                         set covering it and build/fuzz/corpus/<name>/
#
# run: the seed corpus tests/fuzz/corpus/<name>/ and the regression inputs
# tests/fuzz/regress/<name>/ are read, new inputs go to build/fuzz/corpus/<name>/
# (never into the repository), crash/leak/timeout/oom inputs to
# build/fuzz/findings/<name>/.  Exits 1 listing the findings of this run, if any.
# merge and minimize count edges only (-use_counters=0): one input per newly reached
# edge, not one per hit-count bucket, which keeps the checked-in corpus small.
# Extra libFuzzer flags: FUZZ_FLAGS="-max_len=4096 ...".  Logs: build/fuzz/logs/.
set -u
cmd=${1:-}
shift || true
bindir=build/fuzz/bin

names=()
pick_names() {
	local b n
	if [ $# -gt 0 ]; then
		names=("$@")
	else
		names=()
		for b in "$bindir"/fuzz_*; do
			[ -x "$b" ] || continue
			n=${b##*/fuzz_}
			[ -e "tests/fuzz/fuzz_$n.c" ] && names+=("$n")
		done
	fi
	for n in "${names[@]}"; do
		[ -x "$bindir/fuzz_$n" ] || { echo "fuzz: no harness program $bindir/fuzz_$n (make fuzz builds it)" >&2; exit 2; }
	done
	[ ${#names[@]} -gt 0 ] || { echo "fuzz: no harness programs in $bindir (make fuzz builds them)" >&2; exit 2; }
}

# Flags every libFuzzer run of harness $1 gets.
common_flags() {
	local n=$1
	flags=(-rss_limit_mb=2048 -timeout=10 -close_fd_mask=1)
	[ -e "tests/fuzz/$n.dict" ] && flags+=("-dict=tests/fuzz/$n.dict")
	# shellcheck disable=SC2206
	[ -n "${FUZZ_FLAGS:-}" ] && flags+=($FUZZ_FLAGS)
}

# ASan/UBSan settings: a report is a finding; leaks count.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run() {
	local secs=${1:-60}
	shift || true
	case $secs in '' | *[!0-9]*) echo "fuzz: SECONDS must be a number, not '$secs'" >&2; exit 2 ;; esac
	pick_names "$@"
	mkdir -p build/fuzz/logs
	local n stamp log found=() f rc=0 seeds
	stamp=$(mktemp)
	for n in "${names[@]}"; do
		mkdir -p "build/fuzz/corpus/$n" "build/fuzz/findings/$n"
		seeds=()
		for d in "tests/fuzz/corpus/$n" "tests/fuzz/regress/$n"; do
			[ -d "$d" ] && seeds+=("$d")
		done
		[ -d "tests/fuzz/corpus/$n" ] || echo "fuzz: warning: no seed corpus tests/fuzz/corpus/$n/" >&2
		common_flags "$n"
		log=build/fuzz/logs/$n.log
		echo "== fuzz_$n: $secs s (log $log)"
		"$bindir/fuzz_$n" "${flags[@]}" -max_total_time="$secs" -print_final_stats=1 \
			-artifact_prefix="build/fuzz/findings/$n/" \
			"build/fuzz/corpus/$n" "${seeds[@]}" >"$log" 2>&1
		# one summary line: executions, speed, coverage, corpus
		awk '/^stat::number_of_executed_units/ { runs = $2 }
		     /^stat::average_exec_per_sec/ { eps = $2 }
		     /^stat::new_units_added/ { added = $2 }
		     /(pulse|NEW|REDUCE|DONE|INITED) / { for (i = 1; i <= NF; i++) { if ($i == "cov:") cov = $(i + 1); if ($i == "ft:") ft = $(i + 1); if ($i == "corp:") corp = $(i + 1) } }
		     END { printf "   %s runs, %s/s, cov %s, ft %s, corpus %s, %s new\n", runs, eps, cov, ft, corp, added }' "$log"
		while IFS= read -r f; do
			found+=("$f")
		done < <(find "build/fuzz/findings/$n" -type f -newer "$stamp" | LC_ALL=C sort)
		if grep -qE '^==[0-9]+==ERROR|^SUMMARY: (Address|Undefined|Leak)|fuzz check failed|ALWAYS\(|NEVER\(' "$log"; then
			grep -E '^SUMMARY|fuzz check failed|the impossible happened|ERROR: libFuzzer' "$log" | head -n 5 | sed 's/^/   /'
		fi
	done
	rm -f "$stamp"
	if [ ${#found[@]} -gt 0 ]; then
		echo "fuzz: ${#found[@]} finding(s) in this run:"
		for f in "${found[@]}"; do
			n=${f#build/fuzz/findings/}
			n=${n%%/*}
			echo "  $f"
			echo "      reproduce: $bindir/fuzz_$n $f   (or make build/asan/fuzz/replay_$n && build/asan/fuzz/replay_$n $f)"
		done
		echo "fuzz: once fixed, keep each as a regression input: cp FILE tests/fuzz/regress/<name>/"
		rc=1
	else
		echo "fuzz: no findings"
	fi
	return $rc
}

merge() {
	pick_names "$@"
	local n
	for n in "${names[@]}"; do
		mkdir -p "tests/fuzz/corpus/$n" "build/fuzz/corpus/$n"
		common_flags "$n"
		echo "== fuzz_$n: merging build/fuzz/corpus/$n/ into tests/fuzz/corpus/$n/"
		"$bindir/fuzz_$n" "${flags[@]}" -use_counters=0 -merge=1 "tests/fuzz/corpus/$n" "build/fuzz/corpus/$n" \
			>"build/fuzz/logs/$n.merge.log" 2>&1 || { tail -n 20 "build/fuzz/logs/$n.merge.log"; return 1; }
		grep -E 'MERGE-OUTER: [0-9]+ new files' "build/fuzz/logs/$n.merge.log" | sed 's/^/   /'
	done
}

minimize() {
	pick_names "$@"
	local n tmp
	for n in "${names[@]}"; do
		mkdir -p "tests/fuzz/corpus/$n" "build/fuzz/corpus/$n" build/fuzz/logs
		tmp=build/fuzz/minimized/$n
		rm -rf "$tmp"
		mkdir -p "$tmp"
		common_flags "$n"
		echo "== fuzz_$n: minimising tests/fuzz/corpus/$n/ + build/fuzz/corpus/$n/"
		"$bindir/fuzz_$n" "${flags[@]}" -use_counters=0 -merge=1 "$tmp" "tests/fuzz/corpus/$n" "build/fuzz/corpus/$n" \
			>"build/fuzz/logs/$n.minimize.log" 2>&1 || { tail -n 20 "build/fuzz/logs/$n.minimize.log"; return 1; }
		echo "   $(find "tests/fuzz/corpus/$n" -type f | wc -l) -> $(find "$tmp" -type f | wc -l) files"
		rm -rf "tests/fuzz/corpus/$n"
		mv "$tmp" "tests/fuzz/corpus/$n"
	done
}

case $cmd in
run) run "$@" ;;
merge) merge "$@" ;;
minimize) minimize "$@" ;;
*)
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
	exit 2
	;;
esac
