#!/bin/bash
# latprof func: calls of known functions, counted and timed by the workload
# itself (tests/workloads/funcwl.c, wlclock.h):
#   calls    slow_op() sleeps 20 ms, 30 times from caller_a(), 20 from caller_b()
#   fib      fib_like(12), recursive: the calls at each depth, as it counts them
#   threads  4 threads, 25 calls of thread_op() (5 ms) each
#   lib      lt_shared_nap(10) in libltshared.so, dlopen()ed, 20 times
#   jump     jump_op() longjmp()s out 10 times; then slow_op() 5 times
#   usdt     30 requests between USDT probes ltwl:req__start(id, name) and
#            ltwl:req__done, 10 ms each, named alpha, beta, gamma in turn; a
#            semaphore-guarded ltwl:tick that fires only while traced; and
#            ltwl:mem(id, name) from an -O0 function (arguments in memory)
# Tolerances: call counts exact; times within 10% of the workload's clock.
. tests/integration/lib.sh
need_bpf
WL_BIN=$WL/funcwl

# fjq JSON FILTER: jq over latprof's json output (.stacks[] with frames, count, total).
fjq() { jq -r "$2" "$1"; }
# under JSON CALLER LEAF FIELD: FIELD (count/total) summed over stacks whose
# leaf is LEAF and whose frame above it is CALLER
under() {
	jq --arg c "$2" --arg l "$3" --arg f "$4" \
		'[.stacks[] | select(.frames[-1][0] == $l and .frames[-2][0] == $c) | .[$f]] | add // 0' "$1"
}

# --- calls: by caller, counts exact, times by the workload's clock
start_wl calls
trace "$TMP/c" func -p "$WL_PID" -d 10 -f json -o "$TMP/c.json" slow_op
check "calls: latprof exits 0" [ "$LP_RC" -eq 0 ] || tail -5 "$TMP/c.stderr" | diag
wl_clock slow_op_a >/dev/null
for c in a b; do
	n=$(under "$TMP/c.json" "caller_$c" slow_op count)
	t=$(under "$TMP/c.json" "caller_$c" slow_op total)
	w=$(wl_clock "slow_op_$c" 3)
	want=$([ $c = a ] && echo 30 || echo 20)
	check "calls: slow_op from caller_$c: $n calls (the workload made $want)" [ "$n" = "$want" ]
	check "calls: slow_op from caller_$c: $t ns, the workload's clock $w us (10%)" \
		within "$((t / 1000))" "$w" 10
done
check "calls: the attach line names the file and its inode" \
	grep -Eq 'attached \(1 function in .*funcwl \(dev [0-9]+:[0-9]+ inode [0-9]+\)' "$TMP/c.stderr"

