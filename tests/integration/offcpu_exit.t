#!/bin/bash
# A target that exits mid-trace (after 10 x 50 ms): the trace ends with it,
# as perf record -p does, and its stacks are named.
. tests/integration/lib.sh
need_bpf
start_wl exit
# bash's own clock: the kmatrix guests' busybox date has no %N.
t0=${EPOCHREALTIME/[.,]/}
trace "$TMP/e" offcpu -p "$WL_PID" -d 20 -o "$TMP/e.folded"
ms=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
check "latprof exits 0 after the target exited" [ "$LP_RC" -eq 0 ]
check "says every target exited and the trace ends" grep -q "every target has exited after" "$TMP/e.stderr"
# The workload runs ~0.5 s; -d 20 would have run on for 20 s.
check "it ends with its target, not at -d 20: $ms ms from start to exit" [ "$ms" -lt 8000 ]
got=$(fsum "$TMP/e.folded" ';main;blocker_sleep;nanosleep;clock_nanosleep;')
w=$(wl_clock blocker_sleep)
check "exited process still symbolized: ${got} us, the workload's clock ${w} us +-10%" near "$got" 10 blocker_sleep
done_testing
