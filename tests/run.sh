#!/bin/bash
# Run latprof's tests through prove (TAP): unit tests (no root) and the
# integration tests (root + BPF: they fail under CI=true when BPF cannot load,
# and skip with the reason elsewhere). Ends with prove's summary and one
# "N passed, N failed" line.
cd "$(dirname "$0")/.." || exit 1
tests=(.output/tests/test_* tests/integration/*.t)
log=$(mktemp /tmp/latprof-prove.XXXXXX)
# SAN=1 (make test SAN=1): every report of ASan or LeakSanitizer, from any
# latprof run or unit test, goes to a file; any file fails the suite. gcc's
# combined ASan+UBSan runtime writes UBSan's reports to stderr whatever
# log_path says, where a test keeps them in a file it then deletes: so the
# first UBSan report aborts the process (exit 134), which fails its test.
if [ -n "${SAN:-}" ]; then
	san=$(mktemp -d /tmp/latprof-san.XXXXXX)
	ulimit -c 0
	export ASAN_OPTIONS="log_path=$san/asan:detect_leaks=1:abort_on_error=0"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1"
fi
prove --exec '' --timer --failures "${tests[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if [ -n "${SAN:-}" ]; then
	reports=$(ls "$san" | wc -l)
	for f in "$san"/*; do [ -e "$f" ] && { echo "# $f:"; head -40 "$f" | sed 's/^/# /'; }; done
	echo "sanitizer reports: $reports"
	[ "$reports" -eq 0 ] || rc=1
	rm -rf "$san"
fi
total=$(grep -Eo 'Tests=[0-9]+' "$log" | tail -1 | cut -d= -f2)
failed=$(grep -Eo 'Failed [0-9]+/[0-9]+ subtests' "$log" |
	awk '{ split($2, a, "/"); s += a[1] } END { print s + 0 }')
skipped=$(grep -c 'skipped:' "$log")
rm -f "$log"
echo "$((${total:-0} - failed)) passed, $failed failed, $skipped skipped"
exit "$rc"
