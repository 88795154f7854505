#!/usr/bin/env bash
# make coverage: run the test suites on the --coverage build (build/cov/), write
# an lcov/genhtml report with line and branch coverage to reports/coverage/,
# print one line per top-level folder and check the gates.
#
#   tools/coverage.sh TEST_PROGRAM...     (the Makefile passes build/cov/tests/*;
#                                          FUZZ_REPLAY="build/cov/fuzz/replay_*" too)
#
# Suites: unit tests, fuzz corpus replay, scenario tests (tools/run-scenario-tests.sh
# with build/cov/vdpasim) and the conformance suite once `vdpasim conformance` exists.
# Report: tests/ and /usr are left out.  Gates (COVERAGE_GATES=0: report only):
#   - sim/ and stack/, each aggregated: lines >= 85 %, branches >= 70 %
#   - every file in the report: lines >= 60 %
# Thresholds: COVERAGE_MIN_LINES, COVERAGE_MIN_BRANCHES, COVERAGE_MIN_FILE_LINES;
# gated folders: COVERAGE_GATED="sim stack".
# Exit: 1 when a gate fails (gates on) or a test suite failed, else 0.
set -u
root=$(pwd)
cov=build/cov
out=reports/coverage
gates=${COVERAGE_GATES:-1}
min_lines=${COVERAGE_MIN_LINES:-85}
min_branches=${COVERAGE_MIN_BRANCHES:-70}
min_file_lines=${COVERAGE_MIN_FILE_LINES:-60}
gated=${COVERAGE_GATED:-sim stack}
folders="sim stack script cli conformance"

# lcov 1.x spells the branch switch lcov_branch_coverage, 2.x branch_coverage; every
# step (capture, merge, remove, genhtml) needs it or the branch data is dropped.
lcov_ver=$(lcov --version 2>/dev/null | grep -Eo '[0-9]+(\.[0-9]+)+' | head -n 1)
[ -n "$lcov_ver" ] || { echo "coverage: lcov not found (tools/deps.sh installs it)" >&2; exit 2; }
if [ "${lcov_ver%%.*}" -ge 2 ]; then
	rc_branch=(--rc branch_coverage=1)
	lcov_extra=(--ignore-errors unused,empty)
else
	rc_branch=(--rc lcov_branch_coverage=1)
	lcov_extra=()
fi
echo "coverage: lcov $lcov_ver, branch coverage with ${rc_branch[*]}"
# Known noise: lcov 1.16's geninfo redefining its own subroutines under newer Perl, and
# objects without functions (script/modules.c is only a table).  Everything else shows.
noise='^Subroutine [a-z_]+ redefined at|\.gcno:no functions found|GCOV did not produce any data for .*\.gcno'
quiet() {
	local rc
	{ "$@" 2>&1 1>&3 | grep -Ev "$noise" >&2; rc=${PIPESTATUS[0]}; } 3>&1
	return "$rc"
}
lcov_q() {
	quiet lcov --quiet "${rc_branch[@]}" "${lcov_extra[@]}" "$@"
}

# ---- run the suites on a clean slate -------------------------------------------------------
find "$cov" -name '*.gcda' -delete
# the zero baseline lists every instrumented file, even one no test ever runs
lcov_q --capture --initial --directory "$cov" --base-directory "$root" \
	--output-file "$cov/base.info" || exit 2

