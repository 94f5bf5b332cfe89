#!/bin/bash
# latprof io (block mode) on a loop device the test creates, formats and
# mounts, so nothing else writes to it; or on the whole disk that
# LATPROF_TEST_DISK names, formatted here (kmatrix gives its guests a virtio
# disk for it: everything on it is lost). Ground truth: iowl writes exactly
# 64 blocks with O_DIRECT from writer_direct(), and writes + fdatasync()s 10
# times from writer_sync().
. tests/integration/lib.sh
need_bpf
D=$(mktemp -d /var/tmp/latprof-io.XXXXXX)
IMG=$D/img
cleanup_io() { umount "$D/mnt" 2>/dev/null; [ -n "${LOOP:-}" ] && losetup -d "$LOOP"; rm -rf "$D"; }
trap 'cleanup_io; cleanup' EXIT
if [ -n "${LATPROF_TEST_DISK:-}" ]; then
	BDEV=$LATPROF_TEST_DISK
	[ -b "$BDEV" ] || skip_or_fail "LATPROF_TEST_DISK=$BDEV is not a block device"
else
	truncate -s 128M "$IMG"
	LOOP=$(losetup -f --show "$IMG" 2>"$TMP/losetup.err")
	if [ -z "$LOOP" ]; then
		skip_or_fail "no loop device: $(head -1 "$TMP/losetup.err")"
	fi
	BDEV=$LOOP
fi
mkfs.ext4 -q -F "$BDEV" && mkdir -p "$D/mnt" && mount "$BDEV" "$D/mnt" ||
	skip_or_fail "cannot format and mount $BDEV"
DEV=$(basename "$BDEV")
# sum JQ-FILTER FILE: sum of .count over the stacks the filter selects
sum() { jq "[.stacks[] | select($1) | .count] | add // 0" "$2"; }

WL_BIN="$WL/iowl" start_wl direct 64 "$D/mnt/direct"
trace "$TMP/d" io --dev "$DEV" -p "$WL_PID" -d 2.5 -f json -o "$TMP/d.json"
n=$(sum '.frames[0][0] | test("write.* in device")' "$TMP/d.json")
check "64 O_DIRECT writes from the workload: $n write requests on $DEV" [ "$n" = 64 ]
check "the disk is named in the comm slot without --stacks" \
	[ "$(jq -r '.stacks[0].comm' "$TMP/d.json")" = "$DEV" ]
bad=$(jq '[.stacks[] | select(([.hist[][2]] | add // 0) != .count)] | length' "$TMP/d.json")
check "every histogram's buckets sum to its count ($bad differ)" [ "$bad" = 0 ]

WL_BIN="$WL/iowl" start_wl direct 64 "$D/mnt/direct2"
trace "$TMP/s" io --stacks --dev "$DEV" -p "$WL_PID" -d 2.5 -f json -o "$TMP/s.json"
n=$(sum '([.frames[][0]] | index("writer_direct")) and (.frames[0][0] | test("write.* in device"))' "$TMP/s.json")
check "--stacks: all 64 charged to main;writer_direct;pwrite: $n" [ "$n" = 64 ]
check "--stacks: the comm is the workload's" [ "$(jq -r '.stacks[0].comm' "$TMP/s.json")" = iowl ]

# The raw_tp fallback (kernels without tp_btf) counts the same.
WL_BIN="$WL/iowl" start_wl direct 64 "$D/mnt/direct3"
LATPROF_ATTACH=raw_tp trace "$TMP/r" io -v --dev "$DEV" -p "$WL_PID" -d 2.5 -f json -o "$TMP/r.json"
n=$(sum '.frames[0][0] | test("write.* in device")' "$TMP/r.json")
check "raw_tp flavour: the same 64 write requests ($n)" [ "$n" = 64 ]
check "raw_tp flavour: -v says which was attached" grep -q 'attached: block: raw_tp' "$TMP/r.stderr"

# fdatasync: the data write is issued by the task; the journal commit and its
# cache flushes by jbd2. ext4 commits with REQ_PREFLUSH|REQ_FUA; a loop device
# has no FUA, so the block layer sends a flush before and one after the commit
# record: each fdatasync gives at least one and at most two flush requests
# (virtio-blk has no FUA either)
# (plus up to two other journal commits in the run: the 5 s timer, close).
WL_BIN="$WL/iowl" start_wl sync 10 "$D/mnt/sync"
trace "$TMP/f" io --dev "$DEV" -d 2.5 -f json -o "$TMP/f.json"
fl=$(sum '.frames[0][0] | test("(flush|preflush).* in device")' "$TMP/f.json")
check "10 fdatasync: between 10 and 24 flush requests ($fl)" [ "$fl" -ge 10 -a "$fl" -le 24 ]
WL_BIN="$WL/iowl" start_wl sync 10 "$D/mnt/sync2"
trace "$TMP/g" io --stacks --dev "$DEV" -p "$WL_PID" -d 2.5 -f json -o "$TMP/g.json"
n=$(sum '([.frames[][0]] | index("writer_sync")) and (.frames[0][0] | test("write.* in device"))' "$TMP/g.json")
check "--stacks: the 10 data writes charged to writer_sync: $n" [ "$n" = 10 ]

# fdatasync after overwriting allocated blocks changes no metadata: ext4
# sends the cache flush itself, from the caller (an empty preflush bio). The
# device sees a flush request of the block layer's own, with no bio: it is
# charged to the caller's stack (it went to the disk, unattributed).
WL_BIN="$WL/iowl" start_wl overwrite 10 "$D/mnt/over"
trace "$TMP/o" io --stacks --dev "$DEV" -p "$WL_PID" -d 2.5 -f json -o "$TMP/o.json"
n=$(sum '([.frames[][0]] | index("writer_overwrite")) and (.frames[0][0] | test("flush.* in device"))' "$TMP/o.json")
check "--stacks: the flushes of 10 fdatasyncs charged to writer_overwrite (10-12): $n" [ "$n" -ge 10 -a "$n" -le 12 ]
[ "$n" -ge 10 ] || jq -r '.stacks[] | "\(.count) \(.comm) \(.frames[0][0])"' "$TMP/o.json" | diag

# A process whose files are all on tmpfs does no block I/O: latprof says so.
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
	S=$(mktemp -d /dev/shm/latprof.XXXXXX)
	sh -c "echo \$\$ >'$S/pid'; exec sleep 5 0</dev/null 1>'$S/out' 2>&1 3>'$S/data'" &
	_children="$_children $!"
	for _ in $(seq 50); do [ -s "$S/pid" ] && break; sleep 0.05; done
	"$LATPROF" io -p "$(cat "$S/pid")" -d 0.5 -q -o /dev/null 2>"$TMP/tmpfs.err"
	check "files only on tmpfs: says no block I/O can be seen there" \
		grep -q "open files are all on tmpfs, which does no block I/O" "$TMP/tmpfs.err"
	kill "$(cat "$S/pid")" 2>/dev/null
	rm -rf "$S"
else
	ok 0 "# SKIP /dev/shm is not tmpfs here"
fi

"$LATPROF" io --dev nosuchdisk -d 1 2>"$TMP/dev.err"
check "--dev that names no disk: usage error" [ $? -eq 2 ]
check "--dev error says so" grep -q "invalid --dev 'nosuchdisk': no such disk" "$TMP/dev.err"
done_testing
