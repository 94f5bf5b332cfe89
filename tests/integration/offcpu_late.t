#!/bin/bash
# Processes latprof did not see at attach: one started after it, one that
# execs a new image mid-trace. Their stacks must still be unwound through
# glibc (user space publishes their mappings within ~50 ms) and named.
. tests/integration/lib.sh
need_bpf
BS=';main;blocker_sleep;nanosleep;clock_nanosleep;'

"$LATPROF" offcpu --comm offcpu_wl -d 3 -o "$TMP/l.folded" 2>"$TMP/l.stderr" &
lp=$!
for _ in $(seq 600); do grep -q attached "$TMP/l.stderr" && break; sleep 0.05; done
"$WL/offcpu_wl" nowait sleeper >/dev/null
wait $lp
x=$(fsum "$TMP/l.folded" "$BS")
check "started after attach (and exited before the end): complete stack for ${x} us (>= 0.9 s)" \
	[ "$x" -ge 900000 -a "$x" -le 1100000 ]

# A shell that execs the workload once latprof is attached.
mkfifo "$TMP/fifo" 2>/dev/null
sh -c "read x; exec $WL/offcpu_wl nowait sleeper" <"$TMP/fifo" >/dev/null &
sp=$!
_children="$_children $sp"
exec 3>"$TMP/fifo"
"$LATPROF" offcpu -p "$sp" -d 3 -o "$TMP/x.folded" 2>"$TMP/x.stderr" &
lp=$!
for _ in $(seq 600); do grep -q attached "$TMP/x.stderr" && break; sleep 0.05; done
echo go >&3
exec 3>&-
wait $lp
x=$(fsum "$TMP/x.folded" "^offcpu_wl$BS|^offcpu_wl;(.*;)?main;blocker_sleep;nanosleep;clock_nanosleep;")
check "exec'd mid-trace: new image unwound and named, ${x} us (>= 0.9 s)" \
	[ "$x" -ge 900000 -a "$x" -le 1100000 ]
cat "$TMP/x.folded" | cut -c1-200 | diag
done_testing
