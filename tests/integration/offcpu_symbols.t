#!/bin/bash
# Frames that need more than the binary's own symbols: JIT code named by a
# perf map, and a process in its own mount and PID namespace whose binary
# exists only inside its private mount.
. tests/integration/lib.sh
need_bpf
BS='main;blocker_sleep;nanosleep;clock_nanosleep;'

start_wl jit
trace "$TMP/j" offcpu -p "$WL_PID" -d 2 -o "$TMP/j.folded"
rm -f "/tmp/perf-$WL_PID.map"
x=$(fsum "$TMP/j.folded" ';main;run_jit;jit_compiled_fn;jit_callback;blocker_sleep;nanosleep;clock_nanosleep;')
w=$(wl_clock blocker_sleep)
check "JIT frame named from /tmp/perf-PID.map: ${x} us (the workload's clock ${w} us +-10%)" near "$x" 10 blocker_sleep
grep -q jit_compiled_fn "$TMP/j.folded" || cut -c1-200 "$TMP/j.folded" | diag

# A binary deleted after it started: only /proc/PID/map_files reaches it.
cp "$WL/offcpu_wl" "$TMP/delwl"
WL_BIN="$TMP/delwl" start_wl sleeper
rm -f "$TMP/delwl"
trace "$TMP/d" offcpu -p "$WL_PID" -d 2.5 -o "$TMP/d.folded"
x=$(fsum "$TMP/d.folded" "^delwl;(.*;)?$BS")
w=$(wl_clock blocker_sleep)
check "deleted binary: stack named through map_files (${x} us, the workload's clock ${w} us +-10%)" near "$x" 10 blocker_sleep

# A stripped binary with no debug info anywhere: its frames fall back to
# module+0xoffset, the rest of the stack is still named, and -v says why.
cp "$WL/offcpu_wl" "$TMP/strwl" && objcopy --strip-all "$TMP/strwl"
WL_BIN="$TMP/strwl" start_wl sleeper
LATPROF_DEBUG_DIRS=/nonexistent trace "$TMP/st" offcpu -v -p "$WL_PID" -d 2.5 -o "$TMP/st.folded"
x=$(fsum "$TMP/st.folded" ';strwl\+0x[0-9a-f]+;nanosleep;clock_nanosleep;.*do_nanosleep_\[k\]')
w=$(wl_clock blocker_sleep)
check "stripped, no debug info: strwl+0x... frames, libc and kernel still named (${x} us, the workload's ${w} us)" \
	near "$x" 10 blocker_sleep
check "-v reports the frames not named and why" grep -Eq 'frames not named: .*[1-9][0-9]* outside every symbol' "$TMP/st.stderr"

# A private tmpfs, mounted only inside the new mount namespace: the binary's
# path does not exist on the host. The workload runs as pid 2 of its PID
# namespace (pid 1 would ignore SIGUSR1, having no handler for it).
if command -v unshare >/dev/null; then
	mkdir -p "$TMP/priv"
	unshare --mount --pid --fork sh -c "mount -t tmpfs none '$TMP/priv' &&
		cp '$WL/offcpu_wl' '$TMP/priv/nswl' && '$TMP/priv/nswl' sleeper >'$TMP/ns.out'; :" &
	ns=$!
	_children="$_children $ns"
	for _ in $(seq 100); do pgrep -x nswl >/dev/null && break; sleep 0.05; done
	hp=$(pgrep -x nswl | head -1)
	_children="$_children $hp"
	check "host path of the namespaced binary does not exist" test ! -e "$TMP/priv/nswl"
	WL_PID=$hp trace "$TMP/n" offcpu -p "$hp" -d 2.5 -o "$TMP/n.folded"
	x=$(fsum "$TMP/n.folded" "^nswl;(.*;)?$BS")
	w=$(wl_clock blocker_sleep 3 "$TMP/ns.out")
	check "namespaced process: stack named through /proc/PID/root (${x} us, the workload's clock ${w} us +-10%)" \
		near "$x" 10 blocker_sleep "$TMP/ns.out"
	nsp=$(head -1 "$TMP/ns.out") # the workload's getpid() inside its namespace
	check "summary gives the host pid $hp and the pid in its namespace ($nsp)" \
		grep -q "\[$hp/[0-9]*, pid $nsp in its namespace\]" "$TMP/n.stderr"
	grep -q blocker_sleep "$TMP/n.folded" || cut -c1-200 "$TMP/n.folded" | diag
	wait $ns
else
	ok 0 "# SKIP unshare not installed"
fi
done_testing
