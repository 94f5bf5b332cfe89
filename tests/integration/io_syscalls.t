#!/bin/bash
# latprof io --syscalls and --slower against iowl's known calls, on files in
# a directory on disk (not tmpfs). Ground truth: writer_sync() does 1 openat,
# 10 pwrite64 of 4 KiB and 10 fdatasync; reader() 20 pread64 of 4 KiB;
# writer_slow() 3 x (256 pwrite64 of 256 KiB, each well under 1 ms, then an
# fsync of the 64 MiB, tens of ms).
. tests/integration/lib.sh
need_bpf
D=$(mktemp -d /var/tmp/latprof-io.XXXXXX)
trap 'rm -rf "$D"; cleanup' EXIT
F=$D/sync.dat
sum() { jq "[.stacks[] | select($1) | .$2] | add // 0" "$3"; }
on() { printf '.frames[0][0] == "[%s %s]"' "$1" "$2"; }
has() { printf '([.frames[][0]] | index("%s"))' "$1"; }

WL_BIN="$WL/iowl" start_wl sync 10 "$F"
trace "$TMP/s" io --syscalls -p "$WL_PID" -d 2.5 -f json -o "$TMP/s.json"
check "10 pwrite64 on $F" [ "$(sum "$(on pwrite64 "$F")" count "$TMP/s.json")" = 10 ]
check "their bytes: 10 x 4096" [ "$(sum "$(on pwrite64 "$F")" total2 "$TMP/s.json")" = 40960 ]
check "10 fdatasync on $F" [ "$(sum "$(on fdatasync "$F")" count "$TMP/s.json")" = 10 ]
check "1 openat of $F" [ "$(sum "$(on openat "$F")" count "$TMP/s.json")" = 1 ]
check "all charged to main;writer_sync" \
	[ "$(sum "$(has writer_sync)" count "$TMP/s.json")" = 21 ]
check "the profile names its second unit" [ "$(jq -r .unit2 "$TMP/s.json")" = bytes ]
bad=$(jq '[.stacks[] | select(([.hist[][2]] | add // 0) != .count)] | length' "$TMP/s.json")
check "every histogram's buckets sum to its count ($bad differ)" [ "$bad" = 0 ]

# The last fallback of the syscall programs, raw_tp (fentry or tp_btf is
# chosen where the kernel has them).
WL_BIN="$WL/iowl" start_wl sync 10 "$F"
LATPROF_ATTACH=raw_tp trace "$TMP/sr" io --syscalls -v -p "$WL_PID" -d 2.5 -f json -o "$TMP/sr.json"
check "LATPROF_ATTACH=raw_tp: raw_syscalls by raw_tp ($(grep -o 'attached: syscalls: [^;]*' "$TMP/sr.stderr"))" \
	grep -q 'attached: syscalls: raw_syscalls.*(raw_tp)' "$TMP/sr.stderr"
check "raw_tp: 10 pwrite64 and 10 fdatasync on $F" \
	[ "$(sum "$(on pwrite64 "$F")" count "$TMP/sr.json")/$(sum "$(on fdatasync "$F")" count "$TMP/sr.json")" = 10/10 ]

R=$D/read.dat
dd if=/dev/zero of="$R" bs=4096 count=20 2>/dev/null
WL_BIN="$WL/iowl" start_wl read 20 "$R"
trace "$TMP/r" io --syscalls -p "$WL_PID" -d 2.5 -f json -o "$TMP/r.json"
check "20 pread64 on $R, 81920 bytes, from reader" \
	[ "$(sum "$(on pread64 "$R") and $(has reader)" count "$TMP/r.json")/$(sum "$(on pread64 "$R")" total2 "$TMP/r.json")" = 20/81920 ]

# An fd and an inode number reused (SQLite's -journal unlinked, then -wal):
# each file keeps its own name (2 fdatasyncs on -journal were named -wal).
J=$D/db
WL_BIN="$WL/iowl" start_wl reuse 3 "$J"
trace "$TMP/j" io --syscalls -p "$WL_PID" -d 2 -f json -o "$TMP/j.json"
read -r _ jfd jino <<<"$(grep '^journal ' "$WL_OUT")"
read -r _ wfd wino <<<"$(grep '^wal ' "$WL_OUT")"
check "-journal's 2 fdatasyncs named -journal (fd $jfd, inode $jino; -wal: fd $wfd, inode $wino)" \
	[ "$(sum "$(on fdatasync "$J-journal")" count "$TMP/j.json")" = 2 ]
check "-wal's 3 fdatasyncs named -wal" [ "$(sum "$(on fdatasync "$J-wal")" count "$TMP/j.json")" = 3 ]
if [ "$jfd/$jino" != "$wfd/$wino" ]; then
	ok 0 "# SKIP the filesystem of $D did not reuse the fd and inode: the checks above could not fail"
fi
jq -r '.stacks[].frames[0][0]' "$TMP/j.json" | sort | uniq -c | grep sync | diag

# 32-bit system calls (int $0x80) are numbered from another table: ia32's
# getpid is x86_64's writev. Neither is timed; the 64-bit pwrite64s are.
C=$D/compat.dat
WL_BIN="$WL/iowl" start_wl compat 200 "$C"
trace "$TMP/c" io --syscalls -p "$WL_PID" -d 2 -f json -o "$TMP/c.json"
ia32_check "$TMP/c.json" writev
check "200 pwrite64 on $C" [ "$(sum "$(on pwrite64 "$C")" count "$TMP/c.json")" = 200 ]

