#!/bin/bash
# Target filters, stack and state options, intervals, the system-wide mode and
# lost-stack reporting, each against the workload's known behaviour.
. tests/integration/lib.sh
need_bpf
BS=';(.*;)?main;blocker_sleep;nanosleep;clock_nanosleep( |;)'

# -t: only the thread given. In pipe mode the main thread (tid = pid) reads.
start_wl pipe
trace "$TMP/t" offcpu -t "$WL_PID" -d 2.5 -o "$TMP/t.folded"
r=$(fsum "$TMP/t.folded" ';pipe_reader;read;')
f=$(fsum "$TMP/t.folded" 'pipe_feeder')
w=$(wl_clock pipe_reader)
check "-t main thread: pipe_reader ${r} us (the workload's clock: ${w} us +-10%)" near "$r" 10 pipe_reader
check "-t main thread: no feeder thread (${f} us)" [ "$f" -eq 0 ]

# --comm: system-wide, two identical workloads under different names, both
# this run's own (another offcpu_wl on the machine must not count).
OA=oa$$ OB=ob$$
cp "$WL/offcpu_wl" "$TMP/$OA" && cp "$WL/offcpu_wl" "$TMP/$OB"
WL_BIN="$TMP/$OA" start_wl sleeper; a=$WL_PID; ao=$WL_OUT
WL_BIN="$TMP/$OB" start_wl sleeper; b=$WL_PID
GO_PIDS="$a $b" trace "$TMP/c" offcpu --comm "$OA" -d 2.5 -o "$TMP/c.folded"
x=$(fsum "$TMP/c.folded" "^$OA$BS")
y=$(fsum "$TMP/c.folded" "^$OB;")
w=$(wl_clock blocker_sleep 3 "$ao")
check "--comm $OA: its blocker_sleep ${x} us (the workload's clock: ${w} us +-10%)" near "$x" 10 blocker_sleep "$ao"
check "--comm $OA: nothing from $OB (${y} us)" [ "$y" -eq 0 ]
check "--comm: only $OA lines" bash -c "! grep -v -e '^$OA;' -e '^#' '$TMP/c.folded' | grep -q ."

# --cgroup: only the workload moved into a fresh cgroup v2 directory.
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -z "$cg2" ]; then
	mkdir -p "$TMP/cg2" && mount -t cgroup2 none "$TMP/cg2" && cg2=$TMP/cg2
fi
cg=$cg2/latprof-test-$$
if [ -n "$cg2" ] && mkdir "$cg" 2>/dev/null; then
	cp "$WL/offcpu_wl" "$TMP/cgwl"
	WL_BIN="$TMP/cgwl" start_wl sleeper; a=$WL_PID; ao=$WL_OUT
	echo "$a" >"$cg/cgroup.procs"
	start_wl sleeper; b=$WL_PID
	GO_PIDS="$a $b" trace "$TMP/g" offcpu --cgroup "$cg" -d 2.5 -o "$TMP/g.folded"
	x=$(fsum "$TMP/g.folded" "^cgwl$BS")
	y=$(fsum "$TMP/g.folded" '^offcpu_wl;')
	w=$(wl_clock blocker_sleep 3 "$ao")
	check "--cgroup: the workload inside ${x} us (its clock: ${w} us +-10%)" near "$x" 10 blocker_sleep "$ao"
	check "--cgroup: nothing from the workload outside (${y} us)" [ "$y" -eq 0 ]
	wait "$a" 2>/dev/null
	rmdir "$cg"
else
	ok 0 "# SKIP no cgroup v2 hierarchy"
fi
[ "$cg2" = "$TMP/cg2" ] && umount "$TMP/cg2"

# -U and -K: one side of the stack only.
start_wl sleeper
trace "$TMP/U" offcpu -p "$WL_PID" -U -d 2.5 -o "$TMP/U.folded"
check "-U: user stack present" grep -Eq "$BS" "$TMP/U.folded"
refute "-U: no kernel frames" grep -q '_\[k\]' "$TMP/U.folded"
start_wl sleeper
trace "$TMP/K" offcpu -p "$WL_PID" -K -d 2.5 -o "$TMP/K.folded"
k=$(fsum "$TMP/K.folded" '^offcpu_wl;entry_SYSCALL.*do_nanosleep_\[k\]')
w=$(wl_clock blocker_sleep)
check "-K: kernel nanosleep path ${k} us (the workload's clock: ${w} us +-10%)" near "$k" 10 blocker_sleep
refute "-K: no user frames" grep -Eq '^offcpu_wl;[^;]*[^]];|^offcpu_wl;[^;]*[^]] ' "$TMP/K.folded"

