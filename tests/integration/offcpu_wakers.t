#!/bin/bash
# offcpu --wakers: who ended each block. Ground truth: the workload's own
# clock (wlclock.h) and what its code does.
# - mutex: waiter() blocks on a mutex 20 times until holder() unlocks it
#   (~1 s in all, account waiter_lock); holder() keeps it through a 50 ms
#   nanosleep (account holder_nap), which only a timer can end.
# - pipe: pipe_reader() blocks in read() until pipe_feeder() writes, 10 times.
# The folded form is offwaketime's: the woken stack, "--", the waker's
# frames leaf first, then its comm.
. tests/integration/lib.sh
need_bpf

start_wl mutex
trace "$TMP/m" offcpu --wakers -p "$WL_PID" -d 4 -o "$TMP/m.folded"
check "latprof exits 0" [ "$LP_RC" -eq 0 ]
# (libc's own frames are unnamed where it has no debug symbols, as in the
# kmatrix guests: the pair is told by the workload's frames.)
pair=';waiter;pthread_mutex_lock;[^ ]*;--;[^ ]*;holder;holder_loop;[^ ]*;offcpu_wl '
got=$(fsum "$TMP/m.folded" "$pair")
w=$(wl_clock waiter_lock)
check "waiter's lock waits paired with holder's unlock: ${got} us, the workload's clock ${w} us +-10%" \
	near "$got" 10 waiter_lock || grep -E ';waiter;' "$TMP/m.folded" | diag
other=$(grep -E ';waiter;' "$TMP/m.folded" | grep -Ev -- "$pair" | awk '{ s += $NF } END { print s + 0 }')
check "no other waker for waiter's lock waits (${other} us elsewhere)" [ "$other" -lt 20000 ]
got=$(fsum "$TMP/m.folded" ';holder;nap_ms;nanosleep;[^ ]*;--;\[timer\] ')
w=$(wl_clock holder_nap)
check "holder's 50 ms naps woken by [timer]: ${got} us, the workload's clock ${w} us +-10%" \
	near "$got" 10 holder_nap
check "the summary says who woke the lock waits" \
	grep -Eq 'woken by offcpu_wl: [^ ]+ <- [^ ]+ <- holder <- holder_loop' "$TMP/m.stderr"
# A waking that races with the switch-out (the waker runs while the thread
# is still leaving its CPU) comes before the block starts: such blocks, of
# microseconds, have no waker. They must stay a sliver of the time.
read -r nowaker all < <(awk '!/^#/ { all += $NF; if (gsub(/;--;/, "&") != 1) no += $NF }
	END { print no + 0, all + 0 }' "$TMP/m.folded")
check "blocks without a waker: $nowaker of $all us (under 1%)" [ $((nowaker * 100)) -lt "$all" ] ||
	awk '!/^#/ && gsub(/;--;/, "&") != 1' "$TMP/m.folded" | cut -c1-300 | diag
grep -q ';--;' "$TMP/m.folded" || diag < "$TMP/m.folded"

start_wl pipe
trace "$TMP/p" offcpu --wakers -p "$WL_PID" -d 3 -o "$TMP/p.folded"
got=$(fsum "$TMP/p.folded" ';pipe_reader;[^ ]*;--;[^ ]*;(anon_)?pipe_write_\[k\];[^ ]*;pipe_feeder;[^ ]*;offcpu_wl ')
w=$(wl_clock pipe_reader)
check "pipe_reader's reads woken by pipe_feeder's write: ${got} us, the workload's clock ${w} us +-10%" \
	near "$got" 10 pipe_reader || grep -E ';pipe_reader;' "$TMP/p.folded" | diag

# Filters: only blocks ended by the chosen wakers are kept.
start_wl mutex
trace "$TMP/f" offcpu --waker-comm no-such-task -p "$WL_PID" -d 4 -o "$TMP/f.folded"
check "--waker-comm with no such waker: nothing counted" [ "$(grep -vc '^#' "$TMP/f.folded")" = 0 ]
start_wl mutex
trace "$TMP/g" offcpu --waker-pid "$WL_PID" -p "$WL_PID" -d 4 -o "$TMP/g.folded"
got=$(fsum "$TMP/g.folded" "$pair")
check "--waker-pid: the lock waits holder() ended are kept (${got} us)" near "$got" 10 waiter_lock
bad=$(grep -v '^#' "$TMP/g.folded" | grep -cv ';offcpu_wl ')
check "--waker-pid: every waker is the workload, no interrupt that found it running ($bad lines are not)" \
	[ "$bad" = 0 ] || grep -v '^#' "$TMP/g.folded" | grep -v ';offcpu_wl ' | cut -c1-300 | diag

# Every format carries both halves.
start_wl mutex
trace "$TMP/j" offcpu --wakers -p "$WL_PID" -d 4 -f json -o "$TMP/j.json"
n=$(jq '[.stacks[] | select(.frames | map(.[0]) | (index("--") != null) and (index("holder") != null))] | length' "$TMP/j.json")
check "json: stacks with the waker after -- ($n)" [ "${n:-0}" -ge 1 ]
start_wl mutex
trace "$TMP/s" offcpu --wakers -p "$WL_PID" -d 4 -f svg -o "$TMP/s.svg"
check "svg: the waker's frames are drawn" grep -q 'futex_wake' "$TMP/s.svg"
done_testing
