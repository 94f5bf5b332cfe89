#!/bin/bash
# -m/-M against known blocks: short_nap() 50 x 1 ms, long_nap() 5 x 100 ms,
# each as long as the workload's own clock measured it (a late wakeup on a
# busy machine lengthens a nap in both).
. tests/integration/lib.sh
need_bpf
start_wl mixed
trace "$TMP/m" offcpu -p "$WL_PID" -d 2 -m 20000 -o "$TMP/m.folded"
long=$(fsum "$TMP/m.folded" ';long_nap;')
short=$(fsum "$TMP/m.folded" ';short_nap;')
read -r _ hi lo <<<"$(wl_calls long_nap 20000 1e9)"
check "-m 20000 keeps long_nap (${long} us, the workload's $hi us +-10%)" between "$long" "$hi" "$lo" 10
# A 1 ms nap that took 20 ms (a very late wakeup) is rightly kept.
read -r _ hi _ <<<"$(wl_calls short_nap 19000 1e9)"
check "-m 20000 drops short_nap (${short} us; the workload's naps of 19 ms or more: $hi us)" \
	[ "$short" -le "$hi" ]

start_wl mixed
trace "$TMP/M" offcpu -p "$WL_PID" -d 2 -M 20000 -o "$TMP/M.folded"
long=$(fsum "$TMP/M.folded" ';long_nap;')
short=$(fsum "$TMP/M.folded" ';short_nap;')
check "-M 20000 drops long_nap (${long} us)" [ "$long" -eq 0 ]
read -r _ hi lo <<<"$(wl_calls short_nap 0 21000)"
check "-M 20000 keeps short_nap (${short} us, the workload's $hi us +-10%)" between "$short" "$hi" "$lo" 10
done_testing
