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
check "the SYN retransmit counted, on that connection, in SYN_SENT" \
	grep -Eq "^ +1  retransmit +SYN_SENT +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:$PORT\$" "$TMP/s.stderr"
check "and per peer" grep -Eq "^ +1 +0 +0  127\.0\.0\.1:$PORT\$" "$TMP/s.stderr"
grep -q connect_slow "$TMP/s.folded" || cut -c1-300 "$TMP/s.folded" | diag

WL_BIN="$WL/tcpwl" start_wl refused "$((PORT + 1))"
trace "$TMP/r" tcp -p "$WL_PID" -d 1.5 -o "$TMP/r.folded"
check "refused connect counted as failed, with its reason and stack" \
	grep -Eq "^tcpwl;\[connect failed \(refused\) 127\.0\.0\.1:$((PORT + 1))\];.*;main;connect_refused;do_connect;connect;.* [0-9]+\$" "$TMP/r.folded"

WL_BIN="$WL/tcpwl" start_wl -6 synretry "$((PORT + 2))"
trace "$TMP/v" tcp -p "$WL_PID" -d 2.5 -o "$TMP/v.folded"
x=$(fsum_tab "$TMP/v.folded" "^tcpwl;\[connect \[::1\]:$((PORT + 2))\];.*;main;connect_slow;")
w=$(wl_clock connect_slow)
check "IPv6 ::1: connect_slow, the workload's clock $w us +-10%: $x us" near "$x" 10 connect_slow

"$LATPROF" tcp -D 70000 -d 1 2>"$TMP/p.err"
check "a port above 65535: usage error" [ $? -eq 2 ]
done_testing