# Sockets are named by what they talk to, never by inode: a server's 40
# connections, each from a new ephemeral port, share one key (one per
# connection, named [dev 0:9 inode N] once closed, filled the maps under
# nginx). The listener is made after latprof starts.
IP=$((20000 + ($$ + 29) % 20000))
WL_BIN="$WL/tcpwl" start_wl conns 40 "$IP"
trace "$TMP/n" io --syscalls -p "$WL_PID" -d 4 -f json -o "$TMP/n.json"
rsel="([.frames[][0]] | index(\"serve_conn\")) and (.frames[0][0] | startswith(\"[read socket\"))"
f=$(jq -r "[.stacks[] | select($rsel) | .frames[0][0]] | unique | join(\",\")" "$TMP/n.json")
check "the server's reads on 40 connections: one key, the client's address and our port ($f)" \
	[ "$f" = "[read socket:tcp 127.0.0.1 on :$IP]" ]
check "40 reads ($(sum "$rsel" count "$TMP/n.json"))" [ "$(sum "$rsel" count "$TMP/n.json")" = 40 ]
# The same over a unix socket: named by its path, the server's connections
# (bound to it by accept) and the client's (its peer's) alike.
U=$D/srv.sock
WL_BIN="$WL/tcpwl" start_wl -u "$U" conns 40 0
trace "$TMP/u" io --syscalls -p "$WL_PID" -d 4 -f json -o "$TMP/u.json"
f=$(jq -r "[.stacks[] | select($rsel) | .frames[0][0]] | unique | join(\",\")" "$TMP/u.json")
check "unix: the server's reads on 40 connections, one key, the socket's path ($f)" \
	[ "$f" = "[read socket:unix $U]" ]
check "unix: 40 reads ($(sum "$rsel" count "$TMP/u.json"))" [ "$(sum "$rsel" count "$TMP/u.json")" = 40 ]
# An abstract name (a NUL, then the name) is shown as ss shows it: @NAME.
A="@lt-io-$$"
WL_BIN="$WL/tcpwl" start_wl -u "$A" conns 40 0
trace "$TMP/a" io --syscalls -p "$WL_PID" -d 4 -f json -o "$TMP/a.json"
f=$(jq -r "[.stacks[] | select($rsel) | .frames[0][0]] | unique | join(\",\")" "$TMP/a.json")
check "unix, abstract: the server's reads, one key, @name ($f)" [ "$f" = "[read socket:unix $A]" ]
check "unix, abstract: 40 reads ($(sum "$rsel" count "$TMP/a.json"))" [ "$(sum "$rsel" count "$TMP/a.json")" = 40 ]

# The --slower checks need fsync to cost something: a disk, not memory (as in
# make kmatrix's guests, whose root is in memory).
fstype=$(stat -f -c %T "$D" 2>/dev/null)
case $fstype in
tmpfs | ramfs | rootfs)
	ok 0 "# SKIP --slower: $D is on $fstype, where fsync costs nothing"
	;;
*)
	S=$D/slow.dat
	WL_BIN="$WL/iowl" start_wl slow 3 "$S"
	trace "$TMP/w" io --slower 5 -p "$WL_PID" -d 4
	# The workload timed each call itself: those of 5 ms or more must be
	# printed, those under not; a call within 5% of 5 ms may go either way.
	slow() { wl_calls "$1" "$2" 1e12 | cut -d' ' -f1; }
	lines=$(grep -c " fsync .* $S\$" "$TMP/w.stdout")
	lo=$(slow fsync 5250) hi=$(slow fsync 4750)
	check "--slower 5: the slow fsyncs printed, with their file ($lines; the workload's: $lo-$hi of 3)" \
		[ "$lines" -ge "$lo" -a "$lines" -le "$hi" -a "$lines" -ge 1 ]
	others=$(tail -n +2 "$TMP/w.stdout" | grep -vc " fsync ")
	lo=$(slow pwrite64 5250) hi=$(slow pwrite64 4750)
	check "--slower 5: nothing else but the pwrite64 calls that took 5 ms ($others other lines; the workload's: $lo-$hi of 768)" \
		[ "$others" -ge "$lo" -a "$others" -le "$hi" ]
	check "--slower: a header names the columns" grep -q '^TIME .*LAT(ms) *FILE$' "$TMP/w.stdout"
	grep -q fsync "$TMP/w.stdout" || head -5 "$TMP/w.stdout" "$TMP/w.stderr" | diag
	;;
esac
# The syscall mechanism chosen, as -v reports it: fentry/fexit where the
# kernel has BPF trampolines, else raw_syscalls.
"$LATPROF" io --syscalls -v -p "$$" -d 0.2 -q -o /dev/null 2>"$TMP/v.err"
check "the syscall attach mechanism is reported ($(grep -o 'attached: syscalls: [^;]*' "$TMP/v.err" | head -1))" \
	grep -Eq 'attached: syscalls: (fentry/fexit on 13 functions|raw_syscalls:sys_enter/sys_exit \((tp_btf|raw_tp)\) for 13 calls)' "$TMP/v.err"
done_testing
