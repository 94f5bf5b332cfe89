#!/bin/bash
# Every attach flavour and both unwinders give the same ground truth. On this
# kernel all load, so LATPROF_ATTACH/LATPROF_UNWIND force each one in turn.
. tests/integration/lib.sh
need_bpf
for flavour in tp_btf raw_tp tracepoint; do
	start_wl sleeper
	LATPROF_ATTACH=$flavour trace "$TMP/$flavour" offcpu -p "$WL_PID" -d 2.5 -o "$TMP/$flavour.folded"
	check "$flavour: chosen and reported" grep -q "sched_switch: $flavour;" "$TMP/$flavour.stderr"
	x=$(fsum "$TMP/$flavour.folded" ';main;blocker_sleep;nanosleep;clock_nanosleep;.*do_nanosleep_\[k\]')
	w=$(wl_clock blocker_sleep)
	check "$flavour: blocker_sleep ${x} us (the workload's clock: ${w} us +-10%)" near "$x" 10 blocker_sleep
done

# The frame-pointer-only unwinder (kernels without bpf_loop/bpf_find_vma):
# the same 1 s, but glibc's frames hide blocker_sleep, as in other tools.
start_wl sleeper
LATPROF_UNWIND=fp trace "$TMP/fp" offcpu -p "$WL_PID" -d 2.5 -o "$TMP/fp.folded"
check "fp unwinder: chosen and reported" grep -Eq "user stacks: frame pointers[;)]" "$TMP/fp.stderr"
x=$(fsum "$TMP/fp.folded" ';clock_nanosleep;.*do_nanosleep_\[k\]')
w=$(wl_clock blocker_sleep)
check "fp unwinder: the workload's ${w} us on clock_nanosleep (${x} us, +-10%)" near "$x" 10 blocker_sleep
y=$(fsum "$TMP/fp.folded" ';blocker_sleep;nanosleep;')
check "fp unwinder loses nanosleep's caller, as the CFI unwinder does not (${y} us)" [ "$y" -eq 0 ]
done_testing
