#!/bin/bash
# No residue: every tool killed with SIGKILL mid-trace leaves no BPF program,
# link or map of latprof's, no uprobe or kprobe in tracefs, no tracefs
# instance. (The kernel frees what hangs on file descriptors; what latprof
# would create by name in tracefs or a BPF filesystem would stay.)
. tests/integration/lib.sh
need_bpf
T=/sys/kernel/tracing
[ -d "$T/events" ] || T=/sys/kernel/debug/tracing

# The BPF programs, maps and links process $1 holds, as "prog 12" lines,
# read from its fds: what it made, whatever else runs on the machine.
held() {
	awk '/^prog_id:/ { print "prog " $2 } /^map_id:/ { print "map " $2 }
		/^link_id:/ { print "link " $2 }' /proc/"$1"/fdinfo/* 2>/dev/null | sort -u
}
# How many of the objects listed in file $1 (of kind $2, or all) still exist.
left() { local n=0 k id
	while read -r k id; do
		[ -z "${2:-}" ] || [ "$k" = "$2" ] || continue
		bpftool "$k" show id "$id" >/dev/null 2>&1 && n=$((n + 1))
	done <"$1"
	echo $n
}
# uprobes and kprobes libbpf made in tracefs for process $1 (legacy
# attach names them libbpf_PID_...), and latprof's tracefs instances.
probes() { { grep "libbpf_$1_" "$T/uprobe_events" "$T/kprobe_events" 2>/dev/null
	ls "$T/instances" 2>/dev/null | grep latprof; } | wc -l; }

start_wl sleeper
sleep 600 & # a process with an allocator (glibc's) to attach uprobes to
ap=$!
_children="$_children $ap"
base_inst=$(ls "$T/instances" 2>/dev/null | grep -c latprof)
for tool in "offcpu" "offcpu -p $WL_PID" "io" "io --syscalls" "tcp" "tcp --wait" "tcp --life" \
	"alloc -p $ap" "alloc --kernel"; do
	"$LATPROF" $tool -d 60 -q -o /dev/null 2>"$TMP/k.err" &
	lp=$!
	for _ in $(seq 200); do
		grep -q attached "$TMP/k.err" 2>/dev/null && break
		held $lp | grep -q '^link' && break
		kill -0 $lp 2>/dev/null || break
		sleep 0.05
	done
	sleep 0.3
	held $lp >"$TMP/held"
	during=$(grep -c '^prog\|^map' "$TMP/held")
	nlinks=$(grep -c '^link' "$TMP/held")
	kill -9 $lp
	wait $lp 2>/dev/null
	for _ in $(seq 60); do [ "$(left "$TMP/held")" -eq 0 ] && break; sleep 0.05; done
	check "latprof $tool: loaded ($during programs and maps), none left after SIGKILL ($(left "$TMP/held") left)" \
		[ "$during" -gt 0 -a "$(left "$TMP/held")" -eq 0 ]
	check "latprof $tool: no BPF link left ($(left "$TMP/held" link) of $nlinks)" [ "$(left "$TMP/held" link)" -eq 0 ]
	check "latprof $tool: no uprobe, kprobe or tracefs instance left" \
		[ "$(probes $lp)" -le "$base_inst" ]
done
done_testing
