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
echo
echo "demo: folded stacks in $out ($(wc -l <"$out") stacks); make a flame graph with"
echo "      flamegraph.pl --color=io --countname=us $out > offcpu.svg"
