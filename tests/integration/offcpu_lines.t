#!/bin/bash
# --lines: source file:line from DWARF and inlined functions as frames of
# their own. Ground truth is the workload's source: the lines marked LT-LINE
# in tests/workloads/offcpu_wl.c are where each call is, and the "inlined"
# mode sleeps 20 x 50 ms through two always_inline functions.
. tests/integration/lib.sh
need_bpf
SRC=tests/workloads/offcpu_wl.c
line() { grep -n "LT-LINE $1 \*/" "$SRC" | cut -d: -f1; }
L_MAIN=$(line main) L_OUTER=$(line outer) L_MIDDLE=$(line middle) L_INNER=$(line inner)
INL="main offcpu_wl.c:$L_MAIN;inlined_outer offcpu_wl.c:$L_OUTER;inlined_middle offcpu_wl.c:${L_MIDDLE}_\[i\];inlined_inner offcpu_wl.c:${L_INNER}_\[i\];nanosleep"

start_wl inlined
trace "$TMP/l" offcpu --lines -p "$WL_PID" -d 2.5 -o "$TMP/l.folded"
x=$(fsum "$TMP/l.folded" ";$INL")
check "inlined frames with the call lines of the source (${x} us, the workload's clock $(wl_clock inlined_outer) us +-10%)" near "$x" 10 inlined_outer
check "libc frames carry lines from libc6-dbg's DWARF (nanosleep nanosleep.c:N)" \
	grep -Eq ';nanosleep nanosleep\.c:[0-9]+;' "$TMP/l.folded"
refute "kernel frames carry no source lines" grep -Eq '[a-z_]+ [^;]+:[0-9]+_\[k\]' "$TMP/l.folded"
grep -q inlined_inner "$TMP/l.folded" || cut -c1-300 "$TMP/l.folded" | diag

# Without --lines: inlined functions are not frames, names carry no lines.
start_wl inlined
trace "$TMP/n" offcpu -p "$WL_PID" -d 2.5 -o "$TMP/n.folded"
x=$(fsum "$TMP/n.folded" ';main;inlined_outer;nanosleep;clock_nanosleep;')
check "without --lines the same stack reads main;inlined_outer;nanosleep (${x} us)" \
	near "$x" 10 inlined_outer

# DWARF only in a separate file found by .gnu_debuglink (the binary stripped).
objcopy --only-keep-debug "$WL/offcpu_wl" "$TMP/lnwl.debug"
objcopy --strip-all --add-gnu-debuglink="$TMP/lnwl.debug" "$WL/offcpu_wl" "$TMP/lnwl"
WL_BIN="$TMP/lnwl" start_wl inlined
trace "$TMP/g" offcpu --lines -p "$WL_PID" -d 2.5 -o "$TMP/g.folded"
x=$(fsum "$TMP/g.folded" "^lnwl;(.*;)?$INL")
check "stripped binary: lines and inlined frames from its .gnu_debuglink file (${x} us)" \
	near "$x" 10 inlined_outer

# A .symtab but no DWARF (strip --strip-debug), debug file by build-id under a
# debug root: symbols come from the binary, lines from the debug file.
id=$(readelf -n "$WL/offcpu_wl" | awk '/Build ID/ { print $3 }')
mkdir -p "$TMP/dbg/.build-id/${id:0:2}"
objcopy --only-keep-debug "$WL/offcpu_wl" "$TMP/dbg/.build-id/${id:0:2}/${id:2}.debug"
objcopy --strip-debug "$WL/offcpu_wl" "$TMP/sdwl"
WL_BIN="$TMP/sdwl" start_wl inlined
LATPROF_DEBUG_DIRS="$TMP/dbg" trace "$TMP/b" offcpu --lines -p "$WL_PID" -d 2.5 -o "$TMP/b.folded"
x=$(fsum "$TMP/b.folded" "^sdwl;(.*;)?$INL")
check "symbols but no DWARF: lines from the build-id debug file (${x} us)" near "$x" 10 inlined_outer

# No DWARF anywhere: frames keep their plain names, -v says how many lack lines.
WL_BIN="$TMP/sdwl" start_wl inlined
LATPROF_DEBUG_DIRS=/nonexistent trace "$TMP/z" offcpu -v --lines -p "$WL_PID" -d 2.5 -o "$TMP/z.folded"
x=$(fsum "$TMP/z.folded" '^sdwl;(.*;)?main;inlined_outer;nanosleep;clock_nanosleep;')
check "no DWARF: the frames keep their plain names (${x} us)" \
	near "$x" 10 inlined_outer
check "-v counts the frames without source lines" \
	grep -Eq 'frames without source lines: [1-9]' "$TMP/z.stderr"
done_testing
