#!/bin/bash
# Run latprof's tests through prove (TAP): unit tests (no root) and the
# integration tests (root + BPF: they fail under CI=true when BPF cannot load,
# and skip with the reason elsewhere). Ends with prove's summary and one
# "N passed, N failed" line.
cd "$(dirname "$0")/.." || exit 1
tests=(.output/tests/test_* tests/integration/*.t)
log=$(mktemp /tmp/latprof-prove.XXXXXX)
prove --exec '' --timer --failures "${tests[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
total=$(grep -Eo 'Tests=[0-9]+' "$log" | tail -1 | cut -d= -f2)
failed=$(grep -Eo 'Failed [0-9]+/[0-9]+ subtests' "$log" |
	awk '{ split($2, a, "/"); s += a[1] } END { print s + 0 }')
skipped=$(grep -c 'skipped:' "$log")
rm -f "$log"
echo "$((${total:-0} - failed)) passed, $failed failed, $skipped skipped"
exit "$rc"
