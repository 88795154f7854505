#!/usr/bin/env bash
# The compiled requirement table is what tools/gen-requirements.sh makes of
# conformance/requirements.tsv, and `vdpasim list` shows the catalogue, the
# checks and the coverage summary.
source "$(dirname "$0")/common.bash" "$1"

"$root/tools/gen-requirements.sh" "$root/conformance/requirements.tsv" - >"$tmp/table.c" ||
	die "gen-requirements.sh failed"
diff -u "$root/conformance/requirements_table.c" "$tmp/table.c" >"$tmp/diff" ||
	die "requirements_table.c is stale; run tools/gen-requirements.sh: $(head -20 "$tmp/diff")"

rows=$(($(wc -l <"$root/conformance/requirements.tsv") - 1))
expect 0 list requirements
[ "$(wc -l <"$tmp/stdout")" -eq "$rows" ] || die "list requirements: $(wc -l <"$tmp/stdout") lines"
grep -Eq '^PCI-DEV-02 +MUST +device +pci_identity$' "$tmp/stdout" || die "PCI-DEV-02 line"
grep -Eq '^SPLIT-DEV-03 +MUST NOT +device +ring_datapath$' "$tmp/stdout" || die "SPLIT-DEV-03 line"
grep -Eq '^NOTIF-DEV-X01 +MUST +device +\(no check\)$' "$tmp/stdout" || die "uncovered line"
expect 0 list checks
grep -Eq '^pci_identity +PCI IDs .*PCI-DEV-02' "$tmp/stdout" || die "list checks: $(cat "$tmp/stdout")"
grep -q selftest "$tmp/stdout" && die "self-test checks are listed"
expect 0 list requirements --summary
grep -Eq '^PCI +[0-9]+ +[0-9]+ +[0-9.]+%$' "$tmp/stdout" || die "summary PCI line"
grep -Eq '^core areas .*: [0-9]+ of [0-9]+ rows covered, [0-9.]+% \(target 80%\)$' "$tmp/stdout" ||
	die "summary core line: $(tail -1 "$tmp/stdout")"
# the acceptance figure: at least 80 % of the core areas' testable device-side MUST rows
share=$(tail -1 "$tmp/stdout" | sed -E 's/.* ([0-9.]+)% .*/\1/')
awk -v s="$share" 'BEGIN { exit !(s >= 80) }' || die "core coverage $share% is below 80%"
expect 2 list checks --summary
echo "ok"
