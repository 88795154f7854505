# Sourced by the scenario tests (not run on its own: it is not a *.sh file).
# Usage in a test:  source "$(dirname "$0")/common.bash" "$1"
set -u
[ $# -ge 1 ] || { echo "usage: $0 VDPASIM_BINARY" >&2; exit 2; }
bin=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
lua=$here/lua
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

die() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect STATUS ARGS...: run vdpasim, keep stdout/stderr in $tmp/stdout, $tmp/stderr.
expect() {
	local want=$1 rc
	shift
	"$bin" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "--- stderr:" >&2
		head -n 20 "$tmp/stderr" >&2
		die "vdpasim $* exited $rc, expected $want"
	fi
}

# The first line of the last run's stderr.
first_err() {
	head -n 1 "$tmp/stderr"
}
