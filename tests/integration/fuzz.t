#!/bin/bash
# A short fuzzing run over every reader of outside input (ELF, CFI, DWARF;
# maps lines, perf maps, folded, JSON, the command line): no crash, no
# sanitizer report in 10 s each (make fuzz runs longer). Needs no root.
. tests/integration/lib.sh
FUZZ_SECONDS=${FUZZ_SECONDS:-10} tests/fuzz/run.sh >"$TMP/fuzz.log" 2>&1
rc=$?
check "fuzzers ran ${FUZZ_SECONDS:-10} s each over every reader of outside input without a crash (exit $rc)" [ "$rc" -eq 0 ]
grep -E "stat::number_of_executed_units|ERROR|SUMMARY" "$TMP/fuzz.log" | diag
done_testing
