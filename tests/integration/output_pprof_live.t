#!/bin/bash
# -f pprof from a live trace, decoded by protoc (tests/pprof): the workload's
# inlined stack at its known value, mappings with build-ids, inlined
# functions as extra lines of one location.
. tests/integration/lib.sh
if ! command -v protoc >/dev/null; then
	[ -n "${CI:-}" ] && { echo "1..1"; echo "not ok 1 - protoc missing (make deps installs protobuf-compiler)"; exit 1; }
	echo "1..0 # SKIP protoc not installed"; exit 0
fi
decode() { gunzip -c "$1" | protoc --proto_path=tests/pprof --decode=perftools.profiles.Profile profile.proto; }

need_bpf
start_wl inlined
trace "$TMP/l" offcpu --lines -p "$WL_PID" -d 2.5 -f pprof -o "$TMP/l.pb.gz"
decode "$TMP/l.pb.gz" | awk -f tests/pprof/stacks.awk >"$TMP/l.st"
SRC=tests/workloads/offcpu_wl.c
L() { grep -n "LT-LINE $1 \*/" "$SRC" | cut -d: -f1; }
x=$(grep -E ";main offcpu_wl.c:$(L main);inlined_outer offcpu_wl.c:$(L outer);inlined_middle offcpu_wl.c:$(L middle);inlined_inner offcpu_wl.c:$(L inner);nanosleep" "$TMP/l.st" |
	awk '{ s += $(NF - 1) } END { print s + 0 }')
w=$(wl_clock inlined_outer)
check "live trace: the inlined stack in nanoseconds ($x), the workload's clock $w us +-10%" near "$((x / 1000))" 10 inlined_outer
check "sample types offcpu/nanoseconds and events/count" grep -qx 'types offcpu/nanoseconds events/count' "$TMP/l.st"
bid=$(readelf -n "$WL/offcpu_wl" | awk '/Build ID/ { print $3 }')
check "mapping of the workload with its build-id, has_functions, has_inline_frames" \
	grep -Eq "^mapping .*offcpu_wl $bid true true$" "$TMP/l.st"
check "kernel mapping [kernel.kallsyms]" grep -Eq '^mapping \[kernel.kallsyms\] ' "$TMP/l.st"
grep -q inlined_inner "$TMP/l.st" || head -5 "$TMP/l.st" | cut -c1-300 | diag
done_testing
