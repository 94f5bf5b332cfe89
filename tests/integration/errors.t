#!/bin/bash
# Bad input at run time: one clear line on stderr, exit 1, nothing attached.
. tests/integration/lib.sh
need_bpf

fails() { # fails NAME PATTERN CMD...: exit 1, one line matching PATTERN, no "attached"
	local name=$1 pat=$2; shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	local ok_=1
	[ "$rc" -eq 1 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -Eq -- "$pat" "$TMP/err" &&
		! grep -q attached "$TMP/err" && ok_=0
	ok $ok_ "$name: exit $rc: $(head -1 "$TMP/err")"
}

# A pid and a tid that do not exist: the highest possible, plus one.
nopid=$(( $(cat /proc/sys/kernel/pid_max) + 1 ))
fails "pid that does not exist" "pid $nopid: no such process" "$LATPROF" offcpu -p "$nopid" -d 1
fails "tid that does not exist" "tid $nopid: no such thread" "$LATPROF" offcpu -t "$nopid" -d 1
start_wl nowait sleeper
tid=$(ls /proc/$WL_PID/task | grep -v "^$WL_PID$" | head -1)
if [ -n "$tid" ]; then
	fails "-p with a thread id" "thread of process $WL_PID" "$LATPROF" offcpu -p "$tid" -d 1
fi
kill "$WL_PID"
fails "cgroup path that does not exist" "cgroup '/nonexistent'" "$LATPROF" offcpu --cgroup /nonexistent -d 1
fails "cgroup path that is not cgroup v2" "not a cgroup v2" "$LATPROF" offcpu --cgroup /tmp -d 1
fails "output directory that does not exist" "cannot write output '/nonexistent/dir/x.folded'" \
	"$LATPROF" offcpu -d 30 -o /nonexistent/dir/x.folded
fails "no kernel BTF" "cannot read kernel BTF '/nonexistent/vmlinux'" \
	env LATPROF_BTF=/nonexistent/vmlinux "$LATPROF" offcpu -d 1
if command -v setpriv >/dev/null; then
	fails "not root" "not running as root" \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$LATPROF" offcpu -d 1
else
	ok 0 "# SKIP setpriv not installed"
fi

# tracefs: latprof mounts it when it is missing. It may also be reachable
# under debugfs (mounted by hand, or automounted with debugfs): unmount both.
for m in /sys/kernel/debug/tracing /sys/kernel/tracing; do
	mountpoint -q "$m" && umount "$m" 2>/dev/null
done
if ! mountpoint -q /sys/kernel/tracing && ! test -d /sys/kernel/debug/tracing/events; then
	"$LATPROF" offcpu -p $$ -d 0.2 -q -o /dev/null 2>"$TMP/err"
	check "tracefs unmounted: latprof mounts it and runs" mountpoint -q /sys/kernel/tracing
else
	check "tracefs is mounted and cannot be unmounted here (busy)" \
		test -d /sys/kernel/tracing/events -o -d /sys/kernel/debug/tracing/events
fi
done_testing
