#!/bin/bash
# io, tcp and alloc on the frame-pointer unwinder alone (LATPROF_UNWIND=fp),
# as a kernel without bpf_loop or bpf_find_vma runs them: the core's loader
# (user/loader.c) falls back to it for every tool, not only offcpu
# (offcpu_fallbacks.t). Each loads, says so under -v, and counts what its
# workload did.
. tests/integration/lib.sh
need_bpf
D=$(mktemp -d /var/tmp/latprof-fp.XXXXXX)
trap 'rm -rf "$D"; cleanup' EXIT
sum() { jq "[.stacks[] | select($1) | .$2] | add // 0" "$3"; }
fp_line() { grep -o "loaded the $1 programs as [^;]*; user stacks: [a-zA-Z +]*" "$2"; }

# io --syscalls: iowl's writer_sync does 10 pwrite64 and 10 fdatasync.
F=$D/sync.dat
WL_BIN="$WL/iowl" start_wl sync 10 "$F"
LATPROF_UNWIND=fp trace "$TMP/io" io --syscalls -v -p "$WL_PID" -d 2.5 -f json -o "$TMP/io.json"
check "io: loaded with frame pointers only ($(fp_line io "$TMP/io.stderr"))" \
	grep -q 'loaded the io programs as .*; user stacks: frame pointers$' "$TMP/io.stderr"
n=$(sum ".frames[0][0] == \"[pwrite64 $F]\"" count "$TMP/io.json")/$(sum ".frames[0][0] == \"[fdatasync $F]\"" count "$TMP/io.json")
check "io: 10 pwrite64 and 10 fdatasync ($n)" [ "$n" = 10/10 ]

# tcp --wait: tcpwl's client blocks in recv 5 times for the server's reply.
PORT=$((20000 + ($$ + 41) % 20000))
WL_BIN="$WL/tcpwl" start_wl delay 5 "$PORT"
LATPROF_UNWIND=fp trace "$TMP/tcp" tcp --wait -v -p "$WL_PID" -d 2.5 -f json -o "$TMP/tcp.json"
check "tcp: loaded with frame pointers only ($(fp_line tcp "$TMP/tcp.stderr"))" \
	grep -q 'loaded the tcp programs as .*; user stacks: frame pointers$' "$TMP/tcp.stderr"
n=$(sum ".frames[0][0] == \"[recvfrom 127.0.0.1:$PORT]\"" count "$TMP/tcp.json")
check "tcp: 5 recvfrom on 127.0.0.1:$PORT ($n)" [ "$n" = 5 ]
# (glibc's recv keeps no frame: the frame-pointer walk skips its caller, wait_reply)
x=$(sum ".frames[0][0] == \"[recvfrom 127.0.0.1:$PORT]\"" total "$TMP/tcp.json")
check "tcp: their time, $x us, is the workload's ($(wl_clock wait_reply) us) +-10%" near "$x" 10 wait_reply

# alloc: one round of allocwl makes 1000 malloc(4096) in alloc_hot().
start_rounds "$WL/allocwl"
LATPROF_UNWIND=fp "$LATPROF" alloc -v -p "$WL_PID" --every-call -d 2 -f json -o "$TMP/al.json" 2>"$TMP/al.stderr" &
lp=$!
for _ in $(seq 200); do grep -q attached "$TMP/al.stderr" && break; sleep 0.05; done
rounds 1
wait $lp
exec 7>&-
check "alloc: loaded with frame pointers only ($(fp_line alloc "$TMP/al.stderr"))" \
	grep -q 'loaded the alloc programs as .*; user stacks: frame pointers$' "$TMP/al.stderr"
n=$(jq '[.stacks[] | .hist[] | select(.[0] == 4096) | .[2]] | add // 0' "$TMP/al.json")
check "alloc: 1000 allocations of 4096 bytes ($n)" [ "$n" = 1000 ]
done_testing
