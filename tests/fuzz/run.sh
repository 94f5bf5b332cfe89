#!/bin/bash
# Run latprof's fuzzers for FUZZ_SECONDS each, keeping what they find in
# .output/fuzz/: fuzz_elf (ELF, CFI, DWARF) from real ELF files, fuzz_text
# (maps lines, perf maps, folded, JSON, the command line) from one seed of
# each. Exit 0 when neither found anything.
set -u
cd "$(dirname "$0")/../.."
mkdir -p .output/fuzz/corpus .output/fuzz/text .output/fuzz/crashes
for f in .output/workloads/offcpu_wl .output/workloads/elfsyms-pie .output/workloads/libltshared.so; do
	[ -f "$f" ] && cp -n "$f" .output/fuzz/corpus/ 2>/dev/null
done
t=.output/fuzz/text
printf '\000%s' '7f1c2a400000-7f1c2a428000 r-xp 00028000 fd:01 1835016 /usr/lib/x86_64-linux-gnu/libc.so.6' >$t/maps
printf '\001%s\n%s\n' '7f00001000 40 jit_fn' '7f00002000 10 other fn;with (odd) name' >$t/perfmap
printf '\002%s\n%s\n' 'app;main;f;g_[k] 10' 'app;main;h 5' >$t/folded
printf '\003%s' '{"format":"latprof-profile","version":1,"unit":"us","stacks":[{"comm":"a","pid":1,"tid":1,"total":5,"count":1,"frames":[["main","user"],["f","kernel"]],"hist":[[4,5,1]]}]}' >$t/json
printf '\004-p\0001,2\000-d\0003\000-f\000json\000--min-block\00010' >$t/cli
rc=0
.output/tests/fuzz_elf -max_total_time="${FUZZ_SECONDS:-300}" -rss_limit_mb=1024 \
	-artifact_prefix=.output/fuzz/crashes/ -print_final_stats=1 .output/fuzz/corpus || rc=1
.output/tests/fuzz_text -max_total_time="${FUZZ_SECONDS:-300}" -rss_limit_mb=1024 \
	-max_len=65536 -artifact_prefix=.output/fuzz/crashes/ -print_final_stats=1 $t 2>&1 |
	grep -v '^latprof: error: ' || true
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
exit $rc
