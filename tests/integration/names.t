#!/bin/bash
# Names are data, never structure: a process whose comm holds a newline, an
# escape sequence and a ';', and whose JIT function name holds the folded
# separator, a control character, XML and JSON specials, a byte that is not
# UTF-8 and a trailing number. Every format stays well-formed and says the
# true value of the stack (10 x 50 ms, as the workload's clock measures
# it). docs/OUTPUT.md says how names appear.
. tests/integration/lib.sh
need_bpf

start_wl badnames
# One trace per format, all at once, on the same run of the workload.
pids=""
for f in folded json svg pprof hist; do
	"$LATPROF" offcpu -p "$WL_PID" -d 2.5 -f "$f" -o "$TMP/b.$f" 2>"$TMP/b.$f.err" &
	pids="$pids $!"
	for _ in $(seq 600); do grep -q attached "$TMP/b.$f.err" && break; sleep 0.05; done
done
kill -USR1 "$WL_PID"
for p in $pids; do wait "$p"; done

# folded: every line is "frames VALUE", one value each; the JIT stack holds
# what the workload measured.
w=$(wl_clock blocker_sleep)
check "folded: every line ends in its one value" \
	awk 'NR > 1 && !/^[^\n]* [0-9]+$/ { bad = 1 } END { exit bad }' "$TMP/b.folded"
check "folded: its first line, latprof's header, names tool and unit" \
	[ "$(head -1 "$TMP/b.folded")" = "# latprof offcpu unit=us" ]
x=$(grep -F 'evil:frame?<&"'"'"'>?( 999;jit_callback;' "$TMP/b.folded" | awk '{ s += $NF } END { print s + 0 }')
check "folded: the JIT frame, cleaned, holds the workload's $w us (+-10%): $x" near "$x" 10 blocker_sleep
check "folded: the comm, cleaned, starts the line" grep -q '^w:x:y?\[31m?' "$TMP/b.folded"
n=$(grep -vc '^#' "$TMP/b.folded")
m=$(grep -v '^#' "$TMP/b.folded" | awk -F';' '{ print $1 }' | sort -u | wc -l)
check "folded: one comm for all $n lines, no line split off ($m)" [ "$m" -eq 1 ]

# json: valid, and the stack's total the same.
check "json: valid" bash -c "jq -e . '$TMP/b.json' >/dev/null"
x=$(jq '[.stacks[] | select([.frames[][0]] | index("evil:frame?<&\"'"'"'>?( 999")) | .total] | add // 0' "$TMP/b.json")
check "json: the JIT frame's stacks hold the workload's $w us (+-10%): $x" near "$x" 10 blocker_sleep

check "svg: well-formed XML" xmllint --noout "$TMP/b.svg"
if command -v protoc >/dev/null; then
	check "pprof: decodes, its strings valid UTF-8" \
		bash -c "gunzip -c '$TMP/b.pprof' | protoc --proto_path=tests/pprof --decode=perftools.profiles.Profile profile.proto >/dev/null"
fi
# hist and the summary on stderr: no control character reaches a terminal.
for f in "$TMP/b.hist" "$TMP/b.folded.err"; do
	refute "$(basename "$f"): no escape or other control character" \
		grep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$f"
done
done_testing
