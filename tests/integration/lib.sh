#!/bin/bash
# TAP helpers and workload drivers for latprof's integration tests.
# Tests source this from the repository root (prove runs them there).
set -u
LATPROF=${LATPROF:-./latprof}
WL=${WL:-.output/workloads}
TMP=$(mktemp -d /tmp/latprof-test.XXXXXX)
_n=0
_failed=0
_children=""
cleanup() {
	for p in $_children; do kill -9 "$p" 2>/dev/null; done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

ok() { # ok COND-STATUS NAME; returns 1 for a failure (check ... || diag)
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; _failed=$((_failed + 1)); return 1; fi
}
check() { # check NAME CMD...: ok if CMD succeeds
	local name=$1; shift
	"$@"; ok $? "$name"
}
refute() { # refute NAME CMD...: ok if CMD fails
	local name=$1; shift
	! "$@"; ok $? "$name"
}
diag() { sed 's/^/# /' >&2; }
done_testing() { echo "1..$_n"; [ "$_failed" -eq 0 ]; exit $?; }

# Root and BPF: tests that need them fail under CI and skip elsewhere.
skip_or_fail() {
	if [ -n "${CI:-}" ]; then
		echo "1..1"; echo "not ok 1 - $1 (CI requires root and BPF)"; exit 1
	fi
	echo "1..0 # SKIP $1"; exit 0
}
need_bpf() {
	[ "$(id -u)" = 0 ] || skip_or_fail "needs root"
	[ -r /sys/kernel/btf/vmlinux ] || skip_or_fail "kernel has no BTF at /sys/kernel/btf/vmlinux"
	if ! "$LATPROF" offcpu -p $$ -d 0.1 -q -o /dev/null 2>"$TMP/probe.err"; then
		skip_or_fail "BPF cannot load here: $(head -1 "$TMP/probe.err")"
	fi
}

# start_wl ARGS...: start the workload ($WL_BIN, default offcpu_wl), which
# waits for SIGUSR1 unless its mode is "nowait"; sets WL_PID, and WL_OUT to
# the file that holds its stdout.
_wln=0
start_wl() {
	local bin=${WL_BIN:-$WL/offcpu_wl}
	_wln=$((_wln + 1))
	WL_OUT=$TMP/wl.$_wln.out
	"$bin" "$@" >"$WL_OUT" &
	WL_PID=$!
	_children="$_children $WL_PID"
	for _ in $(seq 400); do [ -s "$WL_OUT" ] && break; sleep 0.05; done
	[ "${1:-}" = nowait ] && sleep 0.2 # let it create its threads
}

# wl_clock NAME [FIELD [OUT]]: the workload's own measure of its blocking
# calls in account NAME (tests/workloads/wlclock.h), from its output OUT
# (default $WL_OUT) once it has exited: FIELD 3 (default) total us, 4 calls,
# 5 the longest call in us, 6 the part of the total that may have been
# run-queue time after a preemption or the thread's own CPU time in the calls
# (neither is off-CPU time by default). Prints 0
# if the workload never said.
wl_clock() {
	local out=${3:-$WL_OUT}
	for _ in $(seq 200); do grep -q "^clock $1 " "$out" 2>/dev/null && break; sleep 0.05; done
	awk -v n="$1" -v f="${2:-3}" '$1 == "clock" && $2 == n { v = $f } END { print v + 0 }' "$out"
}

# wl_calls NAME LO HI [OUT]: the workload's NAME calls that took LO..HI us:
# their number, their sum in us, and that sum less what may not be off-CPU
# time (run-queue time after preemptions, the calls' own CPU time).
wl_calls() {
	local out=${4:-$WL_OUT}
	wl_clock "$1" 3 "$out" >/dev/null # waits for the workload's lines
	awk -v n="$1" -v lo="$2" -v hi="$3" '$1 == "call" && $2 == n && $3 >= lo && $3 <= hi {
		c++; s += $3; p += $4 } END { print c + 0, s + 0, s - p }' "$out"
}

