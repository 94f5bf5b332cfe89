#!/bin/bash
# No residue: every tool killed with SIGKILL mid-trace leaves no BPF program,
# link or map of latprof's, no uprobe or kprobe in tracefs, no tracefs
# instance. (The kernel frees what hangs on file descriptors; what latprof
# would create by name in tracefs or a BPF filesystem would stay.)
. tests/integration/lib.sh
need_bpf
T=/sys/kernel/tracing
[ -d "$T/events" ] || T=/sys/kernel/debug/tracing

# latprof's BPF programs, maps and links now: their names, one per line.
ours() {
	{
		bpftool -j prog show 2>/dev/null | jq -r '.[].name // empty'
		bpftool -j map show 2>/dev/null | jq -r '.[].name // empty'
	} | grep -E '^(offcpu_|io_|tcp_|alloc_|lt_)' | sort
}
links() { bpftool -j link show 2>/dev/null | jq 'length'; }
probes() { { cat "$T/uprobe_events" "$T/kprobe_events" 2>/dev/null; ls "$T/instances" 2>/dev/null | grep latprof; } | wc -l; }

base_ours=$(ours | wc -l)
base_links=$(links)
base_probes=$(probes)
start_wl sleeper
sleep 600 & # a process with an allocator (glibc's) to attach uprobes to
ap=$!
_children="$_children $ap"
for tool in "offcpu" "offcpu -p $WL_PID" "io" "io --syscalls" "tcp" "tcp --wait" "tcp --life" \
	"alloc -p $ap" "alloc --kernel"; do
	"$LATPROF" $tool -d 60 -q -o /dev/null 2>"$TMP/k.err" &
	lp=$!
	for _ in $(seq 200); do
		[ "$(ours | wc -l)" -gt "$base_ours" ] && break
		kill -0 $lp 2>/dev/null || break
		sleep 0.05
	done
	sleep 0.3
	during=$(ours | wc -l)
	kill -9 $lp
	wait $lp 2>/dev/null
	for _ in $(seq 40); do [ "$(ours | wc -l)" -le "$base_ours" ] && break; sleep 0.05; done
	check "latprof $tool: loaded ($during programs and maps), none left after SIGKILL ($(ours | wc -l) of $base_ours before)" \
		[ "$during" -gt "$base_ours" -a "$(ours | wc -l)" -le "$base_ours" ]
	check "latprof $tool: no BPF link left ($(links) of $base_links before)" [ "$(links)" -le "$base_links" ]
	check "latprof $tool: no uprobe, kprobe or tracefs instance left" \
		[ "$(probes)" -le "$base_probes" ]
done
done_testing
