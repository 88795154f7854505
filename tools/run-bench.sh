#!/usr/bin/env bash
# Run every benchmark program; each prints human lines plus "RESULT key value"
# lines, which are gathered into bench/results.json (keys sorted).
set -u
mkdir -p reports/bench
tmp=$(mktemp)
rc=0
for b in "$@"; do
	echo "== $(basename "$b")"
	"$b" | tee -a "$tmp" | grep -v '^RESULT ' || rc=1
done
grep '^RESULT ' "$tmp" | sort -k2,2 | awk 'BEGIN { print "{"; n = 0 }
	{ if (n++) printf ",\n"; v = $3; if (v !~ /^-?[0-9.eE+-]+$/) v = "\"" v "\""; printf "  \"%s\": %s", $2, v }
	END { print "\n}" }' > bench/results.json
rm -f "$tmp"
echo "bench: results in bench/results.json"
exit $rc
