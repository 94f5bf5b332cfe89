#!/bin/bash
# Files a traced process controls, opened by latprof as root (docs/SECURITY.md):
# a perf map made a symlink to /dev/zero, to a FIFO, to a root-only file, or
# replaced by a file of another owner; a library whose path, once its process
# in a mount namespace of its own has exited, names a different host file.
. tests/integration/lib.sh
need_bpf
NOBODY="setpriv --reuid nobody --regid nogroup --clear-groups"

# jit_pid: the JIT workload as user nobody, its perf map written, waiting.
start_jit() {
	rm -f "$TMP/wl.out"
	$NOBODY "$WL/offcpu_wl" jit >"$TMP/wl.out" &
	WL_PID=$!
	_children="$_children $WL_PID"
	for _ in $(seq 100); do [ -s "$TMP/wl.out" ] && break; sleep 0.05; done
	MAP=/tmp/perf-$WL_PID.map
	for _ in $(seq 100); do [ -s "$MAP" ] && break; sleep 0.05; done
	LINE=$(head -1 "$MAP")
}
# jit_trace NAME: trace it (2 s), bounded by 20 s; sets LP_RC and SECS.
jit_trace() {
	local t0=$SECONDS
	trace "$TMP/$1" offcpu -p "$WL_PID" -d 2 -v -o "$TMP/$1.folded" &
	local tp=$!
	for _ in $(seq 400); do kill -0 $tp 2>/dev/null || break; sleep 0.05; done
	if kill -0 $tp 2>/dev/null; then pkill -9 -f "offcpu -p $WL_PID" ; fi
	wait $tp
	SECS=$((SECONDS - t0))
	rm -f "$MAP"
}

# The process's own map, owned by its user: named.
start_jit
jit_trace own
check "own perf map: the JIT frame is named" grep -q ';jit_compiled_fn;jit_callback;' "$TMP/own.folded"

# A symlink to /dev/zero: an endless file. The old code spun forever.
start_jit
ln -sf /dev/zero "$MAP"
jit_trace zero
check "perf map -> /dev/zero: latprof ends in time (${SECS} s)" [ "$SECS" -le 15 ]
check "perf map -> /dev/zero: exit 0" grep -q 'latprof offcpu: pid' "$TMP/zero.stderr"
check "perf map -> /dev/zero: refused as a symlink" grep -q 'files refused: .*a symlink' "$TMP/zero.stderr"

# The same where the kernel has no openat2 (before 5.6): the component walk.
start_jit
ln -sf /dev/zero "$MAP"
LATPROF_NO_OPENAT2=1 jit_trace zero2
check "without openat2, perf map -> /dev/zero: latprof ends in time (${SECS} s)" [ "$SECS" -le 15 ]
check "without openat2: refused as a symlink" grep -q 'files refused: .*a symlink' "$TMP/zero2.stderr"
check "without openat2: the workload's own files still open (its frames named)" \
	grep -q ';main;run_jit;' "$TMP/zero2.folded"

# A symlink to a FIFO: open would block.
start_jit
mkfifo "$TMP/fifo"
ln -sf "$TMP/fifo" "$MAP"
jit_trace fifo
check "perf map -> FIFO: latprof ends in time (${SECS} s)" [ "$SECS" -le 15 ]
check "perf map -> FIFO: the JIT frame stays unnamed" grep -q ';\[anon\]+0x[0-9a-f]*;jit_callback;' "$TMP/fifo.folded"

# A symlink to a root-only file whose line covers the JIT code: its text
# must never become a frame name.
start_jit
echo "${LINE%% *} ${LINE#* }" | awk '{ print $1, $2, "SECRET_ROOT_ONLY" }' >"$TMP/secret"
chmod 600 "$TMP/secret"
ln -sf "$TMP/secret" "$MAP"
jit_trace secret
refute "perf map -> root-only file: its content is not printed" grep -q SECRET_ROOT_ONLY "$TMP/secret.folded"

# A regular file, but root's, in the place of a process of user nobody.
start_jit
rm -f "$MAP"
awk '{ print $1, $2, "SECRET_OWNER" }' <<<"$LINE" >"$MAP"
jit_trace owner
refute "perf map owned by another user: refused" grep -q SECRET_OWNER "$TMP/owner.folded"
check "perf map owned by another user: -v says why" grep -q "not owned by the process's user" "$TMP/owner.stderr"

# Processes in a mount namespace of their own map /opt/ltns/libx.so, a
# private file, and exit at once; on the host the same path is a decoy
# library (the same code, other names). Once a process is gone only the
# host path is left: it must not name that process's frames.
if ! unshare -m true 2>/dev/null; then
	echo "ok $((_n += 1)) # SKIP no mount namespaces here"
else
	mkdir -p /opt/ltns
	cp "$WL/libltdecoy.so" /opt/ltns/libx.so
	"$LATPROF" offcpu --comm dlnap -d 5 -v -o "$TMP/ns.folded" 2>"$TMP/ns.stderr" &
	lp=$!
	for _ in $(seq 600); do grep -q attached "$TMP/ns.stderr" && break; sleep 0.05; done
	for _ in $(seq 30); do
		unshare -m --propagation private sh -c "mount -t tmpfs none /opt/ltns &&
			cp $WL/libltshared.so /opt/ltns/libx.so && exec $WL/dlnap /opt/ltns/libx.so 1 3"
	done
	wait $lp
	rm -rf /opt/ltns
	refute "another namespace's library: the host decoy never names its frames" grep -q 'decoy_' "$TMP/ns.folded"
	check "another namespace's library: its frames are there" grep -q 'libx.so\|lt_shared_nap' "$TMP/ns.folded"
fi
done_testing
