#!/bin/bash
# latprof alloc's default: uprobes attached in bursts. allocwl's "steady"
# allocates from three sites whose bytes are 60/30/10% of the total and whose
# calls are 3/1/2 of every 6 (steady_a 3 x 200 B, steady_b 1 x 300 B,
# steady_c 2 x 50 B), finely interleaved, so any slice of time holds them in
# proportion: the bursts' shares must match, within 3 percentage points.
. tests/integration/lib.sh
need_bpf

# traced OUT ARGS...: latprof alloc in the background until it says attached
traced() {
	local out=$1; shift
	"$LATPROF" alloc "$@" 2>"$out.stderr" 7>&- & # not the workload's stdin: its EOF ends it
	LP=$!
	for _ in $(seq 200); do grep -q attached "$out.stderr" && break; sleep 0.05; done
}
# share FIELD FILE F: F's share of FIELD (total: bytes, count: calls) over the three sites, in %
share() {
	jq -r --arg f "$3" "[.stacks[] | select(.frames[0][1] != \"pseudo\" and any(.frames[][0]; test(\"^steady_[abc]\$\")))] as \$s |
		([\$s[] | .$1] | add) as \$all |
		([\$s[] | select(any(.frames[][0]; . == \$f)) | .$1] | add // 0) * 100 / \$all" "$2"
}
# shares_ok NAME FILE: the bytes 60/30/10 and the calls 50/16.7/33.3, each within 3 points
shares_ok() {
	local a b c ca cb cc
	a=$(share total "$2" steady_a) b=$(share total "$2" steady_b) c=$(share total "$2" steady_c)
	ca=$(share count "$2" steady_a) cb=$(share count "$2" steady_b) cc=$(share count "$2" steady_c)
	check "$1: bytes $a/$b/$c% (60/30/10), calls $ca/$cb/$cc% (50/16.7/33.3), within 3 points" \
		awk -v a="$a" -v b="$b" -v c="$c" -v x="$ca" -v y="$cb" -v z="$cc" 'function d(g, w) { return g > w ? g - w : w - g }
			BEGIN { exit !(d(a, 60) <= 3 && d(b, 30) <= 3 && d(c, 10) <= 3 &&
				d(x, 50) <= 3 && d(y, 100 / 6) <= 3 && d(z, 100 / 3) <= 3) }'
}
# first_byte PID: the first byte of malloc in PID's memory, as hex ("cc"
# while a uprobe is on it); allocwl says where malloc is
first_byte() {
	local at
	at=$(awk '$1 == "malloc" { print $2; exit }' "$TMP/out")
	dd if=/proc/"$1"/mem bs=1 count=1 skip=$((at)) 2>/dev/null | od -An -tx1 | tr -d ' \n'
}

# steady SECONDS [thread]: a steady run, once the one before has ended (a
# slow guest takes seconds to start latprof; fixed sleeps lost the load)
steadies=0
wait_steady() {
	for _ in $(seq 600); do
		[ "$(grep -c '^done' "$TMP/out")" -ge $steadies ] && return 0
		sleep 0.05
	done
}
steady() { wait_steady; echo "steady $*" >&7; steadies=$((steadies + 1)); }

start_rounds "$WL/allocwl"
steady 10 # steady before latprof attaches
sleep 0.5
orig=$(first_byte "$WL_PID")
traced "$TMP/a" -p "$WL_PID" -d 5 -f json -o "$TMP/a.json"
wait $LP
shares_ok "default bursts" "$TMP/a.json"
check "the attach line says bursts of 10 ms, at most 3%" \
	grep -q 'in bursts of 10 ms, at most 3% of the time' "$TMP/a.stderr"
line=$(grep 'sampled in' "$TMP/a.stderr")
check "it says how much it saw: $line" \
	grep -Eq 'sampled in [0-9]+ bursts, attached [0-9.]+ s of 5\.[0-9] s \(([0-4]\.[0-9]|5\.0)%\): [1-9][0-9]* allocation calls seen' "$TMP/a.stderr"
check "after the trace, no breakpoint is left in malloc (first byte $(first_byte "$WL_PID"), was $orig)" \
	[ "$(first_byte "$WL_PID")" = "$orig" -a -n "$orig" -a "$orig" != cc ]

# uprobe_multi links where the kernel has them (6.6 on); perf-event uprobes
# before (LATPROF_NO_UPROBE_MULTI takes that path here): the same shares.
kv=$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')
if [ "$kv" -ge 6006 ]; then
	check "on $(uname -r), uprobe_multi links" grep -q 'of the time (uprobe_multi)' "$TMP/a.stderr"
else
	check "on $(uname -r), perf-event uprobes" grep -q 'of the time (perf-event uprobes)' "$TMP/a.stderr"
fi
if [ "$kv" -ge 6006 ]; then
	steady 4
	LATPROF_NO_UPROBE_MULTI=1 traced "$TMP/p" -p "$WL_PID" -d 2 -f json -o "$TMP/p.json"
	wait $LP
	check "without uprobe_multi: perf-event uprobes" grep -q 'of the time (perf-event uprobes)' "$TMP/p.stderr"
	shares_ok "perf-event uprobes" "$TMP/p.json"
fi

# The same load traced on every call: the same shares (the exact reference).

steady 5
sleep 0.3
traced "$TMP/e" -p "$WL_PID" --every-call -d 2 -f json -o "$TMP/e.json"
wait $LP
shares_ok "--every-call" "$TMP/e.json"

# A thread started after attach is covered, and charged to itself.
wait_steady
# One burst of 2 s from the attach, so the thread starts inside it (where
# detaching takes a grace period per function, before 6.6, the next burst
# comes after the thread's 3 s).
traced "$TMP/t" -p "$WL_PID" --burst 2000 --duty 50 -d 4 -f json -o "$TMP/t.json"
steady 3 thread
wait $LP
shares_ok "a thread started after attach" "$TMP/t.json"
check "... charged to that thread, not the main one" \
	[ "$(jq '[.stacks[] | select(any(.frames[][0]; . == "steady_a")) | .tid != .pid] | all' "$TMP/t.json")" = true ]

# Mid-burst (one burst of 2 s at attach), the uprobe is on malloc; SIGINT
# then takes it off, and the profile is written.

steady 6
traced "$TMP/i" -p "$WL_PID" --burst 2000 --duty 50 -d 30 -f json -o "$TMP/i.json"
sleep 0.5
mid=$(first_byte "$WL_PID")
kill -INT $LP
wait $LP
rc=$?
check "mid-burst, malloc starts with a breakpoint (int3: cc, got $mid)" [ "$mid" = cc ]
check "SIGINT mid-burst: exit 0 ($rc), the profile written" [ "$rc" = 0 -a -s "$TMP/i.json" ]
check "... and malloc's first byte is its own again ($(first_byte "$WL_PID"))" [ "$(first_byte "$WL_PID")" = "$orig" ]

# kill -9 mid-burst: the kernel takes the links down with latprof's fds.
traced "$TMP/k" -p "$WL_PID" --burst 2000 --duty 50 -d 30 -o /dev/null
sleep 0.5
mid=$(first_byte "$WL_PID")
kill -9 $LP
wait $LP 2>/dev/null
sleep 0.5
check "kill -9 mid-burst (int3 before: $mid): malloc's first byte is its own ($(first_byte "$WL_PID"))" \
	[ "$mid" = cc -a "$(first_byte "$WL_PID")" = "$orig" ]
check "... no alloc program is left" \
	[ "$(bpftool -j prog show 2>/dev/null | jq '[.[] | select(.name == "alloc_entry")] | length')" = 0 ]

# --leaks (every call) over a large live set: at the end the uprobes go
# first, then latprof reads the 300,000 live blocks (about 2 s here): the
# target runs untraced while it reads, and the window ends at the detach.
wait_steady
traced "$TMP/l" -p "$WL_PID" --leaks -v -d 600 -f json -o "$TMP/l.json"
t0=$EPOCHREALTIME
rounds_before=$(grep -c '^done' "$TMP/out")
echo "hold 300000" >&7
# The window ends when the test says (SIGINT), after hold() is done.
for _ in $(seq 1200); do [ "$(grep -c '^done' "$TMP/out")" -gt "$rounds_before" ] && break; sleep 0.05; done
sleep 0.5
t1=$EPOCHREALTIME
kill -INT $LP
# Detaching takes a grace period per link (before 6.6, some 40 of them for
# --leaks): look once latprof says it has detached, while it reads.
for _ in $(seq 600); do
	grep -q 'detached the uprobes' "$TMP/l.stderr" && break
	kill -0 $LP 2>/dev/null || break
	sleep 0.05
done
if kill -0 $LP 2>/dev/null; then
	check "--leaks, reading after the window: malloc's first byte is its own ($(first_byte "$WL_PID"))" \
		[ "$(first_byte "$WL_PID")" = "$orig" ]
else
	check "--leaks: latprof still reading after it detached (else this test proves nothing)" false
fi
wait $LP
d=$(jq .duration_s "$TMP/l.json")
w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
check "--leaks: the window is the $w s traced to SIGINT ($d s), not the read after it" \
	awk -v d="$d" -v w="$w" 'BEGIN { exit !(d >= w - 0.2 && d <= w + 0.6) }'
check "--leaks: hold()'s 300000 blocks all found" \
	[ "$(jq '[.stacks[] | select(any(.frames[][0]; . == "hold")) | .count] | add' "$TMP/l.json")" = 300000 ]

# The target exits mid-burst: latprof ends with it and keeps what it saw.
# One burst for the whole trace: the exit falls inside it.
traced "$TMP/x" -p "$WL_PID" --burst 10000 --duty 50 -d 30 -f json -o "$TMP/x.json"
steady 2
exec 7>&- # EOF after that steady run: allocwl exits
wait $LP
rc=$?
check "target exited mid-burst: exit 0 ($rc)" [ "$rc" = 0 ] || diag <"$TMP/x.stderr"
check "... latprof says every target has exited" grep -q 'every target has exited' "$TMP/x.stderr"
shares_ok "target exited mid-trace: its bursts kept" "$TMP/x.json"

# Bad options: one line, exit 2.
"$LATPROF" alloc -p $$ --leaks --burst 10 -d 1 2>"$TMP/o1"
rc=$?
check "--leaks --burst: exit 2 ($rc), one line ($(head -1 "$TMP/o1"))" [ $rc = 2 -a "$(wc -l <"$TMP/o1")" = 1 ]
"$LATPROF" alloc -p $$ --duty 0 -d 1 2>"$TMP/o2"
rc=$?
check "--duty 0: exit 2 ($rc: $(head -1 "$TMP/o2"))" [ $rc = 2 ]
"$LATPROF" alloc --kernel --every-call -d 1 2>"$TMP/o3"
rc=$?
check "--kernel --every-call: exit 2 ($rc: $(head -1 "$TMP/o3"))" [ $rc = 2 ]
done_testing
