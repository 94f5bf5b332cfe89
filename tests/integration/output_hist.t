#!/bin/bash
# -f hist: BCC-style histograms with percentiles, against the distribution
# the workload measured itself (its "call" lines, tests/workloads/wlclock.h).
# Mode "mixed": short_nap() 50 x 1 ms, then long_nap() 5 x 100 ms, so of 55
# blocks p50 and p90 are naps of ~1 ms and p99 and max ~100 ms; on a busy
# machine late wakeups lengthen some, in the workload's clock as in latprof.
. tests/integration/lib.sh
need_bpf
start_wl mixed
trace "$TMP/h" offcpu -p "$WL_PID" -d 2 -f hist -o "$TMP/h.txt"
# ms VALUE UNIT -> milliseconds
ms() { awk -v v="$1" -v u="$2" 'BEGIN { if (u == "s") v *= 1000; if (u == "us") v /= 1000; print v }'; }
pct() { # pct NAME: the value of NAME (p50, p99...) in the process's section, in ms
	awk -v pid="$WL_PID" -v n="$1" '$0 ~ "\\[pid " pid "\\]" { on = 1 }
		on && $1 == "p50" { for (i = 1; i < NF; i++) if ($i == n) { print $(i + 1), $(i + 2); exit } }' "$TMP/h.txt"
}
events=$(grep -o "\[pid $WL_PID\]: [0-9]* events" "$TMP/h.txt" | grep -o '[0-9]* events' | cut -d' ' -f1)
check "the process's 55 blocks counted ($events)" [ "${events:-0}" -ge 55 -a "${events:-0}" -le 57 ]
p50=$(ms $(pct p50)); p90=$(ms $(pct p90)); p99=$(ms $(pct p99)); mx=$(ms $(pct max))
# rank R: the workload's R-th shortest call (nearest rank) in ms, and the
# R-th shortest once what preemptions may hide is taken off each call
wl_clock long_nap >/dev/null # waits for the workload's lines
rank() {
	echo "$(awk '$1 == "call" { print $3 }' "$WL_OUT" | sort -n | sed -n "${1}p" | awk '{ print $1 / 1000 }')" \
		"$(awk '$1 == "call" { print $3 - $4 }' "$WL_OUT" | sort -n | sed -n "${1}p" | awk '{ print $1 / 1000 }')"
}
# Percentiles are estimated within 6.25% of the true value (a log-linear
# bucket's width); 10% leaves room for the microseconds by which the
# workload's clock and the switch-out-to-switch-in time differ.
w=$(rank 28)
check "p50, the 28th of 55 blocks: $p50 ms (the workload's: ${w% *} ms +-10%)" between "$p50" $w 10
w=$(rank 50)
check "p90, the 50th of 55, the slowest nap: $p90 ms (the workload's: ${w% *} ms +-10%)" between "$p90" $w 10
w=$(rank 55)
check "p99, the 55th of 55: $p99 ms (the workload's: ${w% *} ms +-10%)" between "$p99" $w 10
check "max: $mx ms (the workload's: ${w% *} ms +-10%)" between "$mx" $w 10
# The BCC-style rows hold each block once: the naps in the rows from 512 to
# 4095 us are as many as the workload's 1 ms calls that took that long.
rows=$(awk -v pid="$WL_PID" '$0 ~ "\\[pid " pid "\\]" { on = 1 }
	on && ($1 == 512 || $1 == 1024 || $1 == 2048) && $2 == "->" { s += $5 } END { print s + 0 }' "$TMP/h.txt")
# A nap within 5% of either edge may fall on either side, and so may one
# whose time preemptions may have cut (between $3 - $4 and $3).
lo=$(awk '$1 == "call" && $2 == "short_nap" && $3 - $4 >= 538 && $3 < 3891 { n++ } END { print n + 0 }' "$WL_OUT")
hi=$(awk '$1 == "call" && $2 == "short_nap" && $3 >= 486 && $3 - $4 < 4301 { n++ } END { print n + 0 }' "$WL_OUT")
check "BCC-style rows: the naps in the rows from 512 to 4095 us ($rows, the workload's: $lo-$hi)" \
	[ "$rows" -ge "$lo" -a "$rows" -le "$hi" -a "$rows" -ge 1 ]
check "says how percentiles are estimated" grep -q 'within 6.25% of the true value' "$TMP/h.txt"
grep -q "pid $WL_PID" "$TMP/h.txt" || head -20 "$TMP/h.txt" | diag
done_testing