# trace OUT_PREFIX LATPROF-ARGS...: run latprof in the background, start the
# workload(s) in $GO_PIDS once it says "attached", wait for it. Sets LP_RC.
trace() {
	local out=$1; shift
	"$LATPROF" "$@" >"$out.stdout" 2>"$out.stderr" &
	local lp=$!
	for _ in $(seq 600); do
		grep -q "attached" "$out.stderr" 2>/dev/null && break
		kill -0 $lp 2>/dev/null || break
		sleep 0.05
	done
	for p in ${GO_PIDS:-$WL_PID}; do kill -USR1 "$p" 2>/dev/null; done
	wait $lp
	LP_RC=$?
}

# fsum FILE ERE: sum of the values of folded lines matching ERE.
fsum() { grep -E -- "$2" "$1" 2>/dev/null | awk '{ s += $NF } END { print s + 0 }'; }

# within GOT WANT PCT: |GOT - WANT| <= PCT% of WANT
within() { awk -v g="$1" -v w="$2" -v p="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= w * p / 100) }'; }
# between GOT HI LO PCT: LO - PCT% <= GOT <= HI + PCT%
between() { awk -v g="$1" -v hi="$2" -v lo="$3" -v p="$4" 'BEGIN { exit !(g <= hi * (1 + p / 100) && g >= lo * (1 - p / 100)) }'; }
# near GOT PCT NAME [OUT [LOPCT]]: GOT (us) is the off-CPU time the workload
# measured in account NAME: at most its total + PCT%, at least its total less
# what may not be off-CPU time (wl_clock field 6: run-queue time after
# preemptions, the calls' CPU time) - LOPCT% (default PCT).
near() {
	local out=${4:-$WL_OUT} t p
	t=$(wl_clock "$3" 3 "$out") p=$(wl_clock "$3" 6 "$out")
	awk -v g="$1" -v t="$t" -v p="$p" -v hi="$2" -v lo="${5:-$2}" \
		'BEGIN { exit !(t > 0 && g <= t * (1 + hi / 100) && g >= (t - p) * (1 - lo / 100)) }' && return 0
	echo "# $3: got $1 us; the workload measured $t us, of which up to $p us may be run-queue or CPU time" >&2
	return 1
}

# ia32_check JSON OP: the workload (iowl compat) made 32-bit system calls
# (int $0x80) whose numbers are x86_64's OP; none may be counted as OP.
ia32_check() {
	local n32 x
	n32=$(awk '$1 == "ia32" { print $2 }' "$WL_OUT")
	if [ "${n32:-0}" = 0 ]; then
		ok 0 "# SKIP no 32-bit system calls here (no IA32 emulation): the ia32 check could not fail"
		return
	fi
	x=$(jq "[.stacks[] | select(.frames[0][0] | startswith(\"[$2\")) | .count] | add // 0" "$1")
	check "$n32 ia32 calls, none taken for x86_64's $2 ($x)" [ "$x" = 0 ]
}

# start_rounds BIN: run BIN (allocwl) with a FIFO on stdin (fd 7 writes it);
# sets WL_PID. Each "go" line on fd 7 runs one round; `rounds N` waits for them.
start_rounds() {
	rm -f "$TMP/in" && mkfifo "$TMP/in"
	"$1" <"$TMP/in" >"$TMP/out" &
	_children="$_children $!"
	exec 7>"$TMP/in"
	for _ in $(seq 100); do [ -s "$TMP/out" ] && break; sleep 0.05; done
	WL_PID=$(head -1 "$TMP/out")
}
rounds() {
	local want=$(($(grep -c done "$TMP/out") + $1))
	for _ in $(seq "$1"); do echo go >&7; done
	for _ in $(seq 200); do [ "$(grep -c done "$TMP/out")" -ge $want ] && break; sleep 0.05; done
}
