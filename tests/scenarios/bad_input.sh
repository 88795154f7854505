#!/usr/bin/env bash
# Each bad input: exit 2, a clear first line naming the problem, no output
# directory left behind.  Input errors are exactly one line; script errors
# (ONE_LINE "many") add a Lua traceback after the first line.
source "$(dirname "$0")/common.bash" "$1"

# bad CMD_PATTERN ONE_LINE ARGS...: expect exit 2, first stderr line matching
# the pattern (extended regex), one line only when ONE_LINE is "one".
bad() {
	local pattern=$1 lines=$2 out
	shift 2
	out="$tmp/out-$RANDOM"
	expect 2 "$@" --out "$out"
	first_err | grep -Eq -- "$pattern" || die "vdpasim $*: first line '$(first_err)' does not match '$pattern'"
	if [ "$lines" = one ] && [ "$(wc -l <"$tmp/stderr")" -ne 1 ]; then
		cat "$tmp/stderr" >&2
		die "vdpasim $*: expected exactly one line on stderr"
	fi
	[ ! -e "$out/result.json" ] || die "vdpasim $*: result.json written"
	[ ! -e "$out" ] || die "vdpasim $*: output directory left behind"
}

bad "^vdpasim: cannot open scenario '.*/nope.lua': No such file" one run "$lua/nope.lua"
bad "^vdpasim: .*/syntax_error.lua:3: " one run "$lua/syntax_error.lua"
bad "^vdpasim: .*/runtime_error.lua:5: attempt to index a nil value" many run "$lua/runtime_error.lua"
grep -q '^stack traceback:' "$tmp/stderr" || die "no traceback after a runtime error"
grep -q 'runtime_error.lua:7:' "$tmp/stderr" || die "traceback does not show the caller"
bad "^vdpasim: .*/at_error.lua:4: callback failed" many run "$lua/at_error.lua"
bad "^vdpasim: .*/endless.lua:[0-9]+: instruction limit exceeded" many \
	run "$lua/endless.lua" --max-instructions 5000000
bad "^vdpasim: .*/memory.lua:[0-9]+: not enough memory" many \
	run "$lua/memory.lua" --max-memory-mib 16
bad "^vdpasim: --set rate=fast: rate must be a number$" one \
	run "$lua/params.lua" --set rate=fast
bad "^vdpasim: --set flag=maybe: flag must be true, false, 1 or 0$" one \
	run "$lua/params.lua" --set flag=maybe
bad "^vdpasim: --set rate: expected KEY=VALUE" one run "$lua/params.lua" --set rate
bad "^vdpasim: --set =5: empty key" one run "$lua/params.lua" --set =5
bad "^vdpasim: unknown option '--frobnicate'" one run "$lua/pass.lua" --frobnicate
bad "^vdpasim: --seed x1: not a non-negative integer" one run "$lua/pass.lua" --seed x1
bad "^vdpasim: --run 99999999999999999999: number too large" one \
	run "$lua/pass.lua" --run 99999999999999999999

# unwritable --out: a path below a regular file (root ignores permission bits)
touch "$tmp/plain"
expect 2 run "$lua/pass.lua" --out "$tmp/plain/sub"
first_err | grep -q "^vdpasim: cannot create output directory '$tmp/plain/sub': Not a directory" ||
	die "unwritable --out: $(first_err)"
[ "$(wc -l <"$tmp/stderr")" -eq 1 ] || die "unwritable --out: more than one line"
if [ "$(id -u)" != 0 ]; then
	mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
	expect 2 run "$lua/pass.lua" --out "$tmp/ro"
	first_err | grep -q "is not writable" || die "read-only --out: $(first_err)"
fi

# missing option argument (nothing after it, so no --out appended)
expect 2 run "$lua/pass.lua" --seed
[ "$(first_err)" = "vdpasim: option --seed needs a value (see vdpasim --help)" ] ||
	die "missing argument: $(first_err)"
expect 2 run
first_err | grep -q "missing SCENARIO.lua" || die "run without a scenario: $(first_err)"
expect 2 frobnicate
first_err | grep -q "unknown command 'frobnicate'" || die "unknown command: $(first_err)"
expect 2 run "$lua/pass.lua" "$lua/fail.lua"
first_err | grep -q "unexpected argument" || die "two scenarios: $(first_err)"
echo "ok"
