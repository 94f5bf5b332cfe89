#!/bin/bash
# `make soak`: SOAK_SECONDS (default 600) of system-wide latprof offcpu,
# io --syscalls and tcp, side by side, while processes churn:
# short-lived fork+exec (sh -c true, the churn workload), threads that start
# and end, loopback TCP connections. For each latprof it reports, after a
# warm-up and at the end: RSS, open fds, the fill of its aggregation map, and
# what it reported lost. It passes when RSS is flat (within 10% of the
# warm-up's, plus at most SOAK_PER_KEY_KB (4) for each key its aggregation
# map gained since: what a process with stacks there keeps to name them),
# its anonymous part (the heap) reported beside it, no
# fd leaks, every latprof exits 0 with its output, and every loss is
# reported (the JSON's counts and the lost-events line agree).
set -u
cd "$(dirname "$0")/.."
SECS=${SOAK_SECONDS:-600}
WARM=${SOAK_WARMUP:-120}
WL=.output/workloads
PER_KEY_KB=${SOAK_PER_KEY_KB:-4}
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

# rss KB, fds, aggregation map entries, anonymous rss KB of pid $1. The
# rest of RSS is file pages: latprof's code, the traced programs' ELF files
# it reads (page cache), and its ring buffers (kernel memory allocated when
# the map is made, resident here once the ring has wrapped).
measure() {
	local p=$1 rss fds agg=0 id anon
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null)
	anon=$(awk '/^RssAnon/ { print $2 }' "/proc/$p/status" 2>/dev/null)
	fds=$(ls "/proc/$p/fd" 2>/dev/null | wc -l)
	# The maps it holds, by the map_id of each fd (bpftool 7.1 cannot say
	# which process holds a map).
	for id in $(awk '/^map_id:/ { print $2 }' /proc/"$p"/fdinfo/* 2>/dev/null | sort -u); do
		[ "$(bpftool -j map show id "$id" 2>/dev/null | jq -r .name)" = lt_agg ] || continue
		agg=$((agg + $(bpftool -j map dump id "$id" 2>/dev/null | grep -o '"key":' | wc -l)))
	done
	echo "${rss:-0} $fds $agg ${anon:-0}"
}

# At fixed times from the start, whatever the measuring itself takes (a
# full map takes seconds to dump); the end's 20 s before the tools stop.
t0=$(date +%s)
sleep "$WARM"
declare -A W
for n in "${!LP[@]}"; do W[$n]=$(measure "${LP[$n]}"); done
left=$((t0 + SECS - 20 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
declare -A E
for n in "${!LP[@]}"; do E[$n]=$(measure "${LP[$n]}"); done
rc=0
printf '%-8s %12s %12s %13s %8s %12s  %s\n' tool "RSS warm KB" "RSS end KB" "anon w/e KB" "fds w/e" "agg w/e" "lost (reported)"
for n in offcpu io tcp; do
	wait "${LP[$n]}"
	st=$?
	read -r rw fw aw nw <<<"${W[$n]}"
	read -r re fe ae ne <<<"${E[$n]}"
	lost=$(jq -r '[.lost | to_entries[] | select(.value > 0) | "\(.key)=\(.value)"] | join(" ")' \
		"$TMP/$n.json" 2>/dev/null)
	said=$(grep -c 'latprof: warning: ' "$TMP/$n.err")
	printf '%-8s %12s %12s %13s %8s %12s  %s\n' "$n" "$rw" "$re" "$nw/$ne" "$fw/$fe" "$aw/$ae" \
		"${lost:-none} ($said warning lines)"
	[ "$st" -eq 0 ] || { echo "soak: $n exited $st"; rc=1; }
	# A measure that failed (the tool gone early) must not pass as flat.
	[ "${rw:-0}" -gt 0 ] && [ "${re:-0}" -gt 0 ] || { echo "soak: $n could not be measured"; rc=1; }
	[ -s "$TMP/$n.json" ] || { echo "soak: $n wrote no output"; rc=1; }
	# Flat: within 10% of the warm-up's. A process with stacks in the
	# aggregation map keeps its mappings (and its walked stacks) until the
	# output names them, so while the map still fills RSS may also grow by
	# PER_KEY_KB for each key added; once it is full, nothing may grow.
	# RSS holds file pages too, which grow when a program not seen before
	# runs on the host (system-wide, latprof reads its ELF files): the soak
	# runs alone. The anonymous part (the heap) is reported beside it.
	awk -v w="$rw" -v e="$re" -v k=$((ae > aw ? ae - aw : 0)) -v pk="$PER_KEY_KB" \
		'BEGIN { exit !(e <= w * 1.10 + k * pk) }' ||
		{ echo "soak: $n RSS grew: $rw -> $re KB, $((ae - aw)) keys added"; rc=1; }
	[ "$ae" -gt "$aw" ] && echo "soak: $n: $((ae - aw)) keys added after the warm-up," \
		"$(awk -v w="$rw" -v e="$re" -v k=$((ae - aw)) 'BEGIN { printf "%.2f", (e - w) / k }') KB of RSS a key"
	[ "$fe" -le "$fw" ] || { echo "soak: $n fds grew: $fw -> $fe"; rc=1; }
	if [ -n "$lost" ] && [ "$said" -eq 0 ]; then
		echo "soak: $n lost events ($lost) without a warning"
		rc=1
	fi
done
echo "soak: ${SECS} s, warm-up ${WARM} s: $([ $rc -eq 0 ] && echo passed || echo FAILED)"
exit $rc
