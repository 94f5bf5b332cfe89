#!/bin/bash
# Stopping and writing: SIGINT ends a trace without -d and the output is
# written; -o appears only when complete (temp file + rename); -q silences the
# summary; --perf-max-stack-depth caps the frames kept.
. tests/integration/lib.sh
need_bpf

start_wl sleeper
"$LATPROF" offcpu -p "$WL_PID" -o "$TMP/i.folded" 2>"$TMP/i.stderr" &
lp=$!
for _ in $(seq 600); do grep -q attached "$TMP/i.stderr" && break; sleep 0.05; done
kill -USR1 "$WL_PID"
sleep 0.5
refute "-o: nothing at the final path while tracing" test -e "$TMP/i.folded"
wait "$WL_PID"
kill -INT $lp
wait $lp
check "SIGINT ends the trace with exit 0" [ $? -eq 0 ]
x=$(fsum "$TMP/i.folded" ';main;blocker_sleep;nanosleep;clock_nanosleep;')
w=$(wl_clock blocker_sleep)
check "SIGINT: output written, blocker_sleep ${x} us (the workload's clock ${w} us +-10%)" near "$x" 10 blocker_sleep
check "-o: no temp file left behind" bash -c "! ls '$TMP' | grep -q 'i.folded.tmp'"

# -q prints no "attached" to wait for: trace the whole system, where
# something always blocks (this script's own sleep, at least).
"$LATPROF" offcpu -q -d 1 -o "$TMP/q.folded" 2>"$TMP/q.stderr"
check "-q: exit 0" [ $? -eq 0 ]
# -q keeps warnings of lost data (processes start during any system-wide
# trace, and a loss must never pass unsaid): everything else is silent.
check "-q: nothing on stderr but warnings" bash -c "! grep -v '^latprof: warning: ' '$TMP/q.stderr'"
grep -v '^latprof: warning: ' "$TMP/q.stderr" | head -5 | diag
check "-q: output still written" grep -q '_\[k\] [0-9]' "$TMP/q.folded"

start_wl sleeper
trace "$TMP/s" offcpu -p "$WL_PID" -d 2.5
check "no -o: folded stacks on stdout" grep -q ';blocker_sleep;nanosleep;' "$TMP/s.stdout"
check "no -o: summary on stderr, not stdout" bash -c "grep -q TOTAL '$TMP/s.stderr' && ! grep -q TOTAL '$TMP/s.stdout'"

start_wl many
trace "$TMP/d" offcpu -p "$WL_PID" -K --perf-max-stack-depth 5 -d 2.5 -o "$TMP/d.folded"
max=$(awk '{ n = split($1, f, ";"); if (n - 1 > m) m = n - 1 } END { print m + 0 }' "$TMP/d.folded")
check "--perf-max-stack-depth 5: at most 5 kernel frames per stack (max $max)" [ "$max" -le 5 -a "$max" -ge 1 ]
start_wl many
trace "$TMP/u" offcpu -p "$WL_PID" -U --perf-max-stack-depth 5 -d 2.5 -o "$TMP/u.folded"
max=$(awk '{ n = split($1, f, ";"); if (n - 1 > m) m = n - 1 } END { print m + 0 }' "$TMP/u.folded")
check "--perf-max-stack-depth 5: at most 5 user frames per stack (max $max)" [ "$max" -le 5 -a "$max" -ge 1 ]
check "truncation reported with the option to raise" grep -q 'raise --perf-max-stack-depth' "$TMP/u.stderr"

# Symbolization is bounded in time: with no time left (the budget at 0, as a
# test sets it), nothing more is read for names; what is named is written, the
# rest said. --lines needs DWARF read at the end: its lines are what is left out.
start_wl sleeper
LATPROF_SYMBOLIZE_BUDGET=0 trace "$TMP/b" offcpu --lines -p "$WL_PID" -d 2 -o "$TMP/b.folded"
check "no time left: exit 0, output written" grep -q ';blocker_sleep;nanosleep;' "$TMP/b.folded"
refute "no time left: no source lines read" grep -q 'offcpu_wl.c:[0-9]' "$TMP/b.folded"
check "no time left: said" grep -q 'symbolization stopped' "$TMP/b.stderr"
# A second SIGINT: the output is written at once. (The test's shell is a
# second target: the trace must not end with the workload before the SIGINTs.)
start_wl sleeper
"$LATPROF" offcpu --lines -p "$WL_PID,$$" -o "$TMP/i2.folded" 2>"$TMP/i2.stderr" &
lp=$!
for _ in $(seq 600); do grep -q attached "$TMP/i2.stderr" && break; sleep 0.05; done
kill -USR1 "$WL_PID"
sleep 1.2
kill -INT $lp
kill -INT $lp
wait $lp
rc=$?
check "two SIGINTs: exit 0 ($rc), output written" grep -Eq ';blocker_sleep[ ;]' "$TMP/i2.folded"
done_testing
