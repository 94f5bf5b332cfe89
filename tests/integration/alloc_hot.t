#!/bin/bash
# latprof alloc --every-call against allocwl, attached after it started: each
# round makes 1000 x 4096 bytes in alloc_hot(), 10000 x 32 in alloc_small()
# and 100 x 1024 in alloc_leak(), all with malloc. Exact counts need every
# call; the default (bursts) is alloc_burst.t's.
. tests/integration/lib.sh
need_bpf
# sum FUNCTION FIELD FILE: over the malloc-family samples (not [mmap]/[brk]
# ones, which come first as a pseudo-frame) whose stack has FUNCTION
sum() { jq "[.stacks[] | select(.frames[0][1] != \"pseudo\" and ([.frames[][0]] | index(\"$1\"))) | .$2] | add // 0" "$3"; }
# C++ frames are demangled with their parameters: cxx_array()
sumcxx() { jq "[.stacks[] | select(any(.frames[][0]; startswith(\"$1(\"))) | .$2] | add // 0" "$3"; }

# traced OUT ARGS...: latprof alloc in the background until it says attached
traced() {
	local out=$1; shift
	"$LATPROF" alloc "$@" 2>"$out.stderr" &
	LP=$!
	for _ in $(seq 200); do grep -q attached "$out.stderr" && break; sleep 0.05; done
}

start_rounds "$WL/allocwl"
rounds 1 # running steadily before latprof attaches: no restart needed
traced "$TMP/a" -p "$WL_PID" --every-call -d 3 -f json -o "$TMP/a.json"
rounds 1
wait $LP
check "alloc_hot: exactly 1000 allocations, 4096000 bytes" \
	[ "$(sum alloc_hot count "$TMP/a.json")/$(sum alloc_hot total "$TMP/a.json")" = 1000/4096000 ]
check "alloc_small: exactly 10000 allocations, 320000 bytes" \
	[ "$(sum alloc_small count "$TMP/a.json")/$(sum alloc_small total "$TMP/a.json")" = 10000/320000 ]
check "alloc_leak: exactly 100 allocations, 102400 bytes" \
	[ "$(sum alloc_leak count "$TMP/a.json")/$(sum alloc_leak total "$TMP/a.json")" = 100/102400 ]
check "the size histogram of alloc_hot: all 1000 in the 4096 bucket" \
	[ "$(jq -c '[.stacks[] | select(([.frames[][0]] | index("alloc_hot"))) | .hist] | add' "$TMP/a.json")" = '[[4096,4608,1000]]' ]
check "attached to glibc's allocator" grep -q 'attached (uprobes on [0-9]* allocation functions in .*libc.so.6, on every call' "$TMP/a.stderr"

# A thread created after attach is covered: uprobes filter by process.
traced "$TMP/t" -p "$WL_PID" --every-call -d 2 -f json -o "$TMP/t.json"
echo thread >&7
sleep 0.5
wait $LP
check "a thread started after attach: thread_round's 1000 x 4096" \
	[ "$(sum thread_round count "$TMP/t.json")/$(sum thread_round total "$TMP/t.json")" = 1000/4096000 ]
check "... charged to that thread, not the main one" \
	[ "$(jq '[.stacks[] | select([.frames[][0]] | index("thread_round")) | .tid != .pid] | all' "$TMP/t.json")" = true ]

