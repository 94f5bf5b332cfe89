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
check "wait_reply blocked in recv on 127.0.0.1:$PORT: 5 x 200 ms = 1 s +-10% ($x us)" \
	within "$x" 1000000 10
check "5 calls" [ "$(sum "$sel" count "$TMP/w.json")" = 5 ]
check "their bytes: 5" [ "$(sum "$sel" total2 "$TMP/w.json")" = 5 ]
p50=$(jq "[.stacks[] | select($sel) | .hist[] | select(.[2] > 0) | .[0]] | min" "$TMP/w.json")
check "each call's bucket starts within 10% below 200 ms ($p50 us)" \
	awk -v v="$p50" 'BEGIN { exit !(v >= 180000 && v <= 205000) }'
check "the server's accept is named with the client's address" \
	[ "$(jq -r '[.stacks[].frames[0][0] | select(startswith("[accept 127.0.0.1:"))] | length' "$TMP/w.json")" -ge 1 ]
"$LATPROF" tcp --wait --life -d 1 2>"$TMP/u.err"
check "--wait with --life: usage error" [ $? -eq 2 ]
done_testing
