#!/bin/bash
# `make soak`: SOAK_SECONDS (default 600) of system-wide latprof offcpu,
# io --syscalls and tcp, side by side, while processes churn:
# short-lived fork+exec (sh -c true, the churn workload), threads that start
# and end, loopback TCP connections. For each latprof it reports, after a
# warm-up and at the end: RSS, open fds, the fill of its aggregation map, and
# what it reported lost. It passes when RSS is flat (within 10% of the
# warm-up's), no fd leaks, every latprof exits 0 with its output, and every
# loss is reported (the JSON's counts and the lost-events line agree).
set -u
cd "$(dirname "$0")/.."
SECS=${SOAK_SECONDS:-600}
WARM=${SOAK_WARMUP:-120}
WL=.output/workloads
TMP=$(mktemp -d /tmp/latprof-soak.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "soak: needs root" >&2; exit 1; }

# The load: churn of exec'd processes, of threads, of TCP connections.
(while :; do sh -c true; "$WL/churn" 50 </dev/null >/dev/null 2>&1 & cp=$!; sleep 0.05;
	kill -USR1 $cp 2>/dev/null; wait $cp; done) &
pids="$pids $!"
(while :; do "$WL/churn" threads 200 >/dev/null 2>&1; done) &
pids="$pids $!"
port=47800
(while :; do port=$((port + 1)); [ $port -gt 47900 ] && port=47801
	"$WL/tcpwl" nowait life 1000 100 $port >/dev/null 2>&1 || sleep 1; sleep 0.02; done) &
pids="$pids $!"

declare -A LP
for t in "offcpu" "io --syscalls" "tcp"; do
	name=${t%% *}
	./latprof $t -d "$SECS" -q -f json -o "$TMP/$name.json" 2>"$TMP/$name.err" &
	LP[$name]=$!
done

# rss KB, fds, aggregation map entries of pid $1
measure() {
	local p=$1 rss fds agg=0 id
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null)
	fds=$(ls "/proc/$p/fd" 2>/dev/null | wc -l)
	for id in $(bpftool -j map show 2>/dev/null |
		jq -r --argjson p "$p" '.[] | select(.name == "lt_agg" and any(.pids[]?; .pid == $p)) | .id'); do
		agg=$((agg + $(bpftool -j map dump id "$id" 2>/dev/null | jq 'length')))
	done
	echo "${rss:-0} $fds $agg"
}

sleep "$WARM"
declare -A W
for n in "${!LP[@]}"; do W[$n]=$(measure "${LP[$n]}"); done
sleep $((SECS - WARM - 5))
declare -A E
for n in "${!LP[@]}"; do E[$n]=$(measure "${LP[$n]}"); done
rc=0
printf '%-8s %12s %12s %8s %8s %10s  %s\n' tool "RSS warm KB" "RSS end KB" "fds w/e" "" "agg w/e" "lost (reported)"
for n in offcpu io tcp; do
	wait "${LP[$n]}"
	st=$?
	read -r rw fw aw <<<"${W[$n]}"
	read -r re fe ae <<<"${E[$n]}"
	lost=$(jq -r '[.lost | to_entries[] | select(.value > 0) | "\(.key)=\(.value)"] | join(" ")' \
		"$TMP/$n.json" 2>/dev/null)
	said=$(grep -c 'latprof: warning: ' "$TMP/$n.err")
	printf '%-8s %12s %12s %8s %8s %10s  %s\n' "$n" "$rw" "$re" "$fw/$fe" "" "$aw/$ae" \
		"${lost:-none} ($said warning lines)"
	[ "$st" -eq 0 ] || { echo "soak: $n exited $st"; rc=1; }
	[ -s "$TMP/$n.json" ] || { echo "soak: $n wrote no output"; rc=1; }
	awk -v w="$rw" -v e="$re" 'BEGIN { exit !(e <= w * 1.10) }' ||
		{ echo "soak: $n RSS grew: $rw -> $re KB"; rc=1; }
	[ "$fe" -le "$fw" ] || { echo "soak: $n fds grew: $fw -> $fe"; rc=1; }
	if [ -n "$lost" ] && [ "$said" -eq 0 ]; then
		echo "soak: $n lost events ($lost) without a warning"
		rc=1
	fi
done
echo "soak: ${SECS} s, warm-up ${WARM} s: $([ $rc -eq 0 ] && echo passed || echo FAILED)"
exit $rc
