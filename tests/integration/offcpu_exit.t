#!/bin/bash
# A target that exits mid-trace: tracing continues and its stacks are named.
. tests/integration/lib.sh
need_bpf
start_wl exit
trace "$TMP/e" offcpu -p "$WL_PID" -d 2.5 -o "$TMP/e.folded"
check "latprof exits 0 after the target exited" [ "$LP_RC" -eq 0 ]
check "says the target exited" grep -q "pid $WL_PID exited" "$TMP/e.stderr"
got=$(fsum "$TMP/e.folded" ';main;blocker_sleep;nanosleep;clock_nanosleep;')
w=$(wl_clock blocker_sleep)
check "exited process still symbolized: ${got} us, the workload's clock ${w} us +-10%" near "$got" 10 blocker_sleep
done_testing
