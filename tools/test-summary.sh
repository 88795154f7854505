#!/usr/bin/env bash
# One closing line over every suite `make test` ran: "total: N passed, N failed".
p=0 f=0
for c in build/test-logs/*.counts; do
	[ -e "$c" ] || continue
	read -r a b < "$c"
	p=$((p + a)); f=$((f + b))
done
echo "total: $p passed, $f failed"
