#!/bin/bash
# -m/-M against known blocks: short_nap() 50 x 1 ms, long_nap() 5 x 100 ms,
# each as long as the workload's own clock measured it (a late wakeup on a
# busy machine lengthens a nap in both).
. tests/integration/lib.sh
need_bpf
# calls NAME LO HI: the sum of the workload's NAME calls of LO..HI us, and
# that sum less what preemptions may hide (tests/workloads/wlclock.h)
calls() { wl_clock "$1" >/dev/null
	awk -v n="$1" -v lo="$2" -v hi="$3" '$1 == "call" && $2 == n && $3 >= lo && $3 <= hi { s += $3; p += $4 }
		END { print s + 0, s - p }' "$WL_OUT"; }
# inrange GOT "SUM LOW" PCT: LOW - PCT% <= GOT <= SUM + PCT%
inrange() { awk -v g="$1" -v r="$2" -v p="$3" 'BEGIN { split(r, a, " "); exit !(g <= a[1] * (1 + p / 100) && g >= a[2] * (1 - p / 100)) }'; }
start_wl mixed
trace "$TMP/m" offcpu -p "$WL_PID" -d 2 -m 20000 -o "$TMP/m.folded"
long=$(fsum "$TMP/m.folded" ';long_nap;')
short=$(fsum "$TMP/m.folded" ';short_nap;')
w=$(calls long_nap 20000 1e9)
check "-m 20000 keeps long_nap (${long} us, the workload's ${w% *} us +-10%)" inrange "$long" "$w" 10
# A 1 ms nap that took 20 ms (a very late wakeup) is rightly kept.
w=$(calls short_nap 19000 1e9)
check "-m 20000 drops short_nap (${short} us; the workload's naps of 19 ms or more: ${w% *} us)" \
	[ "$short" -le "${w% *}" ]

start_wl mixed
trace "$TMP/M" offcpu -p "$WL_PID" -d 2 -M 20000 -o "$TMP/M.folded"
long=$(fsum "$TMP/M.folded" ';long_nap;')
short=$(fsum "$TMP/M.folded" ';short_nap;')
check "-M 20000 drops long_nap (${long} us)" [ "$long" -eq 0 ]
w=$(calls short_nap 0 21000)
check "-M 20000 keeps short_nap (${short} us, the workload's ${w% *} us +-10%)" inrange "$short" "$w" 10
done_testing
