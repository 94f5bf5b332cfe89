#!/bin/bash
# latprof tcp: connect latency, failed connects and retransmits, on loopback.
# Ground truth: tcpwl's listener has backlog 0 and accepts nothing for 300
# ms, so connect_fill() takes the queue's one slot and the SYN of
# connect_slow() is dropped: it connects on the SYN retransmit, 1 s later.
. tests/integration/lib.sh
need_bpf
PORT=$((20000 + $$ % 20000))
fsum_tab() { grep -E -- "$2" "$1" | awk '{ s += $NF } END { print s + 0 }'; }

WL_BIN="$WL/tcpwl" start_wl synretry "$PORT"
trace "$TMP/s" tcp -p "$WL_PID" -d 2.5 -o "$TMP/s.folded"
x=$(fsum_tab "$TMP/s.folded" "^tcpwl;\[connect 127\.0\.0\.1:$PORT\];.*;main;connect_slow;do_connect;connect;")
w=$(wl_clock connect_slow)
check "connect_slow to 127.0.0.1:$PORT: the SYN retransmit, the workload's clock $w us +-10%: $x us" near "$x" 10 connect_slow
y=$(fsum_tab "$TMP/s.folded" "^tcpwl;\[connect 127\.0\.0\.1:$PORT\];.*;main;connect_fill;do_connect;connect;")
check "connect_fill (a free queue slot): under 100 ms: $y us" [ "$y" -gt 0 -a "$y" -lt 100000 ]
check "the SYN retransmit counted for that peer, in SYN_SENT" \
	grep -Eq "^ +1  retransmit +SYN_SENT +127\.0\.0\.1:$PORT\$" "$TMP/s.stderr"
grep -q connect_slow "$TMP/s.folded" || cut -c1-300 "$TMP/s.folded" | diag

# 200 refused connects: one row for the peer and reason, not 200 (one per
# connection filled stderr with 2,000 rows for 2,000 connects).
RP=$((PORT + 1))
WL_BIN="$WL/tcpwl" start_wl refused "$RP" 200
trace "$TMP/r" tcp -p "$WL_PID" -D "$RP" -d 2 -f json -o "$TMP/r.json"
n=$(jq "[.stacks[] | select(.frames[0][0] == \"[connect failed (refused) 127.0.0.1:$RP]\" and ([.frames[][0]] | index(\"connect_refused\"))) | .count] | add" "$TMP/r.json")
check "200 refused connects counted as failed, with their reason and stack ($n)" [ "$n" = 200 ]
rows=$(grep -Ec "^ +[0-9]+  (retransmit|reset sent|reset received) +[A-Z_0-9]+ +127\.0\.0\.1:$RP\$" "$TMP/r.stderr")
check "the resets received: one row, the peer and reason ($rows rows)" \
	[ "$(grep -Ec "^ +200  reset received +SYN_SENT +127\.0\.0\.1:$RP\$" "$TMP/r.stderr")" = 1 -a "$rows" = 1 ]
grep -q "reset received" "$TMP/r.stderr" || diag <"$TMP/r.stderr"
# The summary shows each row's pseudo-frame, the peer and reason, first
# (rows of different peers looked identical without it).
check "the summary row names the peer and reason before the frames" \
	grep -Eq "^ +\[connect failed \(refused\) 127\.0\.0\.1:$RP\]  connect <- do_connect <- connect_refused" "$TMP/r.stderr"
WL_BIN="$WL/tcpwl" start_wl refused "$RP" 30
trace "$TMP/rc" tcp --per-connection --top 5 -p "$WL_PID" -D "$RP" -d 2 -o /dev/null
check "--per-connection: a row per connection, the --top 5 shown ($(grep -Ec "  reset received +SYN_SENT +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:$RP\$" "$TMP/rc.stderr"))" \
	[ "$(grep -Ec "^ +1  reset received +SYN_SENT +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:$RP\$" "$TMP/rc.stderr")" = 5 ]
check "and how many more: 25 rows, 25 events" grep -q "^\.\.\. 25 more rows, 25 events" "$TMP/rc.stderr"

# A SYN never answered, its socket closed by the caller: reason "closed".
WL_BIN="$WL/tcpwl" start_wl abandon "$((PORT + 3))"
trace "$TMP/a" tcp -p "$WL_PID" -d 1.5 -o "$TMP/a.folded"
check "a connect given up before any answer: failed (closed), with its stack" \
	grep -Eq "^tcpwl;\[connect failed \(closed\) 127\.0\.0\.1:$((PORT + 3))\];.*;connect_abandon;.* [0-9]+\$" "$TMP/a.folded"
grep -q "closed" "$TMP/a.folded" || cut -c1-300 "$TMP/a.folded" | diag

WL_BIN="$WL/tcpwl" start_wl -6 synretry "$((PORT + 2))"
trace "$TMP/v" tcp -p "$WL_PID" -d 2.5 -o "$TMP/v.folded"
x=$(fsum_tab "$TMP/v.folded" "^tcpwl;\[connect \[::1\]:$((PORT + 2))\];.*;main;connect_slow;")
w=$(wl_clock connect_slow)
check "IPv6 ::1: connect_slow, the workload's clock $w us +-10%: $x us" near "$x" 10 connect_slow
# It failed once in a full run (0 us, the workload 1.03 s) and never alone:
# what latprof said and saw, to find out why.
[ "$x" -gt 0 ] || { cat "$TMP/v.stderr"; grep -v '^#' "$TMP/v.folded" | cut -c1-200; } | diag

"$LATPROF" tcp -D 70000 -d 1 2>"$TMP/p.err"
check "a port above 65535: usage error" [ $? -eq 2 ]
done_testing
