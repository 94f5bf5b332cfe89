// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A sleepable BPF program that blocks: it copies from a user page that
 * userfaultfd holds back, so its task sleeps with this program on its
 * kernel stack. Run by tests/workloads/bpfwait.c through BPF_PROG_TEST_RUN.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct bpfwait_args {
	__u64 addr;
};

SEC("syscall")
int lt_wait_in_bpf(struct bpfwait_args *args)
{
	char buf[8];

	if (bpf_copy_from_user(buf, sizeof(buf), (void *)args->addr))
		return -1;
	return buf[0];
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
