#!/bin/bash
# -m/-M against known blocks: short_nap() 50 x 1 ms, long_nap() 5 x 100 ms.
. tests/integration/lib.sh
need_bpf
start_wl mixed
trace "$TMP/m" offcpu -p "$WL_PID" -d 2 -m 20000 -o "$TMP/m.folded"
long=$(fsum "$TMP/m.folded" ';long_nap;')
short=$(fsum "$TMP/m.folded" ';short_nap;')
check "-m 20000 keeps long_nap (${long} us, want 500000 +-10%)" within "$long" 500000 10
check "-m 20000 drops short_nap (${short} us)" [ "$short" -eq 0 ]

start_wl mixed
trace "$TMP/M" offcpu -p "$WL_PID" -d 2 -M 20000 -o "$TMP/M.folded"
long=$(fsum "$TMP/M.folded" ';long_nap;')
short=$(fsum "$TMP/M.folded" ';short_nap;')
check "-M 20000 drops long_nap (${long} us)" [ "$long" -eq 0 ]
# 50 naps of at least 1 ms each; timer slack makes each a little longer.
check "-M 20000 keeps short_nap (${short} us, want 50000..100000)" [ "$short" -ge 50000 -a "$short" -le 100000 ]
done_testing
