#!/bin/bash
# Processes latprof did not see at attach: one started after it, one that
# execs a new image mid-trace. Their stacks must still be unwound through
# glibc (user space publishes their mappings within ~50 ms) and named.
. tests/integration/lib.sh
need_bpf
BS=';main;blocker_sleep;nanosleep;clock_nanosleep;'
# Selected by a name of this run's own: another offcpu_wl elsewhere on the
# machine is none of this test's business.
OW=ow$$
cp "$WL/offcpu_wl" "$TMP/$OW"

"$LATPROF" offcpu --comm "$OW" -d 3 -o "$TMP/l.folded" 2>"$TMP/l.stderr" &
lp=$!
for _ in $(seq 600); do grep -q attached "$TMP/l.stderr" && break; sleep 0.05; done
"$TMP/$OW" nowait sleeper >"$TMP/l.wl"
wait $lp
x=$(fsum "$TMP/l.folded" "$BS")
w=$(wl_clock blocker_sleep 3 "$TMP/l.wl")
check "started after attach (and exited before the end): complete stack for ${x} us (the workload's ${w} us +-10%)" \
	near "$x" 10 blocker_sleep "$TMP/l.wl"

# A shell that execs the workload once latprof is attached.
mkfifo "$TMP/fifo" 2>/dev/null
sh -c "read x; exec $WL/offcpu_wl nowait sleeper" <"$TMP/fifo" >"$TMP/x.wl" &
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
# Until user space has published the new image's mappings (50 ms here, a few
# hundred under qemu's emulation in make kmatrix), its stacks are unwound
# partly by frame pointer and counted as such: most of the second must not be.
w=$(wl_clock blocker_sleep 3 "$TMP/x.wl")
check "exec'd mid-trace: new image unwound and named, ${x} us (the workload's ${w} us -20% +10%)" \
	near "$x" 10 blocker_sleep "$TMP/x.wl" 20
cat "$TMP/x.folded" | cut -c1-200 | diag

# Frame pointers only (no CFI walk, so no bpf_find_vma to notice the new
# process): the exec hook alone must have its image snapshotted while it
# lives; it exits 0.5 s later, long before the output is written.
LATPROF_UNWIND=fp "$LATPROF" offcpu --comm "$OW" -d 2.5 -o "$TMP/f.folded" 2>"$TMP/f.stderr" &
lp=$!
for _ in $(seq 600); do grep -q attached "$TMP/f.stderr" && break; sleep 0.05; done
"$TMP/$OW" nowait exit >"$TMP/f.wl"
wait $lp
x=$(fsum "$TMP/f.folded" "^$OW;"'(.*;)?main;(.*;)?clock_nanosleep;.*do_nanosleep_\[k\]')
w=$(wl_clock blocker_sleep 3 "$TMP/f.wl")
check "FP unwinder, exec'd and exited mid-trace: named from its exec-time snapshot, ${x} us (the workload's ${w} us +-10%)" \
	near "$x" 10 blocker_sleep "$TMP/f.wl"
refute "no [unmapped] frames" grep -q '\[unmapped\]' "$TMP/f.folded"
done_testing
