#!/bin/bash
# latprof tcp --wait: time in socket calls by stack and peer. Ground truth:
# tcpwl's server answers each 1-byte request 200 ms later, so the client
# blocks in recv() inside wait_reply() for 200 ms, 5 times.
. tests/integration/lib.sh
need_bpf
PORT=$((20000 + ($$ + 13) % 20000))
sum() { jq "[.stacks[] | select($1) | .$2] | add // 0" "$3"; }
sel="(.frames[0][0] == \"[recvfrom 127.0.0.1:$PORT]\") and ([.frames[][0]] | index(\"wait_reply\"))"

WL_BIN="$WL/tcpwl" start_wl delay 5 "$PORT"
trace "$TMP/w" tcp --wait -p "$WL_PID" -d 2.5 -f json -o "$TMP/w.json"
x=$(sum "$sel" total "$TMP/w.json")
w=$(wl_clock wait_reply)
check "wait_reply blocked in recv on 127.0.0.1:$PORT: 5 x 200 ms, the workload's clock $w us +-10% ($x us)" \
	near "$x" 10 wait_reply
check "5 calls" [ "$(sum "$sel" count "$TMP/w.json")" = 5 ]
check "their bytes: 5" [ "$(sum "$sel" total2 "$TMP/w.json")" = 5 ]
p50=$(jq "[.stacks[] | select($sel) | .hist[] | select(.[2] > 0) | .[0]] | min" "$TMP/w.json")
w=$(awk '$1 == "call" && $2 == "wait_reply" { if (m == "" || $3 < m) m = $3 } END { print m + 0 }' "$WL_OUT")
check "the shortest call's bucket starts within 10% below the workload's shortest, $w us ($p50 us)" \
	awk -v v="$p50" -v w="$w" 'BEGIN { exit !(v >= 0.9 * w && v <= 1.01 * w) }'
check "the server's accept is named with the client's address" \
	[ "$(jq -r '[.stacks[].frames[0][0] | select(startswith("[accept 127.0.0.1:"))] | length' "$TMP/w.json")" -ge 1 ]
# --rtt: the smoothed RTT of the same traffic, per peer; loopback's is tens of us.
WL_BIN="$WL/tcpwl" start_wl delay 5 "$((PORT + 1))"
trace "$TMP/r" tcp --rtt -D "$((PORT + 1))" -d 2.5 -f json -o "$TMP/r.json"
rsel=".frames[0][0] == \"[rtt 127.0.0.1:$((PORT + 1))]\""
n=$(sum "$rsel" count "$TMP/r.json")
check "--rtt: RTT samples for 127.0.0.1:$((PORT + 1)) ($n, at least the 5 replies)" [ "$n" -ge 5 ]
hi=$(jq "[.stacks[] | select($rsel) | .hist[] | .[1]] | max" "$TMP/r.json")
check "--rtt: loopback RTT under 1 ms (highest bucket ends at $hi us)" [ "${hi:-999999}" -le 1000 ]
"$LATPROF" tcp --rtt -p 1 -d 1 2>"$TMP/rp.err"
check "--rtt with -p: usage error saying to use -L/-D" grep -q "pick connections with -L/-D" "$TMP/rp.err"

"$LATPROF" tcp --wait --life -d 1 2>"$TMP/u.err"
check "--wait with --life: usage error" [ $? -eq 2 ]

# The mechanism chosen, as -v reports it: fentry/fexit on the socket syscalls
# where the kernel has BPF trampolines, else the syscall tracepoints.
"$LATPROF" tcp --wait -v -p "$$" -d 0.2 -q -o /dev/null 2>"$TMP/v.err"
check "the socket-syscall mechanism is reported ($(grep -o 'socket syscalls: [a-z/]*' "$TMP/v.err" | head -1))" \
	grep -Eq 'attached: socket syscalls: (fentry/fexit|tracepoints);' "$TMP/v.err"
done_testing