suites_ok=1
rm -f build/test-logs/*.counts # the closing line counts only what runs here
tools/run-unit-tests.sh "$@" || suites_ok=0
if [ -n "${FUZZ_REPLAY:-}" ]; then
	# shellcheck disable=SC2086
	tools/run-fuzz-replay.sh $FUZZ_REPLAY || suites_ok=0
fi
tools/run-scenario-tests.sh "$cov/vdpasim" || suites_ok=0

# ---- CONFORMANCE SUITE HOOK -------------------------------------------------------------------
# Runs once the CLI has the `conformance` command (detected, not assumed).  Set
# CONFORMANCE_ARGS to what `make test` runs against the built-in devices.
if "$cov/vdpasim" conformance --help >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	"$cov/vdpasim" conformance ${CONFORMANCE_ARGS:---device ifcvf --ring all --out "$cov/conformance"} || suites_ok=0
else
	echo "coverage: 'vdpasim conformance' is not available yet: conformance suite skipped"
fi
# ------------------------------------------------------------------------------------------------

tools/test-summary.sh

# ---- report ------------------------------------------------------------------------------------
lcov_q --capture --directory "$cov" --base-directory "$root" --output-file "$cov/tests.info" || exit 2
lcov_q --add-tracefile "$cov/base.info" --add-tracefile "$cov/tests.info" \
	--output-file "$cov/total.info" || exit 2
lcov_q --remove "$cov/total.info" '/usr/*' "$root/tests/*" --output-file "$cov/coverage.info" || exit 2
rm -rf "$out"
quiet genhtml --quiet "${rc_branch[@]}" --branch-coverage --legend --title "vdpasim $(git describe --always --dirty 2>/dev/null)" \
	--prefix "$root" --output-directory "$out" "$cov/coverage.info" || exit 2

# Per file "path LF LH BRF BRH", paths relative to the tree.
awk -v root="$root/" '
	/^SF:/ { f = substr($0, 4); if (index(f, root) == 1) f = substr(f, length(root) + 1); lf = lh = bf = bh = 0 }
	/^LF:/ { lf = substr($0, 4) } /^LH:/ { lh = substr($0, 4) }
	/^BRF:/ { bf = substr($0, 5) } /^BRH:/ { bh = substr($0, 5) }
	/^end_of_record/ { print f, lf, lh, bf, bh }' "$cov/coverage.info" | LC_ALL=C sort >"$cov/files.txt"

pct() { # hit found -> "87.3%" or "-"
	awk -v h="$1" -v f="$2" 'BEGIN { if (f > 0) printf "%.1f%%", 100 * h / f; else printf "-" }'
}

summary=$out/summary.txt
seen=""
{
	printf '%-14s %8s %15s %9s %15s\n' folder lines "" branches ""
	for d in $folders $(awk '{ split($1, p, "/"); print p[1] }' "$cov/files.txt" | sort -u); do
		case " $seen " in *" $d "*) continue ;; esac
		seen="$seen $d"
		read -r n lf lh bf bh < <(awk -v d="$d/" 'index($1, d) == 1 { n++; lf += $2; lh += $3; bf += $4; bh += $5 }
			END { print n + 0, lf + 0, lh + 0, bf + 0, bh + 0 }' "$cov/files.txt")
		if [ "$n" -eq 0 ]; then
			printf '%-14s %8s\n' "$d/" "(no files yet)"
			continue
		fi
		printf '%-14s %8s %15s %9s %15s\n' "$d/" "$(pct "$lh" "$lf")" "($lh/$lf)" "$(pct "$bh" "$bf")" "($bh/$bf)"
	done
	read -r lf lh bf bh < <(awk '{ lf += $2; lh += $3; bf += $4; bh += $5 } END { print lf + 0, lh + 0, bf + 0, bh + 0 }' "$cov/files.txt")
	printf '%-14s %8s %15s %9s %15s\n' total "$(pct "$lh" "$lf")" "($lh/$lf)" "$(pct "$bh" "$bf")" "($bh/$bf)"
} >"$summary"
echo "coverage: report in $out/index.html"
cat "$summary"

# ---- gates --------------------------------------------------------------------------------------
violations=()
for d in $gated; do
	read -r n lf lh bf bh < <(awk -v d="$d/" 'index($1, d) == 1 { n++; lf += $2; lh += $3; bf += $4; bh += $5 }
		END { print n + 0, lf + 0, lh + 0, bf + 0, bh + 0 }' "$cov/files.txt")
	if [ "$n" -eq 0 ]; then
		echo "coverage: note: $d/ has no files yet: its gate is not checked"
		continue
	fi
	# integer comparisons: hit * 100 < min * found
	[ $((lh * 100)) -lt $((min_lines * lf)) ] &&
		violations+=("$d/: lines $(pct "$lh" "$lf") < $min_lines% ($lh of $lf)")
	[ "$bf" -gt 0 ] && [ $((bh * 100)) -lt $((min_branches * bf)) ] &&
		violations+=("$d/: branches $(pct "$bh" "$bf") < $min_branches% ($bh of $bf)")
done
while read -r f lf lh _; do
	[ "$lf" -gt 0 ] && [ $((lh * 100)) -lt $((min_file_lines * lf)) ] &&
		violations+=("$f: lines $(pct "$lh" "$lf") < $min_file_lines% ($lh of $lf)")
done <"$cov/files.txt"

status=0
if [ ${#violations[@]} -gt 0 ]; then
	if [ "$gates" = 0 ]; then
		echo "coverage: gates off (COVERAGE_GATES=0); these would fail:"
	else
		echo "coverage: FAILED ${#violations[@]} gate(s):"
		status=1
	fi
	printf '  %s\n' "${violations[@]}"
else
	echo "coverage: gates passed (sim/ stack/: lines >= $min_lines%, branches >= $min_branches%; every file: lines >= $min_file_lines%)"
fi
if [ "$suites_ok" != 1 ]; then
	echo "coverage: some tests failed (see above): the numbers are for what ran"
	status=1
fi
exit $status
