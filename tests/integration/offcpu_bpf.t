#!/bin/bash
# BPF programs by name in kernel stacks. The workload runs its own sleepable
# BPF program, which blocks 5 x 200 ms on a page userfaultfd holds back; the
# program exits (and unloads) before latprof writes its output. Its frame must
# read bpf_prog_TAG_lt_wait_in_bpf with the tag the workload printed, while
# latprof's own programs never show.
. tests/integration/lib.sh
need_bpf
WL_BIN="$WL/bpfwait" start_wl
tag=$(sed -n 2p "$WL_OUT")
trace "$TMP/b" offcpu -p "$WL_PID" -d 2.5 -o "$TMP/b.folded"
x=$(fsum "$TMP/b.folded" ";main;wait_in_bpf;.*;bpf_prog_test_run_syscall_\[k\];bpf_prog_${tag}_lt_wait_in_bpf_\[k\];bpf_copy_from_user_\[k\];.*handle_userfault_\[k\]")
w=$(wl_clock wait_in_bpf)
check "the workload's BPF program named with its tag ${tag} (${x} us, the workload's clock ${w} us +-10%)" \
	near "$x" 10 wait_in_bpf
others=$(grep -Eo 'bpf_prog_[0-9a-f]{16}_[A-Za-z0-9_]+|bpf_trace_run[0-9]*' "$TMP/b.folded" |
	grep -v "_lt_wait_in_bpf_" | sort -u | tr '\n' ' ')
check "no frame of latprof's own programs (${others:-none})" [ -z "$others" ]
refute "no BPF frame left unnamed" grep -q '\[bpf\]+0x' "$TMP/b.folded"
grep -q lt_wait_in_bpf "$TMP/b.folded" || cut -c1-400 "$TMP/b.folded" | diag
done_testing
