#!/usr/bin/env bash
# Runs every ```lua block of docs/lua-api.md as a scenario: none may end in a
# usage/script error (2) or an internal error (3); a failed check (1) is allowed.
# Also checks that every sim.* function has at least one example.
source "$(dirname "$0")/common.bash" "$1"

doc=$root/docs/lua-api.md
[ -f "$doc" ] || die "no $doc"
mkdir -p "$tmp/ex/lib"
# the require() example expects this scenario library
printf 'return { double = function(x) return 2 * x end }\n' >"$tmp/ex/lib/helper.lua"

awk -v dir="$tmp/ex" '
	/^```lua[ \t]*$/ { n++; file = sprintf("%s/example%02d.lua", dir, n); inblock = 1; next }
	/^```[ \t]*$/ && inblock { inblock = 0; close(file); next }
	inblock { print > file }
' "$doc"

count=$(ls "$tmp/ex"/example*.lua 2>/dev/null | wc -l)
[ "$count" -gt 0 ] || die "no lua examples found in $doc"

bad=0
for ex in "$tmp/ex"/example*.lua; do
	"$bin" run "$ex" --quiet --out "$tmp/out/$(basename "$ex" .lua)" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ge 2 ]; then
		echo "example $(basename "$ex") exited $rc:" >&2
		sed 's/^/    /' "$ex" >&2
		sed 's/^/    > /' "$tmp/err" >&2
		bad=1
	fi
done
[ "$bad" -eq 0 ] || die "some documentation examples fail"

for fn in wait wait_until at now now_ps ps check metric log artifact param seed run_number; do
	grep -q "sim\.$fn(" "$tmp/ex"/example*.lua || die "no example uses sim.$fn"
done
echo "ok: $count examples"
