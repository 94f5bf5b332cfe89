#!/bin/bash
# Run the ELF/CFI fuzzer for FUZZ_SECONDS from a seed corpus of real ELF
# files (the test workloads, libc), keeping what it finds in .output/fuzz/.
set -u
cd "$(dirname "$0")/../.."
corpus=.output/fuzz/corpus
mkdir -p "$corpus" .output/fuzz/crashes
for f in .output/workloads/offcpu_wl .output/workloads/elfsyms-pie .output/workloads/libltshared.so; do
	[ -f "$f" ] && cp -n "$f" "$corpus/" 2>/dev/null
done
exec .output/tests/fuzz_elf -max_total_time="${FUZZ_SECONDS:-300}" -rss_limit_mb=1024 \
	-artifact_prefix=.output/fuzz/crashes/ -print_final_stats=1 "$corpus"
