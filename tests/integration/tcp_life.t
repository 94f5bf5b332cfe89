#!/bin/bash
# latprof tcp --life: one line per closed connection, against tcpwl's known
# traffic: client_life() sends exactly N bytes and receives exactly M.
. tests/integration/lib.sh
need_bpf
PORT=$((20000 + ($$ + 7) % 20000))
N=100000 M=2500

WL_BIN="$WL/tcpwl" start_wl life $N $M "$PORT"
trace "$TMP/l" tcp --life -p "$WL_PID" -d 2
client=$(grep -E " 127\.0\.0\.1:$PORT +[0-9]+ +[0-9]+ +[0-9.]+\$" "$TMP/l.stdout")
server=$(grep -E "^[0-9]+ +tcpwl +127\.0\.0\.1:$PORT " "$TMP/l.stdout")
check "client's line: sent $N, received $M ($client)" \
	[ "$(awk '{ print $5 "/" $6 }' <<<"$client")" = "$N/$M" ]
check "server's line: sent $M, received $N ($server)" \
	[ "$(awk '{ print $5 "/" $6 }' <<<"$server")" = "$M/$N" ]
check "pid and comm of the owner" [ "$(awk '{ print $1 " " $2 }' <<<"$client")" = "$WL_PID tcpwl" ]
check "a header names the columns" grep -q '^PID .*TX_BYTES *RX_BYTES *MS$' "$TMP/l.stdout"

WL_BIN="$WL/tcpwl" start_wl -6 life $N $M "$((PORT + 1))"
trace "$TMP/v" tcp --life -D "$((PORT + 1))" -p "$WL_PID" -d 2
check "IPv6 ::1 and -D: only the client's line, sent $N, received $M" \
	[ "$(tail -n +2 "$TMP/v.stdout" | awk '{ print $4 " " $5 "/" $6 }')" = "[::1]:$((PORT + 1)) $N/$M" ]
[ "$_failed" -eq 0 ] || { cat "$TMP/v.stdout" "$TMP/v.stderr"; } | diag

WL_BIN="$WL/tcpwl" start_wl life $N $M "$((PORT + 2))"
trace "$TMP/s" tcp --life -L "$((PORT + 2))" -p "$WL_PID" -d 2
check "-L: only the server's line" \
	[ "$(tail -n +2 "$TMP/s.stdout" | awk '{ print $3 " " $5 "/" $6 }')" = "127.0.0.1:$((PORT + 2)) $M/$N" ]
[ "$_failed" -eq 0 ] || { cat "$TMP/s.stdout" "$TMP/s.stderr"; } | diag
done_testing