# --- recursion: calls at each depth exactly (stacks through pending uretprobes)
start_wl fib
trace "$TMP/f" func -p "$WL_PID" -d 10 -f json -o "$TMP/f.json" fib_like
wl_clock x >/dev/null 2>&1
got=$(jq -r '[.stacks[] | {d: ([.frames[][0]] | map(select(. == "fib_like")) | length), c: .count}] |
	group_by(.d)[] | "\(.[0].d) \(map(.c) | add)"' "$TMP/f.json" | tr '\n' ' ')
want=$(awk '$1 == "fib" && $2 ~ /^[0-9]+$/ { printf "%s %s ", $2, $3 }' "$WL_OUT")
check "fib: calls per depth as the workload counted them (depth calls): $got" [ "$got" = "$want" ] ||
	echo "the workload: $want" | diag
deep=$(jq '[.stacks[] | select([.frames[][0]] | index("main") != null)] | length' "$TMP/f.json")
all=$(jq '.stacks | length' "$TMP/f.json")
check "fib: every stack reaches main, through the probed calls above it ($deep of $all)" \
	[ "$deep" = "$all" ]

# --- threads
start_wl threads
trace "$TMP/t" func -p "$WL_PID" -d 10 -f json -o "$TMP/t.json" thread_op
wl_clock thread_op >/dev/null
per=$(jq -r '[.stacks[] | select(.frames[-1][0] == "thread_op")] | group_by(.tid)[] | map(.count) | add' "$TMP/t.json" | sort | tr '\n' ' ')
check "threads: 25 calls in each of 4 threads ($per)" [ "$per" = "25 25 25 25 " ]
t=$(jq '[.stacks[] | select(.frames[-1][0] == "thread_op") | .total] | add // 0' "$TMP/t.json")
w=$(wl_clock thread_op 3)
check "threads: $t ns, the workload's clock $w us (10%)" within "$((t / 1000))" "$w" 10

# --- a function of a shared library, named by the library
start_wl lib "$PWD/$WL/libltshared.so"
kill -USR1 "$WL_PID"
for _ in $(seq 100); do grep -q loaded "$WL_OUT" && break; sleep 0.05; done
trace "$TMP/l" func -p "$WL_PID" -d 10 -f json -o "$TMP/l.json" ltshared:lt_shared_nap
wl_clock lt_shared_nap >/dev/null
n=$(jq '[.stacks[] | select(.frames[-1][0] == "lt_shared_nap") | .count] | add // 0' "$TMP/l.json")
t=$(jq '[.stacks[] | select(.frames[-1][0] == "lt_shared_nap") | .total] | add // 0' "$TMP/l.json")
w=$(wl_clock lt_shared_nap 3)
check "lib: ltshared:lt_shared_nap: $n calls (20)" [ "$n" = 20 ]
check "lib: $t ns, the workload's clock $w us (10%)" within "$((t / 1000))" "$w" 10
check "lib: called from main" [ "$(under "$TMP/l.json" main lt_shared_nap count)" = 20 ]

# --- the binary replaced on disk while it runs (a package upgrade): the
# probes go on the inode the process maps, which the attach line names
cp "$WL/funcwl" "$TMP/funcwl-copy"
WL_BIN=$TMP/funcwl-copy start_wl calls
ino=$(stat -L -c %i "/proc/$WL_PID/exe")
cp /bin/true "$TMP/funcwl-new" && mv -f "$TMP/funcwl-new" "$TMP/funcwl-copy"
trace "$TMP/r" func -p "$WL_PID" -d 10 -f json -o "$TMP/r.json" slow_op
n=$(jq '[.stacks[] | select(.frames[-1][0] == "slow_op") | .count] | add // 0' "$TMP/r.json")
check "replaced on disk (now inode $(stat -c %i "$TMP/funcwl-copy")): the running inode $ino probed, 50 calls ($n)" \
	[ "$n" = 50 ]
check "replaced on disk: the attach line names inode $ino" grep -q "inode $ino)" "$TMP/r.stderr" ||
	grep attached "$TMP/r.stderr" | diag

# --- calls that never return
start_wl jump
trace "$TMP/j" func -v -p "$WL_PID" -d 10 -f json -o "$TMP/j.json" jump_op slow_op
wl_clock slow_op_a >/dev/null
check "jump: the 10 longjmp()s out of jump_op are reported as never returned" \
	grep -q '10 calls never returned' "$TMP/j.stderr"
check "jump: no jump_op call in the profile" \
	[ "$(jq '[.stacks[] | select(.frames[-1][0] == "jump_op")] | length' "$TMP/j.json")" = 0 ]
check "jump: slow_op after them: 5 calls" [ "$(under "$TMP/j.json" caller_a slow_op count)" = 5 ]

# --- globs, --count, -M
start_wl calls
trace "$TMP/g" func -p "$WL_PID" -d 10 -f json -o "$TMP/g.json" 'caller_?'
n=$(fjq "$TMP/g.json" '[.stacks[] | "\(.frames[-1][0])=\(.count)"] | sort | join(" ")')
check "glob: 'caller_?' probes caller_a and caller_b: $n" [ "$n" = "caller_a=30 caller_b=20" ]
start_wl calls
trace "$TMP/n" func --count -p "$WL_PID" -d 10 -f json -o "$TMP/n.json" slow_op
n=$(fjq "$TMP/n.json" '[.stacks[] | "\(.frames[-2][0])=\(.count)"] | sort | join(" ")')
check "--count: calls by the stack at the entry: $n" [ "$n" = "caller_a=30 caller_b=20" ]
check "--count: the unit is calls" [ "$(fjq "$TMP/n.json" .unit)" = calls ]
start_wl calls
trace "$TMP/m" func -M 1000000 -p "$WL_PID" -d 10 -f json -o "$TMP/m.json" slow_op
check "-M 1 ms: none of the 20 ms calls" [ "$(jq '.stacks | length' "$TMP/m.json")" = 0 ]

# --- USDT: a span between two probes with a string argument as the root,
# and a probe guarded by its semaphore (fires only while latprof holds it)
start_wl usdt
trace "$TMP/s" func -p "$WL_PID" -d 10 -f json -o "$TMP/s.json" \
	--span usdt:ltwl:req__start,usdt:ltwl:req__done --arg 1:str
for _ in $(seq 100); do grep -q '^ticks' "$WL_OUT" && break; sleep 0.05; done
kill -USR1 "$WL_PID"
for name in alpha beta gamma; do
	n=$(jq --arg r "\"$name\"" '[.stacks[] | select(.frames[0][0] == $r and .frames[-1][0] == "ltwl:req__start..req__done") | .count] | add // 0' "$TMP/s.json")
	t=$(jq --arg r "\"$name\"" '[.stacks[] | select(.frames[0][0] == $r) | .total] | add // 0' "$TMP/s.json")
	w=$(wl_clock "req_$name" 3)
	check "usdt --span --arg 1:str: \"$name\" is a root: $n spans (10)" [ "$n" = 10 ]
	check "usdt --span: \"$name\" $t ns, the workload's clock $w us (10%)" \
		within "$((t / 1000))" "$w" 10
done
check "usdt: the attach line counts the USDT probes in their file" \
	grep -Eq 'attached \(1 USDT probe in .*funcwl \(dev' "$TMP/s.stderr"
start_wl usdt
trace "$TMP/u" func -p "$WL_PID" -d 10 -f json -o "$TMP/u.json" usdt:ltwl:tick
for _ in $(seq 100); do grep -q '^ticks' "$WL_OUT" && break; sleep 0.05; done
kill -USR1 "$WL_PID"
for _ in $(seq 100); do grep -q '^sema_after' "$WL_OUT" && break; sleep 0.05; done
n=$(jq '[.stacks[] | select(.frames[-1][0] == "usdt:ltwl:tick" and .frames[-2][0] == "main") | .count] | add // 0' "$TMP/u.json")
ticks=$(awk '$1 == "ticks" { print $2 }' "$WL_OUT")
check "usdt: the semaphore-guarded tick fired while traced: $ticks times (30), latprof counted $n" \
	[ "$ticks,$n" = "30,30" ]
check "usdt: the semaphore is back to 0 after latprof exits ($(awk '$1 == "sema_after" { print $2 }' "$WL_OUT"))" \
	grep -qx 'sema_after 0' "$WL_OUT"
# Arguments in memory (an -O0 function: -4@-4(%rbp) 8@-16(%rbp)), as a string and an integer
for a in 1:str 0; do
	start_wl usdt
	trace "$TMP/m$a" func -p "$WL_PID" -d 10 -f json -o "$TMP/m$a.json" usdt:ltwl:mem --arg "$a"
	for _ in $(seq 100); do grep -q '^ticks' "$WL_OUT" && break; sleep 0.05; done
	kill -USR1 "$WL_PID"
	got=$(jq -r '[.stacks[] | select(.frames[-1][0] == "usdt:ltwl:mem") | {r: .frames[0][0], c: .count}] |
		group_by(.r)[] | "\(.[0].r)=\(map(.c) | add)"' "$TMP/m$a.json" | sort | tr '\n' ' ')
	if [ "$a" = 0 ]; then
		want=$(for i in $(seq 0 29); do echo "arg0=$i=1"; done | sort | tr '\n' ' ')
	else
		want='"alpha"=10 "beta"=10 "gamma"=10 '
	fi
	check "usdt --arg $a, arguments in memory: the roots and their hits ($got)" [ "$got" = "$want" ]
done

# --- the same calls as libbpf-tools funclatency counts on the same run
if command -v funclatency >/dev/null; then
	start_wl calls
	funclatency -p "$WL_PID" -d 6 ":slow_op" >"$TMP/fl.out" 2>&1 &
	fl=$!
	sleep 2
	trace "$TMP/b" func -p "$WL_PID" -d 10 -f json -o "$TMP/b.json" slow_op
	wait $fl
	theirs=$(awk '$2 == "->" && $4 == ":" { s += $5 } END { print s + 0 }' "$TMP/fl.out")
	ours=$(jq '[.stacks[].count] | add // 0' "$TMP/b.json")
	check "funclatency counted $theirs calls of slow_op on the same run, latprof $ours (50)" \
		[ "$ours,$theirs" = "50,50" ]
else
	ok 0 "# SKIP funclatency (libbpf-tools) is not installed"
fi

# --- bad input: one line, the right exit code
start_wl calls
"$LATPROF" func -p "$WL_PID" -d 1 slwo_op >"$TMP/e1.out" 2>&1
rc=$?
check "no such function: exit 1 ($rc)" [ "$rc" = 1 ]
check "no such function: one line naming the file searched and the closest name" \
	grep -Eq "^latprof: error: no function matches 'slwo_op' in .*funcwl or its [0-9]+ libraries \(pid $WL_PID\); closest: .*slow_op" "$TMP/e1.out" ||
	diag <"$TMP/e1.out"
"$LATPROF" func -p "$WL_PID" -d 1 inl_only >"$TMP/e6.out" 2>&1
check "a function only ever inlined (always_inline inl_only): said so, from the DWARF" \
	grep -Eq "^latprof: error: 'inl_only' exists only inlined in .*funcwl" "$TMP/e6.out" ||
	diag <"$TMP/e6.out"
"$LATPROF" func -p "$WL_PID" -d 1 nosuchlib:foo >"$TMP/e2.out" 2>&1
check "a library the process does not map: said so" \
	grep -q "maps no file of a library named 'nosuchlib'" "$TMP/e2.out"
"$LATPROF" func -p "$WL_PID" -d 1 >"$TMP/e3.out" 2>&1
rc=$?
check "no PROBE: a usage error, exit 2 ($rc)" [ "$rc" = 2 ]
# --list: the USDT probes as readelf reads the notes, and the functions a glob matches
"$LATPROF" func -p "$WL_PID" --list 'slow*' 'c:nanosleep' >"$TMP/list.out" 2>"$TMP/list.err"
ours=$(awk -F'\t' '/^usdt:/ { n = split($1, p, ":"); print p[n - 1] ":" p[n] " " $2 }' "$TMP/list.out" | sort)
theirs=$(readelf -n "$WL/funcwl" | awk '/Provider:/ { p = $2 } /Name:/ { n = $2 }
	/Arguments:/ { sub(/^ *Arguments: */, ""); print p ":" n " " ($0 == "" ? "(no arguments)" : $0) }' | sort)
if command -v readelf >/dev/null; then
	check "--list: the USDT probes and their argument specs as readelf reads them ($(echo "$ours" | wc -l))" \
		[ "${ours:-none}" = "$theirs" ] || { echo "$ours"; echo "readelf:"; echo "$theirs"; } | diag
else
	ok 0 "# SKIP --list against readelf: no readelf here (binutils)"
fi
check "--list: functions by glob, in the program and in libc" \
	sh -c "grep -q '^uprobe:.*funcwl:slow_op\$' '$TMP/list.out' && grep -q '^uprobe:.*libc.so.6:nanosleep\$' '$TMP/list.out'"
"$LATPROF" func -p "$WL_PID" -d 1 usdt:ltwl:nosuch >"$TMP/e4.out" 2>&1
check "usdt: no such probe: one line naming where it looked" \
	grep -Eq "^latprof: error: no USDT probe ltwl:nosuch in .*funcwl or its libraries" "$TMP/e4.out" ||
	diag <"$TMP/e4.out"
"$LATPROF" func -p "$WL_PID" -d 1 usdt:ltwl:tick slow_op >"$TMP/e5.out" 2>&1
rc=$?
check "usdt: counted probes with timed functions: a usage error (exit 2, $rc)" [ "$rc" = 2 ]
kill "$WL_PID" 2>/dev/null
done_testing
