#!/bin/bash
# Ground truth: blocker_sleep() sleeps 20 x 50 ms through glibc's nanosleep()
# while spin_worker() spins on another thread. latprof must report what the
# workload's own clock measured (1.0 s on an idle machine) +-10%
# on a complete stack (main;blocker_sleep;nanosleep;clock_nanosleep above the
# kernel's nanosleep path) and nothing comparable for the spinning thread.
. tests/integration/lib.sh
need_bpf
start_wl sleeper
trace "$TMP/s" offcpu -p "$WL_PID" -d 3 -o "$TMP/s.folded"
check "latprof exits 0" [ "$LP_RC" -eq 0 ]
check "folded file written" [ -s "$TMP/s.folded" ]
want='^offcpu_wl;(.*;)?main;blocker_sleep;nanosleep;clock_nanosleep;.*do_nanosleep_\[k\].*schedule_\[k\]'
got=$(fsum "$TMP/s.folded" "$want")
w=$(wl_clock blocker_sleep)
check "blocker_sleep stack complete through glibc: ${got} us, the workload's clock ${w} us +-10%" near "$got" 10 blocker_sleep
spin=$(fsum "$TMP/s.folded" 'spin_worker')
check "spinning thread: ${spin} us off-CPU, nothing comparable (< 100 ms)" [ "$spin" -lt 100000 ]
refute "no frame shows as a bare [unknown]" grep -q '\[unknown\]' "$TMP/s.folded"
refute "no BPF machinery frames" grep -Eq 'bpf_prog_|bpf_trace_run|__bpf_trace_|__traceiter_' "$TMP/s.folded"
check "summary names the stack on stderr" grep -q 'blocker_sleep' "$TMP/s.stderr"
check "summary shows count 20" grep -Eq '^ +[0-9.]+ m?s +20 ' "$TMP/s.stderr"
# With libc6-dbg (make deps installs it), libc's internal frames have names.
if dpkg-query -W -f='${Status}' libc6-dbg 2>/dev/null | grep -q "ok installed"; then
	check "libc6-dbg: libc-internal frame named (__libc_start_call_main;main;blocker_sleep)" \
		grep -q '__libc_start_call_main;main;blocker_sleep;' "$TMP/s.folded"
	refute "libc6-dbg: no libc.so.6+0x frame on the blocker_sleep stack" \
		grep -q 'libc.so.6+0x.*;blocker_sleep;' "$TMP/s.folded"
else
	ok 0 "# SKIP libc6-dbg not installed"
fi
grep -q 'blocker_sleep' "$TMP/s.folded" || diag < "$TMP/s.folded"
done_testing
