#!/bin/bash
# `make soak`: SOAK_SECONDS (default 600) of system-wide latprof offcpu,
# io --syscalls and tcp, side by side, while processes churn:
# - `churn run` (as churnrun): two loops fork and exec a child that naps 2 ms once in
#   churn_nap() and exits (about 500-700 processes a second here), each
#   child timing its own nap: the ground truth;
# - threads that start and end; loopback TCP connections.
# For each latprof it reports, after a warm-up and at the end: RSS (and its
# peak, VmHWM), the heap (RssAnon), open fds, how often it drained the
# kernel's maps and how full they got, and what it reported lost.
# It passes when:
# - every latprof exits 0 with its output, with no fd leak;
# - RSS is flat (within 10% + 4 MiB of the warm-up's) and its peak stays
#   under SOAK_RSS_MB (64);
# - offcpu lost no event (JSON's event losses 0), counted every child's nap (by
#   number, and their time within 5% of their own clocks), and named at
#   least 95% of it down to main.
set -u
cd "$(dirname "$0")/.."
SECS=${SOAK_SECONDS:-600}
WARM=${SOAK_WARMUP:-120}
RSS_MB=${SOAK_RSS_MB:-64}
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
[ "$SECS" -gt $((WARM + 40)) ] || { echo "soak: SOAK_SECONDS must exceed the warm-up + 40" >&2; exit 1; }

declare -A LP
for t in "offcpu" "io --syscalls" "tcp"; do
	name=${t%% *}
	./latprof $t -d "$SECS" -v -f json -o "$TMP/$name.json" 2>"$TMP/$name.err" &
	LP[$name]=$!
done
for n in offcpu io tcp; do
	for _ in $(seq 600); do grep -q attached "$TMP/$n.err" 2>/dev/null && break; sleep 0.1; done
done

# The load, once every latprof is attached; it ends 10 s before they do.
# The timed children under a name of their own ("churn threads" naps in
# churn_nap too): they exec the driver's file, so their comm is its name.
cp "$WL/churn" "$TMP/churnrun"
"$TMP/churnrun" run $((SECS - 15)) 2 >"$TMP/truth" &
churn=$!
pids="$pids $churn"
(while :; do "$WL/churn" threads 200 >/dev/null 2>&1; done) &
pids="$pids $!"
port=47800
(while :; do port=$((port + 1)); [ $port -gt 47900 ] && port=47801
	"$WL/tcpwl" nowait life 1000 100 $port >/dev/null 2>&1 || sleep 1; sleep 0.02; done) &
pids="$pids $!"

# rss KB, peak rss KB, anonymous rss KB, fds of pid $1.
measure() {
	local p=$1
	echo "$(awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } /^RssAnon/ { a = $2 }
		END { print r + 0, h + 0, a + 0 }' "/proc/$p/status" 2>/dev/null) $(ls "/proc/$p/fd" 2>/dev/null | wc -l)"
}

# The largest resident mappings of pid $1 (KB), to tell heap from file pages.
top_maps() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { n = $6 == "" ? "[anon]" : $6 } /^Rss:/ { r[n] += $2 }
		END { for (n in r) if (r[n] >= 1024) print r[n], n }' "/proc/$1/smaps" 2>/dev/null |
		sort -rn | head -4 | awk '{ printf "%s%s %d", (NR > 1 ? ", " : ""), $2, $1 }'
}

