#!/usr/bin/env bash
# Install the Debian packages vdpasim needs, only those missing, and say so.
# Usage: tools/deps.sh [--check]   (--check: report what is missing, install nothing)
set -u
pkgs=(build-essential pkg-config liblua5.4-dev libpcap-dev libcunit1-dev lcov tshark
      clang gnuplot-nox linux-libc-dev)
missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "${1:-}" = "--check" ]; then
	echo "deps: missing Debian packages: ${missing[*]}"
	exit 1
fi
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: run as root:  apt-get update && $cmd" >&2
	exit 1
fi
echo "deps: installing missing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
echo "deps: apt-get update"
apt-get update -qq || { echo "deps: apt-get update failed" >&2; exit 1; }
echo "deps: $cmd"
apt-get install -y -qq --no-install-recommends "${missing[@]}" || { echo "deps: install failed" >&2; exit 1; }
echo "deps: done"