# --sample-rate 16 over 10 rounds: each sampled call stands for 16. The
# estimate of N calls has a standard deviation of sqrt(15 N); allowed: 4 of
# them (a false failure once in 15,000 runs).
traced "$TMP/s" -p "$WL_PID" --every-call --sample-rate 16 -d 4 -f json -o "$TMP/s.json"
rounds 10
wait $LP
for f in alloc_hot:10000 alloc_small:100000; do
	n=$(sum "${f%%:*}" count "$TMP/s.json")
	check "--sample-rate 16: ${f%%:*} estimated $n calls of ${f#*:} (4 sd = $(awk -v n="${f#*:}" 'BEGIN { printf "%d", 4 * sqrt(15 * n) }'))" \
		awk -v g="$n" -v n="${f#*:}" 'BEGIN { d = g - n; if (d < 0) d = -d; exit !(d <= 4 * sqrt(15 * n)) }'
done

# --leaks: exactly the blocks never freed: alloc_leak()'s 100 x 1024 a round.
traced "$TMP/l" -p "$WL_PID" --leaks -d 3 -f json -o "$TMP/l.json"
rounds 2
wait $LP
check "--leaks: 200 x 1024 bytes from alloc_leak over 2 rounds" \
	[ "$(sum alloc_leak count "$TMP/l.json")/$(sum alloc_leak total "$TMP/l.json")" = 200/204800 ]
check "--leaks: nothing else (everything else was freed)" \
	[ "$(jq '[.stacks[] | select(([.frames[][0]] | index("alloc_leak")) | not) | .count] | add // 0' "$TMP/l.json")" = 0 ]
# --min-age: a round, 2.5 s, another round, the end 1 s later: only the
# first round's are old enough, with a second's margin either side (an
# emulated guest runs the rounds late by hundreds of ms).
traced "$TMP/m" -p "$WL_PID" --leaks --min-age 2000 -i 0.5 -d 3.5 -f json -o "$TMP/m.json"
rounds 1
sleep 2.5
rounds 1
wait $LP
n=$(sum alloc_leak count "$TMP/m.json")
check "--leaks --min-age 2000: only the older round's 100 (about 3.4 s old; the other 1 s): $n" [ "$n" = 100 ]
check "--leaks -i: outstanding bytes at each interval" \
	grep -Eq 'outstanding in [0-9]+ allocations' "$TMP/m.stderr"

# mmap: glibc serves a 64 MiB malloc with mmap; --hot shows both, and
# --leaks nothing once free() has unmapped it.
traced "$TMP/b" -p "$WL_PID" --every-call -d 2 -f json -o "$TMP/b.json"
echo big >&7
sleep 0.5
wait $LP
m=$(jq '[.stacks[] | select(.frames[0][0] == "[mmap]" and ([.frames[][0]] | index("alloc_big"))) | .total] | add // 0' "$TMP/b.json")
check "alloc_big: the malloc of 64 MiB ($(sum alloc_big total "$TMP/b.json")) and its mmap (at least 64 MiB: $m)" \
	[ "$(sum alloc_big total "$TMP/b.json")" = 67108864 -a "$m" -ge 67108864 ]
traced "$TMP/bl" -p "$WL_PID" --leaks -d 2 -f json -o "$TMP/bl.json"
echo big >&7
sleep 0.5
wait $LP
check "--leaks: the 64 MiB mapping is gone after free (munmap)" \
	[ "$(jq '[.stacks[] | select([.frames[][0]] | index("alloc_big")) | .total] | add // 0' "$TMP/bl.json")" = 0 ]

# --faults: fault_pages() touches 400 new pages once each (no huge pages);
# its first call may fault its own code page in too.
traced "$TMP/f" -p "$WL_PID" --faults -d 2 -f json -o "$TMP/f.json"
echo faults >&7
rounds 0
sleep 0.5
wait $LP
n=$(sum fault_pages total "$TMP/f.json")
check "--faults: fault_pages() made 400 page faults (400-402): $n" [ "$n" -ge 400 -a "$n" -le 402 ]
check "--faults: the unit is faults" [ "$(jq -r .unit "$TMP/f.json")" = faults ]
# A count per event: the summary shows the count once, no percentiles of 1s
# (it read '93262 allocations    93262 1 allocations 1 allocations').
check "--faults summary: one column, the count ($(grep -E '^ +40[0-2]  allocwl ' "$TMP/f.stderr" | head -1 | cut -c1-40))" \
	grep -Eq '^ +40[0-2]  allocwl \[' "$TMP/f.stderr"
refute "--faults summary: no P50/P99" grep -q 'P50' "$TMP/f.stderr"
# --kernel: each pipe() allocates in the kernel (its pipe_inode_info with
# kmalloc, its buffers): at least one kernel allocation per pipe, charged to
# make_pipes() and pipe2.
traced "$TMP/k2" -p "$WL_PID" --kernel -d 2 -f json -o "$TMP/k2.json"
echo pipes >&7
sleep 0.8
wait $LP
if ! check "--kernel: latprof exits 0 and writes its profile" [ -s "$TMP/k2.json" ]; then
	grep -v '^libbpf: libbpf: *[0-9]' "$TMP/k2.stderr" | tail -5 | diag
	"$LATPROF" alloc --kernel -v -p $$ -d 0.1 -o /dev/null 2>&1 |
		grep -B12 -A2 -m3 'processed [0-9]* insns\|too large\|invalid\|unknown\|R[0-9].*!' | tail -40 | diag
fi
n=$(jq '[.stacks[] | select(([.frames[][0]] | index("make_pipes")) and (.frames[0][0] == "[kmalloc]")) | .count] | add // 0' "$TMP/k2.json")
check "--kernel: kmalloc calls under make_pipes(): at least 100 ($n)" [ "$n" -ge 100 ]
check "--kernel: kernel frames of the pipe syscall" \
	[ "$(jq '[.stacks[] | select([.frames[][0]] | index("make_pipes")) | .frames[] | select(.[1] == "kernel" and (.[0] | test("pipe")))] | length' "$TMP/k2.json")" -ge 1 ]

# --kernel --leaks: 50 pipes kept open hold their kernel memory; 100 closed
# ones gave theirs back (kfree).
traced "$TMP/kl" -p "$WL_PID" --kernel --leaks -d 2 -f json -o "$TMP/kl.json"
echo keep >&7
echo pipes >&7
sleep 0.8
wait $LP
kk() { jq "[.stacks[] | select(.frames[0][0] == \"[kmalloc]\" and ([.frames[][0]] | index(\"$1\"))) | .count] | add // 0" "$TMP/kl.json"; }
check "--kernel --leaks: keep_pipes()' 50 open pipes hold at least 50 kmallocs ($(kk keep_pipes))" \
	[ "$(kk keep_pipes)" -ge 50 ]
check "--kernel --leaks: make_pipes()' 100 closed pipes hold (nearly) none ($(kk make_pipes))" \
	[ "$(kk make_pipes)" -lt 10 ]

# The target exits mid-trace: latprof ends normally and keeps what it saw.
traced "$TMP/x" -p "$WL_PID" --every-call -d 3 -f json -o "$TMP/x.json"
rounds 1
exec 7>&- # EOF: allocwl exits
wait $LP
check "target exited mid-trace: exit 0 ($?) and its round kept" \
	[ "$(sum alloc_small count "$TMP/x.json")" = 10000 ]

# The same workload linked with jemalloc: its allocator is found and probed.
start_rounds "$WL/allocwl-je"
traced "$TMP/j" -p "$WL_PID" --every-call -d 3 -f json -o "$TMP/j.json"
rounds 1
wait $LP
exec 7>&-
check "jemalloc: attached to libjemalloc, not glibc" \
	grep -q 'attached (uprobes on [0-9]* allocation functions in .*libjemalloc' "$TMP/j.stderr"
check "jemalloc: alloc_hot 1000 x 4096, alloc_small 10000 x 32, alloc_leak 100 x 1024" \
	[ "$(sum alloc_hot total "$TMP/j.json")/$(sum alloc_small total "$TMP/j.json")/$(sum alloc_leak total "$TMP/j.json")" = 4096000/320000/102400 ]

# C++ new and delete (libstdc++'s operator new calls glibc's malloc).
start_rounds "$WL/allocwl-cxx"
traced "$TMP/c" -p "$WL_PID" --every-call -d 3 -f json -o "$TMP/c.json"
rounds 1
wait $LP
exec 7>&-
check "C++: cxx_array's 1000 x new char[4096]" \
	[ "$(sumcxx cxx_array count "$TMP/c.json")/$(sumcxx cxx_array total "$TMP/c.json")" = 1000/4096000 ]
check "C++: cxx_object's 500 x new Node (64 bytes)" \
	[ "$(sumcxx cxx_object count "$TMP/c.json")/$(sumcxx cxx_object total "$TMP/c.json")" = 500/32000 ]
check "C++: the stack goes through operator new" \
	[ "$(jq '[.stacks[] | select(any(.frames[][0]; startswith("cxx_array("))) | .frames[][0] | select(startswith("operator new"))] | length' "$TMP/c.json")" -ge 1 ]

# No uprobe is left behind, even when latprof is killed with SIGKILL.
start_rounds "$WL/allocwl"
traced "$TMP/k" -p "$WL_PID" --every-call -d 30 -q -o /dev/null
before=$(bpftool -j prog show 2>/dev/null | jq '[.[] | select(.name == "alloc_entry")] | length')
kill -9 $LP
wait $LP 2>/dev/null
sleep 0.5
after=$(bpftool -j prog show 2>/dev/null | jq '[.[] | select(.name == "alloc_entry")] | length')
check "while attached, its program is loaded ($before)" [ "$before" -ge 1 ]
check "after SIGKILL, no alloc program is left ($after)" [ "$after" = 0 ]
check "no uprobe left in uprobe_events" \
	sh -c '! grep -q . /sys/kernel/tracing/uprobe_events 2>/dev/null'
exec 7>&-
done_testing