# --state D: nanosleep sleeps in S, so nothing of blocker_sleep is counted.
start_wl sleeper
trace "$TMP/D" offcpu -p "$WL_PID" --state D -d 2.5 -o "$TMP/D.folded"
d=$(fsum "$TMP/D.folded" 'blocker_sleep')
check "--state D: interruptible nanosleep not counted (${d} us)" [ "$d" -eq 0 ]

# --include-preempt: nproc + 1 spinners preempt each other.
start_wl preempt
trace "$TMP/P" offcpu -p "$WL_PID" --include-preempt -d 2.5 -o "$TMP/P.folded"
p=$(fsum "$TMP/P.folded" '^offcpu_wl;\[preempted\];.*spin_hard')
check "--include-preempt: spinners' run-queue wait under [preempted] (${p} us > 0)" [ "$p" -gt 0 ]
start_wl preempt
trace "$TMP/NP" offcpu -p "$WL_PID" -d 2.5 -o "$TMP/NP.folded"
refute "without --include-preempt: no [preempted] frames" grep -q 'preempted' "$TMP/NP.folded"

# -i: per-interval summaries; the output file still holds the whole run.
# The test's shell is a second target, so the trace runs its 3 s after the
# workload has exited (with its only target gone, it ends).
start_wl sleeper
trace "$TMP/i" offcpu -p "$WL_PID,$$" -i 0.5 -d 3 -o "$TMP/i.folded"
n=$(grep -c '^latprof offcpu: pid' "$TMP/i.stderr")
x=$(fsum "$TMP/i.folded" "$BS")
check "-i 0.5 over 3 s: $n summaries (>= 5)" [ "$n" -ge 5 ]
w=$(wl_clock blocker_sleep)
check "-i: output totals the whole run, ${x} us (the workload's clock: ${w} us +-10%)" near "$x" 10 blocker_sleep

# System-wide (no target): the workload, under its own name, is found among
# everything else.
WL_BIN="$TMP/$OA" start_wl sleeper
trace "$TMP/w" offcpu -d 2.5 -o "$TMP/w.folded"
x=$(fsum "$TMP/w.folded" "^$OA$BS")
w=$(wl_clock blocker_sleep)
check "system-wide: blocker_sleep ${x} us (the workload's clock: ${w} us +-10%)" near "$x" 10 blocker_sleep

# 100 distinct stacks (depths 1..100, under the 127-frame limit): all kept by
# default; with room for 64, the losses are reported.
start_wl many
trace "$TMP/a" offcpu -p "$WL_PID" -d 2.5 -o "$TMP/a.folded"
n=$(grep ';recurse;' "$TMP/a.folded" | grep -c 'nap_ms')
b=$(awk '/^blocked/ { print $2 }' "$WL_OUT")
check "100 distinct recursion depths: $n stacks kept, one per nap that blocked (${b:-?})" \
	[ "$n" -ge 99 -a "$n" -eq "${b:-0}" ]
refute "no losses reported with the default storage" grep -q 'stack-storage-size' "$TMP/a.stderr"
start_wl many
trace "$TMP/s" offcpu -p "$WL_PID" -d 2.5 --stack-storage-size 64 -o "$TMP/s.folded"
check "storage for 64: losses reported with the option to raise" \
	grep -q 'raise --stack-storage-size' "$TMP/s.stderr"
grep 'warning' "$TMP/s.stderr" | diag

# Two threads, from root_a() and root_b(), sleep 10 x 30 ms each 8 calls deep
# in cut_chain(): cut at 6 frames their stacks read the same. The summary
# keeps them apart (they merged into one row "and other threads") and says
# each row was cut; the folded output may merge them (same frames).
start_wl cut
trace "$TMP/c" offcpu -p "$WL_PID" --perf-max-stack-depth 6 -d 5 -o "$TMP/c.folded"
rows=$(grep -A1 'offcpu_wl \[' "$TMP/c.stderr" | grep -B1 '^ .*nap_ms <- cut_chain' | grep -c '^ *[0-9.]* ms  *10 ')
check "cut stacks of two threads: two summary rows of 10 naps each ($rows)" [ "$rows" -eq 2 ]
check "each says its user stack was cut at the depth limit" \
	[ "$(grep -c '^ .*offcpu_wl \[[0-9]*/[0-9]*\]; user stack cut: depth limit$' "$TMP/c.stderr")" -ge 2 ]
refute "no row joins them as 'and other threads'" grep -q 'and other threads; user stack cut' "$TMP/c.stderr"
grep -q 'user stack cut' "$TMP/c.stderr" || diag <"$TMP/c.stderr"
done_testing