# At fixed times from the start, whatever the measuring takes; the end's
# 20 s before the tools stop.
t0=$(date +%s)
sleep "$WARM"
declare -A W E
for n in "${!LP[@]}"; do W[$n]=$(measure "${LP[$n]}"); done
left=$((t0 + SECS - 20 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
declare -A M
for n in "${!LP[@]}"; do E[$n]=$(measure "${LP[$n]}"); M[$n]=$(top_maps "${LP[$n]}"); done
wait "$churn"
rc=0
printf '%-7s %9s %9s %9s %11s %7s  %s\n' tool "RSS warm" "RSS end" "peak" "heap w/e" "fds w/e" \
	"drains; lost (JSON)"
for n in offcpu io tcp; do
	wait "${LP[$n]}"
	st=$?
	read -r rw hw aw fw <<<"${W[$n]}"
	read -r re he ae fe <<<"${E[$n]}"
	lost=$(jq -r '[.lost | to_entries[] | select(.value > 0) | "\(.key)=\(.value)"] | join(" ")' \
		"$TMP/$n.json" 2>/dev/null)
	drains=$(grep -o 'drained the kernel.s maps .*' "$TMP/$n.err" | cut -d';' -f1-2)
	printf '%-7s %6s KB %6s KB %6s KB %11s %7s  %s; %s\n' "$n" "$rw" "$re" "$he" "$aw/$ae" "$fw/$fe" \
		"${drains#drained the kernel\'s maps }" "${lost:-none}"
	echo "        largest resident at the end (KB): ${M[$n]}"
	[ "$st" -eq 0 ] || { echo "soak: $n exited $st"; rc=1; }
	# A measure that failed (the tool gone early) must not pass as flat.
	[ "${rw:-0}" -gt 0 ] && [ "${re:-0}" -gt 0 ] || { echo "soak: $n could not be measured"; rc=1; }
	[ -s "$TMP/$n.json" ] || { echo "soak: $n wrote no output"; rc=1; }
	awk -v w="$rw" -v e="$re" 'BEGIN { exit !(e <= w * 1.10 + 4096) }' ||
		{ echo "soak: $n RSS grew: $rw -> $re KB"; rc=1; }
	[ "$he" -le $((RSS_MB * 1024)) ] || { echo "soak: $n RSS peaked at $he KB, over $RSS_MB MiB"; rc=1; }
	[ "$fe" -le "$fw" ] || { echo "soak: $n fds grew: $fw -> $fe"; rc=1; }
	if [ -n "$lost" ] && ! grep -q 'latprof: warning: ' "$TMP/$n.err"; then
		echo "soak: $n lost events ($lost) without a warning"
		rc=1
	fi
done

# offcpu against the children's own clocks.
read -r _ kids _ us _ pre _ rate <"$TMP/truth"
CJ=$TMP/offcpu.json
# The children's naps by their kernel stack (they make no other nanosleep),
# whatever their user stack.
n=$(jq '[.stacks[] | select(.comm == "churnrun") | select(any(.frames[]; .[0] == "do_nanosleep")) | .count] | add // 0' "$CJ")
x=$(jq '[.stacks[] | select(.comm == "churnrun") | select(any(.frames[]; .[0] == "do_nanosleep")) | .total] | add // 0' "$CJ")
all=$(jq '[.stacks[] | select(.comm == "churnrun") | .total] | add // 0' "$CJ")
named=$(jq '[.stacks[] | select(.comm == "churnrun") |
	select([.frames[] | select(.[1] == "user") | .[0]] | join(";") |
		test("^_start;__libc_start_main;__libc_start_call_main;main;churn_nap;")) | .total] | add // 0' "$CJ")
echo "churn: $kids children ($rate) napped $us us by their clocks ($pre us run-queue/CPU);" \
	"offcpu: $n naps, $x us; $named of the children's $all us blocked named down to main"
[ "$n" -eq "$kids" ] || { echo "soak: offcpu counted $n naps of $kids"; rc=1; }
awk -v g="$x" -v t="$us" -v p="$pre" 'BEGIN { exit !(t > 0 && g <= t * 1.05 && g >= (t - p) * 0.95) }' ||
	{ echo "soak: offcpu's nap time $x us is not the children's $us us +-5%"; rc=1; }
awk -v f="$named" -v a="$all" 'BEGIN { exit !(a > 0 && f >= 0.95 * a) }' ||
	{ echo "soak: under 95% named down to main"; rc=1; }
# Events lost (not stacks: a stack lost is reported, its event still counted).
ev=$(jq '.lost | .aggregation_full + .start_full + .end_lost + .event_stream_lost' "$CJ")
[ "$ev" = 0 ] || { echo "soak: offcpu lost $ev events"; rc=1; }
echo "soak: ${SECS} s, warm-up ${WARM} s: $([ $rc -eq 0 ] && echo passed || echo FAILED)"
exit $rc
