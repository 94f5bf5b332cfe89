#!/bin/sh
# `make demo`: run latprof offcpu for 5 s on the bundled demo service
# (tests/workloads/demo.c) and show where its threads wait.
set -eu
cd "$(dirname "$0")/.."
out=.output/demo-offcpu.folded
if [ "$(id -u)" != 0 ]; then
	echo "demo: latprof needs root (CAP_BPF and CAP_PERFMON); run 'sudo make demo'" >&2
	exit 1
fi
.output/workloads/demo 15 >.output/demo.pid &
demo=$!
sleep 0.5
echo "demo: service running as pid $demo; tracing it for 5 s"
status=0
./latprof offcpu -p "$demo" -d 5 --top 8 -o "$out" || status=$?
kill "$demo" 2>/dev/null || true
wait "$demo" 2>/dev/null || true
[ "$status" -eq 0 ] || exit "$status"
svg=.output/demo-offcpu.svg
./latprof report -q --palette offcpu --title "Off-CPU time of the demo service" \
	-f svg -o "$svg" "$out"
echo
echo "demo: folded stacks in $out ($(grep -vc '^#' "$out") stacks)"
echo "demo: flame graph in $svg (open it in a browser: click to zoom, Search to highlight)"
echo "demo: top functions: ./latprof report $out"
