#!/bin/bash
# Ground truth: pipe_reader() blocks in read() on a pipe that pipe_feeder()
# writes every 100 ms, 10 times: ~1.0 s on the pipe-read path, as the
# workload's own clock measures it.
. tests/integration/lib.sh
need_bpf
start_wl pipe
trace "$TMP/p" offcpu -p "$WL_PID" -d 3 -o "$TMP/p.folded"
check "latprof exits 0" [ "$LP_RC" -eq 0 ]
got=$(fsum "$TMP/p.folded" ';main;pipe_reader;read;.*(pipe_read|anon_pipe_read)_\[k\]')
w=$(wl_clock pipe_reader)
check "pipe_reader;read above the kernel pipe-read path: ${got} us, the workload's clock ${w} us +-10%" near "$got" 10 pipe_reader
feed=$(fsum "$TMP/p.folded" ';pipe_feeder;nap_ms;nanosleep;clock_nanosleep;')
w=$(wl_clock pipe_feeder)
check "feeder thread sleeps in nap_ms: ${feed} us, the workload's clock ${w} us +-10%" near "$feed" 10 pipe_feeder
grep -q pipe_reader "$TMP/p.folded" || diag < "$TMP/p.folded"
done_testing
